// SPDX-License-Identifier: GPL-2.0
/*
 * KVMINI_CREATE_VCPU and its fd. A creation that fails for want of an fd
 * (EMFILE) leaves no trace: the id is free, the VM still has no vCPU (as
 * KVM: SET_IDENTITY_MAP_ADDR still works). A vCPU whose fd another thread
 * closes as soon as it exists stays the VM's (EEXIST for its id, as KVM),
 * while vCPU 0 runs and a third thread keeps the MMU notifier zapping what
 * it maps, so TLB flushes go to every vCPU the VM has, all along.
 */
#include <pthread.h>
#include <sys/mman.h>
#include <sys/resource.h>

#include "kvmini_util.h"
#include "kvmini_vm.h"
#include "kselftest_harness.h"

#define NR_VCPUS	32
#define SCRATCH		(64 * 4096UL)
#define SCRATCH_GPA	(1ULL << 32)
#define SCRATCH_GVA	0x40000000ULL

/* The number the next new fd gets. */
static int lowest_free_fd(void)
{
	int fd = open("/dev/null", O_RDONLY);

	if (fd >= 0)
		close(fd);
	return fd;
}

static int create_vcpu(struct kvmini_vm *vm, unsigned long id)
{
	return ioctl_err(vm->fd, KVMINI_CREATE_VCPU, id);
}

TEST(emfile)
{
	struct kvmini_vm *vm = vm_create();
	struct rlimit old, rl;
	uint64_t addr = 0xfffbc000;
	int fd;

	REQUIRE_VM(vm);
	ASSERT_EQ(0, getrlimit(RLIMIT_NOFILE, &old));
	/* No fd number left: the lowest free one is the limit. */
	fd = lowest_free_fd();
	ASSERT_GE(fd, 0);
	rl = old;
	rl.rlim_cur = fd;
	ASSERT_EQ(0, setrlimit(RLIMIT_NOFILE, &rl));
	EXPECT_EQ(-EMFILE, create_vcpu(vm, 3));
	ASSERT_EQ(0, setrlimit(RLIMIT_NOFILE, &old));
	/* As before the attempt: no vCPU (the map address can still be set). */
	EXPECT_EQ(0, ioctl_err(vm->fd, KVMINI_SET_IDENTITY_MAP_ADDR, (unsigned long)&addr));
	fd = create_vcpu(vm, 3);
	EXPECT_GE(fd, 0);
	EXPECT_EQ(-EINVAL, ioctl_err(vm->fd, KVMINI_SET_IDENTITY_MAP_ADDR,
				     (unsigned long)&addr));
	close(fd);
	EXPECT_EQ(-EEXIST, create_vcpu(vm, 3));
	vm_free(vm);
}

static volatile int stop, target = -1;
static uint64_t g_stop;

/* vCPU 0: read every scratch page, again and again, until told to stop. */
static void guest_reader(void)
{
	uint64_t sum = 0, i, rounds = 0;

	while (!*(volatile uint64_t *)&g_stop) {
		for (i = 0; i < SCRATCH; i += 4096)
			sum += *(volatile uint8_t *)(SCRATCH_GVA + i);
		rounds++;
	}
	GUEST_SYNC4(rounds, sum, 0, 0);
}

/*
 * The guest spins without exits: IF=1, so that host interrupts reach the
 * host on the Intel test host too (Bochs loses them for IF=0 guests, and
 * KVM, with no backstop, would freeze its only CPU).
 */
static void vcpu_allow_intr(struct kvmini_vcpu *vcpu)
{
	struct kvmini_regs regs;

	vcpu_ioctl(vcpu, KVMINI_GET_REGS, &regs);
	regs.rflags |= 1ULL << 9;
	vcpu_ioctl(vcpu, KVMINI_SET_REGS, &regs);
}

/* Close the next vCPU's fd (the number the main thread announced) at once. */
static void *closer(void *arg)
{
	int *closed = arg, fd;

	while (!stop) {
		fd = target;
		if (fd >= 0 && !close(fd) && __sync_bool_compare_and_swap(&target, fd, -1))
			(*closed)++;
	}
	return NULL;
}

/* Keep zapping what vCPU 0 maps: MMU notifier, TLB flushes of every vCPU. */
static void *invalidator(void *arg)
{
	char *mem = arg;
	long n = 0;

	while (!stop) {
		memset(mem, 0x5a, SCRATCH);
		madvise(mem, SCRATCH, MADV_DONTNEED);
		n++;
	}
	return (void *)n;
}

static void *runner(void *arg)
{
	return (void *)(long)vcpu_run(arg);
}

TEST(closed_at_once)
{
	struct kvmini_vcpu *vcpu;
	struct kvmini_vm *vm = vm_create_guest(guest_reader, &vcpu);
	int i, ms, fd, fds[NR_VCPUS], closed = 0;
	void *zaps, *r;
	pthread_t t[3];
	struct ucall uc;
	char *scratch;

	REQUIRE_VM(vm);
	scratch = vm_add_mem(vm, 1, SCRATCH_GPA, SCRATCH);
	vm_map(vm, SCRATCH_GVA, SCRATCH_GPA, SCRATCH);
	vcpu_allow_intr(vcpu);
	ASSERT_EQ(0, pthread_create(&t[0], NULL, runner, vcpu));
	ASSERT_EQ(0, pthread_create(&t[1], NULL, closer, &closed));
	ASSERT_EQ(0, pthread_create(&t[2], NULL, invalidator, scratch));
	for (i = 1; i < NR_VCPUS; i++) {
		fd = lowest_free_fd();	/* the vCPU's, to be */
		ASSERT_GE(fd, 0);
		target = fd;
		fds[i] = create_vcpu(vm, i);
		ASSERT_GE(fds[i], 0) TH_LOG("vCPU %d: %s", i, strerror(-fds[i]));
		/* Let the closer get it (not asserted: it may lose the race). */
		for (ms = 0; ms < 100 && target >= 0; ms++)
			usleep(1000);
		target = -1;
	}
	usleep(100 * 1000);
	stop = 1;
	pthread_join(t[1], NULL);
	pthread_join(t[2], &zaps);
	GUEST_VAR(vm, g_stop) = 1;
	pthread_join(t[0], &r);
	ASSERT_EQ(0L, (long)r);
	ASSERT_EQ(UCALL_SYNC, vcpu_get_ucall(vcpu, &uc));
	TH_LOG("%d vCPUs created, %d of their fds closed at once; %ld invalidations, %lu guest rounds",
	       NR_VCPUS - 1, closed, (long)zaps, (unsigned long)uc.args[0]);
	EXPECT_GT(uc.args[0], 0ULL);
	/* Each stays the VM's, whatever became of its fd. */
	for (i = 0; i < NR_VCPUS; i++)
		EXPECT_EQ(-EEXIST, create_vcpu(vm, i));
	/* Only vCPU fds were opened since: closing them again is harmless. */
	for (i = 1; i < NR_VCPUS; i++)
		close(fds[i]);
	vm_free(vm);
}

TEST_HARNESS_MAIN
