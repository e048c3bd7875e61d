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
 */
#include <linux/linkage.h>
#include <asm/asm.h>
#include <asm/nospec-branch.h>

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

	mov	%rdx, %rax
	vmsave	%rax			/* host's hidden state */
	mov	8(%rsp), %rax
	vmload	%rax			/* guest's */

	LOAD_GUEST_GPRS %rsi

	vmrun	%rax

	mov	16(%rsp), %rax		/* regs */
	SAVE_GUEST_GPRS

	mov	8(%rsp), %rax
	vmsave	%rax			/* guest's hidden state back to the VMCB */
	pop	%rax
	vmload	%rax			/* host's */
	add	$16, %rsp

	CLEAR_CALLER_SAVED

	pop	%rbx
	pop	%r12
	pop	%r13
	pop	%r14
	pop	%r15
	pop	%rbp
	RET
SYM_FUNC_END(kvmini_svm_vmrun)
