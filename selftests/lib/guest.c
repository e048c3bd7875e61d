// SPDX-License-Identifier: GPL-2.0
/*
 * Guest side of the guest/VM library: runs inside 64-bit guests set up by
 * vcpu_setup_long_mode().  No libc here.
 *
 * Exceptions 0-31 arrive on IST1 (so they never touch the red zone of the
 * interrupted code) at guest_exc_stubs + 16 * vector.  Each stub pushes a
 * dummy error code where the CPU pushes none, then the vector, and jumps to
 * guest_exc_entry, which saves the caller-saved registers and calls
 * guest_exc_handle() with a pointer to this frame:
 */
#include "kvmini_vm.h"

struct exc_frame {
	uint64_t vector, error_code;
	uint64_t rip, cs, rflags, rsp, ss;	/* pushed by the CPU */
};

struct guest_exc guest_exc = { .vector = GUEST_NO_EXC };

/* Vectors with an error code: #DF 8, #TS 10, #NP 11, #SS 12, #GP 13,
 * #PF 14, #AC 17, #CP 21, #VC 29, #SX 30. */
asm(".pushsection .text\n"
    ".align 16\n"
    ".globl guest_exc_stubs\n"
    "guest_exc_stubs:\n"
    "vector = 0\n"
    ".rept 32\n"
    "	.align 16\n"
    "	.if vector == 8 || (vector >= 10 && vector <= 14) || vector == 17 || vector == 21 || vector == 29 || vector == 30\n"
    "	.else\n"
    "	pushq $0\n"
    "	.endif\n"
    "	pushq $vector\n"
    "	jmp guest_exc_entry\n"
    "	vector = vector + 1\n"
    ".endr\n"
    "guest_exc_entry:\n"
    "	push %rax; push %rcx; push %rdx; push %rsi; push %rdi\n"
    "	push %r8; push %r9; push %r10; push %r11\n"
    /* 5 CPU words + 2 stub words + 9 saved = 128 bytes: still 16-aligned */
    "	lea 72(%rsp), %rdi\n"
    "	call guest_exc_handle\n"
    "	pop %r11; pop %r10; pop %r9; pop %r8\n"
    "	pop %rdi; pop %rsi; pop %rdx; pop %rcx; pop %rax\n"
    "	add $16, %rsp\n"
    "	iretq\n"
    /* Where the guest function returns to (the stack is 16-aligned here). */
    ".globl guest_return\n"
    "guest_return:\n"
    "	call guest_finish\n"
    ".popsection\n");

/* No SSE: the interrupted code's XMM registers must survive the handler. */
__attribute__((used, target("general-regs-only")))
void guest_exc_handle(struct exc_frame *f)
{
	guest_exc.vector = f->vector;
	guest_exc.error_code = f->error_code;
	guest_exc.rip = f->rip;
	guest_exc.rflags = f->rflags;
	asm volatile("mov %%cr2, %0" : "=r"(guest_exc.cr2));
	guest_exc.count++;
	guest_exc.counts[f->vector & 31]++;
	if (guest_exc.resume) {
		f->rip += guest_exc.skip;
		/* Past the faulting instruction: no RF for the next one. */
		if (guest_exc.skip)
			f->rflags &= ~(1ULL << 16);
		if (guest_exc.resume == GUEST_EXC_ONCE)
			guest_exc.resume = 0;
		return;
	}
	for (;;)
		guest_ucall(UCALL_EXCEPTION, f->vector, f->error_code, f->rip, 0,
			    __FILE__, __LINE__, NULL);
}

__attribute__((used, noreturn))
void guest_finish(void)
{
	for (;;)
		GUEST_DONE();
}
