// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer target for what the OCI hook and the runc shim read from the
 * container's author before the gate: the spec list of an annotation or a
 * variable (hcrun_oci_spec_list_split, ref/hcrun/oci.c) and the JSON of a
 * config or a state (hcrun_oci_json_parse). The first byte picks the mode
 * (even: the list, odd: the JSON); the rest is the input.
 *
 * The list, for any input, against an independent reading written here:
 *  - the verdict: more than HCRUN_OCI_SPEC_TEXT_MAX bytes or
 *    HCRUN_OCI_SPECS_MAX specs is E2BIG; else the fields split on ';' are
 *    read in order and the first broken one wins: empty, a '%' not followed
 *    by two hex digits, "%00", then (decoded) a control byte, then bytes
 *    that are not UTF-8 (checked here by a table of the well-formed
 *    sequences, Unicode's Table 3-7), all EINVAL;
 *  - a refusal: -1, the error's errnum, one line starting "annotation: ",
 *    and an empty list;
 *  - an acceptance: exactly the decoded fields, in order; each re-encoded
 *    ('%' and ';' as %XX) and joined splits back to the same list; each
 *    spec hc_spec_parse accepts has paths of UTF-8 without control bytes.
 *  - hcrun_oci_utf8_valid agrees with the table on the raw input.
 * The JSON: accepted only as an object, which json-c's own serialisation
 * gives back equal through the same parser (so no key is lost) and which
 * json-c's lenient parser reads the same; a refusal is EINVAL, one line,
 * starting "config: ".
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <json.h>

#include "fuzz.h"

#include "../hcrun/hcrun.h"

/* ------------------------------------------------------------- the list */

static int hexval(unsigned char c)
{
	static const char digits[] = "0123456789abcdef";
	const char *p;

	if (c >= 'A' && c <= 'F')
		c = (unsigned char)(c - 'A' + 'a');
	p = c != '\0' ? strchr(digits, c) : NULL;
	return p != NULL ? (int)(p - digits) : -1;
}

/* Well-formed UTF-8 by Unicode's Table 3-7: the first byte decides the
 * range each following byte must be in. */
static bool table_utf8(const unsigned char *s, size_t n)
{
	static const struct {
		unsigned char lo, hi; /* the first byte */
		unsigned char len;
		unsigned char lo2, hi2; /* the second byte */
	} rows[] = {
		{0x00, 0x7f, 1, 0, 0},	     {0xc2, 0xdf, 2, 0x80, 0xbf},
		{0xe0, 0xe0, 3, 0xa0, 0xbf}, {0xe1, 0xec, 3, 0x80, 0xbf},
		{0xed, 0xed, 3, 0x80, 0x9f}, {0xee, 0xef, 3, 0x80, 0xbf},
		{0xf0, 0xf0, 4, 0x90, 0xbf}, {0xf1, 0xf3, 4, 0x80, 0xbf},
		{0xf4, 0xf4, 4, 0x80, 0x8f},
	};
	size_t i = 0, r, k;

	while (i < n) {
		for (r = 0; r < sizeof(rows) / sizeof(rows[0]); r++)
			if (s[i] >= rows[r].lo && s[i] <= rows[r].hi)
				break;
		if (r == sizeof(rows) / sizeof(rows[0]) || i + rows[r].len > n)
			return false;
		if (rows[r].len > 1 && (s[i + 1] < rows[r].lo2 || s[i + 1] > rows[r].hi2))
			return false;
		for (k = 2; k < rows[r].len; k++)
			if (s[i + k] < 0x80 || s[i + k] > 0xbf)
				return false;
		i += rows[r].len;
	}
	return true;
}

struct oracle {
	int errnum;    /* 0: accepted */
	char **fields; /* decoded, when accepted */
	size_t nfields;
};

/* Field f (len bytes) decoded into out; 0, or -1 when the field is broken. */
static int oracle_field(const char *f, size_t len, char *out)
{
	size_t i, n = 0;

	if (len == 0)
		return -1;
	for (i = 0; i < len; i++) {
		int hi, lo;

		if (f[i] != '%') {
			out[n++] = f[i];
			continue;
		}
		hi = i + 1 < len ? hexval((unsigned char)f[i + 1]) : -1;
		lo = i + 2 < len ? hexval((unsigned char)f[i + 2]) : -1;
		if (hi < 0 || lo < 0 || (hi == 0 && lo == 0))
			return -1;
		out[n++] = (char)(hi << 4 | lo);
		i += 2;
	}
	out[n] = '\0';
	for (i = 0; i < n; i++)
		if ((unsigned char)out[i] < 0x20 || out[i] == 0x7f)
			return -1;
	return table_utf8((const unsigned char *)out, n) ? 0 : -1;
}

static void oracle_list(const char *text, struct oracle *o)
{
	size_t len = strlen(text), semis = 0, i;
	const char *p = text;

	memset(o, 0, sizeof(*o));
	for (i = 0; i < len; i++)
		semis += text[i] == ';';
	if (len > HCRUN_OCI_SPEC_TEXT_MAX || semis + 1 > HCRUN_OCI_SPECS_MAX) {
		o->errnum = E2BIG;
		return;
	}
	o->fields = calloc(semis + 1, sizeof(char *));
	if (o->fields == NULL)
		abort();
	for (;;) {
		const char *end = strchr(p, ';');
		size_t flen = end != NULL ? (size_t)(end - p) : strlen(p);
		char *f = malloc(flen + 1);

		if (f == NULL)
			abort();
		o->fields[o->nfields++] = f;
		if (oracle_field(p, flen, f) < 0) {
			o->errnum = EINVAL;
			return;
		}
		if (end == NULL)
			return;
		p = end + 1;
	}
}

static void oracle_clear(struct oracle *o)
{
	for (size_t i = 0; i < o->nfields; i++)
		free(o->fields[i]);
	free(o->fields);
}

/* The fields encoded back ('%' and ';' as %XX) and joined with ';'. */
static char *encode(char *const fields[], size_t n)
{
	size_t cap = 1, i;
	char *out, *w;

	for (i = 0; i < n; i++)
		cap += strlen(fields[i]) * 3 + 1;
	out = malloc(cap);
	if (out == NULL)
		abort();
	w = out;
	for (i = 0; i < n; i++) {
		for (const char *r = fields[i]; *r != '\0'; r++) {
			if (*r == '%' || *r == ';')
				w += sprintf(w, "%%%02X", (unsigned char)*r);
			else
				*w++ = *r;
		}
		if (i + 1 < n)
			*w++ = ';';
	}
	*w = '\0';
	return out;
}

static bool clean_text(const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++)
		if (*p < 0x20 || *p == 0x7f)
			return false;
	return hcrun_oci_utf8_valid(s);
}

static void check_list(const char *text)
{
	struct hcrun_oci_spec_list list, again;
	struct hc_spec *spec = malloc(sizeof(*spec));
	hc_error_t *err = NULL;
	struct oracle o;
	char *enc;
	int ret;

	if (spec == NULL)
		abort();
	if (hcrun_oci_utf8_valid(text) != table_utf8((const unsigned char *)text, strlen(text)))
		fuzz_fail(text, "hcrun_oci_utf8_valid says %d, the table says otherwise",
			  hcrun_oci_utf8_valid(text));
	oracle_list(text, &o);
	ret = hcrun_oci_spec_list_split(text, "annotation", &list, &err);
	if (o.errnum != 0) {
		if (ret == 0)
			fuzz_fail(text,
				  "accepted as %zu specs, but the independent reading refuses",
				  list.nspecs);
		fuzz_check_error(text, "hcrun_oci_spec_list_split", ret, err, o.errnum,
				 "annotation: ");
		if (list.specs != NULL || list.text != NULL || list.nspecs != 0)
			fuzz_fail(text, "a refused list is not empty");
		goto out;
	}
	if (ret != 0)
		fuzz_fail(text, "refused, but every field is valid: %s",
			  err != NULL ? err->msg : "(no error object)");
	if (list.nspecs != o.nfields)
		fuzz_fail(text, "%zu specs, the independent reading %zu", list.nspecs, o.nfields);
	for (size_t i = 0; i < list.nspecs; i++) {
		if (strcmp(list.specs[i], o.fields[i]) != 0)
			fuzz_fail(text, "spec %zu is \"%s\", the independent reading \"%s\"", i + 1,
				  list.specs[i], o.fields[i]);
		if (hc_spec_parse(list.specs[i], &fuzz_fixed_limits, spec, NULL) == 0 &&
		    (!clean_text(spec->host_path) || !clean_text(spec->container_path)))
			fuzz_fail(text,
				  "spec %zu parses to a path with a control byte or not UTF-8",
				  i + 1);
	}
	/* Encoded back, the same list. */
	enc = encode(list.specs, list.nspecs);
	if (hcrun_oci_spec_list_split(enc, "annotation", &again, NULL) < 0)
		fuzz_fail(text, "re-encoded as \"%s\", refused", enc);
	if (again.nspecs != list.nspecs)
		fuzz_fail(text, "re-encoded as \"%s\": %zu specs, not %zu", enc, again.nspecs,
			  list.nspecs);
	for (size_t i = 0; i < list.nspecs; i++)
		if (strcmp(again.specs[i], list.specs[i]) != 0)
			fuzz_fail(text, "re-encoded as \"%s\": spec %zu differs", enc, i + 1);
	hcrun_oci_spec_list_clear(&again);
	free(enc);
	hcrun_oci_spec_list_clear(&list);
out:
	hc_error_free(&err);
	oracle_clear(&o);
	free(spec);
}

/* ------------------------------------------------------------- the JSON */

static void check_json(const uint8_t *data, size_t size)
{
	struct json_object *obj = NULL, *back = NULL, *lenient;
	hc_error_t *err = NULL;
	const char *text;
	char *shown = fuzz_cstring(data, size);
	int ret;

	ret = hcrun_oci_json_parse((const char *)data, size, "config", &obj, &err);
	if (ret < 0) {
		fuzz_check_error(shown, "hcrun_oci_json_parse", ret, err, EINVAL, "config: ");
		goto out;
	}
	if (err != NULL || obj == NULL || !json_object_is_type(obj, json_type_object))
		fuzz_fail(shown, "accepted, but not as an object without an error");
	/* What json-c writes, it reads back whole and the same. */
	text = json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PLAIN);
	if (hcrun_oci_json_parse(text, strlen(text), "config", &back, &err) < 0)
		fuzz_fail(shown, "its serialisation \"%s\" is refused: %s", text, err->msg);
	if (!json_object_equal(obj, back))
		fuzz_fail(shown, "its serialisation \"%s\" reads back otherwise", text);
	/* The lenient parser, which reads more, reads this the same. */
	lenient = json_tokener_parse(shown);
	if (strlen(shown) == size && (lenient == NULL || !json_object_equal(obj, lenient)))
		fuzz_fail(shown, "json-c's lenient parser reads it otherwise");
	json_object_put(lenient);
	json_object_put(back);
	json_object_put(obj);
out:
	hc_error_free(&err);
	free(shown);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fuzz_init("fuzz_annotation");
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text;

	if (size == 0)
		return 0;
	if ((data[0] & 1) == 0) {
		text = fuzz_cstring(data + 1, size - 1);
		check_list(text);
		free(text);
	} else {
		check_json(data + 1, size - 1);
	}
	return 0;
}
