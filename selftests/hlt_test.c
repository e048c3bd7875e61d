// SPDX-License-Identifier: GPL-2.0
/*
 * HLT without an in-kernel interrupt controller: every HLT exits to
 * userspace with KVMINI_EXIT_HLT, RIP already past the instruction, and
 * the next KVMINI_RUN goes on with the following instruction.
 */
#include "kvmini_util.h"
#include "kvmini_vm.h"
#include "kselftest_harness.h"

/* 64-bit guest: three HLTs, the middle one after a ucall. */
extern char guest_hlt[], hlt1_end[], hlt2_end[], hlt3_end[];
asm(".pushsection .text\n"
    "guest_hlt:\n"
    "	hlt\n"
    "hlt1_end:\n"
    "	mov $0x1234, %eax\n"
    "	hlt\n"
    "hlt2_end:\n"
    "	inc %eax\n"
    "	hlt\n"
    "hlt3_end:\n"
    "	jmp guest_hlt\n"
    ".popsection");

static uint64_t rip(struct kvmini_vcpu *vcpu)
{
	struct kvmini_regs regs;

	vcpu_ioctl(vcpu, KVMINI_GET_REGS, &regs);
	return regs.rip;
}

TEST(long_mode)
{
	struct kvmini_vcpu *vcpu;
	struct kvmini_vm *vm = vm_create_guest(guest_hlt, &vcpu);
	struct kvmini_regs regs;
	int i;

	REQUIRE_VM(vm);
	for (i = 0; i < 2; i++) {
		vcpu_run_expect(vcpu, KVMINI_EXIT_HLT);
		EXPECT_EQ((uintptr_t)hlt1_end, rip(vcpu));
		vcpu_run_expect(vcpu, KVMINI_EXIT_HLT);
		vcpu_ioctl(vcpu, KVMINI_GET_REGS, &regs);
		EXPECT_EQ((uintptr_t)hlt2_end, regs.rip);
		EXPECT_EQ(0x1234ULL, regs.rax);
		vcpu_run_expect(vcpu, KVMINI_EXIT_HLT);
		vcpu_ioctl(vcpu, KVMINI_GET_REGS, &regs);
		EXPECT_EQ((uintptr_t)hlt3_end, regs.rip);
		EXPECT_EQ(0x1235ULL, regs.rax);
	}
	vm_free(vm);
}

/* Real mode at 0x8000: hlt; hlt; jmp $ (spin) */
TEST(real_mode)
{
	static const uint8_t code[] = { 0xf4, 0xf4, 0xeb, 0xfe };
	struct kvmini_vm *vm = vm_create();
	struct kvmini_vcpu *vcpu;
	struct kvmini_sregs sregs;

	REQUIRE_VM(vm);
	vm_add_mem(vm, 0, 0, 0x10000);
	vm_write(vm, GUEST_RAW_CODE, code, sizeof(code));
	vcpu = vcpu_add(vm, 0);
	vcpu_setup_real_mode(vcpu, GUEST_RAW_CODE);
	vcpu_run_expect(vcpu, KVMINI_EXIT_HLT);
	EXPECT_EQ(0x8001ULL, rip(vcpu));
	vcpu_run_expect(vcpu, KVMINI_EXIT_HLT);
	EXPECT_EQ(0x8002ULL, rip(vcpu));
	vcpu_ioctl(vcpu, KVMINI_GET_SREGS, &sregs);
	EXPECT_EQ(0U, sregs.cs.selector);
	EXPECT_EQ(0ULL, sregs.cr0 & X86_CR0_PE);
	vm_free(vm);
}

/* A HLT the VMM moves RIP away from is not executed again. */
TEST(set_rip_after_hlt)
{
	struct kvmini_vcpu *vcpu;
	struct kvmini_vm *vm = vm_create_guest(guest_hlt, &vcpu);
	struct kvmini_regs regs;

	REQUIRE_VM(vm);
	vcpu_run_expect(vcpu, KVMINI_EXIT_HLT);
	vcpu_ioctl(vcpu, KVMINI_GET_REGS, &regs);
	regs.rip = (uintptr_t)hlt2_end;
	regs.rax = 41;
	vcpu_ioctl(vcpu, KVMINI_SET_REGS, &regs);
	vcpu_run_expect(vcpu, KVMINI_EXIT_HLT);
	vcpu_ioctl(vcpu, KVMINI_GET_REGS, &regs);
	EXPECT_EQ((uintptr_t)hlt3_end, regs.rip);
	EXPECT_EQ(42ULL, regs.rax);
	vm_free(vm);
}

TEST_HARNESS_MAIN
