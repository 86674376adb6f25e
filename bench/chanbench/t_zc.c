// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Zero-copy: a ring of slots in a file in the channel, each sized for the
 * command's message. The producer loans the next free slot, writes its
 * message there, in place, and publishes it; the consumer reads the
 * message where it lies and releases the slot. No byte is copied into the
 * channel or out of it: the copying ring (t_ring.c) moves each byte three
 * times (the producer's buffer into the ring, the ring into the consumer's
 * buffer), zc once, as it is written, and the consumer reads it once.
 *
 * The slots: a control page, then nslots slots, each a header line (the
 * message's length and the producer's CLOCK_MONOTONIC time at publish,
 * for the one-way latency) and the payload, 64-byte aligned. tail counts
 * the slots published, head the slots released; the producer waits for
 * head when all nslots are loaned out, the consumer for tail when it has
 * released all published. Both wait in the command's wait mode (wait.c),
 * and the producer stores in the command's store mode (store.c): it asks
 * the loan how to store the message, and tells auto of each message it
 * published.
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

#define CACHELINE   64
#define ZC_DATA_OFF 4096
#define ZC_SLOT_HDR CACHELINE /* the payload starts a line in */
#define ZC_MIN	    2	      /* slots: one written while one is read */
#define ZC_MAX	    (1u << 16)

struct zc_hdr {
	_Alignas(CACHELINE) _Atomic uint32_t tail; /* slots published: the producer's */
	_Alignas(CACHELINE) _Atomic uint32_t head; /* slots released: the consumer's */
	_Alignas(CACHELINE) _Atomic uint32_t cons_waiting;
	_Alignas(CACHELINE) _Atomic uint32_t prod_waiting;
	_Alignas(CACHELINE) uint32_t nslots;
	uint32_t slot;				   /* bytes per slot, header included */
	_Alignas(CACHELINE) _Atomic uint32_t ping; /* store auto's probe at open */
	_Alignas(CACHELINE) _Atomic uint32_t pong;
};
_Static_assert(sizeof(struct zc_hdr) <= ZC_DATA_OFF, "the header fits its page");

struct zc_slot {
	uint64_t len;
	uint64_t stamp;
};

/* One end, as one side maps it. */
struct zc {
	struct zc_hdr *h;
	uint8_t *data;
	size_t maplen;
	uint32_t nslots, slot;
	uint32_t pos;	/* tail (producer) or head (consumer), as this side has it */
	uint32_t other; /* the other side's index, as last seen */
	int wait;
	uint64_t spin_ns;
	int producer;
	/* producer: how the message loaned is stored */
	int nt;
	struct storer st;
};

struct zc_ends {
	struct zc tx, rx;
};

/* A slot holds the message and its header; big ones are page-aligned. */
static uint32_t zc_slot_size(uint64_t msg)
{
	uint64_t align = msg >= 4096 ? 4096 : CACHELINE;

	return (uint32_t)((ZC_SLOT_HDR + msg + align - 1) & ~(align - 1));
}

static void zc_create(const char *path, const struct cmd *c)
{
	uint32_t slot = zc_slot_size(c->msg);
	uint64_t n = c->ring / slot;
	struct zc_hdr *h;
	size_t len;
	int fd;

	if (n < ZC_MIN)
		n = ZC_MIN;
	if (n > ZC_MAX)
		n = ZC_MAX;
	len = ZC_DATA_OFF + (size_t)n * slot;
	fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		die("create zc %s", path);
	if (ftruncate(fd, (off_t)len) < 0)
		die("size zc %s", path);
	h = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (h == MAP_FAILED)
		die("mmap zc %s", path);
	close(fd);
	/* Every tmpfs page now, not in a timed pass. */
	memset(h, 0, len);
	h->nslots = (uint32_t)n;
	h->slot = slot;
	munmap(h, len);
}

static void zc_open(struct ctx *cx, struct zc *z, const char *path, const struct cmd *c,
		    int producer)
{
	struct zc_hdr *h;
	uint64_t probe = 0;
	off_t len;
	int fd;

	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		die("open zc %s", path);
	len = lseek(fd, 0, SEEK_END);
	if (len <= ZC_DATA_OFF)
		die("zc %s is too short", path);
	h = mmap(NULL, (size_t)len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd, 0);
	if (h == MAP_FAILED)
		die("mmap zc %s", path);
	close(fd);
	memset(z, 0, sizeof(*z));
	z->h = h;
	z->data = (uint8_t *)h + ZC_DATA_OFF;
	z->maplen = (size_t)len;
	z->nslots = h->nslots;
	z->slot = h->slot;
	if (z->nslots < ZC_MIN || z->slot < ZC_SLOT_HDR + c->msg ||
	    ZC_DATA_OFF + (uint64_t)z->nslots * z->slot > (uint64_t)len) {
		errno = 0;
		die("zc %s: its slots do not fit the file or the message", path);
	}
	z->wait = (int)c->wait;
	z->spin_ns = c->spin_ns;
	z->producer = producer;
	if (c->store == S_AUTO && c->cont_cpu >= 0)
		probe = probe_line(cx, &h->ping, &h->pong, producer);
	if (producer)
		storer_init(&z->st, (int)c->store, probe, c->store_window,
			    (uint64_t)z->nslots * z->slot);
	snprintf(cx->ctl->res[cx->role].settings, sizeof(cx->ctl->res[0].settings),
		 "store=%s slots=%u slot=%u", store_name[c->store], z->nslots, z->slot);
}

static void zc_close(struct ctx *cx, struct zc *z)
{
	if (z->h && z->producer)
		storer_result(&z->st, &cx->ctl->res[cx->role]);
	if (z->h)
		munmap(z->h, z->maplen);
	z->h = NULL;
}

static uint8_t *slot_at(const struct zc *z, uint32_t i)
{
	return z->data + (size_t)(i % z->nslots) * z->slot;
}

static void *zc_loan(struct ctx *cx, struct ends *e, size_t n, int *nt)
{
	struct zc *z = &((struct zc_ends *)e->priv)->tx;

	if (n + ZC_SLOT_HDR > z->slot) {
		errno = 0;
		die("zc: a message of %zu bytes in slots of %u", n, z->slot);
	}
	if (z->pos - z->other == z->nslots) {
		z->other = atomic_load_explicit(&z->h->head, memory_order_acquire);
		while (z->pos - z->other == z->nslots)
			z->other = idx_wait(cx, z->wait, z->spin_ns, &z->h->head, z->other,
					    &z->h->prod_waiting);
	}
	z->nt = n >= STORE_BIG && z->st.nt;
	*nt = z->nt;
	return slot_at(z, z->pos) + ZC_SLOT_HDR;
}

static void zc_publish(struct ctx *cx, struct ends *e, size_t n, uint64_t stamp)
{
	struct zc *z = &((struct zc_ends *)e->priv)->tx;
	struct zc_slot *s = (struct zc_slot *)slot_at(z, z->pos);

	s->len = n;
	s->stamp = stamp;
	/* The payload's streaming stores before the index that shows it. */
	if (z->nt)
		store_fence();
	idx_publish(z->wait, &z->h->tail, ++z->pos, &z->h->cons_waiting);
	if (n >= STORE_BIG)
		storer_account(&z->st, n);
}

static const void *zc_peek(struct ctx *cx, struct ends *e, size_t *n, uint64_t *stamp)
{
	struct zc *z = &((struct zc_ends *)e->priv)->rx;
	const struct zc_slot *s;
	uint64_t len;

	if (z->other == z->pos) {
		z->other = atomic_load_explicit(&z->h->tail, memory_order_acquire);
		if (z->other == z->pos)
			z->other = idx_wait(cx, z->wait, z->spin_ns, &z->h->tail, z->pos,
					    &z->h->cons_waiting);
	}
	s = (const struct zc_slot *)slot_at(z, z->pos);
	/* Read once: the other side could change it after the check. */
	len = *(const volatile uint64_t *)&s->len;
	if (len > z->slot - ZC_SLOT_HDR) {
		errno = 0;
		die("zc: slot %u says %llu bytes", z->pos, (unsigned long long)len);
	}
	*n = (size_t)len;
	*stamp = s->stamp;
	return (const uint8_t *)s + ZC_SLOT_HDR;
}

static void zc_release(struct ctx *cx, struct ends *e)
{
	struct zc *z = &((struct zc_ends *)e->priv)->rx;

	idx_publish(z->wait, &z->h->head, ++z->pos, &z->h->prod_waiting);
}

static void zc_make(struct ctx *cx, const struct cmd *c, struct ends *e)
{
	char path[PATH_MAX];
	int i;

	for (i = 0; i < 2; i++)
		if (chan_used(c, i))
			zc_create(chan_path(cx, path, sizeof(path), "zc", c->id, (char)('a' + i)),
				  c);
}

static void zc_attach(struct ctx *cx, const struct cmd *c, struct ends *e)
{
	struct zc_ends *ze = calloc(1, sizeof(*ze));
	char path[PATH_MAX];
	int i;

	if (!ze)
		die("calloc");
	e->priv = ze;
	for (i = 0; i < 2; i++)
		if (chan_used(c, i))
			zc_open(cx, chan_sends(cx, i) ? &ze->tx : &ze->rx,
				chan_path(cx, path, sizeof(path), "zc", c->id, (char)('a' + i)), c,
				chan_sends(cx, i));
}

static void zc_detach(struct ctx *cx, const struct cmd *c, struct ends *e)
{
	struct zc_ends *ze = e->priv;

	zc_close(cx, &ze->tx);
	zc_close(cx, &ze->rx);
	free(ze);
	e->priv = NULL;
}

static void zc_remove(struct ctx *cx, const struct cmd *c, struct ends *e)
{
	chan_remove(cx, c, "zc");
}

static const uint32_t zc_waits[] = {W_SPIN, W_FUTEX, W_ADAPTIVE};

const struct transport t_zc = {
	.name = "zc",
	.waits = zc_waits,
	.nwaits = sizeof(zc_waits) / sizeof(zc_waits[0]),
	.sized = true,
	.sweep_wait = W_ADAPTIVE,
	.stores = true,
	.make = zc_make,
	.open = zc_attach,
	.loan = zc_loan,
	.publish = zc_publish,
	.peek = zc_peek,
	.release = zc_release,
	.close = zc_detach,
	.remove = zc_remove,
};
