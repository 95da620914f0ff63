/*
 * Control-plane logging to stderr (journald picks it up under systemd). Never
 * called per packet.
 */
#ifndef FW_LOG_H
#define FW_LOG_H

void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Suppress log_info (log_warn and log_err still print). */
void log_quiet(int quiet);

#endif
