/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * channel_box: one container with one host channel, as the channel tests
 * of the option, the size, the mode and the permissions build it, and the
 * readers they check it with.
 *
 * A box is a scratch parent directory (mkdtemp under /tmp, named so that
 * the harness can reap it after a killed test), a channel host path that
 * does NOT exist in it (parent/ch: the engine must create it, and remove
 * it at delete), and a container name. Everything goes through the engine
 * driver (engine.h); the box only remembers what to take down.
 *
 * Conventions of hctest.h: 0 or -errno; the driver's last output is in
 * box->o (status, stdout, stderr) for the failure messages.
 */
#ifndef HCT_CHANNEL_BOX_H
#define HCT_CHANNEL_BOX_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "engine.h"
#include "hctest.h"

/* Where every box's channel appears inside its container. */
#define CHBOX_CTR "/mnt/ch"

struct chbox {
	char parent[PATH_MAX];	   /* the scratch directory, "" when not made */
	char host[PATH_MAX + 8];   /* parent/ch, the channel's host path */
	char name[64];		   /* the container, hct-<pid>-<what> */
	char probe[PATH_MAX];	   /* hc-probe inside the container (driver info) */
	char spec[PATH_MAX + 256]; /* the last --host-channel given to create */
	struct hct_out *o;	   /* the last driver run */
};

/*
 * Make the parent and the names. HCT_SKIP with why when the test cannot
 * run here (not root, no driver); -errno with why otherwise.
 */
int chbox_init(struct chbox *b, const char *what, char *why, size_t whylen);

/*
 * create NAME --host-channel SPEC, SPEC being host_part followed by tail;
 * host_part NULL stands for b->host. Returns the driver's status.
 */
int chbox_create(struct chbox *b, const char *host_part, const char *tail);
/* start NAME; the status. */
int chbox_start(struct chbox *b);
/* delete NAME; the status. */
int chbox_delete(struct chbox *b);
/* state NAME; the status (stdout holds the state). */
int chbox_state(struct chbox *b);

/*
 * exec NAME [--user uid:uid] -- ARGS... (NULL-terminated), uid < 0 for the
 * container's default user. The status.
 */
int chbox_exec(struct chbox *b, int uid, const char *arg, ...) __attribute__((sentinel));
/* exec NAME [--user] -- PROBE ARGS...: hc-probe with ARGS. The status. */
int chbox_probe(struct chbox *b, int uid, const char *arg, ...) __attribute__((sentinel));

/*
 * Take down what the box made: delete the container (whatever state it is
 * in), then the host path and the parent. Returns 0 when all of it was
 * gone or removable as the contract says; -1 with left describing each
 * thing the engine left behind (host path still there after delete: a
 * contract section 3 failure to report), after removing it all the same
 * (unmount of the engine's tmpfs, rmdir; never recursively).
 */
int chbox_fini(struct chbox *b, char *left, size_t leftlen);

/* ----------------------------------------------------------- readers */

/*
 * The value of "key=" in a line of "k=v k=v" words (hc-probe's output),
 * into val; -ENOENT when absent.
 */
int chbox_kv(const char *text, const char *key, char *val, size_t len);
/* Same, as a number in base (8 for hc-probe's mode=, else 10 or 16). */
int chbox_kv_u64(const char *text, const char *key, int base, uint64_t *val);

/* hc-probe stat PATH, parsed. */
struct chbox_stat {
	uint64_t mode, uid, gid, size, ro;
	char type[16];
	char fstype[32];
};
int chbox_probe_stat(struct chbox *b, int uid, const char *path, struct chbox_stat *st);

/* FNV-1a 64 (hc-probe's sum=) over a buffer, and over a whole file. */
uint64_t chbox_fnv1a(const void *buf, size_t len);
int chbox_file_sum(const char *path, uint64_t *bytes, uint64_t *sum);
/* Deterministic, non-repeating bytes for data written by the host. */
void chbox_fill_bytes(void *buf, size_t len, unsigned int seed);
/* Create path (O_EXCL) and write all of buf; 0 or -errno. */
int chbox_write_new(const char *path, const void *buf, size_t len);

/* statfs: f_blocks * f_bsize and (f_blocks - f_bfree) * f_bsize. */
int chbox_statfs(const char *path, uint64_t *size, uint64_t *used);

/* Half of MemTotal: the largest channel the contract allows (section 2). */
int chbox_max_size(uint64_t *bytes);

/*
 * How many mounts of /proc/self/mountinfo sit at dir or below it (read
 * through libmount); the first one's mount point into first.
 */
int chbox_mounts_under(const char *dir, char *first, size_t len);

/*
 * A mountinfo text read elsewhere (the container's, through cat), parsed by
 * libmount: the topmost mount at target. -ENOENT when there is none.
 */
int chbox_mountinfo_text_lookup(const char *text, const char *target, struct hct_mount *m);

/* Entries of a directory other than "." and "..", -errno on error. */
int chbox_dir_entries(const char *dir, char *names, size_t len);

#endif /* HCT_CHANNEL_BOX_H */
