// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * hcrun gc: repair what crashed runs left behind (gc.c does it; what it
 * repairs and what it leaves is said there).
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>

#include "hcrun.h"

static const char gc_usage[] =
	"Usage: hcrun gc\n"
	"\n"
	"Repair the state after crashes: roll back interrupted creates, record the\n"
	"exit of containers whose monitor died, remove this state root's memory\n"
	"cgroups that no container owns (another root's are never touched). Prints\n"
	"one line per action; exits 0 when all is consistent, 125 when something\n"
	"was left for a person to look at.\n"
	"\n"
	"Options:\n"
	"  -h, --help  print this help\n";

int hcrun_cmd_gc(int argc, char *argv[], hc_error_t **err)
{
	static const struct option longopts[] = {
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	int c;

	c = hcrun_getopt(argc, argv, "gc", "+:h", longopts, gc_usage, err);
	if (c != HCRUN_OPT_END)
		return c == HCRUN_OPT_HELP ? 0 : -1;
	if (optind < argc)
		return hc_error_set(err, EINVAL, "gc: unexpected argument \"%s\"", argv[optind]);
	return hcrun_gc() ? 0 : HCRUN_EXIT_ERROR;
}
