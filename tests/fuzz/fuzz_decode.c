/*
 * Fuzz target: packet decode and IPv4 and IPv6 fragment reassembly over a run of
 * frames. The first byte picks the reassembly limits (deliberately small, so
 * the table, the arena and the per-datagram cap all fill); the rest is a
 * sequence of records, each a 2-byte big-endian frame length, one byte of
 * capture time to add (in ms), then the frame. Every frame sits in its own
 * allocation, freed right after it is handled, so an over-read or a pointer
 * kept into it trips ASan.
 *
 * Checked: every payload span lies inside its frame (or inside the
 * reassembled datagram) and is read in full; fragment fields are consistent;
 * tunnels nest no deeper than TUNNEL_MAX_DEPTH; verifying checksums only
 * ever turns a result into a drop, never into another result;
 * and a shadow model of reassembly ("first copy of a byte wins", datagrams
 * named by family, src, dst, id, proto, expiry by age) agrees with ipfrag on what is
 * pending, when a datagram completes and on every byte it hands back.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/counters.h"
#include "net/decode.h"
#include "net/ipfrag.h"
#include "net/tunnel.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MS         1000000ull
#define MODEL_DGS  8 /* at least the largest <datagrams> picked below */
#define MODEL_SIZE 65536

/* What ipfrag should hold for one datagram. */
struct model_dg {
	bool used;
	bool is_ip6;
	uint8_t src[16];
	uint8_t dst[16];
	uint32_t id;
	uint8_t proto;
	bool have_last;
	uint32_t total;
	uint64_t first_ns;
	uint8_t bytes[MODEL_SIZE];
	uint8_t got[MODEL_SIZE]; /* 1 when the byte was received */
};

static struct model_dg model[MODEL_DGS];

static void
check(bool ok)
{
	if (!ok) {
		abort();
	}
}

static void
touch(struct span s)
{
	volatile uint8_t sink = 0;
	size_t k;

	for (k = 0; k < s.len; k++) {
		sink ^= s.ptr[k];
	}
	(void)sink;
}

/* <in> lies within [base, base + len). */
static bool
inside(struct span in, const uint8_t *base, size_t len)
{
	if (in.len == 0) {
		return in.ptr == NULL || (in.ptr >= base && in.ptr <= base + len);
	}
	return in.ptr != NULL && in.ptr >= base && in.ptr <= base + len &&
	       in.len <= (size_t)(base + len - in.ptr);
}

static unsigned
model_pending(void)
{
	unsigned i, n = 0;

	for (i = 0; i < MODEL_DGS; i++) {
		n += model[i].used;
	}
	return n;
}

/* The timestamps only grow here, so expiring everything due matches ipfrag's oldest-first walk. */
static void
model_expire(uint64_t now, uint64_t timeout)
{
	unsigned i;

	for (i = 0; i < MODEL_DGS; i++) {
		if (model[i].used && now - model[i].first_ns >= timeout) {
			model[i].used = false;
		}
	}
}

static struct model_dg *
model_find(const struct decoded *d)
{
	unsigned i;

	for (i = 0; i < MODEL_DGS; i++) {
		struct model_dg *m = &model[i];

		if (m->used && m->id == d->ip_id && m->proto == d->proto &&
		    m->is_ip6 == d->is_ip6 && memcmp(m->src, d->src, 16) == 0 &&
		    memcmp(m->dst, d->dst, 16) == 0) {
			return m;
		}
	}
	return NULL;
}

static struct model_dg *
model_new(const struct decoded *d, uint64_t now)
{
	unsigned i;

	for (i = 0; i < MODEL_DGS; i++) {
		struct model_dg *m = &model[i];

		if (!m->used) {
			m->used = true;
			m->is_ip6 = d->is_ip6;
			memcpy(m->src, d->src, 16);
			memcpy(m->dst, d->dst, 16);
			m->id = d->ip_id;
			m->proto = d->proto;
			m->have_last = false;
			m->total = 0;
			m->first_ns = now;
			memset(m->got, 0, sizeof(m->got));
			return m;
		}
	}
	abort(); /* more in flight than any table allows */
}

/* Apply a fragment ipfrag accepted: first copy of each byte wins. */
static void
model_add(struct model_dg *m, const struct decoded *d)
{
	size_t k;

	if (!d->frag_more) {
		m->have_last = true;
		m->total = d->frag_off + (uint32_t)d->payload.len;
	}
	for (k = 0; k < d->payload.len; k++) {
		size_t at = d->frag_off + k;

		if (!m->got[at]) {
			m->got[at] = 1;
			m->bytes[at] = d->payload.ptr[k];
		}
	}
}

static bool
model_complete(const struct model_dg *m)
{
	uint32_t k;

	if (!m->have_last) {
		return false;
	}
	for (k = 0; k < m->total; k++) {
		if (!m->got[k]) {
			return false;
		}
	}
	return true;
}

static void
check_keep(const struct decoded *d, const uint8_t *base, size_t len)
{
	check(d->proto == DECODE_TCP || d->proto == DECODE_UDP);
	check(d->tunnel_depth <= TUNNEL_MAX_DEPTH);
	check((d->tunnel_depth == 0) == (d->tunnel_kind == DECODE_TUN_NONE));
	check(inside(d->payload, base, len));
	check(d->ip_id == 0 && d->frag_off == 0 && !d->frag_more);
	if (d->proto == DECODE_UDP) {
		check(d->tcp_flags == 0 && d->seq == 0 && d->ack == 0);
	}
	touch(d->payload);
}

static void
frag(struct counters *c, struct ipfrag *t, const struct ipfrag_limits *lim, struct decoded *d,
     uint64_t now)
{
	struct model_dg *m;
	struct span out;
	enum ipfrag_rc rc;

	/* fragments of GRE and IP-in-IP packets are reassembled too */
	check(d->proto == DECODE_TCP || d->proto == DECODE_UDP || d->proto == 47 || d->proto == 4 ||
	      d->proto == 41);
	check(d->tunnel_depth <= TUNNEL_MAX_DEPTH);
	check(d->is_ip6 || d->ip_id <= UINT16_MAX);
	check(d->payload.len > 0 && d->frag_off % 8 == 0);
	check(d->frag_off + d->payload.len <= IPFRAG_MAX_BYTES);
	check(!d->frag_more || d->payload.len % 8 == 0);
	check(d->sport == 0 && d->dport == 0 && d->seq == 0 && d->tcp_flags == 0);
	model_expire(now, lim->timeout_ns);
	rc = ipfrag_add(t, d, now, &out);
	m = model_find(d);
	switch (rc) {
	case IPFRAG_DROP:
		check(out.ptr == NULL && out.len == 0);
		if (m != NULL) {
			m->used = false;
		}
		break;
	case IPFRAG_HELD:
		check(out.ptr == NULL && out.len == 0);
		if (m == NULL) {
			m = model_new(d, now);
		}
		model_add(m, d);
		check(!model_complete(m));
		break;
	case IPFRAG_DONE:
		if (m == NULL) {
			m = model_new(d, now);
		}
		model_add(m, d);
		check(model_complete(m));
		check(out.ptr != NULL && out.len == m->total && out.len <= lim->max_bytes);
		check(memcmp(out.ptr, m->bytes, out.len) == 0);
		m->used = false;
		/* the datagram goes on as an unfragmented packet would */
		switch (decode_l4_payload(NULL, c, out, d)) {
		case DECODE_KEEP:
			check_keep(d, out.ptr, out.len);
			break;
		case DECODE_DROP:
			break;
		default:
			abort(); /* a fragment inside a reassembled datagram is dropped */
		}
		break;
	default:
		abort();
	}
	check(ipfrag_pending(t) == model_pending());
	check(ipfrag_pending(t) <= lim->datagrams);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint32_t max_bytes[] = { 0, 8, 64, 1480, 3000, 9000, 65535, 70000 };
	static const uint64_t timeouts[] = { 0, 1 * MS, 50 * MS, 30000 * MS };
	struct counters c;
	struct ipfrag_limits lim;
	struct ipfrag *t;
	uint32_t all_chunks;
	uint64_t now = 1000 * MS;
	size_t off;

	if (size < 1) {
		return 0;
	}
	memset(&c, 0, sizeof(c));
	for (off = 0; off < MODEL_DGS; off++) {
		model[off].used = false;
	}
	lim.datagrams = data[0] & 3;
	if ((data[0] & 4) != 0) {
		lim.datagrams += 4; /* 4..7 */
	}
	lim.max_bytes = max_bytes[(data[0] >> 3) & 7];
	lim.timeout_ns = timeouts[(data[0] >> 6) & 3];
	t = ipfrag_create(&lim, &c);
	check(t != NULL);
	if (lim.max_bytes > IPFRAG_MAX_BYTES) {
		lim.max_bytes = IPFRAG_MAX_BYTES; /* what ipfrag clamps it to */
	}
	all_chunks = ipfrag_chunks_free(t);
	for (off = 1; off + 3 <= size;) {
		size_t len = (size_t)data[off] << 8 | data[off + 1];
		static const struct decode_cfg verify = { .verify_checksums = true };
		struct decoded d, dv;
		enum decode_rc rc, rv;
		uint8_t *frame;

		now += data[off + 2] * MS;
		off += 3;
		if (len > size - off) {
			len = size - off;
		}
		/* each frame in its own allocation, freed before the next one */
		frame = malloc(len > 0 ? len : 1);
		check(frame != NULL);
		memcpy(frame, data + off, len);
		off += len;
		rv = decode_packet(&verify, &c, frame, len, &dv);
		rc = decode_packet(NULL, &c, frame, len, &d);
		check(rv == DECODE_DROP ||
		      (rv == rc && dv.payload.ptr == d.payload.ptr &&
		       dv.payload.len == d.payload.len && dv.proto == d.proto));
		switch (rc) {
		case DECODE_KEEP:
			check_keep(&d, frame, len);
			break;
		case DECODE_FRAG:
			check(inside(d.payload, frame, len));
			touch(d.payload);
			frag(&c, t, &lim, &d, now);
			break;
		case DECODE_DROP:
			break;
		default:
			abort();
		}
		memset(frame, 0xa5, len);
		free(frame);
	}
	/* everything left times out, and every chunk comes back */
	now += 2 * timeouts[3];
	ipfrag_expire(t, now);
	check(ipfrag_pending(t) == 0);
	check(ipfrag_chunks_free(t) == all_chunks);
	ipfrag_free(t);
	return 0;
}
