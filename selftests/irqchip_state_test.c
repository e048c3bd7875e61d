// SPDX-License-Identifier: GPL-2.0
/*
 * KVMINI_GET/SET_IRQCHIP (chip 0: master PIC, 1: slave PIC, 2: IOAPIC),
 * as KVM has them.  KVM's reset state: both PICs all zero (initialized,
 * vector base 0, nothing masked) but their ELCR masks (0xf8, 0xde); the
 * IOAPIC at 0xfec00000, ID 0, every entry just masked.  A guest with its
 * PICs and IOAPIC programmed and a level interrupt in service (remote IRR
 * set, the line high) moves to a second VM: the three chips, the PIT, the
 * local APIC, registers and memory; there its EOI clears remote IRR, the
 * line still high delivers again, and later interrupts of both the PIC
 * and the IOAPIC arrive.  Errors, as KVM: chip 3 EINVAL; no irqchip or
 * the split one ENXIO (chip 3 too: that is looked at first);
 * KVMINI_CREATE_IRQCHIP a second time or after the split irqchip EEXIST,
 * after a vCPU EINVAL; the split irqchip after KVMINI_CREATE_IRQCHIP
 * EEXIST (but EINVAL for more pins than it allows: looked at first);
 * KVMINI_INTERRUPT on a vCPU of the whole irqchip ENXIO (its ExtINT comes
 * from the in-kernel PIC), EINVAL for a vector >= 256 still.
 */
#include "kvmini_util.h"
#include "kvmini_vm.h"
#include "kvmini_apic.h"
#include "kvmini_irqchip.h"
#include "kselftest_harness.h"

#define VEC_LEVEL	0x53
#define LEVEL_GSI	19
#define PIT_COUNT	0x1234

/* Guest state: PIC interrupts (IRQ 1) and level ones (GSI 19) taken. */
uint64_t pic_count, level_count;

GUEST_IRQ_FN void pic_irq(uint64_t vec, uint64_t rip)
{
	pic_count++;
	outb(PIC_MASTER_CMD, PIC_OCW2_EOI);
}
GUEST_IRQ_HANDLER(pic_stub, 0x21, pic_irq);

/* No EOI: the guest's code gives it where the test wants it. */
GUEST_IRQ_FN void level_irq(uint64_t vec, uint64_t rip)
{
	level_count++;
}
GUEST_IRQ_HANDLER(level_stub, 0x53, level_irq);

static void guest_busy(void)
{
	pic_init(0xfd, 0xff);				/* IRQ 1 only */
	xapic_enable(0xff);
	xapic_write(APIC_LVT0, APIC_LVT_DM_EXTINT);	/* the PIC's way in */
	ioapic_route(LEVEL_GSI, VEC_LEVEL | IOAPIC_LEVEL, 0);
	pit_program(0, 2, PIT_COUNT);			/* its IRQ 0 masked */
	guest_sti();
	GUEST_SYNC(1);					/* GSI 19 up from here */
	GUEST_SYNC4(level_count, ioapic_read(IOAPIC_REDIR(LEVEL_GSI)), 0, 0);
	/* Saved here, restored in another VM. */
	xapic_eoi();					/* still high: again */
	asm volatile("nop; nop" ::: "memory");
	GUEST_SYNC4(level_count, ioapic_read(IOAPIC_REDIR(LEVEL_GSI)), 0, 0);
	xapic_eoi();					/* lowered meanwhile */
	asm volatile("nop; nop" ::: "memory");
	GUEST_SYNC4(level_count, ioapic_read(IOAPIC_REDIR(LEVEL_GSI)), 0, 0);
	asm volatile("nop; nop" ::: "memory");		/* IRQ 1 and GSI 19 came */
	GUEST_SYNC4(pic_count, level_count, ioapic_read(IOAPIC_REDIR(LEVEL_GSI)),
		    pic_read_isr(PIC_MASTER_CMD));
}

static struct kvmini_vm *busy_vm(struct kvmini_vcpu **vcpu)
{
	struct kvmini_vm *vm = vm_create_guest_irqchip(guest_busy, vcpu);

	if (!vm)
		return NULL;
	vcpu_set_cpuid_supported(*vcpu);
	apic_set_irq_gate(vm, 0x21, pic_stub);
	apic_set_irq_gate(vm, VEC_LEVEL, level_stub);
	return vm;
}

#define REDIR_LEVEL	(VEC_LEVEL | IOAPIC_LEVEL)

TEST(move_in_service)
{
	struct kvmini_vcpu *vcpu, *vcpu2;
	struct kvmini_vm *vm = busy_vm(&vcpu), *vm2;
	struct kvmini_irqchip chip[3], got;
	struct kvmini_pit_state2 pit;
	struct kvmini_lapic_state lapic;
	struct kvmini_sregs sregs;
	struct kvmini_regs regs;
	uint64_t *v;
	int i;

	REQUIRE_IRQCHIP(vm);
	REQUIRE_PIT(vm, create_pit2(vm, KVMINI_PIT_SPEAKER_DUMMY));
	irq_next_sync(vcpu);
	EXPECT_EQ(1, line_status(vm, LEVEL_GSI, 1));
	v = irq_next_sync(vcpu);
	ASSERT_EQ(1ULL, v[0]);
	ASSERT_EQ((uint64_t)(REDIR_LEVEL | IOAPIC_REMOTE_IRR), v[1]);
	/* Complete the ucall's OUT without entering the guest; then save. */
	vcpu->run->immediate_exit = 1;
	ASSERT_EQ(-EINTR, vcpu_run(vcpu));
	vcpu->run->immediate_exit = 0;
	vcpu_ioctl(vcpu, KVMINI_GET_REGS, &regs);
	vcpu_ioctl(vcpu, KVMINI_GET_SREGS, &sregs);
	vcpu_ioctl(vcpu, KVMINI_GET_LAPIC, &lapic);
	for (i = 0; i < 3; i++)
		ASSERT_EQ(0, get_irqchip(vm, i, &chip[i]));
	ASSERT_EQ(0, ioctl_err(vm->fd, KVMINI_GET_PIT2, (unsigned long)&pit));
	EXPECT_EQ(PIC_MASTER_BASE, chip[0].chip.pic.irq_base);
	EXPECT_EQ(0xfd, chip[0].chip.pic.imr);
	EXPECT_EQ(0, chip[0].chip.pic.init_state);
	EXPECT_EQ(PIC_SLAVE_BASE, chip[1].chip.pic.irq_base);
	EXPECT_EQ(0xff, chip[1].chip.pic.imr);
	EXPECT_EQ(0xfec00000ULL, chip[2].chip.ioapic.base_address);
	EXPECT_EQ((uint64_t)(REDIR_LEVEL | IOAPIC_REMOTE_IRR),
		  chip[2].chip.ioapic.redirtbl[LEVEL_GSI].bits);
	EXPECT_EQ(1U << LEVEL_GSI, chip[2].chip.ioapic.irr & ~1U);	/* the line is high */
	EXPECT_EQ(APIC_VEC_BIT(VEC_LEVEL), apic_page_reg(&lapic, APIC_VEC_REG(APIC_ISR, VEC_LEVEL)));
	EXPECT_EQ(APIC_VEC_BIT(VEC_LEVEL), apic_page_reg(&lapic, APIC_VEC_REG(APIC_TMR, VEC_LEVEL)));
	EXPECT_EQ(2, pit.channels[0].mode);
	EXPECT_EQ((uint32_t)PIT_COUNT, pit.channels[0].count);

	/* A second VM: memory, registers, its LAPIC, the chips and the PIT. */
	vm2 = busy_vm(&vcpu2);
	ASSERT_NE(NULL, vm2);
	ASSERT_EQ(0, create_pit2(vm2, KVMINI_PIT_SPEAKER_DUMMY));
	ASSERT_EQ(vm->slots[0].size, vm2->slots[0].size);
	memcpy(vm2->slots[0].hva, vm->slots[0].hva, vm->slots[0].size);
	vcpu_ioctl(vcpu2, KVMINI_SET_SREGS, &sregs);
	vcpu_ioctl(vcpu2, KVMINI_SET_REGS, &regs);
	vcpu_ioctl(vcpu2, KVMINI_SET_LAPIC, &lapic);
	for (i = 0; i < 3; i++)
		ASSERT_EQ(0, ioctl_err(vm2->fd, KVMINI_SET_IRQCHIP, (unsigned long)&chip[i]));
	ASSERT_EQ(0, ioctl_err(vm2->fd, KVMINI_SET_PIT2, (unsigned long)&pit));
	vm_free(vm);
	/* Read back (IRQ 0's bits left out: the PIT ticks meanwhile). */
	for (i = 0; i < 2; i++) {
		ASSERT_EQ(0, get_irqchip(vm2, i, &got));
		EXPECT_EQ(chip[i].chip.pic.irq_base, got.chip.pic.irq_base);
		EXPECT_EQ(chip[i].chip.pic.imr, got.chip.pic.imr);
		EXPECT_EQ(chip[i].chip.pic.isr, got.chip.pic.isr);
		EXPECT_EQ(chip[i].chip.pic.elcr, got.chip.pic.elcr);
		EXPECT_EQ(chip[i].chip.pic.read_reg_select, got.chip.pic.read_reg_select);
	}
	ASSERT_EQ(0, get_irqchip(vm2, 2, &got));
	got.chip.ioapic.irr &= ~1U;
	chip[2].chip.ioapic.irr &= ~1U;
	EXPECT_EQ(0, memcmp(&chip[2].chip.ioapic, &got.chip.ioapic, sizeof(got.chip.ioapic)));
	ASSERT_EQ(0, ioctl_err(vm2->fd, KVMINI_GET_PIT2, (unsigned long)&pit));
	EXPECT_EQ(2, pit.channels[0].mode);
	EXPECT_EQ((uint32_t)PIT_COUNT, pit.channels[0].count);

	/* The guest goes on there: its EOI, the line still high. */
	v = irq_next_sync(vcpu2);
	EXPECT_EQ(2ULL, v[0]);
	EXPECT_EQ((uint64_t)(REDIR_LEVEL | IOAPIC_REMOTE_IRR), v[1]);
	EXPECT_EQ(1, line_status(vm2, LEVEL_GSI, 0));
	v = irq_next_sync(vcpu2);
	EXPECT_EQ(2ULL, v[0]);
	EXPECT_EQ((uint64_t)REDIR_LEVEL, v[1]);
	/* New interrupts: the PIC's (edge) and the IOAPIC's. */
	EXPECT_EQ(1, line_status(vm2, 1, 1));
	EXPECT_EQ(2, line_status(vm2, 1, 0));
	EXPECT_EQ(1, line_status(vm2, LEVEL_GSI, 1));
	v = irq_next_sync(vcpu2);
	EXPECT_EQ(1ULL, v[0]);
	EXPECT_EQ(3ULL, v[1]);
	EXPECT_EQ((uint64_t)(REDIR_LEVEL | IOAPIC_REMOTE_IRR), v[2]);
	EXPECT_EQ(0ULL, v[3]);
	vm_free(vm2);
}

TEST(reset_state)
{
	struct kvmini_vm *vm = vm_create_irqchip();
	struct kvmini_irqchip c;
	struct kvmini_pic_state pic = { 0 };
	int i;

	REQUIRE_IRQCHIP(vm);
	for (i = 0; i < 2; i++) {
		ASSERT_EQ(0, get_irqchip(vm, i, &c));
		pic.elcr_mask = i ? 0xde : 0xf8;
		EXPECT_EQ(0, memcmp(&pic, &c.chip.pic, sizeof(pic))) TH_LOG("PIC %d", i);
	}
	ASSERT_EQ(0, get_irqchip(vm, 2, &c));
	EXPECT_EQ(0xfec00000ULL, c.chip.ioapic.base_address);
	EXPECT_EQ(0U, c.chip.ioapic.id);
	EXPECT_EQ(0U, c.chip.ioapic.ioregsel);
	EXPECT_EQ(0U, c.chip.ioapic.irr);
	for (i = 0; i < KVMINI_IOAPIC_NUM_PINS; i++)
		EXPECT_EQ((uint64_t)IOAPIC_MASKED, c.chip.ioapic.redirtbl[i].bits);
	vm_free(vm);
}

static long set_irqchip(struct kvmini_vm *vm, uint32_t chip)
{
	struct kvmini_irqchip c = { .chip_id = chip };

	return ioctl_err(vm->fd, KVMINI_SET_IRQCHIP, (unsigned long)&c);
}

static long enable_split(struct kvmini_vm *vm, uint64_t pins)
{
	struct kvmini_enable_cap cap = { .cap = KVMINI_CAP_SPLIT_IRQCHIP, .args = { pins } };

	return ioctl_err(vm->fd, KVMINI_ENABLE_CAP, (unsigned long)&cap);
}

TEST(errnos)
{
	struct kvmini_vm *vm = vm_create_irqchip(), *other;
	struct kvmini_interrupt irq = { .irq = 0x30 };
	struct kvmini_vcpu *vcpu;
	struct kvmini_irqchip c;

	REQUIRE_IRQCHIP(vm);
	EXPECT_EQ(-EINVAL, get_irqchip(vm, 3, &c));
	EXPECT_EQ(-EINVAL, set_irqchip(vm, 3));
	EXPECT_EQ(-EEXIST, ioctl_err(vm->fd, KVMINI_CREATE_IRQCHIP, 0));
	EXPECT_EQ(-EEXIST, enable_split(vm, 24));
	EXPECT_EQ(-EINVAL, enable_split(vm, 4097));
	vcpu = vcpu_add(vm, 0);
	EXPECT_EQ(-ENXIO, ioctl_err(vcpu->fd, KVMINI_INTERRUPT, (unsigned long)&irq));
	irq.irq = 256;
	EXPECT_EQ(-EINVAL, ioctl_err(vcpu->fd, KVMINI_INTERRUPT, (unsigned long)&irq));
	vm_free(vm);

	other = vm_create();
	ASSERT_NE(NULL, other);
	EXPECT_EQ(-ENXIO, get_irqchip(other, 0, &c));
	EXPECT_EQ(-ENXIO, get_irqchip(other, 3, &c));
	EXPECT_EQ(-ENXIO, set_irqchip(other, 2));
	vcpu_add(other, 0);
	EXPECT_EQ(-EINVAL, ioctl_err(other->fd, KVMINI_CREATE_IRQCHIP, 0));
	vm_free(other);

	other = vm_create_split();
	REQUIRE_SPLIT(other);
	EXPECT_EQ(-ENXIO, get_irqchip(other, 2, &c));
	EXPECT_EQ(-ENXIO, set_irqchip(other, 0));
	EXPECT_EQ(-EEXIST, ioctl_err(other->fd, KVMINI_CREATE_IRQCHIP, 0));
	vm_free(other);
}

TEST_HARNESS_MAIN
