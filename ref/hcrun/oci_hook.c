// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The OCI kit as a hook, for engines that run hooks.d (podman, CRI-O):
 * precreate is handed the runtime config and gives back the config with the
 * channels of its annotation HCRUN_OCI_ANN_SPEC; poststop is handed the OCI
 * state and tears down. The specs go through the kit's gate and the host
 * side through its attach and release (oci_kit.c), as the bundle kit's do;
 * what is the hook's own is where its states live and which of them an
 * annotation may name.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <json.h>

#include "hcrun.h"

/* The hook's state directory: $HOSTCHANNEL_HOOK_DIR (tests), else
 * HCRUN_OCI_HOOK_DIR. */
const char *hcrun_oci_hook_dir(void)
{
	const char *env = getenv("HOSTCHANNEL_HOOK_DIR");

	return env != NULL && env[0] == '/' ? env : HCRUN_OCI_HOOK_DIR;
}

/* One level under an existing directory (/run): what it makes, the last
 * poststop removes, or the precreate that made it and then failed.
 * *made: this call made it. */
static int make_hook_dir(const char *path, bool *made, hc_error_t **err)
{
	*made = mkdir(path, 0700) == 0;
	if (!*made && errno != EEXIST)
		return hc_error_sys(err, errno, "mkdir %s", path);
	return 0;
}

int hcrun_oci_hook_precreate(int in_fd, FILE *out, const char *policy_path, hc_error_t **err)
{
	struct json_object *config __attribute__((cleanup(hcrun_oci_put))) = NULL;
	struct hcrun_policy policy = {0};
	struct hcrun_oci_kit kit = {0};
	struct hcrun_oci_spec_list list = {0};
	char id[HCRUN_OCI_ID_MAX + 1];
	const char *text, *mem;
	bool made_dir = false;
	int ret = -1;

	if (hcrun_oci_json_read_fd(in_fd, "the runtime config on stdin", &config, err) < 0)
		return -1;
	/* The container's creator wrote the annotations: one that is there but
	 * not a string is refused, not taken for "no channel". */
	if (hcrun_oci_annotation_get(config, HCRUN_OCI_ANN_SPEC, &text, err) < 0 ||
	    hcrun_oci_annotation_get(config, HCRUN_OCI_ANN_MEMORY, &mem, err) < 0)
		return -1;
	if (text == NULL) {
		/* Not ours (hooks.d "when" should not have called us): unchanged. */
		fprintf(out, "%s\n",
			json_object_to_json_string_ext(config, JSON_C_TO_STRING_PLAIN));
		return 0;
	}
	/* Read only for a container that asks: a broken policy file must not
	 * stop the others. The annotation is whoever starts the container's. */
	if (hcrun_policy_load_default(policy_path, &policy, err) < 0)
		return -1;
	if (hcrun_oci_spec_list_split(text, "annotation " HCRUN_OCI_ANN_SPEC, &list, err) < 0)
		goto out;
	if (hcrun_oci_kit_add_specs(&kit, &policy, list.specs, list.nspecs, err) < 0) {
		hc_error_prefix(err, "annotation " HCRUN_OCI_ANN_SPEC);
		goto out;
	}
	if (hcrun_oci_random_id(id, sizeof(id), err) < 0 ||
	    hcrun_oci_kit_set_tag(&kit, id, err) < 0)
		goto out;
	if (snprintf(kit.state_path, sizeof(kit.state_path), "%s/%s.json", hcrun_oci_hook_dir(),
		     id) >= (int)sizeof(kit.state_path)) {
		hc_error_set(err, ENAMETOOLONG, "hook state path too long");
		goto out;
	}
	if (make_hook_dir(hcrun_oci_hook_dir(), &made_dir, err) < 0)
		goto out;
	hcrun_fault_at("state directory made");
	if (hcrun_oci_kit_attach(&kit, config, mem != NULL && strcmp(mem, "true") == 0, NULL, NULL,
				 err) < 0)
		goto out;
	/* The engine has the config once it is out, whole: only then is the
	 * record complete. A hook killed before that fails the container's
	 * create, so gc rolls back what it made. */
	hcrun_fault_at("before the config is printed");
	if (fprintf(out, "%s\n",
		    json_object_to_json_string_ext(
			    config, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)) < 0 ||
	    fflush(out) != 0) {
		hc_error_sys(err, errno, "write the config on stdout");
		hcrun_oci_kit_undo(&kit);
		goto out;
	}
	hcrun_fault_at("config printed");
	if (hcrun_oci_kit_commit(&kit, HCRUN_OCI_PREPARED, err) < 0) {
		hcrun_oci_kit_undo(&kit);
		goto out;
	}
	ret = 0;
out:
	/* A refused config leaves nothing: the directory it made neither
	 * (ENOTEMPTY: another precreate's state went in meanwhile). */
	if (ret < 0 && made_dir)
		(void)rmdir(hcrun_oci_hook_dir());
	hcrun_oci_kit_clear(&kit);
	hcrun_oci_spec_list_clear(&list);
	hcrun_policy_clear(&policy);
	return ret;
}

int hcrun_oci_hook_poststop(int in_fd, hc_error_t **err)
{
	struct json_object *state __attribute__((cleanup(hcrun_oci_put))) = NULL;
	struct json_object *config __attribute__((cleanup(hcrun_oci_put))) = NULL;
	const char *path, *dir = hcrun_oci_hook_dir();
	size_t len = strlen(dir);

	if (hcrun_oci_json_read_fd(in_fd, "the OCI state on stdin", &state, err) < 0)
		return -1;
	path = hcrun_oci_annotation(state, HCRUN_OCI_ANN_STATE);
	if (path == NULL) {
		/* podman hands poststop the annotations the user gave, not those
		 * precreate added: the bundle's config.json has them. */
		struct json_object *b;
		char cfg_path[PATH_MAX];

		if (hcrun_oci_annotation(state, HCRUN_OCI_ANN_SPEC) == NULL ||
		    !json_object_object_get_ex(state, "bundle", &b) ||
		    !json_object_is_type(b, json_type_string))
			return 0; /* a container without channels */
		if (snprintf(cfg_path, sizeof(cfg_path), "%s/config.json",
			     json_object_get_string(b)) >= (int)sizeof(cfg_path))
			return hc_error_set(err, ENAMETOOLONG, "bundle path too long");
		if (hcrun_oci_json_load(cfg_path, &config, err) < 0)
			return -1;
		path = hcrun_oci_annotation(config, HCRUN_OCI_ANN_STATE);
		if (path == NULL)
			return 0; /* precreate did not run: nothing was made */
	}
	/* The annotation can be set by whoever starts the container: only a
	 * state in the hook's own directory is acted on. */
	if (!hcrun_path_within(path, dir) || strchr(path + len + 1, '/') ||
	    strstr(path, "..") != NULL)
		return hc_error_set(err, EPERM, "annotation %s=\"%s\": not a state file in %s",
				    HCRUN_OCI_ANN_STATE, path, dir);
	if (hcrun_oci_release(path, true, err) < 0)
		return -1;
	/* The directory is left when other containers' states are in it. */
	if (rmdir(dir) < 0 && errno != ENOTEMPTY && errno != EEXIST && errno != ENOENT &&
	    errno != EBUSY)
		return hc_error_sys(err, errno, "rmdir %s", dir);
	hcrun_fault_at("state directory removed if empty");
	return 0;
}
