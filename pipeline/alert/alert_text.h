/*
 * The readable form of an alert (`feedwatch tail`, `feedwatch match`), and
 * the reader that turns an alert line back into a record for it. Control
 * plane tools only.
 */
#ifndef FW_ALERT_TEXT_H
#define FW_ALERT_TEXT_H

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

/* Print <r> readably to <f>: a header line, the item, and one line per hit. */
void alert_text_print(FILE *f, const struct alert_rec *r, uint64_t seq, uint64_t latency_us);

#endif
