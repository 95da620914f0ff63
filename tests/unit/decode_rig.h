/*
 * The decode suites' rig: test frames built from a struct frame_spec, decoded
 * from a guard-page copy (an over-read faults), and the drop counters.
 */
#ifndef FW_TEST_DECODE_RIG_H
#define FW_TEST_DECODE_RIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "net/decode.h"

/* What a test frame looks like; zero fields mean the plain default. */
struct frame_spec {
	uint16_t tags[3]; /* TPIDs of stacked VLAN tags, 0 ends */
	uint16_t tag_vid[3];
	bool ip6;
	uint8_t proto;         /* DECODE_TCP / DECODE_UDP / other */
	uint8_t tcp_opt_words; /* TCP options, in 32-bit words */
	const char *payload;
	size_t pad; /* Ethernet padding after the IP packet */
};

/* The default frame's addresses: 198.18.0.10 -> .20, 2001:db8::1 -> ::2. */
extern const uint8_t decode_rig_src4[4], decode_rig_dst4[4];
extern const uint8_t decode_rig_src6[16], decode_rig_dst6[16];

/* The guard-page copy of the last decoded frame: a decoded payload points into it. */
extern uint8_t *decode_rig_last_copy;

/* Big-endian loads and stores. */
uint16_t decode_rig_rd16(const uint8_t *p);
void decode_rig_wr16(uint8_t *p, uint16_t v);
void decode_rig_wr32(uint8_t *p, uint32_t v);

/* Writes the frame into <buf> and returns its length; <*l3> (may be NULL) gets the IP offset. */
size_t decode_rig_build(uint8_t *buf, const struct frame_spec *fs, size_t *l3);

/* Decodes a guard-page copy of <buf>, as <cfg> (NULL: defaults) says. */
enum decode_rc decode_rig_run_cfg(const struct decode_cfg *cfg, struct counters *c,
                                  const uint8_t *buf, size_t len, struct decoded *out);
enum decode_rc decode_rig_run(struct counters *c, const uint8_t *buf, size_t len,
                              struct decoded *out);

/* The sum of every counter that means a dropped frame. */
uint64_t decode_rig_drops(const struct counters *c);

/* Decodes and expects a drop counted under exactly <id>. */
void decode_rig_expect_drop(const uint8_t *buf, size_t len, enum counter_id id);

/* Every proper prefix of <buf>, a frame without padding, is malformed and counted once. */
void decode_rig_truncations(const uint8_t *buf, size_t len);

#endif
