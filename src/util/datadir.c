/* datadir.c - locate data files relative to the binary; see datadir.h. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "util/datadir.h"
#include "util/err.h"

/* Try root/rel; on success the path is in out. */
static int try_root(const char *root, const char *rel, char *out, size_t n)
{
	int len = snprintf(out, n, "%s/%s", root, rel);
	if (len < 0 || (size_t)len >= n)
		return -1;
	return access(out, R_OK) == 0 ? 0 : -1;
}

int datadir_path(const char *rel, char *out, size_t n)
{
	const char *env = getenv("AICOST_DATA");
	char exe[PATH_MAX], root[PATH_MAX + 32];

	if (env && *env) {
		if (try_root(env, rel, out, n) == 0)
			return 0;
		return error("data file %s: not found under $AICOST_DATA (%s)", rel, env);
	}
	ssize_t len = readlink("/proc/self/exe", exe, sizeof exe - 1);
	if (len <= 0)
		return error("data file %s: cannot locate the aicost binary (set $AICOST_DATA)", rel);
	exe[len] = '\0';
	char *slash = strrchr(exe, '/');
	if (!slash)
		return error("data file %s: cannot locate the aicost binary (set $AICOST_DATA)", rel);
	*slash = '\0';

	snprintf(root, sizeof root, "%s/data", exe);
	if (try_root(root, rel, out, n) == 0)
		return 0;
	snprintf(root, sizeof root, "%s/../share/aicost", exe);
	if (try_root(root, rel, out, n) == 0)
		return 0;
	/* Build trees: build/<cfg>/aicost, build/<cfg>/tests/<t>, ... */
	for (int up = 1; up <= 3; up++) {
		char *s = strrchr(exe, '/');
		if (!s)
			break;
		*s = '\0';
		snprintf(root, sizeof root, "%s/data", *exe ? exe : "/");
		if (try_root(root, rel, out, n) == 0)
			return 0;
	}
	return error("data file %s: not found next to the aicost binary (set $AICOST_DATA)", rel);
}
