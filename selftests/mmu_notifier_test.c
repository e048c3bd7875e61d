// SPDX-License-Identifier: GPL-2.0
/*
 * Guest and VMM see the same bytes whatever the VMM does to the memory
 * behind a slot: MADV_DONTNEED (zeroes on both sides), munmap and a new
 * mapping at the same address (its contents), mremap moving the memory
 * away (KVMINI_RUN fails with EFAULT until something is mapped there
 * again), mprotect (read-only: loads work, stores fail), fork (copy on
 * write: the child keeps the old bytes whoever writes first), the slot
 * deleted while another thread's vCPU runs a loop over it (the vCPU
 * exits, the kernel stays whole), and zaps and forks while the guest
 * writes (afterwards its stores land where the VMM looks).
 */
#include <pthread.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>

#include "kvmini_util.h"
#include "kvmini_vm.h"
#include "kselftest_harness.h"

#define GPA	0x100000000ULL	/* slot 1, mapped at GVA GVA */
#define GVA	0x40000000ULL
#define SIZE	(2ULL << 20)
#define OFF_P	(5 * 4096 + 8)	/* two qwords the guest accesses */
#define OFF_Q	(9 * 4096 + 16)

/* Each run: store g_val to *p (g_store bit 0), ~g_val to *q (bit 1); report both. */
static uint64_t g_val, g_store;
#define P	1
#define Q	2

static void guest_rw(uint64_t *p, uint64_t *q)
{
	for (;;) {
		uint64_t store = *(volatile uint64_t *)&g_store;

		if (store & P)
			*(volatile uint64_t *)p = g_val;
		if (store & Q)
			*(volatile uint64_t *)q = ~g_val;
		GUEST_SYNC4(*(volatile uint64_t *)p, *(volatile uint64_t *)q, 0, 0);
	}
}

FIXTURE(mn) {
	struct kvmini_vm *vm;
	struct kvmini_vcpu *vcpu;
	char *hva;
	uint64_t *p, *q;
};

FIXTURE_SETUP(mn)
{
	self->vm = vm_create_guest(guest_rw, &self->vcpu);
	REQUIRE_VM_SETUP(self->vm);
	self->hva = vm_add_mem(self->vm, 1, GPA, SIZE);
	vm_map(self->vm, GVA, GPA, SIZE);
	vcpu_set_args(self->vcpu, 2, GVA + OFF_P, GVA + OFF_Q);
	self->p = (uint64_t *)(self->hva + OFF_P);
	self->q = (uint64_t *)(self->hva + OFF_Q);
	*self->p = 0x1111;
	*self->q = 0x2222;
}

FIXTURE_TEARDOWN(mn)
{
	vm_free(self->vm);
}

/* One run: the guest stores @v / ~@v as @store says, then reports *p and *q. */
static void guest_step(struct __test_metadata *_metadata, FIXTURE_DATA(mn) *self,
		       uint64_t store, uint64_t v, uint64_t want_p, uint64_t want_q)
{
	struct ucall uc;

	GUEST_VAR(self->vm, g_store) = store;
	GUEST_VAR(self->vm, g_val) = v;
	ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(self->vcpu, &uc));
	EXPECT_EQ(want_p, uc.args[0]);
	EXPECT_EQ(want_q, uc.args[1]);
}

TEST_F(mn, dontneed)
{
	guest_step(_metadata, self, 0, 0, 0x1111, 0x2222);	/* maps both */
	guest_step(_metadata, self, P | Q, 0x3333, 0x3333, ~0x3333ULL);
	EXPECT_EQ(0x3333ULL, *self->p);
	ASSERT_EQ(0, madvise(self->hva, SIZE, MADV_DONTNEED));
	EXPECT_EQ(0ULL, *self->p);
	/* The guest sees the zeroes, not the pages it had. */
	guest_step(_metadata, self, 0, 0, 0, 0);
	guest_step(_metadata, self, P | Q, 0x4444, 0x4444, ~0x4444ULL);
	EXPECT_EQ(0x4444ULL, *self->p);
	EXPECT_EQ(~0x4444ULL, *self->q);
	/* Only part of it: q's page goes, p's stays. */
	ASSERT_EQ(0, madvise(self->hva + (OFF_Q & ~4095ULL), 4096, MADV_DONTNEED));
	guest_step(_metadata, self, 0, 0, 0x4444, 0);
}

TEST_F(mn, remap_same_address)
{
	int fd = memfd_create("mn", 0);
	uint64_t v = 0x5555;
	char *m;

	guest_step(_metadata, self, P | Q, 0x1234, 0x1234, ~0x1234ULL);
	ASSERT_GE(fd, 0);
	ASSERT_EQ(0, ftruncate(fd, SIZE));
	ASSERT_EQ((ssize_t)sizeof(v), pwrite(fd, &v, sizeof(v), OFF_P));
	ASSERT_EQ(0, munmap(self->hva, SIZE));
	m = mmap(self->hva, SIZE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, fd, 0);
	ASSERT_EQ(self->hva, m);
	/* The new mapping's contents, both ways. */
	guest_step(_metadata, self, 0, 0, 0x5555, 0);
	guest_step(_metadata, self, P | Q, 0x6666, 0x6666, ~0x6666ULL);
	ASSERT_EQ((ssize_t)sizeof(v), pread(fd, &v, sizeof(v), OFF_P));
	EXPECT_EQ(0x6666ULL, v);
	EXPECT_EQ(~0x6666ULL, *self->q);
	close(fd);
}

TEST_F(mn, mremap_away)
{
	char *away = mmap(NULL, SIZE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0), *m;

	guest_step(_metadata, self, P | Q, 0x7777, 0x7777, ~0x7777ULL);
	ASSERT_NE(MAP_FAILED, away);
	m = mremap(self->hva, SIZE, SIZE, MREMAP_MAYMOVE | MREMAP_FIXED, away);
	ASSERT_EQ(away, m);
	/* Nothing at the slot's address: the run fails, and again. */
	GUEST_VAR(self->vm, g_store) = 0;
	EXPECT_EQ(-EFAULT, vcpu_run(self->vcpu));
	EXPECT_EQ(-EFAULT, vcpu_run(self->vcpu));
	/* The guest's stores moved with the memory. */
	EXPECT_EQ(0x7777ULL, *(uint64_t *)(away + OFF_P));
	EXPECT_EQ(~0x7777ULL, *(uint64_t *)(away + OFF_Q));
	/* New memory there: the guest sees it, and only it. */
	m = mmap(self->hva, SIZE, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	ASSERT_EQ(self->hva, m);
	*self->p = 0x8888;
	guest_step(_metadata, self, 0, 0, 0x8888, 0);
	guest_step(_metadata, self, P | Q, 0x9999, 0x9999, ~0x9999ULL);
	EXPECT_EQ(0x9999ULL, *self->p);
	EXPECT_EQ(0x7777ULL, *(uint64_t *)(away + OFF_P));
	munmap(away, SIZE);
}

/* Read-only: the guest's loads work, its stores fail; PROT_NONE: loads too. */
TEST_F(mn, mprotect)
{
	guest_step(_metadata, self, P | Q, 0x1357, 0x1357, ~0x1357ULL);
	ASSERT_EQ(0, mprotect(self->hva, SIZE, PROT_READ));
	guest_step(_metadata, self, 0, 0, 0x1357, ~0x1357ULL);
	ASSERT_EQ(0, mprotect(self->hva, SIZE, PROT_NONE));
	EXPECT_EQ(-EFAULT, vcpu_run(self->vcpu));
	ASSERT_EQ(0, mprotect(self->hva, SIZE, PROT_READ));
	guest_step(_metadata, self, 0, 0, 0x1357, ~0x1357ULL);	/* the load again */
	GUEST_VAR(self->vm, g_store) = P;
	GUEST_VAR(self->vm, g_val) = 0x2468;
	EXPECT_EQ(-EFAULT, vcpu_run(self->vcpu));
	EXPECT_EQ(0x1357ULL, *self->p);
	ASSERT_EQ(0, mprotect(self->hva, SIZE, PROT_READ | PROT_WRITE));
	guest_step(_metadata, self, P, 0x2468, 0x2468, ~0x1357ULL);	/* the store again */
	EXPECT_EQ(0x2468ULL, *self->p);
}

/* After fork the child keeps the old bytes, whoever writes first. */
TEST_F(mn, fork_cow)
{
	int go[2], back[2], status;
	uint64_t child[2];
	pid_t pid;

	guest_step(_metadata, self, P | Q, 0xaaaa, 0xaaaa, ~0xaaaaULL);
	ASSERT_EQ(0, pipe(go));
	ASSERT_EQ(0, pipe(back));
	pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		char c;

		if (read(go[0], &c, 1) != 1)
			_exit(2);
		child[0] = *self->p;
		child[1] = *self->q;
		_exit(write(back[1], child, sizeof(child)) == sizeof(child) ? 0 : 3);
	}
	/* Shared until someone writes: the guest reads what it wrote. */
	guest_step(_metadata, self, 0, 0, 0xaaaa, ~0xaaaaULL);
	/* q: the VMM writes first; p: the guest. */
	*self->q = 0xbbbb;
	guest_step(_metadata, self, P, 0xcccc, 0xcccc, 0xbbbb);
	EXPECT_EQ(0xccccULL, *self->p);
	*self->p = 0xdddd;
	guest_step(_metadata, self, 0, 0, 0xdddd, 0xbbbb);

	ASSERT_EQ(1, write(go[1], "x", 1));
	ASSERT_EQ((ssize_t)sizeof(child), read(back[0], child, sizeof(child)));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_EQ(0, status);
	EXPECT_EQ(0xaaaaULL, child[0]);
	EXPECT_EQ(~0xaaaaULL, child[1]);
}

/* A loop over the slot's memory, no exits of its own. */
static void guest_loop(uint64_t *ctr)
{
	for (;;) {
		uint64_t v = *(volatile uint64_t *)ctr;

		*(volatile uint64_t *)ctr = v + 1;
	}
}

struct runner {
	struct kvmini_vcpu *vcpu;
	int r;
	volatile int done;
};

static void *run_vcpu(void *arg)
{
	struct runner *rn = arg;

	rn->r = vcpu_run(rn->vcpu);
	rn->done = 1;
	return NULL;
}

static void on_usr1(int sig)
{
}

/* Wait up to @secs for *@p to become non-zero. */
static bool wait_for(volatile int *p, int secs)
{
	int i;

	for (i = 0; i < secs * 1000 && !*p; i++)
		usleep(1000);
	return *p;
}

TEST_F(mn, delete_slot_while_running)
{
	volatile uint64_t *ctr = self->p;
	struct kvmini_run *run = self->vcpu->run;
	struct sigaction sa = { .sa_handler = on_usr1 };
	struct runner rn = { .vcpu = self->vcpu };
	uint64_t start, seen;
	pthread_t t;
	int i, j;

	sigaction(SIGUSR1, &sa, NULL);
	for (i = 0; i < 5; i++) {
		vcpu_setup_long_mode(self->vcpu, guest_loop);
		vcpu_set_args(self->vcpu, 1, GVA + OFF_P);
		rn.done = 0;
		start = *ctr;
		ASSERT_EQ(0, pthread_create(&t, NULL, run_vcpu, &rn));
		for (j = 0; j < 10000 && *ctr - start < 1000; j++)
			usleep(1000);
		EXPECT_GE(*ctr - start, 1000ULL) TH_LOG("round %d: the guest does not count", i);
		ASSERT_EQ(0, vm_set_region(self->vm, 1, 0, GPA, 0, self->hva));
		if (!wait_for(&rn.done, 10)) {
			pthread_kill(t, SIGUSR1);
			pthread_join(t, NULL);
			ASSERT_TRUE(0) TH_LOG("round %d: the vCPU runs on without its slot", i);
		}
		pthread_join(t, NULL);
		ASSERT_EQ(0, rn.r) TH_LOG("round %d: KVMINI_RUN: %s", i, strerror(-rn.r));
		/* The load or the store, emulated as MMIO now. */
		ASSERT_EQ(KVMINI_EXIT_MMIO, (int)run->exit_reason)
			TH_LOG("exit %s", exit_reason_str(run->exit_reason));
		EXPECT_EQ(GPA + OFF_P, run->mmio.phys_addr);
		EXPECT_EQ(8U, run->mmio.len);
		/* Nobody writes the memory any more. */
		seen = *ctr;
		usleep(20 * 1000);
		EXPECT_EQ(seen, *ctr);
		/* Back, and the pending access finished before starting over. */
		ASSERT_EQ(0, vm_set_region(self->vm, 1, 0, GPA, SIZE, self->hva));
		run->immediate_exit = 1;
		EXPECT_EQ(-EINTR, vcpu_run(self->vcpu));
		run->immediate_exit = 0;
	}
	/* The guest sees exactly the count it left. */
	vcpu_setup_long_mode(self->vcpu, guest_rw);
	vcpu_set_args(self->vcpu, 2, GVA + OFF_P, GVA + OFF_Q);
	guest_step(_metadata, self, 0, 0, *ctr, 0x2222);
}

/* Stamp every page of the slot with the round number, round after round. */
#define NPAGES	64

static void guest_sweep(uint64_t *base)
{
	uint64_t round, i;

	for (round = 1; ; round++) {
		for (i = 0; i < NPAGES; i++)
			*(volatile uint64_t *)&base[i * 512] = round;
		GUEST_SYNC(round);
	}
}

struct sweeper {
	struct kvmini_vcpu *vcpu;
	volatile int rounds, stop;
	int err;
};

static void *run_sweep(void *arg)
{
	struct sweeper *sw = arg;
	struct ucall uc;

	while (!sw->stop) {
		if (vcpu_run_ucall(sw->vcpu, &uc) != UCALL_SYNC || uc.args[0] != sw->rounds + 1ULL) {
			sw->err = 1;
			break;
		}
		sw->rounds++;
	}
	return NULL;
}

/* Zaps and forks while the guest writes: afterwards its stores land in our pages. */
TEST_F(mn, zap_and_fork_while_running)
{
	struct sweeper sw = { .vcpu = self->vcpu };
	int zaps = 0, i, status;
	struct ucall uc;
	pthread_t t;
	pid_t pid;

	vcpu_setup_long_mode(self->vcpu, guest_sweep);
	vcpu_set_args(self->vcpu, 1, GVA);
	ASSERT_EQ(0, pthread_create(&t, NULL, run_sweep, &sw));
	while ((sw.rounds < 100 || zaps < 100) && !sw.err) {
		ASSERT_EQ(0, madvise(self->hva + (zaps % 2) * NPAGES / 2 * 4096,
				     NPAGES / 2 * 4096, MADV_DONTNEED));
		if (++zaps % 8 == 0) {
			pid = fork();
			if (pid == 0)
				_exit(0);
			ASSERT_EQ(pid, waitpid(pid, &status, 0));
		}
		usleep(500);
	}
	sw.stop = 1;
	pthread_join(t, NULL);
	ASSERT_EQ(0, sw.err) TH_LOG("round %d: unexpected exit", sw.rounds + 1);
	TH_LOG("%d rounds, %d zaps, %d forks", sw.rounds, zaps, zaps / 8);
	/* One more round, nobody interfering: every page has it. */
	ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(self->vcpu, &uc));
	ASSERT_EQ(sw.rounds + 1ULL, uc.args[0]);
	for (i = 0; i < NPAGES; i++)
		EXPECT_EQ(uc.args[0], ((uint64_t *)self->hva)[i * 512]) TH_LOG("page %d", i);
}

TEST_HARNESS_MAIN
