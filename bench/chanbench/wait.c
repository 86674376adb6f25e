// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Waiting on a shared index and publishing it, in the three wait modes of
 * the shared-memory transports (t_ring.c, t_zc.c), and the spin round trip
 * over a pair of lines in their files that the ring's store mode starts
 * from.
 *
 *   spin      pause in a loop; lowest latency, burns the CPU while idle
 *   futex     announce "I sleep" in a flag, re-check, FUTEX_WAIT on the
 *             index; the other side wakes only when the flag is up
 *   adaptive  spin for spin_ns, then as futex
 * The flag-then-recheck on one side and publish-then-read-flag on the other,
 * each with a full fence between, is what makes a lost wake-up impossible.
 */
#include <sched.h>
#include <stdlib.h>

#include "chanbench.h"

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#elif defined(__aarch64__)
	__asm__ volatile("yield");
#endif
}

/* Wait until *idx differs from `seen`; return its new value. */
uint32_t idx_wait(struct ctx *cx, int wait, uint64_t spin_ns, _Atomic uint32_t *idx, uint32_t seen,
		  _Atomic uint32_t *waiting)
{
	uint64_t start = 0, spins = 0;
	uint32_t v;

	for (;;) {
		v = atomic_load_explicit(idx, memory_order_acquire);
		if (v != seen)
			return v;
		if (wait == W_SPIN || wait == W_ADAPTIVE) {
			cpu_relax();
			if ((++spins & 1023) != 0)
				continue;
			if (wait == W_SPIN) {
				/* Only to notice an aborted peer; a
				 * spinning side never sleeps. */
				if ((spins & ((1u << 20) - 1)) == 0)
					check_abort(cx);
				continue;
			}
			if (!start)
				start = now_ns();
			if (now_ns() - start < spin_ns)
				continue;
		}
		atomic_store_explicit(waiting, 1, memory_order_relaxed);
		atomic_thread_fence(memory_order_seq_cst);
		v = atomic_load_explicit(idx, memory_order_acquire);
		if (v == seen) {
			futex_wait(idx, seen, 200000000u);
			check_abort(cx);
		}
		atomic_store_explicit(waiting, 0, memory_order_relaxed);
	}
}

void idx_publish(int wait, _Atomic uint32_t *idx, uint32_t v, _Atomic uint32_t *peer_waiting)
{
	atomic_store_explicit(idx, v, memory_order_release);
	if (wait == W_SPIN)
		return;
	atomic_thread_fence(memory_order_seq_cst);
	if (atomic_load_explicit(peer_waiting, memory_order_relaxed))
		futex_wake(idx);
}

static void spin_until(struct ctx *cx, _Atomic uint32_t *w, uint32_t val)
{
	uint64_t spins = 0;

	while (atomic_load_explicit(w, memory_order_acquire) != val) {
		cpu_relax();
		if ((++spins & 1023) != 0)
			continue;
		/* Unpinned, both sides may share a CPU: let the other run. */
		sched_yield();
		if ((spins & ((1u << 20) - 1)) == 0)
			check_abort(cx);
	}
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

#define PROBE_WARM  64 /* untimed round trips first */
#define PROBE_BATCH 16 /* round trips timed together: the clock costs too */
#define PROBE_N	    24 /* batches; the median is the answer */

/*
 * The spin round trip between the two sides over two lines of a shared
 * file, each written by one side: the leader writes k to ping and waits
 * for k on pong, the other side answers. Both must call it, on the same
 * pair of fresh (zero) lines. The leader gets the median round trip in ns,
 * the other side 0. About 400 round trips: well under a millisecond.
 */
uint64_t probe_line(struct ctx *cx, _Atomic uint32_t *ping, _Atomic uint32_t *pong, int leader)
{
	uint64_t t[PROBE_N];
	uint32_t k = 0, b, i;

	if (!leader) {
		for (i = 0; i < PROBE_WARM + PROBE_N * PROBE_BATCH; i++) {
			spin_until(cx, ping, ++k);
			atomic_store_explicit(pong, k, memory_order_release);
		}
		return 0;
	}
	for (i = 0; i < PROBE_WARM; i++) {
		atomic_store_explicit(ping, ++k, memory_order_release);
		spin_until(cx, pong, k);
	}
	for (b = 0; b < PROBE_N; b++) {
		uint64_t t0 = now_ns();

		for (i = 0; i < PROBE_BATCH; i++) {
			atomic_store_explicit(ping, ++k, memory_order_release);
			spin_until(cx, pong, k);
		}
		t[b] = (now_ns() - t0) / PROBE_BATCH;
	}
	qsort(t, PROBE_N, sizeof(t[0]), cmp_u64);
	return t[PROBE_N / 2];
}
