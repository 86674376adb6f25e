// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * hostchannel-runtime's command line: runc's, read but never changed (the
 * real runtime gets it byte for byte), only the leading
 * --hostchannel-runtime=PATH and --hostchannel-policy=FILE, ours, taken out
 * (dockerd's runtimeArgs put them there). runc's CLI parses with Go's flag rules: one or two dashes,
 * a value after '=' or in the next word, flags before the operands:
 *
 *   runc [--root R] [--log F] [--log-format text|json] [--debug]
 *        [--systemd-cgroup] [--criu P] [--rootless V] VERB [OPTIONS] ID
 *
 * An option this file does not know is taken for a flag without a value,
 * as runc's own unknown options would be refused anyway; "--name=value"
 * is always read right. What runtime.c needs: the root, the log and its
 * format, the verb, and for create, run and delete the bundle and the id.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hcrun.h"

#define SHIM_OPT	"--hostchannel-runtime"
#define SHIM_POLICY_OPT "--hostchannel-policy" /* the host policy file (policy.c) */

/* runc's global options that take a value. */
static const char *const global_values[] = {"root", "log", "log-format", "criu", "rootless", NULL};
/* create's and run's. */
static const char *const create_values[] = {"bundle",	    "b", "console-socket", "pid-file",
					    "preserve-fds", NULL};
static const char *const no_values[] = {NULL};

struct flag {
	const char *name; /* after the dashes, up to '=' */
	size_t len;
	const char *value; /* NULL: none given */
};

static bool named(const struct flag *f, const char *name)
{
	return strlen(name) == f->len && strncmp(f->name, name, f->len) == 0;
}

/*
 * argv[*i] as an option, *i moved past it and its value. false at the
 * first operand (*i stays on it) and after "--" (*i moves past it).
 */
static bool next_flag(int argc, char *argv[], int *i, const char *const with_value[],
		      struct flag *f)
{
	const char *a = argv[*i], *eq;
	size_t k;

	if (a[0] != '-' || a[1] == '\0')
		return false;
	if (strcmp(a, "--") == 0) {
		(*i)++;
		return false;
	}
	a += a[1] == '-' ? 2 : 1;
	eq = strchr(a, '=');
	f->name = a;
	f->len = eq != NULL ? (size_t)(eq - a) : strlen(a);
	f->value = eq != NULL ? eq + 1 : NULL;
	(*i)++;
	if (eq != NULL)
		return true;
	for (k = 0; with_value[k] != NULL; k++) {
		if (named(f, with_value[k]) && *i < argc) {
			f->value = argv[(*i)++];
			break;
		}
	}
	return true;
}

/* A bool flag: "--detach", "--detach=true" (Go's forms). */
static bool flag_true(const struct flag *f)
{
	return f->value == NULL || strcmp(f->value, "true") == 0 || strcmp(f->value, "1") == 0;
}

/* The verb's options and operand: the bundle and run's flags, the id. */
static void parse_verb(int argc, char *argv[], int i, struct hcrun_runtime_cmd *cmd)
{
	bool create = strcmp(cmd->verb, "create") == 0 || strcmp(cmd->verb, "run") == 0;
	struct flag f;

	while (i < argc && next_flag(argc, argv, &i, create ? create_values : no_values, &f)) {
		if (!create)
			continue;
		if (named(&f, "bundle") || named(&f, "b"))
			cmd->bundle = f.value;
		else if (named(&f, "detach") || named(&f, "d"))
			cmd->detach = flag_true(&f);
		else if (named(&f, "keep"))
			cmd->keep = flag_true(&f);
	}
	if (i < argc)
		cmd->id = argv[i];
}

int hcrun_cmd_runtime(int argc, char *argv[])
{
	struct hcrun_runtime_cmd cmd;
	hc_error_t *err = NULL;
	const char *want = NULL;
	int i = 1, n = 1, status = HCRUN_EXIT_ERROR, ret = 1;
	struct flag f;

	memset(&cmd, 0, sizeof(cmd));
	cmd.argv = calloc((size_t)argc + 1, sizeof(char *));
	if (cmd.argv == NULL) {
		fprintf(stderr, HCRUN_RUNTIME_NAME ": out of memory\n");
		return HCRUN_EXIT_ERROR;
	}
	/* The global options, copied as they are but for ours. */
	while (i < argc) {
		int first = i;

		if (strncmp(argv[i], SHIM_OPT "=", sizeof(SHIM_OPT)) == 0) {
			want = argv[i++] + sizeof(SHIM_OPT);
			continue;
		}
		if (strcmp(argv[i], SHIM_OPT) == 0 && i + 1 < argc) {
			want = argv[i + 1];
			i += 2;
			continue;
		}
		if (strncmp(argv[i], SHIM_POLICY_OPT "=", sizeof(SHIM_POLICY_OPT)) == 0) {
			cmd.policy = argv[i++] + sizeof(SHIM_POLICY_OPT);
			continue;
		}
		if (strcmp(argv[i], SHIM_POLICY_OPT) == 0 && i + 1 < argc) {
			cmd.policy = argv[i + 1];
			i += 2;
			continue;
		}
		if (!next_flag(argc, argv, &i, global_values, &f)) {
			while (first < i)
				cmd.argv[n++] = argv[first++];
			break;
		}
		while (first < i)
			cmd.argv[n++] = argv[first++];
		if (named(&f, "root"))
			cmd.root = f.value;
		else if (named(&f, "log"))
			cmd.log = f.value;
		else if (named(&f, "log-format"))
			cmd.log_json = f.value != NULL && strcmp(f.value, "json") == 0;
	}
	if (i < argc) {
		cmd.verb = argv[i];
		parse_verb(argc, argv, i + 1, &cmd);
	}
	while (i < argc)
		cmd.argv[n++] = argv[i++];
	if (hcrun_runtime_find(want, cmd.runtime, sizeof(cmd.runtime), &err) < 0)
		goto out;
	cmd.argv[0] = cmd.runtime;
	/* The crash faults of each (fault.c): HCRUN_FAULT=runtime-create:K... */
	if (cmd.verb != NULL && (strcmp(cmd.verb, "create") == 0 || strcmp(cmd.verb, "run") == 0)) {
		hcrun_fault_verb("runtime-create");
		ret = hcrun_runtime_create(&cmd, &status, &err);
	} else if (cmd.verb != NULL && strcmp(cmd.verb, "delete") == 0) {
		hcrun_fault_verb("runtime-delete");
		ret = hcrun_runtime_delete(&cmd, &status, &err);
	}
	if (ret == 1) {
		/* Any other verb, or nothing of ours to do: the runtime itself. */
		hcrun_runtime_exec(&cmd, &err);
		status = err != NULL && err->errnum == ENOENT ? HCRUN_EXIT_NOT_FOUND
							      : HCRUN_EXIT_CANNOT;
		ret = -1;
	}
out:
	if (err != NULL) {
		hcrun_runtime_report(&cmd, &err);
		if (ret < 0 && status < HCRUN_EXIT_ERROR)
			status = HCRUN_EXIT_ERROR;
		if (status == 0)
			status = HCRUN_EXIT_ERROR;
	}
	free(cmd.argv);
	return status;
}
