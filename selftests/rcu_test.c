// SPDX-License-Identifier: GPL-2.0
/*
 * A guest that keeps its CPU must not hold up the host's RCU grace
 * periods: as KVM, guest mode is a quiescent state, as userspace is. The
 * test times synchronize_rcu() (membarrier(MEMBARRIER_CMD_GLOBAL) waits
 * for one) with the host idle, then while a vCPU thread spins in a guest
 * on each host CPU: the medians must stay close.
 */
#include <linux/membarrier.h>
#include <pthread.h>
#include <sys/syscall.h>
#include <time.h>

#include "kvmini_util.h"
#include "kvmini_vm.h"
#include "kselftest_harness.h"

#define ROUNDS	15

static uint64_t g_stop;

static void guest_spin(void)
{
	asm volatile("sti" : : : "memory");
	while (!*(volatile uint64_t *)&g_stop)
		;
}

static double now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* The median time of a grace period, in ms; < 0 if membarrier cannot do it. */
static double grace_period_ms(void)
{
	double t[ROUNDS];
	int i;

	for (i = 0; i < ROUNDS; i++) {
		double t0 = now_ms();

		if (syscall(__NR_membarrier, MEMBARRIER_CMD_GLOBAL, 0, 0))
			return -1;
		t[i] = now_ms() - t0;
	}
	qsort(t, ROUNDS, sizeof(t[0]), cmp);
	return t[ROUNDS / 2];
}

static void *run_vcpu(void *arg)
{
	struct kvmini_vcpu *vcpu = arg;

	vcpu_run(vcpu);		/* until the guest sees g_stop: a ucall */
	return NULL;
}

TEST(spinning_guest)
{
	long ncpus = sysconf(_SC_NPROCESSORS_ONLN), i;
	struct kvmini_vcpu *vcpu[8];
	struct kvmini_vm *vm[8];
	pthread_t thread[8];
	double idle, busy;

	if (ncpus > 8)
		ncpus = 8;
	vm[0] = vm_create_guest(guest_spin, &vcpu[0]);
	REQUIRE_VM(vm[0]);
	idle = grace_period_ms();
	if (idle < 0) {
		vm_free(vm[0]);
		SKIP(return, "membarrier(MEMBARRIER_CMD_GLOBAL) not available");
	}
	for (i = 1; i < ncpus; i++)
		vm[i] = vm_create_guest(guest_spin, &vcpu[i]);
	for (i = 0; i < ncpus; i++)
		ASSERT_EQ(0, pthread_create(&thread[i], NULL, run_vcpu, vcpu[i]));
	usleep(200 * 1000);	/* the guests are in their loops */
	busy = grace_period_ms();
	for (i = 0; i < ncpus; i++) {
		GUEST_VAR(vm[i], g_stop) = 1;
		pthread_join(thread[i], NULL);
		vm_free(vm[i]);
	}
	TH_LOG("a grace period: %.1f ms idle, %.1f ms with %ld spinning vCPU(s)",
	       idle, busy, ncpus);
	EXPECT_LT(busy, 3 * idle + 20);
}

TEST_HARNESS_MAIN
