// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * hcrun list: one line per container. As docker ps: running ones only,
 * unless -a. The status shown is the live one: a container recorded as
 * running whose process is gone shows as stopped.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

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
	bool all = false, quiet = false, failed = false;
	char **names = NULL;
	size_t i, count = 0;
	int c;

	opterr = 0;
	while ((c = getopt_long(argc, argv, "+:aqh", longopts, NULL)) != -1) {
		switch (c) {
		case 'a':
			all = true;
			break;
		case 'q':
			quiet = true;
			break;
		case 'h':
			fputs(list_usage, stdout);
			return 0;
		default:
			return hcrun_opt_error(argv[0], c, argv, err);
		}
	}
	if (optind < argc)
		return hc_error_set(err, 0, "%s: unexpected argument \"%s\"", argv[0],
				    argv[optind]);
	if (hcrun_state_names(&names, &count, err) < 0)
		return HCRUN_EXIT_ERROR;
	if (!quiet)
		printf("%-16s %-9s %-8s %s\n", "NAME", "STATUS", "PID", "CHANNELS");
	for (i = 0; i < count; i++) {
		hc_cleanup_error hc_error_t *e = NULL;
		struct hcrun_state st;
		enum hcrun_status status;

		if (hcrun_name_check(names[i], NULL) < 0)
			continue; /* not a container of ours; gc reports it */
		if (hcrun_state_load(names[i], &st, &e) < 0) {
			/* Between mkdir and the first state write, or removed
			 * meanwhile: not worth a word. Anything else is. */
			if (e->errnum != ENOENT) {
				hcrun_report(&e);
				failed = true;
			}
			continue;
		}
		status = hcrun_state_live_status(&st);
		if (all || status == HCRUN_RUNNING) {
			if (quiet) {
				printf("%s\n", st.cfg.name);
			} else {
				char pid[16] = "-";

				if (status == HCRUN_RUNNING)
					snprintf(pid, sizeof(pid), "%d", (int)st.pid);
				printf("%-16s %-9s %-8s ", st.cfg.name, hcrun_status_name(status),
				       pid);
				print_channels(&st.cfg);
				putchar('\n');
			}
		}
		hcrun_state_clear(&st);
	}
	hcrun_names_free(names, count);
	return failed ? HCRUN_EXIT_ERROR : 0;
}
