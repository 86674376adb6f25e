// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The processes hcrun starts in a container (its init, an exec'd command):
 * their stdin, the signals held back while one is set up and forwarded to it
 * once it runs, the wait for its exit. A layer below the lifecycle core
 * (lifecycle_start.c): it calls nothing of hcrun's but the pty relay.
 *
 * (void) marks results ignored on purpose: close() of a descriptor that was
 * only duplicated or read loses no data, and nothing could be done about it.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "hcrun.h"

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

/* Blocks that enclose the current one: run's around create and start. */
static int block_depth;

void hcrun_signals_block(sigset_t *saved)
{
	sigset_t set;

	forwarded_set(&set);
	/* Only fails for a bad "how": nothing to handle. */
	(void)sigprocmask(SIG_BLOCK, &set, saved);
	block_depth++;
}

void hcrun_signals_restore(const sigset_t *saved)
{
	const struct timespec now = {0, 0};
	sigset_t set;

	/* What came while blocked is dropped: the work it would have cut
	 * short is done, and the exit status says how it ended. Inside an
	 * enclosing block it stays pending: the outer work is not done, and
	 * hcrun_proc_wait() passes it on to the container it starts. */
	forwarded_set(&set);
	if (--block_depth == 0) {
		while (sigtimedwait(&set, NULL, &now) > 0)
			;
	}
	(void)sigprocmask(SIG_SETMASK, saved, NULL);
}

int hcrun_proc_wait(struct hcrun_proc *proc, bool forward_stdin, int *status, hc_error_t **err)
{
	struct sigaction sa = {.sa_handler = forward_signal, .sa_flags = SA_RESTART};
	struct sigaction ign = {.sa_handler = SIG_IGN}, old[NFORWARDED], old_pipe;
	sigset_t set, mask;
	siginfo_t info;
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
	/*
	 * Waited for without reaping first: until forward_pid is cleared the
	 * handler may still kill() it, and only an unreaped zombie keeps its
	 * pid from being given to another process (which the signal would
	 * hit). An error here shows again in the waitpid() below.
	 */
	while (waitid(P_PID, (id_t)proc->pid, &info, WEXITED | WNOWAIT) < 0 && errno == EINTR)
		;
	forward_pid = 0;
	while (waitpid(proc->pid, &wstatus, 0) < 0) {
		if (errno != EINTR) {
			ret = hc_error_sys(err, errno, "wait for process %d", (int)proc->pid);
			wstatus = W_EXITCODE(HCRUN_EXIT_ERROR, 0);
			break;
		}
	}
	proc->pid = 0;
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
