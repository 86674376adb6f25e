/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * HCT_HARNESS_MAIN: TEST_HARNESS_MAIN with a command line.
 *
 * The 6.1 kselftest_harness.h this project builds against ignores argv, so
 * it cannot run one test by itself; later kernels added -r/-l. This main
 * gives the suite the same options on top of the 6.1 header, through the
 * registration lists that the header's own runner walks:
 *
 *   -l            list the tests (FIXTURE.VARIANT.TEST), one a line
 *   -r NAME       run test NAME (repeatable); NAME as -l prints it
 *   -f FIXTURE    run the tests of FIXTURE (repeatable)
 *   -v VARIANT    run the tests of VARIANT (repeatable)
 *   -t TEST       run the tests named TEST in any fixture (repeatable)
 *   -h            this help
 *
 * Options of different letters narrow each other; repeats of one letter
 * widen. After each test, what a test killed before its teardown left
 * behind is removed (hct_reap). The KTAP output keeps its shape: the plan counts the selected tests.
 * Include it after kselftest_harness.h, in the test file only (the header
 * defines functions: one translation unit per program).
 */
#ifndef HCT_HARNESS_H
#define HCT_HARNESS_H

#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "hctest.h"

/*
 * Quirks of the 6.1 header that the fixtures here work around:
 *  - FIXTURE_TEARDOWN runs only when FIXTURE_SETUP returned normally, so an
 *    ASSERT in the setup after it made a directory or a cgroup would leave
 *    them behind. Every setup starts with HCT_ALWAYS_TEARDOWN(), and every
 *    teardown copes with a half-made fixture (its data starts zeroed).
 *  - a SKIP() in FIXTURE_SETUP does not stop the test body from running:
 *    each TEST_F starts with "if (_metadata->skip) return;".
 *  - a failed ASSERT longjmps out of its handler loop with
 *    _metadata->trigger still set, so the teardown's first EXPECT would
 *    print its TH_LOG message although it held. A teardown that checks
 *    anything starts with HCT_TEARDOWN_BEGIN().
 */
#define HCT_ALWAYS_TEARDOWN() (_metadata->setup_completed = true)
#define HCT_TEARDOWN_BEGIN()  (_metadata->trigger = 0)

#define HCT_MAX_FILTERS 32

struct hct_filters {
	const char *r[HCT_MAX_FILTERS], *f[HCT_MAX_FILTERS], *v[HCT_MAX_FILTERS],
		*t[HCT_MAX_FILTERS];
	int nr, nf, nv, nt;
};

static inline bool hct_filter_any(const char *const *list, int n, const char *s)
{
	for (int i = 0; i < n; i++)
		if (strcmp(list[i], s) == 0)
			return true;
	return false;
}

static inline void hct_case_name(char *buf, size_t size, const struct __fixture_metadata *f,
				 const struct __fixture_variant_metadata *v,
				 const struct __test_metadata *t)
{
	snprintf(buf, size, "%s%s%s.%s", f->name, v->name[0] ? "." : "", v->name, t->name);
}

static inline bool hct_selected(const struct hct_filters *fl, const struct __fixture_metadata *f,
				const struct __fixture_variant_metadata *v,
				const struct __test_metadata *t)
{
	char name[512];

	hct_case_name(name, sizeof(name), f, v, t);
	if (fl->nr && !hct_filter_any(fl->r, fl->nr, name))
		return false;
	if (fl->nf && !hct_filter_any(fl->f, fl->nf, f->name))
		return false;
	if (fl->nv && !hct_filter_any(fl->v, fl->nv, v->name))
		return false;
	if (fl->nt && !hct_filter_any(fl->t, fl->nt, t->name))
		return false;
	return true;
}

static inline int hct_add_filter(const char **list, int *n, const char *s)
{
	if (*n >= HCT_MAX_FILTERS) {
		fprintf(stderr, "too many filters (at most %d of a kind)\n", HCT_MAX_FILTERS);
		return -1;
	}
	list[(*n)++] = s;
	return 0;
}

/*
 * A test killed on timeout never ran its teardown: take down what it left,
 * by the pid in the names (nothing is there after a normal end).
 */
static inline void hct_reap_after(const struct __test_metadata *t)
{
	int n;

	if (t->pid <= 0 || geteuid() != 0)
		return;
	n = hct_reap(t->pid);
	if (n > 0)
		ksft_print_msg("%s: removed %d directories and cgroups its teardown left\n",
			       t->name, n);
}

static inline int hct_harness_main(int argc, char **argv)
{
	struct __fixture_variant_metadata no_variant = {.name = ""};
	struct __fixture_variant_metadata *v;
	struct __fixture_metadata *f;
	struct __test_metadata *t;
	struct __test_results *results;
	struct hct_filters fl = {0};
	unsigned int selected = 0;
	bool list = false;
	char name[512];
	int opt, bad = 0;

	while ((opt = getopt(argc, argv, "hlr:f:v:t:")) != -1) {
		switch (opt) {
		case 'l':
			list = true;
			break;
		case 'r':
			bad |= hct_add_filter(fl.r, &fl.nr, optarg);
			break;
		case 'f':
			bad |= hct_add_filter(fl.f, &fl.nf, optarg);
			break;
		case 'v':
			bad |= hct_add_filter(fl.v, &fl.nv, optarg);
			break;
		case 't':
			bad |= hct_add_filter(fl.t, &fl.nt, optarg);
			break;
		case 'h':
		default:
			fprintf(opt == 'h' ? stdout : stderr,
				"usage: %s [-l] [-r FIXTURE.VARIANT.TEST]... [-f FIXTURE]... "
				"[-v VARIANT]... [-t TEST]...\n",
				argv[0]);
			return opt == 'h' ? KSFT_PASS : KSFT_FAIL;
		}
	}
	if (bad || optind != argc) {
		fprintf(stderr, "%s: unexpected argument; -h for help\n", argv[0]);
		return KSFT_FAIL;
	}

	for (f = __fixture_list; f; f = f->next)
		for (v = f->variant ?: &no_variant; v; v = v->next)
			for (t = f->tests; t; t = t->next) {
				if (!hct_selected(&fl, f, v, t))
					continue;
				selected++;
				if (list) {
					hct_case_name(name, sizeof(name), f, v, t);
					printf("%s\n", name);
				}
			}
	if (list)
		return KSFT_PASS;
	if (selected == 0) {
		fprintf(stderr, "%s: no test matches; -l lists them\n", argv[0]);
		return KSFT_FAIL;
	}

	results = mmap(NULL, sizeof(*results), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
		       -1, 0);
	if (results == MAP_FAILED) {
		perror("mmap");
		return KSFT_FAIL;
	}
	ksft_print_header();
	ksft_set_plan(selected);
	ksft_print_msg("Starting %u tests.\n", selected);
	for (f = __fixture_list; f; f = f->next)
		for (v = f->variant ?: &no_variant; v; v = v->next)
			for (t = f->tests; t; t = t->next) {
				if (!hct_selected(&fl, f, v, t))
					continue;
				t->results = results;
				__run_test(f, v, t);
				t->results = NULL;
				hct_reap_after(t);
			}
	munmap(results, sizeof(*results));

	ksft_print_msg("%s: %d / %u tests passed.\n",
		       ksft_get_fail_cnt() || ksft_get_error_cnt() ? "FAILED" : "PASSED",
		       ksft_get_pass_cnt(), selected);
	ksft_print_cnts();
	if (ksft_get_fail_cnt() || ksft_get_error_cnt())
		return KSFT_FAIL;
	/* Nothing ran for real: the runner shows the program as skipped. */
	if (ksft_get_pass_cnt() == 0 && ksft_get_xskip_cnt() > 0)
		return KSFT_SKIP;
	return KSFT_PASS;
}

#define HCT_HARNESS_MAIN                                                                           \
	int main(int argc, char **argv)                                                            \
	{                                                                                          \
		return hct_harness_main(argc, argv);                                               \
	}

#endif /* HCT_HARNESS_H */
