/* A hashed timing wheel for one worker's round timers: O(1) arm, re-arm and
 * cancel; expiry visits only the slots time has passed. Slots are
 * PK_WHEEL_GRAIN_US wide; a timer further out than one lap waits in its
 * slot until its lap comes (each timer's exact expiry is checked, so the
 * grain costs no precision). A per-slot lower bound and an occupancy bitmap
 * find the next due time without walking timers.
 */
#ifndef PK_CORE_WHEEL_H
#define PK_CORE_WHEEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PK_WHEEL_SLOTS 1024u
#define PK_WHEEL_GRAIN_US 64u

struct pk_timer {
	struct pk_timer *next;	/* slot list (circular), or the expired chain */
	struct pk_timer *prev;
	uint64_t expires;
	uint32_t slot;
	bool armed;
};

struct pk_wheel {
	struct pk_timer slot[PK_WHEEL_SLOTS];		/* list heads */
	uint64_t slot_min[PK_WHEEL_SLOTS];		/* lower bound of expiries */
	uint64_t occupied[PK_WHEEL_SLOTS / 64];
	uint64_t tick;		/* first tick not fully expired */
	uint32_t count;
};

void pk_wheel_init(struct pk_wheel *wh, uint64_t now);

static inline void
pk_timer_init(struct pk_timer *t)
{
	t->next = t->prev = NULL;
	t->armed = false;
}

/* Arms <t> at <expires> (re-arms it when armed). */
void pk_wheel_arm(struct pk_wheel *wh, struct pk_timer *t, uint64_t expires);

void pk_wheel_cancel(struct pk_wheel *wh, struct pk_timer *t);

/* Disarms every timer due at <now> and returns them chained through next
 * (NULL-terminated), in no particular order.
 */
struct pk_timer *pk_wheel_expire(struct pk_wheel *wh, uint64_t now);

/* A time at or before the earliest armed expiry (UINT64_MAX when none). */
uint64_t pk_wheel_next(const struct pk_wheel *wh);

#endif
