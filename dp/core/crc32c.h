/* CRC-32C with and without the CPU's instruction (crc32c.c); pk_hash in
 * parnik/wire.h is the public face. Exposed so tests can hold the two
 * paths to the same values.
 */
#ifndef PK_CRC32C_H
#define PK_CRC32C_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Continue CRC state <c> over <len> bytes (no pre- or post-inversion). */
uint32_t pk_crc32c_portable(uint32_t c, const void *data, size_t len);
/* The same, with the instruction when pk_crc32c_hw(). */
uint32_t pk_crc32c_instruction(uint32_t c, const void *data, size_t len);
/* Whether this CPU has the instruction. */
bool pk_crc32c_hw(void);

#endif
