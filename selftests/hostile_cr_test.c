// SPDX-License-Identifier: GPL-2.0
/*
 * A hostile guest writes odd values to CR0, CR3, CR4, CR8 and EFER, one
 * after the other, in 64-bit mode, under an IDT that records #GP: each
 * write either takes effect (read back at once, and again after an exit
 * to the VMM while it is live, then undone) or raises #GP and changes
 * nothing, exactly as KVM 6.1 decides (arch/x86/kvm/x86.c kvm_set_cr0,
 * kvm_set_cr4, kvm_set_cr8, set_efer; CR3 as the CPU checks it): reserved
 * bits, PG without PE, NW without CD, clearing PG/PE, PAE, LME in long
 * mode, LA57 toggled in long mode, CR4 bits the guest's CPUID lacks
 * (PCIDE FSGSBASE SMEP SMAP UMIP PKE VMXE; SMXE, CET, PKS never; OSXSAVE
 * is hostile_state_test's: where XCR0 follows it wrongly, a host interrupt
 * between setting and clearing it took the host down),
 * PCIDE with CR3[11:0] != 0, CR3 beyond MAXPHYADDR, CR8 > 15, EFER bits
 * the CPUID lacks (SVME NX FFXSR), LMA (ignored), LMSW clearing PE.
 * Twice: with the supported CPUID, and with it stripped of those features.
 * The vCPU never exits with anything but the test's own I/O (no
 * FAIL_ENTRY, INTERNAL_ERROR, SHUTDOWN) and never hangs (5 s between
 * exits); a case that kills the vCPU is reported and the next one runs in
 * a new VM.  The host's XCR0 is what it was.
 */
#include <cpuid.h>
#include <sched.h>
#include <signal.h>
#include <sys/time.h>

#include "kvmini_util.h"
#include "kvmini_vm.h"
#include "kselftest_harness.h"

enum { R_CR0, R_CR3, R_CR4, R_CR8, R_EFER, R_LMSW, R_NONE };
enum { OP_OR, OP_ANDN, OP_SET, OP_XOR };
/*
 * What KVM does: take it, #GP, or take it iff the guest CPUID has feature
 * @f.  E_GP_HIGH: high bits are #GP in kvm_set_cr0/cr4/cr8, but not all
 * of KVM's paths pass them on: its instruction emulator (the path on CPUs
 * without decode assists, such as QEMU's SVM) gives kvm_set_cr0/cr4 bits
 * 31:0 only (mk_cr_64()), VMX's CR exit gives kvm_set_cr8 bits 7:0 only
 * (handle_cr()): #GP, or the value with those bits dropped.  E_GP_CPU: a
 * #GP the CPU raises by itself (KVM with nested paging does not intercept
 * MOV to CR3).
 */
enum { E_OK, E_GP, E_CPUID, E_GP_HIGH, E_GP_CPU };
enum { F_NONE, F_XSAVE, F_PCID, F_FSGSBASE, F_SMEP, F_SMAP, F_UMIP, F_PKU, F_VMX,
       F_SVM, F_NX, F_FFXSR, NR_F };

struct step {
	uint8_t reg, op;
	uint64_t bits;
};

struct cr_case {
	const char *name;
	struct step pre;	/* done first (and must work), undone last */
	struct step w;
	uint8_t expect, f;
};

#define BIT(n)		(1ULL << (n))
#define CR0_PE		BIT(0)
#define CR0_MP		BIT(1)
#define CR0_EM		BIT(2)
#define CR0_TS		BIT(3)
#define CR0_ET		BIT(4)
#define CR0_NE		BIT(5)
#define CR0_WP		BIT(16)
#define CR0_AM		BIT(18)
#define CR0_NW		BIT(29)
#define CR0_CD		BIT(30)
#define CR0_PG		BIT(31)
#define CR0_RSVD_LOW	0x1ffaffc0ULL	/* bits 6-15, 17, 19-28: KVM drops them */
#define CR4_VME		BIT(0)
#define CR4_PVI		BIT(1)
#define CR4_TSD		BIT(2)
#define CR4_DE		BIT(3)
#define CR4_PSE		BIT(4)
#define CR4_PAE		BIT(5)
#define CR4_MCE		BIT(6)
#define CR4_PGE		BIT(7)
#define CR4_PCE		BIT(8)
#define CR4_OSFXSR	BIT(9)
#define CR4_OSXMMEXCPT	BIT(10)
#define CR4_UMIP	BIT(11)
#define CR4_LA57	BIT(12)
#define CR4_VMXE	BIT(13)
#define CR4_SMXE	BIT(14)
#define CR4_FSGSBASE	BIT(16)
#define CR4_PCIDE	BIT(17)
#define CR4_SMEP	BIT(20)
#define CR4_SMAP	BIT(21)
#define CR4_PKE		BIT(22)
#define CR4_CET		BIT(23)
#define CR4_PKS		BIT(24)
#define EFER_SVME	BIT(12)
#define EFER_FFXSR	BIT(14)
#define NO_PRE		{ R_NONE, 0, 0 }
#define CASE(n, e, feature, r, o, b) \
	{ .name = n, .pre = NO_PRE, .w = { r, o, b }, .expect = e, .f = feature }
#define OK(n, r, o, b)		CASE(n, E_OK, F_NONE, r, o, b)
#define GP(n, r, o, b)		CASE(n, E_GP, F_NONE, r, o, b)
#define IF_HAS(f, n, r, o, b)	CASE(n, E_CPUID, f, r, o, b)
#define GP_HIGH(n, r, o, b)	CASE(n, E_GP_HIGH, F_NONE, r, o, b)
#define GP_CPU(n, r, o, b)	CASE(n, E_GP_CPU, F_NONE, r, o, b)

static const struct cr_case cases[] = {
	GP_HIGH("CR0 bit 32", R_CR0, OP_OR, BIT(32)),
	GP_HIGH("CR0 bit 63", R_CR0, OP_OR, BIT(63)),
	OK("CR0 reserved bit 6 (dropped)", R_CR0, OP_OR, BIT(6)),
	OK("CR0 reserved bits 15, 17, 28 (dropped)", R_CR0, OP_OR, BIT(15) | BIT(17) | BIT(28)),
	GP("CR0.PG without PE", R_CR0, OP_ANDN, CR0_PE),
	GP("CR0.NW without CD", R_CR0, OP_OR, CR0_NW),
	OK("CR0.CD", R_CR0, OP_OR, CR0_CD),
	OK("CR0.CD and NW", R_CR0, OP_OR, CR0_CD | CR0_NW),
	GP("CR0.PG cleared in 64-bit mode", R_CR0, OP_ANDN, CR0_PG),
	GP("CR0.PE and PG cleared in 64-bit mode", R_CR0, OP_ANDN, CR0_PE | CR0_PG),
	OK("CR0.ET cleared (reads 1)", R_CR0, OP_ANDN, CR0_ET),
	OK("CR0.WP cleared", R_CR0, OP_ANDN, CR0_WP),
	OK("CR0.NE cleared", R_CR0, OP_ANDN, CR0_NE),
	OK("CR0.TS, EM, AM", R_CR0, OP_OR, CR0_TS | CR0_EM | CR0_AM),
	OK("CR0.MP cleared", R_CR0, OP_ANDN, CR0_MP),
	OK("LMSW clearing PE (PE stays)", R_LMSW, OP_ANDN, CR0_PE),
	GP_HIGH("CR0 all ones", R_CR0, OP_SET, ~0ULL),
	GP("CR0 zero in 64-bit mode", R_CR0, OP_SET, 0),

	GP_HIGH("CR4 bit 63", R_CR4, OP_OR, BIT(63)),
	GP_HIGH("CR4 bit 32", R_CR4, OP_OR, BIT(32)),
	GP("CR4 reserved bit 15", R_CR4, OP_OR, BIT(15)),
	GP("CR4 bit 19 (KL)", R_CR4, OP_OR, BIT(19)),
	GP("CR4.SMXE", R_CR4, OP_OR, CR4_SMXE),
	GP("CR4.CET", R_CR4, OP_OR, CR4_CET),
	GP("CR4.PKS", R_CR4, OP_OR, CR4_PKS),
	GP("CR4 bits 25-31", R_CR4, OP_OR, 0xfe000000ULL),
	GP("CR4.PAE cleared in long mode", R_CR4, OP_ANDN, CR4_PAE),
	GP("CR4.LA57 toggled in long mode", R_CR4, OP_XOR, CR4_LA57),
	GP("CR4 all ones", R_CR4, OP_SET, ~0ULL),
	GP("CR4 zero in long mode", R_CR4, OP_SET, 0),
	IF_HAS(F_PCID, "CR4.PCIDE", R_CR4, OP_OR, CR4_PCIDE),
	IF_HAS(F_FSGSBASE, "CR4.FSGSBASE", R_CR4, OP_OR, CR4_FSGSBASE),
	IF_HAS(F_SMEP, "CR4.SMEP", R_CR4, OP_OR, CR4_SMEP),
	IF_HAS(F_SMAP, "CR4.SMAP", R_CR4, OP_OR, CR4_SMAP),
	IF_HAS(F_UMIP, "CR4.UMIP", R_CR4, OP_OR, CR4_UMIP),
	IF_HAS(F_PKU, "CR4.PKE", R_CR4, OP_OR, CR4_PKE),
	IF_HAS(F_VMX, "CR4.VMXE", R_CR4, OP_OR, CR4_VMXE),
	{ .name = "CR4.PCIDE with CR3[11:0] != 0", .pre = { R_CR3, OP_OR, 0x8 },
	  .w = { R_CR4, OP_OR, CR4_PCIDE }, .expect = E_GP },
	OK("CR4.PGE cleared", R_CR4, OP_XOR, CR4_PGE),
	OK("CR4.TSD, DE, PCE, MCE", R_CR4, OP_OR, CR4_TSD | CR4_DE | CR4_PCE | CR4_MCE),
	OK("CR4.VME, PVI, PSE", R_CR4, OP_OR, CR4_VME | CR4_PVI | CR4_PSE),
	OK("CR4.OSFXSR, OSXMMEXCPT cleared", R_CR4, OP_ANDN, CR4_OSFXSR | CR4_OSXMMEXCPT),

	GP_CPU("CR3 bit 63 (PCIDE 0)", R_CR3, OP_OR, BIT(63)),
	GP_CPU("CR3 bit 52", R_CR3, OP_OR, BIT(52)),
	GP_CPU("CR3 bit 51", R_CR3, OP_OR, BIT(51)),
	OK("CR3.PWT, PCD", R_CR3, OP_OR, 0x18),

	OK("CR8 15", R_CR8, OP_SET, 15),
	GP("CR8 16", R_CR8, OP_SET, 16),
	GP("CR8 0x11", R_CR8, OP_SET, 0x11),
	GP_HIGH("CR8 bit 63", R_CR8, OP_SET, BIT(63)),

	GP("EFER.LME cleared in long mode", R_EFER, OP_ANDN, EFER_LME),
	GP("EFER.LME and LMA cleared in long mode", R_EFER, OP_ANDN, EFER_LME | EFER_LMA),
	GP("EFER reserved bit 1", R_EFER, OP_OR, BIT(1)),
	GP("EFER reserved bit 9", R_EFER, OP_OR, BIT(9)),
	GP("EFER bit 63", R_EFER, OP_OR, BIT(63)),
	OK("EFER.LMA cleared (ignored)", R_EFER, OP_ANDN, EFER_LMA),
	OK("EFER.SCE", R_EFER, OP_OR, EFER_SCE),
	IF_HAS(F_NX, "EFER.NX", R_EFER, OP_OR, EFER_NX),
	IF_HAS(F_SVM, "EFER.SVME", R_EFER, OP_OR, EFER_SVME),
	IF_HAS(F_FFXSR, "EFER.FFXSR", R_EFER, OP_OR, EFER_FFXSR),
};
#define NR_CASES	(sizeof(cases) / sizeof(cases[0]))

/* The CPUID bit of each feature: leaf, register (0 EAX .. 3 EDX), bit. */
static const struct { uint32_t fn; int reg, bit; } features[NR_F] = {
	[F_XSAVE] = { 1, 2, 26 }, [F_PCID] = { 1, 2, 17 }, [F_VMX] = { 1, 2, 5 },
	[F_FSGSBASE] = { 7, 1, 0 }, [F_SMEP] = { 7, 1, 7 }, [F_SMAP] = { 7, 1, 20 },
	[F_UMIP] = { 7, 2, 2 }, [F_PKU] = { 7, 2, 3 },
	[F_SVM] = { 0x80000001, 2, 2 }, [F_NX] = { 0x80000001, 3, 20 },
	[F_FFXSR] = { 0x80000001, 3, 25 },
};

static const char *const f_names[NR_F] = {
	[F_XSAVE] = "XSAVE", [F_PCID] = "PCID", [F_VMX] = "VMX", [F_FSGSBASE] = "FSGSBASE",
	[F_SMEP] = "SMEP", [F_SMAP] = "SMAP", [F_UMIP] = "UMIP", [F_PKU] = "PKU",
	[F_SVM] = "SVM", [F_NX] = "NX", [F_FFXSR] = "FFXSR",
};

struct cr_res {
	uint64_t pre_vec, vec, old, after, after_exit, restore_vec, restored;
};
static struct cr_res g_res[NR_CASES];
static uint64_t g_case;
static uint8_t g_skip[NR_CASES];	/* set by the host: cases not to run */

#define EXIT_PORT	0xf0	/* the guest's exit while a value is live */

static uint64_t read_reg(int reg)
{
	uint64_t v = 0;

	switch (reg) {
	case R_CR0: case R_LMSW:
		asm volatile("mov %%cr0, %0" : "=a"(v)); break;
	case R_CR3:
		asm volatile("mov %%cr3, %0" : "=a"(v)); break;
	case R_CR4:
		asm volatile("mov %%cr4, %0" : "=a"(v)); break;
	case R_CR8:
		asm volatile("mov %%cr8, %0" : "=a"(v)); break;
	case R_EFER:
		v = rdmsr(MSR_EFER); break;
	}
	return v;
}

/* The write, always from RAX (fixed lengths): the vector it raised, or GUEST_NO_EXC. */
static uint64_t write_reg(int reg, uint64_t v)
{
	static const uint8_t len[] = { [R_CR0] = 3, [R_CR3] = 3, [R_CR4] = 3, [R_CR8] = 4,
				       [R_EFER] = 2, [R_LMSW] = 3 };

	guest_exc_arm(len[reg]);
	switch (reg) {
	case R_CR0:
		asm volatile("mov %0, %%cr0" : : "a"(v) : "memory"); break;
	case R_CR3:
		asm volatile("mov %0, %%cr3" : : "a"(v) : "memory"); break;
	case R_CR4:
		asm volatile("mov %0, %%cr4" : : "a"(v) : "memory"); break;
	case R_CR8:
		asm volatile("mov %0, %%cr8" : : "a"(v) : "memory"); break;
	case R_EFER:
		asm volatile("wrmsr" : : "c"(MSR_EFER), "a"((uint32_t)v),
			     "d"((uint32_t)(v >> 32)) : "memory");
		break;
	case R_LMSW:
		asm volatile("lmsw %w0" : : "a"(v) : "memory"); break;
	}
	guest_exc.resume = 0;
	return guest_exc.vector;
}

static uint64_t apply(const struct step *s, uint64_t old)
{
	switch (s->op) {
	case OP_OR:	return old | s->bits;
	case OP_ANDN:	return old & ~s->bits;
	case OP_XOR:	return old ^ s->bits;
	default:	return s->bits;
	}
}

/*
 * Everything between the write and the restore is plain integer code: with
 * CR4.OSFXSR clear or CR0.TS set an SSE instruction would fault.
 */
static void guest_cr(uint64_t first)
{
	uint64_t i, pre_old = 0, pre_vec, vec, old, after, after_exit, rvec, restored;
	const struct cr_case *c;

	for (i = first; i < NR_CASES; i++) {
		*(volatile uint64_t *)&g_case = i;
		c = &cases[i];
		if (g_skip[i])
			continue;
		pre_vec = GUEST_NO_EXC;
		if (c->pre.reg != R_NONE) {
			pre_old = read_reg(c->pre.reg);
			pre_vec = write_reg(c->pre.reg, apply(&c->pre, pre_old));
		}
		old = read_reg(c->w.reg);
		vec = write_reg(c->w.reg, apply(&c->w, old));
		after = read_reg(c->w.reg);
		asm volatile("outb %%al, %0" : : "i"(EXIT_PORT), "a"(0) : "memory");
		after_exit = read_reg(c->w.reg);
		rvec = write_reg(c->w.reg == R_LMSW ? R_CR0 : c->w.reg, old);
		restored = read_reg(c->w.reg);
		if (c->pre.reg != R_NONE)
			write_reg(c->pre.reg, pre_old);
		g_res[i].pre_vec = pre_vec;
		g_res[i].vec = vec;
		g_res[i].old = old;
		g_res[i].after = after;
		g_res[i].after_exit = after_exit;
		g_res[i].restore_vec = rvec;
		g_res[i].restored = restored;
		GUEST_SYNC(i);
	}
}

static bool cpuid_has(const struct kvmini_cpuid2 *c, int f)
{
	uint32_t i, r[4];

	for (i = 0; i < c->nent; i++)
		if (c->entries[i].function == features[f].fn && c->entries[i].index == 0) {
			r[0] = c->entries[i].eax;
			r[1] = c->entries[i].ebx;
			r[2] = c->entries[i].ecx;
			r[3] = c->entries[i].edx;
			return r[features[f].reg] & (1U << features[f].bit);
		}
	return false;
}

/* What a write that takes effect reads back as (KVM), of the value's bits @mask. */
static uint64_t effect(const struct cr_case *c, uint64_t old, uint64_t mask)
{
	uint64_t v = (apply(&c->w, old) & mask) | (old & ~mask);

	switch (c->w.reg) {
	case R_CR0:	return (v | CR0_ET) & ~CR0_RSVD_LOW;
	case R_LMSW:	return old;	/* MP EM TS as they were, PE cannot be cleared */
	case R_EFER:	return (v & ~EFER_LMA) | (old & EFER_LMA);
	default:	return v;
	}
}

/* QEMU's TCG announces itself in the hypervisor CPUID leaf of its CPU. */
static bool host_is_tcg(void)
{
	unsigned int a, sig[3];

	__cpuid(0x40000000, a, sig[0], sig[1], sig[2]);
	return !memcmp(sig, "TCGTCGTCGTCG", 12);
}

/* Check case @i's results; false if it failed. */
static bool check(struct __test_metadata *_metadata, const struct kvmini_cpuid2 *cpuid,
		  unsigned int i, const struct cr_res *r)
{
	const struct cr_case *c = &cases[i];
	bool ok = c->expect == E_OK || (c->expect == E_CPUID && cpuid_has(cpuid, c->f));
	uint64_t want = ok ? effect(c, r->old, ~0ULL) : r->old;
	bool pass;

	/* The high bits dropped, or #GP. */
	if (c->expect == E_GP_HIGH && r->vec == GUEST_NO_EXC) {
		ok = true;
		want = effect(c, r->old, c->w.reg == R_CR8 ? 0xff : 0xffffffffULL);
	}
	pass = r->pre_vec == GUEST_NO_EXC && r->vec == (ok ? GUEST_NO_EXC : 13) &&
	       r->after == want && r->after_exit == want &&
	       r->restore_vec == GUEST_NO_EXC && r->restored == r->old;
	if (!pass)
		TH_LOG("%s: %s expected, got vector %ld: %#lx -> %#lx (want %#lx), after an exit %#lx, "
		       "restored %#lx (vector %ld)%s", c->name, ok ? "takes effect" : "#GP",
		       (long)r->vec, (unsigned long)r->old, (unsigned long)r->after,
		       (unsigned long)want, (unsigned long)r->after_exit,
		       (unsigned long)r->restored, (long)r->restore_vec,
		       r->pre_vec != GUEST_NO_EXC ? " (the first step failed)" : "");
	return pass;
}

static volatile sig_atomic_t timed_out;

static void on_alarm(int sig)
{
	timed_out = 1;
}

static uint64_t host_xcr0(void)
{
	unsigned int a, b, c, d;

	__cpuid(1, a, b, c, d);
	if (!(c & (1U << 27)))		/* OSXSAVE: XGETBV works here */
		return 0;
	asm volatile("xgetbv" : "=a"(a), "=d"(d) : "c"(0));
	return a | (uint64_t)d << 32;
}

/*
 * Run every case from @first in a new VM with CPUID @cpuid until the guest
 * is done or dies; returns the case after the last one that ran.
 */
static unsigned int run_from(struct __test_metadata *_metadata,
			     const struct kvmini_cpuid2 *cpuid, unsigned int first,
			     unsigned int *failed)
{
	struct itimerval it = { .it_value.tv_sec = 5 };
	struct kvmini_vcpu *vcpu;
	struct kvmini_vm *vm = vm_create_guest(guest_cr, &vcpu);
	struct kvmini_run *run = vcpu->run;
	unsigned int i;
	struct ucall uc;
	int r, cmd;

	vcpu_ioctl(vcpu, KVMINI_SET_CPUID2, cpuid);
	vcpu_set_args(vcpu, 1, (uint64_t)first);
	/*
	 * QEMU 7.2 takes reserved CR3 bits that its VMRUN then refuses:
	 * KVM too exits with FAIL_ENTRY there, so they cannot be run.
	 */
	for (i = 0; i < NR_CASES; i++)
		GUEST_VAR(vm, g_skip)[i] = cases[i].expect == E_GP_CPU && host_is_tcg();
	for (;;) {
		timed_out = 0;
		setitimer(ITIMER_REAL, &it, NULL);
		r = vcpu_run(vcpu);
		setitimer(ITIMER_REAL, &(struct itimerval){ 0 }, NULL);
		/*
		 * Through the identity map, not the guest's page tables: a
		 * guest gone wild may have written over them.
		 */
		i = *(uint64_t *)vm_gpa2hva(vm, (uintptr_t)&g_case);
		if (i < first || i >= NR_CASES) {
			TH_LOG("%s: the guest wrote over its own memory", cases[first].name);
			(*failed)++;
			i = first + 1;
			break;
		}
		if (r == 0 && run->exit_reason == KVMINI_EXIT_IO && run->io.port == EXIT_PORT)
			continue;
		/* KVM tells a VMM with its own irqchip that the guest lowered CR8. */
		if (r == 0 && run->exit_reason == KVMINI_EXIT_SET_TPR)
			continue;
		cmd = r ? UCALL_NONE : vcpu_get_ucall(vcpu, &uc);
		if (cmd == UCALL_SYNC) {
			*failed += !check(_metadata, cpuid, i,
					  (struct cr_res *)vm_gpa2hva(vm, (uintptr_t)&g_res[i]));
			continue;
		}
		if (cmd == UCALL_DONE) {
			i = NR_CASES;
			break;
		}
		(*failed)++;
		if (timed_out)
			TH_LOG("%s: the vCPU hung (no exit in 5 s)", cases[i].name);
		else if (r)
			TH_LOG("%s: KVMINI_RUN: %s", cases[i].name, strerror(-r));
		else if (cmd == UCALL_EXCEPTION)
			TH_LOG("%s: guest exception %lu at %#lx", cases[i].name,
			       (unsigned long)uc.args[0], (unsigned long)uc.args[2]);
		else
			TH_LOG("%s: exit %s (hardware reason %#llx, suberror %u)", cases[i].name,
			       exit_reason_str(run->exit_reason),
			       run->fail_entry.hardware_entry_failure_reason,
			       run->internal.suberror);
		i++;		/* the vCPU is gone: the next case in a new VM */
		break;
	}
	vm_free(vm);
	return i;
}

static void test_crs(struct __test_metadata *_metadata, bool strip)
{
	struct sigaction sa = { .sa_handler = on_alarm };	/* no SA_RESTART */
	struct kvmini_vm *vm = vm_create();
	struct kvmini_cpuid2 *cpuid;
	unsigned int i, f, failed = 0;
	uint64_t xcr0 = host_xcr0();
	char has[128];
	int n;
	cpu_set_t set;

	REQUIRE_VM(vm);
	/* One CPU: XCR0 is checked on the CPU the guests ran on. */
	CPU_ZERO(&set);
	CPU_SET(sched_getcpu(), &set);
	ASSERT_EQ(0, sched_setaffinity(0, sizeof(set), &set));
	ASSERT_EQ(0, sigaction(SIGALRM, &sa, NULL));
	cpuid = kvmini_supported_cpuid(vm);
	vm_free(vm);
	for (i = 0; strip && i < cpuid->nent; i++)
		for (f = F_XSAVE; f < NR_F; f++)
			if (cpuid->entries[i].function == features[f].fn) {
				uint32_t *r[4] = { &cpuid->entries[i].eax, &cpuid->entries[i].ebx,
						   &cpuid->entries[i].ecx, &cpuid->entries[i].edx };

				*r[features[f].reg] &= ~(1U << features[f].bit);
			}
	for (f = F_XSAVE, n = 0; f < NR_F; f++)
		if (cpuid_has(cpuid, f))
			n += snprintf(has + n, sizeof(has) - n, " %s", f_names[f]);
	TH_LOG("the guest's CPUID has:%s", n ? has : " none of them");

	for (i = 0; i < NR_CASES; i++)
		if (cases[i].expect == E_GP_CPU && host_is_tcg())
			TH_LOG("not run on QEMU's TCG (its MOV to CR3 takes the value, then its VMRUN "
			       "refuses it: FAIL_ENTRY on KVM too): %s", cases[i].name);
	for (i = 0; i < NR_CASES; )
		i = run_from(_metadata, cpuid, i, &failed);
	free(cpuid);
	EXPECT_EQ(0U, failed) TH_LOG("%u of %zu cases failed", failed, NR_CASES);
	EXPECT_EQ(xcr0, host_xcr0()) TH_LOG("the host's XCR0 changed");
}

FIXTURE(cr) {};
FIXTURE_SETUP(cr) {}
FIXTURE_TEARDOWN(cr) {}

TEST_F_TIMEOUT(cr, supported_cpuid, 300)
{
	test_crs(_metadata, false);
}

TEST_F_TIMEOUT(cr, stripped_cpuid, 300)
{
	test_crs(_metadata, true);
}

TEST_HARNESS_MAIN
