// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * channel/multi: several channels in one container. Each --host-channel
 * given to one create is a channel of its own (contract section 1.1): its
 * own tmpfs with its own size, mode and data, none dropped, none merged
 * with another; and --memory-add-channel raises the limit by the sum of
 * all their sizes (section 4.4). An engine that keeps one option value (the
 * last), binds every container path to one tmpfs, or adds one channel's
 * size passes every single-channel test.
 *
 * One container, three channels, each host path in a scratch directory of
 * its own; sizes and modes differ so that each figure names its channel:
 *
 *   channel  host path                 container path  mode  size
 *   a        /tmp/...-multi-a-XXXXXX/ch  /mnt/ch-a       rw     4 MiB
 *   b        /tmp/...-multi-b-XXXXXX/ch  /mnt/ch-b       ro     8 MiB
 *   c        /tmp/...-multi-c-XXXXXX/ch  /mnt/ch-c       rw    12 MiB
 *
 *   test                          reads back                              expected
 *   host_side_own_tmpfs           host mountinfo (libmount), statfs,      three tmpfs mounts, 4/8/12 MiB,
 *                                 stat st_dev of each host path           three devices
 *   container_side_own_tmpfs      the container's mountinfo (cat), its    three tmpfs mounts, only b ro,
 *                                 statfs (busybox stat -f) and st_dev     4/8/12 MiB, each the device of
 *                                 (busybox stat) of each container path   its own host path
 *   own_data                      hc-probe read / write inside, the       each channel holds only what was
 *                                 pattern and the entries on the host     written into it, under the same
 *                                                                         names in all three
 *   ro_only_where_asked           hc-probe try create inside              ok in a and c, EROFS in b, and b
 *                                                                         unchanged on the host
 *   memory_add_channel_sums_sizes memory.limit_in_bytes / memory.max      --memory 64 MiB + 4 + 8 + 12 MiB
 *                                 of the driver's cgroup                  = 88 MiB
 *
 * The same file names in every channel are the trap for a merge: were two
 * container paths one tmpfs, one channel's file would hold the other's
 * pattern. The devices are the kernel's own word on which tmpfs a path is:
 * a bind shows the st_dev of its source in any mount namespace.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "kselftest_harness.h"

#include "channel.h"
#include "harness.h"

#define NCH	   3
#define DATA_BYTES (HCT_MiB + 123) /* more than a page, no page multiple */
#define LIMIT	   (64 * HCT_MiB)

static const struct {
	const char *what; /* names the scratch directory */
	const char *ctr;
	const char *mode;
	uint64_t size;
} chans[NCH] = {
	{"multi-a", "/mnt/ch-a", "rw", 4 * HCT_MiB},
	{"multi-b", "/mnt/ch-b", "ro", 8 * HCT_MiB},
	{"multi-c", "/mnt/ch-c", "rw", 12 * HCT_MiB},
};

FIXTURE(multi)
{
	/* b[0] names the container; the others only lend their host paths. */
	struct hch_box b[NCH];
	struct hch_run r;
	char specs[NCH][PATH_MAX + 64];
	dev_t dev[NCH]; /* of each host path, once started */
};

FIXTURE_SETUP(multi)
{
	char spec[sizeof(self->specs[0])];
	char why[512];
	int i, ret;

	HCT_ALWAYS_TEARDOWN();
	for (i = 0; i < NCH; i++) {
		ret = hch_box_init(&self->b[i], chans[i].what, why, sizeof(why));
		if (ret == HCT_SKIP)
			SKIP(return, "%s", why);
		ASSERT_EQ(0, ret) TH_LOG("%s", why);
		if (i > 0)
			self->b[i].name[0] = '\0';
		/* Through a local: gcc's -Wrestrict (at -O1 with the sanitizers)
		 * takes two members of *self for one object. */
		snprintf(spec, sizeof(spec), "%s:%s:%s:%" PRIu64 "M", self->b[i].host, chans[i].ctr,
			 chans[i].mode, chans[i].size >> 20);
		memcpy(self->specs[i], spec, sizeof(spec));
	}
}

FIXTURE_TEARDOWN(multi)
{
	struct stat st;
	int i;

	HCT_TEARDOWN_BEGIN();
	/* Contract section 3.5: delete removes every host path it created. */
	EXPECT_EQ(0, hch_box_delete(&self->b[0]));
	for (i = 1; i < NCH; i++) {
		if (self->b[i].scratch[0] == '\0')
			continue;
		EXPECT_NE(0, lstat(self->b[i].host, &st))
		TH_LOG("contract section 3.5: %s left the host path %s of channel %c after delete",
		       hct_engine_name(), self->b[i].host, 'a' + i);
	}
	for (i = 0; i < NCH; i++)
		EXPECT_EQ(0, hch_box_fini(&self->b[i]));
}

/* create with the three channels (and --memory limit --memory-add-channel when limit != 0), start. */
static void up(struct __test_metadata *_metadata, FIXTURE_DATA(multi) * self, uint64_t limit)
{
	char mem[32];
	char *argv[4 + 2 * NCH + 4];
	int n = 0, i, ret;

	argv[n++] = "create";
	argv[n++] = self->b[0].name;
	for (i = 0; i < NCH; i++) {
		argv[n++] = "--host-channel";
		argv[n++] = self->specs[i];
	}
	if (limit != 0) {
		snprintf(mem, sizeof(mem), "%" PRIu64, limit);
		argv[n++] = "--memory";
		argv[n++] = mem;
		argv[n++] = "--memory-add-channel";
	}
	argv[n] = NULL;
	ret = hch_runv(&self->r, 0, argv);
	ASSERT_EQ(0, ret) TH_LOG("%s", hch_log(&self->r));
	ret = hch_run(&self->r, "start", self->b[0].name, NULL);
	ASSERT_EQ(0, ret) TH_LOG("%s", hch_log(&self->r));
}

/* Each host path is a tmpfs mount of its own size; their devices into self->dev. */
static void host_mounts(struct __test_metadata *_metadata, FIXTURE_DATA(multi) * self)
{
	struct hct_mount m;
	struct stat st;
	uint64_t size = 0;
	int i, j, ret;

	for (i = 0; i < NCH; i++) {
		const char *host = self->b[i].host;

		ret = hct_mount_lookup(host, &m);
		ASSERT_EQ(0, ret)
		TH_LOG("contract section 3.1: channel %c (%s) is not mounted on the host at %s: %s",
		       'a' + i, self->specs[i], host, strerror(-ret));
		EXPECT_STREQ("tmpfs", m.fstype)
		TH_LOG("contract section 3.1: channel %c at %s is a %s mount", 'a' + i, host,
		       m.fstype);
		ASSERT_EQ(0, hch_statfs(host, &size, NULL)) TH_LOG("statfs %s", host);
		EXPECT_EQ(chans[i].size, size)
		TH_LOG("contract section 4.3: channel %c (%s): statfs size %" PRIu64
		       " on the host, want %" PRIu64,
		       'a' + i, self->specs[i], size, chans[i].size);
		ASSERT_EQ(0, stat(host, &st)) TH_LOG("stat %s: %s", host, strerror(errno));
		self->dev[i] = st.st_dev;
	}
	for (i = 0; i < NCH; i++) {
		for (j = i + 1; j < NCH; j++) {
			EXPECT_NE(self->dev[i], self->dev[j])
			TH_LOG("contract section 1.1: channels %c and %c share the device %u:%u "
			       "on the host: one tmpfs for two channels",
			       'a' + i, 'a' + j, major(self->dev[i]), minor(self->dev[i]));
		}
	}
}

TEST_F(multi, host_side_own_tmpfs)
{
	if (_metadata->skip)
		return;
	up(_metadata, self, 0);
	host_mounts(_metadata, self);
}

/*
 * The value after "PATH " on the line of busybox stat's output that starts
 * with path, as a number; -ENOENT when no line does.
 */
static int stat_field(const char *out, const char *path, uint64_t *a, uint64_t *b)
{
	size_t len = strlen(path);
	const char *line = out;

	while (line != NULL && *line != '\0') {
		if (strncmp(line, path, len) == 0 && line[len] == ' ') {
			char *end;

			*a = strtoull(line + len + 1, &end, 10);
			if (end == line + len + 1)
				return -EBADMSG;
			if (b != NULL) {
				const char *p = end;

				*b = strtoull(p, &end, 10);
				if (end == p)
					return -EBADMSG;
			}
			return 0;
		}
		line = strchr(line, '\n');
		if (line != NULL)
			line++;
	}
	return -ENOENT;
}

TEST_F(multi, container_side_own_tmpfs)
{
	struct hch_run *r = &self->r;
	struct hct_mount m;
	uint64_t dev = 0, bsize = 0, blocks = 0;
	int i, ret;

	if (_metadata->skip)
		return;
	up(_metadata, self, 0);
	host_mounts(_metadata, self);

	ASSERT_EQ(0, hch_exec(r, self->b[0].name, -1, "cat", "/proc/self/mountinfo", NULL))
	TH_LOG("%s", hch_log(r));
	for (i = 0; i < NCH; i++) {
		bool ro;

		ret = hct_mount_lookup_text(r->o.out, chans[i].ctr, &m);
		EXPECT_EQ(0, ret)
		TH_LOG("contract section 3.4: channel %c (%s) is not mounted at %s in the "
		       "container: %s",
		       'a' + i, self->specs[i], chans[i].ctr, strerror(-ret));
		if (ret < 0)
			continue;
		EXPECT_STREQ("tmpfs", m.fstype)
		TH_LOG("contract section 3.4: %s in the container is a %s mount", chans[i].ctr,
		       m.fstype);
		ro = hct_opt_has(m.vfs_options, "ro", NULL);
		EXPECT_EQ(strcmp(chans[i].mode, "ro") == 0, ro)
		TH_LOG("contract section 3.4: channel %c (%s) is mounted \"%s\" in the container, "
		       "want %s",
		       'a' + i, self->specs[i], m.vfs_options, chans[i].mode);
	}

	/* The device, then the size, of each container path, in two calls of stat. */
	ASSERT_EQ(0, hch_exec(r, self->b[0].name, -1, "stat", "-c", "%n %d", chans[0].ctr,
			      chans[1].ctr, chans[2].ctr, NULL))
	TH_LOG("%s", hch_log(r));
	for (i = 0; i < NCH; i++) {
		ret = stat_field(r->o.out, chans[i].ctr, &dev, NULL);
		EXPECT_EQ(0, ret) TH_LOG("no device for %s in: %s", chans[i].ctr, r->o.out);
		EXPECT_EQ((uint64_t)self->dev[i], dev)
		TH_LOG("contract section 1.1: %s in the container is on device %u:%u, its host "
		       "path "
		       "%s on %u:%u: not its own channel",
		       chans[i].ctr, major((dev_t)dev), minor((dev_t)dev), self->b[i].host,
		       major(self->dev[i]), minor(self->dev[i]));
	}
	ASSERT_EQ(0, hch_exec(r, self->b[0].name, -1, "stat", "-f", "-c", "%n %S %b", chans[0].ctr,
			      chans[1].ctr, chans[2].ctr, NULL))
	TH_LOG("%s", hch_log(r));
	for (i = 0; i < NCH; i++) {
		ret = stat_field(r->o.out, chans[i].ctr, &bsize, &blocks);
		EXPECT_EQ(0, ret) TH_LOG("no statfs for %s in: %s", chans[i].ctr, r->o.out);
		EXPECT_EQ(chans[i].size, bsize * blocks)
		TH_LOG("contract section 3.4: %s (%s) in the container: statfs %" PRIu64
		       " blocks of %" PRIu64 " = %" PRIu64 " bytes, want %" PRIu64,
		       chans[i].ctr, self->specs[i], blocks, bsize, bsize * blocks, chans[i].size);
	}
}

TEST_F(multi, own_data)
{
	struct hch_run *r = &self->r;
	char path[2 * PATH_MAX], ctr[PATH_MAX], names[256];
	uint64_t bytes = 0, sum = 0, size = 0, bad = 0;
	int i, ret;

	if (_metadata->skip)
		return;
	up(_metadata, self, 0);
	/* The host writes "h" into each, a length and a pattern of that channel's own. */
	for (i = 0; i < NCH; i++) {
		snprintf(path, sizeof(path), "%s/h", self->b[i].host);
		ASSERT_EQ(0, hch_write_pattern(path, DATA_BYTES + i, 10 + i))
		TH_LOG("host writing %s: %s", path, strerror(errno));
	}
	/* The container writes "c" into each rw one, likewise. */
	for (i = 0; i < NCH; i++) {
		char len[32], seed[32];

		if (strcmp(chans[i].mode, "rw") != 0)
			continue;
		snprintf(ctr, sizeof(ctr), "%s/c", chans[i].ctr);
		snprintf(len, sizeof(len), "%" PRIu64, (uint64_t)DATA_BYTES + 10 + i);
		snprintf(seed, sizeof(seed), "%d", 20 + i);
		ASSERT_EQ(0, hch_probe(r, self->b[0].name, -1, "write", ctr, len, seed, NULL))
		TH_LOG("%s", hch_log(r));
	}
	for (i = 0; i < NCH; i++) {
		bool rw = strcmp(chans[i].mode, "rw") == 0;

		/* The container reads what the host wrote into this channel, and only that. */
		snprintf(ctr, sizeof(ctr), "%s/h", chans[i].ctr);
		ASSERT_EQ(0, hch_probe(r, self->b[0].name, -1, "read", ctr, NULL))
		TH_LOG("%s", hch_log(r));
		EXPECT_EQ(0, hch_kv_u64(r->o.out, "bytes", 10, &bytes));
		EXPECT_EQ(0, hch_kv_u64(r->o.out, "sum", 16, &sum));
		EXPECT_EQ(DATA_BYTES + i, bytes)
		TH_LOG("contract section 1.1: %s holds %" PRIu64
		       " bytes in the container, the host "
		       "wrote %" PRIu64 " into channel %c",
		       ctr, bytes, (uint64_t)DATA_BYTES + i, 'a' + i);
		EXPECT_EQ(hch_pattern_sum(10 + i, DATA_BYTES + i), sum)
		TH_LOG("contract section 1.1: %s in the container is not what the host wrote into "
		       "channel %c (sum %016" PRIx64 ", want %016" PRIx64 ")",
		       ctr, 'a' + i, sum, hch_pattern_sum(10 + i, DATA_BYTES + i));

		/* The host finds the container's file in this channel only, intact. */
		if (rw) {
			snprintf(path, sizeof(path), "%s/c", self->b[i].host);
			ret = hch_check_pattern(path, DATA_BYTES + 10 + i, 20 + i, &size, &bad,
						&sum);
			EXPECT_EQ(0, ret)
			TH_LOG("contract section 1.1: %s on the host is not what the container "
			       "wrote to %s/c (%" PRIu64 " bytes, first difference at %" PRIu64
			       "; %s)",
			       path, chans[i].ctr, size, bad, ret < 0 ? strerror(-ret) : "read");
		}
		ret = hch_dir_entries(self->b[i].host, names, sizeof(names));
		EXPECT_STREQ(rw ? "c h" : "h", names)
		TH_LOG("contract section 1.1: channel %c holds \"%s\" (%d entries) on the host, "
		       "want \"%s\"",
		       'a' + i, names, ret, rw ? "c h" : "h");
	}
}

TEST_F(multi, ro_only_where_asked)
{
	struct hch_run *r = &self->r;
	char ctr[PATH_MAX], names[256];
	int i, ret;

	if (_metadata->skip)
		return;
	up(_metadata, self, 0);
	for (i = 0; i < NCH; i++) {
		bool ro = strcmp(chans[i].mode, "ro") == 0;

		snprintf(ctr, sizeof(ctr), "%s/new", chans[i].ctr);
		ret = hch_probe(r, self->b[0].name, -1, "try", "create", ctr, NULL);
		if (ro) {
			EXPECT_EQ(1, ret)
			TH_LOG("contract section 3.4: creating %s in the ro "
			       "channel %c: %s",
			       ctr, 'a' + i, hch_log(r));
			EXPECT_NE(NULL, strstr(r->o.err, "errno=EROFS"))
			TH_LOG("contract section 3.4: want errno=EROFS; %s", hch_log(r));
		} else {
			EXPECT_EQ(0, ret)
			TH_LOG("contract section 3.4: creating %s in the rw "
			       "channel %c: %s",
			       ctr, 'a' + i, hch_log(r));
		}
		ret = hch_dir_entries(self->b[i].host, names, sizeof(names));
		EXPECT_STREQ(ro ? "" : "new", names)
		TH_LOG("contract section 3.4: after the container's create, channel %c (%s) holds "
		       "\"%s\" on the host, want \"%s\"",
		       'a' + i, chans[i].mode, names, ro ? "" : "new");
	}
}

TEST_F(multi, memory_add_channel_sums_sizes)
{
	char why[512], rel[PATH_MAX];
	struct hct_cg cg;
	uint64_t want = LIMIT, got = 0;
	int i, ret;

	if (_metadata->skip)
		return;
	if (hct_cg_detect(&cg, why, sizeof(why)) < 0)
		SKIP(return, "%s", why);
	up(_metadata, self, LIMIT);
	for (i = 0; i < NCH; i++)
		want += chans[i].size;
	ret = hch_container_cg(self->b[0].name, &cg, rel, sizeof(rel), why, sizeof(why));
	ASSERT_EQ(0, ret) TH_LOG("%s", why);
	ret = hch_cg_limit(&cg, rel, &got);
	ASSERT_EQ(0, ret) TH_LOG("reading the limit of %s/%s: %s", cg.root, rel, strerror(-ret));
	EXPECT_EQ(want, got)
	TH_LOG("contract section 4.4: --memory %" PRIu64 " --memory-add-channel with channels of "
	       "%" PRIu64 ", %" PRIu64 " and %" PRIu64 " bytes: limit %" PRIu64 ", want %" PRIu64
	       " (the first alone: %" PRIu64 ", the last alone: %" PRIu64 ")",
	       LIMIT, chans[0].size, chans[1].size, chans[2].size, got, want, LIMIT + chans[0].size,
	       LIMIT + chans[2].size);
}

HCT_HARNESS_MAIN
