// SPDX-License-Identifier: GPL-2.0
/*
 * A vCPU thread moved between host CPUs at every exit, and at random
 * moments while its guest runs: the guest's registers (callee-saved ones
 * held across the exits), its memory and its SSE state stay exactly its
 * own, and the host thread's own state (TLS through FS, errno) survives.
 */
#include <pthread.h>
#include <sched.h>

#include "kvmini_util.h"
#include "kvmini_vm.h"
#include "kselftest_harness.h"

#define ROUNDS 400

static uint64_t g_mem[64];

/* Fill memory and registers with values derived from i, exit, check them. */
static void guest_bounce(void)
{
	uint64_t i, k, spin;

	for (i = 0; i < ROUNDS; i++) {
		register uint64_t r12 asm("r12") = i * 3 + 1;
		register uint64_t r15 asm("r15") = ~i;

		for (k = 0; k < 64; k++)
			g_mem[k] = i ^ (k << 32);
		asm volatile("movq %0, %%xmm7" : : "r"(i * 5));
		/* Spin a little, so migrations also land mid-guest. */
		for (spin = 0; spin < 2000; spin++)
			asm volatile("" : "+r"(r12), "+r"(r15));
		GUEST_SYNC(i);
		asm volatile("" : "+r"(r12), "+r"(r15));
		GUEST_ASSERT_EQ(i * 3 + 1, r12);
		GUEST_ASSERT_EQ(~i, r15);
		for (k = 0; k < 64; k++)
			GUEST_ASSERT_EQ(i ^ (k << 32), g_mem[k]);
		asm volatile("movq %%xmm7, %0" : "=r"(k));
		GUEST_ASSERT_EQ(i * 5, k);
	}
}

static volatile int stop;
static pthread_t runner;

/* Move the vCPU thread to the other CPU now and then, while it runs. */
static void *mover(void *arg)
{
	cpu_set_t set;
	int cpu = 0;

	while (!stop) {
		CPU_ZERO(&set);
		CPU_SET(cpu ^= 1, &set);
		pthread_setaffinity_np(runner, sizeof(set), &set);
		usleep(300);
	}
	return NULL;
}

static __thread uint64_t tls_word = 0x7155;

TEST(bounce_between_cpus)
{
	struct kvmini_vcpu *vcpu;
	struct kvmini_vm *vm;
	pthread_t t;
	cpu_set_t set;
	struct ucall uc;
	int i, cpus_seen = 0, last = -1;

	if (sysconf(_SC_NPROCESSORS_ONLN) < 2)
		SKIP(return, "needs two CPUs");
	vm = vm_create_guest(guest_bounce, &vcpu);
	REQUIRE_VM(vm);
	runner = pthread_self();
	ASSERT_EQ(0, pthread_create(&t, NULL, mover, NULL));
	for (i = 0; i < ROUNDS; i++) {
		/* And at every exit, by hand, to the other CPU. */
		CPU_ZERO(&set);
		CPU_SET(i & 1, &set);
		ASSERT_EQ(0, sched_setaffinity(0, sizeof(set), &set));
		ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, &uc));
		ASSERT_EQ((uint64_t)i, uc.args[0]);
		if (sched_getcpu() != last)
			cpus_seen++;
		last = sched_getcpu();
		ASSERT_EQ(0x7155ULL + i, tls_word);	/* FS base intact */
		tls_word++;
		errno = i;
		ASSERT_EQ(i, errno);
	}
	ASSERT_EQ(UCALL_DONE, vcpu_run_ucall(vcpu, &uc));
	stop = 1;
	pthread_join(t, NULL);
	EXPECT_GT(cpus_seen, ROUNDS / 4);
	vm_free(vm);
}

TEST_HARNESS_MAIN
