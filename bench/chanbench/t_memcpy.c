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
 *
 * The cross-core read (handoff): one CPU writes a buffer with plain
 * stores, then the other reads every line of it, in turns, and only the
 * reads are timed. It is the rate at which one CPU takes lines that the
 * other has just written out of that one's cache, wherever the two are:
 * what a consumer of the ring or of zc does to every byte, measured alone.
 * A consumer reading while its producer writes comes near it at best (a
 * little above, at times: the two overlap where these turns do not); zc
 * saves the ring's copies, and so gains on it only where the copies, not
 * this, are the limit.
 */
#include <errno.h>
#include <pthread.h>
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

/* The writer's half of a handoff: whose turn it is in `turn` (0 the
 * writer's, 1 the reader's), each round's buffer a byte of its own. */
struct handoff {
	_Alignas(64) _Atomic uint32_t turn;
	_Alignas(64) uint8_t *buf;
	uint64_t msg, rounds;
	int cpu;
	int err;
};

static void *handoff_writer(void *arg)
{
	struct handoff *h = arg;
	uint64_t i;

	if (try_pin_cpu(h->cpu) < 0)
		h->err = errno;
	for (i = 0; i < h->rounds; i++) {
		while (atomic_load_explicit(&h->turn, memory_order_acquire) != 0)
			;
		/* A failed pin still hands every turn over, so the reader
		 * never waits for nothing; the figure is thrown away. */
		memset(h->buf, (int)(i & 0xff), h->msg);
		atomic_store_explicit(&h->turn, 1, memory_order_release);
	}
	return NULL;
}

/* The reader is the calling thread, pinned where the host side runs. */
static void handoff_ceiling(struct ctx *cx, int writer_cpu, uint64_t msg, uint64_t count,
			    uint32_t reps, uint64_t *pairs)
{
	static struct handoff h;
	volatile uint64_t sink = 0;
	pthread_t th;
	uint32_t rep;

	h.buf = region(msg);
	h.msg = msg;
	h.rounds = (uint64_t)reps * count;
	h.cpu = writer_cpu;
	h.err = 0;
	atomic_store(&h.turn, 0);
	errno = pthread_create(&th, NULL, handoff_writer, &h);
	if (errno)
		die("pthread_create");
	for (rep = 0; rep < reps; rep++) {
		uint64_t i, ns = 0;

		for (i = 0; i < count; i++) {
			uint64_t t0;

			while (atomic_load_explicit(&h.turn, memory_order_acquire) != 1)
				;
			t0 = now_ns();
			sink ^= fold(h.buf, msg);
			ns += now_ns() - t0;
			atomic_store_explicit(&h.turn, 0, memory_order_release);
		}
		pairs[2 * rep] = msg * count;
		pairs[2 * rep + 1] = ns;
	}
	pthread_join(th, NULL);
	munmap(h.buf, msg);
	if (h.err) {
		errno = h.err;
		die("pin the handoff's writer to CPU %d", writer_cpu);
	}
	(void)sink;
}

const struct transport t_memcpy = {
	.name = "memcpy",
	.ceiling = memcpy_ceiling,
	.handoff = handoff_ceiling,
};
