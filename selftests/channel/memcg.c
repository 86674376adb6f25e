// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * channel/memcg: the channel's pages are charged to the memory cgroup of
 * whoever writes them, through an engine (contract section 4):
 *  - what the container writes (write(2) or a MAP_SHARED mapping) shows in
 *    its cgroup's memory.stat shmem, by the written size;
 *  - what the host writes is not charged to the container, even when the
 *    container reads it;
 *  - over its limit (anon memory plus the channel pages it wrote) the
 *    container is OOM-killed, never given ENOSPC, and the host is unharmed:
 *    the channel stays mounted and what was written before the kill is
 *    still there;
 *  - with the seed's advice applied by the engine (--memory-add-channel:
 *    limit = usual limit + channel size) the same workload succeeds;
 *  - a channel smaller than the room left under the limit stops the writer
 *    with ENOSPC at the channel's size, not with an OOM kill.
 *
 * The cgroup is the driver's "cgroup NAME"; its files are read directly
 * through the hct_cg_* readers (v1: memory.stat shmem, memory.oom_control
 * oom_kill, memory.limit_in_bytes; v2: memory.stat shmem, memory.events
 * oom_kill, memory.max). Tolerance: 5% or 1 MiB, the larger; counters are
 * polled for at most STAT_MS (the kernel folds per-CPU statistics lazily).
 *
 *   test                                  --memory  channel  inside                expected
 *   container_write_charged               none      64 MiB   write 32 MiB          shmem +32 MiB
 *   container_mmap_write_charged          none      64 MiB   mmap-write 32 MiB     shmem +32 MiB
 *   host_write_not_charged_to_reader      none      64 MiB   read 32 MiB the host  shmem +0 (< 1 MiB)
 *                                                            wrote
 *   oom_kill_over_limit                   64 MiB    128 MiB  anon 32 + write 48    status 137, oom_kill
 *                                                                                  +1 or more, channel
 *                                                                                  mounted, data kept
 *   memory_add_channel_raises_limit       64 MiB+   128 MiB  -                     limit 192 MiB
 *   no_oom_with_memory_add_channel        64 MiB+   128 MiB  anon 32 + write 48    status 0, oom_kill +0,
 *                                                                                  shmem +48 MiB
 *   enospc_when_channel_smaller_than_room 128 MiB   16 MiB   anon 32 + write 48    exit 1 ENOSPC at 16 MiB,
 *                                                                                  oom_kill +0
 *
 * The workload: a background "hc-probe anon 32 30" holds the application's
 * memory, then the shell execs "hc-probe write" on the channel. The writer
 * raises its own oom_score_adj to 1000 first: the OOM killer ranks tasks by
 * resident memory, tmpfs pages written with write(2) are not resident in
 * anyone, so it would otherwise kill the anon holder and let the writer
 * finish; the contract is about who pays for the pages, not about which
 * task the kernel picks.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kselftest_harness.h"

#include "channel.h"
#include "harness.h"

#define TIMEOUT_S 120
#define STAT_MS	  3000
#define WRITE	  (32 * HCT_MiB)
#define ANON_MIB  32
#define FILL	  (48 * HCT_MiB)
#define FILL_SEED 7

FIXTURE(memcg)
{
	struct hch_box box;
	struct hch_run r;
	struct hct_cg cg;
	char rel[PATH_MAX];
	char hfile[2 * PATH_MAX];
	uint64_t shmem0, oom0;
};

FIXTURE_SETUP(memcg)
{
	char why[512];
	struct hct_cg cg;
	int ret;

	HCT_ALWAYS_TEARDOWN();
	ret = hch_box_init(&self->box, "memcg", why, sizeof(why));
	if (ret == HCT_SKIP)
		SKIP(return, "%s", why);
	ASSERT_EQ(0, ret) TH_LOG("%s", why);
	if (hct_cg_detect(&cg, why, sizeof(why)) < 0)
		SKIP(return, "%s", why);
	snprintf(self->hfile, sizeof(self->hfile), "%s/f", self->box.host);
}

FIXTURE_TEARDOWN(memcg)
{
	HCT_TEARDOWN_BEGIN();
	/* Contract section 3: delete removes the host path it created. */
	EXPECT_EQ(0, hch_box_delete(&self->box));
	EXPECT_EQ(0, hch_box_fini(&self->box));
}

static uint64_t shmem(FIXTURE_DATA(memcg) * self)
{
	uint64_t v = UINT64_MAX;

	hct_cg_shmem(&self->cg, self->rel, &v);
	return v;
}

static uint64_t oom_kills(FIXTURE_DATA(memcg) * self)
{
	uint64_t v = UINT64_MAX;

	hct_cg_oom_kills(&self->cg, self->rel, &v);
	return v;
}

/*
 * Create with a channel of size bytes (and --memory limit when not 0),
 * start, find the cgroup, take the baselines.
 */
static int up(struct __test_metadata *_metadata, FIXTURE_DATA(memcg) * self, uint64_t size,
	      uint64_t limit, bool add_channel)
{
	char spec[2 * PATH_MAX], mem[32], why[512];
	char *argv[10];
	int n = 0, ret;

	snprintf(spec, sizeof(spec), "%s:" HCH_CTR ":rw:%" PRIu64, self->box.host, size);
	snprintf(mem, sizeof(mem), "%" PRIu64, limit);
	argv[n++] = "create";
	argv[n++] = self->box.name;
	argv[n++] = "--host-channel";
	argv[n++] = spec;
	if (limit != 0) {
		argv[n++] = "--memory";
		argv[n++] = mem;
	}
	if (add_channel)
		argv[n++] = "--memory-add-channel";
	argv[n] = NULL;
	if (hch_runv(&self->r, 0, argv) != 0 || hch_run(&self->r, "start", self->box.name, NULL)) {
		TH_LOG("%s", hch_log(&self->r));
		return -1;
	}
	ret = hch_container_cg(self->box.name, &self->cg, self->rel, sizeof(self->rel), why,
			       sizeof(why));
	if (ret < 0) {
		TH_LOG("%s", why);
		return ret;
	}
	if (hct_cg_shmem(&self->cg, self->rel, &self->shmem0) < 0 ||
	    hct_cg_oom_kills(&self->cg, self->rel, &self->oom0) < 0) {
		TH_LOG("reading memory.stat / the OOM counter of %s/%s: %s", self->cg.root,
		       self->rel, strerror(errno));
		return -1;
	}
	TH_LOG("memory cgroup %s: %s/%s, shmem %" PRIu64 ", oom_kill %" PRIu64,
	       hct_cg_version_str(&self->cg), self->cg.root, self->rel, self->shmem0, self->oom0);
	return 0;
}

/* shmem now less the baseline; 0 when it shrank, UINT64_MAX when unreadable. */
static uint64_t shmem_growth(FIXTURE_DATA(memcg) * self)
{
	uint64_t now = shmem(self);

	if (now == UINT64_MAX)
		return now;
	return now > self->shmem0 ? now - self->shmem0 : 0;
}

/* Poll until the cgroup's shmem grew by want (within tolerance); the growth. */
static uint64_t shmem_growth_near(FIXTURE_DATA(memcg) * self, uint64_t want)
{
	uint64_t grew = 0;

	HCT_POLL_UNTIL(STAT_MS, hct_near(grew = shmem_growth(self), want, hct_tolerance(want)));
	return grew;
}

/*
 * ANON_MIB held in the background, then the writer, which the OOM killer
 * picks first. The holder's output goes to the FIFO only: an exec ends when
 * its output pipes close, and the holder outlives the exec.
 */
static int workload(FIXTURE_DATA(memcg) * self)
{
	const char *p = hch_probe_path();

	return hch_sh(&self->r, self->box.name,
		      "mkfifo /tmp/anon-ready || exit 3; "
		      "%s anon %d 30 > /tmp/anon-ready 2>&1 & "
		      "read line < /tmp/anon-ready; "
		      "[ \"$line\" = anon=%d ] || { echo \"anon: '$line'\" >&2; exit 3; }; "
		      "echo 1000 > /proc/$$/oom_score_adj || exit 4; "
		      "exec %s write " HCH_CTR "/f %" PRIu64 " %d",
		      p, ANON_MIB, ANON_MIB, p, (uint64_t)FILL, FILL_SEED);
}

TEST_F_TIMEOUT(memcg, container_write_charged, TIMEOUT_S)
{
	char arg[32];
	uint64_t grew;

	if (_metadata->skip)
		return;
	ASSERT_EQ(0, up(_metadata, self, 64 * HCT_MiB, 0, false));
	snprintf(arg, sizeof(arg), "%" PRIu64, (uint64_t)WRITE);
	ASSERT_EQ(0, hch_probe(&self->r, self->box.name, -1, "write", HCH_CTR "/f", arg, NULL))
	TH_LOG("%s", hch_log(&self->r));
	grew = shmem_growth_near(self, WRITE);
	EXPECT_TRUE(hct_near(grew, WRITE, hct_tolerance(WRITE)))
	TH_LOG("contract section 4: the container wrote %" PRIu64 " bytes, its cgroup's shmem "
	       "grew by %" PRIu64 " (from %" PRIu64 "), want %" PRIu64 " +- %" PRIu64,
	       (uint64_t)WRITE, grew, self->shmem0, (uint64_t)WRITE, hct_tolerance(WRITE));
}

TEST_F_TIMEOUT(memcg, container_mmap_write_charged, TIMEOUT_S)
{
	char arg[32];
	uint64_t grew;

	if (_metadata->skip)
		return;
	ASSERT_EQ(0, up(_metadata, self, 64 * HCT_MiB, 0, false));
	snprintf(arg, sizeof(arg), "%" PRIu64, (uint64_t)WRITE);
	ASSERT_EQ(0, hch_probe(&self->r, self->box.name, -1, "mmap-write", HCH_CTR "/f", arg, NULL))
	TH_LOG("%s", hch_log(&self->r));
	grew = shmem_growth_near(self, WRITE);
	EXPECT_TRUE(hct_near(grew, WRITE, hct_tolerance(WRITE)))
	TH_LOG("contract section 4: the container wrote %" PRIu64 " bytes through a mapping, "
	       "its cgroup's shmem grew by %" PRIu64 " (from %" PRIu64 "), want %" PRIu64
	       " +- %" PRIu64,
	       (uint64_t)WRITE, grew, self->shmem0, (uint64_t)WRITE, hct_tolerance(WRITE));
}

TEST_F_TIMEOUT(memcg, host_write_not_charged_to_reader, TIMEOUT_S)
{
	uint64_t sum = 0, bytes = 0, grew;

	if (_metadata->skip)
		return;
	ASSERT_EQ(0, up(_metadata, self, 64 * HCT_MiB, 0, false));
	ASSERT_EQ(0, hch_write_pattern(self->hfile, WRITE, 3))
	TH_LOG("host writing %s: %s", self->hfile, strerror(errno));
	ASSERT_EQ(0, hch_probe(&self->r, self->box.name, -1, "read", HCH_CTR "/f", NULL))
	TH_LOG("%s", hch_log(&self->r));
	/* The read really went through the host's pages. */
	EXPECT_EQ(0, hch_kv_u64(self->r.o.out, "bytes", 10, &bytes));
	EXPECT_EQ(WRITE, bytes) TH_LOG("%s", hch_log(&self->r));
	EXPECT_EQ(0, hch_kv_u64(self->r.o.out, "sum", 16, &sum));
	EXPECT_EQ(hch_pattern_sum(3, WRITE), sum) TH_LOG("%s", hch_log(&self->r));
	/* Give lazily folded statistics their time: a charge would show by then. */
	HCT_POLL_UNTIL(STAT_MS / 3, shmem_growth(self) >= HCT_MiB);
	grew = shmem_growth(self);
	EXPECT_LT(grew, HCT_MiB)
	TH_LOG("contract section 4: the host wrote %" PRIu64 " bytes, the container read them, "
	       "its shmem grew by %" PRIu64 " from %" PRIu64 ", want less than 1 MiB",
	       (uint64_t)WRITE, grew, self->shmem0);
	EXPECT_EQ(0, unlink(self->hfile));
}

/* What the killed writer left: a prefix of its pattern, readable from the host. */
static void expect_prefix_kept(struct __test_metadata *_metadata, FIXTURE_DATA(memcg) * self)
{
	uint64_t size = 0, bad = 0, sum = 0;
	struct stat st;
	int ret;

	ASSERT_EQ(0, stat(self->hfile, &st))
	TH_LOG("the writer's file on the host: %s", strerror(errno));
	EXPECT_LT(0, st.st_size) TH_LOG("the writer wrote nothing before the kill");
	ret = hch_check_pattern(self->hfile, (uint64_t)st.st_size, FILL_SEED, &size, &bad, &sum);
	EXPECT_EQ(0, ret)
	TH_LOG("contract section 4: what was written before the kill (%lld bytes) differs from "
	       "what the writer wrote at byte %" PRIu64 " (read: %s)",
	       (long long)st.st_size, bad, ret < 0 ? strerror(-ret) : "ok");
}

TEST_F_TIMEOUT(memcg, oom_kill_over_limit, TIMEOUT_S)
{
	const uint64_t limit = 64 * HCT_MiB, size = 128 * HCT_MiB;
	struct hct_mount m;
	uint64_t got = 0, kills;

	if (_metadata->skip)
		return;
	ASSERT_EQ(0, up(_metadata, self, size, limit, false));
	ASSERT_EQ(0, hch_cg_limit(&self->cg, self->rel, &got));
	ASSERT_EQ(limit, got) TH_LOG("--memory %" PRIu64 " set the limit to %" PRIu64, limit, got);

	workload(self);
	EXPECT_EQ(137, self->r.o.status)
	TH_LOG("contract section 4: anon %d MiB + %" PRIu64 " MiB written to the channel under a "
	       "%" PRIu64 " MiB limit: want the writer OOM-killed (137), not ENOSPC; %s",
	       ANON_MIB, FILL >> 20, limit >> 20, hch_log(&self->r));
	kills = oom_kills(self);
	EXPECT_LT(self->oom0, kills)
	TH_LOG("contract section 4: oom_kill %" PRIu64 " -> %" PRIu64 ", want raised", self->oom0,
	       kills);
	/* The host: this process goes on, the channel stays mounted and holds the data. */
	EXPECT_EQ(0, hct_mount_lookup(self->box.host, &m))
	TH_LOG("contract section 3: the channel %s is no longer mounted after the OOM kill",
	       self->box.host);
	EXPECT_STREQ("tmpfs", m.fstype);
	expect_prefix_kept(_metadata, self);
}

TEST_F_TIMEOUT(memcg, memory_add_channel_raises_limit, TIMEOUT_S)
{
	const uint64_t limit = 64 * HCT_MiB, size = 128 * HCT_MiB;
	uint64_t got = 0;

	if (_metadata->skip)
		return;
	ASSERT_EQ(0, up(_metadata, self, size, limit, true));
	ASSERT_EQ(0, hch_cg_limit(&self->cg, self->rel, &got));
	EXPECT_EQ(limit + size, got)
	TH_LOG("contract section 4 (the seed's advice): --memory %" PRIu64
	       " --memory-add-channel with a %" PRIu64 " channel: limit %" PRIu64 ", want %" PRIu64,
	       limit, size, got, limit + size);
}

TEST_F_TIMEOUT(memcg, no_oom_with_memory_add_channel, TIMEOUT_S)
{
	const uint64_t limit = 64 * HCT_MiB, size = 128 * HCT_MiB;
	uint64_t kills, sum = 0, grew;

	if (_metadata->skip)
		return;
	ASSERT_EQ(0, up(_metadata, self, size, limit, true));
	workload(self);
	EXPECT_EQ(0, self->r.o.status)
	TH_LOG("contract section 4: with --memory-add-channel, anon %d MiB + %" PRIu64
	       " MiB written fit; %s",
	       ANON_MIB, FILL >> 20, hch_log(&self->r));
	EXPECT_EQ(0, hch_kv_u64(self->r.o.out, "sum", 16, &sum));
	EXPECT_EQ(hch_pattern_sum(FILL_SEED, FILL), sum) TH_LOG("%s", hch_log(&self->r));
	kills = oom_kills(self);
	EXPECT_EQ(self->oom0, kills)
	TH_LOG("contract section 4: oom_kill %" PRIu64 " -> %" PRIu64 ", want unchanged",
	       self->oom0, kills);
	/* The pages were charged to it nevertheless: the limit, not a leak, made room. */
	grew = shmem_growth_near(self, FILL);
	EXPECT_TRUE(hct_near(grew, FILL, hct_tolerance(FILL)))
	TH_LOG("shmem grew by %" PRIu64 ", want %" PRIu64 " +- %" PRIu64, grew, (uint64_t)FILL,
	       hct_tolerance(FILL));
}

TEST_F_TIMEOUT(memcg, enospc_when_channel_smaller_than_room, TIMEOUT_S)
{
	const uint64_t limit = 128 * HCT_MiB, size = 16 * HCT_MiB;
	uint64_t kills, fsize = 0, bad = 0, sum = 0;
	int ret;

	if (_metadata->skip)
		return;
	ASSERT_EQ(0, up(_metadata, self, size, limit, false));
	workload(self);
	EXPECT_EQ(1, self->r.o.status)
	TH_LOG("contract section 4: %" PRIu64 " MiB written to a %" PRIu64 " MiB channel under "
	       "a %" PRIu64 " MiB limit: want hc-probe's exit 1 (ENOSPC), not 137 (OOM); %s",
	       FILL >> 20, size >> 20, limit >> 20, hch_log(&self->r));
	EXPECT_NE(NULL, strstr(self->r.o.err, "errno=ENOSPC"))
	TH_LOG("contract section 4: want ENOSPC; %s", hch_log(&self->r));
	kills = oom_kills(self);
	EXPECT_EQ(self->oom0, kills)
	TH_LOG("contract section 4: oom_kill %" PRIu64 " -> %" PRIu64 ", want unchanged",
	       self->oom0, kills);
	ret = hch_check_pattern(self->hfile, size, FILL_SEED, &fsize, &bad, &sum);
	EXPECT_EQ(0, ret)
	TH_LOG("contract section 4: the channel holds %" PRIu64 " bytes of the writer's, want "
	       "exactly its size %" PRIu64 " (first difference at %" PRIu64 ")",
	       fsize, size, bad);
}

HCT_HARNESS_MAIN
