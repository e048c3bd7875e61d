/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kvmini-vmm's insides: one struct guest per manifest node, its devices and
 * the helpers the files share.
 *
 *   main.c    the manifest, the threads, signals, stopping and the summary
 *   guest.c   a VM on /dev/kvmini: memory, irqchip, PIT, vCPUs, the exit loop
 *   boot.c    Linux's x86 boot protocol (bzImage, boot_params, e820) and
 *             the ACPI tables (MADT for the CPUs and the IOAPIC, FADT and a
 *             DSDT with \_S5 so that the guest can power itself off)
 *   uart.c    a 16550A on COM1 (IRQ 4) and the console behind it
 *
 * Threads: main, one per vCPU, one per pty console. A guest's devices are
 * under its dev_lock (vCPU threads and the console thread); the console
 * output streams under out_lock (several guests may print to stdout).
 */
#ifndef KVMINI_VMM_H
#define KVMINI_VMM_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include <linux/kvmini.h>

#include "manifest.h"

/* The guest's physical memory map (all RAM is below 3 GiB, one slot). */
#define GPA_GDT		0x1000
#define GPA_BOOT_PARAMS	0x7000
#define GPA_CMDLINE	0x20000
#define GPA_LOW_END	0x9fc00		/* low RAM ends here: EBDA-sized hole */
#define GPA_ACPI	0xe0000		/* RSDP and the tables (reserved) */
#define GPA_KERNEL	0x100000	/* bzImage's protected-mode code */
#define GPA_IOAPIC	0xfec00000u
#define GPA_LAPIC	0xfee00000u

/* I/O ports the VMM answers (the irqchip and the PIT are in the kernel). */
#define PORT_COM1	0x3f8
#define PORT_KBD_CMD	0x64		/* 8042 command: 0xfe pulses reset */
#define PORT_RTC	0x70		/* CMOS index, data at 0x71 */
#define PORT_PM1A_EVT	0x600		/* ACPI PM1a event block (4 bytes) */
#define PORT_PM1A_CNT	0x604		/* ACPI PM1a control (2 bytes) */
#define GSI_COM1	4
#define GSI_SCI		9

enum guest_end {			/* why a guest stopped, first one wins */
	END_RUNNING,
	END_POWEROFF,			/* ACPI S5: the guest powered off */
	END_STOPPED,			/* another guest's power-off, or SIGINT */
	END_RESET,			/* 8042 reset or a reset system event */
	END_TRIPLE_FAULT,		/* KVMINI_EXIT_SHUTDOWN */
	END_ERROR,			/* an exit the VMM cannot handle */
};

struct uart {
	uint8_t ier, iir_thre, lcr, mcr, scr, dll, dlm, fcr;
	uint8_t rx[16];
	unsigned int rx_head, rx_len;
	bool irq_level;			/* what KVMINI_IRQ_LINE was last told */
	/* output */
	int out_fd;			/* stdout, the file, or the pty master */
	const char *prefix;		/* MF_CONSOLE_STDOUT: each line's prefix */
	char line[256];
	unsigned int line_len;
};

struct vcpu {
	struct guest *g;
	unsigned int id;
	int fd;
	struct kvmini_run *run;
	pthread_t thread;
	bool started;
};

struct guest {
	const struct mf_guest *mf;
	int vm_fd;
	uint8_t *ram;
	uint64_t ram_size;
	struct vcpu vcpu[MF_MAX_VCPUS];
	pthread_mutex_t dev_lock;
	struct uart uart;
	uint8_t rtc_index;
	uint8_t pm1[6];			/* ACPI PM1a status, enable, control */
	char pty_name[64];
	pthread_t console_thread;
	bool console_started;
	atomic_int end;			/* enum guest_end */
	char end_detail[160];
	double started_at, ended_at;	/* seconds, CLOCK_MONOTONIC */
};

/* main.c */
extern pthread_mutex_t out_lock;
extern int kvm_dev_fd;			/* /dev/kvmini (or -d DEVICE) */
extern int vcpu_mmap_size;
double now(void);
void guest_end(struct guest *g, enum guest_end why, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

/* guest.c */
int guest_create(struct guest *g, const struct mf_guest *mf, const char *dir,
		 char *err, size_t errlen);
int guest_start(struct guest *g, char *err, size_t errlen);
void guest_kick(struct guest *g);	/* every vCPU out of KVMINI_RUN */
void guest_join(struct guest *g);
void guest_destroy(struct guest *g);
void set_irq_line(struct guest *g, unsigned int gsi, int level);

/* boot.c */
int boot_load_linux(struct guest *g, const char *kernel, const char *initramfs,
		    const char *cmdline, char *err, size_t errlen);
void boot_acpi(struct guest *g);

/* uart.c */
void uart_init(struct guest *g, int out_fd, const char *prefix);
uint8_t uart_in(struct guest *g, unsigned int reg);
void uart_out(struct guest *g, unsigned int reg, uint8_t val);
unsigned int uart_rx_room(struct guest *g);
void uart_rx_push(struct guest *g, const uint8_t *buf, unsigned int n);
void uart_flush(struct guest *g);	/* the last partial line, at the end */

#endif
