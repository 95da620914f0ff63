/*
 * Packet header decode: Ethernet, 802.1Q / QinQ, IPv4 (fragments are handed
 * to net/ipfrag.h), IPv6 with its extension headers (Hop-by-Hop, Routing,
 * Destination Options, AH skipped; Fragment handed to net/ipfrag.h like an
 * IPv4 fragment), TCP, UDP. Plain C over the frame bytes; no DPDK type.
 */
#ifndef FW_DECODE_H
#define FW_DECODE_H

#include <stdbool.h>
#include <stdint.h>

#include "core/counters.h"
#include "core/span.h"

enum decode_rc {
	DECODE_KEEP, /* a TCP or UDP packet: <out> is filled */
	DECODE_DROP, /* not for us or malformed: counted in <c> */
	DECODE_FRAG, /* a well-formed IPv4 or IPv6 fragment of a TCP or UDP datagram: see struct decoded */
};

#define DECODE_TCP 6
#define DECODE_UDP 17

/* TCP flag bits as on the wire. */
#define DECODE_TH_FIN 0x01
#define DECODE_TH_SYN 0x02
#define DECODE_TH_RST 0x04
#define DECODE_TH_PSH 0x08
#define DECODE_TH_ACK 0x10

struct decoded {
	bool is_ip6;
	uint8_t proto;     /* DECODE_TCP or DECODE_UDP */
	uint8_t tcp_flags; /* DECODE_TH_* (TCP only) */
	uint16_t vlan;     /* outermost VLAN id, 0 if untagged */
	uint8_t src[16];   /* IPv4 uses the first 4 bytes, rest zero */
	uint8_t dst[16];
	uint16_t sport; /* host order */
	uint16_t dport;
	uint32_t seq; /* host order (TCP only) */
	uint32_t ack;
	struct span payload; /* L4 payload inside the frame, trimmed to the IP length */
	/*
	 * DECODE_FRAG only: the fragment's place in its datagram. <payload> is then
	 * the fragment's IP payload (not an L4 payload; for IPv6, what follows the
	 * Fragment header) and the ports, seq and flags are zero. RFC 791 and RFC
	 * 8200 §4.5: the datagram is named by (src, dst, id, proto).
	 */
	uint32_t ip_id;    /* IPv4: 16 bits; IPv6 (Fragment header): 32 */
	uint16_t frag_off; /* in bytes (the header's 13-bit field times 8) */
	bool frag_more;    /* MF: more fragments follow */
};

/*
 * Decode <len> bytes of <frame> (not NULL unless len is 0) into <out>.
 * Returns DECODE_KEEP for a well-formed TCP or UDP packet; anything else is
 * counted in <c> under a decode_* counter and returns DECODE_DROP. The
 * payload span points into <frame>. Any thread; no allocation.
 */
enum decode_rc decode_packet(struct counters *c, const uint8_t *frame, size_t len,
                             struct decoded *out);

/*
 * Decode the TCP or UDP header at the start of <l4>, a reassembled IP
 * payload, into <d>, whose IP-level fields (is_ip6, proto, src, dst, vlan)
 * are already set (a DECODE_FRAG result). The same parser and counters as
 * for an unfragmented packet: DECODE_KEEP with the ports, seq, flags and
 * payload (a span into <l4>) filled, or DECODE_DROP counted in <c>. The
 * fragment fields are cleared. Any thread; no allocation.
 */
enum decode_rc decode_l4_payload(struct counters *c, struct span l4, struct decoded *d);

#endif
