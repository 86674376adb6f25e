/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * hcrun internals: the small system-container runtime built on
 * libhostchannel. Two halves meet here:
 *  - the container process (container.c, caps.c, tty.c): namespaces, rootfs,
 *    channels attached, capabilities, user, exec;
 *  - the CLI (main.c, cmd_*.c, state.c, monitor.c): state under /run/hcrun,
 *    channel lifecycle on the host, memory cgroup, exit codes.
 */
#ifndef HCRUN_H
#define HCRUN_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "hostchannel.h"

/* Exit codes, as docker and isula use them. */
#define HCRUN_EXIT_ERROR     125 /* hcrun's own failure: bad option, refused host path */
#define HCRUN_EXIT_CANNOT    126 /* command found but cannot be invoked */
#define HCRUN_EXIT_NOT_FOUND 127 /* command not found */

#define HCRUN_NAME_MAX 64

struct hcrun_channel {
	struct hc_spec spec;
	struct hc_host host; /* filled by hc_host_prepare at create */
	bool mounted;        /* as last recorded */
};

/* Everything the container process needs; persisted in the state file. */
struct hcrun_config {
	char name[HCRUN_NAME_MAX + 1];
	char rootfs[PATH_MAX]; /* absolute, resolved */
	char **argv;           /* NULL-terminated, owned */
	int argc;
	bool user_set;
	uid_t uid;
	gid_t gid;
	uint64_t caps; /* bit n = capability n kept (CAP_LAST_CAP <= 63) */
	bool net_host; /* --net host: stay in the host's network namespace */
	bool tty;      /* -t */
	bool interactive; /* -i */
	uint64_t memory;  /* --memory in bytes, 0 = unlimited */
	bool memory_add_channel;
	size_t nchannels;
	struct hcrun_channel *channels; /* owned */
};

/* A process started in the container: its init, or one started by exec. */
struct hcrun_proc {
	pid_t pid;       /* in hcrun's pid namespace */
	int sync_fd;     /* hcrun's end of the setup socket, -1 once released */
	int pty_master;  /* -1 without -t */
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
 * exec: a new process in the running container whose init is init_pid:
 * joins its memory cgroup (cgroup_procs = path of cgroup.procs, may be
 * NULL), its namespaces and root, drops to cfg->caps, switches to uid/gid
 * when user_set, execs argv. Same release protocol as the init.
 */
int hcrun_exec_spawn(const struct hcrun_config *cfg, pid_t init_pid, const char *cgroup_procs,
		     char *const argv[], bool user_set, uid_t uid, gid_t gid, bool tty,
		     struct hcrun_proc *proc, hc_error_t **err);

/* ------------------------------------------------------------- tty.c */

/*
 * Copy between our stdin/stdout and the pty master until the process pid
 * exits (the master gives EIO/HUP); puts our terminal in raw mode meanwhile
 * when stdin is a terminal, and passes window size changes on.
 */
int hcrun_tty_relay(int pty_master, bool forward_stdin, hc_error_t **err);

#endif /* HCRUN_H */
