/* parnik-bench's workload: op mix, key distributions, value format (see
 * workload.h).
 */
#include "workload.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const op_names[] = { NULL, "get", "put", "cas", "add", "del" };

void
workload_default(struct workload *w)
{
	memset(w, 0, sizeof(*w));
	workload_parse_mix(w, "get=40,put=20,cas=20,add=20");
	w->keys = 1000;
	w->dist = WL_UNIFORM;
	w->theta = 0.99;
}

static void
sum_mix(struct workload *w)
{
	w->mix_total = 0;
	for (unsigned int op = 1; op <= PK_OP_MAX; op++)
		w->mix_total += w->mix[op];
}

bool
workload_parse_mix(struct workload *w, const char *spec)
{
	unsigned int mix[PK_OP_MAX + 1] = { 0 };
	char buf[256];
	char *save = NULL;

	if (strlen(spec) >= sizeof(buf))
		return false;
	strcpy(buf, spec);
	for (char *tok = strtok_r(buf, ",", &save); tok != NULL; tok = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(tok, '='), *end;
		unsigned long weight;
		unsigned int op;

		if (eq == NULL)
			return false;
		*eq = 0;
		for (op = 1; op <= PK_OP_MAX && strcmp(tok, op_names[op]) != 0; op++)
			;
		weight = strtoul(eq + 1, &end, 10);
		if (op > PK_OP_MAX || *end != 0 || end == eq + 1 || weight > 1000000)
			return false;
		mix[op] = (unsigned int)weight;
	}
	memcpy(w->mix, mix, sizeof(mix));
	sum_mix(w);
	return w->mix_total > 0;
}

bool
workload_set_reads(struct workload *w, unsigned int pct)
{
	unsigned int writes = w->mix_total - w->mix[PK_OP_GET];

	if (pct > 100)
		return false;
	if (writes == 0) {
		w->mix[PK_OP_PUT] = 1;
		writes = 1;
	}
	/* Scale the writes to (100 - pct) parts of 100 * writes. */
	for (unsigned int op = 1; op <= PK_OP_MAX; op++)
		if (op != PK_OP_GET)
			w->mix[op] *= 100 - pct;
	w->mix[PK_OP_GET] = pct * writes;
	sum_mix(w);
	return w->mix_total > 0;
}

bool
workload_parse_dist(struct workload *w, const char *spec)
{
	char *end;

	if (strcmp(spec, "uniform") == 0) {
		w->dist = WL_UNIFORM;
		return true;
	}
	if (strcmp(spec, "zipf") == 0) {
		w->dist = WL_ZIPF;
		return true;
	}
	if (strncmp(spec, "zipf:", 5) != 0)
		return false;
	w->theta = strtod(spec + 5, &end);
	w->dist = WL_ZIPF;
	return *end == 0 && w->theta > 0 && w->theta < 1;
}

bool
workload_parse_hot(struct workload *w, const char *spec)
{
	char *end;
	unsigned long n = strtoul(spec, &end, 10), pct;

	if (end == spec || *end != ':' || n == 0 || n > WL_MAX_KEYS)
		return false;
	pct = strtoul(end + 1, &end, 10);
	if (*end != 0 || pct > 100)
		return false;
	w->hot_keys = (uint32_t)n;
	w->hot_pct = (unsigned int)pct;
	return true;
}

const char *
workload_prepare(struct workload *w)
{
	if (w->keys == 0 || w->keys > WL_MAX_KEYS)
		return "--keys must be 1..10000000";
	if (w->hot_keys > w->keys)
		return "--hot N:PCT: N is over --keys";
	if (w->value_size > PK_MAX_VALUE)
		return "--value-size is over the largest value (1024 bytes)";
	if (w->mix_total == 0)
		return "--mix has no operation";
	if (w->dist == WL_ZIPF) {
		double n = w->keys, zeta2 = 1.0 + pow(0.5, w->theta);

		w->zetan = 0;
		for (uint32_t i = 1; i <= w->keys; i++)
			w->zetan += pow((double)i, -w->theta);
		w->alpha = 1.0 / (1.0 - w->theta);
		w->eta = (1.0 - pow(2.0 / n, 1.0 - w->theta)) / (1.0 - zeta2 / w->zetan);
		w->half_pow_theta = pow(0.5, w->theta);
	}
	return NULL;
}

uint64_t
workload_rand(uint64_t *rng)
{
	*rng ^= *rng << 13;
	*rng ^= *rng >> 7;
	*rng ^= *rng << 17;
	return *rng;
}

/* Uniform in [0, 1) from the top 53 bits. */
static double
unit(uint64_t *rng)
{
	return (double)(workload_rand(rng) >> 11) * 0x1.0p-53;
}

uint8_t
workload_pick_op(const struct workload *w, uint64_t *rng)
{
	unsigned int r = (unsigned int)(workload_rand(rng) % w->mix_total);

	for (unsigned int op = 1; op <= PK_OP_MAX; op++) {
		if (r < w->mix[op])
			return (uint8_t)op;
		r -= w->mix[op];
	}
	return PK_OP_GET;
}

static uint32_t
zipf_rank(const struct workload *w, uint64_t *rng)
{
	double u = unit(rng), uz = u * w->zetan;
	uint64_t rank;

	if (uz < 1.0)
		return 0;
	if (uz < 1.0 + w->half_pow_theta)
		return 1;
	rank = (uint64_t)((double)w->keys * pow(w->eta * u - w->eta + 1.0, w->alpha));
	return rank < w->keys ? (uint32_t)rank : w->keys - 1;
}

uint32_t
workload_pick_key(const struct workload *w, uint64_t *rng)
{
	if (w->hot_keys > 0 && workload_rand(rng) % 100 < w->hot_pct)
		return (uint32_t)(workload_rand(rng) % w->hot_keys);
	if (w->dist == WL_ZIPF)
		return zipf_rank(w, rng);
	return (uint32_t)(workload_rand(rng) % w->keys);
}

size_t
workload_format_value(const struct workload *w, int64_t v, char *buf)
{
	char digits[24];
	int n = snprintf(digits, sizeof(digits), "%" PRId64, v);
	size_t pad = w->value_size > (uint32_t)n ? w->value_size - (uint32_t)n : 0;

	/* Only non-negative values are padded: a zero after '-' is not. */
	if (v < 0)
		pad = 0;
	memset(buf, '0', pad);
	memcpy(buf + pad, digits, (size_t)n);
	return pad + (size_t)n;
}

bool
workload_parse_value(const uint8_t *p, size_t len, int64_t *out)
{
	char buf[24];
	char *end;

	while (len > 1 && p[0] == '0') {	/* the padding */
		p++;
		len--;
	}
	if (len == 0 || len >= sizeof(buf))
		return false;
	memcpy(buf, p, len);
	buf[len] = 0;
	*out = strtoll(buf, &end, 10);
	return *end == 0;
}
