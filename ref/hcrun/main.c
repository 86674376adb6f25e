// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * hcrun: a small system-container runtime with host channels. This file only
 * dispatches: global options, then one verb, one cmd_<verb>.c. Errors come
 * back here and are printed in one place, hcrun_report() (report.c).
 * Started as hostchannel-runtime, hcrun is a runc shim instead
 * (cmd_runtime.c), with runc's command line.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hcrun.h"

#define HCRUN_VERSION "0.1.0"

struct command {
	const char *name;
	const char *alias;
	int (*run)(int argc, char *argv[], hc_error_t **err);
	const char *summary;
};

static const struct command commands[] = {
	{"create", NULL, hcrun_cmd_create, "create a container (prepares its host channels)"},
	{"start", NULL, hcrun_cmd_start, "start a created or stopped container"},
	{"run", NULL, hcrun_cmd_run, "create and start a container"},
	{"exec", NULL, hcrun_cmd_exec, "run a command in a running container"},
	{"stop", NULL, hcrun_cmd_stop, "stop running containers"},
	{"delete", "rm", hcrun_cmd_delete, "delete containers and their host channels"},
	{"list", "ps", hcrun_cmd_list, "list containers"},
	{"inspect", NULL, hcrun_cmd_inspect, "show a container's state as JSON"},
	{"gc", NULL, hcrun_cmd_gc, "repair what crashed runs left behind"},
	{"oci", NULL, hcrun_cmd_oci,
	 "host channels for OCI engines (runc, podman): bundle kit, hook, host policy"},
	{"lxc", NULL, hcrun_cmd_lxc, "host channels for LXC containers: config lines, hooks"},
};

static void usage(FILE *out)
{
	size_t i;

	fprintf(out,
		"Usage: hcrun [--root DIR] COMMAND [OPTIONS] [ARG...]\n"
		"\n"
		"A small system-container runtime whose containers can share a tmpfs with\n"
		"the host: --host-channel HOST_PATH:CONTAINER_PATH[:rw|ro[:SIZE]].\n"
		"\n"
		"Global options:\n"
		"  --root DIR     state directory (default: $HCRUN_ROOT, else " HCRUN_DEFAULT_ROOT
		")\n"
		"  -h, --help     print this help\n"
		"  -V, --version  print the version\n"
		"\n"
		"Commands:\n");
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		char name[32];

		snprintf(name, sizeof(name), "%s%s%s", commands[i].name,
			 commands[i].alias ? ", " : "", commands[i].alias ?: "");
		fprintf(out, "  %-12s %s\n", name, commands[i].summary);
	}
	fprintf(out, "\n"
		     "Run 'hcrun COMMAND --help' for a command's options.\n"
		     "Exit status: the container's (128+N after signal N), 125 for an error of\n"
		     "hcrun itself, 126/127 when the command cannot be run / is not found.\n");
}

/*
 * A state file or a lock must never become fd 0, 1 or 2 of a process that
 * was started with one of them closed: the container inherits those.
 */
static int open_std_fds(hc_error_t **err)
{
	int fd;

	for (fd = 0; fd < 3; fd++) {
		int null;

		if (fcntl(fd, F_GETFD) >= 0 || errno != EBADF)
			continue;
		/* The lower ones are open by now: open() returns fd itself. */
		null = open("/dev/null", O_RDWR);
		if (null < 0)
			return hc_error_sys(err, errno, "open /dev/null");
		if (null != fd) {
			(void)close(null);
			return hc_error_set(err, EBADF, "cannot reopen fd %d on /dev/null", fd);
		}
	}
	return 0;
}

/*
 * The detached monitor runs in "/": a relative state root would move. And
 * cleaned, so that "/run/hcrun/" is the default root too: the root's
 * spelling names its memory cgroups (hcrun_cgroup_parent).
 */
static int absolute_root(hc_error_t **err)
{
	static char abs_root[PATH_MAX];
	const char *root = hcrun_root();
	char cwd[PATH_MAX], joined[PATH_MAX];
	int n;

	if (root[0] == '/') {
		n = snprintf(joined, sizeof(joined), "%s", root);
	} else {
		if (getcwd(cwd, sizeof(cwd)) == NULL)
			return hc_error_sys(err, errno, "state root \"%s\": getcwd", root);
		n = snprintf(joined, sizeof(joined), "%s/%s", cwd, root);
	}
	if (n < 0 || (size_t)n >= sizeof(joined))
		return hc_error_set(err, ENAMETOOLONG, "state root \"%s\": path too long", root);
	if (hc_path_clean(joined, abs_root, sizeof(abs_root), err) < 0)
		return hc_error_prefix(err, "state root \"%s\"", root);
	hcrun_set_root(abs_root);
	return 0;
}

static int dispatch(int argc, char *argv[], hc_error_t **err)
{
	static const struct option longopts[] = {
		{"root", required_argument, NULL, 'r'},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0},
	};
	const char *verb;
	size_t i;
	int c;

	opterr = 0;
	while ((c = getopt_long(argc, argv, "+:hV", longopts, NULL)) != -1) {
		switch (c) {
		case 'r':
			if (optarg[0] == '\0')
				return hc_error_set(err, EINVAL, "--root needs a directory");
			hcrun_set_root(optarg);
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("hcrun version %s\n", HCRUN_VERSION);
			return 0;
		default:
			return hcrun_opt_error("hcrun", c, argv, err);
		}
	}
	if (absolute_root(err) < 0)
		return -1;
	if (optind >= argc) {
		usage(stderr);
		return hc_error_set(err, EINVAL, "no command given");
	}
	verb = argv[optind];
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		const struct command *cmd = &commands[i];

		if (strcmp(verb, cmd->name) != 0 &&
		    (cmd->alias == NULL || strcmp(verb, cmd->alias)))
			continue;
		argc -= optind;
		argv += optind;
		/* Each command parses afresh from its own argv[0]. */
		optind = 0;
		return cmd->run(argc, argv, err);
	}
	return hc_error_set(err, EINVAL, "unknown command \"%s\" (see hcrun --help)", verb);
}

/* Started as hostchannel-runtime (a link to hcrun, or a copy)? */
static bool called_as_runtime(const char *argv0)
{
	const char *base = strrchr(argv0, '/');

	return strcmp(base != NULL ? base + 1 : argv0, HCRUN_RUNTIME_NAME) == 0;
}

int main(int argc, char *argv[])
{
	hc_error_t *err = NULL;
	int ret;

	/* The runc shim, first of all: what it passes on to the real runtime
	 * (argv, fds) must be as it came. */
	if (argc > 0 && argv[0] != NULL && called_as_runtime(argv[0]))
		return hcrun_cmd_runtime(argc, argv);
	if (open_std_fds(&err) < 0) {
		hcrun_report(&err);
		return HCRUN_EXIT_ERROR;
	}
	ret = dispatch(argc, argv, &err);
	/* A full disk under stdout (list, inspect) must not pass as success. */
	if ((fflush(stdout) != 0 || ferror(stdout)) && err == NULL)
		hc_error_sys(&err, errno, "write to stdout");
	if (err != NULL) {
		hcrun_report(&err);
		if (ret == 0)
			ret = HCRUN_EXIT_ERROR;
	}
	if (ret < 0 || ret > 255)
		ret = HCRUN_EXIT_ERROR;
	return ret;
}
