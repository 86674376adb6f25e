// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The error object every libhostchannel call reports through: one message,
 * worded for the user, plus the errno that caused it. Callers add context on
 * the way up; only the CLI prints.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hostchannel.h"

/*
 * Messages quote what the user gave, and a path may hold any byte but NUL:
 * control bytes are written as C escapes (\n, \t, \ooo) so that a message
 * is always one line and never drives the terminal.
 */
static char *escape_controls(char *msg)
{
	size_t n = 0, extra = 0;
	char *out, *o;

	for (const unsigned char *p = (const unsigned char *)msg; *p != '\0'; p++, n++)
		if (*p < 0x20 || *p == 0x7f)
			extra += (*p == '\n' || *p == '\t') ? 1 : 3;
	if (extra == 0)
		return msg;
	out = malloc(n + extra + 1);
	if (out == NULL)
		return msg;
	o = out;
	for (const unsigned char *p = (const unsigned char *)msg; *p != '\0'; p++) {
		if (*p == '\n') {
			*o++ = '\\';
			*o++ = 'n';
		} else if (*p == '\t') {
			*o++ = '\\';
			*o++ = 't';
		} else if (*p < 0x20 || *p == 0x7f) {
			*o++ = '\\';
			*o++ = (char)('0' + (*p >> 6));
			*o++ = (char)('0' + ((*p >> 3) & 7));
			*o++ = (char)('0' + (*p & 7));
		} else {
			*o++ = (char)*p;
		}
	}
	*o = '\0';
	free(msg);
	return out;
}

__attribute__((format(printf, 4, 0))) static int
error_vset(hc_error_t **err, int errnum, bool with_strerror, const char *fmt, va_list ap)
{
	char *msg = NULL;
	hc_error_t *e;

	if (err == NULL || *err != NULL)
		return -1;
	if (vasprintf(&msg, fmt, ap) < 0)
		msg = NULL;
	if (msg != NULL && with_strerror && errnum != 0) {
		char *full = NULL;

		if (asprintf(&full, "%s: %s", msg, strerror(errnum)) >= 0) {
			free(msg);
			msg = full;
		}
	}
	e = calloc(1, sizeof(*e));
	if (e == NULL) {
		free(msg);
		return -1;
	}
	e->errnum = errnum;
	e->msg = msg != NULL ? escape_controls(msg) : strdup("out of memory");
	*err = e;
	return -1;
}

int hc_error_set(hc_error_t **err, int errnum, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	error_vset(err, errnum, false, fmt, ap);
	va_end(ap);
	return -1;
}

int hc_error_sys(hc_error_t **err, int errnum, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	error_vset(err, errnum, true, fmt, ap);
	va_end(ap);
	return -1;
}

int hc_error_prefix(hc_error_t **err, const char *fmt, ...)
{
	char *prefix = NULL, *full = NULL;
	va_list ap;
	int n;

	if (err == NULL || *err == NULL)
		return -1;
	va_start(ap, fmt);
	n = vasprintf(&prefix, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -1;
	if (asprintf(&full, "%s: %s", prefix, (*err)->msg ? (*err)->msg : "") >= 0) {
		free((*err)->msg);
		(*err)->msg = escape_controls(full);
	}
	free(prefix);
	return -1;
}

void hc_error_free(hc_error_t **err)
{
	if (err == NULL || *err == NULL)
		return;
	free((*err)->msg);
	free(*err);
	*err = NULL;
}

void hc_cleanup_freep(void *p)
{
	void **pp = p;

	free(*pp);
	*pp = NULL;
}

void hc_cleanup_closep(int *fd)
{
	if (*fd >= 0) {
		int saved = errno;

		close(*fd);
		errno = saved;
	}
	*fd = -1;
}

void hc_cleanup_errorp(hc_error_t **err)
{
	hc_error_free(err);
}
