// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * memcg_free: why the contract says "unmount the channel, then destroy the
 * container's cgroup" (sections 3 and 4). tmpfs pages stay charged to the
 * cgroup that wrote them for as long as they exist, and a removed memory
 * cgroup whose pages still exist lives on as a "dying" cgroup, invisible in
 * the cgroup tree but still counted and still holding its memory:
 *  - unmount first: the charge drops by what was written, and the removed
 *    cgroup is freed, leaving no dying cgroup behind;
 *  - remove first: rmdir succeeds, yet one dying cgroup remains, its pages
 *    still charged to the parent, until the unmount frees them and it.
 *
 * What keeps a removed cgroup dying is read from the test's own subtree,
 * never from a system-wide figure that other users' cgroups move:
 *  - the tmpfs pages charged to removed cgroups below the parent: its
 *    hierarchical shmem (v1 total_shmem, v2 shmem) less its own and its
 *    live children's (lib/memcg.c, hct_cg_shmem_removed). The kernel keeps
 *    a removed memory cgroup, dying, for as long as a page is charged to
 *    it, so pages there mean a dying cgroup; on v1 this is the only
 *    per-subtree measure, /proc/cgroups' num_cgroups being the whole
 *    machine's;
 *  - v2 also: nr_dying_descendants in the parent's cgroup.stat, the
 *    subtree's own count of dying cgroups.
 *
 *   <memory root>
 *   `-- hostchannel-selftest-<pid>      removed pages, dying count, usage
 *       `-- container                    writes 64 MiB into the channel
 *
 *   test                    step     container usage  parent usage  removed     dying (v2)
 *   unmount_then_rmdir_     written  >= 64 MiB - tol  -             -           -
 *     leaves_nothing        umount   drops by 64+-tol -             -           n (read here)
 *                           rmdir    (gone)           -             <= tol      back to n
 *   rmdir_first_leaves_     written  >= 64 MiB - tol  -             -           n (read here)
 *     dying_until_unmount   rmdir    (gone)           -             -           n + 1
 *                           1 s      -                >= 64 - tol   >= 64 - tol n + 1
 *                           umount   -                drops by 64   <= tol      back to n
 *
 * A freed cgroup leaves the count shortly after the rmdir or the umount:
 * polled every 20 ms for up to 10 s. The kernel's per-CPU charge caches can
 * keep a removed cgroup dying much longer, whatever the tmpfs does (a drain
 * on offline gives up when another drain is running), so the polls drain
 * the subtree every 0.5 s (v1 memory.force_empty, v2 memory.high): only the
 * tmpfs pages, which nothing but the umount frees, can keep it dying then.
 * The counts are read once they held still for 0.5 s (the parent of the
 * test before is freed some 100 ms after its teardown). The statistics
 * behind "removed" are folded lazily (at most every 2 s): polled for up to
 * 10 s. Nothing here is another user's figure, so nothing is retried.
 * tol is 5% of the figure or 1 MiB, whichever is larger.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"

#include "harness.h"
#include "hctest.h"

/* Past the harness default of 30 s: a test killed there skips its teardown. */
#define TIMEOUT_S 120
#define CHILD_MS  20000
#define POLL_MS	  5000
#define FREE_MS	  10000
#define DRAIN_MS  500
#define STABLE_MS 500
#define WRITTEN	  (64 * HCT_MiB)

FIXTURE(memcg_free)
{
	struct hct_sandbox sb;
	char file[PATH_MAX];
	struct hct_child_report *r;
};

FIXTURE_SETUP(memcg_free)
{
	char why[512];
	int ret;

	HCT_ALWAYS_TEARDOWN();
	self->r = hct_report_new();
	ASSERT_NE(NULL, self->r);
	ret = hct_sandbox_init(&self->sb, "memcg-free", true, why, sizeof(why));
	if (ret == HCT_SKIP)
		SKIP(return, "%s", why);
	ASSERT_EQ(0, ret) TH_LOG("%s", why);
	TH_LOG("memory cgroup %s at %s", hct_cg_version_str(&self->sb.cg), self->sb.cg.root);
	hct_sandbox_file(&self->sb, "f", self->file);
}

FIXTURE_TEARDOWN(memcg_free)
{
	EXPECT_EQ(0, hct_sandbox_fini(&self->sb));
	hct_report_free(self->r);
}

static bool v2(FIXTURE_DATA(memcg_free) * self)
{
	return self->sb.cg.version == HCT_CG_V2;
}

static bool dying_is(FIXTURE_DATA(memcg_free) * self, uint64_t want, uint64_t *got)
{
	return hct_cg_dying(&self->sb.cg, self->sb.parent, got) == 0 && *got == want;
}

/*
 * Poll cond, draining the subtree's per-CPU caches and reclaimable pages
 * every DRAIN_MS: whatever still keeps a removed cgroup dying after that is
 * what this test is about, the tmpfs pages.
 */
#define SETTLES(self, timeout_ms, cond)                                                            \
	({                                                                                         \
		int64_t __end = hct_now_ms() + (timeout_ms), __drain = hct_now_ms() + DRAIN_MS;    \
		bool __ok;                                                                         \
		while (!(__ok = (cond)) && hct_now_ms() < __end) {                                 \
			if (hct_now_ms() >= __drain) {                                             \
				hct_cg_drain(&(self)->sb.cg, (self)->sb.parent);                   \
				__drain = hct_now_ms() + DRAIN_MS;                                 \
			}                                                                          \
			hct_sleep_ms(HCT_POLL_STEP_MS);                                            \
		}                                                                                  \
		__ok;                                                                              \
	})

static bool usage_at_least(FIXTURE_DATA(memcg_free) * self, const char *rel, uint64_t want,
			   uint64_t *got)
{
	return hct_cg_usage(&self->sb.cg, rel, got) == 0 && *got >= want;
}

static bool usage_below(FIXTURE_DATA(memcg_free) * self, const char *rel, uint64_t want,
			uint64_t *got)
{
	return hct_cg_usage(&self->sb.cg, rel, got) == 0 && *got < want;
}

/* tmpfs pages charged to removed cgroups of the subtree: at most max. */
static bool removed_at_most(FIXTURE_DATA(memcg_free) * self, uint64_t max, uint64_t *got)
{
	return hct_cg_shmem_removed(&self->sb.cg, self->sb.parent, got) == 0 && *got <= max;
}

static bool removed_at_least(FIXTURE_DATA(memcg_free) * self, uint64_t min, uint64_t *got)
{
	return hct_cg_shmem_removed(&self->sb.cg, self->sb.parent, got) == 0 && *got >= min;
}

#define REMOVED_WHAT                                                                               \
	"tmpfs pages of removed cgroups below the parent (its hierarchical shmem less its own "    \
	"and its live children's)"

/*
 * A fresh channel and a fresh leaf; the leaf writes WRITTEN bytes into the
 * channel and exits, and its usage shows them. *leaf names it.
 */
static void write_channel(struct __test_metadata *_metadata, FIXTURE_DATA(memcg_free) * self,
			  const char **leaf)
{
	struct hct_fill_arg a = {.path = self->file, .bytes = WRITTEN};
	uint64_t usage = 0;
	char how[64];
	int status, ret;
	pid_t pid;

	ret = hct_sandbox_mount(&self->sb, MS_NOSUID | MS_NODEV | MS_NOEXEC,
				"mode=1777,size=134217728");
	ASSERT_EQ(0, ret) TH_LOG("mount tmpfs on %s: %s", self->sb.dir, strerror(-ret));
	ret = hct_sandbox_leaf(&self->sb, "container", 0, leaf);
	ASSERT_EQ(0, ret) TH_LOG("cgroup container: %s", strerror(-ret));

	memset(self->r, 0, sizeof(*self->r));
	pid = hct_sandbox_spawn(&self->sb, *leaf, hct_child_fill, &a, self->r);
	ASSERT_LT(0, pid);
	ASSERT_EQ(0, hct_sandbox_wait(&self->sb, pid, &status, CHILD_MS));
	ASSERT_EQ(0, status) TH_LOG("writer: %s", hct_wstatus_str(status, how, sizeof(how)));
	ASSERT_EQ(0, self->r->err) TH_LOG("writer: %s", self->r->note);
	ASSERT_TRUE(HCT_POLL_UNTIL(
		POLL_MS, usage_at_least(self, *leaf, WRITTEN - hct_tolerance(WRITTEN), &usage)))
	TH_LOG("%s usage %" PRIu64 " after writing %" PRIu64 ", want >= %" PRIu64, *leaf, usage,
	       WRITTEN, WRITTEN - hct_tolerance(WRITTEN));
}

TEST_F_TIMEOUT(memcg_free, unmount_then_rmdir_leaves_nothing, TIMEOUT_S)
{
	uint64_t pre = 0, dying = 0, before = 0, after = 0, removed = 0;
	uint64_t tol = hct_tolerance(WRITTEN);
	const char *leaf = NULL;

	if (_metadata->skip)
		return;
	write_channel(_metadata, self, &leaf);
	ASSERT_EQ(0, hct_cg_usage(&self->sb.cg, leaf, &before));

	ASSERT_EQ(0, hct_sandbox_umount(&self->sb)) TH_LOG("umount: %s", strerror(errno));
	ASSERT_TRUE(
		HCT_POLL_UNTIL(POLL_MS, usage_below(self, leaf, before - WRITTEN + tol, &after)))
	TH_LOG("%s usage %" PRIu64 " -> %" PRIu64 " after umount, want a drop of %" PRIu64
	       " +- %" PRIu64,
	       leaf, before, after, WRITTEN, tol);

	if (v2(self)) {
		ASSERT_EQ(0, hct_cg_dying_stable(&self->sb.cg, self->sb.parent, &pre, STABLE_MS,
						 POLL_MS));
	}
	ASSERT_EQ(0, hct_cg_remove(&self->sb.cg, leaf))
	TH_LOG("rmdir %s: %s", leaf, strerror(errno));
	/* No channel page is left to keep the removed cgroup alive... */
	EXPECT_TRUE(SETTLES(self, FREE_MS, removed_at_most(self, tol, &removed)))
	TH_LOG("%" PRIu64 " bytes of " REMOVED_WHAT " %d ms after rmdir, want <= %" PRIu64
	       ": tmpfs pages keep %s dying",
	       removed, FREE_MS, tol, leaf);
	/* ...and on v2 the kernel's own count of the subtree shows it freed. */
	if (v2(self)) {
		EXPECT_TRUE(SETTLES(self, FREE_MS, dying_is(self, pre, &dying)))
		TH_LOG("nr_dying_descendants of %s: %" PRIu64 " before rmdir, %" PRIu64
		       " %d ms after, want %" PRIu64,
		       self->sb.parent, pre, dying, FREE_MS, pre);
	}
}

TEST_F_TIMEOUT(memcg_free, rmdir_first_leaves_dying_until_unmount, TIMEOUT_S)
{
	uint64_t pre = 0, dying = 0, parent = 0, parent_after = 0, removed = 0;
	uint64_t tol = hct_tolerance(WRITTEN);
	const char *leaf = NULL;

	if (_metadata->skip)
		return;
	write_channel(_metadata, self, &leaf);
	if (v2(self)) {
		ASSERT_EQ(0, hct_cg_dying_stable(&self->sb.cg, self->sb.parent, &pre, STABLE_MS,
						 POLL_MS));
	}
	/* rmdir wants no tasks, not no pages: it succeeds. */
	ASSERT_EQ(0, hct_cg_remove(&self->sb.cg, leaf))
	TH_LOG("rmdir %s with its pages still in the channel: %s", leaf, strerror(errno));
	if (v2(self)) {
		EXPECT_TRUE(HCT_POLL_UNTIL(POLL_MS, dying_is(self, pre + 1, &dying)))
		TH_LOG("nr_dying_descendants of %s: %" PRIu64 " before rmdir, %" PRIu64
		       " after, want %" PRIu64,
		       self->sb.parent, pre, dying, pre + 1);
	}

	/*
	 * Drained and a second later, the removed cgroup still holds the
	 * pages: the parent, with no task and no live child, is charged for
	 * them, they are charged to no cgroup that is still there, and on v2
	 * the kernel counts one dying cgroup.
	 */
	hct_cg_drain(&self->sb.cg, self->sb.parent);
	hct_sleep_ms(1000);
	ASSERT_EQ(0, hct_cg_usage(&self->sb.cg, self->sb.parent, &parent));
	ASSERT_GE(parent, WRITTEN - tol)
	TH_LOG("parent usage %" PRIu64 " 1 s after rmdir, want >= %" PRIu64
	       " (the removed child's pages)",
	       parent, WRITTEN - tol);
	EXPECT_TRUE(HCT_POLL_UNTIL(FREE_MS, removed_at_least(self, WRITTEN - tol, &removed)))
	TH_LOG("%" PRIu64 " bytes of " REMOVED_WHAT " after rmdir and a drain, want >= %" PRIu64
	       ": the removed %s should hold its pages, dying",
	       removed, WRITTEN - tol, leaf);
	if (v2(self)) {
		EXPECT_TRUE(dying_is(self, pre + 1, &dying))
		TH_LOG("nr_dying_descendants of %s: %" PRIu64 " before rmdir, %" PRIu64
		       " 1 s after a drain, want %" PRIu64,
		       self->sb.parent, pre, dying, pre + 1);
		ASSERT_EQ(0, hct_cg_dying_stable(&self->sb.cg, self->sb.parent, &pre, STABLE_MS,
						 POLL_MS));
		ASSERT_LE(1, pre) TH_LOG("no dying cgroup left before the umount");
	}

	ASSERT_EQ(0, hct_sandbox_umount(&self->sb)) TH_LOG("umount: %s", strerror(errno));
	ASSERT_TRUE(HCT_POLL_UNTIL(
		POLL_MS, usage_below(self, self->sb.parent, parent - WRITTEN + tol, &parent_after)))
	TH_LOG("parent usage %" PRIu64 " -> %" PRIu64 " after umount, want a drop of %" PRIu64
	       " +- %" PRIu64,
	       parent, parent_after, WRITTEN, tol);
	EXPECT_TRUE(SETTLES(self, FREE_MS, removed_at_most(self, tol, &removed)))
	TH_LOG("%" PRIu64 " bytes of " REMOVED_WHAT " %d ms after umount, want <= %" PRIu64
	       ": the umount should free them and the removed %s",
	       removed, FREE_MS, tol, leaf);
	if (v2(self)) {
		EXPECT_TRUE(SETTLES(self, FREE_MS, dying_is(self, pre - 1, &dying)))
		TH_LOG("nr_dying_descendants of %s: %" PRIu64 " before umount, %" PRIu64
		       " %d ms after, want %" PRIu64,
		       self->sb.parent, pre, dying, FREE_MS, pre - 1);
	}
}

HCT_HARNESS_MAIN
