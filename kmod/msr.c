// SPDX-License-Identifier: GPL-2.0
/*
 * MSRs, for every vendor. kvmini_get_msr/kvmini_set_msr are the way in
 * (GET/SET_MSRS and guest RDMSR/WRMSR): values are checked here, then the
 * backend keeps the MSRs that live in its hardware state (EFER, syscall
 * and segment-base MSRs, PAT, TSC...), and what it does not know is pure
 * vCPU state kept here: MTRRs, the machine-check architecture,
 * MISC_ENABLE (Linux reads it early on Intel models), KVM's
 * kvmclock MSRs (which kvmini does not offer: they exist, read 0 and take
 * only 0), and AMD configuration MSRs that KVM answers with 0. Rules as
 * KVM's, so a VMM that saves and restores them (QEMU writes all of them
 * at reset) and a guest that reads them (MTRRs at boot) see what KVM gives.
 */
#include <linux/bitops.h>
#include <linux/kernel.h>
#include <asm/cpufeature.h>
#include <asm/msr-index.h>

#include "kvmini.h"

#define MTRR_CAP	(0x500ULL | 0x100 | KVMINI_NR_VAR_MTRRS)	/* WC, FIX, VCNT */
#define MCG_CTL_P	BIT_ULL(8)
#define MCG_CAP		(MCG_CTL_P | KVMINI_MCE_BANKS)
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
enum { M_FIXED, M_DEFTYPE, M_VBASE, M_VMASK, M_MCG, M_BANK, M_KVMCLOCK, M_MISC,
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
	if (msr >= MSR_IA32_MC0_CTL && msr < MSR_IA32_MCx_CTL(KVMINI_MCE_BANKS)) {
		*kind = M_BANK;
		return &s->mce_banks[msr - MSR_IA32_MC0_CTL];
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
	int kind = -1;
	u64 *p;

	if (amd_zero_index(msr) >= 0) {
		*val = 0;
		return 0;
	}
	switch (msr) {
	case MSR_MTRRcap:
		*val = MTRR_CAP;
		return 0;
	case MSR_IA32_MCG_CAP:
		*val = MCG_CAP;
		return 0;
	}
	p = slot(vcpu, msr, &kind);
	if (kind == M_KVMCLOCK) {
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
	int kind = -1, i;
	u64 *p;

	i = amd_zero_index(msr);
	if (i >= 0)
		return i >= (int)ARRAY_SIZE(amd_zero) - AMD_ZERO_WRITABLE ? 0 : -EINVAL;
	if (msr == MSR_MTRRcap || msr == MSR_IA32_MCG_CAP)	/* read-only */
		return (host && val == (msr == MSR_MTRRcap ? MTRR_CAP : MCG_CAP)) ? 0 : -EINVAL;
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
		if (msr == MSR_IA32_MCG_CTL && val && val != ~0ULL)
			return -EINVAL;
		break;
	case M_BANK:
		/* MCi_CTL: 0 or all ones (AMD: bit 10 of MC4_CTL may differ). */
		if ((msr & 3) == 0 && val && (val | BIT_ULL(10)) != ~0ULL)
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

	if (msr == MSR_EFER) {
		*val = vcpu->efer;
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
	if (!r)
		r = kvmini_backend->set_msr(vcpu, msr, val);
	return r == -ENOENT ? common_set_msr(vcpu, msr, val, host) : r;
}

/* At vCPU creation, as after RESET (the MCE banks' CTL all ones, as KVM). */
void kvmini_msr_create(struct kvmini_vcpu *vcpu)
{
	struct kvmini_msr_state *s = &vcpu->msr;
	unsigned int i;

	memset(s, 0, sizeof(*s));
	s->misc_enable = MISC_PMU_RO;
	for (i = 0; i < KVMINI_MCE_BANKS; i++)
		s->mce_banks[i * 4] = ~0ULL;
}

/* IA32_APIC_BASE: address below 2^48, BSP, enable; x2APIC is not offered. */
bool kvmini_apic_base_valid(u64 val)
{
	return !(val & ~(0xfffffffff000ULL | MSR_IA32_APICBASE_BSP |
			 MSR_IA32_APICBASE_ENABLE));
}
