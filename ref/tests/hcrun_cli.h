/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * For the unit tests that drive the built hcrun end to end (oci_kit_test,
 * roots_test): where it is, and running a command line.
 */
#ifndef HC_TESTS_HCRUN_CLI_H
#define HC_TESTS_HCRUN_CLI_H

#include <libgen.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

/* build/tests/ref/<test> -> build/hcrun */
static inline int hcrun_path(char *buf, size_t len)
{
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

	if (n < 0)
		return -1;
	exe[n] = '\0';
	if (snprintf(buf, len, "%s/hcrun", dirname(dirname(dirname(exe)))) >= (int)len)
		return -1;
	return access(buf, X_OK);
}

/* Run a shell command line; its stdout+stderr into out. Returns the status. */
static inline int run(char *out, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static inline int run(char *out, size_t len, const char *fmt, ...)
{
	char cmd[8192];
	va_list ap;
	size_t n = 0;
	FILE *f;
	int st;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	f = popen(cmd, "r");
	if (f == NULL)
		return -1;
	out[0] = '\0';
	while (n + 1 < len) {
		size_t got = fread(out + n, 1, len - n - 1, f);

		if (got == 0)
			break;
		n += got;
	}
	out[n] = '\0';
	st = pclose(f);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

#endif
