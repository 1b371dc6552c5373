/* The command-line programs' usage errors: one line with the reason and
 * where to read more, exit 2; and the name of the option getopt_long
 * refused (a short one inside a bundle such as -Zh has no argv word of
 * its own).
 */
#ifndef PK_UTIL_CLI_H
#define PK_UTIL_CLI_H

#include <getopt.h>
#include <stdio.h>

/* "<prog>: <fmt with arg> (<prog> --help)" on stderr; returns 2. */
static inline int
pk_usage_error(const char *prog, const char *fmt, const char *arg)
{
	fprintf(stderr, "%s: ", prog);
	fprintf(stderr, fmt, arg);
	fprintf(stderr, " (%s --help)\n", prog);
	return 2;
}

/* After getopt_long returned '?': the option it refused, in <buf>. */
static inline const char *
pk_bad_option(char *const *argv, char buf[3])
{
	if (optopt == 0)
		return argv[optind - 1];
	buf[0] = '-';
	buf[1] = (char)optopt;
	buf[2] = 0;
	return buf;
}

#endif
