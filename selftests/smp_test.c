// SPDX-License-Identifier: GPL-2.0
/*
 * Several vCPUs of one VM, each on its own thread, with the interrupt
 * controller in userspace as a VMM has it without an in-kernel irqchip:
 * IPIs through an emulated ICR port (kick: signal + run->immediate_exit,
 * injection with KVMINI_INTERRUPT at an interrupt window), INIT/SIPI
 * bring-up of APs done by the VMM, kick latency, and 256 vCPUs in one VM.
 */
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>

#include "kvmini_util.h"
#include "kvmini_vm.h"
#include "kselftest_harness.h"

#define NCPU		4
#define ROUNDS		200
#define ICR_PORT	0x90	/* OUT: target << 24 | mode << 8 | vector */
#define ID_PORT		0x91
#define IPI_VEC		0x40	/* + target */
#define SIPI_VEC	0x08	/* AP code at 0x8000 */
#define AP_COUNT	0x9000	/* real-mode counter of the APs */

static void outl(uint16_t port, uint32_t v)
{
	asm volatile("outl %0, %w1" : : "a"(v), "Nd"(port) : "memory");
}

/* Guest state. */
uint64_t ipi_recv[NCPU], work[NCPU], ipi_if0[NCPU];

/*
 * Interrupt gates (no IST: one IST stack cannot serve 4 vCPUs) for 0x40+i.
 * The VMM injects only at open windows, so no IPI may interrupt IF=0 code.
 */
extern char ipi_stubs[];
asm(".pushsection .text\n"
    ".align 32\n"
    "ipi_stubs:\n"
    "n = 0\n"
    ".rept 4\n"
    "	.align 32\n"
    "	testl $0x200, 16(%rsp)\n"	/* the interrupted RFLAGS.IF */
    "	jnz 1f\n"
    "	lock incq ipi_if0 + 8 * n(%rip)\n"
    "1:	lock incq ipi_recv + 8 * n(%rip)\n"
    "	iretq\n"
    "	n = n + 1\n"
    ".endr\n"
    ".popsection\n");

static void guest_ipi(uint64_t id)
{
	uint64_t i, k, to = (id + 1) % NCPU;

	for (i = 0; i < ROUNDS; i++) {
		for (k = 0; k < 100; k++)
			work[id] += k;
		outl(ICR_PORT, to << 24 | (IPI_VEC + to));
		/* IF=1 only here, the red zone stepped over. */
		while (*(volatile uint64_t *)&ipi_recv[id] < i + 1)
			asm volatile("sub $128, %%rsp; sti; nop; cli; add $128, %%rsp"
				     ::: "memory");
	}
	GUEST_ASSERT_EQ(ROUNDS, ipi_recv[id]);
}

struct cpu {
	struct kvmini_vcpu *vcpu;
	pthread_t thread;
	atomic_int pending;		/* IPIs to inject */
	atomic_int bad_vector;
	int injected, sent, kicks;
};
static struct cpu cpus[NCPU];
static pthread_barrier_t start;

static void empty_handler(int sig) {}

static void kick(struct cpu *c)
{
	c->vcpu->run->immediate_exit = 1;
	atomic_thread_fence(memory_order_seq_cst);
	pthread_kill(c->thread, SIGUSR1);
}

static void *ipi_thread(void *arg)
{
	struct cpu *c = arg;
	struct kvmini_run *run = c->vcpu->run;
	struct ucall uc;
	int r;

	pthread_barrier_wait(&start);	/* every thread id known to kick() */
	for (;;) {
		run->immediate_exit = 0;
		atomic_thread_fence(memory_order_seq_cst);
		run->request_interrupt_window = atomic_load(&c->pending) > 0;
		r = vcpu_run(c->vcpu);
		if (r == -EINTR) {
			c->kicks++;
			continue;
		}
		if (r)
			LIB_FAIL("KVMINI_RUN: %s", strerror(-r));
		if (run->exit_reason == KVMINI_EXIT_IO && run->io.port == ICR_PORT) {
			uint32_t icr = *(uint32_t *)vcpu_io_data(c->vcpu);
			struct cpu *t = &cpus[(icr >> 24) % NCPU];

			if ((icr & 0xff) != IPI_VEC + (t - cpus))
				atomic_fetch_add(&t->bad_vector, 1);
			c->sent++;
			atomic_fetch_add(&t->pending, 1);
			kick(t);
			continue;
		}
		if (run->exit_reason == KVMINI_EXIT_IRQ_WINDOW_OPEN) {
			struct kvmini_interrupt irq = { .irq = IPI_VEC + (c - cpus) };

			if (!run->ready_for_interrupt_injection)
				LIB_FAIL("window open but not ready");
			vcpu_ioctl(c->vcpu, KVMINI_INTERRUPT, &irq);
			atomic_fetch_sub(&c->pending, 1);
			c->injected++;
			continue;
		}
		r = vcpu_get_ucall(c->vcpu, &uc);
		if (r == UCALL_DONE)
			return NULL;
		if (r == UCALL_ASSERT)
			LIB_FAIL("guest %d: %s:%lu: %s (%#lx, %#lx); VMM injected %d, %d kicks",
				 c->vcpu->id, uc.file, (unsigned long)uc.line, uc.expr,
				 (unsigned long)uc.args[0], (unsigned long)uc.args[1],
				 c->injected, c->kicks);
		LIB_FAIL("vCPU %d: exit %s", c->vcpu->id, exit_reason_str(run->exit_reason));
	}
}

TEST(ipi_ring)
{
	struct sigaction sa = { .sa_handler = empty_handler };
	struct kvmini_vcpu *vcpu0;
	struct kvmini_vm *vm = vm_create_guest(guest_ipi, &vcpu0);
	uint64_t sum = 0;
	int i, total = 0;

	REQUIRE_VM(vm);
	sigaction(SIGUSR1, &sa, NULL);
	for (i = 0; i < NCPU; i++) {
		idt_set_gate(vm_gpa2hva(vm, GUEST_IDT), IPI_VEC + i, (uintptr_t)ipi_stubs + 32 * i, 0);
		cpus[i].vcpu = i ? vcpu_add(vm, i) : vcpu0;
		if (i)
			vcpu_setup_long_mode(cpus[i].vcpu, guest_ipi);
		vcpu_set_args(cpus[i].vcpu, 1, (uint64_t)i);
	}
	pthread_barrier_init(&start, NULL, NCPU);
	for (i = 0; i < NCPU; i++)
		ASSERT_EQ(0, pthread_create(&cpus[i].thread, NULL, ipi_thread, &cpus[i]));
	for (i = 0; i < NCPU; i++)
		pthread_join(cpus[i].thread, NULL);
	for (i = 0; i < 100; i++)
		sum += i;
	for (i = 0; i < NCPU; i++) {
		EXPECT_EQ((uint64_t)ROUNDS, GUEST_VAR(vm, ipi_recv[i]));
		EXPECT_EQ(0ULL, GUEST_VAR(vm, ipi_if0[i]));
		EXPECT_EQ(ROUNDS * sum, GUEST_VAR(vm, work[i]));
		EXPECT_EQ(ROUNDS, cpus[i].sent);
		EXPECT_EQ(ROUNDS, cpus[i].injected);
		EXPECT_EQ(0, atomic_load(&cpus[i].pending));
		EXPECT_EQ(0, atomic_load(&cpus[i].bad_vector));
		total += cpus[i].injected;
		TH_LOG("vCPU %d: %d IPIs, %d kicks (EINTR)", i, cpus[i].injected, cpus[i].kicks);
	}
	EXPECT_EQ(NCPU * ROUNDS, total);
	vm_free(vm);
}

/* AP entry (SIPI vector 8: CS 0x0800, IP 0): report the APIC id of CPUID 1. */
extern char ap_code[], ap_code_end[];
asm(".pushsection .rodata\n"
    "ap_code:\n"
    ".code16\n"
    "	mov $1, %eax\n"
    "	cpuid\n"
    "	shr $24, %ebx\n"
    "	lock incw 0x9000\n"
    "	mov %bx, %ax\n"
    "	out %ax, $0x91\n"
    "	hlt\n"
    ".code64\n"
    "ap_code_end:\n"
    ".popsection\n");

static void guest_bsp(void)
{
	uint32_t t;

	for (t = 1; t < NCPU; t++) {
		outl(ICR_PORT, t << 24 | 5 << 8);		/* INIT */
		outl(ICR_PORT, t << 24 | 6 << 8 | SIPI_VEC);	/* SIPI */
	}
	while (*(volatile uint16_t *)AP_COUNT < NCPU - 1)
		asm volatile("pause");
	GUEST_SYNC(*(volatile uint16_t *)AP_COUNT);
}

static void *ap_thread(void *arg)
{
	struct kvmini_vcpu *vcpu = arg;

	vcpu_run_expect(vcpu, KVMINI_EXIT_IO);
	if (vcpu->run->io.port != ID_PORT ||
	    *(uint16_t *)vcpu_io_data(vcpu) != vcpu->id)
		LIB_FAIL("AP %d: port %#x id %u", vcpu->id, vcpu->run->io.port,
			 *(uint16_t *)vcpu_io_data(vcpu));
	vcpu_run_expect(vcpu, KVMINI_EXIT_HLT);
	return NULL;
}

TEST(init_sipi)
{
	struct kvmini_vcpu *bsp, *ap[NCPU];
	struct kvmini_vm *vm = vm_create_guest(guest_bsp, &bsp);
	struct kvmini_mp_state mp = { .mp_state = KVMINI_MP_STATE_INIT_RECEIVED };
	struct kvmini_cpuid2 *cpuid;
	pthread_t th[NCPU];
	bool init[NCPU] = { 0 }, started[NCPU] = { 0 };
	struct ucall uc;
	uint32_t e;
	int i, n = 0;

	REQUIRE_VM(vm);
	vm_write(vm, GUEST_RAW_CODE, ap_code, ap_code_end - ap_code);
	cpuid = kvmini_supported_cpuid(vm);
	for (i = 1; i < NCPU; i++) {
		ap[i] = vcpu_add(vm, i);
		for (e = 0; e < cpuid->nent; e++)
			if (cpuid->entries[e].function == 1)
				cpuid->entries[e].ebx = (cpuid->entries[e].ebx & 0xffffff) | i << 24;
		vcpu_ioctl(ap[i], KVMINI_SET_CPUID2, cpuid);
		/* Without an in-kernel APIC only RUNNABLE exists. */
		EXPECT_EQ(-EINVAL, ioctl_err(ap[i]->fd, KVMINI_SET_MP_STATE, (unsigned long)&mp));
	}
	free(cpuid);
	for (;;) {
		ASSERT_EQ(0, vcpu_run(bsp));
		if (vcpu_get_ucall(bsp, &uc) == UCALL_SYNC)
			break;
		ASSERT_EQ(KVMINI_EXIT_IO, (int)bsp->run->exit_reason);
		ASSERT_EQ(ICR_PORT, bsp->run->io.port);
		e = *(uint32_t *)vcpu_io_data(bsp);
		i = e >> 24;
		ASSERT_TRUE(i > 0 && i < NCPU);
		if ((e >> 8 & 7) == 5) {
			init[i] = true;
		} else if ((e >> 8 & 7) == 6 && init[i] && !started[i]) {
			struct kvmini_sregs sregs;
			struct kvmini_regs regs;

			/* Like a SIPI: real mode, CS = vector << 8, base vector << 12, IP 0. */
			vcpu_ioctl(ap[i], KVMINI_GET_SREGS, &sregs);
			vcpu_ioctl(ap[i], KVMINI_GET_REGS, &regs);
			sregs.cs.selector = (e & 0xff) << 8;
			sregs.cs.base = (e & 0xff) << 12;
			regs.rip = 0;
			vcpu_ioctl(ap[i], KVMINI_SET_SREGS, &sregs);
			vcpu_ioctl(ap[i], KVMINI_SET_REGS, &regs);
			started[i] = true;
			ASSERT_EQ(0, pthread_create(&th[i], NULL, ap_thread, ap[i]));
			n++;
		}
	}
	EXPECT_EQ(NCPU - 1, n);
	EXPECT_EQ((uint64_t)NCPU - 1, uc.args[0]);
	for (i = 1; i < NCPU; i++) {
		if (started[i])
			pthread_join(th[i], NULL);
		ioctl(ap[i]->fd, KVMINI_GET_MP_STATE, &mp);
		EXPECT_EQ(KVMINI_MP_STATE_RUNNABLE, (int)mp.mp_state);
	}
	vm_free(vm);
}

uint64_t spin_count;

static void guest_spin(void)
{
	for (;;)
		(*(volatile uint64_t *)&spin_count)++;
}

#define KICKS 50
static atomic_int exited;
static struct timespec t_exit;

static void *spin_thread(void *arg)
{
	struct kvmini_vcpu *vcpu = arg;
	int i;

	for (i = 0; i < KICKS; i++) {
		while (atomic_load(&exited))	/* the kicker has read t_exit */
			;
		vcpu->run->immediate_exit = 0;
		if (vcpu_run(vcpu) != -EINTR || vcpu->run->exit_reason != KVMINI_EXIT_INTR)
			LIB_FAIL("kick %d: no -EINTR (exit %u)", i, vcpu->run->exit_reason);
		clock_gettime(CLOCK_MONOTONIC, &t_exit);
		atomic_store(&exited, 1);
	}
	return NULL;
}

static int cmp_u64(const void *a, const void *b)
{
	return *(uint64_t *)a < *(uint64_t *)b ? -1 : *(uint64_t *)a > *(uint64_t *)b;
}

/* Baseline: the same signal to a thread spinning in plain userspace. */
static atomic_int got_sig;

static void note_signal(int sig)
{
	clock_gettime(CLOCK_MONOTONIC, &t_exit);
	atomic_store(&got_sig, 1);
}

static void *user_spin_thread(void *arg)
{
	while (!atomic_load(&exited))
		;
	return NULL;
}

static uint64_t median_signal_latency(void)
{
	struct sigaction sa = { .sa_handler = note_signal };
	uint64_t lat[KICKS];
	struct timespec t0;
	pthread_t th;
	int i;

	sigaction(SIGUSR2, &sa, NULL);
	if (pthread_create(&th, NULL, user_spin_thread, NULL))
		return 0;
	for (i = 0; i < KICKS; i++) {
		usleep(1000);
		clock_gettime(CLOCK_MONOTONIC, &t0);
		pthread_kill(th, SIGUSR2);
		while (!atomic_load(&got_sig))
			;
		atomic_store(&got_sig, 0);
		lat[i] = (t_exit.tv_sec - t0.tv_sec) * 1000000000ULL + t_exit.tv_nsec - t0.tv_nsec;
	}
	atomic_store(&exited, 1);
	pthread_join(th, NULL);
	atomic_store(&exited, 0);
	qsort(lat, KICKS, sizeof(lat[0]), cmp_u64);
	return lat[KICKS / 2];
}

TEST(kick_latency)
{
	struct sigaction sa = { .sa_handler = empty_handler };
	struct kvmini_vcpu *vcpu;
	struct kvmini_vm *vm = vm_create_guest(guest_spin, &vcpu);
	volatile uint64_t *count;
	uint64_t lat[KICKS], c;
	struct timespec t0;
	pthread_t th;
	int i;

	REQUIRE_VM(vm);
	sigaction(SIGUSR1, &sa, NULL);
	count = &GUEST_VAR(vm, spin_count);
	ASSERT_EQ(0, pthread_create(&th, NULL, spin_thread, vcpu));
	for (i = 0; i < KICKS; i++) {
		c = *count;
		while (*count == c)	/* the guest is running */
			;
		clock_gettime(CLOCK_MONOTONIC, &t0);
		pthread_kill(th, SIGUSR1);
		while (!atomic_load(&exited))
			;
		lat[i] = (t_exit.tv_sec - t0.tv_sec) * 1000000000ULL + t_exit.tv_nsec - t0.tv_nsec;
		atomic_store(&exited, 0);
	}
	pthread_join(th, NULL);
	qsort(lat, KICKS, sizeof(lat[0]), cmp_u64);
	TH_LOG("%s: kick latency min %.1f median %.1f max %.1f us", kvmini_dev_path(),
	       lat[0] / 1e3, lat[KICKS / 2] / 1e3, lat[KICKS - 1] / 1e3);
	TH_LOG("baseline, a signal to a thread spinning outside any guest: median %.1f us",
	       median_signal_latency() / 1e3);
	EXPECT_LT(lat[KICKS - 1], 1000000000ULL);
	vm_free(vm);
}

#define MANY 256

TEST(many_vcpus)
{
	static const uint8_t code[] = { 0xe7, ID_PORT, 0xf4 };	/* out %ax, $0x91; hlt */
	struct kvmini_vm *vm = vm_create();
	struct kvmini_vcpu v[MANY];
	struct kvmini_regs regs;
	int i;

	REQUIRE_VM(vm);
	vm_add_mem(vm, 0, 0, 0x10000);
	vm_write(vm, GUEST_RAW_CODE, code, sizeof(code));
	EXPECT_GE(ioctl(vm->dev_fd, KVMINI_CHECK_EXTENSION, KVMINI_CAP_MAX_VCPUS), MANY);
	for (i = 0; i < MANY; i++) {
		v[i] = (struct kvmini_vcpu){ .vm = vm, .id = i };
		v[i].fd = vm_ioctl(vm, KVMINI_CREATE_VCPU, (unsigned long)i);
		v[i].run = mmap(NULL, vm->run_size, PROT_READ | PROT_WRITE, MAP_SHARED,
				v[i].fd, 0);
		ASSERT_NE(MAP_FAILED, v[i].run);
	}
	EXPECT_EQ(-EEXIST, ioctl_err(vm->fd, KVMINI_CREATE_VCPU, 7));
	for (i = 0; i < MANY; i++) {
		vcpu_setup_real_mode(&v[i], GUEST_RAW_CODE);
		vcpu_ioctl(&v[i], KVMINI_GET_REGS, &regs);
		regs.rax = 0x5a00 | i;
		vcpu_ioctl(&v[i], KVMINI_SET_REGS, &regs);
		vcpu_run_expect(&v[i], KVMINI_EXIT_IO);
		ASSERT_EQ(ID_PORT, v[i].run->io.port);
		ASSERT_EQ(0x5a00 | i, *(uint16_t *)vcpu_io_data(&v[i]));
		vcpu_run_expect(&v[i], KVMINI_EXIT_HLT);
	}
	for (i = 0; i < MANY; i++) {
		ASSERT_EQ(0, munmap(v[i].run, vm->run_size));
		ASSERT_EQ(0, close(v[i].fd));
	}
	vm_free(vm);
}

TEST_HARNESS_MAIN
