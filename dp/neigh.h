/* The neighbour table: for every other member, the DPDK port and MAC
 * address that reach it. Entries come from --neighbour (static, never
 * overwritten) or from ARP: the replica probes each unresolved member
 * (every 100 ms for the first 10 tries, then every second) and refreshes
 * resolved ones every 60 s. Clients need no entry: replies go back to the
 * source MAC of the request. Bounded to the member list; no allocation.
 *
 * Shared by every worker lcore of a replica without a lock: a hop (MAC and
 * port) is one 64-bit word written and read atomically, so any worker may
 * learn from the frames it receives and every worker sees the result. The
 * probe schedule is driven by one worker (dp_neigh_due).
 */
#ifndef DP_NEIGH_H
#define DP_NEIGH_H

#include <stdbool.h>
#include <stdint.h>

#include "options.h"

enum dp_neigh_state {
	DP_NEIGH_PENDING = 1,	/* not resolved yet: messages to it are dropped */
	DP_NEIGH_RESOLVED = 2,
	DP_NEIGH_STATIC = 3,
};

/* Where to send a frame for a neighbour. */
struct dp_hop {
	uint8_t mac[6];
	uint16_t port;
};

struct dp_neigh_entry {
	uint32_t ip;		/* network order; fixed after init */
	uint8_t state;		/* enum dp_neigh_state; atomic */
	uint64_t hop;		/* MAC in bits 0..47, port in 48..63; atomic */
	uint32_t probes;	/* ARP requests sent since the last answer; atomic */
	uint64_t next_probe;	/* us; atomic */
	uint64_t verified_us;	/* last checked peer datagram from it; atomic */
};

struct dp_neigh {
	struct dp_neigh_entry e[DP_MAX_NEIGHBOURS + PK_MAX_NODES];
	unsigned int n;		/* fixed after init */
};

/* One entry per other member: static when --neighbour names it. */
void dp_neigh_init(struct dp_neigh *t, const struct dp_options *o, uint64_t now);

/* Fills <hop> for <ip> and returns true when it can be sent to (resolved
 * or static); false otherwise.
 */
bool dp_neigh_lookup(const struct dp_neigh *t, uint32_t ip, struct dp_hop *hop);

/* A frame from <ip> at <mac> arrived on <port>: remember it, for members
 * only (the table does not grow) and never over a static entry. A datagram
 * that passed the gate (<verified>: sealed with the peer key, or
 * source-checked without one) always may. An ARP frame (anyone can send
 * one) only resolves an entry that no checked datagram confirmed in the
 * last DP_NEIGH_TRUST_US: it cannot move a working entry, and an ARP race
 * lost at start-up does not last (replicas greet each other every second,
 * gate-checked, so a confirmed entry stays confirmed).
 * Returns true when the entry changed. Cheap when nothing changed (reads
 * only), as it runs for every peer datagram.
 */
bool dp_neigh_learn(struct dp_neigh *t, uint32_t ip, const uint8_t mac[6], uint16_t port,
		    uint64_t now, bool verified);

#define DP_NEIGH_TRUST_US 5000000u

/* Fills <ips> with up to <max> addresses to send an ARP request for now,
 * and schedules their next probe. Returns how many. One caller at a time.
 */
unsigned int dp_neigh_due(struct dp_neigh *t, uint64_t now, uint32_t *ips, unsigned int max);

#endif
