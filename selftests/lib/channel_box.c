// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * channel_box: a container with one host channel for the channel tests,
 * driven only through the engine driver, and the readers that check it
 * (hc-probe's output, FNV-1a sums, statfs, mountinfo through libmount).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <libmount.h>

#include "channel_box.h"

#define MAX_ARGS 32

int chbox_init(struct chbox *b, const char *what, char *why, size_t whylen)
{
	char probe[PATH_MAX];
	int ret;

	memset(b, 0, sizeof(*b));
	if (geteuid() != 0) {
		snprintf(why, whylen, "the channel tests run as root (engines mount tmpfs)");
		return HCT_SKIP;
	}
	if (hct_engine_driver(why, whylen) == NULL)
		return HCT_SKIP;
	b->o = calloc(1, sizeof(*b->o));
	if (b->o == NULL) {
		snprintf(why, whylen, "out of memory");
		return -ENOMEM;
	}
	ret = hct_make_tmpdir(b->parent, what);
	if (ret < 0) {
		snprintf(why, whylen, "mkdtemp under /tmp: %s", strerror(-ret));
		return ret;
	}
	snprintf(b->host, sizeof(b->host), "%s/ch", b->parent);
	hct_engine_container_name(b->name, sizeof(b->name), what);
	/* The driver says where hc-probe is; the README's default otherwise. */
	ret = hct_engine_info("probe", probe, sizeof(probe));
	if (ret < 0) {
		snprintf(why, whylen, "engine %s: info failed: %s", hct_engine_name(),
			 strerror(-ret));
		return ret;
	}
	snprintf(b->probe, sizeof(b->probe), "%s", probe[0] ? probe : "/bin/hc-probe");
	return 0;
}

int chbox_create(struct chbox *b, const char *host_part, const char *tail)
{
	snprintf(b->spec, sizeof(b->spec), "%s%s", host_part ? host_part : b->host, tail);
	return hct_engine(b->o, "create", b->name, "--host-channel", b->spec, NULL);
}

int chbox_start(struct chbox *b)
{
	return hct_engine(b->o, "start", b->name, NULL);
}

int chbox_delete(struct chbox *b)
{
	return hct_engine(b->o, "delete", b->name, NULL);
}

int chbox_state(struct chbox *b)
{
	return hct_engine(b->o, "state", b->name, NULL);
}

static int exec_v(struct chbox *b, int uid, const char *first, const char *arg, va_list ap)
{
	char *argv[MAX_ARGS + 8];
	char user[32];
	int n = 0;

	argv[n++] = "exec";
	argv[n++] = b->name;
	if (uid >= 0) {
		snprintf(user, sizeof(user), "%d:%d", uid, uid);
		argv[n++] = "--user";
		argv[n++] = user;
	}
	argv[n++] = "--";
	if (first != NULL)
		argv[n++] = (char *)first;
	for (; arg != NULL && n < MAX_ARGS; arg = va_arg(ap, const char *))
		argv[n++] = (char *)arg;
	argv[n] = NULL;
	return hct_enginev(b->o, NULL, 0, argv);
}

int chbox_exec(struct chbox *b, int uid, const char *arg, ...)
{
	va_list ap;
	int ret;

	va_start(ap, arg);
	ret = exec_v(b, uid, NULL, arg, ap);
	va_end(ap);
	return ret;
}

int chbox_probe(struct chbox *b, int uid, const char *arg, ...)
{
	va_list ap;
	int ret;

	va_start(ap, arg);
	ret = exec_v(b, uid, b->probe, arg, ap);
	va_end(ap);
	return ret;
}

static void append(char *left, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void append(char *left, size_t len, const char *fmt, ...)
{
	size_t used = strlen(left);
	va_list ap;

	if (used + 1 >= len)
		return;
	va_start(ap, fmt);
	vsnprintf(left + used, len - used, fmt, ap);
	va_end(ap);
}

int chbox_fini(struct chbox *b, char *left, size_t leftlen)
{
	struct hct_mount m;
	struct stat st;
	char names[512];

	left[0] = '\0';
	/* A test may have moved into the parent for its relative paths. */
	if (chdir("/") < 0)
		append(left, leftlen, "chdir /: %s; ", strerror(errno));
	if (b->name[0] != '\0' && b->o != NULL)
		hct_engine_cleanup(b->name);
	if (b->parent[0] == '\0')
		goto out;
	if (lstat(b->host, &st) == 0) {
		append(left, leftlen,
		       "the engine left the host path %s after delete (contract section 3); ",
		       b->host);
		/* Only the engine's own tmpfs, and only what sits right there. */
		while (hct_mount_lookup(b->host, &m) == 0 && strcmp(m.fstype, "tmpfs") == 0) {
			append(left, leftlen, "and a tmpfs mounted on it; ");
			if (umount2(b->host, MNT_DETACH) < 0)
				break;
		}
		if (S_ISDIR(st.st_mode) ? rmdir(b->host) < 0 : unlink(b->host) < 0)
			append(left, leftlen, "cannot remove it: %s; ", strerror(errno));
	}
	if (rmdir(b->parent) < 0) {
		int e = errno;

		if (chbox_dir_entries(b->parent, names, sizeof(names)) < 0)
			names[0] = '\0';
		append(left, leftlen, "rmdir %s: %s (holds: %s); ", b->parent, strerror(e), names);
	}
out:
	free(b->o);
	b->o = NULL;
	return left[0] ? -1 : 0;
}

/* ----------------------------------------------------------- readers */

int chbox_kv(const char *text, const char *key, char *val, size_t len)
{
	size_t klen = strlen(key);

	for (const char *p = text; (p = strstr(p, key)) != NULL; p++) {
		size_t n;

		if ((p != text && p[-1] != ' ' && p[-1] != '\n') || p[klen] != '=')
			continue;
		p += klen + 1;
		n = strcspn(p, " \n");
		if (n >= len)
			return -ERANGE;
		memcpy(val, p, n);
		val[n] = '\0';
		return 0;
	}
	return -ENOENT;
}

int chbox_kv_u64(const char *text, const char *key, int base, uint64_t *val)
{
	char buf[64], *end;
	int ret = chbox_kv(text, key, buf, sizeof(buf));

	if (ret < 0)
		return ret;
	errno = 0;
	*val = strtoull(buf, &end, base);
	if (errno != 0 || end == buf || *end != '\0')
		return -EINVAL;
	return 0;
}

int chbox_probe_stat(struct chbox *b, int uid, const char *path, struct chbox_stat *st)
{
	int ret;

	memset(st, 0, sizeof(*st));
	ret = chbox_probe(b, uid, "stat", path, NULL);
	if (ret != 0)
		return ret > 0 ? -EIO : ret;
	if (chbox_kv_u64(b->o->out, "mode", 8, &st->mode) < 0 ||
	    chbox_kv_u64(b->o->out, "uid", 10, &st->uid) < 0 ||
	    chbox_kv_u64(b->o->out, "gid", 10, &st->gid) < 0 ||
	    chbox_kv_u64(b->o->out, "size", 10, &st->size) < 0 ||
	    chbox_kv_u64(b->o->out, "ro", 10, &st->ro) < 0 ||
	    chbox_kv(b->o->out, "type", st->type, sizeof(st->type)) < 0 ||
	    chbox_kv(b->o->out, "fstype", st->fstype, sizeof(st->fstype)) < 0)
		return -EBADMSG;
	return 0;
}

#define FNV_OFFSET 0xcbf29ce484222325ULL
#define FNV_PRIME  0x100000001b3ULL

static uint64_t fnv1a_more(uint64_t h, const unsigned char *p, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		h ^= p[i];
		h *= FNV_PRIME;
	}
	return h;
}

uint64_t chbox_fnv1a(const void *buf, size_t len)
{
	return fnv1a_more(FNV_OFFSET, buf, len);
}

int chbox_file_sum(const char *path, uint64_t *bytes, uint64_t *sum)
{
	unsigned char buf[65536];
	uint64_t h = FNV_OFFSET, n = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	for (;;) {
		ssize_t got = read(fd, buf, sizeof(buf));

		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			int e = errno;

			close(fd);
			return -e;
		}
		if (got == 0)
			break;
		h = fnv1a_more(h, buf, (size_t)got);
		n += (uint64_t)got;
	}
	close(fd);
	*bytes = n;
	*sum = h;
	return 0;
}

void chbox_fill_bytes(void *buf, size_t len, unsigned int seed)
{
	unsigned char *p = buf;
	uint64_t x = seed * 0x9e3779b97f4a7c15ULL + 1;

	/* xorshift64: cheap, and no two pages alike. */
	for (size_t i = 0; i < len; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		p[i] = (unsigned char)(x >> 32);
	}
}

int chbox_write_new(const char *path, const void *buf, size_t len)
{
	const char *p = buf;
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);

	if (fd < 0)
		return -errno;
	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			int e = n < 0 ? errno : EIO;

			close(fd);
			return -e;
		}
		p += n;
		len -= (size_t)n;
	}
	return close(fd) < 0 ? -errno : 0;
}

int chbox_statfs(const char *path, uint64_t *size, uint64_t *used)
{
	struct statfs sfs;

	if (statfs(path, &sfs) < 0)
		return -errno;
	*size = (uint64_t)sfs.f_blocks * (uint64_t)sfs.f_bsize;
	if (used != NULL)
		*used = (uint64_t)(sfs.f_blocks - sfs.f_bfree) * (uint64_t)sfs.f_bsize;
	return 0;
}

int chbox_max_size(uint64_t *bytes)
{
	uint64_t total;
	int ret = hct_meminfo("MemTotal", &total);

	if (ret < 0)
		return ret;
	*bytes = total / 2;
	return 0;
}

int chbox_mounts_under(const char *dir, char *first, size_t len)
{
	struct libmnt_table *tb = mnt_new_table_from_file("/proc/self/mountinfo");
	struct libmnt_iter *it = mnt_new_iter(MNT_ITER_FORWARD);
	size_t dlen = strlen(dir);
	struct libmnt_fs *fs;
	int count = 0;

	if (first != NULL && len > 0)
		first[0] = '\0';
	if (tb == NULL || it == NULL) {
		mnt_unref_table(tb);
		mnt_free_iter(it);
		return -EIO;
	}
	while (mnt_table_next_fs(tb, it, &fs) == 0) {
		const char *t = mnt_fs_get_target(fs);

		if (t == NULL || strncmp(t, dir, dlen) != 0 || (t[dlen] != '\0' && t[dlen] != '/'))
			continue;
		if (count++ == 0 && first != NULL)
			snprintf(first, len, "%s", t);
	}
	mnt_free_iter(it);
	mnt_unref_table(tb);
	return count;
}

static void copy_str(char *dst, size_t size, const char *src)
{
	snprintf(dst, size, "%s", src ? src : "");
}

int chbox_mountinfo_text_lookup(const char *text, const char *target, struct hct_mount *m)
{
	struct libmnt_table *tb;
	struct libmnt_fs *fs;
	FILE *f;
	int ret = 0;

	f = fmemopen((void *)text, strlen(text), "r");
	if (f == NULL)
		return -errno;
	tb = mnt_new_table();
	if (tb == NULL) {
		fclose(f);
		return -ENOMEM;
	}
	if (mnt_table_parse_stream(tb, f, "container mountinfo") != 0) {
		ret = -EBADMSG;
		goto out;
	}
	fs = mnt_table_find_target(tb, target, MNT_ITER_BACKWARD);
	if (fs == NULL) {
		ret = -ENOENT;
		goto out;
	}
	copy_str(m->fstype, sizeof(m->fstype), mnt_fs_get_fstype(fs));
	copy_str(m->source, sizeof(m->source), mnt_fs_get_source(fs));
	copy_str(m->vfs_options, sizeof(m->vfs_options), mnt_fs_get_vfs_options(fs));
	copy_str(m->fs_options, sizeof(m->fs_options), mnt_fs_get_fs_options(fs));
	copy_str(m->optional_fields, sizeof(m->optional_fields), mnt_fs_get_optional_fields(fs));
out:
	mnt_unref_table(tb);
	fclose(f);
	return ret;
}

int chbox_dir_entries(const char *dir, char *names, size_t len)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int n = 0;

	if (len > 0)
		names[0] = '\0';
	if (d == NULL)
		return -errno;
	while ((de = readdir(d)) != NULL) {
		size_t used = strlen(names);

		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		n++;
		if (used + 1 < len)
			snprintf(names + used, len - used, "%s%s", used ? " " : "", de->d_name);
	}
	closedir(d);
	return n;
}
