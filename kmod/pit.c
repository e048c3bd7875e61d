// SPDX-License-Identifier: GPL-2.0
/*
 * The 8254 PIT of KVMINI_CREATE_PIT2 (ports 0x40-0x43) and, with
 * KVMINI_PIT_SPEAKER_DUMMY, the speaker port 0x61 (channel 2's gate and
 * output), with KVM's behaviour: 1.193182 MHz, counts computed from the
 * host's clock when read; channel 0 alone interrupts, on GSI 0 through
 * the irqchip's routes (only with the IOAPIC in the kernel, as KVM), on
 * an hrtimer: modes 2 and 3 periodic (200 us at least), 0, 1 and 4 once.
 *
 * Reinjection (KVMINI_REINJECT_CONTROL, on by default): every tick is
 * delivered, the next only once the guest has acknowledged the last one
 * (the PIC's or IOAPIC's EOI of GSI 0); ticks missed meanwhile wait.
 * Off: each tick raises and lowers GSI 0, whatever became of the last.
 *
 * The channels are under pit->lock (a mutex: port I/O and ioctls); the
 * timer's callback (hard interrupt context) reads only what is set while
 * it is stopped, and counts ticks in atomics.
 */
#include <linux/hrtimer.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "kvmini.h"

#define PIT_FREQ	1193182
#define PIT_MIN_PERIOD	200000LL	/* ns, as KVM's min_timer_period_us */
#define SPEAKER_PORT	0x61

/* read_state / write_state / count_latched: which byte comes next */
#define RW_LSB		1
#define RW_MSB		2
#define RW_WORD0	3
#define RW_WORD1	4

struct kvmini_pit {
	struct mutex lock;
	struct kvmini_vm *vm;
	struct kvmini_pit_channel_state ch[3];
	u32 flags;			/* KVMINI_PIT_FLAGS_* */
	bool speaker;			/* port 0x61 is ours */
	struct hrtimer timer;		/* channel 0 */
	s64 period;			/* ns; 0: never started */
	bool periodic;
	atomic_t reinject;
	atomic_t pending;		/* reinjection: ticks not yet delivered */
	atomic_t irq_ack;		/* reinjection: the last tick was acknowledged */
};

static void pit_inject(struct kvmini_pit *pit)
{
	kvmini_set_irq(pit->vm, KVMINI_SRC_PIT, 0, 1);
	kvmini_set_irq(pit->vm, KVMINI_SRC_PIT, 0, 0);
}

/* A tick to deliver: with reinjection only once the last one was taken. */
static void pit_tick(struct kvmini_pit *pit)
{
	if (atomic_read(&pit->reinject) && !atomic_xchg(&pit->irq_ack, 0))
		return;
	pit_inject(pit);
}

static enum hrtimer_restart pit_timer_fn(struct hrtimer *t)
{
	struct kvmini_pit *pit = container_of(t, struct kvmini_pit, timer);

	if (atomic_read(&pit->reinject))
		atomic_inc(&pit->pending);
	pit_tick(pit);
	if (!pit->periodic)
		return HRTIMER_NORESTART;
	hrtimer_add_expires_ns(t, pit->period);
	return HRTIMER_RESTART;
}

/* GSI 0's EOI: the next tick that waited goes in. */
void kvmini_pit_acked(struct kvmini_vm *vm)
{
	struct kvmini_pit *pit = READ_ONCE(vm->pit);

	if (!pit || !atomic_read(&pit->reinject))
		return;
	atomic_set(&pit->irq_ack, 1);
	smp_mb();	/* the acknowledgement before pending is read */
	if (atomic_dec_if_positive(&pit->pending) > 0)
		pit_tick(pit);
}

static void reset_reinject(struct kvmini_pit *pit)
{
	atomic_set(&pit->pending, 0);
	atomic_set(&pit->irq_ack, 1);
}

/* GSI 0 unmasked: what was missed while masked is forgotten (as KVM). */
void kvmini_pit_unmasked(struct kvmini_vm *vm)
{
	struct kvmini_pit *pit = READ_ONCE(vm->pit);

	if (pit && atomic_read(&pit->reinject))
		reset_reinject(pit);
}

bool kvmini_pit_reinjects(struct kvmini_vm *vm)
{
	struct kvmini_pit *pit = READ_ONCE(vm->pit);

	return pit && atomic_read(&pit->reinject);
}

static void set_reinject(struct kvmini_pit *pit, bool on)
{
	if (atomic_read(&pit->reinject) == on)
		return;
	if (on)
		reset_reinject(pit);
	atomic_set(&pit->reinject, on);
	/* GSI 0's EOIs matter, or no longer: the vCPUs look again. */
	kvmini_request_all(pit->vm, KVMINI_REQ_SCAN_IOAPIC);
}

/* --- counting --- */

static u32 mod(u64 a, u32 b)
{
	u32 r;

	div_u64_rem(a, b, &r);
	return r;
}

static s64 elapsed_ns(struct kvmini_pit *pit, int c)
{
	if (c)
		return ktime_get_ns() - pit->ch[c].count_load_time;
	/* Channel 0 follows its timer, as KVM's. */
	if (!pit->period)
		return 0;
	return pit->period - ktime_to_ns(hrtimer_get_remaining(&pit->timer));
}

static u64 elapsed_ticks(struct kvmini_pit *pit, int c)
{
	s64 ns = elapsed_ns(pit, c);

	return ns > 0 ? mul_u64_u32_div(ns, PIT_FREQ, NSEC_PER_SEC) : 0;
}

static u16 get_count(struct kvmini_pit *pit, int c)
{
	struct kvmini_pit_channel_state *s = &pit->ch[c];
	u64 d = elapsed_ticks(pit, c);

	switch (s->mode) {
	case 0: case 1: case 4: case 5:
		return (s->count - d) & 0xffff;
	case 3:
		return s->count - mod(2 * d, s->count);
	default:
		return s->count - mod(d, s->count);
	}
}

static int get_out(struct kvmini_pit *pit, int c)
{
	struct kvmini_pit_channel_state *s = &pit->ch[c];
	u64 d = elapsed_ticks(pit, c);

	switch (s->mode) {
	default:
	case 0:
		return d >= s->count;
	case 1:
		return d < s->count;
	case 2:
		return mod(d, s->count) == 0 && d != 0;
	case 3:
		return mod(d, s->count) < ((s->count + 1) >> 1);
	case 4: case 5:
		return d == s->count;
	}
}

static void stop_timer(struct kvmini_pit *pit)
{
	hrtimer_cancel(&pit->timer);
}

static void start_timer(struct kvmini_pit *pit, u32 count, bool periodic)
{
	s64 ns;

	/* As KVM: no ticks without the IOAPIC in the kernel, or in HPET legacy mode. */
	if (!pit->vm->ioapic || (pit->flags & KVMINI_PIT_FLAGS_HPET_LEGACY))
		return;
	ns = mul_u64_u32_div(count, NSEC_PER_SEC, PIT_FREQ);
	stop_timer(pit);
	pit->period = ns;
	pit->periodic = periodic;
	reset_reinject(pit);
	/* A guest may not program a storm of host timer interrupts. */
	if (periodic && pit->period < PIT_MIN_PERIOD)
		pit->period = PIT_MIN_PERIOD;
	hrtimer_start(&pit->timer, ktime_add_ns(ktime_get(), ns), HRTIMER_MODE_ABS_HARD);
}

static void load_count(struct kvmini_pit *pit, int c, u32 val)
{
	if (!val)
		val = 0x10000;	/* 0 counts 65536 */
	pit->ch[c].count = val;
	if (c) {
		pit->ch[c].count_load_time = ktime_get_ns();
		return;
	}
	switch (pit->ch[0].mode) {
	case 0: case 1: case 4:
		start_timer(pit, val, false);
		break;
	case 2: case 3:
		start_timer(pit, val, true);
		break;
	default:
		stop_timer(pit);
	}
}

static void latch_count(struct kvmini_pit *pit, int c)
{
	struct kvmini_pit_channel_state *s = &pit->ch[c];

	if (!s->count_latched) {
		s->latched_count = get_count(pit, c);
		s->count_latched = s->rw_mode;
	}
}

static void latch_status(struct kvmini_pit *pit, int c)
{
	struct kvmini_pit_channel_state *s = &pit->ch[c];

	if (!s->status_latched) {
		s->status = get_out(pit, c) << 7 | s->rw_mode << 4 | s->mode << 1 | s->bcd;
		s->status_latched = 1;
	}
}

static void write_control(struct kvmini_pit *pit, u8 val)
{
	struct kvmini_pit_channel_state *s;
	int c = val >> 6, access;

	if (c == 3) {			/* read-back */
		for (c = 0; c < 3; c++) {
			if (!(val & (2 << c)))
				continue;
			if (!(val & 0x20))
				latch_count(pit, c);
			if (!(val & 0x10))
				latch_status(pit, c);
		}
		return;
	}
	s = &pit->ch[c];
	access = (val >> 4) & 3;
	if (!access) {			/* counter latch */
		latch_count(pit, c);
		return;
	}
	s->rw_mode = access;
	s->read_state = access;
	s->write_state = access;
	s->mode = (val >> 1) & 7;
	if (s->mode > 5)
		s->mode -= 4;		/* 6, 7 are 2, 3 */
	s->bcd = val & 1;
}

static void write_counter(struct kvmini_pit *pit, int c, u8 val)
{
	struct kvmini_pit_channel_state *s = &pit->ch[c];

	switch (s->write_state) {
	default:
	case RW_LSB:
		load_count(pit, c, val);
		break;
	case RW_MSB:
		load_count(pit, c, val << 8);
		break;
	case RW_WORD0:
		s->write_latch = val;
		s->write_state = RW_WORD1;
		break;
	case RW_WORD1:
		load_count(pit, c, s->write_latch | val << 8);
		s->write_state = RW_WORD0;
		break;
	}
}

static u8 read_counter(struct kvmini_pit *pit, int c)
{
	struct kvmini_pit_channel_state *s = &pit->ch[c];
	u16 count;

	if (s->status_latched) {
		s->status_latched = 0;
		return s->status;
	}
	if (s->count_latched) {
		switch (s->count_latched) {
		default:
		case RW_LSB:
			s->count_latched = 0;
			return s->latched_count & 0xff;
		case RW_MSB:
			s->count_latched = 0;
			return s->latched_count >> 8;
		case RW_WORD0:
			s->count_latched = RW_MSB;
			return s->latched_count & 0xff;
		}
	}
	count = get_count(pit, c);
	switch (s->read_state) {
	default:
	case RW_LSB:
		return count & 0xff;
	case RW_MSB:
		return count >> 8;
	case RW_WORD0:
		s->read_state = RW_WORD1;
		return count & 0xff;
	case RW_WORD1:
		s->read_state = RW_WORD0;
		return count >> 8;
	}
}

/* Channels 1 and 2 restart counting on a rising gate (modes 1, 2, 3, 5). */
static void set_gate(struct kvmini_pit *pit, int c, u8 val)
{
	struct kvmini_pit_channel_state *s = &pit->ch[c];

	if (s->mode != 0 && s->mode != 4 && s->mode <= 5 && s->gate < val)
		s->count_load_time = ktime_get_ns();
	s->gate = val;
}

/* Port I/O to the PIT (or the speaker port): true if it is its (done). */
bool kvmini_pit_pio(struct kvmini_vcpu *vcpu, u16 port, unsigned int len, void *data,
		    bool in)
{
	struct kvmini_pit *pit = READ_ONCE(vcpu->vm->pit);
	u32 val = 0;

	if (!pit || !((port >= 0x40 && port <= 0x43) || (port == SPEAKER_PORT && pit->speaker)))
		return false;
	if (!in)
		memcpy(&val, data, min(len, 4U));
	mutex_lock(&pit->lock);
	if (port == SPEAKER_PORT) {
		if (in) {
			/* The refresh clock toggles every ~15 us: 2^14 ns here, as KVM. */
			val = !!(pit->flags & KVMINI_PIT_FLAGS_SPEAKER_DATA_ON) << 1 |
			      pit->ch[2].gate | get_out(pit, 2) << 5 |
			      ((ktime_get_ns() >> 14) & 1) << 4;
		} else {
			if (val & 2)
				pit->flags |= KVMINI_PIT_FLAGS_SPEAKER_DATA_ON;
			else
				pit->flags &= ~KVMINI_PIT_FLAGS_SPEAKER_DATA_ON;
			set_gate(pit, 2, val & 1);
		}
	} else if (!in) {
		if (port == 0x43)
			write_control(pit, val);
		else
			write_counter(pit, port - 0x40, val);
	} else if (port != 0x43) {	/* the control port reads nothing */
		val = read_counter(pit, port - 0x40);
	}
	mutex_unlock(&pit->lock);
	if (in) {
		memset(data, 0, len);
		memcpy(data, &val, min(len, 4U));
	}
	return true;
}

/* --- the VM's ioctls --- */

static void load_all(struct kvmini_pit *pit, bool hpet_start)
{
	u8 mode = pit->ch[0].mode;
	int c;

	for (c = 0; c < 3; c++) {
		/* Into HPET legacy mode: channel 0 is loaded but does not tick. */
		if (!c && hpet_start)
			pit->ch[0].mode = 0xff;
		load_count(pit, c, pit->ch[c].count);
	}
	pit->ch[0].mode = mode;
}

static void pit_reset(struct kvmini_pit *pit)
{
	int c;

	pit->flags = 0;
	for (c = 0; c < 3; c++) {
		pit->ch[c].mode = 0xff;		/* no mode yet: no timer */
		pit->ch[c].gate = c != 2;
		load_count(pit, c, 0);
	}
	reset_reinject(pit);
}

static int pit_create(struct kvmini_vm *vm, u32 flags)
{
	struct kvmini_pit *pit;

	if (vm->pit)
		return -EEXIST;
	pit = kzalloc(sizeof(*pit), GFP_KERNEL_ACCOUNT);
	if (!pit)
		return -ENOMEM;
	mutex_init(&pit->lock);
	pit->vm = vm;
	pit->speaker = flags & KVMINI_PIT_SPEAKER_DUMMY;
	hrtimer_init(&pit->timer, CLOCK_MONOTONIC, HRTIMER_MODE_ABS_HARD);
	pit->timer.function = pit_timer_fn;
	pit_reset(pit);
	atomic_set(&pit->reinject, 0);
	set_reinject(pit, true);
	WRITE_ONCE(vm->pit, pit);
	return 0;
}

long kvmini_pit_ioctl(struct kvmini_vm *vm, unsigned int cmd, void __user *argp)
{
	struct kvmini_pit_config cfg = { .flags = KVMINI_PIT_SPEAKER_DUMMY };
	struct kvmini_reinject_control rc;
	struct kvmini_pit_state2 ps;
	struct kvmini_pit *pit;
	long r;

	switch (cmd) {
	case KVMINI_CREATE_PIT2:
		if (copy_from_user(&cfg, argp, sizeof(cfg)))
			return -EFAULT;
		fallthrough;
	case KVMINI_CREATE_PIT:		/* the old one: always the speaker */
		mutex_lock(&vm->lock);
		r = pit_create(vm, cfg.flags);
		mutex_unlock(&vm->lock);
		return r;
	}

	memset(&ps, 0, sizeof(ps));
	if (cmd == KVMINI_SET_PIT2 && copy_from_user(&ps, argp, sizeof(ps)))
		return -EFAULT;
	if ((cmd == KVMINI_SET_PIT || cmd == KVMINI_GET_PIT) &&
	    copy_from_user(&ps, argp, sizeof(struct kvmini_pit_state)))
		return -EFAULT;
	if (cmd == KVMINI_REINJECT_CONTROL && copy_from_user(&rc, argp, sizeof(rc)))
		return -EFAULT;
	pit = READ_ONCE(vm->pit);
	if (!pit)
		return -ENXIO;

	mutex_lock(&pit->lock);
	switch (cmd) {
	case KVMINI_GET_PIT:
	case KVMINI_GET_PIT2:
		memcpy(ps.channels, pit->ch, sizeof(ps.channels));
		ps.flags = pit->flags;
		break;
	case KVMINI_SET_PIT:
		memcpy(pit->ch, ps.channels, sizeof(pit->ch));
		load_all(pit, false);
		break;
	case KVMINI_SET_PIT2: {
		bool hpet_start = !(pit->flags & KVMINI_PIT_FLAGS_HPET_LEGACY) &&
				  (ps.flags & KVMINI_PIT_FLAGS_HPET_LEGACY);

		memcpy(pit->ch, ps.channels, sizeof(pit->ch));
		pit->flags = ps.flags;
		load_all(pit, hpet_start);
		break;
	}
	case KVMINI_REINJECT_CONTROL:
		set_reinject(pit, rc.pit_reinject);
		break;
	}
	mutex_unlock(&pit->lock);

	if (cmd == KVMINI_GET_PIT2 && copy_to_user(argp, &ps, sizeof(ps)))
		return -EFAULT;
	if (cmd == KVMINI_GET_PIT &&
	    copy_to_user(argp, &ps, sizeof(struct kvmini_pit_state)))
		return -EFAULT;
	return 0;
}

void kvmini_pit_destroy(struct kvmini_vm *vm)
{
	struct kvmini_pit *pit = vm->pit;

	if (!pit)
		return;
	hrtimer_cancel(&pit->timer);
	kfree(pit);
	vm->pit = NULL;
}
