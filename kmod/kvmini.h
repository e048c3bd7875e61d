/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kvmini internals: the vendor-neutral core and the one ops table every
 * vendor backend (svm.c, vmx.c) fills in.
 *
 * Files:
 *   main.c  module init/exit, /dev/kvmini and its system ioctls, capabilities
 *   vm.c    VM objects and their ioctls
 *   vcpu.c  vCPU objects, their ioctls and the run loop
 *   mmu.c   memory slots, nested page tables, guest memory access
 *   mmio.c  MMIO: emulating the instruction of a device access
 *   insn.c  x86 decoder and ALU for it (also built in userspace: insn.h)
 *   cpuid.c supported CPUID, the vCPU's CPUID table, guest CPUID
 *   msr.c   vendor-neutral MSR state: MTRRs, machine check, kvmclock (off)
 *   virt.c  turning hardware virtualization on and off on host CPUs
 *   svm.c   AMD SVM backend (svm_vmrun.S: the world switch)
 *   vmx.c   Intel VMX backend
 *
 * Rules: only the core touches __user pointers; backends see kernel memory.
 *
 * Lock order (outermost first; take them in this order, never the reverse):
 *
 *   cpu_hotplug_lock (cpus_read_lock)
 *     kvmini_virt_lock  (virt.c: how many users want virtualization on)
 *
 *   vcpu->mutex         (one vCPU ioctl at a time; held across KVMINI_RUN)
 *     vm->lock          (per-VM configuration: vCPU table, slots updates)
 *       mmap_lock       (only taken by get_user_pages inside mmu.c)
 *         vm->mmu_lock  (spinlock: nested page tables, mmu_seq; never sleep)
 *
 * A VM holds a virtualization reference from creation to destruction, so
 * no VM ioctl ever needs cpu_hotplug_lock or kvmini_virt_lock.
 */
#ifndef KVMINI_INTERNAL_H
#define KVMINI_INTERNAL_H

#include <linux/types.h>
#include <linux/mutex.h>
#include <linux/rcupdate.h>
#include <linux/refcount.h>
#include <linux/signal.h>
#include <asm/fpu/api.h>
#include <asm/fpu/types.h>

#include <linux/kvmini.h>

#include "insn.h"

#define KVMINI_PFX "kvmini: "

struct kvmini_vcpu;
struct kvmini_vm;
struct kvmini_paging;

/*
 * A vendor backend. The core picks the first whose probe() returns 0.
 * cpu_enable()/cpu_disable() run on the CPU concerned with interrupts off.
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

	/* vCPUs: create sets KVM's reset state; free undoes create. */
	int (*vcpu_create)(struct kvmini_vcpu *vcpu);
	void (*vcpu_free)(struct kvmini_vcpu *vcpu);
	/* Preemption off: @vcpu is about to run on this CPU (moved if new). */
	void (*vcpu_load)(struct kvmini_vcpu *vcpu, int cpu);
	/* Interrupts off: take a fresh TLB context before the next entry. */
	void (*flush_tlb)(struct kvmini_vcpu *vcpu);
	/* Interrupts off: enter the guest once, return at its exit. */
	void (*enter_guest)(struct kvmini_vcpu *vcpu);
	/* Preemptible: >0 re-enter, 0 exit to userspace (run set), <0 error. */
	int (*handle_exit)(struct kvmini_vcpu *vcpu);
	void (*get_sregs)(struct kvmini_vcpu *vcpu, struct kvmini_sregs *s);
	int (*set_sregs)(struct kvmini_vcpu *vcpu, const struct kvmini_sregs *s);
	void (*get_paging)(struct kvmini_vcpu *vcpu, struct kvmini_paging *pg);
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
	/* KVMINI_GET/SET_VCPU_EVENTS: the event in flight and the shadow. */
	void (*get_events)(struct kvmini_vcpu *vcpu, struct kvmini_vcpu_events *e);
	void (*set_events)(struct kvmini_vcpu *vcpu, const struct kvmini_vcpu_events *e);
	/* Is an NMI being injected right now (in flight)? */
	bool (*nmi_in_flight)(struct kvmini_vcpu *vcpu);
	/*
	 * The MSRs of kvmini_msr_list: 0, -EINVAL (bad value) or -ENOENT
	 * (not the backend's). set_msr gets values msr.c has checked;
	 * @host: from an ioctl.
	 */
	int (*get_msr)(struct kvmini_vcpu *vcpu, u32 msr, u64 *val);
	int (*set_msr)(struct kvmini_vcpu *vcpu, u32 msr, u64 val, bool host);
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
	u64 mcg_status, mcg_ctl;
	u64 mce_banks[4 * KVMINI_MCE_BANKS];	/* CTL STATUS ADDR MISC */
	u64 misc_enable;
};
extern const u32 kvmini_msr_list[];
extern const unsigned int kvmini_nr_msrs;
int kvmini_get_msr(struct kvmini_vcpu *vcpu, u32 msr, u64 *val);
int kvmini_set_msr(struct kvmini_vcpu *vcpu, u32 msr, u64 val, bool host);
bool kvmini_emulate_msr(struct kvmini_vcpu *vcpu, bool write);
bool kvmini_emulate_rdpmc(struct kvmini_vcpu *vcpu);
void kvmini_common_msr_reset(struct kvmini_vcpu *vcpu);

/* mmio.c: one memory access of an emulated instruction, by pages. */
struct kvmini_mmio_access {
	struct kvmini_mmio_piece {
		u64 gpa;
		u8 off, len;		/* bytes of the operand in this page */
		bool ram;		/* in a slot (else the VMM's device) */
	} piece[2];
	u8 npieces, cur, len;
	bool write;
};
#define KVMINI_REQ_TLB_FLUSH	0	/* bit in vcpu->requests */

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
	u64 apic_base;			/* IA32_APIC_BASE (no in-kernel APIC) */
	u64 dr[4], dr6, dr7;		/* the guest's debug registers */
	int irq_pending;		/* KVMINI_INTERRUPT's vector, or -1 */
	unsigned int nmi_pending;	/* KVMINI_NMI not yet injected (<= 2) */
	bool nmi_masked;		/* in the guest's NMI handler, until IRET */
	bool want_irq_window;		/* run->request_interrupt_window */
	bool has_run;
	bool sigset_active;
	sigset_t sigset;		/* KVMINI_SET_SIGNAL_MASK */
	struct kvmini_cpuid_entry2 *cpuid;	/* KVMINI_SET_CPUID2's table */
	u32 cpuid_nent;

	/* An exit to userspace that the next RUN finishes first (e.g. IN). */
	int (*complete)(struct kvmini_vcpu *vcpu);
	unsigned long complete_rip;	/* RIP of the exiting instruction */
	unsigned long next_rip;		/* RIP after it */
	struct {
		u16 port;
		u8 size;
		bool in, string, rep;
		u8 seg;
		u8 addr_size;		/* 2, 4, 8 */
		u32 count;		/* elements in the data page */
	} pio;

	struct kvmini_msr_state msr;	/* msr.c */

	struct {			/* an MMIO instruction in progress */
		struct insn insn;
		struct kvmini_mmio_access rd, wr;
		u8 in[8], out[8];	/* the memory operand read, and to write */
		u64 bit;		/* BT's bit offset */
		u64 dst_la;		/* MOVS: where it writes */
	} mmio;

	void *arch;			/* the backend's */
};

extern const struct kvmini_backend kvmini_svm_backend;
extern const struct kvmini_backend kvmini_vmx_backend;
extern const struct kvmini_backend *kvmini_backend;

#define KVMINI_MAX_VCPUS	1024	/* vCPU ids are 0 .. KVMINI_MAX_VCPUS-1 */
#define KVMINI_MAX_MEMSLOTS	32764	/* as KVM reports */
#define KVMINI_MAX_GPA_BITS	48	/* 4-level nested paging */

/*
 * Nested page-table entry format (AMD NPT uses x86 page-table entries,
 * Intel EPT its own). Supplied by the backend; used by mmu.c.
 */
struct kvmini_pt_format {
	u64 dir;	/* bits of a non-leaf entry (besides the address) */
	u64 leaf;	/* bits of a read/exec-only 4 KiB leaf */
	u64 write;	/* bit added to a leaf when the page is writable */
	u64 present;	/* any of these set: the entry is in use */
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

/* Architectural register rules (vcpu.c, msr.c). */
#define CR0_RESERVED	(~0xffffffffULL | 0x1ffaffc0ULL)	/* bits 6-15,17,19-28 */
#define CR4_VALID	(X86_CR4_VME | X86_CR4_PVI | X86_CR4_TSD | X86_CR4_DE | \
			 X86_CR4_PSE | X86_CR4_PAE | X86_CR4_MCE | X86_CR4_PGE | \
			 X86_CR4_PCE | X86_CR4_OSFXSR | X86_CR4_OSXMMEXCPT | \
			 X86_CR4_UMIP | X86_CR4_FSGSBASE | X86_CR4_PCIDE | \
			 X86_CR4_OSXSAVE | X86_CR4_SMEP | X86_CR4_SMAP | X86_CR4_PKE)
#define EFER_VALID	(EFER_SCE | EFER_LME | EFER_LMA | EFER_NX | EFER_FFXSR)
bool kvmini_cr4_valid(struct kvmini_vcpu *vcpu, u64 cr4);
/* The consistency rules KVM applies to KVM_SET_SREGS. */
bool kvmini_sregs_valid(struct kvmini_vcpu *vcpu, const struct kvmini_sregs *s);
void kvmini_reset_regs(struct kvmini_vcpu *vcpu);
bool kvmini_apic_base_valid(u64 val);
bool kvmini_efer_valid(u64 efer);

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
 * Nested page fault at @gpa: map the page. 0: mapped (or raced: just
 * re-enter the guest); -ENOENT: no slot there, or a write to a read-only
 * slot (MMIO); -EFAULT: the slot's
 * memory is not accessible; -EINTR: fatal signal; -ENOMEM.
 */
int kvmini_mmu_fault(struct kvmini_vm *vm, u64 gpa, bool write);
/* KVMINI_GET_DIRTY_LOG, the struct already copied in. */
int kvmini_get_dirty_log(struct kvmini_vm *vm, const struct kvmini_dirty_log *log);
/* Is @gpa memory in a slot (writable, for @write)? Else it is MMIO. */
bool kvmini_gpa_is_ram(struct kvmini_vm *vm, u64 gpa, bool write);
/* Copy to/from guest physical memory through the slots (may sleep). */
int kvmini_read_gpa(struct kvmini_vm *vm, u64 gpa, void *buf, unsigned int len);
int kvmini_write_gpa(struct kvmini_vm *vm, u64 gpa, const void *buf, unsigned int len);
/*
 * Translate a guest linear address through the guest's page tables.
 * @access: KVMINI_PF_WRITE | KVMINI_PF_USER | KVMINI_PF_FETCH bits.
 * 0 and *gpa set; or -EFAULT with *pf_error set to the #PF error code the
 * guest should get; or -ENOENT if a guest page table is outside all slots
 * (or its memory cannot be read).
 */
int kvmini_gva_to_gpa(struct kvmini_vm *vm, const struct kvmini_paging *pg,
		      u64 gva, u32 access, u64 *gpa, u32 *pf_error);

/*
 * vcpu.c: make every vCPU drop its TLB before it next runs guest code.
 * mmu.c calls it holding its mmu_lock (a spinlock, interrupts on), also
 * from MMU notifiers: it must not sleep, nor need mmu_lock to finish.
 */
void kvmini_flush_remote_tlbs(struct kvmini_vm *vm);

long kvmini_get_msr_index_list(void __user *argp);

/* cpuid.c */
long kvmini_get_supported_cpuid(void __user *argp);
long kvmini_set_cpuid2(struct kvmini_vcpu *vcpu, void __user *argp);
long kvmini_get_cpuid2(struct kvmini_vcpu *vcpu, void __user *argp);
void kvmini_emulate_cpuid(struct kvmini_vcpu *vcpu, u64 cr4);
u64 kvmini_guest_xcr0(struct kvmini_vcpu *vcpu);
u64 kvmini_supported_xcr0(void);
bool kvmini_xcr0_valid(struct kvmini_vcpu *vcpu, u64 xcr0);
bool kvmini_emulate_xsetbv(struct kvmini_vcpu *vcpu, int cpl);
bool kvmini_guest_has(struct kvmini_vcpu *vcpu, u32 function, int reg, int bit);

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
int kvmini_create_vcpu(struct kvmini_vm *vm, unsigned long id);
void kvmini_free_vcpus(struct kvmini_vm *vm);
/* Exit helpers for backends: fill vcpu->run, return 0 (to userspace). */
int kvmini_exit_pio(struct kvmini_vcpu *vcpu);
int kvmini_exit_hypercall(struct kvmini_vcpu *vcpu, unsigned int len);
/* String I/O: vcpu->pio.seg and .addr_size (if 0) from the instruction. */
void kvmini_pio_string_operands(struct kvmini_vcpu *vcpu);
int kvmini_exit_internal(struct kvmini_vcpu *vcpu, u32 suberror, int ndata, ...);
/* mmio.c: 1 re-enter, 0 exit to userspace (run set). */
int kvmini_emulate_mmio(struct kvmini_vcpu *vcpu, u64 gpa, bool fetch);
/* Read up to @len instruction bytes at the guest's RIP. */
int kvmini_fetch_insn(struct kvmini_vcpu *vcpu, u8 *buf, unsigned int len);
extern atomic_t kvmini_live_vms;

/* main.c */
long kvmini_check_extension(struct kvmini_vm *vm, long cap);

#endif
