// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * gc: repair what a crash left. A create that died ("creating") is rolled
 * back; a "running" container whose process and monitor are both gone is
 * recorded as stopped (deleted if it was --rm), and a stopped --rm one whose
 * monitor died before it deleted it is deleted; a memory cgroup under
 * hcrun's parent that no container owns and no process uses is removed.
 *
 * What gc cannot prove to be hcrun's (a state dir without a lock or with a
 * state file it cannot read, a cgroup with processes) it reports and leaves:
 * the exit status then says the root is not consistent. Each action is one
 * line on stdout.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "hcrun.h"

/* Under the lock: a temp file is only there while its writer holds it. */
static int remove_stale_tmp(const char *name, hc_error_t **err)
{
	char path[PATH_MAX];

	if (hcrun_state_path(name, HCRUN_STATE_TMP, path, sizeof(path), err) < 0)
		return -1;
	if (unlink(path) < 0) {
		if (errno == ENOENT)
			return 0;
		return hc_error_sys(err, errno, "remove %s", path);
	}
	printf("%s: removed the stale %s\n", name, HCRUN_STATE_TMP);
	return 0;
}

static int gc_locked(const char *name, hc_error_t **err)
{
	struct hcrun_state st;
	int ret = 0;

	if (remove_stale_tmp(name, err) < 0)
		return -1;
	if (hcrun_state_load(name, &st, err) < 0) {
		/*
		 * A lock but no state: a create killed before its first state
		 * write, or a delete killed after removing it. Either way no
		 * channel was made yet or none is left, and the lock proves the
		 * dir hcrun's: remove the files hcrun names, then the dir.
		 */
		if ((*err)->errnum != ENOENT)
			return hc_error_prefix(err, "%s: left alone", name);
		hc_error_free(err);
		if (hcrun_state_remove(name, err) < 0)
			return hc_error_prefix(err, "%s: left alone", name);
		printf("%s: removed a state dir with no state (a create or delete died)\n", name);
		return 0;
	}
	switch (st.status) {
	case HCRUN_CREATING:
		/* Its create held this lock to the end: it died half way. */
		ret = hcrun_delete_locked(&st, err);
		if (ret == 0)
			printf("%s: rolled back an interrupted create\n", name);
		break;
	case HCRUN_RUNNING:
		if (hcrun_proc_alive(st.pid, st.pid_start) || hcrun_state_monitor_alive(&st))
			break;
		/* Its exit status died with the monitor that reaped it. */
		st.status = HCRUN_STOPPED;
		st.exit_code = -1;
		hcrun_timestamp(st.finished, sizeof(st.finished));
		ret = hcrun_state_save(&st, err);
		if (ret < 0)
			break;
		printf("%s: recorded stopped (its process and its monitor are gone)\n", name);
		if (st.auto_remove) {
			ret = hcrun_delete_locked(&st, err);
			if (ret == 0)
				printf("%s: deleted (--rm)\n", name);
		}
		break;
	case HCRUN_STOPPED:
		/*
		 * --rm: the monitor deletes right after it records the exit, and
		 * a failed start deletes at once. Still here with the monitor
		 * gone means it died in between.
		 */
		if (!st.auto_remove || hcrun_state_monitor_alive(&st))
			break;
		ret = hcrun_delete_locked(&st, err);
		if (ret == 0)
			printf("%s: deleted (--rm; its monitor died before it could)\n", name);
		break;
	default:
		break;
	}
	hcrun_state_clear(&st);
	return ret;
}

/*
 * A state dir without a lock file is normal for an instant: create makes the
 * dir before the lock, delete removes the lock before the dir. Only one that
 * stays so (bounded wait) was not made by hcrun. Returns 0 with the lock
 * held, 1 when the dir went away (a delete finished), -1 with *err set.
 */
#define GC_SETTLE_TRIES 50
#define GC_SETTLE_NS	(10 * 1000 * 1000L)

static int lock_settled(const char *name, int *lock, hc_error_t **err)
{
	char dir[PATH_MAX];
	struct stat sb;
	int tries;

	if (hcrun_state_path(name, NULL, dir, sizeof(dir), err) < 0)
		return -1;
	for (tries = 0;; tries++) {
		struct timespec ts = {.tv_nsec = GC_SETTLE_NS};

		if (hcrun_state_lock(name, lock, err) == 0)
			return 0;
		if ((*err)->errnum != ENOENT)
			return -1;
		if (lstat(dir, &sb) < 0 && errno == ENOENT) {
			hc_error_free(err);
			return 1;
		}
		if (tries == GC_SETTLE_TRIES)
			return -1;
		hc_error_free(err);
		(void)nanosleep(&ts, NULL);
	}
}

/*
 * A state dir with no lock that stayed so (lock_settled waited): a create
 * killed between its mkdir and its lock, or a delete killed between its
 * unlink of the lock and its rmdir. An empty directory in hcrun's private
 * root holds nothing to lose: rmdir it (rmdir refuses anything else).
 * Returns 0 when removed (or gone), 1 when it holds something, -1 on error.
 */
static int remove_if_empty(const char *name, hc_error_t **err)
{
	char dir[PATH_MAX];

	if (hcrun_state_path(name, NULL, dir, sizeof(dir), err) < 0)
		return -1;
	if (rmdir(dir) == 0) {
		printf("%s: removed an empty state dir with no lock (a create or delete died)\n",
		       name);
		return 0;
	}
	if (errno == ENOENT)
		return 0;
	if (errno == ENOTEMPTY || errno == EEXIST)
		return 1;
	return hc_error_sys(err, errno, "remove %s", dir);
}

static bool gc_containers(void)
{
	hc_cleanup_error hc_error_t *err = NULL;
	bool consistent = true;
	char **names;
	size_t i, count;
	int ret;

	if (hcrun_state_names(&names, &count, &err) < 0) {
		hcrun_report(&err);
		return false;
	}
	for (i = 0; i < count; i++) {
		int lock = -1;

		if (hcrun_name_check(names[i], NULL) < 0) {
			hc_error_set(&err, EINVAL, "%s/%s: not a container name: left alone",
				     hcrun_root(), names[i]);
			goto bad;
		}
		ret = lock_settled(names[i], &lock, &err);
		if (ret == 1)
			continue;
		if (ret < 0) {
			if (err->errnum == ENOENT) {
				/* Only create makes the lock: hcrun never got this far,
				 * or a delete removed it and died before the rmdir. */
				hc_error_free(&err);
				ret = remove_if_empty(names[i], &err);
				if (ret == 0)
					continue;
				if (ret == 1)
					hc_error_set(&err, ENOENT,
						     "%s/%s: has no lock file and is not empty, so "
						     "hcrun cannot tell it made it: left alone",
						     hcrun_root(), names[i]);
			} else {
				hc_error_prefix(&err, "%s: left alone", names[i]);
			}
			goto bad;
		}
		if (gc_locked(names[i], &err) < 0) {
			hcrun_state_unlock(&lock);
			goto bad;
		}
		hcrun_state_unlock(&lock);
		continue;
	bad:
		hcrun_report(&err);
		consistent = false;
	}
	hcrun_names_free(names, count);
	return consistent;
}

/* Does the cgroup at dir hold any process? */
static int cgroup_busy(const char *dir, bool *busy, hc_error_t **err)
{
	char path[PATH_MAX], buf[64];
	hc_cleanup_close int fd = -1;
	ssize_t n;

	if (snprintf(path, sizeof(path), "%s/cgroup.procs", dir) >= (int)sizeof(path))
		return hc_error_set(err, ENAMETOOLONG, "%s: path too long", dir);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return hc_error_sys(err, errno, "open %s", path);
	do {
		n = read(fd, buf, sizeof(buf));
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return hc_error_sys(err, errno, "read %s", path);
	*busy = n > 0;
	return 0;
}

static bool gc_cgroups(void)
{
	hc_cleanup_error hc_error_t *err = NULL;
	enum hc_cgroup_version version;
	char root[PATH_MAX], parent[PATH_MAX];
	bool consistent = true;
	struct dirent *de;
	DIR *dir;

	/* No memory cgroup on this machine: hcrun never made one. */
	if (hc_memcg_detect(&version, root, sizeof(root), &err) < 0)
		return true;
	if (snprintf(parent, sizeof(parent), "%s/%s", root, hcrun_cgroup_parent()) >=
	    (int)sizeof(parent))
		return true;
	dir = opendir(parent);
	if (dir == NULL) {
		if (errno == ENOENT)
			return true;
		hc_error_sys(&err, errno, "open %s", parent);
		hcrun_report(&err);
		return false;
	}
	while ((de = readdir(dir)) != NULL) {
		char state[PATH_MAX];
		struct hc_memcg cg = {.version = version};
		struct stat sb;
		bool busy = true;

		if (de->d_type != DT_DIR || de->d_name[0] == '.')
			continue;
		/* Only names hcrun could have given; the state dir, if any,
		 * owns it (delete removes it). */
		if (hcrun_name_check(de->d_name, NULL) < 0 ||
		    hcrun_state_path(de->d_name, NULL, state, sizeof(state), NULL) < 0 ||
		    lstat(state, &sb) == 0 || errno != ENOENT)
			continue;
		if (snprintf(cg.path, sizeof(cg.path), "%s/%s", parent, de->d_name) >=
		    (int)sizeof(cg.path))
			continue;
		if (cgroup_busy(cg.path, &busy, &err) < 0)
			goto bad;
		if (busy) {
			hc_error_set(&err, EBUSY,
				     "cgroup %s belongs to no container but holds processes: left "
				     "alone",
				     cg.path);
			goto bad;
		}
		if (hc_memcg_destroy(&cg, &err) < 0)
			goto bad;
		printf("removed cgroup %s (no container owns it)\n", cg.path);
		continue;
	bad:
		hcrun_report(&err);
		consistent = false;
	}
	(void)closedir(dir);
	if (hc_memcg_remove_parent(hcrun_cgroup_parent(), &err) < 0) {
		hcrun_report(&err);
		consistent = false;
	}
	return consistent;
}

bool hcrun_gc(void)
{
	bool consistent = gc_containers();

	/* After the containers: a rollback above may have freed a cgroup. */
	return gc_cgroups() && consistent;
}
