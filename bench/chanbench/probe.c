// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * What a figure cannot see in itself: how much CPU everything else on the
 * machine took while it was measured, and where the hypervisor put the two
 * CPUs the sides are pinned to.
 *
 * Other CPU use. The whole machine's busy time over the figure's interval,
 * less the benchmark's own (the host side's process CPU time, and the
 * container side's, which it reports through the control page: both are
 * processes of this kernel). The machine's busy time comes, by preference,
 * from the root of the cgroup v1 cpuacct hierarchy, which every task is
 * charged to in nanoseconds as it runs; /proc/stat is the fallback, but it
 * counts in ticks and prints hundredths of a second, too coarse for a
 * figure of a few tens of milliseconds. Reading our own process CPU time
 * first also charges our running thread's pending time to cpuacct
 * (task_sched_runtime() updates the current task), so the two clocks agree
 * at the moment they are read.
 *
 * Placement. The two pinned CPUs pass a cache line back and forth, one line
 * written by each side, a few thousand times; the median round trip says
 * whether they share a cache (about 115 ns on an AMD EPYC guest whose two
 * vCPUs sit on one core complex) or not (about 450 ns across complexes).
 * Inside a virtual machine sysfs cannot say which: the guest's topology is
 * whatever the hypervisor declares, not where it runs the vCPUs, and it may
 * move them at any time.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "chanbench.h"

#define PROBE_BATCH   16	    /* round trips timed together */
#define PROBE_WARM    256	    /* untimed round trips first */
#define PROBE_TIMEOUT 2000000000ull /* ns without an answer: give up */

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#elif defined(__aarch64__)
	__asm__ volatile("yield");
#endif
}

uint64_t proc_cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

enum { SRC_UNKNOWN, SRC_CPUACCT, SRC_PROC_STAT };
static const char *const cpuacct_paths[] = {
	"/sys/fs/cgroup/cpuacct/cpuacct.usage",
	"/sys/fs/cgroup/cpu,cpuacct/cpuacct.usage",
};
static int src = SRC_UNKNOWN;
static const char *src_path;

/* A whole small file, NUL-terminated; -1 if it cannot be read. */
static ssize_t read_small(const char *path, char *buf, size_t len)
{
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -1;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -1;
	buf[n] = 0;
	return n;
}

static uint64_t proc_stat_busy_ns(void)
{
	char buf[512];
	unsigned long long v[7] = {0};

	if (read_small("/proc/stat", buf, sizeof(buf)) < 0 ||
	    sscanf(buf, "cpu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2], &v[3], &v[4],
		   &v[5], &v[6]) != 7)
		die("read /proc/stat");
	return (v[0] + v[1] + v[2] + v[5] + v[6]) *
	       (1000000000ull / (uint64_t)sysconf(_SC_CLK_TCK));
}

/*
 * cpuacct only where it is the root of its hierarchy: in a cgroup namespace
 * the same path is a group of our own, which does not see the rest of the
 * machine. The root has been charged about what /proc/stat counts as busy
 * since boot; a group of ours, far less.
 */
int busy_source(void)
{
	char buf[64];
	size_t i;

	if (src != SRC_UNKNOWN)
		return src;
	src = SRC_PROC_STAT;
	for (i = 0; i < sizeof(cpuacct_paths) / sizeof(cpuacct_paths[0]); i++) {
		double all, acct;

		if (read_small(cpuacct_paths[i], buf, sizeof(buf)) <= 0)
			continue;
		acct = (double)strtoull(buf, NULL, 10);
		all = (double)proc_stat_busy_ns();
		if (all > 0 && acct > 0.8 * all && acct < 1.25 * all) {
			src = SRC_CPUACCT;
			src_path = cpuacct_paths[i];
		}
		break;
	}
	return src;
}

const char *busy_source_name(void)
{
	busy_source();
	return src == SRC_CPUACCT ? "cpuacct" : "proc_stat";
}

/* Nanoseconds that all CPUs together spent running anything, since boot.
 * /proc/stat: user, nice, system, irq and softirq, in USER_HZ ticks; idle,
 * iowait and steal (the hypervisor's, not this machine's processes) are not
 * busy; guest time is already inside user. */
uint64_t machine_busy_ns(void)
{
	char buf[64];

	if (busy_source() == SRC_PROC_STAT)
		return proc_stat_busy_ns();
	if (read_small(src_path, buf, sizeof(buf)) <= 0)
		die("read %s", src_path);
	return strtoull(buf, NULL, 10);
}

/* ---------------------------------------------------------------- ping-pong */

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* The pinging side: n round trips after the warm-up, in batches timed
 * together (a clock read costs a good part of a round trip); the median
 * batch's mean. 0 if the other side stopped answering. */
static uint64_t ping_side(struct pingpong *pp, uint32_t n)
{
	uint32_t nb = n / PROBE_BATCH, b, k, seq = 0;
	uint64_t *batch, med, deadline = now_ns() + PROBE_TIMEOUT;

	if (nb == 0)
		return 0;
	batch = calloc(nb, sizeof(*batch));
	if (!batch)
		die("calloc");
	for (b = 0; b < nb + PROBE_WARM / PROBE_BATCH; b++) {
		uint64_t t0 = now_ns();

		for (k = 0; k < PROBE_BATCH; k++) {
			uint32_t spins = 0;

			atomic_store_explicit(&pp->ping, ++seq, memory_order_release);
			while (atomic_load_explicit(&pp->pong, memory_order_acquire) != seq) {
				cpu_relax();
				if (++spins % 4096 == 0 &&
				    (now_ns() > deadline || atomic_load(&pp->stop))) {
					atomic_store(&pp->stop, 1);
					free(batch);
					return 0;
				}
			}
		}
		if (b >= PROBE_WARM / PROBE_BATCH)
			batch[b - PROBE_WARM / PROBE_BATCH] = (now_ns() - t0) / PROBE_BATCH;
	}
	qsort(batch, nb, sizeof(*batch), cmp_u64);
	med = batch[nb / 2];
	free(batch);
	return med ? med : 1;
}

/* The answering side: echo every ping until the count is done, or the
 * pinging side gives up, or (abort: the control page's) dies, or nothing
 * comes for as long as the pinging side would wait. */
static void pong_side(struct pingpong *pp, uint32_t n, _Atomic uint32_t *abort)
{
	uint32_t total = (n / PROBE_BATCH) * PROBE_BATCH + PROBE_WARM, seq, spins = 0;
	uint64_t deadline = now_ns() + PROBE_TIMEOUT;

	if (n / PROBE_BATCH == 0)
		return;
	for (seq = 1; seq <= total; seq++) {
		while (atomic_load_explicit(&pp->ping, memory_order_acquire) != seq) {
			if (atomic_load_explicit(&pp->stop, memory_order_relaxed))
				return;
			if (++spins % 4096 == 0 &&
			    ((abort && atomic_load(abort)) || now_ns() > deadline))
				return;
			cpu_relax();
		}
		atomic_store_explicit(&pp->pong, seq, memory_order_release);
	}
}

static uint64_t last_rtt;

/*
 * OP_PROBE, both sides (run_cmd() pinned the container side already): the
 * container side notes its CPU time, the two sides ping-pong count round
 * trips (none when count is 0, as when the sides are not pinned: on one
 * CPU, each answer would wait for a time slice), the container side notes
 * its CPU time again. The host reads the three figures with probe_result()
 * after the last barrier.
 */
void probe_cmd(struct ctx *cx, const struct cmd *c)
{
	struct pingpong *pp = &cx->ctl->pp;

	if (cx->role == CONT)
		cx->ctl->cont_cpu_start = proc_cpu_ns();
	else {
		atomic_store(&pp->ping, 0);
		atomic_store(&pp->pong, 0);
		atomic_store(&pp->stop, 0);
	}
	barrier(cx);
	if (cx->role == HOST)
		last_rtt = ping_side(pp, (uint32_t)c->count);
	else
		pong_side(pp, (uint32_t)c->count, &cx->ctl->abort);
	if (cx->role == CONT)
		cx->ctl->cont_cpu_end = proc_cpu_ns();
	barrier(cx);
}

void probe_result(const struct ctx *cx, struct probe_out *out)
{
	out->rtt_ns = last_rtt;
	out->cont_cpu_start = cx->ctl->cont_cpu_start;
	out->cont_cpu_end = cx->ctl->cont_cpu_end;
}

/* --------------------------------------- the same between two of our threads */

struct pp_thread {
	struct pingpong *pp;
	int cpu;
	uint32_t n;
	int err;
};

static void *pong_thread(void *arg)
{
	struct pp_thread *t = arg;

	if (try_pin_cpu(t->cpu) < 0) {
		t->err = errno;
		atomic_store(&t->pp->stop, 1);
		return NULL;
	}
	pong_side(t->pp, t->n, NULL);
	return NULL;
}

/* The median spin round trip between two CPUs, by two threads of this
 * process; 0 if either cannot be pinned there or the answer never came. */
uint64_t pingpong_threads(int cpu_a, int cpu_b, uint32_t count)
{
	static struct pingpong pp;
	struct pp_thread t = {.pp = &pp, .cpu = cpu_b, .n = count};
	pthread_t th;
	uint64_t rtt;
	cpu_set_t saved;

	atomic_store(&pp.ping, 0);
	atomic_store(&pp.pong, 0);
	atomic_store(&pp.stop, 0);
	if (sched_getaffinity(0, sizeof(saved), &saved) < 0 || try_pin_cpu(cpu_a) < 0)
		return 0;
	errno = pthread_create(&th, NULL, pong_thread, &t);
	if (errno)
		die("pthread_create");
	rtt = ping_side(&pp, count);
	pthread_join(th, NULL);
	sched_setaffinity(0, sizeof(saved), &saved);
	return t.err ? 0 : rtt;
}

/* ------------------------------------------------ a whole command, observed */

/*
 * --observe NAME -- COMMAND...: run COMMAND and say how much CPU other
 * processes took meanwhile: the machine's busy time less COMMAND's and its
 * descendants' and our own. A descendant that detaches (hcrun's monitor of
 * a container run -d) is reparented to us, its subreaper, not to init, so
 * that its time is counted as ours when it ends; one still running 2 s
 * after COMMAND ended is left out ("left_running"). For the benchmarks chanbench
 * does not time itself (hyperfine's, in bench/lifecycle.sh and
 * bench/scale.sh): one figure for the whole command, a coarser one than a
 * chanbench figure's. Appends one JSON line to json_path; the exit status
 * is COMMAND's.
 */
int observe(const char *name, const char *json_path, double threshold, char *const argv[])
{
	struct rusage ru;
	uint64_t w0, w1, busy0, busy1, self0, self1, kids, until;
	double other;
	int st, left = 0;
	pid_t pid, r;
	FILE *f;

	if (prctl(PR_SET_CHILD_SUBREAPER, 1) < 0)
		die("prctl(PR_SET_CHILD_SUBREAPER)");
	w0 = now_ns();
	self0 = proc_cpu_ns();
	busy0 = machine_busy_ns();
	fflush(stdout);
	pid = fork();
	if (pid < 0)
		die("fork");
	if (pid == 0) {
		execvp(argv[0], argv);
		fprintf(stderr, "chanbench: --observe: %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			die("waitpid");
	/* The detached ones end as COMMAND deletes what it made: reap them. */
	until = now_ns() + 2000000000u;
	for (;;) {
		r = waitpid(-1, NULL, WNOHANG);
		if (r > 0)
			continue;
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			break; /* ECHILD: none left */
		if (now_ns() >= until) {
			left = 1;
			break;
		}
		usleep(10000);
	}
	self1 = proc_cpu_ns();
	busy1 = machine_busy_ns();
	w1 = now_ns();
	if (getrusage(RUSAGE_CHILDREN, &ru) < 0)
		die("getrusage");
	kids = (uint64_t)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000000u +
	       (uint64_t)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1000u;
	other = ((double)busy1 - (double)busy0 - (double)kids - (double)(self1 - self0)) /
		(double)(w1 - w0);
	if (other < 0)
		other = 0;
	f = fopen(json_path, "a");
	if (!f)
		die("open %s", json_path);
	fprintf(f,
		"{\"bench\":\"observe\",\"name\":\"%s\",\"wall_s\":%.1f,\"own_cpu\":%.3f,"
		"\"other_cpu\":%.3f,\"disturbed\":%s,\"threshold\":%.3f,\"busy_source\":\"%s\","
		"\"left_running\":%s,\"status\":%d}\n",
		name, (double)(w1 - w0) / 1e9, (double)kids / (double)(w1 - w0), other,
		other > threshold ? "true" : "false", threshold, busy_source_name(),
		left ? "true" : "false", WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
	if (fclose(f) != 0)
		die("write %s", json_path);
	printf("observe: %s: other processes used %.2f of a CPU over %.1f s%s\n", name, other,
	       (double)(w1 - w0) / 1e9, other > threshold ? ": DISTURBED" : "");
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}
