// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * TCP over a veth: no channel at all, the baseline a user would otherwise
 * reach for. Only with --tcp ADDR:PORT, the host end of the veth that
 * bench/run.sh sets up. Buffers raised to cmd.sockbuf on both ends, as for
 * unix sockets.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include "chanbench.h"

static void tcp_tune(int fd)
{
	int one = 1;

	/* Latency is measured message by message: Nagle would hold the
	 * small ones back for the peer's delayed ACK. */
	if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) < 0)
		die("TCP_NODELAY");
}

static int tcp_listen(struct ctx *cx, uint32_t addr, uint16_t port, uint64_t bufs)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port)};
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int one = 1;

	if (fd < 0)
		die("socket");
	sa.sin_addr.s_addr = addr;
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0)
		die("SO_REUSEADDR");
	/* Before listen: the window scale goes out in the handshake, and the
	 * accepted socket inherits the buffers. */
	sock_bufs(cx, fd, bufs);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 1) < 0)
		die("bind/listen tcp port %u", port);
	return fd;
}

static int tcp_accept(int lfd)
{
	int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);

	if (fd < 0)
		die("accept");
	tcp_tune(fd);
	return fd;
}

static int tcp_connect(struct ctx *cx, uint32_t addr, uint16_t port, uint64_t bufs)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port)};
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		die("socket");
	sa.sin_addr.s_addr = addr;
	sock_bufs(cx, fd, bufs);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		die("connect tcp port %u", port);
	tcp_tune(fd);
	return fd;
}

static void tcp_make(struct ctx *cx, const struct cmd *c, struct ends *e)
{
	e->lfd = tcp_listen(cx, c->tcp_addr, c->tcp_port, c->sockbuf);
}

static void tcp_open(struct ctx *cx, const struct cmd *c, struct ends *e)
{
	int fd = cx->role == HOST ? tcp_accept(e->lfd)
				  : tcp_connect(cx, c->tcp_addr, c->tcp_port, c->sockbuf);

	e->tx = fd;
	e->rx = fd;
}

const struct transport t_tcp = {
	.name = "tcp",
	.needs_tcp = true,
	.make = tcp_make,
	.open = tcp_open,
	FD_STREAM_HOOKS,
};
