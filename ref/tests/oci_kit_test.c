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
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kselftest_harness.h"

#include "hcrun_cli.h"

#define CONFIG_TEXT CLI_OCI_CONFIG_HEAD "}"

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
	const char *why = NULL;
	char path[PATH_MAX];
	int ret;

	ret = cli_setup_private("oci-kit", self->hcrun, self->scratch, sizeof(self->scratch), &why);
	if (ret > 0)
		SKIP(return, "%s", why);
	ASSERT_EQ(0, ret) TH_LOG("%s: %s", why, strerror(errno));
	snprintf(self->bundle, sizeof(self->bundle), "%s/bundle", self->scratch);
	ASSERT_EQ(0, mkdir(self->bundle, 0700));
	snprintf(path, sizeof(path), "%s/config.json", self->bundle);
	ASSERT_EQ(0, cli_write_text(path, CONFIG_TEXT, 0644));
	snprintf(self->host, sizeof(self->host), "%s/p/ch", self->scratch);
}

FIXTURE_TEARDOWN(kit)
{
	/* The only names the kit and this test make, deepest first. */
	static const char *const names[] = {
		"bundle/config.json",
		"bundle/hostchannel.json",
		"bundle/config.json.hc-tmp",
		"bundle/hostchannel.json.hc-tmp",
		"bundle/policy.conf",
		"bundle",
		"p/ch",
		"p",
	};

	if (self->scratch[0] == '\0')
		return;
	/* Whatever a failed test left mounted goes with the namespace. */
	umount2(self->host, MNT_DETACH);
	cli_remove_names(self->scratch, names, sizeof(names) / sizeof(names[0]));
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
	EXPECT_TRUE(cli_is_tmpfs_1777(self->host));
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
	EXPECT_TRUE(cli_is_tmpfs_1777(self->host));
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
	ASSERT_EQ(0, cli_write_text(path, "allow-prefix = /tmp\n", 0644));
	ASSERT_EQ(
		0,
		run(self->out, sizeof(self->out),
		    "jq -c '.annotations = {\"org.hostchannel.spec\": \"%s:/hc:ro%%2Crslave:1M\"}' "
		    "%s/config.json | HOSTCHANNEL_HOOK_DIR=%s/hooks %s oci hook precreate --policy "
		    "%s > %s/config.json.hc-tmp && mv %s/config.json.hc-tmp %s/config.json",
		    self->host, self->bundle, self->scratch, self->hcrun, path, self->bundle,
		    self->bundle, self->bundle))
	TH_LOG("%s", self->out);
	EXPECT_TRUE(cli_is_tmpfs_1777(self->host));
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
