// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Hostile input through every entry point whose input is not the
 * administrator's: the OCI hook (hcrun oci hook precreate|poststop), the
 * runc shim (hostchannel-runtime create|delete, in front of a fake runtime)
 * and, where the case applies, the bundle kit (hcrun oci prepare|teardown).
 * Each case is run through each of them and judged from the disk and the
 * mount table, never from the exit status alone: a refusal exits 125 with a
 * message that says why, and leaves the scratch tree exactly as it was (no
 * directory, no mount, no state file; the config unchanged); an acceptance
 * makes exactly the channels a sane reading of the input names, and its
 * undo (poststop, delete, teardown) leaves the tree as it was.
 *
 * The cases: annotations with "..", "//", %-escapes of separators, of NUL
 * and broken ones, control bytes, empty fields, a thousand specs, huge
 * values, values that are not strings; config.json huge, truncated, not
 * JSON, not an object, with duplicate keys (also through \u escapes) or a
 * NUL in a key, process.env not an array of strings or naming the variable
 * twice; state files swapped for symlinks, and state annotations naming a
 * file outside the hook's directory.
 *
 * Each test runs in its own mount namespace, so a failing one leaves no
 * mount behind; its scratch directory is removed by name.
 */
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kselftest_harness.h"

#include "hcrun_cli.h"

#define FAKE_RUNC                                                                                  \
	"#!/bin/sh\n"                                                                              \
	"printf '%s\\0' \"$0\" \"$@\" > \"$FAKE_DIR/argv\"\n"                                      \
	"exit 0\n"

#define TREE_MAX (64 << 10)

/* The ways in. */
enum entry { HOOK, SHIM, SHIM_ENV, PREPARE };
static const char *const entry_name[] = {"hook precreate", "shim create (annotation)",
					 "shim create (HOSTCHANNEL_SPEC)", "oci prepare"};

FIXTURE(hostile)
{
	char hcrun[PATH_MAX];
	char shim[PATH_MAX];
	char scratch[64]; /* mkdtemp */
	char root[128];	  /* scratch/r: exists; the host paths go under it */
	char bundle[128]; /* scratch/bundle */
	char config[160]; /* bundle/config.json */
	char hooks[128];  /* scratch/hooks: HOSTCHANNEL_HOOK_DIR, made by the hook */
	char state[128];  /* scratch/state: HOSTCHANNEL_RUNTIME_STATE, made by the shim */
	char io[128];	  /* scratch/io: the test's own files, outside what is compared */
	char env[1024];	  /* what the shim's command lines start with */
	char before[TREE_MAX];
	char after[TREE_MAX];
	char out[16384];
	int id;		  /* the shim's container ids: c1, c2, ... */
	char what[256];	  /* the case, for the messages of a failure */
	char policy[160]; /* io/policy.conf */
};

/*
 * The policy file: scratch/r the one allowed prefix, parents may be made;
 * then rules, or (rules NULL) every other rule wide open.
 */
static int write_policy(FIXTURE_DATA(hostile) * self, const char *rules)
{
	char text[1024];

	snprintf(text, sizeof(text), "allow-prefix = %s\n%s%s", self->root,
		 rules != NULL && strstr(rules, "create-parents") != NULL
			 ? ""
			 : "create-parents = yes\n",
		 rules != NULL ? rules
			       : "max-size = none\nmax-total = none\nmax-channels = none\n"
				 "allow-propagation = private rprivate slave rslave shared "
				 "rshared unbindable runbindable\nenv-specs = yes\n");
	return cli_write_file(self->policy, text, strlen(text), 0600);
}

FIXTURE_SETUP(hostile)
{
	char path[PATH_MAX];

	if (geteuid() != 0)
		SKIP(return, "needs root (mounts)");
	if (hcrun_path(self->hcrun, sizeof(self->hcrun)) < 0)
		SKIP(return, "build/hcrun not built");
	snprintf(path, sizeof(path), "%s", self->hcrun);
	snprintf(self->shim, sizeof(self->shim), "%s/hostchannel-runtime", dirname(path));
	if (access(self->shim, X_OK) < 0)
		SKIP(return, "build/hostchannel-runtime not built");
	/* Mounts made from here on die with this test's process. */
	ASSERT_EQ(0, unshare(CLONE_NEWNS));
	ASSERT_EQ(0, mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL));
	snprintf(self->scratch, sizeof(self->scratch), "/tmp/hc-hostile-XXXXXX");
	ASSERT_NE(NULL, mkdtemp(self->scratch));
	snprintf(self->root, sizeof(self->root), "%s/r", self->scratch);
	snprintf(self->bundle, sizeof(self->bundle), "%s/bundle", self->scratch);
	snprintf(self->config, sizeof(self->config), "%s/config.json", self->bundle);
	snprintf(self->hooks, sizeof(self->hooks), "%s/hooks", self->scratch);
	snprintf(self->state, sizeof(self->state), "%s/state", self->scratch);
	snprintf(self->io, sizeof(self->io), "%s/io", self->scratch);
	ASSERT_EQ(0, mkdir(self->root, 0755));
	ASSERT_EQ(0, mkdir(self->bundle, 0700));
	ASSERT_EQ(0, mkdir(self->io, 0700));
	snprintf(path, sizeof(path), "%s/fake-runc", self->io);
	ASSERT_EQ(0, cli_write_file(path, FAKE_RUNC, strlen(FAKE_RUNC), 0755));
	snprintf(self->env, sizeof(self->env),
		 "HOSTCHANNEL_RUNTIME_STATE=%s FAKE_DIR=%s HOSTCHANNEL_RUNTIME=%s/fake-runc",
		 self->state, self->io, self->io);
	/* The host policy of the hook and the shim: scratch/r is the one
	 * allowed prefix, every other rule wide open (the policy cases
	 * narrow it themselves). */
	snprintf(self->policy, sizeof(self->policy), "%s/policy.conf", self->io);
	ASSERT_EQ(0, write_policy(self, NULL));
}

/* The names the cases below may leave when a test fails half way, deepest
 * first (relative to scratch/r). */
static const char *const host_names[] = {
	"a/b", "a;b", "a:b", "b", "c", "d", "\xc3\xa9", "a", "x/y", "x", "p/q", "p", NULL,
};

static void unlink_glob(const char *pattern)
{
	glob_t g;
	size_t i;

	if (glob(pattern, GLOB_NOSORT, NULL, &g) != 0)
		return;
	for (i = 0; i < g.gl_pathc; i++)
		unlink(g.gl_pathv[i]);
	globfree(&g);
}

FIXTURE_TEARDOWN(hostile)
{
	char path[PATH_MAX];
	size_t i;

	if (self->scratch[0] == '\0')
		return;
	/* Whatever a failed test left mounted goes with the namespace; these
	 * are the only names the kit and this test make. */
	for (i = 0; host_names[i] != NULL; i++) {
		snprintf(path, sizeof(path), "%s/%s", self->root, host_names[i]);
		umount2(path, MNT_DETACH);
		rmdir(path);
	}
	for (i = 1; i <= 300; i++) {
		snprintf(path, sizeof(path), "%s/n%zu", self->root, i);
		rmdir(path);
	}
	snprintf(path, sizeof(path), "%s/u/link", self->root);
	unlink(path);
	snprintf(path, sizeof(path), "%s/u", self->root);
	rmdir(path);
	snprintf(path, sizeof(path), "%s/link2", self->root);
	unlink(path);
	snprintf(path, sizeof(path), "%s/outside", self->scratch);
	rmdir(path);
	snprintf(path, sizeof(path), "%s/r2", self->scratch);
	umount2(path, MNT_DETACH);
	rmdir(path);
	snprintf(path, sizeof(path), "%s/*.json", self->hooks);
	unlink_glob(path);
	snprintf(path, sizeof(path), "%s/*.json", self->state);
	unlink_glob(path);
	snprintf(path, sizeof(path), "%s/*", self->io);
	unlink_glob(path);
	snprintf(path, sizeof(path), "%s/*", self->bundle);
	unlink_glob(path);
	rmdir(self->hooks);
	rmdir(self->state);
	rmdir(self->io);
	rmdir(self->bundle);
	rmdir(self->root);
	rmdir(self->scratch);
}

/* ------------------------------------------------------------ the input */

/* s as the body of a JSON string (no quotes): every byte but '"', '\\'
 * and the control bytes as it is, those escaped. */
static char *json_escape(const char *s)
{
	char *out = malloc(strlen(s) * 6 + 1), *o = out;

	if (out == NULL)
		return NULL;
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			o += sprintf(o, "\\%c", c);
		else if (c < 0x20 || c == 0x7f)
			o += sprintf(o, "\\u%04x", c);
		else
			*o++ = (char)c;
	}
	*o = '\0';
	return out;
}

/*
 * A runtime config asking for spec (NULL: none) the way e reads it: the
 * annotation for the hook and the shim, process.env for SHIM_ENV; the
 * bundle kit takes its specs from its command line. extra_ann: more
 * members for "annotations", raw JSON. malloc'd.
 */
static char *config_for(enum entry e, const char *spec, const char *extra_ann)
{
	char *esc = spec != NULL ? json_escape(spec) : NULL, *text = NULL;
	const char *ann_spec = e == SHIM_ENV ? NULL : esc;
	const char *env_spec = e == SHIM_ENV ? esc : NULL;

	if (spec != NULL && esc == NULL)
		return NULL;
	if (asprintf(&text,
		     "{\"ociVersion\":\"1.0.2\",\"root\":{\"path\":\"rootfs\"},\"mounts\":[],"
		     "\"process\":{\"args\":[\"sh\"],\"env\":[\"PATH=/bin\"%s%s%s]},"
		     "\"annotations\":{%s%s%s%s%s}}",
		     env_spec != NULL ? ",\"HOSTCHANNEL_SPEC=" : "", env_spec ? env_spec : "",
		     env_spec != NULL ? "\"" : "",
		     ann_spec != NULL ? "\"org.hostchannel.spec\":\"" : "",
		     ann_spec != NULL ? ann_spec : "", ann_spec != NULL ? "\"" : "",
		     ann_spec != NULL && extra_ann != NULL && extra_ann[0] ? "," : "",
		     extra_ann != NULL ? extra_ann : "") < 0)
		text = NULL;
	free(esc);
	return text;
}

/* ------------------------------------------------------ running the ways */

/*
 * Run bundle/config.json (the caller wrote it) through e (prepare: with
 * --host-channel spec); self->out gets what it wrote on stderr. Returns its
 * exit status. The hook reads the config on stdin and prints its own to
 * io/out.json.
 */
static int run_entry(FIXTURE_DATA(hostile) * self, enum entry e, const char *spec)
{
	switch (e) {
	case HOOK:
		return run(self->out, sizeof(self->out),
			   "HOSTCHANNEL_HOOK_DIR=%s %s oci hook precreate --policy %s < %s 2>&1 > "
			   "%s/out.json",
			   self->hooks, self->hcrun, self->policy, self->config, self->io);
	case SHIM:
	case SHIM_ENV:
		self->id++;
		return run(self->out, sizeof(self->out),
			   "%s %s --hostchannel-policy=%s --root /r create --bundle %s c%d 2>&1 "
			   ">/dev/null",
			   self->env, self->shim, self->policy, self->bundle, self->id);
	case PREPARE:
		return run(self->out, sizeof(self->out),
			   "%s oci prepare --no-hook --policy %s --host-channel '%s' %s 2>&1 "
			   ">/dev/null",
			   self->hcrun, self->policy, spec, self->bundle);
	}
	return -1;
}

/* Undo what an accepted run_entry made, through the same way in. */
static int undo_entry(FIXTURE_DATA(hostile) * self, enum entry e)
{
	char state[PATH_MAX];

	switch (e) {
	case HOOK:
		if (run(state, sizeof(state),
			"jq -jr '.annotations[\"org.hostchannel.state\"]' %s/out.json",
			self->io) != 0)
			return -1;
		return run(
			self->out, sizeof(self->out),
			"printf '{\"ociVersion\":\"1.0.2\",\"id\":\"x\",\"status\":\"stopped\","
			"\"bundle\":\"%s\",\"annotations\":{\"org.hostchannel.state\":\"%s\"}}' | "
			"HOSTCHANNEL_HOOK_DIR=%s %s oci hook poststop 2>&1",
			self->bundle, state, self->hooks, self->hcrun);
	case SHIM:
	case SHIM_ENV:
		return run(self->out, sizeof(self->out), "%s %s --root /r delete c%d 2>&1",
			   self->env, self->shim, self->id);
	case PREPARE:
		return run(self->out, sizeof(self->out), "%s oci teardown %s 2>&1", self->hcrun,
			   self->bundle);
	}
	return -1;
}

/* The config e gave the runtime: the hook's stdout, else config.json. */
static const char *config_out(FIXTURE_DATA(hostile) * self, enum entry e, char *buf, size_t len)
{
	snprintf(buf, len, e == HOOK ? "%s/out.json" : "%s", e == HOOK ? self->io : self->config);
	return buf;
}

/* Remove from buf the lines that hold needle. */
static void drop_lines(char *buf, const char *needle)
{
	char *r = buf, *w = buf;

	while (*r != '\0') {
		char *nl = strchr(r, '\n');
		size_t n = nl != NULL ? (size_t)(nl - r) + 1 : strlen(r);
		char save = r[n - 1];
		bool drop;

		r[n - 1] = '\0';
		drop = strstr(r, needle) != NULL;
		r[n - 1] = save;
		if (!drop) {
			memmove(w, r, n);
			w += n;
		}
		r += n;
	}
	*w = '\0';
}

/* The tree now, minus io/, into buf. */
#define TREE(buf) ASSERT_EQ(0, cli_tree(self->scratch, "io", buf, sizeof(buf)))

/*
 * The case must be refused by e: exit 125, a message from the program
 * naming the reason (want), and nothing made or changed: the tree as it
 * was, no mount under scratch. The config is written before the tree is
 * read, so that its own bytes are part of what must not change.
 */
#define EXPECT_REFUSED(e_, cfg_, len_, spec_, want_)                                               \
	do {                                                                                       \
		char _m[4096];                                                                     \
		int _st;                                                                           \
		ASSERT_EQ(0, cli_write_file(self->config, cfg_, len_, 0644));                      \
		TREE(self->before);                                                                \
		_st = run_entry(self, e_, spec_);                                                  \
		EXPECT_EQ(125, _st) TH_LOG("%s: %s", self->what, self->out);                       \
		EXPECT_NE(NULL, strstr(self->out, want_))                                          \
		TH_LOG("%s: expected \"%s\" in: %s", self->what, want_, self->out);                \
		EXPECT_NE(NULL,                                                                    \
			  strstr(self->out, e_ == SHIM || e_ == SHIM_ENV ? "hostchannel-runtime: " \
									 : "hcrun: "))             \
		TH_LOG("%s: %s", self->what, self->out);                                           \
		TREE(self->after);                                                                 \
		EXPECT_STREQ(self->before, self->after)                                            \
		TH_LOG("%s left something", self->what);                                           \
		EXPECT_EQ(0, cli_mounts_under(self->scratch, _m, sizeof(_m)))                      \
		TH_LOG("%s left mounts: %s", self->what, _m);                                      \
	} while (0)

/*
 * The case must be accepted by e with exactly the host paths hosts[] (a
 * tmpfs each, the config's binds from them in order, nothing else mounted
 * under scratch), then its undo must leave the tree as it was.
 */
static void expect_accepted(struct __test_metadata *_metadata, FIXTURE_DATA(hostile) * self,
			    enum entry e, const char *config, const char *spec,
			    const char *const hosts[], size_t n)
{
	char m[4096], path[PATH_MAX], want[8192];
	size_t i, used = 0;
	int st;

	ASSERT_EQ(0, cli_write_file(self->config, config, strlen(config), 0644));
	TREE(self->before);
	st = run_entry(self, e, spec);
	ASSERT_EQ(0, st) TH_LOG("%s: %s", self->what, self->out);
	for (i = 0; i < n; i++) {
		EXPECT_TRUE(cli_is_tmpfs(hosts[i])) TH_LOG("%s: %s", self->what, hosts[i]);
		used += (size_t)snprintf(want + used, sizeof(want) - used, "%s\n", hosts[i]);
	}
	EXPECT_EQ((int)n, cli_mounts_under(self->scratch, m, sizeof(m)))
	TH_LOG("%s: mounts %s", self->what, m);
	ASSERT_EQ(0, run(self->out, sizeof(self->out), "jq -r '.mounts[].source' %s",
			 config_out(self, e, path, sizeof(path))));
	EXPECT_STREQ(want, self->out) TH_LOG("%s: the binds", self->what);
	st = undo_entry(self, e);
	EXPECT_EQ(0, st) TH_LOG("%s undo: %s", self->what, self->out);
	TREE(self->after);
	EXPECT_EQ(0, cli_mounts_under(self->scratch, m, sizeof(m))) TH_LOG("%s", m);
	/* config.json was rewritten (another inode): the rest must be as it was. */
	drop_lines(self->before, "/config.json ");
	drop_lines(self->after, "/config.json ");
	EXPECT_STREQ(self->before, self->after)
	TH_LOG("%s: the tree after the undo", self->what);
}

/* tmpl with every '@' replaced by root; malloc'd. */
static char *subst(const char *tmpl, const char *root)
{
	size_t n = 1, rl = strlen(root);
	const char *p;
	char *out, *o;

	for (p = tmpl; *p != '\0'; p++)
		n += *p == '@' ? rl : 1;
	out = malloc(n);
	if (out == NULL)
		return NULL;
	for (p = tmpl, o = out; *p != '\0'; p++) {
		if (*p == '@') {
			memcpy(o, root, rl);
			o += rl;
		} else {
			*o++ = *p;
		}
	}
	*o = '\0';
	return out;
}

/* A spec list the annotation or the variable carries, and its verdict:
 * refused with a message holding want, or (want NULL) accepted with these
 * host paths ('@' is scratch/r). */
struct list_case {
	const char *spec;
	const char *want;
	const char *hosts[3];
};

static const struct list_case list_cases[] = {
	/* ".." and "//" are cleaned as the grammar cleans them (lexically);
	 * what they name is what is made, nothing on the way. */
	{"@/x/../b:/c", NULL, {"@/b"}},
	{"@//a//:/c", NULL, {"@/a"}},
	{"@/x/%2E%2E/b:/c", NULL, {"@/b"}},
	{"@/x/..:/c", "rule allow-prefix", {NULL}},
	/* %XX is the byte, and the decoded text is the spec: %3A is a field
	 * separator, %3B a ';' inside a path (the list is split before), %2F
	 * a '/'. */
	{"@/a%3A/c", NULL, {"@/a"}},
	{"@/a%3Ab:/c", "container path \"b\" is not absolute", {NULL}},
	{"@/a%3Bb:/c", NULL, {"@/a;b"}},
	{"@/a%2Fb:/c", NULL, {"@/a/b"}},
	{"@/a:/c;@/b:/d", NULL, {"@/a", "@/b"}},
	{"@/p/q:/c:ro%2Crslave:1M", NULL, {"@/p/q"}},
	{"@/\xc3\xa9:/c", NULL, {"@/\xc3\xa9"}},
	/* Escapes of NUL, and '%' that starts no escape. */
	{"@/a%00:/c", "\"%00\" (a NUL byte)", {NULL}},
	{"@/a%:/c", "\"%:/\" is not an escape", {NULL}},
	{"@/a%4:/c", "\"%4:\" is not an escape", {NULL}},
	{"@/a%GG:/c", "\"%GG\" is not an escape", {NULL}},
	{"@/a:/c%", "\"%\" is not an escape", {NULL}},
	{"@/a%2:/c", "is not an escape", {NULL}},
	/* Control bytes, raw (escaped in the JSON) or %-escaped. */
	{"@/a\nb:/c", "control byte 0x0a", {NULL}},
	{"@/a%0Ab:/c", "control byte 0x0a", {NULL}},
	{"@/a\tb:/c", "control byte 0x09", {NULL}},
	{"@/a\x01:/c", "control byte 0x01", {NULL}},
	{"@/a%7F:/c", "control byte 0x7f", {NULL}},
	{"@/a:/c\r", "control byte 0x0d", {NULL}},
	/* Not UTF-8 once decoded: a broken byte, an overlong '/', a surrogate. */
	{"@/a%FF:/c", "not UTF-8", {NULL}},
	{"@/a%C0%AF:/c", "not UTF-8", {NULL}},
	{"@/a%ED%A0%80:/c", "not UTF-8", {NULL}},
	/* Empty fields are specs too: refused, never skipped. */
	{"@/a:/b;", "spec 2 of 2 is empty", {NULL}},
	{";;", "spec 1 of 3 is empty", {NULL}},
	{";@/a:/b", "spec 1 of 2 is empty", {NULL}},
	{"@/a:/b;;@/b:/c", "spec 2 of 3 is empty", {NULL}},
	{"", "spec 1 of 1 is empty", {NULL}},
	/* The gate's own checks still apply to what the list gives. */
	{"@/a:/c;@/a/b:/d", "nest", {NULL}},
	{"@/a:/c;@/a:/d", "given twice", {NULL}},
};

TEST_F_TIMEOUT(hostile, spec_lists_through_hook_and_shim, 600)
{
	static const enum entry ways[] = {HOOK, SHIM, SHIM_ENV};
	size_t i, w, k;

	if (_metadata->skip)
		return;
	for (i = 0; i < sizeof(list_cases) / sizeof(list_cases[0]); i++) {
		const struct list_case *c = &list_cases[i];
		char *spec = subst(c->spec, self->root);
		char *hosts[3] = {NULL};
		size_t n = 0;

		ASSERT_NE(NULL, spec);
		for (k = 0; k < 3 && c->hosts[k] != NULL; k++, n++)
			ASSERT_NE(NULL, hosts[k] = subst(c->hosts[k], self->root));
		for (w = 0; w < sizeof(ways) / sizeof(ways[0]); w++) {
			char *config = config_for(ways[w], spec, NULL);

			ASSERT_NE(NULL, config);
			snprintf(self->what, sizeof(self->what), "case %zu \"%s\" through %s", i,
				 c->spec, entry_name[ways[w]]);
			if (c->want != NULL)
				EXPECT_REFUSED(ways[w], config, strlen(config), NULL, c->want);
			else
				expect_accepted(_metadata, self, ways[w], config, NULL,
						(const char *const *)hosts, n);
			free(config);
		}
		for (k = 0; k < n; k++)
			free(hosts[k]);
		free(spec);
	}
}

/* "@/n1:/n1;@/n2:/n2;..." with n specs, the last one replaced by last
 * when given; malloc'd. */
static char *many_specs(const char *root, size_t n, const char *last)
{
	size_t cap = n * (strlen(root) + 32) + (last ? strlen(last) : 0) + 1, used = 0, i;
	char *s = malloc(cap);

	if (s == NULL)
		return NULL;
	s[0] = '\0';
	for (i = 1; i <= n; i++) {
		if (i == n && last != NULL)
			used += (size_t)snprintf(s + used, cap - used, "%s", last);
		else
			used += (size_t)snprintf(s + used, cap - used, "%s/n%zu:/n%zu%s", root, i,
						 i, i < n ? ";" : "");
	}
	return s;
}

TEST_F_TIMEOUT(hostile, many_specs_and_huge_values, 300)
{
	static const enum entry ways[] = {HOOK, SHIM, SHIM_ENV};
	size_t w;

	if (_metadata->skip)
		return;
	for (w = 0; w < sizeof(ways) / sizeof(ways[0]); w++) {
		enum entry e = ways[w];
		char *spec, *config, *big;
		char last[PATH_MAX];

		snprintf(self->what, sizeof(self->what), "through %s", entry_name[e]);
		/* A thousand specs: refused by their count, before the gate. */
		spec = many_specs(self->root, 1000, NULL);
		ASSERT_NE(NULL, config = config_for(e, spec, NULL));
		EXPECT_REFUSED(e, config, strlen(config), NULL, "1000 specs, more than 256");
		free(config);
		free(spec);
		/* As many as may be, the last one broken: the gate reads every
		 * one before anything is made. */
		snprintf(last, sizeof(last), "%s/n256:relative", self->root);
		spec = many_specs(self->root, 256, last);
		ASSERT_NE(NULL, config = config_for(e, spec, NULL));
		EXPECT_REFUSED(e, config, strlen(config), NULL, "container path \"relative\"");
		free(config);
		free(spec);
		/* A value past the bound (64 KiB), and one of 1 MiB. */
		big = malloc((1 << 20) + 1);
		ASSERT_NE(NULL, big);
		memset(big, 'a', 1 << 20);
		big[0] = '/';
		big[(64 << 10) + 1] = '\0';
		ASSERT_NE(NULL, config = config_for(e, big, NULL));
		EXPECT_REFUSED(e, config, strlen(config), NULL, "65537 bytes, more than 65536");
		free(config);
		big[(64 << 10) + 1] = 'a';
		big[1 << 20] = '\0';
		ASSERT_NE(NULL, config = config_for(e, big, NULL));
		EXPECT_REFUSED(e, config, strlen(config), NULL, "1048576 bytes, more than 65536");
		free(config);
		free(big);
	}
}

/* A config with these members after "ociVersion" (raw JSON, ending "}"). */
static char *config_raw(const char *rest)
{
	char *text = NULL;

	if (asprintf(&text, "{\"ociVersion\":\"1.0.2\",\"root\":{\"path\":\"rootfs\"},%s", rest) <
	    0)
		return NULL;
	return text;
}

TEST_F(hostile, values_of_the_wrong_type)
{
	static const struct {
		unsigned int ways; /* 1 << entry */
		const char *rest;
		const char *want;
	} cases[] = {
		{1 << HOOK | 1 << SHIM, "\"annotations\":{\"org.hostchannel.spec\":7}}",
		 "annotation org.hostchannel.spec: not a string"},
		{1 << HOOK | 1 << SHIM, "\"annotations\":{\"org.hostchannel.spec\":null}}",
		 "annotation org.hostchannel.spec: not a string"},
		{1 << HOOK | 1 << SHIM, "\"annotations\":{\"org.hostchannel.spec\":[\"@/a:/c\"]}}",
		 "annotation org.hostchannel.spec: not a string"},
		{1 << HOOK | 1 << SHIM,
		 "\"annotations\":{\"org.hostchannel.spec\":\"@/a:/"
		 "c\",\"org.hostchannel.memory-add-"
		 "channel\":true}}",
		 "annotation org.hostchannel.memory-add-channel: not a string"},
		{1 << HOOK | 1 << SHIM, "\"annotations\":[\"org.hostchannel.spec=@/a:/c\"]}",
		 "\"annotations\" is not an object"},
		{1 << HOOK | 1 << SHIM,
		 "\"annotations\":{\"org.hostchannel.spec\":\"@/a\\u0000:/c\"}}",
		 "contains a NUL byte"},
		/* The kit's own mark, set by the container's author. */
		{1 << HOOK | 1 << SHIM,
		 "\"annotations\":{\"org.hostchannel.spec\":\"@/a:/c\",\"org.hostchannel.state\":"
		 "\"@/x.json\"}}",
		 "config already has host channels"},
		{1 << SHIM, "\"process\":{\"env\":\"HOSTCHANNEL_SPEC=@/a:/c\"}}",
		 "process.env is not an array"},
		{1 << SHIM, "\"process\":{\"env\":[\"PATH=/bin\",7,\"HOSTCHANNEL_SPEC=@/a:/c\"]}}",
		 "process.env[1] is not a string"},
		{1 << SHIM,
		 "\"process\":{\"env\":[\"HOSTCHANNEL_SPEC=@/a:/c\",\"PATH=/bin\","
		 "\"HOSTCHANNEL_SPEC=@/b:/c\"]}}",
		 "set twice in process.env ([0] and [2])"},
		{1 << SHIM, "\"process\":{\"env\":[\"HOSTCHANNEL_SPEC=@/a\\u0000:/c\"]}}",
		 "contains a NUL byte"},
	};
	size_t i, w;

	if (_metadata->skip)
		return;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *rest = subst(cases[i].rest, self->root), *config;

		ASSERT_NE(NULL, rest);
		ASSERT_NE(NULL, config = config_raw(rest));
		for (w = HOOK; w <= SHIM; w++) {
			if (!(cases[i].ways & 1U << w))
				continue;
			snprintf(self->what, sizeof(self->what), "case %zu through %s", i,
				 entry_name[w]);
			EXPECT_REFUSED((enum entry)w, config, strlen(config), NULL, cases[i].want);
		}
		free(config);
		free(rest);
	}
}

/* null is absent, as the runtime (Go) reads it: not a refusal. */
TEST_F(hostile, null_is_absent)
{
	char *rest, *config, *host = subst("@/a", self->root);
	const char *const hosts[] = {host};
	char m[4096];

	if (_metadata->skip)
		return;
	ASSERT_NE(NULL, host);
	/* The hook: no annotations, so not ours; the config goes back as it
	 * came, nothing made. */
	ASSERT_NE(NULL, config = config_raw("\"annotations\":null}"));
	ASSERT_EQ(0, cli_write_file(self->config, config, strlen(config), 0644));
	TREE(self->before);
	EXPECT_EQ(0, run_entry(self, HOOK, NULL)) TH_LOG("%s", self->out);
	ASSERT_EQ(0, run(self->out, sizeof(self->out), "jq -c .annotations %s/out.json", self->io));
	EXPECT_STREQ("null\n", self->out);
	TREE(self->after);
	EXPECT_STREQ(self->before, self->after);
	EXPECT_EQ(0, cli_mounts_under(self->scratch, m, sizeof(m))) TH_LOG("%s", m);
	free(config);
	/* The shim: null annotations, the variable asks; null env, the
	 * annotation asks. */
	snprintf(self->what, sizeof(self->what), "null annotations");
	ASSERT_NE(NULL, rest = subst("\"annotations\":null,\"process\":{\"env\":["
				     "\"HOSTCHANNEL_SPEC=@/a:/c\"]}}",
				     self->root));
	ASSERT_NE(NULL, config = config_raw(rest));
	expect_accepted(_metadata, self, SHIM, config, NULL, hosts, 1);
	free(config);
	free(rest);
	snprintf(self->what, sizeof(self->what), "null env");
	ASSERT_NE(NULL, rest = subst("\"process\":{\"env\":null},\"annotations\":{"
				     "\"org.hostchannel.spec\":\"@/a:/c\"}}",
				     self->root));
	ASSERT_NE(NULL, config = config_raw(rest));
	expect_accepted(_metadata, self, SHIM, config, NULL, hosts, 1);
	free(config);
	free(rest);
	free(host);
}

TEST_F_TIMEOUT(hostile, config_json_broken_or_ambiguous, 300)
{
	static const enum entry ways[] = {HOOK, SHIM, PREPARE};
	static const struct {
		const char *text;
		const char *want;
	} cases[] = {
		{"", "empty, not a JSON object"},
		{"{\"ociVersion\":\"1.0.2\",\"annotations\":{\"org.hostchannel.spec\":\"@/a:/c\"",
		 "truncated"},
		{"{\"ociVersion\":\"1.0.2\",\"annotations\":{\"org.hostchannel.spec\":\"@/a:/c",
		 "truncated"},
		{"ociVersion: 1.0.2\n", "not valid JSON at byte 0"},
		{"[{\"annotations\":{\"org.hostchannel.spec\":\"@/a:/c\"}}]", "not a JSON object"},
		{"\"@/a:/c\"", "not a JSON object"},
		{"{\"annotations\":{\"org.hostchannel.spec\":\"@/a:/c\"}} {}",
		 "not valid JSON at byte"},
		{"{\"annotations\":{\"org.hostchannel.spec\":\"@/a:/c\"}}x",
		 "not valid JSON at byte"},
		{"{'annotations':{\"org.hostchannel.spec\":\"@/a:/c\"}}", "single-quoted"},
		{"{\"annotations\":{\"org.hostchannel.spec\":\"@/a:/c\"},/* c */\"x\":1}",
		 "not valid JSON"},
		{"{\"annotations\":{\"org.hostchannel.spec\":\"@/a:/c\"},}", "not valid JSON"},
		{"{\"annotations\":{\"org.hostchannel.spec\":\"@/a:/c\"},\"x\":\"\xff\"}",
		 "not valid JSON"},
		/* Duplicate keys: at the top, inside, spelled with an escape. */
		{"{\"annotations\":{\"org.hostchannel.spec\":\"@/a:/c\"},"
		 "\"annotations\":{\"org.hostchannel.spec\":\"@/b:/c\"}}",
		 "key \"annotations\" appears twice"},
		{"{\"annotations\":{\"org.hostchannel.spec\":\"@/a:/c\","
		 "\"org.hostchannel.spec\":\"@/b:/c\"}}",
		 "key \"org.hostchannel.spec\" appears twice"},
		{"{\"annotations\":{\"org.hostchannel.spec\":\"@/a:/c\","
		 "\"org.hostchannel.\\u0073pec\":\"@/b:/c\"}}",
		 "key \"org.hostchannel.spec\" appears twice"},
		{"{\"annotations\":{\"org.hostchannel.spec\":\"@/a:/c\"},"
		 "\"linux\":{\"resources\":{\"memory\":{\"limit\":1,\"limit\":2}}}}",
		 "key \"limit\" appears twice"},
		{"{\"annotations\":{\"org.hostchannel.spec\":\"@/a:/c\"},"
		 "\"mounts\":[{\"source\":\"/x\",\"source\":\"/y\"}]}",
		 "key \"source\" appears twice"},
		/* A NUL in a key: "org.hostchannel.spec" to json-c, not to Go. */
		{"{\"annotations\":{\"org.hostchannel.spec\\u0000x\":\"@/a:/c\"}}",
		 "holds a NUL byte"},
	};
	size_t i, w;

	if (_metadata->skip)
		return;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *config = subst(cases[i].text, self->root);
		char spec[PATH_MAX];

		ASSERT_NE(NULL, config);
		snprintf(spec, sizeof(spec), "%s/a:/c", self->root);
		for (w = 0; w < sizeof(ways) / sizeof(ways[0]); w++) {
			snprintf(self->what, sizeof(self->what), "case %zu through %s", i,
				 entry_name[ways[w]]);
			EXPECT_REFUSED(ways[w], config, strlen(config), spec, cases[i].want);
		}
		free(config);
	}
	/* Bytes after a NUL: json-c's strict mode stops there. */
	{
		char text[256], spec[PATH_MAX];
		int n = snprintf(text, sizeof(text),
				 "{\"annotations\":{\"org.hostchannel.spec\":\"%s/a:/c\"}}",
				 self->root);

		memcpy(text + n, "\0{\"x\":1}", 9);
		snprintf(spec, sizeof(spec), "%s/a:/c", self->root);
		for (w = 0; w < sizeof(ways) / sizeof(ways[0]); w++) {
			snprintf(self->what, sizeof(self->what), "NUL then more through %s",
				 entry_name[ways[w]]);
			EXPECT_REFUSED(ways[w], text, (size_t)n + 8, spec, "more after the value");
		}
	}
}

TEST_F_TIMEOUT(hostile, config_json_huge, 300)
{
	static const enum entry ways[] = {HOOK, SHIM, PREPARE};
	size_t len = (16 << 20) + 64, w;
	char spec[PATH_MAX];
	char *text;
	int n;

	if (_metadata->skip)
		return;
	/* Valid JSON, one byte past the cap (16 MiB) and more: refused by its
	 * size, whatever it holds. */
	text = malloc(len + 1);
	ASSERT_NE(NULL, text);
	n = snprintf(text, len, "{\"annotations\":{\"org.hostchannel.spec\":\"%s/a:/c\"},\"x\":\"",
		     self->root);
	memset(text + n, 'x', len - (size_t)n - 2);
	memcpy(text + len - 2, "\"}", 2);
	snprintf(spec, sizeof(spec), "%s/a:/c", self->root);
	for (w = 0; w < sizeof(ways) / sizeof(ways[0]); w++) {
		snprintf(self->what, sizeof(self->what), "through %s", entry_name[ways[w]]);
		EXPECT_REFUSED(ways[w], text, len, spec, "larger than 16777216 bytes");
	}
	free(text);
}

/* ------------------------------------------------------------ state files */

/* Move path to scratch/elsewhere.json and put a symlink to it in its place. */
static int swap_for_symlink(FIXTURE_DATA(hostile) * self, const char *path)
{
	char to[PATH_MAX];

	snprintf(to, sizeof(to), "%s/elsewhere.json", self->scratch);
	if (rename(path, to) < 0)
		return -1;
	return symlink(to, path);
}

static int swap_back(FIXTURE_DATA(hostile) * self, const char *path)
{
	char from[PATH_MAX];

	snprintf(from, sizeof(from), "%s/elsewhere.json", self->scratch);
	if (unlink(path) < 0)
		return -1;
	return rename(from, path);
}

/* The refusal of a teardown through a symlinked state: 125, the reason,
 * and the channel, the symlink and what it points at all still there. */
#define EXPECT_SYMLINK_REFUSED(st, host, state)                                                    \
	do {                                                                                       \
		char _p[PATH_MAX];                                                                 \
		struct stat _sb;                                                                   \
		EXPECT_EQ(125, st) TH_LOG("%s", self->out);                                        \
		EXPECT_NE(NULL, strstr(self->out, "is a symlink, not a state file the kit wrote")) \
		TH_LOG("%s", self->out);                                                           \
		EXPECT_TRUE(cli_is_tmpfs(host));                                                   \
		EXPECT_EQ(0, lstat(state, &_sb));                                                  \
		EXPECT_TRUE(S_ISLNK(_sb.st_mode));                                                 \
		snprintf(_p, sizeof(_p), "%s/elsewhere.json", self->scratch);                      \
		EXPECT_TRUE(cli_exists(_p));                                                       \
	} while (0)

TEST_F(hostile, state_swapped_for_a_symlink)
{
	char host[PATH_MAX], state[PATH_MAX], m[4096];
	char *config;

	if (_metadata->skip)
		return;
	snprintf(host, sizeof(host), "%s/a", self->root);

	/* The bundle kit's state: teardown refuses it. */
	ASSERT_NE(NULL, config = config_for(PREPARE, NULL, NULL));
	ASSERT_EQ(0, cli_write_file(self->config, config, strlen(config), 0644));
	snprintf(state, sizeof(state), "%s/a:/c", self->root);
	ASSERT_EQ(0, run_entry(self, PREPARE, state)) TH_LOG("%s", self->out);
	snprintf(state, sizeof(state), "%s/hostchannel.json", self->bundle);
	ASSERT_EQ(0, swap_for_symlink(self, state));
	EXPECT_SYMLINK_REFUSED(undo_entry(self, PREPARE), host, state);
	/* ... with --force too. */
	EXPECT_SYMLINK_REFUSED(run(self->out, sizeof(self->out), "%s oci teardown --force %s 2>&1",
				   self->hcrun, state),
			       host, state);
	ASSERT_EQ(0, swap_back(self, state));
	EXPECT_EQ(0, undo_entry(self, PREPARE)) TH_LOG("%s", self->out);
	EXPECT_FALSE(cli_exists(host));
	free(config);

	/* The hook's, in its directory: poststop refuses it. */
	snprintf(state, sizeof(state), "%s/a:/c", self->root);
	ASSERT_NE(NULL, config = config_for(HOOK, state, NULL));
	ASSERT_EQ(0, cli_write_file(self->config, config, strlen(config), 0644));
	ASSERT_EQ(0, run_entry(self, HOOK, NULL)) TH_LOG("%s", self->out);
	ASSERT_EQ(0, run(state, sizeof(state),
			 "jq -jr '.annotations[\"org.hostchannel.state\"]' %s/out.json", self->io));
	ASSERT_EQ(0, swap_for_symlink(self, state));
	EXPECT_SYMLINK_REFUSED(undo_entry(self, HOOK), host, state);
	ASSERT_EQ(0, swap_back(self, state));
	EXPECT_EQ(0, undo_entry(self, HOOK)) TH_LOG("%s", self->out);
	EXPECT_FALSE(cli_exists(host));
	EXPECT_FALSE(cli_exists(self->hooks));
	free(config);

	/* The shim's record: delete refuses it (once the runtime deleted). */
	snprintf(state, sizeof(state), "%s/a:/c", self->root);
	ASSERT_NE(NULL, config = config_for(SHIM, state, NULL));
	ASSERT_EQ(0, cli_write_file(self->config, config, strlen(config), 0644));
	ASSERT_EQ(0, run_entry(self, SHIM, NULL)) TH_LOG("%s", self->out);
	ASSERT_EQ(0, run(state, sizeof(state), "ls -d %s/*-c%d.json | tr -d '\\n'", self->state,
			 self->id));
	ASSERT_EQ(0, swap_for_symlink(self, state));
	EXPECT_SYMLINK_REFUSED(undo_entry(self, SHIM), host, state);
	ASSERT_EQ(0, swap_back(self, state));
	EXPECT_EQ(0, undo_entry(self, SHIM)) TH_LOG("%s", self->out);
	EXPECT_FALSE(cli_exists(host));
	EXPECT_FALSE(cli_exists(self->state));
	free(config);
	EXPECT_EQ(0, cli_mounts_under(self->scratch, m, sizeof(m))) TH_LOG("%s", m);
}

TEST_F(hostile, symlink_planted_where_the_state_goes)
{
	char host[PATH_MAX], state[PATH_MAX], target[PATH_MAX], spec[PATH_MAX];
	uint64_t h = 0xcbf29ce484222325ULL;
	char *config;
	const char *p;

	if (_metadata->skip)
		return;
	snprintf(host, sizeof(host), "%s/a", self->root);
	snprintf(spec, sizeof(spec), "%s/a:/c", self->root);
	snprintf(target, sizeof(target), "%s/target.json", self->scratch);

	/* The bundle kit: a dangling symlink at BUNDLE/hostchannel.json. */
	snprintf(state, sizeof(state), "%s/hostchannel.json", self->bundle);
	ASSERT_EQ(0, symlink(target, state));
	ASSERT_NE(NULL, config = config_for(PREPARE, NULL, NULL));
	EXPECT_REFUSED(PREPARE, config, strlen(config), spec, "hostchannel.json exists");
	EXPECT_FALSE(cli_exists(target));
	ASSERT_EQ(0, unlink(state));
	free(config);

	/* The shim: at the record of this runtime root and id (runtime.c
	 * names it by the FNV-1a hash of the root). */
	for (p = "/r"; *p != '\0'; p++) {
		h ^= (unsigned char)*p;
		h *= 0x100000001b3ULL;
	}
	ASSERT_EQ(0, mkdir(self->state, 0700));
	snprintf(state, sizeof(state), "%s/%016llx-c%d.json", self->state, (unsigned long long)h,
		 self->id + 1);
	ASSERT_EQ(0, symlink(target, state));
	ASSERT_NE(NULL, config = config_for(SHIM, spec, NULL));
	EXPECT_REFUSED(SHIM, config, strlen(config), NULL, "exists");
	EXPECT_FALSE(cli_exists(target));
	EXPECT_FALSE(cli_exists(host));
	ASSERT_EQ(0, unlink(state));
	ASSERT_EQ(0, rmdir(self->state));
	free(config);
}

TEST_F(hostile, state_annotation_outside_the_hook_dir)
{
	const char *const names[] = {
		"%s/../bundle/hostchannel.json", /* out by ".." */
		"%s/./x.json",			 /* a '/' after the directory */
		"%s/sub/x.json",		 /* deeper */
		"%s/..",			 /* the parent */
		"%s.json",			 /* beside it, sharing the prefix */
		"/etc/hostchannel.json",	 /* elsewhere */
		"hostchannel.json",		 /* relative */
	};
	char host[PATH_MAX], spec[PATH_MAX], ann[PATH_MAX], m[4096];
	char *config;
	size_t i;

	if (_metadata->skip)
		return;
	/* A live channel whose state a hostile annotation would name. */
	snprintf(host, sizeof(host), "%s/a", self->root);
	snprintf(spec, sizeof(spec), "%s/a:/c", self->root);
	ASSERT_NE(NULL, config = config_for(PREPARE, NULL, NULL));
	ASSERT_EQ(0, cli_write_file(self->config, config, strlen(config), 0644));
	ASSERT_EQ(0, run_entry(self, PREPARE, spec)) TH_LOG("%s", self->out);
	ASSERT_EQ(0, mkdir(self->hooks, 0700));
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (strchr(names[i], '%') != NULL)
			snprintf(ann, sizeof(ann), "%s%s", self->hooks, names[i] + 2);
		else
			snprintf(ann, sizeof(ann), "%s", names[i]);
		TREE(self->before);
		EXPECT_EQ(125,
			  run(self->out, sizeof(self->out),
			      "printf '{\"ociVersion\":\"1.0.2\",\"id\":\"x\",\"status\":"
			      "\"stopped\",\"annotations\":{\"org.hostchannel.state\":\"%s\"}}' "
			      "| HOSTCHANNEL_HOOK_DIR=%s %s oci hook poststop 2>&1",
			      ann, self->hooks, self->hcrun))
		TH_LOG("%s: %s", ann, self->out);
		EXPECT_NE(NULL, strstr(self->out, "not a state file in")) TH_LOG("%s", self->out);
		EXPECT_TRUE(cli_is_tmpfs(host)) TH_LOG("%s", ann);
		TREE(self->after);
		EXPECT_STREQ(self->before, self->after) TH_LOG("%s", ann);
	}
	ASSERT_EQ(0, rmdir(self->hooks));
	EXPECT_EQ(0, undo_entry(self, PREPARE)) TH_LOG("%s", self->out);
	EXPECT_EQ(0, cli_mounts_under(self->scratch, m, sizeof(m))) TH_LOG("%s", m);
	free(config);
}

/* ------------------------------------------------------------ the policy */

TEST_F_TIMEOUT(hostile, past_the_host_policy, 300)
{
	static const struct {
		const char *rules; /* after allow-prefix (scratch/r) */
		const char *spec;  /* through the hook and the shim */
		const char *one;   /* the same as one --host-channel, for prepare */
		bool env_only;	   /* through HOSTCHANNEL_SPEC only */
		const char *want;
	} cases[] = {
		{"max-size = 1M\nenv-specs = yes\n", "@/a:/c:rw:2M", "@/a:/c:rw:2M", false,
		 "rule max-size"},
		{"max-total = 1M\nenv-specs = yes\n", "@/a:/c:rw:1M;@/b:/d:rw:4K", NULL, false,
		 "rule max-total"},
		{"max-channels = 2\nenv-specs = yes\n", "@/a:/c;@/b:/d;@/p:/e", NULL, false,
		 "rule max-channels"},
		{"allow-rw = no\nenv-specs = yes\n", "@/a:/c:rw", "@/a:/c:rw", false,
		 "rule allow-rw"},
		/* The default propagation words: no shared, no rshared. */
		{"env-specs = yes\n", "@/a:/c:rw%2Crshared", "@/a:/c:rw,rshared", false,
		 "rule allow-propagation"},
		{"env-specs = yes\n", "@/a:/c:ro%2Cshared", "@/a:/c:ro,shared", false,
		 "rule allow-propagation"},
		{"env-specs = no\n", "@/a:/c", NULL, true, "env-specs"},
		{"create-parents = no\nenv-specs = yes\n", "@/p/q:/c", "@/p/q:/c", false,
		 "rule create-parents"},
		/* Outside the prefix: directly, by "..", by an escaped "..". */
		{"env-specs = yes\n", "@/../outside:/c", "@/../outside:/c", false,
		 "rule allow-prefix"},
		{"env-specs = yes\n", "@/a/../../outside:/c", "@/a/../../outside:/c", false,
		 "rule allow-prefix"},
		{"env-specs = yes\n", "@/%2E%2E/outside:/c", NULL, false, "rule allow-prefix"},
		{"env-specs = yes\n", "/etc/hc-hostile-probe:/c", "/etc/hc-hostile-probe:/c", false,
		 "rule allow-prefix"},
		/* Through symlinks another user (65534) planted under the prefix:
		 * a directory of theirs holding a link out, and a link of theirs. */
		{"env-specs = yes\n", "@/u/link/x:/c", "@/u/link/x:/c", false, "rule allow-prefix"},
		{"env-specs = yes\n", "@/link2/hc-hostile-probe:/c", "@/link2/hc-hostile-probe:/c",
		 false, "rule allow-prefix"},
		{"env-specs = yes\n", "@/u/link/x/y:/c", "@/u/link/x/y:/c", false,
		 "rule allow-prefix"},
	};
	char path[PATH_MAX], outside[PATH_MAX];
	size_t i, w;

	if (_metadata->skip)
		return;
	/* What another user planted under the prefix, before the tree is read:
	 * r/u (theirs, 0755) with r/u/link -> scratch/outside (a directory
	 * outside the prefix, which must stay empty), and r/link2 -> /etc,
	 * both links theirs. */
	snprintf(outside, sizeof(outside), "%s/outside", self->scratch);
	ASSERT_EQ(0, mkdir(outside, 0755));
	snprintf(path, sizeof(path), "%s/u", self->root);
	ASSERT_EQ(0, mkdir(path, 0755));
	ASSERT_EQ(0, chown(path, 65534, 65534));
	snprintf(path, sizeof(path), "%s/u/link", self->root);
	ASSERT_EQ(0, symlink(outside, path));
	ASSERT_EQ(0, lchown(path, 65534, 65534));
	snprintf(path, sizeof(path), "%s/link2", self->root);
	ASSERT_EQ(0, symlink("/etc", path));
	ASSERT_EQ(0, lchown(path, 65534, 65534));
	ASSERT_FALSE(cli_exists("/etc/hc-hostile-probe"));
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *spec = subst(cases[i].spec, self->root);
		char *one = cases[i].one != NULL ? subst(cases[i].one, self->root) : NULL;

		ASSERT_NE(NULL, spec);
		ASSERT_EQ(0, write_policy(self, cases[i].rules));
		for (w = HOOK; w <= PREPARE; w++) {
			char *config;

			if ((cases[i].env_only && w != SHIM_ENV) || (w == PREPARE && one == NULL))
				continue;
			snprintf(self->what, sizeof(self->what), "case %zu \"%s\" through %s", i,
				 cases[i].spec, entry_name[w]);
			ASSERT_NE(NULL, config = config_for((enum entry)w,
							    w == PREPARE ? NULL : spec, NULL));
			EXPECT_REFUSED((enum entry)w, config, strlen(config), one, cases[i].want);
			EXPECT_NE(NULL, strstr(self->out, self->policy))
			TH_LOG("%s: %s", self->what, self->out);
			EXPECT_FALSE(cli_exists("/etc/hc-hostile-probe")) TH_LOG("%s", self->what);
			free(config);
		}
		free(one);
		free(spec);
	}
	/* The same input, let through by a policy that allows it, is made where
	 * a sane reading says: so the refusals above were the policy's. */
	ASSERT_EQ(0, write_policy(self, NULL));
	{
		char *spec = subst("@/a:/c:rw%2Crshared:2M;@/b:/d", self->root);
		char *hosts[2] = {subst("@/a", self->root), subst("@/b", self->root)};
		char *config;

		for (w = HOOK; w <= SHIM_ENV; w++) {
			snprintf(self->what, sizeof(self->what), "allowed through %s",
				 entry_name[w]);
			ASSERT_NE(NULL, config = config_for((enum entry)w, spec, NULL));
			expect_accepted(_metadata, self, (enum entry)w, config, NULL,
					(const char *const *)hosts, 2);
			free(config);
		}
		free(hosts[0]);
		free(hosts[1]);
		free(spec);
	}
	snprintf(path, sizeof(path), "%s/u/link", self->root);
	EXPECT_EQ(0, unlink(path));
	snprintf(path, sizeof(path), "%s/u", self->root);
	EXPECT_EQ(0, rmdir(path));
	snprintf(path, sizeof(path), "%s/link2", self->root);
	EXPECT_EQ(0, unlink(path));
	EXPECT_EQ(0, rmdir(outside));
}

TEST_HARNESS_MAIN
