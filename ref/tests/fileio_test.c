// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * What this proves: the whole-file helpers of ref/lib/fileio.c, which the
 * state files, the OCI kit's JSON and the cgroup readers all go through.
 *  - hc_read_file takes a file of exactly max bytes and refuses one byte
 *    more with EFBIG, gives an empty file as "", and honours O_NOFOLLOW;
 *  - hc_replace_file leaves the new bytes and no temp file, gives a new
 *    file the mode asked for, unlinks a symlink planted at the temp name
 *    instead of writing through it, and on failure leaves the target as it
 *    was and no temp file;
 *  - and the library's refusals of bad input carry EINVAL, as
 *    hostchannel.h promises (one entry point of each file that refuses).
 *
 * Each test works in its own mkdtemp directory and removes by name what it
 * made, even after a failed assertion.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hostchannel.h"
#include "kselftest_harness.h"

FIXTURE(dir)
{
	char path[PATH_MAX];
};

static void at(const char *dir, const char *name, char *buf)
{
	if (snprintf(buf, PATH_MAX, "%s/%s", dir, name) >= PATH_MAX)
		abort();
}

static int put(const char *path, const char *text, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	int ret;

	if (fd < 0)
		return -1;
	ret = hc_write_all(fd, text, len);
	close(fd);
	return ret;
}

FIXTURE_SETUP(dir)
{
	snprintf(self->path, sizeof(self->path), "/tmp/hc-fileio-XXXXXX");
	ASSERT_NE(NULL, mkdtemp(self->path));
}

FIXTURE_TEARDOWN(dir)
{
	static const char *const names[] = {"f", "f.tmp", "victim", "d", "link"};
	char p[PATH_MAX];

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		at(self->path, names[i], p);
		if (unlink(p) < 0 && errno == EISDIR)
			rmdir(p);
	}
	EXPECT_EQ(0, rmdir(self->path)) TH_LOG("rmdir %s: %s", self->path, strerror(errno));
}

TEST_F(dir, read_takes_exactly_max_and_refuses_one_more)
{
	char f[PATH_MAX], text[64];
	hc_error_t *err = NULL;
	char *out = NULL;
	size_t len = 0;

	memset(text, 'x', sizeof(text));
	at(self->path, "f", f);
	ASSERT_EQ(0, put(f, text, 64));
	ASSERT_EQ(0, hc_read_file(f, 0, 64, &out, &len, &err)) TH_LOG("%s", err->msg);
	EXPECT_EQ(64, len);
	EXPECT_EQ('\0', out[64]);
	EXPECT_EQ(0, memcmp(out, text, 64));
	free(out);
	out = NULL;
	EXPECT_EQ(-1, hc_read_file(f, 0, 63, &out, &len, &err));
	ASSERT_NE(NULL, err);
	EXPECT_EQ(EFBIG, err->errnum);
	EXPECT_NE(NULL, strstr(err->msg, "larger than 63 bytes")) TH_LOG("%s", err->msg);
	EXPECT_EQ(NULL, out);
	hc_error_free(&err);
}

TEST_F(dir, read_of_an_empty_file_is_an_empty_string)
{
	char f[PATH_MAX];
	hc_error_t *err = NULL;
	char *out = NULL;
	size_t len = 1;

	at(self->path, "f", f);
	ASSERT_EQ(0, put(f, "", 0));
	ASSERT_EQ(0, hc_read_file(f, 0, 16, &out, &len, &err));
	EXPECT_EQ(0, len);
	EXPECT_STREQ("", out);
	free(out);
}

TEST_F(dir, read_with_nofollow_refuses_a_symlink)
{
	char f[PATH_MAX], link[PATH_MAX];
	hc_error_t *err = NULL;
	char *out = NULL;

	at(self->path, "f", f);
	at(self->path, "link", link);
	ASSERT_EQ(0, put(f, "secret", 6));
	ASSERT_EQ(0, symlink(f, link));
	EXPECT_EQ(-1, hc_read_file(link, O_NOFOLLOW, 16, &out, NULL, &err));
	ASSERT_NE(NULL, err);
	EXPECT_EQ(ELOOP, err->errnum);
	hc_error_free(&err);
}

TEST_F(dir, replace_leaves_the_new_bytes_and_no_temp_file)
{
	char f[PATH_MAX], tmp[PATH_MAX];
	hc_error_t *err = NULL;
	struct stat st;
	char *out = NULL;
	mode_t old = umask(0);

	at(self->path, "f", f);
	at(self->path, "f.tmp", tmp);
	ASSERT_EQ(0, hc_replace_file(f, tmp, "one\n", 4, 0640, &err));
	umask(old);
	ASSERT_EQ(0, stat(f, &st));
	EXPECT_EQ(0640, st.st_mode & 07777);
	ASSERT_EQ(0, hc_replace_file(f, tmp, "two two\n", 8, 0600, &err));
	ASSERT_EQ(0, hc_read_file(f, 0, 64, &out, NULL, &err));
	EXPECT_STREQ("two two\n", out);
	free(out);
	EXPECT_EQ(-1, access(tmp, F_OK));
	EXPECT_EQ(ENOENT, errno);
}

TEST_F(dir, replace_unlinks_a_symlink_planted_at_the_temp_name)
{
	char f[PATH_MAX], tmp[PATH_MAX], victim[PATH_MAX];
	hc_error_t *err = NULL;
	char *out = NULL;

	at(self->path, "f", f);
	at(self->path, "f.tmp", tmp);
	at(self->path, "victim", victim);
	ASSERT_EQ(0, put(victim, "keep", 4));
	ASSERT_EQ(0, symlink(victim, tmp));
	ASSERT_EQ(0, hc_replace_file(f, tmp, "new", 3, 0600, &err));
	ASSERT_EQ(0, hc_read_file(victim, 0, 64, &out, NULL, &err));
	EXPECT_STREQ("keep", out);
	free(out);
	ASSERT_EQ(0, hc_read_file(f, 0, 64, &out, NULL, &err));
	EXPECT_STREQ("new", out);
	free(out);
}

TEST_F(dir, replace_that_fails_leaves_the_target_and_no_temp_file)
{
	char d[PATH_MAX], tmp[PATH_MAX];
	hc_error_t *err = NULL;
	struct stat before, after;

	/* rename(2) of a file over a directory fails (EISDIR). */
	at(self->path, "d", d);
	at(self->path, "f.tmp", tmp);
	ASSERT_EQ(0, mkdir(d, 0755));
	ASSERT_EQ(0, stat(d, &before));
	EXPECT_EQ(-1, hc_replace_file(d, tmp, "x", 1, 0600, &err));
	ASSERT_NE(NULL, err);
	EXPECT_EQ(EISDIR, err->errnum) TH_LOG("%s", err->msg);
	hc_error_free(&err);
	ASSERT_EQ(0, stat(d, &after));
	EXPECT_TRUE(S_ISDIR(after.st_mode));
	EXPECT_EQ(before.st_ino, after.st_ino);
	EXPECT_EQ(-1, access(tmp, F_OK));
}

/* One refusal of bad input per library file that refuses: each is EINVAL. */
TEST(bad_input_is_einval)
{
	struct hc_host host;
	struct hc_memcg cg;
	struct hc_spec spec;
	hc_error_t *err = NULL;

	EXPECT_EQ(-1, hc_host_prepare("/", &host, &err));
	ASSERT_NE(NULL, err);
	EXPECT_EQ(EINVAL, err->errnum) TH_LOG("%s", err->msg);
	hc_error_free(&err);

	memset(&cg, 0, sizeof(cg));
	EXPECT_EQ(-1, hc_memcg_create(&cg, "a/b", "x", &err));
	ASSERT_NE(NULL, err);
	EXPECT_EQ(EINVAL, err->errnum) TH_LOG("%s", err->msg);
	hc_error_free(&err);

	memset(&spec, 0, sizeof(spec));
	snprintf(spec.host_path, sizeof(spec.host_path), "/tmp/hc-fileio-none");
	snprintf(spec.container_path, sizeof(spec.container_path), "relative");
	EXPECT_EQ(-1, hc_attach(&spec, "/tmp/hc-fileio-none", "/", &err));
	ASSERT_NE(NULL, err);
	EXPECT_EQ(EINVAL, err->errnum) TH_LOG("%s", err->msg);
	hc_error_free(&err);
}

TEST_HARNESS_MAIN
