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
 *    with ENOSPC at the channel's size, not with an OOM kill;
 *  - every process of the container pays, and the cgroup the engine
 *    reports is the one they are in: the init, the processes it forks and
 *    every exec'd process are in the reported memory cgroup; pages written
 *    by the init's own process tree, with nothing exec'd, raise its shmem
 *    and OOM-kill at its limit, as the exec'd writers above do.
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
 *   init_in_reported_cgroup               none      64 MiB   -                     the init and every process
 *                                                                                  of its pid namespace in it
 *   exec_in_reported_cgroup               none      64 MiB   an exec'd sh waits    it and every process of
 *                                                                                  the namespace in it
 *   init_write_charged                    none      64 MiB   the init writes 32    shmem +32 MiB
 *   init_oom_kill_over_limit              64 MiB    128 MiB  the init writes 96    oom_kill +1 or more, the
 *                                                                                  writer never finishes
 *
 * Which process is in which cgroup is read from the kernel, not from the
 * engine: /proc/PID/cgroup of each process, its memory line (v1: the line
 * whose controllers include memory; v2: the "0::" line), against "/" plus
 * the reported directory below the hierarchy's root. Both are paths as the
 * test process sees them (relative to its own cgroup namespace, the same
 * one its cgroup mount is read in), so an engine's cgroup namespace cannot
 * blur them: a process's own /proc/self/cgroup, read inside the
 * container, is relative to the container's cgroup namespace when it has
 * one ("/" for the namespace's root), not to the host's. An exec'd
 * process knows only its pid in the container's pid namespace ($$): the
 * host finds its host pid as the process whose NSpid (/proc/PID/status)
 * ends in that number and whose /proc/PID/ns/pid is the init's namespace.
 * The processes "of the container" are those of the init's pid namespace;
 * an engine that runs the container in the host's pid namespace gets only
 * the init and the exec'd process checked.
 *
 * The init's writer is a child the init forks once the host creates a
 * "go" file in the channel, so the baselines are taken before it writes
 * and nothing is exec'd while it does; it inherits the init's cgroup, as
 * everything the init starts does. Its output lands in the channel, where
 * the host reads it. After an OOM kill the cgroup stays at its limit (the
 * tmpfs pages cannot be reclaimed without swap), so anything the init does
 * next may be killed too: the test waits for the kernel's oom_kill count,
 * not for a status the init writes. Exec'd writers are the other tests':
 * container_write_charged and oom_kill_over_limit.
 *
 * The workload: a background "hc-probe anon 32 30" holds the application's
 * memory, then the shell execs "hc-probe write" on the channel. The writer
 * raises its own oom_score_adj to 1000 first: the OOM killer ranks tasks by
 * resident memory, tmpfs pages written with write(2) are not resident in
 * anyone, so it would otherwise kill the anon holder and let the writer
 * finish; the contract is about who pays for the pages, not about which
 * task the kernel picks.
 */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
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
#define INIT_FILL (96 * HCT_MiB)
#define WAIT_MS	  60000
#define MAX_PROCS 64

FIXTURE(memcg)
{
	struct hch_box box;
	struct hch_run r;
	struct hch_bg bg;
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
	/* A driver call still waiting on the container ends here, before the delete. */
	hch_bg_fini(&self->bg);
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
 * Create with a channel of size bytes (and --memory limit when not 0, and
 * init as the container's command, run by /bin/sh -c, when not NULL),
 * start, find the cgroup, take the baselines.
 */
static int up(struct __test_metadata *_metadata, FIXTURE_DATA(memcg) * self, uint64_t size,
	      uint64_t limit, bool add_channel, const char *init)
{
	char spec[2 * PATH_MAX], mem[32], why[512];
	char *argv[14];
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
	if (init != NULL) {
		argv[n++] = "--";
		argv[n++] = "/bin/sh";
		argv[n++] = "-c";
		argv[n++] = (char *)init;
	}
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
	ASSERT_EQ(0, up(_metadata, self, 64 * HCT_MiB, 0, false, NULL));
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
	ASSERT_EQ(0, up(_metadata, self, 64 * HCT_MiB, 0, false, NULL));
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
	ASSERT_EQ(0, up(_metadata, self, 64 * HCT_MiB, 0, false, NULL));
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
	ASSERT_EQ(0, up(_metadata, self, size, limit, false, NULL));
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
	ASSERT_EQ(0, up(_metadata, self, size, limit, true, NULL));
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
	ASSERT_EQ(0, up(_metadata, self, size, limit, true, NULL));
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
	ASSERT_EQ(0, up(_metadata, self, size, limit, false, NULL));
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

/* ------------------------------------------ every process of the container */

/*
 * On v2, the cgroup whose memory controller a process in path pays into:
 * path itself when its cgroup.controllers lists memory, else the nearest
 * ancestor that does (a child whose parent does not enable memory in its
 * subtree_control is charged to that parent; LXC's exec leaf ".lxc" is
 * one). path is cut in place; "/" is the root's.
 */
static void v2_memory_owner(const struct hct_cg *cg, char *path)
{
	char file[PATH_MAX * 2], buf[512];
	char *slash, *save;

	while (strcmp(path, "/") != 0) {
		if (snprintf(file, sizeof(file), "%s%s/cgroup.controllers", cg->root, path) >=
			    (int)sizeof(file) ||
		    hct_read_file(file, buf, sizeof(buf)) < 0)
			return; /* too long, gone, unreadable: as the kernel said */
		save = NULL;
		for (char *w = strtok_r(buf, " \n", &save); w != NULL;
		     w = strtok_r(NULL, " \n", &save))
			if (strcmp(w, "memory") == 0)
				return;
		slash = strrchr(path, '/');
		if (slash == path)
			slash[1] = '\0';
		else
			*slash = '\0';
	}
}

/*
 * The memory cgroup of pid as /proc/PID/cgroup gives it, relative to this
 * process's cgroup namespace ("/hcrun/NAME"): v1 the line whose controller
 * list holds "memory", v2 the "0::" line, taken up to the cgroup whose
 * memory controller it is (v2_memory_owner). -ENOENT when no line matches.
 */
static int memcg_of(const struct hct_cg *cg, pid_t pid, char *path, size_t len)
{
	char file[64], buf[8192], *line, *save = NULL;
	ssize_t n;

	snprintf(file, sizeof(file), "/proc/%d/cgroup", (int)pid);
	n = hct_read_file(file, buf, sizeof(buf));
	if (n < 0)
		return (int)n;
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *ctrls = strchr(line, ':'), *where, *tok, *tsave = NULL;
		bool memory = false;

		if (ctrls == NULL || (where = strchr(++ctrls, ':')) == NULL)
			continue;
		*where++ = '\0';
		if (cg->version == HCT_CG_V2) {
			memory = strcmp(line, "0:") == 0 && ctrls[0] == '\0';
		} else {
			for (tok = strtok_r(ctrls, ",", &tsave); tok && !memory;
			     tok = strtok_r(NULL, ",", &tsave))
				memory = strcmp(tok, "memory") == 0;
		}
		if (memory) {
			if (snprintf(path, len, "%s", where) >= (int)len)
				return -ENAMETOOLONG;
			if (cg->version == HCT_CG_V2)
				v2_memory_owner(cg, path);
			return 0;
		}
	}
	return -ENOENT;
}

/* The pid namespace pid is in, as the inode of /proc/PID/ns/pid. */
static int pidns_of(pid_t pid, struct stat *st)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d/ns/pid", (int)pid);
	return stat(path, st) < 0 ? -errno : 0;
}

/* pid's number in its own pid namespace: the last field of NSpid in /proc/PID/status. */
static int nspid_of(pid_t pid, pid_t *nspid)
{
	char path[64], buf[8192], *p, *end;
	long last = -1;
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	n = hct_read_file(path, buf, sizeof(buf));
	if (n < 0)
		return (int)n;
	p = strstr(buf, "\nNSpid:");
	if (p == NULL)
		return -ENOENT;
	p += strlen("\nNSpid:");
	for (;;) {
		long v = strtol(p, &end, 10);

		if (end == p)
			break;
		last = v;
		p = end;
	}
	if (last <= 0)
		return -EBADMSG;
	*nspid = (pid_t)last;
	return 0;
}

struct ns_proc {
	pid_t pid;   /* as this process sees it */
	pid_t nspid; /* in the container's pid namespace */
};

/*
 * The processes in the pid namespace of init (at most max): how many, or
 * -errno. 0 with *own set when that namespace is this process's own: the
 * engine made none, and "the container's processes" cannot be told apart.
 */
static int ns_procs(pid_t init, struct ns_proc *procs, int max, bool *own)
{
	struct stat want, st;
	struct dirent *de;
	int n = 0, ret;
	DIR *d;

	ret = pidns_of(init, &want);
	if (ret < 0)
		return ret;
	*own = pidns_of(getpid(), &st) == 0 && st.st_dev == want.st_dev && st.st_ino == want.st_ino;
	if (*own)
		return 0;
	d = opendir("/proc");
	if (d == NULL)
		return -errno;
	while ((de = readdir(d)) != NULL && n < max) {
		char *end;
		long pid = strtol(de->d_name, &end, 10);

		if (*end != '\0' || pid <= 0)
			continue;
		/* A process gone since readdir is no longer the container's. */
		if (pidns_of((pid_t)pid, &st) < 0 || st.st_dev != want.st_dev ||
		    st.st_ino != want.st_ino)
			continue;
		procs[n].pid = (pid_t)pid;
		if (nspid_of((pid_t)pid, &procs[n].nspid) < 0)
			continue;
		n++;
	}
	closedir(d);
	return n;
}

/*
 * Is pid exiting or gone: no such process, a zombie its parent has not
 * reaped yet, or PF_EXITING in the flags of its stat (field 9)? cgroup v1
 * shows the memory cgroup of such a task as the root, from the start of
 * its exit.
 */
static bool exited(pid_t pid)
{
	char file[64], buf[512], state = '\0', *p;
	unsigned long flags = 0;
	ssize_t n;

	snprintf(file, sizeof(file), "/proc/%d/stat", (int)pid);
	n = hct_read_file(file, buf, sizeof(buf));
	if (n < 0)
		return n == -ENOENT || n == -ESRCH;
	p = strrchr(buf, ')');
	if (p == NULL || sscanf(p + 1, " %c %*d %*d %*d %*d %*d %lu", &state, &flags) != 2)
		return false;
	return state == 'Z' || state == 'X' || (flags & 0x4 /* PF_EXITING */) != 0;
}

/*
 * pid is in the reported cgroup; both paths logged when not. A process
 * that may_vanish (a short-lived child) and is gone, or has exited by the
 * time its cgroup is compared, passes: it holds nothing.
 */
static void in_reported_cgroup(struct __test_metadata *_metadata, FIXTURE_DATA(memcg) * self,
			       pid_t pid, const char *what, bool may_vanish)
{
	char want[PATH_MAX + 1], got[PATH_MAX], comm[64] = "", file[64];
	int ret;

	snprintf(want, sizeof(want), "/%s", self->rel);
	ret = memcg_of(&self->cg, pid, got, sizeof(got));
	if (may_vanish && (ret == -ENOENT || ret == -ESRCH))
		return;
	snprintf(file, sizeof(file), "/proc/%d/comm", (int)pid);
	if (hct_read_file(file, comm, sizeof(comm)) > 0)
		comm[strcspn(comm, "\n")] = '\0';
	EXPECT_EQ(0, ret)
	TH_LOG("reading /proc/%d/cgroup (%s, %s): %s", (int)pid, what, comm, strerror(-ret));
	if (ret < 0)
		return;
	if (may_vanish && strcmp(want, got) != 0 && exited(pid))
		return;
	EXPECT_STREQ(want, got)
	TH_LOG("contract section 4.1: %s (host pid %d, %s) is in the memory cgroup %s "
	       "(/proc/%d/cgroup), but %s cgroup %s reports %s",
	       what, (int)pid, comm, got, (int)pid, hct_engine_name(), self->box.name, want);
}

/*
 * The init, then every other process of its pid namespace, is in the
 * reported cgroup. The process numbered nspid there (0: none looked for)
 * is named "the exec'd process" and its host pid goes into *pid.
 */
static void all_in_reported_cgroup(struct __test_metadata *_metadata, FIXTURE_DATA(memcg) * self,
				   pid_t init, pid_t nspid, pid_t *pid)
{
	struct ns_proc procs[MAX_PROCS];
	bool own = false;
	int n, i;

	in_reported_cgroup(_metadata, self, init, "the container's init", false);
	n = ns_procs(init, procs, MAX_PROCS, &own);
	ASSERT_LE(0, n)
	TH_LOG("listing the processes of %d's pid namespace: %s", (int)init, strerror(-n));
	if (own) {
		TH_LOG("the container shares this process's pid namespace: only the init and the "
		       "process the test started are checked");
		if (nspid > 0) {
			in_reported_cgroup(_metadata, self, nspid, "the exec'd process", false);
			*pid = nspid;
		}
		return;
	}
	ASSERT_LT(0, n) TH_LOG("no process in the pid namespace of the init %d", (int)init);
	for (i = 0; i < n; i++) {
		bool exec = nspid > 0 && procs[i].nspid == nspid;
		char what[64];

		if (procs[i].pid == init)
			continue;
		if (exec) {
			snprintf(what, sizeof(what), "the exec'd process");
			*pid = procs[i].pid;
		} else {
			snprintf(what, sizeof(what), "pid %d of the container",
				 (int)procs[i].nspid);
		}
		in_reported_cgroup(_metadata, self, procs[i].pid, what, !exec);
	}
	TH_LOG("%d processes in the container's pid namespace, each checked", n);
}

TEST_F_TIMEOUT(memcg, init_in_reported_cgroup, TIMEOUT_S)
{
	pid_t init;

	if (_metadata->skip)
		return;
	ASSERT_EQ(0, up(_metadata, self, 64 * HCT_MiB, 0, false, NULL));
	init = hct_engine_pid(self->box.name);
	ASSERT_LT(0, init)
	TH_LOG("%s pid %s: %s", hct_engine_name(), self->box.name, strerror(-init));
	all_in_reported_cgroup(_metadata, self, init, 0, NULL);
}

/* Poll (bounded) for the first line of a file the container writes in the channel. */
static int read_channel_line(FIXTURE_DATA(memcg) * self, const char *name, char *buf, size_t len)
{
	char path[2 * PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", self->box.host, name);
	buf[0] = '\0';
	if (!HCT_POLL_UNTIL(WAIT_MS / 6, hct_read_file(path, buf, len) > 0 && strchr(buf, '\n')))
		return -ETIMEDOUT;
	buf[strcspn(buf, "\n")] = '\0';
	return 0;
}

/* An empty file in the channel, made by the host: the container's signal to go on. */
static int channel_signal(FIXTURE_DATA(memcg) * self, const char *name)
{
	char path[2 * PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", self->box.host, name);
	return hch_write_new(path, "", 0);
}

TEST_F_TIMEOUT(memcg, exec_in_reported_cgroup, TIMEOUT_S)
{
	/* Written then renamed: the host never reads half a number. */
	char *const argv[] = {"exec",
			      self->box.name,
			      "--",
			      "/bin/sh",
			      "-c",
			      "echo $$ > " HCH_CTR "/exec.tmp && mv " HCH_CTR "/exec.tmp " HCH_CTR
			      "/exec.pid && while [ ! -e " HCH_CTR "/exec.go ]; do sleep 0.1; done",
			      NULL};
	char line[64], *end;
	pid_t init, nspid, pid = 0;
	int ret;

	if (_metadata->skip)
		return;
	ASSERT_EQ(0, up(_metadata, self, 64 * HCT_MiB, 0, false, NULL));
	init = hct_engine_pid(self->box.name);
	ASSERT_LT(0, init)
	TH_LOG("%s pid %s: %s", hct_engine_name(), self->box.name, strerror(-init));
	ASSERT_EQ(0, hch_bg_start(&self->bg, argv));
	ret = read_channel_line(self, "exec.pid", line, sizeof(line));
	if (ret < 0) {
		hch_bg_wait(&self->bg, 1);
		ASSERT_EQ(0, ret)
		TH_LOG("the exec'd shell never wrote its pid; %s", hch_log(self->bg.r));
	}
	nspid = (pid_t)strtol(line, &end, 10);
	ASSERT_TRUE(end != line && *end == '\0' && nspid > 0)
	TH_LOG("the exec'd shell wrote \"%s\" as its pid", line);
	all_in_reported_cgroup(_metadata, self, init, nspid, &pid);
	/* Not found: it runs in some other pid namespace, so not in the container. */
	EXPECT_LT(0, pid)
	TH_LOG("no process numbered %d in the container's pid namespace: the "
	       "exec'd shell is not in it",
	       (int)nspid);
	ASSERT_EQ(0, channel_signal(self, "exec.go"));
	ret = hch_bg_wait(&self->bg, WAIT_MS / 6);
	EXPECT_EQ(0, ret) TH_LOG("%s", hch_log(self->bg.r));
}

/*
 * The init: wait for the host's "go", then fork the writer (oom_score_adj
 * 1000: the one the OOM killer takes, as in workload()), its output into
 * the channel; then idle until stopped.
 */
static int init_writer_up(struct __test_metadata *_metadata, FIXTURE_DATA(memcg) * self,
			  uint64_t size, uint64_t limit, uint64_t bytes)
{
	char init[1024];

	snprintf(init, sizeof(init),
		 "trap 'exit 0' TERM; "
		 "while [ ! -e " HCH_CTR "/go ]; do sleep 0.1; done; "
		 "(echo 1000 > /proc/self/oom_score_adj && "
		 "exec %s write " HCH_CTR "/f %" PRIu64 " %d) > " HCH_CTR "/init.out 2>&1; "
		 "sleep 1000000 & wait",
		 hch_probe_path(), bytes, FILL_SEED);
	return up(_metadata, self, size, limit, false, init);
}

/* The writer's result line, once it is there (bounded): 0, or -ETIMEDOUT. */
static int init_writer_done(FIXTURE_DATA(memcg) * self, char *out, size_t len)
{
	char path[2 * PATH_MAX];

	snprintf(path, sizeof(path), "%s/init.out", self->box.host);
	out[0] = '\0';
	return HCT_POLL_UNTIL(WAIT_MS, hct_read_file(path, out, len) > 0 && strchr(out, '\n'))
		       ? 0
		       : -ETIMEDOUT;
}

TEST_F_TIMEOUT(memcg, init_write_charged, TIMEOUT_S)
{
	uint64_t grew, sum = 0, bytes = 0;
	char out[512];

	if (_metadata->skip)
		return;
	ASSERT_EQ(0, init_writer_up(_metadata, self, 64 * HCT_MiB, 0, WRITE));
	ASSERT_EQ(0, channel_signal(self, "go"));
	ASSERT_EQ(0, init_writer_done(self, out, sizeof(out)))
	TH_LOG("the init's writer said nothing in %d s: \"%s\"", WAIT_MS / 1000, out);
	ASSERT_EQ(0, hch_kv_u64(out, "bytes", 10, &bytes)) TH_LOG("the init's writer: %s", out);
	EXPECT_EQ(WRITE, bytes) TH_LOG("the init's writer: %s", out);
	EXPECT_EQ(0, hch_kv_u64(out, "sum", 16, &sum));
	EXPECT_EQ(hch_pattern_sum(FILL_SEED, WRITE), sum) TH_LOG("the init's writer: %s", out);
	grew = shmem_growth_near(self, WRITE);
	EXPECT_TRUE(hct_near(grew, WRITE, hct_tolerance(WRITE)))
	TH_LOG("contract section 4.1: the container's init wrote %" PRIu64 " bytes, nothing "
	       "exec'd; its cgroup's shmem grew by %" PRIu64 " (from %" PRIu64 "), want %" PRIu64
	       " +- %" PRIu64,
	       (uint64_t)WRITE, grew, self->shmem0, (uint64_t)WRITE, hct_tolerance(WRITE));
}

TEST_F_TIMEOUT(memcg, init_oom_kill_over_limit, TIMEOUT_S)
{
	const uint64_t limit = 64 * HCT_MiB, size = 128 * HCT_MiB;
	char path[2 * PATH_MAX], out[512] = "";
	uint64_t got = 0, kills = 0;
	bool killed;

	if (_metadata->skip)
		return;
	ASSERT_EQ(0, init_writer_up(_metadata, self, size, limit, INIT_FILL));
	ASSERT_EQ(0, hch_cg_limit(&self->cg, self->rel, &got));
	ASSERT_EQ(limit, got) TH_LOG("--memory %" PRIu64 " set the limit to %" PRIu64, limit, got);
	ASSERT_EQ(0, channel_signal(self, "go"));
	/* Until the kernel counts a kill, or the writer is done (a writer that paid nothing). */
	snprintf(path, sizeof(path), "%s/init.out", self->box.host);
	killed = HCT_POLL_UNTIL(
		WAIT_MS, (kills = oom_kills(self)) > self->oom0 ||
				 (hct_read_file(path, out, sizeof(out)) > 0 && strchr(out, '\n')));
	out[strcspn(out, "\n")] = '\0';
	EXPECT_LT(self->oom0, kills)
	TH_LOG("contract section 4.2: the init wrote %" PRIu64 " MiB into a %" PRIu64
	       " MiB channel under a %" PRIu64 " MiB limit; %s oom_kill %" PRIu64 " -> %" PRIu64
	       " (%s), want raised; the writer said \"%s\"",
	       INIT_FILL >> 20, size >> 20, limit >> 20, hct_cg_oom_file(&self->cg), self->oom0,
	       kills, killed ? "polled until it moved" : "unchanged after the whole wait", out);
	/* A killed writer prints no result line: it must not have finished. */
	out[0] = '\0';
	hct_read_file(path, out, sizeof(out));
	out[strcspn(out, "\n")] = '\0';
	EXPECT_EQ(NULL, strstr(out, "bytes="))
	TH_LOG("contract section 4.2: the init's writer finished %" PRIu64 " MiB under a %" PRIu64
	       " MiB limit: \"%s\"",
	       INIT_FILL >> 20, limit >> 20, out);
}

HCT_HARNESS_MAIN
