// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The ceiling: one thread copying the same sizes between the same buffers
 * the transports use. Each transport copies at least once per byte, so none
 * can beat it; the report gives every figure as a ratio to it.
 */
#include <string.h>

#include "chanbench.h"

static void memcpy_ceiling(struct ctx *cx, uint64_t msg, uint64_t count, uint32_t reps,
			   uint64_t *pairs)
{
	uint64_t i;
	uint32_t rep;

	for (rep = 0; rep < reps; rep++) {
		uint64_t t0 = now_ns();

		for (i = 0; i < count; i++) {
			memcpy(cx->rbuf, cx->sbuf, msg);
			/* Keeps the compiler from dropping repeated copies. */
			__asm__ volatile("" ::: "memory");
		}
		pairs[2 * rep] = msg * count;
		pairs[2 * rep + 1] = now_ns() - t0;
	}
}

const struct transport t_memcpy = {
	.name = "memcpy",
	.ceiling = memcpy_ceiling,
};
