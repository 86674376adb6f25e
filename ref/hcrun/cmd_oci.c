// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * hcrun oci: host channels for OCI engines that have no --host-channel,
 * without patching them (ref/hook/README.md is the user guide). Two ways in:
 *  - the bundle kit, for whoever writes the bundle (runc, a script):
 *    "prepare" validates, makes and mounts the host side, and edits
 *    config.json (binds, memory limit, a poststop hook that calls
 *    "teardown"); "keep" makes the next teardown spare the channels, for a
 *    restart that has to delete and create the runtime's container again;
 *  - the hook, for engines that run hooks.d (podman, CRI-O): "hook
 *    precreate" reads the config on stdin, does what prepare does for the
 *    specs in the annotation org.hostchannel.spec and prints the new
 *    config; "hook poststop" reads the OCI state and tears down. The
 *    annotation is whoever starts the container's: precreate applies the
 *    host policy (policy.c), which "policy" prints and tries specs on.
 * Same grammar, same messages, same exit code (125) as hcrun create. This
 * file parses each subcommand's options and makes one call into the kit's
 * core: oci_kit.c (prepare, teardown, keep), oci_hook.c (the hook).
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hcrun.h"

static const char oci_usage[] =
	"Usage: hcrun oci prepare [OPTIONS] --host-channel SPEC... BUNDLE\n"
	"       hcrun oci teardown [--force] BUNDLE|STATE_FILE\n"
	"       hcrun oci keep BUNDLE|STATE_FILE\n"
	"       hcrun oci hook precreate [--policy FILE] | poststop\n"
	"       hcrun oci policy [--policy FILE] [SPEC...]\n"
	"       hcrun oci gc [--hook-dir DIR] [--runtime-state DIR] [BUNDLE|STATE_FILE...]\n"
	"\n"
	"Host channels for OCI engines (runc, podman, CRI-O) that have no\n"
	"--host-channel (see ref/hook/README.md).\n"
	"\n"
	"prepare   validate each SPEC as hcrun create does, make each host path and\n"
	"          mount its tmpfs, record what was made in BUNDLE/" HCRUN_OCI_STATE_FILE ",\n"
	"          and edit BUNDLE/config.json: a bind per channel (rbind, the\n"
	"          propagation, ro|rw), the annotation " HCRUN_OCI_ANN_STATE " and a\n"
	"          poststop hook that runs \"hcrun oci teardown\"\n"
	"    --host-channel SPEC   HOST_PATH:CONTAINER_PATH[:rw|ro[,PROPAGATION][:SIZE]]\n"
	"    --memory-add-channel  raise linux.resources.memory.limit (and swap) by the\n"
	"                          sum of the channel sizes; nothing without a limit\n"
	"    --id ID               the tmpfs source is " HCRUN_OCI_TAG_PREFIX "ID (default:\n"
	"                          random)\n"
	"    --no-hook             do not add the poststop hook (the caller tears down)\n"
	"    --policy FILE         apply the host policy FILE to the specs (default:\n"
	"                          none, the specs are the administrator's)\n"
	"teardown  unmount and remove exactly what prepare made (the poststop hook);\n"
	"          after \"keep\" it only clears the mark; --force ignores it\n"
	"keep      the next teardown leaves the channels (a restart of the container)\n"
	"hook      the OCI hook, for hooks.d: precreate reads the runtime config on\n"
	"          stdin and prints it with the channels of the annotation\n"
	"          " HCRUN_OCI_ANN_SPEC " (SPEC[;SPEC...], %2C for a comma; " HCRUN_OCI_ANN_MEMORY
	"=true\n"
	"          as --memory-add-channel); poststop reads the OCI state on stdin\n"
	"          and tears down (states in " HCRUN_OCI_HOOK_DIR ")\n"
	"          The specs of the annotation are whoever starts the container's:\n"
	"          precreate applies the host policy of --policy FILE, else of\n"
	"          $" HCRUN_POLICY_ENV ", else of " HCRUN_POLICY_DEFAULT "\n"
	"          (the built-in defaults when that is absent; docs/policy.md)\n"
	"policy    print the host policy the hook would apply (or FILE's), as a\n"
	"          policy file; with SPECs, check each against it, touching\n"
	"          nothing. A malformed file, or a spec refused: exit 125\n"
	"gc        repair what a kill of prepare, teardown, the hook or the shim left:\n"
	"          each record of the hook's state directory, the shim's and each\n"
	"          BUNDLE given is locked and read; a prepare that died is rolled back\n"
	"          (only what its journal proves made), a teardown that died finished;\n"
	"          a complete one (a live container's) is left, but for a shim's\n"
	"          whose runtime says \"state ID\" that the container does not exist;\n"
	"          a record in use, a symlink or a corrupt one is left (reported).\n"
	"          One line per action; exit 0 when all is consistent, 125 when\n"
	"          something was left for a person to look at\n"
	"    --hook-dir DIR        the hook's states (default $HOSTCHANNEL_HOOK_DIR, else\n"
	"                          " HCRUN_OCI_HOOK_DIR ")\n"
	"    --runtime-state DIR   the shim's records (default $HOSTCHANNEL_RUNTIME_STATE,\n"
	"                          else " HCRUN_RUNTIME_STATE_DIR ")\n";

static int oci_prepare(int argc, char *argv[], hc_error_t **err)
{
	static const struct option longopts[] = {
		{"host-channel", required_argument, NULL, 'c'},
		{"memory-add-channel", no_argument, NULL, 'm'},
		{"id", required_argument, NULL, 'i'},
		{"no-hook", no_argument, NULL, 'n'},
		{"policy", required_argument, NULL, 'p'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct hcrun_oci_prepare_opts o = {.hook = true};
	struct hcrun_policy policy = {0};
	hc_cleanup_free char **specs = NULL;
	const char *policy_path = NULL;
	int c, ret;

	specs = calloc(argc + 1, sizeof(char *));
	if (specs == NULL)
		return hc_error_sys(err, ENOMEM, "prepare");
	while ((c = hcrun_getopt(argc, argv, "oci prepare", "+:h", longopts, oci_usage, err)) > 0) {
		switch (c) {
		case 'c':
			specs[o.nspecs++] = optarg;
			break;
		case 'm':
			o.memory_add = true;
			break;
		case 'i':
			o.id = optarg;
			break;
		case 'n':
			o.hook = false;
			break;
		case 'p':
			policy_path = optarg;
			break;
		}
	}
	if (c != HCRUN_OPT_END)
		return c == HCRUN_OPT_HELP ? 0 : -1;
	if (argc - optind != 1)
		return hc_error_set(err, EINVAL,
				    "oci prepare: expected one BUNDLE (see hcrun oci --help)");
	o.bundle = argv[optind];
	o.specs = specs;
	if (policy_path != NULL) {
		if (hcrun_policy_load(policy_path, &policy, err) < 0)
			return hc_error_prefix(err, "--policy");
		o.policy = &policy;
	}
	ret = hcrun_oci_prepare(&o, err) < 0 ? HCRUN_EXIT_ERROR : 0;
	hcrun_policy_clear(&policy);
	return ret;
}

/* hook precreate [--policy FILE], hook poststop: argv[0] is the stage. */
static int oci_hook(int argc, char *argv[], hc_error_t **err)
{
	static const struct option longopts[] = {
		{"policy", required_argument, NULL, 'p'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *policy_path = NULL;
	bool precreate;
	int c;

	if (argc < 1 || (strcmp(argv[0], "precreate") != 0 && strcmp(argv[0], "poststop") != 0))
		return hc_error_set(err, EINVAL,
				    "oci hook: expected precreate or poststop (see hcrun oci "
				    "--help)");
	precreate = strcmp(argv[0], "precreate") == 0;
	/* The crash faults of each (fault.c): HCRUN_FAULT=hook-precreate:K... */
	hcrun_fault_verb(precreate ? "hook-precreate" : "hook-poststop");
	while ((c = hcrun_getopt(argc, argv, precreate ? "oci hook precreate" : "oci hook poststop",
				 "+:h", precreate ? longopts : longopts + 1, oci_usage, err)) > 0)
		policy_path = optarg;
	if (c != HCRUN_OPT_END)
		return c == HCRUN_OPT_HELP ? 0 : -1;
	if (optind != argc)
		return hc_error_set(err, EINVAL,
				    "oci hook %s: unexpected \"%s\" (see hcrun oci --help)",
				    argv[0], argv[optind]);
	if (precreate)
		return hcrun_oci_hook_precreate(STDIN_FILENO, stdout, policy_path, err) < 0
			       ? HCRUN_EXIT_ERROR
			       : 0;
	return hcrun_oci_hook_poststop(STDIN_FILENO, err) < 0 ? HCRUN_EXIT_ERROR : 0;
}

/* policy [--policy FILE] [SPEC...]: the policy the hook would apply, and
 * what it says of each SPEC, touching nothing. */
static int oci_policy(int argc, char *argv[], hc_error_t **err)
{
	static const struct option longopts[] = {
		{"policy", required_argument, NULL, 'p'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct hcrun_oci_kit kit = {0};
	struct hcrun_policy policy = {0};
	const char *policy_path = NULL;
	int c, ret = HCRUN_EXIT_ERROR;

	while ((c = hcrun_getopt(argc, argv, "oci policy", "+:h", longopts, oci_usage, err)) > 0)
		policy_path = optarg;
	if (c != HCRUN_OPT_END)
		return c == HCRUN_OPT_HELP ? 0 : -1;
	if (hcrun_policy_load_default(policy_path, &policy, err) < 0)
		return HCRUN_EXIT_ERROR;
	/* The gate itself, as the hook walks it: a spec it passes here, the
	 * hook passes too (as long as the disk stays as it is). */
	if (hcrun_oci_kit_add_specs(&kit, &policy, argv + optind, (size_t)(argc - optind), err) ==
	    0) {
		hcrun_policy_print(&policy, stdout);
		ret = 0;
	}
	hcrun_oci_kit_clear(&kit);
	hcrun_policy_clear(&policy);
	return ret;
}

static int oci_teardown_or_keep(int argc, char *argv[], bool keep, hc_error_t **err)
{
	static const struct option longopts[] = {
		{"force", no_argument, NULL, 'f'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	bool force = false;
	int c, ret;

	while ((c = hcrun_getopt(argc, argv, keep ? "oci keep" : "oci teardown", "+:fh", longopts,
				 oci_usage, err)) > 0) {
		if (c == 'f')
			force = true;
	}
	if (c != HCRUN_OPT_END)
		return c == HCRUN_OPT_HELP ? 0 : -1;
	if (argc - optind != 1)
		return hc_error_set(err, EINVAL,
				    "oci %s: expected one BUNDLE (see hcrun oci --help)",
				    keep ? "keep" : "teardown");
	if (keep)
		ret = hcrun_oci_keep(argv[optind], err);
	else
		ret = hcrun_oci_teardown(argv[optind], force, err);
	return ret < 0 ? HCRUN_EXIT_ERROR : 0;
}

static int oci_gc(int argc, char *argv[], hc_error_t **err)
{
	static const struct option longopts[] = {
		{"hook-dir", required_argument, NULL, 'd'},
		{"runtime-state", required_argument, NULL, 'r'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct hcrun_oci_gc_opts o = {0};
	int c;

	while ((c = hcrun_getopt(argc, argv, "oci gc", "+:h", longopts, oci_usage, err)) > 0) {
		const char **dir = c == 'd' ? &o.hook_dir : &o.runtime_state;

		if (optarg[0] != '/')
			return hc_error_set(err, EINVAL, "oci gc: --%s \"%s\" is not absolute",
					    c == 'd' ? "hook-dir" : "runtime-state", optarg);
		*dir = optarg;
	}
	if (c != HCRUN_OPT_END)
		return c == HCRUN_OPT_HELP ? 0 : -1;
	o.targets = argv + optind;
	o.ntargets = (size_t)(argc - optind);
	hcrun_fault_verb("oci-gc");
	return hcrun_oci_gc(&o) ? 0 : HCRUN_EXIT_ERROR;
}

int hcrun_cmd_oci(int argc, char *argv[], hc_error_t **err)
{
	const char *verb;

	if (argc < 2) {
		hc_error_set(err, EINVAL,
			     "oci: expected prepare, teardown, keep, hook, policy or gc (see "
			     "hcrun oci --help)");
		return HCRUN_EXIT_ERROR;
	}
	verb = argv[1];
	if (strcmp(verb, "--help") == 0 || strcmp(verb, "-h") == 0) {
		fputs(oci_usage, stdout);
		return 0;
	}
	/* Each verb parses its own argv from argv[0] = the verb. */
	optind = 0;
	/* The crash faults of each (fault.c): HCRUN_FAULT=oci-prepare:K... */
	if (strcmp(verb, "prepare") == 0) {
		hcrun_fault_verb("oci-prepare");
		return oci_prepare(argc - 1, argv + 1, err);
	}
	if (strcmp(verb, "teardown") == 0) {
		hcrun_fault_verb("oci-teardown");
		return oci_teardown_or_keep(argc - 1, argv + 1, false, err);
	}
	if (strcmp(verb, "keep") == 0)
		return oci_teardown_or_keep(argc - 1, argv + 1, true, err);
	if (strcmp(verb, "hook") == 0)
		return oci_hook(argc - 2, argv + 2, err);
	if (strcmp(verb, "gc") == 0)
		return oci_gc(argc - 1, argv + 1, err);
	if (strcmp(verb, "policy") == 0)
		return oci_policy(argc - 1, argv + 1, err);
	hc_error_set(err, EINVAL, "oci: unknown command \"%s\" (see hcrun oci --help)", verb);
	return HCRUN_EXIT_ERROR;
}
