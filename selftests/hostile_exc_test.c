// SPDX-License-Identifier: GPL-2.0
/*
 * A hostile guest's exceptions, page tables and endless loops.
 *
 * storms: 2000 each of #DB by single-stepping (exactly 2N+4 for the
 * stepped code, DR6.BS set), #BP, #UD, #DE, #PF (CR2, error code 0), #GP
 * from WRMSR (an exit and an injection each) and #DB from a data
 * breakpoint, all counted by the guest's IDT: none lost, none doubled.
 *
 * triple_faults: IDT limit 0, IDT unmapped, #PF with the #PF and #DF gates
 * not present, the exception stack (IST1) unmapped, CR3 pointing outside
 * guest memory: each ends in KVMINI_EXIT_SHUTDOWN, and the same vCPU,
 * set up again, runs a guest to the end.
 *
 * page_tables: the guest rewrites its live page tables: a PTE flipped
 * between two pages 500 times (INVLPG, then CR3 reload) always reads the
 * right page; it unmaps the page of the code it is running and of the
 * stack it is using (its #PF handler maps them back: one #PF each, the
 * right CR2 and error code); a leaf PTE pointing outside all memory slots
 * reads and writes through MMIO exits at the right GPA; a reserved bit in
 * a PTE gives #PF with RSVD; a PDE pointing outside all slots gives a #PF
 * (as KVM: the page walk finds no memory); a recursive PML4 entry lets it
 * read its page tables and build an alias mapping through them.
 *
 * endless_loop: a guest spinning with IF=1 and with IF=0 is stopped by a
 * signal (RUN returns EINTR, exit INTR) twice, going on where it was each
 * time, and ends when the VMM tells it to.
 */
#include <signal.h>
#include <sys/time.h>

#include "kvmini_util.h"
#include "kvmini_vm.h"
#include "kselftest_harness.h"

#define STORM		2000
#define UNMAPPED	0x7f0000000000ULL	/* no guest mapping there */
#define MMIO_GPA	0xc0000000ULL		/* outside every memory slot */
#define PTE_P		1ULL
#define PTE_RW		2ULL
#define PTE_ADDR	0x000ffffffffff000ULL

static uint64_t g_watch;

/* Count @vec's exceptions from now: guest_exc.counts[] is the library's. */
static inline void zero_counts(void)
{
	int i;

	for (i = 0; i < 32; i++)
		((volatile uint64_t *)guest_exc.counts)[i] = 0;
}

static void guest_storms(void)
{
	uint64_t n, dr6;

	/* #DB: TF set for MOV, N x (DEC, JNZ), PUSHF, AND, POPF (which clears it). */
	zero_counts();
	guest_exc_count(0);
	asm volatile("sub $128, %%rsp\n\t"
		     "pushfq; orq $0x100, (%%rsp); popfq\n\t"
		     "mov %0, %%ecx\n"
		     "1: dec %%ecx; jnz 1b\n\t"
		     "pushfq; andq $~0x100, (%%rsp); popfq\n\t"
		     "add $128, %%rsp"
		     : : "r"((uint32_t)STORM) : "rcx", "memory", "cc");
	guest_exc.resume = 0;
	asm volatile("mov %%dr6, %0" : "=r"(dr6));
	GUEST_SYNC4(1, guest_exc.counts[1], dr6, guest_exc.count);

	zero_counts();
	guest_exc_count(0);	/* INT3 is a trap: RIP is past it */
	for (n = 0; n < STORM; n++)
		asm volatile("int3" : : : "memory");
	guest_exc.resume = 0;
	GUEST_SYNC4(3, guest_exc.counts[3], 0, guest_exc.count);

	zero_counts();
	guest_exc_count(2);
	for (n = 0; n < STORM; n++)
		asm volatile("ud2" : : : "memory");
	guest_exc.resume = 0;
	GUEST_SYNC4(6, guest_exc.counts[6], 0, guest_exc.count);

	zero_counts();
	guest_exc_count(2);	/* div %ecx: f7 f1 */
	for (n = 0; n < STORM; n++)
		asm volatile("div %%ecx" : : "a"(1), "d"(0), "c"(0) : "memory", "cc");
	guest_exc.resume = 0;
	GUEST_SYNC4(0, guest_exc.counts[0], 0, guest_exc.count);

	zero_counts();
	guest_exc_count(3);	/* mov (%rax), %rcx: 48 8b 08 */
	for (n = 0; n < STORM; n++)
		asm volatile("mov (%%rax), %%rcx" : : "a"(UNMAPPED) : "rcx", "memory");
	guest_exc.resume = 0;
	GUEST_SYNC4(14, guest_exc.counts[14], guest_exc.cr2, guest_exc.error_code);

	zero_counts();
	guest_exc_count(2);	/* an MSR nobody has */
	for (n = 0; n < STORM; n++)
		asm volatile("wrmsr" : : "c"(0x1fff), "a"(0), "d"(0) : "memory");
	guest_exc.resume = 0;
	GUEST_SYNC4(13, guest_exc.counts[13], 0, guest_exc.error_code);

	/* #DB after each 8-byte write to g_watch: DR0, R/W0 = write, LEN0 = 8, L0. */
	zero_counts();
	asm volatile("mov %0, %%dr0; mov %1, %%dr7" : : "r"(&g_watch), "r"(0xd0401ULL));
	guest_exc_count(0);
	for (n = 0; n < STORM; n++)
		*(volatile uint64_t *)&g_watch = n;
	guest_exc.resume = 0;
	asm volatile("mov %1, %%dr7; mov %%dr6, %0" : "=&r"(dr6) : "r"(0x400ULL));
	GUEST_SYNC4(1, guest_exc.counts[1], dr6, guest_exc.count);
}

TEST(storms)
{
	static const struct { uint64_t vec, count; const char *what; } want[] = {
		{ 1, 2 * STORM + 4, "#DB single steps" }, { 3, STORM, "#BP" },
		{ 6, STORM, "#UD" }, { 0, STORM, "#DE" }, { 14, STORM, "#PF" },
		{ 13, STORM, "#GP from WRMSR" }, { 1, STORM, "#DB data breakpoints" },
	};
	struct kvmini_vcpu *vcpu;
	struct kvmini_vm *vm = vm_create_guest(guest_storms, &vcpu);
	struct ucall uc;
	unsigned int i;

	REQUIRE_VM(vm);
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, &uc)) TH_LOG("%s", want[i].what);
		EXPECT_EQ(want[i].vec, uc.args[0]);
		EXPECT_EQ(want[i].count, uc.args[1]) TH_LOG("%s", want[i].what);
		if (i == 0)	/* DR6.BS */
			EXPECT_EQ(0x4000ULL, uc.args[2] & 0x4000) TH_LOG("DR6 %#lx",
									(unsigned long)uc.args[2]);
		if (i == 4) {
			EXPECT_EQ(UNMAPPED, uc.args[2]) TH_LOG("CR2");
			EXPECT_EQ(0ULL, uc.args[3]) TH_LOG("#PF error code");
		}
		if (i == 5)
			EXPECT_EQ(0ULL, uc.args[3]) TH_LOG("#GP error code");
		if (i == 6)	/* DR6.B0 */
			EXPECT_EQ(1ULL, uc.args[2] & 0xf) TH_LOG("DR6 %#lx",
								 (unsigned long)uc.args[2]);
	}
	ASSERT_EQ(UCALL_DONE, vcpu_run_ucall(vcpu, &uc));
	vm_free(vm);
}

/* ------------------------------------------------------------------ */

enum { T_IDT_LIMIT0, T_IDT_UNMAPPED, T_NO_PF_DF_GATE, T_IST_UNMAPPED, T_CR3_OUTSIDE, NR_T };
static const char *const t_names[NR_T] = {
	"IDT limit 0", "IDT unmapped", "#PF and #DF gates not present",
	"exception stack unmapped", "CR3 outside memory",
};

static void guest_triple(uint64_t route)
{
	struct { uint16_t limit; uint64_t base; } __attribute__((packed)) idtr;
	volatile uint64_t *idt = (uint64_t *)GUEST_IDT;

	switch (route) {
	case T_IDT_LIMIT0:
		idtr.limit = 0;
		idtr.base = GUEST_IDT;
		asm volatile("lidt %0; int3" : : "m"(idtr) : "memory");
		break;
	case T_IDT_UNMAPPED:
		idtr.limit = 4095;
		idtr.base = UNMAPPED;
		asm volatile("lidt %0; ud2" : : "m"(idtr) : "memory");
		break;
	case T_NO_PF_DF_GATE:	/* #PF -> #NP (gate 14) -> #DF -> #NP (gate 8) */
		idt[2 * 14] &= ~(1ULL << 47);
		idt[2 * 8] &= ~(1ULL << 47);
		(void)*(volatile uint64_t *)UNMAPPED;
		break;
	case T_IST_UNMAPPED:	/* the frame of #BP cannot be pushed, nor #PF's, nor #DF's */
		*(volatile uint64_t *)(GUEST_TSS + 36) = UNMAPPED;
		asm volatile("int3" : : : "memory");
		break;
	case T_CR3_OUTSIDE:
		asm volatile("mov %0, %%cr3; nop" : : "r"(MMIO_GPA) : "memory");
		break;
	}
	GUEST_SYNC(route);	/* never */
}

static void guest_ok(void)
{
	GUEST_SYNC(42);
}

/* Route @t into a triple fault; then the same vCPU, set up again, runs. */
static void triple(struct __test_metadata *_metadata, int t)
{
	struct kvmini_vcpu *vcpu;
	struct kvmini_vm *vm = vm_create_guest(guest_triple, &vcpu);
	static uint8_t tables[3 * 4096];	/* GDT, IDT, TSS as the library made them */
	struct kvmini_run *run;
	struct ucall uc;
	int r;

	REQUIRE_VM(vm);
	run = vcpu->run;
	memcpy(tables, vm_gpa2hva(vm, GUEST_GDT), sizeof(tables));
	vcpu_set_args(vcpu, 1, (uint64_t)t);
	r = vcpu_run(vcpu);
	EXPECT_EQ(0, r) TH_LOG("%s: KVMINI_RUN %s", t_names[t], strerror(-r));
	/*
	 * With CR3 outside memory the page walk reads nothing: a triple
	 * fault (all-ones entries have reserved bits) or, failing that, an
	 * emulation failure the VMM sees, but neither a hang nor FAIL_ENTRY.
	 */
	if (t == T_CR3_OUTSIDE && run->exit_reason == KVMINI_EXIT_INTERNAL_ERROR) {
		EXPECT_EQ(KVMINI_INTERNAL_ERROR_EMULATION, (int)run->internal.suberror);
	} else {
		EXPECT_EQ(KVMINI_EXIT_SHUTDOWN, (int)run->exit_reason)
			TH_LOG("%s: exit %s", t_names[t], exit_reason_str(run->exit_reason));
	}
	if (run->exit_reason == KVMINI_EXIT_INTERNAL_ERROR)
		TH_LOG("suberror %u, ndata %u, data %#llx %#llx", run->internal.suberror,
		       run->internal.ndata, run->internal.data[0], run->internal.data[1]);
	if (run->exit_reason == KVMINI_EXIT_MMIO)
		TH_LOG("MMIO gpa %#llx len %u", run->mmio.phys_addr, run->mmio.len);
	memcpy(vm_gpa2hva(vm, GUEST_GDT), tables, sizeof(tables));
	vcpu_setup_long_mode(vcpu, guest_ok);
	ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, &uc)) TH_LOG("after %s", t_names[t]);
	EXPECT_EQ(42ULL, uc.args[0]);
	vm_free(vm);
}

TEST(triple_fault_idt_limit0)
{
	triple(_metadata, T_IDT_LIMIT0);
}

TEST(triple_fault_idt_unmapped)
{
	triple(_metadata, T_IDT_UNMAPPED);
}

TEST(triple_fault_no_pf_df_gate)
{
	triple(_metadata, T_NO_PF_DF_GATE);
}

TEST(triple_fault_ist_unmapped)
{
	triple(_metadata, T_IST_UNMAPPED);
}

TEST(triple_fault_cr3_outside)
{
	if (kvmini_dev_is_kvm())
		SKIP(return, "KVM 6.1 retries the nested page fault of the walk forever "
		     "(seen: the test's 30 s timeout)");
	triple(_metadata, T_CR3_OUTSIDE);
}

/* ------------------------------------------------------------------ */

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

/* ------------------------------------------------------------------ */

static uint64_t g_spins, g_stop;

static void guest_spin(uint64_t irq_on)
{
	uint64_t rflags;

	if (irq_on)
		asm volatile("sti" : : : "memory");
	else
		asm volatile("cli" : : : "memory");
	while (!*(volatile uint64_t *)&g_stop)
		(*(volatile uint64_t *)&g_spins)++;
	asm volatile("pushfq; pop %0" : "=r"(rflags));
	GUEST_SYNC(rflags);
}

static volatile sig_atomic_t got_alarm;

static void on_alarm(int sig)
{
	got_alarm = 1;
}

static void spin(struct __test_metadata *_metadata, uint64_t irq_on)
{
	struct itimerval it = { .it_value.tv_usec = 50 * 1000 };
	struct sigaction sa = { .sa_handler = on_alarm };	/* no SA_RESTART */
	struct kvmini_vcpu *vcpu;
	struct kvmini_vm *vm = vm_create_guest(guest_spin, &vcpu);
	uint64_t spins = 0, now;
	struct ucall uc;
	int i;

	REQUIRE_VM(vm);
	ASSERT_EQ(0, sigaction(SIGALRM, &sa, NULL));
	vcpu_set_args(vcpu, 1, irq_on);
	for (i = 0; i < 2; i++) {
		got_alarm = 0;
		ASSERT_EQ(0, setitimer(ITIMER_REAL, &it, NULL));
		EXPECT_EQ(-EINTR, vcpu_run(vcpu));
		EXPECT_EQ(KVMINI_EXIT_INTR, (int)vcpu->run->exit_reason)
			TH_LOG("exit %s", exit_reason_str(vcpu->run->exit_reason));
		EXPECT_EQ(1, got_alarm);
		now = GUEST_VAR(vm, g_spins);
		EXPECT_GT(now, spins) TH_LOG("round %d: the guest did not go on", i);
		spins = now;
	}
	GUEST_VAR(vm, g_stop) = 1;
	ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, &uc));
	EXPECT_EQ(irq_on << 9, uc.args[0] & (1 << 9)) TH_LOG("RFLAGS.IF");
	vm_free(vm);
}

TEST(endless_loop_if1)
{
	spin(_metadata, 1);
}

TEST(endless_loop_if0)
{
	if (kvmini_dev_is_kvm() && !host_cpu_is_amd())
		SKIP(return, "Bochs 2.7 loses external interrupts into an IF=0 guest, and "
		     "the distro KVM has no preemption-timer backstop: it would freeze this host");
	spin(_metadata, 0);
}

TEST_HARNESS_MAIN
