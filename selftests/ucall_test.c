// SPDX-License-Identifier: GPL-2.0
/*
 * The guest library itself (lib/, include/kvmini_vm.h): a 64-bit guest
 * runs C from this program, passes arguments and values both ways, and
 * its ucalls, assertions and exceptions reach the VMM intact.  The
 * smallest long-mode guest there is: what a backend runs first.
 */
#include "kvmini_util.h"
#include "kvmini_vm.h"
#include "kselftest_harness.h"

static uint64_t g_word = 0x1111;
static const char g_text[] = "kvmini";

static uint64_t sum(const char *s)
{
	uint64_t n = 0;

	while (*s)
		n = n * 31 + *s++;
	return n;
}

static void guest_main(uint64_t a, uint64_t b, uint64_t c)
{
	GUEST_SYNC4(a, b, c, sum(g_text));
	GUEST_SYNC(g_word);		/* as the VMM left it */
	g_word = a + b;
	GUEST_ASSERT_EQ(g_word, 3);
}

enum { ASSERT_LINE = __LINE__ + 3 };
static void guest_assert(uint64_t x)
{
	GUEST_ASSERT_EQ(x, 42);
}

static void guest_ud2(void)
{
	asm volatile("ud2");
}

TEST(sync_and_done)
{
	struct kvmini_vcpu *vcpu;
	struct kvmini_vm *vm = vm_create_guest(guest_main, &vcpu);
	struct ucall uc;

	REQUIRE_VM(vm);
	vcpu_set_args(vcpu, 3, 1ULL, 2ULL, 0xfedcba9876543210ULL);
	ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, &uc));
	EXPECT_EQ(1ULL, uc.args[0]);
	EXPECT_EQ(2ULL, uc.args[1]);
	EXPECT_EQ(0xfedcba9876543210ULL, uc.args[2]);
	EXPECT_EQ(sum(g_text), uc.args[3]);
	GUEST_VAR(vm, g_word) = 0x2222;
	ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, &uc));
	EXPECT_EQ(0x2222ULL, uc.args[0]);
	/* Returning from the guest function is UCALL_DONE. */
	ASSERT_EQ(UCALL_DONE, vcpu_run_ucall(vcpu, &uc));
	EXPECT_EQ(3ULL, GUEST_VAR(vm, g_word));
	EXPECT_EQ(0x1111ULL, g_word);		/* the host's copy is its own */
	vm_free(vm);
}

TEST(assertion)
{
	struct kvmini_vcpu *vcpu;
	struct kvmini_vm *vm = vm_create_guest(guest_assert, &vcpu);
	struct ucall uc;

	REQUIRE_VM(vm);
	vcpu_set_args(vcpu, 1, 41ULL);
	ASSERT_EQ(0, vcpu_run(vcpu));
	ASSERT_EQ(UCALL_ASSERT, vcpu_get_ucall(vcpu, &uc));
	EXPECT_STREQ("ucall_test.c", uc.file);
	EXPECT_EQ((uint64_t)ASSERT_LINE, uc.line);
	EXPECT_STREQ("x == 42", uc.expr);
	EXPECT_EQ(41ULL, uc.args[0]);
	EXPECT_EQ(42ULL, uc.args[1]);
	vm_free(vm);
}

TEST(unexpected_exception)
{
	struct kvmini_vcpu *vcpu;
	struct kvmini_vm *vm = vm_create_guest(guest_ud2, &vcpu);
	struct ucall uc;

	REQUIRE_VM(vm);
	ASSERT_EQ(0, vcpu_run(vcpu));
	ASSERT_EQ(UCALL_EXCEPTION, vcpu_get_ucall(vcpu, &uc));
	EXPECT_EQ(6ULL, uc.args[0]);			/* #UD */
	EXPECT_EQ(0ULL, uc.args[1]);
	EXPECT_EQ(6ULL, GUEST_VAR(vm, guest_exc).vector);
	EXPECT_EQ(uc.args[2], GUEST_VAR(vm, guest_exc).rip);
	EXPECT_LT(uc.args[2] - (uintptr_t)guest_ud2, 16ULL);
	vm_free(vm);
}

TEST_HARNESS_MAIN
