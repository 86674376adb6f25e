// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * hcrun delete: the end of a container's host channels (contract section
 * 3): each tmpfs unmounted (lazily when a host process still holds it) and
 * the directories create made removed, then the memory cgroup, then the
 * state. The cgroup goes after the unmount: tmpfs pages written from the
 * container are charged to it, and while they exist it could only die, not
 * vanish.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>

#include "hcrun.h"

static const char delete_usage[] =
	"Usage: hcrun delete [-f] NAME...\n"
	"       hcrun rm [-f] NAME...\n"
	"\n"
	"Delete containers: unmount their host channels, remove the host paths\n"
	"create made (never anything else), remove their memory cgroup and state.\n"
	"\n"
	"Options:\n"
	"  -f, --force  kill (SIGKILL) a running container first\n"
	"  -h, --help   print this help\n";

int hcrun_delete_locked(struct hcrun_state *st, hc_error_t **err)
{
	char tag[HCRUN_NAME_MAX + sizeof(HCRUN_TAG_PREFIX)];
	const char *name = st->cfg.name;
	bool failed = false;
	size_t i;

	hcrun_channel_tag(name, tag, sizeof(tag));
	/* Reverse order of preparation: what was made last goes first. */
	for (i = st->cfg.nchannels; i-- > 0;) {
		struct hcrun_channel *ch = &st->cfg.channels[i];
		hc_cleanup_error hc_error_t *e = NULL;

		if (hc_host_teardown(&ch->host, tag, &e) < 0) {
			hc_error_prefix(&e, "delete %s: host channel %s", name, ch->spec.host_path);
			hcrun_report(&e);
			failed = true;
			continue;
		}
		hcrun_fault("delete", "channel torn down");
		/* Done with: a retry must not look at that path again, in case
		 * someone makes a new one there. */
		ch->mounted = false;
		ch->host.real_path[0] = '\0';
	}
	if (st->cgroup.version != HC_CGROUP_NONE) {
		hc_cleanup_error hc_error_t *e = NULL;

		if (hc_memcg_destroy(&st->cgroup, &e) < 0) {
			hc_error_prefix(&e, "delete %s", name);
			hcrun_report(&e);
			failed = true;
		} else {
			hcrun_fault("delete", "cgroup removed");
			st->cgroup.version = HC_CGROUP_NONE;
			st->cgroup.path[0] = '\0';
			/* The last container out leaves the hierarchy as found. */
			if (hc_memcg_remove_parent(hcrun_cgroup_parent(), &e) < 0)
				hcrun_report(&e);
			hcrun_fault("delete", "cgroup parent removed if empty");
		}
	}
	if (failed) {
		/* The state keeps what is left, so that delete (or gc) can try
		 * again; dropping it would orphan a mount or a cgroup. */
		if (hcrun_state_save(st, err) < 0)
			return -1;
		return hc_error_set(err, 0,
				    "container %s was not fully deleted; its state is kept: run "
				    "hcrun delete %s again",
				    name, name);
	}
	return hcrun_state_remove(name, err);
}

int hcrun_delete(const char *name, bool force, hc_error_t **err)
{
	struct hcrun_state st;
	int lock = -1, ret;

	if (force) {
		/* Unlocked: the monitor needs the lock to record the exit. */
		if (hcrun_stop(name, 0, err) < 0)
			return -1;
		hcrun_fault("delete", "stopped (-f)");
	}
	if (hcrun_state_lock(name, &lock, err) < 0) {
		/* Its monitor deleted it (--rm) after the kill: done. */
		if (force && (*err)->errnum == ENOENT) {
			hc_error_free(err);
			return 0;
		}
		return -1;
	}
	if (hcrun_state_load(name, &st, err) < 0) {
		hcrun_state_unlock(&lock);
		return -1;
	}
	if (hcrun_state_live_status(&st) == HCRUN_RUNNING) {
		hc_error_set(err, EBUSY, "container %s is running: stop it first, or use delete -f",
			     name);
		ret = -1;
	} else {
		/* A "running" whose process is gone, or a "creating" whose
		 * create died (it held this lock otherwise): both are safe. */
		ret = hcrun_delete_locked(&st, err);
	}
	hcrun_state_clear(&st);
	hcrun_state_unlock(&lock);
	return ret;
}

int hcrun_cmd_delete(int argc, char *argv[], hc_error_t **err)
{
	static const struct option longopts[] = {
		{"force", no_argument, NULL, 'f'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	bool force = false, failed = false;
	int c;

	opterr = 0;
	while ((c = getopt_long(argc, argv, "+:fh", longopts, NULL)) != -1) {
		switch (c) {
		case 'f':
			force = true;
			break;
		case 'h':
			fputs(delete_usage, stdout);
			return 0;
		default:
			return hcrun_opt_error(argv[0], c, argv, err);
		}
	}
	if (optind >= argc)
		return hc_error_set(err, 0, "%s: expected container names (see hcrun %s --help)",
				    argv[0], argv[0]);
	/* One failure does not spare the others. */
	for (; optind < argc; optind++) {
		if (hcrun_delete(argv[optind], force, err) < 0) {
			hcrun_report(err);
			failed = true;
		}
	}
	return failed ? HCRUN_EXIT_ERROR : 0;
}
