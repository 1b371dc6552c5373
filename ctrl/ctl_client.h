/* parnikctl's side of the control socket: one command, one reply line;
 * and the few JSON reads its table needs.
 */
#ifndef CTL_CLIENT_H
#define CTL_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* Sends <line> (no newline) to the socket at <path> and reads the reply
 * line into <reply> (<cap> bytes, NUL-terminated, newline removed).
 * Returns 0; -2 with <err> filled when no replica runs there (no socket
 * file, or nothing listening on it); -1 with <err> filled otherwise
 * (no answer in 10 s, other errors).
 */
int ctl_client_call(const char *path, const char *line, char *reply, size_t cap, char *err,
		    size_t errlen);

/* True for a reply saying "ok": true (the replica did it). */
static inline bool
ctl_reply_ok(const char *reply)
{
	return strncmp(reply, "{\"ok\":true", 10) == 0;
}

/* The first number after "key": in <json>; false when absent. */
bool ctl_json_find_u64(const char *json, const char *key, uint64_t *v);

#endif
