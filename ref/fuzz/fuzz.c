// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The helpers ref/fuzz/fuzz.h declares. Failure output is made for the one
 * reading a CI log: the target, the property, and the input with every
 * unprintable byte escaped (the artifact file has the exact bytes).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"

const struct hc_limits fuzz_fixed_limits = {
	.page_size = 4096, .max_size = 1ULL << 40, /* 1 TiB */
};

const struct hc_limits fuzz_open_limits = {
	.page_size = 1,
	.max_size = UINT64_MAX,
};

struct hc_limits fuzz_system_limits;

static const char *target_name = "fuzz";

/*
 * The library writes control bytes of a message as C escapes (\n, \t,
 * \ooo), so a message quoting the input is always one line. The expected
 * prefix is escaped here by the same rule, written independently.
 */
char *fuzz_escape(const char *in)
{
	char *out = malloc(strlen(in) * 4 + 1), *o = out;

	if (out == NULL)
		abort();
	for (const unsigned char *p = (const unsigned char *)in; *p != '\0'; p++) {
		if (*p == '\n')
			o += sprintf(o, "\\n");
		else if (*p == '\t')
			o += sprintf(o, "\\t");
		else if (*p < 0x20 || *p == 0x7f)
			o += sprintf(o, "\\%03o", *p);
		else
			*o++ = (char)*p;
	}
	*o = '\0';
	return out;
}

void fuzz_init(const char *target)
{
	hc_error_t *err = NULL;

	target_name = target;
	if (hc_limits_from_system(&fuzz_system_limits, &err) < 0) {
		fprintf(stderr, "%s: cannot read the system limits: %s\n", target,
			err != NULL && err->msg != NULL ? err->msg : "(no message)");
		abort();
	}
	if (fuzz_system_limits.page_size == 0 ||
	    fuzz_system_limits.page_size > fuzz_system_limits.max_size) {
		fprintf(stderr, "%s: odd system limits: page %llu, max %llu\n", target,
			(unsigned long long)fuzz_system_limits.page_size,
			(unsigned long long)fuzz_system_limits.max_size);
		abort();
	}
}

char *fuzz_cstring(const uint8_t *data, size_t size)
{
	const uint8_t *nul = memchr(data, '\0', size);
	size_t len = nul != NULL ? (size_t)(nul - data) : size;
	char *s = malloc(len + 1);

	if (s == NULL)
		abort();
	memcpy(s, data, len);
	s[len] = '\0';
	return s;
}

char *fuzz_strdupf(const char *fmt, ...)
{
	char *s = NULL;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (n < 0)
		abort();
	return s;
}

/* The input as a C string literal, so that it can be pasted into a unit test. */
static void print_escaped(const char *s)
{
	fputc('"', stderr);
	for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(stderr, "\\%c", *p);
		else if (*p == '\n')
			fputs("\\n", stderr);
		else if (*p == '\t')
			fputs("\\t", stderr);
		else if (*p < 0x20 || *p >= 0x7f)
			/* Octal, not \x: a following hex digit cannot extend it. */
			fprintf(stderr, "\\%03o", *p);
		else
			fputc(*p, stderr);
	}
	fputc('"', stderr);
}

void fuzz_fail(const char *input, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "\n%s: PROPERTY VIOLATED: ", target_name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n%s: input (%zu bytes before any NUL): ", target_name,
		input != NULL ? strlen(input) : 0);
	print_escaped(input != NULL ? input : "");
	fputc('\n', stderr);
	abort();
}

void fuzz_check_error(const char *input, const char *call, int ret, const hc_error_t *err,
		      int errnum, const char *prefix)
{
	const char *newline;
	char *expected;

	if (ret != -1)
		fuzz_fail(input, "%s refused with %d, expected -1", call, ret);
	if (err == NULL)
		fuzz_fail(input, "%s refused without an error object", call);
	if (err->errnum != errnum)
		fuzz_fail(input, "%s refused with errnum %d (%s), expected %d (%s)", call,
			  err->errnum, strerror(err->errnum), errnum, strerror(errnum));
	if (err->msg == NULL || err->msg[0] == '\0')
		fuzz_fail(input, "%s refused with an empty message", call);
	expected = fuzz_escape(prefix);
	if (strncmp(err->msg, expected, strlen(expected)) != 0)
		fuzz_fail(input, "%s: message \"%s\" does not start with \"%s\"", call, err->msg,
			  expected);
	free(expected);
	newline = strchr(err->msg, '\n');
	if (newline != NULL)
		fuzz_fail(input,
			  "%s: the message has a newline at byte %zu (it must be one line): "
			  "\"%s\"",
			  call, (size_t)(newline - err->msg), err->msg);
}
