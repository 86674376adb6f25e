// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The host half of a channel's life (contract section 3): make the host path
 * at create, mount the tmpfs there at start, take both away at delete.
 *
 * Between create and delete the path belongs to the channel, but the
 * directories around it belong to whoever can write them. So every later
 * step walks the resolved path from "/" one component at a time with
 * O_NOFOLLOW, and acts on file descriptors, never on a path that could have
 * been redirected by a symlink planted in the meantime.
 *
 * What is mounted at a path is asked of the kernel per mount (statx,
 * statmount), so that the thousandth channel costs what the first did; the
 * mount table, whose size grows with every channel, is read only where the
 * kernel cannot tell, and then through libmount, which decodes mountinfo's
 * escapes (a space is "\040").
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/vfs.h>
#include <unistd.h>
#include <linux/magic.h>

#include <libmount.h>

#include "hostchannel.h"
#include "mountapi.h"

/* Unmounting a stack of our own tmpfs more than this deep means a loop. */
#define MAX_STACKED 64

static void free_iterp(struct libmnt_iter **itr)
{
	mnt_free_iter(*itr);
	*itr = NULL;
}

static void free_contextp(struct libmnt_context **cxt)
{
	mnt_free_context(*cxt);
	*cxt = NULL;
}

#define cleanup_iter	__attribute__((cleanup(free_iterp)))
#define cleanup_context __attribute__((cleanup(free_contextp)))

static const char *file_kind(const struct stat *st)
{
	switch (st->st_mode & S_IFMT) {
	case S_IFDIR:
		return "a directory";
	case S_IFREG:
		return "a regular file";
	case S_IFLNK:
		return "a symlink";
	case S_IFIFO:
		return "a FIFO";
	case S_IFSOCK:
		return "a socket";
	case S_IFCHR:
		return "a character device";
	case S_IFBLK:
		return "a block device";
	}
	return "a file of unknown type";
}

/*
 * The tag ends up as the mount's source in mountinfo and in libmount's
 * source parser, which would read "LABEL=x" as a tag of its own or split on
 * a comma; a plain word is all a recognisable name needs.
 */
static int check_tag(const char *tag, hc_error_t **err)
{
	const char *p;

	if (tag == NULL || *tag == '\0')
		return hc_error_set(err, EINVAL, "host channel tag is empty");
	if (strlen(tag) > 255)
		return hc_error_set(err, EINVAL, "host channel tag \"%s\" is longer than 255 bytes",
				    tag);
	for (p = tag; *p != '\0'; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || strchr("._-+@:", *p) != NULL)
			continue;
		return hc_error_set(
			err, EINVAL,
			"host channel tag \"%s\" has a '%c'; expected letters, digits and ._-+@:",
			tag, *p);
	}
	return 0;
}

/*
 * A struct hc_host may come back from a state file, so its paths are checked
 * again: absolute, not "/", and free of "." and ".." (the walks below would
 * otherwise wander).
 */
static int check_host(const struct hc_host *host, hc_error_t **err)
{
	const char *p = host->real_path;
	size_t len = strnlen(p, sizeof(host->real_path));

	if (len == 0 || len == sizeof(host->real_path) || p[0] != '/' || len == 1 ||
	    p[len - 1] == '/' || strstr(p, "//") != NULL || strstr(p, "/./") != NULL ||
	    strstr(p, "/../") != NULL || strcmp(p + len - 2, "/.") == 0 ||
	    (len >= 3 && strcmp(p + len - 3, "/..") == 0))
		return hc_error_set(err, EINVAL,
				    "host channel path \"%.*s\" is not a resolved absolute path",
				    (int)len, p);
	len = strnlen(host->created_top, sizeof(host->created_top));
	if (len == sizeof(host->created_top))
		return hc_error_set(err, EINVAL, "host channel record is corrupt (created_top)");
	/* The token names a temporary directory: hex digits, nothing that walks. */
	len = strnlen(host->token, sizeof(host->token));
	if (len != 0 && (len != HC_HOST_TOKEN_LEN ||
			 strspn(host->token, "0123456789abcdef") != HC_HOST_TOKEN_LEN))
		return hc_error_set(err, EINVAL, "host channel record is corrupt (token)");
	if (strnlen(host->mnt_tag, sizeof(host->mnt_tag)) == sizeof(host->mnt_tag))
		return hc_error_set(err, EINVAL, "host channel record is corrupt (mnt_tag)");
	/* pending is real_path or one of its ancestors, and never "/". */
	len = strnlen(host->pending, sizeof(host->pending));
	if (len == sizeof(host->pending) ||
	    (len != 0 &&
	     (len < 2 || strncmp(p, host->pending, len) != 0 || (p[len] != '\0' && p[len] != '/'))))
		return hc_error_set(err, EINVAL, "host channel record is corrupt (pending)");
	return 0;
}

/* "/a/b/c" -> "/a/b"; "/a" -> "/". */
static void parent_of(const char *path, char *out, size_t len)
{
	const char *slash = strrchr(path, '/');
	size_t n = slash != NULL ? (size_t)(slash - path) : 0;

	if (n == 0)
		n = 1;
	if (n >= len)
		n = len - 1;
	/* memmove: callers climb in place, out == path. */
	memmove(out, path, n);
	out[n] = '\0';
}

static const char *leaf_of(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash != NULL ? slash + 1 : path;
}

/*
 * Open a resolved absolute path as O_PATH, one component at a time with
 * O_NOFOLLOW, so a component turned into a symlink fails instead of leading
 * elsewhere. Returns the fd, or -1 with errno set and the failing prefix in
 * bad.
 */
static int open_nofollow(const char *path, char *bad, size_t badlen)
{
	hc_cleanup_close int dirfd = -1;
	char buf[PATH_MAX];
	char *comp, *save = NULL;
	int fd;

	if (snprintf(buf, sizeof(buf), "%s", path) >= (int)sizeof(buf)) {
		snprintf(bad, badlen, "%s", path);
		errno = ENAMETOOLONG;
		return -1;
	}
	dirfd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0) {
		snprintf(bad, badlen, "/");
		return -1;
	}
	for (comp = strtok_r(buf, "/", &save); comp != NULL; comp = strtok_r(NULL, "/", &save)) {
		fd = openat(dirfd, comp, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0) {
			int saved = errno;

			snprintf(bad, badlen, "%.*s", (int)(comp - buf + strlen(comp)), path);
			errno = saved;
			return -1;
		}
		hc_cleanup_closep(&dirfd);
		dirfd = fd;
	}
	fd = dirfd;
	dirfd = -1;
	return fd;
}

/* Turn a failed open_nofollow() into a message that says what changed. */
static int walk_error(hc_error_t **err, int errnum, const char *path, const char *bad)
{
	struct stat st;

	if ((errnum == ELOOP || errnum == ENOTDIR) && lstat(bad, &st) == 0) {
		if (S_ISLNK(st.st_mode))
			return hc_error_set(
				err, ELOOP,
				"host path \"%s\": \"%s\" is a symlink now; the directories "
				"of a host channel must stay the ones it was created in",
				path, bad);
		if (!S_ISDIR(st.st_mode))
			return hc_error_set(err, ENOTDIR,
					    "host path \"%s\": \"%s\" is %s now, not a directory",
					    path, bad, file_kind(&st));
	}
	return hc_error_sys(err, errnum, "host path \"%s\": cannot open \"%s\"", path, bad);
}

/* rmdir(path), reaching its parent without following any symlink. */
static int rmdir_nofollow(const char *path)
{
	hc_cleanup_close int parentfd = -1;
	char parent[PATH_MAX], bad[PATH_MAX];

	parent_of(path, parent, sizeof(parent));
	parentfd = open_nofollow(parent, bad, sizeof(bad));
	if (parentfd < 0)
		return -1;
	return unlinkat(parentfd, leaf_of(path), AT_REMOVEDIR);
}

/*
 * Remove path and its parents up to and including top, each only while it
 * is an empty directory: the first one that is not (or that is gone already
 * further up) ends the climb quietly. top must be path or one of its
 * ancestors; anything else removes nothing beyond path.
 */
/* A teardown's step callback and its argument (hc_host_teardown_steps). */
struct steps {
	hc_host_step_fn fn;
	void *arg;
};

static void step_done(const struct steps *st, const char *what)
{
	if (st != NULL && st->fn != NULL)
		st->fn(st->arg, what);
}

static void rmdir_up_to_steps(const char *path, const char *top, const struct steps *st)
{
	char cur[PATH_MAX];
	size_t toplen = strlen(top);

	snprintf(cur, sizeof(cur), "%s", path);
	for (;;) {
		bool at_top = strcmp(cur, top) == 0;

		if (!at_top && (strncmp(cur, top, toplen) != 0 || cur[toplen] != '/'))
			return;
		if (rmdir_nofollow(cur) < 0) {
			if (errno != ENOENT)
				return;
		} else {
			step_done(st, "made parent removed");
		}
		if (at_top)
			return;
		parent_of(cur, cur, sizeof(cur));
	}
}

static void rmdir_up_to(const char *path, const char *top)
{
	rmdir_up_to_steps(path, top, NULL);
}

/* ------------------------------------------------------------------ prepare */

/*
 * The deepest ancestor of path that exists; the admin may have made it (or
 * one above it) a symlink, which is trusted and resolved.
 */
static int existing_ancestor(const char *path, char *base, size_t baselen, char **resolved,
			     hc_error_t **err)
{
	struct stat st;

	snprintf(base, baselen, "%s", path);
	for (;;) {
		parent_of(base, base, baselen);
		if (stat(base, &st) == 0)
			break;
		/* ENOTDIR: a file higher up; climbing reaches it and reports it. */
		if (errno != ENOENT && errno != ENOTDIR)
			return hc_error_sys(err, errno, "host path \"%s\": cannot check \"%s\"",
					    path, base);
	}
	if (!S_ISDIR(st.st_mode))
		return hc_error_set(err, ENOTDIR, "host path \"%s\": \"%s\" is %s, not a directory",
				    path, base, file_kind(&st));
	*resolved = realpath(base, NULL);
	if (*resolved == NULL)
		return hc_error_sys(err, errno, "host path \"%s\": cannot resolve \"%s\"", path,
				    base);
	return 0;
}

/*
 * The kernel's own file systems are no place for a channel: a mkdir there
 * makes a cgroup (cgroupfs), or fails in ways that say nothing (proc,
 * sysfs), and a tmpfs over a part of them hides the kernel's interface from
 * the whole host. Checked on the existing ancestor, by its file system
 * rather than its name, so a symlink or a bind mount cannot dress it up.
 */
static int refuse_kernel_fs(int dirfd, const char *path, const char *where, hc_error_t **err)
{
	static const struct {
		unsigned long magic;
		const char *name;
	} kernel_fs[] = {
		{PROC_SUPER_MAGIC, "proc"},
		{SYSFS_MAGIC, "sysfs"},
		{CGROUP_SUPER_MAGIC, "cgroup"},
		{CGROUP2_SUPER_MAGIC, "cgroup2"},
		{DEBUGFS_MAGIC, "debugfs"},
		{TRACEFS_MAGIC, "tracefs"},
		{SECURITYFS_MAGIC, "securityfs"},
		{BPF_FS_MAGIC, "bpf"},
		{PSTOREFS_MAGIC, "pstore"},
		{EFIVARFS_MAGIC, "efivarfs"},
		{SELINUX_MAGIC, "selinuxfs"},
		{SMACK_MAGIC, "smackfs"},
		{BINFMTFS_MAGIC, "binfmt_misc"},
		{DEVPTS_SUPER_MAGIC, "devpts"},
		{NSFS_MAGIC, "nsfs"},
	};
	static const char *const kernel_dirs[] = {"/proc", "/sys"};
	struct statfs sfs;
	size_t i;

	/* By name too: /sys holds other file systems (a hybrid host's
	 * /sys/fs/cgroup is a tmpfs), all of them the kernel's interface. */
	for (i = 0; i < sizeof(kernel_dirs) / sizeof(kernel_dirs[0]); i++) {
		size_t len = strlen(kernel_dirs[i]);

		if (strncmp(where, kernel_dirs[i], len) == 0 &&
		    (where[len] == '\0' || where[len] == '/'))
			return hc_error_set(err, EPERM,
					    "host path \"%s\": \"%s\" is under %s, the kernel's "
					    "interface; a host channel cannot be made there",
					    path, where, kernel_dirs[i]);
	}
	if (fstatfs(dirfd, &sfs) < 0)
		return hc_error_sys(err, errno, "host path \"%s\": cannot check \"%s\"", path,
				    where);
	for (i = 0; i < sizeof(kernel_fs) / sizeof(kernel_fs[0]); i++) {
		if ((unsigned long)sfs.f_type == kernel_fs[i].magic)
			return hc_error_set(err, EPERM,
					    "host path \"%s\": \"%s\" is on the kernel's %s file "
					    "system; a host channel cannot be made there",
					    path, where, kernel_fs[i].name);
	}
	return 0;
}

static void tmp_name(const struct hc_host *host, char *buf, size_t len)
{
	snprintf(buf, len, "%s%s", HC_HOST_TMP_PREFIX, host->token);
}

static int random_token(char *buf, size_t len, hc_error_t **err)
{
	unsigned char bytes[HC_HOST_TOKEN_LEN / 2];
	size_t i;
	ssize_t n;

	do {
		n = getrandom(bytes, sizeof(bytes), 0);
	} while (n < 0 && errno == EINTR);
	if (n != (ssize_t)sizeof(bytes))
		return hc_error_sys(err, n < 0 ? errno : EIO, "cannot draw a random token");
	for (i = 0; i < sizeof(bytes) && 2 * i + 2 < len; i++)
		snprintf(buf + 2 * i, 3, "%02x", bytes[i]);
	return 0;
}

/* Remove the temporary directory this prepare made in dirfd; says so when it stays. */
static int drop_tmp(int dirfd, const char *tmp, const char *path, hc_error_t **err)
{
	if (unlinkat(dirfd, tmp, AT_REMOVEDIR) == 0 || errno == ENOENT)
		return 0;
	return hc_error_prefix(err, "(and host path \"%s\": %s is left behind: %s)", path, tmp,
			       strerror(errno));
}

/*
 * The error for a component that cannot be opened as a directory: say what
 * it is instead.
 */
static int component_error(int dirfd, const char *name, int errnum, const char *path,
			   const char *prefix, hc_error_t **err)
{
	struct stat st;

	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && !S_ISDIR(st.st_mode))
		return hc_error_set(err, ENOTDIR,
				    "host path \"%s\": \"%s\" is %s, not a directory%s", path,
				    prefix, file_kind(&st),
				    S_ISLNK(st.st_mode) ? " (a symlink to nowhere?)" : "");
	return hc_error_sys(err, errnum, "host path \"%s\": cannot open \"%s\"", path, prefix);
}

/*
 * Make one component below dirfd: 0755 for a parent, 0700 for the leaf.
 * Returns an fd on it (O_PATH unless we made it), and whether we made it. A
 * parent that exists (or appears meanwhile) is someone else's and is used
 * as is; a leaf that appears meanwhile is refused.
 *
 * The directory is made as ".hostchannel-<token>" and renamed into place
 * with RENAME_NOREPLACE: at its final name it never exists without its
 * identity having been journaled first, and under its temporary name it
 * carries the record's random token. Either way a rollback after a crash
 * can tell it from a directory someone else made.
 */
static int make_component(int dirfd, const char *name, bool leaf, const char *path,
			  const char *prefix, struct hc_host *host, hc_host_journal_fn journal,
			  void *arg, bool *made, hc_error_t **err)
{
	char tmp[sizeof(HC_HOST_TMP_PREFIX) + HC_HOST_TOKEN_LEN];
	mode_t mode = leaf ? 0700 : 0755;
	hc_cleanup_close int tfd = -1;
	struct stat st;
	int fd;

	*made = false;
	if (!leaf) {
		fd = openat(dirfd, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd >= 0)
			return fd;
		if (errno != ENOENT)
			return component_error(dirfd, name, errno, path, prefix, err);
	}
	tmp_name(host, tmp, sizeof(tmp));
	snprintf(host->pending, sizeof(host->pending), "%s", prefix);
	host->pending_dev = 0;
	host->pending_ino = 0;
	if (journal != NULL && journal(arg, host, err) < 0)
		return -1;
	if (mkdirat(dirfd, tmp, mode) < 0) {
		if (errno == EEXIST)
			return hc_error_set(err, EEXIST,
					    "host path \"%s\": \"%s\" exists beside \"%s\"; not "
					    "making a directory there",
					    path, tmp, prefix);
		return hc_error_sys(err, errno, "host path \"%s\": cannot create \"%s\"", path,
				    prefix);
	}
	/* A real fd: fchmod needs one. The umask must not decide who can
	 * reach the channel. */
	tfd = openat(dirfd, tmp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (tfd < 0 || fchmod(tfd, mode) < 0 || fstat(tfd, &st) < 0) {
		hc_error_sys(err, errno, "host path \"%s\": cannot set up \"%s\" (mode %04o)", path,
			     prefix, (unsigned int)mode);
		return drop_tmp(dirfd, tmp, path, err);
	}
	host->pending_dev = st.st_dev;
	host->pending_ino = st.st_ino;
	if (journal != NULL && journal(arg, host, err) < 0)
		return drop_tmp(dirfd, tmp, path, err);
	if (renameat2(dirfd, tmp, dirfd, name, RENAME_NOREPLACE) < 0) {
		int saved = errno;

		if (saved == EEXIST && leaf)
			hc_error_set(err, EEXIST,
				     "host path \"%s\" was created by someone else meanwhile; a "
				     "host channel needs a path that does not exist",
				     path);
		else if (saved != EEXIST)
			hc_error_sys(err, saved, "host path \"%s\": cannot rename %s to \"%s\"",
				     path, tmp, prefix);
		if (drop_tmp(dirfd, tmp, path, err) < 0 || saved != EEXIST || leaf)
			return -1;
		/* A parent made by someone else meanwhile: theirs, used as is. */
		fd = openat(dirfd, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0)
			return component_error(dirfd, name, errno, path, prefix, err);
		return fd;
	}
	*made = true;
	fd = tfd;
	tfd = -1;
	return fd;
}

int hc_host_prepare(const char *host_path, struct hc_host *host, hc_error_t **err)
{
	return hc_host_prepare_journal(host_path, host, NULL, NULL, err);
}

int hc_host_prepare_journal(const char *host_path, struct hc_host *host, hc_host_journal_fn journal,
			    void *arg, hc_error_t **err)
{
	char clean[PATH_MAX], base[PATH_MAX], real[PATH_MAX], bad[PATH_MAX];
	char created_top[PATH_MAX] = "", last_made[PATH_MAX] = "";
	hc_cleanup_free char *resolved = NULL;
	hc_cleanup_close int dirfd = -1;
	const char *rest;
	char *comp, *next;
	struct stat st;
	size_t rlen;

	if (host == NULL)
		return hc_error_set(err, EINVAL, "hc_host_prepare: no host record");
	memset(host, 0, sizeof(*host));
	if (host_path == NULL)
		return hc_error_set(err, EINVAL, "host path missing");
	if (hc_path_clean(host_path, clean, sizeof(clean), err) < 0)
		return hc_error_prefix(err, "invalid host path");
	if (strcmp(clean, "/") == 0)
		return hc_error_set(err, EINVAL, "host path \"/\" cannot be a host channel");

	if (lstat(clean, &st) == 0)
		return hc_error_set(err, EEXIST,
				    "host path \"%s\" already exists (%s); a host channel needs a "
				    "path that does not exist",
				    clean, file_kind(&st));
	if (errno != ENOENT && errno != ENOTDIR)
		return hc_error_sys(err, errno, "cannot check host path \"%s\"", clean);

	if (existing_ancestor(clean, base, sizeof(base), &resolved, err) < 0)
		return -1;
	/* The part below the existing ancestor, "/x/y"; base "/" leaves it whole. */
	rest = clean + (strcmp(base, "/") == 0 ? 0 : strlen(base));
	if (strcmp(resolved, "/") == 0)
		rlen = (size_t)snprintf(real, sizeof(real), "%s", rest);
	else
		rlen = (size_t)snprintf(real, sizeof(real), "%s%s", resolved, rest);
	if (rlen >= sizeof(real))
		return hc_error_set(
			err, ENAMETOOLONG,
			"host path \"%s\" is too long once \"%s\" is resolved to \"%s\"", clean,
			base, resolved);

	dirfd = open_nofollow(resolved, bad, sizeof(bad));
	if (dirfd < 0)
		return walk_error(err, errno, clean, bad);
	if (refuse_kernel_fs(dirfd, clean, resolved, err) < 0)
		return -1;
	/* Known before anything is made: the journal's first record says it all. */
	if (random_token(host->token, sizeof(host->token), err) < 0)
		return -1;
	snprintf(host->path, sizeof(host->path), "%s", clean);
	snprintf(host->real_path, sizeof(host->real_path), "%s", real);

	/* Walk real's components below the resolved ancestor, making each. */
	comp = real + (rlen - strlen(rest)) + 1;
	for (; comp != NULL; comp = next) {
		char prefix[PATH_MAX], name[NAME_MAX + 1];
		bool leaf, made;
		size_t nlen;
		int fd;

		next = strchr(comp, '/');
		nlen = next != NULL ? (size_t)(next - comp) : strlen(comp);
		if (next != NULL)
			next++;
		leaf = next == NULL;
		if (nlen > NAME_MAX) {
			hc_error_set(err, ENAMETOOLONG,
				     "host path \"%s\": component \"%.*s\" is too long", clean,
				     (int)nlen, comp);
			goto undo;
		}
		snprintf(name, sizeof(name), "%.*s", (int)nlen, comp);
		snprintf(prefix, sizeof(prefix), "%.*s", (int)(comp - real + nlen), real);

		fd = make_component(dirfd, name, leaf, clean, prefix, host, journal, arg, &made,
				    err);
		if (fd < 0)
			goto undo;
		hc_cleanup_closep(&dirfd);
		dirfd = fd;
		if (made) {
			if (created_top[0] == '\0')
				snprintf(created_top, sizeof(created_top), "%s", prefix);
			snprintf(last_made, sizeof(last_made), "%s", prefix);
			snprintf(host->created_top, sizeof(host->created_top), "%s", created_top);
			if (journal != NULL && journal(arg, host, err) < 0)
				goto undo;
		}
	}

	if (fstat(dirfd, &st) < 0) {
		hc_error_sys(err, errno, "host path \"%s\": cannot stat \"%s\"", clean, real);
		goto undo;
	}
	host->dev = st.st_dev;
	host->ino = st.st_ino;
	host->pending[0] = '\0';
	host->pending_dev = 0;
	host->pending_ino = 0;
	return 0;

undo:
	hc_cleanup_closep(&dirfd);
	if (last_made[0] != '\0')
		rmdir_up_to(last_made, created_top);
	memset(host, 0, sizeof(*host));
	return -1;
}

/* ------------------------------------------------------- what is mounted */

/*
 * Which mount a lookup of a path reaches, and whose it is. statx names the
 * mount a descriptor is on and says whether the descriptor is that mount's
 * root: a directory opened at the path is the root of a mount exactly when
 * something is mounted there (the lookup of its last component crossed into
 * the mount on top). Whose it is: the record's own tmpfs when the unique ID
 * is the one recorded at mount time; otherwise statmount() names its type
 * and source. Where the kernel has neither, the mount table says, read once
 * into a struct hc_mounts and checked against the live mount ID.
 *
 * The kernel's interfaces as Linux 6.8 to 6.13 define them, under our own
 * names: the 6.1 headers this builds against lack them, newer libc headers
 * have their own.
 */
#ifndef SYS_statmount
#define SYS_statmount 457
#endif
#ifndef SYS_listmount
#define SYS_listmount 458
#endif
#ifndef STATX_MNT_ID
#define STATX_MNT_ID 0x00001000U
#endif
#ifndef STATX_MNT_ID_UNIQUE
#define STATX_MNT_ID_UNIQUE 0x00004000U
#endif
#ifndef STATX_ATTR_MOUNT_ROOT
#define STATX_ATTR_MOUNT_ROOT 0x00002000
#endif
#define HC_STATMOUNT_MNT_BASIC	0x00000002U
#define HC_STATMOUNT_MNT_POINT	0x00000010U
#define HC_STATMOUNT_FS_TYPE	0x00000020U
#define HC_STATMOUNT_SB_SOURCE	0x00000200U /* Linux 6.13 */
#define HC_MNT_ID_REQ_SIZE_VER0 24

struct hc_mnt_id_req {
	uint32_t size;
	uint32_t spare;
	uint64_t mnt_id;
	uint64_t param;
};

/* The first 512 bytes never change; the strings follow them. */
struct hc_statmount {
	uint32_t size;
	uint32_t mnt_opts;
	uint64_t mask;
	uint32_t sb_dev_major;
	uint32_t sb_dev_minor;
	uint64_t sb_magic;
	uint32_t sb_flags;
	uint32_t fs_type;
	uint64_t mnt_id;
	uint64_t mnt_parent_id;
	uint32_t mnt_id_old;
	uint32_t mnt_parent_id_old;
	uint64_t mnt_attr;
	uint64_t mnt_propagation;
	uint64_t mnt_peer_group;
	uint64_t mnt_master;
	uint64_t propagate_from;
	uint32_t mnt_root;
	uint32_t mnt_point;
	uint64_t mnt_ns_id;
	uint32_t fs_subtype;
	uint32_t sb_source;
	uint64_t spare[48];
};
_Static_assert(sizeof(struct hc_statmount) == 512, "struct statmount is 512 bytes");

union statmount_buf {
	struct hc_statmount sm;
	char bytes[sizeof(struct hc_statmount) + 2 * PATH_MAX];
};

/* One mount of the table, in the order it is sorted by. */
struct table_ref {
	const char *target;
	size_t order; /* its place in mountinfo */
	struct libmnt_fs *fs;
};

struct hc_mounts {
	struct libmnt_table *tb; /* NULL until a call needs it */
	struct table_ref *byt;	 /* tb's mounts by target, then in mountinfo's order */
	size_t n;
	unsigned int reads;
	bool no_statmount; /* ENOSYS once: not asked again */
	bool no_sb_source; /* a statmount() that refused STATMOUNT_SB_SOURCE */
	bool no_listmount;
};

/* What is mounted at a channel's path, as far as a call needed to know. */
struct at_path {
	bool mounted;  /* something is: a lookup of the path reaches a mount's root */
	bool top_ours; /* the mount on top is a tmpfs of the tag */
	int ours;      /* tmpfs of the tag at the path: the one on top and those it covers */
	uint64_t uid;  /* the top one's unique ID; 0 when the kernel gives none */
	int old_id;    /* its ID in mountinfo; 0 when not read from the table */
	char type[64]; /* the top one's, for messages */
	char source[256];
};

static void mounts_clear(struct hc_mounts *m)
{
	mnt_unref_table(m->tb);
	m->tb = NULL;
	free(m->byt);
	m->byt = NULL;
	m->n = 0;
}

int hc_mounts_new(struct hc_mounts **mounts, hc_error_t **err)
{
	if (mounts == NULL)
		return hc_error_set(err, EINVAL, "hc_mounts_new: no result pointer");
	*mounts = calloc(1, sizeof(**mounts));
	if (*mounts == NULL)
		return hc_error_sys(err, ENOMEM, "cannot keep a view of the mount table");
	return 0;
}

void hc_mounts_free(struct hc_mounts *mounts)
{
	if (mounts == NULL)
		return;
	mounts_clear(mounts);
	free(mounts);
}

unsigned int hc_mounts_reads(const struct hc_mounts *mounts)
{
	return mounts != NULL ? mounts->reads : 0;
}

/* A lookup's mount, as statx tells it. */
struct live {
	bool known;  /* the kernel told: a mount ID and STATX_ATTR_MOUNT_ROOT */
	bool root;   /* fd is its mount's root: something is mounted at the path */
	bool unique; /* id is STATX_MNT_ID_UNIQUE's (Linux 6.8), else mountinfo's */
	uint64_t id;
};

/* mask: STATX_MNT_ID for mountinfo's ID, with STATX_MNT_ID_UNIQUE for the other. */
static int live_of(int fd, unsigned int mask, struct live *lv)
{
	struct statx sx;

	memset(lv, 0, sizeof(*lv));
	if (statx(fd, "", AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW, mask, &sx) < 0)
		return errno == ENOSYS || errno == EPERM ? 0 : -1;
	if ((sx.stx_mask & (STATX_MNT_ID | STATX_MNT_ID_UNIQUE)) == 0 ||
	    (sx.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT) == 0)
		return 0;
	lv->known = true;
	lv->root = (sx.stx_attributes & STATX_ATTR_MOUNT_ROOT) != 0;
	lv->unique = (sx.stx_mask & STATX_MNT_ID_UNIQUE) != 0;
	lv->id = sx.stx_mnt_id;
	return 0;
}

/* A string of a statmount() answer; "" when the kernel left it out. */
static const char *sm_str(const union statmount_buf *b, uint64_t want, uint32_t off)
{
	size_t room = sizeof(b->bytes) - sizeof(b->sm);

	if ((b->sm.mask & want) == 0 || off >= room || b->sm.size <= sizeof(b->sm) ||
	    off >= b->sm.size - sizeof(b->sm) ||
	    memchr(b->bytes + sizeof(b->sm) + off, '\0', room - off) == NULL)
		return "";
	return b->bytes + sizeof(b->sm) + off;
}

/* 0 with *b filled; 1 when the kernel cannot say (no statmount, the mount went). */
static int stat_mount(struct hc_mounts *m, uint64_t id, union statmount_buf *b)
{
	const uint64_t need =
		HC_STATMOUNT_MNT_BASIC | HC_STATMOUNT_MNT_POINT | HC_STATMOUNT_FS_TYPE;
	struct hc_mnt_id_req req = {
		.size = HC_MNT_ID_REQ_SIZE_VER0,
		.mnt_id = id,
		.param = need | (m->no_sb_source ? 0 : HC_STATMOUNT_SB_SOURCE),
	};
	long rc;

	if (m->no_statmount)
		return 1;
	rc = syscall(SYS_statmount, &req, b, sizeof(*b), 0);
	/* A kernel that refuses a flag it does not know, rather than leave it out. */
	if (rc < 0 && errno == EINVAL && !m->no_sb_source) {
		m->no_sb_source = true;
		req.param = need;
		rc = syscall(SYS_statmount, &req, b, sizeof(*b), 0);
	}
	if (rc < 0) {
		/* EPERM: a seccomp filter that does not know it. */
		if (errno == ENOSYS || errno == EPERM)
			m->no_statmount = true;
		return 1;
	}
	return (b->sm.mask & need) == need ? 0 : 1;
}

/* The tmpfs this record's hc_host_mount() made or took, by its unique ID. */
static bool recorded(const struct hc_host *host, const char *tag, uint64_t uid)
{
	return uid != 0 && host->mnt_id == uid && strcmp(host->mnt_tag, tag) == 0;
}

static void set_top(struct at_path *at, const char *type, const char *source)
{
	snprintf(at->type, sizeof(at->type), "%s", type[0] != '\0' ? type : "?");
	snprintf(at->source, sizeof(at->source), "%s", source[0] != '\0' ? source : "?");
}

/*
 * The stack at the path from the kernel: lv is a mount's root. 0 when
 * answered, 1 when only the table can say (no statmount, a mount whose
 * source the kernel does not give and whose ID was not recorded).
 */
static int kernel_at(struct hc_mounts *m, const struct hc_host *host, const char *tag,
		     const struct live *lv, struct at_path *at)
{
	union statmount_buf b;
	uint64_t id = lv->id;
	int depth;

	at->mounted = true;
	if (!lv->unique)
		return 1;
	at->uid = lv->id;
	if (recorded(host, tag, lv->id)) {
		at->top_ours = true;
		at->ours = 1;
		set_top(at, "tmpfs", tag);
		return 0;
	}
	/* Stacked mounts share the path; each sits on the one it covers. */
	for (depth = 0; depth < MAX_STACKED; depth++) {
		const char *type, *source;
		bool ours;

		if (stat_mount(m, id, &b) != 0)
			return 1;
		if (strcmp(sm_str(&b, HC_STATMOUNT_MNT_POINT, b.sm.mnt_point), host->real_path) !=
		    0) {
			if (depth == 0)
				return 1; /* not where the lookup came from: let the table say */
			break;
		}
		type = sm_str(&b, HC_STATMOUNT_FS_TYPE, b.sm.fs_type);
		source = sm_str(&b, HC_STATMOUNT_SB_SOURCE, b.sm.sb_source);
		if (recorded(host, tag, id))
			ours = true;
		else if ((b.sm.mask & HC_STATMOUNT_SB_SOURCE) != 0)
			ours = strcmp(type, "tmpfs") == 0 && strcmp(source, tag) == 0;
		else
			return 1; /* before 6.13: the source is the table's to tell */
		if (depth == 0) {
			at->top_ours = ours;
			set_top(at, type, source);
		}
		at->ours += ours;
		/* Ours on top answers every question a caller asks. */
		if (at->top_ours || b.sm.mnt_parent_id == id)
			break;
		id = b.sm.mnt_parent_id;
	}
	return 0;
}

static int ref_cmp(const void *a, const void *b)
{
	const struct table_ref *x = a, *y = b;
	int c = strcmp(x->target, y->target);

	if (c != 0)
		return c;
	return x->order < y->order ? -1 : x->order > y->order;
}

/* Read /proc/self/mountinfo (libmount decodes its escapes) and sort it by target. */
static int read_table(struct hc_mounts *m, hc_error_t **err)
{
	cleanup_iter struct libmnt_iter *itr = NULL;
	struct libmnt_fs *fs;
	size_t cap;
	int rc;

	mounts_clear(m);
	m->reads++;
	m->tb = mnt_new_table();
	if (m->tb == NULL)
		return hc_error_sys(err, ENOMEM, "cannot read the mount table");
	rc = mnt_table_parse_file(m->tb, "/proc/self/mountinfo");
	if (rc < 0) {
		mounts_clear(m);
		return hc_error_sys(err, -rc, "cannot read /proc/self/mountinfo");
	}
	cap = (size_t)mnt_table_get_nents(m->tb);
	m->byt = calloc(cap ? cap : 1, sizeof(*m->byt));
	itr = mnt_new_iter(MNT_ITER_FORWARD);
	if (m->byt == NULL || itr == NULL) {
		mounts_clear(m);
		return hc_error_sys(err, ENOMEM, "cannot walk the mount table");
	}
	while (m->n < cap && (rc = mnt_table_next_fs(m->tb, itr, &fs)) == 0) {
		if (mnt_fs_get_target(fs) == NULL)
			continue;
		m->byt[m->n] = (struct table_ref){mnt_fs_get_target(fs), m->n, fs};
		m->n++;
	}
	if (rc < 0) {
		mounts_clear(m);
		return hc_error_sys(err, -rc, "cannot walk the mount table");
	}
	qsort(m->byt, m->n, sizeof(*m->byt), ref_cmp);
	return 0;
}

static bool fs_is_ours(struct libmnt_fs *fs, const char *tag)
{
	const char *type = mnt_fs_get_fstype(fs);
	const char *src = mnt_fs_get_source(fs);

	return type != NULL && strcmp(type, "tmpfs") == 0 && src != NULL && strcmp(src, tag) == 0;
}

/* The first of the mounts at path in m->byt, and how many there are. */
static size_t table_run(const struct hc_mounts *m, const char *path, size_t *count)
{
	size_t lo = 0, hi = m->n, end;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (strcmp(m->byt[mid].target, path) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (end = lo; end < m->n && strcmp(m->byt[end].target, path) == 0; end++)
		;
	*count = end - lo;
	return lo;
}

/*
 * The mounts at path in the table. Stacked mounts share a target; the one
 * on top is the one no other mount at that target sits on (the last in
 * mountinfo's order, should two claim it).
 */
static void table_at_path(const struct hc_mounts *m, const char *path, const char *tag,
			  struct at_path *at, struct libmnt_fs **top)
{
	size_t first, count, i, j;

	*top = NULL;
	first = table_run(m, path, &count);
	for (i = first; i < first + count; i++) {
		struct libmnt_fs *fs = m->byt[i].fs;
		bool covered = false;

		if (fs_is_ours(fs, tag))
			at->ours++;
		for (j = first; j < first + count && !covered; j++)
			covered = j != i && mnt_fs_get_parent_id(m->byt[j].fs) == mnt_fs_get_id(fs);
		if (!covered)
			*top = fs;
	}
	at->mounted = *top != NULL;
	if (*top == NULL)
		return;
	at->top_ours = fs_is_ours(*top, tag);
	at->old_id = mnt_fs_get_id(*top);
	set_top(at, mnt_fs_get_fstype(*top) ?: "", mnt_fs_get_source(*top) ?: "");
}

/*
 * The stack at path from the table, read at most once for the calls that
 * share m: what it shows at path must agree with what a lookup of fd
 * reaches now (statx), or it is read again. Without mount IDs in statx
 * there is nothing to check it against, so it is read afresh.
 */
static int table_at(struct hc_mounts *m, const char *path, const char *tag, int fd,
		    struct at_path *at, hc_error_t **err)
{
	uint64_t uid = at->uid;
	struct libmnt_fs *top;
	struct live lv;
	int attempt;

	if (live_of(fd, STATX_MNT_ID, &lv) < 0)
		return hc_error_sys(err, errno, "cannot look at the mount at \"%s\"", path);
	for (attempt = 0;; attempt++) {
		if ((m->tb == NULL || !lv.known || attempt > 0) && read_table(m, err) < 0)
			return -1;
		memset(at, 0, sizeof(*at));
		table_at_path(m, path, tag, at, &top);
		if (!lv.known || attempt > 0 ||
		    (lv.root == at->mounted && (!lv.root || (uint64_t)at->old_id == lv.id)))
			break;
	}
	/* The unique ID statx gave is this very mount's when both agree. */
	if (lv.known && lv.root && at->mounted && (uint64_t)at->old_id == lv.id)
		at->uid = uid;
	return 0;
}

/* What is mounted at host->real_path, reached as fd (a directory opened there). */
static int look_at(struct hc_mounts *m, const struct hc_host *host, const char *tag, int fd,
		   struct at_path *at, hc_error_t **err)
{
	struct live lv;

	memset(at, 0, sizeof(*at));
	if (live_of(fd, STATX_MNT_ID | STATX_MNT_ID_UNIQUE, &lv) < 0)
		return hc_error_sys(err, errno, "cannot look at the mount at \"%s\"",
				    host->real_path);
	if (lv.known && !lv.root)
		return 0;
	if (lv.known && kernel_at(m, host, tag, &lv, at) == 0)
		return 0;
	return table_at(m, host->real_path, tag, fd, at, err);
}

/* Save the tmpfs found or made in the record, when the kernel names it for good. */
static void remember(struct hc_host *host, const char *tag, const struct at_path *at)
{
	host->mnt_id = at->uid;
	snprintf(host->mnt_tag, sizeof(host->mnt_tag), "%s", at->uid != 0 ? tag : "");
}

/*
 * Open host->real_path's parent (walking from "/" without following any
 * symlink) and the directory at the path. 1 when the path no longer leads
 * to a directory: nothing of ours can be mounted there (a mount moves with
 * its renamed directory), and what changed is for the caller's later steps
 * to say.
 */
static int open_at_path(const struct hc_host *host, int *parentfd, int *leaffd, hc_error_t **err)
{
	char parent[PATH_MAX], bad[PATH_MAX];
	const char *path = host->real_path;

	parent_of(path, parent, sizeof(parent));
	*parentfd = open_nofollow(parent, bad, sizeof(bad));
	if (*parentfd >= 0)
		*leaffd = openat(*parentfd, leaf_of(path),
				 O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (*parentfd >= 0 && *leaffd >= 0)
		return 0;
	if (errno == ENOENT || errno == ENOTDIR || errno == ELOOP)
		return 1;
	return walk_error(err, errno, path, *parentfd < 0 ? bad : path);
}

int hc_host_is_mounted_with(struct hc_mounts *m, const struct hc_host *host, const char *tag,
			    bool *mounted, hc_error_t **err)
{
	hc_cleanup_close int parentfd = -1, leaffd = -1;
	struct hc_mounts own = {0};
	struct at_path at;
	int rc;

	if (mounted == NULL)
		return hc_error_set(err, EINVAL, "hc_host_is_mounted: no result pointer");
	*mounted = false;
	if (host == NULL)
		return hc_error_set(err, EINVAL, "hc_host_is_mounted: no host record");
	if (check_host(host, err) < 0 || check_tag(tag, err) < 0)
		return -1;
	rc = open_at_path(host, &parentfd, &leaffd, err);
	if (rc != 0)
		return rc < 0 ? -1 : 0;
	rc = look_at(m != NULL ? m : &own, host, tag, leaffd, &at, err);
	mounts_clear(&own);
	if (rc < 0)
		return -1;
	*mounted = at.ours > 0;
	return 0;
}

int hc_host_is_mounted(const struct hc_host *host, const char *tag, bool *mounted, hc_error_t **err)
{
	return hc_host_is_mounted_with(NULL, host, tag, mounted, err);
}

/* -------------------------------------------------------------------- mount */

static int fsconfig_string(int fsfd, const char *key, const char *value)
{
	return (int)syscall(SYS_fsconfig, fsfd, FSCONFIG_SET_STRING, key, value, 0);
}

/*
 * The new mount API builds the tmpfs detached and attaches it to the very
 * directory leaffd names. Returns 1 when the kernel predates it (ENOSYS).
 * *made: the new mount's ID, taken while our descriptor on it keeps the ID
 * its own (known false when statx cannot tell).
 */
static int mount_new_api(int leaffd, const char *path, uint64_t size, const char *tag,
			 struct live *made, hc_error_t **err)
{
	hc_cleanup_close int fsfd = -1, mntfd = -1;
	struct hc_mount_attr attr = {.propagation = MS_PRIVATE};
	char sizebuf[32], procpath[64];
	int saved;

	fsfd = (int)syscall(SYS_fsopen, "tmpfs", FSOPEN_CLOEXEC);
	if (fsfd < 0 && errno == ENOSYS)
		return 1;
	if (fsfd < 0)
		return hc_error_sys(err, errno, "cannot mount a tmpfs at \"%s\": fsopen", path);
	snprintf(sizebuf, sizeof(sizebuf), "%" PRIu64, size);
	if (fsconfig_string(fsfd, "source", tag) < 0 || fsconfig_string(fsfd, "mode", "1777") < 0 ||
	    fsconfig_string(fsfd, "size", sizebuf) < 0)
		return hc_error_sys(err, errno,
				    "cannot mount a tmpfs at \"%s\": source=%s,mode=1777,size=%s",
				    path, tag, sizebuf);
	if (syscall(SYS_fsconfig, fsfd, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
		return hc_error_sys(err, errno, "cannot create a tmpfs for \"%s\"", path);
	mntfd = (int)syscall(SYS_fsmount, fsfd, FSMOUNT_CLOEXEC,
			     MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC);
	if (mntfd < 0)
		return hc_error_sys(err, errno, "cannot mount a tmpfs at \"%s\": fsmount", path);
	if (live_of(mntfd, STATX_MNT_ID | STATX_MNT_ID_UNIQUE, made) < 0)
		return hc_error_sys(err, errno, "cannot look at the new tmpfs for \"%s\"", path);
	if (syscall(SYS_move_mount, mntfd, "", leaffd, "",
		    MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
		return hc_error_sys(err, errno, "cannot mount a tmpfs at \"%s\": move_mount", path);

	/*
	 * Only now: attaching under a shared parent makes the new mount shared,
	 * whatever it was before. mount_setattr came in 5.12, fsopen in 5.2.
	 */
	if (syscall(SYS_mount_setattr, mntfd, "", AT_EMPTY_PATH, &attr, sizeof(attr)) == 0)
		return 0;
	snprintf(procpath, sizeof(procpath), "/proc/self/fd/%d", mntfd);
	if (errno == ENOSYS && mount(NULL, procpath, NO_FSTYPE, MS_PRIVATE, NULL) == 0)
		return 0;
	saved = errno;
	/* Our own fd pins it, so only a lazy unmount can take it back. */
	if (umount2(procpath, MNT_DETACH) < 0)
		return hc_error_sys(err, saved,
				    "cannot make the tmpfs at \"%s\" private, nor unmount it again "
				    "(%s)",
				    path, strerror(errno));
	return hc_error_sys(err, saved, "cannot make the tmpfs at \"%s\" private", path);
}

/*
 * For kernels without fsopen: mount(2) through libmount, on
 * /proc/self/fd/<leaffd> so that it lands on the directory we checked.
 */
static int mount_libmount(int parentfd, int leaffd, const char *path, uint64_t size,
			  const char *tag, hc_error_t **err)
{
	cleanup_context struct libmnt_context *cxt = NULL;
	hc_cleanup_close int rootfd = -1;
	char target[64], opts[128];
	struct statfs sfs;
	int rc;

	snprintf(target, sizeof(target), "/proc/self/fd/%d", leaffd);
	snprintf(opts, sizeof(opts), "mode=1777,size=%" PRIu64 ",nosuid,nodev,noexec", size);
	cxt = mnt_new_context();
	if (cxt == NULL)
		return hc_error_sys(err, ENOMEM, "cannot mount a tmpfs at \"%s\"", path);
	/*
	 * No helper (/sbin/mount.tmpfs could be anything), no utab, no fstab,
	 * and no canonicalizing: that would turn the fd back into a path.
	 */
	rc = mnt_context_disable_helpers(cxt, 1);
	if (rc == 0)
		rc = mnt_context_disable_mtab(cxt, 1);
	if (rc == 0)
		rc = mnt_context_disable_canonicalize(cxt, 1);
	if (rc == 0)
		rc = mnt_context_set_optsmode(cxt, MNT_OMODE_IGNORE);
	if (rc == 0)
		rc = mnt_context_set_fstype(cxt, "tmpfs");
	if (rc == 0)
		rc = mnt_context_set_source(cxt, tag);
	if (rc == 0)
		rc = mnt_context_set_target(cxt, target);
	if (rc == 0)
		rc = mnt_context_set_options(cxt, opts);
	if (rc < 0)
		return hc_error_sys(err, -rc, "cannot set up the mount of a tmpfs at \"%s\"", path);
	rc = mnt_context_mount(cxt);
	if (rc != 0) {
		int errnum = mnt_context_syscall_called(cxt) ? mnt_context_get_syscall_errno(cxt)
							     : (rc < 0 ? -rc : EINVAL);

		return hc_error_sys(err, errnum, "cannot mount a tmpfs at \"%s\" (%s)", path, opts);
	}

	/* leaffd still names the covered directory; a fresh lookup reaches the tmpfs. */
	rootfd = openat(parentfd, leaf_of(path), O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (rootfd < 0)
		return hc_error_sys(err, errno, "cannot open the new tmpfs at \"%s\"", path);
	if (fstatfs(rootfd, &sfs) < 0)
		return hc_error_sys(err, errno, "cannot check the new tmpfs at \"%s\"", path);
	if (sfs.f_type != TMPFS_MAGIC)
		return hc_error_set(err, EBUSY,
				    "\"%s\" is not the tmpfs just mounted; something was mounted "
				    "over it meanwhile",
				    path);
	snprintf(target, sizeof(target), "/proc/self/fd/%d", rootfd);
	if (mount(NULL, target, NO_FSTYPE, MS_PRIVATE, NULL) < 0)
		return hc_error_sys(err, errno, "cannot make the tmpfs at \"%s\" private", path);
	return 0;
}

/*
 * Read it back: what counts is what a lookup of the path reaches now. The
 * mount just made, by its ID while our descriptor kept it its own; else the
 * lookup's mount must be a tmpfs of the tag.
 */
static int check_mounted(struct hc_mounts *m, struct hc_host *host, const char *tag, int parentfd,
			 const struct live *made, hc_error_t **err)
{
	const char *path = host->real_path;
	hc_cleanup_close int rootfd = -1;
	struct at_path at;
	struct live lv;

	rootfd = openat(parentfd, leaf_of(path), O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (rootfd < 0)
		return hc_error_sys(err, errno, "cannot open the new tmpfs at \"%s\"", path);
	if (made->known) {
		if (live_of(rootfd, STATX_MNT_ID | STATX_MNT_ID_UNIQUE, &lv) < 0)
			return hc_error_sys(err, errno, "cannot look at the new tmpfs at \"%s\"",
					    path);
		if (lv.known && (!lv.root || lv.unique != made->unique || lv.id != made->id))
			return hc_error_set(err, EIO,
					    "mounted a tmpfs at \"%s\", but a lookup of the path "
					    "reaches another mount",
					    path);
		if (lv.known) {
			memset(&at, 0, sizeof(at));
			at.uid = made->unique ? made->id : 0;
			remember(host, tag, &at);
			return 0;
		}
	}
	if (look_at(m, host, tag, rootfd, &at, err) < 0)
		return -1;
	if (!at.mounted || !at.top_ours)
		return hc_error_set(err, EIO,
				    "mounted a tmpfs at \"%s\", but the mount there is not a tmpfs "
				    "\"%s\"",
				    path, tag);
	remember(host, tag, &at);
	return 0;
}

int hc_host_mount_with(struct hc_mounts *m, struct hc_host *host, uint64_t size, const char *tag,
		       bool *reused, hc_error_t **err)
{
	hc_cleanup_close int parentfd = -1, leaffd = -1;
	char parent[PATH_MAX], bad[PATH_MAX];
	struct live made = {0};
	const char *path;
	struct at_path at;
	struct stat st;
	int rc;

	if (m == NULL)
		return hc_host_mount(host, size, tag, reused, err);
	if (reused != NULL)
		*reused = false;
	if (host == NULL)
		return hc_error_set(err, EINVAL, "hc_host_mount: no host record");
	if (check_host(host, err) < 0 || check_tag(tag, err) < 0)
		return -1;
	path = host->real_path;
	/* tmpfs reads size=0 as "no limit". */
	if (size == 0)
		return hc_error_set(err, EINVAL, "host channel at \"%s\": size 0 is not a size",
				    path);

	parent_of(path, parent, sizeof(parent));
	parentfd = open_nofollow(parent, bad, sizeof(bad));
	if (parentfd < 0)
		return walk_error(err, errno, path, bad);
	leaffd = openat(parentfd, leaf_of(path), O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (leaffd < 0)
		return walk_error(err, errno, path, path);

	if (look_at(m, host, tag, leaffd, &at, err) < 0)
		return -1;
	if (at.mounted && at.top_ours) {
		if (reused != NULL)
			*reused = true;
		remember(host, tag, &at);
		return 0;
	}
	if (at.mounted)
		return hc_error_set(err, EBUSY,
				    "host path \"%s\" already has a mount (%s \"%s\")%s; not "
				    "mounting the host channel there",
				    path, at.type, at.source,
				    at.ours > 0 ? " on top of the channel's own tmpfs" : "");

	if (fstat(leaffd, &st) < 0)
		return hc_error_sys(err, errno, "cannot stat host path \"%s\"", path);
	if (st.st_dev != host->dev || st.st_ino != host->ino)
		return hc_error_set(err, EPERM,
				    "host path \"%s\" is not the directory created for the host "
				    "channel (it was replaced); not mounting there",
				    path);

	rc = mount_new_api(leaffd, path, size, tag, &made, err);
	if (rc == 1)
		rc = mount_libmount(parentfd, leaffd, path, size, tag, err);
	if (rc < 0)
		return -1;
	return check_mounted(m, host, tag, parentfd, &made, err);
}

int hc_host_mount(struct hc_host *host, uint64_t size, const char *tag, bool *reused,
		  hc_error_t **err)
{
	struct hc_mounts own = {0};
	int rc = hc_host_mount_with(&own, host, size, tag, reused, err);

	mounts_clear(&own);
	return rc;
}

/* ----------------------------------------------------------------- teardown */

/*
 * Is anything mounted on or below our tmpfs, the one on top at path (at)?
 * A lazy unmount would detach that too, and it is not ours to take: the
 * error names it. Asked afresh: it may have come after the last look.
 */
static int refuse_mounts_below(struct hc_mounts *m, const char *path, const char *tag,
			       const struct at_path *at, hc_error_t **err)
{
	struct hc_mnt_id_req req = {.size = HC_MNT_ID_REQ_SIZE_VER0, .mnt_id = at->uid};
	const char *type = "?", *source = "?", *target = "?";
	union statmount_buf b;
	struct libmnt_fs *top;
	struct at_path now;
	uint64_t child;
	long n = -1;
	size_t i;

	if (at->uid != 0 && !m->no_listmount) {
		n = syscall(SYS_listmount, &req, &child, 1, 0);
		if (n < 0 && (errno == ENOSYS || errno == EPERM))
			m->no_listmount = true;
	}
	if (n == 0)
		return 0;
	if (n > 0) {
		/* Before 6.13 statmount() leaves the source out: the table names
		 * it (an error path, so its cost does not matter). */
		if (stat_mount(m, child, &b) == 0 && (b.sm.mask & HC_STATMOUNT_SB_SOURCE) != 0) {
			type = sm_str(&b, HC_STATMOUNT_FS_TYPE, b.sm.fs_type);
			source = sm_str(&b, HC_STATMOUNT_SB_SOURCE, b.sm.sb_source);
			target = sm_str(&b, HC_STATMOUNT_MNT_POINT, b.sm.mnt_point);
			goto busy;
		}
	}
	if (n > 0) {
		/* listmount() saw one: refuse even if the table cannot be read
		 * or no longer shows it. */
		hc_error_t *terr = NULL;

		if (read_table(m, &terr) < 0) {
			hc_error_free(&terr);
			goto busy;
		}
	} else if (read_table(m, err) < 0) {
		return -1;
	}
	memset(&now, 0, sizeof(now));
	table_at_path(m, path, tag, &now, &top);
	if (top == NULL && n > 0)
		goto busy;
	if (top == NULL)
		return 0; /* gone meanwhile: the next look tells */
	for (i = 0; i < m->n; i++) {
		struct libmnt_fs *fs = m->byt[i].fs;

		if (fs == top || mnt_fs_get_parent_id(fs) != mnt_fs_get_id(top))
			continue;
		type = mnt_fs_get_fstype(fs) ?: "?";
		source = mnt_fs_get_source(fs) ?: "?";
		target = mnt_fs_get_target(fs) ?: "?";
		goto busy;
	}
	if (n > 0)
		goto busy;
	return 0;
busy:
	return hc_error_set(err, EBUSY,
			    "host path \"%s\" has a mount below it (%s \"%s\" at \"%s\"); the host "
			    "channel's tmpfs is left in place",
			    path, type[0] ? type : "?", source[0] ? source : "?",
			    target[0] ? target : "?");
}

/* Unmount our tmpfs at the path until none is left; never anyone else's. */
static int unmount_ours(struct hc_mounts *m, const struct hc_host *host, const char *tag,
			const struct steps *st, hc_error_t **err)
{
	const char *path = host->real_path;
	int i, rc;

	for (i = 0; i < MAX_STACKED; i++) {
		hc_cleanup_close int parentfd = -1, leaffd = -1;
		struct at_path at;

		/* umount2 takes a path: make sure no component of it was swapped. */
		rc = open_at_path(host, &parentfd, &leaffd, err);
		if (rc != 0)
			return rc < 0 ? -1 : 0;
		if (look_at(m, host, tag, leaffd, &at, err) < 0)
			return -1;
		if (!at.mounted)
			return 0;
		if (!at.top_ours)
			return hc_error_set(err, EBUSY,
					    "host path \"%s\" has another mount on it (%s \"%s\"); "
					    "left in place%s",
					    path, at.type, at.source,
					    at.ours > 0 ? ", and the host channel's tmpfs under it"
							: "");
		/* Our descriptor on the tmpfs would keep it busy. */
		hc_cleanup_closep(&leaffd);
		if (umount2(path, UMOUNT_NOFOLLOW) == 0) {
			step_done(st, "tmpfs unmounted");
			continue;
		}
		if (errno == EBUSY) {
			/* Busy with a mount below: that one is not ours to detach. */
			if (refuse_mounts_below(m, path, tag, &at, err) < 0)
				return -1;
			/* A host process still has it open: detach now, free when
			 * it lets go. */
			if (umount2(path, MNT_DETACH | UMOUNT_NOFOLLOW) == 0) {
				step_done(st, "tmpfs detached");
				continue;
			}
		}
		if (errno == EINVAL || errno == ENOENT)
			continue; /* gone meanwhile; the next look tells */
		return hc_error_sys(err, errno, "cannot unmount the host channel at \"%s\"", path);
	}
	return hc_error_set(err, ELOOP,
			    "host path \"%s\" still has a tmpfs \"%s\" after %d unmounts", path,
			    tag, MAX_STACKED);
}

/*
 * prepare made created_top .. real_path one inside the other, starting in
 * created_top's parent, so that parent and every directory it made were on
 * the leaf's file system (host->dev). A directory of that chain now on
 * another one has something mounted over it (another channel's tmpfs, say)
 * or was replaced: what prepare made may lie hidden below, and taking it for
 * gone would lose it for good. Checked from created_top's parent down to the
 * leaf's parent; where the chain stops existing, there is nothing to hide.
 */
static int check_not_covered(const struct hc_host *host, hc_error_t **err)
{
	const char *path = host->real_path, *top = host->created_top;
	char cur[PATH_MAX], last[PATH_MAX], bad[PATH_MAX];
	size_t toplen = strlen(top);

	/* A record whose top is no ancestor: rmdir_up_to climbs nowhere. */
	if (strncmp(path, top, toplen) != 0 || (path[toplen] != '/' && path[toplen] != '\0'))
		return 0;
	parent_of(top, cur, sizeof(cur));
	parent_of(path, last, sizeof(last));
	for (;;) {
		hc_cleanup_close int fd = -1;
		const char *next;
		struct stat st;
		size_t n;

		fd = open_nofollow(cur, bad, sizeof(bad));
		if (fd < 0 && errno == ENOENT)
			return 0;
		if (fd < 0)
			return walk_error(err, errno, path, bad);
		if (fstat(fd, &st) < 0)
			return hc_error_sys(err, errno, "host path \"%s\": cannot stat \"%s\"",
					    path, cur);
		if (st.st_dev != host->dev)
			return hc_error_set(
				err, EBUSY,
				"host path \"%s\": \"%s\" is not on the file system the host "
				"channel's directories were made in (something is mounted over it, "
				"or it was replaced); what create made is left in place",
				path, cur);
		if (strcmp(cur, last) == 0)
			return 0;
		/* One component deeper along path. */
		n = strcmp(cur, "/") == 0 ? 0 : strlen(cur);
		next = strchr(path + n + 1, '/');
		if (next == NULL)
			return 0;
		snprintf(cur, sizeof(cur), "%.*s", (int)(next - path), path);
	}
}

/*
 * The record of a prepare that did not finish (a crash, a journal that
 * failed and could not undo): the directory in progress goes if it is the
 * recorded one, under its temporary name (the token proves it) or already
 * renamed into place (its recorded dev/ino prove it), and only if empty;
 * then the parents made before it, up to created_top, each if empty.
 */
static int rollback_incomplete(const struct hc_host *host, const struct steps *st, hc_error_t **err)
{
	char tmp[sizeof(HC_HOST_TMP_PREFIX) + HC_HOST_TOKEN_LEN];
	char parent[PATH_MAX], bad[PATH_MAX];
	hc_cleanup_close int parentfd = -1;
	const char *pending = host->pending;
	struct stat sb;

	if (pending[0] == '\0' || host->token[0] == '\0')
		return 0; /* nothing was begun */
	tmp_name(host, tmp, sizeof(tmp));
	parent_of(pending, parent, sizeof(parent));
	parentfd = open_nofollow(parent, bad, sizeof(bad));
	if (parentfd < 0) {
		if (errno == ENOENT)
			return 0; /* its parent is gone: so is what was in it */
		return walk_error(err, errno, host->real_path, bad);
	}
	if (fstatat(parentfd, tmp, &sb, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(sb.st_mode) &&
	    (host->pending_ino == 0 ||
	     (sb.st_dev == host->pending_dev && sb.st_ino == host->pending_ino))) {
		if (unlinkat(parentfd, tmp, AT_REMOVEDIR) < 0 && errno != ENOENT)
			return hc_error_sys(
				err, errno,
				"host path \"%s\": cannot remove the unfinished \"%s/%s\"%s",
				host->real_path, parent, tmp,
				errno == ENOTEMPTY ? " (files were put in it): left in place" : "");
		step_done(st, "unfinished directory removed");
	}
	if (host->pending_ino != 0 &&
	    fstatat(parentfd, leaf_of(pending), &sb, AT_SYMLINK_NOFOLLOW) == 0 &&
	    S_ISDIR(sb.st_mode) && sb.st_dev == host->pending_dev &&
	    sb.st_ino == host->pending_ino) {
		if (unlinkat(parentfd, leaf_of(pending), AT_REMOVEDIR) < 0 && errno != ENOENT)
			return hc_error_sys(
				err, errno, "host path \"%s\": cannot remove \"%s\"%s",
				host->real_path, pending,
				errno == ENOTEMPTY ? " (files were put in it): left in place" : "");
		step_done(st, "directory in progress removed");
	}
	/* The parents made before it: pending's parent up to created_top. */
	if (host->created_top[0] != '\0' && strcmp(pending, host->created_top) != 0)
		rmdir_up_to_steps(parent, host->created_top, st);
	return 0;
}

int hc_host_teardown(const struct hc_host *host, const char *tag, hc_error_t **err)
{
	struct hc_mounts own = {0};
	int rc = hc_host_teardown_with(&own, host, tag, err);

	mounts_clear(&own);
	return rc;
}

int hc_host_teardown_with(struct hc_mounts *m, const struct hc_host *host, const char *tag,
			  hc_error_t **err)
{
	return hc_host_teardown_steps(m, host, tag, NULL, NULL, err);
}

int hc_host_teardown_steps(struct hc_mounts *m, const struct hc_host *host, const char *tag,
			   hc_host_step_fn step, void *arg, hc_error_t **err)
{
	const struct steps steps = {.fn = step, .arg = arg}, *sp = &steps;
	hc_cleanup_close int parentfd = -1;
	char parent[PATH_MAX], bad[PATH_MAX];
	const char *path;
	struct stat st;

	if (m == NULL) {
		struct hc_mounts own = {0};
		int rc = hc_host_teardown_steps(&own, host, tag, step, arg, err);

		mounts_clear(&own);
		return rc;
	}
	if (host == NULL)
		return hc_error_set(err, EINVAL, "hc_host_teardown: no host record");
	/* Never prepared: nothing was made, nothing to undo. */
	if (host->real_path[0] == '\0')
		return 0;
	if (check_host(host, err) < 0 || check_tag(tag, err) < 0)
		return -1;
	path = host->real_path;
	if (unmount_ours(m, host, tag, sp, err) < 0)
		return -1;
	if (host->ino == 0)
		return rollback_incomplete(host, sp, err);
	if (host->created_top[0] == '\0')
		return 0;
	if (check_not_covered(host, err) < 0)
		return -1;

	parent_of(path, parent, sizeof(parent));
	parentfd = open_nofollow(parent, bad, sizeof(bad));
	if (parentfd < 0 && errno == ENOENT) {
		/* A later try, once what kept a parent busy has gone. */
		if (strcmp(path, host->created_top) != 0)
			rmdir_up_to_steps(parent, host->created_top, sp);
		return 0;
	}
	if (parentfd < 0)
		return walk_error(err, errno, path, bad);
	if (fstatat(parentfd, leaf_of(path), &st, AT_SYMLINK_NOFOLLOW) < 0) {
		if (errno != ENOENT)
			return hc_error_sys(err, errno, "cannot stat host path \"%s\"", path);
	} else if (!S_ISDIR(st.st_mode) || st.st_dev != host->dev || st.st_ino != host->ino) {
		/* Someone else's now; the parents above it are not empty either. */
		return 0;
	} else if (unlinkat(parentfd, leaf_of(path), AT_REMOVEDIR) < 0) {
		if (errno == ENOENT)
			goto parents;
		if (errno == ENOTEMPTY || errno == EEXIST)
			return hc_error_set(err, ENOTEMPTY,
					    "host path \"%s\" is not empty: files were put in the "
					    "directory under the tmpfs; left in place",
					    path);
		return hc_error_sys(err, errno, "cannot remove host path \"%s\"", path);
	} else {
		step_done(sp, "directory removed");
	}
parents:
	if (strcmp(path, host->created_top) != 0)
		rmdir_up_to_steps(parent, host->created_top, sp);
	return 0;
}
