// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The per-test sandbox. A test runs in a child the harness forked, so its
 * private mount namespace and the mounts in it die with it; the /tmp
 * directory and the cgroups do not, hence the bookkeeping here.
 */
#include <dirent.h>
#include <errno.h>
#include <glob.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include "hctest.h"

int hct_sandbox_init(struct hct_sandbox *sb, const char *what, bool memcg, char *why, size_t whylen)
{
	int ret;

	memset(sb, 0, sizeof(*sb));
	if (geteuid() != 0) {
		snprintf(why, whylen, "needs root (mount, cgroups); euid is %d", (int)geteuid());
		return HCT_SKIP;
	}
	ret = hct_private_mount_ns();
	if (ret < 0) {
		snprintf(why, whylen, "private mount namespace: %s", strerror(-ret));
		return ret == -EPERM ? HCT_SKIP : ret;
	}
	if (memcg) {
		ret = hct_cg_detect(&sb->cg, why, whylen);
		if (ret < 0)
			return HCT_SKIP;
		snprintf(sb->parent, sizeof(sb->parent), HCT_PREFIX "-%d", (int)getpid());
		ret = hct_cg_create(&sb->cg, sb->parent, true);
		if (ret < 0) {
			snprintf(why, whylen, "creating cgroup %s/%s: %s", sb->cg.root, sb->parent,
				 strerror(-ret));
			sb->parent[0] = '\0';
			return ret;
		}
	}
	ret = hct_make_tmpdir(sb->dir, what);
	if (ret < 0) {
		snprintf(why, whylen, "mkdtemp under /tmp: %s", strerror(-ret));
		return ret;
	}
	return 0;
}

int hct_sandbox_mount(struct hct_sandbox *sb, unsigned long flags, const char *data)
{
	int ret = hct_mount_tmpfs(sb->dir, flags, data);

	if (ret == 0)
		sb->mounted = true;
	return ret;
}

int hct_sandbox_umount(struct hct_sandbox *sb)
{
	if (!sb->mounted)
		return 0;
	if (umount2(sb->dir, 0) < 0)
		return -errno;
	sb->mounted = false;
	return 0;
}

void hct_sandbox_file(const struct hct_sandbox *sb, const char *name, char *path)
{
	int n = snprintf(path, PATH_MAX, "%s/%s", sb->dir, name);

	/* An empty path fails loudly at the next open(), where the test looks. */
	if (n < 0 || n >= PATH_MAX)
		path[0] = '\0';
}

int hct_sandbox_leaf(struct hct_sandbox *sb, const char *name, uint64_t limit, const char **rel)
{
	char *leaf;
	int ret, n;

	if (!sb->parent[0])
		return -EINVAL;
	if (sb->nleaves >= HCT_MAX_LEAVES)
		return -ENOSPC;
	leaf = sb->leaves[sb->nleaves];
	n = snprintf(leaf, sizeof(sb->leaves[0]), "%s/%s", sb->parent, name);
	if (n < 0 || (size_t)n >= sizeof(sb->leaves[0]))
		return -ENAMETOOLONG;
	ret = hct_cg_create(&sb->cg, leaf, false);
	if (ret < 0)
		return ret;
	sb->nleaves++;
	if (limit) {
		ret = hct_cg_set_limit(&sb->cg, leaf, limit);
		if (ret < 0)
			return ret;
	}
	*rel = leaf;
	return 0;
}

pid_t hct_sandbox_spawn(struct hct_sandbox *sb, const char *rel,
			int (*fn)(void *arg, struct hct_child_report *r), void *arg,
			struct hct_child_report *report)
{
	pid_t pid;

	if (sb->npids >= HCT_MAX_PIDS)
		return -ENOSPC;
	pid = hct_spawn(rel ? &sb->cg : NULL, rel, fn, arg, report);
	if (pid > 0)
		sb->pids[sb->npids++] = pid;
	return pid;
}

int hct_sandbox_wait(struct hct_sandbox *sb, pid_t pid, int *wstatus, long timeout_ms)
{
	int ret = hct_wait(pid, wstatus, timeout_ms);

	for (int i = 0; i < sb->npids; i++)
		if (sb->pids[i] == pid)
			sb->pids[i] = 0;
	return ret;
}

int hct_sandbox_fini(struct hct_sandbox *sb)
{
	int ret = 0, err;

	/* A process left in a leaf would keep it from being removed. */
	for (int i = 0; i < sb->npids; i++) {
		if (sb->pids[i] <= 0)
			continue;
		kill(sb->pids[i], SIGKILL);
		waitpid(sb->pids[i], NULL, 0);
		sb->pids[i] = 0;
	}
	/* Unmount before removing the leaves: their tmpfs pages would pin them dying. */
	if (sb->mounted && umount2(sb->dir, 0) < 0) {
		fprintf(stderr, "# teardown: umount %s: %s; detaching\n", sb->dir, strerror(errno));
		if (umount2(sb->dir, MNT_DETACH) < 0)
			ret = -1;
	}
	sb->mounted = false;
	/* Or the per-CPU charge caches may keep the removed leaves dying a while. */
	if (sb->parent[0])
		hct_cg_drain(&sb->cg, sb->parent);
	for (int i = sb->nleaves - 1; i >= 0; i--) {
		err = hct_cg_remove(&sb->cg, sb->leaves[i]);
		if (err < 0) {
			fprintf(stderr, "# teardown: rmdir cgroup %s/%s: %s\n", sb->cg.root,
				sb->leaves[i], strerror(-err));
			ret = -1;
		}
	}
	sb->nleaves = 0;
	err = sb->parent[0] ? hct_cg_remove(&sb->cg, sb->parent) : 0;
	if (err < 0) {
		fprintf(stderr, "# teardown: rmdir cgroup %s/%s: %s\n", sb->cg.root, sb->parent,
			strerror(-err));
		ret = -1;
	}
	sb->parent[0] = '\0';
	if (sb->dir[0] && rmdir(sb->dir) < 0) {
		fprintf(stderr, "# teardown: rmdir %s: %s\n", sb->dir, strerror(errno));
		ret = -1;
	}
	sb->dir[0] = '\0';
	return ret;
}

int hct_reap(pid_t pid)
{
	char pattern[PATH_MAX], parent[64], why[256], path[PATH_MAX];
	struct hct_cg cg;
	struct dirent *de;
	glob_t g;
	DIR *d;
	int n = 0, ret;

	snprintf(pattern, sizeof(pattern), "/tmp/" HCT_PREFIX "-%d-*", (int)pid);
	if (glob(pattern, GLOB_ONLYDIR | GLOB_NOSORT, NULL, &g) == 0) {
		for (size_t i = 0; i < g.gl_pathc; i++) {
			if (rmdir(g.gl_pathv[i]) == 0)
				n++;
			else
				fprintf(stderr, "# reap: rmdir %s: %s\n", g.gl_pathv[i],
					strerror(errno));
		}
		globfree(&g);
	}

	if (hct_cg_detect(&cg, why, sizeof(why)) < 0)
		return n;
	snprintf(parent, sizeof(parent), HCT_PREFIX "-%d", (int)pid);
	if (hct_cg_path(&cg, parent, path) < 0 || !(d = opendir(path)))
		return n;
	/* Leaves first: a cgroup with children cannot go. */
	while ((de = readdir(d))) {
		char leaf[PATH_MAX];

		if (de->d_type != DT_DIR || de->d_name[0] == '.')
			continue;
		if (snprintf(leaf, sizeof(leaf), "%s/%s", parent, de->d_name) >= (int)sizeof(leaf))
			continue;
		ret = hct_cg_remove(&cg, leaf);
		if (ret == 0)
			n++;
		else
			fprintf(stderr, "# reap: rmdir cgroup %s/%s: %s\n", cg.root, leaf,
				strerror(-ret));
	}
	closedir(d);
	ret = hct_cg_remove(&cg, parent);
	if (ret == 0)
		n++;
	else
		fprintf(stderr, "# reap: rmdir cgroup %s/%s: %s\n", cg.root, parent,
			strerror(-ret));
	return n;
}
