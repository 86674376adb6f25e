// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Plain files in the channel: the producer writes a whole file, then the
 * consumer reads it, bs bytes per system call. What the seed's dd does.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "chanbench.h"

/* One pass of writes: bs bytes at a time, sequence number in each block. */
static uint64_t write_pass(struct ctx *cx, const char *path, int flags, const struct cmd *c,
			   int verify, uint64_t *t0)
{
	uint64_t i, sum = 0, n = c->count;
	size_t bs = c->msg;
	int fd = open(path, flags | O_CLOEXEC, 0600);

	if (fd < 0)
		die("open %s", path);
	*t0 = now_ns();
	for (i = 0; i < n; i++) {
		if (verify) {
			pattern_fill(cx->sbuf, bs, i);
			sum = checksum(sum, cx->sbuf, bs);
		} else if (bs >= 8) {
			memcpy(cx->sbuf, &i, 8);
		}
		write_all(fd, cx->sbuf, bs);
	}
	close(fd);
	return sum;
}

static void read_pass(struct ctx *cx, const char *path, const struct cmd *c, int verify,
		      struct result *res, uint64_t *t0, uint64_t *t1)
{
	uint64_t i, n = c->count;
	size_t bs = c->msg;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		die("open %s", path);
	*t0 = now_ns();
	for (i = 0; i < n; i++) {
		read_all(fd, cx->rbuf, bs);
		if (verify) {
			pattern_fill(cx->vbuf, bs, i);
			if (memcmp(cx->vbuf, cx->rbuf, bs) != 0) {
				size_t k;

				for (k = 0; k < bs; k++)
					res->bad += cx->vbuf[k] != cx->rbuf[k];
			}
			res->sum = checksum(res->sum, cx->rbuf, bs);
		} else if (bs >= 8) {
			uint64_t seq;

			memcpy(&seq, cx->rbuf, 8);
			res->seq_err += seq != i;
		}
	}
	*t1 = now_ns();
	close(fd);
}

/*
 * The file transport: the producer writes a whole file, then the consumer
 * reads it. The first write allocates the tmpfs pages (and charges them to
 * the writer's memory cgroup); the rewrite finds them in place. The first
 * repetition of the command is the verify pass (every byte compared), the
 * rest are timed.
 */
static void file_test(struct ctx *cx, const struct cmd *c)
{
	int prod = c->dir == C2H ? CONT : HOST;
	struct result *res = &cx->ctl->res[cx->role];
	char path[PATH_MAX];
	uint32_t rep;

	chan_path(cx, path, sizeof(path), "file", c->id, 'a');
	snprintf(res->settings, sizeof(res->settings),
		 "write(2) then read(2) of %llu bytes a call, a new file each repetition",
		 (unsigned long long)c->msg);
	for (rep = 0; rep <= c->reps; rep++) {
		int verify = rep == 0;
		uint32_t k = verify ? 0 : rep - 1;
		uint64_t t0, t1;

		barrier(cx);
		if (cx->role == prod) {
			if (unlink(path) < 0 && errno != ENOENT)
				die("unlink %s", path);
			errno = 0;
			uint64_t sum =
				write_pass(cx, path, O_WRONLY | O_CREAT | O_EXCL, c, verify, &t0);

			t1 = now_ns();
			if (verify) {
				res->sum = sum;
			} else {
				res->t0[k] = t0;
				res->t1[k] = t1;
				write_pass(cx, path, O_WRONLY, c, 0, &t0);
				res->t2[k] = t0;
				res->t3[k] = now_ns();
			}
		}
		barrier(cx);
		if (cx->role != prod) {
			if (verify) {
				res->sum = 0;
				res->bad = 0;
				read_pass(cx, path, c, 1, res, &t0, &t1);
			} else {
				read_pass(cx, path, c, 0, res, &res->t0[k], &res->t1[k]);
			}
		}
	}
	barrier(cx);
	if (cx->role == prod && unlink(path) < 0)
		die("unlink %s", path);
}

const struct transport t_file = {
	.name = "file",
	.file = file_test,
};
