/* Doorbells on memif links: a worker asleep in adaptive idle wakes when the
 * process at the other end of one of its memif ports sends it a frame.
 *
 * DPDK 22.11's memif PMD refuses Rx interrupts ("Interrupt mode not
 * supported") and masks the memif protocol's own interrupt on every ring,
 * so a receiver that sleeps only notices a frame when its timer fires. Both
 * ends of a memif link are on one host, though, so they can share a page:
 * per side and queue one word "asleep", and per side and queue a FIFO to
 * wake it. The receiver arms (sets its word), takes one more look at its
 * rings, then sleeps polling its FIFOs; a sender, after each TX burst, reads
 * the peer's word and, if it is set, clears it and writes one byte to the
 * peer's FIFO. Both sides store, fence, then load, so a frame is either
 * seen by the receiver's last look or rings the bell (Dekker's argument).
 *
 * The files live next to the memif socket (<socket>.bell-<id>*), or, for an
 * abstract socket, in a directory of our own under /dev/shm, named with the
 * network namespace. They are created 0600 and opened only if they are of
 * the right kind, ours and closed to others (no symlink followed), so only
 * our own user, who may map the memif frames anyway, can touch them. A
 * byte in a FIFO only ever wakes a worker; it carries nothing. Each end
 * says in the page that it rings (present): a memif peer that is not
 * Parnik, or older, never does, and its queues keep the timer.
 */
#ifndef DP_DOORBELL_H
#define DP_DOORBELL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DP_BELL_MAXQ 16		/* queues per link: parnikd's DP_MAX_WORKERS */

struct dp_bell_page;

struct dp_bell {
	struct dp_bell_page *page;	/* NULL: the port has no doorbell */
	uint8_t me, peer;		/* side: 0 the memif server, 1 the client */
	uint16_t nq;
	int in[DP_BELL_MAXQ];		/* our FIFOs (read), one per RX queue */
	int out[DP_BELL_MAXQ];		/* the peer's FIFOs (write) */
};

/* No doorbell (what every port starts with). */
void dp_bell_init(struct dp_bell *b);

/* Opens the doorbell of a memif port from its device arguments (role=,
 * id=, socket=, socket-abstract=, as given to --vdev net_memif...). Returns
 * 0 with <b> ready, or -1 with <why> filled (and <b> without a page).
 */
int dp_bell_open(struct dp_bell *b, const char *devargs, uint16_t nq, char *why, size_t whylen);
void dp_bell_close(struct dp_bell *b);

static inline bool
dp_bell_present(const struct dp_bell *b)
{
	return b->page != NULL;
}

/* Receiver, on queue <q>: announce the sleep (the caller fences once after
 * arming all its queues, then looks at its rings one more time), and take
 * it back after waking. The FIFO to poll while asleep is dp_bell_fd().
 */
void dp_bell_arm(const struct dp_bell *b, uint16_t q);
void dp_bell_disarm(const struct dp_bell *b, uint16_t q);
int dp_bell_fd(const struct dp_bell *b, uint16_t q);
/* Whether the other end rings this link (a Parnik end opened it). */
bool dp_bell_peer_present(const struct dp_bell *b);
void dp_bell_drain(const struct dp_bell *b, uint16_t q);

/* Sender, after a TX burst on queue <q> put frames on the ring: wakes the
 * peer's queue <q> if it sleeps. Returns true when it rang.
 */
bool dp_bell_ring(const struct dp_bell *b, uint16_t q);

#endif
