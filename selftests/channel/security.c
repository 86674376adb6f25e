// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * channel/security: the channel never lands outside the container's root
 * and never reaches the host beyond its own tmpfs (contract section 3.6: the
 * container path is resolved inside the container's root, never outside
 * it; section 3.5: delete removes what create made and nothing more).
 *
 * A rootfs comes from an image: every symlink in it is hostile. Each test
 * of fixture plant builds a private minimal rootfs under its scratch
 * directory (busybox, hc-probe, /etc/passwd: the shared build/rootfs is
 * never touched), plants a symlink "s" at its top and asks for the container
 * path /s/ch. Followed on the host from the rootfs directory, each link
 * would lead out of it; resolved inside the root, it leads to an in-root
 * directory:
 *
 *   variant           /s ->                          inside the root   host path it must not touch
 *   abs_root          /                              /ch               /ch
 *   relative_up       ../../../../tmp/<u>-up         /tmp/<u>-up/ch    /tmp/<u>-up
 *   abs_etc           /etc                           /etc/ch           /etc (unchanged), /etc/ch
 *   dotdot_chain      ../../../../a/../../../l2,     /tmp/<u>-chain/ch /tmp/<u>-chain
 *                     l2 -> ../../../../../tmp/<u>-chain
 *   relative_missing  ../../../../tmp/<u>-missing    (made inside, or  /tmp/<u>-missing
 *                     (absent in the rootfs too)      start refused)
 *
 * (<u> is the scratch directory's unique name.) For each: host_unchanged
 * compares the host's mount table (libmount) before create and after start:
 * besides the channel's own tmpfs at the host path, no new mount of the
 * channel's device anywhere, and no new mount at all below the scratch
 * directory (the rootfs is there), the host path above or /etc (the host is
 * shared: other processes may mount elsewhere meanwhile); /etc's lstat is
 * unchanged and the host path above absent. mounted_inside_root checks,
 * inside the container, that the in-root location is the channel (a tmpfs
 * of the channel's size holding what the host wrote).
 *
 * Fixture escape: the container writes through "<cpath>/.." and
 * "<cpath>/../../../.."; the files land in the container's root, never next
 * to the host path or in the host's "/".
 *
 * Fixture host_swap: between create and start, the test replaces the empty
 * host directory the engine made with a symlink to another directory. start
 * must fail or mount elsewhere than the symlink's target; the target stays
 * empty and unmounted, and delete leaves it alone.
 *
 * The rootfs is chosen through the driver: fixtures plant and escape need
 * the driver's info line "rootfs=env:<VAR>" (the ref driver: HCRUN_ROOTFS)
 * and skip without it.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kselftest_harness.h"

#include "channel.h"
#include "harness.h"

#define TIMEOUT_S  60
#define SIZE	   "1M"
#define SIZE_BYTES (1ULL << 20)
#define SHARED	   20000

/*
 * The variable through which the driver takes the rootfs, from its info
 * line "rootfs=env:VAR"; SKIP reason in why when there is none.
 */
static int rootfs_var(char *var, size_t len, char *why, size_t whylen)
{
	char val[128] = "";

	hct_engine_info("rootfs", val, sizeof(val));
	if (strncmp(val, "env:", 4) != 0 || val[4] == '\0') {
		snprintf(why, whylen, "engine %s has no way to set the rootfs", hct_engine_name());
		return HCT_SKIP;
	}
	snprintf(var, len, "%s", val + 4);
	return 0;
}

/* A private rootfs at scratch/rootfs, handed to the driver. */
static int private_rootfs(const struct hch_box *box, char *rootfs, size_t len, char *why,
			  size_t whylen)
{
	char var[128];
	int ret = rootfs_var(var, sizeof(var), why, whylen);

	if (ret != 0)
		return ret;
	snprintf(rootfs, len, "%s/rootfs", box->scratch);
	ret = hch_rootfs_make(rootfs, why, whylen);
	if (ret < 0)
		return ret;
	if (setenv(var, rootfs, 1) < 0) {
		snprintf(why, whylen, "setenv %s: %s", var, strerror(errno));
		return -errno;
	}
	return 0;
}

/* victim/file, in a static buffer (one at a time). */
static const char *P_victim_file(const char *victim)
{
	static char buf[PATH_MAX + 32];

	snprintf(buf, sizeof(buf), "%s/file", victim);
	return buf;
}

/* ------------------------------------------------------------- plant */

#define MAX_PLANTS 4

FIXTURE(plant)
{
	struct hch_box box;
	struct hch_run r;
	char rootfs[PATH_MAX + 16];
	char token[256];
	char inroot[PATH_MAX];
	char host_absent[PATH_MAX];
	char planted[MAX_PLANTS + 2][3 * PATH_MAX]; /* removed in reverse order */
	int nplanted;
	struct hch_mounts before;
	struct stat etc_before;
	bool started;
};

/* '@' in the texts below stands for the scratch directory's unique name. */
FIXTURE_VARIANT(plant)
{
	const char *link;	      /* target of rootfs/s */
	const char *link2;	      /* another link, rootfs/l2, or NULL */
	const char *dirs[MAX_PLANTS]; /* directories made in the rootfs */
	const char *inroot;	      /* where /s/ch resolves inside the root */
	const char *host_absent;      /* a host path that must not appear */
	bool may_refuse;	      /* start may refuse instead */
};

FIXTURE_VARIANT_ADD(plant, abs_root){
	.link = "/",
	.inroot = "/ch",
	.host_absent = "/ch",
};

FIXTURE_VARIANT_ADD(plant, relative_up){
	.link = "../../../../tmp/@-up",
	.dirs = {"tmp/@-up"},
	.inroot = "/tmp/@-up/ch",
	.host_absent = "/tmp/@-up",
};

FIXTURE_VARIANT_ADD(plant, abs_etc){
	.link = "/etc",
	.inroot = "/etc/ch",
	.host_absent = "/etc/ch",
};

FIXTURE_VARIANT_ADD(plant, dotdot_chain){
	.link = "../../../../a/../../../l2",
	.link2 = "../../../../../tmp/@-chain",
	.dirs = {"a", "tmp/@-chain"},
	.inroot = "/tmp/@-chain/ch",
	.host_absent = "/tmp/@-chain",
};

FIXTURE_VARIANT_ADD(plant, relative_missing){
	.link = "../../../../tmp/@-missing",
	.inroot = "/tmp/@-missing/ch",
	.host_absent = "/tmp/@-missing",
	.may_refuse = true,
};

/* template with '@' replaced by token. */
static void subst(char *out, size_t len, const char *template, const char *token)
{
	size_t used = 0;

	for (const char *p = template; *p != '\0' && used + 1 < len; p++) {
		int n = *p == '@' ? snprintf(out + used, len - used, "%s", token)
				  : snprintf(out + used, len - used, "%c", *p);

		used += n > 0 ? (size_t)n : 0;
	}
	out[used < len ? used : len - 1] = '\0';
}

/* rootfs/rel, remembered for the teardown. */
static const char *plant_path(FIXTURE_DATA(plant) * self, const char *rel)
{
	char *p = self->planted[self->nplanted++];

	snprintf(p, sizeof(self->planted[0]), "%s/%s", self->rootfs, rel);
	return p;
}

FIXTURE_SETUP(plant)
{
	char why[512], rel[PATH_MAX], target[PATH_MAX];
	int ret;

	HCT_ALWAYS_TEARDOWN();
	ret = hch_box_init(&self->box, "sec", why, sizeof(why));
	if (ret == HCT_SKIP)
		SKIP(return, "%s", why);
	ASSERT_EQ(0, ret) TH_LOG("%s", why);
	ret = private_rootfs(&self->box, self->rootfs, sizeof(self->rootfs), why, sizeof(why));
	if (ret == HCT_SKIP)
		SKIP(return, "%s", why);
	ASSERT_EQ(0, ret) TH_LOG("%s", why);

	snprintf(self->token, sizeof(self->token), "%s", strrchr(self->box.scratch, '/') + 1);
	subst(self->inroot, sizeof(self->inroot), variant->inroot, self->token);
	subst(self->host_absent, sizeof(self->host_absent), variant->host_absent, self->token);
	for (int i = 0; i < MAX_PLANTS && variant->dirs[i] != NULL; i++) {
		subst(rel, sizeof(rel), variant->dirs[i], self->token);
		ASSERT_EQ(0, mkdir(plant_path(self, rel), 0755))
		TH_LOG("mkdir in the rootfs: %s", rel);
	}
	if (variant->link2 != NULL) {
		subst(target, sizeof(target), variant->link2, self->token);
		ASSERT_EQ(0, symlink(target, plant_path(self, "l2")));
	}
	subst(target, sizeof(target), variant->link, self->token);
	ASSERT_EQ(0, symlink(target, plant_path(self, "s")));
	/* The host must not have them already, or the test proves nothing. */
	ASSERT_NE(0, access(self->host_absent, F_OK))
	TH_LOG("%s exists on the host before the test", self->host_absent);
	ASSERT_EQ(0, lstat("/etc", &self->etc_before));
	ASSERT_EQ(0, hch_mounts_read(&self->before));
}

FIXTURE_TEARDOWN(plant)
{
	HCT_TEARDOWN_BEGIN();
	EXPECT_EQ(0, hch_box_delete(&self->box));
	hch_mounts_free(&self->before);
	for (int i = self->nplanted - 1; i >= 0; i--) {
		const char *p = self->planted[i];
		struct stat st;
		int ret = lstat(p, &st) == 0 && S_ISLNK(st.st_mode) ? hch_unlink(p) : hch_rmdir(p);

		if (ret < 0)
			TH_LOG("teardown: removing %s: %s", p, strerror(-ret));
	}
	if (self->rootfs[0] != '\0')
		EXPECT_EQ(0, hch_rootfs_remove(self->rootfs));
	EXPECT_EQ(0, hch_box_fini(&self->box));
}

/*
 * create and start with the container path /s/ch; 0 when started, 1 when
 * the variant allows a refusal and start refused, -1 otherwise.
 */
static int up(struct __test_metadata *_metadata, FIXTURE_DATA(plant) * self,
	      const FIXTURE_VARIANT(plant) * variant)
{
	char spec[2 * PATH_MAX];

	snprintf(spec, sizeof(spec), "%s:/s/ch:rw:" SIZE, self->box.host);
	if (hch_run(&self->r, "create", self->box.name, "--host-channel", spec, NULL) != 0) {
		if (variant->may_refuse) {
			TH_LOG("create refused, allowed here; %s", hch_log(&self->r));
			return 1;
		}
		TH_LOG("%s", hch_log(&self->r));
		return -1;
	}
	if (hch_run(&self->r, "start", self->box.name, NULL) != 0) {
		if (variant->may_refuse) {
			TH_LOG("start refused, allowed here; %s", hch_log(&self->r));
			return 1;
		}
		TH_LOG("%s", hch_log(&self->r));
		return -1;
	}
	self->started = true;
	return 0;
}

TEST_F_TIMEOUT(plant, host_unchanged, TIMEOUT_S)
{
	const char *watch[] = {self->box.scratch, self->host_absent, "/etc", NULL};
	struct hch_mounts after;
	char report[4096];
	struct stat st, ch = {0};
	int n;

	if (_metadata->skip)
		return;
	ASSERT_LE(0, up(_metadata, self, variant));
	if (self->started)
		ASSERT_EQ(0, stat(self->box.host, &ch));
	ASSERT_EQ(0, hch_mounts_read(&after));
	n = hch_mounts_new(&self->before, &after, self->box.host, ch.st_dev, watch, report,
			   sizeof(report));
	hch_mounts_free(&after);
	EXPECT_EQ(0, n)
	TH_LOG("contract section 3: /s -> %s in the rootfs: %d new mounts on the host besides the "
	       "channel at %s (the channel's device elsewhere, or below %s, %s, /etc): %s",
	       variant->link, n, self->box.host, self->box.scratch, self->host_absent, report);
	EXPECT_NE(0, lstat(self->host_absent, &st))
	TH_LOG("contract section 3: /s -> %s in the rootfs made %s on the host (mode %o)",
	       variant->link, self->host_absent, st.st_mode);
	ASSERT_EQ(0, lstat("/etc", &st));
	EXPECT_TRUE(hch_same_stat(&self->etc_before, &st))
	TH_LOG("contract section 3: the host's /etc changed (nlink %llu -> %llu, mtime %lld -> "
	       "%lld)",
	       (unsigned long long)self->etc_before.st_nlink, (unsigned long long)st.st_nlink,
	       (long long)self->etc_before.st_mtim.tv_sec, (long long)st.st_mtim.tv_sec);
}

TEST_F_TIMEOUT(plant, mounted_inside_root, TIMEOUT_S)
{
	char hfile[2 * PATH_MAX], cfile[2 * PATH_MAX], type[32] = "";
	uint64_t size = 0, sum = 0, want = hch_pattern_sum(2, SHARED);
	int ret;

	if (_metadata->skip)
		return;
	ret = up(_metadata, self, variant);
	ASSERT_LE(0, ret);
	if (ret == 1)
		SKIP(return,
			   "engine %s refused a container path through a symlink to a missing "
			   "directory (allowed: nothing was mounted to check)",
			   hct_engine_name());

	ASSERT_EQ(0, hch_probe(&self->r, self->box.name, -1, "stat", self->inroot, NULL))
	TH_LOG("contract section 3: /s -> %s: nothing at %s inside the root; %s", variant->link,
	       self->inroot, hch_log(&self->r));
	hch_kv_str(self->r.o.out, "fstype", type, sizeof(type));
	hch_kv_u64(self->r.o.out, "size", 10, &size);
	EXPECT_STREQ("tmpfs", type)
	TH_LOG("contract section 3: /s -> %s: %s inside the root is not the channel; %s",
	       variant->link, self->inroot, hch_log(&self->r));
	EXPECT_EQ(SIZE_BYTES, size) TH_LOG("%s", hch_log(&self->r));

	/* The very channel: what the host writes is there. */
	snprintf(hfile, sizeof(hfile), "%s/shared", self->box.host);
	snprintf(cfile, sizeof(cfile), "%s/shared", self->inroot);
	ASSERT_EQ(0, hch_write_pattern(hfile, SHARED, 2));
	ASSERT_EQ(0, hch_probe(&self->r, self->box.name, -1, "read", cfile, NULL))
	TH_LOG("contract section 3: the host's file is not at %s inside; %s", cfile,
	       hch_log(&self->r));
	EXPECT_EQ(0, hch_kv_u64(self->r.o.out, "sum", 16, &sum));
	EXPECT_EQ(want, sum) TH_LOG("%s", hch_log(&self->r));
	/* And through the path as given, which the container resolves the same way. */
	ASSERT_EQ(0, hch_probe(&self->r, self->box.name, -1, "read", "/s/ch/shared", NULL))
	TH_LOG("%s", hch_log(&self->r));
	EXPECT_EQ(0, hch_kv_u64(self->r.o.out, "sum", 16, &sum));
	EXPECT_EQ(want, sum) TH_LOG("%s", hch_log(&self->r));
}

/* ------------------------------------------------------------ escape */

FIXTURE(escape)
{
	struct hch_box box;
	struct hch_run r;
	char rootfs[PATH_MAX + 16];
	char name[300]; /* escape-<unique> */
};

FIXTURE_SETUP(escape)
{
	char why[512];
	int ret;

	HCT_ALWAYS_TEARDOWN();
	ret = hch_box_init(&self->box, "escape", why, sizeof(why));
	if (ret == HCT_SKIP)
		SKIP(return, "%s", why);
	ASSERT_EQ(0, ret) TH_LOG("%s", why);
	ret = private_rootfs(&self->box, self->rootfs, sizeof(self->rootfs), why, sizeof(why));
	if (ret == HCT_SKIP)
		SKIP(return, "%s", why);
	ASSERT_EQ(0, ret) TH_LOG("%s", why);
	snprintf(self->name, sizeof(self->name), "escape-%s", strrchr(self->box.scratch, '/') + 1);
	{
		char spec[2 * PATH_MAX];

		snprintf(spec, sizeof(spec), "%s:/mnt/ch:rw:" SIZE, self->box.host);
		ASSERT_EQ(0,
			  hch_run(&self->r, "create", self->box.name, "--host-channel", spec, NULL))
		TH_LOG("%s", hch_log(&self->r));
		ASSERT_EQ(0, hch_run(&self->r, "start", self->box.name, NULL))
		TH_LOG("%s", hch_log(&self->r));
	}
}

FIXTURE_TEARDOWN(escape)
{
	HCT_TEARDOWN_BEGIN();
	EXPECT_EQ(0, hch_box_delete(&self->box));
	if (self->rootfs[0] != '\0') {
		char p[3 * PATH_MAX];

		/* Only an engine without overlay writes the container's files here. */
		snprintf(p, sizeof(p), "%s/mnt/%s", self->rootfs, self->name);
		hch_unlink(p);
		snprintf(p, sizeof(p), "%s/%s", self->rootfs, self->name);
		hch_unlink(p);
		EXPECT_EQ(0, hch_rootfs_remove(self->rootfs));
	}
	EXPECT_EQ(0, hch_box_fini(&self->box));
}

/* Create cpath_rel/../NAME inside; it must show nowhere on the host but in the root. */
static void expect_no_escape(struct __test_metadata *_metadata, FIXTURE_DATA(escape) * self,
			     const char *up, const char *host_place, const char *inroot)
{
	char cpath[2 * PATH_MAX], hpath[2 * PATH_MAX], in[2 * PATH_MAX], type[32] = "";
	struct stat st;

	snprintf(cpath, sizeof(cpath), "/mnt/ch/%s%s", up, self->name);
	snprintf(hpath, sizeof(hpath), "%s/%s", host_place, self->name);
	snprintf(in, sizeof(in), "%s/%s", inroot, self->name);
	ASSERT_EQ(0, hch_probe(&self->r, self->box.name, -1, "try", "create", cpath, NULL))
	TH_LOG("creating %s inside (a root-owned container may write its own root); %s", cpath,
	       hch_log(&self->r));
	EXPECT_NE(0, lstat(hpath, &st))
	TH_LOG("contract section 3: writing %s in the container made %s on the host", cpath, hpath);
	/* It went where the container's own root has it, off the channel. */
	ASSERT_EQ(0, hch_probe(&self->r, self->box.name, -1, "stat", in, NULL))
	TH_LOG("%s did not land at %s inside; %s", cpath, in, hch_log(&self->r));
	hch_kv_str(self->r.o.out, "fstype", type, sizeof(type));
	EXPECT_STRNE("tmpfs", type)
	TH_LOG("%s is on a tmpfs: on the channel? %s", in, hch_log(&self->r));
	EXPECT_NE(0, lstat(hpath, &st));
}

TEST_F_TIMEOUT(escape, dotdot_from_channel_stays_in_root, TIMEOUT_S)
{
	if (_metadata->skip)
		return;
	/* /mnt/ch/.. is the container's /mnt, never the host path's parent. */
	expect_no_escape(_metadata, self, "../", self->box.scratch, "/mnt");
}

TEST_F_TIMEOUT(escape, deep_dotdot_from_channel_stays_in_root, TIMEOUT_S)
{
	if (_metadata->skip)
		return;
	/* Past the container's "/", ".." stays there: never the host's "/". */
	expect_no_escape(_metadata, self, "../../../../../../", "", "");
}

/* --------------------------------------------------------- host swap */

FIXTURE(host_swap)
{
	struct hch_box box;
	struct hch_run r;
	char target[PATH_MAX + 16];
	bool linked;
};

FIXTURE_SETUP(host_swap)
{
	char why[512];
	int ret;

	HCT_ALWAYS_TEARDOWN();
	ret = hch_box_init(&self->box, "swap", why, sizeof(why));
	if (ret == HCT_SKIP)
		SKIP(return, "%s", why);
	ASSERT_EQ(0, ret) TH_LOG("%s", why);
	snprintf(self->target, sizeof(self->target), "%s/target", self->box.scratch);
	ASSERT_EQ(0, mkdir(self->target, 0755));
}

FIXTURE_TEARDOWN(host_swap)
{
	HCT_TEARDOWN_BEGIN();
	/* The symlink at the host path is the test's own: not the engine's leftover. */
	if (self->box.name[0] != '\0') {
		hct_engine_cleanup(self->box.name);
		self->box.name[0] = '\0';
	}
	if (self->linked && hch_unlink(self->box.host) < 0)
		TH_LOG("teardown: unlink %s: %s", self->box.host, strerror(errno));
	if (self->target[0] != '\0' && hch_rmdir(self->target) < 0)
		TH_LOG("teardown: rmdir %s: %s", self->target, strerror(errno));
	EXPECT_EQ(0, hch_box_fini(&self->box));
}

TEST_F_TIMEOUT(host_swap, start_never_follows_symlink_at_host_path, TIMEOUT_S)
{
	char spec[2 * PATH_MAX], entries[256];
	struct stat st;
	int n;

	if (_metadata->skip)
		return;
	snprintf(spec, sizeof(spec), "%s:/mnt/ch:rw:" SIZE, self->box.host);
	ASSERT_EQ(0, hch_run(&self->r, "create", self->box.name, "--host-channel", spec, NULL))
	TH_LOG("%s", hch_log(&self->r));
	ASSERT_EQ(0, rmdir(self->box.host))
	TH_LOG("rmdir %s, which create made: %s", self->box.host, strerror(errno));
	ASSERT_EQ(0, symlink(self->target, self->box.host));
	self->linked = true;

	hch_run(&self->r, "start", self->box.name, NULL);
	TH_LOG("start with the host path swapped for a symlink: %s", hch_log(&self->r));
	n = hch_mount_count(self->target);
	EXPECT_EQ(0, n)
	TH_LOG("contract section 3: start followed the symlink planted at the host path: %d "
	       "mounts at its target %s",
	       n, self->target);
	hch_dir_entries(self->target, entries, sizeof(entries));
	EXPECT_STREQ("", entries)
	TH_LOG("the symlink's target %s now holds: %s", self->target, entries);
	if (self->r.o.status == 0) {
		/* Started: then the container must not write into the target either. */
		hch_probe(&self->r, self->box.name, -1, "try", "create", "/mnt/ch/probe", NULL);
		hch_dir_entries(self->target, entries, sizeof(entries));
		EXPECT_STREQ("", entries)
		TH_LOG("contract section 3: the container wrote into %s through the host path's "
		       "symlink; %s",
		       self->target, hch_log(&self->r));
	}

	hch_run(&self->r, "delete", self->box.name, NULL);
	self->box.name[0] = '\0';
	ASSERT_EQ(0, lstat(self->target, &st))
	TH_LOG("contract section 3: delete removed %s, the symlink's target: %s", self->target,
	       strerror(errno));
	EXPECT_TRUE(S_ISDIR(st.st_mode));
	EXPECT_EQ(0, hch_mount_count(self->target));
}

/* ------------------------------------------------------- rootfs traps */

/*
 * Fixture trap: what the rootfs puts at or above the container path, each
 * with its expected outcome. Refusals (a file, a FIFO, a symlink loop) must
 * mount nothing; the others may mount inside the root or refuse, never
 * touch the host's /proc or /etc, nor make a mount below the scratch
 * directory (the rootfs is there) other than the channel itself.
 *
 *   variant     in the rootfs                 container path   expected
 *   file        /f, a regular file            /f               refused
 *   fifo        /q, a FIFO                    /q               refused
 *   loop        /l -> /l                      /l/ch            refused (ELOOP)
 *   proc_link   /p -> /proc                   /p/ch            inside the root, or refused
 *   etc_at      /e -> /etc (at the path)      /e               inside the root, or refused
 */
enum trap_kind { TRAP_FILE, TRAP_FIFO, TRAP_LINK };

FIXTURE(trap)
{
	struct hch_box box;
	struct hch_run r;
	char rootfs[PATH_MAX + 16];
	char planted[3 * PATH_MAX];
	struct stat planted_before, etc_before;
	struct hch_mounts before;
};

FIXTURE_VARIANT(trap)
{
	enum trap_kind kind;
	const char *name;   /* at the rootfs's top */
	const char *target; /* of a link */
	const char *cpath;
	bool must_refuse;
};

FIXTURE_VARIANT_ADD(trap, file){.kind = TRAP_FILE, .name = "f", .cpath = "/f", .must_refuse = true};
FIXTURE_VARIANT_ADD(trap, fifo){.kind = TRAP_FIFO, .name = "q", .cpath = "/q", .must_refuse = true};
FIXTURE_VARIANT_ADD(trap, loop){
	.kind = TRAP_LINK, .name = "l", .target = "/l", .cpath = "/l/ch", .must_refuse = true};
FIXTURE_VARIANT_ADD(trap,
		    proc_link){.kind = TRAP_LINK, .name = "p", .target = "/proc", .cpath = "/p/ch"};
FIXTURE_VARIANT_ADD(trap, etc_at){.kind = TRAP_LINK, .name = "e", .target = "/etc", .cpath = "/e"};

FIXTURE_SETUP(trap)
{
	char why[512];
	int ret, fd;

	HCT_ALWAYS_TEARDOWN();
	ret = hch_box_init(&self->box, "trap", why, sizeof(why));
	if (ret == HCT_SKIP)
		SKIP(return, "%s", why);
	ASSERT_EQ(0, ret) TH_LOG("%s", why);
	ret = private_rootfs(&self->box, self->rootfs, sizeof(self->rootfs), why, sizeof(why));
	if (ret == HCT_SKIP)
		SKIP(return, "%s", why);
	ASSERT_EQ(0, ret) TH_LOG("%s", why);
	snprintf(self->planted, sizeof(self->planted), "%s/%s", self->rootfs, variant->name);
	switch (variant->kind) {
	case TRAP_FILE:
		fd = open(self->planted, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
		ASSERT_LE(0, fd);
		ASSERT_EQ(5, write(fd, "data\n", 5));
		ASSERT_EQ(0, close(fd));
		break;
	case TRAP_FIFO:
		ASSERT_EQ(0, mkfifo(self->planted, 0644));
		break;
	case TRAP_LINK:
		ASSERT_EQ(0, symlink(variant->target, self->planted));
		break;
	}
	ASSERT_EQ(0, lstat(self->planted, &self->planted_before));
	ASSERT_EQ(0, lstat("/etc", &self->etc_before));
	ASSERT_EQ(0, hch_mounts_read(&self->before));
}

FIXTURE_TEARDOWN(trap)
{
	HCT_TEARDOWN_BEGIN();
	EXPECT_EQ(0, hch_box_delete(&self->box));
	hch_mounts_free(&self->before);
	if (self->planted[0] != '\0' && hch_unlink(self->planted) < 0)
		TH_LOG("teardown: unlink %s: %s", self->planted, strerror(errno));
	if (self->rootfs[0] != '\0')
		EXPECT_EQ(0, hch_rootfs_remove(self->rootfs));
	EXPECT_EQ(0, hch_box_fini(&self->box));
}

TEST_F_TIMEOUT(trap, refused_or_inside_the_root_and_nothing_outside_touched, TIMEOUT_S)
{
	const char *watch[] = {self->box.scratch, "/proc", "/etc", NULL};
	char spec[2 * PATH_MAX], report[4096];
	struct hch_mounts after;
	struct stat st, ch = {0};
	bool started = false;
	int n;

	if (_metadata->skip)
		return;
	snprintf(spec, sizeof(spec), "%s:%s:rw:" SIZE, self->box.host, variant->cpath);
	if (hch_run(&self->r, "create", self->box.name, "--host-channel", spec, NULL) == 0)
		started = hch_run(&self->r, "start", self->box.name, NULL) == 0;
	TH_LOG("%s", hch_log(&self->r));
	if (variant->must_refuse)
		EXPECT_FALSE(started)
	TH_LOG("contract section 3: a container path that is %s was bound",
	       variant->kind == TRAP_FILE   ? "a file"
	       : variant->kind == TRAP_FIFO ? "a FIFO"
					    : "a symlink loop");
	if (started)
		ASSERT_EQ(0, stat(self->box.host, &ch));
	ASSERT_EQ(0, hch_mounts_read(&after));
	n = hch_mounts_new(&self->before, &after, self->box.host, ch.st_dev, watch, report,
			   sizeof(report));
	hch_mounts_free(&after);
	EXPECT_EQ(0, n)
	TH_LOG("contract section 3: container path %s over a planted %s: new mounts outside the "
	       "root: %s",
	       variant->cpath, variant->name, report);
	ASSERT_EQ(0, lstat(self->planted, &st));
	EXPECT_TRUE(hch_same_stat(&self->planted_before, &st))
	TH_LOG("the planted %s changed", self->planted);
	ASSERT_EQ(0, lstat("/etc", &st));
	EXPECT_TRUE(hch_same_stat(&self->etc_before, &st)) TH_LOG("the host's /etc changed");
}

/* --------------------------------------------------------- host paths */

/*
 * Fixture hostpath: host paths the contract's grammar accepts but the host
 * should not, or that stress the bookkeeping:
 *  - under the kernel's own file systems (/proc, /sys, a cgroup hierarchy):
 *    refused, nothing made (a mkdir in a cgroup hierarchy would make a
 *    cgroup);
 *  - names with a space and a newline, in both paths: the whole life
 *    works, mountinfo's escapes included, and delete leaves nothing;
 *  - as long as PATH_MAX allows (4095 bytes): works or is refused, and
 *    leaves nothing either way; one byte more is refused;
 *  - the host path's parent swapped for a symlink between create and start:
 *    start refused, the symlink's target and what is in it untouched.
 */
FIXTURE(hostpath)
{
	struct hch_box box;
	struct hch_run r;
};

FIXTURE_SETUP(hostpath)
{
	char why[512];
	int ret;

	HCT_ALWAYS_TEARDOWN();
	ret = hch_box_init(&self->box, "hostpath", why, sizeof(why));
	if (ret == HCT_SKIP)
		SKIP(return, "%s", why);
	ASSERT_EQ(0, ret) TH_LOG("%s", why);
}

FIXTURE_TEARDOWN(hostpath)
{
	HCT_TEARDOWN_BEGIN();
	hch_box_delete(&self->box);
	EXPECT_EQ(0, hch_box_fini(&self->box));
}

TEST_F_TIMEOUT(hostpath, kernel_file_systems_are_refused, TIMEOUT_S)
{
	char host[PATH_MAX], spec[2 * PATH_MAX];
	const char *const places[] = {"/proc", "/sys", "/sys/fs/cgroup", NULL};
	struct stat st;

	if (_metadata->skip)
		return;
	for (int i = 0; places[i] != NULL; i++) {
		if (lstat(places[i], &st) < 0)
			continue;
		snprintf(host, sizeof(host), "%s/%s", places[i],
			 strrchr(self->box.scratch, '/') + 1);
		snprintf(spec, sizeof(spec), "%s:/mnt/ch:rw:" SIZE, host);
		EXPECT_NE(0,
			  hch_run(&self->r, "create", self->box.name, "--host-channel", spec, NULL))
		TH_LOG("a host channel under %s was accepted; %s", places[i], hch_log(&self->r));
		hch_box_delete(&self->box);
		hct_engine_container_name(self->box.name, sizeof(self->box.name), "hostpath");
		EXPECT_NE(0, lstat(host, &st)) TH_LOG("%s was made", host);
		EXPECT_EQ(0, hch_mount_count(host));
	}
}

TEST_F_TIMEOUT(hostpath, space_and_newline_in_both_paths_work_and_leave_nothing, TIMEOUT_S)
{
	char host[PATH_MAX + 32], spec[2 * PATH_MAX + 64], file[PATH_MAX + 48], entries[256];
	uint64_t sum = 0;

	if (_metadata->skip)
		return;
	snprintf(host, sizeof(host), "%s/a b\nc/ch d", self->box.scratch);
	snprintf(spec, sizeof(spec), "%s:/mnt/x y\nz:rw:" SIZE, host);
	ASSERT_EQ(0, hch_run(&self->r, "create", self->box.name, "--host-channel", spec, NULL))
	TH_LOG("%s", hch_log(&self->r));
	ASSERT_EQ(0, hch_run(&self->r, "start", self->box.name, NULL))
	TH_LOG("%s", hch_log(&self->r));
	EXPECT_EQ(1, hch_mount_count(host))
	TH_LOG("mountinfo does not show the channel at \"%s\"", host);
	snprintf(file, sizeof(file), "%s/f", host);
	ASSERT_EQ(0, hch_write_pattern(file, SHARED, 5));
	ASSERT_EQ(0, hch_probe(&self->r, self->box.name, -1, "read", "/mnt/x y\nz/f", NULL))
	TH_LOG("%s", hch_log(&self->r));
	EXPECT_EQ(0, hch_kv_u64(self->r.o.out, "sum", 16, &sum));
	EXPECT_EQ(hch_pattern_sum(5, SHARED), sum);
	ASSERT_EQ(0, hch_run(&self->r, "delete", self->box.name, NULL))
	TH_LOG("%s", hch_log(&self->r));
	self->box.name[0] = '\0';
	EXPECT_EQ(0, hch_mount_count(host));
	hch_dir_entries(self->box.scratch, entries, sizeof(entries));
	EXPECT_STREQ("", entries) TH_LOG("delete left: %s", entries);
}

/* A path of exactly len bytes under scratch: components of up to 200 bytes. */
static void long_path(char *out, size_t outlen, const char *scratch, size_t len)
{
	size_t used = (size_t)snprintf(out, outlen, "%s", scratch);

	while (used < len && used + 1 < outlen) {
		size_t comp = len - used - 1 > 200 ? 200 : len - used - 1;

		if (comp == 0)
			comp = 1;
		out[used++] = '/';
		memset(out + used, 'd', comp);
		used += comp;
		out[used] = '\0';
	}
	/* A component of one byte would end in "/" + nothing: lengthen the last. */
}

TEST_F_TIMEOUT(hostpath, paths_as_long_as_path_max_allows_leave_nothing, TIMEOUT_S)
{
	static char host[PATH_MAX + 8], spec[PATH_MAX + 64];
	char entries[512];
	size_t lens[] = {PATH_MAX - 1, PATH_MAX};

	if (_metadata->skip)
		return;
	for (int i = 0; i < 2; i++) {
		int created;

		long_path(host, sizeof(host), self->box.scratch, lens[i]);
		snprintf(spec, sizeof(spec), "%s:/mnt/ch:rw:" SIZE, host);
		created = hch_run(&self->r, "create", self->box.name, "--host-channel", spec, NULL);
		TH_LOG("host path of %zu bytes: create %s", strlen(host),
		       created == 0 ? "accepted it" : "refused it");
		if (lens[i] >= PATH_MAX)
			EXPECT_NE(0, created) TH_LOG("a host path of PATH_MAX bytes was accepted");
		if (created == 0) {
			/* Started or not, delete must leave nothing. */
			hch_run(&self->r, "start", self->box.name, NULL);
			EXPECT_EQ(0, hch_run(&self->r, "delete", self->box.name, NULL))
			TH_LOG("%s", hch_log(&self->r));
		}
		hch_box_delete(&self->box);
		hct_engine_container_name(self->box.name, sizeof(self->box.name), "hostpath");
		hch_dir_entries(self->box.scratch, entries, sizeof(entries));
		EXPECT_STREQ("", entries)
		TH_LOG("left under the scratch directory: %s", entries);
	}
}

TEST_F_TIMEOUT(hostpath, parent_swapped_for_a_symlink_before_start_is_refused, TIMEOUT_S)
{
	char host[PATH_MAX + 48], par[PATH_MAX + 32], moved[PATH_MAX + 32], target[PATH_MAX + 32];
	char tch[PATH_MAX + 48], spec[2 * PATH_MAX + 128], entries[256];
	struct stat before, st;
	int started;

	if (_metadata->skip)
		return;
	snprintf(par, sizeof(par), "%s/par", self->box.scratch);
	snprintf(host, sizeof(host), "%s/ch", par);
	snprintf(moved, sizeof(moved), "%s/par.moved", self->box.scratch);
	snprintf(target, sizeof(target), "%s/target", self->box.scratch);
	snprintf(tch, sizeof(tch), "%s/ch", target);
	snprintf(spec, sizeof(spec), "%s:/mnt/ch:rw:" SIZE, host);
	ASSERT_EQ(0, hch_run(&self->r, "create", self->box.name, "--host-channel", spec, NULL))
	TH_LOG("%s", hch_log(&self->r));
	/* Before anything of the attacker's is made, so that a failure here
	 * (an engine that makes the host path only at start) leaves nothing. */
	ASSERT_EQ(0, lstat(par, &st)) TH_LOG("create did not make %s", par);
	/* The attacker's directory, with a "ch" of its own, behind the symlink. */
	ASSERT_EQ(0, mkdir(target, 0755));
	ASSERT_EQ(0, mkdir(tch, 0755));
	ASSERT_EQ(0, lstat(tch, &before));
	ASSERT_EQ(0, rename(par, moved));
	ASSERT_EQ(0, symlink(target, par));

	started = hch_run(&self->r, "start", self->box.name, NULL);
	TH_LOG("start with %s swapped for a symlink: %s", par, hch_log(&self->r));
	EXPECT_NE(0, started) TH_LOG("contract section 3: start followed a symlinked parent");
	EXPECT_EQ(0, hch_mount_count(tch)) TH_LOG("the symlink's target %s was mounted", tch);
	hch_run(&self->r, "delete", self->box.name, NULL);
	TH_LOG("delete with the parent still swapped: %s", hch_log(&self->r));
	ASSERT_EQ(0, lstat(tch, &st)) TH_LOG("delete removed %s, behind the symlink", tch);
	EXPECT_TRUE(hch_same_stat(&before, &st));
	EXPECT_EQ(0, hch_mount_count(tch));

	/* Put the parent back: now delete must finish the job. */
	EXPECT_EQ(0, unlink(par));
	EXPECT_EQ(0, rename(moved, par));
	EXPECT_EQ(0, rmdir(tch));
	EXPECT_EQ(0, rmdir(target));
	hch_run(&self->r, "delete", self->box.name, NULL);
	self->box.name[0] = '\0';
	hch_dir_entries(self->box.scratch, entries, sizeof(entries));
	EXPECT_STREQ("", entries) TH_LOG("left: %s", entries);
}

/* ------------------------------------------------------ tampered state */

/*
 * Fixture tamper (hcrun only: it reads hcrun's state file): state.json is
 * edited so that the channel's host path names another directory, one that
 * holds a file and has a tmpfs of someone else mounted on it. delete must
 * neither unmount that tmpfs nor remove the directory or its file; it fails
 * and keeps its state. Restored, the state lets delete finish.
 */
/* Replace the whole content of path with text (truncated first). */
static int replace_file(const char *path, const char *text)
{
	size_t len = strlen(text);
	int fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC | O_NOFOLLOW);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, text, len);
	if (close(fd) < 0 || n != (ssize_t)len)
		return -EIO;
	return 0;
}

FIXTURE(tamper)
{
	struct hch_box box;
	struct hch_run r;
	char victim[PATH_MAX + 16];
	char state[PATH_MAX];
	char orig[32768]; /* state.json as hcrun wrote it; "" until read */
	bool mounted;
};

FIXTURE_SETUP(tamper)
{
	char why[512], spec[2 * PATH_MAX];
	int ret;

	HCT_ALWAYS_TEARDOWN();
	ret = hch_box_init(&self->box, "tamper", why, sizeof(why));
	if (ret == HCT_SKIP)
		SKIP(return, "%s", why);
	ASSERT_EQ(0, ret) TH_LOG("%s", why);
	if (strcmp(hct_engine_name(), "ref") != 0)
		SKIP(return, "edits hcrun's state file: engine ref only, not %s",
			   hct_engine_name());
	snprintf(self->victim, sizeof(self->victim), "%s/victim", self->box.scratch);
	ASSERT_EQ(0, mkdir(self->victim, 0755));
	ASSERT_EQ(0, mount("someone", self->victim, "tmpfs", MS_NOSUID | MS_NODEV, "size=64k"));
	self->mounted = true;
	ASSERT_EQ(0, hch_write_pattern(P_victim_file(self->victim), 100, 9));
	snprintf(spec, sizeof(spec), "%s:/mnt/ch:rw:" SIZE, self->box.host);
	ASSERT_EQ(0, hch_run(&self->r, "create", self->box.name, "--host-channel", spec, NULL))
	TH_LOG("%s", hch_log(&self->r));
	ASSERT_EQ(0, hch_run(&self->r, "start", self->box.name, NULL))
	TH_LOG("%s", hch_log(&self->r));
	snprintf(self->state, sizeof(self->state), "%s/%s/state.json",
		 getenv("HCRUN_ROOT") != NULL ? getenv("HCRUN_ROOT") : "/run/hcrun",
		 self->box.name);
	ASSERT_LT(0, hct_read_file(self->state, self->orig, sizeof(self->orig)))
	TH_LOG("cannot read %s", self->state);
}

FIXTURE_TEARDOWN(tamper)
{
	HCT_TEARDOWN_BEGIN();
	if (self->orig[0] != '\0') {
		/* The state as hcrun wrote it: delete can then do its job. */
		EXPECT_EQ(0, replace_file(self->state, self->orig));
	}
	EXPECT_EQ(0, hch_box_delete(&self->box));
	if (self->mounted) {
		hch_unlink(P_victim_file(self->victim));
		EXPECT_EQ(0, umount(self->victim));
	}
	if (self->victim[0] != '\0' && hch_rmdir(self->victim) < 0)
		TH_LOG("teardown: rmdir %s: %s", self->victim, strerror(errno));
	EXPECT_EQ(0, hch_box_fini(&self->box));
}

TEST_F_TIMEOUT(tamper, delete_never_unmounts_nor_removes_what_an_edited_state_names, TIMEOUT_S)
{
	size_t hlen = strlen(self->box.host), vlen = strlen(self->victim), n = 0;
	static char edited[2 * sizeof(self->orig)];
	char *p, *q;
	uint64_t size, bad, sum;

	if (_metadata->skip)
		return;
	/* Every mention of the host path now names the victim. */
	for (p = self->orig, q = edited; *p != '\0';) {
		if (strncmp(p, self->box.host, hlen) == 0 && (p[hlen] == '"' || p[hlen] == ':')) {
			memcpy(q, self->victim, vlen);
			q += vlen;
			p += hlen;
			n++;
		} else {
			*q++ = *p++;
		}
	}
	*q = '\0';
	ASSERT_LT(0, n);
	ASSERT_EQ(0, replace_file(self->state, edited));

	hch_run(&self->r, "delete", self->box.name, NULL);
	TH_LOG("delete with the edited state: %s", hch_log(&self->r));
	EXPECT_EQ(1, hch_mount_count(self->victim))
	TH_LOG("delete unmounted someone else's tmpfs at %s, named by an edited state",
	       self->victim);
	EXPECT_EQ(0, hch_check_pattern(P_victim_file(self->victim), 100, 9, &size, &bad, &sum))
	TH_LOG("the file in %s is gone or changed", self->victim);
}

HCT_HARNESS_MAIN
