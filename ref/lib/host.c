// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The host half of a channel's life (contract section 3): make the host path
 * at create, mount the tmpfs there at start, take both away at delete.
 *
 * Between create and delete the path belongs to the channel, but the
 * directories around it belong to whoever can write them. So every later
 * step walks the resolved path from "/" one component at a time with
 * O_NOFOLLOW, and acts on file descriptors, never on a path that could have
 * been redirected by a symlink planted in the meantime. Mount lookups go
 * through libmount, which decodes mountinfo's escapes (a space is "\040").
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

static void unref_tablep(struct libmnt_table **tb)
{
	mnt_unref_table(*tb);
	*tb = NULL;
}

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

#define cleanup_table	__attribute__((cleanup(unref_tablep)))
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
			err, 0,
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
static void rmdir_up_to(const char *path, const char *top)
{
	char cur[PATH_MAX];
	size_t toplen = strlen(top);

	snprintf(cur, sizeof(cur), "%s", path);
	for (;;) {
		bool at_top = strcmp(cur, top) == 0;

		if (!at_top && (strncmp(cur, top, toplen) != 0 || cur[toplen] != '/'))
			return;
		if (rmdir_nofollow(cur) < 0 && errno != ENOENT)
			return;
		if (at_top)
			return;
		parent_of(cur, cur, sizeof(cur));
	}
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

/* -------------------------------------------------------------- the table */

static int read_mounts(struct libmnt_table **tb, hc_error_t **err)
{
	struct libmnt_table *t;
	int rc;

	t = mnt_new_table();
	if (t == NULL)
		return hc_error_sys(err, ENOMEM, "cannot read the mount table");
	rc = mnt_table_parse_file(t, "/proc/self/mountinfo");
	if (rc < 0) {
		mnt_unref_table(t);
		return hc_error_sys(err, -rc, "cannot read /proc/self/mountinfo");
	}
	*tb = t;
	return 0;
}

static bool fs_is_ours(struct libmnt_fs *fs, const char *tag)
{
	const char *type = mnt_fs_get_fstype(fs);
	const char *src = mnt_fs_get_source(fs);

	return type != NULL && strcmp(type, "tmpfs") == 0 && src != NULL && strcmp(src, tag) == 0;
}

struct at_path {
	struct libmnt_fs *top; /* what a lookup of the path reaches; NULL: no mount */
	int ours;	       /* mounts of this tag at the path, top or covered */
};

/*
 * The mounts at path. Stacked mounts share a target; the one on top is the
 * one no other mount at that target sits on.
 */
static int mounts_at(struct libmnt_table *tb, const char *path, const char *tag, struct at_path *at,
		     hc_error_t **err)
{
	cleanup_iter struct libmnt_iter *itr = NULL, *inner = NULL;
	struct libmnt_fs *fs, *other;
	int rc;

	memset(at, 0, sizeof(*at));
	itr = mnt_new_iter(MNT_ITER_FORWARD);
	inner = mnt_new_iter(MNT_ITER_FORWARD);
	if (itr == NULL || inner == NULL)
		return hc_error_sys(err, ENOMEM, "cannot walk the mount table");
	while ((rc = mnt_table_next_fs(tb, itr, &fs)) == 0) {
		const char *target = mnt_fs_get_target(fs);
		bool covered = false;

		if (target == NULL || strcmp(target, path) != 0)
			continue;
		if (fs_is_ours(fs, tag))
			at->ours++;
		mnt_reset_iter(inner, MNT_ITER_FORWARD);
		while (mnt_table_next_fs(tb, inner, &other) == 0) {
			const char *t = mnt_fs_get_target(other);

			if (other != fs && t != NULL && strcmp(t, path) == 0 &&
			    mnt_fs_get_parent_id(other) == mnt_fs_get_id(fs)) {
				covered = true;
				break;
			}
		}
		if (!covered)
			at->top = fs;
	}
	if (rc < 0)
		return hc_error_sys(err, -rc, "cannot walk the mount table");
	return 0;
}

int hc_host_is_mounted(const struct hc_host *host, const char *tag, bool *mounted, hc_error_t **err)
{
	cleanup_table struct libmnt_table *tb = NULL;
	struct at_path at;

	if (mounted == NULL)
		return hc_error_set(err, EINVAL, "hc_host_is_mounted: no result pointer");
	*mounted = false;
	if (host == NULL)
		return hc_error_set(err, EINVAL, "hc_host_is_mounted: no host record");
	if (check_host(host, err) < 0 || check_tag(tag, err) < 0)
		return -1;
	if (read_mounts(&tb, err) < 0 || mounts_at(tb, host->real_path, tag, &at, err) < 0)
		return -1;
	*mounted = at.ours > 0;
	return 0;
}

/* -------------------------------------------------------------------- mount */

static int fsconfig_string(int fsfd, const char *key, const char *value)
{
	return (int)syscall(SYS_fsconfig, fsfd, FSCONFIG_SET_STRING, key, value, 0);
}

/*
 * The new mount API builds the tmpfs detached and attaches it to the very
 * directory leaffd names. Returns 1 when the kernel predates it (ENOSYS).
 */
static int mount_new_api(int leaffd, const char *path, uint64_t size, const char *tag,
			 hc_error_t **err)
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

int hc_host_mount(const struct hc_host *host, uint64_t size, const char *tag, bool *reused,
		  hc_error_t **err)
{
	cleanup_table struct libmnt_table *tb = NULL;
	hc_cleanup_close int parentfd = -1, leaffd = -1;
	char parent[PATH_MAX], bad[PATH_MAX];
	const char *path;
	struct at_path at;
	struct stat st;
	int rc;

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

	if (read_mounts(&tb, err) < 0 || mounts_at(tb, path, tag, &at, err) < 0)
		return -1;
	if (at.top != NULL && fs_is_ours(at.top, tag)) {
		if (reused != NULL)
			*reused = true;
		return 0;
	}
	if (at.top != NULL)
		return hc_error_set(err, EBUSY,
				    "host path \"%s\" already has a mount (%s \"%s\")%s; not "
				    "mounting the host channel there",
				    path,
				    mnt_fs_get_fstype(at.top) ? mnt_fs_get_fstype(at.top) : "?",
				    mnt_fs_get_source(at.top) ? mnt_fs_get_source(at.top) : "?",
				    at.ours > 0 ? " on top of the channel's own tmpfs" : "");

	if (fstat(leaffd, &st) < 0)
		return hc_error_sys(err, errno, "cannot stat host path \"%s\"", path);
	if (st.st_dev != host->dev || st.st_ino != host->ino)
		return hc_error_set(err, EPERM,
				    "host path \"%s\" is not the directory created for the host "
				    "channel (it was replaced); not mounting there",
				    path);

	rc = mount_new_api(leaffd, path, size, tag, err);
	if (rc == 1)
		rc = mount_libmount(parentfd, leaffd, path, size, tag, err);
	if (rc < 0)
		return -1;

	/* Read it back: what counts is what mountinfo shows at the path. */
	unref_tablep(&tb);
	if (read_mounts(&tb, err) < 0 || mounts_at(tb, path, tag, &at, err) < 0)
		return -1;
	if (at.top == NULL || !fs_is_ours(at.top, tag))
		return hc_error_set(err, EIO,
				    "mounted a tmpfs at \"%s\", but /proc/self/mountinfo does not "
				    "show a tmpfs \"%s\" there",
				    path, tag);
	return 0;
}

/* ----------------------------------------------------------------- teardown */

/*
 * Is anything mounted on or below the mount with this id (its parent id is
 * id)? A lazy unmount would detach that too, and it is not ours to take: the
 * error names it. Read afresh: it may have come after the last look.
 */
static int refuse_mounts_below(const char *path, int id, hc_error_t **err)
{
	cleanup_table struct libmnt_table *tb = NULL;
	cleanup_iter struct libmnt_iter *itr = NULL;
	struct libmnt_fs *fs;

	if (read_mounts(&tb, err) < 0)
		return -1;
	itr = mnt_new_iter(MNT_ITER_FORWARD);
	if (itr == NULL)
		return hc_error_sys(err, ENOMEM, "cannot walk the mount table");
	while (mnt_table_next_fs(tb, itr, &fs) == 0) {
		if (mnt_fs_get_id(fs) == id || mnt_fs_get_parent_id(fs) != id)
			continue;
		return hc_error_set(err, EBUSY,
				    "host path \"%s\" has a mount below it (%s \"%s\" at \"%s\"); "
				    "the host channel's tmpfs is left in place",
				    path, mnt_fs_get_fstype(fs) ? mnt_fs_get_fstype(fs) : "?",
				    mnt_fs_get_source(fs) ? mnt_fs_get_source(fs) : "?",
				    mnt_fs_get_target(fs) ? mnt_fs_get_target(fs) : "?");
	}
	return 0;
}

/* Unmount our tmpfs at the path until none is left; never anyone else's. */
static int unmount_ours(const char *path, const char *tag, hc_error_t **err)
{
	char parent[PATH_MAX], bad[PATH_MAX];
	int i;

	parent_of(path, parent, sizeof(parent));
	for (i = 0; i < MAX_STACKED; i++) {
		cleanup_table struct libmnt_table *tb = NULL;
		hc_cleanup_close int parentfd = -1;
		struct at_path at;

		if (read_mounts(&tb, err) < 0 || mounts_at(tb, path, tag, &at, err) < 0)
			return -1;
		if (at.top == NULL)
			return 0;
		if (!fs_is_ours(at.top, tag))
			return hc_error_set(
				err, EBUSY,
				"host path \"%s\" has another mount on it (%s \"%s\"); "
				"left in place%s",
				path, mnt_fs_get_fstype(at.top) ? mnt_fs_get_fstype(at.top) : "?",
				mnt_fs_get_source(at.top) ? mnt_fs_get_source(at.top) : "?",
				at.ours > 0 ? ", and the host channel's tmpfs under it" : "");
		/* umount2 takes a path: make sure no component of it was swapped. */
		parentfd = open_nofollow(parent, bad, sizeof(bad));
		if (parentfd < 0)
			return walk_error(err, errno, path, bad);
		if (umount2(path, UMOUNT_NOFOLLOW) == 0)
			continue;
		if (errno == EBUSY) {
			/* Busy with a mount below: that one is not ours to detach. */
			if (refuse_mounts_below(path, mnt_fs_get_id(at.top), err) < 0)
				return -1;
			/* A host process still has it open: detach now, free when
			 * it lets go. */
			if (umount2(path, MNT_DETACH | UMOUNT_NOFOLLOW) == 0)
				continue;
		}
		if (errno == EINVAL || errno == ENOENT)
			continue; /* gone meanwhile; the next read tells */
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
static int rollback_incomplete(const struct hc_host *host, hc_error_t **err)
{
	char tmp[sizeof(HC_HOST_TMP_PREFIX) + HC_HOST_TOKEN_LEN];
	char parent[PATH_MAX], bad[PATH_MAX];
	hc_cleanup_close int parentfd = -1;
	const char *pending = host->pending;
	struct stat st;

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
	if (fstatat(parentfd, tmp, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode) &&
	    (host->pending_ino == 0 ||
	     (st.st_dev == host->pending_dev && st.st_ino == host->pending_ino)) &&
	    unlinkat(parentfd, tmp, AT_REMOVEDIR) < 0 && errno != ENOENT)
		return hc_error_sys(
			err, errno, "host path \"%s\": cannot remove the unfinished \"%s/%s\"%s",
			host->real_path, parent, tmp,
			errno == ENOTEMPTY ? " (files were put in it): left in place" : "");
	if (host->pending_ino != 0 &&
	    fstatat(parentfd, leaf_of(pending), &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	    S_ISDIR(st.st_mode) && st.st_dev == host->pending_dev &&
	    st.st_ino == host->pending_ino &&
	    unlinkat(parentfd, leaf_of(pending), AT_REMOVEDIR) < 0 && errno != ENOENT)
		return hc_error_sys(err, errno, "host path \"%s\": cannot remove \"%s\"%s",
				    host->real_path, pending,
				    errno == ENOTEMPTY ? " (files were put in it): left in place"
						       : "");
	/* The parents made before it: pending's parent up to created_top. */
	if (host->created_top[0] != '\0' && strcmp(pending, host->created_top) != 0)
		rmdir_up_to(parent, host->created_top);
	return 0;
}

int hc_host_teardown(const struct hc_host *host, const char *tag, hc_error_t **err)
{
	hc_cleanup_close int parentfd = -1;
	char parent[PATH_MAX], bad[PATH_MAX];
	const char *path;
	struct stat st;

	if (host == NULL)
		return hc_error_set(err, EINVAL, "hc_host_teardown: no host record");
	/* Never prepared: nothing was made, nothing to undo. */
	if (host->real_path[0] == '\0')
		return 0;
	if (check_host(host, err) < 0 || check_tag(tag, err) < 0)
		return -1;
	path = host->real_path;
	if (unmount_ours(path, tag, err) < 0)
		return -1;
	if (host->ino == 0)
		return rollback_incomplete(host, err);
	if (host->created_top[0] == '\0')
		return 0;
	if (check_not_covered(host, err) < 0)
		return -1;

	parent_of(path, parent, sizeof(parent));
	parentfd = open_nofollow(parent, bad, sizeof(bad));
	if (parentfd < 0 && errno == ENOENT) {
		/* A later try, once what kept a parent busy has gone. */
		if (strcmp(path, host->created_top) != 0)
			rmdir_up_to(parent, host->created_top);
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
	} else if (unlinkat(parentfd, leaf_of(path), AT_REMOVEDIR) < 0 && errno != ENOENT) {
		if (errno == ENOTEMPTY || errno == EEXIST)
			return hc_error_set(err, ENOTEMPTY,
					    "host path \"%s\" is not empty: files were put in the "
					    "directory under the tmpfs; left in place",
					    path);
		return hc_error_sys(err, errno, "cannot remove host path \"%s\"", path);
	}
	if (strcmp(path, host->created_top) != 0)
		rmdir_up_to(parent, host->created_top);
	return 0;
}
