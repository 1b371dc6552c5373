/* The simulator's client workloads:
 *  INC  gryadka's IncClient: read a random key (absent reads as version 0,
 *       value 0), then CAS it to value + 3 at the version read; any failure
 *       starts over with a fresh read. Counts successful writes.
 *  MIX  a random mix of GET, PUT, CAS (at the last version this client saw),
 *       ADD and DEL over the keys, with unique written values.
 *  SCAN one GET per key through the given replicas (a rescan): every key
 *       must be read successfully, retrying as needed.
 *  FILL one PUT per key, retrying until each is acknowledged.
 *  DROP one DEL per key, retrying until each is acknowledged.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "workload.h"

#define THINK_MAX 20		/* us between a client's ops */

static uint64_t
client_rand(struct sim_client *c)
{
	c->rng ^= c->rng << 13;
	c->rng ^= c->rng >> 7;
	c->rng ^= c->rng << 17;
	return c->rng;
}

static bool
parse_i64(const uint8_t *data, uint16_t len, int64_t *out)
{
	char buf[24];
	char *end;

	if (len == 0 || len >= sizeof(buf))
		return false;
	memcpy(buf, data, len);
	buf[len] = 0;
	*out = strtoll(buf, &end, 10);
	return *end == 0;
}

/* Clients give up after a bounded number of tries, so every run ends. */
static bool
exhausted(const struct sim_client *c)
{
	return c->attempts > 40u * (c->target + 5);
}

/* A SCAN's next key: the done-th of its key set (all keys without one). */
static uint8_t
scan_key(const struct sim_client *c)
{
	uint32_t left = c->done;

	if (c->key_set == 0)
		return (uint8_t)c->done;
	for (uint8_t k = 0; k < SIM_MAX_KEYS; k++)
		if ((c->key_set & (1u << k)) != 0 && left-- == 0)
			return k;
	return 0;	/* past the set: the client's target stops it first */
}

void
workload_next(struct sim *s, struct sim_client *c)
{
	char val[32];
	unsigned int nkeys = c->hot_keys != 0 ? c->hot_keys : s->p.keys;
	uint8_t key;
	uint64_t r;

	if (!c->active || c->busy)
		return;
	if (c->done >= c->target || exhausted(c)) {
		c->active = false;
		return;
	}
	switch (c->workload) {
	case SIM_WL_INC:
		if (!c->inc_write) {
			sim_client_send(s, c, PK_OP_GET, (uint8_t)(client_rand(c) % nkeys), 0,
					NULL);
			return;
		}
		snprintf(val, sizeof(val), "%lld", (long long)(c->inc_value + 3));
		sim_client_send(s, c, PK_OP_CAS, c->key, c->inc_version, val);
		return;
	case SIM_WL_SCAN:
		sim_client_send(s, c, PK_OP_GET, scan_key(c), 0, NULL);
		return;
	case SIM_WL_FILL:
		snprintf(val, sizeof(val), "%u", 1000 + c->done);	/* INC can add to it */
		sim_client_send(s, c, PK_OP_PUT, (uint8_t)c->done, 0, val);
		return;
	case SIM_WL_DROP:
		sim_client_send(s, c, PK_OP_DEL, (uint8_t)c->done, 0, NULL);
		return;
	default:
		break;
	}
	key = (uint8_t)(client_rand(c) % nkeys);
	r = client_rand(c) % 100;
	snprintf(val, sizeof(val), "%u%06u", c->id + 1, c->attempts);
	if (r < 30)
		sim_client_send(s, c, PK_OP_GET, key, 0, NULL);
	else if (r < 50)
		sim_client_send(s, c, PK_OP_PUT, key, 0, val);
	else if (r < 70)
		sim_client_send(s, c, PK_OP_CAS, key, c->last_version[key], val);
	else if (r < 90)
		sim_client_send(s, c, PK_OP_ADD, key, (uint64_t)(int64_t)(client_rand(c) % 9) - 4,
				NULL);
	else
		sim_client_send(s, c, PK_OP_DEL, key, 0, NULL);
}

void
workload_on_result(struct sim *s, struct sim_client *c, uint8_t status, uint64_t version,
		   const uint8_t *data, uint16_t len)
{
	bool definite = status <= PK_OVERFLOW;

	switch (c->workload) {
	case SIM_WL_INC:
		if (c->op == PK_OP_GET && (status == PK_OK || status == PK_NOT_FOUND)) {
			c->inc_version = version;
			c->inc_value = 0;
			c->inc_write = status == PK_NOT_FOUND || parse_i64(data, len, &c->inc_value);
		} else if (c->op == PK_OP_CAS) {
			c->done += status == PK_OK;
			c->inc_write = false;
		}
		break;
	case SIM_WL_SCAN:
		c->done += status == PK_OK || status == PK_NOT_FOUND;
		break;
	case SIM_WL_FILL:
		c->done += status == PK_OK;
		break;
	case SIM_WL_DROP:	/* NOT_FOUND: an earlier try of unknown outcome did it */
		c->done += status == PK_OK || status == PK_NOT_FOUND;
		break;
	default:
		if (definite && c->op != PK_OP_DEL)
			c->last_version[c->key] = version;
		c->done++;
		break;
	}
	sim_client_wake_later(s, c, 1 + client_rand(c) % THINK_MAX);
}
