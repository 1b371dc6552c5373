/* The adaptive idle mode of a worker lcore: after a run of empty passes it
 * sleeps, doubling the sleep while it stays quiet, up to --idle-max-us; so
 * three replicas and a load generator can share two cores. A sleeping
 * worker is woken at once when another lcore hands it a frame (an eventfd
 * it waits on), so only the ports' own arrival waits for the timeout.
 */
#ifndef DP_IDLE_H
#define DP_IDLE_H

#include <stdbool.h>
#include <stdint.h>

struct dp_idle_state {
	int fd;			/* eventfd: kicks */
	uint32_t sleeping;	/* atomic: 1 while the owner may sleep */
	unsigned int empty;	/* consecutive passes without work */
	uint64_t sleeps;
	uint64_t kicks;		/* wake-ups sent to this lcore; atomic */
};

/* Returns 0 or -1 (no eventfd). */
int dp_idle_init(struct dp_idle_state *d);
void dp_idle_fini(struct dp_idle_state *d);

/* After a pass: how long to sleep now, in microseconds (0: keep polling). */
uint32_t dp_idle_after_pass(struct dp_idle_state *d, bool worked, uint32_t max_us);

/* Sleeps up to <us> or until kicked; <pending> is checked once the sleep
 * is announced, so that no hand-off slips between the check and the sleep.
 */
void dp_idle_sleep(struct dp_idle_state *d, uint32_t us, bool (*pending)(void *arg), void *arg);

/* By another lcore, after handing the owner work: wakes it if asleep. */
void dp_idle_kick(struct dp_idle_state *d);

#endif
