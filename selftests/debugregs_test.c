// SPDX-License-Identifier: GPL-2.0
/*
 * KVMINI_{GET,SET}_DEBUGREGS: reset values (DR6 0xffff0ff0, DR7 0x400),
 * a round trip of DR0-3/DR6/DR7, the guest reading what the VMM set and
 * the VMM reading what the guest wrote; DR6/DR7 with bits 63:32 set and
 * non-zero flags are EINVAL and change nothing.
 */
#include "kvmini_util.h"
#include "kvmini_vm.h"
#include "kselftest_harness.h"

/* Execution breakpoints at addresses the guest never runs. */
#define HOST_DR(i)	(0x7ff000000000ULL + 0x1000 * (i))
#define HOST_DR7	0x455ULL	/* L0-L3, execute, 1 byte */
#define GUEST_DR(i)	(0x7fe000000000ULL + 0x10 * (i))
#define GUEST_DR7	0x4aaULL	/* G0-G3 */

static void guest_dr(void)
{
	uint64_t d0, d1, d2, d3, d6, d7;

	asm volatile("mov %%dr0, %0" : "=r"(d0));
	asm volatile("mov %%dr1, %0" : "=r"(d1));
	asm volatile("mov %%dr2, %0" : "=r"(d2));
	asm volatile("mov %%dr3, %0" : "=r"(d3));
	asm volatile("mov %%dr6, %0" : "=r"(d6));
	asm volatile("mov %%dr7, %0" : "=r"(d7));
	GUEST_SYNC4(d0, d1, d2, d3);
	GUEST_SYNC4(d6, d7, 0, 0);
	asm volatile("mov %0, %%dr0" : : "r"(GUEST_DR(0)));
	asm volatile("mov %0, %%dr1" : : "r"(GUEST_DR(1)));
	asm volatile("mov %0, %%dr2" : : "r"(GUEST_DR(2)));
	asm volatile("mov %0, %%dr3" : : "r"(GUEST_DR(3)));
	asm volatile("mov %0, %%dr7" : : "r"(GUEST_DR7));
	GUEST_SYNC(2);
}

static long set_dr(struct kvmini_vcpu *vcpu, struct kvmini_debugregs *dr)
{
	return ioctl_err(vcpu->fd, KVMINI_SET_DEBUGREGS, (unsigned long)dr);
}

static void get_dr(struct kvmini_vcpu *vcpu, struct kvmini_debugregs *dr)
{
	memset(dr, 0xaa, sizeof(*dr));
	vcpu_ioctl(vcpu, KVMINI_GET_DEBUGREGS, dr);
}

TEST(reset_and_invalid)
{
	struct kvmini_vcpu *vcpu;
	struct kvmini_vm *vm = vm_create_guest(guest_dr, &vcpu);
	struct kvmini_debugregs dr, dr2;
	int i;

	REQUIRE_VM(vm);
	REQUIRE_CAP(vm, KVMINI_CAP_DEBUGREGS);
	get_dr(vcpu, &dr);
	for (i = 0; i < 4; i++)
		EXPECT_EQ(0ULL, dr.db[i]);
	EXPECT_EQ(0xffff0ff0ULL, dr.dr6);
	EXPECT_EQ(0x400ULL, dr.dr7);
	EXPECT_EQ(0ULL, dr.flags);
	for (i = 0; i < 9; i++)
		EXPECT_EQ(0ULL, dr.reserved[i]);

	dr.dr6 |= 1ULL << 32;
	EXPECT_EQ(-EINVAL, set_dr(vcpu, &dr));
	dr.dr6 = 0xffff0ff0;
	dr.dr7 = 0x400 | 1ULL << 63;
	EXPECT_EQ(-EINVAL, set_dr(vcpu, &dr));
	dr.dr7 = 0x400 | 1ULL << 32;
	EXPECT_EQ(-EINVAL, set_dr(vcpu, &dr));
	dr.dr7 = 0x400;
	dr.flags = 1;
	dr.db[0] = 0x1000;
	EXPECT_EQ(-EINVAL, set_dr(vcpu, &dr));
	get_dr(vcpu, &dr2);
	EXPECT_EQ(0ULL, dr2.db[0]);
	EXPECT_EQ(0xffff0ff0ULL, dr2.dr6);
	EXPECT_EQ(0x400ULL, dr2.dr7);
	vm_free(vm);
}

TEST(round_trip_and_guest)
{
	struct kvmini_vcpu *vcpu;
	struct kvmini_vm *vm = vm_create_guest(guest_dr, &vcpu);
	struct kvmini_debugregs dr = { .dr6 = 0xffff0ff0, .dr7 = HOST_DR7 }, dr2;
	struct ucall uc;
	int i;

	REQUIRE_VM(vm);
	REQUIRE_CAP(vm, KVMINI_CAP_DEBUGREGS);
	for (i = 0; i < 4; i++)
		dr.db[i] = HOST_DR(i);
	ASSERT_EQ(0, set_dr(vcpu, &dr));
	get_dr(vcpu, &dr2);
	for (i = 0; i < 4; i++)
		EXPECT_EQ(HOST_DR(i), dr2.db[i]);
	EXPECT_EQ(0xffff0ff0ULL, dr2.dr6);
	EXPECT_EQ(HOST_DR7, dr2.dr7);
	EXPECT_EQ(0ULL, dr2.flags);

	ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, &uc));
	for (i = 0; i < 4; i++)
		EXPECT_EQ(HOST_DR(i), uc.args[i]);
	ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, &uc));
	EXPECT_EQ(0xffff0ff0ULL, uc.args[0]);
	EXPECT_EQ(HOST_DR7, uc.args[1]);

	ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, &uc));
	ASSERT_EQ(2ULL, uc.args[0]);
	get_dr(vcpu, &dr2);
	for (i = 0; i < 4; i++)
		EXPECT_EQ(GUEST_DR(i), dr2.db[i]);
	EXPECT_EQ(GUEST_DR7, dr2.dr7);
	EXPECT_EQ(0xffff0ff0ULL, dr2.dr6);
	vm_free(vm);
}

TEST_HARNESS_MAIN
