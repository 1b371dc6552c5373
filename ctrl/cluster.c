/* parnikctl's membership executor (see cluster.h): surveys the replicas,
 * asks the planner (plan.h) for the steps, and carries each one out over
 * every replica's control socket. What to do and in which order is the
 * planner's alone; this file only knows how to do one step.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "cluster.h"
#include "ctl_client.h"
#include "parnik/config.h"
#include "plan.h"
#include "reply.h"

#define MAX_REPLICAS 16
#define REPLY_MAX 8192
#define JOB_RUNS 5		/* whole rescans (catch-ups) tried before giving up */
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

struct cluster {
	struct replica r[MAX_REPLICAS];
	unsigned int n;
	struct pk_lists cur;	/* the lists of the highest epoch running ... */
	uint32_t epoch;		/* ... and that epoch */
	unsigned int timeout_s;
	bool gc_held;		/* we hold the replicas' GC ... */
	double gc_held_at;	/* ... renewed then */
	double t0;
	char text[REPLY_MAX];	/* the last reply as it came */
	json_t *reply;		/* ... parsed (NULL when there was none) */
	char err[256];		/* why the last call failed */
};

static void say(const struct cluster *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
say(const struct cluster *c, const char *fmt, ...)
{
	va_list ap;

	printf("[%8.3fs] ", pk_mono_s() - c->t0);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

/* One command to replica <i>; 0 ok (the reply in c->reply), 1 refused,
 * -1 no answer or an unreadable reply, -2 not running (c->err says why).
 */
static int
call(struct cluster *c, unsigned int i, const char *line)
{
	int rc;

	json_decref(c->reply);
	c->reply = NULL;
	rc = ctl_client_call(c->r[i].path, line, c->text, sizeof(c->text), c->err, sizeof(c->err));
	if (rc != 0)
		return rc;
	c->reply = ctl_reply_parse(c->text, c->err, sizeof(c->err));
	if (c->reply == NULL)
		return -1;
	if (!ctl_reply_ok(c->reply)) {
		snprintf(c->err, sizeof(c->err), "%s", ctl_reply_error(c->reply));
		return 1;
	}
	c->err[0] = 0;
	return 0;
}

static int
find(const struct cluster *c, uint16_t node)
{
	for (unsigned int i = 0; i < c->n; i++)
		if (c->r[i].up && c->r[i].node == node)
			return (int)i;
	return -1;
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
		if (call(c, i, line) == 1) {
			say(c, "  node %u: %s: %s", c->r[i].node, line, c->err);
			rc = 1;
		}
	}
	c->gc_held = hold && rc == 0;
	c->gc_held_at = pk_mono_s();
	return rc;
}

/* Keeps the GC hold alive during long steps and rescans. */
static void
gc_renew(struct cluster *c)
{
	if (c->gc_held && pk_mono_s() - c->gc_held_at >= GC_RENEW_S)
		(void)gc_hold_all(c, true);
}

/* Reads every replica's identity, lists and key count into <v>; the
 * cluster's lists are those of the highest epoch. Returns 0, 6 when a
 * replica runs but does not answer (its proposers cannot be accounted
 * for) or answers what cannot be read, 1 when none has a config.
 */
static int
survey(struct cluster *c, struct pk_plan_view *v)
{
	memset(v, 0, sizeof(*v));
	c->epoch = 0;
	for (unsigned int i = 0; i < c->n; i++) {
		struct replica *r = &c->r[i];
		struct pk_lists l = { 0 };
		uint64_t node, epoch;
		int rc = call(c, i, "status");

		r->up = false;
		if (rc == -2)
			continue;
		if (rc != 0 || !ctl_reply_u64(c->reply, "node", &node) || node >= PK_MAX_NODES ||
		    !ctl_reply_bool(c->reply, "voting", &r->voting)) {
			fprintf(stderr, "parnikctl: %s: %s\n", r->path,
				c->err[0] != 0 ? c->err : "no node id or voting state in its status");
			return 6;
		}
		r->up = true;
		r->node = (uint16_t)node;
		if (call(c, i, "lists") != 0 || !ctl_reply_u64(c->reply, "epoch", &epoch) ||
		    (epoch > 0 && (!ctl_reply_list(c->reply, "prepare", &l.prepare, &l.qp) ||
				   !ctl_reply_list(c->reply, "accept", &l.accept, &l.qa)))) {
			fprintf(stderr, "parnikctl: %s: cannot read its lists%s%s\n", r->path,
				c->err[0] != 0 ? ": " : "", c->err);
			return 6;
		}
		r->epoch = (uint32_t)epoch;
		if (r->epoch > c->epoch) {
			c->epoch = r->epoch;
			c->cur = l;
		}
		if (call(c, i, "stats") != 0 ||
		    !ctl_reply_u64(c->reply, "total.keys_accepted", &r->keys)) {
			fprintf(stderr, "parnikctl: %s: cannot read its key count%s%s\n", r->path,
				c->err[0] != 0 ? ": " : "", c->err);
			return 6;
		}
		v->node[node] = (struct pk_plan_node){ .up = true, .voting = r->voting,
						      .keys = r->keys };
	}
	if (c->epoch == 0) {
		bool any = false;

		for (unsigned int i = 0; i < c->n; i++)
			any |= c->r[i].up;
		if (!any) {
			fprintf(stderr, "parnikctl: no replica runs behind the sockets given (%s%s)\n",
				c->r[0].path, c->n > 1 ? ", ..." : "");
			return 6;
		}
		fprintf(stderr, "parnikctl: no running replica has a config\n");
		return 1;
	}
	v->cur = c->cur;
	return 0;
}

static bool
same_lists(const struct pk_lists *a, const struct pk_lists *b)
{
	return a->prepare == b->prepare && a->accept == b->accept && a->qp == b->qp &&
	       a->qa == b->qa;
}

/* INSTALL: <want> on every running replica at a new epoch (or the current
 * one when the lists do not change: laggards catch up), retrying each
 * until its barrier is passed or the timeout.
 */
static int
install(struct cluster *c, struct pk_lists want)
{
	char p[64], a[64], line[192], done[64] = "";
	double start = pk_mono_s(), max_barrier = 0;
	uint32_t epoch = same_lists(&want, &c->cur) ? c->epoch : c->epoch + 1;

	for (unsigned int i = 0; i < c->n; i++)
		if (c->r[i].up && c->r[i].epoch > epoch)
			epoch = c->r[i].epoch + 1;	/* never reuse a number */
	pk_ids_format(want.prepare, p, sizeof(p));
	pk_ids_format(want.accept, a, sizeof(a));
	say(c, "  epoch %u", epoch);
	snprintf(line, sizeof(line), "set-config %u %s %u %s %u", epoch, p, want.qp, a, want.qa);
	for (unsigned int i = 0; i < c->n; i++) {
		uint64_t us = 0;
		int rc;

		if (!c->r[i].up)
			continue;
		while ((rc = call(c, i, line)) != 0) {
			if (rc == 1 && strstr(c->err, "refused") != NULL) {
				say(c, "  node %u refused: %s", c->r[i].node, c->err);
				return 1;
			}
			if (rc == -2 || pk_mono_s() - start > c->timeout_s) {
				say(c, "  node %u: %s", c->r[i].node, c->err);
				return rc == -2 ? 6 : 1;
			}
			say(c, "  node %u: %s; retrying", c->r[i].node, c->err);
			usleep(200000);
			gc_renew(c);
		}
		c->r[i].epoch = epoch;
		(void)ctl_reply_u64(c->reply, "barrier_us", &us);
		if ((double)us > max_barrier)
			max_barrier = (double)us;
		snprintf(done + strlen(done), sizeof(done) - strlen(done), "%s%u",
			 done[0] != 0 ? "," : "", c->r[i].node);
	}
	c->cur = want;
	c->epoch = epoch;
	say(c, "  done on {%s} in %.1f ms (slowest barrier %.2f ms)", done,
	    (pk_mono_s() - start) * 1e3, max_barrier / 1e3);
	return 0;
}

/* The job of the last reply: true while it runs. */
static bool
job_running(const struct cluster *c)
{
	const char *state = ctl_reply_str(c->reply, "job.state");

	return state != NULL && strcmp(state, "running") == 0;
}

/* RESCAN, or CATCHUP into <target> when it is not negative: replica
 * <i>'s job, run to completion (again while keys fail), its progress
 * printed every second.
 */
static int
job(struct cluster *c, unsigned int i, int target)
{
	char line[48];

	if (target < 0)
		snprintf(line, sizeof(line), "rescan %u", RESCAN_WINDOW);
	else
		snprintf(line, sizeof(line), "catchup %d %u", target, CATCHUP_WINDOW);
	for (int run = 1; run <= JOB_RUNS; run++) {
		double start = pk_mono_s(), last = start;
		uint64_t total = 0, done = 0, failed = 0, retries = 0;
		bool started = false, running = true;
		const char *state;

		if (call(c, i, line) != 0 || !ctl_reply_bool(c->reply, "started", &started)) {
			say(c, "  node %u: %s", c->r[i].node, c->err[0] != 0 ? c->err : c->text);
			return 1;
		}
		/* Another job (a GC sweep that began before the hold) holds
		 * the replica: let it end, then start ours.
		 */
		if (!started) {
			say(c, "  node %u: another job is running; waiting for it", c->r[i].node);
			do {
				usleep(50000);
				gc_renew(c);
			} while (call(c, i, "job") == 0 && job_running(c));
			run--;
			continue;
		}
		while (running) {
			usleep(50000);
			gc_renew(c);
			if (call(c, i, "job") != 0) {
				say(c, "  node %u: %s", c->r[i].node, c->err);
				return 6;
			}
			running = job_running(c);
			(void)ctl_reply_u64(c->reply, "job.total", &total);
			(void)ctl_reply_u64(c->reply, "job.done", &done);
			(void)ctl_reply_u64(c->reply, "job.failed", &failed);
			(void)ctl_reply_u64(c->reply, "job.retries", &retries);
			if (running && pk_mono_s() - last >= 1.0 && total > 0) {
				double rate = (double)done / (pk_mono_s() - start);

				say(c, "  node %u: %llu/%llu keys (%.0f%%), %.0f keys/s, ETA %.1f s",
				    c->r[i].node, (unsigned long long)done, (unsigned long long)total,
				    100.0 * (double)done / (double)total, rate,
				    rate > 0 ? (double)(total - done) / rate : 0.0);
				last = pk_mono_s();
			}
		}
		state = ctl_reply_str(c->reply, "job.state");
		say(c, "  node %u: %llu keys in %.3f s (%.0f keys/s), %llu retries, %llu failed%s",
		    c->r[i].node, (unsigned long long)done, pk_mono_s() - start,
		    (double)done / (pk_mono_s() - start + 1e-9), (unsigned long long)retries,
		    (unsigned long long)failed, failed > 0 ? ": again" : "");
		if (failed == 0 && state != NULL && strcmp(state, "done") == 0)
			return 0;
	}
	return 1;
}

/* Folds the "floors" reply into <max> (MAX_PARTITIONS); returns the
 * partitions it names, or -1 when the reply does not parse.
 */
static int
fold_floors(const json_t *reply, struct pk_floor *max)
{
	json_t *floors = ctl_reply_at(reply, "floors"), *f;
	size_t k;
	int n = 0;

	if (!json_is_array(floors))
		return -1;
	json_array_foreach(floors, k, f) {
		struct pk_floor one;
		uint64_t part;
		const char *ballot = ctl_reply_str(f, "ballot");

		if (!ctl_reply_u64(f, "partition", &part) || part >= MAX_PARTITIONS ||
		    ballot == NULL || !pk_ballot_parse(ballot, &one.ballot) ||
		    !ctl_reply_u64(f, "version", &one.version))
			return -1;
		pk_floor_raise(&max[part], &one.ballot, one.version);
		if ((int)part >= n)
			n = (int)part + 1;
	}
	return n;
}

/* COPY_FLOORS: before node <i> first votes, it takes the highest GC floor
 * of every running replica, partition by partition (dp/core/gc.c), so that
 * a message delayed from before a removal cannot revive the key on it.
 * Idempotent: floors only rise.
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
			say(c, "  node %u: no floors: %s", c->r[k].node,
			    c->err[0] != 0 ? c->err : c->text);
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
			say(c, "  node %u refused %s: %s", c->r[i].node, line, c->err);
			return 1;
		}
	}
	pk_ids_format(from, line, sizeof(line));
	say(c, "  GC floors of {%s} copied into node %u (%d partitions)", line, c->r[i].node, parts);
	return 0;
}

/* Carries out one step of a plan. */
static int
run_step(struct cluster *c, const struct pk_plan_step *s)
{
	int i = find(c, s->node);

	switch (s->kind) {
	case PK_STEP_GC_HOLD:
		return gc_hold_all(c, true);
	case PK_STEP_GC_RELEASE:
		return gc_hold_all(c, false);
	case PK_STEP_INSTALL:
		return install(c, s->lists);
	default:
		break;
	}
	if (i < 0) {
		say(c, "  node %u stopped answering", s->node);
		return 6;
	}
	switch (s->kind) {
	case PK_STEP_COPY_FLOORS:
		return copy_floors(c, (unsigned int)i);
	case PK_STEP_ADMIT:
		if (call(c, (unsigned int)i, "admit") != 0) {
			say(c, "  node %u refused admission: %s", s->node, c->err);
			return 1;
		}
		c->r[i].voting = true;
		return 0;
	case PK_STEP_RESCAN:
		return job(c, (unsigned int)i, -1);
	case PK_STEP_CATCHUP:
		return job(c, (unsigned int)i, s->target);
	default:
		say(c, "  unknown step");
		return 1;
	}
}

static void
print_plan(const struct cluster *c, const struct pk_plan *plan)
{
	char text[160];

	say(c, "plan: %u steps", plan->n);
	for (unsigned int k = 0; k < plan->n; k++) {
		pk_plan_step_format(&plan->step[k], text, sizeof(text));
		say(c, "  %2u. %-44s %s", k + 1, text, plan->step[k].why);
	}
}

/* Runs the plan's steps in order; after a failure only its last step (the
 * GC release) still runs.
 */
static int
execute(struct cluster *c, const struct pk_plan *plan)
{
	char text[160];
	int rc = 0;

	for (unsigned int k = 0; k < plan->n; k++) {
		const struct pk_plan_step *s = &plan->step[k];

		if (rc != 0 && s->kind != PK_STEP_GC_RELEASE)
			continue;
		pk_plan_step_format(s, text, sizeof(text));
		say(c, "step %u/%u: %s (%s)", k + 1, plan->n, text, s->why);
		if (rc != 0) {
			(void)run_step(c, s);
			continue;
		}
		if (s->kind == PK_STEP_GC_RELEASE)
			(void)run_step(c, s);	/* a lease: it ends by itself anyway */
		else
			rc = run_step(c, s);
		gc_renew(c);
	}
	return rc;
}

int
ctl_cluster_is_command(const char *cmd)
{
	return strcmp(cmd, "grow") == 0 || strcmp(cmd, "shrink") == 0 ||
	       strcmp(cmd, "replace") == 0 || strcmp(cmd, "readmit") == 0 ||
	       strcmp(cmd, "recover-from") == 0;
}

int
ctl_cluster(const char **paths, unsigned int npaths, int argc, char **argv,
	    unsigned int timeout_s)
{
	static struct cluster c;
	static struct pk_plan plan;
	struct pk_plan_view view;
	struct pk_plan_request req;
	char *args[8], err[200], p[64], a[64];
	int nargs = 0, rc;
	bool dry_run = false;

	for (int k = 0; k < argc; k++) {
		if (strcmp(argv[k], "--dry-run") == 0) {
			dry_run = true;
		} else if (nargs == (int)(sizeof(args) / sizeof(args[0]))) {
			fprintf(stderr, "parnikctl: %s: too many arguments\n", argv[0]);
			return 2;
		} else {
			args[nargs++] = argv[k];
		}
	}
	if (!pk_plan_parse(nargs, args, &req, err, sizeof(err))) {
		fprintf(stderr, "parnikctl: %s\n", err);
		return 2;
	}
	memset(&c, 0, sizeof(c));
	c.n = npaths > MAX_REPLICAS ? MAX_REPLICAS : npaths;
	c.timeout_s = timeout_s;
	c.t0 = pk_mono_s();
	for (unsigned int i = 0; i < c.n; i++)
		c.r[i].path = paths[i];
	rc = survey(&c, &view);
	if (rc != 0)
		goto out;
	pk_ids_format(c.cur.prepare, p, sizeof(p));
	pk_ids_format(c.cur.accept, a, sizeof(a));
	say(&c, "cluster at epoch %u, prepare {%s}/%u, accept {%s}/%u", c.epoch, p, c.cur.qp, a,
	    c.cur.qa);
	pk_plan_make(&view, &req, &plan);
	if (plan.verdict == PK_PLAN_NOTHING) {
		say(&c, "nothing to do: %s", plan.reason);
		goto out;
	}
	if (plan.verdict == PK_PLAN_REFUSED) {
		say(&c, "refused: %s", plan.reason);
		rc = 1;
		goto out;
	}
	print_plan(&c, &plan);
	if (dry_run)
		goto out;
	if (req.op == PK_PLAN_RECOVER) {
		say(&c, "RECOVERY WITH DATA LOSS: node %u becomes the only acceptor; writes only "
			"the lost replicas held are gone", req.node);
		say(&c, "the lost replicas must never come back with their old state: restart "
			"them empty (or stop them) before they can reach each other");
	}
	rc = execute(&c, &plan);
	if (rc == 0 && req.op == PK_PLAN_RECOVER)
		say(&c, "node %u serves alone now; grow the others back in, restarted empty: "
			"parnikctl -s SOCKETS grow NODE", req.node);
	say(&c, "%s", rc == 0 ? "done" : "stopped: run the same command again to resume");
out:
	json_decref(c.reply);
	c.reply = NULL;
	return rc;
}
