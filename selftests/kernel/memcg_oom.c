// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * memcg_oom: the two limits on the channel are enforced apart (contract
 * section 4). The memory cgroup's limit is enforced by the OOM killer, the
 * tmpfs size by ENOSPC; whichever is hit first decides what the writer sees:
 *  - a channel larger than the room left under the container's limit: the
 *    writer is killed (SIGKILL, oom_kill +1 in memory.oom_control (v1) or
 *    memory.events (v2)) and never sees ENOSPC;
 *  - a channel smaller than the room left (the seed's advice: limit = usual
 *    limit + channel size): the writer gets ENOSPC at exactly the channel's
 *    size and goes on living, oom_kill unchanged;
 *  - pages the host wrote do not count against the container, so the
 *    container reads a channel twice its limit without an OOM kill.
 *
 * The writer first touches 8 MiB of its own memory (the application),
 * then writes the channel with 1 MiB writes. Each test mounts its own
 * channel and makes its own leaf (prepare()); the "host" is the test
 * process itself, in none of the test's cgroups. tol: 5% or 1 MiB, the
 * larger.
 *
 *   <memory root>
 *   `-- hostchannel-selftest-<pid>
 *       `-- container          limit below; swap kept out (no-op without swap)
 *
 *   test                        limit    channel  container does         expected
 *   oom_when_channel_exceeds    32 MiB   64 MiB   8 MiB anon, writes 64  SIGKILL, oom_kill +1,
 *     _room                                                              shmem < 24 MiB + tol
 *   enospc_when_channel_fits    64 MiB   32 MiB   8 MiB anon, writes 48  ENOSPC at 32 MiB exactly,
 *     _room (32 usual + 32)                                              exit 0, oom_kill +0
 *   host_pages_do_not_oom       32 MiB   96 MiB   reads 64 MiB the host  exit 0, oom_kill +0,
 *     _reader                                     (outside) wrote        shmem < 1 MiB
 */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
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
#define ANON	  (8 * HCT_MiB)

FIXTURE(memcg_oom)
{
	struct hct_sandbox sb;
	const char *container;
	char file[PATH_MAX];
	uint64_t oom_before;
	struct hct_child_report *r;
};

FIXTURE_SETUP(memcg_oom)
{
	char why[512];
	int ret;

	HCT_ALWAYS_TEARDOWN();
	self->r = hct_report_new();
	ASSERT_NE(NULL, self->r);
	ret = hct_sandbox_init(&self->sb, "memcg-oom", true, why, sizeof(why));
	if (ret == HCT_SKIP)
		SKIP(return, "%s", why);
	ASSERT_EQ(0, ret) TH_LOG("%s", why);
	TH_LOG("memory cgroup %s at %s, OOM kills from %s", hct_cg_version_str(&self->sb.cg),
	       self->sb.cg.root, hct_cg_oom_file(&self->sb.cg));
	hct_sandbox_file(&self->sb, "f", self->file);
}

/* Each test's own channel size and limit; 0, or a message and -errno. */
static int prepare(struct __test_metadata *_metadata, FIXTURE_DATA(memcg_oom) * self,
		   uint64_t limit, uint64_t channel)
{
	char data[64];
	int ret;

	snprintf(data, sizeof(data), "mode=1777,size=%" PRIu64, channel);
	ret = hct_sandbox_mount(&self->sb, MS_NOSUID | MS_NODEV | MS_NOEXEC, data);
	if (ret < 0) {
		TH_LOG("mount tmpfs %s on %s: %s", data, self->sb.dir, strerror(-ret));
		return ret;
	}
	ret = hct_sandbox_leaf(&self->sb, "container", limit, &self->container);
	if (ret < 0) {
		TH_LOG("cgroup container, limit %" PRIu64 ": %s", limit, strerror(-ret));
		return ret;
	}
	ret = hct_cg_no_swap(&self->sb.cg, self->container, limit);
	if (ret < 0) {
		TH_LOG("keeping swap out of %s: %s%s", self->container, strerror(-ret),
		       ret == -ENOENT ? " (v1 without swap accounting: boot with swapaccount=1 "
					"or turn swap off)"
				      : "");
		return ret;
	}
	ret = hct_cg_oom_kills(&self->sb.cg, self->container, &self->oom_before);
	if (ret < 0)
		TH_LOG("reading oom_kill of %s: %s", self->container, strerror(-ret));
	return ret;
}

FIXTURE_TEARDOWN(memcg_oom)
{
	EXPECT_EQ(0, hct_sandbox_fini(&self->sb));
	hct_report_free(self->r);
}

static int run_writer(FIXTURE_DATA(memcg_oom) * self, uint64_t bytes, int *status)
{
	struct hct_fill_arg a = {.path = self->file, .bytes = bytes, .anon = ANON};
	pid_t pid;

	memset(self->r, 0, sizeof(*self->r));
	pid = hct_sandbox_spawn(&self->sb, self->container, hct_child_fill, &a, self->r);
	if (pid < 0)
		return pid;
	return hct_sandbox_wait(&self->sb, pid, status, CHILD_MS);
}

static uint64_t oom_kills(FIXTURE_DATA(memcg_oom) * self)
{
	uint64_t n = UINT64_MAX;

	hct_cg_oom_kills(&self->sb.cg, self->container, &n);
	return n;
}

TEST_F_TIMEOUT(memcg_oom, oom_when_channel_exceeds_room, TIMEOUT_S)
{
	uint64_t kills, shmem = 0;
	char how[64];
	int status;

	const uint64_t limit = 32 * HCT_MiB, channel = 64 * HCT_MiB;

	if (_metadata->skip)
		return;
	ASSERT_EQ(0, prepare(_metadata, self, limit, channel));
	ASSERT_EQ(0, run_writer(self, channel, &status));
	EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
	TH_LOG("writer: %s after %" PRIu64 " bytes (%s); want SIGKILL by the OOM killer",
	       hct_wstatus_str(status, how, sizeof(how)), self->r->bytes, self->r->note);
	EXPECT_NE(ENOSPC, self->r->err) TH_LOG("writer saw ENOSPC: the tmpfs limit came first");
	EXPECT_EQ(1, self->r->stage)
	TH_LOG("writer got to stage %d: it %s", self->r->stage,
	       self->r->stage < 1 ? "never wrote" : "finished writing");
	EXPECT_LT(self->r->bytes, limit)
	TH_LOG("%" PRIu64 " bytes written under a %" PRIu64 " limit", self->r->bytes, limit);
	kills = oom_kills(self);
	EXPECT_EQ(self->oom_before + 1, kills)
	TH_LOG("oom_kill %" PRIu64 " -> %" PRIu64 ", want +1", self->oom_before, kills);
	/* The killed writer's channel pages outlive it, still charged. */
	ASSERT_EQ(0, hct_cg_shmem(&self->sb.cg, self->container, &shmem));
	EXPECT_LE(shmem, limit - ANON + hct_tolerance(limit))
	TH_LOG("shmem %" PRIu64 " after the kill, limit %" PRIu64, shmem, limit);
	EXPECT_GT(shmem, 0) TH_LOG("no shmem charged: the writer's pages went elsewhere");
}

TEST_F_TIMEOUT(memcg_oom, enospc_when_channel_fits_room, TIMEOUT_S)
{
	uint64_t kills;
	char how[64];
	int status;

	/* The seed's advice: the usual 32 MiB plus the channel's size. */
	const uint64_t channel = 32 * HCT_MiB, limit = 32 * HCT_MiB + channel;

	if (_metadata->skip)
		return;
	ASSERT_EQ(0, prepare(_metadata, self, limit, channel));
	/* Ask for more than the channel holds: the tmpfs must stop it. */
	ASSERT_EQ(0, run_writer(self, channel + 16 * HCT_MiB, &status));
	EXPECT_EQ(0, status)
	TH_LOG("writer: %s after %" PRIu64 " bytes; want exit 0",
	       hct_wstatus_str(status, how, sizeof(how)), self->r->bytes);
	EXPECT_EQ(ENOSPC, self->r->err)
	TH_LOG("writer stopped by %s (%s); want ENOSPC", strerror(self->r->err), self->r->note);
	EXPECT_EQ(channel, self->r->bytes)
	TH_LOG("%" PRIu64 " bytes written, want the channel's %" PRIu64, self->r->bytes, channel);
	kills = oom_kills(self);
	EXPECT_EQ(self->oom_before, kills)
	TH_LOG("oom_kill %" PRIu64 " -> %" PRIu64 ", want unchanged", self->oom_before, kills);
}

TEST_F_TIMEOUT(memcg_oom, host_pages_do_not_oom_reader, TIMEOUT_S)
{
	struct hct_child_report host = {0};
	const uint64_t limit = 32 * HCT_MiB, channel = 96 * HCT_MiB, bytes = 2 * limit;
	uint64_t kills, shmem = 0;
	char how[64];
	int status;
	pid_t pid;

	if (_metadata->skip)
		return;
	ASSERT_EQ(0, prepare(_metadata, self, limit, channel));
	/* The host: this process, in none of the test's cgroups. */
	ASSERT_EQ(0, hct_fill_file(self->file, bytes, HCT_MiB, &host))
	TH_LOG("host writing: %s", strerror(host.err));

	memset(self->r, 0, sizeof(*self->r));
	pid = hct_sandbox_spawn(&self->sb, self->container, hct_child_read, self->file, self->r);
	ASSERT_LT(0, pid);
	ASSERT_EQ(0, hct_sandbox_wait(&self->sb, pid, &status, CHILD_MS));
	EXPECT_EQ(0, status)
	TH_LOG("reader: %s after %" PRIu64 " bytes; want exit 0",
	       hct_wstatus_str(status, how, sizeof(how)), self->r->bytes);
	EXPECT_EQ(0, self->r->err) TH_LOG("reader: %s", self->r->note);
	EXPECT_EQ(bytes, self->r->bytes)
	TH_LOG("read %" PRIu64 " of %" PRIu64, self->r->bytes, bytes);
	kills = oom_kills(self);
	EXPECT_EQ(self->oom_before, kills)
	TH_LOG("oom_kill %" PRIu64 " -> %" PRIu64 ", want unchanged", self->oom_before, kills);
	ASSERT_EQ(0, hct_cg_shmem(&self->sb.cg, self->container, &shmem));
	EXPECT_LE(shmem, hct_tolerance(0))
	TH_LOG("reader's shmem %" PRIu64 ": the host's pages moved to the reader", shmem);
	EXPECT_EQ(0, unlink(self->file));
}

HCT_HARNESS_MAIN
