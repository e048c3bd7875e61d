// SPDX-License-Identifier: GPL-2.0
/*
 * An INTn whose delivery exits (its IDT page was taken away from the guest
 * by the VMM: mprotect), in the STI shadow, while the VMM waits for an
 * interrupt window to inject a vector: the INTn's handler runs first, then
 * the injected interrupt's, as on the CPU and KVM (kvm-unit-tests'
 * eventinj "vec 32/int $33"). kvmini on SVM runs the INTn again rather
 * than injecting it, and opens no window before it has. Runs on KVM too.
 */
#include <sys/mman.h>

#include "kvmini_util.h"
#include "kvmini_vm.h"
#include "kselftest_harness.h"

uint64_t order[4], norder;

/* Handlers: append the vector to order[], then IRET. */
asm(".pushsection .text\n"
    "vec32: push %rax; mov norder, %rax; movq $32, order(,%rax,8); incq norder;"
    " pop %rax; iretq\n"
    "vec33: push %rax; mov norder, %rax; movq $33, order(,%rax,8); incq norder;"
    " pop %rax; iretq\n"
    ".popsection");
extern char vec32[], vec33[];

static void guest_order(void)
{
	GUEST_SYNC(0);				/* the VMM takes the IDT page away */
	asm volatile("sti; int $33; nop; nop; cli" ::: "memory");
	GUEST_SYNC4(norder, order[0], order[1], order[2]);
}

TEST(intn_before_window)
{
	struct kvmini_vcpu *vcpu;
	struct kvmini_vm *vm = vm_create_guest(guest_order, &vcpu);
	struct kvmini_interrupt irq = { .irq = 32 };
	struct kvmini_run *run;
	void *idt;
	struct ucall uc;
	int windows = 0;

	REQUIRE_VM(vm);
	run = vcpu->run;
	idt = vm_gpa2hva(vm, GUEST_IDT);
	idt_set_gate(idt, 32, (uintptr_t)vec32, 0);
	idt_set_gate(idt, 33, (uintptr_t)vec33, 0);
	ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, &uc));
	/* The MMU notifier drops the page from the nested page tables. */
	ASSERT_EQ(0, mprotect(idt, 0x1000, PROT_NONE));
	ASSERT_EQ(0, mprotect(idt, 0x1000, PROT_READ | PROT_WRITE));
	run->request_interrupt_window = 1;
	for (;;) {
		ASSERT_EQ(0, vcpu_run(vcpu));
		if (run->exit_reason != KVMINI_EXIT_IRQ_WINDOW_OPEN)
			break;
		windows++;
		ASSERT_EQ(0, ioctl(vcpu->fd, KVMINI_INTERRUPT, &irq));
		run->request_interrupt_window = 0;
	}
	ASSERT_EQ(UCALL_SYNC, vcpu_get_ucall(vcpu, &uc));
	EXPECT_EQ(1, windows);
	EXPECT_EQ(2U, uc.args[0]);
	EXPECT_EQ(33U, uc.args[1]);		/* the INTn first */
	EXPECT_EQ(32U, uc.args[2]);
	vm_free(vm);
}

TEST_HARNESS_MAIN
