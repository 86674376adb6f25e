// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * hcrun oci: host channels for OCI engines that have no --host-channel,
 * without patching them (the core is oci.c; ref/hook/README.md is the user
 * guide). Two ways in:
 *  - the bundle kit, for whoever writes the bundle (runc, a script):
 *    "prepare" validates, makes and mounts the host side, and edits
 *    config.json (binds, memory limit, a poststop hook that calls
 *    "teardown"); "keep" makes the next teardown spare the channels, for a
 *    restart that has to delete and create the runtime's container again;
 *  - the hook, for engines that run hooks.d (podman, CRI-O): "hook
 *    precreate" reads the config on stdin, does what prepare does for the
 *    specs in the annotation org.hostchannel.spec and prints the new
 *    config; "hook poststop" reads the OCI state and tears down.
 * Same grammar, same messages, same exit code (125) as hcrun create.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <json.h>

#include "hcrun.h"

static const char oci_usage[] =
	"Usage: hcrun oci prepare [OPTIONS] --host-channel SPEC... BUNDLE\n"
	"       hcrun oci teardown [--force] BUNDLE|STATE_FILE\n"
	"       hcrun oci keep BUNDLE|STATE_FILE\n"
	"       hcrun oci hook precreate|poststop\n"
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
	"teardown  unmount and remove exactly what prepare made (the poststop hook);\n"
	"          after \"keep\" it only clears the mark; --force ignores it\n"
	"keep      the next teardown leaves the channels (a restart of the container)\n"
	"hook      the OCI hook, for hooks.d: precreate reads the runtime config on\n"
	"          stdin and prints it with the channels of the annotation\n"
	"          " HCRUN_OCI_ANN_SPEC " (SPEC[;SPEC...], %2C for a comma; " HCRUN_OCI_ANN_MEMORY
	"=true\n"
	"          as --memory-add-channel); poststop reads the OCI state on stdin\n"
	"          and tears down (states in " HCRUN_OCI_HOOK_DIR ")\n";

/* The state file of a bundle directory, or the argument itself. */
static int state_path_of(const char *arg, char *buf, size_t len, hc_error_t **err)
{
	struct stat sb;
	char abs[PATH_MAX];
	int n;

	if (stat(arg, &sb) == 0 && S_ISDIR(sb.st_mode)) {
		if (realpath(arg, abs) == NULL)
			return hc_error_sys(err, errno, "bundle %s", arg);
		n = snprintf(buf, len, "%s/%s", abs, HCRUN_OCI_STATE_FILE);
	} else {
		n = snprintf(buf, len, "%s", arg);
	}
	if (n < 0 || (size_t)n >= len)
		return hc_error_set(err, ENAMETOOLONG, "%s: path too long", arg);
	return 0;
}

static int set_tag(struct hcrun_oci_kit *kit, const char *id, hc_error_t **err)
{
	char rnd[HCRUN_OCI_ID_MAX + 1];

	if (id == NULL) {
		if (hcrun_oci_random_id(rnd, sizeof(rnd), err) < 0)
			return -1;
		id = rnd;
	} else if (hcrun_name_check(id, err) < 0) {
		return hc_error_prefix(err, "--id");
	}
	snprintf(kit->tag, sizeof(kit->tag), "%s%s", HCRUN_OCI_TAG_PREFIX, id);
	return 0;
}

/* prepare: the host side first, then the config; a failing config write
 * undoes the host side, so that a refused bundle leaves nothing behind. */
static int oci_prepare(int argc, char *argv[], hc_error_t **err)
{
	static const struct option longopts[] = {
		{"host-channel", required_argument, NULL, 'c'},
		{"memory-add-channel", no_argument, NULL, 'm'},
		{"id", required_argument, NULL, 'i'},
		{"no-hook", no_argument, NULL, 'n'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct json_object *config __attribute__((cleanup(hcrun_oci_put))) = NULL;
	struct hcrun_oci_kit kit = {0};
	hc_cleanup_free char **specs = NULL;
	char config_path[PATH_MAX], bundle[PATH_MAX], exe[PATH_MAX];
	const char *id = NULL;
	bool memory_add = false, hook = true;
	size_t nspecs = 0;
	sigset_t saved;
	ssize_t n;
	int c, ret = -1;

	specs = calloc(argc + 1, sizeof(char *));
	if (specs == NULL)
		return hc_error_sys(err, ENOMEM, "prepare");
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'c':
			specs[nspecs++] = optarg;
			break;
		case 'm':
			memory_add = true;
			break;
		case 'i':
			id = optarg;
			break;
		case 'n':
			hook = false;
			break;
		case 'h':
			fputs(oci_usage, stdout);
			return 0;
		default:
			return hcrun_opt_error("oci prepare", c, argv, err);
		}
	}
	if (argc - optind != 1)
		return hc_error_set(err, EINVAL,
				    "oci prepare: expected one BUNDLE (see hcrun oci --help)");
	if (realpath(argv[optind], bundle) == NULL)
		return hc_error_sys(err, errno, "bundle %s", argv[optind]);
	if (snprintf(config_path, sizeof(config_path), "%s/config.json", bundle) >=
		    (int)sizeof(config_path) ||
	    snprintf(kit.state_path, sizeof(kit.state_path), "%s/%s", bundle,
		     HCRUN_OCI_STATE_FILE) >= (int)sizeof(kit.state_path))
		return hc_error_set(err, ENAMETOOLONG, "bundle %s: path too long", bundle);
	/* Everything checked before the disk is touched, as hcrun create. */
	if (hcrun_oci_kit_add_specs(&kit, specs, nspecs, err) < 0 || set_tag(&kit, id, err) < 0 ||
	    hcrun_oci_json_load(config_path, &config, err) < 0)
		goto out;
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n < 0) {
		hc_error_sys(err, errno, "find the hcrun executable (readlink /proc/self/exe)");
		goto out;
	}
	exe[n] = '\0';
	{
		char *poststop[] = {exe, "oci", "teardown", kit.state_path, NULL};

		/* Edited in memory first: a malformed config refuses before
		 * anything is made. The host paths go in once they exist. */
		struct json_object *probe __attribute__((cleanup(hcrun_oci_put))) = NULL;

		if (json_object_deep_copy(config, &probe, NULL) < 0) {
			hc_error_sys(err, ENOMEM, "copy %s", config_path);
			goto out;
		}
		if (hcrun_oci_config_edit(probe, &kit, memory_add, hook ? poststop : NULL,
					  kit.state_path, err) < 0) {
			hc_error_prefix(err, "%s", config_path);
			goto out;
		}
		/* A ^C half way would leave mounts only a teardown removes. */
		hcrun_signals_block(&saved);
		if (hcrun_oci_kit_prepare(&kit, err) < 0) {
			hcrun_signals_restore(&saved);
			goto out;
		}
		if (hcrun_oci_config_edit(config, &kit, memory_add, hook ? poststop : NULL,
					  kit.state_path, err) < 0 ||
		    hcrun_oci_json_save(config_path, config, 0644, err) < 0) {
			hc_cleanup_error hc_error_t *more = NULL;

			if (hcrun_oci_kit_teardown(&kit, &more) < 0)
				hcrun_report(&more);
			hcrun_signals_restore(&saved);
			goto out;
		}
		hcrun_signals_restore(&saved);
	}
	ret = 0;
out:
	hcrun_oci_kit_clear(&kit);
	return ret < 0 ? HCRUN_EXIT_ERROR : 0;
}

/* A poststop hook is handed the OCI state on stdin: read it when it is a
 * pipe, so that the runtime's writer never meets a closed pipe. */
static void drain_stdin_pipe(void)
{
	struct stat sb;
	char buf[4096];

	if (fstat(STDIN_FILENO, &sb) < 0 || !S_ISFIFO(sb.st_mode))
		return;
	while (read(STDIN_FILENO, buf, sizeof(buf)) > 0)
		;
}

static int teardown_state(const char *path, bool force, hc_error_t **err)
{
	struct hcrun_oci_kit kit;
	int ret;

	if (access(path, F_OK) < 0 && errno == ENOENT)
		return 0; /* idempotent: nothing (left) to remove */
	if (hcrun_oci_state_load(path, &kit, err) < 0) {
		hcrun_oci_kit_clear(&kit);
		return -1;
	}
	if (kit.keep && !force) {
		kit.keep = false;
		ret = hcrun_oci_state_save(&kit, err);
	} else {
		ret = hcrun_oci_kit_teardown(&kit, err);
	}
	hcrun_oci_kit_clear(&kit);
	return ret;
}

static int oci_teardown_or_keep(int argc, char *argv[], bool keep, hc_error_t **err)
{
	static const struct option longopts[] = {
		{"force", no_argument, NULL, 'f'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	char path[PATH_MAX];
	bool force = false;
	int c;

	opterr = 0;
	while ((c = getopt_long(argc, argv, "+:fh", longopts, NULL)) != -1) {
		switch (c) {
		case 'f':
			force = true;
			break;
		case 'h':
			fputs(oci_usage, stdout);
			return 0;
		default:
			return hcrun_opt_error(keep ? "oci keep" : "oci teardown", c, argv, err);
		}
	}
	if (argc - optind != 1)
		return hc_error_set(err, EINVAL,
				    "oci %s: expected one BUNDLE (see hcrun oci --help)",
				    keep ? "keep" : "teardown");
	if (state_path_of(argv[optind], path, sizeof(path), err) < 0)
		return HCRUN_EXIT_ERROR;
	if (keep) {
		struct hcrun_oci_kit kit;
		int ret = hcrun_oci_state_load(path, &kit, err);

		if (ret == 0) {
			kit.keep = true;
			ret = hcrun_oci_state_save(&kit, err);
		}
		hcrun_oci_kit_clear(&kit);
		return ret < 0 ? HCRUN_EXIT_ERROR : 0;
	}
	drain_stdin_pipe();
	return teardown_state(path, force, err) < 0 ? HCRUN_EXIT_ERROR : 0;
}

/* ---------------------------------------------------------------- hook */

static const char *annotation(struct json_object *obj, const char *key)
{
	struct json_object *ann, *v;

	if (!json_object_object_get_ex(obj, "annotations", &ann) ||
	    !json_object_object_get_ex(ann, key, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

/* The hook's state directory: $HOSTCHANNEL_HOOK_DIR (tests), else
 * HCRUN_OCI_HOOK_DIR. */
static const char *hook_dir(void)
{
	const char *env = getenv("HOSTCHANNEL_HOOK_DIR");

	return env != NULL && env[0] == '/' ? env : HCRUN_OCI_HOOK_DIR;
}

/* One level under an existing directory (/run): what it makes, the last
 * poststop removes. */
static int make_hook_dir(const char *path, hc_error_t **err)
{
	if (mkdir(path, 0700) < 0 && errno != EEXIST)
		return hc_error_sys(err, errno, "mkdir %s", path);
	return 0;
}

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * podman's --annotation splits its value on ',' (the mode field's
 * separator), so a spec may come with "%2C" for ',' ("%25" for '%', "%3B"
 * for ';'): decoded in place. A '%' not followed by two hex digits stays.
 */
static char *percent_decode(char *s)
{
	char *r = s, *w = s;

	while (*r != '\0') {
		int hi, lo;

		if (r[0] == '%' && (hi = hex_digit(r[1])) >= 0 && (lo = hex_digit(r[2])) >= 0 &&
		    (hi | lo) != 0) {
			*w++ = (char)(hi * 16 + lo);
			r += 3;
		} else {
			*w++ = *r++;
		}
	}
	*w = '\0';
	return s;
}

static int hook_precreate(hc_error_t **err)
{
	struct json_object *config __attribute__((cleanup(hcrun_oci_put))) = NULL;
	struct hcrun_oci_kit kit = {0};
	hc_cleanup_free char *list = NULL;
	hc_cleanup_free char **specs = NULL;
	char id[HCRUN_OCI_ID_MAX + 1];
	const char *text, *mem;
	size_t nspecs = 0, cap;
	char *save = NULL, *tok;
	sigset_t saved;
	int ret = -1;

	if (hcrun_oci_json_read_fd(STDIN_FILENO, "the runtime config on stdin", &config, err) < 0)
		return HCRUN_EXIT_ERROR;
	text = annotation(config, HCRUN_OCI_ANN_SPEC);
	if (text == NULL) {
		/* Not ours (hooks.d "when" should not have called us): unchanged. */
		printf("%s\n", json_object_to_json_string_ext(config, JSON_C_TO_STRING_PLAIN));
		return 0;
	}
	list = strdup(text);
	cap = strlen(text) / 2 + 2;
	specs = calloc(cap, sizeof(char *));
	if (list == NULL || specs == NULL)
		return hc_error_sys(err, ENOMEM, "annotation %s", HCRUN_OCI_ANN_SPEC);
	/* ';' separates specs: a spec itself uses ':' and ','. An empty value
	 * is one empty spec, refused by the grammar as --host-channel "" is. */
	for (tok = strtok_r(list, ";", &save); tok != NULL && nspecs < cap;
	     tok = strtok_r(NULL, ";", &save))
		specs[nspecs++] = percent_decode(tok);
	if (nspecs == 0)
		specs[nspecs++] = list;
	mem = annotation(config, HCRUN_OCI_ANN_MEMORY);
	if (hcrun_oci_kit_add_specs(&kit, specs, nspecs, err) < 0 ||
	    hcrun_oci_random_id(id, sizeof(id), err) < 0 || set_tag(&kit, id, err) < 0)
		goto out;
	if (snprintf(kit.state_path, sizeof(kit.state_path), "%s/%s.json", hook_dir(), id) >=
	    (int)sizeof(kit.state_path)) {
		hc_error_set(err, ENAMETOOLONG, "hook state path too long");
		goto out;
	}
	if (make_hook_dir(hook_dir(), err) < 0)
		goto out;
	hcrun_signals_block(&saved);
	if (hcrun_oci_kit_prepare(&kit, err) < 0) {
		hcrun_signals_restore(&saved);
		goto out;
	}
	if (hcrun_oci_config_edit(config, &kit, mem != NULL && strcmp(mem, "true") == 0, NULL,
				  kit.state_path, err) < 0) {
		hc_cleanup_error hc_error_t *more = NULL;

		if (hcrun_oci_kit_teardown(&kit, &more) < 0)
			hcrun_report(&more);
		hcrun_signals_restore(&saved);
		goto out;
	}
	hcrun_signals_restore(&saved);
	printf("%s\n", json_object_to_json_string_ext(
			       config, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
	ret = 0;
out:
	hcrun_oci_kit_clear(&kit);
	return ret < 0 ? HCRUN_EXIT_ERROR : 0;
}

static int hook_poststop(hc_error_t **err)
{
	struct json_object *state __attribute__((cleanup(hcrun_oci_put))) = NULL;
	struct json_object *config __attribute__((cleanup(hcrun_oci_put))) = NULL;
	const char *path, *dir = hook_dir();
	size_t len = strlen(dir);

	if (hcrun_oci_json_read_fd(STDIN_FILENO, "the OCI state on stdin", &state, err) < 0)
		return HCRUN_EXIT_ERROR;
	path = annotation(state, HCRUN_OCI_ANN_STATE);
	if (path == NULL) {
		/* podman hands poststop the annotations the user gave, not those
		 * precreate added: the bundle's config.json has them. */
		struct json_object *b;
		char cfg_path[PATH_MAX];

		if (annotation(state, HCRUN_OCI_ANN_SPEC) == NULL ||
		    !json_object_object_get_ex(state, "bundle", &b) ||
		    !json_object_is_type(b, json_type_string))
			return 0; /* a container without channels */
		if (snprintf(cfg_path, sizeof(cfg_path), "%s/config.json",
			     json_object_get_string(b)) >= (int)sizeof(cfg_path)) {
			hc_error_set(err, ENAMETOOLONG, "bundle path too long");
			return HCRUN_EXIT_ERROR;
		}
		if (hcrun_oci_json_load(cfg_path, &config, err) < 0)
			return HCRUN_EXIT_ERROR;
		path = annotation(config, HCRUN_OCI_ANN_STATE);
		if (path == NULL)
			return 0; /* precreate did not run: nothing was made */
	}
	/* The annotation can be set by whoever starts the container: only a
	 * state in the hook's own directory is acted on. */
	if (strncmp(path, dir, len) != 0 || path[len] != '/' || strchr(path + len + 1, '/') ||
	    strstr(path, "..") != NULL) {
		hc_error_set(err, EPERM, "annotation %s=\"%s\": not a state file in %s",
			     HCRUN_OCI_ANN_STATE, path, dir);
		return HCRUN_EXIT_ERROR;
	}
	if (teardown_state(path, true, err) < 0)
		return HCRUN_EXIT_ERROR;
	/* The directory is left when other containers' states are in it. */
	if (rmdir(dir) < 0 && errno != ENOTEMPTY && errno != EEXIST && errno != ENOENT &&
	    errno != EBUSY) {
		hc_error_sys(err, errno, "rmdir %s", dir);
		return HCRUN_EXIT_ERROR;
	}
	return 0;
}

int hcrun_cmd_oci(int argc, char *argv[], hc_error_t **err)
{
	const char *verb;

	if (argc < 2) {
		hc_error_set(err, EINVAL,
			     "oci: expected prepare, teardown, keep or hook (see hcrun oci "
			     "--help)");
		return HCRUN_EXIT_ERROR;
	}
	verb = argv[1];
	if (strcmp(verb, "--help") == 0 || strcmp(verb, "-h") == 0) {
		fputs(oci_usage, stdout);
		return 0;
	}
	/* Each verb parses its own argv from argv[0] = the verb. */
	optind = 0;
	if (strcmp(verb, "prepare") == 0)
		return oci_prepare(argc - 1, argv + 1, err);
	if (strcmp(verb, "teardown") == 0)
		return oci_teardown_or_keep(argc - 1, argv + 1, false, err);
	if (strcmp(verb, "keep") == 0)
		return oci_teardown_or_keep(argc - 1, argv + 1, true, err);
	if (strcmp(verb, "hook") == 0 && argc == 3 && strcmp(argv[2], "precreate") == 0)
		return hook_precreate(err);
	if (strcmp(verb, "hook") == 0 && argc == 3 && strcmp(argv[2], "poststop") == 0)
		return hook_poststop(err);
	hc_error_set(err, EINVAL, "oci: unknown command \"%s\" (see hcrun oci --help)", verb);
	return HCRUN_EXIT_ERROR;
}
