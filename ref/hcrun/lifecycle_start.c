// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The lifecycle core, second half: start, run (create, then start) and exec.
 * It calls the first half (lifecycle.c: create, and delete for --rm) and the
 * process plumbing below it (proc.c); neither calls back.
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
#include <unistd.h>

#include "hcrun.h"

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
			return hc_error_set(err, EOVERFLOW,
					    "--memory plus the channel sizes overflows");
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
		ret = hc_host_mount_with(hcrun_mounts(), &ch->host, ch->spec.size, tag, &reused,
					 err);
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

	/* What was learnt of the mounts before the container's life is stale. */
	hcrun_mounts_forget();
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
		hc_error_set(err, ECHILD, "the monitor of %s died before it started the container",
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

/* -------------------------------------------------------------- run */

int hcrun_run(struct hcrun_create_opts *o, hc_error_t **err)
{
	struct hcrun_start_opts opts = {.detach = o->detach, .rm = o->rm};
	sigset_t saved;
	int ret;

	/* No gap between create and start where a ^C would leave a --rm
	 * container behind. */
	hcrun_signals_block(&saved);
	if (hcrun_create(o, err) < 0) {
		hcrun_signals_restore(&saved);
		return HCRUN_EXIT_ERROR;
	}
	/* The state now holds the config; start reads it back from there. */
	ret = hcrun_start(o->cfg.name, &opts, err);
	hcrun_signals_restore(&saved);
	return ret;
}

/* ------------------------------------------------------------- exec */

/*
 * exec enters the process the state records: a pid alone could by now be
 * another's, whose namespaces and root the command would get. It is pinned
 * first (hcrun_proc_pin: pidfd, then /proc/<pid>, then the start time
 * recorded at start checked there), and the child enters only through what
 * was pinned. Every refusal is the exit code of a container not running.
 */
static int pin_init(const struct hcrun_state *st, struct hcrun_pin *init, hc_error_t **err)
{
	const char *name = st->cfg.name;

	if (st->status != HCRUN_RUNNING)
		return hc_error_set(err, ESRCH, "container %s is not running", name);
	switch (hcrun_proc_pin(st->pid, st->pid_start, init, err)) {
	case HCRUN_PIN_OK:
		return 0;
	case HCRUN_PIN_GONE:
		return hc_error_set(err, ESRCH, "container %s is not running", name);
	case HCRUN_PIN_REUSED:
		return hc_error_set(err, ESRCH,
				    "container %s: its init (pid %d) has exited and the pid now "
				    "belongs to another process",
				    name, (int)st->pid);
	case HCRUN_PIN_UNKNOWN:
		return hc_error_set(err, ESRCH,
				    "container %s: its state records no start time for its init "
				    "(pid %d), so that process cannot be told from another that "
				    "reused the pid: not entered",
				    name, (int)st->pid);
	default:
		return hc_error_prefix(err, "container %s", name);
	}
}

/*
 * One more process in a running container: its namespaces, its root, its
 * memory cgroup (what the process writes to a channel is charged to the
 * container, as the init's writes are), its capabilities.
 */
int hcrun_exec(const char *name, const struct hcrun_exec_opts *opts, hc_error_t **err)
{
	bool user_set = opts->user_set, blocked = false;
	sigset_t saved_mask;
	char procs[PATH_MAX];
	struct hcrun_state st;
	struct hcrun_proc proc = {.pid = 0, .sync_fd = -1, .pty_master = -1};
	struct hcrun_pin init = {.pid = 0, .pidfd = -1, .procfd = -1};
	int code = HCRUN_EXIT_ERROR, status, saved_stdin = -1;
	uid_t uid = opts->uid;
	gid_t gid = opts->gid;

	/* No lock: reading is safe (rename), and exec changes no state. */
	if (hcrun_state_load(name, &st, err) < 0)
		return HCRUN_EXIT_ERROR;
	if (pin_init(&st, &init, err) < 0)
		goto out;
	if (!user_set) {
		user_set = st.cfg.user_set;
		uid = st.cfg.uid;
		gid = st.cfg.gid;
	}
	if (st.cgroup.version != HC_CGROUP_NONE && snprintf(procs, sizeof(procs), "%s/cgroup.procs",
							    st.cgroup.path) >= (int)sizeof(procs)) {
		hc_error_set(err, ENAMETOOLONG, "cgroup path of %s is too long", name);
		goto out;
	}
	/* Until hcrun_proc_wait forwards them: a ^C during the setup must not
	 * leave the command running with nobody waiting for it. */
	hcrun_signals_block(&saved_mask);
	blocked = true;
	if (!opts->interactive && hcrun_stdin_null(&saved_stdin, err) < 0)
		goto out;
	if (hcrun_exec_spawn(&st.cfg, &init, st.cgroup.version != HC_CGROUP_NONE ? procs : NULL,
			     opts->argv, user_set, uid, gid, opts->tty, &proc, err) < 0) {
		hcrun_stdin_restore(&saved_stdin);
		goto out;
	}
	hcrun_stdin_restore(&saved_stdin);
	if (hcrun_container_release(&proc, &code, err) < 0) {
		hcrun_proc_abort(&proc);
		goto out;
	}
	if (hcrun_proc_wait(&proc, opts->interactive, &status, err) < 0)
		hcrun_report(err); /* the status below is still the command's */
	code = status;
out:
	if (blocked)
		hcrun_signals_restore(&saved_mask);
	hcrun_pin_release(&init);
	hcrun_state_clear(&st);
	return code;
}
