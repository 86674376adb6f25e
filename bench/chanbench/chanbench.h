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
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#if __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "the ring's wire format is little-endian"
#endif

enum role { HOST = 0, CONT = 1 };
enum dir { C2H = 0, H2C = 1 };
enum waitmode { W_SPIN, W_FUTEX, W_ADAPTIVE, W_NONE, W_COUNT };
enum op { OP_THRU = 1, OP_VERIFY, OP_LAT, OP_FILE, OP_IDLE, OP_QUIT, OP_PROBE };
/* How a shared-memory producer stores (store.c): plain copies, non-temporal
 * stores, or chosen at open and again when throughput drops. */
enum store { S_TEMPORAL, S_NT, S_AUTO, S_COUNT };

#define MAXREP	  32
#define CTL_NAME  "ctl"
#define CTL_MAGIC 0x68636231u /* "hcb1" */

struct cmd {
	uint32_t op;
	uint32_t transport; /* index into transports[] */
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
	/* The transports' settings (store.c, stream.c). */
	uint32_t store; /* ring, zc: enum store */
	uint32_t pad3;
	uint64_t store_window; /* auto: bytes per measured window, 0: the default */
	uint64_t sockbuf;      /* unix, tcp: SO_SNDBUF and SO_RCVBUF to ask, 0: the kernel's */
	uint64_t pipe_size;    /* fifo: F_SETPIPE_SZ to ask, 0: the kernel's */
	uint64_t prefetch;     /* ring: the consumer prefetches this far ahead, 0: not */
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
	/* What the transport used on this side, as it found it granted. */
	char settings[192];
	/* The producer's store mode (ring, zc): the one that moved the most
	 * bytes, how often auto changed it, the spin round trip it probed at
	 * open (0: none), and the bytes each way moved. */
	uint32_t store_used;
	uint32_t store_switches;
	uint64_t store_probe_ns;
	uint64_t store_bytes[2]; /* [0] temporal, [1] non-temporal */
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
	/* OP_PROBE (probe.c): the spin round trip between the two pinned
	 * CPUs, one line written by each side, and the container side's
	 * process CPU time when the probe began and when it ended. */
	struct pingpong {
		_Alignas(64) _Atomic uint32_t ping; /* the host side writes it */
		_Atomic uint32_t stop;		    /* the host gave up waiting */
		_Alignas(64) _Atomic uint32_t pong; /* the container side writes it */
	} pp;
	_Alignas(64) uint64_t cont_cpu_start;
	uint64_t cont_cpu_end;
};

/* The ends of one command's transport, as this side holds them. */
struct ends {
	int tx, rx; /* descriptors: -1, or the same one for a socket */
	int lfd;    /* host: a listening socket, or -1 */
	void *priv; /* what else the transport keeps (the ring: its mappings) */
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
	uint64_t *owl; /* host: the container-to-host leg of each, ns */
	size_t nowl;   /* 0: the message has no room for a timestamp */
};

/*
 * A transport: one row of transports[] (transports.c), defined in its own
 * file, t_NAME.c. The plan (main.c) measures each row with what it has:
 *   send, recv   messages: verify, throughput and latency, both ways
 *   file         whole files, written then read (OP_FILE)
 *   ceiling      one thread on the host alone, no peer: the memcpy ceiling
 *   handoff      the host side's thread reads what a thread of its own on
 *                the container side's CPU wrote: the cross-core read ceiling
 * Both sides call the hooks with the same command, except those marked host.
 */
struct transport {
	const char *name;      /* in --only, in the JSON and in the table */
	const uint32_t *waits; /* wait modes to measure, in this order; none: W_NONE */
	uint32_t nwaits;
	/* cmd.ring is its size (and cmd.chunk applies): the main series runs
	 * at the profile's size, then a sweep over sizes in sweep_wait. */
	bool sized;
	uint32_t sweep_wait;
	bool idle;	/* worth measuring what a waiting consumer burns */
	bool needs_tcp; /* only with --tcp ADDR:PORT */
	bool stores;	/* cmd.store applies: measured in each store mode */
	bool tuned;	/* cmd.chunk and cmd.prefetch apply: the tuning series */

	/* host, before either side opens: make what lives in the channel */
	void (*make)(struct ctx *cx, const struct cmd *c, struct ends *e);
	void (*open)(struct ctx *cx, const struct cmd *c, struct ends *e);
	void (*send)(struct ctx *cx, struct ends *e, const void *buf, size_t n);
	void (*recv)(struct ctx *cx, struct ends *e, void *buf, size_t n);
	void (*close)(struct ctx *cx, const struct cmd *c, struct ends *e);
	/* host, once both sides have closed: remove what make made */
	void (*remove)(struct ctx *cx, const struct cmd *c, struct ends *e);

	/* Zero-copy rows have these instead of send and recv: the producer
	 * loans room for n bytes in the shared file, writes the message there
	 * (with streaming stores if the loan says *nt) and publishes it
	 * (stamp: its CLOCK_MONOTONIC time, for the one-way latency); the
	 * consumer peeks at the next message where it lies and releases it
	 * once read. */
	void *(*loan)(struct ctx *cx, struct ends *e, size_t n, int *nt);
	void (*publish)(struct ctx *cx, struct ends *e, size_t n, uint64_t stamp);
	const void *(*peek)(struct ctx *cx, struct ends *e, size_t *n, uint64_t *stamp);
	void (*release)(struct ctx *cx, struct ends *e);

	void (*file)(struct ctx *cx, const struct cmd *c);
	/* count copies of msg bytes, reps times; (bytes, ns) per repetition */
	void (*ceiling)(struct ctx *cx, uint64_t msg, uint64_t count, uint32_t reps,
			uint64_t *pairs);
	/* the same, each msg written on writer_cpu, then read here */
	void (*handoff)(struct ctx *cx, int writer_cpu, uint64_t msg, uint64_t count, uint32_t reps,
			uint64_t *pairs);
};

/* transports.c */
extern const struct transport *const transports[];
extern const size_t ntransports;

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
int try_pin_cpu(int cpu);
void pin_cpu(int cpu);
void pattern_fill(uint8_t *buf, size_t len, uint64_t seed);
uint64_t checksum(uint64_t sum, const uint8_t *buf, size_t len);
uint64_t fold(const uint8_t *p, size_t n);
char *chan_path(const struct ctx *cx, char *buf, size_t len, const char *kind, uint32_t id,
		char sub);

/* probe.c: what else ran while a figure was measured, and where the two
 * pinned CPUs are from each other */
struct probe_out {
	uint64_t rtt_ns;	 /* median spin round trip, 0: not measured */
	uint64_t cont_cpu_start; /* the container side's process CPU time, ns */
	uint64_t cont_cpu_end;
};
uint64_t proc_cpu_ns(void);
int busy_source(void);
uint64_t machine_busy_ns(void);
const char *busy_source_name(void);
void probe_cmd(struct ctx *cx, const struct cmd *c);
void probe_result(const struct ctx *cx, struct probe_out *out);
uint64_t pingpong_threads(int cpu_a, int cpu_b, uint32_t count);
/* wait.c: a shared index, waited on and published in a wait mode (the
 * ring and zc). `waiting` is the flag a side raises before it sleeps on
 * idx; publish wakes the peer only when its flag is up. */
uint32_t idx_wait(struct ctx *cx, int wait, uint64_t spin_ns, _Atomic uint32_t *idx, uint32_t seen,
		  _Atomic uint32_t *waiting);
void idx_publish(int wait, _Atomic uint32_t *idx, uint32_t v, _Atomic uint32_t *peer_waiting);
uint64_t probe_line(struct ctx *cx, _Atomic uint32_t *ping, _Atomic uint32_t *pong, int leader);

/* store.c: how a producer stores into the shared file */
extern const char *const store_name[S_COUNT];
struct storer {
	int mode;		 /* what was asked: enum store */
	int nt;			 /* what the next big store does: 1 non-temporal */
	int trial;		 /* auto: trying the other way for a window */
	uint64_t window;	 /* auto: bytes per measured window */
	uint64_t wbytes, wticks; /* the current window: bytes, time in stores */
	double ref;		 /* auto: bytes per tick of the current way */
	double left;		 /* auto, in a trial: that of the way it left */
	uint32_t low;		 /* auto: slow windows in a row */
	uint32_t settled;	 /* auto: windows since the last trial ... */
	uint32_t every;		 /* ... and how many until the next */
	uint32_t switches;
	uint64_t probe_ns;
	uint64_t bytes[2];
	uint64_t depth; /* auto: bytes the ring holds in flight ... */
	uint64_t skip;	/* ... and those still to pass unmeasured */
	uint64_t last;	/* auto: store_ticks() at the last account */
};
#define STORE_BIG 4096 /* smaller stores are plain: a line or two */
void storer_init(struct storer *s, int mode, uint64_t probe_ns, uint64_t window, uint64_t depth);
uint64_t store_ticks(void);
void storer_account(struct storer *s, uint64_t bytes);
void store_copy(int nt, void *dst, const void *src, size_t n);
void store_fill(int nt, void *dst, int byte, size_t n);
void store_fence(void);
void storer_result(const struct storer *s, struct result *res);
int parse_store(const char *name);
int observe(const char *name, const char *json_path, double threshold, char *const argv[]);

/* stream.c: transports through a descriptor */
void write_all(int fd, const void *buf, size_t n);
void read_all(int fd, void *buf, size_t n);
void fd_send(struct ctx *cx, struct ends *e, const void *buf, size_t n);
void fd_recv(struct ctx *cx, struct ends *e, void *buf, size_t n);
void fd_close(struct ctx *cx, const struct cmd *c, struct ends *e);
void sock_bufs(struct ctx *cx, int fd, uint64_t want);
/* The message hooks of a row whose two ends are plain descriptors. */
#define FD_STREAM_HOOKS .send = fd_send, .recv = fd_recv, .close = fd_close

/* tests.c */
void run_cmd(struct ctx *cx, const struct cmd *c);
int chan_used(const struct cmd *c, int i);
int chan_sends(const struct ctx *cx, int i);
void chan_remove(struct ctx *cx, const struct cmd *c, const char *kind);
extern const char *const wait_name[W_COUNT];

#endif
