// SPDX-License-Identifier: GPL-2.0
/*
 * A slot changing under a running guest. The guest reads and rewrites the
 * pattern of its pages (each page holds its own number) in a loop, while
 * one thread moves the slot away and back, switches dirty logging on and
 * off, takes the log, and deletes and re-creates the slot, and another
 * keeps the MMU notifier walking the slots (mprotect of unrelated memory).
 * Wherever the slot is not, the access is an MMIO exit the VMM answers
 * with the same pattern, so the guest must see its pattern every time, and
 * every change must succeed. (The faults and the notifier read slots under
 * RCU while they are replaced and freed: this is the race to survive.)
 */
#include <pthread.h>
#include <sys/mman.h>
#include <time.h>

#include "kvmini_util.h"
#include "kvmini_vm.h"
#include "kselftest_harness.h"

#define NPAGES		16
#define SIZE		(NPAGES * 4096ULL)
#define GPA_A		(1ULL << 32)		/* where the guest looks */
#define GPA_B		(1ULL << 33)		/* where the slot goes meanwhile */
#define GVA		0x40000000ULL
/* 300 changes take seconds in the QEMU host, minutes in Bochs: 60 there. */
#define CHANGES		(host_cpu_is_amd() ? 300 : 60)
#define LOG		KVMINI_MEM_LOG_DIRTY_PAGES

static uint64_t pattern(uint64_t page)
{
	return 0x5107000000000000ULL | page;
}

static uint64_t g_stop, g_rounds;

static void guest_pages(void)
{
	volatile uint64_t *p = (uint64_t *)GVA;
	uint64_t i;

	while (!*(volatile uint64_t *)&g_stop) {
		for (i = 0; i < NPAGES; i++) {
			GUEST_ASSERT_EQ(p[i * 512], pattern(i));
			p[i * 512] = pattern(i);
		}
		*(volatile uint64_t *)&g_rounds += 1;
	}
	GUEST_SYNC(g_rounds);
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

struct run {
	struct kvmini_vcpu *vcpu;
	int r;
	volatile long mmio;
	struct ucall uc;
};

/* Run to the end, answering MMIO reads with the pattern of their page. */
static void *runner(void *arg)
{
	struct run *rn = arg;
	struct kvmini_run *run = rn->vcpu->run;
	uint64_t v;

	for (;;) {
		rn->r = vcpu_run(rn->vcpu);
		if (rn->r && rn->r != -EINTR)
			return NULL;
		if (run->exit_reason != KVMINI_EXIT_MMIO)
			break;
		rn->mmio++;
		if (!run->mmio.is_write) {
			v = pattern((run->mmio.phys_addr - GPA_A) / 4096);
			memcpy(run->mmio.data, &v, 8);
		}
	}
	vcpu_get_ucall(rn->vcpu, &rn->uc);
	return NULL;
}

static volatile int stop;
static volatile long pokes;

static void *notifier_poker(void *arg)
{
	char *mem = mmap(NULL, SIZE, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);

	while (!stop && mem != MAP_FAILED) {
		mprotect(mem, SIZE, PROT_READ);
		mprotect(mem, SIZE, PROT_READ | PROT_WRITE);
		pokes++;
	}
	return NULL;
}

/* The guest made progress (a round, or an MMIO exit) and the poker poked. */
static bool all_moved(struct kvmini_vm *vm, struct run *rn)
{
	uint64_t rounds = *(volatile uint64_t *)&GUEST_VAR(vm, g_rounds);
	long mmio = rn->mmio, p = pokes;
	int ms;

	for (ms = 0; ms < 2000; ms++) {
		if ((*(volatile uint64_t *)&GUEST_VAR(vm, g_rounds) != rounds ||
		     rn->mmio != mmio) && pokes != p)
			return true;
		usleep(1000);
	}
	return false;
}

TEST(changes)
{
	static const struct { uint64_t gpa; uint32_t flags; } steps[] = {
		{ GPA_B, 0 }, { GPA_A, 0 }, { GPA_A, LOG }, { GPA_B, LOG },
		{ GPA_A, LOG }, { GPA_A, 0 }, { 0, 0 } /* delete */, { GPA_A, LOG },
		{ 0, 0 }, { GPA_A, 0 },
	};
	struct kvmini_vcpu *vcpu;
	struct kvmini_vm *vm = vm_create_guest(guest_pages, &vcpu);
	struct run rn = { .vcpu = vcpu };
	uint64_t *mem, bitmap[1];
	struct kvmini_dirty_log log = { .slot = 1, .dirty_bitmap = (uintptr_t)bitmap };
	int i, r, logs = 0;
	pthread_t t[2];

	REQUIRE_VM(vm);
	mem = vm_add_mem(vm, 1, GPA_A, SIZE);
	for (i = 0; i < NPAGES; i++)
		mem[i * 512] = pattern(i);
	vm_map(vm, GVA, GPA_A, SIZE);
	vcpu_allow_intr(vcpu);
	ASSERT_EQ(0, pthread_create(&t[0], NULL, runner, &rn));
	ASSERT_EQ(0, pthread_create(&t[1], NULL, notifier_poker, NULL));
	/* Each change meets a running guest and a poking notifier. */
	for (i = 0; i < CHANGES; i++) {
		uint64_t gpa = steps[i % 10].gpa;

		ASSERT_TRUE(all_moved(vm, &rn)) TH_LOG("change %d: a thread stood still", i);
		r = vm_set_region(vm, 1, steps[i % 10].flags, gpa, gpa ? SIZE : 0, mem);
		ASSERT_EQ(0, r) TH_LOG("change %d: %s", i, strerror(-r));
		if (steps[i % 10].flags & LOG) {
			ASSERT_EQ(0, ioctl_err(vm->fd, KVMINI_GET_DIRTY_LOG, (unsigned long)&log));
			logs++;
		}
	}
	stop = 1;
	pthread_join(t[1], NULL);
	GUEST_VAR(vm, g_stop) = 1;
	pthread_join(t[0], NULL);
	ASSERT_EQ(0, rn.r) TH_LOG("KVMINI_RUN: %s", strerror(-rn.r));
	ASSERT_EQ((uint64_t)UCALL_SYNC, rn.uc.cmd) TH_LOG("%s:%lu: %s (%#lx, %#lx)", rn.uc.file,
		  (unsigned long)rn.uc.line, rn.uc.expr, (unsigned long)rn.uc.args[0],
		  (unsigned long)rn.uc.args[1]);
	TH_LOG("%d changes, %d logs taken; guest: %lu rounds, %ld MMIO exits; %ld notifier pokes",
	       CHANGES, logs, (unsigned long)rn.uc.args[0], rn.mmio, pokes);
	EXPECT_GT(rn.uc.args[0], 0ULL);
	for (i = 0; i < NPAGES; i++)
		EXPECT_EQ(pattern(i), mem[i * 512]);
	vm_free(vm);
}

TEST_HARNESS_MAIN
