// SPDX-License-Identifier: GPL-2.0
/*
 * MSRs the VMM takes part in, with KVM's rules:
 * - KVMINI_X86_SET_MSR_FILTER: per VM, up to 16 ranges of MSRs with a
 *   bitmap each (bit set: allowed) for reads, writes or both, and a
 *   default for the rest. A guest RDMSR/WRMSR the filter denies fails
 *   (x2APIC MSRs are never filtered; the VMM's own GET/SET_MSRS never).
 * - KVMINI_CAP_X86_USER_SPACE_MSR: a guest RDMSR/WRMSR that fails for a
 *   reason the VMM chose (an MSR kvmini does not know, a value it refuses,
 *   the filter) exits as KVMINI_EXIT_X86_RDMSR/WRMSR instead of #GP; the
 *   next KVMINI_RUN takes run->msr.data (a read) and run->msr.error (#GP).
 *
 * The filter is read under RCU by vCPUs; a new one replaces the old after
 * a grace period. MSRs the backends let the guest use without an exit are
 * intercepted on every vCPU of the VM while the filter denies any of them.
 */
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <asm/msr-index.h>
#include <asm/trapnr.h>

#include "kvmini.h"

struct kvmini_filter {
	bool default_allow;
	unsigned int count;
	struct {
		u32 flags, base, nmsrs;
		unsigned long *bitmap;
	} ranges[KVMINI_MSR_FILTER_MAX_RANGES];
	struct rcu_head rcu;
};

/* What a backend may let the guest read or write without an exit. */
static const u32 passthrough_msrs[] = {
	MSR_FS_BASE, MSR_GS_BASE, MSR_KERNEL_GS_BASE,
	MSR_STAR, MSR_LSTAR, MSR_CSTAR, MSR_SYSCALL_MASK,
	MSR_IA32_SYSENTER_CS, MSR_IA32_SYSENTER_ESP, MSR_IA32_SYSENTER_EIP,
};

static void filter_free(struct kvmini_filter *f)
{
	unsigned int i;

	if (!f)
		return;
	for (i = 0; i < f->count; i++)
		kfree(f->ranges[i].bitmap);
	kfree(f);
}

static void filter_free_rcu(struct rcu_head *head)
{
	filter_free(container_of(head, struct kvmini_filter, rcu));
}

static bool filter_allows(const struct kvmini_filter *f, u32 msr, u32 type)
{
	unsigned int i;

	if (!f)
		return true;
	for (i = 0; i < f->count; i++)
		if (msr >= f->ranges[i].base && msr - f->ranges[i].base < f->ranges[i].nmsrs &&
		    (f->ranges[i].flags & type))
			return test_bit(msr - f->ranges[i].base, f->ranges[i].bitmap);
	return f->default_allow;
}

/* May the guest access @msr (@write: WRMSR)? */
bool kvmini_msr_allowed(struct kvmini_vcpu *vcpu, u32 msr, bool write)
{
	bool allowed;

	if (msr >= 0x800 && msr <= 0x8ff)	/* x2APIC: never filtered (KVM's rule) */
		return true;
	rcu_read_lock();
	allowed = filter_allows(rcu_dereference(vcpu->vm->msr_filter), msr,
				write ? KVMINI_MSR_FILTER_WRITE : KVMINI_MSR_FILTER_READ);
	rcu_read_unlock();
	return allowed;
}

long kvmini_set_msr_filter(struct kvmini_vm *vm, void __user *argp)
{
	struct kvmini_msr_filter_range *r;
	struct kvmini_msr_filter uf;
	struct kvmini_filter *f, *old;
	bool empty = true, deny_pt = false;
	unsigned int i, size;

	if (copy_from_user(&uf, argp, sizeof(uf)))
		return -EFAULT;
	if (uf.flags & ~KVMINI_MSR_FILTER_DEFAULT_DENY)
		return -EINVAL;
	for (i = 0; i < KVMINI_MSR_FILTER_MAX_RANGES; i++)
		empty &= !uf.ranges[i].nmsrs;
	if (empty && (uf.flags & KVMINI_MSR_FILTER_DEFAULT_DENY))
		return -EINVAL;
	f = kzalloc(sizeof(*f), GFP_KERNEL_ACCOUNT);
	if (!f)
		return -ENOMEM;
	f->default_allow = !(uf.flags & KVMINI_MSR_FILTER_DEFAULT_DENY);
	for (i = 0; i < KVMINI_MSR_FILTER_MAX_RANGES; i++) {
		r = &uf.ranges[i];
		if (!r->nmsrs)
			continue;
		size = BITS_TO_LONGS(r->nmsrs) * sizeof(long);
		if ((r->flags & ~(KVMINI_MSR_FILTER_READ | KVMINI_MSR_FILTER_WRITE)) ||
		    !r->flags || size > KVMINI_MSR_FILTER_MAX_BITMAP_SIZE) {
			filter_free(f);
			return -EINVAL;
		}
		f->ranges[f->count].bitmap = memdup_user(u64_to_user_ptr(r->bitmap), size);
		if (IS_ERR(f->ranges[f->count].bitmap)) {
			long err = PTR_ERR(f->ranges[f->count].bitmap);

			filter_free(f);
			return err;
		}
		f->ranges[f->count].flags = r->flags;
		f->ranges[f->count].base = r->base;
		f->ranges[f->count].nmsrs = r->nmsrs;
		f->count++;
	}
	for (i = 0; i < ARRAY_SIZE(passthrough_msrs); i++)
		deny_pt |= !filter_allows(f, passthrough_msrs[i], KVMINI_MSR_FILTER_READ) ||
			   !filter_allows(f, passthrough_msrs[i], KVMINI_MSR_FILTER_WRITE);

	mutex_lock(&vm->lock);
	old = rcu_dereference_protected(vm->msr_filter, lockdep_is_held(&vm->lock));
	rcu_assign_pointer(vm->msr_filter, f);
	WRITE_ONCE(vm->msr_intercept_all, deny_pt);
	/* Every vCPU out of the guest; each looks again before its next entry. */
	kvmini_request_all(vm, KVMINI_REQ_MSR_FILTER);
	mutex_unlock(&vm->lock);
	if (old)
		call_rcu(&old->rcu, filter_free_rcu);
	return 0;
}

/* At VM destruction: no vCPU reads it any more. */
void kvmini_msr_filter_destroy(struct kvmini_vm *vm)
{
	filter_free(rcu_dereference_protected(vm->msr_filter, true));
}

/* KVMINI_REQ_MSR_FILTER, before an entry: intercept what the filter now says. */
void kvmini_msr_filter_sync(struct kvmini_vcpu *vcpu)
{
	kvmini_backend->intercept_all_msrs(vcpu, READ_ONCE(vcpu->vm->msr_intercept_all));
}

/* The VMM's answer to a KVMINI_EXIT_X86_RDMSR/WRMSR. */
static int complete_user_msr(struct kvmini_vcpu *vcpu)
{
	struct kvmini_run *run = vcpu->run;

	if (run->msr.error) {
		kvmini_queue_exception(vcpu, X86_TRAP_GP, true, 0, 0);
		return EMU_REENTER;
	}
	if (run->exit_reason == KVMINI_EXIT_X86_RDMSR) {
		vcpu->regs[REG_RAX] = (u32)run->msr.data;
		vcpu->regs[REG_RDX] = run->msr.data >> 32;
	}
	return kvmini_complete_insn(vcpu);
}

/*
 * A guest RDMSR/WRMSR of @len bytes failed (@filtered: the filter said
 * no): to the VMM if it asked for this reason, else the guest's #GP.
 */
int kvmini_msr_failed(struct kvmini_vcpu *vcpu, u32 msr, bool write, u64 val,
		      bool filtered, unsigned int len)
{
	struct kvmini_run *run = vcpu->run;
	u32 reason;
	u64 tmp;

	if (filtered)
		reason = KVMINI_MSR_EXIT_REASON_FILTER;
	else	/* one kvmini has (the VMM could read it): the value was refused */
		reason = kvmini_get_msr(vcpu, msr, &tmp, true) ? KVMINI_MSR_EXIT_REASON_UNKNOWN
							       : KVMINI_MSR_EXIT_REASON_INVAL;
	if (!(READ_ONCE(vcpu->vm->user_space_msr_mask) & reason)) {
		kvmini_queue_exception(vcpu, X86_TRAP_GP, true, 0, 0);
		return EMU_REENTER;
	}
	run->exit_reason = write ? KVMINI_EXIT_X86_WRMSR : KVMINI_EXIT_X86_RDMSR;
	run->msr.error = 0;
	memset(run->msr.pad, 0, sizeof(run->msr.pad));
	run->msr.reason = reason;
	run->msr.index = msr;
	run->msr.data = write ? val : 0;
	vcpu->complete_rip = vcpu->rip;
	vcpu->next_rip = vcpu->rip + len;
	vcpu->complete = complete_user_msr;
	return EMU_EXIT;
}
