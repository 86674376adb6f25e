/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * For the unit tests that drive the built hcrun end to end (oci_kit_test,
 * roots_test, runtime_test, lxc_test, hostile_test, pidpin_test): where it
 * is, a scratch directory in a mount namespace of the test's own, running a
 * command line, and reading back from the disk and the mount table what a
 * run left.
 */
#ifndef HC_TESTS_HCRUN_CLI_H
#define HC_TESTS_HCRUN_CLI_H

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <sched.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/magic.h>

/*
 * build/tests/ref/<test> -> build/hcrun; in an installed tree (make install,
 * gen_tar: kselftest-list.txt one level above the test's directory) hcrun
 * is beside the test, in ref/, wherever the tree was unpacked.
 */
static inline int hcrun_path(char *buf, size_t len)
{
	char exe[PATH_MAX], list[PATH_MAX + 32];
	char *dir;
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

	if (n < 0)
		return -1;
	exe[n] = '\0';
	dir = dirname(exe);
	if (snprintf(list, sizeof(list), "%s/../kselftest-list.txt", dir) < (int)sizeof(list) &&
	    access(list, F_OK) == 0) {
		if (snprintf(buf, len, "%s/hcrun", dir) >= (int)len)
			return -1;
		return access(buf, X_OK);
	}
	if (snprintf(buf, len, "%s/hcrun", dirname(dirname(dir))) >= (int)len)
		return -1;
	return access(buf, X_OK);
}

/* The start of an OCI config.json with a 64M memory limit: add "}", or
 * ",", more members and "}". */
#define CLI_OCI_CONFIG_HEAD                                                                        \
	"{\"ociVersion\":\"1.0.2\",\"root\":{\"path\":\"rootfs\"},\"mounts\":[],"                  \
	"\"linux\":{\"resources\":{\"memory\":{\"limit\":67108864}}}"

/*
 * What a test that drives the built hcrun as root starts with: hcrun's path
 * into hcrun (PATH_MAX), a mount namespace of its own whose mounts are
 * private (what a failing test leaves mounted dies with its process), and
 * a new directory /tmp/hc-<what>-XXXXXX into scratch (64 bytes), which the
 * test removes by name. 1 with *why when the test is to be skipped, -1 with
 * *why when the set-up failed, else 0.
 */
static inline int cli_setup_private(const char *what, char *hcrun, char *scratch, size_t len,
				    const char **why)
{
	if (geteuid() != 0) {
		*why = "needs root (mounts)";
		return 1;
	}
	if (hcrun_path(hcrun, PATH_MAX) < 0) {
		*why = "build/hcrun not built";
		return 1;
	}
	if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) {
		*why = "a private mount namespace";
		return -1;
	}
	if (snprintf(scratch, len, "/tmp/hc-%s-XXXXXX", what) >= (int)len ||
	    mkdtemp(scratch) == NULL) {
		scratch[0] = '\0';
		*why = "mkdtemp /tmp/hc-*";
		return -1;
	}
	return 0;
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

/* path holding text (without its NUL), made or truncated. */
static inline int cli_write_text(const char *path, const char *text, mode_t mode)
{
	return cli_write_file(path, text, strlen(text), mode);
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
	char up[PATH_MAX];
	struct statfs sf;
	struct stat sb, pb;

	/* The type alone proves nothing where the directory itself sits on a
	 * tmpfs (a VM's /tmp does): a mount's root has another device than
	 * its parent. */
	if (snprintf(up, sizeof(up), "%s/..", path) >= (int)sizeof(up))
		return false;
	return statfs(path, &sf) == 0 && sf.f_type == TMPFS_MAGIC && stat(path, &sb) == 0 &&
	       stat(up, &pb) == 0 && sb.st_dev != pb.st_dev;
}

/* A channel as hcrun mounts it: a tmpfs whose root has mode 1777. */
static inline bool cli_is_tmpfs_1777(const char *path)
{
	struct stat sb;

	return cli_is_tmpfs(path) && stat(path, &sb) == 0 && (sb.st_mode & 07777) == 01777;
}

/*
 * Teardown: dir/NAME removed for each name, in order (deepest first): a
 * file by unlink, a directory by rmdir, so that one still holding anything
 * stays. Only these names are touched; one that is not there is skipped.
 */
static inline void cli_remove_names(const char *dir, const char *const *names, size_t n)
{
	char path[PATH_MAX];
	size_t i;

	for (i = 0; i < n; i++) {
		if (snprintf(path, sizeof(path), "%s/%s", dir, names[i]) >= (int)sizeof(path))
			continue;
		if (unlink(path) < 0 && errno == EISDIR)
			rmdir(path);
	}
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
