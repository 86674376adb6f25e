/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * For the unit tests that drive the built hcrun end to end (oci_kit_test,
 * roots_test, runtime_test, hostile_test): where it is, running a command
 * line, and reading back from the disk and the mount table what a run
 * left.
 */
#ifndef HC_TESTS_HCRUN_CLI_H
#define HC_TESTS_HCRUN_CLI_H

#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/magic.h>

/* build/tests/ref/<test> -> build/hcrun */
static inline int hcrun_path(char *buf, size_t len)
{
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

	if (n < 0)
		return -1;
	exe[n] = '\0';
	if (snprintf(buf, len, "%s/hcrun", dirname(dirname(dirname(exe)))) >= (int)len)
		return -1;
	return access(buf, X_OK);
}

/* Run a shell command line; its stdout+stderr into out. Returns the status. */
static inline int run(char *out, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static inline int run(char *out, size_t len, const char *fmt, ...)
{
	char cmd[8192];
	va_list ap;
	size_t n = 0;
	FILE *f;
	int st;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	f = popen(cmd, "r");
	if (f == NULL)
		return -1;
	out[0] = '\0';
	while (n + 1 < len) {
		size_t got = fread(out + n, 1, len - n - 1, f);

		if (got == 0)
			break;
		n += got;
	}
	out[n] = '\0';
	st = pclose(f);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* path with exactly len bytes of buf (any byte), made or truncated. */
static inline int cli_write_file(const char *path, const void *buf, size_t len, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, mode);
	size_t done = 0;

	if (fd < 0)
		return -1;
	while (done < len) {
		ssize_t n = write(fd, (const char *)buf + done, len - done);

		if (n <= 0) {
			close(fd);
			return -1;
		}
		done += (size_t)n;
	}
	return close(fd);
}

/* Up to len - 1 bytes of path, NUL-terminated; the count, or -1. */
static inline ssize_t cli_read_file(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	size_t done = 0;

	if (fd < 0)
		return -1;
	while (done + 1 < len) {
		ssize_t n = read(fd, buf + done, len - 1 - done);

		if (n < 0) {
			close(fd);
			return -1;
		}
		if (n == 0)
			break;
		done += (size_t)n;
	}
	buf[done] = '\0';
	close(fd);
	return (ssize_t)done;
}

/* Is there anything at path (a dangling symlink counts)? */
static inline bool cli_exists(const char *path)
{
	struct stat sb;

	return lstat(path, &sb) == 0;
}

static inline bool cli_is_tmpfs(const char *path)
{
	struct statfs sf;

	return statfs(path, &sf) == 0 && sf.f_type == TMPFS_MAGIC;
}

/*
 * The mount points of this mount namespace at or under dir, from
 * /proc/self/mountinfo (the fifth field, octal escapes as the kernel
 * writes them), one a line into buf; the count, or -1.
 */
static inline int cli_mounts_under(const char *dir, char *buf, size_t len)
{
	FILE *f = fopen("/proc/self/mountinfo", "re");
	size_t dlen = strlen(dir), used = 0;
	char line[8192];
	int n = 0;

	if (f == NULL)
		return -1;
	buf[0] = '\0';
	while (fgets(line, sizeof(line), f) != NULL) {
		char mnt[PATH_MAX];

		if (sscanf(line, "%*s %*s %*s %*s %4095s", mnt) != 1)
			continue;
		if (strncmp(mnt, dir, dlen) != 0 || (mnt[dlen] != '\0' && mnt[dlen] != '/'))
			continue;
		n++;
		used += (size_t)snprintf(buf + used, used < len ? len - used : 0, "%s\n", mnt);
		if (used >= len)
			used = len - 1;
	}
	fclose(f);
	return n;
}

/*
 * What is under dir, one entry a line, sorted: name, type, mode, inode,
 * and for all but directories the size and mtime (a directory's mtime
 * moves when anything is made and removed in it, which says nothing about
 * what is left). Entries named in skip (a path relative to dir, pruned
 * with all below it) are left out. 0, or -1.
 */
static inline int cli_tree(const char *dir, const char *skip, char *buf, size_t len)
{
	int st = run(
		buf, len,
		"cd '%s' && { find . -path './%s' -prune -o -type d -printf '%%p d %%m %%i\\n'; "
		"find . -path './%s' -prune -o ! -type d -printf '%%p %%y %%m %%i %%s %%T@\\n'; } "
		"| sort",
		dir, skip, skip);

	return st == 0 && strlen(buf) + 1 < len ? 0 : -1;
}

#endif
