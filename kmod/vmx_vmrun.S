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

#define R(n)	((n) * 8)
#define RAX	R(0)
#define RCX	R(1)
#define RDX	R(2)
#define RBX	R(3)
#define RBP	R(5)
#define RSI	R(6)
#define RDI	R(7)
#define R8	R(8)
#define R9	R(9)
#define R10	R(10)
#define R11	R(11)
#define R12	R(12)
#define R13	R(13)
#define R14	R(14)
#define R15	R(15)

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
	mov	%rcx, RCX(%rax)
	mov	%rdx, RDX(%rax)
	mov	%rbx, RBX(%rax)
	mov	%rbp, RBP(%rax)
	mov	%rsi, RSI(%rax)
	mov	%rdi, RDI(%rax)
	mov	%r8, R8(%rax)
	mov	%r9, R9(%rax)
	mov	%r10, R10(%rax)
	mov	%r11, R11(%rax)
	mov	%r12, R12(%rax)
	mov	%r13, R13(%rax)
	mov	%r14, R14(%rax)
	mov	%r15, R15(%rax)
	popq	RAX(%rax)
	xor	%eax, %eax
	jmp	.Lout

.Lvmfail:
.Lvmfail_early:
	mov	$1, %eax
.Lout:
	add	$8, %rsp
	/* No guest value may linger in a register the caller can use. */
	xor	%ecx, %ecx
	xor	%edx, %edx
	xor	%esi, %esi
	xor	%edi, %edi
	xor	%r8d, %r8d
	xor	%r9d, %r9d
	xor	%r10d, %r10d
	xor	%r11d, %r11d
	pop	%rbx
	pop	%r12
	pop	%r13
	pop	%r14
	pop	%r15
	pop	%rbp
	RET
SYM_FUNC_END(kvmini_vmx_vmrun)
