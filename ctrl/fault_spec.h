/* The `fault` control command's rule, as text and as data: which frames
 * (direction, remote ends) and what happens to them (loss, duplication,
 * delay with jitter). Parsed here, apart from the data plane, so the
 * grammar is tested and fuzzed on its own.
 *
 *   fault                         the rule in force
 *   fault clear                   none
 *   fault [dir=in|out|both] [to=peers|clients|ID,...] [loss=PCT] [dup=PCT]
 *         [delay=MS] [jitter=MS]
 *
 * Defaults: dir=both, to=peers,clients (every frame), nothing else; a rule
 * must ask for at least one effect. PCT is 0..100 with up to 4 decimals,
 * MS 0..10000 with up to 3 (microseconds).
 */
#ifndef CTL_FAULT_SPEC_H
#define CTL_FAULT_SPEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum ctl_fault_dir { CTL_FAULT_IN = 1, CTL_FAULT_OUT = 2, CTL_FAULT_BOTH = 3 };

struct ctl_fault {
	uint32_t loss_ppm;
	uint32_t dup_ppm;
	uint32_t delay_us;
	uint32_t jitter_us;
	uint16_t peers;		/* member ids (mask) */
	bool clients;		/* non-members */
	uint8_t dir;		/* enum ctl_fault_dir; 0: no rule (clear) */
};

/* Parses the arguments after "fault" (argc >= 1). Returns 0, or -1 with a
 * one-line reason in <err>.
 */
int ctl_fault_parse(int argc, char **argv, struct ctl_fault *f, char *err, size_t errlen);

/* Writes the rule in the grammar above ("none" when cleared); returns the
 * length, as snprintf.
 */
int ctl_fault_format(const struct ctl_fault *f, char *buf, size_t size);

#endif
