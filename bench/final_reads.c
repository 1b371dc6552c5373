/* The end-of-run audit of parnik-bench (see final_reads.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "final_reads.h"
#include "lincheck.h"

#define FINAL_READS_MAX_NS (120ull * 1000000000u)


void
record_result(struct record *r, const struct pk_result *res, uint64_t t)
{
	r->complete = t;
	r->status = (uint8_t)res->status;
	r->version = res->version;
	r->has_result = res->status == PK_OK && (r->op == PK_OP_GET || r->op == PK_OP_ADD) &&
			workload_parse_value(res->value, res->len, &r->result);
	r->result_padded = res->len > 1 && res->value[0] == '0';
}

int
final_reads_run(const struct pk_client_config *cfg, int server, uint32_t keys,
		unsigned int depth, key_name_fn name, uint64_t start_ns, struct record **recs,
		uint64_t *n, char *err, size_t errlen)
{
	struct pk_client_config c = *cfg;
	struct pk_completion done[64];
	struct pk_client *cl;
	struct record *all;
	uint64_t base = *n, give_up = record_now_ns() + FINAL_READS_MAX_NS;
	uint32_t next = 0;

	all = realloc(*recs, (base + keys) * sizeof(*all));
	if (all == NULL && keys > 0) {
		snprintf(err, errlen, "final reads: out of memory");
		return -1;
	}
	*recs = all;
	c.home = server;
	cl = pk_client_open(&c, err, errlen);
	if (cl == NULL)
		return -1;
	if (depth > 64)
		depth = 64;
	while ((next < keys || pk_client_inflight(cl) > 0) && record_now_ns() < give_up) {
		int got;

		while (next < keys && pk_client_inflight(cl) < depth) {
			char key[48];
			struct pk_request req = { .op = PK_OP_GET, .key = key };
			struct record *r = &all[base + next];

			req.key_len = (size_t)name(key, sizeof(key), next);
			memset(r, 0, sizeof(*r));
			r->op = PK_OP_GET;
			r->key = next;
			r->invoke = record_now_ns() - start_ns;
			if (pk_client_submit(cl, &req, (void *)(uintptr_t)(base + next)) != 0)
				break;
			next++;
		}
		got = pk_client_poll(cl, done, 64, 100);
		if (got < 0)
			break;
		for (int i = 0; i < got; i++)
			record_result(&all[(uintptr_t)done[i].user], &done[i].result,
				      record_now_ns() - start_ns);
	}
	*n = base + next;
	pk_client_close(cl);
	return 0;
}

enum effect { NO_CHANGE, CHANGE, MAYBE };

/* What a load op did to its key, as far as its answer tells. */
static enum effect
effect_of(const struct record *r)
{
	if (r->op == PK_OP_GET)
		return NO_CHANGE;
	if (r->complete == 0 || lin_status_unknown(r->status))
		return MAYBE;
	if (r->status == PK_OK || (r->op == PK_OP_DEL && r->status == PK_NOT_FOUND))
		return CHANGE;
	return NO_CHANGE;	/* CAS_MISMATCH, NOT_INTEGER, refusals */
}

/* Per key: the certain last write, or why there is none. */
struct key_end {
	const struct record *last;	/* latest-invoked certain write */
	uint64_t maybe;			/* latest invocation of an unknown write, +1 */
	bool open;			/* a write may follow it: undecided */
	bool written;			/* any write may have changed the key */
};

/* Whether final read <r> shows what <last> left (NULL: never written). */
static bool
read_agrees(const struct record *r, const struct record *last)
{
	bool absent = last == NULL || last->op == PK_OP_DEL;

	if (r->status == PK_NOT_FOUND)
		return absent;
	if (absent || !r->has_result)
		return false;
	if (last->op == PK_OP_ADD)
		return last->has_result && last->result == r->result;
	return last->written == r->result;	/* PUT, CAS */
}

void
lost_writes(struct record *const *load, const uint64_t *nrec, unsigned int nload,
	    const struct record *reads, uint64_t nreads, uint32_t keys, uint64_t horizon_ns,
	    struct lost_report *out)
{
	struct key_end *end = calloc(keys > 0 ? keys : 1, sizeof(*end));
	bool *bad = calloc(keys > 0 ? keys : 1, sizeof(*bad));

	memset(out, 0, sizeof(*out));
	out->first_lost = -1;
	if (end == NULL || bad == NULL) {
		free(end);
		free(bad);
		return;
	}
	/* The latest-invoked certain write of each key ... */
	for (unsigned int t = 0; t < nload; t++)
		for (uint64_t i = 0; i < nrec[t]; i++) {
			const struct record *r = &load[t][i];
			enum effect e = effect_of(r);

			if (r->key >= keys || e == NO_CHANGE)
				continue;
			end[r->key].written = true;
			if (e == MAYBE && r->invoke + 1 > end[r->key].maybe)
				end[r->key].maybe = r->invoke + 1;
			else if (e == CHANGE &&
				 (end[r->key].last == NULL || r->invoke > end[r->key].last->invoke))
				end[r->key].last = r;
		}
	/* ... is the last only if every other write ended before it began. */
	for (unsigned int t = 0; t < nload; t++)
		for (uint64_t i = 0; i < nrec[t]; i++) {
			const struct record *r = &load[t][i];
			struct key_end *k = r->key < keys ? &end[r->key] : NULL;

			if (k != NULL && k->last != NULL && r != k->last && effect_of(r) == CHANGE &&
			    r->complete >= k->last->invoke)
				k->open = true;
		}
	for (uint32_t k = 0; k < keys; k++) {
		/* An unknown write may land long after it was sent. */
		if (end[k].maybe > 0 &&
		    (end[k].last == NULL || end[k].maybe - 1 + horizon_ns > end[k].last->invoke))
			end[k].open = true;
		out->keys += end[k].written;
		out->decided += !end[k].open;
	}
	for (uint64_t i = 0; i < nreads; i++) {
		const struct record *r = &reads[i];

		if (r->key >= keys)
			continue;
		if (r->complete == 0 || (r->status != PK_OK && r->status != PK_NOT_FOUND)) {
			out->unread++;
			continue;
		}
		out->reads++;
		if (!end[r->key].open && !read_agrees(r, end[r->key].last))
			bad[r->key] = true;
	}
	for (uint32_t k = 0; k < keys; k++)
		if (bad[k]) {
			out->lost++;
			if (out->first_lost < 0)
				out->first_lost = k;
		}
	free(end);
	free(bad);
}
