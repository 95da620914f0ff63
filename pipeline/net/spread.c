#include "net/spread.h"

#include <string.h>

#include "core/counters.h"
#include "core/hash.h"
#include "net/decode.h"

static uint32_t
addr_hash(const uint8_t a[16])
{
	uint32_t w[4];

	memcpy(w, a, sizeof(w));
	return hash_fmix32(w[0] ^ hash_fmix32(w[1] ^ hash_fmix32(w[2] ^ hash_fmix32(w[3]))));
}

uint32_t
spread_hash(const uint8_t *frame, size_t len)
{
	/* the worker decodes the frame again and counts there; these counts are dropped */
	static __thread struct counters scratch;
	struct decoded d;

	switch (decode_packet(NULL, &scratch, frame, len, &d)) {
	case DECODE_KEEP:
	case DECODE_FRAG:
		/* a sum is symmetric; mixing again spreads its carries */
		return hash_fmix32(addr_hash(d.src) + addr_hash(d.dst));
	case DECODE_DROP:
		break;
	}
	return 0;
}
