// SPDX-License-Identifier: GPL-2.0
/*
 * The IOAPIC of KVMINI_CREATE_IRQCHIP: 24 pins, version 0x11, at
 * 0xfec00000 (IOREGSEL at +0, IOWIN at +0x10), with KVM's rules.
 *
 * A raised pin sets its IRR bit; an unmasked one is delivered to the local
 * APICs its redirection entry names (lapic.c). A level-triggered one then
 * sets remote IRR until a local APIC's EOI of its vector, which delivers
 * it again if the line is still high; an edge-triggered one is delivered
 * on a rising edge only (its IRR bit follows the line: a second raise
 * while high is coalesced). Local APICs pass on the EOIs of the vectors
 * kvmini_ioapic_scan() gave them: level pins', and those of pins whose
 * acknowledgements someone listens to (the PIT, resample irqfds).
 *
 * One spinlock, interrupts off; dropped while an acknowledgement is
 * passed on (irq.c), as the listener may set lines again.
 */
#include <linux/nospec.h>
#include <linux/slab.h>

#include "kvmini.h"

#define IOAPIC_BASE		0xfec00000ULL
#define IOAPIC_MEM_LEN		0x100
#define IOAPIC_VERSION		0x11
#define IOAPIC_PINS		KVMINI_IOAPIC_NUM_PINS

/* Redirection entry bits. */
#define RTE_VECTOR		0xffULL
#define RTE_DELIVERY_STATUS	BIT_ULL(12)
#define RTE_REMOTE_IRR		BIT_ULL(14)
#define RTE_LEVEL		BIT_ULL(15)
#define RTE_MASKED		BIT_ULL(16)
#define RTE_DEST_SHIFT		56

#define EOI_STORM		10000	/* EOIs in a row that redeliver: slow down */

struct kvmini_ioapic {
	spinlock_t lock;
	struct kvmini_vm *vm;
	u64 base;
	u32 ioregsel, id, irr;
	u32 irr_delivered;		/* edge pins delivered since raised */
	u64 rte[IOAPIC_PINS];
	unsigned long line[IOAPIC_PINS];	/* per pin: KVMINI_SRC_* holding it high */
	u32 eoi_count[IOAPIC_PINS];	/* redeliveries at EOI in a row */
	struct delayed_work storm;	/* redelivery after a storm's pause */
};

static u8 rte_vector(u64 e)
{
	return e & RTE_VECTOR;
}

/* Deliver pin @pin now if it may: the vCPUs reached, -1 if it may not. */
static int service(struct kvmini_ioapic *io, int pin)
{
	u64 e = io->rte[pin];
	int r;

	if ((e & RTE_MASKED) || ((e & RTE_LEVEL) && (e & RTE_REMOTE_IRR)))
		return -1;
	if (!(e & RTE_LEVEL))
		io->irr_delivered |= BIT(pin);
	r = kvmini_apic_deliver_ioapic(io->vm, e);
	if (r && (e & RTE_LEVEL))
		io->rte[pin] |= RTE_REMOTE_IRR;
	return r;
}

/* The pin's line is now @level: 1, or the vCPUs reached; 0 coalesced; -1. */
static int set_line(struct kvmini_ioapic *io, int pin, bool level)
{
	u32 m = BIT(pin), old = io->irr;

	if (!level) {
		io->irr &= ~m;
		return 1;
	}
	io->irr |= m;
	if (!(io->rte[pin] & RTE_LEVEL)) {
		io->irr_delivered &= ~m;
		if (old & m)
			return 0;	/* still high: no edge */
	}
	return service(io, pin);
}

int kvmini_ioapic_set_irq(struct kvmini_ioapic *io, unsigned int pin, int src, int level)
{
	unsigned long flags;
	int r;

	spin_lock_irqsave(&io->lock, flags);
	if (level)
		__set_bit(src, &io->line[pin]);
	else
		__clear_bit(src, &io->line[pin]);
	r = set_line(io, pin, io->line[pin] != 0);
	spin_unlock_irqrestore(&io->lock, flags);
	return r;
}

/* A guest's storm of level interrupts it does not silence: a pause. */
static void storm_work(struct work_struct *work)
{
	struct kvmini_ioapic *io = container_of(work, struct kvmini_ioapic, storm.work);
	unsigned long flags;
	int pin;

	spin_lock_irqsave(&io->lock, flags);
	for (pin = 0; pin < IOAPIC_PINS; pin++)
		if ((io->rte[pin] & RTE_LEVEL) && (io->irr & BIT(pin)) &&
		    !(io->rte[pin] & RTE_REMOTE_IRR))
			service(io, pin);
	spin_unlock_irqrestore(&io->lock, flags);
}

/*
 * A local APIC's EOI of @vector: every pin with that vector is
 * acknowledged; a level pin's remote IRR clears (not with directed EOI)
 * and it is delivered again while its line stays high.
 */
void kvmini_ioapic_eoi(struct kvmini_vcpu *vcpu, int vector, bool level)
{
	struct kvmini_ioapic *io = vcpu->vm->ioapic;
	unsigned long flags;
	int pin;

	spin_lock_irqsave(&io->lock, flags);
	for (pin = 0; pin < IOAPIC_PINS; pin++) {
		if (rte_vector(io->rte[pin]) != vector)
			continue;
		/* The listener first (it may lower the line): without our lock. */
		spin_unlock_irqrestore(&io->lock, flags);
		kvmini_irq_acked(vcpu->vm, KVMINI_IRQCHIP_IOAPIC, pin);
		spin_lock_irqsave(&io->lock, flags);
		if (!level || kvmini_lapic_directed_eoi(vcpu))
			continue;
		io->rte[pin] &= ~RTE_REMOTE_IRR;
		if ((io->rte[pin] & RTE_MASKED) || !(io->irr & BIT(pin))) {
			io->eoi_count[pin] = 0;
			continue;
		}
		if (++io->eoi_count[pin] == EOI_STORM) {
			/* As KVM (and the hardware): not at once, forever. */
			io->eoi_count[pin] = 0;
			schedule_delayed_work(&io->storm, HZ / 100);
		} else {
			service(io, pin);
		}
	}
	spin_unlock_irqrestore(&io->lock, flags);
}

/*
 * The vectors whose EOIs this vCPU passes on: those of level pins and of
 * pins with a listener that address it, or that it has pending.
 */
void kvmini_ioapic_scan(struct kvmini_vcpu *vcpu, unsigned long *vectors)
{
	struct kvmini_ioapic *io = vcpu->vm->ioapic;
	u64 rte[IOAPIC_PINS], e;
	unsigned long flags;
	int pin;

	spin_lock_irqsave(&io->lock, flags);
	memcpy(rte, io->rte, sizeof(rte));
	spin_unlock_irqrestore(&io->lock, flags);
	for (pin = 0; pin < IOAPIC_PINS; pin++) {
		e = rte[pin];
		if (!(e & RTE_LEVEL) &&
		    !kvmini_irq_has_ack_listener(vcpu->vm, KVMINI_IRQCHIP_IOAPIC, pin))
			continue;
		if (kvmini_apic_ioapic_matches(vcpu, e) ||
		    kvmini_lapic_pending_eoi(vcpu, rte_vector(e)))
			__set_bit(rte_vector(e), vectors);
	}
}

static u32 read_reg(struct kvmini_ioapic *io)
{
	unsigned int pin;

	switch (io->ioregsel) {
	case 0x00:			/* ID */
	case 0x02:			/* arbitration ID */
		return (io->id & 0xf) << 24;
	case 0x01:			/* version, the highest pin */
		return IOAPIC_VERSION | (IOAPIC_PINS - 1) << 16;
	}
	pin = (io->ioregsel - 0x10) >> 1;
	if (io->ioregsel < 0x10 || pin >= IOAPIC_PINS)
		return ~0U;		/* as KVM: a reserved register */
	pin = array_index_nospec(pin, IOAPIC_PINS);
	return io->ioregsel & 1 ? io->rte[pin] >> 32 : (u32)io->rte[pin];
}

static void write_rte(struct kvmini_ioapic *io, unsigned int pin, u32 val)
{
	u64 old = io->rte[pin], e;

	if (io->ioregsel & 1)
		e = (old & 0xffffffffULL) | (u64)val << 32;
	else
		e = (old & ~0xffffffffULL) | val;
	/* Remote IRR and delivery status are read-only. */
	e = (e & ~(RTE_REMOTE_IRR | RTE_DELIVERY_STATUS)) |
	    (old & (RTE_REMOTE_IRR | RTE_DELIVERY_STATUS));
	/* As KVM: an entry made edge-triggered has no remote IRR (Linux counts on it). */
	if (!(e & RTE_LEVEL))
		e &= ~RTE_REMOTE_IRR;
	io->rte[pin] = e;
	if ((old ^ e) & RTE_MASKED)
		kvmini_irq_mask_changed(io->vm, KVMINI_IRQCHIP_IOAPIC, pin, e & RTE_MASKED);
	if ((e & RTE_LEVEL) && (io->irr & BIT(pin)))
		service(io, pin);
}

/* A write to IOWIN: true if a redirection entry changed. */
static bool write_reg(struct kvmini_ioapic *io, u32 val)
{
	unsigned int pin;

	switch (io->ioregsel) {
	case 0x00:
		io->id = (val >> 24) & 0xf;
		return false;
	case 0x01: case 0x02:		/* read-only */
		return false;
	}
	pin = (io->ioregsel - 0x10) >> 1;
	if (io->ioregsel < 0x10 || pin >= IOAPIC_PINS)
		return false;
	write_rte(io, array_index_nospec(pin, IOAPIC_PINS), val);
	return true;
}

/* A guest access to the IOAPIC's page: true if it is the IOAPIC's (done). */
bool kvmini_ioapic_mmio(struct kvmini_vcpu *vcpu, u64 gpa, unsigned int len, void *data,
			bool write)
{
	struct kvmini_ioapic *io = vcpu->vm->ioapic;
	bool rescan = false;
	unsigned long flags;
	u32 val = 0;

	/* Where KVM's is: its default address, as long as the base is there. */
	if (!io || gpa < IOAPIC_BASE || gpa >= IOAPIC_BASE + IOAPIC_MEM_LEN ||
	    gpa < READ_ONCE(io->base) || gpa >= READ_ONCE(io->base) + IOAPIC_MEM_LEN)
		return false;
	if (write)
		memcpy(&val, data, min(len, 4U));
	spin_lock_irqsave(&io->lock, flags);
	switch (gpa & 0xff) {
	case 0x00:
		if (write)
			io->ioregsel = val & 0xff;
		else
			val = io->ioregsel;
		break;
	case 0x10:
		if (write)
			rescan = write_reg(io, val);
		else
			val = read_reg(io);
		break;
	}
	spin_unlock_irqrestore(&io->lock, flags);
	/* Which EOIs the vCPUs pass on may have changed (not under the lock: it waits). */
	if (rescan)
		kvmini_request_all(io->vm, KVMINI_REQ_SCAN_IOAPIC);
	if (!write) {
		memset(data, 0, len);
		memcpy(data, &val, min(len, 4U));
	}
	return true;
}

void kvmini_ioapic_get(struct kvmini_ioapic *io, struct kvmini_ioapic_state *st)
{
	unsigned long flags;
	int i;

	memset(st, 0, sizeof(*st));
	spin_lock_irqsave(&io->lock, flags);
	st->base_address = io->base;
	st->ioregsel = io->ioregsel;
	st->id = io->id;
	st->irr = io->irr & ~io->irr_delivered;
	for (i = 0; i < IOAPIC_PINS; i++)
		st->redirtbl[i].bits = io->rte[i];
	spin_unlock_irqrestore(&io->lock, flags);
}

/* As KVM: the pins whose IRR bit is set are raised again, as by their lines. */
void kvmini_ioapic_set(struct kvmini_ioapic *io, const struct kvmini_ioapic_state *st)
{
	unsigned long flags, irr = st->irr;
	int i;

	spin_lock_irqsave(&io->lock, flags);
	io->base = st->base_address;
	io->ioregsel = st->ioregsel;
	io->id = st->id;
	for (i = 0; i < IOAPIC_PINS; i++)
		io->rte[i] = st->redirtbl[i].bits;
	io->irr = 0;
	io->irr_delivered = 0;
	for_each_set_bit(i, &irr, IOAPIC_PINS)
		set_line(io, i, true);
	spin_unlock_irqrestore(&io->lock, flags);
	kvmini_request_all(io->vm, KVMINI_REQ_SCAN_IOAPIC);
}

int kvmini_ioapic_create(struct kvmini_vm *vm)
{
	struct kvmini_ioapic *io = kzalloc(sizeof(*io), GFP_KERNEL_ACCOUNT);
	int i;

	if (!io)
		return -ENOMEM;
	spin_lock_init(&io->lock);
	INIT_DELAYED_WORK(&io->storm, storm_work);
	io->vm = vm;
	io->base = IOAPIC_BASE;
	for (i = 0; i < IOAPIC_PINS; i++)
		io->rte[i] = RTE_MASKED;
	vm->ioapic = io;
	return 0;
}

void kvmini_ioapic_destroy(struct kvmini_vm *vm)
{
	if (!vm->ioapic)
		return;
	cancel_delayed_work_sync(&vm->ioapic->storm);
	kfree(vm->ioapic);
	vm->ioapic = NULL;
}
