// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * What the transports that go through a descriptor share: whole reads and
 * writes, and the send, recv and close hooks of their rows (t_fifo.c,
 * t_unix.c, t_tcp.c). Each message is one or more system calls.
 */
#include <errno.h>
#include <stdio.h>
#include <sys/socket.h>
#include <unistd.h>

#include "chanbench.h"

void write_all(int fd, const void *buf, size_t n)
{
	const uint8_t *p = buf;

	while (n) {
		ssize_t w = write(fd, p, n);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			die("write");
		}
		p += w;
		n -= (size_t)w;
	}
}

void read_all(int fd, void *buf, size_t n)
{
	uint8_t *p = buf;

	while (n) {
		ssize_t r = read(fd, p, n);

		if (r < 0) {
			if (errno == EINTR)
				continue;
			die("read");
		}
		if (r == 0) {
			errno = 0;
			die("read: unexpected end of stream");
		}
		p += r;
		n -= (size_t)r;
	}
}

void fd_send(struct ctx *cx, struct ends *e, const void *buf, size_t n)
{
	write_all(e->tx, buf, n);
}

void fd_recv(struct ctx *cx, struct ends *e, void *buf, size_t n)
{
	read_all(e->rx, buf, n);
}

void fd_close(struct ctx *cx, const struct cmd *c, struct ends *e)
{
	if (e->tx >= 0)
		close(e->tx);
	if (e->rx >= 0 && e->rx != e->tx)
		close(e->rx);
	if (e->lfd >= 0)
		close(e->lfd);
}

/* Ask for `want` bytes of buffer `opt`; what the kernel granted (it
 * doubles the value asked, for its own bookkeeping, and caps it at
 * net.core.wmem_max or rmem_max). Over the cap, the *FORCE option, which
 * needs CAP_NET_ADMIN: root on the host, maybe not in the container. */
static int sock_buf(int fd, int opt, int force, uint64_t want, const char **how)
{
	int v = want > (1u << 30) ? 1 << 30 : (int)want, got = 0;
	socklen_t len = sizeof(got);

	if (setsockopt(fd, SOL_SOCKET, opt, &v, sizeof(v)) < 0)
		die("setsockopt %s", opt == SO_SNDBUF ? "SO_SNDBUF" : "SO_RCVBUF");
	if (getsockopt(fd, SOL_SOCKET, opt, &got, &len) < 0)
		die("getsockopt");
	if ((uint64_t)got >= 2 * (uint64_t)v)
		return got;
	if (setsockopt(fd, SOL_SOCKET, force, &v, sizeof(v)) < 0) {
		*how = "capped by net.core.wmem_max/rmem_max";
		errno = 0;
		return got;
	}
	if (getsockopt(fd, SOL_SOCKET, opt, &got, &len) < 0)
		die("getsockopt");
	*how = "granted by SO_SNDBUFFORCE/SO_RCVBUFFORCE";
	return got;
}

/*
 * The socket's send and receive buffers: raised to `want` (0: left as the
 * kernel sets them), and what was granted written into this side's
 * settings. A small send buffer is what holds a stream socket back: each
 * full buffer is a sleep and a wake-up.
 */
void sock_bufs(struct ctx *cx, int fd, uint64_t want)
{
	char *out = cx->ctl->res[cx->role].settings;
	size_t len = sizeof(cx->ctl->res[0].settings);
	const char *how = "granted";
	int snd, rcv;
	socklen_t l = sizeof(int);

	if (!want) {
		if (getsockopt(fd, SOL_SOCKET, SO_SNDBUF, &snd, &l) < 0 ||
		    getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcv, &l) < 0)
			die("getsockopt");
		snprintf(out, len, "SO_SNDBUF=%d SO_RCVBUF=%d (the kernel's defaults)", snd, rcv);
		return;
	}
	snd = sock_buf(fd, SO_SNDBUF, SO_SNDBUFFORCE, want, &how);
	rcv = sock_buf(fd, SO_RCVBUF, SO_RCVBUFFORCE, want, &how);
	snprintf(out, len, "SO_SNDBUF=%d SO_RCVBUF=%d (asked %llu, %s)", snd, rcv,
		 (unsigned long long)want, how);
}
