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

/* The container's /proc/self/mountinfo, read with cat, parsed by libmount. */
static int container_mount(struct hch_box *b, struct hch_run *r, const char *target,
			   struct hct_mount *m)
{
	int ret = hch_exec(r, b->name, -1, "cat", "/proc/self/mountinfo", NULL);

	if (ret != 0)
		return ret > 0 ? -EIO : ret;
	return hct_mount_lookup_text(r->o.out, target, m);
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
	ret = container_mount(b, r, HCH_CTR, &m);
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
	ret = container_mount(b, r, HCH_CTR, &m);
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

	ret = container_mount(b, r, HCH_CTR, &m);
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

HCT_HARNESS_MAIN
