// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The state of each container: /run/hcrun/<name>/state.json, written with
 * json-c, replaced atomically, changed only under /run/hcrun/<name>/lock.
 * Readers need no lock: rename() gives them the old or the new file whole.
 *
 * The state dir holds only files hcrun names (state.json, its temp file,
 * lock, console.log); removal goes by those names and ends with rmdir, so a
 * file someone else put there makes the removal fail instead of vanishing.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/file.h>
#include <sys/pidfd.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <json.h>

#include "hcrun.h"

#define STATE_VERSION 1
#define STATE_MAX     (4 << 20) /* far above any real state; bounds a corrupt one */

static const char *state_root;

void hcrun_set_root(const char *root)
{
	state_root = root;
}

const char *hcrun_root(void)
{
	const char *env;

	if (state_root != NULL)
		return state_root;
	env = getenv("HCRUN_ROOT");
	if (env != NULL && env[0] != '\0')
		return env;
	return HCRUN_DEFAULT_ROOT;
}

const char *hcrun_cgroup_parent(void)
{
	static char parent[sizeof(HCRUN_CGROUP_PARENT) + 17];
	const char *root = hcrun_root();
	uint64_t h = 0xcbf29ce484222325ULL; /* FNV-1a, 64 bits */

	if (strcmp(root, HCRUN_DEFAULT_ROOT) == 0)
		return HCRUN_CGROUP_PARENT;
	for (const unsigned char *p = (const unsigned char *)root; *p != '\0'; p++)
		h = (h ^ *p) * 0x100000001b3ULL;
	snprintf(parent, sizeof(parent), "%s.%016" PRIx64, HCRUN_CGROUP_PARENT, h);
	return parent;
}

int hcrun_name_check(const char *name, hc_error_t **err)
{
	size_t i, len = strlen(name);

	if (len == 0 || len > HCRUN_NAME_MAX || !isalnum((unsigned char)name[0]))
		goto bad;
	for (i = 1; i < len; i++) {
		unsigned char c = name[i];

		if (!isalnum(c) && c != '_' && c != '.' && c != '-')
			goto bad;
	}
	return 0;
bad:
	return hc_error_set(err, EINVAL,
			    "invalid container name \"%s\": expected [A-Za-z0-9][A-Za-z0-9_.-], "
			    "at most %d characters",
			    name, HCRUN_NAME_MAX);
}

int hcrun_state_path(const char *name, const char *file, char *buf, size_t len, hc_error_t **err)
{
	int n;

	if (file != NULL)
		n = snprintf(buf, len, "%s/%s/%s", hcrun_root(), name, file);
	else
		n = snprintf(buf, len, "%s/%s", hcrun_root(), name);
	if (n < 0 || (size_t)n >= len)
		return hc_error_set(err, ENAMETOOLONG, "state path of \"%s\" under %s is too long",
				    name, hcrun_root());
	return 0;
}

int hcrun_channel_tag(const char *name, char *buf, size_t len)
{
	int n = snprintf(buf, len, "%s%s", HCRUN_TAG_PREFIX, name);

	return n < 0 || (size_t)n >= len ? -1 : 0;
}

const char *hcrun_status_name(enum hcrun_status status)
{
	switch (status) {
	case HCRUN_CREATING:
		return "creating";
	case HCRUN_CREATED:
		return "created";
	case HCRUN_RUNNING:
		return "running";
	case HCRUN_STOPPED:
		return "stopped";
	}
	return "unknown";
}

static int status_from_name(const char *text, enum hcrun_status *status)
{
	enum hcrun_status s;

	for (s = HCRUN_CREATING; s <= HCRUN_STOPPED; s++) {
		if (strcmp(text, hcrun_status_name(s)) == 0) {
			*status = s;
			return 0;
		}
	}
	return -1;
}

void hcrun_timestamp(char *buf, size_t len)
{
	struct timespec ts;
	struct tm tm;
	char sec[32];

	/* A timestamp only informs; a failing clock leaves it empty. */
	buf[0] = '\0';
	if (clock_gettime(CLOCK_REALTIME, &ts) < 0 || gmtime_r(&ts.tv_sec, &tm) == NULL)
		return;
	if (strftime(sec, sizeof(sec), "%Y-%m-%dT%H:%M:%S", &tm) == 0)
		return;
	snprintf(buf, len, "%s.%09ldZ", sec, ts.tv_nsec);
}

/* ------------------------------------------------------------ processes */

/*
 * Field 22 of <dir>/stat, dir a /proc/<pid> directory (path relative to
 * dirfd): the start time in clock ticks since boot. A pid can be reused;
 * (pid, start time) cannot. *zombie: the process has exited and waits to be
 * reaped (it runs nothing any more).
 */
static int read_stat_at(int dirfd, const char *path, uint64_t *start, bool *zombie)
{
	char buf[1024], *p, *save = NULL, *tok;
	unsigned long long value;
	hc_cleanup_close int fd = -1;
	ssize_t n;
	int field;

	fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	/* The command name (field 2) may hold spaces and ')': skip past the last. */
	p = strrchr(buf, ')');
	if (p == NULL)
		return -1;
	for (field = 3, tok = strtok_r(p + 1, " ", &save); tok != NULL;
	     field++, tok = strtok_r(NULL, " ", &save)) {
		if (field == 3)
			*zombie = tok[0] == 'Z' || tok[0] == 'X';
		if (field == 22) {
			if (sscanf(tok, "%llu", &value) != 1)
				return -1;
			*start = value;
			return 0;
		}
	}
	return -1;
}

static int proc_stat(pid_t pid, uint64_t *start, bool *zombie)
{
	char path[64];

	if (pid <= 0)
		return -1;
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	return read_stat_at(AT_FDCWD, path, start, zombie);
}

int hcrun_proc_start_time(pid_t pid, uint64_t *start)
{
	bool zombie;

	return proc_stat(pid, start, &zombie);
}

/*
 * A start time of 0 is never taken as a match: every state hcrun writes
 * records the init's (read at start, which fails rather than record none),
 * and no process a container runs can have started in the first tick after
 * boot. A state that says 0 was edited by hand: what runs under its pid
 * cannot be proved to be the container's, so it is treated as gone.
 */
bool hcrun_proc_alive(pid_t pid, uint64_t start)
{
	uint64_t now;
	bool zombie;

	return start != 0 && proc_stat(pid, &now, &zombie) == 0 && now == start && !zombie;
}

void hcrun_pin_release(struct hcrun_pin *pin)
{
	hc_cleanup_closep(&pin->pidfd);
	hc_cleanup_closep(&pin->procfd);
	pin->pid = 0;
}

/*
 * The order is what makes it hold. The pidfd names whatever process had
 * the pid when it was opened (T0); /proc/<pid>, opened next (T1), another
 * one only if the first was reaped in between. The start time is read
 * through that directory, and a lookup below it fails once its process is
 * gone, whatever takes the pid next: a match proves the process at T1 is
 * the one recorded. That process started before T0 and held the pid from
 * then to T1, so it is the one the pidfd names too.
 */
int hcrun_proc_pin(pid_t pid, uint64_t start, struct hcrun_pin *pin, hc_error_t **err)
{
	char path[64];
	uint64_t now;
	bool zombie;

	*pin = (struct hcrun_pin){.pid = pid, .pidfd = -1, .procfd = -1};
	if (pid <= 0)
		return HCRUN_PIN_GONE;
	if (start == 0)
		return HCRUN_PIN_UNKNOWN;
	pin->pidfd = pidfd_open(pid, 0);
	if (pin->pidfd < 0) {
		if (errno == ESRCH)
			return HCRUN_PIN_GONE;
		/* A thread's id (pidfd_open takes process ids only): the pid was
		 * given to a thread of another process. */
		if (errno == EINVAL)
			return HCRUN_PIN_REUSED;
		/* No pidfd (before Linux 5.3, or under valgrind 3.19): the
		 * directory alone pins the process; signals then go by pid. */
		if (errno != ENOSYS)
			return hc_error_sys(err, errno, "pidfd_open %d", (int)pid);
	}
	snprintf(path, sizeof(path), "/proc/%d", (int)pid);
	pin->procfd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (pin->procfd < 0) {
		if (errno == ENOENT)
			goto gone;
		hc_error_sys(err, errno, "open %s", path);
		goto fail;
	}
	if (read_stat_at(pin->procfd, "stat", &now, &zombie) < 0 || zombie)
		goto gone;
	if (now != start) {
		hcrun_pin_release(pin);
		return HCRUN_PIN_REUSED;
	}
	return HCRUN_PIN_OK;
gone:
	hcrun_pin_release(pin);
	return HCRUN_PIN_GONE;
fail:
	hcrun_pin_release(pin);
	return -1;
}

enum hcrun_status hcrun_state_live_status(const struct hcrun_state *st)
{
	if (st->status == HCRUN_RUNNING && !hcrun_proc_alive(st->pid, st->pid_start))
		return HCRUN_STOPPED;
	return st->status;
}

bool hcrun_state_monitor_alive(const struct hcrun_state *st)
{
	return hcrun_proc_alive(st->monitor_pid, st->monitor_start);
}

/* ------------------------------------------------------------- freeing */

void hcrun_config_clear(struct hcrun_config *cfg)
{
	int i;

	if (cfg->argv != NULL) {
		for (i = 0; cfg->argv[i] != NULL; i++)
			free(cfg->argv[i]);
		free(cfg->argv);
	}
	free(cfg->channels);
	cfg->argv = NULL;
	cfg->argc = 0;
	cfg->channels = NULL;
	cfg->nchannels = 0;
}

void hcrun_state_clear(struct hcrun_state *st)
{
	hcrun_config_clear(&st->cfg);
}

void hcrun_names_free(char **names, size_t count)
{
	size_t i;

	for (i = 0; i < count; i++)
		free(names[i]);
	free(names);
}

/* --------------------------------------------------------------- locks */

/*
 * flock() the lock file, then check that the path still names the file we
 * locked: a delete that held the lock before us unlinks it, and then the
 * container we waited for is gone.
 */
static int lock_fd_check(const char *name, const char *path, int fd, hc_error_t **err)
{
	struct stat held, now;

	while (flock(fd, LOCK_EX) < 0) {
		if (errno != EINTR)
			return hc_error_sys(err, errno, "lock %s", path);
	}
	if (fstat(fd, &held) < 0)
		return hc_error_sys(err, errno, "stat %s", path);
	if (stat(path, &now) < 0 || now.st_dev != held.st_dev || now.st_ino != held.st_ino)
		return hc_error_set(err, ENOENT, "no such container: %s", name);
	return 0;
}

int hcrun_state_claim(const char *name, int *lock_fd, hc_error_t **err)
{
	char dir[PATH_MAX], path[PATH_MAX];
	hc_cleanup_close int fd = -1;

	if (hcrun_name_check(name, err) < 0)
		return -1;
	/* The root is hcrun's own: private, like the state in it. */
	if (mkdir(hcrun_root(), 0700) < 0 && errno != EEXIST)
		return hc_error_sys(err, errno, "create the state root %s", hcrun_root());
	if (hcrun_state_path(name, NULL, dir, sizeof(dir), err) < 0 ||
	    hcrun_state_path(name, HCRUN_LOCK_FILE, path, sizeof(path), err) < 0)
		return -1;
	/* mkdir is the atomic claim of the name: two creates cannot both win. */
	if (mkdir(dir, 0700) < 0) {
		if (errno == EEXIST)
			return hc_error_set(err, EEXIST, "container name \"%s\" is already in use",
					    name);
		return hc_error_sys(err, errno, "create %s", dir);
	}
	hcrun_fault("create", "state dir made, no lock yet");
	fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0) {
		hc_error_sys(err, errno, "create %s", path);
		goto undo;
	}
	if (lock_fd_check(name, path, fd, err) < 0)
		goto undo;
	*lock_fd = fd;
	fd = -1;
	return 0;
undo:
	/* Only what this call made: the lock file (if it got that far), the dir. */
	if (fd >= 0 && unlink(path) < 0 && errno != ENOENT)
		hc_error_prefix(err, "(and %s is left behind)", path);
	if (rmdir(dir) < 0)
		hc_error_prefix(err, "(and %s is left behind)", dir);
	return -1;
}

int hcrun_state_lock(const char *name, int *lock_fd, hc_error_t **err)
{
	char path[PATH_MAX];
	hc_cleanup_close int fd = -1;

	if (hcrun_name_check(name, err) < 0 ||
	    hcrun_state_path(name, HCRUN_LOCK_FILE, path, sizeof(path), err) < 0)
		return -1;
	/* Never O_CREAT: only create makes a lock file, so a stray directory
	 * stays exactly as it was found. */
	fd = open(path, O_RDWR | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		if (errno == ENOENT)
			return hc_error_set(err, ENOENT, "no such container: %s", name);
		return hc_error_sys(err, errno, "open %s", path);
	}
	if (lock_fd_check(name, path, fd, err) < 0)
		return -1;
	*lock_fd = fd;
	fd = -1;
	return 0;
}

void hcrun_state_unlock(int *lock_fd)
{
	/* Explicitly: a process we forked may still share the open file
	 * description, and close() would then keep the lock held. */
	if (*lock_fd >= 0)
		(void)flock(*lock_fd, LOCK_UN);
	hc_cleanup_closep(lock_fd);
}

/* ----------------------------------------------------------- to JSON */

static int add(json_object *obj, const char *key, json_object *val)
{
	if (val == NULL)
		return -1;
	if (json_object_object_add(obj, key, val) < 0) {
		json_object_put(val);
		return -1;
	}
	return 0;
}

static int add_str(json_object *obj, const char *key, const char *val)
{
	return add(obj, key, json_object_new_string(val));
}

static int add_u64(json_object *obj, const char *key, uint64_t val)
{
	return add(obj, key, json_object_new_uint64(val));
}

static int add_i64(json_object *obj, const char *key, int64_t val)
{
	return add(obj, key, json_object_new_int64(val));
}

static int add_bool(json_object *obj, const char *key, bool val)
{
	return add(obj, key, json_object_new_boolean(val));
}

static json_object *caps_to_json(uint64_t caps)
{
	json_object *arr = json_object_new_array();
	int bit;

	if (arr == NULL)
		return NULL;
	for (bit = 0; bit < 64; bit++) {
		char *name, *p;
		json_object *s;

		if (!(caps & (1ULL << bit)))
			continue;
		/* libcap names what it knows, and gives the number otherwise. */
		name = cap_to_name(bit);
		if (name == NULL)
			goto fail;
		for (p = name; *p; p++)
			*p = toupper((unsigned char)*p);
		s = json_object_new_string(name);
		cap_free(name);
		if (s == NULL || json_object_array_add(arr, s) < 0) {
			json_object_put(s);
			goto fail;
		}
	}
	return arr;
fail:
	json_object_put(arr);
	return NULL;
}

static json_object *config_to_json(const struct hcrun_state *st)
{
	const struct hcrun_config *cfg = &st->cfg;
	json_object *obj = json_object_new_object(), *argv, *user;
	int i;

	if (obj == NULL)
		return NULL;
	argv = json_object_new_array();
	if (add(obj, "argv", argv) < 0)
		goto fail;
	for (i = 0; i < cfg->argc; i++) {
		json_object *s = json_object_new_string(cfg->argv[i]);

		if (s == NULL || json_object_array_add(argv, s) < 0) {
			json_object_put(s);
			goto fail;
		}
	}
	if (cfg->user_set) {
		user = json_object_new_object();
		if (add(obj, "user", user) < 0 || add_i64(user, "uid", cfg->uid) < 0 ||
		    add_i64(user, "gid", cfg->gid) < 0)
			goto fail;
	} else if (json_object_object_add(obj, "user", NULL) < 0) {
		goto fail;
	}
	if (add_str(obj, "rootfs", cfg->rootfs) < 0 ||
	    add(obj, "caps", caps_to_json(cfg->caps)) < 0 ||
	    add_str(obj, "net", cfg->net_host ? "host" : "none") < 0 ||
	    add_bool(obj, "tty", cfg->tty) < 0 ||
	    add_bool(obj, "interactive", cfg->interactive) < 0 ||
	    add_u64(obj, "memory", cfg->memory) < 0 ||
	    add_bool(obj, "memory_add_channel", cfg->memory_add_channel) < 0 ||
	    add_bool(obj, "auto_remove", st->auto_remove) < 0)
		goto fail;
	return obj;
fail:
	json_object_put(obj);
	return NULL;
}

static json_object *channel_to_json(const struct hcrun_channel *ch)
{
	json_object *obj = json_object_new_object(), *host;
	char spec[2 * PATH_MAX + 64];

	if (obj == NULL)
		return NULL;
	if (hc_spec_format(&ch->spec, spec, sizeof(spec)) < 0)
		goto fail;
	/* Handed to obj at once: a failure below must not leak it. */
	host = json_object_new_object();
	if (add(obj, "host", host) < 0 || add_str(obj, "spec", spec) < 0 ||
	    add_str(obj, "host_path", ch->spec.host_path) < 0 ||
	    add_str(obj, "container_path", ch->spec.container_path) < 0 ||
	    add_str(obj, "mode", ch->spec.readonly ? "ro" : "rw") < 0 ||
	    add_str(obj, "propagation", hc_propagation_name(ch->spec.propagation) ?: "") < 0 ||
	    add_u64(obj, "size", ch->spec.size) < 0 || add_str(host, "path", ch->host.path) < 0 ||
	    add_str(host, "real_path", ch->host.real_path) < 0 ||
	    add_str(host, "created_top", ch->host.created_top) < 0 ||
	    add_u64(host, "dev", ch->host.dev) < 0 || add_u64(host, "ino", ch->host.ino) < 0 ||
	    add_str(host, "token", ch->host.token) < 0 ||
	    add_str(host, "pending", ch->host.pending) < 0 ||
	    add_u64(host, "pending_dev", ch->host.pending_dev) < 0 ||
	    add_u64(host, "pending_ino", ch->host.pending_ino) < 0 ||
	    add_u64(host, "mnt_id", ch->host.mnt_id) < 0 ||
	    add_str(host, "mnt_tag", ch->host.mnt_tag) < 0 ||
	    add_bool(obj, "mounted", ch->mounted) < 0)
		goto fail;
	return obj;
fail:
	json_object_put(obj);
	return NULL;
}

static json_object *state_to_json(const struct hcrun_state *st)
{
	json_object *obj = json_object_new_object(), *cg, *chans, *exit_code;
	size_t i;

	if (obj == NULL)
		return NULL;
	exit_code = st->exit_code >= 0 ? json_object_new_int(st->exit_code) : NULL;
	if (st->exit_code >= 0 && exit_code == NULL)
		goto fail;
	if (add_i64(obj, "version", STATE_VERSION) < 0 || add_str(obj, "name", st->cfg.name) < 0 ||
	    add_str(obj, "status", hcrun_status_name(st->status)) < 0 ||
	    add_i64(obj, "pid", st->pid) < 0 || add_u64(obj, "pid_start_time", st->pid_start) < 0 ||
	    add_i64(obj, "monitor_pid", st->monitor_pid) < 0 ||
	    add_u64(obj, "monitor_start_time", st->monitor_start) < 0 ||
	    json_object_object_add(obj, "exit_code", exit_code) < 0 ||
	    add_str(obj, "created", st->created) < 0 || add_str(obj, "started", st->started) < 0 ||
	    add_str(obj, "finished", st->finished) < 0 ||
	    add(obj, "config", config_to_json(st)) < 0)
		goto fail;
	cg = json_object_new_object();
	if (add(obj, "cgroup", cg) < 0 || add_i64(cg, "version", st->cgroup.version) < 0 ||
	    add_str(cg, "path", st->cgroup.path) < 0)
		goto fail;
	chans = json_object_new_array();
	if (add(obj, "channels", chans) < 0)
		goto fail;
	for (i = 0; i < st->cfg.nchannels; i++) {
		json_object *ch = channel_to_json(&st->cfg.channels[i]);

		if (ch == NULL || json_object_array_add(chans, ch) < 0) {
			json_object_put(ch);
			goto fail;
		}
	}
	return obj;
fail:
	json_object_put(obj);
	return NULL;
}

int hcrun_state_save(const struct hcrun_state *st, hc_error_t **err)
{
	char tmp[PATH_MAX], path[PATH_MAX];
	hc_cleanup_free char *text = NULL;
	json_object *obj;
	const char *json;
	int ret = -1;

	if (hcrun_state_path(st->cfg.name, HCRUN_STATE_TMP, tmp, sizeof(tmp), err) < 0 ||
	    hcrun_state_path(st->cfg.name, HCRUN_STATE_FILE, path, sizeof(path), err) < 0)
		return -1;
	obj = state_to_json(st);
	if (obj == NULL)
		return hc_error_set(err, ENOMEM, "state of %s: cannot build its JSON",
				    st->cfg.name);
	json = json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PRETTY |
							   JSON_C_TO_STRING_NOSLASHESCAPE);
	if (json == NULL || asprintf(&text, "%s\n", json) < 0) {
		text = NULL;
		hc_error_set(err, ENOMEM, "state of %s: cannot print its JSON", st->cfg.name);
		goto out;
	}
	/* The temp file has a fixed name: only the lock holder writes it, and
	 * a crash leaves a file gc knows by that name. */
	ret = hc_replace_file(path, tmp, text, strlen(text), 0600, err);
out:
	json_object_put(obj);
	return ret;
}

/* --------------------------------------------------------- from JSON */

/*
 * A state file is hcrun's own, but it may be cut short by a crash or edited
 * by hand: every field is checked for presence and type, and the first
 * problem names the file and the field.
 */
struct reader {
	const char *file;
	hc_error_t **err;
	bool failed;
};

static json_object *field(struct reader *r, json_object *obj, const char *key, json_type type,
			  bool nullable)
{
	json_object *val = NULL;

	if (r->failed)
		return NULL;
	if (!json_object_object_get_ex(obj, key, &val)) {
		r->failed = true;
		hc_error_set(r->err, EINVAL, "%s: \"%s\" is missing", r->file, key);
		return NULL;
	}
	if (val == NULL && nullable)
		return NULL;
	if (!json_object_is_type(val, type)) {
		r->failed = true;
		hc_error_set(r->err, EINVAL, "%s: \"%s\" is not of type %s", r->file, key,
			     json_type_to_name(type));
		return NULL;
	}
	return val;
}

static void get_str(struct reader *r, json_object *obj, const char *key, char *buf, size_t len)
{
	json_object *val = field(r, obj, key, json_type_string, false);

	if (val == NULL)
		return;
	if ((size_t)json_object_get_string_len(val) >= len) {
		r->failed = true;
		hc_error_set(r->err, EINVAL, "%s: \"%s\" is too long", r->file, key);
		return;
	}
	memcpy(buf, json_object_get_string(val), json_object_get_string_len(val) + 1);
}

static uint64_t get_u64(struct reader *r, json_object *obj, const char *key)
{
	json_object *val = field(r, obj, key, json_type_int, false);

	return val != NULL ? json_object_get_uint64(val) : 0;
}

static int64_t get_i64(struct reader *r, json_object *obj, const char *key, int64_t min,
		       int64_t max)
{
	json_object *val = field(r, obj, key, json_type_int, false);
	int64_t v;

	if (val == NULL)
		return 0;
	v = json_object_get_int64(val);
	if (v < min || v > max) {
		r->failed = true;
		hc_error_set(r->err, EINVAL, "%s: \"%s\" is out of range", r->file, key);
		return 0;
	}
	return v;
}

static bool get_bool(struct reader *r, json_object *obj, const char *key)
{
	json_object *val = field(r, obj, key, json_type_boolean, false);

	return val != NULL && json_object_get_boolean(val);
}

static void fail(struct reader *r, const char *what, const char *key)
{
	if (r->failed)
		return;
	r->failed = true;
	hc_error_set(r->err, EINVAL, "%s: \"%s\" %s", r->file, key, what);
}

static void config_from_json(struct reader *r, json_object *obj, struct hcrun_state *st)
{
	struct hcrun_config *cfg = &st->cfg;
	json_object *argv, *user, *caps, *net;
	size_t i, n;

	get_str(r, obj, "rootfs", cfg->rootfs, sizeof(cfg->rootfs));
	argv = field(r, obj, "argv", json_type_array, false);
	if (argv != NULL) {
		n = json_object_array_length(argv);
		if (n == 0 || n > INT32_MAX) {
			fail(r, "must hold the command", "argv");
			return;
		}
		cfg->argv = calloc(n + 1, sizeof(char *));
		if (cfg->argv == NULL) {
			fail(r, "cannot be read: out of memory", "argv");
			return;
		}
		for (i = 0; i < n; i++) {
			json_object *s = json_object_array_get_idx(argv, i);

			if (!json_object_is_type(s, json_type_string)) {
				fail(r, "holds a non-string", "argv");
				return;
			}
			cfg->argv[i] = strdup(json_object_get_string(s));
			if (cfg->argv[i] == NULL) {
				fail(r, "cannot be read: out of memory", "argv");
				return;
			}
			cfg->argc = i + 1;
		}
	}
	user = field(r, obj, "user", json_type_object, true);
	if (user != NULL) {
		cfg->user_set = true;
		cfg->uid = get_i64(r, user, "uid", 0, UINT32_MAX - 1);
		cfg->gid = get_i64(r, user, "gid", 0, UINT32_MAX - 1);
	}
	caps = field(r, obj, "caps", json_type_array, false);
	for (i = 0; caps != NULL && i < json_object_array_length(caps); i++) {
		json_object *s = json_object_array_get_idx(caps, i);
		cap_value_t cap;

		if (!json_object_is_type(s, json_type_string) ||
		    cap_from_name(json_object_get_string(s), &cap) < 0 || cap < 0 || cap > 63) {
			fail(r, "holds an unknown capability", "caps");
			return;
		}
		cfg->caps |= 1ULL << cap;
	}
	net = field(r, obj, "net", json_type_string, false);
	if (net != NULL) {
		if (strcmp(json_object_get_string(net), "host") == 0)
			cfg->net_host = true;
		else if (strcmp(json_object_get_string(net), "none") != 0)
			fail(r, "is neither \"none\" nor \"host\"", "net");
	}
	cfg->tty = get_bool(r, obj, "tty");
	cfg->interactive = get_bool(r, obj, "interactive");
	cfg->memory = get_u64(r, obj, "memory");
	cfg->memory_add_channel = get_bool(r, obj, "memory_add_channel");
	st->auto_remove = get_bool(r, obj, "auto_remove");
}

static void channel_from_json(struct reader *r, json_object *obj, struct hcrun_channel *ch)
{
	/* The canonical spec text is the source of truth for the spec: parsed
	 * again with no upper size bound, it comes back exactly as it was even
	 * if the machine's memory changed since. */
	struct hc_limits limits = {.page_size = sysconf(_SC_PAGESIZE), .max_size = UINT64_MAX};
	hc_cleanup_error hc_error_t *perr = NULL;
	char spec[2 * PATH_MAX + 64];
	json_object *host;

	get_str(r, obj, "spec", spec, sizeof(spec));
	if (r->failed)
		return;
	if (hc_spec_parse(spec, &limits, &ch->spec, &perr) < 0) {
		r->failed = true;
		hc_error_set(r->err, EINVAL, "%s: %s", r->file, perr->msg);
		return;
	}
	host = field(r, obj, "host", json_type_object, false);
	if (host == NULL)
		return;
	get_str(r, host, "path", ch->host.path, sizeof(ch->host.path));
	get_str(r, host, "real_path", ch->host.real_path, sizeof(ch->host.real_path));
	get_str(r, host, "created_top", ch->host.created_top, sizeof(ch->host.created_top));
	ch->host.dev = get_u64(r, host, "dev");
	ch->host.ino = get_u64(r, host, "ino");
	/* The journal of an unfinished prepare; absent from older states,
	 * whose prepares all finished. */
	if (json_object_object_get_ex(host, "token", NULL)) {
		get_str(r, host, "token", ch->host.token, sizeof(ch->host.token));
		get_str(r, host, "pending", ch->host.pending, sizeof(ch->host.pending));
		ch->host.pending_dev = get_u64(r, host, "pending_dev");
		ch->host.pending_ino = get_u64(r, host, "pending_ino");
	}
	/* The tmpfs by its mount ID; absent from older states, whose channels
	 * the library then looks up by what the kernel or the table says. */
	if (json_object_object_get_ex(host, "mnt_id", NULL)) {
		ch->host.mnt_id = get_u64(r, host, "mnt_id");
		get_str(r, host, "mnt_tag", ch->host.mnt_tag, sizeof(ch->host.mnt_tag));
	}
	ch->mounted = get_bool(r, obj, "mounted");
}

static void state_from_json(struct reader *r, json_object *obj, struct hcrun_state *st)
{
	json_object *status, *exit_code, *cfg, *cg, *chans;
	size_t i, n;

	if (get_i64(r, obj, "version", 0, INT32_MAX) != STATE_VERSION && !r->failed)
		fail(r, "is not a version this hcrun reads", "version");
	get_str(r, obj, "name", st->cfg.name, sizeof(st->cfg.name));
	status = field(r, obj, "status", json_type_string, false);
	if (status != NULL && status_from_name(json_object_get_string(status), &st->status) < 0)
		fail(r, "is not a known status", "status");
	st->pid = get_i64(r, obj, "pid", 0, INT32_MAX);
	st->pid_start = get_u64(r, obj, "pid_start_time");
	st->monitor_pid = get_i64(r, obj, "monitor_pid", 0, INT32_MAX);
	st->monitor_start = get_u64(r, obj, "monitor_start_time");
	exit_code = field(r, obj, "exit_code", json_type_int, true);
	st->exit_code = exit_code != NULL ? json_object_get_int(exit_code) : -1;
	if (st->exit_code > 255)
		fail(r, "is out of range", "exit_code");
	get_str(r, obj, "created", st->created, sizeof(st->created));
	get_str(r, obj, "started", st->started, sizeof(st->started));
	get_str(r, obj, "finished", st->finished, sizeof(st->finished));
	cfg = field(r, obj, "config", json_type_object, false);
	if (cfg != NULL)
		config_from_json(r, cfg, st);
	cg = field(r, obj, "cgroup", json_type_object, false);
	if (cg != NULL) {
		st->cgroup.version = get_i64(r, cg, "version", HC_CGROUP_NONE, HC_CGROUP_V2);
		get_str(r, cg, "path", st->cgroup.path, sizeof(st->cgroup.path));
	}
	chans = field(r, obj, "channels", json_type_array, false);
	if (chans == NULL)
		return;
	n = json_object_array_length(chans);
	if (n == 0)
		return;
	st->cfg.channels = calloc(n, sizeof(*st->cfg.channels));
	if (st->cfg.channels == NULL) {
		fail(r, "cannot be read: out of memory", "channels");
		return;
	}
	st->cfg.nchannels = n;
	for (i = 0; i < n && !r->failed; i++) {
		json_object *ch = json_object_array_get_idx(chans, i);

		if (!json_object_is_type(ch, json_type_object))
			fail(r, "holds a non-object", "channels");
		else
			channel_from_json(r, ch, &st->cfg.channels[i]);
	}
}

int hcrun_state_load(const char *name, struct hcrun_state *st, hc_error_t **err)
{
	char path[PATH_MAX];
	hc_cleanup_free char *text = NULL;
	struct json_tokener *tok;
	struct reader r = {.file = path, .err = err};
	enum json_tokener_error jerr;
	json_object *obj;

	memset(st, 0, sizeof(*st));
	st->exit_code = -1;
	if (hcrun_name_check(name, err) < 0 ||
	    hcrun_state_path(name, HCRUN_STATE_FILE, path, sizeof(path), err) < 0)
		return -1;
	if (hc_read_file(path, O_NOFOLLOW, STATE_MAX, &text, NULL, err) < 0) {
		if (err != NULL && *err != NULL && (*err)->errnum == ENOENT) {
			/* Say it in the user's words: the state dir is an
			 * implementation detail. */
			hc_error_free(err);
			return hc_error_set(err, ENOENT, "no such container: %s", name);
		}
		return -1;
	}
	tok = json_tokener_new();
	if (tok == NULL)
		return hc_error_set(err, ENOMEM, "%s: out of memory", path);
	obj = json_tokener_parse_ex(tok, text, strlen(text));
	jerr = json_tokener_get_error(tok);
	json_tokener_free(tok);
	if (obj == NULL || jerr != json_tokener_success) {
		json_object_put(obj);
		return hc_error_set(err, EINVAL, "%s: not valid JSON (%s)", path,
				    obj == NULL && jerr == json_tokener_continue
					    ? "cut short"
					    : json_tokener_error_desc(jerr));
	}
	if (!json_object_is_type(obj, json_type_object)) {
		r.failed = true;
		hc_error_set(err, EINVAL, "%s: not a JSON object", path);
	} else {
		state_from_json(&r, obj, st);
	}
	json_object_put(obj);
	if (!r.failed && strcmp(st->cfg.name, name) != 0) {
		r.failed = true;
		hc_error_set(err, EINVAL, "%s: names container \"%s\"", path, st->cfg.name);
	}
	if (r.failed) {
		hcrun_state_clear(st);
		return -1;
	}
	return 0;
}

/* ------------------------------------------------------------ removal */

int hcrun_state_remove(const char *name, hc_error_t **err)
{
	/* The lock goes last but one: whoever waits on it sees it unlinked
	 * and knows the container is gone. */
	static const char *const files[] = {HCRUN_STATE_TMP, HCRUN_CONSOLE_FILE, HCRUN_STATE_FILE,
					    HCRUN_LOCK_FILE};
	char path[PATH_MAX];
	size_t i;

	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		if (hcrun_state_path(name, files[i], path, sizeof(path), err) < 0)
			return -1;
		if (unlink(path) < 0 && errno != ENOENT)
			return hc_error_sys(err, errno, "remove %s", path);
		hcrun_fault("delete", files[i]);
	}
	if (hcrun_state_path(name, NULL, path, sizeof(path), err) < 0)
		return -1;
	if (rmdir(path) < 0) {
		if (errno == ENOTEMPTY || errno == EEXIST)
			return hc_error_set(err, errno,
					    "%s holds files hcrun did not make: left it there",
					    path);
		return hc_error_sys(err, errno, "remove %s", path);
	}
	return 0;
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int hcrun_state_names(char ***names, size_t *count, hc_error_t **err)
{
	DIR *dir = opendir(hcrun_root());
	char **list = NULL;
	size_t n = 0, cap = 0;
	struct dirent *de;

	*names = NULL;
	*count = 0;
	if (dir == NULL) {
		if (errno == ENOENT)
			return 0; /* nothing was ever created */
		return hc_error_sys(err, errno, "open %s", hcrun_root());
	}
	for (;;) {
		errno = 0;
		de = readdir(dir);
		if (de == NULL)
			break;
		if (de->d_type != DT_DIR && de->d_type != DT_UNKNOWN)
			continue;
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (n == cap) {
			char **grown;

			cap = cap ? cap * 2 : 16;
			grown = realloc(list, cap * sizeof(*list));
			if (grown == NULL)
				goto oom;
			list = grown;
		}
		list[n] = strdup(de->d_name);
		if (list[n] == NULL)
			goto oom;
		n++;
	}
	if (errno != 0) {
		hc_error_sys(err, errno, "read %s", hcrun_root());
		goto fail;
	}
	(void)closedir(dir);
	if (n > 0)
		qsort(list, n, sizeof(*list), name_cmp);
	*names = list;
	*count = n;
	return 0;
oom:
	hc_error_sys(err, ENOMEM, "read %s", hcrun_root());
fail:
	(void)closedir(dir);
	hcrun_names_free(list, n);
	return -1;
}

/* ------------------------------------------------------------ mounts */

static struct hc_mounts *mounts;

struct hc_mounts *hcrun_mounts(void)
{
	hc_cleanup_error hc_error_t *err = NULL;

	if (mounts == NULL && hc_mounts_new(&mounts, &err) < 0)
		return NULL; /* each call then reads for itself: slower, as safe */
	return mounts;
}

void hcrun_mounts_forget(void)
{
	hc_mounts_free(mounts);
	mounts = NULL;
}
