// SPDX-License-Identifier: GPL-2.0
/*
 * KVMINI_IOEVENTFD, with KVM's rules: a guest write to a port (OUT, each
 * element of OUTS) or to MMIO (an emulated write that would otherwise
 * exit as KVMINI_EXIT_MMIO, at most 8 bytes at a time) that matches a
 * registered ioeventfd signals its eventfd and is over in the kernel: no
 * exit to the VMM.
 *
 * A match: the same address space, the very address, the same length
 * (an ioeventfd of length 0 takes a write of any length) and, with
 * DATAMATCH, the value written. Two ioeventfds collide (-EEXIST) where
 * one write could match both: same space and address, either length 0
 * or the same one, either without DATAMATCH or the same value. So at most
 * one matches any write.
 *
 * KVM accepts two more flags than the uapi names: bit 3 (virtio-ccw
 * notify, an s390 bus nothing writes to on x86: kept in a space of its
 * own that is never looked up) and bit 4 (ignored). Its limit of 1000
 * devices per bus leaves ioeventfds out; its real limit is its bus
 * array's allocation (some 170000, -ENOMEM). kvmini allows
 * IOEVENTFD_MAX per space (-ENOSPC past it).
 *
 * Each space is an array sorted by address, read by vCPUs under RCU
 * with a binary search, and replaced whole (under vm->lock) at every
 * assign and deassign; the old array goes after a grace period. As on
 * KVM, a deassign returns only once no vCPU can signal that eventfd any
 * more (a VMM may then drain it for good), its reference dropped. No vCPU
 * is left when the VM is destroyed: its arrays and eventfds go at once.
 */
#include <linux/eventfd.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "kvmini.h"

#define IOEVENTFD_FLAG_CCW	(1 << 3)	/* KVM's FLAG_VIRTIO_CCW_NOTIFY */
#define IOEVENTFD_VALID_FLAGS	0x1f		/* KVM's KVM_IOEVENTFD_VALID_FLAG_MASK */
#define IOEVENTFD_MAX		65536		/* per space */

enum { SPACE_PIO, SPACE_MMIO, SPACE_CCW };	/* KVMINI_IOEV_SPACES */

struct ioev {
	u64 addr;
	u64 datamatch;
	struct eventfd_ctx *eventfd;
	u32 len;
	bool wildcard;		/* no DATAMATCH: any value */
};

struct kvmini_ioevs {
	struct rcu_head rcu;
	u32 n;
	struct ioev e[];
};

static int space_of(u32 flags)
{
	if (flags & KVMINI_IOEVENTFD_FLAG_PIO)
		return SPACE_PIO;
	if (flags & IOEVENTFD_FLAG_CCW)
		return SPACE_CCW;
	return SPACE_MMIO;
}

/* Could one write match both? (KVM's ioeventfd_check_collision()) */
static bool collide(const struct ioev *a, const struct ioev *b)
{
	return a->addr == b->addr &&
	       (!a->len || !b->len ||
		(a->len == b->len &&
		 (a->wildcard || b->wildcard || a->datamatch == b->datamatch)));
}

/* The first entry at or above @addr. */
static u32 lower_bound(const struct kvmini_ioevs *t, u64 addr)
{
	u32 lo = 0, hi = t->n;

	while (lo < hi) {
		u32 mid = lo + (hi - lo) / 2;

		if (t->e[mid].addr < addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static int assign(struct kvmini_vm *vm, const struct kvmini_ioeventfd *args)
{
	int space = space_of(args->flags);
	struct kvmini_ioevs *old, *t;
	struct ioev p = {
		.addr = args->addr,
		.len = args->len,
		.wildcard = !(args->flags & KVMINI_IOEVENTFD_FLAG_DATAMATCH),
	};
	u32 i, n, at;
	int r;

	switch (args->len) {
	case 0: case 1: case 2: case 4: case 8:
		break;
	default:
		return -EINVAL;
	}
	if (args->addr + args->len < args->addr)
		return -EINVAL;
	if (args->flags & ~IOEVENTFD_VALID_FLAGS)
		return -EINVAL;
	if (!args->len && !p.wildcard)
		return -EINVAL;		/* length 0 matches any value */
	if (!p.wildcard)
		p.datamatch = args->datamatch;

	p.eventfd = eventfd_ctx_fdget(args->fd);
	if (IS_ERR(p.eventfd))
		return PTR_ERR(p.eventfd);

	mutex_lock(&vm->lock);
	old = rcu_dereference_protected(vm->ioevs[space], lockdep_is_held(&vm->lock));
	n = old ? old->n : 0;
	at = old ? lower_bound(old, p.addr) : 0;
	r = -EEXIST;
	for (; at < n && old->e[at].addr == p.addr; at++)
		if (collide(&old->e[at], &p))
			goto out;
	r = -ENOSPC;
	if (n >= IOEVENTFD_MAX)
		goto out;
	r = -ENOMEM;
	t = kvmalloc(struct_size(t, e, n + 1), GFP_KERNEL_ACCOUNT);
	if (!t)
		goto out;
	t->n = n + 1;
	/* After those at the same address: @at is past them. */
	for (i = 0; i < at; i++)
		t->e[i] = old->e[i];
	t->e[at] = p;
	for (i = at; i < n; i++)
		t->e[i + 1] = old->e[i];
	rcu_assign_pointer(vm->ioevs[space], t);
	if (old)
		kvfree_rcu(old, rcu);
	p.eventfd = NULL;	/* the array's now */
	r = 0;
out:
	mutex_unlock(&vm->lock);
	if (p.eventfd)
		eventfd_ctx_put(p.eventfd);
	return r;
}

/* As KVM: only the eventfd is checked; the flags give the space and DATAMATCH. */
static int deassign(struct kvmini_vm *vm, const struct kvmini_ioeventfd *args)
{
	int space = space_of(args->flags);
	bool wildcard = !(args->flags & KVMINI_IOEVENTFD_FLAG_DATAMATCH);
	struct kvmini_ioevs *old, *t = NULL;
	struct eventfd_ctx *eventfd, *gone;
	const struct ioev *e;
	u32 i, at;
	int r = -ENOENT;

	eventfd = eventfd_ctx_fdget(args->fd);
	if (IS_ERR(eventfd))
		return PTR_ERR(eventfd);

	mutex_lock(&vm->lock);
	old = rcu_dereference_protected(vm->ioevs[space], lockdep_is_held(&vm->lock));
	if (!old)
		goto out;
	for (at = lower_bound(old, args->addr); at < old->n; at++) {
		e = &old->e[at];
		if (e->addr != args->addr)
			goto out;
		if (e->eventfd == eventfd && e->len == args->len && e->wildcard == wildcard &&
		    (wildcard || e->datamatch == args->datamatch))
			break;
	}
	if (at == old->n)
		goto out;
	if (old->n > 1) {
		r = -ENOMEM;
		t = kvmalloc(struct_size(t, e, old->n - 1), GFP_KERNEL_ACCOUNT);
		if (!t)
			goto out;
		t->n = old->n - 1;
		for (i = 0; i < at; i++)
			t->e[i] = old->e[i];
		for (i = at + 1; i < old->n; i++)
			t->e[i - 1] = old->e[i];
	}
	gone = old->e[at].eventfd;
	rcu_assign_pointer(vm->ioevs[space], t);
	mutex_unlock(&vm->lock);
	synchronize_rcu_expedited();	/* as KVM's synchronize_srcu_expedited() */
	kvfree(old);
	eventfd_ctx_put(gone);
	eventfd_ctx_put(eventfd);
	return 0;
out:
	mutex_unlock(&vm->lock);
	eventfd_ctx_put(eventfd);
	return r;
}

long kvmini_ioeventfd(struct kvmini_vm *vm, void __user *argp)
{
	struct kvmini_ioeventfd args;

	if (copy_from_user(&args, argp, sizeof(args)))
		return -EFAULT;
	if (args.flags & KVMINI_IOEVENTFD_FLAG_DEASSIGN)
		return deassign(vm, &args);
	return assign(vm, &args);
}

static bool matches(const struct ioev *e, unsigned int len, const void *val)
{
	u64 v = 0;

	if (!e->len)
		return true;
	if (e->len != len)
		return false;
	if (e->wildcard)
		return true;
	memcpy(&v, val, len);
	return v == e->datamatch;
}

/*
 * A guest write of @len bytes (@val) to port or MMIO address @addr: true
 * if an ioeventfd took it (its eventfd signalled). Any context a vCPU
 * runs exits in; does not sleep.
 */
bool kvmini_ioeventfd_write(struct kvmini_vm *vm, bool pio, u64 addr, unsigned int len,
			    const void *val)
{
	const struct kvmini_ioevs *t;
	bool hit = false;
	u32 i;

	rcu_read_lock();
	t = rcu_dereference(vm->ioevs[pio ? SPACE_PIO : SPACE_MMIO]);
	if (t) {
		for (i = lower_bound(t, addr); i < t->n && t->e[i].addr == addr; i++) {
			if (matches(&t->e[i], len, val)) {
				eventfd_signal(t->e[i].eventfd, 1);
				hit = true;
				break;
			}
		}
	}
	rcu_read_unlock();
	return hit;
}

/* VM destruction: no vCPU is left to look. */
void kvmini_ioeventfd_destroy(struct kvmini_vm *vm)
{
	struct kvmini_ioevs *t;
	u32 i;
	int s;

	for (s = 0; s < KVMINI_IOEV_SPACES; s++) {
		t = rcu_dereference_protected(vm->ioevs[s], true);
		if (!t)
			continue;
		for (i = 0; i < t->n; i++)
			eventfd_ctx_put(t->e[i].eventfd);
		kvfree(t);
	}
}
