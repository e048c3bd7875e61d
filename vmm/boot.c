// SPDX-License-Identifier: GPL-2.0
/*
 * Starting Linux: the x86 boot protocol's 32-bit entry (Documentation/
 * arch/x86/boot.rst), and the few ACPI tables the kernel needs to find its
 * CPUs and IOAPIC (MADT) and to power itself off (FADT, DSDT with \_S5).
 *
 * The bzImage's protected-mode part goes to 1 MiB, the initramfs to the
 * top of RAM, boot_params (the "zero page") with the setup header, the
 * command line and the e820 map below 640 KiB; the BSP starts in flat
 * 32-bit protected mode at the kernel's code32_start with ESI pointing at
 * boot_params, which is all the boot protocol asks. No BIOS and no real-mode
 * setup code run.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vmm.h"

/* boot_params and its setup header (offsets into the zero page). */
#define BP_ACPI_RSDP	0x070
#define BP_E820_ENTRIES	0x1e8
#define BP_SETUP_SECTS	0x1f1
#define BP_BOOT_FLAG	0x1fe		/* 0xaa55 */
#define BP_JUMP		0x200		/* the header ends at 0x202 + byte 0x201 */
#define BP_HEADER	0x202		/* "HdrS" */
#define BP_VERSION	0x206
#define BP_LOADER	0x210
#define BP_LOADFLAGS	0x211
#define BP_CODE32_START	0x214
#define BP_RAMDISK	0x218
#define BP_RAMDISK_SIZE	0x21c
#define BP_CMD_LINE_PTR	0x228
#define BP_INITRD_MAX	0x22c
#define BP_CMDLINE_SIZE	0x238
#define BP_INIT_SIZE	0x260
#define BP_E820_TABLE	0x2d0
#define BP_HDR_END_MAX	0x290		/* where boot_params' header area ends */
#define LOADED_HIGH	0x01
#define CAN_USE_HEAP	0x80
#define E820_RAM	1
#define E820_RESERVED	2

static void put16(uint8_t *p, uint16_t v) { memcpy(p, &v, 2); }
static void put32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }
static void put64(uint8_t *p, uint64_t v) { memcpy(p, &v, 8); }
static uint16_t get16(const uint8_t *p) { uint16_t v; memcpy(&v, p, 2); return v; }
static uint32_t get32(const uint8_t *p) { uint32_t v; memcpy(&v, p, 4); return v; }

static void *read_file(const char *path, size_t *size, char *err, size_t errlen)
{
	struct stat st;
	void *buf = NULL;
	size_t done = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0 || fstat(fd, &st) < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode) || st.st_size <= 0 || st.st_size > (1 << 30)) {
		snprintf(err, errlen, "%s: not a regular file of 1 byte to 1 GiB", path);
		goto out;
	}
	buf = malloc(st.st_size);
	if (!buf) {
		snprintf(err, errlen, "%s: out of memory", path);
		goto out;
	}
	while (done < (size_t)st.st_size) {
		ssize_t r = read(fd, (char *)buf + done, st.st_size - done);

		if (r <= 0) {
			snprintf(err, errlen, "%s: read: %s", path, r ? strerror(errno) : "short");
			free(buf);
			buf = NULL;
			goto out;
		}
		done += r;
	}
	*size = done;
out:
	if (fd >= 0)
		close(fd);
	return buf;
}

static void e820_add(uint8_t *bp, uint64_t addr, uint64_t size, uint32_t type)
{
	uint8_t *e = bp + BP_E820_TABLE + 20 * bp[BP_E820_ENTRIES]++;

	put64(e, addr);
	put64(e + 8, size);
	put32(e + 16, type);
}

int boot_load_linux(struct guest *g, const char *kernel, const char *initramfs,
		    const char *cmdline, char *err, size_t errlen)
{
	uint8_t *ram = g->ram, *bp = ram + GPA_BOOT_PARAMS, *k;
	size_t ksize, setup, hdr_end, rd_size = 0;
	uint64_t rd_addr = 0, top, kernel_end;
	void *rd = NULL;
	int ret = -1;

	k = read_file(kernel, &ksize, err, errlen);
	if (!k)
		return -1;
	if (ksize < 0x1000 || get16(k + BP_BOOT_FLAG) != 0xaa55 ||
	    memcmp(k + BP_HEADER, "HdrS", 4) || get16(k + BP_VERSION) < 0x020a ||
	    !(k[BP_LOADFLAGS] & LOADED_HIGH)) {
		snprintf(err, errlen, "%s: not a bzImage of boot protocol 2.10 or later", kernel);
		goto out;
	}
	setup = ((k[BP_SETUP_SECTS] ? k[BP_SETUP_SECTS] : 4) + 1) * 512;
	hdr_end = BP_HEADER + k[BP_JUMP + 1];
	if (setup >= ksize || hdr_end > BP_HDR_END_MAX) {
		snprintf(err, errlen, "%s: the setup header is malformed", kernel);
		goto out;
	}
	kernel_end = GPA_KERNEL + ksize - setup;
	if (GPA_KERNEL + get32(k + BP_INIT_SIZE) > kernel_end)
		kernel_end = GPA_KERNEL + get32(k + BP_INIT_SIZE);
	if (kernel_end > g->ram_size) {
		snprintf(err, errlen, "%s: needs %llu MiB to decompress itself", kernel,
			 (unsigned long long)(kernel_end >> 20) + 1);
		goto out;
	}
	if (strlen(cmdline) >= get32(k + BP_CMDLINE_SIZE) || strlen(cmdline) >= GPA_LOW_END - GPA_CMDLINE) {
		snprintf(err, errlen, "bootargs: longer than the kernel's %u bytes",
			 get32(k + BP_CMDLINE_SIZE));
		goto out;
	}
	memcpy(ram + GPA_KERNEL, k + setup, ksize - setup);

	if (initramfs) {
		rd = read_file(initramfs, &rd_size, err, errlen);
		if (!rd)
			goto out;
		top = g->ram_size;
		if (top > (uint64_t)get32(k + BP_INITRD_MAX) + 1)
			top = (uint64_t)get32(k + BP_INITRD_MAX) + 1;
		rd_addr = (top - rd_size) & ~0xfffull;
		if (rd_size > top || rd_addr < kernel_end) {
			snprintf(err, errlen, "%s: %zu bytes do not fit beside the kernel in %u MiB",
				 initramfs, rd_size, g->mf->memory_mib);
			goto out;
		}
		memcpy(ram + rd_addr, rd, rd_size);
	}

	/* The zero page: the kernel's own setup header, then what we fill in. */
	memset(bp, 0, 4096);
	memcpy(bp + BP_SETUP_SECTS, k + BP_SETUP_SECTS, hdr_end - BP_SETUP_SECTS);
	bp[BP_LOADER] = 0xff;				/* a loader with no ID */
	bp[BP_LOADFLAGS] |= CAN_USE_HEAP;
	put32(bp + BP_CMD_LINE_PTR, GPA_CMDLINE);
	put32(bp + BP_RAMDISK, rd_addr);
	put32(bp + BP_RAMDISK_SIZE, rd_size);
	put64(bp + BP_ACPI_RSDP, GPA_ACPI);
	strcpy((char *)ram + GPA_CMDLINE, cmdline);
	e820_add(bp, 0, GPA_LOW_END, E820_RAM);
	e820_add(bp, GPA_LOW_END, 0xa0000 - GPA_LOW_END, E820_RESERVED);
	e820_add(bp, GPA_ACPI, 0x100000 - GPA_ACPI, E820_RESERVED);
	e820_add(bp, 0x100000, g->ram_size - 0x100000, E820_RAM);

	/* Flat 4 GiB code (__BOOT_CS 0x10) and data (__BOOT_DS 0x18). */
	put64(ram + GPA_GDT + 0x10, 0x00cf9b000000ffffull);
	put64(ram + GPA_GDT + 0x18, 0x00cf93000000ffffull);
	ret = 0;
out:
	free(rd);
	free(k);
	return ret;
}

/* --- ACPI --- */

#define ACPI_RSDT	(GPA_ACPI + 0x040)
#define ACPI_FADT	(GPA_ACPI + 0x080)
#define ACPI_FACS	(GPA_ACPI + 0x200)	/* 64-byte aligned */
#define ACPI_DSDT	(GPA_ACPI + 0x240)
#define ACPI_MADT	(GPA_ACPI + 0x300)

static uint8_t checksum(const uint8_t *p, size_t n)
{
	uint8_t sum = 0;

	while (n--)
		sum += *p++;
	return -sum;
}

/* A table's 36-byte header; the checksum is set by acpi_done(). */
static uint8_t *acpi_table(struct guest *g, uint64_t gpa, const char *sig, uint8_t rev)
{
	uint8_t *t = g->ram + gpa;

	memcpy(t, sig, 4);
	t[8] = rev;
	memcpy(t + 10, "KVMINI", 6);
	memcpy(t + 16, "KVMINIVM", 8);
	put32(t + 24, 1);
	memcpy(t + 28, "KVMI", 4);
	put32(t + 32, 1);
	return t;
}

static void acpi_done(uint8_t *t, uint32_t len)
{
	put32(t + 4, len);
	t[9] = checksum(t, len);
}

void boot_acpi(struct guest *g)
{
	/* \_S5 = Package { 5, 5, 0, 0 }: SLP_TYP 5 is the VMM's power-off. */
	static const uint8_t s5[] = { 0x08, '_', 'S', '5', '_', 0x12, 0x08, 0x04,
				      0x0a, 0x05, 0x0a, 0x05, 0x00, 0x00 };
	uint8_t *rsdp = g->ram + GPA_ACPI, *t, *e;
	uint32_t n = g->mf->vcpus;

	memcpy(rsdp, "RSD PTR ", 8);
	memcpy(rsdp + 9, "KVMINI", 6);
	rsdp[15] = 0;					/* ACPI 1.0: RSDT only */
	put32(rsdp + 16, ACPI_RSDT);
	rsdp[8] = checksum(rsdp, 20);

	t = acpi_table(g, ACPI_RSDT, "RSDT", 1);
	put32(t + 36, ACPI_FADT);
	put32(t + 40, ACPI_MADT);
	acpi_done(t, 44);

	t = acpi_table(g, ACPI_FADT, "FACP", 3);
	put32(t + 36, ACPI_FACS);
	put32(t + 40, ACPI_DSDT);
	put16(t + 46, GSI_SCI);
	put32(t + 56, PORT_PM1A_EVT);
	put32(t + 64, PORT_PM1A_CNT);
	t[88] = 4;					/* PM1_EVT_LEN */
	t[89] = 2;					/* PM1_CNT_LEN */
	put16(t + 109, 0);				/* IAPC_BOOT_ARCH: no 8042 */
	/* WBINVD, no fixed power/sleep buttons, RESET_REG_SUP */
	put32(t + 112, (1 << 0) | (1 << 4) | (1 << 5) | (1 << 10));
	t[116] = 1;					/* RESET_REG: system I/O, */
	t[117] = 8;					/* 8 bits */
	t[119] = 1;					/* byte access */
	put64(t + 120, 0xcf9);
	t[128] = 0x06;					/* RESET_VALUE */
	acpi_done(t, 244);

	t = g->ram + ACPI_FACS;
	memcpy(t, "FACS", 4);
	put32(t + 4, 64);
	t[32] = 1;					/* version */

	t = acpi_table(g, ACPI_DSDT, "DSDT", 2);
	memcpy(t + 36, s5, sizeof(s5));
	acpi_done(t, 36 + sizeof(s5));

	t = acpi_table(g, ACPI_MADT, "APIC", 1);
	put32(t + 36, GPA_LAPIC);
	put32(t + 40, 1);				/* PCAT_COMPAT: 8259s present */
	e = t + 44;
	for (uint32_t i = 0; i < n; i++, e += 8) {	/* local APICs, enabled */
		e[0] = 0;
		e[1] = 8;
		e[2] = i;
		e[3] = i;
		put32(e + 4, 1);
	}
	e[0] = 1;					/* the IOAPIC, GSIs 0-23 */
	e[1] = 12;
	e[2] = n;					/* its ID: after the CPUs' */
	put32(e + 4, GPA_IOAPIC);
	put32(e + 8, 0);
	e += 12;
	/*
	 * No override for ISA IRQ 0: the PIT is GSI 0, IOAPIC pin 0, by
	 * KVM's default routes (QEMU moves it to pin 2 with its own routing
	 * table and says so here; we keep KVM's table and say nothing).
	 */
	e[0] = 2;					/* SCI: GSI 9, level, active high */
	e[1] = 10;
	e[3] = GSI_SCI;
	put32(e + 4, GSI_SCI);
	put16(e + 8, 0x0d);
	e += 10;
	acpi_done(t, e - t);
}
