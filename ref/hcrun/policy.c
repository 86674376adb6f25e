// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The host policy (docs/policy.md is its reference): what the specs of
 * input that is not the administrator's may ask of the host. The hook and
 * the runtime shim act as root on annotations and environment variables
 * that whoever starts a container writes; without a policy, such a person
 * could have root make a 1777 tmpfs at any host path that does not exist
 * yet (/root/.ssh, /etc/cron.d/x) and bind it into their container.
 *
 * The file: "key = value" lines, "#" comments on lines of their own,
 * every key but allow-prefix at most once, keys not given at their built-in
 * default. It is read whole and bounded, from a regular file that only its
 * owner (root, or whoever runs us) can write: whoever can write it sets the
 * policy. Anything else in it is refused with its line number, and then the
 * caller makes nothing.
 *
 * Path rules are checked on the path prepare will make, resolved as
 * libhostchannel's prepare resolves it (host.c): the real path of the
 * deepest existing ancestor, the missing components appended. So a symlink
 * planted in a parent cannot lead out of an allowed prefix. The prefixes
 * are resolved the same way at each check (a prefix directory may not
 * exist yet, or be a symlink the administrator made). The gate checks
 * before anything is made; prepare's journal checks again, on the real path
 * prepare recorded and before each directory it makes
 * (hcrun_policy_check_host), which closes the window in which a parent
 * could be swapped for a symlink after the gate looked.
 *
 * A refusal must not tell the container's author what exists outside the
 * prefixes: a path spelled outside every prefix is refused before it is
 * looked up at all (check_spelled), and the gate runs the policy before its
 * checks that look at the disk for the user (a host path that exists).
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hcrun.h"

#define POLICY_FILE_MAX (64 << 10) /* far above any real policy; bounds a wrong file */
#define POLICY_LINE_MAX 4096	   /* bytes of one line, its newline included */

/* The built-in defaults, for a host without a policy file (docs/policy.md
 * says why each). */
#define DEFAULT_PREFIX	     "/run/hostchannel"
#define DEFAULT_MAX_SIZE     (1ULL << 30) /* 1G per channel */
#define DEFAULT_MAX_TOTAL    (4ULL << 30) /* 4G per container */
#define DEFAULT_MAX_CHANNELS 8

static const char *const key_names[HCRUN_POLICY_NKEYS] = {
	[HCRUN_POLICY_ALLOW_PREFIX] = "allow-prefix",
	[HCRUN_POLICY_CREATE_PARENTS] = "create-parents",
	[HCRUN_POLICY_MAX_SIZE] = "max-size",
	[HCRUN_POLICY_MAX_TOTAL] = "max-total",
	[HCRUN_POLICY_MAX_CHANNELS] = "max-channels",
	[HCRUN_POLICY_ALLOW_RW] = "allow-rw",
	[HCRUN_POLICY_ALLOW_PROPAGATION] = "allow-propagation",
	[HCRUN_POLICY_ENV_SPECS] = "env-specs",
};

/* Every propagation word a spec can carry, in the order they print. */
static const enum hc_propagation prop_words[] = {
	HC_PROP_PRIVATE, HC_PROP_RPRIVATE, HC_PROP_SLAVE,      HC_PROP_RSLAVE,
	HC_PROP_SHARED,	 HC_PROP_RSHARED,  HC_PROP_UNBINDABLE, HC_PROP_RUNBINDABLE,
};
#define PROP_BIT(p) (1U << (unsigned int)(p))
#define PROP_DEFAULTS                                                                              \
	(PROP_BIT(HC_PROP_PRIVATE) | PROP_BIT(HC_PROP_RPRIVATE) | PROP_BIT(HC_PROP_SLAVE) |        \
	 PROP_BIT(HC_PROP_RSLAVE) | PROP_BIT(HC_PROP_UNBINDABLE) | PROP_BIT(HC_PROP_RUNBINDABLE))

const char *hcrun_policy_key_name(enum hcrun_policy_key key)
{
	return key < HCRUN_POLICY_NKEYS ? key_names[key] : "?";
}

void hcrun_policy_clear(struct hcrun_policy *p)
{
	free(p->prefixes);
	p->prefixes = NULL;
	p->nprefixes = 0;
}

static int set_defaults(struct hcrun_policy *p, const char *file, hc_error_t **err)
{
	memset(p, 0, sizeof(*p));
	snprintf(p->file, sizeof(p->file), "%s", file);
	p->prefixes = calloc(1, sizeof(*p->prefixes));
	if (p->prefixes == NULL)
		return hc_error_sys(err, ENOMEM, "host policy");
	snprintf(p->prefixes[0].path, sizeof(p->prefixes[0].path), "%s", DEFAULT_PREFIX);
	p->nprefixes = 1;
	p->create_parents = true;
	p->max_size = DEFAULT_MAX_SIZE;
	p->max_total = DEFAULT_MAX_TOTAL;
	p->max_channels = DEFAULT_MAX_CHANNELS;
	p->allow_rw = true;
	p->propagation = PROP_DEFAULTS;
	p->env_specs = false;
	return 0;
}

/* ------------------------------------------------------------ the file */

/* A parse error of line n: "host policy FILE line N: ..." */
static int line_error(hc_error_t **err, const char *file, unsigned int n, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static int line_error(hc_error_t **err, const char *file, unsigned int n, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return hc_error_set(err, EINVAL, "host policy %s line %u: %s (nothing was made)", file, n,
			    msg);
}

static int parse_bool(const char *v, bool *out)
{
	if (strcmp(v, "yes") == 0)
		*out = true;
	else if (strcmp(v, "no") == 0)
		*out = false;
	else
		return -1;
	return 0;
}

/* "none", or a size as specs write it ("1G", "512M"), at least one byte. */
static int parse_size(const char *v, uint64_t *out)
{
	if (strcmp(v, "none") == 0) {
		*out = HCRUN_POLICY_NONE;
		return 0;
	}
	if (hc_size_parse(v, out, NULL) < 0 || *out == 0 || *out == HCRUN_POLICY_NONE)
		return -1;
	return 0;
}

/* "none", or a count in decimal digits (0 allows no channel at all). */
static int parse_count(const char *v, uint64_t *out)
{
	const char *c;
	char *end;

	if (strcmp(v, "none") == 0) {
		*out = HCRUN_POLICY_NONE;
		return 0;
	}
	for (c = v; *c != '\0'; c++)
		if (*c < '0' || *c > '9')
			return -1;
	if (c == v || c - v > 9)
		return -1;
	*out = strtoull(v, &end, 10);
	return 0;
}

/* Words separated by blanks or commas; at least one. */
static int parse_props(const char *v, unsigned int *out, char *bad, size_t badlen)
{
	const char *w = v;

	*out = 0;
	while (*w != '\0') {
		size_t n, i;
		bool found = false;

		while (*w == ',' || isspace((unsigned char)*w))
			w++;
		if (*w == '\0')
			break;
		n = strcspn(w, ", \t\r\v\f");
		for (i = 0; i < sizeof(prop_words) / sizeof(prop_words[0]); i++) {
			const char *name = hc_propagation_name(prop_words[i]);

			if (strlen(name) == n && strncmp(w, name, n) == 0) {
				*out |= PROP_BIT(prop_words[i]);
				found = true;
			}
		}
		if (!found) {
			snprintf(bad, badlen, "%.*s", (int)(n < 64 ? n : 64), w);
			return -1;
		}
		w += n;
	}
	return *out == 0 ? (snprintf(bad, badlen, "%s", ""), -1) : 0;
}

static int add_prefix(struct hcrun_policy *p, const char *v, unsigned int n, hc_error_t **err)
{
	struct hcrun_policy_prefix *grown;
	char clean[PATH_MAX];

	if (v[0] != '/')
		return line_error(err, p->file, n, "allow-prefix \"%s\": not an absolute path", v);
	if (hc_path_clean(v, clean, sizeof(clean), NULL) < 0)
		return line_error(err, p->file, n, "allow-prefix \"%s\": not a usable path", v);
	/* The first allow-prefix of a file replaces the built-in one. */
	if (p->line[HCRUN_POLICY_ALLOW_PREFIX] == 0)
		p->nprefixes = 0;
	grown = realloc(p->prefixes, (p->nprefixes + 1) * sizeof(*grown));
	if (grown == NULL)
		return hc_error_sys(err, ENOMEM, "host policy %s", p->file);
	p->prefixes = grown;
	snprintf(grown[p->nprefixes].path, sizeof(grown[p->nprefixes].path), "%s", clean);
	grown[p->nprefixes].line = n;
	p->nprefixes++;
	p->line[HCRUN_POLICY_ALLOW_PREFIX] = n;
	return 0;
}

/* One "key = value" line (trimmed, not blank, not a comment). */
static int parse_line(struct hcrun_policy *p, char *line, unsigned int n, hc_error_t **err)
{
	char *eq = strchr(line, '='), *key = line, *v, *end, bad[80];
	enum hcrun_policy_key k;
	int ok = 0;

	if (eq == NULL)
		return line_error(err, p->file, n, "expected KEY = VALUE, not \"%.64s\"", line);
	for (end = eq; end > key && isspace((unsigned char)end[-1]); end--)
		;
	*end = '\0';
	for (v = eq + 1; isspace((unsigned char)*v); v++)
		;
	for (k = 0; k < HCRUN_POLICY_NKEYS; k++)
		if (strcmp(key, key_names[k]) == 0)
			break;
	if (k == HCRUN_POLICY_NKEYS)
		return line_error(err, p->file, n,
				  "unknown key \"%.64s\" (expected allow-prefix, create-parents, "
				  "max-size, max-total, max-channels, allow-rw, "
				  "allow-propagation or env-specs)",
				  key);
	if (*v == '\0')
		return line_error(err, p->file, n, "%s: no value", key_names[k]);
	if (k == HCRUN_POLICY_ALLOW_PREFIX)
		return add_prefix(p, v, n, err);
	/* A key given twice is a mistake either way: which one was meant? */
	if (p->line[k] != 0)
		return line_error(err, p->file, n, "%s is already set on line %u", key_names[k],
				  p->line[k]);
	switch (k) {
	case HCRUN_POLICY_CREATE_PARENTS:
		ok = parse_bool(v, &p->create_parents);
		break;
	case HCRUN_POLICY_ALLOW_RW:
		ok = parse_bool(v, &p->allow_rw);
		break;
	case HCRUN_POLICY_ENV_SPECS:
		ok = parse_bool(v, &p->env_specs);
		break;
	case HCRUN_POLICY_MAX_SIZE:
		ok = parse_size(v, &p->max_size);
		break;
	case HCRUN_POLICY_MAX_TOTAL:
		ok = parse_size(v, &p->max_total);
		break;
	case HCRUN_POLICY_MAX_CHANNELS:
		ok = parse_count(v, &p->max_channels);
		break;
	case HCRUN_POLICY_ALLOW_PROPAGATION:
		if (parse_props(v, &p->propagation, bad, sizeof(bad)) < 0)
			return line_error(err, p->file, n,
					  "allow-propagation \"%.64s\": unknown word \"%s\" "
					  "(expected private, rprivate, slave, rslave, shared, "
					  "rshared, unbindable, runbindable)",
					  v, bad);
		break;
	default:
		break;
	}
	if (ok < 0) {
		const char *want = "yes or no";

		if (k == HCRUN_POLICY_MAX_SIZE || k == HCRUN_POLICY_MAX_TOTAL)
			want = "a size of at least one byte (e.g. 64M, 1G) or none";
		else if (k == HCRUN_POLICY_MAX_CHANNELS)
			want = "a number (at most 9 digits) or none";
		return line_error(err, p->file, n, "%s \"%.64s\": expected %s", key_names[k], v,
				  want);
	}
	p->line[k] = n;
	return 0;
}

static int parse_text(struct hcrun_policy *p, char *text, size_t len, hc_error_t **err)
{
	char *line = text, *end = text + len;
	unsigned int n = 0;

	while (line < end) {
		char *nl = memchr(line, '\n', (size_t)(end - line)), *s, *e;
		size_t llen = (nl != NULL ? nl : end) - line;

		n++;
		if (llen + 1 > POLICY_LINE_MAX)
			return line_error(err, p->file, n, "longer than %d bytes",
					  POLICY_LINE_MAX - 1);
		if (memchr(line, '\0', llen) != NULL)
			return line_error(err, p->file, n, "a NUL byte: not a text file");
		line[llen] = '\0';
		for (s = line; isspace((unsigned char)*s); s++)
			;
		for (e = s + strlen(s); e > s && isspace((unsigned char)e[-1]); e--)
			;
		*e = '\0';
		if (*s != '\0' && *s != '#' && parse_line(p, s, n, err) < 0)
			return -1;
		line += llen + 1;
	}
	return 0;
}

/* open() said ENOENT: *absent; anything else that is not a file we trust
 * is refused. */
static int read_policy(const char *path, char **text, size_t *len, bool *absent, hc_error_t **err)
{
	hc_cleanup_close int fd = -1;
	struct stat sb;

	*absent = false;
	/* O_NONBLOCK: a FIFO planted there must not hang the engine. */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		if (errno == ENOENT) {
			*absent = true;
			return 0;
		}
		return hc_error_sys(err, errno, "host policy %s (nothing was made)", path);
	}
	if (fstat(fd, &sb) < 0)
		return hc_error_sys(err, errno, "host policy %s (nothing was made)", path);
	if (!S_ISREG(sb.st_mode))
		return hc_error_set(err, EINVAL,
				    "host policy %s: not a regular file (nothing was made)", path);
	/* Whoever can write the file sets the policy. */
	if (sb.st_uid != 0 && sb.st_uid != geteuid())
		return hc_error_set(err, EPERM,
				    "host policy %s: owned by uid %u, not by root: whoever owns "
				    "it sets the policy (nothing was made)",
				    path, (unsigned int)sb.st_uid);
	if ((sb.st_mode & 022) != 0)
		return hc_error_set(err, EPERM,
				    "host policy %s: mode %04o, writable by group or others: "
				    "whoever can write it sets the policy (nothing was made)",
				    path, (unsigned int)(sb.st_mode & 07777));
	return hc_read_fd(fd, POLICY_FILE_MAX, path, text, len, err);
}

static int load(const char *path, bool may_be_absent, struct hcrun_policy *p, hc_error_t **err)
{
	hc_cleanup_free char *text = NULL;
	size_t len = 0;
	bool absent;

	if (set_defaults(p, path, err) < 0)
		return -1;
	if (read_policy(path, &text, &len, &absent, err) < 0)
		goto fail;
	if (absent) {
		if (may_be_absent)
			return 0;
		hc_error_set(err, ENOENT, "host policy %s: no such file (nothing was made)", path);
		goto fail;
	}
	p->from_file = true;
	if (parse_text(p, text, len, err) < 0)
		goto fail;
	return 0;
fail:
	hcrun_policy_clear(p);
	return -1;
}

int hcrun_policy_load(const char *path, struct hcrun_policy *p, hc_error_t **err)
{
	memset(p, 0, sizeof(*p));
	if (path == NULL || path[0] != '/')
		return hc_error_set(err, EINVAL, "host policy \"%s\": not an absolute path",
				    path != NULL ? path : "");
	if (strlen(path) >= sizeof(p->file))
		return hc_error_set(err, ENAMETOOLONG, "host policy: path too long");
	return load(path, false, p, err);
}

int hcrun_policy_load_default(const char *given, struct hcrun_policy *p, hc_error_t **err)
{
	const char *env = getenv(HCRUN_POLICY_ENV);

	/* A file the administrator named must be there: a typo must not
	 * fall back to the defaults unnoticed. */
	if (given != NULL)
		return hcrun_policy_load(given, p, err);
	if (env != NULL && env[0] != '\0') {
		if (hcrun_policy_load(env, p, err) < 0)
			return hc_error_prefix(err, "$" HCRUN_POLICY_ENV);
		return 0;
	}
	return load(HCRUN_POLICY_DEFAULT, true, p, err);
}

static void print_limit(FILE *out, const char *key, uint64_t v, bool size)
{
	char buf[32];

	if (v == HCRUN_POLICY_NONE)
		fprintf(out, "%s = none\n", key);
	else if (size && hc_size_format(v, buf, sizeof(buf)) == 0)
		fprintf(out, "%s = %s\n", key, buf);
	else
		fprintf(out, "%s = %llu\n", key, (unsigned long long)v);
}

void hcrun_policy_print(const struct hcrun_policy *p, FILE *out)
{
	size_t i;

	if (p->from_file)
		fprintf(out, "# host policy: %s\n", p->file);
	else
		fprintf(out, "# host policy: the built-in defaults (%s is absent)\n", p->file);
	for (i = 0; i < p->nprefixes; i++)
		fprintf(out, "allow-prefix = %s%s\n", p->prefixes[i].path,
			strcmp(p->prefixes[i].path, "/") == 0 ? "" : "/");
	fprintf(out, "create-parents = %s\n", p->create_parents ? "yes" : "no");
	print_limit(out, "max-size", p->max_size, true);
	print_limit(out, "max-total", p->max_total, true);
	print_limit(out, "max-channels", p->max_channels, false);
	fprintf(out, "allow-rw = %s\n", p->allow_rw ? "yes" : "no");
	fprintf(out, "allow-propagation =");
	for (i = 0; i < sizeof(prop_words) / sizeof(prop_words[0]); i++) {
		if (p->propagation & PROP_BIT(prop_words[i]))
			fprintf(out, " %s", hc_propagation_name(prop_words[i]));
	}
	fprintf(out, "\nenv-specs = %s\n", p->env_specs ? "yes" : "no");
}

/* ----------------------------------------------------------- the checks */

/*
 * A refusal: "host channel "SPEC": WHAT: refused by the host policy's rule
 * KEY (FILE line N | built-in default: FILE is absent | FILE, its default)".
 */
static int refuse(const struct hcrun_policy *p, enum hcrun_policy_key k, unsigned int line,
		  const struct hc_spec *spec, hc_error_t **err, const char *fmt, ...)
	__attribute__((format(printf, 6, 7)));
static int refuse(const struct hcrun_policy *p, enum hcrun_policy_key k, unsigned int line,
		  const struct hc_spec *spec, hc_error_t **err, const char *fmt, ...)
{
	char what[2048], where[PATH_MAX + 64], text[2 * PATH_MAX + 64] = "";
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	if (!p->from_file)
		snprintf(where, sizeof(where), "the built-in default: %s is absent", p->file);
	else if (line == 0)
		snprintf(where, sizeof(where), "%s, which leaves it at its default", p->file);
	else
		snprintf(where, sizeof(where), "%s line %u", p->file, line);
	if (spec != NULL && hc_spec_format(spec, text, sizeof(text)) == 0)
		return hc_error_set(err, EPERM,
				    "host channel \"%s\": %s: refused by the host policy's rule "
				    "%s (%s)",
				    text, what, key_names[k], where);
	return hc_error_set(err, EPERM, "%s: refused by the host policy's rule %s (%s)", what,
			    key_names[k], where);
}

/* Is path at or below dir (both absolute and clean)? "/" holds everything. */
static bool at_or_below(const char *path, const char *dir)
{
	size_t len = strlen(dir);

	if (strcmp(dir, "/") == 0)
		return true;
	return strncmp(path, dir, len) == 0 && (path[len] == '\0' || path[len] == '/');
}

static bool below(const char *path, const char *dir)
{
	return strcmp(path, dir) != 0 && at_or_below(path, dir);
}

/*
 * path (absolute, clean) as prepare resolves it (host.c: existing_ancestor
 * and what follows): the realpath of its deepest existing ancestor, by
 * stat(), and the missing part appended as written. *first: the resolved
 * path of the first missing component ("" when path itself exists).
 */
static int resolve(const char *path, char *out, size_t len, char *first, size_t flen,
		   hc_error_t **err)
{
	char base[PATH_MAX], *real;
	const char *rest;
	struct stat st;
	size_t blen;
	int n;

	snprintf(base, sizeof(base), "%s", path);
	while (stat(base, &st) < 0) {
		char *slash;

		if (errno != ENOENT && errno != ENOTDIR)
			return hc_error_sys(err, errno, "host path \"%s\": cannot check \"%s\"",
					    path, base);
		slash = strrchr(base, '/');
		if (slash == base) {
			snprintf(base, sizeof(base), "/");
			break;
		}
		*slash = '\0';
	}
	real = realpath(base, NULL);
	if (real == NULL)
		return hc_error_sys(err, errno, "host path \"%s\": cannot resolve \"%s\"", path,
				    base);
	blen = strcmp(base, "/") == 0 ? 0 : strlen(base);
	rest = path + blen;
	n = snprintf(out, len, "%s%s", strcmp(real, "/") == 0 ? "" : real, rest);
	if (n >= 0 && (size_t)n < len && out[0] == '\0')
		n = snprintf(out, len, "/");
	if (n < 0 || (size_t)n >= len) {
		free(real);
		return hc_error_set(err, ENAMETOOLONG, "host path \"%s\": too long once resolved",
				    path);
	}
	first[0] = '\0';
	if (*rest != '\0') {
		size_t c = strcspn(rest + 1, "/") + 1;

		snprintf(first, flen, "%s%.*s", strcmp(real, "/") == 0 ? "" : real, (int)c, rest);
	}
	free(real);
	return 0;
}

/* The allowed prefixes as the messages name them: "/a/, /b/". */
static void prefix_list(const struct hcrun_policy *p, char *list, size_t len)
{
	size_t i, used = 0;

	list[0] = '\0';
	for (i = 0; i < p->nprefixes; i++) {
		const char *given = p->prefixes[i].path;
		int n = snprintf(list + used, len - used, "%s%s%s", i > 0 ? ", " : "", given,
				 strcmp(given, "/") == 0 ? "" : "/");

		if (n < 0 || (size_t)n >= len - used)
			break;
		used += (size_t)n;
	}
}

/* Prefix i as it resolves now (it may not exist yet, or be a symlink the
 * administrator made). */
static int prefix_real(const struct hcrun_policy *p, size_t i, char *out, size_t len,
		       hc_error_t **err)
{
	char first[PATH_MAX];

	if (resolve(p->prefixes[i].path, out, len, first, sizeof(first), err) < 0)
		return hc_error_prefix(err, "host policy allow-prefix %s", p->prefixes[i].path);
	return 0;
}

/*
 * The path as spelled (cleaned) must already be below a prefix, as given or
 * as resolved: one that is not is refused before it is looked up on disk,
 * so that the refusal tells its author nothing of what is there (whether
 * it exists, where a symlink on it leads).
 */
static int check_spelled(const struct hcrun_policy *p, const struct hc_spec *spec, hc_error_t **err)
{
	char prefix[PATH_MAX], list[1024];
	size_t i;

	for (i = 0; i < p->nprefixes; i++) {
		if (below(spec->host_path, p->prefixes[i].path))
			return 0;
		if (prefix_real(p, i, prefix, sizeof(prefix), err) < 0)
			return -1;
		if (below(spec->host_path, prefix))
			return 0;
	}
	prefix_list(p, list, sizeof(list));
	return refuse(p, HCRUN_POLICY_ALLOW_PREFIX, p->line[HCRUN_POLICY_ALLOW_PREFIX], spec, err,
		      "host path \"%s\" is not below an allowed prefix (%s)", spec->host_path,
		      list);
}

/*
 * The path rules on real (resolved) with first the outermost directory
 * prepare would make: some allowed prefix (resolved now) must hold real
 * strictly below it, and, when parents are made, first at or below it.
 */
static int check_paths(const struct hcrun_policy *p, const struct hc_spec *spec, const char *real,
		       const char *first, hc_error_t **err)
{
	char list[1024], prefix[PATH_MAX];
	const struct hcrun_policy_prefix *inside = NULL;
	char inside_real[PATH_MAX] = "";
	size_t i;

	for (i = 0; i < p->nprefixes; i++) {
		if (prefix_real(p, i, prefix, sizeof(prefix), err) < 0)
			return -1;
		if (below(real, prefix) && inside == NULL) {
			inside = &p->prefixes[i];
			snprintf(inside_real, sizeof(inside_real), "%s", prefix);
		}
	}
	prefix_list(p, list, sizeof(list));
	if (inside == NULL)
		return refuse(p, HCRUN_POLICY_ALLOW_PREFIX, p->line[HCRUN_POLICY_ALLOW_PREFIX],
			      spec, err,
			      "host path \"%s\" (resolved: \"%s\") is not below an allowed "
			      "prefix (%s)",
			      spec != NULL ? spec->host_path : real, real, list);
	if (first[0] == '\0' || strcmp(first, real) == 0)
		return 0; /* only the leaf is made */
	if (!p->create_parents)
		return refuse(p, HCRUN_POLICY_CREATE_PARENTS, p->line[HCRUN_POLICY_CREATE_PARENTS],
			      spec, err,
			      "host path \"%s\": its parent \"%s\" does not exist, and no "
			      "parent may be created",
			      spec != NULL ? spec->host_path : real, first);
	/* Parents are made only from the prefix's own directory down: never
	 * above it, where the policy gave nothing. */
	if (!at_or_below(first, inside_real))
		return refuse(p, HCRUN_POLICY_CREATE_PARENTS, p->line[HCRUN_POLICY_CREATE_PARENTS],
			      spec, err,
			      "host path \"%s\": \"%s\" would be created above the allowed "
			      "prefix %s/",
			      spec != NULL ? spec->host_path : real, first, inside->path);
	return 0;
}

int hcrun_policy_check_count(const struct hcrun_policy *p, size_t nspecs, hc_error_t **err)
{
	if (p->max_channels != HCRUN_POLICY_NONE && nspecs > p->max_channels)
		return refuse(p, HCRUN_POLICY_MAX_CHANNELS, p->line[HCRUN_POLICY_MAX_CHANNELS],
			      NULL, err, "%zu host channels asked for, more than %llu", nspecs,
			      (unsigned long long)p->max_channels);
	return 0;
}

static int check_one(const struct hcrun_policy *p, const struct hc_spec *s, hc_error_t **err)
{
	enum hc_propagation prop =
		s->propagation == HC_PROP_DEFAULT ? HC_PROP_RPRIVATE : s->propagation;
	char real[PATH_MAX], first[PATH_MAX], a[32], b[32];

	if (p->max_size != HCRUN_POLICY_NONE && s->size > p->max_size) {
		hc_size_format(s->size, a, sizeof(a));
		hc_size_format(p->max_size, b, sizeof(b));
		return refuse(p, HCRUN_POLICY_MAX_SIZE, p->line[HCRUN_POLICY_MAX_SIZE], s, err,
			      "size %s is more than %s", a, b);
	}
	if (!s->readonly && !p->allow_rw)
		return refuse(p, HCRUN_POLICY_ALLOW_RW, p->line[HCRUN_POLICY_ALLOW_RW], s, err,
			      "mode rw: only ro channels are allowed");
	if ((p->propagation & PROP_BIT(prop)) == 0)
		return refuse(p, HCRUN_POLICY_ALLOW_PROPAGATION,
			      p->line[HCRUN_POLICY_ALLOW_PROPAGATION], s, err,
			      "propagation %s is not allowed", hc_propagation_name(prop));
	if (check_spelled(p, s, err) < 0 ||
	    resolve(s->host_path, real, sizeof(real), first, sizeof(first), err) < 0)
		return -1;
	return check_paths(p, s, real, first, err);
}

int hcrun_policy_check_specs(const struct hcrun_policy *p, const struct hc_spec *const specs[],
			     size_t nspecs, hc_error_t **err)
{
	uint64_t total = 0;
	size_t i;

	if (hcrun_policy_check_count(p, nspecs, err) < 0)
		return -1;
	for (i = 0; i < nspecs; i++) {
		if (check_one(p, specs[i], err) < 0)
			return -1;
		/* Each is at most MemTotal / 2: no overflow before the test. */
		total += specs[i]->size;
		if (p->max_total != HCRUN_POLICY_NONE && total > p->max_total) {
			char a[32], b[32];

			hc_size_format(total, a, sizeof(a));
			hc_size_format(p->max_total, b, sizeof(b));
			return refuse(p, HCRUN_POLICY_MAX_TOTAL, p->line[HCRUN_POLICY_MAX_TOTAL],
				      specs[i], err,
				      "the channels' sizes add up to %s with this one, more than "
				      "%s",
				      a, b);
		}
	}
	return 0;
}

int hcrun_policy_check_host(const struct hcrun_policy *p, const struct hc_host *host,
			    hc_error_t **err)
{
	/* Only before a directory is made: the later steps make nothing. */
	if (p == NULL || host->pending[0] == '\0' || host->pending_ino != 0)
		return 0;
	if (check_paths(p, NULL, host->real_path, host->pending, err) < 0)
		return hc_error_prefix(err, "host path \"%s\" as prepare resolved it just now",
				       host->path);
	return 0;
}

int hcrun_policy_check_env(const struct hcrun_policy *p, const char *name, hc_error_t **err)
{
	if (p->env_specs)
		return 0;
	return refuse(p, HCRUN_POLICY_ENV_SPECS, p->line[HCRUN_POLICY_ENV_SPECS], NULL, err,
		      "environment variable %s: a container's environment may not ask for "
		      "host channels (use the annotation " HCRUN_OCI_ANN_SPEC ")",
		      name);
}
