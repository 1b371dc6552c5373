/* The `fault` command's grammar (see fault_spec.h). */
#include <stdio.h>
#include <string.h>

#include "fault_spec.h"
#include "parnik/types.h"

#define MAX_DELAY_US 10000000u

/* A decimal "I[.F]" with at most <decimals> digits after the point, scaled
 * by 10^decimals; false past <max> (scaled) or on anything else.
 */
static bool
parse_fixed(const char *s, unsigned int decimals, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;
	unsigned int frac = 0;
	bool point = false, digits = false;

	for (; *s != 0; s++) {
		if (*s == '.' && !point) {
			point = true;
			continue;
		}
		if (*s < '0' || *s > '9')
			return false;
		if (point && ++frac > decimals)
			return false;
		v = v * 10 + (uint64_t)(*s - '0');
		digits = true;
		if (v > max)	/* also keeps v far from overflowing */
			return false;
	}
	if (!digits)
		return false;
	for (; frac < decimals; frac++)
		v *= 10;
	if (v > max)
		return false;
	*out = v;
	return true;
}

static int
fail(char *err, size_t errlen, const char *what, const char *arg)
{
	snprintf(err, errlen, "fault: %s '%.40s'", what, arg);
	return -1;
}

/* to=peers|clients|ID[,...] */
static bool
parse_to(const char *s, struct ctl_fault *f)
{
	char copy[64], *save = NULL;

	if (strlen(s) >= sizeof(copy))
		return false;
	strcpy(copy, s);
	f->peers = 0;
	f->clients = false;
	for (char *t = strtok_r(copy, ",", &save); t != NULL; t = strtok_r(NULL, ",", &save)) {
		uint64_t id;

		if (strcmp(t, "peers") == 0)
			f->peers = (uint16_t)((1u << PK_MAX_NODES) - 1);
		else if (strcmp(t, "clients") == 0)
			f->clients = true;
		else if (parse_fixed(t, 0, PK_MAX_NODES - 1, &id))
			f->peers |= (uint16_t)(1u << id);
		else
			return false;
	}
	return f->peers != 0 || f->clients;
}

int
ctl_fault_parse(int argc, char **argv, struct ctl_fault *f, char *err, size_t errlen)
{
	*f = (struct ctl_fault){ .dir = CTL_FAULT_BOTH, .clients = true,
				 .peers = (uint16_t)((1u << PK_MAX_NODES) - 1) };
	if (argc == 2 && strcmp(argv[1], "clear") == 0) {
		*f = (struct ctl_fault){ 0 };
		return 0;
	}
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = strchr(a, '=');
		uint64_t x;

		if (v == NULL)
			return fail(err, errlen, "expected KEY=VALUE, not", a);
		v++;
		if (strncmp(a, "dir=", 4) == 0) {
			if (strcmp(v, "in") == 0)
				f->dir = CTL_FAULT_IN;
			else if (strcmp(v, "out") == 0)
				f->dir = CTL_FAULT_OUT;
			else if (strcmp(v, "both") == 0)
				f->dir = CTL_FAULT_BOTH;
			else
				return fail(err, errlen, "dir is in, out or both, not", v);
		} else if (strncmp(a, "to=", 3) == 0) {
			if (!parse_to(v, f))
				return fail(err, errlen, "to is peers, clients or member ids, not", v);
		} else if (strncmp(a, "loss=", 5) == 0 || strncmp(a, "dup=", 4) == 0) {
			if (!parse_fixed(v, 4, 1000000, &x))
				return fail(err, errlen, "a percentage is 0..100, not", v);
			if (a[0] == 'l')
				f->loss_ppm = (uint32_t)x;
			else
				f->dup_ppm = (uint32_t)x;
		} else if (strncmp(a, "delay=", 6) == 0 || strncmp(a, "jitter=", 7) == 0) {
			if (!parse_fixed(v, 3, MAX_DELAY_US, &x))
				return fail(err, errlen, "a time is 0..10000 ms, not", v);
			if (a[0] == 'd')
				f->delay_us = (uint32_t)x;
			else
				f->jitter_us = (uint32_t)x;
		} else {
			return fail(err, errlen, "unknown setting", a);
		}
	}
	if (f->loss_ppm == 0 && f->dup_ppm == 0 && f->delay_us == 0 && f->jitter_us == 0) {
		snprintf(err, errlen, "fault: no effect asked (loss=, dup=, delay=, jitter=; "
			 "'fault clear' removes the rule)");
		return -1;
	}
	if ((uint64_t)f->delay_us + f->jitter_us > MAX_DELAY_US) {
		snprintf(err, errlen, "fault: delay + jitter is more than 10000 ms");
		return -1;
	}
	return 0;
}

static int
fixed(char *buf, size_t size, uint32_t v, uint32_t scale)
{
	return snprintf(buf, size, "%u.%0*u", v / scale, scale == 10000 ? 4 : 3, v % scale);
}

int
ctl_fault_format(const struct ctl_fault *f, char *buf, size_t size)
{
	static const char *const dirs[] = { "", "in", "out", "both" };
	char to[80] = "", loss[16], dup[16], delay[16], jitter[16];
	size_t n = 0;

	if (f->dir == 0 || f->dir > CTL_FAULT_BOTH)
		return snprintf(buf, size, "none");
	if (f->peers == (uint16_t)((1u << PK_MAX_NODES) - 1))
		n += (size_t)snprintf(to + n, sizeof(to) - n, "peers,");
	else
		for (unsigned int id = 0; id < PK_MAX_NODES; id++)
			if ((f->peers & (1u << id)) != 0)
				n += (size_t)snprintf(to + n, sizeof(to) - n, "%u,", id);
	if (f->clients)
		n += (size_t)snprintf(to + n, sizeof(to) - n, "clients,");
	if (n > 0)
		to[n - 1] = 0;
	fixed(loss, sizeof(loss), f->loss_ppm, 10000);
	fixed(dup, sizeof(dup), f->dup_ppm, 10000);
	fixed(delay, sizeof(delay), f->delay_us, 1000);
	fixed(jitter, sizeof(jitter), f->jitter_us, 1000);
	return snprintf(buf, size, "dir=%s to=%s loss=%s dup=%s delay=%s jitter=%s", dirs[f->dir],
			to, loss, dup, delay, jitter);
}
