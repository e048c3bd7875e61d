// SPDX-License-Identifier: GPL-2.0
/*
 * Steal time, KVM's paravirtual account of the time a vCPU waited for a
 * host CPU, as KVM 6.1 has it: KVMINI_CAP_STEAL_TIME, the PV feature bit
 * in CPUID 0x40000001 (and what the guest sees of it), the STEAL_TIME MSR
 * in the MSR list, reading back what was written and refusing reserved
 * bits (the VMM's write and the guest's, #GP), the area's version even
 * and growing at each KVMINI_RUN, its steal growing at least by the
 * thread's wait for its CPU while another thread competes for it (as the
 * kernel's steal_time test), the MSR's #GP under ENFORCE_PV_FEATURE_CPUID
 * without the feature. Runs on KVM too.
 */
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
#include <sys/syscall.h>

#include "kvmini_util.h"
#include "kvmini_vm.h"
#include "kselftest_harness.h"

#define STEAL_BIT	(1U << KVMINI_FEATURE_STEAL_TIME)
#define COMPETE_NS	50000000LL	/* how long the other thread competes */

typedef volatile struct kvmini_steal_time st_t;

/* The guest's view: CPUID, the MSR, a reserved bit's #GP; then the area at each run. */
static void guest_steal(st_t *st)
{
	uint32_t r[4];
	uint64_t v;

	cpuid(KVMINI_CPUID_FEATURES, 0, r);
	GUEST_SYNC4(r[0] & STEAL_BIT, rdmsr(KVMINI_MSR_KVM_STEAL_TIME),
		    wrmsr_safe(KVMINI_MSR_KVM_STEAL_TIME, (uintptr_t)st | 0x20 | 1),
		    rdmsr_safe(KVMINI_MSR_KVM_STEAL_TIME, &v));
	for (;;)
		GUEST_SYNC4(st->version, st->steal, st->preempted, st->flags);
}

/* The thread's wait on run queues so far, in ns (/proc's schedstat). */
static long long run_delay(void)
{
	long long run = 0, delay = 0;
	char path[64];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/task/%ld/schedstat", (long)syscall(SYS_gettid));
	f = fopen(path, "r");
	if (f) {
		if (fscanf(f, "%lld %lld", &run, &delay) != 2)
			delay = 0;
		fclose(f);
	}
	return delay;
}

static long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static volatile int competed;

static void *compete(void *arg)
{
	long long stop = now_ns() + COMPETE_NS;

	while (now_ns() < stop)
		;
	competed = 1;
	return NULL;
}

TEST(caps)
{
	struct kvmini_vm *vm = vm_create();
	struct kvmini_msr_list *l = calloc(1, sizeof(*l) + 4096 * sizeof(l->indices[0]));
	struct kvmini_cpuid2 *c;
	uint32_t i, found = 0;

	REQUIRE_VM(vm);
	EXPECT_EQ(1, ioctl(vm->dev_fd, KVMINI_CHECK_EXTENSION, KVMINI_CAP_STEAL_TIME));
	c = kvmini_supported_cpuid(vm);
	for (i = 0; i < c->nent; i++)
		if (c->entries[i].function == KVMINI_CPUID_FEATURES)
			found = c->entries[i].eax & STEAL_BIT;
	EXPECT_EQ(STEAL_BIT, found);
	l->nmsrs = 4096;
	ASSERT_EQ(0, ioctl(vm->dev_fd, KVMINI_GET_MSR_INDEX_LIST, l));
	for (i = 0, found = 0; i < l->nmsrs; i++)
		found |= l->indices[i] == KVMINI_MSR_KVM_STEAL_TIME;
	EXPECT_EQ(1U, found);
	free(l);
	free(c);
	vm_free(vm);
}

TEST(steal)
{
	uint32_t idx = KVMINI_MSR_KVM_STEAL_TIME;
	struct kvmini_vcpu *vcpu;
	struct kvmini_vm *vm = vm_create_guest(guest_steal, &vcpu);
	uint64_t page, d, version, steal;
	long long delay;
	pthread_attr_t attr;
	pthread_t thread;
	cpu_set_t cpus;
	struct ucall uc;

	REQUIRE_VM(vm);
	/* This thread and its competitor on one CPU. */
	CPU_ZERO(&cpus);
	CPU_SET(0, &cpus);
	ASSERT_EQ(0, sched_setaffinity(0, sizeof(cpus), &cpus));
	vcpu_set_cpuid_supported(vcpu);
	page = vm_alloc_page(vm);
	vcpu_set_args(vcpu, 1, page);
	/* Reserved bits 1-5: refused, the MSR keeps its value (0). */
	d = page | 0x2 | 1;
	EXPECT_EQ(0, vcpu_msrs_io(vcpu, KVMINI_SET_MSRS, &idx, &d, 1));
	d = page + 0x20;
	EXPECT_EQ(0, vcpu_msrs_io(vcpu, KVMINI_SET_MSRS, &idx, &d, 1));
	EXPECT_EQ(1, vcpu_msrs_io(vcpu, KVMINI_GET_MSRS, &idx, &d, 1));
	EXPECT_EQ(0U, d);
	d = page | 1;
	EXPECT_EQ(1, vcpu_msrs_io(vcpu, KVMINI_SET_MSRS, &idx, &d, 1));
	d = 0;
	EXPECT_EQ(1, vcpu_msrs_io(vcpu, KVMINI_GET_MSRS, &idx, &d, 1));
	EXPECT_EQ(page | 1, d);

	ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, &uc));
	EXPECT_EQ(STEAL_BIT, uc.args[0]);
	EXPECT_EQ(page | 1, uc.args[1]);
	EXPECT_EQ(13U, uc.args[2]);		/* reserved bit: #GP */
	EXPECT_EQ(GUEST_NO_EXC, uc.args[3]);

	ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, &uc));
	version = uc.args[0];
	steal = uc.args[1];
	EXPECT_EQ(0U, version & 1);
	EXPECT_NE(0U, version);
	EXPECT_EQ(0U, uc.args[2]);		/* not preempted */
	EXPECT_EQ(0U, uc.args[3]);
	/* Counted from the vCPU's first run: no more than the thread's wait. */
	EXPECT_LE((long long)steal, run_delay());

	/* Another thread competes for this CPU. */
	delay = run_delay();
	pthread_attr_init(&attr);
	pthread_attr_setaffinity_np(&attr, sizeof(cpus), &cpus);
	ASSERT_EQ(0, pthread_create(&thread, &attr, compete, NULL));
	do
		sched_yield();
	while (run_delay() - delay < COMPETE_NS / 4 && !competed);
	pthread_join(thread, NULL);
	delay = run_delay() - delay;
	ASSERT_LT(0, delay);

	ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, &uc));
	EXPECT_EQ(0U, uc.args[0] & 1);
	EXPECT_LT(version, uc.args[0]);
	EXPECT_LE(delay, (long long)(uc.args[1] - steal))
		TH_LOG("steal %llu -> %llu, the thread waited %lld ns",
		       (unsigned long long)steal, (unsigned long long)uc.args[1], delay);
	EXPECT_EQ(0U, uc.args[2]);
	vm_free(vm);
}

static void guest_enforced(void)
{
	uint64_t v;

	GUEST_SYNC4(rdmsr_safe(KVMINI_MSR_KVM_STEAL_TIME, &v),
		    wrmsr_safe(KVMINI_MSR_KVM_STEAL_TIME, 0), 0, 0);
}

/* With ENFORCE_PV_FEATURE_CPUID and no STEAL_TIME feature, the MSR #GPs. */
TEST(enforced_cpuid)
{
	struct kvmini_enable_cap cap = { .cap = KVMINI_CAP_ENFORCE_PV_FEATURE_CPUID, .args = { 1 } };
	struct kvmini_cpuid2 *c;
	struct kvmini_vcpu *vcpu;
	struct kvmini_vm *vm = vm_create_guest(guest_enforced, &vcpu);
	struct ucall uc;
	uint32_t i;

	REQUIRE_VM(vm);
	c = kvmini_supported_cpuid(vm);
	for (i = 0; i < c->nent; i++)
		if (c->entries[i].function == KVMINI_CPUID_FEATURES)
			c->entries[i].eax &= ~STEAL_BIT;
	ASSERT_EQ(0, ioctl(vcpu->fd, KVMINI_SET_CPUID2, c));
	ASSERT_EQ(0, ioctl(vcpu->fd, KVMINI_ENABLE_CAP, &cap));
	ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, &uc));
	EXPECT_EQ(13U, uc.args[0]);
	EXPECT_EQ(13U, uc.args[1]);
	free(c);
	vm_free(vm);
}

TEST_HARNESS_MAIN
