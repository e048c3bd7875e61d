/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The whole in-kernel irqchip (KVMINI_CREATE_IRQCHIP) and the PIT
 * (KVMINI_CREATE_PIT2) for the kvmini selftests: the guest's port and
 * MMIO accessors of the two 8259 PICs, the IOAPIC and the 8254 PIT, and
 * the host's raw calls (-errno) of the ioctls that drive them.
 *
 * The PICs: master at 0x20/0x21, slave at 0xa0/0xa1 (cascaded on the
 * master's pin 2), ELCR at 0x4d0/0x4d1.  KVM creates them as if already
 * initialized (vector base 0, nothing masked): a guest programs them
 * (pic_init()) before any line goes up.  The IOAPIC's window is at
 * 0xfec00000 (vm_create_guest_irqchip() maps it 1:1): IOREGSEL at +0,
 * IOWIN at +0x10, redirection entry N at registers 0x10 + 2N (low half)
 * and 0x11 + 2N (high half), every entry masked at reset.
 * KVM's default routes: GSI 0-15 to the PIC pin and the IOAPIC pin of the
 * same number, GSI 16-23 to the IOAPIC only.
 */
#ifndef KVMINI_SELFTEST_IRQCHIP_H
#define KVMINI_SELFTEST_IRQCHIP_H

#include <stdint.h>

#include "kvmini_util.h"
#include "kvmini_vm.h"

#define PIC_MASTER_CMD		0x20
#define PIC_MASTER_DATA		0x21
#define PIC_SLAVE_CMD		0xa0
#define PIC_SLAVE_DATA		0xa1
#define PIC_ELCR_MASTER		0x4d0
#define PIC_ELCR_SLAVE		0x4d1
#define PIC_MASTER_BASE		0x20	/* the vectors pic_init() gives IRQ 0-7 */
#define PIC_SLAVE_BASE		0x28	/* and IRQ 8-15 */
#define PIC_OCW2_EOI		0x20	/* non-specific EOI */
#define PIC_OCW2_SEOI(irq)	(0x60 | ((irq) & 7))	/* specific EOI */
#define PIC_OCW3_READ_IRR	0x0a
#define PIC_OCW3_READ_ISR	0x0b

#define IOAPIC_GPA		0xfec00000ULL
#define IOAPIC_REG_ID		0x00
#define IOAPIC_REG_VERSION	0x01
#define IOAPIC_REG_ARB		0x02
#define IOAPIC_REDIR(pin)	(0x10 + 2 * (pin))
#define IOAPIC_DELIVS		(1U << 12)
#define IOAPIC_REMOTE_IRR	(1U << 14)
#define IOAPIC_LEVEL		(1U << 15)
#define IOAPIC_MASKED		(1U << 16)

#define PIT_CH0			0x40
#define PIT_CH2			0x42
#define PIT_CMD			0x43
#define PIT_SPEAKER		0x61
#define PIT_HZ			1193182ULL	/* the 8254's input clock */

/* ------------------------------------------------------------------ */
/* Guest side */

static inline void outb(uint16_t port, uint8_t val)
{
	asm volatile("outb %0, %1" : : "a"(val), "Nd"(port) : "memory");
}

static inline uint8_t inb(uint16_t port)
{
	uint8_t val;

	asm volatile("inb %1, %0" : "=a"(val) : "Nd"(port) : "memory");
	return val;
}

/*
 * ICW1-4 on both PICs: edge-triggered, cascaded, 8086 mode, normal EOI;
 * vectors PIC_MASTER_BASE and PIC_SLAVE_BASE; then the masks (IMR).
 */
static inline void pic_init(uint8_t master_imr, uint8_t slave_imr)
{
	outb(PIC_MASTER_CMD, 0x11);
	outb(PIC_MASTER_DATA, PIC_MASTER_BASE);
	outb(PIC_MASTER_DATA, 1 << 2);		/* the slave on pin 2 */
	outb(PIC_MASTER_DATA, 0x01);
	outb(PIC_SLAVE_CMD, 0x11);
	outb(PIC_SLAVE_DATA, PIC_SLAVE_BASE);
	outb(PIC_SLAVE_DATA, 2);		/* its cascade identity */
	outb(PIC_SLAVE_DATA, 0x01);
	outb(PIC_MASTER_DATA, master_imr);
	outb(PIC_SLAVE_DATA, slave_imr);
}

/* OCW3 then a read of the command port: IRR or ISR of the PIC at @cmd. */
static inline uint8_t pic_read_irr(uint16_t cmd)
{
	outb(cmd, PIC_OCW3_READ_IRR);
	return inb(cmd);
}

static inline uint8_t pic_read_isr(uint16_t cmd)
{
	outb(cmd, PIC_OCW3_READ_ISR);
	return inb(cmd);
}

static inline uint32_t ioapic_read(uint32_t reg)
{
	*(volatile uint32_t *)(uintptr_t)IOAPIC_GPA = reg;
	return *(volatile uint32_t *)(uintptr_t)(IOAPIC_GPA + 0x10);
}

static inline void ioapic_write(uint32_t reg, uint32_t val)
{
	*(volatile uint32_t *)(uintptr_t)IOAPIC_GPA = reg;
	*(volatile uint32_t *)(uintptr_t)(IOAPIC_GPA + 0x10) = val;
}

/* Redirection entry of @pin: fixed delivery to physical APIC ID @dest. */
static inline void ioapic_route(int pin, uint32_t low, uint8_t dest)
{
	ioapic_write(IOAPIC_REDIR(pin) + 1, (uint32_t)dest << 24);
	ioapic_write(IOAPIC_REDIR(pin), low);
}

/* Channel @ch: @mode, the count's LSB then MSB, binary; then @count. */
static inline void pit_program(int ch, int mode, uint16_t count)
{
	outb(PIT_CMD, ch << 6 | 3 << 4 | mode << 1);
	outb(PIT_CH0 + ch, count & 0xff);
	outb(PIT_CH0 + ch, count >> 8);
}

/* Counter latch command (access 0), then the latched LSB and MSB. */
static inline uint16_t pit_latched(int ch)
{
	uint16_t lo;

	outb(PIT_CMD, ch << 6);
	lo = inb(PIT_CH0 + ch);
	return lo | inb(PIT_CH0 + ch) << 8;
}

/* Read-back command latching channel @ch's status only; then the status. */
static inline uint8_t pit_status(int ch)
{
	outb(PIT_CMD, 0xc0 | 0x20 | 2 << ch);
	return inb(PIT_CH0 + ch);
}

/* ------------------------------------------------------------------ */
/* Host side */

/* Guest: with IF=1 until *@ticks reaches @n or @ms milliseconds passed. */
static inline void wait_ticks(volatile uint64_t *ticks, uint64_t n, uint64_t ms,
			      uint64_t tsc_per_ms)
{
	uint64_t t0 = rdtsc();

	guest_sti();
	while (*ticks < n && rdtsc() - t0 < ms * tsc_per_ms)
		asm volatile("pause");
	guest_cli();
}

/* Run to the guest's next GUEST_SYNC (dies on anything else): its values. */
static inline uint64_t *irq_next_sync(struct kvmini_vcpu *vcpu)
{
	static struct ucall uc;

	if (vcpu_run_ucall(vcpu, &uc) != UCALL_SYNC)
		LIB_FAIL("guest done before its SYNC");
	return uc.args;
}


/* KVMINI_IRQ_LINE_STATUS (@status: its result) or KVMINI_IRQ_LINE (NULL). */
static inline long irq_line(struct kvmini_vm *vm, uint32_t gsi, uint32_t level, int32_t *status)
{
	struct kvmini_irq_level l = { .irq = gsi, .level = level };
	long r = ioctl_err(vm->fd, status ? KVMINI_IRQ_LINE_STATUS : KVMINI_IRQ_LINE,
			   (unsigned long)&l);

	if (status)
		*status = l.status;
	return r;
}

/* The status of KVMINI_IRQ_LINE_STATUS (-1000 if the ioctl failed). */
static inline int32_t line_status(struct kvmini_vm *vm, uint32_t gsi, uint32_t level)
{
	int32_t status = 0;

	return irq_line(vm, gsi, level, &status) ? -1000 : status;
}

static inline long get_irqchip(struct kvmini_vm *vm, uint32_t chip, struct kvmini_irqchip *c)
{
	memset(c, 0, sizeof(*c));
	c->chip_id = chip;
	return ioctl_err(vm->fd, KVMINI_GET_IRQCHIP, (unsigned long)c);
}

static inline long create_pit2(struct kvmini_vm *vm, uint32_t flags)
{
	struct kvmini_pit_config cfg = { .flags = flags };

	return ioctl_err(vm->fd, KVMINI_CREATE_PIT2, (unsigned long)&cfg);
}

/*
 * In a harness test, on the result of create_pit2(): skip the test (freeing
 * @vm) if kvmini has no PIT yet (EINVAL or ENOTTY); on KVM it must be 0.
 */
#define REQUIRE_PIT(vm, r) do {						\
	long __r = (r);							\
	if (__r && !kvmini_dev_is_kvm() && (__r == -EINVAL || __r == -ENOTTY)) { \
		vm_free(vm);						\
		SKIP(return, "%s: no in-kernel PIT (KVMINI_CREATE_PIT2: %s)", \
		     kvmini_dev_path(), strerror((int)-__r));		\
	}								\
	ASSERT_EQ(0, __r);						\
} while (0)

#endif
