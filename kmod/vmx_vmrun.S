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
	LOAD_GUEST_GPRS %rax

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
