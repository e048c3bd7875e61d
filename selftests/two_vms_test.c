// SPDX-License-Identifier: GPL-2.0
/*
 * Two VMs at once, each run by its own thread pinned to its own host CPU:
 * both guests count while the other one runs (both counters advance in
 * the same windows, both threads inside one KVMINI_RUN all along), and
 * each ends with exact results of its own (its count, and a value
 * computed from its seed that many times), nothing mixed up.
 */
#include <pthread.h>
#include <sched.h>

#include "kvmini_util.h"
#include "kvmini_vm.h"
#include "kselftest_harness.h"

static uint64_t g_stop, g_count;

static uint64_t lcg(uint64_t x)
{
	return x * 6364136223846793005ULL + 1442695040888963407ULL;
}

/* Count (and step the LCG from @seed) until the VMM sets g_stop. */
static void guest_count(uint64_t seed)
{
	uint64_t n = 0, x = seed;

	while (!*(volatile uint64_t *)&g_stop) {
		x = lcg(x);
		*(volatile uint64_t *)&g_count = ++n;
	}
	GUEST_SYNC4(n, x, 0, 0);
}

struct side {
	struct kvmini_vm *vm;
	struct kvmini_vcpu *vcpu;
	int cpu, ran_on, r;
	volatile int in_run;
	struct ucall uc;
};

static void *run_side(void *arg)
{
	struct side *s = arg;
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(s->cpu, &set);
	s->r = sched_setaffinity(0, sizeof(set), &set) ? -errno : 0;
	if (s->r)
		return NULL;
	s->in_run = 1;
	s->r = vcpu_run(s->vcpu);
	s->in_run = 0;
	s->ran_on = sched_getcpu();
	if (!s->r)
		vcpu_get_ucall(s->vcpu, &s->uc);
	return NULL;
}

static uint64_t count(struct side *s)
{
	return *(volatile uint64_t *)&GUEST_VAR(s->vm, g_count);
}

TEST(concurrent)
{
	static const uint64_t seed[2] = { 0x1111, 0x2222222222ULL };
	struct side s[2] = { { .cpu = -1 }, { .cpu = -1 } };
	uint64_t c0[2], c1[2], x, n;
	cpu_set_t allowed;
	pthread_t t[2];
	int i, w, cpu;

	ASSERT_EQ(0, sched_getaffinity(0, sizeof(allowed), &allowed));
	for (i = 0, cpu = 0; cpu < CPU_SETSIZE && i < 2; cpu++)
		if (CPU_ISSET(cpu, &allowed))
			s[i++].cpu = cpu;
	if (i < 2)
		SKIP(return, "one CPU only");
	for (i = 0; i < 2; i++) {
		s[i].vm = vm_create_guest(guest_count, &s[i].vcpu);
		REQUIRE_VM(s[i].vm);
		vcpu_set_args(s[i].vcpu, 1, seed[i]);
	}
	for (i = 0; i < 2; i++)
		ASSERT_EQ(0, pthread_create(&t[i], NULL, run_side, &s[i]));
	/* Both under way. */
	for (w = 0; w < 10000 && (!count(&s[0]) || !count(&s[1])); w++)
		usleep(1000);
	ASSERT_NE(0ULL, count(&s[0]));
	ASSERT_NE(0ULL, count(&s[1]));
	/* Five windows: in each, both count, and neither has left its run. */
	for (w = 0; w < 5; w++) {
		c0[0] = count(&s[0]);
		c0[1] = count(&s[1]);
		usleep(50 * 1000);
		c1[0] = count(&s[0]);
		c1[1] = count(&s[1]);
		EXPECT_GT(c1[0], c0[0]) TH_LOG("window %d: VM 0 stood still", w);
		EXPECT_GT(c1[1], c0[1]) TH_LOG("window %d: VM 1 stood still", w);
		EXPECT_TRUE(s[0].in_run && s[1].in_run);
	}
	TH_LOG("counts %lu and %lu", (unsigned long)c1[0], (unsigned long)c1[1]);
	for (i = 0; i < 2; i++)
		GUEST_VAR(s[i].vm, g_stop) = 1;
	for (i = 0; i < 2; i++) {
		pthread_join(t[i], NULL);
		ASSERT_EQ(0, s[i].r) TH_LOG("VM %d: %s", i, strerror(-s[i].r));
		ASSERT_EQ((uint64_t)UCALL_SYNC, s[i].uc.cmd) TH_LOG("VM %d: exit %s", i,
			  exit_reason_str(s[i].vcpu->run->exit_reason));
		EXPECT_EQ(s[i].cpu, s[i].ran_on);
		/* Its own count, and its own seed stepped exactly that often. */
		EXPECT_EQ(count(&s[i]), s[i].uc.args[0]);
		for (x = seed[i], n = 0; n < s[i].uc.args[0]; n++)
			x = lcg(x);
		EXPECT_EQ(x, s[i].uc.args[1]) TH_LOG("VM %d", i);
		vm_free(s[i].vm);
	}
}

TEST_HARNESS_MAIN
