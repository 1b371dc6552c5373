/* GET, PUT, CAS, ADD and DEL as change functions over a register state. */
#include <string.h>

#include "ops.h"

bool
pk_int_parse(const uint8_t *p, uint16_t len, int64_t *out)
{
	bool neg = false;
	uint64_t v = 0;
	uint16_t i = 0;

	if (len > 0 && p[0] == '-') {
		neg = true;
		i = 1;
	}
	if (i == len || len > 20)
		return false;
	if (p[i] == '0' && len - i > 1)
		return false;
	for (; i < len; i++) {
		if (p[i] < '0' || p[i] > '9')
			return false;
		if (v > (UINT64_MAX - 9) / 10)
			return false;
		v = v * 10 + (uint64_t)(p[i] - '0');
	}
	if (neg) {
		if (v > (uint64_t)INT64_MAX + 1)
			return false;
		if (v == 0)
			return false;	/* "-0" is not canonical */
		*out = v == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)v;
	} else {
		if (v > INT64_MAX)
			return false;
		*out = (int64_t)v;
	}
	return true;
}

uint16_t
pk_int_format(int64_t v, uint8_t *buf)
{
	uint8_t tmp[20];
	uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
	uint16_t n = 0, len = 0;

	do {
		tmp[n++] = (uint8_t)('0' + u % 10);
		u /= 10;
	} while (u != 0);
	if (v < 0)
		buf[len++] = '-';
	while (n > 0)
		buf[len++] = tmp[--n];
	return len;
}

static bool
write_state(struct pk_mem *m, struct pk_op *op, struct pk_blob **state, uint8_t kind,
	    const uint8_t *data, uint16_t len)
{
	uint64_t version = (*state != NULL ? (*state)->version : 0) + 1;
	struct pk_blob *b;

	/* Peers refuse versions at the bound (dp/core/bounds.c): a state
	 * there could never be accepted, nor written over. Not run.
	 */
	if (version >= PK_VERSION_MAX) {
		op->status = PK_OVERFLOW;
		op->result = pk_blob_ref(*state);
		op->wrote = false;
		return true;
	}
	b = pk_blob_new(m, kind, version, data, len);
	if (b == NULL) {
		op->status = PK_NO_MEMORY;
		op->result = NULL;
		op->wrote = false;
		return false;
	}
	pk_blob_unref(m, *state);
	*state = b;
	op->status = PK_OK;
	op->result = pk_blob_ref(b);
	op->wrote = true;
	return true;
}

static void
report(struct pk_op *op, struct pk_blob *state, uint8_t status)
{
	op->status = status;
	op->result = pk_blob_ref(state);
	op->wrote = false;
}

bool
pk_op_apply(struct pk_mem *m, struct pk_op *op, struct pk_blob **state)
{
	struct pk_blob *s = *state;
	bool exists = s != NULL && s->kind == PK_KIND_VALUE;
	int64_t cur = 0, sum;
	uint8_t digits[20];

	op->result = NULL;
	switch (op->op) {
	case PK_OP_GET:
		report(op, s, exists ? PK_OK : PK_NOT_FOUND);
		return true;
	case PK_OP_PUT:
		return write_state(m, op, state, PK_KIND_VALUE, op->input->data, op->input->len);
	case PK_OP_CAS:
		if (pk_visible_version(s) != op->arg) {
			report(op, s, PK_CAS_MISMATCH);
			return true;
		}
		return write_state(m, op, state, PK_KIND_VALUE, op->input->data, op->input->len);
	case PK_OP_ADD:
		if (exists && !pk_int_parse(s->data, s->len, &cur)) {
			report(op, s, PK_NOT_INTEGER);
			return true;
		}
		if (__builtin_add_overflow(cur, (int64_t)op->arg, &sum)) {
			report(op, s, PK_OVERFLOW);
			return true;
		}
		return write_state(m, op, state, PK_KIND_VALUE, digits, pk_int_format(sum, digits));
	case PK_OP_GC:
		report(op, s, exists ? PK_CAS_MISMATCH : PK_OK);
		return true;
	case PK_OP_DEL:
		if (!exists) {
			report(op, s, PK_NOT_FOUND);
			return true;
		}
		return write_state(m, op, state, PK_KIND_TOMBSTONE, NULL, 0);
	}
	report(op, s, PK_BAD_REQUEST);
	return true;
}
