/* Simulated clients: what each workload sends next and how it reacts to a
 * result. Every op a client sends is recorded in the history by the engine.
 */
#ifndef PK_SIM_WORKLOAD_H
#define PK_SIM_WORKLOAD_H

#include "sim.h"

/* Sends the client's next op, or marks it done. */
void workload_next(struct sim *s, struct sim_client *c);

/* A reply (or, with UNKNOWN_OUTCOME and no data, a client timeout). */
void workload_on_result(struct sim *s, struct sim_client *c, uint8_t status, uint64_t version,
			const uint8_t *data, uint16_t len);

#endif
