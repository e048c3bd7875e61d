// SPDX-License-Identifier: GPL-2.0
/*
 * A guest that starts in real mode and switches itself to 32-bit protected
 * mode (its own GDT), then to long mode (CR4.PAE, CR3, EFER.LME through
 * WRMSR, CR0.PG), then to 64-bit code that calls a C function.  It reports
 * on port 0x10 at every stage; the VMM checks the registers each time.
 * And one MOV to CR0 changes every bit it writes, those a hypervisor
 * intercepts (CD) and those it may leave to the guest (TS, EM, AM) alike.
 */
#include "kvmini_util.h"
#include "kvmini_vm.h"
#include "kselftest_harness.h"

/* Runs at GUEST_RAW_CODE (0x8000); EBX = CR3, EDI = C function, RSP = stack. */
#define AT(l)	"(" #l " - mode_blob + 0x8000)"
extern char mode_blob[], mode_blob_end[];
asm(".pushsection .rodata\n"
    "mode_blob:\n"
    ".code16\n"
    "	cli\n"
    "	mov $1, %al\n"
    "	out %al, $0x10\n"
    "	lgdtl " AT(blob_gdtr) "\n"
    "	mov %cr0, %eax\n"
    "	or $1, %al\n"
    "	mov %eax, %cr0\n"
    "	ljmpl $0x08, $" AT(pm32) "\n"
    ".code32\n"
    "pm32:	mov $0x10, %ax\n"
    "	mov %ax, %ds\n"
    "	mov %ax, %es\n"
    "	mov %ax, %ss\n"
    "	mov $2, %al\n"
    "	out %al, $0x10\n"
    "	mov %cr4, %eax\n"
    "	or $0x620, %eax\n"		/* PAE, OSFXSR, OSXMMEXCPT */
    "	mov %eax, %cr4\n"
    "	mov %ebx, %cr3\n"
    "	mov $0xc0000080, %ecx\n"
    "	rdmsr\n"
    "	or $0x100, %eax\n"		/* EFER.LME */
    "	wrmsr\n"
    "	mov $3, %al\n"
    "	out %al, $0x10\n"
    "	mov %cr0, %eax\n"
    "	or $0x80000000, %eax\n"	/* PG: long mode, still 32-bit code */
    "	mov %eax, %cr0\n"
    "	mov $4, %al\n"
    "	out %al, $0x10\n"
    "	ljmp $0x18, $" AT(lm64) "\n"
    ".code64\n"
    "lm64:	mov $5, %al\n"
    "	out %al, $0x10\n"
    "	mov %edi, %edi\n"
    "	call *%rdi\n"
    "	hlt\n"
    ".p2align 3\n"
    "blob_gdt:\n"
    "	.quad 0\n"
    "	.quad 0x00cf9b000000ffff\n"	/* 0x08: code, 32-bit, 4 GiB */
    "	.quad 0x00cf93000000ffff\n"	/* 0x10: data, 4 GiB */
    "	.quad 0x00af9b000000ffff\n"	/* 0x18: code, 64-bit */
    "blob_gdtr:\n"
    "	.word 31\n"
    "	.long " AT(blob_gdt) "\n"
    "mode_blob_end:\n"
    ".popsection");

static void guest_main(void)
{
	uint64_t cr0, cr4, efer = rdmsr(MSR_EFER);
	uint16_t cs;

	asm volatile("mov %%cr0, %0; mov %%cr4, %1; mov %%cs, %2"
		     : "=r"(cr0), "=r"(cr4), "=r"(cs));
	GUEST_SYNC4(cr0, cr4, efer, cs);
}

/* Run to the next stage report and check what the VMM sees. */
static void stage(struct __test_metadata *_metadata, struct kvmini_vcpu *vcpu, int n,
		  uint64_t cr0, uint64_t efer, uint16_t cs, int db, int l)
{
	struct kvmini_sregs s;

	TH_LOG("stage %d", n);
	vcpu_run_expect(vcpu, KVMINI_EXIT_IO);
	ASSERT_EQ(0x10, vcpu->run->io.port);
	ASSERT_EQ(n, *(uint8_t *)vcpu_io_data(vcpu));
	vcpu_ioctl(vcpu, KVMINI_GET_SREGS, &s);
	EXPECT_EQ(cr0, s.cr0);
	EXPECT_EQ(efer, s.efer);
	EXPECT_EQ(cs, s.cs.selector);
	EXPECT_EQ(db, s.cs.db);
	EXPECT_EQ(l, s.cs.l);
	if (n > 1) {
		EXPECT_EQ(0x10, s.ds.selector);
		EXPECT_EQ(0x10, s.ss.selector);
		EXPECT_EQ(0xffffffffU, s.ds.limit);
	}
	if (n > 2) {
		EXPECT_EQ(GUEST_CR4_LONG, s.cr4);
		EXPECT_EQ(vcpu->vm->cr3, s.cr3);
	}
}

TEST(real_to_long)
{
	struct kvmini_vm *vm = vm_create();
	struct kvmini_vcpu *vcpu;
	struct kvmini_regs regs;
	struct ucall uc;
	uint64_t stack;
	int i;

	REQUIRE_VM(vm);
	vm_load_image(vm);
	vm_write(vm, GUEST_RAW_CODE, mode_blob, mode_blob_end - mode_blob);
	for (i = 0; i < 4; i++)
		stack = vm_alloc_page(vm) + GUEST_PAGE_SIZE;
	vcpu = vcpu_add(vm, 0);
	vcpu_set_cpuid_supported(vcpu);		/* CPUID.80000001H:EDX.LM */
	vcpu_setup_real_mode(vcpu, GUEST_RAW_CODE);
	vcpu_ioctl(vcpu, KVMINI_GET_REGS, &regs);
	regs.rbx = vm->cr3;
	regs.rdi = (uintptr_t)guest_main;
	regs.rsp = stack;
	vcpu_ioctl(vcpu, KVMINI_SET_REGS, &regs);

	stage(_metadata, vcpu, 1, 0x60000010, 0, 0, 0, 0);
	stage(_metadata, vcpu, 2, 0x60000011, 0, 0x08, 1, 0);
	stage(_metadata, vcpu, 3, 0x60000011, EFER_LME, 0x08, 1, 0);
	stage(_metadata, vcpu, 4, 0xe0000011, EFER_LME | EFER_LMA, 0x08, 1, 0);
	stage(_metadata, vcpu, 5, 0xe0000011, EFER_LME | EFER_LMA, 0x18, 0, 1);
	/* The C function sees the same from inside. */
	ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, &uc));
	EXPECT_EQ(0xe0000011ULL, uc.args[0]);
	EXPECT_EQ(GUEST_CR4_LONG, uc.args[1]);
	EXPECT_EQ(EFER_LME | EFER_LMA, uc.args[2]);
	EXPECT_EQ(0x18ULL, uc.args[3]);
	vcpu_run_expect(vcpu, KVMINI_EXIT_HLT);
	vcpu_ioctl(vcpu, KVMINI_GET_REGS, &regs);
	EXPECT_EQ(stack, regs.rsp);
	vm_free(vm);
}

static void guest_cr0(void)
{
	uint64_t cr0, set, back;

	asm volatile("mov %%cr0, %0" : "=r"(cr0));
	set = cr0 | X86_CR0_CD | X86_CR0_TS | X86_CR0_EM | X86_CR0_AM;
	/* No FPU/SSE code while TS and EM are set: asm only. */
	asm volatile("mov %1, %%cr0\n\t"
		     "mov %%cr0, %0\n\t"
		     "mov %2, %%cr0"
		     : "=&r"(back) : "r"(set), "r"(cr0) : "memory");
	GUEST_SYNC4(cr0, set, back, 0);
}

TEST(cr0_one_write)
{
	struct kvmini_vcpu *vcpu;
	struct kvmini_vm *vm = vm_create_guest(guest_cr0, &vcpu);
	struct kvmini_sregs s;
	struct ucall uc;

	REQUIRE_VM(vm);
	ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, &uc));
	EXPECT_EQ(0ULL, uc.args[0] & (X86_CR0_CD | X86_CR0_TS | X86_CR0_EM | X86_CR0_AM));
	EXPECT_EQ(uc.args[1], uc.args[2]);
	vcpu_ioctl(vcpu, KVMINI_GET_SREGS, &s);
	EXPECT_EQ(uc.args[0], s.cr0);		/* and back as it was */
	vm_free(vm);
}

TEST_HARNESS_MAIN
