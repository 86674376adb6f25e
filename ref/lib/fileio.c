// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Whole-file I/O, written once: the state files, the OCI kit's JSON, the
 * cgroup files and /proc/meminfo all go through here. The one replace that
 * a crash may interrupt keeps its promise: the file holds the old bytes or
 * the new ones, whole, and the new ones are on disk (data and name) when it
 * returns.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hostchannel.h"

#define READ_CHUNK 4096

int hc_write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int hc_read_fd(int fd, size_t max, const char *what, char **out, size_t *len, hc_error_t **err)
{
	hc_cleanup_free char *buf = NULL;
	size_t used = 0, cap = 0;

	for (;;) {
		ssize_t n;

		/* The buffer grows to max + 1 at most: a file that fills it
		 * is larger than max. */
		if (used > max)
			return hc_error_set(err, EFBIG, "%s: larger than %zu bytes", what, max);
		if (used == cap) {
			size_t want = cap ? cap * 2 : READ_CHUNK;
			char *grown;

			if (want > max + 1)
				want = max + 1;
			grown = realloc(buf, want + 1);
			if (grown == NULL)
				return hc_error_sys(err, ENOMEM, "read %s", what);
			buf = grown;
			cap = want;
		}
		n = read(fd, buf + used, cap - used);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return hc_error_sys(err, errno, "read %s", what);
		if (n == 0)
			break;
		used += (size_t)n;
	}
	buf[used] = '\0';
	if (len != NULL)
		*len = used;
	*out = buf;
	buf = NULL;
	return 0;
}

int hc_read_file(const char *path, int flags, size_t max, char **out, size_t *len, hc_error_t **err)
{
	hc_cleanup_close int fd = open(path, O_RDONLY | O_CLOEXEC | flags);

	if (fd < 0)
		return hc_error_sys(err, errno, "open %s", path);
	return hc_read_fd(fd, max, path, out, len, err);
}

/* The directory that holds path: "." for a bare name, "/" for "/x". */
static int dir_of(const char *path, char *dir, size_t len, hc_error_t **err)
{
	const char *slash = strrchr(path, '/');
	size_t n;

	if (slash == NULL)
		n = snprintf(dir, len, ".");
	else if (slash == path)
		n = snprintf(dir, len, "/");
	else
		n = snprintf(dir, len, "%.*s", (int)(slash - path), path);
	if (n >= len)
		return hc_error_set(err, ENAMETOOLONG, "%s: path too long", path);
	return 0;
}

int hc_replace_file(const char *path, const char *tmp, const void *buf, size_t len, mode_t mode,
		    hc_error_t **err)
{
	hc_cleanup_close int fd = -1;
	hc_cleanup_close int dfd = -1;
	char dir[PATH_MAX];

	if (dir_of(path, dir, sizeof(dir), err) < 0)
		return -1;
	/* A temp file left by a writer that died is ours to replace; unlinked,
	 * not opened, so that a symlink planted there leads nowhere. */
	if (unlink(tmp) < 0 && errno != ENOENT)
		return hc_error_sys(err, errno, "unlink %s", tmp);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode);
	if (fd < 0)
		return hc_error_sys(err, errno, "create %s", tmp);
	if (hc_write_all(fd, buf, len) < 0) {
		hc_error_sys(err, errno, "write %s", tmp);
		goto drop;
	}
	/* Data on disk before the rename makes it visible: never an empty file. */
	if (fsync(fd) < 0) {
		hc_error_sys(err, errno, "fsync %s", tmp);
		goto drop;
	}
	if (close(fd) < 0) {
		fd = -1;
		hc_error_sys(err, errno, "close %s", tmp);
		goto drop;
	}
	fd = -1;
	if (rename(tmp, path) < 0) {
		hc_error_sys(err, errno, "rename %s to %s", tmp, path);
		goto drop;
	}
	/* ... and the rename itself on disk. */
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0 || fsync(dfd) < 0)
		return hc_error_sys(err, errno, "fsync %s", dir);
	return 0;
drop:
	if (unlink(tmp) < 0 && errno != ENOENT)
		hc_error_prefix(err, "(and %s is left behind)", tmp);
	return -1;
}
