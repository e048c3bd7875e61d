// SPDX-License-Identifier: GPL-2.0
/*
 * KVMINI_INTERRUPT without an in-kernel interrupt controller, as KVM does
 * it: the vector is delivered at the next entry whatever IF says (the VMM
 * must look at run->ready_for_interrupt_injection first; on VMX, which
 * cannot inject an external interrupt while IF=0, it waits for IF=1, where
 * KVM fails the entry); a second call
 * before that entry replaces the first (no EEXIST: that is only for the
 * split irqchip); a vector >= 256 is EINVAL; it is the slot that
 * GET/SET_VCPU_EVENTS' interrupt.injected shows and sets.  run->if_flag and
 * ready_for_interrupt_injection follow IF; request_interrupt_window makes
 * KVMINI_RUN return KVMINI_EXIT_IRQ_WINDOW_OPEN once IF=1 and the STI
 * shadow is over (RIP past the instruction after STI), or at once, the
 * guest not moving, if IF is 1 already.
 */
#include "kvmini_util.h"
#include "kvmini_vm.h"
#include "kselftest_harness.h"

/* Guest state, read by the host through GUEST_VAR(). */
uint64_t irq_count, irq_log[16], irq_rip[16], irq_rflags[16];

/*
 * Interrupt stubs for vectors 0x30-0x33 (interrupt gates on IST1: the
 * red zone of the interrupted C code is safe): record the vector and the
 * interrupted RIP and RFLAGS, count, IRET.
 */
extern char irq_stubs[], sti_nop_end[];
asm(".pushsection .text\n"
    ".align 16\n"
    "irq_stubs:\n"
    "vector = 0x30\n"
    ".rept 4\n"
    "	.align 16\n"
    "	push %rax\n"
    "	mov $vector, %eax\n"
    "	jmp irq_common\n"
    "	vector = vector + 1\n"
    ".endr\n"
    "irq_common:\n"
    "	push %rcx; push %rdx\n"
    "	mov irq_count(%rip), %rcx\n"
    "	and $15, %rcx\n"
    "	lea irq_log(%rip), %rdx\n"
    "	mov %rax, (%rdx,%rcx,8)\n"
    "	mov 24(%rsp), %rax\n"		/* RIP of the interrupted code */
    "	lea irq_rip(%rip), %rdx\n"
    "	mov %rax, (%rdx,%rcx,8)\n"
    "	mov 40(%rsp), %rax\n"		/* its RFLAGS */
    "	lea irq_rflags(%rip), %rdx\n"
    "	mov %rax, (%rdx,%rcx,8)\n"
    "	incq irq_count(%rip)\n"
    "	pop %rdx; pop %rcx; pop %rax\n"
    "	iretq\n"
    ".popsection\n");

static struct kvmini_vm *irq_vm(void *fn, struct kvmini_vcpu **vcpu)
{
	struct kvmini_vm *vm = vm_create_guest(fn, vcpu);
	int v;

	if (vm)
		for (v = 0; v < 4; v++)
			idt_set_gate(vm_gpa2hva(vm, GUEST_IDT), 0x30 + v, (uintptr_t)irq_stubs + 16 * v, 0);
	return vm;
}

static long inject(struct kvmini_vcpu *vcpu, uint32_t vector)
{
	struct kvmini_interrupt irq = { .irq = vector };

	return ioctl_err(vcpu->fd, KVMINI_INTERRUPT, (unsigned long)&irq);
}

/* Skip if the device has no KVMINI_INTERRUPT; else it must reject 256. */
#define REQUIRE_INTERRUPT(vm, vcpu) do {				\
	long __r = inject(vcpu, 256);					\
	if (__r == -ENOTTY) {						\
		vm_free(vm);						\
		SKIP(return, "%s: no KVMINI_INTERRUPT", kvmini_dev_path()); \
	}								\
	EXPECT_EQ(-EINVAL, __r);					\
} while (0)

static void guest_if1(void)
{
	asm volatile("sti" ::: "memory");
	GUEST_SYNC(0);
	GUEST_SYNC(1);
	GUEST_SYNC(2);
	GUEST_SYNC4(irq_count, irq_log[0], irq_log[1], irq_log[2]);
}

TEST(deliver_in_order)
{
	struct kvmini_vcpu *vcpu;
	struct kvmini_vm *vm = irq_vm(guest_if1, &vcpu);
	struct ucall uc;
	uint64_t i;

	REQUIRE_VM(vm);
	REQUIRE_INTERRUPT(vm, vcpu);
	EXPECT_EQ(-EINVAL, inject(vcpu, 0xffffffff));
	for (i = 0; i < 3; i++) {
		ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, &uc));
		ASSERT_EQ(i, uc.args[0]);
		EXPECT_EQ(i, GUEST_VAR(vm, irq_count));
		EXPECT_EQ(1, vcpu->run->if_flag);
		EXPECT_EQ(1, vcpu->run->ready_for_interrupt_injection);
		/* A second injection before the entry replaces the first. */
		ASSERT_EQ(0, inject(vcpu, 0x33));
		ASSERT_EQ(0, inject(vcpu, 0x30 + i));
	}
	ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, &uc));
	EXPECT_EQ(3ULL, uc.args[0]);
	EXPECT_EQ(0x30ULL, uc.args[1]);
	EXPECT_EQ(0x31ULL, uc.args[2]);
	EXPECT_EQ(0x32ULL, uc.args[3]);
	vm_free(vm);
}

/*
 * KVMINI_INTERRUPT's vector and the events' interrupt.injected are one
 * slot, as in KVM: GET_VCPU_EVENTS shows it, SET_VCPU_EVENTS of the same
 * delivers it once (QEMU puts its registers back after an injection), of
 * none cancels it.
 */
TEST(events_are_the_slot)
{
	struct kvmini_vcpu *vcpu;
	struct kvmini_vm *vm = irq_vm(guest_if1, &vcpu);
	struct kvmini_vcpu_events e;
	struct ucall uc;

	REQUIRE_VM(vm);
	REQUIRE_INTERRUPT(vm, vcpu);
	ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, &uc));
	ASSERT_EQ(0, inject(vcpu, 0x31));
	ASSERT_EQ(0, ioctl(vcpu->fd, KVMINI_GET_VCPU_EVENTS, &e));
	EXPECT_EQ(1, e.interrupt.injected);
	EXPECT_EQ(0x31, e.interrupt.nr);
	ASSERT_EQ(0, ioctl(vcpu->fd, KVMINI_SET_VCPU_EVENTS, &e));
	ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, &uc));
	EXPECT_EQ(1ULL, GUEST_VAR(vm, irq_count));	/* once, not twice */
	ASSERT_EQ(0, inject(vcpu, 0x32));
	e.interrupt.injected = 0;
	ASSERT_EQ(0, ioctl(vcpu->fd, KVMINI_SET_VCPU_EVENTS, &e));
	ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, &uc));
	EXPECT_EQ(1ULL, GUEST_VAR(vm, irq_count));	/* cancelled */
	ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, &uc));
	EXPECT_EQ(1ULL, uc.args[0]);
	EXPECT_EQ(0x31ULL, uc.args[1]);
	vm_free(vm);
}

/* IF=0 at SYNC(1); STI; NOP; the window opens at sti_nop_end. */
static void guest_if0(void)
{
	asm volatile("cli" ::: "memory");
	GUEST_SYNC(1);
	asm volatile("sti\n\t"
		     "nop\n\t"
		     ".globl sti_nop_end\n"
		     "sti_nop_end:\n\t"
		     "nop" ::: "memory");
	GUEST_SYNC4(irq_count, irq_log[0], irq_rip[0], 0);
}

/* Not ready, yet injected anyway: KVM does not hold it for IF (SVM). */
TEST(injected_with_if0)
{
	struct kvmini_vcpu *vcpu;
	struct kvmini_vm *vm = irq_vm(guest_if0, &vcpu);
	struct kvmini_regs regs;
	struct ucall uc;

	REQUIRE_VM(vm);
	REQUIRE_INTERRUPT(vm, vcpu);
	ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, &uc));
	ASSERT_EQ(1ULL, uc.args[0]);
	EXPECT_EQ(0, vcpu->run->if_flag);
	EXPECT_EQ(0, vcpu->run->ready_for_interrupt_injection);
	vcpu_ioctl(vcpu, KVMINI_GET_REGS, &regs);	/* RIP at the OUT */
	ASSERT_EQ(0, inject(vcpu, 0x31));
	ASSERT_EQ(0, inject(vcpu, 0x30));
	ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, &uc));
	EXPECT_EQ(1ULL, uc.args[0]);
	EXPECT_EQ(0x30ULL, uc.args[1]);
	if (host_cpu_is_amd()) {
		/* Taken right after the OUT (1 byte), with IF=0. */
		EXPECT_EQ(regs.rip + 1, uc.args[2]);
		EXPECT_EQ(0ULL, GUEST_VAR(vm, irq_rflags[0]) & (1 << 9));
	} else {
		/* VMX: held until the window opens. */
		EXPECT_EQ((uintptr_t)sti_nop_end, uc.args[2]);
		EXPECT_NE(0ULL, GUEST_VAR(vm, irq_rflags[0]) & (1 << 9));
	}
	vm_free(vm);
}

TEST(window_open_exit)
{
	struct kvmini_vcpu *vcpu;
	struct kvmini_vm *vm = irq_vm(guest_if0, &vcpu);
	struct kvmini_regs regs;
	struct ucall uc;

	REQUIRE_VM(vm);
	REQUIRE_INTERRUPT(vm, vcpu);
	ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, &uc));
	ASSERT_EQ(1ULL, uc.args[0]);
	vcpu->run->request_interrupt_window = 1;
	vcpu_run_expect(vcpu, KVMINI_EXIT_IRQ_WINDOW_OPEN);
	vcpu_ioctl(vcpu, KVMINI_GET_REGS, &regs);
	TH_LOG("IRQ_WINDOW_OPEN at %#llx (sti_nop_end %p)", regs.rip, sti_nop_end);
	EXPECT_EQ((uintptr_t)sti_nop_end, regs.rip);
	EXPECT_NE(0ULL, regs.rflags & (1 << 9));
	EXPECT_EQ(1, vcpu->run->if_flag);
	EXPECT_EQ(1, vcpu->run->ready_for_interrupt_injection);
	EXPECT_EQ(0ULL, GUEST_VAR(vm, irq_count));
	ASSERT_EQ(0, inject(vcpu, 0x31));
	vcpu->run->request_interrupt_window = 0;
	ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, &uc));
	EXPECT_EQ(1ULL, uc.args[0]);
	EXPECT_EQ(0x31ULL, uc.args[1]);
	EXPECT_EQ((uintptr_t)sti_nop_end, uc.args[2]);
	EXPECT_NE(0ULL, GUEST_VAR(vm, irq_rflags[0]) & (1 << 9));
	vm_free(vm);
}

/* With IF=1 already, a window request returns at once, the guest unmoved. */
TEST(window_already_open)
{
	struct kvmini_vcpu *vcpu;
	struct kvmini_vm *vm = irq_vm(guest_if1, &vcpu);
	struct kvmini_regs before, after;
	struct ucall uc;

	REQUIRE_VM(vm);
	REQUIRE_INTERRUPT(vm, vcpu);
	ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, &uc));
	vcpu_ioctl(vcpu, KVMINI_GET_REGS, &before);
	vcpu->run->request_interrupt_window = 1;
	vcpu_run_expect(vcpu, KVMINI_EXIT_IRQ_WINDOW_OPEN);
	vcpu_ioctl(vcpu, KVMINI_GET_REGS, &after);
	/* Only the OUT was completed: RIP at the OUT before, past it now. */
	EXPECT_EQ(before.rip + 1, after.rip);
	EXPECT_EQ(1, vcpu->run->if_flag);
	EXPECT_EQ(1, vcpu->run->ready_for_interrupt_injection);
	vcpu->run->request_interrupt_window = 0;
	ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, &uc));
	EXPECT_EQ(1ULL, uc.args[0]);
	vm_free(vm);
}

TEST_HARNESS_MAIN
