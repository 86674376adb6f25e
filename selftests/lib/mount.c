// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Private mount namespaces, scratch directories, tmpfs, and mountinfo read
 * through libmount (it decodes the octal escapes and splits the option
 * strings the way mount(8) does; a hand-written parser would not).
 */
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>

#include <libmount.h>

#include "hctest.h"

int hct_private_mount_ns(void)
{
	if (unshare(CLONE_NEWNS) < 0)
		return -errno;
	/* Without this, a shared / would carry our mounts back to the host. */
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		return -errno;
	return 0;
}

int hct_make_tmpdir(char *dir, const char *what)
{
	/* The pid in the name lets the harness find what a killed test left. */
	int n = snprintf(dir, PATH_MAX, "/tmp/" HCT_PREFIX "-%d-%s-XXXXXX", (int)getpid(), what);

	if (n < 0 || n >= PATH_MAX)
		return -ENAMETOOLONG;
	if (!mkdtemp(dir)) {
		dir[0] = '\0';
		return -errno;
	}
	return 0;
}

int hct_mount_tmpfs(const char *dir, unsigned long flags, const char *data)
{
	if (mount(HCT_PREFIX, dir, "tmpfs", flags, data) < 0)
		return -errno;
	return 0;
}

static void copy_str(char *dst, size_t size, const char *src)
{
	snprintf(dst, size, "%s", src ? src : "");
}

/* The topmost mount at target in tb into m; -ENOENT when there is none. */
static int table_lookup(struct libmnt_table *tb, const char *target, struct hct_mount *m)
{
	/* Backward: the last mount on a mount point is the one on top. */
	struct libmnt_fs *fs = mnt_table_find_target(tb, target, MNT_ITER_BACKWARD);

	if (!fs)
		return -ENOENT;
	copy_str(m->fstype, sizeof(m->fstype), mnt_fs_get_fstype(fs));
	copy_str(m->source, sizeof(m->source), mnt_fs_get_source(fs));
	copy_str(m->vfs_options, sizeof(m->vfs_options), mnt_fs_get_vfs_options(fs));
	copy_str(m->fs_options, sizeof(m->fs_options), mnt_fs_get_fs_options(fs));
	copy_str(m->optional_fields, sizeof(m->optional_fields), mnt_fs_get_optional_fields(fs));
	return 0;
}

int hct_mount_lookup(const char *target, struct hct_mount *m)
{
	struct libmnt_table *tb;
	int ret;

	tb = mnt_new_table_from_file("/proc/self/mountinfo");
	if (!tb)
		return -errno ? -errno : -EIO;
	ret = table_lookup(tb, target, m);
	mnt_unref_table(tb);
	return ret;
}

int hct_mount_lookup_text(const char *text, const char *target, struct hct_mount *m)
{
	struct libmnt_table *tb;
	FILE *f;
	int ret;

	f = fmemopen((void *)text, strlen(text), "r");
	if (!f)
		return -errno;
	tb = mnt_new_table();
	if (!tb) {
		fclose(f);
		return -ENOMEM;
	}
	if (mnt_table_parse_stream(tb, f, "mountinfo text") != 0)
		ret = -EBADMSG;
	else
		ret = table_lookup(tb, target, m);
	mnt_unref_table(tb);
	fclose(f);
	return ret;
}

bool hct_opt_has(const char *optstr, const char *name, const char *value)
{
	char *val = NULL;
	size_t len = 0;

	if (!optstr || mnt_optstr_get_option(optstr, name, &val, &len) != 0)
		return false;
	if (!value)
		return true;
	return val && len == strlen(value) && strncmp(val, value, len) == 0;
}
