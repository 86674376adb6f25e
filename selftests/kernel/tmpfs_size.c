// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * tmpfs_size: the channel's size is enforced by tmpfs itself, as ENOSPC at
 * exactly size= rounded up to whole pages (contract section 4), for sizes
 * from one page to 1 GiB.
 *
 * For each size, a tmpfs mounted as an engine mounts the channel
 * (nosuid,nodev,noexec, "mode=1777,size=<bytes>") in a private mount
 * namespace:
 *  - statfs: f_type is TMPFS_MAGIC, f_blocks * f_bsize is the rounded size;
 *  - one file filled with 1 MiB writes holds exactly the rounded size, the
 *    write past it fails with ENOSPC (not EFBIG, not a short count forever),
 *    and statfs then shows no free block;
 *  - unlinking the file gives every block back at once (the 1 GiB case frees
 *    its memory before teardown).
 * And the seed's own example: a 32 MiB channel, dd bs=1024 count=64K, takes
 * 32768 records and refuses the 32769th with ENOSPC.
 *
 * 5000 bytes is the one size that is not a page multiple: it must round up
 * to 8192 (two pages), neither down to 4096 nor to exactly 5000.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/magic.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "kselftest_harness.h"

#include "harness.h"
#include "hctest.h"

#define CHANNEL_FLAGS (MS_NOSUID | MS_NODEV | MS_NOEXEC)

static int mount_channel(struct hct_sandbox *sb, uint64_t size)
{
	char data[64];

	snprintf(data, sizeof(data), "mode=1777,size=%" PRIu64, size);
	return hct_sandbox_mount(sb, CHANNEL_FLAGS, data);
}

FIXTURE(tmpfs_size)
{
	struct hct_sandbox sb;
};

FIXTURE_VARIANT(tmpfs_size)
{
	uint64_t size; /* what the engine passes as size= */
	uint64_t want; /* what the kernel must give: size in whole pages */
};

/* want is spelled out, not computed: the rounding is what is under test. */
FIXTURE_VARIANT_ADD(tmpfs_size, 4k){.size = 4096, .want = 4096};
FIXTURE_VARIANT_ADD(tmpfs_size, 5000b){.size = 5000, .want = 8192};
FIXTURE_VARIANT_ADD(tmpfs_size, 1m){.size = HCT_MiB, .want = HCT_MiB};
FIXTURE_VARIANT_ADD(tmpfs_size, 32m){.size = 32 * HCT_MiB, .want = 32 * HCT_MiB};
FIXTURE_VARIANT_ADD(tmpfs_size, 256m){.size = 256 * HCT_MiB, .want = 256 * HCT_MiB};
FIXTURE_VARIANT_ADD(tmpfs_size, 1g){.size = HCT_GiB, .want = HCT_GiB};

FIXTURE_SETUP(tmpfs_size)
{
	char why[512];
	int ret;

	HCT_ALWAYS_TEARDOWN();
	if (hct_page_size() != 4096)
		SKIP(return, "the expected sizes assume 4 KiB pages; this kernel has %" PRIu64,
			   hct_page_size());
	ret = hct_sandbox_init(&self->sb, "tmpfs-size", false, why, sizeof(why));
	if (ret == HCT_SKIP)
		SKIP(return, "%s", why);
	ASSERT_EQ(0, ret) TH_LOG("%s", why);
	ret = mount_channel(&self->sb, variant->size);
	ASSERT_EQ(0, ret)
	TH_LOG("mount tmpfs size=%" PRIu64 " on %s: %s", variant->size, self->sb.dir,
	       strerror(-ret));
}

FIXTURE_TEARDOWN(tmpfs_size)
{
	EXPECT_EQ(0, hct_sandbox_fini(&self->sb));
}

TEST_F(tmpfs_size, statfs_reports_rounded_size)
{
	struct statfs sfs;
	uint64_t bytes;

	if (_metadata->skip)
		return;
	ASSERT_EQ(0, statfs(self->sb.dir, &sfs)) TH_LOG("statfs: %s", strerror(errno));
	EXPECT_EQ(TMPFS_MAGIC, sfs.f_type)
	TH_LOG("f_type 0x%lx, want TMPFS_MAGIC 0x%x", (unsigned long)sfs.f_type, TMPFS_MAGIC);
	bytes = (uint64_t)sfs.f_blocks * sfs.f_bsize;
	EXPECT_EQ(variant->want, bytes)
	TH_LOG("size=%" PRIu64 ": f_blocks %" PRIu64 " * f_bsize %" PRIu64 " = %" PRIu64
	       " bytes, want %" PRIu64,
	       variant->size, (uint64_t)sfs.f_blocks, (uint64_t)sfs.f_bsize, bytes, variant->want);
	EXPECT_EQ(sfs.f_blocks, sfs.f_bfree)
	TH_LOG("a fresh tmpfs: f_bfree %" PRIu64 " != f_blocks %" PRIu64, (uint64_t)sfs.f_bfree,
	       (uint64_t)sfs.f_blocks);
}

/*
 * The 1 GiB fill takes a second on the host but can pass the harness's
 * default 30 s under TCG while another VM shares the core (make vmtest).
 */
TEST_F_TIMEOUT(tmpfs_size, enospc_at_rounded_size, 180)
{
	struct hct_child_report r = {0};
	char path[PATH_MAX];
	struct statfs sfs;
	struct stat st;
	int ret, fd;

	if (_metadata->skip)
		return;
	hct_sandbox_file(&self->sb, "fill", path);
	/* Ask for a page and a MiB more than fits: the kernel must say where it stops. */
	ret = hct_fill_file(path, variant->want + HCT_MiB + 4096, HCT_MiB, &r);
	EXPECT_EQ(-ENOSPC, ret)
	TH_LOG("size=%" PRIu64 ": fill stopped with %s (%d), want ENOSPC", variant->size,
	       strerror(-ret), ret);
	EXPECT_EQ(variant->want, r.bytes)
	TH_LOG("size=%" PRIu64 ": %" PRIu64 " bytes written before ENOSPC, want %" PRIu64,
	       variant->size, r.bytes, variant->want);

	ASSERT_EQ(0, stat(path, &st));
	EXPECT_EQ(variant->want, (uint64_t)st.st_size)
	TH_LOG("st_size %" PRIu64 ", want %" PRIu64, (uint64_t)st.st_size, variant->want);
	ASSERT_EQ(0, statfs(self->sb.dir, &sfs));
	EXPECT_EQ(0, sfs.f_bfree)
	TH_LOG("full tmpfs: f_bfree %" PRIu64 ", want 0", (uint64_t)sfs.f_bfree);

	/* Even one more byte is refused: the limit is exact, not a chunk boundary. */
	fd = open(path, O_WRONLY | O_APPEND);
	ASSERT_LE(0, fd);
	EXPECT_EQ(-1, write(fd, "x", 1));
	EXPECT_EQ(ENOSPC, errno) TH_LOG("one byte more: %s, want ENOSPC", strerror(errno));
	close(fd);

	/* Give the memory back now, not at teardown: the 1 GiB case is big. */
	ASSERT_EQ(0, unlink(path));
	ASSERT_EQ(0, statfs(self->sb.dir, &sfs));
	EXPECT_EQ(sfs.f_blocks, sfs.f_bfree)
	TH_LOG("after unlink: f_bfree %" PRIu64 ", want f_blocks %" PRIu64, (uint64_t)sfs.f_bfree,
	       (uint64_t)sfs.f_blocks);
}

/* The seed document's dd, as the syscalls it makes. */
FIXTURE(seed_dd)
{
	struct hct_sandbox sb;
};

FIXTURE_SETUP(seed_dd)
{
	char why[512];
	int ret;

	HCT_ALWAYS_TEARDOWN();
	ret = hct_sandbox_init(&self->sb, "seed-dd", false, why, sizeof(why));
	if (ret == HCT_SKIP)
		SKIP(return, "%s", why);
	ASSERT_EQ(0, ret) TH_LOG("%s", why);
	ret = mount_channel(&self->sb, 32 * HCT_MiB);
	ASSERT_EQ(0, ret) TH_LOG("mount tmpfs size=32M on %s: %s", self->sb.dir, strerror(-ret));
}

FIXTURE_TEARDOWN(seed_dd)
{
	EXPECT_EQ(0, hct_sandbox_fini(&self->sb));
}

TEST_F(seed_dd, bs1024_count64k_stops_at_32768_records)
{
	const unsigned int count = 64 * 1024;
	unsigned int records = 0;
	char path[PATH_MAX], block[1024];
	int fd, err = 0;

	if (_metadata->skip)
		return;
	memset(block, 0, sizeof(block));
	hct_sandbox_file(&self->sb, "test.file", path);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	ASSERT_LE(0, fd) TH_LOG("open %s: %s", path, strerror(errno));
	while (records < count) {
		ssize_t n = write(fd, block, sizeof(block));

		if (n != (ssize_t)sizeof(block)) {
			err = n < 0 ? errno : 0;
			break;
		}
		records++;
	}
	close(fd);
	EXPECT_EQ(32768, records) TH_LOG("%u records out, want 32768", records);
	EXPECT_EQ(ENOSPC, err)
	TH_LOG("record %u failed with %s, want ENOSPC", records + 1,
	       err ? strerror(err) : "a short write");
	EXPECT_EQ(0, unlink(path));
}

HCT_HARNESS_MAIN
