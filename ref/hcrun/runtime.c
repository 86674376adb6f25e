// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * hostchannel-runtime: a runc-compatible OCI runtime in front of the real
 * one, for engines that run "runc" and nothing else of ours (containerd
 * and its CRI plugin, dockerd), in the pattern of NVIDIA's container
 * runtime. The engine hands it runc's command line; on create (and run) it
 * gives the bundle's config.json the host channels the container asks for,
 * then runs the real runtime with the very same command line. Everything
 * host-side is the OCI kit's (oci_kit.c): the specs pass its gate, attach
 * mounts and edits the config, release undoes. ref/hook/README.md ("The
 * runtime shim") is the user guide.
 *
 * Design, and why:
 *  - The container's own config is the input: the annotation
 *    org.hostchannel.spec (containerd's CRI plugin passes pod annotations
 *    through), else its environment variable HOSTCHANNEL_SPEC (docker 20.10
 *    cannot set annotations). Whoever starts a container writes both, so
 *    they are read bounded and every spec goes through the gate; no path
 *    from them is used any other way.
 *  - create forks the runtime and waits: a runtime create that fails makes
 *    no container whose poststop hook or delete would ever tear the
 *    channels down, so the shim releases them itself. Every other verb is
 *    exec'd: the runtime gets the same process, fds and argv.
 *  - The state (the kit's state file, what was made) lives in
 *    /run/hostchannel-runtime/ (HOSTCHANNEL_RUNTIME_STATE moves it), not in
 *    the bundle: containerd removes the bundle directory, recursively,
 *    right after the runtime's delete, which would drop the record of a
 *    channel that could not be removed; and delete finds the record by the
 *    command line alone (runc --root R delete ID), with no "runtime state"
 *    call that fails once the runtime's own state is gone or broken. A
 *    container id is unique only within one runtime root (containerd has
 *    one per namespace), so the file is named by both: ROOTHASH-ID.json.
 *  - Teardown happens twice over, idempotently: the poststop hook that
 *    attach adds (runc runs it at delete, on a failed create too), and the
 *    shim's own delete once the runtime's delete succeeded, for a runtime
 *    that skips hooks or a hook that failed. A failed runtime delete keeps
 *    the record: the container may still be there.
 *  - The directory goes with the last record: delete removes it when it is
 *    empty and no create holds it (flock), so nothing is left behind.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <json.h>

#include "hcrun.h"

#define RUNC_DEFAULT_ROOT "/run/runc" /* runc's --root for root */

/* ------------------------------------------------------- the real runtime */

static bool same_file(const char *path, const struct stat *self)
{
	struct stat sb;

	return stat(path, &sb) == 0 && sb.st_dev == self->st_dev && sb.st_ino == self->st_ino;
}

static bool executable_file(const char *path)
{
	struct stat sb;

	return stat(path, &sb) == 0 && S_ISREG(sb.st_mode) && access(path, X_OK) == 0;
}

int hcrun_runtime_find(const char *want, char *path, size_t len, hc_error_t **err)
{
	const char *src = "--hostchannel-runtime", *dirs;
	hc_cleanup_free char *copy = NULL;
	char exe[PATH_MAX], *save = NULL, *dir;
	struct stat self;
	bool have_self = false, skipped = false;
	ssize_t n;

	/* By the path /proc/self/exe names, not by stat of it: valgrind
	 * answers the readlink for its client, not the stat. */
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n > 0) {
		exe[n] = '\0';
		have_self = stat(exe, &self) == 0;
	}
	if (want == NULL || want[0] == '\0') {
		want = getenv("HOSTCHANNEL_RUNTIME");
		src = "HOSTCHANNEL_RUNTIME";
	}
	if (want == NULL || want[0] == '\0') {
		want = "runc";
		src = NULL;
	}
	if (strchr(want, '/') != NULL) {
		if (snprintf(path, len, "%s", want) >= (int)len)
			return hc_error_set(err, ENAMETOOLONG, "%s: path too long", src);
		if (!executable_file(path))
			return hc_error_set(err, ENOEXEC, "%s=\"%s\": not an executable file", src,
					    want);
		if (have_self && same_file(path, &self))
			return hc_error_set(err, ELOOP,
					    "%s=\"%s\" is " HCRUN_RUNTIME_NAME " itself: name the "
					    "real runtime (runc)",
					    src, want);
		return 0;
	}
	dirs = getenv("PATH");
	copy = strdup(dirs != NULL
			      ? dirs
			      : "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
	if (copy == NULL)
		return hc_error_sys(err, ENOMEM, "PATH");
	for (dir = strtok_r(copy, ":", &save); dir != NULL; dir = strtok_r(NULL, ":", &save)) {
		if (snprintf(path, len, "%s/%s", dir, want) >= (int)len || !executable_file(path))
			continue;
		/* Installed as "runc" in front of the real one: look further. */
		if (have_self && same_file(path, &self)) {
			skipped = true;
			continue;
		}
		return 0;
	}
	return hc_error_set(err, ENOENT,
			    "runtime \"%s\" not found in $PATH%s: set HOSTCHANNEL_RUNTIME or "
			    "--hostchannel-runtime=PATH",
			    want, skipped ? " (but for " HCRUN_RUNTIME_NAME " itself)" : "");
}

int hcrun_runtime_exec(const struct hcrun_runtime_cmd *cmd, hc_error_t **err)
{
	execv(cmd->runtime, cmd->argv);
	return hc_error_sys(err, errno, "exec %s", cmd->runtime);
}

static volatile sig_atomic_t forward_pid;

static void forward_signal(int sig)
{
	if (forward_pid > 0)
		kill(forward_pid, sig);
}

/*
 * Run the real runtime with cmd->argv and wait for it. The signals an
 * engine or a terminal sends the runtime (a timeout's SIGTERM, ^C of a
 * foreground "run", a resize) are passed on to it. *status: its exit
 * status, 128 + N when signal N killed it.
 */
static int run_runtime(const struct hcrun_runtime_cmd *cmd, int *status, hc_error_t **err)
{
	static const int sigs[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH};
	struct sigaction sa, old[sizeof(sigs) / sizeof(sigs[0])];
	size_t i;
	pid_t pid;
	int wst, e;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = forward_signal;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART;
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		sigaction(sigs[i], &sa, &old[i]);
	pid = fork();
	if (pid == 0) {
		/* The dispositions the runtime would have had without us. */
		for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
			sigaction(sigs[i], &old[i], NULL);
		execv(cmd->runtime, cmd->argv);
		fprintf(stderr, HCRUN_RUNTIME_NAME ": exec %s: %s\n", cmd->runtime,
			strerror(errno));
		_exit(errno == ENOENT ? HCRUN_EXIT_NOT_FOUND : HCRUN_EXIT_CANNOT);
	}
	e = errno;
	if (pid > 0) {
		forward_pid = pid;
		while (waitpid(pid, &wst, 0) < 0) {
			if (errno != EINTR) {
				e = errno;
				pid = -1;
				break;
			}
		}
		forward_pid = 0;
	}
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		sigaction(sigs[i], &old[i], NULL);
	if (pid < 0)
		return hc_error_sys(err, e, "run %s", cmd->runtime);
	*status = WIFEXITED(wst) ? WEXITSTATUS(wst) : 128 + WTERMSIG(wst);
	return 0;
}

/*
 * Does the runtime have container id (under root, "" its default)? Asks it
 * "state ID", which changes nothing: exit 0, it does (created, running or
 * stopped, it is there and its delete will come); a failure that says the
 * container does not exist (runc: "container does not exist"; crun:
 * "error opening file `ROOT/ID/status`: No such file or directory"), it
 * does not. Anything else is not known: -1, with what the runtime said.
 */
int hcrun_runtime_container_exists(const char *runtime, const char *root, const char *id,
				   bool *exists, hc_error_t **err)
{
	char *argv[] = {(char *)runtime, "--root", (char *)root, "state", (char *)id, NULL};
	char out[4096];
	size_t len = 0;
	int pipefd[2], wst;
	pid_t pid;

	if (root == NULL || root[0] == '\0') {
		argv[1] = "state";
		argv[2] = (char *)id;
		argv[3] = NULL;
	}
	if (pipe2(pipefd, O_CLOEXEC) < 0)
		return hc_error_sys(err, errno, "pipe");
	pid = fork();
	if (pid == 0) {
		int null = open("/dev/null", O_RDONLY | O_CLOEXEC);

		/* Nothing of ours on the pipe: an exec that fails says nothing
		 * the answer could be read from. */
		if (null < 0 || dup2(null, STDIN_FILENO) < 0 ||
		    dup2(pipefd[1], STDOUT_FILENO) < 0 || dup2(pipefd[1], STDERR_FILENO) < 0)
			_exit(HCRUN_EXIT_CANNOT);
		execv(runtime, argv);
		_exit(HCRUN_EXIT_CANNOT);
	}
	close(pipefd[1]);
	if (pid < 0) {
		close(pipefd[0]);
		return hc_error_sys(err, errno, "run %s", runtime);
	}
	for (;;) {
		ssize_t n = read(pipefd[0], out + len, sizeof(out) - 1 - len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
		if (len == sizeof(out) - 1) {
			char drop[512];

			/* Read to the end, so that the runtime never blocks on us. */
			while (read(pipefd[0], drop, sizeof(drop)) > 0)
				;
			break;
		}
	}
	out[len] = '\0';
	close(pipefd[0]);
	while (waitpid(pid, &wst, 0) < 0)
		if (errno != EINTR)
			return hc_error_sys(err, errno, "wait for %s", runtime);
	if (WIFEXITED(wst) && WEXITSTATUS(wst) == 0) {
		*exists = true;
		return 0;
	}
	if (WIFEXITED(wst) && (strstr(out, "does not exist") != NULL ||
			       strstr(out, "/status`: No such file or directory") != NULL)) {
		*exists = false;
		return 0;
	}
	while (len > 0 && (out[len - 1] == '\n' || out[len - 1] == '\r'))
		out[--len] = '\0';
	return hc_error_set(err, EIO, "%s state %s: cannot tell whether the container exists (%s)",
			    runtime, id, out[0] != '\0' ? out : "no answer");
}

/* ------------------------------------------------------------- the state */

const char *hcrun_runtime_state_dir(void)
{
	const char *env = getenv("HOSTCHANNEL_RUNTIME_STATE");

	return env != NULL && env[0] == '/' ? env : HCRUN_RUNTIME_STATE_DIR;
}

/* The id names a file: letters, digits, '_', '.', '-', not starting with
 * a dot (runc's own rule, and docker's and containerd's ids keep to it). */
static int id_check(const char *id, hc_error_t **err)
{
	size_t i, n;

	if (id == NULL || id[0] == '\0')
		return hc_error_set(err, EINVAL, "no container id on the command line");
	n = strlen(id);
	for (i = 0; i < n; i++) {
		char c = id[i];
		bool alnum =
			(c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');

		if (!alnum && (i == 0 || strchr("_.-", c) == NULL))
			break;
	}
	if (i < n || n > HCRUN_RUNTIME_ID_MAX)
		return hc_error_set(err, EINVAL,
				    "container id \"%s\": letters, digits, '_', '.' and '-', "
				    "starting with a letter or digit, at most %d characters",
				    id, HCRUN_RUNTIME_ID_MAX);
	return 0;
}

/* The state file of this runtime root's container id. */
static int state_path(const struct hcrun_runtime_cmd *cmd, char *buf, size_t len, hc_error_t **err)
{
	const char *root = cmd->root != NULL ? cmd->root : RUNC_DEFAULT_ROOT;
	uint64_t h = 0xcbf29ce484222325ULL; /* FNV-1a */
	const char *p;

	for (p = root; *p != '\0'; p++) {
		h ^= (unsigned char)*p;
		h *= 0x100000001b3ULL;
	}
	if (snprintf(buf, len, "%s/%016llx-%s.json", hcrun_runtime_state_dir(),
		     (unsigned long long)h, cmd->id) >= (int)len)
		return hc_error_set(err, ENAMETOOLONG, "state path too long");
	return 0;
}

/*
 * Make the state directory and hold it (a shared flock) while a state goes
 * into it: delete removes the directory only when it gets the lock
 * exclusively, so it never takes it away from under a create.
 */
static int state_dir_hold(int *fd, hc_error_t **err)
{
	const char *dir = hcrun_runtime_state_dir();
	int tries, e;

	for (tries = 0; tries < 100; tries++) {
		struct stat sb;

		if (mkdir(dir, 0700) < 0 && errno != EEXIST)
			return hc_error_sys(err, errno, "mkdir %s", dir);
		*fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
		if (*fd < 0) {
			if (errno == ENOENT)
				continue;
			return hc_error_sys(err, errno, "open %s", dir);
		}
		if (flock(*fd, LOCK_SH) < 0) {
			e = errno;
			close(*fd);
			*fd = -1;
			return hc_error_sys(err, e, "lock %s", dir);
		}
		/* A delete removed it between our mkdir and our lock. */
		if (fstat(*fd, &sb) == 0 && sb.st_nlink > 0)
			return 0;
		close(*fd);
		*fd = -1;
	}
	return hc_error_set(err, EAGAIN, "%s: removed again and again while in use", dir);
}

/* The directory goes once it is empty and no create holds it. */
static void state_dir_drop(void)
{
	const char *dir = hcrun_runtime_state_dir();
	hc_cleanup_close int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);

	if (fd < 0 || flock(fd, LOCK_EX | LOCK_NB) < 0)
		return;
	/* ENOTEMPTY: other containers' states. */
	(void)rmdir(dir);
}

/* Undo a create: what the state lists, then the directory when empty. */
static void release(const char *path)
{
	hc_cleanup_error hc_error_t *e = NULL;

	if (hcrun_oci_release(path, true, &e) < 0) {
		hc_error_prefix(&e, "%s keeps what is left (hcrun oci teardown %s)", path, path);
		hcrun_runtime_report(NULL, &e);
	}
	state_dir_drop();
}

/* ------------------------------------------------------------ the config */

/*
 * The entry of name in process.env ("NAME=VALUE"), *skip the length of
 * "NAME="; *out NULL when there is none. The container's author wrote the
 * list: one that is not an array of strings is refused, and so is a name
 * given twice, since which one the container sees is the runtime's choice
 * (runc sets them in order: the last wins), not necessarily the one read
 * here.
 */
static int env_entry(struct json_object *config, const char *name, struct json_object **out,
		     size_t *skip, hc_error_t **err)
{
	struct json_object *process, *env;
	size_t i, n, first = 0, len = strlen(name);

	*out = NULL;
	/* null is no environment, as the runtime (Go) reads it. */
	if (!json_object_object_get_ex(config, "process", &process) ||
	    !json_object_object_get_ex(process, "env", &env) || env == NULL)
		return 0;
	if (!json_object_is_type(env, json_type_array))
		return hc_error_set(err, EINVAL, "config: process.env is not an array");
	n = json_object_array_length(env);
	for (i = 0; i < n; i++) {
		struct json_object *v = json_object_array_get_idx(env, i);
		const char *s;

		if (!json_object_is_type(v, json_type_string))
			return hc_error_set(err, EINVAL, "config: process.env[%zu] is not a string",
					    i);
		s = json_object_get_string(v);
		if (strncmp(s, name, len) != 0 || s[len] != '=')
			continue;
		if (*out != NULL)
			return hc_error_set(err, EINVAL,
					    "environment variable %s: set twice in process.env "
					    "([%zu] and [%zu])",
					    name, first, i);
		*out = v;
		*skip = len + 1;
		first = i;
	}
	return 0;
}

/*
 * What the container asks for: the specs' text (*text NULL: none) and
 * where it came from (*what, for the messages), the annotation first, its
 * environment next; and --memory-add-channel the same way. Both are the
 * container author's: bounded, and a NUL inside refused (the runtime and
 * execve would see a shorter string than the gate).
 */
static int requested(struct json_object *config, const char **text, const char **what,
		     bool *memory_add, const char **env_used, hc_error_t **err)
{
	struct json_object *v = NULL;
	const char *mem, *type;
	size_t skip = 0, len;

	*text = NULL;
	*what = "annotation " HCRUN_OCI_ANN_SPEC;
	*memory_add = false;
	*env_used = NULL;
	/* A pod's sandbox (pause) container: the CRI plugins give it the pod's
	 * annotations too, but it runs nothing of the pod's own, and would
	 * take the host path before the container that asked for it. */
	type = hcrun_oci_annotation(config, "io.kubernetes.cri.container-type");
	if (type == NULL)
		type = hcrun_oci_annotation(config, "io.kubernetes.cri-o.ContainerType");
	if (type != NULL && strcmp(type, "sandbox") == 0)
		return 0;
	if (hcrun_oci_annotation_get(config, HCRUN_OCI_ANN_SPEC, text, err) < 0 ||
	    hcrun_oci_annotation_get(config, HCRUN_OCI_ANN_MEMORY, &mem, err) < 0)
		return -1;
	if (*text == NULL) {
		*what = "environment variable " HCRUN_RUNTIME_ENV_SPEC;
		if (env_entry(config, HCRUN_RUNTIME_ENV_SPEC, &v, &skip, err) < 0)
			return -1;
	}
	if (v != NULL) {
		len = (size_t)json_object_get_string_len(v);
		if (strlen(json_object_get_string(v)) != len)
			return hc_error_set(err, EINVAL, "%s: contains a NUL byte", *what);
		*text = json_object_get_string(v) + skip;
		if (skip != 0)
			*env_used = HCRUN_RUNTIME_ENV_SPEC;
	}
	if (mem == NULL) {
		if (env_entry(config, HCRUN_RUNTIME_ENV_MEM, &v, &skip, err) < 0)
			return -1;
		mem = v != NULL ? json_object_get_string(v) + skip : NULL;
		if (mem != NULL && strcmp(mem, "true") == 0 && *env_used == NULL)
			*env_used = HCRUN_RUNTIME_ENV_MEM;
	}
	*memory_add = mem != NULL && strcmp(mem, "true") == 0;
	return 0;
}

/*
 * The poststop hook that attach added runs hcrun's "oci teardown": its
 * argv[0] is "hcrun", whatever name this program was started by, since
 * main() dispatches on that name (a copy of hcrun installed as
 * hostchannel-runtime would take the hook's arguments for runc's).
 */
static int hook_as_hcrun(struct json_object *config, hc_error_t **err)
{
	struct json_object *hooks, *stage, *hook, *args, *name;
	size_t n;

	if (!json_object_object_get_ex(config, "hooks", &hooks) ||
	    !json_object_object_get_ex(hooks, "poststop", &stage) ||
	    !json_object_is_type(stage, json_type_array) ||
	    (n = json_object_array_length(stage)) == 0 ||
	    (hook = json_object_array_get_idx(stage, n - 1)) == NULL ||
	    !json_object_object_get_ex(hook, "args", &args) ||
	    !json_object_is_type(args, json_type_array) || json_object_array_length(args) == 0)
		return hc_error_set(err, EINVAL, "config: the poststop hook just added is missing");
	name = json_object_new_string("hcrun");
	if (name == NULL || json_object_array_put_idx(args, 0, name) < 0) {
		if (name != NULL)
			json_object_put(name);
		return hc_error_sys(err, ENOMEM, "config: the poststop hook");
	}
	return 0;
}

/* ------------------------------------------------------------- the verbs */

/* path made absolute against the working directory (not resolved: a
 * runtime may be a link that its name selects). */
static int absolute(const char *path, char *buf, size_t len, hc_error_t **err)
{
	char cwd[PATH_MAX];

	if (path[0] == '/') {
		if (snprintf(buf, len, "%s", path) >= (int)len)
			return hc_error_set(err, ENAMETOOLONG, "%s: path too long", path);
		return 0;
	}
	if (getcwd(cwd, sizeof(cwd)) == NULL)
		return hc_error_sys(err, errno, "the working directory");
	if (snprintf(buf, len, "%s/%s", cwd, path) >= (int)len)
		return hc_error_set(err, ENAMETOOLONG, "%s/%s: path too long", cwd, path);
	return 0;
}

/* The runtime created the container: its record becomes "prepared". A
 * record gone meanwhile (a poststop hook released it) is no error. */
static int complete(const char *path, hc_error_t **err)
{
	struct hcrun_oci_kit kit;
	int ret;

	if (hcrun_oci_state_lock(path, &kit, true, err) < 0) {
		hcrun_oci_kit_clear(&kit);
		if ((*err)->errnum != ENOENT)
			return -1;
		hc_error_free(err);
		return 0;
	}
	ret = hcrun_oci_kit_commit(&kit, HCRUN_OCI_PREPARED, err);
	hcrun_oci_kit_clear(&kit);
	return ret;
}

int hcrun_runtime_create(const struct hcrun_runtime_cmd *cmd, int *status, hc_error_t **err)
{
	struct json_object *config __attribute__((cleanup(hcrun_oci_put))) = NULL;
	struct hcrun_policy policy = {0};
	struct hcrun_oci_kit kit = {0};
	struct hcrun_oci_spec_list list = {0};
	char bundle[PATH_MAX], config_path[PATH_MAX], exe[PATH_MAX];
	const char *text, *what, *env_used;
	bool memory_add, made = false, undo;
	int dir_fd = -1, ret = -1;
	ssize_t n;

	if (realpath(cmd->bundle != NULL ? cmd->bundle : ".", bundle) == NULL)
		return hc_error_sys(err, errno, "bundle %s",
				    cmd->bundle != NULL ? cmd->bundle : "(working directory)");
	if (snprintf(config_path, sizeof(config_path), "%s/config.json", bundle) >=
	    (int)sizeof(config_path))
		return hc_error_set(err, ENAMETOOLONG, "bundle %s: path too long", bundle);
	/* Bounded, and not through a symlink: the container author's file. */
	if (hcrun_oci_json_load(config_path, &config, err) < 0 ||
	    requested(config, &text, &what, &memory_add, &env_used, err) < 0)
		return -1;
	if (text == NULL)
		return 1; /* no channel: the runtime alone, untouched */
	/* Read only for a container that asks: a broken policy file must not
	 * stop the others. Then the rule env-specs: may the container's
	 * environment ask at all? */
	if (hcrun_policy_load_default(cmd->policy, &policy, err) < 0)
		return -1;
	if ((env_used != NULL && hcrun_policy_check_env(&policy, env_used, err) < 0) ||
	    id_check(cmd->id, err) < 0 || hcrun_oci_spec_list_split(text, what, &list, err) < 0)
		goto out;
	/*
	 * THE GATE (hcrun_oci_kit_add_specs): every spec, from an annotation
	 * or an environment variable that the container's author chose, is
	 * parsed and checked there before anything is made, under the host
	 * policy (which host paths, how much memory, which modes): this shim
	 * adds no check of its own and relies on the gate's.
	 */
	if (hcrun_oci_kit_add_specs(&kit, &policy, list.specs, list.nspecs, err) < 0) {
		hc_error_prefix(err, "%s", what);
		goto out;
	}
	/* The tmpfs source names the container when its id is short enough. */
	if (hcrun_oci_kit_set_tag(&kit, hcrun_name_check(cmd->id, NULL) == 0 ? cmd->id : NULL,
				  err) < 0 ||
	    state_path(cmd, kit.state_path, sizeof(kit.state_path), err) < 0)
		goto out;
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n < 0) {
		hc_error_sys(err, errno, "find the hcrun executable (readlink /proc/self/exe)");
		goto out;
	}
	exe[n] = '\0';
	/* gc asks this runtime about the container when the shim died, from
	 * another working directory. */
	if (absolute(cmd->runtime, kit.runtime, sizeof(kit.runtime), err) < 0 ||
	    (cmd->root != NULL &&
	     absolute(cmd->root, kit.runtime_root, sizeof(kit.runtime_root), err) < 0))
		goto out;
	if (snprintf(kit.runtime_id, sizeof(kit.runtime_id), "%s", cmd->id) >=
	    (int)sizeof(kit.runtime_id)) {
		hc_error_set(err, ENAMETOOLONG, "the container id: too long");
		goto out;
	}
	if (state_dir_hold(&dir_fd, err) < 0)
		goto out;
	hcrun_fault_at("state directory held");
	{
		char *poststop[] = {exe, "oci", "teardown", kit.state_path, NULL};

		if (hcrun_oci_kit_attach(&kit, config, memory_add, poststop, NULL, err) < 0)
			goto out;
	}
	made = true;
	if (hook_as_hcrun(config, err) < 0)
		goto out;
	hcrun_fault_at("before the config is written");
	if (hcrun_oci_json_save(config_path, config, 0644, err) < 0)
		goto out;
	hcrun_fault_at("config written");
	/* The state is written: delete cannot take the directory any more. */
	close(dir_fd);
	dir_fd = -1;
	/*
	 * The record lets go of its lock for the runtime's create (the
	 * poststop hook of a create that fails takes it), and names this
	 * process instead: gc leaves it while we live, and once we are dead
	 * asks the runtime whether the container exists.
	 */
	if (hcrun_oci_kit_commit(&kit, HCRUN_OCI_RUNTIME, err) < 0)
		goto out;
	hcrun_fault_at("before the runtime's create");
	if (run_runtime(cmd, status, err) < 0)
		goto out;
	hcrun_fault_at("the runtime's create returned");
	/*
	 * Who tears down now. A create that failed left no container (runc
	 * removes what it made), so nothing else will: the shim. A foreground
	 * run (no --detach) deleted its container on exit unless --keep; the
	 * hook then tore down, and a release here is a no-op or repairs a
	 * hook that failed. Otherwise the container is there, and its
	 * delete tears down.
	 */
	if (strcmp(cmd->verb, "run") == 0 && !cmd->detach)
		undo = !cmd->keep;
	else
		undo = *status != 0;
	made = undo;
	ret = 0;
	/*
	 * The container is there: its record is complete, its delete
	 * releases. A record that cannot say so stays "runtime": gc asks the
	 * runtime, finds the container and completes it; releasing here would
	 * take a live container's channels.
	 */
	if (!undo) {
		hc_cleanup_error hc_error_t *e = NULL;

		if (complete(kit.state_path, &e) < 0) {
			hc_error_prefix(&e, "the container is created, but its record is not "
					    "complete (hcrun oci gc completes it)");
			hcrun_runtime_report(cmd, &e);
		}
	}
out:
	if (dir_fd >= 0)
		close(dir_fd);
	if (made && kit.locked) {
		/* Still ours (before the runtime ran): undone under our lock, as
		 * a lock of the same record taken again would wait for us. */
		hcrun_oci_kit_undo(&kit);
		state_dir_drop();
	} else if (made) {
		release(kit.state_path);
	} else if (ret < 0 && kit.state_path[0] != '\0')
		state_dir_drop();
	hcrun_oci_kit_clear(&kit);
	hcrun_oci_spec_list_clear(&list);
	hcrun_policy_clear(&policy);
	return ret;
}

/* After a runtime delete that failed: is there a record, and does the
 * runtime say the container does not exist? Not known counts as no. */
static bool container_gone(const struct hcrun_runtime_cmd *cmd, const char *path)
{
	hc_cleanup_error hc_error_t *e = NULL;
	bool exists = true;

	if (access(path, F_OK) < 0)
		return false;
	if (hcrun_runtime_container_exists(cmd->runtime, cmd->root, cmd->id, &exists, &e) < 0)
		return false;
	return !exists;
}

int hcrun_runtime_delete(const struct hcrun_runtime_cmd *cmd, int *status, hc_error_t **err)
{
	char path[PATH_MAX];

	/* No record could be there: the runtime alone, untouched. */
	if (id_check(cmd->id, NULL) < 0 || access(hcrun_runtime_state_dir(), F_OK) < 0)
		return 1;
	if (state_path(cmd, path, sizeof(path), err) < 0)
		return -1;
	hcrun_fault_at("before the runtime's delete");
	if (run_runtime(cmd, status, err) < 0)
		return -1;
	hcrun_fault_at("the runtime's delete returned");
	/*
	 * The container may still be there: its record stays with it. Unless
	 * the runtime says it does not exist (a delete again after one that
	 * died half way, a create that died): then nothing else will ever
	 * release what the record lists.
	 */
	if (*status != 0 && !container_gone(cmd, path))
		return 0;
	if (hcrun_oci_release(path, true, err) < 0)
		return hc_error_prefix(err, "%s keeps what is left (hcrun oci teardown %s)", path,
				       path);
	state_dir_drop();
	hcrun_fault_at("state directory removed if empty");
	return 0;
}

/* ------------------------------------------------------------ the errors */

/* One line as runc's logrus writes it with --log-format json. */
static void log_json(const char *path, const char *msg)
{
	struct json_object *line __attribute__((cleanup(hcrun_oci_put))) = json_object_new_object();
	struct json_object *level = json_object_new_string("error");
	struct json_object *m = json_object_new_string(msg);
	struct json_object *t;
	hc_cleanup_free char *text = NULL;
	hc_cleanup_close int fd = -1;
	char stamp[64], secs[32];
	struct timespec ts;
	struct tm tm;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(secs, sizeof(secs), "%Y-%m-%dT%H:%M:%S", &tm);
	/* RFC 3339, as containerd's decoder of the log wants it. */
	snprintf(stamp, sizeof(stamp), "%s.%09ldZ", secs, ts.tv_nsec);
	t = json_object_new_string(stamp);
	if (line == NULL || level == NULL || m == NULL || t == NULL ||
	    json_object_object_add(line, "level", level) < 0) {
		json_object_put(level);
		json_object_put(m);
		json_object_put(t);
		return;
	}
	if (json_object_object_add(line, "msg", m) < 0) {
		json_object_put(m);
		json_object_put(t);
		return;
	}
	if (json_object_object_add(line, "time", t) < 0) {
		json_object_put(t);
		return;
	}
	if (asprintf(&text, "%s\n",
		     json_object_to_json_string_ext(
			     line, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)) < 0) {
		text = NULL;
		return;
	}
	fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY, 0644);
	/* One write: O_APPEND keeps it whole beside the runtime's own lines. */
	if (fd < 0 || hc_write_all(fd, text, strlen(text)) < 0)
		fprintf(stderr, HCRUN_RUNTIME_NAME ": cannot write the error to --log %s: %s\n",
			path, strerror(errno));
}

void hcrun_runtime_report(const struct hcrun_runtime_cmd *cmd, hc_error_t **err)
{
	const char *msg;

	if (err == NULL || *err == NULL)
		return;
	msg = (*err)->msg != NULL ? (*err)->msg : "unknown error";
	fprintf(stderr, HCRUN_RUNTIME_NAME ": %s\n", msg);
	/* containerd's shim hands the runtime's stderr to the container and
	 * reads the error from the log: "OCI runtime create failed: MSG". */
	if (cmd != NULL && cmd->log != NULL && cmd->log_json)
		log_json(cmd->log, msg);
	hc_error_free(err);
}
