/* The test harness behind check.h. */
#include <string.h>

#include <arpa/inet.h>

#include "check.h"

int check_failed;

void
check_fail(const char *file, int line, const char *what)
{
	fprintf(stderr, "  %s:%d: check failed: %s\n", file, line, what);
	check_failed = 1;
}

int
check_run(int argc, char **argv, const struct check_case *cases, int n)
{
	int passed = 0, failed = 0;

	for (int i = 0; i < n; i++) {
		if (argc > 1 && strstr(cases[i].name, argv[1]) == NULL)
			continue;
		check_failed = 0;
		cases[i].fn();
		printf("%s %s\n", check_failed ? "FAIL" : "ok  ", cases[i].name);
		if (check_failed)
			failed++;
		else
			passed++;
	}
	printf("%d passed, %d failed\n", passed, failed);
	return failed == 0 && passed > 0 ? 0 : 1;
}

unsigned int
check_ip4(const char *dotted)
{
	struct in_addr a = { 0 };

	inet_pton(AF_INET, dotted, &a);
	return a.s_addr;
}

void
check_fill(void *buf, size_t len, uint64_t seed)
{
	uint8_t *b = buf;
	uint64_t x = seed;

	for (size_t i = 0; i < len; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		b[i] = (uint8_t)x;
	}
}
