// SPDX-License-Identifier: GPL-2.0
/*
 * Save and restore of a whole vCPU: a guest computes with state in general
 * registers, RFLAGS (DF), x87 (control word: round toward zero), SSE
 * (MXCSR: round toward zero), an MSR, a debug register and memory; stopped
 * at an exit in the middle, every piece of state is read (REGS, SREGS,
 * XSAVE or FPU, XCRS, MSRS of the index list, VCPU_EVENTS, DEBUGREGS,
 * CPUID2) and written into a vCPU of a new VM on the same memory, which
 * finishes with exactly the results of an uninterrupted run.
 */
#include <stdlib.h>
#include <sys/mman.h>

#include "kvmini_util.h"
#include "kvmini_vm.h"
#include "kselftest_harness.h"

#define N		1000
#define STEP_PORT	0x92	/* OUT i every 64 iterations */
#define STOP_AT		512
#define MSR_STAR	0xc0000081

uint64_t sr_mem[256];
static const double three = 3.0;
static const uint16_t fcw_rz = 0x0f7f;	/* x87: RC = toward zero, 64-bit */
static const uint32_t mxcsr_rz = 0x7f80;	/* SSE: RC = toward zero */

static void guest_compute(void)
{
	uint64_t r12, r13, x8[2], x10, fl, dr0;
	uint32_t tmp;
	uint64_t f;

	wrmsr(MSR_STAR, 0x0023001012345678ULL);
	asm volatile("fninit; fldcw %[fcw]; ldmxcsr %[mx]\n\t"
		     "std; xor %%r12d, %%r12d; mov $1, %%r13d\n\t"
		     "pxor %%xmm8, %%xmm8; pxor %%xmm10, %%xmm10; fld1\n\t"
		     "xor %%ecx, %%ecx\n"
		     "1:	imul $0x5851f42d, %%r12, %%r12\n\t"
		     "add %%rcx, %%r12; xor %%r12, %%r13; rol $7, %%r13\n\t"
		     "movq %%r12, %%xmm9; paddq %%xmm9, %%xmm8; pshufd $0x4e, %%xmm8, %%xmm8\n\t"
		     "cvtsi2sd %%rcx, %%xmm9; divsd %[three], %%xmm9; addsd %%xmm9, %%xmm10\n\t"
		     "mov %%ecx, %[tmp]; fildl %[tmp]; fdivl %[three]; faddp\n\t"
		     "mov %%ecx, %%eax; and $255, %%eax; lea sr_mem(%%rip), %%rdx\n\t"
		     "add %%r12, (%%rdx,%%rax,8)\n\t"
		     "test $63, %%ecx; jnz 2f\n\t"
		     "mov %%ecx, %%eax; out %%eax, %[port]\n"
		     "2:	inc %%ecx; cmp %[n], %%ecx; jb 1b\n\t"
		     "fstpl %[f]; movdqu %%xmm8, %[x8]; movq %%xmm10, %[x10]\n\t"
		     "pushfq; popq %[fl]; cld; mov %%r12, %[r12]; mov %%r13, %[r13]"
		     : [r12] "=m"(r12), [r13] "=m"(r13), [x8] "=m"(x8), [x10] "=m"(x10),
		       [fl] "=m"(fl), [f] "=m"(f), [tmp] "=m"(tmp)
		     : [fcw] "m"(fcw_rz), [mx] "m"(mxcsr_rz), [three] "m"(three),
		       [n] "i"(N), [port] "i"(STEP_PORT)
		     : "rax", "rcx", "rdx", "r12", "r13", "xmm8", "xmm9", "xmm10",
		       "memory", "cc");
	asm volatile("mov %%dr0, %0" : "=r"(dr0));
	GUEST_SYNC4(r12, r13, x8[0], x8[1]);
	GUEST_SYNC4(x10, f, fl & (1 << 10), dr0);
	for (tmp = 0, r12 = 0; tmp < 256; tmp++)
		r12 = r12 * 31 + sr_mem[tmp];
	GUEST_SYNC4(r12, rdmsr(MSR_STAR), 0, 0);
}

static struct kvmini_vm *new_vm(struct kvmini_vcpu **vcpu)
{
	struct kvmini_vm *vm = vm_create_guest(guest_compute, vcpu);
	struct kvmini_debugregs dr;

	if (!vm)
		return NULL;
	vcpu_set_cpuid_supported(*vcpu);
	vcpu_ioctl(*vcpu, KVMINI_GET_DEBUGREGS, &dr);
	dr.db[0] = 0xfeed0000;
	vcpu_ioctl(*vcpu, KVMINI_SET_DEBUGREGS, &dr);
	return vm;
}

/* Run to the end from wherever the guest is; @res: the 12 results. */
static int run_to_end(struct kvmini_vcpu *vcpu, uint64_t *res)
{
	struct ucall uc;
	int steps = 0, n = 0;

	for (;;) {
		if (vcpu_run(vcpu))
			LIB_FAIL("KVMINI_RUN: %s", strerror(errno));
		if (vcpu->run->exit_reason == KVMINI_EXIT_IO &&
		    vcpu->run->io.port == STEP_PORT) {
			steps++;
			continue;
		}
		switch (vcpu_get_ucall(vcpu, &uc)) {
		case UCALL_SYNC:
			memcpy(res + 4 * n++, uc.args, sizeof(uc.args));
			continue;
		case UCALL_DONE:
			return steps;
		default:
			LIB_FAIL("exit %s, ucall %lu line %lu %s",
				 exit_reason_str(vcpu->run->exit_reason),
				 (unsigned long)uc.cmd, (unsigned long)uc.line, uc.expr);
		}
	}
}

TEST(save_restore_new_vm)
{
	static struct kvmini_xsave xs;
	struct kvmini_vcpu *va, *vb, *vc;
	struct kvmini_vm *a = new_vm(&va), *b, *c;
	struct kvmini_regs regs, regs2;
	struct kvmini_sregs sregs;
	struct kvmini_fpu fpu;
	struct kvmini_xcrs xcrs;
	struct kvmini_vcpu_events ev;
	struct kvmini_debugregs dr;
	struct kvmini_cpuid2 *cpuid = calloc(1, sizeof(*cpuid) + 256 * sizeof(cpuid->entries[0]));
	struct kvmini_msr_list *list = calloc(1, sizeof(*list) + 1024 * 4);
	struct kvmini_msrs *msrs = calloc(1, sizeof(*msrs) + 1024 * sizeof(msrs->entries[0]));
	struct { struct kvmini_msrs m; struct kvmini_msr_entry e; } one;
	uint64_t ref[12] = { 0 }, res[12] = { 0 };
	int ref_steps, steps, i, n = 0;
	bool has_xsave, has_xcrs;

	REQUIRE_VM(a);
	has_xsave = ioctl(a->dev_fd, KVMINI_CHECK_EXTENSION, KVMINI_CAP_XSAVE) > 0;
	has_xcrs = ioctl(a->dev_fd, KVMINI_CHECK_EXTENSION, KVMINI_CAP_XCRS) > 0;
	ref_steps = run_to_end(va, ref);
	EXPECT_EQ((N + 63) / 64, ref_steps);
	TH_LOG("ref: r12 %#lx mem %#lx x87 %#lx sse %#lx", (unsigned long)ref[0],
	       (unsigned long)ref[8], (unsigned long)ref[5], (unsigned long)ref[4]);
	EXPECT_EQ(0x400ULL, ref[6]);		/* DF */
	EXPECT_EQ(0xfeed0000ULL, ref[7]);	/* DR0 */
	EXPECT_EQ(0x0023001012345678ULL, ref[9]);

	/* The same guest, stopped at the exit of iteration STOP_AT. */
	b = new_vm(&vb);
	do {
		vcpu_run_expect(vb, KVMINI_EXIT_IO);
		ASSERT_EQ(STEP_PORT, vb->run->io.port);
	} while (*(uint32_t *)vcpu_io_data(vb) != STOP_AT);
	/* The OUT completes at the next KVMINI_RUN: do it without running. */
	vb->run->immediate_exit = 1;
	ASSERT_EQ(-EINTR, vcpu_run(vb));
	vb->run->immediate_exit = 0;

	vcpu_ioctl(vb, KVMINI_GET_REGS, &regs);
	vcpu_ioctl(vb, KVMINI_GET_SREGS, &sregs);
	vcpu_ioctl(vb, KVMINI_GET_FPU, &fpu);
	if (has_xsave)
		vcpu_ioctl(vb, KVMINI_GET_XSAVE, &xs);
	if (has_xcrs)
		vcpu_ioctl(vb, KVMINI_GET_XCRS, &xcrs);
	vcpu_ioctl(vb, KVMINI_GET_VCPU_EVENTS, &ev);
	vcpu_ioctl(vb, KVMINI_GET_DEBUGREGS, &dr);
	cpuid->nent = 256;
	vcpu_ioctl(vb, KVMINI_GET_CPUID2, cpuid);
	list->nmsrs = 1024;
	dev_ioctl(b, KVMINI_GET_MSR_INDEX_LIST, list);
	for (i = 0; i < (int)list->nmsrs; i++) {
		one.m.nmsrs = 1;
		one.e = (struct kvmini_msr_entry){ .index = list->indices[i] };
		if (ioctl(vb->fd, KVMINI_GET_MSRS, &one) == 1)
			msrs->entries[n++] = one.e;
	}
	msrs->nmsrs = n;
	TH_LOG("%d of %u MSRs readable, XSAVE %d, XCRS %d, %u CPUID entries",
	       n, list->nmsrs, has_xsave, has_xcrs, cpuid->nent);
	EXPECT_EQ(0x400ULL, regs.rflags & 0x400);	/* stopped in the loop */
	EXPECT_EQ((uint64_t)STOP_AT, regs.rcx);

	/* A new VM on the same memory; the old one is never run again. */
	c = vm_create();
	ASSERT_NE(NULL, c);
	ASSERT_EQ(0, vm_set_region(c, GUEST_SLOT0, 0, 0, b->slots[0].size, b->slots[0].hva));
	c->cr3 = b->cr3;
	vc = vcpu_add(c, 0);
	vcpu_ioctl(vc, KVMINI_SET_CPUID2, cpuid);
	vcpu_ioctl(vc, KVMINI_SET_SREGS, &sregs);
	vcpu_ioctl(vc, KVMINI_SET_REGS, &regs);
	if (has_xcrs)
		vcpu_ioctl(vc, KVMINI_SET_XCRS, &xcrs);
	vcpu_ioctl(vc, KVMINI_SET_FPU, &fpu);
	if (has_xsave)
		vcpu_ioctl(vc, KVMINI_SET_XSAVE, &xs);
	/* One by one: KVM itself refuses a few values it reports. */
	for (i = 0; i < n; i++) {
		one.m.nmsrs = 1;
		one.e = msrs->entries[i];
		if (ioctl(vc->fd, KVMINI_SET_MSRS, &one) != 1)
			TH_LOG("MSR %#x = %#llx not restored", one.e.index,
			       (unsigned long long)one.e.data);
	}
	one.m.nmsrs = 1;
	one.e = (struct kvmini_msr_entry){ .index = MSR_STAR };
	ASSERT_EQ(1, ioctl(vc->fd, KVMINI_GET_MSRS, &one));
	EXPECT_EQ(0x0023001012345678ULL, one.e.data);
	vcpu_ioctl(vc, KVMINI_SET_VCPU_EVENTS, &ev);
	vcpu_ioctl(vc, KVMINI_SET_DEBUGREGS, &dr);
	vcpu_ioctl(vc, KVMINI_GET_REGS, &regs2);
	EXPECT_EQ(0, memcmp(&regs, &regs2, sizeof(regs)));

	steps = run_to_end(vc, res);
	EXPECT_EQ(ref_steps - STOP_AT / 64 - 1, steps);
	for (i = 0; i < 12; i++) {
		if (ref[i] != res[i])
			TH_LOG("result %d: %#lx, uninterrupted %#lx", i,
			       (unsigned long)res[i], (unsigned long)ref[i]);
		EXPECT_EQ(ref[i], res[i]);
	}
	vm_free(c);
	vm_free(b);
	vm_free(a);
	free(cpuid);
	free(list);
	free(msrs);
}

TEST_HARNESS_MAIN
