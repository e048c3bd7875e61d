// SPDX-License-Identifier: GPL-2.0
/*
 * KVMINI_{GET,SET}_XSAVE and KVMINI_{GET,SET}_XCRS: the standard-format
 * 4096-byte image (FCW at 0, MXCSR at 24, XMM0-15 from 160, XSTATE_BV at
 * 512) round-trips; XMM values set by the VMM reach the guest and the
 * guest's reach the VMM; a bad MXCSR or XSTATE_BV is EINVAL; XCR0 resets
 * to 1, takes 3 (7 with AVX) once the guest CPUID has XSAVE, is seen by
 * XGETBV and written by XSETBV; XCR0 without x87, AVX without SSE, bits
 * beyond the guest CPUID, flags != 0 and nr_xcrs > 16 are EINVAL.
 */
#include "kvmini_util.h"
#include "kvmini_vm.h"
#include "kselftest_harness.h"

#define XMM_OFF(i)	(160 + 16 * (i))
#define XSTATE_BV_OFF	512
#define X86_CR4_OSXSAVE	(1ULL << 18)

static const uint64_t host_xmm[4] = {
	0x0123456789abcdefULL, 0xfedcba9876543210ULL,
	0x1111222233334444ULL, 0x5555666677778888ULL,
};
static const uint64_t guest_xmm[4] = {
	0xa5a5a5a5deadbeefULL, 0x5a5a5a5acafef00dULL,
	0x0f0f0f0f12345678ULL, 0xf0f0f0f087654321ULL,
};
uint64_t xmm_in[4];

/* XMM8/9 as found at entry, before any compiled code can touch them. */
extern char guest_xmm_entry[];
void guest_xmm_main(void);
asm(".pushsection .text\n"
    "guest_xmm_entry:\n"
    "	movdqu %xmm8, xmm_in(%rip)\n"
    "	movdqu %xmm9, xmm_in+16(%rip)\n"
    "	jmp guest_xmm_main\n"
    ".popsection\n");

__attribute__((used)) void guest_xmm_main(void)
{
	GUEST_SYNC4(xmm_in[0], xmm_in[1], xmm_in[2], xmm_in[3]);
	asm volatile("movdqu (%0), %%xmm8\n\t"
		     "movdqu 16(%0), %%xmm9\n\t"
		     "outb %%al, $0xe1"
		     : : "r"(guest_xmm), "a"(0) : "xmm8", "xmm9", "memory");
	GUEST_SYNC(1);
}

static long set_xsave(struct kvmini_vcpu *vcpu, struct kvmini_xsave *xs)
{
	return ioctl_err(vcpu->fd, KVMINI_SET_XSAVE, (unsigned long)xs);
}

TEST(xsave)
{
	struct kvmini_vcpu *vcpu;
	struct kvmini_vm *vm = vm_create_guest(guest_xmm_entry, &vcpu);
	static struct kvmini_xsave xs, xs2, bad;
	uint8_t *b = (uint8_t *)xs.region;
	uint64_t bv;
	struct ucall uc;

	REQUIRE_VM(vm);
	REQUIRE_CAP(vm, KVMINI_CAP_XSAVE);
	vcpu_ioctl(vcpu, KVMINI_GET_XSAVE, &xs);
	EXPECT_EQ(0x37f, *(uint16_t *)b);		/* FCW */
	EXPECT_EQ(0x1f80U, xs.region[6]);		/* MXCSR */
	memcpy(&bv, b + XSTATE_BV_OFF, 8);
	TH_LOG("reset XSTATE_BV %#lx", (unsigned long)bv);

	/* GET, SET the same, GET: identical. */
	ASSERT_EQ(0, set_xsave(vcpu, &xs));
	vcpu_ioctl(vcpu, KVMINI_GET_XSAVE, &xs2);
	EXPECT_EQ(0, memcmp(&xs, &xs2, sizeof(xs)));

	/* Bad MXCSR, unknown XSTATE_BV bit: EINVAL. */
	bad = xs;
	bad.region[6] = 0xffff1f80;
	bad.region[XSTATE_BV_OFF / 4] |= 3;
	EXPECT_EQ(-EINVAL, set_xsave(vcpu, &bad));
	bad = xs;
	((uint8_t *)bad.region)[XSTATE_BV_OFF + 7] |= 0x80;
	EXPECT_EQ(-EINVAL, set_xsave(vcpu, &bad));

	/* XMM8/9 from the VMM, SSE state present. */
	memcpy(b + XMM_OFF(8), host_xmm, 32);
	memcpy(&bv, b + XSTATE_BV_OFF, 8);
	bv |= 2;
	memcpy(b + XSTATE_BV_OFF, &bv, 8);
	ASSERT_EQ(0, set_xsave(vcpu, &xs));
	vcpu_ioctl(vcpu, KVMINI_GET_XSAVE, &xs2);
	EXPECT_EQ(0, memcmp((uint8_t *)xs2.region + XMM_OFF(8), host_xmm, 32));
	ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, &uc));
	EXPECT_EQ(0, memcmp(uc.args, host_xmm, 32));

	ASSERT_EQ(0, vcpu_run(vcpu));
	ASSERT_EQ(KVMINI_EXIT_IO, (int)vcpu->run->exit_reason);
	ASSERT_EQ(0xe1, vcpu->run->io.port);
	vcpu_ioctl(vcpu, KVMINI_GET_XSAVE, &xs2);
	EXPECT_EQ(0, memcmp((uint8_t *)xs2.region + XMM_OFF(8), guest_xmm, 32));
	memcpy(&bv, (uint8_t *)xs2.region + XSTATE_BV_OFF, 8);
	EXPECT_EQ(2ULL, bv & 2);
	ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, &uc));
	vm_free(vm);
}

static void guest_xcr0(void)
{
	uint32_t lo, hi;

	asm volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
	GUEST_SYNC(lo | (uint64_t)hi << 32);
	asm volatile("xsetbv" : : "a"(1), "d"(0), "c"(0));
	GUEST_SYNC(2);
}

static long set_xcr0(struct kvmini_vcpu *vcpu, uint64_t val)
{
	struct kvmini_xcrs x = { .nr_xcrs = 1, .xcrs[0] = { .xcr = 0, .value = val } };

	return ioctl_err(vcpu->fd, KVMINI_SET_XCRS, (unsigned long)&x);
}

static uint64_t get_xcr0(struct kvmini_vcpu *vcpu)
{
	struct kvmini_xcrs x;

	memset(&x, 0xaa, sizeof(x));
	vcpu_ioctl(vcpu, KVMINI_GET_XCRS, &x);
	if (x.nr_xcrs != 1 || x.flags || x.xcrs[0].xcr != 0)
		LIB_FAIL("GET_XCRS: nr %u flags %#x xcr %u", x.nr_xcrs, x.flags,
			 x.xcrs[0].xcr);
	return x.xcrs[0].value;
}

TEST(xcrs)
{
	struct kvmini_vcpu *vcpu;
	struct kvmini_vm *vm = vm_create_guest(guest_xcr0, &vcpu);
	struct kvmini_xcrs x = { .nr_xcrs = 1 };
	struct kvmini_cpuid2 *cpuid;
	struct kvmini_sregs sregs;
	uint64_t xcr0 = 3;
	struct ucall uc;
	uint32_t i;

	REQUIRE_VM(vm);
	REQUIRE_CAP(vm, KVMINI_CAP_XCRS);
	EXPECT_EQ(1ULL, get_xcr0(vcpu));
	/* Before SET_CPUID2 the guest has no XSAVE: only x87. */
	EXPECT_EQ(-EINVAL, set_xcr0(vcpu, 3));
	EXPECT_EQ(0, set_xcr0(vcpu, 1));

	vcpu_set_cpuid_supported(vcpu);
	cpuid = kvmini_supported_cpuid(vm);
	for (i = 0; i < cpuid->nent; i++)
		if (cpuid->entries[i].function == 0xd && cpuid->entries[i].index == 0 &&
		    (cpuid->entries[i].eax & 4))
			xcr0 = 7;
	free(cpuid);
	ASSERT_EQ(0, set_xcr0(vcpu, 3));
	EXPECT_EQ(3ULL, get_xcr0(vcpu));
	if (xcr0 == 7) {
		ASSERT_EQ(0, set_xcr0(vcpu, 7));
		EXPECT_EQ(7ULL, get_xcr0(vcpu));
	}
	EXPECT_EQ(-EINVAL, set_xcr0(vcpu, 0));
	EXPECT_EQ(-EINVAL, set_xcr0(vcpu, 2));
	EXPECT_EQ(-EINVAL, set_xcr0(vcpu, 5));		/* AVX without SSE */
	EXPECT_EQ(-EINVAL, set_xcr0(vcpu, 1ULL << 63 | 3));
	x.xcrs[0].value = 1;
	x.flags = 1;
	EXPECT_EQ(-EINVAL, ioctl_err(vcpu->fd, KVMINI_SET_XCRS, (unsigned long)&x));
	x.flags = 0;
	x.nr_xcrs = KVMINI_MAX_XCRS + 1;
	EXPECT_EQ(-EINVAL, ioctl_err(vcpu->fd, KVMINI_SET_XCRS, (unsigned long)&x));
	EXPECT_EQ(xcr0, get_xcr0(vcpu));

	/* The guest sees it with XGETBV. */
	vcpu_ioctl(vcpu, KVMINI_GET_SREGS, &sregs);
	sregs.cr4 |= X86_CR4_OSXSAVE;
	vcpu_ioctl(vcpu, KVMINI_SET_SREGS, &sregs);
	ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, &uc));
	EXPECT_EQ(xcr0, uc.args[0]);
	vm_free(vm);
}

/* The guest's XSETBV changes what GET_XCRS reports. */
TEST(guest_xsetbv)
{
	struct kvmini_vcpu *vcpu;
	struct kvmini_vm *vm = vm_create_guest(guest_xcr0, &vcpu);
	struct kvmini_sregs sregs;
	uint64_t xcr0 = 3;
	struct ucall uc;

	REQUIRE_VM(vm);
	REQUIRE_CAP(vm, KVMINI_CAP_XCRS);
	/* Seen with QEMU 7.2: GET_XCRS still says 3, L1's XCR0 is 1. */
	if (host_is_qemu_tcg()) {
		vm_free(vm);
		SKIP(return, "QEMU TCG does not intercept XSETBV in a nested "
		     "guest: it writes the host's XCR0 (then #UD/#GP on AVX/XRSTOR)");
	}
	vcpu_set_cpuid_supported(vcpu);
	ASSERT_EQ(0, set_xcr0(vcpu, xcr0));
	vcpu_ioctl(vcpu, KVMINI_GET_SREGS, &sregs);
	sregs.cr4 |= X86_CR4_OSXSAVE;
	vcpu_ioctl(vcpu, KVMINI_SET_SREGS, &sregs);
	ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, &uc));
	EXPECT_EQ(xcr0, uc.args[0]);
	ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, &uc));
	EXPECT_EQ(2ULL, uc.args[0]);
	EXPECT_EQ(1ULL, get_xcr0(vcpu));
	vm_free(vm);
}

TEST_HARNESS_MAIN
