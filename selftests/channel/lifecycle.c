// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * channel/lifecycle: the host side of a channel follows the container's
 * life (contract section 3), read back from the kernel after each step:
 *
 *   step     host path                                       read from
 *   (before) absent                                          lstat
 *   create   a directory, not mounted                        lstat, mountinfo
 *   start    one tmpfs, drwxrwxrwt root:root                 mountinfo (libmount), stat
 *   stop     still mounted, data kept                        mountinfo, read(2)
 *   start    the same tmpfs again, never a second one        mountinfo count, st_dev
 *   delete   no mount, no directory, no parent it created,   mountinfo, lstat,
 *            Shmem back, no memory cgroup directory, no      /proc/meminfo, lstat,
 *            channel page left to keep one dying             inotify, memory.stat
 *
 * and the edges: a host path that exists in any form (an empty directory,
 * one owned by another user, a directory with data, a file, a symlink to a
 * directory, a dangling symlink) is refused at create with exit 125 and left
 * exactly as it was (lstat and statx fields: inode, mode, owner, mtime,
 * ctime, birth time; link target, contents, directory entries), also after
 * the driver's delete of the container that was refused; delete succeeds
 * while a host process holds a file of the channel open, and the memory
 * comes back once it is closed; a host path with a space and one below a
 * symlinked parent work end to end.
 *
 * Figures: Shmem within 1 MiB of its baseline (the whole machine's: other
 * processes move it a little), polled for at most FREE_MS.
 *
 * No memory cgroup dying on account of the channel (delete_leaves_no_
 * dying_memcg): a removed memory cgroup stays dying while a page is
 * charged to it, and the channel's pages live as long as its tmpfs. The
 * engine decides where its cgroups go, so no count of dying cgroups is the
 * test's own (v1 has only the whole machine's, which any other cgroup
 * moves); instead the test checks that the container's pages were charged
 * at or below the cgroup the driver names (memory.stat, hierarchical), then
 * watches the tmpfs itself with inotify, which does not keep it alive:
 * IN_UNMOUNT comes when its superblock is shut down, its pages freed. Only
 * this tmpfs sends it; polled for at most DYING_MS after delete.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "kselftest_harness.h"

#include "channel.h"
#include "harness.h"

#define TIMEOUT_S 90
#define FREE_MS	  5000
#define DYING_MS  10000
#define POLL_MS	  5000
#define BIG	  (32 * HCT_MiB)
#define MAX_MADE  4

FIXTURE(lifecycle)
{
	struct hch_box box;
	struct hch_run r;
	char host[2 * PATH_MAX]; /* the channel's host path of this test */
	/* what the test made in the scratch dir, removed in reverse order */
	char made[MAX_MADE][2 * PATH_MAX];
	int nmade;
	int fd;
	int watch; /* inotify on the channel's tmpfs, -1 when none */
	/* The container's memory cgroup as the driver named it, "" until read. */
	char cgdir[PATH_MAX];
	bool cg_named; /* its last component names the container: its own, not a parent */
};

FIXTURE_SETUP(lifecycle)
{
	char why[512];
	struct stat st;
	int ret;

	HCT_ALWAYS_TEARDOWN();
	self->fd = -1;
	self->watch = -1;
	ret = hch_box_init(&self->box, "life", why, sizeof(why));
	if (ret == HCT_SKIP)
		SKIP(return, "%s", why);
	ASSERT_EQ(0, ret) TH_LOG("%s", why);
	snprintf(self->host, sizeof(self->host), "%s", self->box.host);
	/* Contract section 3: the host path must not exist before create. */
	ASSERT_EQ(-1, lstat(self->host, &st));
	ASSERT_EQ(ENOENT, errno);
}

static void remove_empty_parents(const char *path, const char *stop)
{
	char p[PATH_MAX];
	size_t stoplen = strlen(stop);
	char *slash;

	snprintf(p, sizeof(p), "%s", path);
	while ((slash = strrchr(p, '/')) != NULL) {
		*slash = '\0';
		if (strlen(p) <= stoplen || strncmp(p, stop, stoplen) != 0 || p[stoplen] != '/')
			break;
		if (rmdir(p) < 0)
			break;
	}
}

FIXTURE_TEARDOWN(lifecycle)
{
	struct stat st;

	HCT_TEARDOWN_BEGIN();
	if (self->fd >= 0)
		close(self->fd);
	if (self->watch >= 0)
		close(self->watch);
	if (self->box.name[0] != '\0') {
		hct_engine_cleanup(self->box.name);
		self->box.name[0] = '\0';
		/* Contract section 3: delete removes the host path it created. */
		EXPECT_NE(0, lstat(self->host, &st))
		TH_LOG("%s left the host path %s after delete", hct_engine_name(), self->host);
	}
	/*
	 * A memory cgroup the engine left (a failure of the test that looks,
	 * delete_removes_memcg_dir): rmdir only, which the kernel refuses
	 * while a process is in it.
	 */
	if (self->cg_named && lstat(self->cgdir, &st) == 0) {
		TH_LOG("teardown: %s left the memory cgroup %s: rmdir", hct_engine_name(),
		       self->cgdir);
		if (rmdir(self->cgdir) < 0)
			TH_LOG("teardown: rmdir %s: %s", self->cgdir, strerror(errno));
	}
	/*
	 * A host path other than the box's, and parents the engine made for it
	 * and then left (a failure above, or in the test, says so): rmdir each,
	 * up to the scratch directory, so that even a broken engine leaves
	 * nothing behind. Only ever rmdir: never what holds something.
	 */
	if (strcmp(self->host, self->box.host) != 0) {
		if (hch_rmdir(self->host) < 0)
			TH_LOG("teardown: rmdir %s: %s", self->host, strerror(errno));
		remove_empty_parents(self->host, self->box.scratch);
	}
	for (int i = self->nmade - 1; i >= 0; i--) {
		const char *p = self->made[i];
		int ret = lstat(p, &st) == 0 && S_ISLNK(st.st_mode) ? hch_unlink(p) : hch_rmdir(p);

		if (ret < 0)
			TH_LOG("teardown: removing %s: %s", p, strerror(-ret));
	}
	EXPECT_EQ(0, hch_box_fini(&self->box));
}

/* Remember scratch/leaf, which the test made, for the teardown. */
static void made(FIXTURE_DATA(lifecycle) * self, const char *leaf)
{
	char path[sizeof(self->made[0])];

	/* Through a local: gcc cannot tell made[] from box.scratch. */
	snprintf(path, sizeof(path), "%s/%s", self->box.scratch, leaf);
	if (self->nmade < MAX_MADE)
		memcpy(self->made[self->nmade++], path, sizeof(path));
}

static int create(struct __test_metadata *_metadata, FIXTURE_DATA(lifecycle) * self,
		  const char *size)
{
	char spec[3 * PATH_MAX];

	snprintf(spec, sizeof(spec), "%s:" HCH_CTR ":rw:%s", self->host, size);
	if (hch_run(&self->r, "create", self->box.name, "--host-channel", spec, NULL) != 0) {
		TH_LOG("%s", hch_log(&self->r));
		return -1;
	}
	return 0;
}

static int verb(struct __test_metadata *_metadata, FIXTURE_DATA(lifecycle) * self, const char *v)
{
	if (hch_run(&self->r, v, self->box.name, NULL) != 0) {
		TH_LOG("%s", hch_log(&self->r));
		return -1;
	}
	return 0;
}

/* delete, checked, and forgotten by the teardown. */
static int delete (struct __test_metadata *_metadata, FIXTURE_DATA(lifecycle) * self)
{
	int ret = verb(_metadata, self, "delete");

	if (ret == 0)
		self->box.name[0] = '\0';
	return ret;
}

static uint64_t shmem_now(void)
{
	uint64_t v = UINT64_MAX;

	hct_meminfo("Shmem", &v);
	return v;
}

/* Write BIG bytes of pattern seed from inside; the container's result. */
static int container_write(FIXTURE_DATA(lifecycle) * self, const char *leaf, int seed)
{
	char path[64], bytes[32], s[16];

	snprintf(path, sizeof(path), HCH_CTR "/%s", leaf);
	snprintf(bytes, sizeof(bytes), "%" PRIu64, (uint64_t)BIG);
	snprintf(s, sizeof(s), "%d", seed);
	return hch_probe(&self->r, self->box.name, -1, "write", path, bytes, s, NULL);
}

/* The host writes a small pattern; the container must read the same sum. */
static void expect_shared(struct __test_metadata *_metadata, FIXTURE_DATA(lifecycle) * self,
			  const char *hostdir)
{
	char path[3 * PATH_MAX];
	uint64_t sum = 0, want = hch_pattern_sum(5, 100000);

	snprintf(path, sizeof(path), "%s/shared", hostdir);
	ASSERT_EQ(0, hch_write_pattern(path, 100000, 5)) TH_LOG("writing %s", path);
	ASSERT_EQ(0, hch_probe(&self->r, self->box.name, -1, "read", HCH_CTR "/shared", NULL))
	TH_LOG("%s", hch_log(&self->r));
	EXPECT_EQ(0, hch_kv_u64(self->r.o.out, "sum", 16, &sum));
	EXPECT_EQ(want, sum)
	TH_LOG("contract section 1: the container reads sum %016" PRIx64 " of %s, want %016" PRIx64
	       "; %s",
	       sum, path, want, hch_log(&self->r));
}

TEST_F_TIMEOUT(lifecycle, create_makes_directory_not_mounted, TIMEOUT_S)
{
	struct stat st;
	int n;

	if (_metadata->skip)
		return;
	ASSERT_EQ(0, create(_metadata, self, "1M"));
	ASSERT_EQ(0, lstat(self->host, &st))
	TH_LOG("contract section 3: create did not make the host path %s: %s", self->host,
	       strerror(errno));
	EXPECT_TRUE(S_ISDIR(st.st_mode))
	TH_LOG("contract section 3: the host path is mode %o, want a directory", st.st_mode);
	n = hch_mount_count(self->host);
	EXPECT_EQ(0, n)
	TH_LOG("contract section 3: %d mounts at %s after create, want none before "
	       "start",
	       n, self->host);
}

TEST_F_TIMEOUT(lifecycle, start_mounts_tmpfs_1777, TIMEOUT_S)
{
	struct hct_mount m;
	struct stat st;
	int n;

	if (_metadata->skip)
		return;
	ASSERT_EQ(0, create(_metadata, self, "1M"));
	ASSERT_EQ(0, verb(_metadata, self, "start"));
	ASSERT_EQ(0, hct_mount_lookup(self->host, &m))
	TH_LOG("contract section 3: no mount at %s after start", self->host);
	EXPECT_STREQ("tmpfs", m.fstype) TH_LOG("contract section 3: want a tmpfs");
	n = hch_mount_count(self->host);
	EXPECT_EQ(1, n) TH_LOG("%d mounts at %s, want 1", n, self->host);
	ASSERT_EQ(0, stat(self->host, &st));
	EXPECT_EQ(S_IFDIR | 01777, st.st_mode)
	TH_LOG("contract section 3: the tmpfs root is mode %o, want 41777 (drwxrwxrwt)",
	       st.st_mode);
	EXPECT_EQ(0, st.st_uid);
	EXPECT_EQ(0, st.st_gid);
}

TEST_F_TIMEOUT(lifecycle, data_survives_stop_start, TIMEOUT_S)
{
	char hfile[3 * PATH_MAX], state[32] = "";
	uint64_t size = 0, bad = 0, sum = 0, want = hch_pattern_sum(9, BIG);
	int n, ret;

	if (_metadata->skip)
		return;
	ASSERT_EQ(0, create(_metadata, self, "64M"));
	ASSERT_EQ(0, verb(_metadata, self, "start"));
	ASSERT_EQ(0, container_write(self, "keep", 9)) TH_LOG("%s", hch_log(&self->r));
	ASSERT_EQ(0, verb(_metadata, self, "stop"));
	ASSERT_EQ(0, verb(_metadata, self, "state"));
	sscanf(self->r.o.out, "%31s", state);
	EXPECT_STREQ("stopped", state) TH_LOG("%s", hch_log(&self->r));

	n = hch_mount_count(self->host);
	EXPECT_EQ(1, n)
	TH_LOG("contract section 3: stop does nothing to the channel: %d mounts "
	       "at %s, want 1",
	       n, self->host);
	snprintf(hfile, sizeof(hfile), "%s/keep", self->host);
	ret = hch_check_pattern(hfile, BIG, 9, &size, &bad, &sum);
	EXPECT_EQ(0, ret)
	TH_LOG("contract section 3: after stop the host reads %" PRIu64 " bytes of %" PRIu64
	       ", first difference at %" PRIu64 " (%s)",
	       size, (uint64_t)BIG, bad, ret < 0 ? strerror(-ret) : "read");

	ASSERT_EQ(0, verb(_metadata, self, "start"));
	ASSERT_EQ(0, hch_probe(&self->r, self->box.name, -1, "read", HCH_CTR "/keep", NULL))
	TH_LOG("contract section 3: the data is gone after stop/start; %s", hch_log(&self->r));
	EXPECT_EQ(0, hch_kv_u64(self->r.o.out, "sum", 16, &sum));
	EXPECT_EQ(want, sum)
	TH_LOG("contract section 3: after restart the container reads sum %016" PRIx64
	       ", wrote %016" PRIx64 "; %s",
	       sum, want, hch_log(&self->r));
}

TEST_F_TIMEOUT(lifecycle, restart_stacks_no_second_tmpfs, TIMEOUT_S)
{
	struct stat first, again;
	int n;

	if (_metadata->skip)
		return;
	ASSERT_EQ(0, create(_metadata, self, "1M"));
	ASSERT_EQ(0, verb(_metadata, self, "start"));
	ASSERT_EQ(0, stat(self->host, &first));
	for (int round = 1; round <= 2; round++) {
		ASSERT_EQ(0, verb(_metadata, self, "stop"));
		ASSERT_EQ(0, verb(_metadata, self, "start"));
		n = hch_mount_count(self->host);
		EXPECT_EQ(1, n)
		TH_LOG("contract section 3: after restart %d, %d mounts at %s, want exactly 1 (the "
		       "tmpfs is reused, never stacked)",
		       round, n, self->host);
		ASSERT_EQ(0, stat(self->host, &again));
		EXPECT_EQ(first.st_dev, again.st_dev)
		TH_LOG("contract section 3: after restart %d the host path is on device %#llx, "
		       "was %#llx: not the same tmpfs",
		       round, (unsigned long long)again.st_dev, (unsigned long long)first.st_dev);
	}
}

TEST_F_TIMEOUT(lifecycle, delete_unmounts_and_removes_dir, TIMEOUT_S)
{
	struct stat st;
	int n;

	if (_metadata->skip)
		return;
	ASSERT_EQ(0, create(_metadata, self, "1M"));
	ASSERT_EQ(0, verb(_metadata, self, "start"));
	ASSERT_EQ(1, hch_mount_count(self->host));
	ASSERT_EQ(0, delete (_metadata, self));
	n = hch_mount_count(self->host);
	EXPECT_EQ(0, n)
	TH_LOG("contract section 3: %d mounts at %s after delete, want none", n, self->host);
	EXPECT_EQ(-1, lstat(self->host, &st))
	TH_LOG("contract section 3: the host path %s is still there after delete (mode %o)",
	       self->host, st.st_mode);
	EXPECT_EQ(0, stat(self->box.scratch, &st))
	TH_LOG("contract section 3: delete removed %s, which it did not create", self->box.scratch);
}

TEST_F_TIMEOUT(lifecycle, delete_before_start_removes_dir, TIMEOUT_S)
{
	struct stat st;

	if (_metadata->skip)
		return;
	ASSERT_EQ(0, create(_metadata, self, "1M"));
	ASSERT_EQ(0, lstat(self->host, &st));
	ASSERT_EQ(0, delete (_metadata, self));
	EXPECT_EQ(-1, lstat(self->host, &st))
	TH_LOG("contract section 3: a container deleted before it started left %s", self->host);
	EXPECT_EQ(0, hch_mount_count(self->host));
}

TEST_F_TIMEOUT(lifecycle, delete_removes_created_parents, TIMEOUT_S)
{
	char p1[PATH_MAX + 8], p2[PATH_MAX + 16];
	struct stat st;

	if (_metadata->skip)
		return;
	snprintf(p1, sizeof(p1), "%s/p1", self->box.scratch);
	snprintf(p2, sizeof(p2), "%s/p2", p1);
	snprintf(self->host, sizeof(self->host), "%s/ch", p2);
	made(self, "p1");
	made(self, "p1/p2");
	ASSERT_EQ(0, create(_metadata, self, "1M"));
	ASSERT_EQ(0, stat(p2, &st))
	TH_LOG("contract section 3: create makes missing parents; %s: %s", p2, strerror(errno));
	ASSERT_EQ(0, verb(_metadata, self, "start"));
	ASSERT_EQ(0, delete (_metadata, self));
	EXPECT_EQ(0, hch_mount_count(self->host));
	EXPECT_EQ(-1, lstat(self->host, &st)) TH_LOG("%s left after delete", self->host);
	EXPECT_EQ(-1, lstat(p2, &st))
	TH_LOG("contract section 3: delete removes the parents it created; %s is left", p2);
	EXPECT_EQ(-1, lstat(p1, &st))
	TH_LOG("contract section 3: delete removes the parents it created; %s is left", p1);
	EXPECT_EQ(0, stat(self->box.scratch, &st))
	TH_LOG("contract section 3: delete removed %s, which existed before", self->box.scratch);
}

TEST_F_TIMEOUT(lifecycle, delete_frees_shmem, TIMEOUT_S)
{
	uint64_t base = shmem_now(), before, now = 0;

	if (_metadata->skip)
		return;
	ASSERT_NE(UINT64_MAX, base);
	ASSERT_EQ(0, create(_metadata, self, "64M"));
	ASSERT_EQ(0, verb(_metadata, self, "start"));
	before = shmem_now();
	ASSERT_EQ(0, container_write(self, "big", 4)) TH_LOG("%s", hch_log(&self->r));
	/*
	 * The measure can see it: the written pages are in Shmem now. Read
	 * just around the write: Shmem is the whole machine's.
	 */
	now = shmem_now();
	ASSERT_LE(before + BIG - hct_tolerance(BIG), now)
	TH_LOG("Shmem %" PRIu64 " -> %" PRIu64 " around writing %" PRIu64 " bytes", before, now,
	       (uint64_t)BIG);
	ASSERT_EQ(0, delete (_metadata, self));
	HCT_POLL_UNTIL(FREE_MS, (now = shmem_now()) <= base + HCT_MiB);
	EXPECT_GE(base + HCT_MiB, now)
	TH_LOG("contract section 3: Shmem %" PRIu64 " before create, %" PRIu64 " %d ms after "
	       "delete: %" PRIu64 " KiB not freed (tolerance 1 MiB; the figure is the whole "
	       "machine's)",
	       base, now, FREE_MS, (now - base) >> 10);
}

/*
 * The container's memory cgroup, as the driver's cgroup verb names it: the
 * hierarchy and rel below its root. Remembered for the teardown.
 */
static int container_cg(struct __test_metadata *_metadata, FIXTURE_DATA(lifecycle) * self,
			struct hct_cg *cg, char *rel, size_t rellen)
{
	char why[512];
	int ret = hch_container_cg(self->box.name, cg, rel, rellen, why, sizeof(why));
	const char *last;

	if (ret < 0) {
		TH_LOG("%s", why);
		return ret;
	}
	ret = hct_cg_path(cg, rel, self->cgdir);
	last = strrchr(self->cgdir, '/');
	self->cg_named = ret == 0 && last != NULL && strstr(last, self->box.name) != NULL;
	return ret;
}

TEST_F_TIMEOUT(lifecycle, delete_removes_memcg_dir, TIMEOUT_S)
{
	char rel[PATH_MAX], why[512];
	struct hct_cg cg;
	struct stat st;
	int ret, err;

	if (_metadata->skip)
		return;
	if (hct_cg_detect(&cg, why, sizeof(why)) < 0)
		SKIP(return, "%s", why);
	ASSERT_EQ(0, create(_metadata, self, "1M"));
	ASSERT_EQ(0, verb(_metadata, self, "start"));
	ASSERT_EQ(0, container_cg(_metadata, self, &cg, rel, sizeof(rel)));
	ASSERT_EQ(0, lstat(self->cgdir, &st))
	TH_LOG("%s cgroup names %s, which is not there: %s", hct_engine_name(), self->cgdir,
	       strerror(errno));
	ASSERT_TRUE(S_ISDIR(st.st_mode));
	ASSERT_EQ(0, delete (_metadata, self));
	/*
	 * A live cgroup left behind shows as its directory; a dying one (removed,
	 * its pages still there) is what delete_leaves_no_dying_memcg looks for.
	 */
	ret = lstat(self->cgdir, &st);
	err = errno;
	EXPECT_NE(0, ret)
	TH_LOG("contract sections 3.1 and 4.6: delete leaves no memory cgroup; the container's "
	       "%s (cgroup %s) is still there after delete (mode %o)",
	       self->cgdir, hct_cg_version_str(&cg), st.st_mode);
	if (ret < 0) {
		EXPECT_EQ(ENOENT, err) TH_LOG("lstat %s: %s", self->cgdir, strerror(err));
	}
}

/* Whether inotify told that the watched tmpfs was shut down (IN_UNMOUNT). */
static bool tmpfs_gone(int watch, bool *gone)
{
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	ssize_t n;

	while (!*gone && (n = read(watch, buf, sizeof(buf))) > 0) {
		for (char *p = buf; p < buf + n;) {
			const struct inotify_event *e = (const void *)p;

			if (e->mask & IN_UNMOUNT)
				*gone = true;
			p += sizeof(*e) + e->len;
		}
	}
	return *gone;
}

TEST_F_TIMEOUT(lifecycle, delete_leaves_no_dying_memcg, TIMEOUT_S)
{
	char rel[PATH_MAX], why[512], holders[512] = "";
	uint64_t charged = 0, tol = hct_tolerance(BIG);
	struct hct_cg cg;
	struct stat st;
	bool gone = false;
	int n;

	if (_metadata->skip)
		return;
	if (hct_cg_detect(&cg, why, sizeof(why)) < 0)
		SKIP(return, "%s", why);
	ASSERT_EQ(0, create(_metadata, self, "64M"));
	ASSERT_EQ(0, verb(_metadata, self, "start"));
	ASSERT_EQ(0, container_cg(_metadata, self, &cg, rel, sizeof(rel)));
	ASSERT_EQ(0, container_write(self, "pin", 6)) TH_LOG("%s", hch_log(&self->r));
	/*
	 * The pages are the container's: charged at or below the cgroup the
	 * driver names. Outliving delete, they would keep it dying.
	 */
	HCT_POLL_UNTIL(POLL_MS, hct_cg_shmem_tree(&cg, rel, &charged) == 0 && charged >= BIG - tol);
	ASSERT_LE(BIG - tol, charged)
	TH_LOG("contract section 4.1: %" PRIu64 " bytes of shmem charged in %s/%s after the "
	       "container wrote %" PRIu64 " into the channel (memory.stat, hierarchical)",
	       charged, cg.root, rel, (uint64_t)BIG);

	ASSERT_EQ(1, hch_mount_count(self->host));
	ASSERT_EQ(0, stat(self->host, &st));
	self->watch = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	ASSERT_LE(0, self->watch) TH_LOG("inotify_init1: %s", strerror(errno));
	/* On the tmpfs root: IN_UNMOUNT is sent whatever the mask. */
	ASSERT_LE(0, inotify_add_watch(self->watch, self->host, IN_DELETE_SELF))
	TH_LOG("inotify_add_watch %s: %s", self->host, strerror(errno));
	ASSERT_EQ(0, delete (_metadata, self));

	HCT_POLL_UNTIL(DYING_MS, tmpfs_gone(self->watch, &gone));
	if (!gone) {
		/* Still alive, its device is still its own: who holds it? */
		n = hch_dev_holders(st.st_dev, holders, sizeof(holders));
		if (n == 0)
			snprintf(holders, sizeof(holders), "no process has it mounted or open");
	}
	EXPECT_TRUE(gone)
	TH_LOG("contract sections 3.5 and 4.6: %d ms after delete the channel's tmpfs (device "
	       "%u:%u) is still alive, with the %" PRIu64 " bytes the container wrote charged to "
	       "its memory cgroup %s/%s, which they keep dying (%s). Held by: %s",
	       DYING_MS, major(st.st_dev), minor(st.st_dev), charged, cg.root, rel,
	       hct_cg_version_str(&cg), holders);
}

TEST_F_TIMEOUT(lifecycle, delete_while_host_holds_file_open, TIMEOUT_S)
{
	char hfile[3 * PATH_MAX];
	uint64_t base = shmem_now(), now = 0, sum = HC_FNV1A_OFFSET, got = 0;
	static unsigned char buf[1 << 16];
	struct stat st;
	ssize_t n;
	int cnt;

	if (_metadata->skip)
		return;
	ASSERT_NE(UINT64_MAX, base);
	ASSERT_EQ(0, create(_metadata, self, "64M"));
	ASSERT_EQ(0, verb(_metadata, self, "start"));
	ASSERT_EQ(0, container_write(self, "held", 8)) TH_LOG("%s", hch_log(&self->r));
	snprintf(hfile, sizeof(hfile), "%s/held", self->host);
	self->fd = open(hfile, O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, self->fd) TH_LOG("open %s: %s", hfile, strerror(errno));

	EXPECT_EQ(0, delete (_metadata, self))
	TH_LOG("contract section 3: delete must succeed while a host process holds %s open "
	       "(lazy unmount)",
	       hfile);
	cnt = hch_mount_count(self->host);
	EXPECT_EQ(0, cnt)
	TH_LOG("contract section 3: %d mounts at %s after delete", cnt, self->host);
	EXPECT_EQ(-1, lstat(self->host, &st))
	TH_LOG("contract section 3: the host path %s is still there after delete", self->host);

	/* The open file still reads what was written: detached, not destroyed. */
	while ((n = read(self->fd, buf, sizeof(buf))) > 0) {
		sum = hc_fnv1a(sum, buf, (size_t)n);
		got += (uint64_t)n;
	}
	EXPECT_EQ(BIG, got) TH_LOG("read %" PRIu64 " bytes through the held fd", got);
	EXPECT_EQ(hch_pattern_sum(8, BIG), sum);
	now = shmem_now();
	TH_LOG("Shmem %" PRIu64 " before create, %" PRIu64 " after delete with the file open", base,
	       now);
	close(self->fd);
	self->fd = -1;
	HCT_POLL_UNTIL(FREE_MS, (now = shmem_now()) <= base + HCT_MiB);
	EXPECT_GE(base + HCT_MiB, now)
	TH_LOG("contract section 3: Shmem %" PRIu64 " before create, %" PRIu64 " %d ms after the "
	       "last file was closed: %" PRIu64 " KiB not freed",
	       base, now, FREE_MS, (now - base) >> 10);
}

TEST_F_TIMEOUT(lifecycle, host_path_with_space, TIMEOUT_S)
{
	char dir[PATH_MAX + 16];
	struct hct_mount m;
	struct stat st;

	if (_metadata->skip)
		return;
	snprintf(dir, sizeof(dir), "%s/with space", self->box.scratch);
	ASSERT_EQ(0, mkdir(dir, 0755));
	made(self, "with space");
	snprintf(self->host, sizeof(self->host), "%s/ch", dir);
	ASSERT_EQ(0, create(_metadata, self, "1M"));
	ASSERT_EQ(0, verb(_metadata, self, "start"));
	/* libmount decodes mountinfo's "\040". */
	ASSERT_EQ(0, hct_mount_lookup(self->host, &m))
	TH_LOG("contract section 3: no mount at \"%s\" after start", self->host);
	EXPECT_STREQ("tmpfs", m.fstype);
	expect_shared(_metadata, self, self->host);
	ASSERT_EQ(0, delete (_metadata, self));
	EXPECT_EQ(0, hch_mount_count(self->host)) TH_LOG("\"%s\" still mounted", self->host);
	EXPECT_EQ(-1, lstat(self->host, &st)) TH_LOG("\"%s\" left after delete", self->host);
	EXPECT_EQ(0, stat(dir, &st))
	TH_LOG("contract section 3: delete removed \"%s\", which it did not create", dir);
}

TEST_F_TIMEOUT(lifecycle, host_path_under_symlinked_parent, TIMEOUT_S)
{
	char real[PATH_MAX + 8], link[PATH_MAX + 8], target[PATH_MAX + 8] = "";
	char realch[PATH_MAX + 16];
	struct hct_mount m;
	struct stat st;
	ssize_t n;

	if (_metadata->skip)
		return;
	snprintf(real, sizeof(real), "%s/real", self->box.scratch);
	snprintf(link, sizeof(link), "%s/link", self->box.scratch);
	snprintf(realch, sizeof(realch), "%s/ch", real);
	ASSERT_EQ(0, mkdir(real, 0755));
	made(self, "real");
	ASSERT_EQ(0, symlink(real, link));
	made(self, "link");
	snprintf(self->host, sizeof(self->host), "%s/ch", link);

	ASSERT_EQ(0, create(_metadata, self, "1M"));
	ASSERT_EQ(0, verb(_metadata, self, "start"));
	/* mountinfo names the mount point by its real path. */
	ASSERT_EQ(0, hct_mount_lookup(realch, &m))
	TH_LOG("contract section 3: no mount at %s (host path %s) after start", realch, self->host);
	EXPECT_STREQ("tmpfs", m.fstype);
	expect_shared(_metadata, self, self->host);
	ASSERT_EQ(0, delete (_metadata, self));
	EXPECT_EQ(0, hch_mount_count(realch)) TH_LOG("%s still mounted after delete", realch);
	EXPECT_EQ(-1, lstat(realch, &st)) TH_LOG("%s left after delete", realch);
	ASSERT_EQ(0, lstat(link, &st))
	TH_LOG("contract section 3: delete removed the symlink %s", link);
	EXPECT_TRUE(S_ISLNK(st.st_mode)) TH_LOG("%s is no longer a symlink", link);
	n = readlink(link, target, sizeof(target) - 1);
	target[n > 0 ? n : 0] = '\0';
	EXPECT_STREQ(real, target) TH_LOG("the symlink %s changed its target", link);
	ASSERT_EQ(0, lstat(real, &st)) TH_LOG("contract section 3: delete removed %s", real);
	EXPECT_TRUE(S_ISDIR(st.st_mode));
}

/* ------------------------------------------------- existing host path */

/* The form that hurts most first: an empty directory looks free to take. */
enum existing {
	EMPTY_DIR,
	EMPTY_DIR_OTHER_USER,
	DIR_WITH_DATA,
	REGULAR_FILE,
	SYMLINK_TO_DIR,
	DANGLING_SYMLINK,
};

FIXTURE(refuse)
{
	struct hch_box box;
	struct hch_run r;
	char target[2 * PATH_MAX]; /* symlink target (a dir with data, or missing) */
	char data[3 * PATH_MAX];   /* the file with data the host path holds or leads to */
};

FIXTURE_VARIANT(refuse)
{
	enum existing kind;
};

FIXTURE_VARIANT_ADD(refuse, empty_dir){.kind = EMPTY_DIR};
FIXTURE_VARIANT_ADD(refuse, empty_dir_other_user){.kind = EMPTY_DIR_OTHER_USER};
FIXTURE_VARIANT_ADD(refuse, dir_with_data){.kind = DIR_WITH_DATA};
FIXTURE_VARIANT_ADD(refuse, regular_file){.kind = REGULAR_FILE};
FIXTURE_VARIANT_ADD(refuse, symlink_to_dir){.kind = SYMLINK_TO_DIR};
FIXTURE_VARIANT_ADD(refuse, dangling_symlink){.kind = DANGLING_SYMLINK};

/* What the host path holds, or leads to, before the refused create. */
#define USER_DATA "the user's data\n"
/* The other user: nobody, the suite's non-root host user. */
#define OTHER_ID 65534

FIXTURE_SETUP(refuse)
{
	/*
	 * Times from long ago on the host path: one made anew (removed and
	 * made again, even at the same inode) cannot carry them.
	 */
	const struct timespec old[2] = {{.tv_sec = 1000000000, .tv_nsec = 123456789},
					{.tv_sec = 1000000000, .tv_nsec = 987654321}};
	char why[512];
	int ret;

	HCT_ALWAYS_TEARDOWN();
	ret = hch_box_init(&self->box, "refuse", why, sizeof(why));
	if (ret == HCT_SKIP)
		SKIP(return, "%s", why);
	ASSERT_EQ(0, ret) TH_LOG("%s", why);
	switch (variant->kind) {
	case EMPTY_DIR:
		ASSERT_EQ(0, mkdir(self->box.host, 0755));
		break;
	case EMPTY_DIR_OTHER_USER:
		ASSERT_EQ(0, mkdir(self->box.host, 0750));
		ASSERT_EQ(0, chown(self->box.host, OTHER_ID, OTHER_ID));
		break;
	case DIR_WITH_DATA:
		ASSERT_EQ(0, mkdir(self->box.host, 0750));
		snprintf(self->data, sizeof(self->data), "%s/data", self->box.host);
		break;
	case REGULAR_FILE:
		snprintf(self->data, sizeof(self->data), "%s", self->box.host);
		break;
	case SYMLINK_TO_DIR:
		snprintf(self->target, sizeof(self->target), "%s/target", self->box.scratch);
		ASSERT_EQ(0, mkdir(self->target, 0750));
		snprintf(self->data, sizeof(self->data), "%s/data", self->target);
		ASSERT_EQ(0, symlink(self->target, self->box.host));
		break;
	case DANGLING_SYMLINK:
		snprintf(self->target, sizeof(self->target), "%s/missing", self->box.scratch);
		ASSERT_EQ(0, symlink(self->target, self->box.host));
		break;
	}
	if (self->data[0] != '\0') {
		ASSERT_EQ(0, hch_write_new(self->data, USER_DATA, strlen(USER_DATA)))
		TH_LOG("writing %s", self->data);
	}
	ASSERT_EQ(0, utimensat(AT_FDCWD, self->box.host, old, AT_SYMLINK_NOFOLLOW))
	TH_LOG("utimensat %s: %s", self->box.host, strerror(errno));
}

FIXTURE_TEARDOWN(refuse)
{
	HCT_TEARDOWN_BEGIN();
	/* The host path is the test's own here: never hch_box_delete's check. */
	if (self->box.name[0] != '\0') {
		hct_engine_cleanup(self->box.name);
		self->box.name[0] = '\0';
	}
	if (self->data[0] != '\0' && hch_unlink(self->data) < 0)
		TH_LOG("teardown: unlink %s: %s", self->data, strerror(errno));
	if (variant->kind == SYMLINK_TO_DIR || variant->kind == DANGLING_SYMLINK ||
	    variant->kind == REGULAR_FILE) {
		if (hch_unlink(self->box.host) < 0)
			TH_LOG("teardown: unlink %s: %s", self->box.host, strerror(errno));
	}
	if (variant->kind == SYMLINK_TO_DIR && hch_rmdir(self->target) < 0)
		TH_LOG("teardown: rmdir %s: %s", self->target, strerror(errno));
	/* The directories, empty by now, go with the box. */
	EXPECT_EQ(0, hch_box_fini(&self->box));
}

/* What can be seen of a path without following it, and what it holds. */
struct snapshot {
	struct stat st, target_st;
	struct statx stx; /* for the birth time, which stat(2) does not give */
	int lstat_err, target_err;
	char link[PATH_MAX];
	char data[256];
	char entries[1024]; /* names of the directory it is or leads to, sorted */
};

static void take(FIXTURE_DATA(refuse) * self, struct snapshot *s)
{
	ssize_t n;
	int fd;

	memset(s, 0, sizeof(*s));
	s->lstat_err = lstat(self->box.host, &s->st) < 0 ? errno : 0;
	if (statx(AT_FDCWD, self->box.host, AT_SYMLINK_NOFOLLOW, STATX_BTIME, &s->stx) < 0)
		s->stx.stx_mask = 0;
	s->target_err = self->target[0] && lstat(self->target, &s->target_st) < 0 ? errno : 0;
	n = readlink(self->box.host, s->link, sizeof(s->link) - 1);
	s->link[n > 0 ? n : 0] = '\0';
	if (self->data[0] != '\0' && (fd = open(self->data, O_RDONLY | O_CLOEXEC)) >= 0) {
		n = read(fd, s->data, sizeof(s->data) - 1);
		s->data[n > 0 ? n : 0] = '\0';
		close(fd);
	}
	if (S_ISDIR(s->st.st_mode))
		hch_dir_entries(self->box.host, s->entries, sizeof(s->entries));
	else if (self->target[0] != '\0')
		hch_dir_entries(self->target, s->entries, sizeof(s->entries));
}

/* Contract section 3.2: the refused host path is exactly as it was. */
static void expect_unchanged(struct __test_metadata *_metadata, FIXTURE_DATA(refuse) * self,
			     const struct snapshot *before, const struct snapshot *after,
			     const char *when)
{
	const struct statx_timestamp *b0 = &before->stx.stx_btime, *b1 = &after->stx.stx_btime;
	int n;

	EXPECT_EQ(0, after->lstat_err)
	TH_LOG("contract section 3.2: the host path %s is gone %s: %s", self->box.host, when,
	       strerror(after->lstat_err));
	EXPECT_TRUE(hch_same_stat(&before->st, &after->st))
	TH_LOG("contract section 3.2: the host path changed %s: mode %o -> %o, inode %llu -> "
	       "%llu, owner %u:%u -> %u:%u, nlink %llu -> %llu, size %lld -> %lld, mtime "
	       "%lld.%09ld -> %lld.%09ld, ctime %lld.%09ld -> %lld.%09ld",
	       when, before->st.st_mode, after->st.st_mode, (unsigned long long)before->st.st_ino,
	       (unsigned long long)after->st.st_ino, before->st.st_uid, before->st.st_gid,
	       after->st.st_uid, after->st.st_gid, (unsigned long long)before->st.st_nlink,
	       (unsigned long long)after->st.st_nlink, (long long)before->st.st_size,
	       (long long)after->st.st_size, (long long)before->st.st_mtim.tv_sec,
	       before->st.st_mtim.tv_nsec, (long long)after->st.st_mtim.tv_sec,
	       after->st.st_mtim.tv_nsec, (long long)before->st.st_ctim.tv_sec,
	       before->st.st_ctim.tv_nsec, (long long)after->st.st_ctim.tv_sec,
	       after->st.st_ctim.tv_nsec);
	/* The birth time, where the file system keeps one, must hold too. */
	if (before->stx.stx_mask & after->stx.stx_mask & STATX_BTIME) {
		EXPECT_TRUE(b0->tv_sec == b1->tv_sec && b0->tv_nsec == b1->tv_nsec)
		TH_LOG("contract section 3.2: the host path was made anew %s: born "
		       "%lld.%09u, now %lld.%09u",
		       when, (long long)b0->tv_sec, b0->tv_nsec, (long long)b1->tv_sec,
		       b1->tv_nsec);
	}
	EXPECT_STREQ(before->link, after->link)
	TH_LOG("contract section 3.2: the symlink changed %s", when);
	EXPECT_STREQ(before->data, after->data)
	TH_LOG("contract section 3.2: the data changed %s", when);
	EXPECT_STREQ(before->entries, after->entries)
	TH_LOG("contract section 3.2: the directory's entries changed %s", when);
	EXPECT_EQ(before->target_err, after->target_err)
	TH_LOG("contract section 3.2: the symlink's target %s: %s before, %s %s", self->target,
	       strerror(before->target_err), strerror(after->target_err), when);
	if (before->target_err == 0 && after->target_err == 0) {
		EXPECT_TRUE(hch_same_stat(&before->target_st, &after->target_st))
		TH_LOG("contract section 3.2: the symlink's target %s changed %s", self->target,
		       when);
	}
	n = hch_mount_count(self->box.host) + (self->target[0] ? hch_mount_count(self->target) : 0);
	EXPECT_EQ(0, n) TH_LOG("contract section 3.2: %d mounts on the refused path %s", n, when);
}

/* create NAME --host-channel <the existing host path>:...; its status. */
static int create_existing(FIXTURE_DATA(refuse) * self)
{
	char spec[3 * PATH_MAX];

	snprintf(spec, sizeof(spec), "%s:" HCH_CTR ":rw:1M", self->box.host);
	return hch_run(&self->r, "create", self->box.name, "--host-channel", spec, NULL);
}

TEST_F_TIMEOUT(refuse, create_refused_path_unchanged, TIMEOUT_S)
{
	struct snapshot before, after;

	if (_metadata->skip)
		return;
	take(self, &before);
	ASSERT_EQ(0, before.lstat_err);
	create_existing(self);
	EXPECT_NE(0, self->r.o.status)
	TH_LOG("contract section 3.2: the host path exists (mode %o): create must refuse; %s",
	       before.st.st_mode, hch_log(&self->r));
	EXPECT_NE(NULL, strstr(self->r.o.err, self->box.host))
	TH_LOG("contract section 2: the message quotes the offending field; %s", hch_log(&self->r));
	/* Contract section 2: a rejected option creates nothing. */
	EXPECT_NE(0, hch_run(&self->r, "state", self->box.name, NULL))
	TH_LOG("contract section 2: the refused container exists; %s", hch_log(&self->r));

	take(self, &after);
	expect_unchanged(_metadata, self, &before, &after, "after the refused create");
}

TEST_F_TIMEOUT(refuse, create_refused_with_125, TIMEOUT_S)
{
	struct stat st;
	int status;

	if (_metadata->skip)
		return;
	ASSERT_EQ(0, lstat(self->box.host, &st));
	status = create_existing(self);
	EXPECT_EQ(125, status)
	TH_LOG("contract section 3.2: create refuses an existing host path (mode %o) with exit "
	       "125, as it refuses a bad option (section 2.6); it exited %d; %s",
	       st.st_mode, status, hch_log(&self->r));
}

TEST_F_TIMEOUT(refuse, delete_after_refused_create_keeps_path, TIMEOUT_S)
{
	struct snapshot before, after;
	char when[512];
	int created, deleted;

	if (_metadata->skip)
		return;
	take(self, &before);
	ASSERT_EQ(0, before.lstat_err);
	created = create_existing(self);
	/*
	 * Whatever create said, the name goes to delete, as a user (or an
	 * orchestrator cleaning up after a failed create) would do.
	 */
	deleted = hch_run(&self->r, "delete", self->box.name, NULL);
	self->box.name[0] = '\0';
	snprintf(when, sizeof(when),
		 "after delete of the container whose create it was given (create exited %d; "
		 "delete exited %d: %.200s)",
		 created, deleted, self->r.o.err);
	take(self, &after);
	expect_unchanged(_metadata, self, &before, &after, when);
}

HCT_HARNESS_MAIN
