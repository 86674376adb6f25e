// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * How a producer stores into the shared file (the ring's copies, zc's
 * payloads), and how it chooses.
 *
 * temporal  plain copies: the lines land in the producer's cache, dirty,
 *           and the consumer takes them from there. Best when the two CPUs
 *           share a cache: the bytes never go to memory.
 * nt        non-temporal (streaming) stores: the lines go to memory through
 *           write-combining buffers, and leave the producer's cache. Best
 *           when the CPUs share no cache: taking a dirty line from another
 *           core complex costs more than reading it from memory (on an
 *           AMD EPYC guest whose two vCPUs the hypervisor put on different
 *           complexes, a 1 MiB ring of plain copies moved 2.4 GB/s, the
 *           same ring written with streaming stores 14-17 GB/s).
 * auto      starts from the spin round trip over a line of the file,
 *           probed at open (a shared cache answers in ~115 ns there, none
 *           in ~450 ns), then measures, end to end (storer_account): the
 *           first settled window of big stores in that way, one in the
 *           other, and keeps the faster; and
 *           tries the other way again whenever a window falls well below
 *           what the way in use did, which is what happens when the
 *           hypervisor moves the vCPUs apart, and now and then anyway
 *           (moved together, the way in use does not drop: the other
 *           would just do better), less often each time a trial confirms
 *           the way in use.
 *
 * The consumer does not care how the bytes were stored: streaming stores
 * are weakly ordered, so the producer fences (sfence) before it publishes
 * the index that makes them visible, and the consumer's acquire load of
 * that index then sees them. Only stores of STORE_BIG bytes or more stream;
 * a message's partial first and last lines are always plain stores.
 */
#include <errno.h>
#include <string.h>
#if defined(__x86_64__)
#include <immintrin.h>
#include <x86intrin.h>
#endif

#include "chanbench.h"

const char *const store_name[S_COUNT] = {"temporal", "nt", "auto"};

/* At or above this spin round trip the two CPUs share no cache. */
#define PROBE_FAR_NS 250
/* A window below this fraction of the way in use's rate starts a trial. */
#define DROP	       0.6
#define WINDOW_DEFAULT (4u << 20)
#define WINDOW_DEPTHS  4
/* Settled windows between trials: TRIAL_FIRST after a switch, doubling
 * each time a trial confirms the way in use, up to TRIAL_MAX (1 GiB of
 * 4 MiB windows: a trial in a way six times slower then costs 2%). */
#define TRIAL_FIRST 8
#define TRIAL_MAX   256
/* Slow windows in a row that make a drop. */
#define DROP_WINDOWS 2

int parse_store(const char *name)
{
	int i;

	for (i = 0; i < S_COUNT; i++)
		if (strcmp(name, store_name[i]) == 0)
			return i;
	return -1;
}

#if defined(__x86_64__)
/* The bodies: n a multiple of 64, d 64-byte aligned. The widest the CPU
 * has: a 64-byte store fills a write-combining buffer at once. */
__attribute__((target("avx512f"))) static void nt_copy_avx512(uint8_t *d, const uint8_t *s,
							      size_t n)
{
	for (; n; n -= 64, d += 64, s += 64)
		_mm512_stream_si512((void *)d, _mm512_loadu_si512((const void *)s));
}

__attribute__((target("avx2"))) static void nt_copy_avx2(uint8_t *d, const uint8_t *s, size_t n)
{
	for (; n; n -= 64, d += 64, s += 64) {
		__m256i a = _mm256_loadu_si256((const __m256i *)s);
		__m256i b = _mm256_loadu_si256((const __m256i *)(s + 32));

		_mm256_stream_si256((__m256i *)d, a);
		_mm256_stream_si256((__m256i *)(d + 32), b);
	}
}

static void nt_copy_sse2(uint8_t *d, const uint8_t *s, size_t n)
{
	for (; n; n -= 64, d += 64, s += 64) {
		__m128i a = _mm_loadu_si128((const __m128i *)s);
		__m128i b = _mm_loadu_si128((const __m128i *)(s + 16));
		__m128i c = _mm_loadu_si128((const __m128i *)(s + 32));
		__m128i e = _mm_loadu_si128((const __m128i *)(s + 48));

		_mm_stream_si128((__m128i *)d, a);
		_mm_stream_si128((__m128i *)(d + 16), b);
		_mm_stream_si128((__m128i *)(d + 32), c);
		_mm_stream_si128((__m128i *)(d + 48), e);
	}
}

__attribute__((target("avx512f"))) static void nt_fill_avx512(uint8_t *d, int byte, size_t n)
{
	__m512i v = _mm512_set1_epi8((char)byte);

	for (; n; n -= 64, d += 64)
		_mm512_stream_si512((void *)d, v);
}

__attribute__((target("avx2"))) static void nt_fill_avx2(uint8_t *d, int byte, size_t n)
{
	__m256i v = _mm256_set1_epi8((char)byte);

	for (; n; n -= 64, d += 64) {
		_mm256_stream_si256((__m256i *)d, v);
		_mm256_stream_si256((__m256i *)(d + 32), v);
	}
}

static void nt_fill_sse2(uint8_t *d, int byte, size_t n)
{
	__m128i v = _mm_set1_epi8((char)byte);

	for (; n; n -= 64, d += 64) {
		_mm_stream_si128((__m128i *)d, v);
		_mm_stream_si128((__m128i *)(d + 16), v);
		_mm_stream_si128((__m128i *)(d + 32), v);
		_mm_stream_si128((__m128i *)(d + 48), v);
	}
}

static void (*nt_copy_body)(uint8_t *d, const uint8_t *s, size_t n);
static void (*nt_fill_body)(uint8_t *d, int byte, size_t n);

static void nt_check(void);

/* The build is generic x86-64 (SSE2): the wider stores only where the CPU
 * says it has them. */
static void nt_choose(void)
{
	__builtin_cpu_init();
	if (__builtin_cpu_supports("avx512f")) {
		nt_copy_body = nt_copy_avx512;
		nt_fill_body = nt_fill_avx512;
	} else if (__builtin_cpu_supports("avx2")) {
		nt_copy_body = nt_copy_avx2;
		nt_fill_body = nt_fill_avx2;
	} else {
		nt_copy_body = nt_copy_sse2;
		nt_fill_body = nt_fill_sse2;
	}
	nt_check();
}

static const int have_nt = 1;
#else
static const int have_nt = 0;
#endif

void store_copy(int nt, void *dst, const void *src, size_t n)
{
#if defined(__x86_64__)
	uint8_t *d = dst;
	const uint8_t *s = src;
	size_t head, body;

	if (nt && n >= STORE_BIG) {
		/* Plain stores up to the first whole line, streaming stores
		 * for the whole lines, plain stores for the rest. */
		head = (size_t)(-(uintptr_t)d & 63);
		memcpy(d, s, head);
		d += head;
		s += head;
		n -= head;
		body = n & ~(size_t)63;
		if (!nt_copy_body)
			nt_choose();
		nt_copy_body(d, s, body);
		memcpy(d + body, s + body, n - body);
		return;
	}
#endif
	(void)nt;
	memcpy(dst, src, n);
}

void store_fill(int nt, void *dst, int byte, size_t n);

#if defined(__x86_64__)
/*
 * Before the first streaming store of a process: the streaming copy and
 * fill, at every alignment of the destination within a line and at
 * lengths around the whole lines, against memcpy and memset, nothing
 * written outside. A wrong store would otherwise show only as a verify
 * pass's mismatch, without saying where.
 */
static void nt_check(void)
{
	static const size_t lens[] = {STORE_BIG, STORE_BIG + 1, STORE_BIG + 63, STORE_BIG + 64,
				      2 * STORE_BIG + 17};
	enum { GUARD = 128, MAXLEN = 2 * STORE_BIG + 17 };
	static uint8_t src[MAXLEN], want[MAXLEN + 64 + 2 * GUARD], got[MAXLEN + 64 + 2 * GUARD];
	size_t off, k;

	pattern_fill(src, sizeof(src), 7);
	for (off = 0; off < 64; off++)
		for (k = 0; k < sizeof(lens) / sizeof(lens[0]); k++) {
			memset(want, 0xee, sizeof(want));
			memset(got, 0xee, sizeof(got));
			memcpy(want + GUARD + off, src, lens[k]);
			store_copy(1, got + GUARD + off, src, lens[k]);
			store_fence();
			if (memcmp(want, got, sizeof(want)) != 0) {
				errno = 0;
				die("streaming copy of %zu bytes at line offset %zu is wrong",
				    lens[k], off);
			}
			memset(want + GUARD + off, 0xa7, lens[k]);
			store_fill(1, got + GUARD + off, 0xa7, lens[k]);
			store_fence();
			if (memcmp(want, got, sizeof(want)) != 0) {
				errno = 0;
				die("streaming fill of %zu bytes at line offset %zu is wrong",
				    lens[k], off);
			}
		}
}
#endif

void store_fill(int nt, void *dst, int byte, size_t n)
{
#if defined(__x86_64__)
	uint8_t *d = dst;
	size_t head, body;

	if (nt && n >= STORE_BIG) {
		head = (size_t)(-(uintptr_t)d & 63);
		memset(d, byte, head);
		d += head;
		n -= head;
		body = n & ~(size_t)63;
		if (!nt_fill_body)
			nt_choose();
		nt_fill_body(d, byte, body);
		memset(d + body, byte, n - body);
		return;
	}
#endif
	(void)nt;
	memset(dst, byte, n);
}

/* Streaming stores are weakly ordered: this orders them before the store
 * that publishes them. */
void store_fence(void)
{
#if defined(__x86_64__)
	_mm_sfence();
#else
	atomic_thread_fence(memory_order_seq_cst);
#endif
}

/* A cheap clock for the time a producer spends in its big stores: only
 * ratios of rates are compared, so its unit does not matter. */
uint64_t store_ticks(void)
{
#if defined(__x86_64__)
	return __rdtsc();
#else
	return now_ns();
#endif
}

void storer_init(struct storer *s, int mode, uint64_t probe_ns, uint64_t window, uint64_t depth)
{
	memset(s, 0, sizeof(*s));
	s->mode = mode;
	s->probe_ns = probe_ns;
	/* A window spans the ring's depth several times over: the ring
	 * fills and drains around every pause, and a window much shorter
	 * than that times the filling or the draining, not the way. */
	s->window = window ? window : WINDOW_DEFAULT;
	if (!window && s->window < WINDOW_DEPTHS * depth)
		s->window = WINDOW_DEPTHS * depth;
	s->depth = depth;
	s->every = TRIAL_FIRST;
	s->nt = have_nt && (mode == S_NT || (mode == S_AUTO && probe_ns >= PROBE_FAR_NS));
	/* Auto's first window is a warm-up: the ring starts empty and takes
	 * its size in bytes without waiting, which no later window does. */
	s->ref = -1;
	s->skip = depth;
	s->last = store_ticks();
}

/* After a change of way, the bytes still in flight (up to the ring's
 * depth) were stored the other way, and the consumer's pace on them is
 * what the producer waits for: they are not measured. Measured, a trial
 * window would time the way it left, and auto would choose by chance. */
static void flip(struct storer *s)
{
	s->nt = !s->nt;
	s->switches++;
	s->skip = s->depth;
	s->wbytes = 0;
	s->wticks = 0;
}

/*
 * The producer has just moved `bytes` more in big stores. A window's rate
 * is its bytes over the whole time since the window began, by the clock,
 * not the time spent in the stores and the waits for room alone: the
 * producer also waits elsewhere (a benchmark's repetitions end at a
 * barrier, where it waits for the consumer to drain the ring), and a way
 * that stores fast but leaves the consumer slow (streaming stores, read
 * back from memory) would look the faster in its stores while it is the
 * slower end to end. Auto decides at the end of each window.
 */
void storer_account(struct storer *s, uint64_t bytes)
{
	uint64_t now, ticks;
	double rate;

	s->bytes[s->nt] += bytes;
	if (s->mode != S_AUTO || !have_nt)
		return;
	now = store_ticks();
	ticks = now - s->last;
	s->last = now;
	if (s->skip) {
		s->skip = bytes >= s->skip ? 0 : s->skip - bytes;
		return;
	}
	s->wbytes += bytes;
	s->wticks += ticks;
	if (s->wbytes < s->window)
		return;
	rate = (double)s->wbytes / (double)(s->wticks ? s->wticks : 1);
	s->wbytes = 0;
	s->wticks = 0;
	if (s->ref < 0) {
		s->ref = 0;
		return;
	}
	if (s->trial) {
		/* Keep the way that did better; back to the other if not.
		 * The longer the way in use stays the better one, the
		 * rarer the trials that only confirm it. */
		s->trial = 0;
		s->settled = 0;
		if (rate < s->left) {
			flip(s);
			s->ref = s->left;
			s->every = s->every * 2 > TRIAL_MAX ? TRIAL_MAX : s->every * 2;
		} else {
			s->ref = rate;
			s->every = TRIAL_FIRST;
		}
		return;
	}
	/* One slow window can be a pause that is not the way's (the end of
	 * a benchmark's repetition, where the producer waits for the ring to
	 * drain; the host taking a CPU for a moment): a drop counts when
	 * DROP_WINDOWS windows in a row are slow. */
	if (s->ref > 0 && rate < s->ref * DROP && ++s->low < DROP_WINDOWS)
		return;
	if (s->ref == 0 || rate < s->ref * DROP || ++s->settled >= s->every) {
		/* The first settled window (the probe may have guessed
		 * wrong), a drop (the CPUs moved apart), or time for
		 * another look (they may have moved together: the way in
		 * use does not drop then, the other would just do better,
		 * and is held against the way's own rate, not one window). */
		s->left = s->ref > 0 && rate >= s->ref * DROP ? s->ref : rate;
		s->low = 0;
		s->trial = 1;
		flip(s);
		return;
	}
	s->low = 0;
	/* Follow slow changes without mistaking them for a drop. */
	s->ref = 0.75 * s->ref + 0.25 * rate;
}

void storer_result(const struct storer *s, struct result *res)
{
	/* No big stores at all: every store was a plain one. */
	res->store_used = s->bytes[1] > s->bytes[0] ? S_NT : S_TEMPORAL;
	res->store_switches = s->switches;
	res->store_probe_ns = s->probe_ns;
	res->store_bytes[0] = s->bytes[0];
	res->store_bytes[1] = s->bytes[1];
}
