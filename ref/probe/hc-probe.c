// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * hc-probe: one small static binary that tests run inside containers, where
 * busybox has no way to mmap a file, fill a file system up to ENOSPC, talk
 * over a unix socket or name the errno of a refused operation. libc only.
 *
 * Every subcommand prints exactly one result line on stdout when it succeeds.
 * When it fails it prints, on stderr,
 *
 *   hc-probe: <op> <path>: <strerror> (errno=<NAME>)
 *
 * so a test can assert the exact errno (EROFS, ENOSPC, EACCES, EPERM, ...).
 * Exit status: 0 success, 1 the operation failed, 2 usage error.
 *
 *   fill PATH [BS]              write zeros in BS-byte writes (default 4096)
 *                               until the file system refuses; "bytes=<n>"
 *                               always; exit 0 only when it stopped at ENOSPC
 *   write PATH BYTES [SEED]     BYTES bytes of the pattern for SEED (default
 *                               1); "bytes=<n> sum=<fnv1a-64 hex>"
 *   read PATH                   the whole file; "bytes=<n> sum=<hex>"
 *   anon MIB [HOLD_SECONDS]     allocate and touch MIB MiB of anonymous
 *                               memory; "anon=<MIB>", then hold it
 *   mmap-write PATH BYTES [SEED]  ftruncate to BYTES, mmap MAP_SHARED, write
 *                               the pattern; "bytes=<n> sum=<hex>"
 *   mmap-read PATH BYTES        mmap MAP_SHARED, read; "bytes=<n> sum=<hex>"
 *   stat PATH                   PATH itself, not a symlink's target: "mode=<octal>
 *                               uid= gid= type= fstype= size= ro="
 *   try OP PATH                 one operation; "ok" or the errno
 *   remount-rw PATH             try to make a bind mount writable; "ok"
 *   fifo-read PATH              read a FIFO to EOF; "data=<text>"
 *   fifo-write PATH DATA        write DATA to a FIFO; "bytes=<n>"
 *   unix-listen PATH            serve one echo connection; "data=<line>"
 *   unix-connect PATH DATA      send DATA, read the echo; "data=<reply>"
 *   sleep SECONDS               "ok" after sleeping
 *   id                          "uid=<n> gid=<n> capeff=<hex>"
 *
 * The pattern is position-addressed (every 8-byte word is a hash of the seed
 * and the word's index), so write, mmap-write, read and mmap-read agree
 * whatever the chunk sizes; equal sums mean equal bytes, with FNV-1a's
 * confidence. The pattern and the sum come from hc-pattern.h, which the
 * selftests include too. `hc-probe --help` says the same with the details.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <linux/capability.h>
#include <linux/magic.h>

#include "hc-pattern.h"

#define EXIT_OK	   0
#define EXIT_FAIL  1
#define EXIT_USAGE 2

#define CHUNK (1 << 16)
#define MIB   (1ULL << 20)
/* A listener needs a moment between bind() and listen(); connect waits this long. */
#define CONNECT_RETRY_MS 5000
#define LINE_MAX_BYTES	 4096

static const char usage_text[] =
	"usage: hc-probe SUBCOMMAND ARGS...\n"
	"\n"
	"Each subcommand prints one result line on stdout on success. On failure:\n"
	"  hc-probe: <op> <path>: <strerror> (errno=<NAME>)   on stderr\n"
	"Exit status: 0 ok, 1 the operation failed, 2 usage error.\n"
	"\n"
	"  fill PATH [BS]             create/truncate PATH, write zeros BS bytes at a time\n"
	"                             (default 4096) until a write fails; prints bytes=<n>;\n"
	"                             exit 0 only when it stopped at ENOSPC\n"
	"  write PATH BYTES [SEED]    create/truncate PATH, write BYTES bytes of the pattern\n"
	"                             of SEED (default 1); prints bytes=<n> sum=<hex>\n"
	"  read PATH                  read PATH to EOF; prints bytes=<n> sum=<hex>\n"
	"  anon MIB [HOLD_SECONDS]    mmap and touch MIB MiB of anonymous memory; prints\n"
	"                             anon=<MIB>, then holds it HOLD_SECONDS (default 0)\n"
	"  mmap-write PATH BYTES [SEED]\n"
	"                             create PATH, ftruncate it to BYTES, mmap MAP_SHARED and\n"
	"                             write the pattern; prints bytes=<n> sum=<hex>\n"
	"  mmap-read PATH BYTES       mmap BYTES of PATH MAP_SHARED and read them; prints\n"
	"                             bytes=<n> sum=<hex>\n"
	"                             (a SIGBUS while touching the mapping, e.g. a full tmpfs\n"
	"                             or a file shorter than BYTES, is reported as\n"
	"                             \"(signal=SIGBUS)\" with exit 1)\n"
	"  stat PATH                  PATH itself (a symlink is not followed); prints\n"
	"                             mode=<octal, type bits included> uid=<n> gid=<n>\n"
	"                             type=<dir|file|fifo|sock|link|other>\n"
	"                             fstype=<name or 0x magic> size=<f_blocks*f_bsize>\n"
	"                             ro=<0|1, ST_RDONLY>\n"
	"  try OP PATH                one operation on PATH; prints ok. OP is one of:\n"
	"                               create      open O_CREAT|O_EXCL, mode 0644\n"
	"                               write       open O_CREAT|O_TRUNC and write 1 byte\n"
	"                               append      open O_APPEND (no create), write 1 byte\n"
	"                               unlink      unlink PATH\n"
	"                               mkdir       mkdir PATH 0755\n"
	"                               rmdir       rmdir PATH\n"
	"                               mkfifo      mkfifo PATH 0644\n"
	"                               mknod-fifo  mknod PATH S_IFIFO|0644\n"
	"                               symlink     symlink \"hc-probe-target\" at PATH\n"
	"                               rename      rename PATH to PATH.renamed and back\n"
	"                               truncate    truncate PATH to 0 bytes\n"
	"                               chmod       chmod PATH to the mode it has already\n"
	"  remount-rw PATH            mount(NULL, PATH, NULL, MS_REMOUNT|MS_BIND, NULL):\n"
	"                             try to make the mount writable (EPERM expected without\n"
	"                             CAP_SYS_ADMIN); prints ok\n"
	"  fifo-read PATH             open the FIFO, read to EOF; prints data=<text>\n"
	"  fifo-write PATH DATA       open the FIFO, write DATA and a newline; prints bytes=<n>\n"
	"  unix-listen PATH           bind a unix stream socket at PATH, accept one\n"
	"                             connection, read one line, echo it back, remove PATH;\n"
	"                             prints data=<line>\n"
	"  unix-connect PATH DATA     connect (retrying up to 5 s while PATH is missing or\n"
	"                             refuses), send DATA and a newline, read the reply;\n"
	"                             prints data=<reply>\n"
	"  sleep SECONDS              sleep; prints ok\n"
	"  id                         prints uid=<n> gid=<n> capeff=<16 hex digits> (CapEff\n"
	"                             from /proc/self/status; capget(2) without /proc)\n"
	"\n"
	"Numbers are decimal. The pattern: 64-bit word i of the data is\n"
	"splitmix64(SEED + i), little-endian; sums are FNV-1a 64 over the bytes.\n";

/* ------------------------------------------------------------ reporting */

static const char *errno_name(int e)
{
	const char *name = strerrorname_np(e);

	return name != NULL ? name : "unknown";
}

static int fail(const char *op, const char *path, int e)
{
	fprintf(stderr, "hc-probe: %s %s: %s (errno=%s)\n", op, path, strerror(e), errno_name(e));
	return EXIT_FAIL;
}

static int usage(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int usage(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "hc-probe: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n(hc-probe --help lists the subcommands)\n");
	return EXIT_USAGE;
}

/* The result line must reach the test even when stdout is a pipe. */
static int result(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int result(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	if (fflush(stdout) != 0)
		return fail("write", "<stdout>", errno);
	return EXIT_OK;
}

/* Strict decimal: no sign, no blanks, no overflow. */
static int parse_u64(const char *text, uint64_t *value)
{
	uint64_t v = 0;

	if (text == NULL || *text == '\0')
		return -1;
	for (const char *p = text; *p; p++) {
		if (*p < '0' || *p > '9')
			return -1;
		if (v > (UINT64_MAX - (uint64_t)(*p - '0')) / 10)
			return -1;
		v = v * 10 + (uint64_t)(*p - '0');
	}
	*value = v;
	return 0;
}

/* write(2) until done; a short write is followed by one that says why. */
static int write_all(int fd, const void *buf, size_t len, uint64_t *done)
{
	const char *p = buf;

	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0) {
			errno = EIO;
			return -1;
		}
		p += n;
		len -= (size_t)n;
		*done += (uint64_t)n;
	}
	return 0;
}

/* -------------------------------------------------------- subcommands */

static int cmd_fill(int argc, char **argv)
{
	static char zeros[1 << 20];
	const char *path = argv[0];
	uint64_t bs = 4096, done = 0;
	int fd, e;

	if (argc < 1 || argc > 2)
		return usage("fill: expected PATH [BS]");
	if (argc == 2 && (parse_u64(argv[1], &bs) < 0 || bs == 0 || bs > sizeof(zeros)))
		return usage("fill: BS \"%s\" must be 1..1048576", argv[1]);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return fail("fill", path, errno);
	while (write_all(fd, zeros, bs, &done) == 0)
		;
	e = errno;
	/* tmpfs reports ENOSPC at write time; a later error at close still counts. */
	if (close(fd) < 0 && e == ENOSPC)
		e = errno;
	result("bytes=%" PRIu64, done);
	return e == ENOSPC ? EXIT_OK : fail("fill", path, e);
}

static int cmd_write(int argc, char **argv)
{
	static unsigned char buf[CHUNK];
	const char *path = argv[0];
	uint64_t bytes, seed = 1, done = 0, sum = HC_FNV1A_OFFSET;
	int fd;

	if (argc < 2 || argc > 3)
		return usage("write: expected PATH BYTES [SEED]");
	if (parse_u64(argv[1], &bytes) < 0)
		return usage("write: BYTES \"%s\" is not a number", argv[1]);
	if (argc == 3 && parse_u64(argv[2], &seed) < 0)
		return usage("write: SEED \"%s\" is not a number", argv[2]);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return fail("write", path, errno);
	while (done < bytes) {
		size_t n = bytes - done < sizeof(buf) ? (size_t)(bytes - done) : sizeof(buf);

		hc_pattern_fill(seed, done, buf, n);
		sum = hc_fnv1a(sum, buf, n);
		if (write_all(fd, buf, n, &done) < 0) {
			int e = errno;

			close(fd);
			return fail("write", path, e);
		}
	}
	if (close(fd) < 0)
		return fail("write", path, errno);
	return result("bytes=%" PRIu64 " sum=%016" PRIx64, done, sum);
}

static int cmd_read(int argc, char **argv)
{
	static unsigned char buf[CHUNK];
	const char *path = argv[0];
	uint64_t done = 0, sum = HC_FNV1A_OFFSET;
	int fd;

	if (argc != 1)
		return usage("read: expected PATH");
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return fail("read", path, errno);
	for (;;) {
		ssize_t n = read(fd, buf, sizeof(buf));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int e = errno;

			close(fd);
			return fail("read", path, e);
		}
		if (n == 0)
			break;
		sum = hc_fnv1a(sum, buf, (size_t)n);
		done += (uint64_t)n;
	}
	close(fd);
	return result("bytes=%" PRIu64 " sum=%016" PRIx64, done, sum);
}

static int sleep_seconds(uint64_t seconds)
{
	struct timespec ts = {.tv_sec = (time_t)seconds, .tv_nsec = 0};

	while (nanosleep(&ts, &ts) < 0) {
		if (errno != EINTR)
			return -1;
	}
	return 0;
}

static int cmd_anon(int argc, char **argv)
{
	uint64_t mib, hold = 0;
	long page = sysconf(_SC_PAGESIZE);
	unsigned char *mem;

	if (argc < 1 || argc > 2)
		return usage("anon: expected MIB [HOLD_SECONDS]");
	if (parse_u64(argv[0], &mib) < 0 || mib == 0 || mib > (SIZE_MAX >> 20))
		return usage("anon: MIB \"%s\" must be a positive number", argv[0]);
	if (argc == 2 && parse_u64(argv[1], &hold) < 0)
		return usage("anon: HOLD_SECONDS \"%s\" is not a number", argv[1]);
	mem = mmap(NULL, mib * MIB, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED)
		return fail("anon", argv[0], errno);
	/* Non-zero bytes: every page must be charged, none shared with the zero page. */
	for (uint64_t off = 0; off < mib * MIB; off += (uint64_t)page)
		mem[off] = 0x5a;
	if (result("anon=%" PRIu64, mib) != EXIT_OK)
		return EXIT_FAIL;
	if (hold > 0 && sleep_seconds(hold) < 0)
		return fail("anon", "sleep", errno);
	return EXIT_OK;
}

/*
 * Touching a MAP_SHARED mapping past what the file system can back (full
 * tmpfs, file shorter than the mapping) raises SIGBUS instead of returning
 * an errno; report it in the usual shape rather than dying silently.
 */
static sigjmp_buf bus_jump;

static void on_sigbus(int sig)
{
	siglongjmp(bus_jump, sig);
}

static int catch_sigbus(void)
{
	struct sigaction sa = {.sa_handler = on_sigbus};

	sigemptyset(&sa.sa_mask);
	return sigaction(SIGBUS, &sa, NULL);
}

static int mmap_common(const char *op, const char *path, uint64_t bytes, bool writing,
		       uint64_t seed)
{
	volatile uint64_t sum = HC_FNV1A_OFFSET;
	unsigned char *map;
	int fd, e;

	fd = open(path, (writing ? O_RDWR | O_CREAT : O_RDONLY) | O_CLOEXEC, 0644);
	if (fd < 0)
		return fail(op, path, errno);
	if (writing && ftruncate(fd, (off_t)bytes) < 0) {
		e = errno;
		close(fd);
		return fail(op, path, e);
	}
	if (bytes == 0) {
		close(fd);
		return result("bytes=0 sum=%016" PRIx64, (uint64_t)HC_FNV1A_OFFSET);
	}
	map = mmap(NULL, bytes, writing ? PROT_READ | PROT_WRITE : PROT_READ, MAP_SHARED, fd, 0);
	e = errno;
	close(fd);
	if (map == MAP_FAILED)
		return fail(op, path, e);
	if (catch_sigbus() < 0)
		return fail(op, "sigaction", errno);
	if (sigsetjmp(bus_jump, 1) != 0) {
		fprintf(stderr, "hc-probe: %s %s: Bus error (signal=SIGBUS)\n", op, path);
		return EXIT_FAIL;
	}
	for (uint64_t off = 0; off < bytes; off += CHUNK) {
		size_t n = bytes - off < CHUNK ? (size_t)(bytes - off) : CHUNK;

		if (writing)
			hc_pattern_fill(seed, off, map + off, n);
		sum = hc_fnv1a(sum, map + off, n);
	}
	if (writing && msync(map, bytes, MS_SYNC) < 0)
		return fail(op, path, errno);
	if (munmap(map, bytes) < 0)
		return fail(op, path, errno);
	return result("bytes=%" PRIu64 " sum=%016" PRIx64, bytes, (uint64_t)sum);
}

static int cmd_mmap_write(int argc, char **argv)
{
	uint64_t bytes, seed = 1;

	if (argc < 2 || argc > 3)
		return usage("mmap-write: expected PATH BYTES [SEED]");
	if (parse_u64(argv[1], &bytes) < 0 || bytes > SIZE_MAX)
		return usage("mmap-write: BYTES \"%s\" is not a number", argv[1]);
	if (argc == 3 && parse_u64(argv[2], &seed) < 0)
		return usage("mmap-write: SEED \"%s\" is not a number", argv[2]);
	return mmap_common("mmap-write", argv[0], bytes, true, seed);
}

static int cmd_mmap_read(int argc, char **argv)
{
	uint64_t bytes;

	if (argc != 2)
		return usage("mmap-read: expected PATH BYTES");
	if (parse_u64(argv[1], &bytes) < 0 || bytes > SIZE_MAX)
		return usage("mmap-read: BYTES \"%s\" is not a number", argv[1]);
	return mmap_common("mmap-read", argv[0], bytes, false, 0);
}

static const char *fs_name(unsigned long magic)
{
	static const struct {
		unsigned long magic;
		const char *name;
	} names[] = {
		{TMPFS_MAGIC, "tmpfs"},
		{RAMFS_MAGIC, "ramfs"},
		{EXT4_SUPER_MAGIC, "ext4"}, /* ext2 and ext3 share the magic */
		{BTRFS_SUPER_MAGIC, "btrfs"},
		{XFS_SUPER_MAGIC, "xfs"},
		{OVERLAYFS_SUPER_MAGIC, "overlay"},
		{PROC_SUPER_MAGIC, "proc"},
		{SYSFS_MAGIC, "sysfs"},
		{CGROUP_SUPER_MAGIC, "cgroup"},
		{CGROUP2_SUPER_MAGIC, "cgroup2"},
		{DEVPTS_SUPER_MAGIC, "devpts"},
		{SQUASHFS_MAGIC, "squashfs"},
		{NFS_SUPER_MAGIC, "nfs"},
		{V9FS_MAGIC, "9p"},
		{FUSE_SUPER_MAGIC, "fuse"},
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (names[i].magic == magic)
			return names[i].name;
	}
	return NULL;
}

static const char *type_name(mode_t mode)
{
	if (S_ISDIR(mode))
		return "dir";
	if (S_ISREG(mode))
		return "file";
	if (S_ISFIFO(mode))
		return "fifo";
	if (S_ISSOCK(mode))
		return "sock";
	if (S_ISLNK(mode))
		return "link";
	return "other";
}

static int cmd_stat(int argc, char **argv)
{
	const char *path = argv[0];
	char magic[32];
	const char *fstype;
	struct statvfs vfs;
	struct statfs sfs;
	struct stat st;
	int fd, e;

	if (argc != 1)
		return usage("stat: expected PATH");
	/*
	 * O_PATH|O_NOFOLLOW: one object for all three calls, and a symlink
	 * (dangling or not) is described itself, on the file system it lives on.
	 */
	fd = open(path, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return fail("stat", path, errno);
	if (fstat(fd, &st) < 0 || fstatfs(fd, &sfs) < 0 || fstatvfs(fd, &vfs) < 0) {
		e = errno;
		close(fd);
		return fail("stat", path, e);
	}
	close(fd);
	fstype = fs_name((unsigned long)sfs.f_type);
	if (fstype == NULL) {
		snprintf(magic, sizeof(magic), "0x%lx", (unsigned long)sfs.f_type);
		fstype = magic;
	}
	return result("mode=%o uid=%u gid=%u type=%s fstype=%s size=%" PRIu64 " ro=%d",
		      (unsigned int)st.st_mode, (unsigned int)st.st_uid, (unsigned int)st.st_gid,
		      type_name(st.st_mode), fstype, (uint64_t)sfs.f_blocks * (uint64_t)sfs.f_bsize,
		      (vfs.f_flag & ST_RDONLY) ? 1 : 0);
}

/* Open, write one byte, close: each step can be the one refused. */
static int open_write_close(const char *path, int flags)
{
	uint64_t done = 0;
	int fd = open(path, flags | O_WRONLY | O_CLOEXEC, 0644);

	if (fd < 0)
		return -1;
	if (write_all(fd, "x", 1, &done) < 0) {
		int e = errno;

		close(fd);
		errno = e;
		return -1;
	}
	return close(fd);
}

static int try_rename(const char *path)
{
	char renamed[4096];

	if (snprintf(renamed, sizeof(renamed), "%s.renamed", path) >= (int)sizeof(renamed)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if (rename(path, renamed) < 0)
		return -1;
	/* Back again: a test asks whether renaming is allowed, not for a new name. */
	return rename(renamed, path);
}

static int try_chmod(const char *path)
{
	struct stat st;

	if (stat(path, &st) < 0)
		return -1;
	/* The same mode: the permission check and EROFS without changing anything. */
	return chmod(path, st.st_mode & 07777);
}

static int cmd_try(int argc, char **argv)
{
	const char *op, *path;
	int fd, rc;

	if (argc != 2)
		return usage("try: expected OP PATH");
	op = argv[0];
	path = argv[1];
	if (strcmp(op, "create") == 0) {
		fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
		rc = fd < 0 ? -1 : close(fd);
	} else if (strcmp(op, "write") == 0) {
		rc = open_write_close(path, O_CREAT | O_TRUNC);
	} else if (strcmp(op, "append") == 0) {
		rc = open_write_close(path, O_APPEND);
	} else if (strcmp(op, "unlink") == 0) {
		rc = unlink(path);
	} else if (strcmp(op, "mkdir") == 0) {
		rc = mkdir(path, 0755);
	} else if (strcmp(op, "rmdir") == 0) {
		rc = rmdir(path);
	} else if (strcmp(op, "mkfifo") == 0) {
		rc = mkfifo(path, 0644);
	} else if (strcmp(op, "mknod-fifo") == 0) {
		rc = mknod(path, S_IFIFO | 0644, 0);
	} else if (strcmp(op, "symlink") == 0) {
		rc = symlink("hc-probe-target", path);
	} else if (strcmp(op, "rename") == 0) {
		rc = try_rename(path);
	} else if (strcmp(op, "truncate") == 0) {
		rc = truncate(path, 0);
	} else if (strcmp(op, "chmod") == 0) {
		rc = try_chmod(path);
	} else {
		return usage("try: unknown OP \"%s\"", op);
	}
	if (rc < 0) {
		char what[64];

		snprintf(what, sizeof(what), "try %s", op);
		return fail(what, path, errno);
	}
	return result("ok");
}

static int cmd_remount_rw(int argc, char **argv)
{
	if (argc != 1)
		return usage("remount-rw: expected PATH");
	/* No MS_RDONLY in the flags: the request is "make this bind mount writable". */
	if (mount(NULL, argv[0], NULL, MS_REMOUNT | MS_BIND, NULL) < 0)
		return fail("remount-rw", argv[0], errno);
	return result("ok");
}

/* Read fd to EOF (or to the first newline when one_line) into buf. */
static ssize_t read_text(int fd, char *buf, size_t size, bool one_line)
{
	size_t used = 0;

	while (used + 1 < size) {
		ssize_t n = read(fd, buf + used, one_line ? 1 : size - used - 1);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0)
			break;
		used += (size_t)n;
		if (one_line && buf[used - 1] == '\n')
			break;
	}
	buf[used] = '\0';
	while (used > 0 && buf[used - 1] == '\n')
		buf[--used] = '\0';
	return (ssize_t)used;
}

static int cmd_fifo_read(int argc, char **argv)
{
	char buf[LINE_MAX_BYTES];
	int fd, e;

	if (argc != 1)
		return usage("fifo-read: expected PATH");
	/* Blocks until a writer opens the other end. */
	fd = open(argv[0], O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return fail("fifo-read", argv[0], errno);
	if (read_text(fd, buf, sizeof(buf), false) < 0) {
		e = errno;
		close(fd);
		return fail("fifo-read", argv[0], e);
	}
	close(fd);
	return result("data=%s", buf);
}

static int cmd_fifo_write(int argc, char **argv)
{
	uint64_t done = 0;
	int fd, e;

	if (argc != 2)
		return usage("fifo-write: expected PATH DATA");
	/* Blocks until a reader opens the other end. */
	fd = open(argv[0], O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return fail("fifo-write", argv[0], errno);
	if (write_all(fd, argv[1], strlen(argv[1]), &done) < 0 ||
	    write_all(fd, "\n", 1, &done) < 0) {
		e = errno;
		close(fd);
		return fail("fifo-write", argv[0], e);
	}
	if (close(fd) < 0)
		return fail("fifo-write", argv[0], errno);
	return result("bytes=%" PRIu64, done);
}

static int unix_addr(const char *path, struct sockaddr_un *addr)
{
	memset(addr, 0, sizeof(*addr));
	addr->sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(addr->sun_path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	strcpy(addr->sun_path, path);
	return 0;
}

static int cmd_unix_listen(int argc, char **argv)
{
	const char *path = argv[0];
	char line[LINE_MAX_BYTES];
	struct sockaddr_un addr;
	uint64_t done = 0;
	int sfd, cfd, e;
	const char *step;

	if (argc != 1)
		return usage("unix-listen: expected PATH");
	if (unix_addr(path, &addr) < 0)
		return fail("unix-listen", path, errno);
	sfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (sfd < 0)
		return fail("unix-listen socket", path, errno);
	if (bind(sfd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
		e = errno;
		close(sfd);
		return fail("unix-listen bind", path, e);
	}
	step = "listen";
	if (listen(sfd, 1) < 0)
		goto fail_bound;
	step = "accept";
	do {
		cfd = accept4(sfd, NULL, NULL, SOCK_CLOEXEC);
	} while (cfd < 0 && errno == EINTR);
	if (cfd < 0)
		goto fail_bound;
	step = "read";
	if (read_text(cfd, line, sizeof(line) - 1, true) < 0)
		goto fail_conn;
	step = "write";
	if (write_all(cfd, line, strlen(line), &done) < 0 || write_all(cfd, "\n", 1, &done) < 0)
		goto fail_conn;
	close(cfd);
	close(sfd);
	/* The socket file is ours: leave the directory as we found it. */
	if (unlink(path) < 0)
		return fail("unix-listen unlink", path, errno);
	return result("data=%s", line);

fail_conn:
	e = errno;
	close(cfd);
	errno = e;
fail_bound:
	e = errno;
	close(sfd);
	unlink(path);
	{
		char what[64];

		snprintf(what, sizeof(what), "unix-listen %s", step);
		return fail(what, path, e);
	}
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int cmd_unix_connect(int argc, char **argv)
{
	const char *path = argv[0];
	char reply[LINE_MAX_BYTES];
	struct sockaddr_un addr;
	int64_t deadline = now_ms() + CONNECT_RETRY_MS;
	uint64_t done = 0;
	int fd, e;

	if (argc != 2)
		return usage("unix-connect: expected PATH DATA");
	if (unix_addr(path, &addr) < 0)
		return fail("unix-connect", path, errno);
	for (;;) {
		struct timespec step = {.tv_sec = 0, .tv_nsec = 20 * 1000 * 1000};

		fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0)
			return fail("unix-connect socket", path, errno);
		if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) == 0)
			break;
		e = errno;
		close(fd);
		/* The listener may not have bound or listened yet. */
		if ((e != ENOENT && e != ECONNREFUSED) || now_ms() >= deadline)
			return fail("unix-connect", path, e);
		nanosleep(&step, NULL);
	}
	if (write_all(fd, argv[1], strlen(argv[1]), &done) < 0 || write_all(fd, "\n", 1, &done) < 0)
		goto fail_conn;
	if (shutdown(fd, SHUT_WR) < 0)
		goto fail_conn;
	if (read_text(fd, reply, sizeof(reply), false) < 0)
		goto fail_conn;
	close(fd);
	return result("data=%s", reply);

fail_conn:
	e = errno;
	close(fd);
	return fail("unix-connect", path, e);
}

static int cmd_sleep(int argc, char **argv)
{
	uint64_t seconds;

	if (argc != 1 || parse_u64(argv[0], &seconds) < 0)
		return usage("sleep: expected SECONDS");
	if (sleep_seconds(seconds) < 0)
		return fail("sleep", argv[0], errno);
	return result("ok");
}

/* CapEff without /proc, for a container that mounts none. */
static int capeff_from_capget(uint64_t *capeff)
{
	struct __user_cap_header_struct hdr = {.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0};
	struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3];

	if (syscall(SYS_capget, &hdr, data) < 0)
		return -1;
	*capeff = (uint64_t)data[1].effective << 32 | data[0].effective;
	return 0;
}

static int cmd_id(int argc, char **argv)
{
	char line[256];
	uint64_t capeff = 0;
	bool found = false;
	FILE *f;

	(void)argv;
	if (argc != 0)
		return usage("id: takes no arguments");
	f = fopen("/proc/self/status", "re");
	if (f == NULL && errno != ENOENT)
		return fail("id", "/proc/self/status", errno);
	if (f != NULL) {
		while (!found && fgets(line, sizeof(line), f) != NULL)
			found = sscanf(line, "CapEff: %" SCNx64, &capeff) == 1;
		fclose(f);
	}
	if (!found && capeff_from_capget(&capeff) < 0)
		return fail("id", "capget", errno);
	return result("uid=%u gid=%u capeff=%016" PRIx64, (unsigned int)getuid(),
		      (unsigned int)getgid(), capeff);
}

/* ----------------------------------------------------------------- main */

static const struct {
	const char *name;
	int (*fn)(int argc, char **argv);
} commands[] = {
	{"fill", cmd_fill},
	{"write", cmd_write},
	{"read", cmd_read},
	{"anon", cmd_anon},
	{"mmap-write", cmd_mmap_write},
	{"mmap-read", cmd_mmap_read},
	{"stat", cmd_stat},
	{"try", cmd_try},
	{"remount-rw", cmd_remount_rw},
	{"fifo-read", cmd_fifo_read},
	{"fifo-write", cmd_fifo_write},
	{"unix-listen", cmd_unix_listen},
	{"unix-connect", cmd_unix_connect},
	{"sleep", cmd_sleep},
	{"id", cmd_id},
};

int main(int argc, char **argv)
{
	if (argc < 2)
		return usage("no subcommand");
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		fputs(usage_text, stdout);
		return fflush(stdout) == 0 ? EXIT_OK : EXIT_FAIL;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (strcmp(argv[1], commands[i].name) == 0) {
			/* argv[0] of the subcommand is its first argument (or the NULL end). */
			return commands[i].fn(argc - 2, argv + 2);
		}
	}
	return usage("unknown subcommand \"%s\"", argv[1]);
}
