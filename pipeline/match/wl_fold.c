/*
 * Folding for watchlist matching: ASCII runs are copied a word at a time, every other code
 * point goes through the generated two-stage table (wl_fold_table.c, O(1) per code point).
 * Combining marks U+0300..U+036F look back at the letter before them: if the two compose
 * (NFC) into a letter with a different fold, the letter's output is rewritten, otherwise
 * the mark is dropped. That keeps NFD text and NFC text folding to the same bytes without
 * a normalisation pass or any buffering. Only a chain of marks that each compose is
 * followed (E + dot below + circumflex -> Ệ -> e); NFC's canonical reordering of several
 * marks on one letter is not reproduced, which only matters for Cyrillic and Greek
 * letters with stacked marks whose first mark does not compose.
 */
#include "match/wl_fold.h"

#include <stdlib.h>
#include <string.h>

#include "core/bug.h"

#define HIGH_BITS 0x8080808080808080ULL
#define MARK_LO   0x300u
#define MARK_HI   0x36Fu

/*
 * Decode the code point at <p> (<avail> > 0 bytes, p[0] >= 0x80) strictly (RFC 3629 §3-4:
 * no overlong forms, no surrogates, nothing above U+10FFFF). Returns its length and sets
 * <*cp>, or 0 when p[0] does not start a well-formed sequence.
 */
static inline size_t
decode(const uint8_t *p, size_t avail, uint32_t *cp)
{
	uint32_t c;
	const uint8_t b0 = p[0];

	if (b0 < 0xC2) {
		return 0;
	}
	if (b0 < 0xE0) {
		if (avail < 2 || (p[1] & 0xC0) != 0x80) {
			return 0;
		}
		*cp = ((uint32_t)(b0 & 0x1F) << 6) | (p[1] & 0x3F);
		return 2;
	}
	if (b0 < 0xF0) {
		if (avail < 3 || (p[1] & 0xC0) != 0x80 || (p[2] & 0xC0) != 0x80) {
			return 0;
		}
		c = ((uint32_t)(b0 & 0x0F) << 12) | ((uint32_t)(p[1] & 0x3F) << 6) | (p[2] & 0x3F);
		if (c < 0x800 || (c >= 0xD800 && c <= 0xDFFF)) {
			return 0;
		}
		*cp = c;
		return 3;
	}
	if (b0 < 0xF5) {
		if (avail < 4 || (p[1] & 0xC0) != 0x80 || (p[2] & 0xC0) != 0x80 ||
		    (p[3] & 0xC0) != 0x80) {
			return 0;
		}
		c = ((uint32_t)(b0 & 0x07) << 18) | ((uint32_t)(p[1] & 0x3F) << 12) |
		    ((uint32_t)(p[2] & 0x3F) << 6) | (p[3] & 0x3F);
		if (c < 0x10000 || c > 0x10FFFF) {
			return 0;
		}
		*cp = c;
		return 4;
	}
	return 0;
}

static inline unsigned
lookup(uint32_t cp)
{
	if (cp >= WL_FOLD_TABLE_LIMIT) {
		return 0;
	}
	return wl_fold_table_stage2[((size_t)wl_fold_table_stage1[cp >> WL_FOLD_TABLE_SHIFT]
	                             << WL_FOLD_TABLE_SHIFT) |
	                            (cp & ((1u << WL_FOLD_TABLE_SHIFT) - 1))];
}

/* Index into the pair tables of <base> + <mark>, or -1 (a rare path: only after a mark). */
static long
pair_find(uint32_t base, uint32_t mark)
{
	const uint32_t key = (base << 7) | (mark - MARK_LO);
	size_t lo = 0, hi = wl_fold_table_npairs;

	if (base > (UINT32_MAX >> 7)) {
		return -1;
	}
	while (lo < hi) {
		const size_t mid = lo + (hi - lo) / 2;

		if (wl_fold_table_pair_key[mid] == key) {
			return (long)mid;
		}
		if (wl_fold_table_pair_key[mid] < key) {
			lo = mid + 1;
		} else {
			hi = mid;
		}
	}
	return -1;
}

/* Every output byte of one code point maps to the code point's first input byte. */
static inline void
fill_map(uint32_t *map, size_t o, size_t n, size_t from)
{
	size_t k;

	for (k = 0; k < n; k++) {
		map[o + k] = (uint32_t)from;
	}
}

/* wl_fold() with <with_map> a constant, so the common map-less call carries no map test */
static inline __attribute__((always_inline)) size_t
fold(const uint8_t *in, size_t len, uint8_t *out, size_t cap, uint32_t *map, bool *cut,
     const bool with_map)
{
	size_t i = 0, o = 0;
	/* the last non-ASCII letter written: a following mark may compose with it */
	uint32_t last_cp = 0;
	size_t last_in = 0, last_out = 0, last_end = SIZE_MAX;

	if (cut != NULL) {
		*cut = false;
	}
	while (i < len) {
		uint32_t cp;
		size_t n, rn;
		const struct wl_fold_rep *rep;
		unsigned idx;

		while (i + 8 <= len && o + 8 <= cap) {
			uint64_t w;

			memcpy(&w, in + i, 8);
			if ((w & HIGH_BITS) != 0) {
				break;
			}
			memcpy(out + o, &w, 8);
			if (with_map) {
				for (size_t k = 0; k < 8; k++) {
					map[o + k] = (uint32_t)(i + k);
				}
			}
			i += 8;
			o += 8;
		}
		/* at most 7 bytes unless the word loop stopped near the end of in or out */
		while (i < len && in[i] < 0x80) {
			if (o == cap) {
				goto full;
			}
			if (with_map) {
				map[o] = (uint32_t)i;
			}
			out[o++] = in[i++];
		}
		if (i == len) {
			break;
		}

		/* runs of two-byte letters (Cyrillic, Greek, Latin-1...) without the general
		 * decoder; marks and anything unusual leave for the general path below */
		while (i + 2 <= len && cap - o >= WL_FOLD_MAX_OUT) {
			const uint8_t b0 = in[i], b1 = in[i + 1];

			if (b0 < 0xC2 || b0 >= 0xE0 || (b1 & 0xC0) != 0x80) {
				break;
			}
			cp = ((uint32_t)(b0 & 0x1F) << 6) | (b1 & 0x3F);
			if (cp - MARK_LO <= MARK_HI - MARK_LO) {
				break;
			}
			idx = lookup(cp);
			if (idx == 0) {
				out[o] = b0;
				out[o + 1] = b1;
				rn = 2;
			} else {
				memcpy(out + o, wl_fold_table_rep[idx].s, WL_FOLD_MAX_OUT);
				rn = wl_fold_table_rep[idx].len;
			}
			if (with_map) {
				fill_map(map, o, rn, i);
			}
			last_cp = cp;
			last_in = i;
			last_out = o;
			o += rn;
			i += 2;
			last_end = i;
		}
		if (i == len || in[i] < 0x80) {
			continue;
		}

		n = decode(in + i, len - i, &cp);
		if (unlikely(n == 0)) {
			if (o == cap) {
				goto full;
			}
			if (with_map) {
				map[o] = (uint32_t)i;
			}
			out[o++] = in[i++];
			last_end = SIZE_MAX;
			continue;
		}

		if (unlikely(cp - MARK_LO <= MARK_HI - MARK_LO)) {
			uint32_t base;
			size_t base_in, base_out;
			long k;

			if (i > 0 && in[i - 1] < 0x80) {
				/* ASCII is copied one to one, so its output is out[o-1] */
				base = in[i - 1];
				base_in = i - 1;
				base_out = o - 1;
			} else if (last_end == i) {
				base = last_cp;
				base_in = last_in;
				base_out = last_out;
			} else {
				i += n;
				continue;
			}
			k = pair_find(base, cp);
			if (k < 0) {
				/* a mark that does not compose is dropped: later marks then have
				 * nothing to compose with (NFC would block them too, mostly) */
				last_end = SIZE_MAX;
				i += n;
				continue;
			}
			rep = &wl_fold_table_rep[wl_fold_table_pair_rep[k]];
			if (base_out + rep->len > cap) {
				/* the base stays folded on its own; the mark is where we stop */
				goto full;
			}
			memcpy(out + base_out, rep->s, rep->len);
			if (with_map) {
				fill_map(map, base_out, rep->len, base_in);
			}
			o = base_out + rep->len;
			i += n;
			last_cp = wl_fold_table_pair_cp[k];
			last_in = base_in;
			last_out = base_out;
			last_end = i;
			continue;
		}

		idx = lookup(cp);
		if (idx == 0) {
			rn = n;
			if (rn > cap - o) {
				goto full;
			}
			out[o] = in[i];
			out[o + 1] = in[i + 1];
			if (n > 2) {
				memcpy(out + o + 2, in + i + 2, n - 2);
			}
		} else {
			rep = &wl_fold_table_rep[idx];
			rn = rep->len;
			if (rn > cap - o) {
				goto full;
			}
			if (cap - o >= WL_FOLD_MAX_OUT) {
				/* a fixed-size copy compiles to one store; the slack is overwritten */
				memcpy(out + o, rep->s, WL_FOLD_MAX_OUT);
			} else {
				memcpy(out + o, rep->s, rn);
			}
		}
		if (with_map) {
			fill_map(map, o, rn, i);
		}
		last_cp = cp;
		last_in = i;
		last_out = o;
		o += rn;
		i += n;
		last_end = i;
	}
	return o;

full:
	if (cut != NULL) {
		*cut = true;
	}
	return o;
}

size_t
wl_fold(const uint8_t *in, size_t len, uint8_t *out, size_t cap, uint32_t *map, bool *cut)
{
	if (map != NULL) {
		return fold(in, len, out, cap, map, cut, true);
	}
	return fold(in, len, out, cap, NULL, cut, false);
}

bool
wl_fold_is_ascii(const uint8_t *p, size_t len)
{
	size_t i = 0;
	uint64_t acc = 0;

	for (; i + 32 <= len; i += 32) {
		uint64_t w[4];

		memcpy(w, p + i, sizeof(w));
		if (((w[0] | w[1] | w[2] | w[3]) & HIGH_BITS) != 0) {
			return false;
		}
	}
	for (; i + 8 <= len; i += 8) {
		uint64_t w;

		memcpy(&w, p + i, 8);
		acc |= w;
	}
	for (; i < len; i++) {
		acc |= p[i];
	}
	return (acc & HIGH_BITS) == 0;
}

char *
wl_fold_str(const char *s)
{
	const size_t len = strlen(s);
	size_t cap, n;
	char *out;

	if (len > (SIZE_MAX - 1) / WL_FOLD_MAX_GROWTH) {
		return NULL;
	}
	cap = len * WL_FOLD_MAX_GROWTH;
	out = malloc(cap + 1);
	if (out == NULL) {
		return NULL;
	}
	n = wl_fold((const uint8_t *)s, len, (uint8_t *)out, cap, NULL, NULL);
	out[n] = '\0';
	return out;
}
