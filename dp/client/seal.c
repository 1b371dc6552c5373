/* The client key on libparnik's datagrams (seal.h). */
#include <string.h>

#include "seal.h"

void
pk_client_seal_init(struct pk_client_seal *s, const uint8_t *secret, uint64_t client_id)
{
	memset(s, 0, sizeof(*s));
	s->boot = client_id;
	s->keyed = secret != NULL;
	if (s->keyed)
		pk_auth_derive(secret, PK_AUTH_CLIENT, &s->key);
}

size_t
pk_client_seal_out(struct pk_client_seal *s, uint8_t *buf, size_t len, size_t cap)
{
	struct pk_auth_trailer t = { .node = 0, .boot = s->boot };

	if (!s->keyed)
		return len;
	t.seq = ++s->seq;
	return pk_auth_seal(buf, len, cap, PK_DGRAM_CLIENT_MAC, &t, &s->key);
}

size_t
pk_client_seal_in(const struct pk_client_seal *s, const uint8_t *buf, size_t len)
{
	struct pk_auth_trailer t;
	uint8_t flags = pk_auth_flags(buf, len);

	if (!s->keyed)
		return flags == 0 ? len : 0;
	if (flags != PK_DGRAM_CLIENT_MAC)
		return 0;
	return pk_auth_open(buf, len, &s->key, &t);
}
