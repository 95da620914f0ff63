#include "core/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

static int quiet;
static int level = 2;     /* 0 error, 1 warning, 2 info, 3 debug (log.level) */
static int journald = -1; /* unknown yet */

/*
 * Under systemd, stderr goes to the journal and JOURNAL_STREAM names it
 * (device:inode). Then each line starts with its syslog priority, <3>
 * error, <4> warning, <6> info, which journald strips and records, so
 * `journalctl -p warning` finds feedwatch's warnings.
 */
int
log_journald(void)
{
	const char *js;
	unsigned long long dev, ino;
	struct stat st;

	if (journald >= 0) {
		return journald;
	}
	js = getenv("JOURNAL_STREAM");
	journald = js != NULL && sscanf(js, "%llu:%llu", &dev, &ino) == 2 && fstat(2, &st) == 0 &&
	           (unsigned long long)st.st_dev == dev && (unsigned long long)st.st_ino == ino;
	return journald;
}

static void
vlog(int prio, const char *level, const char *fmt, va_list ap)
{
	char msg[1024];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (log_journald()) {
		fprintf(stderr, "<%d>feedwatch: %s%s\n", prio, level, msg);
	} else {
		fprintf(stderr, "feedwatch: %s%s\n", level, msg);
	}
}

void
log_quiet(int q)
{
	quiet = q;
}

void
log_level(int l)
{
	level = l;
}

void
log_debug(const char *fmt, ...)
{
	va_list ap;

	if (quiet || level < 3) {
		return;
	}
	va_start(ap, fmt);
	vlog(7, "debug: ", fmt, ap);
	va_end(ap);
}

void
log_info(const char *fmt, ...)
{
	va_list ap;

	if (quiet || level < 2) {
		return;
	}
	va_start(ap, fmt);
	vlog(6, "", fmt, ap);
	va_end(ap);
}

void
log_warn(const char *fmt, ...)
{
	va_list ap;

	if (level < 1) {
		return;
	}
	va_start(ap, fmt);
	vlog(4, "warning: ", fmt, ap);
	va_end(ap);
}

void
log_err(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(3, "error: ", fmt, ap);
	va_end(ap);
}
