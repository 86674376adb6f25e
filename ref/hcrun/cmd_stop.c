// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * hcrun stop: SIGTERM, then SIGKILL after the timeout. The container's init
 * is the init of its pid namespace: it ignores a SIGTERM it has no handler
 * for, hence the SIGKILL. Signals go through a pidfd opened on the recorded
 * pid and checked against its start time, so a reused pid is never hit.
 *
 * The monitor records the exit; stop waits for that (bounded), and records
 * it itself when the monitor is gone (killed). The channels stay mounted and
 * the cgroup stays: both live until delete.
 */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/pidfd.h>
#include <time.h>
#include <unistd.h>

#include "hcrun.h"

#define STOP_KILL_WAIT_MS   10000 /* SIGKILL can wait on a slow exit (tmpfs pages to free) */
#define STOP_RECORD_WAIT_MS 5000  /* the monitor records within this */
#define STOP_POLL_MS	    20

static const char stop_usage[] =
	"Usage: hcrun stop [-t SECONDS] NAME...\n"
	"\n"
	"Stop running containers: SIGTERM, then SIGKILL after the timeout. A\n"
	"container that is not running is left as it is. Host channels stay\n"
	"mounted with their data until delete.\n"
	"\n"
	"Options:\n"
	"  -t, --time SECONDS  wait this long after SIGTERM (default 10)\n"
	"  -h, --help          print this help\n";

/* The process to stop: a pidfd when the kernel (or valgrind) has them, else
 * the pid with its start time, checked before each signal. */
struct target {
	int pidfd;
	pid_t pid;
	uint64_t start;
};

static int elapsed_ms(const struct timespec *since)
{
	struct timespec now;

	(void)clock_gettime(CLOCK_MONOTONIC, &now);
	return (int)((now.tv_sec - since->tv_sec) * 1000 +
		     (now.tv_nsec - since->tv_nsec) / 1000000);
}

/* Wait until the process exits; true if it did within ms. */
static bool wait_exit(const struct target *t, int ms)
{
	struct pollfd pfd = {.fd = t->pidfd, .events = POLLIN};
	struct timespec start;
	int left = ms, n;

	(void)clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		if (t->pidfd >= 0) {
			n = poll(&pfd, 1, left);
			if (n > 0)
				return true;
			if (n == 0 || errno != EINTR)
				return false;
		} else {
			struct timespec ts = {.tv_nsec = STOP_POLL_MS * 1000000L};

			if (!hcrun_proc_alive(t->pid, t->start))
				return true;
			(void)nanosleep(&ts, NULL);
		}
		left = ms - elapsed_ms(&start);
		if (left <= 0)
			return t->pidfd < 0 && !hcrun_proc_alive(t->pid, t->start);
	}
}

/* 1: sent, 0: the process is gone, -1: error. */
static int send_signal(const struct target *t, int sig, hc_error_t **err)
{
	int ret;

	if (t->pidfd >= 0) {
		ret = pidfd_send_signal(t->pidfd, sig, NULL, 0);
	} else {
		if (!hcrun_proc_alive(t->pid, t->start))
			return 0;
		ret = kill(t->pid, sig);
	}
	if (ret == 0)
		return 1;
	if (errno == ESRCH)
		return 0;
	return hc_error_sys(err, errno, "send %s to process %d", sigabbrev_np(sig), (int)t->pid);
}

/*
 * Signal the container and wait for it to go. *killed: SIGKILL was needed,
 * so the exit status is known to be 137.
 */
static int kill_container(const struct hcrun_state *st, unsigned int timeout, bool *killed,
			  hc_error_t **err)
{
	struct target t = {.pidfd = -1, .pid = st->pid, .start = st->pid_start};
	int ret = 0, sent;

	*killed = false;
	t.pidfd = pidfd_open(st->pid, 0);
	if (t.pidfd < 0) {
		if (errno == ESRCH)
			return 0; /* already gone */
		if (errno != ENOSYS)
			return hc_error_sys(err, errno, "pidfd_open %d", (int)st->pid);
	}
	/* Checked after the pidfd is open: it now pins this very process. */
	if (!hcrun_proc_alive(st->pid, st->pid_start))
		goto out;
	if (timeout > 0) {
		sent = send_signal(&t, SIGTERM, err);
		if (sent <= 0) {
			ret = sent;
			goto out;
		}
		hcrun_fault("stop", "SIGTERM sent");
		if (wait_exit(&t, (int)timeout * 1000))
			goto out;
	}
	sent = send_signal(&t, SIGKILL, err);
	if (sent <= 0) {
		ret = sent;
		goto out;
	}
	*killed = true;
	hcrun_fault("stop", "SIGKILL sent");
	if (!wait_exit(&t, STOP_KILL_WAIT_MS))
		ret = hc_error_set(err, ETIMEDOUT, "process %d did not exit %d s after SIGKILL",
				   (int)st->pid, STOP_KILL_WAIT_MS / 1000);
out:
	hc_cleanup_closep(&t.pidfd);
	return ret;
}

/* The process is gone; its monitor records that. If the monitor is gone
 * too, write it ourselves: nobody else will. */
static int wait_recorded(const char *name, pid_t pid, bool killed, hc_error_t **err)
{
	int waited;

	for (waited = 0; waited <= STOP_RECORD_WAIT_MS; waited += STOP_POLL_MS) {
		struct hcrun_state st;
		bool monitor_alive;
		int lock = -1, ret = 0;

		if (hcrun_state_load(name, &st, err) < 0) {
			/* Deleted by its monitor: run --rm. */
			if ((*err)->errnum == ENOENT) {
				hc_error_free(err);
				return 0;
			}
			return -1;
		}
		monitor_alive = hcrun_state_monitor_alive(&st);
		if (st.status != HCRUN_RUNNING || st.pid != pid) {
			hcrun_state_clear(&st);
			return 0;
		}
		hcrun_state_clear(&st);
		if (monitor_alive) {
			struct timespec ts = {.tv_nsec = STOP_POLL_MS * 1000000L};

			(void)nanosleep(&ts, NULL);
			continue;
		}
		if (hcrun_state_lock(name, &lock, err) < 0)
			return -1;
		if (hcrun_state_load(name, &st, err) < 0) {
			hcrun_state_unlock(&lock);
			return -1;
		}
		if (st.status == HCRUN_RUNNING && st.pid == pid) {
			st.status = HCRUN_STOPPED;
			/* Only the dead monitor could reap it; a SIGKILL it
			 * could not survive is the one status known for sure. */
			st.exit_code = killed ? 128 + SIGKILL : -1;
			hcrun_timestamp(st.finished, sizeof(st.finished));
			ret = hcrun_state_save(&st, err);
			hcrun_fault("stop", "exit recorded for a dead monitor");
			/* --rm was the dead monitor's to honour: ours now. */
			if (ret == 0 && st.auto_remove)
				ret = hcrun_delete_locked(&st, err);
		}
		hcrun_state_clear(&st);
		hcrun_state_unlock(&lock);
		return ret;
	}
	return hc_error_set(err, ETIMEDOUT,
			    "container %s: its monitor did not record the exit within %d s", name,
			    STOP_RECORD_WAIT_MS / 1000);
}

int hcrun_stop(const char *name, unsigned int timeout, hc_error_t **err)
{
	struct hcrun_state st;
	bool killed = false;
	pid_t pid;
	int ret;

	if (hcrun_state_load(name, &st, err) < 0)
		return -1;
	if (st.status != HCRUN_RUNNING) {
		hcrun_state_clear(&st);
		return 0;
	}
	pid = st.pid;
	ret = kill_container(&st, timeout, &killed, err);
	hcrun_state_clear(&st);
	if (ret < 0)
		return -1;
	return wait_recorded(name, pid, killed, err);
}

int hcrun_cmd_stop(int argc, char *argv[], hc_error_t **err)
{
	static const struct option longopts[] = {
		{"time", required_argument, NULL, 't'},
		{"timeout", required_argument, NULL, 't'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	unsigned long timeout = 10;
	bool failed = false;
	char *end;
	int c;

	opterr = 0;
	while ((c = getopt_long(argc, argv, "+:t:h", longopts, NULL)) != -1) {
		switch (c) {
		case 't':
			errno = 0;
			timeout = strtoul(optarg, &end, 10);
			if (end == optarg || *end != '\0' || optarg[0] == '-' || errno != 0 ||
			    timeout > 24 * 3600)
				return hc_error_set(err, 0,
						    "-t \"%s\": expected whole seconds, 0 to 86400",
						    optarg);
			break;
		case 'h':
			fputs(stop_usage, stdout);
			return 0;
		default:
			return hcrun_opt_error("stop", c, argv, err);
		}
	}
	if (optind >= argc)
		return hc_error_set(err, 0,
				    "stop: expected container names (see hcrun stop --help)");
	/* One failure does not spare the others. */
	for (; optind < argc; optind++) {
		if (hcrun_stop(argv[optind], timeout, err) < 0) {
			hcrun_report(err);
			failed = true;
		}
	}
	return failed ? HCRUN_EXIT_ERROR : 0;
}
