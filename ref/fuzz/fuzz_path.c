// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer target for hc_path_clean(), the lexical cleaner both paths of a
 * host channel go through (contract section 2). What it proves, for any
 * input:
 *
 *  - an empty or relative input, or one of PATH_MAX bytes or more, is
 *    refused with EINVAL and a one-line message `path "..."`; anything
 *    else is accepted;
 *  - a cleaned path is absolute, has no "." or ".." component, no "//", no
 *    trailing "/" (except "/" itself), is no longer than the input, and
 *    cleaning it again changes nothing;
 *  - it equals what an independent component-stack reading gives (".."
 *    at the root stays at the root);
 *  - cleaning in place (in == out) gives the same result;
 *  - the output buffer is enough at exactly strlen + 1 bytes; one byte less
 *    is ERANGE and leaves the buffer untouched;
 *  - without an error object the verdict is the same.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"

/* Bytes the cleaner never writes on its own in these positions. */
#define UNTOUCHED 0x5a

/*
 * The oracle: split on '/', keep a stack of components, then join. Written
 * as differently from ref/lib/spec.c (which edits the output in place) as the
 * rules allow, so that one bug is unlikely to be in both.
 */
static char *oracle_clean(const char *in)
{
	size_t in_len = strlen(in), depth = 0, o = 0;
	const char **start = calloc(in_len + 1, sizeof(*start));
	size_t *len = calloc(in_len + 1, sizeof(*len));
	char *out = malloc(in_len + 2);
	const char *p = in;

	if (start == NULL || len == NULL || out == NULL)
		abort();
	while (*p != '\0') {
		const char *slash = strchr(p, '/');
		size_t n = slash != NULL ? (size_t)(slash - p) : strlen(p);

		if (n == 2 && p[0] == '.' && p[1] == '.') {
			if (depth > 0)
				depth--;
		} else if (n != 0 && !(n == 1 && p[0] == '.')) {
			start[depth] = p;
			len[depth] = n;
			depth++;
		}
		p += n;
		if (*p == '/')
			p++;
	}
	for (size_t i = 0; i < depth; i++) {
		out[o++] = '/';
		memcpy(out + o, start[i], len[i]);
		o += len[i];
	}
	if (o == 0)
		out[o++] = '/';
	out[o] = '\0';
	free(start);
	free(len);
	return out;
}

static void check_shape(const char *input, const char *out)
{
	size_t n = strlen(out);

	if (out[0] != '/')
		fuzz_fail(input, "cleaned path \"%s\" is not absolute", out);
	if (strstr(out, "//") != NULL)
		fuzz_fail(input, "cleaned path \"%s\" has \"//\"", out);
	if (n > 1 && out[n - 1] == '/')
		fuzz_fail(input, "cleaned path \"%s\" ends with '/'", out);
	for (const char *c = out; c != NULL; c = strchr(c + 1, '/')) {
		const char *comp = c + 1;
		size_t clen = strcspn(comp, "/");

		if ((clen == 1 && comp[0] == '.') ||
		    (clen == 2 && comp[0] == '.' && comp[1] == '.'))
			fuzz_fail(input, "cleaned path \"%s\" has a \"%.*s\" component", out,
				  (int)clen, comp);
	}
	if (n > strlen(input))
		fuzz_fail(input, "cleaned path \"%s\" is longer than the input", out);
}

static void check_refused(const char *text, int ret, const hc_error_t *err)
{
	char *prefix = fuzz_strdupf("path \"%s\"", text);

	fuzz_check_error(text, "hc_path_clean", ret, err, EINVAL, prefix);
	free(prefix);
}

static void check_accepted(const char *text, const char *out)
{
	hc_error_t *err = NULL;
	char *again, *want, *small;
	size_t n = strlen(out);

	check_shape(text, out);

	want = oracle_clean(text);
	if (strcmp(want, out) != 0)
		fuzz_fail(text, "cleaned to \"%s\", the component-stack reading gives \"%s\"", out,
			  want);
	free(want);

	again = malloc(PATH_MAX);
	if (again == NULL)
		abort();
	if (hc_path_clean(out, again, PATH_MAX, &err) < 0)
		fuzz_fail(text, "cleaning \"%s\" again is refused: %s", out, err->msg);
	if (strcmp(again, out) != 0)
		fuzz_fail(text, "cleaning \"%s\" again gives \"%s\"", out, again);

	/* In place: the input may alias the output. */
	strcpy(again, text);
	if (hc_path_clean(again, again, PATH_MAX, &err) < 0)
		fuzz_fail(text, "cleaning in place is refused: %s", err->msg);
	if (strcmp(again, out) != 0)
		fuzz_fail(text, "cleaning in place gives \"%s\", not \"%s\"", again, out);
	free(again);

	/* Exactly strlen + 1 is enough; one byte less is ERANGE and writes nothing. */
	small = malloc(n + 1);
	if (small == NULL)
		abort();
	if (hc_path_clean(text, small, n + 1, &err) < 0)
		fuzz_fail(text, "refused with an exact-fit buffer of %zu bytes: %s", n + 1,
			  err->msg);
	if (strcmp(small, out) != 0)
		fuzz_fail(text, "exact-fit buffer got \"%s\", not \"%s\"", small, out);
	memset(small, UNTOUCHED, n + 1);
	if (hc_path_clean(text, small, n, &err) != -1 || err == NULL || err->errnum != ERANGE)
		fuzz_fail(text, "a buffer of %zu bytes for \"%s\" is not refused with ERANGE", n,
			  out);
	for (size_t i = 0; i < n + 1; i++) {
		if ((unsigned char)small[i] != UNTOUCHED)
			fuzz_fail(text, "a refused clean wrote byte %zu of the output", i);
	}
	hc_error_free(&err);
	free(small);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fuzz_init("fuzz_path");
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_cstring(data, size);
	bool should_refuse = text[0] != '/' || strlen(text) >= PATH_MAX;
	char *out = malloc(PATH_MAX);
	hc_error_t *err = NULL;
	int ret, quiet;

	if (out == NULL)
		abort();
	memset(out, UNTOUCHED, PATH_MAX);
	ret = hc_path_clean(text, out, PATH_MAX, &err);
	quiet = hc_path_clean(text, out, PATH_MAX, NULL);
	if (quiet != ret)
		fuzz_fail(text, "hc_path_clean returns %d with an error object, %d without", ret,
			  quiet);
	if (should_refuse) {
		check_refused(text, ret, err);
		for (size_t i = 0; i < PATH_MAX; i++) {
			if ((unsigned char)out[i] != UNTOUCHED)
				fuzz_fail(text, "a refused clean wrote byte %zu of the output", i);
		}
	} else {
		if (ret != 0)
			fuzz_fail(text, "an absolute path under PATH_MAX is refused: %s",
				  err != NULL ? err->msg : "(no error object)");
		if (err != NULL)
			fuzz_fail(text, "accepted, yet the error object is set: %s", err->msg);
		check_accepted(text, out);
	}
	hc_error_free(&err);
	free(out);
	free(text);
	return 0;
}
