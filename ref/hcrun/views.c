// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * What list and inspect show: the containers' states, with what can change
 * behind the state's back read live: the status (is the process still
 * there), the memory figures of the cgroup, and whether each channel's tmpfs
 * is still mounted on the host. The verbs print; the only words said here
 * are list's errors that do not stop it (hcrun_report).
 */
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include <json.h>

#include "hcrun.h"

/* ------------------------------------------------------------- list */

int hcrun_list(bool all, struct hcrun_state **states, size_t *count, hc_error_t **err)
{
	char **names = NULL;
	size_t i, n = 0;
	bool failed = false;

	*states = NULL;
	*count = 0;
	if (hcrun_state_names(&names, &n, err) < 0)
		return -1;
	*states = calloc(n ? n : 1, sizeof(**states));
	if (*states == NULL) {
		hcrun_names_free(names, n);
		return hc_error_sys(err, ENOMEM, "list");
	}
	for (i = 0; i < n; i++) {
		hc_cleanup_error hc_error_t *e = NULL;
		struct hcrun_state *st = &(*states)[*count];

		if (hcrun_name_check(names[i], NULL) < 0)
			continue; /* not a container of ours; gc reports it */
		if (hcrun_state_load(names[i], st, &e) < 0) {
			/* Between mkdir and the first state write, or removed
			 * meanwhile: not worth a word. Anything else is. */
			if (e->errnum != ENOENT) {
				hcrun_report(&e);
				failed = true;
			}
			continue;
		}
		/* Read once: what is shown is what was filtered on. */
		st->status = hcrun_state_live_status(st);
		if (all || st->status == HCRUN_RUNNING)
			(*count)++;
		else
			hcrun_state_clear(st);
	}
	hcrun_names_free(names, n);
	return failed ? 1 : 0;
}

void hcrun_list_free(struct hcrun_state *states, size_t count)
{
	size_t i;

	for (i = 0; i < count; i++)
		hcrun_state_clear(&states[i]);
	free(states);
}

/* ---------------------------------------------------------- inspect */

/* Adds val (NULL = JSON null) under key; false when out of memory. */
static bool put(json_object *obj, const char *key, json_object *val)
{
	return json_object_object_add(obj, key, val) == 0;
}

static json_object *memory_json(const struct hcrun_state *st, hc_error_t **err)
{
	struct hc_memcg_stats stats;
	json_object *mem;

	/* No cgroup (never started, or deleted meanwhile): nothing to read. */
	if (st->cgroup.version == HC_CGROUP_NONE || access(st->cgroup.path, F_OK) < 0)
		return NULL;
	if (hc_memcg_read(&st->cgroup, &stats, err) < 0)
		return NULL;
	mem = json_object_new_object();
	if (mem == NULL)
		return NULL;
	/* UINT64_MAX (no limit) reads better as null. */
	if (!put(mem, "limit",
		 stats.limit == UINT64_MAX ? NULL : json_object_new_uint64(stats.limit)) ||
	    !put(mem, "usage", json_object_new_uint64(stats.usage)) ||
	    !put(mem, "shmem", json_object_new_uint64(stats.shmem)) ||
	    !put(mem, "file", json_object_new_uint64(stats.file)) ||
	    !put(mem, "oom_kill", json_object_new_uint64(stats.oom_kill))) {
		json_object_put(mem);
		return NULL;
	}
	return mem;
}

static json_object *channel_json(const struct hcrun_state *st, const struct hcrun_channel *ch,
				 hc_error_t **err)
{
	char tag[HCRUN_NAME_MAX + sizeof(HCRUN_TAG_PREFIX)], spec[2 * PATH_MAX + 64];
	json_object *obj = json_object_new_object();
	bool mounted = false;

	if (obj == NULL)
		return NULL;
	hcrun_channel_tag(st->cfg.name, tag, sizeof(tag));
	if (hc_spec_format(&ch->spec, spec, sizeof(spec)) < 0)
		spec[0] = '\0';
	/* Never prepared (a create that died): nothing can be mounted. */
	if (ch->host.real_path[0] != '\0' &&
	    hc_host_is_mounted_with(hcrun_mounts(), &ch->host, tag, &mounted, err) < 0)
		goto fail;
	if (!put(obj, "host_path", json_object_new_string(ch->spec.host_path)) ||
	    !put(obj, "real_path", json_object_new_string(ch->host.real_path)) ||
	    !put(obj, "container_path", json_object_new_string(ch->spec.container_path)) ||
	    !put(obj, "mode", json_object_new_string(ch->spec.readonly ? "ro" : "rw")) ||
	    !put(obj, "propagation",
		 json_object_new_string(hc_propagation_name(ch->spec.propagation) ?: "")) ||
	    !put(obj, "size", json_object_new_uint64(ch->spec.size)) ||
	    !put(obj, "spec", json_object_new_string(spec)) ||
	    !put(obj, "mounted", json_object_new_boolean(mounted)))
		goto fail;
	return obj;
fail:
	json_object_put(obj);
	return NULL;
}

static json_object *inspect_json(const struct hcrun_state *st, hc_error_t **err)
{
	json_object *obj = json_object_new_object(), *cmd, *cg, *chans, *mem = NULL;
	enum hcrun_status status = hcrun_state_live_status(st);
	size_t i;
	int a;

	if (obj == NULL)
		return NULL;
	cmd = json_object_new_array();
	cg = json_object_new_object();
	chans = json_object_new_array();
	if (!put(obj, "name", json_object_new_string(st->cfg.name)) ||
	    !put(obj, "status", json_object_new_string(hcrun_status_name(status))) ||
	    !put(obj, "pid", json_object_new_int(status == HCRUN_RUNNING ? st->pid : 0)) ||
	    !put(obj, "exit_code",
		 st->exit_code >= 0 ? json_object_new_int(st->exit_code) : NULL) ||
	    !put(obj, "created", json_object_new_string(st->created)) ||
	    !put(obj, "started", json_object_new_string(st->started)) ||
	    !put(obj, "finished", json_object_new_string(st->finished)) ||
	    !put(obj, "rootfs", json_object_new_string(st->cfg.rootfs)) ||
	    !put(obj, "command", cmd) || !put(obj, "cgroup", cg) || !put(obj, "channels", chans))
		goto oom;
	for (a = 0; a < st->cfg.argc; a++) {
		if (json_object_array_add(cmd, json_object_new_string(st->cfg.argv[a])) < 0)
			goto oom;
	}
	if (!put(cg, "version", json_object_new_int(st->cgroup.version)) ||
	    !put(cg, "path", json_object_new_string(st->cgroup.path)))
		goto oom;
	mem = memory_json(st, err);
	if (err != NULL && *err != NULL)
		goto fail;
	if (!put(obj, "memory", mem))
		goto oom;
	for (i = 0; i < st->cfg.nchannels; i++) {
		json_object *ch = channel_json(st, &st->cfg.channels[i], err);

		if (ch == NULL) {
			if (err != NULL && *err != NULL)
				goto fail;
			goto oom;
		}
		if (json_object_array_add(chans, ch) < 0) {
			json_object_put(ch);
			goto oom;
		}
	}
	return obj;
oom:
	hc_error_set(err, ENOMEM, "inspect %s: out of memory", st->cfg.name);
fail:
	json_object_put(obj);
	return NULL;
}

int hcrun_inspect(const char *name, struct json_object **out, hc_error_t **err)
{
	struct hcrun_state st;

	if (hcrun_state_load(name, &st, err) < 0)
		return -1;
	*out = inspect_json(&st, err);
	hcrun_state_clear(&st);
	return *out == NULL ? -1 : 0;
}
