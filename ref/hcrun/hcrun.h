/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * hcrun internals: the small system-container runtime built on
 * libhostchannel. Two halves meet here:
 *  - the container process (container.c, caps.c, tty.c): namespaces, rootfs,
 *    channels attached, capabilities, user, exec;
 *  - the CLI (main.c, cmd_*.c, the lifecycle core lifecycle*.c and what it
 *    stands on: state.c, proc.c, checks.c): state under /run/hcrun, channel
 *    lifecycle on the host, memory cgroup, exit codes.
 * The declarations are grouped by the file that defines them.
 */
#ifndef HCRUN_H
#define HCRUN_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "hostchannel.h"

struct json_object; /* json-c's: views.c and the OCI kit */

/* Exit codes, as docker and isula use them. */
#define HCRUN_EXIT_ERROR     125 /* hcrun's own failure: bad option, refused host path */
#define HCRUN_EXIT_CANNOT    126 /* command found but cannot be invoked */
#define HCRUN_EXIT_NOT_FOUND 127 /* command not found */

#define HCRUN_NAME_MAX 64

struct hcrun_channel {
	struct hc_spec spec;
	struct hc_host host; /* filled by hc_host_prepare at create */
	bool mounted;	     /* as last recorded */
};

/* Everything the container process needs; persisted in the state file. */
struct hcrun_config {
	char name[HCRUN_NAME_MAX + 1];
	char rootfs[PATH_MAX]; /* absolute, resolved */
	char **argv;	       /* NULL-terminated, owned */
	int argc;
	bool user_set;
	uid_t uid;
	gid_t gid;
	uint64_t caps;	  /* bit n = capability n kept (CAP_LAST_CAP <= 63) */
	bool net_host;	  /* --net host: stay in the host's network namespace */
	bool tty;	  /* -t */
	bool interactive; /* -i */
	uint64_t memory;  /* --memory in bytes, 0 = unlimited */
	bool memory_add_channel;
	size_t nchannels;
	struct hcrun_channel *channels; /* owned */
};

/* A process started in the container: its init, or one started by exec. */
struct hcrun_proc {
	pid_t pid;	/* in hcrun's pid namespace */
	int sync_fd;	/* hcrun's end of the setup socket, -1 once released */
	int pty_master; /* -1 without -t */
};

/*
 * A running process held so that its pid cannot name another one: a pidfd
 * (-1 where the kernel or valgrind has none) and its /proc/<pid> directory,
 * both proved to be the process recorded (hcrun_proc_pin, state.c).
 */
struct hcrun_pin {
	pid_t pid;
	int pidfd;
	int procfd; /* O_PATH: lookups below it fail once the process is gone */
};

/* ------------------------------------------------------------ caps.c */

/* docker's default set: CHOWN DAC_OVERRIDE FSETID FOWNER MKNOD NET_RAW SETGID
 * SETUID SETFCAP SETPCAP NET_BIND_SERVICE SYS_CHROOT KILL AUDIT_WRITE */
uint64_t hcrun_caps_default(void);
uint64_t hcrun_caps_all(void);
/* "SYS_ADMIN", "cap_sys_admin", "ALL" (case-insensitive) -> mask. */
int hcrun_caps_parse(const char *name, uint64_t *mask, hc_error_t **err);
/* Names of the set bits, "CAP_CHOWN,CAP_KILL,..." into buf. */
int hcrun_caps_format(uint64_t caps, char *buf, size_t len);
/* In the container process, before exec: bounding set, then the
 * permitted/effective/inheritable sets (ambient too for a non-root user is
 * not given: as docker, a non-root user runs without effective caps). */
int hcrun_caps_apply(uint64_t caps, hc_error_t **err);
/* The bounding set alone (needs CAP_SETPCAP): done before a switch to a
 * non-root user, which clears the other sets but would also lose the right
 * to narrow the bounding set. */
int hcrun_caps_bound(uint64_t caps, hc_error_t **err);

/* ------------------------------------------------------- container.c */

/*
 * Start the container's init: clone with new mount, pid, uts, ipc (and net
 * unless net_host) namespaces. The child stops at once and waits on the
 * setup socket, so that the caller can put it into the memory cgroup; on
 * hcrun_container_release() it makes its mounts (rootfs, /proc, /dev,
 * /dev/shm, the channels through hc_attach), pivots into the rootfs, brings
 * up lo, drops capabilities, switches user and execs cfg->argv.
 * stdio: with cfg->tty a new pty (proc->pty_master is hcrun's end); without
 * it the child keeps fds 0, 1, 2 of the caller (set them up before).
 * The pty is made in the container's own devpts, so proc->pty_master is -1
 * until hcrun_container_release() has succeeded (same for exec).
 */
int hcrun_container_spawn(const struct hcrun_config *cfg, struct hcrun_proc *proc,
			  hc_error_t **err);

/*
 * Let the process go on, and wait until it has exec'd. On failure the
 * child's message comes back in *err and *exit_code is the exit code hcrun
 * should use (127 not found, 126 cannot invoke, 125 otherwise); the child
 * has exited (the caller still reaps it).
 */
int hcrun_container_release(struct hcrun_proc *proc, int *exit_code, hc_error_t **err);

/*
 * exec: a new process in the running container whose init is pinned by
 * init (its pidfd and /proc directory; the caller keeps and closes them):
 * joins its memory cgroup (cgroup_procs = path of cgroup.procs, may be
 * NULL), its namespaces and root, drops to cfg->caps, switches to uid/gid
 * when user_set, execs argv. Same release protocol as the init.
 */
int hcrun_exec_spawn(const struct hcrun_config *cfg, const struct hcrun_pin *init,
		     const char *cgroup_procs, char *const argv[], bool user_set, uid_t uid,
		     gid_t gid, bool tty, struct hcrun_proc *proc, hc_error_t **err);

/* ------------------------------------------------------------- tty.c */

/*
 * Copy between our stdin/stdout and the pty master until the process pid
 * exits (the master gives EIO/HUP); puts our terminal in raw mode meanwhile
 * when stdin is a terminal, and passes window size changes on.
 */
int hcrun_tty_relay(int pty_master, bool forward_stdin, hc_error_t **err);

/* ===================================================================
 * The CLI half. Everything below belongs to it; the container-process half
 * above does not use it. Calls go down this list, never up nor across a
 * line, so no verb calls another:
 *   main.c
 *   cmd_*.c                   one per verb: usage, options, a call into the
 *                             core
 *   create_opts.c, gc.c, views.c   (create/run's options, repair, what list
 *                             and inspect show)
 *   oci_gc.c                  repair for the kit, the hook and the shim
 *   lxc.c                     LXC's config lines and hooks, on the kit
 *   runtime.c                 hostchannel-runtime, the runc shim
 *   oci_hook.c, oci_kit.c, oci.c   the OCI kit, in that order
 *   lifecycle_start.c         start, run, exec
 *   lifecycle.c               create, stop, delete
 *   proc.c, checks.c, state.c, then report.c, fault.c
 * and the container half (container.c, tty.c, caps.c) below them.
 * ================================================================ */

/* ----------------------------------------------------------- report.c */

/* The one place that prints an error: "hcrun: <message>" on stderr. Frees
 * *err. Commands that go on after a failure (delete A B) call it. */
void hcrun_report(hc_error_t **err);
/* Turn getopt_long's '?' or ':' (optstring starts with "+:") into an error
 * that names the option; returns -1. */
int hcrun_opt_error(const char *cmd, int c, char *const argv[], hc_error_t **err);
/*
 * getopt_long for a verb (optstring starts with "+:", 'h' is --help): the
 * next option's character; HCRUN_OPT_END after the last option (optind is
 * the first operand); HCRUN_OPT_HELP once usage is printed on stdout;
 * HCRUN_OPT_BAD with *err naming the option (cmd words the message).
 */
enum { HCRUN_OPT_END = 0, HCRUN_OPT_HELP = -2, HCRUN_OPT_BAD = -1 };
struct option;
int hcrun_getopt(int argc, char *argv[], const char *cmd, const char *optstring,
		 const struct option *longopts, const char *usage, hc_error_t **err);

/* ------------------------------------------------------------ state.c */

#define HCRUN_DEFAULT_ROOT  "/run/hcrun"
#define HCRUN_TAG_PREFIX    "hostchannel-" /* tmpfs source name: prefix + container name */
#define HCRUN_CGROUP_PARENT "hcrun"	   /* see hcrun_cgroup_parent() */
#define HCRUN_STATE_FILE    "state.json"
#define HCRUN_STATE_TMP	    "state.json.tmp"
#define HCRUN_LOCK_FILE	    "lock"
#define HCRUN_CONSOLE_FILE  "console.log"
#define HCRUN_TIMESTAMP_LEN 40

enum hcrun_status {
	HCRUN_CREATING = 0, /* create is preparing the channels */
	HCRUN_CREATED,
	HCRUN_RUNNING,
	HCRUN_STOPPED,
};

/* What /run/hcrun/<name>/state.json holds. */
struct hcrun_state {
	struct hcrun_config cfg;
	enum hcrun_status status;
	bool auto_remove;   /* --rm: the monitor deletes after the exit */
	pid_t pid;	    /* the container's init, 0 when none */
	uint64_t pid_start; /* its start time (field 22 of /proc/<pid>/stat) */
	pid_t monitor_pid;  /* who waits for it and records the exit */
	uint64_t monitor_start;
	int exit_code;			   /* -1: none yet, or unknown */
	char created[HCRUN_TIMESTAMP_LEN]; /* RFC 3339, UTC; "" when not yet */
	char started[HCRUN_TIMESTAMP_LEN];
	char finished[HCRUN_TIMESTAMP_LEN];
	struct hc_memcg cgroup; /* version HC_CGROUP_NONE until start made it */
};

/* The state root: --root, else $HCRUN_ROOT, else HCRUN_DEFAULT_ROOT. */
void hcrun_set_root(const char *root);
const char *hcrun_root(void);
/*
 * The parent of this state root's memory cgroups, under the memory
 * hierarchy's root: "hcrun" for HCRUN_DEFAULT_ROOT, "hcrun.<16 hex
 * digits>" (FNV-1a of the root's path) for any other, so that two roots
 * never share a container's cgroup, nor sweep each other's in gc.
 */
const char *hcrun_cgroup_parent(void);

/* [A-Za-z0-9][A-Za-z0-9_.-]{0,63} */
int hcrun_name_check(const char *name, hc_error_t **err);
/* <root>/<name>[/<file>] into buf (file may be NULL). */
int hcrun_state_path(const char *name, const char *file, char *buf, size_t len, hc_error_t **err);
/* "hostchannel-<name>": the tmpfs source name of the container's channels. */
int hcrun_channel_tag(const char *name, char *buf, size_t len);

/* Claim the name: make the state directory (an existing one is a duplicate
 * name, errnum EEXIST) and its lock file, and take the lock. */
int hcrun_state_claim(const char *name, int *lock_fd, hc_error_t **err);
/* Take the container's lock (flock, exclusive, waits). errnum ENOENT when
 * there is no such container, or it was deleted while we waited. */
int hcrun_state_lock(const char *name, int *lock_fd, hc_error_t **err);
void hcrun_state_unlock(int *lock_fd);

/* Read state.json; errnum ENOENT when there is no such container. */
int hcrun_state_load(const char *name, struct hcrun_state *st, hc_error_t **err);
/* Write state.json atomically (temp file, fsync, rename, fsync the dir).
 * The caller holds the lock. */
int hcrun_state_save(const struct hcrun_state *st, hc_error_t **err);
/* Remove the state dir: the files hcrun names, by name, then rmdir. */
int hcrun_state_remove(const char *name, hc_error_t **err);
/* Names of the directories in the state root (none when it is missing). */
int hcrun_state_names(char ***names, size_t *count, hc_error_t **err);
void hcrun_names_free(char **names, size_t count);

void hcrun_config_clear(struct hcrun_config *cfg); /* frees argv, channels */
void hcrun_state_clear(struct hcrun_state *st);
const char *hcrun_status_name(enum hcrun_status status);
void hcrun_timestamp(char *buf, size_t len);

/*
 * The view of the mount table that the channel calls of this command share
 * (struct hc_mounts): on a kernel that cannot tell a mount's source, the
 * table is read once for all of them, not once per channel. NULL when it
 * cannot be made: each call then reads for itself. hcrun_mounts_forget()
 * drops it; a process that waited (a monitor, for a container's whole life)
 * calls it before its next channel call, as the view must not outlive the
 * mount IDs it knows (before Linux 6.8 the kernel reuses them).
 */
struct hc_mounts *hcrun_mounts(void);
void hcrun_mounts_forget(void);

/* Start time of a process (a zombie too); -1 when it is gone. */
int hcrun_proc_start_time(pid_t pid, uint64_t *start);
/* Is pid alive (not a zombie) and still the process that started at start?
 * A start of 0 (not recorded) is never. */
bool hcrun_proc_alive(pid_t pid, uint64_t start);
/*
 * Hold the process (pid, start) before acting on it (exec enters it): a
 * pidfd opened on pid, then its /proc/<pid>, then the start time read there
 * must be start. HCRUN_PIN_OK with *pin holding both (hcrun_pin_release
 * closes them); GONE: no such process, or a zombie; REUSED: the pid belongs
 * to a process that started at another time; UNKNOWN: start is 0 (never
 * recorded); nothing held then. -1 with *err when it cannot be looked at.
 */
enum { HCRUN_PIN_OK = 0, HCRUN_PIN_GONE, HCRUN_PIN_REUSED, HCRUN_PIN_UNKNOWN };
int hcrun_proc_pin(pid_t pid, uint64_t start, struct hcrun_pin *pin, hc_error_t **err);
void hcrun_pin_release(struct hcrun_pin *pin);
/* The status as it is now: "running" whose process is gone reads "stopped". */
enum hcrun_status hcrun_state_live_status(const struct hcrun_state *st);
/* Is the recorded monitor still alive? */
bool hcrun_state_monitor_alive(const struct hcrun_state *st);

/* ------------------------------------------------------------- proc.c */

/* Make fd 0 /dev/null until hcrun_stdin_restore(saved): the container
 * inherits our fds 0-2 and must not read our stdin without -i. */
int hcrun_stdin_null(int *saved, hc_error_t **err);
void hcrun_stdin_restore(int *saved);
/* Wait for a released process: forward SIGINT/TERM/HUP/QUIT to it, relay
 * its pty when it has one; *status = exit code or 128 + signal. */
int hcrun_proc_wait(struct hcrun_proc *proc, bool forward_stdin, int *status, hc_error_t **err);
/* Kill and reap a process whose start failed; close our fds of it. */
void hcrun_proc_abort(struct hcrun_proc *proc);
/*
 * Block SIGINT/TERM/HUP/QUIT while hcrun sets a container up (create, mount,
 * cgroup, spawn): dying half way would leave a container nobody deletes, not
 * even run --rm. hcrun_proc_wait() lets them through to the container once
 * it runs. Restore drops those that came while blocked; a restore nested in
 * another block (run's, around create and start) leaves them pending.
 */
void hcrun_signals_block(sigset_t *saved);
void hcrun_signals_restore(const sigset_t *saved);

/* ----------------------------------------------------------- checks.c */

/* --user UID[:GID], numbers only; GID defaults to 0, as docker's without a
 * passwd entry. */
int hcrun_user_parse(const char *text, uid_t *uid, gid_t *gid, hc_error_t **err);
/* Is inner strictly below outer ("/a/b" within "/a", not "/ab" nor "/a")?
 * Both clean, absolute paths. */
bool hcrun_path_within(const char *inner, const char *outer);
/* Shared by create and the OCI kit: two channels that would share or nest a
 * host or container path; a host path that already exists. */
int hcrun_channels_conflict(const struct hc_spec *a, const struct hc_spec *b, hc_error_t **err);
int hcrun_host_path_absent(const struct hc_spec *a, hc_error_t **err);
/* Once prepared: does channel i's real path share or nest with those of the
 * channels before it (a symlinked parent the spelled paths hide)? */
int hcrun_real_paths_conflict(const struct hcrun_channel *chans, size_t i, hc_error_t **err);

/* ----------------------------------------------------------- policy.c */

/*
 * The host policy: what specs from input that is not the administrator's
 * (an annotation, a container's environment: whoever starts a container
 * writes them) may ask of the host. The hook and the shim always apply
 * one; hcrun create/run, hcrun oci prepare only with --policy FILE.
 * docs/policy.md is the reference of the file's format.
 */
#define HCRUN_POLICY_DEFAULT "/etc/hostchannel/policy.conf"
#define HCRUN_POLICY_ENV     "HOSTCHANNEL_POLICY" /* the engine's environment, never the container's */
#define HCRUN_POLICY_NONE    UINT64_MAX		  /* a limit of "none" */

enum hcrun_policy_key {
	HCRUN_POLICY_ALLOW_PREFIX = 0,
	HCRUN_POLICY_CREATE_PARENTS,
	HCRUN_POLICY_MAX_SIZE,
	HCRUN_POLICY_MAX_TOTAL,
	HCRUN_POLICY_MAX_CHANNELS,
	HCRUN_POLICY_ALLOW_RW,
	HCRUN_POLICY_ALLOW_PROPAGATION,
	HCRUN_POLICY_ENV_SPECS,
	HCRUN_POLICY_NKEYS,
};

struct hcrun_policy_prefix {
	char path[PATH_MAX]; /* absolute, cleaned as given ("/" allows everything) */
	unsigned int line;   /* 0: the built-in default */
};

struct hcrun_policy {
	char file[PATH_MAX];		      /* the file read, or the one that was absent */
	bool from_file;			      /* false: the built-in defaults (file absent) */
	struct hcrun_policy_prefix *prefixes; /* owned */
	size_t nprefixes;
	bool create_parents;
	uint64_t max_size;     /* bytes per channel, or HCRUN_POLICY_NONE */
	uint64_t max_total;    /* bytes per container, or HCRUN_POLICY_NONE */
	uint64_t max_channels; /* per container, or HCRUN_POLICY_NONE */
	bool allow_rw;
	unsigned int propagation; /* bit (1 << enum hc_propagation) per word allowed */
	bool env_specs;
	unsigned int line[HCRUN_POLICY_NKEYS]; /* where each key was set; 0: default */
};

/* The policy file at path (it must exist), keys it does not set at their
 * built-in defaults. A malformed file is refused with its line number. */
int hcrun_policy_load(const char *path, struct hcrun_policy *p, hc_error_t **err);
/*
 * For the hook and the shim: the file given (an option of the admin's), else
 * $HOSTCHANNEL_POLICY, else HCRUN_POLICY_DEFAULT, which alone may be absent
 * (then the built-in defaults: docs/policy.md says which and why).
 */
int hcrun_policy_load_default(const char *given, struct hcrun_policy *p, hc_error_t **err);
void hcrun_policy_clear(struct hcrun_policy *p);
/* The policy as a policy file that says the same (hcrun oci policy). */
void hcrun_policy_print(const struct hcrun_policy *p, FILE *out);
/* The key's name ("allow-prefix"), for messages. */
const char *hcrun_policy_key_name(enum hcrun_policy_key key);

/*
 * Every spec of one container, before anything is made: how many, each
 * one's host path (resolved as prepare will resolve it: the real path of
 * its deepest existing ancestor, the missing part appended), the parents it
 * would create, its size, rw, its propagation, and the sum of the sizes.
 * A refusal names the rule (the key), the file (or the built-in default)
 * and the spec's field. Touches nothing.
 */
int hcrun_policy_check_specs(const struct hcrun_policy *p, const struct hc_spec *const specs[],
			     size_t nspecs, hc_error_t **err);
/* Only the count: before the specs are even parsed. */
int hcrun_policy_check_count(const struct hcrun_policy *p, size_t nspecs, hc_error_t **err);
/*
 * The same path rules again, on what prepare is about to make: called from
 * hc_host_prepare_journal's journal before each directory is made, with
 * host->real_path (what prepare resolved, and will walk with O_NOFOLLOW)
 * and host->pending (the directory it makes next). Closes the window
 * between the gate's check and prepare, in which a symlink could be planted
 * in a parent: what is checked here is what gets made. A no-op for any
 * other journal step.
 */
int hcrun_policy_check_host(const struct hcrun_policy *p, const struct hc_host *host,
			    hc_error_t **err);
/* The rule env-specs: may a container's environment variable (name) ask? */
int hcrun_policy_check_env(const struct hcrun_policy *p, const char *name, hc_error_t **err);

/* ------------------------------------------------------ create_opts.c */

struct hcrun_create_opts {
	struct hcrun_config cfg;
	bool name_given;
	bool detach; /* run only */
	bool rm;
	/* --policy FILE: the host policy the channels are checked against,
	 * by the parser and again by create's prepare (policy.c). */
	bool policy_set;
	struct hcrun_policy policy;
};

/* Parse create/run options (argv[0] is the verb). Returns 0, 1 when --help
 * was printed, -1 on a bad option. Validates everything; touches nothing.
 * hcrun_create_opts_clear frees what it holds, whatever it returned. */
int hcrun_create_parse(int argc, char *argv[], bool run, struct hcrun_create_opts *o,
		       hc_error_t **err);
void hcrun_create_opts_clear(struct hcrun_create_opts *o);

/* --------------------------------------------------------- lifecycle.c */

/* Make the state and prepare the channels; leaves nothing behind on error.
 * SIGINT/TERM/HUP/QUIT wait meanwhile (hcrun_signals_block). */
int hcrun_create(struct hcrun_create_opts *o, hc_error_t **err);
/* SIGTERM, then SIGKILL after timeout seconds; waits for the exit to be
 * recorded. Nothing to do when it is not running. */
int hcrun_stop(const char *name, unsigned int timeout, hc_error_t **err);
/* Delete a container; force: stop it with SIGKILL first. */
int hcrun_delete(const char *name, bool force, hc_error_t **err);
/* Tear down what st holds (channels, cgroup, state dir). The caller holds the
 * lock and st is not running; the lock file is gone once this succeeds. */
int hcrun_delete_locked(struct hcrun_state *st, hc_error_t **err);

/* --------------------------------------------------- lifecycle_start.c */

struct hcrun_start_opts {
	bool detach; /* a monitor child waits; the caller returns once started */
	bool rm;     /* delete after the exit, or after a failed start */
};

/*
 * Mount the channels, set up the memory cgroup, start the container's init
 * and wait for it (foreground) or leave a monitor to wait (detach). Returns
 * the exit status to use: the container's (foreground), 0 once started
 * (detach), or 125/126/127 with *err set.
 */
int hcrun_start(const char *name, const struct hcrun_start_opts *opts, hc_error_t **err);
/* create, then start (o->detach, o->rm), with no gap between them for a
 * signal to kill hcrun in. Returns as hcrun_start, 125 when create fails. */
int hcrun_run(struct hcrun_create_opts *o, hc_error_t **err);

struct hcrun_exec_opts {
	bool interactive; /* pass stdin (otherwise /dev/null) */
	bool tty;
	bool user_set; /* uid, gid given; else the container's */
	uid_t uid;
	gid_t gid;
	char *const *argv; /* the command, NULL-terminated */
};

/* Run opts->argv in the running container name and wait for it. Returns its
 * exit status, or 125/126/127 with *err set. */
int hcrun_exec(const char *name, const struct hcrun_exec_opts *opts, hc_error_t **err);

/* --------------------------------------------------------------- gc.c */

/* Repair what crashes left under the state root, one line on stdout per
 * action, errors reported as they come. true when all is consistent. */
bool hcrun_gc(void);

/* ------------------------------------------------------------ views.c */

/*
 * The containers of the state root in name order, each with its live status
 * in status: all, or the running ones only. One whose state cannot be read
 * is reported (hcrun_report) and left out: returns 1 then, 0 when all were
 * read, -1 with *err when the root cannot be listed. hcrun_list_free frees.
 */
int hcrun_list(bool all, struct hcrun_state **states, size_t *count, hc_error_t **err);
void hcrun_list_free(struct hcrun_state *states, size_t count);
/* The container as inspect prints it: status, memory figures and each
 * channel's mount read live. json_object_put frees *out. */
int hcrun_inspect(const char *name, struct json_object **out, hc_error_t **err);

/* ------------------------------------------------------------ cmd_*.c */

/* One per verb: its usage, its options, one call into the core. */
int hcrun_cmd_create(int argc, char *argv[], hc_error_t **err);
int hcrun_cmd_start(int argc, char *argv[], hc_error_t **err);
int hcrun_cmd_run(int argc, char *argv[], hc_error_t **err);
int hcrun_cmd_exec(int argc, char *argv[], hc_error_t **err);
int hcrun_cmd_stop(int argc, char *argv[], hc_error_t **err);
int hcrun_cmd_delete(int argc, char *argv[], hc_error_t **err);
int hcrun_cmd_list(int argc, char *argv[], hc_error_t **err);
int hcrun_cmd_inspect(int argc, char *argv[], hc_error_t **err);
int hcrun_cmd_gc(int argc, char *argv[], hc_error_t **err);

/* ------------------------------------------------------------ fault.c */

/*
 * A crash fault point of verb (create, start, stop, delete): with
 * HCRUN_FAULT=<verb>:<k>, the k-th point passed SIGKILLs hcrun; what names
 * the point in HCRUN_FAULT_LOG. A no-op without HCRUN_FAULT.
 */
void hcrun_fault(const char *verb, const char *what);
/*
 * The verb of this command for the points of code that several commands
 * share (the OCI kit): oci-prepare, oci-teardown, hook-precreate,
 * hook-poststop, runtime-create, runtime-delete. hcrun_fault_at(what) is
 * hcrun_fault(that verb, what), and nothing before a verb is named.
 */
void hcrun_fault_verb(const char *verb);
void hcrun_fault_at(const char *what);

/* ===================================================================
 * The OCI integration kit: host channels for engines that have no
 * --host-channel (runc, podman, CRI-O), through their bundle's config.json
 * or an OCI hook. ref/hook/README.md documents it. Every way in walks
 * hcrun_oci_kit_add_specs (the gate), then hcrun_oci_kit_attach; and
 * hcrun_oci_release to undo. Calls go down: cmd_oci.c -> oci_hook.c ->
 * oci_kit.c -> oci.c.
 * ================================================================ */

#define HCRUN_OCI_STATE_FILE "hostchannel.json" /* in the bundle */
#define HCRUN_OCI_TAG_PREFIX "hostchannel-oci-"
#define HCRUN_OCI_HOOK_DIR   "/run/hostchannel-hook" /* the hook's states */
#define HCRUN_OCI_ANN_SPEC   "org.hostchannel.spec"  /* the hook's input: SPEC[;SPEC...] */
#define HCRUN_OCI_ANN_MEMORY "org.hostchannel.memory-add-channel" /* "true" */
#define HCRUN_OCI_ANN_STATE  "org.hostchannel.state" /* set by prepare: its state file */
#define HCRUN_OCI_ID_MAX     64

struct hcrun_oci_channel {
	struct hc_spec spec;
	struct hc_host host; /* real_path "" until prepare made it */
};

/*
 * Where a record's operation stands, so that hcrun oci gc knows what a
 * record whose writer died asks for. A live operation holds the record's
 * lock (flock) from its first write to its last: gc acts only on a record
 * it can lock, and then by its phase.
 */
enum hcrun_oci_phase {
	HCRUN_OCI_PREPARED = 0, /* complete: a live container's (a record of old too) */
	HCRUN_OCI_PREPARING,	/* the host side and the config being made: roll back */
	HCRUN_OCI_RUNTIME,	/* the shim's real runtime create under way (owner) */
	HCRUN_OCI_RELEASING,	/* being torn down: finish */
};

struct hcrun_oci_kit {
	char state_path[PATH_MAX];
	char tag[HCRUN_OCI_ID_MAX + sizeof(HCRUN_OCI_TAG_PREFIX)];
	bool keep;    /* the next teardown is a restart's: leave the channels */
	bool checked; /* set by the gate alone: attach makes nothing without it */
	/* The gate's policy (borrowed), checked again by prepare; NULL: the
	 * specs are the administrator's. */
	const struct hcrun_policy *policy;
	size_t nchannels;
	struct hcrun_oci_channel *channels; /* owned */
	enum hcrun_oci_phase phase;
	/* HCRUN_OCI_RUNTIME: the shim that runs the runtime's create, which
	 * holds no lock meanwhile (the runtime's poststop hook takes it). */
	pid_t owner;
	uint64_t owner_start;
	/* The shim's records: the real runtime, its --root ("" its default)
	 * and the container id, for gc to ask the runtime "state ID". */
	char runtime[PATH_MAX];
	char runtime_root[PATH_MAX];
	char runtime_id[256];
	bool locked; /* lock_fd holds the record's flock */
	int lock_fd;
};

/* -------------------------------------------------------------- oci.c */

void hcrun_oci_kit_clear(struct hcrun_oci_kit *kit);
void hcrun_oci_put(struct json_object **obj); /* cleanup helper */
/* 12 random hex digits: a tag for a kit given no --id. */
int hcrun_oci_random_id(char *buf, size_t len, hc_error_t **err);
/* A JSON object from text, an fd (bounded) or a file (not a symlink); what
 * names the input in the messages. */
int hcrun_oci_json_parse(const char *text, size_t len, const char *what, struct json_object **out,
			 hc_error_t **err);
int hcrun_oci_json_read_fd(int fd, const char *what, struct json_object **out, hc_error_t **err);
int hcrun_oci_json_load(const char *path, struct json_object **out, hc_error_t **err);
/* Replace path atomically (mode for a new file); a reader sees the old or
 * the new file, whole. */
int hcrun_oci_json_save(const char *path, struct json_object *obj, mode_t mode, hc_error_t **err);
/* The state file at kit->state_path: what was made, and the keep mark. */
/*
 * Write the state file. A locked kit (hcrun_oci_state_create,
 * hcrun_oci_state_lock) keeps its lock across the write: the new file is
 * locked before it takes the record's name. hcrun_oci_state_create writes
 * the first one, locked; EEXIST when a record is there.
 */
int hcrun_oci_state_save(struct hcrun_oci_kit *kit, hc_error_t **err);
int hcrun_oci_state_create(struct hcrun_oci_kit *kit, hc_error_t **err);
/* Read one back into kit (hcrun_oci_kit_clear frees it, on error too);
 * never through a symlink, never anything but a regular file. */
int hcrun_oci_state_load(const char *path, struct hcrun_oci_kit *kit, hc_error_t **err);
/* The same, holding the record's lock (waiting for it, or EWOULDBLOCK
 * when wait is false and an operation holds it); ENOENT: no record. */
int hcrun_oci_state_lock(const char *path, struct hcrun_oci_kit *kit, bool wait, hc_error_t **err);
/* Remove the record of a locked kit, then let go of the lock. */
int hcrun_oci_state_remove(struct hcrun_oci_kit *kit, hc_error_t **err);
/* Let go of the lock (the record stays); hcrun_oci_kit_clear does too. */
void hcrun_oci_state_unlock(struct hcrun_oci_kit *kit);
const char *hcrun_oci_phase_name(enum hcrun_oci_phase phase);
/* Add the binds, raise the memory limit (memory_add), the annotation
 * HCRUN_OCI_ANN_STATE and, when poststop != NULL, that poststop hook. */
int hcrun_oci_config_edit(struct json_object *config, const struct hcrun_oci_kit *kit,
			  bool memory_add, char *const poststop[], const char *state_annotation,
			  hc_error_t **err);
/* obj's annotation key when it is a string, else NULL. */
const char *hcrun_oci_annotation(struct json_object *obj, const char *key);
/* The same, for input whoever creates the container wrote: *val NULL when
 * it is absent; an error when "annotations" is not an object or the value
 * not a string, or holds a NUL. */
int hcrun_oci_annotation_get(struct json_object *obj, const char *key, const char **val,
			     hc_error_t **err);
/* Is s well-formed UTF-8 (no overlong form, surrogate or code point past
 * U+10FFFF)? The runtimes read JSON strings as UTF-8. */
bool hcrun_oci_utf8_valid(const char *s);

/* Specs given as one string ("SPEC[;SPEC...]", %XX decoded), as an
 * annotation or variable carries them: at most HCRUN_OCI_SPEC_TEXT_MAX
 * bytes and HCRUN_OCI_SPECS_MAX specs. */
#define HCRUN_OCI_SPEC_TEXT_MAX (64 << 10)
#define HCRUN_OCI_SPECS_MAX	256
struct hcrun_oci_spec_list {
	char *text;   /* owned: the copy the specs point into */
	char **specs; /* owned */
	size_t nspecs;
};

/* Split text into list (what names it in the messages), strictly: no
 * empty spec, no '%' but %XX, no %00, no control byte and nothing but
 * UTF-8 once decoded. The grammar and the host's checks are still
 * hcrun_oci_kit_add_specs's. */
int hcrun_oci_spec_list_split(const char *text, const char *what, struct hcrun_oci_spec_list *list,
			      hc_error_t **err);
void hcrun_oci_spec_list_clear(struct hcrun_oci_spec_list *list);

/* ---------------------------------------------------------- oci_kit.c */

/*
 * The gate: parse and check every spec of a container as hcrun create does
 * (grammar and bounds, paths that share or nest, host paths that exist),
 * into kit->channels, and mark the kit checked. Touches nothing. Each entry
 * point calls it once with all the container's specs, before anything is
 * made. policy (NULL: none, the specs are the administrator's) is checked
 * first, and again by prepare on what it makes (policy.c).
 */
int hcrun_oci_kit_add_specs(struct hcrun_oci_kit *kit, const struct hcrun_policy *policy,
			    char *const specs[], size_t nspecs, hc_error_t **err);
/* The kit's tmpfs source, HCRUN_OCI_TAG_PREFIX + id (checked as a name;
 * NULL: random). */
int hcrun_oci_kit_set_tag(struct hcrun_oci_kit *kit, const char *id, hc_error_t **err);
/*
 * Give config the checked kit's channels: edit a copy first (a malformed
 * config refuses before anything is made), then, with SIGINT/TERM/HUP/QUIT
 * held back, write the state at kit->state_path, make and mount each host
 * path, edit config (hcrun_oci_config_edit) and, when config_path != NULL,
 * save it there. On failure what was made is removed again (what cannot be
 * stays in the state, for teardown); a crash leaves the state listing it.
 */
int hcrun_oci_kit_attach(struct hcrun_oci_kit *kit, struct json_object *config, bool memory_add,
			 char *const poststop[], const char *config_path, hc_error_t **err);
/*
 * The host side of a checked kit alone, for an engine that binds the
 * channels itself (LXC's lxc.mount.entry): with SIGINT/TERM/HUP/QUIT held
 * back, write the state at kit->state_path (refused when it exists), make
 * each host path and, when mount, mount its tmpfs. On failure what was made
 * is removed again; a crash leaves the state listing it.
 */
int hcrun_oci_kit_prepare(struct hcrun_oci_kit *kit, bool mount, hc_error_t **err);
/*
 * Mount the tmpfs of every channel of a prepared kit (loaded from its state
 * file), or, after a stop, find the kit's own tmpfs (by its tag) still
 * mounted there and use it again; never a second one on top. The state is
 * saved after each channel. A failure leaves what was mounted recorded.
 */
int hcrun_oci_kit_mount(struct hcrun_oci_kit *kit, hc_error_t **err);
/* Unmount and remove what the state file lists, then the file; after keep
 * (and not force) only clear the mark. Nothing to do when it is missing. */
int hcrun_oci_release(const char *state_path, bool force, hc_error_t **err);
/*
 * attach leaves the record "preparing" and locked: the caller commits it
 * once the config is where the engine reads it (written, printed), with
 * the phase it is then in (HCRUN_OCI_PREPARED; HCRUN_OCI_RUNTIME for the
 * shim, with this process as its owner), and lets go of the lock; or
 * undoes all when it could not hand the config over.
 */
int hcrun_oci_kit_commit(struct hcrun_oci_kit *kit, enum hcrun_oci_phase phase, hc_error_t **err);
void hcrun_oci_kit_undo(struct hcrun_oci_kit *kit);
/* Tear down what the record of a locked kit lists ("releasing" first),
 * then remove the record. */
int hcrun_oci_kit_release(struct hcrun_oci_kit *kit, hc_error_t **err);
/* BUNDLE/HCRUN_OCI_STATE_FILE for a directory, else arg itself. */
int hcrun_oci_state_path_of(const char *arg, char *buf, size_t len, hc_error_t **err);

struct hcrun_oci_prepare_opts {
	const char *bundle;
	char *const *specs; /* the --host-channel values */
	size_t nspecs;
	const char *id; /* --id, NULL: random */
	bool memory_add;
	bool hook; /* add the poststop hook that runs "hcrun oci teardown" */
	const struct hcrun_policy *policy; /* --policy, NULL: none */
};

/* hcrun oci prepare: the specs through the gate, then attach to
 * BUNDLE/config.json with the state in BUNDLE/HCRUN_OCI_STATE_FILE. */
int hcrun_oci_prepare(const struct hcrun_oci_prepare_opts *o, hc_error_t **err);
/* hcrun oci teardown / keep: target is a bundle or its state file.
 * Teardown reads a pipe on stdin to its end first (the poststop hook's). */
int hcrun_oci_teardown(const char *target, bool force, hc_error_t **err);
int hcrun_oci_keep(const char *target, hc_error_t **err);

/* ----------------------------------------------------------- oci_gc.c */

/*
 * hcrun oci gc: repair what a kill of the kit, the hook or the shim left
 * in the hook's state directory, the shim's, and the bundles (or state
 * files) given. true when all is consistent; each action is a line on
 * stdout, what is left for a person is reported.
 */
struct hcrun_oci_gc_opts {
	const char *hook_dir;	   /* NULL: hcrun_oci_hook_dir() */
	const char *runtime_state; /* NULL: hcrun_runtime_state_dir() */
	char *const *targets;	   /* bundles or state files */
	size_t ntargets;
};
bool hcrun_oci_gc(const struct hcrun_oci_gc_opts *o);

/* --------------------------------------------------------- oci_hook.c */

/* The precreate hook: the runtime config from in_fd, the specs of its
 * annotation HCRUN_OCI_ANN_SPEC through the gate, under the host policy
 * (policy_path: --policy, NULL: hcrun_policy_load_default's), and attach
 * (state in the hook's directory), the new config on out; a config without
 * the annotation goes out unchanged. */
int hcrun_oci_hook_precreate(int in_fd, FILE *out, const char *policy_path, hc_error_t **err);
/* Where the hook keeps its states: $HOSTCHANNEL_HOOK_DIR (absolute), else
 * HCRUN_OCI_HOOK_DIR. */
const char *hcrun_oci_hook_dir(void);
/* The poststop hook: the OCI state from in_fd; releases the state its
 * annotation (or its bundle's config.json) names, only in the hook's
 * directory, then removes that directory when it is empty. */
int hcrun_oci_hook_poststop(int in_fd, hc_error_t **err);

/* ---------------------------------------------------------- cmd_oci.c */

int hcrun_cmd_oci(int argc, char *argv[], hc_error_t **err);

/* ===================================================================
 * hostchannel-runtime: hcrun under a second name, a runc-compatible OCI
 * runtime in front of the real one (runc), as NVIDIA's container runtime
 * is. On create (and run) it reads the bundle's config.json, passes the
 * channels the container asks for (annotation HCRUN_OCI_ANN_SPEC, or its
 * environment variable HCRUN_RUNTIME_ENV_SPEC) through the kit's gate and
 * attach, then runs the real runtime with the command line it was given;
 * delete releases what create made. Every other verb execs the real
 * runtime, untouched. ref/hook/README.md ("The runtime shim") is the user
 * guide. Calls go down: main.c -> cmd_runtime.c -> runtime.c -> oci_kit.c.
 * ================================================================ */

#define HCRUN_RUNTIME_NAME	"hostchannel-runtime" /* the name main() dispatches on */
#define HCRUN_RUNTIME_STATE_DIR "/run/hostchannel-runtime"
#define HCRUN_RUNTIME_ENV_SPEC	"HOSTCHANNEL_SPEC" /* in process.env: SPEC[;SPEC...] */
#define HCRUN_RUNTIME_ENV_MEM	"HOSTCHANNEL_MEMORY_ADD_CHANNEL" /* "true" */
#define HCRUN_RUNTIME_ID_MAX	128

/* A runc command line, as hostchannel-runtime understood it. */
struct hcrun_runtime_cmd {
	char **argv;		/* the real runtime's: its path, then the arguments given
			     * (less --hostchannel-runtime), NULL-terminated; owned
			     * array, borrowed strings */
	char runtime[PATH_MAX]; /* the real runtime's path */
	const char *policy;	/* --hostchannel-policy, NULL: the default (policy.c) */
	const char *root;	/* --root, NULL: the runtime's default */
	const char *log;	/* --log, NULL: none */
	bool log_json;		/* --log-format json */
	const char *verb;	/* NULL: none (--help, --version) */
	const char *bundle;	/* create, run: --bundle, NULL: the working directory */
	const char *id;		/* create, run, delete: the container id, NULL: none */
	bool detach;		/* run --detach */
	bool keep;		/* run --keep */
};

/* ---------------------------------------------------------- runtime.c */

/*
 * The real runtime: want (--hostchannel-runtime), else $HOSTCHANNEL_RUNTIME,
 * else "runc"; a name without '/' is looked up in $PATH, skipping this very
 * program (installed as "runc" in front of the real one). A path that is
 * this program is refused: it would run itself.
 */
int hcrun_runtime_find(const char *want, char *path, size_t len, hc_error_t **err);
/* create or run with host channels: *status is the real runtime's exit
 * status. Returns 1 when the container asks for none: the caller then
 * execs the runtime as for any other verb. */
int hcrun_runtime_create(const struct hcrun_runtime_cmd *cmd, int *status, hc_error_t **err);
/* Where the shim keeps its records: $HOSTCHANNEL_RUNTIME_STATE (absolute),
 * else HCRUN_RUNTIME_STATE_DIR. */
const char *hcrun_runtime_state_dir(void);
/* Ask runtime (--root root unless NULL or "") "state id": *exists, or -1
 * when its answer does not tell (err quotes it). */
int hcrun_runtime_container_exists(const char *runtime, const char *root, const char *id,
				   bool *exists, hc_error_t **err);
/* delete: the real runtime's delete, then release what create made. */
int hcrun_runtime_delete(const struct hcrun_runtime_cmd *cmd, int *status, hc_error_t **err);
/* Exec the real runtime with cmd->argv; returns only on failure. */
int hcrun_runtime_exec(const struct hcrun_runtime_cmd *cmd, hc_error_t **err);
/* The one place the shim prints an error: "hostchannel-runtime: MSG" on
 * stderr and, with --log FILE --log-format json, a runc-style line
 * {"level":"error","msg":...,"time":...} appended to FILE, where
 * containerd reads the runtime's error from. Frees *err. */
void hcrun_runtime_report(const struct hcrun_runtime_cmd *cmd, hc_error_t **err);

/* ------------------------------------------------------ cmd_runtime.c */

/* main() of hostchannel-runtime: argv is the whole command line. Returns
 * the exit status; reports its own errors. */
int hcrun_cmd_runtime(int argc, char *argv[]);

/* ===================================================================
 * LXC: host channels through an LXC container's own config (lxc.c).
 * "hcrun lxc config" walks the OCI kit's gate, makes the host paths
 * (hcrun_oci_kit_prepare without the mount) and prints the config lines:
 * the pre-start, mount, start-host and destroy hooks that run "hcrun lxc
 * hook", the memory limit. pre-start mounts the tmpfs, or finds it still
 * mounted after a stop (hcrun_oci_kit_mount); mount binds it inside the
 * rootfs (hc_attach); start-host gives each bind its propagation back (LXC
 * makes the whole tree shared); destroy releases (hcrun_oci_release). The state file is the kit's, so "hcrun
 * oci teardown STATE" cleans up after a crash. Calls go down: cmd_lxc.c ->
 * lxc.c -> oci_kit.c -> oci.c.
 * ================================================================ */

#define HCRUN_LXC_TAG_PREFIX "hostchannel-lxc-" /* + the LXC container's name */

struct hcrun_lxc_config_opts {
	const char *name;  /* the LXC container's: the tmpfs's tag, whom the hooks serve */
	const char *state; /* the kit's state file; must not exist */
	char *const *specs;
	size_t nspecs;
	bool memory_add;	       /* raise the limit by the channels' sizes */
	uint64_t memory;	       /* bytes; 0: no limit line */
	enum hc_cgroup_version cgroup; /* of the limit's key; HC_CGROUP_NONE: the host's */
};

/* ---------------------------------------------------------------- lxc.c */

/* hcrun lxc config: the specs through the gate (nothing made on a refusal),
 * the host paths made and recorded at o->state, the lines on out. A failure
 * after the paths were made removes them again. */
int hcrun_lxc_config(const struct hcrun_lxc_config_opts *o, FILE *out, hc_error_t **err);
struct hcrun_lxc_hook_opts {
	const char *state;  /* the state file config wrote */
	const char *name;   /* the container LXC runs the hook for; NULL: not known */
	const char *type;   /* LXC's hook type */
	const char *rootfs; /* mount: where the rootfs is mounted (LXC_ROOTFS_MOUNT) */
	pid_t pid;	    /* start-host: the container's init (LXC_PID) */
};

/* hcrun lxc hook: pre-start mounts (or reuses) the channels of state on the
 * host, mount binds them inside the rootfs (hc_attach), start-host gives
 * each bind its propagation back, destroy releases them; stop and post-stop
 * do nothing. A state made for another container is refused. */
int hcrun_lxc_hook(const struct hcrun_lxc_hook_opts *o, hc_error_t **err);

/* ---------------------------------------------------------- cmd_lxc.c */

int hcrun_cmd_lxc(int argc, char *argv[], hc_error_t **err);

#endif /* HCRUN_H */
