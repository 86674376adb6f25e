/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * channel_kit: what the channel tests share/memcg/lifecycle/security have
 * in common on top of hctest.h and engine.h:
 *  - driver calls that remember their command line, so that every failure
 *    message can print it with the status and the engine's stdout/stderr;
 *  - a driver call run in a child process (an exec that blocks: a unix
 *    listener, a FIFO reader) while the test works on the host side;
 *  - hc-probe's data pattern and checksum (splitmix64 words, FNV-1a 64),
 *    so the host can produce and check the same bytes;
 *  - mountinfo read through libmount: how many mounts a path has, and which
 *    mounts appeared between two snapshots;
 *  - the container's memory cgroup as a hierarchy plus a relative path, so
 *    the hct_cg_* readers (v1 and v2) apply to it;
 *  - a private minimal rootfs (busybox, hc-probe, /etc/passwd) that a test
 *    may plant symlinks in without touching the shared build/rootfs.
 *
 * Conventions as in hctest.h: 0 or a count on success, -errno on failure.
 */
#ifndef HCT_CHANNEL_KIT_H
#define HCT_CHANNEL_KIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "engine.h"
#include "hctest.h"

/*
 * First line of every FIXTURE_TEARDOWN: a failed ASSERT longjmps out of the
 * 6.1 harness's handler loop with _metadata->trigger still set, and the
 * next EXPECT would print its message although it held.
 */
#define HCK_TEARDOWN_BEGIN() (_metadata->trigger = 0)

/* --------------------------------------------------------------- box */

/*
 * What each channel test makes on the host: a scratch directory from
 * mkdtemp (/tmp/HCT_PREFIX-<pid>-<what>-XXXXXX), the channel's host path
 * scratch/ch inside it (not created: the engine creates it at create and
 * removes it at delete), and a container name hct-<pid>-<what>.
 */
struct hck_box {
	char scratch[PATH_MAX]; /* "" when not made */
	char host[PATH_MAX + 16];
	char name[64]; /* "" once deleted */
};

/*
 * 0 when ready; HCT_SKIP with why when the suite cannot run here (not
 * root, no engine driver); -errno with why on a real failure.
 */
int hck_box_init(struct hck_box *b, const char *what, char *why, size_t whylen);
/*
 * Delete the container (quietly, whatever its state). -EEXIST, with a
 * "# " line on stderr, when the engine left the host path behind (contract
 * section 3: delete removes the directory it created); 0 otherwise.
 */
int hck_box_delete(struct hck_box *b);
/*
 * hck_box_delete if not done yet, then rmdir the host path (what the
 * engine left; never recursively) and the scratch directory. 0, or -1 after
 * a "# teardown:" line for each thing left.
 */
int hck_box_fini(struct hck_box *b);

/* ------------------------------------------------------------ driver */

struct hck_run {
	struct hct_out o;
	char cmd[1024];	 /* "exec NAME -- /bin/hc-probe read /mnt/ch/f" */
	char log[40000]; /* hck_log's text */
};

/* Run DRIVER argv..., bounded by timeout_ms (0: engine.c's default). */
int hck_runv(struct hck_run *r, long timeout_ms, char *const argv[]);
/* DRIVER verb args... (NULL-terminated); returns the status. */
int hck_run(struct hck_run *r, const char *verb, ...) __attribute__((sentinel));
/* exec NAME -- PROBE args... where PROBE is the driver's info "probe". */
int hck_probe(struct hck_run *r, const char *name, ...) __attribute__((sentinel));
/* exec NAME -- /bin/sh -c SCRIPT. */
int hck_sh(struct hck_run *r, const char *name, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/*
 * "ref exec NAME -- ...: status N; stdout: ...; stderr: ..." on lines that
 * each start with "# ", for TH_LOG: KTAP readers skip them.
 */
const char *hck_log(struct hck_run *r);
/* The path of hc-probe in the container (driver info "probe"). */
const char *hck_probe_path(void);

/*
 * A driver call run by a child process of the test; its result lands in
 * shared memory. hck_bg_wait returns the call's status, -ETIMEDOUT when the
 * child is still running after timeout_ms (it is then killed).
 */
struct hck_bg {
	pid_t pid;
	struct hck_run *r; /* shared with the child */
};

int hck_bg_start(struct hck_bg *bg, char *const argv[]);
int hck_bg_wait(struct hck_bg *bg, long timeout_ms);
/* Kill and reap the child if it still runs, free the shared memory. */
void hck_bg_fini(struct hck_bg *bg);

/* ------------------------------------------------------- hc-probe data */

#define HCK_FNV_OFFSET 0xcbf29ce484222325ULL

uint64_t hck_fnv1a(uint64_t h, const void *buf, size_t len);
/* Bytes [off, off+len) of hc-probe's pattern of seed. */
void hck_pattern(uint64_t seed, uint64_t off, void *buf, size_t len);
/* FNV-1a 64 of the first bytes of the pattern: what hc-probe prints. */
uint64_t hck_pattern_sum(uint64_t seed, uint64_t bytes);
/* Write bytes of the pattern to path with write(2) (O_CREAT|O_TRUNC, 0644). */
int hck_write_pattern(const char *path, uint64_t bytes, uint64_t seed);
/*
 * Compare path, read with read(2), with the first bytes of the pattern:
 * 0 when equal; 1 when not, *size the file's length and *bad the first
 * offset that differs (the shorter length when only lengths differ);
 * -errno when it cannot be read. *sum is FNV-1a 64 of the file.
 */
int hck_check_pattern(const char *path, uint64_t bytes, uint64_t seed, uint64_t *size,
		      uint64_t *bad, uint64_t *sum);
/* Same for memory (a mapping); returns 0 or 1, *bad as above. */
int hck_check_pattern_mem(const void *mem, uint64_t bytes, uint64_t seed, uint64_t *bad);

/*
 * The value of "key=" in hc-probe's result line, up to the next blank or
 * newline; -ENOENT when absent.
 */
int hck_kv_u64(const char *out, const char *key, int base, uint64_t *val);
int hck_kv_str(const char *out, const char *key, char *val, size_t len);

/* -------------------------------------------------------------- mounts */

/* How many mounts have exactly target as mount point (stacked ones too). */
int hck_mount_count(const char *target);

/* The mounts of /proc/self/mountinfo, in order: mount point and device. */
struct hck_mount_ent {
	char *target;
	dev_t devno;
};

struct hck_mounts {
	size_t n;
	struct hck_mount_ent *m;
};

int hck_mounts_read(struct hck_mounts *m);
void hck_mounts_free(struct hck_mounts *m);
/*
 * The mounts of after that before does not have (a multiset of mount point
 * and device), other than one at allow (may be NULL), that matter: those of
 * device dev (the channel's tmpfs seen somewhere else: pass 0 for none)
 * and those on or below a path of watch (NULL-terminated). Mounts of
 * anything else elsewhere are other processes' business: the host is
 * shared. Listed in report; returns how many.
 */
int hck_mounts_new(const struct hck_mounts *before, const struct hck_mounts *after,
		   const char *allow, dev_t dev, const char *const *watch, char *report,
		   size_t len);

/* ------------------------------------------------------------- cgroups */

/*
 * The container's memory cgroup (driver "cgroup NAME") as the hierarchy
 * that holds it plus rel, its path below the hierarchy's root. Fails with
 * why when the directory is not below the memory hierarchy of this host.
 */
int hck_container_cg(const char *name, struct hct_cg *cg, char *rel, size_t rellen, char *why,
		     size_t whylen);
/* memory.limit_in_bytes (v1) / memory.max (v2); "max" is UINT64_MAX. */
int hck_cg_limit(const struct hct_cg *cg, const char *rel, uint64_t *bytes);

/* -------------------------------------------------------------- rootfs */

/*
 * A minimal rootfs made at dir (which must not exist): bin/busybox and
 * bin/hc-probe copied from the tree's build/rootfs ($HCT_ROOTFS_SRC when
 * set), the busybox applets the tests use as symlinks, etc/passwd and
 * etc/group, and the usual empty directories. why says what failed.
 */
int hck_rootfs_make(const char *dir, char *why, size_t whylen);
/*
 * Remove exactly what hck_rootfs_make made, dir included (rmdir for
 * directories, so nothing is removed recursively); a
 * directory that is not empty stays and is reported on stderr. 0, or -1
 * when something was left.
 */
int hck_rootfs_remove(const char *dir);

/* --------------------------------------------------------------- files */

struct stat;
/*
 * Whether two lstat results show the same object unchanged: device,
 * inode, type and mode, links, owner, size, mtime and ctime (not atime:
 * looking moves it).
 */
bool hck_same_stat(const struct stat *a, const struct stat *b);
/* The names in dir, sorted, space-separated ("(<error>)" when unreadable). */
void hck_list_dir(const char *dir, char *out, size_t len);

/* rmdir, unlink: 0 when removed or already absent, -errno otherwise. */
int hck_rmdir(const char *path);
int hck_unlink(const char *path);
/* Make path, a directory of a test's scratch, with mode; -errno. */
int hck_mkdir(const char *path, mode_t mode);

#endif /* HCT_CHANNEL_KIT_H */
