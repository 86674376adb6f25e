// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The one place that prints an error, and the wording of getopt's. Apart
 * from main.c so that the verbs and the lifecycle core, which main.c
 * dispatches to, can use them without calling back into it.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "hcrun.h"

void hcrun_report(hc_error_t **err)
{
	if (err == NULL || *err == NULL)
		return;
	fprintf(stderr, "hcrun: %s\n", (*err)->msg != NULL ? (*err)->msg : "unknown error");
	hc_error_free(err);
}

int hcrun_opt_error(const char *cmd, int c, char *const argv[], hc_error_t **err)
{
	/* getopt leaves the offending word just before optind. */
	const char *word = optind > 0 ? argv[optind - 1] : "";
	char shortopt[3] = {'-', (char)optopt, '\0'};
	bool global = strcmp(cmd, "hcrun") == 0;

	if (optopt != 0 && strncmp(word, "--", 2) != 0)
		word = shortopt;
	if (c == ':')
		return hc_error_set(err, EINVAL,
				    "%s%soption %s needs a value (see hcrun%s%s --help)",
				    global ? "" : cmd, global ? "" : ": ", word, global ? "" : " ",
				    global ? "" : cmd);
	/* A known long option given a value it does not take: "--rm=yes". */
	if (optopt != 0 && strncmp(word, "--", 2) == 0)
		return hc_error_set(err, EINVAL,
				    "%s%soption %.*s takes no value (see hcrun%s%s --help)",
				    global ? "" : cmd, global ? "" : ": ", (int)strcspn(word, "="),
				    word, global ? "" : " ", global ? "" : cmd);
	return hc_error_set(err, EINVAL, "%s%sunknown option %s (see hcrun%s%s --help)",
			    global ? "" : cmd, global ? "" : ": ", word, global ? "" : " ",
			    global ? "" : cmd);
}

int hcrun_getopt(int argc, char *argv[], const char *cmd, const char *optstring,
		 const struct option *longopts, const char *usage, hc_error_t **err)
{
	int c;

	opterr = 0;
	c = getopt_long(argc, argv, optstring, longopts, NULL);
	if (c == -1)
		return HCRUN_OPT_END;
	if (c == 'h') {
		fputs(usage, stdout);
		return HCRUN_OPT_HELP;
	}
	if (c == '?' || c == ':') {
		hcrun_opt_error(cmd, c, argv, err);
		return HCRUN_OPT_BAD;
	}
	return c;
}
