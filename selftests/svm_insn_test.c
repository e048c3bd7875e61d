// SPDX-License-Identifier: GPL-2.0
/*
 * The instructions an SVM hypervisor intercepts without handing them to
 * the VMM get the architecturally right answer in a 64-bit guest, each
 * checked with the guest's fault record (vector, error code, RIP): the SVM
 * instructions and RSM #UD (the guest has no SVM, is not in SMM), RDPMC
 * reads AMD's legacy counter 0 (never programmed: 0) and #GP(0)s for a
 * counter there is not, MONITOR/MWAIT NOPs (KVM's default quirk),
 * INVD/WBINVD no fault, XSETBV #GP(0) for a bad XCR or value, MOV DRn
 * round trips with DR6/DR7's fixed bits (and single steps and data
 * breakpoints raising #DB with DR6 set), RDTSCP's ECX the guest's TSC_AUX
 * (if the supported CPUID has RDTSCP; XSETBV if it has XSAVE).
 */
#include "kvmini_util.h"
#include "kvmini_vm.h"
#include "kselftest_harness.h"

#define X86_CR4_OSXSAVE	(1ULL << 18)
#define MSR_TSC_AUX	0xc0000103
#define TSC_AUX_VAL	0x5a5a1234ULL

enum { C_VMRUN, C_VMLOAD, C_VMSAVE, C_STGI, C_CLGI, C_SKINIT, C_INVLPGA, C_RSM,
       C_RDPMC, C_RDPMC_BAD, C_MONITOR, C_MWAIT, C_INVD, C_WBINVD, C_XSETBV_NO_FP,
       C_XSETBV_XCR1, C_XSETBV_YMM_NO_SSE, C_XSETBV_RSVD, C_XSETBV_OK, C_RDTSCP };

static uint64_t g_case;
static uint8_t g_page[4096] __attribute__((aligned(4096)));

/* Run @insn (@len bytes) at a known RIP with rax/rcx/rdx as given: its RIP. */
#define TRY(len, insn, a, c, d) ({					\
	uint64_t __rip, __c = (c);					\
	rax = (a);							\
	rdx = (d);							\
	guest_exc_arm(len);						\
	asm volatile("lea 1f(%%rip), %0\n1: " insn			\
		     : "=&r"(__rip), "+a"(rax), "+c"(__c), "+d"(rdx) : : "memory"); \
	guest_exc.resume = 0;						\
	__rip; })

static void guest_insn(void)
{
	uint64_t page = (uintptr_t)g_page, rip, v, rax, rdx;
	uint32_t lo, hi;

	for (;;) {
		v = 0;
		switch (*(volatile uint64_t *)&g_case) {
		case C_VMRUN:	rip = TRY(3, "vmrun", page, 0, 0); break;
		case C_VMLOAD:	rip = TRY(3, "vmload", page, 0, 0); break;
		case C_VMSAVE:	rip = TRY(3, "vmsave", page, 0, 0); break;
		case C_STGI:	rip = TRY(3, "stgi", 0, 0, 0); break;
		case C_CLGI:	rip = TRY(3, "clgi", 0, 0, 0); break;
		case C_SKINIT:	rip = TRY(3, "skinit", page, 0, 0); break;
		case C_INVLPGA:	rip = TRY(3, ".byte 0x0f, 0x01, 0xdf", page, 0, 0); break;
		case C_RSM:	rip = TRY(2, "rsm", 0, 0, 0); break;
		case C_RDPMC:
			rip = TRY(2, "rdpmc", ~0ULL, 0, ~0ULL);
			v = (uint32_t)rax | rdx << 32;
			break;
		case C_RDPMC_BAD: rip = TRY(2, "rdpmc", 0, 0x10, 0); break;
		case C_MONITOR:	rip = TRY(3, "monitor", page, 0, 0); break;
		case C_MWAIT:	rip = TRY(3, "mwait", 0, 0, 0); break;
		case C_INVD:	rip = TRY(2, "invd", 0, 0, 0); break;
		case C_WBINVD:	rip = TRY(2, "wbinvd", 0, 0, 0); break;
		case C_XSETBV_NO_FP:	  rip = TRY(3, "xsetbv", 2, 0, 0); break;
		case C_XSETBV_XCR1:	  rip = TRY(3, "xsetbv", 1, 1, 0); break;
		case C_XSETBV_YMM_NO_SSE: rip = TRY(3, "xsetbv", 5, 0, 0); break;
		case C_XSETBV_RSVD:	  rip = TRY(3, "xsetbv", 3, 0, 1ULL << 31); break;
		case C_XSETBV_OK:
			rip = TRY(3, "xsetbv", 3, 0, 0);
			asm volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
			v = lo | (uint64_t)hi << 32;
			break;
		case C_RDTSCP:
			rip = TRY(3, "rdtscp; mov %%ecx, %%eax", 0, 0, 0);
			v = rax;
			break;
		default:
			return;
		}
		GUEST_SYNC4(guest_exc.vector, guest_exc.error_code,
			    guest_exc.vector == GUEST_NO_EXC || guest_exc.rip == rip, v);
	}
}

static bool supported_has(struct kvmini_vm *vm, uint32_t fn, int reg, int bit)
{
	struct kvmini_cpuid2 *c = kvmini_supported_cpuid(vm);
	bool has = false;
	uint32_t i;

	for (i = 0; i < c->nent; i++)
		if (c->entries[i].function == fn && c->entries[i].index == 0) {
			uint32_t r[4] = { c->entries[i].eax, c->entries[i].ebx,
					  c->entries[i].ecx, c->entries[i].edx };

			has = r[reg] & (1U << bit);
		}
	free(c);
	return has;
}

/* Run case @c: vector (GUEST_NO_EXC: none), error code; the value it read. */
static void expect(struct __test_metadata *_metadata, struct kvmini_vcpu *vcpu,
		   uint64_t c, uint64_t vector, uint64_t *val)
{
	struct ucall uc;

	GUEST_VAR(vcpu->vm, g_case) = c;
	ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, &uc));
	EXPECT_EQ(vector, uc.args[0]) TH_LOG("case %lu", (unsigned long)c);
	EXPECT_EQ(0ULL, uc.args[1]) TH_LOG("case %lu: error code", (unsigned long)c);
	EXPECT_EQ(1ULL, uc.args[2]) TH_LOG("case %lu: fault RIP", (unsigned long)c);
	if (val)
		*val = uc.args[3];
}

TEST(intercepts)
{
	struct kvmini_vcpu *vcpu;
	struct kvmini_vm *vm = vm_create_guest(guest_insn, &vcpu);
	struct { struct kvmini_msrs m; struct kvmini_msr_entry e; } aux = {
		.m.nmsrs = 1, .e = { .index = MSR_TSC_AUX, .data = TSC_AUX_VAL } };
	bool xsave, rdtscp;
	struct kvmini_sregs s;
	uint64_t c, v;

	REQUIRE_VM(vm);
	if (!host_cpu_is_amd())
		SKIP(goto out, "the answers of an AMD host (RDPMC's counters)");
	xsave = supported_has(vm, 1, 2, 26);
	rdtscp = supported_has(vm, 0x80000001, 3, 27);
	vcpu_set_cpuid_supported(vcpu);
	if (xsave) {
		vcpu_ioctl(vcpu, KVMINI_GET_SREGS, &s);
		s.cr4 |= X86_CR4_OSXSAVE;
		vcpu_ioctl(vcpu, KVMINI_SET_SREGS, &s);
	}
	ASSERT_EQ(1, ioctl_err(vcpu->fd, KVMINI_SET_MSRS, (unsigned long)&aux));

	for (c = C_VMRUN; c <= C_RSM; c++)
		expect(_metadata, vcpu, c, 6, NULL);
	/*
	 * Every AMD CPU has legacy counters 0-3 (PerfCtrCore adds 4-5): KVM
	 * answers RDPMC for them from its vPMU state even when the host lends
	 * it no PMU (enable_pmu off), and #GP(0) past them.
	 */
	expect(_metadata, vcpu, C_RDPMC, GUEST_NO_EXC, &v);
	EXPECT_EQ(0ULL, v);
	expect(_metadata, vcpu, C_RDPMC_BAD, 13, NULL);
	for (c = C_MONITOR; c <= C_WBINVD; c++)
		expect(_metadata, vcpu, c, GUEST_NO_EXC, NULL);
	if (xsave) {
		for (c = C_XSETBV_NO_FP; c <= C_XSETBV_RSVD; c++)
			expect(_metadata, vcpu, c, 13, NULL);
		/*
		 * QEMU TCG runs a nested guest's XSETBV itself, without the
		 * intercept: kvmini puts the XCR0 it knows back at the next
		 * exit, so what XGETBV then reads depends on exit timing.
		 */
		expect(_metadata, vcpu, C_XSETBV_OK, GUEST_NO_EXC, &v);
		if (!host_is_qemu_tcg())
			EXPECT_EQ(3ULL, v);
	}
	if (rdtscp) {
		expect(_metadata, vcpu, C_RDTSCP, GUEST_NO_EXC, &v);
		EXPECT_EQ(TSC_AUX_VAL, v);
	}
	GUEST_VAR(vm, g_case) = ~0ULL;
	vcpu_run_expect(vcpu, KVMINI_EXIT_IO);
	EXPECT_EQ(UCALL_DONE, vcpu_get_ucall(vcpu, &(struct ucall){ 0 }));
	if (!xsave || !rdtscp)
		TH_LOG("not tested: %s%s", xsave ? "" : "XSETBV (no XSAVE) ",
		       rdtscp ? "" : "RDTSCP (not in the supported CPUID)");
out:
	vm_free(vm);
}

/*
 * MOV to and from DR0-3, DR6, DR7: what was written, DR6/DR7's fixed bits
 * set; and they work: a single step and a data breakpoint raise #DB with
 * DR6 saying which (BS, B0).
 */
static uint64_t g_dr[4] = { 0x12345000, 0xdead0008, 0x00007fff00001000ULL,
			    0xffff800000002000ULL };
static uint64_t g_watch;

static void guest_dr(void)
{
	uint64_t r[4];

	asm volatile("mov %0, %%dr0" : : "r"(g_dr[0]));
	asm volatile("mov %0, %%dr1" : : "r"(g_dr[1]));
	asm volatile("mov %0, %%dr2" : : "r"(g_dr[2]));
	asm volatile("mov %0, %%dr3" : : "r"(g_dr[3]));
	asm volatile("mov %%dr0, %0" : "=r"(r[0]));
	asm volatile("mov %%dr1, %0" : "=r"(r[1]));
	asm volatile("mov %%dr2, %0" : "=r"(r[2]));
	asm volatile("mov %%dr3, %0" : "=r"(r[3]));
	GUEST_SYNC4(r[0], r[1], r[2], r[3]);
	asm volatile("mov %1, %%dr6; mov %%dr6, %0" : "=r"(r[0]) : "r"(0ULL));
	asm volatile("mov %1, %%dr6; mov %%dr6, %0" : "=r"(r[1]) : "r"(0xe00fULL));
	asm volatile("mov %1, %%dr7; mov %%dr7, %0" : "=r"(r[2]) : "r"(0ULL));
	/* L0-L3, LE; write/8 bytes, rw/2, exec/1, write/4: never hit here. */
	asm volatile("mov %1, %%dr7; mov %%dr7, %0" : "=r"(r[3]) : "r"(0x907d0155ULL));
	GUEST_SYNC4(r[0], r[1], r[2], r[3]);
	asm volatile("mov %0, %%dr7" : : "r"(0x400ULL));
	asm volatile("mov %%dr0, %0" : "=r"(r[0]));
	asm volatile("mov %%dr3, %0" : "=r"(r[3]));
	GUEST_SYNC4(r[0], guest_exc.count, 0, r[3]);

	/* TF set by one POPF, cleared by the next: one #DB, after it. */
	asm volatile("mov %0, %%dr6" : : "r"(0ULL));
	guest_exc_arm(0);
	asm volatile("pushfq; pushfq; orq $0x100, (%%rsp); popfq; popfq" : : : "memory", "cc");
	guest_exc.resume = 0;
	r[0] = guest_exc.vector;
	asm volatile("mov %%dr6, %0" : "=r"(r[1]));
	/* DR0 on g_watch, 8-byte writes: #DB after the store. */
	asm volatile("mov %0, %%dr6" : : "r"(0ULL));
	asm volatile("mov %0, %%dr0; mov %1, %%dr7" : : "r"(&g_watch), "r"(0xd0401ULL));
	guest_exc_arm(0);
	*(volatile uint64_t *)&g_watch = 1;
	guest_exc.resume = 0;
	r[2] = guest_exc.vector;
	asm volatile("mov %%dr6, %0" : "=r"(r[3]));
	asm volatile("mov %0, %%dr7" : : "r"(0x400ULL));
	GUEST_SYNC4(r[0], r[1], r[2], r[3]);
}

TEST(debug_registers)
{
	struct kvmini_vcpu *vcpu;
	struct kvmini_vm *vm = vm_create_guest(guest_dr, &vcpu);
	struct ucall uc;

	REQUIRE_VM(vm);
	ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, &uc));
	EXPECT_EQ(0, memcmp(g_dr, uc.args, sizeof(g_dr)));
	ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, &uc));
	EXPECT_EQ(0xffff0ff0ULL, uc.args[0]);	/* DR6: bits 4-11, 16-31 are 1 */
	EXPECT_EQ(0xffffefffULL, uc.args[1]);
	EXPECT_EQ(0x400ULL, uc.args[2]);	/* DR7: bit 10 is 1 */
	EXPECT_EQ(0x907d0555ULL, uc.args[3]);
	/* Across an exit: the values stay, and no exception was taken. */
	ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, &uc));
	EXPECT_EQ(g_dr[0], uc.args[0]);
	EXPECT_EQ(0ULL, uc.args[1]);
	EXPECT_EQ(g_dr[3], uc.args[3]);
	ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, &uc));
	EXPECT_EQ(1ULL, uc.args[0]) TH_LOG("no #DB for a single step");
	EXPECT_EQ(0xffff4ff0ULL, uc.args[1]);	/* BS */
	EXPECT_EQ(1ULL, uc.args[2]) TH_LOG("no #DB for a data breakpoint");
	EXPECT_EQ(0xffff0ff1ULL, uc.args[3]);	/* B0 */
	ASSERT_EQ(UCALL_DONE, vcpu_run_ucall(vcpu, &uc));
	vm_free(vm);
}

TEST_HARNESS_MAIN
