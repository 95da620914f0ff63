/*
 * Control-plane logging to stderr (journald picks it up under systemd). Never
 * called per packet.
 */
#ifndef FW_LOG_H
#define FW_LOG_H

void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Print only levels up to <l>: 0 errors, 1 warnings, 2 info (the default), 3 debug. */
void log_level(int l);

/* Whether stderr is the systemd journal (JOURNAL_STREAM names it): then lines start with <prio>. */
int log_journald(void);

/* Suppress log_info (log_warn and log_err still print). */
void log_quiet(int quiet);

#endif
