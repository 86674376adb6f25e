// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The OCI integration kit's files: the JSON it reads and writes, the state
 * file that records what was made, and the edit that gives an OCI runtime
 * config (an engine's bundle config.json, or the config a precreate hook is
 * handed) host channels. The operations on them are oci_kit.c's, with
 * libhostchannel doing the host side exactly as hcrun does (contract
 * section 3).
 *
 * An OCI runtime builds the container's mounts at create, before any hook
 * could mount anything it would see, so the kit mounts the tmpfs before the
 * engine's create, and the config only gains a bind of it. What was made
 * is written to a state file before it is made (as hcrun's "creating"
 * state), so that a teardown, even of a prepare that died half way, removes
 * exactly that and nothing else.
 *
 * The state file:
 *   {"version": 1, "tag": "hostchannel-oci-ID", "keep": false,
 *    "channels": [{"spec": "...", "host_path": "...", "real_path": "...",
 *                  "created_top": "...", "dev": N, "ino": N,
 *                  "mnt_id": N, "mnt_tag": "..."}, ...]}
 * "real_path" stays "" until prepare made that channel's directory.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>

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
		    add_u64(c, "dev", ch->host.dev) < 0 || add_u64(c, "ino", ch->host.ino) < 0 ||
		    add_u64(c, "mnt_id", ch->host.mnt_id) < 0 ||
		    add_str(c, "mnt_tag", ch->host.mnt_tag) < 0)
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
		/* The tmpfs by its mount ID; absent from older states, whose
		 * channels the library looks up by what the kernel or the table
		 * says. */
		if (json_object_object_get_ex(c, "mnt_id", NULL) &&
		    (get_u64(c, "mnt_id", &ch->host.mnt_id) < 0 ||
		     get_str(c, "mnt_tag", ch->host.mnt_tag, sizeof(ch->host.mnt_tag)) < 0))
			return hc_error_set(err, EINVAL, "%s: channel %zu is malformed", path, i);
		kit->nchannels = i + 1;
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

/* ------------------------------------------------- reading the config */

const char *hcrun_oci_annotation(struct json_object *obj, const char *key)
{
	struct json_object *ann, *v;

	if (!json_object_object_get_ex(obj, "annotations", &ann) ||
	    !json_object_object_get_ex(ann, key, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
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

int hcrun_oci_spec_list_split(const char *text, const char *what, struct hcrun_oci_spec_list *list,
			      hc_error_t **err)
{
	size_t cap = strlen(text) / 2 + 2;
	char *save = NULL, *tok;

	memset(list, 0, sizeof(*list));
	list->text = strdup(text);
	list->specs = calloc(cap, sizeof(char *));
	if (list->text == NULL || list->specs == NULL) {
		hcrun_oci_spec_list_clear(list);
		return hc_error_sys(err, ENOMEM, "%s", what);
	}
	/* ';' separates specs: a spec itself uses ':' and ','. An empty value
	 * is one empty spec, refused by the grammar as --host-channel "" is. */
	for (tok = strtok_r(list->text, ";", &save); tok != NULL && list->nspecs < cap;
	     tok = strtok_r(NULL, ";", &save))
		list->specs[list->nspecs++] = percent_decode(tok);
	if (list->nspecs == 0)
		list->specs[list->nspecs++] = list->text;
	return 0;
}

void hcrun_oci_spec_list_clear(struct hcrun_oci_spec_list *list)
{
	free(list->specs);
	free(list->text);
	memset(list, 0, sizeof(*list));
}
