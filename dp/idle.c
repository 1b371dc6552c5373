/* Adaptive idle with wake-up on hand-off and on arrival (see idle.h). */
#define _GNU_SOURCE	/* ppoll */
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include <rte_epoll.h>

#include "idle.h"

#define SPINS 8		/* empty passes before the first sleep, at least */
#define FIRST_US 16

int
dp_idle_init(struct dp_idle_state *d)
{
	d->sleeping = 0;
	d->empty = 0;
	d->last_work_us = 0;
	d->naps = 0;
	d->sleeps = 0;
	d->kicks = 0;
	d->woken = 0;
	d->fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	d->nfd = 1;
	d->pfd[0] = (struct pollfd){ .fd = d->fd, .events = POLLIN };
	d->kind[0] = DP_IDLE_FD_DRAIN;
	return d->fd < 0 ? -1 : 0;
}

void
dp_idle_fini(struct dp_idle_state *d)
{
	if (d->fd >= 0)
		close(d->fd);
	d->fd = -1;
	d->nfd = 0;	/* the watched descriptors belong to their owners */
}

int
dp_idle_watch(struct dp_idle_state *d, int fd, enum dp_idle_fd_kind kind)
{
	if (d->nfd == DP_IDLE_MAX_FDS || fd < 0)
		return -1;
	d->pfd[d->nfd] = (struct pollfd){ .fd = fd, .events = POLLIN };
	d->kind[d->nfd] = (uint8_t)kind;
	d->nfd++;
	return 0;
}

uint32_t
dp_idle_after_pass(struct dp_idle_state *d, bool worked, uint64_t now_us, uint32_t spin_us,
		   uint32_t max_us, bool frames_wake)
{
	unsigned int shift;
	uint64_t us;

	if (worked) {
		d->empty = 0;
		d->naps = 0;
		d->last_work_us = now_us;
		return 0;
	}
	if (++d->empty <= SPINS || now_us - d->last_work_us < spin_us)
		return 0;
	if (frames_wake)
		return max_us;
	shift = d->naps < 16 ? d->naps + 1 : 16;
	d->naps++;
	us = (uint64_t)FIRST_US << shift;
	return (uint32_t)(us < max_us ? us : max_us);
}

static void
drain(struct dp_idle_state *d, unsigned int i)
{
	if (d->kind[i] == DP_IDLE_FD_LEVEL)
		return;
	if (d->kind[i] == DP_IDLE_FD_RTE_EPOLL) {
		struct rte_epoll_event ev[8];

		/* DPDK reads each interrupt's counter the way its type needs. */
		while (rte_epoll_wait(d->pfd[i].fd, ev, 8, 0) == 8)
			;
	} else {
		uint64_t buf[8];

		while (read(d->pfd[i].fd, buf, sizeof(buf)) > 0)
			;
	}
}

void
dp_idle_sleep(struct dp_idle_state *d, uint32_t us, bool (*pending)(void *arg), void *arg)
{
	struct timespec ts = { .tv_sec = us / 1000000u, .tv_nsec = (long)(us % 1000000u) * 1000 };

	/* Announce, then look: a producer enqueues, then looks at the flag;
	 * with a full barrier on both sides one of us sees the other.
	 */
	__atomic_store_n(&d->sleeping, 1, __ATOMIC_SEQ_CST);
	/* The store before the looks (plain loads of ring indexes): on ARMv8
	 * a store-release does not order later loads.
	 */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (!pending(arg)) {
		d->sleeps++;
		if (ppoll(d->pfd, d->nfd, &ts, NULL) > 0) {
			d->woken++;
			for (unsigned int i = 1; i < d->nfd; i++)
				if (d->pfd[i].revents != 0)
					drain(d, i);
		}
	}
	__atomic_store_n(&d->sleeping, 0, __ATOMIC_SEQ_CST);
	drain(d, 0);
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
