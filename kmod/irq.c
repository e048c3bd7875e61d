// SPDX-License-Identifier: GPL-2.0
/*
 * Interrupt plumbing, KVM's rules: the GSI routing table
 * (KVMINI_SET_GSI_ROUTING; MSI routes, and with the whole irqchip in the
 * kernel IRQCHIP routes to PIC and IOAPIC pins, KVM's default table to
 * begin with), KVMINI_IRQ_LINE, KVMINI_SIGNAL_MSI, and irqfds (an eventfd
 * whose signal raises its GSI, with no exit to the VMM; with
 * KVMINI_IRQFD_FLAG_RESAMPLE a level-triggered one, lowered again at the
 * guest's EOI, which signals the resamplefd).
 *
 * The routing table is replaced whole, under vm->lock, and read under RCU:
 * an irqfd looks its GSI's routes up at each signal, so it follows every
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
#include <linux/sort.h>
#include <linux/uaccess.h>
#include <linux/wait.h>
#include <linux/workqueue.h>

#include "kvmini.h"

#define MSI_DATA_VECTOR		0xff
#define MSI_DATA_LEVEL		BIT(15)		/* trigger mode: level */
#define NR_IRQCHIPS		3		/* PIC master, PIC slave, IOAPIC */
#define IRQCHIP_PINS		KVMINI_IOAPIC_NUM_PINS

/* One route of a GSI: an MSI, or a pin of the PIC or IOAPIC. */
struct kvmini_route {
	u32 gsi;
	u32 type;			/* KVMINI_IRQ_ROUTING_* */
	union {
		struct { u32 address_lo, address_hi, data; } msi;
		struct { u32 chip, pin; } irqchip;	/* pin: 0-7 on a PIC */
	};
};

struct kvmini_irq_routes {
	struct rcu_head rcu;
	u32 nr_gsis;			/* routes of GSIs 0 .. nr_gsis-1 */
	u32 *first;			/* GSI g's routes: e[first[g] .. first[g+1]) */
	s16 chip_gsi[NR_IRQCHIPS][IRQCHIP_PINS];	/* a pin's GSI, or -1 */
	struct kvmini_route e[];	/* by GSI */
};

/* KVMINI_IRQFD_FLAG_RESAMPLE's: the irqfds of one GSI, lowered at its EOI. */
struct kvmini_resampler {
	struct kvmini_vm *vm;
	u32 gsi;
	struct list_head link;		/* vm->irqfds.resamplers (RCU) */
	struct list_head irqfds;	/* theirs (RCU) */
	struct rcu_head rcu;
};

struct kvmini_kirqfd {
	struct kvmini_vm *vm;
	struct eventfd_ctx *eventfd;		/* a reference of ours */
	u32 gsi;
	wait_queue_entry_t wait;		/* on the eventfd's wait queue */
	poll_table pt;
	struct list_head list;			/* vm->irqfds.items; empty: shutting down */
	struct work_struct shutdown;
	struct kvmini_resampler *resampler;	/* with RESAMPLE, else NULL */
	struct eventfd_ctx *resamplefd;
	struct list_head resampler_link;	/* resampler->irqfds */
};

static struct workqueue_struct *kvmini_irqfd_wq;
atomic_t kvmini_live_irqfds = ATOMIC_INIT(0);

/* A route's MSI address, as kvmini_apic_deliver_msi() takes it. */
static u64 route_addr(const struct kvmini_route *m)
{
	return (u64)m->msi.address_hi << 32 | m->msi.address_lo;
}

/* One route's share of a line change (KVM's set functions). */
static int set_route(struct kvmini_vm *vm, const struct kvmini_route *e, int src,
		     int level)
{
	if (e->type == KVMINI_IRQ_ROUTING_MSI)	/* an MSI fires on a raised level */
		return level ? kvmini_apic_deliver_msi(vm, route_addr(e), e->msi.data) : -1;
	if (e->irqchip.chip == KVMINI_IRQCHIP_IOAPIC)
		return kvmini_ioapic_set_irq(vm->ioapic, e->irqchip.pin, src, level);
	return kvmini_pic_set_irq(vm->pic, e->irqchip.pin + 8 * e->irqchip.chip, src, level);
}

int kvmini_set_irq(struct kvmini_vm *vm, int src, u32 gsi, int level)
{
	const struct kvmini_irq_routes *rt;
	int r, ret = -1;
	u32 i;

	rcu_read_lock();
	rt = rcu_dereference(vm->irq_routes);
	if (rt && gsi < rt->nr_gsis) {
		gsi = array_index_nospec(gsi, rt->nr_gsis);
		/* As KVM: the sum of what each route reached, -1 if none did. */
		for (i = rt->first[gsi]; i < rt->first[gsi + 1]; i++) {
			r = set_route(vm, &rt->e[i], src, level);
			if (r >= 0)
				ret = r + max(ret, 0);
		}
	}
	rcu_read_unlock();
	return ret;
}

/*
 * KVM's kvm_scan_ioapic_routes() for one vCPU: the vectors of the
 * level-triggered MSI routes of the VMM's IOAPIC pins (GSIs below
 * nr_ioapic_pins) that address this vCPU. Their EOIs exit to the VMM
 * (KVMINI_EXIT_IOAPIC_EOI). As KVM 6.1, not those of a vector only
 * pending here (later KVMs also take those whose route moved away).
 * With the IOAPIC in the kernel, its own entries say (ioapic.c).
 */
void kvmini_irq_scan_ioapic(struct kvmini_vcpu *vcpu, unsigned long *vectors)
{
	const struct kvmini_irq_routes *rt;
	const struct kvmini_route *m;
	u32 gsi, pins, i;

	if (vcpu->vm->ioapic) {
		kvmini_ioapic_scan(vcpu, vectors);
		return;
	}
	rcu_read_lock();
	rt = rcu_dereference(vcpu->vm->irq_routes);
	pins = rt ? min(rt->nr_gsis, vcpu->vm->nr_ioapic_pins) : 0;
	for (gsi = 0; gsi < pins; gsi++) {
		for (i = rt->first[gsi]; i < rt->first[gsi + 1]; i++) {
			m = &rt->e[i];
			if ((m->msi.data & MSI_DATA_LEVEL) &&
			    kvmini_apic_msi_eoi_exit(vcpu, route_addr(m), m->msi.data))
				__set_bit(m->msi.data & MSI_DATA_VECTOR, vectors);
		}
	}
	rcu_read_unlock();
}

/* The GSI a PIC or IOAPIC pin is routed from, or -1. */
static int chip_gsi(struct kvmini_vm *vm, unsigned int chip, unsigned int pin)
{
	const struct kvmini_irq_routes *rt;
	int gsi = -1;

	rcu_read_lock();
	rt = rcu_dereference(vm->irq_routes);
	if (rt && chip < NR_IRQCHIPS && pin < IRQCHIP_PINS)
		gsi = rt->chip_gsi[chip][pin];
	rcu_read_unlock();
	return gsi;
}

static struct kvmini_resampler *find_resampler(struct kvmini_vm *vm, int gsi)
{
	struct kvmini_resampler *rs;

	list_for_each_entry_rcu(rs, &vm->irqfds.resamplers, link,
				lockdep_is_held(&vm->irqfds.resampler_lock))
		if (rs->gsi == gsi)
			return rs;
	return NULL;
}

/*
 * KVM's kvm_notify_acked_irq(): the PIC's or IOAPIC's EOI of a pin, to
 * those who listen to its GSI (the PIT on GSI 0, resample irqfds). No
 * chip lock held: they may set lines.
 */
void kvmini_irq_acked(struct kvmini_vm *vm, unsigned int chip, unsigned int pin)
{
	struct kvmini_resampler *rs;
	struct kvmini_kirqfd *irqfd;
	int gsi = chip_gsi(vm, chip, pin);

	if (gsi < 0)
		return;
	if (gsi == 0)
		kvmini_pit_acked(vm);
	rcu_read_lock();
	rs = find_resampler(vm, gsi);
	if (rs) {
		/* The source's line goes down; it says again if it still wants it. */
		kvmini_set_irq(vm, KVMINI_SRC_RESAMPLE, gsi, 0);
		list_for_each_entry_rcu(irqfd, &rs->irqfds, resampler_link)
			eventfd_signal(irqfd->resamplefd, 1);
	}
	rcu_read_unlock();
}

bool kvmini_irq_has_ack_listener(struct kvmini_vm *vm, unsigned int chip, unsigned int pin)
{
	int gsi = chip_gsi(vm, chip, pin);
	bool r;

	if (gsi < 0)
		return false;
	if (gsi == 0 && kvmini_pit_reinjects(vm))
		return true;
	rcu_read_lock();
	r = find_resampler(vm, gsi);
	rcu_read_unlock();
	return r;
}

/* KVM's mask notifiers: only the PIT listens (GSI 0 unmasked). */
void kvmini_irq_mask_changed(struct kvmini_vm *vm, unsigned int chip, unsigned int pin,
			     bool masked)
{
	if (!masked && chip_gsi(vm, chip, pin) == 0)
		kvmini_pit_unmasked(vm);
}

static int cmp_gsi(const void *a, const void *b)
{
	const struct kvmini_irq_routing_entry *x = a, *y = b;

	return x->gsi < y->gsi ? -1 : x->gsi > y->gsi;
}

/* One entry of the VMM's table, checked as KVM's kvm_set_routing_entry(). */
static int check_entry(struct kvmini_vm *vm, const struct kvmini_irq_routing_entry *ue)
{
	switch (ue->type) {
	case KVMINI_IRQ_ROUTING_MSI:
		/* flags: only KVMINI_MSI_VALID_DEVID (x86 has no use for the id) */
		return ue->flags & ~KVMINI_MSI_VALID_DEVID ? -EINVAL : 0;
	case KVMINI_IRQ_ROUTING_IRQCHIP:
		/* Only to chips in the kernel: not with the split irqchip. */
		if (ue->flags || !vm->ioapic)
			return -EINVAL;
		switch (ue->u.irqchip.irqchip) {
		case KVMINI_IRQCHIP_PIC_MASTER:
		case KVMINI_IRQCHIP_PIC_SLAVE:
			return ue->u.irqchip.pin < 8 ? 0 : -EINVAL;
		case KVMINI_IRQCHIP_IOAPIC:
			return ue->u.irqchip.pin < IRQCHIP_PINS ? 0 : -EINVAL;
		}
	}
	return -EINVAL;	/* KVM's other types are not x86's */
}

/*
 * Check and convert the VMM's table (@ue, sorted by GSI here): the new
 * routes, or an ERR_PTR. As KVM: a GSI has one MSI route, or routes to
 * distinct chips.
 */
static struct kvmini_irq_routes *build_routes(struct kvmini_vm *vm,
					      struct kvmini_irq_routing_entry *ue, u32 nr)
{
	struct kvmini_irq_routes *rt;
	u32 i, j, nr_gsis = 0;
	int r = -EINVAL;
	size_t size;

	for (i = 0; i < nr; i++) {
		if (ue[i].gsi >= KVMINI_MAX_IRQ_ROUTES)
			return ERR_PTR(-EINVAL);
		nr_gsis = max(nr_gsis, ue[i].gsi + 1);
	}
	sort(ue, nr, sizeof(*ue), cmp_gsi, NULL);
	size = struct_size(rt, e, nr);
	rt = kvzalloc(size + (nr_gsis + 1) * sizeof(u32), GFP_KERNEL_ACCOUNT);
	if (!rt)
		return ERR_PTR(-ENOMEM);
	rt->nr_gsis = nr_gsis;
	rt->first = (u32 *)((u8 *)rt + size);
	memset(rt->chip_gsi, 0xff, sizeof(rt->chip_gsi));
	for (i = 0; i < nr; i++) {
		struct kvmini_route *e = &rt->e[i];

		r = check_entry(vm, &ue[i]);
		if (r)
			goto fail;
		r = -EINVAL;
		for (j = i; j-- && ue[j].gsi == ue[i].gsi; )
			if (ue[j].type != KVMINI_IRQ_ROUTING_IRQCHIP ||
			    ue[i].type != KVMINI_IRQ_ROUTING_IRQCHIP ||
			    ue[j].u.irqchip.irqchip == ue[i].u.irqchip.irqchip)
				goto fail;
		e->gsi = ue[i].gsi;
		e->type = ue[i].type;
		if (e->type == KVMINI_IRQ_ROUTING_MSI) {
			e->msi.address_lo = ue[i].u.msi.address_lo;
			e->msi.address_hi = ue[i].u.msi.address_hi;
			e->msi.data = ue[i].u.msi.data;
		} else {
			e->irqchip.chip = ue[i].u.irqchip.irqchip;
			e->irqchip.pin = ue[i].u.irqchip.pin;
			rt->chip_gsi[e->irqchip.chip][e->irqchip.pin] = e->gsi;
		}
		rt->first[e->gsi + 1] = i + 1;
	}
	/* GSIs without routes start where the one before ended. */
	for (i = 1; i <= nr_gsis; i++)
		rt->first[i] = max(rt->first[i], rt->first[i - 1]);
	return rt;
fail:
	kvfree(rt);
	return ERR_PTR(r);
}

/* Install @rt (vm->lock held); the old table is freed after readers. */
static void replace_routes(struct kvmini_vm *vm, struct kvmini_irq_routes *rt)
{
	struct kvmini_irq_routes *old;

	old = rcu_replace_pointer(vm->irq_routes, rt, lockdep_is_held(&vm->lock));
	/* As KVM: every vCPU looks again at which EOIs it passes on, before it enters. */
	kvmini_request_all(vm, KVMINI_REQ_SCAN_IOAPIC);
	if (old)
		kvfree_rcu(old, rcu);	/* irqfds may be reading it right now */
}

long kvmini_set_gsi_routing(struct kvmini_vm *vm, void __user *argp)
{
	struct kvmini_irq_routing __user *urouting = argp;
	struct kvmini_irq_routing_entry *ue = NULL;
	struct kvmini_irq_routes *rt;
	struct kvmini_irq_routing hdr;

	if (copy_from_user(&hdr, urouting, sizeof(hdr)))
		return -EFAULT;
	/* Without an in-kernel irqchip there is nothing to route to (KVM's EINVAL). */
	if (!kvmini_irqchip_in_kernel(vm) || hdr.nr > KVMINI_MAX_IRQ_ROUTES || hdr.flags)
		return -EINVAL;
	if (hdr.nr) {
		ue = vmemdup_user(urouting->entries, array_size(sizeof(*ue), hdr.nr));
		if (IS_ERR(ue))
			return PTR_ERR(ue);
	}
	mutex_lock(&vm->lock);
	rt = build_routes(vm, ue, hdr.nr);
	if (!IS_ERR(rt))
		replace_routes(vm, rt);
	mutex_unlock(&vm->lock);
	kvfree(ue);
	return PTR_ERR_OR_ZERO(rt);
}

/*
 * KVM's default table: GSIs 0-15 to the PIC's pin and the IOAPIC's pin of
 * the same number, 16-23 to the IOAPIC.
 */
static struct kvmini_irq_routes *default_routes(struct kvmini_vm *vm)
{
	struct kvmini_irq_routing_entry *ue, *e;
	struct kvmini_irq_routes *rt;
	u32 gsi;

	ue = kcalloc(16 + IRQCHIP_PINS, sizeof(*ue), GFP_KERNEL_ACCOUNT);
	if (!ue)
		return ERR_PTR(-ENOMEM);
	for (e = ue, gsi = 0; gsi < IRQCHIP_PINS; gsi++) {
		if (gsi < 16) {
			e->gsi = gsi;
			e->type = KVMINI_IRQ_ROUTING_IRQCHIP;
			e->u.irqchip.irqchip = gsi < 8 ? KVMINI_IRQCHIP_PIC_MASTER :
						  KVMINI_IRQCHIP_PIC_SLAVE;
			e->u.irqchip.pin = gsi & 7;
			e++;
		}
		e->gsi = gsi;
		e->type = KVMINI_IRQ_ROUTING_IRQCHIP;
		e->u.irqchip.irqchip = KVMINI_IRQCHIP_IOAPIC;
		e->u.irqchip.pin = gsi;
		e++;
	}
	rt = build_routes(vm, ue, e - ue);
	kfree(ue);
	return rt;
}

/* KVMINI_CREATE_IRQCHIP: the PICs, the IOAPIC and KVM's default routes. */
long kvmini_create_irqchip(struct kvmini_vm *vm)
{
	struct kvmini_irq_routes *rt;
	long r;

	mutex_lock(&vm->lock);
	r = -EEXIST;
	if (vm->irqchip != KVMINI_IRQCHIP_NONE)
		goto out;
	r = -EINVAL;
	if (vm->created_vcpus)
		goto out;
	r = kvmini_pic_create(vm);
	if (r)
		goto out;
	r = kvmini_ioapic_create(vm);
	if (r)
		goto out_pic;
	rt = default_routes(vm);
	r = PTR_ERR_OR_ZERO(rt);
	if (r)
		goto out_ioapic;
	replace_routes(vm, rt);
	smp_wmb();	/* chips and routes before the mode */
	WRITE_ONCE(vm->irqchip, KVMINI_IRQCHIP_KERNEL);
	mutex_unlock(&vm->lock);
	return 0;
out_ioapic:
	kvmini_ioapic_destroy(vm);
out_pic:
	kvmini_pic_destroy(vm);
out:
	mutex_unlock(&vm->lock);
	return r;
}

long kvmini_signal_msi(struct kvmini_vm *vm, void __user *argp)
{
	struct kvmini_msi msi;

	if (copy_from_user(&msi, argp, sizeof(msi)))
		return -EFAULT;
	if (!kvmini_irqchip_in_kernel(vm) || (msi.flags & ~KVMINI_MSI_VALID_DEVID))
		return -EINVAL;
	/* As KVM: vCPUs reached, or -1 (EPERM to the VMM) if none matches. */
	return kvmini_apic_deliver_msi(vm, (u64)msi.address_hi << 32 | msi.address_lo,
				       msi.data);
}

/* KVMINI_GET_IRQCHIP and KVMINI_SET_IRQCHIP: one chip's state, as KVM's. */
long kvmini_irqchip_state(struct kvmini_vm *vm, void __user *argp, bool set)
{
	struct kvmini_irqchip *chip;
	long r = 0;

	chip = memdup_user(argp, sizeof(*chip));
	if (IS_ERR(chip))
		return PTR_ERR(chip);
	if (!kvmini_irqchip_full(vm)) {
		r = -ENXIO;
		goto out;
	}
	switch (chip->chip_id) {
	case KVMINI_IRQCHIP_PIC_MASTER:
	case KVMINI_IRQCHIP_PIC_SLAVE:
		if (set)
			kvmini_pic_set(vm->pic, chip->chip_id, &chip->chip.pic);
		else
			kvmini_pic_get(vm->pic, chip->chip_id, &chip->chip.pic);
		break;
	case KVMINI_IRQCHIP_IOAPIC:
		if (set)
			kvmini_ioapic_set(vm->ioapic, &chip->chip.ioapic);
		else
			kvmini_ioapic_get(vm->ioapic, &chip->chip.ioapic);
		break;
	default:
		r = -EINVAL;
		goto out;
	}
	if (!set && copy_to_user(argp, chip, sizeof(*chip)))
		r = -EFAULT;
out:
	kfree(chip);
	return r;
}

/*
 * KVMINI_IRQ_LINE and KVMINI_IRQ_LINE_STATUS: a GSI's level as the VMM
 * sets it, through its routes (with the split irqchip, the VMM's IOAPIC
 * raising its pins' MSI routes). ENXIO without an irqchip, as KVM.
 */
long kvmini_irq_line(struct kvmini_vm *vm, void __user *argp, bool status)
{
	struct kvmini_irq_level l;

	if (copy_from_user(&l, argp, sizeof(l)))
		return -EFAULT;
	if (!kvmini_irqchip_in_kernel(vm))
		return -ENXIO;
	l.status = kvmini_set_irq(vm, KVMINI_SRC_USER, l.irq, l.level);
	if (status && copy_to_user(argp, &l, sizeof(l)))
		return -EFAULT;
	return 0;
}

/*
 * A resample irqfd joins its GSI's resampler (made for the first one), in
 * vm->lock: the GSI's acknowledgements are listened to from then on.
 */
static int resampler_attach(struct kvmini_kirqfd *irqfd)
{
	struct kvmini_vm *vm = irqfd->vm;
	struct kvmini_resampler *rs;

	mutex_lock(&vm->irqfds.resampler_lock);
	rs = find_resampler(vm, irqfd->gsi);
	if (!rs) {
		rs = kzalloc(sizeof(*rs), GFP_KERNEL_ACCOUNT);
		if (!rs) {
			mutex_unlock(&vm->irqfds.resampler_lock);
			return -ENOMEM;
		}
		rs->vm = vm;
		rs->gsi = irqfd->gsi;
		INIT_LIST_HEAD(&rs->irqfds);
		list_add_rcu(&rs->link, &vm->irqfds.resamplers);
		kvmini_request_all(vm, KVMINI_REQ_SCAN_IOAPIC);
	}
	irqfd->resampler = rs;
	list_add_rcu(&irqfd->resampler_link, &rs->irqfds);
	mutex_unlock(&vm->irqfds.resampler_lock);
	return 0;
}

/* The irqfd leaves its resampler; the last one lowers the line, as KVM. */
static void resampler_detach(struct kvmini_kirqfd *irqfd)
{
	struct kvmini_resampler *rs = irqfd->resampler;
	struct kvmini_vm *vm = irqfd->vm;

	mutex_lock(&vm->irqfds.resampler_lock);
	list_del_rcu(&irqfd->resampler_link);
	synchronize_rcu();	/* no acknowledgement signals its resamplefd now */
	if (list_empty(&rs->irqfds)) {
		list_del_rcu(&rs->link);
		kvmini_set_irq(vm, KVMINI_SRC_RESAMPLE, rs->gsi, 0);
		kvmini_request_all(vm, KVMINI_REQ_SCAN_IOAPIC);
		kfree_rcu(rs, rcu);
	}
	mutex_unlock(&vm->irqfds.resampler_lock);
	eventfd_ctx_put(irqfd->resamplefd);
}

/*
 * A signal: KVM's irqfd_inject(). An edge (raised, lowered) on the GSI;
 * a resample irqfd's stays raised until the EOI.
 */
static void irqfd_inject(struct kvmini_vm *vm, u32 gsi, bool resample)
{
	if (resample) {
		kvmini_set_irq(vm, KVMINI_SRC_RESAMPLE, gsi, 1);
		return;
	}
	kvmini_set_irq(vm, KVMINI_SRC_USER, gsi, 1);
	kvmini_set_irq(vm, KVMINI_SRC_USER, gsi, 0);
}

/* Process context, no lock: the irqfd is off the list, no one else has it. */
static void irqfd_shutdown(struct work_struct *work)
{
	struct kvmini_kirqfd *irqfd = container_of(work, struct kvmini_kirqfd, shutdown);
	u64 cnt;

	/* Under the wait-queue lock: once off it, no wake-up can be running. */
	eventfd_ctx_remove_wait_queue(irqfd->eventfd, &irqfd->wait, &cnt);
	if (irqfd->resampler)
		resampler_detach(irqfd);
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
		irqfd_inject(vm, irqfd->gsi, irqfd->resampler);
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
	if (!kvmini_irqchip_in_kernel(vm) ||
	    ((args->flags & KVMINI_IRQFD_FLAG_RESAMPLE) && !kvmini_irqchip_full(vm)))
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
	if (args->flags & KVMINI_IRQFD_FLAG_RESAMPLE) {
		irqfd->resamplefd = eventfd_ctx_fdget(args->resamplefd);
		if (IS_ERR(irqfd->resamplefd)) {
			r = PTR_ERR(irqfd->resamplefd);
			eventfd_ctx_put(eventfd);
			goto out_fdput;
		}
	}

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
	if (!r && irqfd->resamplefd)
		r = resampler_attach(irqfd);
	if (r) {
		mutex_unlock(&vm->lock);
		if (irqfd->resamplefd)
			eventfd_ctx_put(irqfd->resamplefd);
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
		irqfd_inject(vm, args->gsi, args->flags & KVMINI_IRQFD_FLAG_RESAMPLE);
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
	mutex_init(&vm->irqfds.resampler_lock);
	INIT_LIST_HEAD(&vm->irqfds.resamplers);
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
