// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The FIFO: a named pipe in the channel per one-way channel the command
 * uses, 'a' host to container, 'b' container to host.
 */
#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>

#include "chanbench.h"

static void fifo_make(struct ctx *cx, const struct cmd *c, struct ends *e)
{
	char path[PATH_MAX];
	int i;

	for (i = 0; i < 2; i++) {
		if (!chan_used(c, i))
			continue;
		chan_path(cx, path, sizeof(path), "fifo", c->id, (char)('a' + i));
		if (mkfifo(path, 0600) < 0)
			die("mkfifo %s", path);
	}
}

static void fifo_open(struct ctx *cx, const struct cmd *c, struct ends *e)
{
	char path[PATH_MAX];
	int i;

	/* a before b on both sides: blocking FIFO opens pair up in the same
	 * order and cannot deadlock. */
	for (i = 0; i < 2; i++) {
		int send = chan_sends(cx, i);
		int fd;

		if (!chan_used(c, i))
			continue;
		chan_path(cx, path, sizeof(path), "fifo", c->id, (char)('a' + i));
		fd = open(path, (send ? O_WRONLY : O_RDONLY) | O_CLOEXEC);
		if (fd < 0)
			die("open fifo %s", path);
		if (send)
			e->tx = fd;
		else
			e->rx = fd;
	}
}

static void fifo_remove(struct ctx *cx, const struct cmd *c, struct ends *e)
{
	chan_remove(cx, c, "fifo");
}

const struct transport t_fifo = {
	.name = "fifo",
	.make = fifo_make,
	.open = fifo_open,
	FD_STREAM_HOOKS,
	.remove = fifo_remove,
};
