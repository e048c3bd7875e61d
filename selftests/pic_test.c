// SPDX-License-Identifier: GPL-2.0
/*
 * The in-kernel 8259 pair (KVMINI_CREATE_IRQCHIP), as KVM has it: the
 * guest programs both PICs through their ports (vectors 0x20 and 0x28)
 * and takes their interrupts through LVT0, ExtINT as the BSP's reset
 * value leaves it, with IF=1.  KVMINI_IRQ_LINE on GSI 1 reaches the
 * master, GSI 10 the slave through the cascade (pin 2); an IMR bit holds
 * an edge in IRR until unmasked; OCW2 ends the service (non-specific and
 * specific EOI); OCW3 reads IRR and ISR, and its poll reads the request
 * (see ocw3_poll).  KVMINI_IRQ_LINE_STATUS adds up what each route of the
 * GSI said (KVM's kvm_set_irq(): the sum of the non-negative answers, -1
 * if none): the PIC says 1 for a new request or a lowered line, 0 for one
 * already in IRR, -1 when its IMR masks the pin; the IOAPIC (every pin
 * masked at reset) -1 for a rising edge, 0 for a line already high, 1 for
 * a lowered line.  So for GSI 1-15: raise 1, raise again before it is
 * taken 0, lower 2, masked raise -1, masked lower 1.
 * Level-triggered pins and the spurious IRQ 15: pic_level_test.
 */
#include "kvmini_util.h"
#include "kvmini_vm.h"
#include "kvmini_apic.h"
#include "kvmini_irqchip.h"
#include "kselftest_harness.h"

/* Guest state: interrupts taken, the last vector. */
uint64_t irq_count, irq_last;

/* No EOI here: the guest's code ends the service where the test wants it. */
GUEST_IRQ_FN void pic_irq(uint64_t vec, uint64_t rip)
{
	irq_last = vec;
	irq_count++;
}
GUEST_IRQ_HANDLER(pic_stub_21, 0x21, pic_irq);
GUEST_IRQ_HANDLER(pic_stub_2a, 0x2a, pic_irq);

static struct kvmini_vm *pic_vm(void *fn, struct kvmini_vcpu **vcpu)
{
	struct kvmini_vm *vm = vm_create_guest_irqchip(fn, vcpu);

	if (!vm)
		return NULL;
	vcpu_set_cpuid_supported(*vcpu);
	apic_set_irq_gate(vm, 0x21, pic_stub_21);
	apic_set_irq_gate(vm, 0x2a, pic_stub_2a);
	return vm;
}

/* IRQ 1, IRQ 2 (the cascade), IRQ 10 and 11 unmasked. */
static void guest_edge(void)
{
	pic_init(0xf9, 0xf3);
	GUEST_SYNC4(inb(PIC_MASTER_DATA), inb(PIC_SLAVE_DATA), 0, 0);
	guest_sti();
	GUEST_SYNC(1);				/* GSI 1 raised meanwhile */
	GUEST_SYNC4(irq_count, irq_last, pic_read_isr(PIC_MASTER_CMD),
		    pic_read_irr(PIC_MASTER_CMD));
	outb(PIC_MASTER_CMD, PIC_OCW2_EOI);
	GUEST_SYNC4(pic_read_isr(PIC_MASTER_CMD), 0, 0, 0);	/* GSI 10 raised */
	GUEST_SYNC4(irq_count, irq_last, pic_read_isr(PIC_MASTER_CMD),
		    pic_read_isr(PIC_SLAVE_CMD));
	outb(PIC_SLAVE_CMD, PIC_OCW2_EOI);
	outb(PIC_MASTER_CMD, PIC_OCW2_SEOI(2));
	GUEST_SYNC4(pic_read_isr(PIC_MASTER_CMD), pic_read_isr(PIC_SLAVE_CMD), 0, 0);
	/* IRQ 1 masked: raised twice meanwhile. */
	outb(PIC_MASTER_DATA, 0xfb);
	GUEST_SYNC(2);
	GUEST_SYNC4(irq_count, pic_read_irr(PIC_MASTER_CMD), 0, 0);
	outb(PIC_MASTER_DATA, 0xf9);		/* unmasked: the latched edge */
	asm volatile("nop; nop" ::: "memory");
	GUEST_SYNC4(irq_count, irq_last, pic_read_irr(PIC_MASTER_CMD),
		    pic_read_isr(PIC_MASTER_CMD));
	outb(PIC_MASTER_CMD, PIC_OCW2_SEOI(1));
	/* IF=0: two edges meanwhile make one interrupt. */
	guest_cli();
	GUEST_SYNC(3);
	guest_sti();
	asm volatile("nop; nop" ::: "memory");
	outb(PIC_MASTER_CMD, PIC_OCW2_EOI);
	asm volatile("nop; nop" ::: "memory");
	GUEST_SYNC4(irq_count, irq_last, pic_read_isr(PIC_MASTER_CMD), 0);
}

TEST(edge_cascade_mask_eoi)
{
	struct kvmini_vcpu *vcpu;
	struct kvmini_vm *vm = pic_vm(guest_edge, &vcpu);
	uint64_t *v;

	REQUIRE_IRQCHIP(vm);
	v = irq_next_sync(vcpu);
	EXPECT_EQ(0xf9ULL, v[0]);		/* IMRs read back */
	EXPECT_EQ(0xf3ULL, v[1]);
	irq_next_sync(vcpu);
	/* Master pin 1: a new request (1); the IOAPIC's masked pin adds nothing (-1). */
	EXPECT_EQ(1, line_status(vm, 1, 1));
	EXPECT_EQ(2, line_status(vm, 1, 0));	/* lowered: PIC 1 + IOAPIC 1 */
	v = irq_next_sync(vcpu);
	EXPECT_EQ(1ULL, v[0]);
	EXPECT_EQ(0x21ULL, v[1]);
	EXPECT_EQ(0x02ULL, v[2]);		/* ISR: pin 1 in service */
	EXPECT_EQ(0ULL, v[3]);			/* IRR: an edge is gone at INTA */
	v = irq_next_sync(vcpu);
	EXPECT_EQ(0ULL, v[0]);			/* the non-specific EOI */
	/* Slave pin 2 (GSI 10), through the master's pin 2. */
	EXPECT_EQ(1, line_status(vm, 10, 1));
	EXPECT_EQ(2, line_status(vm, 10, 0));
	v = irq_next_sync(vcpu);
	EXPECT_EQ(2ULL, v[0]);
	EXPECT_EQ(0x2aULL, v[1]);
	EXPECT_EQ(0x04ULL, v[2]);		/* master: the cascade in service */
	EXPECT_EQ(0x04ULL, v[3]);		/* slave: its pin 2 */
	v = irq_next_sync(vcpu);
	EXPECT_EQ(0ULL, v[0]);			/* specific EOI of pin 2 */
	EXPECT_EQ(0ULL, v[1]);
	irq_next_sync(vcpu);
	/* Masked in the IMR: -1 (and -1 from the IOAPIC); lowered: the IOAPIC's 1. */
	EXPECT_EQ(-1, line_status(vm, 1, 1));
	EXPECT_EQ(1, line_status(vm, 1, 0));
	EXPECT_EQ(-1, line_status(vm, 1, 1));
	EXPECT_EQ(1, line_status(vm, 1, 0));
	v = irq_next_sync(vcpu);
	EXPECT_EQ(2ULL, v[0]) TH_LOG("taken while masked");
	EXPECT_EQ(0x02ULL, v[1]);		/* but latched in IRR */
	v = irq_next_sync(vcpu);
	EXPECT_EQ(3ULL, v[0]);			/* once, at the unmasking */
	EXPECT_EQ(0x21ULL, v[1]);
	EXPECT_EQ(0ULL, v[2]);
	EXPECT_EQ(0x02ULL, v[3]);
	irq_next_sync(vcpu);
	/* IF=0: the second edge finds the first in IRR: coalesced (0). */
	EXPECT_EQ(1, line_status(vm, 1, 1));
	EXPECT_EQ(2, line_status(vm, 1, 0));
	EXPECT_EQ(0, line_status(vm, 1, 1));
	EXPECT_EQ(2, line_status(vm, 1, 0));
	v = irq_next_sync(vcpu);
	EXPECT_EQ(4ULL, v[0]);
	EXPECT_EQ(0x21ULL, v[1]);
	EXPECT_EQ(0ULL, v[2]);
	vm_free(vm);
}

/*
 * OCW3's poll command (0x0c): the next read of the command port is the
 * INTA a CPU would do: the highest request leaves IRR (and is not put in
 * service); KVM returns its pin number alone (no bit 7, unlike the
 * 8259A's 0x80 | pin), and 7 with no request.
 */
static void guest_poll(void)
{
	uint64_t p1, p2, irr, isr;

	pic_init(0xf9, 0xf3);
	GUEST_SYNC(1);				/* IF=0; GSI 1 pulsed meanwhile */
	outb(PIC_MASTER_CMD, 0x0c);
	p1 = inb(PIC_MASTER_CMD);
	irr = pic_read_irr(PIC_MASTER_CMD);
	isr = pic_read_isr(PIC_MASTER_CMD);
	outb(PIC_MASTER_CMD, 0x0c);
	p2 = inb(PIC_MASTER_CMD);
	guest_sti();
	asm volatile("nop; nop" ::: "memory");
	GUEST_SYNC4(p1, p2, irr << 8 | isr, irq_count);
}

TEST(ocw3_poll)
{
	struct kvmini_vcpu *vcpu;
	struct kvmini_vm *vm = pic_vm(guest_poll, &vcpu);
	uint64_t *v;

	REQUIRE_IRQCHIP(vm);
	irq_next_sync(vcpu);
	EXPECT_EQ(1, line_status(vm, 1, 1));
	EXPECT_EQ(2, line_status(vm, 1, 0));
	v = irq_next_sync(vcpu);
	EXPECT_EQ(0x01ULL, v[0]);
	EXPECT_EQ(0x07ULL, v[1]);
	EXPECT_EQ(0ULL, v[2]);			/* neither requested nor in service */
	EXPECT_EQ(0ULL, v[3]) TH_LOG("an interrupt for a polled request");
	vm_free(vm);
}

/* No irqchip: KVMINI_IRQ_LINE is ENXIO. */
TEST(no_irqchip)
{
	struct kvmini_vm *vm = vm_create();
	int32_t status;

	REQUIRE_VM(vm);
	EXPECT_EQ(-ENXIO, irq_line(vm, 1, 1, &status));
	EXPECT_EQ(-ENXIO, irq_line(vm, 1, 1, NULL));
	vm_free(vm);
}

TEST_HARNESS_MAIN
