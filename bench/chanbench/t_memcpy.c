// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The ceilings: one thread copying, no peer.
 *
 * At each message size, between the same buffers the transports use: each
 * transport copies at least once per byte, so none can beat it at that
 * size; the report gives every figure as a ratio to it.
 *
 * The memory ceiling: copies of 256 MiB between two buffers of their own,
 * far more than any cache holds, so what it measures is what memory
 * moves. A transport between two CPUs that share no cache can at best
 * move its bytes through memory; the report gives the ring's and zc's big
 * messages as ratios to this too.
 */
#include <string.h>
#include <sys/mman.h>

#include "chanbench.h"

static uint8_t *region(size_t len)
{
	uint8_t *b = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (b == MAP_FAILED)
		die("mmap %zu bytes", len);
	/* Every page now, not in a timed pass. */
	memset(b, 0x5a, len);
	return b;
}

static void memcpy_ceiling(struct ctx *cx, uint64_t msg, uint64_t count, uint32_t reps,
			   uint64_t *pairs)
{
	uint8_t *src = cx->sbuf, *dst = cx->rbuf;
	uint64_t i;
	uint32_t rep;

	if (msg > cx->buflen) {
		src = region(msg);
		dst = region(msg);
		/* One untimed pass: the first copy also pays for whatever
		 * the kernel still does for fresh pages. */
		memcpy(dst, src, msg);
	}
	for (rep = 0; rep < reps; rep++) {
		uint64_t t0 = now_ns();

		for (i = 0; i < count; i++) {
			memcpy(dst, src, msg);
			/* Keeps the compiler from dropping repeated copies. */
			__asm__ volatile("" ::: "memory");
		}
		pairs[2 * rep] = msg * count;
		pairs[2 * rep + 1] = now_ns() - t0;
	}
	if (src != cx->sbuf) {
		munmap(src, msg);
		munmap(dst, msg);
	}
}

const struct transport t_memcpy = {
	.name = "memcpy",
	.ceiling = memcpy_ceiling,
};
