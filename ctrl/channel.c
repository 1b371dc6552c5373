/* The sealed control channel (see channel.h), on libsodium. */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "channel.h"

#define B64 sodium_base64_VARIANT_URLSAFE_NO_PADDING
#define ABYTES crypto_aead_xchacha20poly1305_ietf_ABYTES

static const char context[] = "parnik-control-v1";

bool
ctl_channel_ready(void)
{
	return sodium_init() >= 0;	/* idempotent */
}

void
ctl_channel_init(struct ctl_channel *c, const uint8_t secret[CTL_CHAN_SECRET_LEN],
		 const uint8_t server_nonce[CTL_CHAN_NONCE_LEN],
		 const uint8_t client_nonce[CTL_CHAN_NONCE_LEN], bool server)
{
	uint8_t control_key[32];
	crypto_generichash_state h;

	/* The key file's secret is never used as is: the control key is its
	 * own derivation, apart from the peer and client keys made from a
	 * file given for those too.
	 */
	crypto_generichash(control_key, sizeof(control_key), (const uint8_t *)"parnik control key",
			   18, secret, CTL_CHAN_SECRET_LEN);
	crypto_generichash_init(&h, control_key, sizeof(control_key), sizeof(c->key));
	crypto_generichash_update(&h, (const uint8_t *)context, sizeof(context) - 1);
	crypto_generichash_update(&h, server_nonce, CTL_CHAN_NONCE_LEN);
	crypto_generichash_update(&h, client_nonce, CTL_CHAN_NONCE_LEN);
	crypto_generichash_final(&h, c->key, sizeof(c->key));
	sodium_memzero(control_key, sizeof(control_key));
	c->sent = c->received = 0;
	c->server = server;
}

/* Direction 0: client to server; 1: server to client. */
static void
aead_nonce(uint8_t out[crypto_aead_xchacha20poly1305_ietf_NPUBBYTES], int dir, uint64_t seq)
{
	memset(out, 0, crypto_aead_xchacha20poly1305_ietf_NPUBBYTES);
	out[0] = (uint8_t)dir;
	for (int i = 0; i < 8; i++)
		out[1 + i] = (uint8_t)(seq >> (8 * i));
}

size_t
ctl_channel_sealed_len(size_t len)
{
	return sodium_base64_ENCODED_LEN(len + ABYTES, B64) - 1;
}

size_t
ctl_channel_seal(struct ctl_channel *c, const char *plain, size_t len, char *out, size_t cap)
{
	uint8_t nonce[crypto_aead_xchacha20poly1305_ietf_NPUBBYTES];
	uint8_t *sealed;
	unsigned long long slen;

	if (cap < ctl_channel_sealed_len(len) + 1)
		return 0;
	sealed = malloc(len + ABYTES);
	if (sealed == NULL)
		return 0;
	aead_nonce(nonce, c->server ? 1 : 0, c->sent++);
	crypto_aead_xchacha20poly1305_ietf_encrypt(sealed, &slen, (const uint8_t *)plain, len, NULL,
						   0, NULL, nonce, c->key);
	sodium_bin2base64(out, cap, sealed, (size_t)slen, B64);
	free(sealed);
	return strlen(out);
}

long
ctl_channel_open(struct ctl_channel *c, const char *text, size_t len, char *out, size_t cap)
{
	uint8_t nonce[crypto_aead_xchacha20poly1305_ietf_NPUBBYTES];
	uint8_t *sealed;
	size_t slen;
	unsigned long long plen;
	long rc = -1;

	/* Decoded it is at most 3/4 of the text: refuse what cannot fit. */
	if (len / 4 * 3 > cap + ABYTES || (sealed = malloc(len)) == NULL)
		return -1;
	if (sodium_base642bin(sealed, len, text, len, NULL, &slen, NULL, B64) == 0 &&
	    slen >= ABYTES && slen - ABYTES < cap) {
		aead_nonce(nonce, c->server ? 0 : 1, c->received);
		if (crypto_aead_xchacha20poly1305_ietf_decrypt((uint8_t *)out, &plen, NULL, sealed,
							       slen, NULL, 0, nonce, c->key) == 0) {
			out[plen] = 0;
			/* A NUL inside would cut the command short unseen. */
			if (memchr(out, 0, (size_t)plen) == NULL && memchr(out, '\n', (size_t)plen) == NULL) {
				c->received++;
				rc = (long)plen;
			}
		}
	}
	free(sealed);
	return rc;
}

void
ctl_channel_nonce_hex(const uint8_t nonce[CTL_CHAN_NONCE_LEN], char *out)
{
	sodium_bin2hex(out, 2 * CTL_CHAN_NONCE_LEN + 1, nonce, CTL_CHAN_NONCE_LEN);
}

bool
ctl_channel_nonce_parse(const char *text, uint8_t nonce[CTL_CHAN_NONCE_LEN])
{
	size_t n;
	const char *end;

	return strlen(text) == 2 * CTL_CHAN_NONCE_LEN &&
	       sodium_hex2bin(nonce, CTL_CHAN_NONCE_LEN, text, strlen(text), NULL, &n, &end) == 0 &&
	       n == CTL_CHAN_NONCE_LEN && *end == 0;
}
