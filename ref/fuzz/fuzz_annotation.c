// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer target for what the OCI hook and the runc shim read from the
 * container's author before the gate: the spec list of an annotation or a
 * variable (hcrun_oci_spec_list_split, ref/hcrun/oci.c) and the JSON of a
 * config or a state (hcrun_oci_json_parse). The first byte picks the mode
 * (its value mod 4: 0 the list, 1 the JSON, 2 a policy file, 3 a policy
 * and a list matched against it); the rest is the input.
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
 * A policy file (hcrun_policy_load, ref/hcrun/policy.c), written into a
 * private directory made at start: refused as EINVAL or EPERM in one line
 * naming the file, or read into a policy that hcrun_policy_print writes
 * out as a file read back the same.
 * The matching (hcrun_policy_check_specs): the input is a policy, a NUL,
 * then a spec list; every allow-prefix value and every host path is put
 * under the private directory (which holds a directory, a symlink out of
 * it to another of its directories, and a symlink loop), and an input
 * whose cleaned paths would leave it is skipped, so that nothing outside
 * it is ever looked at. Then: the verdict is the same twice; a refusal is
 * one line; an acceptance holds to every rule that needs no disk (count,
 * size, rw, propagation, total), and each host path, resolved by a walk
 * written here, is strictly below a resolved prefix.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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

/* ------------------------------------------------------------ the policy */

static char fuzz_dir[64];      /* mkdtemp: the only place the policy modes look */
static char policy_file[128];  /* fuzz_dir/policy.conf */
static char policy_again[128]; /* fuzz_dir/printed.conf */

static void write_all(const char *path, const void *buf, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);

	if (fd < 0 || (len > 0 && write(fd, buf, len) != (ssize_t)len) || close(fd) < 0)
		abort();
}

static void check_policy_file(const uint8_t *data, size_t size)
{
	struct hcrun_policy p, q;
	hc_error_t *err = NULL;
	char *shown = fuzz_cstring(data, size), *printed = NULL;
	size_t plen = 0;
	FILE *f;
	int ret;

	write_all(policy_file, data, size);
	ret = hcrun_policy_load(policy_file, &p, &err);
	if (ret < 0) {
		char *prefix = fuzz_strdupf("host policy %s", policy_file);

		fuzz_check_error(shown, "hcrun_policy_load", ret, err,
				 err != NULL && err->errnum == EPERM ? EPERM : EINVAL, prefix);
		free(prefix);
		goto out;
	}
	/* Printed, it is a file that says the same. */
	f = open_memstream(&printed, &plen);
	if (f == NULL)
		abort();
	hcrun_policy_print(&p, f);
	if (fclose(f) != 0)
		abort();
	write_all(policy_again, printed, plen);
	if (hcrun_policy_load(policy_again, &q, &err) < 0)
		fuzz_fail(shown, "its printed form is refused: %s\n%s", err->msg, printed);
	if (p.nprefixes != q.nprefixes || p.create_parents != q.create_parents ||
	    p.max_size != q.max_size || p.max_total != q.max_total ||
	    p.max_channels != q.max_channels || p.allow_rw != q.allow_rw ||
	    p.propagation != q.propagation || p.env_specs != q.env_specs)
		fuzz_fail(shown, "its printed form reads back otherwise:\n%s", printed);
	for (size_t i = 0; i < p.nprefixes; i++)
		if (strcmp(p.prefixes[i].path, q.prefixes[i].path) != 0)
			fuzz_fail(shown, "prefix %zu \"%s\" reads back as \"%s\"", i,
				  p.prefixes[i].path, q.prefixes[i].path);
	hcrun_policy_clear(&q);
	hcrun_policy_clear(&p);
out:
	free(printed);
	hc_error_free(&err);
	free(shown);
}

/* Is path at or below dir (component-wise)? */
static bool under(const char *path, const char *dir)
{
	size_t n = strlen(dir);

	return strncmp(path, dir, n) == 0 && (path[n] == '\0' || path[n] == '/');
}

/*
 * path (absolute, clean) resolved as a walk from "/", one component at a
 * time, following symlinks by readlink (at most 40, as the kernel), until
 * a component is missing; the rest is appended as written. false: a loop,
 * or a path that left fuzz_dir.
 */
static bool walk_resolve(const char *path, char *out, size_t len)
{
	char todo[4 * PATH_MAX], cur[PATH_MAX] = "";
	int links = 0;

	snprintf(todo, sizeof(todo), "%s", path);
	for (char *p = todo; *p != '\0';) {
		char name[PATH_MAX], next[PATH_MAX], target[PATH_MAX];
		size_t n;
		ssize_t t;
		struct stat sb;

		while (*p == '/')
			p++;
		if (*p == '\0')
			break;
		n = strcspn(p, "/");
		snprintf(name, sizeof(name), "%.*s", (int)n, p);
		p += n;
		if (strcmp(name, ".") == 0)
			continue;
		if (strcmp(name, "..") == 0) {
			char *slash = strrchr(cur, '/');

			if (slash != NULL)
				*slash = '\0';
			continue;
		}
		snprintf(next, sizeof(next), "%s/%s", cur, name);
		if (!under(next, fuzz_dir) && !under(fuzz_dir, next))
			return false;
		if (lstat(next, &sb) < 0) {
			/* Missing: the rest as written. */
			snprintf(out, len, "%s%s", next, p);
			return true;
		}
		if (!S_ISLNK(sb.st_mode)) {
			snprintf(cur, sizeof(cur), "%s", next);
			continue;
		}
		if (++links > 40)
			return false;
		t = readlink(next, target, sizeof(target) - 1);
		if (t < 0)
			return false;
		target[t] = '\0';
		{
			char rest[4 * PATH_MAX];

			snprintf(rest, sizeof(rest), "%s%s", target, p);
			if (target[0] == '/')
				cur[0] = '\0';
			snprintf(todo, sizeof(todo), "%s", rest);
			p = todo;
		}
	}
	snprintf(out, len, "%s", cur[0] != '\0' ? cur : "/");
	return true;
}

/* text with fuzz_dir put before every allow-prefix value; malloc'd. */
static char *policy_under_dir(const char *text)
{
	size_t cap = strlen(text) * 2 + 1, used = 0;
	char *out;
	const char *line = text;

	for (const char *c = text; *c != '\0'; c++)
		cap += *c == '\n' ? strlen(fuzz_dir) : 0;
	cap += strlen(fuzz_dir);
	out = malloc(cap);
	if (out == NULL)
		abort();
	while (*line != '\0') {
		const char *nl = strchr(line, '\n'), *v = line;
		size_t llen = nl != NULL ? (size_t)(nl - line) + 1 : strlen(line);

		while (v < line + llen && (*v == ' ' || *v == '\t'))
			v++;
		if ((size_t)(line + llen - v) > 12 && strncmp(v, "allow-prefix", 12) == 0) {
			const char *eq = memchr(v, '=', (size_t)(line + llen - v));

			if (eq != NULL) {
				const char *val = eq + 1;

				while (val < line + llen && (*val == ' ' || *val == '\t'))
					val++;
				used += (size_t)snprintf(out + used, cap - used, "%.*s%s",
							 (int)(val - line), line, fuzz_dir);
				llen -= (size_t)(val - line);
				line = val;
			}
		}
		memcpy(out + used, line, llen);
		used += llen;
		line += llen;
	}
	out[used] = '\0';
	return out;
}

static void check_policy_match(const uint8_t *data, size_t size)
{
	const uint8_t *nul = memchr(data, '\0', size);
	char *policy_text, *list_text, *shown, *given;
	struct hcrun_oci_spec_list list;
	struct hc_spec **specs = NULL;
	struct hcrun_policy p;
	hc_error_t *err = NULL, *err2 = NULL;
	size_t i, n = 0;
	int ret, again;

	if (nul == NULL)
		return;
	given = fuzz_cstring(data, (size_t)(nul - data));
	policy_text = policy_under_dir(given);
	free(given);
	shown = fuzz_cstring(nul + 1, size - (size_t)(nul + 1 - data));
	write_all(policy_file, policy_text, strlen(policy_text));
	if (hcrun_policy_load(policy_file, &p, NULL) < 0)
		goto out_text;
	for (i = 0; i < p.nprefixes; i++)
		if (!under(p.prefixes[i].path, fuzz_dir))
			goto out_policy;
	/* Each spec of the list with fuzz_dir before it. */
	list_text = fuzz_strdupf("%s", shown);
	if (hcrun_oci_spec_list_split(list_text, "annotation", &list, NULL) < 0) {
		free(list_text);
		goto out_policy;
	}
	free(list_text);
	specs = calloc(list.nspecs, sizeof(*specs));
	if (specs == NULL)
		abort();
	for (i = 0; i < list.nspecs; i++) {
		char *text = fuzz_strdupf("%s/%s", fuzz_dir, list.specs[i]);

		specs[n] = malloc(sizeof(**specs));
		if (specs[n] == NULL)
			abort();
		if (hc_spec_parse(text, &fuzz_fixed_limits, specs[n], NULL) == 0 &&
		    under(specs[n]->host_path, fuzz_dir))
			n++;
		else
			free(specs[n]);
		free(text);
	}
	if (n != list.nspecs)
		goto out_specs; /* a spec that does not parse, or leaves fuzz_dir */
	ret = hcrun_policy_check_specs(&p, (const struct hc_spec *const *)specs, n, &err);
	again = hcrun_policy_check_specs(&p, (const struct hc_spec *const *)specs, n, &err2);
	if (ret != again)
		fuzz_fail(shown, "the verdict changed from %d to %d", ret, again);
	if (ret < 0) {
		if (err == NULL || err->msg == NULL || strchr(err->msg, '\n') != NULL)
			fuzz_fail(shown, "a refusal without a one-line message");
		goto out_specs;
	}
	if (p.max_channels != HCRUN_POLICY_NONE && n > p.max_channels)
		fuzz_fail(shown, "%zu specs accepted, max-channels %llu", n,
			  (unsigned long long)p.max_channels);
	{
		uint64_t total = 0;

		for (i = 0; i < n; i++) {
			enum hc_propagation prop = specs[i]->propagation == HC_PROP_DEFAULT
							   ? HC_PROP_RPRIVATE
							   : specs[i]->propagation;
			char real[PATH_MAX], pre[PATH_MAX];
			bool inside = false;

			if (p.max_size != HCRUN_POLICY_NONE && specs[i]->size > p.max_size)
				fuzz_fail(shown, "spec %zu: size past max-size accepted", i + 1);
			if (!specs[i]->readonly && !p.allow_rw)
				fuzz_fail(shown, "spec %zu: rw accepted", i + 1);
			if (!(p.propagation & (1U << prop)))
				fuzz_fail(shown, "spec %zu: propagation %s accepted", i + 1,
					  hc_propagation_name(prop));
			total += specs[i]->size;
			if (!walk_resolve(specs[i]->host_path, real, sizeof(real)))
				continue; /* a loop: prepare would fail on it */
			for (size_t k = 0; k < p.nprefixes; k++)
				if (walk_resolve(p.prefixes[k].path, pre, sizeof(pre)) &&
				    under(real, pre) && strcmp(real, pre) != 0)
					inside = true;
			if (!inside)
				fuzz_fail(shown,
					  "spec %zu: host path %s (walked: %s) accepted outside "
					  "every prefix",
					  i + 1, specs[i]->host_path, real);
		}
		if (p.max_total != HCRUN_POLICY_NONE && total > p.max_total)
			fuzz_fail(shown, "a total past max-total accepted");
	}
out_specs:
	for (i = 0; i < n; i++)
		free(specs[i]);
	free(specs);
	hcrun_oci_spec_list_clear(&list);
out_policy:
	hcrun_policy_clear(&p);
out_text:
	hc_error_free(&err);
	hc_error_free(&err2);
	free(policy_text);
	free(shown);
}

/* The private directory and what is in it: p/d, p/l -> q (out of p), q,
 * p/loop -> p/loop. Removed at exit by name. */
static void fuzz_dir_remove(void)
{
	static const char *const names[] = {"p/loop", "p/l",	     "p/d",	    "q",
					    "p",      "policy.conf", "printed.conf"};
	char path[PATH_MAX];

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", fuzz_dir, names[i]);
		if (unlink(path) < 0)
			rmdir(path);
	}
	rmdir(fuzz_dir);
}

static void fuzz_dir_make(void)
{
	char path[PATH_MAX], to[PATH_MAX];
	char *real;

	snprintf(fuzz_dir, sizeof(fuzz_dir), "%s/fuzz-annotation-XXXXXX",
		 getenv("TMPDIR") != NULL ? getenv("TMPDIR") : "/tmp");
	if (mkdtemp(fuzz_dir) == NULL)
		abort();
	/* Resolved: the walks compare real paths. */
	real = realpath(fuzz_dir, NULL);
	if (real == NULL || strlen(real) >= sizeof(fuzz_dir))
		abort();
	snprintf(fuzz_dir, sizeof(fuzz_dir), "%s", real);
	free(real);
	snprintf(policy_file, sizeof(policy_file), "%s/policy.conf", fuzz_dir);
	snprintf(policy_again, sizeof(policy_again), "%s/printed.conf", fuzz_dir);
	snprintf(path, sizeof(path), "%s/p", fuzz_dir);
	if (mkdir(path, 0700) < 0)
		abort();
	snprintf(path, sizeof(path), "%s/p/d", fuzz_dir);
	if (mkdir(path, 0700) < 0)
		abort();
	snprintf(path, sizeof(path), "%s/q", fuzz_dir);
	if (mkdir(path, 0700) < 0)
		abort();
	snprintf(path, sizeof(path), "%s/p/l", fuzz_dir);
	snprintf(to, sizeof(to), "%s/q", fuzz_dir);
	if (symlink(to, path) < 0)
		abort();
	snprintf(path, sizeof(path), "%s/p/loop", fuzz_dir);
	if (symlink(path, path) < 0)
		abort();
	atexit(fuzz_dir_remove);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fuzz_init("fuzz_annotation");
	fuzz_dir_make();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text;

	if (size == 0)
		return 0;
	switch (data[0] % 4) {
	case 0:
		text = fuzz_cstring(data + 1, size - 1);
		check_list(text);
		free(text);
		break;
	case 1:
		check_json(data + 1, size - 1);
		break;
	case 2:
		check_policy_file(data + 1, size - 1);
		break;
	default:
		check_policy_match(data + 1, size - 1);
		break;
	}
	return 0;
}
