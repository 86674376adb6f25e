// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Host channels for LXC containers, through the container's own config
 * (man lxc.container.conf), without patching LXC. LXC runs hooks of its own
 * at the right moments, so the channel keeps the contract's life (section
 * 3) as hcrun's does:
 *   config     (the driver's create) every spec through the OCI kit's gate,
 *              then each host path made, not mounted, and recorded in the
 *              kit's state file; the config lines printed: the hooks below,
 *              the memory limit
 *   pre-start  (each lxc-start, in the host's namespaces, before LXC clones
 *              the container's) each tmpfs mounted, or after a stop found
 *              still mounted, by its tag, and used again with its data
 *   mount      (in the container's new mount namespace, cloned from the
 *              host's after pre-start, the rootfs mounted at
 *              LXC_ROOTFS_MOUNT, before the pivot_root) each tmpfs bound at
 *              its container path by hc_attach(), as hcrun's own container
 *              does: the path resolved inside the rootfs, missing
 *              directories made there, never through a symlink that leads
 *              out
 *   start-host (once the container is set up, before its init runs) each
 *              bind given back the propagation its spec asks for, which LXC
 *              overrides (see restore_propagation)
 *   destroy    (lxc-destroy) the kit's release: exactly what the state
 *              lists, then the state file
 * A stop does nothing to the channels. A failure or a crash at any step
 * leaves the state listing what was made: "hcrun oci teardown STATE"
 * removes it.
 *
 * Why not lxc.mount.entry for the binds: LXC 5 makes a missing target
 * (create=dir) with a mkdir that follows the rootfs's symlinks from the
 * host's root, so a rootfs with "s -> /" gets "/ch" made on the host
 * (contract section 3.6); without create=dir, a container path that does
 * not exist yet, or that has a symlink on the way, refuses to start, and a
 * FIFO at the container path blocks lxc-start in open(2).
 *
 * LXC reads each config line as "key = value": a value that starts with a
 * quote loses its first and last quote, and the hook's value runs as
 * "sh -c 'exec VALUE NAME lxc TYPE'". The words are written for those
 * readers below.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "hcrun.h"

_Static_assert(sizeof(HCRUN_LXC_TAG_PREFIX) <= sizeof(HCRUN_OCI_TAG_PREFIX),
	       "the kit's tag buffer holds the LXC tag");

/* ------------------------------------------------------- writing lines */

/*
 * One word of the hook's command line, for sh: safe bytes as they are,
 * others in single quotes, a quote as \'. Never starts with a quote (the
 * words are absolute paths): LXC would strip it. Control bytes are refused:
 * a newline would end the config line.
 */
static int put_sh_word(FILE *out, const char *word, const char *what, hc_error_t **err)
{
	static const char safe[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
				   "0123456789/._,:+=@%^-";
	bool quoted = false;
	const char *p;

	for (p = word; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			return hc_error_set(err, EINVAL,
					    "%s \"%s\": a control character cannot go into an "
					    "LXC hook line",
					    what, word);
	for (p = word; *p != '\0'; p++) {
		bool ok = strchr(safe, *p) != NULL;

		if (quoted && (ok || *p == '\'')) {
			fputc('\'', out);
			quoted = false;
		}
		if (ok) {
			fputc(*p, out);
		} else if (*p == '\'') {
			fputs("\\'", out);
		} else {
			if (!quoted)
				fputc('\'', out);
			quoted = true;
			fputc(*p, out);
		}
	}
	if (quoted)
		fputc('\'', out);
	return 0;
}

/* A path on one line, as fstab(5) writes one: space, tab, newline and
 * backslash in octal. */
static void put_one_line(FILE *out, const char *path)
{
	const char *p;

	for (p = path; *p != '\0'; p++) {
		if (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\\')
			fprintf(out, "\\%03o", (unsigned char)*p);
		else
			fputc(*p, out);
	}
}

static int put_hook(FILE *out, const char *type, const char *exe, const char *state,
		    hc_error_t **err)
{
	fprintf(out, "lxc.hook.%s = ", type);
	if (put_sh_word(out, exe, "hcrun executable", err) < 0)
		return -1;
	fputs(" lxc hook --state ", out);
	if (put_sh_word(out, state, "--state", err) < 0)
		return -1;
	fputc('\n', out);
	return 0;
}

/* What the hooks will do for one channel, for whoever reads the config. */
static void put_channel_comment(FILE *out, const struct hcrun_oci_channel *ch)
{
	char size[32];

	if (hc_size_format(ch->spec.size, size, sizeof(size)) < 0)
		snprintf(size, sizeof(size), "%llu", (unsigned long long)ch->spec.size);
	fputs("# host channel ", out);
	put_one_line(out, ch->host.real_path[0] != '\0' ? ch->host.real_path : ch->spec.host_path);
	fputs(" -> ", out);
	put_one_line(out, ch->spec.container_path);
	fprintf(out, " (%s, %s, %s)\n", ch->spec.readonly ? "ro" : "rw",
		hc_propagation_name(ch->spec.propagation), size);
}

/* The memory line for the container's cgroup version (v2 where a cgroup2
 * mount offers the memory controller, as hcrun decides). */
static int put_memory(FILE *out, const struct hcrun_lxc_config_opts *o,
		      const struct hcrun_oci_kit *kit, hc_error_t **err)
{
	enum hc_cgroup_version version = o->cgroup;
	uint64_t limit = o->memory, add = 0;
	char root[PATH_MAX];
	size_t i;

	if (o->memory == 0)
		return 0; /* no limit: none to raise either */
	if (o->memory_add)
		for (i = 0; i < kit->nchannels; i++)
			add += kit->channels[i].spec.size; /* each <= MemTotal/2 */
	if (limit > UINT64_MAX - add)
		return hc_error_set(err, EOVERFLOW,
				    "--memory-add-channel: --memory %llu plus the channels' %llu "
				    "bytes overflows",
				    (unsigned long long)o->memory, (unsigned long long)add);
	limit += add;
	if (version == HC_CGROUP_NONE && hc_memcg_detect(&version, root, sizeof(root), err) < 0)
		return hc_error_prefix(err, "--memory");
	if (version == HC_CGROUP_V2)
		fprintf(out, "lxc.cgroup2.memory.max = %llu\n", (unsigned long long)limit);
	else
		fprintf(out, "lxc.cgroup.memory.limit_in_bytes = %llu\n",
			(unsigned long long)limit);
	return 0;
}

/* Every line, into a buffer: nothing reaches out unless all of it was
 * made. */
static int format_config(const struct hcrun_lxc_config_opts *o, const struct hcrun_oci_kit *kit,
			 const char *exe, char **text, size_t *len, hc_error_t **err)
{
	FILE *f = open_memstream(text, len);
	size_t i;
	int ret = -1;

	if (f == NULL)
		return hc_error_sys(err, errno, "lxc config: open_memstream");
	fprintf(f, "# host channels of LXC container %s (hcrun lxc config), state in ", o->name);
	put_one_line(f, kit->state_path);
	fputc('\n', f);
	for (i = 0; i < kit->nchannels; i++)
		put_channel_comment(f, &kit->channels[i]);
	if (put_hook(f, "pre-start", exe, kit->state_path, err) < 0 ||
	    put_hook(f, "mount", exe, kit->state_path, err) < 0 ||
	    put_hook(f, "start-host", exe, kit->state_path, err) < 0 ||
	    put_hook(f, "destroy", exe, kit->state_path, err) < 0)
		goto out;
	if (put_memory(f, o, kit, err) < 0)
		goto out;
	ret = 0;
out:
	if (fclose(f) != 0 && ret == 0)
		ret = hc_error_sys(err, errno, "lxc config: format the lines");
	if (ret < 0) {
		free(*text);
		*text = NULL;
	}
	return ret;
}

/* ------------------------------------------------------------- config */

/* The state file as an absolute path: the hooks run wherever LXC is. */
static int absolute_state(const char *state, char *buf, size_t len, hc_error_t **err)
{
	char cwd[PATH_MAX], joined[PATH_MAX];
	int n;

	if (state[0] == '\0')
		return hc_error_set(err, EINVAL, "--state: empty path");
	if (state[0] == '/') {
		n = snprintf(joined, sizeof(joined), "%s", state);
	} else {
		if (getcwd(cwd, sizeof(cwd)) == NULL)
			return hc_error_sys(err, errno, "--state \"%s\": getcwd", state);
		n = snprintf(joined, sizeof(joined), "%s/%s", cwd, state);
	}
	if (n < 0 || (size_t)n >= sizeof(joined))
		return hc_error_set(err, ENAMETOOLONG, "--state \"%s\": path too long", state);
	if (hc_path_clean(joined, buf, len, err) < 0)
		return hc_error_prefix(err, "--state \"%s\"", state);
	return 0;
}

static int exe_path(char *buf, size_t len, hc_error_t **err)
{
	ssize_t n = readlink("/proc/self/exe", buf, len - 1);

	if (n < 0)
		return hc_error_sys(err, errno,
				    "find the hcrun executable (readlink /proc/self/exe)");
	buf[n] = '\0';
	return 0;
}

int hcrun_lxc_config(const struct hcrun_lxc_config_opts *o, FILE *out, hc_error_t **err)
{
	struct hcrun_oci_kit kit = {0};
	hc_cleanup_free char *text = NULL;
	hc_cleanup_error hc_error_t *undo_err = NULL;
	char exe[PATH_MAX];
	size_t len = 0;
	int ret = -1;

	/* Everything checked before the disk is touched, as hcrun create:
	 * the specs (the gate), the name, the paths the lines will carry. */
	/* The administrator's specs (an LXC config is root's): no policy. */
	if (hcrun_oci_kit_add_specs(&kit, NULL, o->specs, o->nspecs, err) < 0)
		goto out;
	if (hcrun_name_check(o->name, err) < 0) {
		hc_error_prefix(err, "--name");
		goto out;
	}
	snprintf(kit.tag, sizeof(kit.tag), "%s%s", HCRUN_LXC_TAG_PREFIX, o->name);
	if (absolute_state(o->state, kit.state_path, sizeof(kit.state_path), err) < 0 ||
	    exe_path(exe, sizeof(exe), err) < 0)
		goto out;
	/* A dry run of the lines: a path that no line can carry refuses now. */
	if (format_config(o, &kit, exe, &text, &len, err) < 0)
		goto out;
	free(text);
	text = NULL;
	if (hcrun_oci_kit_prepare(&kit, false, err) < 0)
		goto out;
	/* The real lines, with each host path as resolved by prepare. */
	if (format_config(o, &kit, exe, &text, &len, err) < 0 || fwrite(text, 1, len, out) != len ||
	    fflush(out) != 0) {
		if (text != NULL && err != NULL && *err == NULL)
			hc_error_sys(err, errno, "lxc config: write the lines");
		/* Lines that did not all get out are no config: take back what
		 * was made. */
		if (hcrun_oci_release(kit.state_path, true, &undo_err) < 0)
			hcrun_report(&undo_err);
		goto out;
	}
	ret = 0;
out:
	hcrun_oci_kit_clear(&kit);
	return ret;
}

/* --------------------------------------------------------------- hooks */

/* The state belongs to one container (its tag): a copy of the config under
 * another name (lxc-copy) must not mount or tear down the original's
 * channels. */
static int check_owner(const struct hcrun_oci_kit *kit, const char *name, hc_error_t **err)
{
	size_t plen = strlen(HCRUN_LXC_TAG_PREFIX);

	if (strncmp(kit->tag, HCRUN_LXC_TAG_PREFIX, plen) != 0)
		return hc_error_set(err, EINVAL,
				    "%s: not the state of an LXC container's channels (tag \"%s\")",
				    kit->state_path, kit->tag);
	if (name != NULL && strcmp(kit->tag + plen, name) != 0)
		return hc_error_set(err, EPERM,
				    "%s holds the host channels of LXC container \"%s\", not of "
				    "\"%s\": nothing done",
				    kit->state_path, kit->tag + plen, name);
	return 0;
}

/*
 * LXC turns the container's whole mount tree into shared mounts once it has
 * pivoted into the rootfs (so that the rootfs is a peer group of its own),
 * which overrides the propagation each bind was made with. The start-host
 * hook runs in the host's namespaces once the container is set up, before
 * its init runs: it enters the container's mount namespace and gives each
 * channel's bind its propagation back (contract section 3.4). The
 * container path is looked up from the container's root, where no symlink
 * leads out; what is found there must be the root of the channel's tmpfs,
 * as the host sees it (roots), or nothing is changed.
 */
static int propagate_in(const struct hcrun_oci_kit *kit, const struct stat *roots, int ns,
			hc_error_t **err)
{
	size_t i;

	if (setns(ns, CLONE_NEWNS) < 0)
		return hc_error_sys(err, errno, "enter the container's mount namespace");
	for (i = 0; i < kit->nchannels; i++) {
		const struct hcrun_oci_channel *ch = &kit->channels[i];
		hc_cleanup_close int fd =
			open(ch->spec.container_path, O_PATH | O_DIRECTORY | O_CLOEXEC);
		struct stat sb;

		if (fd < 0)
			return hc_error_sys(err, errno, "container path %s",
					    ch->spec.container_path);
		if (fstat(fd, &sb) < 0)
			return hc_error_sys(err, errno, "container path %s",
					    ch->spec.container_path);
		if (sb.st_dev != roots[i].st_dev || sb.st_ino != roots[i].st_ino)
			return hc_error_set(err, EXDEV,
					    "container path %s is not the bind of host channel %s: "
					    "propagation left as LXC made it",
					    ch->spec.container_path, ch->spec.host_path);
		/* mount(2) takes a path: "." is the bind's root once there. */
		if (fchdir(fd) < 0 ||
		    mount(NULL, ".", NULL, hc_propagation_flags(ch->spec.propagation), NULL) < 0)
			return hc_error_sys(err, errno, "container path %s: make it %s",
					    ch->spec.container_path,
					    hc_propagation_name(ch->spec.propagation));
	}
	return 0;
}

/*
 * The setns() is a child's, which exits at once: hcrun itself stays in the
 * host's mount namespace, where its /proc is the one of its pid namespace
 * (a sanitizer's exit-time checks read /proc/self) and its messages are
 * reported. The child's message comes back through a pipe.
 */
static int restore_propagation(const struct hcrun_oci_kit *kit, pid_t pid, hc_error_t **err)
{
	hc_cleanup_free struct stat *roots = NULL;
	hc_cleanup_close int ns = -1, rd = -1;
	char path[64], msg[1024];
	int fds[2], status;
	ssize_t n, got = 0;
	pid_t child;
	size_t i;

	if (pid <= 0)
		return hc_error_set(err, EINVAL,
				    "lxc hook start-host: no container pid (LXC_PID) in the "
				    "environment");
	roots = calloc(kit->nchannels ? kit->nchannels : 1, sizeof(*roots));
	if (roots == NULL)
		return hc_error_sys(err, ENOMEM, "lxc hook start-host");
	for (i = 0; i < kit->nchannels; i++)
		if (stat(kit->channels[i].host.real_path, &roots[i]) < 0)
			return hc_error_sys(err, errno, "host channel %s",
					    kit->channels[i].spec.host_path);
	snprintf(path, sizeof(path), "/proc/%d/ns/mnt", (int)pid);
	ns = open(path, O_RDONLY | O_CLOEXEC);
	if (ns < 0)
		return hc_error_sys(err, errno, "open %s", path);
	if (pipe2(fds, O_CLOEXEC) < 0)
		return hc_error_sys(err, errno, "lxc hook start-host: pipe");
	rd = fds[0];
	child = fork();
	if (child < 0) {
		close(fds[1]);
		return hc_error_sys(err, errno, "lxc hook start-host: fork");
	}
	if (child == 0) {
		hc_error_t *e = NULL;

		close(fds[0]);
		if (propagate_in(kit, roots, ns, &e) < 0) {
			if (e != NULL && e->msg != NULL)
				(void)!write(fds[1], e->msg, strlen(e->msg));
			_exit(1);
		}
		_exit(0);
	}
	close(fds[1]);
	while (got < (ssize_t)sizeof(msg) - 1 &&
	       ((n = read(rd, msg + got, sizeof(msg) - 1 - got)) > 0 || (n < 0 && errno == EINTR)))
		got += n > 0 ? n : 0;
	msg[got] = '\0';
	while (waitpid(child, &status, 0) < 0)
		if (errno != EINTR)
			return hc_error_sys(err, errno, "lxc hook start-host: waitpid");
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return hc_error_set(err, EIO, "lxc hook start-host, container pid %d: %s", (int)pid,
				    got > 0 ? msg : "the child failed");
	return 0;
}

/*
 * In the container's mount namespace, its rootfs at rootfs (LXC_ROOTFS_MOUNT),
 * before LXC pivots into it: each channel's tmpfs, which pre-start mounted
 * on the host and this namespace was cloned with, bound at its container
 * path resolved inside the rootfs, read-only for ro (contract sections 3.4,
 * 3.6). A channel that cannot be bound stops the start.
 */
static int bind_channels(const struct hcrun_oci_kit *kit, const char *rootfs, hc_error_t **err)
{
	size_t i;

	if (rootfs == NULL || rootfs[0] != '/')
		return hc_error_set(err, EINVAL,
				    "lxc hook mount: no rootfs (LXC_ROOTFS_MOUNT) in the "
				    "environment");
	for (i = 0; i < kit->nchannels; i++) {
		const struct hcrun_oci_channel *ch = &kit->channels[i];

		if (hc_attach(&ch->spec, ch->host.real_path, rootfs, err) < 0)
			return hc_error_prefix(err, "host channel %s", ch->spec.host_path);
	}
	return 0;
}

int hcrun_lxc_hook(const struct hcrun_lxc_hook_opts *o, hc_error_t **err)
{
	static const char *const types[] = {"pre-start", "mount", "start-host", "destroy"};
	struct hcrun_oci_kit kit;
	char path[PATH_MAX];
	const char *type = o->type;
	bool known = false;
	size_t i;
	int ret = -1;

	if (absolute_state(o->state, path, sizeof(path), err) < 0)
		return -1;
	/* At a stop the channels stay, data and all (contract section 3). */
	if (strcmp(type, "stop") == 0 || strcmp(type, "post-stop") == 0)
		return 0;
	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		known = known || strcmp(type, types[i]) == 0;
	if (!known)
		return hc_error_set(err, EINVAL,
				    "lxc hook: unknown hook type \"%s\" (expected pre-start, "
				    "mount, start-host, destroy, stop or post-stop)",
				    type);
	/* A destroy after a teardown (or a second destroy) has nothing to do. */
	if (strcmp(type, "destroy") == 0 && access(path, F_OK) < 0 && errno == ENOENT)
		return 0;
	if (hcrun_oci_state_load(path, &kit, err) < 0 || check_owner(&kit, o->name, err) < 0)
		goto out;
	if (strcmp(type, "pre-start") == 0)
		ret = hcrun_oci_kit_mount(&kit, err);
	else if (strcmp(type, "mount") == 0)
		ret = bind_channels(&kit, o->rootfs, err);
	else if (strcmp(type, "start-host") == 0)
		ret = restore_propagation(&kit, o->pid, err);
	else
		ret = hcrun_oci_release(path, true, err);
out:
	hcrun_oci_kit_clear(&kit);
	return ret;
}
