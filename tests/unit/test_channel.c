/* The sealed TCP control channel: lines open only under the same key and
 * nonces, in order, once, in the direction they were sealed for; anything
 * tampered, replayed, reflected, truncated or oversized is refused.
 */
#include <string.h>

#include "channel.h"
#include "check.h"

static const uint8_t secret[32] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10 };
static const uint8_t other_secret[32] = { 9, 9, 9 };
static const uint8_t sn[CTL_CHAN_NONCE_LEN] = { 0xaa, 1 };
static const uint8_t cn[CTL_CHAN_NONCE_LEN] = { 0xbb, 2 };

static void
pair(struct ctl_channel *server, struct ctl_channel *client)
{
	CHECK(ctl_channel_ready());
	ctl_channel_init(server, secret, sn, cn, true);
	ctl_channel_init(client, secret, sn, cn, false);
}

static void
test_round_trip_both_ways(void)
{
	struct ctl_channel s, c;
	char sealed[512], plain[256];
	size_t n;

	pair(&s, &c);
	for (int i = 0; i < 3; i++) {
		n = ctl_channel_seal(&c, "status", 6, sealed, sizeof(sealed));
		CHECK(n > 0 && n == ctl_channel_sealed_len(6) && strlen(sealed) == n);
		CHECK(strchr(sealed, '\n') == NULL && strstr(sealed, "status") == NULL);
		CHECK_EQ(ctl_channel_open(&s, sealed, n, plain, sizeof(plain)), 6);
		CHECK(strcmp(plain, "status") == 0);
		n = ctl_channel_seal(&s, "{\"ok\":true}", 11, sealed, sizeof(sealed));
		CHECK_EQ(ctl_channel_open(&c, sealed, n, plain, sizeof(plain)), 11);
		CHECK(strcmp(plain, "{\"ok\":true}") == 0);
	}
}

static void
test_wrong_key_or_nonce(void)
{
	struct ctl_channel s, c;
	char sealed[512], plain[256];
	size_t n;
	const uint8_t other_cn[CTL_CHAN_NONCE_LEN] = { 0xbb, 3 };

	CHECK(ctl_channel_ready());
	ctl_channel_init(&s, secret, sn, cn, true);
	ctl_channel_init(&c, other_secret, sn, cn, false);
	n = ctl_channel_seal(&c, "shutdown", 8, sealed, sizeof(sealed));
	CHECK_EQ(ctl_channel_open(&s, sealed, n, plain, sizeof(plain)), -1);
	/* A line of another session (another client nonce) does not open. */
	ctl_channel_init(&s, secret, sn, cn, true);
	ctl_channel_init(&c, secret, sn, other_cn, false);
	n = ctl_channel_seal(&c, "shutdown", 8, sealed, sizeof(sealed));
	CHECK_EQ(ctl_channel_open(&s, sealed, n, plain, sizeof(plain)), -1);
}

static void
test_replay_reorder_reflect(void)
{
	struct ctl_channel s, c;
	char first[512], second[512], plain[256];
	size_t n1, n2;

	pair(&s, &c);
	n1 = ctl_channel_seal(&c, "gc hold 600", 11, first, sizeof(first));
	n2 = ctl_channel_seal(&c, "gc release", 10, second, sizeof(second));
	/* Out of order: the second line first. */
	CHECK_EQ(ctl_channel_open(&s, second, n2, plain, sizeof(plain)), -1);
	CHECK_EQ(ctl_channel_open(&s, first, n1, plain, sizeof(plain)), 11);
	/* Replayed. */
	CHECK_EQ(ctl_channel_open(&s, first, n1, plain, sizeof(plain)), -1);
	CHECK_EQ(ctl_channel_open(&s, second, n2, plain, sizeof(plain)), 10);
	/* Reflected: a line the server sealed, fed back to the server. */
	n1 = ctl_channel_seal(&s, "status", 6, first, sizeof(first));
	CHECK_EQ(ctl_channel_open(&s, first, n1, plain, sizeof(plain)), -1);
}

static void
test_tampered_and_malformed(void)
{
	struct ctl_channel s, c;
	char sealed[512], plain[256], big[4096];
	size_t n;

	pair(&s, &c);
	n = ctl_channel_seal(&c, "admit", 5, sealed, sizeof(sealed));
	sealed[3] = sealed[3] == 'A' ? 'B' : 'A';
	CHECK_EQ(ctl_channel_open(&s, sealed, n, plain, sizeof(plain)), -1);
	pair(&s, &c);
	n = ctl_channel_seal(&c, "admit", 5, sealed, sizeof(sealed));
	CHECK_EQ(ctl_channel_open(&s, sealed, n - 2, plain, sizeof(plain)), -1);	/* truncated */
	CHECK_EQ(ctl_channel_open(&s, "status", 6, plain, sizeof(plain)), -1);	/* plain text */
	CHECK_EQ(ctl_channel_open(&s, "", 0, plain, sizeof(plain)), -1);
	CHECK_EQ(ctl_channel_open(&s, "!!!!****", 8, plain, sizeof(plain)), -1);
	/* After the refusals the genuine line still opens: they moved nothing. */
	CHECK_EQ(ctl_channel_open(&s, sealed, n, plain, sizeof(plain)), 5);
	/* A line whose plain text would not fit is refused, not cut. */
	pair(&s, &c);
	memset(big, 'x', 1000);
	n = ctl_channel_seal(&c, big, 1000, sealed, sizeof(sealed));
	CHECK_EQ(n, 0);	/* no room to seal it into 512 bytes */
	n = ctl_channel_seal(&c, big, 100, sealed, sizeof(sealed));
	CHECK_EQ(ctl_channel_open(&s, sealed, n, plain, 50), -1);
	/* A NUL or newline inside would smuggle a second command. */
	pair(&s, &c);
	n = ctl_channel_seal(&c, "ping\nshutdown", 13, sealed, sizeof(sealed));
	CHECK_EQ(ctl_channel_open(&s, sealed, n, plain, sizeof(plain)), -1);
}

static void
test_nonce_text(void)
{
	char hex[2 * CTL_CHAN_NONCE_LEN + 1];
	uint8_t back[CTL_CHAN_NONCE_LEN];

	ctl_channel_nonce_hex(sn, hex);
	CHECK_EQ(strlen(hex), 32);
	CHECK(ctl_channel_nonce_parse(hex, back) && memcmp(back, sn, sizeof(back)) == 0);
	CHECK(!ctl_channel_nonce_parse("00", back));
	CHECK(!ctl_channel_nonce_parse("zz0102030405060708090a0b0c0d0e0f", back));
	CHECK(!ctl_channel_nonce_parse("00010203040506070809 0a0b0c0d0e0f", back));
}

int
main(int argc, char **argv)
{
	static const struct check_case cases[] = {
		{ "round_trip_both_ways", test_round_trip_both_ways },
		{ "wrong_key_or_nonce", test_wrong_key_or_nonce },
		{ "replay_reorder_reflect", test_replay_reorder_reflect },
		{ "tampered_and_malformed", test_tampered_and_malformed },
		{ "nonce_text", test_nonce_text },
	};

	return check_run(argc, argv, cases, (int)(sizeof(cases) / sizeof(cases[0])));
}
