/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The VMX world switch.
 *
 * int kvmini_vmx_vmrun(unsigned long *regs, int launched)
 *
 * Called with interrupts off and the vCPU's VMCS current on this CPU.
 * VM entry loads the guest's RSP/RIP/RFLAGS, control registers and
 * segments from the VMCS; the other fifteen general-purpose registers
 * come from regs[] (x86 order; regs[RSP] is not used) and go back there
 * at the VM exit, which lands at kvmini_vmx_vmexit with the host state of
 * the VMCS: RSP as written here, interrupts still off.
 *
 * Returns 0 after a VM exit; 1 if VMLAUNCH/VMRESUME failed (VMfail: the
 * guest never ran, the VM-instruction error field says why).
 */
#include <linux/linkage.h>
#include <asm/asm.h>
#include <asm/nospec-branch.h>
#include <asm/unwind_hints.h>

#include "vmrun.h"

#define VMCS_HOST_RSP	0x6c14

	.text
SYM_FUNC_START(kvmini_vmx_vmrun)
	push	%rbp
	mov	%rsp, %rbp
	push	%r15
	push	%r14
	push	%r13
	push	%r12
	push	%rbx
	push	%rdi			/* 0(%rsp): regs, found again at the exit */

	mov	$VMCS_HOST_RSP, %eax
	vmwrite	%rsp, %rax
	jna	.Lvmfail_early

	mov	%rdi, %rax
	test	%esi, %esi		/* ZF: not launched yet; movs keep it */
	mov	RCX(%rax), %rcx
	mov	RDX(%rax), %rdx
	mov	RBX(%rax), %rbx
	mov	RBP(%rax), %rbp
	mov	RSI(%rax), %rsi
	mov	RDI(%rax), %rdi
	mov	R8(%rax), %r8
	mov	R9(%rax), %r9
	mov	R10(%rax), %r10
	mov	R11(%rax), %r11
	mov	R12(%rax), %r12
	mov	R13(%rax), %r13
	mov	R14(%rax), %r14
	mov	R15(%rax), %r15
	mov	RAX(%rax), %rax

	UNWIND_HINT_SAVE
	jz	.Llaunch
	vmresume
	jmp	.Lvmfail
.Llaunch:
	vmlaunch
	jmp	.Lvmfail

SYM_INNER_LABEL(kvmini_vmx_vmexit, SYM_L_GLOBAL)
	UNWIND_HINT_RESTORE
	ENDBR
	push	%rax			/* the guest's RAX */
	mov	8(%rsp), %rax		/* regs */
	SAVE_GUEST_GPRS
	popq	RAX(%rax)
	xor	%eax, %eax
	jmp	.Lout

.Lvmfail:
.Lvmfail_early:
	mov	$1, %eax
.Lout:
	add	$8, %rsp
	CLEAR_CALLER_SAVED
	pop	%rbx
	pop	%r12
	pop	%r13
	pop	%r14
	pop	%r15
	pop	%rbp
	RET
SYM_FUNC_END(kvmini_vmx_vmrun)
