// SPDX-License-Identifier: GPL-2.0
/*
 * KVMINI_RUN and signals: a pending signal (unblocked for the run by
 * KVMINI_SET_SIGNAL_MASK) makes it return -EINTR with KVMINI_EXIT_INTR
 * before the guest runs; immediate_exit does the same and leaves
 * exit_reason alone; a timer signal interrupts a spinning guest, which
 * goes on where it was; SIGKILL ends a process spinning in a guest.
 */
#include <signal.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>

#include "kvmini_util.h"
#include "kvmini_vm.h"
#include "kselftest_harness.h"

static uint64_t g_count;

static void guest_spin(void)
{
	GUEST_SYNC(0);
	for (;;)
		(*(volatile uint64_t *)&g_count)++;
}

static volatile sig_atomic_t got_signal;

static void handler(int sig)
{
	got_signal = sig;
}

static void set_handler(int sig)
{
	struct sigaction sa = { .sa_handler = handler };	/* no SA_RESTART */

	sigaction(sig, &sa, NULL);
}

TEST(pending_signal)
{
	struct kvmini_vcpu *vcpu;
	struct kvmini_vm *vm = vm_create_guest(guest_spin, &vcpu);
	struct { struct kvmini_signal_mask m; sigset_t pad; } none = { .m.len = 4 };
	struct kvmini_regs before, after;
	struct ucall uc;
	sigset_t usr1;
	int sig;

	REQUIRE_VM(vm);
	set_handler(SIGUSR1);
	sigemptyset(&usr1);
	sigaddset(&usr1, SIGUSR1);
	ASSERT_EQ(0, sigprocmask(SIG_BLOCK, &usr1, NULL));
	raise(SIGUSR1);
	/* The mask during KVMINI_RUN: a kernel sigset is 8 bytes. */
	EXPECT_EQ(-EINVAL, ioctl_err(vcpu->fd, KVMINI_SET_SIGNAL_MASK, (unsigned long)&none));
	none.m.len = 8;
	ASSERT_EQ(0, ioctl_err(vcpu->fd, KVMINI_SET_SIGNAL_MASK, (unsigned long)&none));

	vcpu_ioctl(vcpu, KVMINI_GET_REGS, &before);
	EXPECT_EQ(-EINTR, vcpu_run(vcpu));
	EXPECT_EQ(KVMINI_EXIT_INTR, (int)vcpu->run->exit_reason);
	vcpu_ioctl(vcpu, KVMINI_GET_REGS, &after);
	EXPECT_EQ(before.rip, after.rip);		/* the guest did not run */
	EXPECT_EQ(0, got_signal);			/* blocked again outside */
	ASSERT_EQ(0, sigwait(&usr1, &sig));
	/* Nothing pending any more: the guest runs. */
	ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, &uc));
	vm_free(vm);
}

TEST(immediate_exit)
{
	struct kvmini_vcpu *vcpu;
	struct kvmini_vm *vm = vm_create_guest(guest_spin, &vcpu);
	struct kvmini_regs before, after;
	struct ucall uc;

	REQUIRE_VM(vm);
	vcpu->run->immediate_exit = 1;
	vcpu_ioctl(vcpu, KVMINI_GET_REGS, &before);
	EXPECT_EQ(-EINTR, vcpu_run(vcpu));
	vcpu_ioctl(vcpu, KVMINI_GET_REGS, &after);
	EXPECT_EQ(before.rip, after.rip);
	vcpu->run->immediate_exit = 0;
	ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, &uc));
	/* exit_reason is not touched: still the last exit's. */
	vcpu->run->immediate_exit = 1;
	EXPECT_EQ(-EINTR, vcpu_run(vcpu));
	EXPECT_EQ(KVMINI_EXIT_IO, (int)vcpu->run->exit_reason);
	EXPECT_EQ(0ULL, GUEST_VAR(vm, g_count));
	vm_free(vm);
}

TEST(timer_interrupts_guest)
{
	struct itimerval it = { .it_value.tv_usec = 100 * 1000 };
	struct kvmini_vcpu *vcpu;
	struct kvmini_vm *vm = vm_create_guest(guest_spin, &vcpu);
	struct ucall uc;
	uint64_t count;

	REQUIRE_VM(vm);
	set_handler(SIGALRM);
	ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, &uc));
	ASSERT_EQ(0, setitimer(ITIMER_REAL, &it, NULL));
	EXPECT_EQ(-EINTR, vcpu_run(vcpu));
	EXPECT_EQ(KVMINI_EXIT_INTR, (int)vcpu->run->exit_reason);
	EXPECT_EQ(SIGALRM, got_signal);
	count = GUEST_VAR(vm, g_count);
	EXPECT_GT(count, 0ULL);
	/* It goes on counting from where it was. */
	got_signal = 0;
	ASSERT_EQ(0, setitimer(ITIMER_REAL, &it, NULL));
	EXPECT_EQ(-EINTR, vcpu_run(vcpu));
	EXPECT_EQ(KVMINI_EXIT_INTR, (int)vcpu->run->exit_reason);
	EXPECT_EQ(SIGALRM, got_signal);
	EXPECT_GT(GUEST_VAR(vm, g_count), count);
	vm_free(vm);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

TEST(sigkill)
{
	int fds[2], status = 0;
	double t0;
	pid_t pid;
	char c;

	ASSERT_EQ(0, pipe(fds));
	pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		struct kvmini_vcpu *vcpu;
		struct kvmini_vm *vm = vm_create_guest(guest_spin, &vcpu);
		struct ucall uc;

		if (!vm)
			_exit(KSFT_SKIP);
		vcpu_run_ucall(vcpu, &uc);
		if (write(fds[1], "x", 1) != 1)
			_exit(1);
		vcpu_run(vcpu);
		_exit(2);		/* never: the guest spins */
	}
	close(fds[1]);
	if (read(fds[0], &c, 1) != 1) {
		waitpid(pid, &status, 0);
		if (WIFEXITED(status) && WEXITSTATUS(status) == KSFT_SKIP)
			SKIP(return, "%s: cannot open", kvmini_dev_path());
		ASSERT_TRUE(0) TH_LOG("child failed: status %#x", status);
	}
	usleep(100 * 1000);
	t0 = now();
	ASSERT_EQ(0, kill(pid, SIGKILL));
	while (waitpid(pid, &status, WNOHANG) == 0 && now() - t0 < 2)
		usleep(10 * 1000);
	TH_LOG("gone after %.3f s", now() - t0);
	ASSERT_TRUE(WIFSIGNALED(status));
	EXPECT_EQ(SIGKILL, WTERMSIG(status));
	EXPECT_LT(now() - t0, 2);
}

TEST_HARNESS_MAIN
