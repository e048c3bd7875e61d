// SPDX-License-Identifier: GPL-2.0
/*
 * MSRs that are plain vCPU state (kmod/msr.c), as KVM has them: MTRRs
 * (MTRRcap 0x508, fixed, variable, default type), machine check (MCG_CAP
 * as X86_SETUP_MCE set it; MCi_CTL only 0 or all ones) and the
 * values QEMU writes at every reset, which KVMINI_SET_MSRS must take all
 * of (QEMU aborts otherwise); the guest reads and writes them too.
 * MISC_ENABLE: BTS and PEBS unavailable from reset, and the guest cannot
 * change that (Linux reads it early on Intel CPU models). TSC_ADJUST as
 * KVM's (the kernel's tsc_msrs_test): the guest's writes of it or of the
 * TSC move both, the VMM's only the one written; without its CPUID bit
 * the guest's writes are ignored. CPUID faulting and HWCR's bits.
 */
#include <sys/ioctl.h>
#include <linux/kvm.h>

#include "kvmini_util.h"
#include "kvmini_vm.h"
#include "kselftest_harness.h"

/* What QEMU 7.2 put on a qemu64 vCPU at reset (seen on kvmini). */
TEST(qemu_reset_set)
{
	struct kvmini_vm *vm = vm_create();
	struct kvmini_vcpu *vcpu;
	uint64_t mcg_cap = 1 << 8 | 32;	/* MCG_CTL_P, 32 banks */
	uint32_t idx[64];
	uint64_t d[64], back[64];
	unsigned int n = 0, i;

	REQUIRE_VM(vm);
	vcpu = vcpu_add(vm, 0);
	/* MCG_CTL_P comes from X86_SETUP_MCE, as QEMU calls it (mcg_cap below). */
	ASSERT_EQ(0, ioctl(vcpu->fd, KVMINI_X86_SETUP_MCE, &mcg_cap));
	idx[n] = 0x12, d[n++] = 0;		/* kvmclock, off */
	idx[n] = 0x11, d[n++] = 0;
	idx[n] = 0x2ff, d[n++] = 0xc06;		/* MTRRs on, WB default */
	idx[n] = 0x250, d[n++] = 0x0606060606060606ULL;
	idx[n] = 0x259, d[n++] = 0x0000000001010101ULL;
	idx[n] = 0x200, d[n++] = 0x80000000ULL;	/* base, UC */
	idx[n] = 0x201, d[n++] = 0xfc0000800ULL;	/* mask, V (36-bit phys) */
	idx[n] = 0x17a, d[n++] = 0;		/* MCG_STATUS */
	idx[n] = 0x17b, d[n++] = ~0ULL;		/* MCG_CTL */
	for (i = 0; i < 7; i++) {		/* banks: CTL STATUS ADDR MISC */
		idx[n] = 0x400 + 4 * i, d[n++] = ~0ULL;
		idx[n] = 0x401 + 4 * i, d[n++] = 0;
		idx[n] = 0x402 + 4 * i, d[n++] = 0;
		idx[n] = 0x403 + 4 * i, d[n++] = 0;
	}
	EXPECT_EQ((long)n, vcpu_msrs_io(vcpu, KVMINI_SET_MSRS, idx, d, n));
	memset(back, 0, sizeof(back));
	EXPECT_EQ((long)n, vcpu_msrs_io(vcpu, KVMINI_GET_MSRS, idx, back, n));
	for (i = 0; i < n; i++)
		EXPECT_EQ(d[i], back[i]) TH_LOG("MSR %#x", idx[i]);

	/* Read-only and rejected values stop the batch, as KVM. */
	idx[0] = 0xfe, idx[1] = 0x179;
	EXPECT_EQ(2, vcpu_msrs_io(vcpu, KVMINI_GET_MSRS, idx, back, 2));
	EXPECT_EQ(0x508ULL, back[0]);			/* WC, FIX, 8 variable */
	EXPECT_EQ(1ULL << 8, back[1] & ~0xffULL);	/* MCG_CTL_P */
	EXPECT_LE(7ULL, back[1] & 0xff);
	idx[0] = 0x400, d[0] = 1;		/* MC0_CTL: 0 or all ones */
	EXPECT_EQ(0, vcpu_msrs_io(vcpu, KVMINI_SET_MSRS, idx, d, 1));
	idx[0] = 0x2ff, d[0] = 0x2;		/* type 2 does not exist */
	EXPECT_EQ(0, vcpu_msrs_io(vcpu, KVMINI_SET_MSRS, idx, d, 1));
	idx[0] = 0x17b, d[0] = 5;
	EXPECT_EQ(0, vcpu_msrs_io(vcpu, KVMINI_SET_MSRS, idx, d, 1));
	vm_free(vm);
}

/* The guest sees the same: MTRRcap, the default type the VMM set. */
static void guest_mtrr(void)
{
	uint64_t cap = 0, def = 0;

	rdmsr_safe(0xfe, &cap);
	rdmsr_safe(0x2ff, &def);
	GUEST_ASSERT_EQ(GUEST_NO_EXC, wrmsr_safe(0x2ff, 0xc00));	/* UC default */
	rdmsr_safe(0x2ff, &def);
	GUEST_SYNC4(cap, def, wrmsr_safe(0x2ff, 0x3), wrmsr_safe(0x401, 1));
	/* AMD SYSCFG reads as 0 (Linux reads it at boot); DC_CFG takes writes. */
	def = 1;
	GUEST_ASSERT_EQ(GUEST_NO_EXC, rdmsr_safe(0xc0010010, &def));
	GUEST_ASSERT_EQ(0, def);
	GUEST_ASSERT_EQ(GUEST_NO_EXC, wrmsr_safe(0xc0011022, 0));
}

TEST(guest)
{
	struct kvmini_vcpu *vcpu;
	struct kvmini_vm *vm = vm_create_guest(guest_mtrr, &vcpu);
	struct ucall uc;

	REQUIRE_VM(vm);
	vcpu_run_ucall(vcpu, &uc);
	EXPECT_EQ(0x508ULL, uc.args[0]);
	EXPECT_EQ(0xc00ULL, uc.args[1]);
	EXPECT_EQ(13ULL, uc.args[2]);	/* #GP: bad type */
	EXPECT_EQ(13ULL, uc.args[3]);	/* #GP: the guest may only clear MCi_STATUS */
	EXPECT_EQ(UCALL_DONE, vcpu_run_ucall(vcpu, &uc));
	vm_free(vm);
}

#define MSR_MISC_ENABLE	0x1a0
#define MISC_NO_BTS_PEBS	0x1800ULL

static void guest_misc(void)
{
	uint64_t v = 0;

	GUEST_ASSERT_EQ(GUEST_NO_EXC, rdmsr_safe(MSR_MISC_ENABLE, &v));
	GUEST_SYNC4(v, wrmsr_safe(MSR_MISC_ENABLE, v & ~(1ULL << 12)),
		    wrmsr_safe(MSR_MISC_ENABLE, v | 1), 0);	/* fast strings */
}

TEST(misc_enable)
{
	struct kvmini_vcpu *vcpu;
	struct kvmini_vm *vm = vm_create_guest(guest_misc, &vcpu);
	uint32_t idx = MSR_MISC_ENABLE;
	uint64_t v = 0;
	struct ucall uc;

	REQUIRE_VM(vm);
	ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, &uc));
	EXPECT_EQ(MISC_NO_BTS_PEBS, uc.args[0]);
	EXPECT_EQ(13ULL, uc.args[1]);		/* #GP: PEBS stays unavailable */
	EXPECT_EQ(GUEST_NO_EXC, uc.args[2]);
	EXPECT_EQ(1, vcpu_msrs_io(vcpu, KVMINI_GET_MSRS, &idx, &v, 1));
	EXPECT_EQ(MISC_NO_BTS_PEBS | 1, v);
	v = 0;					/* the VMM may set anything */
	EXPECT_EQ(1, vcpu_msrs_io(vcpu, KVMINI_SET_MSRS, &idx, &v, 1));
	v = 1;
	EXPECT_EQ(1, vcpu_msrs_io(vcpu, KVMINI_GET_MSRS, &idx, &v, 1));
	EXPECT_EQ(0ULL, v);
	vm_free(vm);
}

#define MSR_TSC		0x10
#define MSR_TSC_ADJUST	0x3b
#define BIG		(1ULL << 40)	/* far above what elapses in a test */
#define NEAR(a, b)	((a) - (b) < (1ULL << 36))	/* b <= a, not much more */

static void guest_tsc_adjust(void)
{
	uint64_t adj = rdmsr(MSR_TSC_ADJUST);

	wrmsr(MSR_TSC_ADJUST, adj + BIG);
	GUEST_SYNC4(adj, rdmsr(MSR_TSC_ADJUST), rdmsr(MSR_TSC), 0);
	wrmsr(MSR_TSC, 2 * BIG);	/* TSC_ADJUST moves by 2 * BIG - TSC */
	GUEST_SYNC4(rdmsr(MSR_TSC_ADJUST), rdmsr(MSR_TSC), 0, 0);
}

TEST(tsc_adjust)
{
	struct kvmini_vcpu *vcpu;
	struct kvmini_vm *vm = vm_create_guest(guest_tsc_adjust, &vcpu);
	uint32_t idx[2] = { MSR_TSC, MSR_TSC_ADJUST };
	uint64_t d[2];
	struct ucall uc;

	REQUIRE_VM(vm);
	vcpu_set_cpuid_supported(vcpu);
	ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, &uc));
	EXPECT_EQ(0ULL, uc.args[0]);
	EXPECT_EQ(BIG, uc.args[1]);
	EXPECT_TRUE(NEAR(uc.args[2], BIG)) TH_LOG("TSC %#lx", (unsigned long)uc.args[2]);
	ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, &uc));
	EXPECT_TRUE(NEAR(2 * BIG, uc.args[0])) TH_LOG("TSC_ADJUST %#lx", (unsigned long)uc.args[0]);
	EXPECT_TRUE(NEAR(uc.args[1], 2 * BIG)) TH_LOG("TSC %#lx", (unsigned long)uc.args[1]);
	/* The VMM's writes: each changes only itself. */
	d[0] = 4 * BIG, d[1] = 5;
	EXPECT_EQ(2, vcpu_msrs_io(vcpu, KVMINI_SET_MSRS, idx, d, 2));
	EXPECT_EQ(2, vcpu_msrs_io(vcpu, KVMINI_GET_MSRS, idx, d, 2));
	EXPECT_TRUE(NEAR(d[0], 4 * BIG));
	EXPECT_EQ(5ULL, d[1]);
	vm_free(vm);
}

/* Without CPUID.7.EBX[1] (no SET_CPUID2) the guest's write is ignored. */
static void guest_tsc_adjust_off(void)
{
	wrmsr(MSR_TSC_ADJUST, BIG);
	GUEST_SYNC4(rdmsr(MSR_TSC_ADJUST), rdmsr(MSR_TSC), 0, 0);
}

TEST(tsc_adjust_without_cpuid)
{
	struct kvmini_vcpu *vcpu;
	struct kvmini_vm *vm = vm_create_guest(guest_tsc_adjust_off, &vcpu);
	struct ucall uc;

	REQUIRE_VM(vm);
	ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, &uc));
	EXPECT_EQ(0ULL, uc.args[0]);
	EXPECT_LT(uc.args[1], BIG);
	vm_free(vm);
}

#define MSR_PLATFORM_INFO	0xce
#define MSR_MISC_FEATURES	0x140
#define MSR_HWCR		0xc0010015
#define MCSTATUSWREN		(1ULL << 18)

static void guest_features(void)
{
	uint32_t r[4];

	/* CPUID faulting: offered, on, and ring 0 still has CPUID. */
	GUEST_ASSERT_EQ(1ULL << 31, rdmsr(MSR_PLATFORM_INFO));
	GUEST_ASSERT_EQ(13, wrmsr_safe(MSR_PLATFORM_INFO, 0));
	GUEST_ASSERT_EQ(13, wrmsr_safe(MSR_MISC_FEATURES, 2));
	GUEST_ASSERT_EQ(GUEST_NO_EXC, wrmsr_safe(MSR_MISC_FEATURES, 1));
	cpuid(0, 0, r);
	GUEST_ASSERT_EQ(1, rdmsr(MSR_MISC_FEATURES));
	/* HWCR: McStatusWrEn sticks, ignored bits are dropped, 0 changes nothing. */
	GUEST_ASSERT_EQ(13, wrmsr_safe(MSR_HWCR, 1));
	GUEST_ASSERT_EQ(GUEST_NO_EXC, wrmsr_safe(MSR_HWCR, MCSTATUSWREN | 0x148));
	GUEST_ASSERT_EQ(GUEST_NO_EXC, wrmsr_safe(MSR_HWCR, 0));
	GUEST_SYNC4(rdmsr(MSR_HWCR), wrmsr_safe(0x401, 1), 0, 0);
}

TEST(cpuid_fault_hwcr)
{
	struct kvmini_vcpu *vcpu;
	struct kvmini_vm *vm = vm_create_guest(guest_features, &vcpu);
	uint32_t idx = MSR_PLATFORM_INFO;
	uint64_t v = 0;
	struct ucall uc;

	REQUIRE_VM(vm);
	vcpu_set_cpuid_supported(vcpu);
	ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, &uc));
	EXPECT_EQ(MCSTATUSWREN, uc.args[0]);
	/* With McStatusWrEn a guest whose CPUID is AMD's may write MCi_STATUS. */
	EXPECT_EQ(host_cpu_is_amd() ? GUEST_NO_EXC : 13ULL, uc.args[1]);
	/* The VMM cannot take CPUID faulting away while it is on. */
	EXPECT_EQ(0, vcpu_msrs_io(vcpu, KVMINI_SET_MSRS, &idx, &v, 1));
	vm_free(vm);
}

TEST_HARNESS_MAIN
