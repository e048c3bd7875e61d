// SPDX-License-Identifier: GPL-2.0
/*
 * Hardware virtualization on/off.
 *
 * kvmini keeps EFER.SVME / VMXON switched on only while at least one VM
 * exists, so that it can share a machine with kvm_amd/kvm_intel: whoever
 * switches it on first owns it, the other gets -EBUSY, and nobody ever
 * switches off what it did not switch on (the per-CPU virt_on flag).
 */
#include <linux/cpu.h>
#include <linux/cpuhotplug.h>
#include <linux/percpu.h>
#include <linux/reboot.h>
#include <linux/smp.h>
#include <linux/syscore_ops.h>

#include "kvmini.h"

static DEFINE_MUTEX(kvmini_virt_lock);
static unsigned int virt_users;		/* under kvmini_virt_lock */
static bool virt_rebooting;		/* under kvmini_virt_lock */
static DEFINE_PER_CPU(bool, virt_on);	/* this CPU switched on by us */
static enum cpuhp_state virt_hp_state;

/* On this CPU, interrupts off. @failed counts CPUs that refused. */
static void virt_cpu_on(void *failed)
{
	int r;

	if (this_cpu_read(virt_on))
		return;
	r = kvmini_backend->cpu_enable();
	if (r) {
		atomic_inc(failed);
		return;
	}
	this_cpu_write(virt_on, true);
}

static void virt_cpu_off(void *unused)
{
	if (!this_cpu_read(virt_on))
		return;
	kvmini_backend->cpu_disable();
	this_cpu_write(virt_on, false);
}

/* Take a reference on hardware virtualization; the first one switches it on. */
int kvmini_virt_get(void)
{
	atomic_t failed = ATOMIC_INIT(0);
	int r = 0;

	cpus_read_lock();
	mutex_lock(&kvmini_virt_lock);
	if (virt_rebooting) {
		r = -EBUSY;
	} else if (virt_users == 0) {
		on_each_cpu(virt_cpu_on, &failed, 1);
		if (atomic_read(&failed)) {
			on_each_cpu(virt_cpu_off, NULL, 1);
			pr_warn_ratelimited(KVMINI_PFX "%s is already in use on %d CPU(s), probably by another hypervisor\n",
					    kvmini_backend->name, atomic_read(&failed));
			r = -EBUSY;
		}
	}
	if (!r)
		virt_users++;
	mutex_unlock(&kvmini_virt_lock);
	cpus_read_unlock();
	return r;
}

void kvmini_virt_put(void)
{
	cpus_read_lock();
	mutex_lock(&kvmini_virt_lock);
	if (!WARN_ON_ONCE(virt_users == 0) && --virt_users == 0)
		on_each_cpu(virt_cpu_off, NULL, 1);
	mutex_unlock(&kvmini_virt_lock);
	cpus_read_unlock();
}

/* CPU hotplug: a CPU coming up while VMs exist gets virtualization too. */
static int virt_cpu_online(unsigned int cpu)
{
	atomic_t failed = ATOMIC_INIT(0);

	mutex_lock(&kvmini_virt_lock);
	if (virt_users && !virt_rebooting) {
		local_irq_disable();
		virt_cpu_on(&failed);
		local_irq_enable();
	}
	mutex_unlock(&kvmini_virt_lock);
	if (atomic_read(&failed)) {
		pr_warn(KVMINI_PFX "%s already in use on CPU %u\n",
			kvmini_backend->name, cpu);
		return -EBUSY;
	}
	return 0;
}

static int virt_cpu_offline(unsigned int cpu)
{
	mutex_lock(&kvmini_virt_lock);
	local_irq_disable();
	virt_cpu_off(NULL);
	local_irq_enable();
	mutex_unlock(&kvmini_virt_lock);
	return 0;
}

/* Reboot: switch off everywhere so INIT works, and refuse new VMs. */
static int virt_reboot(struct notifier_block *nb, unsigned long code, void *p)
{
	mutex_lock(&kvmini_virt_lock);
	virt_rebooting = true;
	on_each_cpu(virt_cpu_off, NULL, 1);
	mutex_unlock(&kvmini_virt_lock);
	return NOTIFY_OK;
}

static struct notifier_block virt_reboot_nb = {
	.notifier_call = virt_reboot,
	.priority = 0,
};

/*
 * Suspend/resume run on the last online CPU with interrupts off and all
 * tasks frozen, so virt_users cannot change under us (no lock needed).
 */
static int virt_suspend(void)
{
	if (virt_users)
		virt_cpu_off(NULL);
	return 0;
}

static void virt_resume(void)
{
	atomic_t failed = ATOMIC_INIT(0);

	if (virt_users)
		virt_cpu_on(&failed);
}

static struct syscore_ops virt_syscore_ops = {
	.suspend = virt_suspend,
	.resume = virt_resume,
};

int kvmini_virt_init(void)
{
	int r;

	r = cpuhp_setup_state_nocalls(CPUHP_AP_ONLINE_DYN, "kvmini:online",
				      virt_cpu_online, virt_cpu_offline);
	if (r < 0)
		return r;
	virt_hp_state = r;
	register_reboot_notifier(&virt_reboot_nb);
	register_syscore_ops(&virt_syscore_ops);
	return 0;
}

/* Called at unload, when no VM (hence no virtualization user) is left. */
void kvmini_virt_exit(void)
{
	unregister_syscore_ops(&virt_syscore_ops);
	unregister_reboot_notifier(&virt_reboot_nb);
	cpuhp_remove_state_nocalls(virt_hp_state);
	WARN_ON_ONCE(virt_users);
}
