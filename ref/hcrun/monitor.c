// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Starting a container and watching it until it exits.
 *
 * The monitor is the parent of the container's init: only it can reap the
 * init and learn its exit status, so it is the one that records "stopped".
 * In the foreground (run, start -a) hcrun itself is the monitor; detached
 * (run -d, start), a forked child that left the session is, and tells the
 * waiting parent through a socket whether the start worked.
 *
 * (void) marks results ignored on purpose: close() of a descriptor that was
 * only duplicated or read loses no data, and nothing could be done about it.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "hcrun.h"

/* ------------------------------------------------------- plumbing */

int hcrun_stdin_null(int *saved, hc_error_t **err)
{
	int null;

	*saved = fcntl(STDIN_FILENO, F_DUPFD_CLOEXEC, 3);
	if (*saved < 0)
		return hc_error_sys(err, errno, "save stdin");
	null = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (null < 0) {
		hc_error_sys(err, errno, "open /dev/null");
		goto fail;
	}
	/* dup2 clears close-on-exec on fd 0: the container inherits it. */
	if (dup2(null, STDIN_FILENO) < 0) {
		hc_error_sys(err, errno, "redirect stdin to /dev/null");
		(void)close(null);
		goto fail;
	}
	(void)close(null);
	return 0;
fail:
	(void)close(*saved);
	*saved = -1;
	return -1;
}

void hcrun_stdin_restore(int *saved)
{
	if (*saved < 0)
		return;
	/* Cannot fail with a valid fd 0 and *saved; nothing could be done anyway. */
	(void)dup2(*saved, STDIN_FILENO);
	(void)close(*saved);
	*saved = -1;
}

void hcrun_proc_abort(struct hcrun_proc *proc)
{
	if (proc->pid > 0) {
		/* Our own unreaped child: its pid cannot have been reused. */
		(void)kill(proc->pid, SIGKILL);
		while (waitpid(proc->pid, NULL, 0) < 0 && errno == EINTR)
			;
		proc->pid = 0;
	}
	hc_cleanup_closep(&proc->sync_fd);
	hc_cleanup_closep(&proc->pty_master);
}

static volatile sig_atomic_t forward_pid;

static void forward_signal(int sig)
{
	int saved = errno;

	if (forward_pid > 0)
		(void)kill(forward_pid, sig); /* gone already: nothing to forward */
	errno = saved;
}

static const int forwarded[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT};
#define NFORWARDED (sizeof(forwarded) / sizeof(forwarded[0]))

static void forwarded_set(sigset_t *set)
{
	size_t i;

	sigemptyset(set);
	for (i = 0; i < NFORWARDED; i++)
		sigaddset(set, forwarded[i]);
}

void hcrun_signals_block(sigset_t *saved)
{
	sigset_t set;

	forwarded_set(&set);
	/* Only fails for a bad "how": nothing to handle. */
	(void)sigprocmask(SIG_BLOCK, &set, saved);
}

void hcrun_signals_restore(const sigset_t *saved)
{
	const struct timespec now = {0, 0};
	sigset_t set;

	/* What came while blocked is dropped: the work it would have cut
	 * short is done, and the exit status says how it ended. */
	forwarded_set(&set);
	while (sigtimedwait(&set, NULL, &now) > 0)
		;
	(void)sigprocmask(SIG_SETMASK, saved, NULL);
}

int hcrun_proc_wait(struct hcrun_proc *proc, bool forward_stdin, int *status, hc_error_t **err)
{
	struct sigaction sa = {.sa_handler = forward_signal, .sa_flags = SA_RESTART};
	struct sigaction ign = {.sa_handler = SIG_IGN}, old[NFORWARDED], old_pipe;
	sigset_t set, mask;
	int wstatus = 0, ret = 0;
	bool pipe_ignored = false;
	size_t i;

	/* ^C at our terminal, or kill of hcrun, is meant for the container:
	 * hcrun stays to record how it ended. */
	forward_pid = proc->pid;
	sigemptyset(&sa.sa_mask);
	for (i = 0; i < NFORWARDED; i++) {
		if (sigaction(forwarded[i], &sa, &old[i]) < 0) {
			hc_error_sys(err, errno, "install the handler of signal %d", forwarded[i]);
			ret = -1;
			break;
		}
	}
	/*
	 * A reader of our stdout that goes away (| head) must not kill us in
	 * the relay: the write fails with EPIPE instead, and hcrun still waits
	 * for the container and records its exit.
	 */
	sigemptyset(&ign.sa_mask);
	if (ret == 0 && sigaction(SIGPIPE, &ign, &old_pipe) < 0)
		ret = hc_error_sys(err, errno, "ignore SIGPIPE");
	else
		pipe_ignored = ret == 0;
	/* Blocked during the setup (hcrun_signals_block): what came meanwhile
	 * is delivered now, to the container. */
	forwarded_set(&set);
	if (ret == 0)
		(void)sigprocmask(SIG_UNBLOCK, &set, &mask);
	else
		(void)sigprocmask(SIG_SETMASK, NULL, &mask);
	if (ret == 0 && proc->pty_master >= 0) {
		/* A relay failure still waits below: never leave a zombie. */
		ret = hcrun_tty_relay(proc->pty_master, forward_stdin, err);
	}
	hc_cleanup_closep(&proc->pty_master);
	while (waitpid(proc->pid, &wstatus, 0) < 0) {
		if (errno != EINTR) {
			ret = hc_error_sys(err, errno, "wait for process %d", (int)proc->pid);
			wstatus = W_EXITCODE(HCRUN_EXIT_ERROR, 0);
			break;
		}
	}
	proc->pid = 0;
	forward_pid = 0;
	(void)sigprocmask(SIG_SETMASK, &mask, NULL);
	if (pipe_ignored)
		(void)sigaction(SIGPIPE, &old_pipe, NULL);
	while (i-- > 0)
		(void)sigaction(forwarded[i], &old[i], NULL);
	if (WIFSIGNALED(wstatus))
		*status = 128 + WTERMSIG(wstatus);
	else
		*status = WEXITSTATUS(wstatus);
	return ret;
}

/* ------------------------------------------------------------ start */

/* The limit the cgroup gets: --memory, plus every channel's size when
 * --memory-add-channel asks for the seed's advice. 0: no limit. */
static int memory_limit(const struct hcrun_config *cfg, uint64_t *limit, hc_error_t **err)
{
	size_t i;

	*limit = cfg->memory;
	if (cfg->memory == 0 || !cfg->memory_add_channel)
		return 0;
	for (i = 0; i < cfg->nchannels; i++) {
		if (__builtin_add_overflow(*limit, cfg->channels[i].spec.size, limit))
			return hc_error_set(err, 0, "--memory plus the channel sizes overflows");
	}
	return 0;
}

static int setup_memcg(struct hcrun_state *st, hc_error_t **err)
{
	enum hc_cgroup_version version;
	char root[PATH_MAX];
	struct hc_memcg cg;
	uint64_t limit;

	if (memory_limit(&st->cfg, &limit, err) < 0)
		return -1;
	if (hc_memcg_detect(&version, root, sizeof(root), err) < 0) {
		/* Without a limit to apply the cgroup only reports usage: run
		 * without one rather than refuse. */
		if (limit == 0) {
			hc_error_free(err);
			return 0;
		}
		return hc_error_prefix(err, "--memory");
	}
	/*
	 * Recorded before it is made, where hc_memcg_create() will make it:
	 * a start killed right after the mkdir leaves delete the path to
	 * remove (hc_memcg_destroy() takes a missing cgroup as done).
	 */
	if (st->cgroup.version == HC_CGROUP_NONE) {
		st->cgroup.version = version;
		if (snprintf(st->cgroup.path, sizeof(st->cgroup.path), "%s/%s/%s", root,
			     hcrun_cgroup_parent(), st->cfg.name) >= (int)sizeof(st->cgroup.path))
			return hc_error_set(err, ENAMETOOLONG, "cgroup path under %s too long",
					    root);
		if (hcrun_state_save(st, err) < 0)
			return -1;
		hcrun_fault("start", "cgroup path recorded");
	}
	/* Also on a restart: an existing empty cgroup of that name is reused. */
	if (hc_memcg_create(&cg, hcrun_cgroup_parent(), st->cfg.name, err) < 0)
		return -1;
	/* Recorded at once (the same path), so that delete removes it whatever
	 * fails next. */
	hcrun_fault("start", "cgroup made");
	st->cgroup = cg;
	if (hcrun_state_save(st, err) < 0)
		return -1;
	hcrun_fault("start", "cgroup recorded");
	if (hc_memcg_set_limit(&cg, limit, err) < 0)
		return -1;
	hcrun_fault("start", "cgroup limited");
	return 0;
}

static int mount_channels(struct hcrun_state *st, hc_error_t **err)
{
	char tag[HCRUN_NAME_MAX + sizeof(HCRUN_TAG_PREFIX)];
	size_t i;

	hcrun_channel_tag(st->cfg.name, tag, sizeof(tag));
	for (i = 0; i < st->cfg.nchannels; i++) {
		struct hcrun_channel *ch = &st->cfg.channels[i];
		bool reused = false;
		int ret;

		/* On a restart the tmpfs is still there and keeps its data. */
		ret = hc_host_mount(&ch->host, ch->spec.size, tag, &reused, err);
		if (ret < 0)
			return hc_error_prefix(err, "host channel %s", ch->spec.host_path);
		hcrun_fault("start", "channel mounted");
		ch->mounted = true;
		/* The channel lives from start to delete: record each mount,
		 * so that delete finds it even if a later step fails. */
		if (hcrun_state_save(st, err) < 0)
			return -1;
		hcrun_fault("start", "channel mount recorded");
	}
	return 0;
}

/*
 * Under the lock: mount, cgroup, spawn, release, record "running". On failure
 * the state keeps its old status with the exit code, or is deleted with rm.
 * Returns 0 or the exit code to use (with *err set).
 */
static int launch(const char *name, bool *rm, struct hcrun_state *st, struct hcrun_proc *proc,
		  hc_error_t **err)
{
	int lock = -1, saved_stdin = -1, code = HCRUN_EXIT_ERROR;
	enum hcrun_status was = HCRUN_CREATED;
	bool loaded = false;

	/* The caller clears *st whatever happens. */
	memset(st, 0, sizeof(*st));
	*proc = (struct hcrun_proc){.pid = 0, .sync_fd = -1, .pty_master = -1};
	if (hcrun_state_lock(name, &lock, err) < 0)
		return HCRUN_EXIT_ERROR;
	if (hcrun_state_load(name, st, err) < 0)
		goto fail;
	loaded = true;
	/* A "running" whose process is gone reads "stopped": a failure below
	 * must not put "running" back, with no process to it. */
	was = hcrun_state_live_status(st);
	/* create --rm: the state says so for a later start. */
	*rm = *rm || st->auto_remove;
	switch (was) {
	case HCRUN_RUNNING:
		hc_error_set(err, EBUSY, "container %s is already running", name);
		goto fail_keep;
	case HCRUN_CREATING:
		hc_error_set(err, EBUSY,
			     "container %s was never fully created (its create died): "
			     "run hcrun gc, or hcrun delete %s",
			     name, name);
		goto fail_keep;
	default:
		break;
	}
	if (mount_channels(st, err) < 0 || setup_memcg(st, err) < 0)
		goto fail;
	if (!st->cfg.interactive && hcrun_stdin_null(&saved_stdin, err) < 0)
		goto fail;
	if (hcrun_container_spawn(&st->cfg, proc, err) < 0) {
		hcrun_stdin_restore(&saved_stdin);
		goto fail;
	}
	hcrun_stdin_restore(&saved_stdin);
	hcrun_fault("start", "process spawned, waiting");
	/* Into the cgroup while it waits, before it can allocate anything. */
	if (st->cgroup.version != HC_CGROUP_NONE &&
	    hc_memcg_attach(&st->cgroup, proc->pid, err) < 0) {
		hcrun_proc_abort(proc);
		goto fail;
	}
	hcrun_fault("start", "process in the cgroup");
	/*
	 * Recorded as running before it may run: a monitor killed once it is
	 * released would otherwise leave a container that no state names, and
	 * that delete -f could not stop. Killed before the release, the
	 * process sees its setup socket close and exits; gc then finds both
	 * gone and records it stopped.
	 */
	st->status = HCRUN_RUNNING;
	st->pid = proc->pid;
	if (hcrun_proc_start_time(proc->pid, &st->pid_start) < 0 ||
	    hcrun_proc_start_time(getpid(), &st->monitor_start) < 0) {
		hc_error_set(err, ESRCH, "cannot read the start time of process %d",
			     (int)proc->pid);
		hcrun_proc_abort(proc);
		goto fail;
	}
	st->monitor_pid = getpid();
	st->exit_code = -1;
	hcrun_timestamp(st->started, sizeof(st->started));
	st->finished[0] = '\0';
	if (hcrun_state_save(st, err) < 0) {
		/* Unrecorded, nobody could stop or delete it: it must not run. */
		hcrun_proc_abort(proc);
		goto fail;
	}
	hcrun_fault("start", "state running written");
	if (hcrun_container_release(proc, &code, err) < 0) {
		hcrun_proc_abort(proc);
		goto fail;
	}
	hcrun_fault("start", "process released");
	hcrun_state_unlock(&lock);
	return 0;

fail:
	if (loaded) {
		hc_cleanup_error hc_error_t *more = NULL;

		/* A failed start leaves it as it was, with the exit code. */
		st->status = was;
		st->exit_code = code;
		st->pid = 0;
		st->monitor_pid = 0;
		if (*rm) {
			if (hcrun_delete_locked(st, &more) < 0)
				hcrun_report(&more);
		} else if (hcrun_state_save(st, &more) < 0) {
			hcrun_report(&more);
		}
	}
fail_keep:
	hcrun_state_unlock(&lock);
	return code;
}

/*
 * Record the exit of the process (pid, start), then delete with rm. Returns 0
 * or -1. The start time tells our process from a new one that a later start
 * got the same pid for.
 */
static int record_exit(const char *name, pid_t pid, uint64_t start, int status, bool rm,
		       hc_error_t **err)
{
	struct hcrun_state st;
	int lock = -1, ret = 0;

	if (hcrun_state_lock(name, &lock, err) < 0) {
		/* Deleted meanwhile (delete -f): nothing left to record. */
		if (err != NULL && *err != NULL && (*err)->errnum == ENOENT) {
			hc_error_free(err);
			return 0;
		}
		return -1;
	}
	if (hcrun_state_load(name, &st, err) < 0) {
		hcrun_state_unlock(&lock);
		return -1;
	}
	/* A stop that found us gone may have recorded it already. */
	hcrun_fault("start", "monitor: exit reaped, not recorded");
	if (st.status == HCRUN_RUNNING && st.pid == pid && st.pid_start == start) {
		st.status = HCRUN_STOPPED;
		st.exit_code = status;
		hcrun_timestamp(st.finished, sizeof(st.finished));
		ret = hcrun_state_save(&st, err);
		hcrun_fault("start", "monitor: exit recorded");
	}
	if (ret == 0 && rm && st.status != HCRUN_RUNNING)
		ret = hcrun_delete_locked(&st, err);
	hcrun_state_clear(&st);
	hcrun_state_unlock(&lock);
	return ret;
}

static int start_foreground(const char *name, bool rm, hc_error_t **err)
{
	struct hcrun_state st;
	struct hcrun_proc proc;
	uint64_t start;
	pid_t pid;
	int code, status, ret;

	code = launch(name, &rm, &st, &proc, err);
	if (code != 0) {
		hcrun_state_clear(&st);
		return code;
	}
	pid = proc.pid;
	start = st.pid_start;
	ret = hcrun_proc_wait(&proc, st.cfg.interactive, &status, err);
	hcrun_state_clear(&st);
	/* A broken relay is worth saying, but the exit is still ours to record. */
	if (ret < 0)
		hcrun_report(err);
	if (record_exit(name, pid, start, status, rm, err) < 0)
		return HCRUN_EXIT_ERROR;
	return status;
}

/* What the detached monitor tells the parent: the exit code, then the
 * error message (none when started). */
struct report {
	int32_t code;
	int32_t errnum;
};

static void send_report(int sock, int code, const hc_error_t *err)
{
	struct report rep = {.code = code, .errnum = err != NULL ? err->errnum : 0};
	const char *msg = err != NULL && err->msg != NULL ? err->msg : "";

	/* MSG_NOSIGNAL: a parent that died must not kill the monitor too. If
	 * it is gone, the message has no reader anyway. */
	if (send(sock, &rep, sizeof(rep), MSG_NOSIGNAL) == sizeof(rep))
		(void)send(sock, msg, strlen(msg), MSG_NOSIGNAL);
}

static int read_report(int sock, const char *name, hc_error_t **err)
{
	struct report rep;
	char msg[4096];
	size_t len = 0;
	ssize_t n;

	do {
		n = recv(sock, &rep, sizeof(rep), MSG_WAITALL);
	} while (n < 0 && errno == EINTR);
	if (n != (ssize_t)sizeof(rep)) {
		hc_error_set(err, 0, "the monitor of %s died before it started the container",
			     name);
		return HCRUN_EXIT_ERROR;
	}
	while (len < sizeof(msg) - 1) {
		n = recv(sock, msg + len, sizeof(msg) - 1 - len, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += n;
	}
	msg[len] = '\0';
	if (rep.code == 0)
		return 0;
	hc_error_set(err, rep.errnum, "%s", len > 0 ? msg : "start failed");
	return rep.code;
}

/*
 * The monitor child: out of our session (a hangup of the terminal that ran
 * hcrun must not reach it), stdio on console.log, cwd "/" (it must keep no
 * directory of the user busy). Never returns.
 */
static void monitor_main(const char *name, bool rm, int sock)
{
	hc_cleanup_error hc_error_t *err = NULL;
	char log[PATH_MAX];
	struct hcrun_state st;
	struct hcrun_proc proc;
	int fd, code, status;
	uint64_t start;
	pid_t pid;

	if (setsid() < 0) {
		hc_error_sys(&err, errno, "setsid");
		goto early;
	}
	/*
	 * The caller's other descriptors (a pipe a test harness reads to EOF)
	 * must not stay open for the container's lifetime. Best effort: a
	 * kernel without close_range leaves them, as any daemon would.
	 */
	if (sock > 3)
		(void)close_range(3, sock - 1, 0);
	(void)close_range(sock + 1, ~0U, 0);
	if (chdir("/") < 0) {
		hc_error_sys(&err, errno, "chdir /");
		goto early;
	}
	if (hcrun_state_path(name, HCRUN_CONSOLE_FILE, log, sizeof(log), &err) < 0)
		goto early;
	fd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0) {
		hc_error_sys(&err, errno, "open %s", log);
		goto early;
	}
	if (dup2(fd, STDOUT_FILENO) < 0 || dup2(fd, STDERR_FILENO) < 0) {
		hc_error_sys(&err, errno, "redirect output to %s", log);
		(void)close(fd);
		goto early;
	}
	(void)close(fd);
	fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (fd < 0 || dup2(fd, STDIN_FILENO) < 0) {
		hc_error_sys(&err, errno, "redirect stdin to /dev/null");
		if (fd >= 0)
			(void)close(fd);
		goto early;
	}
	(void)close(fd);

	code = launch(name, &rm, &st, &proc, &err);
	send_report(sock, code, err);
	(void)close(sock);
	if (code != 0) {
		hcrun_state_clear(&st);
		hcrun_report(&err); /* into console.log */
		exit(code);
	}
	pid = proc.pid;
	start = st.pid_start;
	/* Without a terminal, a -t container's output goes to console.log. */
	if (hcrun_proc_wait(&proc, false, &status, &err) < 0)
		hcrun_report(&err);
	hcrun_state_clear(&st);
	if (record_exit(name, pid, start, status, rm, &err) < 0)
		hcrun_report(&err);
	exit(status);

early:
	/* Nothing was touched yet: the parent deletes with rm. */
	send_report(sock, HCRUN_EXIT_ERROR, err);
	exit(HCRUN_EXIT_ERROR);
}

static int start_detached(const char *name, bool rm, hc_error_t **err)
{
	hc_cleanup_close int parent_end = -1;
	struct hcrun_state st;
	int sv[2], code;
	pid_t pid;

	/* An unknown name is said plainly here; the monitor checks the rest
	 * under the lock. */
	if (hcrun_state_load(name, &st, err) < 0)
		return HCRUN_EXIT_ERROR;
	hcrun_state_clear(&st);
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		return hc_error_sys(err, errno, "socketpair");
	/* Nothing buffered may be written twice, by us and by the child. */
	(void)fflush(stdout);
	(void)fflush(stderr);
	pid = fork();
	if (pid < 0) {
		hc_error_sys(err, errno, "fork the monitor");
		(void)close(sv[0]);
		(void)close(sv[1]);
		return HCRUN_EXIT_ERROR;
	}
	if (pid == 0) {
		(void)close(sv[0]);
		monitor_main(name, rm, sv[1]);
	}
	(void)close(sv[1]);
	parent_end = sv[0];
	/* The monitor outlives us; once we exit, init reaps it. */
	code = read_report(parent_end, name, err);
	if (code != 0 && rm) {
		/* The monitor deletes on a failed launch; what remains is a
		 * monitor that died before it got that far. */
		hc_cleanup_error hc_error_t *more = NULL;

		if (hcrun_delete(name, false, &more) < 0 && more->errnum != ENOENT)
			hcrun_report(&more);
	}
	return code;
}

int hcrun_start(const char *name, const struct hcrun_start_opts *opts, hc_error_t **err)
{
	sigset_t saved;
	int ret;

	hcrun_signals_block(&saved);
	if (opts->detach)
		ret = start_detached(name, opts->rm, err);
	else
		ret = start_foreground(name, opts->rm, err);
	hcrun_signals_restore(&saved);
	return ret;
}
