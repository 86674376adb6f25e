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
 * Dying cgroups are counted as the kernel exposes them:
 *  - v2: nr_dying_descendants in the parent's cgroup.stat (this subtree's);
 *  - v1: the memory line of /proc/cgroups, num_cgroups, counts the live and
 *    dying cgroups of the whole hierarchy; the live directories are taken
 *    off (lib/memcg.c) so that other users' mkdir/rmdir do not count. A
 *    cgroup that another user leaves dying while this runs still would: the
 *    failure message says so.
 *
 *   <memory root>
 *   `-- hostchannel-selftest-<pid>      dying count and usage read here
 *       `-- container                    writes 64 MiB into the channel
 *
 *   test                              step     container usage   parent usage  dying
 *   unmount_then_rmdir_leaves_nothing written  >= 64 MiB - tol   -             -
 *                                     umount   drops by 64 +-tol -             n (read here)
 *                                     rmdir    (gone)            -             back to n
 *   rmdir_first_leaves_dying_until    written  >= 64 MiB - tol   -             n (read here)
 *     _unmount                        rmdir    (gone)            -             n + 1
 *                                     1 s      -                 >= 64 - tol   n + 1
 *                                     umount   -                 drops by 64   back to n
 *
 * A freed cgroup leaves the count shortly after the rmdir or the umount:
 * polled every 20 ms for up to 10 s. The kernel's per-CPU charge caches can
 * keep a removed cgroup dying much longer, whatever the tmpfs does (a drain
 * on offline gives up when another drain is running), so the polls drain
 * the subtree every 0.5 s (v1 memory.force_empty, v2 memory.high): only the
 * tmpfs pages, which nothing but the umount frees, can keep it dying then.
 * Each count is read right before the step it measures, once it held
 * still for 0.5 s, so that on v1 other users' cgroups (and the parent of
 * the test before, freed some 100 ms after its teardown) have as little
 * room as possible to change it. On v1 a count that still comes out wrong
 * may be another user's doing: the whole sequence is tried again with a
 * fresh cgroup, up to 3 times, every miss printed; a real miss repeats.
 * The charges (usage) are the subtree's own on v1 too and are never retried.
 * tol is 5% of the figure or 1 MiB, whichever is larger.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
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
#define TRIES_V1  3

FIXTURE(memcg_free)
{
	struct hct_sandbox sb;
	char file[PATH_MAX];
	struct hct_child_report *r;
	char miss[512]; /* why the last try's dying count was not as expected */
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

static int tries(FIXTURE_DATA(memcg_free) * self)
{
	return self->sb.cg.version == HCT_CG_V1 ? TRIES_V1 : 1;
}

static bool dying_is(FIXTURE_DATA(memcg_free) * self, uint64_t want, uint64_t *got)
{
	return hct_cg_dying(&self->sb.cg, self->sb.parent, got) == 0 && *got == want;
}

/*
 * Poll the dying count for want, draining the subtree's per-CPU caches and
 * reclaimable pages every DRAIN_MS: whatever still keeps a removed cgroup
 * dying after that is what this test is about, the tmpfs pages.
 */
static bool dying_settles(FIXTURE_DATA(memcg_free) * self, uint64_t want, uint64_t *got,
			  long timeout_ms)
{
	int64_t end = hct_now_ms() + timeout_ms, drain = hct_now_ms() + DRAIN_MS;

	for (;;) {
		if (dying_is(self, want, got))
			return true;
		if (hct_now_ms() >= end)
			return false;
		if (hct_now_ms() >= drain) {
			hct_cg_drain(&self->sb.cg, self->sb.parent);
			drain = hct_now_ms() + DRAIN_MS;
		}
		hct_sleep_ms(HCT_POLL_STEP_MS);
	}
}

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

static const char *dying_where(FIXTURE_DATA(memcg_free) * self)
{
	return self->sb.cg.version == HCT_CG_V2
		       ? "nr_dying_descendants of the parent's cgroup.stat"
		       : "/proc/cgroups memory num_cgroups less live cgroups, system-wide";
}

/* Record why this try's count missed; false, for "return miss(...)". */
static bool __attribute__((format(printf, 2, 3)))
miss(FIXTURE_DATA(memcg_free) * self, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(self->miss, sizeof(self->miss), fmt, ap);
	va_end(ap);
	if (n > 0 && (size_t)n < sizeof(self->miss))
		snprintf(self->miss + n, sizeof(self->miss) - n, " (%s)", dying_where(self));
	return false;
}

/*
 * A fresh channel and a fresh leaf; the leaf writes WRITTEN bytes into the
 * channel and exits, and its usage shows them. *leaf names it.
 */
static void write_channel(struct __test_metadata *_metadata, FIXTURE_DATA(memcg_free) * self,
			  int try, const char **leaf)
{
	struct hct_fill_arg a = {.path = self->file, .bytes = WRITTEN};
	uint64_t usage = 0;
	char how[64], name[32];
	int status, ret;
	pid_t pid;

	/* A try that missed may have left its pages: they go with its mount. */
	ASSERT_EQ(0, hct_sandbox_umount(&self->sb));
	ret = hct_sandbox_mount(&self->sb, MS_NOSUID | MS_NODEV | MS_NOEXEC,
				"mode=1777,size=134217728");
	ASSERT_EQ(0, ret) TH_LOG("mount tmpfs on %s: %s", self->sb.dir, strerror(-ret));
	snprintf(name, sizeof(name), "container-%d", try);
	ret = hct_sandbox_leaf(&self->sb, name, 0, leaf);
	ASSERT_EQ(0, ret) TH_LOG("cgroup %s: %s", name, strerror(-ret));

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

static bool unmount_then_rmdir(struct __test_metadata *_metadata, FIXTURE_DATA(memcg_free) * self,
			       int try)
{
	uint64_t pre = 0, dying = 0, before = 0, after = 0;
	const char *leaf = NULL;
	int64_t t0;

	write_channel(_metadata, self, try, &leaf);
	ASSERT_EQ(0, hct_cg_usage(&self->sb.cg, leaf, &before));

	ASSERT_EQ(0, hct_sandbox_umount(&self->sb)) TH_LOG("umount: %s", strerror(errno));
	ASSERT_TRUE(HCT_POLL_UNTIL(
		POLL_MS,
		usage_below(self, leaf, before - WRITTEN + hct_tolerance(WRITTEN), &after)))
	TH_LOG("%s usage %" PRIu64 " -> %" PRIu64 " after umount, want a drop of %" PRIu64
	       " +- %" PRIu64,
	       leaf, before, after, WRITTEN, hct_tolerance(WRITTEN));

	ASSERT_EQ(0, hct_cg_dying_stable(&self->sb.cg, self->sb.parent, &pre, STABLE_MS, POLL_MS));
	ASSERT_EQ(0, hct_cg_remove(&self->sb.cg, leaf))
	TH_LOG("rmdir %s: %s", leaf, strerror(errno));
	t0 = hct_now_ms();
	if (!dying_settles(self, pre, &dying, FREE_MS))
		return miss(self,
			    "dying cgroups %" PRIu64 " before rmdir, %" PRIu64 " %ld ms after, "
			    "want %" PRIu64,
			    pre, dying, (long)(hct_now_ms() - t0), pre);
	return true;
}

static bool rmdir_then_unmount(struct __test_metadata *_metadata, FIXTURE_DATA(memcg_free) * self,
			       int try)
{
	uint64_t pre = 0, dying = 0, parent = 0, parent_after = 0;
	const char *leaf = NULL;
	int64_t t0;

	write_channel(_metadata, self, try, &leaf);
	ASSERT_EQ(0, hct_cg_dying_stable(&self->sb.cg, self->sb.parent, &pre, STABLE_MS, POLL_MS));
	/* rmdir wants no tasks, not no pages: it succeeds. */
	ASSERT_EQ(0, hct_cg_remove(&self->sb.cg, leaf))
	TH_LOG("rmdir %s with its pages still in the channel: %s", leaf, strerror(errno));
	if (!HCT_POLL_UNTIL(POLL_MS, dying_is(self, pre + 1, &dying)))
		return miss(self,
			    "dying cgroups %" PRIu64 " before rmdir, %" PRIu64
			    " after, want %" PRIu64,
			    pre, dying, pre + 1);

	/*
	 * Drained and a second later, the removed cgroup still holds the
	 * pages: the parent, with no task and no live child, is charged for
	 * them (a figure of this subtree alone, on v1 too), and it is still
	 * dying.
	 */
	hct_cg_drain(&self->sb.cg, self->sb.parent);
	hct_sleep_ms(1000);
	ASSERT_EQ(0, hct_cg_usage(&self->sb.cg, self->sb.parent, &parent));
	ASSERT_GE(parent, WRITTEN - hct_tolerance(WRITTEN))
	TH_LOG("parent usage %" PRIu64 " 1 s after rmdir, want >= %" PRIu64
	       " (the removed child's pages)",
	       parent, WRITTEN - hct_tolerance(WRITTEN));
	if (!dying_is(self, pre + 1, &dying))
		return miss(self,
			    "dying cgroups %" PRIu64 " before rmdir, %" PRIu64
			    " 1 s after a drain, "
			    "want %" PRIu64,
			    pre, dying, pre + 1);

	ASSERT_EQ(0, hct_cg_dying_stable(&self->sb.cg, self->sb.parent, &pre, STABLE_MS, POLL_MS));
	if (pre < 1)
		return miss(self, "no dying cgroup left before the umount");
	ASSERT_EQ(0, hct_sandbox_umount(&self->sb)) TH_LOG("umount: %s", strerror(errno));
	ASSERT_TRUE(HCT_POLL_UNTIL(POLL_MS, usage_below(self, self->sb.parent,
							parent - WRITTEN + hct_tolerance(WRITTEN),
							&parent_after)))
	TH_LOG("parent usage %" PRIu64 " -> %" PRIu64 " after umount, want a drop of %" PRIu64
	       " +- %" PRIu64,
	       parent, parent_after, WRITTEN, hct_tolerance(WRITTEN));
	t0 = hct_now_ms();
	if (!dying_settles(self, pre - 1, &dying, FREE_MS))
		return miss(self,
			    "dying cgroups %" PRIu64 " before umount, %" PRIu64 " %ld ms after, "
			    "want %" PRIu64,
			    pre, dying, (long)(hct_now_ms() - t0), pre - 1);
	return true;
}

TEST_F_TIMEOUT(memcg_free, unmount_then_rmdir_leaves_nothing, TIMEOUT_S)
{
	bool ok = false;

	if (_metadata->skip)
		return;
	for (int i = 1; i <= tries(self) && !ok; i++) {
		ok = unmount_then_rmdir(_metadata, self, i);
		if (!ok)
			TH_LOG("try %d of %d: %s", i, tries(self), self->miss);
	}
	EXPECT_TRUE(ok) TH_LOG("%s", self->miss);
}

TEST_F_TIMEOUT(memcg_free, rmdir_first_leaves_dying_until_unmount, TIMEOUT_S)
{
	bool ok = false;

	if (_metadata->skip)
		return;
	for (int i = 1; i <= tries(self) && !ok; i++) {
		ok = rmdir_then_unmount(_metadata, self, i);
		if (!ok)
			TH_LOG("try %d of %d: %s", i, tries(self), self->miss);
	}
	EXPECT_TRUE(ok) TH_LOG("%s", self->miss);
}

HCT_HARNESS_MAIN
