#include "core/err.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

void
err_set(char **err, const char *fmt, ...)
{
	va_list ap;
	char *msg = NULL;

	if (err == NULL) {
		return;
	}
	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0) {
		msg = NULL;
	}
	va_end(ap);
	free(*err);
	*err = msg;
}
