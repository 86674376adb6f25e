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
 * The first tenth (at most 1000) warms caches and the scheduler, untimed. */
static void latency(struct ctx *cx, const struct transport *tp, const struct cmd *c, struct ends *e)
{
	struct result *res = &cx->ctl->res[cx->role];
	uint64_t warm = c->count / 10 < 1000 ? c->count / 10 : 1000;
	uint64_t i, n = c->count + warm;

	barrier(cx);
	for (i = 0; i < n; i++) {
		if (cx->role == HOST) {
			uint64_t t = now_ns(), seq;

			memcpy(cx->sbuf, &i, 8);
			tp->send(cx, e, cx->sbuf, c->msg);
			tp->recv(cx, e, cx->rbuf, c->msg);
			t = now_ns() - t;
			memcpy(&seq, cx->rbuf, 8);
			res->seq_err += seq != i;
			if (i >= warm)
				cx->lat[i - warm] = t;
		} else {
			tp->recv(cx, e, cx->rbuf, c->msg);
			tp->send(cx, e, cx->rbuf, c->msg);
		}
	}
	if (cx->role == HOST)
		cx->nlat = c->count;
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
	if (!tp->send)
		die("%s: no messages", tp->name);
	setup(cx, tp, c, &e);
	switch (c->op) {
	case OP_THRU:
		thru(cx, tp, c, &e);
		break;
	case OP_VERIFY:
		verify(cx, tp, c, &e);
		break;
	case OP_LAT:
		latency(cx, tp, c, &e);
		break;
	case OP_IDLE:
		idle(cx, tp, c, &e);
		break;
	default:
		die("unknown command %u", c->op);
	}
	teardown(cx, tp, c, &e);
}
