// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The unix stream socket: bound in the channel (one file, 'a', whichever
 * way it carries), the host listens and accepts, the container connects.
 * Both ends raise their buffers to cmd.sockbuf (stream.c): a unix stream
 * socket's sender may have at most its SO_SNDBUF in flight.
 */
#include <errno.h>
#include <limits.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "chanbench.h"

static void unix_addr(struct sockaddr_un *sa, const char *path)
{
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sa->sun_path)) {
		errno = ENAMETOOLONG;
		die("unix socket path %s", path);
	}
	strcpy(sa->sun_path, path);
}

static int unix_listen(const char *path)
{
	struct sockaddr_un sa;
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		die("socket");
	unix_addr(&sa, path);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 1) < 0)
		die("bind/listen %s", path);
	return fd;
}

static int unix_connect(const char *path)
{
	struct sockaddr_un sa;
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		die("socket");
	unix_addr(&sa, path);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		die("connect %s", path);
	return fd;
}

static void unix_make(struct ctx *cx, const struct cmd *c, struct ends *e)
{
	char path[PATH_MAX];

	e->lfd = unix_listen(chan_path(cx, path, sizeof(path), "unix", c->id, 'a'));
}

static void unix_open(struct ctx *cx, const struct cmd *c, struct ends *e)
{
	char path[PATH_MAX];
	int fd;

	if (cx->role == HOST) {
		fd = accept4(e->lfd, NULL, NULL, SOCK_CLOEXEC);
		if (fd < 0)
			die("accept");
	} else {
		fd = unix_connect(chan_path(cx, path, sizeof(path), "unix", c->id, 'a'));
	}
	sock_bufs(cx, fd, c->sockbuf);
	e->tx = fd;
	e->rx = fd;
}

static void unix_remove(struct ctx *cx, const struct cmd *c, struct ends *e)
{
	char path[PATH_MAX];

	chan_path(cx, path, sizeof(path), "unix", c->id, 'a');
	if (unlink(path) < 0)
		die("unlink %s", path);
}

const struct transport t_unix = {
	.name = "unix",
	.make = unix_make,
	.open = unix_open,
	FD_STREAM_HOOKS,
	.remove = unix_remove,
};
