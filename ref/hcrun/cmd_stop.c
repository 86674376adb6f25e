// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * hcrun stop: options, then the lifecycle core's stop (lifecycle.c) once
 * per name.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "hcrun.h"

static const char stop_usage[] =
	"Usage: hcrun stop [-t SECONDS] NAME...\n"
	"\n"
	"Stop running containers: SIGTERM, then SIGKILL after the timeout. A\n"
	"container that is not running is left as it is. Host channels stay\n"
	"mounted with their data until delete.\n"
	"\n"
	"Options:\n"
	"  -t, --time SECONDS  wait this long after SIGTERM (default 10)\n"
	"  -h, --help          print this help\n";

int hcrun_cmd_stop(int argc, char *argv[], hc_error_t **err)
{
	static const struct option longopts[] = {
		{"time", required_argument, NULL, 't'},
		{"timeout", required_argument, NULL, 't'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	unsigned long timeout = 10;
	bool failed = false;
	char *end;
	int c;

	while ((c = hcrun_getopt(argc, argv, "stop", "+:t:h", longopts, stop_usage, err)) > 0) {
		switch (c) {
		case 't':
			errno = 0;
			timeout = strtoul(optarg, &end, 10);
			if (end == optarg || *end != '\0' || optarg[0] == '-' || errno != 0 ||
			    timeout > 24 * 3600)
				return hc_error_set(err, EINVAL,
						    "-t \"%s\": expected whole seconds, 0 to 86400",
						    optarg);
			break;
		}
	}
	if (c != HCRUN_OPT_END)
		return c == HCRUN_OPT_HELP ? 0 : -1;
	if (optind >= argc)
		return hc_error_set(err, EINVAL,
				    "stop: expected container names (see hcrun stop --help)");
	/* One failure does not spare the others. */
	for (; optind < argc; optind++) {
		if (hcrun_stop(argv[optind], timeout, err) < 0) {
			hcrun_report(err);
			failed = true;
		}
	}
	return failed ? HCRUN_EXIT_ERROR : 0;
}
