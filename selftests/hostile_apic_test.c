// SPDX-License-Identifier: GPL-2.0
/*
 * A hostile guest and VMM against the in-kernel local APIC (split
 * irqchip). The VMM loads random register pages (KVMINI_SET_LAPIC), MP
 * states, GSI lines and MSIs (to vCPU 1); then vCPU 0 writes random values to every
 * register of its APIC through the xAPIC page and the x2APIC MSRs
 * (IA32_APIC_BASE included: relocation, disable, x2APIC on and off),
 * arms timers of every mode and count, and sends vCPU 1 IPIs of every
 * kind (INIT and SIPI with random vectors, NMI, SMI, lowest priority),
 * while vCPU 1 runs whatever that leaves it (real mode at a random SIPI
 * page, a triple fault...). Nothing about the guests is asserted but that
 * vCPU 0 gets to its end: the host must come out as it was (a fresh VM
 * runs its guest exactly; check.sh reads the host's kernel log).
 */
#include <pthread.h>
#include <signal.h>

#include "kvmini_util.h"
#include "kvmini_vm.h"
#include "kselftest_harness.h"

#define APIC_GPA	0xfee00000ULL
#define ROUNDS		20000	/* on QEMU's emulated CPU; a fifth on slower hosts */

static inline uint64_t xorshift(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/*
 * vCPU 0: IF=0 all along; its IPIs go to vCPU 1 only (physical APIC ID 1,
 * no shorthand; its own xAPIC ID is left alone), so that it gets to its end.
 */
static void guest_fuzz(uint64_t seed, uint64_t rounds)
{
	volatile uint32_t *apic = (volatile uint32_t *)APIC_GPA;
	uint64_t i, r, v;
	uint32_t reg;

	asm volatile("cli");
	guest_exc_count(2);			/* RDMSR/WRMSR: #GP resumed past */
	for (i = 0; i < rounds; i++) {
		r = xorshift(&seed);
		v = xorshift(&seed);
		reg = (r >> 8) & 0x3f;		/* register index, 16 bytes apart */
		if (reg == 0x30)		/* ICR: physical, no shorthand */
			v = (v & 0xfffff7ffULL & ~0xc0000ULL) | 1ULL << 32;
		switch (r & 3) {
		case 0:				/* xAPIC page (a hole in x2APIC mode) */
			if (reg == 0x2 || reg == 0x31)
				break;		/* its ID, the ICR's destination */
			if (reg == 0x30)
				apic[0x310 / 4] = 1 << 24;
			apic[reg * 4] = (uint32_t)v;
			(void)apic[reg * 4];
			break;
		case 1:				/* x2APIC MSRs (#GP in xAPIC mode) */
			wrmsr(0x800 + reg, reg == 0x30 || (r & 16) ? v : (uint32_t)v);
			(void)rdmsr(0x800 + ((r >> 20) & 0xff));
			break;
		case 2:				/* IA32_APIC_BASE now and then, TSC deadline */
			if (!(r & 0xf0))
				wrmsr(0x1b, (v & 0xc00) | APIC_GPA | 0x100);
			else
				wrmsr(0x6e0, r & 0x400 ? v : 0);
			break;
		case 3:				/* the timer */
			apic[0x3e0 / 4] = (uint32_t)r;
			apic[0x320 / 4] = (uint32_t)v;
			apic[0x380 / 4] = (uint32_t)(v >> 40);
			break;
		}
	}
	guest_exc.resume = 0;
}

/* vCPU 1: takes what comes. */
static void guest_idle(void)
{
	for (;;)
		asm volatile("sti; pause; cli");
}

static volatile bool stop;

static void on_usr1(int sig)
{
}

/* vCPU 1's thread: run it, whatever it exits for, until told to stop. */
static void *run_victim(void *arg)
{
	struct kvmini_vcpu *vcpu = arg;

	while (!stop) {
		int r = vcpu_run(vcpu);

		if (r == -EINTR || r == -EAGAIN)
			continue;
		if (r)
			break;
		switch (vcpu->run->exit_reason) {
		case KVMINI_EXIT_SHUTDOWN: case KVMINI_EXIT_INTERNAL_ERROR:
		case KVMINI_EXIT_FAIL_ENTRY:
			return NULL;
		}
	}
	return NULL;
}

static void guest_ok(void)
{
	GUEST_SYNC(42);
}

TEST(random_apic)
{
	struct kvmini_mp_state mp = { .mp_state = KVMINI_MP_STATE_RUNNABLE };
	struct kvmini_lapic_state save, junk;
	struct kvmini_vcpu *v0, *v1;
	struct kvmini_vm *vm = vm_create_guest_split(guest_fuzz, &v0), *fresh;
	uint64_t seed = 0x9e3779b97f4a7c15ULL;
	struct kvmini_irq_level line;
	struct kvmini_msi msi;
	struct ucall uc;
	pthread_t th;
	size_t i, j;

	REQUIRE_SPLIT(vm);
	signal(SIGUSR1, on_usr1);
	v1 = vcpu_add(vm, 1);
	vcpu_setup_long_mode(v1, guest_idle);
	ASSERT_EQ(0, ioctl_err(v1->fd, KVMINI_SET_MP_STATE, (unsigned long)&mp));
	vcpu_set_args(v0, 2, seed, (uint64_t)(host_is_qemu_tcg() ? ROUNDS : ROUNDS / 5));

	/* The VMM's part: junk APIC pages, MP states, lines and MSIs. */
	ASSERT_EQ(0, ioctl_err(v0->fd, KVMINI_GET_LAPIC, (unsigned long)&save));
	for (i = 0; i < 300; i++) {
		for (j = 0; j < sizeof(junk.regs); j += 8)
			*(uint64_t *)&junk.regs[j] = xorshift(&seed);
		ioctl(v1->fd, KVMINI_SET_LAPIC, &junk);
		mp.mp_state = xorshift(&seed) % 12;
		ioctl(v1->fd, KVMINI_SET_MP_STATE, &mp);
		line = (struct kvmini_irq_level){ .irq = xorshift(&seed) % 64, .level = i & 1 };
		ioctl(vm->fd, KVMINI_IRQ_LINE_STATUS, &line);
		/* Any delivery mode (INIT, SIPI, NMI...), to vCPU 1 only. */
		msi = (struct kvmini_msi){ .address_lo = 0xfee00000 | 1 << 12,
					   .data = xorshift(&seed) };
		ioctl(vm->fd, KVMINI_SIGNAL_MSI, &msi);
	}
	ASSERT_EQ(0, ioctl_err(v0->fd, KVMINI_SET_LAPIC, (unsigned long)&save));

	ASSERT_EQ(0, pthread_create(&th, NULL, run_victim, v1));
	EXPECT_EQ(UCALL_DONE, vcpu_run_ucall(v0, &uc));
	stop = true;
	v1->run->immediate_exit = 1;
	pthread_kill(th, SIGUSR1);
	pthread_join(th, NULL);
	vm_free(vm);

	fresh = vm_create_guest(guest_ok, &v0);
	REQUIRE_VM(fresh);
	ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(v0, &uc));
	EXPECT_EQ(42ULL, uc.args[0]);
	vm_free(fresh);
}

TEST_HARNESS_MAIN
