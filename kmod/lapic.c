// SPDX-License-Identifier: GPL-2.0
/*
 * The in-kernel local APIC of KVMINI_CAP_SPLIT_IRQCHIP (KVM's split
 * irqchip: the VMM keeps the PIC and IOAPIC, the kernel the LAPICs).
 *
 * Each vCPU's APIC is a page of registers in the xAPIC layout (its first
 * KiB is KVMINI_GET/SET_LAPIC's), reached through the MMIO page at
 * APIC_BASE (xAPIC) or MSRs 0x800-0x8ff (x2APIC), and a timer on an
 * hrtimer. Only the vCPU's own thread changes registers; other CPUs (IPIs,
 * MSIs, irqfds, the timer) only set IRR/TMR bits atomically, queue NMIs,
 * INIT and SIPI, then kick: KVMINI_REQ_EVENT, and an IPI to the vCPU's
 * CPU if it is in the guest, or a wake-up if it sleeps (HLT, wait for SIPI).
 * Before each entry the vCPU takes the highest deliverable vector (above
 * the PPR) into ISR and injects it, or asks the hardware for an interrupt
 * window when the guest cannot take it yet: no polling anywhere.
 *
 * The APIC bus runs at 1 GHz (one timer tick per ns), as KVM's.
 */
#include <linux/hrtimer.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <asm/apicdef.h>
#include <asm/msr-index.h>
#include <asm/tsc.h>

#include "kvmini.h"

#define APIC_EV_INIT	0	/* bits of lapic->events */
#define APIC_EV_SIPI	1

#define LAPIC_VERSION	(0x14 | ((6 - 1) << 16))	/* 6 LVTs, as KVM's */
#define APIC_LVR_DIRECTED_EOI_BIT	BIT(24)
#define LVT_MASK	(APIC_LVT_MASKED | APIC_SEND_PENDING | APIC_VECTOR_MASK)
#define LINT_MASK	(LVT_MASK | APIC_MODE_MASK | APIC_INPUT_POLARITY | \
			 APIC_LVT_REMOTE_IRR | APIC_LVT_LEVEL_TRIGGER)
#define TIMER_ONESHOT	0
#define TIMER_PERIODIC	1
#define TIMER_TSCDEADLINE 2
#define APIC_SHORTHAND	0xc0000		/* ICR: the destination shorthand */
#define MIN_PERIOD_NS	200000ULL	/* periodic timers: KVM's min_timer_period_us */

struct kvmini_lapic {
	struct kvmini_vcpu *vcpu;
	u8 *regs;			/* a page, xAPIC register layout */
	struct hrtimer timer;
	u64 period_ns;			/* periodic mode: the period; else 0 */
	u64 tsc_deadline;		/* IA32_TSC_DEADLINE, 0: disarmed */
	unsigned long events;		/* APIC_EV_*: from other CPUs */
	u8 sipi_vector;
	atomic_t nmi_queued;
	int extint;			/* KVMINI_INTERRUPT's vector (LVT0 ExtINT), or -1 */
	int ioapic_eoi;			/* for KVMINI_EXIT_IOAPIC_EOI, or -1 */
	DECLARE_BITMAP(eoi_exit, 256);	/* vectors whose EOI exits (vCPU thread) */
};

static u32 reg_get(struct kvmini_lapic *a, unsigned int off)
{
	return READ_ONCE(*(u32 *)(a->regs + off));
}

static void reg_set(struct kvmini_lapic *a, unsigned int off, u32 val)
{
	WRITE_ONCE(*(u32 *)(a->regs + off), val);
}

/* IRR, ISR, TMR: 8 registers of 32 bits, 16 bytes apart. */
static unsigned long *vec_word(struct kvmini_lapic *a, unsigned int base, u8 vec)
{
	return (unsigned long *)(a->regs + base + ((vec >> 5) << 4));
}

static int vec_highest(struct kvmini_lapic *a, unsigned int base)
{
	int i;

	for (i = 7; i >= 0; i--) {
		u32 w = reg_get(a, base + (i << 4));

		if (w)
			return (i << 5) + __fls(w);
	}
	return -1;
}

static bool hw_enabled(struct kvmini_vcpu *vcpu)
{
	return READ_ONCE(vcpu->apic_base) & MSR_IA32_APICBASE_ENABLE;
}

static bool x2apic_mode(struct kvmini_vcpu *vcpu)
{
	return READ_ONCE(vcpu->apic_base) & X2APIC_ENABLE;
}

static bool sw_enabled(struct kvmini_lapic *a)
{
	return reg_get(a, APIC_SPIV) & APIC_SPIV_APIC_ENABLED;
}

/* --- waking a vCPU --- */

/*
 * Any context. The caller set what the vCPU must see (and, for events,
 * KVMINI_REQ_EVENT) before: a vCPU about to enter checks the requests
 * after announcing IN_GUEST_MODE (vcpu.c), one asleep is woken here.
 */
void kvmini_vcpu_kick(struct kvmini_vcpu *vcpu)
{
	int cpu, me;

	smp_mb__after_atomic();
	rcuwait_wake_up(&vcpu->wait);
	me = get_cpu();
	cpu = READ_ONCE(vcpu->cpu);
	if (READ_ONCE(vcpu->mode) == IN_GUEST_MODE && cpu != me && cpu >= 0)
		smp_send_reschedule(cpu);	/* any context, as KVM's kick */
	put_cpu();
}

static void event(struct kvmini_lapic *a)
{
	set_bit(KVMINI_REQ_EVENT, &a->vcpu->requests);
	kvmini_vcpu_kick(a->vcpu);
}

/*
 * The version register: with x2APIC in the guest's CPUID, directed EOI
 * too (as KVM, only without an in-kernel IOAPIC).
 */
static u32 lvr(struct kvmini_lapic *a)
{
	u32 v = LAPIC_VERSION |
		(kvmini_guest_has(a->vcpu, 1, 2, 21) && !a->vcpu->vm->ioapic ?
		 APIC_LVR_DIRECTED_EOI_BIT : 0);

	reg_set(a, APIC_LVR, v);
	return v;
}

/* --- priorities and acceptance --- */

static u32 tpr(struct kvmini_lapic *a)
{
	/* The guest's MOV to CR8 changes the hardware's copy: it wins. */
	u64 cr8 = kvmini_backend->get_cr8(a->vcpu);
	u32 t = reg_get(a, APIC_TASKPRI);

	if ((t >> 4) != cr8) {
		t = cr8 << 4;
		reg_set(a, APIC_TASKPRI, t);
	}
	return t;
}

static u32 ppr(struct kvmini_lapic *a)
{
	u32 t = tpr(a);
	int isr = vec_highest(a, APIC_ISR);
	u32 p = (isr >= 0 && (isr & 0xf0) > (t & 0xf0)) ? (isr & 0xf0) : t;

	reg_set(a, APIC_PROCPRI, p);
	return p;
}

/* The vector the guest would take now, or -1. */
static int deliverable(struct kvmini_lapic *a)
{
	int irr;

	if (!hw_enabled(a->vcpu))
		return -1;
	irr = vec_highest(a, APIC_IRR);
	if (irr < 0 || (irr & 0xf0) <= (ppr(a) & 0xf0))
		return -1;
	return irr;
}

/* Does the PIC's ExtINT reach the CPU (LVT0), as KVM's rule? */
static bool accept_pic_intr(struct kvmini_lapic *a)
{
	u32 lvt0 = reg_get(a, APIC_LVT0);

	return !hw_enabled(a->vcpu) ||
	       (!(lvt0 & APIC_LVT_MASKED) && GET_APIC_DELIVERY_MODE(lvt0) == APIC_MODE_EXTINT);
}

bool kvmini_lapic_accepts_pic(struct kvmini_vcpu *vcpu)
{
	return vcpu->apic && accept_pic_intr(vcpu->apic);
}

/* An ExtINT waits: the VMM's (split irqchip) or the in-kernel PIC's INTR. */
static bool extint_pending(struct kvmini_lapic *a)
{
	return a->extint >= 0 || kvmini_pic_output(a->vcpu->vm);
}

/* One interrupt for one APIC; any context. True if it took it. */
static bool accept(struct kvmini_lapic *a, u32 mode, u8 vec, bool level, bool trig)
{
	switch (mode) {
	case APIC_DM_FIXED:
	case APIC_DM_LOWEST:
		if (!sw_enabled(a) || (trig && !level))
			return false;
		if (trig)
			set_bit(vec & 31, vec_word(a, APIC_TMR, vec));
		else
			clear_bit(vec & 31, vec_word(a, APIC_TMR, vec));
		set_bit(vec & 31, vec_word(a, APIC_IRR, vec));
		break;
	case APIC_DM_NMI:
		atomic_inc(&a->nmi_queued);
		break;
	case APIC_DM_INIT:
		if (trig && !level)
			return false;	/* INIT level de-assert: nothing */
		/* As KVM: an INIT cancels a SIPI not yet taken, never a later one. */
		clear_bit(APIC_EV_SIPI, &a->events);
		set_bit(APIC_EV_INIT, &a->events);
		break;
	case APIC_DM_STARTUP:
		WRITE_ONCE(a->sipi_vector, vec);
		smp_wmb();	/* the vector before the event */
		set_bit(APIC_EV_SIPI, &a->events);
		break;
	default:		/* SMI (no SMM), ExtINT (only through LVT0) */
		return false;
	}
	event(a);
	return true;
}

/* --- destinations (KVM's rules, the broadcast quirk included) --- */

static bool match_physical(struct kvmini_vcpu *t, u32 dest, bool msi)
{
	if (x2apic_mode(t)) {
		if (dest == 0xffffffff)
			return true;
		if (msi && dest == 0xff && !READ_ONCE(t->vm->x2apic_broadcast_quirk_disabled))
			return true;
		return dest == reg_get(t->apic, APIC_ID);
	}
	return dest == 0xff || dest == reg_get(t->apic, APIC_ID) >> 24;
}

static bool match_logical(struct kvmini_vcpu *t, u32 dest)
{
	u32 ldr = reg_get(t->apic, APIC_LDR);

	if (x2apic_mode(t))
		return dest == 0xffffffff ||
		       ((ldr >> 16) == (dest >> 16) && (ldr & dest & 0xffff));
	if (dest == 0xff)
		return true;
	ldr >>= 24;
	if (reg_get(t->apic, APIC_DFR) >> 28 == 0xf)	/* flat */
		return ldr & dest;
	return (ldr >> 4) == (dest >> 4) && (ldr & dest & 0xf);	/* cluster */
}

struct apic_irq {
	u32 dest;
	u32 mode;		/* APIC_DM_* */
	u8 vector;
	bool logical, level, trig;
	bool lowest;		/* one of the matching APICs (LOWEST, or an MSI's hint) */
	bool msi;
	u32 shorthand;		/* APIC_DEST_* shorthand, or 0 */
};

static bool match(struct kvmini_vcpu *t, struct kvmini_vcpu *src, const struct apic_irq *irq)
{
	if (!t->apic || !hw_enabled(t))
		return false;
	switch (irq->shorthand) {
	case APIC_DEST_SELF:
		return t == src;
	case APIC_DEST_ALLINC:
		return true;
	case APIC_DEST_ALLBUT:
		return t != src;
	}
	return irq->logical ? match_logical(t, irq->dest) : match_physical(t, irq->dest, irq->msi);
}

/*
 * Deliver to every APIC @irq names (one of them for lowest priority, by
 * vector hashing as KVM's default): how many took it, -1 if none matched.
 */
static int deliver(struct kvmini_vm *vm, struct kvmini_vcpu *src, const struct apic_irq *irq)
{
	int i, n = atomic_read(&vm->online_vcpus), r = -1, nmatch = 0, pick;
	struct kvmini_vcpu *t;

	smp_rmb();	/* vcpus[i] published before online_vcpus */
	if (irq->lowest) {
		for (i = 0; i < n; i++) {
			t = READ_ONCE(vm->vcpus[i]);
			if (t && match(t, src, irq) && sw_enabled(t->apic))
				nmatch++;
		}
		if (!nmatch)
			return -1;
		pick = irq->vector % nmatch;
	}
	for (i = 0; i < n; i++) {
		t = READ_ONCE(vm->vcpus[i]);
		if (!t || !match(t, src, irq))
			continue;
		if (irq->lowest) {
			if (!sw_enabled(t->apic) || pick--)
				continue;
		}
		if (r < 0)
			r = 0;
		r += accept(t->apic, irq->mode, irq->vector, irq->level, irq->trig);
		if (irq->lowest)
			break;
	}
	return r;
}

/* An MSI as a device writes it (address, data). */
static struct apic_irq msi_irq(struct kvmini_vm *vm, u64 addr, u32 data)
{
	struct apic_irq irq = {
		.dest = (addr >> 12) & 0xff,
		.logical = addr & BIT(2),
		.mode = data & APIC_MODE_MASK,
		.vector = data & 0xff,
		.level = true,
		.trig = data & BIT(15),
		.msi = true,
	};

	if (READ_ONCE(vm->x2apic_format))
		irq.dest |= (u32)(addr >> 32) & 0xffffff00;
	/* The redirection hint with a logical destination: lowest priority. */
	irq.lowest = irq.mode == APIC_DM_LOWEST || ((addr & BIT(3)) && irq.logical);
	return irq;
}

/* Deliver an MSI. Any context. */
int kvmini_apic_deliver_msi(struct kvmini_vm *vm, u64 addr, u32 data)
{
	struct apic_irq irq = msi_irq(vm, addr, data);
	int r;

	r = deliver(vm, NULL, &irq);
	/* As KVM: -1 only where there is no APIC at all; else who took it. */
	return r < 0 && atomic_read(&vm->online_vcpus) ? 0 : r;
}

/*
 * An IOAPIC redirection entry's interrupt: vector, delivery mode, logical
 * destination, trigger, destination ID (bits 56-63). As KVM, the x2APIC
 * broadcast quirk applies to it as to an MSI (it is not an IPI).
 */
static struct apic_irq ioapic_irq(u64 e)
{
	struct apic_irq irq = {
		.dest = e >> 56,
		.mode = e & APIC_MODE_MASK,
		.vector = e & 0xff,
		.logical = e & BIT(11),
		.level = true,
		.trig = e & BIT(15),
		.msi = true,
	};

	irq.lowest = irq.mode == APIC_DM_LOWEST;
	return irq;
}

int kvmini_apic_deliver_ioapic(struct kvmini_vm *vm, u64 entry)
{
	struct apic_irq irq = ioapic_irq(entry);

	return deliver(vm, NULL, &irq);
}

bool kvmini_apic_ioapic_matches(struct kvmini_vcpu *vcpu, u64 entry)
{
	struct apic_irq irq = ioapic_irq(entry);

	return match(vcpu, NULL, &irq);
}

/* The vector waits in IRR or is in service here (KVM's kvm_apic_pending_eoi). */
bool kvmini_lapic_pending_eoi(struct kvmini_vcpu *vcpu, u8 v)
{
	struct kvmini_lapic *a = vcpu->apic;

	return test_bit(v & 31, vec_word(a, APIC_IRR, v)) ||
	       test_bit(v & 31, vec_word(a, APIC_ISR, v));
}

bool kvmini_lapic_directed_eoi(struct kvmini_vcpu *vcpu)
{
	return reg_get(vcpu->apic, APIC_SPIV) & APIC_SPIV_DIRECTED_EOI;
}

/* Does an IOAPIC route's MSI address this vCPU (its EOIs of the vector exit)? */
bool kvmini_apic_msi_eoi_exit(struct kvmini_vcpu *vcpu, u64 addr, u32 data)
{
	struct apic_irq irq = msi_irq(vcpu->vm, addr, data);

	return match(vcpu, NULL, &irq);
}

/* vCPU thread, KVMINI_REQ_SCAN_IOAPIC: which EOIs exit to the VMM's IOAPIC. */
void kvmini_lapic_scan_ioapic(struct kvmini_vcpu *vcpu)
{
	bitmap_zero(vcpu->apic->eoi_exit, 256);
	kvmini_irq_scan_ioapic(vcpu, vcpu->apic->eoi_exit);
}

/* This APIC's destination changed (ID, LDR, DFR, APIC_BASE): scan again. */
static void dest_changed(struct kvmini_lapic *a)
{
	set_bit(KVMINI_REQ_SCAN_IOAPIC, &a->vcpu->requests);
}

static void send_ipi(struct kvmini_lapic *a, u32 lo, u32 hi)
{
	struct apic_irq irq = {
		.vector = lo & APIC_VECTOR_MASK,
		.mode = lo & APIC_MODE_MASK,
		.logical = lo & APIC_DEST_LOGICAL,
		.level = lo & APIC_INT_ASSERT,
		.trig = lo & APIC_INT_LEVELTRIG,
		.shorthand = lo & APIC_SHORTHAND,
		.dest = x2apic_mode(a->vcpu) ? hi : hi >> 24,
	};

	irq.lowest = irq.mode == APIC_DM_LOWEST;
	deliver(a->vcpu->vm, a->vcpu, &irq);
}

/* --- the timer --- */

static int timer_mode(struct kvmini_lapic *a)
{
	return (reg_get(a, APIC_LVTT) >> 17) & 3;
}

static u32 divide_count(struct kvmini_lapic *a)
{
	u32 d = reg_get(a, APIC_TDCR);

	return 1U << ((((d & 3) | ((d & 8) >> 1)) + 1) & 7);
}

/* The timer's interrupt, unless its LVT is masked. Any context. */
static void timer_expired(struct kvmini_lapic *a)
{
	u32 lvtt = reg_get(a, APIC_LVTT);

	if (!(lvtt & APIC_LVT_MASKED))
		accept(a, APIC_DM_FIXED, lvtt & APIC_VECTOR_MASK, false, false);
}

static enum hrtimer_restart timer_fn(struct hrtimer *t)
{
	struct kvmini_lapic *a = container_of(t, struct kvmini_lapic, timer);

	timer_expired(a);
	if (a->period_ns) {
		/* Periods missed while the host was busy are dropped, not replayed. */
		hrtimer_forward_now(t, ns_to_ktime(a->period_ns));
		return HRTIMER_RESTART;
	}
	if (timer_mode(a) == TIMER_TSCDEADLINE)
		WRITE_ONCE(a->tsc_deadline, 0);
	return HRTIMER_NORESTART;
}

static void timer_stop(struct kvmini_lapic *a)
{
	hrtimer_cancel(&a->timer);
	a->period_ns = 0;
}

/*
 * Arm the timer for @exp, or, as KVM, fire a one-shot whose time has come
 * by now (a count of a few ns) at once rather than through the hrtimer.
 */
static void start_or_expire(struct kvmini_lapic *a, ktime_t exp)
{
	if (!a->period_ns && !ktime_after(exp, ktime_get())) {
		if (timer_mode(a) == TIMER_TSCDEADLINE)
			a->tsc_deadline = 0;
		timer_expired(a);
		return;
	}
	hrtimer_start(&a->timer, exp, HRTIMER_MODE_ABS_HARD);
}

/* A periodic timer's period: TMICT at the divisor, not under KVM's floor. */
static u64 timer_period(struct kvmini_lapic *a)
{
	return max_t(u64, (u64)reg_get(a, APIC_TMICT) * divide_count(a), MIN_PERIOD_NS);
}

/* One-shot or periodic, @count ticks from now (TMICT, or TMCCT at restore). */
static void timer_start(struct kvmini_lapic *a, u32 count)
{
	u64 ns = (u64)count * divide_count(a);

	timer_stop(a);
	if (!count || timer_mode(a) == TIMER_TSCDEADLINE)
		return;
	if (timer_mode(a) == TIMER_PERIODIC) {
		a->period_ns = timer_period(a);
		ns = max(ns, MIN_PERIOD_NS);
	}
	start_or_expire(a, ktime_add_ns(ktime_get(), ns));
}

static u64 guest_tsc(struct kvmini_vcpu *vcpu)
{
	return rdtsc() + vcpu->tsc_offset;
}

static void deadline_start(struct kvmini_lapic *a)
{
	u64 now, dl = a->tsc_deadline;

	hrtimer_cancel(&a->timer);
	a->period_ns = 0;
	if (!dl || timer_mode(a) != TIMER_TSCDEADLINE)
		return;
	now = guest_tsc(a->vcpu);
	start_or_expire(a, ktime_add_ns(ktime_get(), dl > now ?
					mul_u64_u32_div(dl - now, 1000000, tsc_khz) : 0));
}

/*
 * A new divisor (@old was the one before): a running count goes on from
 * where it is at the new rate, and a periodic timer's period follows (as
 * KVM; unlike KVM, a one-shot that has fired is not fired again).
 */
static void timer_rescale(struct kvmini_lapic *a, u32 old)
{
	s64 ns;

	if (divide_count(a) == old || timer_mode(a) == TIMER_TSCDEADLINE ||
	    !hrtimer_active(&a->timer))
		return;
	ns = max_t(s64, ktime_to_ns(hrtimer_get_remaining(&a->timer)), 0);
	hrtimer_cancel(&a->timer);
	if (a->period_ns)
		a->period_ns = timer_period(a);
	start_or_expire(a, ktime_add_ns(ktime_get(), mul_u64_u32_div(ns, divide_count(a), old)));
}

static u32 timer_current(struct kvmini_lapic *a)
{
	s64 ns;

	if (timer_mode(a) == TIMER_TSCDEADLINE || !hrtimer_active(&a->timer))
		return 0;
	ns = ktime_to_ns(hrtimer_get_remaining(&a->timer));
	if (ns < 0)
		return 0;
	return div_u64(ns, divide_count(a));
}

/* --- registers --- */

static void set_ldr_x2apic(struct kvmini_lapic *a, u32 id)
{
	reg_set(a, APIC_LDR, ((id >> 4) << 16) | (1U << (id & 0xf)));
}

static void eoi(struct kvmini_lapic *a)
{
	int v = vec_highest(a, APIC_ISR);

	if (v < 0)
		return;
	clear_bit(v & 31, vec_word(a, APIC_ISR, v));
	/*
	 * A vector of the IOAPIC's that this vCPU passes EOIs of: to the
	 * in-kernel IOAPIC (level-triggered if TMR says so), or the VMM's
	 * (as KVM in split mode, however the interrupt came).
	 */
	if (test_bit(v, a->eoi_exit)) {
		if (a->vcpu->vm->ioapic) {
			kvmini_ioapic_eoi(a->vcpu, v,
					  test_bit(v & 31, vec_word(a, APIC_TMR, v)));
		} else {
			a->ioapic_eoi = v;
			set_bit(KVMINI_REQ_IOAPIC_EOI, &a->vcpu->requests);
		}
	}
	set_bit(KVMINI_REQ_EVENT, &a->vcpu->requests);
}

static void set_lvt(struct kvmini_lapic *a, unsigned int off, u32 val)
{
	u32 mask = LVT_MASK;

	switch (off) {
	case APIC_LVTT:
		mask |= kvmini_guest_has(a->vcpu, 1, 2, 24) ? (3 << 17) : (1 << 17);
		break;
	case APIC_LVTTHMR: case APIC_LVTPC:
		mask |= APIC_MODE_MASK;
		break;
	case APIC_LVT0: case APIC_LVT1:
		mask = LINT_MASK;
		break;
	}
	if (!sw_enabled(a))
		val |= APIC_LVT_MASKED;
	val &= mask;
	if (off == APIC_LVTT && ((val >> 17) & 3) != timer_mode(a)) {
		/* Into or out of TSC-deadline mode: the timer stops (as KVM). */
		if ((((val >> 17) & 3) == TIMER_TSCDEADLINE) != (timer_mode(a) == TIMER_TSCDEADLINE)) {
			timer_stop(a);
			reg_set(a, APIC_TMICT, 0);
			a->tsc_deadline = 0;
		}
		reg_set(a, off, val);
		if (a->period_ns || hrtimer_active(&a->timer))
			timer_start(a, timer_current(a));
		return;
	}
	reg_set(a, off, val);
}

/* A register write; -EINVAL where x2APIC #GPs (xAPIC ignores those). */
static int reg_write(struct kvmini_lapic *a, unsigned int off, u32 val)
{
	bool x2 = x2apic_mode(a->vcpu);
	int i;

	switch (off) {
	case APIC_ID:
		if (x2)
			return -EINVAL;
		reg_set(a, APIC_ID, val & 0xff000000);
		dest_changed(a);
		break;
	case APIC_TASKPRI:
		reg_set(a, APIC_TASKPRI, val & 0xff);
		kvmini_backend->set_cr8(a->vcpu, (val & 0xff) >> 4);
		set_bit(KVMINI_REQ_EVENT, &a->vcpu->requests);
		break;
	case APIC_EOI:
		eoi(a);
		break;
	case APIC_LDR:
		if (x2)
			return -EINVAL;
		reg_set(a, APIC_LDR, val & APIC_LDR_MASK);
		dest_changed(a);
		break;
	case APIC_DFR:
		if (x2)
			return -EINVAL;
		reg_set(a, APIC_DFR, val | 0x0fffffff);
		dest_changed(a);
		break;
	case APIC_SPIV:
		reg_set(a, APIC_SPIV, val & (0x3ff |
			(lvr(a) & APIC_LVR_DIRECTED_EOI_BIT ? APIC_SPIV_DIRECTED_EOI : 0)));
		if (!(val & APIC_SPIV_APIC_ENABLED)) {
			for (i = APIC_LVTT; i <= APIC_LVTERR; i += 0x10)
				reg_set(a, i, reg_get(a, i) | APIC_LVT_MASKED);
		}
		set_bit(KVMINI_REQ_EVENT, &a->vcpu->requests);
		break;
	case APIC_ICR:
		reg_set(a, APIC_ICR, val & ~APIC_ICR_BUSY);
		send_ipi(a, val, reg_get(a, APIC_ICR2));
		break;
	case APIC_ICR2:
		if (x2)
			return -EINVAL;
		reg_set(a, APIC_ICR2, val & 0xff000000);
		break;
	case APIC_LVTT: case APIC_LVTTHMR: case APIC_LVTPC:
	case APIC_LVT0: case APIC_LVT1: case APIC_LVTERR:
		set_lvt(a, off, val);
		break;
	case APIC_TMICT:
		if (timer_mode(a) == TIMER_TSCDEADLINE)
			break;
		reg_set(a, APIC_TMICT, val);
		timer_start(a, val);
		break;
	case APIC_TDCR:
		i = divide_count(a);
		reg_set(a, APIC_TDCR, val & 0xb);
		timer_rescale(a, i);
		break;
	case APIC_ESR:
		if (x2 && val)
			return -EINVAL;
		break;
	case APIC_SELF_IPI:
		if (!x2 || (val & ~APIC_VECTOR_MASK))
			return -EINVAL;
		send_ipi(a, APIC_DEST_SELF | val, 0);
		break;
	default:
		return -EINVAL;
	}
	return 0;
}

/* A register read; -EINVAL for a reserved one. */
static int reg_read(struct kvmini_lapic *a, unsigned int off, u32 *val)
{
	bool x2 = x2apic_mode(a->vcpu);

	switch (off) {
	case APIC_ARBPRI:
	case APIC_ICR2:
		if (x2)
			return -EINVAL;
		fallthrough;
	case APIC_ID: case APIC_LDR: case APIC_DFR: case APIC_SPIV:
	case APIC_ESR: case APIC_ICR: case APIC_LVTT: case APIC_LVTTHMR: case APIC_LVTPC:
	case APIC_LVT0: case APIC_LVT1: case APIC_LVTERR: case APIC_TMICT: case APIC_TDCR:
		*val = off == APIC_ARBPRI ? 0 : reg_get(a, off);
		break;
	case APIC_TASKPRI:
		*val = tpr(a);
		break;
	case APIC_LVR:
		*val = lvr(a);
		break;
	case APIC_PROCPRI:
		*val = ppr(a);
		break;
	case APIC_TMCCT:
		*val = timer_current(a);
		break;
	case APIC_ISR ... APIC_ISR + 0x70:
	case APIC_TMR ... APIC_TMR + 0x70:
	case APIC_IRR ... APIC_IRR + 0x70:
		if (off & 0xf)
			return -EINVAL;
		*val = reg_get(a, off);
		break;
	default:
		return -EINVAL;
	}
	return 0;
}

/*
 * A guest access to the xAPIC page (or what would be): true if it is the
 * APIC's (else a device's, for the VMM). As KVM: reads of 1, 2 or 4 bytes
 * within a register, writes of 4 aligned bytes; others are dropped. With
 * the APIC off or in x2APIC mode, KVM's LAPIC_MMIO_HOLE quirk: the page
 * reads all ones and drops writes (unless the VMM turned the quirk off).
 */
bool kvmini_lapic_mmio(struct kvmini_vcpu *vcpu, u64 gpa, unsigned int len, void *data,
		       bool write)
{
	struct kvmini_lapic *a = vcpu->apic;
	u64 base = vcpu->apic_base & MSR_IA32_APICBASE_BASE;
	unsigned int off = gpa - base;
	u32 val = 0;

	if (!a || gpa < base || gpa >= base + PAGE_SIZE)
		return false;
	if (!hw_enabled(vcpu) || x2apic_mode(vcpu)) {
		if (vcpu->vm->disabled_quirks & KVMINI_X86_QUIRK_LAPIC_MMIO_HOLE)
			return false;
		if (!write)
			memset(data, 0xff, len);
		return true;
	}
	if (write) {
		if (len == 4 && !(off & 0xf)) {
			memcpy(&val, data, 4);
			reg_write(a, off, val);
		}
		return true;
	}
	memset(data, 0, len);
	if ((off & 0xf) + len <= 4 && !reg_read(a, off & ~0xfU, &val))
		memcpy(data, (u8 *)&val + (off & 0xf), len);
	return true;
}

/* x2APIC MSRs (0x800-0x8ff) and IA32_TSC_DEADLINE: 0, -EINVAL (#GP), -ENOENT (not ours). */
int kvmini_lapic_msr(struct kvmini_vcpu *vcpu, u32 msr, u64 *val, bool write)
{
	struct kvmini_lapic *a = vcpu->apic;
	unsigned int off = (msr - APIC_BASE_MSR) << 4;
	u32 lo;
	int r;

	if (!a)
		return -ENOENT;
	if (msr == MSR_IA32_TSC_DEADLINE) {
		if (!write) {
			*val = hw_enabled(vcpu) && timer_mode(a) == TIMER_TSCDEADLINE ?
			       READ_ONCE(a->tsc_deadline) : 0;
		} else if (hw_enabled(vcpu) && timer_mode(a) == TIMER_TSCDEADLINE) {
			a->tsc_deadline = *val;
			deadline_start(a);
		}
		return 0;
	}
	if (msr < APIC_BASE_MSR || msr > APIC_BASE_MSR + 0xff)
		return -ENOENT;
	if (!x2apic_mode(vcpu) || off == APIC_DFR)
		return -EINVAL;
	if (off == APIC_ICR) {
		if (!write) {
			*val = reg_get(a, APIC_ICR) | (u64)reg_get(a, APIC_ICR2) << 32;
			return 0;
		}
		reg_set(a, APIC_ICR2, *val >> 32);
		return reg_write(a, APIC_ICR, *val);
	}
	if (write)	/* bits 63:32 are reserved but in the ICR */
		return *val >> 32 ? -EINVAL : reg_write(a, off, *val);
	if (off == APIC_SELF_IPI || off == APIC_EOI)
		return -EINVAL;		/* write-only */
	r = reg_read(a, off, &lo);
	*val = lo;
	return r;
}

/* --- IA32_APIC_BASE --- */

/* KVM's rules for IA32_APIC_BASE with an in-kernel APIC (@host: the VMM's write). */
bool kvmini_lapic_base_valid(struct kvmini_vcpu *vcpu, u64 val, bool host)
{
	u64 old = vcpu->apic_base;
	u64 reserved = ~((1ULL << kvmini_guest_maxphyaddr(vcpu)) - 1) | 0x2ff |
		       (kvmini_guest_has(vcpu, 1, 2, 21) ? 0 : X2APIC_ENABLE);
	bool was_x2 = old & X2APIC_ENABLE, was_on = old & MSR_IA32_APICBASE_ENABLE;
	bool x2 = val & X2APIC_ENABLE, on = val & MSR_IA32_APICBASE_ENABLE;

	if ((val & reserved) || (x2 && !on))
		return false;
	return host || !((was_x2 && !x2 && on) || (!was_on && x2));
}

/* A write of IA32_APIC_BASE: 0, or -EINVAL (#GP). */
int kvmini_lapic_set_base(struct kvmini_vcpu *vcpu, u64 val, bool host)
{
	struct kvmini_lapic *a = vcpu->apic;
	u64 old = vcpu->apic_base;
	bool was_x2 = old & X2APIC_ENABLE, was_on = old & MSR_IA32_APICBASE_ENABLE;
	bool x2 = val & X2APIC_ENABLE, on = val & MSR_IA32_APICBASE_ENABLE;

	if (!kvmini_lapic_base_valid(vcpu, val, host))
		return -EINVAL;
	WRITE_ONCE(vcpu->apic_base, val);
	if (on && !was_on)
		reg_set(a, APIC_ID, vcpu->id << 24);
	if (x2 && !was_x2) {
		reg_set(a, APIC_ID, vcpu->id);
		set_ldr_x2apic(a, vcpu->id);
	}
	if (was_on && !on)
		timer_stop(a);
	dest_changed(a);
	kvmini_cpuid_update_runtime(vcpu);
	set_bit(KVMINI_REQ_EVENT, &vcpu->requests);
	return 0;
}

/* --- the vCPU's side: events, injection, sleep --- */

/* KVM's RESET (@init false) or INIT state of the APIC. */
void kvmini_lapic_reset(struct kvmini_vcpu *vcpu, bool init)
{
	struct kvmini_lapic *a = vcpu->apic;
	int i;

	if (!a)
		return;
	timer_stop(a);
	a->tsc_deadline = 0;
	if (!init)
		reg_set(a, APIC_ID, vcpu->id << 24);	/* (vcpu.c reset APIC_BASE) */
	lvr(a);
	for (i = APIC_LVTT; i <= APIC_LVTERR; i += 0x10)
		reg_set(a, i, APIC_LVT_MASKED);
	/* KVM's LINT0_REENABLED quirk: the BSP takes the PIC's ExtINT. */
	if (vcpu->id == vcpu->vm->bsp_vcpu_id &&
	    !(vcpu->vm->disabled_quirks & KVMINI_X86_QUIRK_LINT0_REENABLED))
		reg_set(a, APIC_LVT0, SET_APIC_DELIVERY_MODE(0, APIC_MODE_EXTINT));
	reg_set(a, APIC_DFR, 0xffffffff);
	reg_set(a, APIC_SPIV, 0xff);
	reg_set(a, APIC_TASKPRI, 0);
	kvmini_backend->set_cr8(vcpu, 0);
	if (!x2apic_mode(vcpu))
		reg_set(a, APIC_LDR, 0);
	reg_set(a, APIC_ESR, 0);
	reg_set(a, APIC_ICR, 0);
	reg_set(a, APIC_ICR2, 0);
	reg_set(a, APIC_TDCR, 0);
	reg_set(a, APIC_TMICT, 0);
	for (i = 0; i < 8; i++) {
		reg_set(a, APIC_IRR + (i << 4), 0);
		reg_set(a, APIC_ISR + (i << 4), 0);
		reg_set(a, APIC_TMR + (i << 4), 0);
	}
	reg_set(a, APIC_PROCPRI, 0);
	a->extint = -1;
	a->ioapic_eoi = -1;
	dest_changed(a);
}

/* vCPU thread: INIT and SIPI that other vCPUs sent (KVM's accept_events). */
static void accept_events(struct kvmini_vcpu *vcpu)
{
	struct kvmini_lapic *a = vcpu->apic;
	struct kvmini_sregs s;
	u8 v;

	if (test_and_clear_bit(APIC_EV_INIT, &a->events)) {
		kvmini_vcpu_init(vcpu);
		vcpu->mp_state = (vcpu->apic_base & MSR_IA32_APICBASE_BSP) ?
				 KVMINI_MP_STATE_RUNNABLE : KVMINI_MP_STATE_INIT_RECEIVED;
	}
	if (test_and_clear_bit(APIC_EV_SIPI, &a->events) &&
	    vcpu->mp_state == KVMINI_MP_STATE_INIT_RECEIVED) {
		smp_rmb();	/* the event before the vector */
		v = READ_ONCE(a->sipi_vector);
		kvmini_get_sregs(vcpu, &s);
		s.cs.selector = v << 8;
		s.cs.base = (u64)v << 12;
		kvmini_backend->set_sregs(vcpu, &s);
		vcpu->rip = 0;
		vcpu->mp_state = KVMINI_MP_STATE_RUNNABLE;
	}
}

/* Would anything wake this vCPU from HLT (or wait-for-SIPI)? Any context. */
static bool has_events(struct kvmini_vcpu *vcpu)
{
	struct kvmini_lapic *a = vcpu->apic;

	/* As KVM: a pending INIT or SIPI wakes any sleeper (a stray SIPI is dropped then). */
	if (READ_ONCE(a->events))
		return true;
	if (vcpu->mp_state != KVMINI_MP_STATE_HALTED)
		return false;
	if (atomic_read(&a->nmi_queued) || vcpu->nmi_pending)
		return true;
	if (!(vcpu->rflags & X86_EFLAGS_IF))
		return false;
	return deliverable(a) >= 0 || (extint_pending(a) && accept_pic_intr(a));
}

/*
 * The run loop, before entering: INIT/SIPI first; then a vCPU that cannot
 * run sleeps until it can, or a signal comes. 1: go on; 0: run it now.
 */
int kvmini_lapic_block(struct kvmini_vcpu *vcpu)
{
	accept_events(vcpu);
	if (vcpu->mp_state == KVMINI_MP_STATE_RUNNABLE)
		return 0;
	if (!has_events(vcpu) &&
	    rcuwait_wait_event(&vcpu->wait, has_events(vcpu), TASK_INTERRUPTIBLE))
		return 1;	/* a signal: the run loop exits for it */
	accept_events(vcpu);
	if (vcpu->mp_state == KVMINI_MP_STATE_HALTED)
		vcpu->mp_state = KVMINI_MP_STATE_RUNNABLE;
	return 1;
}

/*
 * Interrupts off, before the backend's inject_events(): queued NMIs, then
 * the interrupt the guest would take now into vcpu->irq_pending, or an
 * interrupt window asked for (vcpu->apic_window).
 */
void kvmini_lapic_inject(struct kvmini_vcpu *vcpu)
{
	struct kvmini_lapic *a = vcpu->apic;
	int nmis = atomic_xchg(&a->nmi_queued, 0), v;
	bool ext;

	if (nmis) {
		unsigned int limit = (vcpu->nmi_masked ||
				      kvmini_backend->nmi_in_flight(vcpu)) ? 1 : 2;

		vcpu->nmi_pending = min(vcpu->nmi_pending + nmis, limit);
	}
	vcpu->apic_window = false;
	if (vcpu->irq_pending >= 0)
		return;
	ext = extint_pending(a) && accept_pic_intr(a);
	v = ext ? 0 : deliverable(a);
	if (v < 0)
		return;
	if (!kvmini_backend->interrupt_allowed(vcpu)) {
		vcpu->apic_window = true;
		return;
	}
	if (ext && a->extint >= 0) {
		v = a->extint;
		a->extint = -1;
	} else if (ext) {
		v = kvmini_pic_read_irq(vcpu->vm);	/* the CPU's INTA */
	} else {
		clear_bit(v & 31, vec_word(a, APIC_IRR, v));
		set_bit(v & 31, vec_word(a, APIC_ISR, v));
		ppr(a);
	}
	vcpu->irq_pending = v;
}

/* KVMINI_INTERRUPT with the split irqchip: the userspace PIC's ExtINT. */
int kvmini_lapic_extint(struct kvmini_vcpu *vcpu, u32 vector)
{
	if (vcpu->apic->extint >= 0)
		return -EEXIST;
	vcpu->apic->extint = vector;
	set_bit(KVMINI_REQ_EVENT, &vcpu->requests);
	return 0;
}

/* Could the VMM's PIC hand over an ExtINT now (KVM's kvm_cpu_accept_dm_intr)? */
bool kvmini_lapic_accept_dm_intr(struct kvmini_vcpu *vcpu)
{
	return vcpu->apic->extint < 0 && accept_pic_intr(vcpu->apic);
}

/* run->ready_for_interrupt_injection, as KVM computes it in split mode. */
bool kvmini_lapic_ready_for_extint(struct kvmini_vcpu *vcpu)
{
	return kvmini_backend->interrupt_allowed(vcpu) && kvmini_lapic_accept_dm_intr(vcpu);
}

/* The vector of a pending KVMINI_EXIT_IOAPIC_EOI (the request was set). */
int kvmini_lapic_ioapic_eoi(struct kvmini_vcpu *vcpu)
{
	int v = vcpu->apic->ioapic_eoi;

	vcpu->apic->ioapic_eoi = -1;
	return v;
}

void kvmini_lapic_get_mp_state(struct kvmini_vcpu *vcpu)
{
	accept_events(vcpu);
}

/* KVMINI_SET_MP_STATE's SIPI_RECEIVED: wait for SIPI, with one pending. */
void kvmini_lapic_sipi_pending(struct kvmini_vcpu *vcpu)
{
	set_bit(APIC_EV_SIPI, &vcpu->apic->events);
}

/* --- KVMINI_GET/SET_LAPIC --- */

/* x2APIC IDs: in bits 31:24 for userspace, unless KVMINI_X2APIC_API_USE_32BIT_IDS. */
static int state_fixup(struct kvmini_vcpu *vcpu, struct kvmini_lapic_state *s, bool set)
{
	u32 *id = (u32 *)(s->regs + APIC_ID);

	if (!x2apic_mode(vcpu))
		return 0;
	if (vcpu->vm->x2apic_format) {
		if (*id != vcpu->id)
			return -EINVAL;
	} else if (set) {
		*id >>= 24;
	} else {
		*id <<= 24;
	}
	if (set)
		*(u32 *)(s->regs + APIC_LDR) = ((*id >> 4) << 16) | (1U << (*id & 0xf));
	return 0;
}

long kvmini_get_lapic(struct kvmini_vcpu *vcpu, void __user *argp)
{
	struct kvmini_lapic_state *s;
	long r;

	if (!vcpu->apic)
		return -EINVAL;
	s = kmalloc(sizeof(*s), GFP_KERNEL_ACCOUNT);
	if (!s)
		return -ENOMEM;
	tpr(vcpu->apic);
	ppr(vcpu->apic);
	lvr(vcpu->apic);
	memcpy(s->regs, vcpu->apic->regs, sizeof(s->regs));
	*(u32 *)(s->regs + APIC_TMCCT) = timer_current(vcpu->apic);
	r = state_fixup(vcpu, s, false);
	if (!r && copy_to_user(argp, s, sizeof(*s)))
		r = -EFAULT;
	kfree(s);
	return r;
}

long kvmini_set_lapic(struct kvmini_vcpu *vcpu, void __user *argp)
{
	struct kvmini_lapic *a = vcpu->apic;
	struct kvmini_lapic_state *s;
	u32 tmcct;
	long r;

	if (!a)
		return -EINVAL;
	s = memdup_user(argp, sizeof(*s));
	if (IS_ERR(s))
		return PTR_ERR(s);
	r = state_fixup(vcpu, s, true);
	if (r)
		goto out;
	timer_stop(a);
	memcpy(a->regs, s->regs, sizeof(s->regs));
	lvr(a);
	kvmini_backend->set_cr8(vcpu, (reg_get(a, APIC_TASKPRI) & 0xff) >> 4);
	ppr(a);
	/* The countdown goes on from where it was (TMCCT), as KVM. */
	tmcct = *(u32 *)(s->regs + APIC_TMCCT);
	reg_set(a, APIC_TMCCT, 0);
	if (timer_mode(a) != TIMER_TSCDEADLINE)
		timer_start(a, tmcct);
	else
		deadline_start(a);
	dest_changed(a);
	set_bit(KVMINI_REQ_EVENT, &vcpu->requests);
out:
	kfree(s);
	return r;
}

/* --- creation --- */

int kvmini_lapic_create(struct kvmini_vcpu *vcpu)
{
	struct kvmini_lapic *a;

	rcuwait_init(&vcpu->wait);
	if (!kvmini_irqchip_in_kernel(vcpu->vm))
		return 0;
	a = kzalloc(sizeof(*a), GFP_KERNEL_ACCOUNT);
	if (!a)
		return -ENOMEM;
	a->regs = (u8 *)get_zeroed_page(GFP_KERNEL_ACCOUNT);
	if (!a->regs) {
		kfree(a);
		return -ENOMEM;
	}
	a->vcpu = vcpu;
	a->extint = -1;
	a->ioapic_eoi = -1;
	hrtimer_init(&a->timer, CLOCK_MONOTONIC, HRTIMER_MODE_ABS_HARD);
	a->timer.function = timer_fn;
	dest_changed(a);
	vcpu->apic = a;
	/* As KVM: with the APIC in the kernel, APs wait for INIT and SIPI. */
	vcpu->mp_state = vcpu->id == vcpu->vm->bsp_vcpu_id ?
			 KVMINI_MP_STATE_RUNNABLE : KVMINI_MP_STATE_UNINITIALIZED;
	return 0;
}

void kvmini_lapic_free(struct kvmini_vcpu *vcpu)
{
	struct kvmini_lapic *a = vcpu->apic;

	if (!a)
		return;
	hrtimer_cancel(&a->timer);
	free_page((unsigned long)a->regs);
	kfree(a);
	vcpu->apic = NULL;
}
