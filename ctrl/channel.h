/* The control channel over TCP (parnikd --control-listen, parnikctl -s
 * tcp://HOST:PORT): every line after the greeting is sealed with
 * XChaCha20-Poly1305 under a session key, so a party without the control
 * key can neither read, forge, replay, reorder nor splice lines.
 *
 *   server -> client   "parnik-control 1 <server nonce, 32 hex>"
 *   client -> server   "<client nonce, 32 hex>"
 *   then both ways     base64url(ciphertext || tag), one per line
 *
 * The session key is BLAKE2b(key = the control key derived from the key
 * file's secret, "parnik-control-v1" || server nonce || client nonce):
 * fresh for every connection, from both sides' randomness, so neither a
 * replayed client nor a replayed server gets anywhere. Line i in each
 * direction uses the AEAD nonce (direction, i): a line dropped, repeated
 * or moved fails to open and ends the connection.
 *
 * Pure but for the caller's random nonces: unit tested (test_channel).
 */
#ifndef CTL_CHANNEL_H
#define CTL_CHANNEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CTL_CHAN_SECRET_LEN 32
#define CTL_CHAN_NONCE_LEN 16
#define CTL_CHAN_GREETING "parnik-control 1 "

struct ctl_channel {
	uint8_t key[32];
	uint64_t sent, received;	/* lines so far, each way */
	bool server;
};

/* Sets libsodium up (its randomness, its fastest code); false when it
 * cannot be, and then no channel may be used. Call it once before any.
 */
bool ctl_channel_ready(void);

/* Keys a channel for one connection. */
void ctl_channel_init(struct ctl_channel *c, const uint8_t secret[CTL_CHAN_SECRET_LEN],
		      const uint8_t server_nonce[CTL_CHAN_NONCE_LEN],
		      const uint8_t client_nonce[CTL_CHAN_NONCE_LEN], bool server);

/* The characters a sealed line of <len> plain bytes takes (no newline). */
size_t ctl_channel_sealed_len(size_t len);

/* Seals <len> bytes into text at <out> (<cap> bytes, NUL-terminated).
 * Returns the text's length, or 0 when <cap> is too small.
 */
size_t ctl_channel_seal(struct ctl_channel *c, const char *plain, size_t len, char *out,
			size_t cap);

/* Opens the sealed line <text> (<len> characters, no newline) into <out>
 * (<cap> bytes, NUL-terminated). Returns the plain length, or -1 when the
 * line is malformed, forged, replayed, out of order or too large; the
 * caller then drops the connection.
 */
long ctl_channel_open(struct ctl_channel *c, const char *text, size_t len, char *out,
		      size_t cap);

/* Hex of a nonce into <out> (2 * CTL_CHAN_NONCE_LEN + 1), and back (false
 * when <text> is not exactly that many hex digits).
 */
void ctl_channel_nonce_hex(const uint8_t nonce[CTL_CHAN_NONCE_LEN], char *out);
bool ctl_channel_nonce_parse(const char *text, uint8_t nonce[CTL_CHAN_NONCE_LEN]);

#endif
