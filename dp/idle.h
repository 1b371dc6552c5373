/* The adaptive idle mode of a worker lcore: after a run of empty passes it
 * sleeps, so three replicas and a load generator can share two cores.
 *
 * A sleeping worker wakes at once when another lcore hands it a frame (an
 * eventfd it waits on) and, where its ports offer one, when a frame arrives
 * for it (a watched descriptor: a memif doorbell FIFO, an af_packet wake
 * socket, net_tap's queue descriptor, or the epoll set of the Rx interrupts
 * a PMD exposes through ethdev; see wake.h). A worker
 * whose every queue can wake it sleeps until its next timer; one that has a
 * queue without a wake source sleeps on a doubling timer capped at
 * --idle-max-us, so that queue waits at most that long.
 */
#ifndef DP_IDLE_H
#define DP_IDLE_H

#include <poll.h>
#include <stdbool.h>
#include <stdint.h>

#define DP_IDLE_MAX_FDS 24	/* the eventfd, a wake source per port, room to spare */

enum dp_idle_fd_kind {
	DP_IDLE_FD_DRAIN,	/* eventfd or FIFO: read until empty on wake-up */
	DP_IDLE_FD_RTE_EPOLL,	/* an epoll set of ethdev Rx interrupts */
	DP_IDLE_FD_LEVEL,	/* readable while frames wait; their reader drains it */
};

struct dp_idle_state {
	int fd;			/* eventfd: kicks */
	uint32_t sleeping;	/* atomic: 1 while the owner may sleep */
	unsigned int empty;	/* consecutive passes without work */
	uint64_t last_work_us;	/* when a pass last had work */
	unsigned int naps;	/* timer sleeps since then: each doubles */
	uint64_t sleeps;
	uint64_t kicks;		/* wake-ups sent to this lcore; atomic */
	uint64_t woken;		/* sleeps ended by a watched descriptor or a kick */
	struct pollfd pfd[DP_IDLE_MAX_FDS];	/* [0] is the eventfd */
	uint8_t kind[DP_IDLE_MAX_FDS];
	unsigned int nfd;
};

/* Returns 0 or -1 (no eventfd). */
int dp_idle_init(struct dp_idle_state *d);
void dp_idle_fini(struct dp_idle_state *d);

/* Adds a descriptor that ends a sleep when readable. Returns 0, or -1 when
 * the set is full.
 */
int dp_idle_watch(struct dp_idle_state *d, int fd, enum dp_idle_fd_kind kind);

/* After a pass at <now_us>: how long to sleep now, in microseconds (0:
 * keep polling). It polls on for <spin_us> after its last work (and at
 * least a few passes). <frames_wake> says every queue of the owner has a
 * wake source, so the first sleep may go straight to <max_us> rather than
 * doubling towards it.
 */
uint32_t dp_idle_after_pass(struct dp_idle_state *d, bool worked, uint64_t now_us,
			    uint32_t spin_us, uint32_t max_us, bool frames_wake);

/* Sleeps up to <us> or until kicked or a watched descriptor is readable;
 * <pending> is checked once the sleep is announced, so that no hand-off
 * slips between the check and the sleep.
 */
void dp_idle_sleep(struct dp_idle_state *d, uint32_t us, bool (*pending)(void *arg), void *arg);

/* By another lcore, after handing the owner work: wakes it if asleep. */
void dp_idle_kick(struct dp_idle_state *d);

#endif
