// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * hcrun lxc (ref/hcrun/lxc.c), end to end through the built hcrun, without
 * LXC: config prints the lines of an LXC config (hooks, a mount entry per
 * channel, the memory limit for cgroup v1 and v2) and makes the host paths
 * unmounted; a bad spec or an existing host path is refused with 125,
 * making nothing; the pre-start hook mounts, and run again (a start after a
 * stop) finds the same tmpfs and uses it, data and all; destroy removes
 * exactly what config made, once; a hook for another container's name
 * does nothing. Each test runs in its own mount namespace, so a failing one
 * leaves no mount behind; its scratch directory is removed by name.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kselftest_harness.h"

#include "hcrun_cli.h"

/* The mount entries in mountinfo at path whose source is tag. */
static int mounts_at(const char *path, const char *tag)
{
	char line[8192], want[PATH_MAX + 8];
	int n = 0;
	FILE *f = fopen("/proc/self/mountinfo", "r");

	if (f == NULL)
		return -1;
	snprintf(want, sizeof(want), " %s ", path);
	while (fgets(line, sizeof(line), f) != NULL) {
		const char *sep = strstr(line, " - ");

		if (strstr(line, want) != NULL && sep != NULL && strstr(sep, tag) != NULL)
			n++;
	}
	fclose(f);
	return n;
}

FIXTURE(lxc)
{
	char hcrun[PATH_MAX];
	char scratch[64]; /* mkdtemp */
	char state[128];  /* scratch/state.json */
	char host[128];	  /* scratch/p/ch: p and ch made by config */
	char host2[128];  /* scratch/ch2 */
	char out[16384];
};

FIXTURE_SETUP(lxc)
{
	const char *why = NULL;
	int ret;

	ret = cli_setup_private("lxc", self->hcrun, self->scratch, sizeof(self->scratch), &why);
	if (ret > 0)
		SKIP(return, "%s", why);
	ASSERT_EQ(0, ret) TH_LOG("%s: %s", why, strerror(errno));
	snprintf(self->state, sizeof(self->state), "%s/state.json", self->scratch);
	snprintf(self->host, sizeof(self->host), "%s/p/ch", self->scratch);
	snprintf(self->host2, sizeof(self->host2), "%s/ch2", self->scratch);
}

FIXTURE_TEARDOWN(lxc)
{
	/* hook_mount_binds_inside_rootfs's bind in its rootfs: root/hc-<X>,
	 * X that of scratch. */
	char rootfs_mnt[128], path[PATH_MAX];
	/* The only names hcrun and this test make, deepest first. */
	const char *const names[] = {
		"p/ch/f", "p/ch",	"ch2",
		"p",	  rootfs_mnt,	"root/s",
		"root",	  "state.json", "state.json.hc-tmp",
		"lines",
	};

	if (self->scratch[0] == '\0')
		return;
	snprintf(rootfs_mnt, sizeof(rootfs_mnt), "root/hc-%s", strrchr(self->scratch, '/') + 1);
	/* Whatever a failed test left mounted goes with the namespace. */
	umount2(self->host, MNT_DETACH);
	umount2(self->host2, MNT_DETACH);
	snprintf(path, sizeof(path), "%s/%s", self->scratch, rootfs_mnt);
	umount2(path, MNT_DETACH);
	cli_remove_names(self->scratch, names, sizeof(names) / sizeof(names[0]));
	rmdir(self->scratch);
}

/* config with two channels; its lines in self->out. */
static int config_two(struct __test_metadata *_metadata, FIXTURE_DATA(lxc) * self,
		      const char *cgroup)
{
	return run(self->out, sizeof(self->out),
		   "%s lxc config --name c1 --state %s --memory 64M --memory-add-channel "
		   "--cgroup %s --host-channel %s:/hc:ro:1M --host-channel %s:/a/b:rw,rshared:2M",
		   self->hcrun, self->state, cgroup, self->host, self->host2);
}

TEST_F(lxc, config_lines_v1)
{
	static const char *const hooks[] = {"pre-start", "mount", "start-host", "destroy"};
	char want[2 * PATH_MAX + 64];
	struct stat sb;
	size_t i;

	ASSERT_EQ(0, config_two(_metadata, self, "v1")) TH_LOG("%s", self->out);
	for (i = 0; i < sizeof(hooks) / sizeof(hooks[0]); i++) {
		snprintf(want, sizeof(want), "\nlxc.hook.%s = %s lxc hook --state %s\n", hooks[i],
			 self->hcrun, self->state);
		EXPECT_NE(NULL, strstr(self->out, want)) TH_LOG("%s", self->out);
	}
	/* The binds are the mount hook's: no lxc.mount.entry (its create=dir
	 * follows the rootfs's symlinks on the host), a comment each. */
	EXPECT_EQ(NULL, strstr(self->out, "lxc.mount.entry")) TH_LOG("%s", self->out);
	snprintf(want, sizeof(want), "\n# host channel %s -> /hc (ro, rprivate, 1M)\n", self->host);
	EXPECT_NE(NULL, strstr(self->out, want)) TH_LOG("%s", self->out);
	snprintf(want, sizeof(want), "\n# host channel %s -> /a/b (rw, rshared, 2M)\n",
		 self->host2);
	EXPECT_NE(NULL, strstr(self->out, want)) TH_LOG("%s", self->out);
	/* 64M + 1M + 2M. */
	EXPECT_NE(NULL, strstr(self->out, "\nlxc.cgroup.memory.limit_in_bytes = 70254592\n"))
	TH_LOG("%s", self->out);
	EXPECT_EQ(NULL, strstr(self->out, "cgroup2")) TH_LOG("%s", self->out);
	/* Create made the directories and mounted nothing (contract section 3). */
	ASSERT_EQ(0, stat(self->host, &sb));
	EXPECT_EQ(0700, sb.st_mode & 07777);
	EXPECT_FALSE(cli_is_tmpfs_1777(self->host));
	EXPECT_EQ(0, mounts_at(self->host, "hostchannel-lxc-c1"));
	EXPECT_EQ(0, stat(self->state, &sb));
	EXPECT_EQ(0600, sb.st_mode & 07777);
}

TEST_F(lxc, config_lines_v2)
{
	ASSERT_EQ(0, config_two(_metadata, self, "v2")) TH_LOG("%s", self->out);
	EXPECT_NE(NULL, strstr(self->out, "\nlxc.cgroup2.memory.max = 70254592\n"))
	TH_LOG("%s", self->out);
	EXPECT_EQ(NULL, strstr(self->out, "limit_in_bytes")) TH_LOG("%s", self->out);
	/* Without --memory-add-channel, the limit as given. */
	ASSERT_EQ(0, run(self->out, sizeof(self->out), "%s oci teardown %s 2>&1", self->hcrun,
			 self->state));
	ASSERT_EQ(0, run(self->out, sizeof(self->out),
			 "%s lxc config --name c1 --state %s --memory 64M --cgroup v2 "
			 "--host-channel %s:/hc:ro:1M",
			 self->hcrun, self->state, self->host));
	EXPECT_NE(NULL, strstr(self->out, "\nlxc.cgroup2.memory.max = 67108864\n"))
	TH_LOG("%s", self->out);
}

/* Odd paths: one line each in the comments (space, tab, newline and
 * backslash in octal), quoted for sh in the hook lines. */
TEST_F(lxc, config_escapes_paths)
{
	char odd[160], state[192], want[512];

	snprintf(odd, sizeof(odd), "%s/a b\\c", self->scratch);
	snprintf(state, sizeof(state), "%s/it's.json", self->scratch);
	ASSERT_EQ(0, run(self->out, sizeof(self->out),
			 "%s lxc config --name c1 --state \"%s\" --host-channel '%s:/x y/z' 2>&1",
			 self->hcrun, state, odd))
	TH_LOG("%s", self->out);
	snprintf(want, sizeof(want), "# host channel %s/a\\040b\\134c -> /x\\040y/z (rw, ",
		 self->scratch);
	EXPECT_NE(NULL, strstr(self->out, want)) TH_LOG("%s", self->out);
	snprintf(want, sizeof(want), " lxc hook --state %s/it\\'s.json\n", self->scratch);
	EXPECT_NE(NULL, strstr(self->out, want)) TH_LOG("%s", self->out);
	/* sh reads the hook line back as the one path. */
	snprintf(want, sizeof(want), "%s/it\\'s.json", self->scratch);
	EXPECT_EQ(0, run(self->out, sizeof(self->out), "test -f %s", want)) TH_LOG("%s", want);
	EXPECT_EQ(0, run(self->out, sizeof(self->out), "%s oci teardown \"%s\" 2>&1", self->hcrun,
			 state))
	TH_LOG("%s", self->out);
	EXPECT_EQ(-1, access(odd, F_OK));
	EXPECT_EQ(-1, access(state, F_OK));
	/* A control character cannot go into a hook line: refused, nothing made. */
	snprintf(state, sizeof(state), "%s/a\tb.json", self->scratch);
	EXPECT_EQ(125, run(self->out, sizeof(self->out),
			   "%s lxc config --name c1 --state \"%s\" --host-channel %s:/x 2>&1",
			   self->hcrun, state, self->host2));
	EXPECT_NE(NULL, strstr(self->out, "control character")) TH_LOG("%s", self->out);
	EXPECT_EQ(-1, access(self->host2, F_OK));
	EXPECT_EQ(-1, access(state, F_OK));
}

TEST_F(lxc, bad_spec_makes_nothing)
{
	struct stat sb;

	/* The second spec is bad: the first is not made either. */
	EXPECT_EQ(125, run(self->out, sizeof(self->out),
			   "%s lxc config --name c1 --state %s --host-channel %s:/ok "
			   "--host-channel %s:rel 2>&1",
			   self->hcrun, self->state, self->host2, self->host));
	EXPECT_NE(NULL, strstr(self->out, "container path \"rel\"")) TH_LOG("%s", self->out);
	EXPECT_EQ(NULL, strstr(self->out, "lxc.")) TH_LOG("lines printed: %s", self->out);
	EXPECT_EQ(-1, lstat(self->host2, &sb));
	EXPECT_EQ(-1, lstat(self->host, &sb));
	EXPECT_EQ(-1, lstat(self->state, &sb));
}

TEST_F(lxc, existing_host_path_refused)
{
	struct stat before, after;

	ASSERT_EQ(0, mkdir(self->host2, 0755));
	ASSERT_EQ(0, stat(self->host2, &before));
	EXPECT_EQ(125, run(self->out, sizeof(self->out),
			   "%s lxc config --name c1 --state %s --host-channel %s:/hc 2>&1",
			   self->hcrun, self->state, self->host2));
	EXPECT_NE(NULL, strstr(self->out, self->host2)) TH_LOG("%s", self->out);
	ASSERT_EQ(0, stat(self->host2, &after));
	EXPECT_EQ(before.st_ino, after.st_ino);
	EXPECT_EQ(-1, access(self->state, F_OK));
}

TEST_F(lxc, hook_pre_start_twice_reuses)
{
	char path[PATH_MAX];
	struct stat first, again;
	int fd;

	ASSERT_EQ(0, config_two(_metadata, self, "auto")) TH_LOG("%s", self->out);
	ASSERT_EQ(0, run(self->out, sizeof(self->out),
			 "%s lxc hook --state %s c1 lxc pre-start 2>&1", self->hcrun, self->state))
	TH_LOG("%s", self->out);
	EXPECT_TRUE(cli_is_tmpfs_1777(self->host));
	EXPECT_TRUE(cli_is_tmpfs_1777(self->host2));
	ASSERT_EQ(0, stat(self->host, &first));
	snprintf(path, sizeof(path), "%s/f", self->host);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	ASSERT_LE(0, fd);
	ASSERT_EQ(5, write(fd, "data\n", 5));
	close(fd);
	/* A start after a stop: the same tmpfs, its data, no second mount;
	 * the hook type from the environment (lxc.hook.version = 1). */
	ASSERT_EQ(0, run(self->out, sizeof(self->out),
			 "LXC_HOOK_TYPE=pre-start LXC_NAME=c1 %s lxc hook --state %s 2>&1",
			 self->hcrun, self->state))
	TH_LOG("%s", self->out);
	ASSERT_EQ(0, stat(self->host, &again));
	EXPECT_EQ(first.st_dev, again.st_dev);
	EXPECT_EQ(0, access(path, F_OK));
	EXPECT_EQ(1, mounts_at(self->host, "hostchannel-lxc-c1"));
	EXPECT_EQ(1, mounts_at(self->host2, "hostchannel-lxc-c1"));
	/* stop and post-stop leave the channels. */
	EXPECT_EQ(0, run(self->out, sizeof(self->out),
			 "%s lxc hook --state %s c1 lxc post-stop 2>&1", self->hcrun, self->state));
	EXPECT_EQ(0, access(path, F_OK));
	unlink(path);
}

TEST_F(lxc, hook_destroy_tears_down_once)
{
	char path[PATH_MAX];
	struct stat sb;

	ASSERT_EQ(0, config_two(_metadata, self, "auto")) TH_LOG("%s", self->out);
	ASSERT_EQ(0, run(self->out, sizeof(self->out),
			 "%s lxc hook --state %s c1 lxc pre-start 2>&1", self->hcrun, self->state))
	TH_LOG("%s", self->out);
	/* Another container's hook (a copied config) does nothing. */
	EXPECT_EQ(125, run(self->out, sizeof(self->out),
			   "%s lxc hook --state %s c2 lxc destroy 2>&1", self->hcrun, self->state));
	EXPECT_NE(NULL, strstr(self->out, "\"c2\"")) TH_LOG("%s", self->out);
	EXPECT_TRUE(cli_is_tmpfs_1777(self->host));
	/* An unknown hook type is refused, and does nothing either. */
	EXPECT_EQ(125, run(self->out, sizeof(self->out), "%s lxc hook --state %s c1 lxc clone 2>&1",
			   self->hcrun, self->state));
	EXPECT_TRUE(cli_is_tmpfs_1777(self->host));
	ASSERT_EQ(0, run(self->out, sizeof(self->out), "%s lxc hook --state %s c1 lxc destroy 2>&1",
			 self->hcrun, self->state))
	TH_LOG("%s", self->out);
	EXPECT_EQ(0, mounts_at(self->host, "hostchannel-lxc-c1"));
	EXPECT_EQ(-1, lstat(self->host, &sb));
	EXPECT_EQ(-1, lstat(self->host2, &sb));
	snprintf(path, sizeof(path), "%s/p", self->scratch);
	EXPECT_EQ(-1, lstat(path, &sb)) TH_LOG("the parent config made is left");
	EXPECT_EQ(-1, lstat(self->state, &sb));
	/* Idempotent: a second destroy has nothing to do. */
	EXPECT_EQ(0, run(self->out, sizeof(self->out), "%s lxc hook --state %s c1 lxc destroy 2>&1",
			 self->hcrun, self->state))
	TH_LOG("%s", self->out);
	/* A pre-start without its state is refused. */
	EXPECT_EQ(125,
		  run(self->out, sizeof(self->out), "%s lxc hook --state %s c1 lxc pre-start 2>&1",
		      self->hcrun, self->state));
}

/*
 * The mount hook, in this test's namespace standing for the container's:
 * the tmpfs bound inside the rootfs at the container path, a symlink
 * "s -> /" in the rootfs resolved inside it (contract section 3.6), ro.
 */
TEST_F(lxc, hook_mount_binds_inside_rootfs)
{
	char root[128], link[160], bound[160], file[192];
	struct stat host_sb, bound_sb;
	int fd;

	snprintf(root, sizeof(root), "%s/root", self->scratch);
	snprintf(link, sizeof(link), "%s/s", root);
	snprintf(bound, sizeof(bound), "%s/hc-%s", root, strrchr(self->scratch, '/') + 1);
	ASSERT_EQ(0, mkdir(root, 0755));
	ASSERT_EQ(0, symlink("/", link));
	ASSERT_EQ(0, run(self->out, sizeof(self->out),
			 "%s lxc config --name c1 --state %s --host-channel %s:/s/%s:ro:1M 2>&1",
			 self->hcrun, self->state, self->host, strrchr(bound, '/') + 1))
	TH_LOG("%s", self->out);
	ASSERT_EQ(0, run(self->out, sizeof(self->out),
			 "%s lxc hook --state %s c1 lxc pre-start 2>&1", self->hcrun, self->state))
	TH_LOG("%s", self->out);
	EXPECT_EQ(0, run(self->out, sizeof(self->out),
			 "LXC_ROOTFS_MOUNT=%s %s lxc hook --state %s c1 lxc mount 2>&1", root,
			 self->hcrun, self->state))
	TH_LOG("%s", self->out);
	ASSERT_EQ(0, stat(self->host, &host_sb));
	ASSERT_EQ(0, stat(bound, &bound_sb)) TH_LOG("nothing bound inside the rootfs");
	EXPECT_EQ(host_sb.st_dev, bound_sb.st_dev);
	EXPECT_EQ(-1, access(strrchr(bound, '/'), F_OK)) TH_LOG("the bind landed on the host's /");
	/* ro inside, rw on the host. */
	snprintf(file, sizeof(file), "%s/f", bound);
	EXPECT_EQ(-1, open(file, O_WRONLY | O_CREAT | O_CLOEXEC, 0644));
	EXPECT_EQ(EROFS, errno);
	snprintf(file, sizeof(file), "%s/f", self->host);
	fd = open(file, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	EXPECT_LE(0, fd);
	if (fd >= 0)
		close(fd);
	unlink(file);
	umount2(bound, MNT_DETACH);
	rmdir(bound);
	unlink(link);
	rmdir(root);
	/* Without LXC_ROOTFS_MOUNT there is nothing to bind into. */
	EXPECT_EQ(125, run(self->out, sizeof(self->out),
			   "env -u LXC_ROOTFS_MOUNT %s lxc hook --state %s c1 lxc mount 2>&1",
			   self->hcrun, self->state));
	EXPECT_NE(NULL, strstr(self->out, "LXC_ROOTFS_MOUNT")) TH_LOG("%s", self->out);
}

/* Destroy of a container never started: the directories go too. */
TEST_F(lxc, hook_destroy_before_start)
{
	struct stat sb;

	ASSERT_EQ(0, config_two(_metadata, self, "auto")) TH_LOG("%s", self->out);
	ASSERT_EQ(0, run(self->out, sizeof(self->out), "%s lxc hook --state %s c1 lxc destroy 2>&1",
			 self->hcrun, self->state))
	TH_LOG("%s", self->out);
	EXPECT_EQ(-1, lstat(self->host, &sb));
	EXPECT_EQ(-1, lstat(self->host2, &sb));
	EXPECT_EQ(-1, lstat(self->state, &sb));
}

TEST_HARNESS_MAIN
