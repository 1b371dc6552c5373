/* Fault injection at the ports (see faults.h): following the rule, the
 * per-frame draw and the heap of held frames.
 */
#include "faults.h"

#define PPM 1000000u

void
dp_fault_lcore_init(struct dp_fault_lcore *f, uint64_t seed)
{
	f->rule = (struct dp_fault_rule){ 0 };
	f->seen = 0;
	f->nheld = 0;
	f->rng = seed | 1;	/* xorshift64 must not start at 0 */
}

bool
dp_fault_follow(struct dp_fault_lcore *f, const struct dp_fault_rule *r, uint32_t seq)
{
	if (seq != f->seen) {
		f->seen = seq;
		f->rule = *r;
	}
	return f->rule.dir != 0;
}

bool
dp_fault_applies(const struct dp_fault_lcore *f, bool out, uint16_t peer_bit)
{
	const struct dp_fault_rule *r = &f->rule;

	if ((r->dir & (out ? DP_FAULT_OUT : DP_FAULT_IN)) == 0)
		return false;
	return peer_bit != 0 ? (r->peers & peer_bit) != 0 : r->clients;
}

static uint32_t
draw(struct dp_fault_lcore *f, uint32_t below)
{
	uint64_t x = f->rng;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	f->rng = x;
	return below == 0 ? 0 : (uint32_t)((x >> 32) % below);
}

static uint32_t
draw_delay(struct dp_fault_lcore *f)
{
	return f->rule.delay_us + draw(f, f->rule.jitter_us + 1);
}

void
dp_fault_decide(struct dp_fault_lcore *f, struct dp_fault_act *a)
{
	a->copies = 1;
	if (f->rule.loss_ppm > 0 && draw(f, PPM) < f->rule.loss_ppm)
		a->copies = 0;
	else if (f->rule.dup_ppm > 0 && draw(f, PPM) < f->rule.dup_ppm)
		a->copies = 2;
	a->delay_us[0] = draw_delay(f);
	a->delay_us[1] = draw_delay(f);
}

/* ---- the held frames: a binary min-heap on due_us ---- */

static void
swap(struct dp_fault_held *a, struct dp_fault_held *b)
{
	struct dp_fault_held t = *a;

	*a = *b;
	*b = t;
}

bool
dp_fault_hold(struct dp_fault_lcore *f, void *frame, uint16_t port, bool out, uint64_t due_us)
{
	unsigned int i = f->nheld;

	if (i == DP_FAULT_HELD)
		return false;
	f->held[i] = (struct dp_fault_held){ .due_us = due_us, .frame = frame, .port = port,
					     .out = out };
	f->nheld++;
	while (i > 0 && f->held[(i - 1) / 2].due_us > f->held[i].due_us) {
		swap(&f->held[(i - 1) / 2], &f->held[i]);
		i = (i - 1) / 2;
	}
	return true;
}

bool
dp_fault_take_due(struct dp_fault_lcore *f, uint64_t now_us, struct dp_fault_held *out)
{
	unsigned int i = 0;

	if (f->nheld == 0 || f->held[0].due_us > now_us)
		return false;
	*out = f->held[0];
	f->held[0] = f->held[--f->nheld];
	for (;;) {
		unsigned int l = 2 * i + 1, r = l + 1, m = i;

		if (l < f->nheld && f->held[l].due_us < f->held[m].due_us)
			m = l;
		if (r < f->nheld && f->held[r].due_us < f->held[m].due_us)
			m = r;
		if (m == i)
			return true;
		swap(&f->held[i], &f->held[m]);
		i = m;
	}
}

uint64_t
dp_fault_next_due(const struct dp_fault_lcore *f)
{
	return f->nheld == 0 ? UINT64_MAX : f->held[0].due_us;
}
