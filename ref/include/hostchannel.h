/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libhostchannel: the container "host channel", a tmpfs shared by a container
 * and the host (docs/contract.md is the contract).
 *
 * Conventions, for every function here:
 *  - 0 on success, -1 on failure with *err set (when err is not NULL);
 *  - an error carries errno (EINVAL when the failure is a bad input) and one
 *    message, already worded for the user; callers add context with
 *    hc_error_prefix() and print it in one place;
 *  - nothing prints, nothing exits.
 */
#ifndef HOSTCHANNEL_H
#define HOSTCHANNEL_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------ errors */

typedef struct hc_error {
	int errnum; /* errno of the failing call, EINVAL for a bad input */
	char *msg;  /* complete message, no trailing newline */
} hc_error_t;

/* Set *err (if err != NULL and *err == NULL) and return -1. */
int hc_error_set(hc_error_t **err, int errnum, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Like hc_error_set, with ": strerror(errnum)" appended. */
int hc_error_sys(hc_error_t **err, int errnum, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Prepend "<prefix>: " to the message of *err; returns -1. */
int hc_error_prefix(hc_error_t **err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void hc_error_free(hc_error_t **err);

/* Cleanup helpers in the crun style. */
void hc_cleanup_freep(void *p);
void hc_cleanup_closep(int *fd);
void hc_cleanup_errorp(hc_error_t **err);
#define hc_cleanup_free	 __attribute__((cleanup(hc_cleanup_freep)))
#define hc_cleanup_close __attribute__((cleanup(hc_cleanup_closep)))
#define hc_cleanup_error __attribute__((cleanup(hc_cleanup_errorp)))

/* ---------------------------------------------------------- whole files */

/*
 * Small whole-file I/O that the library, hcrun and the OCI kit share.
 *
 * hc_write_all: all of buf to fd, through short writes and EINTR. 0, or -1
 * with errno set and no error object: the caller names the file.
 */
int hc_write_all(int fd, const void *buf, size_t len);
/*
 * The whole of fd (hc_read_fd) or of path (hc_read_file, opened with
 * O_RDONLY | O_CLOEXEC | flags, e.g. O_NOFOLLOW) into *out, NUL-terminated,
 * to free(); its length in *len when len is not NULL. A file of more than
 * max bytes fails with EFBIG: it bounds what a corrupt or hostile file
 * costs. what names the file in messages.
 */
int hc_read_fd(int fd, size_t max, const char *what, char **out, size_t *len, hc_error_t **err);
int hc_read_file(const char *path, int flags, size_t max, char **out, size_t *len,
		 hc_error_t **err);
/*
 * Replace path atomically with buf: write it to tmp (a name beside path,
 * the caller's, so that its own clean-up knows what a crash leaves), fsync,
 * rename over path, fsync the directory. A reader sees the old file or the
 * new one, whole, and after a crash the new one is there once this returned.
 * An existing tmp is unlinked first, never opened. mode applies to a new
 * file. On failure path is unchanged and tmp is removed.
 */
int hc_replace_file(const char *path, const char *tmp, const void *buf, size_t len, mode_t mode,
		    hc_error_t **err);

/* ------------------------------------------------------------------- spec */

#define HC_DEFAULT_SIZE (64ULL << 20)

enum hc_propagation {
	HC_PROP_DEFAULT = 0, /* no word given: rprivate */
	HC_PROP_PRIVATE,
	HC_PROP_RPRIVATE,
	HC_PROP_SHARED,
	HC_PROP_RSHARED,
	HC_PROP_SLAVE,
	HC_PROP_RSLAVE,
	HC_PROP_UNBINDABLE,
	HC_PROP_RUNBINDABLE,
};

struct hc_spec {
	char host_path[PATH_MAX];      /* absolute, cleaned, not "/" */
	char container_path[PATH_MAX]; /* absolute, cleaned, not "/" */
	bool readonly;
	enum hc_propagation propagation;
	uint64_t size; /* bytes, page_size <= size <= max_size */
};

/* Bounds the size of a channel must keep (contract section 2). */
struct hc_limits {
	uint64_t page_size; /* sysconf(_SC_PAGESIZE) */
	uint64_t max_size;  /* MemTotal / 2 */
};

/* Page size and half of MemTotal from /proc/meminfo. */
int hc_limits_from_system(struct hc_limits *limits, hc_error_t **err);

/*
 * Parse "<host>:<container>[:<mode>[:<size>]]". With limits == NULL the
 * system's limits are read. Touches nothing on disk. Error messages look like
 * `invalid host channel "/a:b": container path "b" is not absolute`.
 */
int hc_spec_parse(const char *text, const struct hc_limits *limits, struct hc_spec *spec,
		  hc_error_t **err);

/* Parse a size ("32M", "1.5g", "4096"); no bounds applied except overflow. */
int hc_size_parse(const char *text, uint64_t *bytes, hc_error_t **err);

/* Canonical size text: the largest unit that divides exactly ("32M", "1536"). */
int hc_size_format(uint64_t bytes, char *buf, size_t len);

/*
 * Clean an absolute path lexically: collapse "//", drop ".", resolve ".."
 * (".." at the root stays at the root), drop a trailing "/". Fails on an
 * empty or relative path or one too long for PATH_MAX.
 */
int hc_path_clean(const char *in, char *out, size_t len, hc_error_t **err);

/* Canonical text "<host>:<container>:<rw|ro>[,<propagation>]:<size>". */
int hc_spec_format(const struct hc_spec *spec, char *buf, size_t len);

/* "rprivate" for HC_PROP_DEFAULT; NULL for an unknown value. */
const char *hc_propagation_name(enum hc_propagation prop);
/* MS_PRIVATE, MS_SLAVE, ... with MS_REC for the r- forms. */
unsigned long hc_propagation_flags(enum hc_propagation prop);

/* ----------------------------------------------------------- host side */

#define HC_HOST_TOKEN_LEN  32
#define HC_HOST_TMP_PREFIX ".hostchannel-" /* + token: a directory being made */
#define HC_HOST_TAG_MAX	   255		   /* bytes of a tag: the tmpfs's source */

/*
 * What prepare created, so that teardown removes exactly that. All paths are
 * resolved (no symlink in them); "created_top" is the outermost directory
 * prepare made (the host path itself when every parent existed).
 */
struct hc_host {
	char path[PATH_MAX];	    /* the host path as the user cleaned it */
	char real_path[PATH_MAX];   /* existing parents resolved, then the leaf */
	char created_top[PATH_MAX]; /* "" when prepare created nothing */
	dev_t dev;		    /* of the leaf directory prepare made */
	ino_t ino;		    /* 0 until the leaf is in place: a prepare in progress */
	/*
	 * A prepare in progress. Each directory is made under the temporary
	 * name ".hostchannel-<token>" beside its final name, then renamed into
	 * place (RENAME_NOREPLACE); the journal of hc_host_prepare_journal()
	 * sees the record before the mkdir and once the new directory's
	 * identity is known, so that a crash at any point leaves a record from
	 * which hc_host_teardown() removes exactly what was made.
	 */
	char token[HC_HOST_TOKEN_LEN + 1]; /* random hex; "" in a record of old */
	char pending[PATH_MAX];		   /* the directory being made; "" none */
	dev_t pending_dev;		   /* its identity, 0 until known */
	ino_t pending_ino;
	/*
	 * The tmpfs hc_host_mount() mounted (or found and reused) for this
	 * record: its unique mount ID (statx STATX_MNT_ID_UNIQUE, Linux 6.8),
	 * which the kernel never gives another mount, and the tag it was
	 * mounted with. A later call then knows the tmpfs on top at real_path
	 * for ours from one statx, even where the kernel cannot tell a
	 * mount's source. 0 and "": not known (a kernel before 6.8, a record
	 * of old); the calls then ask statmount() or the mount table.
	 */
	uint64_t mnt_id;
	char mnt_tag[HC_HOST_TAG_MAX + 1];
};

/*
 * Refuse a host path that exists in any form (lstat semantics: directory,
 * file, symlink, dangling symlink); otherwise create it, mode 0700, and its
 * missing parents, mode 0755, race-free (each component opened O_NOFOLLOW
 * relative to its parent). Fills *host. Nothing is left behind on failure.
 */
int hc_host_prepare(const char *host_path, struct hc_host *host, hc_error_t **err);

/*
 * Called by hc_host_prepare_journal() with *host as it stands: before each
 * directory is made (host->pending names it), once its identity is known
 * (pending_dev, pending_ino) and once it is in place. The callback records
 * the record durably (a state file); a failure stops the prepare, which then
 * undoes what it made.
 */
typedef int (*hc_host_journal_fn)(void *arg, const struct hc_host *host, hc_error_t **err);

/*
 * hc_host_prepare, journaled: host is filled in place (path, real_path,
 * token first) and journal sees every step, so a process killed at any
 * point leaves a record that hc_host_teardown() rolls back: it removes a
 * directory only if it is the one recorded (its temporary name with the
 * record's random token, or its dev/ino) and empty. journal may be NULL.
 */
int hc_host_prepare_journal(const char *host_path, struct hc_host *host, hc_host_journal_fn journal,
			    void *arg, hc_error_t **err);

/*
 * What the host calls below learn about the mount table, shared by the
 * calls of one task (a command, a sweep). To know the mount on top at a
 * path, a call asks statx for its mount ID; to know whose it is, it
 * compares that ID with the record's (hc_host.mnt_id), or asks statmount()
 * for its type and source (Linux 6.13). Only where neither answers (a
 * kernel before 6.8, a record without mnt_id before 6.13, a seccomp filter
 * that refuses statmount) does it read /proc/self/mountinfo, and the calls
 * that share a struct hc_mounts read it once: each checks what it takes from
 * that read against the mount ID statx gives now, and reads again only when
 * something changed at its path meanwhile. A kernel without mount IDs in
 * statx (before 5.8) has every call read the table afresh.
 *
 * Not for a process's lifetime: before 6.8 a mount ID is reused once its
 * mount is gone, so a read that old could take a new mount for one it knew.
 * One thread at a time. mounts may be NULL, as for the functions without
 * _with: the call then has a view of its own.
 */
struct hc_mounts;
int hc_mounts_new(struct hc_mounts **mounts, hc_error_t **err);
void hc_mounts_free(struct hc_mounts *mounts); /* NULL is fine */
/* How many times the calls read the whole of /proc/self/mountinfo. */
unsigned int hc_mounts_reads(const struct hc_mounts *mounts);

/*
 * Mount the tmpfs at host->real_path: "mode=1777,size=<size>", nosuid,
 * nodev, noexec, private propagation; source name "tag" (e.g.
 * "hostchannel-<container>") so the mount is recognisable in mountinfo. When
 * a tmpfs with that tag is already mounted there, reuse it (*reused = true).
 * Refuses if the directory at real_path is not the one prepare made
 * (dev/ino), or if any component of real_path became a symlink, or if
 * another mount is on top at real_path. Records the tmpfs in host->mnt_id
 * and host->mnt_tag (0 and "" where the kernel has no unique mount IDs):
 * save them with the rest of the record.
 */
int hc_host_mount(struct hc_host *host, uint64_t size, const char *tag, bool *reused,
		  hc_error_t **err);
int hc_host_mount_with(struct hc_mounts *mounts, struct hc_host *host, uint64_t size,
		       const char *tag, bool *reused, hc_error_t **err);

/* Is a tmpfs with this tag mounted at real_path, on top or covered? */
int hc_host_is_mounted(const struct hc_host *host, const char *tag, bool *mounted,
		       hc_error_t **err);
int hc_host_is_mounted_with(struct hc_mounts *mounts, const struct hc_host *host, const char *tag,
			    bool *mounted, hc_error_t **err);

/*
 * Unmount every tmpfs with this tag at real_path (lazily when busy), then
 * remove real_path and the parents prepare created up to created_top, each
 * only if it is an empty directory; never recursively, never anything else.
 * Succeeds when there is nothing left to do (idempotent). A record of an
 * interrupted prepare (ino 0) is rolled back: the directory in progress is
 * removed if it is the recorded one and empty, then the parents made before
 * it, each if empty.
 */
int hc_host_teardown(const struct hc_host *host, const char *tag, hc_error_t **err);
int hc_host_teardown_with(struct hc_mounts *mounts, const struct hc_host *host, const char *tag,
			  hc_error_t **err);
/*
 * hc_host_teardown_with, telling step (when not NULL) after each thing it
 * changed on the host: a tmpfs unmounted, a directory removed (what names
 * it). The record needs no update in between (a teardown run again from it
 * finishes the job), so step cannot fail: it lets a caller count the steps,
 * as hcrun's crash faults do.
 */
typedef void (*hc_host_step_fn)(void *arg, const char *what);
int hc_host_teardown_steps(struct hc_mounts *mounts, const struct hc_host *host, const char *tag,
			   hc_host_step_fn step, void *arg, hc_error_t **err);

/* ---------------------------------------------- resolving inside a root */

/*
 * Open path inside the directory rootfd as if rootfd were "/": path may be
 * absolute or relative, it is always taken from rootfd; absolute symlinks
 * restart at rootfd and ".." never climbs above it; magic links
 * (/proc/<pid>/fd/N, /proc/<pid>/root, ...) are refused with ELOOP. flags
 * as for openat(2), e.g. O_PATH | O_DIRECTORY | O_CLOEXEC; O_CREAT and
 * O_TMPFILE are refused (EINVAL): hc_mkdir_in_root makes directories.
 * Returns the new fd, or -1 with errno set (ENOENT, ENOTDIR, ELOOP, ...) and
 * *err set when err is not NULL.
 *
 * openat2(RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS) when the kernel has it;
 * without it (ENOSYS: Linux < 5.6, valgrind) a userspace walk with the same
 * rules, which is safe only while nothing else writes inside the root (as
 * during container setup, before any container process exists): a rename
 * racing the walk could lead ".." out of the root.
 */
int hc_open_in_root(int rootfd, const char *path, int flags, hc_error_t **err);

/*
 * Like mkdir -p inside rootfd: open the directory at path (resolved as
 * hc_open_in_root does), making the missing ones with exactly mode (the
 * umask does not apply), each in its parent resolved inside the root.
 * A name that exists but resolves to nothing (a dangling symlink) is
 * refused with ENOENT: nothing is made through a symlink. Returns a
 * close-on-exec fd of the directory ("" or "/": rootfd's), -1 on failure.
 */
int hc_mkdir_in_root(int rootfd, const char *path, mode_t mode, hc_error_t **err);

/* ------------------------------------------------------ container side */

/*
 * Inside the container's (already unshared, already private) mount
 * namespace, before pivot_root: bind the host tmpfs at spec->container_path
 * resolved inside rootfs (hc_mkdir_in_root: no symlink in the rootfs can send
 * it outside). Missing directories are created inside the rootfs, mode 0755.
 * Recursive bind; propagation from spec (rprivate by default); read-only when
 * spec->readonly.
 */
int hc_attach(const struct hc_spec *spec, const char *host_real_path, const char *rootfs,
	      hc_error_t **err);

/* ----------------------------------------------------------- memory cgroup */

enum hc_cgroup_version {
	HC_CGROUP_NONE = 0,
	HC_CGROUP_V1 = 1,
	HC_CGROUP_V2 = 2,
};

struct hc_memcg {
	enum hc_cgroup_version version;
	char path[PATH_MAX]; /* the cgroup's directory */
};

struct hc_memcg_stats {
	uint64_t usage;	   /* memory.current / memory.usage_in_bytes */
	uint64_t limit;	   /* UINT64_MAX when unlimited */
	uint64_t shmem;	   /* memory.stat shmem */
	uint64_t file;	   /* memory.stat file (v2) / cache (v1) */
	uint64_t oom_kill; /* memory.events / memory.oom_control oom_kill */
};

/*
 * Where memory cgroups go: v2 when a cgroup2 mount offers "memory" in
 * cgroup.controllers, else the v1 hierarchy that has the memory controller
 * (both found through the mount table). *root is the mount point.
 */
int hc_memcg_detect(enum hc_cgroup_version *version, char *root, size_t len, hc_error_t **err);

/*
 * Create <root>/<parent>/<name> (parent e.g. "hostchannel"), enabling
 * +memory in subtree_control on v2 as needed (and leaving it: turning a
 * controller off would take it from cgroups that are not ours). An existing
 * cgroup of that name is reused when empty of processes. A parent this call
 * makes gets the xattr HC_MEMCG_MADE_XATTR, so that only it is ever removed.
 */
#define HC_MEMCG_MADE_XATTR "trusted.hostchannel.made"
int hc_memcg_create(struct hc_memcg *cg, const char *parent, const char *name, hc_error_t **err);
/* limit 0 = unlimited ("max" / -1). */
int hc_memcg_set_limit(const struct hc_memcg *cg, uint64_t limit, hc_error_t **err);
int hc_memcg_attach(const struct hc_memcg *cg, pid_t pid, hc_error_t **err);
int hc_memcg_read(const struct hc_memcg *cg, struct hc_memcg_stats *stats, hc_error_t **err);
/*
 * Remove the cgroup (rmdir, retried for a bounded time while the kernel
 * finishes with exiting tasks). Call after the channels are unmounted so that
 * no tmpfs page keeps it dying. Succeeds when it is already gone. The parent
 * directory is left alone.
 */
int hc_memcg_destroy(const struct hc_memcg *cg, hc_error_t **err);
/*
 * Remove <root>/<parent> when no cgroup is left in it and hc_memcg_create()
 * made it (it carries HC_MEMCG_MADE_XATTR), so that the last delete leaves
 * the hierarchy as it was found. A parent someone else made stays, and so
 * does a busy one: neither is an error. hc_memcg_create() copes with a
 * parent removed under it.
 */
int hc_memcg_remove_parent(const char *parent, hc_error_t **err);

#ifdef __cplusplus
}
#endif

#endif /* HOSTCHANNEL_H */
