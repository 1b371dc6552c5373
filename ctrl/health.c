/* The cluster health table of parnikctl (see health.h). */
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctl_client.h"
#include "health.h"
#include "parnik/config.h"
#include "reply.h"
#include "watch.h"

#define REPLY_MAX (256 * 1024)
#define MAX_REPLICAS 16

struct replica {
	bool up;
	uint64_t node, epoch, keys;
	bool voting;
	char prepare[64], accept[64];
	unsigned int peers, heard;	/* members it should hear, and hears */
	char silent[64];		/* the ids it does not hear */
	struct ctl_stats_sample was, now;
	bool sampled;
	bool listed;			/* in a list of its own epoch */
};

/* "0,1,2 q2" from a lists reply's list; notes whether <node> is in it. */
static void
list_text(const json_t *r, const char *which, char *out, size_t cap, bool *has, uint64_t node)
{
	uint16_t mask;
	uint8_t q;
	char ids[40];	/* "0,1,...,15": 37 */

	if (!ctl_reply_list(r, which, &mask, &q)) {
		snprintf(out, cap, "?");
		return;
	}
	if (node < PK_MAX_NODES && (mask & (1u << node)) != 0)
		*has = true;
	pk_ids_format(mask, ids, sizeof(ids));
	snprintf(out, cap, "%s q%u", ids, q);
}

static void
peers_of(const json_t *status, struct replica *rp)
{
	json_t *peers = ctl_reply_at(status, "peers"), *p;
	size_t k, len = 0;

	rp->silent[0] = 0;
	json_array_foreach(peers, k, p) {
		json_t *id = json_object_get(p, "id"), *heard = json_object_get(p, "heard");
		json_t *silent = json_object_get(p, "silent");
		bool hears = json_is_true(heard) && !json_is_true(silent);

		rp->peers++;
		rp->heard += hears;
		if (!hears && len < sizeof(rp->silent))
			len += (size_t)snprintf(rp->silent + len, sizeof(rp->silent) - len, "%s%lld",
						len > 0 ? "," : "", (long long)json_integer_value(id));
	}
}

/* status and lists of one replica, and its first stats sample. */
static void
survey(const char *path, struct replica *rp, char *reply)
{
	char err[256];
	json_t *st, *li;

	memset(rp, 0, sizeof(*rp));
	if (ctl_client_call(path, "status", reply, REPLY_MAX, err, sizeof(err)) != 0)
		return;
	st = ctl_reply_parse(reply, err, sizeof(err));
	if (st == NULL || !ctl_reply_ok(st)) {
		json_decref(st);
		return;
	}
	rp->up = true;
	(void)ctl_reply_u64(st, "node", &rp->node);
	(void)ctl_reply_u64(st, "epoch", &rp->epoch);
	(void)ctl_reply_u64(st, "keys", &rp->keys);
	(void)ctl_reply_bool(st, "voting", &rp->voting);
	peers_of(st, rp);
	json_decref(st);
	if (ctl_client_call(path, "lists", reply, REPLY_MAX, err, sizeof(err)) == 0 &&
	    (li = ctl_reply_parse(reply, err, sizeof(err))) != NULL) {
		list_text(li, "prepare", rp->prepare, sizeof(rp->prepare), &rp->listed, rp->node);
		list_text(li, "accept", rp->accept, sizeof(rp->accept), &rp->listed, rp->node);
		json_decref(li);
	}
	rp->sampled = ctl_client_call(path, "stats", reply, REPLY_MAX, err, sizeof(err)) == 0 &&
		      ctl_stats_sample_parse(reply, &rp->was) == 0;
}

/* Appends to the problems line; past its end the rest is dropped. */
static void __attribute__((format(printf, 4, 5)))
note(char *buf, size_t cap, size_t *len, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (*len >= cap - 1)
		return;
	va_start(ap, fmt);
	n = vsnprintf(buf + *len, cap - *len, fmt, ap);
	va_end(ap);
	if (n > 0)
		*len = *len + (size_t)n < cap - 1 ? *len + (size_t)n : cap - 1;
}

int
ctl_health(const char *const *paths, unsigned int n)
{
	static struct replica rs[MAX_REPLICAS];
	char *reply = malloc(REPLY_MAX), err[256], problems[1024] = "";
	unsigned int up = 0;
	uint64_t epoch = 0;
	size_t plen = 0;

	if (reply == NULL || n > MAX_REPLICAS) {
		free(reply);
		return 2;
	}
	for (unsigned int i = 0; i < n; i++)
		survey(paths[i], &rs[i], reply);
	sleep(1);	/* requests/s and p99 over this second */
	for (unsigned int i = 0; i < n; i++)
		if (rs[i].sampled)
			rs[i].sampled = ctl_client_call(paths[i], "stats", reply, REPLY_MAX, err,
							sizeof(err)) == 0 &&
					ctl_stats_sample_parse(reply, &rs[i].now) == 0;
	free(reply);
	printf("%-28s %-4s %-6s %-5s %-12s %-12s %9s %9s %9s  %s\n", "replica", "node", "voting",
	       "epoch", "prepare", "accept", "keys", "req/s", "p99 us", "hears");
	for (unsigned int i = 0; i < n; i++) {
		const struct replica *rp = &rs[i];

		if (!rp->up) {
			printf("%-28.28s %s\n", paths[i], "(no answer)");
			note(problems, sizeof(problems), &plen, "; %s does not answer", paths[i]);
			continue;
		}
		up++;
		if (epoch == 0 || rp->epoch > epoch)
			epoch = rp->epoch;
		if (rp->sampled)
			printf("%-28.28s %-4llu %-6s %-5llu %-12s %-12s %9llu %9llu %9.1f  %u/%u%s%s\n",
			       paths[i], (unsigned long long)rp->node, rp->voting ? "yes" : "no",
			       (unsigned long long)rp->epoch, rp->prepare, rp->accept,
			       (unsigned long long)rp->keys,
			       (unsigned long long)(rp->now.requests - rp->was.requests),
			       (double)ctl_stats_quantile(&rp->now, &rp->was, 0.99) / 1000.0,
			       rp->heard, rp->peers, rp->silent[0] != 0 ? " not: " : "", rp->silent);
		else
			printf("%-28.28s %-4llu %-6s %-5llu %-12s %-12s %9llu %9s %9s  %u/%u\n",
			       paths[i], (unsigned long long)rp->node, rp->voting ? "yes" : "no",
			       (unsigned long long)rp->epoch, rp->prepare, rp->accept,
			       (unsigned long long)rp->keys, "-", "-", rp->heard, rp->peers);
	}
	for (unsigned int i = 0; i < n; i++) {
		const struct replica *rp = &rs[i];

		if (!rp->up)
			continue;
		if (rp->epoch != epoch)
			note(problems, sizeof(problems), &plen, "; node %llu runs epoch %llu, not %llu",
			     (unsigned long long)rp->node, (unsigned long long)rp->epoch,
			     (unsigned long long)epoch);
		else if (rp->listed && !rp->voting)
			note(problems, sizeof(problems), &plen,
			     "; node %llu is listed but does not vote (readmit it)",
			     (unsigned long long)rp->node);
		if (rp->heard < rp->peers)
			note(problems, sizeof(problems), &plen, "; node %llu does not hear %s",
			     (unsigned long long)rp->node, rp->silent);
	}
	if (up == 0) {
		printf("cluster: no replica answers\n");
		return 6;
	}
	if (problems[0] == 0) {
		printf("cluster: healthy: %u of %u replicas answer, epoch %llu everywhere\n", up, n,
		       (unsigned long long)epoch);
		return 0;
	}
	printf("cluster: %u of %u replicas answer%s\n", up, n, problems);
	return 1;
}
