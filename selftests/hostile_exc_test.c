// SPDX-License-Identifier: GPL-2.0
/*
 * A hostile guest's exceptions and endless loops.
 *
 * storms: 2000 each of #DB by single-stepping (exactly 2N+4 for the
 * stepped code, DR6.BS set), #BP, #UD, #DE, #PF (CR2, error code 0), #GP
 * from WRMSR (an exit and an injection each) and #DB from a data
 * breakpoint, all counted by the guest's IDT: none lost, none doubled.
 *
 * triple_fault_*: IDT limit 0, IDT unmapped, #PF with the #PF and #DF
 * gates not present, the exception stack (IST1) unmapped: each ends in
 * KVMINI_EXIT_SHUTDOWN, and the same vCPU, set up again, runs a guest to
 * the end.  CR3 pointing outside guest memory too, where an internal error
 * will also do (but no hang, no FAIL_ENTRY); KVM does not survive that one.
 *
 * endless_loop_*: a guest spinning with IF=1 and with IF=0 is stopped by a
 * signal (RUN returns EINTR, exit INTR) twice, going on where it was each
 * time, and ends when the VMM tells it to.
 */
#include <signal.h>
#include <sys/time.h>

#include "kvmini_util.h"
#include "kvmini_vm.h"
#include "kselftest_harness.h"

#define STORM		2000
#define UNMAPPED	0x7f0000000000ULL	/* no guest mapping there */
#define MMIO_GPA	0xc0000000ULL		/* outside every memory slot */

static uint64_t g_watch;

/* Count @vec's exceptions from now: guest_exc.counts[] is the library's. */
static inline void zero_counts(void)
{
	int i;

	for (i = 0; i < 32; i++)
		((volatile uint64_t *)guest_exc.counts)[i] = 0;
}

static void guest_storms(void)
{
	uint64_t n, dr6;

	/* #DB: TF set for MOV, N x (DEC, JNZ), PUSHF, AND, POPF (which clears it). */
	zero_counts();
	guest_exc_count(0);
	asm volatile("sub $128, %%rsp\n\t"
		     "pushfq; orq $0x100, (%%rsp); popfq\n\t"
		     "mov %0, %%ecx\n"
		     "1: dec %%ecx; jnz 1b\n\t"
		     "pushfq; andq $~0x100, (%%rsp); popfq\n\t"
		     "add $128, %%rsp"
		     : : "r"((uint32_t)STORM) : "rcx", "memory", "cc");
	guest_exc.resume = 0;
	asm volatile("mov %%dr6, %0" : "=r"(dr6));
	GUEST_SYNC4(1, guest_exc.counts[1], dr6, guest_exc.count);

	zero_counts();
	guest_exc_count(0);	/* INT3 is a trap: RIP is past it */
	for (n = 0; n < STORM; n++)
		asm volatile("int3" : : : "memory");
	guest_exc.resume = 0;
	GUEST_SYNC4(3, guest_exc.counts[3], 0, guest_exc.count);

	zero_counts();
	guest_exc_count(2);
	for (n = 0; n < STORM; n++)
		asm volatile("ud2" : : : "memory");
	guest_exc.resume = 0;
	GUEST_SYNC4(6, guest_exc.counts[6], 0, guest_exc.count);

	zero_counts();
	guest_exc_count(2);	/* div %ecx: f7 f1 */
	for (n = 0; n < STORM; n++)
		asm volatile("div %%ecx" : : "a"(1), "d"(0), "c"(0) : "memory", "cc");
	guest_exc.resume = 0;
	GUEST_SYNC4(0, guest_exc.counts[0], 0, guest_exc.count);

	zero_counts();
	guest_exc_count(3);	/* mov (%rax), %rcx: 48 8b 08 */
	for (n = 0; n < STORM; n++)
		asm volatile("mov (%%rax), %%rcx" : : "a"(UNMAPPED) : "rcx", "memory");
	guest_exc.resume = 0;
	GUEST_SYNC4(14, guest_exc.counts[14], guest_exc.cr2, guest_exc.error_code);

	zero_counts();
	guest_exc_count(2);	/* an MSR nobody has */
	for (n = 0; n < STORM; n++)
		asm volatile("wrmsr" : : "c"(0x1fff), "a"(0), "d"(0) : "memory");
	guest_exc.resume = 0;
	GUEST_SYNC4(13, guest_exc.counts[13], 0, guest_exc.error_code);

	/* #DB after each 8-byte write to g_watch: DR0, R/W0 = write, LEN0 = 8, L0. */
	zero_counts();
	asm volatile("mov %0, %%dr0; mov %1, %%dr7" : : "r"(&g_watch), "r"(0xd0401ULL));
	guest_exc_count(0);
	for (n = 0; n < STORM; n++)
		*(volatile uint64_t *)&g_watch = n;
	guest_exc.resume = 0;
	asm volatile("mov %1, %%dr7; mov %%dr6, %0" : "=&r"(dr6) : "r"(0x400ULL));
	GUEST_SYNC4(1, guest_exc.counts[1], dr6, guest_exc.count);
}

TEST(storms)
{
	static const struct { uint64_t vec, count; const char *what; } want[] = {
		{ 1, 2 * STORM + 4, "#DB single steps" }, { 3, STORM, "#BP" },
		{ 6, STORM, "#UD" }, { 0, STORM, "#DE" }, { 14, STORM, "#PF" },
		{ 13, STORM, "#GP from WRMSR" }, { 1, STORM, "#DB data breakpoints" },
	};
	struct kvmini_vcpu *vcpu;
	struct kvmini_vm *vm = vm_create_guest(guest_storms, &vcpu);
	struct ucall uc;
	unsigned int i;

	REQUIRE_VM(vm);
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, &uc)) TH_LOG("%s", want[i].what);
		EXPECT_EQ(want[i].vec, uc.args[0]);
		EXPECT_EQ(want[i].count, uc.args[1]) TH_LOG("%s", want[i].what);
		if (i == 0)	/* DR6.BS */
			EXPECT_EQ(0x4000ULL, uc.args[2] & 0x4000) TH_LOG("DR6 %#lx",
									(unsigned long)uc.args[2]);
		if (i == 4) {
			EXPECT_EQ(UNMAPPED, uc.args[2]) TH_LOG("CR2");
			EXPECT_EQ(0ULL, uc.args[3]) TH_LOG("#PF error code");
		}
		if (i == 5)
			EXPECT_EQ(0ULL, uc.args[3]) TH_LOG("#GP error code");
		if (i == 6)	/* DR6.B0 */
			EXPECT_EQ(1ULL, uc.args[2] & 0xf) TH_LOG("DR6 %#lx",
								 (unsigned long)uc.args[2]);
	}
	ASSERT_EQ(UCALL_DONE, vcpu_run_ucall(vcpu, &uc));
	vm_free(vm);
}

/* ------------------------------------------------------------------ */

enum { T_IDT_LIMIT0, T_IDT_UNMAPPED, T_NO_PF_DF_GATE, T_IST_UNMAPPED, T_CR3_OUTSIDE, NR_T };
static const char *const t_names[NR_T] = {
	"IDT limit 0", "IDT unmapped", "#PF and #DF gates not present",
	"exception stack unmapped", "CR3 outside memory",
};

static void guest_triple(uint64_t route)
{
	struct { uint16_t limit; uint64_t base; } __attribute__((packed)) idtr;
	volatile uint64_t *idt = (uint64_t *)GUEST_IDT;

	switch (route) {
	case T_IDT_LIMIT0:
		idtr.limit = 0;
		idtr.base = GUEST_IDT;
		asm volatile("lidt %0; int3" : : "m"(idtr) : "memory");
		break;
	case T_IDT_UNMAPPED:
		idtr.limit = 4095;
		idtr.base = UNMAPPED;
		asm volatile("lidt %0; ud2" : : "m"(idtr) : "memory");
		break;
	case T_NO_PF_DF_GATE:	/* #PF -> #NP (gate 14) -> #DF -> #NP (gate 8) */
		idt[2 * 14] &= ~(1ULL << 47);
		idt[2 * 8] &= ~(1ULL << 47);
		(void)*(volatile uint64_t *)UNMAPPED;
		break;
	case T_IST_UNMAPPED:	/* the frame of #BP cannot be pushed, nor #PF's, nor #DF's */
		*(volatile uint64_t *)(GUEST_TSS + 36) = UNMAPPED;
		asm volatile("int3" : : : "memory");
		break;
	case T_CR3_OUTSIDE:
		asm volatile("mov %0, %%cr3; nop" : : "r"(MMIO_GPA) : "memory");
		break;
	}
	GUEST_SYNC(route);	/* never */
}

static void guest_ok(void)
{
	GUEST_SYNC(42);
}

/* Route @t into a triple fault; then the same vCPU, set up again, runs. */
static void triple(struct __test_metadata *_metadata, int t)
{
	struct kvmini_vcpu *vcpu;
	struct kvmini_vm *vm = vm_create_guest(guest_triple, &vcpu);
	static uint8_t tables[3 * 4096];	/* GDT, IDT, TSS as the library made them */
	struct kvmini_run *run;
	struct ucall uc;
	int r;

	REQUIRE_VM(vm);
	run = vcpu->run;
	memcpy(tables, vm_gpa2hva(vm, GUEST_GDT), sizeof(tables));
	vcpu_set_args(vcpu, 1, (uint64_t)t);
	r = vcpu_run(vcpu);
	EXPECT_EQ(0, r) TH_LOG("%s: KVMINI_RUN %s", t_names[t], strerror(-r));
	/*
	 * With CR3 outside memory the page walk reads nothing: a triple
	 * fault (all-ones entries have reserved bits) or, failing that, an
	 * internal error the VMM sees (KVM on VMX: "delivery", the #PF it
	 * could not deliver still pending, as the VMM may want to see it),
	 * but neither a hang nor FAIL_ENTRY.
	 */
	if (t != T_CR3_OUTSIDE || run->exit_reason != KVMINI_EXIT_INTERNAL_ERROR)
		EXPECT_EQ(KVMINI_EXIT_SHUTDOWN, (int)run->exit_reason)
			TH_LOG("%s: exit %s", t_names[t], exit_reason_str(run->exit_reason));
	if (run->exit_reason == KVMINI_EXIT_INTERNAL_ERROR) {
		struct kvmini_vcpu_events none = { 0 };

		TH_LOG("suberror %u, ndata %u, data %#llx %#llx", run->internal.suberror,
		       run->internal.ndata, run->internal.data[0], run->internal.data[1]);
		vcpu_ioctl(vcpu, KVMINI_SET_VCPU_EVENTS, &none);	/* drop it */
	}
	if (run->exit_reason == KVMINI_EXIT_MMIO)
		TH_LOG("MMIO gpa %#llx len %u", run->mmio.phys_addr, run->mmio.len);
	memcpy(vm_gpa2hva(vm, GUEST_GDT), tables, sizeof(tables));
	vcpu_setup_long_mode(vcpu, guest_ok);
	ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, &uc)) TH_LOG("after %s", t_names[t]);
	EXPECT_EQ(42ULL, uc.args[0]);
	vm_free(vm);
}

TEST(triple_fault_idt_limit0)
{
	triple(_metadata, T_IDT_LIMIT0);
}

TEST(triple_fault_idt_unmapped)
{
	triple(_metadata, T_IDT_UNMAPPED);
}

TEST(triple_fault_no_pf_df_gate)
{
	triple(_metadata, T_NO_PF_DF_GATE);
}

TEST(triple_fault_ist_unmapped)
{
	triple(_metadata, T_IST_UNMAPPED);
}

TEST(triple_fault_cr3_outside)
{
	if (kvmini_dev_is_kvm() && host_cpu_is_amd())
		SKIP(return, "KVM 6.1 does not survive it on AMD: it retries the nested "
		     "page fault forever (the harness's 30 s timeout)");
	triple(_metadata, T_CR3_OUTSIDE);
}

/* ------------------------------------------------------------------ */

static uint64_t g_spins, g_stop;

static void guest_spin(uint64_t irq_on)
{
	uint64_t rflags;

	if (irq_on)
		asm volatile("sti" : : : "memory");
	else
		asm volatile("cli" : : : "memory");
	while (!*(volatile uint64_t *)&g_stop)
		(*(volatile uint64_t *)&g_spins)++;
	asm volatile("pushfq; pop %0" : "=r"(rflags));
	GUEST_SYNC(rflags);
}

static volatile sig_atomic_t got_alarm;

static void on_alarm(int sig)
{
	got_alarm = 1;
}

static void spin(struct __test_metadata *_metadata, uint64_t irq_on)
{
	struct itimerval it = { .it_value.tv_usec = 50 * 1000 };
	struct sigaction sa = { .sa_handler = on_alarm };	/* no SA_RESTART */
	struct kvmini_vcpu *vcpu;
	struct kvmini_vm *vm = vm_create_guest(guest_spin, &vcpu);
	uint64_t spins = 0, now;
	struct ucall uc;
	int i;

	REQUIRE_VM(vm);
	ASSERT_EQ(0, sigaction(SIGALRM, &sa, NULL));
	vcpu_set_args(vcpu, 1, irq_on);
	for (i = 0; i < 2; i++) {
		got_alarm = 0;
		ASSERT_EQ(0, setitimer(ITIMER_REAL, &it, NULL));
		EXPECT_EQ(-EINTR, vcpu_run(vcpu));
		EXPECT_EQ(KVMINI_EXIT_INTR, (int)vcpu->run->exit_reason)
			TH_LOG("exit %s", exit_reason_str(vcpu->run->exit_reason));
		EXPECT_EQ(1, got_alarm);
		now = GUEST_VAR(vm, g_spins);
		EXPECT_GT(now, spins) TH_LOG("round %d: the guest did not go on", i);
		spins = now;
	}
	GUEST_VAR(vm, g_stop) = 1;
	ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, &uc));
	EXPECT_EQ(irq_on << 9, uc.args[0] & (1 << 9)) TH_LOG("RFLAGS.IF");
	vm_free(vm);
}

TEST(endless_loop_if1)
{
	spin(_metadata, 1);
}

TEST(endless_loop_if0)
{
	if (kvmini_dev_is_kvm() && !host_cpu_is_amd())
		SKIP(return, "Bochs 2.7 loses external interrupts into an IF=0 guest, and "
		     "the distro KVM has no preemption-timer backstop: it would freeze this host");
	spin(_metadata, 0);
}

TEST_HARNESS_MAIN
