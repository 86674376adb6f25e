// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * What the libFuzzer targets of ref/fuzz/ share: the limits every run uses,
 * the input as a C string, and the one way a target reports a broken
 * property (a message on stderr, then abort(), so that libFuzzer keeps the
 * input as a crash artifact).
 */
#ifndef HC_FUZZ_H
#define HC_FUZZ_H

#include <stddef.h>
#include <stdint.h>

#include "hostchannel.h"

/*
 * Fixed limits keep the verdicts independent of the machine, so an artifact
 * found on one host reproduces on any other. The system's limits are read
 * once, at start-up, as hcrun reads them; the open limits (any non-zero
 * size) let the round trips reach the sizes the real bounds refuse.
 */
extern const struct hc_limits fuzz_fixed_limits;
extern const struct hc_limits fuzz_open_limits;
extern struct hc_limits fuzz_system_limits;

/* libFuzzer's entry points, declared for -Wmissing-prototypes. */
int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Name the target in failure messages, read the system limits. */
void fuzz_init(const char *target);

/*
 * The input as the API sees it: a C string, so the bytes up to the first
 * NUL. malloc'd; never NULL (an allocation failure aborts).
 */
char *fuzz_cstring(const uint8_t *data, size_t size);

/* A broken property: say which, show the input escaped, abort(). */
void fuzz_fail(const char *input, const char *fmt, ...)
	__attribute__((noreturn, format(printf, 2, 3)));

/*
 * A refusal must be complete: ret -1, an error object with errnum, a
 * non-empty one-line message starting with prefix. input is what the
 * failure message shows.
 */
void fuzz_check_error(const char *input, const char *call, int ret, const hc_error_t *err,
		      int errnum, const char *prefix);

/* asprintf that aborts on failure: the targets have no error path of their own. */
char *fuzz_strdupf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* The library's escaping of control bytes in messages (\n, \t, \ooo),
 * written here independently; the result is malloc'd. */
char *fuzz_escape(const char *in);

#endif /* HC_FUZZ_H */
