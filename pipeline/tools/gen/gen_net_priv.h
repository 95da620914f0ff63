/*
 * Private to the network layer of feedwatch-gen: one link (the two ends of a
 * connection or a UDP push) and the frames it writes, Ethernet (optionally
 * 802.1Q) over IPv4 or IPv6 with correct checksums and lengths.
 */
#ifndef FW_GEN_NET_PRIV_H
#define FW_GEN_NET_PRIV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tools/gen/gen_net.h"

/* TCP payload bytes one frame carries at most (IPv4 total length is 16 bits). */
#define GEN_FRAME_MAX_PAYLOAD 65495u

#define GEN_TH_FIN 0x01
#define GEN_TH_SYN 0x02
#define GEN_TH_PSH 0x08
#define GEN_TH_ACK 0x10

/* The two ends: index 0 is the client (or UDP sender), 1 the server. */
struct gen_link {
	struct gen_pcap *p;
	struct gen_rng *rng; /* fragment cut points */
	bool ipv6;
	bool vlan;
	bool frag; /* IPv4: the server's data segments go out as fragments */
	uint16_t vlan_id;
	uint16_t ip_id;
	uint8_t addr[2][16]; /* IPv4 addresses use the first 4 bytes */
	uint16_t port[2];
	uint8_t *buf;  /* whole frames */
	uint8_t *fbuf; /* fragments */
};

/*
 * Addresses, ports and VLAN of connection <conn_id> (deterministic: distinct
 * ids below 2^16 * 64512 give distinct 5-tuples), server port <sport>. Client
 * in 198.18.0.0/16 or 2001:db8:1::/48, server in 198.19.0.0/16 or
 * 2001:db8:2::/48. Allocates the frame buffers: 0 or -ENOMEM; release with
 * gen_frame_link_fini().
 */
int gen_frame_link_init(struct gen_link *l, struct gen_pcap *p, struct gen_rng *rng,
                        uint32_t conn_id, uint16_t sport, bool ipv6, bool vlan);

/* Frees the buffers of <l> (safe on a zeroed or finished link). */
void gen_frame_link_fini(struct gen_link *l);

/*
 * One TCP segment of <len> (<= GEN_FRAME_MAX_PAYLOAD) bytes, from the server
 * if <from_srv>, with <flags> (GEN_TH_*). With l->frag, a server segment with
 * data goes out as 2-3 IPv4 fragments. The first frame comes <gap_us> after
 * the previous one. 0 or -errno from the pcap writer.
 */
int gen_frame_tcp(struct gen_link *l, bool from_srv, uint32_t seq, uint32_t ack, uint8_t flags,
                  const uint8_t *data, size_t len, uint32_t gap_us);

/* One UDP datagram from end 0 to end 1, <len> <= 65507. 0 or -errno. */
int gen_frame_udp(struct gen_link *l, const uint8_t *data, size_t len, uint32_t gap_us);

/* "a.b.c.d:port" or "[v6]:port" of end <end>, as feedwatch prints endpoints. */
void gen_frame_endpoint(const struct gen_link *l, int end, char *dst, size_t cap);

#endif
