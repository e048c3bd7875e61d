// SPDX-License-Identifier: GPL-2.0
/*
 * CPUID: what kvmini can offer a guest (KVMINI_GET_SUPPORTED_CPUID), the
 * table a VMM gives each vCPU (KVMINI_SET/GET_CPUID2), and the guest's
 * CPUID instruction answered from that table.
 *
 * The supported table is the host's CPUID with only the features a guest
 * can really use under kvmini left on (an allow-list per register), plus
 * the hypervisor bit. Whatever needs emulation kvmini does not have (MTRR
 * and machine-check MSRs, TSC_AUX, nested SVM, PMU, x2APIC...) is off.
 */
#include <linux/slab.h>
#include <linux/sched/stat.h>
#include <linux/uaccess.h>
#include <asm/cpu.h>
#include <asm/fpu/xcr.h>
#include <asm/processor.h>

#include "kvmini.h"

#define MAX_CPUID_ENTRIES	256	/* as KVM */

/* Allowed bits, by leaf and register. */
struct cpuid_mask {
	u32 function, index;
	u32 eax, ebx, ecx, edx;
};

static const struct cpuid_mask cpuid_masks[] = {
	/* 1: ECX: SSE3 PCLMUL SSSE3 FMA CX16 PCID SSE4.1 SSE4.2 MOVBE POPCNT AES
	 *         XSAVE AVX F16C RDRAND; EDX: FPU VME DE PSE TSC MSR PAE CX8
	 *         APIC SEP PGE CMOV PAT PSE36 CLFSH MMX FXSR SSE SSE2 */
	{ 1, 0, ~0U, 0x0000ffff, 0x76da3203, 0x078bab7f },
	/* 7.0: EBX: FSGSBASE BMI1 AVX2 SMEP BMI2 ERMS ADX SMAP CLFLUSHOPT
	 *           CLWB SHA RDSEED; ECX: UMIP RDPID */
	{ 7, 0, 0, 0x219c03a9, 0x00400004, 0 },
	/* 0x80000001: ECX: LAHF ABM SSE4A MISALIGNSSE 3DNOWPREFETCH;
	 *             EDX: the leaf-1 bits AMD repeats, SYSCALL NX MMXEXT
	 *             FXSR_OPT PDPE1GB RDTSCP LM */
	{ 0x80000001, 0, ~0U, 0, 0x000001e1, 0x2fd3ab7f },
	/* 0x80000008: address sizes only */
	{ 0x80000008, 0, 0x0000ffff, 0, 0, 0 },
};

static bool cpuid_has_index(u32 function)
{
	return function == 4 || function == 7 || function == 0xb ||
	       function == 0xd || function == 0x8000001d;
}

static void host_entry(struct kvmini_cpuid_entry2 *e, u32 function, u32 index)
{
	unsigned int i;

	memset(e, 0, sizeof(*e));
	e->function = function;
	e->index = index;
	cpuid_count(function, index, &e->eax, &e->ebx, &e->ecx, &e->edx);
	if (cpuid_has_index(function))
		e->flags = KVMINI_CPUID_FLAG_SIGNIFCANT_INDEX;
	for (i = 0; i < ARRAY_SIZE(cpuid_masks); i++) {
		const struct cpuid_mask *m = &cpuid_masks[i];

		if (m->function == function && m->index == index) {
			e->eax &= m->eax;
			e->ebx &= m->ebx;
			e->ecx &= m->ecx;
			e->edx &= m->edx;
		}
	}
}

u64 kvmini_supported_xcr0(void)
{
	if (!boot_cpu_has(X86_FEATURE_XSAVE))
		return 0;
	return xgetbv(XCR_XFEATURE_ENABLED_MASK) &
	       (XFEATURE_MASK_FP | XFEATURE_MASK_SSE | XFEATURE_MASK_YMM);
}

/* XSAVE area size for x87+SSE (the 512-byte legacy area and header), +AVX. */
static u32 xsave_size(u64 xcr0)
{
	return 576 + ((xcr0 & XFEATURE_MASK_YMM) ? 256 : 0);
}

/* Fill @out (room for @max) with the supported table; -E2BIG if too small. */
static int supported_cpuid(struct kvmini_cpuid_entry2 *out, int max, int *n)
{
	static const u32 basic[] = { 1, 7, 0xd };
	static const u32 ext[] = { 0x80000001, 0x80000002, 0x80000003,
				   0x80000004, 0x80000005, 0x80000006,
				   0x80000008 };
	u32 max_basic = min(cpuid_eax(0), 0xdU);
	u32 max_ext = min(cpuid_eax(0x80000000), 0x80000008U);
	u64 xcr0 = kvmini_supported_xcr0();
	struct kvmini_cpuid_entry2 *e;
	unsigned int i;

	*n = 0;
#define ADD(fn, idx) ({ if (*n >= max) return -E2BIG; e = &out[(*n)++]; host_entry(e, fn, idx); e; })
	ADD(0, 0)->eax = max_basic;
	for (i = 0; i < ARRAY_SIZE(basic); i++) {
		if (basic[i] > max_basic)
			continue;
		if (basic[i] == 1) {
			ADD(1, 0)->ecx |= BIT(31) | BIT(21);	/* hypervisor; x2APIC as KVM's (lapic.c) */
			if (!xcr0)
				e->ecx &= ~(BIT(26) | BIT(28));	/* XSAVE AVX */
		} else if (basic[i] == 7) {
			ADD(7, 0)->eax = 0;		/* one subleaf */
			/* Emulated in msr.c on any host, as KVM offers them. */
			e->ebx |= BIT(1);		/* TSC_ADJUST */
			e->edx |= BIT(29);		/* ARCH_CAPABILITIES */
		} else if (xcr0) {		/* 0xd */
			ADD(0xd, 0)->eax = (u32)xcr0;
			e->edx = xcr0 >> 32;
			e->ebx = e->ecx = xsave_size(xcr0);
			ADD(0xd, 1)->eax &= 0x7;	/* XSAVEOPT XSAVEC XGETBV1 */
			e->ebx = e->ecx = e->edx = 0;
			if (xcr0 & XFEATURE_MASK_YMM)
				ADD(0xd, 2);
		}
	}
	/*
	 * KVM's paravirtual leaves: the signature (so KVM guests and tests
	 * find the hypercall ABI of hypercall.c) and the PV features kvmini
	 * has: kvmclock (kvmclock.c), steal time (steal.c) and no need for
	 * I/O delays; no async page faults, PV TLB flush or in-kernel halt
	 * to kick.
	 */
	if (*n + 2 > max)
		return -E2BIG;
	e = &out[(*n)++];
	*e = (struct kvmini_cpuid_entry2){ .function = KVMINI_CPUID_SIGNATURE,
		.eax = KVMINI_CPUID_FEATURES, .ebx = 0x4b4d564b, .ecx = 0x564b4d56, .edx = 0x4d };
	out[(*n)++] = (struct kvmini_cpuid_entry2){ .function = KVMINI_CPUID_FEATURES,
		.eax = BIT(KVMINI_FEATURE_CLOCKSOURCE) | BIT(KVMINI_FEATURE_NOP_IO_DELAY) |
		       BIT(KVMINI_FEATURE_CLOCKSOURCE2) |
		       (sched_info_on() ? BIT(KVMINI_FEATURE_STEAL_TIME) : 0) |
		       BIT(KVMINI_FEATURE_CLOCKSOURCE_STABLE_BIT) };
	ADD(0x80000000, 0)->eax = max_ext;
	for (i = 0; i < ARRAY_SIZE(ext); i++) {
		if (ext[i] > max_ext)
			continue;
		ADD(ext[i], 0);
		if (ext[i] == 0x80000008 && (e->eax & 0xff) > KVMINI_MAX_GPA_BITS)
			e->eax = (e->eax & ~0xffU) | KVMINI_MAX_GPA_BITS;
	}
#undef ADD
	return 0;
}

long kvmini_get_supported_cpuid(void __user *argp)
{
	struct kvmini_cpuid2 __user *uc = argp;
	struct kvmini_cpuid_entry2 *buf;
	struct kvmini_cpuid2 c;
	int n, r;

	if (copy_from_user(&c, uc, sizeof(c)))
		return -EFAULT;
	if (c.nent < 1)
		return -E2BIG;
	c.nent = min_t(u32, c.nent, MAX_CPUID_ENTRIES);
	buf = kvcalloc(c.nent, sizeof(*buf), GFP_KERNEL);
	if (!buf)
		return -ENOMEM;
	r = supported_cpuid(buf, c.nent, &n);
	if (!r) {
		r = -EFAULT;
		if (!put_user(n, &uc->nent) &&
		    !copy_to_user(uc->entries, buf, n * sizeof(*buf)))
			r = 0;
	}
	kvfree(buf);
	return r;
}

static struct kvmini_cpuid_entry2 *find_in(struct kvmini_cpuid_entry2 *e, u32 nent,
					    u32 function, u32 index)
{
	unsigned int i;

	for (i = 0; i < nent; i++)
		if (e[i].function == function &&
		    (!(e[i].flags & KVMINI_CPUID_FLAG_SIGNIFCANT_INDEX) || e[i].index == index))
			return &e[i];
	return NULL;
}

/*
 * The fields of a CPUID table that follow the vCPU's state, updated in
 * the table itself as KVM's kvm_update_cpuid_runtime() does: what the
 * guest reads and what GET_CPUID2 returns stay the same. OSXSAVE follows
 * CR4, APIC the APIC base's enable bit, 0xd.0 EBX (and 0xd.1 EBX where
 * XSAVEC is offered) the XSAVE size of the XCR0 in use.
 */
static void update_runtime(struct kvmini_vcpu *vcpu, struct kvmini_cpuid_entry2 *e, u32 nent)
{
	struct kvmini_cpuid_entry2 *c;

	c = find_in(e, nent, 1, 0);
	if (c) {
		if (boot_cpu_has(X86_FEATURE_XSAVE))
			c->ecx = (c->ecx & ~BIT(27)) |
				 ((vcpu->cr4 & X86_CR4_OSXSAVE) ? BIT(27) : 0);
		c->edx = (c->edx & ~BIT(9)) |
			 ((vcpu->apic_base & MSR_IA32_APICBASE_ENABLE) ? BIT(9) : 0);
		/* KVM's MISC_ENABLE_NO_MWAIT quirk off: MWAIT follows MISC_ENABLE. */
		if (vcpu->vm->disabled_quirks & KVMINI_X86_QUIRK_MISC_ENABLE_NO_MWAIT)
			c->ecx = (c->ecx & ~BIT(3)) |
				 ((vcpu->msr.misc_enable & MSR_IA32_MISC_ENABLE_MWAIT) ? BIT(3) : 0);
	}
	c = find_in(e, nent, 0xd, 0);
	if (c)
		c->ebx = xsave_size(vcpu->xcr0);
	c = find_in(e, nent, 0xd, 1);
	if (c && (c->eax & (BIT(1) | BIT(3))))		/* XSAVEC, XSAVES */
		c->ebx = xsave_size(vcpu->xcr0);	/* compacted: the same here */
}

void kvmini_cpuid_update_runtime(struct kvmini_vcpu *vcpu)
{
	update_runtime(vcpu, vcpu->cpuid, vcpu->cpuid_nent);
}

/* CPUID.1.EAX (family, model, stepping), 0x600 without a table (as KVM). */
u32 kvmini_cpuid_signature(struct kvmini_vcpu *vcpu)
{
	const struct kvmini_cpuid_entry2 *c = find_in(vcpu->cpuid, vcpu->cpuid_nent, 1, 0);

	return c ? c->eax : 0x600;
}

/* Does kvmini offer @bit of register @reg of leaf @function (subleaf 0)? */
bool kvmini_supported_has(u32 function, int reg, int bit)
{
	struct kvmini_cpuid_entry2 e;
	u32 r[4];

	if (function == 1 && reg == 2 && (bit == 26 || bit == 28) && !kvmini_supported_xcr0())
		return false;				/* XSAVE, AVX */
	host_entry(&e, function, 0);
	r[0] = e.eax; r[1] = e.ebx; r[2] = e.ecx; r[3] = e.edx;
	return r[reg] & BIT(bit);
}

long kvmini_set_cpuid2(struct kvmini_vcpu *vcpu, void __user *argp)
{
	struct kvmini_cpuid2 __user *uc = argp;
	struct kvmini_cpuid_entry2 *e = NULL;
	u32 nent;

	if (get_user(nent, &uc->nent))
		return -EFAULT;
	if (nent > MAX_CPUID_ENTRIES)
		return -E2BIG;
	if (nent) {
		e = vmemdup_user(uc->entries, nent * sizeof(*e));
		if (IS_ERR(e))
			return PTR_ERR(e);
	}
	update_runtime(vcpu, e, nent);
	/* As KVM: once the vCPU has run, only the same table is accepted. */
	if (vcpu->has_run && (nent != vcpu->cpuid_nent ||
			      (nent && memcmp(e, vcpu->cpuid, nent * sizeof(*e))))) {
		kvfree(e);
		return -EINVAL;
	}
	kvfree(vcpu->cpuid);
	vcpu->cpuid = e;
	vcpu->cpuid_nent = nent;
	vcpu->cpuid_set = true;
	return 0;
}

long kvmini_get_cpuid2(struct kvmini_vcpu *vcpu, void __user *argp)
{
	struct kvmini_cpuid2 __user *uc = argp;
	u32 nent;

	if (get_user(nent, &uc->nent))
		return -EFAULT;
	if (nent < vcpu->cpuid_nent) {
		if (put_user(vcpu->cpuid_nent, &uc->nent))
			return -EFAULT;
		return -E2BIG;
	}
	if (put_user(vcpu->cpuid_nent, &uc->nent) ||
	    copy_to_user(uc->entries, vcpu->cpuid,
			 vcpu->cpuid_nent * sizeof(*vcpu->cpuid)))
		return -EFAULT;
	return 0;
}

static const struct kvmini_cpuid_entry2 *find_entry(struct kvmini_vcpu *vcpu,
						       u32 function, u32 index)
{
	return find_in(vcpu->cpuid, vcpu->cpuid_nent, function, index);
}

/*
 * A leaf beyond the maximum of its range: an Intel CPU answers with the
 * highest basic leaf, an AMD one with zeroes (KVM follows the vendor the
 * guest's table names).
 */
static const struct kvmini_cpuid_entry2 *out_of_range(struct kvmini_vcpu *vcpu,
						      u32 function, u32 index)
{
	const struct kvmini_cpuid_entry2 *basic = find_entry(vcpu, 0, 0), *max;

	if (!basic || basic->ebx != 0x756e6547 || basic->ecx != 0x6c65746e ||
	    basic->edx != 0x49656e69)		/* "GenuineIntel" */
		return NULL;
	max = find_entry(vcpu, function & 0xffff0000, 0);
	if (max && function <= max->eax)
		return NULL;
	return find_entry(vcpu, basic->eax, index);
}

/* As KVM's guest_cpuid_is_amd_compatible(): leaf 0 names AMD or Hygon. */
bool kvmini_guest_is_amd(struct kvmini_vcpu *vcpu)
{
	const struct kvmini_cpuid_entry2 *e = find_entry(vcpu, 0, 0);

	return e && ((e->ebx == 0x68747541 && e->ecx == 0x444d4163 &&
		      e->edx == 0x69746e65) ||		/* "AuthenticAMD" */
		     (e->ebx == 0x69444d41 && e->ecx == 0x21726574 &&
		      e->edx == 0x74656273) ||		/* "AMDisbetter!" */
		     (e->ebx == 0x6f677948 && e->ecx == 0x656e6975 &&
		      e->edx == 0x6e65476e));		/* "HygonGenuine" */
}

/* The guest's KVM PV features (CPUID 0x40000001 EAX), if the VMM enforces them. */
bool kvmini_pv_has(struct kvmini_vcpu *vcpu, int feature)
{
	return !vcpu->pv_cpuid_enforce ||
	       kvmini_guest_has(vcpu, KVMINI_CPUID_FEATURES, 0, feature);
}

/* The guest's family (and *model) from CPUID.1.EAX; -1 without leaf 1. */
int kvmini_guest_family(struct kvmini_vcpu *vcpu, int *model)
{
	const struct kvmini_cpuid_entry2 *e = find_entry(vcpu, 1, 0);

	if (!e)
		return -1;
	*model = x86_model(e->eax);
	return x86_family(e->eax);
}

/* Does the guest's CPUID table set @bit of register @reg (EAX=0..EDX=3)? */
bool kvmini_guest_has(struct kvmini_vcpu *vcpu, u32 function, int reg, int bit)
{
	const struct kvmini_cpuid_entry2 *e = find_entry(vcpu, function, 0);
	u32 r[4];

	if (!e)
		return false;
	r[0] = e->eax; r[1] = e->ebx; r[2] = e->ecx; r[3] = e->edx;
	return r[reg] & BIT(bit);
}

/* The guest's physical-address width: CPUID 0x80000008 EAX[7:0], else 36 (as KVM). */
unsigned int kvmini_guest_maxphyaddr(struct kvmini_vcpu *vcpu)
{
	const struct kvmini_cpuid_entry2 *e = find_entry(vcpu, 0x80000000, 0);

	if (e && e->eax >= 0x80000008) {
		e = find_entry(vcpu, 0x80000008, 0);
		if (e && (e->eax & 0xff) >= 32 && (e->eax & 0xff) <= 52)
			return e->eax & 0xff;
	}
	return 36;
}

/* XCR0 bits the guest may set: what its CPUID leaf 0xd offers, and x87. */
u64 kvmini_guest_xcr0(struct kvmini_vcpu *vcpu)
{
	const struct kvmini_cpuid_entry2 *e = find_entry(vcpu, 0xd, 0);
	u64 offered = e ? e->eax | ((u64)e->edx << 32) : 0;

	return (offered & kvmini_supported_xcr0()) | XFEATURE_MASK_FP;
}

/* XSETBV/KVMINI_SET_XCRS rules: x87 always, AVX needs SSE, nothing else. */
bool kvmini_xcr0_valid(struct kvmini_vcpu *vcpu, u64 xcr0)
{
	return (xcr0 & XFEATURE_MASK_FP) && !(xcr0 & ~kvmini_guest_xcr0(vcpu)) &&
	       (!(xcr0 & XFEATURE_MASK_YMM) || (xcr0 & XFEATURE_MASK_SSE));
}

/* A guest XSETBV (ECX; EDX:EAX): false if it must take #GP. */
bool kvmini_emulate_xsetbv(struct kvmini_vcpu *vcpu)
{
	u64 val = (vcpu->regs[REG_RDX] << 32) | (u32)vcpu->regs[REG_RAX];

	if (kvmini_backend->cpl(vcpu) || (u32)vcpu->regs[REG_RCX] != 0 ||
	    !kvmini_xcr0_valid(vcpu, val))
		return false;
	vcpu->xcr0 = val;
	kvmini_cpuid_update_runtime(vcpu);
	return true;
}

/*
 * The guest's CPUID: its table's entry as it is now (see update_runtime),
 * or zeroes where it has none (as KVM).
 */
void kvmini_emulate_cpuid(struct kvmini_vcpu *vcpu)
{
	u32 function = vcpu->regs[REG_RAX], index = vcpu->regs[REG_RCX];
	const struct kvmini_cpuid_entry2 *e = find_entry(vcpu, function, index);
	u32 r[4] = { 0 };

	if (!e)
		e = out_of_range(vcpu, function, index);
	if (e) {
		r[0] = e->eax; r[1] = e->ebx; r[2] = e->ecx; r[3] = e->edx;
	}
	vcpu->regs[REG_RAX] = r[0];
	vcpu->regs[REG_RBX] = r[1];
	vcpu->regs[REG_RCX] = r[2];
	vcpu->regs[REG_RDX] = r[3];
}
