// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * hcrun inspect: the container as JSON, for people and for the test suite
 * (views.c reads it, live where it can change behind the state's back).
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>

#include <json.h>

#include "hcrun.h"

static const char inspect_usage[] =
	"Usage: hcrun inspect NAME\n"
	"\n"
	"Print the container's state as JSON: status, pid, exit code, rootfs,\n"
	"command, cgroup and its live memory figures, host channels (with a live\n"
	"check of each mount).\n"
	"\n"
	"Options:\n"
	"  -h, --help  print this help\n";

int hcrun_cmd_inspect(int argc, char *argv[], hc_error_t **err)
{
	static const struct option longopts[] = {
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	json_object *obj;
	int c;

	c = hcrun_getopt(argc, argv, "inspect", "+:h", longopts, inspect_usage, err);
	if (c != HCRUN_OPT_END)
		return c == HCRUN_OPT_HELP ? 0 : -1;
	if (argc - optind != 1)
		return hc_error_set(
			err, EINVAL,
			"inspect: expected one container name (see hcrun inspect --help)");
	if (hcrun_inspect(argv[optind], &obj, err) < 0)
		return HCRUN_EXIT_ERROR;
	puts(json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PRETTY |
							 JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(obj);
	return 0;
}
