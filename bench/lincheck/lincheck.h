/* Linearizability checker for Parnik histories (Wing & Gong search with
 * Lowe's memoisation, per key). Records invoke / complete events of client
 * operations and checks every key's history against a versioned-register
 * model written independently of the core's ops.c.
 *
 * An operation that completed with UNKNOWN_OUTCOME, or whose client gave up
 * waiting, may or may not have taken effect at any point after its
 * invocation. Operations refused before any write (TIMEOUT, BUSY, TOO_LARGE,
 * TABLE_FULL, ...) are checked as never applied: an effect that only they
 * could explain is a violation.
 */
#ifndef PK_TEST_LINCHECK_H
#define PK_TEST_LINCHECK_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

struct lin_history;

struct lin_history *lin_new(void);
void lin_free(struct lin_history *h);

/* Records an invocation at time <t>; returns the op id. <val> is the value
 * of PUT / CAS (ignored otherwise); <arg> the CAS version or ADD delta.
 */
uint32_t lin_invoke(struct lin_history *h, uint32_t client, const void *key, uint16_t key_len,
		    uint8_t op, uint64_t arg, const void *val, uint16_t val_len, uint64_t t);

/* Whether an answer with <status> leaves the op's outcome unknown (it may
 * or may not have happened): UNKNOWN_OUTCOME, SESSION_EXPIRED. An op never
 * answered is unknown too.
 */
bool lin_status_unknown(int status);

/* Records a reply at time <t>: status, the version and value it carried. */
void lin_complete(struct lin_history *h, uint32_t id, uint64_t t, uint8_t status,
		  uint64_t version, const void *val, uint16_t val_len);

/* The client stopped waiting: the op may or may not have happened. */
void lin_give_up(struct lin_history *h, uint32_t id);

struct lin_result {
	bool ok;
	uint32_t keys;
	uint32_t ops;
	uint32_t unknown;	/* ops that may or may not have happened */
	uint32_t bad_keys;	/* keys whose history is not linearizable */
	uint32_t undecided_keys;	/* keys whose search ran out of budget */
	uint64_t states;	/* search states explored */
};

/* Checks every key. For a key that fails, writes to <report> (if not NULL)
 * the smallest failing prefix found and the operations at its end.
 */
struct lin_result lin_check(struct lin_history *h, FILE *report);

/* The replica collected tombstones (deletion GC) during the run: a write
 * creating a key may return any version above the key's last one, not
 * just the next (versions continue from the acceptors' floor). Exact
 * otherwise.
 */
void lin_allow_version_jumps(struct lin_history *h);

/* Reads a history in the text format written by lin_dump (one op a line). */
struct lin_history *lin_load(FILE *in);
void lin_dump(const struct lin_history *h, FILE *out);

#endif
