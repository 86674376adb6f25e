// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The grammar of "--host-channel <host>:<container>[:<mode>[:<size>]]"
 * (contract section 2): parsing into a struct hc_spec, the canonical text
 * back, and the bounds a size must keep. Only hc_limits_from_system() looks
 * at the machine; everything else is pure string work, so a rejected option
 * can never have touched the host.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mount.h>
#include <unistd.h>

#include "hostchannel.h"

#define SIZE_EXPECTED                                                                              \
	"expected digits, an optional fraction and an optional unit: B, or K, M, G, T, P "         \
	"optionally followed by B, I or IB (1024-based, any case), e.g. 64M or 1.5G"

#define MODE_EXPECTED                                                                              \
	"expected rw or ro, optionally with one of private, rprivate, shared, rshared, slave, "    \
	"rslave, unbindable, runbindable after a comma (e.g. ro,rslave)"

/*
 * Every refusal of the text itself carries EINVAL, one value for all fields:
 * a caller tells a bad option from a failing system (an unreadable
 * /proc/meminfo) by errnum, and leaves which field broke to the message.
 */
#define BAD_INPUT EINVAL

static const char *const prop_names[] = {
	[HC_PROP_DEFAULT] = "rprivate",	       [HC_PROP_PRIVATE] = "private",
	[HC_PROP_RPRIVATE] = "rprivate",       [HC_PROP_SHARED] = "shared",
	[HC_PROP_RSHARED] = "rshared",	       [HC_PROP_SLAVE] = "slave",
	[HC_PROP_RSLAVE] = "rslave",	       [HC_PROP_UNBINDABLE] = "unbindable",
	[HC_PROP_RUNBINDABLE] = "runbindable",
};

#define N_PROPS (sizeof(prop_names) / sizeof(prop_names[0]))

const char *hc_propagation_name(enum hc_propagation prop)
{
	if ((unsigned int)prop >= N_PROPS)
		return NULL;
	return prop_names[prop];
}

unsigned long hc_propagation_flags(enum hc_propagation prop)
{
	switch (prop) {
	case HC_PROP_PRIVATE:
		return MS_PRIVATE;
	case HC_PROP_DEFAULT:
	case HC_PROP_RPRIVATE:
		return MS_PRIVATE | MS_REC;
	case HC_PROP_SHARED:
		return MS_SHARED;
	case HC_PROP_RSHARED:
		return MS_SHARED | MS_REC;
	case HC_PROP_SLAVE:
		return MS_SLAVE;
	case HC_PROP_RSLAVE:
		return MS_SLAVE | MS_REC;
	case HC_PROP_UNBINDABLE:
		return MS_UNBINDABLE;
	case HC_PROP_RUNBINDABLE:
		return MS_UNBINDABLE | MS_REC;
	}
	return 0;
}

/* ------------------------------------------------------------ limits */

int hc_limits_from_system(struct hc_limits *limits, hc_error_t **err)
{
	hc_cleanup_free char *buf = NULL;
	unsigned long long kib;
	const char *line;
	char *end;
	long page;

	errno = 0;
	page = sysconf(_SC_PAGESIZE);
	if (page <= 0)
		return hc_error_sys(err, errno ? errno : EINVAL, "cannot get the page size");
	if (hc_read_file("/proc/meminfo", 0, 1u << 20, &buf, NULL, err) < 0)
		return -1;

	for (line = buf; strncmp(line, "MemTotal:", 9) != 0; line++) {
		line = strchr(line, '\n');
		if (line == NULL)
			return hc_error_set(err, ENODATA, "no MemTotal line in /proc/meminfo");
	}
	line += 9;
	while (*line == ' ' || *line == '\t')
		line++;
	if (!isdigit((unsigned char)*line))
		return hc_error_set(err, ENODATA, "cannot read MemTotal in /proc/meminfo");
	errno = 0;
	kib = strtoull(line, &end, 10);
	if (errno != 0 || strncmp(end, " kB", 3) != 0)
		return hc_error_set(err, ENODATA, "cannot read MemTotal in /proc/meminfo");
	/* kB * 1024 / 2, kept exact and overflow-free */
	if (kib > UINT64_MAX / 512)
		return hc_error_set(err, ERANGE, "MemTotal in /proc/meminfo is out of range");

	limits->page_size = (uint64_t)page;
	limits->max_size = (uint64_t)kib * 512;
	return 0;
}

/* -------------------------------------------------------------- sizes */

/* Shift for a unit suffix ("", "k", "KiB", ...), or -1 if it is not one. */
static int unit_shift(const char *unit)
{
	static const char letters[] = "KMGTP";
	const char *hit;
	const char *rest;

	if (*unit == '\0')
		return 0;
	if (strcasecmp(unit, "B") == 0)
		return 0;
	hit = strchr(letters, toupper((unsigned char)*unit));
	if (hit == NULL)
		return -1;
	rest = unit + 1;
	if (*rest != '\0' && strcasecmp(rest, "B") != 0 && strcasecmp(rest, "I") != 0 &&
	    strcasecmp(rest, "IB") != 0)
		return -1;
	return 10 * (int)(hit - letters + 1);
}

static int size_parse(const char *field, const char *text, uint64_t *bytes, hc_error_t **err)
{
	const char *p, *int_start, *frac_start = NULL;
	size_t int_len, frac_len = 0;
	uint64_t whole = 0, frac = 0, mult;
	int shift;

	if (*text == '\0')
		return hc_error_set(err, BAD_INPUT, "%s \"\" is empty; %s", field, SIZE_EXPECTED);
	for (p = text; *p != '\0'; p++) {
		if (isspace((unsigned char)*p))
			return hc_error_set(err, BAD_INPUT, "%s \"%s\" contains white space; %s",
					    field, text, SIZE_EXPECTED);
	}
	if (*text == '+' || *text == '-')
		return hc_error_set(err, BAD_INPUT, "%s \"%s\" has a sign; %s", field, text,
				    SIZE_EXPECTED);
	if (*text == '.')
		return hc_error_set(err, BAD_INPUT, "%s \"%s\" starts with '.'; %s", field, text,
				    SIZE_EXPECTED);
	if (!isdigit((unsigned char)*text))
		return hc_error_set(err, BAD_INPUT, "%s \"%s\" is not a number; %s", field, text,
				    SIZE_EXPECTED);

	int_start = text;
	for (p = text; isdigit((unsigned char)*p); p++)
		;
	int_len = (size_t)(p - int_start);
	if (*p == '.') {
		frac_start = ++p;
		for (; isdigit((unsigned char)*p); p++)
			;
		frac_len = (size_t)(p - frac_start);
		if (frac_len == 0)
			return hc_error_set(err, BAD_INPUT, "%s \"%s\" has no digit after '.'; %s",
					    field, text, SIZE_EXPECTED);
	}
	shift = unit_shift(p);
	if (shift < 0)
		return hc_error_set(err, BAD_INPUT, "%s \"%s\" has an unknown unit \"%s\"; %s",
				    field, text, p, SIZE_EXPECTED);
	mult = 1ULL << shift;

	/* The syntax is known good; only now can the value overflow. */
	for (size_t i = 0; i < int_len; i++) {
		if (__builtin_mul_overflow(whole, 10, &whole) ||
		    __builtin_add_overflow(whole, (uint64_t)(int_start[i] - '0'), &whole))
			goto overflow;
	}
	/*
	 * floor(0.d1d2...dn * mult) exactly, for any number of digits, from the
	 * last digit back: floor((mult * d + x) / 10) == floor((mult * d +
	 * floor(x)) / 10) for an integer mult * d, so each step keeps only an
	 * integer below mult. A double would round 4.99999999999999999K up to
	 * 5K; this truncates to 5119 bytes.
	 */
	for (size_t i = frac_len; i > 0; i--)
		frac = (mult * (uint64_t)(frac_start[i - 1] - '0') + frac) / 10;
	if (__builtin_mul_overflow(whole, mult, &whole) ||
	    __builtin_add_overflow(whole, frac, &whole))
		goto overflow;
	*bytes = whole;
	return 0;

overflow:
	return hc_error_set(err, BAD_INPUT, "%s \"%s\" is too large: more than %" PRIu64 " bytes",
			    field, text, UINT64_MAX);
}

int hc_size_parse(const char *text, uint64_t *bytes, hc_error_t **err)
{
	if (text == NULL)
		return hc_error_set(err, BAD_INPUT, "size is missing");
	return size_parse("size", text, bytes, err);
}

int hc_size_format(uint64_t bytes, char *buf, size_t len)
{
	static const char units[] = "KMGTP";
	int n, i;

	if (buf == NULL || len == 0) {
		errno = ERANGE;
		return -1;
	}
	for (i = 4; i >= 0; i--) {
		unsigned int shift = 10 * (unsigned int)(i + 1);

		if (bytes != 0 && (bytes & ((1ULL << shift) - 1)) == 0)
			break;
	}
	if (i >= 0)
		n = snprintf(buf, len, "%" PRIu64 "%c", bytes >> (10 * (i + 1)), units[i]);
	else
		n = snprintf(buf, len, "%" PRIu64, bytes);
	if (n < 0 || (size_t)n >= len) {
		errno = ERANGE;
		return -1;
	}
	return 0;
}

/* -------------------------------------------------------------- paths */

static int path_clean(const char *field, const char *in, char *out, size_t len, hc_error_t **err)
{
	/* Cleaning never lengthens a path, and in may alias out. */
	char tmp[PATH_MAX];
	size_t o = 0, in_len;
	const char *p = in;

	if (in == NULL || *in == '\0')
		return hc_error_set(err, BAD_INPUT, "%s \"\" is empty; expected an absolute path",
				    field);
	if (*in != '/')
		return hc_error_set(err, BAD_INPUT,
				    "%s \"%s\" is not absolute; expected a path starting with '/'",
				    field, in);
	in_len = strlen(in);
	if (in_len >= PATH_MAX)
		return hc_error_set(err, BAD_INPUT,
				    "%s \"%s\" is too long: %zu bytes, PATH_MAX is %d", field, in,
				    in_len, PATH_MAX);

	while (*p != '\0') {
		const char *comp;
		size_t clen;

		while (*p == '/')
			p++;
		comp = p;
		while (*p != '\0' && *p != '/')
			p++;
		clen = (size_t)(p - comp);
		if (clen == 0 || (clen == 1 && comp[0] == '.'))
			continue;
		if (clen == 2 && comp[0] == '.' && comp[1] == '.') {
			while (o > 0 && tmp[o - 1] != '/')
				o--;
			if (o > 0)
				o--;
			continue;
		}
		tmp[o++] = '/';
		memcpy(tmp + o, comp, clen);
		o += clen;
	}
	if (o == 0)
		tmp[o++] = '/';
	tmp[o] = '\0';

	if (o + 1 > len)
		return hc_error_set(err, ERANGE, "%s \"%s\" does not fit in %zu bytes once cleaned",
				    field, in, len);
	memcpy(out, tmp, o + 1);
	return 0;
}

int hc_path_clean(const char *in, char *out, size_t len, hc_error_t **err)
{
	return path_clean("path", in, out, len, err);
}

/* --------------------------------------------------------------- spec */

static int parse_path(const char *field, const char *value, char *out, hc_error_t **err)
{
	if (path_clean(field, value, out, PATH_MAX, err) < 0)
		return -1;
	if (strcmp(out, "/") == 0)
		return hc_error_set(err, BAD_INPUT,
				    "%s \"%s\" is the root directory once cleaned; expected a "
				    "directory below /",
				    field, value);
	return 0;
}

/* One mode word; lowercase only, as mount(8) and the OCI runtime spec spell them. */
static int parse_word(const char *word, size_t len, bool *is_access, bool *readonly,
		      enum hc_propagation *prop)
{
	if (len == 2 && word[0] == 'r' && (word[1] == 'w' || word[1] == 'o')) {
		*is_access = true;
		*readonly = word[1] == 'o';
		return 0;
	}
	for (size_t i = HC_PROP_PRIVATE; i < N_PROPS; i++) {
		if (strlen(prop_names[i]) == len && strncmp(word, prop_names[i], len) == 0) {
			*is_access = false;
			*prop = (enum hc_propagation)i;
			return 0;
		}
	}
	return -1;
}

static int parse_mode(const char *value, bool *readonly, enum hc_propagation *prop,
		      hc_error_t **err)
{
	bool have_access = false, have_prop = false;
	const char *word = value;

	*readonly = false;
	*prop = HC_PROP_DEFAULT;
	if (*value == '\0')
		return 0;
	if (strchr(value, ',') != NULL && strchr(strchr(value, ',') + 1, ',') != NULL)
		return hc_error_set(err, BAD_INPUT, "mode \"%s\" has more than two words; %s",
				    value, MODE_EXPECTED);

	while (word != NULL) {
		const char *comma = strchr(word, ',');
		size_t len = comma != NULL ? (size_t)(comma - word) : strlen(word);
		bool is_access = false;

		if (len == 0)
			return hc_error_set(err, BAD_INPUT, "mode \"%s\" has an empty word; %s",
					    value, MODE_EXPECTED);
		if (parse_word(word, len, &is_access, readonly, prop) < 0)
			return hc_error_set(err, BAD_INPUT,
					    "mode \"%s\" has an unknown word \"%.*s\"; %s", value,
					    (int)len, word, MODE_EXPECTED);
		if (is_access && have_access)
			return hc_error_set(err, BAD_INPUT,
					    "mode \"%s\" names two access modes; expected one of "
					    "rw or ro",
					    value);
		if (!is_access && have_prop)
			return hc_error_set(err, BAD_INPUT,
					    "mode \"%s\" names two propagation words; expected at "
					    "most one",
					    value);
		have_access |= is_access;
		have_prop |= !is_access;
		word = comma != NULL ? comma + 1 : NULL;
	}
	return 0;
}

static int check_size(const char *value, uint64_t size, const struct hc_limits *limits,
		      hc_error_t **err)
{
	char def[32] = "";

	/* An empty field stands for the default, which must fit too. */
	if (*value == '\0') {
		hc_size_format(size, def, sizeof(def));
		value = def;
	}
	if (size == 0)
		return hc_error_set(err, BAD_INPUT,
				    "size \"%s\" is zero; expected at least one page (%" PRIu64
				    " bytes)",
				    value, limits->page_size);
	if (size < limits->page_size)
		return hc_error_set(err, BAD_INPUT,
				    "size \"%s\" is below one page (%" PRIu64 " bytes)", value,
				    limits->page_size);
	if (size > limits->max_size)
		return hc_error_set(err, BAD_INPUT,
				    "size \"%s\"%s is above half of MemTotal (%" PRIu64 " bytes)",
				    value, value == def ? " (the default)" : "", limits->max_size);
	return 0;
}

static int spec_parse(const char *text, const struct hc_limits *limits, struct hc_spec *spec,
		      hc_error_t **err)
{
	hc_cleanup_free char *copy = NULL;
	const char *fields[4] = {NULL, NULL, "", ""};
	size_t nfields = 1;
	char *p;

	for (const char *c = text; *c != '\0'; c++)
		nfields += *c == ':';
	if (nfields < 2 || nfields > 4)
		return hc_error_set(err, BAD_INPUT,
				    "expected <host path>:<container path>[:<rw|ro>[:<size>]], got "
				    "%zu field%s",
				    nfields, nfields == 1 ? "" : "s");

	copy = strdup(text);
	if (copy == NULL)
		return hc_error_sys(err, ENOMEM, "cannot copy the option");
	fields[0] = copy;
	for (size_t i = 1; (p = strchr(fields[i - 1], ':')) != NULL; i++) {
		*p = '\0';
		fields[i] = p + 1;
	}

	if (parse_path("host path", fields[0], spec->host_path, err) < 0)
		return -1;
	if (parse_path("container path", fields[1], spec->container_path, err) < 0)
		return -1;
	if (parse_mode(fields[2], &spec->readonly, &spec->propagation, err) < 0)
		return -1;
	spec->size = HC_DEFAULT_SIZE;
	if (*fields[3] != '\0' && size_parse("size", fields[3], &spec->size, err) < 0)
		return -1;
	return check_size(fields[3], spec->size, limits, err);
}

int hc_spec_parse(const char *text, const struct hc_limits *limits, struct hc_spec *spec,
		  hc_error_t **err)
{
	struct hc_limits system;
	/* Big (two PATH_MAX buffers) but a rejected option must leave *spec as it was. */
	hc_cleanup_free struct hc_spec *tmp = NULL;

	if (text == NULL)
		return hc_error_set(err, BAD_INPUT, "invalid host channel: the option is missing");
	if (limits == NULL) {
		if (hc_limits_from_system(&system, err) < 0)
			return -1;
		limits = &system;
	}
	tmp = calloc(1, sizeof(*tmp));
	if (tmp == NULL)
		return hc_error_sys(err, ENOMEM, "cannot parse host channel \"%s\"", text);
	if (spec_parse(text, limits, tmp, err) < 0)
		return hc_error_prefix(err, "invalid host channel \"%s\"", text);
	*spec = *tmp;
	return 0;
}

int hc_spec_format(const struct hc_spec *spec, char *buf, size_t len)
{
	const char *prop = hc_propagation_name(spec->propagation);
	char size[32];
	int n;

	/* A ':' in a path would not parse back as the same spec. */
	if (prop == NULL || strchr(spec->host_path, ':') != NULL ||
	    strchr(spec->container_path, ':') != NULL) {
		errno = EINVAL;
		return -1;
	}
	if (hc_size_format(spec->size, size, sizeof(size)) < 0)
		return -1;
	if (buf == NULL || len == 0) {
		errno = ERANGE;
		return -1;
	}
	n = snprintf(buf, len, "%s:%s:%s%s%s:%s", spec->host_path, spec->container_path,
		     spec->readonly ? "ro" : "rw", spec->propagation != HC_PROP_DEFAULT ? "," : "",
		     spec->propagation != HC_PROP_DEFAULT ? prop : "", size);
	if (n < 0 || (size_t)n >= len) {
		errno = ERANGE;
		return -1;
	}
	return 0;
}
