// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * channel/size: the channel's size limit through the engine (contract
 * sections 2 and 4): ENOSPC at exactly the size rounded up to whole pages,
 * whoever writes, and the bounds of the size.
 *
 *  - seed_dd: the seed document's own example, run inside the container
 *    with its busybox dd: a 32 MiB channel, "dd if=/dev/zero
 *    of=<ch>/test.file bs=1024 count=64K" prints "No space left on device",
 *    "32769+0 records in", "32768+0 records out", and the host sees a file
 *    of exactly 33554432 bytes.
 *  - size_fill (one variant per size, 5000 bytes being no page multiple):
 *    the test process fills the host path until ENOSPC, the container fills
 *    its path with hc-probe fill; both stop at exactly the rounded size, and
 *    after that even one byte more is refused, on both sides.
 *  - size: one page is the smallest channel and holds exactly one page;
 *    half of MemTotal (from /proc/meminfo, at run time) is the largest:
 *    accepted and mounted with that size (statfs, never filled), and so
 *    is the maximum followed by a long fraction of a byte (cut, where a
 *    double would round it up past the maximum), while one byte more is
 *    refused at create; df inside the container (busybox
 *    df -P -B1) and statfs on the host agree on the size and on the bytes
 *    used once a file is written.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kselftest_harness.h"

#include "channel.h"
#include "harness.h"

static int setup_box(struct __test_metadata *_metadata, struct hch_box *b, const char *what)
{
	char why[512];
	int ret;

	ret = hch_box_init(b, what, why, sizeof(why));
	if (ret == HCT_SKIP) {
		SKIP(return 1, "%s", why);
	}
	ASSERT_EQ(0, ret) TH_LOG("%s", why);
	return 0;
}

/* create with "<host><tail>" and start; assert both. */
#define CREATE_AND_START(b, r, tail)                                                               \
	do {                                                                                       \
		int __st = hch_create((r), (b), NULL, (tail));                                     \
		ASSERT_EQ(0, __st)                                                                 \
		TH_LOG("create --host-channel \"%s\": status %d; stderr: %s", (b)->spec, __st,     \
		       (r)->o.err);                                                                \
		__st = hch_run((r), "start", (b)->name, NULL);                                     \
		ASSERT_EQ(0, __st)                                                                 \
		TH_LOG("start (--host-channel \"%s\"): status %d; stderr: %s", (b)->spec, __st,    \
		       (r)->o.err);                                                                \
	} while (0)

/* Contract section 3: delete removes the host path it created. */
#define TEARDOWN_BOX(b)                                                                            \
	do {                                                                                       \
		HCT_TEARDOWN_BEGIN();                                                              \
		EXPECT_EQ(0, hch_box_delete(b));                                                   \
		EXPECT_EQ(0, hch_box_fini(b));                                                     \
	} while (0)

/* ------------------------------------------------------------ seed dd */

FIXTURE(seed_dd)
{
	struct hch_box b;
	struct hch_run r;
};

FIXTURE_SETUP(seed_dd)
{
	HCT_ALWAYS_TEARDOWN();
	if (setup_box(_metadata, &self->b, "seed-dd"))
		return;
	CREATE_AND_START(&self->b, &self->r, ":" HCH_CTR ":rw:32M");
}

FIXTURE_TEARDOWN(seed_dd)
{
	TEARDOWN_BOX(&self->b);
}

TEST_F(seed_dd, bs1024_count64k_in_container_stops_at_32m)
{
	struct hch_box *b = &self->b;
	struct hch_run *r = &self->r;
	char path[2 * PATH_MAX];
	struct stat st;
	int status;

	if (_metadata->skip)
		return;
	status = hch_exec(r, b->name, -1, "dd", "if=/dev/zero", "of=" HCH_CTR "/test.file",
			  "bs=1024", "count=64K", NULL);
	EXPECT_NE(0, status) TH_LOG("dd into a 32M channel succeeded; stderr: %s", r->o.err);
	EXPECT_NE(NULL, strstr(r->o.err, "No space left on device"))
	TH_LOG("dd's stderr lacks \"No space left on device\" (contract section 4): %s", r->o.err);
	EXPECT_NE(NULL, strstr(r->o.err, "32769+0 records in"))
	TH_LOG("dd's stderr lacks \"32769+0 records in\": %s", r->o.err);
	EXPECT_NE(NULL, strstr(r->o.err, "32768+0 records out"))
	TH_LOG("dd's stderr lacks \"32768+0 records out\": %s", r->o.err);

	snprintf(path, sizeof(path), "%s/test.file", b->host);
	ASSERT_EQ(0, stat(path, &st)) TH_LOG("stat %s on the host: %s", path, strerror(errno));
	EXPECT_EQ(33554432, st.st_size)
	TH_LOG("test.file seen from the host: %jd bytes, want 33554432", (intmax_t)st.st_size);
}

/* ---------------------------------------------------- fill to the limit */

FIXTURE(size_fill)
{
	struct hch_box b;
	struct hch_run r;
	struct hct_child_report report;
};

FIXTURE_VARIANT(size_fill)
{
	const char *size; /* the option's size field */
	uint64_t want;	  /* spelled out: the size in whole pages */
};

FIXTURE_VARIANT_ADD(size_fill, 4096){.size = "4096", .want = 4096};
FIXTURE_VARIANT_ADD(size_fill, 5000){.size = "5000", .want = 8192};
FIXTURE_VARIANT_ADD(size_fill, 1536k){.size = "1536K", .want = 1572864};
FIXTURE_VARIANT_ADD(size_fill, 32m){.size = "32M", .want = 33554432};

FIXTURE_SETUP(size_fill)
{
	char tail[64];

	HCT_ALWAYS_TEARDOWN();
	if (hct_page_size() != 4096)
		SKIP(return, "the expected sizes assume 4 KiB pages; this kernel has %" PRIu64,
			   hct_page_size());
	if (setup_box(_metadata, &self->b, "size-fill"))
		return;
	snprintf(tail, sizeof(tail), ":" HCH_CTR ":rw:%s", variant->size);
	CREATE_AND_START(&self->b, &self->r, tail);
}

FIXTURE_TEARDOWN(size_fill)
{
	TEARDOWN_BOX(&self->b);
}

TEST_F(size_fill, host_write_enospc_at_size)
{
	struct hch_box *b = &self->b;
	struct hch_run *r = &self->r;
	char path[2 * PATH_MAX];
	uint64_t size, used;
	int ret, fd;

	if (_metadata->skip)
		return;
	snprintf(path, sizeof(path), "%s/fill", b->host);
	/* A page and a MiB more than fits: the kernel must say where it stops. */
	ret = hct_fill_file(path, variant->want + HCT_MiB + 4096, 65536, &self->report);
	EXPECT_EQ(-ENOSPC, ret)
	TH_LOG("size %s: the host's fill stopped with %s, want ENOSPC (contract section 4)",
	       variant->size, strerror(-ret));
	EXPECT_EQ(variant->want, self->report.bytes)
	TH_LOG("size %s: the host wrote %" PRIu64 " bytes before ENOSPC, want %" PRIu64,
	       variant->size, self->report.bytes, variant->want);

	fd = open(path, O_WRONLY | O_APPEND);
	ASSERT_LE(0, fd) TH_LOG("open %s: %s", path, strerror(errno));
	EXPECT_EQ(-1, write(fd, "x", 1))
	TH_LOG("size %s: one byte past the limit was written", variant->size);
	EXPECT_EQ(ENOSPC, errno) TH_LOG("one byte more: %s, want ENOSPC", strerror(errno));
	close(fd);

	ASSERT_EQ(0, hch_statfs(b->host, &size, &used));
	EXPECT_EQ(variant->want, used)
	TH_LOG("statfs after the fill: used %" PRIu64 " of %" PRIu64 ", want %" PRIu64, used, size,
	       variant->want);
	/* The container is refused too: the limit is the channel's, not the writer's. */
	ret = hch_probe(r, b->name, -1, "try", "append", HCH_CTR "/fill", NULL);
	EXPECT_EQ(1, ret)
	TH_LOG("container appending to the full channel: status %d, want 1; "
	       "stdout: %s stderr: %s",
	       ret, r->o.out, r->o.err);
	EXPECT_NE(NULL, strstr(r->o.err, "errno=ENOSPC"))
	TH_LOG("container appending to the full channel: %s, want errno=ENOSPC", r->o.err);
}

TEST_F(size_fill, container_write_enospc_at_size)
{
	struct hch_box *b = &self->b;
	struct hch_run *r = &self->r;
	char path[2 * PATH_MAX];
	uint64_t bytes = 0;
	struct stat st;
	int ret, fd;

	if (_metadata->skip)
		return;
	ret = hch_probe(r, b->name, -1, "fill", HCH_CTR "/fill", NULL);
	EXPECT_EQ(0, ret)
	TH_LOG("size %s: hc-probe fill exited %d (0 means it stopped at ENOSPC); stdout: %s "
	       "stderr: %s",
	       variant->size, ret, r->o.out, r->o.err);
	ASSERT_EQ(0, hch_kv_u64(r->o.out, "bytes", 10, &bytes))
	TH_LOG("hc-probe fill printed no bytes=: %s", r->o.out);
	EXPECT_EQ(variant->want, bytes)
	TH_LOG("size %s: the container wrote %" PRIu64 " bytes before ENOSPC, want %" PRIu64
	       " (contract section 4)",
	       variant->size, bytes, variant->want);

	snprintf(path, sizeof(path), "%s/fill", b->host);
	ASSERT_EQ(0, stat(path, &st)) TH_LOG("stat %s: %s", path, strerror(errno));
	EXPECT_EQ(variant->want, (uint64_t)st.st_size)
	TH_LOG("the host sees %jd bytes, want %" PRIu64, (intmax_t)st.st_size, variant->want);
	/* The host, root and all, is refused too. */
	fd = open(path, O_WRONLY | O_APPEND);
	ASSERT_LE(0, fd) TH_LOG("open %s: %s", path, strerror(errno));
	EXPECT_EQ(-1, write(fd, "x", 1)) TH_LOG("the host wrote past the full channel");
	EXPECT_EQ(ENOSPC, errno) TH_LOG("host appending a byte: %s, want ENOSPC", strerror(errno));
	close(fd);
}

/* --------------------------------------------------------------- bounds */

FIXTURE(size)
{
	struct hch_box b;
	struct hch_run r;
};

FIXTURE_SETUP(size)
{
	HCT_ALWAYS_TEARDOWN();
	if (hct_page_size() != 4096)
		SKIP(return, "the expected sizes assume 4 KiB pages; this kernel has %" PRIu64,
			   hct_page_size());
	setup_box(_metadata, &self->b, "size");
}

FIXTURE_TEARDOWN(size)
{
	TEARDOWN_BOX(&self->b);
}

TEST_F(size, minimum_one_page_holds_exactly_one_page)
{
	struct hch_box *b = &self->b;
	struct hch_run *r = &self->r;
	char path[2 * PATH_MAX], page[4096];
	uint64_t size, used;
	ssize_t n;
	int fd;

	if (_metadata->skip)
		return;
	CREATE_AND_START(b, r, ":" HCH_CTR ":rw:4096");
	ASSERT_EQ(0, hch_statfs(b->host, &size, &used));
	EXPECT_EQ(4096, size) TH_LOG("statfs size %" PRIu64 ", want 4096", size);

	snprintf(path, sizeof(path), "%s/page", b->host);
	memset(page, 'p', sizeof(page));
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0644);
	ASSERT_LE(0, fd) TH_LOG("open %s: %s", path, strerror(errno));
	n = write(fd, page, sizeof(page));
	EXPECT_EQ(4096, n)
	TH_LOG("one page into a one-page channel: %zd (%s)", n, n < 0 ? strerror(errno) : "short");
	n = write(fd, "x", 1);
	EXPECT_EQ(-1, n) TH_LOG("a byte past the one page was written");
	EXPECT_EQ(ENOSPC, errno) TH_LOG("the 4097th byte: %s, want ENOSPC", strerror(errno));
	close(fd);
}

TEST_F(size, maximum_half_memtotal_mounted_with_that_size)
{
	struct hch_box *b = &self->b;
	struct hch_run *r = &self->r;
	struct hch_stat cs;
	uint64_t max, want, size, used;
	char tail[64];
	int ret;

	if (_metadata->skip)
		return;
	ASSERT_EQ(0, hch_max_size(&max));
	want = hct_round_up_pages(max);
	snprintf(tail, sizeof(tail), ":" HCH_CTR ":rw:%" PRIu64, max);
	CREATE_AND_START(b, r, tail);
	/* Checked, never filled: half of the machine's memory is not the test's to take. */
	ASSERT_EQ(0, hch_statfs(b->host, &size, &used));
	EXPECT_EQ(want, size)
	TH_LOG("size %" PRIu64 " (half of MemTotal): host statfs %" PRIu64 ", want %" PRIu64, max,
	       size, want);
	EXPECT_EQ(0, used) TH_LOG("a fresh channel uses %" PRIu64 " bytes", used);
	ret = hch_probe_stat(r, b->name, -1, HCH_CTR, &cs);
	ASSERT_EQ(0, ret) TH_LOG("hc-probe stat: %d; %s %s", ret, r->o.out, r->o.err);
	EXPECT_EQ(want, cs.size)
	TH_LOG("size %" PRIu64 ": the container sees %" PRIu64 ", want %" PRIu64, max, cs.size,
	       want);
}

/*
 * Half of MemTotal and a fraction of a byte, in many digits: cut to the
 * maximum itself, accepted. A double keeps some 16 significant digits:
 * the twenty nines round up to a whole byte, one over the maximum.
 */
TEST_F(size, maximum_with_long_fraction_accepted_as_maximum)
{
	struct hch_box *b = &self->b;
	struct hch_run *r = &self->r;
	struct hch_stat cs;
	uint64_t max, want, size, used;
	char tail[96];
	int ret;

	if (_metadata->skip)
		return;
	ASSERT_EQ(0, hch_max_size(&max));
	want = hct_round_up_pages(max);
	snprintf(tail, sizeof(tail), ":" HCH_CTR ":rw:%" PRIu64 ".99999999999999999999", max);
	ret = hch_create(r, b, NULL, tail);
	ASSERT_EQ(0, ret)
	TH_LOG("half of MemTotal (%" PRIu64 ") and a fraction: create --host-channel \"%s\": "
	       "status %d, want 0 (contract sections 2.4 and 2.5: the fraction is cut, exactly "
	       "half is accepted); stderr: %s",
	       max, b->spec, ret, r->o.err);
	ret = hch_run(r, "start", b->name, NULL);
	ASSERT_EQ(0, ret) TH_LOG("start: status %d; stderr: %s", ret, r->o.err);
	/* Checked, never filled, as above. */
	ASSERT_EQ(0, hch_statfs(b->host, &size, &used));
	EXPECT_EQ(want, size)
	TH_LOG("--host-channel \"%s\": host statfs %" PRIu64 ", want %" PRIu64, b->spec, size,
	       want);
	ret = hch_probe_stat(r, b->name, -1, HCH_CTR, &cs);
	ASSERT_EQ(0, ret) TH_LOG("hc-probe stat: %d; %s %s", ret, r->o.out, r->o.err);
	EXPECT_EQ(want, cs.size)
	TH_LOG("--host-channel \"%s\": the container sees %" PRIu64 ", want %" PRIu64, b->spec,
	       cs.size, want);
}

TEST_F(size, one_byte_above_maximum_refused)
{
	struct hch_box *b = &self->b;
	struct hch_run *r = &self->r;
	char tail[64], quoted[64], err[HCT_OUT_MAX];
	struct stat st = {0};
	uint64_t max;
	int status;

	if (_metadata->skip)
		return;
	ASSERT_EQ(0, hch_max_size(&max));
	snprintf(tail, sizeof(tail), ":" HCH_CTR ":rw:%" PRIu64, max + 1);
	snprintf(quoted, sizeof(quoted), "\"%" PRIu64 "\"", max + 1);
	status = hch_create(r, b, NULL, tail);
	snprintf(err, sizeof(err), "%s", r->o.err);
	ASSERT_NE(0, status)
	TH_LOG("half of MemTotal + 1 byte (%" PRIu64 ") was accepted (contract section 2)",
	       max + 1);
	EXPECT_EQ(125, status) TH_LOG("create exited %d, want 125; stderr: %s", status, err);
	EXPECT_NE(NULL, strstr(err, "size")) TH_LOG("the message names no size: %s", err);
	EXPECT_NE(NULL, strstr(err, quoted))
	TH_LOG("the message does not quote %s: %s", quoted, err);
	EXPECT_EQ(-1, lstat(b->host, &st))
	TH_LOG("refused, yet %s exists (mode 0%o)", b->host, st.st_mode);
	EXPECT_NE(0, hch_run(r, "state", b->name, NULL))
	TH_LOG("refused, yet state %s says %s", b->name, r->o.out);
}

/*
 * busybox df -P -B1 PATH: a header line, then "fs size used avail use% mnt"
 * (one line with -P, whatever the length of the source's name).
 */
static int df_in_container(struct hch_box *b, struct hch_run *r, uint64_t *size, uint64_t *used)
{
	char *line, *end;
	int ret = hch_exec(r, b->name, -1, "df", "-P", "-B1", HCH_CTR, NULL);

	if (ret != 0)
		return ret > 0 ? -EIO : ret;
	line = strchr(r->o.out, '\n');
	if (line == NULL)
		return -EBADMSG;
	line = strpbrk(line + 1, " \t"); /* past the source */
	if (line == NULL)
		return -EBADMSG;
	*size = strtoull(line, &end, 10);
	if (end == line)
		return -EBADMSG;
	line = end;
	*used = strtoull(line, &end, 10);
	return end == line ? -EBADMSG : 0;
}

TEST_F(size, df_inside_and_statfs_outside_agree)
{
	const uint64_t file = 3 * HCT_MiB + 100, want_used = 3 * HCT_MiB + 4096;
	struct hch_box *b = &self->b;
	struct hch_run *r = &self->r;
	uint64_t in_size = 0, in_used = 0, out_size, out_used;
	char bytes[32];
	int ret;

	if (_metadata->skip)
		return;
	CREATE_AND_START(b, r, ":" HCH_CTR ":rw:8M");
	ret = df_in_container(b, r, &in_size, &in_used);
	ASSERT_EQ(0, ret)
	TH_LOG("df in the container: %d; stdout: %s stderr: %s", ret, r->o.out, r->o.err);
	ASSERT_EQ(0, hch_statfs(b->host, &out_size, &out_used));
	EXPECT_EQ(8 * HCT_MiB, in_size) TH_LOG("df inside: size %" PRIu64 ", want 8 MiB", in_size);
	EXPECT_EQ(out_size, in_size)
	TH_LOG("size: df inside %" PRIu64 ", statfs outside %" PRIu64, in_size, out_size);
	EXPECT_EQ(0, in_used) TH_LOG("a fresh channel: df inside says %" PRIu64 " used", in_used);

	snprintf(bytes, sizeof(bytes), "%" PRIu64, file);
	ret = hch_probe(r, b->name, -1, "write", HCH_CTR "/file", bytes, NULL);
	ASSERT_EQ(0, ret) TH_LOG("hc-probe write: %d; %s %s", ret, r->o.out, r->o.err);
	ret = df_in_container(b, r, &in_size, &in_used);
	ASSERT_EQ(0, ret)
	TH_LOG("df in the container: %d; stdout: %s stderr: %s", ret, r->o.out, r->o.err);
	ASSERT_EQ(0, hch_statfs(b->host, &out_size, &out_used));
	EXPECT_EQ(want_used, in_used)
	TH_LOG("after writing %" PRIu64 " bytes: df inside says %" PRIu64 " used, want %" PRIu64,
	       file, in_used, want_used);
	EXPECT_EQ(out_used, in_used)
	TH_LOG("used: df inside %" PRIu64 ", statfs outside %" PRIu64, in_used, out_used);
	EXPECT_EQ(out_size, in_size)
	TH_LOG("size: df inside %" PRIu64 ", statfs outside %" PRIu64, in_size, out_size);
}

HCT_HARNESS_MAIN
