// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * tmpfs_mode: the channel's tmpfs as an engine mounts it ("mode=1777",
 * nosuid,nodev,noexec; contract section 3) is what the contract says, read
 * back from the kernel, and each flag does what it is there for:
 *  - statx: the root is a directory drwxrwxrwt (01777) owned by root:root;
 *  - statvfs f_flag has ST_NOSUID, ST_NODEV, ST_NOEXEC, not ST_RDONLY;
 *  - mountinfo (through libmount): fstype tmpfs; per-mount options rw,
 *    nosuid, nodev, noexec; superblock options size=1024k and mode 1777
 *    (tmpfs leaves mode=1777 out of mountinfo because it is its default, so
 *    "absent" and "mode=1777" both pass, anything else fails); no shared:
 *    peer group once the namespace is private;
 *  - 1777: an unprivileged user can create a file; the sticky bit keeps
 *    another unprivileged user from removing or renaming it over, while its
 *    owner can;
 *  - noexec: execve of an executable file in it fails with EACCES;
 *  - nodev: opening a device node made in it fails with EACCES.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"

#include "harness.h"
#include "hctest.h"

/* Two unprivileged uids that own nothing on a usual system. */
#define UID_A 65534
#define UID_B 65533

FIXTURE(tmpfs_mode)
{
	struct hct_sandbox sb;
	struct hct_child_report *r;
};

FIXTURE_SETUP(tmpfs_mode)
{
	char why[512];
	int ret;

	HCT_ALWAYS_TEARDOWN();
	self->r = hct_report_new();
	ASSERT_NE(NULL, self->r);
	ret = hct_sandbox_init(&self->sb, "tmpfs-mode", false, why, sizeof(why));
	if (ret == HCT_SKIP)
		SKIP(return, "%s", why);
	ASSERT_EQ(0, ret) TH_LOG("%s", why);
	ret = hct_sandbox_mount(&self->sb, MS_NOSUID | MS_NODEV | MS_NOEXEC,
				"mode=1777,size=1048576");
	ASSERT_EQ(0, ret) TH_LOG("mount tmpfs on %s: %s", self->sb.dir, strerror(-ret));
}

FIXTURE_TEARDOWN(tmpfs_mode)
{
	EXPECT_EQ(0, hct_sandbox_fini(&self->sb));
	hct_report_free(self->r);
}

TEST_F(tmpfs_mode, root_is_1777_owned_by_root)
{
	struct statx stx;

	if (_metadata->skip)
		return;
	ASSERT_EQ(0, statx(AT_FDCWD, self->sb.dir, 0,
			   STATX_TYPE | STATX_MODE | STATX_UID | STATX_GID, &stx))
	TH_LOG("statx %s: %s", self->sb.dir, strerror(errno));
	ASSERT_EQ(STATX_TYPE | STATX_MODE | STATX_UID | STATX_GID,
		  stx.stx_mask & (STATX_TYPE | STATX_MODE | STATX_UID | STATX_GID));
	EXPECT_EQ(S_IFDIR | 01777, stx.stx_mode)
	TH_LOG("mode 0%o, want 0%o (drwxrwxrwt)", stx.stx_mode, S_IFDIR | 01777);
	EXPECT_EQ(0, stx.stx_uid) TH_LOG("owner uid %u, want 0", stx.stx_uid);
	EXPECT_EQ(0, stx.stx_gid) TH_LOG("owner gid %u, want 0", stx.stx_gid);
}

TEST_F(tmpfs_mode, statvfs_flags)
{
	struct statvfs sv;

	if (_metadata->skip)
		return;
	ASSERT_EQ(0, statvfs(self->sb.dir, &sv));
	EXPECT_TRUE(sv.f_flag & ST_NOSUID) TH_LOG("f_flag 0x%lx lacks ST_NOSUID", sv.f_flag);
	EXPECT_TRUE(sv.f_flag & ST_NODEV) TH_LOG("f_flag 0x%lx lacks ST_NODEV", sv.f_flag);
	EXPECT_TRUE(sv.f_flag & ST_NOEXEC) TH_LOG("f_flag 0x%lx lacks ST_NOEXEC", sv.f_flag);
	EXPECT_FALSE(sv.f_flag & ST_RDONLY) TH_LOG("f_flag 0x%lx has ST_RDONLY", sv.f_flag);
}

TEST_F(tmpfs_mode, mountinfo_options)
{
	struct hct_mount m;
	char *mode = NULL;
	int ret;

	if (_metadata->skip)
		return;
	ret = hct_mount_lookup(self->sb.dir, &m);
	ASSERT_EQ(0, ret)
	TH_LOG("%s not in /proc/self/mountinfo: %s", self->sb.dir, strerror(-ret));
	EXPECT_STREQ("tmpfs", m.fstype);
	for (const char *const *o = (const char *const[]){"rw", "nosuid", "nodev", "noexec", NULL};
	     *o; o++) {
		/* Braces: EXPECT_* expands to two statements. */
		EXPECT_TRUE(hct_opt_has(m.vfs_options, *o, NULL))
		TH_LOG("per-mount options \"%s\" lack %s", m.vfs_options, *o);
	}
	EXPECT_TRUE(hct_opt_has(m.fs_options, "size", "1024k"))
	TH_LOG("superblock options \"%s\": want size=1024k", m.fs_options);
	if (hct_opt_has(m.fs_options, "mode", NULL)) {
		mode = strstr(m.fs_options, "mode=");
		EXPECT_TRUE(hct_opt_has(m.fs_options, "mode", "1777"))
		TH_LOG("superblock options \"%s\": mode is not 1777 (%s)", m.fs_options, mode);
	}
	EXPECT_EQ(NULL, strstr(m.optional_fields, "shared:"))
	TH_LOG("optional fields \"%s\": the mount propagates", m.optional_fields);
}

struct as_user {
	uid_t uid;
	char path[PATH_MAX];
	char other[PATH_MAX];
	enum { CREATE, UNLINK, RENAME_OVER } op;
};

/* Runs in a child: become uid, do one operation, report errno. */
static int as_user_main(void *arg, struct hct_child_report *r)
{
	struct as_user *a = arg;
	int fd, ret = 0;

	if (setresgid(a->uid, a->uid, a->uid) < 0 || setresuid(a->uid, a->uid, a->uid) < 0) {
		r->err = errno;
		r->stage = -1;
		return 1;
	}
	switch (a->op) {
	case CREATE:
		fd = open(a->path, O_WRONLY | O_CREAT | O_EXCL, 0644);
		ret = fd < 0 ? -1 : close(fd);
		break;
	case UNLINK:
		ret = unlink(a->path);
		break;
	case RENAME_OVER:
		ret = rename(a->other, a->path);
		break;
	}
	r->err = ret < 0 ? errno : 0;
	return 0;
}

static int run_as(struct hct_sandbox *sb, struct hct_child_report *r, struct as_user *a)
{
	int status;
	pid_t pid;

	memset(r, 0, sizeof(*r));
	pid = hct_sandbox_spawn(sb, NULL, as_user_main, a, r);
	if (pid < 0)
		return pid;
	if (hct_sandbox_wait(sb, pid, &status, 10000) < 0 || !WIFEXITED(status) ||
	    WEXITSTATUS(status) != 0)
		return -ECHILD;
	return r->err;
}

TEST_F(tmpfs_mode, sticky_bit_guards_other_users_files)
{
	struct as_user a = {0};
	struct stat st;
	int err;

	if (_metadata->skip)
		return;
	hct_sandbox_file(&self->sb, "owned-by-a", a.path);
	hct_sandbox_file(&self->sb, "owned-by-b", a.other);

	a.uid = UID_A;
	a.op = CREATE;
	err = run_as(&self->sb, self->r, &a);
	ASSERT_EQ(0, err)
	TH_LOG("uid %d creating %s: %s (stage %d)", UID_A, a.path, strerror(err), self->r->stage);
	ASSERT_EQ(0, stat(a.path, &st));
	EXPECT_EQ(UID_A, st.st_uid) TH_LOG("file owner %u, want %d", st.st_uid, UID_A);

	a.uid = UID_B;
	a.op = UNLINK;
	err = run_as(&self->sb, self->r, &a);
	EXPECT_EQ(EPERM, err)
	TH_LOG("uid %d removing uid %d's file: %s, want EPERM", UID_B, UID_A,
	       err ? strerror(err) : "success");

	/* Renaming over it removes it just the same: refused too. */
	{
		struct as_user b = {.uid = UID_B, .op = CREATE};

		snprintf(b.path, sizeof(b.path), "%s", a.other);
		ASSERT_EQ(0, run_as(&self->sb, self->r, &b));
	}
	a.op = RENAME_OVER;
	err = run_as(&self->sb, self->r, &a);
	EXPECT_EQ(EPERM, err)
	TH_LOG("uid %d renaming over uid %d's file: %s, want EPERM", UID_B, UID_A,
	       err ? strerror(err) : "success");

	a.uid = UID_A;
	a.op = UNLINK;
	err = run_as(&self->sb, self->r, &a);
	EXPECT_EQ(0, err) TH_LOG("owner uid %d removing its file: %s", UID_A, strerror(err));
	EXPECT_EQ(0, unlink(a.other));
}

static int exec_main(void *arg, struct hct_child_report *r)
{
	char *const argv[] = {arg, NULL};

	execv(arg, argv);
	r->err = errno;
	return 0;
}

TEST_F(tmpfs_mode, noexec_refuses_execve)
{
	static const char script[] = "#!/bin/sh\nexit 0\n";
	char path[PATH_MAX], how[64];
	int fd, status;
	pid_t pid;

	if (_metadata->skip)
		return;
	hct_sandbox_file(&self->sb, "prog", path);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0755);
	ASSERT_LE(0, fd);
	ASSERT_EQ((ssize_t)sizeof(script) - 1, write(fd, script, sizeof(script) - 1));
	ASSERT_EQ(0, close(fd));

	self->r->err = -1;
	pid = hct_sandbox_spawn(&self->sb, NULL, exec_main, path, self->r);
	ASSERT_LT(0, pid);
	ASSERT_EQ(0, hct_sandbox_wait(&self->sb, pid, &status, 10000));
	/* A script that ran exits 0 without touching the report: err stays -1. */
	EXPECT_EQ(EACCES, self->r->err)
	TH_LOG("execve of a 0755 file: %s, child %s; want EACCES",
	       self->r->err < 0 ? "it ran" : strerror(self->r->err),
	       hct_wstatus_str(status, how, sizeof(how)));
}

TEST_F(tmpfs_mode, nodev_refuses_device_open)
{
	char path[PATH_MAX];
	int fd;

	if (_metadata->skip)
		return;
	hct_sandbox_file(&self->sb, "null", path);
	/* Making the node is allowed; using it is what nodev forbids. */
	ASSERT_EQ(0, mknod(path, S_IFCHR | 0666, makedev(1, 3)))
	TH_LOG("mknod: %s", strerror(errno));
	fd = open(path, O_RDWR);
	EXPECT_EQ(-1, fd) TH_LOG("a char device opened on a nodev mount");
	EXPECT_EQ(EACCES, errno)
	TH_LOG("open of /dev/null's twin: %s, want EACCES", strerror(errno));
	if (fd >= 0)
		close(fd);
	EXPECT_EQ(0, unlink(path));
}

HCT_HARNESS_MAIN
