// SPDX-License-Identifier: GPL-2.0
/*
 * The in-kernel 8254 PIT (KVMINI_CREATE_PIT2 with KVMINI_PIT_SPEAKER_DUMMY)
 * beside the in-kernel irqchip, as KVM has it.  Channel 0 ticks on GSI 0,
 * which KVM's default routes take to PIC pin 0 and IOAPIC pin 0 (not pin
 * 2, as QEMU's own routes and the ACPI override have it).  Modes 2 (rate
 * generator) and 3 (square wave) tick once a count (1193182 Hz): the guest
 * counts ticks between RDTSC stamps, and the rate must be within a factor
 * of 2 of the programmed one (these hosts are emulators; ticks that never
 * come or come 10x off fail).  Mode 0 ticks once.  A latch command
 * (0x43, access 0) freezes the count for two reads (LSB, MSB), and it
 * goes down; the read-back command latches the status: OUT in bit 7 (as
 * KVM computes it), bit 6 (null count) always 0, access, mode, BCD.
 * Port 0x61: bit 0 the gate of channel 2, bit 1 the speaker data
 * (KVMINI_PIT_FLAGS_SPEAKER_DATA_ON in the state), bit 5 channel 2's OUT.
 * The PIT's state ioctls and errnos: pit_state_test.
 */
#include "kvmini_util.h"
#include "kvmini_vm.h"
#include "kvmini_apic.h"
#include "kvmini_irqchip.h"
#include "kselftest_harness.h"

#define COUNT_10MS	11932		/* 10 ms at 1193182 Hz */
#define IOAPIC_VEC	0x60

/* Guest state: ticks and the TSC at each; set by the host: TSC per ms. */
uint64_t ticks, tick_tsc[256], tsc_per_ms;

GUEST_IRQ_FN void pic_tick(uint64_t vec, uint64_t rip)
{
	tick_tsc[++ticks & 255] = rdtsc();
	outb(PIC_MASTER_CMD, PIC_OCW2_EOI);	/* the ack KVM's reinjection waits for */
}
GUEST_IRQ_HANDLER(pic_stub, 0x20, pic_tick);

GUEST_IRQ_FN void ioapic_tick(uint64_t vec, uint64_t rip)
{
	tick_tsc[++ticks & 255] = rdtsc();
	xapic_eoi();
}
GUEST_IRQ_HANDLER(ioapic_stub, 0x60, ioapic_tick);

/* IRQ 0 by the PIC (LVT0 ExtINT, the reset value), or by IOAPIC pin 0. */
static void route_irq0(bool ioapic)
{
	if (!ioapic) {
		pic_init(0xfe, 0xff);
		return;
	}
	pic_init(0xff, 0xff);
	xapic_enable(0xff);
	xapic_write(APIC_LVT0, APIC_LVT_DM_EXTINT | APIC_LVT_MASKED);
	ioapic_route(0, IOAPIC_VEC, 0);
}

/* @n ticks after the first: how many came and the TSC between the first and the n-th. */
static void guest_rate(uint64_t mode, uint64_t count, uint64_t n, uint64_t ioapic)
{
	uint64_t period_ms = count * 1000 / PIT_HZ + 1, first;

	route_irq0(ioapic);
	pit_program(0, mode, count);
	wait_ticks(&ticks, 1, 2000, tsc_per_ms);
	first = ticks;
	GUEST_ASSERT(first >= 1);
	wait_ticks(&ticks, first + n, 10 * n * period_ms + 1000, tsc_per_ms);
	GUEST_SYNC4(ticks - first, tick_tsc[(first + n) & 255] - tick_tsc[first & 255],
		    pit_status(0), 0);
}

static struct kvmini_vm *pit_vm(void *fn, struct kvmini_vcpu **vcpu, long *r)
{
	struct kvmini_vm *vm = vm_create_guest_irqchip(fn, vcpu);

	if (!vm)
		return NULL;
	vcpu_set_cpuid_supported(*vcpu);
	apic_set_irq_gate(vm, 0x20, pic_stub);
	apic_set_irq_gate(vm, IOAPIC_VEC, ioapic_stub);
	GUEST_VAR(vm, tsc_per_ms) = vcpu_ioctl(*vcpu, KVMINI_GET_TSC_KHZ, 0);
	*r = create_pit2(vm, KVMINI_PIT_SPEAKER_DUMMY);
	return vm;
}

static void check_rate(struct __test_metadata *_metadata, uint64_t mode, uint64_t count,
		       uint64_t n, bool ioapic, uint8_t status)
{
	struct kvmini_vcpu *vcpu;
	long r;
	struct kvmini_vm *vm = pit_vm(guest_rate, &vcpu, &r);
	uint64_t *v, tpm, want_us, got_us;

	REQUIRE_IRQCHIP(vm);
	REQUIRE_PIT(vm, r);
	vcpu_set_args(vcpu, 4, mode, count, n, (uint64_t)ioapic);
	tpm = GUEST_VAR(vm, tsc_per_ms);
	v = irq_next_sync(vcpu);
	want_us = n * count * 1000000 / PIT_HZ;
	got_us = v[1] * 1000 / tpm;
	TH_LOG("mode %lu, %lu ticks of %lu us: %lu us", (unsigned long)mode, (unsigned long)n,
	       (unsigned long)(count * 1000000 / PIT_HZ), (unsigned long)got_us);
	ASSERT_GE(v[0], n) TH_LOG("only %lu ticks", (unsigned long)v[0]);
	EXPECT_GE(got_us * 2, want_us);
	EXPECT_LE(got_us, want_us * 2);
	EXPECT_EQ(status, v[2] & 0x7f);
	vm_free(vm);
}

TEST(mode2_rate_pic)
{
	check_rate(_metadata, 2, COUNT_10MS, 40, false, 0x34);
}

TEST(mode3_rate_pic)
{
	check_rate(_metadata, 3, 2 * COUNT_10MS, 20, false, 0x36);
}

/* GSI 0 reaches IOAPIC pin 0; the LAPIC EOI acks it for the reinjection. */
TEST(mode2_rate_ioapic_pin0)
{
	check_rate(_metadata, 2, COUNT_10MS, 20, true, 0x34);
}

static void guest_oneshot(void)
{
	uint64_t s0, c1, c2, t0;

	route_irq0(false);
	pit_program(0, 0, 5 * COUNT_10MS);		/* 50 ms */
	s0 = pit_status(0);
	c1 = pit_latched(0);
	for (t0 = rdtsc(); rdtsc() - t0 < 5 * tsc_per_ms;)
		;
	c2 = pit_latched(0);
	GUEST_SYNC4(s0, c1, c2, ticks);
	wait_ticks(&ticks, 1, 2000, tsc_per_ms);
	wait_ticks(&ticks, 2, 100, tsc_per_ms);	/* no second one */
	GUEST_SYNC4(ticks, pit_status(0), 0, 0);
}

TEST(mode0_oneshot_latch_status)
{
	struct kvmini_vcpu *vcpu;
	long r;
	struct kvmini_vm *vm = pit_vm(guest_oneshot, &vcpu, &r);
	uint64_t *v;

	REQUIRE_IRQCHIP(vm);
	REQUIRE_PIT(vm, r);
	v = irq_next_sync(vcpu);
	EXPECT_EQ(0x30ULL, v[0]);		/* OUT low, LSB/MSB, mode 0 */
	EXPECT_LE(v[1], 5ULL * COUNT_10MS);
	EXPECT_LT(v[2] + 1000, v[1]) TH_LOG("latched %lu then %lu after 5 ms",
					    (unsigned long)v[1], (unsigned long)v[2]);
	EXPECT_EQ(0ULL, v[3]);
	v = irq_next_sync(vcpu);
	EXPECT_EQ(1ULL, v[0]);
	EXPECT_EQ(0xb0ULL, v[1]);		/* OUT high after the terminal count */
	vm_free(vm);
}

static void guest_speaker(void)
{
	uint64_t s0, s1, s2, t0;

	s0 = inb(PIT_SPEAKER);
	outb(PIT_SPEAKER, 0x01);			/* gate 2 up, speaker off */
	pit_program(2, 0, 5 * COUNT_10MS);		/* 50 ms */
	s1 = inb(PIT_SPEAKER);
	for (t0 = rdtsc(); rdtsc() - t0 < 80 * tsc_per_ms;)
		;
	s2 = inb(PIT_SPEAKER);
	outb(PIT_SPEAKER, 0x03);
	GUEST_SYNC4(s0, s1, s2, inb(PIT_SPEAKER));
	outb(PIT_SPEAKER, 0x00);
	GUEST_SYNC4(inb(PIT_SPEAKER), pit_status(2), 0, 0);
}

/* Bit 4 (the refresh clock) toggles on its own: left out. */
TEST(speaker_port)
{
	struct kvmini_vcpu *vcpu;
	struct kvmini_pit_state2 ps;
	long r;
	struct kvmini_vm *vm = pit_vm(guest_speaker, &vcpu, &r);
	uint64_t *v;

	REQUIRE_IRQCHIP(vm);
	REQUIRE_PIT(vm, r);
	v = irq_next_sync(vcpu);
	EXPECT_EQ(0ULL, v[0] & 0x03);		/* gate 2 low at reset, speaker off */
	EXPECT_EQ(0x01ULL, v[1] & 0x23);	/* gate up, OUT low while counting */
	EXPECT_EQ(0x21ULL, v[2] & 0x23);	/* OUT high once counted out */
	EXPECT_EQ(0x23ULL, v[3] & 0x23);
	ASSERT_EQ(0, ioctl_err(vm->fd, KVMINI_GET_PIT2, (unsigned long)&ps));
	EXPECT_EQ((uint32_t)KVMINI_PIT_FLAGS_SPEAKER_DATA_ON, ps.flags);
	EXPECT_EQ(1, ps.channels[2].gate);
	EXPECT_EQ(0, ps.channels[2].mode);
	EXPECT_EQ(5U * COUNT_10MS, ps.channels[2].count);
	v = irq_next_sync(vcpu);
	EXPECT_EQ(0x20ULL, v[0] & 0x23);
	EXPECT_EQ(0xb0ULL, v[1]);		/* channel 2: OUT high, LSB/MSB, mode 0 */
	ASSERT_EQ(0, ioctl_err(vm->fd, KVMINI_GET_PIT2, (unsigned long)&ps));
	EXPECT_EQ(0U, ps.flags);
	EXPECT_EQ(0, ps.channels[2].gate);
	vm_free(vm);
}

TEST_HARNESS_MAIN
