/* The membership planner (ctrl/plan.c) compared as data: each request
 * against a surveyed cluster gives exactly the paper's steps, in order;
 * refusals and "nothing to do" say why; an interrupted change is planned
 * from where it stopped; every list a plan installs keeps prepare and
 * accept quorums intersecting; and the command line is parsed strictly.
 */
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "parnik/config.h"
#include "plan.h"

/* A cluster whose lists are all of <members> (majority quorums); the
 * nodes of <up> run, those of <voting> vote.
 */
static struct pk_plan_view
view(uint16_t members, uint16_t up, uint16_t voting)
{
	struct pk_plan_view v;

	memset(&v, 0, sizeof(v));
	v.cur = (struct pk_lists){ .prepare = members, .accept = members,
				   .qp = pk_majority(members), .qa = pk_majority(members) };
	for (uint16_t id = 0; id < PK_MAX_NODES; id++) {
		v.node[id].up = (up >> id) & 1;
		v.node[id].voting = (voting >> id) & 1;
		v.node[id].keys = v.node[id].voting && ((members >> id) & 1) ? 100 : 0;
	}
	return v;
}

/* The plan as one line: its steps joined by "; ", or "nothing: REASON",
 * or "refused: REASON".
 */
static const char *
plan_text(const struct pk_plan_view *v, enum pk_plan_op op, uint16_t node, uint16_t other,
	  bool catchup)
{
	static char text[2048];
	static struct pk_plan p;
	struct pk_plan_request r = { .op = op, .node = node, .other = other, .catchup = catchup };
	size_t n = 0;

	pk_plan_make(v, &r, &p);
	if (p.verdict != PK_PLAN_STEPS) {
		snprintf(text, sizeof(text), "%s: %s",
			 p.verdict == PK_PLAN_NOTHING ? "nothing" : "refused", p.reason);
		return text;
	}
	text[0] = 0;
	for (unsigned int k = 0; k < p.n; k++) {
		char one[160];

		pk_plan_step_format(&p.step[k], one, sizeof(one));
		n += (size_t)snprintf(text + n, sizeof(text) - n, "%s%s", k > 0 ? "; " : "", one);
	}
	return text;
}

#define CHECK_PLAN(got, want)                                                   \
	do {                                                                    \
		const char *got_ = (got);                                       \
		if (strcmp(got_, (want)) != 0) {                                \
			fprintf(stderr, "  plan: %s\n  want: %s\n", got_, (want)); \
			CHECK(!"the plan differs");                             \
		}                                                               \
	} while (0)

#define CHECK_PREFIX(got, want)                                                 \
	do {                                                                    \
		const char *got_ = (got);                                       \
		if (strncmp(got_, (want), strlen(want)) != 0) {                 \
			fprintf(stderr, "  plan: %s\n  want: %s...\n", got_, (want)); \
			CHECK(!"the plan differs");                             \
		}                                                               \
	} while (0)

static void
test_grow_odd_to_even_accept_list_rescan_prepare_list(void)
{
	/* Spare 3 restarted empty: not voting until admitted. */
	struct pk_plan_view v = view(0x7, 0xf, 0x7);

	CHECK_PLAN(plan_text(&v, PK_PLAN_GROW, 3, 0, false),
		   "gc-hold; copy-floors 3; install prepare {0,1,2}/2 accept {0,1,2}/2; admit 3; "
		   "install prepare {0,1,2}/2 accept {0,1,2,3}/3; rescan 0; rescan 1; "
		   "install prepare {0,1,2,3}/3 accept {0,1,2,3}/3; gc-release");
}

static void
test_grow_by_catchup_copies_from_enough_sources(void)
{
	struct pk_plan_view v = view(0x7, 0xf, 0x7);

	CHECK_PLAN(plan_text(&v, PK_PLAN_GROW, 3, 0, true),
		   "gc-hold; copy-floors 3; install prepare {0,1,2}/2 accept {0,1,2}/2; admit 3; "
		   "install prepare {0,1,2}/2 accept {0,1,2,3}/3; catchup 0 -> 3; catchup 1 -> 3; "
		   "install prepare {0,1,2,3}/3 accept {0,1,2,3}/3; gc-release");
}

static void
test_grow_even_to_odd_both_lists_at_once(void)
{
	/* Node 4 voting with no keys (never a member): no re-admission. */
	struct pk_plan_view v = view(0xf, 0x1f, 0x1f);

	CHECK_PLAN(plan_text(&v, PK_PLAN_GROW, 4, 0, false),
		   "gc-hold; copy-floors 4; install prepare {0,1,2,3,4}/3 accept {0,1,2,3,4}/3; "
		   "gc-release");
}

static void
test_grow_resumes_after_the_accept_list(void)
{
	/* Interrupted after step 1: 3 is in the accept list only. */
	struct pk_plan_view v = view(0x7, 0xf, 0xf);

	v.cur.accept = 0xf;
	v.cur.qa = 3;
	CHECK_PLAN(plan_text(&v, PK_PLAN_GROW, 3, 0, false),
		   "gc-hold; rescan 0; rescan 1; install prepare {0,1,2,3}/3 accept {0,1,2,3}/3; "
		   "gc-release");
}

static void
test_grow_refusals(void)
{
	struct pk_plan_view v = view(0x7, 0x7, 0x7);

	CHECK_PREFIX(plan_text(&v, PK_PLAN_GROW, 3, 0, false), "refused: node 3 is not running");
	CHECK_PLAN(plan_text(&v, PK_PLAN_GROW, 1, 0, false), "nothing: node 1 is already a member");
	/* A node that left with its keys must be wiped first. */
	v = view(0x7, 0xf, 0xf);
	v.node[3].keys = 12;
	CHECK_PREFIX(plan_text(&v, PK_PLAN_GROW, 3, 0, false),
		     "refused: node 3 holds 12 keys from an earlier membership");
}

static void
test_shrink_odd_to_even_both_lists_then_rescan(void)
{
	struct pk_plan_view v = view(0x1f, 0x1f, 0x1f);

	CHECK_PLAN(plan_text(&v, PK_PLAN_SHRINK, 4, 0, false),
		   "gc-hold; install prepare {0,1,2,3}/3 accept {0,1,2,3}/3; rescan 0; rescan 1; "
		   "rescan 2; gc-release");
}

static void
test_shrink_even_to_odd_prepare_list_rescan_accept_list(void)
{
	struct pk_plan_view v = view(0xf, 0xf, 0xf);

	CHECK_PLAN(plan_text(&v, PK_PLAN_SHRINK, 3, 0, false),
		   "gc-hold; install prepare {0,1,2}/2 accept {0,1,2,3}/3; rescan 0; rescan 1; "
		   "install prepare {0,1,2}/2 accept {0,1,2}/2; gc-release");
}

static void
test_shrink_of_a_non_member(void)
{
	struct pk_plan_view v = view(0x7, 0xf, 0xf);

	CHECK_PLAN(plan_text(&v, PK_PLAN_SHRINK, 3, 0, false), "nothing: node 3 is not a member");
	/* An even list may be an odd shrink interrupted before its rescan:
	 * shrinking the node again rescans again.
	 */
	v = view(0xf, 0x1f, 0x1f);
	CHECK_PLAN(plan_text(&v, PK_PLAN_SHRINK, 4, 0, false),
		   "gc-hold; rescan 0; rescan 1; gc-release");
}

static void
test_shrink_refusals(void)
{
	struct pk_plan_view v = view(0x1, 0x1, 0x1);

	CHECK_PLAN(plan_text(&v, PK_PLAN_SHRINK, 0, 0, false),
		   "refused: node 0 is the last acceptor");
	/* Two of three down: a committed value may sit only on them. */
	v = view(0x7, 0x1, 0x1);
	CHECK_PREFIX(plan_text(&v, PK_PLAN_SHRINK, 2, 0, false),
		     "refused: impossible: committed values may sit only on replicas that are down");
}

static void
test_replace_a_dead_member(void)
{
	/* Node 2 killed; spare 3 restarted empty. */
	struct pk_plan_view v = view(0x7, 0xb, 0x3);

	CHECK_PLAN(plan_text(&v, PK_PLAN_REPLACE, 2, 3, false),
		   "gc-hold; copy-floors 3; install prepare {0,1,2}/2 accept {0,1,2}/2; admit 3; "
		   "install prepare {0,1,2}/2 accept {0,1,2,3}/3; rescan 0; rescan 1; "
		   "install prepare {0,1,2,3}/3 accept {0,1,2,3}/3; "
		   "install prepare {0,1,3}/2 accept {0,1,2,3}/3; rescan 0; rescan 1; "
		   "install prepare {0,1,3}/2 accept {0,1,3}/2; gc-release");
	CHECK_PLAN(plan_text(&v, PK_PLAN_REPLACE, 2, 2, false),
		   "refused: OLD and NEW must be two nodes");
}

static void
test_readmit_shrinks_admits_and_grows_back(void)
{
	/* Node 1 restarted in place: amnesiac, still listed. */
	struct pk_plan_view v = view(0x7, 0x7, 0x5);

	CHECK_PLAN(plan_text(&v, PK_PLAN_READMIT, 1, 0, false),
		   "gc-hold; install prepare {0,2}/2 accept {0,2}/2; rescan 0; rescan 2; "
		   "copy-floors 1; install prepare {0,2}/2 accept {0,2}/2; admit 1; "
		   "install prepare {0,1,2}/2 accept {0,1,2}/2; gc-release");
	v = view(0x7, 0x7, 0x7);
	CHECK_PLAN(plan_text(&v, PK_PLAN_READMIT, 1, 0, false),
		   "nothing: node 1 is voting already");
	v = view(0x7, 0x5, 0x5);
	CHECK_PREFIX(plan_text(&v, PK_PLAN_READMIT, 1, 0, false), "refused: node 1 is not running");
}

static void
test_recover_from_a_lost_majority(void)
{
	/* Five members, three lost: 0 takes in what 1 holds, then serves. */
	struct pk_plan_view v = view(0x1f, 0x3, 0x3);

	CHECK_PLAN(plan_text(&v, PK_PLAN_RECOVER, 0, 0, false),
		   "gc-hold; catchup 1 -> 0; install prepare {0}/1 accept {0}/1; gc-release");
	v = view(0x1f, 0x7, 0x7);
	CHECK_PREFIX(plan_text(&v, PK_PLAN_RECOVER, 0, 0, false),
		     "refused: quorums of both lists still vote");
	v = view(0x1f, 0x3, 0x2);
	CHECK_PREFIX(plan_text(&v, PK_PLAN_RECOVER, 0, 0, false), "refused: node 0 is not voting");
}

/* Every list any plan installs, over every 1-5 node cluster, every up and
 * voting pattern and every request, keeps each prepare quorum meeting each
 * accept quorum (the safety condition), and no list is empty.
 */
static void
test_every_installed_list_keeps_quorums_intersecting(void)
{
	static struct pk_plan p;
	unsigned int plans = 0;

	for (uint16_t members = 1; members < 0x20; members++)
		for (uint16_t up = 0; up < 0x20; up++)
			for (uint16_t voting = 0; voting < 0x20; voting += 3)
				for (int op = PK_PLAN_GROW; op <= PK_PLAN_RECOVER; op++)
					for (uint16_t node = 0; node < 5; node++) {
						struct pk_plan_view v = view(members, up, voting & up);
						struct pk_plan_request r = {
							.op = (enum pk_plan_op)op, .node = node,
							.other = (uint16_t)((node + 1) % 5) };

						pk_plan_make(&v, &r, &p);
						CHECK(p.verdict == PK_PLAN_STEPS || p.n == 0);
						plans += p.verdict == PK_PLAN_STEPS;
						for (unsigned int k = 0; k < p.n; k++) {
							const struct pk_lists *l = &p.step[k].lists;
							struct pk_config c = {
								.prepare_mask = l->prepare,
								.accept_mask = l->accept,
								.prepare_quorum = l->qp,
								.accept_quorum = l->qa };

							if (p.step[k].kind != PK_STEP_INSTALL)
								continue;
							CHECK(l->prepare != 0 && l->accept != 0);
							CHECK(pk_config_quorums_intersect(&c));
						}
						if (p.n > 0) {
							CHECK_EQ(p.step[0].kind, PK_STEP_GC_HOLD);
							CHECK_EQ(p.step[p.n - 1].kind, PK_STEP_GC_RELEASE);
						}
					}
	CHECK(plans > 1000);
}

static bool
parses(const char *line, struct pk_plan_request *r, char *err, size_t errlen)
{
	char buf[256], *argv[8];
	int argc = 0;

	snprintf(buf, sizeof(buf), "%s", line);
	for (char *t = strtok(buf, " "); t != NULL && argc < 8; t = strtok(NULL, " "))
		argv[argc++] = t;
	return pk_plan_parse(argc, argv, r, err, errlen);
}

static void
test_parse_is_strict_and_says_why(void)
{
	struct pk_plan_request r;
	char err[200];

	CHECK(parses("grow 3 --catchup", &r, err, sizeof(err)));
	CHECK(r.op == PK_PLAN_GROW && r.node == 3 && r.catchup);
	CHECK(parses("replace 2 3", &r, err, sizeof(err)));
	CHECK(r.op == PK_PLAN_REPLACE && r.node == 2 && r.other == 3 && !r.catchup);
	CHECK(parses("recover-from 0 --i-accept-data-loss", &r, err, sizeof(err)));
	CHECK(r.op == PK_PLAN_RECOVER && r.node == 0);
	CHECK(!parses("grow", &r, err, sizeof(err)));
	CHECK(strcmp(err, "grow takes one node") == 0);
	CHECK(!parses("grow x", &r, err, sizeof(err)));
	CHECK(strstr(err, "'x' is not a node id") != NULL);
	CHECK(!parses("grow 16", &r, err, sizeof(err)));
	CHECK(!parses("grow 3 4", &r, err, sizeof(err)));
	CHECK(!parses("grow 3 --bogus", &r, err, sizeof(err)));
	CHECK(strstr(err, "unknown option '--bogus'") != NULL);
	CHECK(!parses("shrink 3 --catchup", &r, err, sizeof(err)));
	CHECK(!parses("replace 2 2", &r, err, sizeof(err)));
	CHECK(!parses("recover-from 0", &r, err, sizeof(err)));
	CHECK(strstr(err, "--i-accept-data-loss") != NULL);
	CHECK(!parses("grow 3 --i-accept-data-loss", &r, err, sizeof(err)));
	CHECK(!parses("frob 3", &r, err, sizeof(err)));
}

int
main(int argc, char **argv)
{
	static const struct check_case cases[] = {
		{ "grow_odd_to_even_accept_list_rescan_prepare_list",
		  test_grow_odd_to_even_accept_list_rescan_prepare_list },
		{ "grow_by_catchup_copies_from_enough_sources",
		  test_grow_by_catchup_copies_from_enough_sources },
		{ "grow_even_to_odd_both_lists_at_once", test_grow_even_to_odd_both_lists_at_once },
		{ "grow_resumes_after_the_accept_list", test_grow_resumes_after_the_accept_list },
		{ "grow_refusals", test_grow_refusals },
		{ "shrink_odd_to_even_both_lists_then_rescan",
		  test_shrink_odd_to_even_both_lists_then_rescan },
		{ "shrink_even_to_odd_prepare_list_rescan_accept_list",
		  test_shrink_even_to_odd_prepare_list_rescan_accept_list },
		{ "shrink_of_a_non_member", test_shrink_of_a_non_member },
		{ "shrink_refusals", test_shrink_refusals },
		{ "replace_a_dead_member", test_replace_a_dead_member },
		{ "readmit_shrinks_admits_and_grows_back", test_readmit_shrinks_admits_and_grows_back },
		{ "recover_from_a_lost_majority", test_recover_from_a_lost_majority },
		{ "every_installed_list_keeps_quorums_intersecting",
		  test_every_installed_list_keeps_quorums_intersecting },
		{ "parse_is_strict_and_says_why", test_parse_is_strict_and_says_why },
	};

	return check_run(argc, argv, cases, (int)(sizeof(cases) / sizeof(cases[0])));
}
