// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The FIFO: a named pipe in the channel per one-way channel the command
 * uses, 'a' host to container, 'b' container to host. Each end raises the
 * pipe's buffer to cmd.pipe_size (F_SETPIPE_SZ; 64 KiB by default): a full
 * pipe is a sleep and a wake-up.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
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

/* Above /proc/sys/fs/pipe-max-size only with CAP_SYS_RESOURCE: say what
 * the pipe got. */
static void pipe_size(struct ctx *cx, int fd, uint64_t want)
{
	char *out = cx->ctl->res[cx->role].settings;
	size_t len = sizeof(cx->ctl->res[0].settings);
	int got, err = 0;

	if (want && fcntl(fd, F_SETPIPE_SZ, (int)want) < 0)
		err = errno;
	got = fcntl(fd, F_GETPIPE_SZ);
	if (got < 0)
		die("F_GETPIPE_SZ");
	if (!want)
		snprintf(out, len, "F_GETPIPE_SZ=%d (the kernel's default)", got);
	else
		snprintf(out, len, "F_GETPIPE_SZ=%d (asked %llu%s%s)", got,
			 (unsigned long long)want, err ? ": " : ", granted",
			 err ? strerror(err) : "");
	errno = 0;
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
		pipe_size(cx, fd, c->pipe_size);
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
