/*
 * The JSON writer behind every line the alert module writes (alert_json.c
 * has it; alert_ecs.c writes its layout with it, ctl stats --json its
 * strings): appends to a fixed buffer and remembers an overflow instead of
 * failing each call.
 */
#ifndef FW_ALERT_JSON_OUT_H
#define FW_ALERT_JSON_OUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "alert/alert-t.h"

struct alert_json_out {
	char *p;
	char *end;
	bool overflow; /* something did not fit: the line is void */
};

/* <n> bytes as they are (inline: called for every piece of every line). */
static inline void
alert_json_put(struct alert_json_out *o, const char *s, size_t n)
{
	if (o->overflow || (size_t)(o->end - o->p) < n) {
		o->overflow = true;
		return;
	}
	memcpy(o->p, s, n);
	o->p += n;
}

/* A NUL-terminated string as it is. */
static inline void
alert_json_put_str(struct alert_json_out *o, const char *s)
{
	alert_json_put(o, s, strlen(s));
}

/* A number in decimal. */
void alert_json_put_u64(struct alert_json_out *o, uint64_t v);

/* <n> bytes at <p> as a JSON string (RFC 8259 escapes, invalid UTF-8 as U+FFFD). */
void alert_json_put_span(struct alert_json_out *o, const uint8_t *p, size_t n);

/* A NUL-terminated string as a JSON string. */
void alert_json_put_string(struct alert_json_out *o, const char *s);

/* ,"key":"value" */
void alert_json_put_kv(struct alert_json_out *o, const char *key, const char *val);

/* "YYYY-MM-DDThh:mm:ss.uuuuuuZ" (UTC, microseconds) of <ns> since the epoch. */
void alert_json_put_ts(struct alert_json_out *o, uint64_t ns);

/*
 * The record's fields from "rule" to "latency_us", each preceded by a comma,
 * as the native line has them (and ECS under "feedwatch").
 */
void alert_json_put_record_tail(struct alert_json_out *o, const struct alert_rec *r,
                                uint64_t latency_us);

#endif
