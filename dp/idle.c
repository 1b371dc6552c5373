/* Adaptive idle with wake-up on hand-off (see idle.h). */
#define _GNU_SOURCE	/* ppoll */
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "idle.h"

#define SPINS 64		/* empty passes before the first sleep */
#define FIRST_US 16

int
dp_idle_init(struct dp_idle_state *d)
{
	d->sleeping = 0;
	d->empty = 0;
	d->sleeps = 0;
	d->kicks = 0;
	d->fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	return d->fd < 0 ? -1 : 0;
}

void
dp_idle_fini(struct dp_idle_state *d)
{
	if (d->fd >= 0)
		close(d->fd);
	d->fd = -1;
}

uint32_t
dp_idle_after_pass(struct dp_idle_state *d, bool worked, uint32_t max_us)
{
	unsigned int shift;
	uint64_t us;

	if (worked) {
		d->empty = 0;
		return 0;
	}
	if (++d->empty <= SPINS)
		return 0;
	shift = d->empty - SPINS < 16 ? d->empty - SPINS : 16;
	us = (uint64_t)FIRST_US << shift;
	return (uint32_t)(us < max_us ? us : max_us);
}

void
dp_idle_sleep(struct dp_idle_state *d, uint32_t us, bool (*pending)(void *arg), void *arg)
{
	struct pollfd pfd = { .fd = d->fd, .events = POLLIN };
	struct timespec ts = { .tv_sec = us / 1000000u, .tv_nsec = (long)(us % 1000000u) * 1000 };
	uint64_t drained;

	/* Announce, then look: a producer enqueues, then looks at the flag;
	 * with a full barrier on both sides one of us sees the other.
	 */
	__atomic_store_n(&d->sleeping, 1, __ATOMIC_SEQ_CST);
	if (!pending(arg)) {
		d->sleeps++;
		(void)ppoll(&pfd, 1, &ts, NULL);
	}
	__atomic_store_n(&d->sleeping, 0, __ATOMIC_SEQ_CST);
	while (read(d->fd, &drained, sizeof(drained)) == (ssize_t)sizeof(drained))
		;
}

void
dp_idle_kick(struct dp_idle_state *d)
{
	const uint64_t one = 1;

	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (__atomic_load_n(&d->sleeping, __ATOMIC_RELAXED) == 0)
		return;
	__atomic_fetch_add(&d->kicks, 1, __ATOMIC_RELAXED);
	if (write(d->fd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		return;	/* the timeout wakes it anyway */
}
