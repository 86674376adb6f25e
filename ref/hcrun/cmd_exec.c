// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * hcrun exec: options, then the lifecycle core's exec (lifecycle_start.c):
 * one more process in a running container.
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
	"COMMAND joins only the init recorded at start (its pid and its start\n"
	"time): once that init has exited, a process given its pid is never\n"
	"entered; exec then fails with 125, as for a stopped container.\n"
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
	struct hcrun_exec_opts opts = {0};
	const char *name;
	int c;

	while ((c = hcrun_getopt(argc, argv, "exec", "+:itu:h", longopts, exec_usage, err)) > 0) {
		switch (c) {
		case 'i':
			opts.interactive = true;
			break;
		case 't':
			opts.tty = true;
			break;
		case 'u':
			if (hcrun_user_parse(optarg, &opts.uid, &opts.gid, err) < 0)
				return -1;
			opts.user_set = true;
			break;
		}
	}
	if (c != HCRUN_OPT_END)
		return c == HCRUN_OPT_HELP ? 0 : -1;
	if (optind >= argc)
		return hc_error_set(err, EINVAL,
				    "exec: expected a container name (see hcrun exec --help)");
	name = argv[optind++];
	if (optind < argc && strcmp(argv[optind], "--") == 0)
		optind++;
	if (optind >= argc)
		return hc_error_set(err, EINVAL, "exec: expected a command after the name %s",
				    name);
	opts.argv = argv + optind;
	return hcrun_exec(name, &opts, err);
}
