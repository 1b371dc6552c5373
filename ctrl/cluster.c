/* Cluster orchestration for parnikctl (see cluster.h). */
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cluster.h"
#include "ctl_client.h"
#include "parnik/config.h"

#define MAX_REPLICAS 16
#define REPLY_MAX 8192
#define RESCAN_RUNS 5		/* whole rescans tried before giving up */
#define RESCAN_WINDOW 16	/* small: the rescan shares the replicas with clients */
#define CATCHUP_WINDOW 64	/* a copy costs one message, not a round */
#define MAX_PARTITIONS 64	/* parnikd's limit */
#define GC_HOLD_S 120		/* the GC hold's lease on each replica ... */
#define GC_RENEW_S 20		/* ... renewed this often while a change runs */

struct replica {
	const char *path;
	bool up;		/* a process answers on the socket */
	uint16_t node;
	uint32_t epoch;
	bool voting;
	uint64_t keys;
};

/* A config as the replicas run it. */
struct lists {
	uint32_t epoch;
	uint16_t prepare, accept;
	uint8_t qp, qa;
};

struct cluster {
	struct replica r[MAX_REPLICAS];
	unsigned int n;
	struct lists cur;	/* the highest epoch running */
	unsigned int timeout_s;
	bool catchup;			/* grow copies states instead of rescanning */
	bool gc_held;			/* we hold the replicas' GC ... */
	double gc_held_at;		/* ... renewed then */
	double t0;
	char reply[REPLY_MAX];
};

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
say(const struct cluster *c, const char *fmt, ...)
{
	va_list ap;

	printf("[%8.3fs] ", now_s() - c->t0);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

/* One command to replica <i>; 0 ok, 1 refused (reply in c->reply), -1 no
 * answer, -2 not running.
 */
static int
call(struct cluster *c, unsigned int i, const char *line)
{
	char err[256];
	int rc = ctl_client_call(c->r[i].path, line, c->reply, sizeof(c->reply), err,
				 sizeof(err));

	if (rc != 0) {
		snprintf(c->reply, sizeof(c->reply), "%s", err);
		return rc;
	}
	return ctl_reply_ok(c->reply) ? 0 : 1;
}

/* "name":{"members":[0,1,2],"quorum":2} */
static bool
parse_list(const char *json, const char *name, uint16_t *mask, uint8_t *quorum)
{
	char pat[48];
	const char *p;
	uint64_t q;

	snprintf(pat, sizeof(pat), "\"%s\":{\"members\":[", name);
	p = strstr(json, pat);
	if (p == NULL)
		return false;
	p += strlen(pat);
	*mask = 0;
	while (*p >= '0' && *p <= '9') {
		char *end;
		unsigned long id = strtoul(p, &end, 10);

		if (id > 15)
			return false;
		*mask |= (uint16_t)(1u << id);
		p = *end == ',' ? end + 1 : end;
	}
	if (!ctl_json_find_u64(p, "quorum", &q))
		return false;
	*quorum = (uint8_t)q;
	return true;
}

static int
find(const struct cluster *c, uint16_t node)
{
	for (unsigned int i = 0; i < c->n; i++)
		if (c->r[i].up && c->r[i].node == node)
			return (int)i;
	return -1;
}

/* Replicas whose acceptors hold what they voted for: running, and not
 * restarted since (an amnesiac holds nothing).
 */
static uint16_t
voting_mask(const struct cluster *c)
{
	uint16_t m = 0;

	for (unsigned int i = 0; i < c->n; i++)
		if (c->r[i].up && c->r[i].voting)
			m |= (uint16_t)(1u << c->r[i].node);
	return m;
}

/* Holds (or releases) deletion GC on every replica that answers; holding
 * waits for a sweep under way. The hold is a lease of GC_HOLD_S seconds,
 * renewed by gc_renew() while the change runs, so a parnikctl killed
 * mid-change leaves the GC stopped for two minutes at most. A replica
 * that does not answer is down: it sweeps nothing. Returns 0, or 1 when a
 * running replica refused.
 */
static int
gc_hold_all(struct cluster *c, bool hold)
{
	char line[32];
	int rc = 0;

	snprintf(line, sizeof(line), hold ? "gc hold %u" : "gc release", GC_HOLD_S);
	for (unsigned int i = 0; i < c->n; i++) {
		int r = call(c, i, line);

		if (r == 1) {
			say(c, "  node %u: %s: %s", c->r[i].node, line, c->reply);
			rc = 1;
		}
	}
	if (hold && rc == 0 && !c->gc_held)
		say(c, "deletion GC held on every running replica (renewed every %d s)",
		    GC_RENEW_S);
	c->gc_held = hold && rc == 0;
	c->gc_held_at = now_s();
	return rc;
}

/* Keeps the GC hold alive during long steps and rescans. */
static void
gc_renew(struct cluster *c)
{
	if (c->gc_held && now_s() - c->gc_held_at >= GC_RENEW_S)
		(void)gc_hold_all(c, true);
}

/* Reads every replica's identity, lists and key count; the cluster's
 * config is the one with the highest epoch. Returns 0, or 6 when a
 * replica runs but does not answer (its proposers cannot be accounted for).
 */
static int
survey(struct cluster *c)
{
	memset(&c->cur, 0, sizeof(c->cur));
	for (unsigned int i = 0; i < c->n; i++) {
		struct replica *r = &c->r[i];
		uint64_t v;
		struct lists l = { 0 };
		int rc = call(c, i, "status");

		r->up = false;
		if (rc == -2)
			continue;
		if (rc != 0) {
			fprintf(stderr, "parnikctl: %s\n", c->reply);
			return 6;
		}
		r->up = true;
		if (!ctl_json_find_u64(c->reply, "node", &v))
			return 6;
		r->node = (uint16_t)v;
		r->voting = strstr(c->reply, "\"voting\":true") != NULL;
		if (call(c, i, "lists") != 0 || !ctl_json_find_u64(c->reply, "epoch", &v))
			return 6;
		l.epoch = (uint32_t)v;
		r->epoch = l.epoch;
		if (l.epoch > 0 && (!parse_list(c->reply, "prepare", &l.prepare, &l.qp) ||
				    !parse_list(c->reply, "accept", &l.accept, &l.qa)))
			return 6;
		if (l.epoch > c->cur.epoch)
			c->cur = l;
		if (call(c, i, "stats") != 0 ||
		    !ctl_json_find_u64(c->reply, "keys_accepted", &r->keys))
			return 6;
	}
	if (c->cur.epoch == 0) {
		fprintf(stderr, "parnikctl: no running replica has a config\n");
		return 1;
	}
	return 0;
}

/* Installs <want> on every running replica at a new epoch (or the current
 * one when the lists do not change: laggards catch up), retrying each until
 * its barrier is passed or the timeout.
 */
static int
step(struct cluster *c, const char *what, struct lists want)
{
	char p[64], a[64], line[192], done[64] = "";
	double start = now_s(), max_barrier = 0;
	bool same = want.prepare == c->cur.prepare && want.accept == c->cur.accept &&
		    want.qp == c->cur.qp && want.qa == c->cur.qa;

	gc_renew(c);
	want.epoch = same ? c->cur.epoch : c->cur.epoch + 1;
	for (unsigned int i = 0; i < c->n; i++)
		if (c->r[i].up && c->r[i].epoch > want.epoch)
			want.epoch = c->r[i].epoch + 1;	/* never reuse a number */
	pk_ids_format(want.prepare, p, sizeof(p));
	pk_ids_format(want.accept, a, sizeof(a));
	say(c, "%s: epoch %u, prepare {%s}/%u, accept {%s}/%u", what, want.epoch, p, want.qp, a,
	    want.qa);
	snprintf(line, sizeof(line), "set-config %u %s %u %s %u", want.epoch, p, want.qp, a,
		 want.qa);
	for (unsigned int i = 0; i < c->n; i++) {
		uint64_t us = 0;
		int rc;

		if (!c->r[i].up)
			continue;
		while ((rc = call(c, i, line)) != 0) {
			if (rc == 1 && strstr(c->reply, "refused") != NULL) {
				say(c, "  node %u refused: %s", c->r[i].node, c->reply);
				return 1;
			}
			if (rc == -2 || now_s() - start > c->timeout_s) {
				say(c, "  node %u: %s", c->r[i].node, c->reply);
				return rc == -2 ? 6 : 1;
			}
			say(c, "  node %u: %s; retrying", c->r[i].node, c->reply);
			usleep(200000);
		}
		c->r[i].epoch = want.epoch;
		(void)ctl_json_find_u64(c->reply, "barrier_us", &us);
		if ((double)us > max_barrier)
			max_barrier = (double)us;
		snprintf(done + strlen(done), sizeof(done) - strlen(done), "%s%u",
			 done[0] != 0 ? "," : "", c->r[i].node);
	}
	c->cur = want;
	say(c, "  done on {%s} in %.1f ms (slowest barrier %.2f ms)", done,
	    (now_s() - start) * 1e3, max_barrier / 1e3);
	return 0;
}

/* One replica's job (rescan, or catch-up into <target> when it is not
 * negative), run to completion (again while keys fail), with its progress
 * printed every second. One replica at a time: two proposers touching the
 * same keys at once would only duel.
 */
static int
job_one(struct cluster *c, unsigned int i, int target)
{
	char line[48];

	if (target < 0)
		snprintf(line, sizeof(line), "rescan %u", RESCAN_WINDOW);
	else
		snprintf(line, sizeof(line), "catchup %d %u", target, CATCHUP_WINDOW);
	for (int run = 1; run <= RESCAN_RUNS; run++) {
		double start = now_s(), last = start;
		uint64_t total = 0, done = 0, failed = 0, retries = 0;
		bool running = true;

		if (call(c, i, line) != 0) {
			say(c, "  node %u: %s", c->r[i].node, c->reply);
			return 1;
		}
		/* Another job (a GC sweep that began before the hold) holds
		 * the replica: let it end, then start ours.
		 */
		if (strstr(c->reply, "\"started\":false") != NULL) {
			say(c, "  node %u: another job is running; waiting for it", c->r[i].node);
			do {
				usleep(50000);
				gc_renew(c);
			} while (call(c, i, "job") == 0 &&
				 strstr(c->reply, "\"state\":\"running\"") != NULL);
			run--;
			continue;
		}
		while (running) {
			usleep(50000);
			gc_renew(c);
			if (call(c, i, "job") != 0) {
				say(c, "  node %u: %s", c->r[i].node, c->reply);
				return 6;
			}
			running = strstr(c->reply, "\"state\":\"running\"") != NULL;
			(void)ctl_json_find_u64(c->reply, "total", &total);
			(void)ctl_json_find_u64(c->reply, "done", &done);
			(void)ctl_json_find_u64(c->reply, "failed", &failed);
			(void)ctl_json_find_u64(c->reply, "retries", &retries);
			if (running && now_s() - last >= 1.0 && total > 0) {
				double rate = (double)done / (now_s() - start);

				say(c, "  node %u: %llu/%llu keys (%.0f%%), %.0f keys/s, ETA %.1f s",
				    c->r[i].node, (unsigned long long)done, (unsigned long long)total,
				    100.0 * (double)done / (double)total, rate,
				    rate > 0 ? (double)(total - done) / rate : 0.0);
				last = now_s();
			}
		}
		say(c, "  node %u: %llu keys in %.3f s (%.0f keys/s), %llu retries, %llu failed%s",
		    c->r[i].node, (unsigned long long)done, now_s() - start,
		    (double)done / (now_s() - start + 1e-9), (unsigned long long)retries,
		    (unsigned long long)failed, failed > 0 ? ": again" : "");
		if (failed == 0 && strstr(c->reply, "\"state\":\"done\"") != NULL)
			return 0;
	}
	return 1;
}

/* Rescans every key that may hold a committed value: each is on at least
 * <q> members of <holders> (the guarantee before the change), so any
 * |usable| - (q - unusable) + 1 running holders together know every key.
 * With <target> >= 0, copies their accepted states into node <target>
 * instead (catch-up: the new acceptor then holds every committed value,
 * the newest copy winning).
 */
static int
sync_keys(struct cluster *c, uint16_t holders, uint8_t q, uint16_t prefer_not, int target)
{
	uint16_t usable = holders & voting_mask(c), src = 0;
	int missing = (int)pk_mask_count(holders) - (int)pk_mask_count(usable);
	int need = (int)pk_mask_count(usable) - ((int)q - missing) + 1;
	char s[64];

	if ((int)q - missing <= 0 || need < 1) {
		say(c, "impossible: committed values may sit only on replicas that are down");
		return 1;
	}
	/* Sources: replicas staying in the cluster first. */
	for (int pass = 0; pass < 2 && pk_mask_count(src) < (unsigned int)need; pass++)
		for (unsigned int id = 0; id < 16 && pk_mask_count(src) < (unsigned int)need; id++) {
			uint16_t bit = (uint16_t)(1u << id);

			if ((usable & bit) != 0 && (src & bit) == 0 &&
			    (pass == 1 || (prefer_not & bit) == 0))
				src |= bit;
		}
	pk_ids_format(src, s, sizeof(s));
	if (target < 0)
		say(c, "rescan: every key known to {%s}, one replica after the other", s);
	else
		say(c, "catch-up: accepted states of {%s} copied into node %d", s, target);
	for (unsigned int id = 0; id < 16; id++)
		if ((src & (1u << id)) != 0) {
			int rc = job_one(c, (unsigned int)find(c, (uint16_t)id), target);

			if (rc != 0)
				return rc;
		}
	return 0;
}

/* Folds the "floors" reply <json> into <max> (MAX_PARTITIONS); returns the
 * partitions it names, or -1 when the reply does not parse.
 */
static int
fold_floors(const char *json, struct pk_floor *max)
{
	const char *p = strstr(json, "\"floors\":[");
	int n = 0;

	if (p == NULL)
		return -1;
	while ((p = strstr(p, "{\"partition\":")) != NULL) {
		char text[PK_BALLOT_TEXT];
		struct pk_floor f;
		uint64_t part;
		size_t len;

		if (!ctl_json_find_u64(p, "partition", &part) || part >= MAX_PARTITIONS ||
		    (p = strstr(p, "\"ballot\":\"")) == NULL)
			return -1;
		p += strlen("\"ballot\":\"");
		len = strcspn(p, "\"");
		if (len >= sizeof(text))
			return -1;
		memcpy(text, p, len);
		text[len] = 0;
		if (!pk_ballot_parse(text, &f.ballot) || !ctl_json_find_u64(p, "version", &f.version))
			return -1;
		pk_floor_raise(&max[part], &f.ballot, f.version);
		if ((int)part >= n)
			n = (int)part + 1;
	}
	return n;
}

/* Deletion GC floors (dp/core/gc.c): before node <i> first votes, it takes
 * the highest floor of every running replica, partition by partition, so
 * that a message delayed from before a removal cannot revive the key on
 * it. Idempotent: floors only rise.
 */
static int
copy_floors(struct cluster *c, unsigned int i)
{
	static struct pk_floor max[MAX_PARTITIONS];
	uint16_t from = 0;
	int parts = 0;
	char line[160], b[PK_BALLOT_TEXT];

	memset(max, 0, sizeof(max));
	for (unsigned int k = 0; k < c->n; k++) {
		int n;

		if (k == i || !c->r[k].up)
			continue;
		if (call(c, k, "floors") != 0 || (n = fold_floors(c->reply, max)) < 0) {
			say(c, "node %u: no floors: %s", c->r[k].node, c->reply);
			return 1;
		}
		if (n > parts)
			parts = n;
		from |= (uint16_t)(1u << c->r[k].node);
	}
	for (int p = 0; p < parts; p++) {
		if (pk_ballot_is_zero(&max[p].ballot) && max[p].version == 0)
			continue;
		pk_ballot_format(&max[p].ballot, b, sizeof(b));
		snprintf(line, sizeof(line), "raise-floor %d %s %llu", p, b,
			 (unsigned long long)max[p].version);
		if (call(c, i, line) != 0) {
			say(c, "node %u refused %s: %s", c->r[i].node, line, c->reply);
			return 1;
		}
	}
	pk_ids_format(from, line, sizeof(line));
	say(c, "GC floors of {%s} copied into node %u (%d partitions)", line, c->r[i].node, parts);
	return 0;
}

/* A restarted replica: give it the cluster's config, then let it vote.
 * Safe only because no running proposer lists it (checked by the caller).
 */
static int
readmit_empty(struct cluster *c, unsigned int i)
{
	int rc;

	if (c->r[i].voting)
		return 0;
	/* Every running replica, laggards included, on the lists without it. */
	rc = step(c, "every replica on the current lists (the restarted one too)", c->cur);
	if (rc != 0)
		return rc;
	if (call(c, i, "admit") != 0) {
		say(c, "node %u refused admission: %s", c->r[i].node, c->reply);
		return 1;
	}
	c->r[i].voting = true;
	say(c, "node %u admitted: its acceptors vote again", c->r[i].node);
	return 0;
}

static int
grow(struct cluster *c, uint16_t node)
{
	uint16_t bit = (uint16_t)(1u << node);
	int i = find(c, node), rc;
	struct lists w;

	if (i < 0) {
		say(c, "node %u is not running (give its socket with -s)", node);
		return 1;
	}
	if ((c->cur.prepare & bit) != 0) {
		say(c, "node %u is already a member", node);
		return 0;
	}
	if ((c->cur.accept & bit) == 0) {
		if (c->r[i].keys > 0 && c->r[i].voting) {
			say(c, "node %u holds %llu keys from an earlier membership: restart it "
			    "(that wipes it) before growing it in", node,
			    (unsigned long long)c->r[i].keys);
			return 1;
		}
		rc = copy_floors(c, (unsigned int)i);
		if (rc == 0)
			rc = readmit_empty(c, (unsigned int)i);
		if (rc != 0)
			return rc;
		w = c->cur;
		w.accept |= bit;
		if (pk_mask_count(c->cur.accept) % 2 == 0) {
			/* Even to odd: every key sits on a majority of the even
			 * list already; the empty node joins both lists.
			 */
			w.prepare |= bit;
			w.qp = w.qa = pk_majority(w.accept);
			return step(c, "grow (even to odd): both lists", w);
		}
		w.qa = pk_majority(w.accept);
		rc = step(c, "grow (odd to even), step 1: accept list", w);
		if (rc != 0)
			return rc;
	}
	/* In the accept list, not yet in the prepare list. */
	rc = sync_keys(c, (uint16_t)(c->cur.accept & ~bit),
		       pk_majority((uint16_t)(c->cur.accept & ~bit)), bit, c->catchup ? node : -1);
	if (rc != 0)
		return rc;
	w = c->cur;
	w.prepare |= bit;
	w.qp = pk_majority(w.prepare);
	return step(c, "grow, step 3: prepare list", w);
}

static int
shrink(struct cluster *c, uint16_t node)
{
	uint16_t bit = (uint16_t)(1u << node), rest;
	struct lists w;
	int rc;

	if (((c->cur.prepare | c->cur.accept) & bit) == 0) {
		if (pk_mask_count(c->cur.accept) % 2 == 0) {
			say(c, "node %u is out; the even list may come from an interrupted odd "
			    "shrink: rescanning again (safe to repeat)", node);
			return sync_keys(c, c->cur.accept, c->cur.qa, 0, -1);
		}
		say(c, "node %u is not a member", node);
		return 0;
	}
	rest = (uint16_t)(c->cur.accept & ~bit);
	if (pk_mask_count(rest) < 1) {
		say(c, "refused: node %u is the last acceptor", node);
		return 1;
	}
	if ((c->cur.prepare & bit) != 0 && pk_mask_count(c->cur.accept) % 2 == 1) {
		/* Odd to even: both lists, then the rescan the even list needs
		 * (values may sit on a bare majority that included the node).
		 */
		struct lists old = c->cur;

		w = c->cur;
		w.prepare &= (uint16_t)~bit;
		w.accept = rest;
		w.qp = w.qa = pk_majority(rest);
		rc = step(c, "shrink (odd to even): both lists", w);
		if (rc != 0)
			return rc;
		return sync_keys(c, old.accept, old.qa, bit, -1);
	}
	if ((c->cur.prepare & bit) != 0) {
		w = c->cur;
		w.prepare &= (uint16_t)~bit;
		w.qp = pk_majority(w.prepare);
		rc = step(c, "shrink (even to odd), step 1: prepare list", w);
		if (rc != 0)
			return rc;
	}
	rc = sync_keys(c, c->cur.accept, c->cur.qa, bit, -1);
	if (rc != 0)
		return rc;
	w = c->cur;
	w.accept = rest;
	w.qa = pk_majority(rest);
	return step(c, "shrink, step 3: accept list", w);
}

/* After a majority of the accept list is lost for good: <node>, a
 * surviving voter of the accept list, takes in what the other survivors
 * hold (catch-up) and becomes the only acceptor (lists {node}, quorums 1).
 * Writes that only the lost replicas accepted are gone; the operator said
 * so (--i-accept-data-loss). Refused while quorums of both lists still
 * vote: then the ordinary commands apply and nothing need be lost.
 */
static int
recover_from(struct cluster *c, uint16_t node)
{
	int i = find(c, node);
	uint16_t alive = 0;
	struct lists w;
	int rc;

	if (i < 0 || !c->r[i].voting || (c->cur.accept & (1u << node)) == 0) {
		say(c, "refused: node %u is %s", node,
		    i < 0 ? "not running (give its socket with -s)"
		    : !c->r[i].voting ? "not voting (restarted: it holds nothing to recover from)"
				      : "not in the accept list (its keys may be stale)");
		return 1;
	}
	for (unsigned int k = 0; k < c->n; k++)
		if (c->r[k].up && c->r[k].voting)
			alive |= (uint16_t)(1u << c->r[k].node);
	if (pk_mask_count(alive & c->cur.accept) >= c->cur.qa &&
	    pk_mask_count(alive & c->cur.prepare) >= c->cur.qp) {
		say(c, "refused: quorums of both lists still vote (nodes running and voting: "
		    "mask %#x); use shrink, replace or readmit, which lose nothing", alive);
		return 1;
	}
	say(c, "RECOVERY WITH DATA LOSS: node %u (%llu keys accepted) becomes the only acceptor; "
	    "writes only the lost replicas held are gone", node,
	    (unsigned long long)c->r[i].keys);
	say(c, "the lost replicas must never come back with their old state: restart them "
	    "empty (or stop them) before they can reach each other");
	/* What the other survivors of the accept list hold goes into NODE
	 * first (catch-up copies accepted states with their ballots; the
	 * higher ballot wins): a write they accepted without NODE is kept.
	 */
	for (unsigned int k = 0; k < c->n; k++) {
		if ((int)k == i || !c->r[k].up || !c->r[k].voting ||
		    (c->cur.accept & (1u << c->r[k].node)) == 0)
			continue;
		say(c, "copying node %u's accepted states into node %u", c->r[k].node, node);
		rc = job_one(c, k, node);
		if (rc != 0)
			return rc;
	}
	w = c->cur;
	w.prepare = w.accept = (uint16_t)(1u << node);
	w.qp = w.qa = 1;
	rc = step(c, "recover: the survivor alone", w);
	if (rc == 0)
		say(c, "node %u serves alone now; grow the others back in, restarted empty: "
		    "parnikctl -s SOCKETS grow NODE", node);
	return rc;
}

int
ctl_cluster_is_command(const char *cmd)
{
	return strcmp(cmd, "grow") == 0 || strcmp(cmd, "shrink") == 0 ||
	       strcmp(cmd, "replace") == 0 || strcmp(cmd, "readmit") == 0 ||
	       strcmp(cmd, "recover-from") == 0;
}

static bool
parse_node(const char *s, uint16_t *node)
{
	char *end;
	unsigned long v = strtoul(s, &end, 10);

	if (*s < '0' || *s > '9' || *end != 0 || v > 15)
		return false;
	*node = (uint16_t)v;
	return true;
}

int
ctl_cluster(const char **paths, unsigned int npaths, int argc, char **argv,
	    unsigned int timeout_s)
{
	static struct cluster c;
	uint16_t a, b = 0;
	int rc;
	bool two = strcmp(argv[0], "replace") == 0;
	bool recover = strcmp(argv[0], "recover-from") == 0;
	bool catchup = argc > 1 && strcmp(argv[argc - 1], "--catchup") == 0;

	if (recover) {
		if (argc != 3 || !parse_node(argv[1], &a) ||
		    strcmp(argv[2], "--i-accept-data-loss") != 0) {
			fprintf(stderr,
				"usage: parnikctl -s SOCKETS recover-from NODE --i-accept-data-loss\n"
				"  only after a majority of the replicas is lost for good: NODE, a "
				"survivor,\n  becomes the only acceptor with what it holds; writes "
				"only the lost\n  replicas held are lost. Lost replicas must come back "
				"empty.\n");
			return 2;
		}
		argc = 2;
	}
	if (catchup)
		argc--;
	if (argc != (two ? 3 : 2) || !parse_node(argv[1], &a) || (two && !parse_node(argv[2], &b)) ||
	    (catchup && strcmp(argv[0], "shrink") == 0)) {
		fprintf(stderr, "usage: parnikctl -s SOCKETS %s\n",
			two ? "replace OLD NEW [--catchup]" : "grow|readmit NODE [--catchup] | "
							     "shrink NODE");
		return 2;
	}
	if (two && a == b) {
		fprintf(stderr, "parnikctl: replace %u %u: OLD and NEW must be two nodes\n", a, b);
		return 2;
	}
	memset(&c, 0, sizeof(c));
	c.catchup = catchup;
	c.n = npaths > MAX_REPLICAS ? MAX_REPLICAS : npaths;
	c.timeout_s = timeout_s;
	c.t0 = now_s();
	for (unsigned int i = 0; i < c.n; i++)
		c.r[i].path = paths[i];
	rc = survey(&c);
	if (rc != 0)
		return rc;
	{
		char p[64], s[64];

		pk_ids_format(c.cur.prepare, p, sizeof(p));
		pk_ids_format(c.cur.accept, s, sizeof(s));
		say(&c, "%s %s%s%s: cluster at epoch %u, prepare {%s}/%u, accept {%s}/%u", argv[0],
		    argv[1], two ? " " : "", two ? argv[2] : "", c.cur.epoch, p, c.cur.qp, s,
		    c.cur.qa);
	}
	/* No GC removal while acceptors join or leave: a removal must reach
	 * every acceptor of the lists it ran under, and a catch-up must not
	 * copy what a removal is taking away.
	 */
	rc = gc_hold_all(&c, true);
	if (rc != 0) {
		(void)gc_hold_all(&c, false);
		goto out;
	}
	if (recover) {
		rc = recover_from(&c, a);
	} else if (strcmp(argv[0], "grow") == 0) {
		rc = grow(&c, a);
	} else if (strcmp(argv[0], "shrink") == 0) {
		rc = shrink(&c, a);
	} else if (two) {
		rc = grow(&c, b);
		if (rc == 0)
			rc = shrink(&c, a);
	} else {
		int i = find(&c, a);

		if (i < 0 || c.r[i].voting) {
			(void)gc_hold_all(&c, false);
			say(&c, "node %u is %s", a, i < 0 ? "not running" : "voting already");
			return i < 0 ? 1 : 0;
		}
		rc = shrink(&c, a);
		if (rc == 0)
			rc = grow(&c, a);
	}
	(void)gc_hold_all(&c, false);
out:
	say(&c, "%s", rc == 0 ? "done" : "stopped: run the same command again to resume");
	return rc;
}
