// SPDX-License-Identifier: GPL-2.0
/*
 * KVMINI_NMI without an in-kernel interrupt controller: the NMI reaches the
 * guest's vector 2 handler even with IF=0; NMIs queued while the guest is
 * inside its NMI handler are held until its IRET and then collapse into one
 * (one NMI in service, at most one pending); two queued while NMIs are not
 * blocked are both delivered, three still only two.  GET_VCPU_EVENTS shows
 * nmi.masked inside the handler and nmi.pending while one is held.
 */
#include "kvmini_util.h"
#include "kvmini_vm.h"
#include "kselftest_harness.h"

#define NMI_PORT	0xe1

/* Guest state: NMIs taken, interrupted RIPs; exit inside the nmi_stop'th. */
uint64_t nmi_count, nmi_rip[16], nmi_stop;

/* Vector 2, interrupt gate on IST1. */
extern char nmi_stub[], nmi_stub_end[];
asm(".pushsection .text\n"
    "nmi_stub:\n"
    "	push %rax; push %rcx; push %rdx\n"
    "	mov nmi_count(%rip), %rcx\n"
    "	and $15, %rcx\n"
    "	mov 24(%rsp), %rax\n"
    "	lea nmi_rip(%rip), %rdx\n"
    "	mov %rax, (%rdx,%rcx,8)\n"
    "	incq nmi_count(%rip)\n"
    "	mov nmi_count(%rip), %rax\n"
    "	cmp nmi_stop(%rip), %rax\n"
    "	jne 1f\n"
    "	outb %al, $0xe1\n"		/* still inside the handler */
    "1:	pop %rdx; pop %rcx; pop %rax\n"
    "	iretq\n"
    "nmi_stub_end:\n"
    ".popsection\n");

static void guest_nmi(void)
{
	GUEST_SYNC(0);
	GUEST_SYNC(nmi_count);
	GUEST_SYNC(nmi_count);
}

static struct kvmini_vm *nmi_vm(struct kvmini_vcpu **vcpu)
{
	struct kvmini_vm *vm = vm_create_guest(guest_nmi, vcpu);
	uint64_t *idt, h = (uintptr_t)nmi_stub;

	if (!vm)
		return NULL;
	idt = vm_gpa2hva(vm, GUEST_IDT);
	idt[4] = (h & 0xffff) | (uint64_t)GUEST_SEL_CS64 << 16 |
		 1ULL << 32 | 0x8eULL << 40 | ((h >> 16) & 0xffff) << 48;
	idt[5] = h >> 32;
	return vm;
}

#define REQUIRE_USER_NMI(vm) do {					\
	if (ioctl((vm)->dev_fd, KVMINI_CHECK_EXTENSION,		\
		  KVMINI_CAP_USER_NMI) <= 0) {				\
		vm_free(vm);						\
		SKIP(return, "%s: no KVMINI_CAP_USER_NMI", kvmini_dev_path()); \
	}								\
} while (0)

static void get_events(struct kvmini_vcpu *vcpu, struct kvmini_vcpu_events *ev)
{
	memset(ev, 0, sizeof(*ev));
	vcpu_ioctl(vcpu, KVMINI_GET_VCPU_EVENTS, ev);
}

TEST(delivered_with_if0)
{
	struct kvmini_vcpu *vcpu;
	struct kvmini_vm *vm = nmi_vm(&vcpu);
	struct kvmini_vcpu_events ev;
	struct ucall uc;

	REQUIRE_VM(vm);
	REQUIRE_USER_NMI(vm);
	ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, &uc));
	EXPECT_EQ(0, vcpu->run->if_flag);
	ASSERT_EQ(0, ioctl_err(vcpu->fd, KVMINI_NMI, 0));
	ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, &uc));
	EXPECT_EQ(1ULL, uc.args[0]);
	get_events(vcpu, &ev);
	EXPECT_EQ(0, ev.nmi.masked);
	EXPECT_EQ(0, ev.nmi.pending);
	EXPECT_EQ(0, ev.nmi.injected);
	ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, &uc));
	EXPECT_EQ(1ULL, uc.args[0]);
	vm_free(vm);
}

TEST(held_until_iret)
{
	struct kvmini_vcpu *vcpu;
	struct kvmini_vm *vm = nmi_vm(&vcpu);
	struct kvmini_vcpu_events ev;
	struct ucall uc;
	uint64_t rip1;

	REQUIRE_VM(vm);
	REQUIRE_USER_NMI(vm);
	GUEST_VAR(vm, nmi_stop) = 1;
	ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, &uc));
	ASSERT_EQ(0, ioctl_err(vcpu->fd, KVMINI_NMI, 0));
	ASSERT_EQ(0, vcpu_run(vcpu));
	ASSERT_EQ(KVMINI_EXIT_IO, (int)vcpu->run->exit_reason);
	ASSERT_EQ(NMI_PORT, vcpu->run->io.port);
	EXPECT_EQ(1ULL, GUEST_VAR(vm, nmi_count));
	get_events(vcpu, &ev);
	EXPECT_EQ(1, ev.nmi.masked);
	EXPECT_EQ(0, ev.nmi.pending);
	/* Two more while the first is in service: one stays pending. */
	ASSERT_EQ(0, ioctl_err(vcpu->fd, KVMINI_NMI, 0));
	ASSERT_EQ(0, ioctl_err(vcpu->fd, KVMINI_NMI, 0));
	get_events(vcpu, &ev);
	EXPECT_EQ(1, ev.nmi.masked);
	EXPECT_EQ(1, ev.nmi.pending);
	ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, &uc));
	EXPECT_EQ(2ULL, uc.args[0]);
	/* The second one came after IRET: not nested inside the handler. */
	rip1 = GUEST_VAR(vm, nmi_rip[1]);
	TH_LOG("NMI 1 at %#lx, NMI 2 at %#lx", (unsigned long)GUEST_VAR(vm, nmi_rip[0]),
	       (unsigned long)rip1);
	EXPECT_TRUE(rip1 < (uintptr_t)nmi_stub || rip1 >= (uintptr_t)nmi_stub_end);
	/* ... at once: the main code did not move in between. */
	EXPECT_EQ(GUEST_VAR(vm, nmi_rip[0]), rip1);
	ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, &uc));
	EXPECT_EQ(2ULL, uc.args[0]);
	vm_free(vm);
}

TEST(queued_unblocked)
{
	struct kvmini_vcpu *vcpu;
	struct kvmini_vm *vm = nmi_vm(&vcpu);
	struct kvmini_vcpu_events ev;
	struct ucall uc;

	REQUIRE_VM(vm);
	REQUIRE_USER_NMI(vm);
	ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, &uc));
	/* Three queued, NMIs not blocked: one injected, one pending. */
	ASSERT_EQ(0, ioctl_err(vcpu->fd, KVMINI_NMI, 0));
	ASSERT_EQ(0, ioctl_err(vcpu->fd, KVMINI_NMI, 0));
	ASSERT_EQ(0, ioctl_err(vcpu->fd, KVMINI_NMI, 0));
	get_events(vcpu, &ev);
	TH_LOG("3 queued: nmi.pending %u masked %u injected %u",
	       ev.nmi.pending, ev.nmi.masked, ev.nmi.injected);
	EXPECT_EQ(1, ev.nmi.pending);
	EXPECT_EQ(0, ev.nmi.masked);
	ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, &uc));
	EXPECT_EQ(2ULL, uc.args[0]);
	ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, &uc));
	EXPECT_EQ(2ULL, uc.args[0]);
	vm_free(vm);
}

TEST_HARNESS_MAIN
