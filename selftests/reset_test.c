// SPDX-License-Identifier: GPL-2.0
/*
 * A new vCPU is in the x86 reset state as KVM reports it through
 * GET_REGS/GET_SREGS/GET_FPU, and runs real-mode code from the reset
 * vector at 0xfffffff0.  A few segment types differ between KVM's AMD and
 * Intel backends; kvmini, using the same hardware, reports the same.
 */
#include "kvmini_util.h"
#include "kvmini_vm.h"
#include "kselftest_harness.h"

#define EXPECT_SEG(seg, b, lim, sel, ty, sys) do {			\
	EXPECT_EQ(b, (seg).base);					\
	EXPECT_EQ(lim, (seg).limit);					\
	EXPECT_EQ(sel, (seg).selector);					\
	EXPECT_EQ(ty, (seg).type);					\
	EXPECT_EQ(1, (seg).present);					\
	EXPECT_EQ(sys, (seg).s);					\
	EXPECT_EQ(0, (seg).dpl + (seg).db + (seg).l + (seg).g +	\
		     (seg).avl + (seg).unusable);			\
} while (0)

TEST(regs)
{
	struct kvmini_vm *vm = vm_create();
	struct kvmini_regs regs, want = {
		.rdx = 0x600,		/* CPUID.1.EAX; no CPUID table yet */
		.rip = 0xfff0, .rflags = 2,
	};

	REQUIRE_VM(vm);
	memset(&regs, 0xa5, sizeof(regs));
	vcpu_ioctl(vcpu_add(vm, 0), KVMINI_GET_REGS, &regs);
	EXPECT_EQ(0, memcmp(&want, &regs, sizeof(regs)));
	EXPECT_EQ(0x600ULL, regs.rdx);
	EXPECT_EQ(0xfff0ULL, regs.rip);
	EXPECT_EQ(2ULL, regs.rflags);
	vm_free(vm);
}

TEST(sregs)
{
	struct kvmini_vm *vm = vm_create();
	bool amd = host_cpu_is_amd();
	struct kvmini_sregs s;
	int i;

	REQUIRE_VM(vm);
	memset(&s, 0xa5, sizeof(s));
	vcpu_ioctl(vcpu_add(vm, 0), KVMINI_GET_SREGS, &s);
	/* AMD: CS/SS/TR types as in the VMCB (not accessed); Intel: 0xb/3/0xb. */
	EXPECT_SEG(s.cs, 0xffff0000ULL, 0xffffU, 0xf000, amd ? 0xa : 0xb, 1);
	EXPECT_SEG(s.ds, 0ULL, 0xffffU, 0, 3, 1);
	EXPECT_SEG(s.es, 0ULL, 0xffffU, 0, 3, 1);
	EXPECT_SEG(s.fs, 0ULL, 0xffffU, 0, 3, 1);
	EXPECT_SEG(s.gs, 0ULL, 0xffffU, 0, 3, 1);
	EXPECT_SEG(s.ss, 0ULL, 0xffffU, 0, amd ? 2 : 3, 1);
	EXPECT_SEG(s.tr, 0ULL, 0xffffU, 0, amd ? 3 : 0xb, 0);
	EXPECT_SEG(s.ldt, 0ULL, 0xffffU, 0, 2, 0);
	EXPECT_EQ(0ULL, s.gdt.base);
	EXPECT_EQ(0xffff, s.gdt.limit);
	EXPECT_EQ(0ULL, s.idt.base);
	EXPECT_EQ(0xffff, s.idt.limit);
	EXPECT_EQ(0x60000010ULL, s.cr0);	/* CD NW ET */
	EXPECT_EQ(0ULL, s.cr2 | s.cr3 | s.cr4 | s.cr8 | s.efer);
	EXPECT_EQ(0xfee00900ULL, s.apic_base);	/* enabled, BSP */
	for (i = 0; i < 4; i++)
		EXPECT_EQ(0ULL, s.interrupt_bitmap[i]);
	/* Only vCPU 0 is the bootstrap processor. */
	vcpu_ioctl(vcpu_add(vm, 1), KVMINI_GET_SREGS, &s);
	EXPECT_EQ(0xfee00800ULL, s.apic_base);
	vm_free(vm);
}

TEST(fpu)
{
	struct kvmini_vm *vm = vm_create();
	struct kvmini_fpu fpu, zero;

	REQUIRE_VM(vm);
	memset(&fpu, 0xa5, sizeof(fpu));
	vcpu_ioctl(vcpu_add(vm, 0), KVMINI_GET_FPU, &fpu);
	EXPECT_EQ(0x37f, fpu.fcw);
	EXPECT_EQ(0, fpu.fsw);
	EXPECT_EQ(0, fpu.ftwx);
	EXPECT_EQ(0, fpu.last_opcode);
	EXPECT_EQ(0ULL, fpu.last_ip | fpu.last_dp);
	memset(&zero, 0, sizeof(zero));
	EXPECT_EQ(0, memcmp(fpu.fpr, zero.fpr, sizeof(fpu.fpr)));
	EXPECT_EQ(0, memcmp(fpu.xmm, zero.xmm, sizeof(fpu.xmm)));
	vm_free(vm);
}

/*
 * At 0xfffffff0 (CS base 0xffff0000, IP 0xfff0):
 *	mov ax, dx; out 0x10, ax; jmp 0x0800:0x0000
 * at 0x8000:
 *	mov eax, cr0; out 0x12, eax; mov ax, cs; out 0x11, ax; hlt
 */
static const uint8_t reset_code[] = { 0x89, 0xd0, 0xe7, 0x10, 0xea, 0x00, 0x00, 0x00, 0x08 };
static const uint8_t low_code[] = { 0x0f, 0x20, 0xc0, 0x66, 0xe7, 0x12, 0x8c, 0xc8,
				    0xe7, 0x11, 0xf4 };

static void expect_out(struct __test_metadata *_metadata, struct kvmini_vcpu *vcpu,
		       int port, int size, uint32_t val, uint64_t cs_base, uint64_t rip)
{
	struct kvmini_sregs sregs;
	struct kvmini_regs regs;
	uint32_t data = 0;

	vcpu_run_expect(vcpu, KVMINI_EXIT_IO);
	EXPECT_EQ(port, vcpu->run->io.port);
	ASSERT_EQ(size, vcpu->run->io.size);
	memcpy(&data, vcpu_io_data(vcpu), size);
	EXPECT_EQ(val, data);
	vcpu_ioctl(vcpu, KVMINI_GET_SREGS, &sregs);
	vcpu_ioctl(vcpu, KVMINI_GET_REGS, &regs);
	EXPECT_EQ(cs_base, sregs.cs.base);
	EXPECT_EQ(rip, regs.rip);
}

TEST(reset_vector)
{
	struct kvmini_vm *vm = vm_create();
	struct kvmini_vcpu *vcpu;
	struct kvmini_regs regs;
	struct kvmini_sregs sregs;

	REQUIRE_VM(vm);
	vm_add_mem(vm, 0, 0, 0x10000);
	vm_add_mem(vm, 1, 0xffff0000, 0x10000);
	vm_write(vm, 0xfffffff0, reset_code, sizeof(reset_code));
	vm_write(vm, 0x8000, low_code, sizeof(low_code));
	vcpu = vcpu_add(vm, 0);

	expect_out(_metadata, vcpu, 0x10, 2, 0x600, 0xffff0000, 0xfff2);
	expect_out(_metadata, vcpu, 0x12, 4, 0x60000010, 0x8000, 3);
	expect_out(_metadata, vcpu, 0x11, 2, 0x800, 0x8000, 8);
	vcpu_run_expect(vcpu, KVMINI_EXIT_HLT);
	vcpu_ioctl(vcpu, KVMINI_GET_REGS, &regs);
	vcpu_ioctl(vcpu, KVMINI_GET_SREGS, &sregs);
	EXPECT_EQ(11ULL, regs.rip);
	EXPECT_EQ(0x800, sregs.cs.selector);
	EXPECT_EQ(0x8000ULL, sregs.cs.base);
	vm_free(vm);
}

TEST_HARNESS_MAIN
