// SPDX-License-Identifier: GPL-2.0
/*
 * INIT/SIPI through the in-kernel local APIC (the split irqchip): the BSP
 * brings up APs the way Linux does (INIT assert, INIT deassert, SIPI,
 * SIPI), the APs start in real mode at CS = vector << 8, IP = 0; the MP
 * states along the way; INIT to a halted and to a running AP sends it
 * back to wait for a SIPI; a SIPI to a vCPU not waiting for one is lost;
 * INIT and SIPIs sent before the AP's thread runs it are taken in order;
 * KVMINI_GET/SET_MP_STATE and what KVMINI_RUN returns for an AP that
 * waits, all as KVM does.
 *
 * A vCPU's MP state is read only while no thread is in KVMINI_RUN on it
 * (the ioctls of one vCPU are serialized): an AP's thread runs it once per
 * ap_go(), and a kick (immediate_exit and a signal) gets it out.
 */
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <time.h>

#include "kvmini_util.h"
#include "kvmini_vm.h"
#include "kselftest_harness.h"

#define NCPU		4
#define APIC_GPA	0xfee00000UL
#define APIC_SVR	0xf0
#define APIC_ICR	0x300
#define APIC_ICR2	0x310
#define ICR_INIT	(5 << 8)
#define ICR_SIPI	(6 << 8)
#define ICR_BUSY	(1 << 12)
#define ICR_ASSERT	(1 << 14)
#define ICR_LEVEL	(1 << 15)
#define CMD_BRING_UP	(~0U)	/* for the BSP: Linux's whole sequence */

#define V_HLT		0x08	/* SIPI vector of ap_hlt, at 0x8000 */
#define V_SPIN		0x0a	/* and of ap_spin, at 0xa000 */
#define AP_PORT		0x91
#define COUNT_HLT	0xf000	/* u16 per APIC id: ap_hlt's starts */
#define COUNT_SPIN	0xf100	/* and ap_spin's */

/*
 * Real-mode AP code: count a start in the word of this APIC id (CPUID.1
 * EBX[31:24], set per vCPU), report the id with OUT, then HLT for good
 * (ap_hlt) or spin (ap_spin).
 */
extern char ap_hlt[], ap_hlt_out[], ap_hlt_end[], ap_spin[], ap_spin_out[], ap_spin_end[];
asm(".pushsection .rodata\n"
    ".macro ap_start count\n"
    "	xor %ax, %ax\n"
    "	mov %ax, %ds\n"
    "	mov $1, %eax\n"
    "	cpuid\n"
    "	shr $24, %ebx\n"
    "	mov %bx, %si\n"
    "	add %si, %si\n"
    "	lock incw \\count(%si)\n"
    "	mov %bx, %ax\n"
    ".endm\n"
    ".code16\n"
    "ap_hlt:\n"
    "	ap_start 0xf000\n"
    "ap_hlt_out:\n"
    "	out %ax, $0x91\n"
    "1:	hlt\n"
    "	jmp 1b\n"
    "ap_hlt_end:\n"
    "ap_spin:\n"
    "	ap_start 0xf100\n"
    "ap_spin_out:\n"
    "	out %ax, $0x91\n"
    "1:	pause\n"
    "	jmp 1b\n"
    "ap_spin_end:\n"
    ".code64\n"
    ".popsection\n");

/* The BSP sends what the host asks: one ICR (xAPIC), or CMD_BRING_UP. */
uint32_t cmd_dest, cmd_lo;

static void apic_icr(uint32_t dest, uint32_t lo)
{
	*(volatile uint32_t *)(APIC_GPA + APIC_ICR2) = dest << 24;
	*(volatile uint32_t *)(APIC_GPA + APIC_ICR) = lo;
	while (*(volatile uint32_t *)(APIC_GPA + APIC_ICR) & ICR_BUSY)
		asm volatile("pause");
}

static void delay(uint64_t cycles)
{
	uint32_t lo, hi;
	uint64_t t0, t;

	asm volatile("rdtsc" : "=a"(lo), "=d"(hi));
	t0 = lo | (uint64_t)hi << 32;
	do {
		asm volatile("pause; rdtsc" : "=a"(lo), "=d"(hi));
		t = lo | (uint64_t)hi << 32;
	} while (t - t0 < cycles);
}

static void guest_bsp(void)
{
	*(volatile uint32_t *)(APIC_GPA + APIC_SVR) = 0x1ff;
	for (;;) {
		GUEST_SYNC(0);
		if (cmd_lo != CMD_BRING_UP) {
			apic_icr(cmd_dest, cmd_lo);
			continue;
		}
		/* As Linux's wakeup_secondary_cpu_via_init(), shorter delays. */
		apic_icr(cmd_dest, ICR_INIT | ICR_LEVEL | ICR_ASSERT);
		apic_icr(cmd_dest, ICR_INIT | ICR_LEVEL);
		delay(10000000);
		apic_icr(cmd_dest, ICR_SIPI | V_HLT);
		delay(200000);
		apic_icr(cmd_dest, ICR_SIPI | V_HLT);
	}
}

/* ------------------------------------------------------------------ */
/* host */

/* An AP's RUN after what starts it: Bochs, one CPU, four vCPU threads. */
#define AP_WAIT_MS	60000

static int mp_state(struct kvmini_vcpu *vcpu)
{
	struct kvmini_mp_state mp;

	vcpu_ioctl(vcpu, KVMINI_GET_MP_STATE, &mp);
	return mp.mp_state;
}

static long set_mp_state(struct kvmini_vcpu *vcpu, uint32_t state)
{
	struct kvmini_mp_state mp = { .mp_state = state };

	return ioctl_err(vcpu->fd, KVMINI_SET_MP_STATE, (unsigned long)&mp);
}

static uint64_t vcpu_rip(struct kvmini_vcpu *vcpu)
{
	struct kvmini_regs regs;

	vcpu_ioctl(vcpu, KVMINI_GET_REGS, &regs);
	return regs.rip;
}

static struct kvmini_sregs vcpu_sregs(struct kvmini_vcpu *vcpu)
{
	struct kvmini_sregs sregs;

	vcpu_ioctl(vcpu, KVMINI_GET_SREGS, &sregs);
	return sregs;
}

/* An AP's thread: one KVMINI_RUN per ap_go() (or, until_io, past -EAGAINs). */
struct ap {
	struct kvmini_vcpu *vcpu;
	pthread_t thread;
	sem_t go, done;
	bool quit, until_io;
	int r, eagain;
};

static void *ap_thread(void *arg)
{
	struct ap *a = arg;

	for (;;) {
		sem_wait(&a->go);
		if (a->quit)
			return NULL;
		a->eagain = 0;
		for (;;) {
			a->r = vcpu_run(a->vcpu);
			if (a->r != -EAGAIN || !a->until_io)
				break;
			a->eagain++;
		}
		sem_post(&a->done);
	}
}

static void ap_go(struct ap *a)
{
	a->vcpu->run->immediate_exit = 0;
	sem_post(&a->go);
}

/* Whether the AP's KVMINI_RUN returned within @ms. */
static bool ap_returned(struct ap *a, int ms)
{
	struct timespec t;

	clock_gettime(CLOCK_REALTIME, &t);
	t.tv_sec += ms / 1000;
	t.tv_nsec += (ms % 1000) * 1000000L;
	if (t.tv_nsec >= 1000000000L) {
		t.tv_sec++;
		t.tv_nsec -= 1000000000L;
	}
	while (sem_timedwait(&a->done, &t))
		if (errno != EINTR)
			return false;
	return true;
}

static void empty_handler(int sig) {}

/* Get the AP's thread out of KVMINI_RUN (it returns -EINTR). */
static bool ap_kick(struct ap *a)
{
	a->vcpu->run->immediate_exit = 1;
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	pthread_kill(a->thread, SIGUSR1);
	return ap_returned(a, 20000);
}

static uint16_t count(struct kvmini_vm *vm, uint64_t gpa, int id)
{
	return *(volatile uint16_t *)vm_gpa2hva(vm, gpa + 2 * id);
}

FIXTURE(bsp) {
	struct kvmini_vm *vm;
	struct kvmini_vcpu *bsp;
	struct ap ap[NCPU];
	int err;	/* errno of vm_create_split(), for REQUIRE_SPLIT */
};

/* The fixture's VM has the split irqchip (else skip, or fail why not). */
#define REQUIRE_BSP_SPLIT(self) do {					\
	errno = (self)->err;						\
	REQUIRE_SPLIT((self)->vm);					\
} while (0)

FIXTURE_SETUP(bsp)
{
	struct sigaction sa = { .sa_handler = empty_handler };
	struct kvmini_cpuid2 *cpuid;
	struct ucall uc;
	uint32_t e;
	int i;

	sigaction(SIGUSR1, &sa, NULL);
	self->vm = vm_create_split();
	self->err = errno;
	if (!self->vm)
		return;
	vm_load_image(self->vm);
	vm_map(self->vm, APIC_GPA, APIC_GPA, GUEST_PAGE_SIZE);
	vm_write(self->vm, V_HLT << 12, ap_hlt, ap_hlt_end - ap_hlt);
	vm_write(self->vm, V_SPIN << 12, ap_spin, ap_spin_end - ap_spin);
	self->bsp = vcpu_add(self->vm, 0);
	vcpu_setup_long_mode(self->bsp, guest_bsp);
	cpuid = kvmini_supported_cpuid(self->vm);
	for (i = 1; i < NCPU; i++) {
		struct ap *a = &self->ap[i];

		a->vcpu = vcpu_add(self->vm, i);
		for (e = 0; e < cpuid->nent; e++)
			if (cpuid->entries[e].function == 1)
				cpuid->entries[e].ebx = (cpuid->entries[e].ebx & 0xffffff) | i << 24;
		vcpu_ioctl(a->vcpu, KVMINI_SET_CPUID2, cpuid);
		sem_init(&a->go, 0, 0);
		sem_init(&a->done, 0, 0);
		if (pthread_create(&a->thread, NULL, ap_thread, a))
			LIB_FAIL("pthread_create");
	}
	free(cpuid);
	if (vcpu_run_ucall(self->bsp, &uc) != UCALL_SYNC)
		LIB_FAIL("BSP: no first GUEST_SYNC");
}

FIXTURE_TEARDOWN(bsp)
{
	int i;

	if (!self->vm)
		return;
	/* Out of KVMINI_RUN if a failed test left one there, then quit. */
	for (i = 1; i < NCPU; i++) {
		self->ap[i].quit = true;
		sem_post(&self->ap[i].go);
		self->ap[i].vcpu->run->immediate_exit = 1;
		pthread_kill(self->ap[i].thread, SIGUSR1);
		pthread_join(self->ap[i].thread, NULL);
	}
	vm_free(self->vm);
}

/* The BSP sends one IPI (or CMD_BRING_UP's) and is back at its GUEST_SYNC. */
static void bsp_icr(struct kvmini_vm *vm, struct kvmini_vcpu *bsp, uint32_t dest, uint32_t lo)
{
	struct ucall uc;

	GUEST_VAR(vm, cmd_dest) = dest;
	GUEST_VAR(vm, cmd_lo) = lo;
	if (vcpu_run_ucall(bsp, &uc) != UCALL_SYNC)
		LIB_FAIL("BSP: no GUEST_SYNC");
}

/*
 * The AP's RUN ended in its OUT: started at CS:IP = @vector << 8 : 0.
 * (While userspace handles an OUT, RIP is still at the OUT, @out.)
 */
#define EXPECT_STARTED(a, vector, out, start) do {			\
	struct kvmini_sregs s = vcpu_sregs((a)->vcpu);			\
	EXPECT_EQ(0, (a)->r);						\
	EXPECT_EQ(KVMINI_EXIT_IO, (int)(a)->vcpu->run->exit_reason);		\
	EXPECT_EQ(AP_PORT, (a)->vcpu->run->io.port);			\
	EXPECT_EQ((a)->vcpu->id, *(uint16_t *)vcpu_io_data((a)->vcpu));	\
	EXPECT_EQ((vector) << 8, s.cs.selector);			\
	EXPECT_EQ((uint64_t)(vector) << 12, s.cs.base);			\
	EXPECT_EQ(0ULL, s.cr0 & X86_CR0_PE);				\
	EXPECT_EQ((uint64_t)((out) - (start)), vcpu_rip((a)->vcpu));	\
	EXPECT_EQ(KVMINI_MP_STATE_RUNNABLE, mp_state((a)->vcpu));	\
} while (0)

/* Back in the state of INIT: reset, waiting for a SIPI. */
#define EXPECT_INIT_STATE(a) do {					\
	struct kvmini_sregs s = vcpu_sregs((a)->vcpu);			\
	EXPECT_EQ(KVMINI_MP_STATE_INIT_RECEIVED, mp_state((a)->vcpu));	\
	EXPECT_EQ(0xf000, s.cs.selector);				\
	EXPECT_EQ(0xffff0000ULL, s.cs.base);				\
	EXPECT_EQ(0x60000010ULL, s.cr0);				\
	EXPECT_EQ(0xfff0ULL, vcpu_rip((a)->vcpu));			\
} while (0)

/* AP 1 step by step: the MP state after each event. */
TEST_F_TIMEOUT(bsp, init_sipi_steps, 240)
{
	struct kvmini_vm *vm = self->vm;
	struct ap *a = &self->ap[1];

	REQUIRE_BSP_SPLIT(self);
	EXPECT_EQ(KVMINI_MP_STATE_RUNNABLE, mp_state(self->bsp));
	EXPECT_EQ(KVMINI_MP_STATE_UNINITIALIZED, mp_state(a->vcpu));

	/* Not yet initialized: RUN waits in the kernel; INIT ends it with EAGAIN. */
	ap_go(a);
	EXPECT_FALSE(ap_returned(a, 300));
	bsp_icr(vm, self->bsp, 1, ICR_INIT | ICR_LEVEL | ICR_ASSERT);
	ASSERT_TRUE(ap_returned(a, AP_WAIT_MS));
	EXPECT_EQ(-EAGAIN, a->r);
	EXPECT_INIT_STATE(a);
	/* INIT deassert does nothing; RUN waits for the SIPI. */
	bsp_icr(vm, self->bsp, 1, ICR_INIT | ICR_LEVEL);
	ap_go(a);
	EXPECT_FALSE(ap_returned(a, 300));
	bsp_icr(vm, self->bsp, 1, ICR_SIPI | V_HLT);
	ASSERT_TRUE(ap_returned(a, AP_WAIT_MS));
	EXPECT_STARTED(a, V_HLT, ap_hlt_out, ap_hlt);
	EXPECT_EQ(1, count(vm, COUNT_HLT, 1));

	/* It halts in the kernel; the second SIPI does not restart it. */
	ap_go(a);
	EXPECT_FALSE(ap_returned(a, 300));
	bsp_icr(vm, self->bsp, 1, ICR_SIPI | V_HLT);
	EXPECT_FALSE(ap_returned(a, 300));
	ASSERT_TRUE(ap_kick(a));
	EXPECT_EQ(-EINTR, a->r);
	EXPECT_EQ(KVMINI_MP_STATE_HALTED, mp_state(a->vcpu));
	EXPECT_EQ(1, count(vm, COUNT_HLT, 1));
	EXPECT_EQ(V_HLT << 8, vcpu_sregs(a->vcpu).cs.selector);
	TH_LOG("AP 1 halted, then a SIPI: halt_exits %ld, halt_wakeup %ld",
	       (long)vcpu_stat(a->vcpu, "halt_exits"), (long)vcpu_stat(a->vcpu, "halt_wakeup"));

	/* INIT to the halted AP: back to wait for SIPI, RUN goes on waiting. */
	ap_go(a);
	EXPECT_FALSE(ap_returned(a, 300));
	bsp_icr(vm, self->bsp, 1, ICR_INIT | ICR_LEVEL | ICR_ASSERT);
	EXPECT_FALSE(ap_returned(a, 300));
	ASSERT_TRUE(ap_kick(a));
	EXPECT_EQ(-EINTR, a->r);
	EXPECT_INIT_STATE(a);

	/* Started again, elsewhere: it spins; a SIPI now is lost too. */
	ap_go(a);
	bsp_icr(vm, self->bsp, 1, ICR_SIPI | V_SPIN);
	ASSERT_TRUE(ap_returned(a, AP_WAIT_MS));
	EXPECT_STARTED(a, V_SPIN, ap_spin_out, ap_spin);
	EXPECT_EQ(1, count(vm, COUNT_SPIN, 1));
	ap_go(a);
	EXPECT_FALSE(ap_returned(a, 300));
	bsp_icr(vm, self->bsp, 1, ICR_SIPI | V_HLT);
	EXPECT_FALSE(ap_returned(a, 300));
	EXPECT_EQ(1, count(vm, COUNT_HLT, 1));

	/* INIT to the running AP: it stops, waiting for SIPI. */
	bsp_icr(vm, self->bsp, 1, ICR_INIT | ICR_LEVEL | ICR_ASSERT);
	EXPECT_FALSE(ap_returned(a, 300));
	ASSERT_TRUE(ap_kick(a));
	EXPECT_EQ(-EINTR, a->r);
	EXPECT_INIT_STATE(a);
	EXPECT_EQ(1, count(vm, COUNT_SPIN, 1));

	/* And a SIPI starts it once more. */
	ap_go(a);
	bsp_icr(vm, self->bsp, 1, ICR_SIPI | V_HLT);
	ASSERT_TRUE(ap_returned(a, AP_WAIT_MS));
	EXPECT_STARTED(a, V_HLT, ap_hlt_out, ap_hlt);
	EXPECT_EQ(2, count(vm, COUNT_HLT, 1));
	EXPECT_EQ(KVMINI_MP_STATE_RUNNABLE, mp_state(self->bsp));
}

/*
 * INIT and SIPIs that come while no thread runs the AP (on a busy host,
 * Linux's whole sequence can be over before the AP's thread runs): the
 * SIPIs after an INIT are kept, an INIT cancels the SIPI before it, as KVM.
 */
TEST_F_TIMEOUT(bsp, events_before_run, 240)
{
	struct kvmini_vm *vm = self->vm;
	struct ap *a = &self->ap[1];

	REQUIRE_BSP_SPLIT(self);
	bsp_icr(vm, self->bsp, 1, ICR_INIT | ICR_LEVEL | ICR_ASSERT);
	bsp_icr(vm, self->bsp, 1, ICR_SIPI | V_SPIN);
	bsp_icr(vm, self->bsp, 1, ICR_INIT | ICR_LEVEL | ICR_ASSERT);
	EXPECT_INIT_STATE(a);
	bsp_icr(vm, self->bsp, 1, CMD_BRING_UP);
	EXPECT_EQ(KVMINI_MP_STATE_RUNNABLE, mp_state(a->vcpu));
	ap_go(a);
	ASSERT_TRUE(ap_returned(a, AP_WAIT_MS));
	EXPECT_STARTED(a, V_HLT, ap_hlt_out, ap_hlt);
	EXPECT_EQ(1, count(vm, COUNT_HLT, 1));
	EXPECT_EQ(0, count(vm, COUNT_SPIN, 1));
}

/* APs 2 and 3: a SIPI before any INIT is lost; then Linux's sequence. */
TEST_F_TIMEOUT(bsp, linux_bring_up, 240)
{
	struct kvmini_vm *vm = self->vm;
	int i;

	REQUIRE_BSP_SPLIT(self);
	ap_go(&self->ap[2]);
	EXPECT_FALSE(ap_returned(&self->ap[2], 300));
	bsp_icr(vm, self->bsp, 2, ICR_SIPI | V_HLT);
	ASSERT_TRUE(ap_returned(&self->ap[2], 20000));
	EXPECT_EQ(-EAGAIN, self->ap[2].r);
	EXPECT_EQ(KVMINI_MP_STATE_UNINITIALIZED, mp_state(self->ap[2].vcpu));
	EXPECT_EQ(0, count(vm, COUNT_HLT, 2));

	for (i = 2; i < NCPU; i++) {
		self->ap[i].until_io = true;
		ap_go(&self->ap[i]);
	}
	for (i = 2; i < NCPU; i++) {
		struct ap *a = &self->ap[i];

		bsp_icr(vm, self->bsp, i, CMD_BRING_UP);
		ASSERT_TRUE(ap_returned(a, AP_WAIT_MS));
		/* The one RUN that waited while not yet initialized. */
		EXPECT_EQ(1, a->eagain);
		EXPECT_STARTED(a, V_HLT, ap_hlt_out, ap_hlt);
		EXPECT_EQ(1, count(vm, COUNT_HLT, i));
	}
	for (i = 2; i < NCPU; i++) {
		struct ap *a = &self->ap[i];

		ap_go(a);
		EXPECT_FALSE(ap_returned(a, 300));
		ASSERT_TRUE(ap_kick(a));
		EXPECT_EQ(-EINTR, a->r);
		EXPECT_EQ(KVMINI_MP_STATE_HALTED, mp_state(a->vcpu));
		EXPECT_EQ(1, count(vm, COUNT_HLT, i));
	}
	EXPECT_EQ(0, count(vm, COUNT_HLT, 1));
	EXPECT_EQ(KVMINI_MP_STATE_UNINITIALIZED, mp_state(self->ap[1].vcpu));
}

/* KVMINI_GET/SET_MP_STATE of a vCPU that does not run. */
TEST(mp_state_ioctls)
{
	static const uint8_t out[] = { 0xe6, AP_PORT };		/* out %al, $0x91 */
	static const uint32_t ok[] = {
		KVMINI_MP_STATE_UNINITIALIZED, KVMINI_MP_STATE_INIT_RECEIVED,
		KVMINI_MP_STATE_HALTED, KVMINI_MP_STATE_AP_RESET_HOLD,
		KVMINI_MP_STATE_RUNNABLE,
	};
	static const uint32_t bad[] = {
		KVMINI_MP_STATE_STOPPED, KVMINI_MP_STATE_CHECK_STOP,
		KVMINI_MP_STATE_OPERATING, KVMINI_MP_STATE_LOAD,
		KVMINI_MP_STATE_SUSPENDED, 11, 0xffffffff,
	};
	struct kvmini_vcpu *bsp, *ap;
	struct kvmini_sregs s;
	struct kvmini_vm *vm;
	size_t i;

	/* Without an in-kernel APIC: every vCPU is runnable, and only that. */
	vm = vm_create();
	REQUIRE_VM(vm);
	ap = vcpu_add(vm, 1);
	EXPECT_EQ(KVMINI_MP_STATE_RUNNABLE, mp_state(ap));
	EXPECT_EQ(0, set_mp_state(ap, KVMINI_MP_STATE_RUNNABLE));
	for (i = 0; i < sizeof(ok) / sizeof(ok[0]) - 1; i++)
		EXPECT_EQ(-EINVAL, set_mp_state(ap, ok[i]));
	EXPECT_EQ(-EINVAL, set_mp_state(ap, KVMINI_MP_STATE_SIPI_RECEIVED));
	vm_free(vm);

	vm = vm_create_split();
	REQUIRE_SPLIT(vm);
	vm_add_mem(vm, 0, 0, 0x10000);
	vm_write(vm, 0, out, sizeof(out));
	bsp = vcpu_add(vm, 0);
	ap = vcpu_add(vm, 1);
	EXPECT_EQ(KVMINI_MP_STATE_RUNNABLE, mp_state(bsp));
	EXPECT_EQ(KVMINI_MP_STATE_UNINITIALIZED, mp_state(ap));
	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		EXPECT_EQ(0, set_mp_state(ap, ok[i]));
		EXPECT_EQ((int)ok[i], mp_state(ap));
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		EXPECT_EQ(-EINVAL, set_mp_state(ap, bad[i]));
		EXPECT_EQ(KVMINI_MP_STATE_RUNNABLE, mp_state(ap));
	}

	/* Waiting APs: RUN with immediate_exit returns at once, -EINTR. */
	ap->run->immediate_exit = 1;
	EXPECT_EQ(0, set_mp_state(ap, KVMINI_MP_STATE_UNINITIALIZED));
	EXPECT_EQ(-EINTR, vcpu_run(ap));
	EXPECT_EQ(0, set_mp_state(ap, KVMINI_MP_STATE_INIT_RECEIVED));
	EXPECT_EQ(-EINTR, vcpu_run(ap));
	EXPECT_EQ(KVMINI_MP_STATE_INIT_RECEIVED, mp_state(ap));
	ap->run->immediate_exit = 0;

	/*
	 * SIPI_RECEIVED: INIT_RECEIVED with a SIPI pending, taken at once
	 * (GET_MP_STATE already says runnable): the vector of the last SIPI
	 * the APIC got, none here, so CS:IP = 0:0.
	 */
	EXPECT_EQ(0, set_mp_state(ap, KVMINI_MP_STATE_SIPI_RECEIVED));
	EXPECT_EQ(KVMINI_MP_STATE_RUNNABLE, mp_state(ap));
	s = vcpu_sregs(ap);
	EXPECT_EQ(0, s.cs.selector);
	EXPECT_EQ(0ULL, s.cs.base);
	EXPECT_EQ(0ULL, vcpu_rip(ap));
	vcpu_run_expect(ap, KVMINI_EXIT_IO);
	EXPECT_EQ(AP_PORT, ap->run->io.port);
	vm_free(vm);
}

TEST_HARNESS_MAIN
