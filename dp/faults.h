/* Fault injection at the ports, for the nemesis tests: a replica started
 * with --fault-injection applies the rule the control socket's `fault`
 * command set to the frames it receives and sends. A rule picks frames by
 * direction and by the remote end (member ids, clients: any address that
 * is no member) and drops, duplicates or holds them for a delay with
 * jitter (jitter reorders). Partitions are rules at 100% loss.
 *
 * Why here and not in the kernel: memif links between replicas never
 * enter the kernel, and this kernel has no netem for delay or reordering;
 * one injection point at the ports serves af_packet, tap and memif alike,
 * in the spirit of DPDK's own test PMDs. Without --fault-injection the
 * command is refused and the ports pay one predictable branch per burst.
 *
 * The rule crosses threads in the control snapshot (plane.h), with a
 * sequence number bumped by each `fault` command. Everything else here is
 * per lcore: its copy of the rule, its
 * random state and the frames it holds, in a min-heap by due time. This
 * file decides and keeps time; it never touches an mbuf (the worker loop
 * does).
 */
#ifndef DP_FAULTS_H
#define DP_FAULTS_H

#include <stdbool.h>
#include <stdint.h>

#define DP_FAULT_HELD 2048	/* frames one lcore may hold delayed */
#define DP_FAULT_MAX_DELAY_US 10000000u

enum dp_fault_dir { DP_FAULT_IN = 1, DP_FAULT_OUT = 2, DP_FAULT_BOTH = 3 };

struct dp_fault_rule {
	uint32_t loss_ppm;	/* per million frames */
	uint32_t dup_ppm;
	uint32_t delay_us;	/* every selected frame waits delay .. delay + jitter */
	uint32_t jitter_us;
	uint16_t peers;		/* member ids whose frames it applies to (mask) */
	bool clients;		/* ... and frames from / to non-members */
	uint8_t dir;		/* enum dp_fault_dir; 0: no rule */
};

/* A frame held back, and when it is due. */
struct dp_fault_held {
	uint64_t due_us;
	void *frame;
	uint16_t port;		/* port index */
	bool out;		/* held on its way out (else in) */
};

struct dp_fault_lcore {
	struct dp_fault_rule rule;
	uint32_t seen;		/* the snapshot's sequence number of <rule> */
	uint64_t rng;
	unsigned int nheld;
	struct dp_fault_held held[DP_FAULT_HELD];
};

/* What happens to one frame: <copies> of it go on (0: dropped, 2: it was
 * duplicated), copy i after delay_us[i] (0: at once).
 */
struct dp_fault_act {
	uint8_t copies;
	uint32_t delay_us[2];
};

void dp_fault_lcore_init(struct dp_fault_lcore *f, uint64_t seed);

/* Each pass: picks up rule <r> of sequence number <seq> when it is new.
 * Returns true while a rule is active.
 */
bool dp_fault_follow(struct dp_fault_lcore *f, const struct dp_fault_rule *r, uint32_t seq);

/* Whether the active rule applies to a frame going <out> (or coming in)
 * whose remote end is the member whose bit is <peer_bit>, or a client when
 * <peer_bit> is 0.
 */
bool dp_fault_applies(const struct dp_fault_lcore *f, bool out, uint16_t peer_bit);

/* Draws the fate of one frame the rule applies to. */
void dp_fault_decide(struct dp_fault_lcore *f, struct dp_fault_act *a);

/* Holds <frame> until <due_us>; false when DP_FAULT_HELD are held (the
 * caller drops it, counted).
 */
bool dp_fault_hold(struct dp_fault_lcore *f, void *frame, uint16_t port, bool out,
		   uint64_t due_us);

/* Takes the earliest held frame if it is due at <now_us>. */
bool dp_fault_take_due(struct dp_fault_lcore *f, uint64_t now_us, struct dp_fault_held *out);

/* When the earliest held frame is due (UINT64_MAX: none held). */
uint64_t dp_fault_next_due(const struct dp_fault_lcore *f);

#endif
