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
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "chanbench.h"

const char *const transport_name[T_COUNT] = {"ring", "fifo", "unix", "tcp", "file", "memcpy"};
const char *const wait_name[W_COUNT] = {"spin", "futex", "adaptive", "-"};

struct ends {
	struct ep tx, rx;
	int lfd;
	int has_a, has_b;
};

static const char *kind_of(uint32_t t)
{
	return t == T_RING ? "ring" : t == T_FIFO ? "fifo" : "unix";
}

static void ep_init(struct ep *e)
{
	memset(e, 0, sizeof(*e));
	e->fd = -1;
}

static void send_msg(struct ctx *cx, struct ep *e, const void *buf, size_t n)
{
	if (e->fd >= 0)
		write_all(e->fd, buf, n);
	else
		ring_put(cx, &e->r, buf, n, 1);
}

static void recv_msg(struct ctx *cx, struct ep *e, void *buf, size_t n)
{
	if (e->fd >= 0)
		read_all(e->fd, buf, n);
	else
		ring_get(cx, &e->r, buf, n);
}

/* Which of the two one-way channels this command uses. */
static void channels(const struct cmd *c, int *a, int *b)
{
	*a = c->op == OP_LAT || c->dir == H2C;
	*b = c->op == OP_LAT || c->dir == C2H;
}

static void setup(struct ctx *cx, const struct cmd *c, struct ends *e)
{
	char path[PATH_MAX];
	int a, b, i;

	ep_init(&e->tx);
	ep_init(&e->rx);
	e->lfd = -1;
	channels(c, &a, &b);
	e->has_a = a;
	e->has_b = b;

	/* The host makes everything in the channel, before the barrier. */
	if (cx->role == HOST) {
		for (i = 0; i < 2; i++) {
			if (!(i == 0 ? a : b))
				continue;
			chan_path(cx, path, sizeof(path), kind_of(c->transport), c->id,
				  (char)('a' + i));
			if (c->transport == T_RING)
				ring_create(path, (uint32_t)c->ring);
			else if (c->transport == T_FIFO && mkfifo(path, 0600) < 0)
				die("mkfifo %s", path);
		}
		if (c->transport == T_UNIX)
			e->lfd = unix_listen(chan_path(cx, path, sizeof(path), "unix", c->id, 'a'));
		else if (c->transport == T_TCP)
			e->lfd = tcp_listen(c->tcp_addr, c->tcp_port);
	}
	barrier(cx);

	if (c->transport == T_RING || c->transport == T_FIFO) {
		/* a before b on both sides: blocking FIFO opens pair up in
		 * the same order and cannot deadlock. */
		for (i = 0; i < 2; i++) {
			int host_sends = i == 0;
			int i_send = (cx->role == HOST) == host_sends;
			struct ep *ep = i_send ? &e->tx : &e->rx;

			if (!(i == 0 ? a : b))
				continue;
			chan_path(cx, path, sizeof(path), kind_of(c->transport), c->id,
				  (char)('a' + i));
			if (c->transport == T_RING) {
				ring_open(&ep->r, path, (int)c->wait, (uint32_t)c->chunk,
					  c->spin_ns);
			} else {
				ep->fd = open(path, (i_send ? O_WRONLY : O_RDONLY) | O_CLOEXEC);
				if (ep->fd < 0)
					die("open fifo %s", path);
			}
		}
	} else {
		int fd;

		if (cx->role == HOST) {
			fd = c->transport == T_TCP ? tcp_accept(e->lfd)
						   : accept4(e->lfd, NULL, NULL, SOCK_CLOEXEC);
			if (fd < 0)
				die("accept");
		} else {
			fd = c->transport == T_TCP ? tcp_connect(c->tcp_addr, c->tcp_port)
						   : unix_connect(chan_path(cx, path, sizeof(path),
									    "unix", c->id, 'a'));
		}
		e->tx.fd = fd;
		e->rx.fd = fd;
	}
	barrier(cx);
}

static void teardown(struct ctx *cx, const struct cmd *c, struct ends *e)
{
	char path[PATH_MAX];
	int i;

	ring_close(&e->tx.r);
	ring_close(&e->rx.r);
	if (e->tx.fd >= 0)
		close(e->tx.fd);
	if (e->rx.fd >= 0 && e->rx.fd != e->tx.fd)
		close(e->rx.fd);
	if (e->lfd >= 0)
		close(e->lfd);
	barrier(cx);
	if (cx->role != HOST)
		return;
	for (i = 0; i < 2; i++) {
		/* A unix socket is one file, 'a', whichever way it carries. */
		int used = c->transport == T_UNIX ? i == 0 : (i == 0 ? e->has_a : e->has_b);

		if (c->transport == T_TCP || !used)
			continue;
		chan_path(cx, path, sizeof(path), kind_of(c->transport), c->id, (char)('a' + i));
		if (unlink(path) < 0)
			die("unlink %s", path);
	}
}

static void thru(struct ctx *cx, const struct cmd *c, struct ends *e)
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
				send_msg(cx, &e->tx, cx->sbuf, c->msg);
			}
			res->t1[rep] = now_ns();
		} else {
			res->t0[rep] = now_ns();
			for (i = 0; i < c->count; i++) {
				uint64_t seq;

				recv_msg(cx, &e->rx, cx->rbuf, c->msg);
				memcpy(&seq, cx->rbuf, 8);
				res->seq_err += seq != i;
			}
			res->t1[rep] = now_ns();
		}
	}
}

static void verify(struct ctx *cx, const struct cmd *c, struct ends *e)
{
	int prod = c->dir == C2H ? CONT : HOST;
	struct result *res = &cx->ctl->res[cx->role];
	uint64_t i;

	barrier(cx);
	for (i = 0; i < c->count; i++) {
		if (cx->role == prod) {
			pattern_fill(cx->sbuf, c->msg, i);
			res->sum = checksum(res->sum, cx->sbuf, c->msg);
			send_msg(cx, &e->tx, cx->sbuf, c->msg);
		} else {
			recv_msg(cx, &e->rx, cx->rbuf, c->msg);
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
static void latency(struct ctx *cx, const struct cmd *c, struct ends *e)
{
	struct result *res = &cx->ctl->res[cx->role];
	uint64_t warm = c->count / 10 < 1000 ? c->count / 10 : 1000;
	uint64_t i, n = c->count + warm;

	barrier(cx);
	for (i = 0; i < n; i++) {
		if (cx->role == HOST) {
			uint64_t t = now_ns(), seq;

			memcpy(cx->sbuf, &i, 8);
			send_msg(cx, &e->tx, cx->sbuf, c->msg);
			recv_msg(cx, &e->rx, cx->rbuf, c->msg);
			t = now_ns() - t;
			memcpy(&seq, cx->rbuf, 8);
			res->seq_err += seq != i;
			if (i >= warm)
				cx->lat[i - warm] = t;
		} else {
			recv_msg(cx, &e->rx, cx->rbuf, c->msg);
			send_msg(cx, &e->tx, cx->rbuf, c->msg);
		}
	}
	if (cx->role == HOST)
		cx->nlat = c->count;
}

/* How much CPU a waiting consumer burns while nothing comes: the producer
 * sleeps idle_ns before its one message. */
static void idle(struct ctx *cx, const struct cmd *c, struct ends *e)
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
		send_msg(cx, &e->tx, cx->sbuf, c->msg);
	} else {
		uint64_t c0 = thread_cpu_ns(), w0 = now_ns();

		recv_msg(cx, &e->rx, cx->rbuf, c->msg);
		res->cpu_ns = thread_cpu_ns() - c0;
		res->wall_ns = now_ns() - w0;
	}
}

void run_cmd(struct ctx *cx, const struct cmd *c)
{
	struct result *res = &cx->ctl->res[cx->role];
	struct ends e;

	memset(res, 0, sizeof(*res));
	if (cx->role == CONT)
		pin_cpu(c->cont_cpu);
	if (c->msg > cx->buflen)
		die("message of %llu bytes is larger than the buffers", (unsigned long long)c->msg);
	if (c->op == OP_FILE) {
		file_test(cx, c);
		return;
	}
	setup(cx, c, &e);
	switch (c->op) {
	case OP_THRU:
		thru(cx, c, &e);
		break;
	case OP_VERIFY:
		verify(cx, c, &e);
		break;
	case OP_LAT:
		latency(cx, c, &e);
		break;
	case OP_IDLE:
		idle(cx, c, &e);
		break;
	default:
		die("unknown command %u", c->op);
	}
	teardown(cx, c, &e);
}
