#include "net/spread.h"

#include <string.h>

#include "core/counters.h"
#include "net/decode.h"

/* MurmurHash3's finaliser: every input bit reaches every output bit. */
static uint32_t
mix(uint32_t h)
{
	h ^= h >> 16;
	h *= 0x85ebca6bu;
	h ^= h >> 13;
	h *= 0xc2b2ae35u;
	h ^= h >> 16;
	return h;
}

static uint32_t
addr_hash(const uint8_t a[16])
{
	uint32_t w[4];

	memcpy(w, a, sizeof(w));
	return mix(w[0] ^ mix(w[1] ^ mix(w[2] ^ mix(w[3]))));
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
		return mix(addr_hash(d.src) + addr_hash(d.dst));
	case DECODE_DROP:
		break;
	}
	return 0;
}
