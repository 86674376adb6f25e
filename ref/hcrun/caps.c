// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Capabilities of the container process, through libcap. A mask of uint64_t
 * stands for a set: bit n is capability n (the kernel has no capability
 * above 63 yet, hcrun.h relies on it).
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/capability.h>

#include "hcrun.h"

#define CAP_BIT(c) (UINT64_C(1) << (c))

/* How many capabilities the running kernel knows, capped to what a mask holds. */
static int caps_count(void)
{
	int n = (int)cap_max_bits();

	if (n <= 0 || n > 64)
		n = n <= 0 ? CAP_LAST_CAP + 1 : 64;
	return n;
}

uint64_t hcrun_caps_default(void)
{
	return CAP_BIT(CAP_CHOWN) | CAP_BIT(CAP_DAC_OVERRIDE) | CAP_BIT(CAP_FSETID) |
	       CAP_BIT(CAP_FOWNER) | CAP_BIT(CAP_MKNOD) | CAP_BIT(CAP_NET_RAW) |
	       CAP_BIT(CAP_SETGID) | CAP_BIT(CAP_SETUID) | CAP_BIT(CAP_SETFCAP) |
	       CAP_BIT(CAP_SETPCAP) | CAP_BIT(CAP_NET_BIND_SERVICE) | CAP_BIT(CAP_SYS_CHROOT) |
	       CAP_BIT(CAP_KILL) | CAP_BIT(CAP_AUDIT_WRITE);
}

uint64_t hcrun_caps_all(void)
{
	int n = caps_count();

	return n >= 64 ? UINT64_MAX : CAP_BIT(n) - 1;
}

int hcrun_caps_parse(const char *name, uint64_t *mask, hc_error_t **err)
{
	const char *bare = name;
	char lower[64];
	cap_value_t value;
	size_t i, len;

	if (name == NULL)
		return hc_error_set(err, EINVAL, "missing capability name");
	if (strncasecmp(bare, "CAP_", 4) == 0)
		bare += 4;
	if (strcasecmp(bare, "ALL") == 0) {
		*mask = hcrun_caps_all();
		return 0;
	}
	len = strlen(bare);
	/* cap_from_name() also takes numbers; only names are part of the CLI. */
	if (len == 0 || len + sizeof("cap_") > sizeof(lower))
		return hc_error_set(err, EINVAL, "unknown capability \"%s\"", name);
	memcpy(lower, "cap_", 4);
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)bare[i];

		if (!isalpha(c) && c != '_')
			return hc_error_set(err, EINVAL, "unknown capability \"%s\"", name);
		lower[4 + i] = (char)tolower(c);
	}
	lower[4 + len] = '\0';
	if (cap_from_name(lower, &value) < 0)
		return hc_error_set(err, EINVAL, "unknown capability \"%s\"", name);
	if (value < 0 || value >= caps_count())
		return hc_error_set(err, EINVAL,
				    "capability \"%s\" is not supported by this kernel", name);
	*mask = CAP_BIT(value);
	return 0;
}

int hcrun_caps_format(uint64_t caps, char *buf, size_t len)
{
	size_t used = 0;
	int i;

	if (len == 0)
		return -1;
	buf[0] = '\0';
	for (i = 0; i < 64; i++) {
		char *name;
		size_t j, n;

		if (!(caps & CAP_BIT(i)))
			continue;
		name = cap_to_name(i);
		if (name == NULL)
			return -1;
		n = strlen(name);
		if (used + (used ? 1 : 0) + n + 1 > len) {
			cap_free(name);
			errno = ENOSPC;
			return -1;
		}
		if (used)
			buf[used++] = ',';
		for (j = 0; j < n; j++)
			buf[used++] = (char)toupper((unsigned char)name[j]);
		buf[used] = '\0';
		cap_free(name);
	}
	return 0;
}

int hcrun_caps_bound(uint64_t caps, hc_error_t **err)
{
	int i, n = caps_count();

	for (i = 0; i < n; i++) {
		int in_bound;

		if (caps & CAP_BIT(i))
			continue;
		/*
		 * PR_CAPBSET_DROP wants CAP_SETPCAP even for a capability that
		 * is already gone: drop only what is there, so that a second
		 * call after a switch to a non-root user is a no-op.
		 */
		in_bound = cap_get_bound(i);
		if (in_bound < 0)
			return hc_error_sys(err, errno, "read bounding set (capability %d)", i);
		if (in_bound == 0)
			continue;
		if (cap_drop_bound(i) < 0)
			return hc_error_sys(err, errno, "drop capability %d from the bounding set",
					    i);
	}
	return 0;
}

int hcrun_caps_apply(uint64_t caps, hc_error_t **err)
{
	cap_value_t list[64];
	cap_flag_value_t have;
	cap_t cur, next;
	int i, n = caps_count(), count = 0, ret = -1;

	if (hcrun_caps_bound(caps, err) < 0)
		return -1;
	cur = cap_get_proc();
	if (cur == NULL)
		return hc_error_sys(err, errno, "read the process capabilities");
	/*
	 * Only what the process still holds can be kept: "ALL" asked of an
	 * hcrun that itself runs without some capability (or a non-root user,
	 * whose permitted set the uid switch emptied) yields what there is,
	 * as docker --privileged does, rather than a failure.
	 */
	for (i = 0; i < n; i++) {
		if (!(caps & CAP_BIT(i)))
			continue;
		if (cap_get_flag(cur, i, CAP_PERMITTED, &have) < 0) {
			hc_error_sys(err, errno, "read capability %d", i);
			goto out_cur;
		}
		if (have == CAP_SET)
			list[count++] = i;
	}
	/*
	 * The inheritable set stays empty, as docker since 20.10.14
	 * (CVE-2022-24769): a non-empty one would pass capabilities to a file
	 * with inheritable file capabilities even for a non-root user.
	 */
	next = cap_init();
	if (next == NULL) {
		hc_error_sys(err, errno, "allocate a capability set");
		goto out_cur;
	}
	if (count > 0 && (cap_set_flag(next, CAP_PERMITTED, count, list, CAP_SET) < 0 ||
			  cap_set_flag(next, CAP_EFFECTIVE, count, list, CAP_SET) < 0)) {
		hc_error_sys(err, errno, "build the capability set");
		goto out_next;
	}
	if (cap_set_proc(next) < 0) {
		hc_error_sys(err, errno, "set the process capabilities");
		goto out_next;
	}
	ret = 0;
out_next:
	cap_free(next);
out_cur:
	cap_free(cur);
	return ret;
}
