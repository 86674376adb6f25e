// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Resolving a path inside a root directory as if that directory were "/".
 * The container path of a channel and the container's own mount points are
 * looked up in a rootfs that comes from an image, so every symlink in it is
 * hostile until shown otherwise: an absolute symlink must restart at the
 * rootfs, not at the host's "/", and ".." must stop at the rootfs.
 *
 * openat2(RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS) does that in the kernel,
 * in one atomic lookup. Without openat2 (ENOSYS: Linux before 5.6, or
 * valgrind 3.19, which does not know the call and so breaks every program it
 * runs that needs it) the same rules are applied here, one component at a
 * time: each name is opened O_PATH | O_NOFOLLOW relative to the directory
 * reached so far; "." is skipped; ".." is taken only when the directory
 * reached is not the root (same dev and inode), so it never climbs above it;
 * a symlink is read and its target put in front of what is left, an absolute
 * target restarting at the root; after MAX_SYMLINKS of them the lookup fails
 * with ELOOP, as the kernel's does; a symlink that procfs keeps for a process
 * (/proc/<pid>/fd/N, cwd, root, exe, ns/...: the "magic" links, which jump to
 * an object rather than name a path) is refused with ELOOP, as
 * RESOLVE_NO_MAGICLINKS does.
 *
 * What the userspace walk cannot do is hold the tree still: between two of
 * its steps, a process that can write inside the root could rename a
 * directory so that ".." leads out, which openat2 detects (EAGAIN) and a walk
 * does not. It is safe where libhostchannel and hcrun use it: while a
 * container is set up, in its own fresh mount namespace, before any process
 * of the container exists (the exec comes last), so nothing that runs inside
 * the rootfs can race the walk; the rootfs on the host is writable by root
 * only, who needs no race to escape. hostchannel.h says so to other callers.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/magic.h>
#include <linux/openat2.h>

#include "hostchannel.h"

#ifndef SYS_openat2
#define SYS_openat2 437
#endif

/* openat2 says EAGAIN when a rename or a mount raced a ".."; a few tries suffice. */
#define RESOLVE_RETRIES 16

/* The kernel's MAXSYMLINKS: symlinks followed in one lookup, all nesting included. */
#define MAX_SYMLINKS 40

/* procfs's root directory (the kernel's PROC_ROOT_INO). */
#define PROC_ROOT_INO 1

#define DIR_FLAGS (O_PATH | O_DIRECTORY | O_CLOEXEC)

static int set_errno(int errnum)
{
	errno = errnum;
	return -1;
}

/*
 * Set once openat2 said ENOSYS: it will not come back in this process, and
 * valgrind warns at every call it does not know.
 */
static int openat2_missing;

static int open_openat2(int rootfd, const char *path, int flags)
{
	struct open_how how;
	int i, fd = -1;

	if (__atomic_load_n(&openat2_missing, __ATOMIC_RELAXED))
		return set_errno(ENOSYS);
	memset(&how, 0, sizeof(how));
	how.flags = (uint64_t)(unsigned int)flags;
	how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
	for (i = 0; i < RESOLVE_RETRIES; i++) {
		fd = (int)syscall(SYS_openat2, rootfd, path, &how, sizeof(how));
		if (fd >= 0 || errno != EAGAIN)
			break;
	}
	if (fd < 0 && errno == ENOSYS)
		__atomic_store_n(&openat2_missing, 1, __ATOMIC_RELAXED);
	return fd;
}

/*
 * Would following a symlink that sits in dirfd jump rather than resolve?
 * Only procfs has such links, and among its symlinks only those of its root
 * directory (self, thread-self, mounts, net, ...) are ordinary text; every
 * other one (a process's fd/N, cwd, root, exe, ns/..., map_files/...) is
 * magic. Refusing all of those keeps the result of the walk the same as
 * openat2's with RESOLVE_NO_MAGICLINKS.
 */
static int is_magic_dir(int dirfd, bool *magic)
{
	struct statfs sfs;
	struct stat st;

	if (fstatfs(dirfd, &sfs) < 0 || fstat(dirfd, &st) < 0)
		return -1;
	*magic = sfs.f_type == PROC_SUPER_MAGIC && st.st_ino != PROC_ROOT_INO;
	return 0;
}

/* Replace *cur by next (both owned): the walk moved on. */
static void move_to(int *cur, int next)
{
	hc_cleanup_closep(cur);
	*cur = next;
}

/*
 * The userspace lookup (see the top of the file). rest holds what is left
 * to resolve; a symlink's target is put in front of the remainder in it.
 * Returns an fd opened with flags, or -1 with errno set.
 */
static int open_walk(int rootfd, const char *path, int flags)
{
	hc_cleanup_close int cur = -1;
	char rest[PATH_MAX], target[PATH_MAX], joined[PATH_MAX];
	struct stat root;
	int links = 0;
	char *p;

	/* As openat2 says for an empty path (no AT_EMPTY_PATH). */
	if (path[0] == '\0')
		return set_errno(ENOENT);
	if (snprintf(rest, sizeof(rest), "%s", path) >= (int)sizeof(rest))
		return set_errno(ENAMETOOLONG);
	if (fstat(rootfd, &root) < 0)
		return -1;
	cur = openat(rootfd, ".", DIR_FLAGS);
	if (cur < 0)
		return -1;

	p = rest;
	for (;;) {
		hc_cleanup_close int next = -1;
		struct stat st;
		char *name, *end, *after;
		bool last, must_dir, magic;
		ssize_t n;

		while (*p == '/')
			p++;
		if (*p == '\0')
			break;
		name = p;
		end = strchrnul(p, '/');
		/* A trailing "/" asks for a directory, and follows a last symlink. */
		must_dir = *end == '/';
		for (after = end; *after == '/'; after++)
			;
		last = *after == '\0';
		*end = '\0';
		p = after;

		if (strcmp(name, ".") == 0)
			continue;
		if (strcmp(name, "..") == 0) {
			if (fstat(cur, &st) < 0)
				return -1;
			/* At the root, ".." is the root, as in a chroot. */
			if (st.st_dev == root.st_dev && st.st_ino == root.st_ino)
				continue;
			next = openat(cur, "..", DIR_FLAGS);
			if (next < 0)
				return -1;
			move_to(&cur, next);
			next = -1;
			continue;
		}

		next = openat(cur, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
		if (next < 0)
			return -1;
		if (fstat(next, &st) < 0)
			return -1;

		if (S_ISLNK(st.st_mode) && (!last || must_dir || !(flags & O_NOFOLLOW))) {
			if (++links > MAX_SYMLINKS)
				return set_errno(ELOOP);
			if (is_magic_dir(cur, &magic) < 0)
				return -1;
			if (magic)
				return set_errno(ELOOP);
			/* The link itself, through its O_PATH fd: no second lookup. */
			n = readlinkat(next, "", target, sizeof(target));
			if (n < 0)
				return -1;
			if ((size_t)n >= sizeof(target))
				return set_errno(ENAMETOOLONG);
			target[n] = '\0';
			if (n == 0)
				return set_errno(ENOENT);
			if (snprintf(joined, sizeof(joined), "%s%s%s", target,
				     last && !must_dir ? "" : "/", p) >= (int)sizeof(joined))
				return set_errno(ENAMETOOLONG);
			memcpy(rest, joined, strlen(joined) + 1);
			p = rest;
			if (target[0] == '/') {
				int top = openat(rootfd, ".", DIR_FLAGS);

				if (top < 0)
					return -1;
				move_to(&cur, top);
			}
			continue;
		}

		if (last)
			/* Not a symlink to follow: open it with the caller's flags. */
			return openat(cur, name, flags | O_NOFOLLOW | (must_dir ? O_DIRECTORY : 0));
		if (!S_ISDIR(st.st_mode))
			return set_errno(ENOTDIR);
		move_to(&cur, next);
		next = -1;
	}
	/* The path ended on a directory: "/", ".", ".." or a symlink to one of those. */
	return openat(cur, ".", flags & ~O_NOFOLLOW);
}

/* For messages: the path as it is seen from inside the root. */
static const char *inside(const char *path)
{
	while (*path == '/')
		path++;
	return path;
}

int hc_open_in_root(int rootfd, const char *path, int flags, hc_error_t **err)
{
	int fd, saved;

	if (rootfd < 0 || path == NULL) {
		hc_error_set(err, EINVAL, "hc_open_in_root: missing argument");
		return set_errno(EINVAL);
	}
	if ((flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE) {
		hc_error_set(err, EINVAL,
			     "hc_open_in_root: \"/%s\": creating files is not supported "
			     "(O_CREAT, O_TMPFILE)",
			     inside(path));
		return set_errno(EINVAL);
	}
	fd = open_openat2(rootfd, path, flags);
	if (fd < 0 && errno == ENOSYS)
		fd = open_walk(rootfd, path, flags);
	if (fd < 0) {
		saved = errno;
		hc_error_sys(err, saved, "cannot open \"/%s\"", inside(path));
		return set_errno(saved);
	}
	return fd;
}

/*
 * A directory just made, opened for real (not O_PATH) so that fchmod can
 * undo the umask: the caller's umask must not decide who reaches it.
 * O_NOFOLLOW: it was made in dirfd, so it is not a symlink unless someone
 * swapped it meanwhile; refuse that.
 */
static int open_made(int dirfd, const char *name, mode_t mode, const char *shown, hc_error_t **err)
{
	hc_cleanup_close int fd = -1;
	int out;

	fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return hc_error_sys(err, errno, "cannot open \"/%s\", just made", shown);
	if (fchmod(fd, mode) < 0)
		return hc_error_sys(err, errno, "cannot set mode %04o on \"/%s\"",
				    (unsigned int)mode, shown);
	out = fd;
	fd = -1;
	return out;
}

int hc_mkdir_in_root(int rootfd, const char *path, mode_t mode, hc_error_t **err)
{
	hc_cleanup_close int dirfd = -1;
	char prefix[PATH_MAX], name[NAME_MAX + 1];
	size_t i = 0, start, len;
	int fd, out;

	if (rootfd < 0 || path == NULL)
		return hc_error_set(err, EINVAL, "hc_mkdir_in_root: missing argument");
	path = inside(path);
	len = strlen(path);
	if (len >= sizeof(prefix))
		return hc_error_set(err, ENAMETOOLONG, "path \"/%s\" is too long", path);

	/* Most often everything exists: one lookup. */
	fd = hc_open_in_root(rootfd, len > 0 ? path : "/", DIR_FLAGS, NULL);
	if (fd >= 0)
		return fd;
	/* The walk below tells which component is missing or not a directory. */
	if (errno != ENOENT && errno != ENOTDIR)
		return hc_error_sys(err, errno, "cannot open \"/%s\"", path);

	dirfd = hc_open_in_root(rootfd, "/", DIR_FLAGS, err);
	if (dirfd < 0)
		return -1;
	/*
	 * One component at a time, each prefix resolved from the root again:
	 * a symlink met on the way is followed inside the root, and each
	 * mkdirat happens in a directory that was itself resolved that way.
	 */
	while (i < len) {
		while (path[i] == '/')
			i++;
		if (path[i] == '\0')
			break;
		start = i;
		while (path[i] != '\0' && path[i] != '/')
			i++;
		if (i - start > NAME_MAX)
			return hc_error_set(err, ENAMETOOLONG, "a name in \"/%s\" is too long",
					    path);
		memcpy(prefix, path, i);
		prefix[i] = '\0';
		memcpy(name, path + start, i - start);
		name[i - start] = '\0';

		fd = hc_open_in_root(rootfd, prefix, DIR_FLAGS, NULL);
		if (fd < 0 && errno == ENOENT) {
			if (mkdirat(dirfd, name, mode) == 0) {
				fd = open_made(dirfd, name, mode, prefix, err);
				if (fd < 0)
					return -1;
			} else if (errno != EEXIST) {
				return hc_error_sys(err, errno, "cannot create \"/%s\"", prefix);
			} else {
				fd = hc_open_in_root(rootfd, prefix, DIR_FLAGS, NULL);
				/* There, yet nowhere: a symlink into nothing. Never made through. */
				if (fd < 0 && errno == ENOENT)
					return hc_error_set(err, ENOENT,
							    "\"/%s\" is a symlink to a missing "
							    "directory",
							    prefix);
			}
		}
		if (fd < 0 && errno == ENOTDIR)
			return hc_error_set(err, ENOTDIR, "\"/%s\" is not a directory", prefix);
		if (fd < 0)
			return hc_error_sys(err, errno, "cannot open \"/%s\"", prefix);
		move_to(&dirfd, fd);
	}
	out = dirfd;
	dirfd = -1;
	return out;
}
