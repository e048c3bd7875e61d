// SPDX-License-Identifier: GPL-2.0
/*
 * kvmini: a small KVM-compatible hypervisor. Module entry, /dev/kvmini and
 * the system ioctls.
 */
#include <linux/compat.h>
#include <linux/debugfs.h>
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/sched/stat.h>
#include <linux/uaccess.h>
#include <asm/fpu/xcr.h>

#include <linux/kvmini.h>
#include "kvmini.h"

const struct kvmini_backend *kvmini_backend;
static struct dentry *kvmini_debugfs;

/*
 * What KVMINI_CHECK_EXTENSION answers. Only capabilities that really work
 * are listed; every other number answers 0.
 */
static const struct {
	long cap;
	long val;
} kvmini_caps[] = {
	{ KVMINI_CAP_USER_MEMORY, 1 },
	{ KVMINI_CAP_SET_TSS_ADDR, 1 },
	{ KVMINI_CAP_EXT_CPUID, 1 },
	{ KVMINI_CAP_NR_MEMSLOTS, KVMINI_MAX_MEMSLOTS },
	{ KVMINI_CAP_SYNC_MMU, 1 },
	{ KVMINI_CAP_DESTROY_MEMORY_REGION_WORKS, 1 },
	{ KVMINI_CAP_JOIN_MEMORY_REGIONS_WORKS, 1 },
	{ KVMINI_CAP_SET_IDENTITY_MAP_ADDR, 1 },
	{ KVMINI_CAP_MAX_VCPUS, KVMINI_MAX_VCPUS },
	{ KVMINI_CAP_MAX_VCPU_ID, KVMINI_MAX_VCPUS },
	{ KVMINI_CAP_CHECK_EXTENSION_VM, 1 },
	{ KVMINI_CAP_IMMEDIATE_EXIT, 1 },
	{ KVMINI_CAP_MP_STATE, 1 },
	{ KVMINI_CAP_USER_NMI, 1 },
	{ KVMINI_CAP_VCPU_EVENTS, 1 },
	{ KVMINI_CAP_INTR_SHADOW, 1 },
	{ KVMINI_CAP_DEBUGREGS, 1 },
	{ KVMINI_CAP_XSAVE, 1 },
	{ KVMINI_CAP_READONLY_MEM, 1 },
	{ KVMINI_CAP_MCE, KVMINI_MCE_BANKS },
	{ KVMINI_CAP_ENABLE_CAP, 1 },
	{ KVMINI_CAP_MSR_PLATFORM_INFO, 1 },
	{ KVMINI_CAP_X86_USER_SPACE_MSR, 1 },
	{ KVMINI_CAP_X86_MSR_FILTER, 1 },
	{ KVMINI_CAP_VCPU_ATTRIBUTES, 1 },
	{ KVMINI_CAP_MANUAL_DIRTY_LOG_PROTECT2, KVMINI_DIRTY_LOG_MANUAL_CAPS },
	{ KVMINI_CAP_GET_MSR_FEATURES, 1 },
	{ KVMINI_CAP_SET_BOOT_CPU_ID, 1 },
	{ KVMINI_CAP_MMU_SHADOW_CACHE_CONTROL, 1 },
	{ KVMINI_CAP_SYNC_REGS, KVMINI_SYNC_X86_VALID_FIELDS },
	{ KVMINI_CAP_ENABLE_CAP_VM, 1 },
	{ KVMINI_CAP_DISABLE_QUIRKS, 1 },
	{ KVMINI_CAP_DISABLE_QUIRKS2, KVMINI_X86_VALID_QUIRKS },
	{ KVMINI_CAP_EXIT_HYPERCALL, KVMINI_EXIT_HYPERCALL_VALID_MASK },
	{ KVMINI_CAP_ENFORCE_PV_FEATURE_CPUID, 1 },
	{ KVMINI_CAP_ADJUST_CLOCK, KVMINI_CLOCK_TSC_STABLE | KVMINI_CLOCK_REALTIME |
				   KVMINI_CLOCK_HOST_TSC },
	{ KVMINI_CAP_KVMCLOCK_CTRL, 1 },
	{ KVMINI_CAP_BINARY_STATS_FD, 1 },
	/* KVM's values; all EINVAL without an irqchip (as KVM). */
	{ KVMINI_CAP_IRQ_ROUTING, KVMINI_MAX_IRQ_ROUTES },
	{ KVMINI_CAP_SIGNAL_MSI, 1 },
	{ KVMINI_CAP_IRQFD, 1 },
	/* Resampling needs the IOAPIC in the kernel: KVMINI_IRQFD says where. */
	{ KVMINI_CAP_IRQFD_RESAMPLE, 1 },
	/*
	 * The in-kernel irqchip: the local APICs alone (split: lapic.c), or
	 * with the PICs and IOAPIC (KVMINI_CREATE_IRQCHIP: pic.c, ioapic.c);
	 * the PIT (pit.c).
	 */
	{ KVMINI_CAP_IRQCHIP, 1 },
	{ KVMINI_CAP_IRQ_INJECT_STATUS, 1 },
	{ KVMINI_CAP_PIT, 1 },
	{ KVMINI_CAP_PIT2, 1 },
	{ KVMINI_CAP_PIT_STATE2, 1 },
	{ KVMINI_CAP_REINJECT_CONTROL, 1 },
	{ KVMINI_CAP_GET_TSC_KHZ, 1 },
	{ KVMINI_CAP_SPLIT_IRQCHIP, 1 },
	/* As KVM: the LAPIC's hrtimer is the deadline, whatever the host has. */
	{ KVMINI_CAP_TSC_DEADLINE_TIMER, 1 },
	{ KVMINI_CAP_X2APIC_API, KVMINI_X2APIC_API_VALID },
	{ KVMINI_CAP_IOEVENTFD, 1 },
	{ KVMINI_CAP_IOEVENTFD_NO_LENGTH, 1 },
	{ KVMINI_CAP_IOEVENTFD_ANY_LENGTH, 1 },
};

long kvmini_check_extension(struct kvmini_vm *vm, long cap)
{
	unsigned int i;

	if (cap == KVMINI_CAP_NR_VCPUS)		/* recommended: one per CPU */
		return min_t(long, num_online_cpus(), KVMINI_MAX_VCPUS);
	if (cap == KVMINI_CAP_XCRS)		/* GET/SET_XCRS need XSAVE here */
		return boot_cpu_has(X86_FEATURE_XSAVE);
	if (cap == KVMINI_CAP_STEAL_TIME)	/* steal.c: the scheduler's run_delay */
		return sched_info_on();
	for (i = 0; i < ARRAY_SIZE(kvmini_caps); i++)
		if (kvmini_caps[i].cap == cap)
			return kvmini_caps[i].val;
	return 0;
}

static long kvmini_dev_ioctl(struct file *file, unsigned int cmd,
			     unsigned long arg)
{
	switch (cmd) {
	case KVMINI_GET_API_VERSION:
		if (arg)
			return -EINVAL;
		return KVMINI_API_VERSION;
	case KVMINI_CREATE_VM:
		return kvmini_create_vm(arg);
	case KVMINI_CHECK_EXTENSION:
		return kvmini_check_extension(NULL, arg);
	case KVMINI_GET_MSR_INDEX_LIST:
		return kvmini_get_msr_index_list((void __user *)arg);
	case KVMINI_GET_MSR_FEATURE_INDEX_LIST:
		return kvmini_get_msr_feature_index_list((void __user *)arg);
	case KVMINI_GET_MSRS:
		return kvmini_get_feature_msrs((void __user *)arg);
	case KVMINI_GET_SUPPORTED_CPUID:
		return kvmini_get_supported_cpuid((void __user *)arg);
	case KVMINI_X86_GET_MCE_CAP_SUPPORTED: {
		u64 cap = kvmini_mce_cap_supported();

		return copy_to_user((void __user *)arg, &cap, sizeof(cap)) ? -EFAULT : 0;
	}
	case KVMINI_GET_VCPU_MMAP_SIZE:
		if (arg)
			return -EINVAL;
		return 2 * PAGE_SIZE;	/* the run struct and the PIO data page */
	default:
		return -ENOTTY;
	}
}

static const struct file_operations kvmini_dev_fops = {
	.owner = THIS_MODULE,
	.unlocked_ioctl = kvmini_dev_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.llseek = noop_llseek,
};

static struct miscdevice kvmini_dev = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "kvmini",
	.fops = &kvmini_dev_fops,
	.mode = 0600,	/* udev gives group kvm access (kmod/60-kvmini.rules) */
};

/*
 * kvm_alias=1: also be /dev/kvm (misc minor 232, KVM's own), for KVM
 * clients that open that path (QEMU). Refused while kvm.ko holds it; and
 * while kvmini holds it, kvm_amd/kvm_intel cannot load.
 */
#define KVM_MISC_MINOR	232
static bool kvm_alias;
module_param(kvm_alias, bool, 0444);
MODULE_PARM_DESC(kvm_alias, "also register /dev/kvm (when kvm.ko is not loaded)");

static struct miscdevice kvmini_kvm_alias = {
	.minor = KVM_MISC_MINOR,
	.name = "kvm",
	.fops = &kvmini_dev_fops,
	.mode = 0600,
};

static const struct kvmini_backend *const kvmini_backends[] = {
	&kvmini_svm_backend,
	&kvmini_vmx_backend,
};

/* Every op a backend must have: the core calls them without checking. */
static bool backend_complete(const struct kvmini_backend *be)
{
	const void *ops[] = {
		be->probe, be->init, be->exit, be->cpu_enable, be->cpu_disable,
		be->pt_format, be->vcpu_create, be->vcpu_free, be->vcpu_reset,
		be->vcpu_load, be->flush_tlb, be->enter_guest, be->handle_exit,
		be->get_sregs, be->set_sregs, be->get_paging, be->set_cr0,
		be->load_cr4, be->load_efer, be->load_tsc_offset, be->intercept_all_msrs,
		be->queue_exception,
		be->seg_base, be->cs_mode, be->cpl, be->get_cr8, be->set_cr8,
		be->interrupt_allowed, be->inject_events, be->get_events,
		be->set_events, be->nmi_in_flight, be->get_msr, be->set_msr,
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(ops); i++)
		if (!ops[i]) {
			pr_err(KVMINI_PFX "backend %s lacks op %u\n", be->name, i);
			return false;
		}
	return true;
}

static int kvmini_pick_backend(void)
{
	unsigned int i;
	int r;

	for (i = 0; i < ARRAY_SIZE(kvmini_backends); i++) {
		if (!backend_complete(kvmini_backends[i]))
			return -EINVAL;
		r = kvmini_backends[i]->probe();
		if (r == 0) {
			kvmini_backend = kvmini_backends[i];
			return 0;
		}
		if (r != -ENODEV)
			return r;	/* the backend said why */
	}
	pr_err(KVMINI_PFX "this CPU has neither AMD SVM nor Intel VMX\n");
	return -ENODEV;
}

static int __init kvmini_init(void)
{
	int r;

	r = kvmini_pick_backend();
	if (r)
		return r;
	kvmini_has_tsc_aux = boot_cpu_has(X86_FEATURE_RDTSCP) ||
			     boot_cpu_has(X86_FEATURE_RDPID);
	if (boot_cpu_has(X86_FEATURE_XSAVE))
		kvmini_host_xcr0 = xgetbv(XCR_XFEATURE_ENABLED_MASK);
	r = kvmini_backend->init();
	if (r)
		return r;
	r = kvmini_virt_init();
	if (r)
		goto out_backend;
	r = kvmini_irq_init();
	if (r)
		goto out_virt;
	r = misc_register(&kvmini_dev);
	if (r)
		goto out_irq;
	if (kvm_alias) {
		r = misc_register(&kvmini_kvm_alias);
		if (r) {
			pr_err(KVMINI_PFX "kvm_alias: /dev/kvm is taken (kvm.ko loaded?)\n");
			misc_deregister(&kvmini_dev);
			goto out_irq;
		}
	}

	/* Live-object counters for leak tests and diagnostics. */
	kvmini_debugfs = debugfs_create_dir("kvmini", NULL);
	debugfs_create_atomic_t("vms", 0444, kvmini_debugfs, &kvmini_live_vms);
	debugfs_create_atomic_t("irqfds", 0444, kvmini_debugfs, &kvmini_live_irqfds);
	pr_info(KVMINI_PFX "loaded, using %s\n", kvmini_backend->name);
	return 0;

out_irq:
	kvmini_irq_exit();
out_virt:
	kvmini_virt_exit();
out_backend:
	kvmini_backend->exit();
	return r;
}

static void __exit kvmini_exit(void)
{
	debugfs_remove_recursive(kvmini_debugfs);
	if (kvm_alias)
		misc_deregister(&kvmini_kvm_alias);
	misc_deregister(&kvmini_dev);
	kvmini_irq_exit();
	kvmini_virt_exit();
	kvmini_backend->exit();
	rcu_barrier();	/* msr_user.c's call_rcu() callbacks are module code */
}

module_init(kvmini_init);
module_exit(kvmini_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("kvmini: a small KVM-compatible hypervisor");
MODULE_VERSION(KVMINI_VERSION);
