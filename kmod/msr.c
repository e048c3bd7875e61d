// SPDX-License-Identifier: GPL-2.0
/*
 * MSRs, for every vendor. kvmini_get_msr/kvmini_set_msr are the way in
 * (GET/SET_MSRS and guest RDMSR/WRMSR): values are checked here, then the
 * backend keeps the MSRs that live in its hardware state (syscall and
 * segment-base MSRs, PAT...), and what it does not know is vCPU state
 * kept here: the TSC offset and TSC_ADJUST, MTRRs, the machine-check
 * architecture, MISC_ENABLE (Linux reads it early on Intel models),
 * the MSRs KVM keeps as plain state or answers with a
 * constant (microcode revision, platform info, CPUID faulting, the PMU's
 * without a guest PMU, model-specific and AMD configuration MSRs), and
 * the few whose rules differ by vendor in KVM (kvm_amd's or kvm_intel's).
 * Rules as KVM 6.1's, so a VMM that saves and restores them (QEMU writes
 * all of them at reset) and a guest that reads them (MTRRs at boot) see
 * what KVM gives; msr_sweep_test compares the guest's view with KVM's.
 * Nothing a guest writes here reaches the host's MSRs.
 */
#include <linux/bitops.h>
#include <linux/kernel.h>
#include <linux/nospec.h>
#include <asm/cpufeature.h>
#include <asm/mce.h>
#include <asm/msr-index.h>
#include <asm/trapnr.h>

#include "kvmini.h"

#define MTRR_CAP	(0x500ULL | 0x100 | KVMINI_NR_VAR_MTRRS)	/* WC, FIX, VCNT */
/* What KVMINI_X86_SETUP_MCE may turn on: MCG_CTL, software error recovery. */
#define MCG_CAP_SUPPORTED	(MCG_CTL_P | MCG_SER_P)

static const u32 mtrr_fixed[KVMINI_NR_FIXED_MTRRS] = {
	MSR_MTRRfix64K_00000, MSR_MTRRfix16K_80000, MSR_MTRRfix16K_A0000,
	MSR_MTRRfix4K_C0000, MSR_MTRRfix4K_C8000, MSR_MTRRfix4K_D0000,
	MSR_MTRRfix4K_D8000, MSR_MTRRfix4K_E0000, MSR_MTRRfix4K_E8000,
	MSR_MTRRfix4K_F0000, MSR_MTRRfix4K_F8000,
};

/* Memory types an MTRR may hold: UC WC WT WP WB. */
static bool mtrr_type_ok(u64 t)
{
	return t < 8 && t != 2 && t != 3 && t != 7;
}

/* Where the MSR lives in @vcpu, or NULL; *kind says how it is checked. */
enum { M_FIXED, M_DEFTYPE, M_VBASE, M_VMASK, M_MCG, M_BANK, M_CTL2, M_MISC,
       M_CHECKED };	/* M_CHECKED: check_msr() did it */

/* MISC_ENABLE bits the guest cannot change: no BTS, no PEBS (as KVM). */
#define MISC_PMU_RO	(MSR_IA32_MISC_ENABLE_BTS_UNAVAIL | MSR_IA32_MISC_ENABLE_PEBS_UNAVAIL)

static u64 *slot(struct kvmini_vcpu *vcpu, u32 msr, int *kind)
{
	struct kvmini_msr_state *s = &vcpu->msr;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(mtrr_fixed); i++)
		if (msr == mtrr_fixed[i]) {
			*kind = M_FIXED;
			return &s->mtrr_fixed[i];
		}
	if (msr == MSR_MTRRdefType) {
		*kind = M_DEFTYPE;
		return &s->mtrr_deftype;
	}
	if (msr >= 0x200 && msr < 0x200 + 2 * KVMINI_NR_VAR_MTRRS) {
		*kind = (msr & 1) ? M_VMASK : M_VBASE;
		return &s->mtrr_var[msr - 0x200];
	}
	if (msr == MSR_IA32_MCG_STATUS || msr == MSR_IA32_MCG_CTL) {
		*kind = M_MCG;
		return msr == MSR_IA32_MCG_STATUS ? &s->mcg_status : &s->mcg_ctl;
	}
	if (msr >= MSR_IA32_MC0_CTL && msr < MSR_IA32_MCx_CTL(s->mcg_cap & 0xff)) {
		*kind = M_BANK;
		return &s->mce_banks[msr - MSR_IA32_MC0_CTL];
	}
	if (msr >= MSR_IA32_MC0_CTL2 && msr < MSR_IA32_MCx_CTL2(s->mcg_cap & 0xff)) {
		*kind = M_CTL2;		/* no CMCI: always 0 */
		return NULL;
	}
	if (msr == MSR_TSC_AUX) {
		*kind = M_CHECKED;
		return &vcpu->tsc_aux;
	}
	if (msr == MSR_IA32_MISC_ENABLE) {
		*kind = M_MISC;
		return &s->misc_enable;
	}
	return NULL;
}

/*
 * MSRs KVM answers with a constant on both vendors, whatever the guest's
 * CPUID: model-specific ones guests read (Linux, Windows), the power
 * MSRs (RAPL energy counters 0: no host data leaks), and the PMU's
 * counters and event selects as KVM has them without a guest PMU
 * (kvmini offers none): they read 0 and take any write, which does
 * nothing. @wr: what a write may be.
 */
enum { WR_NONE, WR_ANY, WR_ZERO, WR_ONLY };	/* WR_ONLY: write-only, reads #GP */
static const struct { u32 msr; u8 wr; u64 val; } fixed_msrs[] = {
	{ MSR_IA32_PLATFORM_ID, WR_NONE, 0 },
	{ MSR_IA32_EBL_CR_POWERON, WR_NONE, 0 },
	{ MSR_EBC_FREQUENCY_ID, WR_NONE, 1ULL << 24 },	/* core/bus clock ratio 1 */
	{ MSR_IA32_UCODE_WRITE, WR_ONLY, 0 },
	{ MSR_P6_PERFCTR0, WR_ANY, 0 }, { MSR_P6_PERFCTR1, WR_ANY, 0 },
	{ MSR_FSB_FREQ, WR_NONE, 3 },
	{ MSR_IA32_BBL_CR_CTL3, WR_ANY, 0xbe702111 },	/* a plausible L2 setup */
	{ MSR_P6_EVNTSEL0, WR_ANY, 0 }, { MSR_P6_EVNTSEL1, WR_ANY, 0 },
	{ MSR_IA32_PERF_STATUS, WR_NONE, 1000 | 4ULL << 40 },
	{ MSR_IA32_PERF_CTL, WR_NONE, 0 },
	{ MSR_IA32_LASTBRANCHFROMIP, WR_NONE, 0 }, { MSR_IA32_LASTBRANCHTOIP, WR_NONE, 0 },
	{ MSR_IA32_LASTINTFROMIP, WR_NONE, 0 }, { MSR_IA32_LASTINTTOIP, WR_NONE, 0 },
	{ MSR_RAPL_POWER_UNIT, WR_NONE, 0 }, { MSR_PKG_ENERGY_STATUS, WR_NONE, 0 },
	{ MSR_DRAM_ENERGY_STATUS, WR_NONE, 0 }, { MSR_PP0_ENERGY_STATUS, WR_NONE, 0 },
	{ MSR_PP1_ENERGY_STATUS, WR_NONE, 0 },
	{ MSR_IA32_TSC_DEADLINE, WR_ANY, 0 },		/* no in-kernel LAPIC timer */
	{ MSR_K7_EVNTSEL0, WR_ANY, 0 }, { MSR_K7_EVNTSEL1, WR_ANY, 0 },
	{ MSR_K7_EVNTSEL2, WR_ANY, 0 }, { MSR_K7_EVNTSEL3, WR_ANY, 0 },
	{ MSR_K7_PERFCTR0, WR_ANY, 0 }, { MSR_K7_PERFCTR1, WR_ANY, 0 },
	{ MSR_K7_PERFCTR2, WR_ANY, 0 }, { MSR_K7_PERFCTR3, WR_ANY, 0 },
	{ MSR_AMD64_SYSCFG, WR_NONE, 0 },
	{ MSR_K7_CLK_CTL, WR_ANY, 0x20000000 },		/* K7's ramp-up count */
	{ MSR_AMD64_NB_CFG, WR_ANY, 0 },
	{ MSR_AMD64_PATCH_LOADER, WR_ONLY, 0 },
	{ MSR_K8_INT_PENDING_MSG, WR_NONE, 0 },
	{ MSR_FAM10H_MMIO_CONF_BASE, WR_ZERO, 0 },
	{ MSR_K8_TSEG_ADDR, WR_NONE, 0 }, { MSR_K8_TSEG_MASK, WR_NONE, 0 },
	{ MSR_AMD64_DC_CFG, WR_ANY, 0 }, { MSR_AMD64_TW_CFG, WR_ANY, 0 },
	{ MSR_AMD64_BU_CFG2, WR_ANY, 0 }, { MSR_F15H_EX_CFG, WR_ANY, 0 },
};

static int fixed_index(u32 msr)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(fixed_msrs); i++)
		if (fixed_msrs[i].msr == msr)
			return i;
	return -1;
}

/* KVM's vendor-specific rules: kvm_amd's (svm.c) or kvm_intel's (vmx.c). */
static bool amd(void)
{
	return kvmini_backend == &kvmini_svm_backend;
}

/*
 * MSRs that are vCPU state with KVM's rules, and the vendor-specific ones
 * whose value is fixed. 0, -EINVAL (#GP), or -ENOENT: not one of them.
 */
static int state_get_msr(struct kvmini_vcpu *vcpu, u32 msr, u64 *val, bool host)
{
	struct kvmini_msr_state *s = &vcpu->msr;
	int family, model;

	switch (msr) {
	case MSR_IA32_TSC:
		*val = rdtsc() + vcpu->tsc_offset;
		return 0;
	case MSR_IA32_TSC_ADJUST:
		*val = s->tsc_adjust;
		return 0;
	case MSR_IA32_UCODE_REV:
		*val = s->ucode_rev;
		return 0;
	case MSR_IA32_ARCH_CAPABILITIES:
		if (!host && !kvmini_guest_has(vcpu, 7, 3, 29))
			return -EINVAL;
		*val = s->arch_caps;
		return 0;
	case MSR_IA32_SMBASE:		/* no SMM: only for the VMM to save */
		if (!host)
			return -EINVAL;
		*val = s->smbase;
		return 0;
	case MSR_SMI_COUNT:
		*val = s->smi_count;
		return 0;
	case MSR_PLATFORM_INFO:	/* the VMM may hide it (KVMINI_CAP_MSR_PLATFORM_INFO) */
		if (!host && READ_ONCE(vcpu->vm->no_platform_info))
			return -EINVAL;
		*val = s->platform_info;
		return 0;
	case MSR_MISC_FEATURES_ENABLES:
		*val = s->misc_features;
		return 0;
	case MSR_IA32_POWER_CTL:
		*val = s->power_ctl;
		return 0;
	case MSR_K7_HWCR:
		*val = s->hwcr;
		return 0;
	case MSR_IA32_DEBUGCTLMSR:	/* no LBR virtualization: nothing sticks */
		*val = 0;
		return 0;
	}
	if (amd()) {
		switch (msr) {
		case MSR_F15H_IC_CFG:	/* as KVM: by the guest's family and model */
			family = kvmini_guest_family(vcpu, &model);
			if (family < 0)
				return -EINVAL;
			*val = family == 0x15 && model >= 0x2 && model < 0x20 ? 0x1e : 0;
			return 0;
		case MSR_AMD64_DE_CFG:
			*val = s->de_cfg;
			return 0;
		}
	} else {
		switch (msr) {
		case MSR_IA32_FEAT_CTL:
			*val = s->feat_ctl;
			return 0;
		case MSR_VM_HSAVE_PA:	/* an SVM MSR: 0 on Intel, as KVM */
			*val = 0;
			return 0;
		}
	}
	return -ENOENT;
}

/* What the host's DE_CFG may say to the guest (KVM's feature MSR). */
static u64 de_cfg_supported(void)
{
	return boot_cpu_has(X86_FEATURE_LFENCE_RDTSC) ? MSR_AMD64_DE_CFG_LFENCE_SERIALIZE : 0;
}

static int state_set_msr(struct kvmini_vcpu *vcpu, u32 msr, u64 val, bool host)
{
	struct kvmini_msr_state *s = &vcpu->msr;
	u64 offset;

	switch (msr) {
	case MSR_IA32_TSC:
		/* The guest's write moves TSC_ADJUST with the offset; the VMM's not. */
		offset = val - rdtsc();
		if (!host)
			s->tsc_adjust += offset - vcpu->tsc_offset;
		kvmini_set_tsc_offset(vcpu, offset);
		return 0;
	case MSR_IA32_TSC_ADJUST:
		/* Without the CPUID bit writes are ignored; the VMM's only set it. */
		if (!kvmini_guest_has(vcpu, 7, 1, 1))
			return 0;
		if (!host)
			kvmini_set_tsc_offset(vcpu, vcpu->tsc_offset + val - s->tsc_adjust);
		s->tsc_adjust = val;
		return 0;
	case MSR_IA32_UCODE_REV:	/* the guest's writes do nothing */
		if (host)
			s->ucode_rev = val;
		return 0;
	case MSR_IA32_ARCH_CAPABILITIES:
		if (!host)
			return -EINVAL;
		s->arch_caps = val;
		return 0;
	case MSR_IA32_SMBASE:
		if (!host)
			return -EINVAL;
		s->smbase = val;
		return 0;
	case MSR_SMI_COUNT:
		if (!host)
			return -EINVAL;
		s->smi_count = val;
		return 0;
	case MSR_PLATFORM_INFO:
		/* The VMM's; CPUID faulting cannot go while it is on. */
		if (!host || (!(val & MSR_PLATFORM_INFO_CPUID_FAULT) &&
			      (s->misc_features & MSR_MISC_FEATURES_ENABLES_CPUID_FAULT)))
			return -EINVAL;
		s->platform_info = val;
		return 0;
	case MSR_MISC_FEATURES_ENABLES:
		if ((val & ~MSR_MISC_FEATURES_ENABLES_CPUID_FAULT) ||
		    ((val & MSR_MISC_FEATURES_ENABLES_CPUID_FAULT) &&
		     !(s->platform_info & MSR_PLATFORM_INFO_CPUID_FAULT)))
			return -EINVAL;
		s->misc_features = val;
		return 0;
	case MSR_IA32_POWER_CTL:
		s->power_ctl = val;
		return 0;
	case MSR_K7_HWCR:
		/*
		 * As KVM: flush filter, IGNNE emulation and TLB cache disable
		 * ignored; of the rest only McStatusWrEn (bit 18) may be set,
		 * and a write of 0 leaves it as it was.
		 */
		val &= ~(BIT_ULL(3) | BIT_ULL(6) | BIT_ULL(8));
		if (val == BIT_ULL(18))
			s->hwcr = val;
		else if (val)
			return -EINVAL;
		return 0;
	case MSR_IA32_DEBUGCTLMSR:
		/*
		 * AMD without LBR virtualization: any value, ignored (KVM
		 * without lbrv). Intel: BTF and LBR dropped, any other bit
		 * needs a feature kvmini does not offer.
		 */
		if (!amd() && (val & ~(DEBUGCTLMSR_BTF | DEBUGCTLMSR_LBR)))
			return -EINVAL;
		return 0;
	}
	if (amd()) {
		if (msr == MSR_AMD64_DE_CFG) {
			/* The host's feature bits only; the guest may not change them. */
			if ((val & ~de_cfg_supported()) || (!host && val != de_cfg_supported()))
				return -EINVAL;
			s->de_cfg = val;
			return 0;
		}
	} else {
		switch (msr) {
		case MSR_IA32_FEAT_CTL:
			/* Only the lock bit (no VMX, SGX or LMCE for the guest). */
			if ((val & ~FEAT_CTL_LOCKED) || (!host && (s->feat_ctl & FEAT_CTL_LOCKED)))
				return -EINVAL;
			s->feat_ctl = val;
			return 0;
		case MSR_VM_HSAVE_PA:
			return 0;
		}
	}
	return -ENOENT;
}

static int common_get_msr(struct kvmini_vcpu *vcpu, u32 msr, u64 *val, bool host)
{
	u64 mcg_cap = vcpu->msr.mcg_cap;
	int kind = -1, i = fixed_index(msr);
	u64 *p;

	if (i >= 0) {
		if (fixed_msrs[i].wr == WR_ONLY)
			return -EINVAL;
		*val = fixed_msrs[i].val;
		return 0;
	}
	i = state_get_msr(vcpu, msr, val, host);
	if (i == -ENOENT)
		i = kvmini_clock_msr(vcpu, msr, val, false, host);
	if (i == -ENOENT)
		i = kvmini_steal_msr(vcpu, msr, val, false);
	if (i != -ENOENT)
		return i;
	switch (msr) {
	case MSR_MTRRcap:
		*val = MTRR_CAP;
		return 0;
	case MSR_IA32_P5_MC_ADDR:	/* read as 0, not writable (as KVM) */
	case MSR_IA32_P5_MC_TYPE:
		*val = 0;
		return 0;
	case MSR_IA32_MCG_CAP:
		*val = mcg_cap;
		return 0;
	}
	p = slot(vcpu, msr, &kind);
	/* As KVM: MCG_CTL exists for the guest with MCG_CTL_P, CTL2 with CMCI. */
	if ((kind == M_MCG && msr == MSR_IA32_MCG_CTL && !(mcg_cap & MCG_CTL_P) && !host) ||
	    (kind == M_CTL2 && !host))
		return -EINVAL;
	if (kind == M_CTL2) {
		*val = 0;
		return 0;
	}
	if (!p)
		return -EINVAL;
	*val = *p;
	return 0;
}

static int common_set_msr(struct kvmini_vcpu *vcpu, u32 msr, u64 val, bool host)
{
	u64 phys_rsvd = ~GENMASK_ULL(51, 0);	/* no MAXPHYADDR below 52 checked */
	u64 mcg_cap = vcpu->msr.mcg_cap;
	int kind = -1, i;
	u64 *p;

	i = fixed_index(msr);
	if (i >= 0)
		return fixed_msrs[i].wr == WR_NONE ||
		       (fixed_msrs[i].wr == WR_ZERO && val) ? -EINVAL : 0;
	i = state_set_msr(vcpu, msr, val, host);
	if (i == -ENOENT)
		i = kvmini_clock_msr(vcpu, msr, &val, true, host);
	if (i == -ENOENT)
		i = kvmini_steal_msr(vcpu, msr, &val, true);
	if (i != -ENOENT)
		return i;
	if (msr == MSR_MTRRcap)		/* read-only; MCG_CAP only by SETUP_MCE */
		return (host && val == MTRR_CAP) ? 0 : -EINVAL;
	p = slot(vcpu, msr, &kind);
	switch (kind) {
	case M_FIXED:
		for (i = 0; i < 8; i++)
			if (!mtrr_type_ok((val >> (i * 8)) & 0xff))
				return -EINVAL;
		break;
	case M_DEFTYPE:	/* type, FE (bit 10), E (bit 11) */
		if ((val & ~0xcffULL) || !mtrr_type_ok(val & 0xff))
			return -EINVAL;
		break;
	case M_VBASE:
		if ((val & phys_rsvd) || (val & 0xf00) || !mtrr_type_ok(val & 0xff))
			return -EINVAL;
		break;
	case M_VMASK:	/* V is bit 11 */
		if ((val & phys_rsvd) || (val & 0x7ff))
			return -EINVAL;
		break;
	case M_MCG:
		/* MCG_CTL: 0 or all ones; without MCG_CTL_P only the VMM's 0. */
		if (msr == MSR_IA32_MCG_CTL &&
		    ((!(mcg_cap & MCG_CTL_P) && (val || !host)) || (val && val != ~0ULL)))
			return -EINVAL;
		break;
	case M_CTL2:
		return host && !val ? 0 : -EINVAL;	/* no CMCI */
	case M_BANK:
		/*
		 * MCi_CTL: 0 or all ones, but for bit 10 (Linux clears it in
		 * MC4_CTL on AMD K8) and bit 0 (UnixWare in MC1_CTL), as KVM.
		 */
		if ((msr & 3) == 0 && val && (val | BIT_ULL(10) | 1) != ~0ULL)
			return -EINVAL;
		/*
		 * MCi_STATUS: the guest may only clear it, unless its CPUID
		 * is AMD's and HWCR.McStatusWrEn is set (as KVM).
		 */
		if ((msr & 3) == 1 && val && !host &&
		    !(kvmini_guest_is_amd(vcpu) && (vcpu->msr.hwcr & BIT_ULL(18))))
			return -EINVAL;
		break;
	case M_CHECKED:
		break;
	case M_MISC:
		if (!host) {
			/* The guest: BTS/PEBS read-only, EMON writes ignored (as KVM). */
			if ((*p ^ val) & MISC_PMU_RO)
				return -EINVAL;
			val = (val & ~MSR_IA32_MISC_ENABLE_EMON) |
			      (*p & MSR_IA32_MISC_ENABLE_EMON);
		}
		/*
		 * With KVM's MISC_ENABLE_NO_MWAIT quirk off, ENABLE_MWAIT is
		 * CPUID's MWAIT bit (only for a guest with SSE3, as KVM).
		 */
		if (!(READ_ONCE(vcpu->vm->disabled_quirks) & KVMINI_X86_QUIRK_MISC_ENABLE_NO_MWAIT) ||
		    !((*p ^ val) & MSR_IA32_MISC_ENABLE_MWAIT))
			break;
		if (!kvmini_guest_has(vcpu, 1, 2, 0))
			return -EINVAL;
		*p = val;
		kvmini_cpuid_update_runtime(vcpu);
		return 0;
	default:
		return -EINVAL;
	}
	*p = val;
	return 0;
}

/*
 * What KVMINI_GET_MSR_INDEX_LIST reports: the backends' MSRs, and of the
 * state kept here what KVM lists too (so QEMU saves and restores it).
 */
const u32 kvmini_msr_list[] = {
	MSR_EFER, MSR_STAR, MSR_LSTAR, MSR_CSTAR, MSR_SYSCALL_MASK,
	MSR_KERNEL_GS_BASE, MSR_FS_BASE, MSR_GS_BASE,
	MSR_IA32_SYSENTER_CS, MSR_IA32_SYSENTER_ESP, MSR_IA32_SYSENTER_EIP,
	MSR_IA32_CR_PAT, MSR_IA32_TSC, MSR_TSC_AUX, MSR_IA32_APICBASE,
	MSR_IA32_MISC_ENABLE, MSR_IA32_TSC_ADJUST, MSR_IA32_TSC_DEADLINE,
	MSR_IA32_ARCH_CAPABILITIES, MSR_IA32_SMBASE, MSR_SMI_COUNT,
	MSR_PLATFORM_INFO, MSR_MISC_FEATURES_ENABLES, MSR_IA32_POWER_CTL,
	MSR_IA32_UCODE_REV, MSR_K7_HWCR,
	KVMINI_MSR_KVM_SYSTEM_TIME, KVMINI_MSR_KVM_WALL_CLOCK,
	KVMINI_MSR_KVM_SYSTEM_TIME_NEW, KVMINI_MSR_KVM_WALL_CLOCK_NEW,
	KVMINI_MSR_KVM_STEAL_TIME,
};
const unsigned int kvmini_nr_msrs = ARRAY_SIZE(kvmini_msr_list);

/* PAT: eight memory types, each UC WC WT WP WB or UC-. */
static bool pat_valid(u64 pat)
{
	int i;

	for (i = 0; i < 8; i++) {
		u8 t = pat >> (i * 8);

		if (t > 7 || t == 2 || t == 3)
			return false;
	}
	return true;
}

/* The value rules of the backends' MSRs (KVM's): 0, *val as to store. */
static int check_msr(struct kvmini_vcpu *vcpu, u32 msr, u64 *val, bool host)
{
	u64 v = *val;

	switch (msr) {
	case MSR_IA32_CR_PAT:
		return pat_valid(v) ? 0 : -EINVAL;
	case MSR_TSC_AUX:
		return v >> 32 ? -EINVAL : 0;
	case MSR_IA32_APICBASE:
		return kvmini_apic_base_valid(v) ? 0 : -EINVAL;
	case MSR_IA32_SYSENTER_CS:
		*val = v & 0xffff;
		return 0;
	case MSR_FS_BASE: case MSR_GS_BASE: case MSR_KERNEL_GS_BASE:
	case MSR_LSTAR: case MSR_CSTAR:		/* canonical: 48-bit, sign-extended */
		return (u64)sign_extend64(v, 47) == v ? 0 : -EINVAL;
	case MSR_IA32_SYSENTER_ESP: case MSR_IA32_SYSENTER_EIP:
		/* AMD ignores the high half; made canonical, VMX entry takes it. */
		*val = sign_extend64(v, 47);
		return 0;
	}
	return 0;
}

/* 0, or -EINVAL for an MSR kvmini does not have or a value it does not take. */
int kvmini_get_msr(struct kvmini_vcpu *vcpu, u32 msr, u64 *val, bool host)
{
	int r;

	if (msr == MSR_EFER || msr == MSR_IA32_APICBASE) {
		*val = msr == MSR_EFER ? vcpu->efer : vcpu->apic_base;
		return 0;
	}
	r = kvmini_lapic_msr(vcpu, msr, val, false);
	if (r != -ENOENT)
		return r;
	r = kvmini_backend->get_msr(vcpu, msr, val);
	return r == -ENOENT ? common_get_msr(vcpu, msr, val, host) : r;
}

/* @host: from KVMINI_SET_MSRS, not the guest. */
int kvmini_set_msr(struct kvmini_vcpu *vcpu, u32 msr, u64 val, bool host)
{
	int r;

	if (msr == MSR_EFER)
		return kvmini_set_efer(vcpu, val, host);
	if (vcpu->apic && msr == MSR_IA32_APICBASE)
		return kvmini_lapic_set_base(vcpu, val, host);
	r = kvmini_lapic_msr(vcpu, msr, &val, true);
	if (r != -ENOENT)
		return r;
	r = check_msr(vcpu, msr, &val, host);
	if (!r && msr == MSR_IA32_APICBASE) {
		kvmini_set_apic_base(vcpu, val);
		return 0;
	}
	if (!r)
		r = kvmini_backend->set_msr(vcpu, msr, val);
	return r == -ENOENT ? common_set_msr(vcpu, msr, val, host) : r;
}

/* --- machine checks: KVMINI_X86_SETUP_MCE, KVMINI_X86_SET_MCE --- */

u64 kvmini_mce_cap_supported(void)
{
	return MCG_CAP_SUPPORTED;
}

/*
 * The machine-check capabilities the VMM gives the vCPU (KVM's rules):
 * 1 to 32 banks, only supported features; MCG_CTL and every MCi_CTL all
 * ones then.
 */
long kvmini_setup_mce(struct kvmini_vcpu *vcpu, u64 mcg_cap)
{
	struct kvmini_msr_state *s = &vcpu->msr;
	unsigned int banks = mcg_cap & 0xff, i;

	if (!banks || banks > KVMINI_MCE_BANKS ||
	    (mcg_cap & ~(MCG_CAP_SUPPORTED | 0xff | 0xff0000)))
		return -EINVAL;
	s->mcg_cap = mcg_cap;
	if (mcg_cap & MCG_CTL_P)
		s->mcg_ctl = ~0ULL;
	for (i = 0; i < banks; i++)
		s->mce_banks[i * 4] = ~0ULL;
	return 0;
}

/*
 * A machine check the VMM reports into the guest (KVM's rules): recorded
 * in the bank; an uncorrected one, where reporting is on, is delivered as
 * #MC, or shuts the guest down if one is in progress or CR4.MCE is off.
 */
long kvmini_set_mce(struct kvmini_vcpu *vcpu, const struct kvmini_x86_mce *mce)
{
	struct kvmini_msr_state *s = &vcpu->msr;
	unsigned int nbanks = s->mcg_cap & 0xff;
	u64 *bank, status = mce->status;
	bool uc = status & MCI_STATUS_UC;

	if (mce->bank >= nbanks || !(status & MCI_STATUS_VAL))
		return -EINVAL;
	bank = &s->mce_banks[array_index_nospec(mce->bank, nbanks) * 4];
	/* Uncorrected, no action required: logged, no #MC (CMCI is not offered). */
	if (!mce->mcg_status && uc &&
	    !(status & (MCI_STATUS_PCC | MCI_STATUS_S | MCI_STATUS_AR))) {
		bank[1] = status;
		bank[2] = mce->addr;
		bank[3] = mce->misc;
		s->mcg_status = mce->mcg_status;
		return 0;
	}
	if (uc) {
		/* Reporting of uncorrected errors is off: nothing happens. */
		if (((s->mcg_cap & MCG_CTL_P) && s->mcg_ctl != ~0ULL) || bank[0] != ~0ULL)
			return 0;
		if ((s->mcg_status & MCG_STATUS_MCIP) || !(vcpu->cr4 & X86_CR4_MCE)) {
			set_bit(KVMINI_REQ_TRIPLE_FAULT, &vcpu->requests);
			return 0;
		}
		if (bank[1] & MCI_STATUS_VAL)
			status |= MCI_STATUS_OVER;
		bank[2] = mce->addr;
		bank[3] = mce->misc;
		s->mcg_status = mce->mcg_status;
		bank[1] = status;
		kvmini_queue_exception(vcpu, X86_TRAP_MC, false, 0, 0);
	} else if (!(bank[1] & MCI_STATUS_VAL) || !(bank[1] & MCI_STATUS_UC)) {
		if (bank[1] & MCI_STATUS_VAL)
			status |= MCI_STATUS_OVER;
		bank[2] = mce->addr;
		bank[3] = mce->misc;
		bank[1] = status;
	} else {
		bank[1] |= MCI_STATUS_OVER;	/* an uncorrected one is there */
	}
	return 0;
}

/* The host's ARCH_CAPABILITIES bits KVM passes on (TSX_CTRL aside: below). */
#define ARCH_CAPS_PASSED (ARCH_CAP_RDCL_NO | ARCH_CAP_IBRS_ALL | ARCH_CAP_RSBA | \
	ARCH_CAP_SKIP_VMENTRY_L1DFLUSH | ARCH_CAP_SSB_NO | ARCH_CAP_MDS_NO | \
	ARCH_CAP_PSCHANGE_MC_NO | ARCH_CAP_TAA_NO | ARCH_CAP_SBDR_SSDP_NO | \
	ARCH_CAP_FBSDP_NO | ARCH_CAP_PSDP_NO | ARCH_CAP_FB_CLEAR | ARCH_CAP_RRSBA | \
	ARCH_CAP_PBRSB_NO | ARCH_CAP_GDS_NO | ARCH_CAP_RFDS_NO | ARCH_CAP_RFDS_CLEAR | \
	ARCH_CAP_BHI_NO | ARCH_CAP_ITS_NO)

/*
 * ARCH_CAPABILITIES as KVM computes it for the host it runs on: the host's
 * bits above, plus a "not affected" bit for each bug the host kernel found
 * absent. Unlike KVM, never TSX_CTRL_MSR: kvmini has no MSR 0x122.
 */
static u64 arch_capabilities(void)
{
	u64 caps = 0;

	if (boot_cpu_has(X86_FEATURE_ARCH_CAPABILITIES)) {
		rdmsrl(MSR_IA32_ARCH_CAPABILITIES, caps);
		caps &= ARCH_CAPS_PASSED;
	}
	caps |= ARCH_CAP_PSCHANGE_MC_NO;	/* guests get no huge pages to exploit */
	/* The L1D is flushed at VM entry wherever the host mitigates L1TF (vmx.c). */
	if (!boot_cpu_has_bug(X86_BUG_L1TF) || l1tf_mitigation != L1TF_MITIGATION_OFF)
		caps |= ARCH_CAP_SKIP_VMENTRY_L1DFLUSH;
	if (!boot_cpu_has_bug(X86_BUG_CPU_MELTDOWN))
		caps |= ARCH_CAP_RDCL_NO;
	if (!boot_cpu_has_bug(X86_BUG_SPEC_STORE_BYPASS))
		caps |= ARCH_CAP_SSB_NO;
	if (!boot_cpu_has_bug(X86_BUG_MDS))
		caps |= ARCH_CAP_MDS_NO;
	if (!boot_cpu_has_bug(X86_BUG_RFDS))
		caps |= ARCH_CAP_RFDS_NO;
	if (!boot_cpu_has_bug(X86_BUG_ITS))
		caps |= ARCH_CAP_ITS_NO;
	if (!boot_cpu_has(X86_FEATURE_RTM))
		caps &= ~ARCH_CAP_TAA_NO;	/* no TSX for the guest: nothing to say */
	else if (!boot_cpu_has_bug(X86_BUG_TAA))
		caps |= ARCH_CAP_TAA_NO;
	if (!boot_cpu_has_bug(X86_BUG_GDS) || gds_ucode_mitigated())
		caps |= ARCH_CAP_GDS_NO;
	return caps;
}

/*
 * The feature MSRs (KVMINI_GET_MSR_FEATURE_INDEX_LIST, and KVMINI_GET_MSRS
 * on the device): what a VMM may give its vCPUs, as KVM's without nested
 * virtualization and without a PMU (so PERF_CAPABILITIES is 0): the
 * host's microcode revision, ARCH_CAPABILITIES as the guest gets it, and
 * on AMD, DE_CFG's LFENCE-serializing bit.
 */
const u32 kvmini_feature_msrs[] = {
	MSR_AMD64_DE_CFG, MSR_IA32_UCODE_REV, MSR_IA32_ARCH_CAPABILITIES,
	MSR_IA32_PERF_CAPABILITIES,
};
const unsigned int kvmini_nr_feature_msrs = ARRAY_SIZE(kvmini_feature_msrs);

/* A feature MSR's value: 0, or -EINVAL if this host has no such one. */
int kvmini_get_feature_msr(u32 msr, u64 *val)
{
	switch (msr) {
	case MSR_AMD64_DE_CFG:
		if (!amd())
			return -EINVAL;
		*val = de_cfg_supported();
		return 0;
	case MSR_IA32_UCODE_REV:
		*val = 0;
		rdmsrl_safe(MSR_IA32_UCODE_REV, val);
		return 0;
	case MSR_IA32_ARCH_CAPABILITIES:
		*val = arch_capabilities();
		return 0;
	case MSR_IA32_PERF_CAPABILITIES:
		*val = 0;
		return 0;
	}
	return -EINVAL;
}

/*
 * At vCPU creation (RESET), as KVM: 32 banks without MCG_CTL_P until the
 * VMM's KVMINI_X86_SETUP_MCE; MISC_ENABLE as after RESET; the microcode
 * revision KVM's vendor module reports; CPUID faulting offered (not on);
 * SMBASE where SMM would have it; the guest's TSC starting at 0.
 */
void kvmini_msr_create(struct kvmini_vcpu *vcpu)
{
	struct kvmini_msr_state *s = &vcpu->msr;

	memset(s, 0, sizeof(*s));
	s->mcg_cap = KVMINI_MCE_BANKS;
	s->misc_enable = MISC_PMU_RO;
	s->ucode_rev = amd() ? 0x01000065 : 0x100000000ULL;
	s->arch_caps = arch_capabilities();
	s->platform_info = MSR_PLATFORM_INFO_CPUID_FAULT;
	s->smbase = 0x30000;
	vcpu->tsc_offset = -rdtsc();
}

void kvmini_set_tsc_offset(struct kvmini_vcpu *vcpu, u64 offset)
{
	vcpu->tsc_offset = offset;
	kvmini_backend->load_tsc_offset(vcpu);
	set_bit(KVMINI_REQ_CLOCK_UPDATE, &vcpu->requests);	/* its tsc_timestamp */
}

/* The APIC base (no in-kernel APIC), the CPUID table following it. */
void kvmini_set_apic_base(struct kvmini_vcpu *vcpu, u64 val)
{
	vcpu->apic_base = val;
	kvmini_cpuid_update_runtime(vcpu);
}

/* IA32_APIC_BASE: address below 2^48, BSP, enable; x2APIC is not offered. */
bool kvmini_apic_base_valid(u64 val)
{
	return !(val & ~(0xfffffffff000ULL | MSR_IA32_APICBASE_BSP |
			 MSR_IA32_APICBASE_ENABLE));
}
