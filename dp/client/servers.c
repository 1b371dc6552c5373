/* libparnik: the server list "IPV4:BASEPORT[,IPV4:BASEPORT...]", parsed
 * once for the client and for its pre-flight check (see servers.h).
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parnik/client.h"
#include "servers.h"

int
pk_servers_parse(const char *list, uint16_t partitions, struct sockaddr_in *out, unsigned int *n,
		 char *err, size_t errlen)
{
	char buf[1024];
	char *save = NULL;

	*n = 0;
	if (list == NULL || strlen(list) >= sizeof(buf)) {
		snprintf(err, errlen, "servers: expected IPV4:PORT[,IPV4:PORT...]");
		return -1;
	}
	strcpy(buf, list);
	for (char *tok = strtok_r(buf, ",", &save); tok != NULL; tok = strtok_r(NULL, ",", &save)) {
		char *colon = strrchr(tok, ':');
		char *end;
		unsigned long port;
		struct sockaddr_in *s;

		if (*n == PK_CLIENT_MAX_SERVERS) {
			snprintf(err, errlen, "servers: more than %d", PK_CLIENT_MAX_SERVERS);
			return -1;
		}
		s = &out[*n];
		if (colon == NULL) {
			snprintf(err, errlen, "server '%s': expected IPV4:PORT", tok);
			return -1;
		}
		*colon = 0;
		port = strtoul(colon + 1, &end, 10);
		if (*end != 0 || port == 0 || port + partitions > 65536) {
			snprintf(err, errlen, "server '%s': bad port '%s'", tok, colon + 1);
			return -1;
		}
		memset(s, 0, sizeof(*s));
		s->sin_family = AF_INET;
		s->sin_port = htons((uint16_t)port);
		if (inet_pton(AF_INET, tok, &s->sin_addr) != 1) {
			snprintf(err, errlen, "server '%s': not an IPv4 address", tok);
			return -1;
		}
		(*n)++;
	}
	if (*n == 0) {
		snprintf(err, errlen, "servers: none given");
		return -1;
	}
	return 0;
}

int
pk_client_servers(const char *list, struct pk_server *out, unsigned int *n, char *err,
		  size_t errlen)
{
	struct sockaddr_in addrs[PK_CLIENT_MAX_SERVERS];

	if (pk_servers_parse(list, 1, addrs, n, err, errlen) != 0)
		return -1;
	for (unsigned int i = 0; i < *n; i++)
		out[i] = (struct pk_server){ .ip = addrs[i].sin_addr.s_addr,
					     .base_port = ntohs(addrs[i].sin_port) };
	return 0;
}
