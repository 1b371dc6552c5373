/* Leaving the EAL without a trace: rte_eal_cleanup() releases DPDK's
 * memory but leaves the runtime directory (/var/run/dpdk/PREFIX, or under
 * $XDG_RUNTIME_DIR) behind, one per --file-prefix; a test host running
 * replicas and clients under fresh prefixes collects thousands of them.
 */
#ifndef DP_EAL_H
#define DP_EAL_H

/* rte_eal_cleanup(), then removes this process's runtime directory. */
void dp_eal_cleanup(void);

#endif
