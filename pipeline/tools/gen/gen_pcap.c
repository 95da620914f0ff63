/*
 * The classic pcap writer of feedwatch-gen: microsecond stamps from a fixed
 * epoch, so a seed gives the same file byte for byte, and one large stdio
 * buffer, because benchmark captures run to gigabytes.
 */
#include "tools/gen/gen_net.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define PCAP_MAGIC   0xa1b2c3d4u
#define PCAP_SNAPLEN 262144u
#define DLT_EN10MB   1u
#define PCAP_EPOCH   1767225600ull /* 2026-01-01T00:00:00Z */
#define PCAP_BUFSZ   (4u << 20)

struct gen_pcap {
	FILE *f;
	char *buf;
	uint64_t t_us; /* capture clock, microseconds since PCAP_EPOCH */
	uint64_t frames;
	uint64_t bytes; /* file bytes, global header included */
	int err;        /* first write error, -errno */
};

struct gen_pcap *
gen_pcap_open(const char *path)
{
	struct gen_pcap *p = NULL;
	/* pcap-savefile(5): written in the writer's byte order, told by the magic */
	const uint32_t hdr[6] = { PCAP_MAGIC, 2u | (4u << 16), 0, 0, PCAP_SNAPLEN, DLT_EN10MB };

	p = calloc(1, sizeof(*p));
	if (p == NULL) {
		goto fail;
	}
	p->buf = malloc(PCAP_BUFSZ);
	if (p->buf == NULL) {
		goto fail;
	}
	p->f = fopen(path, "wb");
	if (p->f == NULL) {
		goto fail;
	}
	if (setvbuf(p->f, p->buf, _IOFBF, PCAP_BUFSZ) != 0 ||
	    fwrite(hdr, sizeof(hdr), 1, p->f) != 1) {
		goto fail;
	}
	p->bytes = sizeof(hdr);
	return p;
fail:
	if (p != NULL) {
		if (p->f != NULL) {
			fclose(p->f);
		}
		free(p->buf);
		free(p);
	}
	return NULL;
}

int
gen_pcap_frame(struct gen_pcap *p, const uint8_t *frame, size_t len, uint32_t gap_us)
{
	uint32_t rec[4];

	if (p->err != 0) {
		return p->err;
	}
	if (len > PCAP_SNAPLEN) {
		return -EMSGSIZE;
	}
	p->t_us += gap_us;
	rec[0] = (uint32_t)(PCAP_EPOCH + p->t_us / 1000000u);
	rec[1] = (uint32_t)(p->t_us % 1000000u);
	rec[2] = (uint32_t)len;
	rec[3] = (uint32_t)len;
	if (fwrite(rec, sizeof(rec), 1, p->f) != 1 || fwrite(frame, 1, len, p->f) != len) {
		p->err = errno != 0 ? -errno : -EIO;
		return p->err;
	}
	p->frames++;
	p->bytes += sizeof(rec) + len;
	return 0;
}

uint64_t
gen_pcap_frames(const struct gen_pcap *p)
{
	return p->frames;
}

uint64_t
gen_pcap_bytes(const struct gen_pcap *p)
{
	return p->bytes;
}

int
gen_pcap_close(struct gen_pcap *p)
{
	int rc;

	if (p == NULL) {
		return 0;
	}
	rc = p->err;
	if (fclose(p->f) != 0 && rc == 0) {
		rc = errno != 0 ? -errno : -EIO;
	}
	free(p->buf);
	free(p);
	return rc;
}
