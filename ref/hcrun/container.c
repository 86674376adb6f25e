// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The container process: its namespaces, its root, its mounts (the host
 * channels among them), its capabilities and user, and the exec of the
 * command. Also the process that "hcrun exec" starts in a running container.
 *
 * hcrun and the child talk over a SOCK_SEQPACKET pair, the setup socket:
 *
 *   hcrun                              child
 *   spawn: socketpair, clone  ------>  waits for one byte
 *   (puts the child in its cgroup)
 *   release: sends "go"       ------>  sets up, execs
 *            reads            <------  EOF: the exec closed the child's end
 *                             <------  or a struct setup_msg, then _exit()
 *
 * The child's end is close-on-exec, so a successful exec is seen as EOF and
 * no message is needed for it.
 */
#include <errno.h>
#include <fcntl.h>
#include <dirent.h>
#include <limits.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <grp.h>

#include "hcrun.h"

/*
 * The fstype of a bind, a bind remount or a propagation change: the kernel
 * ignores it, but valgrind (3.19) reads it as a string, so give it one. The
 * library has its own; its mount API header is private to it.
 */
#define NO_FSTYPE "none"

#define CONTAINER_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

/* From the child: the pty master (with -t), or why it could not exec. */
enum setup_type {
	SETUP_ERROR = 1,
	SETUP_PTY = 2, /* the master travels as SCM_RIGHTS */
};

struct setup_msg {
	int type;
	int errnum;
	int exit_code;
	char msg[2048];
};

/* What a child needs; it works on its own copy of this. */
struct child_args {
	const struct hcrun_config *cfg;
	char *const *argv;
	bool user_set;
	uid_t uid;
	gid_t gid;
	bool tty;
	int sync_fd;		      /* the child's end of the setup socket */
	int hcrun_fd;		      /* hcrun's end: the child closes its copy */
	const struct hcrun_pin *init; /* exec only */
	const char *cgroup_procs;     /* exec only */
};

/* The first fields of the kernel's struct clone_args (CLONE_ARGS_SIZE_VER0). */
struct clone_args_v0 {
	uint64_t flags;
	uint64_t pidfd;
	uint64_t child_tid;
	uint64_t parent_tid;
	uint64_t exit_signal;
	uint64_t stack;
	uint64_t stack_size;
	uint64_t tls;
};

#define CLONE_FALLBACK_STACK (256 * 1024)

/* ------------------------------------------------------ child plumbing */

static __attribute__((noreturn)) void child_fail(int sync_fd, hc_error_t *err, int exit_code)
{
	struct setup_msg m;

	memset(&m, 0, sizeof(m));
	m.type = SETUP_ERROR;
	m.errnum = err != NULL ? err->errnum : 0;
	m.exit_code = exit_code;
	snprintf(m.msg, sizeof(m.msg), "%s",
		 err != NULL && err->msg != NULL ? err->msg : "container setup failed");
	/* If hcrun is gone there is nobody left to tell: the exit code says it. */
	(void)send(sync_fd, &m, sizeof(m), MSG_NOSIGNAL);
	_exit(exit_code);
}

static int wait_go(int sync_fd, hc_error_t **err)
{
	ssize_t n;
	char go;

	do {
		n = recv(sync_fd, &go, 1, 0);
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return hc_error_sys(err, errno, "wait for hcrun");
	/* hcrun closed its end without releasing us: nobody to report to. */
	if (n == 0)
		_exit(HCRUN_EXIT_ERROR);
	return 0;
}

/*
 * The command must not inherit hcrun's handlers (a clone copies them until
 * exec), nor a blocked or ignored signal (exec keeps those).
 */
static int reset_signals(hc_error_t **err)
{
	struct sigaction sa;
	sigset_t none;
	int sig;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	sigemptyset(&sa.sa_mask);
	for (sig = 1; sig < NSIG; sig++) {
		if (sig == SIGKILL || sig == SIGSTOP)
			continue;
		/* EINVAL: a signal glibc keeps for itself (SIGCANCEL, SIGSETXID). */
		if (sigaction(sig, &sa, NULL) < 0 && errno != EINVAL)
			return hc_error_sys(err, errno, "reset signal %d", sig);
	}
	sigemptyset(&none);
	if (sigprocmask(SIG_SETMASK, &none, NULL) < 0)
		return hc_error_sys(err, errno, "unblock signals");
	return 0;
}

static void closedirp(DIR **d)
{
	if (*d != NULL)
		(void)closedir(*d); /* read-only: nothing to lose */
	*d = NULL;
}

/*
 * close_range's CLOSE_RANGE_CLOEXEC came in 5.11 (EINVAL before, ENOSYS
 * before 5.9): then each open descriptor, as /proc/self/fd lists them.
 * EBADF: one that closed meanwhile, or one of valgrind's own, which it
 * keeps out of our reach.
 */
static int cloexec_each_fd(hc_error_t **err)
{
	__attribute__((cleanup(closedirp))) DIR *d = opendir("/proc/self/fd");
	struct dirent *de;

	if (d == NULL)
		return hc_error_sys(err, errno, "open /proc/self/fd");
	for (;;) {
		char *end;
		long fd;
		int flags;

		errno = 0;
		de = readdir(d);
		if (de == NULL)
			break;
		fd = strtol(de->d_name, &end, 10);
		if (*end != '\0' || end == de->d_name || fd < 3 || fd == dirfd(d))
			continue;
		flags = fcntl((int)fd, F_GETFD);
		if (flags < 0 && errno == EBADF)
			continue;
		if (flags < 0 || fcntl((int)fd, F_SETFD, flags | FD_CLOEXEC) < 0)
			return hc_error_sys(err, errno, "mark descriptor %ld close-on-exec", fd);
	}
	if (errno != 0)
		return hc_error_sys(err, errno, "read /proc/self/fd");
	return 0;
}

/* hcrun's descriptors stay open during setup but do not reach the command. */
static int cloexec_from_3(hc_error_t **err)
{
	if (close_range(3, ~0U, CLOSE_RANGE_CLOEXEC) == 0)
		return 0;
	if (errno == ENOSYS || errno == EINVAL)
		return cloexec_each_fd(err);
	return hc_error_sys(err, errno, "mark descriptors close-on-exec");
}

/* A session of its own with the pty as controlling terminal, on 0, 1, 2. */
static int attach_tty(int slave, hc_error_t **err)
{
	int i;

	if (setsid() < 0)
		return hc_error_sys(err, errno, "setsid");
	if (ioctl(slave, TIOCSCTTY, 0) < 0)
		return hc_error_sys(err, errno, "make the pty the controlling terminal");
	for (i = 0; i <= 2; i++) {
		if (i != slave && dup2(slave, i) < 0)
			return hc_error_sys(err, errno, "dup2 the pty to %d", i);
	}
	return 0;
}

/*
 * -t: a pty of the container's own devpts instance, as runc's console
 * socket does, so that the command finds its terminal as /dev/pts/0 (one of
 * the host's instance would have no name in the container). hcrun gets the
 * master over the setup socket. Called inside the container's root.
 */
static int make_tty(int sync_fd, hc_error_t **err)
{
	hc_cleanup_close int master = -1, slave = -1;
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(int))];
	} ctl;
	struct iovec iov;
	struct setup_msg m;
	struct msghdr mh;
	struct cmsghdr *c;
	int unlock = 0, ptn;

	master = open("/dev/pts/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (master < 0)
		return hc_error_sys(err, errno, "open /dev/pts/ptmx");
	/* In an exec the container owns that name: it must really be a ptmx. */
	if (ioctl(master, TIOCGPTN, &ptn) < 0)
		return hc_error_sys(err, errno, "/dev/pts/ptmx is not a pty master");
	if (ioctl(master, TIOCSPTLCK, &unlock) < 0)
		return hc_error_sys(err, errno, "unlock the pty");
	slave = ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (slave < 0)
		return hc_error_sys(err, errno, "open the pty slave");
	memset(&m, 0, sizeof(m));
	m.type = SETUP_PTY;
	iov.iov_base = &m;
	iov.iov_len = sizeof(m);
	memset(&mh, 0, sizeof(mh));
	memset(&ctl, 0, sizeof(ctl));
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = ctl.buf;
	mh.msg_controllen = sizeof(ctl.buf);
	c = CMSG_FIRSTHDR(&mh);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &master, sizeof(int));
	if (sendmsg(sync_fd, &mh, MSG_NOSIGNAL) < 0)
		return hc_error_sys(err, errno, "pass the pty to hcrun");
	if (attach_tty(slave, err) < 0)
		return -1;
	/* the slave now lives on 0, 1, 2; one of them it may be already */
	if (slave <= 2)
		slave = -1;
	return 0;
}

/* ------------------------------------------------------------- mounts */

static void fd_path(int fd, char *buf, size_t len)
{
	snprintf(buf, len, "/proc/self/fd/%d", fd);
}

/*
 * Inside the new root, symlinks resolve as they would after pivot_root
 * (hc_mkdir_in_root): an absolute link in the rootfs cannot lead to the
 * host. Missing mount points are made, 0755.
 */
static int mount_in_root(int rootfd, const char *path, const char *src, const char *fstype,
			 unsigned long flags, const char *data, hc_error_t **err)
{
	hc_cleanup_close int fd = -1;
	char target[64];

	fd = hc_mkdir_in_root(rootfd, path, 0755, err);
	if (fd < 0)
		return hc_error_prefix(err, "mount point %s in the container root", path);
	fd_path(fd, target, sizeof(target));
	if (mount(src, target, fstype, flags, data) < 0)
		return hc_error_sys(err, errno, "mount %s on %s", (flags & MS_BIND) ? src : fstype,
				    path);
	return 0;
}

/* Is path dir itself or below it? Both are absolute and clean. */
static bool path_under(const char *path, const char *dir)
{
	size_t n = strlen(dir);

	return strncmp(path, dir, n) == 0 && (path[n] == '\0' || path[n] == '/');
}

/*
 * Where the writable layer of the root is put together. It must exist
 * already (nothing may be created on the host) and must hide nothing the
 * setup still needs: a tmpfs is mounted over it, in this mount namespace
 * only (propagation is private by then, the host never sees it), so the
 * rootfs and the host channels must not lie under it. /proc, /dev and /sys
 * are never candidates.
 */
static const char *const staging_candidates[] = {
	"/run", "/tmp", "/mnt", "/var/tmp", "/media", "/srv", "/opt",
};

static int pick_staging(const struct hcrun_config *cfg, const char **out, hc_error_t **err)
{
	size_t i, c;

	for (i = 0; i < sizeof(staging_candidates) / sizeof(staging_candidates[0]); i++) {
		const char *dir = staging_candidates[i];
		struct stat st;
		bool clash = path_under(cfg->rootfs, dir);

		if (lstat(dir, &st) < 0 || !S_ISDIR(st.st_mode))
			continue;
		for (c = 0; c < cfg->nchannels && !clash; c++)
			clash = path_under(cfg->channels[c].host.real_path, dir);
		if (!clash) {
			*out = dir;
			return 0;
		}
	}
	return hc_error_set(err, ENOENT,
			    "no directory to stage the container root in: the rootfs or a host "
			    "channel lies under each of /run, /tmp, /mnt, /var/tmp, /media, "
			    "/srv, /opt");
}

/*
 * The container's root: an overlay whose lower layer is cfg->rootfs and
 * whose upper layer is a tmpfs of this container, so that whatever the
 * container writes or creates (mount points included) never reaches the
 * rootfs on the host, which containers and tests share. The tmpfs pages are
 * charged to the container's memory cgroup, which the child joined already.
 * Without overlayfs (ENODEV: a kernel without the module) the rootfs is
 * bound as it is, and the container then writes into it.
 */
static int mount_rootfs(const struct hcrun_config *cfg, char *root, size_t len, hc_error_t **err)
{
	hc_cleanup_close int lower = -1;
	char upper[PATH_MAX], work[PATH_MAX], lower_path[64];
	char opts[3 * PATH_MAX];
	const char *staging = NULL;
	struct stat st;

	/*
	 * Resolved once, used through /proc/self/fd: the path text can hold
	 * ',' or ':' which overlay options cannot carry.
	 */
	lower = open(cfg->rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (lower < 0)
		return hc_error_sys(err, errno, "open rootfs %s", cfg->rootfs);
	if (fstat(lower, &st) < 0)
		return hc_error_sys(err, errno, "stat rootfs %s", cfg->rootfs);
	fd_path(lower, lower_path, sizeof(lower_path));
	if (pick_staging(cfg, &staging, err) < 0)
		return -1;
	if (mount("hcrun-root", staging, "tmpfs", MS_NOSUID | MS_NODEV, "mode=0700") < 0)
		return hc_error_sys(err, errno, "mount a tmpfs on %s", staging);
	snprintf(root, len, "%s/root", staging);
	snprintf(upper, sizeof(upper), "%s/upper", staging);
	snprintf(work, sizeof(work), "%s/work", staging);
	if (mkdir(root, 0755) < 0 || mkdir(work, 0700) < 0 || mkdir(upper, st.st_mode & 07777) < 0)
		return hc_error_sys(err, errno, "create the layers of the container root");
	/* The upper directory gives "/" its owner and mode: those of the rootfs. */
	if (chmod(upper, st.st_mode & 07777) < 0 || chown(upper, st.st_uid, st.st_gid) < 0)
		return hc_error_sys(err, errno, "set owner and mode of the container root");
	snprintf(opts, sizeof(opts), "lowerdir=%s,upperdir=%s,workdir=%s", lower_path, upper, work);
	/*
	 * nodev: CAP_MKNOD is in the default set and there is no device
	 * cgroup; a node made in the root must not open a host device. The
	 * devices the container gets are bind mounts in /dev.
	 */
	if (mount("overlay", root, "overlay", MS_NODEV, opts) == 0)
		return 0;
	if (errno != ENODEV)
		return hc_error_sys(err, errno, "mount the overlay root on %s", cfg->rootfs);
	if (mount(lower_path, root, NO_FSTYPE, MS_BIND | MS_REC, NULL) < 0)
		return hc_error_sys(err, errno, "bind the rootfs %s", cfg->rootfs);
	return 0;
}

static const char *const dev_nodes[] = {"null", "zero", "full", "random", "urandom", "tty"};

static const struct {
	const char *name;
	const char *target;
} dev_links[] = {
	{"fd", "/proc/self/fd"},       {"stdin", "/proc/self/fd/0"}, {"stdout", "/proc/self/fd/1"},
	{"stderr", "/proc/self/fd/2"}, {"ptmx", "pts/ptmx"},
};

/*
 * A tmpfs with the host's harmless devices bound in. nodev on the tmpfs: a
 * bind mount keeps the flags of its source, so the bound nodes work, and a
 * node made by mknod does not.
 */
static int mount_dev(int rootfd, hc_error_t **err)
{
	hc_cleanup_close int dev = -1;
	size_t i;

	if (mount_in_root(rootfd, "/dev", "tmpfs", "tmpfs", MS_NOSUID | MS_NODEV,
			  "mode=755,size=65536k", err) < 0)
		return -1;
	/* The tmpfs was just made: nothing in it can be a trap. */
	dev = hc_open_in_root(rootfd, "/dev", O_PATH | O_DIRECTORY | O_CLOEXEC, err);
	if (dev < 0)
		return hc_error_prefix(err, "the container root");
	for (i = 0; i < sizeof(dev_nodes) / sizeof(dev_nodes[0]); i++) {
		hc_cleanup_close int fd = -1;
		char src[64], target[64];

		fd = openat(dev, dev_nodes[i], O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0666);
		if (fd < 0)
			return hc_error_sys(err, errno, "create /dev/%s", dev_nodes[i]);
		snprintf(src, sizeof(src), "/dev/%s", dev_nodes[i]);
		fd_path(fd, target, sizeof(target));
		if (mount(src, target, NO_FSTYPE, MS_BIND, NULL) < 0)
			return hc_error_sys(err, errno, "bind %s", src);
	}
	for (i = 0; i < sizeof(dev_links) / sizeof(dev_links[0]); i++) {
		if (symlinkat(dev_links[i].target, dev, dev_links[i].name) < 0)
			return hc_error_sys(err, errno, "create /dev/%s", dev_links[i].name);
	}
	if (mount_in_root(rootfd, "/dev/pts", "devpts", "devpts", MS_NOSUID | MS_NOEXEC,
			  "newinstance,ptmxmode=0666,mode=0620,gid=5", err) < 0)
		return -1;
	if (mount_in_root(rootfd, "/dev/shm", "shm", "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC,
			  "mode=1777,size=65536k", err) < 0)
		return -1;
	if (mount_in_root(rootfd, "/dev/mqueue", "mqueue", "mqueue",
			  MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL, err) < 0) {
		/* POSIX message queues are a nicety: a kernel without them is fine. */
		if (*err == NULL || (*err)->errnum != ENODEV)
			return -1;
		hc_error_free(err);
	}
	return 0;
}

/*
 * sysfs, read-only. A fresh sysfs shows the network namespace it is mounted
 * in; with --net host that is the host's, and should a kernel refuse it the
 * host's /sys is bound instead (not recursively: the cgroup trees below
 * would stay writable), then made read-only.
 */
static int mount_sys(int rootfd, bool net_host, hc_error_t **err)
{
	const unsigned long flags = MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC;
	hc_cleanup_close int fd = -1;
	char target[64];

	if (mount_in_root(rootfd, "/sys", "sysfs", "sysfs", flags, NULL, err) == 0)
		return 0;
	if (!net_host)
		return -1;
	hc_error_free(err);
	if (mount_in_root(rootfd, "/sys", "/sys", NO_FSTYPE, MS_BIND, NULL, err) < 0)
		return -1;
	/* Opened again: the earlier descriptor saw what is under the bind. */
	fd = hc_open_in_root(rootfd, "/sys", O_PATH | O_DIRECTORY | O_CLOEXEC, err);
	if (fd < 0)
		return hc_error_prefix(err, "the container root");
	fd_path(fd, target, sizeof(target));
	if (mount(NULL, target, NO_FSTYPE, MS_BIND | MS_REMOUNT | flags, NULL) < 0)
		return hc_error_sys(err, errno, "make /sys read-only");
	return 0;
}

static int mount_channels(const struct hcrun_config *cfg, const char *root, hc_error_t **err)
{
	size_t i;

	for (i = 0; i < cfg->nchannels; i++) {
		const struct hcrun_channel *ch = &cfg->channels[i];

		if (hc_attach(&ch->spec, ch->host.real_path, root, err) < 0)
			return hc_error_prefix(err, "host channel %s", ch->spec.container_path);
	}
	return 0;
}

/*
 * pivot_root(".", "."): the old root ends up stacked on the new one and is
 * detached at once, with every host mount under it; no directory is needed
 * to park it in.
 */
static int enter_root(const char *root, hc_error_t **err)
{
	hc_cleanup_close int fd = open(root, O_DIRECTORY | O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return hc_error_sys(err, errno, "open the container root");
	if (fchdir(fd) < 0)
		return hc_error_sys(err, errno, "enter the container root");
	if (syscall(SYS_pivot_root, ".", ".") < 0)
		return hc_error_sys(err, errno, "pivot_root");
	if (umount2(".", MNT_DETACH) < 0)
		return hc_error_sys(err, errno, "detach the host's root");
	if (chdir("/") < 0)
		return hc_error_sys(err, errno, "chdir /");
	return 0;
}

static int setup_mounts(const struct hcrun_config *cfg, hc_error_t **err)
{
	hc_cleanup_close int rootfd = -1;
	char root[PATH_MAX];

	/* Before anything: no mount of ours may propagate back to the host. */
	if (mount(NULL, "/", NO_FSTYPE, MS_REC | MS_PRIVATE, NULL) < 0)
		return hc_error_sys(err, errno, "make the mounts private");
	if (mount_rootfs(cfg, root, sizeof(root), err) < 0)
		return -1;
	rootfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0)
		return hc_error_sys(err, errno, "open the container root");
	if (mount_in_root(rootfd, "/proc", "proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL,
			  err) < 0)
		return -1;
	if (mount_dev(rootfd, err) < 0)
		return -1;
	if (mount_sys(rootfd, cfg->net_host, err) < 0)
		return -1;
	if (mount_channels(cfg, root, err) < 0)
		return -1;
	return enter_root(root, err);
}

/* ---------------------------------------------------------- the rest */

/* A new network namespace starts with lo down; 127.0.0.1 should work. */
static int lo_up(hc_error_t **err)
{
	hc_cleanup_close int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	struct ifreq ifr;

	if (fd < 0)
		return hc_error_sys(err, errno, "socket");
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "lo");
	if (ioctl(fd, SIOCGIFFLAGS, &ifr) < 0)
		return hc_error_sys(err, errno, "read the flags of lo");
	ifr.ifr_flags |= IFF_UP;
	if (ioctl(fd, SIOCSIFFLAGS, &ifr) < 0)
		return hc_error_sys(err, errno, "bring lo up");
	return 0;
}

/*
 * The bounding set goes first, while we still hold CAP_SETPCAP; then the
 * user, which for a non-root uid empties the permitted and effective sets
 * (no PR_SET_KEEPCAPS: as docker, such a user runs without capabilities);
 * then the sets of a root user.
 */
static int drop_privileges(uint64_t caps, bool user_set, uid_t uid, gid_t gid, hc_error_t **err)
{
	if (hcrun_caps_bound(caps, err) < 0)
		return -1;
	if (user_set) {
		if (setgroups(0, NULL) < 0)
			return hc_error_sys(err, errno, "setgroups");
		if (setresgid(gid, gid, gid) < 0)
			return hc_error_sys(err, errno, "setresgid %u", (unsigned int)gid);
		if (setresuid(uid, uid, uid) < 0)
			return hc_error_sys(err, errno, "setresuid %u", (unsigned int)uid);
	}
	/* For a non-root user this only clears the inheritable set. */
	return hcrun_caps_apply(caps, err);
}

struct exec_env {
	char hostname[HCRUN_NAME_MAX + sizeof("HOSTNAME=")];
	char *envp[5];
};

/* A fixed environment: nothing of hcrun's leaks in. */
static void build_env(struct exec_env *e, const char *name, bool tty, bool root_user)
{
	struct stat st;
	int n = 0;

	snprintf(e->hostname, sizeof(e->hostname), "HOSTNAME=%s", name);
	e->envp[n++] = (char *)"PATH=" CONTAINER_PATH;
	e->envp[n++] =
		(char *)(root_user && stat("/root", &st) == 0 && S_ISDIR(st.st_mode) ? "HOME=/root"
										     : "HOME=/");
	e->envp[n++] = e->hostname;
	if (tty)
		e->envp[n++] = (char *)"TERM=xterm";
	e->envp[n] = NULL;
}

/* docker's codes: not found is 127, found but not runnable is 126. */
static int exec_exit_code(int errnum)
{
	switch (errnum) {
	case ENOENT:
	case ENOTDIR:
	case ELOOP:
	case ENAMETOOLONG:
		return HCRUN_EXIT_NOT_FOUND;
	default:
		return HCRUN_EXIT_CANNOT;
	}
}

/*
 * execvp() without its fallbacks: no /bin/sh for ENOEXEC, no PATH from our
 * own environment. The search goes on past ENOENT and EACCES, like execvp,
 * and EACCES is what is told when nothing better was found.
 */
static __attribute__((noreturn)) void exec_command(char *const argv[], char *const envp[],
						   int sync_fd)
{
	const char *file = argv[0];
	hc_error_t *err = NULL;
	char path[PATH_MAX];
	const char *dir, *end = NULL;
	int best = ENOENT;

	if (file == NULL || file[0] == '\0') {
		hc_error_set(&err, ENOENT, "no command given");
		child_fail(sync_fd, err, HCRUN_EXIT_NOT_FOUND);
	}
	if (strchr(file, '/') != NULL) {
		execve(file, argv, envp);
		hc_error_sys(&err, errno, "exec \"%s\"", file);
		child_fail(sync_fd, err, exec_exit_code(err->errnum));
	}
	for (dir = CONTAINER_PATH; *dir != '\0'; dir = *end != '\0' ? end + 1 : end) {
		int len;

		end = strchrnul(dir, ':');
		len = snprintf(path, sizeof(path), "%.*s/%s", (int)(end - dir), dir, file);
		if (len < 0 || (size_t)len >= sizeof(path)) {
			best = ENAMETOOLONG;
			continue;
		}
		execve(path, argv, envp);
		if (errno == ENOENT || errno == ENOTDIR)
			continue;
		best = errno;
		if (errno != EACCES)
			break;
	}
	if (best == ENOENT)
		hc_error_set(&err, ENOENT, "exec \"%s\": executable file not found in $PATH", file);
	else
		hc_error_sys(&err, best, "exec \"%s\"", file);
	child_fail(sync_fd, err, exec_exit_code(best));
}

/* What the init and an exec'd process share once they stand in the container. */
static __attribute__((noreturn)) void finish_and_exec(const struct child_args *a)
{
	hc_error_t *err = NULL;
	struct exec_env env;

	memset(&env, 0, sizeof(env));
	if (drop_privileges(a->cfg->caps, a->user_set, a->uid, a->gid, &err) < 0)
		child_fail(a->sync_fd, err, HCRUN_EXIT_ERROR);
	build_env(&env, a->cfg->name, a->tty, !a->user_set || a->uid == 0);
	exec_command(a->argv, env.envp, a->sync_fd);
}

static int init_setup(struct child_args *a, hc_error_t **err)
{
	const struct hcrun_config *cfg = a->cfg;

	if (close(a->hcrun_fd) < 0)
		return hc_error_sys(err, errno, "close the setup socket");
	if (reset_signals(err) < 0 || cloexec_from_3(err) < 0)
		return -1;
	umask(022);
	if (wait_go(a->sync_fd, err) < 0)
		return -1;
	if (sethostname(cfg->name, strnlen(cfg->name, 63)) < 0)
		return hc_error_sys(err, errno, "sethostname");
	if (setup_mounts(cfg, err) < 0)
		return -1;
	if (!cfg->net_host && lo_up(err) < 0)
		return -1;
	if (a->tty && make_tty(a->sync_fd, err) < 0)
		return -1;
	return 0;
}

static int init_main(void *arg)
{
	struct child_args *a = arg;
	hc_error_t *err = NULL;

	if (init_setup(a, &err) < 0)
		child_fail(a->sync_fd, err, HCRUN_EXIT_ERROR);
	finish_and_exec(a);
}

/* ------------------------------------------------------ hcrun's side */

/*
 * A fork-like clone into new namespaces. clone3 first; clone() with a stack
 * of its own where clone3 is refused (ENOSYS: seccomp profiles of some
 * container engines block it so that libc falls back).
 */
static pid_t clone_child(uint64_t flags, int (*fn)(void *), void *arg, hc_error_t **err)
{
	struct clone_args_v0 ca;
	char *stack;
	long pid;

	memset(&ca, 0, sizeof(ca));
	ca.flags = flags;
	ca.exit_signal = SIGCHLD;
	pid = syscall(SYS_clone3, &ca, sizeof(ca));
	if (pid == 0)
		_exit(fn(arg));
	if (pid > 0)
		return (pid_t)pid;
	if (errno != ENOSYS)
		return hc_error_sys(err, errno, "clone3");
	stack = malloc(CLONE_FALLBACK_STACK);
	if (stack == NULL)
		return hc_error_sys(err, errno, "allocate a stack");
	/* No CLONE_VM: the child runs on its own copy; ours can go at once. */
	pid = clone(fn, stack + CLONE_FALLBACK_STACK, (int)flags | SIGCHLD, arg);
	if (pid < 0)
		hc_error_sys(err, errno, "clone");
	free(stack);
	return pid < 0 ? -1 : (pid_t)pid;
}

int hcrun_container_spawn(const struct hcrun_config *cfg, struct hcrun_proc *proc, hc_error_t **err)
{
	hc_cleanup_close int ours = -1, theirs = -1;
	uint64_t flags = CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWUTS | CLONE_NEWIPC;
	struct child_args a;
	int sv[2];
	pid_t pid;

	memset(&a, 0, sizeof(a));
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return hc_error_sys(err, errno, "socketpair");
	ours = sv[0];
	theirs = sv[1];
	if (!cfg->net_host)
		flags |= CLONE_NEWNET;
	a.cfg = cfg;
	a.argv = cfg->argv;
	a.user_set = cfg->user_set;
	a.uid = cfg->uid;
	a.gid = cfg->gid;
	a.tty = cfg->tty;
	a.sync_fd = theirs;
	a.hcrun_fd = ours;
	pid = clone_child(flags, init_main, &a, err);
	if (pid < 0)
		return hc_error_prefix(err, "start the container");
	proc->pid = pid;
	proc->sync_fd = ours;
	proc->pty_master = -1; /* with -t, release brings it */
	ours = -1;
	return 0;
}

/* One message, and the descriptor it carries if any (*passed, else -1). */
static ssize_t recv_setup(int fd, struct setup_msg *m, int *passed)
{
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(int))];
	} ctl;
	struct iovec iov;
	struct msghdr mh;
	struct cmsghdr *c;
	int resets = 0;
	ssize_t n;

	*passed = -1;
	do {
		iov.iov_base = m;
		iov.iov_len = sizeof(*m);
		memset(&mh, 0, sizeof(mh));
		mh.msg_iov = &iov;
		mh.msg_iovlen = 1;
		mh.msg_control = ctl.buf;
		mh.msg_controllen = sizeof(ctl.buf);
		n = recvmsg(fd, &mh, MSG_CMSG_CLOEXEC);
		/*
		 * ECONNRESET: the child closed with our "go" unread. It is
		 * reported once; what the child sent before is still queued.
		 */
	} while (n < 0 && (errno == EINTR || (errno == ECONNRESET && resets++ == 0)));
	if (n <= 0)
		return n;
	for (c = CMSG_FIRSTHDR(&mh); c != NULL; c = CMSG_NXTHDR(&mh, c)) {
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS &&
		    c->cmsg_len == CMSG_LEN(sizeof(int)) && *passed < 0)
			memcpy(passed, CMSG_DATA(c), sizeof(int));
	}
	return n;
}

int hcrun_container_release(struct hcrun_proc *proc, int *exit_code, hc_error_t **err)
{
	hc_cleanup_close int fd = proc->sync_fd, pty = -1;
	struct setup_msg m;
	int code = HCRUN_EXIT_ERROR;
	ssize_t n;

	proc->sync_fd = -1;
	if (exit_code != NULL)
		*exit_code = 0;
	if (fd < 0) {
		hc_error_set(err, EBADF, "the process was released already");
		goto fail;
	}
	/* A child that failed early is gone already; its message still waits. */
	if (send(fd, "g", 1, MSG_NOSIGNAL) < 0 && errno != EPIPE && errno != ECONNRESET) {
		hc_error_sys(err, errno, "release the container process");
		goto fail;
	}
	for (;;) {
		int passed;

		n = recv_setup(fd, &m, &passed);
		if (n > 0 && m.type == SETUP_PTY && passed >= 0 && pty < 0) {
			pty = passed;
			continue;
		}
		/* nothing else is expected to carry one */
		hc_cleanup_closep(&passed);
		break;
	}
	if (n == 0) {
		/* the exec closed the child's end */
		proc->pty_master = pty;
		pty = -1;
		return 0;
	}
	if (n < 0) {
		hc_error_sys(err, errno, "wait for the container process");
		goto fail;
	}
	if ((size_t)n <= offsetof(struct setup_msg, msg) || m.type != SETUP_ERROR) {
		hc_error_set(err, EPROTO, "the container process sent an unexpected message");
		goto fail;
	}
	memset((char *)&m + n, 0, sizeof(m) - (size_t)n);
	m.msg[sizeof(m.msg) - 1] = '\0';
	if (m.exit_code > 0 && m.exit_code < 256)
		code = m.exit_code;
	hc_error_set(err, m.errnum, "%s", m.msg);
fail:
	if (exit_code != NULL)
		*exit_code = code;
	return -1;
}

/* ---------------------------------------------------------------- exec */

static volatile sig_atomic_t forward_to;

static void forward_signal(int sig)
{
	/* Nothing to do if it fails: the command is exiting anyway. */
	if (forward_to > 0)
		(void)kill((pid_t)forward_to, sig);
}

static int forward_signals(pid_t pid, hc_error_t **err)
{
	static const int sigs[] = {SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGUSR1, SIGUSR2, SIGWINCH};
	struct sigaction sa;
	size_t i;

	forward_to = pid;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = forward_signal;
	sa.sa_flags = SA_RESTART;
	sigemptyset(&sa.sa_mask);
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
		if (sigaction(sigs[i], &sa, NULL) < 0)
			return hc_error_sys(err, errno, "forward signal %d", sigs[i]);
	}
	return 0;
}

static const struct {
	const char *name;
	int type;
} join_order[] = {
	/* mnt last: the others are opened through the host's /proc */
	{"ipc", CLONE_NEWIPC}, {"uts", CLONE_NEWUTS}, {"net", CLONE_NEWNET},
	{"pid", CLONE_NEWPID}, {"mnt", CLONE_NEWNS},
};

#define NJOIN (sizeof(join_order) / sizeof(join_order[0]))

/*
 * Kernels before 5.8 take no pidfd in setns(), and valgrind 3.19 knows no
 * pidfd at all: one namespace file at a time, each opened through procfd.
 * That directory was proved to be the init's (hcrun_proc_pin) and names it
 * and no other: once the init is gone a lookup below it fails, whatever
 * process takes the pid, so no re-check is needed after the files are open.
 */
static int join_by_files(int procfd, pid_t pid, hc_error_t **err)
{
	int fds[NJOIN];
	size_t i;
	int ret = -1;

	for (i = 0; i < NJOIN; i++)
		fds[i] = -1;
	for (i = 0; i < NJOIN; i++) {
		char path[32];

		snprintf(path, sizeof(path), "ns/%s", join_order[i].name);
		fds[i] = openat(procfd, path, O_RDONLY | O_CLOEXEC);
		if (fds[i] < 0) {
			hc_error_sys(err, errno, "open /proc/%d/%s", (int)pid, path);
			goto out;
		}
	}
	for (i = 0; i < NJOIN; i++) {
		if (setns(fds[i], join_order[i].type) < 0) {
			hc_error_sys(err, errno, "join the %s namespace", join_order[i].name);
			goto out;
		}
	}
	ret = 0;
out:
	for (i = 0; i < NJOIN; i++) {
		if (fds[i] >= 0)
			close(fds[i]);
	}
	return ret;
}

/*
 * The init is known by its pid only, which could be recycled once it is
 * gone. hcrun pinned it before the fork (hcrun_proc_pin): the pidfd and the
 * /proc/<pid> directory it hands down both name the init it recorded and no
 * other, so everything goes through them, never through the pid: the root
 * and the namespaces are the init's, or the call fails because it has exited
 * meanwhile (setns on a pidfd and lookups below procfd fail then).
 */
static int join_container(struct child_args *a, hc_error_t **err)
{
	hc_cleanup_close int rootfd = -1;
	const struct hcrun_pin *init = a->init;
	pid_t pid = init->pid;

	rootfd = openat(init->procfd, "root", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0)
		return hc_error_sys(err, errno, "open /proc/%d/root", (int)pid);
	/* Before the mount namespace changes: the cgroup tree is the host's. */
	if (a->cgroup_procs != NULL) {
		hc_cleanup_close int cg = open(a->cgroup_procs, O_WRONLY | O_CLOEXEC);
		char buf[32];
		int len;

		if (cg < 0)
			return hc_error_sys(err, errno, "open %s", a->cgroup_procs);
		len = snprintf(buf, sizeof(buf), "%d\n", (int)getpid());
		if (write(cg, buf, (size_t)len) != len)
			return hc_error_sys(err, errno, "join the memory cgroup %s",
					    a->cgroup_procs);
	}
	if (init->pidfd < 0 || setns(init->pidfd, CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC |
							  CLONE_NEWNET | CLONE_NEWPID) < 0) {
		/* EINVAL: a kernel before 5.8, whose setns() takes no pidfd. */
		if (init->pidfd >= 0 && errno != EINVAL)
			return hc_error_sys(err, errno, "join the namespaces of %d", (int)pid);
		if (join_by_files(init->procfd, pid, err) < 0)
			return -1;
	}
	/* The init's root, wherever the namespace's own root is. */
	if (fchdir(rootfd) < 0 || chroot(".") < 0 || chdir("/") < 0)
		return hc_error_sys(err, errno, "enter the container root");
	return 0;
}

static int wait_exit_code(pid_t pid)
{
	siginfo_t info;
	int status;

	/*
	 * Waited for without reaping first: until forward_to is cleared the
	 * handler may still kill(pid), and only an unreaped zombie keeps the
	 * pid from being given to another process.
	 */
	while (waitid(P_PID, (id_t)pid, &info, WEXITED | WNOWAIT) < 0) {
		if (errno != EINTR)
			break;
	}
	forward_to = 0;
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR)
			return HCRUN_EXIT_ERROR;
	}
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return HCRUN_EXIT_ERROR;
}

/*
 * setns() into a pid namespace only places the children: the middle process
 * forks the command, waits for it and exits with its status, so hcrun sees
 * the command's exit code on the pid it knows.
 */
static __attribute__((noreturn)) void exec_middle(struct child_args *a)
{
	hc_error_t *err = NULL;
	pid_t child;

	if (close(a->hcrun_fd) < 0) {
		hc_error_sys(&err, errno, "close the setup socket");
		child_fail(a->sync_fd, err, HCRUN_EXIT_ERROR);
	}
	if (reset_signals(&err) < 0 || cloexec_from_3(&err) < 0)
		child_fail(a->sync_fd, err, HCRUN_EXIT_ERROR);
	umask(022);
	/* "go" first: a failure below then never meets an unread byte. */
	if (wait_go(a->sync_fd, &err) < 0 || join_container(a, &err) < 0)
		child_fail(a->sync_fd, err, HCRUN_EXIT_ERROR);
	/* The host's handles on the init: the command never gets them, not
	 * even before its exec. Closing a pidfd or an O_PATH fd loses nothing. */
	if (a->init->pidfd >= 0)
		(void)close(a->init->pidfd);
	(void)close(a->init->procfd);
	child = fork();
	if (child < 0) {
		hc_error_sys(&err, errno, "fork into the container");
		child_fail(a->sync_fd, err, HCRUN_EXIT_ERROR);
	}
	if (child == 0) {
		if (a->tty && make_tty(a->sync_fd, &err) < 0)
			child_fail(a->sync_fd, err, HCRUN_EXIT_ERROR);
		finish_and_exec(a);
	}
	/*
	 * Our copy would hide the exec (no EOF). If closing fails, the exit
	 * status below still tells what happened.
	 */
	(void)close(a->sync_fd);
	if (forward_signals(child, &err) < 0)
		hc_error_free(&err); /* not fatal: the command runs regardless */
	_exit(wait_exit_code(child));
}

int hcrun_exec_spawn(const struct hcrun_config *cfg, const struct hcrun_pin *init,
		     const char *cgroup_procs, char *const argv[], bool user_set, uid_t uid,
		     gid_t gid, bool tty, struct hcrun_proc *proc, hc_error_t **err)
{
	hc_cleanup_close int ours = -1, theirs = -1;
	struct child_args a;
	int sv[2];
	pid_t pid;

	memset(&a, 0, sizeof(a));
	if (init->pid <= 0 || init->procfd < 0)
		return hc_error_set(err, ESRCH, "the container is not running");
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return hc_error_sys(err, errno, "socketpair");
	ours = sv[0];
	theirs = sv[1];
	a.cfg = cfg;
	a.argv = argv;
	a.user_set = user_set;
	a.uid = uid;
	a.gid = gid;
	a.tty = tty;
	a.sync_fd = theirs;
	a.hcrun_fd = ours;
	a.init = init;
	a.cgroup_procs = cgroup_procs;
	pid = fork();
	if (pid < 0)
		return hc_error_sys(err, errno, "fork");
	if (pid == 0)
		exec_middle(&a);
	proc->pid = pid;
	proc->sync_fd = ours;
	proc->pty_master = -1; /* with -t, release brings it */
	ours = -1;
	return 0;
}
