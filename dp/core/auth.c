/* Datagram seal and check (parnik/auth.h): SipHash-2-4 with a 128-bit tag
 * (libsodium's crypto_shorthash_siphashx24) over the whole datagram but the
 * tag. SipHash was designed as a MAC for short inputs (Aumasson and
 * Bernstein, 2012): a Parnik datagram is 60 to 1472 bytes, where it costs a
 * fraction of keyed BLAKE2b or HMAC-SHA-256 (bench/auth_cost.c measures
 * all three). Keys come from the secret through libsodium's crypto_kdf
 * (BLAKE2b), one per purpose.
 */
#include <string.h>

#include <sodium.h>

#include "parnik/auth.h"
#include "parnik/wire.h"

#define TRAILER_TAG_OFF (PK_AUTH_TRAILER_LEN - PK_AUTH_TAG_LEN)

static void
put_le(uint8_t *p, uint64_t v, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t
get_le(const uint8_t *p, unsigned int n)
{
	uint64_t v = 0;

	for (unsigned int i = 0; i < n; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

void
pk_auth_derive(const uint8_t secret[PK_AUTH_SECRET_LEN], enum pk_auth_purpose purpose,
	       struct pk_auth_key *key)
{
	/* crypto_kdf's context is exactly 8 bytes. */
	static const char ctx[crypto_kdf_CONTEXTBYTES + 1] = "PRNKmac1";

	(void)crypto_kdf_derive_from_key(key->k, sizeof(key->k), (uint64_t)purpose, ctx, secret);
}

static void
tag_of(const uint8_t *buf, size_t len, const struct pk_auth_key *key, uint8_t tag[PK_AUTH_TAG_LEN])
{
	(void)crypto_shorthash_siphashx24(tag, buf, len, key->k);
}

size_t
pk_auth_seal(uint8_t *buf, size_t len, size_t cap, uint8_t flag, const struct pk_auth_trailer *t,
	     const struct pk_auth_key *key)
{
	uint8_t *tr = buf + len;

	if (len < PK_WIRE_HDR_LEN || cap < PK_AUTH_TRAILER_LEN || len > cap - PK_AUTH_TRAILER_LEN)
		return 0;
	buf[5] = flag;
	put_le(tr, t->node, 2);
	put_le(tr + 2, t->to, 2);
	put_le(tr + 4, t->boot, 8);
	put_le(tr + 12, t->seq, 8);
	tag_of(buf, len + TRAILER_TAG_OFF, key, tr + TRAILER_TAG_OFF);
	return len + PK_AUTH_TRAILER_LEN;
}

uint8_t
pk_auth_flags(const uint8_t *buf, size_t len)
{
	return len >= PK_WIRE_HDR_LEN ? buf[5] : 0;
}

bool
pk_auth_check_tag(const uint8_t *buf, size_t len, const struct pk_auth_key *key,
		  const uint8_t tag[PK_AUTH_TAG_LEN])
{
	uint8_t mine[PK_AUTH_TAG_LEN];

	tag_of(buf, len, key, mine);
	return sodium_memcmp(mine, tag, PK_AUTH_TAG_LEN) == 0;
}

size_t
pk_auth_open(const uint8_t *buf, size_t len, const struct pk_auth_key *key,
	     struct pk_auth_trailer *t)
{
	const uint8_t *tr;

	if (len < PK_WIRE_HDR_LEN + PK_AUTH_TRAILER_LEN)
		return 0;
	tr = buf + len - PK_AUTH_TRAILER_LEN;
	if (!pk_auth_check_tag(buf, len - PK_AUTH_TAG_LEN, key, tr + TRAILER_TAG_OFF))
		return 0;
	t->node = (uint16_t)get_le(tr, 2);
	t->to = (uint16_t)get_le(tr + 2, 2);
	t->boot = get_le(tr + 4, 8);
	t->seq = get_le(tr + 12, 8);
	return len - PK_AUTH_TRAILER_LEN;
}
