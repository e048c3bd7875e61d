// SPDX-License-Identifier: GPL-2.0
/*
 * Control registers and EFER, with the rules KVM applies, for every
 * vendor: guest writes (MOV to CR0/CR4, LMSW, CLTS, WRMSR to EFER) and
 * KVMINI_GET/SET_SREGS. A guest write either takes effect as on hardware
 * or takes #GP; nothing a guest writes can make VM entry fail.
 *
 * CR4 and EFER are the core's (vcpu->cr4, vcpu->efer): both backends exit
 * on every write to them and load them into the hardware when told. CR0
 * and CR3 stay with the backend (parts of CR0 change without exits).
 */
#include <linux/kernel.h>
#include <asm/trapnr.h>

#include "kvmini.h"

/* CR4 bits a guest may set only if its CPUID offers the feature. */
static const struct {
	u64 cr4;
	u32 function;
	int reg, bit;
} cr4_cpuid[] = {
	{ X86_CR4_OSXSAVE, 1, 2, 26 },		/* XSAVE */
	{ X86_CR4_PCIDE, 1, 2, 17 },		/* PCID */
	{ X86_CR4_FSGSBASE, 7, 1, 0 },
	{ X86_CR4_SMEP, 7, 1, 7 },
	{ X86_CR4_SMAP, 7, 1, 20 },
	{ X86_CR4_UMIP, 7, 2, 2 },
	{ X86_CR4_PKE, 7, 2, 3 },
};

/*
 * As KVM: the guest's CPUID decides once the VMM has set one; before
 * KVMINI_SET_CPUID2, what kvmini supports (a VMM may set SREGS first).
 */
bool kvmini_cr4_valid(struct kvmini_vcpu *vcpu, u64 cr4)
{
	unsigned int i;

	if (cr4 & ~(u64)CR4_VALID)
		return false;
	for (i = 0; i < ARRAY_SIZE(cr4_cpuid); i++) {
		u32 fn = cr4_cpuid[i].function;
		int reg = cr4_cpuid[i].reg, bit = cr4_cpuid[i].bit;

		if ((cr4 & cr4_cpuid[i].cr4) &&
		    !(vcpu->cpuid_set ? kvmini_guest_has(vcpu, fn, reg, bit)
				      : kvmini_supported_has(fn, reg, bit)))
			return false;
	}
	return true;
}

/* EFER: the bits kvmini knows, FFXSR only where the CPU has it. */
bool kvmini_efer_valid(u64 efer)
{
	return !(efer & ~(u64)EFER_VALID) &&
	       !((efer & EFER_FFXSR) && !boot_cpu_has(X86_FEATURE_FXSR_OPT));
}

static bool pae_paging(u64 cr0, u64 cr4, u64 efer)
{
	return (cr0 & X86_CR0_PG) && (cr4 & X86_CR4_PAE) && !(efer & EFER_LMA);
}

/*
 * The four PDPTEs of PAE paging at @cr3 into vcpu->pdptrs: 0, or 1 if
 * they are not in RAM or one present entry has reserved bits set (as the
 * CPU checks them at a CR0/CR3/CR4 write).
 */
static int load_pdptrs(struct kvmini_vcpu *vcpu, u64 cr3)
{
	u64 rsvd = GENMASK_ULL(63, kvmini_guest_maxphyaddr(vcpu)) |
		   GENMASK_ULL(8, 5) | GENMASK_ULL(2, 1);
	u64 pdpte[4];
	int i;

	if (kvmini_read_gpa(vcpu->vm, cr3 & GENMASK_ULL(31, 5), pdpte, sizeof(pdpte)))
		return 1;
	for (i = 0; i < 4; i++)
		if ((pdpte[i] & _PAGE_PRESENT) && (pdpte[i] & rsvd))
			return 1;
	memcpy(vcpu->pdptrs, pdpte, sizeof(pdpte));
	return 0;
}

/* KVM's kvm_set_cr0(): 0, or 1 for #GP (then nothing changed). */
static int set_cr0(struct kvmini_vcpu *vcpu, u64 cr0)
{
	const struct kvmini_backend *be = kvmini_backend;
	struct kvmini_paging pg;
	u64 old;

	be->get_paging(vcpu, &pg);
	old = pg.cr0;
	if ((cr0 >> 32) || ((cr0 & X86_CR0_NW) && !(cr0 & X86_CR0_CD)) ||
	    ((cr0 & X86_CR0_PG) && !(cr0 & X86_CR0_PE)))
		return 1;
	/* ET reads as 1; other reserved bits below 32 are dropped, as KVM. */
	cr0 = (cr0 | X86_CR0_ET) & ~CR0_RESERVED;
	if ((vcpu->efer & EFER_LME) && !(old & X86_CR0_PG) && (cr0 & X86_CR0_PG)) {
		struct kvmini_sregs s;

		/* Entering long mode: PAE on, and not from a CS with L set. */
		if (!(vcpu->cr4 & X86_CR4_PAE))
			return 1;
		be->get_sregs(vcpu, &s);
		if (s.cs.l)
			return 1;
	}
	/* PAE paging (not long mode: LME) checks its PDPTEs whenever it starts. */
	if (!(vcpu->efer & EFER_LME) && (cr0 & X86_CR0_PG) && (vcpu->cr4 & X86_CR4_PAE) &&
	    ((cr0 ^ old) & (X86_CR0_PG | X86_CR0_CD | X86_CR0_NW)) && load_pdptrs(vcpu, pg.cr3))
		return 1;
	if (!(cr0 & X86_CR0_PG) && (be->cs_mode(vcpu) == 8 || (vcpu->cr4 & X86_CR4_PCIDE)))
		return 1;
	be->set_cr0(vcpu, cr0);
	return 0;
}

/* KVM's kvm_set_cr4(). */
static int set_cr4(struct kvmini_vcpu *vcpu, u64 cr4)
{
	u64 old = vcpu->cr4, changed = cr4 ^ old;
	struct kvmini_paging pg;

	if (!kvmini_cr4_valid(vcpu, cr4))
		return 1;
	kvmini_backend->get_paging(vcpu, &pg);
	if (vcpu->efer & EFER_LMA) {
		if (!(cr4 & X86_CR4_PAE) || (changed & X86_CR4_LA57))
			return 1;
	} else if (pae_paging(pg.cr0, cr4, vcpu->efer) &&
		   (changed & (X86_CR4_PGE | X86_CR4_PSE | X86_CR4_PAE | X86_CR4_SMEP)) &&
		   load_pdptrs(vcpu, pg.cr3)) {
		return 1;
	}
	/* PCIDE goes on only in long mode, with PCID 0 current. */
	if ((cr4 & X86_CR4_PCIDE) && !(old & X86_CR4_PCIDE) &&
	    ((pg.cr3 & 0xfff) || !(vcpu->efer & EFER_LMA)))
		return 1;
	vcpu->cr4 = cr4;
	kvmini_backend->load_cr4(vcpu);
	if (changed & X86_CR4_OSXSAVE)
		kvmini_cpuid_update_runtime(vcpu);
	return 0;
}

/* KVM's set_efer(): the guest (WRMSR) or the VMM (@host, SET_MSRS). */
int kvmini_set_efer(struct kvmini_vcpu *vcpu, u64 efer, bool host)
{
	if (!kvmini_efer_valid(efer))
		return -EINVAL;
	if (!host) {
		struct kvmini_paging pg;

		/* The guest may set only what its CPUID offers... */
		if (((efer & (EFER_LME | EFER_LMA)) && !kvmini_guest_has(vcpu, 0x80000001, 3, 29)) ||
		    ((efer & EFER_NX) && !kvmini_guest_has(vcpu, 0x80000001, 3, 20)) ||
		    ((efer & EFER_FFXSR) && !kvmini_guest_has(vcpu, 0x80000001, 3, 25)))
			return -EINVAL;
		/* ...and not switch long mode with paging on. */
		kvmini_backend->get_paging(vcpu, &pg);
		if ((pg.cr0 & X86_CR0_PG) && ((efer ^ vcpu->efer) & EFER_LME))
			return -EINVAL;
	}
	/* LMA is the CPU's: it follows CR0.PG (SET_SREGS may set it). */
	vcpu->efer = (efer & ~EFER_LMA) | (vcpu->efer & EFER_LMA);
	kvmini_backend->load_efer(vcpu);
	return 0;
}

static int inject_gp(struct kvmini_vcpu *vcpu)
{
	kvmini_queue_exception(vcpu, X86_TRAP_GP, true, 0, 0);
	return EMU_REENTER;
}

/* MOV to CR0, CR4 or CR8 of @len bytes; @val as in the register. */
int kvmini_exit_cr_write(struct kvmini_vcpu *vcpu, int cr, u64 val, unsigned int len)
{
	int fault;

	vcpu->stat.cr_exits++;
	if (kvmini_backend->cs_mode(vcpu) != 8)
		val = (u32)val;
	switch (cr) {
	case 0:
		fault = set_cr0(vcpu, val);
		break;
	case 4:
		fault = set_cr4(vcpu, val);
		break;
	case 8: {		/* the TPR: 4 bits */
		u64 prev = kvmini_backend->get_cr8(vcpu);

		if (val & ~0xfULL)
			return inject_gp(vcpu);
		kvmini_backend->set_cr8(vcpu, val);
		kvmini_skip_insn(vcpu, len);
		return val < prev ? kvmini_exit_set_tpr(vcpu) : EMU_REENTER;
	}
	default:
		return kvmini_exit_internal(vcpu, KVMINI_INTERNAL_ERROR_UNEXPECTED_EXIT_REASON,
					    2, (u64)cr, val);
	}
	return fault ? inject_gp(vcpu) : kvmini_skip_insn(vcpu, len);
}

/*
 * LMSW: CR0's low four bits, PE set but never cleared. As KVM, it never
 * faults: a value CR0 refuses is dropped.
 */
int kvmini_exit_lmsw(struct kvmini_vcpu *vcpu, u16 msw, unsigned int len)
{
	struct kvmini_paging pg;

	vcpu->stat.cr_exits++;
	kvmini_backend->get_paging(vcpu, &pg);
	set_cr0(vcpu, (pg.cr0 & ~0xeULL) | (msw & 0xf));
	return kvmini_skip_insn(vcpu, len);
}

/*
 * An intercepted control-register access the hardware did not decode (SVM
 * without decode assists): MOV to or from CR0/CR4, MOV to CR8, LMSW,
 * CLTS, decoded here.
 */
int kvmini_exit_cr_access(struct kvmini_vcpu *vcpu)
{
	const struct kvmini_backend *be = kvmini_backend;
	struct kvmini_paging pg;
	struct insn in;
	u16 msw;
	int r;

	r = kvmini_decode_insn(vcpu, &in, 0);
	if (r != EMU_CONTINUE)
		return r;
	/* (MOV to CR and LMSW count themselves) */
	vcpu->stat.cr_exits += in.op != INSN_MOV_CR && in.op != INSN_LMSW;
	/* The CPU checks CPL before it intercepts (SMSW: only with UMIP). */
	if (be->cpl(vcpu) && (in.op != INSN_SMSW || (vcpu->cr4 & X86_CR4_UMIP)))
		return inject_gp(vcpu);
	be->get_paging(vcpu, &pg);
	switch (in.op) {
	case INSN_MOV_CR:
		if (in.cr != 0 && in.cr != 4 && in.cr != 8)
			break;
		return kvmini_exit_cr_write(vcpu, in.cr, vcpu->regs[in.reg], in.len);
	case INSN_MOV_FROM_CR:
		if (in.cr != 0 && in.cr != 4)
			break;
		kvmini_reg_write(vcpu, in.reg, in.size, in.cr ? vcpu->cr4 : pg.cr0);
		return kvmini_skip_insn(vcpu, in.len);
	case INSN_CLTS:
		set_cr0(vcpu, pg.cr0 & ~X86_CR0_TS);
		return kvmini_skip_insn(vcpu, in.len);
	case INSN_LMSW:
		if (!in.mem_read) {
			msw = vcpu->regs[in.reg];
		} else {
			r = kvmini_read_operand(vcpu, &in, &msw, sizeof(msw));
			if (r != EMU_CONTINUE)
				return r;
		}
		return kvmini_exit_lmsw(vcpu, msw, in.len);
	case INSN_SMSW:		/* CR0 reads exit (SVM, CD/NW the guest's): SMSW too */
		if (in.mem_write)
			return kvmini_emulate_mmio(vcpu, 0, false);	/* RAM or a device */
		kvmini_reg_write(vcpu, in.reg, in.size, pg.cr0);
		return kvmini_skip_insn(vcpu, in.len);
	default:
		break;
	}
	return kvmini_emulation_failure(vcpu, in.bytes, in.len, 0);
}

/* --- KVMINI_GET/SET_SREGS --- */

/* The consistency rules KVM applies to KVMINI_SET_SREGS. */
static bool sregs_valid(struct kvmini_vcpu *vcpu, const struct kvmini_sregs *s)
{
	if ((s->cr0 & CR0_RESERVED) || !kvmini_cr4_valid(vcpu, s->cr4) ||
	    !kvmini_efer_valid(s->efer) ||
	    !(vcpu->apic ? kvmini_lapic_base_valid(vcpu, s->apic_base, true) :
	      kvmini_apic_base_valid(s->apic_base)))
		return false;
	if ((s->cr0 & X86_CR0_PG) && !(s->cr0 & X86_CR0_PE))
		return false;
	if ((s->cr0 & X86_CR0_NW) && !(s->cr0 & X86_CR0_CD))
		return false;
	if ((s->efer & EFER_LME) && (s->cr0 & X86_CR0_PG)) {
		if (!(s->cr4 & X86_CR4_PAE) || !(s->efer & EFER_LMA) ||
		    (s->cr3 >> boot_cpu_data.x86_phys_bits))
			return false;
	} else if ((s->efer & EFER_LMA) || s->cs.l) {
		return false;
	}
	return true;
}

void kvmini_get_sregs(struct kvmini_vcpu *vcpu, struct kvmini_sregs *s)
{
	memset(s, 0, sizeof(*s));
	kvmini_backend->get_sregs(vcpu, s);
	s->cr4 = vcpu->cr4;
	s->efer = vcpu->efer;
	s->apic_base = vcpu->apic_base;
}

int kvmini_set_sregs(struct kvmini_vcpu *vcpu, const struct kvmini_sregs *s)
{
	if (!sregs_valid(vcpu, s))
		return -EINVAL;
	vcpu->cr4 = s->cr4;
	vcpu->efer = s->efer;
	if (vcpu->apic)
		kvmini_lapic_set_base(vcpu, s->apic_base, true);
	else
		kvmini_set_apic_base(vcpu, s->apic_base);	/* and the CPUID table */
	/* As KVM: PDPTRs that cannot be read are not an error here. */
	memset(vcpu->pdptrs, 0, sizeof(vcpu->pdptrs));
	if (pae_paging(s->cr0, s->cr4, s->efer))
		load_pdptrs(vcpu, s->cr3);
	kvmini_backend->set_sregs(vcpu, s);
	return 0;
}
