// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * hcrun create: make a container and print its name. The options are run's
 * too (create_opts.c); the work is the lifecycle core's (lifecycle.c).
 */
#include <stdio.h>

#include "hcrun.h"

int hcrun_cmd_create(int argc, char *argv[], hc_error_t **err)
{
	struct hcrun_create_opts o;
	int ret;

	ret = hcrun_create_parse(argc, argv, false, &o, err);
	if (ret == 0)
		ret = hcrun_create(&o, err);
	if (ret == 0)
		printf("%s\n", o.cfg.name);
	hcrun_create_opts_clear(&o);
	return ret < 0 ? HCRUN_EXIT_ERROR : 0;
}
