// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The OCI integration kit's core: give an OCI runtime config (an engine's
 * bundle config.json, or the config a precreate hook is handed) host
 * channels, and take them away again, with libhostchannel doing the host
 * side exactly as hcrun does (contract section 3).
 *
 * An OCI runtime builds the container's mounts at create, before any hook
 * could mount anything it would see, so the tmpfs is mounted here, before
 * the engine's create, and the config only gains a bind of it. What was made
 * is written to a state file before it is made (as hcrun's "creating"
 * state), so that a teardown, even of a prepare that died half way, removes
 * exactly that and nothing else.
 *
 * The state file:
 *   {"version": 1, "tag": "hostchannel-oci-ID", "keep": false,
 *    "channels": [{"spec": "...", "host_path": "...", "real_path": "...",
 *                  "created_top": "...", "dev": N, "ino": N}, ...]}
 * "real_path" stays "" until prepare made that channel's directory.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <json.h>

#include "hcrun.h"

#define OCI_STATE_VERSION 1
#define OCI_JSON_MAX	  (16 << 20) /* far above any real config; bounds a corrupt one */

void hcrun_oci_put(struct json_object **obj)
{
	if (*obj != NULL)
		json_object_put(*obj);
	*obj = NULL;
}

void hcrun_oci_kit_clear(struct hcrun_oci_kit *kit)
{
	free(kit->channels);
	memset(kit, 0, sizeof(*kit));
}

int hcrun_oci_random_id(char *buf, size_t len, hc_error_t **err)
{
	unsigned char bytes[6];
	size_t i;

	if (len < 2 * sizeof(bytes) + 1)
		return hc_error_set(err, ENAMETOOLONG, "id buffer too small");
	if (getrandom(bytes, sizeof(bytes), 0) != (ssize_t)sizeof(bytes))
		return hc_error_sys(err, errno, "getrandom");
	for (i = 0; i < sizeof(bytes); i++)
		snprintf(buf + 2 * i, 3, "%02x", bytes[i]);
	return 0;
}

/* ------------------------------------------------------------ json files */

int hcrun_oci_json_parse(const char *text, size_t len, const char *what, struct json_object **out,
			 hc_error_t **err)
{
	struct json_tokener *tok;
	struct json_object *obj;
	enum json_tokener_error jerr;

	tok = json_tokener_new();
	if (tok == NULL)
		return hc_error_sys(err, ENOMEM, "%s", what);
	obj = json_tokener_parse_ex(tok, text, (int)len);
	jerr = json_tokener_get_error(tok);
	json_tokener_free(tok);
	if (obj == NULL || jerr != json_tokener_success) {
		if (obj != NULL)
			json_object_put(obj);
		return hc_error_set(err, EINVAL, "%s: not valid JSON (%s)", what,
				    json_tokener_error_desc(jerr));
	}
	if (!json_object_is_type(obj, json_type_object)) {
		json_object_put(obj);
		return hc_error_set(err, EINVAL, "%s: not a JSON object", what);
	}
	*out = obj;
	return 0;
}

/* Read all of fd (bounded), then parse it. */
int hcrun_oci_json_read_fd(int fd, const char *what, struct json_object **out, hc_error_t **err)
{
	hc_cleanup_free char *buf = NULL;
	size_t len;

	if (hc_read_fd(fd, OCI_JSON_MAX, what, &buf, &len, err) < 0)
		return -1;
	return hcrun_oci_json_parse(buf, len, what, out, err);
}

int hcrun_oci_json_load(const char *path, struct json_object **out, hc_error_t **err)
{
	hc_cleanup_close int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);

	if (fd < 0)
		return hc_error_sys(err, errno, "open %s", path);
	return hcrun_oci_json_read_fd(fd, path, out, err);
}

/*
 * Replace path atomically: a temp file beside it, fsync, rename, fsync of
 * the directory. A reader (the engine reading config.json, a teardown
 * reading the state) sees the old file or the new one, whole. mode applies
 * to a new file.
 */
int hcrun_oci_json_save(const char *path, struct json_object *obj, mode_t mode, hc_error_t **err)
{
	const char *json = json_object_to_json_string_ext(
		obj, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE);
	hc_cleanup_free char *text = NULL;
	char tmp[PATH_MAX];
	int n;

	if (json == NULL || asprintf(&text, "%s\n", json) < 0) {
		text = NULL;
		return hc_error_sys(err, ENOMEM, "serialise %s", path);
	}
	n = snprintf(tmp, sizeof(tmp), "%s.hc-tmp", path);
	if (n < 0 || (size_t)n >= sizeof(tmp))
		return hc_error_set(err, ENAMETOOLONG, "%s: path too long", path);
	return hc_replace_file(path, tmp, text, strlen(text), mode, err);
}

/* ------------------------------------------------------------ the state */

static int add_str(struct json_object *obj, const char *key, const char *val)
{
	struct json_object *s = json_object_new_string(val);

	if (s == NULL)
		return -1;
	if (json_object_object_add(obj, key, s) < 0) {
		json_object_put(s);
		return -1;
	}
	return 0;
}

static int add_u64(struct json_object *obj, const char *key, uint64_t val)
{
	struct json_object *n = json_object_new_uint64(val);

	if (n == NULL)
		return -1;
	if (json_object_object_add(obj, key, n) < 0) {
		json_object_put(n);
		return -1;
	}
	return 0;
}

static int add_bool(struct json_object *obj, const char *key, bool val)
{
	struct json_object *b = json_object_new_boolean(val);

	if (b == NULL)
		return -1;
	if (json_object_object_add(obj, key, b) < 0) {
		json_object_put(b);
		return -1;
	}
	return 0;
}

int hcrun_oci_state_save(const struct hcrun_oci_kit *kit, hc_error_t **err)
{
	struct json_object *root __attribute__((cleanup(hcrun_oci_put))) = json_object_new_object();
	struct json_object *chans = json_object_new_array();
	size_t i;

	if (root == NULL || chans == NULL || json_object_object_add(root, "channels", chans) < 0) {
		if (chans != NULL)
			json_object_put(chans);
		return hc_error_sys(err, ENOMEM, "state %s", kit->state_path);
	}
	if (add_u64(root, "version", OCI_STATE_VERSION) < 0 || add_str(root, "tag", kit->tag) < 0 ||
	    add_bool(root, "keep", kit->keep) < 0)
		return hc_error_sys(err, ENOMEM, "state %s", kit->state_path);
	for (i = 0; i < kit->nchannels; i++) {
		const struct hcrun_oci_channel *ch = &kit->channels[i];
		struct json_object *c = json_object_new_object();
		char spec[2 * PATH_MAX + 64];

		if (c == NULL || json_object_array_add(chans, c) < 0) {
			if (c != NULL)
				json_object_put(c);
			return hc_error_sys(err, ENOMEM, "state %s", kit->state_path);
		}
		if (hc_spec_format(&ch->spec, spec, sizeof(spec)) < 0)
			return hc_error_set(err, ENAMETOOLONG, "state: spec too long");
		if (add_str(c, "spec", spec) < 0 || add_str(c, "host_path", ch->host.path) < 0 ||
		    add_str(c, "real_path", ch->host.real_path) < 0 ||
		    add_str(c, "created_top", ch->host.created_top) < 0 ||
		    add_u64(c, "dev", ch->host.dev) < 0 || add_u64(c, "ino", ch->host.ino) < 0)
			return hc_error_sys(err, ENOMEM, "state %s", kit->state_path);
	}
	return hcrun_oci_json_save(kit->state_path, root, 0600, err);
}

static int get_str(struct json_object *obj, const char *key, char *buf, size_t len)
{
	struct json_object *v;
	const char *s;

	if (!json_object_object_get_ex(obj, key, &v) || !json_object_is_type(v, json_type_string))
		return -1;
	s = json_object_get_string(v);
	if ((size_t)json_object_get_string_len(v) >= len || strlen(s) >= len)
		return -1;
	memcpy(buf, s, strlen(s) + 1);
	return 0;
}

static int get_u64(struct json_object *obj, const char *key, uint64_t *val)
{
	struct json_object *v;

	if (!json_object_object_get_ex(obj, key, &v) || !json_object_is_type(v, json_type_int))
		return -1;
	*val = json_object_get_uint64(v);
	return 0;
}

int hcrun_oci_state_load(const char *path, struct hcrun_oci_kit *kit, hc_error_t **err)
{
	struct json_object *root __attribute__((cleanup(hcrun_oci_put))) = NULL;
	struct json_object *chans, *v;
	struct hc_limits limits;
	uint64_t version, dev, ino;
	size_t i, n;

	memset(kit, 0, sizeof(*kit));
	if (snprintf(kit->state_path, sizeof(kit->state_path), "%s", path) >=
	    (int)sizeof(kit->state_path))
		return hc_error_set(err, ENAMETOOLONG, "%s: path too long", path);
	if (hcrun_oci_json_load(path, &root, err) < 0)
		return -1;
	if (get_u64(root, "version", &version) < 0 || version != OCI_STATE_VERSION ||
	    get_str(root, "tag", kit->tag, sizeof(kit->tag)) < 0 ||
	    !json_object_object_get_ex(root, "channels", &chans) ||
	    !json_object_is_type(chans, json_type_array))
		return hc_error_set(err, EINVAL, "%s: not a host channel state (version %d)", path,
				    OCI_STATE_VERSION);
	if (json_object_object_get_ex(root, "keep", &v))
		kit->keep = json_object_get_boolean(v);
	/* The state only says what was made; the bounds do not matter any more. */
	limits.page_size = 1;
	limits.max_size = UINT64_MAX;
	n = json_object_array_length(chans);
	kit->channels = calloc(n ? n : 1, sizeof(*kit->channels));
	if (kit->channels == NULL)
		return hc_error_sys(err, ENOMEM, "%s", path);
	for (i = 0; i < n; i++) {
		struct json_object *c = json_object_array_get_idx(chans, i);
		struct hcrun_oci_channel *ch = &kit->channels[i];
		char spec[2 * PATH_MAX + 64];

		if (c == NULL || get_str(c, "spec", spec, sizeof(spec)) < 0 ||
		    hc_spec_parse(spec, &limits, &ch->spec, NULL) < 0 ||
		    get_str(c, "host_path", ch->host.path, sizeof(ch->host.path)) < 0 ||
		    get_str(c, "real_path", ch->host.real_path, sizeof(ch->host.real_path)) < 0 ||
		    get_str(c, "created_top", ch->host.created_top, sizeof(ch->host.created_top)) <
			    0 ||
		    get_u64(c, "dev", &dev) < 0 || get_u64(c, "ino", &ino) < 0)
			return hc_error_set(err, EINVAL, "%s: channel %zu is malformed", path, i);
		ch->host.dev = (dev_t)dev;
		ch->host.ino = (ino_t)ino;
		kit->nchannels = i + 1;
	}
	return 0;
}

/* ------------------------------------------------------------- the specs */

static bool path_within(const char *inner, const char *outer)
{
	size_t len = strlen(outer);

	return strncmp(inner, outer, len) == 0 && inner[len] == '/';
}

/*
 * The same checks, and the same words, as hcrun create: every spec parsed
 * against the system's bounds, no two channels sharing or nesting a path,
 * no host path that exists. Nothing on disk is touched.
 */
int hcrun_oci_kit_add_specs(struct hcrun_oci_kit *kit, char *const specs[], size_t nspecs,
			    hc_error_t **err)
{
	struct hc_limits limits;
	size_t i, j;

	if (hc_limits_from_system(&limits, err) < 0)
		return -1;
	kit->channels = calloc(nspecs ? nspecs : 1, sizeof(*kit->channels));
	if (kit->channels == NULL)
		return hc_error_sys(err, ENOMEM, "--host-channel");
	for (i = 0; i < nspecs; i++) {
		struct hc_spec *a = &kit->channels[i].spec;

		if (hc_spec_parse(specs[i], &limits, a, err) < 0)
			return hc_error_prefix(err, "--host-channel");
		kit->nchannels = i + 1;
		for (j = 0; j < i; j++)
			if (hcrun_channels_conflict(a, &kit->channels[j].spec, err) < 0)
				return -1;
		if (hcrun_host_path_absent(a, err) < 0)
			return -1;
		/* Until prepare makes it, teardown must not look at the path. */
		snprintf(kit->channels[i].host.path, sizeof(kit->channels[i].host.path), "%s",
			 a->host_path);
	}
	return 0;
}

/* ----------------------------------------------------- editing the config */

/* obj[key], made an empty object or array when missing; NULL when it is
 * there with another type, or on ENOMEM. */
static struct json_object *member(struct json_object *obj, const char *key, json_type type)
{
	struct json_object *v;

	if (json_object_object_get_ex(obj, key, &v))
		return json_object_is_type(v, type) ? v : NULL;
	v = type == json_type_array ? json_object_new_array() : json_object_new_object();
	if (v == NULL)
		return NULL;
	if (json_object_object_add(obj, key, v) < 0) {
		json_object_put(v);
		return NULL;
	}
	return v;
}

static int add_mount(struct json_object *mounts, const struct hcrun_oci_channel *ch)
{
	/* As iSulad's entry: rbind, the propagation, the mode; plus the host
	 * tmpfs's own flags, so that the bind cannot come out more permissive
	 * than the mount it shows. */
	const char *opts[] = {"rbind",
			      hc_propagation_name(ch->spec.propagation),
			      ch->spec.readonly ? "ro" : "rw",
			      "nosuid",
			      "nodev",
			      "noexec"};
	struct json_object *m = json_object_new_object();
	struct json_object *o = json_object_new_array();
	size_t i;

	if (m == NULL || o == NULL || json_object_array_add(mounts, m) < 0) {
		if (m != NULL)
			json_object_put(m);
		if (o != NULL)
			json_object_put(o);
		return -1;
	}
	if (json_object_object_add(m, "options", o) < 0) {
		json_object_put(o);
		return -1;
	}
	if (add_str(m, "destination", ch->spec.container_path) < 0 ||
	    add_str(m, "type", "bind") < 0 || add_str(m, "source", ch->host.real_path) < 0)
		return -1;
	for (i = 0; i < sizeof(opts) / sizeof(opts[0]); i++) {
		struct json_object *s = json_object_new_string(opts[i]);

		if (s == NULL || json_object_array_add(o, s) < 0) {
			if (s != NULL)
				json_object_put(s);
			return -1;
		}
	}
	return 0;
}

/* Raise linux.resources.memory.limit (and swap, which the OCI runtimes
 * want >= limit, when it is set) by add; no limit, nothing to raise. */
static int raise_memory(struct json_object *config, uint64_t add, hc_error_t **err)
{
	static const char *const keys[] = {"limit", "swap"};
	struct json_object *linux_, *res, *mem;
	size_t i;

	if (!json_object_object_get_ex(config, "linux", &linux_) ||
	    !json_object_object_get_ex(linux_, "resources", &res) ||
	    !json_object_object_get_ex(res, "memory", &mem))
		return 0;
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		struct json_object *v;
		int64_t now;

		if (!json_object_object_get_ex(mem, keys[i], &v) ||
		    !json_object_is_type(v, json_type_int))
			continue;
		now = json_object_get_int64(v);
		/* -1 and 0 both mean "no limit" to the runtimes. */
		if (now <= 0)
			continue;
		if ((uint64_t)now > (uint64_t)INT64_MAX - add)
			return hc_error_set(err, EOVERFLOW,
					    "--memory-add-channel: linux.resources.memory.%s %lld "
					    "plus the channels' %llu bytes overflows",
					    keys[i], (long long)now, (unsigned long long)add);
		if (json_object_set_int64(v, now + (int64_t)add) == 0)
			return hc_error_sys(err, EINVAL, "set linux.resources.memory.%s", keys[i]);
	}
	return 0;
}

int hcrun_oci_config_edit(struct json_object *config, const struct hcrun_oci_kit *kit,
			  bool memory_add, char *const poststop[], const char *state_annotation,
			  hc_error_t **err)
{
	struct json_object *mounts = member(config, "mounts", json_type_array);
	struct json_object *annotations = member(config, "annotations", json_type_object);
	struct json_object *v;
	uint64_t total = 0;
	size_t i;

	if (mounts == NULL || annotations == NULL)
		return hc_error_set(err, EINVAL,
				    "config: \"mounts\" is not an array or \"annotations\" "
				    "not an object");
	if (json_object_object_get_ex(annotations, HCRUN_OCI_ANN_STATE, &v))
		return hc_error_set(err, EEXIST,
				    "config already has host channels (annotation %s = \"%s\")",
				    HCRUN_OCI_ANN_STATE, json_object_get_string(v));
	for (i = 0; i < kit->nchannels; i++) {
		if (add_mount(mounts, &kit->channels[i]) < 0)
			return hc_error_sys(err, ENOMEM, "config: add a mount");
		total += kit->channels[i].spec.size; /* each <= MemTotal/2: no overflow */
	}
	if (memory_add && raise_memory(config, total, err) < 0)
		return -1;
	if (add_str(annotations, HCRUN_OCI_ANN_STATE, state_annotation) < 0)
		return hc_error_sys(err, ENOMEM, "config: add an annotation");
	if (poststop != NULL) {
		struct json_object *hooks = member(config, "hooks", json_type_object);
		struct json_object *stage =
			hooks ? member(hooks, "poststop", json_type_array) : NULL;
		struct json_object *hook = json_object_new_object();
		struct json_object *args = json_object_new_array();

		if (stage == NULL || hook == NULL || args == NULL ||
		    json_object_array_add(stage, hook) < 0) {
			if (hook != NULL)
				json_object_put(hook);
			if (args != NULL)
				json_object_put(args);
			return hc_error_set(err, EINVAL,
					    "config: \"hooks\" or \"hooks.poststop\" is malformed");
		}
		if (json_object_object_add(hook, "args", args) < 0) {
			json_object_put(args);
			return hc_error_sys(err, ENOMEM, "config: add a hook");
		}
		if (add_str(hook, "path", poststop[0]) < 0)
			return hc_error_sys(err, ENOMEM, "config: add a hook");
		for (i = 0; poststop[i] != NULL; i++) {
			struct json_object *s = json_object_new_string(poststop[i]);

			if (s == NULL || json_object_array_add(args, s) < 0) {
				if (s != NULL)
					json_object_put(s);
				return hc_error_sys(err, ENOMEM, "config: add a hook");
			}
		}
	}
	return 0;
}

/* --------------------------------------------------------- host side */

int hcrun_oci_kit_prepare(struct hcrun_oci_kit *kit, hc_error_t **err)
{
	size_t i;

	/* Listed before anything is made: a prepare that dies half way
	 * leaves teardown the list of what to remove. O_EXCL semantics: a
	 * state that exists belongs to another prepare. */
	if (access(kit->state_path, F_OK) == 0)
		return hc_error_set(err, EEXIST,
				    "%s exists: this bundle already has host channels (hcrun oci "
				    "teardown removes them)",
				    kit->state_path);
	for (i = 0; i < kit->nchannels; i++)
		kit->channels[i].host.real_path[0] = '\0';
	if (hcrun_oci_state_save(kit, err) < 0)
		return -1;
	for (i = 0; i < kit->nchannels; i++) {
		struct hcrun_oci_channel *ch = &kit->channels[i];
		bool reused = false;
		size_t j;

		if (hc_host_prepare(ch->spec.host_path, &ch->host, err) < 0) {
			/* It made nothing: teardown must not touch its path. */
			memset(&ch->host, 0, sizeof(ch->host));
			hc_error_prefix(err, "--host-channel");
			goto undo;
		}
		if (hcrun_oci_state_save(kit, err) < 0)
			goto undo;
		/* Symlinked parents can make two paths one, or nest them. */
		for (j = 0; j < i; j++) {
			const char *a = ch->host.real_path, *b = kit->channels[j].host.real_path;

			if (strcmp(a, b) == 0 || path_within(a, b) || path_within(b, a)) {
				hc_error_set(err, EINVAL,
					     "--host-channel: host paths \"%s\" and \"%s\" nest "
					     "once resolved (\"%s\", \"%s\"): one tmpfs would "
					     "hide the other",
					     kit->channels[j].spec.host_path, ch->spec.host_path, b,
					     a);
				goto undo;
			}
		}
		if (hc_host_mount(&ch->host, ch->spec.size, kit->tag, &reused, err) < 0) {
			hc_error_prefix(err, "host channel %s", ch->spec.host_path);
			goto undo;
		}
	}
	return 0;
undo : {
	hc_cleanup_error hc_error_t *more = NULL;

	/* If that fails too, the state stays: teardown can try again. */
	if (hcrun_oci_kit_teardown(kit, &more) < 0)
		hcrun_report(&more);
}
	return -1;
}

int hcrun_oci_kit_teardown(struct hcrun_oci_kit *kit, hc_error_t **err)
{
	bool failed = false;
	size_t i;

	/* Reverse order of preparation: what was made last goes first. */
	for (i = kit->nchannels; i-- > 0;) {
		struct hcrun_oci_channel *ch = &kit->channels[i];
		hc_cleanup_error hc_error_t *e = NULL;

		if (ch->host.real_path[0] == '\0')
			continue;
		if (hc_host_teardown(&ch->host, kit->tag, &e) < 0) {
			hc_error_prefix(&e, "host channel %s", ch->spec.host_path);
			hcrun_report(&e);
			failed = true;
			continue;
		}
		/* Done with: a retry must not look at that path again. */
		ch->host.real_path[0] = '\0';
		ch->host.created_top[0] = '\0';
	}
	if (failed) {
		if (hcrun_oci_state_save(kit, err) < 0)
			return -1;
		return hc_error_set(err, EBUSY,
				    "host channels not fully removed; %s keeps what is left: "
				    "run hcrun oci teardown again",
				    kit->state_path);
	}
	if (unlink(kit->state_path) < 0 && errno != ENOENT)
		return hc_error_sys(err, errno, "unlink %s", kit->state_path);
	return 0;
}
