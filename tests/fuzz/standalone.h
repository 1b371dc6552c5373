/* What a fuzz harness provides to the corpus runner (standalone.c). */
#ifndef TESTS_FUZZ_STANDALONE_H
#define TESTS_FUZZ_STANDALONE_H

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
/* After the last: prints the harness's own line about the <runs> inputs
 * (the runner then prints "N passed, N failed" and exits 0 when every
 * input was read and run).
 */
void fuzz_standalone_report(int runs);

#endif
