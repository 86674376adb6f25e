// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The single-producer single-consumer ring: a file in the channel, mapped
 * MAP_SHARED by both sides and prefaulted, so that moving a message costs
 * one copy in and one copy out and no system call while neither side waits.
 *
 * A byte stream, not a slot array: a message bigger than the ring goes
 * through in pieces, and small messages pack densely. The producer publishes
 * its tail at the end of each message and at least every `chunk` bytes
 * inside a big one, so that the consumer copies out while the producer still
 * copies in (the pipelining is where the speed comes from on two cores).
 *
 * With a prefetch distance, the consumer copies out in pieces of a page and,
 * before each, asks for the published lines that far beyond it: the
 * hardware's own prefetchers stop at the end of a page.
 *
 * Waiting, when the ring is empty (consumer) or full (producer), is in the
 * command's wait mode (wait.c). How the producer stores, plain copies or
 * streaming stores, is the command's store mode (store.c); the consumer
 * copies out the same way whichever it was.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "chanbench.h"

/* The ring's control page; data follows at RING_DATA_OFF. Each index on its
 * own cache line so that producer and consumer do not share a line they both
 * write. The indices are 32-bit, free-running, and the futex words. */
#define CACHELINE     64
#define RING_DATA_OFF 4096
struct ring_hdr {
	_Atomic uint32_t tail; /* written by the producer */
	uint8_t pad0[CACHELINE - 4];
	_Atomic uint32_t head; /* written by the consumer */
	uint8_t pad1[CACHELINE - 4];
	_Atomic uint32_t cons_waiting; /* the consumer sleeps on tail */
	uint8_t pad2[CACHELINE - 4];
	_Atomic uint32_t prod_waiting; /* the producer sleeps on head */
	uint8_t pad3[CACHELINE - 4];
	uint32_t size;
	uint8_t pad4[CACHELINE - 4];
	/* store auto: the spin round trip at open, a line each way */
	_Atomic uint32_t ping; /* written by the producer */
	uint8_t pad5[CACHELINE - 4];
	_Atomic uint32_t pong; /* written by the consumer */
};

/* One end of a ring, as mapped by one side. */
struct ring {
	struct ring_hdr *h;
	uint8_t *data;
	size_t maplen;
	uint32_t size, mask;
	uint32_t pos;	/* my index (tail for a producer, head for a consumer) */
	uint32_t other; /* last seen value of the other side's index */
	uint32_t unpub; /* bytes moved since the index was last published */
	uint32_t chunk;
	uint32_t prefetch; /* consumer: bytes ahead, 0: none */
	int wait;
	uint64_t spin_ns;
	int producer;
	int nt_dirty; /* streaming stores not yet fenced */
	struct storer st;
};

static void ring_create(const char *path, uint32_t size)
{
	size_t len = RING_DATA_OFF + (size_t)size;
	struct ring_hdr *h;
	int fd;

	fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		die("create ring %s", path);
	if (ftruncate(fd, (off_t)len) < 0)
		die("size ring %s", path);
	h = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (h == MAP_FAILED)
		die("mmap ring %s", path);
	close(fd);
	/* Allocate every tmpfs page now: a page fault inside a timed pass
	 * would measure the allocator, not the ring. */
	memset(h, 0, len);
	h->size = size;
	munmap(h, len);
}

static void ring_open(struct ctx *cx, struct ring *r, const char *path, const struct cmd *c,
		      int producer)
{
	uint64_t probe = 0;
	struct ring_hdr *h;
	off_t len;
	int fd;

	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		die("open ring %s", path);
	len = lseek(fd, 0, SEEK_END);
	if (len <= RING_DATA_OFF)
		die("ring %s is too short", path);
	/* MAP_POPULATE: the pages exist already; this maps them now, so that
	 * no minor fault lands in a timed pass either. */
	h = mmap(NULL, (size_t)len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd, 0);
	if (h == MAP_FAILED)
		die("mmap ring %s", path);
	close(fd);
	memset(r, 0, sizeof(*r));
	r->h = h;
	r->data = (uint8_t *)h + RING_DATA_OFF;
	r->maplen = (size_t)len;
	r->size = h->size;
	r->mask = r->size - 1;
	/* The other side can write the header too: a size that is not the
	 * file's would send our copies outside the mapping. */
	if (r->size < 2 || (r->size & r->mask) ||
	    RING_DATA_OFF + (uint64_t)r->size > (uint64_t)len) {
		errno = 0;
		die("ring %s: size %u does not fit the file", path, r->size);
	}
	r->chunk = c->chunk ? (uint32_t)c->chunk : r->size;
	if (r->chunk > r->size / 2)
		r->chunk = r->size / 2;
	r->prefetch = c->prefetch > r->size / 2 ? r->size / 2 : (uint32_t)c->prefetch;
	r->wait = (int)c->wait;
	r->spin_ns = c->spin_ns;
	r->producer = producer;
	/* Both sides start at the indices as found: a ring is used by one
	 * test, both ends opened before either moves. */
	r->pos = 0;
	r->other = 0;
	/* Only auto asks where the consumer is, and only pinned: unpinned,
	 * the two sides may share one CPU, and the answer would mean
	 * nothing. */
	if (c->store == S_AUTO && c->cont_cpu >= 0)
		probe = probe_line(cx, &h->ping, &h->pong, producer);
	if (producer)
		storer_init(&r->st, (int)c->store, probe, c->store_window, r->size);
	snprintf(cx->ctl->res[cx->role].settings, sizeof(cx->ctl->res[0].settings),
		 "store=%s ring=%u chunk=%u prefetch=%u", store_name[c->store], r->size, r->chunk,
		 r->prefetch);
}

static void ring_close(struct ctx *cx, struct ring *r)
{
	if (r->h && r->producer)
		storer_result(&r->st, &cx->ctl->res[cx->role]);
	if (r->h)
		munmap(r->h, r->maplen);
	r->h = NULL;
}

static uint32_t wait_change(struct ctx *cx, struct ring *r, _Atomic uint32_t *idx, uint32_t seen,
			    _Atomic uint32_t *waiting)
{
	return idx_wait(cx, r->wait, r->spin_ns, idx, seen, waiting);
}

static void publish(struct ring *r, _Atomic uint32_t *idx, _Atomic uint32_t *peer_waiting)
{
	if (r->nt_dirty) {
		store_fence();
		r->nt_dirty = 0;
	}
	idx_publish(r->wait, idx, r->pos, peer_waiting);
	r->unpub = 0;
}

/* Copy n bytes in. publish=0 leaves them unpublished (a header that the
 * payload's copy will publish with it), unless waiting forces it. */
static void ring_put(struct ctx *cx, struct ring *r, const void *src, size_t n, int publish_end)
{
	const uint8_t *s = src;
	int big = n >= STORE_BIG;
	uint64_t bytes = n;

	while (n) {
		uint32_t used = r->pos - r->other;
		uint32_t space = r->size - used;
		uint32_t off, c;

		if (space == 0) {
			/* Full: what we copied must be visible before we
			 * wait, or the consumer waits for it too. */
			if (r->unpub)
				publish(r, &r->h->tail, &r->h->cons_waiting);
			r->other = atomic_load_explicit(&r->h->head, memory_order_acquire);
			if (r->pos - r->other == r->size)
				r->other = wait_change(cx, r, &r->h->head, r->other,
						       &r->h->prod_waiting);
			continue;
		}
		off = r->pos & r->mask;
		c = space;
		if (c > r->size - off)
			c = r->size - off;
		if (c > n)
			c = (uint32_t)n;
		if (c > r->chunk - r->unpub)
			c = r->chunk - r->unpub;
		if (big && r->st.nt && c >= STORE_BIG) {
			store_copy(1, r->data + off, s, c);
			r->nt_dirty = 1;
		} else {
			memcpy(r->data + off, s, c);
		}
		r->pos += c;
		r->unpub += c;
		s += c;
		n -= c;
		if (r->unpub >= r->chunk)
			publish(r, &r->h->tail, &r->h->cons_waiting);
	}
	if (publish_end && r->unpub)
		publish(r, &r->h->tail, &r->h->cons_waiting);
	if (big)
		storer_account(&r->st, bytes);
}

#define PIECE 4096

/* Copy c bytes out at the consumer's position, asking first, a page at a
 * time, for what lies r->prefetch further on, as far as is published
 * (avail bytes from the position): a line asked for before the producer
 * has written it would only be taken from it again. */
static void copy_out(const struct ring *r, uint8_t *d, uint32_t c, uint32_t avail)
{
	uint32_t off = r->pos & r->mask, done = 0;

	if (!r->prefetch) {
		memcpy(d, r->data + off, c);
		return;
	}
	while (done < c) {
		uint32_t piece = c - done < PIECE ? c - done : PIECE;
		uint32_t from = done + r->prefetch, to = from + piece, x;

		if (to > avail)
			to = avail;
		for (x = from; x < to; x += CACHELINE)
			__builtin_prefetch(r->data + ((r->pos + x) & r->mask), 0, 3);
		memcpy(d + done, r->data + off + done, piece);
		done += piece;
	}
}

static void ring_get(struct ctx *cx, struct ring *r, void *dst, size_t n)
{
	uint8_t *d = dst;

	while (n) {
		uint32_t avail = r->other - r->pos;
		uint32_t off, c;

		if (avail == 0) {
			if (r->unpub)
				publish(r, &r->h->head, &r->h->prod_waiting);
			r->other = atomic_load_explicit(&r->h->tail, memory_order_acquire);
			if (r->other == r->pos)
				r->other = wait_change(cx, r, &r->h->tail, r->pos,
						       &r->h->cons_waiting);
			continue;
		}
		off = r->pos & r->mask;
		c = avail;
		if (c > r->size - off)
			c = r->size - off;
		if (c > n)
			c = (uint32_t)n;
		copy_out(r, d, c, avail);
		r->pos += c;
		r->unpub += c;
		d += c;
		n -= c;
		if (r->unpub >= r->chunk)
			publish(r, &r->h->head, &r->h->prod_waiting);
	}
	/* Freeing space at the end of each message keeps a producer that
	 * waits for room from waiting on a message already consumed. */
	if (r->unpub)
		publish(r, &r->h->head, &r->h->prod_waiting);
}

/* The transport: a ring per one-way channel the command uses, 'a' host to
 * container, 'b' container to host. */
struct ring_ends {
	struct ring tx, rx;
};

static void ring_make(struct ctx *cx, const struct cmd *c, struct ends *e)
{
	char path[PATH_MAX];
	int i;

	for (i = 0; i < 2; i++)
		if (chan_used(c, i))
			ring_create(
				chan_path(cx, path, sizeof(path), "ring", c->id, (char)('a' + i)),
				(uint32_t)c->ring);
}

static void ring_attach(struct ctx *cx, const struct cmd *c, struct ends *e)
{
	struct ring_ends *re = calloc(1, sizeof(*re));
	char path[PATH_MAX];
	int i;

	if (!re)
		die("calloc");
	e->priv = re;
	for (i = 0; i < 2; i++)
		if (chan_used(c, i))
			ring_open(cx, chan_sends(cx, i) ? &re->tx : &re->rx,
				  chan_path(cx, path, sizeof(path), "ring", c->id, (char)('a' + i)),
				  c, chan_sends(cx, i));
}

static void ring_send(struct ctx *cx, struct ends *e, const void *buf, size_t n)
{
	ring_put(cx, &((struct ring_ends *)e->priv)->tx, buf, n, 1);
}

static void ring_recv(struct ctx *cx, struct ends *e, void *buf, size_t n)
{
	ring_get(cx, &((struct ring_ends *)e->priv)->rx, buf, n);
}

static void ring_detach(struct ctx *cx, const struct cmd *c, struct ends *e)
{
	struct ring_ends *re = e->priv;

	ring_close(cx, &re->tx);
	ring_close(cx, &re->rx);
	free(re);
	e->priv = NULL;
}

static void ring_remove(struct ctx *cx, const struct cmd *c, struct ends *e)
{
	chan_remove(cx, c, "ring");
}

static const uint32_t ring_waits[] = {W_SPIN, W_FUTEX, W_ADAPTIVE};

const struct transport t_ring = {
	.name = "ring",
	.waits = ring_waits,
	.nwaits = sizeof(ring_waits) / sizeof(ring_waits[0]),
	.sized = true,
	.sweep_wait = W_ADAPTIVE,
	.idle = true,
	.stores = true,
	.tuned = true,
	.make = ring_make,
	.open = ring_attach,
	.send = ring_send,
	.recv = ring_recv,
	.close = ring_detach,
	.remove = ring_remove,
};
