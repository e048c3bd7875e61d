// SPDX-License-Identifier: GPL-2.0
/*
 * The MSRs a guest has, as KVM 6.1 gives them: with the supported CPUID
 * and no in-kernel irqchip, the guest RDMSRs every MSR of 0-0x1fff,
 * 0xc0000000-0xc0001fff and 0xc0010000-0xc0011fff and WRMSRs back what it
 * read (0 where the read faulted), under an IDT that counts #GP and
 * resumes. The readable and writable sets, and the values of the MSRs
 * whose value is fixed, must be the table's: KVM's, measured on the
 * distro KVM in the emulated hosts (AMD EPYC under QEMU, Intel Skylake-X
 * under Bochs). MSR_SWEEP_LOG=1 logs every MSR the guest could touch.
 */
#include <stdlib.h>

#include "kvmini_util.h"
#include "kvmini_vm.h"
#include "kselftest_harness.h"

#define RANGE_LEN	0x2000
#define NR_RANGES	3
static const uint32_t range_base[NR_RANGES] = { 0, 0xc0000000, 0xc0010000 };

#define R	1	/* the guest may read it */
#define W	2	/* ... and write back what it read (0 if not readable) */
#define ANY	4	/* its value varies: not compared */
#define SKIPPED	8	/* kvmini leaves it out by design: not compared at all */

static uint8_t g_ok[NR_RANGES][RANGE_LEN];	/* R | W */
static uint64_t g_val[NR_RANGES][RANGE_LEN];

static void guest_sweep(void)
{
	uint32_t r, i;
	uint64_t v;

	for (r = 0; r < NR_RANGES; r++)
		for (i = 0; i < RANGE_LEN; i++) {
			v = 0;
			if (rdmsr_safe(range_base[r] + i, &v) == GUEST_NO_EXC) {
				g_ok[r][i] |= R;
				g_val[r][i] = v;
			}
			if (wrmsr_safe(range_base[r] + i, g_val[r][i]) == GUEST_NO_EXC)
				g_ok[r][i] |= W;
		}
}

/* KVM 6.1's MSRs, first..last inclusive; val: each one's, unless ANY. */
struct msr_rule {
	uint32_t first, last;
	uint8_t flags;
	uint64_t val;
};
#define RW	(R | W)

/* What both of KVM's vendor modules give (the vendor tables come first). */
static const struct msr_rule kvm_common[] = {
	{ 0x0, 0x1, R, 0 },			/* P5_MC_ADDR, P5_MC_TYPE */
	{ 0x10, 0x10, RW | ANY, 0 },		/* TSC */
	{ 0x11, 0x12, RW, 0 },			/* kvmclock, not offered */
	{ 0x17, 0x17, R, 0 }, { 0x1b, 0x1b, RW, 0xfee00900 }, { 0x2a, 0x2a, R, 0 },
	{ 0x2c, 0x2c, R, 0x1000000 }, { 0x34, 0x34, R, 0 },
	{ 0x3b, 0x3b, RW | ANY, 0 },		/* TSC_ADJUST: moved by the TSC write */
	{ 0x79, 0x79, W, 0 }, { 0xc1, 0xc2, RW, 0 }, { 0xcd, 0xcd, R, 3 },
	{ 0xce, 0xce, R, 0x80000000 }, { 0xfe, 0xfe, R, 0x508 },
	{ 0x10a, 0x10a, R | ANY, 0 },		/* ARCH_CAPABILITIES: the host's */
	{ 0x11e, 0x11e, RW, 0xbe702111 }, { 0x140, 0x140, RW, 0 }, { 0x174, 0x176, RW, 0 },
	{ 0x179, 0x179, R, 0x20 }, { 0x17a, 0x17a, RW, 0 }, { 0x186, 0x187, RW, 0 },
	{ 0x198, 0x198, R, 0x400000003e8ULL }, { 0x199, 0x199, R, 0 },
	{ 0x1a0, 0x1a0, RW, 0x1800 }, { 0x1d9, 0x1d9, RW, 0 }, { 0x1db, 0x1de, R, 0 },
	{ 0x1fc, 0x1fc, RW, 0 }, { 0x200, 0x20f, RW, 0 }, { 0x250, 0x250, RW, 0 },
	{ 0x258, 0x259, RW, 0 }, { 0x268, 0x26f, RW, 0 },
	{ 0x277, 0x277, RW, 0x7040600070406ULL }, { 0x2ff, 0x2ff, RW, 0 },
	{ 0x400, 0x47f, RW, 0 },		/* 32 banks, before X86_SETUP_MCE */
	{ 0x606, 0x606, R, 0 }, { 0x611, 0x611, R, 0 }, { 0x619, 0x619, R, 0 },
	{ 0x639, 0x639, R, 0 }, { 0x641, 0x641, R, 0 }, { 0x6e0, 0x6e0, RW, 0 },
	{ 0xc0000080, 0xc0000080, RW, 0x500 }, { 0xc0000081, 0xc0000084, RW, 0 },
	{ 0xc0000100, 0xc0000103, RW, 0 }, { 0xc0010000, 0xc0010007, RW, 0 },
	{ 0xc0010010, 0xc0010010, R, 0 }, { 0xc0010015, 0xc0010015, RW, 0 },
	{ 0xc001001b, 0xc001001b, RW, 0x20000000 }, { 0xc001001f, 0xc001001f, RW, 0 },
	{ 0xc0010020, 0xc0010020, W, 0 }, { 0xc0010055, 0xc0010055, R, 0 },
	{ 0xc0010058, 0xc0010058, RW, 0 }, { 0xc0010112, 0xc0010113, R, 0 },
	{ 0xc0011022, 0xc0011023, RW, 0 }, { 0xc001102a, 0xc001102a, RW, 0 },
	{ 0xc001102c, 0xc001102c, RW, 0 },
	{ 0 }
};

static const struct msr_rule kvm_amd[] = {
	{ 0x8b, 0x8b, RW, 0x1000065 },		/* UCODE_REV, kvm_amd's */
	/* Left out by design: nested SVM (VM_CR, IGNNE, HSAVE_PA), SEV-ES's GHCB, */
	{ 0xc0010114, 0xc0010117, SKIPPED, 0 }, { 0xc0010130, 0xc0010130, SKIPPED, 0 },
	/* and VIRT_SPEC_CTRL, for KVM's VIRT_SSBD, which kvmini does not offer. */
	{ 0xc001011f, 0xc001011f, SKIPPED, 0 },
	{ 0xc0011021, 0xc0011021, R, 0 },	/* IC_CFG */
	{ 0xc0011029, 0xc0011029, R, 0 },	/* DE_CFG: the guest may not change it */
	{ 0 }
};

static const struct msr_rule kvm_intel[] = {
	{ 0x3a, 0x3a, RW, 0 },			/* FEATURE_CONTROL */
	{ 0x8b, 0x8b, RW, 0x100000000ULL },	/* UCODE_REV, kvm_intel's */
	{ 0x480, 0x491, SKIPPED, 0 },		/* nested VMX: left out by design */
	{ 0xc0010117, 0xc0010117, RW, 0 },	/* VM_HSAVE_PA: 0, writes ignored */
	{ 0 }
};

static const struct msr_rule *find(const struct msr_rule *vendor, uint32_t msr)
{
	const struct msr_rule *t;

	for (t = vendor; t->flags; t++)
		if (msr >= t->first && msr <= t->last)
			return t;
	for (t = kvm_common; t->flags; t++)
		if (msr >= t->first && msr <= t->last)
			return t;
	return NULL;
}

TEST(sweep)
{
	bool amd = host_cpu_is_amd(), log = getenv("MSR_SWEEP_LOG");
	const struct msr_rule *table = amd ? kvm_amd : kvm_intel;
	struct kvmini_vcpu *vcpu;
	struct kvmini_vm *vm = vm_create_guest(guest_sweep, &vcpu);
	unsigned int r, i, n[NR_RANGES][2] = { { 0 } }, bad = 0;
	uint8_t (*ok)[RANGE_LEN];
	uint64_t (*val)[RANGE_LEN];
	struct ucall uc;

	REQUIRE_VM(vm);
	vcpu_set_cpuid_supported(vcpu);
	ASSERT_EQ(UCALL_DONE, vcpu_run_ucall(vcpu, &uc));
	ok = GUEST_VAR(vm, g_ok);
	val = GUEST_VAR(vm, g_val);

	for (r = 0; r < NR_RANGES; r++)
		for (i = 0; i < RANGE_LEN; i++) {
			uint32_t msr = range_base[r] + i;
			const struct msr_rule *t = find(table, msr);
			uint8_t want = t ? t->flags & (R | W) : 0, got = ok[r][i];

			n[r][0] += !!(got & R);
			n[r][1] += !!(got & W);
			if (log && got)
				TH_LOG("%#x %c%c %#lx", msr, got & R ? 'r' : '-',
				       got & W ? 'w' : '-', (unsigned long)val[r][i]);
			if (t && (t->flags & SKIPPED))
				continue;
			if (want != got || (t && (got & R) && !(t->flags & ANY) &&
					    val[r][i] != t->val)) {
				bad++;
				TH_LOG("MSR %#x: %s%s %#lx; KVM: %s%s %#lx", msr,
				       got & R ? "r" : "-", got & W ? "w" : "-",
				       (unsigned long)val[r][i], want & R ? "r" : "-",
				       want & W ? "w" : "-",
				       (unsigned long)(t && !(t->flags & ANY) ? t->val : 0));
			}
		}
	for (r = 0; r < NR_RANGES; r++)
		TH_LOG("%#x-%#x: %u readable, %u writable", range_base[r],
		       range_base[r] + RANGE_LEN - 1, n[r][0], n[r][1]);
	EXPECT_EQ(0U, bad) TH_LOG("MSRs unlike KVM's");
	vm_free(vm);
}

TEST_HARNESS_MAIN
