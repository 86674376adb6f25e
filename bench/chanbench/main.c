// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * chanbench's entry point: options, the host side's plan per profile, the
 * container side's answer loop, and the output (JSON lines, one record per
 * figure, and a table for people).
 *
 * The host side runs on the host with --dir at the channel's host path; the
 * container side runs inside the container (hcrun exec) with --dir at the
 * channel's container path. bench/run.sh starts both.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "chanbench.h"

#define MAXMSG (4u << 20)
#define KiB    1024ull
#define MiB    (1024ull * 1024)
/* The smallest message the cross-core read ceiling is measured at: below
 * it, each read's start (its first lines' whole latency, the prefetchers'
 * ramp) weighs, which a consumer running behind its producer does not
 * pay, and the figure stops being a ceiling. */
#define HANDOFF_MIN (256 * KiB)

struct profile {
	const char *name;
	const uint64_t *msgs;	   /* throughput message sizes, 0-terminated */
	const uint64_t *files;	   /* file write sizes */
	const uint64_t *sweep_msg; /* ring-size sweep: these messages ... */
	const uint64_t *rings;	   /* ... through these ring sizes */
	uint64_t ring;		   /* the ring size of the main series */
	uint64_t total;		   /* bytes per repetition ... */
	uint64_t max_count;	   /* ... in at most this many messages */
	uint64_t file_total;
	uint64_t verify_total;
	uint32_t reps;
	uint64_t lat_iters;
	uint64_t idle_ns;
	uint64_t memory; /* the memory ceiling's copy (t_memcpy.c) */
	int tuning;	 /* the ring's tuning series (thru_tuning) */
};

static const uint64_t smoke_msgs[] = {64, 4 * KiB, 1 * MiB, 0};
static const uint64_t smoke_files[] = {1 * KiB, 64 * KiB, 0};
static const uint64_t smoke_sweep[] = {0};
static const uint64_t quick_msgs[] = {64,	 1 * KiB, 4 * KiB, 16 * KiB, 64 * KiB,
				      256 * KiB, 1 * MiB, 4 * MiB, 0};
static const uint64_t quick_files[] = {1 * KiB, 4 * KiB, 64 * KiB, 1 * MiB, 4 * MiB, 0};
static const uint64_t quick_sweep[] = {64 * KiB, 1 * MiB, 0};
static const uint64_t rings[] = {256 * KiB, 1 * MiB, 4 * MiB, 16 * MiB, 64 * MiB, 0};
static const uint64_t full_msgs[] = {64,	128,	   256,	     512,      1 * KiB,	 2 * KiB,
				     4 * KiB,	8 * KiB,   16 * KiB, 32 * KiB, 64 * KiB, 128 * KiB,
				     256 * KiB, 512 * KiB, 1 * MiB,  2 * MiB,  4 * MiB,	 0};
static const uint64_t full_files[] = {1 * KiB,	2 * KiB,  4 * KiB,   8 * KiB,	16 * KiB,
				      32 * KiB, 64 * KiB, 128 * KiB, 256 * KiB, 512 * KiB,
				      1 * MiB,	2 * MiB,  4 * MiB,   0};
static const uint64_t full_sweep[] = {4 * KiB, 64 * KiB, 1 * MiB, 4 * MiB, 0};

static const struct profile profiles[] = {
	{"smoke", smoke_msgs, smoke_files, smoke_sweep, rings, 256 * KiB, 1 * MiB, 4096, 1 * MiB,
	 1 * MiB, 2, 200, 20000000, 64 * MiB, 0},
	{"quick", quick_msgs, quick_files, quick_sweep, rings, 1 * MiB, 16 * MiB, 65536, 64 * MiB,
	 4 * MiB, 5, 20000, 200000000, 256 * MiB, 1},
	{"full", full_msgs, full_files, full_sweep, rings, 1 * MiB, 64 * MiB, 262144, 64 * MiB,
	 16 * MiB, 7, 200000, 500000000, 256 * MiB, 1},
};

static struct {
	const struct profile *p;
	const char *json_path;
	FILE *json;
	const char *label;
	uint64_t only; /* bit per transports[] index; 0: all */
	int host_cpu, cont_cpu;
	uint32_t tcp_addr;
	uint16_t tcp_port;
	uint64_t spin_ns;
	uint64_t chunk, cur_chunk; /* the ring's: --chunk, and the command's (0: that) */
	uint64_t prefetch, cur_prefetch;
	uint32_t next_id;
	int failures;
	double ceiling[64]; /* memcpy MB/s by log2(msg) */
	/* what makes a figure disturbed, and what is done about it */
	uint64_t near_ns;     /* a spin round trip below this: near */
	double disturbed_cpu; /* other processes' use, in CPUs, above which ... */
	uint32_t attempts;    /* ... a figure is measured again, this many times */
	uint32_t probe_rts;   /* round trips per placement probe */
	uint32_t gave_up;     /* figures in a row still disturbed after every attempt */
	/* The transports' settings (--store, --sockbuf, --pipe-size), the
	 * store mode of the command being posted, the memory ceiling. */
	uint32_t store, cur_store;
	uint64_t store_window;
	uint64_t sockbuf, pipe_size;
	double memory;
} opt = {.host_cpu = -1,
	 .cont_cpu = -1,
	 .spin_ns = 50000,
	 .chunk = 64 * KiB,
	 .near_ns = 250,
	 .disturbed_cpu = 0.10,
	 .attempts = 3,
	 .probe_rts = 2048,
	 .store = S_AUTO,
	 .cur_store = S_AUTO,
	 .sockbuf = 4 * MiB,
	 .pipe_size = 1 * MiB};

/* The figure being measured: what measured() saw around it, which every
 * record of it carries (json_head()). */
static struct {
	double other_cpu; /* other processes' CPU use, in CPUs */
	double window_ms; /* over this long (at least MIN_WINDOW_NS) */
	double figure_ms; /* of which the measurement itself took this long */
	uint64_t rtt_before, rtt_after;
	const char *placement;
	char why[32];	   /* "", or what disturbed it: cpu, placement, probe */
	uint32_t attempts; /* measurements made */
} fig;

/* After this many figures in a row that stayed disturbed through every
 * attempt, the machine is busy for good: each further figure is measured
 * once until one comes out undisturbed (its record says so). */
#define GIVE_UP_STREAK 5
#define MIN_WINDOW_NS  50000000ull
static uint32_t nfig, ndisturbed;

static void usage(FILE *f)
{
	size_t i;

	fprintf(f, "Usage: chanbench --side host --dir HOST_PATH [OPTIONS]\n"
		   "       chanbench --side container --dir CONTAINER_PATH\n"
		   "\n"
		   "Throughput and latency across a host channel: file, mmap ring (spin,\n"
		   "futex, adaptive wait), FIFO, unix socket, TCP (over a veth, the\n"
		   "baseline), and the memcpy ceiling. The container side answers the host\n"
		   "side through a control file in the channel; bench/run.sh starts both.\n"
		   "\n"
		   "Host side options:\n"
		   "  --profile smoke|quick|full  what to measure and how long (quick)\n"
		   "  --json FILE                 JSON lines, one record per figure\n"
		   "  --pin HOST_CPU,CONT_CPU     pin the two sides to these CPUs\n"
		   "  --tcp ADDR:PORT             the host end of the veth (no TCP without)\n"
		   "  --only LIST                 transports: ");
	for (i = 0; i < ntransports; i++)
		fprintf(f, "%s%s", i ? "," : "", transports[i]->name);
	fprintf(f, "\n"
		   "  --label TEXT                copied into every record (e.g. tmpfs options)\n"
		   "  --spin-us N                 adaptive wait: spin N us, then sleep (50)\n"
		   "  --chunk BYTES               ring: publish at least every BYTES (65536)\n"
		   "  --prefetch BYTES            ring: the consumer prefetches BYTES ahead of\n"
		   "                              its copy, 0 not at all (0)\n"
		   "  --near-ns NS                a spin round trip between the pinned CPUs\n"
		   "                              below NS is \"near\" (a shared cache), at or\n"
		   "                              above \"far\" (250)\n"
		   "  --disturbed-cpu F           a figure during which other processes used\n"
		   "                              more than F of a CPU is disturbed (0.10)\n"
		   "  --attempts N                measure a disturbed figure up to N times (3)\n"
		   "  --store temporal|nt|auto    ring, zc: how the producer stores in the\n"
		   "                              main series (auto); each is measured too\n"
		   "  --sockbuf BYTES             unix, tcp: SO_SNDBUF/SO_RCVBUF to ask, 0 the\n"
		   "                              kernel's (4194304)\n"
		   "  --pipe-size BYTES           fifo: F_SETPIPE_SZ to ask, 0 the kernel's\n"
		   "                              (1048576)\n"
		   "\n"
		   "Without a container side:\n"
		   "  chanbench --probe-placement [--near-ns NS]\n"
		   "      the spin round trip between every two CPUs: which pairs share a cache\n"
		   "  chanbench --observe NAME --json FILE [--disturbed-cpu F] -- COMMAND...\n"
		   "      run COMMAND; append to FILE how much CPU other processes used\n"
		   "      meanwhile (for benchmarks chanbench does not time itself)\n"
		   "  chanbench --wait-quiet SECONDS [--disturbed-cpu F]\n"
		   "      wait up to SECONDS for a 2 s window in which other processes use at\n"
		   "      most F of a CPU; prints one JSON object (quiet, waited_s, other_cpu)\n"
		   "\n"
		   "Exit status: 0, or 1 when anything failed or a checksum did not match.\n");
}

static double median_mbps(const uint64_t *bytes_ns, size_t n, double *mn, double *mx);

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Pairs (bytes, ns) in; MB/s (10^6 bytes, as dd prints) out. */
static double median_mbps(const uint64_t *bytes_ns, size_t n, double *mn, double *mx)
{
	double v[MAXREP];
	size_t i;

	if (n == 0 || n > MAXREP) {
		*mn = *mx = 0;
		return 0;
	}
	for (i = 0; i < n; i++)
		v[i] = bytes_ns[2 * i + 1]
			       ? (double)bytes_ns[2 * i] * 1e3 / (double)bytes_ns[2 * i + 1]
			       : 0;
	qsort(v, n, sizeof(v[0]), cmp_double);
	*mn = v[0];
	*mx = v[n - 1];
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static int log2u(uint64_t v)
{
	int l = 0;

	while (v > 1) {
		v >>= 1;
		l++;
	}
	return l;
}

static const char *human(uint64_t v, char *buf)
{
	if (v >= MiB && v % MiB == 0)
		sprintf(buf, "%lluM", (unsigned long long)(v / MiB));
	else if (v >= KiB && v % KiB == 0)
		sprintf(buf, "%lluK", (unsigned long long)(v / KiB));
	else
		sprintf(buf, "%llu", (unsigned long long)v);
	return buf;
}

static void pinned(char *buf, size_t len)
{
	if (opt.host_cpu < 0)
		snprintf(buf, len, "none");
	else
		snprintf(buf, len, "host=cpu%d,container=cpu%d", opt.host_cpu, opt.cont_cpu);
}

/* The fields every record shares: what was measured, and how much to
 * trust it (the figure's disturbance and placement, measured()). */
static void json_head(const char *kind, const char *transport, const char *dir, const char *wait)
{
	char pin[64];

	pinned(pin, sizeof(pin));
	fprintf(opt.json,
		"{\"bench\":\"chanbench\",\"profile\":\"%s\",\"label\":\"%s\",\"pinned\":\"%s\","
		"\"kind\":\"%s\",\"transport\":\"%s\",\"dir\":\"%s\",\"wait\":\"%s\","
		"\"other_cpu\":%.3f,\"window_ms\":%.1f,\"figure_ms\":%.1f,\"disturbed\":%s,"
		"\"disturbed_by\":\"%s\","
		"\"attempts\":%u,\"placement\":\"%s\",\"rtt_ns_before\":%llu,\"rtt_ns_after\":%llu",
		opt.p->name, opt.label, pin, kind, transport, dir, wait, fig.other_cpu,
		fig.window_ms, fig.figure_ms, *fig.why ? "true" : "false", fig.why, fig.attempts,
		fig.placement, (unsigned long long)fig.rtt_before,
		(unsigned long long)fig.rtt_after);
}

/* Post one command and run this side's half of it. */
static void post_raw(struct ctx *cx, struct cmd *c)
{
	c->id = opt.next_id++;
	c->tcp_addr = opt.tcp_addr;
	c->tcp_port = opt.tcp_port;
	c->spin_ns = opt.spin_ns;
	c->cont_cpu = opt.cont_cpu;
	if (!c->chunk)
		c->chunk = opt.cur_chunk ? opt.cur_chunk : opt.chunk;
	c->prefetch = opt.cur_prefetch;
	c->store = opt.cur_store;
	if (!c->store_window)
		c->store_window = opt.store_window;
	c->sockbuf = opt.sockbuf;
	c->pipe_size = opt.pipe_size;
	cx->ctl->cmd = *c;
	barrier(cx);
	run_cmd(cx, c);
}

/* The placement probe (probe.c), and the container side's CPU time. Not
 * pinned, the two sides may share a CPU, where a spin round trip waits
 * for a time slice: then only the CPU time. */
static void probe(struct ctx *cx, struct probe_out *out)
{
	struct cmd c = {.op = OP_PROBE, .count = opt.host_cpu >= 0 ? opt.probe_rts : 0};

	post_raw(cx, &c);
	probe_result(cx, out);
}

static const char *place(uint64_t rtt)
{
	if (opt.host_cpu < 0)
		return "unpinned";
	if (rtt == 0)
		return "unknown";
	return rtt < opt.near_ns ? "near" : "far";
}

/*
 * Measure a figure: the placement before, the machine's busy time and our
 * own CPU time (both sides) around it, the placement after. A figure is
 * disturbed when other processes used more than --disturbed-cpu of a CPU
 * meanwhile, or the placement changed (or could not be told); such a
 * figure is measured again, up to --attempts times when retry is set. The
 * last attempt's figures are what the records give.
 */
static void measured(struct ctx *cx, int retry, void (*fn)(struct ctx *cx, void *arg), void *arg)
{
	struct probe_out before, after;
	uint32_t max = retry ? opt.attempts : 1;

	if (opt.gave_up >= GIVE_UP_STREAK)
		max = 1;
	for (fig.attempts = 1;; fig.attempts++) {
		uint64_t w0, w1, own0, own1, busy0, busy1, cont;
		double other;

		probe(cx, &before);
		/* Our own CPU time first: reading it charges our running
		 * thread's pending time to the busy counter too. */
		w0 = now_ns();
		own0 = proc_cpu_ns();
		busy0 = machine_busy_ns();
		fn(cx, arg);
		fig.figure_ms = (double)(now_ns() - w0) / 1e6;
		/* A running task is charged to the busy counter at each tick
		 * (4 ms at HZ=250): over a shorter figure, a neighbour that
		 * runs throughout could show as nothing. So a timed figure's
		 * window is at least MIN_WINDOW_NS, the rest of it spent
		 * asleep right after the figure, both sides idle. */
		if (retry && now_ns() - w0 < MIN_WINDOW_NS) {
			uint64_t rest = MIN_WINDOW_NS - (now_ns() - w0);
			struct timespec ts = {.tv_sec = 0, .tv_nsec = (long)rest};

			nanosleep(&ts, NULL);
		}
		own1 = proc_cpu_ns();
		busy1 = machine_busy_ns();
		w1 = now_ns();
		probe(cx, &after);

		cont = after.cont_cpu_start - before.cont_cpu_end;
		other = (double)busy1 - (double)busy0 - (double)(own1 - own0) - (double)cont;
		fig.window_ms = (double)(w1 - w0) / 1e6;
		fig.other_cpu = w1 > w0 && other > 0 ? other / (double)(w1 - w0) : 0;
		fig.rtt_before = before.rtt_ns;
		fig.rtt_after = after.rtt_ns;
		fig.placement = place(before.rtt_ns);
		fig.why[0] = 0;
		if (fig.other_cpu > opt.disturbed_cpu)
			strcat(fig.why, "cpu");
		if (strcmp(fig.placement, place(after.rtt_ns)) != 0) {
			fig.placement = "changed";
			strcat(fig.why, *fig.why ? ",placement" : "placement");
		} else if (strcmp(fig.placement, "unknown") == 0) {
			strcat(fig.why, *fig.why ? ",probe" : "probe");
		}
		if (!*fig.why || fig.attempts >= max)
			break;
		printf("# disturbed (%s: other processes %.2f CPU, round trip %llu -> %llu ns), "
		       "attempt %u of %u: again\n",
		       fig.why, fig.other_cpu, (unsigned long long)before.rtt_ns,
		       (unsigned long long)after.rtt_ns, fig.attempts, max);
	}
	if (!*fig.why) {
		opt.gave_up = 0;
	} else if (max > 1 && ++opt.gave_up == GIVE_UP_STREAK) {
		printf("# %d figures in a row stayed disturbed through %u attempts: the machine is "
		       "busy; measuring each figure once until one is not\n",
		       GIVE_UP_STREAK, max);
	}
	nfig++;
	ndisturbed += *fig.why != 0;
	if (*fig.why)
		printf("# DISTURBED (%s: other processes %.2f CPU, placement %s, round trip %llu "
		       "-> "
		       "%llu ns, %u attempt%s)\n",
		       fig.why, fig.other_cpu, fig.placement, (unsigned long long)fig.rtt_before,
		       (unsigned long long)fig.rtt_after, fig.attempts,
		       fig.attempts > 1 ? "s" : "");
}

static void post_fn(struct ctx *cx, void *arg)
{
	post_raw(cx, arg);
}

/* A timed command; a verify pass checks bytes, not speed: once. */
static void post(struct ctx *cx, struct cmd *c)
{
	measured(cx, c->op != OP_VERIFY, post_fn, c);
}

/*
 * What the transport used, in the record of a figure: the settings each
 * side found granted (one string when both say the same), and for a
 * transport with store modes how its producer stored. Printed after
 * json_head.
 */
static void json_settings(const struct ctx *cx, const struct cmd *c, int prod)
{
	const struct result *h = &cx->ctl->res[HOST], *k = &cx->ctl->res[CONT];
	const struct result *rp = &cx->ctl->res[prod];

	if (strcmp(h->settings, k->settings) == 0 || !*k->settings)
		fprintf(opt.json, ",\"settings\":\"%s\"", h->settings);
	else if (!*h->settings)
		fprintf(opt.json, ",\"settings\":\"%s\"", k->settings);
	else
		fprintf(opt.json, ",\"settings\":\"host: %s; container: %s\"", h->settings,
			k->settings);
	if (!transports[c->transport]->stores)
		return;
	fprintf(opt.json,
		",\"store\":\"%s\",\"store_used\":\"%s\",\"store_switches\":%u,"
		"\"store_probe_ns\":%llu,\"store_nt_bytes\":%llu,\"store_temporal_bytes\":%llu",
		store_name[c->store], store_name[rp->store_used < S_COUNT ? rp->store_used : 0],
		rp->store_switches, (unsigned long long)rp->store_probe_ns,
		(unsigned long long)rp->store_bytes[1], (unsigned long long)rp->store_bytes[0]);
}

/* The table's note on how a producer stored. */
static const char *store_note(const struct cmd *c, const struct result *rp, char *buf, size_t len)
{
	*buf = 0;
	if (!transports[c->transport]->stores)
		return buf;
	if (c->store == S_AUTO)
		snprintf(buf, len, "  auto->%s (%u switches, probe %llu ns)",
			 store_name[rp->store_used < S_COUNT ? rp->store_used : 0],
			 rp->store_switches, (unsigned long long)rp->store_probe_ns);
	else
		snprintf(buf, len, "  %s", store_name[c->store]);
	return buf;
}

static uint64_t count_for(uint64_t msg, uint64_t total)
{
	uint64_t n = total / msg;

	if (n > opt.p->max_count)
		n = opt.p->max_count;
	return n < 4 ? 4 : n;
}

static const char *dname(uint32_t d)
{
	return d == C2H ? "c2h" : "h2c";
}

static void do_verify(struct ctx *cx, uint32_t t, uint32_t d, uint32_t w, uint64_t msg)
{
	const char *name = transports[t]->name;
	uint64_t ring = opt.p->ring;
	struct cmd c = {
		.op = OP_VERIFY, .transport = t, .dir = d, .wait = w, .msg = msg, .ring = ring};
	const struct result *rp, *rc;
	int prod = d == C2H ? CONT : HOST;
	int ok;
	char m[32], note[96];

	c.count = count_for(msg, opt.p->verify_total);
	if (c.count > 4096)
		c.count = 4096;
	post(cx, &c);
	rp = &cx->ctl->res[prod];
	rc = &cx->ctl->res[!prod];
	ok = rp->sum == rc->sum && rc->bad == 0;
	opt.failures += !ok;
	json_head("verify", name, dname(d), wait_name[w]);
	json_settings(cx, &c, prod);
	fprintf(opt.json,
		",\"msg\":%llu,\"ring\":%llu,\"bytes\":%llu,\"sum_sent\":\"%016llx\","
		"\"sum_received\":\"%016llx\",\"bad_bytes\":%llu,\"ok\":%s}\n",
		(unsigned long long)msg, (unsigned long long)ring,
		(unsigned long long)(msg * c.count), (unsigned long long)rp->sum,
		(unsigned long long)rc->sum, (unsigned long long)rc->bad, ok ? "true" : "false");
	if (!ok)
		printf("VERIFY FAILED %-6s %s %-8s msg %s: sent %016llx received %016llx, %llu bad "
		       "bytes%s\n",
		       name, dname(d), wait_name[w], human(msg, m), (unsigned long long)rp->sum,
		       (unsigned long long)rc->sum, (unsigned long long)rc->bad,
		       store_note(&c, rp, note, sizeof(note)));
}

static void do_thru(struct ctx *cx, uint32_t t, uint32_t d, uint32_t w, uint64_t msg, uint64_t ring,
		    const char *series)
{
	const struct transport *tp = transports[t];
	struct cmd c = {
		.op = OP_THRU, .transport = t, .dir = d, .wait = w, .msg = msg, .ring = ring};
	uint64_t pairs[2 * MAXREP];
	const struct result *rp, *rc;
	int prod = d == C2H ? CONT : HOST;
	double med, mn, mx, ceil;
	uint64_t seq_err;
	uint32_t i;
	char m[32], r[32], note[96];

	c.count = count_for(msg, opt.p->total);
	c.reps = opt.p->reps;
	post(cx, &c);
	rp = &cx->ctl->res[prod];
	rc = &cx->ctl->res[!prod];
	for (i = 0; i < c.reps; i++) {
		pairs[2 * i] = msg * c.count;
		pairs[2 * i + 1] = rc->t1[i] - rp->t0[i];
	}
	seq_err = rc->seq_err;
	opt.failures += seq_err != 0;
	med = median_mbps(pairs, c.reps, &mn, &mx);
	ceil = opt.ceiling[log2u(msg)];
	json_head("throughput", tp->name, dname(d), wait_name[w]);
	json_settings(cx, &c, prod);
	fprintf(opt.json,
		",\"series\":\"%s\",\"msg\":%llu,\"ring\":%llu,\"chunk\":%llu,\"prefetch\":%llu,"
		"\"count\":%llu,"
		"\"reps\":%u,\"mbps_median\":%.1f,\"mbps_min\":%.1f,\"mbps_max\":%.1f,"
		"\"msgs_per_s\":%.0f,\"ratio_to_memcpy\":%.3f,\"ratio_to_memory\":%.3f,"
		"\"seq_errors\":%llu}\n",
		series, (unsigned long long)msg, (unsigned long long)ring,
		(unsigned long long)(tp->sized ? c.chunk : 0),
		(unsigned long long)(tp->sized ? c.prefetch : 0), (unsigned long long)c.count,
		c.reps, med, mn, mx, med * 1e6 / (double)msg, ceil > 0 ? med / ceil : 0,
		opt.memory > 0 ? med / opt.memory : 0, (unsigned long long)seq_err);
	printf("%-6s %s %-8s msg %5s ring %4s  %9.1f MB/s  (min %9.1f max %9.1f)  %5.3fx "
	       "memcpy%s%s\n",
	       tp->name, dname(d), wait_name[w], human(msg, m), tp->sized ? human(ring, r) : "-",
	       med, mn, mx, ceil > 0 ? med / ceil : 0, seq_err ? "  SEQUENCE ERRORS" : "",
	       store_note(&c, rp, note, sizeof(note)));
	fflush(stdout);
}

/* The main series: a transport with a size of its own at the profile's. */
static void do_thru_main(struct ctx *cx, uint32_t t, uint32_t d, uint32_t w, uint64_t msg)
{
	do_thru(cx, t, d, w, msg, transports[t]->sized ? opt.p->ring : 0, "main");
}

static void do_file(struct ctx *cx, uint32_t t, uint32_t d, uint64_t bs)
{
	struct cmd c = {.op = OP_FILE, .transport = t, .dir = d, .wait = W_NONE, .msg = bs};
	const char *name = transports[t]->name;
	static const char *const phase[3] = {"first", "rewrite", "read"};
	const struct result *rp, *rc;
	int prod = d == C2H ? CONT : HOST;
	uint64_t pairs[2 * MAXREP];
	int ok, k;
	uint32_t i;
	char m[32];

	c.count = opt.p->file_total / bs;
	if (c.count < 4)
		c.count = 4;
	c.reps = opt.p->reps;
	post(cx, &c);
	rp = &cx->ctl->res[prod];
	rc = &cx->ctl->res[!prod];
	ok = rp->sum == rc->sum && rc->bad == 0;
	opt.failures += !ok || rc->seq_err;
	json_head("verify", name, dname(d), "-");
	fprintf(opt.json,
		",\"msg\":%llu,\"bytes\":%llu,\"sum_sent\":\"%016llx\",\"sum_received\":\"%"
		"016llx\","
		"\"bad_bytes\":%llu,\"ok\":%s}\n",
		(unsigned long long)bs, (unsigned long long)(bs * c.count),
		(unsigned long long)rp->sum, (unsigned long long)rc->sum,
		(unsigned long long)rc->bad, ok ? "true" : "false");
	for (k = 0; k < 3; k++) {
		double med, mn, mx, ceil = opt.ceiling[log2u(bs)];
		double ns_per_call;

		for (i = 0; i < c.reps; i++) {
			const uint64_t *a = k == 0 ? rp->t0 : k == 1 ? rp->t2 : rc->t0;
			const uint64_t *b = k == 0 ? rp->t1 : k == 1 ? rp->t3 : rc->t1;

			pairs[2 * i] = bs * c.count;
			pairs[2 * i + 1] = b[i] - a[i];
		}
		med = median_mbps(pairs, c.reps, &mn, &mx);
		/* What a small write costs is the system call, not the
		 * bytes: the time per call says so directly. */
		ns_per_call = med > 0 ? (double)bs * 1e3 / med : 0;
		json_head("throughput", name, dname(d), "-");
		fprintf(opt.json,
			",\"series\":\"file\",\"phase\":\"%s\",\"msg\":%llu,\"count\":%llu,"
			"\"reps\":%u,\"mbps_median\":%.1f,\"mbps_min\":%.1f,\"mbps_max\":%.1f,"
			"\"ratio_to_memcpy\":%.3f,\"syscalls_per_mib\":%.1f,\"ns_per_syscall\":%."
			"1f,"
			"\"seq_errors\":%llu}\n",
			phase[k], (unsigned long long)bs, (unsigned long long)c.count, c.reps, med,
			mn, mx, ceil > 0 ? med / ceil : 0, (double)MiB / (double)bs, ns_per_call,
			(unsigned long long)rc->seq_err);
		printf("%-6s %s %-8s bs  %5s            %9.1f MB/s  (min %9.1f max %9.1f)  %7.0f "
		       "ns/call%s\n",
		       name, dname(d), phase[k], human(bs, m), med, mn, mx, ns_per_call,
		       ok ? "" : "  CHECKSUM MISMATCH");
	}
	fflush(stdout);
}

static void do_lat(struct ctx *cx, uint32_t t, uint32_t w, uint64_t msg)
{
	struct cmd c = {.op = OP_LAT,
			.transport = t,
			.dir = C2H,
			.wait = w,
			.msg = msg,
			.ring = 256 * KiB,
			.count = opt.p->lat_iters};
	uint64_t p50, p99, p999, n;
	char m[32], ow[96] = "";

	cx->nowl = 0;
	post(cx, &c);
	n = cx->nlat;
	qsort(cx->lat, n, sizeof(uint64_t), cmp_u64);
	p50 = cx->lat[n / 2];
	p99 = cx->lat[n * 99 / 100];
	p999 = cx->lat[n * 999 / 1000];
	opt.failures += cx->ctl->res[HOST].seq_err != 0;
	json_head("latency", transports[t]->name, "rtt", wait_name[w]);
	json_settings(cx, &c, HOST);
	if (cx->nowl) {
		/* The way back alone: the container's clock at its send,
		 * the host's at its receive. */
		uint64_t o = cx->nowl;

		qsort(cx->owl, o, sizeof(uint64_t), cmp_u64);
		fprintf(opt.json, ",\"oneway_c2h_p50_ns\":%llu,\"oneway_c2h_p99_ns\":%llu",
			(unsigned long long)cx->owl[o / 2],
			(unsigned long long)cx->owl[o * 99 / 100]);
		snprintf(ow, sizeof(ow), "  one-way c2h p50 %6.2f us p99 %6.2f us",
			 (double)cx->owl[o / 2] / 1e3, (double)cx->owl[o * 99 / 100] / 1e3);
	}
	fprintf(opt.json,
		",\"msg\":%llu,\"iters\":%llu,\"min_ns\":%llu,\"p50_ns\":%llu,\"p99_ns\":%llu,"
		"\"p999_ns\":%llu,\"max_ns\":%llu,\"seq_errors\":%llu}\n",
		(unsigned long long)msg, (unsigned long long)n, (unsigned long long)cx->lat[0],
		(unsigned long long)p50, (unsigned long long)p99, (unsigned long long)p999,
		(unsigned long long)cx->lat[n - 1], (unsigned long long)cx->ctl->res[HOST].seq_err);
	printf("%-6s rtt %-8s msg %5s  p50 %8.2f us  p99 %8.2f us  p99.9 %8.2f us  min %7.2f%s\n",
	       transports[t]->name, wait_name[w], human(msg, m), (double)p50 / 1e3,
	       (double)p99 / 1e3, (double)p999 / 1e3, (double)cx->lat[0] / 1e3, ow);
	fflush(stdout);
}

static void do_idle(struct ctx *cx, uint32_t t, uint32_t w)
{
	struct cmd c = {.op = OP_IDLE,
			.transport = t,
			.dir = C2H,
			.wait = w,
			.msg = 64,
			.ring = 256 * KiB,
			.count = 1,
			.idle_ns = opt.p->idle_ns};
	const struct result *r;
	double frac;

	post(cx, &c);
	r = &cx->ctl->res[HOST];
	frac = r->wall_ns ? (double)r->cpu_ns / (double)r->wall_ns : 0;
	json_head("idle", transports[t]->name, "c2h", wait_name[w]);
	fprintf(opt.json, ",\"wait_ns\":%llu,\"cpu_ns\":%llu,\"cpu_fraction\":%.4f}\n",
		(unsigned long long)r->wall_ns, (unsigned long long)r->cpu_ns, frac);
	printf("%-6s idle %-8s waited %7.1f ms, CPU %7.2f ms: %5.1f%% of a CPU\n",
	       transports[t]->name, wait_name[w], (double)r->wall_ns / 1e6, (double)r->cpu_ns / 1e6,
	       100 * frac);
}

struct ceiling_arg {
	uint32_t t;
	uint64_t msg, n;
	uint64_t *pairs;
	int handoff;
};

static void ceiling_fn(struct ctx *cx, void *arg)
{
	struct ceiling_arg *a = arg;

	if (a->handoff)
		transports[a->t]->handoff(cx, opt.cont_cpu, a->msg, a->n, opt.p->reps, a->pairs);
	else
		transports[a->t]->ceiling(cx, a->msg, a->n, opt.p->reps, a->pairs);
}

/* A ceiling (t_memcpy.c) at one size: series "ceiling" (memcpy at the
 * size), "memory" (the memory copy) or "handoff" (the cross-core read,
 * after the memcpy ceiling at the same size: it is given as a ratio to
 * it). */
static void do_ceiling(struct ctx *cx, uint32_t t, uint64_t msg, const char *series)
{
	const char *name = transports[t]->name;
	uint64_t pairs[2 * MAXREP];
	int memory = strcmp(series, "memory") == 0, handoff = strcmp(series, "handoff") == 0;
	uint64_t n = memory ? 4 : count_for(msg, handoff ? opt.p->memory : opt.p->total);
	struct ceiling_arg a = {t, msg, n, pairs, handoff};
	double med, mn, mx, ceil = opt.ceiling[log2u(msg)];
	char m[32], ratio[32] = "null";

	measured(cx, 1, ceiling_fn, &a);
	med = median_mbps(pairs, opt.p->reps, &mn, &mx);
	if (memory)
		opt.memory = med;
	else if (!handoff)
		opt.ceiling[log2u(msg)] = ceil = med;
	if (!memory && ceil > 0)
		snprintf(ratio, sizeof(ratio), "%.3f", med / ceil);
	json_head("throughput", name, "-", "-");
	fprintf(opt.json,
		",\"series\":\"%s\",\"msg\":%llu,\"count\":%llu,\"reps\":%u,"
		"\"mbps_median\":%.1f,\"mbps_min\":%.1f,\"mbps_max\":%.1f,\"ratio_to_memcpy\":%s}"
		"\n",
		series, (unsigned long long)msg, (unsigned long long)n, opt.p->reps, med, mn, mx,
		ratio);
	printf("%-6s %-7s msg %5s            %9.1f MB/s  (min %9.1f max %9.1f)\n", name,
	       memory || handoff ? series : "", human(msg, m), med, mn, mx);
}

static int want(uint32_t t)
{
	if (transports[t]->needs_tcp && !opt.tcp_port)
		return 0;
	return !opt.only || (opt.only & (1ull << t));
}

/* A transport without wait modes is measured once, with W_NONE. */
static uint32_t nwaits(const struct transport *tp)
{
	return tp->nwaits ? tp->nwaits : 1;
}

static uint32_t wait_at(const struct transport *tp, uint32_t k)
{
	return tp->nwaits ? tp->waits[k] : W_NONE;
}

/* Whether this run measures the transport's messages at all. */
static int messages(uint32_t t)
{
	return (transports[t]->send || transports[t]->loan) && want(t);
}

/* One pass (verify, throughput) per message size, both ways, in each of
 * the transport's wait modes. */
static void each_message(struct ctx *cx, uint32_t t,
			 void (*pass)(struct ctx *cx, uint32_t t, uint32_t d, uint32_t w,
				      uint64_t msg))
{
	const struct transport *tp = transports[t];
	const uint64_t *m;
	uint32_t d, k;

	for (d = C2H; d <= H2C; d++)
		for (k = 0; k < nwaits(tp); k++)
			for (m = opt.p->msgs; *m; m++)
				pass(cx, t, d, wait_at(tp, k), *m);
}

/* A verify pass at every message size, both ways, spinning, in the
 * settings of the moment (opt.cur_*). */
static void verify_spinning(struct ctx *cx, uint32_t t)
{
	const uint64_t *m;
	uint32_t d;

	for (d = C2H; d <= H2C; d++)
		for (m = opt.p->msgs; *m; m++)
			do_verify(cx, t, d, W_SPIN, *m);
}

/*
 * Store modes (ring, zc). Verify: every message size both ways in each
 * mode but the main series', spinning, and auto once more with a window
 * small enough that it switches within the pass. Throughput: c2h,
 * spinning, at the sizes where the mode matters, in each mode.
 */
static void verify_stores(struct ctx *cx, uint32_t t)
{
	uint32_t s;

	for (s = 0; s < S_COUNT; s++) {
		if (s == opt.store && s != S_AUTO)
			continue;
		opt.cur_store = s;
		if (s == S_AUTO)
			opt.store_window = 64 * KiB;
		verify_spinning(cx, t);
		opt.store_window = 0;
	}
	opt.cur_store = opt.store;
}

static void thru_stores(struct ctx *cx, uint32_t t)
{
	static const uint64_t sizes[] = {64 * KiB, 1 * MiB, 4 * MiB, 0};
	const uint64_t *m;
	uint32_t s;

	for (m = sizes; *m; m++)
		for (s = 0; s < S_COUNT; s++) {
			opt.cur_store = s;
			do_thru(cx, t, C2H, W_SPIN, *m, opt.p->ring, "store");
		}
	opt.cur_store = opt.store;
}

/* The tuning's odd corners, every byte: the smallest publish granularity
 * with the consumer prefetching beyond it. */
static void verify_tuning(struct ctx *cx, uint32_t t)
{
	opt.cur_chunk = 4 * KiB;
	opt.cur_prefetch = 4 * KiB;
	verify_spinning(cx, t);
	opt.cur_chunk = 0;
	opt.cur_prefetch = opt.prefetch;
}

/*
 * What might move the ring's big messages (c2h, spinning, in the main
 * series' store mode): how often the producer publishes, and the
 * consumer's prefetching, each against the defaults beside it. The other
 * thing tried, huge pages, is bench/run.sh's second run.
 */
static void thru_tuning(struct ctx *cx, uint32_t t)
{
	static const uint64_t sizes[] = {1 * MiB, 4 * MiB, 0};
	static const uint64_t chunks[] = {4 * KiB, 16 * KiB, 64 * KiB, 256 * KiB, 0};
	static const uint64_t ahead[] = {1 * KiB, 4 * KiB, 0};
	const uint64_t *m, *k;

	for (m = sizes; *m; m++) {
		for (k = chunks; *k; k++) {
			opt.cur_chunk = *k;
			do_thru(cx, t, C2H, W_SPIN, *m, opt.p->ring, "tuning");
		}
		opt.cur_chunk = 0;
		for (k = ahead; *k; k++) {
			opt.cur_prefetch = *k;
			do_thru(cx, t, C2H, W_SPIN, *m, opt.p->ring, "tuning");
		}
		opt.cur_prefetch = opt.prefetch;
	}
}

/*
 * Each phase goes through the table in order and measures the rows that
 * have what it needs. The ceiling runs whatever --only says: every ratio
 * in the records is to it.
 */
static void host_plan(struct ctx *cx)
{
	static const uint64_t lat_sizes[] = {8, 64, 4096, 0};
	const struct profile *p = opt.p;
	const struct transport *tp;
	const uint64_t *m, *r;
	uint32_t t, d, k;

	/* The ceiling first, for every size anything below uses. */
	for (t = 0; t < ntransports; t++) {
		if (!transports[t]->ceiling)
			continue;
		do_ceiling(cx, t, p->memory, "memory");
		for (m = p->msgs; *m; m++)
			do_ceiling(cx, t, *m, "ceiling");
		for (m = p->files; *m; m++)
			if (opt.ceiling[log2u(*m)] == 0)
				do_ceiling(cx, t, *m, "ceiling");
		/* Two CPUs of our own, or the reader and the writer would
		 * take turns on one. Big messages only: a small one's turn
		 * is the round trip, not the read. */
		if (transports[t]->handoff && opt.host_cpu >= 0 && opt.host_cpu != opt.cont_cpu)
			for (m = p->msgs; *m; m++)
				if (*m >= HANDOFF_MIN)
					do_ceiling(cx, t, *m, "handoff");
	}

	/* Correctness before speed: every byte, every transport, both ways. */
	for (t = 0; t < ntransports; t++)
		if (messages(t))
			each_message(cx, t, do_verify);
	for (t = 0; t < ntransports; t++)
		if (messages(t) && transports[t]->stores)
			verify_stores(cx, t);
	for (t = 0; t < ntransports; t++)
		if (messages(t) && transports[t]->tuned)
			verify_tuning(cx, t);

	for (t = 0; t < ntransports; t++) {
		tp = transports[t];
		if (!messages(t))
			continue;
		each_message(cx, t, do_thru_main);
		if (tp->stores)
			thru_stores(cx, t);
		if (tp->tuned && opt.p->tuning)
			thru_tuning(cx, t);
		if (tp->sized)
			for (m = p->sweep_msg; *m; m++)
				for (r = p->rings; *r; r++)
					do_thru(cx, t, C2H, tp->sweep_wait, *m, *r, "ring-size");
	}
	for (t = 0; t < ntransports; t++) {
		if (!transports[t]->file || !want(t))
			continue;
		for (d = C2H; d <= H2C; d++)
			for (m = p->files; *m; m++)
				do_file(cx, t, d, *m);
	}

	/* Latency: 8 bytes, and a page. */
	for (t = 0; t < ntransports; t++) {
		tp = transports[t];
		if (!messages(t))
			continue;
		for (m = lat_sizes; *m; m++)
			for (k = 0; k < nwaits(tp); k++)
				do_lat(cx, t, wait_at(tp, k), *m);
	}
	for (t = 0; t < ntransports; t++) {
		tp = transports[t];
		if (!tp->idle || !want(t))
			continue;
		for (k = 0; k < nwaits(tp); k++)
			do_idle(cx, t, wait_at(tp, k));
	}
}

static uint8_t *buffer(size_t len)
{
	uint8_t *b = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (b == MAP_FAILED)
		die("mmap %zu bytes", len);
	memset(b, 0x5a, len);
	return b;
}

static uint64_t parse_only(const char *list)
{
	char *copy = strdup(list), *tok, *save = NULL;
	uint64_t bits = 0;
	size_t t;

	if (!copy)
		die("strdup");
	errno = 0;
	if (ntransports > 64)
		die("--only: more than 64 transports");
	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		for (t = 0; t < ntransports; t++)
			if (strcmp(tok, transports[t]->name) == 0)
				break;
		if (t == ntransports) {
			errno = 0;
			die("--only: unknown transport \"%s\"", tok);
		}
		bits |= 1ull << t;
	}
	free(copy);
	return bits;
}

/* A decimal number within [lo, hi], the whole argument. */
static int number(const char *arg, double lo, double hi, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(arg, &end);
	if (errno || end == arg || *end || !(v >= lo && v <= hi))
		return 0;
	*out = v;
	return 1;
}

/* A byte count within [0, 2^30], a multiple of `align`, the whole
 * argument. */
static int bytes_arg(const char *arg, uint64_t align, uint64_t *out)
{
	unsigned long long v;
	char *end;

	errno = 0;
	v = strtoull(arg, &end, 10);
	if (errno || end == arg || *end || v > (1ull << 30) || v % align)
		return 0;
	*out = v;
	return 1;
}

/*
 * --probe-placement: the spin round trip between every two CPUs this
 * process may run on, by two of its threads. In a virtual machine the
 * guest's topology in sysfs is what the hypervisor declares, not where it
 * runs the vCPUs; the round trip is what a pair really costs now.
 */
static int probe_all_pairs(void)
{
	cpu_set_t set;
	int a, b, n = 0;

	if (sched_getaffinity(0, sizeof(set), &set) < 0)
		die("sched_getaffinity");
	printf("# spin round trip between two CPUs, median of %u, ns (near below %llu)\n",
	       opt.probe_rts, (unsigned long long)opt.near_ns);
	printf("%-6s %-6s %8s  %s\n", "cpu", "cpu", "rtt_ns", "placement");
	for (a = 0; a < CPU_SETSIZE; a++) {
		if (!CPU_ISSET(a, &set))
			continue;
		for (b = a + 1; b < CPU_SETSIZE; b++) {
			uint64_t rtt;

			if (!CPU_ISSET(b, &set))
				continue;
			rtt = pingpong_threads(a, b, opt.probe_rts);
			printf("%-6d %-6d %8llu  %s\n", a, b, (unsigned long long)rtt,
			       rtt == 0		   ? "unknown"
			       : rtt < opt.near_ns ? "near"
						   : "far");
			n++;
		}
	}
	if (n == 0) {
		fprintf(stderr, "chanbench: fewer than two CPUs to probe\n");
		return 1;
	}
	fflush(stdout);
	return 0;
}

/*
 * --wait-quiet SECONDS: windows of 2 s until one in which other processes
 * used at most --disturbed-cpu of a CPU, or SECONDS have passed (at least
 * one window either way). One JSON object on stdout for bench/run.sh.
 */
static int wait_for_quiet(double secs)
{
	const uint64_t window = 2000000000ull;
	uint64_t start = now_ns(), w0, w1, own0, own1, busy0, busy1;
	double other;
	int quiet;

	do {
		struct timespec ts = {.tv_sec = (time_t)(window / 1000000000u)};

		w0 = now_ns();
		own0 = proc_cpu_ns();
		busy0 = machine_busy_ns();
		nanosleep(&ts, NULL);
		own1 = proc_cpu_ns();
		busy1 = machine_busy_ns();
		w1 = now_ns();
		other = ((double)busy1 - (double)busy0 - (double)(own1 - own0)) / (double)(w1 - w0);
		if (other < 0)
			other = 0;
		quiet = other <= opt.disturbed_cpu;
	} while (!quiet && (double)(now_ns() - start) / 1e9 + 2 <= secs);
	printf("{\"quiet\":%s,\"asked_s\":%g,\"waited_s\":%.1f,\"other_cpu\":%.3f,"
	       "\"window_s\":%.1f,\"threshold\":%.3f,\"busy_source\":\"%s\"}\n",
	       quiet ? "true" : "false", secs, (double)(now_ns() - start) / 1e9, other,
	       (double)window / 1e9, opt.disturbed_cpu, busy_source_name());
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {{"side", required_argument, NULL, 's'},
					   {"dir", required_argument, NULL, 'd'},
					   {"profile", required_argument, NULL, 'p'},
					   {"json", required_argument, NULL, 'j'},
					   {"pin", required_argument, NULL, 'P'},
					   {"tcp", required_argument, NULL, 'T'},
					   {"only", required_argument, NULL, 'o'},
					   {"label", required_argument, NULL, 'l'},
					   {"spin-us", required_argument, NULL, 'S'},
					   {"chunk", required_argument, NULL, 'c'},
					   {"near-ns", required_argument, NULL, 'N'},
					   {"disturbed-cpu", required_argument, NULL, 'D'},
					   {"attempts", required_argument, NULL, 'A'},
					   {"probe-placement", no_argument, NULL, 'X'},
					   {"wait-quiet", required_argument, NULL, 'Q'},
					   {"observe", required_argument, NULL, 'O'},
					   {"help", no_argument, NULL, 'h'},
					   /* the transports' settings */
					   {"store", required_argument, NULL, 'Z'},
					   {"sockbuf", required_argument, NULL, 'B'},
					   {"pipe-size", required_argument, NULL, 'F'},
					   {"prefetch", required_argument, NULL, 'R'},
					   {NULL, 0, NULL, 0}};
	int probe_placement = 0;
	const char *observe_name = NULL;
	double wait_quiet = -1;
	const char *side = NULL, *profile = "quick";
	struct ctx cx = {0};
	double num;
	char path[PATH_MAX];
	int ch;
	size_t i;

	opt.label = "";
	while ((ch = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		switch (ch) {
		case 's':
			side = optarg;
			break;
		case 'd':
			cx.dir = optarg;
			break;
		case 'p':
			profile = optarg;
			break;
		case 'j':
			opt.json_path = optarg;
			break;
		case 'P':
			if (sscanf(optarg, "%d,%d", &opt.host_cpu, &opt.cont_cpu) != 2 ||
			    opt.host_cpu < 0 || opt.cont_cpu < 0) {
				fprintf(stderr, "chanbench: --pin wants HOST_CPU,CONT_CPU\n");
				return 2;
			}
			break;
		case 'T': {
			char addr[64];
			unsigned port;
			struct in_addr a;

			if (sscanf(optarg, "%63[^:]:%u", addr, &port) != 2 || port == 0 ||
			    port > 65535 || inet_pton(AF_INET, addr, &a) != 1) {
				fprintf(stderr, "chanbench: --tcp wants ADDR:PORT\n");
				return 2;
			}
			opt.tcp_addr = a.s_addr;
			opt.tcp_port = (uint16_t)port;
			break;
		}
		case 'o':
			opt.only = parse_only(optarg);
			break;
		case 'l':
			opt.label = optarg;
			break;
		case 'S':
			opt.spin_ns = strtoull(optarg, NULL, 10) * 1000;
			break;
		case 'c':
			opt.chunk = strtoull(optarg, NULL, 10);
			break;
		case 'N':
			if (!number(optarg, 1, 1e6, &num)) {
				fprintf(stderr,
					"chanbench: --near-ns wants nanoseconds, 1 to 1000000\n");
				return 2;
			}
			opt.near_ns = (uint64_t)num;
			break;
		case 'D':
			if (!number(optarg, 0, 64, &opt.disturbed_cpu)) {
				fprintf(stderr,
					"chanbench: --disturbed-cpu wants a fraction of a CPU, "
					"e.g. 0.1\n");
				return 2;
			}
			break;
		case 'A':
			if (!number(optarg, 1, 10, &num)) {
				fprintf(stderr, "chanbench: --attempts wants 1 to 10\n");
				return 2;
			}
			opt.attempts = (uint32_t)num;
			break;
		case 'X':
			probe_placement = 1;
			break;
		case 'O':
			observe_name = optarg;
			break;
		case 'Q':
			if (!number(optarg, 0, 86400, &wait_quiet)) {
				fprintf(stderr,
					"chanbench: --wait-quiet wants seconds, 0 to 86400\n");
				return 2;
			}
			break;
		case 'Z':
			if (parse_store(optarg) < 0) {
				fprintf(stderr, "chanbench: --store wants temporal, nt or auto\n");
				return 2;
			}
			opt.store = opt.cur_store = (uint32_t)parse_store(optarg);
			break;
		case 'B':
		case 'F':
			if (!bytes_arg(optarg, 1, ch == 'B' ? &opt.sockbuf : &opt.pipe_size)) {
				fprintf(stderr, "chanbench: --%s wants bytes, at most 2^30\n",
					ch == 'B' ? "sockbuf" : "pipe-size");
				return 2;
			}
			break;
		case 'R':
			if (!bytes_arg(optarg, 64, &opt.prefetch)) {
				fprintf(stderr,
					"chanbench: --prefetch wants bytes, a multiple of 64, "
					"at most 2^30\n");
				return 2;
			}
			opt.cur_prefetch = opt.prefetch;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (observe_name) {
		if (optind == argc || !opt.json_path) {
			fprintf(stderr, "chanbench: --observe wants --json FILE and a command\n");
			return 2;
		}
		return observe(observe_name, opt.json_path, opt.disturbed_cpu, argv + optind);
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	if (probe_placement)
		return probe_all_pairs();
	if (wait_quiet >= 0)
		return wait_for_quiet(wait_quiet);
	if (!side || !cx.dir) {
		usage(stderr);
		return 2;
	}
	if (opt.chunk < 64 || (opt.chunk & (opt.chunk - 1))) {
		fprintf(stderr, "chanbench: --chunk must be a power of two, at least 64\n");
		return 2;
	}
	cx.buflen = MAXMSG;
	cx.sbuf = buffer(MAXMSG);
	cx.rbuf = buffer(MAXMSG);
	cx.vbuf = buffer(MAXMSG);

	if (strcmp(side, "container") == 0) {
		struct cmd c;

		cx.role = CONT;
		cx.ctl = ctl_map(cx.dir, 0);
		set_ctl_for_die(cx.ctl);
		atomic_store(&cx.ctl->hello, (uint32_t)getpid());
		futex_wake(&cx.ctl->hello);
		for (;;) {
			barrier(&cx);
			c = cx.ctl->cmd;
			if (c.op == OP_QUIT)
				return 0;
			run_cmd(&cx, &c);
		}
	}
	if (strcmp(side, "host") != 0) {
		usage(stderr);
		return 2;
	}

	for (i = 0; i < sizeof(profiles) / sizeof(profiles[0]); i++)
		if (strcmp(profile, profiles[i].name) == 0)
			opt.p = &profiles[i];
	if (!opt.p) {
		fprintf(stderr, "chanbench: unknown profile \"%s\"\n", profile);
		return 2;
	}
	opt.json = fopen(opt.json_path ? opt.json_path : "/dev/null", "a");
	if (!opt.json)
		die("open %s", opt.json_path);
	cx.role = HOST;
	cx.lat = calloc(opt.p->lat_iters, sizeof(uint64_t));
	cx.owl = calloc(opt.p->lat_iters, sizeof(uint64_t));
	if (!cx.lat || !cx.owl)
		die("calloc");
	cx.ctl = ctl_map(cx.dir, 1);
	set_ctl_for_die(cx.ctl);
	atomic_store(&cx.ctl->magic, CTL_MAGIC);
	pin_cpu(opt.host_cpu);
	{
		uint64_t deadline = now_ns() + 60ull * 1000000000u;
		uint32_t h;

		while ((h = atomic_load(&cx.ctl->hello)) == 0) {
			if (now_ns() > deadline) {
				errno = 0;
				die("the container side did not come within 60 s");
			}
			futex_wait(&cx.ctl->hello, 0, 100000000u);
		}
		printf("# chanbench profile %s, container side pid %u (in its namespace), pinned: ",
		       opt.p->name, h);
		pinned(path, sizeof(path));
		printf("%s%s%s\n", path, *opt.label ? ", " : "", opt.label);
	}
	{
		struct probe_out po;

		probe(&cx, &po);
		printf("# placement %s (spin round trip %llu ns; near below %llu ns); other "
		       "processes' CPU from %s; disturbed above %.2f CPU, %u attempts\n",
		       place(po.rtt_ns), (unsigned long long)po.rtt_ns,
		       (unsigned long long)opt.near_ns, busy_source_name(), opt.disturbed_cpu,
		       opt.attempts);
		pinned(path, sizeof(path));
		fprintf(opt.json,
			"{\"bench\":\"chanbench\",\"profile\":\"%s\",\"label\":\"%s\","
			"\"pinned\":\"%s\",\"kind\":\"run\",\"near_ns\":%llu,"
			"\"disturbed_cpu\":%.3f,\"max_attempts\":%u,\"probe_round_trips\":%u,"
			"\"busy_source\":\"%s\",\"placement\":\"%s\",\"rtt_ns\":%llu}\n",
			opt.p->name, opt.label, path, (unsigned long long)opt.near_ns,
			opt.disturbed_cpu, opt.attempts, opt.probe_rts, busy_source_name(),
			place(po.rtt_ns), (unsigned long long)po.rtt_ns);
	}

	host_plan(&cx);
	if (nfig) {
		printf("chanbench: %u figure(s), %u disturbed (other processes above %.2f CPU or "
		       "the placement changed) after up to %u attempts\n",
		       nfig, ndisturbed, opt.disturbed_cpu, opt.attempts);
	}

	{
		struct cmd q = {.op = OP_QUIT};

		cx.ctl->cmd = q;
		barrier(&cx);
	}
	snprintf(path, sizeof(path), "%s/%s", cx.dir, CTL_NAME);
	if (unlink(path) < 0)
		die("unlink %s", path);
	fclose(opt.json);
	if (opt.failures)
		printf("chanbench: %d check(s) FAILED\n", opt.failures);
	else
		printf("chanbench: every checksum and sequence number matched\n");
	return opt.failures ? 1 : 0;
}
