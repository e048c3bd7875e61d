// SPDX-License-Identifier: GPL-2.0
/*
 * vCPUs: KVMINI_CREATE_VCPU, the vCPU fd (ioctls, mmap of the run struct
 * and the PIO data page) and the vendor-neutral run loop.
 *
 * Run loop: with preemption and then interrupts off, the vCPU announces
 * IN_GUEST_MODE, then checks its requests; whoever wants it out (a TLB
 * flush) sets a request bit first and then, if the vCPU is IN_GUEST_MODE,
 * interrupts its CPU. Either the vCPU sees the request before entering, or
 * the interrupt forces it out (physical interrupts always exit the guest).
 */
#include <linux/anon_inodes.h>
#include <linux/compat.h>
#include <linux/context_tracking.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/highmem.h>
#include <linux/mm.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/vtime.h>
#include <asm/debugreg.h>
#include <asm/fpu/xcr.h>
#include <asm/hw_breakpoint.h>
#include <asm/msr.h>
#include <asm/nospec-branch.h>
#include <asm/trapnr.h>

#include "kvmini.h"
#include "trace.h"

/* --- TLB flush requests --- */

static void kvmini_kick_noop(void *unused)
{
}

void kvmini_flush_remote_tlbs(struct kvmini_vm *vm)
{
	kvmini_request_all(vm, KVMINI_REQ_TLB_FLUSH);
}

/* Request @req of every vCPU of @vm, and have those in the guest exit. */
void kvmini_request_all(struct kvmini_vm *vm, int req)
{
	int i, n = atomic_read(&vm->online_vcpus);
	struct kvmini_vcpu *vcpu;

	smp_rmb();	/* vcpus[i] published before online_vcpus */
	for (i = 0; i < n; i++) {
		vcpu = READ_ONCE(vm->vcpus[i]);
		if (!vcpu)
			continue;
		set_bit(req, &vcpu->requests);
		smp_mb__after_atomic();
		/* Its exit handler runs before it can re-enter and see the bit. */
		if (READ_ONCE(vcpu->mode) == IN_GUEST_MODE)
			smp_call_function_single(READ_ONCE(vcpu->cpu),
						 kvmini_kick_noop, NULL, 1);
	}
}

/* --- the host state the core switches around the world switch --- */

bool kvmini_has_tsc_aux;	/* RDTSCP or RDPID read the TSC_AUX MSR (main.c) */
u64 kvmini_host_xcr0;		/* 0 if the host has no XSAVE (main.c) */

#define DR7_ENABLED	0xffULL		/* L0-3, G0-3 */

struct host_state {
	u64 tsc_aux;
	bool dr;		/* the guest's DR0-3 are in the CPU */
	bool xcr0;		/* the guest's XCR0 is in the CPU */
};

/*
 * Interrupts off, right around the backend's world switch: what neither
 * VMRUN nor VM entry switches, the same on every vendor. The guest's
 * DR0-3 (and DR6 where the hardware leaves it) while it has breakpoints
 * armed or uses them directly, its TSC_AUX (RDTSCP, RDPID read the MSR
 * itself), its XCR0 while it has CR4.OSXSAVE.
 */
static void load_guest_state(struct kvmini_vcpu *vcpu, struct host_state *h)
{
	h->dr = (vcpu->dr7 & DR7_ENABLED) || vcpu->dr_live;
	if (h->dr) {
		set_debugreg(vcpu->dr[0], 0);
		set_debugreg(vcpu->dr[1], 1);
		set_debugreg(vcpu->dr[2], 2);
		set_debugreg(vcpu->dr[3], 3);
		if (!kvmini_backend->switches_dr6)
			set_debugreg(vcpu->dr6, 6);
	}
	if (kvmini_has_tsc_aux) {
		rdmsrl(MSR_TSC_AUX, h->tsc_aux);
		if (h->tsc_aux != vcpu->tsc_aux)
			wrmsrl(MSR_TSC_AUX, vcpu->tsc_aux);
	}
	h->xcr0 = kvmini_host_xcr0 && (vcpu->cr4 & X86_CR4_OSXSAVE) &&
		  vcpu->xcr0 != kvmini_host_xcr0;
	if (h->xcr0)
		xsetbv(XCR_XFEATURE_ENABLED_MASK, vcpu->xcr0);
}

/*
 * Interrupts off, right around the world switch (the backends call them):
 * time from here on is the guest's, and for RCU the CPU is as in
 * userspace, a quiescent state (an extended one with nohz_full), as KVM
 * has it: a guest that keeps its CPU does not hold up the host's grace
 * periods. In between, nothing may use RCU or tracing.
 */
void kvmini_guest_context_enter(void)
{
	vtime_account_guest_enter();
	if (!context_tracking_guest_enter())
		rcu_virt_note_context_switch(smp_processor_id());
}

void kvmini_guest_context_exit(void)
{
	context_tracking_guest_exit();
	vtime_account_guest_exit();
}

/* Everything load_guest_state() switched goes back, whatever the guest did meanwhile. */
static void load_host_state(struct kvmini_vcpu *vcpu, const struct host_state *h)
{
	/*
	 * XCR0: checked, not assumed. A CPU that fails to intercept XSETBV
	 * (QEMU 7.2's emulated SVM) lets the guest set it, with or without
	 * the CR4.OSXSAVE it had at entry.
	 */
	if (kvmini_host_xcr0 &&
	    (h->xcr0 || xgetbv(XCR_XFEATURE_ENABLED_MASK) != kvmini_host_xcr0))
		xsetbv(XCR_XFEATURE_ENABLED_MASK, kvmini_host_xcr0);
	if (kvmini_has_tsc_aux && h->tsc_aux != vcpu->tsc_aux)
		wrmsrl(MSR_TSC_AUX, h->tsc_aux);
	if (vcpu->dr_live) {	/* what the guest did with them; intercepted again */
		get_debugreg(vcpu->dr[0], 0);
		get_debugreg(vcpu->dr[1], 1);
		get_debugreg(vcpu->dr[2], 2);
		get_debugreg(vcpu->dr[3], 3);
		if (!kvmini_backend->switches_dr6)
			get_debugreg(vcpu->dr6, 6);
		vcpu->dr_live = false;
	}
	if (h->dr || hw_breakpoint_active())
		hw_breakpoint_restore();	/* the host's DR0-3, DR6, DR7 */
}

/* --- the run loop --- */

static int vcpu_enter_exit(struct kvmini_vcpu *vcpu)
{
	const struct kvmini_backend *be = kvmini_backend;
	struct host_state host;
	unsigned int nmis;
	bool irq_in;
	int cpu, irq;

	preempt_disable();
	cpu = smp_processor_id();
	be->vcpu_load(vcpu, cpu);
	WRITE_ONCE(vcpu->cpu, cpu);
	kvmini_steal_load(vcpu);	/* scheduled in again: KVM's sched_in */

	local_irq_disable();
	if (vcpu->apic) {
		clear_bit(KVMINI_REQ_EVENT, &vcpu->requests);
		kvmini_lapic_inject(vcpu);
	}
	nmis = vcpu->nmi_pending;
	irq = vcpu->irq_pending;
	irq_in = be->inject_events(vcpu);
	if (irq_in) {
		vcpu->stat.irq_injections++;
		trace_kvmini_inj_irq(vcpu->id, false, irq);
	}
	if (vcpu->nmi_pending < nmis) {
		vcpu->stat.nmi_injections++;
		trace_kvmini_inj_irq(vcpu->id, true, X86_TRAP_NMI);
	}
	/*
	 * A reschedule inside RUN saved the guest's FPU registers and left
	 * them to be reloaded "on return to userspace": reload them now.
	 */
	if (test_thread_flag(TIF_NEED_FPU_LOAD))
		switch_fpu_return();
	WRITE_ONCE(vcpu->mode, IN_GUEST_MODE);
	smp_mb();	/* mode before requests; pairs with flush_remote_tlbs */
	if (test_and_clear_bit(KVMINI_REQ_TLB_FLUSH, &vcpu->requests)) {
		vcpu->stat.tlb_flush++;
		be->flush_tlb(vcpu);
	}
	if (test_and_clear_bit(KVMINI_REQ_MSR_FILTER, &vcpu->requests))
		kvmini_msr_filter_sync(vcpu);
	if (need_resched() || signal_pending(current) ||
	    test_bit(KVMINI_REQ_CLOCK_UPDATE, &vcpu->requests) ||
	    test_bit(KVMINI_REQ_STEAL_UPDATE, &vcpu->requests) ||
	    test_bit(KVMINI_REQ_SCAN_IOAPIC, &vcpu->requests) ||
	    test_bit(KVMINI_REQ_EVENT, &vcpu->requests)) {
		WRITE_ONCE(vcpu->mode, OUTSIDE_GUEST_MODE);
		local_irq_enable();
		preempt_enable();
		return 1;	/* go round: reschedule, take the signal, the clock, steal time */
	}
	/*
	 * As KVM with a userspace irqchip: an entry that delivers an external
	 * interrupt exits again right after delivering it (a self-IPI waits
	 * while interrupts are off), and the run loop looks again. This also
	 * keeps clear of a bug in QEMU 7.2's emulated SVM (our test host): it
	 * delivers such an interrupt a second time when an unrelated event
	 * stops the emulated CPU before the guest's next exit.
	 */
	if (irq_in)
		smp_send_reschedule(cpu);
	load_guest_state(vcpu, &host);
	trace_kvmini_entry(vcpu->id, vcpu->rip);
	be->enter_guest(vcpu);
	load_host_state(vcpu, &host);
	vcpu->stat.exits++;
	trace_kvmini_exit(vcpu->id, be->vmx, vcpu->exit_code, vcpu->rip);
	/* VMSCAPE: the host's userspace gets an IBPB before it runs again, as KVM. */
	if (cpu_feature_enabled(X86_FEATURE_IBPB_EXIT_TO_USER))
		this_cpu_write(x86_ibpb_exit_to_user, true);
	WRITE_ONCE(vcpu->mode, OUTSIDE_GUEST_MODE);
	local_irq_enable();
	preempt_enable();
	return be->handle_exit(vcpu);
}

static int sync_regs_in(struct kvmini_vcpu *vcpu);
static void sync_regs_out(struct kvmini_vcpu *vcpu);

static int vcpu_run(struct kvmini_vcpu *vcpu)
{
	struct kvmini_run *run = vcpu->run;
	int r = 1;

	if ((run->kvm_valid_regs | run->kvm_dirty_regs) & ~(u64)KVMINI_SYNC_X86_VALID_FIELDS) {
		r = -EINVAL;
		goto out;
	}
	if (run->kvm_dirty_regs) {
		r = sync_regs_in(vcpu);
		if (r)
			goto out;
		r = 1;	/* and on to the guest, as KVM (0 would return at once) */
	}
	/* Without an in-kernel APIC, the VMM owns the TPR: run->cr8 is it. */
	if (!vcpu->apic) {
		if (run->cr8 > 15) {
			r = -EINVAL;
			goto out;
		}
		kvmini_backend->set_cr8(vcpu, run->cr8);
	}
	if (vcpu->sigset_active)
		sigprocmask(SIG_SETMASK, &vcpu->sigset, &current->real_blocked);
	/*
	 * As KVM: an AP that has had no INIT yet sleeps until one comes (or a
	 * signal), then RUN returns EAGAIN for the VMM to call it again.
	 */
	if (vcpu->apic && vcpu->mp_state == KVMINI_MP_STATE_UNINITIALIZED) {
		if (READ_ONCE(run->immediate_exit)) {
			r = -EINTR;
		} else {
			kvmini_lapic_block(vcpu);
			r = -EAGAIN;
			if (signal_pending(current)) {
				run->exit_reason = KVMINI_EXIT_INTR;
				vcpu->stat.signal_exits++;
				r = -EINTR;
			}
		}
		goto out_sigset;
	}
	fpu_swap_kvm_fpstate(&vcpu->fpu, true);
	vcpu->has_run = true;
	/* As KVM's vcpu_load() for the ioctl: the steal time is brought up to date. */
	set_bit(KVMINI_REQ_STEAL_UPDATE, &vcpu->requests);
	if (vcpu->complete) {
		int (*complete)(struct kvmini_vcpu *) = vcpu->complete;

		vcpu->complete = NULL;
		/* As KVM: if userspace moved RIP, the exit is not completed. */
		if (vcpu->rip == vcpu->complete_rip)
			r = complete(vcpu);
	}
	if (r > 0 && READ_ONCE(run->immediate_exit))
		r = -EINTR;	/* as KVM: exit_reason stays what it was */
	vcpu->want_irq_window = run->request_interrupt_window;
	while (r > 0) {
		/* KVMINI_X86_SET_MCE found the guest unable to take a #MC. */
		if (test_and_clear_bit(KVMINI_REQ_TRIPLE_FAULT, &vcpu->requests)) {
			r = kvmini_exit_shutdown(vcpu);
			break;
		}
		/* The guest EOI'd a level-triggered vector of the VMM's IOAPIC. */
		if (test_and_clear_bit(KVMINI_REQ_IOAPIC_EOI, &vcpu->requests)) {
			run->exit_reason = KVMINI_EXIT_IOAPIC_EOI;
			run->eoi.vector = kvmini_lapic_ioapic_eoi(vcpu);
			r = 0;
			break;
		}
		/* As KVM: the VMM asked for the window, and it is open. */
		if (vcpu->want_irq_window && vcpu->irq_pending < 0 &&
		    kvmini_ready_for_injection(vcpu)) {
			run->exit_reason = KVMINI_EXIT_IRQ_WINDOW_OPEN;
			vcpu->stat.request_irq_exits++;
			r = 0;
			break;
		}
		if (signal_pending(current)) {
			run->exit_reason = KVMINI_EXIT_INTR;
			vcpu->stat.signal_exits++;
			r = -EINTR;
			break;
		}
		/* HLT and wait-for-SIPI sleep here, in the kernel. */
		if (vcpu->apic && kvmini_lapic_block(vcpu))
			continue;
		cond_resched();
		if (test_and_clear_bit(KVMINI_REQ_CLOCK_UPDATE, &vcpu->requests))
			kvmini_clock_update(vcpu);
		if (test_and_clear_bit(KVMINI_REQ_STEAL_UPDATE, &vcpu->requests))
			kvmini_steal_update(vcpu);
		if (test_and_clear_bit(KVMINI_REQ_SCAN_IOAPIC, &vcpu->requests))
			kvmini_lapic_scan_ioapic(vcpu);
		r = vcpu_enter_exit(vcpu);
	}
	fpu_swap_kvm_fpstate(&vcpu->fpu, false);
out_sigset:
	if (vcpu->sigset_active) {
		sigprocmask(SIG_SETMASK, &current->real_blocked, NULL);
		sigemptyset(&current->real_blocked);
	}
out:
	/* As KVM's post_kvm_run_save(): on every way out, the early EINVALs too. */
	run->if_flag = !!(vcpu->rflags & X86_EFLAGS_IF);
	run->cr8 = kvmini_backend->get_cr8(vcpu);
	run->apic_base = vcpu->apic_base;
	run->ready_for_interrupt_injection = vcpu->irq_pending < 0 &&
		kvmini_ready_for_injection(vcpu);
	run->flags = 0;
	if (run->kvm_valid_regs)
		sync_regs_out(vcpu);
	return r;
}

/* KVMINI_SET_SIGNAL_MASK: the signal mask while in KVMINI_RUN. */
static long vcpu_set_signal_mask(struct kvmini_vcpu *vcpu, void __user *argp)
{
	struct kvmini_signal_mask __user *um = argp;
	struct kvmini_signal_mask m;
	sigset_t set;

	if (!argp) {
		vcpu->sigset_active = false;
		return 0;
	}
	if (copy_from_user(&m, um, sizeof(m)))
		return -EFAULT;
	if (m.len != sizeof(sigset_t))
		return -EINVAL;
	if (copy_from_user(&set, um->sigset, sizeof(set)))
		return -EFAULT;
	sigdelsetmask(&set, sigmask(SIGKILL) | sigmask(SIGSTOP));
	vcpu->sigset = set;
	vcpu->sigset_active = true;
	return 0;
}

/* --- register ioctls --- */

static void vcpu_reset(struct kvmini_vcpu *vcpu, bool init);

/* KVM's RESET state; the backend does its part (segments, CR0...). */
void kvmini_vcpu_reset(struct kvmini_vcpu *vcpu)
{
	vcpu_reset(vcpu, false);
}

/* KVM's INIT: RESET but for APIC_BASE, CR0's CD and NW, the APIC's ID. */
void kvmini_vcpu_init(struct kvmini_vcpu *vcpu)
{
	struct kvmini_paging pg;

	kvmini_backend->get_paging(vcpu, &pg);
	vcpu_reset(vcpu, true);
	kvmini_backend->set_cr0(vcpu, X86_CR0_ET | (pg.cr0 & (X86_CR0_CD | X86_CR0_NW)));
}

static void vcpu_reset(struct kvmini_vcpu *vcpu, bool init)
{
	memset(vcpu->regs, 0, sizeof(vcpu->regs));
	/* As KVM: the guest's CPUID.1.EAX, or that of KVM's default model. */
	vcpu->regs[REG_RDX] = kvmini_cpuid_signature(vcpu);
	vcpu->rip = 0xfff0;
	vcpu->rflags = X86_EFLAGS_FIXED;
	vcpu->cr4 = 0;
	vcpu->efer = 0;
	memset(vcpu->pdptrs, 0, sizeof(vcpu->pdptrs));
	vcpu->interrupt_shadow = 0;
	if (!init)
		vcpu->apic_base = APIC_DEFAULT_PHYS_BASE | MSR_IA32_APICBASE_ENABLE |
				  (vcpu->id == vcpu->vm->bsp_vcpu_id ? MSR_IA32_APICBASE_BSP : 0);
	vcpu->dr6 = KVMINI_DR6_INIT;
	vcpu->dr7 = KVMINI_DR7_INIT;
	memset(vcpu->dr, 0, sizeof(vcpu->dr));
	vcpu->msr.smi_count = 0;	/* as KVM, also at INIT */
	kvmini_clock_reset(vcpu);
	kvmini_steal_reset(vcpu);
	kvmini_backend->vcpu_reset(vcpu);
	kvmini_lapic_reset(vcpu, init);
	kvmini_cpuid_update_runtime(vcpu);
}

static void get_regs(struct kvmini_vcpu *vcpu, struct kvmini_regs *r)
{
	const unsigned long *g = vcpu->regs;

	*r = (struct kvmini_regs) {
		.rax = g[REG_RAX], .rbx = g[REG_RBX], .rcx = g[REG_RCX],
		.rdx = g[REG_RDX], .rsi = g[REG_RSI], .rdi = g[REG_RDI],
		.rsp = g[REG_RSP], .rbp = g[REG_RBP],
		.r8 = g[REG_R8], .r9 = g[REG_R9], .r10 = g[REG_R10],
		.r11 = g[REG_R11], .r12 = g[REG_R12], .r13 = g[REG_R13],
		.r14 = g[REG_R14], .r15 = g[REG_R15],
		.rip = vcpu->rip, .rflags = vcpu->rflags,
	};
}

static void set_regs(struct kvmini_vcpu *vcpu, const struct kvmini_regs *r)
{
	unsigned long *g = vcpu->regs;

	g[REG_RAX] = r->rax; g[REG_RBX] = r->rbx; g[REG_RCX] = r->rcx;
	g[REG_RDX] = r->rdx; g[REG_RSI] = r->rsi; g[REG_RDI] = r->rdi;
	g[REG_RSP] = r->rsp; g[REG_RBP] = r->rbp;
	g[REG_R8] = r->r8; g[REG_R9] = r->r9; g[REG_R10] = r->r10;
	g[REG_R11] = r->r11; g[REG_R12] = r->r12; g[REG_R13] = r->r13;
	g[REG_R14] = r->r14; g[REG_R15] = r->r15;
	vcpu->rip = r->rip;
	vcpu->rflags = r->rflags | X86_EFLAGS_FIXED;	/* bit 1 always set */
}

/*
 * FPU/SSE state as KVMINI_GET/SET_FPU see it: the legacy FXSAVE area of
 * the guest's XSAVE image, via the kernel's uabi copy helpers.
 */
static int fpu_uabi(struct kvmini_vcpu *vcpu, struct fxregs_state **fx)
{
	*fx = kvzalloc(vcpu->fpu.uabi_size, GFP_KERNEL_ACCOUNT);
	if (!*fx)
		return -ENOMEM;
	fpu_copy_guest_fpstate_to_uabi(&vcpu->fpu, *fx, vcpu->fpu.uabi_size,
				       vcpu->fpu.xfeatures, 0);
	return 0;
}

static int get_fpu(struct kvmini_vcpu *vcpu, struct kvmini_fpu *f)
{
	struct fxregs_state *fx;
	int r = fpu_uabi(vcpu, &fx);

	if (r)
		return r;
	memset(f, 0, sizeof(*f));
	memcpy(f->fpr, fx->st_space, sizeof(f->fpr));
	f->fcw = fx->cwd;
	f->fsw = fx->swd;
	f->ftwx = fx->twd;
	f->last_opcode = fx->fop;
	f->last_ip = fx->rip;
	f->last_dp = fx->rdp;
	memcpy(f->xmm, fx->xmm_space, sizeof(f->xmm));
	f->mxcsr = fx->mxcsr;
	kvfree(fx);
	return 0;
}

static int set_fpu(struct kvmini_vcpu *vcpu, const struct kvmini_fpu *f)
{
	struct fxregs_state *fx;
	u32 pkru = 0;
	int r = fpu_uabi(vcpu, &fx);

	if (r)
		return r;
	memcpy(fx->st_space, f->fpr, sizeof(f->fpr));
	fx->cwd = f->fcw;
	fx->swd = f->fsw;
	fx->twd = f->ftwx;
	fx->fop = f->last_opcode;
	fx->rip = f->last_ip;
	fx->rdp = f->last_dp;
	memcpy(fx->xmm_space, f->xmm, sizeof(f->xmm));
	fx->mxcsr = f->mxcsr;
	/* XSTATE_BV: x87 and SSE now hold real values, not the init state. */
	((struct xregs_state *)fx)->header.xfeatures |= XFEATURE_MASK_FPSSE;
	r = fpu_copy_uabi_to_guest_fpstate(&vcpu->fpu, fx, vcpu->fpu.xfeatures, &pkru);
	kvfree(fx);
	return r;
}

/*
 * KVMINI_INTERRUPT with the VMM's own irqchip, as KVM: the vector goes in
 * at the next entry, whatever IF says (the VMM waits for
 * ready_for_interrupt_injection or an interrupt window); a second call
 * before that replaces the first.
 */
static long vcpu_interrupt(struct kvmini_vcpu *vcpu, void __user *argp)
{
	struct kvmini_interrupt irq;

	if (copy_from_user(&irq, argp, sizeof(irq)))
		return -EFAULT;
	if (irq.irq >= KVMINI_NR_INTERRUPTS)
		return -EINVAL;
	if (vcpu->vm->pic)	/* the PIC is the kernel's: as KVM */
		return -ENXIO;
	if (vcpu->apic)		/* the userspace PIC's, through LVT0 */
		return kvmini_lapic_extint(vcpu, irq.irq);
	vcpu->irq_pending = irq.irq;
	return 0;
}

/* KVMINI_NMI: at most two pending, one if an NMI is masked or in flight. */
static long vcpu_nmi(struct kvmini_vcpu *vcpu)
{
	unsigned int limit = (vcpu->nmi_masked ||
			      kvmini_backend->nmi_in_flight(vcpu)) ? 1 : 2;

	vcpu->nmi_pending = min(vcpu->nmi_pending + 1, limit);
	return 0;
}

#define EVENTS_VALID	(KVMINI_VCPUEVENT_VALID_NMI_PENDING | \
			 KVMINI_VCPUEVENT_VALID_SIPI_VECTOR | \
			 KVMINI_VCPUEVENT_VALID_SHADOW | KVMINI_VCPUEVENT_VALID_SMM)

static void get_events(struct kvmini_vcpu *vcpu, struct kvmini_vcpu_events *e)
{
	memset(e, 0, sizeof(*e));
	kvmini_backend->get_events(vcpu, e);
	e->interrupt.shadow = vcpu->interrupt_shadow;
	if (vcpu->irq_pending >= 0) {	/* KVMINI_INTERRUPT, about to go in */
		e->interrupt.injected = 1;
		e->interrupt.nr = vcpu->irq_pending;
	}
	e->nmi.pending = vcpu->nmi_pending != 0;
	e->nmi.masked = vcpu->nmi_masked;
	e->flags = KVMINI_VCPUEVENT_VALID_NMI_PENDING |
		   KVMINI_VCPUEVENT_VALID_SHADOW | KVMINI_VCPUEVENT_VALID_SMM;
}

static int set_events(struct kvmini_vcpu *vcpu, const struct kvmini_vcpu_events *e)
{
	if (e->flags & ~EVENTS_VALID)
		return -EINVAL;
	if ((e->exception.injected || e->exception.pending) &&
	    (e->exception.nr > 31 || e->exception.nr == 2))
		return -EINVAL;		/* not an exception vector (NMI is 2) */
	if ((e->flags & KVMINI_VCPUEVENT_VALID_SMM) && e->smi.smm)
		return -EINVAL;		/* no SMM */
	/* As KVM: KVMINI_INTERRUPT's vector is interrupt.injected, one slot. */
	vcpu->irq_pending = -1;
	kvmini_backend->set_events(vcpu, e);
	if (e->flags & KVMINI_VCPUEVENT_VALID_SHADOW)
		vcpu->interrupt_shadow = e->interrupt.shadow &
			(KVMINI_X86_SHADOW_INT_MOV_SS | KVMINI_X86_SHADOW_INT_STI);
	if (e->flags & KVMINI_VCPUEVENT_VALID_NMI_PENDING)
		vcpu->nmi_pending = e->nmi.pending;
	vcpu->nmi_masked = e->nmi.masked;
	return 0;
}

static long vcpu_events(struct kvmini_vcpu *vcpu, void __user *argp, bool set)
{
	struct kvmini_vcpu_events e;

	if (!set) {
		get_events(vcpu, &e);
		return copy_to_user(argp, &e, sizeof(e)) ? -EFAULT : 0;
	}
	if (copy_from_user(&e, argp, sizeof(e)))
		return -EFAULT;
	return set_events(vcpu, &e);
}

/*
 * KVMINI_CAP_SYNC_REGS: registers in kvmini_run itself. Those the VMM
 * marked dirty are loaded before the run (and their bits cleared), those
 * it marked valid are stored after it, whatever the run's result (as KVM).
 */
static int sync_regs_in(struct kvmini_vcpu *vcpu)
{
	struct kvmini_run *run = vcpu->run;
	struct kvmini_sync_regs *s = &run->s.regs;

	if (run->kvm_dirty_regs & KVMINI_SYNC_X86_REGS) {
		set_regs(vcpu, &s->regs);
		run->kvm_dirty_regs &= ~KVMINI_SYNC_X86_REGS;
	}
	if (run->kvm_dirty_regs & KVMINI_SYNC_X86_SREGS) {
		if (kvmini_set_sregs(vcpu, &s->sregs))
			return -EINVAL;
		run->kvm_dirty_regs &= ~KVMINI_SYNC_X86_SREGS;
	}
	if (run->kvm_dirty_regs & KVMINI_SYNC_X86_EVENTS) {
		if (set_events(vcpu, &s->events))
			return -EINVAL;
		run->kvm_dirty_regs &= ~KVMINI_SYNC_X86_EVENTS;
	}
	return 0;
}

static void sync_regs_out(struct kvmini_vcpu *vcpu)
{
	struct kvmini_run *run = vcpu->run;
	struct kvmini_sync_regs *s = &run->s.regs;

	if (run->kvm_valid_regs & KVMINI_SYNC_X86_REGS)
		get_regs(vcpu, &s->regs);
	if (run->kvm_valid_regs & KVMINI_SYNC_X86_SREGS)
		kvmini_get_sregs(vcpu, &s->sregs);
	if (run->kvm_valid_regs & KVMINI_SYNC_X86_EVENTS)
		get_events(vcpu, &s->events);
}

/*
 * KVMINI_GET/SET_MP_STATE. As KVM without an in-kernel APIC: the vCPU is
 * always RUNNABLE (HLT exits to the VMM, which also does INIT/SIPI), and
 * RUNNABLE is the only state the VMM may set. With one (lapic.c), KVM's
 * states: UNINITIALIZED, INIT_RECEIVED, HALTED, RUNNABLE; SIPI_RECEIVED
 * set is INIT_RECEIVED with a SIPI pending.
 */
static long vcpu_mp_state(struct kvmini_vcpu *vcpu, void __user *argp, bool set)
{
	struct kvmini_mp_state m = { .mp_state = KVMINI_MP_STATE_RUNNABLE };

	if (!set) {
		if (vcpu->apic) {
			kvmini_lapic_get_mp_state(vcpu);
			m.mp_state = vcpu->mp_state;
		}
		return copy_to_user(argp, &m, sizeof(m)) ? -EFAULT : 0;
	}
	if (copy_from_user(&m, argp, sizeof(m)))
		return -EFAULT;
	switch (m.mp_state) {
	case KVMINI_MP_STATE_RUNNABLE:
		break;
	case KVMINI_MP_STATE_UNINITIALIZED:
	case KVMINI_MP_STATE_HALTED:
	case KVMINI_MP_STATE_AP_RESET_HOLD:
	case KVMINI_MP_STATE_INIT_RECEIVED:
	case KVMINI_MP_STATE_SIPI_RECEIVED:
		if (!vcpu->apic)
			return -EINVAL;
		break;
	default:
		return -EINVAL;
	}
	if (!vcpu->apic)
		return 0;
	if (m.mp_state == KVMINI_MP_STATE_SIPI_RECEIVED) {
		vcpu->mp_state = KVMINI_MP_STATE_INIT_RECEIVED;
		kvmini_lapic_sipi_pending(vcpu);
	} else {
		vcpu->mp_state = m.mp_state;
	}
	set_bit(KVMINI_REQ_EVENT, &vcpu->requests);
	return 0;
}

#define DR6_VOLATILE	0x0001e00fULL
#define DR7_VOLATILE	0xffff2bffULL

static long vcpu_debugregs(struct kvmini_vcpu *vcpu, void __user *argp, bool set)
{
	struct kvmini_debugregs d;

	if (!set) {
		memset(&d, 0, sizeof(d));
		memcpy(d.db, vcpu->dr, sizeof(d.db));
		d.dr6 = vcpu->dr6;
		d.dr7 = vcpu->dr7;
		return copy_to_user(argp, &d, sizeof(d)) ? -EFAULT : 0;
	}
	if (copy_from_user(&d, argp, sizeof(d)))
		return -EFAULT;
	if (d.flags || (d.dr6 >> 32) || (d.dr7 >> 32))
		return -EINVAL;
	memcpy(vcpu->dr, d.db, sizeof(vcpu->dr));
	/* The fixed bits (bit 16 too: RTM is not offered) read as 1. */
	vcpu->dr6 = (d.dr6 & DR6_VOLATILE) | KVMINI_DR6_INIT;
	vcpu->dr7 = (d.dr7 & DR7_VOLATILE) | KVMINI_DR7_INIT;
	return 0;
}

static long vcpu_xcrs(struct kvmini_vcpu *vcpu, void __user *argp, bool set)
{
	struct kvmini_xcrs x;
	unsigned int i;

	if (!boot_cpu_has(X86_FEATURE_XSAVE))
		return -EINVAL;
	if (!set) {
		memset(&x, 0, sizeof(x));
		x.nr_xcrs = 1;
		x.xcrs[0].xcr = 0;
		x.xcrs[0].value = vcpu->xcr0;
		return copy_to_user(argp, &x, sizeof(x)) ? -EFAULT : 0;
	}
	if (copy_from_user(&x, argp, sizeof(x)))
		return -EFAULT;
	if (x.nr_xcrs > ARRAY_SIZE(x.xcrs) || x.flags)
		return -EINVAL;
	/* As KVM: the first entry for XCR0 counts, other XCRs are ignored. */
	for (i = 0; i < x.nr_xcrs; i++) {
		if (x.xcrs[i].xcr != XCR_XFEATURE_ENABLED_MASK)
			continue;
		if (!kvmini_xcr0_valid(vcpu, x.xcrs[i].value))
			return -EINVAL;
		vcpu->xcr0 = x.xcrs[i].value;
		kvmini_cpuid_update_runtime(vcpu);
		break;
	}
	return 0;
}

/* KVMINI_GET/SET_XSAVE: the guest's XSAVE image, standard format, 4 KiB. */
static long vcpu_xsave(struct kvmini_vcpu *vcpu, void __user *argp, bool set)
{
	struct kvmini_xsave *x = kvzalloc(sizeof(*x), GFP_KERNEL_ACCOUNT);
	u32 pkru = 0;
	long r = 0;

	if (!x)
		return -ENOMEM;
	if (!set) {
		fpu_copy_guest_fpstate_to_uabi(&vcpu->fpu, x->region, sizeof(x->region),
					       vcpu->fpu.xfeatures, 0);
		if (copy_to_user(argp, x, sizeof(*x)))
			r = -EFAULT;
	} else if (copy_from_user(x, argp, sizeof(*x))) {
		r = -EFAULT;
	} else {
		r = fpu_copy_uabi_to_guest_fpstate(&vcpu->fpu, x->region,
						   kvmini_supported_xcr0(), &pkru);
	}
	kvfree(x);
	return r;
}

/* KVMINI_GET/SET_MSRS: as KVM, returns how many entries were done. */

static long vcpu_msrs(struct kvmini_vcpu *vcpu, void __user *argp, bool set)
{
	struct kvmini_msrs __user *um = argp;
	struct kvmini_msr_entry *e;
	struct kvmini_msrs m;
	unsigned int i;
	long r;

	if (copy_from_user(&m, um, sizeof(m)))
		return -EFAULT;
	if (m.nmsrs >= KVMINI_MAX_IO_MSRS)
		return -E2BIG;
	e = memdup_user(um->entries, m.nmsrs * sizeof(*e));
	if (IS_ERR(e))
		return PTR_ERR(e);
	for (i = 0; i < m.nmsrs; i++)
		if (set ? kvmini_set_msr(vcpu, e[i].index, e[i].data, true)
			: kvmini_get_msr(vcpu, e[i].index, &e[i].data, true))
			break;
	r = i;
	if (!set && copy_to_user(um->entries, e, i * sizeof(*e)))
		r = -EFAULT;
	kfree(e);
	return r;
}

/* A kvmini_msr_list for the VMM: the count always, E2BIG if it has no room. */
static long put_msr_list(void __user *argp, const u32 *list, u32 have)
{
	struct kvmini_msr_list __user *ul = argp;
	u32 n;

	if (get_user(n, &ul->nmsrs) || put_user(have, &ul->nmsrs))
		return -EFAULT;
	if (n < have)
		return -E2BIG;
	return copy_to_user(ul->indices, list, have * sizeof(u32)) ? -EFAULT : 0;
}

long kvmini_get_msr_index_list(void __user *argp)
{
	return put_msr_list(argp, kvmini_msr_list, kvmini_nr_msrs);
}

long kvmini_get_msr_feature_index_list(void __user *argp)
{
	u32 list[8], have = 0, i;
	u64 v;

	for (i = 0; i < kvmini_nr_feature_msrs && have < ARRAY_SIZE(list); i++)
		if (!kvmini_get_feature_msr(kvmini_feature_msrs[i], &v))
			list[have++] = kvmini_feature_msrs[i];
	return put_msr_list(argp, list, have);
}

/* KVMINI_GET_MSRS on the device: the feature MSRs; stops at the first other. */
long kvmini_get_feature_msrs(void __user *argp)
{
	struct kvmini_msrs __user *um = argp;
	struct kvmini_msr_entry e;
	struct kvmini_msrs m;
	u32 i;

	if (copy_from_user(&m, um, sizeof(m)))
		return -EFAULT;
	if (m.nmsrs >= KVMINI_MAX_IO_MSRS)
		return -E2BIG;
	for (i = 0; i < m.nmsrs; i++) {
		if (copy_from_user(&e, &um->entries[i], sizeof(e)))
			return -EFAULT;
		if (kvmini_get_feature_msr(e.index, &e.data))
			break;
		if (copy_to_user(&um->entries[i], &e, sizeof(e)))
			return -EFAULT;
	}
	return i;
}

/*
 * The vCPU's device attributes, as KVM's: only KVMINI_VCPU_TSC_OFFSET of
 * KVMINI_VCPU_TSC_CTRL, the guest's TSC minus the host's (ENXIO for
 * anything else). Setting it leaves TSC_ADJUST alone, as KVM.
 */
static long vcpu_tsc_attr(struct kvmini_vcpu *vcpu, unsigned int cmd, void __user *argp)
{
	struct kvmini_device_attr a;
	u64 __user *uaddr;
	u64 offset;

	if (copy_from_user(&a, argp, sizeof(a)))
		return -EFAULT;
	if (a.group != KVMINI_VCPU_TSC_CTRL || a.attr != KVMINI_VCPU_TSC_OFFSET)
		return -ENXIO;
	if (cmd == KVMINI_HAS_DEVICE_ATTR)
		return 0;
	uaddr = u64_to_user_ptr(a.addr);
	if ((u64)(unsigned long)uaddr != a.addr)
		return -EFAULT;
	if (cmd == KVMINI_GET_DEVICE_ATTR)
		return put_user(vcpu->tsc_offset, uaddr) ? -EFAULT : 0;
	if (get_user(offset, uaddr))
		return -EFAULT;
	kvmini_set_tsc_offset(vcpu, offset);
	return 0;
}

static long vcpu_ioctl_locked(struct kvmini_vcpu *vcpu, unsigned int cmd,
			      void __user *argp)
{
	union {
		struct kvmini_regs regs;
		struct kvmini_sregs sregs;
		struct kvmini_fpu fpu;
		struct kvmini_x86_mce mce;
		struct kvmini_enable_cap cap;
		u64 mcg_cap;
	} u;
	int r;

	lockdep_assert_held(&vcpu->mutex);
	switch (cmd) {
	case KVMINI_RUN:
		if (argp)
			return -EINVAL;
		return vcpu_run(vcpu);
	case KVMINI_GET_REGS:
		get_regs(vcpu, &u.regs);
		return copy_to_user(argp, &u.regs, sizeof(u.regs)) ? -EFAULT : 0;
	case KVMINI_SET_REGS:
		if (copy_from_user(&u.regs, argp, sizeof(u.regs)))
			return -EFAULT;
		set_regs(vcpu, &u.regs);
		return 0;
	case KVMINI_GET_SREGS:
		kvmini_get_sregs(vcpu, &u.sregs);
		return copy_to_user(argp, &u.sregs, sizeof(u.sregs)) ? -EFAULT : 0;
	case KVMINI_SET_SREGS:
		if (copy_from_user(&u.sregs, argp, sizeof(u.sregs)))
			return -EFAULT;
		return kvmini_set_sregs(vcpu, &u.sregs);
	case KVMINI_X86_SETUP_MCE:
		if (copy_from_user(&u.mcg_cap, argp, sizeof(u.mcg_cap)))
			return -EFAULT;
		return kvmini_setup_mce(vcpu, u.mcg_cap);
	case KVMINI_X86_SET_MCE:
		if (copy_from_user(&u.mce, argp, sizeof(u.mce)))
			return -EFAULT;
		return kvmini_set_mce(vcpu, &u.mce);
	case KVMINI_HAS_DEVICE_ATTR:
	case KVMINI_GET_DEVICE_ATTR:
	case KVMINI_SET_DEVICE_ATTR:
		return vcpu_tsc_attr(vcpu, cmd, argp);
	case KVMINI_ENABLE_CAP:
		if (copy_from_user(&u.cap, argp, sizeof(u.cap)))
			return -EFAULT;
		/* As KVM: of the vCPU capabilities, the one not about Hyper-V. */
		if (u.cap.flags || u.cap.cap != KVMINI_CAP_ENFORCE_PV_FEATURE_CPUID)
			return -EINVAL;
		vcpu->pv_cpuid_enforce = u.cap.args[0];
		return 0;
	case KVMINI_INTERRUPT:
		return vcpu_interrupt(vcpu, argp);
	case KVMINI_NMI:
		return vcpu_nmi(vcpu);
	case KVMINI_GET_MP_STATE:
	case KVMINI_SET_MP_STATE:
		return vcpu_mp_state(vcpu, argp, cmd == KVMINI_SET_MP_STATE);
	case KVMINI_GET_TSC_KHZ:	/* as KVM without TSC scaling: the host's */
		return tsc_khz;
	case KVMINI_SET_VAPIC_ADDR: {
		struct kvmini_vapic_addr va;

		/*
		 * QEMU's in-kernel APIC clears it at every reset. kvmini has no
		 * TPR-patching page (KVMINI_CAP_VAPIC is 0): none is all it takes.
		 */
		if (!vcpu->apic)
			return -EINVAL;
		if (copy_from_user(&va, argp, sizeof(va)))
			return -EFAULT;
		return va.vapic_addr ? -EINVAL : 0;
	}
	case KVMINI_GET_LAPIC:
		return kvmini_get_lapic(vcpu, argp);
	case KVMINI_SET_LAPIC:
		return kvmini_set_lapic(vcpu, argp);
	case KVMINI_GET_VCPU_EVENTS:
	case KVMINI_SET_VCPU_EVENTS:
		return vcpu_events(vcpu, argp, cmd == KVMINI_SET_VCPU_EVENTS);
	case KVMINI_GET_DEBUGREGS:
	case KVMINI_SET_DEBUGREGS:
		return vcpu_debugregs(vcpu, argp, cmd == KVMINI_SET_DEBUGREGS);
	case KVMINI_GET_XCRS:
	case KVMINI_SET_XCRS:
		return vcpu_xcrs(vcpu, argp, cmd == KVMINI_SET_XCRS);
	case KVMINI_GET_XSAVE:
	case KVMINI_SET_XSAVE:
		return vcpu_xsave(vcpu, argp, cmd == KVMINI_SET_XSAVE);
	case KVMINI_SET_SIGNAL_MASK:
		return vcpu_set_signal_mask(vcpu, argp);
	case KVMINI_GET_MSRS:
		return vcpu_msrs(vcpu, argp, false);
	case KVMINI_SET_MSRS:
		return vcpu_msrs(vcpu, argp, true);
	case KVMINI_SET_CPUID2:
		return kvmini_set_cpuid2(vcpu, argp);
	case KVMINI_GET_CPUID2:
		return kvmini_get_cpuid2(vcpu, argp);
	case KVMINI_GET_STATS_FD:
		return kvmini_vcpu_stats_fd(vcpu);
	case KVMINI_KVMCLOCK_CTRL:
		return kvmini_kvmclock_ctrl(vcpu);
	case KVMINI_GET_FPU:
		r = get_fpu(vcpu, &u.fpu);
		if (!r && copy_to_user(argp, &u.fpu, sizeof(u.fpu)))
			r = -EFAULT;
		return r;
	case KVMINI_SET_FPU:
		if (copy_from_user(&u.fpu, argp, sizeof(u.fpu)))
			return -EFAULT;
		return set_fpu(vcpu, &u.fpu);
	default:
		return -ENOTTY;
	}
}

static long kvmini_vcpu_ioctl(struct file *file, unsigned int cmd,
			      unsigned long arg)
{
	struct kvmini_vcpu *vcpu = file->private_data;
	long r;

	if (vcpu->vm->mm != current->mm)
		return -EIO;
	if (mutex_lock_killable(&vcpu->mutex))
		return -EINTR;
	r = vcpu_ioctl_locked(vcpu, cmd, (void __user *)arg);
	mutex_unlock(&vcpu->mutex);
	return r;
}

/* mmap: page 0 is struct kvmini_run, page 1 the PIO data page. */
static vm_fault_t kvmini_vcpu_fault(struct vm_fault *vmf)
{
	struct kvmini_vcpu *vcpu = vmf->vma->vm_file->private_data;
	struct page *page;

	if (vmf->pgoff == 0)
		page = virt_to_page(vcpu->run);
	else if (vmf->pgoff == KVMINI_PIO_PAGE_OFFSET)
		page = virt_to_page(vcpu->pio_data);
	else
		return VM_FAULT_SIGBUS;
	get_page(page);
	vmf->page = page;
	return 0;
}

static const struct vm_operations_struct kvmini_vcpu_vm_ops = {
	.fault = kvmini_vcpu_fault,
};

static int kvmini_vcpu_mmap(struct file *file, struct vm_area_struct *vma)
{
	vma->vm_ops = &kvmini_vcpu_vm_ops;
	return 0;
}

static int kvmini_vcpu_release(struct inode *inode, struct file *file)
{
	struct kvmini_vcpu *vcpu = file->private_data;

	kvmini_vm_put(vcpu->vm);	/* vCPUs are freed with their VM */
	return 0;
}

static const struct file_operations kvmini_vcpu_fops = {
	.owner = THIS_MODULE,
	.release = kvmini_vcpu_release,
	.unlocked_ioctl = kvmini_vcpu_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.mmap = kvmini_vcpu_mmap,
	.llseek = noop_llseek,
};

static void vcpu_free(struct kvmini_vcpu *vcpu)
{
	kvmini_lapic_free(vcpu);
	if (vcpu->arch)
		kvmini_backend->vcpu_free(vcpu);
	fpu_free_guest_fpstate(&vcpu->fpu);
	kvfree(vcpu->cpuid);
	free_page((unsigned long)vcpu->run);
	free_page((unsigned long)vcpu->pio_data);
	kfree(vcpu);
}

/* At VM destruction: no vCPU fd is left. */
void kvmini_free_vcpus(struct kvmini_vm *vm)
{
	int i;

	for (i = 0; i < KVMINI_MAX_VCPUS; i++)
		if (vm->vcpus[i])
			vcpu_free(vm->vcpus[i]);
}

/*
 * Make @vcpu one of @vm's vCPUs: kvmini_flush_remote_tlbs() reaches it from
 * here on. Under vm->lock; nothing may fail after it (a vCPU, once seen,
 * stays until the VM goes).
 */
static void vcpu_publish(struct kvmini_vm *vm, struct kvmini_vcpu *vcpu)
{
	lockdep_assert_held(&vm->lock);
	WRITE_ONCE(vm->vcpus[vcpu->id], vcpu);
	if (vcpu->id >= atomic_read(&vm->online_vcpus)) {
		smp_wmb();	/* vcpus[id] before online_vcpus covers it */
		atomic_set(&vm->online_vcpus, vcpu->id + 1);
	}
}

/*
 * The fd comes last, as KVM intends: what can fail (the fd number, the
 * file) comes before the vCPU is published, and userspace gets the fd
 * (fd_install) only after, so it never sees a vCPU that is not fully one
 * of the VM's, nor can close it (dropping the file's VM reference) while
 * this still sets it up.
 */
int kvmini_create_vcpu(struct kvmini_vm *vm, unsigned long id)
{
	struct kvmini_vcpu *vcpu;
	struct file *file;
	char name[32];
	int r, fd;

	/* As KVM: the first vCPU fixes the id limit if the VMM did not. */
	mutex_lock(&vm->lock);
	if (!vm->max_vcpu_ids)
		vm->max_vcpu_ids = KVMINI_MAX_VCPUS;
	r = id < vm->max_vcpu_ids ? 0 : -EINVAL;
	if (!r)
		vm->created_vcpus++;
	mutex_unlock(&vm->lock);
	if (r)
		return r;
	r = -ENOMEM;
	vcpu = kzalloc(sizeof(*vcpu), GFP_KERNEL_ACCOUNT);
	if (!vcpu)
		goto out_uncount;
	vcpu->vm = vm;
	vcpu->id = id;
	vcpu->cpu = -1;
	vcpu->xcr0 = XFEATURE_MASK_FP;
	vcpu->irq_pending = -1;
	kvmini_msr_create(vcpu);
	mutex_init(&vcpu->mutex);
	vcpu->run = (void *)get_zeroed_page(GFP_KERNEL_ACCOUNT);
	vcpu->pio_data = (void *)get_zeroed_page(GFP_KERNEL_ACCOUNT);
	r = -ENOMEM;
	if (!vcpu->run || !vcpu->pio_data || !fpu_alloc_guest_fpstate(&vcpu->fpu))
		goto out_free;
	set_bit(KVMINI_REQ_TLB_FLUSH, &vcpu->requests);
	set_bit(KVMINI_REQ_MSR_FILTER, &vcpu->requests);
	r = kvmini_lapic_create(vcpu);
	if (r)
		goto out_free;
	r = kvmini_backend->vcpu_create(vcpu);
	if (r)
		goto out_free;
	kvmini_vcpu_reset(vcpu);

	mutex_lock(&vm->lock);
	r = -EEXIST;
	if (vm->vcpus[id])
		goto out_unlock;
	fd = get_unused_fd_flags(O_CLOEXEC);
	if (fd < 0) {
		r = fd;
		goto out_unlock;
	}
	snprintf(name, sizeof(name), "kvmini-vcpu:%lu", id);
	file = anon_inode_getfile(name, &kvmini_vcpu_fops, vcpu, O_RDWR);
	if (IS_ERR(file)) {
		put_unused_fd(fd);
		r = PTR_ERR(file);
		goto out_unlock;
	}
	kvmini_vm_get(vm);	/* the file's, dropped by kvmini_vcpu_release() */
	vcpu_publish(vm, vcpu);
	mutex_unlock(&vm->lock);
	fd_install(fd, file);
	return fd;

out_unlock:
	mutex_unlock(&vm->lock);
out_free:
	vcpu_free(vcpu);
out_uncount:
	mutex_lock(&vm->lock);
	vm->created_vcpus--;
	mutex_unlock(&vm->lock);
	return r;
}
