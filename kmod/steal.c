// SPDX-License-Identifier: GPL-2.0
/*
 * Steal time, KVM's paravirtual account of the time a vCPU was ready to
 * run but its thread waited for a host CPU, with KVM 6.1's rules: the
 * guest's STEAL_TIME MSR (a 64-byte aligned GPA, KVMINI_MSR_ENABLED in bit
 * 0, bits 1-5 reserved) and its struct kvmini_steal_time in guest memory.
 *
 * The wait is the scheduler's: the thread's sched_info.run_delay, the
 * nanoseconds it spent runnable on a run queue. KVM adds what it grew by
 * to the guest's steal each time the vCPU is loaded (each vCPU ioctl, and
 * each time its thread is scheduled back in); kvmini has no preempt
 * notifier, so it asks for the same update (KVMINI_REQ_STEAL_UPDATE) at
 * each KVMINI_RUN and, with preemption off right before an entry, when the
 * thread has been scheduled in again since the last update (its
 * sched_info.pcount moved); the entry is then put off and the update
 * written, by the vCPU's own thread, from the run loop (it may sleep).
 *
 * Not done: KVM marks the area KVMINI_VCPU_PREEMPTED when the thread is
 * preempted (kvm_arch_vcpu_put); kvmini has no hook there, so it never
 * does, and guests (which only ask a preempted vCPU for a PV TLB flush)
 * never set KVMINI_VCPU_FLUSH_TLB. A VMM could: that flag is honoured as
 * KVM does, with a plain read and write of the byte where KVM swaps it.
 */
#include <linux/sched.h>
#include <linux/sched/stat.h>

#include "kvmini.h"

static u64 run_delay(void)
{
#ifdef CONFIG_SCHED_INFO
	return current->sched_info.run_delay;
#else
	return 0;
#endif
}

static unsigned long sched_in_count(void)
{
#ifdef CONFIG_SCHED_INFO
	return READ_ONCE(current->sched_info.pcount);
#else
	return 0;
#endif
}

/* Preemption off, before an entry: was the thread scheduled in since? */
void kvmini_steal_load(struct kvmini_vcpu *vcpu)
{
	if ((vcpu->st.msr_val & KVMINI_MSR_ENABLED) && sched_in_count() != vcpu->st.pcount)
		set_bit(KVMINI_REQ_STEAL_UPDATE, &vcpu->requests);
}

/* KVMINI_REQ_STEAL_UPDATE, before an entry (may sleep): KVM's record_steal_time(). */
void kvmini_steal_update(struct kvmini_vcpu *vcpu)
{
	struct kvmini_steal_time st;
	u64 gpa = vcpu->st.msr_val & KVMINI_STEAL_VALID_BITS;
	struct kvmini_vm *vm = vcpu->vm;
	u64 delay;
	u8 zero = 0;

	if (!(vcpu->st.msr_val & KVMINI_MSR_ENABLED))
		return;
	vcpu->st.pcount = sched_in_count();
	BUILD_BUG_ON(sizeof(st) != 64);		/* never crosses a page */
	if (kvmini_read_gpa(vm, gpa, &st, sizeof(st)))
		return;
	/* As KVM while the guest may ask for a PV TLB flush: done here for it. */
	if (kvmini_pv_has(vcpu, KVMINI_FEATURE_PV_TLB_FLUSH) &&
	    (st.preempted & KVMINI_VCPU_FLUSH_TLB))
		set_bit(KVMINI_REQ_TLB_FLUSH, &vcpu->requests);
	if (kvmini_write_gpa(vm, gpa + offsetof(struct kvmini_steal_time, preempted),
			     &zero, sizeof(zero)))
		return;
	if (st.version & 1)
		st.version++;	/* first write, random junk */
	st.version++;
	if (kvmini_write_gpa(vm, gpa + offsetof(struct kvmini_steal_time, version),
			     &st.version, sizeof(st.version)))
		return;
	smp_wmb();
	/* Read again: the guest may have written it meanwhile (another vCPU). */
	if (kvmini_read_gpa(vm, gpa, &st.steal, sizeof(st.steal)))
		return;
	delay = run_delay();
	st.steal += delay - vcpu->st.last_steal;
	vcpu->st.last_steal = delay;
	if (kvmini_write_gpa(vm, gpa, &st.steal, sizeof(st.steal)))
		return;
	smp_wmb();
	st.version++;
	kvmini_write_gpa(vm, gpa + offsetof(struct kvmini_steal_time, version),
			 &st.version, sizeof(st.version));
}

/*
 * The STEAL_TIME MSR: 0, -EINVAL (#GP; for the VMM, the write fails), or
 * -ENOENT: not this MSR.
 */
int kvmini_steal_msr(struct kvmini_vcpu *vcpu, u32 msr, u64 *val, bool write)
{
	if (msr != KVMINI_MSR_KVM_STEAL_TIME)
		return -ENOENT;
	if (!kvmini_pv_has(vcpu, KVMINI_FEATURE_STEAL_TIME))
		return -EINVAL;
	if (!write) {
		*val = vcpu->st.msr_val;
		return 0;
	}
	if (!sched_info_on() || (*val & KVMINI_STEAL_RESERVED_MASK))
		return -EINVAL;
	vcpu->st.msr_val = *val;
	if (*val & KVMINI_MSR_ENABLED)
		set_bit(KVMINI_REQ_STEAL_UPDATE, &vcpu->requests);
	return 0;
}

/* At RESET and INIT, as KVM: off until the guest turns it on again. */
void kvmini_steal_reset(struct kvmini_vcpu *vcpu)
{
	vcpu->st.msr_val = 0;
}
