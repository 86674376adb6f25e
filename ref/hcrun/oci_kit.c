// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The OCI kit's operations: hcrun oci prepare, teardown and keep, and the
 * steps the hook (oci_hook.c) shares with them, on the state and config
 * files of oci.c. Every way in, whoever hands it the specs, walks the same
 * three steps, so that what one of them checks, all do:
 *   hcrun_oci_kit_add_specs   the gate: every spec of the container parsed
 *                             and checked; nothing touched yet
 *   hcrun_oci_kit_attach      the config edited on a copy (a malformed one
 *                             refuses here), then the host side made,
 *                             recorded first, and the config edited for
 *                             real; a failure undoes the host side
 *   hcrun_oci_release         exactly what a state file lists removed, or
 *                             spared once after keep
 * An engine that runs its own hooks at start (LXC, lxc.c) splits the middle
 * step: hcrun_oci_kit_prepare without the mount at create, and
 * hcrun_oci_kit_mount from its start hook, which finds the channels still
 * mounted after a stop and uses them again.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <json.h>

#include "hcrun.h"

/* ------------------------------------------------------------- the gate */

/*
 * THE GATE: every spec a container asks for passes here, from whichever
 * input (--host-channel, the hook's annotation, the shim's), before
 * anything is made; hcrun_oci_kit_attach() makes nothing for a kit that did
 * not pass it. The same checks, and the same words, as hcrun create: every
 * spec parsed against the system's bounds, no two channels sharing or
 * nesting a path, no host path that exists. For input that is not the
 * administrator's, the host policy (policy.c) comes before the checks that
 * look at the disk, so that a refusal says nothing of what exists outside
 * the allowed prefixes; prepare checks its path rules again on what it is
 * about to make (kit_journal). Nothing on disk is touched.
 */
int hcrun_oci_kit_add_specs(struct hcrun_oci_kit *kit, const struct hcrun_policy *policy,
			    char *const specs[], size_t nspecs, hc_error_t **err)
{
	hc_cleanup_free const struct hc_spec **parsed = NULL;
	struct hc_limits limits;
	size_t i, j;

	/* Counted first: a thousand specs cost nothing to refuse. */
	if (policy != NULL && hcrun_policy_check_count(policy, nspecs, err) < 0)
		return hc_error_prefix(err, "--host-channel");
	if (hc_limits_from_system(&limits, err) < 0)
		return -1;
	kit->channels = calloc(nspecs ? nspecs : 1, sizeof(*kit->channels));
	parsed = calloc(nspecs ? nspecs : 1, sizeof(*parsed));
	if (kit->channels == NULL || parsed == NULL)
		return hc_error_sys(err, ENOMEM, "--host-channel");
	for (i = 0; i < nspecs; i++) {
		struct hc_spec *a = &kit->channels[i].spec;

		if (hc_spec_parse(specs[i], &limits, a, err) < 0)
			return hc_error_prefix(err, "--host-channel");
		kit->nchannels = i + 1;
		parsed[i] = a;
		/* Until prepare makes it, teardown must not look at the path. */
		snprintf(kit->channels[i].host.path, sizeof(kit->channels[i].host.path), "%s",
			 a->host_path);
	}
	if (policy != NULL && hcrun_policy_check_specs(policy, parsed, nspecs, err) < 0)
		return hc_error_prefix(err, "--host-channel");
	for (i = 0; i < nspecs; i++) {
		const struct hc_spec *a = parsed[i];

		for (j = 0; j < i; j++)
			if (hcrun_channels_conflict(a, parsed[j], err) < 0)
				return -1;
		if (hcrun_host_path_absent(a, err) < 0)
			return -1;
	}
	kit->policy = policy;
	kit->checked = true;
	return 0;
}

int hcrun_oci_kit_set_tag(struct hcrun_oci_kit *kit, const char *id, hc_error_t **err)
{
	char rnd[HCRUN_OCI_ID_MAX + 1];

	if (id == NULL) {
		if (hcrun_oci_random_id(rnd, sizeof(rnd), err) < 0)
			return -1;
		id = rnd;
	} else if (hcrun_name_check(id, err) < 0) {
		return hc_error_prefix(err, "--id");
	}
	snprintf(kit->tag, sizeof(kit->tag), "%s%s", HCRUN_OCI_TAG_PREFIX, id);
	return 0;
}

/* ------------------------------------------------------------ host side */

/*
 * Crash faults (fault.c): every step below that makes, mounts, writes or
 * removes something has a point after it, counted under the verb of the
 * command that runs the kit (oci-prepare, hook-precreate, runtime-create,
 * and the teardowns), so that a test can kill the command at each and
 * check that hcrun oci gc and the next ordinary command repair it.
 */

/* A step of libhostchannel's teardown (an unmount, a rmdir): a point. */
static void teardown_step(void *arg, const char *what)
{
	(void)arg;
	hcrun_fault_at(what);
}

/* Tear down what the record lists, each channel, then remove the record.
 * The kit holds the record's lock (or made it). */
static int kit_teardown(struct hcrun_oci_kit *kit, hc_error_t **err)
{
	bool failed = false;
	size_t i;

	/* Reverse order of preparation: what was made last goes first. */
	for (i = kit->nchannels; i-- > 0;) {
		struct hcrun_oci_channel *ch = &kit->channels[i];
		hc_cleanup_error hc_error_t *e = NULL;

		if (ch->host.real_path[0] == '\0')
			continue;
		if (hc_host_teardown_steps(hcrun_mounts(), &ch->host, kit->tag, teardown_step, NULL,
					   &e) < 0) {
			hc_error_prefix(&e, "host channel %s", ch->spec.host_path);
			hcrun_report(&e);
			failed = true;
			continue;
		}
		hcrun_fault_at("channel torn down");
		/* Done with: a retry must not look at that path again. */
		ch->host.real_path[0] = '\0';
		ch->host.created_top[0] = '\0';
	}
	if (failed) {
		if (hcrun_oci_state_save(kit, err) < 0)
			return -1;
		return hc_error_set(err, EBUSY,
				    "host channels not fully removed; %s keeps what is left: "
				    "run hcrun oci teardown again",
				    kit->state_path);
	}
	if (hcrun_oci_state_remove(kit, err) < 0)
		return -1;
	hcrun_fault_at("record removed");
	return 0;
}

/* Undo a prepare that failed after it made something: what cannot be
 * removed stays listed in the state, for a teardown to try again. */
static void kit_undo(struct hcrun_oci_kit *kit)
{
	hc_cleanup_error hc_error_t *more = NULL;

	if (kit_teardown(kit, &more) < 0)
		hcrun_report(&more);
}

/* Mount channel i's tmpfs, or find its own still mounted there (a restart)
 * and use it again; the record gains the tmpfs's mount ID. */
static int kit_mount_one(struct hcrun_oci_kit *kit, size_t i, hc_error_t **err)
{
	struct hcrun_oci_channel *ch = &kit->channels[i];
	bool reused = false;

	if (hc_host_mount_with(hcrun_mounts(), &ch->host, ch->spec.size, kit->tag, &reused, err) <
	    0)
		return hc_error_prefix(err, "host channel %s", ch->spec.host_path);
	hcrun_fault_at("channel mounted");
	return 0;
}

/*
 * prepare's journal (hc_host_prepare_journal), called before each directory
 * is made, once its identity is known and once it is in place:
 *  - for a kit the gate checked against a policy, the policy's path rules
 *    on what prepare resolved and is about to make. The gate's check is on
 *    the same resolution, but a moment earlier: a parent swapped for a
 *    symlink in between would change the real path, and this sees it,
 *    before anything is made outside. After this, prepare walks the
 *    recorded real path with O_NOFOLLOW and makes each directory relative
 *    to the one it holds open, so the path checked is the path made;
 *  - the record written, so that a prepare killed at any point leaves a
 *    record from which gc removes exactly what was made (the record is in
 *    the kit, filled in place).
 */
static int journal_channel(void *arg, const struct hc_host *host, hc_error_t **err)
{
	struct hcrun_oci_kit *kit = arg;

	if (kit->policy != NULL && hcrun_policy_check_host(kit->policy, host, err) < 0)
		return -1;
	hcrun_fault_at("before a channel journal entry");
	if (hcrun_oci_state_save(kit, err) < 0)
		return -1;
	hcrun_fault_at("after a channel journal entry");
	return 0;
}

/* Write the record (phase "preparing", locked), make the host paths and,
 * with mount, mount the tmpfs; undoes all on error. The record stays
 * locked and "preparing" for the caller to finish (kit_commit). */
static int kit_prepare(struct hcrun_oci_kit *kit, bool mount, hc_error_t **err)
{
	struct stat sb;
	size_t i;

	/* Listed before anything is made: a prepare that dies half way
	 * leaves gc (or a teardown) the list of what to remove. A record
	 * that exists belongs to another prepare (and RENAME_NOREPLACE
	 * refuses it again, should one appear meanwhile). */
	if (lstat(kit->state_path, &sb) == 0)
		return hc_error_set(err, EEXIST,
				    "%s exists: host channels are already recorded there (hcrun "
				    "oci teardown removes them)",
				    kit->state_path);
	for (i = 0; i < kit->nchannels; i++)
		kit->channels[i].host.real_path[0] = '\0';
	kit->phase = HCRUN_OCI_PREPARING;
	hcrun_fault_at("before the record");
	if (hcrun_oci_state_create(kit, err) < 0)
		return -1;
	hcrun_fault_at("record written");
	for (i = 0; i < kit->nchannels; i++) {
		struct hcrun_oci_channel *ch = &kit->channels[i];
		size_t j;

		if (hc_host_prepare_journal(ch->spec.host_path, &ch->host, journal_channel, kit,
					    err) < 0) {
			/* It undid what it made: teardown must not touch its path. */
			memset(&ch->host, 0, sizeof(ch->host));
			hc_error_prefix(err, "--host-channel");
			goto undo;
		}
		hcrun_fault_at("channel prepared");
		if (hcrun_oci_state_save(kit, err) < 0)
			goto undo;
		hcrun_fault_at("channel recorded");
		/* Symlinked parents can make two paths one, or nest them. */
		for (j = 0; j < i; j++) {
			const char *a = ch->host.real_path, *b = kit->channels[j].host.real_path;

			if (strcmp(a, b) == 0 || hcrun_path_within(a, b) ||
			    hcrun_path_within(b, a)) {
				hc_error_set(err, EINVAL,
					     "--host-channel: host paths \"%s\" and \"%s\" nest "
					     "once resolved (\"%s\", \"%s\"): one tmpfs would "
					     "hide the other",
					     kit->channels[j].spec.host_path, ch->spec.host_path, b,
					     a);
				goto undo;
			}
		}
		if (mount && kit_mount_one(kit, i, err) < 0)
			goto undo;
	}
	/* Again, with each tmpfs's mount ID: teardown finds it by that. */
	if (mount && hcrun_oci_state_save(kit, err) < 0)
		goto undo;
	if (mount)
		hcrun_fault_at("mounts recorded");
	return 0;
undo:
	kit_undo(kit);
	return -1;
}

int hcrun_oci_kit_commit(struct hcrun_oci_kit *kit, enum hcrun_oci_phase phase, hc_error_t **err)
{
	kit->phase = phase;
	if (phase == HCRUN_OCI_RUNTIME) {
		kit->owner = getpid();
		if (hcrun_proc_start_time(kit->owner, &kit->owner_start) < 0)
			return hc_error_sys(err, errno, "the start time of this process");
	}
	if (hcrun_oci_state_save(kit, err) < 0)
		return -1;
	hcrun_fault_at(phase == HCRUN_OCI_RUNTIME ? "record handed to the runtime"
						  : "record complete");
	hcrun_oci_state_unlock(kit);
	return 0;
}

void hcrun_oci_kit_undo(struct hcrun_oci_kit *kit)
{
	kit_undo(kit);
}

int hcrun_oci_kit_prepare(struct hcrun_oci_kit *kit, bool mount, hc_error_t **err)
{
	sigset_t saved;
	int ret;

	if (!kit->checked)
		return hc_error_set(err, EINVAL,
				    "host channels not checked (hcrun_oci_kit_add_specs): "
				    "nothing made");
	/* A ^C half way would leave directories only a teardown removes. */
	hcrun_signals_block(&saved);
	ret = kit_prepare(kit, mount, err);
	if (ret == 0 && hcrun_oci_kit_commit(kit, HCRUN_OCI_PREPARED, err) < 0) {
		kit_undo(kit);
		ret = -1;
	}
	hcrun_signals_restore(&saved);
	return ret;
}

int hcrun_oci_kit_mount(struct hcrun_oci_kit *kit, hc_error_t **err)
{
	sigset_t saved;
	int ret = -1;
	size_t i;

	hcrun_signals_block(&saved);
	for (i = 0; i < kit->nchannels; i++) {
		if (kit->channels[i].host.real_path[0] == '\0') {
			hc_error_set(err, ENOENT,
				     "host channel %s: its directory was never made (a prepare "
				     "that failed); %s lists what is left",
				     kit->channels[i].spec.host_path, kit->state_path);
			goto out;
		}
		/* Recorded one by one: what is mounted, teardown finds by its ID
		 * even if a later channel fails. */
		if (kit_mount_one(kit, i, err) < 0 || hcrun_oci_state_save(kit, err) < 0)
			goto out;
	}
	ret = 0;
out:
	hcrun_signals_restore(&saved);
	return ret;
}

/* ------------------------------------------------------ kit and config */

int hcrun_oci_kit_attach(struct hcrun_oci_kit *kit, struct json_object *config, bool memory_add,
			 char *const poststop[], const char *config_path, hc_error_t **err)
{
	struct json_object *probe __attribute__((cleanup(hcrun_oci_put))) = NULL;
	sigset_t saved;
	int ret = -1;

	if (!kit->checked)
		return hc_error_set(err, EINVAL,
				    "host channels not checked (hcrun_oci_kit_add_specs): "
				    "nothing made");
	/* Edited in memory first: a malformed config refuses before
	 * anything is made. The host paths go in once they exist. */
	if (json_object_deep_copy(config, &probe, NULL) < 0)
		return hc_error_sys(err, ENOMEM, "copy %s",
				    config_path != NULL ? config_path : "the runtime config");
	if (hcrun_oci_config_edit(probe, kit, memory_add, poststop, kit->state_path, err) < 0)
		return config_path != NULL ? hc_error_prefix(err, "%s", config_path) : -1;
	/* A ^C half way would leave mounts only a teardown removes. */
	hcrun_signals_block(&saved);
	if (kit_prepare(kit, true, err) < 0)
		goto out;
	if (hcrun_oci_config_edit(config, kit, memory_add, poststop, kit->state_path, err) < 0)
		goto undo;
	if (config_path != NULL) {
		hcrun_fault_at("before the config is written");
		if (hcrun_oci_json_save(config_path, config, 0644, err) < 0)
			goto undo;
		hcrun_fault_at("config written");
	}
	ret = 0;
	goto out;
undo:
	kit_undo(kit);
out:
	hcrun_signals_restore(&saved);
	return ret;
}

int hcrun_oci_kit_release(struct hcrun_oci_kit *kit, hc_error_t **err)
{
	/* Said first: a teardown that dies half way is finished by gc, not
	 * taken for a live container's channels. */
	kit->phase = HCRUN_OCI_RELEASING;
	if (hcrun_oci_state_save(kit, err) < 0)
		return -1;
	hcrun_fault_at("record releasing");
	return kit_teardown(kit, err);
}

int hcrun_oci_release(const char *state_path, bool force, hc_error_t **err)
{
	struct hcrun_oci_kit kit;
	struct stat sb;
	sigset_t saved;
	int ret;

	if (lstat(state_path, &sb) < 0) {
		if (errno == ENOENT)
			return 0; /* idempotent: nothing (left) to remove */
		return hc_error_sys(err, errno, "%s", state_path);
	}
	/* The kit writes its states as regular files and replaces them by
	 * rename: anything else was put there by someone else, and what it
	 * leads to is not ours to remove. */
	if (!S_ISREG(sb.st_mode))
		return hc_error_set(
			err, EPERM, "%s is %s, not a state file the kit wrote: nothing removed",
			state_path, S_ISLNK(sb.st_mode) ? "a symlink" : "not a regular file");
	/* Under the record's lock: a prepare still at work, or a gc, finishes
	 * first, and the record read is the last one written. */
	if (hcrun_oci_state_lock(state_path, &kit, true, err) < 0) {
		hcrun_oci_kit_clear(&kit);
		if ((*err)->errnum != ENOENT)
			return -1;
		hc_error_free(err);
		return 0; /* idempotent: nothing (left) to remove */
	}
	hcrun_signals_block(&saved);
	if (kit.keep && !force) {
		kit.keep = false;
		ret = hcrun_oci_state_save(&kit, err);
	} else {
		ret = hcrun_oci_kit_release(&kit, err);
	}
	hcrun_signals_restore(&saved);
	hcrun_oci_kit_clear(&kit);
	return ret;
}

/* ------------------------------------------------------- the bundle kit */

/* prepare: the host side first, then the config; a failing config write
 * undoes the host side, so that a refused bundle leaves nothing behind. */
int hcrun_oci_prepare(const struct hcrun_oci_prepare_opts *o, hc_error_t **err)
{
	struct json_object *config __attribute__((cleanup(hcrun_oci_put))) = NULL;
	struct hcrun_oci_kit kit = {0};
	char config_path[PATH_MAX], bundle[PATH_MAX], exe[PATH_MAX];
	ssize_t n;
	int ret = -1;

	if (realpath(o->bundle, bundle) == NULL)
		return hc_error_sys(err, errno, "bundle %s", o->bundle);
	if (snprintf(config_path, sizeof(config_path), "%s/config.json", bundle) >=
		    (int)sizeof(config_path) ||
	    snprintf(kit.state_path, sizeof(kit.state_path), "%s/%s", bundle,
		     HCRUN_OCI_STATE_FILE) >= (int)sizeof(kit.state_path))
		return hc_error_set(err, ENAMETOOLONG, "bundle %s: path too long", bundle);
	/* Everything checked before the disk is touched, as hcrun create. */
	if (hcrun_oci_kit_add_specs(&kit, o->policy, o->specs, o->nspecs, err) < 0 ||
	    hcrun_oci_kit_set_tag(&kit, o->id, err) < 0 ||
	    hcrun_oci_json_load(config_path, &config, err) < 0)
		goto out;
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n < 0) {
		hc_error_sys(err, errno, "find the hcrun executable (readlink /proc/self/exe)");
		goto out;
	}
	exe[n] = '\0';
	{
		char *poststop[] = {exe, "oci", "teardown", kit.state_path, NULL};

		ret = hcrun_oci_kit_attach(&kit, config, o->memory_add, o->hook ? poststop : NULL,
					   config_path, err);
	}
	/* Complete only now: a prepare killed before this is rolled back. */
	if (ret == 0 && hcrun_oci_kit_commit(&kit, HCRUN_OCI_PREPARED, err) < 0) {
		kit_undo(&kit);
		ret = -1;
	}
out:
	hcrun_oci_kit_clear(&kit);
	return ret;
}

/* The state file of a bundle directory, or the argument itself. */
int hcrun_oci_state_path_of(const char *arg, char *buf, size_t len, hc_error_t **err)
{
	struct stat sb;
	char abs[PATH_MAX];
	int n;

	if (stat(arg, &sb) == 0 && S_ISDIR(sb.st_mode)) {
		if (realpath(arg, abs) == NULL)
			return hc_error_sys(err, errno, "bundle %s", arg);
		n = snprintf(buf, len, "%s/%s", abs, HCRUN_OCI_STATE_FILE);
	} else {
		n = snprintf(buf, len, "%s", arg);
	}
	if (n < 0 || (size_t)n >= len)
		return hc_error_set(err, ENAMETOOLONG, "%s: path too long", arg);
	return 0;
}

/* A poststop hook is handed the OCI state on stdin: read it when it is a
 * pipe, so that the runtime's writer never meets a closed pipe. */
static void drain_stdin_pipe(void)
{
	struct stat sb;
	char buf[4096];

	if (fstat(STDIN_FILENO, &sb) < 0 || !S_ISFIFO(sb.st_mode))
		return;
	while (read(STDIN_FILENO, buf, sizeof(buf)) > 0)
		;
}

int hcrun_oci_teardown(const char *target, bool force, hc_error_t **err)
{
	char path[PATH_MAX];

	if (hcrun_oci_state_path_of(target, path, sizeof(path), err) < 0)
		return -1;
	drain_stdin_pipe();
	return hcrun_oci_release(path, force, err);
}

int hcrun_oci_keep(const char *target, hc_error_t **err)
{
	struct hcrun_oci_kit kit;
	char path[PATH_MAX];
	int ret;

	if (hcrun_oci_state_path_of(target, path, sizeof(path), err) < 0)
		return -1;
	ret = hcrun_oci_state_lock(path, &kit, true, err);
	if (ret == 0) {
		kit.keep = true;
		ret = hcrun_oci_state_save(&kit, err);
	}
	hcrun_oci_kit_clear(&kit);
	return ret;
}
