// SPDX-License-Identifier: GPL-2.0
/*
 * The two cascaded 8259A PICs of KVMINI_CREATE_IRQCHIP (ports 0x20-0x21,
 * 0xa0-0xa1, the ELCR at 0x4d0-0x4d1), with KVM's behaviour: byte access
 * only (others are dropped, reads give 0), no single or level-sensitive
 * ICW1 mode, edge or level per pin by the ELCR, the slave on the master's
 * pin 2. The master's output goes to the LINT0 of the vCPUs whose LVT0
 * takes ExtINT (lapic.c); the vCPU acknowledges (INTA: kvmini_pic_read_irq())
 * when it injects.
 *
 * One spinlock, interrupts off, for both chips: lines are set from any
 * context (irqfd wake-ups, the PIT's timer). EOIs are passed on (irq.c)
 * once it is dropped; a vCPU is kicked when the output rises.
 */
#include <linux/slab.h>

#include "kvmini.h"

struct kvmini_pic {
	spinlock_t lock;
	struct kvmini_vm *vm;
	struct kvmini_pic_state chip[2];	/* master, slave: GET/SET_IRQCHIP's view */
	unsigned long line[16];		/* per pin: KVMINI_SRC_* holding it high */
	bool output;			/* the master's INTR */
	bool wakeup;			/* it rose: kick a vCPU after unlocking */
	u16 acked;			/* pins whose EOI to pass on after unlocking */
};

/* The first vCPU whose LVT0 takes the PIC's ExtINT, or NULL. Any context. */
static struct kvmini_vcpu *extint_vcpu(struct kvmini_vm *vm)
{
	int i, n = atomic_read(&vm->online_vcpus);
	struct kvmini_vcpu *v;

	smp_rmb();	/* vcpus[i] published before online_vcpus */
	for (i = 0; i < n; i++) {
		v = READ_ONCE(vm->vcpus[i]);
		if (v && kvmini_lapic_accepts_pic(v))
			return v;
	}
	return NULL;
}

static void pic_lock(struct kvmini_pic *p, unsigned long *flags)
{
	spin_lock_irqsave(&p->lock, *flags);
}

/* Drop the lock, then pass the EOIs on and wake a vCPU that takes ExtINT. */
static void pic_unlock(struct kvmini_pic *p, unsigned long flags)
{
	struct kvmini_vm *vm = p->vm;
	bool wakeup = p->wakeup;
	u16 acked = p->acked;
	struct kvmini_vcpu *v;
	int i;

	p->wakeup = false;
	p->acked = 0;
	spin_unlock_irqrestore(&p->lock, flags);
	for (i = 0; acked; i++, acked >>= 1)
		if (acked & 1)
			kvmini_irq_acked(vm, i < 8 ? KVMINI_IRQCHIP_PIC_MASTER :
					 KVMINI_IRQCHIP_PIC_SLAVE, i & 7);
	v = wakeup ? extint_vcpu(vm) : NULL;
	if (v) {
		set_bit(KVMINI_REQ_EVENT, &v->requests);
		kvmini_vcpu_kick(v);
	}
}

static int chip_index(struct kvmini_pic *p, struct kvmini_pic_state *c)
{
	return c - p->chip;
}

static void clear_isr(struct kvmini_pic *p, struct kvmini_pic_state *c, int irq)
{
	c->isr &= ~BIT(irq);
	p->acked |= BIT(irq + 8 * chip_index(p, c));
}

/* A line's new level on one chip: 1 latched, 0 coalesced, -1 masked. */
static int set_line(struct kvmini_pic_state *c, int irq, bool level)
{
	u8 m = BIT(irq);
	int r = 1;

	if (c->elcr & m) {			/* level-triggered */
		if (level) {
			r = !(c->irr & m);
			c->irr |= m;
			c->last_irr |= m;
		} else {
			c->irr &= ~m;
			c->last_irr &= ~m;
		}
	} else if (level) {			/* edge: a rising one latches */
		if (!(c->last_irr & m)) {
			r = !(c->irr & m);
			c->irr |= m;
		}
		c->last_irr |= m;
	} else {
		c->last_irr &= ~m;
	}
	return (c->imr & m) ? -1 : r;
}

/* The priority (0 highest .. 7) of the best pin in @mask; 8 if none. */
static int priority(struct kvmini_pic_state *c, u8 mask)
{
	int pr;

	if (!mask)
		return 8;
	for (pr = 0; !(mask & BIT((pr + c->priority_add) & 7)); pr++)
		;
	return pr;
}

/* The pin this chip would raise now, or -1. */
static int best_irq(struct kvmini_pic *p, struct kvmini_pic_state *c)
{
	int pr = priority(c, c->irr & ~c->imr);
	u8 in_service = c->isr;

	if (pr == 8)
		return -1;
	/* Special fully nested: the slave's pin does not block itself. */
	if (c->special_fully_nested_mode && c == &p->chip[0])
		in_service &= ~BIT(2);
	return pr < priority(c, in_service) ? (pr + c->priority_add) & 7 : -1;
}

/* After any change: the slave's request into the master's pin 2, INTR. */
static void update(struct kvmini_pic *p)
{
	bool out;

	if (best_irq(p, &p->chip[1]) >= 0) {	/* a pulse on the cascade */
		set_line(&p->chip[0], 2, true);
		set_line(&p->chip[0], 2, false);
	}
	out = best_irq(p, &p->chip[0]) >= 0;
	if (out && !p->output)
		p->wakeup = true;
	p->output = out;
}

int kvmini_pic_set_irq(struct kvmini_pic *p, unsigned int pin, int src, int level)
{
	unsigned long flags;
	bool high;
	int r;

	pic_lock(p, &flags);
	if (level)
		__set_bit(src, &p->line[pin]);
	else
		__clear_bit(src, &p->line[pin]);
	high = p->line[pin] != 0;
	r = set_line(&p->chip[pin >> 3], pin & 7, high);
	update(p);
	pic_unlock(p, flags);
	return r;
}

bool kvmini_pic_output(struct kvmini_vm *vm)
{
	return vm->pic && READ_ONCE(vm->pic->output);
}

/* INTA on one chip: in service, an edge request consumed. */
static void intack(struct kvmini_pic *p, struct kvmini_pic_state *c, int irq)
{
	c->isr |= BIT(irq);
	if (!(c->elcr & BIT(irq)))
		c->irr &= ~BIT(irq);
	if (c->auto_eoi) {
		if (c->rotate_on_auto_eoi)
			c->priority_add = (irq + 1) & 7;
		clear_isr(p, c, irq);
	}
}

/* The CPU's interrupt acknowledge: the vector (spurious: pin 7's). */
int kvmini_pic_read_irq(struct kvmini_vm *vm)
{
	struct kvmini_pic *p = vm->pic;
	unsigned long flags;
	int irq, irq2, vec;

	pic_lock(p, &flags);
	p->output = false;
	irq = best_irq(p, &p->chip[0]);
	if (irq < 0) {
		vec = p->chip[0].irq_base + 7;
	} else {
		intack(p, &p->chip[0], irq);
		if (irq == 2) {
			irq2 = best_irq(p, &p->chip[1]);
			if (irq2 >= 0)
				intack(p, &p->chip[1], irq2);
			else
				irq2 = 7;
			vec = p->chip[1].irq_base + irq2;
		} else {
			vec = p->chip[0].irq_base + irq;
		}
	}
	update(p);
	pic_unlock(p, flags);
	return vec;
}

/* ICW1: the chip starts over (edge requests pending are dropped). */
static void icw1(struct kvmini_pic *p, struct kvmini_pic_state *c, u8 val)
{
	u8 edge_irr = c->irr & ~c->elcr;
	int irq;

	c->init4 = val & 1;
	c->last_irr = 0;
	c->irr &= c->elcr;
	c->imr = 0;
	c->priority_add = 0;
	c->special_mask = 0;
	c->read_reg_select = 0;
	if (!c->init4) {
		c->special_fully_nested_mode = 0;
		c->auto_eoi = 0;
	}
	c->init_state = 1;
	/* As KVM: where a vCPU takes ExtINT, those edges count as acknowledged. */
	if (!extint_vcpu(p->vm))
		return;
	for (irq = 0; irq < 8; irq++)
		if (edge_irr & BIT(irq))
			clear_isr(p, c, irq);
}

static void ocw2(struct kvmini_pic *p, struct kvmini_pic_state *c, u8 val)
{
	int pr, irq;

	switch (val >> 5) {
	case 0:			/* rotate in auto-EOI mode: clear */
	case 4:			/* ... set */
		c->rotate_on_auto_eoi = val >> 7;
		return;
	case 1:			/* non-specific EOI */
	case 5:			/* ... and rotate */
		pr = priority(c, c->isr);
		if (pr == 8)
			return;
		irq = (pr + c->priority_add) & 7;
		if (val >> 5 == 5)
			c->priority_add = (irq + 1) & 7;
		clear_isr(p, c, irq);
		break;
	case 3:			/* specific EOI */
		clear_isr(p, c, val & 7);
		break;
	case 6:			/* set priority */
		c->priority_add = (val + 1) & 7;
		break;
	case 7:			/* specific EOI and rotate */
		irq = val & 7;
		c->priority_add = (irq + 1) & 7;
		clear_isr(p, c, irq);
		break;
	default:		/* 2: no operation */
		return;
	}
	update(p);
}

static void write_data(struct kvmini_pic *p, struct kvmini_pic_state *c, u8 val)
{
	u8 changed;
	int i;

	switch (c->init_state) {
	case 0:			/* OCW1: the mask */
		changed = c->imr ^ val;
		c->imr = val;
		for (i = 0; i < 8; i++)
			if (changed & BIT(i))
				kvmini_irq_mask_changed(p->vm, chip_index(p, c), i, val & BIT(i));
		update(p);
		break;
	case 1:			/* ICW2: the vector base */
		c->irq_base = val & 0xf8;
		c->init_state = 2;
		break;
	case 2:			/* ICW3: the cascade (always the slave on pin 2) */
		c->init_state = c->init4 ? 3 : 0;
		break;
	case 3:			/* ICW4 */
		c->special_fully_nested_mode = (val >> 4) & 1;
		c->auto_eoi = (val >> 1) & 1;
		c->init_state = 0;
		break;
	}
}

static void write_cmd(struct kvmini_pic *p, struct kvmini_pic_state *c, u8 val)
{
	if (val & 0x10) {		/* ICW1 */
		icw1(p, c, val);
	} else if (val & 0x08) {	/* OCW3 */
		if (val & 0x04)
			c->poll = 1;
		if (val & 0x02)
			c->read_reg_select = val & 1;
		if (val & 0x40)
			c->special_mask = (val >> 5) & 1;
	} else {			/* OCW2 */
		ocw2(p, c, val);
	}
}

/* A poll read: the best pin, acknowledged and out of service at once. */
static u8 poll_read(struct kvmini_pic *p, struct kvmini_pic_state *c)
{
	int irq = best_irq(p, c);

	if (irq < 0) {
		update(p);
		return 7;
	}
	if (c == &p->chip[1]) {
		p->chip[0].isr &= ~BIT(2);
		p->chip[0].irr &= ~BIT(2);
	}
	c->irr &= ~BIT(irq);
	clear_isr(p, c, irq);
	if (c == &p->chip[1] || irq != 2)
		update(p);
	return irq;
}

static u8 read_port(struct kvmini_pic *p, struct kvmini_pic_state *c, bool data)
{
	if (c->poll) {
		c->poll = 0;
		return poll_read(p, c);
	}
	if (data)
		return c->imr;
	return c->read_reg_select ? c->isr : c->irr;
}

/* Port I/O to the PICs or the ELCR: true if it is theirs (done). */
bool kvmini_pic_pio(struct kvmini_vcpu *vcpu, u16 port, unsigned int len, void *data,
		    bool in)
{
	struct kvmini_pic *p = vcpu->vm->pic;
	struct kvmini_pic_state *c;
	unsigned long flags;
	u8 *b = data;

	if (!p)
		return false;
	switch (port) {
	case 0x20: case 0x21: case 0xa0: case 0xa1:
		c = &p->chip[port >> 7];
		break;
	case 0x4d0: case 0x4d1:
		c = &p->chip[port & 1];
		break;
	default:
		return false;
	}
	if (len != 1) {			/* as KVM: dropped, reads give 0 */
		if (in)
			memset(data, 0, len);
		return true;
	}
	pic_lock(p, &flags);
	if (port >= 0x4d0) {
		if (in)
			*b = c->elcr;
		else
			c->elcr = *b & c->elcr_mask;
	} else if (in) {
		*b = read_port(p, c, port & 1);
	} else if (port & 1) {
		write_data(p, c, *b);
	} else {
		write_cmd(p, c, *b);
	}
	pic_unlock(p, flags);
	return true;
}

void kvmini_pic_get(struct kvmini_pic *p, int chip, struct kvmini_pic_state *st)
{
	unsigned long flags;

	pic_lock(p, &flags);
	*st = p->chip[chip];
	pic_unlock(p, flags);
}

/* As KVM: taken as it comes, then the output follows it. */
void kvmini_pic_set(struct kvmini_pic *p, int chip, const struct kvmini_pic_state *st)
{
	unsigned long flags;

	pic_lock(p, &flags);
	p->chip[chip] = *st;
	update(p);
	pic_unlock(p, flags);
}

int kvmini_pic_create(struct kvmini_vm *vm)
{
	struct kvmini_pic *p = kzalloc(sizeof(*p), GFP_KERNEL_ACCOUNT);

	if (!p)
		return -ENOMEM;
	spin_lock_init(&p->lock);
	p->vm = vm;
	/* Pins 0, 1, 2 of the master and 8, 13 (slave 0, 5) are always edge. */
	p->chip[0].elcr_mask = 0xf8;
	p->chip[1].elcr_mask = 0xde;
	vm->pic = p;
	return 0;
}

void kvmini_pic_destroy(struct kvmini_vm *vm)
{
	kfree(vm->pic);
	vm->pic = NULL;
}
