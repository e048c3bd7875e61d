// SPDX-License-Identifier: GPL-2.0
/*
 * MSRs: KVMINI_GET_MSR_INDEX_LIST sizing, GET/SET_MSRS round trips and
 * their stop-at-the-first-failure count, the guest's RDMSR/WRMSR seeing
 * the VMM's values and the other way round, #GP for an MSR the vCPU
 * does not have, and the canonical-address rules.
 */
#include "kvmini_util.h"
#include "kvmini_vm.h"
#include "kselftest_harness.h"

#define MSR_UNKNOWN	0xdeadbeef

/* Plain storage MSRs every long-mode VMM saves, and values valid for each. */
static const uint32_t g_idx[] = {
	0xc0000081, 0xc0000082, 0xc0000083, 0xc0000084,	/* STAR LSTAR CSTAR SFMASK */
	0xc0000102, 0x174, 0x175, 0x176, 0x277,		/* KERNEL_GS_BASE SYSENTER_* PAT */
};
#define N	(sizeof(g_idx) / sizeof(g_idx[0]))
static const uint64_t vals[2][N] = {
	{ 0x0023001000000000ULL, 0xffffffff81000000ULL, 0xffffffff81001000ULL, 0x47700,
	  0xffff888012340000ULL, 0x10, 0x12345678, 0x9abcdef0, 0x0106050401060504ULL },
	{ 0x001b000800000000ULL, 0x00007fffdeadb000ULL, 0x1000, 0x700,
	  0x7ff000001000ULL, 0x8, 0x1000, 0x2000, 0x0007040600070406ULL },
};
static uint64_t g_val[N], g_new[N];

static void guest_msrs(void)
{
	uint64_t v, r[4];
	unsigned int i;

	for (i = 0; i < N; i++)
		g_val[i] = rdmsr(g_idx[i]);
	for (i = 0; i < N; i++)
		wrmsr(g_idx[i], g_new[i]);
	GUEST_SYNC(0);
	/* #GP(0) for an unknown MSR and for a bad value; skip the insn. */
	r[0] = rdmsr_safe(MSR_UNKNOWN, &v);
	r[1] = guest_exc.error_code;
	r[2] = wrmsr_safe(MSR_UNKNOWN, 1);
	r[3] = guest_exc.error_code;
	GUEST_SYNC4(r[0], r[1], r[2], r[3]);
	r[0] = wrmsr_safe(0x277, 0x0202020202020202ULL);	/* PAT type 2 */
	r[1] = guest_exc.count;
	r[2] = rdmsr_safe(0x277, &v);
	GUEST_SYNC4(r[0], r[1], r[2], v);
}

TEST(index_list)
{
	struct kvmini_vm *vm = vm_create();
	struct kvmini_msr_list *l = calloc(1, sizeof(*l) + 4096 * 4);
	uint32_t n, i, j;

	REQUIRE_VM(vm);
	/* Too small: E2BIG, and nmsrs says how many there are. */
	EXPECT_EQ(-E2BIG, ioctl_err(vm->dev_fd, KVMINI_GET_MSR_INDEX_LIST, (unsigned long)l));
	n = l->nmsrs;
	ASSERT_GE(n, N);
	l->nmsrs = n - 1;
	EXPECT_EQ(-E2BIG, ioctl_err(vm->dev_fd, KVMINI_GET_MSR_INDEX_LIST, (unsigned long)l));
	EXPECT_EQ(n, l->nmsrs);
	l->nmsrs = 4096;
	ASSERT_EQ(0, ioctl_err(vm->dev_fd, KVMINI_GET_MSR_INDEX_LIST, (unsigned long)l));
	EXPECT_EQ(n, l->nmsrs);
	for (i = 0; i < N; i++) {
		for (j = 0; j < n && l->indices[j] != g_idx[i]; j++)
			;
		EXPECT_LT(j, n) TH_LOG("MSR %#x not listed", g_idx[i]);
	}
	vm_free(vm);
}

TEST(round_trips)
{
	struct kvmini_vcpu *vcpu;
	struct kvmini_vm *vm = vm_create_guest(guest_msrs, &vcpu);
	uint64_t d[N];
	struct ucall uc;

	REQUIRE_VM(vm);
	memcpy(d, vals[0], sizeof(d));
	EXPECT_EQ((long)N, vcpu_msrs_io(vcpu, KVMINI_SET_MSRS, g_idx, d, N));
	memset(d, 0, sizeof(d));
	EXPECT_EQ((long)N, vcpu_msrs_io(vcpu, KVMINI_GET_MSRS, g_idx, d, N));
	EXPECT_EQ(0, memcmp(d, vals[0], sizeof(d)));

	memcpy(GUEST_VAR(vm, g_new), vals[1], sizeof(vals[1]));
	ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, &uc));
	EXPECT_EQ(0, memcmp(GUEST_VAR(vm, g_val), vals[0], sizeof(vals[0])));
	EXPECT_EQ((long)N, vcpu_msrs_io(vcpu, KVMINI_GET_MSRS, g_idx, d, N));
	EXPECT_EQ(0, memcmp(d, vals[1], sizeof(d)));

	ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, &uc));
	EXPECT_EQ(13ULL, uc.args[0]);
	EXPECT_EQ(0ULL, uc.args[1]);
	EXPECT_EQ(13ULL, uc.args[2]);
	EXPECT_EQ(0ULL, uc.args[3]);
	ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, &uc));
	EXPECT_EQ(13ULL, uc.args[0]);			/* invalid PAT */
	EXPECT_EQ(3ULL, uc.args[1]);
	EXPECT_EQ(GUEST_NO_EXC, uc.args[2]);
	EXPECT_EQ(vals[1][N - 1], uc.args[3]);		/* unchanged */
	vm_free(vm);
}

/*
 * Addresses, as KVM for both vendors: FS/GS/KERNEL_GS_BASE, LSTAR and
 * CSTAR refuse a non-canonical value; SYSENTER_ESP/EIP make it canonical.
 */
TEST(canonical)
{
	struct kvmini_vm *vm = vm_create();
	struct kvmini_vcpu *vcpu;
	uint32_t idx[2] = { 0x175, 0x176 };	/* SYSENTER_ESP, SYSENTER_EIP */
	uint64_t d[2] = { 0x0000800000001000ULL, 0x1234000000002000ULL };
	uint32_t bad[5] = { 0xc0000100, 0xc0000101, 0xc0000102, 0xc0000082, 0xc0000083 };
	uint64_t v = 0x0000800000000000ULL;
	unsigned int i;

	REQUIRE_VM(vm);
	vcpu = vcpu_add(vm, 0);
	for (i = 0; i < 5; i++) {
		uint32_t msr = bad[i];

		EXPECT_EQ(0, vcpu_msrs_io(vcpu, KVMINI_SET_MSRS, &msr, &v, 1))
			TH_LOG("MSR %#x", msr);
	}
	EXPECT_EQ(2, vcpu_msrs_io(vcpu, KVMINI_SET_MSRS, idx, d, 2));
	EXPECT_EQ(2, vcpu_msrs_io(vcpu, KVMINI_GET_MSRS, idx, d, 2));
	EXPECT_EQ(0xffff800000001000ULL, d[0]);
	EXPECT_EQ(0x0000000000002000ULL, d[1]);
	vm_free(vm);
}

/* GET/SET_MSRS stop at the first MSR they cannot do: the count says where. */
TEST(partial)
{
	struct kvmini_vm *vm = vm_create();
	struct kvmini_vcpu *vcpu;
	uint32_t idx[3] = { 0xc0000081, MSR_UNKNOWN, 0xc0000084 };
	uint64_t d[3] = { 0x0010000800000000ULL, 1, 0x300 };
	struct kvmini_msrs *big = calloc(1, sizeof(*big) + 256 * sizeof(big->entries[0]));

	REQUIRE_VM(vm);
	vcpu = vcpu_add(vm, 0);
	EXPECT_EQ(1, vcpu_msrs_io(vcpu, KVMINI_SET_MSRS, idx, d, 3));
	d[0] = d[2] = 0;
	EXPECT_EQ(1, vcpu_msrs_io(vcpu, KVMINI_GET_MSRS, idx, d, 3));
	EXPECT_EQ(0x0010000800000000ULL, d[0]);
	EXPECT_EQ(0ULL, d[2]);				/* not reached */
	EXPECT_EQ(0, vcpu_msrs_io(vcpu, KVMINI_GET_MSRS, idx + 1, d, 2));
	/* At most 255 entries per call. */
	big->nmsrs = 256;
	EXPECT_EQ(-E2BIG, ioctl_err(vcpu->fd, KVMINI_GET_MSRS, (unsigned long)big));
	EXPECT_EQ(-E2BIG, ioctl_err(vcpu->fd, KVMINI_SET_MSRS, (unsigned long)big));
	vm_free(vm);
}

TEST_HARNESS_MAIN
