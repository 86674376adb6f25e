// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The OCI kit (hcrun oci, ref/hook/README.md), end to end through the
 * built hcrun: prepare refuses a bad spec leaving the bundle as it was,
 * makes and mounts the channel and edits config.json, refuses a second
 * prepare, keep spares the next teardown, teardown removes exactly what
 * prepare made and is idempotent; the hook's precreate/poststop do the same
 * from an annotation. Each test runs in its own mount namespace, so a
 * failing one leaves no mount behind; its scratch directory is removed by
 * name.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/magic.h>

#include "kselftest_harness.h"

#include "hcrun_cli.h"

#define CONFIG_TEXT                                                                                \
	"{\"ociVersion\":\"1.0.2\",\"root\":{\"path\":\"rootfs\"},\"mounts\":[],"                  \
	"\"linux\":{\"resources\":{\"memory\":{\"limit\":67108864}}}}"

static int write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = write(fd, text, strlen(text));
	if (close(fd) < 0 || n != (ssize_t)strlen(text))
		return -1;
	return 0;
}

static bool is_tmpfs_1777(const char *path)
{
	struct statfs sf;
	struct stat sb;

	return statfs(path, &sf) == 0 && sf.f_type == TMPFS_MAGIC && stat(path, &sb) == 0 &&
	       (sb.st_mode & 07777) == 01777;
}

FIXTURE(kit)
{
	char hcrun[PATH_MAX];
	char scratch[64]; /* mkdtemp */
	char bundle[128]; /* scratch/bundle, with config.json */
	char host[128];	  /* scratch/p/ch: p and ch made by prepare */
	char out[16384];
};

FIXTURE_SETUP(kit)
{
	char path[PATH_MAX];

	if (geteuid() != 0)
		SKIP(return, "needs root (mounts)");
	if (hcrun_path(self->hcrun, sizeof(self->hcrun)) < 0)
		SKIP(return, "build/hcrun not built");
	/* Mounts made from here on die with this test's process. */
	ASSERT_EQ(0, unshare(CLONE_NEWNS));
	ASSERT_EQ(0, mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL));
	snprintf(self->scratch, sizeof(self->scratch), "/tmp/hc-oci-kit-XXXXXX");
	ASSERT_NE(NULL, mkdtemp(self->scratch));
	snprintf(self->bundle, sizeof(self->bundle), "%s/bundle", self->scratch);
	ASSERT_EQ(0, mkdir(self->bundle, 0700));
	snprintf(path, sizeof(path), "%s/config.json", self->bundle);
	ASSERT_EQ(0, write_file(path, CONFIG_TEXT));
	snprintf(self->host, sizeof(self->host), "%s/p/ch", self->scratch);
}

FIXTURE_TEARDOWN(kit)
{
	static const char *const files[] = {"config.json", "hostchannel.json", "config.json.hc-tmp",
					    "hostchannel.json.hc-tmp", "policy.conf"};
	char path[PATH_MAX];
	size_t i;

	if (self->scratch[0] == '\0')
		return;
	/* Whatever a failed test left mounted goes with the namespace; the
	 * names below are the only ones the kit and this test make. */
	umount2(self->host, MNT_DETACH);
	rmdir(self->host);
	snprintf(path, sizeof(path), "%s/p", self->scratch);
	rmdir(path);
	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", self->bundle, files[i]);
		unlink(path);
	}
	rmdir(self->bundle);
	rmdir(self->scratch);
}

TEST_F(kit, bad_spec_refused_bundle_unchanged)
{
	char path[PATH_MAX];
	struct stat sb;

	EXPECT_EQ(125,
		  run(self->out, sizeof(self->out), "%s oci prepare --host-channel %s:rel %s 2>&1",
		      self->hcrun, self->host, self->bundle));
	EXPECT_NE(NULL, strstr(self->out, "container path \"rel\"")) TH_LOG("%s", self->out);
	EXPECT_EQ(-1, lstat(self->host, &sb));
	snprintf(path, sizeof(path), "%s/hostchannel.json", self->bundle);
	EXPECT_EQ(-1, lstat(path, &sb));
	EXPECT_EQ(0, run(self->out, sizeof(self->out),
			 "printf '%%s' '%s' | cmp -s %s/config.json -", CONFIG_TEXT, self->bundle))
	TH_LOG("config.json was changed");
}

TEST_F(kit, prepare_keep_teardown)
{
	char path[PATH_MAX];
	struct stat sb;

	ASSERT_EQ(0,
		  run(self->out, sizeof(self->out),
		      "%s oci prepare --id t1 --memory-add-channel --host-channel %s:/hc:ro:1M %s "
		      "2>&1",
		      self->hcrun, self->host, self->bundle))
	TH_LOG("%s", self->out);
	EXPECT_TRUE(is_tmpfs_1777(self->host));
	/* The bind, the raised limit (64M + 1M), the hook, the annotation. */
	ASSERT_EQ(0, run(self->out, sizeof(self->out),
			 "jq -ce '[.mounts[-1].destination, .mounts[-1].source, "
			 ".mounts[-1].options[0:3], .linux.resources.memory.limit, "
			 ".hooks.poststop[0].args[1:3], .annotations[\"org.hostchannel.state\"]]' "
			 "%s/config.json",
			 self->bundle));
	snprintf(path, sizeof(path),
		 "[\"/hc\",\"%s\",[\"rbind\",\"rprivate\",\"ro\"],68157440,[\"oci\",\"teardown\"],"
		 "\"%s/hostchannel.json\"]\n",
		 self->host, self->bundle);
	EXPECT_STREQ(path, self->out);
	/* A second prepare is refused and changes nothing. */
	EXPECT_EQ(125, run(self->out, sizeof(self->out),
			   "%s oci prepare --host-channel %s/other:/o %s 2>&1", self->hcrun,
			   self->scratch, self->bundle));
	snprintf(path, sizeof(path), "%s/other", self->scratch);
	EXPECT_EQ(-1, lstat(path, &sb));
	/* keep: the next teardown (a restart's) spares the channel. */
	ASSERT_EQ(0, run(self->out, sizeof(self->out), "%s oci keep %s 2>&1", self->hcrun,
			 self->bundle));
	ASSERT_EQ(0, run(self->out, sizeof(self->out), "%s oci teardown %s 2>&1", self->hcrun,
			 self->bundle));
	EXPECT_TRUE(is_tmpfs_1777(self->host));
	/* The real one: the mount, the directory and its created parent go. */
	ASSERT_EQ(0, run(self->out, sizeof(self->out), "%s oci teardown %s 2>&1", self->hcrun,
			 self->bundle))
	TH_LOG("%s", self->out);
	EXPECT_EQ(-1, lstat(self->host, &sb));
	snprintf(path, sizeof(path), "%s/p", self->scratch);
	EXPECT_EQ(-1, lstat(path, &sb));
	snprintf(path, sizeof(path), "%s/hostchannel.json", self->bundle);
	EXPECT_EQ(-1, lstat(path, &sb));
	/* Idempotent. */
	EXPECT_EQ(0, run(self->out, sizeof(self->out), "%s oci teardown %s 2>&1", self->hcrun,
			 self->bundle));
}

TEST_F(kit, hook_precreate_then_poststop)
{
	char path[PATH_MAX];
	struct stat sb;

	/* precreate: config on stdin (the spec's comma as %2C), new config out;
	 * a policy that allows the scratch directory (the default would not). */
	snprintf(path, sizeof(path), "%s/policy.conf", self->bundle);
	ASSERT_EQ(0, write_file(path, "allow-prefix = /tmp\n"));
	ASSERT_EQ(
		0,
		run(self->out, sizeof(self->out),
		    "jq -c '.annotations = {\"org.hostchannel.spec\": \"%s:/hc:ro%%2Crslave:1M\"}' "
		    "%s/config.json | HOSTCHANNEL_HOOK_DIR=%s/hooks %s oci hook precreate --policy "
		    "%s > %s/config.json.hc-tmp && mv %s/config.json.hc-tmp %s/config.json",
		    self->host, self->bundle, self->scratch, self->hcrun, path, self->bundle,
		    self->bundle, self->bundle))
	TH_LOG("%s", self->out);
	EXPECT_TRUE(is_tmpfs_1777(self->host));
	ASSERT_EQ(0, run(self->out, sizeof(self->out),
			 "jq -c '.mounts[-1].options[0:3]' %s/config.json", self->bundle));
	EXPECT_STREQ("[\"rbind\",\"rslave\",\"ro\"]\n", self->out);
	/* poststop: the state as podman gives it (user annotations only, the
	 * bundle): the hook finds its state file in the bundle's config. */
	ASSERT_EQ(0, run(self->out, sizeof(self->out),
			 "printf '{\"ociVersion\":\"1.0.2\",\"id\":\"x\",\"status\":\"stopped\","
			 "\"bundle\":\"%s\",\"annotations\":{\"org.hostchannel.spec\":\"x\"}}' | "
			 "HOSTCHANNEL_HOOK_DIR=%s/hooks %s oci hook poststop 2>&1",
			 self->bundle, self->scratch, self->hcrun))
	TH_LOG("%s", self->out);
	EXPECT_EQ(-1, lstat(self->host, &sb));
	snprintf(path, sizeof(path), "%s/hooks", self->scratch);
	EXPECT_EQ(-1, lstat(path, &sb)) TH_LOG("the hook's state directory is left");
	rmdir(path);
}

TEST_HARNESS_MAIN
