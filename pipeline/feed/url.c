#include "feed/url.h"

#include <string.h>

#define URL_PATH_MAX 2048 /* longer merged paths are not resolved */

/* A URI reference split into its five parts (RFC 3986 Appendix B); a NULL ptr is "undefined". */
struct parts {
	struct span scheme, authority, path, query, fragment;
};

static bool
is_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static size_t
scheme_len(struct span s)
{
	size_t i;

	if (s.len == 0 || !is_alpha((char)s.ptr[0])) {
		return 0;
	}
	for (i = 1; i < s.len; i++) {
		char c = (char)s.ptr[i];

		if (c == ':') {
			return i;
		}
		if (!is_alpha(c) && !(c >= '0' && c <= '9') && c != '+' && c != '-' && c != '.') {
			return 0;
		}
	}
	return 0;
}

bool
url_is_absolute(struct span s)
{
	return scheme_len(s) > 0;
}

/* The first of <stops> in s[i, len), or len. */
static size_t
find_any(struct span s, size_t i, const char *stops)
{
	for (; i < s.len; i++) {
		if (strchr(stops, s.ptr[i]) != NULL) {
			return i;
		}
	}
	return s.len;
}

static void
split(struct span s, struct parts *p)
{
	size_t i = 0, j, n = scheme_len(s);

	memset(p, 0, sizeof(*p));
	if (n > 0) {
		p->scheme = (struct span){ s.ptr, n };
		i = n + 1;
	}
	if (i + 1 < s.len && s.ptr[i] == '/' && s.ptr[i + 1] == '/') {
		j = find_any(s, i + 2, "/?#");
		p->authority = (struct span){ s.ptr + i + 2, j - i - 2 };
		i = j;
	}
	j = find_any(s, i, "?#");
	p->path = (struct span){ s.ptr + i, j - i };
	i = j;
	if (i < s.len && s.ptr[i] == '?') {
		j = find_any(s, i + 1, "#");
		p->query = (struct span){ s.ptr + i + 1, j - i - 1 };
		i = j;
	}
	if (i < s.len && s.ptr[i] == '#') {
		p->fragment = (struct span){ s.ptr + i + 1, s.len - i - 1 };
	}
}

/* RFC 3986 §5.2.4 from in[0, n) to out; returns the length written (never more than n). */
static size_t
remove_dots(const char *in, size_t n, char *out)
{
	size_t i = 0, o = 0;

	while (i < n) {
		const char *p = in + i;
		size_t left = n - i;

		if (left >= 3 && memcmp(p, "../", 3) == 0) {
			i += 3;
		} else if (left >= 2 && memcmp(p, "./", 2) == 0) {
			i += 2;
		} else if (left >= 3 && memcmp(p, "/./", 3) == 0) {
			i += 2;
		} else if (left == 2 && memcmp(p, "/.", 2) == 0) {
			i += 1;
			out[o++] = '/';
			i += 1;
		} else if ((left >= 4 && memcmp(p, "/../", 4) == 0) ||
		           (left == 3 && memcmp(p, "/..", 3) == 0)) {
			/* up one: drop the last output segment */
			while (o > 0 && out[o - 1] != '/') {
				o--;
			}
			if (o > 0) {
				o--;
			}
			i += 3;
			if (left == 3) {
				out[o++] = '/';
			}
		} else if ((left == 1 && p[0] == '.') || (left == 2 && memcmp(p, "..", 2) == 0)) {
			i = n;
		} else {
			size_t j = i + (p[0] == '/' ? 1 : 0);

			while (j < n && in[j] != '/') {
				j++;
			}
			memcpy(out + o, in + i, j - i);
			o += j - i;
			i = j;
		}
	}
	return o;
}

struct out {
	char *p;
	size_t len, cap;
	bool full;
};

static void
put(struct out *o, const void *s, size_t n)
{
	if (o->full || o->cap - o->len < n) {
		o->full = true;
		return;
	}
	memcpy(o->p + o->len, s, n);
	o->len += n;
}

size_t
url_resolve(char *out, size_t cap, struct span base, struct span ref)
{
	struct parts b, r;
	struct span authority, query;
	char merged[URL_PATH_MAX], path[URL_PATH_MAX];
	size_t m = 0, plen;
	struct out o = { out, 0, cap, false };

	if (!url_is_absolute(base)) {
		return 0;
	}
	if (url_is_absolute(ref)) {
		put(&o, ref.ptr, ref.len);
		return o.full ? 0 : o.len;
	}
	split(base, &b);
	split(ref, &r);
	if (r.authority.ptr != NULL) {
		authority = r.authority;
		query = r.query;
		if (r.path.len >= sizeof(merged)) {
			return 0;
		}
		memcpy(merged, r.path.ptr, r.path.len);
		m = r.path.len;
	} else {
		authority = b.authority;
		if (r.path.len == 0) {
			if (b.path.len >= sizeof(merged)) {
				return 0;
			}
			memcpy(merged, b.path.ptr, b.path.len);
			m = b.path.len;
			query = r.query.ptr != NULL ? r.query : b.query;
		} else {
			query = r.query;
			if (r.path.ptr[0] != '/') {
				/* §5.2.3 merge: the base path up to its last '/' */
				const uint8_t *slash = NULL;

				if (b.path.ptr != NULL && b.path.len > 0) {
					slash = memrchr(b.path.ptr, '/', b.path.len);
				}

				if (slash != NULL) {
					m = (size_t)(slash - b.path.ptr) + 1;
					memcpy(merged, b.path.ptr, m);
				} else if (b.authority.ptr != NULL) {
					merged[m++] = '/';
				}
			}
			if (r.path.len >= sizeof(merged) - m) {
				return 0;
			}
			memcpy(merged + m, r.path.ptr, r.path.len);
			m += r.path.len;
		}
	}
	plen = remove_dots(merged, m, path);
	put(&o, b.scheme.ptr, b.scheme.len);
	put(&o, ":", 1);
	if (authority.ptr != NULL) {
		put(&o, "//", 2);
		put(&o, authority.ptr, authority.len);
	}
	put(&o, path, plen);
	if (query.ptr != NULL) {
		put(&o, "?", 1);
		put(&o, query.ptr, query.len);
	}
	if (r.fragment.ptr != NULL) {
		put(&o, "#", 1);
		put(&o, r.fragment.ptr, r.fragment.len);
	}
	return o.full ? 0 : o.len;
}
