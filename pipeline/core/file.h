/*
 * Whole files into memory, for the control plane and the offline tools
 * (documents given to `feedwatch match`, feedwatch-gen's text sources).
 */
#ifndef FW_FILE_H
#define FW_FILE_H

#include <stddef.h>
#include <stdint.h>

/*
 * Read all of <path> into a heap buffer (*out, freed by the caller; one
 * spare byte past *len). Returns 0, or -errno with *out NULL.
 */
int file_read_all(const char *path, uint8_t **out, size_t *len);

#endif
