// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * What the transports that go through a descriptor share: whole reads and
 * writes, and the send, recv and close hooks of their rows (t_fifo.c,
 * t_unix.c, t_tcp.c). Each message is one or more system calls.
 */
#include <errno.h>
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
