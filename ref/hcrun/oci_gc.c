// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * hcrun oci gc: repair what a kill of the OCI kit, the hook or the shim
 * left, from their records alone. Where a record is: the hook's state
 * directory, the shim's, and the bundles (or state files) named on the
 * command line. What a record asks for:
 *
 *   locked                 an operation is at work on it: left alone
 *   "preparing"            its prepare died (prepare holds the lock to its
 *                          last write): rolled back, exactly what its
 *                          journal proves made (libhostchannel's token and
 *                          dev/ino), nothing else
 *   "releasing"            its teardown died: finished
 *   "runtime"              the shim handed the container to the real
 *                          runtime's create: while that shim lives, left
 *                          alone; once it died, the runtime is asked
 *                          ("state ID"): a container that exists keeps its
 *                          channels (the record becomes "prepared", its
 *                          delete releases them), one that does not has
 *                          them released
 *   "prepared"             a live container's, released by its poststop
 *                          hook or delete: left alone; but for the shim's,
 *                          released when the runtime says the container
 *                          does not exist (a delete killed after the
 *                          runtime's)
 *   a symlink, not a regular file, not a record: reported, kept
 *
 * What the runtime's answer does not settle is reported and kept. Stale
 * ".hc-tmp" files of a record's write go when no writer holds them; the
 * hook's and the shim's directories go when empty, as their last poststop
 * or delete would have removed them. Nothing is removed that no record
 * proves: never a directory by name, never recursively. Each action is one
 * line on stdout.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hcrun.h"

#define TMP_SUFFIX ".hc-tmp"

static bool has_suffix(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n > m && strcmp(s + n - m, suffix) == 0;
}

/*
 * A stale temporary file of a record's (or a config's) write: removed when
 * no writer holds it (a record's writer locks it from its creation to its
 * rename). Returns 0 (removed, gone, or in use), -1 with *err.
 */
static int gc_tmp(const char *path, hc_error_t **err)
{
	hc_cleanup_close int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	struct stat sb;

	if (fd < 0) {
		if (errno == ENOENT)
			return 0;
		return hc_error_sys(err, errno, "%s: left alone", path);
	}
	if (fstat(fd, &sb) < 0 || !S_ISREG(sb.st_mode))
		return hc_error_set(err, EINVAL, "%s is not a regular file: left alone", path);
	if (flock(fd, LOCK_EX | LOCK_NB) < 0)
		return errno == EWOULDBLOCK ? 0 : hc_error_sys(err, errno, "lock %s", path);
	if (unlink(path) < 0 && errno != ENOENT)
		return hc_error_sys(err, errno, "remove %s", path);
	printf("%s: removed a stale temporary file (a write that died)\n", path);
	return 0;
}

/* Release a locked record and say so. */
static int release(struct hcrun_oci_kit *kit, const char *why, hc_error_t **err)
{
	size_t n = kit->nchannels;

	if (hcrun_oci_kit_release(kit, err) < 0)
		return hc_error_prefix(err, "%s: left for a retry", kit->state_path);
	printf("%s: %s: %zu host channel%s released\n", kit->state_path, why, n, n == 1 ? "" : "s");
	return 0;
}

/*
 * A shim's record once its shim is gone: does the container exist? 1 yes,
 * 0 no, -1 with *err when the runtime's answer does not tell (or the record
 * names no runtime).
 */
static int container_exists(const struct hcrun_oci_kit *kit, hc_error_t **err)
{
	bool exists = true;

	if (kit->runtime[0] == '\0')
		return hc_error_set(err, EINVAL,
				    "%s: the shim's record names no runtime to ask about its "
				    "container: left alone",
				    kit->state_path);
	if (hcrun_runtime_container_exists(kit->runtime, kit->runtime_root, kit->runtime_id,
					   &exists, err) < 0)
		return hc_error_prefix(err, "%s: left alone", kit->state_path);
	return exists ? 1 : 0;
}

/* One record: what its phase asks for (the table above). */
static int gc_record(const char *path, hc_error_t **err)
{
	struct hcrun_oci_kit kit;
	int ret = 0, exists;

	if (hcrun_oci_state_lock(path, &kit, false, err) < 0) {
		hcrun_oci_kit_clear(&kit);
		if ((*err)->errnum == ENOENT) {
			/* Released meanwhile. */
			hc_error_free(err);
			return 0;
		}
		if ((*err)->errnum == EWOULDBLOCK) {
			hc_error_free(err);
			printf("%s: in use by a running operation: left alone\n", path);
			return 0;
		}
		return hc_error_prefix(err, "left alone");
	}
	switch (kit.phase) {
	case HCRUN_OCI_PREPARING:
		ret = release(&kit, "rolled back an interrupted prepare", err);
		break;
	case HCRUN_OCI_RELEASING:
		ret = release(&kit, "finished an interrupted teardown", err);
		break;
	case HCRUN_OCI_RUNTIME:
		if (hcrun_proc_alive(kit.owner, kit.owner_start)) {
			printf("%s: its shim (pid %d) still runs the runtime's create: left "
			       "alone\n",
			       path, (int)kit.owner);
			break;
		}
		exists = container_exists(&kit, err);
		if (exists < 0) {
			ret = -1;
		} else if (exists == 0) {
			ret = release(&kit, "its shim died and the runtime has no such container",
				      err);
		} else {
			ret = hcrun_oci_kit_commit(&kit, HCRUN_OCI_PREPARED, err);
			if (ret == 0)
				printf("%s: its shim died after the runtime created the "
				       "container: kept for its delete\n",
				       path);
		}
		break;
	case HCRUN_OCI_PREPARED:
		/* A live container's; the shim's can be asked whether it is. */
		if (kit.runtime[0] == '\0')
			break;
		exists = container_exists(&kit, err);
		if (exists < 0)
			ret = -1;
		else if (exists == 0)
			ret = release(&kit, "the runtime has no such container any more", err);
		break;
	}
	hcrun_oci_kit_clear(&kit);
	return ret;
}

/* A record's stale temporary file, only when the record is not in use. */
static int gc_record_tmp(const char *tmp, hc_error_t **err)
{
	char record[PATH_MAX];
	size_t n = strlen(tmp) - strlen(TMP_SUFFIX);
	struct hcrun_oci_kit kit;
	int rc;

	snprintf(record, sizeof(record), "%.*s", (int)n, tmp);
	if (hcrun_oci_state_lock(record, &kit, false, err) < 0) {
		hcrun_oci_kit_clear(&kit);
		if ((*err)->errnum == EWOULDBLOCK) {
			hc_error_free(err);
			return 0; /* its writer is at work */
		}
		/* No record (a first write that died), or one that gc_record
		 * reports: the temporary file is stale all the same. */
		hc_error_free(err);
	}
	/* Held across the removal: a writer of the record waits meanwhile. */
	rc = gc_tmp(tmp, err);
	hcrun_oci_kit_clear(&kit);
	return rc;
}

/*
 * A state directory (the hook's, the shim's): every record, every stale
 * temporary file; anything else is not ours and reported. Then the
 * directory itself when empty; the shim's only when no create holds it
 * (runtime.c's flock protocol).
 */
static bool gc_dir(const char *dir, bool flocked)
{
	hc_cleanup_error hc_error_t *err = NULL;
	bool consistent = true;
	struct dirent **names = NULL;
	int i, n;

	n = scandir(dir, &names, NULL, alphasort);
	if (n < 0) {
		if (errno == ENOENT)
			return true;
		hc_error_sys(&err, errno, "read %s", dir);
		hcrun_report(&err);
		return false;
	}
	for (i = 0; i < n; i++) {
		const char *name = names[i]->d_name;
		char path[PATH_MAX];
		int rc = 0;

		if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
			continue;
		if (snprintf(path, sizeof(path), "%s/%s", dir, name) >= (int)sizeof(path))
			rc = hc_error_set(&err, ENAMETOOLONG, "%s/%s: path too long", dir, name);
		else if (has_suffix(name, ".json" TMP_SUFFIX))
			rc = gc_record_tmp(path, &err);
		else if (has_suffix(name, ".json") && name[0] != '.')
			rc = gc_record(path, &err);
		else
			rc = hc_error_set(&err, EINVAL, "%s: not a record of the kit's: left alone",
					  path);
		if (rc < 0) {
			hcrun_report(&err);
			consistent = false;
		}
	}
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	if (flocked) {
		hc_cleanup_close int fd =
			open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);

		if (fd < 0 || flock(fd, LOCK_EX | LOCK_NB) < 0)
			return consistent;
		if (rmdir(dir) == 0)
			printf("%s: removed the empty state directory\n", dir);
	} else if (rmdir(dir) == 0) {
		printf("%s: removed the empty state directory\n", dir);
	}
	return consistent;
}

/* A bundle (or a state file): its record, then the stale temporary files
 * of the record and of config.json when no operation holds the record. */
static bool gc_target(const char *target)
{
	hc_cleanup_error hc_error_t *err = NULL;
	char path[PATH_MAX], tmp[PATH_MAX], config[PATH_MAX];
	bool consistent = true;
	struct hcrun_oci_kit kit;
	struct stat sb;
	char *slash;

	if (hcrun_oci_state_path_of(target, path, sizeof(path), &err) < 0) {
		hcrun_report(&err);
		return false;
	}
	if (lstat(path, &sb) == 0 || errno != ENOENT) {
		if (gc_record(path, &err) < 0) {
			hcrun_report(&err);
			consistent = false;
		}
	}
	if (snprintf(tmp, sizeof(tmp), "%s" TMP_SUFFIX, path) >= (int)sizeof(tmp) ||
	    snprintf(config, sizeof(config), "%s", path) >= (int)sizeof(config))
		return consistent;
	if (gc_record_tmp(tmp, &err) < 0) {
		hcrun_report(&err);
		consistent = false;
	}
	/* config.json's own, beside a bundle's record: only while no
	 * operation holds the record (one writes the config under it). */
	slash = strrchr(config, '/');
	if (slash == NULL || strcmp(slash + 1, HCRUN_OCI_STATE_FILE) != 0)
		return consistent;
	snprintf(slash + 1, sizeof(config) - (size_t)(slash + 1 - config),
		 "config.json" TMP_SUFFIX);
	if (hcrun_oci_state_lock(path, &kit, false, &err) < 0) {
		if (err->errnum == EWOULDBLOCK) {
			hcrun_oci_kit_clear(&kit);
			return consistent;
		}
		hc_error_free(&err);
	}
	if (gc_tmp(config, &err) < 0) {
		hcrun_report(&err);
		consistent = false;
	}
	hcrun_oci_kit_clear(&kit);
	return consistent;
}

bool hcrun_oci_gc(const struct hcrun_oci_gc_opts *o)
{
	bool consistent = true;
	size_t i;

	for (i = 0; i < o->ntargets; i++)
		consistent = gc_target(o->targets[i]) && consistent;
	consistent = gc_dir(o->hook_dir != NULL ? o->hook_dir : hcrun_oci_hook_dir(), false) &&
		     consistent;
	consistent = gc_dir(o->runtime_state != NULL ? o->runtime_state : hcrun_runtime_state_dir(),
			    true) &&
		     consistent;
	return consistent;
}
