// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * What this proves: ref/lib/host.c and ref/lib/attach.c implement section 3 of
 * docs/contract.md, read back from the kernel, never from what
 * the library says it did.
 *
 *  - prepare refuses a host path that exists in any form (directory, file,
 *    symlink, dangling symlink) with EEXIST, naming the path, and changes
 *    nothing: contents, modes and link targets compared before and after;
 *  - prepare makes missing parents 0755 and the leaf 0700 whatever the umask,
 *    and removes them again when it fails midway; teardown removes exactly
 *    those, keeps a parent that became non-empty, keeps an existing sibling,
 *    keeps a symlinked parent and its target;
 *  - mount gives a tmpfs at the resolved path: root 1777 owned by root,
 *    statfs TMPFS_MAGIC, f_blocks * f_bsize == size rounded up to pages,
 *    ENOSPC at exactly that many bytes, nosuid,nodev,noexec and private
 *    propagation in mountinfo (read through libmount) even under a shared
 *    parent; a second mount with the same tag reuses it, never stacks;
 *  - mount refuses a path whose component or leaf was swapped for a symlink,
 *    or whose leaf was replaced by another directory, and mounts nothing;
 *  - teardown unmounts lazily when busy, never unmounts another source nor
 *    detaches a mount below the channel, keeps its record (fails) while a
 *    mount hides what prepare made, reports a leaf that holds files (and
 *    keeps them), and is idempotent;
 *  - attach binds inside the rootfs at the right place, rw or ro (EROFS inside,
 *    the host still writes, both see the same files), with the propagation the
 *    mode word names; no symlink in the rootfs (absolute, relative, "..") at or
 *    above the container path yields a mount outside the rootfs; a container
 *    path that is a file is refused;
 *  - the fallbacks (libmount mount(2), mount(2) bind, and the userspace walk
 *    of resolve.c for openat2) give the same results on a kernel without the
 *    new mount API and without openat2, which a seccomp filter simulates; the
 *    rootfs symlink cases run both with openat2 and with the walk;
 *  - every host test runs three times, once per way the library can learn
 *    what is mounted at a path (variants of the host fixture): as the kernel
 *    offers it (statx mount IDs, statmount, listmount), without statmount and
 *    listmount (Linux 6.1, or a seccomp filter that does not know them), and
 *    from the mount table alone (no mount ID in statx either: before 5.8).
 *    The safety cases (another source on top, a mount below, a swapped
 *    leaf) hold in each. A view shared by a task's calls (struct hc_mounts)
 *    reads the table never where the kernel names a mount's source or the
 *    record knows its mount ID, at most once where the kernel gives only
 *    mount IDs, and reads it again when the mount at a path changed since.
 *
 * Under valgrind 3.19, which knows neither fsopen nor openat2, mount takes the
 * libmount fallback and attach resolves with the walk, so every test runs.
 *
 * Each test runs in its own child (the harness forks) in its own mount
 * namespace, so its mounts die with it; its directories live in a scratch
 * directory under /tmp that the fixture's teardown empties and removes, even
 * after a failed ASSERT, removing only what the test (or the library on its
 * behalf) created: rmdir, and unlink of files the test wrote.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/filter.h>
#include <linux/magic.h>
#include <linux/seccomp.h>

#include <libmount.h>

#include "kselftest_harness.h"

#include "hostchannel.h"

#define TAG "hostchannel-host-test"

/*
 * The fstype of a bind, a bind remount or a propagation change: the kernel ignores
 * it, but valgrind (3.19) reads it as a string, so give it one.
 */
#define NO_FSTYPE "none"

#ifndef SYS_fsopen
#define SYS_fsopen 430
#endif
#ifndef SYS_openat2
#define SYS_openat2 437
#endif
#ifndef SYS_open_tree
#define SYS_open_tree 428
#endif
#ifndef SYS_mount_setattr
#define SYS_mount_setattr 442
#endif
#ifndef SYS_statmount
#define SYS_statmount 457
#endif
#ifndef SYS_listmount
#define SYS_listmount 458
#endif
#ifndef STATX_MNT_ID_UNIQUE
#define STATX_MNT_ID_UNIQUE 0x00004000U
#endif

/* ---------------------------------------------------------------- scratch */

#define MAX_MADE  32
#define MAX_HOSTS 4

enum made_kind {
	MADE_DIR,  /* rmdir */
	MADE_FILE, /* unlink: a file the test wrote, or a symlink it made */
};

/*
 * Everything a test creates, so that teardown removes exactly that, in
 * reverse order. Kept in the fixture, not on the test's stack: an ASSERT
 * longjmps past the test's own cleanup.
 */
struct scratch {
	bool ready;
	char dir[PATH_MAX];  /* as mkdtemp gave it */
	char real[PATH_MAX]; /* resolved: what mountinfo shows */
	int nmade;
	struct {
		enum made_kind kind;
		char path[PATH_MAX];
	} made[MAX_MADE];
	int nhosts;
	struct hc_host hosts[MAX_HOSTS];
	struct hc_mounts *view; /* a test's shared view, freed by the teardown */
	hc_error_t *err;
};

/* Paths for a test's own use; rotating so that a call can take several. */
static const char *P(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static const char *P(const char *fmt, ...)
{
	static char bufs[16][PATH_MAX];
	static unsigned int next;
	char *buf = bufs[next++ % 16];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, PATH_MAX, fmt, ap);
	va_end(ap);
	return buf;
}

static const char *msg(const hc_error_t *err)
{
	return err != NULL && err->msg != NULL ? err->msg : "(no error message)";
}

static void track(struct scratch *s, enum made_kind kind, const char *path)
{
	if (s->nmade >= MAX_MADE)
		abort(); /* a test bug: MAX_MADE is too small */
	s->made[s->nmade].kind = kind;
	snprintf(s->made[s->nmade].path, PATH_MAX, "%s", path);
	s->nmade++;
}

static int make_dir(struct scratch *s, const char *path, mode_t mode)
{
	if (mkdir(path, mode) < 0)
		return -1;
	track(s, MADE_DIR, path);
	/* The umask must not change what the test compares later. */
	return chmod(path, mode);
}

static int write_text(struct scratch *s, const char *path, const char *text)
{
	size_t len = strlen(text);
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	ssize_t n;

	if (fd < 0)
		return -1;
	if (s != NULL)
		track(s, MADE_FILE, path);
	n = write(fd, text, len);
	if (close(fd) < 0 || n != (ssize_t)len)
		return -1;
	return 0;
}

static int make_symlink(struct scratch *s, const char *target, const char *path)
{
	if (symlink(target, path) < 0)
		return -1;
	track(s, MADE_FILE, path);
	return 0;
}

/* "" when the file cannot be read: never equal to what a test wrote. */
static const char *read_text(const char *path)
{
	static char bufs[4][256];
	static unsigned int next;
	char *buf = bufs[next++ % 4];
	ssize_t n;
	int fd;

	buf[0] = '\0';
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return buf;
	n = read(fd, buf, 255);
	buf[n > 0 ? n : 0] = '\0';
	if (close(fd) < 0)
		buf[0] = '\0';
	return buf;
}

/* Entries in a directory other than . and ..; -1 when it cannot be read. */
static int count_entries(const char *path)
{
	struct dirent *de;
	DIR *d = opendir(path);
	int n = 0;

	if (d == NULL)
		return -1;
	while ((de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
			n++;
	if (closedir(d) < 0)
		return -1;
	return n;
}

static struct hc_host *new_host(struct scratch *s)
{
	if (s->nhosts >= MAX_HOSTS)
		abort(); /* a test bug */
	return &s->hosts[s->nhosts++];
}

static bool under(const char *path, const char *top)
{
	size_t len = strlen(top);

	return strcmp(path, top) == 0 || (strncmp(path, top, len) == 0 && path[len] == '/');
}

/*
 * Mounts under the scratch directory, newest first, lazily: they are this
 * namespace's and would die with it anyway, but rmdir needs them gone.
 */
static void unmount_scratch(const struct scratch *s)
{
	int round;

	for (round = 0; round < 100; round++) {
		struct libmnt_table *tb = mnt_new_table_from_file("/proc/self/mountinfo");
		struct libmnt_iter *itr = mnt_new_iter(MNT_ITER_BACKWARD);
		char target[PATH_MAX] = "";
		struct libmnt_fs *fs;

		while (tb != NULL && itr != NULL && mnt_table_next_fs(tb, itr, &fs) == 0) {
			if (mnt_fs_get_target(fs) != NULL &&
			    under(mnt_fs_get_target(fs), s->real)) {
				snprintf(target, sizeof(target), "%s", mnt_fs_get_target(fs));
				break;
			}
		}
		mnt_free_iter(itr);
		mnt_unref_table(tb);
		if (target[0] == '\0' || umount2(target, MNT_DETACH | UMOUNT_NOFOLLOW) < 0)
			return;
	}
}

/* 0, or -1 with a reason in why; 1 to skip. */
static int scratch_setup(struct scratch *s, char *why, size_t len)
{
	if (geteuid() != 0)
		return 1;
	if (unshare(CLONE_NEWNS) < 0) {
		snprintf(why, len, "unshare(CLONE_NEWNS): %s", strerror(errno));
		return -1;
	}
	/* Nothing this test mounts may reach the host's namespace. */
	if (mount(NULL, "/", NO_FSTYPE, MS_REC | MS_PRIVATE, NULL) < 0) {
		snprintf(why, len, "making / rprivate: %s", strerror(errno));
		return -1;
	}
	snprintf(s->dir, sizeof(s->dir), "/tmp/hc-host-test-XXXXXX");
	if (mkdtemp(s->dir) == NULL) {
		snprintf(why, len, "mkdtemp: %s", strerror(errno));
		return -1;
	}
	if (realpath(s->dir, s->real) == NULL) {
		snprintf(why, len, "realpath(%s): %s", s->dir, strerror(errno));
		if (rmdir(s->dir) < 0)
			snprintf(why, len, "realpath and rmdir(%s) failed", s->dir);
		return -1;
	}
	s->ready = true;
	return 0;
}

/* 0 when the scratch directory is gone; else what is left is named in why. */
static int scratch_teardown(struct scratch *s, char *why, size_t len)
{
	char failed[PATH_MAX + 64] = "";
	int i, pass;

	hc_error_free(&s->err);
	hc_mounts_free(s->view);
	s->view = NULL;
	if (!s->ready)
		return 0;
	unmount_scratch(s);
	/* Twice: a test may have put files in directories the library made. */
	for (pass = 0; pass < 2; pass++) {
		for (i = s->nhosts - 1; i >= 0; i--) {
			hc_error_t *err = NULL;

			/* Errors expected: some tests break the host path on purpose. */
			hc_host_teardown(&s->hosts[i], TAG, &err);
			hc_error_free(&err);
		}
		for (i = s->nmade - 1; pass == 0 && i >= 0; i--) {
			const char *path = s->made[i].path;
			int rc = s->made[i].kind == MADE_DIR ? rmdir(path) : unlink(path);

			/* Gone already is fine; anything else shows in the last rmdir. */
			if (rc < 0 && errno != ENOENT && failed[0] == '\0')
				snprintf(failed, sizeof(failed), "; removing %s: %s", path,
					 strerror(errno));
		}
	}
	if (rmdir(s->dir) < 0) {
		snprintf(why, len, "rmdir(%s): %s (%d entries left)%s", s->dir, strerror(errno),
			 count_entries(s->dir), failed);
		return -1;
	}
	s->ready = false;
	return 0;
}

/* ------------------------------------------------------------- mountinfo */

struct mnt_info {
	int id;
	char target[PATH_MAX];
	char fstype[64];
	char source[256];
	char vfs[512];	    /* per-mount options: rw/ro, nosuid, ... */
	char fs[512];	    /* superblock options: mode=1777, size=... */
	char optional[256]; /* shared:N, master:N, unbindable; "" when private */
};

static void copy_info(struct libmnt_fs *fs, struct mnt_info *mi)
{
	const char *v;

	memset(mi, 0, sizeof(*mi));
	mi->id = mnt_fs_get_id(fs);
	v = mnt_fs_get_target(fs);
	snprintf(mi->target, sizeof(mi->target), "%s", v ? v : "");
	v = mnt_fs_get_fstype(fs);
	snprintf(mi->fstype, sizeof(mi->fstype), "%s", v ? v : "");
	v = mnt_fs_get_source(fs);
	snprintf(mi->source, sizeof(mi->source), "%s", v ? v : "");
	v = mnt_fs_get_vfs_options(fs);
	snprintf(mi->vfs, sizeof(mi->vfs), "%s", v ? v : "");
	v = mnt_fs_get_fs_options(fs);
	snprintf(mi->fs, sizeof(mi->fs), "%s", v ? v : "");
	v = mnt_fs_get_optional_fields(fs);
	snprintf(mi->optional, sizeof(mi->optional), "%s", v ? v : "");
}

/*
 * The mounts at target (all of them when target is NULL), in mountinfo
 * order, through libmount: it decodes "\040" and friends.
 */
static int list_mounts(const char *target, struct mnt_info *out, int max)
{
	struct libmnt_table *tb = mnt_new_table_from_file("/proc/self/mountinfo");
	struct libmnt_iter *itr = mnt_new_iter(MNT_ITER_FORWARD);
	struct libmnt_fs *fs;
	int n = 0;

	if (tb == NULL || itr == NULL) {
		mnt_free_iter(itr);
		mnt_unref_table(tb);
		return -1;
	}
	while (mnt_table_next_fs(tb, itr, &fs) == 0) {
		const char *t = mnt_fs_get_target(fs);

		if (target != NULL && (t == NULL || strcmp(t, target) != 0))
			continue;
		if (n < max && out != NULL)
			copy_info(fs, &out[n]);
		n++;
	}
	mnt_free_iter(itr);
	mnt_unref_table(tb);
	return n;
}

static int count_mounts(const char *target)
{
	return list_mounts(target, NULL, 0);
}

/* The last (newest) mount at target; false when there is none. */
static bool find_mount(const char *target, struct mnt_info *mi)
{
	static struct mnt_info all[64];
	int n = list_mounts(target, all, 64);

	if (n <= 0 || n > 64)
		return false;
	*mi = all[n - 1];
	return true;
}

/* "name" present, or with want != NULL, "name=want". */
static bool opt_is(const char *optstr, const char *name, const char *want)
{
	char *value = NULL;
	size_t len = 0;

	if (mnt_optstr_get_option(optstr, name, &value, &len) != 0)
		return false;
	return want == NULL ||
	       (value != NULL && len == strlen(want) && strncmp(value, want, len) == 0);
}

static bool has_opt(const char *optstr, const char *name)
{
	return opt_is(optstr, name, NULL);
}

#define MAX_MOUNTS 512

struct snapshot {
	int n;
	int ids[MAX_MOUNTS];
};

static void take_snapshot(struct snapshot *snap)
{
	static struct mnt_info all[MAX_MOUNTS];
	int i;

	snap->n = list_mounts(NULL, all, MAX_MOUNTS);
	for (i = 0; i < snap->n && i < MAX_MOUNTS; i++)
		snap->ids[i] = all[i].id;
}

/* Mounts that appeared since snap; their count, up to max of them in out. */
static int new_mounts(const struct snapshot *snap, struct mnt_info *out, int max)
{
	static struct mnt_info all[MAX_MOUNTS];
	int i, j, n, found = 0;

	n = list_mounts(NULL, all, MAX_MOUNTS);
	for (i = 0; i < n && i < MAX_MOUNTS; i++) {
		bool old = false;

		for (j = 0; j < snap->n && j < MAX_MOUNTS; j++)
			old = old || snap->ids[j] == all[i].id;
		if (old)
			continue;
		if (found < max)
			out[found] = all[i];
		found++;
	}
	return found;
}

/* ------------------------------------------------------------- helpers */

static uint64_t page_size(void)
{
	return (uint64_t)sysconf(_SC_PAGESIZE);
}

static uint64_t round_to_pages(uint64_t size)
{
	return (size + page_size() - 1) / page_size() * page_size();
}

/*
 * Make the scratch directory a shared mount, as / is on a systemd host: a
 * tmpfs mounted under it would then be shared too, unless made private.
 */
static int share_scratch(const struct scratch *s)
{
	if (mount(s->dir, s->dir, NO_FSTYPE, MS_BIND, NULL) < 0)
		return -1;
	return mount(NULL, s->dir, NO_FSTYPE, MS_SHARED, NULL);
}

/* Prepare and mount a channel at <scratch>/<rel>. */
static int make_channel(struct scratch *s, const char *rel, uint64_t size, struct hc_host **out)
{
	struct hc_host *host = new_host(s);
	bool reused = true;

	*out = host;
	if (hc_host_prepare(P("%s/%s", s->dir, rel), host, &s->err) < 0)
		return -1;
	if (hc_host_mount(host, size, TAG, &reused, &s->err) < 0)
		return -1;
	return reused ? -1 : 0;
}

/* A rootfs small enough to read: /etc/hostname, /tmp. */
static int make_rootfs(struct scratch *s, char *rootfs, size_t len)
{
	if (snprintf(rootfs, len, "%s/rootfs", s->dir) >= (int)len)
		return -1;
	if (make_dir(s, rootfs, 0755) < 0 || make_dir(s, P("%s/etc", rootfs), 0755) < 0 ||
	    make_dir(s, P("%s/tmp", rootfs), 01777) < 0)
		return -1;
	return write_text(s, P("%s/etc/hostname", rootfs), "box\n");
}

static void spec_for(struct hc_spec *spec, const char *host, const char *cpath, bool ro,
		     enum hc_propagation prop)
{
	memset(spec, 0, sizeof(*spec));
	snprintf(spec->host_path, sizeof(spec->host_path), "%s", host);
	snprintf(spec->container_path, sizeof(spec->container_path), "%s", cpath);
	spec->readonly = ro;
	spec->propagation = prop;
	spec->size = 1 << 20;
}

/*
 * Simulate an older kernel: the n syscalls in nrs say ENOSYS, everything
 * else goes through. Only native syscalls are made here, so the filter need
 * not look at the architecture. The harness runs each test in a child of
 * its own: the filter dies with it.
 */
static int block_syscalls(const int *nrs, unsigned int n)
{
	struct sock_filter filter[16];
	struct sock_fprog prog;
	unsigned int i;

	if (n + 3 > sizeof(filter) / sizeof(filter[0]))
		abort(); /* a test bug */
	filter[0] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
						 offsetof(struct seccomp_data, nr));
	/* Each match jumps to the last instruction, the ENOSYS return. */
	for (i = 0; i < n; i++)
		filter[1 + i] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K,
							     (unsigned int)nrs[i], n - i, 0);
	filter[n + 1] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
	filter[n + 2] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS);
	prog.len = (unsigned short)(n + 3);
	prog.filter = filter;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return -1;
	return prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog);
}

/* A kernel before 5.2: no fsopen, no open_tree, no openat2. */
static int block_new_mount_api_and_openat2(void)
{
	static const int nrs[] = {SYS_fsopen, SYS_open_tree, SYS_openat2};

	return block_syscalls(nrs, sizeof(nrs) / sizeof(nrs[0]));
}

/* mount_setattr only (before 5.12). */
static int block_mount_setattr(void)
{
	static const int nrs[] = {SYS_mount_setattr};

	return block_syscalls(nrs, sizeof(nrs) / sizeof(nrs[0]));
}

/* openat2 only (before 5.6): hc_attach then resolves with the userspace walk. */
static int block_openat2(void)
{
	static const int nrs[] = {SYS_openat2};

	return block_syscalls(nrs, 1);
}

/* ------------------------------------------------------ how lookups learn */

enum lookup {
	LOOKUP_KERNEL,	     /* whatever this kernel has */
	LOOKUP_NO_STATMOUNT, /* no statmount, no listmount */
	LOOKUP_TABLE,	     /* not even a mount ID from statx */
};

static int block_lookups(enum lookup lookup)
{
	static const int no_statmount[] = {SYS_statmount, SYS_listmount};
	static const int table[] = {SYS_statmount, SYS_listmount, SYS_statx};

	switch (lookup) {
	case LOOKUP_NO_STATMOUNT:
		return block_syscalls(no_statmount, 2);
	case LOOKUP_TABLE:
		return block_syscalls(table, 3);
	default:
		return 0;
	}
}

/* Does statx give a mount ID (mask: STATX_MNT_ID, or with STATX_MNT_ID_UNIQUE the other)? */
static bool statx_gives(unsigned int mask)
{
	struct statx sx;

	return statx(AT_FDCWD, "/", 0, mask, &sx) == 0 && (sx.stx_mask & mask) != 0;
}

/* Does statmount() name a mount's source (STATMOUNT_SB_SOURCE, Linux 6.13)? */
static bool statmount_names_sources(void)
{
	struct {
		uint32_t size, spare;
		uint64_t mnt_id, param;
	} req = {.size = 24, .param = 0x200 /* STATMOUNT_SB_SOURCE */};
	static union {
		uint64_t align;
		unsigned char bytes[512 + 2 * PATH_MAX];
	} buf;
	struct statx sx;
	uint64_t mask;

	if (statx(AT_FDCWD, "/", 0, STATX_MNT_ID_UNIQUE, &sx) < 0 ||
	    (sx.stx_mask & STATX_MNT_ID_UNIQUE) == 0)
		return false;
	req.mnt_id = sx.stx_mnt_id;
	if (syscall(SYS_statmount, &req, &buf, sizeof(buf), 0) < 0)
		return false;
	memcpy(&mask, buf.bytes + 8, sizeof(mask)); /* struct statmount's mask */
	return (mask & 0x200) != 0;
}

/*
 * The 6.1 harness still runs the test body after a SKIP in setup; failing
 * the setup too stops it there, and the child still reports SKIP.
 */
#define SETUP_SKIP(fmt, ...) SKIP(_metadata->passed = 0; return, fmt, ##__VA_ARGS__)

/* --------------------------------------------------------------- fixture */

FIXTURE(host)
{
	struct scratch s;
};

FIXTURE_VARIANT(host)
{
	enum lookup lookup;
};

/* statx's mount IDs, statmount and listmount, as far as this kernel has them. */
FIXTURE_VARIANT_ADD(host, kernel){
	.lookup = LOOKUP_KERNEL,
};

/* As on Linux 6.1, or under a seccomp filter that does not know them. */
FIXTURE_VARIANT_ADD(host, no_statmount){
	.lookup = LOOKUP_NO_STATMOUNT,
};

/* As before Linux 5.8: the mount table is all there is. */
FIXTURE_VARIANT_ADD(host, table_only){
	.lookup = LOOKUP_TABLE,
};

FIXTURE_SETUP(host)
{
	char why[PATH_MAX + 64];
	int rc = scratch_setup(&self->s, why, sizeof(why));

	if (rc == 1)
		SETUP_SKIP("needs root: mount namespaces and tmpfs mounts");
	ASSERT_EQ(0, rc) TH_LOG("%s", why);
	/* After the setup: its own calls need nothing from these. */
	ASSERT_EQ(0, block_lookups(variant->lookup)) TH_LOG("seccomp: %s", strerror(errno));
}

FIXTURE_TEARDOWN(host)
{
	char why[PATH_MAX + 64];

	EXPECT_EQ(0, scratch_teardown(&self->s, why, sizeof(why))) TH_LOG("%s", why);
}

/* ------------------------------------------------ prepare: existing paths */

TEST_F(host, prepare_refuses_existing_directory_and_leaves_it_untouched)
{
	struct scratch *s = &self->s;
	const char *keep = P("%s/keep", s->dir);
	struct hc_host *host = new_host(s);
	struct stat before, after;

	ASSERT_EQ(0, make_dir(s, keep, 0750));
	ASSERT_EQ(0, write_text(s, P("%s/data", keep), "precious\n"));
	ASSERT_EQ(0, stat(keep, &before));

	ASSERT_EQ(-1, hc_host_prepare(keep, host, &s->err));
	ASSERT_NE(NULL, s->err);
	EXPECT_EQ(EEXIST, s->err->errnum);
	EXPECT_NE(NULL, strstr(msg(s->err), P("\"%s\"", keep))) TH_LOG("%s", msg(s->err));
	EXPECT_NE(NULL, strstr(msg(s->err), "a directory")) TH_LOG("%s", msg(s->err));
	EXPECT_STREQ("", host->real_path);

	ASSERT_EQ(0, stat(keep, &after));
	EXPECT_EQ(before.st_ino, after.st_ino);
	EXPECT_EQ(before.st_mode, after.st_mode);
	EXPECT_EQ(before.st_mtim.tv_sec, after.st_mtim.tv_sec);
	EXPECT_EQ(before.st_mtim.tv_nsec, after.st_mtim.tv_nsec);
	EXPECT_EQ(1, count_entries(keep));
	EXPECT_STREQ("precious\n", read_text(P("%s/data", keep)));
}

TEST_F(host, prepare_refuses_existing_regular_file)
{
	struct scratch *s = &self->s;
	const char *file = P("%s/file", s->dir);

	ASSERT_EQ(0, write_text(s, file, "do not touch\n"));
	ASSERT_EQ(-1, hc_host_prepare(file, new_host(s), &s->err));
	EXPECT_EQ(EEXIST, s->err->errnum);
	EXPECT_NE(NULL, strstr(msg(s->err), "a regular file")) TH_LOG("%s", msg(s->err));
	EXPECT_STREQ("do not touch\n", read_text(file));
}

TEST_F(host, prepare_refuses_symlink_to_a_directory)
{
	struct scratch *s = &self->s;
	const char *link = P("%s/link", s->dir), *target = P("%s/target", s->dir);
	char buf[PATH_MAX] = "";

	ASSERT_EQ(0, make_dir(s, target, 0755));
	ASSERT_EQ(0, make_symlink(s, "target", link));
	ASSERT_EQ(-1, hc_host_prepare(link, new_host(s), &s->err));
	EXPECT_EQ(EEXIST, s->err->errnum);
	EXPECT_NE(NULL, strstr(msg(s->err), "a symlink")) TH_LOG("%s", msg(s->err));
	ASSERT_EQ(6, readlink(link, buf, sizeof(buf) - 1));
	EXPECT_STREQ("target", buf);
	EXPECT_EQ(0, count_entries(target));
}

TEST_F(host, prepare_refuses_dangling_symlink_and_creates_nothing)
{
	struct scratch *s = &self->s;
	const char *link = P("%s/dangling", s->dir);
	struct stat st;

	ASSERT_EQ(0, make_symlink(s, "nowhere", link));
	ASSERT_EQ(-1, hc_host_prepare(link, new_host(s), &s->err));
	EXPECT_EQ(EEXIST, s->err->errnum);
	EXPECT_NE(NULL, strstr(msg(s->err), "a symlink")) TH_LOG("%s", msg(s->err));
	EXPECT_EQ(-1, lstat(P("%s/nowhere", s->dir), &st));
	EXPECT_EQ(1, count_entries(s->dir));
}

TEST_F(host, prepare_refuses_a_path_under_a_dangling_symlink)
{
	struct scratch *s = &self->s;
	struct stat st;

	ASSERT_EQ(0, make_symlink(s, "nowhere", P("%s/dangling", s->dir)));
	ASSERT_EQ(-1, hc_host_prepare(P("%s/dangling/chan", s->dir), new_host(s), &s->err));
	EXPECT_EQ(ENOTDIR, s->err->errnum) TH_LOG("%s", msg(s->err));
	EXPECT_EQ(-1, lstat(P("%s/nowhere", s->dir), &st));
	EXPECT_EQ(1, count_entries(s->dir));
}

TEST_F(host, prepare_refuses_root_and_relative_paths)
{
	struct scratch *s = &self->s;

	EXPECT_EQ(-1, hc_host_prepare("/", new_host(s), &s->err));
	hc_error_free(&s->err);
	EXPECT_EQ(-1, hc_host_prepare("/tmp/..", new_host(s), &s->err));
	hc_error_free(&s->err);
	EXPECT_EQ(-1, hc_host_prepare("relative/chan", new_host(s), &s->err));
	EXPECT_NE(NULL, strstr(msg(s->err), "not absolute")) TH_LOG("%s", msg(s->err));
}

/* ------------------------------------------- prepare and teardown: dirs */

TEST_F(host, prepare_makes_parents_0755_leaf_0700_and_teardown_removes_only_them)
{
	struct scratch *s = &self->s;
	struct hc_host *host = new_host(s);
	mode_t old_umask;
	struct stat st;
	int rc;

	ASSERT_EQ(0, make_dir(s, P("%s/sibling", s->dir), 0700));
	ASSERT_EQ(0, write_text(s, P("%s/sibling/keep", s->dir), "mine\n"));

	/* A strict umask must not leave the parents unreachable for users. */
	old_umask = umask(077);
	rc = hc_host_prepare(P("%s/a/b/c", s->dir), host, &s->err);
	umask(old_umask);
	ASSERT_EQ(0, rc) TH_LOG("%s", msg(s->err));

	EXPECT_STREQ(P("%s/a/b/c", s->dir), host->path);
	EXPECT_STREQ(P("%s/a/b/c", s->real), host->real_path);
	EXPECT_STREQ(P("%s/a", s->real), host->created_top);
	ASSERT_EQ(0, lstat(P("%s/a", s->dir), &st));
	EXPECT_TRUE(S_ISDIR(st.st_mode));
	EXPECT_EQ(0755, st.st_mode & 07777);
	ASSERT_EQ(0, lstat(P("%s/a/b", s->dir), &st));
	EXPECT_EQ(0755, st.st_mode & 07777);
	ASSERT_EQ(0, lstat(P("%s/a/b/c", s->dir), &st));
	EXPECT_TRUE(S_ISDIR(st.st_mode));
	EXPECT_EQ(0700, st.st_mode & 07777);
	EXPECT_EQ(0, st.st_uid);
	EXPECT_EQ(host->dev, st.st_dev);
	EXPECT_EQ(host->ino, st.st_ino);

	ASSERT_EQ(0, hc_host_teardown(host, TAG, &s->err)) TH_LOG("%s", msg(s->err));
	EXPECT_EQ(-1, lstat(P("%s/a", s->dir), &st));
	EXPECT_EQ(ENOENT, errno);
	EXPECT_STREQ("mine\n", read_text(P("%s/sibling/keep", s->dir)));
	EXPECT_EQ(1, count_entries(s->dir));
}

TEST_F(host, prepare_failing_midway_removes_the_parents_it_made)
{
	struct scratch *s = &self->s;
	struct hc_host *host = new_host(s);
	char name[NAME_MAX + 2];

	/* a and b get made, then the leaf's name is one byte too long. */
	memset(name, 'n', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	ASSERT_EQ(-1, hc_host_prepare(P("%s/a/b/%s", s->dir, name), host, &s->err));
	EXPECT_EQ(ENAMETOOLONG, s->err->errnum) TH_LOG("%s", msg(s->err));
	EXPECT_STREQ("", host->real_path);
	EXPECT_EQ(0, count_entries(s->dir));
}

TEST_F(host, teardown_keeps_a_parent_that_is_no_longer_empty)
{
	struct scratch *s = &self->s;
	struct hc_host *host = new_host(s);
	struct stat st;

	ASSERT_EQ(0, hc_host_prepare(P("%s/a/b/c", s->dir), host, &s->err))
	TH_LOG("%s", msg(s->err));
	ASSERT_EQ(0, write_text(s, P("%s/a/other", s->dir), "someone's\n"));

	ASSERT_EQ(0, hc_host_teardown(host, TAG, &s->err)) TH_LOG("%s", msg(s->err));
	EXPECT_EQ(-1, lstat(P("%s/a/b", s->dir), &st));
	EXPECT_EQ(0, lstat(P("%s/a", s->dir), &st));
	EXPECT_STREQ("someone's\n", read_text(P("%s/a/other", s->dir)));
}

/* ------------------------------------------------ prepare: crash journal */

/*
 * A prepare killed at journal step "crash": the child runs it and dies with
 * _exit (no cleanup of any kind, as a SIGKILL) either just before the
 * journal records the record (odd crash: the side effect before it is
 * unrecorded) or just after (even crash). What the journal recorded last is
 * in shared memory, as a state file would hold it.
 */
struct journal_crash {
	int calls;
	int crash;
	struct hc_host *saved; /* shared with the parent */
};

static int crash_journal(void *arg, const struct hc_host *host, hc_error_t **err)
{
	struct journal_crash *jc = arg;

	(void)err;
	jc->calls++;
	if (jc->crash == 2 * jc->calls - 1)
		_exit(0);
	*jc->saved = *host;
	if (jc->crash == 2 * jc->calls)
		_exit(0);
	return 0;
}

/* 0: the child died at the step, 1: prepare finished first, -1: error. */
static int prepare_crashing(const char *path, int crash, struct hc_host *saved)
{
	struct journal_crash jc = {.crash = crash, .saved = saved};
	int status;
	pid_t pid;

	memset(saved, 0, sizeof(*saved));
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		struct hc_host host;

		_exit(hc_host_prepare_journal(path, &host, crash_journal, &jc, NULL) == 0 ? 1 : 2);
	}
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status) == 0 ? 0 : WEXITSTATUS(status) == 1 ? 1 : -1;
}

TEST_F(host, prepare_killed_at_every_journal_step_is_rolled_back_exactly)
{
	struct scratch *s = &self->s;
	struct hc_host *saved;
	int crash, rc = 0;

	saved = mmap(NULL, sizeof(*saved), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1,
		     0);
	ASSERT_NE(MAP_FAILED, saved);
	ASSERT_EQ(0, make_dir(s, P("%s/sibling", s->dir), 0750));
	ASSERT_EQ(0, write_text(s, P("%s/sibling/keep", s->dir), "mine\n"));

	/* a and b are parents to make, c the leaf: three directories, and a
	 * crash on each side of each of their journal entries. */
	for (crash = 1; crash < 100; crash++) {
		rc = prepare_crashing(P("%s/a/b/c", s->dir), crash, saved);
		if (rc != 0)
			break;
		EXPECT_EQ(0, saved->ino) TH_LOG("crash %d: the record says finished", crash);
		EXPECT_EQ(0, hc_host_teardown(saved, TAG, &s->err))
		TH_LOG("crash %d: %s", crash, msg(s->err));
		hc_error_free(&s->err);
		EXPECT_EQ(1, count_entries(s->dir))
		TH_LOG("crash %d (pending \"%s\", token %s): the rollback left %d entries", crash,
		       saved->pending, saved->token, count_entries(s->dir) - 1);
		EXPECT_STREQ("mine\n", read_text(P("%s/sibling/keep", s->dir)));
		if (count_entries(s->dir) != 1)
			break;
	}
	EXPECT_EQ(1, rc) TH_LOG("crash %d: prepare neither died nor finished", crash);
	/* 3 directories x (intent, identity, in place) x (before, after). */
	EXPECT_EQ(19, crash);
	/* Finished, but killed before its caller recorded the result: the
	 * last journal entry (the leaf in place) still rolls it all back. */
	ASSERT_EQ(0, hc_host_teardown(saved, TAG, &s->err)) TH_LOG("%s", msg(s->err));
	EXPECT_EQ(1, count_entries(s->dir));
	munmap(saved, sizeof(*saved));
}

TEST_F(host, rollback_never_removes_a_directory_the_record_does_not_prove)
{
	struct scratch *s = &self->s;
	char tmp[PATH_MAX + 64];
	struct hc_host *saved;
	struct stat st;
	int crash;

	saved = mmap(NULL, sizeof(*saved), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1,
		     0);
	ASSERT_NE(MAP_FAILED, saved);
	/* Crash 4: the leaf c made under its temporary name, its identity
	 * recorded, not renamed yet. Crash 6: renamed into place. */
	for (crash = 4; crash <= 6; crash += 2) {
		const char *victim;

		ASSERT_EQ(0, prepare_crashing(P("%s/c", s->dir), crash, saved));
		ASSERT_NE(0, saved->pending_ino);
		snprintf(tmp, sizeof(tmp), "%s/%s%s", s->dir, HC_HOST_TMP_PREFIX, saved->token);
		victim = crash == 4 ? tmp : P("%s/c", s->dir);
		/* Someone else's directory now stands where the record points:
		 * made before the old one goes, so it cannot reuse its inode. */
		ASSERT_EQ(0, make_dir(s, P("%s/other", s->dir), 0700));
		ASSERT_EQ(0, rmdir(victim));
		ASSERT_EQ(0, rename(P("%s/other", s->dir), victim));
		snprintf(s->made[s->nmade - 1].path, PATH_MAX, "%.4000s", victim);
		ASSERT_EQ(0, lstat(victim, &st));

		EXPECT_EQ(0, hc_host_teardown(saved, TAG, &s->err)) TH_LOG("%s", msg(s->err));
		EXPECT_EQ(0, access(victim, F_OK))
		TH_LOG("crash %d: the rollback removed %s, which it did not make", crash, victim);
	}
	munmap(saved, sizeof(*saved));
}

TEST_F(host, teardown_refuses_a_record_with_a_forged_token_or_pending_path)
{
	struct scratch *s = &self->s;
	struct hc_host host = {.ino = 0};

	snprintf(host.real_path, sizeof(host.real_path), "%.4000s/c", s->real);
	snprintf(host.token, sizeof(host.token), "../../../../../../etc/passwd");
	EXPECT_EQ(-1, hc_host_teardown(&host, TAG, &s->err));
	hc_error_free(&s->err);
	snprintf(host.token, sizeof(host.token), "%032x", 0);
	snprintf(host.pending, sizeof(host.pending), "/etc");
	EXPECT_EQ(-1, hc_host_teardown(&host, TAG, &s->err));
	EXPECT_EQ(0, access("/etc/passwd", F_OK));
}

TEST_F(host, teardown_reports_a_leaf_holding_files_and_keeps_them)
{
	struct scratch *s = &self->s;
	struct hc_host *host = new_host(s);

	ASSERT_EQ(0, hc_host_prepare(P("%s/chan", s->dir), host, &s->err))
	TH_LOG("%s", msg(s->err));
	ASSERT_EQ(0, write_text(s, P("%s/chan/left", s->dir), "keep me\n"));

	ASSERT_EQ(-1, hc_host_teardown(host, TAG, &s->err));
	EXPECT_EQ(ENOTEMPTY, s->err->errnum);
	EXPECT_NE(NULL, strstr(msg(s->err), "not empty")) TH_LOG("%s", msg(s->err));
	EXPECT_STREQ("keep me\n", read_text(P("%s/chan/left", s->dir)));
}

/* ------------------------------------------------------------------ mount */

TEST_F(host, mount_gives_private_1777_tmpfs_of_size_with_nosuid_nodev_noexec)
{
	struct scratch *s = &self->s;
	uint64_t size = (1 << 20) + 1; /* one byte over: the tmpfs rounds up a page */
	struct mnt_info mi, parent;
	const char *sizeopt;
	struct hc_host *host;
	bool mounted = false;
	struct statfs sfs;
	struct stat st;

	ASSERT_EQ(0, share_scratch(s)) TH_LOG("%s", strerror(errno));
	ASSERT_EQ(0, make_channel(s, "chan", size, &host)) TH_LOG("%s", msg(s->err));
	sizeopt = P("%lluk", (unsigned long long)round_to_pages(size) >> 10);

	ASSERT_EQ(0, stat(host->real_path, &st));
	EXPECT_TRUE(S_ISDIR(st.st_mode));
	EXPECT_EQ(S_ISVTX | 0777, st.st_mode & 07777);
	EXPECT_EQ(0, st.st_uid);
	EXPECT_EQ(0, st.st_gid);
	ASSERT_EQ(0, statfs(host->real_path, &sfs));
	EXPECT_EQ(TMPFS_MAGIC, sfs.f_type);
	EXPECT_EQ(round_to_pages(size), (uint64_t)sfs.f_blocks * (uint64_t)sfs.f_bsize);

	ASSERT_TRUE(find_mount(host->real_path, &mi));
	EXPECT_STREQ("tmpfs", mi.fstype);
	EXPECT_STREQ(TAG, mi.source);
	EXPECT_TRUE(has_opt(mi.vfs, "rw")) TH_LOG("vfs options: %s", mi.vfs);
	EXPECT_TRUE(has_opt(mi.vfs, "nosuid")) TH_LOG("vfs options: %s", mi.vfs);
	EXPECT_TRUE(has_opt(mi.vfs, "nodev")) TH_LOG("vfs options: %s", mi.vfs);
	EXPECT_TRUE(has_opt(mi.vfs, "noexec")) TH_LOG("vfs options: %s", mi.vfs);
	/* The kernel shows mode= only when it is not the default, 1777. */
	EXPECT_TRUE(!has_opt(mi.fs, "mode") || opt_is(mi.fs, "mode", "1777"))
	TH_LOG("fs options: %s", mi.fs);
	EXPECT_TRUE(opt_is(mi.fs, "size", sizeopt))
	TH_LOG("fs options: %s, expected size=%s", mi.fs, sizeopt);
	EXPECT_EQ(NULL, strstr(mi.optional, "shared:")) TH_LOG("optional fields: %s", mi.optional);
	/* Otherwise "private" above would prove nothing. */
	ASSERT_TRUE(find_mount(s->real, &parent));
	EXPECT_NE(NULL, strstr(parent.optional, "shared:")) TH_LOG("parent: %s", parent.optional);

	ASSERT_EQ(0, hc_host_is_mounted(host, TAG, &mounted, &s->err));
	EXPECT_TRUE(mounted);
	ASSERT_EQ(0, hc_host_is_mounted(host, "hostchannel-other", &mounted, &s->err));
	EXPECT_FALSE(mounted);
}

TEST_F(host, writing_beyond_size_gives_enospc_at_size_rounded_to_pages)
{
	struct scratch *s = &self->s;
	uint64_t size = 8 * page_size() + 100, total = 0;
	static char chunk[1024];
	struct hc_host *host;
	int fd, saved = 0;
	ssize_t n;

	ASSERT_EQ(0, make_channel(s, "chan", size, &host)) TH_LOG("%s", msg(s->err));
	fd = open(P("%s/fill", host->real_path), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	ASSERT_LE(0, fd);
	memset(chunk, 'x', sizeof(chunk));
	while (total <= size + page_size()) {
		n = write(fd, chunk, sizeof(chunk));
		if (n < 0) {
			saved = errno;
			break;
		}
		total += (uint64_t)n;
	}
	EXPECT_EQ(0, close(fd));
	EXPECT_EQ(ENOSPC, saved);
	EXPECT_EQ(round_to_pages(size), total);
}

TEST_F(host, second_mount_with_the_same_tag_reuses_it_without_stacking)
{
	struct scratch *s = &self->s;
	struct hc_host *host;
	bool reused = false;

	ASSERT_EQ(0, make_channel(s, "chan", 1 << 20, &host)) TH_LOG("%s", msg(s->err));
	ASSERT_EQ(0, write_text(NULL, P("%s/survives", host->real_path), "still here\n"));

	ASSERT_EQ(0, hc_host_mount(host, 1 << 20, TAG, &reused, &s->err)) TH_LOG("%s", msg(s->err));
	EXPECT_TRUE(reused);
	EXPECT_EQ(1, count_mounts(host->real_path));
	EXPECT_STREQ("still here\n", read_text(P("%s/survives", host->real_path)));

	/* Another channel's tag is not this one's tmpfs: refused, not stacked. */
	ASSERT_EQ(-1, hc_host_mount(host, 1 << 20, "hostchannel-other", &reused, &s->err));
	EXPECT_EQ(EBUSY, s->err->errnum) TH_LOG("%s", msg(s->err));
	EXPECT_FALSE(reused);
	EXPECT_EQ(1, count_mounts(host->real_path));
}

TEST_F(host, mount_refuses_size_zero_and_a_tag_libmount_would_misread)
{
	struct scratch *s = &self->s;
	struct hc_host *host = new_host(s);
	bool reused;

	ASSERT_EQ(0, hc_host_prepare(P("%s/chan", s->dir), host, &s->err))
	TH_LOG("%s", msg(s->err));
	EXPECT_EQ(-1, hc_host_mount(host, 0, TAG, &reused, &s->err));
	hc_error_free(&s->err);
	EXPECT_EQ(-1, hc_host_mount(host, 1 << 20, "LABEL=x", &reused, &s->err));
	hc_error_free(&s->err);
	EXPECT_EQ(-1, hc_host_mount(host, 1 << 20, "a,b", &reused, &s->err));
	hc_error_free(&s->err);
	EXPECT_EQ(-1, hc_host_mount(host, 1 << 20, "", &reused, &s->err));
	EXPECT_EQ(0, count_mounts(host->real_path));
}

TEST_F(host, path_with_a_space_is_found_in_mountinfo)
{
	struct scratch *s = &self->s;
	struct hc_host *host;
	bool mounted = false;
	struct mnt_info mi;
	struct stat st;

	ASSERT_EQ(0, make_channel(s, "with space/chan x", 1 << 20, &host))
	TH_LOG("%s", msg(s->err));
	EXPECT_STREQ(P("%s/with space/chan x", s->real), host->real_path);
	ASSERT_TRUE(find_mount(host->real_path, &mi));
	EXPECT_STREQ(TAG, mi.source);
	ASSERT_EQ(0, hc_host_is_mounted(host, TAG, &mounted, &s->err));
	EXPECT_TRUE(mounted);

	ASSERT_EQ(0, hc_host_teardown(host, TAG, &s->err)) TH_LOG("%s", msg(s->err));
	EXPECT_EQ(0, count_mounts(host->real_path));
	EXPECT_EQ(-1, lstat(P("%s/with space", s->dir), &st));
}

TEST_F(host, symlinked_parent_is_resolved_and_kept_by_teardown)
{
	struct scratch *s = &self->s;
	char buf[PATH_MAX] = "";
	struct hc_host *host;
	struct mnt_info mi;
	struct stat st;

	ASSERT_EQ(0, make_dir(s, P("%s/realdir", s->dir), 0755));
	ASSERT_EQ(0, make_symlink(s, "realdir", P("%s/link", s->dir)));
	ASSERT_EQ(0, make_channel(s, "link/sub/chan", 1 << 20, &host)) TH_LOG("%s", msg(s->err));

	EXPECT_STREQ(P("%s/link/sub/chan", s->dir), host->path);
	EXPECT_STREQ(P("%s/realdir/sub/chan", s->real), host->real_path);
	EXPECT_STREQ(P("%s/realdir/sub", s->real), host->created_top);
	ASSERT_TRUE(find_mount(host->real_path, &mi));
	EXPECT_STREQ(TAG, mi.source);
	EXPECT_EQ(0, count_mounts(P("%s/link/sub/chan", s->real)));

	ASSERT_EQ(0, hc_host_teardown(host, TAG, &s->err)) TH_LOG("%s", msg(s->err));
	EXPECT_EQ(0, count_mounts(host->real_path));
	ASSERT_EQ(0, lstat(P("%s/link", s->dir), &st));
	EXPECT_TRUE(S_ISLNK(st.st_mode));
	ASSERT_EQ(7, readlink(P("%s/link", s->dir), buf, sizeof(buf) - 1));
	EXPECT_STREQ("realdir", buf);
	EXPECT_EQ(0, count_entries(P("%s/realdir", s->dir)));
}

TEST_F(host, component_swapped_for_a_symlink_before_mount_is_refused)
{
	struct scratch *s = &self->s;
	struct hc_host *host = new_host(s);
	struct snapshot snap;
	struct mnt_info added;
	bool reused = true;

	ASSERT_EQ(0, hc_host_prepare(P("%s/p/leaf", s->dir), host, &s->err))
	TH_LOG("%s", msg(s->err));
	/* A decoy with the same shape, for the symlink to point at. */
	ASSERT_EQ(0, make_dir(s, P("%s/decoy", s->dir), 0755));
	ASSERT_EQ(0, make_dir(s, P("%s/decoy/leaf", s->dir), 0755));
	ASSERT_EQ(0, rename(P("%s/p", s->dir), P("%s/p.moved", s->dir)));
	track(s, MADE_DIR, P("%s/p.moved", s->dir));
	track(s, MADE_DIR, P("%s/p.moved/leaf", s->dir));
	ASSERT_EQ(0, make_symlink(s, "decoy", P("%s/p", s->dir)));

	take_snapshot(&snap);
	ASSERT_EQ(-1, hc_host_mount(host, 1 << 20, TAG, &reused, &s->err));
	EXPECT_EQ(ELOOP, s->err->errnum) TH_LOG("%s", msg(s->err));
	EXPECT_NE(NULL, strstr(msg(s->err), "symlink")) TH_LOG("%s", msg(s->err));
	EXPECT_FALSE(reused);
	EXPECT_EQ(0, new_mounts(&snap, &added, 1)) TH_LOG("mounted at %s", added.target);
}

TEST_F(host, leaf_swapped_for_a_symlink_before_mount_is_refused)
{
	struct scratch *s = &self->s;
	struct hc_host *host = new_host(s);
	struct snapshot snap;
	struct mnt_info added;
	bool reused = true;

	ASSERT_EQ(0, hc_host_prepare(P("%s/leaf", s->dir), host, &s->err))
	TH_LOG("%s", msg(s->err));
	ASSERT_EQ(0, make_dir(s, P("%s/decoy", s->dir), 0755));
	ASSERT_EQ(0, rename(P("%s/leaf", s->dir), P("%s/leaf.moved", s->dir)));
	track(s, MADE_DIR, P("%s/leaf.moved", s->dir));
	ASSERT_EQ(0, make_symlink(s, "leaf.moved", P("%s/leaf", s->dir)));

	take_snapshot(&snap);
	ASSERT_EQ(-1, hc_host_mount(host, 1 << 20, TAG, &reused, &s->err));
	EXPECT_EQ(ELOOP, s->err->errnum) TH_LOG("%s", msg(s->err));
	EXPECT_EQ(0, new_mounts(&snap, &added, 1)) TH_LOG("mounted at %s", added.target);
}

TEST_F(host, leaf_replaced_by_another_directory_is_refused)
{
	struct scratch *s = &self->s;
	struct hc_host *host = new_host(s);
	struct snapshot snap;
	struct mnt_info added;
	bool reused = true;

	ASSERT_EQ(0, hc_host_prepare(P("%s/leaf", s->dir), host, &s->err))
	TH_LOG("%s", msg(s->err));
	/* Renamed, not removed: the old inode lives on, so its number is not reused. */
	ASSERT_EQ(0, rename(P("%s/leaf", s->dir), P("%s/leaf.old", s->dir)));
	track(s, MADE_DIR, P("%s/leaf.old", s->dir));
	ASSERT_EQ(0, make_dir(s, P("%s/leaf", s->dir), 0700));

	take_snapshot(&snap);
	ASSERT_EQ(-1, hc_host_mount(host, 1 << 20, TAG, &reused, &s->err));
	EXPECT_EQ(EPERM, s->err->errnum) TH_LOG("%s", msg(s->err));
	EXPECT_NE(NULL, strstr(msg(s->err), "not the directory")) TH_LOG("%s", msg(s->err));
	EXPECT_EQ(0, new_mounts(&snap, &added, 1)) TH_LOG("mounted at %s", added.target);

	/* Not ours: teardown leaves it. */
	hc_error_free(&s->err);
	EXPECT_EQ(0, hc_host_teardown(host, TAG, &s->err)) TH_LOG("%s", msg(s->err));
	EXPECT_EQ(0, access(P("%s/leaf", s->dir), F_OK));
}

/* --------------------------------------------------------------- teardown */

TEST_F(host, teardown_of_a_busy_mount_detaches_it_and_removes_the_directory)
{
	struct scratch *s = &self->s;
	struct hc_host *host;
	struct stat st;
	int fd;

	ASSERT_EQ(0, make_channel(s, "chan", 1 << 20, &host)) TH_LOG("%s", msg(s->err));
	fd = open(P("%s/held", host->real_path), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	ASSERT_LE(0, fd);

	EXPECT_EQ(0, hc_host_teardown(host, TAG, &s->err)) TH_LOG("%s", msg(s->err));
	EXPECT_EQ(0, count_mounts(host->real_path));
	EXPECT_EQ(-1, lstat(host->real_path, &st));
	EXPECT_EQ(ENOENT, errno);
	/* Detached, not gone: the holder keeps working until it lets go. */
	EXPECT_EQ(5, write(fd, "later", 5));
	EXPECT_EQ(0, close(fd));
}

TEST_F(host, teardown_is_idempotent)
{
	struct scratch *s = &self->s;
	struct hc_host *host, *unmounted = new_host(s), never;
	bool mounted = true;
	struct stat st;

	ASSERT_EQ(0, make_channel(s, "chan", 1 << 20, &host)) TH_LOG("%s", msg(s->err));
	EXPECT_EQ(0, hc_host_teardown(host, TAG, &s->err)) TH_LOG("%s", msg(s->err));
	EXPECT_EQ(0, hc_host_teardown(host, TAG, &s->err)) TH_LOG("%s", msg(s->err));
	EXPECT_EQ(0, hc_host_is_mounted(host, TAG, &mounted, &s->err));
	EXPECT_FALSE(mounted);
	EXPECT_EQ(-1, lstat(host->real_path, &st));

	ASSERT_EQ(0, hc_host_prepare(P("%s/x/y", s->dir), unmounted, &s->err));
	EXPECT_EQ(0, hc_host_teardown(unmounted, TAG, &s->err)) TH_LOG("%s", msg(s->err));
	EXPECT_EQ(0, hc_host_teardown(unmounted, TAG, &s->err)) TH_LOG("%s", msg(s->err));
	EXPECT_EQ(0, count_entries(s->dir));

	memset(&never, 0, sizeof(never));
	EXPECT_EQ(0, hc_host_teardown(&never, TAG, &s->err)) TH_LOG("%s", msg(s->err));
}

TEST_F(host, teardown_never_unmounts_another_source)
{
	struct scratch *s = &self->s;
	struct hc_host *host;
	struct mnt_info mi;
	struct stat st;

	ASSERT_EQ(0, make_channel(s, "chan", 1 << 20, &host)) TH_LOG("%s", msg(s->err));
	ASSERT_EQ(0, mount("someone-else", host->real_path, "tmpfs", 0, "size=64k"));

	ASSERT_EQ(-1, hc_host_teardown(host, TAG, &s->err));
	EXPECT_EQ(EBUSY, s->err->errnum) TH_LOG("%s", msg(s->err));
	EXPECT_EQ(2, count_mounts(host->real_path));
	ASSERT_TRUE(find_mount(host->real_path, &mi));
	EXPECT_STREQ("someone-else", mi.source);

	/* Once its owner unmounts it, teardown finishes the job. */
	ASSERT_EQ(0, umount2(host->real_path, UMOUNT_NOFOLLOW));
	hc_error_free(&s->err);
	EXPECT_EQ(0, hc_host_teardown(host, TAG, &s->err)) TH_LOG("%s", msg(s->err));
	EXPECT_EQ(0, count_mounts(host->real_path));
	EXPECT_EQ(-1, lstat(host->real_path, &st));
}

TEST_F(host, teardown_never_detaches_a_mount_below_the_channel)
{
	struct scratch *s = &self->s;
	const char *inner;
	struct hc_host *host;
	struct mnt_info mi;
	struct stat st;

	ASSERT_EQ(0, make_channel(s, "chan", 1 << 20, &host)) TH_LOG("%s", msg(s->err));
	/* In the tmpfs, so it goes with it: not tracked for the fixture. */
	inner = P("%s/inner", host->real_path);
	ASSERT_EQ(0, mkdir(inner, 0755));
	ASSERT_EQ(0, mount("someone-else", inner, "tmpfs", 0, "size=64k"));

	/* A lazy unmount of the channel would take the inner mount with it. */
	ASSERT_EQ(-1, hc_host_teardown(host, TAG, &s->err));
	EXPECT_EQ(EBUSY, s->err->errnum) TH_LOG("%s", msg(s->err));
	EXPECT_NE(NULL, strstr(msg(s->err), "someone-else")) TH_LOG("%s", msg(s->err));
	EXPECT_EQ(1, count_mounts(host->real_path));
	ASSERT_TRUE(find_mount(inner, &mi));
	EXPECT_STREQ("someone-else", mi.source);

	ASSERT_EQ(0, umount2(inner, UMOUNT_NOFOLLOW));
	hc_error_free(&s->err);
	EXPECT_EQ(0, hc_host_teardown(host, TAG, &s->err)) TH_LOG("%s", msg(s->err));
	EXPECT_EQ(0, count_mounts(host->real_path));
	EXPECT_EQ(-1, lstat(host->real_path, &st));
}

TEST_F(host, teardown_keeps_the_record_while_a_mount_hides_what_prepare_made)
{
	struct scratch *s = &self->s;
	struct hc_host *host = new_host(s);
	const char *top = P("%s/a", s->dir);

	ASSERT_EQ(0, hc_host_prepare(P("%s/a/b", s->dir), host, &s->err))
	TH_LOG("%s", msg(s->err));
	/* Another tmpfs over a parent prepare made: a/b is out of sight below. */
	ASSERT_EQ(0, mount("someone-else", top, "tmpfs", 0, "size=64k"));

	/* Taking a/b for gone would leave it there for good. */
	ASSERT_EQ(-1, hc_host_teardown(host, TAG, &s->err));
	EXPECT_EQ(EBUSY, s->err->errnum) TH_LOG("%s", msg(s->err));
	EXPECT_EQ(1, count_mounts(top));

	ASSERT_EQ(0, umount2(top, UMOUNT_NOFOLLOW));
	hc_error_free(&s->err);
	EXPECT_EQ(0, hc_host_teardown(host, TAG, &s->err)) TH_LOG("%s", msg(s->err));
	EXPECT_EQ(0, count_entries(s->dir));
}

/* ------------------------------------------------------- one view, a task */

/*
 * Reads of the mount table a view may make for a task on this variant: none
 * where the kernel names a mount (by_id: the records know their mount IDs;
 * else statmount names sources), at most one where statx gives only mount
 * IDs to check a read against, and at least one (the fallback did read)
 * where statx gives none.
 */
static void check_reads(struct __test_metadata *_metadata, unsigned int reads, bool by_id)
{
	/* Braces: EXPECT_* ends in an if of its own. */
	if (statx_gives(STATX_MNT_ID_UNIQUE) && (by_id || statmount_names_sources())) {
		EXPECT_EQ(0, reads);
	} else if (statx_gives(STATX_MNT_ID)) {
		EXPECT_EQ(1, reads);
	} else {
		EXPECT_LE(1, reads);
	}
}

TEST_F(host, one_view_serves_every_channel_of_a_task)
{
	struct scratch *s = &self->s;
	struct hc_host *hosts[3];
	bool reused, mounted;
	int i;

	ASSERT_EQ(0, hc_mounts_new(&s->view, &s->err)) TH_LOG("%s", msg(s->err));
	for (i = 0; i < 3; i++) {
		hosts[i] = new_host(s);
		ASSERT_EQ(0, hc_host_prepare(P("%s/chan%d", s->dir, i), hosts[i], &s->err))
		TH_LOG("%s", msg(s->err));
		reused = true;
		ASSERT_EQ(0, hc_host_mount_with(s->view, hosts[i], 1 << 20, TAG, &reused, &s->err))
		TH_LOG("%s", msg(s->err));
		EXPECT_FALSE(reused);
		EXPECT_EQ(1, count_mounts(hosts[i]->real_path));
	}
	/* The tmpfs is named in the record where the kernel gives unique IDs. */
	if (statx_gives(STATX_MNT_ID_UNIQUE)) {
		EXPECT_NE(0, hosts[0]->mnt_id);
		EXPECT_STREQ(TAG, hosts[0]->mnt_tag);
	} else {
		EXPECT_EQ(0, hosts[0]->mnt_id);
	}
	for (i = 0; i < 3; i++) {
		mounted = false;
		ASSERT_EQ(0, hc_host_is_mounted_with(s->view, hosts[i], TAG, &mounted, &s->err))
		TH_LOG("%s", msg(s->err));
		EXPECT_TRUE(mounted);
		/* Another tag is not this record's: without statmount, the table's
		 * to tell, so it goes through a view of its own. */
		ASSERT_EQ(0, hc_host_is_mounted(hosts[i], "hostchannel-other", &mounted, &s->err))
		TH_LOG("%s", msg(s->err));
		EXPECT_FALSE(mounted);
	}
	for (i = 0; i < 3; i++) {
		ASSERT_EQ(0, hc_host_teardown_with(s->view, hosts[i], TAG, &s->err))
		TH_LOG("%s", msg(s->err));
		EXPECT_EQ(0, count_mounts(hosts[i]->real_path));
	}
	EXPECT_EQ(0, count_entries(s->dir));
	check_reads(_metadata, hc_mounts_reads(s->view), true);
}

/* A state written before records had mnt_id: what the kernel or the table says. */
static void forget_mount_id(struct hc_host *host)
{
	host->mnt_id = 0;
	host->mnt_tag[0] = '\0';
}

TEST_F(host, records_without_a_mount_id_read_the_table_once_at_most)
{
	struct scratch *s = &self->s;
	struct hc_host *hosts[3];
	bool mounted;
	int i;

	for (i = 0; i < 3; i++) {
		ASSERT_EQ(0, make_channel(s, P("chan%d", i), 1 << 20, &hosts[i]))
		TH_LOG("%s", msg(s->err));
		forget_mount_id(hosts[i]);
	}
	ASSERT_EQ(0, hc_mounts_new(&s->view, &s->err)) TH_LOG("%s", msg(s->err));
	for (i = 0; i < 3; i++) {
		mounted = false;
		ASSERT_EQ(0, hc_host_is_mounted_with(s->view, hosts[i], TAG, &mounted, &s->err))
		TH_LOG("%s", msg(s->err));
		EXPECT_TRUE(mounted);
	}
	for (i = 0; i < 3; i++) {
		ASSERT_EQ(0, hc_host_teardown_with(s->view, hosts[i], TAG, &s->err))
		TH_LOG("%s", msg(s->err));
		EXPECT_EQ(0, count_mounts(hosts[i]->real_path));
	}
	EXPECT_EQ(0, count_entries(s->dir));
	check_reads(_metadata, hc_mounts_reads(s->view), false);
}

/*
 * A view that read the table is not believed once the mount at a path
 * changed: a tmpfs of someone else's stacked on the channel after the read
 * is seen, and teardown leaves both; the channel's own tmpfs, covered,
 * still counts as mounted.
 */
TEST_F(host, a_view_is_checked_against_the_kernel_before_it_is_believed)
{
	struct scratch *s = &self->s;
	unsigned int before;
	struct hc_host *host;
	struct mnt_info mi;
	bool mounted;

	ASSERT_EQ(0, make_channel(s, "chan", 1 << 20, &host)) TH_LOG("%s", msg(s->err));
	forget_mount_id(host);
	ASSERT_EQ(0, hc_mounts_new(&s->view, &s->err)) TH_LOG("%s", msg(s->err));
	mounted = false;
	ASSERT_EQ(0, hc_host_is_mounted_with(s->view, host, TAG, &mounted, &s->err))
	TH_LOG("%s", msg(s->err));
	EXPECT_TRUE(mounted);
	before = hc_mounts_reads(s->view);

	ASSERT_EQ(0, mount("someone-else", host->real_path, "tmpfs", 0, "size=64k"));
	mounted = false;
	ASSERT_EQ(0, hc_host_is_mounted_with(s->view, host, TAG, &mounted, &s->err))
	TH_LOG("%s", msg(s->err));
	EXPECT_TRUE(mounted);
	/* Where the table is the one to say, it said it again. */
	if (before > 0) {
		EXPECT_LT(before, hc_mounts_reads(s->view));
	}
	ASSERT_EQ(-1, hc_host_teardown_with(s->view, host, TAG, &s->err));
	EXPECT_EQ(EBUSY, s->err->errnum) TH_LOG("%s", msg(s->err));
	EXPECT_NE(NULL, strstr(msg(s->err), "someone-else")) TH_LOG("%s", msg(s->err));
	EXPECT_EQ(2, count_mounts(host->real_path));
	ASSERT_TRUE(find_mount(host->real_path, &mi));
	EXPECT_STREQ("someone-else", mi.source);

	ASSERT_EQ(0, umount2(host->real_path, UMOUNT_NOFOLLOW));
	hc_error_free(&s->err);
	EXPECT_EQ(0, hc_host_teardown_with(s->view, host, TAG, &s->err)) TH_LOG("%s", msg(s->err));
	EXPECT_EQ(0, count_mounts(host->real_path));
}

/* ----------------------------------------------------------------- attach */

TEST_F(host, attach_rw_binds_inside_the_rootfs_and_shares_the_data)
{
	struct scratch *s = &self->s;
	char rootfs[PATH_MAX];
	struct hc_host *host;
	struct snapshot snap;
	struct mnt_info added[4];
	struct hc_spec spec;
	struct stat st, hst;
	mode_t old_umask;
	int rc;

	ASSERT_EQ(0, make_channel(s, "chan", 1 << 20, &host)) TH_LOG("%s", msg(s->err));
	ASSERT_EQ(0, make_rootfs(s, rootfs, sizeof(rootfs)));
	track(s, MADE_DIR, P("%s/mnt", rootfs));
	track(s, MADE_DIR, P("%s/mnt/chan", rootfs));
	spec_for(&spec, host->path, "/mnt/chan", false, HC_PROP_DEFAULT);

	take_snapshot(&snap);
	old_umask = umask(077);
	rc = hc_attach(&spec, host->real_path, rootfs, &s->err);
	umask(old_umask);
	ASSERT_EQ(0, rc) TH_LOG("%s", msg(s->err));

	ASSERT_EQ(1, new_mounts(&snap, added, 4));
	EXPECT_STREQ(P("%s/rootfs/mnt/chan", s->real), added[0].target);
	EXPECT_STREQ("tmpfs", added[0].fstype);
	EXPECT_STREQ(TAG, added[0].source);
	EXPECT_TRUE(has_opt(added[0].vfs, "rw")) TH_LOG("vfs options: %s", added[0].vfs);
	EXPECT_TRUE(has_opt(added[0].vfs, "nosuid")) TH_LOG("vfs options: %s", added[0].vfs);
	EXPECT_TRUE(has_opt(added[0].vfs, "nodev")) TH_LOG("vfs options: %s", added[0].vfs);
	EXPECT_TRUE(has_opt(added[0].vfs, "noexec")) TH_LOG("vfs options: %s", added[0].vfs);
	EXPECT_STREQ("", added[0].optional);
	ASSERT_EQ(0, stat(P("%s/mnt", rootfs), &st));
	EXPECT_EQ(0755, st.st_mode & 07777);

	ASSERT_EQ(0, stat(P("%s/mnt/chan", rootfs), &st));
	ASSERT_EQ(0, stat(host->real_path, &hst));
	EXPECT_EQ(hst.st_dev, st.st_dev);
	EXPECT_EQ(hst.st_ino, st.st_ino);
	ASSERT_EQ(0, write_text(NULL, P("%s/from-host", host->real_path), "hello box\n"));
	EXPECT_STREQ("hello box\n", read_text(P("%s/mnt/chan/from-host", rootfs)));
	ASSERT_EQ(0, write_text(NULL, P("%s/mnt/chan/from-box", rootfs), "hello host\n"));
	EXPECT_STREQ("hello host\n", read_text(P("%s/from-box", host->real_path)));
}

TEST_F(host, attach_ro_gives_erofs_inside_while_the_host_still_writes)
{
	struct scratch *s = &self->s;
	char rootfs[PATH_MAX];
	struct mnt_info mi, hmi;
	struct hc_host *host;
	struct hc_spec spec;

	ASSERT_EQ(0, make_channel(s, "chan", 1 << 20, &host)) TH_LOG("%s", msg(s->err));
	ASSERT_EQ(0, make_rootfs(s, rootfs, sizeof(rootfs)));
	track(s, MADE_DIR, P("%s/data", rootfs));
	spec_for(&spec, host->path, "/data", true, HC_PROP_DEFAULT);
	ASSERT_EQ(0, hc_attach(&spec, host->real_path, rootfs, &s->err)) TH_LOG("%s", msg(s->err));

	ASSERT_TRUE(find_mount(P("%s/rootfs/data", s->real), &mi));
	EXPECT_STREQ(TAG, mi.source);
	EXPECT_TRUE(has_opt(mi.vfs, "ro")) TH_LOG("vfs options: %s", mi.vfs);
	EXPECT_TRUE(has_opt(mi.vfs, "nosuid")) TH_LOG("vfs options: %s", mi.vfs);
	EXPECT_TRUE(has_opt(mi.vfs, "nodev")) TH_LOG("vfs options: %s", mi.vfs);
	EXPECT_TRUE(has_opt(mi.vfs, "noexec")) TH_LOG("vfs options: %s", mi.vfs);
	ASSERT_TRUE(find_mount(host->real_path, &hmi));
	EXPECT_TRUE(has_opt(hmi.vfs, "rw")) TH_LOG("host side: %s", hmi.vfs);

	EXPECT_EQ(-1, open(P("%s/data/x", rootfs), O_WRONLY | O_CREAT | O_CLOEXEC, 0600));
	EXPECT_EQ(EROFS, errno);
	EXPECT_EQ(-1, mkdir(P("%s/data/d", rootfs), 0700));
	EXPECT_EQ(EROFS, errno);
	ASSERT_EQ(0, write_text(NULL, P("%s/news", host->real_path), "from the host\n"));
	EXPECT_STREQ("from the host\n", read_text(P("%s/data/news", rootfs)));
}

TEST_F(host, attach_propagation_follows_the_mode_word)
{
	static const struct {
		enum hc_propagation prop;
		const char *dir;
		const char *expect; /* in the optional fields; "" = none (private) */
	} cases[] = {
		{HC_PROP_SHARED, "shared", "shared:"},
		{HC_PROP_RSHARED, "rshared", "shared:"},
		{HC_PROP_UNBINDABLE, "unbindable", "unbindable"},
		{HC_PROP_PRIVATE, "private", ""},
	};
	struct scratch *s = &self->s;
	char rootfs[PATH_MAX];
	struct hc_host *host;
	struct hc_spec spec;
	struct mnt_info mi;
	size_t i;

	ASSERT_EQ(0, make_channel(s, "chan", 1 << 20, &host)) TH_LOG("%s", msg(s->err));
	ASSERT_EQ(0, make_rootfs(s, rootfs, sizeof(rootfs)));
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		track(s, MADE_DIR, P("%s/%s", rootfs, cases[i].dir));
		spec_for(&spec, host->path, P("/%s", cases[i].dir), false, cases[i].prop);
		ASSERT_EQ(0, hc_attach(&spec, host->real_path, rootfs, &s->err))
		TH_LOG("%s: %s", cases[i].dir, msg(s->err));
		ASSERT_TRUE(find_mount(P("%s/rootfs/%s", s->real, cases[i].dir), &mi));
		if (cases[i].expect[0] == '\0') {
			EXPECT_STREQ("", mi.optional) TH_LOG("%s", cases[i].dir);
		} else {
			EXPECT_NE(NULL, strstr(mi.optional, cases[i].expect))
			TH_LOG("%s: optional fields \"%s\"", cases[i].dir, mi.optional);
		}
	}
}

TEST_F(host, attach_refuses_a_container_path_that_is_a_file)
{
	struct scratch *s = &self->s;
	char rootfs[PATH_MAX];
	struct hc_host *host;
	struct snapshot snap;
	struct mnt_info added;
	struct hc_spec spec;

	ASSERT_EQ(0, make_channel(s, "chan", 1 << 20, &host)) TH_LOG("%s", msg(s->err));
	ASSERT_EQ(0, make_rootfs(s, rootfs, sizeof(rootfs)));
	take_snapshot(&snap);

	spec_for(&spec, host->path, "/etc/hostname", false, HC_PROP_DEFAULT);
	ASSERT_EQ(-1, hc_attach(&spec, host->real_path, rootfs, &s->err));
	EXPECT_EQ(ENOTDIR, s->err->errnum);
	EXPECT_NE(NULL, strstr(msg(s->err), "\"/etc/hostname\"")) TH_LOG("%s", msg(s->err));
	hc_error_free(&s->err);

	spec_for(&spec, host->path, "/etc/hostname/below", false, HC_PROP_DEFAULT);
	ASSERT_EQ(-1, hc_attach(&spec, host->real_path, rootfs, &s->err));
	EXPECT_EQ(ENOTDIR, s->err->errnum) TH_LOG("%s", msg(s->err));

	EXPECT_EQ(0, new_mounts(&snap, &added, 1)) TH_LOG("mounted at %s", added.target);
	EXPECT_STREQ("box\n", read_text(P("%s/etc/hostname", rootfs)));
}

/* -------------------------------------------------------------- fallbacks */

/*
 * What a kernel must give whichever of the newer calls it lacks: a channel
 * that is a private nosuid,nodev,noexec tmpfs of the rounded size, mode
 * 1777, under a shared parent; its bind at /mnt/chan in the rootfs
 * read-only, private, alone there (nothing stacked by a path given up
 * half-way), and live; a teardown that leaves no mount.
 */
static void check_mount_and_ro_attach(struct __test_metadata *_metadata, struct scratch *s,
				      const char *rootfs)
{
	uint64_t size = (1 << 20) + 1;
	char target[PATH_MAX];
	struct mnt_info mi;
	struct hc_host *host;
	struct hc_spec spec;
	struct statfs sfs;
	struct stat st;

	ASSERT_EQ(0, make_channel(s, "chan", size, &host)) TH_LOG("%s", msg(s->err));
	ASSERT_EQ(0, stat(host->real_path, &st));
	EXPECT_EQ(S_ISVTX | 0777, st.st_mode & 07777);
	ASSERT_EQ(0, statfs(host->real_path, &sfs));
	EXPECT_EQ(TMPFS_MAGIC, sfs.f_type);
	EXPECT_EQ(round_to_pages(size), (uint64_t)sfs.f_blocks * (uint64_t)sfs.f_bsize);
	EXPECT_EQ(1, count_mounts(host->real_path));
	ASSERT_TRUE(find_mount(host->real_path, &mi));
	EXPECT_STREQ(TAG, mi.source);
	EXPECT_TRUE(has_opt(mi.vfs, "nosuid") && has_opt(mi.vfs, "nodev") &&
		    has_opt(mi.vfs, "noexec"))
	TH_LOG("vfs options: %s", mi.vfs);
	EXPECT_EQ(NULL, strstr(mi.optional, "shared:")) TH_LOG("optional fields: %s", mi.optional);

	track(s, MADE_DIR, P("%s/mnt", rootfs));
	track(s, MADE_DIR, P("%s/mnt/chan", rootfs));
	spec_for(&spec, host->path, "/mnt/chan", true, HC_PROP_DEFAULT);
	ASSERT_EQ(0, hc_attach(&spec, host->real_path, rootfs, &s->err)) TH_LOG("%s", msg(s->err));
	ASSERT_GT((int)sizeof(target),
		  snprintf(target, sizeof(target), "%s/rootfs/mnt/chan", s->real));
	EXPECT_EQ(1, count_mounts(target));
	ASSERT_TRUE(find_mount(target, &mi));
	EXPECT_STREQ(TAG, mi.source);
	EXPECT_TRUE(has_opt(mi.vfs, "ro") && has_opt(mi.vfs, "nosuid") &&
		    has_opt(mi.vfs, "nodev") && has_opt(mi.vfs, "noexec"))
	TH_LOG("vfs options: %s", mi.vfs);
	EXPECT_EQ(NULL, strstr(mi.optional, "shared:")) TH_LOG("optional fields: %s", mi.optional);
	EXPECT_EQ(-1, mkdir(P("%s/mnt/chan/d", rootfs), 0700));
	EXPECT_EQ(EROFS, errno);
	ASSERT_EQ(0, write_text(NULL, P("%s/news", host->real_path), "old kernel\n"));
	EXPECT_STREQ("old kernel\n", read_text(P("%s/mnt/chan/news", rootfs)));

	EXPECT_EQ(0, hc_host_teardown(host, TAG, &s->err)) TH_LOG("%s", msg(s->err));
	EXPECT_EQ(0, count_mounts(host->real_path));
}

/* Linux before 5.2: mount(2) for the tmpfs, the userspace walk and MS_BIND for the bind. */
TEST_F(host, without_the_new_mount_api_nor_openat2_mount_and_attach_give_the_same_result)
{
	char rootfs[PATH_MAX];

	ASSERT_EQ(0, share_scratch(&self->s)) TH_LOG("%s", strerror(errno));
	ASSERT_EQ(0, make_rootfs(&self->s, rootfs, sizeof(rootfs)));
	ASSERT_EQ(0, block_new_mount_api_and_openat2()) TH_LOG("seccomp: %s", strerror(errno));
	ASSERT_EQ(-1, syscall(SYS_fsopen, "tmpfs", 0));
	ASSERT_EQ(ENOSYS, errno);
	ASSERT_EQ(-1, syscall(SYS_openat2, AT_FDCWD, "/", NULL, 0));
	ASSERT_EQ(ENOSYS, errno);
	check_mount_and_ro_attach(_metadata, &self->s, rootfs);
}

/*
 * Linux 5.6 to 5.11 (5.10 LTS among them): fsopen, open_tree and openat2,
 * but no mount_setattr (5.12). The tmpfs is attached with move_mount, then
 * made private with mount(MS_PRIVATE); the attach opens a detached clone,
 * cannot make it read-only, and must drop it for the MS_BIND path.
 */
TEST_F(host, without_mount_setattr_mount_and_attach_give_the_same_result)
{
	char rootfs[PATH_MAX];

	ASSERT_EQ(0, share_scratch(&self->s)) TH_LOG("%s", strerror(errno));
	ASSERT_EQ(0, make_rootfs(&self->s, rootfs, sizeof(rootfs)));
	ASSERT_EQ(0, block_mount_setattr()) TH_LOG("seccomp: %s", strerror(errno));
	ASSERT_EQ(-1, syscall(SYS_mount_setattr, -1, "", 0, NULL, 0));
	ASSERT_EQ(ENOSYS, errno);
	check_mount_and_ro_attach(_metadata, &self->s, rootfs);
}

/* ------------------------------------------------- attach: rootfs symlinks */

/*
 * A symlink in the rootfs at or above the container path. "@OUT" stands for
 * the absolute host path of <scratch>/outside, a directory beside the rootfs
 * that must stay empty whatever the symlink says. Where the symlink's target
 * also exists inside the rootfs (precreate), the bind must land there; where
 * it does not, the symlink leads nowhere inside the rootfs and is refused.
 */
FIXTURE(escape)
{
	struct scratch s;
	char rootfs[PATH_MAX];
	struct hc_host *host;
};

FIXTURE_VARIANT(escape)
{
	const char *link;      /* where the symlink is, inside the rootfs */
	const char *target;    /* what it says */
	const char *precreate; /* a directory made inside the rootfs first, or NULL */
	const char *cpath;     /* the container path asked for */
	const char *lands;     /* where the bind must land inside the rootfs; NULL: refused */
	int errnum;	       /* when refused */
};

FIXTURE_VARIANT_ADD(escape, absolute_root_above){
	.link = "mnt",
	.target = "/",
	.cpath = "/mnt/chan",
	.lands = "chan",
};

FIXTURE_VARIANT_ADD(escape, relative_dotdot_above){
	.link = "mnt",
	.target = "../../..",
	.cpath = "/mnt/chan",
	.lands = "chan",
};

FIXTURE_VARIANT_ADD(escape, dotdot_out_of_the_rootfs_above){
	.link = "mnt",
	.target = "../outside",
	.precreate = "outside",
	.cpath = "/mnt/chan",
	.lands = "outside/chan",
};

FIXTURE_VARIANT_ADD(escape, dotdot_out_of_the_rootfs_above_missing_inside){
	.link = "mnt",
	.target = "../outside",
	.cpath = "/mnt/chan",
	.errnum = ENOENT,
};

FIXTURE_VARIANT_ADD(escape, absolute_host_path_above){
	.link = "mnt",
	.target = "@OUT",
	.precreate = "@OUT",
	.cpath = "/mnt/chan",
	.lands = "@OUT/chan",
};

FIXTURE_VARIANT_ADD(escape, absolute_host_path_above_missing_inside){
	.link = "mnt",
	.target = "@OUT",
	.cpath = "/mnt/chan",
	.errnum = ENOENT,
};

FIXTURE_VARIANT_ADD(escape, absolute_root_at){
	.link = "chan",
	.target = "/",
	.cpath = "/chan",
	.errnum = EINVAL,
};

FIXTURE_VARIANT_ADD(escape, relative_dotdot_at){
	.link = "chan",
	.target = "../..",
	.cpath = "/chan",
	.errnum = EINVAL,
};

FIXTURE_VARIANT_ADD(escape, dotdot_out_of_the_rootfs_at){
	.link = "chan",
	.target = "../outside",
	.precreate = "outside",
	.cpath = "/chan",
	.lands = "outside",
};

FIXTURE_VARIANT_ADD(escape, dotdot_out_of_the_rootfs_at_missing_inside){
	.link = "chan",
	.target = "../outside",
	.cpath = "/chan",
	.errnum = ENOENT,
};

FIXTURE_VARIANT_ADD(escape, absolute_host_path_at){
	.link = "chan",
	.target = "@OUT",
	.precreate = "@OUT",
	.cpath = "/chan",
	.lands = "@OUT",
};

/* "@OUT..." -> "<scratch>/outside..." */
static const char *expand(const struct scratch *s, const char *text)
{
	if (strncmp(text, "@OUT", 4) != 0)
		return text;
	return P("%s/outside%s", s->real, text + 4);
}

/*
 * Each directory of rel below base, outermost first: made when make is set,
 * else only tracked, for the directories the library will make.
 */
static int dirs_below(struct scratch *s, const char *base, const char *rel, bool make)
{
	char path[PATH_MAX];
	size_t blen = strlen(base);
	char *slash;

	while (*rel == '/')
		rel++;
	snprintf(path, sizeof(path), "%s/%s", base, rel);
	for (slash = strchr(path + blen + 1, '/');; slash = strchr(slash + 1, '/')) {
		if (slash != NULL)
			*slash = '\0';
		if (!make)
			track(s, MADE_DIR, path);
		else if (make_dir(s, path, 0755) < 0 && errno != EEXIST)
			return -1;
		if (slash == NULL)
			return 0;
		*slash = '/';
	}
}

FIXTURE_SETUP(escape)
{
	char why[PATH_MAX + 64];
	int rc = scratch_setup(&self->s, why, sizeof(why));
	struct scratch *s = &self->s;

	if (rc == 1)
		SETUP_SKIP("needs root: mount namespaces and tmpfs mounts");
	ASSERT_EQ(0, rc) TH_LOG("%s", why);
	ASSERT_EQ(0, make_channel(s, "chan", 1 << 20, &self->host)) TH_LOG("%s", msg(s->err));
	ASSERT_EQ(0, make_dir(s, P("%s/outside", s->dir), 0755));
	ASSERT_EQ(0, make_rootfs(s, self->rootfs, sizeof(self->rootfs)));
	if (variant->precreate != NULL)
		ASSERT_EQ(0, dirs_below(s, self->rootfs, expand(s, variant->precreate), true));
	if (variant->lands != NULL)
		ASSERT_EQ(0, dirs_below(s, self->rootfs, expand(s, variant->lands), false));
	ASSERT_EQ(0, make_symlink(s, expand(s, variant->target),
				  P("%s/%s", self->rootfs, variant->link)));
}

FIXTURE_TEARDOWN(escape)
{
	char why[PATH_MAX + 64];

	EXPECT_EQ(0, scratch_teardown(&self->s, why, sizeof(why))) TH_LOG("%s", why);
}

static void check_escape(struct __test_metadata *_metadata, FIXTURE_DATA(escape) * self,
			 const FIXTURE_VARIANT(escape) * variant)
{
	struct scratch *s = &self->s;
	const char *rootfs_real = P("%s/rootfs", s->real), *lands;
	struct mnt_info added[4];
	struct snapshot snap;
	struct hc_spec spec;
	int i, n, rc;

	spec_for(&spec, self->host->path, variant->cpath, false, HC_PROP_DEFAULT);
	take_snapshot(&snap);
	rc = hc_attach(&spec, self->host->real_path, self->rootfs, &s->err);
	n = new_mounts(&snap, added, 4);

	for (i = 0; i < n && i < 4; i++) {
		EXPECT_TRUE(under(added[i].target, rootfs_real) &&
			    strcmp(added[i].target, rootfs_real) != 0)
		TH_LOG("new mount at %s, outside %s", added[i].target, rootfs_real);
	}
	EXPECT_EQ(0, count_entries(P("%s/outside", s->dir)));
	if (variant->lands == NULL) {
		EXPECT_EQ(-1, rc);
		EXPECT_EQ(0, n);
		ASSERT_NE(NULL, s->err);
		EXPECT_EQ(variant->errnum, s->err->errnum) TH_LOG("%s", msg(s->err));
		return;
	}
	ASSERT_EQ(0, rc) TH_LOG("%s", msg(s->err));
	ASSERT_EQ(1, n);
	lands = expand(s, variant->lands);
	EXPECT_STREQ(P("%s%s%s", rootfs_real, lands[0] == '/' ? "" : "/", lands), added[0].target);
	EXPECT_STREQ(TAG, added[0].source);
}

TEST_F(escape, bind_never_lands_outside_the_rootfs)
{
	check_escape(_metadata, self, variant);
}

/* The same cases where openat2 is missing: the userspace walk resolves. */
TEST_F(escape, bind_never_lands_outside_the_rootfs_without_openat2)
{
	ASSERT_EQ(0, block_openat2()) TH_LOG("seccomp: %s", strerror(errno));
	check_escape(_metadata, self, variant);
}

TEST_HARNESS_MAIN
