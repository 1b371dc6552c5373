/* parnik-lincheck: checks a recorded history file (the text format of
 * lin_dump, one operation a line) for linearizability. Exit 0: linearizable;
 * 1: not (the failing windows are printed); 2: unreadable input.
 */
#include <stdio.h>
#include <string.h>

#include "lincheck.h"

int
main(int argc, char **argv)
{
	struct lin_history *h;
	struct lin_result r;
	FILE *f;

	if (argc != 2 || strcmp(argv[1], "--help") == 0) {
		fprintf(argc == 2 ? stdout : stderr,
			"usage: parnik-lincheck HISTORY\n"
			"  one op a line: client op key-hex arg value-hex invoke complete|- status "
			"version result-hex\n");
		return argc == 2 ? 0 : 2;
	}
	f = strcmp(argv[1], "-") == 0 ? stdin : fopen(argv[1], "r");
	if (f == NULL) {
		perror(argv[1]);
		return 2;
	}
	h = lin_load(f);
	if (f != stdin)
		fclose(f);
	if (h == NULL) {
		fprintf(stderr, "parnik-lincheck: %s: malformed history\n", argv[1]);
		return 2;
	}
	r = lin_check(h, stdout);
	printf("%u keys, %u ops (%u unknown), %llu search states: %s\n", r.keys, r.ops, r.unknown,
	       (unsigned long long)r.states,
	       r.ok ? "linearizable" : r.undecided_keys > 0 && r.bad_keys == 0
				       ? "UNDECIDED (search budget spent)"
				       : "NOT linearizable");
	lin_free(h);
	return r.ok ? 0 : 1;
}
