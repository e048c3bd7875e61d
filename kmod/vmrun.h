/* SPDX-License-Identifier: GPL-2.0 */
/*
 * For the world switches (svm_vmrun.S, vmx_vmrun.S): where each guest
 * general-purpose register sits in regs[] (x86 order), loading and saving
 * them, and the speculation hygiene both do around the switch.
 */
#ifndef KVMINI_VMRUN_H
#define KVMINI_VMRUN_H

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

/*
 * The guest's general-purpose registers from regs[] at \base (%rsi or
 * %rax), \base itself last. RSP comes from the VMCB/VMCS; so does RAX on
 * SVM, where \base is %rsi and %rax holds the VMCB's address.
 */
.macro LOAD_GUEST_GPRS base:req
	mov	RCX(\base), %rcx
	mov	RDX(\base), %rdx
	mov	RBX(\base), %rbx
	mov	RBP(\base), %rbp
	.ifnc \base, %rsi
	mov	RSI(\base), %rsi
	.endif
	mov	RDI(\base), %rdi
	mov	R8(\base), %r8
	mov	R9(\base), %r9
	mov	R10(\base), %r10
	mov	R11(\base), %r11
	mov	R12(\base), %r12
	mov	R13(\base), %r13
	mov	R14(\base), %r14
	mov	R15(\base), %r15
	.ifc \base, %rsi
	mov	RSI(\base), %rsi
	.else
	mov	RAX(\base), %rax
	.endif
.endm

/* The guest's RCX..R15 (not RAX, RSP) into regs[] at %rax. */
.macro SAVE_GUEST_GPRS
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
.endm

/*
 * No guest value may linger in a register, not even in one about to be
 * reloaded from the stack (a cache miss there could let speculation use
 * the guest's value): all but RSP and \keep, as KVM.
 */
.macro CLEAR_GPRS keep:req
	.ifnc \keep, %rax
	xor	%eax, %eax
	.endif
	.ifnc \keep, %rbx
	xor	%ebx, %ebx
	.endif
	xor	%ecx, %ecx
	xor	%edx, %edx
	xor	%ebp, %ebp
	xor	%esi, %esi
	xor	%edi, %edi
	xor	%r8d, %r8d
	xor	%r9d, %r9d
	xor	%r10d, %r10d
	xor	%r11d, %r11d
	xor	%r12d, %r12d
	xor	%r13d, %r13d
	xor	%r14d, %r14d
	xor	%r15d, %r15d
.endm

/*
 * Speculation hygiene, as KVM 6.1 has it, with the kernel's own macros
 * (patched at load time: on a CPU or a kernel without the mitigation
 * they are jumps over nothing).
 *
 * MSR_IA32_SPEC_CTRL: kvmini offers the guest no SPEC_CTRL, so it runs
 * with 0; the host's value (this CPU's x86_spec_ctrl_current) goes back
 * before the first RET after the exit. On SVM the per-CPU access needs the
 * host's GS base (before VMLOAD of the guest, after VMLOAD of the host),
 * and V_SPEC_CTRL switches it in hardware (the VMCB's value is 0).
 * Both clobber RAX, RCX, RDX.
 */
.macro SKIP_UNLESS_SPEC_CTRL label:req, svm:req
	.if \svm
	ALTERNATIVE_2 "jmp \label", "", X86_FEATURE_MSR_SPEC_CTRL, \
		      "jmp \label", X86_FEATURE_V_SPEC_CTRL
	.else
	ALTERNATIVE "jmp \label", "", X86_FEATURE_MSR_SPEC_CTRL
	.endif
.endm

.macro SPEC_CTRL_SWITCH to_host:req, svm:req
	SKIP_UNLESS_SPEC_CTRL .Lspec_ctrl_done_\@, \svm
	movl	PER_CPU_VAR(x86_spec_ctrl_current), %eax
	test	%eax, %eax
	jz	.Lspec_ctrl_same_\@	/* the guest's 0 is the host's too */
	mov	$MSR_IA32_SPEC_CTRL, %ecx
	.if !\to_host
	xor	%eax, %eax
	.endif
	xor	%edx, %edx
	wrmsr
.Lspec_ctrl_same_\@:
	.if \to_host
	lfence			/* nothing runs ahead of the host's value */
	.endif
.Lspec_ctrl_done_\@:
.endm

#define GUEST_SPEC_CTRL(svm)	SPEC_CTRL_SWITCH 0, svm
/* Legacy IBRS (KERNEL_IBRS) implies a non-zero host value: it is written too. */
#define HOST_SPEC_CTRL(svm)	SPEC_CTRL_SWITCH 1, svm

#endif
