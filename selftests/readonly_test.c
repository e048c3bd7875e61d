// SPDX-License-Identifier: GPL-2.0
/*
 * A read-only slot (KVM_MEM_READONLY) is read-only to everything the guest
 * does, also where kvmini writes guest memory for it, as on KVM: a string
 * IN into it, a MOVS into it, and the accessed/dirty bits of guest page
 * tables that lie in it. Each write the guest makes there reaches the VMM
 * as an MMIO write exit with its address and data; the VMM's memory
 * behind the slot never changes.
 */
#include <sys/mman.h>

#include "kvmini_util.h"
#include "kvmini_vm.h"
#include "kselftest_harness.h"

#define RO_GPA		0xd0000000ULL	/* the read-only slot, 2 pages */
#define DEV_GPA		0xc0000000ULL	/* no slot: a device */
#define VA_DEV		0x40000000ULL	/* mapped through a page table in the slot */
#define PORT		0x80
#define LEN		64
#define PTE_A		(1ULL << 5)

static uint8_t src[LEN];

static void guest_ins(void)
{
	uint64_t rdi = RO_GPA, rcx = LEN;

	asm volatile("cld; rep insb" : "+D"(rdi), "+c"(rcx) : "d"(PORT) : "memory");
	GUEST_SYNC4(rdi, rcx, 0, 0);
}

static void guest_movs(void)
{
	uint64_t rsi = (uintptr_t)src, rdi = RO_GPA + 8, rcx = LEN;

	asm volatile("cld; rep movsb" : "+S"(rsi), "+D"(rdi), "+c"(rcx) : : "memory");
	GUEST_SYNC4(rdi, rcx, 0, 0);
}

static void guest_pt(void)
{
	GUEST_SYNC(*(volatile uint32_t *)(VA_DEV + 0x10));
}

/* A VM running @fn, with the read-only slot mapped at RO_GPA, filled with @fill. */
static struct kvmini_vm *setup(void *fn, struct kvmini_vcpu **vcpu, uint8_t **ro, int fill)
{
	struct kvmini_vm *vm = vm_create_guest(fn, vcpu);

	if (!vm)
		return NULL;
	*ro = mmap(NULL, 2 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (*ro == MAP_FAILED)
		LIB_FAIL("mmap");
	memset(*ro, fill, 2 * 4096);
	if (vm_set_region(vm, 1, KVMINI_MEM_READONLY, RO_GPA, 2 * 4096, *ro))
		LIB_FAIL("read-only slot");
	vm_map(vm, RO_GPA, RO_GPA, 2 * 4096);
	return vm;
}

/* The library's page directory entry for @va (level 2 of its 4-level tables). */
static uint64_t *pde_of(struct kvmini_vm *vm, uint64_t va)
{
	uint64_t t = vm->cr3, *e = NULL;
	int level;

	for (level = 4; level >= 2; level--) {
		e = (uint64_t *)vm_gpa2hva(vm, t & 0x000ffffffffff000ULL) +
		    ((va >> (12 + 9 * (level - 1))) & 511);
		t = *e;
	}
	return e;
}

static bool all(const uint8_t *p, size_t n, uint8_t v)
{
	while (n--)
		if (*p++ != v)
			return false;
	return true;
}

/*
 * Serve port IN exits with bytes 1, 2, 3... and record MMIO writes into
 * @seen (by offset from RO_GPA) until the guest's ucall: the bytes read
 * from the port and the MMIO writes.
 */
static void serve(struct __test_metadata *_metadata, struct kvmini_vcpu *vcpu,
		  struct ucall *uc, uint8_t *seen, unsigned int *in, unsigned int *writes)
{
	struct kvmini_run *run = vcpu->run;

	for (;;) {
		ASSERT_EQ(0, vcpu_run(vcpu));
		if (run->exit_reason == KVMINI_EXIT_IO && run->io.port == PORT) {
			uint8_t *d = vcpu_io_data(vcpu);
			unsigned int i;

			ASSERT_EQ(KVMINI_EXIT_IO_IN, run->io.direction);
			for (i = 0; i < run->io.count; i++)
				d[i] = ++*in;
			continue;
		}
		if (run->exit_reason == KVMINI_EXIT_MMIO) {
			uint64_t off = run->mmio.phys_addr - RO_GPA;

			ASSERT_TRUE(run->mmio.is_write);
			ASSERT_LE(off + run->mmio.len, (uint64_t)2 * 4096);
			memcpy(seen + off, run->mmio.data, run->mmio.len);
			*writes += run->mmio.len;
			continue;
		}
		ASSERT_EQ(UCALL_SYNC, vcpu_get_ucall(vcpu, uc))
			TH_LOG("exit %s", exit_reason_str(run->exit_reason));
		return;
	}
}

TEST(rep_insb)
{
	static uint8_t seen[2 * 4096];
	unsigned int in = 0, writes = 0, i;
	struct kvmini_vcpu *vcpu;
	struct ucall uc;
	uint8_t *ro;
	struct kvmini_vm *vm = setup(guest_ins, &vcpu, &ro, 0xee);

	REQUIRE_VM(vm);
	serve(_metadata, vcpu, &uc, seen, &in, &writes);
	EXPECT_EQ(RO_GPA + LEN, uc.args[0]);
	EXPECT_EQ(0ULL, uc.args[1]);
	EXPECT_EQ((unsigned int)LEN, in);	/* the port was read 64 times */
	EXPECT_EQ((unsigned int)LEN, writes);	/* and each byte written by MMIO exit */
	for (i = 0; i < LEN; i++)
		EXPECT_EQ(i + 1, seen[i]) TH_LOG("byte %u", i);
	EXPECT_TRUE(all(ro, 2 * 4096, 0xee));	/* the VMM's memory as it was */
	vm_free(vm);
}

TEST(rep_movsb)
{
	static uint8_t seen[2 * 4096];
	unsigned int in = 0, writes = 0, i;
	struct kvmini_vcpu *vcpu;
	struct ucall uc;
	uint8_t *ro;
	struct kvmini_vm *vm = setup(guest_movs, &vcpu, &ro, 0xee);

	REQUIRE_VM(vm);
	for (i = 0; i < LEN; i++)
		((uint8_t *)&GUEST_VAR(vm, src))[i] = 0x40 + i;
	serve(_metadata, vcpu, &uc, seen, &in, &writes);
	EXPECT_EQ(RO_GPA + 8 + LEN, uc.args[0]);
	EXPECT_EQ(0ULL, uc.args[1]);
	EXPECT_EQ((unsigned int)LEN, writes);
	for (i = 0; i < LEN; i++)
		EXPECT_EQ(0x40 + i, seen[8 + i]) TH_LOG("byte %u", i);
	EXPECT_TRUE(all(ro, 2 * 4096, 0xee));
	vm_free(vm);
}

/*
 * The page table mapping VA_DEV (to a device) lies in the read-only slot:
 * the access is an MMIO read, and no accessed bit lands in the slot.
 */
TEST(page_table_in_slot)
{
	struct kvmini_vcpu *vcpu;
	struct ucall uc;
	uint64_t *pt, *pde;
	uint8_t *ro, before[4096];
	struct kvmini_vm *vm = setup(guest_pt, &vcpu, &ro, 0);
	struct kvmini_run *run;

	REQUIRE_VM(vm);
	run = vcpu->run;
	vm_map(vm, VA_DEV, DEV_GPA, 4096);
	/* VA_DEV's page table goes into the slot's second page; the PDE points there. */
	pt = (uint64_t *)(ro + 4096);
	pt[(VA_DEV >> 12) & 511] = DEV_GPA | 0x3;	/* P, RW; A clear */
	pde = pde_of(vm, VA_DEV);
	*pde = (RO_GPA + 4096) | 0x3;
	memcpy(before, ro + 4096, sizeof(before));
	ASSERT_EQ(0, vcpu_run(vcpu));
	ASSERT_EQ(KVMINI_EXIT_MMIO, (int)run->exit_reason)
		TH_LOG("exit %s", exit_reason_str(run->exit_reason));
	EXPECT_EQ(DEV_GPA + 0x10, run->mmio.phys_addr);
	EXPECT_EQ(4U, run->mmio.len);
	EXPECT_FALSE(run->mmio.is_write);
	*(uint32_t *)run->mmio.data = 0x600dcafe;
	ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, &uc));
	EXPECT_EQ(0x600dcafeULL, uc.args[0]);
	EXPECT_EQ(0, memcmp(before, ro + 4096, sizeof(before)));	/* no A bit */
	EXPECT_EQ(0ULL, pt[(VA_DEV >> 12) & 511] & PTE_A);
	vm_free(vm);
}

TEST_HARNESS_MAIN
