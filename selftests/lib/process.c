// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Child processes that write or read a file from inside a cgroup and report
 * back through a shared page, and a raw capability drop.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/capability.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "hctest.h"

struct hct_child_report *hct_report_new(void)
{
	struct hct_child_report *r;

	r = mmap(NULL, sizeof(*r), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (r == MAP_FAILED)
		return NULL;
	memset(r, 0, sizeof(*r));
	return r;
}

void hct_report_free(struct hct_child_report *r)
{
	if (r)
		munmap(r, sizeof(*r));
}

pid_t hct_spawn(const struct hct_cg *cg, const char *rel,
		int (*fn)(void *arg, struct hct_child_report *r), void *arg,
		struct hct_child_report *report)
{
	pid_t pid;
	int ret;

	/* The child inherits stdio buffers: flush, or lines print twice. */
	fflush(NULL);
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid > 0)
		return pid;

	if (cg) {
		ret = hct_cg_enter(cg, rel);
		if (ret < 0) {
			report->err = -ret;
			snprintf(report->note, sizeof(report->note), "joining cgroup %s: %s", rel,
				 strerror(-ret));
			_exit(100);
		}
	}
	_exit(fn(arg, report));
}

int hct_wait(pid_t pid, int *wstatus, long timeout_ms)
{
	int64_t end = hct_now_ms() + timeout_ms;
	pid_t r;

	for (;;) {
		r = waitpid(pid, wstatus, WNOHANG);
		if (r == pid)
			return 0;
		if (r < 0 && errno != EINTR)
			return -errno;
		if (hct_now_ms() >= end)
			break;
		hct_sleep_ms(5);
	}
	kill(pid, SIGKILL);
	waitpid(pid, wstatus, 0);
	return -ETIMEDOUT;
}

const char *hct_wstatus_str(int wstatus, char *buf, size_t size)
{
	if (WIFEXITED(wstatus))
		snprintf(buf, size, "exit %d", WEXITSTATUS(wstatus));
	else if (WIFSIGNALED(wstatus))
		snprintf(buf, size, "signal %d (%s)", WTERMSIG(wstatus),
			 strsignal(WTERMSIG(wstatus)));
	else
		snprintf(buf, size, "status 0x%x", wstatus);
	return buf;
}

int hct_fill_file(const char *path, uint64_t max, size_t chunk, struct hct_child_report *report)
{
	uint64_t done = 0;
	char *buf;
	ssize_t n;
	int fd, ret = 0;

	fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	buf = malloc(chunk);
	if (!buf) {
		close(fd);
		return -ENOMEM;
	}
	/* Not zeros: nothing in the path should get to treat them specially. */
	memset(buf, 0x5a, chunk);
	while (done < max) {
		size_t want = max - done < chunk ? max - done : chunk;

		n = write(fd, buf, want);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			ret = -errno;
			break;
		}
		done += n;
		if (report)
			report->bytes = done;
	}
	free(buf);
	if (close(fd) < 0 && ret == 0)
		ret = -errno;
	if (report)
		report->err = -ret;
	return ret;
}

int hct_read_whole_file(const char *path, struct hct_child_report *report)
{
	const size_t chunk = HCT_MiB;
	uint64_t total = 0, page = hct_page_size();
	volatile unsigned char sink = 0;
	unsigned char *map;
	struct stat st;
	char *buf;
	ssize_t n;
	int fd, ret = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	buf = malloc(chunk);
	if (!buf) {
		close(fd);
		return -ENOMEM;
	}
	while ((n = read(fd, buf, chunk)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			ret = -errno;
			goto out;
		}
		total += n;
		if (report)
			report->bytes = total;
	}
	/* A reader may also map the file: faulting its pages in must not move them either. */
	if (fstat(fd, &st) < 0) {
		ret = -errno;
		goto out;
	}
	if (st.st_size > 0) {
		map = mmap(NULL, st.st_size, PROT_READ, MAP_SHARED, fd, 0);
		if (map == MAP_FAILED) {
			ret = -errno;
			goto out;
		}
		for (uint64_t off = 0; off < (uint64_t)st.st_size; off += page)
			sink ^= map[off];
		munmap(map, st.st_size);
	}
out:
	(void)sink;
	free(buf);
	close(fd);
	if (report)
		report->err = -ret;
	return ret;
}

int hct_child_fill(void *arg, struct hct_child_report *r)
{
	const struct hct_fill_arg *a = arg;
	char *anon = NULL;
	int ret;

	if (a->anon) {
		anon = malloc(a->anon);
		if (!anon) {
			r->err = ENOMEM;
			snprintf(r->note, sizeof(r->note), "malloc(%" PRIu64 ") failed", a->anon);
			return 0;
		}
		/* Touched, or the pages would never be charged. */
		memset(anon, 1, a->anon);
	}
	r->stage = 1;
	ret = hct_fill_file(a->path, a->bytes, HCT_MiB, r);
	if (ret < 0)
		snprintf(r->note, sizeof(r->note), "writing %s: %s after %" PRIu64 " bytes",
			 a->path, strerror(-ret), r->bytes);
	r->stage = 2;
	free(anon);
	return 0;
}

int hct_child_read(void *arg, struct hct_child_report *r)
{
	int ret = hct_read_whole_file(arg, r);

	if (ret < 0)
		snprintf(r->note, sizeof(r->note), "reading %s: %s after %" PRIu64 " bytes",
			 (const char *)arg, strerror(-ret), r->bytes);
	return 0;
}

int hct_drop_cap(int cap)
{
	struct __user_cap_header_struct hdr = {.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0};
	struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3];
	unsigned int idx = CAP_TO_INDEX(cap);
	uint32_t mask = CAP_TO_MASK(cap);

	/* The bounding set first: dropping it needs CAP_SETPCAP, still held. */
	if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0)
		return -errno;
	if (syscall(SYS_capget, &hdr, data) < 0)
		return -errno;
	data[idx].effective &= ~mask;
	data[idx].permitted &= ~mask;
	data[idx].inheritable &= ~mask;
	if (syscall(SYS_capset, &hdr, data) < 0)
		return -errno;
	return 0;
}
