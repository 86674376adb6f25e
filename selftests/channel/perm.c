// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * channel/perm: who may do what in the channel, through the engine
 * (contract section 3.3: the root of the tmpfs is 1777 and root's, so that
 * any host user can use it while the sticky bit stops one user deleting
 * another's files; the host tmpfs is nosuid, nodev and noexec).
 *
 *  - the root of the channel is 01777 root:root, on the host (statx on the
 *    host path once started) and in the container (hc-probe stat:
 *    mode=41777 uid=0 gid=0);
 *  - a non-root host user (nobody, 65534: a forked child of the test drops
 *    to it) creates a file the container reads byte for byte;
 *  - a non-root container user (uid 1000, driver exec --user) writes a
 *    file the host reads: owner 1000, same bytes;
 *  - the sticky bit: uid 1000 in the container can neither remove nor
 *    rename a file that nobody (65534) created from the host, while nobody
 *    itself, in the container, can remove it (numeric uids need no passwd
 *    entry);
 *  - noexec: an executable copied into the channel (hc-probe, static)
 *    cannot be run, neither from the host (execve: EACCES) nor in the
 *    container (exec status 126);
 *  - nodev: a device node made there (mknod char 1:3, /dev/null) cannot be
 *    opened, from the host (EACCES) nor from the container;
 *  - nosuid: statvfs of the host path has ST_NOSUID (with noexec there is
 *    no running a set-uid binary there to watch it keep its uid).
 *
 * perm_mode: the flags and the host's propagation for every mode (rw, ro,
 * empty, omitted, rw,rshared, ro,rslave), each property checked twice by
 * independent means (contract sections 3.1, 3.3, 3.4):
 *  - the host's mount: rw, nosuid, nodev, noexec in the host's mountinfo
 *    (statvfs and behaviour above); private, with no tag in the host's
 *    mountinfo, and in behaviour: a tmpfs mounted below the host path in a
 *    mount namespace cloned from the host's (a peer of a shared tmpfs)
 *    shows on the host neither in its mountinfo nor as a new device;
 *  - the container's bind: rw or ro as asked, nosuid, nodev, noexec, read
 *    in its mountinfo both by cat inside and by the host in
 *    /proc/PID/mountinfo, and in statvfs f_flag through /proc/PID/root
 *    (which walks the container's mounts); in behaviour, an executable the
 *    host puts there cannot be run in the container (exec status 126) and
 *    a device node the host makes there cannot be read in it (EACCES).
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <inttypes.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"

#include "channel.h"
#include "harness.h"

#define NOBODY	   65534
#define CTR_USER   1000 /* "user" in the rootfs */
#define DATA_BYTES 70001

FIXTURE(perm)
{
	struct hch_box b;
	struct hct_child_report *report;
	struct hch_run r;
};

FIXTURE_SETUP(perm)
{
	char why[512];
	int ret;

	HCT_ALWAYS_TEARDOWN();
	self->report = hct_report_new();
	ASSERT_NE(NULL, self->report);
	ret = hch_box_init(&self->b, "perm", why, sizeof(why));
	if (ret == HCT_SKIP)
		SKIP(return, "%s", why);
	ASSERT_EQ(0, ret) TH_LOG("%s", why);
	/* mkdtemp made it 0700: nobody must reach the channel inside. */
	ASSERT_EQ(0, chmod(self->b.scratch, 0755))
	TH_LOG("chmod %s: %s", self->b.scratch, strerror(errno));
	ret = hch_create(&self->r, &self->b, NULL, ":" HCH_CTR ":rw:8M");
	ASSERT_EQ(0, ret)
	TH_LOG("create --host-channel \"%s\": status %d; stderr: %s", self->b.spec, ret,
	       self->r.o.err);
	ret = hch_run(&self->r, "start", self->b.name, NULL);
	ASSERT_EQ(0, ret) TH_LOG("start: status %d; stderr: %s", ret, self->r.o.err);
}

FIXTURE_TEARDOWN(perm)
{
	HCT_TEARDOWN_BEGIN();
	/* Contract section 3: delete removes the host path it created. */
	EXPECT_EQ(0, hch_box_delete(&self->b));
	EXPECT_EQ(0, hch_box_fini(&self->b));
	if (self->report != NULL)
		hct_report_free(self->report);
}

struct as_nobody {
	const char *path;
	uint64_t len;
	uint64_t seed;
};

/* In a child: become nobody, create the file of the pattern. */
static int write_as_nobody(void *arg, struct hct_child_report *r)
{
	struct as_nobody *a = arg;
	int ret;

	if (setgroups(0, NULL) < 0 || setresgid(NOBODY, NOBODY, NOBODY) < 0 ||
	    setresuid(NOBODY, NOBODY, NOBODY) < 0) {
		r->err = errno;
		r->stage = 1;
		return 1;
	}
	ret = hch_write_pattern(a->path, a->len, a->seed);
	r->err = -ret;
	r->stage = 2;
	r->bytes = ret == 0 ? a->len : 0;
	return 0;
}

/* nobody creates name in the channel from the host; its sum into *sum. */
static void host_nobody_creates(struct __test_metadata *_metadata, FIXTURE_DATA(perm) * self,
				const char *name, uint64_t *sum)
{
	char path[2 * PATH_MAX];
	struct as_nobody a;
	struct stat st;
	int status;
	pid_t pid;

	*sum = hch_pattern_sum(11, DATA_BYTES);
	snprintf(path, sizeof(path), "%s/%s", self->b.host, name);
	a = (struct as_nobody){.path = path, .len = DATA_BYTES, .seed = 11};
	memset(self->report, 0, sizeof(*self->report));
	pid = hct_spawn(NULL, NULL, write_as_nobody, &a, self->report);
	ASSERT_LT(0, pid) TH_LOG("fork: %s", strerror(-pid));
	ASSERT_EQ(0, hct_wait(pid, &status, 10000));
	ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
	TH_LOG("becoming uid %d: %s (stage %d)", NOBODY, strerror(self->report->err),
	       self->report->stage);
	ASSERT_EQ(0, self->report->err)
	TH_LOG("uid %d creating %s in the 1777 channel: %s (contract section 3)", NOBODY, path,
	       strerror(self->report->err));
	ASSERT_EQ(0, lstat(path, &st));
	ASSERT_EQ(NOBODY, st.st_uid) TH_LOG("%s is owned by %u, want %d", path, st.st_uid, NOBODY);
}

TEST_F(perm, host_root_1777_owned_by_root)
{
	struct statx stx;

	if (_metadata->skip)
		return;
	ASSERT_EQ(0, statx(AT_FDCWD, self->b.host, AT_SYMLINK_NOFOLLOW,
			   STATX_TYPE | STATX_MODE | STATX_UID | STATX_GID, &stx))
	TH_LOG("statx %s: %s", self->b.host, strerror(errno));
	EXPECT_EQ(S_IFDIR | 01777, stx.stx_mode)
	TH_LOG("host path %s: mode 0%o, want 041777 (drwxrwxrwt, contract section 3)", self->b.host,
	       stx.stx_mode);
	EXPECT_EQ(0, stx.stx_uid) TH_LOG("host path owner uid %u, want 0", stx.stx_uid);
	EXPECT_EQ(0, stx.stx_gid) TH_LOG("host path owner gid %u, want 0", stx.stx_gid);
}

TEST_F(perm, container_root_1777_owned_by_root)
{
	struct hch_stat cs;
	int ret;

	if (_metadata->skip)
		return;
	ret = hch_probe_stat(&self->r, self->b.name, -1, HCH_CTR, &cs);
	ASSERT_EQ(0, ret) TH_LOG("hc-probe stat: %d; %s %s", ret, self->r.o.out, self->r.o.err);
	EXPECT_EQ(041777, cs.mode)
	TH_LOG("in the container: mode %" PRIo64 ", want 41777 (contract section 3)", cs.mode);
	EXPECT_EQ(0, cs.uid) TH_LOG("in the container: uid %" PRIu64 ", want 0", cs.uid);
	EXPECT_EQ(0, cs.gid) TH_LOG("in the container: gid %" PRIu64 ", want 0", cs.gid);
}

TEST_F(perm, host_nobody_file_read_in_container)
{
	struct hch_box *b = &self->b;
	struct hch_run *r = &self->r;
	uint64_t want_sum = 0, bytes = 0, sum = 0;
	int ret;

	if (_metadata->skip)
		return;
	host_nobody_creates(_metadata, self, "from-nobody", &want_sum);
	ret = hch_probe(r, b->name, -1, "read", HCH_CTR "/from-nobody", NULL);
	ASSERT_EQ(0, ret) TH_LOG("hc-probe read: %d; %s %s", ret, r->o.out, r->o.err);
	ASSERT_EQ(0, hch_kv_u64(r->o.out, "bytes", 10, &bytes)) TH_LOG("%s", r->o.out);
	ASSERT_EQ(0, hch_kv_u64(r->o.out, "sum", 16, &sum)) TH_LOG("%s", r->o.out);
	EXPECT_EQ(DATA_BYTES, bytes)
	TH_LOG("the container reads %" PRIu64 " bytes, want %d", bytes, DATA_BYTES);
	EXPECT_EQ(want_sum, sum)
	TH_LOG("the container reads sum %016" PRIx64 ", nobody wrote %016" PRIx64, sum, want_sum);
}

TEST_F(perm, container_user_file_read_on_host)
{
	struct hch_box *b = &self->b;
	struct hch_run *r = &self->r;
	uint64_t bytes = 0, sum = 0, hbytes = 0, hsum = 0, bad;
	char path[2 * PATH_MAX], size[16];
	struct stat st;
	int ret;

	if (_metadata->skip)
		return;
	snprintf(size, sizeof(size), "%d", DATA_BYTES);
	ret = hch_probe(r, b->name, CTR_USER, "write", HCH_CTR "/from-user", size, "5", NULL);
	ASSERT_EQ(0, ret)
	TH_LOG("uid %d in the container writing the channel: %d; %s %s", CTR_USER, ret, r->o.out,
	       r->o.err);
	ASSERT_EQ(0, hch_kv_u64(r->o.out, "bytes", 10, &bytes)) TH_LOG("%s", r->o.out);
	ASSERT_EQ(0, hch_kv_u64(r->o.out, "sum", 16, &sum)) TH_LOG("%s", r->o.out);

	snprintf(path, sizeof(path), "%s/from-user", b->host);
	ASSERT_EQ(0, lstat(path, &st)) TH_LOG("lstat %s: %s", path, strerror(errno));
	EXPECT_EQ(CTR_USER, st.st_uid)
	TH_LOG("the host sees owner %u, want %d", st.st_uid, CTR_USER);
	EXPECT_EQ(CTR_USER, st.st_gid)
	TH_LOG("the host sees group %u, want %d", st.st_gid, CTR_USER);
	/* The host's own read and sum; where it differs from the pattern is not asked. */
	ret = hch_check_pattern(path, bytes, 5, &hbytes, &bad, &hsum);
	ASSERT_LE(0, ret) TH_LOG("host reading %s: %s", path, strerror(-ret));
	EXPECT_EQ(bytes, hbytes)
	TH_LOG("host reads %" PRIu64 " bytes, uid %d wrote %" PRIu64, hbytes, CTR_USER, bytes);
	EXPECT_EQ(sum, hsum)
	TH_LOG("host reads sum %016" PRIx64 ", uid %d wrote %016" PRIx64, hsum, CTR_USER, sum);
}

/* uid 1000 in the container tries op on nobody's file: EPERM, and the file stays. */
static void sticky_refuses(struct __test_metadata *_metadata, FIXTURE_DATA(perm) * self,
			   const char *op)
{
	struct hch_box *b = &self->b;
	struct hch_run *r = &self->r;
	char path[2 * PATH_MAX];
	uint64_t sum;
	struct stat st;
	int ret;

	host_nobody_creates(_metadata, self, "owned-by-nobody", &sum);
	ret = hch_probe(r, b->name, CTR_USER, "try", op, HCH_CTR "/owned-by-nobody", NULL);
	EXPECT_EQ(1, ret)
	TH_LOG("uid %d: try %s on uid %d's file: status %d, want 1 (the sticky "
	       "bit, contract section 3); stdout: %s stderr: %s",
	       CTR_USER, op, NOBODY, ret, r->o.out, r->o.err);
	EXPECT_NE(NULL, strstr(r->o.err, "errno=EPERM"))
	TH_LOG("uid %d: try %s on uid %d's file: \"%s\", want errno=EPERM", CTR_USER, op, NOBODY,
	       r->o.err);
	snprintf(path, sizeof(path), "%s/owned-by-nobody", b->host);
	EXPECT_EQ(0, lstat(path, &st))
	TH_LOG("after uid %d's try %s, %s is gone: %s", CTR_USER, op, path, strerror(errno));
}

TEST_F(perm, sticky_other_user_cannot_unlink)
{
	if (_metadata->skip)
		return;
	sticky_refuses(_metadata, self, "unlink");
}

TEST_F(perm, sticky_other_user_cannot_rename)
{
	if (_metadata->skip)
		return;
	sticky_refuses(_metadata, self, "rename");
}

TEST_F(perm, sticky_owner_can_unlink)
{
	struct hch_box *b = &self->b;
	struct hch_run *r = &self->r;
	char path[2 * PATH_MAX];
	uint64_t sum;
	struct stat st;
	int ret;

	if (_metadata->skip)
		return;
	host_nobody_creates(_metadata, self, "owned-by-nobody", &sum);
	ret = hch_probe(r, b->name, NOBODY, "try", "unlink", HCH_CTR "/owned-by-nobody", NULL);
	EXPECT_EQ(0, ret)
	TH_LOG("uid %d in the container removing its own file: status %d; "
	       "stdout: %s stderr: %s",
	       NOBODY, ret, r->o.out, r->o.err);
	snprintf(path, sizeof(path), "%s/owned-by-nobody", b->host);
	EXPECT_EQ(-1, lstat(path, &st))
	TH_LOG("the owner removed %s but the host still sees it", path);
	EXPECT_EQ(ENOENT, errno);
}

TEST_F(perm, noexec_executable_refused_host_and_container)
{
	struct hch_box *b = &self->b;
	struct hch_run *r = &self->r;
	char path[2 * PATH_MAX], cmd[PATH_MAX + 64], st_buf[64];
	int ret, status;
	pid_t pid;

	if (_metadata->skip)
		return;
	/* The container's own static hc-probe, copied in: runnable anywhere but here. */
	snprintf(cmd, sizeof(cmd), "cp %s " HCH_CTR "/probe && chmod 0755 " HCH_CTR "/probe",
		 hch_probe_path());
	ret = hch_exec(r, b->name, -1, "/bin/sh", "-c", cmd, NULL);
	ASSERT_EQ(0, ret) TH_LOG("%s: status %d; %s", cmd, ret, r->o.err);

	snprintf(path, sizeof(path), "%s/probe", b->host);
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		char *const argv[] = {path, "id", NULL};
		int null = open("/dev/null", O_WRONLY);

		if (null >= 0)
			dup2(null, 1);
		execv(path, argv);
		_exit(errno & 0xff);
	}
	ASSERT_EQ(0, hct_wait(pid, &status, 10000));
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == EACCES)
	TH_LOG("execve of %s on the noexec channel: %s, want exit %d (EACCES; contract section 3)",
	       path, hct_wstatus_str(status, st_buf, sizeof(st_buf)), EACCES);

	ret = hch_exec(r, b->name, -1, HCH_CTR "/probe", "id", NULL);
	EXPECT_EQ(126, ret)
	TH_LOG("running " HCH_CTR "/probe in the container: status %d, want "
	       "126 (cannot be run); stdout: %s stderr: %s",
	       ret, r->o.out, r->o.err);
}

TEST_F(perm, nodev_device_node_cannot_be_opened)
{
	struct hch_box *b = &self->b;
	struct hch_run *r = &self->r;
	char path[2 * PATH_MAX];
	int fd, ret;

	if (_metadata->skip)
		return;
	snprintf(path, sizeof(path), "%s/null", b->host);
	ASSERT_EQ(0, mknod(path, S_IFCHR | 0666, makedev(1, 3)))
	TH_LOG("mknod %s c 1 3: %s", path, strerror(errno));
	fd = open(path, O_RDWR);
	EXPECT_EQ(-1, fd) TH_LOG("opened the device node %s on the nodev channel", path);
	EXPECT_EQ(EACCES, errno)
	TH_LOG("open %s: %s, want EACCES (nodev, contract section 3)", path, strerror(errno));
	if (fd >= 0)
		close(fd);

	ret = hch_probe(r, b->name, -1, "read", HCH_CTR "/null", NULL);
	EXPECT_EQ(1, ret)
	TH_LOG("the container reading the device node: status %d, want 1; "
	       "stdout: %s stderr: %s",
	       ret, r->o.out, r->o.err);
	EXPECT_NE(NULL, strstr(r->o.err, "errno=EACCES"))
	TH_LOG("the container reading the device node: \"%s\", want errno=EACCES", r->o.err);
}

TEST_F(perm, nosuid_in_statvfs)
{
	struct statvfs sv;

	if (_metadata->skip)
		return;
	ASSERT_EQ(0, statvfs(self->b.host, &sv))
	TH_LOG("statvfs %s: %s", self->b.host, strerror(errno));
	EXPECT_TRUE(sv.f_flag & ST_NOSUID)
	TH_LOG("f_flag 0x%lx lacks ST_NOSUID (contract section 3)", sv.f_flag);
	EXPECT_TRUE(sv.f_flag & ST_NODEV) TH_LOG("f_flag 0x%lx lacks ST_NODEV", sv.f_flag);
	EXPECT_TRUE(sv.f_flag & ST_NOEXEC) TH_LOG("f_flag 0x%lx lacks ST_NOEXEC", sv.f_flag);
	EXPECT_FALSE(sv.f_flag & ST_RDONLY) TH_LOG("f_flag 0x%lx has ST_RDONLY", sv.f_flag);
}

/* ------------------------------------------ flags and propagation, every mode */

/* The source of the tmpfs the test mounts below the host path: found later by it. */
#define SRC_CLONE "hct-clone-sub"

FIXTURE(perm_mode)
{
	struct hch_box b;
	struct hch_run r;
	struct hct_child_report *report;
	pid_t pid;		 /* the container's init, from the driver */
	char in_root[PATH_MAX];	 /* /proc/PID/root/mnt/ch: the container's bind */
	char sub[PATH_MAX + 32]; /* b.host/sub */
};

FIXTURE_VARIANT(perm_mode)
{
	const char *mode; /* the mode field; NULL: omitted (two fields, 64M) */
	bool ro;
	bool defaults; /* a form only the documented contract accepts (section 2.1) */
};

FIXTURE_VARIANT_ADD(perm_mode, rw){.mode = "rw"};
FIXTURE_VARIANT_ADD(perm_mode, ro){.mode = "ro", .ro = true};
FIXTURE_VARIANT_ADD(perm_mode, empty){.mode = "", .defaults = true};
FIXTURE_VARIANT_ADD(perm_mode, omitted){.defaults = true};
/* A propagation word is the container's: the host's tmpfs stays private. */
FIXTURE_VARIANT_ADD(perm_mode, rw_rshared){.mode = "rw,rshared"};
FIXTURE_VARIANT_ADD(perm_mode, ro_rslave){.mode = "ro,rslave", .ro = true};

FIXTURE_SETUP(perm_mode)
{
	char why[512], tail[64], defaults[64] = "";
	int ret;

	HCT_ALWAYS_TEARDOWN();
	self->report = hct_report_new();
	ASSERT_NE(NULL, self->report);
	ret = hch_box_init(&self->b, "perm-mode", why, sizeof(why));
	if (ret == HCT_SKIP)
		SKIP(return, "%s", why);
	ASSERT_EQ(0, ret) TH_LOG("%s", why);
	if (variant->mode)
		snprintf(tail, sizeof(tail), ":" HCH_CTR ":%s:1M", variant->mode);
	else
		snprintf(tail, sizeof(tail), ":" HCH_CTR);
	ret = hch_create(&self->r, &self->b, NULL, tail);
	if (ret != 0 && variant->defaults)
		hct_engine_info("defaults", defaults, sizeof(defaults));
	ASSERT_EQ(0, ret)
	TH_LOG("create --host-channel \"%s\": status %d%s%s%s; stderr: %s", self->b.spec, ret,
	       variant->defaults ? " (contract section 2.1 accepts an empty or omitted mode as "
				   "rw; the driver says defaults="
				 : "",
	       variant->defaults ? (defaults[0] ? defaults : "(none)") : "",
	       variant->defaults ? ")" : "", self->r.o.err);
	ret = hch_run(&self->r, "start", self->b.name, NULL);
	ASSERT_EQ(0, ret) TH_LOG("start: status %d; stderr: %s", ret, self->r.o.err);
	self->pid = hct_engine_pid(self->b.name);
	ASSERT_LT(0, self->pid) TH_LOG("the driver's pid %s: %d", self->b.name, (int)self->pid);
	snprintf(self->in_root, sizeof(self->in_root), "/proc/%d/root" HCH_CTR, (int)self->pid);
	snprintf(self->sub, sizeof(self->sub), "%s/sub", self->b.host);
}

FIXTURE_TEARDOWN(perm_mode)
{
	struct hct_mount m;

	HCT_TEARDOWN_BEGIN();
	/* A tmpfs of the test's that reached the host: take it down before delete. */
	for (int i = 0; i < 4 && self->sub[0] != '\0' && hct_mount_lookup(self->sub, &m) == 0 &&
			strcmp(m.fstype, "tmpfs") == 0 && strcmp(m.source, SRC_CLONE) == 0;
	     i++)
		umount2(self->sub, MNT_DETACH);
	/* Contract section 3: delete removes the host path it created. */
	EXPECT_EQ(0, hch_box_delete(&self->b));
	EXPECT_EQ(0, hch_box_fini(&self->b));
	if (self->report != NULL)
		hct_report_free(self->report);
}

/* The device of path, or 0 when it cannot be stat'ed. */
static dev_t dev_of(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 ? st.st_dev : 0;
}

/* The mode as the messages name it. */
static const char *mode_name(const FIXTURE_VARIANT(perm_mode) * v)
{
	return v->mode == NULL ? "(omitted)" : v->mode[0] == '\0' ? "(empty)" : v->mode;
}

TEST_F(perm_mode, host_mount_rw_nosuid_nodev_noexec)
{
	struct hct_mount m;
	int ret;

	if (_metadata->skip)
		return;
	ret = hct_mount_lookup(self->b.host, &m);
	ASSERT_EQ(0, ret) TH_LOG("nothing mounted at %s: %s", self->b.host, strerror(-ret));
	EXPECT_STREQ("tmpfs", m.fstype);
	for (const char *const *o = (const char *const[]){"rw", "nosuid", "nodev", "noexec", NULL};
	     *o; o++) {
		EXPECT_TRUE(hct_opt_has(m.vfs_options, *o, NULL))
		TH_LOG("mode %s: the host's mount options \"%s\" lack %s (contract sections 3.1 "
		       "and 3.3; ro is the container's only)",
		       mode_name(variant), m.vfs_options, *o);
	}
}

TEST_F(perm_mode, host_mount_private_in_mountinfo)
{
	struct hct_mount m;
	int ret;

	if (_metadata->skip)
		return;
	ret = hct_mount_lookup(self->b.host, &m);
	ASSERT_EQ(0, ret) TH_LOG("nothing mounted at %s: %s", self->b.host, strerror(-ret));
	EXPECT_STREQ("", m.optional_fields)
	TH_LOG("mode %s: the host's mountinfo tags the channel \"%s\", want no tag (contract "
	       "section 3.4: the host's tmpfs is always private)",
	       mode_name(variant), m.optional_fields);
}

/* In a child: a mount namespace cloned from the host's, and a tmpfs at arg in it. */
static int mount_in_clone(void *arg, struct hct_child_report *rep)
{
	rep->stage = 1;
	if (unshare(CLONE_NEWNS) < 0)
		goto fail;
	rep->stage = 2;
	if (mount(SRC_CLONE, arg, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "size=4k") < 0)
		goto fail;
	return 0;
fail:
	rep->err = errno;
	return 1;
}

TEST_F(perm_mode, host_mount_private_in_behaviour)
{
	char st_buf[64];
	struct hct_mount m;
	dev_t chan_dev;
	int ret, status;
	pid_t pid;

	if (_metadata->skip)
		return;
	ASSERT_EQ(0, mkdir(self->sub, 0755)) TH_LOG("mkdir %s: %s", self->sub, strerror(errno));
	chan_dev = dev_of(self->b.host);
	/*
	 * A namespace cloned from the host's holds a copy of the channel's
	 * tmpfs: a peer of it if the tmpfs is shared, so that a mount below it
	 * there lands on the host too, and stays after the clone is gone.
	 */
	memset(self->report, 0, sizeof(*self->report));
	pid = hct_spawn(NULL, NULL, mount_in_clone, self->sub, self->report);
	ASSERT_LT(0, pid) TH_LOG("fork: %s", strerror(-pid));
	ASSERT_EQ(0, hct_wait(pid, &status, 10000));
	ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
	TH_LOG("mount at %s in a cloned namespace: %s, %s (stage %d)", self->sub,
	       hct_wstatus_str(status, st_buf, sizeof(st_buf)), strerror(self->report->err),
	       self->report->stage);

	ret = hct_mount_lookup(self->sub, &m);
	EXPECT_EQ(-ENOENT, ret)
	TH_LOG("mode %s: a tmpfs mounted at %s in a namespace cloned from the host's shows on the "
	       "host (source %s, fields \"%s\"): the channel propagates (contract section 3.4: "
	       "private)",
	       mode_name(variant), self->sub, ret == 0 ? m.source : "-",
	       ret == 0 ? m.optional_fields : "-");
	EXPECT_EQ(chan_dev, dev_of(self->sub))
	TH_LOG("mode %s: %s is on device %#jx, the channel is %#jx (contract section 3.4)",
	       mode_name(variant), self->sub, (uintmax_t)dev_of(self->sub), (uintmax_t)chan_dev);
}

/* The flags contract section 3.3 asks of the container's bind, in one mountinfo entry. */
static void expect_ctr_flags(struct __test_metadata *_metadata,
			     const FIXTURE_VARIANT(perm_mode) * variant, const struct hct_mount *m,
			     const char *where)
{
	EXPECT_STREQ("tmpfs", m->fstype) TH_LOG("%s: %s", where, m->fstype);
	for (const char *const *o = (const char *const[]){variant->ro ? "ro" : "rw", "nosuid",
							  "nodev", "noexec", NULL};
	     *o; o++) {
		EXPECT_TRUE(hct_opt_has(m->vfs_options, *o, NULL))
		TH_LOG("mode %s: the container's bind has \"%s\" in %s, lacking %s (contract "
		       "section 3.3: the bind carries nosuid,nodev,noexec too)",
		       mode_name(variant), m->vfs_options, where, *o);
	}
}

TEST_F(perm_mode, container_mount_nosuid_nodev_noexec_in_mountinfo)
{
	struct hct_mount m;
	int ret;

	if (_metadata->skip)
		return;
	ret = hch_ctr_mount(&self->r, self->b.name, HCH_CTR, &m);
	ASSERT_EQ(0, ret)
	TH_LOG("%s in the container's mountinfo: %s; %s", HCH_CTR, strerror(-ret),
	       hch_log(&self->r));
	expect_ctr_flags(_metadata, variant, &m, "the container's own mountinfo");
	ret = hch_pid_mount(self->pid, HCH_CTR, &m);
	ASSERT_EQ(0, ret)
	TH_LOG("%s in /proc/%d/mountinfo: %s", HCH_CTR, self->pid, strerror(-ret));
	expect_ctr_flags(_metadata, variant, &m, "/proc/PID/mountinfo");
}

TEST_F(perm_mode, container_mount_nosuid_nodev_noexec_in_statvfs)
{
	struct statvfs sv;

	if (_metadata->skip)
		return;
	/* The path through /proc/PID/root walks the container's own mounts. */
	ASSERT_EQ(dev_of(self->b.host), dev_of(self->in_root))
	TH_LOG("%s is not the channel (device %#jx, the host path's %#jx)", self->in_root,
	       (uintmax_t)dev_of(self->in_root), (uintmax_t)dev_of(self->b.host));
	ASSERT_EQ(0, statvfs(self->in_root, &sv))
	TH_LOG("statvfs %s: %s", self->in_root, strerror(errno));
	EXPECT_TRUE(sv.f_flag & ST_NOSUID)
	TH_LOG("mode %s: the container's bind: f_flag 0x%lx lacks ST_NOSUID (contract section 3.3)",
	       mode_name(variant), sv.f_flag);
	EXPECT_TRUE(sv.f_flag & ST_NODEV)
	TH_LOG("mode %s: the container's bind: f_flag 0x%lx lacks ST_NODEV (contract section 3.3)",
	       mode_name(variant), sv.f_flag);
	EXPECT_TRUE(sv.f_flag & ST_NOEXEC)
	TH_LOG("mode %s: the container's bind: f_flag 0x%lx lacks ST_NOEXEC (contract section 3.3)",
	       mode_name(variant), sv.f_flag);
	EXPECT_EQ(variant->ro, !!(sv.f_flag & ST_RDONLY))
	TH_LOG("mode %s: the container's bind: f_flag 0x%lx, ST_RDONLY want %d (contract section "
	       "3.4)",
	       mode_name(variant), sv.f_flag, variant->ro);
}

/* Copy an executable, 0755 whatever the umask; 0 or -errno. */
static int copy_exec(const char *from, const char *to)
{
	char buf[65536];
	int in, out, ret = 0;
	ssize_t n;

	in = open(from, O_RDONLY | O_CLOEXEC);
	if (in < 0)
		return -errno;
	out = open(to, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0755);
	if (out < 0) {
		ret = -errno;
		close(in);
		return ret;
	}
	while ((n = read(in, buf, sizeof(buf))) > 0) {
		if (write(out, buf, (size_t)n) != n) {
			ret = errno ? -errno : -EIO;
			break;
		}
	}
	if (n < 0)
		ret = -errno;
	if (ret == 0 && fchmod(out, 0755) < 0)
		ret = -errno;
	if (close(out) < 0 && ret == 0)
		ret = -errno;
	close(in);
	return ret;
}

TEST_F(perm_mode, container_cannot_exec)
{
	char from[PATH_MAX + 64], to[2 * PATH_MAX];
	int ret;

	if (_metadata->skip)
		return;
	/* The container's own static hc-probe, put there by the host: the host's mount is rw. */
	snprintf(from, sizeof(from), "/proc/%d/root%s", (int)self->pid, hch_probe_path());
	snprintf(to, sizeof(to), "%s/probe", self->b.host);
	ret = copy_exec(from, to);
	ASSERT_EQ(0, ret) TH_LOG("copying %s to %s: %s", from, to, strerror(-ret));
	ret = hch_exec(&self->r, self->b.name, -1, HCH_CTR "/probe", "id", NULL);
	EXPECT_EQ(126, ret)
	TH_LOG("mode %s: running " HCH_CTR "/probe in the container: status %d, want 126 (noexec, "
	       "contract section 3.3); stdout: %s stderr: %s",
	       mode_name(variant), ret, self->r.o.out, self->r.o.err);
}

TEST_F(perm_mode, container_cannot_open_device)
{
	char path[2 * PATH_MAX];
	int ret;

	if (_metadata->skip)
		return;
	snprintf(path, sizeof(path), "%s/null", self->b.host);
	ASSERT_EQ(0, mknod(path, S_IFCHR | 0666, makedev(1, 3)))
	TH_LOG("mknod %s c 1 3: %s", path, strerror(errno));
	ret = hch_probe(&self->r, self->b.name, -1, "read", HCH_CTR "/null", NULL);
	EXPECT_EQ(1, ret)
	TH_LOG("mode %s: the container reading the device node: status %d, want 1 (nodev, "
	       "contract section 3.3); stdout: %s stderr: %s",
	       mode_name(variant), ret, self->r.o.out, self->r.o.err);
	EXPECT_NE(NULL, strstr(self->r.o.err, "errno=EACCES"))
	TH_LOG("mode %s: the container reading the device node: \"%s\", want errno=EACCES",
	       mode_name(variant), self->r.o.err);
}

HCT_HARNESS_MAIN
