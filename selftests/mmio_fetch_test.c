// SPDX-License-Identifier: GPL-2.0
/*
 * MMIO emulation goes through the guest's own view: instructions fetched
 * in real mode and 32-bit protected mode with non-zero CS and DS bases,
 * an instruction that crosses a page boundary, and a #PF the emulated
 * instruction causes (MOVS from the device to an unmapped page) going to
 * the guest, not to the VMM.
 */
#include <string.h>

#include "kvmini_util.h"
#include "kvmini_vm.h"
#include "kselftest_harness.h"

#define CODE	0x8000

/* The device: 256 bytes at @base; serve MMIO until a port write or HLT. */
static uint8_t dev[256];

static void run_device(struct __test_metadata *_metadata, struct kvmini_vcpu *vcpu,
		       uint64_t base, uint32_t *out)
{
	struct kvmini_run *run = vcpu->run;

	for (;;) {
		ASSERT_EQ(0, vcpu_run(vcpu));
		if (run->exit_reason == KVMINI_EXIT_IO) {
			memcpy(out, vcpu_io_data(vcpu), run->io.size);
			continue;
		}
		if (run->exit_reason != KVMINI_EXIT_MMIO)
			break;
		ASSERT_TRUE(run->mmio.phys_addr >= base &&
			    run->mmio.phys_addr + run->mmio.len <= base + sizeof(dev))
			TH_LOG("MMIO at %#llx", run->mmio.phys_addr);
		if (run->mmio.is_write)
			memcpy(dev + run->mmio.phys_addr - base, run->mmio.data, run->mmio.len);
		else
			memcpy(run->mmio.data, dev + run->mmio.phys_addr - base, run->mmio.len);
	}
	EXPECT_EQ(KVMINI_EXIT_HLT, (int)run->exit_reason);
}

/* A VM with 64 KiB of RAM at 0 and @code at CS base CODE, IP 0. */
static struct kvmini_vm *small_vm(struct kvmini_vcpu **vcpu, const void *code,
				  size_t len, bool prot32)
{
	struct kvmini_vm *vm = vm_create();
	struct kvmini_sregs s;

	if (!vm)
		return NULL;
	vm_add_mem(vm, 0, 0, 0x10000);
	vm_write(vm, CODE, code, len);
	*vcpu = vcpu_add(vm, 0);
	if (prot32)
		vcpu_setup_prot32(*vcpu, 0);
	else
		vcpu_setup_real_mode(*vcpu, 0);
	vcpu_ioctl(*vcpu, KVMINI_GET_SREGS, &s);
	s.cs.base = CODE;
	if (!prot32)
		s.cs.selector = CODE >> 4;
	s.ds.base = prot32 ? 0xe0000000 : 0;
	vcpu_ioctl(*vcpu, KVMINI_SET_SREGS, &s);
	return vm;
}

TEST(real_mode)
{
	static const uint8_t code[] = {
		0xb8, 0x00, 0x20,			/* mov ax, 0x2000 */
		0x8e, 0xd8,				/* mov ds, ax: base 0x20000 */
		0xc7, 0x06, 0x10, 0x00, 0x34, 0x12,	/* mov word [0x10], 0x1234 */
		0xa1, 0x12, 0x00,			/* mov ax, [0x12] */
		0xbb, 0x16, 0x00,			/* mov bx, 0x16 */
		0x00, 0x27,				/* add [bx], ah */
		0x66, 0xa1, 0x20, 0x00,			/* mov eax, [0x20] */
		0x66, 0xe7, 0x10,			/* out 0x10, eax */
		0xf4,					/* hlt */
	};
	struct kvmini_vcpu *vcpu;
	struct kvmini_vm *vm = small_vm(&vcpu, code, sizeof(code), false);
	uint32_t out = 0;

	REQUIRE_VM(vm);
	memset(dev, 0, sizeof(dev));
	dev[0x12] = 0xef, dev[0x13] = 0xbe, dev[0x16] = 0x01;
	memcpy(&dev[0x20], "\x44\x33\x22\x11", 4);
	run_device(_metadata, vcpu, 0x20000, &out);
	EXPECT_EQ(0x34, dev[0x10]);
	EXPECT_EQ(0x12, dev[0x11]);
	EXPECT_EQ(0xbf, dev[0x16]);		/* 0x01 + AH (0xbe) */
	EXPECT_EQ(0x11223344U, out);
	vm_free(vm);
}

TEST(prot32_segment_bases)
{
	static const uint8_t code[] = {
		0xc7, 0x05, 0x00, 0x01, 0x00, 0x00, 0x78, 0x56, 0x34, 0x12,
						/* mov dword [0x100], 0x12345678 */
		0x8b, 0x1d, 0x04, 0x01, 0x00, 0x00,	/* mov ebx, [0x104] */
		0x66, 0x89, 0x1d, 0x08, 0x01, 0x00, 0x00, /* mov [0x108], bx */
		0x89, 0xd8,				/* mov eax, ebx */
		0xe7, 0x10,				/* out 0x10, eax */
		0xf4,					/* hlt */
	};
	struct kvmini_vcpu *vcpu;
	struct kvmini_vm *vm = small_vm(&vcpu, code, sizeof(code), true);
	uint32_t out = 0;

	REQUIRE_VM(vm);
	memset(dev, 0, sizeof(dev));
	memcpy(&dev[0x04], "\x0d\xf0\xfe\xca", 4);
	run_device(_metadata, vcpu, 0xe0000100, &out);	/* DS base + 0x100 */
	EXPECT_EQ(0x12345678U, *(uint32_t *)&dev[0]);
	EXPECT_EQ(0xf00dU, *(uint16_t *)&dev[8]);
	EXPECT_EQ(0xcafef00dU, out);
	vm_free(vm);
}

#define DEV_GPA	0xc0000000ULL
#define NOWHERE	0x7f0000000000ULL	/* not mapped in the guest */

uint8_t pages[2 * 4096] __attribute__((aligned(4096)));

static void guest_long(void)
{
	/* movl $0x12345678, (%rdi); ret -- across the page boundary. */
	static const uint8_t insn[] = { 0xc7, 0x07, 0x78, 0x56, 0x34, 0x12, 0xc3 };
	uint8_t *at = pages + 4096 - 3;
	uint64_t cr2, di;
	unsigned int i;

	for (i = 0; i < sizeof(insn); i++)
		at[i] = insn[i];
	((void (*)(void *))at)((void *)DEV_GPA);
	GUEST_SYNC(1);

	/* MOVSB from the device to nowhere: the guest gets the #PF. */
	guest_exc_arm(1);
	asm volatile("movsb" : "=D"(di) : "S"(DEV_GPA + 8), "D"(NOWHERE) : "memory");
	asm volatile("mov %%cr2, %0" : "=r"(cr2));
	GUEST_ASSERT_EQ(14, guest_exc.vector);
	GUEST_ASSERT_EQ(2, guest_exc.error_code);	/* not present, write */
	GUEST_ASSERT_EQ(NOWHERE, cr2);
}

TEST(long_mode_fetch_and_fault)
{
	struct kvmini_vcpu *vcpu;
	struct kvmini_vm *vm = vm_create_guest(guest_long, &vcpu);
	struct ucall uc;

	REQUIRE_VM(vm);
	vm_map(vm, DEV_GPA, DEV_GPA, 0x1000);
	vcpu_run_expect(vcpu, KVMINI_EXIT_MMIO);
	EXPECT_EQ(DEV_GPA, vcpu->run->mmio.phys_addr);
	EXPECT_EQ(4U, vcpu->run->mmio.len);
	EXPECT_EQ(0x12345678U, *(uint32_t *)vcpu->run->mmio.data);
	vcpu_run_ucall(vcpu, &uc);
	EXPECT_EQ(1ULL, uc.args[0]);
	/* The MOVSB reads the device first; the write then faults. */
	vcpu_run_expect(vcpu, KVMINI_EXIT_MMIO);
	EXPECT_EQ(DEV_GPA + 8, vcpu->run->mmio.phys_addr);
	EXPECT_FALSE(vcpu->run->mmio.is_write);
	EXPECT_EQ(UCALL_DONE, vcpu_run_ucall(vcpu, &uc));
	vm_free(vm);
}

TEST_HARNESS_MAIN
