// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The memory cgroup a container runs in, on cgroup v1 or v2.
 *
 * tmpfs pages are charged to the memory cgroup of the process that first
 * writes them (contract section 4), so the channel's pages count against the
 * container's limit only when the container has a memory cgroup of its own.
 * This file gives it one and reads back what the kernel charged there.
 *
 * Layout: <mount point>/<parent>/<name>, e.g. /sys/fs/cgroup/hostchannel/c1.
 * The parent is shared by every container and stays; the leaf is removed.
 *
 * The two versions name the same facts differently:
 *
 *   fact            v2                           v1
 *   limit           memory.max ("max")           memory.limit_in_bytes (-1)
 *   usage           memory.current               memory.usage_in_bytes
 *   tmpfs pages     memory.stat shmem            memory.stat shmem
 *   page cache      memory.stat file             memory.stat cache
 *   OOM kills       memory.events oom_kill       memory.oom_control oom_kill
 *
 * Swap is left alone on purpose: memory.swap.max (v2) and
 * memory.memsw.limit_in_bytes (v1) keep the parent's setting. Without swap the
 * memory limit alone decides; with swap, tmpfs pages may be swapped out of the
 * container's charge, which is the kernel's documented behaviour and not ours
 * to change.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/magic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

#include <libmount.h>

#include "hostchannel.h"

/* rmdir keeps failing with EBUSY while exiting tasks still leave the cgroup. */
#define DESTROY_TIMEOUT_MS 5000
#define DESTROY_STEP_MS	   10

/*
 * v1 shows "no limit" as PAGE_COUNTER_MAX pages in bytes: LONG_MAX rounded
 * down to the page size (9223372036854771712 with 4 KiB pages), a value that
 * depends on the page size. Anything from 2^62 (4 EiB) up cannot be a limit
 * anyone set for real memory, so it reads as unlimited.
 */
#define V1_UNLIMITED_FROM (1ULL << 62)

static void cleanup_table(struct libmnt_table **tb)
{
	mnt_unref_table(*tb);
}

static void cleanup_iter(struct libmnt_iter **itr)
{
	mnt_free_iter(*itr);
}

static int path_join(char *out, size_t len, hc_error_t **err, const char *dir, const char *name)
{
	int n = snprintf(out, len, "%s/%s", dir, name);

	if (n < 0 || (size_t)n >= len)
		return hc_error_set(err, ENAMETOOLONG, "cgroup path \"%s/%s\" is too long", dir,
				    name);
	return 0;
}

/*
 * Kernel-generated cgroup files are small; cgroup.procs of a busy cgroup is
 * the largest, a few bytes a process.
 */
#define CGROUP_FILE_MAX (16u << 20)

/*
 * Control files take one value per write(2); a short write would mean the
 * kernel saw a different value, so it counts as a failure.
 */
static int write_text(const char *path, const char *text, hc_error_t **err)
{
	hc_cleanup_close int fd = -1;
	size_t len = strlen(text);
	ssize_t n;

	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return hc_error_sys(err, errno, "open %s", path);
	do {
		n = write(fd, text, len);
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return hc_error_sys(err, errno, "write \"%s\" to %s", text, path);
	if ((size_t)n != len)
		return hc_error_set(err, EIO, "write \"%s\" to %s: short write (%zd of %zu bytes)",
				    text, path, n, len);
	return 0;
}

/* Exactly [begin, end) must be a decimal number: no sign, no blanks. */
static int parse_u64(const char *begin, const char *end, uint64_t *value)
{
	uint64_t v = 0;

	if (begin == end)
		return -1;
	for (const char *p = begin; p < end; p++) {
		if (*p < '0' || *p > '9')
			return -1;
		if (v > (UINT64_MAX - (uint64_t)(*p - '0')) / 10)
			return -1;
		v = v * 10 + (uint64_t)(*p - '0');
	}
	*value = v;
	return 0;
}

/* A file that holds one number (memory.current, usage_in_bytes, ...). */
static int read_u64_file(const char *path, bool max_is_unlimited, uint64_t *value, hc_error_t **err)
{
	hc_cleanup_free char *text = NULL;
	size_t len;

	if (hc_read_file(path, 0, CGROUP_FILE_MAX, &text, NULL, err) < 0)
		return -1;
	len = strcspn(text, "\n");
	if (max_is_unlimited && len == 3 && strncmp(text, "max", 3) == 0) {
		*value = UINT64_MAX;
		return 0;
	}
	if (parse_u64(text, text + len, value) < 0)
		return hc_error_set(err, EINVAL, "%s: expected a number, found \"%.*s\"", path,
				    (int)len, text);
	return 0;
}

/*
 * The value of "key" in a flat-keyed file ("key value" per line, as
 * memory.stat, memory.events, memory.oom_control). The key must match a whole
 * first word: "shmem" never picks "shmem_thp" or "total_shmem".
 */
static int read_key_file(const char *path, const char *key, uint64_t *value, hc_error_t **err)
{
	hc_cleanup_free char *text = NULL;
	size_t keylen = strlen(key);
	const char *line;

	if (hc_read_file(path, 0, CGROUP_FILE_MAX, &text, NULL, err) < 0)
		return -1;
	for (line = text; *line != '\0';) {
		const char *eol = strchrnul(line, '\n');
		const char *sp = memchr(line, ' ', (size_t)(eol - line));

		if (sp != NULL && (size_t)(sp - line) == keylen && memcmp(line, key, keylen) == 0) {
			if (parse_u64(sp + 1, eol, value) < 0)
				return hc_error_set(err, EINVAL,
						    "%s: \"%s\" is not a number: \"%.*s\"", path,
						    key, (int)(eol - sp - 1), sp + 1);
			return 0;
		}
		line = *eol ? eol + 1 : eol;
	}
	return hc_error_set(err, ENOENT, "%s: no \"%s\" entry", path, key);
}

/* Is "word" one of the blank-separated words of text? */
static bool has_word(const char *text, const char *word)
{
	size_t len = strlen(word);

	for (const char *p = text; *p != '\0';) {
		size_t n;

		p += strspn(p, " \t\n");
		n = strcspn(p, " \t\n");
		if (n == len && strncmp(p, word, len) == 0)
			return true;
		p += n;
	}
	return false;
}

static bool offers_memory_v2(const char *mountpoint)
{
	hc_cleanup_free char *text = NULL;
	hc_cleanup_error hc_error_t *ignored = NULL;
	char path[PATH_MAX];

	if (path_join(path, sizeof(path), &ignored, mountpoint, "cgroup.controllers") < 0)
		return false;
	if (hc_read_file(path, 0, CGROUP_FILE_MAX, &text, NULL, &ignored) < 0)
		return false;
	return has_word(text, "memory");
}

static bool offers_memory_v1(struct libmnt_fs *fs)
{
	char *value = NULL;
	size_t valsz = 0;
	const char *opts = mnt_fs_get_fs_options(fs);

	/* The controllers of a v1 hierarchy are its superblock options. */
	return opts != NULL && mnt_optstr_get_option(opts, "memory", &value, &valsz) == 0;
}

/*
 * HC_CGROUP_VERSION=1 or =2 restricts detection to that version, e.g. to test
 * the v1 code on a host that has both, or to make sure v2 is what a test
 * exercises. Unset or empty: v2 first, then v1.
 */
static int wanted_version(enum hc_cgroup_version *want, hc_error_t **err)
{
	const char *env = getenv("HC_CGROUP_VERSION");

	if (env == NULL || *env == '\0')
		*want = HC_CGROUP_NONE;
	else if (strcmp(env, "1") == 0)
		*want = HC_CGROUP_V1;
	else if (strcmp(env, "2") == 0)
		*want = HC_CGROUP_V2;
	else
		return hc_error_set(err, EINVAL, "HC_CGROUP_VERSION=\"%s\": expected 1 or 2", env);
	return 0;
}

#define STD_V2_ROOT "/sys/fs/cgroup"
#define STD_V1_ROOT "/sys/fs/cgroup/memory"

/* A cgroup file system of this magic is mounted exactly at path. */
static bool standard_hierarchy(const char *path, long magic)
{
	struct statfs sfs;

	return statfs(path, &sfs) == 0 && (long)sfs.f_type == magic;
}

static int copy_root(enum hc_cgroup_version v, const char *path, enum hc_cgroup_version *version,
		     char *root, size_t len, hc_error_t **err)
{
	if (strlen(path) >= len)
		return hc_error_set(err, ENAMETOOLONG,
				    "memory cgroup mount point \"%s\" is too long", path);
	strcpy(root, path);
	*version = v;
	return 0;
}

int hc_memcg_detect(enum hc_cgroup_version *version, char *root, size_t len, hc_error_t **err)
{
	__attribute__((cleanup(cleanup_table))) struct libmnt_table *tb = NULL;
	__attribute__((cleanup(cleanup_iter))) struct libmnt_iter *itr = NULL;
	enum hc_cgroup_version want = HC_CGROUP_NONE;
	/* Best candidate per version: the hierarchy's own root beats a bind of a subtree. */
	char found[3][PATH_MAX] = {"", "", ""};
	bool found_at_root[3] = {false, false, false};
	struct libmnt_fs *fs;
	int order[2], rc;

	if (wanted_version(&want, err) < 0)
		return -1;
	/*
	 * The usual places first, with one statfs each: reading the whole mount
	 * table costs time in proportion to the mounts, and a host with a
	 * thousand channels has a thousand more of them.
	 */
	if (want != HC_CGROUP_V1 && standard_hierarchy(STD_V2_ROOT, CGROUP2_SUPER_MAGIC) &&
	    offers_memory_v2(STD_V2_ROOT))
		return copy_root(HC_CGROUP_V2, STD_V2_ROOT, version, root, len, err);
	if (want != HC_CGROUP_V2 && standard_hierarchy(STD_V1_ROOT, CGROUP_SUPER_MAGIC))
		return copy_root(HC_CGROUP_V1, STD_V1_ROOT, version, root, len, err);

	tb = mnt_new_table_from_file("/proc/self/mountinfo");
	if (tb == NULL)
		return hc_error_sys(err, errno ? errno : EINVAL,
				    "read the mount table /proc/self/mountinfo");
	itr = mnt_new_iter(MNT_ITER_FORWARD);
	if (itr == NULL)
		return hc_error_sys(err, ENOMEM, "read the mount table");

	while ((rc = mnt_table_next_fs(tb, itr, &fs)) == 0) {
		const char *type = mnt_fs_get_fstype(fs);
		const char *target = mnt_fs_get_target(fs);
		const char *fsroot = mnt_fs_get_root(fs);
		bool at_root = fsroot != NULL && strcmp(fsroot, "/") == 0;
		enum hc_cgroup_version v;

		if (type == NULL || target == NULL)
			continue;
		if (strcmp(type, "cgroup2") == 0 && offers_memory_v2(target))
			v = HC_CGROUP_V2;
		else if (strcmp(type, "cgroup") == 0 && offers_memory_v1(fs))
			v = HC_CGROUP_V1;
		else
			continue;
		if (found[v][0] != '\0' && (found_at_root[v] || !at_root))
			continue;
		if (strlen(target) >= sizeof(found[v]))
			continue;
		strcpy(found[v], target);
		found_at_root[v] = at_root;
	}
	if (rc < 0)
		return hc_error_sys(err, -rc, "read the mount table /proc/self/mountinfo");

	order[0] = want == HC_CGROUP_V1 ? HC_CGROUP_V1 : HC_CGROUP_V2;
	order[1] = want == HC_CGROUP_NONE ? HC_CGROUP_V1 : order[0];
	for (int i = 0; i < 2; i++) {
		const char *target = found[order[i]];

		if (target[0] == '\0')
			continue;
		if (strlen(target) >= len)
			return hc_error_set(err, ENAMETOOLONG,
					    "memory cgroup mount point \"%s\" is too long", target);
		strcpy(root, target);
		*version = order[i];
		return 0;
	}

	if (want == HC_CGROUP_V2)
		return hc_error_set(err, ENOENT,
				    "no memory cgroup: no cgroup2 mount lists \"memory\" in "
				    "cgroup.controllers (HC_CGROUP_VERSION=2)");
	if (want == HC_CGROUP_V1)
		return hc_error_set(err, ENOENT,
				    "no memory cgroup: no cgroup (v1) mount has the \"memory\" "
				    "option (HC_CGROUP_VERSION=1)");
	return hc_error_set(
		err, ENOENT,
		"no memory cgroup: no cgroup2 mount lists \"memory\" in "
		"cgroup.controllers, and no cgroup (v1) mount has the \"memory\" option");
}

/* One directory name: a path of our own making must not climb or branch. */
static int check_component(const char *what, const char *name, hc_error_t **err)
{
	if (name == NULL || name[0] == '\0')
		return hc_error_set(err, EINVAL, "cgroup %s name is empty", what);
	if (strchr(name, '/') != NULL || strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
		return hc_error_set(err, EINVAL, "cgroup %s name \"%s\" must be one path component",
				    what, name);
	if (strlen(name) > NAME_MAX)
		return hc_error_set(err, EINVAL, "cgroup %s name \"%s\" is longer than %d bytes",
				    what, name, NAME_MAX);
	return 0;
}

/*
 * On v2 a child only gets memory.* files when its parent lists memory in
 * cgroup.subtree_control; writing it when it is already there is harmless but
 * would need write access we may not have, so only write when missing.
 */
static int enable_memory_v2(const char *dir, hc_error_t **err)
{
	hc_cleanup_free char *text = NULL;
	char path[PATH_MAX];

	if (path_join(path, sizeof(path), err, dir, "cgroup.subtree_control") < 0)
		return -1;
	if (hc_read_file(path, 0, CGROUP_FILE_MAX, &text, NULL, err) < 0)
		return -1;
	if (has_word(text, "memory"))
		return 0;
	if (write_text(path, "+memory", err) < 0) {
		/* EBUSY here is the v2 rule against processes in an inner cgroup. */
		if (err != NULL && *err != NULL && (*err)->errnum == EBUSY)
			hc_error_prefix(err,
					"%s holds processes, so it cannot hand \"memory\" to "
					"child cgroups",
					dir);
		return -1;
	}
	return 0;
}

/* mkdir that accepts an existing directory; *made says whether we made it. */
static int ensure_dir(const char *path, bool *made, hc_error_t **err)
{
	struct stat st;

	*made = false;
	if (mkdir(path, 0755) == 0) {
		*made = true;
		return 0;
	}
	if (errno != EEXIST)
		return hc_error_sys(err, errno, "mkdir %s", path);
	if (stat(path, &st) < 0)
		return hc_error_sys(err, errno, "stat %s", path);
	if (!S_ISDIR(st.st_mode))
		return hc_error_set(err, ENOTDIR, "%s exists and is not a cgroup directory", path);
	return 0;
}

/*
 * A parent cgroup we made carries this mark; kernfs keeps trusted.* xattrs
 * on v1 and v2 alike. Best effort: a parent left unmarked (a kernel without
 * them, a crash between mkdir and here) is only ever left behind, and a
 * parent an administrator made never gets one.
 */
static void mark_made(const char *dir)
{
	(void)setxattr(dir, HC_MEMCG_MADE_XATTR, "1", 1, 0);
}

/* The pids in cgroup.procs as one line ("12 345"), "" when none. */
static int list_procs(const char *dir, char **pids, hc_error_t **err)
{
	char path[PATH_MAX];
	char *text = NULL;
	size_t end;

	if (path_join(path, sizeof(path), err, dir, "cgroup.procs") < 0)
		return -1;
	if (hc_read_file(path, 0, CGROUP_FILE_MAX, &text, NULL, err) < 0)
		return -1;
	for (char *p = text; *p != '\0'; p++) {
		if (*p == '\n')
			*p = ' ';
	}
	end = strlen(text);
	while (end > 0 && text[end - 1] == ' ')
		text[--end] = '\0';
	*pids = text;
	return 0;
}

int hc_memcg_create(struct hc_memcg *cg, const char *parent, const char *name, hc_error_t **err)
{
	enum hc_cgroup_version version;
	char root[PATH_MAX], parent_dir[PATH_MAX], leaf[PATH_MAX];
	bool made_parent = false, made_leaf = false;

	if (check_component("parent", parent, err) < 0 || check_component("leaf", name, err) < 0)
		return -1;
	if (hc_memcg_detect(&version, root, sizeof(root), err) < 0)
		return -1;
	if (path_join(parent_dir, sizeof(parent_dir), err, root, parent) < 0 ||
	    path_join(leaf, sizeof(leaf), err, parent_dir, name) < 0)
		return -1;

	if (version == HC_CGROUP_V2 && enable_memory_v2(root, err) < 0)
		return -1;
	/*
	 * hc_memcg_remove_parent() of another container's delete may remove an
	 * empty parent between our two mkdirs; one more round makes it again.
	 */
	for (int tries = 0;; tries++) {
		hc_error_t *step_err = NULL;

		if (ensure_dir(parent_dir, &made_parent, err) < 0)
			return -1;
		if (made_parent)
			mark_made(parent_dir);
		/* v2: the parent can go between the mkdir and subtree_control too. */
		if ((version != HC_CGROUP_V2 || enable_memory_v2(parent_dir, &step_err) == 0) &&
		    ensure_dir(leaf, &made_leaf, &step_err) == 0)
			break;
		if (step_err->errnum != ENOENT || tries == 2) {
			if (err != NULL && *err == NULL)
				*err = step_err;
			else
				hc_error_free(&step_err);
			goto fail;
		}
		hc_error_free(&step_err);
	}
	if (!made_leaf) {
		hc_cleanup_free char *pids = NULL;

		/* A leftover of an earlier run is fine; a cgroup in use is someone's. */
		if (list_procs(leaf, &pids, err) < 0)
			goto fail;
		if (pids[0] != '\0') {
			hc_error_set(err, EBUSY, "cgroup %s already exists and holds processes: %s",
				     leaf, pids);
			goto fail;
		}
	}

	cg->version = version;
	strcpy(cg->path, leaf);
	return 0;

fail:
	/*
	 * Undo only our own mkdir. A parent we made may meanwhile hold another
	 * container's cgroup; then rmdir fails and the parent rightly stays.
	 */
	if (made_leaf)
		rmdir(leaf);
	if (made_parent)
		rmdir(parent_dir);
	return -1;
}

static int check_cg(const struct hc_memcg *cg, hc_error_t **err)
{
	if (cg == NULL || (cg->version != HC_CGROUP_V1 && cg->version != HC_CGROUP_V2))
		return hc_error_set(err, EINVAL, "memory cgroup has no valid cgroup version");
	if (cg->path[0] != '/')
		return hc_error_set(err, EINVAL, "memory cgroup path \"%s\" is not absolute",
				    cg->path);
	return 0;
}

int hc_memcg_set_limit(const struct hc_memcg *cg, uint64_t limit, hc_error_t **err)
{
	char path[PATH_MAX], value[32];
	bool v2;

	if (check_cg(cg, err) < 0)
		return -1;
	v2 = cg->version == HC_CGROUP_V2;
	if (path_join(path, sizeof(path), err, cg->path,
		      v2 ? "memory.max" : "memory.limit_in_bytes") < 0)
		return -1;
	/* The kernel rounds the limit down to whole pages on both versions. */
	if (limit == 0)
		snprintf(value, sizeof(value), "%s", v2 ? "max" : "-1");
	else
		snprintf(value, sizeof(value), "%" PRIu64, limit);
	if (write_text(path, value, err) < 0)
		return hc_error_prefix(err, "set the memory limit of cgroup %s", cg->path);
	return 0;
}

int hc_memcg_attach(const struct hc_memcg *cg, pid_t pid, hc_error_t **err)
{
	char path[PATH_MAX], value[32];

	if (check_cg(cg, err) < 0)
		return -1;
	if (pid <= 0)
		return hc_error_set(err, EINVAL, "cannot move pid %d into a cgroup", (int)pid);
	if (path_join(path, sizeof(path), err, cg->path, "cgroup.procs") < 0)
		return -1;
	snprintf(value, sizeof(value), "%d", (int)pid);
	if (write_text(path, value, err) < 0)
		return hc_error_prefix(err, "move pid %d into cgroup %s", (int)pid, cg->path);
	return 0;
}

/*
 * memory.stat on v1 has "shmem" (this cgroup's own pages) and "total_shmem"
 * (the cgroup and its descendants); likewise "cache"/"total_cache". We read
 * the local ones: a container's cgroup is a leaf, where both are equal, and
 * the local counter is what the kernel charged to exactly this cgroup, which
 * is the question the contract asks (whose limit did the channel's pages
 * count against). v2 only has the hierarchical form, equal for a leaf too.
 */
int hc_memcg_read(const struct hc_memcg *cg, struct hc_memcg_stats *stats, hc_error_t **err)
{
	const bool v2 = cg != NULL && cg->version == HC_CGROUP_V2;
	const char *usage_file = v2 ? "memory.current" : "memory.usage_in_bytes";
	const char *limit_file = v2 ? "memory.max" : "memory.limit_in_bytes";
	const char *file_key = v2 ? "file" : "cache";
	/* v2 memory.events counts descendants too; for a leaf that is the same. */
	const char *oom_file = v2 ? "memory.events" : "memory.oom_control";
	char path[PATH_MAX];
	struct hc_memcg_stats s = {0};

	if (check_cg(cg, err) < 0)
		return -1;
	if (path_join(path, sizeof(path), err, cg->path, usage_file) < 0 ||
	    read_u64_file(path, false, &s.usage, err) < 0)
		return -1;
	if (path_join(path, sizeof(path), err, cg->path, limit_file) < 0 ||
	    read_u64_file(path, v2, &s.limit, err) < 0)
		return -1;
	if (!v2 && s.limit >= V1_UNLIMITED_FROM)
		s.limit = UINT64_MAX;
	if (path_join(path, sizeof(path), err, cg->path, "memory.stat") < 0 ||
	    read_key_file(path, "shmem", &s.shmem, err) < 0 ||
	    read_key_file(path, file_key, &s.file, err) < 0)
		return -1;
	if (path_join(path, sizeof(path), err, cg->path, oom_file) < 0 ||
	    read_key_file(path, "oom_kill", &s.oom_kill, err) < 0)
		return -1;
	*stats = s;
	return 0;
}

static void sleep_ms(long ms)
{
	struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L};

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static int64_t now_ms(void)
{
	struct timespec ts;

	/* CLOCK_MONOTONIC cannot fail with a valid pointer; it ignores clock jumps. */
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int hc_memcg_destroy(const struct hc_memcg *cg, hc_error_t **err)
{
	hc_cleanup_free char *pids = NULL;
	struct statfs sfs;
	int64_t deadline;

	if (check_cg(cg, err) < 0)
		return -1;
	/* rmdir only ever on a cgroup file system, whatever the struct says. */
	if (statfs(cg->path, &sfs) < 0) {
		if (errno == ENOENT)
			return 0;
		return hc_error_sys(err, errno, "statfs %s", cg->path);
	}
	if (sfs.f_type != CGROUP_SUPER_MAGIC && sfs.f_type != CGROUP2_SUPER_MAGIC)
		return hc_error_set(err, EINVAL,
				    "refusing to remove %s: not on a cgroup file system", cg->path);

	deadline = now_ms() + DESTROY_TIMEOUT_MS;
	for (;;) {
		if (rmdir(cg->path) == 0 || errno == ENOENT)
			return 0;
		if (errno != EBUSY)
			return hc_error_sys(err, errno, "remove cgroup %s", cg->path);
		if (now_ms() >= deadline)
			break;
		sleep_ms(DESTROY_STEP_MS);
	}

	if (list_procs(cg->path, &pids, err) < 0)
		return hc_error_prefix(err, "remove cgroup %s: still busy after %d ms", cg->path,
				       DESTROY_TIMEOUT_MS);
	if (pids[0] != '\0')
		return hc_error_set(err, EBUSY,
				    "remove cgroup %s: processes still in it after %d ms: %s",
				    cg->path, DESTROY_TIMEOUT_MS, pids);
	return hc_error_set(err, EBUSY,
			    "remove cgroup %s: still busy after %d ms (no process listed; child "
			    "cgroups or exiting tasks)",
			    cg->path, DESTROY_TIMEOUT_MS);
}

int hc_memcg_remove_parent(const char *parent, hc_error_t **err)
{
	enum hc_cgroup_version version;
	char root[PATH_MAX], parent_dir[PATH_MAX], mark[8];

	if (check_component("parent", parent, err) < 0)
		return -1;
	if (hc_memcg_detect(&version, root, sizeof(root), err) < 0)
		return -1;
	if (path_join(parent_dir, sizeof(parent_dir), err, root, parent) < 0)
		return -1;
	if (getxattr(parent_dir, HC_MEMCG_MADE_XATTR, mark, sizeof(mark)) < 0) {
		/* Gone, or not made by hc_memcg_create(): nothing to do. */
		if (errno == ENOENT || errno == ENODATA || errno == ENOTSUP)
			return 0;
		return hc_error_sys(err, errno, "read %s of cgroup %s", HC_MEMCG_MADE_XATTR,
				    parent_dir);
	}
	/* A parent that still holds a cgroup is busy: that is the normal case. */
	if (rmdir(parent_dir) == 0 || errno == ENOENT || errno == EBUSY || errno == ENOTEMPTY)
		return 0;
	return hc_error_sys(err, errno, "remove cgroup %s", parent_dir);
}
