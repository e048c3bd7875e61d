// SPDX-License-Identifier: GPL-2.0
/*
 * VM objects: created by KVMINI_CREATE_VM, one anonymous-inode fd each,
 * freed when the last reference (the VM fd, or a vCPU) goes.
 */
#include <linux/anon_inodes.h>
#include <linux/compat.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "kvmini.h"

atomic_t kvmini_live_vms = ATOMIC_INIT(0);

void kvmini_vm_get(struct kvmini_vm *vm)
{
	refcount_inc(&vm->refs);
}

void kvmini_vm_put(struct kvmini_vm *vm)
{
	if (!refcount_dec_and_test(&vm->refs))
		return;
	/*
	 * Every vCPU fd holds a reference: none is left. The PIT's timer
	 * and the irqfds go first: until stopped and unhooked they may still
	 * raise lines and deliver to the vCPUs; then the chips. Then the MMU
	 * notifier: until it is gone it may still flush vCPUs' TLBs.
	 */
	kvmini_pit_destroy(vm);		/* its timer raises lines through the routes */
	kvmini_irq_vm_destroy(vm);
	kvmini_ioapic_destroy(vm);
	kvmini_pic_destroy(vm);
	kvmini_mmu_destroy(vm);
	kvmini_free_vcpus(vm);
	kvmini_msr_filter_destroy(vm);
	kvmini_ioeventfd_destroy(vm);
	mmdrop(vm->mm);
	kvfree(vm);
	kvmini_virt_put();
	atomic_dec(&kvmini_live_vms);
}

static int kvmini_vm_release(struct inode *inode, struct file *file)
{
	kvmini_vm_put(file->private_data);
	return 0;
}

static long vm_set_memory_region(struct kvmini_vm *vm, void __user *argp)
{
	struct kvmini_userspace_memory_region r;

	if (copy_from_user(&r, argp, sizeof(r)))
		return -EFAULT;
	return kvmini_set_memory_region(vm, &r);
}

static long vm_get_dirty_log(struct kvmini_vm *vm, void __user *argp)
{
	struct kvmini_dirty_log log;

	if (copy_from_user(&log, argp, sizeof(log)))
		return -EFAULT;
	return kvmini_get_dirty_log(vm, &log);
}

/* No-ops on SVM; validated as KVM does so VMMs written for KVM work. */
static long vm_set_tss_addr(struct kvmini_vm *vm, unsigned long addr)
{
	if (addr > (unsigned int)(-3 * PAGE_SIZE))
		return -EINVAL;
	return 0;
}

static long vm_set_identity_map_addr(struct kvmini_vm *vm, void __user *argp)
{
	u64 addr;
	long r = 0;

	mutex_lock(&vm->lock);
	if (atomic_read(&vm->online_vcpus))
		r = -EINVAL;	/* only before the first vCPU */
	else if (copy_from_user(&addr, argp, sizeof(addr)))
		r = -EFAULT;
	mutex_unlock(&vm->lock);
	return r;
}

/*
 * KVMINI_ENABLE_CAP on the VM, KVM's rules. Of the quirks only
 * FIX_HYPERCALL_INSN changes anything here: the others are about KVM's
 * in-kernel APIC, SMM and MWAIT, which kvmini does not have, and CD/NW
 * stay out of the hardware's CR0 whatever the VMM says.
 */
static long vm_enable_cap(struct kvmini_vm *vm, void __user *argp)
{
	struct kvmini_enable_cap cap;
	long r = -EINVAL;

	if (copy_from_user(&cap, argp, sizeof(cap)))
		return -EFAULT;
	if (cap.flags)
		return -EINVAL;
	mutex_lock(&vm->lock);
	switch (cap.cap) {
	case KVMINI_CAP_DISABLE_QUIRKS2:
		if (cap.args[0] & ~(u64)KVMINI_X86_VALID_QUIRKS)
			break;
		fallthrough;
	case KVMINI_CAP_DISABLE_QUIRKS:
		WRITE_ONCE(vm->disabled_quirks, cap.args[0]);
		r = 0;
		break;
	case KVMINI_CAP_MANUAL_DIRTY_LOG_PROTECT2:
		if (cap.args[0] & ~(u64)KVMINI_DIRTY_LOG_MANUAL_CAPS)
			break;
		WRITE_ONCE(vm->manual_dirty_log_protect, cap.args[0]);
		r = 0;
		break;
	case KVMINI_CAP_X86_USER_SPACE_MSR:
		if (cap.args[0] & ~(u64)(KVMINI_MSR_EXIT_REASON_INVAL | KVMINI_MSR_EXIT_REASON_UNKNOWN |
					 KVMINI_MSR_EXIT_REASON_FILTER))
			break;
		WRITE_ONCE(vm->user_space_msr_mask, cap.args[0]);
		r = 0;
		break;
	case KVMINI_CAP_MSR_PLATFORM_INFO:	/* may the guest read it? */
		WRITE_ONCE(vm->no_platform_info, !cap.args[0]);
		r = 0;
		break;
	case KVMINI_CAP_EXIT_HYPERCALL:
		if (cap.args[0] & ~(u64)KVMINI_EXIT_HYPERCALL_VALID_MASK)
			break;
		WRITE_ONCE(vm->hypercall_exit_enabled, cap.args[0]);
		r = 0;
		break;
	case KVMINI_CAP_SPLIT_IRQCHIP:	/* before the first vCPU, once */
		if (cap.args[0] > KVMINI_MAX_IRQ_ROUTES)
			break;
		r = -EEXIST;
		if (vm->irqchip != KVMINI_IRQCHIP_NONE || vm->created_vcpus)
			break;
		vm->nr_ioapic_pins = cap.args[0];
		smp_wmb();	/* the pins before the mode */
		WRITE_ONCE(vm->irqchip, KVMINI_IRQCHIP_SPLIT);
		r = 0;
		break;
	case KVMINI_CAP_X2APIC_API:
		if (cap.args[0] & ~KVMINI_X2APIC_API_VALID)
			break;
		if (cap.args[0] & KVMINI_X2APIC_API_USE_32BIT_IDS)
			WRITE_ONCE(vm->x2apic_format, true);
		if (cap.args[0] & KVMINI_X2APIC_API_DISABLE_BROADCAST_QUIRK)
			WRITE_ONCE(vm->x2apic_broadcast_quirk_disabled, true);
		r = 0;
		break;
	case KVMINI_CAP_MAX_VCPU_ID:	/* once, and before the first vCPU */
		if (cap.args[0] > KVMINI_MAX_VCPUS)
			break;
		if (!vm->max_vcpu_ids)
			vm->max_vcpu_ids = cap.args[0];
		if (vm->max_vcpu_ids == cap.args[0])
			r = 0;
		break;
	}
	mutex_unlock(&vm->lock);
	return r;
}

static long kvmini_vm_ioctl(struct file *file, unsigned int cmd,
			    unsigned long arg)
{
	struct kvmini_vm *vm = file->private_data;
	void __user *argp = (void __user *)arg;

	if (vm->mm != current->mm)
		return -EIO;	/* as KVM: a VM is driven from its creator's mm */

	switch (cmd) {
	case KVMINI_CHECK_EXTENSION:
		return kvmini_check_extension(vm, arg);
	case KVMINI_CREATE_VCPU:
		return kvmini_create_vcpu(vm, (u32)arg);	/* as KVM: the id is 32 bits */
	case KVMINI_SET_USER_MEMORY_REGION:
		return vm_set_memory_region(vm, argp);
	case KVMINI_GET_DIRTY_LOG:
		return vm_get_dirty_log(vm, argp);
	case KVMINI_CLEAR_DIRTY_LOG: {
		struct kvmini_clear_dirty_log log;

		if (copy_from_user(&log, argp, sizeof(log)))
			return -EFAULT;
		return kvmini_clear_dirty_log(vm, &log);
	}
	case KVMINI_SET_GSI_ROUTING:
		return kvmini_set_gsi_routing(vm, argp);
	case KVMINI_SIGNAL_MSI:
		return kvmini_signal_msi(vm, argp);
	case KVMINI_IRQ_LINE:
	case KVMINI_IRQ_LINE_STATUS:
		return kvmini_irq_line(vm, argp, cmd == KVMINI_IRQ_LINE_STATUS);
	case KVMINI_IRQFD:
		return kvmini_irqfd(vm, argp);
	case KVMINI_CREATE_IRQCHIP:
		return kvmini_create_irqchip(vm);
	case KVMINI_GET_IRQCHIP:
	case KVMINI_SET_IRQCHIP:
		return kvmini_irqchip_state(vm, argp, cmd == KVMINI_SET_IRQCHIP);
	case KVMINI_CREATE_PIT:
	case KVMINI_CREATE_PIT2:
	case KVMINI_GET_PIT:
	case KVMINI_SET_PIT:
	case KVMINI_GET_PIT2:
	case KVMINI_SET_PIT2:
	case KVMINI_REINJECT_CONTROL:
		return kvmini_pit_ioctl(vm, cmd, argp);
	case KVMINI_ENABLE_CAP:
		return vm_enable_cap(vm, argp);
	case KVMINI_IOEVENTFD:
		return kvmini_ioeventfd(vm, argp);
	case KVMINI_GET_CLOCK:
		return kvmini_get_clock(vm, argp);
	case KVMINI_SET_CLOCK:
		return kvmini_set_clock(vm, argp);
	case KVMINI_SET_BOOT_CPU_ID: {
		long r = 0;

		mutex_lock(&vm->lock);
		if (vm->created_vcpus)
			r = -EBUSY;
		else
			vm->bsp_vcpu_id = arg;
		mutex_unlock(&vm->lock);
		return r;
	}
	case KVMINI_SET_NR_MMU_PAGES:
		if (arg < KVMINI_MIN_ALLOC_MMU_PAGES)
			return -EINVAL;
		mutex_lock(&vm->lock);
		vm->n_requested_mmu_pages = vm->n_max_mmu_pages = arg;
		mutex_unlock(&vm->lock);
		return 0;
	case KVMINI_GET_NR_MMU_PAGES:
		return READ_ONCE(vm->n_max_mmu_pages);
	case KVMINI_X86_SET_MSR_FILTER:
		return kvmini_set_msr_filter(vm, argp);
	case KVMINI_SET_TSS_ADDR:
		return vm_set_tss_addr(vm, arg);
	case KVMINI_SET_IDENTITY_MAP_ADDR:
		return vm_set_identity_map_addr(vm, argp);
	case KVMINI_GET_STATS_FD:
		return kvmini_vm_stats_fd(vm);
	default:
		return -ENOTTY;
	}
}

static const struct file_operations kvmini_vm_fops = {
	.owner = THIS_MODULE,
	.release = kvmini_vm_release,
	.unlocked_ioctl = kvmini_vm_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.llseek = noop_llseek,
};

int kvmini_create_vm(unsigned long type)
{
	struct kvmini_vm *vm;
	int r, fd;

	if (type != 0)
		return -EINVAL;
	vm = kvzalloc(sizeof(*vm), GFP_KERNEL_ACCOUNT);
	if (!vm)
		return -ENOMEM;
	refcount_set(&vm->refs, 1);
	mutex_init(&vm->lock);
	kvmini_irq_vm_init(vm);
	kvmini_clock_init(vm);
	vm->mm = current->mm;
	mmgrab(vm->mm);

	r = kvmini_mmu_create(vm);
	if (r) {
		mmdrop(vm->mm);
		kvfree(vm);
		return r;
	}
	r = kvmini_virt_get();
	if (r) {
		kvmini_mmu_destroy(vm);
		mmdrop(vm->mm);
		kvfree(vm);
		return r;
	}
	atomic_inc(&kvmini_live_vms);

	fd = anon_inode_getfd("kvmini-vm", &kvmini_vm_fops, vm,
			      O_RDWR | O_CLOEXEC);
	if (fd < 0)
		kvmini_vm_put(vm);
	return fd;
}
