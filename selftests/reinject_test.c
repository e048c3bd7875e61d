// SPDX-License-Identifier: GPL-2.0
/*
 * Event re-injection: the IDT and the handler's stack (IST2) of an
 * injected event live in a memory slot the guest has never touched, so
 * delivering the event hits nested page faults (IDT read, stack pushes)
 * and exits to the host in the middle of the delivery.  The event must
 * still arrive exactly once, with its vector: an external interrupt from
 * KVMINI_INTERRUPT, then a #GP with error code 0x1234 from
 * KVMINI_SET_VCPU_EVENTS.
 */
#include "kvmini_util.h"
#include "kvmini_vm.h"
#include "kselftest_harness.h"

#define FRESH_GPA	0x40000000ULL	/* slot 1, untouched by the guest */
#define FRESH_SIZE	0x10000ULL
#define IRQ_VEC		0x50

uint64_t rq_count, rq_vec, rq_err;

extern char rq_irq[], rq_gp[];
asm(".pushsection .text\n"
    "rq_irq:\n"
    "	movq $0x50, rq_vec(%rip)\n"
    "	incq rq_count(%rip)\n"
    "	iretq\n"
    "rq_gp:\n"
    "	popq rq_err(%rip)\n"
    "	movq $13, rq_vec(%rip)\n"
    "	incq rq_count(%rip)\n"
    "	iretq\n"
    ".popsection\n");

/* IF=1: VMX injects external interrupts only then. */
static void guest_reinject(void)
{
	asm volatile("sti" ::: "memory");
	GUEST_SYNC(0);
	GUEST_SYNC4(rq_count, rq_vec, 0, 0);
	GUEST_SYNC4(rq_count, rq_vec, rq_err, 0);
}

/* Use the IDT at @idt_gpa and an IST2 stack ending at @stack_top. */
static void switch_idt(struct kvmini_vm *vm, struct kvmini_vcpu *vcpu,
		       uint64_t idt_gpa, uint64_t stack_top)
{
	struct kvmini_sregs sregs;

	vm_write(vm, GUEST_TSS + 44, &stack_top, 8);	/* IST2 */
	vcpu_ioctl(vcpu, KVMINI_GET_SREGS, &sregs);
	sregs.idt.base = idt_gpa;
	vcpu_ioctl(vcpu, KVMINI_SET_SREGS, &sregs);
}

TEST(delivery_faults_on_fresh_pages)
{
	struct kvmini_vcpu *vcpu;
	struct kvmini_vm *vm = vm_create_guest(guest_reinject, &vcpu);
	struct kvmini_interrupt irq = { .irq = IRQ_VEC };
	struct kvmini_vcpu_events ev;
	struct ucall uc;
	uint8_t *fresh;

	REQUIRE_VM(vm);
	fresh = vm_add_mem(vm, 1, FRESH_GPA, FRESH_SIZE);
	vm_map(vm, FRESH_GPA, FRESH_GPA, FRESH_SIZE);
	/* IDTs at +0 and +0x1000 (written by the host only), stacks below
	 * +0x3000 and +0x5000 (not even the host touches them). */
	idt_set_gate((uint64_t *)fresh, IRQ_VEC, (uintptr_t)rq_irq, 2);	/* IST2 */
	idt_set_gate((uint64_t *)(fresh + 0x1000), 13, (uintptr_t)rq_gp, 2);	/* IST2 */

	ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, &uc));
	ASSERT_EQ(0ULL, uc.args[0]);
	EXPECT_EQ(1, vcpu->run->if_flag);
	switch_idt(vm, vcpu, FRESH_GPA, FRESH_GPA + 0x3000);
	vcpu_ioctl(vcpu, KVMINI_INTERRUPT, &irq);
	ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, &uc));
	EXPECT_EQ(1ULL, uc.args[0]);
	EXPECT_EQ((uint64_t)IRQ_VEC, uc.args[1]);

	switch_idt(vm, vcpu, FRESH_GPA + 0x1000, FRESH_GPA + 0x5000);
	vcpu_ioctl(vcpu, KVMINI_GET_VCPU_EVENTS, &ev);
	ev.flags = 0;
	ev.exception.injected = 1;
	ev.exception.nr = 13;
	ev.exception.has_error_code = 1;
	ev.exception.error_code = 0x1234;
	vcpu_ioctl(vcpu, KVMINI_SET_VCPU_EVENTS, &ev);
	ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, &uc));
	EXPECT_EQ(2ULL, uc.args[0]);
	EXPECT_EQ(13ULL, uc.args[1]);
	EXPECT_EQ(0x1234ULL, uc.args[2]);
	ASSERT_EQ(UCALL_DONE, vcpu_run_ucall(vcpu, &uc));
	EXPECT_EQ(2ULL, GUEST_VAR(vm, rq_count));
	vm_free(vm);
}

TEST_HARNESS_MAIN
