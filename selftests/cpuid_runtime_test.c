// SPDX-License-Identifier: GPL-2.0
/*
 * The CPUID table and the vCPU's state, as KVM keeps them together:
 * - Before KVMINI_SET_CPUID2, SET_SREGS takes every CR4 bit the device
 *   supports (the kernel's set_sregs_test); once a table is set, the
 *   guest's CPUID decides (a table set later does not undo the CR4).
 * - The fields that follow the vCPU's state are updated in the table
 *   itself (KVM's kvm_update_cpuid_runtime): 0xd.0 EBX the XSAVE size of
 *   XCR0, 1.ECX OSXSAVE CR4's bit, 1.EDX APIC the APIC base's enable bit.
 *   GET_CPUID2 and the guest's CPUID agree (the kernel's cpuid_test).
 */
#include "kvmini_util.h"
#include "kvmini_vm.h"
#include "kselftest_harness.h"

#define MSR_APIC_BASE	0x1b
#define APIC_ENABLE	(1ULL << 11)
#define CR4_OSXSAVE	(1ULL << 18)

static struct kvmini_cpuid_entry2 *entry(struct kvmini_cpuid2 *c, uint32_t fn, uint32_t idx)
{
	for (uint32_t i = 0; i < c->nent; i++)
		if (c->entries[i].function == fn && c->entries[i].index == idx)
			return &c->entries[i];
	return NULL;
}

static bool has(struct kvmini_cpuid2 *c, uint32_t fn, int reg, int bit)
{
	struct kvmini_cpuid_entry2 *e = entry(c, fn, 0);
	uint32_t r[4];

	if (!e)
		return false;
	r[0] = e->eax; r[1] = e->ebx; r[2] = e->ecx; r[3] = e->edx;
	return r[reg] & (1U << bit);
}

/* CR4 bits and the CPUID feature each needs (reg: EAX=0..EDX=3). */
static const struct { int cr4; uint32_t fn; int reg, bit; } gated[] = {
	{ 13, 1, 2, 5 },	/* VMXE: VMX */
	{ 11, 7, 2, 2 },	/* UMIP */
	{ 12, 7, 2, 16 },	/* LA57 */
	{ 16, 7, 1, 0 },	/* FSGSBASE */
	{ 17, 1, 2, 17 },	/* PCIDE: PCID */
	{ 18, 1, 2, 26 },	/* OSXSAVE: XSAVE */
	{ 20, 7, 1, 7 },	/* SMEP */
	{ 21, 7, 1, 20 },	/* SMAP */
	{ 22, 7, 2, 3 },	/* PKE: PKU */
};

TEST(sregs_before_cpuid)
{
	struct kvmini_vm *vm = vm_create();
	struct kvmini_cpuid2 *sup, *bare;
	struct kvmini_vcpu *vcpu;
	struct kvmini_sregs s, base;
	uint64_t cr4 = 0x7ff;	/* VME ... OSXMMEXCPT: no CPUID needed */
	unsigned int i;

	REQUIRE_VM(vm);
	sup = kvmini_supported_cpuid(vm);
	vcpu = vcpu_add(vm, 0);
	vcpu_ioctl(vcpu, KVMINI_GET_SREGS, &base);
	for (i = 0; i < sizeof(gated) / sizeof(gated[0]); i++) {
		bool ok = has(sup, gated[i].fn, gated[i].reg, gated[i].bit);

		s = base;
		s.cr4 |= 1ULL << gated[i].cr4;
		EXPECT_EQ(ok ? 0 : -EINVAL, ioctl_err(vcpu->fd, KVMINI_SET_SREGS,
						      (unsigned long)&s))
			TH_LOG("CR4 bit %d alone, no CPUID table yet", gated[i].cr4);
		if (ok)
			cr4 |= 1ULL << gated[i].cr4;
	}
	s = base;
	s.cr4 = cr4;
	ASSERT_EQ(0, ioctl_err(vcpu->fd, KVMINI_SET_SREGS, (unsigned long)&s))
		TH_LOG("CR4 %#llx: all supported bits", (unsigned long long)cr4);
	vcpu_ioctl(vcpu, KVMINI_GET_SREGS, &s);
	EXPECT_EQ(cr4, s.cr4);

	/* A table without the features: accepted; then the CR4 is not. */
	bare = calloc(1, sizeof(*bare) + sizeof(bare->entries[0]));
	bare->nent = 1;
	bare->entries[0] = sup->entries[0];
	vcpu_ioctl(vcpu, KVMINI_SET_CPUID2, bare);
	EXPECT_EQ(cr4 == 0x7ff ? 0 : -EINVAL,
		  ioctl_err(vcpu->fd, KVMINI_SET_SREGS, (unsigned long)&s));
	vcpu_ioctl(vcpu, KVMINI_SET_CPUID2, sup);
	EXPECT_EQ(0, ioctl_err(vcpu->fd, KVMINI_SET_SREGS, (unsigned long)&s));
	free(bare);
	free(sup);
	vm_free(vm);
}

/* What the guest reads: 1.ECX, then 0xd.0 EBX at each step. */
static uint32_t g_seen[4];

static void guest_xsave(bool xsetbv)
{
	uint32_t r[4];

	cpuid(1, 0, r);
	g_seen[0] = r[2];
	cpuid(0xd, 0, r);
	g_seen[1] = r[1];
	GUEST_SYNC(0);			/* the host sets XCR0 with SET_XCRS */
	cpuid(0xd, 0, r);
	g_seen[2] = r[1];
	if (xsetbv)
		asm volatile("xsetbv" : : "a"(1), "d"(0), "c"(0));
	cpuid(0xd, 0, r);
	g_seen[3] = r[1];
}

TEST(table_follows_state)
{
	struct kvmini_vcpu *vcpu;
	struct kvmini_vm *vm = vm_create_guest(guest_xsave, &vcpu);
	struct kvmini_xcrs xcrs = { .nr_xcrs = 1 };
	struct kvmini_cpuid2 *c;
	struct kvmini_sregs s;
	uint32_t big = 576;	/* the XSAVE size of x87+SSE(+AVX) */
	uint64_t apic;
	struct ucall uc;

	REQUIRE_VM(vm);
	c = kvmini_supported_cpuid(vm);
	if (!has(c, 1, 2, 26) || !entry(c, 0xd, 0)) {
		vm_free(vm);
		SKIP(return, "no XSAVE");
	}
	xcrs.xcrs[0].value = 3;
	if (entry(c, 0xd, 0)->eax & 4) {
		xcrs.xcrs[0].value |= 4;
		big = 832;
	}
	entry(c, 0xd, 0)->ebx = 0x12345;	/* what the VMM says: replaced */
	vcpu_ioctl(vcpu, KVMINI_GET_SREGS, &s);
	s.cr4 |= CR4_OSXSAVE;
	vcpu_ioctl(vcpu, KVMINI_SET_SREGS, &s);
	vcpu_ioctl(vcpu, KVMINI_SET_CPUID2, c);
	vcpu_ioctl(vcpu, KVMINI_GET_CPUID2, c);
	EXPECT_EQ(576U, entry(c, 0xd, 0)->ebx);		/* XCR0 = x87 */
	EXPECT_TRUE(has(c, 1, 2, 27));			/* OSXSAVE */
	EXPECT_TRUE(has(c, 1, 3, 9));			/* APIC */

	/*
	 * The guest's own XSETBV only off QEMU: QEMU's SVM lets it pass
	 * without an exit, and KVM, not knowing, may then leave the host
	 * with the guest's XCR0 (it took a QEMU host down).
	 */
	vcpu_set_args(vcpu, 1, !host_is_qemu_tcg());
	ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, &uc));
	EXPECT_NE(0U, GUEST_VAR(vm, g_seen)[0] & (1U << 27));
	EXPECT_EQ(576U, GUEST_VAR(vm, g_seen)[1]);
	vcpu_ioctl(vcpu, KVMINI_SET_XCRS, &xcrs);
	vcpu_ioctl(vcpu, KVMINI_GET_CPUID2, c);
	EXPECT_EQ(big, entry(c, 0xd, 0)->ebx);
	ASSERT_EQ(UCALL_DONE, vcpu_run_ucall(vcpu, &uc));
	EXPECT_EQ(big, GUEST_VAR(vm, g_seen)[2]);
	if (!host_is_qemu_tcg()) {
		EXPECT_EQ(576U, GUEST_VAR(vm, g_seen)[3]);
		vcpu_ioctl(vcpu, KVMINI_GET_CPUID2, c);
		EXPECT_EQ(576U, entry(c, 0xd, 0)->ebx);
	}

	/* CR4.OSXSAVE and the APIC enable bit, set by the VMM. */
	vcpu_ioctl(vcpu, KVMINI_GET_SREGS, &s);
	s.cr4 &= ~CR4_OSXSAVE;
	s.apic_base &= ~APIC_ENABLE;
	vcpu_ioctl(vcpu, KVMINI_SET_SREGS, &s);
	vcpu_ioctl(vcpu, KVMINI_GET_CPUID2, c);
	EXPECT_FALSE(has(c, 1, 2, 27));
	EXPECT_FALSE(has(c, 1, 3, 9));
	apic = s.apic_base | APIC_ENABLE;
	ASSERT_EQ(1, vcpu_msrs_io(vcpu, KVMINI_SET_MSRS, (uint32_t[]){ MSR_APIC_BASE }, &apic, 1));
	vcpu_ioctl(vcpu, KVMINI_GET_CPUID2, c);
	EXPECT_TRUE(has(c, 1, 3, 9));
	free(c);
	vm_free(vm);
}

TEST_HARNESS_MAIN
