/* The membership planner (see plan.h): the paper's procedures for adding
 * and removing acceptors (docs/CASPAXOS.md section 4), written once.
 *
 * The planner walks the change on a copy of the survey: each INSTALL step
 * moves the copy's lists on and each ADMIT makes its node vote, so a later
 * part of the same request (replace's shrink after its grow) is planned
 * against the lists the earlier part leaves.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parnik/config.h"
#include "plan.h"

struct planner {
	struct pk_plan_view v;	/* the cluster as the steps so far leave it */
	struct pk_plan *out;
	bool catchup;
	bool refused;
	char note[sizeof(((struct pk_plan *)0)->reason)];	/* why a part had nothing to do */
};

static struct pk_plan_step *add(struct planner *pl, enum pk_step_kind kind, uint16_t node,
				 const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static void refuse(struct planner *pl, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void note(struct planner *pl, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static bool usage(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void
refuse(struct planner *pl, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(pl->out->reason, sizeof(pl->out->reason), fmt, ap);
	va_end(ap);
	pl->refused = true;
}

static void
note(struct planner *pl, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(pl->note, sizeof(pl->note), fmt, ap);
	va_end(ap);
}

static struct pk_plan_step *
add(struct planner *pl, enum pk_step_kind kind, uint16_t node, const char *fmt, ...)
{
	struct pk_plan_step *s;
	va_list ap;

	if (pl->out->n == PK_PLAN_MAX_STEPS) {
		/* No request plans this many steps (a replace in a 16-node
		 * cluster takes 25); refusing is the safe answer anyway.
		 */
		refuse(pl, "the plan would exceed %d steps", PK_PLAN_MAX_STEPS);
		return NULL;
	}
	s = &pl->out->step[pl->out->n++];
	memset(s, 0, sizeof(*s));
	s->kind = kind;
	s->node = node;
	va_start(ap, fmt);
	(void)vsnprintf(s->why, sizeof(s->why), fmt, ap);
	va_end(ap);
	return s;
}

/* Replicas whose acceptors hold what they voted for: running, and not
 * restarted since (an amnesiac holds nothing).
 */
static uint16_t
voting_mask(const struct planner *pl)
{
	uint16_t m = 0;

	for (uint16_t id = 0; id < PK_MAX_NODES; id++)
		if (pl->v.node[id].up && pl->v.node[id].voting)
			m |= pk_node_bit(id);
	return m;
}

static void
install(struct planner *pl, struct pk_lists want, const char *why)
{
	struct pk_plan_step *s = add(pl, PK_STEP_INSTALL, 0, "%s", why);

	if (s == NULL)
		return;
	s->lists = want;
	pl->v.cur = want;
}

/* Makes every key that may hold a committed value safe for the next list
 * change. Each such key is on at least <q> members of <holders> (the
 * guarantee before the change), so any |usable| - (q - unusable) + 1
 * voting holders together know every key. They rescan it one after the
 * other (two proposers on the same keys at once would only duel), or,
 * with <target> >= 0, copy their accepted states into node <target>
 * (catch-up: the new acceptor then holds every committed value, the
 * newest copy winning). Sources staying in the cluster come first.
 */
static void
sync_keys(struct planner *pl, uint16_t holders, uint8_t q, uint16_t prefer_not, int target)
{
	uint16_t usable = holders & voting_mask(pl), src = 0;
	int missing = (int)pk_mask_count(holders) - (int)pk_mask_count(usable);
	int need = (int)pk_mask_count(usable) - ((int)q - missing) + 1;
	char s[64];

	if ((int)q - missing <= 0 || need < 1) {
		refuse(pl, "impossible: committed values may sit only on replicas that are down "
			   "or restarted");
		return;
	}
	for (int pass = 0; pass < 2 && pk_mask_count(src) < (unsigned int)need; pass++)
		for (uint16_t id = 0; id < PK_MAX_NODES && pk_mask_count(src) < (unsigned int)need;
		     id++) {
			uint16_t b = pk_node_bit(id);

			if ((usable & b) != 0 && (src & b) == 0 && (pass == 1 || (prefer_not & b) == 0))
				src |= b;
		}
	pk_ids_format(src, s, sizeof(s));
	for (uint16_t id = 0; id < PK_MAX_NODES && !pl->refused; id++) {
		struct pk_plan_step *st;

		if ((src & pk_node_bit(id)) == 0)
			continue;
		if (target < 0) {
			st = add(pl, PK_STEP_RESCAN, id, "every key known to {%s} rewritten, "
							 "one source after the other", s);
		} else {
			st = add(pl, PK_STEP_CATCHUP, id, "accepted states of {%s} copied into "
							  "node %d", s, target);
			if (st != NULL)
				st->target = (uint16_t)target;
		}
	}
}

/* A restarted member, empty: the lists without it go to every running
 * replica, this one too, before it votes (so no proposer it serves runs an
 * older config), then it is admitted.
 */
static void
admit_empty(struct planner *pl, uint16_t node)
{
	if (pl->v.node[node].voting)
		return;
	install(pl, pl->v.cur, "every running replica on the current lists (the restarted one too)");
	if (add(pl, PK_STEP_ADMIT, node, "node %u's acceptors vote again", node) != NULL)
		pl->v.node[node].voting = true;
}

static void
grow(struct planner *pl, uint16_t node)
{
	uint16_t b = pk_node_bit(node);
	struct pk_lists w;

	if (!pl->v.node[node].up) {
		refuse(pl, "node %u is not running (give its socket with -s)", node);
		return;
	}
	if ((pl->v.cur.prepare & b) != 0) {
		note(pl, "node %u is already a member", node);
		return;
	}
	if ((pl->v.cur.accept & b) == 0) {
		if (pl->v.node[node].keys > 0 && pl->v.node[node].voting) {
			refuse(pl, "node %u holds %llu keys from an earlier membership: restart it "
				   "(that wipes it) before growing it in", node,
			       (unsigned long long)pl->v.node[node].keys);
			return;
		}
		/* Before it first votes, so that a message delayed from before
		 * a removal cannot revive a deleted key on it.
		 */
		(void)add(pl, PK_STEP_COPY_FLOORS, node, "node %u takes the cluster's GC floors", node);
		admit_empty(pl, node);
		w = pl->v.cur;
		w.accept |= b;
		if (pk_mask_count(pl->v.cur.accept) % 2 == 0) {
			/* Even to odd: every key sits on a majority of the even
			 * list already, so the empty node joins both lists.
			 */
			w.prepare |= b;
			w.qp = w.qa = pk_majority(w.accept);
			install(pl, w, "grow (even to odd): both lists");
			return;
		}
		w.qa = pk_majority(w.accept);
		install(pl, w, "grow (odd to even), step 1: accept list");
	}
	/* In the accept list, not yet in the prepare list: every key onto a
	 * quorum that includes the new acceptor's list before it answers
	 * prepares.
	 */
	sync_keys(pl, (uint16_t)(pl->v.cur.accept & ~b), pk_majority((uint16_t)(pl->v.cur.accept & ~b)),
		  b, pl->catchup ? node : -1);
	if (pl->refused)
		return;
	w = pl->v.cur;
	w.prepare |= b;
	w.qp = pk_majority(w.prepare);
	install(pl, w, "grow, last step: prepare list");
}

static void
shrink(struct planner *pl, uint16_t node)
{
	uint16_t b = pk_node_bit(node), rest;
	struct pk_lists w;

	if (((pl->v.cur.prepare | pl->v.cur.accept) & b) == 0) {
		if (pk_mask_count(pl->v.cur.accept) % 2 == 0) {
			/* An even list may be what an odd shrink left when it
			 * was interrupted before its rescan: rescanning is safe
			 * to repeat.
			 */
			sync_keys(pl, pl->v.cur.accept, pl->v.cur.qa, 0, -1);
			return;
		}
		note(pl, "node %u is not a member", node);
		return;
	}
	rest = (uint16_t)(pl->v.cur.accept & ~b);
	if (pk_mask_count(rest) < 1) {
		refuse(pl, "node %u is the last acceptor", node);
		return;
	}
	if ((pl->v.cur.prepare & b) != 0 && pk_mask_count(pl->v.cur.accept) % 2 == 1) {
		/* Odd to even: both lists, then the rescan the even list needs
		 * (a value may sit on a bare majority that included the node).
		 */
		struct pk_lists old = pl->v.cur;

		w = pl->v.cur;
		w.prepare &= (uint16_t)~b;
		w.accept = rest;
		w.qp = w.qa = pk_majority(rest);
		install(pl, w, "shrink (odd to even): both lists");
		sync_keys(pl, old.accept, old.qa, b, -1);
		return;
	}
	if ((pl->v.cur.prepare & b) != 0) {
		w = pl->v.cur;
		w.prepare &= (uint16_t)~b;
		w.qp = pk_majority(w.prepare);
		install(pl, w, "shrink (even to odd), step 1: prepare list");
	}
	sync_keys(pl, pl->v.cur.accept, pl->v.cur.qa, b, -1);
	if (pl->refused)
		return;
	w = pl->v.cur;
	w.accept = rest;
	w.qa = pk_majority(rest);
	install(pl, w, "shrink, last step: accept list");
}

/* After a majority of the accept list is lost for good: <node>, a
 * surviving voter of the accept list, takes in what the other survivors
 * hold (catch-up copies accepted states with their ballots; the higher
 * ballot wins) and becomes the only acceptor. Refused while quorums of
 * both lists still vote: then the ordinary commands lose nothing.
 */
static void
recover(struct planner *pl, uint16_t node)
{
	const struct pk_plan_node *n = &pl->v.node[node];
	uint16_t alive = voting_mask(pl);
	struct pk_lists w;

	if (!n->up || !n->voting || (pl->v.cur.accept & pk_node_bit(node)) == 0) {
		refuse(pl, "node %u is %s", node,
		       !n->up ? "not running (give its socket with -s)"
		       : !n->voting ? "not voting (restarted: it holds nothing to recover from)"
				    : "not in the accept list (its keys may be stale)");
		return;
	}
	if (pk_mask_count(alive & pl->v.cur.accept) >= pl->v.cur.qa &&
	    pk_mask_count(alive & pl->v.cur.prepare) >= pl->v.cur.qp) {
		refuse(pl, "quorums of both lists still vote (nodes running and voting: mask %#x); "
			   "use shrink, replace or readmit, which lose nothing", alive);
		return;
	}
	for (uint16_t id = 0; id < PK_MAX_NODES; id++) {
		struct pk_plan_step *st;

		if (id == node || (alive & pl->v.cur.accept & pk_node_bit(id)) == 0)
			continue;
		st = add(pl, PK_STEP_CATCHUP, id, "a survivor's accepted states into node %u", node);
		if (st != NULL)
			st->target = node;
	}
	w.prepare = w.accept = pk_node_bit(node);
	w.qp = w.qa = 1;
	install(pl, w, "recover: the survivor alone");
}

static void
readmit(struct planner *pl, uint16_t node)
{
	if (!pl->v.node[node].up) {
		refuse(pl, "node %u is not running (give its socket with -s)", node);
		return;
	}
	if (pl->v.node[node].voting) {
		note(pl, "node %u is voting already", node);
		return;
	}
	shrink(pl, node);
	if (!pl->refused)
		grow(pl, node);
}

void
pk_plan_make(const struct pk_plan_view *v, const struct pk_plan_request *r, struct pk_plan *out)
{
	struct planner pl = { .v = *v, .out = out, .catchup = r->catchup };

	memset(out, 0, sizeof(*out));
	if (r->node >= PK_MAX_NODES || r->other >= PK_MAX_NODES) {
		refuse(&pl, "node ids are 0..%d", PK_MAX_NODES - 1);
	} else {
		/* No GC removal while acceptors join or leave: a removal must
		 * reach every acceptor of the lists it ran under, and a
		 * catch-up must not copy what a removal is taking away.
		 */
		(void)add(&pl, PK_STEP_GC_HOLD, 0, "no deletion GC while acceptors change");
		switch (r->op) {
		case PK_PLAN_GROW:
			grow(&pl, r->node);
			break;
		case PK_PLAN_SHRINK:
			shrink(&pl, r->node);
			break;
		case PK_PLAN_REPLACE:
			if (r->node == r->other) {
				refuse(&pl, "OLD and NEW must be two nodes");
				break;
			}
			grow(&pl, r->other);
			if (!pl.refused)
				shrink(&pl, r->node);
			break;
		case PK_PLAN_READMIT:
			readmit(&pl, r->node);
			break;
		case PK_PLAN_RECOVER:
			recover(&pl, r->node);
			break;
		default:
			refuse(&pl, "unknown request");
		}
	}
	if (pl.refused) {
		out->verdict = PK_PLAN_REFUSED;
		out->n = 0;
		return;
	}
	if (out->n == 1) {
		out->verdict = PK_PLAN_NOTHING;
		snprintf(out->reason, sizeof(out->reason), "%s",
			 pl.note[0] != 0 ? pl.note : "nothing to do");
		out->n = 0;
		return;
	}
	(void)add(&pl, PK_STEP_GC_RELEASE, 0, "deletion GC runs again");
	out->verdict = pl.refused ? PK_PLAN_REFUSED : PK_PLAN_STEPS;
	if (pl.refused)
		out->n = 0;
}

const char *
pk_plan_step_name(enum pk_step_kind k)
{
	switch (k) {
	case PK_STEP_GC_HOLD:
		return "gc-hold";
	case PK_STEP_COPY_FLOORS:
		return "copy-floors";
	case PK_STEP_INSTALL:
		return "install";
	case PK_STEP_ADMIT:
		return "admit";
	case PK_STEP_RESCAN:
		return "rescan";
	case PK_STEP_CATCHUP:
		return "catchup";
	case PK_STEP_GC_RELEASE:
		return "gc-release";
	}
	return "?";
}

void
pk_plan_step_format(const struct pk_plan_step *s, char *buf, size_t cap)
{
	char p[64], a[64];

	switch (s->kind) {
	case PK_STEP_INSTALL:
		pk_ids_format(s->lists.prepare, p, sizeof(p));
		pk_ids_format(s->lists.accept, a, sizeof(a));
		snprintf(buf, cap, "install prepare {%s}/%u accept {%s}/%u", p, s->lists.qp, a,
			 s->lists.qa);
		break;
	case PK_STEP_CATCHUP:
		snprintf(buf, cap, "catchup %u -> %u", s->node, s->target);
		break;
	case PK_STEP_COPY_FLOORS:
	case PK_STEP_ADMIT:
	case PK_STEP_RESCAN:
		snprintf(buf, cap, "%s %u", pk_plan_step_name(s->kind), s->node);
		break;
	default:
		snprintf(buf, cap, "%s", pk_plan_step_name(s->kind));
	}
}

static bool
parse_node(const char *s, uint16_t *node)
{
	char *end;
	unsigned long v;

	if (s == NULL || *s < '0' || *s > '9')
		return false;
	v = strtoul(s, &end, 10);
	if (*end != 0 || v >= PK_MAX_NODES)
		return false;
	*node = (uint16_t)v;
	return true;
}

static bool
usage(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return false;
}

bool
pk_plan_parse(int argc, char *const *argv, struct pk_plan_request *r, char *err, size_t errlen)
{
	const char *cmd = argv[0];
	int nodes = 0;
	char *ids[2] = { NULL, NULL };
	bool loss = false;

	memset(r, 0, sizeof(*r));
	if (strcmp(cmd, "grow") == 0)
		r->op = PK_PLAN_GROW;
	else if (strcmp(cmd, "shrink") == 0)
		r->op = PK_PLAN_SHRINK;
	else if (strcmp(cmd, "replace") == 0)
		r->op = PK_PLAN_REPLACE;
	else if (strcmp(cmd, "readmit") == 0)
		r->op = PK_PLAN_READMIT;
	else if (strcmp(cmd, "recover-from") == 0)
		r->op = PK_PLAN_RECOVER;
	else
		return usage(err, errlen, "unknown membership command '%s'", cmd);
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--catchup") == 0)
			r->catchup = true;
		else if (strcmp(argv[i], "--i-accept-data-loss") == 0)
			loss = true;
		else if (argv[i][0] == '-')
			return usage(err, errlen, "%s: unknown option '%s'", cmd, argv[i]);
		else if (nodes == 2)
			return usage(err, errlen, "%s: too many nodes ('%s')", cmd, argv[i]);
		else
			ids[nodes++] = argv[i];
	}
	if (nodes != (r->op == PK_PLAN_REPLACE ? 2 : 1))
		return usage(err, errlen, "%s takes %s", cmd,
			     r->op == PK_PLAN_REPLACE ? "two nodes: OLD NEW" : "one node");
	for (int i = 0; i < nodes; i++)
		if (!parse_node(ids[i], i == 0 ? &r->node : &r->other))
			return usage(err, errlen, "%s: '%s' is not a node id (0..%d)", cmd, ids[i],
				     PK_MAX_NODES - 1);
	if (r->catchup && (r->op == PK_PLAN_SHRINK || r->op == PK_PLAN_RECOVER))
		return usage(err, errlen, "%s: --catchup applies to grow, replace and readmit", cmd);
	if (r->op == PK_PLAN_RECOVER && !loss)
		return usage(err, errlen, "recover-from loses the writes only the lost replicas "
					  "held: say so with --i-accept-data-loss");
	if (r->op != PK_PLAN_RECOVER && loss)
		return usage(err, errlen, "%s: --i-accept-data-loss applies to recover-from only",
			     cmd);
	if (r->op == PK_PLAN_REPLACE && r->node == r->other)
		return usage(err, errlen, "replace %u %u: OLD and NEW must be two nodes", r->node,
			     r->other);
	return true;
}
