/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kvmini internals: the vendor-neutral core and the one ops table every
 * vendor backend (svm.c, vmx.c) fills in.
 *
 * Files:
 *   main.c    module init/exit, /dev/kvmini and its system ioctls, capabilities
 *   vm.c      VM objects and their ioctls
 *   vcpu.c    vCPU objects, their ioctls and the run loop
 *   exit.c    the exits whose rules are the same on every vendor
 *   hypercall.c  KVM's hypercall ABI, answered in the kernel
 *   kvmclock.c   KVM's paravirtual clock: the VM's clock, the guest's MSRs
 *   steal.c   KVM's paravirtual steal time: the guest's MSR and its area
 *   msr_user.c   the MSR filter and MSR exits to the VMM
 *   irq.c     GSI routes, KVMINI_IRQ_LINE, KVMINI_SIGNAL_MSI, irqfds
 *   pic.c     the two 8259 PICs    } KVMINI_CREATE_IRQCHIP: the whole
 *   ioapic.c  the IOAPIC           } irqchip in the kernel
 *   pit.c     the 8254 PIT (KVMINI_CREATE_PIT2)
 *   cr.c      control registers and EFER: guest writes and SET_SREGS, KVM's rules
 *   pio.c     port I/O exits, string I/O
 *   mmio.c    MMIO: emulating the instruction of a device access
 *   lapic.c   the in-kernel local APIC (either irqchip), HLT and INIT/SIPI
 *   ioeventfd.c  KVMINI_IOEVENTFD: guest port and MMIO writes that signal
 *             an eventfd in the kernel
 *   emulate.c what every emulated instruction needs (fetch, registers, memory)
 *   insn.c    x86 decoder and ALU for it (also built in userspace: insn.h)
 *   mmu.c     memory slots, nested page tables, guest memory access
 *   cpuid.c   supported CPUID, the vCPU's CPUID table, guest CPUID
 *   msr.c     MSRs: the rules, and vendor-neutral MSR state
 *   virt.c    turning hardware virtualization on and off on host CPUs
 *   svm.c     AMD SVM backend (svm_vmrun.S: the world switch)
 *   vmx.c     Intel VMX backend (vmx_vmrun.S: the world switch)
 *
 * Rules: only the core touches __user pointers and writes vcpu->run; a
 * backend decodes its hardware's exit and calls the core's helper for it
 * (exit.c, pio.c, cr.c) with what the hardware decoded.
 *
 * Lock order (outermost first; take them in this order, never the reverse):
 *
 *   cpu_hotplug_lock (cpus_read_lock)
 *     kvmini_virt_lock   (virt.c: how many users want virtualization on)
 *
 *   vm->lock            (per-VM configuration: vCPU table, slot updates,
 *                        dirty log, GSI routes, irqfd assignment; as
 *                        KVM's kvm->lock, slots_lock and irq_lock)
 *     vcpu->mutex       (one vCPU ioctl at a time; held across KVMINI_RUN)
 *       mmap_lock       (the VMM's: get_user_pages and any copy_*_user,
 *                        whose page faults take it; so no copy_*_user
 *                        under a spinlock)
 *         vm->mmu->mmu_lock  (spinlock: nested page tables, mmu_seq, dirty
 *                        bits; taken by MMU notifiers under mmap_lock;
 *                        never sleep under it)
 *           vpid_lock   (vmx.c, spinlock: the VPID bitmap)
 *     vm->irqfds.resampler_lock (irq.c, mutex: resamplers come and go)
 *     pit->lock         (pit.c, mutex: the PIT's channels)
 *     eventfd wait-queue lock (irq.c: an irqfd's wake-up callback runs
 *                        under it, interrupts off, and raises its GSI)
 *       vm->irqfds.lock (spinlock, interrupts off: the active irqfds)
 *       pic->lock, ioapic->lock (spinlocks, interrupts off; never one
 *                        under the other: a chip drops its lock before
 *                        it passes an acknowledgement on, which may set
 *                        lines or signal a resample eventfd)
 *   vm->clock.lock      (kvmclock.c, spinlock: the VM's clock; a leaf:
 *                        no other lock is taken while it is held)
 *   RCU read side: slot lookups (gfn_tree, slots), GSI routes, inside any
 *   of them; ioeventfd lookups (ioeventfd.c; arrays replaced under
 *   vm->lock), which signal an eventfd under it (its wait queue's
 *   spinlock: a leaf for kvmini).
 *   Interrupts off, no lock: per-CPU backend state (ASIDs, loaded VMCSs).
 *   No lock at all: interrupt delivery to a local APIC (lapic.c: atomic
 *   IRR/TMR bits and events, then a kick), from any context, any CPU.
 *
 * A VM holds a virtualization reference from creation to destruction, so
 * no VM ioctl ever needs cpu_hotplug_lock or kvmini_virt_lock. No path
 * takes vm->lock while holding a vcpu->mutex today; the order is KVM's,
 * for the in-kernel irqchip to come (it locks every vCPU under vm->lock).
 */
#ifndef KVMINI_INTERNAL_H
#define KVMINI_INTERNAL_H

#include <linux/types.h>
#include <linux/mutex.h>
#include <linux/rcupdate.h>
#include <linux/rcuwait.h>
#include <linux/refcount.h>
#include <linux/signal.h>
#include <linux/spinlock.h>
#include <asm/fpu/api.h>
#include <asm/fpu/types.h>

#include <linux/kvmini.h>

#include "insn.h"

#define KVMINI_PFX "kvmini: "

struct kvmini_vcpu;
struct kvmini_vm;
struct kvmini_paging;

/*
 * A vendor backend. The core picks the first whose probe() returns 0, and
 * refuses one that leaves a mandatory op out (main.c).
 * cpu_enable()/cpu_disable() run on the CPU concerned with interrupts off.
 * The guest's CR4 and EFER are the core's (vcpu->cr4, vcpu->efer: every
 * write to them exits on both vendors); a backend loads them into its
 * hardware state when the core says so.
 */
struct kvmini_backend {
	const char *name;
	/* 0 if usable; -ENODEV if not this vendor; other errors are logged. */
	int (*probe)(void);
	/* Allocate and free per-CPU resources, for every possible CPU. */
	int (*init)(void);
	void (*exit)(void);
	/* -EBUSY if another hypervisor already has virtualization on. */
	int (*cpu_enable)(void);
	void (*cpu_disable)(void);
	const struct kvmini_pt_format *pt_format;
	/* The largest nested leaf the hardware maps: 1 (4K), 2 (2M), 3 (1G). */
	int (*pt_max_level)(void);
	/* The world switch loads and saves the guest's DR6 (else the core does). */
	bool switches_dr6;
	/* The native hypercall instruction: VMMCALL or VMCALL (hypercall.c). */
	u8 hypercall_insn[3];
	/* vcpu->exit_code is a VMX basic exit reason, else an SVM exit code. */
	bool vmx;

	/* vCPUs: create allocates (the core resets it next); free undoes create. */
	int (*vcpu_create)(struct kvmini_vcpu *vcpu);
	void (*vcpu_free)(struct kvmini_vcpu *vcpu);
	/* The vendor's part of KVM's RESET/INIT state (kvmini_vcpu_reset()). */
	void (*vcpu_reset)(struct kvmini_vcpu *vcpu);
	/* Preemption off: @vcpu is about to run on this CPU (moved if new). */
	void (*vcpu_load)(struct kvmini_vcpu *vcpu, int cpu);
	/* Interrupts off: take a fresh TLB context before the next entry. */
	void (*flush_tlb)(struct kvmini_vcpu *vcpu);
	/* Interrupts off: enter the guest once, return at its exit. */
	void (*enter_guest)(struct kvmini_vcpu *vcpu);
	/* Preemptible: decode the exit and handle it (enum kvmini_emu, or <0). */
	int (*handle_exit)(struct kvmini_vcpu *vcpu);
	/* Segments, descriptor tables, CR0 CR2 CR3 CR8 (the core does the rest). */
	void (*get_sregs)(struct kvmini_vcpu *vcpu, struct kvmini_sregs *s);
	void (*set_sregs)(struct kvmini_vcpu *vcpu, const struct kvmini_sregs *s);
	void (*get_paging)(struct kvmini_vcpu *vcpu, struct kvmini_paging *pg);
	/*
	 * Load a CR0 value cr.c checked (EFER.LMA follows PG with LME, PAE
	 * PDPTRs are in vcpu->pdptrs), and vcpu->cr4, vcpu->efer.
	 */
	void (*set_cr0)(struct kvmini_vcpu *vcpu, u64 cr0);
	void (*load_cr4)(struct kvmini_vcpu *vcpu);
	void (*load_efer)(struct kvmini_vcpu *vcpu);
	/* Interrupts off, before entry: intercept every MSR, or only the usual. */
	void (*intercept_all_msrs)(struct kvmini_vcpu *vcpu, bool all);
	/* Load vcpu->tsc_offset (guest TSC = host TSC + offset). */
	void (*load_tsc_offset)(struct kvmini_vcpu *vcpu);
	/* Queue an exception for the next entry (@cr2 for #PF). */
	void (*queue_exception)(struct kvmini_vcpu *vcpu, u8 vector,
				bool has_error, u32 error, u64 cr2);
	/* Segment base and 16/32/64-bit mode of the code segment. */
	u64 (*seg_base)(struct kvmini_vcpu *vcpu, int seg);
	int (*cs_mode)(struct kvmini_vcpu *vcpu);
	int (*cpl)(struct kvmini_vcpu *vcpu);
	/* The TPR (CR8), and whether an external interrupt could go in now. */
	u64 (*get_cr8)(struct kvmini_vcpu *vcpu);
	void (*set_cr8)(struct kvmini_vcpu *vcpu, u64 cr8);
	bool (*interrupt_allowed)(struct kvmini_vcpu *vcpu);
	/*
	 * Interrupts off, before entry: inject irq_pending unless another
	 * event is already going in, and ask for an exit when the guest can
	 * take one (irq_pending still waiting, or want_irq_window). True if
	 * this entry delivers an external interrupt.
	 */
	bool (*inject_events)(struct kvmini_vcpu *vcpu);
	/* KVMINI_GET/SET_VCPU_EVENTS: the event in flight (the shadow is the core's). */
	void (*get_events)(struct kvmini_vcpu *vcpu, struct kvmini_vcpu_events *e);
	void (*set_events)(struct kvmini_vcpu *vcpu, const struct kvmini_vcpu_events *e);
	/* Is an NMI being injected right now (in flight)? */
	bool (*nmi_in_flight)(struct kvmini_vcpu *vcpu);
	/*
	 * The MSRs of kvmini_msr_list the backend keeps: 0 or -ENOENT (not
	 * the backend's). set_msr gets values msr.c has checked.
	 */
	int (*get_msr)(struct kvmini_vcpu *vcpu, u32 msr, u64 *val);
	int (*set_msr)(struct kvmini_vcpu *vcpu, u32 msr, u64 val);
};

/* Segment numbers, in the order of the x86 segment-override prefixes. */
enum { SEG_ES, SEG_CS, SEG_SS, SEG_DS, SEG_FS, SEG_GS };

/* General-purpose registers, in x86 encoding order. */
enum {
	REG_RAX, REG_RCX, REG_RDX, REG_RBX, REG_RSP, REG_RBP, REG_RSI, REG_RDI,
	REG_R8, REG_R9, REG_R10, REG_R11, REG_R12, REG_R13, REG_R14, REG_R15,
	NR_GPRS
};

enum { OUTSIDE_GUEST_MODE, IN_GUEST_MODE };

/* msr.c: MSRs that are plain vCPU state, for every vendor. */
#define KVMINI_NR_FIXED_MTRRS	11
#define KVMINI_NR_VAR_MTRRS	8
#define KVMINI_MCE_BANKS	32	/* as KVM */
struct kvmini_msr_state {
	u64 mtrr_fixed[KVMINI_NR_FIXED_MTRRS];
	u64 mtrr_var[2 * KVMINI_NR_VAR_MTRRS];	/* base, mask pairs */
	u64 mtrr_deftype;
	u64 mcg_cap, mcg_status, mcg_ctl;
	u64 mce_banks[4 * KVMINI_MCE_BANKS];	/* CTL STATUS ADDR MISC */
	u64 misc_enable;
	u64 tsc_adjust;
	u64 ucode_rev, arch_caps, platform_info, misc_features;
	u64 power_ctl, smbase, smi_count, hwcr;
	u64 feat_ctl;				/* Intel's */
	u64 de_cfg;				/* AMD's */
};
extern const u32 kvmini_msr_list[];
extern const unsigned int kvmini_nr_msrs;
/* @host: KVMINI_GET/SET_MSRS, else the guest's RDMSR/WRMSR. 0 or -EINVAL. */
int kvmini_get_msr(struct kvmini_vcpu *vcpu, u32 msr, u64 *val, bool host);
int kvmini_set_msr(struct kvmini_vcpu *vcpu, u32 msr, u64 val, bool host);
/* The guest's TSC is the host's plus @offset from now on. */
void kvmini_set_tsc_offset(struct kvmini_vcpu *vcpu, u64 offset);
void kvmini_msr_create(struct kvmini_vcpu *vcpu);
u64 kvmini_mce_cap_supported(void);
long kvmini_setup_mce(struct kvmini_vcpu *vcpu, u64 mcg_cap);
long kvmini_set_mce(struct kvmini_vcpu *vcpu, const struct kvmini_x86_mce *mce);

/*
 * What exit handlers, completions and emulation steps return (emulate.c):
 * a negative errno fails KVMINI_RUN; EMU_EXIT and EMU_REENTER are all an
 * exit handler or a completion returns; EMU_CONTINUE only between steps.
 */
enum kvmini_emu {
	EMU_EXIT,	/* to userspace: vcpu->run describes the exit */
	EMU_REENTER,	/* back into the guest (done, or a fault was queued) */
	EMU_CONTINUE,	/* go on with the next step */
};

/* emulate.c: a memory operand of an emulated instruction, by pages. */
struct kvmini_access {
	struct kvmini_access_piece {
		u64 gpa;
		u16 off, len;		/* bytes of the operand in this page */
		bool ram;		/* in a slot the access may use */
	} piece[2];
	u8 npieces, cur;
	u16 len;
	u16 done, inflight;	/* of piece[cur]: bytes done, in an MMIO exit */
	bool write;
};

/* pio.c: a port I/O exit, as the backend decoded it. */
#define KVMINI_IO_SEG_UNKNOWN	0xff
struct kvmini_io {
	u16 port;
	u8 size;		/* 1, 2, 4 */
	bool in, string, rep;
	u8 seg;			/* OUTS's segment, or KVMINI_IO_SEG_UNKNOWN */
	u8 addr_size;		/* string I/O: 2, 4, 8; 0: not decoded */
};

#define KVMINI_REQ_TLB_FLUSH	0	/* bits in vcpu->requests */
#define KVMINI_REQ_TRIPLE_FAULT	1
#define KVMINI_REQ_MSR_FILTER	2	/* the MSR filter changed */
#define KVMINI_REQ_CLOCK_UPDATE	3	/* rewrite the kvmclock time info */
#define KVMINI_REQ_EVENT	4	/* the APIC has something: look before entry */
#define KVMINI_REQ_IOAPIC_EOI	5	/* exit with KVMINI_EXIT_IOAPIC_EOI */
#define KVMINI_REQ_SCAN_IOAPIC	6	/* which EOIs exit: look at the routes again */
#define KVMINI_REQ_STEAL_UPDATE	7	/* add the thread's wait to the guest's steal time */

/*
 * stats.c: what KVMINI_GET_STATS_FD reads (KVM's names where KVM counts the
 * same thing). vCPU counters are written only by the vCPU's own thread;
 * VM counters under mmu_lock (pages_*) or atomically.
 */
struct kvmini_vm_stat {
	u64 pages[3];			/* nested leaves mapped: 4 KiB, 2 MiB, 1 GiB */
	atomic64_t remote_tlb_flush;	/* kvmini_flush_remote_tlbs() calls */
};

struct kvmini_vcpu_stat {
	u64 exits;			/* every exit from the guest */
	u64 irq_exits;			/* a host interrupt (or NMI, SMI) stopped it */
	u64 halt_exits, io_exits, mmio_exits, signal_exits;
	u64 irq_window_exits, nmi_window_exits, request_irq_exits;
	u64 cpuid_exits, msr_exits, cr_exits, hypercalls;
	u64 irq_injections, nmi_injections, exception_injections;
	u64 pf_taken;			/* nested page faults */
	u64 pf_fixed, pf_fixed_2m, pf_fixed_1g;	/* ...that mapped memory (at 2M, 1G) */
	u64 pf_emulate;			/* ...that were a device's: emulated */
	u64 insn_emulation;		/* instructions emulated (MMIO) */
	u64 tlb_flush;			/* flushes done before entry */
};

int kvmini_vm_stats_fd(struct kvmini_vm *vm);
int kvmini_vcpu_stats_fd(struct kvmini_vcpu *vcpu);

struct kvmini_vcpu {
	struct kvmini_vm *vm;
	u32 id;
	struct mutex mutex;		/* one ioctl at a time */
	struct kvmini_run *run;		/* shared with userspace, page 0 */
	void *pio_data;			/* shared with userspace, page 1 */

	unsigned long regs[NR_GPRS];	/* the backend syncs these... */
	unsigned long rip, rflags;	/* ...with the hardware around entry */

	int cpu;			/* host CPU it last ran on, or -1 */
	int mode;			/* IN_GUEST_MODE while it may be in the guest */
	unsigned long requests;		/* KVMINI_REQ_* */
	struct fpu_guest fpu;		/* guest FPU/SSE/AVX state */
	u64 xcr0;
	u64 cr4, efer;			/* the guest's (see struct kvmini_backend) */
	u64 pdptrs[4];			/* PAE paging: loaded at CR0/CR3/CR4 writes */
	u8 interrupt_shadow;		/* KVMINI_X86_SHADOW_INT_*: after STI, MOV SS */
	u64 apic_base;			/* IA32_APIC_BASE */
	struct kvmini_lapic *apic;	/* lapic.c: with the split irqchip, else NULL */
	int mp_state;			/* KVMINI_MP_STATE_* (with an APIC; else RUNNABLE) */
	struct rcuwait wait;		/* the vCPU's thread sleeping (HLT, wait for SIPI) */
	bool apic_window;		/* lapic.c wants an interrupt window */
	u64 tsc_aux;
	u64 tsc_offset;			/* guest TSC - host TSC (msr.c) */
	u64 pv_time;			/* kvmclock.c: SYSTEM_TIME's GPA, bit 0 on */
	bool pv_stopped;		/* KVMINI_KVMCLOCK_CTRL: tell the guest */
	struct {			/* steal.c */
		u64 msr_val;		/* STEAL_TIME: the area's GPA, enabled */
		u64 last_steal;		/* the thread's run_delay at the last update */
		unsigned long pcount;	/* ...and its sched_info.pcount */
	} st;
	u64 dr[4], dr6, dr7;		/* the guest's debug registers */
	bool dr_live;			/* the guest may use them directly until its next exit */
	int irq_pending;		/* KVMINI_INTERRUPT's vector, or -1 */
	unsigned int nmi_pending;	/* KVMINI_NMI not yet injected (<= 2) */
	bool nmi_masked;		/* in the guest's NMI handler, until IRET */
	bool want_irq_window;		/* run->request_interrupt_window */
	bool has_run;
	bool sigset_active;
	sigset_t sigset;		/* KVMINI_SET_SIGNAL_MASK */
	struct kvmini_cpuid_entry2 *cpuid;	/* KVMINI_SET_CPUID2's table */
	u32 cpuid_nent;
	bool cpuid_set;			/* SET_CPUID2 was called (CR4 rules follow it) */
	bool pv_cpuid_enforce;		/* KVMINI_CAP_ENFORCE_PV_FEATURE_CPUID */

	/* An exit to userspace that the next RUN finishes first (e.g. IN). */
	int (*complete)(struct kvmini_vcpu *vcpu);
	unsigned long complete_rip;	/* RIP of the exiting instruction */
	unsigned long next_rip;		/* RIP after it */
	struct {			/* pio.c: port I/O in progress */
		struct kvmini_io io;
		u32 count;		/* elements in the data page */
		struct kvmini_access access;	/* string I/O's memory */
	} pio;

	struct kvmini_msr_state msr;	/* msr.c */

	struct {			/* mmio.c: an MMIO instruction in progress */
		struct insn insn;
		struct kvmini_access rd, wr;
		u8 in[16], out[16];	/* the memory operand read, and to write */
		struct kvmini_access rd2;	/* CMPS: ES:[rDI], read after seg:[rSI] */
		u8 in2[8];
		u64 bit;		/* BT's bit offset */
		u64 dst_la;		/* MOVS, CMPS: ES:[rDI] */
	} mmio;

	struct kvmini_vcpu_stat stat;
	u32 exit_code;			/* the backend's, of the last exit (tracing) */
	void *arch;			/* the backend's */
};

extern const struct kvmini_backend kvmini_svm_backend;
extern const struct kvmini_backend kvmini_vmx_backend;
extern const struct kvmini_backend *kvmini_backend;

#define KVMINI_MAX_VCPUS	1024	/* vCPU ids are 0 .. KVMINI_MAX_VCPUS-1 */
#define KVMINI_MAX_MEMSLOTS	32764	/* as KVM reports */
/* The quirks KVM 6.1 lets a VMM disable (KVMINI_CAP_DISABLE_QUIRKS2). */
#define KVMINI_X86_VALID_QUIRKS	0x7f
#define KVMINI_MIN_ALLOC_MMU_PAGES	64	/* KVMINI_SET_NR_MMU_PAGES' least */
#define KVMINI_MAX_IO_MSRS	256	/* entries of one GET/SET_MSRS, as KVM */
/* KVMINI_CAP_EXIT_HYPERCALL: the hypercalls a VMM may take (KVM's). */
#define KVMINI_EXIT_HYPERCALL_VALID_MASK	(1 << KVMINI_HC_MAP_GPA_RANGE)
#define KVMINI_DIRTY_LOG_MANUAL_CAPS	(KVMINI_DIRTY_LOG_MANUAL_PROTECT_ENABLE | \
					 KVMINI_DIRTY_LOG_INITIALLY_SET)
#define KVMINI_MAX_GPA_BITS	48	/* 4-level nested paging */
#define KVMINI_MAX_IRQ_ROUTES	4096	/* GSIs, as KVM */
#define KVMINI_X2APIC_API_VALID	(KVMINI_X2APIC_API_USE_32BIT_IDS | \
				 KVMINI_X2APIC_API_DISABLE_BROADCAST_QUIRK)
#define KVMINI_IOEV_SPACES	3	/* ioeventfd.c: port, MMIO, virtio-ccw */

/*
 * Nested page-table entry format (AMD NPT uses x86 page-table entries,
 * Intel EPT its own). Supplied by the backend; used by mmu.c.
 */
struct kvmini_pt_format {
	u64 dir;	/* bits of a non-leaf entry (besides the address) */
	u64 leaf;	/* bits of a read/exec-only 4 KiB leaf */
	u64 write;	/* bit added to a leaf when the page is writable */
	u64 present;	/* any of these set: the entry is in use */
	u64 exec;	/* in leaf: what lets the guest execute (EPT's X) */
	u64 noexec;	/* added to a leaf to forbid execution (NPT's NX) */
};

/*
 * One memory slot (KVMINI_SET_USER_MEMORY_REGION); immutable once added,
 * but for its dirty bitmap (KVMINI_MEM_LOG_DIRTY_PAGES), one bit per page,
 * set under mmu_lock when a page is mapped writable or written by kvmini.
 */
struct kvmini_memslot {
	u64 base_gfn;
	u64 npages;
	u64 userspace_addr;
	u32 flags;
	u32 id;
	struct rcu_head rcu;
	unsigned long *dirty;	/* with LOG_DIRTY_PAGES only, else NULL */
};

/* cr.c: control registers and EFER, with the rules KVM applies. */
#define CR0_RESERVED	(~0xffffffffULL | 0x1ffaffc0ULL)	/* bits 6-15,17,19-28 */
#define CR4_VALID	(X86_CR4_VME | X86_CR4_PVI | X86_CR4_TSD | X86_CR4_DE | \
			 X86_CR4_PSE | X86_CR4_PAE | X86_CR4_MCE | X86_CR4_PGE | \
			 X86_CR4_PCE | X86_CR4_OSFXSR | X86_CR4_OSXMMEXCPT | \
			 X86_CR4_UMIP | X86_CR4_FSGSBASE | X86_CR4_PCIDE | \
			 X86_CR4_OSXSAVE | X86_CR4_SMEP | X86_CR4_SMAP | X86_CR4_PKE)
#define EFER_VALID	(EFER_SCE | EFER_LME | EFER_LMA | EFER_NX | EFER_FFXSR)
bool kvmini_cr4_valid(struct kvmini_vcpu *vcpu, u64 cr4);
bool kvmini_efer_valid(u64 efer);
/* KVMINI_GET/SET_SREGS: -EINVAL for what KVM refuses, nothing changed then. */
void kvmini_get_sregs(struct kvmini_vcpu *vcpu, struct kvmini_sregs *s);
int kvmini_set_sregs(struct kvmini_vcpu *vcpu, const struct kvmini_sregs *s);
/* A write of EFER (WRMSR, or @host: KVMINI_SET_MSRS): 0, or -EINVAL. */
int kvmini_set_efer(struct kvmini_vcpu *vcpu, u64 efer, bool host);
/* The exits of a guest MOV to CR0/CR4/CR8 (@val as read) or LMSW. */
int kvmini_exit_cr_write(struct kvmini_vcpu *vcpu, int cr, u64 val, unsigned int len);
int kvmini_exit_lmsw(struct kvmini_vcpu *vcpu, u16 msw, unsigned int len);
/* A control-register access the hardware did not decode: decode, do it. */
int kvmini_exit_cr_access(struct kvmini_vcpu *vcpu);
bool kvmini_apic_base_valid(u64 val);

/* DR6/DR7 as after reset: every bit that reads as 1 set, nothing armed. */
#define KVMINI_DR6_INIT		0xffff0ff0ULL
#define KVMINI_DR7_INIT		0x400ULL

/* x86 #PF error code bits. */
#define KVMINI_PF_PRESENT	BIT(0)
#define KVMINI_PF_WRITE		BIT(1)
#define KVMINI_PF_USER		BIT(2)
#define KVMINI_PF_RSVD		BIT(3)
#define KVMINI_PF_FETCH		BIT(4)

/* Guest paging state needed to walk the guest's own page tables. */
struct kvmini_paging {
	u64 cr0, cr3, cr4, efer;
};

struct kvmini_vm {
	refcount_t refs;	/* the VM fd, and each vCPU */
	struct mutex lock;
	struct mm_struct *mm;	/* the creator's: slots' addresses live there */

	/* vCPUs, under lock; read locklessly up to online_vcpus */
	struct kvmini_vcpu *vcpus[KVMINI_MAX_VCPUS];
	atomic_t online_vcpus;

	/* mmu.c */
	struct kvmini_mmu *mmu;
	u64 npt_root_pa;	/* physical address of the top-level table */

	/* KVMINI_ENABLE_CAP on the VM, under lock; read locklessly by vCPUs */
	u64 disabled_quirks;		/* KVMINI_X86_QUIRK_* the VMM turned off */
	u32 hypercall_exit_enabled;	/* BIT(KVMINI_HC_*) that exit to the VMM */
	u32 max_vcpu_ids;		/* set by the first vCPU if not by the VMM */
	u32 created_vcpus;		/* under lock: vCPUs made or being made */
	u32 bsp_vcpu_id;		/* KVMINI_SET_BOOT_CPU_ID */
	/* KVMINI_SET/GET_NR_MMU_PAGES, under lock (only kept: no shadow MMU) */
	u64 n_requested_mmu_pages, n_max_mmu_pages;
	u64 manual_dirty_log_protect;	/* KVMINI_DIRTY_LOG_* of MANUAL_DIRTY_LOG_PROTECT2 */
	u32 user_space_msr_mask;	/* KVMINI_MSR_EXIT_REASON_* the VMM takes */
	bool no_platform_info;		/* KVMINI_CAP_MSR_PLATFORM_INFO set to 0 */
	/* KVMINI_CAP_X2APIC_API */
	bool x2apic_format, x2apic_broadcast_quirk_disabled;
	/* kvmclock.c: the VM's clock, a host TSC and kvmclock then */
	struct kvmini_clock {
		spinlock_t lock;	/* a leaf: nothing is taken under it */
		u64 tsc, ns;
		bool stable;		/* the host kept time by the TSC then */
		bool old_boot;		/* vCPU 0's guest uses the old MSR */
		u64 wall_clock;		/* the WALL_CLOCK MSR (a GPA) */
	} clock;
	/* msr_user.c: written under lock, read under RCU */
	struct kvmini_filter __rcu *msr_filter;
	bool msr_intercept_all;		/* the filter denies an MSR a backend passes */
	/*
	 * The irqchip: KVMINI_IRQCHIP_SPLIT (KVMINI_CAP_SPLIT_IRQCHIP: local
	 * APICs in the kernel, the IOAPIC and PIC in the VMM) or
	 * KVMINI_IRQCHIP_KERNEL (KVMINI_CREATE_IRQCHIP: all of them here,
	 * pic and ioapic). Set under lock before any vCPU exists, the chips
	 * and routes before the mode; read the mode with READ_ONCE.
	 */
	u8 irqchip;
	u32 nr_ioapic_pins;		/* split: GSIs below it are the VMM's IOAPIC routes */
	struct kvmini_pic *pic;		/* pic.c */
	struct kvmini_ioapic *ioapic;	/* ioapic.c */
	struct kvmini_pit *pit;		/* pit.c: KVMINI_CREATE_PIT2, set under lock */
	/* irq.c: GSI routes (set under lock, read under RCU) and irqfds */
	struct kvmini_irq_routes __rcu *irq_routes;
	struct {
		spinlock_t lock;	/* under an eventfd's wait-queue lock */
		struct list_head items;	/* active irqfds */
		struct mutex resampler_lock;	/* resamplers' lists change */
		struct list_head resamplers;	/* RCU: KVMINI_IRQFD_FLAG_RESAMPLE's, by GSI */
	} irqfds;
	/* ioeventfd.c: per address space (port, MMIO, virtio-ccw), under lock; RCU */
	struct kvmini_ioevs __rcu *ioevs[KVMINI_IOEV_SPACES];

	struct kvmini_vm_stat stat;

	/* backend private data */
	void *arch;
};

/*
 * mmu.c: memory slots, nested page tables built on demand from slot
 * memory, kept coherent with the VMM's address space by an MMU notifier;
 * and reading/writing guest memory (by GPA, or by GVA through the guest's
 * own page tables).
 */
int kvmini_mmu_create(struct kvmini_vm *vm);	/* at VM creation, creator's mm */
/*
 * At VM destruction, before the vCPUs are freed: until it returns, MMU
 * notifiers may still call kvmini_flush_remote_tlbs(), which reads them.
 */
void kvmini_mmu_destroy(struct kvmini_vm *vm);
/* KVMINI_SET_USER_MEMORY_REGION, the struct already copied in. */
int kvmini_set_memory_region(struct kvmini_vm *vm,
			     const struct kvmini_userspace_memory_region *r);
/*
 * Nested page fault at @gpa (a @write, an instruction @fetch): map the
 * page; *@mapped is the level of the leaf mapped (1: 4 KiB, 2: 2 MiB,
 * 3: 1 GiB), 0 if none. 0: mapped (or raced: just
 * re-enter the guest); -ENOENT: no slot there, or a write to a read-only
 * slot (MMIO); -EFAULT: the slot's
 * memory is not accessible; -EINTR: fatal signal; -ENOMEM.
 */
int kvmini_mmu_fault(struct kvmini_vm *vm, u64 gpa, bool write, bool fetch, int *mapped);
/* KVMINI_GET_DIRTY_LOG, the struct already copied in. */
int kvmini_get_dirty_log(struct kvmini_vm *vm, const struct kvmini_dirty_log *log);
/* KVMINI_CLEAR_DIRTY_LOG, the struct already copied in. */
int kvmini_clear_dirty_log(struct kvmini_vm *vm, const struct kvmini_clear_dirty_log *log);
/* Is @gpa memory in a slot (writable, for @write)? Else it is MMIO. */
bool kvmini_gpa_is_ram(struct kvmini_vm *vm, u64 gpa, bool write);
/* Copy to/from guest physical memory through the slots (may sleep). */
int kvmini_read_gpa(struct kvmini_vm *vm, u64 gpa, void *buf, unsigned int len);
int kvmini_write_gpa(struct kvmini_vm *vm, u64 gpa, const void *buf, unsigned int len);
/*
 * Translate a guest linear address through the guest's page tables.
 * @access: KVMINI_PF_WRITE | KVMINI_PF_USER | KVMINI_PF_FETCH bits.
 * 0 and *gpa set; or -EFAULT with *pf_error set to the #PF error code the
 * guest should get (as KVM, also where a guest page table is not in RAM).
 */
int kvmini_gva_to_gpa(struct kvmini_vm *vm, const struct kvmini_paging *pg,
		      u64 gva, u32 access, u64 *gpa, u32 *pf_error);

/*
 * vcpu.c: make every vCPU drop its TLB before it next runs guest code.
 * mmu.c calls it holding its mmu_lock (a spinlock, interrupts on), also
 * from MMU notifiers: it must not sleep, nor need mmu_lock to finish.
 */
void kvmini_flush_remote_tlbs(struct kvmini_vm *vm);
void kvmini_request_all(struct kvmini_vm *vm, int req);

long kvmini_get_msr_index_list(void __user *argp);
long kvmini_get_msr_feature_index_list(void __user *argp);
long kvmini_get_feature_msrs(void __user *argp);
extern const u32 kvmini_feature_msrs[];
extern const unsigned int kvmini_nr_feature_msrs;
int kvmini_get_feature_msr(u32 msr, u64 *val);

/* cpuid.c */
long kvmini_get_supported_cpuid(void __user *argp);
long kvmini_set_cpuid2(struct kvmini_vcpu *vcpu, void __user *argp);
long kvmini_get_cpuid2(struct kvmini_vcpu *vcpu, void __user *argp);
void kvmini_emulate_cpuid(struct kvmini_vcpu *vcpu);
u64 kvmini_guest_xcr0(struct kvmini_vcpu *vcpu);
u64 kvmini_supported_xcr0(void);
bool kvmini_xcr0_valid(struct kvmini_vcpu *vcpu, u64 xcr0);
bool kvmini_emulate_xsetbv(struct kvmini_vcpu *vcpu);
bool kvmini_guest_has(struct kvmini_vcpu *vcpu, u32 function, int reg, int bit);
bool kvmini_guest_is_amd(struct kvmini_vcpu *vcpu);
/* Has the guest KVM's PV feature @feature (always, unless the VMM enforces CPUID)? */
bool kvmini_pv_has(struct kvmini_vcpu *vcpu, int feature);
int kvmini_guest_family(struct kvmini_vcpu *vcpu, int *model);
bool kvmini_supported_has(u32 function, int reg, int bit);
void kvmini_cpuid_update_runtime(struct kvmini_vcpu *vcpu);
u32 kvmini_cpuid_signature(struct kvmini_vcpu *vcpu);
void kvmini_set_apic_base(struct kvmini_vcpu *vcpu, u64 val);
unsigned int kvmini_guest_maxphyaddr(struct kvmini_vcpu *vcpu);

/* virt.c */
int kvmini_virt_init(void);
void kvmini_virt_exit(void);
int kvmini_virt_get(void);
void kvmini_virt_put(void);

/* vm.c */
int kvmini_create_vm(unsigned long type);
void kvmini_vm_get(struct kvmini_vm *vm);
void kvmini_vm_put(struct kvmini_vm *vm);

/* vcpu.c */
extern bool kvmini_has_tsc_aux;
extern u64 kvmini_host_xcr0;
int kvmini_create_vcpu(struct kvmini_vm *vm, unsigned long id);
void kvmini_free_vcpus(struct kvmini_vm *vm);
/* Interrupts off, right before and after the world switch: guest time, RCU. */
void kvmini_guest_context_enter(void);
void kvmini_guest_context_exit(void);
/* KVM's RESET state (INIT keeps CR0's CD and NW: kvmini_exit_shutdown()). */
void kvmini_vcpu_reset(struct kvmini_vcpu *vcpu);

/*
 * exit.c: exits handled the same way on every vendor. A backend calls the
 * one for what its hardware reported, with what it decoded (@len: the
 * exiting instruction's length), and returns what it returns.
 */
int kvmini_exit_hlt(struct kvmini_vcpu *vcpu, unsigned int len);
int kvmini_exit_cpuid(struct kvmini_vcpu *vcpu, unsigned int len);
int kvmini_exit_msr(struct kvmini_vcpu *vcpu, bool write, unsigned int len);
int kvmini_exit_xsetbv(struct kvmini_vcpu *vcpu, unsigned int len);
int kvmini_exit_rdpmc(struct kvmini_vcpu *vcpu, unsigned int len);
/* msr_user.c: the MSR filter, and MSR exits to the VMM */
bool kvmini_msr_allowed(struct kvmini_vcpu *vcpu, u32 msr, bool write);
long kvmini_set_msr_filter(struct kvmini_vm *vm, void __user *argp);
void kvmini_msr_filter_destroy(struct kvmini_vm *vm);
void kvmini_msr_filter_sync(struct kvmini_vcpu *vcpu);
int kvmini_msr_failed(struct kvmini_vcpu *vcpu, u32 msr, bool write, u64 val,
		      bool filtered, unsigned int len);
/* hypercall.c: the native hypercall instruction; an intercepted #UD. */
int kvmini_exit_hypercall(struct kvmini_vcpu *vcpu, unsigned int len);
int kvmini_exit_ud_intercept(struct kvmini_vcpu *vcpu);
/* kvmclock.c */
void kvmini_clock_init(struct kvmini_vm *vm);
long kvmini_get_clock(struct kvmini_vm *vm, void __user *argp);
long kvmini_set_clock(struct kvmini_vm *vm, void __user *argp);
void kvmini_clock_update(struct kvmini_vcpu *vcpu);
int kvmini_clock_msr(struct kvmini_vcpu *vcpu, u32 msr, u64 *val, bool write, bool host);
long kvmini_kvmclock_ctrl(struct kvmini_vcpu *vcpu);
void kvmini_clock_reset(struct kvmini_vcpu *vcpu);
s64 kvmini_clock_pairing(struct kvmini_vcpu *vcpu, u64 gpa, u64 type);
/* steal.c */
void kvmini_steal_load(struct kvmini_vcpu *vcpu);
void kvmini_steal_update(struct kvmini_vcpu *vcpu);
int kvmini_steal_msr(struct kvmini_vcpu *vcpu, u32 msr, u64 *val, bool write);
void kvmini_steal_reset(struct kvmini_vcpu *vcpu);
/* MONITOR, MWAIT (as KVM: NOPs), INVD, WBINVD: nothing to do but skip. */
int kvmini_exit_nop(struct kvmini_vcpu *vcpu, unsigned int len);
int kvmini_exit_monitor_mwait(struct kvmini_vcpu *vcpu, unsigned int len);
int kvmini_exit_host_event(struct kvmini_vcpu *vcpu);
/* Triple fault: INIT, then KVMINI_EXIT_SHUTDOWN. */
int kvmini_exit_shutdown(struct kvmini_vcpu *vcpu);
/* The interrupt window the backend armed for want_irq_window is open. */
int kvmini_exit_irq_window(struct kvmini_vcpu *vcpu);
/* A nested page fault; @event: what the CPU was delivering (0: nothing). */
int kvmini_exit_npf(struct kvmini_vcpu *vcpu, u64 gpa, bool write, bool fetch, u64 event);
/* The guest lowered its TPR (after the instruction). */
int kvmini_exit_set_tpr(struct kvmini_vcpu *vcpu);
/* VM entry failed: @reason is the hardware's. */
int kvmini_exit_fail_entry(struct kvmini_vcpu *vcpu, u64 reason);
/* The guest touched a debug register: they are its own until its next exit. */
int kvmini_exit_dr_access(struct kvmini_vcpu *vcpu);
/* An instruction the guest may not have (SVM/VMX, RDPRU...): #UD. */
int kvmini_exit_ud(struct kvmini_vcpu *vcpu);
/* Queue an exception for the next entry (fault-class ones set RF, as KVM). */
void kvmini_queue_exception(struct kvmini_vcpu *vcpu, u8 vector, bool has_error, u32 error,
			    u64 cr2);
int kvmini_exit_internal(struct kvmini_vcpu *vcpu, u32 suberror, int ndata, ...);
/* Interrupts off, after an exit for a host machine check: to the host's handler. */
void kvmini_machine_check(void);

/* lapic.c: the in-kernel local APIC (vcpu->apic; NULL without the split irqchip) */
int kvmini_lapic_create(struct kvmini_vcpu *vcpu);
void kvmini_lapic_free(struct kvmini_vcpu *vcpu);
void kvmini_lapic_reset(struct kvmini_vcpu *vcpu, bool init);
/* Any context: wake the vCPU or make it leave the guest to look at its requests. */
void kvmini_vcpu_kick(struct kvmini_vcpu *vcpu);
bool kvmini_lapic_mmio(struct kvmini_vcpu *vcpu, u64 gpa, unsigned int len, void *data,
		       bool write);
int kvmini_lapic_msr(struct kvmini_vcpu *vcpu, u32 msr, u64 *val, bool write);
bool kvmini_lapic_base_valid(struct kvmini_vcpu *vcpu, u64 val, bool host);
int kvmini_lapic_set_base(struct kvmini_vcpu *vcpu, u64 val, bool host);
int kvmini_lapic_block(struct kvmini_vcpu *vcpu);
void kvmini_lapic_inject(struct kvmini_vcpu *vcpu);
int kvmini_lapic_extint(struct kvmini_vcpu *vcpu, u32 vector);
bool kvmini_lapic_ready_for_extint(struct kvmini_vcpu *vcpu);
int kvmini_lapic_ioapic_eoi(struct kvmini_vcpu *vcpu);
void kvmini_lapic_get_mp_state(struct kvmini_vcpu *vcpu);
void kvmini_lapic_sipi_pending(struct kvmini_vcpu *vcpu);
void kvmini_lapic_scan_ioapic(struct kvmini_vcpu *vcpu);
long kvmini_get_lapic(struct kvmini_vcpu *vcpu, void __user *argp);
long kvmini_set_lapic(struct kvmini_vcpu *vcpu, void __user *argp);
/* vcpu.c: KVM's INIT (RESET but for APIC_BASE, CR0.CD/NW and the APIC's ID). */
void kvmini_vcpu_init(struct kvmini_vcpu *vcpu);
bool kvmini_lapic_accept_dm_intr(struct kvmini_vcpu *vcpu);
/*
 * Does the backend need an interrupt window: the APIC's, or the VMM's
 * (with the split irqchip only where its PIC's ExtINT could go in, as KVM)?
 */
static inline bool kvmini_want_irq_window(struct kvmini_vcpu *vcpu)
{
	/* With the PIC in the kernel the VMM's request means nothing (as KVM). */
	return (vcpu->want_irq_window && !vcpu->vm->pic &&
		(!vcpu->apic || kvmini_lapic_accept_dm_intr(vcpu))) ||
	       vcpu->apic_window;
}

/*
 * run->ready_for_interrupt_injection's rule (irq_pending aside), as KVM's:
 * always with the PIC in the kernel.
 */
static inline bool kvmini_ready_for_injection(struct kvmini_vcpu *vcpu)
{
	if (vcpu->vm->pic)
		return true;
	return vcpu->apic ? kvmini_lapic_ready_for_extint(vcpu) :
	       kvmini_backend->interrupt_allowed(vcpu);
}

/* pio.c */
int kvmini_exit_pio(struct kvmini_vcpu *vcpu, const struct kvmini_io *io, unsigned int len);
/*
 * ioeventfd.c: a guest write of @len bytes at @val to port (@pio) or MMIO
 * address @addr: true if an ioeventfd took it (signalled; no exit). From
 * a vCPU's exit handling; lock-free (RCU), does not sleep.
 */
bool kvmini_ioeventfd_write(struct kvmini_vm *vm, bool pio, u64 addr, unsigned int len,
			    const void *val);
long kvmini_ioeventfd(struct kvmini_vm *vm, void __user *argp);	/* KVMINI_IOEVENTFD */
void kvmini_ioeventfd_destroy(struct kvmini_vm *vm);	/* VM destruction */
/* mmio.c: a guest access that no slot serves (exit.c) */
int kvmini_emulate_mmio(struct kvmini_vcpu *vcpu, u64 gpa, bool fetch);

/* emulate.c */
unsigned long kvmini_addr_mask(unsigned int size);
u64 kvmini_linear(struct kvmini_vcpu *vcpu, int seg, u64 ea);
u64 kvmini_reg_read(struct kvmini_vcpu *vcpu, int reg, unsigned int size);
void kvmini_reg_write(struct kvmini_vcpu *vcpu, int reg, unsigned int size, u64 val);
bool kvmini_string_step(struct kvmini_vcpu *vcpu, unsigned long regs, unsigned int size,
			unsigned int n, bool rep, unsigned int addr_size);
int kvmini_skip_insn(struct kvmini_vcpu *vcpu, unsigned int len);
/* The guest's XMM register @n (0-15), 16 bytes: during KVMINI_RUN only. */
void kvmini_read_xmm(unsigned int n, u8 *buf);
void kvmini_write_xmm(unsigned int n, const u8 *buf);
int kvmini_complete_insn(struct kvmini_vcpu *vcpu);
int kvmini_emulation_failure(struct kvmini_vcpu *vcpu, const u8 *bytes,
			     unsigned int len, u64 gpa);
int kvmini_decode_insn(struct kvmini_vcpu *vcpu, struct insn *in, u64 gpa);
unsigned int kvmini_peek_insn(struct kvmini_vcpu *vcpu, u8 *buf, unsigned int len);
u64 kvmini_operand_ea(struct kvmini_vcpu *vcpu, const struct insn *in);
int kvmini_read_operand(struct kvmini_vcpu *vcpu, const struct insn *in, void *buf,
			unsigned int len);
int kvmini_access_translate(struct kvmini_vcpu *vcpu, struct kvmini_access *a,
			    u64 la, unsigned int len, bool write);
int kvmini_access_run(struct kvmini_vcpu *vcpu, struct kvmini_access *a, u8 *data,
		      int (*complete)(struct kvmini_vcpu *));
void kvmini_access_complete(struct kvmini_vcpu *vcpu, struct kvmini_access *a, u8 *data);
extern atomic_t kvmini_live_vms;

enum { KVMINI_IRQCHIP_NONE, KVMINI_IRQCHIP_SPLIT, KVMINI_IRQCHIP_KERNEL };

static inline bool kvmini_irqchip_in_kernel(struct kvmini_vm *vm)
{
	return READ_ONCE(vm->irqchip) != KVMINI_IRQCHIP_NONE;
}

/* The PIC and IOAPIC are in the kernel too (KVMINI_CREATE_IRQCHIP). */
static inline bool kvmini_irqchip_full(struct kvmini_vm *vm)
{
	return READ_ONCE(vm->irqchip) == KVMINI_IRQCHIP_KERNEL;
}

/*
 * Who raises a line (KVM's irq source ids): a line is high while any of
 * its sources holds it high.
 */
enum { KVMINI_SRC_USER, KVMINI_SRC_RESAMPLE, KVMINI_SRC_PIT };

/*
 * irq.c: GSI routing (MSI routes; with the whole irqchip, IRQCHIP routes
 * to the PIC and IOAPIC pins too), KVMINI_SIGNAL_MSI, KVMINI_IRQ_LINE,
 * irqfds (an eventfd whose signal raises its GSI) with resampling, and
 * the acknowledgements the PIC and IOAPIC pass on.
 */
int kvmini_irq_init(void);		/* module load: the irqfd cleanup workqueue */
void kvmini_irq_exit(void);
void kvmini_irq_vm_init(struct kvmini_vm *vm);
/* At VM destruction, before the vCPUs go: shut every irqfd down, free the routes. */
void kvmini_irq_vm_destroy(struct kvmini_vm *vm);
long kvmini_set_gsi_routing(struct kvmini_vm *vm, void __user *argp);
long kvmini_signal_msi(struct kvmini_vm *vm, void __user *argp);
long kvmini_irq_line(struct kvmini_vm *vm, void __user *argp, bool status);
long kvmini_irqfd(struct kvmini_vm *vm, void __user *argp);
/* vCPU thread: set in @vectors those whose EOI exits to the VMM's IOAPIC. */
void kvmini_irq_scan_ioapic(struct kvmini_vcpu *vcpu, unsigned long *vectors);
long kvmini_create_irqchip(struct kvmini_vm *vm);
long kvmini_irqchip_state(struct kvmini_vm *vm, void __user *argp, bool set);
/*
 * Set @gsi's line as @src sees it, through every route of @gsi (KVM's
 * kvm_set_irq()): the vCPUs reached, 0 coalesced, -1 masked or nowhere.
 * Any context; takes the PIC's and IOAPIC's locks. (Not KVM's RTC
 * coalescing: GSI 8 is counted as any other.)
 */
int kvmini_set_irq(struct kvmini_vm *vm, int src, u32 gsi, int level);
/* An interrupt of a PIC or IOAPIC pin was acknowledged (EOI): its listeners. */
void kvmini_irq_acked(struct kvmini_vm *vm, unsigned int chip, unsigned int pin);
/* Does anyone listen to the acknowledgements of that pin? */
bool kvmini_irq_has_ack_listener(struct kvmini_vm *vm, unsigned int chip, unsigned int pin);
/* A PIC or IOAPIC pin was masked or unmasked. */
void kvmini_irq_mask_changed(struct kvmini_vm *vm, unsigned int chip, unsigned int pin,
			     bool masked);

/*
 * pic.c: the two 8259s (KVMINI_CREATE_IRQCHIP). Their lock is a spinlock,
 * interrupts off: lines are set from any context. Pins 0-15 (8-15: the
 * slave's). kvmini_pic_output(): does the master raise INTR?
 */
int kvmini_pic_create(struct kvmini_vm *vm);
void kvmini_pic_destroy(struct kvmini_vm *vm);
int kvmini_pic_set_irq(struct kvmini_pic *s, unsigned int pin, int src, int level);
bool kvmini_pic_output(struct kvmini_vm *vm);
int kvmini_pic_read_irq(struct kvmini_vm *vm);	/* INTA: the vector */
bool kvmini_pic_pio(struct kvmini_vcpu *vcpu, u16 port, unsigned int len, void *data,
		    bool in);
void kvmini_pic_get(struct kvmini_pic *s, int chip, struct kvmini_pic_state *st);
void kvmini_pic_set(struct kvmini_pic *s, int chip, const struct kvmini_pic_state *st);

/* ioapic.c: the IOAPIC (KVMINI_CREATE_IRQCHIP), 24 pins; spinlock, interrupts off. */
int kvmini_ioapic_create(struct kvmini_vm *vm);
void kvmini_ioapic_destroy(struct kvmini_vm *vm);
int kvmini_ioapic_set_irq(struct kvmini_ioapic *io, unsigned int pin, int src, int level);
bool kvmini_ioapic_mmio(struct kvmini_vcpu *vcpu, u64 gpa, unsigned int len, void *data,
			bool write);
/* vCPU thread: the local APIC's EOI of @vector (@level: its TMR bit). */
void kvmini_ioapic_eoi(struct kvmini_vcpu *vcpu, int vector, bool level);
/* vCPU thread: the vectors whose EOIs this vCPU must pass on. */
void kvmini_ioapic_scan(struct kvmini_vcpu *vcpu, unsigned long *vectors);
void kvmini_ioapic_get(struct kvmini_ioapic *io, struct kvmini_ioapic_state *st);
void kvmini_ioapic_set(struct kvmini_ioapic *io, const struct kvmini_ioapic_state *st);

/* pit.c: the 8254 (KVMINI_CREATE_PIT2) and the speaker port. */
long kvmini_pit_ioctl(struct kvmini_vm *vm, unsigned int cmd, void __user *argp);
void kvmini_pit_destroy(struct kvmini_vm *vm);
bool kvmini_pit_pio(struct kvmini_vcpu *vcpu, u16 port, unsigned int len, void *data,
		    bool in);
void kvmini_pit_acked(struct kvmini_vm *vm);		/* GSI 0's EOI */
void kvmini_pit_unmasked(struct kvmini_vm *vm);		/* GSI 0 unmasked */
bool kvmini_pit_reinjects(struct kvmini_vm *vm);

/* lapic.c, for the PIC: does this vCPU's LINT0 take the PIC's ExtINT? */
bool kvmini_lapic_accepts_pic(struct kvmini_vcpu *vcpu);
/* Has the guest turned IOAPIC EOI broadcast off (SPIV's directed EOI)? */
bool kvmini_lapic_directed_eoi(struct kvmini_vcpu *vcpu);
/* Does the vCPU have the vector pending (IRR) or in service (ISR)? */
bool kvmini_lapic_pending_eoi(struct kvmini_vcpu *vcpu, u8 vector);
/* Deliver an IOAPIC redirection entry (its low and high halves' fields). */
int kvmini_apic_deliver_ioapic(struct kvmini_vm *vm, u64 entry);
bool kvmini_apic_ioapic_matches(struct kvmini_vcpu *vcpu, u64 entry);
extern atomic_t kvmini_live_irqfds;

/*
 * lapic.c: deliver an MSI (@addr: address_hi << 32 | address_lo, @data) to
 * the local APICs it addresses. Any context, also an eventfd wake-up
 * callback (a spinlock held, interrupts off). The number of vCPUs it
 * reached, or -1 if none matches (as KVM's kvm_irq_delivery_to_apic()).
 */
int kvmini_apic_deliver_msi(struct kvmini_vm *vm, u64 addr, u32 data);
/* vCPU thread: does the MSI address this vCPU? */
bool kvmini_apic_msi_eoi_exit(struct kvmini_vcpu *vcpu, u64 addr, u32 data);

/* main.c */
long kvmini_check_extension(struct kvmini_vm *vm, long cap);

#endif
