/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * channel: what every channel test (selftests/channel/) shares on top of
 * hctest.h and engine.h:
 *  - the box: a scratch directory, the channel's host path in it and a
 *    container name, with a teardown that leaves the host as it was;
 *  - driver calls that remember their command line, so that every failure
 *    message can print it with the status and the engine's stdout/stderr;
 *    exec and hc-probe as a given user; a driver call run in a child
 *    process (an exec that blocks: a unix listener, a FIFO reader) while
 *    the test works on the host side;
 *  - hc-probe's data pattern and checksum (hc-pattern.h, shared with
 *    hc-probe itself), so the host can produce and check the same bytes,
 *    and a strict reader of hc-probe's "key=value" result line;
 *  - mountinfo read through libmount: how many mounts a path has, and which
 *    mounts appeared between two snapshots; statfs sizes;
 *  - the container's memory cgroup as a hierarchy plus a relative path, so
 *    the hct_cg_* readers (v1 and v2) apply to it;
 *  - a private minimal rootfs (busybox, hc-probe, /etc/passwd) that a test
 *    may plant symlinks in without touching the shared build/rootfs.
 *
 * Conventions as in hctest.h: 0 or a count on success, -errno on failure;
 * only the teardown functions print, as "# " lines on stderr.
 */
#ifndef HCT_CHANNEL_H
#define HCT_CHANNEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "engine.h"
#include "hc-pattern.h"
#include "hctest.h"

/* Where the tests mount the channel inside the container, unless they say otherwise. */
#define HCH_CTR "/mnt/ch"

/* --------------------------------------------------------------- box */

/*
 * What each channel test makes on the host: a scratch directory from
 * mkdtemp (/tmp/HCT_PREFIX-<pid>-<what>-XXXXXX, named so that the harness
 * can reap it after a killed test), the channel's host path scratch/ch
 * inside it (not created: the engine creates it at create and removes it
 * at delete), and a container name hct-<pid>-<what>.
 */
struct hch_box {
	char scratch[PATH_MAX];	   /* "" when not made */
	char host[PATH_MAX + 16];  /* scratch/ch */
	char name[64];		   /* "" once deleted */
	char spec[PATH_MAX + 256]; /* the last --host-channel hch_create gave */
};

/*
 * 0 when ready; HCT_SKIP with why when the suite cannot run here (not
 * root, no engine driver); -errno with why on a real failure (the driver's
 * info, which names hc-probe's path, failed).
 */
int hch_box_init(struct hch_box *b, const char *what, char *why, size_t whylen);
/*
 * Delete the container (quietly, whatever its state). -EEXIST, with a
 * "# " line on stderr, when the engine left the host path behind (contract
 * section 3: delete removes the directory it created); 0 otherwise.
 */
int hch_box_delete(struct hch_box *b);
/*
 * hch_box_delete if not done yet, then take down what is left: a tmpfs
 * the engine left mounted on the host path (only a tmpfs, only there),
 * the host path itself (rmdir or unlink, never recursively) and the scratch
 * directory. Leaves the working directory at "/". 0, or -1 after a
 * "# teardown:" line for each thing that could not be removed.
 */
int hch_box_fini(struct hch_box *b);

/* ------------------------------------------------------------ driver */

struct hch_run {
	struct hct_out o;
	char cmd[1024];	 /* "exec NAME -- /bin/hc-probe read /mnt/ch/f" */
	char log[40000]; /* hch_log's text */
};

/* Run DRIVER argv..., bounded by timeout_ms (0: engine.c's default). */
int hch_runv(struct hch_run *r, long timeout_ms, char *const argv[]);
/* DRIVER verb args... (NULL-terminated); returns the status. */
int hch_run(struct hch_run *r, const char *verb, ...) __attribute__((sentinel));
/*
 * create NAME --host-channel SPEC, SPEC being host_part followed by tail
 * (host_part NULL: b->host); SPEC is kept in b->spec. The status.
 */
int hch_create(struct hch_run *r, struct hch_box *b, const char *host_part, const char *tail);
/*
 * exec NAME [--user UID:UID] -- ARGS... (NULL-terminated); uid < 0 for the
 * container's default user. The status.
 */
int hch_exec(struct hch_run *r, const char *name, int uid, ...) __attribute__((sentinel));
/* The same with PROBE (the driver's info "probe") before ARGS. */
int hch_probe(struct hch_run *r, const char *name, int uid, ...) __attribute__((sentinel));
/* exec NAME -- /bin/sh -c SCRIPT. */
int hch_sh(struct hch_run *r, const char *name, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/*
 * "ref exec NAME -- ...: status N; stdout: ...; stderr: ..." on lines that
 * each start with "# ", for TH_LOG: KTAP readers skip them.
 */
const char *hch_log(struct hch_run *r);
/* The path of hc-probe in the container (driver info "probe"; /bin/hc-probe without one). */
const char *hch_probe_path(void);

/*
 * A driver call run by a child process of the test; its result lands in
 * shared memory. hch_bg_wait returns the call's status, -ETIMEDOUT when the
 * child is still running after timeout_ms (it is then killed).
 */
struct hch_bg {
	pid_t pid;
	struct hch_run *r; /* shared with the child */
};

int hch_bg_start(struct hch_bg *bg, char *const argv[]);
int hch_bg_wait(struct hch_bg *bg, long timeout_ms);
/* Kill and reap the child if it still runs, free the shared memory. */
void hch_bg_fini(struct hch_bg *bg);

/* ------------------------------------------------------- hc-probe data */

/* FNV-1a 64 of the first bytes of the pattern: what hc-probe prints. */
uint64_t hch_pattern_sum(uint64_t seed, uint64_t bytes);
/*
 * Create path (O_EXCL, 0644: never over a file the test did not make) and
 * write bytes of the pattern with write(2); 0 or -errno.
 */
int hch_write_pattern(const char *path, uint64_t bytes, uint64_t seed);
/* The same with the bytes of buf. */
int hch_write_new(const char *path, const void *buf, size_t len);
/*
 * Compare path, read with read(2), with the first bytes of the pattern:
 * 0 when equal; 1 when not, *size the file's length and *bad the first
 * offset that differs (the shorter length when only lengths differ);
 * -errno when it cannot be read. *sum is FNV-1a 64 of the file.
 */
int hch_check_pattern(const char *path, uint64_t bytes, uint64_t seed, uint64_t *size,
		      uint64_t *bad, uint64_t *sum);
/* Same for memory (a mapping); returns 0 or 1, *bad as above. */
int hch_check_pattern_mem(const void *mem, uint64_t bytes, uint64_t seed, uint64_t *bad);

/*
 * The value of "key=" in hc-probe's result line: the key starts a word, the
 * value runs to the next blank or newline. Strict, so that a malformed line
 * fails the test instead of passing a half-read value: -ENOENT when the
 * key is absent, -ERANGE when the value does not fit val, and for a number
 * -EINVAL unless the whole value is one, in base, without a sign.
 */
int hch_kv_str(const char *out, const char *key, char *val, size_t len);
int hch_kv_u64(const char *out, const char *key, int base, uint64_t *val);

/* hc-probe stat PATH, parsed. */
struct hch_stat {
	uint64_t mode, uid, gid, size, ro;
	char type[16];
	char fstype[32];
};

/* hc-probe stat PATH as uid (< 0: the default user); the status, -EBADMSG if unreadable. */
int hch_probe_stat(struct hch_run *r, const char *name, int uid, const char *path,
		   struct hch_stat *st);

/* ------------------------------------------------------------- sizes */

/* statfs: f_blocks * f_bsize and, when used != NULL, (f_blocks - f_bfree) * f_bsize. */
int hch_statfs(const char *path, uint64_t *size, uint64_t *used);
/* Half of MemTotal: the largest channel the contract allows (section 2). */
int hch_max_size(uint64_t *bytes);

/* -------------------------------------------------------------- mounts */

/* How many mounts have exactly target as mount point (stacked ones too). */
int hch_mount_count(const char *target);
/* How many mounts sit at dir or below it; the first one's mount point into first. */
int hch_mounts_below(const char *dir, char *first, size_t len);

/* The mounts of /proc/self/mountinfo, in order: mount point and device. */
struct hch_mount_ent {
	char *target;
	dev_t devno;
};

struct hch_mounts {
	size_t n;
	struct hch_mount_ent *m;
};

int hch_mounts_read(struct hch_mounts *m);
void hch_mounts_free(struct hch_mounts *m);
/*
 * The mounts of after that before does not have (a multiset of mount point
 * and device), other than one at allow (may be NULL), that matter: those of
 * device dev (the channel's tmpfs seen somewhere else: pass 0 for none)
 * and those on or below a path of watch (NULL-terminated). Mounts of
 * anything else elsewhere are other processes' business: the host is
 * shared. Listed in report; returns how many.
 */
int hch_mounts_new(const struct hch_mounts *before, const struct hch_mounts *after,
		   const char *allow, dev_t dev, const char *const *watch, char *report,
		   size_t len);

/* ------------------------------------------------------------- cgroups */

/*
 * The container's memory cgroup (driver "cgroup NAME") as the hierarchy
 * that holds it plus rel, its path below the hierarchy's root. Fails with
 * why when the directory is not below the memory hierarchy of this host.
 */
int hch_container_cg(const char *name, struct hct_cg *cg, char *rel, size_t rellen, char *why,
		     size_t whylen);
/* memory.limit_in_bytes (v1) / memory.max (v2); "max" is UINT64_MAX. */
int hch_cg_limit(const struct hct_cg *cg, const char *rel, uint64_t *bytes);

/* -------------------------------------------------------------- rootfs */

/*
 * A minimal rootfs made at dir (which must not exist): bin/busybox and
 * bin/hc-probe copied from the tree's build/rootfs ($HCT_ROOTFS_SRC when
 * set), the busybox applets the tests use as symlinks, etc/passwd and
 * etc/group, and the usual empty directories. why says what failed.
 */
int hch_rootfs_make(const char *dir, char *why, size_t whylen);
/*
 * Remove exactly what hch_rootfs_make made, dir included (rmdir for
 * directories, so nothing is removed recursively); a
 * directory that is not empty stays and is reported on stderr. 0, or -1
 * when something was left.
 */
int hch_rootfs_remove(const char *dir);

/* --------------------------------------------------------------- files */

struct stat;
/*
 * Whether two lstat results show the same object unchanged: device,
 * inode, type and mode, links, owner, size, mtime and ctime (not atime:
 * looking moves it).
 */
bool hch_same_stat(const struct stat *a, const struct stat *b);
/*
 * The entries of dir other than "." and "..": how many, and their names,
 * sorted and space-separated, into names ("" for none). -errno, with
 * names "(<error>)", when dir cannot be read.
 */
int hch_dir_entries(const char *dir, char *names, size_t len);

/* rmdir, unlink: 0 when removed or already absent, -errno otherwise. */
int hch_rmdir(const char *path);
int hch_unlink(const char *path);

/* -------------------------------------------------- container mounts */

/*
 * The topmost mount at target in the container's own mountinfo, read by cat
 * inside it (exec NAME -- cat /proc/self/mountinfo) and parsed by libmount:
 * 0, -EIO when the exec failed (r says how), -ENOENT when nothing is there.
 */
int hch_ctr_mount(struct hch_run *r, const char *name, const char *target, struct hct_mount *m);
/*
 * The same in /proc/PID/mountinfo, read by the test itself: the mounts of
 * PID's namespace, paths as PID's root sees them (PID: the driver's "pid").
 * -EFBIG when the file is over 1 MiB.
 */
int hch_pid_mount(pid_t pid, const char *target, struct hct_mount *m);

/* ----------------------------------------------------- who holds a tmpfs */

/*
 * Who keeps the file system of device dev alive: each mount namespace that
 * has a mount of it (named by its first process) and each process with a
 * file of it open, as "mounted in the mount namespace of pid N (comm)" and
 * "open as fd F of pid N (comm)", separated by "; ", into report. How many;
 * for a failure message (it reads every process's mountinfo).
 */
int hch_dev_holders(dev_t dev, char *report, size_t len);

#endif /* HCT_CHANNEL_H */
