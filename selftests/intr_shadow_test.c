// SPDX-License-Identifier: GPL-2.0
/*
 * The STI and MOV SS interrupt shadows end with the instruction after
 * them, also when the hypervisor carries that instruction out: at the HLT
 * exit after "sti; hlt" (or "mov ss; hlt" with IF set) the VMM sees
 * ready_for_interrupt_injection = 1 and no shadow in GET_VCPU_EVENTS, so
 * it injects at once instead of asking for a window (KVM's skip ends the
 * shadow). An OUT is only finished on the next KVMINI_RUN (as KVM), so
 * after "sti; out" the shadow is still there at the exit.
 */
#include "kvmini_util.h"
#include "kvmini_vm.h"
#include "kselftest_harness.h"

extern char sh_sti_hlt[], sh_movss_hlt[], sh_sti_out[];
asm(".pushsection .text\n"
    "sh_sti_hlt: cli; sti; hlt; cli; ret\n"
    "sh_movss_hlt: sti; nop; mov %ss, %ax; mov %ax, %ss; hlt; cli; ret\n"
    "sh_sti_out: cli; sti; outb %al, $0x80; cli; ret\n"
    ".popsection");

static void guest_shadows(void)
{
	asm volatile("sub $128, %%rsp; call sh_sti_hlt; call sh_movss_hlt; call sh_sti_out;"
		     "add $128, %%rsp" : : : "rax", "memory");
}

static void expect_exit(struct __test_metadata *_metadata, struct kvmini_vcpu *vcpu,
			uint32_t reason, int ready)
{
	struct kvmini_vcpu_events ev;

	vcpu_run_expect(vcpu, reason);
	EXPECT_EQ(1, vcpu->run->if_flag);
	EXPECT_EQ(ready, vcpu->run->ready_for_interrupt_injection);
	vcpu_ioctl(vcpu, KVMINI_GET_VCPU_EVENTS, &ev);
	EXPECT_EQ(!ready, ev.interrupt.shadow != 0);
}

TEST(shadow_ends_with_the_insn)
{
	struct kvmini_vcpu *vcpu;
	struct kvmini_vm *vm = vm_create_guest(guest_shadows, &vcpu);
	struct ucall uc;

	REQUIRE_VM(vm);
	expect_exit(_metadata, vcpu, KVMINI_EXIT_HLT, 1);	/* sti; hlt */
	expect_exit(_metadata, vcpu, KVMINI_EXIT_HLT, 1);	/* mov ss; hlt */
	expect_exit(_metadata, vcpu, KVMINI_EXIT_IO, 0);	/* sti; out */
	ASSERT_EQ(UCALL_DONE, vcpu_run_ucall(vcpu, &uc));
	vm_free(vm);
}

TEST_HARNESS_MAIN
