// SPDX-License-Identifier: GPL-2.0
/*
 * Intel VMX backend: VMXON per CPU while VMs exist, one VMCS per vCPU,
 * EPT, unrestricted guest, and the exit handlers (one const table indexed
 * by basic exit reason). Field encodings and control bits come from the
 * kernel's <asm/vmx.h>; every control is checked against the VMX
 * capability MSRs before use.
 *
 * A VMCS is "active" on at most one CPU. It stays loaded where it last
 * ran; when its vCPU next runs (or an ioctl reads it) on another CPU, the
 * old CPU VMCLEARs it first (an IPI). Each CPU keeps a list of the VMCSs
 * active on it, so that switching VMX off there (last VM gone, CPU going
 * offline, reboot) VMCLEARs them all first. VMCS accesses happen with
 * preemption off: vmx_get()/vmx_put() around them.
 *
 * Guest state kvmini touches on every exit lives in software (RIP, RSP,
 * RFLAGS, the interrupt shadow, the event to inject); the rest stays in
 * the VMCS and is read when an ioctl or a handler needs it.
 */
#include <linux/io.h>
#include <linux/mm.h>
#include <linux/percpu.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <asm/apic.h>
#include <asm/asm.h>
#include <asm/cpu_entry_area.h>
#include <asm/debugreg.h>
#include <asm/desc.h>
#include <asm/nospec-branch.h>
#include <asm/fpu/xcr.h>
#include <asm/msr.h>
#include <asm/processor.h>
#include <asm/special_insns.h>
#include <asm/tlbflush.h>
#include <asm/trapnr.h>
#include <asm/vmx.h>

/* <asm/vmx.h> names exit-qualification registers as kvmini names GPRs. */
#undef REG_R8
#undef REG_R9
#undef REG_R10
#undef REG_R11
#undef REG_R12
#undef REG_R13
#undef REG_R14
#undef REG_R15

#include "kvmini.h"

#define CPUID_1_ECX_VMX		BIT(5)
#define VMX_BASIC_REVISION	0x7fffffffULL
#define EXIT_QUAL_NMI_UNBLOCK	BIT(12)		/* EPT violation during IRET */

/* Per CPU: the VMXON region, the current VMCS, the VMCSs active here. */
struct vmx_cpu {
	struct page *vmxon_region;
	bool on;			/* in VMX operation (ours) */
	void *current_vmcs;
	struct list_head loaded;
};
static DEFINE_PER_CPU(struct vmx_cpu, vmx_cpu);

/* Controls and capabilities, settled once by vmx_probe(). */
static struct {
	u32 revision;
	u32 pin, proc, proc2, exit, entry;
	u64 cr0_fixed0, cr0_fixed1, cr4_fixed0, cr4_fixed1;
	bool ept_ad, invept_single, vpid, invvpid_single, inout_info;
	int ept_level;			/* the largest EPT leaf: 1 (4K), 2 (2M), 3 (1G) */
	bool debugctl;			/* the CPU has DEBUGCTL (Bochs 2.7 has not) */
	u32 backstop;			/* VMX-preemption timer value, see vmx_setup() */
	u64 host_efer, host_pat;
	u64 host_star, host_lstar, host_cstar, host_sfmask;
	unsigned long host_idt;
} vmcfg;

static struct page *vmx_msr_bitmap, *vmx_msr_bitmap_all, *vmx_io_bitmaps;	/* _all: every MSR exits */

/*
 * L1TF: where the host's mitigation is on (and the CPU does not say VM
 * entry flushes by itself), the L1 data cache is flushed before every VM
 * entry (KVM's "always"): by MSR_IA32_FLUSH_CMD, or without it by reading
 * 64 KiB of our own (as KVM's software fallback).
 */
#define L1D_FLUSH_ORDER	4
static bool vmx_l1d_flush;
static struct page *vmx_l1d_flush_pages;

/* VPIDs: 1..65535, one per vCPU while they last (0: none, flush always). */
static DEFINE_SPINLOCK(vpid_lock);
static DECLARE_BITMAP(vpid_used, 1 << 16);

/*
 * CR0 bits kvmini owns: guest writes to them exit. PE/PG switch modes
 * (EFER.LMA and the IA-32e entry control follow PG), NE must stay 1 in
 * the real CR0, CD/NW stay 0 there (the guest sees its own values).
 */
#define CR0_HOST_OWNED	(X86_CR0_PE | X86_CR0_PG | X86_CR0_NE | X86_CR0_CD | \
			 X86_CR0_NW | X86_CR0_ET)
/* CR4 is kvmini's entirely: every guest write is checked (VMXE must stay 1). */
#define CR4_HOST_OWNED	(~0UL)

struct vmx_vcpu {
	void *vmcs;
	u64 vmcs_pa;
	int cpu;		/* where the VMCS is active, or -1 */
	struct list_head loaded;	/* on that CPU's list */
	bool launched;
	u16 vpid;
	u64 eptp;
	bool need_flush;	/* INVEPT before the next entry */
	bool vmx_off;		/* VMX was off at entry: the host is rebooting */
	bool entry_failed;	/* VMfail, or an entry-failure exit */
	u32 fail_reason;

	/* Read at every exit. */
	u32 exit_reason, intr_info, intr_err, idt_info, idt_err, insn_len;
	u64 exit_qual, gpa;

	/* Written at every entry. */
	u32 inj_info, inj_err, inj_len;	/* VM-entry interruption information */
	u32 proc_ctl, proc_ctl_hw;	/* primary processor-based controls */

	u64 cr0;		/* as the guest sees it (CR0's read shadow) */
	u64 cr2;
	u64 star, lstar, cstar, sfmask, kernel_gs_base;
	u64 host_cr3, host_cr4;	/* what HOST_CR3/HOST_CR4 hold */
	u8 *vapic;		/* virtual-APIC page: the TPR is at 0x80 */
	u8 tpr_threshold;	/* TPR_THRESHOLD in the VMCS: the TPR at entry */
};

/* The core's interrupt shadow (KVM's flags) and VMX's interruptibility bits. */
static u32 shadow_to_vmx(u8 shadow)
{
	return ((shadow & KVMINI_X86_SHADOW_INT_STI) ? GUEST_INTR_STATE_STI : 0) |
	       ((shadow & KVMINI_X86_SHADOW_INT_MOV_SS) ? GUEST_INTR_STATE_MOV_SS : 0);
}

static u8 shadow_from_vmx(u32 intr)
{
	return ((intr & GUEST_INTR_STATE_STI) ? KVMINI_X86_SHADOW_INT_STI : 0) |
	       ((intr & GUEST_INTR_STATE_MOV_SS) ? KVMINI_X86_SHADOW_INT_MOV_SS : 0);
}

static inline struct vmx_vcpu *to_vmx(struct kvmini_vcpu *vcpu)
{
	return vcpu->arch;
}

asmlinkage int kvmini_vmx_vmrun(unsigned long *regs, int launched);
extern const char kvmini_vmx_vmexit[];

/* --- VMX instructions; a fault (VMX off under us) reads 0, writes nothing --- */

static __always_inline unsigned long vmcs_read(unsigned long field)
{
	unsigned long val;

	asm volatile("1: vmread %[field], %[val]\n\t"
		     "jna 2f\n\t"
		     "jmp 3f\n"
		     "2: xor %k[val], %k[val]\n"
		     "3:\n\t"
		     _ASM_EXTABLE(1b, 2b)
		     : [val] "=&r" (val) : [field] "r" (field) : "cc");
	return val;
}

static __always_inline void vmcs_write(unsigned long field, unsigned long val)
{
	asm volatile("1: vmwrite %[val], %[field]\n\t"
		     "2:\n\t"
		     _ASM_EXTABLE(1b, 2b)
		     : : [field] "r" (field), [val] "rm" (val) : "cc", "memory");
}

static int vmcs_ptrld(u64 pa)
{
	asm goto("1: vmptrld %[pa]\n\t"
		 "jna %l[fail]\n\t"
		 _ASM_EXTABLE(1b, %l[fail])
		 : : [pa] "m" (pa) : "cc", "memory" : fail);
	return 0;
fail:
	return -EIO;
}

static void vmcs_clear(u64 pa)
{
	asm goto("1: vmclear %[pa]\n\t"
		 _ASM_EXTABLE(1b, %l[fault])
		 : : [pa] "m" (pa) : "cc", "memory" : fault);
fault:
	return;
}

static void invept(unsigned long type, u64 eptp)
{
	struct { u64 eptp, zero; } d = { eptp, 0 };

	asm volatile("1: invept %[d], %[type]\n\t"
		     "2:\n\t"
		     _ASM_EXTABLE(1b, 2b)
		     : : [d] "m" (d), [type] "r" (type) : "cc", "memory");
}

/* --- capabilities --- */

/*
 * Settle one control field: @need must be allowed, @want is taken where
 * allowed, bits the CPU forces on are kept. False if @need is not there.
 */
static bool adjust(u32 msr, u32 need, u32 want, u32 *ctl)
{
	u64 caps;
	u32 v;

	if (rdmsrl_safe(msr, &caps))
		return false;
	v = (need | want) & (caps >> 32);
	v |= (u32)caps;			/* allowed-0: must be 1 */
	*ctl = v;
	return (need & v) == need;
}

static int vmx_setup(void)
{
	bool ok, true_ctls;
	u64 basic, ept;

	rdmsrl(MSR_IA32_VMX_BASIC, basic);
	vmcfg.revision = basic & VMX_BASIC_REVISION;
	true_ctls = basic & VMX_BASIC_TRUE_CTLS;
	vmcfg.inout_info = basic & VMX_BASIC_INOUT;
	if (!true_ctls) {
		pr_err(KVMINI_PFX "Intel VMX without the TRUE capability MSRs is not supported\n");
		return -EOPNOTSUPP;
	}
	ok = adjust(MSR_IA32_VMX_TRUE_PINBASED_CTLS,
		    PIN_BASED_EXT_INTR_MASK | PIN_BASED_NMI_EXITING |
		    PIN_BASED_VIRTUAL_NMIS, PIN_BASED_VMX_PREEMPTION_TIMER, &vmcfg.pin);
	ok = ok && adjust(MSR_IA32_VMX_TRUE_PROCBASED_CTLS,
			  CPU_BASED_HLT_EXITING | CPU_BASED_MWAIT_EXITING |
			  CPU_BASED_RDPMC_EXITING | CPU_BASED_USE_TSC_OFFSETTING |
			  CPU_BASED_TPR_SHADOW | CPU_BASED_MOV_DR_EXITING |
			  CPU_BASED_USE_IO_BITMAPS | CPU_BASED_USE_MSR_BITMAPS |
			  CPU_BASED_MONITOR_EXITING | CPU_BASED_ACTIVATE_SECONDARY_CONTROLS,
			  0, &vmcfg.proc);
	ok = ok && adjust(MSR_IA32_VMX_TRUE_EXIT_CTLS,
			  VM_EXIT_HOST_ADDR_SPACE_SIZE | VM_EXIT_SAVE_DEBUG_CONTROLS |
			  VM_EXIT_SAVE_IA32_PAT | VM_EXIT_LOAD_IA32_PAT |
			  VM_EXIT_SAVE_IA32_EFER | VM_EXIT_LOAD_IA32_EFER, 0, &vmcfg.exit);
	ok = ok && adjust(MSR_IA32_VMX_TRUE_ENTRY_CTLS,
			  VM_ENTRY_LOAD_DEBUG_CONTROLS | VM_ENTRY_LOAD_IA32_PAT |
			  VM_ENTRY_LOAD_IA32_EFER, 0, &vmcfg.entry);
	/* Exits kvmini has no handler for must be off (no CR3/CR8/INVLPG exits). */
	ok = ok && !(vmcfg.proc & (CPU_BASED_CR3_LOAD_EXITING | CPU_BASED_CR3_STORE_EXITING |
				   CPU_BASED_CR8_LOAD_EXITING | CPU_BASED_CR8_STORE_EXITING |
				   CPU_BASED_INVLPG_EXITING | CPU_BASED_RDTSC_EXITING |
				   CPU_BASED_INTR_WINDOW_EXITING | CPU_BASED_NMI_WINDOW_EXITING |
				   CPU_BASED_UNCOND_IO_EXITING | CPU_BASED_PAUSE_EXITING |
				   CPU_BASED_MONITOR_TRAP_FLAG));
	if (!ok) {
		pr_err(KVMINI_PFX "Intel VMX lacks controls kvmini needs (virtual NMIs, TPR shadow, MSR/IO bitmaps, EFER/PAT switching)\n");
		return -EOPNOTSUPP;
	}
	/* Interrupt and NMI windows are switched on when needed: allowed? */
	{
		u64 caps;

		rdmsrl(MSR_IA32_VMX_TRUE_PROCBASED_CTLS, caps);
		if (!((caps >> 32) & CPU_BASED_INTR_WINDOW_EXITING) ||
		    !((caps >> 32) & CPU_BASED_NMI_WINDOW_EXITING)) {
			pr_err(KVMINI_PFX "Intel VMX without interrupt/NMI-window exiting is not supported\n");
			return -EOPNOTSUPP;
		}
	}
	if (!adjust(MSR_IA32_VMX_PROCBASED_CTLS2, SECONDARY_EXEC_ENABLE_EPT,
		    SECONDARY_EXEC_UNRESTRICTED_GUEST | SECONDARY_EXEC_ENABLE_VPID |
		    SECONDARY_EXEC_ENABLE_RDTSCP | SECONDARY_EXEC_ENABLE_INVPCID |
		    SECONDARY_EXEC_WBINVD_EXITING, &vmcfg.proc2)) {
		pr_err(KVMINI_PFX "Intel VMX without EPT is not supported\n");
		return -EOPNOTSUPP;
	}
	if (!(vmcfg.proc2 & SECONDARY_EXEC_UNRESTRICTED_GUEST)) {
		pr_err(KVMINI_PFX "Intel VMX without unrestricted guest is not supported\n");
		return -EOPNOTSUPP;
	}
	if (rdmsrl_safe(MSR_IA32_VMX_EPT_VPID_CAP, &ept) ||
	    !(ept & VMX_EPT_PAGE_WALK_4_BIT) || !(ept & VMX_EPTP_WB_BIT) ||
	    !(ept & VMX_EPT_INVEPT_BIT) ||
	    !(ept & (VMX_EPT_EXTENT_CONTEXT_BIT | VMX_EPT_EXTENT_GLOBAL_BIT))) {
		pr_err(KVMINI_PFX "Intel VMX EPT without 4-level write-back tables and INVEPT is not supported\n");
		return -EOPNOTSUPP;
	}
	vmcfg.ept_ad = ept & VMX_EPT_AD_BIT;
	vmcfg.ept_level = !(ept & VMX_EPT_2MB_PAGE_BIT) ? 1 : !(ept & VMX_EPT_1GB_PAGE_BIT) ? 2 : 3;
	vmcfg.invept_single = ept & VMX_EPT_EXTENT_CONTEXT_BIT;
	/* VPIDs need INVVPID only to flush; INVEPT does that here. */
	vmcfg.vpid = vmcfg.proc2 & SECONDARY_EXEC_ENABLE_VPID;
	rdmsrl(MSR_IA32_VMX_CR0_FIXED0, vmcfg.cr0_fixed0);
	rdmsrl(MSR_IA32_VMX_CR0_FIXED1, vmcfg.cr0_fixed1);
	rdmsrl(MSR_IA32_VMX_CR4_FIXED0, vmcfg.cr4_fixed0);
	rdmsrl(MSR_IA32_VMX_CR4_FIXED1, vmcfg.cr4_fixed1);
	/* Unrestricted guest: PE and PG may be 0. */
	vmcfg.cr0_fixed0 &= ~(u64)(X86_CR0_PE | X86_CR0_PG);
	/*
	 * A backstop: the VMX-preemption timer ends every 10 ms of guest
	 * time without an exit. On hardware the host's tick exits first and
	 * it never fires. Bochs 2.7 masks external interrupts in a guest
	 * entered with RFLAGS.IF=0 (it re-evaluates the mask only when IF
	 * changes, and before the CPU counts as in VMX non-root), so a guest
	 * spinning with interrupts off would keep its host CPU forever.
	 */
	if (vmcfg.pin & PIN_BASED_VMX_PREEMPTION_TIMER) {
		u64 misc, ticks;

		rdmsrl(MSR_IA32_VMX_MISC, misc);
		ticks = ((u64)(tsc_khz ?: 1000000) * 10) >> vmx_misc_preemption_timer_rate(misc);
		vmcfg.backstop = clamp_t(u64, ticks, 1, U32_MAX);
	}
	return 0;
}

static int vmx_probe(void)
{
	u64 fc;

	if (boot_cpu_data.x86_vendor != X86_VENDOR_INTEL &&
	    boot_cpu_data.x86_vendor != X86_VENDOR_CENTAUR &&
	    boot_cpu_data.x86_vendor != X86_VENDOR_ZHAOXIN)
		return -ENODEV;
	if (!(cpuid_ecx(1) & CPUID_1_ECX_VMX))
		return -ENODEV;
	if (rdmsrl_safe(MSR_IA32_FEAT_CTL, &fc) || !(fc & FEAT_CTL_LOCKED) ||
	    !(fc & FEAT_CTL_VMX_ENABLED_OUTSIDE_SMX)) {
		pr_err(KVMINI_PFX "Intel VMX is disabled by firmware (IA32_FEATURE_CONTROL)\n");
		return -EOPNOTSUPP;
	}
	return vmx_setup();
}

static void vmx_exit(void)
{
	int cpu;

	for_each_possible_cpu(cpu) {
		struct vmx_cpu *vc = per_cpu_ptr(&vmx_cpu, cpu);

		if (vc->vmxon_region)
			__free_page(vc->vmxon_region);
		vc->vmxon_region = NULL;
	}
	if (vmx_msr_bitmap)
		__free_page(vmx_msr_bitmap);
	if (vmx_msr_bitmap_all)
		__free_page(vmx_msr_bitmap_all);
	vmx_msr_bitmap_all = NULL;
	if (vmx_io_bitmaps)
		__free_pages(vmx_io_bitmaps, 1);
	if (vmx_l1d_flush_pages)
		__free_pages(vmx_l1d_flush_pages, L1D_FLUSH_ORDER);
	vmx_msr_bitmap = vmx_io_bitmaps = vmx_l1d_flush_pages = NULL;
}

/* MSR bitmap: read-low, read-high, write-low, write-high (1 KiB each). */
static void msr_bitmap_allow(u8 *map, u32 msr, bool write)
{
	unsigned int base = (msr >= 0xc0000000) ? 1024 : 0, bit = msr & 0x1fff;

	if (msr >= 0x2000 && (msr < 0xc0000000 || msr >= 0xc0002000))
		return;
	map[base + bit / 8] &= ~BIT(bit % 8);
	if (write)
		map[2048 + base + bit / 8] &= ~BIT(bit % 8);
}

static int vmx_init(void)
{
	u64 debugctl;
	u8 *map;
	int cpu;

	for_each_possible_cpu(cpu) {
		struct vmx_cpu *vc = per_cpu_ptr(&vmx_cpu, cpu);
		struct page *page = alloc_pages_node(cpu_to_node(cpu),
						     GFP_KERNEL | __GFP_ZERO, 0);

		if (!page)
			goto nomem;
		*(u32 *)page_address(page) = vmcfg.revision;
		vc->vmxon_region = page;
		INIT_LIST_HEAD(&vc->loaded);
	}
	vmx_msr_bitmap = alloc_page(GFP_KERNEL);
	vmx_msr_bitmap_all = alloc_page(GFP_KERNEL);
	vmx_io_bitmaps = alloc_pages(GFP_KERNEL, 1);
	if (!vmx_msr_bitmap || !vmx_msr_bitmap_all || !vmx_io_bitmaps)
		goto nomem;
	memset(page_address(vmx_msr_bitmap_all), 0xff, PAGE_SIZE);
	if (boot_cpu_has_bug(X86_BUG_L1TF) && l1tf_mitigation != L1TF_MITIGATION_OFF) {
		u64 caps = 0;

		if (boot_cpu_has(X86_FEATURE_ARCH_CAPABILITIES))
			rdmsrl_safe(MSR_IA32_ARCH_CAPABILITIES, &caps);
		vmx_l1d_flush = !(caps & ARCH_CAP_SKIP_VMENTRY_L1DFLUSH);
	}
	if (vmx_l1d_flush && !boot_cpu_has(X86_FEATURE_FLUSH_L1D)) {
		vmx_l1d_flush_pages = alloc_pages(GFP_KERNEL | __GFP_ZERO, L1D_FLUSH_ORDER);
		if (!vmx_l1d_flush_pages)
			goto nomem;
	}
	memset(page_address(vmx_io_bitmaps), 0xff, 2 * PAGE_SIZE);	/* every port */
	map = page_address(vmx_msr_bitmap);
	memset(map, 0xff, PAGE_SIZE);
	/* The VMCS switches these; KERNEL_GS_BASE is switched around entry. */
	msr_bitmap_allow(map, MSR_FS_BASE, true);
	msr_bitmap_allow(map, MSR_GS_BASE, true);
	msr_bitmap_allow(map, MSR_KERNEL_GS_BASE, true);
	msr_bitmap_allow(map, MSR_IA32_SYSENTER_CS, true);
	msr_bitmap_allow(map, MSR_IA32_SYSENTER_ESP, true);
	msr_bitmap_allow(map, MSR_IA32_SYSENTER_EIP, true);
	/* The guest's values are in the CPU while it runs: reads are direct. */
	msr_bitmap_allow(map, MSR_STAR, false);
	msr_bitmap_allow(map, MSR_LSTAR, false);
	msr_bitmap_allow(map, MSR_CSTAR, false);
	msr_bitmap_allow(map, MSR_SYSCALL_MASK, false);

	rdmsrl(MSR_EFER, vmcfg.host_efer);
	rdmsrl(MSR_IA32_CR_PAT, vmcfg.host_pat);
	rdmsrl(MSR_STAR, vmcfg.host_star);
	rdmsrl(MSR_LSTAR, vmcfg.host_lstar);
	rdmsrl(MSR_CSTAR, vmcfg.host_cstar);
	rdmsrl(MSR_SYSCALL_MASK, vmcfg.host_sfmask);
	vmcfg.debugctl = !rdmsrl_safe(MSR_IA32_DEBUGCTLMSR, &debugctl);
	{
		struct desc_ptr dt;

		store_idt(&dt);
		vmcfg.host_idt = dt.address;
	}
	return 0;
nomem:
	vmx_exit();
	return -ENOMEM;
}

static int vmx_cpu_enable(void)
{
	struct vmx_cpu *vc = this_cpu_ptr(&vmx_cpu);
	u64 pa = page_to_phys(vc->vmxon_region);

	if (__read_cr4() & X86_CR4_VMXE)
		return -EBUSY;	/* another hypervisor is in VMX operation */
	cr4_set_bits(X86_CR4_VMXE);
	/* VMfail (CF or ZF) and #UD/#GP both mean: not ours to have. */
	asm goto("1: vmxon %[pa]\n\t"
		 "jna %l[fail]\n\t"
		 _ASM_EXTABLE(1b, %l[fail])
		 : : [pa] "m" (pa) : "cc", "memory" : fail);
	vc->on = true;
	vc->current_vmcs = NULL;
	return 0;
fail:
	cr4_clear_bits(X86_CR4_VMXE);
	return -EBUSY;
}

/* On the VMCS's CPU, interrupts off: make it inactive (written back). */
static void vmx_clear_here(struct vmx_vcpu *vmx)
{
	struct vmx_cpu *vc = this_cpu_ptr(&vmx_cpu);

	if (READ_ONCE(vmx->cpu) != smp_processor_id())
		return;		/* already cleared (VMX went off here) */
	vmcs_clear(vmx->vmcs_pa);
	if (vc->current_vmcs == vmx->vmcs)
		vc->current_vmcs = NULL;
	list_del(&vmx->loaded);
	vmx->launched = false;
	smp_wmb();	/* list and launch state before cpu says "nowhere" */
	WRITE_ONCE(vmx->cpu, -1);
}

static void vmx_clear_ipi(void *data)
{
	vmx_clear_here(data);
}

static void vmx_cpu_disable(void)
{
	struct vmx_cpu *vc = this_cpu_ptr(&vmx_cpu);
	struct vmx_vcpu *vmx, *tmp;

	/* No VMCS may stay active across VMXOFF: its contents would be lost. */
	list_for_each_entry_safe(vmx, tmp, &vc->loaded, loaded)
		vmx_clear_here(vmx);
	vc->on = false;
	asm goto("1: vmxoff\n\t"
		 _ASM_EXTABLE(1b, %l[fault])
		 : : : "cc", "memory" : fault);
fault:
	cr4_clear_bits(X86_CR4_VMXE);
}

/* --- making a VMCS current on this CPU --- */

/* Per-CPU host state, rewritten whenever the VMCS comes to a new CPU. */
static void vmx_set_host_percpu(int cpu)
{
	unsigned long gsbase, sysenter_esp;

	rdmsrl(MSR_GS_BASE, gsbase);
	rdmsrl(MSR_IA32_SYSENTER_ESP, sysenter_esp);
	vmcs_write(HOST_GS_BASE, gsbase);
	vmcs_write(HOST_TR_BASE, (unsigned long)&get_cpu_entry_area(cpu)->tss.x86_tss);
	vmcs_write(HOST_GDTR_BASE, (unsigned long)get_current_gdt_ro());
	vmcs_write(HOST_IA32_SYSENTER_ESP, sysenter_esp);
}

/* Preemption off: make @vmx's VMCS current here. 0, or -EIO if VMX is off. */
static int vmx_load(struct vmx_vcpu *vmx, int cpu)
{
	struct vmx_cpu *vc = this_cpu_ptr(&vmx_cpu);
	int old = READ_ONCE(vmx->cpu);
	unsigned long flags;

	if (old != cpu) {
		if (old >= 0)
			smp_call_function_single(old, vmx_clear_ipi, vmx, 1);
		local_irq_save(flags);
		if (!vc->on) {
			local_irq_restore(flags);
			return -EIO;
		}
		smp_rmb();
		list_add(&vmx->loaded, &vc->loaded);
		WRITE_ONCE(vmx->cpu, cpu);
		if (vmcs_ptrld(vmx->vmcs_pa)) {
			list_del(&vmx->loaded);
			WRITE_ONCE(vmx->cpu, -1);
			local_irq_restore(flags);
			return -EIO;
		}
		vc->current_vmcs = vmx->vmcs;
		indirect_branch_prediction_barrier();	/* see below */
		vmx_set_host_percpu(cpu);
		vmx->need_flush = true;		/* this CPU may hold old translations */
		local_irq_restore(flags);
		return 0;
	}
	if (vc->current_vmcs != vmx->vmcs) {
		if (vmcs_ptrld(vmx->vmcs_pa))
			return -EIO;
		vc->current_vmcs = vmx->vmcs;
		/*
		 * As KVM: another VMCS than the last one on this CPU (another
		 * vCPU, maybe another VM) must not inherit its indirect
		 * branch predictions.
		 */
		indirect_branch_prediction_barrier();
	}
	return 0;
}

/* For ioctls and exit handlers: the VMCS current until vmx_put(). */
static void vmx_get(struct kvmini_vcpu *vcpu)
{
	preempt_disable();
	vmx_load(to_vmx(vcpu), smp_processor_id());
}

static void vmx_put(void)
{
	preempt_enable();
}

static u64 vmx_read(struct kvmini_vcpu *vcpu, unsigned long field)
{
	u64 v;

	vmx_get(vcpu);
	v = vmcs_read(field);
	vmx_put();
	return v;
}

static void vmx_write(struct kvmini_vcpu *vcpu, unsigned long field, u64 val)
{
	vmx_get(vcpu);
	vmcs_write(field, val);
	vmx_put();
}

/* --- segments and control registers --- */

#define AR_UNUSABLE	BIT(16)

struct seg_fields {
	u16 sel, limit, ar, base;
};

/* VMCS fields of the segments, in SREGS order: cs ds es fs gs ss tr ldt. */
#define NR_SREGS_SEGS 8
static const struct seg_fields sreg_fields[NR_SREGS_SEGS] = {
	{ GUEST_CS_SELECTOR, GUEST_CS_LIMIT, GUEST_CS_AR_BYTES, GUEST_CS_BASE },
	{ GUEST_DS_SELECTOR, GUEST_DS_LIMIT, GUEST_DS_AR_BYTES, GUEST_DS_BASE },
	{ GUEST_ES_SELECTOR, GUEST_ES_LIMIT, GUEST_ES_AR_BYTES, GUEST_ES_BASE },
	{ GUEST_FS_SELECTOR, GUEST_FS_LIMIT, GUEST_FS_AR_BYTES, GUEST_FS_BASE },
	{ GUEST_GS_SELECTOR, GUEST_GS_LIMIT, GUEST_GS_AR_BYTES, GUEST_GS_BASE },
	{ GUEST_SS_SELECTOR, GUEST_SS_LIMIT, GUEST_SS_AR_BYTES, GUEST_SS_BASE },
	{ GUEST_TR_SELECTOR, GUEST_TR_LIMIT, GUEST_TR_AR_BYTES, GUEST_TR_BASE },
	{ GUEST_LDTR_SELECTOR, GUEST_LDTR_LIMIT, GUEST_LDTR_AR_BYTES, GUEST_LDTR_BASE },
};

/* Segment numbers (SEG_ES...) to sreg_fields. */
static const u8 seg_index[] = {
	[SEG_ES] = 2, [SEG_CS] = 0, [SEG_SS] = 5, [SEG_DS] = 1, [SEG_FS] = 3, [SEG_GS] = 4,
};

static void seg_read(const struct seg_fields *f, struct kvmini_segment *u)
{
	u32 ar = vmcs_read(f->ar);

	u->base = vmcs_read(f->base);
	u->limit = vmcs_read(f->limit);
	u->selector = vmcs_read(f->sel);
	u->type = ar & 15;
	u->s = (ar >> 4) & 1;
	u->dpl = (ar >> 5) & 3;
	u->unusable = !!(ar & AR_UNUSABLE);
	u->present = ((ar >> 7) & 1) && !u->unusable;
	u->avl = (ar >> 12) & 1;
	u->l = (ar >> 13) & 1;
	u->db = (ar >> 14) & 1;
	u->g = (ar >> 15) & 1;
	u->padding = 0;
}

static void seg_write(const struct seg_fields *f, const struct kvmini_segment *u,
		      bool ldt)
{
	u32 ar = AR_UNUSABLE;

	if (!u->unusable && u->present) {
		ar = (u->type & 15) | (u->s << 4) | ((u->dpl & 3) << 5) | BIT(7) |
		     (u->avl << 12) | (u->l << 13) | (u->db << 14) | (u->g << 15);
		if (!ldt)
			ar |= 1;	/* accessed: VM entry insists */
	}
	vmcs_write(f->base, u->base);
	vmcs_write(f->limit, u->limit);
	vmcs_write(f->sel, u->selector);
	vmcs_write(f->ar, ar);
}

/*
 * The real CR0/CR4 for a guest-visible value: VMX's fixed bits, caching
 * on (as KVM), and the host's CR4.MCE, so that a host machine check in
 * the guest is an #MC exit.
 */
static u64 real_cr0(u64 cr0)
{
	return (cr0 & ~(u64)(X86_CR0_CD | X86_CR0_NW)) | vmcfg.cr0_fixed0;
}

static u64 real_cr4(u64 cr4)
{
	return cr4 | vmcfg.cr4_fixed0 | (cr4_read_shadow() & X86_CR4_MCE);
}

/* VMCS current. */
static u64 guest_cr0(struct vmx_vcpu *vmx)
{
	return (vmcs_read(GUEST_CR0) & ~CR0_HOST_OWNED) | (vmx->cr0 & CR0_HOST_OWNED);
}

static int vmx_cs_mode(struct kvmini_vcpu *vcpu)
{
	struct vmx_vcpu *vmx = to_vmx(vcpu);
	u32 ar = vmx_read(vcpu, GUEST_CS_AR_BYTES);

	if ((vcpu->efer & EFER_LMA) && (ar & BIT(13)))
		return 8;
	if (!(vmx->cr0 & X86_CR0_PE) || (vcpu->rflags & X86_EFLAGS_VM))
		return 2;
	return (ar & BIT(14)) ? 4 : 2;
}

static int vmx_cpl(struct kvmini_vcpu *vcpu)
{
	if (!(to_vmx(vcpu)->cr0 & X86_CR0_PE))
		return 0;
	if (vcpu->rflags & X86_EFLAGS_VM)
		return 3;
	return (vmx_read(vcpu, GUEST_SS_AR_BYTES) >> 5) & 3;
}

static u64 vmx_seg_base(struct kvmini_vcpu *vcpu, int seg)
{
	if (seg < SEG_FS && vmx_cs_mode(vcpu) == 8)
		return 0;	/* flat in 64-bit mode */
	return vmx_read(vcpu, sreg_fields[seg_index[seg]].base);
}

static void vmx_get_paging(struct kvmini_vcpu *vcpu, struct kvmini_paging *pg)
{
	struct vmx_vcpu *vmx = to_vmx(vcpu);

	vmx_get(vcpu);
	pg->cr0 = guest_cr0(vmx);
	pg->cr3 = vmcs_read(GUEST_CR3);
	vmx_put();
	pg->cr4 = vcpu->cr4;
	pg->efer = vcpu->efer;
}

/* PAE paging without long mode: VM entry loads the PDPTEs from the VMCS. */
static bool pae_paging(u64 cr0, u64 cr4, u64 efer)
{
	return (cr0 & X86_CR0_PG) && (cr4 & X86_CR4_PAE) && !(efer & EFER_LMA);
}

/* VMCS current: VM entry loads the PDPTEs of PAE paging from the VMCS. */
static void write_pdptrs(struct kvmini_vcpu *vcpu)
{
	if (!pae_paging(to_vmx(vcpu)->cr0, vcpu->cr4, vcpu->efer))
		return;
	vmcs_write(GUEST_PDPTR0, vcpu->pdptrs[0]);
	vmcs_write(GUEST_PDPTR1, vcpu->pdptrs[1]);
	vmcs_write(GUEST_PDPTR2, vcpu->pdptrs[2]);
	vmcs_write(GUEST_PDPTR3, vcpu->pdptrs[3]);
}

/* VMCS current: EFER and the IA-32e entry control that goes with LMA. */
static void write_efer(struct kvmini_vcpu *vcpu)
{
	u32 entry = vmcfg.entry & ~VM_ENTRY_IA32E_MODE;

	if (vcpu->efer & EFER_LMA)
		entry |= VM_ENTRY_IA32E_MODE;
	vmcs_write(VM_ENTRY_CONTROLS, entry);
	vmcs_write(GUEST_IA32_EFER, vcpu->efer);
}

/* The control registers cr.c checked; EFER.LMA follows PG with LME. */
static void vmx_set_cr0(struct kvmini_vcpu *vcpu, u64 cr0)
{
	struct vmx_vcpu *vmx = to_vmx(vcpu);

	if (vcpu->efer & EFER_LME) {
		if (cr0 & X86_CR0_PG)
			vcpu->efer |= EFER_LMA;
		else
			vcpu->efer &= ~EFER_LMA;
	}
	vmx->cr0 = cr0;
	vmx_get(vcpu);
	vmcs_write(GUEST_CR0, real_cr0(cr0));	/* every bit: MOV wrote them all */
	vmcs_write(CR0_READ_SHADOW, cr0);
	write_efer(vcpu);
	write_pdptrs(vcpu);
	vmx_put();
	vmx->need_flush = true;
}

static void vmx_load_cr4(struct kvmini_vcpu *vcpu)
{
	vmx_get(vcpu);
	vmcs_write(GUEST_CR4, real_cr4(vcpu->cr4));
	vmcs_write(CR4_READ_SHADOW, vcpu->cr4);
	write_pdptrs(vcpu);
	vmx_put();
	to_vmx(vcpu)->need_flush = true;
}

static void vmx_load_efer(struct kvmini_vcpu *vcpu)
{
	vmx_get(vcpu);
	write_efer(vcpu);
	vmx_put();
	to_vmx(vcpu)->need_flush = true;
}

static void vmx_get_sregs(struct kvmini_vcpu *vcpu, struct kvmini_sregs *s)
{
	struct vmx_vcpu *vmx = to_vmx(vcpu);
	struct kvmini_segment *u[NR_SREGS_SEGS] = { &s->cs, &s->ds, &s->es, &s->fs,
						    &s->gs, &s->ss, &s->tr, &s->ldt };
	int i;

	vmx_get(vcpu);
	for (i = 0; i < NR_SREGS_SEGS; i++)
		seg_read(&sreg_fields[i], u[i]);
	s->gdt.base = vmcs_read(GUEST_GDTR_BASE);
	s->gdt.limit = vmcs_read(GUEST_GDTR_LIMIT);
	s->idt.base = vmcs_read(GUEST_IDTR_BASE);
	s->idt.limit = vmcs_read(GUEST_IDTR_LIMIT);
	s->cr0 = guest_cr0(vmx);
	s->cr3 = vmcs_read(GUEST_CR3);
	vmx_put();
	s->cr2 = vmx->cr2;
	s->cr8 = vmx->vapic[0x80] >> 4;
}

static void vmx_set_sregs(struct kvmini_vcpu *vcpu, const struct kvmini_sregs *s)
{
	struct vmx_vcpu *vmx = to_vmx(vcpu);
	const struct kvmini_segment *u[NR_SREGS_SEGS] = { &s->cs, &s->ds, &s->es, &s->fs,
							  &s->gs, &s->ss, &s->tr, &s->ldt };
	int i;

	vmx_get(vcpu);
	for (i = 0; i < NR_SREGS_SEGS; i++)
		seg_write(&sreg_fields[i], u[i], i == 7);
	vmcs_write(GUEST_GDTR_BASE, s->gdt.base);
	vmcs_write(GUEST_GDTR_LIMIT, s->gdt.limit);
	vmcs_write(GUEST_IDTR_BASE, s->idt.base);
	vmcs_write(GUEST_IDTR_LIMIT, s->idt.limit);
	vmcs_write(GUEST_CR3, s->cr3);
	vmx_put();
	vmx_set_cr0(vcpu, s->cr0);	/* with EFER and the PDPTRs as set */
	vmx_load_cr4(vcpu);
	vmx->cr2 = s->cr2;
	vmx->vapic[0x80] = (s->cr8 & 15) << 4;
}

static u64 vmx_get_cr8(struct kvmini_vcpu *vcpu)
{
	return to_vmx(vcpu)->vapic[0x80] >> 4;
}

static void vmx_set_cr8(struct kvmini_vcpu *vcpu, u64 cr8)
{
	to_vmx(vcpu)->vapic[0x80] = (cr8 & 15) << 4;
}

/* --- events --- */

#define INJ_VALID	INTR_INFO_VALID_MASK

static bool vmx_interrupt_allowed(struct kvmini_vcpu *vcpu)
{
	struct vmx_vcpu *vmx = to_vmx(vcpu);

	return (vcpu->rflags & X86_EFLAGS_IF) && !vcpu->interrupt_shadow &&
	       !(vmx->inj_info & INJ_VALID);
}

static void set_proc(struct vmx_vcpu *vmx, u32 bit, bool on)
{
	if (on)
		vmx->proc_ctl |= bit;
	else
		vmx->proc_ctl &= ~bit;
}

/*
 * NMIs go in when not blocked (virtual NMIs: the CPU tracks the handler
 * until its IRET); otherwise NMI-window exiting says when. KVMINI_INTERRUPT's
 * vector goes in when the guest can take it (IF=1, no shadow), as KVM on
 * Intel: VM entry refuses an external interrupt otherwise; until then an
 * interrupt-window exit is armed.
 */
static bool vmx_inject_events(struct kvmini_vcpu *vcpu)
{
	struct vmx_vcpu *vmx = to_vmx(vcpu);
	u8 tpr;

	if (vcpu->nmi_pending && !vcpu->nmi_masked && !vcpu->interrupt_shadow &&
	    !(vmx->inj_info & INJ_VALID)) {
		vmx->inj_info = NMI_VECTOR | INTR_TYPE_NMI_INTR | INJ_VALID;
		vcpu->nmi_pending--;
	}
	set_proc(vmx, CPU_BASED_NMI_WINDOW_EXITING, vcpu->nmi_pending);

	if (vcpu->irq_pending >= 0 && vmx_interrupt_allowed(vcpu)) {
		vmx->inj_info = vcpu->irq_pending | INTR_TYPE_EXT_INTR | INJ_VALID;
		vcpu->irq_pending = -1;
	}
	set_proc(vmx, CPU_BASED_INTR_WINDOW_EXITING,
		 vcpu->irq_pending >= 0 || kvmini_want_irq_window(vcpu));
	/* The TPR at the threshold: the guest lowering it exits (SET_TPR). */
	tpr = vmx->vapic[0x80] >> 4;
	if (tpr != vmx->tpr_threshold) {
		vmcs_write(TPR_THRESHOLD, tpr);
		vmx->tpr_threshold = tpr;
	}
	return (vmx->inj_info & (INJ_VALID | INTR_INFO_INTR_TYPE_MASK)) ==
	       (INJ_VALID | INTR_TYPE_EXT_INTR);
}

static bool vmx_nmi_in_flight(struct kvmini_vcpu *vcpu)
{
	u32 inj = to_vmx(vcpu)->inj_info;

	return (inj & INJ_VALID) && (inj & INTR_INFO_INTR_TYPE_MASK) == INTR_TYPE_NMI_INTR;
}

static void vmx_get_events(struct kvmini_vcpu *vcpu, struct kvmini_vcpu_events *e)
{
	struct vmx_vcpu *vmx = to_vmx(vcpu);
	u32 inj = vmx->inj_info, type = inj & INTR_INFO_INTR_TYPE_MASK;

	if (inj & INJ_VALID) {
		if (type == INTR_TYPE_HARD_EXCEPTION || type == INTR_TYPE_SOFT_EXCEPTION ||
		    type == INTR_TYPE_PRIV_SW_EXCEPTION) {
			e->exception.injected = 1;
			e->exception.nr = inj & INTR_INFO_VECTOR_MASK;
			e->exception.has_error_code = !!(inj & INTR_INFO_DELIVER_CODE_MASK);
			e->exception.error_code = vmx->inj_err;
		} else if (type == INTR_TYPE_EXT_INTR || type == INTR_TYPE_SOFT_INTR) {
			e->interrupt.injected = 1;
			e->interrupt.nr = inj & INTR_INFO_VECTOR_MASK;
			e->interrupt.soft = type == INTR_TYPE_SOFT_INTR;
		} else if (type == INTR_TYPE_NMI_INTR) {
			e->nmi.injected = 1;
		}
	}
}

static void vmx_queue_exception(struct kvmini_vcpu *vcpu, u8 vector,
				bool has_error, u32 error, u64 cr2)
{
	struct vmx_vcpu *vmx = to_vmx(vcpu);

	/* Real mode has no error codes (VM entry checks it). */
	if (!(vmx->cr0 & X86_CR0_PE))
		has_error = false;
	vmx->inj_info = vector | INTR_TYPE_HARD_EXCEPTION | INJ_VALID |
			(has_error ? INTR_INFO_DELIVER_CODE_MASK : 0);
	vmx->inj_err = error;
	vmx->inj_len = 0;
	if (vector == 14)
		vmx->cr2 = cr2;
}

static void vmx_set_events(struct kvmini_vcpu *vcpu, const struct kvmini_vcpu_events *e)
{
	struct vmx_vcpu *vmx = to_vmx(vcpu);

	vmx->inj_info = 0;
	vmx->inj_len = 0;
	if (e->exception.injected || e->exception.pending)
		vmx_queue_exception(vcpu, e->exception.nr, e->exception.has_error_code,
				    e->exception.error_code, vmx->cr2);
	else if (e->interrupt.injected)
		vmx->inj_info = e->interrupt.nr | INJ_VALID |
				(e->interrupt.soft ? INTR_TYPE_SOFT_INTR : INTR_TYPE_EXT_INTR);
	else if (e->nmi.injected)
		vmx->inj_info = NMI_VECTOR | INTR_TYPE_NMI_INTR | INJ_VALID;
}

/* --- vCPU life cycle --- */

static void vmx_setup_vmcs(struct kvmini_vcpu *vcpu)
{
	struct vmx_vcpu *vmx = to_vmx(vcpu);

	vmcs_write(VMCS_LINK_POINTER, -1ULL);
	vmcs_write(PIN_BASED_VM_EXEC_CONTROL, vmcfg.pin);
	if (vmcfg.pin & PIN_BASED_VMX_PREEMPTION_TIMER)
		vmcs_write(VMX_PREEMPTION_TIMER_VALUE, vmcfg.backstop);
	vmx->proc_ctl = vmx->proc_ctl_hw = vmcfg.proc;
	vmcs_write(CPU_BASED_VM_EXEC_CONTROL, vmcfg.proc);
	vmcs_write(SECONDARY_VM_EXEC_CONTROL,
		   vmcfg.proc2 & ~(vmx->vpid ? 0 : SECONDARY_EXEC_ENABLE_VPID));
	if (vmx->vpid)
		vmcs_write(VIRTUAL_PROCESSOR_ID, vmx->vpid);
	vmcs_write(VM_EXIT_CONTROLS, vmcfg.exit);
	vmcs_write(VM_ENTRY_CONTROLS, vmcfg.entry);
	vmcs_write(EPT_POINTER, vmx->eptp);
	vmcs_write(IO_BITMAP_A, page_to_phys(vmx_io_bitmaps));
	vmcs_write(IO_BITMAP_B, page_to_phys(vmx_io_bitmaps) + PAGE_SIZE);
	vmcs_write(MSR_BITMAP, page_to_phys(vmx_msr_bitmap));
	vmcs_write(VIRTUAL_APIC_PAGE_ADDR, virt_to_phys(vmx->vapic));
	vmcs_write(TPR_THRESHOLD, 0);
	/*
	 * #DB and #AC can loop forever in microcode: reflect them. #MC: a host
	 * machine check in the guest is the host's (vmx_enter_guest()). #UD:
	 * VMMCALL, AMD's hypercall, is fixed up (hypercall.c).
	 */
	vmcs_write(EXCEPTION_BITMAP, BIT(X86_TRAP_DB) | BIT(X86_TRAP_AC) | BIT(X86_TRAP_MC) |
				     BIT(X86_TRAP_UD));
	vmcs_write(PAGE_FAULT_ERROR_CODE_MASK, 0);
	vmcs_write(PAGE_FAULT_ERROR_CODE_MATCH, 0);
	vmcs_write(CR3_TARGET_COUNT, 0);
	vmcs_write(VM_EXIT_MSR_STORE_COUNT, 0);
	vmcs_write(VM_EXIT_MSR_LOAD_COUNT, 0);
	vmcs_write(VM_ENTRY_MSR_LOAD_COUNT, 0);
	vmcs_write(CR0_GUEST_HOST_MASK, CR0_HOST_OWNED);
	vmcs_write(CR4_GUEST_HOST_MASK, CR4_HOST_OWNED);

	/* Host state that does not change (per-CPU parts: vmx_set_host_percpu). */
	vmcs_write(HOST_CR0, read_cr0() & ~X86_CR0_TS);
	vmcs_write(HOST_CS_SELECTOR, __KERNEL_CS);
	vmcs_write(HOST_SS_SELECTOR, __KERNEL_DS);
	vmcs_write(HOST_DS_SELECTOR, 0);
	vmcs_write(HOST_ES_SELECTOR, 0);
	vmcs_write(HOST_TR_SELECTOR, GDT_ENTRY_TSS * 8);
	vmcs_write(HOST_IDTR_BASE, vmcfg.host_idt);
	vmcs_write(HOST_RIP, (unsigned long)kvmini_vmx_vmexit);
	vmcs_write(HOST_IA32_SYSENTER_CS, __KERNEL_CS);
	{
		unsigned long eip;

		rdmsrl(MSR_IA32_SYSENTER_EIP, eip);
		vmcs_write(HOST_IA32_SYSENTER_EIP, eip);
	}
	vmcs_write(HOST_IA32_EFER, vmcfg.host_efer);
	vmcs_write(HOST_IA32_PAT, vmcfg.host_pat);
	vmx->host_cr3 = vmx->host_cr4 = 0;	/* written at entry */
}

/* KVM's reset state: real mode at F000:FFF0 with CS base 0xFFFF0000. */
static void vmx_vcpu_reset(struct kvmini_vcpu *vcpu)
{
	struct vmx_vcpu *vmx = to_vmx(vcpu);
	struct kvmini_segment data = { .limit = 0xffff, .type = 3, .s = 1, .present = 1 };
	struct kvmini_segment cs = data, tr = { .limit = 0xffff, .type = 11, .present = 1 };
	struct kvmini_segment ldt = { .limit = 0xffff, .type = 2, .present = 1 };
	int i;

	cs.selector = 0xf000;
	cs.base = 0xffff0000;
	cs.type = 11;
	vmx_get(vcpu);
	for (i = 0; i < 6; i++)
		seg_write(&sreg_fields[i], i == 0 ? &cs : &data, false);
	seg_write(&sreg_fields[6], &tr, false);
	seg_write(&sreg_fields[7], &ldt, true);
	vmcs_write(GUEST_GDTR_BASE, 0);
	vmcs_write(GUEST_GDTR_LIMIT, 0xffff);
	vmcs_write(GUEST_IDTR_BASE, 0);
	vmcs_write(GUEST_IDTR_LIMIT, 0xffff);
	vmx->cr2 = 0;
	vmcs_write(GUEST_CR3, 0);
	vmcs_write(GUEST_DR7, KVMINI_DR7_INIT);
	vmcs_write(GUEST_IA32_DEBUGCTL, 0);
	vmcs_write(GUEST_IA32_PAT, 0x0007040600070406ULL);	/* the power-on PAT */
	vmcs_write(GUEST_SYSENTER_CS, 0);
	vmcs_write(GUEST_SYSENTER_ESP, 0);
	vmcs_write(GUEST_SYSENTER_EIP, 0);
	vmcs_write(GUEST_ACTIVITY_STATE, 0);
	vmcs_write(GUEST_PENDING_DBG_EXCEPTIONS, 0);
	vmx_put();
	vmx->star = vmx->lstar = vmx->cstar = vmx->sfmask = vmx->kernel_gs_base = 0;
	vmx->inj_info = 0;
	memset(vmx->vapic, 0, PAGE_SIZE);
	vmx_set_cr0(vcpu, X86_CR0_NW | X86_CR0_CD | X86_CR0_ET);
	vmx_load_cr4(vcpu);
}

static u16 vpid_alloc(void)
{
	unsigned long v;

	if (!vmcfg.vpid)
		return 0;
	spin_lock(&vpid_lock);
	v = find_next_zero_bit(vpid_used, 1 << 16, 1);
	if (v < (1 << 16))
		__set_bit(v, vpid_used);
	else
		v = 0;
	spin_unlock(&vpid_lock);
	return v;
}

static void vpid_free(u16 vpid)
{
	if (!vpid)
		return;
	spin_lock(&vpid_lock);
	__clear_bit(vpid, vpid_used);
	spin_unlock(&vpid_lock);
}

static void vmx_vcpu_free(struct kvmini_vcpu *vcpu);

static int vmx_vcpu_create(struct kvmini_vcpu *vcpu)
{
	struct vmx_vcpu *vmx = kzalloc(sizeof(*vmx), GFP_KERNEL_ACCOUNT);
	struct page *page;
	int r = -ENOMEM;

	if (!vmx)
		return -ENOMEM;
	vmx->cpu = -1;
	INIT_LIST_HEAD(&vmx->loaded);
	vcpu->arch = vmx;
	page = alloc_page(GFP_KERNEL_ACCOUNT | __GFP_ZERO);
	if (!page)
		goto fail;
	vmx->vmcs = page_address(page);
	vmx->vmcs_pa = page_to_phys(page);
	*(u32 *)vmx->vmcs = vmcfg.revision;
	vmx->vapic = (u8 *)get_zeroed_page(GFP_KERNEL_ACCOUNT);
	if (!vmx->vapic)
		goto fail;
	vmx->vpid = vpid_alloc();
	vmx->eptp = vcpu->vm->npt_root_pa | VMX_EPTP_PWL_4 | VMX_EPTP_MT_WB |
		    (vmcfg.ept_ad ? VMX_EPTP_AD_ENABLE_BIT : 0);

	/* A fresh VMCS must be VMCLEARed once before its first VMPTRLD. */
	preempt_disable();
	vmcs_clear(vmx->vmcs_pa);
	r = vmx_load(vmx, smp_processor_id());
	if (!r) {
		vmx_setup_vmcs(vcpu);
		vmcs_write(TSC_OFFSET, vcpu->tsc_offset);
	}
	preempt_enable();
	if (r)
		goto fail;
	return 0;
fail:
	vmx_vcpu_free(vcpu);
	return r;
}

static void vmx_vcpu_free(struct kvmini_vcpu *vcpu)
{
	struct vmx_vcpu *vmx = to_vmx(vcpu);
	int cpu;

	if (!vmx)
		return;
	cpu = READ_ONCE(vmx->cpu);
	if (cpu >= 0)
		smp_call_function_single(cpu, vmx_clear_ipi, vmx, 1);
	vpid_free(vmx->vpid);
	if (vmx->vmcs)
		free_page((unsigned long)vmx->vmcs);
	free_page((unsigned long)vmx->vapic);
	kfree(vmx);
	vcpu->arch = NULL;
}

/* --- entry --- */

static void vmx_vcpu_load(struct kvmini_vcpu *vcpu, int cpu)
{
	struct vmx_vcpu *vmx = to_vmx(vcpu);

	vmx->vmx_off = vmx_load(vmx, cpu) != 0;
}

static void vmx_flush_tlb(struct kvmini_vcpu *vcpu)
{
	to_vmx(vcpu)->need_flush = true;
}

/* Interrupts off, right before VM entry. */
static void l1d_flush(void)
{
	if (static_cpu_has(X86_FEATURE_FLUSH_L1D)) {
		native_wrmsrl(MSR_IA32_FLUSH_CMD, L1D_FLUSH);
		return;
	}
	/* Each page into the TLB, serialize, then every line of them into L1D. */
	asm volatile("xor %%eax, %%eax\n"
		     "1: movzbl (%[pages], %%rax), %%ecx\n\t"
		     "add $4096, %%eax\n\t"
		     "cmp %%eax, %[size]\n\t"
		     "jne 1b\n\t"
		     "xor %%eax, %%eax\n\t"
		     "cpuid\n\t"
		     "xor %%eax, %%eax\n"
		     "2: movzbl (%[pages], %%rax), %%ecx\n\t"
		     "add $64, %%eax\n\t"
		     "cmp %%eax, %[size]\n\t"
		     "jne 2b\n\t"
		     "lfence\n"
		     : : [pages] "r" (page_address(vmx_l1d_flush_pages)),
			 [size] "r" ((int)(PAGE_SIZE << L1D_FLUSH_ORDER))
		     : "eax", "ebx", "ecx", "edx", "memory");
}

/* The host state that can differ from one entry to the next. */
struct host_state {
	u16 ds, es, fs, gs, ldt;
	unsigned long fs_base, kernel_gs_base;
	u64 debugctl;
};

static void vmx_enter_guest(struct kvmini_vcpu *vcpu)
{
	struct vmx_vcpu *vmx = to_vmx(vcpu);
	struct vmx_cpu *vc = this_cpu_ptr(&vmx_cpu);
	struct host_state h;
	unsigned long cr3, cr4;
	int r;

	/*
	 * The reboot notifier switches VMX off with an IPI, which cannot come
	 * in between here and the VM exit (interrupts are off): checked once.
	 */
	if (vmx->vmx_off || !vc->on || vmx->cpu != smp_processor_id()) {
		vmx->vmx_off = true;
		return;
	}
	if (vmx->need_flush) {
		invept(vmcfg.invept_single ? VMX_EPT_EXTENT_CONTEXT : VMX_EPT_EXTENT_GLOBAL,
		       vmx->eptp);
		vmx->need_flush = false;
	}
	vmcs_write(GUEST_RIP, vcpu->rip);
	vmcs_write(GUEST_RSP, vcpu->regs[REG_RSP]);
	vmcs_write(GUEST_RFLAGS, vcpu->rflags);
	vmcs_write(GUEST_INTERRUPTIBILITY_INFO, shadow_to_vmx(vcpu->interrupt_shadow) |
		   (vcpu->nmi_masked ? GUEST_INTR_STATE_NMI : 0));
	vmcs_write(VM_ENTRY_INTR_INFO_FIELD, vmx->inj_info);
	if (vmx->inj_info & INTR_INFO_DELIVER_CODE_MASK)
		vmcs_write(VM_ENTRY_EXCEPTION_ERROR_CODE, vmx->inj_err);
	if (vmx->inj_len)
		vmcs_write(VM_ENTRY_INSTRUCTION_LEN, vmx->inj_len);
	/* Debug registers: MOV DR exits unless the guest uses them now. */
	set_proc(vmx, CPU_BASED_MOV_DR_EXITING, !vcpu->dr_live);
	vmcs_write(GUEST_DR7, vcpu->dr7);
	if (vmx->proc_ctl != vmx->proc_ctl_hw) {
		vmcs_write(CPU_BASED_VM_EXEC_CONTROL, vmx->proc_ctl);
		vmx->proc_ctl_hw = vmx->proc_ctl;
	}

	/* Host state of this moment: address space, CR4, segments, bases. */
	cr3 = __read_cr3();
	if (cr3 != vmx->host_cr3) {
		vmcs_write(HOST_CR3, cr3);
		vmx->host_cr3 = cr3;
	}
	cr4 = cr4_read_shadow();
	if (cr4 != vmx->host_cr4) {
		vmcs_write(HOST_CR4, cr4);
		vmx->host_cr4 = cr4;
	}
	savesegment(ds, h.ds);
	savesegment(es, h.es);
	savesegment(fs, h.fs);
	savesegment(gs, h.gs);
	asm volatile("sldt %0" : "=g" (h.ldt));
	/* A selector with RPL or TI set is not a valid host selector: reload it. */
	vmcs_write(HOST_FS_SELECTOR, (h.fs & 7) ? 0 : h.fs);
	vmcs_write(HOST_GS_SELECTOR, (h.gs & 7) ? 0 : h.gs);
	rdmsrl(MSR_FS_BASE, h.fs_base);
	vmcs_write(HOST_FS_BASE, h.fs_base);
	rdmsrl(MSR_KERNEL_GS_BASE, h.kernel_gs_base);
	wrmsrl(MSR_KERNEL_GS_BASE, vmx->kernel_gs_base);
	if (vmx->star != vmcfg.host_star)
		wrmsrl(MSR_STAR, vmx->star);
	if (vmx->lstar != vmcfg.host_lstar)
		wrmsrl(MSR_LSTAR, vmx->lstar);
	if (vmx->cstar != vmcfg.host_cstar)
		wrmsrl(MSR_CSTAR, vmx->cstar);
	if (vmx->sfmask != vmcfg.host_sfmask)
		wrmsrl(MSR_SYSCALL_MASK, vmx->sfmask);
	h.debugctl = 0;
	if (vmcfg.debugctl)
		rdmsrl(MSR_IA32_DEBUGCTLMSR, h.debugctl);
	if (native_read_cr2() != vmx->cr2)
		native_write_cr2(vmx->cr2);
	if (vmx_l1d_flush)
		l1d_flush();

	kvmini_guest_context_enter();
	r = kvmini_vmx_vmrun(vcpu->regs, vmx->launched);
	kvmini_guest_context_exit();

	vmx->cr2 = native_read_cr2();
	/* The VM exit left DS/ES/FS/GS/LDTR null or from the host fields. */
	if (h.ldt)
		asm volatile("lldt %0" : : "rm" (h.ldt));
	if (h.gs & 7)
		load_gs_index(h.gs);
	if (h.fs & 7)
		loadsegment(fs, h.fs);
	if (h.ds | h.es) {
		loadsegment(ds, h.ds);
		loadsegment(es, h.es);
	}
	rdmsrl(MSR_KERNEL_GS_BASE, vmx->kernel_gs_base);
	wrmsrl(MSR_KERNEL_GS_BASE, h.kernel_gs_base);
	if (vmx->star != vmcfg.host_star)
		wrmsrl(MSR_STAR, vmcfg.host_star);
	if (vmx->lstar != vmcfg.host_lstar)
		wrmsrl(MSR_LSTAR, vmcfg.host_lstar);
	if (vmx->cstar != vmcfg.host_cstar)
		wrmsrl(MSR_CSTAR, vmcfg.host_cstar);
	if (vmx->sfmask != vmcfg.host_sfmask)
		wrmsrl(MSR_SYSCALL_MASK, vmcfg.host_sfmask);
	if (h.debugctl)
		update_debugctlmsr(h.debugctl);
	/* VM exit sets the GDT limit to 0xffff and the TSS limit to 0x67. */
	load_fixmap_gdt(smp_processor_id());
	invalidate_tss_limit();
	if (vcpu->dr_live)	/* the guest may have moved DR7 (the core does the rest) */
		vcpu->dr7 = vmcs_read(GUEST_DR7);

	vmx->entry_failed = false;
	if (r) {		/* VMfail: the VM-instruction error says why */
		vmx->entry_failed = true;
		vmx->fail_reason = vmcs_read(VM_INSTRUCTION_ERROR);
		return;
	}
	vmx->exit_reason = vmcs_read(VM_EXIT_REASON);
	vcpu->exit_code = (u16)vmx->exit_reason;
	/* A host machine check during entry or in the guest: the host's (as KVM). */
	if ((u16)vmx->exit_reason == EXIT_REASON_MCE_DURING_VMENTRY)
		kvmini_machine_check();
	if (vmx->exit_reason & VMX_EXIT_REASONS_FAILED_VMENTRY) {
		vmx->entry_failed = true;	/* guest state untouched, not launched */
		vmx->fail_reason = vmx->exit_reason;
		return;
	}
	vmx->launched = true;
	vmx->exit_qual = vmcs_read(EXIT_QUALIFICATION);
	vmx->intr_info = vmcs_read(VM_EXIT_INTR_INFO);
	if ((u16)vmx->exit_reason == EXIT_REASON_EXCEPTION_NMI &&
	    (vmx->intr_info & (INTR_INFO_INTR_TYPE_MASK | INTR_INFO_VECTOR_MASK)) ==
	    (INTR_TYPE_HARD_EXCEPTION | X86_TRAP_MC))
		kvmini_machine_check();
	if (vmx->intr_info & INTR_INFO_DELIVER_CODE_MASK)
		vmx->intr_err = vmcs_read(VM_EXIT_INTR_ERROR_CODE);
	vmx->idt_info = vmcs_read(IDT_VECTORING_INFO_FIELD);
	if (vmx->idt_info & VECTORING_INFO_DELIVER_CODE_MASK)
		vmx->idt_err = vmcs_read(IDT_VECTORING_ERROR_CODE);
	vmx->insn_len = vmcs_read(VM_EXIT_INSTRUCTION_LEN);
	if ((u16)vmx->exit_reason == EXIT_REASON_EPT_VIOLATION)
		vmx->gpa = vmcs_read(GUEST_PHYSICAL_ADDRESS);
	{
		u32 intr = vmcs_read(GUEST_INTERRUPTIBILITY_INFO);

		vcpu->interrupt_shadow = shadow_from_vmx(intr);
		vcpu->nmi_masked = intr & GUEST_INTR_STATE_NMI;
	}
	vcpu->rip = vmcs_read(GUEST_RIP);
	vcpu->regs[REG_RSP] = vmcs_read(GUEST_RSP);
	vcpu->rflags = vmcs_read(GUEST_RFLAGS);
	vmx->inj_info = 0;
	vmx->inj_len = 0;
}

/* --- exit handlers --- */

static int handle_nothing(struct kvmini_vcpu *vcpu)
{
	return 1;	/* the host takes its interrupt once interrupts are on */
}

static int handle_exception_nmi(struct kvmini_vcpu *vcpu)
{
	struct vmx_vcpu *vmx = to_vmx(vcpu);
	u32 info = vmx->intr_info;
	u8 vector = info & INTR_INFO_VECTOR_MASK;

	if ((info & INTR_INFO_INTR_TYPE_MASK) == INTR_TYPE_NMI_INTR) {
		/* The host's NMI, caught by NMI exiting: raise it again here. */
		apic->send_IPI_mask(cpumask_of(raw_smp_processor_id()), NMI_VECTOR);
		return 1;
	}
	/*
	 * A fault during the NMI handler's IRET unblocked NMIs; it runs again
	 * after the fault, so NMIs are blocked again until it completes.
	 */
	if ((info & INTR_INFO_UNBLOCK_NMI) && vector != 8 &&
	    !(vmx->idt_info & VECTORING_INFO_VALID_MASK))
		vcpu->nmi_masked = true;
	if (vector == X86_TRAP_MC)
		return EMU_REENTER;	/* the host's, handled at the exit */
	if (vector == X86_TRAP_UD)
		return kvmini_exit_ud_intercept(vcpu);
	if (vector == X86_TRAP_DB)	/* the exit qualification holds DR6's why */
		vcpu->dr6 = (KVMINI_DR6_INIT & ~0x600fULL) | (vmx->exit_qual & 0x600f);
	if (vector == X86_TRAP_DB || vector == X86_TRAP_AC) {
		kvmini_queue_exception(vcpu, vector, vector == X86_TRAP_AC, vmx->intr_err, 0);
		return EMU_REENTER;
	}
	return kvmini_exit_internal(vcpu, KVMINI_INTERNAL_ERROR_UNEXPECTED_EXIT_REASON,
				    3, (u64)vmx->exit_reason, (u64)info, (u64)vcpu->cpu);
}

static int handle_irq_window(struct kvmini_vcpu *vcpu)
{
	set_proc(to_vmx(vcpu), CPU_BASED_INTR_WINDOW_EXITING, false);
	return kvmini_exit_irq_window(vcpu);
}

static int handle_nmi_window(struct kvmini_vcpu *vcpu)
{
	set_proc(to_vmx(vcpu), CPU_BASED_NMI_WINDOW_EXITING, false);
	vcpu->stat.nmi_window_exits++;
	return 1;	/* the pending NMI goes in at the next entry */
}

static int handle_hlt(struct kvmini_vcpu *vcpu)
{
	return kvmini_exit_hlt(vcpu, to_vmx(vcpu)->insn_len);
}

static int handle_cpuid(struct kvmini_vcpu *vcpu)
{
	return kvmini_exit_cpuid(vcpu, to_vmx(vcpu)->insn_len);
}

/* The exit qualification: size, direction, string, rep, port; the rest in INSTRUCTION_INFO. */
static int handle_io(struct kvmini_vcpu *vcpu)
{
	struct vmx_vcpu *vmx = to_vmx(vcpu);
	u64 q = vmx->exit_qual;
	struct kvmini_io io = {
		.port = q >> 16,
		.size = (q & 7) + 1,
		.in = q & BIT(3),
		.string = q & BIT(4),
		.rep = q & BIT(5),
		.seg = KVMINI_IO_SEG_UNKNOWN,
	};

	if (io.string && vmcfg.inout_info) {
		static const u8 seg_of[8] = { SEG_ES, SEG_CS, SEG_SS, SEG_DS,
					      SEG_FS, SEG_GS, SEG_DS, SEG_DS };
		u32 info = vmx_read(vcpu, VMX_INSTRUCTION_INFO);

		io.addr_size = 2 << ((info >> 7) & 7);
		io.seg = io.in ? SEG_ES : seg_of[(info >> 15) & 7];
	}
	return kvmini_exit_pio(vcpu, &io, vmx->insn_len);
}

static int handle_vmcall(struct kvmini_vcpu *vcpu)
{
	return kvmini_exit_hypercall(vcpu, to_vmx(vcpu)->insn_len);
}

/*
 * CR0 and CR4 writes (the bits kvmini owns) exit; the exit qualification
 * says which register, how, and from which GPR (LMSW: its source data).
 */
static int handle_cr(struct kvmini_vcpu *vcpu)
{
	struct vmx_vcpu *vmx = to_vmx(vcpu);
	u64 q = vmx->exit_qual;
	int cr = q & 15, type = (q >> 4) & 3, reg = (q >> 8) & 15;

	if (type == 0)		/* MOV to CR */
		return kvmini_exit_cr_write(vcpu, cr, vcpu->regs[reg], vmx->insn_len);
	if (type == 3)		/* LMSW */
		return kvmini_exit_lmsw(vcpu, q >> 16, vmx->insn_len);
	return kvmini_exit_cr_access(vcpu);	/* CLTS, MOV from CR: not expected */
}

/* MSRs that live in the VMCS. */
static unsigned long vmcs_msr_field(u32 msr)
{
	switch (msr) {
	case MSR_FS_BASE:		return GUEST_FS_BASE;
	case MSR_GS_BASE:		return GUEST_GS_BASE;
	case MSR_IA32_SYSENTER_CS:	return GUEST_SYSENTER_CS;
	case MSR_IA32_SYSENTER_ESP:	return GUEST_SYSENTER_ESP;
	case MSR_IA32_SYSENTER_EIP:	return GUEST_SYSENTER_EIP;
	case MSR_IA32_CR_PAT:		return GUEST_IA32_PAT;
	default:			return 0;
	}
}

static u64 *vmx_msr_slot(struct kvmini_vcpu *vcpu, u32 msr)
{
	struct vmx_vcpu *vmx = to_vmx(vcpu);

	switch (msr) {
	case MSR_STAR:			return &vmx->star;
	case MSR_LSTAR:			return &vmx->lstar;
	case MSR_CSTAR:			return &vmx->cstar;
	case MSR_SYSCALL_MASK:		return &vmx->sfmask;
	case MSR_KERNEL_GS_BASE:	return &vmx->kernel_gs_base;
	default:			return NULL;
	}
}

static int vmx_get_msr(struct kvmini_vcpu *vcpu, u32 msr, u64 *val)
{
	unsigned long field = vmcs_msr_field(msr);
	u64 *p;

	if (field) {
		*val = vmx_read(vcpu, field);
		return 0;
	}
	p = vmx_msr_slot(vcpu, msr);
	if (!p)
		return -ENOENT;
	*val = *p;
	return 0;
}

/* The MSR filter denies one of the pass-through MSRs: intercept them all. */
static void vmx_intercept_all_msrs(struct kvmini_vcpu *vcpu, bool all)
{
	vmcs_write(MSR_BITMAP, page_to_phys(all ? vmx_msr_bitmap_all : vmx_msr_bitmap));
}

static void vmx_load_tsc_offset(struct kvmini_vcpu *vcpu)
{
	vmx_write(vcpu, TSC_OFFSET, vcpu->tsc_offset);
}

static int vmx_set_msr(struct kvmini_vcpu *vcpu, u32 msr, u64 val)
{
	unsigned long field = vmcs_msr_field(msr);
	u64 *p;

	if (field) {
		vmx_write(vcpu, field, val);
		return 0;
	}
	p = vmx_msr_slot(vcpu, msr);
	if (!p)
		return -ENOENT;
	*p = val;
	return 0;
}

static int handle_msr(struct kvmini_vcpu *vcpu)
{
	struct vmx_vcpu *vmx = to_vmx(vcpu);

	return kvmini_exit_msr(vcpu, (u16)vmx->exit_reason == EXIT_REASON_MSR_WRITE,
			       vmx->insn_len);
}

static int handle_xsetbv(struct kvmini_vcpu *vcpu)
{
	return kvmini_exit_xsetbv(vcpu, to_vmx(vcpu)->insn_len);
}

static int handle_rdpmc(struct kvmini_vcpu *vcpu)
{
	return kvmini_exit_rdpmc(vcpu, to_vmx(vcpu)->insn_len);
}

static int handle_skip(struct kvmini_vcpu *vcpu)
{
	return kvmini_exit_nop(vcpu, to_vmx(vcpu)->insn_len);	/* INVD, WBINVD */
}

static int handle_monitor_mwait(struct kvmini_vcpu *vcpu)
{
	return kvmini_exit_monitor_mwait(vcpu, to_vmx(vcpu)->insn_len);
}

static int handle_ept_violation(struct kvmini_vcpu *vcpu)
{
	struct vmx_vcpu *vmx = to_vmx(vcpu);
	u64 q = vmx->exit_qual;

	/* As for exceptions: an IRET that faulted unblocked NMIs too early. */
	if ((q & EXIT_QUAL_NMI_UNBLOCK) && !(vmx->idt_info & VECTORING_INFO_VALID_MASK))
		vcpu->nmi_masked = true;
	return kvmini_exit_npf(vcpu, vmx->gpa, q & EPT_VIOLATION_ACC_WRITE,
			       q & EPT_VIOLATION_ACC_INSTR,
			       (vmx->idt_info & VECTORING_INFO_VALID_MASK) ? vmx->idt_info : 0);
}

static int handle_unexpected(struct kvmini_vcpu *vcpu)
{
	struct vmx_vcpu *vmx = to_vmx(vcpu);

	return kvmini_exit_internal(vcpu, KVMINI_INTERNAL_ERROR_UNEXPECTED_EXIT_REASON,
				    3, (u64)vmx->exit_reason, vmx->exit_qual, (u64)vcpu->cpu);
}

static int (*const vmx_exit_handlers[])(struct kvmini_vcpu *vcpu) = {
	[EXIT_REASON_EXCEPTION_NMI] = handle_exception_nmi,
	[EXIT_REASON_EXTERNAL_INTERRUPT] = kvmini_exit_host_event,
	[EXIT_REASON_TRIPLE_FAULT] = kvmini_exit_shutdown,
	[EXIT_REASON_INIT_SIGNAL] = handle_nothing,
	[EXIT_REASON_INTERRUPT_WINDOW] = handle_irq_window,
	[EXIT_REASON_NMI_WINDOW] = handle_nmi_window,
	[EXIT_REASON_CPUID] = handle_cpuid,
	[EXIT_REASON_HLT] = handle_hlt,
	[EXIT_REASON_INVD] = handle_skip,
	[EXIT_REASON_RDPMC] = handle_rdpmc,
	[EXIT_REASON_VMCALL] = handle_vmcall,
	[EXIT_REASON_VMCLEAR] = kvmini_exit_ud,	/* the guest has no VMX */
	[EXIT_REASON_VMLAUNCH] = kvmini_exit_ud,
	[EXIT_REASON_VMPTRLD] = kvmini_exit_ud,
	[EXIT_REASON_VMPTRST] = kvmini_exit_ud,
	[EXIT_REASON_VMREAD] = kvmini_exit_ud,
	[EXIT_REASON_VMRESUME] = kvmini_exit_ud,
	[EXIT_REASON_VMWRITE] = kvmini_exit_ud,
	[EXIT_REASON_VMOFF] = kvmini_exit_ud,
	[EXIT_REASON_VMON] = kvmini_exit_ud,
	[EXIT_REASON_CR_ACCESS] = handle_cr,
	[EXIT_REASON_DR_ACCESS] = kvmini_exit_dr_access,
	[EXIT_REASON_IO_INSTRUCTION] = handle_io,
	[EXIT_REASON_MSR_READ] = handle_msr,
	[EXIT_REASON_MSR_WRITE] = handle_msr,
	[EXIT_REASON_MWAIT_INSTRUCTION] = handle_monitor_mwait,
	[EXIT_REASON_MONITOR_INSTRUCTION] = handle_monitor_mwait,
	[EXIT_REASON_TPR_BELOW_THRESHOLD] = kvmini_exit_set_tpr,
	[EXIT_REASON_EPT_VIOLATION] = handle_ept_violation,
	[EXIT_REASON_INVEPT] = kvmini_exit_ud,
	[EXIT_REASON_INVVPID] = kvmini_exit_ud,
	[EXIT_REASON_VMFUNC] = kvmini_exit_ud,
	[EXIT_REASON_WBINVD] = handle_skip,
	[EXIT_REASON_XSETBV] = handle_xsetbv,
	[EXIT_REASON_PREEMPTION_TIMER] = handle_nothing,
};

static int vmx_handle_exit(struct kvmini_vcpu *vcpu)
{
	struct vmx_vcpu *vmx = to_vmx(vcpu);
	u16 basic = vmx->exit_reason;
	u32 idt = vmx->idt_info;
	int (*handler)(struct kvmini_vcpu *vcpu) = NULL;

	if (vmx->vmx_off)
		return -EIO;	/* the host is going down */
	if (vmx->entry_failed)
		return kvmini_exit_fail_entry(vcpu, vmx->fail_reason);
	/* An event whose delivery the exit interrupted is delivered again. */
	if (idt & VECTORING_INFO_VALID_MASK) {
		u32 type = idt & VECTORING_INFO_TYPE_MASK;

		vmx->inj_info = idt & (VECTORING_INFO_VECTOR_MASK | VECTORING_INFO_TYPE_MASK |
				       VECTORING_INFO_DELIVER_CODE_MASK | INJ_VALID);
		vmx->inj_err = vmx->idt_err;
		if (type == INTR_TYPE_SOFT_INTR || type == INTR_TYPE_SOFT_EXCEPTION ||
		    type == INTR_TYPE_PRIV_SW_EXCEPTION)
			vmx->inj_len = vmx->insn_len;
		if (type == INTR_TYPE_NMI_INTR)
			vcpu->nmi_masked = false;	/* it was not delivered */
	}
	if (basic < ARRAY_SIZE(vmx_exit_handlers))
		handler = vmx_exit_handlers[basic];
	return handler ? handler(vcpu) : handle_unexpected(vcpu);
}

/* EPT entries: RWX bits; leaves write-back, accessed and dirty preset. */
static const struct kvmini_pt_format vmx_pt_format = {
	.dir = VMX_EPT_RWX_MASK,
	.leaf = VMX_EPT_READABLE_MASK | VMX_EPT_EXECUTABLE_MASK |
		(VMX_EPTP_MT_WB << VMX_EPT_MT_EPTE_SHIFT) |
		VMX_EPT_ACCESS_BIT | VMX_EPT_DIRTY_BIT,
	.write = VMX_EPT_WRITABLE_MASK,
	.present = VMX_EPT_RWX_MASK,
	.exec = VMX_EPT_EXECUTABLE_MASK,
};

static int vmx_pt_max_level(void)
{
	return vmcfg.ept_level;
}

const struct kvmini_backend kvmini_vmx_backend = {
	.name = "Intel VMX",
	.hypercall_insn = { 0x0f, 0x01, 0xc1 },		/* VMCALL */
	.probe = vmx_probe,
	.init = vmx_init,
	.exit = vmx_exit,
	.cpu_enable = vmx_cpu_enable,
	.cpu_disable = vmx_cpu_disable,
	.pt_format = &vmx_pt_format,
	.pt_max_level = vmx_pt_max_level,
	.vmx = true,
	.vcpu_create = vmx_vcpu_create,
	.vcpu_free = vmx_vcpu_free,
	.vcpu_reset = vmx_vcpu_reset,
	.vcpu_load = vmx_vcpu_load,
	.flush_tlb = vmx_flush_tlb,
	.enter_guest = vmx_enter_guest,
	.handle_exit = vmx_handle_exit,
	.get_sregs = vmx_get_sregs,
	.set_sregs = vmx_set_sregs,
	.get_paging = vmx_get_paging,
	.set_cr0 = vmx_set_cr0,
	.load_cr4 = vmx_load_cr4,
	.load_efer = vmx_load_efer,
	.load_tsc_offset = vmx_load_tsc_offset,
	.intercept_all_msrs = vmx_intercept_all_msrs,
	.queue_exception = vmx_queue_exception,
	.seg_base = vmx_seg_base,
	.cs_mode = vmx_cs_mode,
	.cpl = vmx_cpl,
	.get_cr8 = vmx_get_cr8,
	.set_cr8 = vmx_set_cr8,
	.interrupt_allowed = vmx_interrupt_allowed,
	.inject_events = vmx_inject_events,
	.get_events = vmx_get_events,
	.set_events = vmx_set_events,
	.nmi_in_flight = vmx_nmi_in_flight,
	.get_msr = vmx_get_msr,
	.set_msr = vmx_set_msr,
};
