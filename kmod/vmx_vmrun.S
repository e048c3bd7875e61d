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
 *
 * Speculation hygiene (vmrun.h), as KVM's __vmx_vcpu_run: the guest's
 * SPEC_CTRL, VERW (MDS and kin) as the last thing before entry; after the
 * exit (or the VMfail) and before any RET: every register cleared, the
 * return stack filled where the host wants it, the host's SPEC_CTRL, the
 * branch history cleared where BHI needs it. The result waits in RBX.
 */
#include <linux/linkage.h>
#include <asm/asm.h>
#include <asm/msr-index.h>
#include <asm/nospec-branch.h>
#include <asm/percpu.h>
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
	mov	%esi, %ebx		/* launched, past the SPEC_CTRL write */

	mov	$VMCS_HOST_RSP, %eax
	vmwrite	%rsp, %rax
	jna	.Lvmfail

	GUEST_SPEC_CTRL(0)

	mov	(%rsp), %rax
	bt	$0, %ebx		/* CF: launched; movs and VERW keep it */
	LOAD_GUEST_GPRS %rax
	CLEAR_CPU_BUFFERS		/* clobbers ZF */

	UNWIND_HINT_SAVE
	jnc	.Llaunch
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
	xor	%ebx, %ebx
	jmp	.Lout

.Lvmfail:
	mov	$1, %ebx
.Lout:
	add	$8, %rsp
	CLEAR_GPRS %rbx
	FILL_RETURN_BUFFER %rcx, RSB_CLEAR_LOOPS, X86_FEATURE_RSB_VMEXIT, \
			   X86_FEATURE_RSB_VMEXIT_LITE
	HOST_SPEC_CTRL(0)
	CLEAR_BRANCH_HISTORY_VMEXIT
	mov	%ebx, %eax
	pop	%rbx
	pop	%r12
	pop	%r13
	pop	%r14
	pop	%r15
	pop	%rbp
	RET
SYM_FUNC_END(kvmini_vmx_vmrun)
