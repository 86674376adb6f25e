// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The isula driver (selftests/engines/isula) cannot run isula here: iSulad
 * is not packaged for Debian 12. What can be checked is that every verb of
 * the driver protocol becomes an isula command line that the documented
 * isula CLI accepts and that means what the verb means. The driver's
 * --dry-run prints those lines; this test reads them back into words (bash
 * undoes the driver's printf %q) and checks each against the options iSulad
 * documents for the subcommand (isula create/exec/stop/rm/inspect --help,
 * and the system-container guide: --system-container, --external-rootfs
 * with the image "none", --host-channel <host>:<container>:<rw|ro>:<size>).
 * The --host-channel value must pass unchanged: iSulad's client parses it,
 * and its stricter parser is a deviation the suite must get to see.
 */
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine.h"
#include "kselftest_harness.h"
#include "harness.h"

#define MAX_LINES 16
#define MAX_WORDS 64

struct cmdline {
	int n;
	char *w[MAX_WORDS];
};

struct dry {
	int nlines;
	struct cmdline line[MAX_LINES];
};

static void dry_free(struct dry *d)
{
	int i, j;

	for (i = 0; i < d->nlines; i++)
		for (j = 0; j < d->line[i].n; j++)
			free(d->line[i].w[j]);
	d->nlines = 0;
}

/* The isula driver beside this test: $HCT_ENGINES_DIR, else the tree's. */
static int driver_path(char *buf, size_t len)
{
	char dir[PATH_MAX];

	if (hct_built_path("HCT_ENGINES_DIR", 4, "selftests/engines", "engines", dir, sizeof(dir)) <
		    0 ||
	    snprintf(buf, len, "%s/isula", dir) >= (int)len)
		return -1;
	return access(buf, X_OK);
}

/*
 * Run the driver's dry run of args (a shell-quoted word list) and split
 * each printed line into words: bash prints, per line, the word count and
 * then one word per line.
 */
static int dry_run(struct dry *d, const char *args)
{
	char driver[PATH_MAX], cmd[8192], buf[8192];
	FILE *f;
	int status;

	memset(d, 0, sizeof(*d));
	if (driver_path(driver, sizeof(driver)) < 0)
		return -1;
	snprintf(cmd, sizeof(cmd),
		 "bash -c 'set -o pipefail; \"$0\" --dry-run \"$@\" | while IFS= read -r l; do "
		 "eval \"w=($l)\"; printf \"%%s\\n\" \"${#w[@]}\" \"${w[@]}\"; done' %s %s",
		 driver, args);
	f = popen(cmd, "r");
	if (f == NULL)
		return -1;
	while (fgets(buf, sizeof(buf), f) != NULL && d->nlines < MAX_LINES) {
		struct cmdline *c = &d->line[d->nlines++];
		int i, n = atoi(buf);

		for (i = 0; i < n && i < MAX_WORDS; i++) {
			if (fgets(buf, sizeof(buf), f) == NULL)
				break;
			buf[strcspn(buf, "\n")] = '\0';
			c->w[c->n] = strdup(buf);
			if (c->w[c->n] == NULL)
				break;
			c->n++;
		}
	}
	status = pclose(f);
	return status == 0 ? 0 : -1;
}

/* The first line that runs "isula SUB", or NULL. */
static const struct cmdline *isula_line(const struct dry *d, const char *sub)
{
	int i;

	for (i = 0; i < d->nlines; i++) {
		const struct cmdline *c = &d->line[i];

		if (c->n >= 2 && strcmp(basename(c->w[0]), "isula") == 0 &&
		    strcmp(c->w[1], sub) == 0)
			return c;
	}
	return NULL;
}

/* iSulad's documented options, per subcommand: name and whether it takes a
 * value. Only those a driver could need; anything else is a failure. */
struct opt {
	const char *name;
	bool value;
};

static const struct opt create_opts[] = {
	{"--name", true},
	{"--system-container", false},
	{"--external-rootfs", true},
	{"--host-channel", true},
	{"--memory", true},
	{"-m", true},
	{"--user", true},
	{"-u", true},
	{"--net", true},
	{"--cap-add", true},
	{"--cap-drop", true},
	{"--privileged", false},
	{"--hostname", true},
	{"-e", true},
	{"--env", true},
	{"-i", false},
	{"-t", false},
	{NULL, false},
};
static const struct opt exec_opts[] = {
	{"--user", true}, {"-u", true},	       {"-i", false}, {"-t", false},
	{"-d", false},	  {"--workdir", true}, {"-e", true},  {NULL, false},
};
static const struct opt stop_opts[] = {
	{"-t", true}, {"--time", true}, {"-f", false}, {NULL, false}};
static const struct opt rm_opts[] = {{"-f", false}, {"--force", false}, {NULL, false}};
static const struct opt start_opts[] = {{"-a", false}, {NULL, false}};
static const struct opt inspect_opts[] = {{"-f", true}, {"--format", true}, {NULL, false}};

/*
 * Walk the options after "isula SUB": each must be documented, and take a
 * value exactly when documented so. Returns the index of the first
 * operand, or -1 with what set to the offending word.
 */
static int check_opts(const struct cmdline *c, const struct opt *opts, const char **what)
{
	int i = 2;

	while (i < c->n && c->w[i][0] == '-') {
		const struct opt *o;

		for (o = opts; o->name != NULL; o++)
			if (strcmp(o->name, c->w[i]) == 0)
				break;
		if (o->name == NULL) {
			*what = c->w[i];
			return -1;
		}
		i += o->value ? 2 : 1;
	}
	if (i > c->n) {
		*what = "an option without its value";
		return -1;
	}
	return i;
}

static const char *opt_value(const struct cmdline *c, const char *name, int end)
{
	int i;

	for (i = 2; i + 1 < end; i++)
		if (strcmp(c->w[i], name) == 0)
			return c->w[i + 1];
	return NULL;
}

FIXTURE(isula)
{
	struct dry d;
};

FIXTURE_SETUP(isula)
{
	char driver[PATH_MAX];

	if (driver_path(driver, sizeof(driver)) < 0)
		SKIP(return, "selftests/engines/isula not found beside this build");
}

FIXTURE_TEARDOWN(isula)
{
	dry_free(&self->d);
}

/* create: a system container on an external rootfs, image "none", the spec unchanged. */
TEST_F(isula, create_maps_to_system_container)
{
	const struct cmdline *c;
	const char *what = NULL;
	int op;

	ASSERT_EQ(0,
		  dry_run(&self->d, "create hct-x --host-channel /tmp/a:/b:ro:32M -- /bin/true"));
	c = isula_line(&self->d, "create");
	ASSERT_NE(NULL, c);
	op = check_opts(c, create_opts, &what);
	ASSERT_LT(0, op) TH_LOG("isula create: undocumented option %s", what);
	EXPECT_STREQ("hct-x", opt_value(c, "--name", op));
	EXPECT_STREQ("/tmp/a:/b:ro:32M", opt_value(c, "--host-channel", op));
	EXPECT_NE(NULL, opt_value(c, "--external-rootfs", op));
	ASSERT_LT(op + 1, c->n);
	EXPECT_STREQ("none", c->w[op]) TH_LOG("with --external-rootfs the image is \"none\"");
	EXPECT_STREQ("/bin/true", c->w[op + 1]);
}

/* Specs are passed as given, even those iSulad's client refuses. */
TEST_F(isula, create_passes_spec_unchanged)
{
	const struct cmdline *c;
	const char *what = NULL;
	int op, i, n = 0;

	ASSERT_EQ(0, dry_run(&self->d,
			     "create hct-x --host-channel /a:/b --host-channel '/c d:/e::'"));
	c = isula_line(&self->d, "create");
	ASSERT_NE(NULL, c);
	op = check_opts(c, create_opts, &what);
	ASSERT_LT(0, op) TH_LOG("undocumented option %s", what);
	for (i = 2; i + 1 < op; i++) {
		if (strcmp(c->w[i], "--host-channel") != 0)
			continue;
		EXPECT_STREQ(n == 0 ? "/a:/b" : "/c d:/e::", c->w[i + 1]);
		n++;
	}
	EXPECT_EQ(2, n);
}

/* --memory in bytes; --memory-add-channel, which isula lacks, raises it. */
TEST_F(isula, create_memory_add_channel)
{
	const struct cmdline *c;
	const char *what = NULL;
	int op;

	ASSERT_EQ(0, dry_run(&self->d, "create hct-x --memory 67108864 --memory-add-channel "
				       "--host-channel /a:/b:rw:32M --host-channel /c:/d:rw:1G"));
	c = isula_line(&self->d, "create");
	ASSERT_NE(NULL, c);
	op = check_opts(c, create_opts, &what);
	ASSERT_LT(0, op) TH_LOG("undocumented option %s", what);
	/* 64 MiB + 32 MiB + 1 GiB */
	EXPECT_STREQ("1174405120", opt_value(c, "--memory", op));
}

TEST_F(isula, create_user)
{
	const struct cmdline *c;
	const char *what = NULL;
	int op;

	ASSERT_EQ(0, dry_run(&self->d, "create hct-x --user 1000:1000"));
	c = isula_line(&self->d, "create");
	ASSERT_NE(NULL, c);
	op = check_opts(c, create_opts, &what);
	ASSERT_LT(0, op) TH_LOG("undocumented option %s", what);
	EXPECT_STREQ("1000:1000", opt_value(c, "--user", op));
}

TEST_F(isula, exec_user_and_command)
{
	const struct cmdline *c;
	const char *what = NULL;
	int op;

	ASSERT_EQ(0, dry_run(&self->d, "exec hct-x --user 1000 -i -- sh -c 'echo hi'"));
	c = isula_line(&self->d, "exec");
	ASSERT_NE(NULL, c);
	op = check_opts(c, exec_opts, &what);
	ASSERT_LT(0, op) TH_LOG("isula exec: undocumented option %s", what);
	EXPECT_STREQ("1000", opt_value(c, "--user", op));
	ASSERT_EQ(op + 4, c->n);
	EXPECT_STREQ("hct-x", c->w[op]);
	EXPECT_STREQ("sh", c->w[op + 1]);
	EXPECT_STREQ("echo hi", c->w[op + 3]);
}

TEST_F(isula, lifecycle_verbs)
{
	static const struct {
		const char *args, *sub;
		const struct opt *opts;
	} cases[] = {
		{"start hct-x", "start", start_opts},	{"stop hct-x", "stop", stop_opts},
		{"delete hct-x", "rm", rm_opts},	{"state hct-x", "inspect", inspect_opts},
		{"pid hct-x", "inspect", inspect_opts},
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct cmdline *c;
		const char *what = NULL;
		int op;

		dry_free(&self->d);
		ASSERT_EQ(0, dry_run(&self->d, cases[i].args)) TH_LOG("%s", cases[i].args);
		c = isula_line(&self->d, cases[i].sub);
		ASSERT_NE(NULL, c) TH_LOG("%s: no isula %s", cases[i].args, cases[i].sub);
		op = check_opts(c, cases[i].opts, &what);
		ASSERT_LT(0, op) TH_LOG("%s: undocumented option %s", cases[i].args, what);
		ASSERT_EQ(op + 1, c->n) TH_LOG("%s: one operand, the name", cases[i].args);
		EXPECT_STREQ("hct-x", c->w[op]);
	}
}

/* delete: rm -f (a running container too), then the driver's own rootfs. */
TEST_F(isula, delete_forces_and_unmounts)
{
	int i, umounts = 0;

	ASSERT_EQ(0, dry_run(&self->d, "delete hct-x"));
	ASSERT_NE(NULL, isula_line(&self->d, "rm"));
	EXPECT_STREQ("-f", isula_line(&self->d, "rm")->w[2]);
	for (i = 0; i < self->d.nlines; i++)
		if (self->d.line[i].n >= 2 && strcmp(self->d.line[i].w[0], "umount") == 0)
			umounts++;
	EXPECT_EQ(2, umounts);
}

HCT_HARNESS_MAIN
