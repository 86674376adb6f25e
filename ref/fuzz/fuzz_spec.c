// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer target for hc_spec_parse() and hc_spec_format(), the grammar of
 * "<host>:<container>[:<mode>[:<size>]]" (contract section 2). Every input
 * is parsed with three sets of limits: fixed (one page of 4096 bytes ..
 * 1 TiB), open (1 .. 2^64 - 1) and the system's (read once). What it proves,
 * for any input and each set:
 *
 *  - the verdict and every field are what an independent reading gives:
 *    split on ':' (two to four fields), each path through hc_path_clean()
 *    and not "/", the mode word by word (rw|ro and at most one propagation
 *    word, either order, lowercase), the size through hc_size_parse() or
 *    64 MiB when empty, within the limits; the leftmost broken field wins;
 *  - an accepted spec has absolute, cleaned paths other than "/", a known
 *    propagation, a size within the limits; it formats (hc_spec_format) to
 *    a text that parses to the same spec, field by field, and that text is a
 *    fixed point; the text fits in exactly strlen + 1 bytes, one less is
 *    ERANGE;
 *  - a refusal never writes *spec; its error is EINVAL, one line, and reads
 *    `invalid host channel "<input>": <field> "...` naming the broken field;
 *  - without an error object the verdict is the same.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"

/* A pattern no field takes by chance; the bool in it is not a valid bool. */
#define PATTERN 0xa5

static const struct {
	const char *word;
	enum hc_propagation prop;
} propagation_words[] = {
	{"private", HC_PROP_PRIVATE},	    {"rprivate", HC_PROP_RPRIVATE},
	{"shared", HC_PROP_SHARED},	    {"rshared", HC_PROP_RSHARED},
	{"slave", HC_PROP_SLAVE},	    {"rslave", HC_PROP_RSLAVE},
	{"unbindable", HC_PROP_UNBINDABLE}, {"runbindable", HC_PROP_RUNBINDABLE},
};

/* One mode word: 1 access (rw/ro), 2 propagation, 0 unknown. */
static int oracle_word(const char *w, size_t n, bool *readonly, enum hc_propagation *prop)
{
	if (n == 2 && memcmp(w, "rw", 2) == 0) {
		*readonly = false;
		return 1;
	}
	if (n == 2 && memcmp(w, "ro", 2) == 0) {
		*readonly = true;
		return 1;
	}
	for (size_t i = 0; i < sizeof(propagation_words) / sizeof(propagation_words[0]); i++) {
		if (strlen(propagation_words[i].word) == n &&
		    memcmp(w, propagation_words[i].word, n) == 0) {
			*prop = propagation_words[i].prop;
			return 2;
		}
	}
	return 0;
}

static bool oracle_mode(const char *mode, bool *readonly, enum hc_propagation *prop)
{
	const char *comma = strchr(mode, ',');
	int first, second;

	*readonly = false;
	*prop = HC_PROP_DEFAULT;
	if (mode[0] == '\0')
		return true;
	if (comma == NULL)
		return oracle_word(mode, strlen(mode), readonly, prop) != 0;
	if (strchr(comma + 1, ',') != NULL)
		return false;
	first = oracle_word(mode, (size_t)(comma - mode), readonly, prop);
	second = oracle_word(comma + 1, strlen(comma + 1), readonly, prop);
	return first != 0 && second != 0 && first != second;
}

static bool oracle_path(const char *field, char *out)
{
	return hc_path_clean(field, out, PATH_MAX, NULL) == 0 && strcmp(out, "/") != 0;
}

/*
 * The independent reading: fills *want and returns true, or returns false
 * with *label set to how the message must go on after the prefix.
 */
static bool oracle_spec(const char *text, const struct hc_limits *limits, struct hc_spec *want,
			const char **label)
{
	char *copy = fuzz_strdupf("%s", text);
	const char *fields[4] = {NULL, NULL, "", ""};
	size_t colons = 0, n = 0;
	bool ok = false;

	for (const char *c = text; *c != '\0'; c++)
		colons += *c == ':';
	for (char *p = copy; colons >= 1 && colons <= 3; p++) {
		fields[n++] = p;
		p = strchr(p, ':');
		if (p == NULL)
			break;
		*p = '\0';
	}
	memset(want, 0, sizeof(*want));
	if (colons < 1 || colons > 3) {
		*label = "expected <host path>:<container path>";
	} else if (!oracle_path(fields[0], want->host_path)) {
		*label = "host path \"";
	} else if (!oracle_path(fields[1], want->container_path)) {
		*label = "container path \"";
	} else if (!oracle_mode(fields[2], &want->readonly, &want->propagation)) {
		*label = "mode \"";
	} else {
		want->size = HC_DEFAULT_SIZE;
		*label = "size \"";
		if (fields[3][0] == '\0' || hc_size_parse(fields[3], &want->size, NULL) == 0)
			ok = want->size != 0 && want->size >= limits->page_size &&
			     want->size <= limits->max_size;
	}
	free(copy);
	return ok;
}

static void check_same(const char *input, const char *what, const struct hc_spec *a,
		       const struct hc_spec *b)
{
	if (strcmp(a->host_path, b->host_path) != 0)
		fuzz_fail(input, "%s: host path \"%s\" vs \"%s\"", what, a->host_path,
			  b->host_path);
	if (strcmp(a->container_path, b->container_path) != 0)
		fuzz_fail(input, "%s: container path \"%s\" vs \"%s\"", what, a->container_path,
			  b->container_path);
	if (a->readonly != b->readonly)
		fuzz_fail(input, "%s: readonly %d vs %d", what, a->readonly, b->readonly);
	if (a->propagation != b->propagation)
		fuzz_fail(input, "%s: propagation %d vs %d", what, (int)a->propagation,
			  (int)b->propagation);
	if (a->size != b->size)
		fuzz_fail(input, "%s: size %llu vs %llu", what, (unsigned long long)a->size,
			  (unsigned long long)b->size);
}

static void check_accepted(const char *text, const struct hc_spec *spec,
			   const struct hc_limits *limits, const char *which)
{
	char buf[2 * PATH_MAX + 64], again[2 * PATH_MAX + 64];
	struct hc_spec *back = malloc(sizeof(*back));
	hc_error_t *err = NULL;
	size_t n;

	if (back == NULL)
		abort();
	if (spec->host_path[0] != '/' || spec->container_path[0] != '/' ||
	    strcmp(spec->host_path, "/") == 0 || strcmp(spec->container_path, "/") == 0)
		fuzz_fail(text, "%s limits: paths \"%s\" and \"%s\" are not absolute, or are \"/\"",
			  which, spec->host_path, spec->container_path);
	if (hc_propagation_name(spec->propagation) == NULL)
		fuzz_fail(text, "%s limits: unknown propagation %d", which, (int)spec->propagation);
	if (spec->size < limits->page_size || spec->size > limits->max_size)
		fuzz_fail(text, "%s limits: size %llu is outside [%llu, %llu]", which,
			  (unsigned long long)spec->size, (unsigned long long)limits->page_size,
			  (unsigned long long)limits->max_size);

	if (hc_spec_format(spec, buf, sizeof(buf)) < 0)
		fuzz_fail(text, "%s limits: hc_spec_format fails: %s", which, strerror(errno));
	memset(back, PATTERN, sizeof(*back));
	if (hc_spec_parse(buf, limits, back, &err) < 0)
		fuzz_fail(text, "%s limits: the canonical text \"%s\" is refused: %s", which, buf,
			  err->msg);
	check_same(text, "format then parse", spec, back);
	if (hc_spec_format(back, again, sizeof(again)) < 0 || strcmp(buf, again) != 0)
		fuzz_fail(text, "%s limits: \"%s\" is not a fixed point: \"%s\"", which, buf,
			  again);

	n = strlen(buf);
	if (hc_spec_format(spec, again, n + 1) < 0 || strcmp(buf, again) != 0)
		fuzz_fail(text, "hc_spec_format does not fit \"%s\" in exactly %zu bytes", buf,
			  n + 1);
	errno = 0;
	if (hc_spec_format(spec, again, n) != -1 || errno != ERANGE)
		fuzz_fail(text, "hc_spec_format of \"%s\" into %zu bytes is not ERANGE", buf, n);
	hc_error_free(&err);
	free(back);
}

static void check_one(const char *text, const struct hc_limits *limits, const char *which)
{
	struct hc_spec *spec = malloc(sizeof(*spec)), *before = malloc(sizeof(*spec));
	struct hc_spec *want = malloc(sizeof(*spec));
	hc_error_t *err = NULL;
	const char *label = NULL;
	bool expect_ok;
	int ret, quiet;

	if (spec == NULL || before == NULL || want == NULL)
		abort();
	expect_ok = oracle_spec(text, limits, want, &label);
	memset(spec, PATTERN, sizeof(*spec));
	memcpy(before, spec, sizeof(*spec));
	ret = hc_spec_parse(text, limits, spec, &err);
	quiet = hc_spec_parse(text, limits, spec, NULL);
	if (quiet != ret)
		fuzz_fail(text,
			  "%s limits: hc_spec_parse gives %d with an error object, %d without",
			  which, ret, quiet);

	if (expect_ok) {
		if (ret != 0)
			fuzz_fail(text, "%s limits: refused, but every field is valid: %s", which,
				  err != NULL ? err->msg : "(no error object)");
		if (err != NULL)
			fuzz_fail(text, "%s limits: accepted, yet the error is set: %s", which,
				  err->msg);
		check_same(text, "parsed vs the independent reading", spec, want);
		check_accepted(text, spec, limits, which);
	} else {
		char *prefix = fuzz_strdupf("invalid host channel \"%s\": %s", text, label);

		if (ret == 0) {
			char buf[2 * PATH_MAX + 64] = "";

			hc_spec_format(spec, buf, sizeof(buf));
			fuzz_fail(text,
				  "%s limits: accepted as \"%s\", but its %s field is invalid",
				  which, buf, label);
		}
		fuzz_check_error(text, "hc_spec_parse", ret, err, EINVAL, prefix);
		if (memcmp(spec, before, sizeof(*spec)) != 0)
			fuzz_fail(text, "%s limits: a refused option wrote to *spec", which);
		free(prefix);
	}
	hc_error_free(&err);
	free(want);
	free(before);
	free(spec);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fuzz_init("fuzz_spec");
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_cstring(data, size);

	check_one(text, &fuzz_fixed_limits, "fixed");
	check_one(text, &fuzz_open_limits, "open");
	check_one(text, &fuzz_system_limits, "system");
	free(text);
	return 0;
}
