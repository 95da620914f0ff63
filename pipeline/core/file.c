#include "core/file.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

int
file_read_all(const char *path, uint8_t **out, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL;
	size_t n = 0, cap = 0, got;
	int rc = 0;

	*out = NULL;
	*len = 0;
	if (f == NULL) {
		return -errno;
	}
	do {
		if (cap - n < 65536) {
			uint8_t *bigger;

			cap = cap == 0 ? 65536 + 1 : cap * 2;
			bigger = realloc(buf, cap);
			if (bigger == NULL) {
				rc = -ENOMEM;
				goto fail;
			}
			buf = bigger;
		}
		got = fread(buf + n, 1, cap - n - 1, f);
		n += got;
	} while (got > 0);
	if (ferror(f)) {
		rc = -EIO;
		goto fail;
	}
	fclose(f);
	*out = buf;
	*len = n;
	return 0;
fail:
	free(buf);
	fclose(f);
	return rc;
}
