/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * hctest: what every test of the suite shares. Readers for /proc/meminfo,
 * mountinfo (through libmount) and cgroup files, the memory cgroup in its v1
 * and v2 shapes, and the small helpers tests keep rewriting otherwise.
 *
 * Independent of ref/: the suite checks the kernel and the engines, so it
 * must not borrow the code it is checking.
 *
 * Conventions: functions return 0 (or a count) on success and -errno on
 * failure; nothing exits, and only the clean-up functions print (what they
 * could not remove, as "# " lines on stderr, so KTAP readers skip them).
 * Sizes are bytes in uint64_t.
 */
#ifndef HCTEST_H
#define HCTEST_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define HCT_KiB (1ULL << 10)
#define HCT_MiB (1ULL << 20)
#define HCT_GiB (1ULL << 30)

/* Every name the suite creates on the host starts with this. */
#define HCT_PREFIX "hostchannel-selftest"

/* ----------------------------------------------------------------- time */

int64_t hct_now_ms(void);
void hct_sleep_ms(long ms);

#define HCT_POLL_STEP_MS 20

/*
 * Evaluate cond until it holds or timeout_ms passed; true when it held.
 * Bounded on purpose: a kernel counter that never settles is a failure to
 * report, not a hang.
 */
#define HCT_POLL_UNTIL(timeout_ms, cond)                                                           \
	({                                                                                         \
		int64_t __hct_end = hct_now_ms() + (timeout_ms);                                   \
		bool __hct_ok;                                                                     \
		while (!(__hct_ok = (cond)) && hct_now_ms() < __hct_end)                           \
			hct_sleep_ms(HCT_POLL_STEP_MS);                                            \
		__hct_ok;                                                                          \
	})

/* ---------------------------------------------------------------- files */

/* Write the formatted text to an existing file in one write(2). */
int hct_write_file(const char *path, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Read at most size-1 bytes, NUL-terminated; returns the length. */
ssize_t hct_read_file(const char *path, char *buf, size_t size);
/* A file that holds one number ("max" reads as UINT64_MAX). */
int hct_read_u64(const char *path, uint64_t *val);
/*
 * A file of "key value" lines (memory.stat, memory.events, cgroup.stat,
 * memory.oom_control, /proc/meminfo): the value of key. -ENOENT when absent.
 */
int hct_read_key_u64(const char *path, const char *key, uint64_t *val);

/* MemTotal, MemAvailable, Shmem... from /proc/meminfo, in bytes. */
int hct_meminfo(const char *field, uint64_t *bytes);

uint64_t hct_page_size(void);
static inline uint64_t hct_round_up_pages(uint64_t bytes)
{
	uint64_t page = hct_page_size();

	return (bytes + page - 1) / page * page;
}

/*
 * The tolerance of every memory figure in the suite: 5% of the expected
 * value or 1 MiB, whichever is larger (per-CPU charge batches, the
 * writer's own page tables and buffers, lazily flushed statistics).
 */
static inline uint64_t hct_tolerance(uint64_t want)
{
	return want / 20 > HCT_MiB ? want / 20 : HCT_MiB;
}

/* True when |got - want| <= tol. */
static inline bool hct_near(uint64_t got, uint64_t want, uint64_t tol)
{
	return got > want ? got - want <= tol : want - got <= tol;
}

/* --------------------------------------------------------------- mounts */

/*
 * Make the calling process's mount namespace its own and every mount in it
 * private, so nothing mounted afterwards propagates to the host and all of
 * it dies with the namespace.
 */
int hct_private_mount_ns(void);

/* mkdtemp under /tmp, named HCT_PREFIX-<pid>-<what>-XXXXXX; dir has PATH_MAX. */
int hct_make_tmpdir(char *dir, const char *what);

/* mount -t tmpfs with the given flags and data ("mode=1777,size=..."). */
int hct_mount_tmpfs(const char *dir, unsigned long flags, const char *data);

/* One mount as /proc/self/mountinfo describes it, read through libmount. */
struct hct_mount {
	char fstype[64];
	char source[PATH_MAX];
	char vfs_options[512]; /* per-mount: rw/ro, nosuid, nodev, noexec, ... */
	char fs_options[512];  /* per-superblock: mode=1777, size=..., ... */
	char optional_fields[256];
};

/* The topmost mount whose mount point is exactly target. -ENOENT if none. */
int hct_mount_lookup(const char *target, struct hct_mount *m);
/*
 * The same in a mountinfo text read elsewhere (a container's, through cat):
 * -EBADMSG when libmount cannot parse it.
 */
int hct_mount_lookup_text(const char *text, const char *target, struct hct_mount *m);
/*
 * Whether optstr holds option name (with value when value != NULL),
 * as libmount parses it.
 */
bool hct_opt_has(const char *optstr, const char *name, const char *value);

/* ------------------------------------------------------------- processes */

/*
 * Results a child process hands back through a shared page: it survives
 * the child's SIGKILL, which is the point of the OOM tests.
 */
struct hct_child_report {
	uint64_t bytes; /* bytes written or read so far */
	int err;	/* errno of the call that stopped it, 0 if none */
	int stage;	/* how far the child got, test-defined */
	char note[200]; /* free text for the failure message */
};

/*
 * A report page, touched here so that its one shmem page is charged to the
 * caller's cgroup, not to whichever test cgroup the child runs in.
 */
struct hct_child_report *hct_report_new(void);
void hct_report_free(struct hct_child_report *r);

struct hct_cg;

/*
 * Fork; the child joins cgroup rel of cg (when cg != NULL), runs
 * fn(arg, report) and exits with its return value (report->err is set and
 * the exit status is 100 when joining fails). Returns the pid or -errno.
 */
pid_t hct_spawn(const struct hct_cg *cg, const char *rel,
		int (*fn)(void *arg, struct hct_child_report *r), void *arg,
		struct hct_child_report *report);
/* waitpid with a bound: -ETIMEDOUT (and the child killed) past timeout_ms. */
int hct_wait(pid_t pid, int *wstatus, long timeout_ms);
/* Describe a wait status for a message: "exit 1", "signal 9 (Killed)". */
const char *hct_wstatus_str(int wstatus, char *buf, size_t size);

/*
 * Write up to max bytes to path (created or appended), chunk bytes a call,
 * until max is reached or a write fails. report->bytes follows the file's
 * growth as it goes. Returns 0 when max was written, -errno otherwise.
 */
int hct_fill_file(const char *path, uint64_t max, size_t chunk, struct hct_child_report *report);
/* Read the whole file through read(2), chunk bytes a call, then through a
 * MAP_SHARED mapping touching every page. Returns 0 or -errno. */
int hct_read_whole_file(const char *path, struct hct_child_report *report);

/*
 * Ready-made child bodies for hct_spawn. hct_child_fill first touches anon
 * bytes of private memory (the application's own memory, held until exit),
 * then fills path as hct_fill_file does; hct_child_read reads path whole
 * (arg is the path). Both return 0: the outcome is in the report.
 */
struct hct_fill_arg {
	const char *path;
	uint64_t bytes;
	uint64_t anon;
};
int hct_child_fill(void *arg, struct hct_child_report *r);
int hct_child_read(void *arg, struct hct_child_report *r);

/*
 * Drop one capability from the calling process (all sets and the bounding
 * set), with the raw syscalls: no libcap in the suite.
 */
int hct_drop_cap(int cap);

/* --------------------------------------------------------- memory cgroup */

enum hct_cg_version {
	HCT_CG_NONE = 0,
	HCT_CG_V1 = 1,
	HCT_CG_V2 = 2,
};

struct hct_cg {
	enum hct_cg_version version;
	char root[PATH_MAX]; /* mount point of the hierarchy holding "memory" */
};

/*
 * Find the hierarchy that holds the memory controller: a cgroup (v1) mount
 * with the "memory" option, else a cgroup2 mount whose cgroup.controllers
 * lists memory (mounts read through libmount). On failure, why says
 * precisely what is missing, for a SKIP.
 */
int hct_cg_detect(struct hct_cg *cg, char *why, size_t whylen);
const char *hct_cg_version_str(const struct hct_cg *cg);

/* root/rel into path (PATH_MAX). */
int hct_cg_path(const struct hct_cg *cg, const char *rel, char *path);
/* mkdir root/rel; on v2 also enable +memory for its children when parent. */
int hct_cg_create(const struct hct_cg *cg, const char *rel, bool parent);
/* rmdir root/rel; -ENOENT is success (nothing left to remove). */
int hct_cg_remove(const struct hct_cg *cg, const char *rel);
/* Move the calling process into root/rel. */
int hct_cg_enter(const struct hct_cg *cg, const char *rel);

/* memory.stat "shmem": tmpfs pages charged here (v1: this cgroup only). */
int hct_cg_shmem(const struct hct_cg *cg, const char *rel, uint64_t *bytes);
/* The same for rel's whole subtree: v1 total_shmem, v2 shmem. */
int hct_cg_shmem_tree(const struct hct_cg *cg, const char *rel, uint64_t *bytes);
/*
 * tmpfs pages charged in rel's subtree to cgroups that were removed: the
 * subtree's figure less rel's own and its live children's. A removed memory
 * cgroup stays dying while pages are charged to it (the kernel moves no page
 * to the parent), so this is what keeps rel's removed descendants dying on
 * account of tmpfs pages, a figure of rel's subtree alone, on v1 too where
 * the count of dying cgroups is only system-wide. Per-CPU statistics are
 * folded lazily: compare with a tolerance.
 */
int hct_cg_shmem_removed(const struct hct_cg *cg, const char *rel, uint64_t *bytes);
/* memory.usage_in_bytes (v1) / memory.current (v2): hierarchical. */
int hct_cg_usage(const struct hct_cg *cg, const char *rel, uint64_t *bytes);
/* memory.limit_in_bytes (v1) / memory.max (v2). */
int hct_cg_set_limit(const struct hct_cg *cg, const char *rel, uint64_t bytes);
/*
 * Keep rel's pages out of swap, so that over its limit it OOMs rather than
 * swaps: nothing to do without swap; v2 memory.swap.max = 0; v1
 * memory.memsw.limit_in_bytes = limit (-ENOENT without swap accounting).
 */
int hct_cg_no_swap(const struct hct_cg *cg, const char *rel, uint64_t limit);
/*
 * Make rel's subtree give back what it holds but could let go: the per-CPU
 * charge caches (which can keep a removed cgroup dying for many seconds
 * when another drain holds the kernel's drain lock) and reclaimable pages.
 * What only an unmount frees stays: tmpfs pages without swap.
 * v1: memory.force_empty; v2: memory.high to 0, then back to max.
 */
int hct_cg_drain(const struct hct_cg *cg, const char *rel);
/* oom_kill of memory.oom_control (v1) / memory.events (v2): the file, its count. */
const char *hct_cg_oom_file(const struct hct_cg *cg);
int hct_cg_oom_kills(const struct hct_cg *cg, const char *rel, uint64_t *count);

/*
 * Memory cgroups removed but not yet freed ("dying").
 *  v2: nr_dying_descendants of rel's cgroup.stat, the subtree's own count.
 *  v1: no per-subtree count exists; num_cgroups of the memory line of
 *      /proc/cgroups counts live and dying cgroups of the whole hierarchy,
 *      so live directories are subtracted (read until two reads agree) to
 *      keep other users' mkdir/rmdir out of the figure.
 */
int hct_cg_dying(const struct hct_cg *cg, const char *rel, uint64_t *count);
/*
 * hct_cg_dying once it held still for stable_ms (at most timeout_ms): a
 * cgroup removed just before (a previous test's) is freed within some
 * 100 ms and would otherwise move the baseline under the test's feet.
 */
int hct_cg_dying_stable(const struct hct_cg *cg, const char *rel, uint64_t *count, long stable_ms,
			long timeout_ms);
/* num_cgroups of the memory line of /proc/cgroups. */
int hct_proc_cgroups_num(const char *controller, uint64_t *count);

/* -------------------------------------------------------------- sandbox */

/*
 * What one test builds and must take down again: a private mount namespace,
 * a scratch directory under /tmp with a tmpfs on it, a cgroup parent
 * HCT_PREFIX-<pid> under the memory hierarchy's root with its leaves, and
 * the child processes it started. hct_sandbox_fini undoes exactly what was
 * done, in the order that leaves no dying cgroup: processes, mount, leaves,
 * parent, directory.
 */
#define HCT_MAX_LEAVES 4
#define HCT_MAX_PIDS   8
#define HCT_SKIP       1

struct hct_sandbox {
	char dir[PATH_MAX]; /* the scratch mount point, "" when none was made */
	bool mounted;
	struct hct_cg cg; /* version HCT_CG_NONE when no cgroup was asked for */
	char parent[64];  /* relative to cg.root, "" when not made */
	char leaves[HCT_MAX_LEAVES][128];
	int nleaves;
	pid_t pids[HCT_MAX_PIDS];
	int npids;
};

/*
 * 0 when ready; HCT_SKIP with why when the test cannot run here (not root,
 * no memory cgroup...); -errno with why on a real failure. Whatever was made
 * before a failure is recorded, so hct_sandbox_fini takes it down.
 */
int hct_sandbox_init(struct hct_sandbox *sb, const char *what, bool memcg, char *why,
		     size_t whylen);
int hct_sandbox_mount(struct hct_sandbox *sb, unsigned long flags, const char *data);
int hct_sandbox_umount(struct hct_sandbox *sb);
/* dir/name into path (PATH_MAX). */
void hct_sandbox_file(const struct hct_sandbox *sb, const char *name, char *path);
/* Make leaf parent/name, with a memory limit when limit != 0; *rel names it. */
int hct_sandbox_leaf(struct hct_sandbox *sb, const char *name, uint64_t limit, const char **rel);
/* hct_spawn, remembered so that teardown kills and reaps what is left. */
pid_t hct_sandbox_spawn(struct hct_sandbox *sb, const char *rel,
			int (*fn)(void *arg, struct hct_child_report *r), void *arg,
			struct hct_child_report *report);
/* hct_wait, then forgotten by teardown. */
int hct_sandbox_wait(struct hct_sandbox *sb, pid_t pid, int *wstatus, long timeout_ms);
/* Undo; 0, or -1 after printing "# teardown: ..." for each thing left. */
int hct_sandbox_fini(struct hct_sandbox *sb);
/*
 * What a test process pid left when it was killed before its teardown ran
 * (a harness timeout): its mount namespace died with it, so only empty
 * directories remain, /tmp/HCT_PREFIX-<pid>-* and the cgroup HCT_PREFIX-<pid>
 * with its leaves. Removed with rmdir, never recursively; anything not
 * empty stays and is reported. Returns how many were removed.
 */
int hct_reap(pid_t pid);

#endif /* HCTEST_H */
