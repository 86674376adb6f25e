// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The host policy (ref/hcrun/policy.c, docs/policy.md): what specs from
 * input that is not the administrator's may ask of the host.
 *
 *  - the parser: every malformed file (unknown key, bad value of each kind,
 *    a scalar key twice, no "=", no value, a relative prefix, an unknown
 *    propagation word, a line too long, a NUL byte, a directory, a file
 *    others can write, a file named but absent) is refused with exit 125,
 *    naming the file and the line; comments, blanks and repeated prefixes
 *    are read, and "hcrun oci policy" prints what was understood;
 *  - no file: the built-in defaults, printed and applied (the machine's own
 *    /etc/hostchannel is hidden under an empty tmpfs in the test's mount
 *    namespace, so a policy installed there changes nothing);
 *  - the rules, through the gate ("hcrun oci policy SPEC", which walks it):
 *    prefixes by component, "..", "//" and "." cleaned, a symlinked parent
 *    that leads out, the prefix itself, parents made only from the prefix
 *    down, create-parents = no, max-size, max-total, max-channels, allow-rw,
 *    allow-propagation (shared and rshared refused by default);
 *  - the window between the gate and prepare: a symlink planted in a parent
 *    after the gate looked is caught by prepare's journal before anything is
 *    made (the policy's check called directly, as the kit calls it);
 *  - through the entry points whose input is not the admin's: the hook
 *    (hcrun oci hook precreate, the config on stdin) and the runtime shim
 *    (hostchannel-runtime in front of a fake runc) refuse a path outside the
 *    prefixes (a scratch "outside/.ssh" standing for /root/.ssh), exit 125,
 *    name the rule and the file (or the built-in default), and make nothing:
 *    no directory, no state, no mount, no runtime run, the config unchanged;
 *    the same spec under an allowed prefix works; with no file at all the
 *    hook refuses and /run/hostchannel/x works (a tmpfs over /run in the
 *    test's namespace), even when /run/hostchannel does not exist yet;
 *  - env-specs: the shim refuses a container's HOSTCHANNEL_SPEC and
 *    HOSTCHANNEL_MEMORY_ADD_CHANNEL unless the policy says yes (the message
 *    also in --log's JSON line), and takes them when it does; the policy by
 *    --hostchannel-policy and by $HOSTCHANNEL_POLICY;
 *  - the admin CLI: hcrun create and hcrun oci prepare are as before without
 *    --policy, and refuse with it, leaving no state and no directory.
 *
 * Each test runs in its own child (the harness forks) in its own mount
 * namespace, so its mounts die with it; its files live in a scratch
 * directory under /tmp that the teardown empties by name and removes.
 */
#include <dirent.h>
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

#include "hcrun.h"
#include "hcrun_cli.h"

#define FAKE_RUNC                                                                                  \
	"#!/bin/sh\n"                                                                              \
	"printf '%s\\0' \"$0\" \"$@\" > \"$FAKE_DIR/argv\"\n"                                      \
	"exit 0\n"

#define CONFIG_HEAD                                                                                \
	"{\"ociVersion\":\"1.0.2\",\"root\":{\"path\":\"rootfs\"},\"mounts\":[],"                  \
	"\"linux\":{\"resources\":{\"memory\":{\"limit\":67108864}}},"

/* Every name a test here makes under the scratch directory, deepest first:
 * the teardown unmounts and removes these, and nothing else. */
static const char *const made_dirs[] = {
	"allowed/ch",	"allowed/ch2",	 "allowed/new/ch", "allowed/new",
	"allowed/x/ch", "allowed/x",	 "outside/.ssh",   "outside/ch",
	"notyet/ch",	"notyet",	 "p1/p2/ch",	   "p1/p2",
	"p1",		"allowedX/ch",	 "allowedX",	   "allowed",
	"outside",	"state",	 "hooks",	   "bundle",
	"dir-policy",	"root-state/c1", "root-state",	   NULL,
};
static const char *const made_files[] = {
	"policy.conf",
	"bundle/config.json",
	"bundle/config.json.hc-tmp",
	"bundle/hostchannel.json",
	"out.json",
	"fake-runc",
	"argv",
	"log.json",
	"allowed/link",
	"root-state/c1/state.json",
	"root-state/c1/lock",
	NULL,
};

static int write_file(const char *path, const char *text, size_t len, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = write(fd, text, len);
	/* The umask must not decide: the loader refuses a file others write. */
	if (fchmod(fd, mode) < 0 || close(fd) < 0 || n != (ssize_t)len)
		return -1;
	return 0;
}

static bool exists(const char *path)
{
	struct stat sb;

	return lstat(path, &sb) == 0;
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

FIXTURE(pol)
{
	char hcrun[PATH_MAX];
	char shim[PATH_MAX];
	char scratch[64];  /* mkdtemp */
	char allowed[128]; /* scratch/allowed: the prefix the policies allow */
	char outside[128]; /* scratch/outside: stands for /root */
	char policy[128];  /* scratch/policy.conf */
	char bundle[128];
	char config[160];
	char env[1024]; /* the shim's variables (its state, the fake runtime) */
	char out[16384];
};

FIXTURE_SETUP(pol)
{
	char path[256], dir[PATH_MAX];

	if (geteuid() != 0)
		SKIP(return, "needs root (mounts)");
	if (hcrun_path(self->hcrun, sizeof(self->hcrun)) < 0)
		SKIP(return, "build/hcrun not built");
	snprintf(dir, sizeof(dir), "%s", self->hcrun);
	snprintf(self->shim, sizeof(self->shim), "%s/hostchannel-runtime", dirname(dir));
	/* Mounts made from here on die with this test's process. */
	ASSERT_EQ(0, unshare(CLONE_NEWNS));
	ASSERT_EQ(0, mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL));
	/* Whatever policy this machine has installed, the tests see none. */
	if (access("/etc/hostchannel", F_OK) == 0)
		ASSERT_EQ(0, mount("tmpfs", "/etc/hostchannel", "tmpfs", 0, "mode=0755"));
	unsetenv(HCRUN_POLICY_ENV);
	snprintf(self->scratch, sizeof(self->scratch), "/tmp/hc-policy-XXXXXX");
	ASSERT_NE(NULL, mkdtemp(self->scratch));
	snprintf(self->allowed, sizeof(self->allowed), "%s/allowed", self->scratch);
	snprintf(self->outside, sizeof(self->outside), "%s/outside", self->scratch);
	snprintf(self->policy, sizeof(self->policy), "%s/policy.conf", self->scratch);
	snprintf(self->bundle, sizeof(self->bundle), "%s/bundle", self->scratch);
	snprintf(self->config, sizeof(self->config), "%s/config.json", self->bundle);
	ASSERT_EQ(0, mkdir(self->allowed, 0755));
	ASSERT_EQ(0, mkdir(self->outside, 0700));
	ASSERT_EQ(0, mkdir(self->bundle, 0700));
	snprintf(path, sizeof(path), "%s/fake-runc", self->scratch);
	ASSERT_EQ(0, write_file(path, FAKE_RUNC, strlen(FAKE_RUNC), 0755));
	snprintf(self->env, sizeof(self->env),
		 "HOSTCHANNEL_RUNTIME_STATE=%s/state FAKE_DIR=%s HOSTCHANNEL_RUNTIME=%s "
		 "HOSTCHANNEL_HOOK_DIR=%s/hooks",
		 self->scratch, self->scratch, path, self->scratch);
}

FIXTURE_TEARDOWN(pol)
{
	char path[PATH_MAX];
	size_t i;

	if (self->scratch[0] == '\0')
		return;
	/* The records a failed test left in the hook's and the shim's state
	 * directories (their names are random): only *.json files there. */
	for (i = 0; i < 2; i++) {
		DIR *d;
		struct dirent *e;

		snprintf(path, sizeof(path), "%s/%s", self->scratch, i == 0 ? "hooks" : "state");
		d = opendir(path);
		while (d != NULL && (e = readdir(d)) != NULL) {
			size_t n = strlen(e->d_name);

			if (e->d_type == DT_REG && n > 5 && strcmp(e->d_name + n - 5, ".json") == 0)
				unlinkat(dirfd(d), e->d_name, 0);
		}
		if (d != NULL)
			closedir(d);
	}
	for (i = 0; made_files[i] != NULL; i++) {
		snprintf(path, sizeof(path), "%s/%s", self->scratch, made_files[i]);
		unlink(path);
	}
	for (i = 0; made_dirs[i] != NULL; i++) {
		snprintf(path, sizeof(path), "%s/%s", self->scratch, made_dirs[i]);
		umount2(path, MNT_DETACH);
		rmdir(path);
	}
	rmdir(self->scratch);
}

static int set_policy(const char *path, const char *text)
{
	return write_file(path, text, strlen(text), 0644);
}

/* config.json with these extra members (ending in "}" for the object). */
static int set_config(const char *path, const char *rest)
{
	char text[8192];

	if (snprintf(text, sizeof(text), "%s%s", CONFIG_HEAD, rest) >= (int)sizeof(text))
		return -1;
	return write_file(path, text, strlen(text), 0644);
}

/* -------------------------------------------------------------- parser */

TEST_F(pol, malformed_files_refused_with_file_and_line)
{
	static const struct {
		const char *text;
		unsigned int line;
		const char *says;
	} cases[] = {
		{"bogus = 1\n", 1, "unknown key \"bogus\""},
		{"# a comment\n\ncreate-parents = maybe\n", 3, "create-parents \"maybe\""},
		{"allow-rw = 1\n", 1, "expected yes or no"},
		{"env-specs = YES\n", 1, "env-specs \"YES\""},
		{"max-size = 1G\nmax-total = 2G\nmax-size = 2G\n", 3, "already set on line 1"},
		{"max-size = lots\n", 1, "max-size \"lots\""},
		{"max-size = 0\n", 1, "max-size \"0\""},
		{"max-total = -1\n", 1, "max-total \"-1\""},
		{"max-channels = 1e3\n", 1, "max-channels \"1e3\""},
		{"max-channels = 1234567890\n", 1, "max-channels \"1234567890\""},
		{"allow-rw\n", 1, "expected KEY = VALUE"},
		{"\n  env-specs =   \n", 2, "env-specs: no value"},
		{"allow-prefix = run/hostchannel\n", 1, "not an absolute path"},
		{"allow-propagation = rslave,bogus\n", 1, "unknown word \"bogus\""},
		{"allow-propagation = ,\n", 1, "allow-propagation"},
		{"Allow-RW = yes\n", 1, "unknown key \"Allow-RW\""},
	};
	char text[8192], want[PATH_MAX + 32];
	size_t i;

	if (_metadata->skip)
		return;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		ASSERT_EQ(0, set_policy(self->policy, cases[i].text));
		EXPECT_EQ(125, run(self->out, sizeof(self->out), "%s oci policy --policy %s 2>&1",
				   self->hcrun, self->policy))
		TH_LOG("case %zu", i);
		snprintf(want, sizeof(want), "host policy %s line %u: ", self->policy,
			 cases[i].line);
		EXPECT_NE(NULL, strstr(self->out, want)) TH_LOG("case %zu: %s", i, self->out);
		EXPECT_NE(NULL, strstr(self->out, cases[i].says))
		TH_LOG("case %zu: %s", i, self->out);
	}

	/* A line too long, a NUL byte: line 2 each. */
	memset(text, 'x', sizeof(text));
	memcpy(text, "allow-rw = yes\n# ", 17);
	text[sizeof(text) - 1] = '\n';
	ASSERT_EQ(0, write_file(self->policy, text, sizeof(text), 0644));
	EXPECT_EQ(125, run(self->out, sizeof(self->out), "%s oci policy --policy %s 2>&1",
			   self->hcrun, self->policy));
	snprintf(want, sizeof(want), "host policy %s line 2: longer than", self->policy);
	EXPECT_NE(NULL, strstr(self->out, want)) TH_LOG("%s", self->out);
	ASSERT_EQ(0, write_file(self->policy, "allow-rw = yes\nenv\0-specs = no\n", 31, 0644));
	EXPECT_EQ(125, run(self->out, sizeof(self->out), "%s oci policy --policy %s 2>&1",
			   self->hcrun, self->policy));
	snprintf(want, sizeof(want), "host policy %s line 2: a NUL byte", self->policy);
	EXPECT_NE(NULL, strstr(self->out, want)) TH_LOG("%s", self->out);

	/* Not a file we trust: others can write it, a directory, absent. */
	ASSERT_EQ(0, write_file(self->policy, "allow-rw = yes\n", 15, 0664));
	EXPECT_EQ(125, run(self->out, sizeof(self->out), "%s oci policy --policy %s 2>&1",
			   self->hcrun, self->policy));
	EXPECT_NE(NULL, strstr(self->out, "writable by group or others")) TH_LOG("%s", self->out);
	snprintf(text, sizeof(text), "%s/dir-policy", self->scratch);
	ASSERT_EQ(0, mkdir(text, 0755));
	EXPECT_EQ(125, run(self->out, sizeof(self->out), "%s oci policy --policy %s 2>&1",
			   self->hcrun, text));
	EXPECT_NE(NULL, strstr(self->out, "not a regular file")) TH_LOG("%s", self->out);
	snprintf(text, sizeof(text), "%s/absent.conf", self->scratch);
	EXPECT_EQ(125, run(self->out, sizeof(self->out), "%s oci policy --policy %s 2>&1",
			   self->hcrun, text));
	EXPECT_NE(NULL, strstr(self->out, "absent.conf: no such file")) TH_LOG("%s", self->out);
	/* Named in the engine's environment: must be there too. */
	EXPECT_EQ(125, run(self->out, sizeof(self->out), "HOSTCHANNEL_POLICY=%s %s oci policy 2>&1",
			   text, self->hcrun));
	EXPECT_NE(NULL, strstr(self->out, "$HOSTCHANNEL_POLICY: host policy"))
	TH_LOG("%s", self->out);
}

TEST_F(pol, malformed_file_makes_nothing)
{
	char host[256], before[4096], after[4096];

	if (_metadata->skip)
		return;
	/* A spec the file would allow: the file itself is what is refused. */
	snprintf(host, sizeof(host), "%s/ch", self->allowed);
	snprintf(before, sizeof(before), "allow-prefix = %s\nmax-size = 1G\nmax-size = 2G\n",
		 self->allowed);
	ASSERT_EQ(0, set_policy(self->policy, before));
	snprintf(before, sizeof(before),
		 "\"process\":{\"args\":[\"sh\"]},\"annotations\":{\"org.hostchannel.spec\":"
		 "\"%s:/ch\"}}",
		 host);
	ASSERT_EQ(0, set_config(self->config, before));
	ASSERT_LT(0, read_all(self->config, before, sizeof(before)));
	/* The hook. */
	EXPECT_EQ(125, run(self->out, sizeof(self->out),
			   "%s %s oci hook precreate --policy %s < %s 2>&1 >%s/out.json", self->env,
			   self->hcrun, self->policy, self->config, self->scratch));
	EXPECT_NE(NULL, strstr(self->out, "line 3: max-size is already set on line 2"))
	TH_LOG("%s", self->out);
	EXPECT_FALSE(exists(host));
	snprintf(after, sizeof(after), "%s/hooks", self->scratch);
	EXPECT_FALSE(exists(after));
	/* The shim, by its option: nothing run either. */
	EXPECT_EQ(125, run(self->out, sizeof(self->out),
			   "%s %s --hostchannel-policy=%s create --bundle %s c1 2>&1", self->env,
			   self->shim, self->policy, self->bundle));
	EXPECT_NE(NULL, strstr(self->out, "line 3: max-size is already set on line 2"))
	TH_LOG("%s", self->out);
	EXPECT_FALSE(exists(host));
	snprintf(after, sizeof(after), "%s/argv", self->scratch);
	EXPECT_FALSE(exists(after));
	snprintf(after, sizeof(after), "%s/state", self->scratch);
	EXPECT_FALSE(exists(after));
	/* The bundle kit under --policy. */
	EXPECT_EQ(125, run(self->out, sizeof(self->out),
			   "%s oci prepare --policy %s --host-channel %s:/ch %s 2>&1", self->hcrun,
			   self->policy, host, self->bundle));
	EXPECT_NE(NULL, strstr(self->out, "--policy: host policy")) TH_LOG("%s", self->out);
	EXPECT_FALSE(exists(host));
	snprintf(after, sizeof(after), "%s/hostchannel.json", self->bundle);
	EXPECT_FALSE(exists(after));
	ASSERT_LT(0, read_all(self->config, after, sizeof(after)));
	EXPECT_STREQ(before, after);
}

TEST_F(pol, well_formed_file_read_and_printed)
{
	char text[2048], want[2048];

	if (_metadata->skip)
		return;
	snprintf(text, sizeof(text),
		 "# the channels of this host\n"
		 "\n"
		 "   allow-prefix   =   %s/   \n"
		 "allow-prefix=/srv//channels/\r\n"
		 "\t# indented comment\n"
		 "create-parents = no\n"
		 "max-size = 512M\n"
		 "max-total = none\n"
		 "max-channels = 3\n"
		 "allow-rw = no\n"
		 "allow-propagation = rslave, rshared\tprivate\n"
		 "env-specs = yes",
		 self->allowed);
	ASSERT_EQ(0, set_policy(self->policy, text));
	ASSERT_EQ(0, run(self->out, sizeof(self->out), "%s oci policy --policy %s 2>&1",
			 self->hcrun, self->policy))
	TH_LOG("%s", self->out);
	snprintf(want, sizeof(want),
		 "# host policy: %s\n"
		 "allow-prefix = %s/\n"
		 "allow-prefix = /srv/channels/\n"
		 "create-parents = no\n"
		 "max-size = 512M\n"
		 "max-total = none\n"
		 "max-channels = 3\n"
		 "allow-rw = no\n"
		 "allow-propagation = private rslave rshared\n"
		 "env-specs = yes\n",
		 self->policy, self->allowed);
	EXPECT_STREQ(want, self->out);
	/* What it prints is a policy file that says the same. */
	ASSERT_EQ(0, set_policy(self->policy, want));
	ASSERT_EQ(0, run(self->out, sizeof(self->out), "%s oci policy --policy %s 2>&1",
			 self->hcrun, self->policy));
	EXPECT_STREQ(want, self->out);
	/* A key not given keeps its default; an empty file is all defaults. */
	ASSERT_EQ(0, set_policy(self->policy, "max-channels = 2\n"));
	ASSERT_EQ(0, run(self->out, sizeof(self->out), "%s oci policy --policy %s 2>&1",
			 self->hcrun, self->policy));
	EXPECT_NE(NULL, strstr(self->out, "allow-prefix = /run/hostchannel/\n"
					  "create-parents = yes\n"
					  "max-size = 1G\n"
					  "max-total = 4G\n"
					  "max-channels = 2\n"))
	TH_LOG("%s", self->out);
}

TEST_F(pol, no_file_means_the_built_in_defaults)
{
	if (_metadata->skip)
		return;
	ASSERT_EQ(0, run(self->out, sizeof(self->out), "%s oci policy 2>&1", self->hcrun));
	EXPECT_STREQ("# host policy: the built-in defaults (/etc/hostchannel/policy.conf is "
		     "absent)\n"
		     "allow-prefix = /run/hostchannel/\n"
		     "create-parents = yes\n"
		     "max-size = 1G\n"
		     "max-total = 4G\n"
		     "max-channels = 8\n"
		     "allow-rw = yes\n"
		     "allow-propagation = private rprivate slave rslave unbindable runbindable\n"
		     "env-specs = no\n",
		     self->out);
	/* An empty $HOSTCHANNEL_POLICY is none. */
	ASSERT_EQ(0, run(self->out, sizeof(self->out), "HOSTCHANNEL_POLICY= %s oci policy 2>&1",
			 self->hcrun));
	EXPECT_NE(NULL, strstr(self->out, "built-in defaults")) TH_LOG("%s", self->out);
}

/* --------------------------------------------------------------- rules */

/* "hcrun oci policy --policy FILE SPEC": the gate's answer, nothing made. */
#define EXPECT_ALLOWED(spec)                                                                       \
	EXPECT_EQ(0, run(self->out, sizeof(self->out), "%s oci policy --policy %s %s 2>&1",        \
			 self->hcrun, self->policy, spec))                                         \
	TH_LOG("%s: %s", spec, self->out)

#define EXPECT_REFUSED(spec, rule)                                                                 \
	do {                                                                                       \
		char w_[PATH_MAX + 64];                                                            \
		EXPECT_EQ(125,                                                                     \
			  run(self->out, sizeof(self->out), "%s oci policy --policy %s %s 2>&1",   \
			      self->hcrun, self->policy, spec))                                    \
		TH_LOG("%s: %s", spec, self->out);                                                 \
		snprintf(w_, sizeof(w_), "refused by the host policy's rule %s (%s", rule,         \
			 self->policy);                                                            \
		EXPECT_NE(NULL, strstr(self->out, w_)) TH_LOG("%s: %s", spec, self->out);          \
	} while (0)

TEST_F(pol, prefixes_on_the_resolved_path)
{
	char spec[PATH_MAX], link[256], ssh[PATH_MAX];

	if (_metadata->skip)
		return;
	snprintf(spec, sizeof(spec), "allow-prefix = %s\n", self->allowed);
	ASSERT_EQ(0, set_policy(self->policy, spec));
	snprintf(spec, sizeof(spec), "%s/ch:/x", self->allowed);
	EXPECT_ALLOWED(spec);
	/* "//" and "." are cleaned before the check, as prepare cleans them. */
	snprintf(spec, sizeof(spec), "%s//allowed/./ch:/x", self->scratch);
	EXPECT_ALLOWED(spec);
	/* The prefix itself: a tmpfs over all of it. */
	snprintf(spec, sizeof(spec), "%s:/x", self->allowed);
	EXPECT_REFUSED(spec, "allow-prefix");
	/* By component: allowedX is not below allowed. */
	snprintf(spec, sizeof(spec), "%sX/ch:/x", self->allowed);
	EXPECT_REFUSED(spec, "allow-prefix");
	/* ".." out of the prefix. */
	snprintf(spec, sizeof(spec), "%s/../outside/.ssh:/x", self->allowed);
	EXPECT_REFUSED(spec, "allow-prefix");
	/* Spelled outside: refused before it is looked up (the message says
	 * nothing of what is there). */
	EXPECT_NE(NULL, strstr(self->out, "outside/.ssh\" is not below an allowed prefix"))
	TH_LOG("%s", self->out);
	/* A path outside that exists reads the same: nothing is told of it. */
	snprintf(spec, sizeof(spec), "%s:/x", self->outside);
	EXPECT_REFUSED(spec, "allow-prefix");
	EXPECT_NE(NULL, strstr(self->out, "outside\" is not below an allowed prefix"))
	TH_LOG("%s", self->out);
	EXPECT_EQ(NULL, strstr(self->out, "exists")) TH_LOG("%s", self->out);
	/* A symlink planted in the prefix, leading out (to "/root"). */
	snprintf(link, sizeof(link), "%s/link", self->allowed);
	ASSERT_EQ(0, symlink(self->outside, link));
	snprintf(spec, sizeof(spec), "%s/.ssh:/x", link);
	EXPECT_REFUSED(spec, "allow-prefix");
	snprintf(ssh, sizeof(ssh), "(resolved: \"%s/.ssh\")", self->outside);
	EXPECT_NE(NULL, strstr(self->out, ssh)) TH_LOG("%s", self->out);
	snprintf(ssh, sizeof(ssh), "%s/.ssh", self->outside);
	EXPECT_FALSE(exists(ssh));
	/* And one that leads back in is fine: the resolved path decides. */
	ASSERT_EQ(0, unlink(link));
	ASSERT_EQ(0, symlink(self->allowed, link));
	snprintf(spec, sizeof(spec), "%s/ch:/x", link);
	EXPECT_ALLOWED(spec);
	ASSERT_EQ(0, unlink(link));
	/* A prefix that is a symlink the administrator made is resolved too. */
	snprintf(spec, sizeof(spec), "allow-prefix = %s/link\n", self->allowed);
	ASSERT_EQ(0, set_policy(self->policy, spec));
	ASSERT_EQ(0, symlink(self->outside, link));
	snprintf(spec, sizeof(spec), "%s/ch:/x", self->outside);
	EXPECT_ALLOWED(spec);
	ASSERT_EQ(0, unlink(link));
	/* "/" allows every path (the suite's own policy). */
	ASSERT_EQ(0, set_policy(self->policy, "allow-prefix = /\n"));
	snprintf(spec, sizeof(spec), "%s/.ssh:/x", self->outside);
	EXPECT_ALLOWED(spec);
}

TEST_F(pol, parents_made_only_from_the_prefix_down)
{
	char spec[PATH_MAX];

	if (_metadata->skip)
		return;
	/* The prefix directory may be missing: it is made, not what is above. */
	snprintf(spec, sizeof(spec), "allow-prefix = %s/notyet\nallow-prefix = %s/p1/p2\n",
		 self->scratch, self->scratch);
	ASSERT_EQ(0, set_policy(self->policy, spec));
	snprintf(spec, sizeof(spec), "%s/notyet/ch:/x", self->scratch);
	EXPECT_ALLOWED(spec);
	snprintf(spec, sizeof(spec), "%s/p1/p2/ch:/x", self->scratch);
	EXPECT_REFUSED(spec, "create-parents");
	EXPECT_NE(NULL, strstr(self->out, "above the allowed prefix")) TH_LOG("%s", self->out);
	/* create-parents = no: only the leaf. */
	snprintf(spec, sizeof(spec), "allow-prefix = %s\ncreate-parents = no\n", self->allowed);
	ASSERT_EQ(0, set_policy(self->policy, spec));
	snprintf(spec, sizeof(spec), "%s/ch:/x", self->allowed);
	EXPECT_ALLOWED(spec);
	snprintf(spec, sizeof(spec), "%s/new/ch:/x", self->allowed);
	EXPECT_REFUSED(spec, "create-parents");
	snprintf(spec, sizeof(spec), "%s/new", self->allowed);
	EXPECT_FALSE(exists(spec));
}

TEST_F(pol, sizes_counts_modes_and_propagation)
{
	char spec[4 * PATH_MAX];

	if (_metadata->skip)
		return;
	snprintf(spec, sizeof(spec),
		 "allow-prefix = %s\nmax-size = 2M\nmax-total = 3M\nmax-channels = 2\n",
		 self->allowed);
	ASSERT_EQ(0, set_policy(self->policy, spec));
	snprintf(spec, sizeof(spec), "%s/ch:/x:rw:2M", self->allowed);
	EXPECT_ALLOWED(spec);
	snprintf(spec, sizeof(spec), "%s/ch:/x:rw:3M", self->allowed);
	EXPECT_REFUSED(spec, "max-size");
	EXPECT_NE(NULL, strstr(self->out, "size 3M is more than 2M")) TH_LOG("%s", self->out);
	/* The default size (64M) counts too. */
	snprintf(spec, sizeof(spec), "%s/ch:/x", self->allowed);
	EXPECT_REFUSED(spec, "max-size");
	snprintf(spec, sizeof(spec), "%s/ch:/x:rw:2M %s/ch2:/y:ro:1M", self->allowed,
		 self->allowed);
	EXPECT_ALLOWED(spec);
	snprintf(spec, sizeof(spec), "%s/ch:/x:rw:2M %s/ch2:/y:ro:2M", self->allowed,
		 self->allowed);
	EXPECT_REFUSED(spec, "max-total");
	EXPECT_NE(NULL, strstr(self->out, "add up to 4M")) TH_LOG("%s", self->out);
	snprintf(spec, sizeof(spec), "%s/a:/a:rw:1K %s/b:/b:rw:1K %s/c:/c:rw:1K", self->allowed,
		 self->allowed, self->allowed);
	EXPECT_REFUSED(spec, "max-channels");
	EXPECT_NE(NULL, strstr(self->out, "3 host channels asked for, more than 2"))
	TH_LOG("%s", self->out);

	/* "none": no bound but the system's (nine channels: one more than
	 * the default allows). */
	snprintf(spec, sizeof(spec),
		 "allow-prefix = %s\nmax-size = none\nmax-total = none\nmax-channels = none\n",
		 self->allowed);
	ASSERT_EQ(0, set_policy(self->policy, spec));
	snprintf(spec, sizeof(spec),
		 "%s/a:/a %s/b:/b %s/c:/c %s/d:/d %s/e:/e %s/f:/f %s/g:/g %s/h:/h %s/i:/i",
		 self->allowed, self->allowed, self->allowed, self->allowed, self->allowed,
		 self->allowed, self->allowed, self->allowed, self->allowed);
	EXPECT_ALLOWED(spec);

	/* allow-rw = no: ro only. */
	snprintf(spec, sizeof(spec), "allow-prefix = %s\nallow-rw = no\n", self->allowed);
	ASSERT_EQ(0, set_policy(self->policy, spec));
	snprintf(spec, sizeof(spec), "%s/ch:/x:ro", self->allowed);
	EXPECT_ALLOWED(spec);
	snprintf(spec, sizeof(spec), "%s/ch:/x:rw", self->allowed);
	EXPECT_REFUSED(spec, "allow-rw");
	snprintf(spec, sizeof(spec), "%s/ch:/x", self->allowed); /* rw by default */
	EXPECT_REFUSED(spec, "allow-rw");

	/* Propagation: the default list refuses shared and rshared. */
	snprintf(spec, sizeof(spec), "allow-prefix = %s\n", self->allowed);
	ASSERT_EQ(0, set_policy(self->policy, spec));
	snprintf(spec, sizeof(spec), "%s/ch:/x:rw,rslave", self->allowed);
	EXPECT_ALLOWED(spec);
	snprintf(spec, sizeof(spec), "%s/ch:/x:ro,shared", self->allowed);
	EXPECT_REFUSED(spec, "allow-propagation");
	EXPECT_NE(NULL, strstr(self->out, "propagation shared is not allowed"))
	TH_LOG("%s", self->out);
	EXPECT_NE(NULL, strstr(self->out, "which leaves it at its default"))
	TH_LOG("%s", self->out);
	snprintf(spec, sizeof(spec), "%s/ch:/x:rw,rshared", self->allowed);
	EXPECT_REFUSED(spec, "allow-propagation");
	/* A list of its own: no word given is rprivate. */
	snprintf(spec, sizeof(spec), "allow-prefix = %s\nallow-propagation = rshared\n",
		 self->allowed);
	ASSERT_EQ(0, set_policy(self->policy, spec));
	snprintf(spec, sizeof(spec), "%s/ch:/x:rw,rshared", self->allowed);
	EXPECT_ALLOWED(spec);
	snprintf(spec, sizeof(spec), "%s/ch:/x", self->allowed);
	EXPECT_REFUSED(spec, "allow-propagation");
	EXPECT_NE(NULL, strstr(self->out, "line 2)")) TH_LOG("%s", self->out);
}

/* ---------------------------------------------- the gate -> prepare window */

static int journal_check(void *arg, const struct hc_host *host, hc_error_t **err)
{
	return hcrun_policy_check_host(arg, host, err);
}

TEST_F(pol, symlink_planted_after_the_gate_caught_before_anything_is_made)
{
	struct hcrun_policy p;
	struct hc_spec spec;
	const struct hc_spec *specs[] = {&spec};
	struct hc_host host;
	hc_error_t *err = NULL;
	char text[PATH_MAX + 64], link[256], leaked[PATH_MAX];

	if (_metadata->skip)
		return;
	snprintf(text, sizeof(text), "allow-prefix = %s\n", self->allowed);
	ASSERT_EQ(0, set_policy(self->policy, text));
	ASSERT_EQ(0, hcrun_policy_load(self->policy, &p, &err));
	/* allowed/x does not exist yet: the gate resolves allowed/x/ch inside. */
	snprintf(text, sizeof(text), "%s/x/ch:/x:rw:1M", self->allowed);
	ASSERT_EQ(0, hc_spec_parse(text, NULL, &spec, &err));
	ASSERT_EQ(0, hcrun_policy_check_specs(&p, specs, 1, &err)) TH_LOG("%s", err->msg);
	/* Then someone who can write the prefix plants allowed/x -> "/root". */
	snprintf(link, sizeof(link), "%s/x", self->allowed);
	ASSERT_EQ(0, symlink(self->outside, link));
	/* prepare, with the journal the kit and create give it under a policy. */
	EXPECT_EQ(-1, hc_host_prepare_journal(spec.host_path, &host, journal_check, &p, &err));
	ASSERT_NE(NULL, err);
	EXPECT_NE(NULL, strstr(err->msg, "as prepare resolved it just now")) TH_LOG("%s", err->msg);
	EXPECT_NE(NULL, strstr(err->msg, "rule allow-prefix")) TH_LOG("%s", err->msg);
	hc_error_free(&err);
	snprintf(leaked, sizeof(leaked), "%s/ch", self->outside);
	EXPECT_FALSE(exists(leaked));
	/* Without the symlink the same prepare goes through: the journal
	 * refuses what leads out, not what the gate passed. */
	ASSERT_EQ(0, unlink(link));
	EXPECT_EQ(0, hc_host_prepare_journal(spec.host_path, &host, journal_check, &p, &err));
	if (err != NULL) {
		TH_LOG("%s", err->msg);
		hc_error_free(&err);
	}
	/* Nothing mounted: teardown removes the directories prepare made. */
	EXPECT_EQ(0, hc_host_teardown(&host, "hostchannel-policy-test", &err));
	hc_error_free(&err);
	EXPECT_FALSE(exists(link));
	hcrun_policy_clear(&p);
}

/* --------------------------------------------------- through the hook */

TEST_F(pol, hook_refuses_outside_the_prefix_and_makes_nothing)
{
	char ssh[256], host[256], rest[2 * PATH_MAX], want[PATH_MAX + 64];

	if (_metadata->skip)
		return;
	snprintf(rest, sizeof(rest), "allow-prefix = %s\n", self->allowed);
	ASSERT_EQ(0, set_policy(self->policy, rest));
	snprintf(ssh, sizeof(ssh), "%s/.ssh", self->outside);
	snprintf(rest, sizeof(rest),
		 "\"process\":{\"args\":[\"sh\"]},\"annotations\":{\"org.hostchannel.spec\":"
		 "\"%s:/x\"}}",
		 ssh);
	ASSERT_EQ(0, set_config(self->config, rest));
	EXPECT_EQ(125, run(self->out, sizeof(self->out),
			   "%s %s oci hook precreate --policy %s < %s 2>&1 >%s/out.json", self->env,
			   self->hcrun, self->policy, self->config, self->scratch));
	snprintf(want, sizeof(want), "rule allow-prefix (%s line 1)", self->policy);
	EXPECT_NE(NULL, strstr(self->out, want)) TH_LOG("%s", self->out);
	snprintf(want, sizeof(want), "host path \"%s\"", ssh);
	EXPECT_NE(NULL, strstr(self->out, want)) TH_LOG("%s", self->out);
	EXPECT_FALSE(exists(ssh));
	snprintf(want, sizeof(want), "%s/hooks", self->scratch);
	EXPECT_FALSE(exists(want));
	snprintf(want, sizeof(want), "%s/out.json", self->scratch);
	EXPECT_EQ(0, read_all(want, rest, sizeof(rest))) TH_LOG("the hook printed a config");

	/* The same spec under the allowed prefix works, and poststop undoes. */
	snprintf(host, sizeof(host), "%s/ch", self->allowed);
	snprintf(rest, sizeof(rest),
		 "\"process\":{\"args\":[\"sh\"]},\"annotations\":{\"org.hostchannel.spec\":"
		 "\"%s:/x\"}}",
		 host);
	ASSERT_EQ(0, set_config(self->config, rest));
	ASSERT_EQ(0, run(self->out, sizeof(self->out),
			 "%s %s oci hook precreate --policy=%s < %s > %s.hc-tmp 2>%s/out.json && "
			 "mv %s.hc-tmp %s",
			 self->env, self->hcrun, self->policy, self->config, self->config,
			 self->scratch, self->config, self->config));
	EXPECT_TRUE(cli_is_tmpfs(host));
	ASSERT_EQ(0, run(self->out, sizeof(self->out),
			 "printf '{\"ociVersion\":\"1.0.2\",\"id\":\"x\",\"status\":\"stopped\","
			 "\"bundle\":\"%s\",\"annotations\":{\"org.hostchannel.spec\":\"x\"}}' | "
			 "%s %s oci hook poststop 2>&1",
			 self->bundle, self->env, self->hcrun))
	TH_LOG("%s", self->out);
	EXPECT_FALSE(exists(host));
	/* poststop takes no --policy: it only undoes what precreate made. */
	EXPECT_EQ(125, run(self->out, sizeof(self->out),
			   "%s oci hook poststop --policy %s </dev/null 2>&1", self->hcrun,
			   self->policy));
}

TEST_F(pol, hook_without_a_policy_file_uses_the_defaults)
{
	char ssh[256], link[256], rest[2 * PATH_MAX];

	if (_metadata->skip)
		return;
	/* /run of this namespace only: /run/hostchannel is ours to make. */
	ASSERT_EQ(0, mount("tmpfs", "/run", "tmpfs", 0, "mode=0755"));
	snprintf(ssh, sizeof(ssh), "%s/.ssh", self->outside);
	snprintf(rest, sizeof(rest),
		 "\"process\":{\"args\":[\"sh\"]},\"annotations\":{\"org.hostchannel.spec\":"
		 "\"%s:/x\"}}",
		 ssh);
	ASSERT_EQ(0, set_config(self->config, rest));
	EXPECT_EQ(125, run(self->out, sizeof(self->out), "%s %s oci hook precreate < %s 2>&1",
			   self->env, self->hcrun, self->config));
	EXPECT_NE(NULL, strstr(self->out, "rule allow-prefix (the built-in default: "
					  "/etc/hostchannel/policy.conf is absent)"))
	TH_LOG("%s", self->out);
	EXPECT_FALSE(exists(ssh));

	/* /run/hostchannel does not exist: the first channel makes it. */
	ASSERT_FALSE(exists("/run/hostchannel"));
	ASSERT_EQ(0, set_config(self->config,
				"\"process\":{\"args\":[\"sh\"]},\"annotations\":{"
				"\"org.hostchannel.spec\":\"/run/hostchannel/ch:/x:rw:1M\"}}"));
	ASSERT_EQ(0,
		  run(self->out, sizeof(self->out),
		      "%s %s oci hook precreate < %s > %s.hc-tmp 2>%s/out.json && mv %s.hc-tmp %s",
		      self->env, self->hcrun, self->config, self->config, self->scratch,
		      self->config, self->config));
	EXPECT_TRUE(cli_is_tmpfs("/run/hostchannel/ch"));

	/* poststop undoes the channel, and the parent it made. */
	EXPECT_EQ(0, run(self->out, sizeof(self->out),
			 "printf '{\"ociVersion\":\"1.0.2\",\"id\":\"x\",\"status\":\"stopped\","
			 "\"bundle\":\"%s\",\"annotations\":{\"org.hostchannel.spec\":\"x\"}}' | "
			 "%s %s oci hook poststop 2>&1",
			 self->bundle, self->env, self->hcrun))
	TH_LOG("%s", self->out);
	EXPECT_FALSE(exists("/run/hostchannel/ch"));
	EXPECT_FALSE(exists("/run/hostchannel")) TH_LOG("the parent it made stays");

	/* A symlink planted there, leading to "/root": refused. */
	ASSERT_EQ(0, mkdir("/run/hostchannel", 0755));
	snprintf(link, sizeof(link), "/run/hostchannel/link");
	ASSERT_EQ(0, symlink(self->outside, link));
	ASSERT_EQ(0, set_config(self->config,
				"\"process\":{\"args\":[\"sh\"]},\"annotations\":{"
				"\"org.hostchannel.spec\":\"/run/hostchannel/link/.ssh:/x\"}}"));
	EXPECT_EQ(125, run(self->out, sizeof(self->out), "%s %s oci hook precreate < %s 2>&1",
			   self->env, self->hcrun, self->config));
	EXPECT_NE(NULL, strstr(self->out, "rule allow-prefix")) TH_LOG("%s", self->out);
	EXPECT_FALSE(exists(ssh));
	/* shared from an annotation: refused by default. */
	ASSERT_EQ(0,
		  set_config(self->config,
			     "\"process\":{\"args\":[\"sh\"]},\"annotations\":{"
			     "\"org.hostchannel.spec\":\"/run/hostchannel/c2:/y:rw%2Cshared\"}}"));
	EXPECT_EQ(125, run(self->out, sizeof(self->out), "%s %s oci hook precreate < %s 2>&1",
			   self->env, self->hcrun, self->config));
	EXPECT_NE(NULL, strstr(self->out, "rule allow-propagation")) TH_LOG("%s", self->out);
	EXPECT_FALSE(exists("/run/hostchannel/c2"));
}

/* --------------------------------------------------- through the shim */

TEST_F(pol, shim_refuses_outside_the_prefix_and_makes_nothing)
{
	char ssh[256], host[256], rest[2 * PATH_MAX], want[PATH_MAX + 64];
	char before[8192], after[8192];

	if (_metadata->skip)
		return;
	snprintf(rest, sizeof(rest), "allow-prefix = %s\n", self->allowed);
	ASSERT_EQ(0, set_policy(self->policy, rest));
	snprintf(ssh, sizeof(ssh), "%s/.ssh", self->outside);
	snprintf(rest, sizeof(rest),
		 "\"process\":{\"args\":[\"sh\"]},\"annotations\":{\"org.hostchannel.spec\":"
		 "\"%s:/x\"}}",
		 ssh);
	ASSERT_EQ(0, set_config(self->config, rest));
	ASSERT_LT(0, read_all(self->config, before, sizeof(before)));
	EXPECT_EQ(125, run(self->out, sizeof(self->out),
			   "%s %s --hostchannel-policy=%s --root /r --log %s/log.json --log-format "
			   "json create --bundle %s c1 2>&1",
			   self->env, self->shim, self->policy, self->scratch, self->bundle));
	snprintf(want, sizeof(want), "rule allow-prefix (%s line 1)", self->policy);
	EXPECT_NE(NULL, strstr(self->out, want)) TH_LOG("%s", self->out);
	EXPECT_NE(NULL, strstr(self->out, "annotation org.hostchannel.spec"))
	TH_LOG("%s", self->out);
	/* The same words in runc's JSON log, where containerd reads them. */
	EXPECT_EQ(0, run(self->out, sizeof(self->out),
			 "jq -e 'select(.level == \"error\" and (.msg | contains(\"rule "
			 "allow-prefix\")))' %s/log.json >/dev/null 2>&1",
			 self->scratch));
	EXPECT_FALSE(exists(ssh));
	snprintf(want, sizeof(want), "%s/argv", self->scratch);
	EXPECT_FALSE(exists(want)) TH_LOG("the runtime ran");
	snprintf(want, sizeof(want), "%s/state", self->scratch);
	EXPECT_FALSE(exists(want));
	ASSERT_LT(0, read_all(self->config, after, sizeof(after)));
	EXPECT_STREQ(before, after);

	/* The same spec under the allowed prefix works, by $HOSTCHANNEL_POLICY
	 * this time; delete undoes. */
	snprintf(host, sizeof(host), "%s/ch", self->allowed);
	snprintf(rest, sizeof(rest),
		 "\"process\":{\"args\":[\"sh\"]},\"annotations\":{\"org.hostchannel.spec\":"
		 "\"%s:/x\"}}",
		 host);
	ASSERT_EQ(0, set_config(self->config, rest));
	ASSERT_EQ(0, run(self->out, sizeof(self->out),
			 "%s HOSTCHANNEL_POLICY=%s %s create --bundle %s c1 2>&1", self->env,
			 self->policy, self->shim, self->bundle))
	TH_LOG("%s", self->out);
	EXPECT_TRUE(cli_is_tmpfs(host));
	ASSERT_EQ(0,
		  run(self->out, sizeof(self->out), "%s %s delete c1 2>&1", self->env, self->shim));
	EXPECT_FALSE(exists(host));
	/* The option wins over the environment. */
	ASSERT_EQ(0, set_config(self->config, rest));
	ASSERT_EQ(0, run(self->out, sizeof(self->out),
			 "%s HOSTCHANNEL_POLICY=%s/absent %s --hostchannel-policy %s create "
			 "--bundle %s c2 2>&1",
			 self->env, self->scratch, self->shim, self->policy, self->bundle))
	TH_LOG("%s", self->out);
	EXPECT_TRUE(cli_is_tmpfs(host));
	ASSERT_EQ(0,
		  run(self->out, sizeof(self->out), "%s %s delete c2 2>&1", self->env, self->shim));
	EXPECT_FALSE(exists(host));
}

TEST_F(pol, shim_env_specs_only_when_the_policy_says_so)
{
	char host[256], rest[2 * PATH_MAX], want[PATH_MAX + 64];

	if (_metadata->skip)
		return;
	snprintf(host, sizeof(host), "%s/ch", self->allowed);
	snprintf(rest, sizeof(rest), "allow-prefix = %s\n", self->allowed);
	ASSERT_EQ(0, set_policy(self->policy, rest));
	snprintf(rest, sizeof(rest),
		 "\"process\":{\"args\":[\"sh\"],\"env\":[\"HOSTCHANNEL_SPEC=%s:/x\"]}}", host);
	ASSERT_EQ(0, set_config(self->config, rest));
	EXPECT_EQ(125, run(self->out, sizeof(self->out),
			   "%s %s --hostchannel-policy=%s --log %s/log.json --log-format json "
			   "create --bundle %s c1 2>&1",
			   self->env, self->shim, self->policy, self->scratch, self->bundle));
	snprintf(want, sizeof(want), "rule env-specs (%s, which leaves it at its default)",
		 self->policy);
	EXPECT_NE(NULL, strstr(self->out, want)) TH_LOG("%s", self->out);
	EXPECT_NE(NULL, strstr(self->out, "environment variable HOSTCHANNEL_SPEC"))
	TH_LOG("%s", self->out);
	EXPECT_EQ(0, run(self->out, sizeof(self->out),
			 "jq -e 'select(.msg | contains(\"rule env-specs\"))' %s/log.json "
			 ">/dev/null 2>&1",
			 self->scratch));
	EXPECT_FALSE(exists(host));
	snprintf(want, sizeof(want), "%s/argv", self->scratch);
	EXPECT_FALSE(exists(want));
	/* No file at all: the same. */
	EXPECT_EQ(125, run(self->out, sizeof(self->out), "%s %s create --bundle %s c1 2>&1",
			   self->env, self->shim, self->bundle));
	EXPECT_NE(NULL, strstr(self->out, "rule env-specs (the built-in default"))
	TH_LOG("%s", self->out);
	/* The memory variable beside an annotation's spec is the environment's
	 * too. */
	snprintf(
		rest, sizeof(rest),
		"\"process\":{\"args\":[\"sh\"],\"env\":[\"HOSTCHANNEL_MEMORY_ADD_CHANNEL=true\"]},"
		"\"annotations\":{\"org.hostchannel.spec\":\"%s:/x\"}}",
		host);
	ASSERT_EQ(0, set_config(self->config, rest));
	EXPECT_EQ(125, run(self->out, sizeof(self->out),
			   "%s %s --hostchannel-policy=%s create --bundle %s c1 2>&1", self->env,
			   self->shim, self->policy, self->bundle));
	EXPECT_NE(NULL, strstr(self->out, "HOSTCHANNEL_MEMORY_ADD_CHANNEL"))
	TH_LOG("%s", self->out);
	EXPECT_FALSE(exists(host));
	/* env-specs = yes: taken, as before the policy. */
	snprintf(rest, sizeof(rest), "allow-prefix = %s\nenv-specs = yes\n", self->allowed);
	ASSERT_EQ(0, set_policy(self->policy, rest));
	snprintf(rest, sizeof(rest),
		 "\"process\":{\"args\":[\"sh\"],\"env\":[\"HOSTCHANNEL_SPEC=%s:/x\","
		 "\"HOSTCHANNEL_MEMORY_ADD_CHANNEL=true\"]}}",
		 host);
	ASSERT_EQ(0, set_config(self->config, rest));
	ASSERT_EQ(0, run(self->out, sizeof(self->out),
			 "%s %s --hostchannel-policy=%s create --bundle %s c1 2>&1", self->env,
			 self->shim, self->policy, self->bundle))
	TH_LOG("%s", self->out);
	EXPECT_TRUE(cli_is_tmpfs(host));
	ASSERT_EQ(0, run(self->out, sizeof(self->out), "jq -c .linux.resources.memory.limit %s",
			 self->config));
	EXPECT_STREQ("134217728\n", self->out); /* 64M + the channel's 64M */
	ASSERT_EQ(0,
		  run(self->out, sizeof(self->out), "%s %s delete c1 2>&1", self->env, self->shim));
	EXPECT_FALSE(exists(host));
	/* The environment's spec is still checked like any other. */
	snprintf(rest, sizeof(rest),
		 "\"process\":{\"args\":[\"sh\"],\"env\":[\"HOSTCHANNEL_SPEC=%s/.ssh:/x\"]}}",
		 self->outside);
	ASSERT_EQ(0, set_config(self->config, rest));
	EXPECT_EQ(125, run(self->out, sizeof(self->out),
			   "%s %s --hostchannel-policy=%s create --bundle %s c1 2>&1", self->env,
			   self->shim, self->policy, self->bundle));
	EXPECT_NE(NULL, strstr(self->out, "rule allow-prefix")) TH_LOG("%s", self->out);
	snprintf(want, sizeof(want), "%s/.ssh", self->outside);
	EXPECT_FALSE(exists(want));
}

/* ----------------------------------------------------- the admin's CLI */

TEST_F(pol, admin_cli_only_under_policy)
{
	char ssh[256], rest[2 * PATH_MAX], root[256];

	if (_metadata->skip)
		return;
	snprintf(rest, sizeof(rest), "allow-prefix = %s\n", self->allowed);
	ASSERT_EQ(0, set_policy(self->policy, rest));
	snprintf(ssh, sizeof(ssh), "%s/.ssh", self->outside);
	snprintf(root, sizeof(root), "%s/root-state", self->scratch);
	/* create --policy: refused, no state, no directory. */
	EXPECT_EQ(125, run(self->out, sizeof(self->out),
			   "%s --root %s create --name c1 --policy %s --host-channel %s:/x 2>&1",
			   self->hcrun, root, self->policy, ssh));
	EXPECT_NE(NULL, strstr(self->out, "rule allow-prefix")) TH_LOG("%s", self->out);
	EXPECT_FALSE(exists(ssh));
	snprintf(rest, sizeof(rest), "%s/c1", root);
	EXPECT_FALSE(exists(rest));
	/* Without --policy: the administrator's spec, as before. */
	if (run(self->out, sizeof(self->out),
		"%s --root %s create --name c1 --host-channel %s:/x "
		"2>&1",
		self->hcrun, root, ssh) == 0) {
		EXPECT_TRUE(exists(ssh));
		EXPECT_EQ(0, run(self->out, sizeof(self->out), "%s --root %s delete c1 2>&1",
				 self->hcrun, root))
		TH_LOG("%s", self->out);
		EXPECT_FALSE(exists(ssh));
	} else {
		/* No rootfs built: create stops there, after the policy would. */
		EXPECT_NE(NULL, strstr(self->out, "rootfs")) TH_LOG("%s", self->out);
	}
	rmdir(root);
	/* oci prepare --policy: refused, the bundle unchanged. */
	ASSERT_EQ(0, set_config(self->config, "\"process\":{\"args\":[\"sh\"]}}"));
	EXPECT_EQ(125, run(self->out, sizeof(self->out),
			   "%s oci prepare --policy %s --host-channel %s:/x %s 2>&1", self->hcrun,
			   self->policy, ssh, self->bundle));
	EXPECT_NE(NULL, strstr(self->out, "rule allow-prefix")) TH_LOG("%s", self->out);
	EXPECT_FALSE(exists(ssh));
	snprintf(rest, sizeof(rest), "%s/hostchannel.json", self->bundle);
	EXPECT_FALSE(exists(rest));
	/* Without it, as before. */
	EXPECT_EQ(0, run(self->out, sizeof(self->out),
			 "%s oci prepare --no-hook --host-channel %s:/x:rw:1M %s 2>&1", self->hcrun,
			 ssh, self->bundle))
	TH_LOG("%s", self->out);
	EXPECT_TRUE(cli_is_tmpfs(ssh));
	EXPECT_EQ(0, run(self->out, sizeof(self->out), "%s oci teardown %s 2>&1", self->hcrun,
			 self->bundle));
	EXPECT_FALSE(exists(ssh));
}

TEST_HARNESS_MAIN
