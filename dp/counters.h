/* Per-lcore counters and the request latency histogram of a replica. The
 * worker increments its own plain copy (no atomics on the hot path) and
 * publishes a snapshot every few milliseconds with relaxed atomic stores;
 * any other thread (the shutdown report now, the control thread later)
 * reads snapshots with atomic loads and sums them.
 */
#ifndef DP_COUNTERS_H
#define DP_COUNTERS_H

#include <stdint.h>
#include <stdio.h>

#include "gate.h"
#include "packet.h"
#include "parnik/hist.h"
#include "parnik/stats.h"

/* X(name, description): data-path counters besides the core's and drops. */
#define DP_STAT_LIST(X)                                                  \
	X(rx_frames, "frames received")                                  \
	X(tx_frames, "frames sent")                                      \
	X(tx_dropped, "frames the port did not take")                    \
	X(arp_replies, "ARP requests for us answered")                   \
	X(icmp_replies, "ICMP echo requests answered")                   \
	X(arp_probes, "ARP requests sent for members")                   \
	X(decode_errors, "Parnik datagrams refused by the decoder")      \
	X(partition_mismatch, "datagram header for another partition")   \
	X(no_neighbour, "messages for a member not resolved yet")        \
	X(no_mbuf, "frames not built: mbuf pool empty")                  \
	X(handoff_out, "frames handed to the partition's owner lcore")   \
	X(handoff_in, "frames received from another lcore")              \
	X(handoff_full, "frames dropped: the owner's ring was full")     \
	X(injected, "requests from the control plane (rescan, GC) run")  \
	X(reply_addr_lost, "replies whose client address was recycled")  \
	X(client_shed, "client requests shed: every reply address slot busy") \
	X(idle_sleeps, "sleeps of the adaptive idle mode")               \
	X(idle_kicks, "wake-ups sent to this lcore by hand-offs while it slept") \
	X(idle_woken, "sleeps ended early by an arriving frame or a hand-off") \
	X(bells_rung, "memif doorbells rung: the peer's queue slept") \
	X(frees_deferred, "frees passed through an RCU grace period")    \
	X(rcu_batches, "batches of frees handed to call_rcu")            \
	X(frees_leaked, "frees given up: no memory to defer them")       \
	X(keys, "keys held in the tables (a gauge)")                     \
	X(keys_accepted, "keys whose acceptor holds an accepted state (a gauge)") \
	X(tombstones, "keys holding a deleted state: GC pending (a gauge)") \
	X(shed_episodes, "standing queues at the ports: new requests answered BUSY") \
	X(fault_dropped, "frames dropped by the injected fault (--fault-injection)") \
	X(fault_duplicated, "frames duplicated by the injected fault")       \
	X(fault_delayed, "frames held back by the injected fault")         \
	X(fault_overflow, "frames dropped: too many held back at once")    \
	X(busy_cycles, "TSC cycles of passes that did work")             \
	X(total_cycles, "TSC cycles of all passes")

struct dp_stats {
#define DP_STAT_FIELD(name, desc) uint64_t name;
	DP_STAT_LIST(DP_STAT_FIELD)
#undef DP_STAT_FIELD
	uint64_t drops[DP_DROP_COUNT];
	uint64_t decode_by_code[64];
	uint64_t gate[DP_GATE_COUNT];	/* by enum dp_gate_reason; [0] unused */
};

/* Everything one lcore counts. Only uint64_t fields, so a snapshot is a
 * copy word by word.
 */
struct dp_counters {
	struct dp_stats dp;
	struct pk_stats core;	/* summed over the lcore's partitions */
	struct pk_hist latency;	/* ns from a request's arrival to its reply */
};

/* X(name, value): the per-lcore summary the control socket and telemetry
 * both show, computed from struct dp_counters *c.
 */
#define DP_LCORE_SUMMARY(X, c)                                           \
	X("rx_frames", (c)->dp.rx_frames)                                \
	X("tx_frames", (c)->dp.tx_frames)                                \
	X("handoff_out", (c)->dp.handoff_out)                            \
	X("handoff_in", (c)->dp.handoff_in)                              \
	X("requests", (c)->latency.count)                                \
	X("rounds", (c)->core.rounds)                                    \
	X("rounds_1rtt", (c)->core.rounds_1rtt)                          \
	X("conflicts", (c)->core.conflicts_rcvd)                         \
	X("retries", (c)->core.retries)                                  \
	X("busy_cycles", (c)->dp.busy_cycles)                            \
	X("total_cycles", (c)->dp.total_cycles)                          \
	X("p50_ns", pk_hist_quantile(&(c)->latency, 0.5))                \
	X("p99_ns", pk_hist_quantile(&(c)->latency, 0.99))

/* Copies <live> into the shared snapshot <pub> (worker side). */
void dp_counters_publish(struct dp_counters *pub, const struct dp_counters *live);

/* Reads the shared snapshot <pub> into <out> (any thread). */
void dp_counters_read(struct dp_counters *out, const struct dp_counters *pub);

/* Adds <from> into <into>: sums counters, merges histograms. */
void dp_counters_add(struct dp_counters *into, const struct dp_counters *from);

/* Prints <c> as "name value description" lines, then latency quantiles. */
void dp_counters_print(const struct dp_counters *c, FILE *f);

/* One line for one lcore: traffic, hand-offs, requests, busy share, p50/p99. */
void dp_counters_print_lcore(const struct dp_counters *c, unsigned int lcore, FILE *f);

#endif
