// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * hcrun run: create, then start. Foreground unless -d; with --rm the
 * container is deleted once it exits, and also when it fails to start: a
 * failed run --rm leaves nothing behind. The options are create's
 * (create_opts.c); the work is the lifecycle core's (lifecycle_start.c).
 */
#include <stdio.h>

#include "hcrun.h"

int hcrun_cmd_run(int argc, char *argv[], hc_error_t **err)
{
	struct hcrun_create_opts o;
	int ret;

	ret = hcrun_create_parse(argc, argv, true, &o, err);
	if (ret != 0) {
		hcrun_create_opts_clear(&o);
		return ret < 0 ? HCRUN_EXIT_ERROR : 0;
	}
	ret = hcrun_run(&o, err);
	if (ret == 0 && o.detach)
		printf("%s\n", o.cfg.name);
	hcrun_create_opts_clear(&o);
	return ret;
}
