/*
 * Fuzz target: the configuration file, any bytes. config_load() must either
 * return a configuration and no error, or no configuration and one error
 * that names the file (and, for anything in it, the line and column): never
 * crash, leak or accept a value outside its key's range.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "core/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fw_config *cfg;
	char path[64], *err = NULL;
	int fd = memfd_create("fuzz-config", MFD_CLOEXEC);

	if (fd < 0 || (size > 0 && write(fd, data, size) != (ssize_t)size)) {
		abort();
	}
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	cfg = config_load(path, &err);
	close(fd);
	if ((cfg == NULL) == (err == NULL)) {
		abort(); /* exactly one of them */
	}
	if (err != NULL && strncmp(err, path, strlen(path)) != 0) {
		abort(); /* every problem names the file */
	}
	if (cfg != NULL &&
	    (cfg->max_clients < 1 || cfg->client_buffer < 65536 || cfg->socket_mode > 0777 ||
	     cfg->out_format > CONFIG_FORMAT_ECS || cfg->slow_policy > CONFIG_SLOW_SKIP ||
	     cfg->n_http_ports > CONFIG_MAX_PORTS || cfg->n_udp_ports > CONFIG_MAX_PORTS ||
	     cfg->flows < 16 || cfg->journal_segment_bytes < (1u << 20) ||
	     cfg->n_pci > CONFIG_MAX_PCI || cfg->n_eal_args > CONFIG_MAX_EAL || cfg->burst < 1 ||
	     cfg->burst > CONFIG_MAX_BURST || cfg->log_level > CONFIG_LOG_DEBUG ||
	     cfg->control_mode > 0777 || cfg->iface_frames < 64 ||
	     (cfg->iface_frames & (cfg->iface_frames - 1)) != 0 ||
	     (cfg->pcap[0] != 0) + (cfg->iface[0] != 0) + (cfg->n_pci > 0) > 1)) {
		abort(); /* a value outside its key's range got through */
	}
	config_free(cfg);
	free(err);
	return 0;
}
