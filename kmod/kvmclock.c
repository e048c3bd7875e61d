// SPDX-License-Identifier: GPL-2.0
/*
 * kvmclock, KVM's paravirtual clock, with KVM 6.1's rules: the VM's clock
 * (KVMINI_GET/SET_CLOCK), the guest's SYSTEM_TIME and WALL_CLOCK MSRs (old
 * and new numbers), KVMINI_KVMCLOCK_CTRL, and the CLOCK_PAIRING hypercall.
 *
 * The VM's clock is one pair (host TSC, kvmclock nanoseconds) taken when
 * the VM is made (kvmclock 0) and at each KVMINI_SET_CLOCK; from there it
 * runs with the host's TSC at tsc_khz. Every vCPU's time info is that pair
 * in the vCPU's own TSC (the host's plus its offset), so all vCPUs read
 * the same clock, whatever TSC each was given, and KVMINI_GET_CLOCK reads
 * it with the same arithmetic as the guest. Where the host keeps time by
 * the TSC (as KVM's "master clock"), the guest is told its clock is the
 * same on every vCPU (KVMINI_PVCLOCK_TSC_STABLE) and GET_CLOCK gives the
 * host's time and TSC with it.
 *
 * A vCPU's time info is written into guest memory by the vCPU's own
 * thread before it enters the guest (KVMINI_REQ_CLOCK_UPDATE), with the
 * version odd while it is being written: other vCPUs may be reading it.
 */
#include <linux/math64.h>
#include <linux/mm.h>
#include <linux/spinlock.h>
#include <linux/ktime.h>
#include <linux/timekeeping.h>
#include <linux/uaccess.h>
#include <asm/tsc.h>

#include "kvmini.h"

#define VALID_FLAGS	(KVMINI_CLOCK_TSC_STABLE | KVMINI_CLOCK_REALTIME | KVMINI_CLOCK_HOST_TSC)

/*
 * The host's TSC and CLOCK_REALTIME at one moment. True if the host keeps
 * time by the TSC: its clocksource's reading is a TSC value, between two
 * reads of the TSC around it.
 */
static bool host_clock(u64 *tsc, u64 *real_ns)
{
	struct system_time_snapshot snap;
	unsigned long flags;
	u64 t0, t1;

	local_irq_save(flags);
	t0 = rdtsc_ordered();
	ktime_get_snapshot(&snap);
	t1 = rdtsc_ordered();
	local_irq_restore(flags);
	if (snap.cycles >= t0 && snap.cycles <= t1) {
		*tsc = snap.cycles;
		*real_ns = ktime_to_ns(snap.real);
		return true;
	}
	*tsc = t1;
	*real_ns = ktime_get_real_ns();
	return false;
}

/*
 * kvmclock's scale for the host's TSC rate: ns = ((delta << shift, or >>
 * -shift) * mul) >> 32, with the smallest shift that keeps mul below 2^32
 * (so mul is at least 2^31: the most precise).
 */
static void tsc_scale(s8 *shift, u32 *mul)
{
	u64 hz = (u64)(tsc_khz ?: 1000000) * 1000;
	int s;

	for (s = -4; s < 31; s++)
		if (s < 0 ? hz > (NSEC_PER_SEC << -s) : (hz << s) > NSEC_PER_SEC)
			break;
	*shift = s;
	*mul = s < 0 ? mul_u64_u64_div_u64(NSEC_PER_SEC, 1ULL << (32 - s), hz) :
		       mul_u64_u64_div_u64(NSEC_PER_SEC, 1ULL << 32, hz << s);
}

static u64 scale_delta(u64 delta, s8 shift, u32 mul)
{
	delta = shift < 0 ? delta >> -shift : delta << shift;
	return mul_u64_u32_shr(delta, mul, 32);
}

/* The VM's clock at host TSC @tsc, as the guest computes it. */
static u64 clock_at(struct kvmini_vm *vm, u64 tsc, bool *stable)
{
	struct kvmini_clock *c = &vm->clock;
	u64 base_tsc, base_ns;
	u32 mul;
	s8 shift;

	spin_lock(&c->lock);
	base_tsc = c->tsc;
	base_ns = c->ns;
	if (stable)
		*stable = c->stable && !c->old_boot;
	spin_unlock(&c->lock);
	tsc_scale(&shift, &mul);
	if ((s64)(tsc - base_tsc) < 0)	/* another CPU's TSC, a little behind */
		tsc = base_tsc;
	return base_ns + scale_delta(tsc - base_tsc, shift, mul);
}

/* The VM's clock reads @ns now; every vCPU rewrites its time info. */
static void clock_set(struct kvmini_vm *vm, u64 tsc, u64 ns, bool stable)
{
	struct kvmini_clock *c = &vm->clock;

	spin_lock(&c->lock);
	c->tsc = tsc;
	c->ns = ns;
	c->stable = stable;
	spin_unlock(&c->lock);
	kvmini_request_all(vm, KVMINI_REQ_CLOCK_UPDATE);
}

/* At VM creation: kvmclock starts at 0, as KVM's. */
void kvmini_clock_init(struct kvmini_vm *vm)
{
	u64 tsc, real;
	bool stable;

	spin_lock_init(&vm->clock.lock);
	stable = host_clock(&tsc, &real);
	vm->clock.tsc = tsc;
	vm->clock.stable = stable;
}

long kvmini_get_clock(struct kvmini_vm *vm, void __user *argp)
{
	struct kvmini_clock_data d = {};
	u64 tsc, real;
	bool stable;

	if (host_clock(&tsc, &real)) {
		d.flags = VALID_FLAGS;
		d.realtime = real;
		d.host_tsc = tsc;
	}
	d.clock = clock_at(vm, tsc, &stable);
	if (!stable)
		d.flags = 0;	/* not a TSC clock when the VM's clock was set */
	return copy_to_user(argp, &d, sizeof(d)) ? -EFAULT : 0;
}

/* As KVM: with KVMINI_CLOCK_REALTIME, the time since @realtime is added. */
long kvmini_set_clock(struct kvmini_vm *vm, void __user *argp)
{
	struct kvmini_clock_data d;
	u64 tsc, real;
	bool stable;

	if (copy_from_user(&d, argp, sizeof(d)))
		return -EFAULT;
	if (d.flags & ~VALID_FLAGS)
		return -EINVAL;
	stable = host_clock(&tsc, &real);
	if ((d.flags & KVMINI_CLOCK_REALTIME) && real > d.realtime)
		d.clock += real - d.realtime;
	clock_set(vm, tsc, d.clock, stable);
	return 0;
}

/* Write @len bytes of @buf at @gpa, version first and last as pvclock wants. */
static void write_versioned(struct kvmini_vm *vm, u64 gpa, u32 version, const void *buf,
			    unsigned int len)
{
	if (kvmini_write_gpa(vm, gpa, &version, sizeof(version)))
		return;
	smp_wmb();
	if (kvmini_write_gpa(vm, gpa + 4, buf + 4, len - 4))
		return;
	smp_wmb();
	version++;
	kvmini_write_gpa(vm, gpa, &version, sizeof(version));
}

/* KVMINI_REQ_CLOCK_UPDATE, before an entry (may sleep): the time info. */
void kvmini_clock_update(struct kvmini_vcpu *vcpu)
{
	struct kvmini_pvclock_vcpu_time_info t;
	struct kvmini_clock *c = &vcpu->vm->clock;
	u64 gpa = vcpu->pv_time & ~1ULL;

	/* As KVM: an area that crosses a page is never written. */
	if (!(vcpu->pv_time & 1) || offset_in_page(gpa) + sizeof(t) > PAGE_SIZE ||
	    kvmini_read_gpa(vcpu->vm, gpa, &t, sizeof(t)))
		return;
	/* The guest clears GUEST_STOPPED itself: keep it until then. */
	t.flags &= KVMINI_PVCLOCK_GUEST_STOPPED;
	if (vcpu->pv_stopped)
		t.flags |= KVMINI_PVCLOCK_GUEST_STOPPED;
	vcpu->pv_stopped = false;
	spin_lock(&c->lock);
	t.tsc_timestamp = c->tsc + vcpu->tsc_offset;
	t.system_time = c->ns;
	if (c->stable && !c->old_boot)
		t.flags |= KVMINI_PVCLOCK_TSC_STABLE;
	spin_unlock(&c->lock);
	tsc_scale(&t.tsc_shift, &t.tsc_to_system_mul);
	t.pad0 = 0;
	memset(t.pad, 0, sizeof(t.pad));
	write_versioned(vcpu->vm, gpa, (t.version + 1) | 1, &t, sizeof(t));
}

/* WALL_CLOCK: the host's CLOCK_REALTIME when kvmclock was 0. */
static void write_wall_clock(struct kvmini_vcpu *vcpu, u64 gpa)
{
	struct kvmini_pvclock_wall_clock w;
	u64 tsc, real, epoch;
	u32 version;

	if (!gpa || kvmini_read_gpa(vcpu->vm, gpa, &version, sizeof(version)))
		return;
	host_clock(&tsc, &real);
	epoch = real - clock_at(vcpu->vm, tsc, NULL);
	w.nsec = do_div(epoch, NSEC_PER_SEC);
	w.sec = epoch;		/* 32 bits, as KVM: until 2106 */
	write_versioned(vcpu->vm, gpa, (version + 1) | 1, &w, sizeof(w));
}

/*
 * The kvmclock MSRs: 0, -EINVAL (#GP: the VMM enforces the guest's PV
 * CPUID, which lacks the feature), or -ENOENT: not one of them.
 */
int kvmini_clock_msr(struct kvmini_vcpu *vcpu, u32 msr, u64 *val, bool write, bool host)
{
	struct kvmini_clock *c = &vcpu->vm->clock;
	bool old = msr == KVMINI_MSR_KVM_WALL_CLOCK || msr == KVMINI_MSR_KVM_SYSTEM_TIME;

	switch (msr) {
	case KVMINI_MSR_KVM_WALL_CLOCK:
	case KVMINI_MSR_KVM_SYSTEM_TIME:
	case KVMINI_MSR_KVM_WALL_CLOCK_NEW:
	case KVMINI_MSR_KVM_SYSTEM_TIME_NEW:
		break;
	default:
		return -ENOENT;
	}
	if (!kvmini_pv_has(vcpu, old ? KVMINI_FEATURE_CLOCKSOURCE : KVMINI_FEATURE_CLOCKSOURCE2))
		return -EINVAL;
	if (msr == KVMINI_MSR_KVM_WALL_CLOCK || msr == KVMINI_MSR_KVM_WALL_CLOCK_NEW) {
		if (!write) {
			*val = READ_ONCE(c->wall_clock);
			return 0;
		}
		WRITE_ONCE(c->wall_clock, *val);
		write_wall_clock(vcpu, *val);
		return 0;
	}
	if (!write) {
		*val = vcpu->pv_time;
		return 0;
	}
	vcpu->pv_time = *val;
	set_bit(KVMINI_REQ_CLOCK_UPDATE, &vcpu->requests);
	/*
	 * As KVM: while the boot vCPU's guest uses the old MSR, the VM's
	 * clock is not offered as stable (GET_CLOCK, every vCPU's flags).
	 */
	if (vcpu->id == 0 && !host && c->old_boot != old) {
		spin_lock(&c->lock);
		c->old_boot = old;
		spin_unlock(&c->lock);
		kvmini_request_all(vcpu->vm, KVMINI_REQ_CLOCK_UPDATE);
	}
	return 0;
}

/* KVMINI_KVMCLOCK_CTRL: tell the guest it was paused (its watchdogs). */
long kvmini_kvmclock_ctrl(struct kvmini_vcpu *vcpu)
{
	if (!(vcpu->pv_time & 1))
		return -EINVAL;
	vcpu->pv_stopped = true;
	set_bit(KVMINI_REQ_CLOCK_UPDATE, &vcpu->requests);
	return 0;
}

/* At RESET and INIT, as KVM: kvmclock off until the guest turns it on. */
void kvmini_clock_reset(struct kvmini_vcpu *vcpu)
{
	vcpu->pv_time = 0;
}

/*
 * KVMINI_HC_CLOCK_PAIRING: the host's CLOCK_REALTIME and the guest's TSC
 * at one moment, at @gpa; only where the host keeps time by the TSC.
 */
s64 kvmini_clock_pairing(struct kvmini_vcpu *vcpu, u64 gpa, u64 type)
{
	struct kvmini_clock_pairing p = {};
	u64 tsc, real;

	if (type != KVMINI_CLOCK_PAIRING_WALLCLOCK || !host_clock(&tsc, &real))
		return -KVMINI_EOPNOTSUPP;
	p.nsec = do_div(real, NSEC_PER_SEC);
	p.sec = real;
	p.tsc = tsc + vcpu->tsc_offset;
	return kvmini_write_gpa(vcpu->vm, gpa, &p, sizeof(p)) ? -KVMINI_EFAULT : 0;
}
