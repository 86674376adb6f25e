// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Running an engine driver: fork, exec, collect stdout and stderr through
 * pipes with poll (a driver that fills one pipe while we wait on the other
 * must not deadlock), all bounded in time.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "engine.h"
#include "hctest.h"

#define DEFAULT_TIMEOUT_MS 60000
#define MAX_ARGS	   64

static char driver_path[PATH_MAX];
static char driver_name[64];

int hct_built_path(const char *env, int up, const char *leaf, const char *installed, char *path,
		   size_t len)
{
	const char *val = getenv(env);
	char exe[PATH_MAX], list[PATH_MAX + 32];
	char *slash;
	ssize_t n;

	if (val != NULL && val[0] != '\0')
		return snprintf(path, len, "%s", val) < (int)len ? 0 : -ENAMETOOLONG;
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n < 0)
		return -errno;
	exe[n] = '\0';
	/*
	 * An installed tree (make install, gen_tar) is known by the
	 * kselftest-list.txt at its top, one level above every program: its
	 * paths are the tree's own, wherever it was unpacked, never the build
	 * tree's it came from.
	 */
	for (int i = 0; i < 2; i++) {
		slash = strrchr(exe, '/');
		if (slash == NULL)
			return -ENOENT;
		*slash = '\0';
	}
	if (snprintf(list, sizeof(list), "%s/kselftest-list.txt", exe) < (int)sizeof(list) &&
	    access(list, F_OK) == 0)
		return snprintf(path, len, "%s/%s", exe, installed) < (int)len ? 0 : -ENAMETOOLONG;
	for (int i = 2; i < up; i++) {
		slash = strrchr(exe, '/');
		if (slash == NULL)
			return -ENOENT;
		*slash = '\0';
	}
	return snprintf(path, len, "%s/%s", exe, leaf) < (int)len ? 0 : -ENAMETOOLONG;
}

/*
 * Built programs live in build/selftests/<dir>/<prog> of the tree, installed
 * ones in <dir>/<prog> of the installed tree, its drivers in engines/.
 */
static int engines_dir(char *dir, size_t len)
{
	return hct_built_path("HCT_ENGINES_DIR", 4, "selftests/engines", "engines", dir, len);
}

const char *hct_engine_driver(char *why, size_t whylen)
{
	const char *name = getenv("HCT_ENGINE");
	char dir[PATH_MAX];
	int ret;

	if (driver_path[0] != '\0')
		return driver_path;
	if (name == NULL || name[0] == '\0')
		name = "ref";
	if (strchr(name, '/') != NULL) {
		ret = snprintf(driver_path, sizeof(driver_path), "%s", name);
	} else {
		ret = engines_dir(dir, sizeof(dir));
		if (ret < 0) {
			snprintf(why, whylen,
				 "cannot find the engines directory (%s); set HCT_ENGINES_DIR",
				 strerror(-ret));
			return NULL;
		}
		ret = snprintf(driver_path, sizeof(driver_path), "%s/%s", dir, name);
	}
	if (ret >= (int)sizeof(driver_path)) {
		driver_path[0] = '\0';
		snprintf(why, whylen, "engine driver path too long");
		return NULL;
	}
	if (access(driver_path, X_OK) < 0) {
		snprintf(why, whylen, "engine driver %s is not an executable (%s); set HCT_ENGINE",
			 driver_path, strerror(errno));
		driver_path[0] = '\0';
		return NULL;
	}
	snprintf(driver_name, sizeof(driver_name), "%s", strrchr(driver_path, '/') + 1);
	return driver_path;
}

const char *hct_engine_name(void)
{
	return driver_name[0] != '\0' ? driver_name : "?";
}

/* Append what fd has to buf; 0 at EOF, 1 when more may come. */
static int drain(int fd, char *buf, size_t *used)
{
	char tmp[4096];
	ssize_t n = read(fd, tmp, sizeof(tmp));

	if (n < 0)
		return errno == EINTR || errno == EAGAIN ? 1 : 0;
	if (n == 0)
		return 0;
	if (*used < HCT_OUT_MAX - 1) {
		size_t room = HCT_OUT_MAX - 1 - *used;
		size_t take = (size_t)n < room ? (size_t)n : room;

		memcpy(buf + *used, tmp, take);
		*used += take;
		buf[*used] = '\0';
	}
	return 1;
}

int hct_enginev(struct hct_out *o, const char *input, long timeout_ms, char *const argv[])
{
	char why[256];
	const char *drv = hct_engine_driver(why, sizeof(why));
	char *full[MAX_ARGS + 2];
	int outp[2] = {-1, -1}, errp[2] = {-1, -1}, inp[2] = {-1, -1};
	size_t nout = 0, nerr = 0;
	int64_t end;
	pid_t pid;
	int i, wstatus;

	o->out[0] = o->err[0] = '\0';
	o->status = -ENOENT;
	if (drv == NULL) {
		snprintf(o->err, sizeof(o->err), "%s", why);
		return o->status;
	}
	full[0] = (char *)drv;
	for (i = 0; i < MAX_ARGS && argv[i] != NULL; i++)
		full[i + 1] = argv[i];
	full[i + 1] = NULL;
	if (timeout_ms <= 0)
		timeout_ms = DEFAULT_TIMEOUT_MS;

	if (pipe2(outp, O_CLOEXEC) < 0 || pipe2(errp, O_CLOEXEC) < 0 ||
	    (input != NULL && pipe2(inp, O_CLOEXEC) < 0)) {
		o->status = -errno;
		goto out;
	}
	pid = fork();
	if (pid < 0) {
		o->status = -errno;
		goto out;
	}
	if (pid == 0) {
		int in = input != NULL ? inp[0] : open("/dev/null", O_RDONLY | O_CLOEXEC);

		if (in < 0 || dup2(in, 0) < 0 || dup2(outp[1], 1) < 0 || dup2(errp[1], 2) < 0)
			_exit(126);
		/* Its own process group, so a timeout kills the whole driver. */
		setpgid(0, 0);
		execv(drv, full);
		_exit(errno == ENOENT ? 127 : 126);
	}
	close(outp[1]);
	close(errp[1]);
	outp[1] = errp[1] = -1;
	if (input != NULL) {
		size_t len = strlen(input);

		close(inp[0]);
		inp[0] = -1;
		/* Inputs are small; a driver that does not read them gets EPIPE. */
		signal(SIGPIPE, SIG_IGN);
		/* A short write shows in the driver's status; nothing to add. */
		(void)!write(inp[1], input, len);
		close(inp[1]);
		inp[1] = -1;
	}

	end = hct_now_ms() + timeout_ms;
	for (bool open_out = true, open_err = true; open_out || open_err;) {
		struct pollfd pf[2] = {{open_out ? outp[0] : -1, POLLIN, 0},
				       {open_err ? errp[0] : -1, POLLIN, 0}};
		int64_t left = end - hct_now_ms();

		if (left <= 0) {
			kill(-pid, SIGKILL);
			kill(pid, SIGKILL);
			waitpid(pid, NULL, 0);
			o->status = -ETIMEDOUT;
			goto out;
		}
		if (poll(pf, 2, (int)left) < 0 && errno != EINTR) {
			o->status = -errno;
			break;
		}
		if (open_out && (pf[0].revents & (POLLIN | POLLHUP | POLLERR)))
			open_out = drain(outp[0], o->out, &nout);
		if (open_err && (pf[1].revents & (POLLIN | POLLHUP | POLLERR)))
			open_err = drain(errp[0], o->err, &nerr);
	}
	if (hct_wait(pid, &wstatus, end - hct_now_ms() > 1000 ? end - hct_now_ms() : 1000) < 0) {
		o->status = -ETIMEDOUT;
		goto out;
	}
	o->status = WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : 128 + WTERMSIG(wstatus);
out:
	for (int *fd = outp; fd < outp + 2; fd++)
		if (*fd >= 0)
			close(*fd);
	for (int *fd = errp; fd < errp + 2; fd++)
		if (*fd >= 0)
			close(*fd);
	for (int *fd = inp; fd < inp + 2; fd++)
		if (*fd >= 0)
			close(*fd);
	return o->status;
}

int hct_args(char *argv[], int n, int max, va_list ap)
{
	char *a;

	while (n < max && (a = va_arg(ap, char *)) != NULL)
		argv[n++] = a;
	argv[n] = NULL;
	return n;
}

int hct_engine(struct hct_out *o, const char *verb, ...)
{
	char *argv[MAX_ARGS + 1];
	va_list ap;

	argv[0] = (char *)verb;
	va_start(ap, verb);
	hct_args(argv, 1, MAX_ARGS, ap);
	va_end(ap);
	return hct_enginev(o, NULL, 0, argv);
}

void hct_engine_container_name(char *buf, size_t len, const char *what)
{
	snprintf(buf, len, "hct-%d-%s", (int)getpid(), what);
}

static void chomp(char *s)
{
	size_t n = strlen(s);

	while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == '\r'))
		s[--n] = '\0';
}

int hct_engine_cgroup(const char *name, char *path, size_t len)
{
	struct hct_out *o = calloc(1, sizeof(*o));
	int ret;

	if (o == NULL)
		return -ENOMEM;
	ret = hct_engine(o, "cgroup", name, NULL);
	if (ret == 0) {
		chomp(o->out);
		if (o->out[0] != '/')
			ret = -ENOENT;
		else if (snprintf(path, len, "%s", o->out) >= (int)len)
			ret = -ENAMETOOLONG;
	} else if (ret > 0) {
		ret = -EIO;
	}
	free(o);
	return ret;
}

pid_t hct_engine_pid(const char *name)
{
	struct hct_out *o = calloc(1, sizeof(*o));
	long pid = -ENOENT;

	if (o == NULL)
		return -ENOMEM;
	if (hct_engine(o, "pid", name, NULL) == 0 && o->out[0] != '\0')
		pid = strtol(o->out, NULL, 10);
	free(o);
	return pid > 0 ? (pid_t)pid : -ENOENT;
}

int hct_engine_info(const char *key, char *val, size_t len)
{
	struct hct_out *o = calloc(1, sizeof(*o));
	size_t klen = strlen(key);
	int ret;

	if (o == NULL)
		return -ENOMEM;
	val[0] = '\0';
	ret = hct_engine(o, "info", NULL);
	if (ret == 0) {
		for (char *line = strtok(o->out, "\n"); line != NULL; line = strtok(NULL, "\n"))
			if (strncmp(line, key, klen) == 0 && line[klen] == '=')
				snprintf(val, len, "%s", line + klen + 1);
	} else if (ret > 0) {
		ret = -EIO;
	}
	free(o);
	return ret;
}

void hct_engine_cleanup(const char *name)
{
	struct hct_out *o = calloc(1, sizeof(*o));

	if (o == NULL)
		return;
	if (hct_engine(o, "delete", name, NULL) != 0 && strstr(o->err, "no such") == NULL)
		fprintf(stderr, "# cleanup: delete %s: status %d: %s\n", name, o->status, o->err);
	free(o);
}
