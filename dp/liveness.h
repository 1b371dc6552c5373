/* Which members have gone silent, and which came back: the control thread
 * feeds it when each member was last heard (any datagram through the gate;
 * every member greets the others each second) and logs what it returns.
 * Pure: no clock, no I/O, so the unit tests drive it.
 */
#ifndef DP_LIVENESS_H
#define DP_LIVENESS_H

#include <stdbool.h>
#include <stdint.h>

#include "parnik/types.h"

enum dp_liveness_event {
	DP_PEER_SILENT = 1,	/* not heard for the threshold: <ms> since last heard (or start) */
	DP_PEER_BACK = 2,	/* heard again: <ms> it had been silent */
};

struct dp_liveness_change {
	uint16_t node;
	uint8_t event;		/* enum dp_liveness_event */
	bool never_heard;	/* DP_PEER_SILENT: not once since this replica started */
	uint64_t ms;
};

struct dp_liveness {
	uint64_t silent_us;	/* the threshold */
	uint64_t start_us;	/* the reference for members never heard */
	bool silent[PK_MAX_NODES];
	uint64_t silent_since[PK_MAX_NODES];	/* last heard (or start) when declared silent */
};

void dp_liveness_init(struct dp_liveness *lv, uint32_t silent_ms, uint64_t now_us);

/* Compares <heard> (us, 0 = never) of the members in <watch> against
 * <now_us>; fills <out> (room for PK_MAX_NODES) with the changes since the
 * last call and returns how many. A member leaving <watch> is forgotten.
 */
unsigned int dp_liveness_check(struct dp_liveness *lv, const uint64_t heard[PK_MAX_NODES],
			       uint16_t watch, uint64_t now_us,
			       struct dp_liveness_change out[PK_MAX_NODES]);

/* Whether member <node> counts as silent now (as of the last check). */
bool dp_liveness_silent(const struct dp_liveness *lv, uint16_t node);

#endif
