/* parnik-bench's workload: which operation, which key, which value.
 *
 * An op mix by weights (or a read ratio), keys drawn uniformly or from a
 * zipfian distribution over the key space, an optional hot set taking a
 * share of all requests, and values of a fixed size. Values are zero-padded
 * decimals, unique per write, so ADD still applies to any key and the
 * linearizability checker can tell every write apart.
 */
#ifndef PARNIK_BENCH_WORKLOAD_H
#define PARNIK_BENCH_WORKLOAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "parnik/types.h"

#define WL_MAX_KEYS 10000000u	/* a zipfian over 10 M keys takes ~0.2 s to set up */

enum wl_dist { WL_UNIFORM, WL_ZIPF };

struct workload {
	unsigned int mix[PK_OP_MAX + 1];	/* weights by op */
	unsigned int mix_total;
	uint32_t keys;
	enum wl_dist dist;
	double theta;		/* zipf exponent, 0 < theta < 1 (YCSB's 0.99 by default) */
	uint32_t hot_keys;	/* 0: no hot set */
	unsigned int hot_pct;	/* share of requests to the hot set, percent */
	uint32_t value_size;	/* bytes of a PUT / CAS value; 0: just the digits */
	/* zipf constants (Gray et al., "Quickly generating billion-record
	 * synthetic databases", SIGMOD 1994), set by workload_prepare
	 */
	double zetan, alpha, eta, half_pow_theta;
};

/* Sets the defaults: get=40,put=20,cas=20,add=20 over 1000 uniform keys. */
void workload_default(struct workload *w);

/* "get=40,put=20,cas=20,add=20,del=0": weights by op. False on bad input. */
bool workload_parse_mix(struct workload *w, const char *spec);

/* A read ratio: PCT percent GETs, the rest the writes of the current mix
 * in their proportions (PUT alone when it has none).
 */
bool workload_set_reads(struct workload *w, unsigned int pct);

/* "uniform", "zipf" or "zipf:THETA". */
bool workload_parse_dist(struct workload *w, const char *spec);

/* "N:PCT": PCT percent of requests go to the first N keys. */
bool workload_parse_hot(struct workload *w, const char *spec);

/* Checks the whole workload and computes the distribution's constants.
 * Returns NULL, or what is wrong.
 */
const char *workload_prepare(struct workload *w);

/* Draws from xorshift64 state <rng>. */
uint8_t workload_pick_op(const struct workload *w, uint64_t *rng);
uint32_t workload_pick_key(const struct workload *w, uint64_t *rng);

/* Writes value <v> as the workload's value (at least the digits, zero
 * padded to value_size) into <buf> of PK_MAX_VALUE bytes; returns its length.
 */
size_t workload_format_value(const struct workload *w, int64_t v, char *buf);

/* Parses a decimal value, leading zeros allowed (ours are padded). */
bool workload_parse_value(const uint8_t *p, size_t len, int64_t *out);

uint64_t workload_rand(uint64_t *rng);

#endif
