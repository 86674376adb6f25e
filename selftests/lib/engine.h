/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The suite's side of the engine driver protocol (selftests/engines/README.md):
 * run the driver of the engine under test, collect its exit status and
 * output. The channel tests reach an engine only through here.
 */
#ifndef HCT_ENGINE_H
#define HCT_ENGINE_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define HCT_OUT_MAX 16384

struct hct_out {
	int status;	       /* exit status; 128+N after signal N; -errno when not run */
	char out[HCT_OUT_MAX]; /* stdout, NUL-terminated, cut at HCT_OUT_MAX-1 */
	char err[HCT_OUT_MAX]; /* stderr, likewise */
};

/*
 * The driver: $HCT_ENGINE when set (a path, or a name looked up in the
 * engines directory), else "ref"; the engines directory is $HCT_ENGINES_DIR,
 * else selftests/engines of the tree this program was built in. NULL with
 * why filled when it cannot be found (a SKIP reason).
 */
const char *hct_engine_driver(char *why, size_t whylen);
/* The driver's name, for messages ("ref", "runc", ...). */
const char *hct_engine_name(void);

/*
 * A path of the build or the installed tree this program belongs to: $env
 * when set; else, in an installed tree (kselftest-list.txt one level above
 * the program's directory), installed in that tree; else leaf in the
 * directory up levels above the program (/proc/self/exe), up >= 2.
 */
int hct_built_path(const char *env, int up, const char *leaf, const char *installed, char *path,
		   size_t len);

/*
 * Run DRIVER argv[0] argv[1] ... (NULL-terminated), stdin from /dev/null
 * unless input != NULL (then written to its stdin), with a bound of
 * timeout_ms (killed past it: status -ETIMEDOUT). Returns o->status.
 */
int hct_enginev(struct hct_out *o, const char *input, long timeout_ms, char *const argv[]);
/* Same, arguments as a NULL-terminated list. */
int hct_engine(struct hct_out *o, const char *verb, ...) __attribute__((sentinel));
/*
 * Append the NULL-terminated char * arguments of ap to argv from index n,
 * up to index max, then NULL (argv has max + 1 entries); the new count.
 */
int hct_args(char *argv[], int n, int max, va_list ap);

/* A unique container name for this test: hct-<pid>-<what>. */
void hct_engine_container_name(char *buf, size_t len, const char *what);

/* The driver's "cgroup NAME": the memory cgroup directory, into path. */
int hct_engine_cgroup(const char *name, char *path, size_t len);
/* The driver's "pid NAME". */
pid_t hct_engine_pid(const char *name);
/* A key of the driver's "info" ("probe", "defaults", ...); "" when absent. */
int hct_engine_info(const char *key, char *val, size_t len);

/* Delete the container, quietly, whatever state it is in (teardown). */
void hct_engine_cleanup(const char *name);

#endif /* HCT_ENGINE_H */
