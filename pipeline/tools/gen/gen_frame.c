/*
 * Frames for feedwatch-gen: Ethernet, 802.1Q, IPv4 (with fragments), IPv6,
 * TCP and UDP, with every length and checksum right so that tshark and
 * feedwatch see well-formed traffic.
 */
#include "tools/gen/gen_net_priv.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ETH_IP4  0x0800
#define ETH_IP6  0x86dd
#define ETH_VLAN 0x8100
#define IP_DF    0x4000
#define IP_MF    0x2000
#define BUF_SIZE (65536u + 256u)

static void
put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void
put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/*
 * RFC 1071 one's-complement sum over native-order words: the sum is the same
 * in either byte order once stored back natively, so no swapping per word.
 * Callers pass even lengths except for the last part of a sum.
 */
static uint64_t
csum_add(uint64_t acc, const uint8_t *p, size_t n)
{
	uint64_t w;
	uint16_t h;
	uint8_t t[2];

	while (n >= 8) {
		memcpy(&w, p, 8);
		acc += w;
		acc += acc < w; /* end-around carry */
		p += 8;
		n -= 8;
	}
	while (n >= 2) {
		memcpy(&h, p, 2);
		acc += h;
		acc += acc < h;
		p += 2;
		n -= 2;
	}
	if (n == 1) {
		t[0] = p[0];
		t[1] = 0;
		memcpy(&h, t, 2);
		acc += h;
		acc += acc < h;
	}
	return acc;
}

/* Folds the sum and stores its complement at <dst> in network order. */
static uint16_t
csum_store(uint8_t *dst, uint64_t acc)
{
	uint16_t c;

	acc = (acc & 0xffffffffu) + (acc >> 32);
	acc = (acc & 0xffffffffu) + (acc >> 32);
	acc = (acc & 0xffffu) + (acc >> 16);
	acc = (acc & 0xffffu) + (acc >> 16);
	c = (uint16_t)~acc;
	memcpy(dst, &c, 2);
	return c;
}

/* The pseudo-header of RFC 9293 §3.1 / RFC 8200 §8.1 for <l4len> bytes of <proto>. */
static uint64_t
pseudo_sum(const struct gen_link *l, int src, uint8_t proto, size_t l4len)
{
	uint8_t tail[8] = { 0 };
	size_t alen = l->ipv6 ? 16 : 4;
	uint64_t acc = 0;

	acc = csum_add(acc, l->addr[src], alen);
	acc = csum_add(acc, l->addr[!src], alen);
	put32(tail, (uint32_t)l4len);
	tail[7] = proto;
	return csum_add(acc, tail, 8);
}

/*
 * Ethernet (+ 802.1Q) and IP headers at <f> for <l3payload> bytes of
 * <proto> from end <src>; <fragw> is the IPv4 flags/offset word. Returns
 * the header length.
 */
static size_t
put_l2l3(struct gen_link *l, uint8_t *f, int src, uint8_t proto, size_t l3payload, uint16_t fragw,
         uint16_t id)
{
	static const uint8_t mac[2][6] = { { 0x02, 0, 0, 0, 0, 0x01 }, { 0x02, 0, 0, 0, 0, 0x02 } };
	size_t h = 12;
	uint8_t *ip;

	memcpy(f, mac[!src], 6);
	memcpy(f + 6, mac[src], 6);
	if (l->vlan) {
		put16(f + 12, ETH_VLAN);
		put16(f + 14, l->vlan_id);
		h = 16;
	}
	put16(f + h, l->ipv6 ? ETH_IP6 : ETH_IP4);
	ip = f + h + 2;
	if (l->ipv6) {
		put32(ip, 6u << 28);
		put16(ip + 4, (uint16_t)l3payload);
		ip[6] = proto;
		ip[7] = src == 0 ? 64 : 57;
		memcpy(ip + 8, l->addr[src], 16);
		memcpy(ip + 24, l->addr[!src], 16);
		return h + 2 + 40;
	}
	ip[0] = 0x45;
	ip[1] = 0;
	put16(ip + 2, (uint16_t)(20 + l3payload));
	put16(ip + 4, id);
	put16(ip + 6, fragw);
	ip[8] = src == 0 ? 64 : 57;
	ip[9] = proto;
	ip[10] = 0;
	ip[11] = 0;
	memcpy(ip + 12, l->addr[src], 4);
	memcpy(ip + 16, l->addr[!src], 4);
	csum_store(ip + 10, csum_add(0, ip, 20));
	return h + 2 + 20;
}

int
gen_frame_link_init(struct gen_link *l, struct gen_pcap *p, struct gen_rng *rng, uint32_t conn_id,
                    uint16_t sport, bool ipv6, bool vlan)
{
	uint32_t cli = conn_id & 0xffffu, srv = conn_id % 4093u + 1u;

	memset(l, 0, sizeof(*l));
	l->p = p;
	l->rng = rng;
	l->ipv6 = ipv6;
	l->vlan = vlan;
	l->vlan_id = (uint16_t)(conn_id % 4094u + 1u);
	l->ip_id = (uint16_t)(conn_id * 2654435761u >> 16);
	if (ipv6) {
		static const uint8_t pfx[2][6] = { { 0x20, 0x01, 0x0d, 0xb8, 0, 1 },
			                           { 0x20, 0x01, 0x0d, 0xb8, 0, 2 } };

		memcpy(l->addr[0], pfx[0], 6);
		memcpy(l->addr[1], pfx[1], 6);
		put32(l->addr[0] + 12, conn_id + 1u);
		put32(l->addr[1] + 12, srv);
	} else {
		l->addr[0][0] = 198;
		l->addr[0][1] = 18;
		l->addr[0][2] = (uint8_t)(cli >> 8);
		l->addr[0][3] = (uint8_t)cli;
		l->addr[1][0] = 198;
		l->addr[1][1] = 19;
		l->addr[1][2] = (uint8_t)(srv >> 8);
		l->addr[1][3] = (uint8_t)srv;
	}
	/* the address fixes conn_id's low half, so any port bijective in the high half keeps
	 * 5-tuples distinct */
	l->port[0] = (uint16_t)(1024u + ((conn_id >> 16) + cli * 7u) % 64512u);
	l->port[1] = sport;
	l->buf = malloc(BUF_SIZE);
	l->fbuf = malloc(BUF_SIZE);
	if (l->buf == NULL || l->fbuf == NULL) {
		gen_frame_link_fini(l);
		return -ENOMEM;
	}
	return 0;
}

void
gen_frame_link_fini(struct gen_link *l)
{
	free(l->buf);
	free(l->fbuf);
	l->buf = NULL;
	l->fbuf = NULL;
}

/*
 * The IP payload <l4> (<n> bytes, a TCP segment with its checksum set) as 2
 * or 3 IPv4 fragments, offsets in 8-byte units (RFC 791), MF on all but the
 * last.
 */
static int
put_fragments(struct gen_link *l, int src, uint8_t proto, const uint8_t *l4, size_t n,
              uint32_t gap_us)
{
	size_t units = (n - 1) / 8, cut[4];
	uint16_t id = l->ip_id++;
	int k, nf = 2, rc;

	cut[0] = 0;
	if (units >= 2 && gen_rng_chance(l->rng, 0.5)) {
		size_t a = 1 + gen_rng_below(l->rng, (uint32_t)(units - 1));
		size_t b = a + 1 + gen_rng_below(l->rng, (uint32_t)(units - a));

		cut[1] = a * 8;
		cut[2] = b * 8;
		nf = 3;
	} else {
		cut[1] = 8 * (1 + gen_rng_below(l->rng, (uint32_t)units));
	}
	cut[nf] = n;
	for (k = 0; k < nf; k++) {
		size_t len = cut[k + 1] - cut[k];
		uint16_t fragw = (uint16_t)(cut[k] / 8) | (k + 1 < nf ? IP_MF : 0);
		size_t h = put_l2l3(l, l->fbuf, src, proto, len, fragw, id);

		memcpy(l->fbuf + h, l4 + cut[k], len);
		rc = gen_pcap_frame(l->p, l->fbuf, h + len, k == 0 ? gap_us : 1);
		if (rc != 0) {
			return rc;
		}
	}
	return 0;
}

int
gen_frame_tcp(struct gen_link *l, bool from_srv, uint32_t seq, uint32_t ack, uint8_t flags,
              const uint8_t *data, size_t len, uint32_t gap_us)
{
	const int src = from_srv ? 1 : 0;
	const bool frag = l->frag && from_srv && len > 0 && !l->ipv6;
	size_t h;
	uint8_t *t;

	if (len > GEN_FRAME_MAX_PAYLOAD) {
		return -EMSGSIZE;
	}
	h = put_l2l3(l, l->buf, src, 6, 20 + len, IP_DF, frag ? 0 : l->ip_id++);
	t = l->buf + h;
	put16(t, l->port[src]);
	put16(t + 2, l->port[!src]);
	put32(t + 4, seq);
	put32(t + 8, (flags & GEN_TH_ACK) != 0 ? ack : 0);
	t[12] = 5 << 4;
	t[13] = flags;
	put16(t + 14, from_srv ? 65160 : 64240);
	put32(t + 16, 0);
	if (len > 0) {
		memcpy(t + 20, data, len);
	}
	csum_store(t + 16, csum_add(pseudo_sum(l, src, 6, 20 + len), t, 20 + len));
	if (frag) {
		return put_fragments(l, src, 6, t, 20 + len, gap_us);
	}
	return gen_pcap_frame(l->p, l->buf, h + 20 + len, gap_us);
}

int
gen_frame_udp(struct gen_link *l, const uint8_t *data, size_t len, uint32_t gap_us)
{
	size_t h;
	uint8_t *u;

	if (len > 65507) {
		return -EMSGSIZE;
	}
	h = put_l2l3(l, l->buf, 0, 17, 8 + len, IP_DF, l->ip_id++);
	u = l->buf + h;
	put16(u, l->port[0]);
	put16(u + 2, l->port[1]);
	put16(u + 4, (uint16_t)(8 + len));
	put16(u + 6, 0);
	if (len > 0) {
		memcpy(u + 8, data, len);
	}
	/* RFC 768: a computed zero is sent as all ones (zero means "no checksum") */
	if (csum_store(u + 6, csum_add(pseudo_sum(l, 0, 17, 8 + len), u, 8 + len)) == 0) {
		u[6] = 0xff;
		u[7] = 0xff;
	}
	return gen_pcap_frame(l->p, l->buf, h + 8 + len, gap_us);
}

void
gen_frame_endpoint(const struct gen_link *l, int end, char *dst, size_t cap)
{
	char a[INET6_ADDRSTRLEN];

	inet_ntop(l->ipv6 ? AF_INET6 : AF_INET, l->addr[end], a, sizeof(a));
	snprintf(dst, cap, l->ipv6 ? "[%s]:%u" : "%s:%u", a, l->port[end]);
}
