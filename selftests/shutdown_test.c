// SPDX-License-Identifier: GPL-2.0
/*
 * A triple fault (an exception that cannot be delivered, nor can the #DF
 * that follows) exits with KVMINI_EXIT_SHUTDOWN.  On AMD, as KVM does, the
 * vCPU is then INIT-reset (the VMCB is undefined after a shutdown); either
 * way the VMM can set it up again and run it.
 */
#include "kvmini_util.h"
#include "kvmini_vm.h"
#include "kselftest_harness.h"

static void guest_int3(void)
{
	asm volatile("int3");
	GUEST_DONE();
}

static void guest_div0(void)
{
	asm volatile("xor %%ecx, %%ecx; div %%ecx" : : : "rax", "rcx", "rdx");
	GUEST_DONE();
}

/* Long mode, IDT limit 0: run @fn into a shutdown and check the state. */
static void shutdown_no_idt(struct __test_metadata *_metadata, struct kvmini_vcpu *vcpu)
{
	struct kvmini_sregs s;
	struct kvmini_regs regs;

	vcpu_ioctl(vcpu, KVMINI_GET_SREGS, &s);
	s.idt.limit = 0;
	vcpu_ioctl(vcpu, KVMINI_SET_SREGS, &s);
	vcpu_run_expect(vcpu, KVMINI_EXIT_SHUTDOWN);

	vcpu_ioctl(vcpu, KVMINI_GET_REGS, &regs);
	vcpu_ioctl(vcpu, KVMINI_GET_SREGS, &s);
	if (host_cpu_is_amd()) {
		EXPECT_EQ(0xfff0ULL, regs.rip);
		EXPECT_EQ(0xf000, s.cs.selector);
		EXPECT_EQ(0xffff0000ULL, s.cs.base);
		/* INIT keeps CD and NW, clear in the library's CR0. */
		EXPECT_EQ(X86_CR0_ET, s.cr0);
		EXPECT_EQ(0ULL, s.efer);
	}
}

TEST(int3_no_idt)
{
	struct kvmini_vcpu *vcpu;
	struct kvmini_vm *vm = vm_create_guest(guest_int3, &vcpu);
	struct ucall uc;

	REQUIRE_VM(vm);
	shutdown_no_idt(_metadata, vcpu);
	/* Set up again, with the library's IDT: the guest gets through. */
	vcpu_setup_long_mode(vcpu, guest_int3);
	GUEST_VAR(vm, guest_exc).resume = 1;	/* a trap: RIP is past it */
	EXPECT_EQ(UCALL_DONE, vcpu_run_ucall(vcpu, &uc));
	EXPECT_EQ(3ULL, GUEST_VAR(vm, guest_exc).vector);
	vm_free(vm);
}

TEST(div0_no_idt)
{
	struct kvmini_vcpu *vcpu;
	struct kvmini_vm *vm = vm_create_guest(guest_div0, &vcpu);

	REQUIRE_VM(vm);
	shutdown_no_idt(_metadata, vcpu);
	vm_free(vm);
}

/* Real mode, IVT limit 0: int3 (cc) triple-faults as well. */
TEST(real_mode)
{
	static const uint8_t code[] = { 0xcc, 0xf4 };
	struct kvmini_vm *vm = vm_create();
	struct kvmini_vcpu *vcpu;
	struct kvmini_sregs s;

	REQUIRE_VM(vm);
	vm_add_mem(vm, 0, 0, 0x10000);
	vm_write(vm, 0x8000, code, sizeof(code));
	vcpu = vcpu_add(vm, 0);
	vcpu_setup_real_mode(vcpu, 0x8000);
	vcpu_ioctl(vcpu, KVMINI_GET_SREGS, &s);
	s.idt.limit = 0;
	vcpu_ioctl(vcpu, KVMINI_SET_SREGS, &s);
	vcpu_run_expect(vcpu, KVMINI_EXIT_SHUTDOWN);
	vm_free(vm);
}

/* A #PF whose handler is not mapped: #PF, #DF, shutdown. */
TEST(unmapped_idt)
{
	struct kvmini_vcpu *vcpu;
	struct kvmini_vm *vm = vm_create_guest(guest_int3, &vcpu);
	struct kvmini_sregs s;

	REQUIRE_VM(vm);
	vcpu_ioctl(vcpu, KVMINI_GET_SREGS, &s);
	s.idt.base = 0x7f0000000000ULL;		/* nothing mapped there */
	vcpu_ioctl(vcpu, KVMINI_SET_SREGS, &s);
	vcpu_run_expect(vcpu, KVMINI_EXIT_SHUTDOWN);
	vm_free(vm);
}

TEST_HARNESS_MAIN
