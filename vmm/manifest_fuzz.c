// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: manifest_parse() on any bytes, then its promises
 * (manifest_check.h) checked whatever the outcome; a broken one aborts.
 * make -C vmm fuzz builds it with ASan and UBSan and seeds it with the
 * compiled tests/ *.dts (the good manifests).
 *
 * The bytes are copied to the end of a page that a PROT_NONE page follows
 * (at the last 8-byte boundary: libfdt wants the blob aligned), so that a
 * read past them by libfdt, which is not built with ASan, faults too.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "manifest.h"
#include "manifest_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static unsigned char *area;
static size_t area_len;		/* readable bytes before the guard page */

static unsigned char *guarded_copy(const uint8_t *data, size_t size)
{
	size_t page = sysconf(_SC_PAGESIZE), at;

	if (!area) {
		area_len = (MF_FILE_MAX + 16 + page - 1) / page * page;
		area = mmap(NULL, area_len + page, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (area == MAP_FAILED || mprotect(area + area_len, page, PROT_NONE))
			abort();
	}
	if (size > area_len)
		return NULL;
	at = (area_len - size) & ~(size_t)7;
	memcpy(area + at, data, size);
	return area + at;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct manifest m;
	unsigned char *blob = guarded_copy(data, size);
	char err[256];
	const char *why;
	int rc;

	if (!blob)
		return 0;
	memset(err, 'x', sizeof(err));
	rc = manifest_parse(blob, size, &m, err, sizeof(err));
	why = mf_check(rc, &m, blob, size, err, sizeof(err));
	if (why) {
		fprintf(stderr, "manifest_parse broke a promise: %s (rc %d, err \"%.*s\")\n", why, rc,
			(int)strnlen(err, sizeof(err)), err);
		abort();
	}
	return 0;
}
