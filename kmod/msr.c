// SPDX-License-Identifier: GPL-2.0
/*
 * MSRs, for every vendor. kvmini_get_msr/kvmini_set_msr are the way in
 * (GET/SET_MSRS and guest RDMSR/WRMSR): values are checked here, then the
 * backend keeps the MSRs that live in its hardware state (syscall and
 * segment-base MSRs, PAT...), and what it does not know is pure vCPU
 * state kept here: the TSC offset, MTRRs, the machine-check architecture,
 * MISC_ENABLE (Linux reads it early on Intel models), KVM's
 * kvmclock MSRs (which kvmini does not offer: they exist, read 0 and take
 * only 0), and AMD configuration MSRs that KVM answers with 0. Rules as
 * KVM's, so a VMM that saves and restores them (QEMU writes all of them
 * at reset) and a guest that reads them (MTRRs at boot) see what KVM gives.
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
#define KVM_WALL_CLOCK	0x11
#define KVM_SYSTEM_TIME	0x12

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
enum { M_FIXED, M_DEFTYPE, M_VBASE, M_VMASK, M_MCG, M_BANK, M_CTL2, M_KVMCLOCK, M_MISC,
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
	if (msr == KVM_WALL_CLOCK || msr == KVM_SYSTEM_TIME) {
		*kind = M_KVMCLOCK;
		return NULL;
	}
	return NULL;
}

/*
 * AMD MSRs that guests (Linux) read, and KVM answers with 0; of them KVM
 * also lets the guest write the last four, which changes nothing.
 */
static const u32 amd_zero[] = {
	0xc0010010,	/* SYSCFG */
	0xc0010112,	/* TSEG_ADDR */
	0xc0010113,	/* TSEG_MASK */
	0xc0010055,	/* INT_PENDING_MSG */
	0xc0010058,	/* MMIO_CONF_BASE */
	0xc001001f,	/* NB_CFG */
	0xc001102a,	/* BU_CFG2 */
	0xc0011022,	/* DC_CFG */
	0xc001102c,	/* EX_CFG */
};
#define AMD_ZERO_WRITABLE	4	/* the last four */

static int amd_zero_index(u32 msr)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(amd_zero); i++)
		if (amd_zero[i] == msr)
			return i;
	return -1;
}

static int common_get_msr(struct kvmini_vcpu *vcpu, u32 msr, u64 *val, bool host)
{
	u64 mcg_cap = vcpu->msr.mcg_cap;
	int kind = -1;
	u64 *p;

	if (amd_zero_index(msr) >= 0) {
		*val = 0;
		return 0;
	}
	switch (msr) {
	case MSR_IA32_TSC:
		*val = rdtsc() + vcpu->tsc_offset;
		return 0;
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
	if (kind == M_KVMCLOCK || kind == M_CTL2) {
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

	i = amd_zero_index(msr);
	if (i >= 0)
		return i >= (int)ARRAY_SIZE(amd_zero) - AMD_ZERO_WRITABLE ? 0 : -EINVAL;
	if (msr == MSR_IA32_TSC) {
		vcpu->tsc_offset = val - rdtsc();
		kvmini_backend->load_tsc_offset(vcpu);
		return 0;
	}
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
		/* MCi_STATUS: the guest may only clear it. */
		if ((msr & 3) == 1 && val && !host)
			return -EINVAL;
		break;
	case M_KVMCLOCK:
		return val ? -EINVAL : 0;	/* not offered: off is all it takes */
	case M_CHECKED:
		break;
	case M_MISC:
		if (host)
			break;
		/* The guest: BTS/PEBS read-only, EMON writes ignored (as KVM). */
		if ((*p ^ val) & MISC_PMU_RO)
			return -EINVAL;
		val = (val & ~MSR_IA32_MISC_ENABLE_EMON) | (*p & MSR_IA32_MISC_ENABLE_EMON);
		break;
	default:
		return -EINVAL;
	}
	*p = val;
	return 0;
}

/* What KVMINI_GET_MSR_INDEX_LIST reports: the backends' MSRs, MISC_ENABLE. */
const u32 kvmini_msr_list[] = {
	MSR_EFER, MSR_STAR, MSR_LSTAR, MSR_CSTAR, MSR_SYSCALL_MASK,
	MSR_KERNEL_GS_BASE, MSR_FS_BASE, MSR_GS_BASE,
	MSR_IA32_SYSENTER_CS, MSR_IA32_SYSENTER_ESP, MSR_IA32_SYSENTER_EIP,
	MSR_IA32_CR_PAT, MSR_IA32_TSC, MSR_TSC_AUX, MSR_IA32_APICBASE,
	MSR_IA32_MISC_ENABLE,
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
	r = kvmini_backend->get_msr(vcpu, msr, val);
	return r == -ENOENT ? common_get_msr(vcpu, msr, val, host) : r;
}

/* @host: from KVMINI_SET_MSRS, not the guest. */
int kvmini_set_msr(struct kvmini_vcpu *vcpu, u32 msr, u64 val, bool host)
{
	int r;

	if (msr == MSR_EFER)
		return kvmini_set_efer(vcpu, val, host);
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
		kvmini_backend->queue_exception(vcpu, X86_TRAP_MC, false, 0, 0);
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

/*
 * At vCPU creation, as KVM: 32 banks without MCG_CTL_P until the VMM's
 * KVMINI_X86_SETUP_MCE, everything else 0; MISC_ENABLE as after RESET.
 */
void kvmini_msr_create(struct kvmini_vcpu *vcpu)
{
	struct kvmini_msr_state *s = &vcpu->msr;

	memset(s, 0, sizeof(*s));
	s->mcg_cap = KVMINI_MCE_BANKS;
	s->misc_enable = MISC_PMU_RO;
	vcpu->tsc_offset = -rdtsc();	/* the guest's TSC starts at 0 */
}

/* IA32_APIC_BASE: address below 2^48, BSP, enable; x2APIC is not offered. */
/* The APIC base (no in-kernel APIC), the CPUID table following it. */
void kvmini_set_apic_base(struct kvmini_vcpu *vcpu, u64 val)
{
	vcpu->apic_base = val;
	kvmini_cpuid_update_runtime(vcpu);
}

bool kvmini_apic_base_valid(u64 val)
{
	return !(val & ~(0xfffffffff000ULL | MSR_IA32_APICBASE_BSP |
			 MSR_IA32_APICBASE_ENABLE));
}
