/* parnikctl's side of the control socket: one command, one reply line
 * (reply.h reads it).
 */
#ifndef CTL_CLIENT_H
#define CTL_CLIENT_H

#include <stddef.h>
#include <stdint.h>

/* The control key's secret (parnikctl --control-key): needed for
 * tcp://HOST:PORT addresses.
 */
void ctl_client_set_key(const uint8_t key[32]);

/* Sends <line> (no newline) to the replica at <path> (a Unix socket path,
 * or tcp://HOST:PORT for a replica's --control-listen port, sealed with
 * the control key) and reads the reply line into <reply> (<cap> bytes,
 * NUL-terminated, newline removed).
 * Returns 0; -2 with <err> filled when no replica runs there (no socket
 * file, or nothing listening on it); -1 with <err> filled otherwise
 * (no answer in 10 s, other errors).
 */
int ctl_client_call(const char *path, const char *line, char *reply, size_t cap, char *err,
		    size_t errlen);

#endif
