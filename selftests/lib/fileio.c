// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Time, small files of numbers and "key value" lines, /proc/meminfo.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "hctest.h"

int64_t hct_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void hct_sleep_ms(long ms)
{
	struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L};

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

uint64_t hct_page_size(void)
{
	return (uint64_t)sysconf(_SC_PAGESIZE);
}

int hct_write_file(const char *path, const char *fmt, ...)
{
	char buf[256];
	va_list ap;
	ssize_t n;
	int len, fd, err = 0;

	va_start(ap, fmt);
	len = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (len < 0 || (size_t)len >= sizeof(buf))
		return -EOVERFLOW;

	/* cgroup files take one value per write(2): no stdio buffering. */
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = write(fd, buf, len);
	if (n < 0)
		err = -errno;
	else if (n != len)
		err = -EIO;
	close(fd);
	return err;
}

ssize_t hct_read_file(const char *path, char *buf, size_t size)
{
	size_t len = 0;
	ssize_t n;
	int fd;

	if (size == 0)
		return -EINVAL;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	while (len < size - 1) {
		n = read(fd, buf + len, size - 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			n = -errno;
			close(fd);
			return n;
		}
		if (n == 0)
			break;
		len += n;
	}
	buf[len] = '\0';
	close(fd);
	return len;
}

static int parse_u64(const char *s, uint64_t *val)
{
	char *end;

	if (strncmp(s, "max", 3) == 0) {
		*val = UINT64_MAX;
		return 0;
	}
	errno = 0;
	*val = strtoull(s, &end, 10);
	if (errno || end == s)
		return -EINVAL;
	return 0;
}

int hct_read_u64(const char *path, uint64_t *val)
{
	char buf[64];
	ssize_t n = hct_read_file(path, buf, sizeof(buf));

	if (n < 0)
		return n;
	return parse_u64(buf, val);
}

int hct_read_key_u64(const char *path, const char *key, uint64_t *val)
{
	/* memory.stat of v1 runs to some 3 KiB, v2's to some 2 KiB; margin. */
	char buf[16384], *line, *save = NULL;
	size_t klen = strlen(key);
	ssize_t n = hct_read_file(path, buf, sizeof(buf));

	if (n < 0)
		return n;
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		/* "key value", or "Key:   value kB" in /proc/meminfo */
		if (strncmp(line, key, klen) != 0)
			continue;
		if (line[klen] != ' ' && line[klen] != ':' && line[klen] != '\t')
			continue;
		line += klen;
		line += strspn(line, " :\t");
		return parse_u64(line, val);
	}
	return -ENOENT;
}

int hct_meminfo(const char *field, uint64_t *bytes)
{
	uint64_t kb;
	int ret = hct_read_key_u64("/proc/meminfo", field, &kb);

	if (ret < 0)
		return ret;
	*bytes = kb * 1024;
	return 0;
}
