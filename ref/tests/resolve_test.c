// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * What this proves: hc_open_in_root and hc_mkdir_in_root (ref/lib/resolve.c)
 * treat a directory as "/" whatever the symlinks in it say, and give the
 * same answer with openat2 and with the userspace walk that replaces it
 * where openat2 is missing (Linux < 5.6, valgrind 3.19).
 *
 * Every test runs twice, as two variants of its fixture: "openat2" (skipped
 * where the kernel or valgrind lacks it) and "walk", where a seccomp filter
 * makes openat2 say ENOSYS, exactly as an old kernel does, so the library's
 * own fallback runs through its public functions. Each case names the object
 * it must land on (compared by dev and inode with lstat of its real path) or
 * the errno it must fail with, so both variants are held to one answer, and
 * a directory it lands on is checked to have the root among its ancestors.
 *
 * The tree the fixture builds, under a mkdtemp directory in /tmp. The root
 * lies three levels down, deeper than any link in it climbs: a resolver
 * that let ".." past the root would still land (and, for the mkdir tests,
 * make directories) inside the scratch directory, never above it.
 *
 *   <scratch>/jail/cell/
 *     outside/                  beside the root: nothing may resolve here
 *       secret/
 *     root/                     the root handed to the library
 *       a/
 *         b/
 *           c/
 *             home -> /         absolute, deep down: back to the root
 *           up4 -> ../../../..  climbs past the root from a/b
 *         file                  "inside\n"
 *       abs -> /                absolute: the root, not the host's /
 *       up -> ../../..          relative, past the root
 *       dotdot -> ..            ".." at the root
 *       out -> ../outside       leads out: nothing of that name inside
 *       outabs -> <scratch>/jail/cell/outside   a host path: nothing of
 *                                               that name inside
 *       chain1 -> ./chain2, chain2 -> chain3, chain3 -> /a/b
 *       loop1 -> loop2, loop2 -> loop1, self -> self
 *       dangling -> nowhere
 *       tofile -> a/file
 *       l0 -> l1 -> ... -> l40 -> a    41 links: l1 takes 40 (the kernel's
 *                                       limit), l0 one too many
 *
 * The magic-link test resolves in the real "/" through procfs: /proc/self is
 * an ordinary symlink and is followed; /proc/self/cwd, root and fd/N are
 * magic and refused with ELOOP.
 *
 * The fixture removes what it made, by name, in reverse order (unlink, then
 * rmdir), even after a failed ASSERT; the directories a test expects the
 * library to make are registered before the call, and removed the same way.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/filter.h>
#include <linux/magic.h>
#include <linux/openat2.h>
#include <linux/seccomp.h>

#include "kselftest_harness.h"

#include "hostchannel.h"

#ifndef SYS_openat2
#define SYS_openat2 437
#endif

#define DIR_FLAGS (O_PATH | O_DIRECTORY | O_CLOEXEC)

/* Links in the chain l0 -> ... -> l40 -> a. */
#define CHAIN_LINKS 41

#define MAX_MADE 96

/* ---------------------------------------------------------------- scratch */

enum made_kind {
	MADE_DIR,  /* rmdir */
	MADE_FILE, /* unlink: a file or a symlink */
};

/*
 * What the fixture (or the library, on a test's behalf) made, removed in
 * reverse order. In the fixture, not on a test's stack: an ASSERT longjmps
 * past the test's own code.
 */
struct scratch {
	bool ready;
	char dir[PATH_MAX];	/* as mkdtemp made it */
	char root[PATH_MAX];	/* <dir>/jail/cell/root */
	char outside[PATH_MAX]; /* <dir>/jail/cell/outside */
	int rootfd;
	int nmade;
	struct {
		enum made_kind kind;
		char path[PATH_MAX];
	} made[MAX_MADE];
	hc_error_t *err;
};

/*
 * Paths for a test's own use, in rotating buffers so that a call can take
 * several. A path that does not fit is a bug of the test: abort.
 */
static const char *P(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static const char *P(const char *fmt, ...)
{
	static char bufs[8][PATH_MAX];
	static unsigned int next;
	char *buf = bufs[next++ % 8];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, PATH_MAX, fmt, ap);
	va_end(ap);
	if (n < 0 || n >= PATH_MAX)
		abort();
	return buf;
}

static const char *msg(const hc_error_t *err)
{
	return err != NULL && err->msg != NULL ? err->msg : "(no error message)";
}

static int track(struct scratch *s, enum made_kind kind, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int track(struct scratch *s, enum made_kind kind, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (s->nmade >= MAX_MADE)
		abort(); /* a test bug: MAX_MADE is too small */
	va_start(ap, fmt);
	n = vsnprintf(s->made[s->nmade].path, PATH_MAX, fmt, ap);
	va_end(ap);
	if (n < 0 || n >= PATH_MAX)
		return -1;
	s->made[s->nmade].kind = kind;
	s->nmade++;
	return 0;
}

/* <base>/<rel>, made; registered only once it exists. */
static int make_dir(struct scratch *s, const char *base, const char *rel)
{
	const char *path = P("%s/%s", base, rel);

	if (mkdir(path, 0755) < 0)
		return -1;
	return track(s, MADE_DIR, "%s", path);
}

static int make_link(struct scratch *s, const char *target, const char *rel)
{
	const char *path = P("%s/%s", s->root, rel);

	if (symlink(target, path) < 0)
		return -1;
	return track(s, MADE_FILE, "%s", path);
}

static int make_file(struct scratch *s, const char *rel, const char *text)
{
	const char *path = P("%s/%s", s->root, rel);
	size_t len = strlen(text);
	ssize_t n;
	int fd;

	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0)
		return -1;
	if (track(s, MADE_FILE, "%s", path) < 0) {
		close(fd);
		return -1;
	}
	n = write(fd, text, len);
	if (close(fd) < 0 || n != (ssize_t)len)
		return -1;
	return 0;
}

/* 0 when everything made is gone; else the first failure is named in why. */
static int scratch_clean(struct scratch *s, char *why, size_t len)
{
	int i, ret = 0;

	hc_error_free(&s->err);
	if (s->rootfd >= 0 && close(s->rootfd) < 0 && ret == 0) {
		snprintf(why, len, "close(rootfd): %s", strerror(errno));
		ret = -1;
	}
	s->rootfd = -1;
	for (i = s->nmade - 1; i >= 0; i--) {
		const char *path = s->made[i].path;
		int rc = s->made[i].kind == MADE_DIR ? rmdir(path) : unlink(path);

		/* Registered but never made (the library refused): fine. */
		if (rc < 0 && errno != ENOENT && ret == 0) {
			snprintf(why, len, "removing %s: %s", path, strerror(errno));
			ret = -1;
		}
	}
	s->nmade = 0;
	if (s->ready && rmdir(s->dir) < 0 && ret == 0) {
		snprintf(why, len, "rmdir(%s): %s", s->dir, strerror(errno));
		ret = -1;
	}
	s->ready = false;
	return ret;
}

static int build_tree(struct scratch *s)
{
	char rel[32], target[32];
	int i;

	snprintf(s->root, sizeof(s->root), "%s", P("%s/jail/cell/root", s->dir));
	snprintf(s->outside, sizeof(s->outside), "%s", P("%s/jail/cell/outside", s->dir));
	if (make_dir(s, s->dir, "jail") < 0 || make_dir(s, s->dir, "jail/cell") < 0 ||
	    make_dir(s, s->dir, "jail/cell/outside") < 0 ||
	    make_dir(s, s->dir, "jail/cell/outside/secret") < 0 ||
	    make_dir(s, s->dir, "jail/cell/root") < 0)
		return -1;
	if (make_dir(s, s->root, "a") < 0 || make_dir(s, s->root, "a/b") < 0 ||
	    make_dir(s, s->root, "a/b/c") < 0 || make_file(s, "a/file", "inside\n") < 0 ||
	    make_link(s, "/", "a/b/c/home") < 0 || make_link(s, "../../../..", "a/b/up4") < 0 ||
	    make_link(s, "/", "abs") < 0 || make_link(s, "../../..", "up") < 0 ||
	    make_link(s, "..", "dotdot") < 0 || make_link(s, "../outside", "out") < 0 ||
	    make_link(s, s->outside, "outabs") < 0 || make_link(s, "./chain2", "chain1") < 0 ||
	    make_link(s, "chain3", "chain2") < 0 || make_link(s, "/a/b", "chain3") < 0 ||
	    make_link(s, "loop2", "loop1") < 0 || make_link(s, "loop1", "loop2") < 0 ||
	    make_link(s, "self", "self") < 0 || make_link(s, "nowhere", "dangling") < 0 ||
	    make_link(s, "a/file", "tofile") < 0)
		return -1;
	for (i = 0; i < CHAIN_LINKS; i++) {
		snprintf(rel, sizeof(rel), "l%d", i);
		if (i + 1 < CHAIN_LINKS)
			snprintf(target, sizeof(target), "l%d", i + 1);
		else
			snprintf(target, sizeof(target), "a");
		if (make_link(s, target, rel) < 0)
			return -1;
	}
	s->rootfd = open(s->root, DIR_FLAGS);
	return s->rootfd < 0 ? -1 : 0;
}

/* 0, or -1 with a reason in why, having removed whatever it made. */
static int scratch_setup(struct scratch *s, char *why, size_t len)
{
	char ignored[64];

	s->rootfd = -1;
	snprintf(s->dir, sizeof(s->dir), "/tmp/hc-resolve-test-XXXXXX");
	if (mkdtemp(s->dir) == NULL) {
		snprintf(why, len, "mkdtemp: %s", strerror(errno));
		return -1;
	}
	s->ready = true;
	if (build_tree(s) == 0)
		return 0;
	snprintf(why, len, "building the tree: %s", strerror(errno));
	(void)scratch_clean(s, ignored, sizeof(ignored));
	return -1;
}

/* ---------------------------------------------------------------- openat2 */

static bool have_openat2(void)
{
	struct open_how how = {.flags = O_PATH | O_CLOEXEC, .resolve = RESOLVE_IN_ROOT};
	int fd = (int)syscall(SYS_openat2, AT_FDCWD, "/", &how, sizeof(how));

	if (fd >= 0)
		return close(fd) == 0;
	return errno != ENOSYS;
}

/*
 * Make this process's openat2 say ENOSYS, as a kernel older than 5.6 does.
 * Only native syscalls are made here, so the filter need not look at the
 * architecture. The harness runs each test in a child of its own: the
 * filter dies with it.
 */
static int block_openat2(void)
{
	struct sock_filter filter[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_openat2, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = {
		.len = sizeof(filter) / sizeof(filter[0]),
		.filter = filter,
	};

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return -1;
	return prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog);
}

/*
 * The 6.1 harness still runs the test body after a SKIP in setup; failing
 * the setup too stops it there, and the child still reports SKIP.
 */
#define SETUP_SKIP(fmt, ...) SKIP(_metadata->passed = 0; return, fmt, ##__VA_ARGS__)

/* ---------------------------------------------------------------- checks */

/* Does dirfd have the directory root (or is it root), going up by ".."? */
static bool has_ancestor(int dirfd, const struct stat *root)
{
	struct stat st, up;
	int cur = dup(dirfd), next, depth;
	bool found = false;

	for (depth = 0; cur >= 0 && depth < 256; depth++) {
		if (fstat(cur, &st) < 0)
			break;
		if (st.st_dev == root->st_dev && st.st_ino == root->st_ino) {
			found = true;
			break;
		}
		next = openat(cur, "..", DIR_FLAGS);
		if (next < 0 || fstat(next, &up) < 0 ||
		    (up.st_dev == st.st_dev && up.st_ino == st.st_ino)) {
			/* The top of the tree, and no root on the way. */
			if (next >= 0)
				close(next);
			break;
		}
		close(cur);
		cur = next;
	}
	if (cur >= 0)
		close(cur);
	return found;
}

/*
 * fd is the object at <base>/<expect> (lstat: a link the caller asked not
 * to follow is the link itself), and a directory has the root above it.
 */
static void check_lands(struct __test_metadata *_metadata, int fd, const char *base,
			const char *expect, const struct stat *root, const char *what)
{
	const char *path = P("%s%s%s", base, expect[0] != '\0' ? "/" : "", expect);
	struct stat got, want;

	ASSERT_EQ(0, lstat(path, &want)) TH_LOG("%s: lstat(%s): %s", what, path, strerror(errno));
	ASSERT_EQ(0, fstat(fd, &got)) TH_LOG("%s: fstat: %s", what, strerror(errno));
	EXPECT_TRUE(got.st_dev == want.st_dev && got.st_ino == want.st_ino)
	TH_LOG("%s: landed on dev %lu inode %lu, not on %s (dev %lu inode %lu)", what,
	       (unsigned long)got.st_dev, (unsigned long)got.st_ino, path,
	       (unsigned long)want.st_dev, (unsigned long)want.st_ino);
	if (S_ISDIR(got.st_mode)) {
		EXPECT_TRUE(has_ancestor(fd, root)) TH_LOG("%s: not below the root", what);
	}
}

/* ---------------------------------------------------------------- fixture */

FIXTURE(resolve)
{
	struct scratch s;
};

FIXTURE_VARIANT(resolve)
{
	bool walk; /* openat2 blocked: the userspace walk answers */
};

FIXTURE_VARIANT_ADD(resolve, openat2){
	.walk = false,
};

FIXTURE_VARIANT_ADD(resolve, walk){
	.walk = true,
};

FIXTURE_SETUP(resolve)
{
	char why[PATH_MAX + 64];

	/* Before anything is made: a SKIP here does not reach the teardown. */
	if (!variant->walk && !have_openat2())
		SETUP_SKIP("openat2 unavailable: kernel older than 5.6, or valgrind without it");
	if (variant->walk && have_openat2()) {
		ASSERT_EQ(0, block_openat2()) TH_LOG("seccomp: %s", strerror(errno));
		ASSERT_FALSE(have_openat2());
	}
	ASSERT_EQ(0, scratch_setup(&self->s, why, sizeof(why))) TH_LOG("%s", why);
}

FIXTURE_TEARDOWN(resolve)
{
	char why[PATH_MAX + 64];

	EXPECT_EQ(0, scratch_clean(&self->s, why, sizeof(why))) TH_LOG("%s", why);
}

/* -------------------------------------------------------- hc_open_in_root */

struct resolve_case {
	const char *path;
	int flags;
	const char *expect; /* below the root ("" = the root); NULL: fails */
	int errnum;	    /* when it fails */
};

#define OK(p, f, e)                                                                                \
	{                                                                                          \
		.path = (p), .flags = (f), .expect = (e)                                           \
	}
#define FAILS(p, f, e)                                                                             \
	{                                                                                          \
		.path = (p), .flags = (f), .expect = NULL, .errnum = (e)                           \
	}
#define ANY_FLAGS      (O_PATH | O_CLOEXEC)
#define NOFOLLOW_FLAGS (O_PATH | O_NOFOLLOW | O_CLOEXEC)

static const struct resolve_case cases[] = {
	/* plain paths, relative or absolute: always from the root */
	OK("/", DIR_FLAGS, ""),
	OK(".", DIR_FLAGS, ""),
	OK("a/b/c", DIR_FLAGS, "a/b/c"),
	OK("/a//b/./c/", DIR_FLAGS, "a/b/c"),
	OK("a/b/c/../..", DIR_FLAGS, "a"),
	FAILS("", DIR_FLAGS, ENOENT),
	FAILS("missing", ANY_FLAGS, ENOENT),
	FAILS("a/missing/c", DIR_FLAGS, ENOENT),
	/* ".." never above the root */
	OK("..", DIR_FLAGS, ""),
	OK("/../../..", DIR_FLAGS, ""),
	OK("a/b/../../../../a", DIR_FLAGS, "a"),
	OK("dotdot", DIR_FLAGS, ""),
	OK("dotdot/dotdot/a", DIR_FLAGS, "a"),
	/* symlinks to "/" and past the root land at the root */
	OK("abs", DIR_FLAGS, ""),
	OK("abs/a/b", DIR_FLAGS, "a/b"),
	OK("abs/../../a", DIR_FLAGS, "a"),
	OK("a/b/c/home", DIR_FLAGS, ""),
	OK("a/b/c/home/a/b/c/home/a", DIR_FLAGS, "a"),
	OK("up", DIR_FLAGS, ""),
	OK("up/a/b/c", DIR_FLAGS, "a/b/c"),
	OK("a/b/up4", DIR_FLAGS, ""),
	OK("a/b/up4/a", DIR_FLAGS, "a"),
	/* what lies outside is not there */
	FAILS("out", ANY_FLAGS, ENOENT),
	FAILS("out/secret", DIR_FLAGS, ENOENT),
	FAILS("outabs", ANY_FLAGS, ENOENT),
	FAILS("outabs/secret", DIR_FLAGS, ENOENT),
	/* chains, loops, dangling links */
	OK("chain1", DIR_FLAGS, "a/b"),
	OK("chain1/c", DIR_FLAGS, "a/b/c"),
	OK("chain1/../b", DIR_FLAGS, "a/b"),
	FAILS("loop1", ANY_FLAGS, ELOOP),
	FAILS("loop1/x", ANY_FLAGS, ELOOP),
	FAILS("self", ANY_FLAGS, ELOOP),
	FAILS("dangling", ANY_FLAGS, ENOENT),
	FAILS("dangling/x", ANY_FLAGS, ENOENT),
	OK("l1", DIR_FLAGS, "a"),
	FAILS("l0", DIR_FLAGS, ELOOP),
	/* files, and asking for a directory */
	OK("a/file", ANY_FLAGS, "a/file"),
	OK("tofile", ANY_FLAGS, "a/file"),
	FAILS("a/file", DIR_FLAGS, ENOTDIR),
	FAILS("a/file/", ANY_FLAGS, ENOTDIR),
	FAILS("a/file/..", ANY_FLAGS, ENOTDIR),
	FAILS("tofile/", ANY_FLAGS, ENOTDIR),
	/* O_NOFOLLOW: a last link is the link, unless a "/" follows it */
	OK("abs", NOFOLLOW_FLAGS, "abs"),
	OK("abs/", NOFOLLOW_FLAGS, ""),
	OK("chain1/c", NOFOLLOW_FLAGS, "a/b/c"),
	FAILS("tofile", O_RDONLY | O_NOFOLLOW | O_CLOEXEC, ELOOP),
	/* opened for real, not O_PATH */
	OK("abs/a", O_RDONLY | O_DIRECTORY | O_CLOEXEC, "a"),
	OK("up/tofile", O_RDONLY | O_CLOEXEC, "a/file"),
	/* nothing is created */
	FAILS("new", O_WRONLY | O_CREAT | O_CLOEXEC, EINVAL),
};

TEST_F(resolve, every_case_lands_on_its_object_inside_the_root)
{
	struct scratch *s = &self->s;
	struct stat root;
	size_t i;

	ASSERT_EQ(0, fstat(s->rootfd, &root));
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct resolve_case *c = &cases[i];
		char what[PATH_MAX + 32];
		hc_error_t *err = NULL;
		int fd;

		snprintf(what, sizeof(what), "\"%s\" flags %#o", c->path, (unsigned int)c->flags);
		errno = 0;
		fd = hc_open_in_root(s->rootfd, c->path, c->flags, &err);
		if (c->expect == NULL) {
			EXPECT_EQ(-1, fd) TH_LOG("%s: opened, should fail", what);
			EXPECT_EQ(c->errnum, errno)
			TH_LOG("%s: errno %s, want %s", what, strerror(errno), strerror(c->errnum));
			EXPECT_TRUE(err != NULL && err->errnum == c->errnum)
			TH_LOG("%s: error object says %s", what, msg(err));
		} else {
			EXPECT_LE(0, fd) TH_LOG("%s: %s", what, msg(err));
			if (fd >= 0) {
				check_lands(_metadata, fd, s->root, c->expect, &root, what);
			}
			EXPECT_EQ(NULL, err) TH_LOG("%s: error set on success", what);
		}
		if (fd >= 0) {
			EXPECT_EQ(0, close(fd));
		}
		hc_error_free(&err);
	}
}

TEST_F(resolve, a_file_reached_through_links_reads_its_own_content)
{
	struct scratch *s = &self->s;
	char buf[32] = "";
	ssize_t n;
	int fd;

	fd = hc_open_in_root(s->rootfd, "/abs/up/dotdot/tofile", O_RDONLY | O_CLOEXEC, &s->err);
	ASSERT_LE(0, fd) TH_LOG("%s", msg(s->err));
	n = read(fd, buf, sizeof(buf) - 1);
	EXPECT_EQ(0, close(fd));
	ASSERT_EQ(7, n);
	EXPECT_STREQ("inside\n", buf);
}

TEST_F(resolve, magic_links_of_procfs_are_refused_and_proc_self_is_followed)
{
	struct scratch *s = &self->s;
	hc_cleanup_close int slash = -1, fd = -1;
	const char *path;
	struct statfs sfs;
	struct stat root;

	if (statfs("/proc", &sfs) < 0 || sfs.f_type != PROC_SUPER_MAGIC)
		SKIP(return, "no procfs at /proc");
	slash = open("/", DIR_FLAGS);
	ASSERT_LE(0, slash);
	ASSERT_EQ(0, fstat(slash, &root));

	/* /proc/self and /proc/mounts: ordinary links of procfs's root. */
	fd = hc_open_in_root(slash, "/proc/self/fd", DIR_FLAGS, &s->err);
	ASSERT_LE(0, fd) TH_LOG("%s", msg(s->err));
	path = P("proc/%d/fd", (int)getpid());
	check_lands(_metadata, fd, "", path, &root, "/proc/self/fd");
	hc_cleanup_closep(&fd);
	fd = hc_open_in_root(slash, "proc/mounts", O_RDONLY | O_CLOEXEC, &s->err);
	EXPECT_LE(0, fd) TH_LOG("%s", msg(s->err));
	hc_cleanup_closep(&fd);

	/* Magic: they jump to an object instead of naming a path. */
	EXPECT_EQ(-1, hc_open_in_root(slash, "/proc/self/cwd", DIR_FLAGS, NULL));
	EXPECT_EQ(ELOOP, errno);
	EXPECT_EQ(-1, hc_open_in_root(slash, "proc/self/root/tmp", DIR_FLAGS, NULL));
	EXPECT_EQ(ELOOP, errno);
	path = P("/proc/self/fd/%d", s->rootfd);
	EXPECT_EQ(-1, hc_open_in_root(slash, path, DIR_FLAGS, NULL));
	EXPECT_EQ(ELOOP, errno);
	/* The same through a link of the scratch root's own: still refused. */
	path = P("/proc/self/fd/%d/a", s->rootfd);
	EXPECT_EQ(-1, hc_open_in_root(slash, path, DIR_FLAGS, NULL));
	EXPECT_EQ(ELOOP, errno);
}

/* ------------------------------------------------------- hc_mkdir_in_root */

static void check_mode(struct __test_metadata *_metadata, const char *path, mode_t mode)
{
	struct stat st;

	ASSERT_EQ(0, lstat(path, &st)) TH_LOG("lstat(%s): %s", path, strerror(errno));
	EXPECT_TRUE(S_ISDIR(st.st_mode)) TH_LOG("%s is not a directory", path);
	EXPECT_EQ(mode, st.st_mode & 07777) TH_LOG("%s: mode %04o", path, st.st_mode & 07777);
}

TEST_F(resolve, mkdir_makes_what_is_missing_inside_the_root_whatever_the_umask)
{
	struct scratch *s = &self->s;
	hc_cleanup_close int fd = -1;
	const char *path;
	struct stat root;
	mode_t old;

	ASSERT_EQ(0, fstat(s->rootfd, &root));
	/* Registered first: the library makes them, the teardown removes them. */
	ASSERT_EQ(0, track(s, MADE_DIR, "%s/new1", s->root));
	ASSERT_EQ(0, track(s, MADE_DIR, "%s/new1/new2", s->root));
	ASSERT_EQ(0, track(s, MADE_DIR, "%s/a/b/c/new3", s->root));

	old = umask(077);
	fd = hc_mkdir_in_root(s->rootfd, "/a/b/c/home/up/new1/../new1/new2", 0755, &s->err);
	umask(old);
	ASSERT_LE(0, fd) TH_LOG("%s", msg(s->err));
	check_lands(_metadata, fd, s->root, "new1/new2", &root, "a/b/c/home/up/new1/../new1/new2");
	path = P("%s/new1", s->root);
	check_mode(_metadata, path, 0755);
	path = P("%s/new1/new2", s->root);
	check_mode(_metadata, path, 0755);
	hc_cleanup_closep(&fd);

	/* Through a chain that ends in an absolute link. */
	fd = hc_mkdir_in_root(s->rootfd, "chain1/c/new3", 0711, &s->err);
	ASSERT_LE(0, fd) TH_LOG("%s", msg(s->err));
	check_lands(_metadata, fd, s->root, "a/b/c/new3", &root, "chain1/c/new3");
	path = P("%s/a/b/c/new3", s->root);
	check_mode(_metadata, path, 0711);
}

TEST_F(resolve, mkdir_opens_what_exists_and_changes_nothing)
{
	struct scratch *s = &self->s;
	hc_cleanup_close int fd = -1;
	struct stat root, after;
	const char *path;

	ASSERT_EQ(0, fstat(s->rootfd, &root));
	path = P("%s/a/b", s->root);
	ASSERT_EQ(0, chmod(path, 0750));
	fd = hc_mkdir_in_root(s->rootfd, "a/b/up4/../a/b", 0755, &s->err);
	ASSERT_LE(0, fd) TH_LOG("%s", msg(s->err));
	check_lands(_metadata, fd, s->root, "a/b", &root, "a/b/up4/../a/b");
	check_mode(_metadata, path, 0750);
	hc_cleanup_closep(&fd);

	fd = hc_mkdir_in_root(s->rootfd, "/", 0755, &s->err);
	ASSERT_LE(0, fd) TH_LOG("%s", msg(s->err));
	check_lands(_metadata, fd, s->root, "", &root, "/");

	/* Nothing was made in the root on the way (a mkdir changes both). */
	ASSERT_EQ(0, fstat(s->rootfd, &after));
	EXPECT_EQ(root.st_nlink, after.st_nlink);
	EXPECT_TRUE(root.st_mtim.tv_sec == after.st_mtim.tv_sec &&
		    root.st_mtim.tv_nsec == after.st_mtim.tv_nsec);
}

static const struct {
	const char *path;
	int errnum;
	const char *named; /* the component the message must name */
} mkdir_refusals[] = {
	{"dangling/x", ENOENT, "\"/dangling\""},    {"out/x", ENOENT, "\"/out\""},
	{"outabs/secret/x", ENOENT, "\"/outabs\""}, {"a/file/x", ENOTDIR, "\"/a/file\""},
	{"tofile", ENOTDIR, "\"/tofile\""},	    {"loop1/x", ELOOP, "\"/loop1/x\""},
};

TEST_F(resolve, mkdir_makes_nothing_through_a_link_to_nowhere_or_outside)
{
	struct scratch *s = &self->s;
	const char *path;
	struct stat st;
	size_t i;

	for (i = 0; i < sizeof(mkdir_refusals) / sizeof(mkdir_refusals[0]); i++) {
		hc_error_t *err = NULL;
		int fd = hc_mkdir_in_root(s->rootfd, mkdir_refusals[i].path, 0755, &err);

		EXPECT_EQ(-1, fd) TH_LOG("%s: made", mkdir_refusals[i].path);
		if (fd >= 0)
			close(fd);
		ASSERT_NE(NULL, err) TH_LOG("%s: no error", mkdir_refusals[i].path);
		EXPECT_EQ(mkdir_refusals[i].errnum, err->errnum)
		TH_LOG("%s: %s", mkdir_refusals[i].path, msg(err));
		EXPECT_NE(NULL, strstr(msg(err), mkdir_refusals[i].named))
		TH_LOG("%s: message does not name %s: %s", mkdir_refusals[i].path,
		       mkdir_refusals[i].named, msg(err));
		hc_error_free(&err);
	}
	/* Where the links point, inside or outside, nothing appeared. */
	path = P("%s/nowhere", s->root);
	EXPECT_EQ(-1, lstat(path, &st));
	path = P("%s/x", s->outside);
	EXPECT_EQ(-1, lstat(path, &st));
	path = P("%s/secret/x", s->outside);
	EXPECT_EQ(-1, lstat(path, &st));
	path = P("%s/outside", s->root);
	EXPECT_EQ(-1, lstat(path, &st));
}

TEST_HARNESS_MAIN
