// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * hcrun delete (rm): options, then the lifecycle core's delete
 * (lifecycle.c) once per name.
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

int hcrun_cmd_delete(int argc, char *argv[], hc_error_t **err)
{
	static const struct option longopts[] = {
		{"force", no_argument, NULL, 'f'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	bool force = false, failed = false;
	int c;

	while ((c = hcrun_getopt(argc, argv, argv[0], "+:fh", longopts, delete_usage, err)) > 0) {
		switch (c) {
		case 'f':
			force = true;
			break;
		}
	}
	if (c != HCRUN_OPT_END)
		return c == HCRUN_OPT_HELP ? 0 : -1;
	if (optind >= argc)
		return hc_error_set(err, EINVAL,
				    "%s: expected container names (see hcrun %s --help)", argv[0],
				    argv[0]);
	/* One failure does not spare the others. */
	for (; optind < argc; optind++) {
		if (hcrun_delete(argv[optind], force, err) < 0) {
			hcrun_report(err);
			failed = true;
		}
	}
	return failed ? HCRUN_EXIT_ERROR : 0;
}
