// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The memory cgroup, v1 and v2: where it is mounted, its files under either
 * name, and the count of dying cgroups.
 *
 *   figure           v1                          v2
 *   usage            memory.usage_in_bytes       memory.current
 *   limit            memory.limit_in_bytes       memory.max
 *   tmpfs pages      memory.stat shmem           memory.stat shmem
 *   OOM kills        memory.oom_control oom_kill memory.events oom_kill
 *   dying cgroups    /proc/cgroups num_cgroups   cgroup.stat nr_dying_descendants
 *                    less the live directories
 *   subtree's tmpfs  memory.stat total_shmem     memory.stat shmem
 *   pages
 */
#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libmount.h>

#include "hctest.h"

static bool word_in(const char *text, const char *word)
{
	size_t len = strlen(word);
	const char *p = text;

	while ((p = strstr(p, word))) {
		bool start = p == text || p[-1] == ' ' || p[-1] == '\n';
		bool end = p[len] == '\0' || p[len] == ' ' || p[len] == '\n';

		if (start && end)
			return true;
		p += len;
	}
	return false;
}

int hct_cg_detect(struct hct_cg *cg, char *why, size_t whylen)
{
	struct libmnt_table *tb;
	struct libmnt_iter *it;
	struct libmnt_fs *fs;
	char path[PATH_MAX + 32], buf[512];
	char v2_without[PATH_MAX] = "";
	int found = 0;

	memset(cg, 0, sizeof(*cg));
	tb = mnt_new_table_from_file("/proc/self/mountinfo");
	it = mnt_new_iter(MNT_ITER_FORWARD);
	if (!tb || !it) {
		snprintf(why, whylen, "cannot read /proc/self/mountinfo through libmount");
		mnt_free_iter(it);
		mnt_unref_table(tb);
		return -EIO;
	}
	while (!found && mnt_table_next_fs(tb, it, &fs) == 0) {
		const char *type = mnt_fs_get_fstype(fs);
		const char *root = mnt_fs_get_root(fs);
		const char *target = mnt_fs_get_target(fs);

		/* A mount of a sub-cgroup would make every path relative to it. */
		if (!type || !target || !root || strcmp(root, "/") != 0)
			continue;
		if (strcmp(type, "cgroup") == 0 &&
		    hct_opt_has(mnt_fs_get_fs_options(fs), "memory", NULL)) {
			cg->version = HCT_CG_V1;
			snprintf(cg->root, sizeof(cg->root), "%s", target);
			found = 1;
		} else if (strcmp(type, "cgroup2") == 0) {
			snprintf(path, sizeof(path), "%s/cgroup.controllers", target);
			if (hct_read_file(path, buf, sizeof(buf)) >= 0 && word_in(buf, "memory")) {
				cg->version = HCT_CG_V2;
				snprintf(cg->root, sizeof(cg->root), "%s", target);
				found = 1;
			} else {
				snprintf(v2_without, sizeof(v2_without), "%s", target);
			}
		}
	}
	mnt_free_iter(it);
	mnt_unref_table(tb);

	if (!found) {
		if (v2_without[0])
			snprintf(why, whylen,
				 "no memory controller: no cgroup v1 mount with -o memory, and "
				 "%s/cgroup.controllers (cgroup2) lacks memory",
				 v2_without);
		else
			snprintf(why, whylen,
				 "no memory controller: no cgroup v1 memory mount and "
				 "no cgroup2 mount in /proc/self/mountinfo");
		return -ENOENT;
	}
	if (cg->version == HCT_CG_V2) {
		/* Children of the root get memory.* files only when the root hands them on. */
		snprintf(path, sizeof(path), "%s/cgroup.subtree_control", cg->root);
		if (hct_read_file(path, buf, sizeof(buf)) < 0 || !word_in(buf, "memory")) {
			snprintf(why, whylen,
				 "cgroup v2 at %s: memory is not in its cgroup.subtree_control "
				 "(echo +memory > %s)",
				 cg->root, path);
			return -ENOENT;
		}
	}
	if (access(cg->root, W_OK) < 0) {
		snprintf(why, whylen, "cgroup v%d memory hierarchy at %s is not writable: %s",
			 cg->version, cg->root, strerror(errno));
		return -EACCES;
	}
	return 0;
}

const char *hct_cg_version_str(const struct hct_cg *cg)
{
	return cg->version == HCT_CG_V2 ? "v2" : cg->version == HCT_CG_V1 ? "v1" : "none";
}

int hct_cg_path(const struct hct_cg *cg, const char *rel, char *path)
{
	int n = snprintf(path, PATH_MAX, "%s/%s", cg->root, rel);

	return n < 0 || n >= PATH_MAX ? -ENAMETOOLONG : 0;
}

static int cg_file(const struct hct_cg *cg, const char *rel, const char *file, char *path)
{
	int n = snprintf(path, PATH_MAX, "%s/%s/%s", cg->root, rel, file);

	return n < 0 || n >= PATH_MAX ? -ENAMETOOLONG : 0;
}

int hct_cg_create(const struct hct_cg *cg, const char *rel, bool parent)
{
	char path[PATH_MAX];
	int ret = hct_cg_path(cg, rel, path);

	if (ret < 0)
		return ret;
	if (mkdir(path, 0755) < 0)
		return -errno;
	if (parent && cg->version == HCT_CG_V2) {
		ret = cg_file(cg, rel, "cgroup.subtree_control", path);
		if (ret == 0)
			ret = hct_write_file(path, "+memory");
		if (ret < 0) {
			hct_cg_remove(cg, rel);
			return ret;
		}
	}
	return 0;
}

int hct_cg_remove(const struct hct_cg *cg, const char *rel)
{
	char path[PATH_MAX];
	int ret = hct_cg_path(cg, rel, path);

	if (ret < 0)
		return ret;
	if (rmdir(path) < 0 && errno != ENOENT)
		return -errno;
	return 0;
}

int hct_cg_enter(const struct hct_cg *cg, const char *rel)
{
	char path[PATH_MAX];
	int ret = cg_file(cg, rel, "cgroup.procs", path);

	/* "0" is the writer itself, on v1 and v2 alike. */
	return ret < 0 ? ret : hct_write_file(path, "0");
}

int hct_cg_shmem(const struct hct_cg *cg, const char *rel, uint64_t *bytes)
{
	char path[PATH_MAX];
	int ret = cg_file(cg, rel, "memory.stat", path);

	return ret < 0 ? ret : hct_read_key_u64(path, "shmem", bytes);
}

int hct_cg_shmem_tree(const struct hct_cg *cg, const char *rel, uint64_t *bytes)
{
	char path[PATH_MAX];
	int ret = cg_file(cg, rel, "memory.stat", path);

	/* v2's memory.stat is hierarchical throughout; v1 says so with "total_". */
	if (ret < 0)
		return ret;
	return hct_read_key_u64(path, cg->version == HCT_CG_V2 ? "shmem" : "total_shmem", bytes);
}

int hct_cg_shmem_removed(const struct hct_cg *cg, const char *rel, uint64_t *bytes)
{
	char path[PATH_MAX], child[PATH_MAX];
	uint64_t tree = 0, own = 0, live = 0, v;
	struct dirent *de;
	DIR *d;
	int ret = hct_cg_shmem_tree(cg, rel, &tree);

	/* v2 has no figure of rel alone: a parent with memory enabled for
	 * its children holds no process, so it wrote nothing itself. */
	if (ret == 0 && cg->version == HCT_CG_V1)
		ret = hct_cg_shmem(cg, rel, &own);
	if (ret == 0)
		ret = hct_cg_path(cg, rel, path);
	if (ret < 0)
		return ret;
	d = opendir(path);
	if (d == NULL)
		return -errno;
	while ((de = readdir(d)) != NULL) {
		if (de->d_type != DT_DIR || strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		if (snprintf(child, sizeof(child), "%s/%s", rel, de->d_name) >=
		    (int)sizeof(child)) {
			ret = -ENAMETOOLONG;
			break;
		}
		/* A child removed since readdir has nothing left to count. */
		ret = hct_cg_shmem_tree(cg, child, &v);
		if (ret == -ENOENT) {
			ret = 0;
			continue;
		}
		if (ret < 0)
			break;
		live += v;
	}
	closedir(d);
	if (ret < 0)
		return ret;
	*bytes = tree > own + live ? tree - own - live : 0;
	return 0;
}

int hct_cg_usage(const struct hct_cg *cg, const char *rel, uint64_t *bytes)
{
	char path[PATH_MAX];
	const char *file = cg->version == HCT_CG_V2 ? "memory.current" : "memory.usage_in_bytes";
	int ret = cg_file(cg, rel, file, path);

	return ret < 0 ? ret : hct_read_u64(path, bytes);
}

int hct_cg_set_limit(const struct hct_cg *cg, const char *rel, uint64_t bytes)
{
	char path[PATH_MAX];
	const char *file = cg->version == HCT_CG_V2 ? "memory.max" : "memory.limit_in_bytes";
	int ret = cg_file(cg, rel, file, path);

	return ret < 0 ? ret : hct_write_file(path, "%" PRIu64, bytes);
}

int hct_cg_no_swap(const struct hct_cg *cg, const char *rel, uint64_t limit)
{
	char path[PATH_MAX];
	uint64_t swap = 0;
	int ret = hct_meminfo("SwapTotal", &swap);

	if (ret < 0 || swap == 0)
		return ret;
	if (cg->version == HCT_CG_V2) {
		ret = cg_file(cg, rel, "memory.swap.max", path);
		return ret < 0 ? ret : hct_write_file(path, "0");
	}
	ret = cg_file(cg, rel, "memory.memsw.limit_in_bytes", path);
	return ret < 0 ? ret : hct_write_file(path, "%" PRIu64, limit);
}

int hct_cg_drain(const struct hct_cg *cg, const char *rel)
{
	char path[PATH_MAX];
	int ret;

	if (cg->version == HCT_CG_V1) {
		ret = cg_file(cg, rel, "memory.force_empty", path);
		return ret < 0 ? ret : hct_write_file(path, "0");
	}
	/* Above memory.high, the write drains the caches and reclaims, without an OOM kill. */
	ret = cg_file(cg, rel, "memory.high", path);
	if (ret < 0)
		return ret;
	ret = hct_write_file(path, "0");
	return hct_write_file(path, "max") ?: ret;
}

const char *hct_cg_oom_file(const struct hct_cg *cg)
{
	return cg->version == HCT_CG_V2 ? "memory.events" : "memory.oom_control";
}

int hct_cg_oom_kills(const struct hct_cg *cg, const char *rel, uint64_t *count)
{
	char path[PATH_MAX];
	int ret = cg_file(cg, rel, hct_cg_oom_file(cg), path);

	return ret < 0 ? ret : hct_read_key_u64(path, "oom_kill", count);
}

int hct_proc_cgroups_num(const char *controller, uint64_t *count)
{
	char buf[4096], *line, *save = NULL;
	char name[64];
	unsigned long long hier, num;
	ssize_t n = hct_read_file("/proc/cgroups", buf, sizeof(buf));

	if (n < 0)
		return n;
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (sscanf(line, "%63s %llu %llu", name, &hier, &num) == 3 &&
		    strcmp(name, controller) == 0) {
			*count = num;
			return 0;
		}
	}
	return -ENOENT;
}

static uint64_t live_dirs;

static int count_dir(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)path;
	(void)st;
	(void)ftw;
	if (flag == FTW_D)
		live_dirs++;
	return 0;
}

int hct_cg_dying(const struct hct_cg *cg, const char *rel, uint64_t *count)
{
	char path[PATH_MAX];
	uint64_t before, after;
	int ret, tries;

	if (cg->version == HCT_CG_V2) {
		ret = cg_file(cg, rel, "cgroup.stat", path);
		return ret < 0 ? ret : hct_read_key_u64(path, "nr_dying_descendants", count);
	}
	/*
	 * num_cgroups covers the whole hierarchy, live and dying; the walk
	 * counts the live ones (the root included, as num_cgroups does). Two
	 * equal reads around the walk: nobody made or removed a cgroup meanwhile.
	 */
	for (tries = 0; tries < 50; tries++) {
		ret = hct_proc_cgroups_num("memory", &before);
		if (ret < 0)
			return ret;
		live_dirs = 0;
		if (nftw(cg->root, count_dir, 16, FTW_PHYS | FTW_MOUNT) < 0)
			return -errno;
		ret = hct_proc_cgroups_num("memory", &after);
		if (ret < 0)
			return ret;
		if (before == after && after >= live_dirs) {
			*count = after - live_dirs;
			return 0;
		}
		hct_sleep_ms(HCT_POLL_STEP_MS);
	}
	return -EAGAIN;
}

int hct_cg_dying_stable(const struct hct_cg *cg, const char *rel, uint64_t *count, long stable_ms,
			long timeout_ms)
{
	int64_t end = hct_now_ms() + timeout_ms, since = hct_now_ms();
	uint64_t last, now;
	int ret = hct_cg_dying(cg, rel, &last);

	while (ret == 0) {
		hct_sleep_ms(HCT_POLL_STEP_MS);
		ret = hct_cg_dying(cg, rel, &now);
		if (ret < 0)
			break;
		if (now != last) {
			last = now;
			since = hct_now_ms();
		} else if (hct_now_ms() - since >= stable_ms) {
			break;
		}
		if (hct_now_ms() >= end)
			break;
	}
	*count = last;
	return ret;
}
