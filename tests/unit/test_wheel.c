/* The timing wheel against a brute-force list: random arms, re-arms,
 * cancels and expiries over many laps; every timer fires exactly when due,
 * never early, never twice, and pk_wheel_next never overshoots.
 */
#include <stdint.h>
#include <string.h>

#include "check.h"
#include "wheel.h"

#define N 500

static uint64_t rng = 88172645463325252ull;

static uint64_t
next_rand(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static struct pk_wheel wheel;

static void
test_against_brute_force(void)
{
	static struct pk_timer t[N];
	static uint64_t want[N];	/* expiry, or UINT64_MAX when not armed */
	uint64_t now = 123457;

	pk_wheel_init(&wheel, now);
	for (int i = 0; i < N; i++) {
		pk_timer_init(&t[i]);
		want[i] = UINT64_MAX;
	}
	for (int step = 0; step < 200000; step++) {
		int i = (int)(next_rand() % N);
		uint64_t r = next_rand() % 100;

		if (r < 30) {
			/* Mostly near, sometimes several laps out or already due. */
			uint64_t d = next_rand() % 5 == 0 ? next_rand() % 300000 : next_rand() % 3000;
			uint64_t at = next_rand() % 20 == 0 && now > 500 ? now - next_rand() % 500 : now + d;

			pk_wheel_arm(&wheel, &t[i], at);
			want[i] = at;
		} else if (r < 40) {
			pk_wheel_cancel(&wheel, &t[i]);
			want[i] = UINT64_MAX;
		} else {
			uint64_t earliest = UINT64_MAX, bound = pk_wheel_next(&wheel);
			struct pk_timer *due;
			int fired = 0, expected = 0;

			for (int k = 0; k < N; k++)
				if (want[k] < earliest)
					earliest = want[k];
			CHECK(bound <= earliest);
			now += next_rand() % (next_rand() % 10 == 0 ? 200000 : 400);
			for (due = pk_wheel_expire(&wheel, now); due != NULL; due = due->next) {
				int k = (int)(due - t);

				CHECK(want[k] <= now);	/* not early, armed once */
				want[k] = UINT64_MAX;
				fired++;
			}
			for (int k = 0; k < N; k++)
				expected += want[k] <= now;
			CHECK_EQ(expected, 0);	/* nothing due left behind */
			(void)fired;
		}
	}
}

int
main(int argc, char **argv)
{
	static const struct check_case cases[] = {
		{ "against_brute_force", test_against_brute_force },
	};

	return check_run(argc, argv, cases, 1);
}
