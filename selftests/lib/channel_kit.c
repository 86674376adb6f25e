// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * channel_kit: driver calls with their command line, a driver call in the
 * background, hc-probe's pattern on the host, mount snapshots through
 * libmount, the container's cgroup, a private rootfs. See channel_kit.h.
 */
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
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include <libmount.h>

#include "channel_kit.h"

#define CHUNK	 (1 << 16)
#define MAX_ARGS 60

/* --------------------------------------------------------------- box */

int hck_box_init(struct hck_box *b, const char *what, char *why, size_t whylen)
{
	int ret;

	memset(b, 0, sizeof(*b));
	if (geteuid() != 0) {
		snprintf(why, whylen, "not root: the engine mounts on the host");
		return HCT_SKIP;
	}
	if (hct_engine_driver(why, whylen) == NULL)
		return HCT_SKIP;
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

int hck_box_delete(struct hck_box *b)
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
			hck_mount_count(b->host) > 0 ? ", still mounted" : "");
		return -EEXIST;
	}
	return 0;
}

int hck_box_fini(struct hck_box *b)
{
	int left = 0;

	hck_box_delete(b);
	if (b->scratch[0] == '\0')
		return 0;
	if (b->host[0] != '\0' && hck_rmdir(b->host) < 0) {
		fprintf(stderr, "# teardown: rmdir %s: %s\n", b->host, strerror(errno));
		left = -1;
	}
	if (hck_rmdir(b->scratch) < 0) {
		fprintf(stderr, "# teardown: rmdir %s: %s\n", b->scratch, strerror(errno));
		left = -1;
	}
	b->scratch[0] = '\0';
	return left;
}

/* ------------------------------------------------------------ driver */

static void record_cmd(struct hck_run *r, char *const argv[])
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

int hck_runv(struct hck_run *r, long timeout_ms, char *const argv[])
{
	record_cmd(r, argv);
	return hct_enginev(&r->o, NULL, timeout_ms, argv);
}

int hck_run(struct hck_run *r, const char *verb, ...)
{
	char *argv[MAX_ARGS + 1];
	va_list ap;
	int n = 0;

	argv[n++] = (char *)verb;
	va_start(ap, verb);
	while (n < MAX_ARGS && (argv[n] = va_arg(ap, char *)) != NULL)
		n++;
	va_end(ap);
	argv[n] = NULL;
	return hck_runv(r, 0, argv);
}

const char *hck_probe_path(void)
{
	static char probe[PATH_MAX];

	if (probe[0] == '\0' &&
	    (hct_engine_info("probe", probe, sizeof(probe)) < 0 || probe[0] == '\0'))
		snprintf(probe, sizeof(probe), "/bin/hc-probe");
	return probe;
}

int hck_probe(struct hck_run *r, const char *name, ...)
{
	char *argv[MAX_ARGS + 1];
	va_list ap;
	int n = 0;

	argv[n++] = "exec";
	argv[n++] = (char *)name;
	argv[n++] = "--";
	argv[n++] = (char *)hck_probe_path();
	va_start(ap, name);
	while (n < MAX_ARGS && (argv[n] = va_arg(ap, char *)) != NULL)
		n++;
	va_end(ap);
	argv[n] = NULL;
	return hck_runv(r, 0, argv);
}

int hck_sh(struct hck_run *r, const char *name, const char *fmt, ...)
{
	char script[4096];
	char *argv[] = {"exec", (char *)name, "--", "/bin/sh", "-c", script, NULL};
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(script, sizeof(script), fmt, ap);
	va_end(ap);
	return hck_runv(r, 0, argv);
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

const char *hck_log(struct hck_run *r)
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

int hck_bg_start(struct hck_bg *bg, char *const argv[])
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

int hck_bg_wait(struct hck_bg *bg, long timeout_ms)
{
	int wstatus, ret;

	if (bg->pid <= 0)
		return -ECHILD;
	ret = hct_wait(bg->pid, &wstatus, timeout_ms);
	bg->pid = -1;
	return ret < 0 ? ret : bg->r->o.status;
}

void hck_bg_fini(struct hck_bg *bg)
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

static uint64_t splitmix64(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

uint64_t hck_fnv1a(uint64_t h, const void *buf, size_t len)
{
	const unsigned char *p = buf;

	for (size_t i = 0; i < len; i++) {
		h ^= p[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

void hck_pattern(uint64_t seed, uint64_t off, void *buf, size_t len)
{
	unsigned char *p = buf;

	for (size_t i = 0; i < len; i++) {
		uint64_t pos = off + i;

		p[i] = (unsigned char)(splitmix64(seed + pos / 8) >> (8 * (pos % 8)));
	}
}

uint64_t hck_pattern_sum(uint64_t seed, uint64_t bytes)
{
	static unsigned char buf[CHUNK];
	uint64_t sum = HCK_FNV_OFFSET;

	for (uint64_t off = 0; off < bytes; off += CHUNK) {
		size_t n = bytes - off < CHUNK ? (size_t)(bytes - off) : CHUNK;

		hck_pattern(seed, off, buf, n);
		sum = hck_fnv1a(sum, buf, n);
	}
	return sum;
}

int hck_write_pattern(const char *path, uint64_t bytes, uint64_t seed)
{
	static unsigned char buf[CHUNK];
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	int ret = 0;

	if (fd < 0)
		return -errno;
	for (uint64_t off = 0; off < bytes && ret == 0;) {
		size_t n = bytes - off < CHUNK ? (size_t)(bytes - off) : CHUNK;
		ssize_t w;

		hck_pattern(seed, off, buf, n);
		w = write(fd, buf, n);
		if (w < 0)
			ret = -errno;
		else if (w == 0)
			ret = -EIO;
		else
			off += (uint64_t)w;
		/* A short write moves the pattern: rewrite from where it stopped. */
	}
	if (close(fd) < 0 && ret == 0)
		ret = -errno;
	return ret;
}

static bool first_diff(const unsigned char *a, const unsigned char *b, size_t n, size_t *at)
{
	if (memcmp(a, b, n) == 0)
		return false;
	for (*at = 0; a[*at] == b[*at]; (*at)++)
		;
	return true;
}

int hck_check_pattern(const char *path, uint64_t bytes, uint64_t seed, uint64_t *size,
		      uint64_t *bad, uint64_t *sum)
{
	static unsigned char got[CHUNK], want[CHUNK];
	uint64_t off = 0;
	bool differs = false;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	*sum = HCK_FNV_OFFSET;
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
		*sum = hck_fnv1a(*sum, got, (size_t)n);
		if (!differs && off < bytes) {
			size_t cmp = bytes - off < (uint64_t)n ? (size_t)(bytes - off) : (size_t)n;

			hck_pattern(seed, off, want, cmp);
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

int hck_check_pattern_mem(const void *mem, uint64_t bytes, uint64_t seed, uint64_t *bad)
{
	static unsigned char want[CHUNK];
	const unsigned char *p = mem;

	*bad = UINT64_MAX;
	for (uint64_t off = 0; off < bytes; off += CHUNK) {
		size_t n = bytes - off < CHUNK ? (size_t)(bytes - off) : CHUNK, at;

		hck_pattern(seed, off, want, n);
		if (first_diff(p + off, want, n, &at)) {
			*bad = off + at;
			return 1;
		}
	}
	return 0;
}

static const char *find_key(const char *out, const char *key)
{
	size_t klen = strlen(key);

	for (const char *p = out; (p = strstr(p, key)) != NULL; p += klen) {
		bool start = p == out || p[-1] == ' ' || p[-1] == '\n';

		if (start && p[klen] == '=')
			return p + klen + 1;
	}
	return NULL;
}

int hck_kv_u64(const char *out, const char *key, int base, uint64_t *val)
{
	const char *v = find_key(out, key);
	char *end;

	if (v == NULL)
		return -ENOENT;
	errno = 0;
	*val = strtoull(v, &end, base);
	if (errno != 0 || end == v)
		return -EINVAL;
	return 0;
}

int hck_kv_str(const char *out, const char *key, char *val, size_t len)
{
	const char *v = find_key(out, key);
	size_t n;

	if (v == NULL)
		return -ENOENT;
	n = strcspn(v, " \t\n");
	snprintf(val, len, "%.*s", (int)n, v);
	return 0;
}

/* -------------------------------------------------------------- mounts */

int hck_mount_count(const char *target)
{
	struct libmnt_table *tb = mnt_new_table_from_file("/proc/self/mountinfo");
	struct libmnt_iter *it = mnt_new_iter(MNT_ITER_FORWARD);
	struct libmnt_fs *fs;
	int n = 0;

	if (tb == NULL || it == NULL) {
		mnt_free_iter(it);
		mnt_unref_table(tb);
		return -EIO;
	}
	while (mnt_table_next_fs(tb, it, &fs) == 0) {
		const char *t = mnt_fs_get_target(fs);

		if (t != NULL && strcmp(t, target) == 0)
			n++;
	}
	mnt_free_iter(it);
	mnt_unref_table(tb);
	return n;
}

int hck_mounts_read(struct hck_mounts *m)
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
		struct hck_mount_ent *grown = realloc(m->m, (m->n + 1) * sizeof(*m->m));

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
		hck_mounts_free(m);
	return ret;
}

void hck_mounts_free(struct hck_mounts *m)
{
	for (size_t i = 0; i < m->n; i++)
		free(m->m[i].target);
	free(m->m);
	m->m = NULL;
	m->n = 0;
}

/* path is dir or below it. */
static bool on_or_below(const char *path, const char *dir)
{
	size_t n = strlen(dir);

	if (n > 1 && dir[n - 1] == '/')
		n--;
	return strncmp(path, dir, n) == 0 && (path[n] == '\0' || path[n] == '/');
}

int hck_mounts_new(const struct hck_mounts *before, const struct hck_mounts *after,
		   const char *allow, dev_t dev, const char *const *watch, char *report, size_t len)
{
	bool *used = calloc(before->n + 1, sizeof(*used));
	size_t off = 0;
	int count = 0;

	report[0] = '\0';
	if (used == NULL)
		return -ENOMEM;
	for (size_t i = 0; i < after->n; i++) {
		const struct hck_mount_ent *e = &after->m[i];
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

int hck_container_cg(const char *name, struct hct_cg *cg, char *rel, size_t rellen, char *why,
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

int hck_cg_limit(const struct hct_cg *cg, const char *rel, uint64_t *bytes)
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

static int rootfs_src(char *src, size_t len)
{
	const char *env = getenv("HCT_ROOTFS_SRC");
	char exe[PATH_MAX];
	ssize_t n;

	if (env != NULL && env[0] != '\0')
		return snprintf(src, len, "%s", env) < (int)len ? 0 : -ENAMETOOLONG;
	/* build/selftests/<dir>/<prog> of the tree, as engine.c finds the drivers. */
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n < 0)
		return -errno;
	exe[n] = '\0';
	for (int up = 0; up < 3; up++) {
		char *slash = strrchr(exe, '/');

		if (slash == NULL)
			return -ENOENT;
		*slash = '\0';
	}
	return snprintf(src, len, "%s/rootfs", exe) < (int)len ? 0 : -ENAMETOOLONG;
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
	for (;;) {
		ssize_t n = read(in, buf, sizeof(buf)), w = 0;

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			ret = n < 0 ? -errno : 0;
			break;
		}
		for (ssize_t done = 0; done < n; done += w) {
			w = write(out, buf + done, (size_t)(n - done));
			if (w <= 0) {
				ret = w < 0 ? -errno : -EIO;
				break;
			}
		}
		if (ret < 0)
			break;
	}
	/* The mode of the source, whatever the umask made of it. */
	if (ret == 0 && fchmod(out, st.st_mode & 07777) < 0)
		ret = -errno;
	if (close(out) < 0 && ret == 0)
		ret = -errno;
	close(in);
	return ret;
}

int hck_rootfs_make(const char *dir, char *why, size_t whylen)
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

int hck_rootfs_remove(const char *dir)
{
	char path[PATH_MAX * 2];
	int left = 0;
	size_t i;

	if (dir[0] == '\0')
		return 0;
	for (i = 0; i < sizeof(rootfs_applets) / sizeof(rootfs_applets[0]); i++) {
		snprintf(path, sizeof(path), "%s/bin/%s", dir, rootfs_applets[i]);
		left |= remove_report(path, hck_unlink(path));
	}
	for (i = 0; i < sizeof(rootfs_copies) / sizeof(rootfs_copies[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, rootfs_copies[i]);
		left |= remove_report(path, hck_unlink(path));
	}
	for (i = sizeof(rootfs_dirs) / sizeof(rootfs_dirs[0]); i-- > 0;) {
		snprintf(path, sizeof(path), "%s/%s", dir, rootfs_dirs[i]);
		left |= remove_report(path, hck_rmdir(path));
	}
	left |= remove_report(dir, hck_rmdir(dir));
	return left;
}

/* --------------------------------------------------------------- files */

bool hck_same_stat(const struct stat *a, const struct stat *b)
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

void hck_list_dir(const char *dir, char *out, size_t len)
{
	char **names = NULL;
	struct dirent *de;
	size_t n = 0, used = 0;
	DIR *d = opendir(dir);

	out[0] = '\0';
	if (d == NULL) {
		snprintf(out, len, "(%s)", strerror(errno));
		return;
	}
	while ((de = readdir(d)) != NULL) {
		char **grown = realloc(names, (n + 1) * sizeof(*names));

		if (grown == NULL)
			break;
		names = grown;
		names[n] = strdup(de->d_name);
		if (names[n] != NULL)
			n++;
	}
	closedir(d);
	qsort(names, n, sizeof(*names), cmp_names);
	for (size_t i = 0; i < n; i++) {
		int w = snprintf(out + used, len > used ? len - used : 0, "%s%s", i ? " " : "",
				 names[i]);

		used += w > 0 ? (size_t)w : 0;
		if (used >= len)
			used = len;
		free(names[i]);
	}
	free(names);
}

int hck_rmdir(const char *path)
{
	return rmdir(path) < 0 && errno != ENOENT ? -errno : 0;
}

int hck_unlink(const char *path)
{
	return unlink(path) < 0 && errno != ENOENT ? -errno : 0;
}

int hck_mkdir(const char *path, mode_t mode)
{
	return mkdir(path, mode) < 0 ? -errno : 0;
}
