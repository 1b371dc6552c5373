/* Hashed timing wheel (see wheel.h). */
#include <assert.h>

#include "wheel.h"

static uint32_t
slot_of(uint64_t tick)
{
	return (uint32_t)(tick % PK_WHEEL_SLOTS);
}

void
pk_wheel_init(struct pk_wheel *wh, uint64_t now)
{
	for (uint32_t i = 0; i < PK_WHEEL_SLOTS; i++) {
		wh->slot[i].next = wh->slot[i].prev = &wh->slot[i];
		wh->slot_min[i] = UINT64_MAX;
	}
	for (uint32_t i = 0; i < PK_WHEEL_SLOTS / 64; i++)
		wh->occupied[i] = 0;
	wh->tick = now / PK_WHEEL_GRAIN_US;
	wh->count = 0;
}

static void
unlink_timer(struct pk_wheel *wh, struct pk_timer *t)
{
	t->prev->next = t->next;
	t->next->prev = t->prev;
	t->armed = false;
	assert(wh->count > 0);
	wh->count--;
}

static void
mark_empty(struct pk_wheel *wh, uint32_t s)
{
	if (wh->slot[s].next == &wh->slot[s]) {
		wh->occupied[s / 64] &= ~(1ull << (s % 64));
		wh->slot_min[s] = UINT64_MAX;
	}
}

void
pk_wheel_cancel(struct pk_wheel *wh, struct pk_timer *t)
{
	if (!t->armed)
		return;
	unlink_timer(wh, t);
	/* The slot's lower bound may now be low: harmless, it is a bound. */
	mark_empty(wh, t->slot);
}

void
pk_wheel_arm(struct pk_wheel *wh, struct pk_timer *t, uint64_t expires)
{
	uint64_t tick = expires / PK_WHEEL_GRAIN_US;
	uint32_t s;
	struct pk_timer *head;

	pk_wheel_cancel(wh, t);
	/* Already due: the current slot, which the next expiry visits. */
	if (tick < wh->tick)
		tick = wh->tick;
	s = slot_of(tick);
	head = &wh->slot[s];
	t->expires = expires;
	t->slot = s;
	t->next = head->next;
	t->prev = head;
	head->next->prev = t;
	head->next = t;
	t->armed = true;
	wh->count++;
	wh->occupied[s / 64] |= 1ull << (s % 64);
	if (expires < wh->slot_min[s])
		wh->slot_min[s] = expires;
}

struct pk_timer *
pk_wheel_expire(struct pk_wheel *wh, uint64_t now)
{
	uint64_t last = now / PK_WHEEL_GRAIN_US;
	struct pk_timer *due = NULL;
	uint64_t steps;

	if (last < wh->tick)
		return NULL;
	/* A gap longer than a lap visits every slot once. */
	steps = last - wh->tick + 1 < PK_WHEEL_SLOTS ? last - wh->tick + 1 : PK_WHEEL_SLOTS;
	for (uint64_t i = 0; i < steps && wh->count > 0; i++) {
		uint32_t s = slot_of(wh->tick + i);
		struct pk_timer *head = &wh->slot[s], *t, *next;
		uint64_t min = UINT64_MAX;

		if ((wh->occupied[s / 64] & (1ull << (s % 64))) == 0)
			continue;
		for (t = head->next; t != head; t = next) {
			next = t->next;
			if (t->expires <= now) {
				unlink_timer(wh, t);
				t->next = due;
				due = t;
			} else if (t->expires < min) {
				min = t->expires;
			}
		}
		wh->slot_min[s] = min;
		mark_empty(wh, s);
	}
	/* The current slot may still hold timers due later in this tick:
	 * it is visited again next time.
	 */
	wh->tick = last;
	return due;
}

uint64_t
pk_wheel_next(const struct pk_wheel *wh)
{
	uint64_t best = UINT64_MAX;

	if (wh->count == 0)
		return UINT64_MAX;
	for (uint64_t i = 0; i < PK_WHEEL_SLOTS; i++) {
		uint32_t s = slot_of(wh->tick + i);
		uint64_t slot_end = (wh->tick + i + 1) * PK_WHEEL_GRAIN_US;

		if ((wh->occupied[s / 64] & (1ull << (s % 64))) == 0) {
			/* Skip whole empty words quickly. */
			if (s % 64 == 0 && wh->occupied[s / 64] == 0)
				i += 63;
			continue;
		}
		if (wh->slot_min[s] < best)
			best = wh->slot_min[s];
		/* Nothing in a later slot can beat a bound inside this one. */
		if (best < slot_end)
			return best;
	}
	return best;
}
