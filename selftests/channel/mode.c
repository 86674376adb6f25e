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
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kselftest_harness.h"

#include "channel_box.h"
#include "harness.h"

#define DATA_BYTES (HCT_MiB + 123) /* more than a page, no page multiple */

static int setup_box(struct __test_metadata *_metadata, struct chbox *b, const char *what,
		     const char *tail)
{
	char why[512];
	int ret;

	ret = chbox_init(b, what, why, sizeof(why));
	if (ret == HCT_SKIP) {
		SKIP(return 1, "%s", why);
	}
	ASSERT_EQ(0, ret) TH_LOG("%s", why);
	ret = chbox_create(b, NULL, tail);
	ASSERT_EQ(0, ret)
	TH_LOG("create --host-channel \"%s\": status %d; stderr: %s", b->spec, ret, b->o->err);
	ret = chbox_start(b);
	ASSERT_EQ(0, ret)
	TH_LOG("start (--host-channel \"%s\"): status %d; stderr: %s", b->spec, ret, b->o->err);
	return 0;
}

static void teardown_box(struct __test_metadata *_metadata, struct chbox *b)
{
	char left[1024];

	EXPECT_EQ(0, chbox_fini(b, left, sizeof(left))) TH_LOG("%s", left);
}

/*
 * The host writes DATA_BYTES of its own bytes to name; the container reads
 * them back with hc-probe read: same length, same sum.
 */
static void host_write_container_read(struct __test_metadata *_metadata, struct chbox *b,
				      const char *name)
{
	char path[2 * PATH_MAX], ctr[PATH_MAX];
	uint64_t want_sum, bytes = 0, sum = 0;
	unsigned char *buf;
	int ret;

	buf = malloc(DATA_BYTES);
	ASSERT_NE(NULL, buf);
	chbox_fill_bytes(buf, DATA_BYTES, 7);
	want_sum = chbox_fnv1a(buf, DATA_BYTES);
	snprintf(path, sizeof(path), "%s/%s", b->host, name);
	ret = chbox_write_new(path, buf, DATA_BYTES);
	free(buf);
	ASSERT_EQ(0, ret) TH_LOG("host writing %s: %s", path, strerror(-ret));

	snprintf(ctr, sizeof(ctr), CHBOX_CTR "/%s", name);
	ret = chbox_probe(b, -1, "read", ctr, NULL);
	ASSERT_EQ(0, ret) TH_LOG("hc-probe read %s: %d; %s %s", ctr, ret, b->o->out, b->o->err);
	ASSERT_EQ(0, chbox_kv_u64(b->o->out, "bytes", 10, &bytes)) TH_LOG("%s", b->o->out);
	ASSERT_EQ(0, chbox_kv_u64(b->o->out, "sum", 16, &sum)) TH_LOG("%s", b->o->out);
	EXPECT_EQ(DATA_BYTES, bytes)
	TH_LOG("the container reads %" PRIu64 " bytes of the host's %llu", bytes,
	       (unsigned long long)DATA_BYTES);
	EXPECT_EQ(want_sum, sum)
	TH_LOG("the container reads sum %016" PRIx64 ", the host wrote %016" PRIx64, sum, want_sum);
}

/* The container's /proc/self/mountinfo, read with cat, parsed by libmount. */
static int container_mount(struct chbox *b, const char *target, struct hct_mount *m)
{
	int ret = chbox_exec(b, -1, "cat", "/proc/self/mountinfo", NULL);

	if (ret != 0)
		return ret > 0 ? -EIO : ret;
	return chbox_mountinfo_text_lookup(b->o->out, target, m);
}

/* ------------------------------------------------------------------ rw */

FIXTURE(mode_rw)
{
	struct chbox b;
};

FIXTURE_SETUP(mode_rw)
{
	HCT_ALWAYS_TEARDOWN();
	setup_box(_metadata, &self->b, "mode-rw", ":" CHBOX_CTR ":rw:8M");
}

FIXTURE_TEARDOWN(mode_rw)
{
	teardown_box(_metadata, &self->b);
}

TEST_F(mode_rw, container_sees_writable_tmpfs)
{
	struct chbox_stat cs;
	int ret;

	if (_metadata->skip)
		return;
	ret = chbox_probe_stat(&self->b, -1, CHBOX_CTR, &cs);
	ASSERT_EQ(0, ret) TH_LOG("hc-probe stat: %d; %s %s", ret, self->b.o->out, self->b.o->err);
	EXPECT_STREQ("tmpfs", cs.fstype) TH_LOG("%s", self->b.o->out);
	EXPECT_EQ(0, cs.ro)
	TH_LOG("an rw channel is read-only in the container: %s", self->b.o->out);
}

TEST_F(mode_rw, host_write_seen_in_container)
{
	if (_metadata->skip)
		return;
	host_write_container_read(_metadata, &self->b, "from-host");
}

TEST_F(mode_rw, container_write_seen_on_host)
{
	struct chbox *b = &self->b;
	uint64_t bytes = 0, sum = 0, hbytes = 0, hsum = 0;
	char path[2 * PATH_MAX], size[32];
	int ret;

	if (_metadata->skip)
		return;
	snprintf(size, sizeof(size), "%llu", (unsigned long long)DATA_BYTES);
	ret = chbox_probe(b, -1, "write", CHBOX_CTR "/from-container", size, "3", NULL);
	ASSERT_EQ(0, ret) TH_LOG("hc-probe write: %d; %s %s", ret, b->o->out, b->o->err);
	ASSERT_EQ(0, chbox_kv_u64(b->o->out, "bytes", 10, &bytes)) TH_LOG("%s", b->o->out);
	ASSERT_EQ(0, chbox_kv_u64(b->o->out, "sum", 16, &sum)) TH_LOG("%s", b->o->out);
	ASSERT_EQ(DATA_BYTES, bytes) TH_LOG("hc-probe wrote %" PRIu64 " bytes", bytes);

	snprintf(path, sizeof(path), "%s/from-container", b->host);
	ret = chbox_file_sum(path, &hbytes, &hsum);
	ASSERT_EQ(0, ret) TH_LOG("host reading %s: %s", path, strerror(-ret));
	EXPECT_EQ(bytes, hbytes)
	TH_LOG("the host reads %" PRIu64 " bytes, the container wrote %" PRIu64, hbytes, bytes);
	EXPECT_EQ(sum, hsum)
	TH_LOG("the host reads sum %016" PRIx64 ", the container wrote %016" PRIx64, hsum, sum);
}

/* ------------------------------------------------- ro: one op at a time */

#define EXISTING_DATA "host data\n"

FIXTURE(mode_ro_op)
{
	struct chbox b;
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
	if (setup_box(_metadata, &self->b, "mode-ro-op", ":" CHBOX_CTR ":ro:1M"))
		return;
	snprintf(path, sizeof(path), "%s/existing", self->b.host);
	ret = chbox_write_new(path, EXISTING_DATA, strlen(EXISTING_DATA));
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
	struct chbox *b = &self->b;
	char ctr[PATH_MAX], path[2 * PATH_MAX], names[256], buf[64];
	struct stat st;
	ssize_t n;
	int ret, fd;

	if (_metadata->skip)
		return;
	snprintf(ctr, sizeof(ctr), CHBOX_CTR "/%s", variant->target);
	ret = chbox_probe(b, -1, "try", variant->op, ctr, NULL);
	EXPECT_EQ(1, ret)
	TH_LOG("try %s %s in an ro channel: status %d, want 1 (contract section 3); stdout: %s "
	       "stderr: %s",
	       variant->op, ctr, ret, b->o->out, b->o->err);
	EXPECT_NE(NULL, strstr(b->o->err, "errno=EROFS"))
	TH_LOG("try %s %s in an ro channel: \"%s\", want errno=EROFS", variant->op, ctr, b->o->err);

	/* Nothing changed, as the host sees it. */
	n = chbox_dir_entries(b->host, names, sizeof(names));
	EXPECT_EQ(2, n)
	TH_LOG("after try %s: the channel holds \"%s\", want \"existing dir\"", variant->op, names);
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
	struct chbox b;
};

FIXTURE_SETUP(mode_ro)
{
	HCT_ALWAYS_TEARDOWN();
	setup_box(_metadata, &self->b, "mode-ro", ":" CHBOX_CTR ":ro:8M");
}

FIXTURE_TEARDOWN(mode_ro)
{
	teardown_box(_metadata, &self->b);
}

TEST_F(mode_ro, host_write_seen_in_container)
{
	if (_metadata->skip)
		return;
	host_write_container_read(_metadata, &self->b, "from-host");
}

TEST_F(mode_ro, host_mount_rw_nosuid_nodev_noexec_private)
{
	struct chbox *b = &self->b;
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
	struct chbox *b = &self->b;
	struct hct_mount m;
	int ret;

	if (_metadata->skip)
		return;
	ret = container_mount(b, CHBOX_CTR, &m);
	ASSERT_EQ(0, ret)
	TH_LOG("%s in the container's mountinfo: %s; stderr: %s", CHBOX_CTR, strerror(-ret),
	       b->o->err);
	EXPECT_STREQ("tmpfs", m.fstype);
	for (const char *const *o = (const char *const[]){"ro", "nosuid", "nodev", "noexec", NULL};
	     *o; o++) {
		EXPECT_TRUE(hct_opt_has(m.vfs_options, *o, NULL))
		TH_LOG("the container's mount options \"%s\" lack %s", m.vfs_options, *o);
	}
}

TEST_F(mode_ro, remount_rw_in_container_eperm_stays_ro)
{
	struct chbox *b = &self->b;
	struct chbox_stat cs;
	struct hct_mount m;
	int ret;

	if (_metadata->skip)
		return;
	ret = chbox_probe(b, -1, "remount-rw", CHBOX_CTR, NULL);
	EXPECT_EQ(1, ret)
	TH_LOG("remount-rw in the container: status %d, want 1 (contract section "
	       "3: no CAP_SYS_ADMIN); stdout: %s stderr: %s",
	       ret, b->o->out, b->o->err);
	EXPECT_NE(NULL, strstr(b->o->err, "errno=EPERM"))
	TH_LOG("remount-rw in the container: \"%s\", want errno=EPERM", b->o->err);

	ret = chbox_probe_stat(b, -1, CHBOX_CTR, &cs);
	ASSERT_EQ(0, ret) TH_LOG("hc-probe stat: %d; %s %s", ret, b->o->out, b->o->err);
	EXPECT_EQ(1, cs.ro)
	TH_LOG("after remount-rw the container's mount is writable: %s", b->o->out);
	ret = container_mount(b, CHBOX_CTR, &m);
	ASSERT_EQ(0, ret) TH_LOG("%s in the container's mountinfo: %s", CHBOX_CTR, strerror(-ret));
	EXPECT_TRUE(hct_opt_has(m.vfs_options, "ro", NULL))
	TH_LOG("after remount-rw the container's mountinfo says \"%s\"", m.vfs_options);
	ret = chbox_probe(b, -1, "try", "create", CHBOX_CTR "/after-remount", NULL);
	EXPECT_NE(NULL, strstr(b->o->err, "errno=EROFS"))
	TH_LOG("after remount-rw, creating a file: status %d, \"%s\", want errno=EROFS", ret,
	       b->o->err);
}

/* --------------------------------------------------------- propagation */

FIXTURE(mode_prop)
{
	struct chbox b;
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
	snprintf(tail, sizeof(tail), ":" CHBOX_CTR ":%s:1M", variant->mode);
	setup_box(_metadata, &self->b, "mode-prop", tail);
}

FIXTURE_TEARDOWN(mode_prop)
{
	teardown_box(_metadata, &self->b);
}

TEST_F(mode_prop, container_mount_as_asked)
{
	struct chbox *b = &self->b;
	const char *opt;
	struct chbox_stat cs;
	struct hct_mount m;
	int ret;

	if (_metadata->skip)
		return;
	ret = chbox_probe_stat(b, -1, CHBOX_CTR, &cs);
	ASSERT_EQ(0, ret) TH_LOG("hc-probe stat: %d; %s %s", ret, b->o->out, b->o->err);
	EXPECT_EQ(variant->ro, cs.ro)
	TH_LOG("mode %s: ro=%" PRIu64 " in the container, want %d", variant->mode, cs.ro,
	       variant->ro);

	ret = container_mount(b, CHBOX_CTR, &m);
	ASSERT_EQ(0, ret) TH_LOG("%s in the container's mountinfo: %s", CHBOX_CTR, strerror(-ret));
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

HCT_HARNESS_MAIN
