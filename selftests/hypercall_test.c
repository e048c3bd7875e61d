// SPDX-License-Identifier: GPL-2.0
/*
 * Hypercalls with KVM's ABI, answered in the kernel as KVM does without
 * an in-kernel APIC: VMMCALL (AMD) / VMCALL (Intel), nr in RAX, arguments
 * in RBX RCX RDX RSI, result in RAX, RIP past the instruction, no exit.
 * Unknown numbers get -KVM_ENOSYS; KICK_CPU, SCHED_YIELD, VAPIC_POLL_IRQ
 * 0; SEND_IPI finds no APIC; the PV ones ENOSYS once the VMM enforces the
 * guest's (empty) PV CPUID. MAP_GPA_RANGE exits to the VMM only after
 * KVMINI_CAP_EXIT_HYPERCALL. The other vendor's instruction is rewritten
 * to the native one and runs (KVM's FIX_HYPERCALL_INSN quirk), or is #UD
 * with the quirk disabled. Runs on KVM too.
 */
#include "kvmini_util.h"
#include "kvmini_vm.h"
#include "kselftest_harness.h"

#define ENOSYS_	(-1000LL)

/* The native instruction (@amd: VMMCALL), or the other one at hc_other. */
extern char hc_other[];
static int64_t hc(bool amd, uint64_t nr, uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3)
{
	if (amd)
		asm volatile("vmmcall" : "+a"(nr) : "b"(a0), "c"(a1), "d"(a2), "S"(a3) : "memory");
	else
		asm volatile("vmcall" : "+a"(nr) : "b"(a0), "c"(a1), "d"(a2), "S"(a3) : "memory");
	return nr;
}

static __attribute__((noinline)) int64_t hc_wrong(bool amd)	/* the other vendor's */
{
	uint64_t nr = 0x4242;

	asm volatile("hc_other: .byte 0x0f, 0x01, 0xc1\n"	/* VMCALL */
		     : "+a"(nr) : : "memory");
	(void)amd;
	return nr;
}

static int64_t g_ret[8];

static void guest_calls(bool amd)
{
	g_ret[0] = hc(amd, 0x4242, 0, 0, 0, 0);			/* unknown */
	g_ret[1] = hc(amd, 0x8000000000000001ULL, 0, 0, 0, 0);	/* 64 bits of nr */
	g_ret[2] = hc(amd, 1, 0, 0, 0, 0);			/* VAPIC_POLL_IRQ */
	g_ret[3] = hc(amd, 5, 0, 1, 0, 0);			/* KICK_CPU */
	g_ret[4] = hc(amd, 11, 1, 0, 0, 0);			/* SCHED_YIELD */
	g_ret[5] = hc(amd, 10, 1, 0, 0, 0x40);			/* SEND_IPI, fixed */
	g_ret[6] = hc(amd, 10, 1, 0, 0, 0xc0040);		/* SEND_IPI, shorthand */
	g_ret[7] = hc(amd, 12, 0x1000, 1, 0, 0);		/* MAP_GPA_RANGE */
}

static struct kvmini_vm *setup(void *fn, struct kvmini_vcpu **vcpu)
{
	struct kvmini_vm *vm = vm_create_guest(fn, vcpu);

	if (vm) {
		vcpu_set_cpuid_supported(*vcpu);
		vcpu_set_args(*vcpu, 1, (uint64_t)host_cpu_is_amd());
	}
	return vm;
}

TEST(in_kernel)
{
	static const int64_t want[8] = { ENOSYS_, ENOSYS_, 0, 0, 0, -95, -22, ENOSYS_ };
	struct kvmini_enable_cap cap = { .cap = KVMINI_CAP_ENFORCE_PV_FEATURE_CPUID,
					 .args = { 1 } };
	struct kvmini_vcpu *vcpu;
	struct kvmini_vm *vm = setup(guest_calls, &vcpu);
	struct kvmini_cpuid2 *c;
	struct ucall uc;
	int i;

	REQUIRE_VM(vm);
	ASSERT_EQ(UCALL_DONE, vcpu_run_ucall(vcpu, &uc));	/* no exit on the way */
	for (i = 0; i < 8; i++)
		EXPECT_EQ(want[i], GUEST_VAR(vm, g_ret)[i]) TH_LOG("call %d", i);

	/* Enforcing the guest's PV CPUID, which offers none of them. */
	vm_free(vm);
	vm = setup(guest_calls, &vcpu);
	c = kvmini_supported_cpuid(vm);
	for (i = 0; i < (int)c->nent; i++)
		if (c->entries[i].function == 0x40000001)
			c->entries[i].eax = 0;
	vcpu_ioctl(vcpu, KVMINI_SET_CPUID2, c);
	free(c);
	vcpu_ioctl(vcpu, KVMINI_ENABLE_CAP, &cap);
	ASSERT_EQ(UCALL_DONE, vcpu_run_ucall(vcpu, &uc));
	EXPECT_EQ(0, GUEST_VAR(vm, g_ret)[2]);
	for (i = 3; i < 7; i++)
		EXPECT_EQ(ENOSYS_, GUEST_VAR(vm, g_ret)[i]) TH_LOG("enforced, call %d", i);
	vm_free(vm);
}

static void guest_map(bool amd)
{
	g_ret[0] = hc(amd, 12, 0x12345000, 3, 7, 0);
	g_ret[1] = hc(amd, 12, 0x12345678, 3, 7, 0);	/* not page-aligned */
	g_ret[2] = hc(amd, 12, 0x1000, 0, 7, 0);	/* no pages */
}

TEST(map_gpa_range_exit)
{
	struct kvmini_enable_cap cap = { .cap = KVMINI_CAP_EXIT_HYPERCALL };
	struct kvmini_vcpu *vcpu;
	struct kvmini_vm *vm = setup(guest_map, &vcpu);
	struct ucall uc;

	REQUIRE_VM(vm);
	EXPECT_EQ(1 << 12, ioctl(vm->dev_fd, KVMINI_CHECK_EXTENSION, KVMINI_CAP_EXIT_HYPERCALL));
	cap.args[0] = 1;		/* only MAP_GPA_RANGE may exit */
	EXPECT_EQ(-EINVAL, ioctl_err(vm->fd, KVMINI_ENABLE_CAP, (unsigned long)&cap));
	cap.args[0] = 1 << 12;
	cap.flags = 1;
	EXPECT_EQ(-EINVAL, ioctl_err(vm->fd, KVMINI_ENABLE_CAP, (unsigned long)&cap));
	cap.flags = 0;
	ASSERT_EQ(0, ioctl_err(vm->fd, KVMINI_ENABLE_CAP, (unsigned long)&cap));

	vcpu_run_expect(vcpu, KVMINI_EXIT_HYPERCALL);
	EXPECT_EQ(12ULL, vcpu->run->hypercall.nr);
	EXPECT_EQ(0x12345000ULL, vcpu->run->hypercall.args[0]);
	EXPECT_EQ(3ULL, vcpu->run->hypercall.args[1]);
	EXPECT_EQ(7ULL, vcpu->run->hypercall.args[2]);
	EXPECT_EQ(1U, vcpu->run->hypercall.longmode);
	vcpu->run->hypercall.ret = 0x5a5a;
	ASSERT_EQ(UCALL_DONE, vcpu_run_ucall(vcpu, &uc));
	EXPECT_EQ(0x5a5a, GUEST_VAR(vm, g_ret)[0]);
	EXPECT_EQ(-22, GUEST_VAR(vm, g_ret)[1]);
	EXPECT_EQ(-22, GUEST_VAR(vm, g_ret)[2]);
	vm_free(vm);
}

static void guest_wrong(bool amd)
{
	guest_exc_arm(3);
	g_ret[0] = hc_wrong(amd);
	g_ret[1] = guest_exc.vector;
}

/* Intel's VMCALL at hc_other: AMD's guest gets it fixed (Intel's runs it). */
static void wrong_insn(struct __test_metadata *_metadata, bool quirk)
{
	struct kvmini_enable_cap cap = { .cap = KVMINI_CAP_DISABLE_QUIRKS2,
					 .args = { KVMINI_X86_QUIRK_FIX_HYPERCALL_INSN } };
	static const uint8_t vmmcall[3] = { 0x0f, 0x01, 0xd9 };
	struct kvmini_vcpu *vcpu;
	struct kvmini_vm *vm = setup(guest_wrong, &vcpu);
	uint8_t *code;
	struct ucall uc;

	REQUIRE_VM(vm);
	code = vm_gva2hva(vm, (uintptr_t)hc_other);
	if (!host_cpu_is_amd())		/* Intel's wrong one is VMMCALL */
		memcpy(code, vmmcall, 3);
	if (!quirk)
		vm_ioctl(vm, KVMINI_ENABLE_CAP, &cap);
	ASSERT_EQ(UCALL_DONE, vcpu_run_ucall(vcpu, &uc));
	if (quirk) {
		EXPECT_EQ(ENOSYS_, GUEST_VAR(vm, g_ret)[0]);
		EXPECT_EQ(GUEST_NO_EXC, (uint64_t)GUEST_VAR(vm, g_ret)[1]);
		EXPECT_EQ(host_cpu_is_amd() ? 0xd9 : 0xc1, code[2]);	/* now native */
	} else {
		EXPECT_EQ(0x4242, GUEST_VAR(vm, g_ret)[0]);
		EXPECT_EQ(6, GUEST_VAR(vm, g_ret)[1]);			/* #UD */
		EXPECT_EQ(host_cpu_is_amd() ? 0xc1 : 0xd9, code[2]);	/* unchanged */
	}
	vm_free(vm);
}

TEST(other_vendor_fixed)
{
	wrong_insn(_metadata, true);
}

TEST(other_vendor_ud_without_quirk)
{
	wrong_insn(_metadata, false);
}

TEST(quirks_cap)
{
	struct kvmini_enable_cap cap = { .cap = KVMINI_CAP_DISABLE_QUIRKS2, .args = { 0x80 } };
	struct kvmini_vm *vm = vm_create();

	REQUIRE_VM(vm);
	EXPECT_EQ(0x7f, ioctl(vm->dev_fd, KVMINI_CHECK_EXTENSION, KVMINI_CAP_DISABLE_QUIRKS2));
	EXPECT_EQ(-EINVAL, ioctl_err(vm->fd, KVMINI_ENABLE_CAP, (unsigned long)&cap));
	cap.cap = KVMINI_CAP_DISABLE_QUIRKS;	/* the old one takes anything */
	EXPECT_EQ(0, ioctl_err(vm->fd, KVMINI_ENABLE_CAP, (unsigned long)&cap));
	cap.cap = 0xffff;
	EXPECT_EQ(-EINVAL, ioctl_err(vm->fd, KVMINI_ENABLE_CAP, (unsigned long)&cap));
	vm_free(vm);
}

TEST_HARNESS_MAIN
