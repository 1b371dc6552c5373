/* Printable names for status codes and operations. */
#include <stddef.h>

#include "parnik/err.h"
#include "parnik/types.h"

const char *
pk_strstatus(int code)
{
	switch (code) {
#define PK_STATUS_MSG(name, value, msg) \
	case value:                     \
		return msg;
		PK_STATUS_LIST(PK_STATUS_MSG)
#undef PK_STATUS_MSG
	}
	return "unknown status";
}

const char *
pk_status_name(int code)
{
	switch (code) {
#define PK_STATUS_NAME(name, value, msg) \
	case value:                      \
		return #name;
		PK_STATUS_LIST(PK_STATUS_NAME)
#undef PK_STATUS_NAME
	}
	return "?";
}

const char *
pk_op_name(unsigned int op)
{
	static const char *const names[] = { NULL, "GET", "PUT", "CAS", "ADD", "DEL" };

	return op >= 1 && op <= PK_OP_MAX ? names[op] : "?";
}
