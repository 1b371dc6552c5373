/* parnik-auth-cost: what a MAC costs per datagram, to choose one for the
 * replicas' hot path. For each size (a one-message ACCEPTED is about 60
 * bytes, a full batch 1472), the ns per datagram of:
 *   siphash   SipHash-2-4, 128-bit tag (Parnik's choice: pk_auth_seal +
 *             pk_auth_open, i.e. the sender's and the receiver's work)
 *   blake2b   keyed BLAKE2b, 16-byte tag (tag computed twice: seal + check)
 *   hmac256   HMAC-SHA-256, full tag (twice)
 *   gmac      AES-256-GCM with an empty message and the datagram as
 *             associated data, i.e. GMAC (twice), where AES-NI is present
 * Each figure is the median of --runs runs of --iters datagrams on one
 * core. CPU time, not wall time; compare within one run only.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "parnik/auth.h"
#include "parnik/wire.h"

#define MAX_RUNS 15

static double
cpu_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
	return (double)t.tv_sec * 1e9 + (double)t.tv_nsec;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static volatile uint8_t sink;

enum mac { M_SIPHASH, M_BLAKE2B, M_HMAC256, M_GMAC, M_COUNT };
static const char *const mac_names[M_COUNT] = { "siphash", "blake2b", "hmac256", "gmac" };

/* One datagram's work for <mac>: seal on the sender, check on the receiver. */
static void
one(enum mac m, uint8_t *buf, size_t len, uint64_t i)
{
	static const uint8_t secret[PK_AUTH_SECRET_LEN] = { 7 };
	static struct pk_auth_key key;
	static uint8_t k32[32] = { 9 };
	static int ready;
	uint8_t tag[32], nonce[crypto_aead_aes256gcm_NPUBBYTES] = { 0 };
	unsigned long long tlen;

	if (!ready) {
		pk_auth_derive(secret, PK_AUTH_PEER, &key);
		ready = 1;
	}
	switch (m) {
	case M_SIPHASH: {
		const struct pk_auth_trailer t = { .node = 1, .boot = 1, .seq = i + 1 };
		struct pk_auth_trailer got;
		size_t sealed = pk_auth_seal(buf, len, len + PK_AUTH_TRAILER_LEN, PK_DGRAM_PEER_MAC,
					     &t, &key);

		sink ^= (uint8_t)pk_auth_open(buf, sealed, &key, &got);
		break;
	}
	case M_BLAKE2B:
		for (int k = 0; k < 2; k++) {
			crypto_generichash(tag, 16, buf, len, k32, 32);
			sink ^= tag[0];
		}
		break;
	case M_HMAC256:
		for (int k = 0; k < 2; k++) {
			crypto_auth_hmacsha256(tag, buf, len, k32);
			sink ^= tag[0];
		}
		break;
	case M_GMAC:
		memcpy(nonce, &i, sizeof(i));
		for (int k = 0; k < 2; k++) {
			crypto_aead_aes256gcm_encrypt(tag, &tlen, NULL, 0, buf, len, NULL, nonce, k32);
			sink ^= tag[0];
		}
		break;
	default:
		break;
	}
}

int
main(int argc, char **argv)
{
	static const size_t sizes[] = { 64, 128, 256, 512, 1024, 1436 };
	unsigned long iters = 200000, runs = 5;
	static uint8_t buf[PK_MAX_DGRAM + 64];
	int opt;

	while ((opt = getopt(argc, argv, "n:r:h")) != -1) {
		if (opt == 'n')
			iters = strtoul(optarg, NULL, 10);
		else if (opt == 'r')
			runs = strtoul(optarg, NULL, 10);
		else {
			fprintf(opt == 'h' ? stdout : stderr,
				"usage: parnik-auth-cost [-n DATAGRAMS] [-r RUNS (1..%d)]\n", MAX_RUNS);
			return opt == 'h' ? 0 : 2;
		}
	}
	if (iters == 0 || runs == 0 || runs > MAX_RUNS || sodium_init() < 0) {
		fprintf(stderr, "parnik-auth-cost: bad arguments or libsodium did not start\n");
		return 2;
	}
	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)(i * 31);
	printf("ns per datagram (seal + check), median of %lu runs of %lu datagrams\n", runs, iters);
	printf("%-8s", "bytes");
	for (int m = 0; m < M_COUNT; m++)
		printf(" %10s", mac_names[m]);
	printf("\n");
	for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
		printf("%-8zu", sizes[s]);
		for (int m = 0; m < M_COUNT; m++) {
			double ns[MAX_RUNS];

			if (m == M_GMAC && !crypto_aead_aes256gcm_is_available()) {
				printf(" %10s", "no AES-NI");
				continue;
			}
			for (unsigned long r = 0; r < runs; r++) {
				double t0 = cpu_ns();

				for (unsigned long i = 0; i < iters; i++) {
					buf[PK_WIRE_HDR_LEN] = (uint8_t)i;
					one((enum mac)m, buf, sizes[s], i);
				}
				ns[r] = (cpu_ns() - t0) / (double)iters;
			}
			qsort(ns, runs, sizeof(ns[0]), cmp_double);
			printf(" %10.1f", ns[runs / 2]);
		}
		printf("\n");
	}
	return sink == 0x5a ? 0 : 0;	/* keep <sink> alive */
}
