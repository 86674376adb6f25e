// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * What both sides share: the control page, the barrier, futexes, clocks, the
 * byte pattern and its checksum.
 */
#include <errno.h>
#if defined(__x86_64__)
#include <emmintrin.h>
#endif
#include <fcntl.h>
#include <limits.h>
#include <linux/futex.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "chanbench.h"

static struct ctl *die_ctl;

void set_ctl_for_die(struct ctl *c)
{
	die_ctl = c;
}

/* Tell the peer first, so that it stops waiting for us, then go. */
void die(const char *fmt, ...)
{
	char msg[256];
	va_list ap;
	int saved = errno;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fprintf(stderr, "chanbench: %s%s%s\n", msg, saved ? ": " : "",
		saved ? strerror(saved) : "");
	if (die_ctl) {
		if (!atomic_load(&die_ctl->abort))
			snprintf(die_ctl->errmsg, sizeof(die_ctl->errmsg), "%s", msg);
		atomic_store(&die_ctl->abort, 1);
		futex_wake(&die_ctl->bar);
	}
	exit(1);
}

uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

uint64_t thread_cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Shared futexes: the word lives in a MAP_SHARED file page, and the two
 * sides are different processes, so the private flag would key the wait on
 * the wrong thing and nobody would ever be woken. */
void futex_wait(_Atomic uint32_t *w, uint32_t val, uint64_t timeout_ns)
{
	struct timespec ts = {.tv_sec = (time_t)(timeout_ns / 1000000000u),
			      .tv_nsec = (long)(timeout_ns % 1000000000u)};

	if (syscall(SYS_futex, (uint32_t *)w, FUTEX_WAIT, val, &ts, NULL, 0) < 0 &&
	    errno != EAGAIN && errno != EINTR && errno != ETIMEDOUT)
		die("futex wait");
	errno = 0;
}

void futex_wake(_Atomic uint32_t *w)
{
	syscall(SYS_futex, (uint32_t *)w, FUTEX_WAKE, INT_MAX, NULL, NULL, 0);
}

void check_abort(struct ctx *cx)
{
	if (atomic_load_explicit(&cx->ctl->abort, memory_order_relaxed)) {
		/* The peer already said why; do not overwrite its message. */
		fprintf(stderr, "chanbench: peer aborted: %s\n", cx->ctl->errmsg);
		exit(1);
	}
}

/* Two parties: the k-th barrier is passed when the counter reaches 2k. Both
 * sides run the same sequence of barriers, so each keeps k locally. Waiting
 * sleeps on the futex: a barrier must not steal the CPU the peer needs. */
void barrier(struct ctx *cx)
{
	uint32_t target = 2 * ++cx->nbar;
	uint32_t v = atomic_fetch_add(&cx->ctl->bar, 1) + 1;
	uint64_t deadline = now_ns() + 600ull * 1000000000u;

	if (v >= target) {
		futex_wake(&cx->ctl->bar);
		return;
	}
	while ((v = atomic_load(&cx->ctl->bar)) < target) {
		check_abort(cx);
		if (now_ns() > deadline)
			die("the peer did not reach barrier %u within 600 s", cx->nbar);
		futex_wait(&cx->ctl->bar, v, 100000000u);
	}
}

struct ctl *ctl_map(const char *dir, int create)
{
	char path[PATH_MAX];
	struct ctl *c;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, CTL_NAME);
	if (create) {
		fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		if (fd < 0)
			die("create %s", path);
		if (ftruncate(fd, sizeof(struct ctl)) < 0)
			die("size %s", path);
	} else {
		/* The host creates it; the container side may start first. */
		uint64_t deadline = now_ns() + 60ull * 1000000000u;

		while ((fd = open(path, O_RDWR | O_CLOEXEC)) < 0) {
			if (errno != ENOENT || now_ns() > deadline)
				die("open %s", path);
			usleep(10000);
		}
	}
	c = mmap(NULL, sizeof(struct ctl), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (c == MAP_FAILED)
		die("mmap %s", path);
	close(fd);
	if (!create) {
		uint64_t deadline = now_ns() + 60ull * 1000000000u;

		while (atomic_load(&c->magic) != CTL_MAGIC) {
			if (now_ns() > deadline)
				die("%s never became ready", path);
			usleep(1000);
		}
	}
	return c;
}

/* The calling thread onto one CPU; -1 with errno when it cannot be. */
int try_pin_cpu(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return sched_setaffinity(0, sizeof(set), &set);
}

void pin_cpu(int cpu)
{
	if (cpu >= 0 && try_pin_cpu(cpu) < 0)
		die("pin to CPU %d", cpu);
}

/* xorshift64: cheap, and every message gets its own bytes, so a block
 * delivered twice or out of place is caught. */
void pattern_fill(uint8_t *buf, size_t len, uint64_t seed)
{
	uint64_t x = seed * 0x9E3779B97F4A7C15ull + 0x632BE59BD9B4E019ull;
	size_t i;

	for (i = 0; i + 8 <= len; i += 8) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		memcpy(buf + i, &x, 8);
	}
	for (; i < len; i++)
		buf[i] = (uint8_t)(x >> (8 * (i & 7)));
}

/* Order-sensitive, word at a time: fast enough for the verify pass. */
uint64_t checksum(uint64_t sum, const uint8_t *buf, size_t len)
{
	size_t i;
	uint64_t w;

	for (i = 0; i + 8 <= len; i += 8) {
		memcpy(&w, buf + i, 8);
		sum = (sum ^ w) * 0x100000001B3ull + 0x9E37;
	}
	for (; i < len; i++)
		sum = (sum ^ buf[i]) * 0x100000001B3ull;
	return sum;
}

/* Every word of a message, read where it lies: what a consumer that uses
 * the bytes at least does. Four chains of 16-byte loads, so that the loads
 * are neither serialised nor the limit. */
uint64_t fold(const uint8_t *p, size_t n)
{
	uint64_t r = 0, w;
	size_t i = 0;

#if defined(__x86_64__)
	__m128i a = _mm_setzero_si128(), b = a, c = a, d = a;
	uint64_t out[2];

	for (; i + 64 <= n; i += 64) {
		a = _mm_xor_si128(a, _mm_loadu_si128((const __m128i *)(p + i)));
		b = _mm_xor_si128(b, _mm_loadu_si128((const __m128i *)(p + i + 16)));
		c = _mm_xor_si128(c, _mm_loadu_si128((const __m128i *)(p + i + 32)));
		d = _mm_xor_si128(d, _mm_loadu_si128((const __m128i *)(p + i + 48)));
	}
	_mm_storeu_si128((__m128i *)out, _mm_xor_si128(_mm_xor_si128(a, b), _mm_xor_si128(c, d)));
	r = out[0] ^ out[1];
#endif
	for (; i + 8 <= n; i += 8) {
		memcpy(&w, p + i, 8);
		r ^= w;
	}
	for (; i < n; i++)
		r ^= p[i];
	return r;
}

char *chan_path(const struct ctx *cx, char *buf, size_t len, const char *kind, uint32_t id,
		char sub)
{
	snprintf(buf, len, "%s/%s%u%c", cx->dir, kind, id, sub);
	return buf;
}
