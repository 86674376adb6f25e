// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * One command, both sides: set up the transport's ends, run the passes,
 * tear down. Both sides call run_cmd() with the same command and cross the
 * same barriers; what each does in between depends on its role.
 *
 * A message is exactly `msg` bytes; its first 8 bytes are its sequence
 * number (checked on every message of every timed pass). The verify pass
 * fills each message with a pattern seeded by its sequence number and the
 * consumer compares every byte and checksums what it got, the producer
 * checksums what it sent.
 *
 * Channel 'a' carries host to container, 'b' container to host.
 *
 * A zero-copy transport (loan, publish, peek, release) has its own passes
 * beside each: the producer writes each message where the consumer will
 * read it, the consumer reads it there (zc_* below).
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "chanbench.h"

const char *const wait_name[W_COUNT] = {"spin", "futex", "adaptive", "-"};

/* Whether the command uses one-way channel i: 0 is 'a', 1 is 'b'. */
int chan_used(const struct cmd *c, int i)
{
	return c->op == OP_LAT || c->dir == (i == 0 ? H2C : C2H);
}

/* Whether this side is the sending end of channel i. */
int chan_sends(const struct ctx *cx, int i)
{
	return (cx->role == HOST) == (i == 0);
}

/* Host: unlink the file of each channel the command used. */
void chan_remove(struct ctx *cx, const struct cmd *c, const char *kind)
{
	char path[PATH_MAX];
	int i;

	for (i = 0; i < 2; i++) {
		if (!chan_used(c, i))
			continue;
		chan_path(cx, path, sizeof(path), kind, c->id, (char)('a' + i));
		if (unlink(path) < 0)
			die("unlink %s", path);
	}
}

/* The host makes everything in the channel before the barrier; both sides
 * open their ends after it. */
static void setup(struct ctx *cx, const struct transport *tp, const struct cmd *c, struct ends *e)
{
	e->tx = -1;
	e->rx = -1;
	e->lfd = -1;
	e->priv = NULL;
	if (cx->role == HOST && tp->make)
		tp->make(cx, c, e);
	barrier(cx);
	tp->open(cx, c, e);
	barrier(cx);
}

static void teardown(struct ctx *cx, const struct transport *tp, const struct cmd *c,
		     struct ends *e)
{
	tp->close(cx, c, e);
	barrier(cx);
	if (cx->role == HOST && tp->remove)
		tp->remove(cx, c, e);
}

/* What a zc consumer read, so that its reads are not optimised away. */
static volatile uint64_t sink;

/* zc, the producer: the message in place, as the copying transports send
 * theirs (their buffer's byte, 0x5a, and the sequence number first). The
 * first line with plain stores, the rest as the loan says: a line is not
 * written both ways. */
static void zc_put(struct ctx *cx, const struct transport *tp, struct ends *e, uint64_t seq,
		   size_t n, uint64_t stamp)
{
	int nt;
	uint8_t *p = tp->loan(cx, e, n, &nt);
	size_t first = n < 64 ? n : 64;

	memset(p, 0x5a, first);
	memcpy(p, &seq, first < 8 ? first : 8);
	if (n > first)
		store_fill(nt, p + first, 0x5a, n - first);
	tp->publish(cx, e, n, stamp);
}

/* zc, the consumer: read the whole message in place, check its sequence
 * number and length, release it. */
static void zc_get(struct ctx *cx, const struct transport *tp, struct ends *e, uint64_t want,
		   size_t n, uint64_t *stamp)
{
	struct result *res = &cx->ctl->res[cx->role];
	size_t got;
	uint64_t seq = 0, st;
	const uint8_t *p = tp->peek(cx, e, &got, &st);

	memcpy(&seq, p, got < 8 ? got : 8);
	res->seq_err += seq != want || got != n || (got > 64 && p[got - 1] != 0x5a);
	sink ^= fold(p, got);
	tp->release(cx, e);
	if (stamp)
		*stamp = st;
}

static void zc_thru(struct ctx *cx, const struct transport *tp, const struct cmd *c, struct ends *e)
{
	int prod = c->dir == C2H ? CONT : HOST;
	struct result *res = &cx->ctl->res[cx->role];
	uint32_t rep;
	uint64_t i;

	for (rep = 0; rep < c->reps; rep++) {
		barrier(cx);
		res->t0[rep] = now_ns();
		for (i = 0; i < c->count; i++) {
			if (cx->role == prod)
				zc_put(cx, tp, e, i, c->msg, 0);
			else
				zc_get(cx, tp, e, i, c->msg, NULL);
		}
		res->t1[rep] = now_ns();
	}
}

/* zc's verify: the pattern written in place (through the producer's
 * buffer when the loan says stream: that is the way it streams), every
 * byte compared and checksummed in place. */
static void zc_verify(struct ctx *cx, const struct transport *tp, const struct cmd *c,
		      struct ends *e)
{
	int prod = c->dir == C2H ? CONT : HOST;
	struct result *res = &cx->ctl->res[cx->role];
	uint64_t i;

	barrier(cx);
	for (i = 0; i < c->count; i++) {
		if (cx->role == prod) {
			int nt;
			uint8_t *p = tp->loan(cx, e, c->msg, &nt);

			if (nt) {
				pattern_fill(cx->sbuf, c->msg, i);
				store_copy(1, p, cx->sbuf, c->msg);
			} else {
				pattern_fill(p, c->msg, i);
			}
			res->sum = checksum(res->sum, p, c->msg);
			tp->publish(cx, e, c->msg, 0);
		} else {
			size_t n;
			uint64_t st;
			const uint8_t *p = tp->peek(cx, e, &n, &st);

			if (n != c->msg) {
				errno = 0;
				die("zc: message %llu has %zu bytes, not %llu",
				    (unsigned long long)i, n, (unsigned long long)c->msg);
			}
			pattern_fill(cx->vbuf, n, i);
			if (memcmp(p, cx->vbuf, n) != 0) {
				size_t k;

				for (k = 0; k < n; k++)
					res->bad += p[k] != cx->vbuf[k];
			}
			res->sum = checksum(res->sum, p, n);
			tp->release(cx, e);
		}
	}
}

/* zc's round trip: the container echoes each message from the slot it
 * came in into a slot going back, and stamps it: the host has the one-way
 * time, container to host, of each. */
static void zc_latency(struct ctx *cx, const struct transport *tp, const struct cmd *c,
		       struct ends *e)
{
	uint64_t warm = c->count / 10 < 1000 ? c->count / 10 : 1000;
	uint64_t i, n = c->count + warm;

	barrier(cx);
	for (i = 0; i < n; i++) {
		if (cx->role == HOST) {
			uint64_t t = now_ns(), stamp, t1;

			zc_put(cx, tp, e, i, c->msg, 0);
			zc_get(cx, tp, e, i, c->msg, &stamp);
			t1 = now_ns();
			if (i >= warm) {
				cx->lat[i - warm] = t1 - t;
				cx->owl[i - warm] = t1 - stamp;
			}
		} else {
			size_t got;
			uint64_t st;
			const uint8_t *p = tp->peek(cx, e, &got, &st);
			int nt;
			uint8_t *q = tp->loan(cx, e, got, &nt);

			memcpy(q, p, got);
			tp->release(cx, e);
			tp->publish(cx, e, got, now_ns());
		}
	}
	if (cx->role == HOST) {
		cx->nlat = c->count;
		cx->nowl = c->count;
	}
}

static void thru(struct ctx *cx, const struct transport *tp, const struct cmd *c, struct ends *e)
{
	int prod = c->dir == C2H ? CONT : HOST;
	struct result *res = &cx->ctl->res[cx->role];
	uint32_t rep;
	uint64_t i;

	for (rep = 0; rep < c->reps; rep++) {
		barrier(cx);
		if (cx->role == prod) {
			res->t0[rep] = now_ns();
			for (i = 0; i < c->count; i++) {
				memcpy(cx->sbuf, &i, 8);
				tp->send(cx, e, cx->sbuf, c->msg);
			}
			res->t1[rep] = now_ns();
		} else {
			res->t0[rep] = now_ns();
			for (i = 0; i < c->count; i++) {
				uint64_t seq;

				tp->recv(cx, e, cx->rbuf, c->msg);
				memcpy(&seq, cx->rbuf, 8);
				res->seq_err += seq != i;
			}
			res->t1[rep] = now_ns();
		}
	}
}

static void verify(struct ctx *cx, const struct transport *tp, const struct cmd *c, struct ends *e)
{
	int prod = c->dir == C2H ? CONT : HOST;
	struct result *res = &cx->ctl->res[cx->role];
	uint64_t i;

	barrier(cx);
	for (i = 0; i < c->count; i++) {
		if (cx->role == prod) {
			pattern_fill(cx->sbuf, c->msg, i);
			res->sum = checksum(res->sum, cx->sbuf, c->msg);
			tp->send(cx, e, cx->sbuf, c->msg);
		} else {
			tp->recv(cx, e, cx->rbuf, c->msg);
			pattern_fill(cx->vbuf, c->msg, i);
			if (memcmp(cx->rbuf, cx->vbuf, c->msg) != 0) {
				size_t k;

				for (k = 0; k < c->msg; k++)
					res->bad += cx->rbuf[k] != cx->vbuf[k];
			}
			res->sum = checksum(res->sum, cx->rbuf, c->msg);
		}
	}
}

/* The host pings, the container echoes; the host times each round trip.
 * The first tenth (at most 1000) warms caches and the scheduler, untimed.
 * A message of 16 bytes or more carries the container's clock at its
 * send, after the sequence number: the host has the way back's one-way
 * time too. */
static void latency(struct ctx *cx, const struct transport *tp, const struct cmd *c, struct ends *e)
{
	struct result *res = &cx->ctl->res[cx->role];
	int stamped = c->msg >= 16;
	uint64_t warm = c->count / 10 < 1000 ? c->count / 10 : 1000;
	uint64_t i, n = c->count + warm;

	barrier(cx);
	for (i = 0; i < n; i++) {
		if (cx->role == HOST) {
			uint64_t t = now_ns(), seq, stamp, t1;

			memcpy(cx->sbuf, &i, 8);
			tp->send(cx, e, cx->sbuf, c->msg);
			tp->recv(cx, e, cx->rbuf, c->msg);
			t1 = now_ns();
			memcpy(&seq, cx->rbuf, 8);
			res->seq_err += seq != i;
			if (i >= warm) {
				cx->lat[i - warm] = t1 - t;
				if (stamped) {
					memcpy(&stamp, cx->rbuf + 8, 8);
					cx->owl[i - warm] = t1 - stamp;
				}
			}
		} else {
			tp->recv(cx, e, cx->rbuf, c->msg);
			if (stamped) {
				/* Both sides read the same CLOCK_MONOTONIC. */
				uint64_t stamp = now_ns();

				memcpy(cx->rbuf + 8, &stamp, 8);
			}
			tp->send(cx, e, cx->rbuf, c->msg);
		}
	}
	if (cx->role == HOST) {
		cx->nlat = c->count;
		cx->nowl = stamped ? c->count : 0;
	}
}

/* How much CPU a waiting consumer burns while nothing comes: the producer
 * sleeps idle_ns before its one message. */
static void idle(struct ctx *cx, const struct transport *tp, const struct cmd *c, struct ends *e)
{
	int prod = c->dir == C2H ? CONT : HOST;
	struct result *res = &cx->ctl->res[cx->role];

	barrier(cx);
	if (cx->role == prod) {
		struct timespec ts = {.tv_sec = (time_t)(c->idle_ns / 1000000000u),
				      .tv_nsec = (long)(c->idle_ns % 1000000000u)};
		uint64_t zero = 0;

		nanosleep(&ts, NULL);
		memset(cx->sbuf, 0, c->msg);
		memcpy(cx->sbuf, &zero, 8);
		tp->send(cx, e, cx->sbuf, c->msg);
	} else {
		uint64_t c0 = thread_cpu_ns(), w0 = now_ns();

		tp->recv(cx, e, cx->rbuf, c->msg);
		res->cpu_ns = thread_cpu_ns() - c0;
		res->wall_ns = now_ns() - w0;
	}
}

void run_cmd(struct ctx *cx, const struct cmd *c)
{
	struct result *res = &cx->ctl->res[cx->role];
	const struct transport *tp;
	struct ends e;

	if (cx->role == CONT)
		pin_cpu(c->cont_cpu);
	/* The probes around a figure (probe.c) leave its results alone: the
	 * host reads them after the probe that follows. */
	if (c->op == OP_PROBE) {
		probe_cmd(cx, c);
		return;
	}
	memset(res, 0, sizeof(*res));
	errno = 0;
	if (c->msg > cx->buflen)
		die("message of %llu bytes is larger than the buffers", (unsigned long long)c->msg);
	if (c->transport >= ntransports)
		die("unknown transport %u", c->transport);
	tp = transports[c->transport];
	if (c->op == OP_FILE) {
		if (!tp->file)
			die("%s: no file passes", tp->name);
		tp->file(cx, c);
		return;
	}
	if (!tp->send && !tp->loan)
		die("%s: no messages", tp->name);
	if (tp->loan && c->op == OP_IDLE)
		die("%s: no idle pass", tp->name);
	setup(cx, tp, c, &e);
	switch (c->op) {
	case OP_THRU:
		(tp->loan ? zc_thru : thru)(cx, tp, c, &e);
		break;
	case OP_VERIFY:
		(tp->loan ? zc_verify : verify)(cx, tp, c, &e);
		break;
	case OP_LAT:
		(tp->loan ? zc_latency : latency)(cx, tp, c, &e);
		break;
	case OP_IDLE:
		idle(cx, tp, c, &e);
		break;
	default:
		die("unknown command %u", c->op);
	}
	teardown(cx, tp, c, &e);
}
