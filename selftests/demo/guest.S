/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The demo guest: a flat binary that the VMM copies to GUEST_LOAD (0x1000)
 * and starts in 16-bit real mode with CS:IP = 0000:1000.  It talks only to
 * the COM1 UART the VMM emulates, and climbs through the x86 modes:
 *
 *   1. real mode: the greeting, one byte at a time, polling the line
 *      status register first as a real UART driver does (IN + OUT exits);
 *   2. 32-bit protected mode (its own GDT): one line with "rep outsb";
 *   3. 64-bit long mode (its own page tables, 2 MiB identity map): one
 *      more line with "rep outsb", then HLT, which ends the demo.
 *
 * Guest physical memory it uses: the code at 0x1000, the stack below
 * 0x8000, and three page-table pages at 0x10000..0x12fff.
 */

#define COM1		0x3f8		/* transmit holding register (write) */
#define COM1_LSR	(COM1 + 5)	/* line status register (read) */
#define LSR_THRE	0x20		/* THR empty: ready for the next byte */

#define STACK_TOP	0x8000
#define PML4		0x10000		/* page map level 4 ... */
#define PDPT		0x11000		/* ... page directory pointer table ... */
#define PD		0x12000		/* ... page directory (2 MiB pages) */

#define SEL_CODE32	0x08		/* GDT selectors, see gdt below */
#define SEL_DATA	0x10
#define SEL_CODE64	0x18

#define CR0_PE		0x00000001
#define CR0_PG		0x80000000
#define CR4_PAE		0x00000020
#define MSR_EFER	0xc0000080
#define EFER_LME	0x00000100

	.text
	.globl _start

/* ---------------- 1. 16-bit real mode ---------------- */
	.code16
_start:
	cli				/* nothing may interrupt us: no IDT */
	xor	%ax, %ax		/* flat real mode: all segments at 0 */
	mov	%ax, %ds
	mov	%ax, %es
	mov	%ax, %ss
	mov	$STACK_TOP, %sp
	cld

	mov	$hello, %si
	call	puts16

	/* Enter protected mode: load the GDT, set CR0.PE, far-jump into
	 * the 32-bit code segment so that CS gets reloaded. */
	lgdtl	gdt_ptr
	mov	%cr0, %eax
	or	$CR0_PE, %eax
	mov	%eax, %cr0
	ljmpl	$SEL_CODE32, $pm32

/* Print the NUL-terminated string at DS:SI, polling LSR before each byte. */
puts16:
	lodsb
	test	%al, %al
	jz	2f
	mov	%al, %bl
	mov	$COM1_LSR, %dx
1:	in	%dx, %al
	test	$LSR_THRE, %al
	jz	1b			/* transmitter still busy: ask again */
	mov	%bl, %al
	mov	$COM1, %dx
	out	%al, %dx
	jmp	puts16
2:	ret

/* ---------------- 2. 32-bit protected mode ---------------- */
	.code32
pm32:
	mov	$SEL_DATA, %ax
	mov	%ax, %ds
	mov	%ax, %es
	mov	%ax, %ss
	mov	$STACK_TOP, %esp

	mov	$pm32_msg, %esi
	mov	$(pm32_msg_end - pm32_msg), %ecx
	mov	$COM1, %dx
	rep outsb			/* the whole line in one instruction */

	/* Page tables for long mode: clear three pages, then map the
	 * first 2 MiB of virtual memory onto the first 2 MiB of RAM. */
	mov	$PML4, %edi
	xor	%eax, %eax
	mov	$(3 * 4096 / 4), %ecx
	rep stosl
	movl	$(PDPT | 0x3), PML4	/* present, writable */
	movl	$(PD | 0x3), PDPT
	movl	$0x83, PD		/* present, writable, 2 MiB page at 0 */

	/* Long mode: CR4.PAE, CR3, EFER.LME, then CR0.PG activates it. */
	mov	%cr4, %eax
	or	$CR4_PAE, %eax
	mov	%eax, %cr4
	mov	$PML4, %eax
	mov	%eax, %cr3
	mov	$MSR_EFER, %ecx
	rdmsr
	or	$EFER_LME, %eax
	wrmsr
	mov	%cr0, %eax
	or	$CR0_PG, %eax
	mov	%eax, %cr0
	ljmp	$SEL_CODE64, $lm64	/* from compatibility to 64-bit mode */

/* ---------------- 3. 64-bit long mode ---------------- */
	.code64
lm64:
	lea	lm64_msg(%rip), %rsi
	mov	$(lm64_msg_end - lm64_msg), %ecx
	mov	$COM1, %dx
	rep outsb
	hlt				/* the VMM sees KVMINI_EXIT_HLT and stops */
	jmp	lm64

/* ---------------- data ---------------- */
hello:
	.asciz	"Hello from a kvmini guest! (16-bit real mode, polling the UART)\n"
pm32_msg:
	.ascii	"Now in 32-bit protected mode (rep outsb).\n"
pm32_msg_end:
lm64_msg:
	.ascii	"Now in 64-bit long mode, paging on. Halting.\n"
lm64_msg_end:

	.p2align 3
gdt:	.quad	0			/* 0x00: the null descriptor */
	.quad	0x00cf9a000000ffff	/* 0x08: code, 32-bit, base 0, 4 GiB */
	.quad	0x00cf92000000ffff	/* 0x10: data, base 0, 4 GiB */
	.quad	0x00af9a000000ffff	/* 0x18: code, 64-bit (L=1) */
gdt_end:
gdt_ptr:
	.word	gdt_end - gdt - 1	/* limit */
	.long	gdt			/* base (a physical address here) */
