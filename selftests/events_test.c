// SPDX-License-Identifier: GPL-2.0
/*
 * KVMINI_{GET,SET}_VCPU_EVENTS and KVMINI_{GET,SET}_MP_STATE without an
 * in-kernel interrupt controller: reset values, a round trip of NMI mask
 * and interrupt shadow, an exception injected through SET_VCPU_EVENTS
 * (#GP, error code 0x1234) reaching the guest's handler, the interrupt
 * shadow after STI, flag validation; every vCPU starts RUNNABLE, only
 * RUNNABLE can be set, and HLT still exits to userspace.
 */
#include "kvmini_util.h"
#include "kvmini_vm.h"
#include "kselftest_harness.h"

#define VALID_GET	(KVMINI_VCPUEVENT_VALID_NMI_PENDING | \
			 KVMINI_VCPUEVENT_VALID_SHADOW | KVMINI_VCPUEVENT_VALID_SMM)

static void get_events(struct kvmini_vcpu *vcpu, struct kvmini_vcpu_events *ev)
{
	memset(ev, 0xaa, sizeof(*ev));
	vcpu_ioctl(vcpu, KVMINI_GET_VCPU_EVENTS, ev);
}

static long set_events(struct kvmini_vcpu *vcpu, struct kvmini_vcpu_events *ev)
{
	return ioctl_err(vcpu->fd, KVMINI_SET_VCPU_EVENTS, (unsigned long)ev);
}

extern char gp_hlt_end[], sti_out[];
static void guest_events(void)
{
	guest_exc_arm(0);		/* the injected #GP resumes at its RIP */
	asm volatile("hlt\n\t"
		     ".globl gp_hlt_end\n"
		     "gp_hlt_end:" ::: "memory");
	GUEST_SYNC4(guest_exc.vector, guest_exc.error_code, guest_exc.rip,
		    guest_exc.count);
	/* OUT in the STI shadow */
	asm volatile("cli\n\t"
		     "sti\n\t"
		     ".globl sti_out\n"
		     "sti_out:\n\t"
		     "outb %%al, $0xe1\n\t"
		     "cli" : : "a"(0) : "memory");
	GUEST_SYNC(1);
}

TEST(round_trip_and_flags)
{
	struct kvmini_vcpu *vcpu;
	struct kvmini_vm *vm = vm_create_guest(guest_events, &vcpu);
	struct kvmini_vcpu_events ev, ev2;

	REQUIRE_VM(vm);
	REQUIRE_CAP(vm, KVMINI_CAP_VCPU_EVENTS);
	get_events(vcpu, &ev);
	EXPECT_EQ((uint32_t)VALID_GET, ev.flags);
	EXPECT_EQ(0, ev.exception.injected);
	EXPECT_EQ(0, ev.exception.pending);
	EXPECT_EQ(0, ev.interrupt.injected);
	EXPECT_EQ(0, ev.interrupt.shadow);
	EXPECT_EQ(0, ev.nmi.pending);
	EXPECT_EQ(0, ev.nmi.masked);
	EXPECT_EQ(0, ev.smi.smm);
	EXPECT_EQ(0U, ev.sipi_vector);

	/* NMI masked and an interrupt shadow, both read back. */
	ev.nmi.masked = 1;
	ev.interrupt.shadow = KVMINI_X86_SHADOW_INT_MOV_SS;
	ev.flags = KVMINI_VCPUEVENT_VALID_NMI_PENDING | KVMINI_VCPUEVENT_VALID_SHADOW;
	ASSERT_EQ(0, set_events(vcpu, &ev));
	get_events(vcpu, &ev2);
	EXPECT_EQ(1, ev2.nmi.masked);
	EXPECT_NE(0, ev2.interrupt.shadow);
	TH_LOG("shadow set MOV_SS, read back %#x", ev2.interrupt.shadow);
	ev.nmi.masked = 0;
	ev.interrupt.shadow = 0;
	ASSERT_EQ(0, set_events(vcpu, &ev));
	get_events(vcpu, &ev2);
	EXPECT_EQ(0, ev2.nmi.masked);
	EXPECT_EQ(0, ev2.interrupt.shadow);

	/* Unknown flags; payload and triple fault without their caps. */
	ev.flags = 0x80000000;
	EXPECT_EQ(-EINVAL, set_events(vcpu, &ev));
	ev.flags = KVMINI_VCPUEVENT_VALID_PAYLOAD;
	EXPECT_EQ(-EINVAL, set_events(vcpu, &ev));
	ev.flags = KVMINI_VCPUEVENT_VALID_TRIPLE_FAULT;
	EXPECT_EQ(-EINVAL, set_events(vcpu, &ev));
	/* Exceptions: vector <= 31 and not NMI. */
	ev.flags = 0;
	ev.exception.injected = 1;
	ev.exception.nr = 32;
	EXPECT_EQ(-EINVAL, set_events(vcpu, &ev));
	ev.exception.nr = 2;
	EXPECT_EQ(-EINVAL, set_events(vcpu, &ev));
	get_events(vcpu, &ev2);
	EXPECT_EQ(0, ev2.exception.injected);
	vm_free(vm);
}

TEST(inject_gp_and_shadow)
{
	struct kvmini_vcpu *vcpu;
	struct kvmini_vm *vm = vm_create_guest(guest_events, &vcpu);
	struct kvmini_vcpu_events ev;
	struct kvmini_regs regs;
	struct ucall uc;

	REQUIRE_VM(vm);
	REQUIRE_CAP(vm, KVMINI_CAP_VCPU_EVENTS);
	vcpu_run_expect(vcpu, KVMINI_EXIT_HLT);
	get_events(vcpu, &ev);
	ev.flags = 0;
	ev.exception.injected = 1;
	ev.exception.nr = 13;
	ev.exception.has_error_code = 1;
	ev.exception.error_code = 0x1234;
	ASSERT_EQ(0, set_events(vcpu, &ev));
	get_events(vcpu, &ev);
	EXPECT_EQ(1, ev.exception.injected);
	EXPECT_EQ(13, ev.exception.nr);
	EXPECT_EQ(1, ev.exception.has_error_code);
	EXPECT_EQ(0x1234U, ev.exception.error_code);
	ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, &uc));
	EXPECT_EQ(13ULL, uc.args[0]);
	EXPECT_EQ(0x1234ULL, uc.args[1]);
	EXPECT_EQ((uintptr_t)gp_hlt_end, uc.args[2]);
	EXPECT_EQ(1ULL, uc.args[3]);
	get_events(vcpu, &ev);
	EXPECT_EQ(0, ev.exception.injected);

	/* The exit on the OUT right after STI: in the interrupt shadow. */
	ASSERT_EQ(0, vcpu_run(vcpu));
	ASSERT_EQ(KVMINI_EXIT_IO, (int)vcpu->run->exit_reason);
	ASSERT_EQ(0xe1, vcpu->run->io.port);
	vcpu_ioctl(vcpu, KVMINI_GET_REGS, &regs);
	get_events(vcpu, &ev);
	TH_LOG("OUT after STI: RIP %#llx (sti_out %p) shadow %#x", regs.rip,
	       sti_out, ev.interrupt.shadow);
	EXPECT_NE(0, ev.interrupt.shadow);
	ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, &uc));
	EXPECT_EQ(1ULL, uc.args[0]);
	get_events(vcpu, &ev);
	EXPECT_EQ(0, ev.interrupt.shadow);
	vm_free(vm);
}

static long set_mp(struct kvmini_vcpu *vcpu, uint32_t state)
{
	struct kvmini_mp_state mp = { .mp_state = state };

	return ioctl_err(vcpu->fd, KVMINI_SET_MP_STATE, (unsigned long)&mp);
}

static uint32_t get_mp(struct kvmini_vcpu *vcpu)
{
	struct kvmini_mp_state mp = { .mp_state = 0xdead };

	vcpu_ioctl(vcpu, KVMINI_GET_MP_STATE, &mp);
	return mp.mp_state;
}

TEST(mp_state)
{
	struct kvmini_vcpu *vcpu, *vcpu1;
	struct kvmini_vm *vm = vm_create_guest(guest_events, &vcpu);
	struct kvmini_regs regs;
	uint32_t s;

	REQUIRE_VM(vm);
	REQUIRE_CAP(vm, KVMINI_CAP_MP_STATE);
	vcpu1 = vcpu_add(vm, 1);
	EXPECT_EQ((uint32_t)KVMINI_MP_STATE_RUNNABLE, get_mp(vcpu));
	/* No in-kernel APIC: the APs are RUNNABLE too, not UNINITIALIZED. */
	EXPECT_EQ((uint32_t)KVMINI_MP_STATE_RUNNABLE, get_mp(vcpu1));
	EXPECT_EQ(0, set_mp(vcpu, KVMINI_MP_STATE_RUNNABLE));
	EXPECT_EQ(0, set_mp(vcpu1, KVMINI_MP_STATE_RUNNABLE));
	/* Without an in-kernel APIC only RUNNABLE can be set. */
	for (s = KVMINI_MP_STATE_UNINITIALIZED; s <= KVMINI_MP_STATE_SUSPENDED + 1; s++)
		EXPECT_EQ(-EINVAL, set_mp(vcpu, s)) TH_LOG("mp_state %u", s);
	EXPECT_EQ(-EINVAL, set_mp(vcpu, 0xffffffff));
	EXPECT_EQ((uint32_t)KVMINI_MP_STATE_RUNNABLE, get_mp(vcpu));

	/* HLT exits to userspace and leaves the vCPU RUNNABLE. */
	vcpu_run_expect(vcpu, KVMINI_EXIT_HLT);
	vcpu_ioctl(vcpu, KVMINI_GET_REGS, &regs);
	EXPECT_EQ((uintptr_t)gp_hlt_end, regs.rip);
	EXPECT_EQ((uint32_t)KVMINI_MP_STATE_RUNNABLE, get_mp(vcpu));
	vm_free(vm);
}

TEST_HARNESS_MAIN
