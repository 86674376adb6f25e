// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * memcg_test: what ref/lib/memcg.c promises, checked against the kernel.
 *
 *  - detect finds the hierarchy that really holds the memory controller
 *    (/proc/cgroups says which: hierarchy 0 is v2, anything else a v1
 *    hierarchy) and honours HC_CGROUP_VERSION;
 *  - create/destroy build and remove exactly one leaf, leaving the shared
 *    parent; an empty leaf is reused, a busy one refused;
 *  - a limit written is the limit read back, rounded down to whole pages;
 *  - tmpfs pages are charged to the cgroup of the process that wrote them
 *    (contract section 4): a child in the leaf writes into a tmpfs mounted in
 *    its own mount namespace, and the leaf's shmem grows by what it wrote;
 *  - over the limit, that writer is OOM-killed (not refused with ENOSPC) and
 *    oom_kill counts it;
 *  - once the tmpfs is unmounted its pages are gone, so destroy leaves no
 *    dying cgroup behind.
 *
 * The tree (v1 shown; on v2 the mount point is /sys/fs/cgroup):
 *
 *   /sys/fs/cgroup/memory               mount point found by hc_memcg_detect
 *   `-- hostchannel-test-<pid>          parent; teardown removes it if the
 *       |                               test made it (one per test process)
 *       `-- c                           the leaf: one child process at most
 *             child: unshare(CLONE_NEWNS), tmpfs on /tmp/hc-memcg-XXXXXX,
 *                    writes N MiB into one file, waits for the parent
 *
 *   test                      limit    child writes   expected in c
 *   tmpfs_charged_to_writer   none     32 MiB         shmem 32 MiB +- max(5%, 1 MiB),
 *                                                     usage >= shmem, file >= shmem
 *   over_limit_writer_oom     32 MiB   64 MiB         child SIGKILLed, oom_kill +1 or more
 *   destroy_after_unmount     none     32 MiB         after umount shmem < 1 MiB;
 *                                                     rmdir ok; no dying cgroup
 *
 * Memory figures are compared with a tolerance and read in a bounded poll:
 * the kernel folds per-CPU counters into memory.stat lazily (every 2 s at
 * the latest). Runs as root; skips when no memory cgroup is mounted.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/magic.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

#include "hostchannel.h"
#include "kselftest_harness.h"

#define MiB		  (1ULL << 20)
#define POLL_TIMEOUT_MS	  5000
#define POLL_STEP_MS	  20
#define REPORT_TIMEOUT_MS 10000
/*
 * Worst case of a test with a child: three report waits and two polls. A
 * harness timeout would SIGKILL the test before its teardown, so stay above.
 */
#define CHILD_TEST_TIMEOUT_S 60
#define LEAF		     "c"

/* ------------------------------------------------------------ helpers */

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(long ms)
{
	struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L};

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* A small kernel file into buf, NUL-terminated; -1 with errno on failure. */
static int read_small(const char *path, char *buf, size_t size)
{
	size_t used = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -1;
	while (used + 1 < size) {
		ssize_t n = read(fd, buf + used, size - used - 1);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int saved = errno;

			close(fd);
			errno = saved;
			return -1;
		}
		if (n == 0)
			break;
		used += (size_t)n;
	}
	buf[used] = '\0';
	close(fd);
	return 0;
}

/* "key value" lines: the value of the line whose first word is key. */
static int key_value(const char *path, const char *key, uint64_t *value)
{
	char buf[16384], *line, *save = NULL;

	if (read_small(path, buf, sizeof(buf)) < 0)
		return -1;
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char name[64];
		unsigned long long v;

		if (sscanf(line, "%63s %llu", name, &v) == 2 && strcmp(name, key) == 0) {
			*value = v;
			return 0;
		}
	}
	errno = ENOENT;
	return -1;
}

/* The memory line of /proc/cgroups: "memory <hierarchy> <num_cgroups> <enabled>". */
static int proc_cgroups_memory(int *hierarchy, long *num_cgroups, int *enabled)
{
	char buf[4096], *line, *save = NULL;

	if (read_small("/proc/cgroups", buf, sizeof(buf)) < 0)
		return -1;
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (sscanf(line, "memory %d %ld %d", hierarchy, num_cgroups, enabled) == 3)
			return 0;
	}
	errno = ENOENT;
	return -1;
}

static bool file_has_word(const char *path, const char *word)
{
	char buf[4096], *tok, *save = NULL;

	if (read_small(path, buf, sizeof(buf)) < 0)
		return false;
	for (tok = strtok_r(buf, " \n", &save); tok; tok = strtok_r(NULL, " \n", &save)) {
		if (strcmp(tok, word) == 0)
			return true;
	}
	return false;
}

static const char *errmsg(const hc_error_t *err)
{
	return err && err->msg ? err->msg : "(no error message)";
}

static uint64_t diff_u64(uint64_t a, uint64_t b)
{
	return a > b ? a - b : b - a;
}

/* -------------------------------------------------------- the child */

/*
 * Where the child stopped, as its exit status; the parent names the step in
 * its failure message. The child never uses the harness: it only _exit()s.
 */
enum child_step {
	STEP_DONE = 0,
	STEP_WAIT_GO = 10,
	STEP_OOM_SCORE,
	STEP_UNSHARE,
	STEP_MAKE_PRIVATE,
	STEP_MOUNT,
	STEP_OPEN,
	STEP_WRITE,
	STEP_REPORT,
	STEP_UMOUNT,
	STEP_END,
};

static const char *step_name(int code)
{
	static const char *const names[] = {
		"wait for go",	  "set oom_score_adj", "unshare(CLONE_NEWNS)",
		"make / private", "mount tmpfs",       "open file",
		"write file",	  "report to parent",  "umount tmpfs",
	};

	if (code == STEP_DONE)
		return "done";
	if (code >= STEP_WAIT_GO && code < STEP_END)
		return names[code - STEP_WAIT_GO];
	return "unknown";
}

/* Commands from parent to child, one byte each; EOF means exit. */
#define CMD_GO	   'G'
#define CMD_UMOUNT 'U'
/* Reports from child to parent. */
#define REP_WRITTEN  'W'
#define REP_UMOUNTED 'u'

static char fill_buf[1 << 20];

static void write_fully(int fd, const char *buf, size_t len, int step)
{
	while (len > 0) {
		ssize_t n = write(fd, buf, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			_exit(step);
		buf += n;
		len -= (size_t)n;
	}
}

static int read_cmd(int fd)
{
	char c;
	ssize_t n;

	do {
		n = read(fd, &c, 1);
	} while (n < 0 && errno == EINTR);
	return n == 1 ? c : -1;
}

static void writer_main(int cmd_fd, int rep_fd, const char *dir, unsigned int mib)
{
	char opts[64], file[PATH_MAX];
	int fd, cmd;

	/* Wait until the parent has moved us into the leaf: charges go where we are. */
	if (read_cmd(cmd_fd) != CMD_GO)
		_exit(STEP_WAIT_GO);

	/* An inherited -1000 would make the only task in the cgroup unkillable. */
	fd = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		_exit(STEP_OOM_SCORE);
	write_fully(fd, "0", 1, STEP_OOM_SCORE);
	close(fd);

	/* A private namespace: the host never sees the mount, and it dies with us. */
	if (unshare(CLONE_NEWNS) < 0)
		_exit(STEP_UNSHARE);
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		_exit(STEP_MAKE_PRIVATE);
	/* Twice what we write: the memcg, not the tmpfs size, must be the limit. */
	snprintf(opts, sizeof(opts), "size=%um,mode=0700", 2 * mib + 1);
	if (mount("hc-memcg-test", dir, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, opts) < 0)
		_exit(STEP_MOUNT);
	snprintf(file, sizeof(file), "%s/fill", dir);
	fd = open(file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		_exit(STEP_OPEN);
	memset(fill_buf, 0xa5, sizeof(fill_buf));
	for (unsigned int i = 0; i < mib; i++)
		write_fully(fd, fill_buf, sizeof(fill_buf), STEP_WRITE);
	if (close(fd) < 0)
		_exit(STEP_WRITE);
	write_fully(rep_fd, (char[]){REP_WRITTEN}, 1, STEP_REPORT);

	while ((cmd = read_cmd(cmd_fd)) == CMD_UMOUNT) {
		if (umount(dir) < 0)
			_exit(STEP_UMOUNT);
		write_fully(rep_fd, (char[]){REP_UMOUNTED}, 1, STEP_REPORT);
	}
	_exit(STEP_DONE);
}

/* ------------------------------------------------------- the fixture */

FIXTURE(memcg)
{
	enum hc_cgroup_version version;
	char root[PATH_MAX];
	char parent[64];
	char parent_path[PATH_MAX];
	bool parent_existed;
	struct hc_memcg cg;
	bool cg_made;
	char tmpdir[PATH_MAX];
	pid_t child;
	int cmd_r, cmd_w, rep_r, rep_w;
};

FIXTURE_SETUP(memcg)
{
	hc_cleanup_error hc_error_t *err = NULL;
	struct stat st;

	/* Nothing here may fail after it created something: teardown only runs after setup. */
	self->child = 0;
	self->cmd_r = self->cmd_w = self->rep_r = self->rep_w = -1;
	if (geteuid() != 0)
		SKIP(return, "needs root to create memory cgroups");
	if (hc_memcg_detect(&self->version, self->root, sizeof(self->root), &err) < 0)
		SKIP(return, "%s", errmsg(err));
	snprintf(self->parent, sizeof(self->parent), "hostchannel-test-%d", (int)getpid());
	ASSERT_LT(snprintf(self->parent_path, sizeof(self->parent_path), "%s/%s", self->root,
			   self->parent),
		  (int)sizeof(self->parent_path));
	self->parent_existed = lstat(self->parent_path, &st) == 0;
	strcpy(self->tmpdir, "/tmp/hc-memcg-XXXXXX");
	ASSERT_NE(NULL, mkdtemp(self->tmpdir)) TH_LOG("mkdtemp: %s", strerror(errno));
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

FIXTURE_TEARDOWN(memcg)
{
	hc_cleanup_error hc_error_t *err = NULL;

	if (self->child > 0) {
		kill(self->child, SIGKILL);
		while (waitpid(self->child, NULL, 0) < 0 && errno == EINTR)
			;
		self->child = 0;
	}
	close_fd(&self->cmd_r);
	close_fd(&self->cmd_w);
	close_fd(&self->rep_r);
	close_fd(&self->rep_w);
	/*
	 * Failures are logged by hand: after a failed ASSERT the 6.1 harness
	 * leaves its handler armed, so "EXPECT_*() TH_LOG()" would log here even
	 * when the call succeeded. The child's mounts died with its namespace,
	 * so the directory is empty.
	 */
	if (self->tmpdir[0] != '\0' && rmdir(self->tmpdir) < 0) {
		TH_LOG("teardown: rmdir %s: %s", self->tmpdir, strerror(errno));
		EXPECT_TRUE(false);
	}
	if (self->cg_made) {
		if (hc_memcg_destroy(&self->cg, &err) < 0) {
			TH_LOG("teardown: %s", errmsg(err));
			EXPECT_TRUE(false);
		}
		self->cg_made = false;
	}
	if (!self->parent_existed && self->parent_path[0] != '\0' && rmdir(self->parent_path) < 0 &&
	    errno != ENOENT) {
		TH_LOG("teardown: rmdir %s: %s", self->parent_path, strerror(errno));
		EXPECT_TRUE(false);
	}
}

static void make_leaf(struct __test_metadata *_metadata, FIXTURE_DATA(memcg) * self)
{
	hc_cleanup_error hc_error_t *err = NULL;

	ASSERT_EQ(0, hc_memcg_create(&self->cg, self->parent, LEAF, &err))
	TH_LOG("%s", errmsg(err));
	self->cg_made = true;
}

static int stats(const FIXTURE_DATA(memcg) * self, struct hc_memcg_stats *s,
		 struct __test_metadata *_metadata)
{
	hc_cleanup_error hc_error_t *err = NULL;
	int rc = hc_memcg_read(&self->cg, s, &err);

	if (rc < 0)
		TH_LOG("hc_memcg_read: %s", errmsg(err));
	return rc;
}

/* Fork the writer, move it into the leaf, let it write mib MiB. */
static void start_writer(struct __test_metadata *_metadata, FIXTURE_DATA(memcg) * self,
			 unsigned int mib)
{
	hc_cleanup_error hc_error_t *err = NULL;
	int fds[2];

	ASSERT_EQ(0, pipe2(fds, O_CLOEXEC));
	self->cmd_r = fds[0];
	self->cmd_w = fds[1];
	ASSERT_EQ(0, pipe2(fds, O_CLOEXEC));
	self->rep_r = fds[0];
	self->rep_w = fds[1];
	self->child = fork();
	ASSERT_LE(0, self->child) TH_LOG("fork: %s", strerror(errno));
	if (self->child == 0) {
		close(self->cmd_w);
		close(self->rep_r);
		writer_main(self->cmd_r, self->rep_w, self->tmpdir, mib);
	}
	/* Our copies closed, so a dead child reads as EOF. */
	close_fd(&self->cmd_r);
	close_fd(&self->rep_w);
	ASSERT_EQ(0, hc_memcg_attach(&self->cg, self->child, &err)) TH_LOG("%s", errmsg(err));
	ASSERT_EQ(1, write(self->cmd_w, (char[]){CMD_GO}, 1));
}

/* The child's next report byte; 0 on EOF (it died), -1 on timeout. */
static int wait_report(FIXTURE_DATA(memcg) * self, int timeout_ms)
{
	struct pollfd pfd = {.fd = self->rep_r, .events = POLLIN};
	char c;
	int n;

	do {
		n = poll(&pfd, 1, timeout_ms);
	} while (n < 0 && errno == EINTR);
	if (n <= 0)
		return -1;
	n = read(self->rep_r, &c, 1);
	return n == 1 ? c : 0;
}

/* Reap the child (it has exited or is about to); its wait status. */
static int reap(struct __test_metadata *_metadata, FIXTURE_DATA(memcg) * self)
{
	int status = 0;
	pid_t pid;

	do {
		pid = waitpid(self->child, &status, 0);
	} while (pid < 0 && errno == EINTR);
	ASSERT_EQ(self->child, pid) TH_LOG("waitpid: %s", strerror(errno));
	self->child = 0;
	return status;
}

static void log_status(struct __test_metadata *_metadata, int status)
{
	if (WIFEXITED(status))
		TH_LOG("child exited %d at step \"%s\"", WEXITSTATUS(status),
		       step_name(WEXITSTATUS(status)));
	else if (WIFSIGNALED(status))
		TH_LOG("child killed by signal %d (%s)", WTERMSIG(status),
		       strsignal(WTERMSIG(status)));
}

static void expect_clean_exit(struct __test_metadata *_metadata, FIXTURE_DATA(memcg) * self)
{
	int status = reap(_metadata, self);

	if (status != 0)
		log_status(_metadata, status);
	ASSERT_EQ(0, status);
}

/* Wait for report `want`; a dead child fails with the step it died at. */
static void expect_report(struct __test_metadata *_metadata, FIXTURE_DATA(memcg) * self, char want)
{
	int got = wait_report(self, REPORT_TIMEOUT_MS);

	if (got == 0)
		log_status(_metadata, reap(_metadata, self));
	ASSERT_EQ(want, got) TH_LOG("expected report '%c' from the child, got %d", want, got);
}

/* Poll the leaf's stats until shmem is within tol of want (or time is up). */
static void poll_shmem(struct __test_metadata *_metadata, FIXTURE_DATA(memcg) * self, uint64_t want,
		       uint64_t tol, struct hc_memcg_stats *s)
{
	int64_t deadline = now_ms() + POLL_TIMEOUT_MS;

	for (;;) {
		ASSERT_EQ(0, stats(self, s, _metadata));
		if (diff_u64(s->shmem, want) <= tol || now_ms() >= deadline)
			break;
		sleep_ms(POLL_STEP_MS);
	}
}

/* ------------------------------------------------------------ detect */

/* /proc/cgroups names the memory controller's hierarchy: 0 is v2. */
static enum hc_cgroup_version kernel_says(void)
{
	int hierarchy, enabled;
	long num;

	if (proc_cgroups_memory(&hierarchy, &num, &enabled) < 0 || !enabled)
		return HC_CGROUP_NONE;
	return hierarchy != 0 ? HC_CGROUP_V1 : HC_CGROUP_V2;
}

TEST(detect_finds_the_memory_hierarchy)
{
	hc_cleanup_error hc_error_t *err = NULL;
	enum hc_cgroup_version want = kernel_says(), got = HC_CGROUP_NONE;
	char root[PATH_MAX], probe[PATH_MAX + 32];
	struct statfs sfs;
	struct stat st;

	if (want == HC_CGROUP_NONE)
		SKIP(return, "the memory controller is not enabled (/proc/cgroups)");
	unsetenv("HC_CGROUP_VERSION");
	ASSERT_EQ(0, hc_memcg_detect(&got, root, sizeof(root), &err)) TH_LOG("%s", errmsg(err));
	ASSERT_EQ(want, got)
	TH_LOG("/proc/cgroups says v%d, detect says v%d (%s)", want, got, root);
	ASSERT_EQ(0, stat(root, &st)) TH_LOG("stat %s: %s", root, strerror(errno));
	ASSERT_TRUE(S_ISDIR(st.st_mode));
	ASSERT_EQ(0, statfs(root, &sfs));
	if (want == HC_CGROUP_V1) {
		ASSERT_EQ(CGROUP_SUPER_MAGIC, sfs.f_type) TH_LOG("%s is not a cgroup v1 fs", root);
		snprintf(probe, sizeof(probe), "%s/memory.limit_in_bytes", root);
		ASSERT_EQ(0, access(probe, F_OK)) TH_LOG("%s: %s", probe, strerror(errno));
	} else {
		ASSERT_EQ(CGROUP2_SUPER_MAGIC, sfs.f_type) TH_LOG("%s is not a cgroup2 fs", root);
		snprintf(probe, sizeof(probe), "%s/cgroup.controllers", root);
		ASSERT_TRUE(file_has_word(probe, "memory")) TH_LOG("%s lacks memory", probe);
	}
	TH_LOG("memory cgroup v%d at %s", got, root);
}

/* The override picks a version or fails saying what it looked for; nonsense is refused. */
TEST(detect_honours_HC_CGROUP_VERSION)
{
	enum hc_cgroup_version want = kernel_says();
	const enum hc_cgroup_version versions[] = {HC_CGROUP_V1, HC_CGROUP_V2};
	char root[PATH_MAX];

	if (want == HC_CGROUP_NONE)
		SKIP(return, "the memory controller is not enabled (/proc/cgroups)");
	for (size_t i = 0; i < sizeof(versions) / sizeof(versions[0]); i++) {
		hc_cleanup_error hc_error_t *err = NULL;
		enum hc_cgroup_version got = HC_CGROUP_NONE;
		char value[2] = {(char)('0' + versions[i]), '\0'};
		int rc;

		ASSERT_EQ(0, setenv("HC_CGROUP_VERSION", value, 1));
		rc = hc_memcg_detect(&got, root, sizeof(root), &err);
		if (versions[i] == want) {
			ASSERT_EQ(0, rc) TH_LOG("HC_CGROUP_VERSION=%s: %s", value, errmsg(err));
			ASSERT_EQ(want, got);
		} else {
			ASSERT_EQ(-1, rc)
			TH_LOG("HC_CGROUP_VERSION=%s found v%d at %s", value, got, root);
			ASSERT_EQ(ENOENT, err->errnum);
			ASSERT_NE(NULL,
				  strstr(err->msg,
					 versions[i] == HC_CGROUP_V2 ? "cgroup2" : "cgroup (v1)"))
			TH_LOG("message does not say what was looked for: %s", err->msg);
		}
	}

	{
		hc_cleanup_error hc_error_t *err = NULL;
		enum hc_cgroup_version got = HC_CGROUP_NONE;

		ASSERT_EQ(0, setenv("HC_CGROUP_VERSION", "3", 1));
		ASSERT_EQ(-1, hc_memcg_detect(&got, root, sizeof(root), &err));
		ASSERT_EQ(EINVAL, err->errnum);
		ASSERT_NE(NULL, strstr(err->msg, "\"3\"")) TH_LOG("%s", err->msg);
	}
	unsetenv("HC_CGROUP_VERSION");
}

/* Names that would climb out of, or branch below, <root>/<parent>. */
TEST(create_rejects_bad_names)
{
	static const char *const bad[] = {"", ".", "..", "a/b", "/abs"};
	struct hc_memcg cg;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		hc_cleanup_error hc_error_t *e1 = NULL;
		hc_cleanup_error hc_error_t *e2 = NULL;

		ASSERT_EQ(-1, hc_memcg_create(&cg, bad[i], LEAF, &e1))
		TH_LOG("parent \"%s\"", bad[i]);
		ASSERT_EQ(EINVAL, e1->errnum);
		ASSERT_EQ(-1, hc_memcg_create(&cg, "hostchannel", bad[i], &e2))
		TH_LOG("name \"%s\"", bad[i]);
		ASSERT_EQ(EINVAL, e2->errnum);
	}
}

/* ------------------------------------------------- create / destroy */

TEST_F(memcg, create_then_destroy_leaves_nothing)
{
	hc_cleanup_error hc_error_t *err = NULL;
	char want[PATH_MAX + 8], file[PATH_MAX + 32], procs[64];
	struct stat st;

	if (self->version == HC_CGROUP_NONE)
		return;
	ASSERT_FALSE(self->parent_existed) TH_LOG("%s exists already", self->parent_path);
	make_leaf(_metadata, self);
	snprintf(want, sizeof(want), "%s/%s", self->parent_path, LEAF);
	ASSERT_STREQ(want, self->cg.path);
	ASSERT_EQ(self->version, self->cg.version);
	ASSERT_EQ(0, stat(self->cg.path, &st));
	ASSERT_TRUE(S_ISDIR(st.st_mode));
	snprintf(file, sizeof(file), "%s/cgroup.procs", self->cg.path);
	ASSERT_EQ(0, read_small(file, procs, sizeof(procs)));
	ASSERT_STREQ("", procs);
	if (self->version == HC_CGROUP_V2) {
		snprintf(file, sizeof(file), "%s/cgroup.subtree_control", self->parent_path);
		ASSERT_TRUE(file_has_word(file, "memory")) TH_LOG("%s lacks memory", file);
		snprintf(file, sizeof(file), "%s/memory.max", self->cg.path);
	} else {
		snprintf(file, sizeof(file), "%s/memory.limit_in_bytes", self->cg.path);
	}
	ASSERT_EQ(0, access(file, F_OK)) TH_LOG("%s: %s", file, strerror(errno));

	ASSERT_EQ(0, hc_memcg_destroy(&self->cg, &err)) TH_LOG("%s", errmsg(err));
	self->cg_made = false;
	ASSERT_EQ(-1, lstat(self->cg.path, &st));
	ASSERT_EQ(ENOENT, errno);
	/* Gone already is success: teardown paths may run destroy twice. */
	ASSERT_EQ(0, hc_memcg_destroy(&self->cg, &err)) TH_LOG("%s", errmsg(err));

	/* The parent is shared by all containers: destroy leaves it, empty. */
	ASSERT_EQ(0, stat(self->parent_path, &st));
	ASSERT_EQ(0, rmdir(self->parent_path))
	TH_LOG("rmdir %s: %s", self->parent_path, strerror(errno));
	ASSERT_EQ(-1, lstat(self->parent_path, &st));
	ASSERT_EQ(ENOENT, errno);
}

/* 1 when path carries the made-by-create mark, 0 when not, -errno on error. */
static int has_made_mark(const char *path)
{
	char v[8];

	if (getxattr(path, HC_MEMCG_MADE_XATTR, v, sizeof(v)) >= 0)
		return 1;
	return errno == ENODATA ? 0 : -errno;
}

/*
 * The last container's delete removes the parent create made, and only
 * once it is empty:
 *
 *   <root>/hostchannel-test-PID      made by create, marked: removed when empty
 *   `-- leaf                         busy parent while it is there
 */
TEST_F(memcg, remove_parent_removes_the_parent_create_made)
{
	hc_cleanup_error hc_error_t *err = NULL;
	struct stat st;

	if (self->version == HC_CGROUP_NONE)
		return;
	ASSERT_FALSE(self->parent_existed) TH_LOG("%s exists already", self->parent_path);
	make_leaf(_metadata, self);
	ASSERT_EQ(1, has_made_mark(self->parent_path))
	TH_LOG("%s: no %s on the parent create made", self->parent_path, HC_MEMCG_MADE_XATTR);

	ASSERT_EQ(0, hc_memcg_remove_parent(self->parent, &err)) TH_LOG("%s", errmsg(err));
	ASSERT_EQ(0, stat(self->cg.path, &st)) TH_LOG("the leaf went with its parent");

	ASSERT_EQ(0, hc_memcg_destroy(&self->cg, &err)) TH_LOG("%s", errmsg(err));
	self->cg_made = false;
	ASSERT_EQ(0, hc_memcg_remove_parent(self->parent, &err)) TH_LOG("%s", errmsg(err));
	ASSERT_EQ(-1, lstat(self->parent_path, &st)) TH_LOG("%s is still there", self->parent_path);
	ASSERT_EQ(ENOENT, errno);
	/* Gone already is success: two deletes may both try. */
	ASSERT_EQ(0, hc_memcg_remove_parent(self->parent, &err)) TH_LOG("%s", errmsg(err));
}

/*
 * A parent an administrator made (here: mkdir by hand, before create) is
 * used but never removed, even when empty:
 *
 *   <root>/hostchannel-test-PID      made by the test, no mark: stays
 *   `-- leaf                         made and removed by the library
 */
TEST_F(memcg, remove_parent_leaves_a_parent_it_did_not_make)
{
	hc_cleanup_error hc_error_t *err = NULL;
	struct stat st;

	if (self->version == HC_CGROUP_NONE)
		return;
	ASSERT_FALSE(self->parent_existed) TH_LOG("%s exists already", self->parent_path);
	/* Teardown removes it: parent_existed stays false, the test made it. */
	ASSERT_EQ(0, mkdir(self->parent_path, 0755))
	TH_LOG("mkdir %s: %s", self->parent_path, strerror(errno));
	make_leaf(_metadata, self);
	ASSERT_EQ(0, has_made_mark(self->parent_path))
	TH_LOG("%s: create marked a parent it did not make", self->parent_path);

	ASSERT_EQ(0, hc_memcg_destroy(&self->cg, &err)) TH_LOG("%s", errmsg(err));
	self->cg_made = false;
	ASSERT_EQ(0, hc_memcg_remove_parent(self->parent, &err)) TH_LOG("%s", errmsg(err));
	ASSERT_EQ(0, stat(self->parent_path, &st))
	TH_LOG("%s, made by someone else, was removed", self->parent_path);
	ASSERT_TRUE(S_ISDIR(st.st_mode));
}

TEST_F_TIMEOUT(memcg, create_reuses_an_empty_leaf_refuses_a_busy_one, CHILD_TEST_TIMEOUT_S)
{
	hc_cleanup_error hc_error_t *err = NULL;
	struct hc_memcg again;
	char pid[32];

	if (self->version == HC_CGROUP_NONE)
		return;
	make_leaf(_metadata, self);
	ASSERT_EQ(0, hc_memcg_create(&again, self->parent, LEAF, &err)) TH_LOG("%s", errmsg(err));
	ASSERT_STREQ(self->cg.path, again.path);

	start_writer(_metadata, self, 0);
	expect_report(_metadata, self, REP_WRITTEN);
	ASSERT_EQ(-1, hc_memcg_create(&again, self->parent, LEAF, &err));
	ASSERT_EQ(EBUSY, err->errnum) TH_LOG("%s", err->msg);
	snprintf(pid, sizeof(pid), "%d", (int)self->child);
	ASSERT_NE(NULL, strstr(err->msg, pid)) TH_LOG("pid %s not named: %s", pid, err->msg);
}

/* destroy does not kill; when a process stays, the error names it. */
TEST_F_TIMEOUT(memcg, destroy_names_the_pids_left, CHILD_TEST_TIMEOUT_S)
{
	hc_cleanup_error hc_error_t *err = NULL;
	char pid[32];
	int64_t start;

	if (self->version == HC_CGROUP_NONE)
		return;
	make_leaf(_metadata, self);
	start_writer(_metadata, self, 0);
	expect_report(_metadata, self, REP_WRITTEN);
	start = now_ms();
	ASSERT_EQ(-1, hc_memcg_destroy(&self->cg, &err));
	ASSERT_EQ(EBUSY, err->errnum) TH_LOG("%s", err->msg);
	snprintf(pid, sizeof(pid), "%d", (int)self->child);
	ASSERT_NE(NULL, strstr(err->msg, pid)) TH_LOG("pid %s not named: %s", pid, err->msg);
	/* Bounded: it gave up after its timeout, it did not hang. */
	ASSERT_GT(10000, now_ms() - start);
	ASSERT_EQ(0, kill(self->child, 0)) TH_LOG("destroy must not kill the child");
}

/* -------------------------------------------------------------- limit */

TEST_F(memcg, set_limit_reads_back)
{
	hc_cleanup_error hc_error_t *err = NULL;
	const uint64_t page = (uint64_t)sysconf(_SC_PAGESIZE);
	const uint64_t limits[] = {64 * MiB, 100 * MiB + 123, 1ULL << 40, page + 1};
	struct hc_memcg_stats s;

	if (self->version == HC_CGROUP_NONE)
		return;
	make_leaf(_metadata, self);
	ASSERT_EQ(0, stats(self, &s, _metadata));
	ASSERT_EQ(UINT64_MAX, s.limit) TH_LOG("a new cgroup has limit %" PRIu64, s.limit);

	for (size_t i = 0; i < sizeof(limits) / sizeof(limits[0]); i++) {
		/* Both versions keep whole pages, rounding down. */
		uint64_t want = limits[i] / page * page;

		ASSERT_EQ(0, hc_memcg_set_limit(&self->cg, limits[i], &err))
		TH_LOG("%s", errmsg(err));
		ASSERT_EQ(0, stats(self, &s, _metadata));
		ASSERT_EQ(want, s.limit)
		TH_LOG("set %" PRIu64 ", want %" PRIu64 ", read %" PRIu64, limits[i], want,
		       s.limit);
	}

	ASSERT_EQ(0, hc_memcg_set_limit(&self->cg, 0, &err)) TH_LOG("%s", errmsg(err));
	ASSERT_EQ(0, stats(self, &s, _metadata));
	ASSERT_EQ(UINT64_MAX, s.limit)
	TH_LOG("limit 0 must read as unlimited, read %" PRIu64, s.limit);
}

/* ------------------------------------------------------------- charging */

TEST_F_TIMEOUT(memcg, tmpfs_charged_to_writer, CHILD_TEST_TIMEOUT_S)
{
	const uint64_t n = 32 * MiB;
	const uint64_t tol = n / 20 > MiB ? n / 20 : MiB;
	struct hc_memcg_stats s;

	if (self->version == HC_CGROUP_NONE)
		return;
	make_leaf(_metadata, self);
	start_writer(_metadata, self, (unsigned int)(n / MiB));
	expect_report(_metadata, self, REP_WRITTEN);

	/* The tmpfs is still mounted: the child holds it until told to go. */
	poll_shmem(_metadata, self, n, tol, &s);
	ASSERT_GE(tol, diff_u64(s.shmem, n))
	TH_LOG("shmem %" PRIu64 " bytes, wrote %" PRIu64 " (tolerance %" PRIu64 ")", s.shmem, n,
	       tol);
	ASSERT_LE(s.shmem, s.usage) TH_LOG("usage %" PRIu64 " < shmem %" PRIu64, s.usage, s.shmem);
	/* Page cache counts tmpfs pages too (v2 file, v1 cache). */
	ASSERT_LE(s.shmem, s.file) TH_LOG("file %" PRIu64 " < shmem %" PRIu64, s.file, s.shmem);
	ASSERT_EQ(0, s.oom_kill);

	close_fd(&self->cmd_w);
	expect_clean_exit(_metadata, self);
}

/*
 * With swap, tmpfs pages could leave the cgroup's charge for swap and the
 * writer might never hit the limit. The library leaves swap alone; the test
 * caps it (v2 memory.swap.max 0, v1 memsw = memory limit) so the OOM kill is
 * certain. 1: capped or no swap; 0: swap on and no way to cap it.
 */
static int cap_swap(const FIXTURE_DATA(memcg) * self, uint64_t limit)
{
	char path[PATH_MAX + 32], value[32];
	uint64_t swap_kib = 0;
	ssize_t n;
	int fd;

	if (key_value("/proc/meminfo", "SwapTotal:", &swap_kib) < 0 || swap_kib == 0)
		return 1;
	if (self->version == HC_CGROUP_V2) {
		snprintf(path, sizeof(path), "%s/memory.swap.max", self->cg.path);
		snprintf(value, sizeof(value), "0");
	} else {
		snprintf(path, sizeof(path), "%s/memory.memsw.limit_in_bytes", self->cg.path);
		snprintf(value, sizeof(value), "%" PRIu64, limit);
	}
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	n = write(fd, value, strlen(value));
	close(fd);
	return n == (ssize_t)strlen(value);
}

TEST_F_TIMEOUT(memcg, over_limit_writer_oom, CHILD_TEST_TIMEOUT_S)
{
	hc_cleanup_error hc_error_t *err = NULL;
	struct hc_memcg_stats before, after;
	int status, got;

	if (self->version == HC_CGROUP_NONE)
		return;
	make_leaf(_metadata, self);
	ASSERT_EQ(0, hc_memcg_set_limit(&self->cg, 32 * MiB, &err)) TH_LOG("%s", errmsg(err));
	if (!cap_swap(self, 32 * MiB))
		SKIP(return, "swap is on and the cgroup has no swap limit file to cap it");
	ASSERT_EQ(0, stats(self, &before, _metadata));
	start_writer(_metadata, self, 64);

	got = wait_report(self, REPORT_TIMEOUT_MS);
	ASSERT_NE(-1, got)
	TH_LOG("the child neither finished nor died in %d ms", REPORT_TIMEOUT_MS);
	ASSERT_NE(REP_WRITTEN, got) TH_LOG("64 MiB written under a 32 MiB limit: no OOM kill");
	status = reap(_metadata, self);
	log_status(_metadata, status);
	ASSERT_TRUE(WIFSIGNALED(status));
	ASSERT_EQ(SIGKILL, WTERMSIG(status));

	ASSERT_EQ(0, stats(self, &after, _metadata));
	ASSERT_LE(before.oom_kill + 1, after.oom_kill)
	TH_LOG("oom_kill %" PRIu64 " before, %" PRIu64 " after", before.oom_kill, after.oom_kill);
}

/* ------------------------------------------------------------ dying */

/* Dying cgroups: v1 only shows a global count, v2 counts them under the parent. */
static int dying_gauge(FIXTURE_DATA(memcg) * self, long *value)
{
	char path[PATH_MAX + 16];
	uint64_t v;
	int hierarchy, enabled;

	if (self->version == HC_CGROUP_V1)
		return proc_cgroups_memory(&hierarchy, value, &enabled);
	snprintf(path, sizeof(path), "%s/cgroup.stat", self->parent_path);
	if (key_value(path, "nr_dying_descendants", &v) < 0)
		return -1;
	*value = (long)v;
	return 0;
}

TEST_F_TIMEOUT(memcg, destroy_after_unmount, CHILD_TEST_TIMEOUT_S)
{
	hc_cleanup_error hc_error_t *err = NULL;
	const uint64_t n = 32 * MiB;
	const uint64_t tol = n / 20 > MiB ? n / 20 : MiB;
	char path[PATH_MAX + 16];
	struct hc_memcg_stats s;
	long before, now;
	uint64_t parent_shmem = 0;
	int64_t deadline;
	struct stat st;

	if (self->version == HC_CGROUP_NONE)
		return;
	make_leaf(_metadata, self);
	start_writer(_metadata, self, (unsigned int)(n / MiB));
	expect_report(_metadata, self, REP_WRITTEN);
	poll_shmem(_metadata, self, n, tol, &s);
	ASSERT_GE(tol, diff_u64(s.shmem, n))
	TH_LOG("shmem %" PRIu64 ", wrote %" PRIu64, s.shmem, n);

	/* Unmounting the only mount of the tmpfs frees its pages... */
	ASSERT_EQ(1, write(self->cmd_w, (char[]){CMD_UMOUNT}, 1));
	expect_report(_metadata, self, REP_UMOUNTED);
	close_fd(&self->cmd_w);
	expect_clean_exit(_metadata, self);
	poll_shmem(_metadata, self, 0, MiB - 1, &s);
	ASSERT_GT(MiB, s.shmem) TH_LOG("shmem %" PRIu64 " after umount", s.shmem);

	/* ...so nothing pins the leaf: it goes away for good, not into a dying state. */
	ASSERT_EQ(0, dying_gauge(self, &before)) TH_LOG("dying gauge: %s", strerror(errno));
	ASSERT_EQ(0, hc_memcg_destroy(&self->cg, &err)) TH_LOG("%s", errmsg(err));
	self->cg_made = false;
	ASSERT_EQ(-1, lstat(self->cg.path, &st));
	ASSERT_EQ(ENOENT, errno);

	/* v1: the leaf was counted in num_cgroups; freed, the count drops by one. */
	deadline = now_ms() + POLL_TIMEOUT_MS;
	for (;;) {
		ASSERT_EQ(0, dying_gauge(self, &now));
		if ((self->version == HC_CGROUP_V1 ? now <= before - 1 : now == 0) ||
		    now_ms() >= deadline)
			break;
		sleep_ms(POLL_STEP_MS);
	}
	if (self->version == HC_CGROUP_V1) {
		ASSERT_GE(before - 1, now)
		TH_LOG("num_cgroups %ld before destroy, %ld after: the leaf is still dying", before,
		       now);
	} else {
		ASSERT_EQ(0, now) TH_LOG("nr_dying_descendants %ld in %s", now, self->parent_path);
	}

	/* The parent's hierarchical count would still see pages a dying leaf held. */
	snprintf(path, sizeof(path), "%s/memory.stat", self->parent_path);
	ASSERT_EQ(0, key_value(path, self->version == HC_CGROUP_V1 ? "total_shmem" : "shmem",
			       &parent_shmem))
	TH_LOG("%s: %s", path, strerror(errno));
	ASSERT_GT(MiB, parent_shmem) TH_LOG("parent shmem %" PRIu64, parent_shmem);
}

TEST_HARNESS_MAIN
