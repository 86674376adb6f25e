// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * channel/share: the host and the container talk through the channel
 * (contract section 1.2: files, shared mappings of a file, FIFOs and unix
 * sockets), each way, and what one side writes the other sees byte
 * for byte.
 *
 *   fixture share_file, one container per test, channel 64 MiB at /mnt/ch,
 *   variants one_byte (1 B), unaligned (5003 B: not a page, not a word),
 *   eight_mib (8 MiB + 1 B: many pages and one byte more):
 *     host_write_container_read        host write(2)s hc-probe's pattern;
 *                                      hc-probe read inside: same length and
 *                                      sum as the host computed
 *     container_write_host_read        hc-probe write inside; the host reads
 *                                      it and compares every byte
 *     container_mmap_write_host_sees   the host maps the file MAP_SHARED
 *                                      first; hc-probe mmap-write inside;
 *                                      the host's mapping holds the pattern,
 *                                      no read(2) in between
 *     host_mmap_write_container_sees   the host writes through its mapping
 *                                      only (no msync, still mapped);
 *                                      hc-probe mmap-read inside sees it
 *
 *   fixture share_ipc, a FIFO and a unix socket made in the channel by one
 *   side and used by the other; the container side runs as a background
 *   exec (a child of the test runs the driver) while the test works the
 *   host side:
 *     fifo_container_writes_host_reads, fifo_host_writes_container_reads,
 *     unix_container_listens_host_connects,
 *     unix_host_listens_container_connects
 *
 * The pattern and sums are hc-probe's (64-bit word i = splitmix64(seed + i),
 * FNV-1a 64), recomputed here from the same header (hc-pattern.h): equal
 * sums and a byte-for-byte compare on the host side. Every wait is bounded.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "kselftest_harness.h"

#include "channel.h"
#include "harness.h"

#define CHANNEL	   "64M"
#define TIMEOUT_S  60
#define IPC_MS	   10000
#define LINE_BYTES 256

/* ------------------------------------------------------------ set-up */

/* Create and start the fixture's container; its failure is the test's. */
static int up(struct __test_metadata *_metadata, struct hch_box *box, struct hch_run *r)
{
	char spec[2 * PATH_MAX];

	snprintf(spec, sizeof(spec), "%s:" HCH_CTR ":rw:" CHANNEL, box->host);
	if (hch_run(r, "create", box->name, "--host-channel", spec, NULL) != 0 ||
	    hch_run(r, "start", box->name, NULL) != 0) {
		TH_LOG("%s", hch_log(r));
		return -1;
	}
	return 0;
}

FIXTURE(share_file)
{
	struct hch_box box;
	struct hch_run r;
	char hfile[2 * PATH_MAX];
	void *map;
	size_t maplen;
	int fd;
};

FIXTURE_VARIANT(share_file)
{
	uint64_t bytes;
};

FIXTURE_VARIANT_ADD(share_file, one_byte){.bytes = 1};
FIXTURE_VARIANT_ADD(share_file, unaligned){.bytes = 5003};
FIXTURE_VARIANT_ADD(share_file, eight_mib){.bytes = 8 * HCT_MiB + 1};

FIXTURE_SETUP(share_file)
{
	char why[512];
	int ret;

	HCT_ALWAYS_TEARDOWN();
	self->fd = -1;
	self->map = MAP_FAILED;
	ret = hch_box_init(&self->box, "share", why, sizeof(why));
	if (ret == HCT_SKIP)
		SKIP(return, "%s", why);
	ASSERT_EQ(0, ret) TH_LOG("%s", why);
	snprintf(self->hfile, sizeof(self->hfile), "%s/f", self->box.host);
	ASSERT_EQ(0, up(_metadata, &self->box, &self->r));
}

FIXTURE_TEARDOWN(share_file)
{
	HCT_TEARDOWN_BEGIN();
	if (self->map != MAP_FAILED)
		munmap(self->map, self->maplen);
	if (self->fd >= 0)
		close(self->fd);
	/* Contract section 3: delete removes the host path it created. */
	EXPECT_EQ(0, hch_box_delete(&self->box));
	EXPECT_EQ(0, hch_box_fini(&self->box));
}

/* The probe's "bytes=" and "sum=" against what the host expects. */
static void expect_probe_result(struct __test_metadata *_metadata, struct hch_run *r,
				uint64_t bytes, uint64_t sum)
{
	uint64_t got_bytes = UINT64_MAX, got_sum = 0;

	EXPECT_EQ(0, hch_kv_u64(r->o.out, "bytes", 10, &got_bytes)) TH_LOG("%s", hch_log(r));
	EXPECT_EQ(bytes, got_bytes)
	TH_LOG("hc-probe handled %" PRIu64 " bytes, want %" PRIu64 "; %s", got_bytes, bytes,
	       hch_log(r));
	EXPECT_EQ(0, hch_kv_u64(r->o.out, "sum", 16, &got_sum)) TH_LOG("%s", hch_log(r));
	EXPECT_EQ(sum, got_sum)
	TH_LOG("contract section 1: sum inside %016" PRIx64 ", the host's %016" PRIx64 " (%" PRIu64
	       " bytes); %s",
	       got_sum, sum, bytes, hch_log(r));
}

/* Map the host's file of the channel; created and sized here when writing. */
static int map_host_file(FIXTURE_DATA(share_file) * self, uint64_t bytes, bool writing)
{
	self->fd = open(self->hfile, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (self->fd < 0)
		return -errno;
	if (ftruncate(self->fd, (off_t)bytes) < 0)
		return -errno;
	self->maplen = bytes;
	self->map = mmap(NULL, bytes, writing ? PROT_READ | PROT_WRITE : PROT_READ, MAP_SHARED,
			 self->fd, 0);
	return self->map == MAP_FAILED ? -errno : 0;
}

TEST_F_TIMEOUT(share_file, host_write_container_read, TIMEOUT_S)
{
	const uint64_t seed = 11, bytes = variant->bytes;

	if (_metadata->skip)
		return;
	ASSERT_EQ(0, hch_write_pattern(self->hfile, bytes, seed))
	TH_LOG("host writing %s: %s", self->hfile, strerror(errno));
	ASSERT_EQ(0, hch_probe(&self->r, self->box.name, -1, "read", HCH_CTR "/f", NULL))
	TH_LOG("contract section 1: the container cannot read the host's file; %s",
	       hch_log(&self->r));
	expect_probe_result(_metadata, &self->r, bytes, hch_pattern_sum(seed, bytes));
}

TEST_F_TIMEOUT(share_file, container_write_host_read, TIMEOUT_S)
{
	const uint64_t seed = 12, bytes = variant->bytes;
	uint64_t size = 0, bad = 0, sum = 0, want = hch_pattern_sum(seed, bytes);
	char arg[32];
	int ret;

	if (_metadata->skip)
		return;
	snprintf(arg, sizeof(arg), "%" PRIu64, bytes);
	ASSERT_EQ(0,
		  hch_probe(&self->r, self->box.name, -1, "write", HCH_CTR "/f", arg, "12", NULL))
	TH_LOG("%s", hch_log(&self->r));
	expect_probe_result(_metadata, &self->r, bytes, want);
	ret = hch_check_pattern(self->hfile, bytes, seed, &size, &bad, &sum);
	ASSERT_LE(0, ret) TH_LOG("host reading %s: %s", self->hfile, strerror(-ret));
	EXPECT_EQ(0, ret)
	TH_LOG("contract section 1: the host reads %" PRIu64 " bytes, want %" PRIu64
	       "; first difference at byte %" PRIu64,
	       size, bytes, bad);
	EXPECT_EQ(want, sum) TH_LOG("host sum %016" PRIx64 ", want %016" PRIx64, sum, want);
}

TEST_F_TIMEOUT(share_file, container_mmap_write_host_sees, TIMEOUT_S)
{
	const uint64_t seed = 13, bytes = variant->bytes;
	uint64_t bad = 0, want = hch_pattern_sum(seed, bytes), got;
	char arg[32];
	int ret;

	if (_metadata->skip)
		return;
	ret = map_host_file(self, bytes, false);
	ASSERT_EQ(0, ret) TH_LOG("host mapping %s: %s", self->hfile, strerror(-ret));
	/* Zeros before: what the host sees later came from the container. */
	for (got = 0; got < bytes && ((unsigned char *)self->map)[got] == 0; got++)
		;
	ASSERT_EQ(bytes, got) TH_LOG("byte %" PRIu64 " of the fresh file is not zero", got);

	snprintf(arg, sizeof(arg), "%" PRIu64, bytes);
	ASSERT_EQ(0, hch_probe(&self->r, self->box.name, -1, "mmap-write", HCH_CTR "/f", arg, "13",
			       NULL))
	TH_LOG("%s", hch_log(&self->r));
	expect_probe_result(_metadata, &self->r, bytes, want);
	/* The host's mapping, not a read(2): one page cache for both sides. */
	EXPECT_EQ(0, hch_check_pattern_mem(self->map, bytes, seed, &bad))
	TH_LOG("contract section 1: the host's MAP_SHARED mapping differs from what the "
	       "container wrote at byte %" PRIu64 " of %" PRIu64,
	       bad, bytes);
	got = hc_fnv1a(HC_FNV1A_OFFSET, self->map, bytes);
	EXPECT_EQ(want, got) TH_LOG("mapping sum %016" PRIx64 ", want %016" PRIx64, got, want);
}

TEST_F_TIMEOUT(share_file, host_mmap_write_container_sees, TIMEOUT_S)
{
	const uint64_t seed = 14, bytes = variant->bytes;
	char arg[32];
	int ret;

	if (_metadata->skip)
		return;
	ret = map_host_file(self, bytes, true);
	ASSERT_EQ(0, ret) TH_LOG("host mapping %s: %s", self->hfile, strerror(-ret));
	/* Through the mapping only; it stays mapped, nothing is synced. */
	hc_pattern_fill(seed, 0, self->map, bytes);

	snprintf(arg, sizeof(arg), "%" PRIu64, bytes);
	ASSERT_EQ(0, hch_probe(&self->r, self->box.name, -1, "mmap-read", HCH_CTR "/f", arg, NULL))
	TH_LOG("contract section 1: the container cannot map the host's file; %s",
	       hch_log(&self->r));
	expect_probe_result(_metadata, &self->r, bytes, hch_pattern_sum(seed, bytes));
}

/* -------------------------------------------------------- FIFO, socket */

FIXTURE(share_ipc)
{
	struct hch_box box;
	struct hch_run r;
	struct hch_bg bg;
	char hpath[2 * PATH_MAX];
	char data[128];
	int fd, lfd;
};

FIXTURE_SETUP(share_ipc)
{
	char why[512];
	int ret;

	HCT_ALWAYS_TEARDOWN();
	self->fd = self->lfd = -1;
	ret = hch_box_init(&self->box, "share-ipc", why, sizeof(why));
	if (ret == HCT_SKIP)
		SKIP(return, "%s", why);
	ASSERT_EQ(0, ret) TH_LOG("%s", why);
	/* Unique per test, so a stale reader or writer cannot answer. */
	snprintf(self->data, sizeof(self->data), "hostchannel-%d-%" PRId64, (int)getpid(),
		 hct_now_ms());
	ASSERT_EQ(0, up(_metadata, &self->box, &self->r));
}

FIXTURE_TEARDOWN(share_ipc)
{
	HCT_TEARDOWN_BEGIN();
	if (self->fd >= 0)
		close(self->fd);
	if (self->lfd >= 0)
		close(self->lfd);
	/* Still blocked in the container if the test failed: delete ends it. */
	hch_bg_fini(&self->bg);
	if (self->hpath[0] != '\0' && self->box.name[0] != '\0' && hch_unlink(self->hpath) < 0)
		TH_LOG("unlink %s: %s", self->hpath, strerror(errno));
	EXPECT_EQ(0, hch_box_delete(&self->box));
	EXPECT_EQ(0, hch_box_fini(&self->box));
}

/* Start "exec NAME -- PROBE op HCH_CTR/leaf [data]" in the background. */
static int bg_probe(FIXTURE_DATA(share_ipc) * self, const char *op, const char *leaf,
		    const char *data)
{
	static char cpath[PATH_MAX];
	char *argv[] = {"exec",	    self->box.name, "--",	  (char *)hch_probe_path(),
			(char *)op, cpath,	    (char *)data, NULL};

	snprintf(cpath, sizeof(cpath), HCH_CTR "/%s", leaf);
	snprintf(self->hpath, sizeof(self->hpath), "%s/%s", self->box.host, leaf);
	return hch_bg_start(&self->bg, argv);
}

/* Read from fd until a newline or EOF, at most IPC_MS; the line without it. */
static ssize_t read_line(int fd, char *buf, size_t size)
{
	int64_t end = hct_now_ms() + IPC_MS;
	size_t used = 0;

	while (used + 1 < size) {
		struct pollfd pf = {.fd = fd, .events = POLLIN};
		int64_t left = end - hct_now_ms();
		ssize_t n;

		if (left <= 0)
			return -ETIMEDOUT;
		if (poll(&pf, 1, (int)left) < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (pf.revents == 0)
			continue;
		n = read(fd, buf + used, size - 1 - used);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			break;
		used += (size_t)n;
		if (buf[used - 1] == '\n') {
			used--;
			break;
		}
	}
	buf[used] = '\0';
	return (ssize_t)used;
}

/* Wait for the background exec and check the probe's "key=" line. */
static void expect_bg(struct __test_metadata *_metadata, FIXTURE_DATA(share_ipc) * self,
		      const char *key, const char *want)
{
	char got[LINE_BYTES] = "";
	int status = hch_bg_wait(&self->bg, IPC_MS);

	ASSERT_EQ(0, status)
	TH_LOG("background exec: status %d (%s); %s", status,
	       status == -ETIMEDOUT ? "still blocked" : "done", hch_log(self->bg.r));
	EXPECT_EQ(0, hch_kv_str(self->bg.r->o.out, key, got, sizeof(got)))
	TH_LOG("%s", hch_log(self->bg.r));
	EXPECT_STREQ(want, got) TH_LOG("%s", hch_log(self->bg.r));
}

TEST_F_TIMEOUT(share_ipc, fifo_container_writes_host_reads, TIMEOUT_S)
{
	char line[LINE_BYTES], bytes[32];
	ssize_t n;

	if (_metadata->skip)
		return;
	snprintf(self->hpath, sizeof(self->hpath), "%s/fifo", self->box.host);
	ASSERT_EQ(0, mkfifo(self->hpath, 0666))
	TH_LOG("mkfifo %s: %s", self->hpath, strerror(errno));
	/* Open before the writer: its open(O_WRONLY) waits for a reader. */
	self->fd = open(self->hpath, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	ASSERT_LE(0, self->fd) TH_LOG("open %s: %s", self->hpath, strerror(errno));
	ASSERT_EQ(0, bg_probe(self, "fifo-write", "fifo", self->data));
	n = read_line(self->fd, line, sizeof(line));
	EXPECT_LE(0, n) TH_LOG("reading the FIFO on the host: %s", strerror((int)-n));
	EXPECT_STREQ(self->data, line)
	TH_LOG("contract section 1: the host read \"%s\" from the FIFO, the container wrote "
	       "\"%s\"",
	       line, self->data);
	/* The probe counts the newline it adds. */
	snprintf(bytes, sizeof(bytes), "%zu", strlen(self->data) + 1);
	expect_bg(_metadata, self, "bytes", bytes);
}

TEST_F_TIMEOUT(share_ipc, fifo_host_writes_container_reads, TIMEOUT_S)
{
	char line[LINE_BYTES];
	int64_t end;
	size_t len;

	if (_metadata->skip)
		return;
	snprintf(self->hpath, sizeof(self->hpath), "%s/fifo", self->box.host);
	ASSERT_EQ(0, mkfifo(self->hpath, 0666))
	TH_LOG("mkfifo %s: %s", self->hpath, strerror(errno));
	ASSERT_EQ(0, bg_probe(self, "fifo-read", "fifo", NULL));
	/* ENXIO until the container's reader has the FIFO open. */
	end = hct_now_ms() + IPC_MS;
	while ((self->fd = open(self->hpath, O_WRONLY | O_NONBLOCK | O_CLOEXEC)) < 0 &&
	       errno == ENXIO && hct_now_ms() < end)
		hct_sleep_ms(HCT_POLL_STEP_MS);
	ASSERT_LE(0, self->fd)
	TH_LOG("contract section 1: no reader opened the FIFO within %d ms (%s); %s", IPC_MS,
	       strerror(errno), hch_log(self->bg.r));
	ASSERT_EQ(0, fcntl(self->fd, F_SETFL, 0));
	len = (size_t)snprintf(line, sizeof(line), "%s\n", self->data);
	ASSERT_EQ((ssize_t)len, write(self->fd, line, len)) TH_LOG("write: %s", strerror(errno));
	close(self->fd);
	self->fd = -1;
	expect_bg(_metadata, self, "data", self->data);
}

static int unix_addr(struct sockaddr_un *sa, const char *path)
{
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sa->sun_path))
		return -ENAMETOOLONG;
	strcpy(sa->sun_path, path);
	return 0;
}

TEST_F_TIMEOUT(share_ipc, unix_container_listens_host_connects, TIMEOUT_S)
{
	struct sockaddr_un sa;
	char line[LINE_BYTES];
	struct stat st;
	int64_t end;
	size_t len;
	ssize_t n;
	int ret = -1;

	if (_metadata->skip)
		return;
	ASSERT_EQ(0, bg_probe(self, "unix-listen", "sock", NULL));
	ASSERT_EQ(0, unix_addr(&sa, self->hpath)) TH_LOG("%s: too long for sun_path", self->hpath);
	/* The listener binds, then listens: ENOENT, then ECONNREFUSED, then in. */
	end = hct_now_ms() + IPC_MS;
	do {
		if (self->fd >= 0)
			close(self->fd);
		self->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		ASSERT_LE(0, self->fd);
		ret = connect(self->fd, (struct sockaddr *)&sa, sizeof(sa));
		if (ret == 0 || (errno != ENOENT && errno != ECONNREFUSED))
			break;
		hct_sleep_ms(HCT_POLL_STEP_MS);
	} while (hct_now_ms() < end);
	ASSERT_EQ(0, ret)
	TH_LOG("contract section 1: connect %s: %s; %s", self->hpath, strerror(errno),
	       hch_log(self->bg.r));
	ASSERT_EQ(0, lstat(self->hpath, &st));
	EXPECT_TRUE(S_ISSOCK(st.st_mode))
	TH_LOG("%s has mode %o, want a socket", self->hpath, st.st_mode);
	len = (size_t)snprintf(line, sizeof(line), "%s\n", self->data);
	ASSERT_EQ((ssize_t)len, write(self->fd, line, len)) TH_LOG("write: %s", strerror(errno));
	n = read_line(self->fd, line, sizeof(line));
	EXPECT_LE(0, n) TH_LOG("reading the reply: %s", strerror((int)-n));
	EXPECT_STREQ(self->data, line)
	TH_LOG("contract section 1: the container echoed \"%s\", the host sent \"%s\"", line,
	       self->data);
	expect_bg(_metadata, self, "data", self->data);
}

TEST_F_TIMEOUT(share_ipc, unix_host_listens_container_connects, TIMEOUT_S)
{
	char line[LINE_BYTES], reply[LINE_BYTES + 8];
	struct pollfd pf;
	struct sockaddr_un sa;
	size_t len;
	ssize_t n;

	if (_metadata->skip)
		return;
	snprintf(self->hpath, sizeof(self->hpath), "%s/sock", self->box.host);
	ASSERT_EQ(0, unix_addr(&sa, self->hpath)) TH_LOG("%s: too long for sun_path", self->hpath);
	self->lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ASSERT_LE(0, self->lfd);
	ASSERT_EQ(0, bind(self->lfd, (struct sockaddr *)&sa, sizeof(sa)))
	TH_LOG("bind %s: %s", self->hpath, strerror(errno));
	ASSERT_EQ(0, listen(self->lfd, 1));

	ASSERT_EQ(0, bg_probe(self, "unix-connect", "sock", self->data));
	pf = (struct pollfd){.fd = self->lfd, .events = POLLIN};
	ASSERT_EQ(1, poll(&pf, 1, IPC_MS))
	TH_LOG("contract section 1: no connection from the container within %d ms; %s", IPC_MS,
	       hch_log(self->bg.r));
	self->fd = accept4(self->lfd, NULL, NULL, SOCK_CLOEXEC);
	ASSERT_LE(0, self->fd) TH_LOG("accept: %s", strerror(errno));
	n = read_line(self->fd, line, sizeof(line));
	EXPECT_LE(0, n) TH_LOG("reading the request: %s", strerror((int)-n));
	EXPECT_STREQ(self->data, line)
	TH_LOG("contract section 1: the host received \"%s\", the container sent \"%s\"", line,
	       self->data);
	/* Another text back, so the container's line proves the round trip. */
	len = (size_t)snprintf(reply, sizeof(reply), "re-%s\n", self->data);
	ASSERT_EQ((ssize_t)len, write(self->fd, reply, len)) TH_LOG("write: %s", strerror(errno));
	close(self->fd);
	self->fd = -1;
	reply[len - 1] = '\0';
	expect_bg(_metadata, self, "data", reply);
}

HCT_HARNESS_MAIN
