// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * hcrun's state roots keep apart in the memory cgroup hierarchy too, end to
 * end through the built hcrun. Two roots (--root, HCRUN_ROOT) are two
 * runtimes: the same container name in both is two containers, each in a
 * cgroup of its own, and gc in one root never removes the cgroup of a
 * container kept in another. Read back from `hcrun inspect` and the cgroup
 * files; the cgroups this test's containers get:
 *
 *   <memory root>/
 *   |-- hcrun/...              the default root's: never touched here
 *   |-- hcrun.<hash of A>/
 *   |   |-- twin-PID           running, the same name as in B
 *   |   `-- solo-PID           stopped: an empty cgroup, still A's
 *   `-- hcrun.<hash of B>/
 *       `-- twin-PID           running
 *
 * Each parent was made by create, so the last delete in its root removes it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>
#include <linux/magic.h>

#include <json.h>

#include "hostchannel.h"
#include "kselftest_harness.h"

#include "hcrun_cli.h"

/* A container that runs until stopped, and stops at once on SIGTERM. */
#define IDLE "/bin/sh -c 'trap \"exit 0\" TERM; sleep 1000000 & wait'"

FIXTURE(roots)
{
	char hcrun[PATH_MAX];
	char scratch[64]; /* mkdtemp */
	char root[2][128];
	char twin[32], solo[32];
	char out[16384];
};

FIXTURE_SETUP(roots)
{
	hc_cleanup_error hc_error_t *err = NULL;
	enum hc_cgroup_version version;
	char cgroot[PATH_MAX];

	if (geteuid() != 0)
		SKIP(return, "needs root (containers, cgroups)");
	if (hcrun_path(self->hcrun, sizeof(self->hcrun)) < 0)
		SKIP(return, "build/hcrun not built");
	if (hc_memcg_detect(&version, cgroot, sizeof(cgroot), &err) < 0)
		SKIP(return, "no memory cgroup: %s", err != NULL ? err->msg : "?");
	snprintf(self->scratch, sizeof(self->scratch), "/tmp/hc-roots-XXXXXX");
	ASSERT_NE(NULL, mkdtemp(self->scratch));
	/* hcrun makes each root at its first create; the test removes them. */
	snprintf(self->root[0], sizeof(self->root[0]), "%s/a", self->scratch);
	snprintf(self->root[1], sizeof(self->root[1]), "%s/b", self->scratch);
	snprintf(self->twin, sizeof(self->twin), "twin-%d", (int)getpid());
	snprintf(self->solo, sizeof(self->solo), "solo-%d", (int)getpid());
}

FIXTURE_TEARDOWN(roots)
{
	if (self->scratch[0] == '\0')
		return;
	for (int i = 0; i < 2; i++) {
		run(self->out, sizeof(self->out), "%s --root %s delete -f %s %s 2>&1", self->hcrun,
		    self->root[i], self->twin, self->solo);
		/* The roots are the test's: empty after the deletes, or a leak. */
		if (rmdir(self->root[i]) < 0 && errno != ENOENT) {
			TH_LOG("teardown: rmdir %s: %s", self->root[i], strerror(errno));
			EXPECT_TRUE(false);
		}
	}
	if (rmdir(self->scratch) < 0) {
		TH_LOG("teardown: rmdir %s: %s", self->scratch, strerror(errno));
		EXPECT_TRUE(false);
	}
}

/* `hcrun --root ROOT inspect NAME`: the cgroup path and the pid. */
static int inspect(FIXTURE_DATA(roots) * self, int r, const char *name, char *cg, size_t len,
		   int *pid)
{
	struct json_object *top, *o, *p;
	int rc = -1;

	if (run(self->out, sizeof(self->out), "%s --root %s inspect %s 2>&1", self->hcrun,
		self->root[r], name) != 0)
		return -1;
	top = json_tokener_parse(self->out);
	if (top == NULL)
		return -1;
	if (json_object_object_get_ex(top, "cgroup", &o) &&
	    json_object_object_get_ex(o, "path", &p) && json_object_object_get_ex(top, "pid", &o)) {
		snprintf(cg, len, "%s", json_object_get_string(p));
		*pid = json_object_get_int(o);
		rc = 0;
	}
	json_object_put(top);
	return rc;
}

static bool is_cgroup_dir(const char *path)
{
	struct statfs sf;

	return statfs(path, &sf) == 0 &&
	       (sf.f_type == CGROUP_SUPER_MAGIC || sf.f_type == CGROUP2_SUPER_MAGIC);
}

/* Does <cg>/cgroup.procs list pid? */
static bool holds_pid(const char *cg, int pid)
{
	char path[PATH_MAX + 16];
	FILE *f;
	int p;
	bool found = false;

	snprintf(path, sizeof(path), "%s/cgroup.procs", cg);
	f = fopen(path, "re");
	if (f == NULL)
		return false;
	while (!found && fscanf(f, "%d", &p) == 1)
		found = p == pid;
	fclose(f);
	return found;
}

static void parent_of(const char *cg, char *buf, size_t len)
{
	char *slash;

	snprintf(buf, len, "%s", cg);
	slash = strrchr(buf, '/');
	if (slash != NULL)
		*slash = '\0';
}

TEST_F(roots, same_name_in_two_roots_is_two_containers_in_two_cgroups)
{
	char cg[2][PATH_MAX], parent[2][PATH_MAX];
	int pid[2];
	struct stat st;

	for (int i = 0; i < 2; i++) {
		ASSERT_EQ(0, run(self->out, sizeof(self->out),
				 "%s --root %s run -d --name %s --memory 32M -- " IDLE " 2>&1",
				 self->hcrun, self->root[i], self->twin))
		TH_LOG("root %s: run %s: %s", self->root[i], self->twin, self->out);
	}
	for (int i = 0; i < 2; i++) {
		ASSERT_EQ(0, inspect(self, i, self->twin, cg[i], sizeof(cg[i]), &pid[i]))
		TH_LOG("inspect: %s", self->out);
		ASSERT_TRUE(is_cgroup_dir(cg[i])) TH_LOG("%s is not a cgroup", cg[i]);
		EXPECT_TRUE(holds_pid(cg[i], pid[i]))
		TH_LOG("%s does not hold pid %d", cg[i], pid[i]);
		parent_of(cg[i], parent[i], sizeof(parent[i]));
		/* A root of its own is never the default root's parent. */
		EXPECT_EQ(NULL, strstr(cg[i], "/hcrun/")) TH_LOG("%s", cg[i]);
	}
	EXPECT_STRNE(cg[0], cg[1]);
	EXPECT_STRNE(parent[0], parent[1]);
	EXPECT_NE(pid[0], pid[1]);

	for (int i = 0; i < 2; i++) {
		ASSERT_EQ(0, run(self->out, sizeof(self->out), "%s --root %s delete -f %s 2>&1",
				 self->hcrun, self->root[i], self->twin))
		TH_LOG("delete: %s", self->out);
		EXPECT_EQ(-1, lstat(cg[i], &st)) TH_LOG("%s is left", cg[i]);
		EXPECT_EQ(-1, lstat(parent[i], &st)) TH_LOG("%s is left", parent[i]);
	}
}

TEST_F(roots, gc_in_one_root_leaves_another_roots_cgroups)
{
	char cg[PATH_MAX];
	struct stat st;
	int pid;

	ASSERT_EQ(0, run(self->out, sizeof(self->out),
			 "%s --root %s run -d --name %s --memory 32M -- " IDLE " 2>&1", self->hcrun,
			 self->root[0], self->solo))
	TH_LOG("run: %s", self->out);
	ASSERT_EQ(0, inspect(self, 0, self->solo, cg, sizeof(cg), &pid)) TH_LOG("%s", self->out);
	ASSERT_EQ(0, run(self->out, sizeof(self->out), "%s --root %s stop -t 1 %s 2>&1",
			 self->hcrun, self->root[0], self->solo))
	TH_LOG("stop: %s", self->out);
	/* Stopped: its cgroup stays, empty, until delete. */
	ASSERT_TRUE(is_cgroup_dir(cg)) TH_LOG("%s went at stop", cg);

	/* The other root has no container of that name: not its cgroup. */
	ASSERT_EQ(0, run(self->out, sizeof(self->out), "%s --root %s gc 2>&1", self->hcrun,
			 self->root[1]))
	TH_LOG("gc: %s", self->out);
	EXPECT_TRUE(is_cgroup_dir(cg))
	TH_LOG("gc of %s removed %s: %s", self->root[1], cg, self->out);

	/* Its own root's gc leaves it too: a container owns it. */
	ASSERT_EQ(0, run(self->out, sizeof(self->out), "%s --root %s gc 2>&1", self->hcrun,
			 self->root[0]))
	TH_LOG("gc: %s", self->out);
	EXPECT_TRUE(is_cgroup_dir(cg))
	TH_LOG("gc of %s removed %s: %s", self->root[0], cg, self->out);

	ASSERT_EQ(0, run(self->out, sizeof(self->out), "%s --root %s delete %s 2>&1", self->hcrun,
			 self->root[0], self->solo))
	TH_LOG("delete: %s", self->out);
	EXPECT_EQ(-1, lstat(cg, &st)) TH_LOG("%s is left", cg);
}

TEST_HARNESS_MAIN
