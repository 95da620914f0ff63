/*
 * Control-plane error messages: functions that can fail with a reason take
 * `char **err` and set it to a heap string the caller frees.
 */
#ifndef FW_ERR_H
#define FW_ERR_H

/* Set <*err> (if err is not NULL) to a heap copy of the formatted message. */
void err_set(char **err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
