// SPDX-License-Identifier: GPL-2.0
/*
 * CPUID: KVMINI_GET_SUPPORTED_CPUID sizes (E2BIG probing), SET_CPUID2 /
 * GET_CPUID2, and the guest's CPUID answered from the table set: exact
 * entries, index-significant subleaves, zeros for what the table lacks
 * (out-of-range leaves: zeros for an AMD vendor, the highest basic leaf
 * for an Intel one, as KVM does).  The table is frozen by the first run.
 */
#include "kvmini_util.h"
#include "kvmini_vm.h"
#include "kselftest_harness.h"

#define SIG	KVMINI_CPUID_FLAG_SIGNIFCANT_INDEX
#define E(f, i, fl, a, b, c, d) { f, i, fl, a, b, c, d, { 0 } }

/*
 * Vendor in EBX EDX ECX: "AuthenticAMD" / "GenuineIntel".  No leaf KVM
 * edits at run time (1, 7, 0xd, 0x80000001, ...).
 */
static struct kvmini_cpuid_entry2 table[] = {
	E(0, 0, 0, 6, 0x68747541, 0x444d4163, 0x69746e65),
	E(3, 0, 0, 0x03000000, 0x03000001, 0x03000002, 0x03000003),
	E(4, 0, SIG, 0x04000000, 0x04000001, 0x04000002, 0x04000003),
	E(4, 1, SIG, 0x04010000, 0x04010001, 0x04010002, 0x04010003),
	E(6, 0, 0, 0x06000000, 0x06000001, 0x06000002, 0x06000003),
	E(0x80000000, 0, 0, 0x80000008, 0x8000aaaa, 0x8000bbbb, 0x8000cccc),
	E(0x80000008, 0, 0, 0x3028, 0x80080001, 0x80080002, 0x80080003),
};
#define N	(sizeof(table) / sizeof(table[0]))

/* What the guest asks (leaf, subleaf), and what it gets. */
static const uint32_t g_q[][2] = {
	{ 0, 0 }, { 3, 0 }, { 3, 7 }, { 4, 0 }, { 4, 1 }, { 4, 2 }, { 5, 0 },
	{ 0x80000000, 0 }, { 0x80000008, 0 }, { 0x80000009, 0 }, { 0x20, 0 },
};
#define NQ	(sizeof(g_q) / sizeof(g_q[0]))
static uint32_t g_r[NQ][4];

static void guest_cpuid(void)
{
	unsigned int i;

	for (i = 0; i < NQ; i++)
		cpuid(g_q[i][0], g_q[i][1], g_r[i]);
}

static struct kvmini_cpuid2 *cpuid2(uint32_t nent)
{
	struct kvmini_cpuid2 *c = calloc(1, sizeof(*c) + nent * sizeof(c->entries[0]));

	c->nent = nent;
	return c;
}

TEST(supported)
{
	struct kvmini_vm *vm = vm_create();
	struct kvmini_cpuid2 *c;
	uint32_t n, i;

	REQUIRE_VM(vm);
	c = kvmini_supported_cpuid(vm);
	n = c->nent;
	ASSERT_GE(n, 2U);
	EXPECT_EQ(0U, c->entries[0].function);
	for (i = 0; i < n; i++)
		EXPECT_EQ(0U, c->entries[i].padding[0] | c->entries[i].padding[1] |
			      c->entries[i].padding[2]);
	/* One entry too few (or none) is E2BIG; many too many is fine. */
	c = cpuid2(n - 1);
	EXPECT_EQ(-E2BIG, ioctl_err(vm->dev_fd, KVMINI_GET_SUPPORTED_CPUID, (unsigned long)c));
	c->nent = 0;
	EXPECT_EQ(-E2BIG, ioctl_err(vm->dev_fd, KVMINI_GET_SUPPORTED_CPUID, (unsigned long)c));
	c = cpuid2(1000);
	EXPECT_EQ(0, ioctl_err(vm->dev_fd, KVMINI_GET_SUPPORTED_CPUID, (unsigned long)c));
	EXPECT_EQ(n, c->nent);
	vm_free(vm);
}

static void check_guest(struct __test_metadata *_metadata, bool intel)
{
	struct kvmini_vcpu *vcpu;
	struct kvmini_vm *vm = vm_create_guest(guest_cpuid, &vcpu);
	struct kvmini_cpuid2 *c = cpuid2(N), *get = cpuid2(N);
	static const uint32_t zero[4];
	struct ucall uc;

	REQUIRE_VM(vm);
	memcpy(c->entries, table, sizeof(table));
	if (intel) {
		c->entries[0].ebx = 0x756e6547;
		c->entries[0].edx = 0x49656e69;
		c->entries[0].ecx = 0x6c65746e;
	}
	vcpu_ioctl(vcpu, KVMINI_SET_CPUID2, c);
	get->nent = N - 1;
	EXPECT_EQ(-E2BIG, ioctl_err(vcpu->fd, KVMINI_GET_CPUID2, (unsigned long)get));
	get->nent = N;
	vcpu_ioctl(vcpu, KVMINI_GET_CPUID2, get);
	EXPECT_EQ(N, get->nent);
	EXPECT_EQ(0, memcmp(c->entries, get->entries, sizeof(table)));

	ASSERT_EQ(UCALL_DONE, vcpu_run_ucall(vcpu, &uc));
#define Q(i) GUEST_VAR(vm, g_r)[i]
	EXPECT_EQ(0, memcmp(Q(0), &c->entries[0].eax, 16));
	EXPECT_EQ(0, memcmp(Q(1), &table[1].eax, 16));
	EXPECT_EQ(0, memcmp(Q(2), &table[1].eax, 16));	/* index ignored */
	EXPECT_EQ(0, memcmp(Q(3), &table[2].eax, 16));
	EXPECT_EQ(0, memcmp(Q(4), &table[3].eax, 16));
	EXPECT_EQ(0, memcmp(Q(5), zero, 16));		/* no such subleaf */
	EXPECT_EQ(0, memcmp(Q(6), zero, 16));		/* no such leaf */
	EXPECT_EQ(0, memcmp(Q(7), &table[5].eax, 16));
	EXPECT_EQ(0, memcmp(Q(8), &table[6].eax, 16));
	/* Out of range: zeros (AMD), or the highest basic leaf (Intel). */
	EXPECT_EQ(0, memcmp(Q(9), intel ? &table[4].eax : zero, 16));
	EXPECT_EQ(0, memcmp(Q(10), intel ? &table[4].eax : zero, 16));

	/* After KVMINI_RUN the table may only be set again unchanged. */
	EXPECT_EQ(0, ioctl_err(vcpu->fd, KVMINI_SET_CPUID2, (unsigned long)c));
	c->entries[1].eax++;
	EXPECT_EQ(-EINVAL, ioctl_err(vcpu->fd, KVMINI_SET_CPUID2, (unsigned long)c));
	vm_free(vm);
}

TEST(guest_amd_vendor)
{
	check_guest(_metadata, false);
}

TEST(guest_intel_vendor)
{
	check_guest(_metadata, true);
}

TEST(set_too_many)
{
	struct kvmini_vm *vm = vm_create();
	struct kvmini_cpuid2 *c = cpuid2(257);

	REQUIRE_VM(vm);
	EXPECT_EQ(-E2BIG, ioctl_err(vcpu_add(vm, 0)->fd, KVMINI_SET_CPUID2, (unsigned long)c));
	vm_free(vm);
}

TEST_HARNESS_MAIN
