/* Small integer hashes shared by the stages. */
#ifndef FW_HASH_H
#define FW_HASH_H

#include <stdint.h>

/* MurmurHash3's 32-bit finaliser: every input bit reaches every output bit. */
static inline uint32_t
hash_fmix32(uint32_t h)
{
	h ^= h >> 16;
	h *= 0x85ebca6bu;
	h ^= h >> 13;
	h *= 0xc2b2ae35u;
	h ^= h >> 16;
	return h;
}

/* MurmurHash3's 64-bit finaliser. */
static inline uint64_t
hash_fmix64(uint64_t k)
{
	k ^= k >> 33;
	k *= 0xff51afd7ed558ccdull;
	k ^= k >> 33;
	k *= 0xc4ceb9fe1a85ec53ull;
	k ^= k >> 33;
	return k;
}

#endif
