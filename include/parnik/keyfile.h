/* Key files: a 32-byte secret written as 64 hexadecimal digits (one line),
 * readable by its owner only. parnikd reads the cluster's peer key and the
 * optional client key from such files; clients read the client key.
 * `parnikctl keygen FILE` makes one.
 */
#ifndef PARNIK_KEYFILE_H
#define PARNIK_KEYFILE_H

#include <stddef.h>
#include <stdint.h>

#include "parnik/auth.h"

/* Reads the secret in <path>. Refuses, with a one-line reason in <err>, a
 * file that is not a regular file, that is not owned by the caller's user,
 * that its group or others may read or write (mode & 077), or that does not
 * hold exactly 64 hex digits (a final newline allowed). Returns 0 or -1.
 */
int pk_keyfile_load(const char *path, uint8_t secret[PK_AUTH_SECRET_LEN], char *err,
		    size_t errlen);

/* Creates <path> (which must not exist) with mode 0600 holding a new random
 * secret from the kernel. Returns 0 or -1 with a reason in <err>.
 */
int pk_keyfile_create(const char *path, char *err, size_t errlen);

#endif
