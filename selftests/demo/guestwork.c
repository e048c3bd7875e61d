// SPDX-License-Identifier: GPL-2.0
/*
 * guestwork: what the demo's Linux guests do to prove they ran, and ran
 * apart (static; in each guest's initramfs, and on the build machine for
 * the reference checksum).
 *
 *   guestwork sum NAME MIB     fill MIB MiB from a generator seeded by NAME,
 *                              mix it in one thread per online CPU, print
 *                              the checksum (the same on any machine)
 *   guestwork plant NAME FILE  write 1 MiB of "KVMINI-SECRET-NAME..." markers
 *                              to FILE (on tmpfs: it stays in guest RAM)
 *   guestwork scan             read every RAM segment of /proc/kcore and
 *                              print the names of all markers found: a
 *                              guest must find its own and no other's
 */
#include <elf.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CHUNK		(1u << 20)
#define MARK		"KVMINI-SECRET-"
#define MAX_NAMES	16

static uint64_t seed_of(const char *name)
{
	uint64_t h = 0xcbf29ce484222325ull;	/* FNV-1a */

	while (*name)
		h = (h ^ (uint8_t)*name++) * 0x100000001b3ull;
	return h;
}

struct job {
	uint64_t seed;
	unsigned int first, count;	/* chunks */
	uint64_t *sums;
};

/* Chunk i: xorshift64* from seed+i, folded; each chunk's sum on its own. */
static void *sum_chunks(void *arg)
{
	struct job *j = arg;
	uint64_t *buf = malloc(CHUNK);

	if (!buf)
		exit(1);
	for (unsigned int c = j->first; c < j->first + j->count; c++) {
		uint64_t x = j->seed + c + 1, s = 0;

		for (unsigned int i = 0; i < CHUNK / 8; i++) {
			x ^= x >> 12;
			x ^= x << 25;
			x ^= x >> 27;
			buf[i] = x * 0x2545f4914f6cdd1dull;
		}
		for (unsigned int i = 0; i < CHUNK / 8; i++)
			s = (s ^ buf[i]) * 0x100000001b3ull + (s >> 29);
		j->sums[c] = s;
	}
	free(buf);
	return NULL;
}

static int cmd_sum(const char *name, unsigned int mib)
{
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	uint64_t *sums = calloc(mib, sizeof(*sums)), total = 0;
	pthread_t t[64];
	struct job jobs[64];
	unsigned int n = ncpu < 1 ? 1 : ncpu > 64 ? 64 : ncpu, next = 0;

	if (!sums || !mib)
		return 1;
	for (unsigned int i = 0; i < n; i++) {
		unsigned int count = mib / n + (i < mib % n);

		jobs[i] = (struct job){ seed_of(name), next, count, sums };
		next += count;
		if (pthread_create(&t[i], NULL, sum_chunks, &jobs[i]))
			return 1;
	}
	for (unsigned int i = 0; i < n; i++)
		pthread_join(t[i], NULL);
	for (unsigned int c = 0; c < mib; c++)
		total = total * 31 + sums[c];
	printf("%016llx\n", (unsigned long long)total);
	return 0;
}

/*
 * 64-byte records, so that no marker crosses a page boundary of the file's
 * page cache (pages need not be adjacent in RAM): "KVMINI-SECRET-NAME",
 * padded with dots, a newline.
 */
static int cmd_plant(const char *name, const char *file)
{
	char rec[64];
	int len = snprintf(rec, sizeof(rec), MARK "%s", name);
	FILE *f = fopen(file, "w");

	if (!f || len >= (int)sizeof(rec) - 1)
		return 1;
	memset(rec + len, '.', sizeof(rec) - 1 - len);
	rec[sizeof(rec) - 1] = '\n';
	for (unsigned int done = 0; done < CHUNK; done += sizeof(rec))
		fwrite(rec, sizeof(rec), 1, f);
	return fclose(f) ? 1 : 0;
}

static int is_name_char(uint8_t c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
}

static void note_name(char names[][32], unsigned int *n, const uint8_t *p, size_t len)
{
	char name[32];

	if (len >= sizeof(name))
		len = sizeof(name) - 1;
	memcpy(name, p, len);
	name[len] = 0;
	for (unsigned int i = 0; i < *n; i++)
		if (!strcmp(names[i], name))
			return;
	if (*n < MAX_NAMES)
		strcpy(names[(*n)++], name);
}

static int cmd_scan(void)
{
	static uint8_t buf[CHUNK + 64];
	char names[MAX_NAMES][32];
	unsigned int nnames = 0;
	size_t mlen = strlen(MARK);
	Elf64_Ehdr eh;
	int fd = open("/proc/kcore", O_RDONLY);

	if (fd < 0 || pread(fd, &eh, sizeof(eh), 0) != sizeof(eh) ||
	    memcmp(eh.e_ident, ELFMAG, SELFMAG) || eh.e_phentsize != sizeof(Elf64_Phdr)) {
		perror("guestwork: /proc/kcore");
		return 1;
	}
	for (unsigned int i = 0; i < eh.e_phnum; i++) {
		Elf64_Phdr ph;

		if (pread(fd, &ph, sizeof(ph), eh.e_phoff + i * sizeof(ph)) != sizeof(ph))
			return 1;
		/* RAM (and the kernel text): the segments with a physical address. */
		if (ph.p_type != PT_LOAD || ph.p_paddr == (Elf64_Addr)-1)
			continue;
		size_t keep = 0;	/* bytes carried over from the last read */

		for (uint64_t off = 0; off < ph.p_filesz;) {
			size_t want = ph.p_filesz - off < CHUNK ? ph.p_filesz - off : CHUNK;
			ssize_t r = pread(fd, buf + keep, want, ph.p_offset + off);

			if (r <= 0)
				break;
			size_t have = keep + r;

			for (size_t at = 0; at + mlen < have; at++) {
				if (buf[at] != 'K' || memcmp(buf + at, MARK, mlen))
					continue;
				size_t e = at + mlen;

				while (e < have && is_name_char(buf[e]))
					e++;
				/*
				 * A whole marker ends in '.' or a newline; one cut off by
				 * the read is seen whole in the carried-over bytes.
				 */
				if (e > at + mlen && e < have && (buf[e] == '.' || buf[e] == '\n'))
					note_name(names, &nnames, buf + at + mlen, e - at - mlen);
			}
			keep = have < 64 ? have : 64;	/* a marker across two reads */
			memmove(buf, buf + have - keep, keep);
			off += r;
		}
	}
	for (unsigned int i = 0; i < nnames; i++)
		printf("%s%s", i ? " " : "", names[i]);
	printf("\n");
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 4 && !strcmp(argv[1], "sum"))
		return cmd_sum(argv[2], atoi(argv[3]));
	if (argc == 4 && !strcmp(argv[1], "plant"))
		return cmd_plant(argv[2], argv[3]);
	if (argc == 2 && !strcmp(argv[1], "scan"))
		return cmd_scan();
	fprintf(stderr, "usage: guestwork sum NAME MIB | plant NAME FILE | scan\n");
	return 2;
}
