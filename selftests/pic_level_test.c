// SPDX-License-Identifier: GPL-2.0
/*
 * Level-triggered pins of the in-kernel 8259 pair (KVMINI_CREATE_IRQCHIP),
 * as KVM has them.  The ELCR (ports 0x4d0, 0x4d1) keeps only the bits KVM
 * lets be level: 0xf8 on the master (pins 0-2 edge only), 0xde on the
 * slave (pins 8 and 13).  A slave pin made level-triggered stays in IRR
 * at INTA and comes again after each EOI while its line is high; not once
 * it is lowered.  KVMINI_IRQ_LINE_STATUS for such a GSI: 1 raised, 0
 * raised again (the PIC has it in IRR, the IOAPIC's masked edge pin is
 * high already), 2 lowered.
 * The slave's spurious IRQ 15 (vector 0x2f) comes when a level request on
 * the slave goes away before the INTA; the master's spurious IRQ 7 does
 * not (its output drops with the request; KVM gives it only if a request
 * goes away between its two looks at the PIC within one injection, which
 * no VMM can arrange).
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
GUEST_IRQ_HANDLER(pic_stub_2b, 0x2b, pic_irq);
GUEST_IRQ_HANDLER(pic_stub_2f, 0x2f, pic_irq);

static struct kvmini_vm *pic_vm(void *fn, struct kvmini_vcpu **vcpu)
{
	struct kvmini_vm *vm = vm_create_guest_irqchip(fn, vcpu);

	if (!vm)
		return NULL;
	vcpu_set_cpuid_supported(*vcpu);
	apic_set_irq_gate(vm, 0x2b, pic_stub_2b);
	apic_set_irq_gate(vm, 0x2f, pic_stub_2f);
	return vm;
}

/* Slave pin 3 (GSI 11) level-triggered in the ELCR. */
static void guest_level(void)
{
	uint8_t m, s;

	pic_init(0xfb, 0xf7);
	outb(PIC_ELCR_MASTER, 0xff);		/* only the bits KVM allows stay */
	outb(PIC_ELCR_SLAVE, 0xff);
	m = inb(PIC_ELCR_MASTER);
	s = inb(PIC_ELCR_SLAVE);
	outb(PIC_ELCR_MASTER, 0);
	outb(PIC_ELCR_SLAVE, 0x08);
	GUEST_SYNC4(m, s, inb(PIC_ELCR_MASTER), inb(PIC_ELCR_SLAVE));
	guest_sti();
	GUEST_SYNC(1);				/* GSI 11 high from here */
	GUEST_SYNC4(irq_count, irq_last, pic_read_irr(PIC_SLAVE_CMD),
		    pic_read_isr(PIC_SLAVE_CMD));
	outb(PIC_SLAVE_CMD, PIC_OCW2_EOI);
	outb(PIC_MASTER_CMD, PIC_OCW2_EOI);	/* still high: again */
	asm volatile("nop; nop" ::: "memory");
	GUEST_SYNC4(irq_count, irq_last, pic_read_isr(PIC_SLAVE_CMD), 0);
	outb(PIC_SLAVE_CMD, PIC_OCW2_EOI);
	outb(PIC_MASTER_CMD, PIC_OCW2_EOI);
	asm volatile("nop; nop" ::: "memory");
	GUEST_SYNC(irq_count);			/* lowered meanwhile */
	outb(PIC_SLAVE_CMD, PIC_OCW2_EOI);
	outb(PIC_MASTER_CMD, PIC_OCW2_EOI);
	asm volatile("nop; nop" ::: "memory");
	GUEST_SYNC4(irq_count, pic_read_irr(PIC_SLAVE_CMD), pic_read_isr(PIC_SLAVE_CMD),
		    pic_read_isr(PIC_MASTER_CMD));
}

TEST(level_elcr)
{
	struct kvmini_vcpu *vcpu;
	struct kvmini_vm *vm = pic_vm(guest_level, &vcpu);
	uint64_t *v;

	REQUIRE_IRQCHIP(vm);
	v = irq_next_sync(vcpu);
	/* KVM's ELCR masks: master 0xf8 (pins 0-2 edge only), slave 0xde (8, 13). */
	EXPECT_EQ(0xf8ULL, v[0]);
	EXPECT_EQ(0xdeULL, v[1]);
	EXPECT_EQ(0ULL, v[2]);
	EXPECT_EQ(0x08ULL, v[3]);
	irq_next_sync(vcpu);
	EXPECT_EQ(1, line_status(vm, 11, 1));
	/* High already: the PIC's IRR has it (0), the IOAPIC's too (0). */
	EXPECT_EQ(0, line_status(vm, 11, 1));
	v = irq_next_sync(vcpu);
	EXPECT_EQ(1ULL, v[0]);
	EXPECT_EQ(0x2bULL, v[1]);
	EXPECT_EQ(0x08ULL, v[2]);		/* level: IRR stays set at INTA */
	EXPECT_EQ(0x08ULL, v[3]);
	v = irq_next_sync(vcpu);
	EXPECT_EQ(2ULL, v[0]);			/* after the EOI, again */
	EXPECT_EQ(0x2bULL, v[1]);
	EXPECT_EQ(0x08ULL, v[2]);
	EXPECT_EQ(2, line_status(vm, 11, 0));
	v = irq_next_sync(vcpu);
	EXPECT_EQ(2ULL, v[0]);			/* lowered before the EOI: no third */
	v = irq_next_sync(vcpu);
	EXPECT_EQ(2ULL, v[0]);
	EXPECT_EQ(0ULL, v[1]);
	EXPECT_EQ(0ULL, v[2]);
	EXPECT_EQ(0ULL, v[3]);
	vm_free(vm);
}

/*
 * The slave's spurious IRQ 15: a level request on the slave pulses the
 * master's (edge-only) pin 2, which stays in the master's IRR when the
 * slave's line goes down again; at INTA the slave has nothing, so vector
 * slave base + 7 comes, the master's pin 2 in service, nothing in the
 * slave's.  (The master's own spurious IRQ 7 cannot be made to come: a
 * request gone from the master drops its output with it.)
 */
static void guest_spurious(void)
{
	pic_init(0xfb, 0xf7);
	outb(PIC_ELCR_SLAVE, 0x08);
	GUEST_SYNC(1);				/* IF=0; GSI 11 up and down meanwhile */
	GUEST_SYNC4(pic_read_irr(PIC_MASTER_CMD), pic_read_irr(PIC_SLAVE_CMD), 0, 0);
	guest_sti();
	asm volatile("nop; nop" ::: "memory");
	guest_cli();
	GUEST_SYNC4(irq_count, irq_last, pic_read_isr(PIC_MASTER_CMD),
		    pic_read_isr(PIC_SLAVE_CMD));
}

TEST(spurious_slave)
{
	struct kvmini_vcpu *vcpu;
	struct kvmini_vm *vm = pic_vm(guest_spurious, &vcpu);
	uint64_t *v;

	REQUIRE_IRQCHIP(vm);
	irq_next_sync(vcpu);
	EXPECT_EQ(1, line_status(vm, 11, 1));
	EXPECT_EQ(2, line_status(vm, 11, 0));
	v = irq_next_sync(vcpu);
	EXPECT_EQ(0x04ULL, v[0]);		/* the cascade's edge stays latched */
	EXPECT_EQ(0ULL, v[1]);			/* the level request is gone */
	v = irq_next_sync(vcpu);
	EXPECT_EQ(1ULL, v[0]);
	EXPECT_EQ(0x2fULL, v[1]);
	EXPECT_EQ(0x04ULL, v[2]);
	EXPECT_EQ(0ULL, v[3]);
	vm_free(vm);
}

TEST_HARNESS_MAIN
