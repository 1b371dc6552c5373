/* Operation semantics: versions, CAS, ADD on decimal integers, DEL as a
 * tombstone whose version keeps counting.
 */
#include <string.h>

#include "check.h"
#include "heap.h"
#include "ops.h"

static struct pk_heap heap;
static struct pk_mem mem;

static struct pk_op
mkop(uint8_t code, const char *val, uint64_t arg)
{
	struct pk_op op;

	memset(&op, 0, sizeof(op));
	op.op = code;
	op.arg = arg;
	if (val != NULL)
		op.input = pk_blob_new(&mem, PK_KIND_VALUE, 0, (const uint8_t *)val,
				       (uint16_t)strlen(val));
	return op;
}

static uint8_t
run(struct pk_blob **state, uint8_t code, const char *val, uint64_t arg)
{
	struct pk_op op = mkop(code, val, arg);
	uint8_t status;

	pk_op_apply(&mem, &op, state);
	status = op.status;
	pk_blob_unref(&mem, op.input);
	pk_blob_unref(&mem, op.result);
	return status;
}

static bool
holds(const struct pk_blob *s, const char *val, uint64_t version)
{
	return s != NULL && s->kind == PK_KIND_VALUE && s->version == version &&
	       s->len == strlen(val) && memcmp(s->data, val, s->len) == 0;
}

static void
test_versions_and_cas(void)
{
	struct pk_blob *s = NULL;

	mem.env = pk_heap_env(&heap);
	CHECK_EQ(run(&s, PK_OP_GET, NULL, 0), PK_NOT_FOUND);
	CHECK_EQ(run(&s, PK_OP_CAS, "a", 1), PK_CAS_MISMATCH);
	CHECK(s == NULL);
	CHECK_EQ(run(&s, PK_OP_CAS, "a", 0), PK_OK);	/* 0: create if absent */
	CHECK(holds(s, "a", 1));
	CHECK_EQ(run(&s, PK_OP_PUT, "b", 0), PK_OK);
	CHECK(holds(s, "b", 2));
	CHECK_EQ(run(&s, PK_OP_CAS, "c", 1), PK_CAS_MISMATCH);
	CHECK_EQ(run(&s, PK_OP_CAS, "c", 2), PK_OK);
	CHECK(holds(s, "c", 3));
	CHECK_EQ(run(&s, PK_OP_DEL, NULL, 0), PK_OK);
	CHECK(s->kind == PK_KIND_TOMBSTONE && s->version == 4);
	CHECK_EQ(run(&s, PK_OP_DEL, NULL, 0), PK_NOT_FOUND);
	CHECK_EQ(run(&s, PK_OP_GET, NULL, 0), PK_NOT_FOUND);
	CHECK_EQ(run(&s, PK_OP_CAS, "d", 0), PK_OK);	/* deleted reads as version 0 */
	CHECK(holds(s, "d", 5));			/* but versions never repeat */
	pk_blob_unref(&mem, s);
	pk_mem_collect(&mem);
	CHECK_EQ(heap.live, 0);
}

/* A key whose version reached the bound peers refuse (2^62, in practice
 * only a forged state) cannot be written over: OVERFLOW, nothing written,
 * instead of a state no acceptor would take.
 */
static void
test_version_bound(void)
{
	struct pk_blob *s;

	mem.env = pk_heap_env(&heap);
	s = pk_blob_new(&mem, PK_KIND_VALUE, PK_VERSION_MAX - 2, (const uint8_t *)"7", 1);
	CHECK_EQ(run(&s, PK_OP_PUT, "a", 0), PK_OK);
	CHECK(holds(s, "a", PK_VERSION_MAX - 1));
	CHECK_EQ(run(&s, PK_OP_PUT, "b", 0), PK_OVERFLOW);
	CHECK_EQ(run(&s, PK_OP_DEL, NULL, 0), PK_OVERFLOW);
	CHECK(holds(s, "a", PK_VERSION_MAX - 1));
	CHECK_EQ(run(&s, PK_OP_GET, NULL, 0), PK_OK);
	pk_blob_unref(&mem, s);
	pk_mem_collect(&mem);
	CHECK_EQ(heap.live, 0);
}

static void
test_add(void)
{
	struct pk_blob *s = NULL;

	mem.env = pk_heap_env(&heap);
	CHECK_EQ(run(&s, PK_OP_ADD, NULL, 5), PK_OK);
	CHECK(holds(s, "5", 1));
	CHECK_EQ(run(&s, PK_OP_ADD, NULL, (uint64_t)-7), PK_OK);
	CHECK(holds(s, "-2", 2));
	CHECK_EQ(run(&s, PK_OP_PUT, "9223372036854775807", 0), PK_OK);
	CHECK_EQ(run(&s, PK_OP_ADD, NULL, 1), PK_OVERFLOW);
	CHECK_EQ(s->version, 3);
	CHECK_EQ(run(&s, PK_OP_PUT, "12abc", 0), PK_OK);
	CHECK_EQ(run(&s, PK_OP_ADD, NULL, 1), PK_NOT_INTEGER);
	CHECK(holds(s, "12abc", 4));
	pk_blob_unref(&mem, s);
	pk_mem_collect(&mem);
	CHECK_EQ(heap.live, 0);
}

static void
test_int_parse_format(void)
{
	static const char *const bad[] = { "", "-", "+1", " 1", "01", "-0", "1.0",
					   "9223372036854775808", "-9223372036854775809",
					   "99999999999999999999" };
	int64_t v;
	uint8_t buf[20];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK(!pk_int_parse((const uint8_t *)bad[i], (uint16_t)strlen(bad[i]), &v));
	CHECK(pk_int_parse((const uint8_t *)"-9223372036854775808", 20, &v) && v == INT64_MIN);
	CHECK(pk_int_parse((const uint8_t *)"0", 1, &v) && v == 0);
	CHECK_EQ(pk_int_format(INT64_MIN, buf), 20);
	CHECK(memcmp(buf, "-9223372036854775808", 20) == 0);
	CHECK_EQ(pk_int_format(0, buf), 1);
	CHECK(buf[0] == '0');
}

int
main(int argc, char **argv)
{
	static const struct check_case cases[] = {
		{ "versions_and_cas", test_versions_and_cas },
		{ "version_bound", test_version_bound },
		{ "add", test_add },
		{ "int_parse_format", test_int_parse_format },
	};

	return check_run(argc, argv, cases, (int)(sizeof(cases) / sizeof(cases[0])));
}
