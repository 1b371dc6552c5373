/* The end-of-run audit of parnik-bench --final-reads: once the load has
 * stopped, every key is read through each replica in turn (a client
 * pinned to it), and the reads join the checked history. Then, for each
 * key whose last write is known for certain (acknowledged, and every other
 * write on the key finished before it began or certainly changed nothing),
 * every final read must show exactly what that write left: an
 * acknowledged write that a read does not show is a lost write. Keys whose
 * end is open (writes overlapping at the end, or a write of unknown
 * outcome sent less than a horizon (10 s by default) before the last
 * certain one: it may still land) are left to the linearizability checker, which sees the final
 * reads too.
 */
#ifndef BENCH_FINAL_READS_H
#define BENCH_FINAL_READS_H

#include <stdint.h>

#include "parnik/client.h"
#include "record.h"
#include "workload.h"

/* Key number <k>'s name into <buf>; returns its length. */
typedef int (*key_name_fn)(char *buf, size_t size, uint32_t k);

/* Reads keys 0..keys-1 through replica <server> of <cfg> (pinned), up to
 * <depth> at once; appends one record per read to <*recs> (realloc'd,
 * <*n> counts them). Times are ns since <start_ns>. Returns 0, or -1 with
 * <err> (no client, no memory).
 */
int final_reads_run(const struct pk_client_config *cfg, int server, uint32_t keys,
		    unsigned int depth, key_name_fn name, uint64_t start_ns, struct record **recs,
		    uint64_t *n, char *err, size_t errlen);

struct lost_report {
	uint32_t keys;		/* keys written during the run */
	uint32_t decided;	/* ... whose last write is certain */
	uint32_t lost;		/* ... that a final read contradicts */
	uint64_t reads;		/* final reads answered */
	uint64_t unread;	/* final reads without an answer */
	int64_t first_lost;	/* a lost key for the message, or -1 */
};

/* How long after its invocation a write of unknown outcome may still take
 * effect, by default: the client sends for about a second, a copy may wait
 * in a paused replica's receive ring, and the replica answers within a
 * second of taking it. Past this, a later certain write is the key's last.
 */
#define UNKNOWN_HORIZON_DEFAULT_S 10

/* The audit: <load> holds <nload> arrays of the load's records (<nrec>
 * each), <reads> the <nreads> final reads; keys are 0..keys-1; an unknown
 * write may land up to <horizon_ns> after its invocation.
 */
void lost_writes(struct record *const *load, const uint64_t *nrec, unsigned int nload,
		 const struct record *reads, uint64_t nreads, uint32_t keys, uint64_t horizon_ns,
		 struct lost_report *out);

#endif
