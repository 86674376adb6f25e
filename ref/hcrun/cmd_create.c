// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * hcrun create: claim the name, write the state, prepare the host channels.
 * Nothing is mounted and nothing runs yet (contract section 3: the tmpfs
 * lives from start to delete). Every option is checked before the disk is
 * touched; a failure after that undoes exactly what this create made.
 */
#include <errno.h>
#include <getopt.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hcrun.h"

static const char create_usage[] =
	"Usage: hcrun create [OPTIONS] [--] [COMMAND [ARG...]]\n"
	"       hcrun run [OPTIONS] [--] [COMMAND [ARG...]]\n"
	"\n"
	"create makes a container and prints its name; run creates and starts it.\n"
	"COMMAND defaults to /bin/sh. Options end at the first non-option word, so\n"
	"the command's own options pass through.\n"
	"\n"
	"Options:\n"
	"      --name NAME           name ([A-Za-z0-9][A-Za-z0-9_.-], at most 64;\n"
	"                            default: 12 random hex digits)\n"
	"      --host-channel SPEC   HOST_PATH:CONTAINER_PATH[:rw|ro[,PROPAGATION][:SIZE]]\n"
	"                            a tmpfs shared with the host (repeatable); the\n"
	"                            host path must not exist; neither path may\n"
	"                            share or nest with another channel's;\n"
	"                            default rw, 64M\n"
	"  -m, --memory SIZE         memory limit (e.g. 512M, 1.5G; 1024-based)\n"
	"      --memory-add-channel  raise the limit by the sum of the channel sizes\n"
	"                            (the channel pages the container writes are\n"
	"                            charged to it); without --memory there is no\n"
	"                            limit to raise and this does nothing\n"
	"      --rootfs DIR          root filesystem (default: $HCRUN_ROOTFS, else\n"
	"                            \"rootfs\" beside the hcrun executable)\n"
	"  -u, --user UID[:GID]      run as this numeric user (GID default 0)\n"
	"      --cap-add CAP         add a capability (repeatable; ALL for all)\n"
	"      --cap-drop CAP        drop a capability (repeatable; ALL for all)\n"
	"      --privileged          start from every capability\n"
	"      --net none|host       network namespace: a new one with only lo (none,\n"
	"                            the default) or the host's\n"
	"  -i, --interactive         pass stdin (otherwise /dev/null)\n"
	"  -t, --tty                 give the command a terminal\n"
	"      --rm                  delete the container once it exits\n"
	"  -d, --detach              (run only) start in the background, print the name;\n"
	"                            output goes to console.log in the state dir\n"
	"                            (" HCRUN_DEFAULT_ROOT "/NAME/ unless --root moves it)\n"
	"  -h, --help                print this help\n";

enum {
	OPT_NAME = 256,
	OPT_CHANNEL,
	OPT_MEMORY_ADD,
	OPT_ROOTFS,
	OPT_CAP_ADD,
	OPT_CAP_DROP,
	OPT_PRIVILEGED,
	OPT_NET,
	OPT_RM,
};

int hcrun_user_parse(const char *text, uid_t *uid, gid_t *gid, hc_error_t **err)
{
	unsigned long u, g = 0;
	char *end;

	/* Numbers only: names would need the rootfs's /etc/passwd. */
	errno = 0;
	u = strtoul(text, &end, 10);
	if (end == text || text[0] == '-' || text[0] == '+' || errno != 0 || u >= UINT32_MAX)
		goto bad;
	if (*end == ':') {
		const char *gtext = end + 1;

		errno = 0;
		g = strtoul(gtext, &end, 10);
		if (end == gtext || gtext[0] == '-' || gtext[0] == '+' || errno != 0 ||
		    g >= UINT32_MAX)
			goto bad;
	}
	if (*end != '\0')
		goto bad;
	*uid = u;
	*gid = g;
	return 0;
bad:
	return hc_error_set(err, 0, "--user \"%s\": expected UID[:GID], as numbers", text);
}

/* "rootfs" beside the executable: build/rootfs for build/hcrun. */
static int default_rootfs(char *buf, size_t len, hc_error_t **err)
{
	const char *env = getenv("HCRUN_ROOTFS");
	char exe[PATH_MAX];
	ssize_t n;
	int m;

	if (env != NULL && env[0] != '\0') {
		m = snprintf(buf, len, "%s", env);
		if (m < 0 || (size_t)m >= len)
			return hc_error_set(err, 0, "HCRUN_ROOTFS is too long");
		return 0;
	}
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n < 0)
		return hc_error_sys(err, errno,
				    "find the hcrun executable (readlink /proc/self/exe)");
	exe[n] = '\0';
	m = snprintf(buf, len, "%s/rootfs", dirname(exe));
	if (m < 0 || (size_t)m >= len)
		return hc_error_set(err, 0, "the default rootfs path is too long");
	return 0;
}

static int set_rootfs(const char *given, struct hcrun_config *cfg, hc_error_t **err)
{
	char path[PATH_MAX];
	const char *what = given != NULL ? "--rootfs" : "the default rootfs (see --rootfs)";
	struct stat sb;

	if (given == NULL) {
		if (default_rootfs(path, sizeof(path), err) < 0)
			return -1;
	} else if (snprintf(path, sizeof(path), "%s", given) >= (int)sizeof(path)) {
		return hc_error_set(err, 0, "--rootfs: path too long");
	}
	/* Resolved once, here: the state records where it really is. */
	if (realpath(path, cfg->rootfs) == NULL)
		return hc_error_sys(err, errno, "%s \"%s\"", what, path);
	if (stat(cfg->rootfs, &sb) < 0)
		return hc_error_sys(err, errno, "%s \"%s\"", what, path);
	if (!S_ISDIR(sb.st_mode))
		return hc_error_set(err, ENOTDIR, "%s \"%s\" is not a directory", what, path);
	return 0;
}

static bool path_within(const char *inner, const char *outer)
{
	size_t len = strlen(outer);

	return strncmp(inner, outer, len) == 0 && inner[len] == '/';
}

int hcrun_channels_conflict(const struct hc_spec *a, const struct hc_spec *b, hc_error_t **err)
{
	if (strcmp(a->host_path, b->host_path) == 0)
		return hc_error_set(err, 0, "--host-channel: host path \"%s\" is given twice",
				    a->host_path);
	if (path_within(a->host_path, b->host_path) || path_within(b->host_path, a->host_path))
		return hc_error_set(err, 0,
				    "--host-channel: host paths \"%s\" and \"%s\" nest: one "
				    "tmpfs would hide the other",
				    b->host_path, a->host_path);
	if (strcmp(a->container_path, b->container_path) == 0)
		return hc_error_set(err, 0, "--host-channel: container path \"%s\" is given twice",
				    a->container_path);
	/* The inner mount point would have to be made inside the outer
	 * channel: a directory the host sees, or EROFS when it is ro. */
	if (path_within(a->container_path, b->container_path) ||
	    path_within(b->container_path, a->container_path))
		return hc_error_set(err, 0,
				    "--host-channel: container paths \"%s\" and \"%s\" nest: "
				    "the inner mount point would be made inside the outer "
				    "channel",
				    b->container_path, a->container_path);
	return 0;
}

int hcrun_host_path_absent(const struct hc_spec *a, hc_error_t **err)
{
	struct stat sb;

	/* prepare refuses it too; saying it now leaves the disk untouched. */
	if (lstat(a->host_path, &sb) == 0)
		return hc_error_set(err, EEXIST,
				    "--host-channel: host path \"%s\" already exists; a host "
				    "channel needs a path that does not exist (delete "
				    "removes it)",
				    a->host_path);
	return 0;
}

/* Channels that would hide or share each other's tmpfs are refused. */
static int check_channels(const struct hcrun_config *cfg, hc_error_t **err)
{
	for (size_t i = 0; i < cfg->nchannels; i++) {
		for (size_t j = 0; j < i; j++)
			if (hcrun_channels_conflict(&cfg->channels[i].spec, &cfg->channels[j].spec,
						    err) < 0)
				return -1;
		if (hcrun_host_path_absent(&cfg->channels[i].spec, err) < 0)
			return -1;
	}
	return 0;
}

static int add_channel(const char *text, const struct hc_limits *limits, struct hcrun_config *cfg,
		       hc_error_t **err)
{
	struct hcrun_channel *grown;

	grown = realloc(cfg->channels, (cfg->nchannels + 1) * sizeof(*grown));
	if (grown == NULL)
		return hc_error_sys(err, ENOMEM, "--host-channel");
	cfg->channels = grown;
	memset(&grown[cfg->nchannels], 0, sizeof(*grown));
	if (hc_spec_parse(text, limits, &grown[cfg->nchannels].spec, err) < 0)
		return hc_error_prefix(err, "--host-channel");
	cfg->nchannels++;
	return 0;
}

static int set_argv(int argc, char *argv[], struct hcrun_config *cfg, hc_error_t **err)
{
	static char *const shell[] = {"/bin/sh", NULL};
	int i;

	if (argc == 0) {
		argc = 1;
		argv = (char **)shell;
	}
	cfg->argv = calloc(argc + 1, sizeof(char *));
	if (cfg->argv == NULL)
		return hc_error_sys(err, ENOMEM, "copy the command");
	for (i = 0; i < argc; i++) {
		cfg->argv[i] = strdup(argv[i]);
		if (cfg->argv[i] == NULL)
			return hc_error_sys(err, ENOMEM, "copy the command");
		cfg->argc = i + 1;
	}
	if (cfg->argv[0][0] == '\0')
		return hc_error_set(err, 0, "the command is an empty word");
	return 0;
}

int hcrun_create_parse(int argc, char *argv[], bool run, struct hcrun_create_opts *o,
		       hc_error_t **err)
{
	static const struct option longopts[] = {
		{"name", required_argument, NULL, OPT_NAME},
		{"host-channel", required_argument, NULL, OPT_CHANNEL},
		{"memory", required_argument, NULL, 'm'},
		{"memory-add-channel", no_argument, NULL, OPT_MEMORY_ADD},
		{"rootfs", required_argument, NULL, OPT_ROOTFS},
		{"user", required_argument, NULL, 'u'},
		{"cap-add", required_argument, NULL, OPT_CAP_ADD},
		{"cap-drop", required_argument, NULL, OPT_CAP_DROP},
		{"privileged", no_argument, NULL, OPT_PRIVILEGED},
		{"net", required_argument, NULL, OPT_NET},
		{"network", required_argument, NULL, OPT_NET},
		{"interactive", no_argument, NULL, 'i'},
		{"tty", no_argument, NULL, 't'},
		{"rm", no_argument, NULL, OPT_RM},
		{"detach", no_argument, NULL, 'd'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *cmd = run ? "run" : "create";
	const char *rootfs = NULL;
	uint64_t add = 0, drop = 0, mask;
	bool privileged = false;
	struct hc_limits limits;
	int c;

	memset(o, 0, sizeof(*o));
	/* Read once: every --host-channel is checked against the same bounds. */
	if (hc_limits_from_system(&limits, err) < 0)
		return -1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+:m:u:itdh", longopts, NULL)) != -1) {
		switch (c) {
		case OPT_NAME:
			if (hcrun_name_check(optarg, err) < 0)
				return hc_error_prefix(err, "--name");
			snprintf(o->cfg.name, sizeof(o->cfg.name), "%s", optarg);
			o->name_given = true;
			break;
		case OPT_CHANNEL:
			if (add_channel(optarg, &limits, &o->cfg, err) < 0)
				return -1;
			break;
		case 'm':
			if (hc_size_parse(optarg, &o->cfg.memory, err) < 0)
				return hc_error_prefix(err, "--memory");
			if (o->cfg.memory < limits.page_size)
				return hc_error_set(
					err, 0,
					"--memory \"%s\": must be at least one page (%llu "
					"bytes)",
					optarg, (unsigned long long)limits.page_size);
			break;
		case OPT_MEMORY_ADD:
			o->cfg.memory_add_channel = true;
			break;
		case OPT_ROOTFS:
			rootfs = optarg;
			break;
		case 'u':
			if (hcrun_user_parse(optarg, &o->cfg.uid, &o->cfg.gid, err) < 0)
				return -1;
			o->cfg.user_set = true;
			break;
		case OPT_CAP_ADD:
		case OPT_CAP_DROP:
			if (hcrun_caps_parse(optarg, &mask, err) < 0)
				return hc_error_prefix(
					err, "%s", c == OPT_CAP_ADD ? "--cap-add" : "--cap-drop");
			if (c == OPT_CAP_ADD)
				add |= mask;
			else
				drop |= mask;
			break;
		case OPT_PRIVILEGED:
			privileged = true;
			break;
		case OPT_NET:
			if (strcmp(optarg, "host") == 0)
				o->cfg.net_host = true;
			else if (strcmp(optarg, "none") == 0)
				o->cfg.net_host = false;
			else
				return hc_error_set(err, 0, "--net \"%s\": expected none or host",
						    optarg);
			break;
		case 'i':
			o->cfg.interactive = true;
			break;
		case 't':
			o->cfg.tty = true;
			break;
		case OPT_RM:
			o->rm = true;
			break;
		case 'd':
			if (!run)
				return hc_error_set(
					err, 0, "create: -d is for run (create starts nothing)");
			o->detach = true;
			break;
		case 'h':
			fputs(create_usage, stdout);
			return 1;
		default:
			return hcrun_opt_error(cmd, c, argv, err);
		}
	}
	/* As docker: the drops win, except that "drop ALL" keeps what is added. */
	o->cfg.caps = privileged ? hcrun_caps_all() : hcrun_caps_default();
	if (drop == hcrun_caps_all())
		o->cfg.caps = add;
	else
		o->cfg.caps = (o->cfg.caps | add) & ~drop;
	if (set_rootfs(rootfs, &o->cfg, err) < 0 || check_channels(&o->cfg, err) < 0 ||
	    set_argv(argc - optind, argv + optind, &o->cfg, err) < 0)
		return -1;
	return 0;
}

/*
 * check_channels() compares the paths as given; a symlinked parent can still
 * make two of them one directory, or nest them (/l/a and /real/a/b with
 * /l -> /real): the tmpfs mounted at the outer one would hide the inner one,
 * and delete could then remove neither. Only prepare knows the real paths,
 * so channel i is checked against those before it, once it is made.
 */
static int check_real_paths(const struct hcrun_channel *chans, size_t i, hc_error_t **err)
{
	const char *a = chans[i].host.real_path;
	size_t j;

	for (j = 0; j < i; j++) {
		const char *b = chans[j].host.real_path;

		if (strcmp(a, b) == 0 || path_within(a, b) || path_within(b, a))
			return hc_error_set(
				err, 0,
				"--host-channel: host paths \"%s\" and \"%s\" nest once "
				"resolved (\"%s\", \"%s\"): one tmpfs would hide the other",
				chans[j].spec.host_path, chans[i].spec.host_path, b, a);
	}
	return 0;
}

static int random_name(char *buf, size_t len, hc_error_t **err)
{
	unsigned char bytes[6];
	size_t i;

	if (getrandom(bytes, sizeof(bytes), 0) != sizeof(bytes))
		return hc_error_sys(err, errno, "getrandom");
	for (i = 0; i < sizeof(bytes) && 2 * i + 2 < len; i++)
		snprintf(buf + 2 * i, 3, "%02x", bytes[i]);
	return 0;
}

static int claim(struct hcrun_create_opts *o, int *lock, hc_error_t **err)
{
	int tries;

	if (o->name_given)
		return hcrun_state_claim(o->cfg.name, lock, err);
	/* 48 random bits: a clash is rare, and only then is another drawn. */
	for (tries = 0; tries < 8; tries++) {
		if (random_name(o->cfg.name, sizeof(o->cfg.name), err) < 0)
			return -1;
		if (hcrun_state_claim(o->cfg.name, lock, err) == 0)
			return 0;
		if ((*err)->errnum != EEXIST)
			return -1;
		hc_error_free(err);
	}
	return hc_error_set(err, EEXIST, "no free random name found");
}

/*
 * prepare's journal: the state is written before each directory is made and
 * once its identity is known, so that a create killed at any point leaves gc
 * a record of exactly what it made (the record is in st, filled in place).
 */
static int journal_channel(void *arg, const struct hc_host *host, hc_error_t **err)
{
	const struct hcrun_state *st = arg;

	(void)host;
	hcrun_fault("create", "before a channel journal entry");
	if (hcrun_state_save(st, err) < 0)
		return -1;
	hcrun_fault("create", "after a channel journal entry");
	return 0;
}

int hcrun_create(struct hcrun_create_opts *o, hc_error_t **err)
{
	struct hcrun_state st = {.exit_code = -1, .auto_remove = o->rm};
	int lock = -1;
	size_t i;

	if (claim(o, &lock, err) < 0)
		return -1;
	hcrun_fault("create", "name claimed, no state yet");
	/* st borrows o's config: o keeps owning argv and channels. */
	st.cfg = o->cfg;
	st.status = HCRUN_CREATING;
	hcrun_timestamp(st.created, sizeof(st.created));
	/* Listed before any is made: a create that dies half way leaves gc
	 * the list of what to roll back. */
	if (hcrun_state_save(&st, err) < 0)
		goto undo;
	hcrun_fault("create", "state creating written");
	for (i = 0; i < st.cfg.nchannels; i++) {
		struct hcrun_channel *ch = &st.cfg.channels[i];

		if (hc_host_prepare_journal(ch->spec.host_path, &ch->host, journal_channel, &st,
					    err) < 0) {
			/* It undid what it made: the rollback must not touch its path. */
			memset(&ch->host, 0, sizeof(ch->host));
			hc_error_prefix(err, "--host-channel");
			goto undo;
		}
		hcrun_fault("create", "channel prepared");
		if (hcrun_state_save(&st, err) < 0)
			goto undo;
		hcrun_fault("create", "channel recorded");
		if (check_real_paths(st.cfg.channels, i, err) < 0)
			goto undo;
	}
	st.status = HCRUN_CREATED;
	if (hcrun_state_save(&st, err) < 0)
		goto undo;
	hcrun_fault("create", "state created written");
	hcrun_state_unlock(&lock);
	return 0;
undo : {
	hc_cleanup_error hc_error_t *more = NULL;

	/* Tears down the channels prepared so far and the state dir;
		 * if that fails, the "creating" state stays for gc. */
	if (hcrun_delete_locked(&st, &more) < 0)
		hcrun_report(&more);
}
	hcrun_state_unlock(&lock);
	return -1;
}

int hcrun_cmd_create(int argc, char *argv[], hc_error_t **err)
{
	struct hcrun_create_opts o;
	int ret;

	ret = hcrun_create_parse(argc, argv, false, &o, err);
	if (ret == 0) {
		sigset_t saved;

		/* A ^C half way would leave a "creating" state for gc. */
		hcrun_signals_block(&saved);
		ret = hcrun_create(&o, err);
		hcrun_signals_restore(&saved);
	}
	if (ret == 0)
		printf("%s\n", o.cfg.name);
	hcrun_config_clear(&o.cfg);
	return ret < 0 ? HCRUN_EXIT_ERROR : 0;
}
