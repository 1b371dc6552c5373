/* Printable names for status codes and operations, and ballots as text. */
#include <stddef.h>
#include <stdio.h>

#include "parnik/err.h"
#include "parnik/types.h"

const char *
pk_strstatus(int code)
{
	switch (code) {
#define PK_STATUS_MSG(name, value, msg) \
	case value:                     \
		return msg;
		PK_STATUS_LIST(PK_STATUS_MSG)
#undef PK_STATUS_MSG
	}
	return "unknown status";
}

const char *
pk_status_name(int code)
{
	switch (code) {
#define PK_STATUS_NAME(name, value, msg) \
	case value:                      \
		return #name;
		PK_STATUS_LIST(PK_STATUS_NAME)
#undef PK_STATUS_NAME
	}
	return "?";
}

const char *
pk_op_name(unsigned int op)
{
	static const char *const names[] = { NULL, "GET", "PUT", "CAS", "ADD", "DEL", "OPEN" };

	return op >= 1 && op <= PK_OP_OPEN ? names[op] : "?";
}

void
pk_ballot_format(const struct pk_ballot *b, char *buf, size_t cap)
{
	snprintf(buf, cap, "%llu.%u.%u.%u", (unsigned long long)b->counter, b->incarnation,
		 b->node, b->worker);
}

/* Digits into <v>, at most <max>; returns the text after them, or NULL. */
static const char *
parse_uint(const char *s, uint64_t max, uint64_t *v)
{
	const char *start = s;

	*v = 0;
	for (; *s >= '0' && *s <= '9'; s++) {
		uint64_t d = (uint64_t)(*s - '0');

		if (*v > (max - d) / 10)
			return NULL;
		*v = *v * 10 + d;
	}
	return s == start ? NULL : s;
}

bool
pk_ballot_parse(const char *s, struct pk_ballot *b)
{
	static const uint64_t max[4] = { UINT64_MAX, UINT32_MAX, UINT16_MAX, UINT16_MAX };
	uint64_t part[4];

	for (int i = 0; i < 4; i++) {
		s = parse_uint(s, max[i], &part[i]);
		if (s == NULL || *s != (i < 3 ? '.' : 0))
			return false;
		s++;
	}
	*b = (struct pk_ballot){ .counter = part[0], .incarnation = (uint32_t)part[1],
				 .node = (uint16_t)part[2], .worker = (uint16_t)part[3] };
	return true;
}
