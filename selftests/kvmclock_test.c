// SPDX-License-Identifier: GPL-2.0
/*
 * kvmclock, KVM's paravirtual clock, as KVM 6.1 has it: the guest's time
 * info (SYSTEM_TIME MSR) reads the VM's clock, which KVMINI_GET_CLOCK and
 * KVMINI_SET_CLOCK read and set (KVMINI_CLOCK_REALTIME moves it on by the
 * time since); it stays put when the guest moves its TSC; WALL_CLOCK gives
 * the host's time at kvmclock 0; KVMINI_KVMCLOCK_CTRL sets GUEST_STOPPED;
 * the MSRs #GP when the VMM enforces a PV CPUID without them; the
 * CLOCK_PAIRING hypercall pairs host time with the guest's TSC. As the
 * kernel's kvm_clock_test, whose library needs an in-kernel irqchip.
 * Runs on KVM too.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <x86intrin.h>

#include "kvmini_util.h"
#include "kvmini_vm.h"
#include "kselftest_harness.h"

#define NS		1000000000ULL
#define MSR_TSC		0x10
#define FLAGS_TSC	(KVMINI_CLOCK_REALTIME | KVMINI_CLOCK_HOST_TSC)

typedef volatile struct kvmini_pvclock_vcpu_time_info pvti_t;

static uint64_t pvclock_read(pvti_t *p, uint8_t *flags)
{
	uint64_t ns, delta;
	uint32_t v;

	do {
		v = p->version;
		asm volatile("" ::: "memory");
		delta = __rdtsc() - p->tsc_timestamp;
		delta = p->tsc_shift < 0 ? delta >> -p->tsc_shift : delta << p->tsc_shift;
		ns = p->system_time + (uint64_t)(((unsigned __int128)delta * p->tsc_to_system_mul) >> 32);
		*flags = p->flags;
		asm volatile("" ::: "memory");
	} while ((v & 1) || v != p->version);
	return ns;
}

/* Turn kvmclock on at @msr, then report the clock (and flags) at each sync. */
static void guest_clock(uint64_t msr, pvti_t *p, uint64_t new_tsc)
{
	uint8_t flags;
	int i;

	wrmsr(msr, (uintptr_t)p | 1);
	for (i = 0; i < 5; i++) {
		uint64_t ns = pvclock_read(p, &flags);

		GUEST_SYNC4(ns, flags, p->version, rdmsr(msr));
		if (i == 1 && new_tsc)
			wrmsr(MSR_TSC, new_tsc);	/* the clock must not jump */
	}
}

/* The host keeps time by the TSC: KVM's master clock, kvmini's stable clock. */
static bool host_tsc_clocksource(void)
{
	char name[32] = "";
	FILE *f = fopen("/sys/devices/system/clocksource/clocksource0/current_clocksource", "r");

	if (f) {
		if (!fgets(name, sizeof(name), f))
			name[0] = 0;
		fclose(f);
	}
	return !strcmp(name, "tsc\n") || !strcmp(name, "tsc-early\n");	/* Bochs: tsc-early */
}

static uint64_t realtime_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ts.tv_sec * NS + ts.tv_nsec;
}

static struct kvmini_vm *setup(void *fn, struct kvmini_vcpu **vcpu, uint64_t *page)
{
	struct kvmini_vm *vm = vm_create_guest(fn, vcpu);

	if (vm) {
		vcpu_set_cpuid_supported(*vcpu);
		*page = vm_alloc_page(vm);
	}
	return vm;
}

/* The guest's clock lies between GET_CLOCK before and after, at every base. */
static void clock_cases(struct __test_metadata *_metadata, uint32_t msr, bool stable_expected)
{
	/*
	 * Case 2 sets nothing: on kvmini the guest has just moved its TSC.
	 * KVM leaves the time info stale then (the guest's clock jumps until
	 * something else updates it): kvmini keeps the clock where it was.
	 */
	static const struct { uint64_t clock; int64_t realtime_off; } cases[5] = {
		{ 0, 0 }, { 180 * NS, 0 }, { 0, 0 }, { 0, -180LL * NS }, { 0, 180LL * NS },
	};
	struct kvmini_clock_data start, end, set;
	bool tsc = host_tsc_clocksource();
	struct kvmini_vcpu *vcpu;
	uint64_t page;
	struct kvmini_vm *vm = setup(guest_clock, &vcpu, &page);
	struct ucall uc;
	int i;

	REQUIRE_VM(vm);
	vcpu_set_args(vcpu, 3, (uint64_t)msr, page, kvmini_dev_is_kvm() ? 0 : 1ULL << 50);
	for (i = 0; i < 5; i++) {
		memset(&set, 0, sizeof(set));
		set.clock = cases[i].clock;
		if (cases[i].realtime_off) {
			set.flags = KVMINI_CLOCK_REALTIME;
			set.realtime = realtime_ns() + cases[i].realtime_off;
		}
		if (i != 2)
			ASSERT_EQ(0, ioctl(vm->fd, KVMINI_SET_CLOCK, &set));
		ASSERT_EQ(0, ioctl(vm->fd, KVMINI_GET_CLOCK, &start));
		ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, &uc));
		ASSERT_EQ(0, ioctl(vm->fd, KVMINI_GET_CLOCK, &end));
		EXPECT_LE(start.clock, uc.args[0]);
		EXPECT_GE(end.clock, uc.args[0]);
		/* 180 s, 180 s on; REALTIME 180 s ago: moved on by 180 s. */
		if (i >= 1 && i <= 3)
			EXPECT_LE(180 * NS, uc.args[0]);
		EXPECT_EQ(0U, uc.args[2] & 1);			/* version even */
		EXPECT_EQ(page | 1, uc.args[3]);		/* the MSR reads back */
		if (tsc) {
			EXPECT_EQ(stable_expected ? (uint32_t)FLAGS_TSC : 0, end.flags & FLAGS_TSC);
			EXPECT_EQ(stable_expected, uc.args[1] & KVMINI_PVCLOCK_TSC_STABLE);
		}
	}
	vm_free(vm);
}

/* The capabilities, and kvmclock in the PV features of the supported CPUID. */
TEST(caps)
{
	struct kvmini_vm *vm = vm_create();
	struct kvmini_cpuid2 *c;
	int i, found = 0;

	REQUIRE_VM(vm);
	EXPECT_EQ(KVMINI_CLOCK_TSC_STABLE | FLAGS_TSC,
		  ioctl(vm->dev_fd, KVMINI_CHECK_EXTENSION, KVMINI_CAP_ADJUST_CLOCK));
	EXPECT_EQ(1, ioctl(vm->dev_fd, KVMINI_CHECK_EXTENSION, KVMINI_CAP_KVMCLOCK_CTRL));
	c = kvmini_supported_cpuid(vm);
	for (i = 0; i < (int)c->nent; i++)
		if (c->entries[i].function == KVMINI_CPUID_FEATURES) {
			found = 1;
			/* CLOCKSOURCE, NOP_IO_DELAY, CLOCKSOURCE2, CLOCKSOURCE_STABLE_BIT */
			EXPECT_EQ(0x100000bU, c->entries[i].eax & 0x100000bU);
		}
	EXPECT_EQ(1, found);
	free(c);
	vm_free(vm);
}

TEST(clock_new_msr)
{
	clock_cases(_metadata, KVMINI_MSR_KVM_SYSTEM_TIME_NEW, true);
}

/* As KVM: while the boot vCPU is on the old MSR, the VM's clock is not stable. */
TEST(clock_old_msr)
{
	clock_cases(_metadata, KVMINI_MSR_KVM_SYSTEM_TIME, false);
}

static void guest_wall(uint64_t msr, volatile struct kvmini_pvclock_wall_clock *w)
{
	wrmsr(msr, (uintptr_t)w);
	GUEST_SYNC4(w->version, w->sec, w->nsec, rdmsr(msr));
}

TEST(wall_clock)
{
	struct kvmini_clock_data set = { .clock = 1000 * NS }, now;
	struct kvmini_vcpu *vcpu;
	uint64_t page, epoch, real;
	struct kvmini_vm *vm = setup(guest_wall, &vcpu, &page);
	struct ucall uc;

	REQUIRE_VM(vm);
	vcpu_set_args(vcpu, 2, (uint64_t)KVMINI_MSR_KVM_WALL_CLOCK_NEW, page);
	ASSERT_EQ(0, ioctl(vm->fd, KVMINI_SET_CLOCK, &set));
	ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, &uc));
	ASSERT_EQ(0, ioctl(vm->fd, KVMINI_GET_CLOCK, &now));
	real = realtime_ns();
	EXPECT_EQ(0U, uc.args[0] & 1);
	EXPECT_NE(0U, uc.args[0]);
	EXPECT_EQ(page, uc.args[3]);
	EXPECT_GT(NS, uc.args[2]);
	/* The host's time at kvmclock 0, plus kvmclock now, is the time now. */
	epoch = uc.args[1] * NS + uc.args[2];
	EXPECT_GT(5LL * (long long)NS, llabs((long long)(epoch + now.clock - real)));
	vm_free(vm);
}

/* KVMCLOCK_CTRL: EINVAL until the guest has kvmclock, then GUEST_STOPPED. */
TEST(kvmclock_ctrl)
{
	struct kvmini_vcpu *vcpu;
	uint64_t page;
	struct kvmini_vm *vm = setup(guest_clock, &vcpu, &page);
	struct ucall uc;

	REQUIRE_VM(vm);
	vcpu_set_args(vcpu, 3, (uint64_t)KVMINI_MSR_KVM_SYSTEM_TIME_NEW, page, 1ULL << 50);
	EXPECT_EQ(-EINVAL, ioctl_err(vcpu->fd, KVMINI_KVMCLOCK_CTRL, 0));
	ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, &uc));
	EXPECT_EQ(0U, uc.args[1] & KVMINI_PVCLOCK_GUEST_STOPPED);
	EXPECT_EQ(0, ioctl_err(vcpu->fd, KVMINI_KVMCLOCK_CTRL, 0));
	ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, &uc));
	EXPECT_EQ((uint64_t)KVMINI_PVCLOCK_GUEST_STOPPED, uc.args[1] & KVMINI_PVCLOCK_GUEST_STOPPED);
	vm_free(vm);
}

static void guest_enforced(void)
{
	uint64_t v;

	GUEST_SYNC4(rdmsr_safe(KVMINI_MSR_KVM_SYSTEM_TIME_NEW, &v),
		    wrmsr_safe(KVMINI_MSR_KVM_WALL_CLOCK_NEW, 0),
		    rdmsr_safe(KVMINI_MSR_KVM_SYSTEM_TIME, &v), 0);
}

/* With ENFORCE_PV_FEATURE_CPUID and no PV features, the MSRs #GP. */
TEST(enforced_cpuid)
{
	struct kvmini_enable_cap cap = { .cap = KVMINI_CAP_ENFORCE_PV_FEATURE_CPUID, .args = { 1 } };
	struct kvmini_cpuid2 *c;
	struct kvmini_vcpu *vcpu;
	uint64_t page;
	struct kvmini_vm *vm = setup(guest_enforced, &vcpu, &page);
	struct ucall uc;
	int i;

	REQUIRE_VM(vm);
	c = kvmini_supported_cpuid(vm);
	for (i = 0; i < (int)c->nent; i++)
		if (c->entries[i].function == KVMINI_CPUID_FEATURES)
			c->entries[i].eax = 0;
	ASSERT_EQ(0, ioctl(vcpu->fd, KVMINI_SET_CPUID2, c));
	ASSERT_EQ(0, ioctl(vcpu->fd, KVMINI_ENABLE_CAP, &cap));
	ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, &uc));
	EXPECT_EQ(13U, uc.args[0]);
	EXPECT_EQ(13U, uc.args[1]);
	EXPECT_EQ(13U, uc.args[2]);
	vm_free(vm);
}

static void guest_pairing(bool amd, struct kvmini_clock_pairing *p)
{
	int64_t r0 = 9, r1 = 9;
	uint64_t tsc = __rdtsc();

	if (amd) {
		asm volatile("vmmcall" : "+a"(r0) : "b"(p), "c"(0) : "memory");
		asm volatile("vmmcall" : "+a"(r1) : "b"(p), "c"(1) : "memory");
	} else {
		asm volatile("vmcall" : "+a"(r0) : "b"(p), "c"(0) : "memory");
		asm volatile("vmcall" : "+a"(r1) : "b"(p), "c"(1) : "memory");
	}
	GUEST_SYNC4(r0, r1, tsc, __rdtsc());
}

/* CLOCK_PAIRING: host time and guest TSC where the host keeps time by the TSC. */
TEST(clock_pairing)
{
	struct kvmini_clock_pairing *p;
	struct kvmini_vcpu *vcpu;
	uint64_t page, before, after;
	struct kvmini_vm *vm = setup(guest_pairing, &vcpu, &page);
	struct ucall uc;

	REQUIRE_VM(vm);
	vcpu_set_args(vcpu, 2, (uint64_t)host_cpu_is_amd(), page);
	before = realtime_ns();
	ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, &uc));
	after = realtime_ns();
	EXPECT_EQ(-95, (int64_t)uc.args[1]);
	if (!host_tsc_clocksource()) {
		EXPECT_EQ(-95, (int64_t)uc.args[0]);
		vm_free(vm);
		return;
	}
	EXPECT_EQ(0U, uc.args[0]);
	p = vm_gpa2hva(vm, page);
	EXPECT_LE(before, p->sec * NS + p->nsec);
	EXPECT_GE(after, p->sec * NS + p->nsec);
	EXPECT_LE(uc.args[2], p->tsc);
	EXPECT_GE(uc.args[3], p->tsc);
	vm_free(vm);
}

TEST_HARNESS_MAIN
