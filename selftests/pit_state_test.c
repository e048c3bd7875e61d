// SPDX-License-Identifier: GPL-2.0
/*
 * The in-kernel PIT's state, as KVM has it: KVMINI_GET/SET_PIT2 move
 * modes, counts and flags (SET loads the counts again: a mode 2 channel 0
 * ticks from there); KVM's reset state: every channel mode 0xff, count
 * 0x10000, gate 1 but channel 2's 0, nothing latched, flags and reserved
 * 0.  KVMINI_REINJECT_CONTROL is accepted, and without reinjection the
 * ticks go on.  Errors: GET/SET_PIT2 and REINJECT_CONTROL without a PIT
 * are ENXIO; a second CREATE_PIT2 EEXIST (KVM creates one without an
 * irqchip too: it just never ticks).
 */
#include "kvmini_util.h"
#include "kvmini_vm.h"
#include "kvmini_apic.h"
#include "kvmini_irqchip.h"
#include "kselftest_harness.h"

#define COUNT_10MS	11932		/* 10 ms at 1193182 Hz */

/* Guest state: ticks; set by the host: TSC per ms. */
uint64_t ticks, tsc_per_ms;

GUEST_IRQ_FN void pic_tick(uint64_t vec, uint64_t rip)
{
	ticks++;
	outb(PIC_MASTER_CMD, PIC_OCW2_EOI);	/* the ack KVM's reinjection waits for */
}
GUEST_IRQ_HANDLER(pic_stub, 0x20, pic_tick);

static struct kvmini_vm *pit_vm(void *fn, struct kvmini_vcpu **vcpu, long *r)
{
	struct kvmini_vm *vm = vm_create_guest_irqchip(fn, vcpu);

	if (!vm)
		return NULL;
	vcpu_set_cpuid_supported(*vcpu);
	apic_set_irq_gate(vm, 0x20, pic_stub);
	GUEST_VAR(vm, tsc_per_ms) = vcpu_ioctl(*vcpu, KVMINI_GET_TSC_KHZ, 0);
	*r = create_pit2(vm, KVMINI_PIT_SPEAKER_DUMMY);
	return vm;
}

static void guest_ticks(void)
{
	pic_init(0xfe, 0xff);			/* IRQ 0 by the PIC */
	GUEST_SYNC(0);
	wait_ticks(&ticks, 3, 2000, tsc_per_ms);
	GUEST_SYNC4(ticks, pit_status(0), 0, 0);
	wait_ticks(&ticks, 6, 2000, tsc_per_ms);
	GUEST_SYNC4(ticks, 0, 0, 0);
}

/* KVM's reset state; SET_PIT2 of a mode 2 channel 0 makes it tick. */
TEST(state_round_trip)
{
	struct kvmini_vcpu *vcpu;
	struct kvmini_pit_state2 ps, ps2;
	struct kvmini_reinject_control rc = { .pit_reinject = 0 };
	long r;
	struct kvmini_vm *vm = pit_vm(guest_ticks, &vcpu, &r);
	uint64_t *v;
	int i;

	REQUIRE_IRQCHIP(vm);
	REQUIRE_PIT(vm, r);
	memset(&ps, 0xaa, sizeof(ps));
	ASSERT_EQ(0, ioctl_err(vm->fd, KVMINI_GET_PIT2, (unsigned long)&ps));
	for (i = 0; i < 3; i++) {
		EXPECT_EQ(0xff, ps.channels[i].mode);
		EXPECT_EQ(0x10000U, ps.channels[i].count);
		EXPECT_EQ(i != 2, ps.channels[i].gate);
		EXPECT_EQ(0, ps.channels[i].rw_mode);
		EXPECT_EQ(0, ps.channels[i].bcd);
		EXPECT_EQ(0, ps.channels[i].count_latched);
		EXPECT_EQ(0, ps.channels[i].status_latched);
	}
	EXPECT_EQ(0U, ps.flags);
	for (i = 0; i < 9; i++)
		EXPECT_EQ(0U, ps.reserved[i]);
	irq_next_sync(vcpu);
	ps.channels[0].mode = 2;
	ps.channels[0].count = COUNT_10MS;
	ps.channels[0].rw_mode = ps.channels[0].read_state = ps.channels[0].write_state = 3;
	ps.channels[1].mode = 3;
	ps.channels[1].count = 0x1234;
	ps.flags = KVMINI_PIT_FLAGS_SPEAKER_DATA_ON;
	ASSERT_EQ(0, ioctl_err(vm->fd, KVMINI_SET_PIT2, (unsigned long)&ps));
	ASSERT_EQ(0, ioctl_err(vm->fd, KVMINI_GET_PIT2, (unsigned long)&ps2));
	EXPECT_EQ(2, ps2.channels[0].mode);
	EXPECT_EQ((uint32_t)COUNT_10MS, ps2.channels[0].count);
	EXPECT_EQ(3, ps2.channels[0].rw_mode);
	EXPECT_EQ(3, ps2.channels[1].mode);
	EXPECT_EQ(0x1234U, ps2.channels[1].count);
	EXPECT_EQ(0xff, ps2.channels[2].mode);
	EXPECT_EQ((uint32_t)KVMINI_PIT_FLAGS_SPEAKER_DATA_ON, ps2.flags);
	v = irq_next_sync(vcpu);
	EXPECT_GE(v[0], 3ULL) TH_LOG("no ticks after SET_PIT2");
	EXPECT_EQ(0x34ULL, v[1] & 0x7f);
	/* Without reinjection (and back): the ticks go on. */
	EXPECT_EQ(0, ioctl_err(vm->fd, KVMINI_REINJECT_CONTROL, (unsigned long)&rc));
	v = irq_next_sync(vcpu);
	EXPECT_GE(v[0], 6ULL);
	rc.pit_reinject = 1;
	EXPECT_EQ(0, ioctl_err(vm->fd, KVMINI_REINJECT_CONTROL, (unsigned long)&rc));
	vm_free(vm);
}

TEST(errors)
{
	struct kvmini_reinject_control rc = { .pit_reinject = 1 };
	struct kvmini_vm *vm = vm_create(), *plain;
	struct kvmini_pit_state2 ps;

	REQUIRE_VM(vm);
	/* KVM creates a PIT without an irqchip as well (it never ticks there). */
	REQUIRE_PIT(vm, create_pit2(vm, KVMINI_PIT_SPEAKER_DUMMY));
	/* KVM 6.1 reports each of these as 1. */
	EXPECT_EQ(1, ioctl(vm->fd, KVMINI_CHECK_EXTENSION, KVMINI_CAP_IRQCHIP));
	EXPECT_EQ(1, ioctl(vm->fd, KVMINI_CHECK_EXTENSION, KVMINI_CAP_PIT));
	EXPECT_EQ(1, ioctl(vm->fd, KVMINI_CHECK_EXTENSION, KVMINI_CAP_PIT2));
	EXPECT_EQ(1, ioctl(vm->fd, KVMINI_CHECK_EXTENSION, KVMINI_CAP_PIT_STATE2));
	EXPECT_EQ(1, ioctl(vm->fd, KVMINI_CHECK_EXTENSION, KVMINI_CAP_REINJECT_CONTROL));
	EXPECT_EQ(1, ioctl(vm->fd, KVMINI_CHECK_EXTENSION, KVMINI_CAP_IRQ_INJECT_STATUS));
	EXPECT_EQ(-EEXIST, create_pit2(vm, KVMINI_PIT_SPEAKER_DUMMY));
	EXPECT_EQ(-EEXIST, create_pit2(vm, 0));
	EXPECT_EQ(0, ioctl_err(vm->fd, KVMINI_GET_PIT2, (unsigned long)&ps));
	EXPECT_EQ(0, ioctl_err(vm->fd, KVMINI_REINJECT_CONTROL, (unsigned long)&rc));
	vm_free(vm);
	plain = vm_create_irqchip();
	REQUIRE_IRQCHIP(plain);
	EXPECT_EQ(-ENXIO, ioctl_err(plain->fd, KVMINI_GET_PIT2, (unsigned long)&ps));
	EXPECT_EQ(-ENXIO, ioctl_err(plain->fd, KVMINI_SET_PIT2, (unsigned long)&ps));
	EXPECT_EQ(-ENXIO, ioctl_err(plain->fd, KVMINI_REINJECT_CONTROL, (unsigned long)&rc));
	vm_free(plain);
}

TEST_HARNESS_MAIN
