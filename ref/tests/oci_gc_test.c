// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * hcrun oci gc's decisions (ref/hcrun/oci_gc.c), end to end through the
 * built hcrun, on records that crash faults (HCRUN_FAULT) and the tests
 * themselves leave: gc rolls back only what a record proves made (a
 * directory under the record's token name but of another identity, or one
 * that replaced the made one, stays); it never touches a record whose
 * operation holds its lock, nor a complete one (a live container's); it
 * refuses a record swapped for a symlink and keeps a corrupt one, saying
 * so in its exit status; it keeps a shim's record while the runtime's
 * answer does not tell whether the container exists, and releases it once
 * the runtime says it does not. Each test runs in its own mount namespace,
 * so a failing one leaves no mount behind; its scratch directory is
 * removed by name.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>
#include <linux/magic.h>

#include "kselftest_harness.h"

#include "hcrun_cli.h"

#define CONFIG_TEXT                                                                                \
	"{\"ociVersion\":\"1.0.2\",\"root\":{\"path\":\"rootfs\"},\"process\":{\"args\":["         \
	"\"true\"]}}\n"

/* The shim's real runtime: creates a file per container under --root;
 * "state" answers with $FAKE_STATE_EXIT and $FAKE_STATE_MSG when set. */
#define FAKE_RUNC                                                                                  \
	"#!/bin/sh\n"                                                                              \
	"root=/nonexistent\n"                                                                      \
	"while [ $# -gt 0 ]; do case $1 in --root) root=$2; shift 2;; -*) shift;; *) break;; "     \
	"esac; done\n"                                                                             \
	"verb=$1; shift; id=\n"                                                                    \
	"while [ $# -gt 0 ]; do case $1 in --bundle|-b) shift;; -*) ;; *) id=$1;; esac; shift; "   \
	"done\n"                                                                                   \
	"case $verb in\n"                                                                          \
	"create) : > \"$root/$id\";;\n"                                                            \
	"delete) rm -f \"$root/$id\";;\n"                                                          \
	"state) if [ -n \"$FAKE_STATE_EXIT\" ]; then echo \"$FAKE_STATE_MSG\" >&2; "               \
	"exit $FAKE_STATE_EXIT; fi\n"                                                              \
	"  [ -e \"$root/$id\" ] && exit 0; echo 'container does not exist' >&2; exit 1;;\n"        \
	"esac\n"

static int write_file(const char *path, const char *text, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = write(fd, text, strlen(text));
	if (close(fd) < 0 || n != (ssize_t)strlen(text))
		return -1;
	return 0;
}

static ssize_t read_all(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n >= 0)
		buf[n] = '\0';
	return n;
}

static bool exists(const char *path)
{
	struct stat sb;

	return lstat(path, &sb) == 0;
}

/* The one entry of dir whose name starts with prefix, into name. */
static int find_entry(const char *dir, const char *prefix, char *name, size_t len)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int found = -1;

	if (d == NULL)
		return -1;
	while ((de = readdir(d)) != NULL) {
		if (strncmp(de->d_name, prefix, strlen(prefix)) == 0) {
			snprintf(name, len, "%s", de->d_name);
			found = 0;
			break;
		}
	}
	closedir(d);
	return found;
}

/*
 * Put another directory at path: made while the old one still exists (as
 * scratch/old), so that it cannot get the old one's inode number back.
 */
static int replace_dir(const char *path, const char *scratch)
{
	char old[PATH_MAX];

	snprintf(old, sizeof(old), "%s/old", scratch);
	if (rename(path, old) < 0 || mkdir(path, 0700) < 0)
		return -1;
	return rmdir(old);
}

FIXTURE(gc)
{
	char hcrun[PATH_MAX];
	char shim[PATH_MAX];
	char scratch[64];      /* mkdtemp */
	char bundle[128];      /* scratch/bundle, with config.json */
	char record[160];      /* bundle/hostchannel.json */
	char parent[128];      /* scratch/p: made by prepare */
	char host[128];	       /* scratch/p/ch */
	char hook[128];	       /* scratch/hook: HOSTCHANNEL_HOOK_DIR */
	char rstate[128];      /* scratch/rstate: HOSTCHANNEL_RUNTIME_STATE */
	char fake[128];	       /* scratch/fake-runc */
	char fakeroot[128];    /* scratch/fr: the fake runtime's --root */
	char policy[128];      /* scratch/policy.conf: HOSTCHANNEL_POLICY */
	char log[128];	       /* scratch/log: HCRUN_FAULT_LOG */
	char tmpdir[PATH_MAX]; /* a .hostchannel-* directory a test made */
	char env[1024];
	char out[16384];
};

FIXTURE_SETUP(gc)
{
	char path[PATH_MAX];

	if (geteuid() != 0)
		SKIP(return, "needs root (mounts)");
	if (hcrun_path(self->hcrun, sizeof(self->hcrun)) < 0)
		SKIP(return, "build/hcrun not built");
	snprintf(self->shim, sizeof(self->shim), "%.*s/hostchannel-runtime",
		 (int)(strrchr(self->hcrun, '/') - self->hcrun), self->hcrun);
	if (access(self->shim, X_OK) < 0)
		SKIP(return, "build/hostchannel-runtime not built");
	ASSERT_EQ(0, unshare(CLONE_NEWNS));
	ASSERT_EQ(0, mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL));
	snprintf(self->scratch, sizeof(self->scratch), "/tmp/hc-oci-gc-XXXXXX");
	ASSERT_NE(NULL, mkdtemp(self->scratch));
	snprintf(self->bundle, sizeof(self->bundle), "%s/bundle", self->scratch);
	ASSERT_EQ(0, mkdir(self->bundle, 0700));
	snprintf(path, sizeof(path), "%s/config.json", self->bundle);
	ASSERT_EQ(0, write_file(path, CONFIG_TEXT, 0644));
	snprintf(self->record, sizeof(self->record), "%s/hostchannel.json", self->bundle);
	snprintf(self->parent, sizeof(self->parent), "%s/p", self->scratch);
	snprintf(self->host, sizeof(self->host), "%s/p/ch", self->scratch);
	snprintf(self->hook, sizeof(self->hook), "%s/hook", self->scratch);
	snprintf(self->rstate, sizeof(self->rstate), "%s/rstate", self->scratch);
	snprintf(self->fake, sizeof(self->fake), "%s/fake-runc", self->scratch);
	ASSERT_EQ(0, write_file(self->fake, FAKE_RUNC, 0755));
	snprintf(self->fakeroot, sizeof(self->fakeroot), "%s/fr", self->scratch);
	ASSERT_EQ(0, mkdir(self->fakeroot, 0700));
	snprintf(self->log, sizeof(self->log), "%s/log", self->scratch);
	/* The shim applies the host policy: this test's paths are its
	 * scratch directory's. */
	snprintf(self->policy, sizeof(self->policy), "%s/policy.conf", self->scratch);
	snprintf(self->out, sizeof(self->out), "allow-prefix = %s\n", self->scratch);
	ASSERT_EQ(0, write_file(self->policy, self->out, 0644));
	snprintf(self->env, sizeof(self->env),
		 "HOSTCHANNEL_HOOK_DIR=%s HOSTCHANNEL_RUNTIME_STATE=%s HOSTCHANNEL_RUNTIME=%s "
		 "HOSTCHANNEL_POLICY=%s",
		 self->hook, self->rstate, self->fake, self->policy);
}

FIXTURE_TEARDOWN(gc)
{
	static const char *const files[] = {"bundle/config.json",
					    "bundle/hostchannel.json",
					    "bundle/config.json.hc-tmp",
					    "bundle/hostchannel.json.hc-tmp",
					    "fake-runc",
					    "log",
					    "fr/c1",
					    "hook/bad.json",
					    "hook/link.json",
					    "policy.conf"};
	char path[PATH_MAX];
	size_t i;

	if (self->scratch[0] == '\0')
		return;
	/* What a failed test left mounted goes with the namespace; these are
	 * the only names the kit and this test make. */
	umount2(self->host, MNT_DETACH);
	rmdir(self->host);
	if (self->tmpdir[0] != '\0')
		rmdir(self->tmpdir);
	rmdir(self->parent);
	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", self->scratch, files[i]);
		unlink(path);
	}
	rmdir(self->hook);
	rmdir(self->fakeroot);
	rmdir(self->bundle);
	rmdir(self->scratch);
}

/* hcrun oci prepare of the one channel on a fresh config.json,
 * HCRUN_FAULT=oci-prepare:k. */
static int prepare(FIXTURE_DATA(gc) * self, int k)
{
	char config[PATH_MAX];

	/* A fresh config: prepare refuses one it already edited. */
	snprintf(config, sizeof(config), "%s/config.json", self->bundle);
	if (write_file(config, CONFIG_TEXT, 0644) < 0)
		return -1;
	return run(
		self->out, sizeof(self->out),
		"HCRUN_FAULT=oci-prepare:%d HCRUN_FAULT_LOG=%s exec %s oci prepare --host-channel "
		"%s:/ch:rw:1M %s 2>&1",
		k, self->log, self->hcrun, self->host, self->bundle);
}

static int gc(FIXTURE_DATA(gc) * self)
{
	return run(self->out, sizeof(self->out), "%s %s oci gc %s 2>&1", self->env, self->hcrun,
		   self->bundle);
}

/* The point of verb's log (a run with K=0 wrote it) that is the nth
 * (1-based) to contain what; 0 when there is none. */
static int point(const char *log, const char *what, int nth)
{
	char text[8192], *line, *save = NULL;
	int k = 0;

	if (read_all(log, text, sizeof(text)) < 0)
		return 0;
	for (line = strtok_r(text, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save)) {
		k++;
		if (strstr(line, what) != NULL && --nth == 0)
			return k;
	}
	return 0;
}

/* Count prepare's points (and undo it), then kill it at the nth "what". */
static int prepare_killed_at(FIXTURE_DATA(gc) * self, const char *what, int nth)
{
	int k;

	unlink(self->log);
	if (prepare(self, 0) != 0 ||
	    run(self->out, sizeof(self->out), "%s oci teardown %s", self->hcrun, self->bundle) != 0)
		return -1;
	k = point(self->log, what, nth);
	if (k == 0)
		return -1;
	unlink(self->log);
	return prepare(self, k) == 128 + SIGKILL ? 0 : -1;
}

TEST_F(gc, rollback_keeps_a_token_named_directory_of_another_identity)
{
	char name[NAME_MAX + 1];

	if (_metadata->skip)
		return;
	/* The second journal entry: the parent made under its temporary
	 * name, its identity recorded. */
	ASSERT_EQ(0, prepare_killed_at(self, "after a channel journal entry", 2));
	ASSERT_EQ(0, find_entry(self->scratch, ".hostchannel-", name, sizeof(name)));
	snprintf(self->tmpdir, sizeof(self->tmpdir), "%s/%s", self->scratch, name);
	/* Someone else's now: same name, another directory. */
	ASSERT_EQ(0, replace_dir(self->tmpdir, self->scratch));
	EXPECT_EQ(0, gc(self)) TH_LOG("%s", self->out);
	EXPECT_NE(NULL, strstr(self->out, "rolled back")) TH_LOG("%s", self->out);
	EXPECT_TRUE(exists(self->tmpdir));
	EXPECT_FALSE(exists(self->record));
}

TEST_F(gc, rollback_removes_exactly_what_the_journal_proves)
{
	char name[NAME_MAX + 1];

	if (_metadata->skip)
		return;
	ASSERT_EQ(0, prepare_killed_at(self, "after a channel journal entry", 2));
	ASSERT_EQ(0, find_entry(self->scratch, ".hostchannel-", name, sizeof(name)));
	EXPECT_EQ(0, gc(self)) TH_LOG("%s", self->out);
	EXPECT_NE(0, find_entry(self->scratch, ".hostchannel-", name, sizeof(name)));
	EXPECT_FALSE(exists(self->parent));
	EXPECT_FALSE(exists(self->record));
}

TEST_F(gc, teardown_keeps_a_directory_that_replaced_the_made_one)
{
	int k;

	if (_metadata->skip)
		return;
	/* Count teardown's points on a first life. */
	ASSERT_EQ(0, prepare(self, 0)) TH_LOG("%s", self->out);
	unlink(self->log);
	ASSERT_EQ(0, run(self->out, sizeof(self->out),
			 "HCRUN_FAULT=oci-teardown:0 HCRUN_FAULT_LOG=%s %s oci teardown %s",
			 self->log, self->hcrun, self->bundle));
	k = point(self->log, "tmpfs unmounted", 1);
	ASSERT_NE(0, k);
	/* Killed once the tmpfs is off: the record says "releasing". */
	ASSERT_EQ(0, prepare(self, 0)) TH_LOG("%s", self->out);
	EXPECT_EQ(128 + SIGKILL, run(self->out, sizeof(self->out),
				     "HCRUN_FAULT=oci-teardown:%d exec %s oci teardown %s 2>&1", k,
				     self->hcrun, self->bundle));
	ASSERT_FALSE(cli_is_tmpfs(self->host));
	/* Someone else's directory now stands where the made one was. */
	ASSERT_EQ(0, replace_dir(self->host, self->scratch));
	EXPECT_EQ(0, gc(self)) TH_LOG("%s", self->out);
	EXPECT_NE(NULL, strstr(self->out, "finished an interrupted teardown"))
	TH_LOG("%s", self->out);
	EXPECT_TRUE(exists(self->host));
	EXPECT_TRUE(exists(self->parent));
	EXPECT_FALSE(exists(self->record));
}

TEST_F(gc, a_locked_record_is_left_alone)
{
	int fd;

	if (_metadata->skip)
		return;
	ASSERT_EQ(0, prepare_killed_at(self, "channel mounted", 1));
	ASSERT_TRUE(cli_is_tmpfs(self->host));
	/* As a prepare at work would hold it. */
	fd = open(self->record, O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, flock(fd, LOCK_EX));
	EXPECT_EQ(0, gc(self)) TH_LOG("%s", self->out);
	EXPECT_NE(NULL, strstr(self->out, "in use")) TH_LOG("%s", self->out);
	EXPECT_TRUE(cli_is_tmpfs(self->host));
	EXPECT_TRUE(exists(self->record));
	close(fd);
	/* Its writer gone, the record is rolled back. */
	EXPECT_EQ(0, gc(self)) TH_LOG("%s", self->out);
	EXPECT_NE(NULL, strstr(self->out, "rolled back")) TH_LOG("%s", self->out);
	EXPECT_FALSE(exists(self->host));
	EXPECT_FALSE(exists(self->parent));
	EXPECT_FALSE(exists(self->record));
}

TEST_F(gc, a_complete_record_is_a_live_containers)
{
	if (_metadata->skip)
		return;
	ASSERT_EQ(0, prepare(self, 0)) TH_LOG("%s", self->out);
	EXPECT_EQ(0, gc(self)) TH_LOG("%s", self->out);
	EXPECT_TRUE(cli_is_tmpfs(self->host));
	EXPECT_TRUE(exists(self->record));
	EXPECT_EQ(0, run(self->out, sizeof(self->out), "%s oci teardown %s", self->hcrun,
			 self->bundle));
	EXPECT_FALSE(exists(self->host));
}

TEST_F(gc, a_record_swapped_for_a_symlink_is_refused)
{
	char link[PATH_MAX], before[8192], after[8192];

	if (_metadata->skip)
		return;
	/* A record gc would roll back, were the symlink followed. */
	ASSERT_EQ(0, prepare_killed_at(self, "channel mounted", 1));
	ASSERT_LT(0, read_all(self->record, before, sizeof(before)));
	ASSERT_EQ(0, mkdir(self->hook, 0700));
	snprintf(link, sizeof(link), "%s/link.json", self->hook);
	ASSERT_EQ(0, symlink(self->record, link));
	EXPECT_EQ(125,
		  run(self->out, sizeof(self->out), "%s %s oci gc 2>&1", self->env, self->hcrun));
	EXPECT_NE(NULL, strstr(self->out, "symlink")) TH_LOG("%s", self->out);
	EXPECT_TRUE(exists(link));
	EXPECT_TRUE(cli_is_tmpfs(self->host));
	ASSERT_LT(0, read_all(self->record, after, sizeof(after)));
	EXPECT_STREQ(before, after);
	/* The record itself, named: rolled back. */
	unlink(link);
	EXPECT_EQ(0, gc(self)) TH_LOG("%s", self->out);
	EXPECT_FALSE(exists(self->host));
}

TEST_F(gc, a_corrupt_record_is_reported_and_kept)
{
	static const char bad[] = "{\"version\": 1, \"tag\": \"hostchannel-oci-x\", \"chan";
	char path[PATH_MAX], after[256];

	if (_metadata->skip)
		return;
	ASSERT_EQ(0, mkdir(self->hook, 0700));
	snprintf(path, sizeof(path), "%s/bad.json", self->hook);
	ASSERT_EQ(0, write_file(path, bad, 0600));
	EXPECT_EQ(125,
		  run(self->out, sizeof(self->out), "%s %s oci gc 2>&1", self->env, self->hcrun));
	EXPECT_NE(NULL, strstr(self->out, "bad.json")) TH_LOG("%s", self->out);
	ASSERT_LT(0, read_all(path, after, sizeof(after)));
	EXPECT_STREQ(bad, after);
	EXPECT_TRUE(exists(self->hook));
}

TEST_F(gc, a_shim_record_is_released_only_once_the_runtime_denies_the_container)
{
	char config[PATH_MAX], text[1024], name[NAME_MAX + 1];

	if (_metadata->skip)
		return;
	snprintf(config, sizeof(config), "%s/config.json", self->bundle);
	snprintf(text, sizeof(text),
		 "{\"ociVersion\":\"1.0.2\",\"root\":{\"path\":\"rootfs\"},\"process\":{\"args\":"
		 "[\"true\"]},\"annotations\":{\"org.hostchannel.spec\":\"%s:/ch:rw:1M\"}}\n",
		 self->host);
	ASSERT_EQ(0, write_file(config, text, 0644));
	ASSERT_EQ(0, run(self->out, sizeof(self->out), "%s %s --root %s create --bundle %s c1 2>&1",
			 self->env, self->shim, self->fakeroot, self->bundle))
	TH_LOG("%s", self->out);
	ASSERT_TRUE(cli_is_tmpfs(self->host));
	ASSERT_EQ(0, find_entry(self->rstate, "", name, sizeof(name)));
	/* The container exists: a live container's channels stay. */
	EXPECT_EQ(0,
		  run(self->out, sizeof(self->out), "%s %s oci gc 2>&1", self->env, self->hcrun));
	EXPECT_TRUE(cli_is_tmpfs(self->host));
	/* The runtime's answer does not tell: kept, and said. */
	EXPECT_EQ(125, run(self->out, sizeof(self->out),
			   "FAKE_STATE_EXIT=2 FAKE_STATE_MSG=boom %s %s oci gc 2>&1", self->env,
			   self->hcrun));
	EXPECT_NE(NULL, strstr(self->out, "boom")) TH_LOG("%s", self->out);
	EXPECT_TRUE(cli_is_tmpfs(self->host));
	/* The runtime lost it (deleted behind the shim's back): released. */
	snprintf(text, sizeof(text), "%s/c1", self->fakeroot);
	ASSERT_EQ(0, unlink(text));
	EXPECT_EQ(0,
		  run(self->out, sizeof(self->out), "%s %s oci gc 2>&1", self->env, self->hcrun));
	EXPECT_NE(NULL, strstr(self->out, "no such container")) TH_LOG("%s", self->out);
	EXPECT_FALSE(exists(self->host));
	EXPECT_FALSE(exists(self->parent));
	EXPECT_FALSE(exists(self->rstate));
}

TEST_HARNESS_MAIN
