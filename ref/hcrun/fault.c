// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Crash faults: HCRUN_FAULT=<verb>:<k> makes hcrun SIGKILL itself at the
 * k-th fault point of that verb (create, start, stop, delete), so that a
 * test can check that every crash is repaired by hcrun gc and the next
 * ordinary command. A fault point sits between two side effects (a
 * directory made, a state written, a mount, a cgroup, a process).
 *
 * The points are numbered in the order a run passes them, not by hand: a
 * channel loop gives each channel its own points, and adding a point
 * renumbers nothing a test hard-codes. HCRUN_FAULT=<verb>:0 fires nowhere;
 * with HCRUN_FAULT_LOG=<file>, every point of the verb that is passed
 * appends "<k> <what>" (and " KILL" when it fires) to the file, so a test
 * first counts the points and then runs each. Processes forked by hcrun (the
 * detached monitor) inherit the count and go on numbering.
 *
 * The OCI kit's steps are shared by several commands (oci prepare and
 * teardown, the hook's precreate and poststop, the shim's create and
 * delete), so its points name no verb: each command names its own once
 * (hcrun_fault_verb), and the kit's points (hcrun_fault_at) count under it.
 *
 * Without HCRUN_FAULT this is one getenv per point, and nothing else.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hcrun.h"

static int passed;	     /* points of the chosen verb passed by this process */
static const char *verb_now; /* the command's, for hcrun_fault_at */

static void fault_log(const char *line)
{
	const char *path = getenv("HCRUN_FAULT_LOG");
	int fd;

	if (path == NULL || path[0] == '\0')
		return;
	/* O_APPEND: the monitor and its parent may both write; each line is
	 * one write, so the lines never mix. */
	fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return; /* a test aid: a missing log shows in the test, not here */
	if (write(fd, line, strlen(line)) < 0)
		(void)close(fd); /* the same: the test sees the line missing */
	else
		(void)close(fd);
}

void hcrun_fault(const char *verb, const char *what)
{
	const char *env = getenv("HCRUN_FAULT");
	const char *colon;
	char line[256];
	unsigned long k;
	char *end;

	if (env == NULL || env[0] == '\0')
		return;
	colon = strchr(env, ':');
	if (colon == NULL || (size_t)(colon - env) != strlen(verb) ||
	    strncmp(env, verb, strlen(verb)) != 0)
		return;
	errno = 0;
	k = strtoul(colon + 1, &end, 10);
	if (errno != 0 || end == colon + 1 || *end != '\0')
		return;
	passed++;
	snprintf(line, sizeof(line), "%d %s%s\n", passed, what,
		 k == (unsigned long)passed ? " KILL" : "");
	fault_log(line);
	if (k != (unsigned long)passed)
		return;
	/* No cleanup of any kind may run: that is the point. */
	(void)kill(getpid(), SIGKILL);
	for (;;)
		pause();
}

void hcrun_fault_verb(const char *verb)
{
	verb_now = verb;
}

void hcrun_fault_at(const char *what)
{
	if (verb_now != NULL)
		hcrun_fault(verb_now, what);
}
