// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * What this proves: ref/lib/spec.c implements section 2 of
 * docs/contract.md, the grammar of
 * "<host path>:<container path>[:<rw|ro>[:<size>]]", and nothing looser.
 *
 *  - every valid option parses to exactly the expected spec (every field is
 *    checked), with the documented defaults (rw, rprivate, 64 MiB);
 *  - every broken option is refused with EINVAL, leaves the output spec
 *    untouched, and its message starts with `invalid host channel "<text>": `
 *    and quotes the offending field by name (`size "1."`);
 *  - sizes: every unit spelling in any case, 1024-based; fractions truncated
 *    to whole bytes exactly (no floating point: 4.99...9K is 5119 bytes, not
 *    5K); overflow refused, never wrapped; bounds one page .. half MemTotal;
 *  - paths are cleaned lexically and "/" is refused after cleaning;
 *  - mode words are lowercase only (as mount(8) and the OCI runtime spec
 *    spell them): "RW" is refused. One access word and one propagation word
 *    at most, in either order; a lone propagation word means rw;
 *  - hc_spec_format() gives canonical text that parses back to the same spec,
 *    hc_size_format() picks the largest exact unit, small buffers give ERANGE.
 *
 * Most parse cases use fixed limits (page 4096, max 1 GiB) so that results do
 * not depend on the machine; the "sys_" cases and limits_from_system use the
 * real ones. Every case is its own variant, hence its own KTAP line.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>

#include "kselftest_harness.h"

#include "hostchannel.h"

#define KiB(x) ((uint64_t)(x) << 10)
#define MiB(x) ((uint64_t)(x) << 20)
#define GiB(x) ((uint64_t)(x) << 30)
#define TiB(x) ((uint64_t)(x) << 40)
#define PiB(x) ((uint64_t)(x) << 50)

#define RW false
#define RO true

static const struct hc_limits fixed_limits = {
	.page_size = 4096,
	.max_size = GiB(1),
};

/* ------------------------------------------------------------ hc_spec_parse */

FIXTURE(parse)
{
	/* Here, not on the test's stack: an ASSERT longjmps past cleanup attributes. */
	hc_error_t *err;
	char *prefix;
	struct hc_spec spec;
	struct hc_spec before;
	struct hc_limits system;
};

FIXTURE_VARIANT(parse)
{
	const char *text;
	bool system_limits;
	bool ok;
	/* when ok */
	const char *host;
	const char *container;
	bool readonly;
	enum hc_propagation prop;
	uint64_t size;
	/* when not ok: what the message must quote, and what it must say */
	const char *field;
	const char *problem;
};

#define VALID(name, txt, h, c, ro, pr, sz)                                                         \
	FIXTURE_VARIANT_ADD(parse, name)                                                           \
	{                                                                                          \
		.text = (txt), .ok = true, .host = (h), .container = (c), .readonly = (ro),        \
		.prop = (pr), .size = (sz),                                                        \
	}

#define INVALID(name, txt, fld, why)                                                               \
	FIXTURE_VARIANT_ADD(parse, name)                                                           \
	{                                                                                          \
		.text = (txt), .field = (fld), .problem = (why),                                   \
	}

/* A size case: "/a:/b:rw:<size>". */
#define SIZE_OK(name, sz, bytes) VALID(name, "/a:/b:rw:" sz, "/a", "/b", RW, HC_PROP_DEFAULT, bytes)
#define SIZE_BAD(name, sz, why)	 INVALID(name, "/a:/b:rw:" sz, "size \"" sz "\"", why)

/* Every unit spelling, in several cases. */
SIZE_OK(unit_none, "4096", 4096);
SIZE_OK(unit_b, "8192B", 8192);
SIZE_OK(unit_b_lower, "8192b", 8192);
SIZE_OK(unit_k, "8K", KiB(8));
SIZE_OK(unit_k_lower, "8k", KiB(8));
SIZE_OK(unit_kb, "8KB", KiB(8));
SIZE_OK(unit_kb_mixed, "8kB", KiB(8));
SIZE_OK(unit_ki, "8Ki", KiB(8));
SIZE_OK(unit_ki_lower, "8ki", KiB(8));
SIZE_OK(unit_kib, "8KiB", KiB(8));
SIZE_OK(unit_kib_upper, "8KIB", KiB(8));
SIZE_OK(unit_kib_lower, "8kib", KiB(8));
SIZE_OK(unit_m, "32M", MiB(32));
SIZE_OK(unit_m_lower, "32m", MiB(32));
SIZE_OK(unit_mb, "32MB", MiB(32));
SIZE_OK(unit_mb_lower, "32mb", MiB(32));
SIZE_OK(unit_mi, "32Mi", MiB(32));
SIZE_OK(unit_mib, "32MiB", MiB(32));
SIZE_OK(unit_mib_lower, "32mib", MiB(32));
SIZE_OK(unit_g, "1G", GiB(1));
SIZE_OK(unit_g_lower, "1g", GiB(1));
SIZE_OK(unit_gb, "1GB", GiB(1));
SIZE_OK(unit_gi, "1gI", GiB(1));
SIZE_OK(unit_gib, "1GiB", GiB(1));
/* 2^-10 T and 2^-20 P are exact decimals: 1 GiB, within the fixed bounds. */
SIZE_OK(unit_t, "0.0009765625T", GiB(1));
SIZE_OK(unit_t_lower, "0.0009765625t", GiB(1));
SIZE_OK(unit_tb, "0.0009765625tb", GiB(1));
SIZE_OK(unit_ti, "0.0009765625Ti", GiB(1));
SIZE_OK(unit_tib, "0.0009765625TiB", GiB(1));
SIZE_OK(unit_p, "0.00000095367431640625P", GiB(1));
SIZE_OK(unit_p_lower, "0.00000095367431640625p", GiB(1));
SIZE_OK(unit_pb, "0.00000095367431640625PB", GiB(1));
SIZE_OK(unit_pi, "0.00000095367431640625pi", GiB(1));
SIZE_OK(unit_pib, "0.00000095367431640625PiB", GiB(1));
SIZE_BAD(unit_unknown, "1X", "unknown unit \"X\"");
SIZE_BAD(unit_doubled, "1MM", "unknown unit \"MM\"");
SIZE_BAD(unit_kbb, "8KBB", "unknown unit \"KBB\"");
SIZE_BAD(unit_i_alone, "8i", "unknown unit \"i\"");
SIZE_BAD(unit_exa, "1E", "unknown unit \"E\"");
SIZE_BAD(unit_only, "M", "is not a number");

/* Fractions, truncated to whole bytes. */
SIZE_OK(frac_1_5m, "1.5M", MiB(3) / 2);
SIZE_OK(frac_4_5k, "4.5K", 4608);
SIZE_OK(frac_0_25g, "0.25G", MiB(256));
SIZE_OK(frac_0_75g_upper, "0.75GIB", MiB(768));
SIZE_OK(frac_4_1k_truncated, "4.1K", 4096 + 102);
SIZE_OK(frac_4_0001k_truncated, "4.0001K", 4096);
SIZE_OK(frac_bytes_truncated, "4097.9", 4097);
SIZE_OK(frac_leading_zeros, "0004.50K", 4608);
SIZE_OK(frac_many_nines, "4.99999999999999999999999999999999K", KiB(5) - 1);
SIZE_OK(frac_many_digits,
	"1.0000000000000000000000000000000000000000000000000000000000000000000000000"
	"000000000000000000000000001M",
	MiB(1));
SIZE_BAD(frac_2_25g_above_max, "2.25G", "above half of MemTotal (1073741824 bytes)");

/* Bounds: fixed limits of one page (4096) and 1 GiB. */
SIZE_OK(bound_one_page, "4096", 4096);
SIZE_OK(bound_one_page_k, "4K", 4096);
SIZE_OK(bound_exact_max, "1073741824", GiB(1));
SIZE_OK(bound_exact_max_k, "1048576K", GiB(1));
SIZE_BAD(bound_below_page, "4095", "below one page (4096 bytes)");
SIZE_BAD(bound_1k, "1k", "below one page (4096 bytes)");
SIZE_BAD(bound_0_5k, "0.5K", "below one page (4096 bytes)");
SIZE_BAD(bound_zero, "0", "is zero");
SIZE_BAD(bound_zero_m, "0M", "is zero");
SIZE_BAD(bound_zero_fraction, "0.5", "is zero");
SIZE_BAD(bound_max_plus_one, "1073741825", "above half of MemTotal (1073741824 bytes)");
SIZE_BAD(bound_max_plus_1k, "1048577K", "above half of MemTotal (1073741824 bytes)");
SIZE_BAD(bound_1t, "1T", "above half of MemTotal");
SIZE_BAD(bound_1p, "1P", "above half of MemTotal");

/* Overflow of 64 bits is refused, never wrapped. */
SIZE_BAD(overflow_p, "99999999999P", "too large");
SIZE_BAD(overflow_2_64, "18446744073709551616", "too large");
SIZE_BAD(overflow_16384p, "16384P", "too large");
SIZE_BAD(overflow_long_digits, "100000000000000000000000000000000000000K", "too large");
SIZE_BAD(overflow_fraction_carry, "16383.99999999999999999999999999999P", "above half of MemTotal");
SIZE_BAD(no_overflow_2_64_minus_1, "18446744073709551615", "above half of MemTotal");

/* Number syntax. */
SIZE_BAD(sign_plus, "+1M", "has a sign");
SIZE_BAD(sign_minus, "-1M", "has a sign");
SIZE_BAD(leading_dot, ".5M", "starts with '.'");
SIZE_BAD(trailing_dot, "1.", "no digit after '.'");
SIZE_BAD(trailing_dot_unit, "8.M", "no digit after '.'");
SIZE_BAD(double_dot, "1..5M", "no digit after '.'");
SIZE_BAD(two_fractions, "1.5.5M", "unknown unit \".5M\"");
SIZE_BAD(exponent, "1e3", "unknown unit \"e3\"");
SIZE_BAD(hex, "0x10", "unknown unit \"x10\"");
SIZE_BAD(space_inside, "1 M", "white space");
SIZE_BAD(space_leading, " 1M", "white space");
SIZE_BAD(space_trailing, "1M ", "white space");
SIZE_BAD(comma_decimal, "1,5M", "unknown unit \",5M\"");

/* Field counts: two to four. */
INVALID(fields_empty_string, "", "got 1 field", "expected <host path>:<container path>");
INVALID(fields_1, "/a", "got 1 field", "expected <host path>:<container path>[:<rw|ro>[:<size>]]");
VALID(fields_2, "/a:/b", "/a", "/b", RW, HC_PROP_DEFAULT, HC_DEFAULT_SIZE);
VALID(fields_3, "/a:/b:ro", "/a", "/b", RO, HC_PROP_DEFAULT, HC_DEFAULT_SIZE);
VALID(fields_4, "/a:/b:ro:32M", "/a", "/b", RO, HC_PROP_DEFAULT, MiB(32));
INVALID(fields_5, "/a:/b:ro:32M:x", "got 5 fields", "expected <host path>:<container path>");
INVALID(fields_6, "/a:/b:ro:32M:x:y", "got 6 fields", "expected <host path>:<container path>");
INVALID(fields_5_empty, "::::", "got 5 fields", "expected <host path>:<container path>");
INVALID(fields_colon_alone, ":", "host path \"\"", "is empty");
INVALID(fields_colons_only, ":::", "host path \"\"", "is empty");

/* Empty fields: mode and size take their defaults, paths are required. */
VALID(empty_mode_and_size, "/a:/b::", "/a", "/b", RW, HC_PROP_DEFAULT, HC_DEFAULT_SIZE);
VALID(empty_size, "/a:/b:ro:", "/a", "/b", RO, HC_PROP_DEFAULT, HC_DEFAULT_SIZE);
VALID(empty_mode, "/a:/b::32M", "/a", "/b", RW, HC_PROP_DEFAULT, MiB(32));
INVALID(empty_host, ":/b", "host path \"\"", "is empty");
INVALID(empty_container, "/a:", "container path \"\"", "is empty");
INVALID(empty_container_full, "/a::rw:1M", "container path \"\"", "is empty");

/* Paths must be absolute. */
INVALID(relative_host, "a:/b", "host path \"a\"", "is not absolute");
INVALID(relative_container, "/a:b", "container path \"b\"", "is not absolute");
INVALID(relative_dot_host, "./a:/b", "host path \"./a\"", "is not absolute");
INVALID(relative_tilde_container, "/a:~/b", "container path \"~/b\"", "is not absolute");

/* Lexical cleaning. */
VALID(clean_double_slash, "//a//b/:/c", "/a/b", "/c", RW, HC_PROP_DEFAULT, HC_DEFAULT_SIZE);
VALID(clean_dot, "/a/./b:/c", "/a/b", "/c", RW, HC_PROP_DEFAULT, HC_DEFAULT_SIZE);
VALID(clean_dotdot, "/a/b/..:/c", "/a", "/c", RW, HC_PROP_DEFAULT, HC_DEFAULT_SIZE);
VALID(clean_dotdot_at_root, "/../a:/c", "/a", "/c", RW, HC_PROP_DEFAULT, HC_DEFAULT_SIZE);
VALID(clean_dotdot_twice, "/a/b/../../c:/d", "/c", "/d", RW, HC_PROP_DEFAULT, HC_DEFAULT_SIZE);
VALID(clean_container, "/a:/x//y/./z/../", "/a", "/x/y", RW, HC_PROP_DEFAULT, HC_DEFAULT_SIZE);
VALID(clean_trailing_slash, "/a/:/b/", "/a", "/b", RW, HC_PROP_DEFAULT, HC_DEFAULT_SIZE);
VALID(clean_dot_names_kept, "/a/.h/..c:/b/...", "/a/.h/..c", "/b/...", RW, HC_PROP_DEFAULT,
      HC_DEFAULT_SIZE);

/* Paths that clean to "/" are refused; the message quotes what was given. */
INVALID(root_host, "/:/b", "host path \"/\"", "root directory");
INVALID(root_host_double_slash, "//:/b", "host path \"//\"", "root directory");
INVALID(root_host_dotdot, "/a/..:/b", "host path \"/a/..\"", "root directory");
INVALID(root_host_dot, "/.:/b", "host path \"/.\"", "root directory");
INVALID(root_container, "/a:/", "container path \"/\"", "root directory");
INVALID(root_container_dotdot, "/a:/x/../..", "container path \"/x/../..\"", "root directory");

/* Modes; lowercase only. */
VALID(mode_rw, "/a:/b:rw", "/a", "/b", RW, HC_PROP_DEFAULT, HC_DEFAULT_SIZE);
VALID(mode_ro, "/a:/b:ro", "/a", "/b", RO, HC_PROP_DEFAULT, HC_DEFAULT_SIZE);
VALID(mode_ro_rslave, "/a:/b:ro,rslave", "/a", "/b", RO, HC_PROP_RSLAVE, HC_DEFAULT_SIZE);
VALID(mode_rslave_ro, "/a:/b:rslave,ro", "/a", "/b", RO, HC_PROP_RSLAVE, HC_DEFAULT_SIZE);
VALID(mode_shared_alone, "/a:/b:shared", "/a", "/b", RW, HC_PROP_SHARED, HC_DEFAULT_SIZE);
VALID(mode_rw_private, "/a:/b:rw,private:1M", "/a", "/b", RW, HC_PROP_PRIVATE, MiB(1));
VALID(mode_rprivate_rw, "/a:/b:rprivate,rw", "/a", "/b", RW, HC_PROP_RPRIVATE, HC_DEFAULT_SIZE);
VALID(mode_ro_rshared, "/a:/b:ro,rshared", "/a", "/b", RO, HC_PROP_RSHARED, HC_DEFAULT_SIZE);
VALID(mode_slave_alone, "/a:/b:slave", "/a", "/b", RW, HC_PROP_SLAVE, HC_DEFAULT_SIZE);
VALID(mode_ro_unbindable, "/a:/b:ro,unbindable", "/a", "/b", RO, HC_PROP_UNBINDABLE,
      HC_DEFAULT_SIZE);
VALID(mode_runbindable_ro, "/a:/b:runbindable,ro:8K", "/a", "/b", RO, HC_PROP_RUNBINDABLE, KiB(8));
INVALID(mode_upper_rw, "/a:/b:RW", "mode \"RW\"", "unknown word \"RW\"");
INVALID(mode_mixed_ro, "/a:/b:Ro", "mode \"Ro\"", "unknown word \"Ro\"");
INVALID(mode_upper_propagation, "/a:/b:ro,RSLAVE", "mode \"ro,RSLAVE\"", "unknown word \"RSLAVE\"");
INVALID(mode_ro_ro, "/a:/b:ro,ro", "mode \"ro,ro\"", "two access modes");
INVALID(mode_rw_ro, "/a:/b:rw,ro", "mode \"rw,ro\"", "two access modes");
INVALID(mode_two_propagations, "/a:/b:shared,slave", "mode \"shared,slave\"",
	"two propagation words");
INVALID(mode_ro_bogus, "/a:/b:ro,bogus", "mode \"ro,bogus\"", "unknown word \"bogus\"");
INVALID(mode_ro_comma, "/a:/b:ro,", "mode \"ro,\"", "empty word");
INVALID(mode_comma_ro, "/a:/b:,ro", "mode \",ro\"", "empty word");
INVALID(mode_comma_alone, "/a:/b:,", "mode \",\"", "empty word");
INVALID(mode_three_words, "/a:/b:ro,rslave,shared", "mode \"ro,rslave,shared\"",
	"more than two words");
INVALID(mode_z, "/a:/b:z", "mode \"z\"", "unknown word \"z\"");
INVALID(mode_upper_z, "/a:/b:Z", "mode \"Z\"", "unknown word \"Z\"");
INVALID(mode_nocopy, "/a:/b:nocopy", "mode \"nocopy\"", "unknown word \"nocopy\"");
INVALID(mode_space, "/a:/b:ro, rslave", "mode \"ro, rslave\"", "unknown word \" rslave\"");
INVALID(mode_long_word, "/a:/b:readonlyreadonlyreadonly", "mode \"readonlyreadonlyreadonly\"",
	"unknown word");

/* An early field's error wins: fields are checked left to right. */
INVALID(order_host_first, "a:b:x:y", "host path \"a\"", "is not absolute");
INVALID(order_mode_before_size, "/a:/b:x:y", "mode \"x\"", "unknown word");

/* With the machine's own limits. */
FIXTURE_VARIANT_ADD(parse, sys_default_size){
	.text = "/a:/b",
	.system_limits = true,
	.ok = true,
	.host = "/a",
	.container = "/b",
	.readonly = RW,
	.prop = HC_PROP_DEFAULT,
	.size = HC_DEFAULT_SIZE,
};

FIXTURE_VARIANT_ADD(parse, sys_one_page){
	.text = "/a:/b:ro,rslave:1B",
	.system_limits = true,
	.field = "size \"1B\"",
	.problem = "below one page",
};

FIXTURE_VARIANT_ADD(parse, sys_above_half_memtotal){
	.text = "/a:/b:rw:16383P",
	.system_limits = true,
	.field = "size \"16383P\"",
	.problem = "above half of MemTotal",
};

FIXTURE_SETUP(parse)
{
	ASSERT_EQ(0, hc_limits_from_system(&self->system, &self->err))
	{
		TH_LOG("hc_limits_from_system: %s", self->err->msg);
	}
	/* A pattern the parser would never write, to see that a refusal writes nothing. */
	memset(&self->spec, 0xa5, sizeof(self->spec));
	self->before = self->spec;
	ASSERT_LE(0, asprintf(&self->prefix, "invalid host channel \"%s\": ", variant->text));
}

FIXTURE_TEARDOWN(parse)
{
	hc_error_free(&self->err);
	free(self->prefix);
}

TEST_F(parse, parses)
{
	const struct hc_limits *limits = variant->system_limits ? NULL : &fixed_limits;
	const char *msg;
	int ret;

	if (variant->ok && variant->system_limits && variant->size > self->system.max_size)
		SKIP(return, "half of MemTotal (%llu bytes) is below %llu bytes",
			   (unsigned long long)self->system.max_size,
			   (unsigned long long)variant->size);

	ret = hc_spec_parse(variant->text, limits, &self->spec, &self->err);
	if (variant->ok) {
		ASSERT_EQ(0, ret)
		{
			TH_LOG("\"%s\" refused: %s", variant->text, self->err->msg);
		}
		ASSERT_EQ(NULL, self->err);
		EXPECT_STREQ(variant->host, self->spec.host_path);
		EXPECT_STREQ(variant->container, self->spec.container_path);
		EXPECT_EQ(variant->readonly, self->spec.readonly);
		EXPECT_EQ(variant->prop, self->spec.propagation);
		EXPECT_EQ(variant->size, self->spec.size);
		return;
	}

	ASSERT_EQ(-1, ret)
	{
		TH_LOG("\"%s\" accepted", variant->text);
	}
	ASSERT_NE(NULL, self->err);
	msg = self->err->msg;
	ASSERT_NE(NULL, msg);
	EXPECT_EQ(EINVAL, self->err->errnum);
	EXPECT_EQ(0, strncmp(msg, self->prefix, strlen(self->prefix)))
	{
		TH_LOG("message \"%s\" does not start with \"%s\"", msg, self->prefix);
	}
	EXPECT_NE(NULL, strstr(msg + strlen(self->prefix), variant->field))
	{
		TH_LOG("message \"%s\" does not quote \"%s\"", msg, variant->field);
	}
	EXPECT_NE(NULL, strstr(msg + strlen(self->prefix), variant->problem))
	{
		TH_LOG("message \"%s\" does not say \"%s\"", msg, variant->problem);
	}
	EXPECT_EQ(0, memcmp(&self->before, &self->spec, sizeof(self->spec)))
	{
		TH_LOG("a refused option changed the output spec");
	}
	EXPECT_EQ(NULL, strchr(msg, '\n'));
}

/* ------------------------------------------------------------ hc_size_parse */

FIXTURE(size_parse)
{
	hc_error_t *err;
};

FIXTURE_VARIANT(size_parse)
{
	const char *text;
	bool ok;
	uint64_t bytes;
	const char *problem;
};

#define SIZE_PARSE_OK(name, txt, b)                                                                \
	FIXTURE_VARIANT_ADD(size_parse, name)                                                      \
	{                                                                                          \
		.text = (txt), .ok = true, .bytes = (b),                                           \
	}
#define SIZE_PARSE_BAD(name, txt, why)                                                             \
	FIXTURE_VARIANT_ADD(size_parse, name)                                                      \
	{                                                                                          \
		.text = (txt), .problem = (why),                                                   \
	}

/* No bounds here except 64 bits: zero and sub-page sizes parse. */
SIZE_PARSE_OK(zero, "0", 0);
SIZE_PARSE_OK(half_byte, "0.5", 0);
SIZE_PARSE_OK(one_and_half_byte, "1.5B", 1);
SIZE_PARSE_OK(half_k, "0.5K", 512);
SIZE_PARSE_OK(tenth_k, "0.1K", 102);
SIZE_PARSE_OK(almost_one_k, "0.999K", 1022);
SIZE_PARSE_OK(one_and_half_m, "1.5m", MiB(3) / 2);
SIZE_PARSE_OK(two_and_quarter_g, "2.25G", GiB(9) / 4);
SIZE_PARSE_OK(three_t, "3TiB", TiB(3));
SIZE_PARSE_OK(one_p, "1pb", PiB(1));
SIZE_PARSE_OK(max_decimal, "18446744073709551615", UINT64_MAX);
/* 16383P plus all but the last byte of the next P: exactly 2^64 - 1. */
SIZE_PARSE_OK(max_by_fraction, "16383.99999999999999999999999999999P", UINT64_MAX);
SIZE_PARSE_OK(max_p_exact, "16383P", PiB(16383));
SIZE_PARSE_BAD(overflow_decimal, "18446744073709551616", "too large");
SIZE_PARSE_BAD(overflow_p, "16384P", "too large");
SIZE_PARSE_BAD(overflow_t, "17179869184T", "too large");
SIZE_PARSE_BAD(overflow_huge, "99999999999P", "too large");
SIZE_PARSE_BAD(empty, "", "is empty");
SIZE_PARSE_BAD(sign, "+4096", "has a sign");
SIZE_PARSE_BAD(trailing_dot, "4096.", "no digit after '.'");
SIZE_PARSE_BAD(unit_unknown, "4q", "unknown unit \"q\"");

FIXTURE_SETUP(size_parse)
{
}

FIXTURE_TEARDOWN(size_parse)
{
	hc_error_free(&self->err);
}

TEST_F(size_parse, parses)
{
	uint64_t bytes = 42;
	int ret = hc_size_parse(variant->text, &bytes, &self->err);

	if (variant->ok) {
		ASSERT_EQ(0, ret)
		{
			TH_LOG("\"%s\" refused: %s", variant->text, self->err->msg);
		}
		EXPECT_EQ(variant->bytes, bytes);
		return;
	}
	ASSERT_EQ(-1, ret);
	ASSERT_NE(NULL, self->err);
	EXPECT_EQ(EINVAL, self->err->errnum);
	EXPECT_EQ(42, bytes);
	EXPECT_NE(NULL, strstr(self->err->msg, variant->problem))
	{
		TH_LOG("message \"%s\" does not say \"%s\"", self->err->msg, variant->problem);
	}
}

/* ----------------------------------------------------------- hc_size_format */

FIXTURE(size_format){};

FIXTURE_VARIANT(size_format)
{
	uint64_t bytes;
	const char *text;
};

#define SIZE_FORMAT(name, b, txt)                                                                  \
	FIXTURE_VARIANT_ADD(size_format, name)                                                     \
	{                                                                                          \
		.bytes = (b), .text = (txt),                                                       \
	}

SIZE_FORMAT(zero, 0, "0");
SIZE_FORMAT(one, 1, "1");
SIZE_FORMAT(below_k, 1023, "1023");
SIZE_FORMAT(one_k, 1024, "1K");
SIZE_FORMAT(k_and_half, 1536, "1536");
SIZE_FORMAT(one_page, 4096, "4K");
SIZE_FORMAT(k_not_m, KiB(1025), "1025K");
SIZE_FORMAT(m_and_half, MiB(3) / 2, "1536K");
SIZE_FORMAT(default_size, HC_DEFAULT_SIZE, "64M");
SIZE_FORMAT(three_g, GiB(3), "3G");
SIZE_FORMAT(five_t, TiB(5), "5T");
SIZE_FORMAT(one_p, PiB(1), "1P");
SIZE_FORMAT(no_exa, PiB(1024), "1024P");
SIZE_FORMAT(two_63, 1ULL << 63, "8192P");
SIZE_FORMAT(max, UINT64_MAX, "18446744073709551615");

FIXTURE_SETUP(size_format)
{
}

FIXTURE_TEARDOWN(size_format)
{
}

TEST_F(size_format, formats)
{
	char buf[32];
	uint64_t back = 0;
	hc_error_t *err = NULL;

	ASSERT_EQ(0, hc_size_format(variant->bytes, buf, sizeof(buf)));
	ASSERT_STREQ(variant->text, buf);
	/* The exact fit: length plus the NUL. */
	ASSERT_EQ(0, hc_size_format(variant->bytes, buf, strlen(variant->text) + 1));
	ASSERT_STREQ(variant->text, buf);
	errno = 0;
	ASSERT_EQ(-1, hc_size_format(variant->bytes, buf, strlen(variant->text)));
	ASSERT_EQ(ERANGE, errno);
	/* And it parses back. */
	ASSERT_EQ(0, hc_size_format(variant->bytes, buf, sizeof(buf)));
	ASSERT_EQ(0, hc_size_parse(buf, &back, &err));
	ASSERT_EQ(variant->bytes, back);
}

/* ------------------------------------------------------------ hc_path_clean */

FIXTURE(path_clean)
{
	hc_error_t *err;
	char *long_path;
};

FIXTURE_VARIANT(path_clean)
{
	const char *in;
	const char *out; /* NULL: refused */
	const char *problem;
};

#define CLEAN_OK(name, i, o)                                                                       \
	FIXTURE_VARIANT_ADD(path_clean, name)                                                      \
	{                                                                                          \
		.in = (i), .out = (o),                                                             \
	}
#define CLEAN_BAD(name, i, why)                                                                    \
	FIXTURE_VARIANT_ADD(path_clean, name)                                                      \
	{                                                                                          \
		.in = (i), .problem = (why),                                                       \
	}

/* Unlike hc_spec_parse, the cleaner itself accepts "/". */
CLEAN_OK(root, "/", "/");
CLEAN_OK(root_double, "//", "/");
CLEAN_OK(root_dot, "/.", "/");
CLEAN_OK(root_dotdot, "/..", "/");
CLEAN_OK(up_to_root, "/a/..", "/");
CLEAN_OK(past_root, "/a/b/../../..", "/");
CLEAN_OK(trailing_slash, "/a/b/", "/a/b");
CLEAN_OK(many_slashes, "///a///b///", "/a/b");
CLEAN_OK(dots, "/a/./b/.", "/a/b");
CLEAN_OK(dotdot_middle, "/a/b/../c", "/a/c");
CLEAN_OK(dotdot_leading, "/../../a", "/a");
CLEAN_OK(dot_names, "/a/.b/..c/...", "/a/.b/..c/...");
CLEAN_OK(already_clean, "/srv/channel", "/srv/channel");
CLEAN_BAD(empty, "", "path \"\" is empty");
CLEAN_BAD(relative, "a/b", "path \"a/b\" is not absolute");
CLEAN_BAD(relative_dot, "./a", "path \"./a\" is not absolute");
CLEAN_BAD(tilde, "~", "path \"~\" is not absolute");

FIXTURE_SETUP(path_clean)
{
}

FIXTURE_TEARDOWN(path_clean)
{
	hc_error_free(&self->err);
	free(self->long_path);
}

TEST_F(path_clean, cleans)
{
	char out[PATH_MAX];
	int ret;

	memset(out, 'x', sizeof(out));
	ret = hc_path_clean(variant->in, out, sizeof(out), &self->err);
	if (variant->out != NULL) {
		ASSERT_EQ(0, ret)
		{
			TH_LOG("\"%s\" refused: %s", variant->in, self->err->msg);
		}
		ASSERT_STREQ(variant->out, out);
		return;
	}
	ASSERT_EQ(-1, ret);
	ASSERT_NE(NULL, self->err);
	EXPECT_EQ(EINVAL, self->err->errnum);
	EXPECT_NE(NULL, strstr(self->err->msg, variant->problem))
	{
		TH_LOG("message \"%s\" does not say \"%s\"", self->err->msg, variant->problem);
	}
}

/* ------------------------------------------------- one-off cases, no table */

FIXTURE(spec)
{
	hc_error_t *err;
	char *text;
	char *path;
};

FIXTURE_SETUP(spec)
{
}

FIXTURE_TEARDOWN(spec)
{
	hc_error_free(&self->err);
	free(self->text);
	free(self->path);
}

/* The contract's own example, word for word. */
TEST_F(spec, contract_example_message)
{
	struct hc_spec spec;

	ASSERT_EQ(-1, hc_spec_parse("/a:b", &fixed_limits, &spec, &self->err));
	ASSERT_NE(NULL, self->err);
	ASSERT_EQ(0, strncmp(self->err->msg,
			     "invalid host channel \"/a:b\": container path \"b\" is not absolute",
			     strlen("invalid host channel \"/a:b\": container path \"b\" is not "
				    "absolute")))
	{
		TH_LOG("got \"%s\"", self->err->msg);
	}
}

/*
 * A path may hold any byte but NUL; the message quoting it stays one line
 * with control bytes as C escapes (found by fuzz_spec).
 */
TEST_F(spec, control_bytes_escaped_in_message)
{
	struct hc_spec spec;

	ASSERT_EQ(-1, hc_spec_parse("/a:b\nc\001", &fixed_limits, &spec, &self->err));
	ASSERT_STREQ("invalid host channel \"/a:b\\nc\\001\": container path \"b\\nc\\001\" "
		     "is not absolute; expected a path starting with '/'",
		     self->err->msg);
	hc_error_free(&self->err);
	/* A tab is white space to the size grammar, and \t in the message. */
	ASSERT_EQ(-1, hc_spec_parse("/a:/b:rw:1\tM", &fixed_limits, &spec, &self->err));
	ASSERT_EQ(0, strncmp(self->err->msg,
			     "invalid host channel \"/a:/b:rw:1\\tM\": size \"1\\tM\" contains "
			     "white space",
			     strlen("invalid host channel \"/a:/b:rw:1\\tM\": size \"1\\tM\" "
				    "contains white space")))
	{
		TH_LOG("got \"%s\"", self->err->msg);
	}
}

TEST_F(spec, field_count_message)
{
	struct hc_spec spec;

	ASSERT_EQ(-1, hc_spec_parse("/a", &fixed_limits, &spec, &self->err));
	ASSERT_STREQ("invalid host channel \"/a\": expected "
		     "<host path>:<container path>[:<rw|ro>[:<size>]], got 1 field",
		     self->err->msg);
}

/* A caller that does not want the message still gets the refusal. */
TEST_F(spec, refused_without_error_object)
{
	struct hc_spec spec;
	uint64_t bytes;
	char out[16];

	EXPECT_EQ(-1, hc_spec_parse("/a:b", &fixed_limits, &spec, NULL));
	EXPECT_EQ(-1, hc_size_parse("1.", &bytes, NULL));
	EXPECT_EQ(-1, hc_path_clean("a", out, sizeof(out), NULL));
	EXPECT_EQ(-1, hc_spec_parse(NULL, &fixed_limits, &spec, NULL));
}

TEST_F(spec, limits_from_system)
{
	struct hc_limits limits = {0};
	unsigned long long kib = 0;
	char line[256];
	FILE *f;

	ASSERT_EQ(0, hc_limits_from_system(&limits, &self->err))
	{
		TH_LOG("%s", self->err->msg);
	}
	ASSERT_EQ((uint64_t)sysconf(_SC_PAGESIZE), limits.page_size);

	f = fopen("/proc/meminfo", "re");
	ASSERT_NE(NULL, f);
	while (fgets(line, sizeof(line), f) != NULL) {
		if (sscanf(line, "MemTotal: %llu kB", &kib) == 1)
			break;
	}
	fclose(f);
	ASSERT_NE(0, kib);
	ASSERT_EQ((uint64_t)kib * 1024 / 2, limits.max_size);
	ASSERT_LE(limits.page_size, limits.max_size);
}

TEST_F(spec, path_clean_in_place)
{
	char buf[] = "/a//b/../c/.";

	ASSERT_EQ(0, hc_path_clean(buf, buf, sizeof(buf), &self->err));
	ASSERT_STREQ("/a/c", buf);
}

TEST_F(spec, path_clean_small_buffer_erange)
{
	char out[9];

	/* "/abcdefg" needs 9 bytes, with its NUL; the input may be longer. */
	ASSERT_EQ(-1, hc_path_clean("/abcdefg", out, sizeof(out) - 1, &self->err));
	ASSERT_NE(NULL, self->err);
	ASSERT_EQ(ERANGE, self->err->errnum);
	hc_error_free(&self->err);
	ASSERT_EQ(0, hc_path_clean("/x/../abcdefg/.//", out, sizeof(out), &self->err));
	ASSERT_STREQ("/abcdefg", out);
}

/* PATH_MAX counts the NUL: PATH_MAX - 1 characters is the longest path. */
TEST_F(spec, path_clean_longest_accepted)
{
	char out[PATH_MAX];

	self->path = malloc(PATH_MAX);
	ASSERT_NE(NULL, self->path);
	memset(self->path, 'a', PATH_MAX - 1);
	self->path[0] = '/';
	self->path[PATH_MAX - 1] = '\0';
	ASSERT_EQ(0, hc_path_clean(self->path, out, sizeof(out), &self->err));
	ASSERT_STREQ(self->path, out);
}

TEST_F(spec, path_clean_too_long_refused)
{
	char out[PATH_MAX];

	self->path = malloc(PATH_MAX + 1);
	ASSERT_NE(NULL, self->path);
	memset(self->path, 'a', PATH_MAX);
	self->path[0] = '/';
	self->path[PATH_MAX] = '\0';
	ASSERT_EQ(-1, hc_path_clean(self->path, out, sizeof(out), &self->err));
	ASSERT_NE(NULL, strstr(self->err->msg, "too long"));
}

/* The limit is on the text given, even when it would clean to something short. */
TEST_F(spec, path_clean_too_long_even_if_short_once_clean)
{
	char out[PATH_MAX];

	self->path = malloc(2 * PATH_MAX + 3);
	ASSERT_NE(NULL, self->path);
	for (int i = 0; i < PATH_MAX; i++)
		memcpy(self->path + 2 * i, "/.", 2);
	strcpy(self->path + 2 * PATH_MAX, "/a");
	ASSERT_EQ(-1, hc_path_clean(self->path, out, sizeof(out), &self->err));
	ASSERT_NE(NULL, strstr(self->err->msg, "too long"));
}

TEST_F(spec, spec_parse_too_long_host_path)
{
	struct hc_spec spec;

	self->text = malloc(PATH_MAX + 8);
	ASSERT_NE(NULL, self->text);
	memset(self->text, 'h', PATH_MAX + 1);
	self->text[0] = '/';
	strcpy(self->text + PATH_MAX + 1, ":/b");
	ASSERT_EQ(-1, hc_spec_parse(self->text, &fixed_limits, &spec, &self->err));
	ASSERT_EQ(EINVAL, self->err->errnum);
	ASSERT_NE(NULL, strstr(self->err->msg, ": host path \"/hhh"));
	ASSERT_NE(NULL, strstr(self->err->msg, "too long"));
}

TEST_F(spec, spec_format_small_buffer_erange)
{
	struct hc_spec spec;
	const char *want = "/a:/b:ro,rslave:32M";
	char buf[64];

	ASSERT_EQ(0, hc_spec_parse("/a:/b:rslave,ro:32M", &fixed_limits, &spec, &self->err));
	ASSERT_EQ(0, hc_spec_format(&spec, buf, strlen(want) + 1));
	ASSERT_STREQ(want, buf);
	errno = 0;
	ASSERT_EQ(-1, hc_spec_format(&spec, buf, strlen(want)));
	ASSERT_EQ(ERANGE, errno);
	errno = 0;
	ASSERT_EQ(-1, hc_spec_format(&spec, buf, 0));
	ASSERT_EQ(ERANGE, errno);
}

TEST_F(spec, size_format_small_buffer_erange)
{
	char buf[4];

	errno = 0;
	ASSERT_EQ(-1, hc_size_format(KiB(1), buf, 2));
	ASSERT_EQ(ERANGE, errno);
	errno = 0;
	ASSERT_EQ(-1, hc_size_format(0, buf, 0));
	ASSERT_EQ(ERANGE, errno);
	ASSERT_EQ(0, hc_size_format(KiB(1), buf, 3));
	ASSERT_STREQ("1K", buf);
}

/* A spec made by hand that no text could produce is refused, not mangled. */
TEST_F(spec, spec_format_refuses_what_cannot_parse_back)
{
	struct hc_spec spec;
	char buf[64];

	ASSERT_EQ(0, hc_spec_parse("/a:/b", &fixed_limits, &spec, &self->err));
	spec.propagation = (enum hc_propagation)99;
	errno = 0;
	ASSERT_EQ(-1, hc_spec_format(&spec, buf, sizeof(buf)));
	ASSERT_EQ(EINVAL, errno);

	ASSERT_EQ(0, hc_spec_parse("/a:/b", &fixed_limits, &spec, &self->err));
	strcpy(spec.host_path, "/a:b");
	errno = 0;
	ASSERT_EQ(-1, hc_spec_format(&spec, buf, sizeof(buf)));
	ASSERT_EQ(EINVAL, errno);
}

TEST_F(spec, propagation_unknown_value)
{
	EXPECT_EQ(NULL, hc_propagation_name((enum hc_propagation)99));
	EXPECT_EQ(NULL, hc_propagation_name((enum hc_propagation) - 1));
	EXPECT_EQ(0, hc_propagation_flags((enum hc_propagation)99));
}

/* ---------------------------------------------- hc_spec_format round trips */

FIXTURE(round_trip)
{
	hc_error_t *err;
};

FIXTURE_VARIANT(round_trip)
{
	const char *text;
	const char *canonical;
};

#define ROUND_TRIP(name, txt, canon)                                                               \
	FIXTURE_VARIANT_ADD(round_trip, name)                                                      \
	{                                                                                          \
		.text = (txt), .canonical = (canon),                                               \
	}

ROUND_TRIP(defaults, "/a:/b", "/a:/b:rw:64M");
ROUND_TRIP(empty_fields, "/a:/b::", "/a:/b:rw:64M");
ROUND_TRIP(cleaned_and_fraction, "//x/./y/:/c/../d:rslave,ro:1.5M", "/x/y:/d:ro,rslave:1536K");
ROUND_TRIP(explicit_rprivate, "/a:/b:rprivate:4096", "/a:/b:rw,rprivate:4K");
ROUND_TRIP(odd_bytes, "/a:/b:ro:1073741823", "/a:/b:ro:1073741823");
ROUND_TRIP(shared_first, "/a:/b:shared,rw:4097", "/a:/b:rw,shared:4097");
ROUND_TRIP(runbindable, "/srv/ch:/run/ch:ro,runbindable:0.25g",
	   "/srv/ch:/run/ch:ro,runbindable:256M");
ROUND_TRIP(private_kib, "/a:/b:private:8KiB", "/a:/b:rw,private:8K");
ROUND_TRIP(max, "/a:/b:ro:1G", "/a:/b:ro:1G");
ROUND_TRIP(slave, "/a/b/c:/d/e:slave:3m", "/a/b/c:/d/e:rw,slave:3M");

FIXTURE_SETUP(round_trip)
{
}

FIXTURE_TEARDOWN(round_trip)
{
	hc_error_free(&self->err);
}

TEST_F(round_trip, format_parse)
{
	struct hc_spec first, second;
	char buf[2 * PATH_MAX + 64], again[2 * PATH_MAX + 64];

	ASSERT_EQ(0, hc_spec_parse(variant->text, &fixed_limits, &first, &self->err));
	ASSERT_EQ(0, hc_spec_format(&first, buf, sizeof(buf)));
	ASSERT_STREQ(variant->canonical, buf);
	ASSERT_EQ(0, hc_spec_parse(buf, &fixed_limits, &second, &self->err))
	{
		TH_LOG("\"%s\" refused: %s", buf, self->err->msg);
	}
	EXPECT_STREQ(first.host_path, second.host_path);
	EXPECT_STREQ(first.container_path, second.container_path);
	EXPECT_EQ(first.readonly, second.readonly);
	EXPECT_EQ(first.propagation, second.propagation);
	EXPECT_EQ(first.size, second.size);
	/* Canonical means a fixed point. */
	ASSERT_EQ(0, hc_spec_format(&second, again, sizeof(again)));
	EXPECT_STREQ(buf, again);
}

/* ------------------------------------------------------------- propagation */

FIXTURE(propagation){};

FIXTURE_VARIANT(propagation)
{
	enum hc_propagation prop;
	const char *name;
	unsigned long flags;
};

#define PROPAGATION(id, p, n, f)                                                                   \
	FIXTURE_VARIANT_ADD(propagation, id)                                                       \
	{                                                                                          \
		.prop = (p), .name = (n), .flags = (f),                                            \
	}

PROPAGATION(default_is_rprivate, HC_PROP_DEFAULT, "rprivate", MS_PRIVATE | MS_REC);
PROPAGATION(private, HC_PROP_PRIVATE, "private", MS_PRIVATE);
PROPAGATION(rprivate, HC_PROP_RPRIVATE, "rprivate", MS_PRIVATE | MS_REC);
PROPAGATION(shared, HC_PROP_SHARED, "shared", MS_SHARED);
PROPAGATION(rshared, HC_PROP_RSHARED, "rshared", MS_SHARED | MS_REC);
PROPAGATION(slave, HC_PROP_SLAVE, "slave", MS_SLAVE);
PROPAGATION(rslave, HC_PROP_RSLAVE, "rslave", MS_SLAVE | MS_REC);
PROPAGATION(unbindable, HC_PROP_UNBINDABLE, "unbindable", MS_UNBINDABLE);
PROPAGATION(runbindable, HC_PROP_RUNBINDABLE, "runbindable", MS_UNBINDABLE | MS_REC);

FIXTURE_SETUP(propagation)
{
}

FIXTURE_TEARDOWN(propagation)
{
}

TEST_F(propagation, name_and_flags)
{
	ASSERT_NE(NULL, hc_propagation_name(variant->prop));
	EXPECT_STREQ(variant->name, hc_propagation_name(variant->prop));
	EXPECT_EQ(variant->flags, hc_propagation_flags(variant->prop));
}

TEST_HARNESS_MAIN
