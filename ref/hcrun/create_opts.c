// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The options of create and run, which share them (as docker's do): their
 * usage text and their parser. Every option is checked here, before the
 * lifecycle core (lifecycle.c) touches the disk.
 */
#include <errno.h>
#include <getopt.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hcrun.h"

static const char create_usage[] =
	"Usage: hcrun create [OPTIONS] [--] [COMMAND [ARG...]]\n"
	"       hcrun run [OPTIONS] [--] [COMMAND [ARG...]]\n"
	"\n"
	"create makes a container and prints its name; run creates and starts it.\n"
	"COMMAND defaults to /bin/sh. Options end at the first non-option word, so\n"
	"the command's own options pass through.\n"
	"\n"
	"Options:\n"
	"      --name NAME           name ([A-Za-z0-9][A-Za-z0-9_.-], at most 64;\n"
	"                            default: 12 random hex digits)\n"
	"      --host-channel SPEC   HOST_PATH:CONTAINER_PATH[:rw|ro[,PROPAGATION][:SIZE]]\n"
	"                            a tmpfs shared with the host (repeatable); the\n"
	"                            host path must not exist; neither path may\n"
	"                            share or nest with another channel's;\n"
	"                            default rw, 64M\n"
	"      --policy FILE         check the channels against the host policy FILE\n"
	"                            (docs/policy.md), as the OCI hook and the runtime\n"
	"                            shim do; default: none (the specs are yours)\n"
	"  -m, --memory SIZE         memory limit (e.g. 512M, 1.5G; 1024-based)\n"
	"      --memory-add-channel  raise the limit by the sum of the channel sizes\n"
	"                            (the channel pages the container writes are\n"
	"                            charged to it); without --memory there is no\n"
	"                            limit to raise and this does nothing\n"
	"      --rootfs DIR          root filesystem (default: $HCRUN_ROOTFS, else\n"
	"                            \"rootfs\" beside the hcrun executable)\n"
	"  -u, --user UID[:GID]      run as this numeric user (GID default 0)\n"
	"      --cap-add CAP         add a capability (repeatable; ALL for all)\n"
	"      --cap-drop CAP        drop a capability (repeatable; ALL for all)\n"
	"      --privileged          start from every capability\n"
	"      --net none|host       network namespace: a new one with only lo (none,\n"
	"                            the default) or the host's\n"
	"  -i, --interactive         pass stdin (otherwise /dev/null)\n"
	"  -t, --tty                 give the command a terminal\n"
	"      --rm                  delete the container once it exits\n"
	"  -d, --detach              (run only) start in the background, print the name;\n"
	"                            output goes to console.log in the state dir\n"
	"                            (" HCRUN_DEFAULT_ROOT "/NAME/ unless --root moves it)\n"
	"  -h, --help                print this help\n";

enum {
	OPT_NAME = 256,
	OPT_CHANNEL,
	OPT_MEMORY_ADD,
	OPT_ROOTFS,
	OPT_CAP_ADD,
	OPT_CAP_DROP,
	OPT_PRIVILEGED,
	OPT_NET,
	OPT_RM,
	OPT_POLICY,
};

/* "rootfs" beside the executable: build/rootfs for build/hcrun. */
static int default_rootfs(char *buf, size_t len, hc_error_t **err)
{
	const char *env = getenv("HCRUN_ROOTFS");
	char exe[PATH_MAX];
	ssize_t n;
	int m;

	if (env != NULL && env[0] != '\0') {
		m = snprintf(buf, len, "%s", env);
		if (m < 0 || (size_t)m >= len)
			return hc_error_set(err, EINVAL, "HCRUN_ROOTFS is too long");
		return 0;
	}
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n < 0)
		return hc_error_sys(err, errno,
				    "find the hcrun executable (readlink /proc/self/exe)");
	exe[n] = '\0';
	m = snprintf(buf, len, "%s/rootfs", dirname(exe));
	if (m < 0 || (size_t)m >= len)
		return hc_error_set(err, EINVAL, "the default rootfs path is too long");
	return 0;
}

static int set_rootfs(const char *given, struct hcrun_config *cfg, hc_error_t **err)
{
	char path[PATH_MAX];
	const char *what = given != NULL ? "--rootfs" : "the default rootfs (see --rootfs)";
	struct stat sb;

	if (given == NULL) {
		if (default_rootfs(path, sizeof(path), err) < 0)
			return -1;
	} else if (snprintf(path, sizeof(path), "%s", given) >= (int)sizeof(path)) {
		return hc_error_set(err, EINVAL, "--rootfs: path too long");
	}
	/* Resolved once, here: the state records where it really is. */
	if (realpath(path, cfg->rootfs) == NULL)
		return hc_error_sys(err, errno, "%s \"%s\"", what, path);
	if (stat(cfg->rootfs, &sb) < 0)
		return hc_error_sys(err, errno, "%s \"%s\"", what, path);
	if (!S_ISDIR(sb.st_mode))
		return hc_error_set(err, ENOTDIR, "%s \"%s\" is not a directory", what, path);
	return 0;
}

/* Under --policy: the policy first, before the checks that look at the
 * disk (as the OCI kit's gate). */
static int check_policy(const struct hcrun_create_opts *o, hc_error_t **err)
{
	hc_cleanup_free const struct hc_spec **specs = NULL;
	size_t i;

	if (!o->policy_set)
		return 0;
	specs = calloc(o->cfg.nchannels ? o->cfg.nchannels : 1, sizeof(*specs));
	if (specs == NULL)
		return hc_error_sys(err, ENOMEM, "--policy");
	for (i = 0; i < o->cfg.nchannels; i++)
		specs[i] = &o->cfg.channels[i].spec;
	if (hcrun_policy_check_specs(&o->policy, specs, o->cfg.nchannels, err) < 0)
		return hc_error_prefix(err, "--host-channel");
	return 0;
}

/* Channels that would hide or share each other's tmpfs are refused. */
static int check_channels(const struct hcrun_config *cfg, hc_error_t **err)
{
	for (size_t i = 0; i < cfg->nchannels; i++) {
		for (size_t j = 0; j < i; j++)
			if (hcrun_channels_conflict(&cfg->channels[i].spec, &cfg->channels[j].spec,
						    err) < 0)
				return -1;
		if (hcrun_host_path_absent(&cfg->channels[i].spec, err) < 0)
			return -1;
	}
	return 0;
}

static int add_channel(const char *text, const struct hc_limits *limits, struct hcrun_config *cfg,
		       hc_error_t **err)
{
	struct hcrun_channel *grown;

	grown = realloc(cfg->channels, (cfg->nchannels + 1) * sizeof(*grown));
	if (grown == NULL)
		return hc_error_sys(err, ENOMEM, "--host-channel");
	cfg->channels = grown;
	memset(&grown[cfg->nchannels], 0, sizeof(*grown));
	if (hc_spec_parse(text, limits, &grown[cfg->nchannels].spec, err) < 0)
		return hc_error_prefix(err, "--host-channel");
	cfg->nchannels++;
	return 0;
}

static int set_argv(int argc, char *argv[], struct hcrun_config *cfg, hc_error_t **err)
{
	static char *const shell[] = {"/bin/sh", NULL};
	int i;

	if (argc == 0) {
		argc = 1;
		argv = (char **)shell;
	}
	cfg->argv = calloc(argc + 1, sizeof(char *));
	if (cfg->argv == NULL)
		return hc_error_sys(err, ENOMEM, "copy the command");
	for (i = 0; i < argc; i++) {
		cfg->argv[i] = strdup(argv[i]);
		if (cfg->argv[i] == NULL)
			return hc_error_sys(err, ENOMEM, "copy the command");
		cfg->argc = i + 1;
	}
	if (cfg->argv[0][0] == '\0')
		return hc_error_set(err, EINVAL, "the command is an empty word");
	return 0;
}

int hcrun_create_parse(int argc, char *argv[], bool run, struct hcrun_create_opts *o,
		       hc_error_t **err)
{
	static const struct option longopts[] = {
		{"name", required_argument, NULL, OPT_NAME},
		{"host-channel", required_argument, NULL, OPT_CHANNEL},
		{"memory", required_argument, NULL, 'm'},
		{"memory-add-channel", no_argument, NULL, OPT_MEMORY_ADD},
		{"rootfs", required_argument, NULL, OPT_ROOTFS},
		{"user", required_argument, NULL, 'u'},
		{"cap-add", required_argument, NULL, OPT_CAP_ADD},
		{"cap-drop", required_argument, NULL, OPT_CAP_DROP},
		{"privileged", no_argument, NULL, OPT_PRIVILEGED},
		{"net", required_argument, NULL, OPT_NET},
		{"network", required_argument, NULL, OPT_NET},
		{"interactive", no_argument, NULL, 'i'},
		{"tty", no_argument, NULL, 't'},
		{"rm", no_argument, NULL, OPT_RM},
		{"detach", no_argument, NULL, 'd'},
		{"policy", required_argument, NULL, OPT_POLICY},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *cmd = run ? "run" : "create";
	const char *rootfs = NULL, *policy = NULL;
	uint64_t add = 0, drop = 0, mask;
	bool privileged = false;
	struct hc_limits limits;
	int c;

	memset(o, 0, sizeof(*o));
	/* Read once: every --host-channel is checked against the same bounds. */
	if (hc_limits_from_system(&limits, err) < 0)
		return -1;
	while ((c = hcrun_getopt(argc, argv, cmd, "+:m:u:itdh", longopts, create_usage, err)) > 0) {
		switch (c) {
		case OPT_NAME:
			if (hcrun_name_check(optarg, err) < 0)
				return hc_error_prefix(err, "--name");
			snprintf(o->cfg.name, sizeof(o->cfg.name), "%s", optarg);
			o->name_given = true;
			break;
		case OPT_CHANNEL:
			if (add_channel(optarg, &limits, &o->cfg, err) < 0)
				return -1;
			break;
		case 'm':
			if (hc_size_parse(optarg, &o->cfg.memory, err) < 0)
				return hc_error_prefix(err, "--memory");
			if (o->cfg.memory < limits.page_size)
				return hc_error_set(
					err, EINVAL,
					"--memory \"%s\": must be at least one page (%llu "
					"bytes)",
					optarg, (unsigned long long)limits.page_size);
			break;
		case OPT_MEMORY_ADD:
			o->cfg.memory_add_channel = true;
			break;
		case OPT_ROOTFS:
			rootfs = optarg;
			break;
		case 'u':
			if (hcrun_user_parse(optarg, &o->cfg.uid, &o->cfg.gid, err) < 0)
				return -1;
			o->cfg.user_set = true;
			break;
		case OPT_CAP_ADD:
		case OPT_CAP_DROP:
			if (hcrun_caps_parse(optarg, &mask, err) < 0)
				return hc_error_prefix(
					err, "%s", c == OPT_CAP_ADD ? "--cap-add" : "--cap-drop");
			if (c == OPT_CAP_ADD)
				add |= mask;
			else
				drop |= mask;
			break;
		case OPT_PRIVILEGED:
			privileged = true;
			break;
		case OPT_NET:
			if (strcmp(optarg, "host") == 0)
				o->cfg.net_host = true;
			else if (strcmp(optarg, "none") == 0)
				o->cfg.net_host = false;
			else
				return hc_error_set(err, EINVAL,
						    "--net \"%s\": expected none or host", optarg);
			break;
		case 'i':
			o->cfg.interactive = true;
			break;
		case 't':
			o->cfg.tty = true;
			break;
		case OPT_RM:
			o->rm = true;
			break;
		case OPT_POLICY:
			policy = optarg;
			break;
		case 'd':
			if (!run)
				return hc_error_set(
					err, EINVAL,
					"create: -d is for run (create starts nothing)");
			o->detach = true;
			break;
		}
	}
	if (c != HCRUN_OPT_END)
		return c == HCRUN_OPT_HELP ? 1 : -1;
	/* As docker: the drops win, except that "drop ALL" keeps what is added. */
	o->cfg.caps = privileged ? hcrun_caps_all() : hcrun_caps_default();
	if (drop == hcrun_caps_all())
		o->cfg.caps = add;
	else
		o->cfg.caps = (o->cfg.caps | add) & ~drop;
	if (policy != NULL) {
		if (hcrun_policy_load(policy, &o->policy, err) < 0)
			return hc_error_prefix(err, "--policy");
		o->policy_set = true;
	}
	if (set_rootfs(rootfs, &o->cfg, err) < 0 || check_policy(o, err) < 0 ||
	    check_channels(&o->cfg, err) < 0 ||
	    set_argv(argc - optind, argv + optind, &o->cfg, err) < 0)
		return -1;
	return 0;
}

void hcrun_create_opts_clear(struct hcrun_create_opts *o)
{
	hcrun_config_clear(&o->cfg);
	hcrun_policy_clear(&o->policy);
	o->policy_set = false;
}
