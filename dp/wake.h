/* The wake sources of one polling thread (a parnikd worker lcore, or the
 * DPDK client of parnik-bench): for each RX queue it polls, what can end
 * its sleep when a frame arrives there. A memif port rings its doorbell
 * (doorbell.h); a port whose PMD exposes Rx interrupts through ethdev (net_tap
 * here, the common PCI PMDs on real NICs) wakes through an epoll set, as
 * DPDK's l3fwd-power does; af_packet offers neither, so the thread opens a
 * packet socket of its own on the port's interface, which receives a copy of
 * each arriving frame while the thread sleeps (its receive buffer is tiny
 * and full while the thread polls, so the kernel drops those copies before
 * cloning). A queue with none of these keeps a timer (--idle-max-us).
 *
 * Sleeping is arm, look once more, sleep, disarm: arm() announces the sleep
 * to every source, the caller then polls its queues one more time and only
 * sleeps if that pass found nothing.
 */
#ifndef DP_WAKE_H
#define DP_WAKE_H

#include <stdbool.h>
#include <stdint.h>

#include "idle.h"
#include "ports.h"

#define DP_WAKE_MAX 8		/* queues one thread polls: one per port, DP_MAX_PORTS */

enum dp_wake_kind { DP_WAKE_NONE, DP_WAKE_BELL, DP_WAKE_RX_INTR, DP_WAKE_SOCKET };

struct dp_wake {
	struct {
		const struct dp_port *port;
		uint16_t q;
		uint8_t kind;
		int fd;		/* DP_WAKE_SOCKET: the packet socket */
		bool in_epoll;	/* DP_WAKE_RX_INTR through epfd (not tap's own fd) */
	} src[DP_WAKE_MAX];
	unsigned int n;
	bool complete;		/* every queue added has a wake source */
	bool armed;
	int epfd;		/* the Rx interrupts' epoll set, or -1 */
};

void dp_wake_init(struct dp_wake *w);

/* Adds RX queue <q> of <port>, polled by the caller, and its descriptor to
 * <idle>'s watch set. Returns its kind (DP_WAKE_NONE: only a timer wakes
 * this queue).
 */
enum dp_wake_kind dp_wake_add(struct dp_wake *w, struct dp_idle_state *idle,
			      const struct dp_port *port, uint16_t q);

/* Whether a frame on any of the queues added wakes the thread now: each has
 * a source, and the other end of each doorbell rings it. When not, the
 * thread must keep a timer.
 */
bool dp_wake_on_arrival(const struct dp_wake *w);

void dp_wake_arm(struct dp_wake *w);
void dp_wake_disarm(struct dp_wake *w);
void dp_wake_fini(struct dp_wake *w);

/* The kind of the source added for <port> (worker 0 polls a queue of
 * every port), DP_WAKE_NONE if none was.
 */
enum dp_wake_kind dp_wake_kind_of(const struct dp_wake *w, const struct dp_port *port);

/* Names the kinds for the start line: "doorbell", "rx interrupt",
 * "packet socket", "timer".
 */
const char *dp_wake_kind_name(enum dp_wake_kind k);

#endif
