// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * hostchannel-runtime (ref/hcrun/runtime.c), end to end through the built
 * hcrun under that name, in front of a fake runtime: a script that records
 * its argv (NUL-separated, so any byte shows), its pid and its exit status
 * of choice. Checked: a verb that is not ours reaches the runtime byte for
 * byte, by exec (same pid), with --hostchannel-runtime taken out; create
 * with the annotation or the environment variable mounts the channel,
 * edits config.json (bind, memory, hook) and runs the runtime with the
 * same argv; the annotation wins over the environment; a bad spec runs
 * nothing, makes nothing, quotes the field on stderr and as a JSON line in
 * --log; a runtime create that fails leaves nothing; delete tears down,
 * but only once the runtime's delete succeeded. Each test runs in its own
 * mount namespace, so a failing one leaves no mount behind; its scratch
 * directory is removed by name.
 */
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kselftest_harness.h"

#include "hcrun_cli.h"

#define FAKE_RUNC                                                                                  \
	"#!/bin/sh\n"                                                                              \
	"echo $$ > \"$FAKE_DIR/pid\"\n"                                                            \
	"printf '%s\\0' \"$0\" \"$@\" > \"$FAKE_DIR/argv\"\n"                                      \
	"exit ${FAKE_EXIT:-0}\n"

FIXTURE(shim)
{
	char shim[PATH_MAX]; /* build/hostchannel-runtime */
	char scratch[64];    /* mkdtemp */
	char bundle[128];    /* scratch/bundle, with config.json */
	char config[160];
	char host[128];	  /* scratch/p/ch: p and ch made by the shim */
	char host2[128];  /* scratch/p2 */
	char state[128];  /* scratch/state: HOSTCHANNEL_RUNTIME_STATE */
	char fake[128];	  /* scratch/fake-runc */
	char log[128];	  /* scratch/log.json */
	char policy[128]; /* scratch/policy.conf: lets these specs through */
	char env[1024];	  /* the variables every command line starts with */
	char out[16384];
};

FIXTURE_SETUP(shim)
{
	char hcrun[PATH_MAX];
	const char *why = NULL;
	int ret;

	ret = cli_setup_private("runtime", hcrun, self->scratch, sizeof(self->scratch), &why);
	if (ret > 0)
		SKIP(return, "%s", why);
	ASSERT_EQ(0, ret) TH_LOG("%s: %s", why, strerror(errno));
	snprintf(self->shim, sizeof(self->shim), "%s/hostchannel-runtime", dirname(hcrun));
	if (access(self->shim, X_OK) < 0)
		SKIP(return, "build/hostchannel-runtime not built");
	snprintf(self->bundle, sizeof(self->bundle), "%s/bundle", self->scratch);
	ASSERT_EQ(0, mkdir(self->bundle, 0700));
	snprintf(self->config, sizeof(self->config), "%s/config.json", self->bundle);
	snprintf(self->host, sizeof(self->host), "%s/p/ch", self->scratch);
	snprintf(self->host2, sizeof(self->host2), "%s/p2", self->scratch);
	snprintf(self->state, sizeof(self->state), "%s/state", self->scratch);
	snprintf(self->fake, sizeof(self->fake), "%s/fake-runc", self->scratch);
	snprintf(self->log, sizeof(self->log), "%s/log.json", self->scratch);
	snprintf(self->policy, sizeof(self->policy), "%s/policy.conf", self->scratch);
	ASSERT_EQ(0, cli_write_text(self->fake, FAKE_RUNC, 0755));
	/* The specs here are under /tmp and come from the environment too:
	 * the default policy would refuse them. */
	ASSERT_EQ(0, cli_write_text(self->policy, "allow-prefix = /tmp\nenv-specs = yes\n", 0644));
	snprintf(self->env, sizeof(self->env),
		 "HOSTCHANNEL_RUNTIME_STATE=%s FAKE_DIR=%s HOSTCHANNEL_RUNTIME=%s "
		 "HOSTCHANNEL_POLICY=%s",
		 self->state, self->scratch, self->fake, self->policy);
}

FIXTURE_TEARDOWN(shim)
{
	/* The only names the shim and this test make, deepest first. */
	static const char *const names[] = {
		"bundle/config.json",
		"bundle/config.json.hc-tmp",
		"bundle",
		"fake-runc",
		"argv",
		"pid",
		"log.json",
		"policy.conf",
		"p/ch",
		"p",
		"p2",
		"state",
	};

	if (self->scratch[0] == '\0')
		return;
	/* What a failed test left mounted goes with the namespace. */
	umount2(self->host, MNT_DETACH);
	umount2(self->host2, MNT_DETACH);
	cli_remove_names(self->scratch, names, sizeof(names) / sizeof(names[0]));
	rmdir(self->scratch);
}

/* config.json with these extra members (ending in "}" for the object). */
static int write_config(const char *path, const char *rest)
{
	char text[8192];

	if (snprintf(text, sizeof(text), "%s,%s", CLI_OCI_CONFIG_HEAD, rest) >= (int)sizeof(text))
		return -1;
	return cli_write_text(path, text, 0644);
}

/* config.json of a container that asks for one channel, host:/ch, by the
 * annotation. */
static int write_config_channel(const char *path, const char *host)
{
	char rest[1024];

	snprintf(rest, sizeof(rest),
		 "\"process\":{\"args\":[\"sh\"]},\"annotations\":{\"org.hostchannel.spec\":"
		 "\"%s:/ch\"}}",
		 host);
	return write_config(path, rest);
}

/* Does the fake runtime's recorded argv equal want (NUL-separated)? */
static bool argv_is(const char *scratch, const char *want, size_t len)
{
	char path[PATH_MAX], got[4096];
	ssize_t n;

	snprintf(path, sizeof(path), "%s/argv", scratch);
	n = cli_read_file(path, got, sizeof(got));
	return n == (ssize_t)len && memcmp(got, want, len) == 0;
}

static void argv_forget(const char *scratch)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/argv", scratch);
	unlink(path);
}

TEST_F(shim, other_verbs_pass_through_byte_for_byte_by_exec)
{
	char want[1024], path[PATH_MAX], pid[32];
	size_t len;
	ssize_t n;

	if (_metadata->skip)
		return;

	/* The shell execs the shim, which must exec the runtime: one pid. */
	ASSERT_EQ(0, run(self->out, sizeof(self->out),
			 "%s sh -c 'echo $$; exec \"$0\" \"$@\"' %s --hostchannel-runtime=%s "
			 "--root /r --log=/l -debug kill 'a b' \"$(printf '\\001\\377')\" '' "
			 "--x=y 2>&1",
			 self->env, self->shim, self->fake))
	TH_LOG("%s", self->out);
	len = (size_t)snprintf(want, sizeof(want), "%s%c--root%c/r%c--log=/l%c-debug%ckill%ca b%c",
			       self->fake, 0, 0, 0, 0, 0, 0, 0);
	memcpy(want + len, "\001\377\0\0--x=y\0", 10);
	len += 10;
	EXPECT_TRUE(argv_is(self->scratch, want, len));
	snprintf(path, sizeof(path), "%s/pid", self->scratch);
	n = cli_read_file(path, pid, sizeof(pid) - 1);
	ASSERT_LT(0, n);
	pid[n] = '\0';
	EXPECT_STREQ(self->out, pid);
	/* A create that asks for no channel is not ours either. */
	ASSERT_EQ(0, write_config(self->config, "\"process\":{\"args\":[\"sh\"]}}"));
	ASSERT_EQ(0, run(self->out, sizeof(self->out), "%s %s create --bundle %s c0 2>&1",
			 self->env, self->shim, self->bundle));
	len = (size_t)snprintf(want, sizeof(want), "%s%ccreate%c--bundle%c%s%cc0%c", self->fake, 0,
			       0, 0, self->bundle, 0, 0);
	EXPECT_TRUE(argv_is(self->scratch, want, len));
	EXPECT_FALSE(cli_exists(self->state));
	/* Nor a pod's sandbox, which the CRI gives the pod's annotations. */
	snprintf(want, sizeof(want),
		 "\"process\":{\"args\":[\"pause\"]},\"annotations\":{\"org.hostchannel.spec\":"
		 "\"%s:/ch\",\"io.kubernetes.cri.container-type\":\"sandbox\"}}",
		 self->host);
	ASSERT_EQ(0, write_config(self->config, want));
	ASSERT_EQ(0, run(self->out, sizeof(self->out), "%s %s create --bundle %s c0 2>&1",
			 self->env, self->shim, self->bundle));
	EXPECT_FALSE(cli_exists(self->host));
	EXPECT_FALSE(cli_exists(self->state));
}

TEST_F(shim, create_with_annotation_then_delete)
{
	char want[1024], path[PATH_MAX];
	size_t len;

	if (_metadata->skip)
		return;

	snprintf(path, sizeof(path),
		 "\"process\":{\"args\":[\"sh\"]},\"annotations\":{\"org.hostchannel.spec\":"
		 "\"%s:/hc:ro%%2Crslave:1M\",\"org.hostchannel.memory-add-channel\":\"true\"}}",
		 self->host);
	ASSERT_EQ(0, write_config(self->config, path));
	ASSERT_EQ(0, run(self->out, sizeof(self->out),
			 "cd %s && %s %s --root /r --log %s --log-format json create "
			 "--pid-file p.pid c1 2>&1",
			 self->bundle, self->env, self->shim, self->log))
	TH_LOG("%s", self->out);
	len = (size_t)snprintf(want, sizeof(want),
			       "%s%c--root%c/r%c--log%c%s%c--log-format%cjson%ccreate%c--pid-file%c"
			       "p.pid%cc1%c",
			       self->fake, 0, 0, 0, 0, self->log, 0, 0, 0, 0, 0, 0, 0);
	EXPECT_TRUE(argv_is(self->scratch, want, len));
	EXPECT_TRUE(cli_is_tmpfs(self->host));
	/* The bind, the raised limit (64M + 1M), the hook run as hcrun. */
	ASSERT_EQ(0, run(self->out, sizeof(self->out),
			 "jq -ce '[.mounts[-1].destination, .mounts[-1].source, "
			 ".mounts[-1].options[0:3], .linux.resources.memory.limit, "
			 ".hooks.poststop[-1].args[0:3]]' %s",
			 self->config));
	snprintf(path, sizeof(path),
		 "[\"/hc\",\"%s\",[\"rbind\",\"rslave\",\"ro\"],68157440,"
		 "[\"hcrun\",\"oci\",\"teardown\"]]\n",
		 self->host);
	EXPECT_STREQ(path, self->out);
	/* The runtime's delete, then the shim's own release (the fake runs
	 * no hook): nothing left, the state directory neither. */
	ASSERT_EQ(0, run(self->out, sizeof(self->out), "%s %s --root /r delete --force c1 2>&1",
			 self->env, self->shim))
	TH_LOG("%s", self->out);
	len = (size_t)snprintf(want, sizeof(want), "%s%c--root%c/r%cdelete%c--force%cc1%c",
			       self->fake, 0, 0, 0, 0, 0, 0);
	EXPECT_TRUE(argv_is(self->scratch, want, len));
	EXPECT_FALSE(cli_exists(self->host));
	snprintf(path, sizeof(path), "%s/p", self->scratch);
	EXPECT_FALSE(cli_exists(path));
	EXPECT_FALSE(cli_exists(self->state));
}

TEST_F(shim, create_with_env_annotation_wins)
{
	char rest[1024];

	if (_metadata->skip)
		return;

	/* The environment alone. */
	snprintf(
		rest, sizeof(rest),
		"\"process\":{\"args\":[\"sh\"],\"env\":[\"PATH=/bin\",\"HOSTCHANNEL_SPEC=%s:/hc\","
		"\"HOSTCHANNEL_MEMORY_ADD_CHANNEL=true\"]}}",
		self->host);
	ASSERT_EQ(0, write_config(self->config, rest));
	ASSERT_EQ(0, run(self->out, sizeof(self->out), "%s %s create -b %s c2 2>&1", self->env,
			 self->shim, self->bundle))
	TH_LOG("%s", self->out);
	EXPECT_TRUE(cli_is_tmpfs(self->host));
	ASSERT_EQ(0,
		  run(self->out, sizeof(self->out), "jq -c '.mounts[-1].source' %s", self->config));
	snprintf(rest, sizeof(rest), "\"%s\"\n", self->host);
	EXPECT_STREQ(rest, self->out);
	ASSERT_EQ(0,
		  run(self->out, sizeof(self->out), "%s %s delete c2 2>&1", self->env, self->shim));
	EXPECT_FALSE(cli_exists(self->host));

	/* Both: the annotation's channel, not the environment's. */
	snprintf(rest, sizeof(rest),
		 "\"process\":{\"args\":[\"sh\"],\"env\":[\"HOSTCHANNEL_SPEC=%s:/hc\"]},"
		 "\"annotations\":{\"org.hostchannel.spec\":\"%s:/h2\"}}",
		 self->host, self->host2);
	ASSERT_EQ(0, write_config(self->config, rest));
	ASSERT_EQ(0, run(self->out, sizeof(self->out), "%s %s create -b=%s c3 2>&1", self->env,
			 self->shim, self->bundle))
	TH_LOG("%s", self->out);
	EXPECT_TRUE(cli_is_tmpfs(self->host2));
	EXPECT_FALSE(cli_exists(self->host));
	ASSERT_EQ(0,
		  run(self->out, sizeof(self->out), "%s %s delete c3 2>&1", self->env, self->shim));
	EXPECT_FALSE(cli_exists(self->host2));
	EXPECT_FALSE(cli_exists(self->state));
}

TEST_F(shim, bad_spec_runs_nothing_makes_nothing_says_why)
{
	char rest[1024], before[4096], after[4096];
	ssize_t nb, na;

	if (_metadata->skip)
		return;

	snprintf(rest, sizeof(rest),
		 "\"process\":{\"args\":[\"sh\"],\"env\":[\"HOSTCHANNEL_SPEC=%s:/ch:rw:32Q\"]}}",
		 self->host);
	ASSERT_EQ(0, write_config(self->config, rest));
	nb = cli_read_file(self->config, before, sizeof(before));
	/* As containerd-shim-runc-v2 calls it: the error also goes to --log. */
	EXPECT_EQ(125, run(self->out, sizeof(self->out),
			   "%s %s --root /r --log %s --log-format json create --bundle %s c4 "
			   "2>&1 >/dev/null",
			   self->env, self->shim, self->log, self->bundle));
	EXPECT_NE(NULL, strstr(self->out, "hostchannel-runtime: ")) TH_LOG("%s", self->out);
	EXPECT_NE(NULL, strstr(self->out, "size \"32Q\"")) TH_LOG("%s", self->out);
	EXPECT_NE(NULL, strstr(self->out, "HOSTCHANNEL_SPEC")) TH_LOG("%s", self->out);
	/* One runc-style line, as containerd's getLastRuntimeError reads it. */
	ASSERT_EQ(
		0,
		run(self->out, sizeof(self->out),
		    "jq -ce 'select(.level == \"error\" and (.msg | contains(\"size "
		    "\\\"32Q\\\"\")) "
		    "and (.time | test(\"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z$\"))) | .level' %s",
		    self->log))
	TH_LOG("%s", self->out);
	EXPECT_STREQ("\"error\"\n", self->out);
	/* Nothing run, nothing made, the config as it was. */
	snprintf(rest, sizeof(rest), "%s/argv", self->scratch);
	EXPECT_FALSE(cli_exists(rest));
	EXPECT_FALSE(cli_exists(self->host));
	snprintf(rest, sizeof(rest), "%s/p", self->scratch);
	EXPECT_FALSE(cli_exists(rest));
	EXPECT_FALSE(cli_exists(self->state));
	na = cli_read_file(self->config, after, sizeof(after));
	EXPECT_TRUE(nb > 0 && na == nb && memcmp(before, after, (size_t)nb) == 0);
}

TEST_F(shim, failed_runtime_create_leaves_nothing)
{
	char rest[1024];

	if (_metadata->skip)
		return;

	ASSERT_EQ(0, write_config_channel(self->config, self->host));
	EXPECT_EQ(3, run(self->out, sizeof(self->out), "FAKE_EXIT=3 %s %s create -b %s c5 2>&1",
			 self->env, self->shim, self->bundle))
	TH_LOG("%s", self->out);
	snprintf(rest, sizeof(rest), "%s/argv", self->scratch);
	EXPECT_TRUE(cli_exists(rest));
	EXPECT_FALSE(cli_exists(self->host));
	snprintf(rest, sizeof(rest), "%s/p", self->scratch);
	EXPECT_FALSE(cli_exists(rest));
	EXPECT_FALSE(cli_exists(self->state));
}

TEST_F(shim, delete_releases_only_after_the_runtime_deleted)
{
	if (_metadata->skip)
		return;

	ASSERT_EQ(0, write_config_channel(self->config, self->host));
	ASSERT_EQ(0, run(self->out, sizeof(self->out), "%s %s --root=/r1 create -b %s c6 2>&1",
			 self->env, self->shim, self->bundle));
	/* The runtime refuses: the container may be alive, its channel stays. */
	EXPECT_EQ(1, run(self->out, sizeof(self->out), "FAKE_EXIT=1 %s %s --root=/r1 delete c6",
			 self->env, self->shim));
	EXPECT_TRUE(cli_is_tmpfs(self->host));
	/* Another runtime root's container of the same id is another one. */
	argv_forget(self->scratch);
	EXPECT_EQ(0, run(self->out, sizeof(self->out), "%s %s --root /r2 delete c6", self->env,
			 self->shim));
	EXPECT_TRUE(cli_is_tmpfs(self->host));
	EXPECT_EQ(0, run(self->out, sizeof(self->out), "%s %s --root /r1 delete c6", self->env,
			 self->shim));
	EXPECT_FALSE(cli_exists(self->host));
	EXPECT_FALSE(cli_exists(self->state));
}

TEST_F(shim, runtime_that_is_the_shim_refused)
{
	if (_metadata->skip)
		return;
	ASSERT_EQ(0, write_config(self->config, "\"process\":{\"args\":[\"sh\"]}}"));
	EXPECT_EQ(125,
		  run(self->out, sizeof(self->out), "%s HOSTCHANNEL_RUNTIME=%s %s state c7 2>&1",
		      self->env, self->shim, self->shim));
	EXPECT_NE(NULL, strstr(self->out, "itself")) TH_LOG("%s", self->out);
}

TEST_HARNESS_MAIN
