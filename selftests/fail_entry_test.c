// SPDX-License-Identifier: GPL-2.0
/*
 * Invalid guest state.  What KVM_SET_SREGS rejects fails there with EINVAL
 * and changes nothing; what it accepts but the CPU's VMRUN consistency
 * checks refuse (64-bit mode with CS.L and CS.D both set) comes back as
 * KVMINI_EXIT_FAIL_ENTRY with the hardware's reason (SVM: VMEXIT_INVALID;
 * VMX: exit reason 33, invalid guest state, with the entry-failure bit),
 * the CPU it was tried on, and the state as set; once the state is fixed
 * the guest runs.
 */
#include <sched.h>

#include "kvmini_util.h"
#include "kvmini_vm.h"
#include "kselftest_harness.h"

#define SVM_EXIT_ERR		0xffffffffULL	/* VMEXIT_INVALID, a u32 -1 */
#define VMX_INVALID_STATE	0x80000021ULL	/* entry failed | reason 33 */
#define X86_CR4_OSXSAVE		(1ULL << 18)

static void guest_ok(void)
{
	GUEST_SYNC(0x600d);
}

TEST(cs_long_and_default_big)
{
	struct kvmini_vcpu *vcpu;
	struct kvmini_vm *vm = vm_create_guest(guest_ok, &vcpu);
	struct kvmini_regs regs;
	struct kvmini_sregs s, got;
	struct ucall uc;
	cpu_set_t set;
	int cpu, i;

	REQUIRE_VM(vm);
	cpu = sched_getcpu();
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	ASSERT_EQ(0, sched_setaffinity(0, sizeof(set), &set));

	vcpu_ioctl(vcpu, KVMINI_GET_REGS, &regs);
	vcpu_ioctl(vcpu, KVMINI_GET_SREGS, &s);
	s.cs.db = 1;			/* with L=1 in long mode: invalid */
	ASSERT_EQ(0, ioctl_err(vcpu->fd, KVMINI_SET_SREGS, (unsigned long)&s));
	for (i = 0; i < 2; i++) {	/* it stays invalid */
		ASSERT_EQ(0, vcpu_run(vcpu));
		ASSERT_EQ(KVMINI_EXIT_FAIL_ENTRY, (int)vcpu->run->exit_reason)
			TH_LOG("exit %s", exit_reason_str(vcpu->run->exit_reason));
		EXPECT_EQ(host_cpu_is_amd() ? SVM_EXIT_ERR : VMX_INVALID_STATE,
			  vcpu->run->fail_entry.hardware_entry_failure_reason);
		EXPECT_EQ((uint32_t)cpu, vcpu->run->fail_entry.cpu);
		vcpu_ioctl(vcpu, KVMINI_GET_SREGS, &got);
		EXPECT_EQ(1, got.cs.l);
		EXPECT_EQ(1, got.cs.db);
		EXPECT_EQ(s.cr0, got.cr0);
		EXPECT_EQ(s.efer, got.efer);
	}
	/*
	 * Fixed, from the start.  (The registers are not checked above: KVM
	 * reads RIP, RSP and RAX back from the VMCB after any VMRUN, and
	 * what a failed one leaves there is the CPU's; QEMU's is not the
	 * guest's RIP.)
	 */
	s.cs.db = 0;
	vcpu_ioctl(vcpu, KVMINI_SET_SREGS, &s);
	vcpu_ioctl(vcpu, KVMINI_SET_REGS, &regs);
	ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, &uc));
	EXPECT_EQ(0x600dULL, uc.args[0]);
	vm_free(vm);
}

/* Each rejected with EINVAL by KVM_SET_SREGS, starting from a good state. */
static void bad_cs_l_outside_long_mode(struct kvmini_sregs *s)
{
	s->efer = 0;
	s->cr0 = X86_CR0_PE | X86_CR0_ET | X86_CR0_NE;
	s->cr4 = 0;
	s->cs.l = 1;
	s->cs.db = 0;
}
static void bad_no_pae(struct kvmini_sregs *s) { s->cr4 &= ~X86_CR4_PAE; }
static void bad_lma_no_paging(struct kvmini_sregs *s) { s->cr0 &= ~X86_CR0_PG; s->cs.l = 0; }
static void bad_lme_pg_no_lma(struct kvmini_sregs *s) { s->efer &= ~EFER_LMA; }
static void bad_pg_no_pe(struct kvmini_sregs *s) { s->cr0 &= ~X86_CR0_PE; }
static void bad_nw_no_cd(struct kvmini_sregs *s) { s->cr0 |= X86_CR0_NW; }
static void bad_cr0_high(struct kvmini_sregs *s) { s->cr0 |= 1ULL << 32; }
static void bad_cr4_rsvd(struct kvmini_sregs *s) { s->cr4 |= 1ULL << 15; }
static void bad_cr4_vmxe(struct kvmini_sregs *s) { s->cr4 |= 1ULL << 13; }
static void bad_cr3_phys(struct kvmini_sregs *s) { s->cr3 |= 1ULL << 52; }
static void bad_apic_rsvd(struct kvmini_sregs *s) { s->apic_base |= 1; }
static void bad_apic_x2_only(struct kvmini_sregs *s) { s->apic_base = (s->apic_base & ~0x800ULL) | 0x400; }
/* Reserved while the guest's CPUID has no XSAVE (set so below). */
static void bad_osxsave(struct kvmini_sregs *s) { s->cr4 |= X86_CR4_OSXSAVE; }

TEST(rejected_by_set_sregs)
{
	static const struct { void (*make)(struct kvmini_sregs *); const char *what; } bad[] = {
		{ bad_cs_l_outside_long_mode, "CS.L=1 outside long mode" },
		{ bad_no_pae, "EFER.LME and CR0.PG without CR4.PAE" },
		{ bad_lma_no_paging, "EFER.LMA without CR0.PG" },
		{ bad_lme_pg_no_lma, "EFER.LME and CR0.PG without EFER.LMA" },
		{ bad_pg_no_pe, "CR0.PG without CR0.PE" },
		{ bad_nw_no_cd, "CR0.NW without CR0.CD" },
		{ bad_cr0_high, "CR0 bit 32" },
		{ bad_cr4_rsvd, "CR4 bit 15" },
		{ bad_cr4_vmxe, "CR4.VMXE without VMX" },
		{ bad_cr3_phys, "CR3 bit 52 in long mode" },
		{ bad_apic_rsvd, "APIC base bit 0" },
		{ bad_apic_x2_only, "APIC base: x2APIC on, APIC off" },
		{ bad_osxsave, "CR4.OSXSAVE without XSAVE in the guest CPUID" },
	};
	struct kvmini_vcpu *vcpu;
	struct kvmini_vm *vm = vm_create_guest(guest_ok, &vcpu);
	struct kvmini_sregs good, s, got;
	struct kvmini_cpuid2 *c;
	struct ucall uc;
	unsigned int i;

	REQUIRE_VM(vm);
	c = kvmini_supported_cpuid(vm);
	for (i = 0; i < c->nent; i++)
		if (c->entries[i].function == 1)
			c->entries[i].ecx &= ~(1U << 26);	/* no XSAVE */
	vcpu_ioctl(vcpu, KVMINI_SET_CPUID2, c);
	free(c);
	vcpu_ioctl(vcpu, KVMINI_GET_SREGS, &good);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		s = good;
		bad[i].make(&s);
		EXPECT_EQ(-EINVAL, ioctl_err(vcpu->fd, KVMINI_SET_SREGS, (unsigned long)&s))
			TH_LOG("%s: accepted", bad[i].what);
		vcpu_ioctl(vcpu, KVMINI_GET_SREGS, &got);
		EXPECT_EQ(0, memcmp(&good, &got, sizeof(got)))
			TH_LOG("%s: the vCPU's state changed", bad[i].what);
		vcpu_ioctl(vcpu, KVMINI_SET_SREGS, &good);
	}
	/* Still the good state: the guest runs. */
	ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, &uc));
	EXPECT_EQ(0x600dULL, uc.args[0]);
	vm_free(vm);
}

TEST_HARNESS_MAIN
