// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * hcrun start: start a created (or stopped) container. Detached by default,
 * as docker start: a monitor waits for it; -a waits here and returns its
 * exit status.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>

#include "hcrun.h"

static const char start_usage[] =
	"Usage: hcrun start [-a] NAME\n"
	"\n"
	"Start a created or stopped container. Its host channels are mounted (a\n"
	"restart reuses them: their data survives stop/start).\n"
	"\n"
	"Options:\n"
	"  -a, --attach  stay in the foreground: relay the terminal, forward\n"
	"                signals, exit with the container's status\n"
	"  -h, --help    print this help\n";

int hcrun_cmd_start(int argc, char *argv[], hc_error_t **err)
{
	static const struct option longopts[] = {
		{"attach", no_argument, NULL, 'a'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct hcrun_start_opts opts = {.detach = true};
	int c;

	while ((c = hcrun_getopt(argc, argv, "start", "+:ah", longopts, start_usage, err)) > 0) {
		switch (c) {
		case 'a':
			opts.detach = false;
			break;
		}
	}
	if (c != HCRUN_OPT_END)
		return c == HCRUN_OPT_HELP ? 0 : -1;
	if (argc - optind != 1)
		return hc_error_set(err, EINVAL,
				    "start: expected one container name (see hcrun start --help)");
	/* --rm given at create is honoured by the monitor through the state. */
	return hcrun_start(argv[optind], &opts, err);
}
