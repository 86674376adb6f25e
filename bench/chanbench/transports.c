// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The transports, one row each. A transport is a file t_NAME.c that
 * defines `const struct transport t_NAME` (chanbench.h says what a row
 * holds) and a row here; nothing else names it. The order is the order the
 * plan measures them in, and cmd.transport is the index, the same on both
 * sides (they are one binary).
 */
#include "chanbench.h"

/* Each row declares its transport and puts it in the table; one a line. */
// clang-format off
#define TRANSPORTS(row) \
	row(ring)       \
	row(zc)         \
	row(fifo)       \
	row(unix)       \
	row(tcp)        \
	row(file)       \
	row(memcpy)     \
	/* a new row goes above this line */
// clang-format on

#define DECLARE(name) extern const struct transport t_##name;
TRANSPORTS(DECLARE)

#define ENTRY(name) &t_##name,
const struct transport *const transports[] = {TRANSPORTS(ENTRY)};
const size_t ntransports = sizeof(transports) / sizeof(transports[0]);
