// SPDX-License-Identifier: GPL-2.0
/*
 * lapic_test - the in-kernel local APIC's basics in one guest:
 * self-IPI through the xAPIC page, EOI, TPR masking, the one-shot timer
 * waking a halted vCPU with no exit to userspace; interrupts that come at
 * STI; HLT and at a STI; PAUSE; CLI loop; VMs that die with their timers
 * armed (periodic, TSC deadline) leave nothing behind.
 */
#include "kvmini_util.h"
#include "kvmini_vm.h"
#include "kselftest_harness.h"

#define APIC_PAGE	0xfee00000ULL
#define VEC		0x40

uint64_t irq_count, irq_vec, irq_rip;

/* Count, note where the interrupt came (its return RIP), EOI. */
extern char smoke_stub[];
asm(".pushsection .text\n"
    "smoke_stub:\n"
    "	lock incq irq_count(%rip)\n"
    "	push %rax\n"
    "	mov 8(%rsp), %rax\n"
    "	mov %rax, irq_rip(%rip)\n"
    "	movabs $0xfee000b0, %rax\n"
    "	movl $0, (%rax)\n"		/* EOI */
    "	pop %rax\n"
    "	iretq\n"
    ".popsection\n");

static uint32_t apic_rd(uint32_t off)
{
	return *(volatile uint32_t *)(APIC_PAGE + off);
}

static void apic_wr(uint32_t off, uint32_t v)
{
	*(volatile uint32_t *)(APIC_PAGE + off) = v;
}

static void guest_code(void)
{
	apic_wr(0xf0, 0x1ff);				/* SVR: enable */
	GUEST_SYNC(apic_rd(0x20));			/* ID */
	GUEST_SYNC(apic_rd(0x30));			/* version */
	asm volatile("sti");
	apic_wr(0x300, 0x40000 | VEC);			/* self IPI, fixed */
	asm volatile("nop");
	GUEST_ASSERT_EQ(irq_count, 1);
	/* TPR above the vector's class: held in IRR until TPR drops. */
	apic_wr(0x80, 0x50);
	apic_wr(0x300, 0x40000 | VEC);
	asm volatile("nop");
	GUEST_ASSERT_EQ(irq_count, 1);
	GUEST_ASSERT(apic_rd(0x200 + ((VEC >> 5) << 4)) & (1u << (VEC & 31)));
	apic_wr(0x80, 0);
	asm volatile("nop");
	GUEST_ASSERT_EQ(irq_count, 2);
	/* One-shot timer, 1 ms, while halted (IF=0 until the HLT: no race). */
	apic_wr(0x3e0, 0xb);				/* divide by 1 */
	apic_wr(0x320, VEC);				/* LVTT one-shot */
	asm volatile("cli");
	apic_wr(0x380, 1000000);
	GUEST_SYNC(apic_rd(0x390));			/* current count */
	asm volatile("sti; hlt");
	GUEST_ASSERT_EQ(irq_count, 3);
	GUEST_ASSERT_EQ(apic_rd(0x390), 0);
}

/* A split-irqchip VM whose vCPU 0 runs @fn, the APIC page mapped. */
static struct kvmini_vm *split_vm(void *fn, struct kvmini_vcpu **vcpu)
{
	struct kvmini_vm *vm = vm_create_guest_split(fn, vcpu);

	if (vm)
		idt_set_gate(vm_gpa2hva(vm, GUEST_IDT), VEC, (uintptr_t)smoke_stub, 0);
	return vm;
}

/* A split-irqchip VM runs @fn(@n, @arg) to its end. */
static void run_to_done(struct __test_metadata *_metadata, void *fn, uint64_t n, uint64_t arg)
{
	struct kvmini_vcpu *vcpu;
	struct kvmini_vm *vm = split_vm(fn, &vcpu);
	struct ucall uc;

	ASSERT_TRUE(vm != NULL);
	vcpu_set_args(vcpu, 2, n, arg);
	EXPECT_EQ(UCALL_DONE, __vcpu_run_ucall(vcpu, &uc, __FILE__, __LINE__));
	vm_free(vm);
}

TEST(basics)
{
	struct kvmini_vcpu *vcpu;
	struct kvmini_vm *vm = split_vm(guest_code, &vcpu);
	struct ucall uc;
	int n = 0;

	ASSERT_TRUE(vm != NULL);
	for (;;) {
		int cmd = __vcpu_run_ucall(vcpu, &uc, __FILE__, __LINE__);

		if (cmd == UCALL_DONE)
			break;
		ASSERT_EQ(UCALL_SYNC, cmd);
		TH_LOG("sync %d: %#llx", n, (unsigned long long)uc.args[0]);
		if (n == 0)
			EXPECT_EQ(0ULL, uc.args[0]);
		n++;
	}
	EXPECT_EQ(3, n);
	vm_free(vm);
}

/*
 * @n times: arm a one-shot of up to 60 us with IF=0, then STI; HLT. Each
 * time the interrupt must come after the HLT (STI's shadow), and wake it.
 * The counts sweep the moment the host's timer fires across those two
 * instructions.
 */
static void guest_sti_hlt(uint64_t n)
{
	uint64_t i;

	apic_wr(0xf0, 0x1ff);
	apic_wr(0x3e0, 0xb);
	apic_wr(0x320, VEC);
	for (i = 0; i < n; i++) {
		asm volatile("cli");
		apic_wr(0x380, 1 + (i * 37) % 60000);
		asm volatile("sti; hlt" ::: "memory");
	}
	GUEST_ASSERT_EQ(irq_count, n);
}

/*
 * QEMU's emulated SVM (the AMD test host) takes a virtual interrupt inside
 * STI's shadow at VMRUN; injected there, the interrupt would come before
 * the HLT, which would then sleep for good (svm.c's handle_vintr()). KVM
 * does not guard against it: in this host it hangs now and then too, so
 * it only gets a few rounds (and other hosts, without the bug, 200).
 */
TEST(sti_hlt_wakeups)
{
	run_to_done(_metadata, guest_sti_hlt,
		    kvmini_dev_is_kvm() ? 20 : host_is_qemu_tcg() ? 2000 : 200, 0);
}

/*
 * @n times: a self-IPI with IF=0, then wait in a loop that opens the
 * window only between STI and CLI, after the PAUSE in STI's shadow: the
 * interrupt must come, and (@exact) there, between PAUSE and CLI. QEMU's
 * emulated SVM takes no virtual interrupt there at all (only a host
 * interrupt's exit lets the hypervisor inject), and one at VMRUN inside
 * the shadow: KVM injects that before the PAUSE, kvmini steps over it.
 */
extern char pause_end[];
static void guest_sti_pause(uint64_t n, uint64_t exact)
{
	uint64_t i;

	apic_wr(0xf0, 0x1ff);
	for (i = 1; i <= n; i++) {
		asm volatile("cli");
		apic_wr(0x300, 0x40000 | VEC);		/* self IPI, fixed */
		while (*(volatile uint64_t *)&irq_count < i)
			asm volatile("sti\n\t"
				     "pause\n\t"
				     ".globl pause_end\n"
				     "pause_end:\n\t"
				     "cli" ::: "memory");
		if (exact)
			GUEST_ASSERT_EQ(irq_rip, (uintptr_t)pause_end);
	}
	GUEST_ASSERT_EQ(irq_count, n);
}

TEST(sti_pause_window)
{
	run_to_done(_metadata, guest_sti_pause, 200, !(kvmini_dev_is_kvm() && host_is_qemu_tcg()));
}

/* Arm a fast periodic timer, or a far TSC deadline (@tsc_deadline), and stop. */
static void guest_arm(uint64_t tsc_deadline)
{
	apic_wr(0xf0, 0x1ff);
	apic_wr(0x3e0, 0xb);
	if (tsc_deadline) {
		apic_wr(0x320, (2 << 17) | VEC);	/* TSC-deadline mode */
		wrmsr(0x6e0, tsc_deadline);
	} else {
		/*
		 * Periodic, 5 ms: faster ones can keep a slow emulated host's
		 * guest busy with its interrupts for good (KVM's floor is 200 us).
		 */
		apic_wr(0x320, (1 << 17) | VEC);
		apic_wr(0x380, 5000000);
	}
	asm volatile("sti");
	GUEST_SYNC(0);
}

/* The hrtimers go with the vCPUs; a leak or a late callback would show in the log. */
TEST(vm_dies_with_armed_timers)
{
	struct kvmini_vcpu *vcpu;
	struct ucall uc;
	int i;

	for (i = 0; i < 200; i++) {
		struct kvmini_vm *vm = split_vm(guest_arm, &vcpu);

		ASSERT_TRUE(vm != NULL);
		vcpu_set_args(vcpu, 1, (uint64_t)(i & 1 ? ~0ULL >> 2 : 0));
		ASSERT_EQ(UCALL_SYNC, __vcpu_run_ucall(vcpu, &uc, __FILE__, __LINE__));
		vm_free(vm);
	}
}

TEST_HARNESS_MAIN
