// SPDX-License-Identifier: GPL-2.0
/*
 * A hostile guest rewrites its live page tables.
 *
 * A PTE flipped between two pages 500 times (INVLPG, then CR3 reload)
 * always reads the right page.  The guest unmaps the page of the code it
 * is running and of the stack it is using: its #PF handler maps them
 * back, one #PF each, with the right CR2 and error code.  A leaf PTE
 * pointing outside all memory slots reads and writes through MMIO exits
 * at the right GPA.  A reserved bit in a PTE gives #PF with RSVD.  A PDE
 * pointing outside all slots gives a #PF, as KVM (its page walk finds no
 * memory there), not an exit.  A recursive PML4 entry lets the guest read
 * its page tables and build an alias mapping through them.
 */
#include "kvmini_util.h"
#include "kvmini_vm.h"
#include "kselftest_harness.h"

#define MMIO_GPA	0xc0000000ULL		/* outside every memory slot */
#define PTE_P		1ULL
#define PTE_RW		2ULL
#define PTE_ADDR	0x000ffffffffff000ULL

#define VA_Y		0x40000000ULL		/* the host maps it to page A */
#define MARK_A		0xaaaa0000aaaa0000ULL
#define MARK_B		0xbbbb0000bbbb0000ULL
#define RECURSE		256ULL			/* the PML4 slot pointing to the PML4 */
#define ALIAS		300ULL			/* a PML4 slot made an alias of slot 0 */
#define MMIO_READ	0x1122334455667788ULL
#define MMIO_WRITE	0x55aa55aa12345678ULL

/* The #PF handler below puts *g_fix_pte = g_fix_val back and counts. */
uint64_t g_fix_pte, g_fix_val, g_pf_count, g_pf_err, g_pf_cr2;
static uint8_t g_stack[4096] __attribute__((aligned(4096)));

/*
 * Each on its own page: the handler, the code that unmaps its own page,
 * the code that unmaps the page of the stack it switches to.
 */
void pf_fixup(void);
void unmap_code(uint64_t *pte, uint64_t val);
void unmap_stack(uint64_t *pte, uint64_t val, uint64_t top);
asm(".pushsection .text.hostile_pf, \"ax\"\n"
    ".balign 4096\n"
    "pf_fixup:\n"
    "	push %rax\n"
    "	push %rdx\n"
    "	mov g_fix_pte(%rip), %rdx\n"
    "	mov g_fix_val(%rip), %rax\n"
    "	mov %rax, (%rdx)\n"
    "	incq g_pf_count(%rip)\n"
    "	mov 16(%rsp), %rax\n"
    "	mov %rax, g_pf_err(%rip)\n"
    "	mov %cr2, %rax\n"
    "	mov %rax, g_pf_cr2(%rip)\n"
    "	invlpg (%rax)\n"
    "	pop %rdx\n"
    "	pop %rax\n"
    "	add $8, %rsp\n"
    "	iretq\n"
    ".balign 4096\n"
    "unmap_code:\n"
    "	mov %rsi, (%rdi)\n"
    "	invlpg unmap_code(%rip)\n"
    "	nop\n"
    "	ret\n"
    ".balign 4096\n"
    "unmap_stack:\n"
    "	mov %rsi, (%rdi)\n"
    "	invlpg -8(%rdx)\n"
    "	mov %rsp, %r8\n"
    "	mov %rdx, %rsp\n"
    "	push $0x1234\n"
    "	pop %rax\n"
    "	mov %r8, %rsp\n"
    "	ret\n"
    ".balign 4096\n"
    ".popsection\n");

/* The entry of @level (1: PTE) for @va in the guest's own (identity-mapped) tables. */
static volatile uint64_t *pte_of(uint64_t va, int level)
{
	uint64_t cr3, *t;
	int l;

	asm volatile("mov %%cr3, %0" : "=r"(cr3));
	t = (uint64_t *)(cr3 & PTE_ADDR);
	for (l = 4; l > level; l--)
		t = (uint64_t *)(t[(va >> (12 + 9 * (l - 1))) & 511] & PTE_ADDR);
	return &t[(va >> (12 + 9 * (level - 1))) & 511];
}

static inline void invlpg(uint64_t va)
{
	asm volatile("invlpg (%0)" : : "r"(va) : "memory");
}

static inline void reload_cr3(void)
{
	uint64_t cr3;

	asm volatile("mov %%cr3, %0; mov %0, %%cr3" : "=r"(cr3) : : "memory");
}

/*
 * A read that survives a #PF through pf_fixup (which repairs *g_fix_pte):
 * the globals pf_fixup uses are written before it, and read after it.
 */
static inline uint64_t read_va(uint64_t va)
{
	uint64_t v;

	asm volatile("mov (%1), %0" : "=r"(v) : "r"(va) : "memory");
	return v;
}

static void guest_pt(uint64_t page_a, uint64_t page_b)
{
	volatile uint64_t *pte = pte_of(VA_Y, 1), *pde = pte_of(VA_Y, 2);
	volatile uint64_t *pml4 = pte_of(0, 4), *rec;
	uint64_t good = *pte, good_pde = *pde, bad = 0, n, v;

	/* A PTE flipped between A and B: each read sees the page it maps now. */
	for (n = 0; n < 500; n++) {
		*pte = page_b | PTE_P | PTE_RW;
		invlpg(VA_Y);
		bad += read_va(VA_Y) != MARK_B;
		*pte = good;
		reload_cr3();
		bad += read_va(VA_Y) != MARK_A;
	}
	GUEST_SYNC(bad);

	/* The page of the code running, and of the stack in use, unmapped. */
	g_fix_pte = (uintptr_t)pte_of((uintptr_t)unmap_code, 1);
	g_fix_val = *(uint64_t *)g_fix_pte;
	g_pf_count = 0;
	asm volatile("" : : : "memory");
	unmap_code((uint64_t *)g_fix_pte, g_fix_val & ~PTE_P);
	GUEST_SYNC4(g_pf_count, g_pf_err, g_pf_cr2, (uintptr_t)unmap_code);
	g_fix_pte = (uintptr_t)pte_of((uintptr_t)g_stack, 1);
	g_fix_val = *(uint64_t *)g_fix_pte;
	g_pf_count = 0;
	asm volatile("" : : : "memory");
	unmap_stack((uint64_t *)g_fix_pte, g_fix_val & ~PTE_P, (uintptr_t)g_stack + 4096);
	GUEST_SYNC4(g_pf_count, g_pf_err, g_pf_cr2, (uintptr_t)g_stack);

	/* A leaf outside every slot: MMIO. */
	*pte = MMIO_GPA | PTE_P | PTE_RW;
	invlpg(VA_Y);
	v = read_va(VA_Y + 0x18);
	*(volatile uint64_t *)(VA_Y + 0x20) = MMIO_WRITE;
	*pte = good;
	invlpg(VA_Y);
	GUEST_SYNC(v);

	/* A reserved bit (63: EFER.NX is 0) in the leaf: #PF, P and RSVD; repaired. */
	g_fix_pte = (uintptr_t)pte;
	g_fix_val = good;
	g_pf_count = 0;
	*pte = good | (1ULL << 63);
	invlpg(VA_Y);
	v = read_va(VA_Y);
	GUEST_SYNC4(g_pf_count, g_pf_err, g_pf_cr2, v);

	/* The page table itself outside every slot: #PF; the handler repairs the PDE. */
	g_fix_pte = (uintptr_t)pde;
	g_fix_val = good_pde;
	g_pf_count = 0;
	*pde = MMIO_GPA | PTE_P | PTE_RW;
	invlpg(VA_Y);
	v = read_va(VA_Y + 0x18);
	GUEST_SYNC4(g_pf_count, g_pf_err, g_pf_cr2, v);

	/*
	 * PML4[RECURSE] = the PML4: VA (RECURSE, RECURSE, RECURSE, RECURSE, k*8)
	 * is PML4[k].  Through it, PML4[ALIAS] = PML4[0]: VA_Y read at ALIAS.
	 */
	pml4[RECURSE] = ((uintptr_t)pml4 & PTE_ADDR) | PTE_P | PTE_RW;
	reload_cr3();
	rec = (uint64_t *)(0xffff000000000000ULL | RECURSE << 39 | RECURSE << 30 |
			   RECURSE << 21 | RECURSE << 12);
	bad = rec[0] != pml4[0];
	rec[ALIAS] = rec[0];
	reload_cr3();
	v = read_va(ALIAS << 39 | 0xffff000000000000ULL | VA_Y);
	rec[ALIAS] = 0;
	pml4[RECURSE] = 0;
	reload_cr3();
	GUEST_SYNC4(bad, v, pml4[ALIAS], pml4[RECURSE]);
}

TEST(page_tables)
{
	struct kvmini_vcpu *vcpu;
	struct kvmini_vm *vm = vm_create_guest(guest_pt, &vcpu);
	struct kvmini_run *run;
	uint64_t a, b, v;
	struct ucall uc;
	char *code;

	REQUIRE_VM(vm);
	run = vcpu->run;
	a = vm_alloc_page(vm);
	b = vm_alloc_page(vm);
	*(uint64_t *)vm_gpa2hva(vm, a) = MARK_A;
	*(uint64_t *)vm_gpa2hva(vm, b) = MARK_B;
	vm_map(vm, VA_Y, a, 4096);
	idt_set_gate(vm_gpa2hva(vm, GUEST_IDT), 14, (uintptr_t)pf_fixup, 1);
	vcpu_set_args(vcpu, 2, a, b);

	ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, &uc));
	EXPECT_EQ(0ULL, uc.args[0]) TH_LOG("reads of the page the PTE did not map");

	ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, &uc));
	code = (char *)(uintptr_t)uc.args[3];
	TH_LOG("code page: error code %#lx", (unsigned long)uc.args[1]);
	EXPECT_EQ(1ULL, uc.args[0]) TH_LOG("#PFs for the code page");
	EXPECT_EQ(0ULL, uc.args[1] & 7) TH_LOG("error code %#lx", (unsigned long)uc.args[1]);
	EXPECT_EQ((uintptr_t)code & ~0xfffULL, uc.args[2] & ~0xfffULL) TH_LOG("CR2");
	ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, &uc));
	TH_LOG("stack page: error code %#lx", (unsigned long)uc.args[1]);
	EXPECT_EQ(1ULL, uc.args[0]) TH_LOG("#PFs for the stack page");
	EXPECT_EQ(2ULL, uc.args[1] & 7) TH_LOG("error code %#lx", (unsigned long)uc.args[1]);
	EXPECT_EQ(uc.args[3] + 4096 - 8, uc.args[2]) TH_LOG("CR2");

	/* MMIO: the read, then the write, at MMIO_GPA + offset. */
	ASSERT_EQ(0, vcpu_run(vcpu));
	ASSERT_EQ(KVMINI_EXIT_MMIO, (int)run->exit_reason)
		TH_LOG("leaf PTE outside memory: exit %s", exit_reason_str(run->exit_reason));
	EXPECT_EQ(MMIO_GPA + 0x18, run->mmio.phys_addr);
	EXPECT_EQ(8U, run->mmio.len);
	EXPECT_EQ(0, run->mmio.is_write);
	v = MMIO_READ;
	memcpy(run->mmio.data, &v, 8);
	ASSERT_EQ(0, vcpu_run(vcpu));
	ASSERT_EQ(KVMINI_EXIT_MMIO, (int)run->exit_reason);
	EXPECT_EQ(MMIO_GPA + 0x20, run->mmio.phys_addr);
	EXPECT_EQ(8U, run->mmio.len);
	EXPECT_EQ(1, run->mmio.is_write);
	memcpy(&v, run->mmio.data, 8);
	EXPECT_EQ(MMIO_WRITE, v);
	ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, &uc));
	EXPECT_EQ(MMIO_READ, uc.args[0]);

	ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, &uc));
	/* RSVD (P too on real CPUs; QEMU 7.2 leaves P out). */
	EXPECT_EQ(1ULL, uc.args[0]) TH_LOG("#PFs for a reserved bit");
	EXPECT_EQ(8ULL, uc.args[1] & 0xa) TH_LOG("error code %#lx", (unsigned long)uc.args[1]);
	EXPECT_EQ(VA_Y, uc.args[2]);
	EXPECT_EQ(MARK_A, uc.args[3]);

	ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, &uc))
		TH_LOG("PDE outside memory: exit %s, MMIO gpa %#llx", exit_reason_str(run->exit_reason),
		       run->mmio.phys_addr);
	EXPECT_EQ(1ULL, uc.args[0]) TH_LOG("#PFs for a page table outside memory");
	EXPECT_EQ(0ULL, uc.args[1] & 0xf) TH_LOG("error code %#lx", (unsigned long)uc.args[1]);
	EXPECT_EQ(VA_Y + 0x18, uc.args[2]);
	EXPECT_EQ(0ULL, uc.args[3]);

	ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, &uc));
	EXPECT_EQ(0ULL, uc.args[0]) TH_LOG("PML4[0] through the recursive map");
	EXPECT_EQ(MARK_A, uc.args[1]) TH_LOG("VA_Y through the alias");
	EXPECT_EQ(0ULL, uc.args[2]);
	EXPECT_EQ(0ULL, uc.args[3]);
	ASSERT_EQ(UCALL_DONE, vcpu_run_ucall(vcpu, &uc));
	vm_free(vm);
}

TEST_HARNESS_MAIN
