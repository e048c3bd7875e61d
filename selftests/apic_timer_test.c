// SPDX-License-Identifier: GPL-2.0
/*
 * The in-kernel local APIC timer (split irqchip), as KVM runs it: one-shot,
 * periodic and TSC-deadline modes fire their LVT vector, not before the
 * programmed time (RDTSC in the guest; KVM's APIC bus counts nanoseconds:
 * divide 1 = 1 ns a count) and not absurdly later (the emulated hosts are
 * slow and jittery: the upper bounds are generous); the current count
 * counts down and reads 0 once a one-shot timer has fired; the divide
 * configuration scales it, also while it runs; entering or leaving TSC-deadline mode cancels
 * what was armed; a periodic one fires again and again, a masked one
 * delivers nothing, a zero initial count stops it; the TSC-deadline MSR
 * reads 0 once fired, 0 disarms it.
 * The same one-shot timer works through the x2APIC MSRs.
 * A halted vCPU is woken by the timer inside KVMINI_RUN: the only exits
 * userspace sees are the guest's ucalls.
 */
#include "kvmini_util.h"
#include "kvmini_vm.h"
#include "kvmini_apic.h"
#include "kselftest_harness.h"

#define TIMER_VEC	0x40
#define MS		1000000ULL	/* timer counts (ns at divide 1) */

/* Guest state. */
uint64_t tm_count, tm_tsc[16];
uint64_t tsc_per_ms;		/* set by the host */

GUEST_IRQ_FN void timer_irq(uint64_t vec, uint64_t rip)
{
	tm_tsc[tm_count & 15] = rdtsc();
	tm_count++;
	apic_eoi();
}
GUEST_IRQ_HANDLER(timer_stub, 0x40, timer_irq);

/* Spin with IF=1 until tm_count reaches @n or @ms milliseconds passed. */
static void wait_count(uint64_t n, uint64_t ms)
{
	uint64_t t0 = rdtsc();

	guest_sti();
	while (*(volatile uint64_t *)&tm_count < n && rdtsc() - t0 < ms * tsc_per_ms)
		asm volatile("pause");
	guest_cli();
}

/* Spin with IF=1 for @ms milliseconds. */
static void spin_ms(uint64_t ms)
{
	wait_count(~0ULL, ms);
}

static void timer_start(uint32_t lvtt, uint32_t count)
{
	xapic_enable(0xff);
	xapic_write(APIC_TDCR, APIC_TDCR_DIV_1);
	xapic_write(APIC_LVTT, lvtt);
	xapic_write(APIC_TMICT, count);
}

static void guest_oneshot(void)
{
	uint64_t t0, cc1, cc2;

	t0 = rdtsc();
	timer_start(TIMER_VEC, 20 * MS);
	cc1 = xapic_read(APIC_TMCCT);
	while (rdtsc() - t0 < tsc_per_ms)
		;
	cc2 = xapic_read(APIC_TMCCT);
	GUEST_ASSERT_EQ(xapic_read(APIC_TMICT), 20 * MS);
	wait_count(1, 5000);
	GUEST_SYNC4(tm_count, tm_tsc[0] - t0, cc1, cc2);
	spin_ms(60);				/* one-shot: no second one */
	GUEST_SYNC4(tm_count, xapic_read(APIC_TMCCT), xapic_read(APIC_TMICT), 0);

	/*
	 * Divide by 16: a 16th of the count, the same 20 ms.  Stopped
	 * first: KVM re-arms an expired one-shot timer (which fires at once)
	 * when the divide changes while the initial count is not 0.
	 */
	xapic_write(APIC_TMICT, 0);
	xapic_write(APIC_TDCR, APIC_TDCR_DIV_16);
	t0 = rdtsc();
	xapic_write(APIC_TMICT, 20 * MS / 16);
	wait_count(2, 5000);
	GUEST_SYNC4(tm_count, tm_tsc[1] - t0, 0, 0);

	/*
	 * A new divisor while the count runs: it goes on from where it is,
	 * at the new rate (as KVM): 100 ms at divide 1, switched to divide 2
	 * at once, fires after about 200 ms. (Stopped first, as above.)
	 */
	xapic_write(APIC_TMICT, 0);
	xapic_write(APIC_TDCR, APIC_TDCR_DIV_1);
	t0 = rdtsc();
	xapic_write(APIC_TMICT, 100 * MS);
	cc1 = xapic_read(APIC_TMCCT);
	xapic_write(APIC_TDCR, APIC_TDCR_DIV_2);
	cc2 = xapic_read(APIC_TMCCT);
	wait_count(3, 10000);
	GUEST_SYNC4(tm_count, tm_tsc[2] - t0, cc1, cc2);
}

/* Bounds on @cycles for @ms milliseconds programmed, reported as ms * 1000. */
static void check_time(struct __test_metadata *_metadata, uint64_t cycles,
		       uint64_t ms, uint64_t tsc_per_ms)
{
	TH_LOG("%lu ms programmed: %lu us measured", (unsigned long)ms,
	       (unsigned long)(cycles * 1000 / tsc_per_ms));
	/* Not early (1% for the TSC/ns conversions), not 50x late plus 1 s. */
	EXPECT_GE(cycles * 100, ms * tsc_per_ms * 99);
	EXPECT_LE(cycles, (50 * ms + 1000) * tsc_per_ms);
}

static struct kvmini_vm *timer_vm(void *fn, struct kvmini_vcpu **vcpu, uint64_t *tpm)
{
	struct kvmini_vm *vm = vm_create_guest_split(fn, vcpu);
	long khz;

	if (!vm)
		return NULL;
	vcpu_set_cpuid_supported(*vcpu);
	apic_set_irq_gate(vm, TIMER_VEC, timer_stub);
	khz = vcpu_ioctl(*vcpu, KVMINI_GET_TSC_KHZ, 0);
	*tpm = khz;
	GUEST_VAR(vm, tsc_per_ms) = khz;
	return vm;
}

TEST(oneshot)
{
	struct kvmini_vcpu *vcpu;
	uint64_t tpm;
	struct kvmini_vm *vm = timer_vm(guest_oneshot, &vcpu, &tpm);
	struct ucall uc;

	REQUIRE_SPLIT(vm);
	ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, &uc));
	ASSERT_EQ(1ULL, uc.args[0]);
	check_time(_metadata, uc.args[1], 20, tpm);
	TH_LOG("current count %lu, after 1 ms %lu", (unsigned long)uc.args[2],
	       (unsigned long)uc.args[3]);
	EXPECT_LE(uc.args[2], 20 * MS);
	EXPECT_GT(uc.args[2], 0ULL);
	EXPECT_LT(uc.args[3], uc.args[2]);
	ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, &uc));
	EXPECT_EQ(1ULL, uc.args[0]);
	EXPECT_EQ(0ULL, uc.args[1]);		/* current count: 0 */
	EXPECT_EQ(20 * MS, uc.args[2]);		/* initial count stays */
	ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, &uc));
	ASSERT_EQ(2ULL, uc.args[0]);
	check_time(_metadata, uc.args[1], 20, tpm);
	ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, &uc));
	ASSERT_EQ(3ULL, uc.args[0]);
	TH_LOG("new divisor: current count %lu before, %lu after", (unsigned long)uc.args[2],
	       (unsigned long)uc.args[3]);
	EXPECT_LE(uc.args[3], uc.args[2]);
	EXPECT_GT(uc.args[3], uc.args[2] * 3 / 4);	/* not halved */
	check_time(_metadata, uc.args[1], 150, tpm);	/* 200, less what ran at divide 1 */
	ASSERT_EQ(UCALL_DONE, vcpu_run_ucall(vcpu, &uc));
	vm_free(vm);
}

static void guest_periodic(void)
{
	uint64_t t0, cc, n;

	t0 = rdtsc();
	timer_start(TIMER_VEC | APIC_LVTT_PERIODIC, 5 * MS);
	wait_count(5, 10000);
	cc = xapic_read(APIC_TMCCT);
	GUEST_SYNC4(tm_count, tm_tsc[4] - t0, cc, 0);

	/* Masked: nothing; unmasked again: it is still running. */
	xapic_write(APIC_LVTT, TIMER_VEC | APIC_LVTT_PERIODIC | APIC_LVT_MASKED);
	spin_ms(5);
	n = tm_count;
	spin_ms(40);
	GUEST_SYNC4(n, tm_count, xapic_read(APIC_TMCCT), 0);
	xapic_write(APIC_LVTT, TIMER_VEC | APIC_LVTT_PERIODIC);
	wait_count(n + 2, 10000);
	GUEST_SYNC4(n, tm_count, 0, 0);

	/* Initial count 0 stops it. */
	xapic_write(APIC_TMICT, 0);
	spin_ms(10);
	n = tm_count;
	spin_ms(40);
	GUEST_SYNC4(n, tm_count, xapic_read(APIC_TMCCT), 0);
}

TEST(periodic)
{
	struct kvmini_vcpu *vcpu;
	uint64_t tpm;
	struct kvmini_vm *vm = timer_vm(guest_periodic, &vcpu, &tpm);
	struct ucall uc;

	REQUIRE_SPLIT(vm);
	ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, &uc));
	ASSERT_GE(uc.args[0], 5ULL);	/* one more may come before the CLI */
	check_time(_metadata, uc.args[1], 25, tpm);	/* 5 periods */
	EXPECT_LE(uc.args[2], 5 * MS);
	ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, &uc));
	EXPECT_EQ(uc.args[0], uc.args[1]) TH_LOG("masked, yet it fired");
	/* The count still runs (KVM reads 0 while its timer callback is late). */
	EXPECT_LE(uc.args[2], 5 * MS);
	ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, &uc));
	EXPECT_GE(uc.args[1], uc.args[0] + 2) TH_LOG("unmasked, it did not fire");
	ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, &uc));
	EXPECT_EQ(uc.args[0], uc.args[1]) TH_LOG("stopped, yet it fired");
	EXPECT_EQ(0ULL, uc.args[2]);
	ASSERT_EQ(UCALL_DONE, vcpu_run_ucall(vcpu, &uc));
	vm_free(vm);
}

static void guest_deadline(void)
{
	uint64_t dl;

	/* Into TSC-deadline mode: the count-down stops, TMICT is cleared. */
	timer_start(TIMER_VEC, 20 * MS);
	xapic_write(APIC_LVTT, TIMER_VEC | APIC_LVTT_TSC_DEADLINE);
	GUEST_ASSERT_EQ(xapic_read(APIC_TMICT), 0);
	spin_ms(60);
	GUEST_ASSERT_EQ(tm_count, 0);
	xapic_write(APIC_LVTT, TIMER_VEC | APIC_LVTT_TSC_DEADLINE);
	GUEST_ASSERT_EQ(xapic_read(APIC_LVTT), TIMER_VEC | APIC_LVTT_TSC_DEADLINE);
	/* The count registers are not the timer in this mode. */
	xapic_write(APIC_TMICT, 1000);
	GUEST_ASSERT_EQ(xapic_read(APIC_TMICT), 0);
	GUEST_ASSERT_EQ(xapic_read(APIC_TMCCT), 0);

	dl = rdtsc() + 10 * tsc_per_ms;
	wrmsr(MSR_IA32_TSC_DEADLINE, dl);
	GUEST_ASSERT_EQ(rdmsr(MSR_IA32_TSC_DEADLINE), dl);
	wait_count(1, 5000);
	GUEST_SYNC4(tm_count, tm_tsc[0] - dl, rdmsr(MSR_IA32_TSC_DEADLINE), 0);

	/* 0 disarms it; a deadline in the past fires at once. */
	wrmsr(MSR_IA32_TSC_DEADLINE, rdtsc() + 10 * tsc_per_ms);
	wrmsr(MSR_IA32_TSC_DEADLINE, 0);
	spin_ms(40);
	GUEST_SYNC4(tm_count, 0, 0, 0);
	wrmsr(MSR_IA32_TSC_DEADLINE, rdtsc() - 1);
	wait_count(2, 5000);
	GUEST_SYNC4(tm_count, 0, 0, 0);

	/* Out of it: the deadline is dropped, the MSR reads 0. */
	wrmsr(MSR_IA32_TSC_DEADLINE, rdtsc() + 10 * tsc_per_ms);
	xapic_write(APIC_LVTT, TIMER_VEC);
	GUEST_ASSERT_EQ(rdmsr(MSR_IA32_TSC_DEADLINE), 0);
	xapic_write(APIC_LVTT, TIMER_VEC | APIC_LVTT_TSC_DEADLINE);
	GUEST_ASSERT_EQ(rdmsr(MSR_IA32_TSC_DEADLINE), 0);
	spin_ms(60);
	GUEST_SYNC4(tm_count, 0, 0, 0);
}

TEST(tsc_deadline)
{
	struct kvmini_vcpu *vcpu;
	uint64_t tpm;
	struct kvmini_vm *vm = timer_vm(guest_deadline, &vcpu, &tpm);
	struct kvmini_cpuid2 *c;
	struct ucall uc;
	uint32_t i;

	REQUIRE_SPLIT(vm);
	REQUIRE_CAP(vm, KVMINI_CAP_TSC_DEADLINE_TIMER);
	/* KVM leaves the bit out of the supported CPUID: the VMM sets it. */
	c = kvmini_supported_cpuid(vm);
	for (i = 0; i < c->nent; i++)
		if (c->entries[i].function == 1)
			c->entries[i].ecx |= CPUID1_ECX_TSC_DEADLINE;
	vcpu_ioctl(vcpu, KVMINI_SET_CPUID2, c);
	free(c);
	ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, &uc));
	ASSERT_EQ(1ULL, uc.args[0]);
	TH_LOG("deadline: taken %ld us after it", (long)((int64_t)uc.args[1] * 1000 / (int64_t)tpm));
	/* Not before it (0.1 ms for conversions), not a second after. */
	EXPECT_GE((int64_t)uc.args[1], -(int64_t)tpm / 10);
	EXPECT_LT((int64_t)uc.args[1], 1000 * (int64_t)tpm);
	EXPECT_EQ(0ULL, uc.args[2]);			/* fired: the MSR reads 0 */
	ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, &uc));
	EXPECT_EQ(1ULL, uc.args[0]) TH_LOG("disarmed, yet it fired");
	ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, &uc));
	EXPECT_EQ(2ULL, uc.args[0]);
	ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, &uc));
	EXPECT_EQ(2ULL, uc.args[0]) TH_LOG("fired after leaving TSC-deadline mode");
	ASSERT_EQ(UCALL_DONE, vcpu_run_ucall(vcpu, &uc));
	vm_free(vm);
}

static void guest_x2apic(void)
{
	uint64_t t0, cc1, cc2;

	x2apic_enable(0xff);
	x2apic_write(APIC_TDCR, APIC_TDCR_DIV_1);
	x2apic_write(APIC_LVTT, TIMER_VEC);
	t0 = rdtsc();
	x2apic_write(APIC_TMICT, 20 * MS);
	cc1 = x2apic_read(APIC_TMCCT);
	while (rdtsc() - t0 < tsc_per_ms)
		;
	cc2 = x2apic_read(APIC_TMCCT);
	wait_count(1, 5000);
	GUEST_SYNC4(tm_count, tm_tsc[0] - t0, cc1, cc2);
	GUEST_ASSERT_EQ(x2apic_read(APIC_TMCCT), 0);
	GUEST_ASSERT_EQ(x2apic_read(APIC_VEC_REG(APIC_ISR, TIMER_VEC)), 0);
}

/* The same through the x2APIC MSRs (EOI by MSR too). */
TEST(x2apic_oneshot)
{
	struct kvmini_vcpu *vcpu;
	uint64_t tpm;
	struct kvmini_vm *vm = timer_vm(guest_x2apic, &vcpu, &tpm);
	struct ucall uc;

	REQUIRE_SPLIT(vm);
	ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, &uc));
	ASSERT_EQ(1ULL, uc.args[0]);
	check_time(_metadata, uc.args[1], 20, tpm);
	EXPECT_LE(uc.args[2], 20 * MS);
	EXPECT_LT(uc.args[3], uc.args[2]);
	ASSERT_EQ(UCALL_DONE, vcpu_run_ucall(vcpu, &uc));
	vm_free(vm);
}

static void guest_halted(void)
{
	uint64_t t0 = rdtsc();

	timer_start(TIMER_VEC, 20 * MS);
	guest_sti_hlt();
	guest_cli();
	GUEST_ASSERT_EQ(tm_count, 1);
	GUEST_SYNC4(tm_count, tm_tsc[0] - t0, 0, 0);
	/* Periodic: each HLT ends with the next period. */
	xapic_write(APIC_LVTT, TIMER_VEC | APIC_LVTT_PERIODIC);
	xapic_write(APIC_TMICT, 5 * MS);
	t0 = rdtsc();
	while (tm_count < 4) {
		guest_sti_hlt();
		guest_cli();
	}
	GUEST_SYNC4(tm_count, rdtsc() - t0, 0, 0);
	xapic_write(APIC_TMICT, 0);
}

/* KVMINI_RUN returns only for the ucalls: the HLTs end inside it. */
TEST(halted)
{
	struct kvmini_vcpu *vcpu;
	uint64_t tpm;
	struct kvmini_vm *vm = timer_vm(guest_halted, &vcpu, &tpm);
	struct ucall uc;

	REQUIRE_SPLIT(vm);
	ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, &uc));
	EXPECT_EQ(1ULL, uc.args[0]);
	check_time(_metadata, uc.args[1], 20, tpm);
	ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, &uc));
	EXPECT_GE(uc.args[0], 4ULL);
	check_time(_metadata, uc.args[1], 15, tpm);	/* 3 periods */
	ASSERT_EQ(UCALL_DONE, vcpu_run_ucall(vcpu, &uc));
	vm_free(vm);
}

TEST_HARNESS_MAIN
