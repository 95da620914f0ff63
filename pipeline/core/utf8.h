/*
 * UTF-8 validation for writers that must emit valid UTF-8 whatever they are
 * given (alert lines, Prometheus text, ctl stats JSON, telemetry strings):
 * each writes U+FFFD (or '?') for a byte that starts no valid sequence.
 */
#ifndef FW_UTF8_H
#define FW_UTF8_H

#include <stddef.h>
#include <stdint.h>

/*
 * Length of the valid UTF-8 sequence (RFC 3629 §4: no overlong form, no
 * surrogate, nothing past U+10FFFF) at <s>, of the <n> > 0 bytes there; 0 when
 * <s> starts none.
 */
static inline size_t
utf8_len(const uint8_t *s, size_t n)
{
	uint8_t c = s[0];
	size_t len, i;
	uint32_t cp;

	if (c < 0x80) {
		return 1;
	}
	if (c >= 0xc2 && c <= 0xdf) {
		len = 2;
		cp = c & 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		len = 3;
		cp = c & 0x0f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4;
		cp = c & 0x07;
	} else {
		return 0;
	}
	if (n < len) {
		return 0;
	}
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80) {
			return 0;
		}
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if ((len == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
	    (len == 4 && (cp < 0x10000 || cp > 0x10ffff))) {
		return 0;
	}
	return len;
}

#endif
