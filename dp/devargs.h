/* Reading a DPDK device's arguments ("k=v,k=v", as given to --vdev): the
 * memif doorbell takes its socket, role and id from them, the af_packet
 * wake socket its interface.
 */
#ifndef DP_DEVARGS_H
#define DP_DEVARGS_H

#include <stdbool.h>
#include <stddef.h>

/* Copies the value of <key> in <args> into <out>; false if absent or too
 * long for <outlen>.
 */
bool dp_devarg(const char *args, const char *key, char *out, size_t outlen);

#endif
