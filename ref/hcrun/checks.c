// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The checks that create, run, exec and the OCI kit share, so that a bad
 * --user or --host-channel is refused with the same words wherever it is
 * given. None touches the disk but to look (lstat).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "hcrun.h"

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
	return hc_error_set(err, EINVAL, "--user \"%s\": expected UID[:GID], as numbers", text);
}

bool hcrun_path_within(const char *inner, const char *outer)
{
	size_t len = strlen(outer);

	return strncmp(inner, outer, len) == 0 && inner[len] == '/';
}

int hcrun_channels_conflict(const struct hc_spec *a, const struct hc_spec *b, hc_error_t **err)
{
	if (strcmp(a->host_path, b->host_path) == 0)
		return hc_error_set(err, EINVAL, "--host-channel: host path \"%s\" is given twice",
				    a->host_path);
	if (hcrun_path_within(a->host_path, b->host_path) ||
	    hcrun_path_within(b->host_path, a->host_path))
		return hc_error_set(err, EINVAL,
				    "--host-channel: host paths \"%s\" and \"%s\" nest: one "
				    "tmpfs would hide the other",
				    b->host_path, a->host_path);
	if (strcmp(a->container_path, b->container_path) == 0)
		return hc_error_set(err, EINVAL,
				    "--host-channel: container path \"%s\" is given twice",
				    a->container_path);
	/* The inner mount point would have to be made inside the outer
	 * channel: a directory the host sees, or EROFS when it is ro. */
	if (hcrun_path_within(a->container_path, b->container_path) ||
	    hcrun_path_within(b->container_path, a->container_path))
		return hc_error_set(err, EINVAL,
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

/*
 * hcrun_channels_conflict() compares the paths as given; a symlinked parent
 * can still make two of them one directory, or nest them (/l/a and
 * /real/a/b with /l -> /real): the tmpfs mounted at the outer one would hide
 * the inner one, and delete could then remove neither. Only prepare knows
 * the real paths, so channel i is checked against those before it, once it
 * is made.
 */
int hcrun_real_paths_conflict(const struct hcrun_channel *chans, size_t i, hc_error_t **err)
{
	const char *a = chans[i].host.real_path;
	size_t j;

	for (j = 0; j < i; j++) {
		const char *b = chans[j].host.real_path;

		if (strcmp(a, b) == 0 || hcrun_path_within(a, b) || hcrun_path_within(b, a))
			return hc_error_set(
				err, EINVAL,
				"--host-channel: host paths \"%s\" and \"%s\" nest once "
				"resolved (\"%s\", \"%s\"): one tmpfs would hide the other",
				chans[j].spec.host_path, chans[i].spec.host_path, b, a);
	}
	return 0;
}
