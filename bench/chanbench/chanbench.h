/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * chanbench: how fast each way of talking across a host channel is.
 *
 * One program, two sides. The host side (role HOST) plans every test and
 * writes the results; the container side (role CONT) runs inside an hcrun
 * container and only answers. They meet in a control file ("ctl") in the
 * channel, mapped MAP_SHARED by both: the host posts a command there, both
 * sides cross a barrier, run their half of the test, cross another barrier,
 * and the host reads the container's figures back from the same page.
 *
 * Everything shared lives in the channel's tmpfs, so futexes are shared ones
 * (never FUTEX_PRIVATE_FLAG: the two sides are different processes in
 * different namespaces; what they share is the page of the file).
 */
#ifndef CHANBENCH_H
#define CHANBENCH_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#if __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "the ring's wire format is little-endian"
#endif

enum role { HOST = 0, CONT = 1 };
enum dir { C2H = 0, H2C = 1 };
enum transport { T_RING, T_FIFO, T_UNIX, T_TCP, T_FILE, T_MEMCPY, T_COUNT };
enum waitmode { W_SPIN, W_FUTEX, W_ADAPTIVE, W_NONE, W_COUNT };
enum op { OP_THRU = 1, OP_VERIFY, OP_LAT, OP_FILE, OP_IDLE, OP_QUIT };

#define MAXREP	  32
#define CTL_NAME  "ctl"
#define CTL_MAGIC 0x68636231u /* "hcb1" */

struct cmd {
	uint32_t op;
	uint32_t transport;
	uint32_t dir;
	uint32_t wait;
	uint64_t msg;	/* payload bytes per message (file: bytes per write) */
	uint64_t ring;	/* ring data bytes */
	uint64_t count; /* messages per repetition (file: writes) */
	uint32_t reps;
	uint32_t id;	   /* names the test's files in the channel */
	uint32_t tcp_addr; /* host end, network order */
	uint16_t tcp_port; /* host order */
	uint16_t pad;
	uint64_t chunk;	  /* ring: publish the index at least every chunk bytes */
	uint64_t spin_ns; /* adaptive: spin this long before sleeping */
	uint64_t idle_ns; /* OP_IDLE: how long the consumer waits */
	int32_t cont_cpu; /* -1: not pinned */
	int32_t pad2;
};

struct result {
	int32_t err;
	int32_t pad;
	uint64_t t0[MAXREP]; /* per repetition, CLOCK_MONOTONIC ns */
	uint64_t t1[MAXREP];
	uint64_t t2[MAXREP]; /* file: the rewrite pass */
	uint64_t t3[MAXREP];
	uint64_t sum;	  /* checksum of the bytes sent or received */
	uint64_t bad;	  /* bytes that differ from the pattern */
	uint64_t seq_err; /* messages whose sequence number was wrong */
	uint64_t cpu_ns;  /* OP_IDLE: CPU time spent waiting */
	uint64_t wall_ns;
};

struct ctl {
	_Atomic uint32_t magic;
	_Atomic uint32_t abort;
	_Atomic uint32_t hello; /* the container side's pid, once it is there */
	_Atomic uint32_t bar;	/* barrier arrivals, futex word */
	uint8_t pad0[48];
	struct cmd cmd;
	struct result res[2];
	char errmsg[256];
};

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
};

/* One end of a transport: a ring (mapped) or a file descriptor. */
struct ring {
	struct ring_hdr *h;
	uint8_t *data;
	size_t maplen;
	uint32_t size, mask;
	uint32_t pos;	/* my index (tail for a producer, head for a consumer) */
	uint32_t other; /* last seen value of the other side's index */
	uint32_t unpub; /* bytes moved since the index was last published */
	uint32_t chunk;
	int wait;
	uint64_t spin_ns;
};

struct ep {
	int fd; /* -1 when this end is a ring */
	struct ring r;
};

struct ctx {
	int role;	 /* HOST or CONT */
	const char *dir; /* the channel, as this side sees it */
	struct ctl *ctl;
	uint32_t nbar;
	uint8_t *sbuf, *rbuf, *vbuf; /* send, receive, verify scratch */
	size_t buflen;
	uint64_t *lat; /* host: one round trip per iteration, ns */
	size_t nlat;
};

/* ctl.c */
void die(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));
void set_ctl_for_die(struct ctl *c);
uint64_t now_ns(void);
uint64_t thread_cpu_ns(void);
void futex_wait(_Atomic uint32_t *w, uint32_t val, uint64_t timeout_ns);
void futex_wake(_Atomic uint32_t *w);
void barrier(struct ctx *cx);
void check_abort(struct ctx *cx);
struct ctl *ctl_map(const char *dir, int create);
void pin_cpu(int cpu);
void pattern_fill(uint8_t *buf, size_t len, uint64_t seed);
uint64_t checksum(uint64_t sum, const uint8_t *buf, size_t len);
char *chan_path(const struct ctx *cx, char *buf, size_t len, const char *kind, uint32_t id,
		char sub);

/* ring.c */
void ring_create(const char *path, uint32_t size);
void ring_open(struct ring *r, const char *path, int wait, uint32_t chunk, uint64_t spin_ns);
void ring_close(struct ring *r);
void ring_put(struct ctx *cx, struct ring *r, const void *src, size_t n, int publish);
void ring_get(struct ctx *cx, struct ring *r, void *dst, size_t n);
void ring_wait_data(struct ctx *cx, struct ring *r);

/* stream.c */
void write_all(int fd, const void *buf, size_t n);
void read_all(int fd, void *buf, size_t n);
int unix_listen(const char *path);
int unix_connect(const char *path);
int tcp_listen(uint32_t addr, uint16_t port);
int tcp_accept(int lfd);
int tcp_connect(uint32_t addr, uint16_t port);
void file_test(struct ctx *cx, const struct cmd *c);

/* tests.c */
void run_cmd(struct ctx *cx, const struct cmd *c);
extern const char *const transport_name[T_COUNT];
extern const char *const wait_name[W_COUNT];

#endif
