// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * memcg_charge: a tmpfs page is charged to the memory cgroup of the process
 * that first wrote it, and stays there (contract section 4, the seed's
 * memory note): what the container writes into the channel counts against
 * the container; what the host writes does not, even when the container
 * reads it; and the reverse.
 *
 * The tree (v1: under the memory hierarchy, /sys/fs/cgroup/memory on a
 * hybrid host; v2: under the cgroup2 mount, "+memory" in the parent's
 * cgroup.subtree_control). No limits: only charges are measured.
 *
 *   <memory root>
 *   `-- hostchannel-selftest-<pid>      no tasks; removed in teardown
 *       |-- container                    writers/readers of "the container"
 *       `-- host                         writers/readers of "the host"
 *
 *   channel: tmpfs size=256M mode=1777 nosuid,nodev,noexec in the test's
 *   private mount namespace, unmounted before the cgroups are removed.
 *
 *   test                          container does    host does          expected shmem
 *   writer_is_charged             writes 64 MiB     -                  container 64
 *   other_writer_not_charged      writes 64 MiB     writes 32 MiB      container 64, host 32
 *   reader_takes_no_charge        writes 64 MiB     writes 16 MiB,     container 64, host 16
 *                                                   reads the 64 MiB
 *   overwrite_keeps_first_charge  writes 64 MiB     writes 16 MiB,     container 64, host 16
 *                                                   rewrites the 64
 *
 * Every figure is memory.stat "shmem" (v1: this cgroup's own, v2: the
 * cgroup's), within 5% or 1 MiB whichever is larger, polled for up to 5 s:
 * the kernel folds per-CPU statistics into memory.stat lazily. A charge
 * that did NOT happen cannot be polled for; so each "unchanged" figure is
 * read after the same cgroup's positive figure (the host's own file) has
 * shown up, which proves its statistics were current.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"

#include "harness.h"
#include "hctest.h"

#define POLL_MS 5000
/* Past the harness default of 30 s: a test killed there skips its teardown. */
#define TIMEOUT_S 120
#define CHILD_MS  20000

FIXTURE(memcg_charge)
{
	struct hct_sandbox sb;
	const char *container, *host;
	char cfile[PATH_MAX], hfile[PATH_MAX];
	struct hct_child_report *r;
};

FIXTURE_SETUP(memcg_charge)
{
	char why[512];
	int ret;

	HCT_ALWAYS_TEARDOWN();
	self->r = hct_report_new();
	ASSERT_NE(NULL, self->r);
	ret = hct_sandbox_init(&self->sb, "memcg-charge", true, why, sizeof(why));
	if (ret == HCT_SKIP)
		SKIP(return, "%s", why);
	ASSERT_EQ(0, ret) TH_LOG("%s", why);
	TH_LOG("memory cgroup %s at %s", hct_cg_version_str(&self->sb.cg), self->sb.cg.root);
	ret = hct_sandbox_mount(&self->sb, MS_NOSUID | MS_NODEV | MS_NOEXEC,
				"mode=1777,size=268435456");
	ASSERT_EQ(0, ret) TH_LOG("mount tmpfs on %s: %s", self->sb.dir, strerror(-ret));
	ret = hct_sandbox_leaf(&self->sb, "container", 0, &self->container);
	ASSERT_EQ(0, ret) TH_LOG("cgroup container: %s", strerror(-ret));
	ret = hct_sandbox_leaf(&self->sb, "host", 0, &self->host);
	ASSERT_EQ(0, ret) TH_LOG("cgroup host: %s", strerror(-ret));
	hct_sandbox_file(&self->sb, "from-container", self->cfile);
	hct_sandbox_file(&self->sb, "from-host", self->hfile);
}

FIXTURE_TEARDOWN(memcg_charge)
{
	EXPECT_EQ(0, hct_sandbox_fini(&self->sb));
	hct_report_free(self->r);
}

/* Run fn in cgroup rel to its end; 0 when it exited 0 with no error to report. */
static int run_in(struct __test_metadata *_metadata, FIXTURE_DATA(memcg_charge) * self,
		  const char *rel, int (*fn)(void *, struct hct_child_report *), void *arg)
{
	char how[64];
	int status;
	pid_t pid;

	memset(self->r, 0, sizeof(*self->r));
	pid = hct_sandbox_spawn(&self->sb, rel, fn, arg, self->r);
	if (pid < 0)
		return pid;
	if (hct_sandbox_wait(&self->sb, pid, &status, CHILD_MS) < 0) {
		TH_LOG("child in %s: no end after %d ms, killed", rel, CHILD_MS);
		return -ETIMEDOUT;
	}
	if (status != 0 || self->r->err) {
		TH_LOG("child in %s: %s, error %s: %s", rel,
		       hct_wstatus_str(status, how, sizeof(how)), strerror(self->r->err),
		       self->r->note);
		return -ECHILD;
	}
	return 0;
}

static int write_in(struct __test_metadata *_metadata, FIXTURE_DATA(memcg_charge) * self,
		    const char *rel, const char *path, uint64_t bytes)
{
	struct hct_fill_arg a = {.path = path, .bytes = bytes};
	int ret = run_in(_metadata, self, rel, hct_child_fill, &a);

	if (ret == 0 && self->r->bytes != bytes) {
		TH_LOG("child in %s wrote %" PRIu64 " bytes, want %" PRIu64, rel, self->r->bytes,
		       bytes);
		return -EIO;
	}
	return ret;
}

/* Poll rel's shmem until it is want within tolerance; *got is the last read. */
static bool shmem_settles(FIXTURE_DATA(memcg_charge) * self, const char *rel, uint64_t want,
			  uint64_t *got)
{
	return HCT_POLL_UNTIL(POLL_MS, hct_cg_shmem(&self->sb.cg, rel, got) == 0 &&
					       hct_near(*got, want, hct_tolerance(want)));
}

#define MiB_F(x) ((double)(x) / HCT_MiB)

#define EXPECT_SHMEM(rel, want)                                                                    \
	do {                                                                                       \
		uint64_t __got = 0;                                                                \
		EXPECT_TRUE(shmem_settles(self, rel, want, &__got))                                \
		TH_LOG("%s/memory.stat shmem %" PRIu64 " (%.2f MiB), want %.2f MiB +- %.2f MiB",   \
		       rel, __got, MiB_F(__got), MiB_F(want), MiB_F(hct_tolerance(want)));         \
	} while (0)

TEST_F_TIMEOUT(memcg_charge, writer_is_charged, TIMEOUT_S)
{
	uint64_t shmem = 0, usage = 0;

	if (_metadata->skip)
		return;
	ASSERT_EQ(0, write_in(_metadata, self, self->container, self->cfile, 64 * HCT_MiB));
	EXPECT_SHMEM(self->container, 64 * HCT_MiB);
	/* shmem is part of what the limit is checked against: usage holds it. */
	ASSERT_EQ(0, hct_cg_shmem(&self->sb.cg, self->container, &shmem));
	ASSERT_EQ(0, hct_cg_usage(&self->sb.cg, self->container, &usage));
	EXPECT_LE(shmem, usage + hct_tolerance(shmem))
	TH_LOG("usage %" PRIu64 " < shmem %" PRIu64 ": tmpfs pages outside the usage", usage,
	       shmem);
}

TEST_F_TIMEOUT(memcg_charge, other_writer_not_charged, TIMEOUT_S)
{
	if (_metadata->skip)
		return;
	ASSERT_EQ(0, write_in(_metadata, self, self->container, self->cfile, 64 * HCT_MiB));
	EXPECT_SHMEM(self->container, 64 * HCT_MiB);
	ASSERT_EQ(0, write_in(_metadata, self, self->host, self->hfile, 32 * HCT_MiB));
	EXPECT_SHMEM(self->host, 32 * HCT_MiB);
	EXPECT_SHMEM(self->container, 64 * HCT_MiB);
}

TEST_F_TIMEOUT(memcg_charge, reader_takes_no_charge, TIMEOUT_S)
{
	if (_metadata->skip)
		return;
	ASSERT_EQ(0, write_in(_metadata, self, self->container, self->cfile, 64 * HCT_MiB));
	ASSERT_EQ(0, write_in(_metadata, self, self->host, self->hfile, 16 * HCT_MiB));
	ASSERT_EQ(0, run_in(_metadata, self, self->host, hct_child_read, self->cfile));
	EXPECT_EQ(64 * HCT_MiB, self->r->bytes) TH_LOG("read %" PRIu64 " bytes", self->r->bytes);
	EXPECT_SHMEM(self->host, 16 * HCT_MiB);
	EXPECT_SHMEM(self->container, 64 * HCT_MiB);
}

/* Rewrite the file in place from offset 0: every page exists already. */
static int overwrite_main(void *arg, struct hct_child_report *r)
{
	char buf[65536];
	ssize_t n;
	int fd = open(arg, O_WRONLY);

	if (fd < 0) {
		r->err = errno;
		return 0;
	}
	memset(buf, 0x33, sizeof(buf));
	while (r->bytes < 64 * HCT_MiB) {
		n = pwrite(fd, buf, sizeof(buf), r->bytes);
		if (n <= 0) {
			r->err = n < 0 ? errno : EIO;
			break;
		}
		r->bytes += n;
	}
	close(fd);
	return 0;
}

TEST_F_TIMEOUT(memcg_charge, overwrite_keeps_first_charge, TIMEOUT_S)
{
	if (_metadata->skip)
		return;
	ASSERT_EQ(0, write_in(_metadata, self, self->container, self->cfile, 64 * HCT_MiB));
	ASSERT_EQ(0, write_in(_metadata, self, self->host, self->hfile, 16 * HCT_MiB));
	ASSERT_EQ(0, run_in(_metadata, self, self->host, overwrite_main, self->cfile));
	EXPECT_EQ(64 * HCT_MiB, self->r->bytes) TH_LOG("rewrote %" PRIu64 " bytes", self->r->bytes);
	EXPECT_SHMEM(self->host, 16 * HCT_MiB);
	EXPECT_SHMEM(self->container, 64 * HCT_MiB);
}

HCT_HARNESS_MAIN
