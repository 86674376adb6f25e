// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The lifecycle core, first half: create, stop, delete. The verbs
 * (cmd_*.c) parse their options and call in here; start, run and exec are
 * in lifecycle_start.c, which calls this half (delete after a --rm
 * container's exit) and is never called by it.
 *
 * create claims the name, writes the state and prepares the host channels.
 * Nothing is mounted and nothing runs yet (contract section 3: the tmpfs
 * lives from start to delete). A failure undoes exactly what this create
 * made.
 *
 * stop: SIGTERM, then SIGKILL after the timeout. The container's init is the
 * init of its pid namespace: it ignores a SIGTERM it has no handler for,
 * hence the SIGKILL. Signals go through a pidfd opened on the recorded pid
 * and checked against its start time, so a reused pid is never hit. The
 * monitor records the exit; stop waits for that (bounded), and records it
 * itself when the monitor is gone (killed). The channels stay mounted and the
 * cgroup stays: both live until delete.
 *
 * delete: the end of a container's host channels (contract section 3): each
 * tmpfs unmounted (lazily when a host process still holds it) and the
 * directories create made removed, then the memory cgroup, then the state.
 * The cgroup goes after the unmount: tmpfs pages written from the container
 * are charged to it, and while they exist it could only die, not vanish.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "hcrun.h"

#define STOP_KILL_WAIT_MS   10000 /* SIGKILL can wait on a slow exit (tmpfs pages to free) */
#define STOP_RECORD_WAIT_MS 5000  /* the monitor records within this */
#define STOP_POLL_MS	    20

/* ----------------------------------------------------------- create */

static int random_name(char *buf, size_t len, hc_error_t **err)
{
	unsigned char bytes[6];
	size_t i;

	if (getrandom(bytes, sizeof(bytes), 0) != sizeof(bytes))
		return hc_error_sys(err, errno, "getrandom");
	for (i = 0; i < sizeof(bytes) && 2 * i + 2 < len; i++)
		snprintf(buf + 2 * i, 3, "%02x", bytes[i]);
	return 0;
}

static int claim(struct hcrun_create_opts *o, int *lock, hc_error_t **err)
{
	int tries;

	if (o->name_given)
		return hcrun_state_claim(o->cfg.name, lock, err);
	/* 48 random bits: a clash is rare, and only then is another drawn. */
	for (tries = 0; tries < 8; tries++) {
		if (random_name(o->cfg.name, sizeof(o->cfg.name), err) < 0)
			return -1;
		if (hcrun_state_claim(o->cfg.name, lock, err) == 0)
			return 0;
		if ((*err)->errnum != EEXIST)
			return -1;
		hc_error_free(err);
	}
	return hc_error_set(err, EEXIST, "no free random name found");
}

/*
 * prepare's journal: the state is written before each directory is made and
 * once its identity is known, so that a create killed at any point leaves gc
 * a record of exactly what it made (the record is in st, filled in place).
 */
struct create_journal {
	const struct hcrun_state *st;
	const struct hcrun_policy *policy; /* --policy, NULL: none */
};

static int journal_channel(void *arg, const struct hc_host *host, hc_error_t **err)
{
	const struct create_journal *j = arg;
	const struct hcrun_state *st = j->st;

	/* Under --policy: its path rules again, on the real path prepare is
	 * about to make, before it makes anything (policy.c says why). */
	if (j->policy != NULL && hcrun_policy_check_host(j->policy, host, err) < 0)
		return hc_error_prefix(err, "--host-channel");
	hcrun_fault("create", "before a channel journal entry");
	if (hcrun_state_save(st, err) < 0)
		return -1;
	hcrun_fault("create", "after a channel journal entry");
	return 0;
}

static int create(struct hcrun_create_opts *o, hc_error_t **err)
{
	struct hcrun_state st = {.exit_code = -1, .auto_remove = o->rm};
	struct create_journal journal = {&st, o->policy_set ? &o->policy : NULL};
	int lock = -1;
	size_t i;

	if (claim(o, &lock, err) < 0)
		return -1;
	hcrun_fault("create", "name claimed, no state yet");
	/* st borrows o's config: o keeps owning argv and channels. */
	st.cfg = o->cfg;
	st.status = HCRUN_CREATING;
	hcrun_timestamp(st.created, sizeof(st.created));
	/* Listed before any is made: a create that dies half way leaves gc
	 * the list of what to roll back. */
	if (hcrun_state_save(&st, err) < 0)
		goto undo;
	hcrun_fault("create", "state creating written");
	for (i = 0; i < st.cfg.nchannels; i++) {
		struct hcrun_channel *ch = &st.cfg.channels[i];

		if (hc_host_prepare_journal(ch->spec.host_path, &ch->host, journal_channel,
					    &journal, err) < 0) {
			/* It undid what it made: the rollback must not touch its path. */
			memset(&ch->host, 0, sizeof(ch->host));
			hc_error_prefix(err, "--host-channel");
			goto undo;
		}
		hcrun_fault("create", "channel prepared");
		if (hcrun_state_save(&st, err) < 0)
			goto undo;
		hcrun_fault("create", "channel recorded");
		if (hcrun_real_paths_conflict(st.cfg.channels, i, err) < 0)
			goto undo;
	}
	st.status = HCRUN_CREATED;
	if (hcrun_state_save(&st, err) < 0)
		goto undo;
	hcrun_fault("create", "state created written");
	hcrun_state_unlock(&lock);
	return 0;
undo : {
	hc_cleanup_error hc_error_t *more = NULL;

	/* Tears down the channels prepared so far and the state dir;
		 * if that fails, the "creating" state stays for gc. */
	if (hcrun_delete_locked(&st, &more) < 0)
		hcrun_report(&more);
}
	hcrun_state_unlock(&lock);
	return -1;
}

int hcrun_create(struct hcrun_create_opts *o, hc_error_t **err)
{
	sigset_t saved;
	int ret;

	/* A ^C half way would leave a "creating" state for gc. Nested in run's
	 * block, what comes meanwhile waits for the container's start. */
	hcrun_signals_block(&saved);
	ret = create(o, err);
	hcrun_signals_restore(&saved);
	return ret;
}

/* ----------------------------------------------------------- delete */

int hcrun_delete_locked(struct hcrun_state *st, hc_error_t **err)
{
	char tag[HCRUN_NAME_MAX + sizeof(HCRUN_TAG_PREFIX)];
	const char *name = st->cfg.name;
	bool failed = false;
	size_t i;

	hcrun_channel_tag(name, tag, sizeof(tag));
	/* Reverse order of preparation: what was made last goes first. */
	for (i = st->cfg.nchannels; i-- > 0;) {
		struct hcrun_channel *ch = &st->cfg.channels[i];
		hc_cleanup_error hc_error_t *e = NULL;

		if (hc_host_teardown_with(hcrun_mounts(), &ch->host, tag, &e) < 0) {
			hc_error_prefix(&e, "delete %s: host channel %s", name, ch->spec.host_path);
			hcrun_report(&e);
			failed = true;
			continue;
		}
		hcrun_fault("delete", "channel torn down");
		/* Done with: a retry must not look at that path again, in case
		 * someone makes a new one there. */
		ch->mounted = false;
		ch->host.real_path[0] = '\0';
	}
	if (st->cgroup.version != HC_CGROUP_NONE) {
		hc_cleanup_error hc_error_t *e = NULL;

		if (hc_memcg_destroy(&st->cgroup, &e) < 0) {
			hc_error_prefix(&e, "delete %s", name);
			hcrun_report(&e);
			failed = true;
		} else {
			hcrun_fault("delete", "cgroup removed");
			st->cgroup.version = HC_CGROUP_NONE;
			st->cgroup.path[0] = '\0';
			/* The last container out leaves the hierarchy as found. */
			if (hc_memcg_remove_parent(hcrun_cgroup_parent(), &e) < 0)
				hcrun_report(&e);
			hcrun_fault("delete", "cgroup parent removed if empty");
		}
	}
	if (failed) {
		/* The state keeps what is left, so that delete (or gc) can try
		 * again; dropping it would orphan a mount or a cgroup. */
		if (hcrun_state_save(st, err) < 0)
			return -1;
		return hc_error_set(err, EBUSY,
				    "container %s was not fully deleted; its state is kept: run "
				    "hcrun delete %s again",
				    name, name);
	}
	return hcrun_state_remove(name, err);
}

int hcrun_delete(const char *name, bool force, hc_error_t **err)
{
	struct hcrun_state st;
	int lock = -1, ret;

	if (force) {
		/* Unlocked: the monitor needs the lock to record the exit. */
		if (hcrun_stop(name, 0, err) < 0)
			return -1;
		hcrun_fault("delete", "stopped (-f)");
	}
	if (hcrun_state_lock(name, &lock, err) < 0) {
		/* Its monitor deleted it (--rm) after the kill: done. */
		if (force && (*err)->errnum == ENOENT) {
			hc_error_free(err);
			return 0;
		}
		return -1;
	}
	if (hcrun_state_load(name, &st, err) < 0) {
		hcrun_state_unlock(&lock);
		return -1;
	}
	if (hcrun_state_live_status(&st) == HCRUN_RUNNING) {
		hc_error_set(err, EBUSY, "container %s is running: stop it first, or use delete -f",
			     name);
		ret = -1;
	} else {
		/* A "running" whose process is gone, or a "creating" whose
		 * create died (it held this lock otherwise): both are safe. */
		ret = hcrun_delete_locked(&st, err);
	}
	hcrun_state_clear(&st);
	hcrun_state_unlock(&lock);
	return ret;
}

/* ------------------------------------------------------------- stop */

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
