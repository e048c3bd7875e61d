/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The SVM world switch.
 *
 * void kvmini_svm_vmrun(u64 vmcb_pa, unsigned long *regs, u64 host_save_pa)
 *
 * Called with interrupts off and GIF=0 (CLGI). VMRUN itself saves and
 * restores only RAX/RSP/RIP/RFLAGS, CR0/3/4, EFER, GDTR/IDTR and ES/CS/SS/DS;
 * VMSAVE/VMLOAD move the rest (FS/GS/TR/LDTR incl. hidden bases,
 * KERNEL_GS_BASE, STAR/LSTAR/CSTAR/SFMASK, SYSENTER_*): host's to
 * host_save_pa and back, guest's from and to the VMCB. The guest's other
 * general-purpose registers are loaded from and stored to regs[] (x86
 * order; RAX and RSP live in the VMCB). The caller sets RFLAGS.IF well
 * before (GIF=0 holds interrupts off meanwhile): the host's IF at VMRUN
 * lets physical interrupts force a #VMEXIT (INTR intercept). Not STI right
 * here: its one-instruction shadow would bleed into the guest's state.
 *
 * Speculation hygiene (vmrun.h), as KVM's __svm_vcpu_run: the guest's
 * SPEC_CTRL before the guest's VMLOAD, VERW (where TSA needs it) right
 * before VMRUN; after the host's VMLOAD and before any RET: the return
 * stack filled (retpoline kernels), the host's SPEC_CTRL, RET untrained
 * (retbleed, SRSO), an IBPB where the host wants one at every exit, and
 * every register cleared.
 */
#include <linux/linkage.h>
#include <asm/asm.h>
#include <asm/msr-index.h>
#include <asm/nospec-branch.h>
#include <asm/percpu.h>

#include "vmrun.h"

	.text
SYM_FUNC_START(kvmini_svm_vmrun)
	push	%rbp
	push	%r15
	push	%r14
	push	%r13
	push	%r12
	push	%rbx
	push	%rsi			/* 16(%rsp): regs */
	push	%rdi			/*  8(%rsp): vmcb_pa */
	push	%rdx			/*  0(%rsp): host_save_pa */

	GUEST_SPEC_CTRL(1)

	mov	(%rsp), %rax
	vmsave	%rax			/* host's hidden state */
	mov	8(%rsp), %rax
	vmload	%rax			/* guest's */

	mov	16(%rsp), %rsi
	LOAD_GUEST_GPRS %rsi

	VM_CLEAR_CPU_BUFFERS		/* clobbers ZF */
	vmrun	%rax

	mov	16(%rsp), %rax		/* regs */
	SAVE_GUEST_GPRS

	mov	8(%rsp), %rax
	vmsave	%rax			/* guest's hidden state back to the VMCB */
	pop	%rax
	vmload	%rax			/* host's: per-CPU data reachable again */
	add	$16, %rsp

#ifdef CONFIG_RETPOLINE
	FILL_RETURN_BUFFER %rax, RSB_CLEAR_LOOPS, X86_FEATURE_RETPOLINE
#endif
	HOST_SPEC_CTRL(1)
	UNTRAIN_RET
	ALTERNATIVE "", "call entry_ibpb", X86_FEATURE_IBPB_ON_VMEXIT

	CLEAR_GPRS %rax

	pop	%rbx
	pop	%r12
	pop	%r13
	pop	%r14
	pop	%r15
	pop	%rbp
	RET
SYM_FUNC_END(kvmini_svm_vmrun)
