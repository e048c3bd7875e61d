// SPDX-License-Identifier: GPL-2.0
/*
 * AMD SVM backend: one VMCB per vCPU, nested paging, and the exit handlers
 * (one const table indexed by exit code). VMCB layout and exit codes come
 * from the kernel's <asm/svm.h>.
 *
 * Without the decode-assist and next-RIP features (QEMU does not emulate
 * them) instruction lengths are known or decoded here.
 */
#include <linux/io.h>
#include <linux/mm.h>
#include <linux/percpu.h>
#include <linux/slab.h>
#include <asm/debugreg.h>
#include <asm/fpu/xcr.h>
#include <asm/msr.h>
#include <asm/processor.h>
#include <asm/nospec-branch.h>
#include <asm/spec-ctrl.h>
#include <asm/svm.h>
#include <asm/tlbflush.h>
#include <asm/trapnr.h>

#include "kvmini.h"

#define CPUID_8000_0001_ECX_SVM	BIT(2)
#define CPUID_8000_000A_EDX_NPT	BIT(0)
#define VM_CR_SVMDIS		BIT_ULL(4)

/* Per-CPU host save area the CPU uses across VMRUN (VM_HSAVE_PA). */
static DEFINE_PER_CPU(struct page *, svm_hsave);

/* Per CPU: the host's VMSAVE area and ASID allocation. */
struct svm_cpu {
	struct page *host_save;
	u32 next_asid;
	u32 max_asid;
	u64 asid_generation;
	bool flush_all;		/* a new generation: flush every ASID at the next VMRUN */
	struct vmcb *current_vmcb;	/* the last VMCB run here (IBPB on a change) */
};
static DEFINE_PER_CPU(struct svm_cpu, svm_cpu);

/* Shared by every vCPU: intercept all ports, and all MSRs but a few. */
static struct page *svm_iopm, *svm_msrpm, *svm_msrpm_all;	/* _all: every MSR exits */

struct svm_vcpu {
	struct vmcb *vmcb;
	u64 vmcb_pa;
	int asid_cpu;		/* CPU whose ASID space asid is from */
	u64 asid_generation;
	bool new_asid;		/* flush requested */
	bool entry_failed;	/* the last VMRUN failed: VMCB not synced */
	bool svm_off;		/* SVM was off at entry: the host is rebooting */
	bool awaiting_iret;	/* the NMI handler's IRET is about to run */
	u64 iret_rip;
	bool nmi_singlestep;	/* stepping over that IRET to unmask NMIs */
	/* RIP and interrupt shadow at the last VMRUN (handle_vintr()). */
	unsigned long entry_rip;
	u8 entry_shadow;
	/*
	 * The exit came during an INTn's delivery: not injected again, the
	 * INTn runs again from its RIP. Until the next exit, nothing may go
	 * in before it (no interrupt, no window): it was first.
	 */
	bool soft_rerun;
	u64 cd_nw;		/* the guest's CR0.CD/NW, clear in the VMCB */
};

static inline struct svm_vcpu *to_svm(struct kvmini_vcpu *vcpu)
{
	return vcpu->arch;
}

static void svm_queue_exception(struct kvmini_vcpu *vcpu, u8 vector,
				bool has_error, u32 error, u64 cr2);

asmlinkage void kvmini_svm_vmrun(u64 vmcb_pa, unsigned long *regs,
				 u64 host_save_pa);

static int svm_probe(void)
{
	u64 vm_cr;

	if (boot_cpu_data.x86_vendor != X86_VENDOR_AMD &&
	    boot_cpu_data.x86_vendor != X86_VENDOR_HYGON)
		return -ENODEV;
	if (cpuid_eax(0x80000000) < 0x8000000a ||
	    !(cpuid_ecx(0x80000001) & CPUID_8000_0001_ECX_SVM))
		return -ENODEV;
	if (rdmsrl_safe(MSR_VM_CR, &vm_cr) || (vm_cr & VM_CR_SVMDIS)) {
		pr_err(KVMINI_PFX "AMD SVM is disabled by firmware (VM_CR.SVMDIS)\n");
		return -EOPNOTSUPP;
	}
	if (!(cpuid_edx(0x8000000a) & CPUID_8000_000A_EDX_NPT)) {
		pr_err(KVMINI_PFX "AMD SVM without nested paging is not supported\n");
		return -EOPNOTSUPP;
	}
	return 0;
}

static void svm_exit(void)
{
	struct svm_cpu *sd;
	int cpu;

	for_each_possible_cpu(cpu) {
		sd = per_cpu_ptr(&svm_cpu, cpu);
		if (per_cpu(svm_hsave, cpu))
			__free_page(per_cpu(svm_hsave, cpu));
		per_cpu(svm_hsave, cpu) = NULL;
		if (sd->host_save)
			__free_page(sd->host_save);
		sd->host_save = NULL;
	}
	if (svm_iopm)
		__free_pages(svm_iopm, 2);
	if (svm_msrpm)
		__free_pages(svm_msrpm, 1);
	if (svm_msrpm_all)
		__free_pages(svm_msrpm_all, 1);
	svm_iopm = svm_msrpm = svm_msrpm_all = NULL;
}

/* MSRs whose state VMLOAD/VMSAVE switch: the guest may use them directly. */
static const u32 svm_passthrough_msrs[] = {
	MSR_FS_BASE, MSR_GS_BASE, MSR_KERNEL_GS_BASE,
	MSR_STAR, MSR_LSTAR, MSR_CSTAR, MSR_SYSCALL_MASK,
	MSR_IA32_SYSENTER_CS, MSR_IA32_SYSENTER_ESP, MSR_IA32_SYSENTER_EIP,
};

/* The MSR permission map: 2 bits (read, write) per MSR in three ranges. */
static void svm_msrpm_allow(u8 *map, u32 msr)
{
	static const u32 base[] = { 0, 0xc0000000, 0xc0010000 };
	unsigned int i, bit;

	for (i = 0; i < ARRAY_SIZE(base); i++) {
		if (msr - base[i] < 0x2000) {
			bit = i * 0x2000 * 2 + (msr - base[i]) * 2;
			map[bit / 8] &= ~(3 << (bit % 8));
		}
	}
}

static int svm_init(void)
{
	struct svm_cpu *sd;
	struct page *page;
	unsigned int i;
	u32 nasid = cpuid_ebx(0x8000000a);
	int cpu;

	for_each_possible_cpu(cpu) {
		sd = per_cpu_ptr(&svm_cpu, cpu);
		page = alloc_pages_node(cpu_to_node(cpu), GFP_KERNEL | __GFP_ZERO, 0);
		sd->host_save = alloc_pages_node(cpu_to_node(cpu),
						 GFP_KERNEL | __GFP_ZERO, 0);
		per_cpu(svm_hsave, cpu) = page;
		if (!page || !sd->host_save)
			goto nomem;
		sd->max_asid = nasid - 1;	/* ASID 0 is the host's */
		sd->next_asid = nasid;		/* first use starts a generation */
		sd->asid_generation = 1;
	}
	svm_iopm = alloc_pages(GFP_KERNEL, 2);		/* 12 KiB used */
	svm_msrpm = alloc_pages(GFP_KERNEL, 1);		/* 8 KiB */
	svm_msrpm_all = alloc_pages(GFP_KERNEL, 1);
	if (!svm_iopm || !svm_msrpm || !svm_msrpm_all)
		goto nomem;
	memset(page_address(svm_iopm), 0xff, PAGE_SIZE << 2);
	memset(page_address(svm_msrpm), 0xff, PAGE_SIZE << 1);
	memset(page_address(svm_msrpm_all), 0xff, PAGE_SIZE << 1);
	for (i = 0; i < ARRAY_SIZE(svm_passthrough_msrs); i++)
		svm_msrpm_allow(page_address(svm_msrpm), svm_passthrough_msrs[i]);
	return 0;
nomem:
	svm_exit();
	return -ENOMEM;
}

static int svm_cpu_enable(void)
{
	u64 efer;

	rdmsrl(MSR_EFER, efer);
	if (efer & EFER_SVME)
		return -EBUSY;	/* someone else's: do not touch */
	wrmsrl(MSR_EFER, efer | EFER_SVME);
	wrmsrl(MSR_VM_HSAVE_PA, page_to_phys(this_cpu_read(svm_hsave)));
	return 0;
}

static void svm_cpu_disable(void)
{
	u64 efer;

	wrmsrl(MSR_VM_HSAVE_PA, 0);
	rdmsrl(MSR_EFER, efer);
	/* STGI needs EFER.SVME; leave GIF=1 behind so INIT/NMI/SMI work. */
	asm volatile("stgi" ::: "memory");
	wrmsrl(MSR_EFER, efer & ~EFER_SVME);
}

/* --- segments and control registers --- */

#define SEG_TYPE_LDT		2
#define SEG_TYPE_BUSY_TSS16	3

static struct vmcb_seg *svm_seg(struct vmcb *vmcb, int seg)
{
	switch (seg) {
	case SEG_ES: return &vmcb->save.es;
	case SEG_CS: return &vmcb->save.cs;
	case SEG_SS: return &vmcb->save.ss;
	case SEG_DS: return &vmcb->save.ds;
	case SEG_FS: return &vmcb->save.fs;
	default:     return &vmcb->save.gs;
	}
}

static void seg_to_user(const struct vmcb_seg *s, struct kvmini_segment *u)
{
	u->base = s->base;
	u->limit = s->limit;
	u->selector = s->selector;
	u->type = s->attrib & SVM_SELECTOR_TYPE_MASK;
	u->s = !!(s->attrib & SVM_SELECTOR_S_MASK);
	u->dpl = (s->attrib >> SVM_SELECTOR_DPL_SHIFT) & 3;
	u->present = !!(s->attrib & SVM_SELECTOR_P_MASK);
	u->avl = !!(s->attrib & SVM_SELECTOR_AVL_MASK);
	u->l = !!(s->attrib & SVM_SELECTOR_L_MASK);
	u->db = !!(s->attrib & SVM_SELECTOR_DB_MASK);
	u->g = !!(s->attrib & SVM_SELECTOR_G_MASK);
	u->unusable = !u->present;
}

static void seg_from_user(struct vmcb_seg *s, const struct kvmini_segment *u)
{
	s->base = u->base;
	s->limit = u->limit;
	s->selector = u->selector;
	s->attrib = 0;
	if (u->unusable)
		return;
	s->attrib = (u->type & SVM_SELECTOR_TYPE_MASK) |
		    (u->s ? SVM_SELECTOR_S_MASK : 0) |
		    ((u->dpl & 3) << SVM_SELECTOR_DPL_SHIFT) |
		    (u->present ? SVM_SELECTOR_P_MASK : 0) |
		    (u->avl ? SVM_SELECTOR_AVL_MASK : 0) |
		    (u->l ? SVM_SELECTOR_L_MASK : 0) |
		    (u->db ? SVM_SELECTOR_DB_MASK : 0) |
		    (u->g ? SVM_SELECTOR_G_MASK : 0);
}

static u64 svm_seg_base(struct kvmini_vcpu *vcpu, int seg);

static int svm_cs_mode(struct kvmini_vcpu *vcpu)
{
	struct vmcb *vmcb = to_svm(vcpu)->vmcb;

	if ((vcpu->efer & EFER_LMA) && (vmcb->save.cs.attrib & SVM_SELECTOR_L_MASK))
		return 8;
	if (!(vmcb->save.cr0 & X86_CR0_PE) || (vcpu->rflags & X86_EFLAGS_VM))
		return 2;
	return (vmcb->save.cs.attrib & SVM_SELECTOR_DB_MASK) ? 4 : 2;
}

static int svm_cpl(struct kvmini_vcpu *vcpu)
{
	return to_svm(vcpu)->vmcb->save.cpl;
}

static u64 svm_seg_base(struct kvmini_vcpu *vcpu, int seg)
{
	if (seg < SEG_FS && svm_cs_mode(vcpu) == 8)
		return 0;	/* flat in 64-bit mode */
	return svm_seg(to_svm(vcpu)->vmcb, seg)->base;
}

/* The guest's CR0: the VMCB's, with the CD/NW it set (see svm_set_cr0()). */
static u64 guest_cr0(struct svm_vcpu *svm)
{
	return svm->vmcb->save.cr0 | svm->cd_nw;
}

static void svm_get_paging(struct kvmini_vcpu *vcpu, struct kvmini_paging *pg)
{
	struct svm_vcpu *svm = to_svm(vcpu);

	pg->cr0 = guest_cr0(svm);
	pg->cr3 = svm->vmcb->save.cr3;
	pg->cr4 = vcpu->cr4;
	pg->efer = vcpu->efer;
}

static void set_intercept(struct vmcb_control_area *c, int bit, bool on)
{
	if (on)
		c->intercepts[bit / 32] |= BIT(bit % 32);
	else
		c->intercepts[bit / 32] &= ~BIT(bit % 32);
}

/*
 * As KVM: the guest's CD and NW are not put into the CPU (caching stays
 * on, as on VMX); while it has them set, it reads CR0 through exits.
 * Otherwise only writes that change more than TS and MP exit (the
 * selective CR0 intercept), so the VMCB's CR0 is the guest's but CD/NW.
 * EFER.LMA follows PG with LME, as the CPU does.
 */
static void svm_set_cr0(struct kvmini_vcpu *vcpu, u64 cr0)
{
	struct svm_vcpu *svm = to_svm(vcpu);
	struct vmcb_control_area *c = &svm->vmcb->control;

	if (vcpu->efer & EFER_LME) {
		if (cr0 & X86_CR0_PG)
			vcpu->efer |= EFER_LMA;
		else
			vcpu->efer &= ~EFER_LMA;
		svm->vmcb->save.efer = vcpu->efer | EFER_SVME;
	}
	svm->cd_nw = cr0 & (X86_CR0_CD | X86_CR0_NW);
	svm->vmcb->save.cr0 = cr0 & ~svm->cd_nw;
	set_intercept(c, INTERCEPT_CR0_READ, svm->cd_nw);
	set_intercept(c, INTERCEPT_CR0_WRITE, svm->cd_nw);
	svm->new_asid = true;	/* new paging state: drop cached translations */
}

/* The host's CR4.MCE stays on under the guest: host machine checks are #MC exits. */
static void svm_load_cr4(struct kvmini_vcpu *vcpu)
{
	struct svm_vcpu *svm = to_svm(vcpu);

	svm->vmcb->save.cr4 = vcpu->cr4 | (cr4_read_shadow() & X86_CR4_MCE);
	svm->new_asid = true;
}

static void svm_load_efer(struct kvmini_vcpu *vcpu)
{
	struct svm_vcpu *svm = to_svm(vcpu);

	svm->vmcb->save.efer = vcpu->efer | EFER_SVME;
	svm->new_asid = true;
}

/* The eight segment registers, as pairs of VMCB and SREGS fields. */
#define NR_SREGS_SEGS 8
static void sregs_segs(struct vmcb *vmcb, struct kvmini_sregs *s,
		       struct vmcb_seg **v, struct kvmini_segment **u)
{
	struct vmcb_save_area *a = &vmcb->save;
	struct vmcb_seg *vs[NR_SREGS_SEGS] = { &a->cs, &a->ds, &a->es, &a->fs,
					      &a->gs, &a->ss, &a->tr, &a->ldtr };
	struct kvmini_segment *us[NR_SREGS_SEGS] = { &s->cs, &s->ds, &s->es, &s->fs,
						    &s->gs, &s->ss, &s->tr, &s->ldt };

	memcpy(v, vs, sizeof(vs));
	memcpy(u, us, sizeof(us));
}

static void svm_get_sregs(struct kvmini_vcpu *vcpu, struct kvmini_sregs *s)
{
	struct svm_vcpu *svm = to_svm(vcpu);
	struct vmcb *vmcb = svm->vmcb;
	struct vmcb_seg *v[NR_SREGS_SEGS];
	struct kvmini_segment *u[NR_SREGS_SEGS];
	int i;

	sregs_segs(vmcb, s, v, u);
	for (i = 0; i < NR_SREGS_SEGS; i++)
		seg_to_user(v[i], u[i]);
	/*
	 * As KVM on AMD, for cross-vendor migration: data segments report
	 * the accessed bit the descriptor cache always has, TR is busy, and
	 * SS's DPL is the CPL.
	 */
	s->ds.type |= !s->ds.unusable;
	s->es.type |= !s->es.unusable;
	s->fs.type |= !s->fs.unusable;
	s->gs.type |= !s->gs.unusable;
	s->tr.type |= 2;
	s->ss.dpl = vmcb->save.cpl;
	if (s->ss.unusable)
		s->ss.db = 0;
	s->gdt.base = vmcb->save.gdtr.base;
	s->gdt.limit = vmcb->save.gdtr.limit;
	s->idt.base = vmcb->save.idtr.base;
	s->idt.limit = vmcb->save.idtr.limit;
	s->cr0 = guest_cr0(svm);
	s->cr2 = vmcb->save.cr2;
	s->cr3 = vmcb->save.cr3;
	s->cr8 = vmcb->control.int_ctl & V_TPR_MASK;
}


static void svm_set_sregs(struct kvmini_vcpu *vcpu, const struct kvmini_sregs *s)
{
	struct svm_vcpu *svm = to_svm(vcpu);
	struct vmcb *vmcb = svm->vmcb;
	struct vmcb_seg *v[NR_SREGS_SEGS];
	struct kvmini_segment *u[NR_SREGS_SEGS];
	int i;

	sregs_segs(vmcb, (struct kvmini_sregs *)s, v, u);
	for (i = 0; i < NR_SREGS_SEGS; i++)
		seg_from_user(v[i], u[i]);
	vmcb->save.gdtr.base = s->gdt.base;
	vmcb->save.gdtr.limit = s->gdt.limit;
	vmcb->save.idtr.base = s->idt.base;
	vmcb->save.idtr.limit = s->idt.limit;
	vmcb->save.cr2 = s->cr2;
	vmcb->save.cr3 = s->cr3;
	svm_load_efer(vcpu);	/* EFER (and its LMA) as set, before CR0 */
	svm_set_cr0(vcpu, s->cr0);
	svm_load_cr4(vcpu);
	vmcb->save.cpl = (s->cr0 & X86_CR0_PE) ? s->ss.dpl & 3 : 0;
	vmcb->control.int_ctl = (vmcb->control.int_ctl & ~V_TPR_MASK) |
				(s->cr8 & V_TPR_MASK);
}

static u64 svm_get_cr8(struct kvmini_vcpu *vcpu)
{
	return to_svm(vcpu)->vmcb->control.int_ctl & V_TPR_MASK;
}

static void svm_set_cr8(struct kvmini_vcpu *vcpu, u64 cr8)
{
	struct vmcb_control_area *c = &to_svm(vcpu)->vmcb->control;

	c->int_ctl = (c->int_ctl & ~V_TPR_MASK) | (cr8 & V_TPR_MASK);
}

static bool svm_interrupt_allowed(struct kvmini_vcpu *vcpu)
{
	struct vmcb_control_area *c = &to_svm(vcpu)->vmcb->control;

	return (vcpu->rflags & X86_EFLAGS_IF) && !vcpu->interrupt_shadow &&
	       !(c->event_inj & SVM_EVTINJ_VALID) && !to_svm(vcpu)->soft_rerun;
}

#define V_IRQ_WINDOW	(V_IRQ_MASK | V_INTR_PRIO_MASK | V_IGN_TPR_MASK)

/*
 * KVMINI_INTERRUPT's vector goes in through EVENTINJ at the next entry.
 * For an interrupt window, a dummy virtual interrupt (V_IRQ) is posted
 * with the VINTR intercept: the CPU exits the moment it would deliver it
 * (IF=1, no interrupt shadow), without polling.
 */

static bool svm_inject_events(struct kvmini_vcpu *vcpu)
{
	struct svm_vcpu *svm = to_svm(vcpu);
	struct vmcb_control_area *c = &svm->vmcb->control;

	/*
	 * NMIs: one at a time, masked until the handler's IRET completes. The
	 * IRET intercept comes before it runs; a single step over it tells
	 * when it has (as KVM without virtual NMI).
	 */
	if (vcpu->nmi_pending && !vcpu->nmi_masked && !(c->event_inj & SVM_EVTINJ_VALID)) {
		c->event_inj = 2 | SVM_EVTINJ_TYPE_NMI | SVM_EVTINJ_VALID;
		vcpu->nmi_pending--;
		vcpu->nmi_masked = true;
	}
	set_intercept(c, INTERCEPT_IRET, vcpu->nmi_masked && !svm->awaiting_iret);
	if (vcpu->nmi_pending && svm->awaiting_iret && !svm->nmi_singlestep) {
		svm->nmi_singlestep = true;
		vcpu->rflags |= X86_EFLAGS_TF | X86_EFLAGS_RF;
	}

	if (vcpu->irq_pending >= 0 && !(c->event_inj & SVM_EVTINJ_VALID) && !svm->soft_rerun) {
		c->event_inj = vcpu->irq_pending | SVM_EVTINJ_TYPE_INTR | SVM_EVTINJ_VALID;
		vcpu->irq_pending = -1;
	}
	if (kvmini_want_irq_window(vcpu) && !svm->soft_rerun)
		c->int_ctl |= V_IRQ_WINDOW;
	else
		c->int_ctl &= ~V_IRQ_WINDOW;
	set_intercept(c, INTERCEPT_VINTR, c->int_ctl & V_IRQ_MASK);
	return (c->event_inj & (SVM_EVTINJ_VALID | SVM_EVTINJ_TYPE_MASK)) ==
	       (SVM_EVTINJ_VALID | SVM_EVTINJ_TYPE_INTR);
}

static int handle_iret(struct kvmini_vcpu *vcpu)
{
	struct svm_vcpu *svm = to_svm(vcpu);

	svm->awaiting_iret = true;
	vcpu->stat.nmi_window_exits++;	/* (the NMI handler's IRET is SVM's window) */
	svm->iret_rip = vcpu->rip;
	set_intercept(&svm->vmcb->control, INTERCEPT_IRET, false);
	return 1;
}

/* After any exit: has the NMI handler's IRET run? Then NMIs unmask. */
static void nmi_unmask_check(struct kvmini_vcpu *vcpu)
{
	struct svm_vcpu *svm = to_svm(vcpu);

	if (svm->awaiting_iret && vcpu->rip != svm->iret_rip) {
		svm->awaiting_iret = false;
		vcpu->nmi_masked = false;
	}
}

static bool svm_nmi_in_flight(struct kvmini_vcpu *vcpu)
{
	u32 inj = to_svm(vcpu)->vmcb->control.event_inj;

	return (inj & SVM_EVTINJ_VALID) &&
	       (inj & SVM_EVTINJ_TYPE_MASK) == SVM_EVTINJ_TYPE_NMI;
}

static void svm_get_events(struct kvmini_vcpu *vcpu, struct kvmini_vcpu_events *e)
{
	struct vmcb_control_area *c = &to_svm(vcpu)->vmcb->control;
	u32 inj = c->event_inj, type = inj & SVM_EVTINJ_TYPE_MASK;

	if (inj & SVM_EVTINJ_VALID) {
		if (type == SVM_EVTINJ_TYPE_EXEPT) {
			e->exception.injected = 1;
			e->exception.nr = inj & SVM_EVTINJ_VEC_MASK;
			e->exception.has_error_code = !!(inj & SVM_EVTINJ_VALID_ERR);
			e->exception.error_code = c->event_inj_err;
		} else if (type == SVM_EVTINJ_TYPE_INTR || type == SVM_EVTINJ_TYPE_SOFT) {
			e->interrupt.injected = 1;
			e->interrupt.nr = inj & SVM_EVTINJ_VEC_MASK;
			e->interrupt.soft = type == SVM_EVTINJ_TYPE_SOFT;
		} else if (type == SVM_EVTINJ_TYPE_NMI) {
			e->nmi.injected = 1;
		}
	}
}

static void svm_set_events(struct kvmini_vcpu *vcpu, const struct kvmini_vcpu_events *e)
{
	struct vmcb_control_area *c = &to_svm(vcpu)->vmcb->control;

	c->event_inj = 0;
	if (e->exception.injected || e->exception.pending)
		svm_queue_exception(vcpu, e->exception.nr, e->exception.has_error_code,
				    e->exception.error_code, to_svm(vcpu)->vmcb->save.cr2);
	else if (e->interrupt.injected)
		c->event_inj = e->interrupt.nr | SVM_EVTINJ_VALID |
			       (e->interrupt.soft ? SVM_EVTINJ_TYPE_SOFT : SVM_EVTINJ_TYPE_INTR);
	else if (e->nmi.injected)
		c->event_inj = 2 | SVM_EVTINJ_TYPE_NMI | SVM_EVTINJ_VALID;
	if (!vcpu->nmi_masked)
		to_svm(vcpu)->awaiting_iret = false;
}

/*
 * The window is open: inject on the next entry, or tell the VMM. QEMU's
 * emulated SVM (the test host) drops the interrupt shadow at VMRUN and
 * takes the virtual interrupt there, before the shadowed instruction
 * (and after STI; PAUSE it never takes one before the next instruction
 * has run: injecting in the shadow is the only way into such a loop).
 * KVM injects then; so do we, but where the CPU's order can be kept: a
 * NOP or PAUSE in the shadow is stepped over (it does nothing), a HLT
 * runs and the pending interrupt wakes it (injected before it, the HLT of
 * STI; HLT would sleep with its wake-up spent).
 */
static int handle_vintr(struct kvmini_vcpu *vcpu)
{
	struct svm_vcpu *svm = to_svm(vcpu);
	struct vmcb_control_area *c = &svm->vmcb->control;
	u8 insn[2] = { 0 };

	c->int_ctl &= ~V_IRQ_WINDOW;
	set_intercept(c, INTERCEPT_VINTR, false);
	if (svm->entry_shadow && vcpu->rip == svm->entry_rip &&
	    kvmini_peek_insn(vcpu, insn, sizeof(insn))) {
		if (insn[0] == 0xf4)				/* HLT */
			return kvmini_exit_hlt(vcpu, 1);
		if (insn[0] == 0x90)				/* NOP */
			kvmini_skip_insn(vcpu, 1);
		else if (insn[0] == 0xf3 && insn[1] == 0x90)	/* PAUSE */
			kvmini_skip_insn(vcpu, 2);
	}
	return kvmini_exit_irq_window(vcpu);
}

/* --- vCPU life cycle --- */

static void svm_set_intercepts(struct vmcb_control_area *c)
{
	static const u8 bits[] = {
		INTERCEPT_INTR, INTERCEPT_NMI, INTERCEPT_SMI, INTERCEPT_CPUID,
		INTERCEPT_RDPMC, INTERCEPT_INVD, INTERCEPT_HLT, INTERCEPT_INVLPGA,
		INTERCEPT_IOIO_PROT, INTERCEPT_MSR_PROT, INTERCEPT_TASK_SWITCH,
		INTERCEPT_SHUTDOWN, INTERCEPT_RSM, INTERCEPT_VMRUN,
		INTERCEPT_VMMCALL, INTERCEPT_VMLOAD, INTERCEPT_VMSAVE,
		INTERCEPT_STGI, INTERCEPT_CLGI, INTERCEPT_SKINIT,
		INTERCEPT_WBINVD, INTERCEPT_MONITOR, INTERCEPT_MWAIT,
		INTERCEPT_XSETBV, INTERCEPT_RDPRU, INTERCEPT_RDTSCP,
		/*
		 * CR4 is the core's; CR0 writes that change more than TS/MP;
		 * CR8 writes, for their reserved bits (as KVM without AVIC).
		 */
		INTERCEPT_CR4_READ, INTERCEPT_CR4_WRITE, INTERCEPT_SELECTIVE_CR0,
		INTERCEPT_CR8_WRITE,
		/* #DB and #AC can loop forever in microcode: reflect them. */
		INTERCEPT_EXCEPTION_OFFSET + X86_TRAP_DB,
		INTERCEPT_EXCEPTION_OFFSET + X86_TRAP_AC,
		/* A host machine check in the guest is the host's (svm_enter_guest()). */
		INTERCEPT_EXCEPTION_OFFSET + X86_TRAP_MC,
		/* VMCALL, Intel's hypercall, is fixed up (hypercall.c). */
		INTERCEPT_EXCEPTION_OFFSET + X86_TRAP_UD,
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(bits); i++)
		c->intercepts[bits[i] / 32] |= BIT(bits[i] % 32);
	/* Debug registers: intercepted until the guest uses them (dr_live). */
	c->intercepts[INTERCEPT_DR] = 0xffffffff;
}

/* KVM's reset state: real mode at F000:FFF0 with CS base 0xFFFF0000. */
static void svm_vcpu_reset(struct kvmini_vcpu *vcpu)
{
	struct svm_vcpu *svm = to_svm(vcpu);
	struct vmcb *vmcb = svm->vmcb;
	struct vmcb_seg data = { .limit = 0xffff, .attrib = SVM_SELECTOR_P_MASK |
				 SVM_SELECTOR_S_MASK | SVM_SELECTOR_WRITE_MASK };

	memset(vmcb, 0, PAGE_SIZE);
	svm_set_intercepts(&vmcb->control);
	vmcb->control.iopm_base_pa = page_to_phys(svm_iopm);
	vmcb->control.msrpm_base_pa = page_to_phys(svm_msrpm);
	vmcb->control.tsc_offset = vcpu->tsc_offset;
	vmcb->control.int_ctl = V_INTR_MASKING_MASK;
	vmcb->control.nested_ctl = SVM_NESTED_CTL_NP_ENABLE;
	vmcb->control.nested_cr3 = vcpu->vm->npt_root_pa;

	vmcb->save.es = vmcb->save.ss = vmcb->save.ds = data;
	vmcb->save.fs = vmcb->save.gs = data;
	vmcb->save.cs = data;
	vmcb->save.cs.selector = 0xf000;
	vmcb->save.cs.base = 0xffff0000;
	vmcb->save.cs.attrib = SVM_SELECTOR_P_MASK | SVM_SELECTOR_S_MASK |
			       SVM_SELECTOR_CODE_MASK | SVM_SELECTOR_READ_MASK;
	vmcb->save.gdtr.limit = vmcb->save.idtr.limit = 0xffff;
	vmcb->save.ldtr.limit = vmcb->save.tr.limit = 0xffff;
	vmcb->save.ldtr.attrib = SVM_SELECTOR_P_MASK | SEG_TYPE_LDT;
	vmcb->save.tr.attrib = SVM_SELECTOR_P_MASK | SEG_TYPE_BUSY_TSS16;
	vmcb->save.dr6 = KVMINI_DR6_INIT;
	vmcb->save.dr7 = KVMINI_DR7_INIT;
	vmcb->save.g_pat = 0x0007040600070406ULL;	/* the power-on PAT */
	svm_load_efer(vcpu);
	svm_set_cr0(vcpu, X86_CR0_NW | X86_CR0_CD | X86_CR0_ET);
	svm_load_cr4(vcpu);
}

static int svm_vcpu_create(struct kvmini_vcpu *vcpu)
{
	struct svm_vcpu *svm = kzalloc(sizeof(*svm), GFP_KERNEL_ACCOUNT);
	struct page *page;

	if (!svm)
		return -ENOMEM;
	page = alloc_page(GFP_KERNEL_ACCOUNT | __GFP_ZERO);
	if (!page) {
		kfree(svm);
		return -ENOMEM;
	}
	svm->vmcb = page_address(page);
	svm->vmcb_pa = page_to_phys(page);
	svm->asid_cpu = -1;
	vcpu->arch = svm;
	return 0;
}

static void svm_vcpu_free(struct kvmini_vcpu *vcpu)
{
	struct svm_vcpu *svm = to_svm(vcpu);
	int cpu;

	/* A new VMCB at this address must still get its IBPB. */
	for_each_possible_cpu(cpu)
		cmpxchg(&per_cpu_ptr(&svm_cpu, cpu)->current_vmcb, svm->vmcb, NULL);

	free_page((unsigned long)svm->vmcb);
	kfree(svm);
	vcpu->arch = NULL;
}

/* --- entry --- */

/*
 * As KVM: another VMCB than the last one on this CPU (another vCPU, maybe
 * another VM) must not inherit its indirect branch predictions.
 */
static void svm_vcpu_load(struct kvmini_vcpu *vcpu, int cpu)
{
	struct svm_cpu *sd = per_cpu_ptr(&svm_cpu, cpu);
	struct vmcb *vmcb = to_svm(vcpu)->vmcb;

	if (sd->current_vmcb != vmcb) {
		sd->current_vmcb = vmcb;
		if (!cpu_feature_enabled(X86_FEATURE_IBPB_ON_VMEXIT))
			indirect_branch_prediction_barrier();
	}
}

static void svm_flush_tlb(struct kvmini_vcpu *vcpu)
{
	to_svm(vcpu)->new_asid = true;
}

/*
 * ASIDs are handed out per CPU; a new one is a clean TLB for this vCPU
 * (QEMU has no flush-by-ASID). When a CPU runs out, it starts a new
 * generation and flushes every ASID once.
 */
static void svm_pick_asid(struct svm_vcpu *svm, struct svm_cpu *sd, int cpu)
{
	struct vmcb_control_area *c = &svm->vmcb->control;

	if (!svm->new_asid && svm->asid_cpu == cpu &&
	    svm->asid_generation == sd->asid_generation)
		return;
	if (sd->next_asid > sd->max_asid) {
		sd->asid_generation++;
		sd->next_asid = 1;
		sd->flush_all = true;
	}
	c->asid = sd->next_asid++;
	svm->asid_cpu = cpu;
	svm->asid_generation = sd->asid_generation;
	svm->new_asid = false;
}

static void svm_enter_guest(struct kvmini_vcpu *vcpu)
{
	struct svm_vcpu *svm = to_svm(vcpu);
	struct svm_cpu *sd = this_cpu_ptr(&svm_cpu);
	struct vmcb *vmcb = svm->vmcb;
	struct vmcb_control_area *c = &vmcb->control;

	svm_pick_asid(svm, sd, smp_processor_id());
	/* Until a VMRUN succeeds with it, the flush of a new generation stays due. */
	c->tlb_ctl = sd->flush_all ? TLB_CONTROL_FLUSH_ALL_ASID : TLB_CONTROL_DO_NOTHING;
	vmcb->save.rax = vcpu->regs[REG_RAX];
	vmcb->save.rsp = vcpu->regs[REG_RSP];
	vmcb->save.rip = vcpu->rip;
	svm->entry_rip = vcpu->rip;
	svm->entry_shadow = vcpu->interrupt_shadow;
	vmcb->save.rflags = vcpu->rflags;
	c->int_state = vcpu->interrupt_shadow ? SVM_INTERRUPT_SHADOW_MASK : 0;
	/* VMRUN switches DR6 and DR7; the core does DR0-3 (dr_live: no exits). */
	vmcb->save.dr6 = vcpu->dr6;
	vmcb->save.dr7 = vcpu->dr7;
	c->intercepts[INTERCEPT_DR] = vcpu->dr_live ? 0 : 0xffffffff;

	/*
	 * The reboot notifier switches SVM off with an IPI, which cannot come
	 * in between here and the VMEXIT (interrupts are off): checked once.
	 */
	svm->svm_off = !(native_read_msr(MSR_EFER) & EFER_SVME);
	if (svm->svm_off)
		return;
	asm volatile("clgi" ::: "memory");
	/* The guest's speculative store bypass control (0: none offered), as KVM. */
	if (!cpu_feature_enabled(X86_FEATURE_V_SPEC_CTRL))
		x86_spec_ctrl_set_guest(0);
	kvmini_guest_context_enter();
	/*
	 * IF=1 at VMRUN lets host interrupts exit the guest; with GIF=0 none
	 * comes in here. Set early: an STI just before VMRUN would put the
	 * guest's first instruction in its interrupt shadow.
	 */
	raw_local_irq_enable();
	amd_clear_divider();	/* no host quotient leaks into the guest (DIV0) */
	kvmini_svm_vmrun(svm->vmcb_pa, vcpu->regs, page_to_phys(sd->host_save));
	raw_local_irq_disable();
	kvmini_guest_context_exit();
	if (!cpu_feature_enabled(X86_FEATURE_V_SPEC_CTRL))
		x86_spec_ctrl_restore_host(0);
	asm volatile("stgi" ::: "memory");
	/* A host machine check in the guest: the host's handler has it, as KVM. */
	if (c->exit_code == SVM_EXIT_EXCP_BASE + X86_TRAP_MC)
		kvmini_machine_check();

	vcpu->exit_code = c->exit_code;
	svm->entry_failed = c->exit_code == (u32)SVM_EXIT_ERR;
	if (svm->entry_failed)
		return;		/* VMCB register state is not the guest's */
	sd->flush_all = false;
	vcpu->dr6 = vmcb->save.dr6;
	vcpu->dr7 = vmcb->save.dr7;
	vcpu->regs[REG_RAX] = vmcb->save.rax;
	vcpu->regs[REG_RSP] = vmcb->save.rsp;
	vcpu->rip = vmcb->save.rip;
	vcpu->rflags = vmcb->save.rflags;
	vcpu->interrupt_shadow = (c->int_state & SVM_INTERRUPT_SHADOW_MASK) ?
		KVMINI_X86_SHADOW_INT_MOV_SS | KVMINI_X86_SHADOW_INT_STI : 0;
}

static void svm_queue_exception(struct kvmini_vcpu *vcpu, u8 vector,
				bool has_error, u32 error, u64 cr2)
{
	struct vmcb *vmcb = to_svm(vcpu)->vmcb;

	vmcb->control.event_inj = vector | SVM_EVTINJ_TYPE_EXEPT | SVM_EVTINJ_VALID |
				  (has_error ? SVM_EVTINJ_VALID_ERR : 0);
	vmcb->control.event_inj_err = error;
	if (vector == 14)
		vmcb->save.cr2 = cr2;
}

/* --- exit handlers --- */

static int handle_nothing(struct kvmini_vcpu *vcpu)
{
	return 1;	/* the host took its interrupt/NMI after STGI */
}

static int handle_reflect(struct kvmini_vcpu *vcpu)
{
	struct vmcb *vmcb = to_svm(vcpu)->vmcb;
	u8 vector = vmcb->control.exit_code - SVM_EXIT_EXCP_BASE;

	if (vector == 1 && to_svm(vcpu)->nmi_singlestep) {
		/* Our step over the NMI handler's IRET: not the guest's #DB. */
		to_svm(vcpu)->nmi_singlestep = false;
		if (!(vmcb->save.dr6 & ~KVMINI_DR6_INIT & ~0x4000ULL))	/* only BS */
			return 1;
	}
	if (vector == 1)	/* #DB: DR6 says why; the guest reads it */
		vcpu->dr6 = vmcb->save.dr6;

	kvmini_queue_exception(vcpu, vector, vector == 17, 0, 0);
	return 1;
}

/* Without next-RIP (QEMU), instruction lengths are known per instruction. */

static int handle_hlt(struct kvmini_vcpu *vcpu)
{
	return kvmini_exit_hlt(vcpu, 1);
}

static int handle_cpuid(struct kvmini_vcpu *vcpu)
{
	return kvmini_exit_cpuid(vcpu, 2);
}

/* EXITINFO1: port, size, type, string, rep, address size; EXITINFO2: the next RIP. */
static int handle_ioio(struct kvmini_vcpu *vcpu)
{
	struct vmcb_control_area *c = &to_svm(vcpu)->vmcb->control;
	u64 info = c->exit_info_1;
	struct kvmini_io io = {
		.port = info >> 16,
		.size = (info & SVM_IOIO_SIZE_MASK) >> SVM_IOIO_SIZE_SHIFT,
		.in = info & SVM_IOIO_TYPE_MASK,
		.string = info & SVM_IOIO_STR_MASK,
		.rep = info & SVM_IOIO_REP_MASK,
		/* QEMU leaves the address size 0; no decode assists: no segment. */
		.addr_size = ((info & SVM_IOIO_ASIZE_MASK) >> SVM_IOIO_ASIZE_SHIFT) * 2,
		.seg = KVMINI_IO_SEG_UNKNOWN,
	};

	if (io.size == 3 || !io.size)
		io.size = 4;
	return kvmini_exit_pio(vcpu, &io, (u32)(c->exit_info_2 - vcpu->rip));
}

static int handle_vmmcall(struct kvmini_vcpu *vcpu)
{
	return kvmini_exit_hypercall(vcpu, 3);	/* 0f 01 d9 */
}

/* EXITINFO1: #PF-style error code (bit 1 write, bit 4 fetch); EXITINFO2: the GPA. */
static int handle_npf(struct kvmini_vcpu *vcpu)
{
	struct vmcb_control_area *c = &to_svm(vcpu)->vmcb->control;

	return kvmini_exit_npf(vcpu, c->exit_info_2, c->exit_info_1 & KVMINI_PF_WRITE,
			       c->exit_info_1 & KVMINI_PF_FETCH,
			       (c->exit_int_info & SVM_EXITINTINFO_VALID) ? c->exit_int_info : 0);
}

static u64 *svm_msr_slot(struct kvmini_vcpu *vcpu, u32 msr)
{
	struct svm_vcpu *svm = to_svm(vcpu);
	struct vmcb_save_area *save = &svm->vmcb->save;

	switch (msr) {
	case MSR_STAR:			return &save->star;
	case MSR_LSTAR:			return &save->lstar;
	case MSR_CSTAR:			return &save->cstar;
	case MSR_SYSCALL_MASK:		return &save->sfmask;
	case MSR_KERNEL_GS_BASE:	return &save->kernel_gs_base;
	case MSR_FS_BASE:		return &save->fs.base;
	case MSR_GS_BASE:		return &save->gs.base;
	case MSR_IA32_SYSENTER_CS:	return &save->sysenter_cs;
	case MSR_IA32_SYSENTER_ESP:	return &save->sysenter_esp;
	case MSR_IA32_SYSENTER_EIP:	return &save->sysenter_eip;
	case MSR_IA32_CR_PAT:		return &save->g_pat;
	default:			return NULL;
	}
}

static int svm_get_msr(struct kvmini_vcpu *vcpu, u32 msr, u64 *val)
{
	u64 *p;

	p = svm_msr_slot(vcpu, msr);
	if (!p)
		return -ENOENT;
	*val = *p;
	return 0;
}

/* The MSR filter denies one of the pass-through MSRs: intercept them all. */
static void svm_intercept_all_msrs(struct kvmini_vcpu *vcpu, bool all)
{
	to_svm(vcpu)->vmcb->control.msrpm_base_pa = page_to_phys(all ? svm_msrpm_all : svm_msrpm);
}

static void svm_load_tsc_offset(struct kvmini_vcpu *vcpu)
{
	to_svm(vcpu)->vmcb->control.tsc_offset = vcpu->tsc_offset;
}

static int svm_set_msr(struct kvmini_vcpu *vcpu, u32 msr, u64 val)
{
	u64 *p;

	p = svm_msr_slot(vcpu, msr);
	if (!p)
		return -ENOENT;
	*p = val;
	return 0;
}

static int handle_msr(struct kvmini_vcpu *vcpu)
{
	return kvmini_exit_msr(vcpu, to_svm(vcpu)->vmcb->control.exit_info_1, 2);
}

static int handle_rdtscp(struct kvmini_vcpu *vcpu)
{
	u64 tsc = rdtsc() + vcpu->tsc_offset;

	vcpu->regs[REG_RAX] = (u32)tsc;
	vcpu->regs[REG_RDX] = tsc >> 32;
	vcpu->regs[REG_RCX] = vcpu->tsc_aux;
	return kvmini_skip_insn(vcpu, 3);
}

static int handle_xsetbv(struct kvmini_vcpu *vcpu)
{
	return kvmini_exit_xsetbv(vcpu, 3);
}

static int handle_rdpmc(struct kvmini_vcpu *vcpu)
{
	return kvmini_exit_rdpmc(vcpu, 2);
}

static int handle_monitor_mwait(struct kvmini_vcpu *vcpu)
{
	return kvmini_exit_monitor_mwait(vcpu, 3);
}

static int handle_nop2(struct kvmini_vcpu *vcpu)
{
	return kvmini_exit_nop(vcpu, 2);	/* INVD, WBINVD */
}

static int handle_unexpected(struct kvmini_vcpu *vcpu)
{
	struct vmcb *vmcb = to_svm(vcpu)->vmcb;

	return kvmini_exit_internal(vcpu, KVMINI_INTERNAL_ERROR_UNEXPECTED_EXIT_REASON,
				    2, (u64)vmcb->control.exit_code, (u64)vcpu->cpu);
}

static int (*const svm_exit_handlers[])(struct kvmini_vcpu *vcpu) = {
	[SVM_EXIT_READ_CR0] = kvmini_exit_cr_access,	/* no decode assists: the core decodes */
	[SVM_EXIT_READ_CR4] = kvmini_exit_cr_access,
	[SVM_EXIT_WRITE_CR0] = kvmini_exit_cr_access,
	[SVM_EXIT_WRITE_CR4] = kvmini_exit_cr_access,
	[SVM_EXIT_WRITE_CR8] = kvmini_exit_cr_access,
	[SVM_EXIT_CR0_SEL_WRITE] = kvmini_exit_cr_access,
	[SVM_EXIT_READ_DR0 ... SVM_EXIT_READ_DR0 + 15] = kvmini_exit_dr_access,
	[SVM_EXIT_WRITE_DR0 ... SVM_EXIT_WRITE_DR0 + 15] = kvmini_exit_dr_access,
	[SVM_EXIT_EXCP_BASE + X86_TRAP_DB] = handle_reflect,
	[SVM_EXIT_EXCP_BASE + X86_TRAP_AC] = handle_reflect,
	[SVM_EXIT_EXCP_BASE + X86_TRAP_MC] = handle_nothing,	/* the host's: handled */
	[SVM_EXIT_EXCP_BASE + X86_TRAP_UD] = kvmini_exit_ud_intercept,
	[SVM_EXIT_INTR] = kvmini_exit_host_event,
	[SVM_EXIT_VINTR] = handle_vintr,
	[SVM_EXIT_IRET] = handle_iret,
	[SVM_EXIT_NMI] = kvmini_exit_host_event,
	[SVM_EXIT_SMI] = kvmini_exit_host_event,
	[SVM_EXIT_CPUID] = handle_cpuid,
	[SVM_EXIT_RDPMC] = handle_rdpmc,
	[SVM_EXIT_INVD] = handle_nop2,
	[SVM_EXIT_WBINVD] = handle_nop2,
	[SVM_EXIT_HLT] = handle_hlt,
	[SVM_EXIT_IOIO] = handle_ioio,
	[SVM_EXIT_MSR] = handle_msr,
	[SVM_EXIT_SHUTDOWN] = kvmini_exit_shutdown,
	[SVM_EXIT_RSM] = kvmini_exit_ud,
	[SVM_EXIT_VMRUN] = kvmini_exit_ud,		/* the guest has no SVM */
	[SVM_EXIT_VMMCALL] = handle_vmmcall,
	[SVM_EXIT_VMLOAD] = kvmini_exit_ud,
	[SVM_EXIT_VMSAVE] = kvmini_exit_ud,
	[SVM_EXIT_STGI] = kvmini_exit_ud,
	[SVM_EXIT_CLGI] = kvmini_exit_ud,
	[SVM_EXIT_SKINIT] = kvmini_exit_ud,
	[SVM_EXIT_INVLPGA] = kvmini_exit_ud,
	[SVM_EXIT_RDPRU] = kvmini_exit_ud,
	[SVM_EXIT_MONITOR] = handle_monitor_mwait,
	[SVM_EXIT_MWAIT] = handle_monitor_mwait,
	[SVM_EXIT_XSETBV] = handle_xsetbv,
	[SVM_EXIT_RDTSCP] = handle_rdtscp,
	[SVM_EXIT_NPF] = handle_npf,
};

static int svm_handle_exit(struct kvmini_vcpu *vcpu)
{
	struct svm_vcpu *svm = to_svm(vcpu);
	struct vmcb_control_area *c = &svm->vmcb->control;
	u32 code = c->exit_code;
	int (*handler)(struct kvmini_vcpu *vcpu) = NULL;

	if (svm->svm_off)
		return -EIO;	/* the host is going down */
	if (svm->entry_failed)
		return kvmini_exit_fail_entry(vcpu, code);
	/* An event whose delivery the exit interrupted is delivered again. */
	c->event_inj = 0;
	svm->soft_rerun = (c->exit_int_info & (SVM_EXITINTINFO_VALID | SVM_EXITINTINFO_TYPE_MASK)) ==
			  (SVM_EXITINTINFO_VALID | SVM_EXITINTINFO_TYPE_SOFT);
	if ((c->exit_int_info & SVM_EXITINTINFO_VALID) && !svm->soft_rerun) {
		c->event_inj = c->exit_int_info;
		c->event_inj_err = c->exit_int_info_err;
	}
	nmi_unmask_check(vcpu);
	if (code < ARRAY_SIZE(svm_exit_handlers))
		handler = svm_exit_handlers[code];
	return handler ? handler(vcpu) : handle_unexpected(vcpu);
}

/* NPT entries are x86 page-table entries; U is needed at every level. */
static const struct kvmini_pt_format svm_pt_format = {
	.dir = _PAGE_PRESENT | _PAGE_RW | _PAGE_USER | _PAGE_ACCESSED,
	.leaf = _PAGE_PRESENT | _PAGE_USER | _PAGE_ACCESSED | _PAGE_DIRTY,
	.write = _PAGE_RW,
	.present = _PAGE_PRESENT,
	.noexec = _PAGE_NX,
};

/* NPT leaves are the host's: 2 MiB always, 1 GiB with its GB pages. */
static int svm_pt_max_level(void)
{
	return boot_cpu_has(X86_FEATURE_GBPAGES) ? 3 : 2;
}

const struct kvmini_backend kvmini_svm_backend = {
	.name = "AMD SVM",
	.hypercall_insn = { 0x0f, 0x01, 0xd9 },		/* VMMCALL */
	.probe = svm_probe,
	.init = svm_init,
	.exit = svm_exit,
	.cpu_enable = svm_cpu_enable,
	.cpu_disable = svm_cpu_disable,
	.pt_format = &svm_pt_format,
	.pt_max_level = svm_pt_max_level,
	.switches_dr6 = true,
	.vcpu_create = svm_vcpu_create,
	.vcpu_free = svm_vcpu_free,
	.vcpu_reset = svm_vcpu_reset,
	.vcpu_load = svm_vcpu_load,
	.flush_tlb = svm_flush_tlb,
	.enter_guest = svm_enter_guest,
	.handle_exit = svm_handle_exit,
	.get_sregs = svm_get_sregs,
	.set_sregs = svm_set_sregs,
	.get_paging = svm_get_paging,
	.set_cr0 = svm_set_cr0,
	.load_cr4 = svm_load_cr4,
	.load_efer = svm_load_efer,
	.load_tsc_offset = svm_load_tsc_offset,
	.intercept_all_msrs = svm_intercept_all_msrs,
	.queue_exception = svm_queue_exception,
	.seg_base = svm_seg_base,
	.cs_mode = svm_cs_mode,
	.cpl = svm_cpl,
	.get_cr8 = svm_get_cr8,
	.set_cr8 = svm_set_cr8,
	.interrupt_allowed = svm_interrupt_allowed,
	.inject_events = svm_inject_events,
	.get_events = svm_get_events,
	.set_events = svm_set_events,
	.nmi_in_flight = svm_nmi_in_flight,
	.get_msr = svm_get_msr,
	.set_msr = svm_set_msr,
};
