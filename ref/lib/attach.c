// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The container half of a channel: bind the host tmpfs at the container path,
 * inside the container's own mount namespace, before pivot_root.
 *
 * The rootfs is the container image's, so any symlink in it is hostile until
 * shown otherwise: the container path is resolved with hc_mkdir_in_root
 * (resolve.c), which treats "/" and ".." as the rootfs's own, and the bind
 * is attached to the resolved directory's fd, never to a path. The bind
 * is built detached (open_tree) and only attached once it is read-only and
 * has its propagation, so the container never sees it half made.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "hostchannel.h"
#include "mountapi.h"

/*
 * The directory the bind goes on, made (0755, whatever the umask) with its
 * missing parents inside the rootfs.
 */
static int resolve_target(int rootfd, const char *rootfs, const char *cpath, hc_error_t **err)
{
	const char *rel = cpath;
	int fd;

	while (*rel == '/')
		rel++;
	if (*rel == '\0')
		return hc_error_set(err, EINVAL, "container path \"/\" cannot be a host channel");
	fd = hc_mkdir_in_root(rootfd, cpath, 0755, err);
	if (fd < 0)
		return hc_error_prefix(err, "container path \"%s\" in rootfs \"%s\"", cpath,
				       rootfs);
	return fd;
}

/* A symlink at the container path could name the rootfs itself. */
static int refuse_root(int rootfd, int targetfd, const char *cpath, const char *rootfs,
		       hc_error_t **err)
{
	struct stat root, target;

	if (fstat(rootfd, &root) < 0 || fstat(targetfd, &target) < 0)
		return hc_error_sys(err, errno,
				    "cannot stat container path \"%s\" in rootfs \"%s\"", cpath,
				    rootfs);
	if (root.st_dev == target.st_dev && root.st_ino == target.st_ino)
		return hc_error_set(err, EINVAL,
				    "container path \"%s\" resolves to the root of rootfs \"%s\"; "
				    "the host channel would cover the whole container",
				    cpath, rootfs);
	return 0;
}

static int set_attr(int treefd, unsigned int flags, uint64_t set, uint64_t propagation)
{
	struct hc_mount_attr attr = {.attr_set = set, .propagation = propagation};

	return (int)syscall(SYS_mount_setattr, treefd, "", AT_EMPTY_PATH | flags, &attr,
			    sizeof(attr));
}

/*
 * open_tree + mount_setattr + move_mount. Returns 1 when the kernel lacks
 * them (open_tree: 5.2, mount_setattr: 5.12), before anything is attached.
 */
static int attach_new_api(const struct hc_spec *spec, const char *host_real_path, int targetfd,
			  unsigned long prop, hc_error_t **err)
{
	hc_cleanup_close int treefd = -1;
	uint64_t rdonly = spec->readonly ? MOUNT_ATTR_RDONLY : 0;
	uint64_t propagation = prop & ~(unsigned long)MS_REC;
	int rc;

	treefd = (int)syscall(SYS_open_tree, AT_FDCWD, host_real_path,
			      OPEN_TREE_CLONE | AT_RECURSIVE | OPEN_TREE_CLOEXEC);
	if (treefd < 0 && errno == ENOSYS)
		return 1;
	if (treefd < 0)
		return hc_error_sys(err, errno, "cannot bind host channel \"%s\"", host_real_path);

	/* ro covers the whole tree; propagation only as deep as the word says. */
	if (prop & MS_REC) {
		rc = set_attr(treefd, AT_RECURSIVE, rdonly, propagation);
	} else {
		rc = rdonly != 0 ? set_attr(treefd, AT_RECURSIVE, rdonly, 0) : 0;
		if (rc == 0)
			rc = set_attr(treefd, 0, 0, propagation);
	}
	if (rc < 0 && errno == ENOSYS)
		return 1;
	if (rc < 0)
		return hc_error_sys(err, errno, "cannot set %s,%s on the bind of \"%s\"",
				    spec->readonly ? "ro" : "rw",
				    hc_propagation_name(spec->propagation), host_real_path);

	if (syscall(SYS_move_mount, treefd, "", targetfd, "",
		    MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
		return hc_error_sys(err, errno, "cannot bind host channel \"%s\" at \"%s\"",
				    host_real_path, spec->container_path);
	return 0;
}

/*
 * For kernels without the new mount API: mount(2) on /proc/self/fd/<target>,
 * then reach the new bind by a fresh lookup (the fd still names the covered
 * directory) to make it read-only and set its propagation.
 */
static int attach_mount2(const struct hc_spec *spec, const char *host_real_path, int rootfd,
			 int targetfd, unsigned long prop, hc_error_t **err)
{
	hc_cleanup_close int bindfd = -1;
	char target[64], bind[64];
	struct stat host_st, bind_st;
	struct statvfs sv;
	unsigned long keep;

	if (stat(host_real_path, &host_st) < 0)
		return hc_error_sys(err, errno, "cannot stat host channel \"%s\"", host_real_path);
	snprintf(target, sizeof(target), "/proc/self/fd/%d", targetfd);
	if (mount(host_real_path, target, NO_FSTYPE, MS_BIND | MS_REC, NULL) < 0)
		return hc_error_sys(err, errno, "cannot bind host channel \"%s\" at \"%s\"",
				    host_real_path, spec->container_path);

	bindfd = hc_open_in_root(rootfd, spec->container_path, O_PATH | O_DIRECTORY | O_CLOEXEC,
				 NULL);
	if (bindfd < 0) {
		hc_error_sys(err, errno, "cannot open the new bind at \"%s\"",
			     spec->container_path);
		goto undo_target;
	}
	if (fstat(bindfd, &bind_st) < 0) {
		hc_error_sys(err, errno, "cannot stat the new bind at \"%s\"",
			     spec->container_path);
		goto undo_target;
	}
	if (bind_st.st_dev != host_st.st_dev || bind_st.st_ino != host_st.st_ino) {
		hc_error_set(err, EBUSY,
			     "\"%s\" is not the bind just made; something was mounted over it "
			     "meanwhile",
			     spec->container_path);
		goto undo_target;
	}
	snprintf(bind, sizeof(bind), "/proc/self/fd/%d", bindfd);

	if (spec->readonly) {
		/* A bind remount sets every flag: keep what the host tmpfs has. */
		if (fstatvfs(bindfd, &sv) < 0) {
			hc_error_sys(err, errno, "cannot read the flags of \"%s\"",
				     spec->container_path);
			goto undo_bind;
		}
		keep = sv.f_flag & (ST_NOSUID | ST_NODEV | ST_NOEXEC | ST_NOATIME | ST_NODIRATIME |
				    ST_RELATIME);
		if (mount(NULL, bind, NO_FSTYPE, MS_REMOUNT | MS_BIND | MS_RDONLY | keep, NULL) <
		    0) {
			hc_error_sys(err, errno, "cannot make the bind at \"%s\" read-only",
				     spec->container_path);
			goto undo_bind;
		}
	}
	if (mount(NULL, bind, NO_FSTYPE, prop, NULL) < 0) {
		hc_error_sys(err, errno, "cannot make the bind at \"%s\" %s", spec->container_path,
			     hc_propagation_name(spec->propagation));
		goto undo_bind;
	}
	return 0;

undo_bind:
	/* Our own fd pins it: only a lazy unmount takes it back. */
	if (umount2(bind, MNT_DETACH) < 0)
		return hc_error_prefix(err, "the bind at \"%s\" is left in place (%s)",
				       spec->container_path, strerror(errno));
	return -1;

undo_target:
	/* The bind's root cannot be reached, so nothing safe is left to undo. */
	return hc_error_prefix(err, "the bind at \"%s\" is left in place", spec->container_path);
}

int hc_attach(const struct hc_spec *spec, const char *host_real_path, const char *rootfs,
	      hc_error_t **err)
{
	hc_cleanup_close int rootfd = -1, targetfd = -1;
	unsigned long prop;
	int rc;

	if (spec == NULL || host_real_path == NULL || rootfs == NULL)
		return hc_error_set(err, EINVAL, "hc_attach: missing argument");
	if (spec->container_path[0] != '/')
		return hc_error_set(err, EINVAL, "container path \"%s\" is not absolute",
				    spec->container_path);
	prop = hc_propagation_flags(spec->propagation);
	if (prop == 0)
		return hc_error_set(err, EINVAL, "unknown mount propagation %d for \"%s\"",
				    (int)spec->propagation, spec->container_path);

	rootfd = open(rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0)
		return hc_error_sys(err, errno, "cannot open rootfs \"%s\"", rootfs);
	targetfd = resolve_target(rootfd, rootfs, spec->container_path, err);
	if (targetfd < 0)
		return -1;
	if (refuse_root(rootfd, targetfd, spec->container_path, rootfs, err) < 0)
		return -1;

	rc = attach_new_api(spec, host_real_path, targetfd, prop, err);
	if (rc == 1)
		rc = attach_mount2(spec, host_real_path, rootfd, targetfd, prop, err);
	return rc < 0 ? -1 : 0;
}
