// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * hcrun lxc: host channels for LXC containers through their config, without
 * patching LXC. "config" is the container's create (the specs checked, the
 * host paths made, the config lines printed); "hook" is what LXC runs at
 * pre-start (mount, or reuse after a stop), mount (the bind inside the
 * rootfs), start-host (the bind's propagation) and destroy (tear down).
 * Same grammar, messages and exit code (125) as hcrun create. This file
 * parses the options and makes one call into lxc.c.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hcrun.h"

static const char lxc_usage[] =
	"Usage: hcrun lxc config --name NAME --state FILE [OPTIONS]\n"
	"       hcrun lxc hook --state FILE [NAME lxc TYPE]\n"
	"\n"
	"Host channels for an LXC container, through its config (lxc.container.conf).\n"
	"\n"
	"config    validate each SPEC as hcrun create does, make each host path (not\n"
	"          mounted yet), record them in FILE (it must not exist), and print\n"
	"          the lines to add to the container's config: lxc.hook.pre-start,\n"
	"          mount, start-host and destroy, each running \"hcrun lxc hook\n"
	"          --state FILE\", and the memory limit. A bad SPEC or an existing\n"
	"          host path exits 125 having made nothing\n"
	"    --name NAME           the LXC container's name (the tmpfs source is\n"
	"                          " HCRUN_LXC_TAG_PREFIX "NAME)\n"
	"    --state FILE          the state file (the OCI kit's format)\n"
	"    --host-channel SPEC   HOST_PATH:CONTAINER_PATH[:rw|ro[,PROPAGATION][:SIZE]]\n"
	"    --memory BYTES        a memory limit line (a SIZE such as 64M works too)\n"
	"    --memory-add-channel  raise that limit by the sum of the channel sizes\n"
	"    --cgroup v1|v2|auto   lxc.cgroup.memory.limit_in_bytes (v1) or\n"
	"                          lxc.cgroup2.memory.max (v2); auto (default): v2\n"
	"                          where a cgroup2 mount offers the memory controller\n"
	"hook      the hook LXC runs, with the container's name, the section and the\n"
	"          hook type as arguments (or LXC_NAME and LXC_HOOK_TYPE with\n"
	"          lxc.hook.version = 1):\n"
	"            pre-start   mount each tmpfs on the host, or after a stop find\n"
	"                        it mounted and use it again\n"
	"            mount       bind each tmpfs at its container path inside the\n"
	"                        rootfs (LXC_ROOTFS_MOUNT), never through a symlink\n"
	"                        out of it\n"
	"            start-host  give each bind in the container (LXC_PID) its\n"
	"                        propagation, which LXC makes shared\n"
	"            destroy     unmount and remove what config made, then FILE\n"
	"            stop, post-stop   nothing: the channels keep their data\n"
	"\n"
	"After a crash or a failed destroy, \"hcrun oci teardown FILE\" removes what\n"
	"FILE lists.\n";

static int parse_cgroup(const char *text, enum hc_cgroup_version *version, hc_error_t **err)
{
	if (strcmp(text, "v1") == 0)
		*version = HC_CGROUP_V1;
	else if (strcmp(text, "v2") == 0)
		*version = HC_CGROUP_V2;
	else if (strcmp(text, "auto") == 0)
		*version = HC_CGROUP_NONE;
	else
		return hc_error_set(err, EINVAL, "--cgroup \"%s\": expected v1, v2 or auto", text);
	return 0;
}

static int lxc_config(int argc, char *argv[], hc_error_t **err)
{
	static const struct option longopts[] = {
		{"name", required_argument, NULL, 'n'},
		{"state", required_argument, NULL, 's'},
		{"host-channel", required_argument, NULL, 'c'},
		{"memory", required_argument, NULL, 'M'},
		{"memory-add-channel", no_argument, NULL, 'm'},
		{"cgroup", required_argument, NULL, 'g'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct hcrun_lxc_config_opts o = {0};
	hc_cleanup_free char **specs = NULL;
	int c;

	specs = calloc(argc + 1, sizeof(char *));
	if (specs == NULL)
		return hc_error_sys(err, ENOMEM, "lxc config");
	while ((c = hcrun_getopt(argc, argv, "lxc config", "+:h", longopts, lxc_usage, err)) > 0) {
		switch (c) {
		case 'n':
			o.name = optarg;
			break;
		case 's':
			o.state = optarg;
			break;
		case 'c':
			specs[o.nspecs++] = optarg;
			break;
		case 'M':
			if (hc_size_parse(optarg, &o.memory, err) < 0)
				return hc_error_prefix(err, "--memory");
			break;
		case 'm':
			o.memory_add = true;
			break;
		case 'g':
			if (parse_cgroup(optarg, &o.cgroup, err) < 0)
				return -1;
			break;
		}
	}
	if (c != HCRUN_OPT_END)
		return c == HCRUN_OPT_HELP ? 0 : -1;
	if (optind != argc)
		return hc_error_set(err, EINVAL,
				    "lxc config: unexpected argument \"%s\" (see hcrun lxc --help)",
				    argv[optind]);
	if (o.name == NULL || o.state == NULL)
		return hc_error_set(err, EINVAL,
				    "lxc config: --name and --state are needed (see hcrun lxc "
				    "--help)");
	o.specs = specs;
	return hcrun_lxc_config(&o, stdout, err) < 0 ? HCRUN_EXIT_ERROR : 0;
}

static int lxc_hook(int argc, char *argv[], hc_error_t **err)
{
	static const struct option longopts[] = {
		{"state", required_argument, NULL, 's'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct hcrun_lxc_hook_opts o = {0};
	const char *pid_text;
	long pid = 0;
	int c;

	while ((c = hcrun_getopt(argc, argv, "lxc hook", "+:h", longopts, lxc_usage, err)) > 0)
		if (c == 's')
			o.state = optarg;
	if (c != HCRUN_OPT_END)
		return c == HCRUN_OPT_HELP ? 0 : -1;
	if (o.state == NULL)
		return hc_error_set(err, EINVAL,
				    "lxc hook: --state is needed (see hcrun lxc --help)");
	/* lxc.hook.version 0 (the default) passes NAME SECTION TYPE; 1 passes
	 * them in the environment. */
	if (argc - optind == 3) {
		o.name = argv[optind];
		o.type = argv[optind + 2];
		if (strcmp(argv[optind + 1], "lxc") != 0)
			return hc_error_set(err, EINVAL,
					    "lxc hook: section \"%s\": expected \"lxc\"",
					    argv[optind + 1]);
	} else if (argc == optind) {
		o.name = getenv("LXC_NAME");
		o.type = getenv("LXC_HOOK_TYPE");
		if (o.type == NULL)
			return hc_error_set(err, EINVAL,
					    "lxc hook: no hook type: expected NAME lxc TYPE, or "
					    "LXC_HOOK_TYPE in the environment");
	} else {
		return hc_error_set(err, EINVAL,
				    "lxc hook: expected NAME lxc TYPE after the options (see "
				    "hcrun lxc --help)");
	}
	pid_text = getenv("LXC_PID"); /* start-host's: the container's init */
	if (pid_text != NULL) {
		char *end;

		errno = 0;
		pid = strtol(pid_text, &end, 10);
		if (errno != 0 || end == pid_text || *end != '\0' || pid <= 0 || pid > INT_MAX)
			return hc_error_set(err, EINVAL, "lxc hook: LXC_PID \"%s\" is not a pid",
					    pid_text);
	}
	o.pid = (pid_t)pid;
	o.rootfs = getenv("LXC_ROOTFS_MOUNT"); /* the mount hook's */
	return hcrun_lxc_hook(&o, err) < 0 ? HCRUN_EXIT_ERROR : 0;
}

int hcrun_cmd_lxc(int argc, char *argv[], hc_error_t **err)
{
	const char *verb;

	if (argc < 2) {
		hc_error_set(err, EINVAL, "lxc: expected config or hook (see hcrun lxc --help)");
		return HCRUN_EXIT_ERROR;
	}
	verb = argv[1];
	if (strcmp(verb, "--help") == 0 || strcmp(verb, "-h") == 0) {
		fputs(lxc_usage, stdout);
		return 0;
	}
	/* Each verb parses its own argv from argv[0] = the verb. */
	optind = 0;
	if (strcmp(verb, "config") == 0)
		return lxc_config(argc - 1, argv + 1, err);
	if (strcmp(verb, "hook") == 0)
		return lxc_hook(argc - 1, argv + 1, err);
	hc_error_set(err, EINVAL, "lxc: unknown command \"%s\" (see hcrun lxc --help)", verb);
	return HCRUN_EXIT_ERROR;
}
