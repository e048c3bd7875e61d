// SPDX-License-Identifier: GPL-2.0
/*
 * The split irqchip's interrupt plumbing, KVM's rules: the GSI routing
 * table (KVMINI_SET_GSI_ROUTING: MSI routes only, the IOAPIC and PIC being
 * the VMM's), KVMINI_SIGNAL_MSI, and irqfds (KVMINI_IRQFD: an eventfd
 * whose signal delivers its GSI's MSI route, with no exit to the VMM).
 *
 * The routing table is replaced whole, under vm->lock, and read under RCU:
 * an irqfd looks its GSI's route up at each signal, so it follows every
 * routing change. An irqfd lives on the eventfd's wait queue; it is taken
 * off it (and freed) by a work item on kvmini_irqfd_wq, queued when the
 * VMM deassigns it, when the eventfd is closed (EPOLLHUP) or when the VM
 * dies; whoever must know it is gone flushes that workqueue.
 */
#include <linux/eventfd.h>
#include <linux/file.h>
#include <linux/nospec.h>
#include <linux/poll.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/wait.h>
#include <linux/workqueue.h>

#include "kvmini.h"

#define MSI_DATA_VECTOR		0xff
#define MSI_DATA_LEVEL		BIT(15)		/* trigger mode: level */

/* One GSI's route: with the split irqchip, an MSI or nothing. */
struct kvmini_msi_route {
	u32 address_lo, address_hi, data;
	bool valid;
};

struct kvmini_irq_routes {
	struct rcu_head rcu;
	u32 nr_gsis;				/* routes of GSIs 0 .. nr_gsis-1 */
	struct kvmini_msi_route msi[];
};

struct kvmini_kirqfd {
	struct kvmini_vm *vm;
	struct eventfd_ctx *eventfd;		/* a reference of ours */
	u32 gsi;
	wait_queue_entry_t wait;		/* on the eventfd's wait queue */
	poll_table pt;
	struct list_head list;			/* vm->irqfds.items; empty: shutting down */
	struct work_struct shutdown;
};

static struct workqueue_struct *kvmini_irqfd_wq;
atomic_t kvmini_live_irqfds = ATOMIC_INIT(0);

static bool irqchip_in_kernel(struct kvmini_vm *vm)
{
	return READ_ONCE(vm->irqchip_split);
}

/* A route's MSI address, as kvmini_apic_deliver_msi() takes it. */
static u64 route_addr(const struct kvmini_msi_route *m)
{
	return (u64)m->address_hi << 32 | m->address_lo;
}

static int deliver_route(struct kvmini_vm *vm, const struct kvmini_msi_route *m)
{
	return kvmini_apic_deliver_msi(vm, route_addr(m), m->data);
}

/*
 * Deliver @gsi's current route, if it has one. Any context. As KVM's
 * kvm_set_irq(): how many vCPUs took it, -1 if it went nowhere.
 */
static int deliver_gsi(struct kvmini_vm *vm, u32 gsi)
{
	const struct kvmini_irq_routes *rt;
	int r = -1;

	rcu_read_lock();
	rt = rcu_dereference(vm->irq_routes);
	if (rt && gsi < rt->nr_gsis) {
		gsi = array_index_nospec(gsi, rt->nr_gsis);
		if (rt->msi[gsi].valid)
			r = deliver_route(vm, &rt->msi[gsi]);
	}
	rcu_read_unlock();
	return r;
}

/*
 * KVM's kvm_scan_ioapic_routes() for one vCPU: the vectors of the
 * level-triggered MSI routes of the VMM's IOAPIC pins (GSIs below
 * nr_ioapic_pins) that address this vCPU. Their EOIs exit to the VMM
 * (KVMINI_EXIT_IOAPIC_EOI). As KVM 6.1, not those of a vector only
 * pending here (later KVMs also take those whose route moved away).
 */
void kvmini_irq_scan_ioapic(struct kvmini_vcpu *vcpu, unsigned long *vectors)
{
	const struct kvmini_irq_routes *rt;
	const struct kvmini_msi_route *m;
	u32 gsi, pins;

	rcu_read_lock();
	rt = rcu_dereference(vcpu->vm->irq_routes);
	pins = rt ? min(rt->nr_gsis, vcpu->vm->nr_ioapic_pins) : 0;
	for (gsi = 0; gsi < pins; gsi++) {
		m = &rt->msi[gsi];
		if (m->valid && (m->data & MSI_DATA_LEVEL) &&
		    kvmini_apic_msi_eoi_exit(vcpu, route_addr(m), m->data))
			__set_bit(m->data & MSI_DATA_VECTOR, vectors);
	}
	rcu_read_unlock();
}

/* Check and convert the VMM's table: the new routes, or an ERR_PTR. */
static struct kvmini_irq_routes *build_routes(const struct kvmini_irq_routing_entry *ue, u32 nr)
{
	struct kvmini_irq_routes *rt;
	u32 i, gsi, nr_gsis = 0;

	for (i = 0; i < nr; i++) {
		if (ue[i].gsi >= KVMINI_MAX_IRQ_ROUTES)
			return ERR_PTR(-EINVAL);
		nr_gsis = max(nr_gsis, ue[i].gsi + 1);
	}
	rt = kvzalloc(struct_size(rt, msi, nr_gsis), GFP_KERNEL_ACCOUNT);
	if (!rt)
		return ERR_PTR(-ENOMEM);
	rt->nr_gsis = nr_gsis;
	for (i = 0; i < nr; i++) {
		/*
		 * As KVM: only MSI routes with the split irqchip (IRQCHIP ones
		 * are refused, the other types are not x86's), flags only
		 * KVMINI_MSI_VALID_DEVID (x86 has no use for the device id:
		 * accepted, ignored), one route per GSI.
		 */
		if (ue[i].type != KVMINI_IRQ_ROUTING_MSI ||
		    (ue[i].flags & ~KVMINI_MSI_VALID_DEVID))
			goto inval;
		gsi = array_index_nospec(ue[i].gsi, nr_gsis);
		if (rt->msi[gsi].valid)
			goto inval;
		rt->msi[gsi].address_lo = ue[i].u.msi.address_lo;
		rt->msi[gsi].address_hi = ue[i].u.msi.address_hi;
		rt->msi[gsi].data = ue[i].u.msi.data;
		rt->msi[gsi].valid = true;
	}
	return rt;
inval:
	kvfree(rt);
	return ERR_PTR(-EINVAL);
}

long kvmini_set_gsi_routing(struct kvmini_vm *vm, void __user *argp)
{
	struct kvmini_irq_routing __user *urouting = argp;
	struct kvmini_irq_routing_entry *ue = NULL;
	struct kvmini_irq_routes *rt, *old;
	struct kvmini_irq_routing hdr;

	if (copy_from_user(&hdr, urouting, sizeof(hdr)))
		return -EFAULT;
	/* Without an in-kernel irqchip there is nothing to route to (KVM's EINVAL). */
	if (!irqchip_in_kernel(vm) || hdr.nr > KVMINI_MAX_IRQ_ROUTES || hdr.flags)
		return -EINVAL;
	if (hdr.nr) {
		ue = vmemdup_user(urouting->entries, array_size(sizeof(*ue), hdr.nr));
		if (IS_ERR(ue))
			return PTR_ERR(ue);
	}
	rt = build_routes(ue, hdr.nr);
	kvfree(ue);
	if (IS_ERR(rt))
		return PTR_ERR(rt);

	mutex_lock(&vm->lock);
	old = rcu_replace_pointer(vm->irq_routes, rt, lockdep_is_held(&vm->lock));
	mutex_unlock(&vm->lock);
	/* As KVM: every vCPU looks again at which EOIs exit, before it enters. */
	kvmini_request_all(vm, KVMINI_REQ_SCAN_IOAPIC);
	if (old)
		kvfree_rcu(old, rcu);	/* irqfds may be reading it right now */
	return 0;
}

long kvmini_signal_msi(struct kvmini_vm *vm, void __user *argp)
{
	struct kvmini_msi msi;

	if (copy_from_user(&msi, argp, sizeof(msi)))
		return -EFAULT;
	if (!irqchip_in_kernel(vm) || (msi.flags & ~KVMINI_MSI_VALID_DEVID))
		return -EINVAL;
	/* As KVM: vCPUs reached, or -1 (EPERM to the VMM) if none matches. */
	return kvmini_apic_deliver_msi(vm, (u64)msi.address_hi << 32 | msi.address_lo,
				       msi.data);
}

/*
 * KVMINI_IRQ_LINE and KVMINI_IRQ_LINE_STATUS: with the split irqchip the
 * VMM's IOAPIC raises its pins so, through their MSI routes (an MSI fires
 * on a raised level; a lowered one does nothing, as KVM's kvm_set_msi()).
 * ENXIO without an irqchip, as KVM.
 */
long kvmini_irq_line(struct kvmini_vm *vm, void __user *argp, bool status)
{
	struct kvmini_irq_level l;

	if (copy_from_user(&l, argp, sizeof(l)))
		return -EFAULT;
	if (!irqchip_in_kernel(vm))
		return -ENXIO;
	l.status = l.level ? deliver_gsi(vm, l.irq) : -1;
	if (status && copy_to_user(argp, &l, sizeof(l)))
		return -EFAULT;
	return 0;
}

/* Process context, no lock: the irqfd is off the list, no one else has it. */
static void irqfd_shutdown(struct work_struct *work)
{
	struct kvmini_kirqfd *irqfd = container_of(work, struct kvmini_kirqfd, shutdown);
	u64 cnt;

	/* Under the wait-queue lock: once off it, no wake-up can be running. */
	eventfd_ctx_remove_wait_queue(irqfd->eventfd, &irqfd->wait, &cnt);
	eventfd_ctx_put(irqfd->eventfd);
	kfree(irqfd);
	atomic_dec(&kvmini_live_irqfds);
}

/* Under vm->irqfds.lock: take it off the list, have it freed. */
static void irqfd_deactivate(struct kvmini_kirqfd *irqfd)
{
	lockdep_assert_held(&irqfd->vm->irqfds.lock);
	list_del_init(&irqfd->list);
	queue_work(kvmini_irqfd_wq, &irqfd->shutdown);
}

/* The eventfd's wake-up: its wait-queue lock held, interrupts off. */
static int irqfd_wakeup(wait_queue_entry_t *wait, unsigned int mode, int sync, void *key)
{
	struct kvmini_kirqfd *irqfd = container_of(wait, struct kvmini_kirqfd, wait);
	struct kvmini_vm *vm = irqfd->vm;
	__poll_t flags = key_to_poll(key);
	int r = 0;

	if (flags & EPOLLIN) {		/* signalled: consume it, deliver */
		u64 cnt;

		eventfd_ctx_do_read(irqfd->eventfd, &cnt);
		deliver_gsi(vm, irqfd->gsi);
		r = 1;
	}
	if (flags & EPOLLHUP) {		/* the eventfd is being closed */
		unsigned long iflags;

		/*
		 * Unless a deassign or the VM's end got there first: the
		 * shutdown they queued waits for this lock to unhook us.
		 */
		spin_lock_irqsave(&vm->irqfds.lock, iflags);
		if (!list_empty(&irqfd->list))
			irqfd_deactivate(irqfd);
		spin_unlock_irqrestore(&vm->irqfds.lock, iflags);
	}
	return r;
}

static void irqfd_queue_proc(struct file *file, wait_queue_head_t *wqh, poll_table *pt)
{
	struct kvmini_kirqfd *irqfd = container_of(pt, struct kvmini_kirqfd, pt);

	/* First on the queue, and exclusive: a signal is ours, as in KVM. */
	add_wait_queue_priority(wqh, &irqfd->wait);
}

static int irqfd_assign(struct kvmini_vm *vm, const struct kvmini_irqfd *args)
{
	struct eventfd_ctx *eventfd;
	struct kvmini_kirqfd *irqfd, *tmp;
	__poll_t events;
	struct fd f;
	int r = 0;

	/*
	 * As KVM's kvm_arch_irqfd_allowed(): an in-kernel irqchip, and
	 * RESAMPLE only with the whole of it in the kernel (its IOAPIC),
	 * which the split irqchip is not.
	 */
	if (!irqchip_in_kernel(vm) || (args->flags & KVMINI_IRQFD_FLAG_RESAMPLE))
		return -EINVAL;

	irqfd = kzalloc(sizeof(*irqfd), GFP_KERNEL_ACCOUNT);
	if (!irqfd)
		return -ENOMEM;
	irqfd->vm = vm;
	irqfd->gsi = args->gsi;
	INIT_LIST_HEAD(&irqfd->list);
	INIT_WORK(&irqfd->shutdown, irqfd_shutdown);
	init_waitqueue_func_entry(&irqfd->wait, irqfd_wakeup);
	init_poll_funcptr(&irqfd->pt, irqfd_queue_proc);

	f = fdget(args->fd);
	if (!f.file) {
		r = -EBADF;
		goto out_free;
	}
	eventfd = eventfd_ctx_fileget(f.file);	/* -EINVAL if not an eventfd */
	if (IS_ERR(eventfd)) {
		r = PTR_ERR(eventfd);
		goto out_fdput;
	}
	irqfd->eventfd = eventfd;

	/*
	 * One assignment at a time, so that no other can slip in between
	 * the check and the listing. It goes on the list only once hooked
	 * to the eventfd, so that a shutdown (which only listed ones get)
	 * always finds it there to unhook. Until listed, a wake-up may
	 * deliver (a real signal) but an EPOLLHUP cannot come: our file
	 * reference keeps the eventfd open.
	 */
	mutex_lock(&vm->lock);
	spin_lock_irq(&vm->irqfds.lock);
	list_for_each_entry(tmp, &vm->irqfds.items, list)
		if (tmp->eventfd == eventfd) {
			r = -EBUSY;	/* as KVM: one GSI per eventfd */
			break;
		}
	spin_unlock_irq(&vm->irqfds.lock);
	if (r) {
		mutex_unlock(&vm->lock);
		eventfd_ctx_put(eventfd);
		goto out_fdput;
	}
	events = vfs_poll(f.file, &irqfd->pt);
	atomic_inc(&kvmini_live_irqfds);
	spin_lock_irq(&vm->irqfds.lock);
	list_add_tail(&irqfd->list, &vm->irqfds.items);
	spin_unlock_irq(&vm->irqfds.lock);
	mutex_unlock(&vm->lock);

	/* Signalled before it was hooked: as if it had been (as KVM). */
	if (events & EPOLLIN)
		deliver_gsi(vm, args->gsi);
	fdput(f);
	return 0;

out_fdput:
	fdput(f);
out_free:
	kfree(irqfd);
	return r;
}

static int irqfd_deassign(struct kvmini_vm *vm, const struct kvmini_irqfd *args)
{
	struct kvmini_kirqfd *irqfd, *tmp;
	struct eventfd_ctx *eventfd;

	eventfd = eventfd_ctx_fdget(args->fd);	/* -EBADF, or -EINVAL: not an eventfd */
	if (IS_ERR(eventfd))
		return PTR_ERR(eventfd);
	spin_lock_irq(&vm->irqfds.lock);
	list_for_each_entry_safe(irqfd, tmp, &vm->irqfds.items, list)
		if (irqfd->eventfd == eventfd && irqfd->gsi == args->gsi)
			irqfd_deactivate(irqfd);
	spin_unlock_irq(&vm->irqfds.lock);
	eventfd_ctx_put(eventfd);
	/* As KVM: once this returns, that eventfd raises nothing more. */
	flush_workqueue(kvmini_irqfd_wq);
	return 0;
}

long kvmini_irqfd(struct kvmini_vm *vm, void __user *argp)
{
	struct kvmini_irqfd args;

	if (copy_from_user(&args, argp, sizeof(args)))
		return -EFAULT;
	if (args.flags & ~(KVMINI_IRQFD_FLAG_DEASSIGN | KVMINI_IRQFD_FLAG_RESAMPLE))
		return -EINVAL;
	if (args.flags & KVMINI_IRQFD_FLAG_DEASSIGN)
		return irqfd_deassign(vm, &args);
	return irqfd_assign(vm, &args);
}

void kvmini_irq_vm_init(struct kvmini_vm *vm)
{
	spin_lock_init(&vm->irqfds.lock);
	INIT_LIST_HEAD(&vm->irqfds.items);
}

void kvmini_irq_vm_destroy(struct kvmini_vm *vm)
{
	struct kvmini_kirqfd *irqfd, *tmp;

	spin_lock_irq(&vm->irqfds.lock);
	list_for_each_entry_safe(irqfd, tmp, &vm->irqfds.items, list)
		irqfd_deactivate(irqfd);
	spin_unlock_irq(&vm->irqfds.lock);
	/* Those and any an EPOLLHUP queued: none is hooked to its eventfd after. */
	flush_workqueue(kvmini_irqfd_wq);
	/* No reader is left: irqfds are gone, no ioctl holds the VM. */
	kvfree(rcu_dereference_protected(vm->irq_routes, 1));
}

int kvmini_irq_init(void)
{
	kvmini_irqfd_wq = alloc_workqueue("kvmini-irqfd-cleanup", 0, 0);
	return kvmini_irqfd_wq ? 0 : -ENOMEM;
}

void kvmini_irq_exit(void)
{
	destroy_workqueue(kvmini_irqfd_wq);
}
