// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * hcrun acts on a container's init only while it is the process recorded at
 * start, end to end through the built hcrun. A pid is reused once its
 * process is gone; a reuse cannot be forced, but it looks to hcrun exactly
 * like a state whose (pid, start time) names a live process that started at
 * another time. So each test edits the state of a running container:
 *
 *  - pid -> a live child of this test (in the host's namespaces): exec must
 *    refuse with the container-not-running code and not run the command
 *    there; stop must not signal that child;
 *  - the start time -> another one, the pid still the init's: the init now
 *    looks like a stranger: exec refuses, delete -f kills nothing;
 *  - the start time removed (the field every hcrun has written), or 0 (no
 *    hcrun writes it): exec refuses, nothing is entered or signalled.
 *
 * The command exec'd touches /ch/marker and SCRATCH/marker: run in the
 * container it makes the marker in the channel (read back on the host), run
 * in the test's child's namespaces it makes SCRATCH/marker on the host. The
 * control test shows the first happens when nothing was edited.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <json.h>

#include "kselftest_harness.h"

#include "hcrun_cli.h"

/* A container that runs until stopped, and stops at once on SIGTERM. */
#define IDLE "/bin/sh -c 'trap \"exit 0\" TERM; sleep 1000000 & wait'"

#define REUSED_MSG "has exited and the pid now belongs to another process"

FIXTURE(pidpin)
{
	char hcrun[PATH_MAX];
	char scratch[64]; /* mkdtemp */
	char root[128];	  /* the state root: hcrun makes it, teardown removes it */
	char chan[128];	  /* the channel's host path: create makes it, delete removes it */
	char marker[160]; /* SCRATCH/marker: made only by a command run outside */
	char chan_marker[160];
	char state[PATH_MAX];
	char name[32];
	char orig[32768]; /* state.json as hcrun wrote it; "" until read */
	int init;	  /* the container's init, from the state */
	unsigned long long init_start;
	pid_t stranger; /* a live child of the test: what a reused pid names */
	char out[16384];
};

/* Field 22 of /proc/<pid>/stat; 0 when it cannot be read. */
static unsigned long long start_time(pid_t pid)
{
	char path[64], buf[1024], *p;
	unsigned long long v = 0;
	FILE *f;
	int i;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "re");
	if (f == NULL)
		return 0;
	if (fgets(buf, sizeof(buf), f) == NULL) {
		fclose(f);
		return 0;
	}
	fclose(f);
	p = strrchr(buf, ')');
	for (i = 2; p != NULL && i < 22; i++)
		p = strchr(p + 1, ' ');
	if (p != NULL && sscanf(p + 1, "%llu", &v) != 1)
		v = 0;
	return v;
}

/* Alive and not a zombie: nothing killed it. */
static bool alive(pid_t pid)
{
	char path[64], buf[1024], *p;
	FILE *f;
	bool ok;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "re");
	if (f == NULL)
		return false;
	ok = fgets(buf, sizeof(buf), f) != NULL;
	fclose(f);
	p = ok ? strrchr(buf, ')') : NULL;
	return p != NULL && p[1] == ' ' && p[2] != 'Z' && p[2] != 'X';
}

/* state.json replaced as hcrun does it (a temp file of the name hcrun
 * removes, then rename): a reader sees the old or the new one, whole. */
static int write_state(FIXTURE_DATA(pidpin) * self, const char *text)
{
	char tmp[PATH_MAX + 8];
	FILE *f;
	int ok;

	snprintf(tmp, sizeof(tmp), "%s.tmp", self->state);
	f = fopen(tmp, "wxe");
	if (f == NULL)
		return -1;
	ok = fputs(text, f) >= 0;
	if (fclose(f) != 0 || !ok || rename(tmp, self->state) < 0) {
		unlink(tmp);
		return -1;
	}
	return 0;
}

/*
 * The state with field key set to value (an integer), or removed when
 * value < 0.
 */
static int edit_state(FIXTURE_DATA(pidpin) * self, const char *key, long long value)
{
	struct json_object *top = json_tokener_parse(self->orig);
	int ret;

	if (top == NULL)
		return -1;
	if (value < 0)
		json_object_object_del(top, key);
	else
		json_object_object_add(top, key, json_object_new_int64(value));
	ret = write_state(self, json_object_to_json_string_ext(top, JSON_C_TO_STRING_PRETTY));
	json_object_put(top);
	return ret;
}

/* The numeric field key of the state hcrun wrote. */
static long long orig_field(FIXTURE_DATA(pidpin) * self, const char *key)
{
	struct json_object *top = json_tokener_parse(self->orig), *v;
	long long n = -1;

	if (top == NULL)
		return -1;
	if (json_object_object_get_ex(top, key, &v))
		n = json_object_get_int64(v);
	json_object_put(top);
	return n;
}

FIXTURE_SETUP(pidpin)
{
	struct timespec tick = {.tv_nsec = 30 * 1000 * 1000};
	FILE *f;
	size_t n;

	self->stranger = -1;
	if (geteuid() != 0)
		SKIP(return, "needs root (containers)");
	if (hcrun_path(self->hcrun, sizeof(self->hcrun)) < 0)
		SKIP(return, "build/hcrun not built");
	snprintf(self->scratch, sizeof(self->scratch), "/tmp/hc-pidpin-XXXXXX");
	ASSERT_NE(NULL, mkdtemp(self->scratch));
	snprintf(self->root, sizeof(self->root), "%s/root", self->scratch);
	snprintf(self->chan, sizeof(self->chan), "%s/ch", self->scratch);
	snprintf(self->marker, sizeof(self->marker), "%s/marker", self->scratch);
	snprintf(self->chan_marker, sizeof(self->chan_marker), "%s/marker", self->chan);
	snprintf(self->name, sizeof(self->name), "pin-%d", (int)getpid());
	snprintf(self->state, sizeof(self->state), "%s/%s/state.json", self->root, self->name);
	ASSERT_EQ(0,
		  run(self->out, sizeof(self->out),
		      "%s --root %s run -d --name %s --host-channel %s:/ch:rw:1M -- " IDLE " 2>&1",
		      self->hcrun, self->root, self->name, self->chan))
	TH_LOG("run: %s", self->out);
	f = fopen(self->state, "re");
	ASSERT_NE(NULL, f) TH_LOG("%s: %s", self->state, strerror(errno));
	n = fread(self->orig, 1, sizeof(self->orig) - 1, f);
	fclose(f);
	self->orig[n] = '\0';
	self->init = (int)orig_field(self, "pid");
	self->init_start = (unsigned long long)orig_field(self, "pid_start_time");
	ASSERT_LT(0, self->init);
	ASSERT_EQ(start_time(self->init), self->init_start);
	/* Started a few clock ticks after the init: another start time. */
	nanosleep(&tick, NULL);
	self->stranger = fork();
	ASSERT_LE(0, self->stranger);
	if (self->stranger == 0) {
		for (;;)
			pause();
	}
	ASSERT_NE(0, start_time(self->stranger));
	ASSERT_NE(self->init_start, start_time(self->stranger));
}

FIXTURE_TEARDOWN(pidpin)
{
	if (self->scratch[0] == '\0')
		return;
	/* The state as hcrun wrote it: delete -f can then stop and remove it. */
	if (self->orig[0] != '\0')
		EXPECT_EQ(0, write_state(self, self->orig));
	EXPECT_EQ(0, run(self->out, sizeof(self->out), "%s --root %s delete -f %s 2>&1",
			 self->hcrun, self->root, self->name))
	TH_LOG("teardown: delete -f: %s", self->out);
	if (self->stranger > 0) {
		kill(self->stranger, SIGKILL);
		waitpid(self->stranger, NULL, 0);
	}
	/* Only there when a test failed: made by a command run outside. */
	if (unlink(self->marker) == 0)
		TH_LOG("teardown: removed %s", self->marker);
	if (rmdir(self->root) < 0 && errno != ENOENT) {
		TH_LOG("teardown: rmdir %s: %s", self->root, strerror(errno));
		EXPECT_TRUE(false);
	}
	if (rmdir(self->scratch) < 0) {
		TH_LOG("teardown: rmdir %s: %s", self->scratch, strerror(errno));
		EXPECT_TRUE(false);
	}
}

/* exec of the marker command; its exit status, output in self->out. */
static int exec_marker(FIXTURE_DATA(pidpin) * self)
{
	return run(self->out, sizeof(self->out),
		   "%s --root %s exec %s /bin/sh -c 'touch /ch/marker %s 2>/dev/null; exit 0' 2>&1",
		   self->hcrun, self->root, self->name, self->marker);
}

/* Neither marker: the command ran nowhere. */
static void expect_no_marker(struct __test_metadata *_metadata, FIXTURE_DATA(pidpin) * self)
{
	struct stat sb;

	EXPECT_EQ(-1, lstat(self->marker, &sb))
	TH_LOG("the command ran in the namespaces of process %d, not the container's",
	       (int)self->stranger);
	EXPECT_EQ(-1, lstat(self->chan_marker, &sb)) TH_LOG("the command ran in the container");
}

TEST_F(pidpin, exec_runs_in_the_container_it_recorded)
{
	struct stat sb;

	ASSERT_EQ(0, exec_marker(self)) TH_LOG("exec: %s", self->out);
	/* touch made the one in the channel; the host path has no /ch. */
	EXPECT_EQ(0, lstat(self->chan_marker, &sb)) TH_LOG("no %s", self->chan_marker);
	EXPECT_EQ(-1, lstat(self->marker, &sb)) TH_LOG("%s made on the host", self->marker);
	EXPECT_EQ(0, unlink(self->chan_marker));
}

TEST_F(pidpin, exec_refuses_a_pid_now_another_process)
{
	ASSERT_EQ(0, edit_state(self, "pid", self->stranger));
	EXPECT_EQ(125, exec_marker(self)) TH_LOG("exec: %s", self->out);
	EXPECT_NE(NULL, strstr(self->out, REUSED_MSG)) TH_LOG("exec: %s", self->out);
	expect_no_marker(_metadata, self);
	EXPECT_TRUE(alive(self->stranger));
	/* Nor is that process shown as the container's. */
	ASSERT_EQ(0, run(self->out, sizeof(self->out), "%s --root %s inspect %s 2>&1", self->hcrun,
			 self->root, self->name))
	TH_LOG("inspect: %s", self->out);
	EXPECT_NE(NULL, strstr(self->out, "\"status\":\"stopped\"")) TH_LOG("%s", self->out);
}

TEST_F(pidpin, exec_refuses_its_init_with_another_start_time)
{
	ASSERT_EQ(0, edit_state(self, "pid_start_time", (long long)self->init_start + 1));
	EXPECT_EQ(125, exec_marker(self)) TH_LOG("exec: %s", self->out);
	EXPECT_NE(NULL, strstr(self->out, REUSED_MSG)) TH_LOG("exec: %s", self->out);
	expect_no_marker(_metadata, self);
}

TEST_F(pidpin, stop_never_signals_a_pid_now_another_process)
{
	ASSERT_EQ(0, edit_state(self, "pid", self->stranger));
	/* The monitor of the real init is alive and records nothing: stop
	 * gives up after its wait. What matters is whom it signalled. */
	run(self->out, sizeof(self->out), "%s --root %s stop -t 1 %s 2>&1", self->hcrun, self->root,
	    self->name);
	TH_LOG("stop: %s", self->out);
	EXPECT_TRUE(alive(self->stranger)) TH_LOG("stop killed process %d", (int)self->stranger);
	EXPECT_TRUE(alive(self->init));
}

TEST_F(pidpin, delete_force_never_kills_its_init_with_another_start_time)
{
	struct stat sb;

	ASSERT_EQ(0, edit_state(self, "pid_start_time", (long long)self->init_start + 1));
	EXPECT_NE(0, run(self->out, sizeof(self->out), "%s --root %s delete -f %s 2>&1",
			 self->hcrun, self->root, self->name))
	TH_LOG("delete -f: %s", self->out);
	EXPECT_TRUE(alive(self->init)) TH_LOG("delete -f killed pid %d", self->init);
	/* It is still a container: its state and channel stay for teardown. */
	EXPECT_EQ(0, lstat(self->state, &sb));
	EXPECT_EQ(0, lstat(self->chan, &sb));
}

TEST_F(pidpin, exec_refuses_a_state_without_the_start_time)
{
	ASSERT_EQ(0, edit_state(self, "pid_start_time", -1));
	EXPECT_EQ(125, exec_marker(self)) TH_LOG("exec: %s", self->out);
	EXPECT_NE(NULL, strstr(self->out, "\"pid_start_time\" is missing"))
	TH_LOG("exec: %s", self->out);
	expect_no_marker(_metadata, self);
}

TEST_F(pidpin, exec_and_stop_refuse_a_start_time_of_zero)
{
	ASSERT_EQ(0, edit_state(self, "pid_start_time", 0));
	EXPECT_EQ(125, exec_marker(self)) TH_LOG("exec: %s", self->out);
	EXPECT_NE(NULL, strstr(self->out, "records no start time")) TH_LOG("exec: %s", self->out);
	expect_no_marker(_metadata, self);
	run(self->out, sizeof(self->out), "%s --root %s stop -t 1 %s 2>&1", self->hcrun, self->root,
	    self->name);
	TH_LOG("stop: %s", self->out);
	EXPECT_TRUE(alive(self->init)) TH_LOG("stop killed pid %d", self->init);
}

TEST_HARNESS_MAIN
