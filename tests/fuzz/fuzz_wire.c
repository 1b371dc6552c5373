/* Fuzz harness for the wire decoder: any bytes go through pk_wire_decode
 * (which must never read past them); a datagram it takes is encoded again
 * from the decoded messages and must come out byte for byte the same
 * (the codec's round trip: no field dropped, none invented). A client
 * request decoded over its limits (answered TOO_LARGE, never re-encoded)
 * is exempt from the round trip.
 *
 * Built two ways: with -DPK_FUZZ_STANDALONE a main runs every file named on
 * the command line or found in a directory (the corpus as a unit test;
 * FUZZ_WIRE_BREAK=1 flips a bit of each re-encoding, which the check must
 * catch); without it, a libFuzzer target (tests/fuzz/run.sh).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parnik/wire.h"

static int decoded;	/* inputs the decoder took (the corpus run reports it) */

static void
check_round_trip(const uint8_t *data, size_t size)
{
	static const struct pk_wire_expect exp = { .cluster_id = 1, .partitions = 4 };
	struct pk_msg msgs[PK_MAX_BATCH];
	struct pk_dgram_hdr hdr;
	uint8_t again[4096];
	struct pk_wbuf w;
	int n = pk_wire_decode(data, size, &exp, &hdr, msgs, PK_MAX_BATCH);

	if (n <= 0)
		return;
	decoded++;
	for (int i = 0; i < n; i++)
		if (msgs[i].too_large)
			return;
	if (size > sizeof(again))
		abort();	/* the decoder took more than any buffer holds */
	pk_wire_begin(&w, again, sizeof(again), &hdr);
	for (int i = 0; i < n; i++)
		if (pk_wire_add(&w, &msgs[i]) != 0) {
			fprintf(stderr, "fuzz_wire: message %d of a decoded datagram does not encode\n",
				i);
			abort();
		}
	again[5] = hdr.flags;	/* the encoder leaves MAC flags to the sealer */
#ifdef PK_FUZZ_STANDALONE
	if (getenv("FUZZ_WIRE_BREAK") != NULL)
		again[w.len - 1] ^= 1;	/* the negative test: a codec that lost a bit */
#endif
	if (w.len != size || memcmp(again, data, size) != 0) {
		fprintf(stderr, "fuzz_wire: round trip differs (%zu bytes in, %zu out)\n", size,
			w.len);
		abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	check_round_trip(data, size);
	return 0;
}

#ifdef PK_FUZZ_STANDALONE
#include "standalone.h"

void
fuzz_standalone_report(int runs)
{
	printf("fuzz_wire: %d input(s), %d taken by the decoder and round-tripped\n", runs,
	       decoded);
}
#endif
