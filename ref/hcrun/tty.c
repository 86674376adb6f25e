// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The terminal relay of -t: hcrun's stdin and stdout on one side, the pty
 * master of the container process on the other.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <termios.h>
#include <unistd.h>

#include "hcrun.h"

struct relay {
	int master;
	bool stdin_open;
	/* stdin bytes read but not yet taken by the master */
	char in[4096];
	size_t in_len, in_off;
	char last_sent; /* last byte given to the master, for the EOF rule */
};

/* A size of 0x0 means "unknown" (e.g. a serial console): leave the pty's. */
static void copy_winsize(int master)
{
	struct winsize ws;
	int fd = isatty(STDIN_FILENO) ? STDIN_FILENO : STDOUT_FILENO;

	if (ioctl(fd, TIOCGWINSZ, &ws) < 0 || (ws.ws_row == 0 && ws.ws_col == 0))
		return;
	/* Best effort: a process that already exited leaves nothing to resize. */
	(void)ioctl(master, TIOCSWINSZ, &ws);
}

/*
 * stdout may be a non-blocking file description shared with someone else:
 * wait for room rather than drop output.
 */
static int write_all_stdout(const char *buf, size_t len, hc_error_t **err)
{
	while (len > 0) {
		ssize_t n = write(STDOUT_FILENO, buf, len);

		if (n < 0) {
			struct pollfd p = {.fd = STDOUT_FILENO, .events = POLLOUT};

			if (errno == EINTR)
				continue;
			if (errno != EAGAIN)
				return hc_error_sys(err, errno, "write to stdout");
			if (poll(&p, 1, -1) < 0 && errno != EINTR)
				return hc_error_sys(err, errno, "wait for stdout");
			continue;
		}
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/*
 * A pipe on stdin ended: a pty has no EOF of its own, the line discipline
 * turns VEOF into one, and only at the start of a line (after a partial
 * line the first VEOF just hands the line over).
 */
static void queue_eof(struct relay *r)
{
	struct termios t;
	char eof = 4; /* ^D, the default */

	if (tcgetattr(r->master, &t) == 0) {
		if (!(t.c_lflag & ICANON))
			return; /* raw: the program decides what ends its input */
		eof = (char)t.c_cc[VEOF];
	}
	r->in_off = 0;
	r->in_len = 0;
	if (r->last_sent != '\n' && r->last_sent != '\0')
		r->in[r->in_len++] = eof;
	r->in[r->in_len++] = eof;
}

static int pump_stdin(struct relay *r, hc_error_t **err)
{
	ssize_t n = read(STDIN_FILENO, r->in, sizeof(r->in));

	if (n > 0) {
		r->in_off = 0;
		r->in_len = (size_t)n;
		return 0;
	}
	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return 0;
	if (n < 0 && errno != EIO)
		return hc_error_sys(err, errno, "read stdin");
	/* EOF, or EIO from a terminal that hung up: stop forwarding. */
	r->stdin_open = false;
	if (n == 0)
		queue_eof(r);
	return 0;
}

static int pump_to_master(struct relay *r, hc_error_t **err)
{
	ssize_t n = write(r->master, r->in + r->in_off, r->in_len - r->in_off);

	if (n < 0) {
		if (errno == EINTR || errno == EAGAIN)
			return 0;
		if (errno == EIO) {
			/* the slave side is gone: output reading ends the relay */
			r->in_len = r->in_off = 0;
			return 0;
		}
		return hc_error_sys(err, errno, "write to the terminal of the container");
	}
	if (n > 0)
		r->last_sent = r->in[r->in_off + (size_t)n - 1];
	r->in_off += (size_t)n;
	if (r->in_off == r->in_len)
		r->in_off = r->in_len = 0;
	return 0;
}

/* 1 when the master is done (every slave end closed), 0 to go on. */
static int pump_from_master(struct relay *r, hc_error_t **err)
{
	char buf[8192];
	ssize_t n = read(r->master, buf, sizeof(buf));

	if (n > 0)
		return write_all_stdout(buf, (size_t)n, err) < 0 ? -1 : 0;
	if (n == 0 || errno == EIO)
		return 1;
	if (errno == EINTR || errno == EAGAIN)
		return 0;
	return hc_error_sys(err, errno, "read the terminal of the container");
}

int hcrun_tty_relay(int pty_master, bool forward_stdin, hc_error_t **err)
{
	struct relay r = {.master = pty_master, .stdin_open = forward_stdin};
	/*
	 * Raw only when our keys go to the container: without -i, ^C must
	 * still reach hcrun as SIGINT (which passes it on).
	 */
	bool stdin_tty = forward_stdin && isatty(STDIN_FILENO);
	bool raw = false, masked = false;
	struct termios saved, t;
	sigset_t winch, old_mask;
	int master_flags = -1;
	int sfd = -1;
	int ret = -1;

	if (stdin_tty) {
		if (tcgetattr(STDIN_FILENO, &saved) < 0)
			return hc_error_sys(err, errno, "read the terminal settings");
		t = saved;
		cfmakeraw(&t);
		if (tcsetattr(STDIN_FILENO, TCSADRAIN, &t) < 0)
			return hc_error_sys(err, errno, "put the terminal in raw mode");
		raw = true;
	}
	copy_winsize(pty_master);

	/* SIGWINCH through a signalfd: no handler, no race with poll(). */
	sigemptyset(&winch);
	sigaddset(&winch, SIGWINCH);
	if (sigprocmask(SIG_BLOCK, &winch, &old_mask) < 0) {
		hc_error_sys(err, errno, "block SIGWINCH");
		goto out;
	}
	masked = true;
	sfd = signalfd(-1, &winch, SFD_CLOEXEC | SFD_NONBLOCK);
	if (sfd < 0) {
		hc_error_sys(err, errno, "signalfd");
		goto out;
	}

	/*
	 * Non-blocking master: a child that does not read its input must not
	 * block us while its output (which we are no longer reading) fills up.
	 */
	master_flags = fcntl(pty_master, F_GETFL);
	if (master_flags < 0 || fcntl(pty_master, F_SETFL, master_flags | O_NONBLOCK) < 0) {
		hc_error_sys(err, errno, "set the terminal of the container non-blocking");
		master_flags = -1;
		goto out;
	}

	for (;;) {
		struct pollfd pfd[3] = {
			{.fd = pty_master, .events = POLLIN},
			{.fd = -1, .events = POLLIN},
			{.fd = sfd, .events = POLLIN},
		};

		if (r.in_len > 0)
			pfd[0].events |= POLLOUT;
		else if (r.stdin_open)
			pfd[1].fd = STDIN_FILENO;
		if (poll(pfd, 3, -1) < 0) {
			if (errno == EINTR)
				continue;
			hc_error_sys(err, errno, "poll");
			goto out;
		}
		if (pfd[2].revents) {
			struct signalfd_siginfo si;

			while (read(sfd, &si, sizeof(si)) == sizeof(si))
				;
			copy_winsize(pty_master);
		}
		if (pfd[1].revents & POLLNVAL)
			r.stdin_open = false; /* no stdin at all: nothing to forward */
		else if (pfd[1].revents && pump_stdin(&r, err) < 0)
			goto out;
		if ((pfd[0].revents & POLLOUT) && r.in_len > 0 && pump_to_master(&r, err) < 0)
			goto out;
		if (pfd[0].revents & (POLLIN | POLLHUP | POLLERR)) {
			int done = pump_from_master(&r, err);

			if (done < 0)
				goto out;
			if (done > 0)
				break;
		}
	}
	ret = 0;
out:
	if (master_flags >= 0 && fcntl(pty_master, F_SETFL, master_flags) < 0 && ret == 0)
		ret = hc_error_sys(err, errno, "restore the terminal of the container");
	if (sfd >= 0)
		close(sfd);
	if (masked && sigprocmask(SIG_SETMASK, &old_mask, NULL) < 0 && ret == 0)
		ret = hc_error_sys(err, errno, "restore the signal mask");
	if (raw && tcsetattr(STDIN_FILENO, TCSADRAIN, &saved) < 0 && ret == 0)
		ret = hc_error_sys(err, errno, "restore the terminal settings");
	return ret;
}
