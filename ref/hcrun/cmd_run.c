// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * hcrun run: create, then start. Foreground unless -d; with --rm the
 * container is deleted once it exits, and also when it fails to start: a
 * failed run --rm leaves nothing behind.
 */
#include <stdio.h>

#include "hcrun.h"

int hcrun_cmd_run(int argc, char *argv[], hc_error_t **err)
{
	struct hcrun_create_opts o;
	struct hcrun_start_opts opts;
	sigset_t saved;
	int ret;

	ret = hcrun_create_parse(argc, argv, true, &o, err);
	if (ret != 0) {
		hcrun_config_clear(&o.cfg);
		return ret < 0 ? HCRUN_EXIT_ERROR : 0;
	}
	/* No gap between create and start where a ^C would leave a --rm
	 * container behind. */
	hcrun_signals_block(&saved);
	if (hcrun_create(&o, err) < 0) {
		hcrun_signals_restore(&saved);
		hcrun_config_clear(&o.cfg);
		return HCRUN_EXIT_ERROR;
	}
	opts = (struct hcrun_start_opts){.detach = o.detach, .rm = o.rm};
	/* The state now holds the config; start reads it back from there. */
	ret = hcrun_start(o.cfg.name, &opts, err);
	hcrun_signals_restore(&saved);
	if (ret == 0 && o.detach)
		printf("%s\n", o.cfg.name);
	hcrun_config_clear(&o.cfg);
	return ret;
}
