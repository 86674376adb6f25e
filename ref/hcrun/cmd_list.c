// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * hcrun list: one line per container. As docker ps: running ones only,
 * unless -a. The status shown is the live one: a container recorded as
 * running whose process is gone shows as stopped.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>

#include "hcrun.h"

static const char list_usage[] =
	"Usage: hcrun list [-a] [-q]\n"
	"       hcrun ps [-a] [-q]\n"
	"\n"
	"List containers: NAME STATUS PID CHANNELS (HOST:CONTAINER:MODE:SIZE, comma-\n"
	"separated).\n"
	"\n"
	"Options:\n"
	"  -a, --all    all containers, not only the running ones\n"
	"  -q, --quiet  names only\n"
	"  -h, --help   print this help\n";

static void print_channels(const struct hcrun_config *cfg)
{
	size_t i;

	if (cfg->nchannels == 0) {
		fputs("-", stdout);
		return;
	}
	for (i = 0; i < cfg->nchannels; i++) {
		char spec[2 * PATH_MAX + 64];

		if (hc_spec_format(&cfg->channels[i].spec, spec, sizeof(spec)) < 0)
			snprintf(spec, sizeof(spec), "%s:%s", cfg->channels[i].spec.host_path,
				 cfg->channels[i].spec.container_path);
		printf("%s%s", i > 0 ? "," : "", spec);
	}
}

int hcrun_cmd_list(int argc, char *argv[], hc_error_t **err)
{
	static const struct option longopts[] = {
		{"all", no_argument, NULL, 'a'},
		{"quiet", no_argument, NULL, 'q'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	bool all = false, quiet = false;
	struct hcrun_state *states;
	size_t i, count;
	int c, ret;

	while ((c = hcrun_getopt(argc, argv, argv[0], "+:aqh", longopts, list_usage, err)) > 0) {
		switch (c) {
		case 'a':
			all = true;
			break;
		case 'q':
			quiet = true;
			break;
		}
	}
	if (c != HCRUN_OPT_END)
		return c == HCRUN_OPT_HELP ? 0 : -1;
	if (optind < argc)
		return hc_error_set(err, EINVAL, "%s: unexpected argument \"%s\"", argv[0],
				    argv[optind]);
	ret = hcrun_list(all, &states, &count, err);
	if (ret < 0)
		return HCRUN_EXIT_ERROR;
	if (!quiet)
		printf("%-16s %-9s %-8s %s\n", "NAME", "STATUS", "PID", "CHANNELS");
	for (i = 0; i < count; i++) {
		const struct hcrun_state *st = &states[i];

		if (quiet) {
			printf("%s\n", st->cfg.name);
		} else {
			char pid[16] = "-";

			if (st->status == HCRUN_RUNNING)
				snprintf(pid, sizeof(pid), "%d", (int)st->pid);
			printf("%-16s %-9s %-8s ", st->cfg.name, hcrun_status_name(st->status),
			       pid);
			print_channels(&st->cfg);
			putchar('\n');
		}
	}
	hcrun_list_free(states, count);
	/* 1: some could not be read, and said so. */
	return ret != 0 ? HCRUN_EXIT_ERROR : 0;
}
