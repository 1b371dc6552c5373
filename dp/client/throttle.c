/* Client-side adaptive throttling, the scheme of Google's SRE book
 * ("Handling Overload"): a client keeps, over the last second or so, the
 * requests it made and those the cluster accepted (any answer but BUSY),
 * and refuses a new request itself, answering it BUSY without sending it,
 * with probability
 *
 *     max(0, (requests - K * accepts) / (requests + 1)).
 *
 * Why: a shed request still costs the replica a datagram in and one out
 * (about half an operation's work, measured on memif), so a cluster
 * offered twice its capacity spends half its time saying BUSY. With the
 * client refusing what would be refused, the cluster sees about K times
 * what it accepts and keeps serving near its capacity. While the cluster
 * accepts everything, requests and accepts move together and nothing is
 * refused here (a refusal needs refusals in the window to start from).
 *
 * Only requests sent and answered count. One in flight has been neither
 * accepted nor refused yet (a pipelined client starts with thousands in
 * flight). One refused here does not count either, unlike in the book:
 * a closed loop resubmits a refused request at once, and millions of
 * local refusals would drive the probability to 1 and keep it there.
 * Counting only what the cluster said makes a plain feedback loop: the
 * more the client holds back, the less the cluster refuses, the less the
 * client holds back. The window decays by a factor per 100 ms (half-life about
 * 0.3 s), so service comes back within a second after an overload ends.
 */
#include "throttle.h"


/* Accepts worth K requests: 1.1 lets 10% more through than the cluster
 * accepted, enough to see it recover, little enough that refusals cost
 * the cluster ~5% of its capacity.
 */
#define THROTTLE_K 1.1
#define DECAY_STEP_US 100000u
#define DECAY_PER_STEP 0.8

static void
decay(struct pk_throttle *t, uint64_t now_us)
{
	uint64_t steps;

	if (now_us < t->decayed_at + DECAY_STEP_US)
		return;
	steps = (now_us - t->decayed_at) / DECAY_STEP_US;
	if (steps > 64) {
		t->requests = 0;
		t->accepts = 0;
	} else {
		double f = 1;

		for (uint64_t i = 0; i < steps; i++)
			f *= DECAY_PER_STEP;
		t->requests *= f;
		t->accepts *= f;
	}
	t->decayed_at += steps * DECAY_STEP_US;
}

void
pk_throttle_init(struct pk_throttle *t, uint64_t now_us)
{
	t->requests = 0;
	t->accepts = 0;
	t->decayed_at = now_us;
}

void
pk_throttle_answered(struct pk_throttle *t, bool accepted, uint64_t now_us)
{
	decay(t, now_us);
	t->requests += 1;
	if (accepted)
		t->accepts += 1;
}

double
pk_throttle_p(const struct pk_throttle *t)
{
	double p = (t->requests - THROTTLE_K * t->accepts) / (t->requests + 1);

	return p > 0 ? p : 0;
}

bool
pk_throttle_refuse(struct pk_throttle *t, double draw, uint64_t now_us)
{
	decay(t, now_us);
	return draw < pk_throttle_p(t);
}
