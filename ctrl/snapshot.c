/* parnikctl snapshot / restore (see snapshot.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl_client.h"
#include "reply.h"
#include "parnik/client.h"
#include "parnik/keyfile.h"
#include "parnik/wire.h"
#include "snapshot.h"

#define REPLY_CAP (300 * 1024)	/* above the server's reply limit */
#define PAGE_KEYS 1000
#define WINDOW 256		/* requests in flight through libparnik */
#define MAX_SERVERS_TEXT 1024

struct item {
	uint8_t *key;
	uint16_t klen;
	uint16_t vlen;
	uint8_t *value;
	bool live;		/* the GET found it (snapshot) / the PUT took it (restore) */
};

struct items {
	struct item *v;
	size_t n, cap;
	size_t *slots;		/* open addressing over v, for dedupe: index + 1 */
	size_t nslots;
};

static char reply[REPLY_CAP];

/* ---- the key set ---- */

static bool
items_grow_slots(struct items *s)
{
	size_t n = s->nslots ? s->nslots * 2 : 1024;
	size_t *slots = calloc(n, sizeof(*slots));

	if (slots == NULL)
		return false;
	for (size_t i = 0; i < s->n; i++) {
		size_t at = pk_hash(s->v[i].key, s->v[i].klen) & (n - 1);

		while (slots[at] != 0)
			at = (at + 1) & (n - 1);
		slots[at] = i + 1;
	}
	free(s->slots);
	s->slots = slots;
	s->nslots = n;
	return true;
}

/* Adds <key> unless present; false when out of memory. */
static bool
items_add(struct items *s, const uint8_t *key, uint16_t klen, bool dedupe)
{
	size_t at = 0;
	struct item *it;

	if (dedupe) {
		if (2 * (s->n + 1) > s->nslots && !items_grow_slots(s))
			return false;
		at = pk_hash(key, klen) & (s->nslots - 1);
		for (; s->slots[at] != 0; at = (at + 1) & (s->nslots - 1)) {
			const struct item *o = &s->v[s->slots[at] - 1];

			if (o->klen == klen && memcmp(o->key, key, klen) == 0)
				return true;
		}
	}
	if (s->n == s->cap) {
		size_t cap = s->cap ? 2 * s->cap : 4096;
		struct item *v = realloc(s->v, cap * sizeof(*v));

		if (v == NULL)
			return false;
		s->v = v;
		s->cap = cap;
	}
	it = &s->v[s->n];
	memset(it, 0, sizeof(*it));
	it->key = malloc(klen > 0 ? klen : 1);
	if (it->key == NULL)
		return false;
	memcpy(it->key, key, klen);
	it->klen = klen;
	if (dedupe)
		s->slots[at] = s->n + 1;
	s->n++;
	return true;
}

static void
items_free(struct items *s)
{
	for (size_t i = 0; i < s->n; i++) {
		free(s->v[i].key);
		free(s->v[i].value);
	}
	free(s->v);
	free(s->slots);
}

static int
item_cmp(const void *a, const void *b)
{
	const struct item *x = a, *y = b;
	int c = memcmp(x->key, y->key, x->klen < y->klen ? x->klen : y->klen);

	return c != 0 ? c : (int)x->klen - (int)y->klen;
}

/* ---- reading the replicas' replies ---- */

/* Adds every key of one "keys" page reply; returns the "next" position
 * (-1 at the end) or -2 on a reply it cannot read.
 */
static long long
page_keys(struct items *s, const json_t *r)
{
	json_t *keys = ctl_reply_at(r, "keys"), *k, *next = ctl_reply_at(r, "next");
	uint8_t key[PK_MAX_KEY];
	size_t i, len;

	if (!json_is_array(keys) || !json_is_integer(next))
		return -2;
	json_array_foreach(keys, i, k) {
		if (!ctl_reply_bytes(k, key, sizeof(key), &len) ||
		    !items_add(s, key, (uint16_t)len, true))
			return -2;
	}
	return json_integer_value(next) < 0 ? -1 : (long long)json_integer_value(next);
}

/* The cluster's data-path address from a replica's config: "IP:PORT,...",
 * its partitions and cluster id.
 */
static int
servers_of(const json_t *r, char *servers, size_t cap, uint64_t *partitions, uint64_t *cluster)
{
	json_t *members = ctl_reply_at(r, "members"), *m;
	uint64_t port;
	size_t n = 0, k;

	if (!ctl_reply_u64(r, "port", &port) || !ctl_reply_u64(r, "partitions", partitions) ||
	    !ctl_reply_u64(r, "cluster", cluster) || !json_is_array(members))
		return -1;
	servers[0] = 0;
	json_array_foreach(members, k, m) {
		const char *ip = ctl_reply_str(m, "addr");
		size_t len = ip != NULL ? strlen(ip) : 0;

		if (ip == NULL || len > 15 || n + len + 8 >= cap)
			return -1;
		n += (size_t)snprintf(servers + n, cap - n, "%s%s:%llu", n > 0 ? "," : "", ip,
				      (unsigned long long)port);
	}
	return n > 0 ? 0 : -1;
}

/* ---- the data path ---- */

struct run {
	struct pk_client_config cfg;
	uint8_t secret[PK_AUTH_SECRET_LEN];
	char servers[MAX_SERVERS_TEXT];
};

/* Runs GET (or PUT, <put>) for every item through libparnik; fills
 * values and <live>. Returns how many failed (no definite answer).
 */
static size_t
run_all(struct run *r, struct items *s, bool put)
{
	char err[256];
	struct pk_client *c = pk_client_open(&r->cfg, err, sizeof(err));
	struct pk_completion done[64];
	size_t next = 0, failed = 0;

	if (c == NULL) {
		fprintf(stderr, "parnikctl: %s\n", err);
		return s->n;
	}
	while (next < s->n || pk_client_inflight(c) > 0) {
		int got;

		while (next < s->n && pk_client_inflight(c) < WINDOW) {
			struct item *it = &s->v[next];
			struct pk_request req = { .op = put ? PK_OP_PUT : PK_OP_GET, .key = it->key,
						  .key_len = it->klen, .value = it->value,
						  .len = put ? it->vlen : 0 };

			if (pk_client_submit(c, &req, it) != 0)
				break;
			next++;
		}
		got = pk_client_poll(c, done, 64, 100);
		if (got < 0) {
			fprintf(stderr, "parnikctl: client socket failed\n");
			failed += s->n - next + pk_client_inflight(c);
			break;
		}
		for (int i = 0; i < got; i++) {
			struct item *it = done[i].user;
			const struct pk_result *res = &done[i].result;

			if (res->status == PK_OK) {
				it->live = true;
				if (!put) {
					it->value = malloc(res->len > 0 ? res->len : 1);
					if (it->value == NULL) {
						failed++;
						continue;
					}
					memcpy(it->value, res->value, res->len);
					it->vlen = res->len;
				}
			} else if (put || res->status != PK_NOT_FOUND) {
				if (failed < 5)
					fprintf(stderr, "parnikctl: %s of a key: %s\n",
						put ? "PUT" : "GET", pk_strstatus(res->status));
				failed++;
			}
		}
	}
	pk_client_close(c);
	return failed;
}

/* Connects <r> to the cluster behind the first replica that answers. */
static int
connect_cluster(struct run *r, const char **paths, unsigned int npaths, const char *keyfile,
		uint64_t *partitions)
{
	char err[256];
	uint64_t cluster;
	json_t *config = NULL;
	unsigned int i;
	int rc;

	for (i = 0; i < npaths; i++) {
		if (ctl_client_call(paths[i], "config", reply, sizeof(reply), err, sizeof(err)) == 0 &&
		    (config = ctl_reply_parse(reply, err, sizeof(err))) != NULL) {
			if (ctl_reply_ok(config))
				break;
			json_decref(config);
			config = NULL;
		}
	}
	if (i == npaths) {
		fprintf(stderr, "parnikctl: no replica answers on the sockets given\n");
		return 6;
	}
	rc = servers_of(config, r->servers, sizeof(r->servers), partitions, &cluster);
	json_decref(config);
	if (rc != 0) {
		fprintf(stderr, "parnikctl: cannot read the config of %s\n", paths[i]);
		return 1;
	}
	pk_client_config_default(&r->cfg);
	r->cfg.servers = r->servers;
	r->cfg.partitions = (uint16_t)*partitions;
	r->cfg.cluster_id = (uint32_t)cluster;
	r->cfg.window = WINDOW;
	if (keyfile != NULL) {
		if (pk_keyfile_load(keyfile, r->secret, err, sizeof(err)) != 0) {
			fprintf(stderr, "parnikctl: %s\n", err);
			return 1;
		}
		r->cfg.client_secret = r->secret;
	}
	return 0;
}

/* ---- the two commands ---- */

/* Every key any replica of <paths> holds (a key lives on a majority), in
 * <s>; <asked> counts the replicas that answered. Returns 0, or 1 on a
 * reply it cannot read.
 */
/* Lists every key of replica <path>'s partitions into <s>. Returns 0 when
 * every page was read, 1 when the replica did not answer (or failed), -1
 * on a reply it cannot read.
 */
static int
list_replica(const char *path, uint64_t partitions, struct items *s)
{
	char err[256];

	for (uint64_t p = 0; p < partitions; p++) {
		long long from = 0;
		unsigned int limit = PAGE_KEYS;

		while (from >= 0) {
			char line[64];

			snprintf(line, sizeof(line), "keys %llu %lld %u", (unsigned long long)p, from,
				 limit);
			json_t *page;

			if (ctl_client_call(path, line, reply, sizeof(reply), err, sizeof(err)) != 0)
				return 1;
			page = ctl_reply_parse(reply, err, sizeof(err));
			if (page != NULL && !ctl_reply_ok(page) &&
			    strstr(ctl_reply_error(page), "too large") != NULL && limit > 1) {
				json_decref(page);
				limit /= 2;
				continue;
			}
			from = page == NULL ? -2 : page_keys(s, page);
			json_decref(page);
			if (from == -2) {
				fprintf(stderr, "parnikctl: cannot read a key page of %s\n", path);
				return -1;
			}
		}
	}
	return 0;
}

/* Every key any replica of <paths> holds (a key lives on a majority), in
 * <s>. Deletion GC is held meanwhile on each replica: pages go by position
 * in its table, and a record removed behind the cursor would shift a key
 * past it. A majority of the replicas given must list every partition (a
 * key written while the others were down lives on them). Returns 0, or 1
 * (said why).
 */
static int
collect_keys(const char **paths, unsigned int npaths, uint64_t partitions, struct items *s,
	     unsigned int *asked)
{
	char err[256];
	int rc = 0;

	*asked = 0;
	for (unsigned int i = 0; i < npaths; i++)
		(void)ctl_client_call(paths[i], "gc hold 600", reply, sizeof(reply), err,
				      sizeof(err));
	for (unsigned int i = 0; i < npaths && rc == 0; i++) {
		int got = list_replica(paths[i], partitions, s);

		if (got < 0)
			rc = 1;
		*asked += got == 0;
	}
	for (unsigned int i = 0; i < npaths; i++)
		(void)ctl_client_call(paths[i], "gc release", reply, sizeof(reply), err,
				      sizeof(err));
	if (rc == 0 && *asked < npaths / 2 + 1) {
		fprintf(stderr, "parnikctl: only %u of the %u replicas given listed their keys: "
			"a majority must\n", *asked, npaths);
		rc = 1;
	}
	return rc;
}

static int
snapshot(const char **paths, unsigned int npaths, const char *file, const char *keyfile)
{
	struct items s = { 0 };
	struct run r;
	uint64_t partitions;
	unsigned int asked;
	size_t failed, live = 0;
	char tmp[4096];
	FILE *f;
	int rc = connect_cluster(&r, paths, npaths, keyfile, &partitions);

	if (rc == 0)
		rc = collect_keys(paths, npaths, partitions, &s, &asked);
	if (rc != 0) {
		items_free(&s);
		return rc;
	}
	printf("snapshot: %zu keys found on %u replicas; reading each through %s\n", s.n, asked,
	       r.servers);
	failed = run_all(&r, &s, false);
	if (failed > 0) {
		fprintf(stderr, "parnikctl: snapshot incomplete: %zu keys could not be read\n",
			failed);
		items_free(&s);
		return 1;
	}
	qsort(s.v, s.n, sizeof(*s.v), item_cmp);
	for (size_t i = 0; i < s.n; i++)
		live += s.v[i].live;
	snprintf(tmp, sizeof(tmp), "%s.tmp", file);
	f = fopen(tmp, "wb");
	if (f == NULL) {
		perror(tmp);
		items_free(&s);
		return 1;
	}
	fprintf(f, "parnik-snapshot 1 keys %zu\n", live);
	for (size_t i = 0; i < s.n; i++) {
		const struct item *it = &s.v[i];

		if (!it->live)
			continue;	/* deleted since its replica listed it */
		fprintf(f, "%u %u\n", it->klen, it->vlen);
		fwrite(it->key, 1, it->klen, f);
		fwrite(it->value, 1, it->vlen, f);
		fputc('\n', f);
	}
	fprintf(f, "end %zu\n", live);
	items_free(&s);
	if (fflush(f) != 0 || ferror(f) != 0 || fclose(f) != 0 || rename(tmp, file) != 0) {
		perror(file);
		return 1;
	}
	printf("snapshot: %zu keys written to %s\n", live, file);
	return 0;
}

/* Reads a whole snapshot file into <s>; -1 with a reason printed. */
static int
load_file(const char *file, struct items *s)
{
	FILE *f = fopen(file, "rb");
	size_t count, end_count;
	int rc = -1;

	if (f == NULL) {
		perror(file);
		return -1;
	}
	if (fscanf(f, "parnik-snapshot 1 keys %zu", &count) != 1 || fgetc(f) != '\n')
		goto bad;
	for (size_t i = 0; i < count; i++) {
		unsigned int kl, vl;
		uint8_t key[PK_MAX_KEY];
		struct item *it;

		if (fscanf(f, "%u %u", &kl, &vl) != 2 || fgetc(f) != '\n' || kl == 0 ||
		    kl > PK_MAX_KEY || vl > PK_MAX_VALUE || fread(key, 1, kl, f) != kl ||
		    !items_add(s, key, (uint16_t)kl, false))
			goto bad;
		it = &s->v[s->n - 1];
		it->value = malloc(vl > 0 ? vl : 1);
		if (it->value == NULL || fread(it->value, 1, vl, f) != vl || fgetc(f) != '\n')
			goto bad;
		it->vlen = (uint16_t)vl;
	}
	if (fscanf(f, "end %zu", &end_count) != 1 || end_count != count)
		goto bad;
	rc = 0;
bad:
	if (rc != 0)
		fprintf(stderr, "parnikctl: %s is not a whole snapshot (record %zu)\n", file, s->n);
	fclose(f);
	return rc;
}

static int
restore(const char **paths, unsigned int npaths, const char *file, const char *keyfile)
{
	struct items s = { 0 }, there = { 0 };
	struct run r;
	uint64_t partitions;
	unsigned int asked;
	size_t failed;
	int rc;

	if (load_file(file, &s) != 0) {
		items_free(&s);
		return 1;
	}
	rc = connect_cluster(&r, paths, npaths, keyfile, &partitions);
	/* Into an empty cluster only: a live key there would be overwritten
	 * or left beside the snapshot's, neither of which restores it. (The
	 * tables may hold records of absent keys: reads leave them.)
	 */
	if (rc == 0)
		rc = collect_keys(paths, npaths, partitions, &there, &asked);
	if (rc == 0 && there.n > 0) {
		size_t live = 0;

		if (run_all(&r, &there, false) > 0) {
			fprintf(stderr, "parnikctl: cannot tell whether the cluster is empty\n");
			rc = 1;
		}
		for (size_t i = 0; i < there.n; i++)
			live += there.v[i].live;
		if (live > 0) {
			fprintf(stderr, "parnikctl: refused: the cluster holds %zu keys; restore "
				"goes into an empty cluster\n", live);
			rc = 1;
		}
	}
	items_free(&there);
	if (rc != 0) {
		items_free(&s);
		return rc;
	}
	printf("restore: %zu keys from %s through %s\n", s.n, file, r.servers);
	failed = run_all(&r, &s, true);
	items_free(&s);
	if (failed > 0) {
		fprintf(stderr, "parnikctl: restore incomplete: %zu keys not written (run it again "
			"into an empty cluster)\n", failed);
		return 1;
	}
	printf("restore: done\n");
	return 0;
}

int
ctl_snapshot_is_command(const char *cmd)
{
	return strcmp(cmd, "snapshot") == 0 || strcmp(cmd, "restore") == 0;
}

int
ctl_snapshot(const char **paths, unsigned int npaths, int argc, char **argv)
{
	const char *keyfile = getenv("PARNIK_KEY");

	if (argc == 4 && strcmp(argv[2], "--key") == 0)
		keyfile = argv[3];
	else if (argc != 2) {
		fprintf(stderr, "usage: parnikctl -s SOCKETS %s FILE [--key KEYFILE]\n", argv[0]);
		return 2;
	}
	if (strcmp(argv[0], "snapshot") == 0)
		return snapshot(paths, npaths, argv[1], keyfile);
	return restore(paths, npaths, argv[1], keyfile);
}
