/*
 * Replay main for the libFuzzer targets: runs every file of the corpus
 * folders given on the command line through LLVMFuzzerTestOneInput, so every
 * seed and every past crash is checked by the ordinary test suite (and under
 * ASan in scripts/test) without a fuzzing toolchain.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
run_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf;
	long len;

	if (f == NULL || fseek(f, 0, SEEK_END) != 0 || (len = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET) != 0) {
		fprintf(stderr, "%s: cannot read\n", path);
		if (f != NULL) {
			fclose(f);
		}
		return -1;
	}
	buf = malloc((size_t)len + 1);
	if (buf == NULL || fread(buf, 1, (size_t)len, f) != (size_t)len) {
		fprintf(stderr, "%s: cannot read\n", path);
		free(buf);
		fclose(f);
		return -1;
	}
	fclose(f);
	LLVMFuzzerTestOneInput(buf, (size_t)len);
	free(buf);
	return 0;
}

int
main(int argc, char **argv)
{
	int i, n = 0, bad = 0;

	for (i = 1; i < argc; i++) {
		struct dirent **names = NULL;
		int k, m = scandir(argv[i], &names, NULL, alphasort);

		if (m < 0) {
			bad += run_file(argv[i]) != 0;
			n++;
			continue;
		}
		for (k = 0; k < m; k++) {
			char path[4096];
			struct stat st;

			snprintf(path, sizeof(path), "%s/%s", argv[i], names[k]->d_name);
			if (names[k]->d_name[0] != '.' && stat(path, &st) == 0 &&
			    S_ISREG(st.st_mode)) {
				bad += run_file(path) != 0;
				n++;
			}
			free(names[k]);
		}
		free(names);
	}
	printf("%d passed, %d failed\n", n - bad, bad);
	return bad == 0 && n > 0 ? 0 : 1;
}
