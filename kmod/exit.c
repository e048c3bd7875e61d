// SPDX-License-Identifier: GPL-2.0
/*
 * The exits whose rules are the same on every vendor. A backend decodes
 * its hardware's exit (the instruction's length included: SVM without
 * next-RIP knows it per instruction, VMX reads it) and calls the helper
 * here, which decides what the guest or the VMM sees. Each returns what an
 * exit handler returns (enum kvmini_emu, or a negative errno).
 */
#include <linux/kernel.h>
#include <asm/mce.h>
#include <asm/trapnr.h>

#include "kvmini.h"
#include "trace.h"

int kvmini_exit_internal(struct kvmini_vcpu *vcpu, u32 suberror, int ndata, ...)
{
	struct kvmini_run *run = vcpu->run;
	va_list ap;
	int i;

	run->exit_reason = KVMINI_EXIT_INTERNAL_ERROR;
	run->internal.suberror = suberror;
	ndata = min(ndata, (int)ARRAY_SIZE(run->internal.data));
	run->internal.ndata = ndata;
	va_start(ap, ndata);
	for (i = 0; i < ndata; i++)
		run->internal.data[i] = va_arg(ap, u64);
	va_end(ap);
	return EMU_EXIT;
}

/*
 * Queue an exception for the next entry. As the CPU and KVM: a
 * fault-class one (all but #DB, #BP, #OF, #DF, #MC) sets RF in the RFLAGS
 * its handler finds on the stack.
 */
void kvmini_queue_exception(struct kvmini_vcpu *vcpu, u8 vector, bool has_error, u32 error,
			    u64 cr2)
{
	if (vector < 32 && !(BIT(vector) & (BIT(X86_TRAP_DB) | BIT(X86_TRAP_BP) | BIT(X86_TRAP_OF) |
					    BIT(X86_TRAP_DF) | BIT(X86_TRAP_MC))))
		vcpu->rflags |= X86_EFLAGS_RF;
	vcpu->stat.exception_injections++;
	trace_kvmini_inj_exception(vcpu->id, vector, has_error, error);
	kvmini_backend->queue_exception(vcpu, vector, has_error, error, cr2);
}

static int inject_gp(struct kvmini_vcpu *vcpu)
{
	kvmini_queue_exception(vcpu, X86_TRAP_GP, true, 0, 0);
	return EMU_REENTER;
}

int kvmini_exit_ud(struct kvmini_vcpu *vcpu)
{
	kvmini_queue_exception(vcpu, X86_TRAP_UD, false, 0, 0);
	return EMU_REENTER;
}

/*
 * RIP past the HLT; then without an in-kernel APIC, as KVM, to the VMM;
 * with one, the vCPU sleeps in the kernel until an event wakes it.
 */
int kvmini_exit_hlt(struct kvmini_vcpu *vcpu, unsigned int len)
{
	vcpu->stat.halt_exits++;
	kvmini_skip_insn(vcpu, len);
	if (vcpu->apic) {
		vcpu->mp_state = KVMINI_MP_STATE_HALTED;
		return EMU_REENTER;
	}
	vcpu->run->exit_reason = KVMINI_EXIT_HLT;
	return EMU_EXIT;
}

int kvmini_exit_cpuid(struct kvmini_vcpu *vcpu, unsigned int len)
{
	vcpu->stat.cpuid_exits++;
	/* CPUID faulting (MISC_FEATURES_ENABLES bit 0): #GP outside ring 0. */
	if ((vcpu->msr.misc_features & MSR_MISC_FEATURES_ENABLES_CPUID_FAULT) &&
	    kvmini_backend->cpl(vcpu))
		return inject_gp(vcpu);
	kvmini_emulate_cpuid(vcpu);
	return kvmini_skip_insn(vcpu, len);
}

/*
 * RDMSR/WRMSR (ECX; EDX:EAX): an MSR kvmini does not have, a value it
 * refuses or one the VMM's filter denies is #GP, or an exit to the VMM
 * (msr_user.c).
 */
int kvmini_exit_msr(struct kvmini_vcpu *vcpu, bool write, unsigned int len)
{
	u32 msr = vcpu->regs[REG_RCX];
	u64 val = (vcpu->regs[REG_RDX] << 32) | (u32)vcpu->regs[REG_RAX];

	vcpu->stat.msr_exits++;
	if (!kvmini_msr_allowed(vcpu, msr, write))
		return kvmini_msr_failed(vcpu, msr, write, val, true, len);
	if (write ? kvmini_set_msr(vcpu, msr, val, false) : kvmini_get_msr(vcpu, msr, &val, false))
		return kvmini_msr_failed(vcpu, msr, write, val, false, len);
	if (!write) {
		vcpu->regs[REG_RAX] = (u32)val;
		vcpu->regs[REG_RDX] = val >> 32;
	}
	return kvmini_skip_insn(vcpu, len);
}

int kvmini_exit_xsetbv(struct kvmini_vcpu *vcpu, unsigned int len)
{
	return kvmini_emulate_xsetbv(vcpu) ? kvmini_skip_insn(vcpu, len) : inject_gp(vcpu);
}

/*
 * RDPMC, as KVM 6.1 without a virtual PMU: four legacy counters that
 * never count (ECX bits 31:30 select the kind, ignored), #GP for others.
 */
int kvmini_exit_rdpmc(struct kvmini_vcpu *vcpu, unsigned int len)
{
	if (((u32)vcpu->regs[REG_RCX] & ~(3U << 30)) >= 4)
		return inject_gp(vcpu);
	vcpu->regs[REG_RAX] = vcpu->regs[REG_RDX] = 0;
	return kvmini_skip_insn(vcpu, len);
}

/* The host's interrupt, NMI or SMI stopped the guest; the host took it. */
int kvmini_exit_host_event(struct kvmini_vcpu *vcpu)
{
	vcpu->stat.irq_exits++;
	return 1;
}

int kvmini_exit_nop(struct kvmini_vcpu *vcpu, unsigned int len)
{
	return kvmini_skip_insn(vcpu, len);
}

/*
 * MONITOR, MWAIT: NOPs, as KVM; but #UD where the guest has no MWAIT in
 * CPUID and the VMM turned KVM's MWAIT_NEVER_UD_FAULTS quirk off.
 */
int kvmini_exit_monitor_mwait(struct kvmini_vcpu *vcpu, unsigned int len)
{
	if ((READ_ONCE(vcpu->vm->disabled_quirks) & KVMINI_X86_QUIRK_MWAIT_NEVER_UD_FAULTS) &&
	    !kvmini_guest_has(vcpu, 1, 2, 3))
		return kvmini_exit_ud(vcpu);
	return kvmini_skip_insn(vcpu, len);
}

/*
 * A triple fault. The SVM VMCB is undefined after one; as KVM on SVM, the
 * vCPU gets an INIT (RESET state but for CR0's CD and NW), on both
 * vendors, and the VMM is told.
 */
int kvmini_exit_shutdown(struct kvmini_vcpu *vcpu)
{
	kvmini_vcpu_init(vcpu);
	vcpu->run->exit_reason = KVMINI_EXIT_SHUTDOWN;
	return EMU_EXIT;
}

/*
 * The window is open: KVMINI_INTERRUPT's vector goes in at the next
 * entry, or the VMM that asked for the window hears of it. Only if it
 * really is open: some CPUs (QEMU's SVM) exit inside an interrupt shadow.
 */
int kvmini_exit_irq_window(struct kvmini_vcpu *vcpu)
{
	vcpu->stat.irq_window_exits++;
	if (vcpu->irq_pending < 0 && vcpu->want_irq_window && !vcpu->apic_window &&
	    kvmini_ready_for_injection(vcpu)) {
		vcpu->run->exit_reason = KVMINI_EXIT_IRQ_WINDOW_OPEN;
		return EMU_EXIT;
	}
	return EMU_REENTER;
}

/*
 * Map the page; no slot there (or a write to a read-only one): a device's,
 * and the instruction is emulated. But if the CPU was delivering an event
 * (@event: the backend's information of it, else 0), the access was the
 * delivery's own (the IDT, the stack...): nothing to emulate, and
 * re-delivering would fault forever. As KVM on VMX: an internal error.
 */
int kvmini_exit_npf(struct kvmini_vcpu *vcpu, u64 gpa, bool write, bool fetch, u64 event)
{
	int level = 0, r;

	vcpu->stat.pf_taken++;
	r = kvmini_mmu_fault(vcpu->vm, gpa, write, fetch, &level);
	trace_kvmini_npf(vcpu->id, gpa, write, fetch, level, r);
	if (level) {
		vcpu->stat.pf_fixed++;
		vcpu->stat.pf_fixed_2m += level == 2;
		vcpu->stat.pf_fixed_1g += level == 3;
	}
	if (!r)
		return EMU_REENTER;
	if (r != -ENOENT)
		return r;
	vcpu->stat.pf_emulate++;
	if (event)
		return kvmini_exit_internal(vcpu, KVMINI_INTERNAL_ERROR_DELIVERY_EV, 3,
					    event, gpa, (u64)vcpu->cpu);
	return kvmini_emulate_mmio(vcpu, gpa, fetch);
}

/*
 * The guest lowered its TPR (CR8): the VMM, which has the APIC, may now
 * deliver what it held back. As KVM without an in-kernel APIC, it hears
 * of it at once (run->cr8 has the new value); RIP is past the write.
 */
int kvmini_exit_set_tpr(struct kvmini_vcpu *vcpu)
{
	if (vcpu->apic)		/* the APIC is here: it looks before the next entry */
		return EMU_REENTER;
	vcpu->run->exit_reason = KVMINI_EXIT_SET_TPR;
	return EMU_EXIT;
}

int kvmini_exit_fail_entry(struct kvmini_vcpu *vcpu, u64 reason)
{
	vcpu->run->exit_reason = KVMINI_EXIT_FAIL_ENTRY;
	vcpu->run->fail_entry.hardware_entry_failure_reason = reason;
	vcpu->run->fail_entry.cpu = vcpu->cpu;
	return EMU_EXIT;
}

/*
 * The guest touched a debug register: as KVM, they are its own until its
 * next exit (no intercepts meanwhile); the access runs again natively.
 */
int kvmini_exit_dr_access(struct kvmini_vcpu *vcpu)
{
	vcpu->dr_live = true;
	return EMU_REENTER;
}

/*
 * Interrupts off, right after the world switch: a machine check of the
 * host's that hit while the guest ran (an #MC exit) goes to the host's
 * handler, as KVM does it: with a frame that says "user mode, interrupts
 * on", since the guest, not the kernel, was interrupted.
 */
void kvmini_machine_check(void)
{
#ifdef CONFIG_X86_MCE
	struct pt_regs regs = { .cs = 3, .flags = X86_EFLAGS_IF };

	do_machine_check(&regs);
#endif
}
