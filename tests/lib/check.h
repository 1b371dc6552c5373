/* A minimal test harness: named cases, CHECK macros that fail the current
 * case and return, and a closing "N passed, N failed" line.
 */
#ifndef PK_TEST_CHECK_H
#define PK_TEST_CHECK_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct check_case {
	const char *name;
	void (*fn)(void);
};

extern int check_failed;

void check_fail(const char *file, int line, const char *what);

#define CHECK(cond)                                              \
	do {                                                     \
		if (!(cond)) {                                   \
			check_fail(__FILE__, __LINE__, #cond);   \
			return;                                  \
		}                                                \
	} while (0)

#define CHECK_EQ(a, b)                                                          \
	do {                                                                    \
		long long check_a_ = (long long)(a), check_b_ = (long long)(b); \
		if (check_a_ != check_b_) {                                     \
			char check_msg_[512];                                   \
			snprintf(check_msg_, sizeof(check_msg_), "%s == %s (%lld != %lld)", \
				 #a, #b, check_a_, check_b_);                   \
			check_fail(__FILE__, __LINE__, check_msg_);             \
			return;                                                 \
		}                                                               \
	} while (0)

/* Fills <buf> with xorshift64 bytes from <seed> (nonzero): arbitrary data
 * that every run sees the same.
 */
void check_fill(void *buf, size_t len, uint64_t seed);

/* A dotted IPv4 address in network order (tests of addresses). */
unsigned int check_ip4(const char *dotted);

/* Runs every case (or those whose name contains argv[1]); returns the exit
 * status: 0 when all passed.
 */
int check_run(int argc, char **argv, const struct check_case *cases, int n);

#endif
