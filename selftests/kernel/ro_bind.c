// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * ro_bind: what "ro" rests on (contract section 3): a read-only bind mount
 * of the channel's tmpfs, as an engine binds it into the container, refuses
 * every change with EROFS, while the host side stays writable and both
 * sides see the same bytes; and a process without CAP_SYS_ADMIN cannot make
 * the bind writable again.
 *
 * Layout, in a private mount namespace:
 *   src  tmpfs mode=1777,size=8M, nosuid,nodev,noexec   (the host side)
 *   dst  bind of src (MS_BIND|MS_REC), then remounted MS_RDONLY (the
 *        container side); src holds "existing" (1 MiB + 123 random bytes)
 *        and the directory "subdir" before the remount.
 *
 *  - through dst, each of: open(O_CREAT), open(O_WRONLY) and open(O_RDWR)
 *    of an existing file, O_TRUNC, unlink, mkdir, rmdir, mkfifo, rename,
 *    link, symlink, truncate, chmod, chown, utimensat fails with EROFS, and
 *    src is unchanged afterwards;
 *  - src stays writable; what src writes, dst reads byte for byte, through
 *    read(2) and through a MAP_SHARED mapping (the same page, no copy);
 *    both show the same inode on the same device;
 *  - a child that dropped CAP_SYS_ADMIN gets EPERM from a remount of dst
 *    read-write (and from unmounting it), and dst stays read-only; the same
 *    remount with the capability succeeds, so EPERM came from the missing
 *    capability and not from something else.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/capability.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"

#include "harness.h"
#include "hctest.h"

#define EXISTING_SIZE (HCT_MiB + 123)

FIXTURE(ro_bind)
{
	struct hct_sandbox sb; /* sb.dir is src */
	char dst[PATH_MAX];
	bool dst_mounted;
	char src_file[PATH_MAX], dst_file[PATH_MAX];
	unsigned char *data;
	struct hct_child_report *r;
};

static int write_all(const char *path, const void *buf, size_t len, int flags)
{
	int fd = open(path, O_WRONLY | O_CREAT | flags, 0644);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, buf, len);
	if (n != (ssize_t)len) {
		n = n < 0 ? -errno : -EIO;
		close(fd);
		return n;
	}
	return close(fd) < 0 ? -errno : 0;
}

/* The whole file, or NULL; *len is its size. */
static unsigned char *read_all(const char *path, size_t *len)
{
	struct stat st;
	unsigned char *buf;
	ssize_t n;
	int fd = open(path, O_RDONLY);

	if (fd < 0)
		return NULL;
	if (fstat(fd, &st) < 0 || !(buf = malloc(st.st_size + 1))) {
		close(fd);
		return NULL;
	}
	n = read(fd, buf, st.st_size + 1);
	close(fd);
	if (n != st.st_size) {
		free(buf);
		return NULL;
	}
	*len = n;
	return buf;
}

static void in_dst(FIXTURE_DATA(ro_bind) * self, const char *name, char *path)
{
	if (snprintf(path, PATH_MAX, "%s/%s", self->dst, name) >= PATH_MAX)
		path[0] = '\0';
}

FIXTURE_SETUP(ro_bind)
{
	char why[512];
	int ret;

	HCT_ALWAYS_TEARDOWN();
	self->r = hct_report_new();
	ASSERT_NE(NULL, self->r);
	self->data = malloc(EXISTING_SIZE);
	ASSERT_NE(NULL, self->data);
	ASSERT_EQ(EXISTING_SIZE, getrandom(self->data, EXISTING_SIZE, 0));

	ret = hct_sandbox_init(&self->sb, "ro-src", false, why, sizeof(why));
	if (ret == HCT_SKIP)
		SKIP(return, "%s", why);
	ASSERT_EQ(0, ret) TH_LOG("%s", why);
	ret = hct_sandbox_mount(&self->sb, MS_NOSUID | MS_NODEV | MS_NOEXEC,
				"mode=1777,size=8388608");
	ASSERT_EQ(0, ret) TH_LOG("mount tmpfs on %s: %s", self->sb.dir, strerror(-ret));
	hct_sandbox_file(&self->sb, "existing", self->src_file);
	ASSERT_EQ(0, write_all(self->src_file, self->data, EXISTING_SIZE, O_EXCL));
	hct_sandbox_file(&self->sb, "subdir", why);
	ASSERT_EQ(0, mkdir(why, 0755));

	ret = hct_make_tmpdir(self->dst, "ro-dst");
	ASSERT_EQ(0, ret) TH_LOG("mkdtemp: %s", strerror(-ret));
	ASSERT_EQ(0, mount(self->sb.dir, self->dst, NULL, MS_BIND | MS_REC, NULL))
	TH_LOG("bind %s on %s: %s", self->sb.dir, self->dst, strerror(errno));
	self->dst_mounted = true;
	/* A bind takes no flags of its own at creation: read-only is a remount. */
	ASSERT_EQ(0,
		  mount(NULL, self->dst, NULL,
			MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL))
	TH_LOG("remount %s read-only: %s", self->dst, strerror(errno));
	in_dst(self, "existing", self->dst_file);
}

FIXTURE_TEARDOWN(ro_bind)
{
	if (self->dst_mounted) {
		EXPECT_EQ(0, umount2(self->dst, 0))
		TH_LOG("umount %s: %s", self->dst, strerror(errno));
	}
	if (self->dst[0]) {
		EXPECT_EQ(0, rmdir(self->dst)) TH_LOG("rmdir %s: %s", self->dst, strerror(errno));
	}
	EXPECT_EQ(0, hct_sandbox_fini(&self->sb));
	hct_report_free(self->r);
	free(self->data);
}

/* The source still holds exactly what setup wrote: no refused call leaked through. */
static bool src_untouched(FIXTURE_DATA(ro_bind) * self)
{
	size_t len = 0;
	unsigned char *buf = read_all(self->src_file, &len);
	bool same = buf && len == EXISTING_SIZE && memcmp(buf, self->data, len) == 0;

	free(buf);
	return same;
}

#define EXPECT_EROFS(call, what)                                                                   \
	do {                                                                                       \
		errno = 0;                                                                         \
		int __r = (call);                                                                  \
		int __e = errno;                                                                   \
		EXPECT_EQ(-1, __r) TH_LOG("%s through the ro bind succeeded", what);               \
		EXPECT_EQ(EROFS, __e)                                                              \
		TH_LOG("%s through the ro bind: %s, want EROFS", what, strerror(__e));             \
	} while (0)

/* open(2) as a 0/-1 call, so that a wrongly opened file is closed at once. */
static int open_close(const char *path, int flags)
{
	int fd = open(path, flags, 0644);

	return fd < 0 ? -1 : close(fd);
}

TEST_F(ro_bind, create_erofs)
{
	char path[PATH_MAX];

	if (_metadata->skip)
		return;
	in_dst(self, "new", path);
	EXPECT_EROFS(open_close(path, O_WRONLY | O_CREAT | O_EXCL), "open(O_CREAT)");
	hct_sandbox_file(&self->sb, "new", path);
	EXPECT_EQ(-1, access(path, F_OK)) TH_LOG("%s appeared in the source", path);
}

TEST_F(ro_bind, open_existing_for_writing_erofs)
{
	if (_metadata->skip)
		return;
	EXPECT_EROFS(open_close(self->dst_file, O_WRONLY), "open(existing, O_WRONLY)");
	EXPECT_EROFS(open_close(self->dst_file, O_RDWR), "open(existing, O_RDWR)");
	EXPECT_EROFS(open_close(self->dst_file, O_WRONLY | O_APPEND), "open(existing, O_APPEND)");
	EXPECT_EROFS(open_close(self->dst_file, O_RDONLY | O_TRUNC), "open(existing, O_TRUNC)");
	EXPECT_TRUE(src_untouched(self));
}

TEST_F(ro_bind, unlink_erofs)
{
	if (_metadata->skip)
		return;
	EXPECT_EROFS(unlink(self->dst_file), "unlink");
	EXPECT_TRUE(src_untouched(self));
}

TEST_F(ro_bind, mkdir_rmdir_erofs)
{
	char path[PATH_MAX];

	if (_metadata->skip)
		return;
	in_dst(self, "newdir", path);
	EXPECT_EROFS(mkdir(path, 0755), "mkdir");
	in_dst(self, "subdir", path);
	EXPECT_EROFS(rmdir(path), "rmdir");
}

TEST_F(ro_bind, mkfifo_erofs)
{
	char path[PATH_MAX];

	if (_metadata->skip)
		return;
	in_dst(self, "fifo", path);
	EXPECT_EROFS(mkfifo(path, 0644), "mkfifo");
}

TEST_F(ro_bind, rename_link_symlink_erofs)
{
	char path[PATH_MAX];

	if (_metadata->skip)
		return;
	in_dst(self, "renamed", path);
	EXPECT_EROFS(rename(self->dst_file, path), "rename");
	EXPECT_EROFS(link(self->dst_file, path), "link");
	EXPECT_EROFS(symlink("existing", path), "symlink");
	EXPECT_TRUE(src_untouched(self));
}

TEST_F(ro_bind, metadata_changes_erofs)
{
	const struct timespec times[2] = {{.tv_sec = 1}, {.tv_sec = 1}};

	if (_metadata->skip)
		return;
	EXPECT_EROFS(truncate(self->dst_file, 0), "truncate");
	EXPECT_EROFS(chmod(self->dst_file, 0600), "chmod");
	EXPECT_EROFS(chown(self->dst_file, 1, 1), "chown");
	EXPECT_EROFS(utimensat(AT_FDCWD, self->dst_file, times, 0), "utimensat");
	EXPECT_TRUE(src_untouched(self));
}

TEST_F(ro_bind, source_writable_dst_sees_same_bytes)
{
	struct stat s_src, s_dst;
	char src_new[PATH_MAX], dst_new[PATH_MAX];
	unsigned char *got;
	size_t len = 0;

	if (_metadata->skip)
		return;
	/* New data written on the host side after the bind was made read-only. */
	for (size_t i = 0; i < EXISTING_SIZE; i++)
		self->data[i] ^= 0xa5;
	hct_sandbox_file(&self->sb, "from-host", src_new);
	ASSERT_EQ(0, write_all(src_new, self->data, EXISTING_SIZE, O_EXCL));
	ASSERT_EQ(0, write_all(self->src_file, self->data, EXISTING_SIZE, O_TRUNC));

	in_dst(self, "from-host", dst_new);
	got = read_all(dst_new, &len);
	ASSERT_NE(NULL, got) TH_LOG("read %s: %s", dst_new, strerror(errno));
	EXPECT_EQ(EXISTING_SIZE, len);
	EXPECT_EQ(0, memcmp(got, self->data, EXISTING_SIZE)) TH_LOG("new file differs via dst");
	free(got);
	got = read_all(self->dst_file, &len);
	ASSERT_NE(NULL, got);
	EXPECT_EQ(EXISTING_SIZE, len);
	EXPECT_EQ(0, memcmp(got, self->data, EXISTING_SIZE))
	TH_LOG("rewritten file differs via dst");
	free(got);

	ASSERT_EQ(0, stat(src_new, &s_src));
	ASSERT_EQ(0, stat(dst_new, &s_dst));
	EXPECT_EQ(s_src.st_dev, s_dst.st_dev)
	TH_LOG("st_dev src %ju, dst %ju", (uintmax_t)s_src.st_dev, (uintmax_t)s_dst.st_dev);
	EXPECT_EQ(s_src.st_ino, s_dst.st_ino)
	TH_LOG("st_ino src %ju, dst %ju", (uintmax_t)s_src.st_ino, (uintmax_t)s_dst.st_ino);
}

TEST_F(ro_bind, shared_mapping_is_one_page)
{
	const size_t len = 2 * 4096;
	unsigned char *w, *r;
	int fw, fr;

	if (_metadata->skip)
		return;
	fw = open(self->src_file, O_RDWR);
	ASSERT_LE(0, fw);
	fr = open(self->dst_file, O_RDONLY);
	ASSERT_LE(0, fr);
	w = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fw, 0);
	ASSERT_NE(MAP_FAILED, w);
	r = mmap(NULL, len, PROT_READ, MAP_SHARED, fr, 0);
	ASSERT_NE(MAP_FAILED, r);
	/* A store on the host side shows on the ro side at once: no msync, no copy. */
	for (size_t i = 0; i < len; i++)
		w[i] = (unsigned char)(i * 7 + 1);
	for (size_t i = 0; i < len; i++) {
		if (r[i] != w[i]) {
			EXPECT_EQ(w[i], r[i])
			TH_LOG("byte %zu: host wrote %u, ro side reads %u", i, w[i], r[i]);
			break;
		}
	}
	/* And the ro side cannot map the page writable. */
	EXPECT_EQ(MAP_FAILED, mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fr, 0));
	EXPECT_EQ(EACCES, errno)
	TH_LOG("writable mapping through the ro bind: %s, want EACCES", strerror(errno));
	munmap(w, len);
	munmap(r, len);
	close(fw);
	close(fr);
}

/* Stages of the unprivileged child, so a failure says where it stopped. */
enum { DROPPED = 1, REMOUNTED, UNMOUNTED };

static int remount_rw_main(void *arg, struct hct_child_report *r)
{
	const char *dst = arg;
	int ret;

	ret = hct_drop_cap(CAP_SYS_ADMIN);
	if (ret < 0) {
		r->err = -ret;
		snprintf(r->note, sizeof(r->note), "dropping CAP_SYS_ADMIN: %s", strerror(-ret));
		return 1;
	}
	r->stage = DROPPED;
	errno = 0;
	ret = mount(NULL, dst, NULL, MS_REMOUNT | MS_BIND, NULL);
	r->err = ret < 0 ? errno : 0;
	if (ret == 0)
		return 0;
	r->stage = REMOUNTED;
	/* Unmounting would uncover what lies beneath the bind: refused just the same. */
	ret = umount2(dst, 0);
	snprintf(r->note, sizeof(r->note), "umount: %s", ret < 0 ? strerror(errno) : "succeeded");
	if (ret < 0 && errno == EPERM)
		r->stage = UNMOUNTED;
	return 0;
}

TEST_F(ro_bind, remount_rw_without_cap_sys_admin_eperm)
{
	struct statvfs sv;
	int status;
	pid_t pid;

	if (_metadata->skip)
		return;
	pid = hct_sandbox_spawn(&self->sb, NULL, remount_rw_main, self->dst, self->r);
	ASSERT_LT(0, pid);
	ASSERT_EQ(0, hct_sandbox_wait(&self->sb, pid, &status, 10000));
	ASSERT_EQ(0, status) TH_LOG("child: %s", self->r->note);
	EXPECT_EQ(EPERM, self->r->err)
	TH_LOG("remount rw without CAP_SYS_ADMIN: %s, want EPERM",
	       self->r->err ? strerror(self->r->err) : "success");
	EXPECT_EQ(UNMOUNTED, self->r->stage) TH_LOG("%s, want EPERM", self->r->note);
	ASSERT_EQ(0, statvfs(self->dst, &sv));
	EXPECT_TRUE(sv.f_flag & ST_RDONLY)
	TH_LOG("dst f_flag 0x%lx: no longer read-only", sv.f_flag);
}

TEST_F(ro_bind, remount_rw_with_cap_sys_admin_succeeds)
{
	char path[PATH_MAX];
	struct statvfs sv;

	if (_metadata->skip)
		return;
	ASSERT_EQ(0, mount(NULL, self->dst, NULL, MS_REMOUNT | MS_BIND, NULL))
	TH_LOG("remount rw as root: %s", strerror(errno));
	ASSERT_EQ(0, statvfs(self->dst, &sv));
	EXPECT_FALSE(sv.f_flag & ST_RDONLY) TH_LOG("dst f_flag 0x%lx: still read-only", sv.f_flag);
	in_dst(self, "now-writable", path);
	EXPECT_EQ(0, write_all(path, "x", 1, O_EXCL)) TH_LOG("write after remount rw failed");
}

HCT_HARNESS_MAIN
