// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * hcrun exec: one more process in a running container: its namespaces, its
 * root, its memory cgroup (what the process writes to a channel is charged
 * to the container, as the init's writes are), its capabilities.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "hcrun.h"

static const char exec_usage[] =
	"Usage: hcrun exec [OPTIONS] NAME [--] COMMAND [ARG...]\n"
	"\n"
	"Run COMMAND in the running container NAME; exit with its status.\n"
	"\n"
	"Options:\n"
	"  -i, --interactive     pass stdin (otherwise /dev/null)\n"
	"  -t, --tty             give the command a terminal\n"
	"  -u, --user UID[:GID]  run as this numeric user (default: the container's)\n"
	"  -h, --help            print this help\n";

int hcrun_cmd_exec(int argc, char *argv[], hc_error_t **err)
{
	static const struct option longopts[] = {
		{"interactive", no_argument, NULL, 'i'},
		{"tty", no_argument, NULL, 't'},
		{"user", required_argument, NULL, 'u'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	bool interactive = false, tty = false, user_set = false, blocked = false;
	sigset_t saved_mask;
	char procs[PATH_MAX], **cmd;
	struct hcrun_state st;
	struct hcrun_proc proc = {.pid = 0, .sync_fd = -1, .pty_master = -1};
	const char *name;
	int c, code = HCRUN_EXIT_ERROR, status, saved_stdin = -1;
	uid_t uid = 0;
	gid_t gid = 0;

	opterr = 0;
	while ((c = getopt_long(argc, argv, "+:itu:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'i':
			interactive = true;
			break;
		case 't':
			tty = true;
			break;
		case 'u':
			if (hcrun_user_parse(optarg, &uid, &gid, err) < 0)
				return -1;
			user_set = true;
			break;
		case 'h':
			fputs(exec_usage, stdout);
			return 0;
		default:
			return hcrun_opt_error("exec", c, argv, err);
		}
	}
	if (optind >= argc)
		return hc_error_set(err, 0,
				    "exec: expected a container name (see hcrun exec --help)");
	name = argv[optind++];
	if (optind < argc && strcmp(argv[optind], "--") == 0)
		optind++;
	if (optind >= argc)
		return hc_error_set(err, 0, "exec: expected a command after the name %s", name);
	cmd = argv + optind;

	/* No lock: reading is safe (rename), and exec changes no state. */
	if (hcrun_state_load(name, &st, err) < 0)
		return HCRUN_EXIT_ERROR;
	if (hcrun_state_live_status(&st) != HCRUN_RUNNING) {
		hc_error_set(err, 0, "container %s is not running", name);
		goto out;
	}
	if (!user_set) {
		user_set = st.cfg.user_set;
		uid = st.cfg.uid;
		gid = st.cfg.gid;
	}
	if (st.cgroup.version != HC_CGROUP_NONE && snprintf(procs, sizeof(procs), "%s/cgroup.procs",
							    st.cgroup.path) >= (int)sizeof(procs)) {
		hc_error_set(err, ENAMETOOLONG, "cgroup path of %s is too long", name);
		goto out;
	}
	/* Until hcrun_proc_wait forwards them: a ^C during the setup must not
	 * leave the command running with nobody waiting for it. */
	hcrun_signals_block(&saved_mask);
	blocked = true;
	if (!interactive && hcrun_stdin_null(&saved_stdin, err) < 0)
		goto out;
	if (hcrun_exec_spawn(&st.cfg, st.pid, st.cgroup.version != HC_CGROUP_NONE ? procs : NULL,
			     cmd, user_set, uid, gid, tty, &proc, err) < 0) {
		hcrun_stdin_restore(&saved_stdin);
		goto out;
	}
	hcrun_stdin_restore(&saved_stdin);
	if (hcrun_container_release(&proc, &code, err) < 0) {
		hcrun_proc_abort(&proc);
		goto out;
	}
	if (hcrun_proc_wait(&proc, interactive, &status, err) < 0)
		hcrun_report(err); /* the status below is still the command's */
	code = status;
out:
	if (blocked)
		hcrun_signals_restore(&saved_mask);
	hcrun_state_clear(&st);
	return code;
}
