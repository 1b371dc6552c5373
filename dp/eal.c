/* EAL teardown that removes the runtime directory (see eal.h). */
#define _XOPEN_SOURCE 700
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include <rte_eal.h>

#include "eal.h"

static int
remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	(void)remove(path);
	return 0;
}

void
dp_eal_cleanup(void)
{
	char dir[PATH_MAX];
	const char *rt = rte_eal_get_runtime_dir();

	snprintf(dir, sizeof(dir), "%s", rt != NULL ? rt : "");
	rte_eal_cleanup();
	/* Only a directory of this process's own prefix, never a parent. */
	if (dir[0] == '/' && strstr(dir, "/dpdk/") != NULL)
		(void)nftw(dir, remove_entry, 8, FTW_DEPTH | FTW_PHYS);
}
