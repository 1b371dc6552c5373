/* Client-side adaptive throttling (see throttle.c): a client refuses, on
 * its own, the share of its requests that the cluster has been refusing.
 * Pure: the caller passes the time and a random draw.
 */
#ifndef PARNIK_CLIENT_THROTTLE_H
#define PARNIK_CLIENT_THROTTLE_H

#include <stdbool.h>
#include <stdint.h>

struct pk_throttle {
	double requests;	/* sent and answered, decayed */
	double accepts;		/* answered other than BUSY, decayed */
	uint64_t decayed_at;	/* us */
};

void pk_throttle_init(struct pk_throttle *t, uint64_t now_us);
/* A reply came: <accepted> is false for BUSY. */
void pk_throttle_answered(struct pk_throttle *t, bool accepted, uint64_t now_us);
/* Whether to refuse a new request here, given a uniform draw in [0, 1). */
bool pk_throttle_refuse(struct pk_throttle *t, double draw, uint64_t now_us);
/* The probability of a refusal now (tests, counters). */
double pk_throttle_p(const struct pk_throttle *t);

#endif
