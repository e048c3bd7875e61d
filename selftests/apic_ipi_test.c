// SPDX-License-Identifier: GPL-2.0
/*
 * IPIs through the in-kernel local APIC (the split irqchip): 4 vCPUs on
 * 4 threads send each other interrupts through the ICR, in xAPIC mode
 * (MMIO at 0xfee00000) and in x2APIC mode (MSR 0x830): fixed delivery to
 * a physical and to a logical destination, the shorthands (self, all,
 * all but self, and x2APIC's SELF_IPI MSR), lowest priority, NMI, a
 * ping-pong whose round trips the guest times, and a HLT woken by an IPI.
 * Every count is exact, and no IPI leaves the kernel: each KVMINI_RUN
 * returns with a ucall, nothing else.
 *
 * The guest runs with IF=0 but where it waits (STI; HLT).  Interrupts and
 * NMIs arrive on IST stacks of a TSS of each vCPU's own (so never on the
 * red zone of the interrupted code); GS points to the vCPU's struct pcpu.
 * No two IPIs of one vector (nor two NMIs) are ever in flight to one vCPU
 * at a time: the APIC would merge them.  Phases are separated by barriers
 * whose waiters halt.  A guest that hangs is kicked out after 150 s and
 * each vCPU's RIP, barrier and counts are printed.
 */
#include <pthread.h>
#include <signal.h>
#include <time.h>

#include "kvmini_util.h"
#include "kvmini_vm.h"
#include "kselftest_harness.h"

#define NCPU		4
#define ROUNDS		200	/* ping-pong round trips */

/* Local APIC registers (xAPIC MMIO offsets; x2APIC MSR 0x800 + offset / 16). */
#define APIC_GPA	0xfee00000UL
#define APIC_ID		0x20
#define APIC_TPR	0x80
#define APIC_EOI	0xb0
#define APIC_LDR	0xd0
#define APIC_DFR	0xe0
#define APIC_SVR	0xf0
#define APIC_ISR	0x100
#define APIC_IRR	0x200
#define APIC_ICR	0x300
#define APIC_ICR2	0x310
#define MSR_APIC_BASE	0x1b
#define APIC_BASE_EXTD	(1ULL << 10)
#define MSR_X2APIC_SELF_IPI 0x83f

#define ICR_LOWEST	(1 << 8)
#define ICR_NMI		(4 << 8)
#define ICR_LOGICAL	(1 << 11)
#define ICR_BUSY	(1 << 12)
#define ICR_SELF	(1 << 18)
#define ICR_ALL		(2 << 18)
#define ICR_OTHERS	(3 << 18)

/* Vectors: 0x40 + sender for the physical phase, then one per case. */
#define VEC_BASE	0x40
#define VEC_PHYS	0x40	/* + sender */
#define VEC_LOWEST	0x44	/* + sender, lowest priority to logical all */
#define VEC_LOGICAL0	0x48	/* vCPU 0 to logical {1, 2, 3} */
#define VEC_LOGICAL1	0x49	/* vCPU 1 to logical {0, 2} */
#define VEC_OTHERS	0x4a	/* vCPU 2, all but self */
#define VEC_SELF	0x4b	/* everyone, shorthand self */
#define VEC_ALL		0x4c	/* vCPU 3, all including self */
#define VEC_SELF_MSR	0x4d	/* everyone, x2APIC SELF_IPI */
#define VEC_PING	0x50
#define VEC_PONG	0x51
#define VEC_HLT		0x52	/* vCPU 0 to vCPU 3, halted */
#define VEC_WAKE	0x5f	/* barrier: the last to arrive wakes the others */
#define NVEC		32

#define SYNC_PINGPONG	1

/* One per vCPU, at GS: base; the NMI stub counts at %gs:8. */
struct pcpu {
	struct pcpu *self;
	uint64_t nmi;
	uint64_t id, x2apic;
	uint64_t barriers;	/* entered so far: where a hung vCPU is */
	uint64_t irq[NVEC];	/* interrupts taken, per vector - VEC_BASE */
} __attribute__((aligned(64)));
_Static_assert(__builtin_offsetof(struct pcpu, nmi) == 8, "nmi stub offset");

struct pcpu pcpu[NCPU];
uint64_t barrier_arrived, lowest_total, hlt_ready;

#define READ_ONCE(x)	(*(volatile __typeof__(x) *)&(x))

static bool is_lowest(int vec)
{
	return vec >= VEC_LOWEST && vec < VEC_LOWEST + NCPU;
}

/* How many of @vec vCPU @cpu takes in the whole run (host and guest use it). */
static uint64_t expected(uint64_t cpu, int vec, bool x2apic)
{
	if (vec >= VEC_PHYS && vec < VEC_PHYS + NCPU)
		return (uint64_t)(vec - VEC_PHYS) != cpu;
	if (is_lowest(vec))
		return 0;	/* only their total is known */
	switch (vec) {
	case VEC_LOGICAL0:	return cpu != 0;
	case VEC_LOGICAL1:	return cpu == 0 || cpu == 2;
	case VEC_OTHERS:	return cpu != 2;
	case VEC_SELF:		return 1;
	case VEC_ALL:		return 1;
	case VEC_SELF_MSR:	return x2apic;
	case VEC_PING:		return cpu == 1 ? ROUNDS : 0;
	case VEC_PONG:		return cpu == 0 ? ROUNDS : 0;
	case VEC_HLT:		return cpu == 3;
	}
	return 0;	/* VEC_WAKE too: only the total is known */
}

/* NMIs: vCPU 0 sends one to 1, 2, 3; vCPU 3 one to all but itself. */
static uint64_t expected_nmi(uint64_t cpu)
{
	return (cpu != 0) + (cpu != 3);
}

/* ------------------------------------------------------------------ */
/* guest */

static inline struct pcpu *this_cpu(void)
{
	struct pcpu *p;

	asm volatile("mov %%gs:0, %0" : "=r"(p));
	return p;
}

static uint32_t apic_read(uint32_t reg)
{
	if (this_cpu()->x2apic)
		return rdmsr(0x800 + (reg >> 4));
	return *(volatile uint32_t *)(APIC_GPA + reg);
}

static void apic_write(uint32_t reg, uint32_t val)
{
	if (this_cpu()->x2apic)
		wrmsr(0x800 + (reg >> 4), val);
	else
		*(volatile uint32_t *)(APIC_GPA + reg) = val;
}

/* Send an IPI: @dest is an APIC id or a logical mask (x2APIC: cluster 0). */
static void apic_icr(uint32_t dest, uint32_t lo)
{
	if (this_cpu()->x2apic) {
		wrmsr(0x800 + (APIC_ICR >> 4), (uint64_t)dest << 32 | lo);
		return;
	}
	apic_write(APIC_ICR2, dest << 24);
	apic_write(APIC_ICR, lo);
	while (apic_read(APIC_ICR) & ICR_BUSY)
		asm volatile("pause");
}

static inline uint64_t rdtsc(void)
{
	uint32_t lo, hi;

	asm volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return lo | (uint64_t)hi << 32;
}

/* Interrupt gates 0x40-0x5f (IST1) and the NMI's (IST2). */
extern char irq_stubs[], nmi_stub[];
asm(".pushsection .text\n"
    ".align 16\n"
    "irq_stubs:\n"
    "irq_vec_ = 0x40\n"
    ".rept 32\n"
    "	.align 16\n"
    "	pushq $0\n"
    "	pushq $irq_vec_\n"
    "	jmp irq_entry\n"
    "	irq_vec_ = irq_vec_ + 1\n"
    ".endr\n"
    "irq_entry:\n"
    "	push %rax; push %rcx; push %rdx; push %rsi; push %rdi\n"
    "	push %r8; push %r9; push %r10; push %r11\n"
    "	mov 72(%rsp), %rdi\n"
    "	call guest_irq\n"
    "	pop %r11; pop %r10; pop %r9; pop %r8\n"
    "	pop %rdi; pop %rsi; pop %rdx; pop %rcx; pop %rax\n"
    "	add $16, %rsp\n"
    "	iretq\n"
    "nmi_stub:\n"
    "	lock incq %gs:8\n"
    "	iretq\n"
    ".popsection\n");

__attribute__((used, target("general-regs-only")))
void guest_irq(uint64_t vec)
{
	struct pcpu *me = this_cpu();

	me->irq[vec - VEC_BASE]++;
	if (vec >= VEC_LOWEST && vec < VEC_LOWEST + NCPU)
		__atomic_add_fetch(&lowest_total, 1, __ATOMIC_SEQ_CST);
	if (me->x2apic)
		wrmsr(0x800 + (APIC_EOI >> 4), 0);
	else
		*(volatile uint32_t *)(APIC_GPA + APIC_EOI) = 0;
}

/* Take interrupts until @vec has come @n times: STI; HLT, woken by one. */
static void wait_count(int vec, uint64_t n)
{
	struct pcpu *me = this_cpu();

	while (READ_ONCE(me->irq[vec - VEC_BASE]) < n)
		asm volatile("sti; hlt; cli" ::: "memory");
}

/* All vCPUs meet; the waiters halt and the last one wakes them by IPI. */
static void barrier(void)
{
	struct pcpu *me = this_cpu();
	uint64_t want = me->irq[VEC_WAKE - VEC_BASE] + 1;

	me->barriers++;

	if (__atomic_add_fetch(&barrier_arrived, 1, __ATOMIC_SEQ_CST) % NCPU == 0)
		apic_icr(0, ICR_OTHERS | VEC_WAKE);
	else
		wait_count(VEC_WAKE, want);
}

/* Wait until this vCPU has all it must get of vectors [@lo, @hi]. */
static void wait_expected(int lo, int hi)
{
	struct pcpu *me = this_cpu();
	int v;

	for (v = lo; v <= hi; v++)
		wait_count(v, expected(me->id, v, me->x2apic));
}

static void guest_main(uint64_t id, uint64_t x2apic)
{
	struct pcpu *me = this_cpu();
	uint64_t t, i;
	int v;

	GUEST_ASSERT_EQ(me->id, id);
	if (x2apic) {
		wrmsr(MSR_APIC_BASE, rdmsr(MSR_APIC_BASE) | APIC_BASE_EXTD);
		me->x2apic = 1;
		GUEST_ASSERT_EQ(apic_read(APIC_ID), id);
		GUEST_ASSERT_EQ(apic_read(APIC_LDR), 1 << id);	/* cluster 0 */
	} else {
		GUEST_ASSERT_EQ(apic_read(APIC_ID) >> 24, id);
		apic_write(APIC_DFR, 0xffffffff);		/* flat */
		apic_write(APIC_LDR, 1 << (24 + id));
	}
	apic_write(APIC_TPR, 0);
	apic_write(APIC_SVR, 0x1ff);				/* enabled */
	barrier();

	/* Fixed, physical destination: everyone to everyone else. */
	for (i = 0; i < NCPU; i++)
		if (i != id)
			apic_icr(i, VEC_PHYS + id);
	wait_expected(VEC_PHYS, VEC_PHYS + NCPU - 1);
	barrier();

	/* Fixed, logical destination (flat, or x2APIC cluster 0). */
	if (id == 0)
		apic_icr(0xe, ICR_LOGICAL | VEC_LOGICAL0);
	if (id == 1)
		apic_icr(0x5, ICR_LOGICAL | VEC_LOGICAL1);
	wait_expected(VEC_LOGICAL0, VEC_LOGICAL1);
	barrier();

	/* Shorthands (the destination field is ignored). */
	if (id == 2)
		apic_icr(0xff, ICR_OTHERS | VEC_OTHERS);
	apic_icr(0xff, ICR_SELF | VEC_SELF);
	if (id == 3)
		apic_icr(0, ICR_ALL | VEC_ALL);
	if (x2apic)
		wrmsr(MSR_X2APIC_SELF_IPI, VEC_SELF_MSR);
	wait_expected(VEC_OTHERS, VEC_SELF_MSR);
	barrier();

	/*
	 * Lowest priority to all four: each reaches exactly one vCPU.  A vector
	 * per sender: KVM picks the vCPU by a hash of the vector, and two of
	 * one vector pending at one APIC would be one.
	 */
	apic_icr(0xf, ICR_LOGICAL | ICR_LOWEST | (VEC_LOWEST + id));
	while (READ_ONCE(lowest_total) < NCPU)
		asm volatile("sti; pause; cli" ::: "memory");
	barrier();

	/*
	 * NMIs, physical then by shorthand, one at a time (a second one that
	 * comes while one is pending is lost), waited for with IF=0.
	 */
	if (id == 0)
		for (i = 1; i < NCPU; i++)
			apic_icr(i, ICR_NMI);
	while (READ_ONCE(me->nmi) < (id != 0))
		asm volatile("hlt" ::: "memory");
	barrier();
	if (id == 3)
		apic_icr(0, ICR_OTHERS | ICR_NMI);
	while (READ_ONCE(me->nmi) < expected_nmi(id))
		asm volatile("hlt" ::: "memory");
	barrier();

	/* Ping-pong between vCPUs 0 and 1, all in the guest. */
	if (id == 0) {
		t = rdtsc();
		for (i = 1; i <= ROUNDS; i++) {
			apic_icr(1, VEC_PING);
			wait_count(VEC_PONG, i);
		}
		t = rdtsc() - t;
		GUEST_SYNC4(SYNC_PINGPONG, ROUNDS, t, 0);
	} else if (id == 1) {
		for (i = 1; i <= ROUNDS; i++) {
			wait_count(VEC_PING, i);
			apic_icr(0, VEC_PONG);
		}
	}
	barrier();

	/* vCPU 3 halts; only vCPU 0's IPI, a while later, can wake it. */
	if (id == 3) {
		__atomic_store_n(&hlt_ready, 1, __ATOMIC_SEQ_CST);
		asm volatile("sti; hlt; cli" ::: "memory");
		GUEST_ASSERT_EQ(me->irq[VEC_HLT - VEC_BASE], 1);
	} else if (id == 0) {
		while (!READ_ONCE(hlt_ready))
			asm volatile("pause");
		for (t = rdtsc(); rdtsc() - t < 20000000;)
			asm volatile("pause");
		apic_icr(3, VEC_HLT);
	}
	barrier();

	/* Exact counts, and nothing left pending or in service. */
	for (v = VEC_BASE; v < VEC_BASE + NVEC; v++)
		if (!is_lowest(v) && v != VEC_WAKE)
			GUEST_ASSERT_EQ(me->irq[v - VEC_BASE], expected(id, v, x2apic));
	GUEST_ASSERT_EQ(me->nmi, expected_nmi(id));
	for (v = 0; v < 8; v++) {
		GUEST_ASSERT_EQ(apic_read(APIC_IRR + 0x10 * v), 0);
		GUEST_ASSERT_EQ(apic_read(APIC_ISR + 0x10 * v), 0);
	}
}

/* ------------------------------------------------------------------ */
/* host */


/* A TSS of its own (IST1: interrupts and exceptions, IST2: NMI), GS at @gs. */
static void vcpu_own_tss(struct kvmini_vcpu *vcpu, void *gs)
{
	struct kvmini_vm *vm = vcpu->vm;
	uint64_t tss = vm_alloc_page(vm), ist1, ist2;
	uint8_t *t = vm_gpa2hva(vm, tss);
	struct kvmini_sregs sregs;

	vm_alloc_page(vm);
	ist1 = vm_alloc_page(vm) + GUEST_PAGE_SIZE;
	vm_alloc_page(vm);
	ist2 = vm_alloc_page(vm) + GUEST_PAGE_SIZE;
	memcpy(t + 36, &ist1, 8);
	memcpy(t + 44, &ist2, 8);
	*(uint16_t *)(t + 102) = 0x68;
	vcpu_ioctl(vcpu, KVMINI_GET_SREGS, &sregs);
	sregs.tr.base = tss;
	sregs.gs.base = (uintptr_t)gs;
	vcpu_ioctl(vcpu, KVMINI_SET_SREGS, &sregs);
}

struct cpu {
	struct kvmini_vcpu *vcpu;
	pthread_t thread;
	int runs;
	bool done, stop;
	uint64_t pingpong_tsc, rip;
};

/*
 * Every KVMINI_RUN must end in a ucall.  Stopped by a kick (the guest
 * hangs): note where it was.
 */
static void *vcpu_thread(void *arg)
{
	struct cpu *c = arg;
	struct kvmini_regs regs;
	struct ucall uc;

	for (;;) {
		int r = vcpu_run(c->vcpu);

		if (r == -EINTR && c->stop) {
			vcpu_ioctl(c->vcpu, KVMINI_GET_REGS, &regs);
			c->rip = regs.rip;
			return NULL;
		}
		if (r)
			LIB_FAIL("vCPU %d: KVMINI_RUN: %s", c->vcpu->id, strerror(-r));
		c->runs++;
		switch (vcpu_get_ucall(c->vcpu, &uc)) {
		case UCALL_DONE:
			c->done = true;
			return NULL;
		case UCALL_SYNC:
			if (uc.args[0] == SYNC_PINGPONG)
				c->pingpong_tsc = uc.args[2];
			break;
		case UCALL_ASSERT:
			LIB_FAIL("vCPU %d: guest assertion at %s:%lu: %s (%#lx, %#lx)",
				 c->vcpu->id, uc.file, (unsigned long)uc.line, uc.expr,
				 (unsigned long)uc.args[0], (unsigned long)uc.args[1]);
		case UCALL_EXCEPTION:
			LIB_FAIL("vCPU %d: guest exception %lu at rip %#lx", c->vcpu->id,
				 (unsigned long)uc.args[0], (unsigned long)uc.args[2]);
		default:
			LIB_FAIL("vCPU %d: KVMINI_RUN returned exit %u (%s), not a ucall",
				 c->vcpu->id, c->vcpu->run->exit_reason,
				 exit_reason_str(c->vcpu->run->exit_reason));
		}
	}
}

static void empty_handler(int sig) {}

/*
 * Join the vCPU threads; if the guest is not done in @secs, kick them out
 * of KVMINI_RUN and tell where each vCPU was.  True if all were done.
 */
static bool join_or_dump(struct kvmini_vm *vm, struct cpu *cpus, int secs)
{
	struct sigaction sa = { .sa_handler = empty_handler };
	struct timespec t;
	bool hung = false;
	int i, v;

	sigaction(SIGUSR1, &sa, NULL);
	clock_gettime(CLOCK_REALTIME, &t);
	t.tv_sec += secs;
	for (i = 0; i < NCPU; i++)
		if (pthread_timedjoin_np(cpus[i].thread, NULL, &t))
			break;
	if (i == NCPU)
		return true;
	for (i = 0; i < NCPU; i++) {
		cpus[i].stop = true;
		cpus[i].vcpu->run->immediate_exit = 1;
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
		pthread_kill(cpus[i].thread, SIGUSR1);
	}
	for (i = 0; i < NCPU; i++) {
		struct pcpu *p = &GUEST_VAR(vm, pcpu[i]);
		char buf[512];
		int n = 0;

		pthread_join(cpus[i].thread, NULL);
		for (v = 0; v < NVEC; v++)
			if (p->irq[v])
				n += snprintf(buf + n, sizeof(buf) - n, " %#x:%lu", VEC_BASE + v,
					      (unsigned long)p->irq[v]);
		buf[n] = 0;
		fprintf(stderr, "# vCPU %d: %s, rip %#lx, barrier %lu, NMIs %lu, IRQs%s\n", i,
		       cpus[i].done ? "done" : "hung", (unsigned long)cpus[i].rip,
		       (unsigned long)p->barriers, (unsigned long)p->nmi, buf);
		hung |= !cpus[i].done;
	}
	return !hung;
}

FIXTURE(ipi) {};
FIXTURE_VARIANT(ipi) { bool x2apic; };
FIXTURE_VARIANT_ADD(ipi, xapic) { .x2apic = false };
FIXTURE_VARIANT_ADD(ipi, x2apic) { .x2apic = true };
FIXTURE_SETUP(ipi) {}
FIXTURE_TEARDOWN(ipi) {}

TEST_F_TIMEOUT(ipi, all_modes, 300)
{
	struct cpu cpus[NCPU] = {};
	struct kvmini_mp_state mp;
	struct kvmini_vm *vm;
	uint64_t *idt, total_lowest = 0, total_wake = 0, lowest[NCPU] = {};
	int i, v;

	vm = vm_create_split();
	REQUIRE_SPLIT(vm);
	vm_load_image(vm);
	vm_map_xapic(vm);
	idt = vm_gpa2hva(vm, GUEST_IDT);
	for (v = 0; v < NVEC; v++)
		idt_set_gate(idt, VEC_BASE + v, (uintptr_t)irq_stubs + 16 * v, 1);
	idt_set_gate(idt, 2, (uintptr_t)nmi_stub, 2);
	for (i = 0; i < NCPU; i++) {
		struct kvmini_vcpu *vcpu = vcpu_add(vm, i);

		cpus[i].vcpu = vcpu;
		GUEST_VAR(vm, pcpu[i]).self = &pcpu[i];
		GUEST_VAR(vm, pcpu[i]).id = i;
		vcpu_set_cpuid_supported(vcpu);		/* x2APIC in CPUID.1:ECX */
		vcpu_setup_long_mode(vcpu, guest_main);
		vcpu_own_tss(vcpu, &pcpu[i]);
		vcpu_set_args(vcpu, 2, (uint64_t)i, (uint64_t)variant->x2apic);
		/* With an in-kernel APIC, only the BSP starts out runnable. */
		vcpu_ioctl(vcpu, KVMINI_GET_MP_STATE, &mp);
		EXPECT_EQ(i ? KVMINI_MP_STATE_UNINITIALIZED : KVMINI_MP_STATE_RUNNABLE,
			  (int)mp.mp_state);
		mp.mp_state = KVMINI_MP_STATE_RUNNABLE;
		vcpu_ioctl(vcpu, KVMINI_SET_MP_STATE, &mp);
	}
	for (i = 0; i < NCPU; i++)
		ASSERT_EQ(0, pthread_create(&cpus[i].thread, NULL, vcpu_thread, &cpus[i]));
	ASSERT_TRUE(join_or_dump(vm, cpus, 150));

	for (i = 0; i < NCPU; i++) {
		struct kvmini_vcpu *vcpu = cpus[i].vcpu;
		struct pcpu *p = &GUEST_VAR(vm, pcpu[i]);

		for (v = VEC_BASE; v < VEC_BASE + NVEC; v++)
			if (is_lowest(v))
				lowest[i] += p->irq[v - VEC_BASE];
			else if (v != VEC_WAKE)
				EXPECT_EQ(expected(i, v, variant->x2apic), p->irq[v - VEC_BASE]);
		EXPECT_EQ(expected_nmi(i), p->nmi);
		total_lowest += lowest[i];
		total_wake += p->irq[VEC_WAKE - VEC_BASE];
		/* The ucalls (GUEST_DONE, vCPU 0's ping-pong SYNC) and nothing else. */
		EXPECT_EQ(i ? 1 : 2, cpus[i].runs);
		EXPECT_EQ(cpus[i].runs, vcpu_stat(vcpu, "io_exits"));
		EXPECT_EQ(0, vcpu_stat(vcpu, "mmio_exits"));
		TH_LOG("vCPU %d: %d runs; exits %ld, halt_exits %ld, irq_exits %ld; lowest-priority %lu",
		       i, cpus[i].runs, (long)vcpu_stat(vcpu, "exits"),
		       (long)vcpu_stat(vcpu, "halt_exits"), (long)vcpu_stat(vcpu, "irq_exits"),
		       (unsigned long)lowest[i]);
	}
	EXPECT_GE(vcpu_stat(cpus[3].vcpu, "halt_exits"), 1);
	EXPECT_EQ((uint64_t)NCPU, total_lowest);
	EXPECT_EQ((uint64_t)NCPU, GUEST_VAR(vm, lowest_total));
	/* 9 barriers; at each, all but the last to arrive were woken. */
	EXPECT_EQ((uint64_t)9 * NCPU, GUEST_VAR(vm, barrier_arrived));
	EXPECT_EQ((uint64_t)9 * (NCPU - 1), total_wake);
	TH_LOG("%s, %s: ping-pong %d round trips in %lu TSC cycles, %lu per round trip",
	       kvmini_dev_path(), variant->x2apic ? "x2APIC" : "xAPIC", ROUNDS,
	       (unsigned long)cpus[0].pingpong_tsc, (unsigned long)cpus[0].pingpong_tsc / ROUNDS);
	vm_free(vm);
}

/* The capability's own errnos, as KVM's. */
TEST(split_irqchip_cap)
{
	struct kvmini_enable_cap cap = { .cap = KVMINI_CAP_SPLIT_IRQCHIP, .args = { 24 } };
	struct kvmini_vm *vm;

	vm = vm_create_split();
	REQUIRE_SPLIT(vm);
	EXPECT_EQ(1, ioctl(vm->dev_fd, KVMINI_CHECK_EXTENSION, KVMINI_CAP_SPLIT_IRQCHIP));
	EXPECT_EQ(1, ioctl(vm->fd, KVMINI_CHECK_EXTENSION, KVMINI_CAP_SPLIT_IRQCHIP));
	/* Once only. */
	EXPECT_EQ(-EEXIST, ioctl_err(vm->fd, KVMINI_ENABLE_CAP, (unsigned long)&cap));
	vm_free(vm);

	vm = vm_create();
	ASSERT_TRUE(vm != NULL);
	/* flags must be 0; at most 4096 (KVM_MAX_IRQ_ROUTES) pins reserved. */
	cap.flags = 1;
	EXPECT_EQ(-EINVAL, ioctl_err(vm->fd, KVMINI_ENABLE_CAP, (unsigned long)&cap));
	cap.flags = 0;
	cap.args[0] = 4097;
	EXPECT_EQ(-EINVAL, ioctl_err(vm->fd, KVMINI_ENABLE_CAP, (unsigned long)&cap));
	/* Not after a vCPU. */
	vcpu_add(vm, 0);
	cap.args[0] = 24;
	EXPECT_EQ(-EEXIST, ioctl_err(vm->fd, KVMINI_ENABLE_CAP, (unsigned long)&cap));
	vm_free(vm);

	/* 0 and 4096 pins both do. */
	vm = vm_create();
	ASSERT_TRUE(vm != NULL);
	cap.args[0] = 4096;
	EXPECT_EQ(0, ioctl_err(vm->fd, KVMINI_ENABLE_CAP, (unsigned long)&cap));
	vm_free(vm);
	vm = vm_create();
	ASSERT_TRUE(vm != NULL);
	cap.args[0] = 0;
	EXPECT_EQ(0, ioctl_err(vm->fd, KVMINI_ENABLE_CAP, (unsigned long)&cap));
	vm_free(vm);
}

TEST_HARNESS_MAIN
