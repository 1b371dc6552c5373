/* Member liveness for the log (see liveness.h). */
#include "liveness.h"

void
dp_liveness_init(struct dp_liveness *lv, uint32_t silent_ms, uint64_t now_us)
{
	*lv = (struct dp_liveness){ .silent_us = (uint64_t)silent_ms * 1000, .start_us = now_us };
}

unsigned int
dp_liveness_check(struct dp_liveness *lv, const uint64_t heard[PK_MAX_NODES], uint16_t watch,
		  uint64_t now_us, struct dp_liveness_change out[PK_MAX_NODES])
{
	unsigned int n = 0;

	for (uint16_t id = 0; id < PK_MAX_NODES; id++) {
		uint64_t last = heard[id] != 0 ? heard[id] : lv->start_us;

		if ((watch & (1u << id)) == 0) {
			lv->silent[id] = false;
			continue;
		}
		if (!lv->silent[id] && now_us > last && now_us - last >= lv->silent_us) {
			lv->silent[id] = true;
			lv->silent_since[id] = last;
			out[n++] = (struct dp_liveness_change){ .node = id, .event = DP_PEER_SILENT,
								.never_heard = heard[id] == 0,
								.ms = (now_us - last) / 1000 };
		} else if (lv->silent[id] && heard[id] > lv->silent_since[id] &&
			   now_us - heard[id] < lv->silent_us) {
			lv->silent[id] = false;
			out[n++] = (struct dp_liveness_change){
				.node = id, .event = DP_PEER_BACK,
				.ms = (heard[id] - lv->silent_since[id]) / 1000 };
		}
	}
	return n;
}

bool
dp_liveness_silent(const struct dp_liveness *lv, uint16_t node)
{
	return node < PK_MAX_NODES && lv->silent[node];
}
