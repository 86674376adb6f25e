// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * channel: the box a channel test makes and takes down, driver calls with
 * their command line, a driver call in the background, hc-probe's pattern
 * and result line on the host, sizes, mount snapshots through libmount,
 * the container's cgroup, a private rootfs. See channel.h.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include <libmount.h>

#include "channel.h"

#define CHUNK	 (1 << 16)
#define MAX_ARGS 60

/* hc-probe's path in the container, from the driver's info (hch_probe_path). */
static char probe_path[PATH_MAX];

static int probe_path_init(void)
{
	int ret;

	if (probe_path[0] != '\0')
		return 0;
	ret = hct_engine_info("probe", probe_path, sizeof(probe_path));
	/* The engines README's default, for a driver that does not say. */
	if (probe_path[0] == '\0')
		snprintf(probe_path, sizeof(probe_path), "/bin/hc-probe");
	return ret < 0 ? ret : 0;
}

/* --------------------------------------------------------------- box */

int hch_box_init(struct hch_box *b, const char *what, char *why, size_t whylen)
{
	int ret;

	memset(b, 0, sizeof(*b));
	if (geteuid() != 0) {
		snprintf(why, whylen, "not root: the engine mounts on the host");
		return HCT_SKIP;
	}
	if (hct_engine_driver(why, whylen) == NULL)
		return HCT_SKIP;
	ret = probe_path_init();
	if (ret < 0) {
		snprintf(why, whylen, "engine %s: info failed: %s", hct_engine_name(),
			 strerror(-ret));
		return ret;
	}
	ret = hct_make_tmpdir(b->scratch, what);
	if (ret < 0) {
		snprintf(why, whylen, "mkdtemp /tmp/" HCT_PREFIX "-%d-%s-XXXXXX: %s", (int)getpid(),
			 what, strerror(-ret));
		b->scratch[0] = '\0';
		return ret;
	}
	snprintf(b->host, sizeof(b->host), "%s/ch", b->scratch);
	hct_engine_container_name(b->name, sizeof(b->name), what);
	return 0;
}

int hch_box_delete(struct hch_box *b)
{
	struct stat st;

	if (b->name[0] == '\0')
		return 0;
	hct_engine_cleanup(b->name);
	b->name[0] = '\0';
	if (b->host[0] != '\0' && lstat(b->host, &st) == 0) {
		fprintf(stderr, "# %s left the host path %s after delete (%s%s)\n",
			hct_engine_name(), b->host,
			S_ISDIR(st.st_mode) ? "a directory" : "not a directory",
			hch_mount_count(b->host) > 0 ? ", still mounted" : "");
		return -EEXIST;
	}
	return 0;
}

/* What the engine left at the host path: its tmpfs, then the path itself. */
static int remove_host_path(const char *host)
{
	struct hct_mount m;
	struct stat st;

	if (lstat(host, &st) < 0)
		return errno == ENOENT ? 0 : -errno;
	/* Only the engine's own tmpfs, and only what sits right there. */
	while (hct_mount_lookup(host, &m) == 0 && strcmp(m.fstype, "tmpfs") == 0) {
		fprintf(stderr, "# teardown: unmounting the tmpfs left on %s\n", host);
		if (umount2(host, MNT_DETACH) < 0)
			return -errno;
	}
	if ((S_ISDIR(st.st_mode) ? rmdir(host) : unlink(host)) < 0)
		return -errno;
	return 0;
}

int hch_box_fini(struct hch_box *b)
{
	char names[512];
	int left = 0, ret;

	/* From the test's working directory, as every other driver call. */
	hch_box_delete(b);
	/* A test may have moved into the scratch directory for its relative paths. */
	if (chdir("/") < 0) {
		fprintf(stderr, "# teardown: chdir /: %s\n", strerror(errno));
		left = -1;
	}
	if (b->scratch[0] == '\0')
		return left;
	ret = remove_host_path(b->host);
	if (ret < 0) {
		fprintf(stderr, "# teardown: removing %s: %s\n", b->host, strerror(-ret));
		left = -1;
	}
	if (rmdir(b->scratch) < 0) {
		int e = errno;

		hch_dir_entries(b->scratch, names, sizeof(names));
		fprintf(stderr, "# teardown: rmdir %s: %s (holds: %s)\n", b->scratch, strerror(e),
			names);
		left = -1;
	}
	b->scratch[0] = '\0';
	return left;
}

/* ------------------------------------------------------------ driver */

static void record_cmd(struct hch_run *r, char *const argv[])
{
	size_t used = 0;

	r->cmd[0] = '\0';
	for (int i = 0; argv[i] != NULL && used < sizeof(r->cmd); i++) {
		bool quote = strpbrk(argv[i], " \t\"'") != NULL || argv[i][0] == '\0';
		int n = snprintf(r->cmd + used, sizeof(r->cmd) - used, quote ? "%s'%s'" : "%s%s",
				 i ? " " : "", argv[i]);

		if (n < 0)
			break;
		used += (size_t)n;
	}
}

int hch_runv(struct hch_run *r, long timeout_ms, char *const argv[])
{
	record_cmd(r, argv);
	return hct_enginev(&r->o, NULL, timeout_ms, argv);
}

int hch_run(struct hch_run *r, const char *verb, ...)
{
	char *argv[MAX_ARGS + 1];
	va_list ap;

	argv[0] = (char *)verb;
	va_start(ap, verb);
	hct_args(argv, 1, MAX_ARGS, ap);
	va_end(ap);
	return hch_runv(r, 0, argv);
}

int hch_create(struct hch_run *r, struct hch_box *b, const char *host_part, const char *tail)
{
	snprintf(b->spec, sizeof(b->spec), "%s%s", host_part ? host_part : b->host, tail);
	return hch_run(r, "create", b->name, "--host-channel", b->spec, NULL);
}

const char *hch_probe_path(void)
{
	probe_path_init();
	return probe_path;
}

/* exec NAME [--user UID:UID] -- [first] ARGS... */
static int exec_v(struct hch_run *r, const char *name, int uid, const char *first, va_list ap)
{
	char *argv[MAX_ARGS + 1];
	char user[32];
	int n = 0;

	argv[n++] = "exec";
	argv[n++] = (char *)name;
	if (uid >= 0) {
		snprintf(user, sizeof(user), "%d:%d", uid, uid);
		argv[n++] = "--user";
		argv[n++] = user;
	}
	argv[n++] = "--";
	if (first != NULL)
		argv[n++] = (char *)first;
	hct_args(argv, n, MAX_ARGS, ap);
	return hch_runv(r, 0, argv);
}

int hch_exec(struct hch_run *r, const char *name, int uid, ...)
{
	va_list ap;
	int ret;

	va_start(ap, uid);
	ret = exec_v(r, name, uid, NULL, ap);
	va_end(ap);
	return ret;
}

int hch_probe(struct hch_run *r, const char *name, int uid, ...)
{
	va_list ap;
	int ret;

	va_start(ap, uid);
	ret = exec_v(r, name, uid, hch_probe_path(), ap);
	va_end(ap);
	return ret;
}

int hch_sh(struct hch_run *r, const char *name, const char *fmt, ...)
{
	char script[4096];
	char *argv[] = {"exec", (char *)name, "--", "/bin/sh", "-c", script, NULL};
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(script, sizeof(script), fmt, ap);
	va_end(ap);
	return hch_runv(r, 0, argv);
}

/* Append text to buf, each newline followed by "# ", the last one dropped. */
static void append_lines(char *buf, size_t size, size_t *used, const char *text)
{
	size_t len = strlen(text);

	while (len > 0 && text[len - 1] == '\n')
		len--;
	for (size_t i = 0; i < len && *used + 3 < size; i++) {
		buf[(*used)++] = text[i];
		if (text[i] == '\n') {
			buf[(*used)++] = '#';
			buf[(*used)++] = ' ';
		}
	}
	buf[*used] = '\0';
}

const char *hch_log(struct hch_run *r)
{
	size_t used = 0;
	int n;

	n = snprintf(r->log, sizeof(r->log), "%s %s: status %d\n#   stdout: ", hct_engine_name(),
		     r->cmd, r->o.status);
	used = n < 0 ? 0 : (size_t)n < sizeof(r->log) ? (size_t)n : sizeof(r->log) - 1;
	append_lines(r->log, sizeof(r->log), &used, r->o.out);
	n = snprintf(r->log + used, sizeof(r->log) - used, "\n#   stderr: ");
	used += n > 0 && (size_t)n < sizeof(r->log) - used ? (size_t)n : 0;
	append_lines(r->log, sizeof(r->log), &used, r->o.err);
	return r->log;
}

int hch_bg_start(struct hch_bg *bg, char *const argv[])
{
	bg->pid = -1;
	bg->r = mmap(NULL, sizeof(*bg->r), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1,
		     0);
	if (bg->r == MAP_FAILED) {
		bg->r = NULL;
		return -errno;
	}
	memset(bg->r, 0, sizeof(*bg->r));
	record_cmd(bg->r, argv);
	bg->r->o.status = -EINPROGRESS;
	fflush(NULL);
	bg->pid = fork();
	if (bg->pid < 0)
		return -errno;
	if (bg->pid == 0) {
		hct_enginev(&bg->r->o, NULL, 0, argv);
		_exit(0);
	}
	return 0;
}

int hch_bg_wait(struct hch_bg *bg, long timeout_ms)
{
	int wstatus, ret;

	if (bg->pid <= 0)
		return -ECHILD;
	ret = hct_wait(bg->pid, &wstatus, timeout_ms);
	bg->pid = -1;
	return ret < 0 ? ret : bg->r->o.status;
}

void hch_bg_fini(struct hch_bg *bg)
{
	int wstatus;

	if (bg->pid > 0) {
		kill(bg->pid, SIGKILL);
		waitpid(bg->pid, &wstatus, 0);
		bg->pid = -1;
	}
	if (bg->r != NULL) {
		munmap(bg->r, sizeof(*bg->r));
		bg->r = NULL;
	}
}

/* ------------------------------------------------------- hc-probe data */

uint64_t hch_pattern_sum(uint64_t seed, uint64_t bytes)
{
	static unsigned char buf[CHUNK];
	uint64_t sum = HC_FNV1A_OFFSET;

	for (uint64_t off = 0; off < bytes; off += CHUNK) {
		size_t n = bytes - off < CHUNK ? (size_t)(bytes - off) : CHUNK;

		hc_pattern_fill(seed, off, buf, n);
		sum = hc_fnv1a(sum, buf, n);
	}
	return sum;
}

/* write(2) all of buf, again after a short write; 0 or -errno. */
static int write_all(int fd, const void *buf, size_t len)
{
	const unsigned char *p = buf;

	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -EIO;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int open_new(const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);

	return fd < 0 ? -errno : fd;
}

static int close_new(int fd, int ret)
{
	if (close(fd) < 0 && ret == 0)
		ret = -errno;
	return ret;
}

int hch_write_pattern(const char *path, uint64_t bytes, uint64_t seed)
{
	static unsigned char buf[CHUNK];
	int fd = open_new(path), ret = 0;

	if (fd < 0)
		return fd;
	for (uint64_t off = 0; off < bytes && ret == 0; off += CHUNK) {
		size_t n = bytes - off < CHUNK ? (size_t)(bytes - off) : CHUNK;

		hc_pattern_fill(seed, off, buf, n);
		ret = write_all(fd, buf, n);
	}
	return close_new(fd, ret);
}

int hch_write_new(const char *path, const void *buf, size_t len)
{
	int fd = open_new(path);

	if (fd < 0)
		return fd;
	return close_new(fd, write_all(fd, buf, len));
}

static bool first_diff(const unsigned char *a, const unsigned char *b, size_t n, size_t *at)
{
	if (memcmp(a, b, n) == 0)
		return false;
	for (*at = 0; a[*at] == b[*at]; (*at)++)
		;
	return true;
}

int hch_check_pattern(const char *path, uint64_t bytes, uint64_t seed, uint64_t *size,
		      uint64_t *bad, uint64_t *sum)
{
	static unsigned char got[CHUNK], want[CHUNK];
	uint64_t off = 0;
	bool differs = false;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	*sum = HC_FNV1A_OFFSET;
	*bad = UINT64_MAX;
	if (fd < 0)
		return -errno;
	for (;;) {
		ssize_t n = read(fd, got, sizeof(got));
		size_t at;

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int e = errno;

			close(fd);
			return -e;
		}
		if (n == 0)
			break;
		*sum = hc_fnv1a(*sum, got, (size_t)n);
		if (!differs && off < bytes) {
			size_t cmp = bytes - off < (uint64_t)n ? (size_t)(bytes - off) : (size_t)n;

			hc_pattern_fill(seed, off, want, cmp);
			if (first_diff(got, want, cmp, &at)) {
				differs = true;
				*bad = off + at;
			}
		}
		off += (uint64_t)n;
	}
	close(fd);
	*size = off;
	if (!differs && off != bytes) {
		differs = true;
		*bad = off < bytes ? off : bytes;
	}
	return differs ? 1 : 0;
}

int hch_check_pattern_mem(const void *mem, uint64_t bytes, uint64_t seed, uint64_t *bad)
{
	static unsigned char want[CHUNK];
	const unsigned char *p = mem;

	*bad = UINT64_MAX;
	for (uint64_t off = 0; off < bytes; off += CHUNK) {
		size_t n = bytes - off < CHUNK ? (size_t)(bytes - off) : CHUNK, at;

		hc_pattern_fill(seed, off, want, n);
		if (first_diff(p + off, want, n, &at)) {
			*bad = off + at;
			return 1;
		}
	}
	return 0;
}

/* Where the value of "key=" starts, the key starting a word; NULL when absent. */
static const char *find_key(const char *out, const char *key)
{
	size_t klen = strlen(key);

	for (const char *p = out; (p = strstr(p, key)) != NULL; p++) {
		bool start = p == out || p[-1] == ' ' || p[-1] == '\n';

		if (start && p[klen] == '=')
			return p + klen + 1;
	}
	return NULL;
}

int hch_kv_str(const char *out, const char *key, char *val, size_t len)
{
	const char *v = find_key(out, key);
	size_t n;

	if (v == NULL)
		return -ENOENT;
	n = strcspn(v, " \n");
	if (n >= len)
		return -ERANGE;
	memcpy(val, v, n);
	val[n] = '\0';
	return 0;
}

int hch_kv_u64(const char *out, const char *key, int base, uint64_t *val)
{
	char buf[64], *end;
	int ret = hch_kv_str(out, key, buf, sizeof(buf));

	if (ret < 0)
		return ret;
	/* strtoull would take blanks and a sign ("-1" as UINT64_MAX): a digit first. */
	if (!(base == 16 ? isxdigit((unsigned char)buf[0]) : isdigit((unsigned char)buf[0])))
		return -EINVAL;
	errno = 0;
	*val = strtoull(buf, &end, base);
	if (errno != 0 || *end != '\0')
		return -EINVAL;
	return 0;
}

int hch_probe_stat(struct hch_run *r, const char *name, int uid, const char *path,
		   struct hch_stat *st)
{
	const char *out = r->o.out;
	int ret;

	memset(st, 0, sizeof(*st));
	ret = hch_probe(r, name, uid, "stat", path, NULL);
	if (ret != 0)
		return ret > 0 ? -EIO : ret;
	if (hch_kv_u64(out, "mode", 8, &st->mode) < 0 || hch_kv_u64(out, "uid", 10, &st->uid) < 0 ||
	    hch_kv_u64(out, "gid", 10, &st->gid) < 0 ||
	    hch_kv_u64(out, "size", 10, &st->size) < 0 || hch_kv_u64(out, "ro", 10, &st->ro) < 0 ||
	    hch_kv_str(out, "type", st->type, sizeof(st->type)) < 0 ||
	    hch_kv_str(out, "fstype", st->fstype, sizeof(st->fstype)) < 0)
		return -EBADMSG;
	return 0;
}

/* ------------------------------------------------------------- sizes */

int hch_statfs(const char *path, uint64_t *size, uint64_t *used)
{
	struct statfs sfs;

	if (statfs(path, &sfs) < 0)
		return -errno;
	*size = (uint64_t)sfs.f_blocks * (uint64_t)sfs.f_bsize;
	if (used != NULL)
		*used = (uint64_t)(sfs.f_blocks - sfs.f_bfree) * (uint64_t)sfs.f_bsize;
	return 0;
}

int hch_max_size(uint64_t *bytes)
{
	uint64_t total;
	int ret = hct_meminfo("MemTotal", &total);

	if (ret < 0)
		return ret;
	*bytes = total / 2;
	return 0;
}

/* -------------------------------------------------------------- mounts */

/* path is dir or below it. */
static bool on_or_below(const char *path, const char *dir)
{
	size_t n = strlen(dir);

	if (n > 1 && dir[n - 1] == '/')
		n--;
	return strncmp(path, dir, n) == 0 && (path[n] == '\0' || path[n] == '/');
}

/* Mounts at path (or below it, with below); the first one's mount point into first. */
static int count_mounts(const char *path, bool below, char *first, size_t len)
{
	struct libmnt_table *tb = mnt_new_table_from_file("/proc/self/mountinfo");
	struct libmnt_iter *it = mnt_new_iter(MNT_ITER_FORWARD);
	struct libmnt_fs *fs;
	int n = 0;

	if (first != NULL && len > 0)
		first[0] = '\0';
	if (tb == NULL || it == NULL) {
		mnt_free_iter(it);
		mnt_unref_table(tb);
		return -EIO;
	}
	while (mnt_table_next_fs(tb, it, &fs) == 0) {
		const char *t = mnt_fs_get_target(fs);

		if (t == NULL || !(below ? on_or_below(t, path) : strcmp(t, path) == 0))
			continue;
		if (n++ == 0 && first != NULL)
			snprintf(first, len, "%s", t);
	}
	mnt_free_iter(it);
	mnt_unref_table(tb);
	return n;
}

int hch_mount_count(const char *target)
{
	return count_mounts(target, false, NULL, 0);
}

int hch_mounts_below(const char *dir, char *first, size_t len)
{
	return count_mounts(dir, true, first, len);
}

int hch_mounts_read(struct hch_mounts *m)
{
	struct libmnt_table *tb = mnt_new_table_from_file("/proc/self/mountinfo");
	struct libmnt_iter *it = mnt_new_iter(MNT_ITER_FORWARD);
	struct libmnt_fs *fs;
	int ret = 0;

	m->n = 0;
	m->m = NULL;
	if (tb == NULL || it == NULL) {
		ret = -EIO;
		goto out;
	}
	while (mnt_table_next_fs(tb, it, &fs) == 0) {
		const char *t = mnt_fs_get_target(fs);
		struct hch_mount_ent *grown = realloc(m->m, (m->n + 1) * sizeof(*m->m));

		if (grown == NULL) {
			ret = -ENOMEM;
			break;
		}
		m->m = grown;
		m->m[m->n].devno = mnt_fs_get_devno(fs);
		m->m[m->n].target = strdup(t ? t : "");
		if (m->m[m->n].target == NULL) {
			ret = -ENOMEM;
			break;
		}
		m->n++;
	}
out:
	mnt_free_iter(it);
	mnt_unref_table(tb);
	if (ret < 0)
		hch_mounts_free(m);
	return ret;
}

void hch_mounts_free(struct hch_mounts *m)
{
	for (size_t i = 0; i < m->n; i++)
		free(m->m[i].target);
	free(m->m);
	m->m = NULL;
	m->n = 0;
}

int hch_mounts_new(const struct hch_mounts *before, const struct hch_mounts *after,
		   const char *allow, dev_t dev, const char *const *watch, char *report, size_t len)
{
	bool *used = calloc(before->n + 1, sizeof(*used));
	size_t off = 0;
	int count = 0;

	report[0] = '\0';
	if (used == NULL)
		return -ENOMEM;
	for (size_t i = 0; i < after->n; i++) {
		const struct hch_mount_ent *e = &after->m[i];
		bool seen = false, matters = dev != 0 && e->devno == dev;

		for (size_t j = 0; j < before->n && !seen; j++)
			if (!used[j] && before->m[j].devno == e->devno &&
			    strcmp(before->m[j].target, e->target) == 0)
				seen = used[j] = true;
		if (seen || (allow != NULL && strcmp(e->target, allow) == 0))
			continue;
		for (size_t w = 0; watch != NULL && watch[w] != NULL && !matters; w++)
			matters = on_or_below(e->target, watch[w]);
		if (!matters)
			continue;
		count++;
		if (off < len) {
			int n = snprintf(report + off, len - off, "%s\"%s\" (dev %u:%u)",
					 count > 1 ? ", " : "", e->target, major(e->devno),
					 minor(e->devno));

			off += n > 0 ? (size_t)n : 0;
		}
	}
	free(used);
	return count;
}

/* ------------------------------------------------------------- cgroups */

int hch_container_cg(const char *name, struct hct_cg *cg, char *rel, size_t rellen, char *why,
		     size_t whylen)
{
	char path[PATH_MAX];
	size_t rootlen;
	int ret;

	ret = hct_cg_detect(cg, why, whylen);
	if (ret < 0)
		return ret;
	ret = hct_engine_cgroup(name, path, sizeof(path));
	if (ret < 0) {
		snprintf(why, whylen, "%s cgroup %s: %s", hct_engine_name(), name, strerror(-ret));
		return ret;
	}
	rootlen = strlen(cg->root);
	if (strncmp(path, cg->root, rootlen) != 0 || path[rootlen] != '/' ||
	    path[rootlen + 1] == '\0') {
		snprintf(why, whylen,
			 "%s cgroup %s: \"%s\" is not below the memory hierarchy %s (cgroup %s)",
			 hct_engine_name(), name, path, cg->root, hct_cg_version_str(cg));
		return -EINVAL;
	}
	if (snprintf(rel, rellen, "%s", path + rootlen + 1) >= (int)rellen)
		return -ENAMETOOLONG;
	return 0;
}

int hch_cg_limit(const struct hct_cg *cg, const char *rel, uint64_t *bytes)
{
	char path[PATH_MAX];
	const char *file = cg->version == HCT_CG_V2 ? "memory.max" : "memory.limit_in_bytes";

	if (snprintf(path, sizeof(path), "%s/%s/%s", cg->root, rel, file) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	return hct_read_u64(path, bytes);
}

/* -------------------------------------------------------------- rootfs */

static const char *const rootfs_dirs[] = {"bin", "etc", "dev", "proc", "sys", "tmp", "run", "mnt"};
static const char *const rootfs_copies[] = {"bin/busybox", "bin/hc-probe", "etc/passwd",
					    "etc/group"};
static const char *const rootfs_applets[] = {"sh",     "sleep", "cat",	"ls",	 "mkdir",
					     "mkfifo", "stat",	"test", "echo",	 "readlink",
					     "rm",     "touch", "true", "rmdir", "ln"};

/*
 * $(O)/rootfs for a program at $(O)/selftests/<dir>/<prog>, as make builds
 * them; ref/rootfs of an installed tree, beside its hcrun.
 */
static int rootfs_src(char *src, size_t len)
{
	return hct_built_path("HCT_ROOTFS_SRC", 3, "rootfs", "ref/rootfs", src, len);
}

static int copy_file(const char *from, const char *to)
{
	static char buf[CHUNK];
	struct stat st;
	int in, out, ret = 0;

	in = open(from, O_RDONLY | O_CLOEXEC);
	if (in < 0)
		return -errno;
	if (fstat(in, &st) < 0) {
		ret = -errno;
		close(in);
		return ret;
	}
	out = open(to, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, st.st_mode & 07777);
	if (out < 0) {
		ret = -errno;
		close(in);
		return ret;
	}
	while (ret == 0) {
		ssize_t n = read(in, buf, sizeof(buf));

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			ret = n < 0 ? -errno : 0;
			break;
		}
		ret = write_all(out, buf, (size_t)n);
	}
	/* The mode of the source, whatever the umask made of it. */
	if (ret == 0 && fchmod(out, st.st_mode & 07777) < 0)
		ret = -errno;
	if (close(out) < 0 && ret == 0)
		ret = -errno;
	close(in);
	return ret;
}

int hch_rootfs_make(const char *dir, char *why, size_t whylen)
{
	char src[PATH_MAX], from[PATH_MAX * 2], to[PATH_MAX * 2];
	size_t i;
	int ret;

	ret = rootfs_src(src, sizeof(src));
	if (ret < 0) {
		snprintf(why, whylen, "cannot find build/rootfs (%s); set HCT_ROOTFS_SRC",
			 strerror(-ret));
		return ret;
	}
	if (mkdir(dir, 0755) < 0 || chmod(dir, 0755) < 0) {
		ret = -errno;
		snprintf(why, whylen, "mkdir %s: %s", dir, strerror(errno));
		return ret;
	}
	for (i = 0; i < sizeof(rootfs_dirs) / sizeof(rootfs_dirs[0]); i++) {
		snprintf(to, sizeof(to), "%s/%s", dir, rootfs_dirs[i]);
		mode_t mode = strcmp(rootfs_dirs[i], "tmp") == 0 ? 01777 : 0755;

		if (mkdir(to, mode) < 0 || chmod(to, mode) < 0) {
			ret = -errno;
			snprintf(why, whylen, "mkdir %s: %s", to, strerror(errno));
			return ret;
		}
	}
	for (i = 0; i < sizeof(rootfs_copies) / sizeof(rootfs_copies[0]); i++) {
		snprintf(from, sizeof(from), "%s/%s", src, rootfs_copies[i]);
		snprintf(to, sizeof(to), "%s/%s", dir, rootfs_copies[i]);
		ret = copy_file(from, to);
		if (ret < 0) {
			snprintf(why, whylen, "copy %s to %s: %s (is the tree built? make)", from,
				 to, strerror(-ret));
			return ret;
		}
	}
	for (i = 0; i < sizeof(rootfs_applets) / sizeof(rootfs_applets[0]); i++) {
		snprintf(to, sizeof(to), "%s/bin/%s", dir, rootfs_applets[i]);
		if (symlink("busybox", to) < 0) {
			ret = -errno;
			snprintf(why, whylen, "symlink %s: %s", to, strerror(errno));
			return ret;
		}
	}
	return 0;
}

static int remove_report(const char *path, int ret)
{
	if (ret < 0)
		fprintf(stderr, "# teardown: %s left: %s\n", path, strerror(-ret));
	return ret < 0 ? -1 : 0;
}

int hch_rootfs_remove(const char *dir)
{
	char path[PATH_MAX * 2];
	int left = 0;
	size_t i;

	if (dir[0] == '\0')
		return 0;
	for (i = 0; i < sizeof(rootfs_applets) / sizeof(rootfs_applets[0]); i++) {
		snprintf(path, sizeof(path), "%s/bin/%s", dir, rootfs_applets[i]);
		left |= remove_report(path, hch_unlink(path));
	}
	for (i = 0; i < sizeof(rootfs_copies) / sizeof(rootfs_copies[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, rootfs_copies[i]);
		left |= remove_report(path, hch_unlink(path));
	}
	for (i = sizeof(rootfs_dirs) / sizeof(rootfs_dirs[0]); i-- > 0;) {
		snprintf(path, sizeof(path), "%s/%s", dir, rootfs_dirs[i]);
		left |= remove_report(path, hch_rmdir(path));
	}
	left |= remove_report(dir, hch_rmdir(dir));
	return left;
}

/* --------------------------------------------------------------- files */

bool hch_same_stat(const struct stat *a, const struct stat *b)
{
	return a->st_dev == b->st_dev && a->st_ino == b->st_ino && a->st_mode == b->st_mode &&
	       a->st_nlink == b->st_nlink && a->st_uid == b->st_uid && a->st_gid == b->st_gid &&
	       a->st_size == b->st_size && a->st_mtim.tv_sec == b->st_mtim.tv_sec &&
	       a->st_mtim.tv_nsec == b->st_mtim.tv_nsec && a->st_ctim.tv_sec == b->st_ctim.tv_sec &&
	       a->st_ctim.tv_nsec == b->st_ctim.tv_nsec;
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int hch_dir_entries(const char *dir, char *names, size_t len)
{
	char **list = NULL;
	struct dirent *de;
	size_t n = 0, used = 0;
	DIR *d = opendir(dir);

	if (len > 0)
		names[0] = '\0';
	if (d == NULL) {
		int e = errno;

		snprintf(names, len, "(%s)", strerror(e));
		return -e;
	}
	while ((de = readdir(d)) != NULL) {
		char **grown;

		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		grown = realloc(list, (n + 1) * sizeof(*list));
		if (grown == NULL)
			break;
		list = grown;
		list[n] = strdup(de->d_name);
		if (list[n] != NULL)
			n++;
	}
	closedir(d);
	/* qsort of no entries would be handed list == NULL: undefined. */
	if (n > 1)
		qsort(list, n, sizeof(*list), cmp_names);
	for (size_t i = 0; i < n; i++) {
		int w = snprintf(names + used, len > used ? len - used : 0, "%s%s", i ? " " : "",
				 list[i]);

		used += w > 0 ? (size_t)w : 0;
		if (used >= len)
			used = len;
		free(list[i]);
	}
	free(list);
	return (int)n;
}

int hch_rmdir(const char *path)
{
	return rmdir(path) < 0 && errno != ENOENT ? -errno : 0;
}

int hch_unlink(const char *path)
{
	return unlink(path) < 0 && errno != ENOENT ? -errno : 0;
}

int hch_ctr_mount(struct hch_run *r, const char *name, const char *target, struct hct_mount *m)
{
	int ret = hch_exec(r, name, -1, "cat", "/proc/self/mountinfo", NULL);

	if (ret != 0)
		return ret > 0 ? -EIO : ret;
	return hct_mount_lookup_text(r->o.out, target, m);
}

int hch_pid_mount(pid_t pid, const char *target, struct hct_mount *m)
{
	const size_t size = HCT_MiB;
	char path[64], *text;
	ssize_t n;
	int ret;

	snprintf(path, sizeof(path), "/proc/%d/mountinfo", (int)pid);
	text = malloc(size);
	if (text == NULL)
		return -ENOMEM;
	n = hct_read_file(path, text, size);
	if (n < 0)
		ret = (int)n;
	else if ((size_t)n == size - 1)
		ret = -EFBIG;
	else
		ret = hct_mount_lookup_text(text, target, m);
	free(text);
	return ret;
}

/* ---------------------------------------------------- who holds a tmpfs */

static void holders_add(char *report, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void holders_add(char *report, size_t len, const char *fmt, ...)
{
	size_t used = strlen(report);
	va_list ap;

	if (used + 1 >= len)
		return;
	if (used > 0)
		used += snprintf(report + used, len - used, "; ");
	va_start(ap, fmt);
	if (used < len)
		vsnprintf(report + used, len - used, fmt, ap);
	va_end(ap);
}

/* Whether one of pid's open files is on dev. */
static bool fd_on(const char *pid, dev_t dev, int *which)
{
	char path[300];
	struct dirent *de;
	struct stat st;
	bool found = false;
	DIR *d;

	snprintf(path, sizeof(path), "/proc/%s/fd", pid);
	d = opendir(path);
	if (d == NULL)
		return false;
	while (!found && (de = readdir(d)) != NULL) {
		if (de->d_name[0] != '.' && fstatat(dirfd(d), de->d_name, &st, 0) == 0 &&
		    st.st_dev == dev) {
			*which = atoi(de->d_name);
			found = true;
		}
	}
	closedir(d);
	return found;
}

int hch_dev_holders(dev_t dev, char *report, size_t len)
{
	ino_t seen[64];
	size_t nseen = 0;
	struct dirent *de;
	int count = 0;
	DIR *proc;

	if (len > 0)
		report[0] = '\0';
	proc = opendir("/proc");
	if (proc == NULL)
		return -errno;
	while ((de = readdir(proc)) != NULL) {
		char path[300], comm[32] = "?";
		struct libmnt_table *tb;
		struct stat ns;
		bool mounted = false, known = false;
		int fd = -1;

		if (!isdigit((unsigned char)de->d_name[0]))
			continue;
		snprintf(path, sizeof(path), "/proc/%s/comm", de->d_name);
		if (hct_read_file(path, comm, sizeof(comm)) > 0)
			comm[strcspn(comm, "\n")] = '\0';
		/* A mount namespace is named once, by the first process in it. */
		snprintf(path, sizeof(path), "/proc/%s/ns/mnt", de->d_name);
		if (stat(path, &ns) == 0) {
			for (size_t i = 0; i < nseen && !known; i++)
				known = seen[i] == ns.st_ino;
			if (!known && nseen < sizeof(seen) / sizeof(seen[0]))
				seen[nseen++] = ns.st_ino;
		}
		if (!known) {
			snprintf(path, sizeof(path), "/proc/%s/mountinfo", de->d_name);
			tb = mnt_new_table_from_file(path);
			if (tb != NULL) {
				mounted = mnt_table_find_devno(tb, dev, MNT_ITER_FORWARD) != NULL;
				mnt_unref_table(tb);
			}
		}
		if (mounted) {
			holders_add(report, len, "mounted in the mount namespace of pid %s (%s)",
				    de->d_name, comm);
			count++;
		}
		if (fd_on(de->d_name, dev, &fd)) {
			holders_add(report, len, "open as fd %d of pid %s (%s)", fd, de->d_name,
				    comm);
			count++;
		}
	}
	closedir(proc);
	return count;
}
