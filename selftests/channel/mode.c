// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * channel/mode: rw and ro through the engine (contract sections 2 and 3).
 *
 *  - mode_rw: the channel is writable from both sides and each side reads
 *    the other's bytes (FNV-1a sums: hc-probe's in the container, the
 *    test's own on the host).
 *  - mode_ro_op (one variant per operation): in an ro channel the
 *    container's hc-probe "try OP" fails with EROFS (exit 1, errno=EROFS on
 *    stderr) for create, write (an existing file opened for writing),
 *    append, unlink, mkdir, rmdir, mkfifo, mknod of a FIFO, symlink,
 *    rename, truncate and chmod; and the host then finds the channel as it
 *    left it (same entries, same bytes).
 *  - mode_ro: ro is read-only in the container only: the host writes and
 *    the container reads those bytes; the host's mount is rw, nosuid, nodev,
 *    noexec and private (libmount on the host's mountinfo); the container's
 *    is ro, nosuid, nodev, noexec (libmount on the container's
 *    /proc/self/mountinfo, read with cat); without CAP_SYS_ADMIN the
 *    container's "hc-probe remount-rw" fails with EPERM and the mount stays
 *    ro (hc-probe stat ro=1 and its mountinfo).
 *  - mode_prop (one variant per mode with a propagation word): accepted at
 *    create, read-only or not as asked, and the propagation shows in the
 *    container's mountinfo: shared gives a shared: peer group, unbindable
 *    the unbindable tag, private none of them, slave no shared: group.
 *  - mode_default (rw, ro, an empty and an omitted mode: no propagation
 *    word): the bind is rprivate (contract section 3.4). Its mountinfo
 *    entry has no tag at all, read by cat in the container and by the host
 *    in /proc/PID/mountinfo (PID the container's init, from the driver).
 *    And it behaves so: a tmpfs mounted below the channel in the
 *    container's namespace (a child of the test that setns()es into it)
 *    does not show on the host, neither in its mountinfo nor as a new
 *    device under the host path; a tmpfs the host mounts below the host
 *    path after start does not show in the container, neither in
 *    /proc/PID/mountinfo nor in the container's own nor as a new device
 *    under /proc/PID/root.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"

#include "channel.h"
#include "harness.h"

#define DATA_BYTES (HCT_MiB + 123) /* more than a page, no page multiple */

static int setup_box(struct __test_metadata *_metadata, struct hch_box *b, struct hch_run *r,
		     const char *what, const char *tail)
{
	char why[512];
	int ret;

	ret = hch_box_init(b, what, why, sizeof(why));
	if (ret == HCT_SKIP) {
		SKIP(return 1, "%s", why);
	}
	ASSERT_EQ(0, ret) TH_LOG("%s", why);
	ret = hch_create(r, b, NULL, tail);
	ASSERT_EQ(0, ret)
	TH_LOG("create --host-channel \"%s\": status %d; stderr: %s", b->spec, ret, r->o.err);
	ret = hch_run(r, "start", b->name, NULL);
	ASSERT_EQ(0, ret)
	TH_LOG("start (--host-channel \"%s\"): status %d; stderr: %s", b->spec, ret, r->o.err);
	return 0;
}

static void teardown_box(struct __test_metadata *_metadata, struct hch_box *b)
{
	HCT_TEARDOWN_BEGIN();
	/* Contract section 3: delete removes the host path it created. */
	EXPECT_EQ(0, hch_box_delete(b));
	EXPECT_EQ(0, hch_box_fini(b));
}

/*
 * The host writes DATA_BYTES of the pattern of seed 7 to name; the container
 * reads them back with hc-probe read: same length, same sum.
 */
static void host_write_container_read(struct __test_metadata *_metadata, struct hch_box *b,
				      struct hch_run *r, const char *name)
{
	char path[2 * PATH_MAX], ctr[PATH_MAX];
	uint64_t want_sum, bytes = 0, sum = 0;
	int ret;

	want_sum = hch_pattern_sum(7, DATA_BYTES);
	snprintf(path, sizeof(path), "%s/%s", b->host, name);
	ret = hch_write_pattern(path, DATA_BYTES, 7);
	ASSERT_EQ(0, ret) TH_LOG("host writing %s: %s", path, strerror(-ret));

	snprintf(ctr, sizeof(ctr), HCH_CTR "/%s", name);
	ret = hch_probe(r, b->name, -1, "read", ctr, NULL);
	ASSERT_EQ(0, ret) TH_LOG("hc-probe read %s: %d; %s %s", ctr, ret, r->o.out, r->o.err);
	ASSERT_EQ(0, hch_kv_u64(r->o.out, "bytes", 10, &bytes)) TH_LOG("%s", r->o.out);
	ASSERT_EQ(0, hch_kv_u64(r->o.out, "sum", 16, &sum)) TH_LOG("%s", r->o.out);
	EXPECT_EQ(DATA_BYTES, bytes)
	TH_LOG("the container reads %" PRIu64 " bytes of the host's %llu", bytes,
	       (unsigned long long)DATA_BYTES);
	EXPECT_EQ(want_sum, sum)
	TH_LOG("the container reads sum %016" PRIx64 ", the host wrote %016" PRIx64, sum, want_sum);
}

/* ------------------------------------------------------------------ rw */

FIXTURE(mode_rw)
{
	struct hch_box b;
	struct hch_run r;
};

FIXTURE_SETUP(mode_rw)
{
	HCT_ALWAYS_TEARDOWN();
	setup_box(_metadata, &self->b, &self->r, "mode-rw", ":" HCH_CTR ":rw:8M");
}

FIXTURE_TEARDOWN(mode_rw)
{
	teardown_box(_metadata, &self->b);
}

TEST_F(mode_rw, container_sees_writable_tmpfs)
{
	struct hch_stat cs;
	int ret;

	if (_metadata->skip)
		return;
	ret = hch_probe_stat(&self->r, self->b.name, -1, HCH_CTR, &cs);
	ASSERT_EQ(0, ret) TH_LOG("hc-probe stat: %d; %s %s", ret, self->r.o.out, self->r.o.err);
	EXPECT_STREQ("tmpfs", cs.fstype) TH_LOG("%s", self->r.o.out);
	EXPECT_EQ(0, cs.ro)
	TH_LOG("an rw channel is read-only in the container: %s", self->r.o.out);
}

TEST_F(mode_rw, host_write_seen_in_container)
{
	if (_metadata->skip)
		return;
	host_write_container_read(_metadata, &self->b, &self->r, "from-host");
}

TEST_F(mode_rw, container_write_seen_on_host)
{
	struct hch_box *b = &self->b;
	struct hch_run *r = &self->r;
	uint64_t bytes = 0, sum = 0, hbytes = 0, hsum = 0, bad;
	char path[2 * PATH_MAX], size[32];
	int ret;

	if (_metadata->skip)
		return;
	snprintf(size, sizeof(size), "%llu", (unsigned long long)DATA_BYTES);
	ret = hch_probe(r, b->name, -1, "write", HCH_CTR "/from-container", size, "3", NULL);
	ASSERT_EQ(0, ret) TH_LOG("hc-probe write: %d; %s %s", ret, r->o.out, r->o.err);
	ASSERT_EQ(0, hch_kv_u64(r->o.out, "bytes", 10, &bytes)) TH_LOG("%s", r->o.out);
	ASSERT_EQ(0, hch_kv_u64(r->o.out, "sum", 16, &sum)) TH_LOG("%s", r->o.out);
	ASSERT_EQ(DATA_BYTES, bytes) TH_LOG("hc-probe wrote %" PRIu64 " bytes", bytes);

	snprintf(path, sizeof(path), "%s/from-container", b->host);
	/* The host's own read and sum; where it differs from the pattern is not asked. */
	ret = hch_check_pattern(path, bytes, 3, &hbytes, &bad, &hsum);
	ASSERT_LE(0, ret) TH_LOG("host reading %s: %s", path, strerror(-ret));
	EXPECT_EQ(bytes, hbytes)
	TH_LOG("the host reads %" PRIu64 " bytes, the container wrote %" PRIu64, hbytes, bytes);
	EXPECT_EQ(sum, hsum)
	TH_LOG("the host reads sum %016" PRIx64 ", the container wrote %016" PRIx64, hsum, sum);
}

/* ------------------------------------------------- ro: one op at a time */

#define EXISTING_DATA "host data\n"

FIXTURE(mode_ro_op)
{
	struct hch_box b;
	struct hch_run r;
};

FIXTURE_VARIANT(mode_ro_op)
{
	const char *op;	    /* hc-probe try OP */
	const char *target; /* its path in the channel */
};

/* "existing" is a file of EXISTING_DATA, "dir" an empty directory, both made by the host. */
FIXTURE_VARIANT_ADD(mode_ro_op, create){.op = "create", .target = "new"};
FIXTURE_VARIANT_ADD(mode_ro_op, write){.op = "write", .target = "existing"};
FIXTURE_VARIANT_ADD(mode_ro_op, append){.op = "append", .target = "existing"};
FIXTURE_VARIANT_ADD(mode_ro_op, unlink){.op = "unlink", .target = "existing"};
FIXTURE_VARIANT_ADD(mode_ro_op, mkdir){.op = "mkdir", .target = "newdir"};
FIXTURE_VARIANT_ADD(mode_ro_op, rmdir){.op = "rmdir", .target = "dir"};
FIXTURE_VARIANT_ADD(mode_ro_op, mkfifo){.op = "mkfifo", .target = "fifo"};
FIXTURE_VARIANT_ADD(mode_ro_op, mknod_fifo){.op = "mknod-fifo", .target = "fifo"};
FIXTURE_VARIANT_ADD(mode_ro_op, symlink){.op = "symlink", .target = "link"};
FIXTURE_VARIANT_ADD(mode_ro_op, rename){.op = "rename", .target = "existing"};
FIXTURE_VARIANT_ADD(mode_ro_op, truncate){.op = "truncate", .target = "existing"};
FIXTURE_VARIANT_ADD(mode_ro_op, chmod){.op = "chmod", .target = "existing"};

FIXTURE_SETUP(mode_ro_op)
{
	char path[2 * PATH_MAX];
	int ret;

	HCT_ALWAYS_TEARDOWN();
	if (setup_box(_metadata, &self->b, &self->r, "mode-ro-op", ":" HCH_CTR ":ro:1M"))
		return;
	snprintf(path, sizeof(path), "%s/existing", self->b.host);
	ret = hch_write_new(path, EXISTING_DATA, strlen(EXISTING_DATA));
	ASSERT_EQ(0, ret) TH_LOG("host writing %s: %s", path, strerror(-ret));
	snprintf(path, sizeof(path), "%s/dir", self->b.host);
	ASSERT_EQ(0, mkdir(path, 0755)) TH_LOG("host mkdir %s: %s", path, strerror(errno));
}

FIXTURE_TEARDOWN(mode_ro_op)
{
	teardown_box(_metadata, &self->b);
}

TEST_F(mode_ro_op, container_op_fails_erofs)
{
	struct hch_box *b = &self->b;
	struct hch_run *r = &self->r;
	char ctr[PATH_MAX], path[2 * PATH_MAX], names[256], buf[64];
	struct stat st;
	ssize_t n;
	int ret, fd;

	if (_metadata->skip)
		return;
	snprintf(ctr, sizeof(ctr), HCH_CTR "/%s", variant->target);
	ret = hch_probe(r, b->name, -1, "try", variant->op, ctr, NULL);
	EXPECT_EQ(1, ret)
	TH_LOG("try %s %s in an ro channel: status %d, want 1 (contract section 3); stdout: %s "
	       "stderr: %s",
	       variant->op, ctr, ret, r->o.out, r->o.err);
	EXPECT_NE(NULL, strstr(r->o.err, "errno=EROFS"))
	TH_LOG("try %s %s in an ro channel: \"%s\", want errno=EROFS", variant->op, ctr, r->o.err);

	/* Nothing changed, as the host sees it. */
	n = hch_dir_entries(b->host, names, sizeof(names));
	EXPECT_EQ(2, n)
	TH_LOG("after try %s: the channel holds \"%s\", want \"dir existing\"", variant->op, names);
	snprintf(path, sizeof(path), "%s/existing", b->host);
	ASSERT_EQ(0, lstat(path, &st))
	TH_LOG("after try %s: %s: %s", variant->op, path, strerror(errno));
	EXPECT_EQ(S_IFREG | 0644, st.st_mode)
	TH_LOG("after try %s: mode 0%o, want 0100644", variant->op, st.st_mode);
	fd = open(path, O_RDONLY);
	ASSERT_LE(0, fd);
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	ASSERT_LE(0, n);
	buf[n] = '\0';
	EXPECT_STREQ(EXISTING_DATA, buf) TH_LOG("after try %s: the file changed", variant->op);
}

/* ---------------------------------------------------------- ro as such */

FIXTURE(mode_ro)
{
	struct hch_box b;
	struct hch_run r;
};

FIXTURE_SETUP(mode_ro)
{
	HCT_ALWAYS_TEARDOWN();
	setup_box(_metadata, &self->b, &self->r, "mode-ro", ":" HCH_CTR ":ro:8M");
}

FIXTURE_TEARDOWN(mode_ro)
{
	teardown_box(_metadata, &self->b);
}

TEST_F(mode_ro, host_write_seen_in_container)
{
	if (_metadata->skip)
		return;
	host_write_container_read(_metadata, &self->b, &self->r, "from-host");
}

TEST_F(mode_ro, host_mount_rw_nosuid_nodev_noexec_private)
{
	struct hch_box *b = &self->b;
	struct hct_mount m;
	int ret;

	if (_metadata->skip)
		return;
	ret = hct_mount_lookup(b->host, &m);
	ASSERT_EQ(0, ret) TH_LOG("nothing mounted at %s: %s", b->host, strerror(-ret));
	EXPECT_STREQ("tmpfs", m.fstype);
	for (const char *const *o = (const char *const[]){"rw", "nosuid", "nodev", "noexec", NULL};
	     *o; o++) {
		EXPECT_TRUE(hct_opt_has(m.vfs_options, *o, NULL))
		TH_LOG("host mount options \"%s\" lack %s (contract section 3; ro is the "
		       "container's only)",
		       m.vfs_options, *o);
	}
	EXPECT_TRUE(hct_opt_has(m.fs_options, "size", "8192k"))
	TH_LOG("host superblock options \"%s\": want size=8192k", m.fs_options);
	EXPECT_EQ(NULL, strstr(m.optional_fields, "shared:"))
	TH_LOG("host mount optional fields \"%s\": the channel propagates (contract section 3: "
	       "private)",
	       m.optional_fields);
}

TEST_F(mode_ro, container_mount_ro_nosuid_nodev_noexec)
{
	struct hch_box *b = &self->b;
	struct hch_run *r = &self->r;
	struct hct_mount m;
	int ret;

	if (_metadata->skip)
		return;
	ret = hch_ctr_mount(r, b->name, HCH_CTR, &m);
	ASSERT_EQ(0, ret)
	TH_LOG("%s in the container's mountinfo: %s; stderr: %s", HCH_CTR, strerror(-ret),
	       r->o.err);
	EXPECT_STREQ("tmpfs", m.fstype);
	for (const char *const *o = (const char *const[]){"ro", "nosuid", "nodev", "noexec", NULL};
	     *o; o++) {
		EXPECT_TRUE(hct_opt_has(m.vfs_options, *o, NULL))
		TH_LOG("the container's mount options \"%s\" lack %s", m.vfs_options, *o);
	}
}

TEST_F(mode_ro, remount_rw_in_container_eperm_stays_ro)
{
	struct hch_box *b = &self->b;
	struct hch_run *r = &self->r;
	struct hch_stat cs;
	struct hct_mount m;
	int ret;

	if (_metadata->skip)
		return;
	ret = hch_probe(r, b->name, -1, "remount-rw", HCH_CTR, NULL);
	EXPECT_EQ(1, ret)
	TH_LOG("remount-rw in the container: status %d, want 1 (contract section "
	       "3: no CAP_SYS_ADMIN); stdout: %s stderr: %s",
	       ret, r->o.out, r->o.err);
	EXPECT_NE(NULL, strstr(r->o.err, "errno=EPERM"))
	TH_LOG("remount-rw in the container: \"%s\", want errno=EPERM", r->o.err);

	ret = hch_probe_stat(r, b->name, -1, HCH_CTR, &cs);
	ASSERT_EQ(0, ret) TH_LOG("hc-probe stat: %d; %s %s", ret, r->o.out, r->o.err);
	EXPECT_EQ(1, cs.ro)
	TH_LOG("after remount-rw the container's mount is writable: %s", r->o.out);
	ret = hch_ctr_mount(r, b->name, HCH_CTR, &m);
	ASSERT_EQ(0, ret) TH_LOG("%s in the container's mountinfo: %s", HCH_CTR, strerror(-ret));
	EXPECT_TRUE(hct_opt_has(m.vfs_options, "ro", NULL))
	TH_LOG("after remount-rw the container's mountinfo says \"%s\"", m.vfs_options);
	ret = hch_probe(r, b->name, -1, "try", "create", HCH_CTR "/after-remount", NULL);
	EXPECT_NE(NULL, strstr(r->o.err, "errno=EROFS"))
	TH_LOG("after remount-rw, creating a file: status %d, \"%s\", want errno=EROFS", ret,
	       r->o.err);
}

/* --------------------------------------------------------- propagation */

FIXTURE(mode_prop)
{
	struct hch_box b;
	struct hch_run r;
};

enum prop_tag {
	PROP_NONE,	 /* private: no shared:, master: or unbindable */
	PROP_NOT_SHARED, /* slave of a private mount: at least no shared: group */
	PROP_SHARED,	 /* shared:N */
	PROP_UNBINDABLE, /* unbindable */
};

FIXTURE_VARIANT(mode_prop)
{
	const char *mode;
	bool ro;
	enum prop_tag tag;
};

FIXTURE_VARIANT_ADD(mode_prop, ro_rslave){.mode = "ro,rslave", .ro = true, .tag = PROP_NOT_SHARED};
FIXTURE_VARIANT_ADD(mode_prop, rw_slave){.mode = "rw,slave", .tag = PROP_NOT_SHARED};
FIXTURE_VARIANT_ADD(mode_prop, rw_shared){.mode = "rw,shared", .tag = PROP_SHARED};
FIXTURE_VARIANT_ADD(mode_prop, ro_rshared){.mode = "ro,rshared", .ro = true, .tag = PROP_SHARED};
FIXTURE_VARIANT_ADD(mode_prop, rw_rprivate){.mode = "rw,rprivate", .tag = PROP_NONE};
FIXTURE_VARIANT_ADD(mode_prop, ro_private){.mode = "ro,private", .ro = true, .tag = PROP_NONE};
FIXTURE_VARIANT_ADD(mode_prop, rw_unbindable){.mode = "rw,unbindable", .tag = PROP_UNBINDABLE};
FIXTURE_VARIANT_ADD(mode_prop,
		    ro_runbindable){.mode = "ro,runbindable", .ro = true, .tag = PROP_UNBINDABLE};
/* The propagation word may come first. */
FIXTURE_VARIANT_ADD(mode_prop, rshared_ro){.mode = "rshared,ro", .ro = true, .tag = PROP_SHARED};

FIXTURE_SETUP(mode_prop)
{
	char tail[64];

	HCT_ALWAYS_TEARDOWN();
	snprintf(tail, sizeof(tail), ":" HCH_CTR ":%s:1M", variant->mode);
	setup_box(_metadata, &self->b, &self->r, "mode-prop", tail);
}

FIXTURE_TEARDOWN(mode_prop)
{
	teardown_box(_metadata, &self->b);
}

TEST_F(mode_prop, container_mount_as_asked)
{
	struct hch_box *b = &self->b;
	struct hch_run *r = &self->r;
	const char *opt;
	struct hch_stat cs;
	struct hct_mount m;
	int ret;

	if (_metadata->skip)
		return;
	ret = hch_probe_stat(r, b->name, -1, HCH_CTR, &cs);
	ASSERT_EQ(0, ret) TH_LOG("hc-probe stat: %d; %s %s", ret, r->o.out, r->o.err);
	EXPECT_EQ(variant->ro, cs.ro)
	TH_LOG("mode %s: ro=%" PRIu64 " in the container, want %d", variant->mode, cs.ro,
	       variant->ro);

	ret = hch_ctr_mount(r, b->name, HCH_CTR, &m);
	ASSERT_EQ(0, ret) TH_LOG("%s in the container's mountinfo: %s", HCH_CTR, strerror(-ret));
	EXPECT_TRUE(hct_opt_has(m.vfs_options, variant->ro ? "ro" : "rw", NULL))
	TH_LOG("mode %s: the container's mount options are \"%s\"", variant->mode, m.vfs_options);
	opt = m.optional_fields;
	switch (variant->tag) {
	case PROP_SHARED:
		EXPECT_NE(NULL, strstr(opt, "shared:"))
		TH_LOG("mode %s: optional fields \"%s\" lack a shared: peer group", variant->mode,
		       opt);
		break;
	case PROP_UNBINDABLE:
		EXPECT_NE(NULL, strstr(opt, "unbindable"))
		TH_LOG("mode %s: optional fields \"%s\" lack unbindable", variant->mode, opt);
		break;
	case PROP_NONE:
		EXPECT_STREQ("", opt)
		TH_LOG("mode %s: optional fields \"%s\", want none (private)", variant->mode, opt);
		break;
	case PROP_NOT_SHARED:
		EXPECT_EQ(NULL, strstr(opt, "shared:"))
		TH_LOG("mode %s: optional fields \"%s\": a slave is not shared", variant->mode,
		       opt);
		break;
	}
}

/* ------------------------------------------- the default propagation */

/*
 * Where the tests mount below the channel, and the sources they mount
 * with: a mount found later by its source is one of the test's own.
 */
#define SUB	 "sub"
#define SRC_CTR	 "hct-ctr-sub"
#define SRC_HOST "hct-host-sub"

FIXTURE(mode_default)
{
	struct hch_box b;
	struct hch_run r;
	struct hct_child_report *report;
	pid_t pid;		 /* the container's init, from the driver */
	char sub[PATH_MAX + 32]; /* b.host/SUB, a directory of the channel */
	bool ctr_mounted;	 /* a tmpfs at HCH_CTR/SUB in the container's namespace */
	bool host_mounted;	 /* a tmpfs at sub on the host */
};

FIXTURE_VARIANT(mode_default)
{
	const char *tail; /* after the host path */
	bool defaults;	  /* a form only the documented contract accepts (section 2.1) */
};

/* No propagation word, in every spelling of the mode field: rprivate. */
FIXTURE_VARIANT_ADD(mode_default, rw){.tail = ":" HCH_CTR ":rw:1M"};
FIXTURE_VARIANT_ADD(mode_default, ro){.tail = ":" HCH_CTR ":ro:1M"};
FIXTURE_VARIANT_ADD(mode_default, empty){.tail = ":" HCH_CTR "::1M", .defaults = true};
FIXTURE_VARIANT_ADD(mode_default, omitted){.tail = ":" HCH_CTR, .defaults = true};

struct in_ctr_ns {
	pid_t pid;
	const char *path; /* as the container sees it */
	bool mount;	  /* mount a tmpfs of source SRC_CTR there, else detach it */
};

/*
 * In a child: enter the container's mount namespace and mount at (or
 * unmount) a path there. The container itself has no CAP_SYS_ADMIN; this is
 * what a privileged process of it, or one that enters it, can do.
 */
static int in_ctr_ns(void *arg, struct hct_child_report *rep)
{
	struct in_ctr_ns *a = arg;
	char ns[64], root[64];
	int nsfd, rootfd;

	snprintf(ns, sizeof(ns), "/proc/%d/ns/mnt", (int)a->pid);
	snprintf(root, sizeof(root), "/proc/%d/root", (int)a->pid);
	rep->stage = 1;
	nsfd = open(ns, O_RDONLY | O_CLOEXEC);
	rootfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (nsfd < 0 || rootfd < 0)
		goto fail;
	rep->stage = 2;
	if (setns(nsfd, CLONE_NEWNS) < 0)
		goto fail;
	/* The container's root, which need not be the namespace's. */
	rep->stage = 3;
	if (fchdir(rootfd) < 0 || chroot(".") < 0 || chdir("/") < 0)
		goto fail;
	rep->stage = 4;
	if (a->mount ? mount(SRC_CTR, a->path, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "size=4k")
		     : umount2(a->path, MNT_DETACH))
		goto fail;
	return 0;
fail:
	rep->err = errno;
	return 1;
}

/* Run in_ctr_ns in a child; 0, or -errno with the stage it failed at. */
static int ctr_ns_mount(FIXTURE_DATA(mode_default) * self, const char *path, bool mount_it)
{
	struct in_ctr_ns a = {.pid = self->pid, .path = path, .mount = mount_it};
	int status, ret;
	pid_t pid;

	memset(self->report, 0, sizeof(*self->report));
	pid = hct_spawn(NULL, NULL, in_ctr_ns, &a, self->report);
	if (pid < 0)
		return pid;
	ret = hct_wait(pid, &status, 10000);
	if (ret < 0)
		return ret;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return self->report->err ? -self->report->err : -ECHILD;
	return 0;
}

/* The device of path, or 0 when it cannot be stat'ed. */
static dev_t dev_of(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 ? st.st_dev : 0;
}

FIXTURE_SETUP(mode_default)
{
	char why[512], defaults[64] = "";
	int ret;

	HCT_ALWAYS_TEARDOWN();
	self->report = hct_report_new();
	ASSERT_NE(NULL, self->report);
	ret = hch_box_init(&self->b, "mode-default", why, sizeof(why));
	if (ret == HCT_SKIP)
		SKIP(return, "%s", why);
	ASSERT_EQ(0, ret) TH_LOG("%s", why);
	ret = hch_create(&self->r, &self->b, NULL, variant->tail);
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
	ASSERT_EQ(0, ret)
	TH_LOG("start (--host-channel \"%s\"): status %d; stderr: %s", self->b.spec, ret,
	       self->r.o.err);
	self->pid = hct_engine_pid(self->b.name);
	ASSERT_LT(0, self->pid) TH_LOG("the driver's pid %s: %d", self->b.name, (int)self->pid);
	snprintf(self->sub, sizeof(self->sub), "%s/" SUB, self->b.host);
	/* Made by the host: its mount is rw whatever the container's mode. */
	ASSERT_EQ(0, mkdir(self->sub, 0755)) TH_LOG("mkdir %s: %s", self->sub, strerror(errno));
}

FIXTURE_TEARDOWN(mode_default)
{
	struct hct_mount m;

	HCT_TEARDOWN_BEGIN();
	if (self->ctr_mounted)
		EXPECT_EQ(0, ctr_ns_mount(self, HCH_CTR "/" SUB, false));
	if (self->host_mounted)
		EXPECT_EQ(0, umount2(self->sub, MNT_DETACH));
	/* A mount that propagated to the host is still the test's own: take it down. */
	for (int i = 0; i < 4 && self->sub[0] != '\0' && hct_mount_lookup(self->sub, &m) == 0 &&
			strcmp(m.fstype, "tmpfs") == 0 &&
			(strcmp(m.source, SRC_CTR) == 0 || strcmp(m.source, SRC_HOST) == 0);
	     i++)
		umount2(self->sub, MNT_DETACH);
	teardown_box(_metadata, &self->b);
	if (self->report != NULL)
		hct_report_free(self->report);
}

TEST_F(mode_default, container_bind_has_no_propagation_tag)
{
	char file[64];
	struct hct_mount m;
	int ret;

	if (_metadata->skip)
		return;
	/* As the container reads it... */
	ret = hch_ctr_mount(&self->r, self->b.name, HCH_CTR, &m);
	ASSERT_EQ(0, ret)
	TH_LOG("%s in the container's mountinfo: %s; %s", HCH_CTR, strerror(-ret),
	       hch_log(&self->r));
	EXPECT_STREQ("tmpfs", m.fstype);
	EXPECT_STREQ("", m.optional_fields)
	TH_LOG("--host-channel \"%s\": the container's mountinfo tags the channel \"%s\", want no "
	       "shared:, master: or unbindable tag (contract section 3.4: rprivate by default)",
	       self->b.spec, m.optional_fields);

	/* ...and as the host reads the container's namespace. */
	snprintf(file, sizeof(file), "/proc/%d/mountinfo", (int)self->pid);
	ret = hch_pid_mount(self->pid, HCH_CTR, &m);
	ASSERT_EQ(0, ret) TH_LOG("%s in %s: %s", HCH_CTR, file, strerror(-ret));
	EXPECT_STREQ("tmpfs", m.fstype);
	EXPECT_STREQ("", m.optional_fields)
	TH_LOG("--host-channel \"%s\": %s tags the channel \"%s\", want no tag (contract section "
	       "3.4: rprivate by default)",
	       self->b.spec, file, m.optional_fields);
}

TEST_F(mode_default, container_mount_stays_in_container)
{
	const char *ctr_sub = HCH_CTR "/" SUB;
	char file[64];
	struct hct_mount m;
	dev_t chan_dev;
	int ret;

	if (_metadata->skip)
		return;
	chan_dev = dev_of(self->b.host);
	ASSERT_NE(0, chan_dev) TH_LOG("stat %s: %s", self->b.host, strerror(errno));
	ret = ctr_ns_mount(self, ctr_sub, true);
	ASSERT_EQ(0, ret)
	TH_LOG("mount -t tmpfs at %s in the container's namespace: %s (stage %d)", ctr_sub,
	       strerror(-ret), self->report->stage);
	self->ctr_mounted = true;
	snprintf(file, sizeof(file), "/proc/%d/mountinfo", (int)self->pid);
	ret = hch_pid_mount(self->pid, ctr_sub, &m);
	ASSERT_EQ(0, ret) TH_LOG("the mount just made is not in %s: %s", file, strerror(-ret));

	/* The host's mountinfo... */
	ret = hct_mount_lookup(self->sub, &m);
	EXPECT_EQ(-ENOENT, ret)
	TH_LOG("--host-channel \"%s\": a tmpfs mounted at %s in the container shows on the host "
	       "at %s (source %s, fields \"%s\"): the bind propagates (contract section 3.4: "
	       "rprivate by default)",
	       self->b.spec, ctr_sub, self->sub, ret == 0 ? m.source : "-",
	       ret == 0 ? m.optional_fields : "-");
	/* ...and the host's own lookup: still the channel's directory. */
	EXPECT_EQ(chan_dev, dev_of(self->sub))
	TH_LOG("--host-channel \"%s\": %s on the host is on device %#jx, the channel is %#jx: the "
	       "container's mount reached the host (contract section 3.4)",
	       self->b.spec, self->sub, (uintmax_t)dev_of(self->sub), (uintmax_t)chan_dev);

	ret = ctr_ns_mount(self, ctr_sub, false);
	EXPECT_EQ(0, ret) TH_LOG("umount %s in the container: %s", ctr_sub, strerror(-ret));
	if (ret == 0)
		self->ctr_mounted = false;
}

TEST_F(mode_default, host_mount_stays_on_host)
{
	const char *ctr_sub = HCH_CTR "/" SUB;
	char file[64], in_root[128];
	struct hct_mount m;
	dev_t chan_dev, sub_dev;
	int ret;

	if (_metadata->skip)
		return;
	snprintf(in_root, sizeof(in_root), "/proc/%d/root%s", (int)self->pid, ctr_sub);
	chan_dev = dev_of(self->b.host);
	ASSERT_NE(0, chan_dev) TH_LOG("stat %s: %s", self->b.host, strerror(errno));
	ASSERT_EQ(0,
		  mount(SRC_HOST, self->sub, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "size=4k"))
	TH_LOG("mount -t tmpfs at %s on the host: %s", self->sub, strerror(errno));
	self->host_mounted = true;
	sub_dev = dev_of(self->sub);
	ASSERT_NE(chan_dev, sub_dev) TH_LOG("the tmpfs at %s has the channel's device", self->sub);

	/* The container's namespace, read by the host... */
	snprintf(file, sizeof(file), "/proc/%d/mountinfo", (int)self->pid);
	ret = hch_pid_mount(self->pid, ctr_sub, &m);
	EXPECT_EQ(-ENOENT, ret)
	TH_LOG("--host-channel \"%s\": a tmpfs the host mounted at %s after start shows in %s at "
	       "%s (source %s, fields \"%s\"): the bind receives (contract section 3.4: rprivate "
	       "by default)",
	       self->b.spec, self->sub, file, ctr_sub, ret == 0 ? m.source : "-",
	       ret == 0 ? m.optional_fields : "-");
	/* ...by the container itself... */
	ret = hch_ctr_mount(&self->r, self->b.name, ctr_sub, &m);
	EXPECT_EQ(-ENOENT, ret)
	TH_LOG("--host-channel \"%s\": the container's own mountinfo has %s: %s (source %s)",
	       self->b.spec, ctr_sub, ret == 0 ? "mounted" : strerror(-ret),
	       ret == 0 ? m.source : "-");
	/* ...and by a lookup through its root: still the channel's directory. */
	EXPECT_EQ(chan_dev, dev_of(in_root))
	TH_LOG("--host-channel \"%s\": %s is on device %#jx, the channel is %#jx and the host's "
	       "new tmpfs %#jx (contract section 3.4)",
	       self->b.spec, in_root, (uintmax_t)dev_of(in_root), (uintmax_t)chan_dev,
	       (uintmax_t)sub_dev);

	EXPECT_EQ(0, umount2(self->sub, 0)) TH_LOG("umount %s: %s", self->sub, strerror(errno));
	self->host_mounted = false;
}

HCT_HARNESS_MAIN
