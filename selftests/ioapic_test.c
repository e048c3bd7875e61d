// SPDX-License-Identifier: GPL-2.0
/*
 * The in-kernel IOAPIC (KVMINI_CREATE_IRQCHIP), as KVM has it, programmed
 * by the guest through its window at 0xfec00000.  Registers: ID (bits
 * 27:24, 4 bits writable), version 0x00170011 (24 pins, version 0x11, not
 * writable), arbitration ID = the ID; IOREGSEL reads back; every entry is
 * 0x00010000 (masked) at reset, a register past pin 23 reads all ones.
 * An edge pin delivers its vector to the local APIC (the guest EOIs
 * there); a masked pin nothing, and an edge that came while masked is
 * lost at the unmasking.  A level pin's remote IRR (bit 14) is set at
 * delivery and cleared by the LAPIC EOI, after which the pin, still high,
 * delivers again; not once lowered.  GSI 16-23 reach the IOAPIC alone.
 * KVMINI_IRQ_LINE_STATUS for an IOAPIC-only GSI: 1 delivered (to one
 * APIC), 0 for an edge pin already high, -1 masked or waiting for its EOI
 * (remote IRR), 1 for a lowered line; -1 for a GSI with no route.
 * KVMINI_IRQFD with KVMINI_IRQFD_FLAG_RESAMPLE on a level pin: the signal
 * raises the pin and it stays up; the guest's EOI lowers it and signals
 * the resamplefd.
 */
#include <poll.h>
#include <sys/eventfd.h>

#include "kvmini_util.h"
#include "kvmini_vm.h"
#include "kvmini_apic.h"
#include "kvmini_irqchip.h"
#include "kselftest_harness.h"

#define VEC_EDGE	0x50
#define VEC_MASKED	0x51
#define VEC_LEVEL	0x52

/* Guest state: interrupts taken per vector VEC_EDGE + n; what to wait for. */
uint64_t irq_count[3], irq_want[3];

/* No EOI here: the guest's code EOIs where the test wants it. */
GUEST_IRQ_FN void ioapic_irq(uint64_t vec, uint64_t rip)
{
	irq_count[vec - VEC_EDGE]++;
}
GUEST_IRQ_HANDLER(stub_50, 0x50, ioapic_irq);
GUEST_IRQ_HANDLER(stub_51, 0x51, ioapic_irq);
GUEST_IRQ_HANDLER(stub_52, 0x52, ioapic_irq);

/* LAPIC on; both PICs and LVT0 masked: GSI 0-15 reach only the IOAPIC's pins. */
static void guest_setup(void)
{
	outb(PIC_MASTER_DATA, 0xff);
	outb(PIC_SLAVE_DATA, 0xff);
	xapic_enable(0xff);
	xapic_write(APIC_LVT0, APIC_LVT_DM_EXTINT | APIC_LVT_MASKED);
}

static struct kvmini_vm *ioapic_vm(void *fn, struct kvmini_vcpu **vcpu)
{
	struct kvmini_vm *vm = vm_create_guest_irqchip(fn, vcpu);

	if (!vm)
		return NULL;
	vcpu_set_cpuid_supported(*vcpu);
	apic_set_irq_gate(vm, VEC_EDGE, stub_50);
	apic_set_irq_gate(vm, VEC_MASKED, stub_51);
	apic_set_irq_gate(vm, VEC_LEVEL, stub_52);
	return vm;
}

static void guest_regs(void)
{
	uint32_t id, ver, arb, sel, lo, hi, far;

	guest_setup();
	id = ioapic_read(IOAPIC_REG_ID);
	ver = ioapic_read(IOAPIC_REG_VERSION);
	arb = ioapic_read(IOAPIC_REG_ARB);
	lo = ioapic_read(IOAPIC_REDIR(23));
	hi = ioapic_read(IOAPIC_REDIR(23) + 1);
	far = ioapic_read(IOAPIC_REDIR(24));
	GUEST_SYNC4(id, ver, arb, (uint64_t)far << 32 | lo | hi);
	ioapic_write(IOAPIC_REG_ID, 0xff000000);
	ioapic_write(IOAPIC_REG_VERSION, 0);
	*(volatile uint32_t *)(uintptr_t)IOAPIC_GPA = 0x12;
	sel = *(volatile uint32_t *)(uintptr_t)IOAPIC_GPA;
	GUEST_SYNC4(ioapic_read(IOAPIC_REG_ID), ioapic_read(IOAPIC_REG_VERSION),
		    ioapic_read(IOAPIC_REG_ARB), sel);
}

TEST(registers)
{
	struct kvmini_vcpu *vcpu;
	struct kvmini_vm *vm = ioapic_vm(guest_regs, &vcpu);
	uint64_t *v;

	REQUIRE_IRQCHIP(vm);
	v = irq_next_sync(vcpu);
	EXPECT_EQ(0ULL, v[0]);
	EXPECT_EQ(0x00170011ULL, v[1]);
	EXPECT_EQ(0ULL, v[2]);
	EXPECT_EQ(0xffffffff00010000ULL, v[3]);	/* pin 23 at reset; past the pins */
	v = irq_next_sync(vcpu);
	EXPECT_EQ(0x0f000000ULL, v[0]);		/* 4 ID bits */
	EXPECT_EQ(0x00170011ULL, v[1]);
	EXPECT_EQ(0x0f000000ULL, v[2]);
	EXPECT_EQ(0x12ULL, v[3]);
	vm_free(vm);
}

/* GSI 16 edge, GSI 4 masked, GSI 17 level. */
static void guest_pins(void)
{
	guest_setup();
	ioapic_route(16, VEC_EDGE, 0);
	ioapic_route(4, VEC_MASKED | IOAPIC_MASKED, 0);
	ioapic_route(17, VEC_LEVEL | IOAPIC_LEVEL, 0);
	guest_sti();
	GUEST_SYNC(1);				/* GSI 16 and 4 raised meanwhile */
	GUEST_SYNC4(irq_count[0], irq_count[1], 0, 0);
	xapic_eoi();
	ioapic_route(4, VEC_MASKED, 0);		/* line high, unmasked: lost */
	asm volatile("nop; nop" ::: "memory");
	GUEST_SYNC4(irq_count[1], 0, 0, 0);	/* GSI 4 lowered, raised again */
	GUEST_SYNC4(irq_count[1], 0, 0, 0);
	xapic_eoi();
	GUEST_SYNC(2);				/* GSI 17 high from here */
	GUEST_SYNC4(irq_count[2], ioapic_read(IOAPIC_REDIR(17)),
		    xapic_read(APIC_VEC_REG(APIC_TMR, VEC_LEVEL)), 0);
	xapic_eoi();				/* still high: again */
	asm volatile("nop; nop" ::: "memory");
	GUEST_SYNC4(irq_count[2], ioapic_read(IOAPIC_REDIR(17)), 0, 0);
	xapic_eoi();				/* lowered meanwhile: not again */
	asm volatile("nop; nop" ::: "memory");
	GUEST_SYNC4(irq_count[2], ioapic_read(IOAPIC_REDIR(17)), 0, 0);
}

TEST(edge_masked_level)
{
	struct kvmini_vcpu *vcpu;
	struct kvmini_vm *vm = ioapic_vm(guest_pins, &vcpu);
	uint64_t *v;

	REQUIRE_IRQCHIP(vm);
	irq_next_sync(vcpu);
	EXPECT_EQ(1, line_status(vm, 16, 1));	/* one APIC took it */
	EXPECT_EQ(0, line_status(vm, 16, 1));	/* an edge pin already high */
	EXPECT_EQ(1, line_status(vm, 16, 0));
	EXPECT_EQ(-1, line_status(vm, 4, 1));	/* masked in the IOAPIC and the PIC */
	EXPECT_EQ(-1, line_status(vm, 24, 1));	/* no route */
	v = irq_next_sync(vcpu);
	EXPECT_EQ(1ULL, v[0]);
	EXPECT_EQ(0ULL, v[1]);
	v = irq_next_sync(vcpu);
	EXPECT_EQ(0ULL, v[0]) TH_LOG("an edge that came while masked, at the unmasking");
	EXPECT_EQ(1, line_status(vm, 4, 0));	/* the IOAPIC's 1; the masked PIC's -1 */
	EXPECT_EQ(1, line_status(vm, 4, 1));
	EXPECT_EQ(1, line_status(vm, 4, 0));
	v = irq_next_sync(vcpu);
	EXPECT_EQ(1ULL, v[0]);
	irq_next_sync(vcpu);
	EXPECT_EQ(1, line_status(vm, 17, 1));
	EXPECT_EQ(-1, line_status(vm, 17, 1));	/* remote IRR: waits for the EOI */
	v = irq_next_sync(vcpu);
	EXPECT_EQ(1ULL, v[0]);
	EXPECT_EQ((uint64_t)(VEC_LEVEL | IOAPIC_LEVEL | IOAPIC_REMOTE_IRR), v[1]);
	EXPECT_EQ((uint64_t)APIC_VEC_BIT(VEC_LEVEL), v[2]);	/* TMR: level */
	v = irq_next_sync(vcpu);
	EXPECT_EQ(2ULL, v[0]);
	EXPECT_EQ((uint64_t)(VEC_LEVEL | IOAPIC_LEVEL | IOAPIC_REMOTE_IRR), v[1]);
	EXPECT_EQ(1, line_status(vm, 17, 0));
	v = irq_next_sync(vcpu);
	EXPECT_EQ(2ULL, v[0]);
	EXPECT_EQ((uint64_t)(VEC_LEVEL | IOAPIC_LEVEL), v[1]);
	vm_free(vm);
}

/* GSI 18 level; the guest halts until it has irq_want[2], then EOIs. */
static void guest_resample(void)
{
	guest_setup();
	ioapic_route(18, VEC_LEVEL | IOAPIC_LEVEL, 0);
	for (;;) {
		GUEST_SYNC4(irq_count[2], ioapic_read(IOAPIC_REDIR(18)), 0, 0);
		guest_cli();
		while (*(volatile uint64_t *)&irq_count[2] < *(volatile uint64_t *)&irq_want[2])
			guest_sti_hlt();
		GUEST_SYNC4(irq_count[2], ioapic_read(IOAPIC_REDIR(18)), 0, 0);
		xapic_eoi();
	}
}

/* The resamplefd's count (0 if not signalled). */
static uint64_t resampled(int fd)
{
	uint64_t n = 0;

	if (read(fd, &n, 8) != 8)
		return 0;
	return n;
}

TEST(irqfd_resample)
{
	struct kvmini_vcpu *vcpu;
	struct kvmini_vm *vm = ioapic_vm(guest_resample, &vcpu);
	int efd = eventfd(0, 0), rfd = eventfd(0, EFD_NONBLOCK);
	struct kvmini_irqfd a = {
		.fd = efd, .gsi = 18, .flags = KVMINI_IRQFD_FLAG_RESAMPLE, .resamplefd = rfd,
	};
	uint64_t one = 1, *v;
	int n;

	REQUIRE_IRQCHIP(vm);
	EXPECT_EQ(1, ioctl(vm->fd, KVMINI_CHECK_EXTENSION, KVMINI_CAP_IRQFD_RESAMPLE));
	ASSERT_EQ(0, ioctl_err(vm->fd, KVMINI_IRQFD, (unsigned long)&a));
	v = irq_next_sync(vcpu);
	EXPECT_EQ((uint64_t)(VEC_LEVEL | IOAPIC_LEVEL), v[1]);
	for (n = 1; n <= 2; n++) {
		/* Signalled: the pin goes up and stays up until the EOI. */
		GUEST_VAR(vm, irq_want)[2] = n;
		ASSERT_EQ(8, write(efd, &one, 8));
		v = irq_next_sync(vcpu);
		EXPECT_EQ((uint64_t)n, v[0]);
		EXPECT_EQ((uint64_t)(VEC_LEVEL | IOAPIC_LEVEL | IOAPIC_REMOTE_IRR), v[1]);
		EXPECT_EQ(0ULL, resampled(rfd));
		/* The EOI: lowered (not delivered again) and the resamplefd signalled. */
		v = irq_next_sync(vcpu);
		EXPECT_EQ((uint64_t)n, v[0]);
		EXPECT_EQ((uint64_t)(VEC_LEVEL | IOAPIC_LEVEL), v[1]);
		EXPECT_EQ(1ULL, resampled(rfd));
	}
	a.flags |= KVMINI_IRQFD_FLAG_DEASSIGN;
	EXPECT_EQ(0, ioctl_err(vm->fd, KVMINI_IRQFD, (unsigned long)&a));
	close(efd);
	close(rfd);
	vm_free(vm);
}

TEST_HARNESS_MAIN
