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
 * "real_path" stays "" until prepare made that channel's directory. Since
 * the kit journals its prepare, a channel also carries the journal of
 * libhostchannel's hc_host (a prepare killed half way is rolled back from
 * it): "token", "pending", "pending_dev", "pending_ino". The record says
 * where its operation stands, "phase": "preparing", "runtime" (the shim's
 * runtime create, with "owner": {"pid": N, "start": N}), "prepared" or
 * "releasing"; the shim's records name the runtime to ask about the
 * container: "runtime": {"path": "...", "root": "...", "id": "..."}. These
 * fields are optional on reading: a record of old is "prepared".
 *
 * Whoever writes a record holds its lock (flock) from the first write to
 * the last, and a write keeps it: the new file is locked before it is
 * renamed over the old one. hcrun oci gc (oci_gc.c) tells a live
 * operation from one whose process died by that lock alone.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
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
	hcrun_oci_state_unlock(kit);
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

/*
 * Every JSON this kit reads (a config, an OCI state, its own state file) may
 * come from someone else, and the runtimes that read the same file are Go
 * programs: json-c and Go must not read two different documents out of one
 * text. So, beyond json-c's strict mode (no comments, no trailing commas,
 * nothing after the value) and its UTF-8 check (Go would read broken UTF-8
 * as U+FFFD), an object may not hold one key twice (both keep the last
 * value, but a reader that keeps the first would see another config), a key
 * may not hold a NUL (json-c cuts it there, Go does not: "a\u0000b" would be
 * "a" to us) and strings are double-quoted (json-c takes 'x' as a key).
 * json-c has parsed the text when this walks it: only the nesting, the
 * strings and the keys matter here, and each key is decoded by json-c
 * itself, so that "a" and "\u0061" are the one key they are.
 */
#define JSON_DEPTH_MAX 64 /* above json-c's own limit (32) */

struct json_key_walk {
	struct json_tokener *tok;
	struct json_object *keys[JSON_DEPTH_MAX]; /* NULL: an array */
	bool want_key[JSON_DEPTH_MAX];
	int depth;
};

/* The string that starts at text[*i] ('"'), *i moved past its end. */
static size_t json_string_end(const char *text, size_t len, size_t i)
{
	for (i++; i < len && text[i] != '"'; i++)
		if (text[i] == '\\')
			i++;
	return i + 1;
}

static bool json_word(const char *w, size_t n)
{
	return (n == 4 && memcmp(w, "true", 4) == 0) || (n == 5 && memcmp(w, "false", 5) == 0) ||
	       (n == 4 && memcmp(w, "null", 4) == 0);
}

static int json_key_check(struct json_key_walk *w, const char *text, size_t start, size_t end,
			  const char *what, hc_error_t **err)
{
	struct json_object *key __attribute__((cleanup(hcrun_oci_put))) = NULL;
	struct json_object *set = w->keys[w->depth - 1];
	const char *s;

	json_tokener_reset(w->tok);
	key = json_tokener_parse_ex(w->tok, text + start, (int)(end - start));
	if (key == NULL || !json_object_is_type(key, json_type_string))
		return hc_error_set(err, EINVAL, "%s: key at byte %zu cannot be read", what, start);
	s = json_object_get_string(key);
	if (strlen(s) != (size_t)json_object_get_string_len(key))
		return hc_error_set(err, EINVAL,
				    "%s: key \"%s\\u0000...\" at byte %zu holds a NUL byte "
				    "(JSON readers disagree on such a key)",
				    what, s, start);
	if (json_object_object_get_ex(set, s, NULL))
		return hc_error_set(err, EINVAL,
				    "%s: key \"%s\" appears twice in one object (at byte %zu): "
				    "JSON readers disagree on which one counts",
				    what, s, start);
	if (json_object_object_add(set, s, NULL) < 0)
		return hc_error_sys(err, ENOMEM, "%s", what);
	return 0;
}

static int json_keys_check(const char *text, size_t len, const char *what, hc_error_t **err)
{
	struct json_key_walk w = {.depth = 0};
	size_t i = 0;
	int ret = -1;

	w.tok = json_tokener_new();
	if (w.tok == NULL)
		return hc_error_sys(err, ENOMEM, "%s", what);
	while (i < len) {
		char c = text[i];

		if (c == '"') {
			size_t end = json_string_end(text, len, i);

			if (w.depth > 0 && w.keys[w.depth - 1] != NULL && w.want_key[w.depth - 1]) {
				if (json_key_check(&w, text, i, end, what, err) < 0)
					goto out;
				w.want_key[w.depth - 1] = false;
			}
			i = end;
			continue;
		}
		if (c == '\'') {
			hc_error_set(err, EINVAL,
				     "%s: not valid JSON at byte %zu (a single-quoted string)",
				     what, i);
			goto out;
		}
		/* json-c takes NaN and Infinity, Go refuses them (and a NaN is
		 * not equal to itself): a word is true, false or null. */
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) {
			size_t start = i;

			while (i < len && ((text[i] >= 'a' && text[i] <= 'z') ||
					   (text[i] >= 'A' && text[i] <= 'Z')))
				i++;
			if (!json_word(text + start, i - start)) {
				hc_error_set(err, EINVAL,
					     "%s: not valid JSON at byte %zu (\"%.*s\")", what,
					     start, (int)(i - start), text + start);
				goto out;
			}
			continue;
		}
		if ((c >= '0' && c <= '9') || c == '-') {
			while (i < len && strchr("0123456789+-.eE", text[i]) != NULL &&
			       text[i] != '\0')
				i++;
			continue;
		}
		if (c == '{' || c == '[') {
			if (w.depth == JSON_DEPTH_MAX) {
				hc_error_set(err, EINVAL, "%s: nested deeper than %d", what,
					     JSON_DEPTH_MAX);
				goto out;
			}
			w.keys[w.depth] = NULL;
			if (c == '{' && (w.keys[w.depth] = json_object_new_object()) == NULL) {
				hc_error_sys(err, ENOMEM, "%s", what);
				goto out;
			}
			w.want_key[w.depth++] = c == '{';
		} else if ((c == '}' || c == ']') && w.depth > 0) {
			hcrun_oci_put(&w.keys[--w.depth]);
		} else if (c == ',' && w.depth > 0) {
			w.want_key[w.depth - 1] = true;
		}
		i++;
	}
	ret = 0;
out:
	while (w.depth > 0)
		hcrun_oci_put(&w.keys[--w.depth]);
	json_tokener_free(w.tok);
	return ret;
}

int hcrun_oci_json_parse(const char *text, size_t len, const char *what, struct json_object **out,
			 hc_error_t **err)
{
	struct json_tokener *tok;
	struct json_object *obj;
	enum json_tokener_error jerr;
	size_t end;

	if (len > OCI_JSON_MAX)
		return hc_error_set(err, EFBIG, "%s: larger than %d bytes", what, OCI_JSON_MAX);
	tok = json_tokener_new();
	if (tok == NULL)
		return hc_error_sys(err, ENOMEM, "%s", what);
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	obj = json_tokener_parse_ex(tok, text, (int)len);
	jerr = json_tokener_get_error(tok);
	end = json_tokener_get_parse_end(tok);
	json_tokener_free(tok);
	if (obj == NULL || jerr != json_tokener_success) {
		if (obj != NULL)
			json_object_put(obj);
		/* "continue": json-c wants more text, the file ended first. */
		if (jerr == json_tokener_continue && end == 0)
			return hc_error_set(err, EINVAL, "%s: empty, not a JSON object", what);
		if (jerr == json_tokener_continue)
			return hc_error_set(err, EINVAL,
					    "%s: truncated: the JSON ends after %zu bytes, inside "
					    "its value",
					    what, len);
		return hc_error_set(err, EINVAL, "%s: not valid JSON at byte %zu (%s)", what, end,
				    json_tokener_error_desc(jerr));
	}
	/* Strict mode stops at a NUL byte and calls what went before a success. */
	if (end != len) {
		json_object_put(obj);
		return hc_error_set(err, EINVAL,
				    "%s: not valid JSON at byte %zu (more after the value)", what,
				    end);
	}
	if (!json_object_is_type(obj, json_type_object)) {
		json_object_put(obj);
		return hc_error_set(err, EINVAL, "%s: not a JSON object", what);
	}
	if (json_keys_check(text, len, what, err) < 0) {
		json_object_put(obj);
		return -1;
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

/* Not through a symlink, and a regular file only: a FIFO or a device put
 * there would block the reader or feed it without end. */
int hcrun_oci_json_load(const char *path, struct json_object **out, hc_error_t **err)
{
	hc_cleanup_close int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	struct stat sb;

	if (fd < 0 && errno == ELOOP)
		return hc_error_set(err, ELOOP, "%s is a symlink: not followed", path);
	if (fd < 0)
		return hc_error_sys(err, errno, "open %s", path);
	if (fstat(fd, &sb) < 0)
		return hc_error_sys(err, errno, "stat %s", path);
	if (!S_ISREG(sb.st_mode))
		return hc_error_set(err, EINVAL, "%s: not a regular file", path);
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

static const char *const phase_names[] = {
	[HCRUN_OCI_PREPARED] = "prepared",
	[HCRUN_OCI_PREPARING] = "preparing",
	[HCRUN_OCI_RUNTIME] = "runtime",
	[HCRUN_OCI_RELEASING] = "releasing",
};

const char *hcrun_oci_phase_name(enum hcrun_oci_phase phase)
{
	if ((size_t)phase >= sizeof(phase_names) / sizeof(phase_names[0]))
		return "?";
	return phase_names[phase];
}

/* A member object obj[key] added, or NULL on ENOMEM. */
static struct json_object *add_obj(struct json_object *obj, const char *key)
{
	struct json_object *o = json_object_new_object();

	if (o == NULL)
		return NULL;
	if (json_object_object_add(obj, key, o) < 0) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

/* The phase, the owner and the runtime: what gc reads a record by. */
static int add_operation(struct json_object *root, const struct hcrun_oci_kit *kit)
{
	struct json_object *o;

	if (add_str(root, "phase", hcrun_oci_phase_name(kit->phase)) < 0)
		return -1;
	if (kit->phase == HCRUN_OCI_RUNTIME &&
	    ((o = add_obj(root, "owner")) == NULL || add_u64(o, "pid", (uint64_t)kit->owner) < 0 ||
	     add_u64(o, "start", kit->owner_start) < 0))
		return -1;
	if (kit->runtime[0] != '\0' &&
	    ((o = add_obj(root, "runtime")) == NULL || add_str(o, "path", kit->runtime) < 0 ||
	     add_str(o, "root", kit->runtime_root) < 0 || add_str(o, "id", kit->runtime_id) < 0))
		return -1;
	return 0;
}

/*
 * Replace the record, its lock kept: the new file is made beside it
 * (O_EXCL: a stale one of a dead writer is unlinked first; the record's
 * lock says none is alive), locked at once, written, synced, and renamed
 * over the record, which so is never unlocked while its writer lives.
 * first: the record must not exist yet (RENAME_NOREPLACE).
 */
static int save_locked(struct hcrun_oci_kit *kit, const char *text, bool first, hc_error_t **err)
{
	hc_cleanup_close int fd = -1, dirfd = -1;
	char tmp[PATH_MAX], dir[PATH_MAX], *slash;
	int e;

	if (snprintf(tmp, sizeof(tmp), "%s.hc-tmp", kit->state_path) >= (int)sizeof(tmp) ||
	    snprintf(dir, sizeof(dir), "%s", kit->state_path) >= (int)sizeof(dir))
		return hc_error_set(err, ENAMETOOLONG, "%s: path too long", kit->state_path);
	slash = strrchr(dir, '/');
	if (slash == NULL)
		snprintf(dir, sizeof(dir), ".");
	else
		*(slash == dir ? slash + 1 : slash) = '\0';
	/* Holding the record's lock, a temporary file is a dead writer's. A
	 * first write holds none: what is there is not known to be ours. */
	if (!first && unlink(tmp) < 0 && errno != ENOENT)
		return hc_error_sys(err, errno, "remove the stale %s", tmp);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0 && errno == EEXIST)
		return hc_error_set(err, EEXIST,
				    "%s exists (a write that died: hcrun oci gc removes it)", tmp);
	if (fd < 0)
		return hc_error_sys(err, errno, "create %s", tmp);
	if (flock(fd, LOCK_EX | LOCK_NB) < 0 || hc_write_all(fd, text, strlen(text)) < 0 ||
	    fsync(fd) < 0)
		goto fail;
	if (renameat2(AT_FDCWD, tmp, AT_FDCWD, kit->state_path, first ? RENAME_NOREPLACE : 0) < 0) {
		e = errno;
		(void)unlink(tmp);
		if (e == EEXIST)
			return hc_error_set(err, EEXIST,
					    "%s exists: host channels are already recorded there "
					    "(hcrun oci teardown removes them)",
					    kit->state_path);
		return hc_error_sys(err, e, "rename %s to %s", tmp, kit->state_path);
	}
	/* The rename is durable once the directory is. */
	dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0 || fsync(dirfd) < 0)
		return hc_error_sys(err, errno, "sync %s", dir);
	hcrun_oci_state_unlock(kit);
	kit->lock_fd = fd;
	kit->locked = true;
	fd = -1;
	return 0;
fail:
	e = errno;
	(void)unlink(tmp);
	return hc_error_sys(err, e, "write %s", tmp);
}

void hcrun_oci_state_unlock(struct hcrun_oci_kit *kit)
{
	if (kit->locked)
		(void)close(kit->lock_fd);
	kit->locked = false;
	kit->lock_fd = -1;
}

int hcrun_oci_state_remove(struct hcrun_oci_kit *kit, hc_error_t **err)
{
	int ret = 0;

	if (unlink(kit->state_path) < 0 && errno != ENOENT)
		ret = hc_error_sys(err, errno, "unlink %s", kit->state_path);
	hcrun_oci_state_unlock(kit);
	return ret;
}

static int state_write(struct hcrun_oci_kit *kit, bool first, hc_error_t **err)
{
	struct json_object *root __attribute__((cleanup(hcrun_oci_put))) = json_object_new_object();
	struct json_object *chans = json_object_new_array();
	hc_cleanup_free char *text = NULL;
	const char *json;
	size_t i;

	if (root == NULL || chans == NULL || json_object_object_add(root, "channels", chans) < 0) {
		if (chans != NULL)
			json_object_put(chans);
		return hc_error_sys(err, ENOMEM, "state %s", kit->state_path);
	}
	if (add_u64(root, "version", OCI_STATE_VERSION) < 0 || add_str(root, "tag", kit->tag) < 0 ||
	    add_bool(root, "keep", kit->keep) < 0 || add_operation(root, kit) < 0)
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
		    add_str(c, "mnt_tag", ch->host.mnt_tag) < 0 ||
		    add_str(c, "token", ch->host.token) < 0 ||
		    add_str(c, "pending", ch->host.pending) < 0 ||
		    add_u64(c, "pending_dev", ch->host.pending_dev) < 0 ||
		    add_u64(c, "pending_ino", ch->host.pending_ino) < 0)
			return hc_error_sys(err, ENOMEM, "state %s", kit->state_path);
	}
	if (!first && !kit->locked)
		return hcrun_oci_json_save(kit->state_path, root, 0600, err);
	json = json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY |
							    JSON_C_TO_STRING_NOSLASHESCAPE);
	if (json == NULL || asprintf(&text, "%s\n", json) < 0) {
		text = NULL;
		return hc_error_sys(err, ENOMEM, "serialise %s", kit->state_path);
	}
	return save_locked(kit, text, first, err);
}

int hcrun_oci_state_save(struct hcrun_oci_kit *kit, hc_error_t **err)
{
	return state_write(kit, false, err);
}

int hcrun_oci_state_create(struct hcrun_oci_kit *kit, hc_error_t **err)
{
	return state_write(kit, true, err);
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

/* The phase, the owner and the runtime; absent in a record of old. */
static int get_operation(struct json_object *root, struct hcrun_oci_kit *kit)
{
	struct json_object *o;
	char phase[32];
	uint64_t pid;
	size_t i;

	if (json_object_object_get_ex(root, "phase", NULL)) {
		if (get_str(root, "phase", phase, sizeof(phase)) < 0)
			return -1;
		for (i = 0; i < sizeof(phase_names) / sizeof(phase_names[0]); i++)
			if (strcmp(phase, phase_names[i]) == 0)
				break;
		if (i == sizeof(phase_names) / sizeof(phase_names[0]))
			return -1;
		kit->phase = (enum hcrun_oci_phase)i;
	}
	if (kit->phase == HCRUN_OCI_RUNTIME &&
	    (!json_object_object_get_ex(root, "owner", &o) || get_u64(o, "pid", &pid) < 0 ||
	     get_u64(o, "start", &kit->owner_start) < 0 || pid == 0 || pid > INT32_MAX))
		return -1;
	if (kit->phase == HCRUN_OCI_RUNTIME)
		kit->owner = (pid_t)pid;
	if (json_object_object_get_ex(root, "runtime", &o) &&
	    (get_str(o, "path", kit->runtime, sizeof(kit->runtime)) < 0 ||
	     get_str(o, "root", kit->runtime_root, sizeof(kit->runtime_root)) < 0 ||
	     get_str(o, "id", kit->runtime_id, sizeof(kit->runtime_id)) < 0 ||
	     kit->runtime[0] != '/' || kit->runtime_id[0] == '\0'))
		return -1;
	return 0;
}

/* Open a record: never through a symlink, never a FIFO that would block
 * the open, only a regular file. */
static int open_record(const char *path, hc_error_t **err)
{
	struct stat sb;
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);

	if (fd < 0) {
		if (errno == ELOOP)
			return hc_error_set(err, ELOOP, "%s is a symlink: not a state file", path);
		return hc_error_sys(err, errno, "open %s", path);
	}
	if (fstat(fd, &sb) < 0 || !S_ISREG(sb.st_mode)) {
		(void)close(fd);
		return hc_error_set(err, EINVAL, "%s is not a regular file: not a state file",
				    path);
	}
	return fd;
}

static int state_parse(const char *path, int fd, struct hcrun_oci_kit *kit, hc_error_t **err)
{
	struct json_object *root __attribute__((cleanup(hcrun_oci_put))) = NULL;
	struct json_object *chans, *v;
	struct hc_limits limits;
	uint64_t version, dev, ino;
	size_t i, n;

	memset(kit, 0, sizeof(*kit));
	kit->lock_fd = -1;
	if (snprintf(kit->state_path, sizeof(kit->state_path), "%s", path) >=
	    (int)sizeof(kit->state_path))
		return hc_error_set(err, ENAMETOOLONG, "%s: path too long", path);
	if (hcrun_oci_json_read_fd(fd, path, &root, err) < 0)
		return -1;
	if (get_u64(root, "version", &version) < 0 || version != OCI_STATE_VERSION ||
	    get_str(root, "tag", kit->tag, sizeof(kit->tag)) < 0 ||
	    !json_object_object_get_ex(root, "channels", &chans) ||
	    !json_object_is_type(chans, json_type_array))
		return hc_error_set(err, EINVAL, "%s: not a host channel state (version %d)", path,
				    OCI_STATE_VERSION);
	if (json_object_object_get_ex(root, "keep", &v))
		kit->keep = json_object_get_boolean(v);
	if (get_operation(root, kit) < 0)
		return hc_error_set(err, EINVAL, "%s: its phase, owner or runtime is malformed",
				    path);
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
		/* The journal of a prepare; absent from older states, which
		 * recorded a channel only once it was made. */
		if (json_object_object_get_ex(c, "token", NULL)) {
			if (get_str(c, "token", ch->host.token, sizeof(ch->host.token)) < 0 ||
			    get_str(c, "pending", ch->host.pending, sizeof(ch->host.pending)) < 0 ||
			    get_u64(c, "pending_dev", &dev) < 0 ||
			    get_u64(c, "pending_ino", &ino) < 0)
				return hc_error_set(err, EINVAL, "%s: channel %zu is malformed",
						    path, i);
			ch->host.pending_dev = (dev_t)dev;
			ch->host.pending_ino = (ino_t)ino;
		}
		kit->nchannels = i + 1;
	}
	return 0;
}

int hcrun_oci_state_load(const char *path, struct hcrun_oci_kit *kit, hc_error_t **err)
{
	hc_cleanup_close int fd = -1;

	memset(kit, 0, sizeof(*kit));
	kit->lock_fd = -1;
	fd = open_record(path, err);
	if (fd < 0)
		return -1;
	return state_parse(path, fd, kit, err);
}

int hcrun_oci_state_lock(const char *path, struct hcrun_oci_kit *kit, bool wait, hc_error_t **err)
{
	int tries;

	memset(kit, 0, sizeof(*kit));
	kit->lock_fd = -1;
	for (tries = 0; tries < 100; tries++) {
		hc_cleanup_close int fd = open_record(path, err);
		struct stat held, now;

		if (fd < 0)
			return -1;
		if (flock(fd, LOCK_EX | (wait ? 0 : LOCK_NB)) < 0) {
			if (errno == EWOULDBLOCK)
				return hc_error_set(err, EWOULDBLOCK,
						    "%s: an operation holds it (in progress)",
						    path);
			return hc_error_sys(err, errno, "lock %s", path);
		}
		/* Replaced (a write) or removed (a teardown) while we waited:
		 * the lock is on a file that is no record any more. */
		if (fstat(fd, &held) < 0 || held.st_nlink == 0 || lstat(path, &now) < 0 ||
		    now.st_dev != held.st_dev || now.st_ino != held.st_ino)
			continue;
		if (state_parse(path, fd, kit, err) < 0)
			return -1;
		kit->lock_fd = fd;
		kit->locked = true;
		fd = -1;
		return 0;
	}
	return hc_error_set(err, EAGAIN, "%s: replaced again and again while locking it", path);
}

/* ----------------------------------------------------- editing the config */

/* obj[key], made an empty object or array when missing or null (the
 * runtime reads null as empty); NULL when it is there with another type,
 * or on ENOMEM. */
static struct json_object *member(struct json_object *obj, const char *key, json_type type)
{
	struct json_object *v;

	if (json_object_object_get_ex(obj, key, &v) && v != NULL)
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
		const struct hcrun_oci_channel *ch = &kit->channels[i];

		/* The runtime (Go) reads a string that is not UTF-8 with U+FFFD
		 * in place of each broken byte: it would bind another path than
		 * the one made, perhaps another container's channel. */
		if (!hcrun_oci_utf8_valid(ch->spec.host_path) ||
		    !hcrun_oci_utf8_valid(ch->host.real_path) ||
		    !hcrun_oci_utf8_valid(ch->spec.container_path))
			return hc_error_set(err, EINVAL,
					    "host channel %s:%s: a path that is not UTF-8 (the "
					    "runtime would read another path from config.json)",
					    ch->spec.host_path, ch->spec.container_path);
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

int hcrun_oci_annotation_get(struct json_object *obj, const char *key, const char **val,
			     hc_error_t **err)
{
	struct json_object *ann, *v;

	*val = NULL;
	/* null is no annotations, as the runtime (Go) reads it. */
	if (!json_object_object_get_ex(obj, "annotations", &ann) || ann == NULL)
		return 0;
	/* Anything else is not an OCI config: the runtime would refuse it,
	 * and a channel it asks for must not be taken for none. */
	if (!json_object_is_type(ann, json_type_object))
		return hc_error_set(err, EINVAL, "config: \"annotations\" is not an object");
	if (!json_object_object_get_ex(ann, key, &v))
		return 0;
	if (!json_object_is_type(v, json_type_string))
		return hc_error_set(err, EINVAL, "annotation %s: not a string", key);
	if (strlen(json_object_get_string(v)) != (size_t)json_object_get_string_len(v))
		return hc_error_set(err, EINVAL, "annotation %s: contains a NUL byte", key);
	*val = json_object_get_string(v);
	return 0;
}

bool hcrun_oci_utf8_valid(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	while (*p != '\0') {
		unsigned int c = *p, n, i;
		uint32_t cp;

		if (c < 0x80) {
			p++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf)
			n = 1, cp = c & 0x1f;
		else if (c >= 0xe0 && c <= 0xef)
			n = 2, cp = c & 0x0f;
		else if (c >= 0xf0 && c <= 0xf4)
			n = 3, cp = c & 0x07;
		else
			return false; /* a continuation byte first, or 0xc0, 0xc1, 0xf5.. */
		for (i = 1; i <= n; i++) {
			if ((p[i] & 0xc0) != 0x80)
				return false; /* includes the NUL at the end */
			cp = cp << 6 | (p[i] & 0x3f);
		}
		/* Overlong forms, UTF-16 surrogates, past U+10FFFF. */
		if ((n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) ||
		    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
			return false;
		p += n + 1;
	}
	return true;
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
 * Decode spec (one of the list, NUL-terminated) in place. podman's
 * --annotation splits its value on ',' (the mode field's separator), so a
 * spec may come with "%2C" for ',' ("%25" for '%', "%3B" for a ';' inside
 * a path): %XX is exactly the byte XX, and the decoded text is the spec,
 * which the grammar then reads as it reads --host-channel (so "%3A" is a
 * ':', a field separator like any other). One text, one meaning: a '%'
 * that does not start two hex digits is refused, not kept, and so is
 * "%00" (C strings end there).
 */
static int percent_decode(char *spec, const char *what, size_t idx, hc_error_t **err)
{
	char *r = spec, *w = spec;

	while (*r != '\0') {
		int hi, lo;

		if (*r != '%') {
			*w++ = *r++;
			continue;
		}
		hi = hex_digit(r[1]);
		lo = hi >= 0 ? hex_digit(r[2]) : -1;
		if (lo < 0)
			return hc_error_set(err, EINVAL,
					    "%s: spec %zu: \"%.3s\" is not an escape (%%XX, two "
					    "hex digits; %%25 for a '%%')",
					    what, idx, r);
		if (hi == 0 && lo == 0)
			return hc_error_set(err, EINVAL, "%s: spec %zu: \"%%00\" (a NUL byte)",
					    what, idx);
		*w++ = (char)(hi * 16 + lo);
		r += 3;
	}
	*w = '\0';
	return 0;
}

/* A decoded spec: no control byte (a newline would split the path in every
 * log and table that shows it), and UTF-8 (the runtime, a Go program,
 * reads broken UTF-8 in config.json as U+FFFD: another path). */
static int spec_bytes_check(const char *spec, const char *what, size_t idx, hc_error_t **err)
{
	const unsigned char *p;

	for (p = (const unsigned char *)spec; *p != '\0'; p++)
		if (*p < 0x20 || *p == 0x7f)
			return hc_error_set(
				err, EINVAL,
				"%s: spec %zu holds the control byte 0x%02x at byte %zu", what, idx,
				*p, (size_t)(p - (const unsigned char *)spec));
	if (!hcrun_oci_utf8_valid(spec))
		return hc_error_set(err, EINVAL, "%s: spec %zu is not UTF-8 once decoded", what,
				    idx);
	return 0;
}

int hcrun_oci_spec_list_split(const char *text, const char *what, struct hcrun_oci_spec_list *list,
			      hc_error_t **err)
{
	size_t len = strlen(text), n = 1, i;
	char *p;

	memset(list, 0, sizeof(*list));
	/* Whoever creates the container wrote text: it is bounded before
	 * anything is allocated by its size. */
	if (len > HCRUN_OCI_SPEC_TEXT_MAX)
		return hc_error_set(err, E2BIG, "%s: %zu bytes, more than %d", what, len,
				    HCRUN_OCI_SPEC_TEXT_MAX);
	for (i = 0; i < len; i++)
		n += text[i] == ';';
	if (n > HCRUN_OCI_SPECS_MAX)
		return hc_error_set(err, E2BIG, "%s: %zu specs, more than %d", what, n,
				    HCRUN_OCI_SPECS_MAX);
	list->text = strdup(text);
	list->specs = calloc(n, sizeof(char *));
	if (list->text == NULL || list->specs == NULL) {
		hcrun_oci_spec_list_clear(list);
		return hc_error_sys(err, ENOMEM, "%s", what);
	}
	/* ';' separates specs: a spec itself uses ':' and ','. Every field
	 * counts, so an empty one (";;", a ';' first or last, an empty
	 * value) is refused, never skipped: the list is exactly what the
	 * text says. */
	for (p = list->text;; p++) {
		char *semi = strchr(p, ';');

		if (semi != NULL)
			*semi = '\0';
		list->specs[list->nspecs++] = p;
		if (p[0] == '\0') {
			hc_error_set(err, EINVAL, "%s: spec %zu of %zu is empty (\"%s\")", what,
				     list->nspecs, n, text);
			goto fail;
		}
		if (percent_decode(p, what, list->nspecs, err) < 0 ||
		    spec_bytes_check(p, what, list->nspecs, err) < 0)
			goto fail;
		if (semi == NULL)
			break;
		p = semi;
	}
	return 0;
fail:
	hcrun_oci_spec_list_clear(list);
	return -1;
}

void hcrun_oci_spec_list_clear(struct hcrun_oci_spec_list *list)
{
	free(list->specs);
	free(list->text);
	memset(list, 0, sizeof(*list));
}
