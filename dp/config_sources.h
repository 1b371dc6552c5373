/* Where parnikd's options come from: a file (--config FILE), PARNIKD_*
 * environment variables and the command line, in rising precedence (a flag
 * beats the environment, which beats the file), as etcd takes ETCD_*.
 *
 * File format, one option per line, the long option's name without "--":
 *
 *     # replica 0
 *     node = 0
 *     addr = 198.18.0.1
 *     member = 0=198.18.0.1        # repeat for each member
 *     peer-key = /etc/parnik/peer.key
 *     insecure-peers = false       # a switch: true or false (or the name alone)
 *
 * Environment: PARNIKD_NODE=0, PARNIKD_PEER_KEY=..., PARNIKD_BOOTSTRAP=true;
 * a repeatable option (member, neighbour) takes several values separated by
 * spaces: PARNIKD_MEMBER="0=198.18.0.1 1=198.18.0.2". Other PARNIKD_*
 * variables (the systemd unit's PARNIKD_EAL, PARNIKD_ARGS) are not options
 * and are left alone. A repeatable option set in a higher source replaces
 * all its values from the lower ones.
 */
#ifndef DP_CONFIG_SOURCES_H
#define DP_CONFIG_SOURCES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

enum dp_config_source { DP_SRC_FILE, DP_SRC_ENV, DP_SRC_FLAG };

struct dp_config_entry {
	const char *name;	/* the option's long name (the table's string) */
	char *value;		/* NULL for a switch */
	enum dp_config_source source;
	char *raw;		/* a command-line word the table does not know */
};

struct dp_config_args {
	int argc;		/* the merged command line, for dp_options_parse */
	char **argv;
	bool print;		/* --print-config was given */
	char file[256];		/* the --config file, "" when none */
	struct dp_config_entry *e;	/* what each option came from */
	size_t n, cap;
};

/* Merges the file named by --config in <argv> (argv[0] is the program),
 * the environment <envp> and <argv> itself. Returns 0, or -1 with a
 * one-line reason (the file and line of a bad entry) in <err>.
 */
int dp_config_merge(int argc, char **argv, char *const *envp, struct dp_config_args *out,
		    char *err, size_t errlen);

/* The options in force, each with where it came from, in the file format. */
void dp_config_print(const struct dp_config_args *a, FILE *f);

void dp_config_free(struct dp_config_args *a);

#endif
