/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pvhboot's entry from the multiboot loader, and its exit into Linux.
 */
#define MB_MAGIC	0x1badb002
#define MB_FLAGS	0x3		/* modules page aligned; memory map wanted */

	.section .multiboot, "a"
	.align 4
	.long MB_MAGIC, MB_FLAGS, -(MB_MAGIC + MB_FLAGS)

	.text
	.code32
	/* Multiboot state: EAX = magic, EBX = info, no usable stack. */
	.globl _start
_start:
	cli
	cld
	mov	$stack_top, %esp
	push	%ebx
	push	%eax
	call	pvhboot_main
1:	hlt
	jmp	1b

	/*
	 * enter_pvh(entry, start_info): the PVH boot ABI wants flat 4 GiB
	 * code and data segments, CR0 = PE|ET (paging off), CR4 = 0,
	 * interrupts off and EBX = start_info. Multiboot promises flat
	 * segments but not which GDT or selectors: bring our own.
	 */
	.globl enter_pvh
enter_pvh:
	mov	4(%esp), %eax
	mov	8(%esp), %ebx
	lgdt	gdt_desc
	ljmp	$0x08, $1f
1:	mov	$0x10, %ecx
	mov	%ecx, %ds
	mov	%ecx, %es
	mov	%ecx, %fs
	mov	%ecx, %gs
	mov	%ecx, %ss
	mov	$0x11, %ecx
	mov	%ecx, %cr0
	xor	%ecx, %ecx
	mov	%ecx, %cr4
	pushl	$0x2
	popfl
	jmp	*%eax

	.section .rodata
	.align 8
gdt:
	.quad	0
	.quad	0x00cf9a000000ffff	/* 0x08: code, base 0, 4 GiB, 32-bit */
	.quad	0x00cf92000000ffff	/* 0x10: data, base 0, 4 GiB */
gdt_desc:
	.word	gdt_desc - gdt - 1
	.long	gdt

	.bss
	.align 16
	.space	16384
stack_top:

	.section .note.GNU-stack, "", @progbits
