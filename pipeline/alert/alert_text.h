/*
 * The readable form of an alert (`feedwatch tail`, `feedwatch match`), and
 * the reader that turns an alert line back into a record for it. Control
 * plane tools only.
 */
#ifndef FW_ALERT_TEXT_H
#define FW_ALERT_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "alert/alert-t.h"

/*
 * Parse one alert line (<len> bytes, no NUL needed) into <r>, <seq> and
 * <latency_us>. Unknown keys are skipped. Returns 0, or -1 if the line is not
 * a JSON object of the alert schema's shape.
 */
int alert_text_parse(const char *line, size_t len, struct alert_rec *r, uint64_t *seq,
                     uint64_t *latency_us);

/*
 * Print <r> readably to <f>: a header line, the item, and one line per hit.
 * Control characters in the record's strings are shown as '?'.
 */
void alert_text_print(FILE *f, const struct alert_rec *r, uint64_t seq, uint64_t latency_us);

/*
 * alert_text_print, with ANSI SGR colour when <color>: the watchlist bold,
 * the severity coloured by level (info cyan, low green, medium yellow, high
 * red, critical bold white on red). Without <color> the output is the same as
 * alert_text_print's, byte for byte.
 */
void alert_text_print_color(FILE *f, const struct alert_rec *r, uint64_t seq, uint64_t latency_us,
                            bool color);

/* What one stream line (alert.schema.json or alert-ecs.schema.json) is. */
enum alert_line_kind {
	ALERT_LINE_OTHER, /* not a line of either schema's shape */
	ALERT_LINE_ALERT, /* native or ECS layout: rec, seq, latency_us */
	ALERT_LINE_HELLO,
	ALERT_LINE_GAP,
	ALERT_LINE_NOTICE,
};

struct alert_line {
	enum alert_line_kind kind;
	bool ecs;            /* an alert in the ECS layout (rec.ts_ns is then 0) */
	uint64_t seq;        /* alert: its seq */
	uint64_t latency_us; /* alert */
	uint64_t last_seq;   /* hello, notice */
	uint64_t from, to;   /* gap */
	char version[32];    /* hello */
	char node[256];      /* hello */
	char format[16];     /* hello */
	char type[16];       /* notice */
	char reason[16];     /* gap */
	char message[256];   /* notice */
	struct alert_rec rec;
};

/*
 * Read one stream line (<len> bytes, no '\n' needed, no NUL needed) into
 * <out>, whatever its kind: a native or ECS alert (the ECS document's
 * "feedwatch" object carries the record), hello, gap or notice. Strings are
 * truncated to their fields. Returns out->kind; ALERT_LINE_OTHER if the line
 * is none of them (the other fields are then unspecified).
 */
enum alert_line_kind alert_text_parse_line(const char *line, size_t len, struct alert_line *out);

#endif
