// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * channel/spec: the option string of contract section 2, through the engine.
 *
 * spec_reject: every malformed --host-channel is refused at create, one
 * named test per option (wrong field counts, relative, empty and root
 * paths, unknown or doubled mode words, signs, stray dots, unknown units,
 * zero, below a page, long fractions one tiny step below a page in each
 * unit and half a byte below it (exact arithmetic cuts them to 4095 bytes,
 * where a double would round them up to a page), above half of MemTotal
 * (computed from /proc/meminfo at run time), overflow). For each:
 *  - the driver's create exits non-zero, 125 as the contract says;
 *  - stderr names the field and quotes the offending value;
 *  - nothing is left on the host: the host path (a nonexistent path in a
 *    fresh scratch directory, which is also the working directory, so a
 *    relative path would land there too) does not exist, the scratch
 *    directory is empty, nothing is mounted at or below it;
 *  - no container was made: the driver's "state NAME" fails.
 *
 * spec_accept: the forms the contract accepts give exactly what they say,
 * read back from the kernel on both sides: the two-field form and empty
 * fields take rw and 64 MiB; units (any case, 1024-based, B/K/KB/KI/KIB...)
 * and fractions (truncated to bytes) give the byte size statfs reports on
 * the host mount (f_blocks * f_bsize: the size rounded up to whole pages)
 * and hc-probe stat reports inside the container (size=, ro=); long
 * fractions one tiny step below a page multiple, in bytes and at the K, M
 * and G boundaries, and three quarters of a byte past one, stay on the
 * pages below (a double, or rounding, would take one page more), while long
 * fractions exactly on a byte give exactly that byte's pages; paths are
 * cleaned lexically. The sizes stay small (at most 64 MiB): an empty tmpfs
 * costs nothing, but the suite must stay light.
 *
 * The two-field form and empty fields are the documented contract; iSulad's
 * client demands four fields. An engine whose driver says so (info
 * defaults= other than "documented") still runs these tests: its refusal
 * is a deviation from section 2 and is reported as a failure, not skipped.
 */
#include <errno.h>
#include <inttypes.h>
#include <linux/magic.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "kselftest_harness.h"

#include "channel.h"
#include "harness.h"

#define DEFAULT_SIZE (64 * HCT_MiB)

/* ------------------------------------------------------------ refused */

FIXTURE(spec_reject)
{
	struct hch_box b;
	struct hch_run r;
};

FIXTURE_VARIANT(spec_reject)
{
	const char *host;  /* the host path part; NULL: the box's (nonexistent) host path */
	const char *rest;  /* what follows it */
	const char *field; /* what the message must name */
	const char *value; /* what it must quote; NULL: the whole option */
	bool above_max;	   /* rest is ":/mnt/ch:rw:<half of MemTotal + 1 byte>" */
};

/* Field counts: two to four (section 2). */
FIXTURE_VARIANT_ADD(spec_reject, fields_none){.host = "", .rest = "", .field = "field"};
FIXTURE_VARIANT_ADD(spec_reject, fields_one){.rest = "", .field = "field"};
FIXTURE_VARIANT_ADD(spec_reject, fields_five){.rest = ":/mnt/ch:rw:1M:x", .field = "field"};
FIXTURE_VARIANT_ADD(spec_reject, fields_five_trailing_colon){.rest = ":/mnt/ch:rw:1M:",
							     .field = "field"};
FIXTURE_VARIANT_ADD(spec_reject, fields_six){.rest = ":/mnt/ch:rw:1M:x:y", .field = "field"};

/* Host path: non-empty, absolute, not / once cleaned. */
FIXTURE_VARIANT_ADD(spec_reject,
		    host_empty){.host = "", .rest = ":/mnt/ch", .field = "host path", .value = ""};
FIXTURE_VARIANT_ADD(spec_reject, host_and_container_empty){
	.host = "", .rest = ":", .field = "host path", .value = ""};
FIXTURE_VARIANT_ADD(spec_reject, host_relative){
	.host = "ch", .rest = ":/mnt/ch", .field = "host path", .value = "ch"};
FIXTURE_VARIANT_ADD(spec_reject, host_dot_relative){
	.host = "./ch", .rest = ":/mnt/ch", .field = "host path", .value = "./ch"};
FIXTURE_VARIANT_ADD(spec_reject,
		    host_root){.host = "/", .rest = ":/mnt/ch", .field = "host path", .value = "/"};
FIXTURE_VARIANT_ADD(spec_reject, host_root_double_slash){
	.host = "//", .rest = ":/mnt/ch", .field = "host path", .value = "//"};
FIXTURE_VARIANT_ADD(spec_reject, host_root_dot){
	.host = "/./", .rest = ":/mnt/ch", .field = "host path", .value = "/./"};
FIXTURE_VARIANT_ADD(spec_reject, host_root_dotdot){
	.host = "/tmp/..", .rest = ":/mnt/ch", .field = "host path", .value = "/tmp/.."};

/* Container path: the same rules. */
FIXTURE_VARIANT_ADD(spec_reject,
		    container_empty){.rest = "::rw", .field = "container path", .value = ""};
FIXTURE_VARIANT_ADD(spec_reject, container_relative){
	.rest = ":mnt/ch", .field = "container path", .value = "mnt/ch"};
FIXTURE_VARIANT_ADD(spec_reject, container_dot_relative){
	.rest = ":./mnt", .field = "container path", .value = "./mnt"};
FIXTURE_VARIANT_ADD(spec_reject,
		    container_root){.rest = ":/:rw:1M", .field = "container path", .value = "/"};
FIXTURE_VARIANT_ADD(spec_reject, container_root_dotdot){
	.rest = ":/mnt/..", .field = "container path", .value = "/mnt/.."};

/* Mode: rw or ro, with at most one propagation word beside it. */
FIXTURE_VARIANT_ADD(spec_reject,
		    mode_unknown){.rest = ":/mnt/ch:rx", .field = "mode", .value = "rx"};
FIXTURE_VARIANT_ADD(spec_reject,
		    mode_reversed){.rest = ":/mnt/ch:wr", .field = "mode", .value = "wr"};
FIXTURE_VARIANT_ADD(spec_reject,
		    mode_rw_and_ro){.rest = ":/mnt/ch:rw,ro", .field = "mode", .value = "rw,ro"};
FIXTURE_VARIANT_ADD(spec_reject, mode_two_propagations){
	.rest = ":/mnt/ch:ro,rslave,shared", .field = "mode", .value = "ro,rslave,shared"};
FIXTURE_VARIANT_ADD(spec_reject,
		    mode_empty_word){.rest = ":/mnt/ch:rw,", .field = "mode", .value = "rw,"};
FIXTURE_VARIANT_ADD(spec_reject,
		    mode_leading_comma){.rest = ":/mnt/ch:,ro", .field = "mode", .value = ",ro"};
FIXTURE_VARIANT_ADD(spec_reject,
		    mode_selinux_z){.rest = ":/mnt/ch:z", .field = "mode", .value = "z"};
FIXTURE_VARIANT_ADD(spec_reject, mode_nocopy){
	.rest = ":/mnt/ch:rw,nocopy", .field = "mode", .value = "rw,nocopy"};
FIXTURE_VARIANT_ADD(spec_reject, mode_trailing_space){
	.rest = ":/mnt/ch:rw :1M", .field = "mode", .value = "rw "};

/* Size: digits, optional fraction, optional unit; no sign; bounds. */
FIXTURE_VARIANT_ADD(spec_reject,
		    size_negative){.rest = ":/mnt/ch:rw:-1M", .field = "size", .value = "-1M"};
FIXTURE_VARIANT_ADD(spec_reject,
		    size_plus_sign){.rest = ":/mnt/ch:rw:+1M", .field = "size", .value = "+1M"};
FIXTURE_VARIANT_ADD(spec_reject,
		    size_leading_dot){.rest = ":/mnt/ch:rw:.5M", .field = "size", .value = ".5M"};
FIXTURE_VARIANT_ADD(spec_reject,
		    size_trailing_dot){.rest = ":/mnt/ch:rw:1.", .field = "size", .value = "1."};
FIXTURE_VARIANT_ADD(spec_reject,
		    size_dot_then_unit){.rest = ":/mnt/ch:rw:1.M", .field = "size", .value = "1.M"};
FIXTURE_VARIANT_ADD(spec_reject, size_two_dots){
	.rest = ":/mnt/ch:rw:1.5.5M", .field = "size", .value = "1.5.5M"};
FIXTURE_VARIANT_ADD(spec_reject,
		    size_unknown_unit){.rest = ":/mnt/ch:rw:1X", .field = "size", .value = "1X"};
FIXTURE_VARIANT_ADD(spec_reject,
		    size_unit_twice){.rest = ":/mnt/ch:rw:1MM", .field = "size", .value = "1MM"};
FIXTURE_VARIANT_ADD(spec_reject, size_unit_too_long){
	.rest = ":/mnt/ch:rw:1KiBs", .field = "size", .value = "1KiBs"};
FIXTURE_VARIANT_ADD(spec_reject,
		    size_unit_only){.rest = ":/mnt/ch:rw:M", .field = "size", .value = "M"};
FIXTURE_VARIANT_ADD(spec_reject,
		    size_unit_first){.rest = ":/mnt/ch:rw:K4", .field = "size", .value = "K4"};
FIXTURE_VARIANT_ADD(spec_reject,
		    size_word){.rest = ":/mnt/ch:rw:abc", .field = "size", .value = "abc"};
FIXTURE_VARIANT_ADD(spec_reject,
		    size_inner_space){.rest = ":/mnt/ch:rw:1 M", .field = "size", .value = "1 M"};
FIXTURE_VARIANT_ADD(spec_reject,
		    size_exponent){.rest = ":/mnt/ch:rw:1e6", .field = "size", .value = "1e6"};
FIXTURE_VARIANT_ADD(spec_reject,
		    size_hex){.rest = ":/mnt/ch:rw:0x1000", .field = "size", .value = "0x1000"};
FIXTURE_VARIANT_ADD(spec_reject, size_zero){.rest = ":/mnt/ch:rw:0", .field = "size", .value = "0"};
FIXTURE_VARIANT_ADD(spec_reject,
		    size_zero_with_unit){.rest = ":/mnt/ch:rw:0K", .field = "size", .value = "0K"};
/* 0.0001 KiB is 0.1 byte, truncated to zero. */
FIXTURE_VARIANT_ADD(spec_reject, size_fraction_truncated_to_zero){
	.rest = ":/mnt/ch:rw:0.0001K", .field = "size", .value = "0.0001K"};
FIXTURE_VARIANT_ADD(spec_reject, size_one_byte_below_page){
	.rest = ":/mnt/ch:rw:4095", .field = "size", .value = "4095"};
FIXTURE_VARIANT_ADD(spec_reject,
		    size_1k_below_page){.rest = ":/mnt/ch:rw:1K", .field = "size", .value = "1K"};
/* 3.99 KiB is 4085 bytes: a fraction does not round up into a page. */
FIXTURE_VARIANT_ADD(spec_reject, size_fraction_below_page){
	.rest = ":/mnt/ch:rw:3.99K", .field = "size", .value = "3.99K"};
/*
 * Long fractions just below one page, each in another unit: the exact value
 * is 4095.99...9 bytes, cut to 4095; a double rounds it to 4096 first.
 */
FIXTURE_VARIANT_ADD(spec_reject, size_long_fraction_below_page_bytes){
	.rest = ":/mnt/ch:rw:4095.99999999999999999",
	.field = "size",
	.value = "4095.99999999999999999"};
FIXTURE_VARIANT_ADD(spec_reject,
		    size_long_fraction_below_page_k){.rest = ":/mnt/ch:rw:3.99999999999999999K",
						     .field = "size",
						     .value = "3.99999999999999999K"};
FIXTURE_VARIANT_ADD(spec_reject,
		    size_long_fraction_below_page_m){.rest = ":/mnt/ch:rw:0.00390624999999999999M",
						     .field = "size",
						     .value = "0.00390624999999999999M"};
/* 2^-38 PiB is one page (0.00000000000363797880709171295166015625P); a hair below, 4095 bytes. */
FIXTURE_VARIANT_ADD(spec_reject, size_long_fraction_below_page_p){
	.rest = ":/mnt/ch:rw:0.0000000000036379788070917129516601562499P",
	.field = "size",
	.value = "0.0000000000036379788070917129516601562499P"};
/* Half a byte below a page: cut, never rounded (to even or up) to 4096. */
FIXTURE_VARIANT_ADD(spec_reject, size_half_byte_below_page){
	.rest = ":/mnt/ch:rw:4095.5", .field = "size", .value = "4095.5"};
FIXTURE_VARIANT_ADD(spec_reject, size_above_half_memtotal){.field = "size", .above_max = true};
FIXTURE_VARIANT_ADD(spec_reject, size_1p_above_half_memtotal){
	.rest = ":/mnt/ch:rw:1P", .field = "size", .value = "1P"};
FIXTURE_VARIANT_ADD(spec_reject, size_overflow_99999999999p){
	.rest = ":/mnt/ch:rw:99999999999P", .field = "size", .value = "99999999999P"};
/* 2^64: one more than uint64_t holds, the wrap to 0 must not happen. */
FIXTURE_VARIANT_ADD(spec_reject, size_overflow_2_pow_64){.rest = ":/mnt/ch:rw:18446744073709551616",
							 .field = "size",
							 .value = "18446744073709551616"};
/* 16384 PiB is 2^64 too, overflowing in the unit's multiplication. */
FIXTURE_VARIANT_ADD(spec_reject, size_overflow_16384p){
	.rest = ":/mnt/ch:rw:16384P", .field = "size", .value = "16384P"};

FIXTURE_SETUP(spec_reject)
{
	char why[512];
	int ret;

	HCT_ALWAYS_TEARDOWN();
	ret = hch_box_init(&self->b, "spec", why, sizeof(why));
	if (ret == HCT_SKIP)
		SKIP(return, "%s", why);
	ASSERT_EQ(0, ret) TH_LOG("%s", why);
	/* A relative host path, if an engine took it, lands in the scratch directory. */
	ASSERT_EQ(0, chdir(self->b.scratch))
	TH_LOG("chdir %s: %s", self->b.scratch, strerror(errno));
}

FIXTURE_TEARDOWN(spec_reject)
{
	HCT_TEARDOWN_BEGIN();
	/* Contract section 3: delete removes the host path it created. */
	EXPECT_EQ(0, hch_box_delete(&self->b));
	EXPECT_EQ(0, hch_box_fini(&self->b));
}

TEST_F(spec_reject, refused_at_create_leaving_nothing)
{
	char rest[128], value[PATH_MAX + 256], quoted[PATH_MAX + 260], err[HCT_OUT_MAX];
	char names[512], first[PATH_MAX];
	struct hch_box *b = &self->b;
	struct hch_run *r = &self->r;
	struct stat st = {0};
	uint64_t max;
	int status, n;

	if (_metadata->skip)
		return;
	snprintf(rest, sizeof(rest), "%s", variant->rest ? variant->rest : "");
	if (variant->above_max) {
		ASSERT_EQ(0, hch_max_size(&max));
		snprintf(value, sizeof(value), "%" PRIu64, max + 1);
		snprintf(rest, sizeof(rest), ":" HCH_CTR ":rw:%" PRIu64, max + 1);
	}

	status = hch_create(r, b, variant->host, rest);
	snprintf(err, sizeof(err), "%s", r->o.err);
	if (!variant->above_max)
		snprintf(value, sizeof(value), "%s", variant->value ? variant->value : b->spec);
	ASSERT_NE(0, status)
	TH_LOG("engine %s accepted --host-channel \"%s\" (contract section 2 refuses it)",
	       hct_engine_name(), b->spec);
	EXPECT_EQ(125, status)
	TH_LOG("--host-channel \"%s\": create exited %d, want 125 (contract section 2); stderr: %s",
	       b->spec, status, err);

	EXPECT_NE(NULL, strcasestr(err, variant->field))
	TH_LOG("--host-channel \"%s\": the message does not name the %s (contract section 2); "
	       "stderr: %s",
	       b->spec, variant->field, err);
	snprintf(quoted, sizeof(quoted), "\"%s\"", value);
	EXPECT_NE(NULL, strstr(err, quoted))
	TH_LOG("--host-channel \"%s\": the message does not quote %s (contract section 2); "
	       "stderr: %s",
	       b->spec, quoted, err);

	/* A rejected option creates nothing (section 2). */
	EXPECT_EQ(-1, lstat(b->host, &st))
	TH_LOG("--host-channel \"%s\" was refused but %s exists (mode 0%o)", b->spec, b->host,
	       st.st_mode);
	n = hch_dir_entries(b->scratch, names, sizeof(names));
	EXPECT_EQ(0, n)
	TH_LOG("--host-channel \"%s\" was refused but the scratch directory %s holds %d entries: "
	       "%s",
	       b->spec, b->scratch, n, names);
	n = hch_mounts_below(b->scratch, first, sizeof(first));
	EXPECT_EQ(0, n)
	TH_LOG("--host-channel \"%s\" was refused but %d mounts sit under %s, first %s", b->spec, n,
	       b->scratch, first);

	status = hch_run(r, "state", b->name, NULL);
	EXPECT_NE(0, status)
	TH_LOG("--host-channel \"%s\" was refused but \"state %s\" succeeds: %s", b->spec, b->name,
	       r->o.out);
}

/* ----------------------------------------------------------- accepted */

FIXTURE(spec_accept)
{
	struct hch_box b;
	struct hch_run r;
};

FIXTURE_VARIANT(spec_accept)
{
	const char *host_tail; /* appended to the scratch directory; NULL: "/ch" */
	const char *rest;      /* what follows the host path */
	const char *ctr;       /* where the container sees it; NULL: HCH_CTR */
	uint64_t want;	       /* f_blocks * f_bsize, spelled out: the rounding is under test */
	bool ro;
	bool defaults; /* a form only the documented contract accepts (iSulad wants 4 fields) */
};

/* Defaults: an omitted or empty mode is rw, an omitted or empty size 64 MiB. */
FIXTURE_VARIANT_ADD(spec_accept,
		    default_two_fields){.rest = ":/mnt/ch", .want = DEFAULT_SIZE, .defaults = true};
FIXTURE_VARIANT_ADD(spec_accept, default_three_fields_rw){
	.rest = ":/mnt/ch:rw", .want = DEFAULT_SIZE, .defaults = true};
FIXTURE_VARIANT_ADD(spec_accept, default_empty_mode_and_size){
	.rest = ":/mnt/ch::", .want = DEFAULT_SIZE, .defaults = true};
FIXTURE_VARIANT_ADD(spec_accept, default_empty_size_ro){
	.rest = ":/mnt/ch:ro:", .want = DEFAULT_SIZE, .ro = true, .defaults = true};
FIXTURE_VARIANT_ADD(spec_accept, default_empty_mode_32m){
	.rest = ":/mnt/ch::32M", .want = 32 * HCT_MiB, .defaults = true};

/* Units (1024-based, any case) and fractions (truncated to bytes). */
FIXTURE_VARIANT_ADD(spec_accept, size_1536k){.rest = ":/mnt/ch:rw:1536K", .want = 1572864};
FIXTURE_VARIANT_ADD(spec_accept, size_1_5m){.rest = ":/mnt/ch:rw:1.5M", .want = 1572864};
FIXTURE_VARIANT_ADD(spec_accept, size_1m_lower){.rest = ":/mnt/ch:rw:1m", .want = 1048576};
FIXTURE_VARIANT_ADD(spec_accept, size_64mib){.rest = ":/mnt/ch:rw:64MiB", .want = 67108864};
FIXTURE_VARIANT_ADD(spec_accept, size_4096_bytes){.rest = ":/mnt/ch:rw:4096", .want = 4096};
FIXTURE_VARIANT_ADD(spec_accept, size_4096b){.rest = ":/mnt/ch:rw:4096B", .want = 4096};
FIXTURE_VARIANT_ADD(spec_accept, size_4096b_lower){.rest = ":/mnt/ch:rw:4096b", .want = 4096};
/* 5000 bytes is no page multiple: two pages, neither one nor exactly 5000. */
FIXTURE_VARIANT_ADD(spec_accept, size_5000_rounds_to_8192){.rest = ":/mnt/ch:rw:5000",
							   .want = 8192};
FIXTURE_VARIANT_ADD(spec_accept, size_8kib){.rest = ":/mnt/ch:rw:8KiB", .want = 8192};
FIXTURE_VARIANT_ADD(spec_accept, size_8kb_lower){.rest = ":/mnt/ch:rw:8kb", .want = 8192};
FIXTURE_VARIANT_ADD(spec_accept, size_8ki){.rest = ":/mnt/ch:rw:8Ki", .want = 8192};
FIXTURE_VARIANT_ADD(spec_accept, size_8kib_mixed_case){.rest = ":/mnt/ch:rw:8kIb", .want = 8192};
/* 4.5 KiB = 4608 bytes, two pages. */
FIXTURE_VARIANT_ADD(spec_accept, size_4_5k){.rest = ":/mnt/ch:rw:4.5k", .want = 8192};
/* 5119 bytes (truncated, not rounded to 5 KiB by a double), two pages. */
FIXTURE_VARIANT_ADD(spec_accept, size_long_fraction_truncated){
	.rest = ":/mnt/ch:rw:4.99999999999999999K", .want = 8192};
/* 12345 bytes, four pages. */
FIXTURE_VARIANT_ADD(spec_accept, size_byte_fraction){.rest = ":/mnt/ch:rw:12345.6789",
						     .want = 16384};
/* 2^-5 GiB, 2^-16 TiB and 2^-29 PiB: exact binary fractions of big units. */
FIXTURE_VARIANT_ADD(spec_accept, size_fraction_of_g){.rest = ":/mnt/ch:rw:0.03125g",
						     .want = 32 * HCT_MiB};
FIXTURE_VARIANT_ADD(spec_accept, size_fraction_of_t){.rest = ":/mnt/ch:rw:0.0000152587890625T",
						     .want = 16 * HCT_MiB};
FIXTURE_VARIANT_ADD(spec_accept, size_fraction_of_p){
	.rest = ":/mnt/ch:rw:0.00000000186264514923095703125PiB", .want = 2 * HCT_MiB};

/*
 * Long fractions just below a page multiple, in bytes and at the boundary
 * of each unit: cut to the byte below (8192, 2 MiB, 32 MiB: whole pages),
 * where a double lands on the next byte and takes one page more.
 */
FIXTURE_VARIANT_ADD(spec_accept, size_long_fraction_below_page_multiple){
	.rest = ":/mnt/ch:rw:8192.99999999999999999", .want = 8192};
/* 8 KiB + 1 byte is 8.0009765625K. */
FIXTURE_VARIANT_ADD(spec_accept, size_long_fraction_below_k_boundary){
	.rest = ":/mnt/ch:rw:8.00097656249999999999K", .want = 8192};
/* 2 MiB + 1 byte is 2.00000095367431640625M. */
FIXTURE_VARIANT_ADD(spec_accept, size_long_fraction_below_m_boundary){
	.rest = ":/mnt/ch:rw:2.00000095367431640624M", .want = 2 * HCT_MiB};
/* 32 MiB + 1 byte is 0.031250000931322574615478515625G. */
FIXTURE_VARIANT_ADD(spec_accept, size_long_fraction_below_g_boundary){
	.rest = ":/mnt/ch:rw:0.03125000093132257461547851562G", .want = 32 * HCT_MiB};
/* Three quarters of a byte past three pages: 12288, never rounded up to a fourth page. */
FIXTURE_VARIANT_ADD(spec_accept, size_fraction_not_rounded_up){.rest = ":/mnt/ch:rw:12288.75",
							       .want = 12288};
/* Exactly on a byte: 2^-38 PiB is one page, 8.0009765625K is 8193 bytes (three pages). */
FIXTURE_VARIANT_ADD(spec_accept, size_long_fraction_exactly_one_page){
	.rest = ":/mnt/ch:rw:0.000000000003637978807091712951660156250P", .want = 4096};
FIXTURE_VARIANT_ADD(spec_accept, size_fraction_exactly_one_byte_past_8k){
	.rest = ":/mnt/ch:rw:8.0009765625K", .want = 12288};

/* Paths are cleaned lexically: //, ., .. and a trailing /. */
FIXTURE_VARIANT_ADD(spec_accept, host_path_cleaned){
	.host_tail = "//./missing/../ch/", .rest = ":/mnt/ch:rw:1M", .want = HCT_MiB};
FIXTURE_VARIANT_ADD(spec_accept, container_path_cleaned){
	.rest = "://mnt/./x/../ch/:ro:1M", .want = HCT_MiB, .ro = true};

FIXTURE_SETUP(spec_accept)
{
	char why[512];
	int ret;

	HCT_ALWAYS_TEARDOWN();
	if (hct_page_size() != 4096)
		SKIP(return, "the expected sizes assume 4 KiB pages; this kernel has %" PRIu64,
			   hct_page_size());
	ret = hch_box_init(&self->b, "spec", why, sizeof(why));
	if (ret == HCT_SKIP)
		SKIP(return, "%s", why);
	ASSERT_EQ(0, ret) TH_LOG("%s", why);
}

FIXTURE_TEARDOWN(spec_accept)
{
	HCT_TEARDOWN_BEGIN();
	/* Contract section 3: delete removes the host path it created. */
	EXPECT_EQ(0, hch_box_delete(&self->b));
	EXPECT_EQ(0, hch_box_fini(&self->b));
}

TEST_F(spec_accept, mounted_with_size_and_mode_asked)
{
	const char *ctr = variant->ctr ? variant->ctr : HCH_CTR;
	char host[PATH_MAX + 64], defaults[64] = "";
	struct hch_box *b = &self->b;
	struct hch_run *r = &self->r;
	struct hch_stat cs;
	struct hct_mount m;
	struct statfs sfs;
	uint64_t size;
	int status, ret;

	if (_metadata->skip)
		return;
	snprintf(host, sizeof(host), "%s%s", b->scratch,
		 variant->host_tail ? variant->host_tail : "/ch");
	status = hch_create(r, b, host, variant->rest);
	if (status != 0 && variant->defaults)
		hct_engine_info("defaults", defaults, sizeof(defaults));
	ASSERT_EQ(0, status)
	TH_LOG("engine %s refused --host-channel \"%s\" (status %d)%s%s%s; stderr: %s",
	       hct_engine_name(), b->spec, status,
	       variant->defaults
		       ? ": contract section 2 accepts two to four fields, an omitted "
			 "or empty mode meaning rw and size 64M; the driver says defaults="
		       : "",
	       variant->defaults ? (defaults[0] ? defaults : "(none)") : "",
	       variant->defaults ? " (a deviation from the documented contract)" : "", r->o.err);
	status = hch_run(r, "start", b->name, NULL);
	ASSERT_EQ(0, status)
	TH_LOG("start with --host-channel \"%s\": status %d; stderr: %s", b->spec, status,
	       r->o.err);

	/* The host side: a tmpfs at the cleaned host path, of the size asked. */
	ret = hct_mount_lookup(b->host, &m);
	ASSERT_EQ(0, ret)
	TH_LOG("--host-channel \"%s\": nothing mounted at %s on the host: %s", b->spec, b->host,
	       strerror(-ret));
	EXPECT_STREQ("tmpfs", m.fstype);
	ASSERT_EQ(0, statfs(b->host, &sfs)) TH_LOG("statfs %s: %s", b->host, strerror(errno));
	EXPECT_EQ(TMPFS_MAGIC, sfs.f_type)
	TH_LOG("statfs %s: f_type 0x%lx, want TMPFS_MAGIC", b->host, (unsigned long)sfs.f_type);
	size = (uint64_t)sfs.f_blocks * (uint64_t)sfs.f_bsize;
	EXPECT_EQ(variant->want, size)
	TH_LOG("--host-channel \"%s\": host statfs size %" PRIu64 " bytes, want %" PRIu64
	       " (contract section 2)",
	       b->spec, size, variant->want);

	/* The container side: the same size, read-only as asked. */
	ret = hch_probe_stat(r, b->name, -1, ctr, &cs);
	ASSERT_EQ(0, ret)
	TH_LOG("hc-probe stat %s in the container: %d; stdout: %s stderr: %s", ctr, ret, r->o.out,
	       r->o.err);
	EXPECT_STREQ("tmpfs", cs.fstype) TH_LOG("in the container: %s", r->o.out);
	EXPECT_STREQ("dir", cs.type) TH_LOG("in the container: %s", r->o.out);
	EXPECT_EQ(variant->want, cs.size)
	TH_LOG("--host-channel \"%s\": size %" PRIu64 " in the container, want %" PRIu64, b->spec,
	       cs.size, variant->want);
	EXPECT_EQ(variant->ro, cs.ro)
	TH_LOG("--host-channel \"%s\": ro=%" PRIu64 " in the container, want %d (contract section "
	       "2: %s)",
	       b->spec, cs.ro, variant->ro, variant->ro ? "ro" : "an omitted or empty mode is rw");
}

HCT_HARNESS_MAIN
