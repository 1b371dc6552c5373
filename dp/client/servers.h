/* libparnik internal: parsing the server list of a client config. */
#ifndef PARNIK_CLIENT_SERVERS_H
#define PARNIK_CLIENT_SERVERS_H

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>

/* Parses <list> ("IPV4:BASEPORT,...", at most PK_CLIENT_MAX_SERVERS) into
 * <out> and its count into <n>; each base port leaves room for <partitions>
 * ports. Returns 0, or -1 with the offending entry named in <err>.
 */
int pk_servers_parse(const char *list, uint16_t partitions, struct sockaddr_in *out, unsigned int *n,
		     char *err, size_t errlen);

#endif
