// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer target for the size field of a host channel (contract section
 * 2): hc_size_parse(), hc_size_format(), and the bounds hc_spec_parse()
 * applies. What it proves, for any input:
 *
 *  - hc_size_parse() accepts exactly the grammar "digits [. digits] [unit]"
 *    (units B, K M G T P optionally followed by B, I or IB, any case) and
 *    gives exactly floor(value * 1024^unit), as an independent reading
 *    computes it digit by digit (no floating point); a value above 2^64 - 1
 *    is refused as "too large", never wrapped;
 *  - a refusal is EINVAL with a one-line message `size "..."`, and leaves
 *    the output untouched;
 *  - what it parses formats back (hc_size_format) to a text that parses to
 *    the same number; that text is the canonical one (the largest unit of K..P
 *    that divides exactly, else bytes) and a fixed point of format(parse());
 *    hc_size_format() fits in exactly strlen + 1 bytes, one less is ERANGE;
 *  - as the size field of "/a:/b:rw:<size>", with fixed limits (one page of
 *    4096 bytes .. 1 TiB), open limits (1 .. 2^64 - 1) and the system's
 *    (page size .. half of MemTotal): accepted exactly when the size parses
 *    and lies within the bounds, and then with that size.
 * The first 8 input bytes, as a number, also go through format and parse.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "fuzz.h"

#define SENTINEL 0xa5a5a5a5a5a5a5a5ULL

enum oracle_verdict {
	ORACLE_OK,
	ORACLE_SYNTAX,
	ORACLE_TOO_LARGE,
};

/* The unit's power of 1024, or -1: a letter, then nothing, B, I or IB. */
static int oracle_unit(const char *u)
{
	static const char *const tails[] = {"", "b", "i", "ib"};
	const char *letters = "kmgtp";
	const char *hit;

	if (strcasecmp(u, "b") == 0 || u[0] == '\0')
		return 0;
	hit = strchr(letters, tolower((unsigned char)u[0]));
	if (hit == NULL)
		return -1;
	for (size_t i = 0; i < sizeof(tails) / sizeof(tails[0]); i++) {
		if (strcasecmp(u + 1, tails[i]) == 0)
			return (int)(hit - letters) + 1;
	}
	return -1;
}

/*
 * The first `bits` bits of the binary expansion of 0.<digits>, by doubling
 * the decimal fraction `bits` times and taking each carry out of the point:
 * exact for any number of digits, which is what truncation needs.
 */
static uint64_t oracle_fraction_bits(const char *digits, size_t n, unsigned int bits)
{
	unsigned char *d = malloc(n + 1);
	uint64_t out = 0;

	if (d == NULL)
		abort();
	/* Trailing zeros change nothing and cost a pass each. */
	while (n > 0 && digits[n - 1] == '0')
		n--;
	for (size_t i = 0; i < n; i++)
		d[i] = (unsigned char)(digits[i] - '0');
	for (unsigned int b = 0; b < bits; b++) {
		unsigned int carry = 0;

		for (size_t i = n; i > 0; i--) {
			unsigned int v = d[i - 1] * 2u + carry;

			d[i - 1] = (unsigned char)(v % 10);
			carry = v / 10;
		}
		out = out << 1 | carry;
	}
	free(d);
	return out;
}

static enum oracle_verdict oracle_size(const char *s, uint64_t *bytes)
{
	const char *p = s, *frac = NULL;
	size_t frac_len = 0;
	unsigned __int128 whole = 0, total;
	bool huge = false;
	int power;

	if (!isdigit((unsigned char)*p))
		return ORACLE_SYNTAX;
	for (; isdigit((unsigned char)*p); p++) {
		if (!huge)
			whole = whole * 10 + (unsigned)(*p - '0');
		huge |= whole > UINT64_MAX;
	}
	if (*p == '.') {
		frac = ++p;
		while (isdigit((unsigned char)*p))
			p++;
		frac_len = (size_t)(p - frac);
		if (frac_len == 0)
			return ORACLE_SYNTAX;
	}
	power = oracle_unit(p);
	if (power < 0)
		return ORACLE_SYNTAX;
	if (huge)
		return ORACLE_TOO_LARGE;
	/* whole < 2^64 and the shift is at most 50: no 128-bit overflow. */
	total = whole << (10 * power);
	if (frac != NULL)
		total += oracle_fraction_bits(frac, frac_len, 10u * (unsigned)power);
	if (total > UINT64_MAX)
		return ORACLE_TOO_LARGE;
	*bytes = (uint64_t)total;
	return ORACLE_OK;
}

/* The canonical text: the largest of K..P that divides exactly, else plain bytes. */
static void canonical_size(uint64_t bytes, char *buf, size_t len)
{
	int power = 0;

	while (bytes != 0 && power < 5 && bytes % (1ULL << (10 * (power + 1))) == 0)
		power++;
	if (power == 0)
		snprintf(buf, len, "%llu", (unsigned long long)bytes);
	else
		snprintf(buf, len, "%llu%c", (unsigned long long)(bytes >> (10 * power)),
			 "KMGTP"[power - 1]);
}

/* hc_size_format's text is canonical, parses back to bytes, and fits exactly. */
static void check_format(const char *input, uint64_t bytes)
{
	hc_error_t *err = NULL;
	char buf[32], again[32], small[32], want[32];
	uint64_t back = SENTINEL;
	size_t n;

	if (hc_size_format(bytes, buf, sizeof(buf)) < 0)
		fuzz_fail(input, "hc_size_format(%llu) fails", (unsigned long long)bytes);
	canonical_size(bytes, want, sizeof(want));
	if (strcmp(buf, want) != 0)
		fuzz_fail(input, "hc_size_format(%llu) gives \"%s\", the canonical text is \"%s\"",
			  (unsigned long long)bytes, buf, want);
	if (hc_size_parse(buf, &back, &err) < 0)
		fuzz_fail(input, "hc_size_format(%llu) gives \"%s\", which is refused: %s",
			  (unsigned long long)bytes, buf, err->msg);
	if (back != bytes)
		fuzz_fail(input, "hc_size_format(%llu) gives \"%s\", which parses to %llu",
			  (unsigned long long)bytes, buf, (unsigned long long)back);
	if (hc_size_format(back, again, sizeof(again)) < 0 || strcmp(again, buf) != 0)
		fuzz_fail(input, "\"%s\" is not a fixed point of format(parse()): \"%s\"", buf,
			  again);
	n = strlen(buf);
	if (hc_size_format(bytes, small, n + 1) < 0 || strcmp(small, buf) != 0)
		fuzz_fail(input, "hc_size_format(%llu) does not fit in exactly %zu bytes",
			  (unsigned long long)bytes, n + 1);
	errno = 0;
	if (hc_size_format(bytes, small, n) != -1 || errno != ERANGE)
		fuzz_fail(input, "hc_size_format(%llu) into %zu bytes is not ERANGE",
			  (unsigned long long)bytes, n);
}

/* The size as the fourth field of a spec, against one set of limits. */
static void check_bounds(const char *text, bool parsed, uint64_t bytes,
			 const struct hc_limits *limits, const char *which)
{
	struct hc_spec *spec = malloc(sizeof(*spec));
	char *option = fuzz_strdupf("/a:/b:rw:%s", text);
	hc_error_t *err = NULL;
	bool within = parsed && bytes >= limits->page_size && bytes <= limits->max_size;
	int ret;

	if (spec == NULL)
		abort();
	ret = hc_spec_parse(option, limits, spec, &err);
	if (within) {
		if (ret != 0)
			fuzz_fail(text,
				  "size %llu is within the %s limits, yet \"%s\" is refused: %s",
				  (unsigned long long)bytes, which, option,
				  err != NULL ? err->msg : "(no error object)");
		if (spec->size != bytes)
			fuzz_fail(text, "\"%s\" parses with %s limits to size %llu, not %llu",
				  option, which, (unsigned long long)spec->size,
				  (unsigned long long)bytes);
	} else {
		char *prefix =
			fuzz_strdupf("invalid host channel \"%s\": size \"%s\"", option, text);

		if (ret == 0)
			fuzz_fail(text,
				  "\"%s\" is accepted with %s limits [%llu, %llu] and size %llu",
				  option, which, (unsigned long long)limits->page_size,
				  (unsigned long long)limits->max_size,
				  (unsigned long long)spec->size);
		fuzz_check_error(text, "hc_spec_parse", ret, err, EINVAL, prefix);
		free(prefix);
	}
	hc_error_free(&err);
	free(option);
	free(spec);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fuzz_init("fuzz_size");
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_cstring(data, size);
	uint64_t bytes = SENTINEL, quiet_bytes = SENTINEL, want = 0, raw = 0;
	enum oracle_verdict verdict = oracle_size(text, &want);
	hc_error_t *err = NULL;
	int ret, quiet;

	ret = hc_size_parse(text, &bytes, &err);
	quiet = hc_size_parse(text, &quiet_bytes, NULL);
	if (quiet != ret || quiet_bytes != bytes)
		fuzz_fail(text,
			  "hc_size_parse gives %d (%llu) with an error object, %d (%llu) without",
			  ret, (unsigned long long)bytes, quiet, (unsigned long long)quiet_bytes);
	if (verdict == ORACLE_OK) {
		if (ret != 0)
			fuzz_fail(text, "refused, but it reads as %llu bytes: %s",
				  (unsigned long long)want,
				  err != NULL ? err->msg : "(no error object)");
		if (bytes != want)
			fuzz_fail(text,
				  "parsed to %llu bytes, the digit-by-digit reading gives %llu",
				  (unsigned long long)bytes, (unsigned long long)want);
		check_format(text, bytes);
	} else {
		char *prefix = fuzz_strdupf("size \"%s\"", text);

		if (ret == 0)
			fuzz_fail(text, "accepted as %llu bytes, but it is %s",
				  (unsigned long long)bytes,
				  verdict == ORACLE_SYNTAX ? "not in the grammar"
							   : "above 2^64 - 1");
		fuzz_check_error(text, "hc_size_parse", ret, err, EINVAL, prefix);
		if (bytes != SENTINEL)
			fuzz_fail(text, "a refused size wrote %llu to the output",
				  (unsigned long long)bytes);
		/* After the quoted field (escaped as the message escapes it), which
		 * may itself say anything. */
		char *quoted = fuzz_escape(prefix);
		bool too_large = strncmp(err->msg + strlen(quoted), " is too large", 13) == 0;

		free(quoted);
		if ((verdict == ORACLE_TOO_LARGE) != too_large)
			fuzz_fail(text, "%s, yet the message says \"%s\"",
				  verdict == ORACLE_TOO_LARGE ? "above 2^64 - 1"
							      : "not in the grammar",
				  err->msg);
		free(prefix);
	}
	hc_error_free(&err);

	/* An empty field means the default, and ':' would split the option: not a size field. */
	if (text[0] != '\0' && strchr(text, ':') == NULL) {
		check_bounds(text, ret == 0, bytes, &fuzz_fixed_limits, "fixed");
		check_bounds(text, ret == 0, bytes, &fuzz_open_limits, "open");
		check_bounds(text, ret == 0, bytes, &fuzz_system_limits, "system");
	}

	memcpy(&raw, data, size < sizeof(raw) ? size : sizeof(raw));
	check_format(text, raw);
	free(text);
	return 0;
}
