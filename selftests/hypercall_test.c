// SPDX-License-Identifier: GPL-2.0
/*
 * kvmini exits to the VMM on every VMMCALL (VMCALL on Intel) with
 * KVMINI_EXIT_HYPERCALL: nr = RAX, args[0..3] = RBX, RCX, RDX, RSI, the
 * rest 0, longmode = 1 in 64-bit code.  RIP stays at the instruction until
 * the next run, which puts run->hypercall.ret into RAX and steps past it.
 * KVM handles most hypercalls itself, so this is skipped on /dev/kvm.
 */
#include "kvmini_util.h"
#include "kvmini_vm.h"
#include "kselftest_harness.h"

/* 0f 01 d9 is VMMCALL; on Intel the guest's copy is patched to VMCALL. */
extern char guest_hc[], hc1[], hc2[], hc_end[];
asm(".pushsection .text\n"
    "guest_hc:\n"
    "	movabs $0x8000000000001001, %rax\n"
    "	movabs $0x1111111111111111, %rbx\n"
    "	movabs $0x2222222222222222, %rcx\n"
    "	movabs $0x3333333333333333, %rdx\n"
    "	movabs $0x4444444444444444, %rsi\n"
    "hc1:	vmmcall\n"
    "	mov %rax, %r8\n"
    "	mov $0x1002, %eax\n"
    "hc2:	vmmcall\n"
    "hc_end: hlt\n"
    ".popsection");

static void use_vmcall(struct kvmini_vm *vm, uint64_t gva)
{
	if (!host_cpu_is_amd())
		((uint8_t *)vm_gva2hva(vm, gva))[2] = 0xc1;
}

static void expect_hc(struct __test_metadata *_metadata, struct kvmini_vcpu *vcpu,
		      uint64_t nr, const uint64_t *args, uint32_t longmode, uint64_t rip)
{
	struct kvmini_regs regs;
	int i;

	vcpu_run_expect(vcpu, KVMINI_EXIT_HYPERCALL);
	EXPECT_EQ(nr, vcpu->run->hypercall.nr);
	for (i = 0; i < 6; i++)
		EXPECT_EQ(i < 4 ? args[i] : 0, vcpu->run->hypercall.args[i]);
	EXPECT_EQ(0ULL, vcpu->run->hypercall.ret);
	EXPECT_EQ(longmode, vcpu->run->hypercall.longmode);
	vcpu_ioctl(vcpu, KVMINI_GET_REGS, &regs);
	EXPECT_EQ(rip, regs.rip);
	EXPECT_EQ(nr, regs.rax);
}

TEST(long_mode)
{
	static const uint64_t args[] = { 0x1111111111111111ULL, 0x2222222222222222ULL,
					 0x3333333333333333ULL, 0x4444444444444444ULL };
	struct kvmini_vcpu *vcpu;
	struct kvmini_vm *vm;
	struct kvmini_regs regs;

	if (kvmini_dev_is_kvm())
		SKIP(return, "KVM handles VMMCALL itself (KVM_CAP_EXIT_HYPERCALL only for some)");
	vm = vm_create_guest(guest_hc, &vcpu);
	REQUIRE_VM(vm);
	use_vmcall(vm, (uintptr_t)hc1);
	use_vmcall(vm, (uintptr_t)hc2);

	expect_hc(_metadata, vcpu, 0x8000000000001001ULL, args, 1, (uintptr_t)hc1);
	vcpu->run->hypercall.ret = 0xfeedULL;
	expect_hc(_metadata, vcpu, 0x1002, args, 1, (uintptr_t)hc2);
	vcpu->run->hypercall.ret = -1000ULL;
	vcpu_run_expect(vcpu, KVMINI_EXIT_HLT);
	vcpu_ioctl(vcpu, KVMINI_GET_REGS, &regs);
	EXPECT_EQ(0xfeedULL, regs.r8);
	EXPECT_EQ(-1000ULL, regs.rax);
	EXPECT_EQ(args[0], regs.rbx);
	EXPECT_EQ(args[3], regs.rsi);
	EXPECT_EQ((uintptr_t)hc_end + 1, regs.rip);
	vm_free(vm);
}

/*
 * 32-bit protected mode at 0x8000:
 *	mov eax, 0x2001; mov ebx, 0x11; vmmcall; hlt
 */
TEST(prot32)
{
	static uint8_t code[] = { 0xb8, 0x01, 0x20, 0x00, 0x00, 0xbb, 0x11, 0x00, 0x00,
				  0x00, 0x0f, 0x01, 0xd9, 0xf4 };
	const uint64_t args[4] = { 0x11 };
	struct kvmini_vm *vm;
	struct kvmini_vcpu *vcpu;
	struct kvmini_regs regs;

	if (kvmini_dev_is_kvm())
		SKIP(return, "KVM handles VMMCALL itself (KVM_CAP_EXIT_HYPERCALL only for some)");
	vm = vm_create();
	REQUIRE_VM(vm);
	if (!host_cpu_is_amd())
		code[12] = 0xc1;
	vm_add_mem(vm, 0, 0, 0x10000);
	vm_write(vm, 0x8000, code, sizeof(code));
	vcpu = vcpu_add(vm, 0);
	vcpu_setup_prot32(vcpu, 0x8000);
	vcpu_ioctl(vcpu, KVMINI_GET_REGS, &regs);
	regs.rcx = regs.rdx = regs.rsi = 0;
	vcpu_ioctl(vcpu, KVMINI_SET_REGS, &regs);

	expect_hc(_metadata, vcpu, 0x2001, args, 0, 0x800a);
	vcpu->run->hypercall.ret = 7;
	vcpu_run_expect(vcpu, KVMINI_EXIT_HLT);
	vcpu_ioctl(vcpu, KVMINI_GET_REGS, &regs);
	EXPECT_EQ(7ULL, regs.rax);
	EXPECT_EQ(0x800eULL, regs.rip);
	vm_free(vm);
}

TEST_HARNESS_MAIN
