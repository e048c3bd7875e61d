// SPDX-License-Identifier: GPL-2.0
/*
 * KVMINI_GET/SET_LAPIC as KVM has them (split irqchip).  A one-shot timer
 * saved in the middle of its countdown: the page has the initial count
 * and the count left (TMCCT); put into a new VM's vCPU with the guest's
 * memory and registers, it fires there after about that much time, not
 * the whole initial count.  x2APIC IDs in the page: in bits 31:24 unless
 * KVMINI_CAP_X2APIC_API's USE_32BIT_IDS, which makes a page whose ID is
 * not the vCPU's EINVAL in x2APIC mode (any ID goes in xAPIC mode).
 * Without an in-kernel APIC both ioctls are EINVAL; the split irqchip is
 * enabled once, before any vCPU (EEXIST after), for up to 4096 pins.
 */
#include <time.h>

#include "kvmini_util.h"
#include "kvmini_vm.h"
#include "kvmini_apic.h"
#include "kselftest_harness.h"

#define TIMER_VEC	0x40U
#define MS		1000000U	/* timer counts (ns at divide 1) */
#define TIMER_MS	1000U

uint64_t tm_count;

GUEST_IRQ_FN void timer_irq(uint64_t vec, uint64_t rip)
{
	tm_count++;
	xapic_eoi();
}
GUEST_IRQ_HANDLER(timer_stub, 0x40, timer_irq);

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static void guest_timer(void)
{
	xapic_enable(0xff);
	xapic_write(APIC_TDCR, APIC_TDCR_DIV_1);
	xapic_write(APIC_LVTT, TIMER_VEC);
	xapic_write(APIC_TMICT, TIMER_MS * MS);
	GUEST_SYNC(1);
	while (!tm_count)
		guest_sti_hlt();
	guest_cli();
	GUEST_SYNC4(tm_count, xapic_read(APIC_TMCCT), xapic_read(APIC_TMICT), 0);
}

TEST(timer_moves_to_another_vm)
{
	struct kvmini_vcpu *vcpu, *vcpu2;
	struct kvmini_vm *vm = vm_create_guest_split(guest_timer, &vcpu), *vm2;
	struct kvmini_lapic_state s, s2;
	struct kvmini_sregs sregs;
	struct kvmini_regs regs;
	uint64_t left_ns, t0, took;
	struct ucall uc;

	REQUIRE_SPLIT(vm);
	vcpu_set_cpuid_supported(vcpu);
	apic_set_irq_gate(vm, TIMER_VEC, timer_stub);
	ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, &uc));
	usleep(300 * 1000);
	/* Complete the ucall's OUT (RIP past it) without entering the guest. */
	vcpu->run->immediate_exit = 1;
	ASSERT_EQ(-EINTR, vcpu_run(vcpu));
	vcpu->run->immediate_exit = 0;
	ASSERT_EQ(0, ioctl(vcpu->fd, KVMINI_GET_LAPIC, &s));
	left_ns = apic_page_reg(&s, APIC_TMCCT);
	TH_LOG("after 300 ms: %lu ms of %u left", (unsigned long)(left_ns / MS), TIMER_MS);
	EXPECT_EQ(TIMER_MS * MS, apic_page_reg(&s, APIC_TMICT));
	EXPECT_EQ(TIMER_VEC, apic_page_reg(&s, APIC_LVTT));
	EXPECT_EQ(0x1ffU, apic_page_reg(&s, APIC_SVR));
	EXPECT_EQ(APIC_TDCR_DIV_1, apic_page_reg(&s, APIC_TDCR));
	EXPECT_LE(left_ns, (TIMER_MS - 300) * (uint64_t)MS);
	ASSERT_GT(left_ns, 0ULL);
	vcpu_ioctl(vcpu, KVMINI_GET_REGS, &regs);
	vcpu_ioctl(vcpu, KVMINI_GET_SREGS, &sregs);

	/* The same guest in a new VM: memory, registers, then its APIC. */
	vm2 = vm_create_split();
	ASSERT_NE(NULL, vm2);
	vm_load_image(vm2);
	vm_map_xapic(vm2);
	ASSERT_EQ(vm->slots[0].size, vm2->slots[0].size);
	memcpy(vm2->slots[0].hva, vm->slots[0].hva, vm->slots[0].size);
	vcpu2 = vcpu_add(vm2, 0);
	vcpu_set_cpuid_supported(vcpu2);
	vcpu_ioctl(vcpu2, KVMINI_SET_SREGS, &sregs);
	vcpu_ioctl(vcpu2, KVMINI_SET_REGS, &regs);
	t0 = now_ns();
	ASSERT_EQ(0, ioctl(vcpu2->fd, KVMINI_SET_LAPIC, &s));
	ASSERT_EQ(0, ioctl(vcpu2->fd, KVMINI_GET_LAPIC, &s2));
	EXPECT_EQ(TIMER_MS * MS, apic_page_reg(&s2, APIC_TMICT));
	EXPECT_LE(apic_page_reg(&s2, APIC_TMCCT), left_ns);
	EXPECT_GT(apic_page_reg(&s2, APIC_TMCCT), 0U);
	EXPECT_EQ(TIMER_VEC, apic_page_reg(&s2, APIC_LVTT));
	vm_free(vm);		/* the first VM's timer goes with it */

	ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu2, &uc));
	took = now_ns() - t0;
	TH_LOG("fired %lu ms after SET_LAPIC (%lu ms were left)",
	       (unsigned long)(took / MS), (unsigned long)(left_ns / MS));
	EXPECT_EQ(1ULL, uc.args[0]);
	EXPECT_EQ(0ULL, uc.args[1]);
	EXPECT_EQ(TIMER_MS * MS, uc.args[2]);
	/* Not before what was left (1 ms for clocks), nor the whole count again. */
	EXPECT_GE(took + MS, left_ns);
	EXPECT_LT(took, left_ns + 250ULL * MS);
	ASSERT_EQ(UCALL_DONE, vcpu_run_ucall(vcpu2, &uc));
	vm_free(vm2);
}

static void guest_x2apic(uint64_t id)
{
	x2apic_enable(0xff);
	GUEST_SYNC(x2apic_read(APIC_ID));
	GUEST_SYNC(x2apic_read(APIC_ID));
}

/* vCPU @id (not the BSP: made runnable) in x2APIC mode at its first SYNC. */
static struct kvmini_vcpu *x2apic_vcpu(struct kvmini_vm *vm, int id)
{
	struct kvmini_mp_state mp = { .mp_state = KVMINI_MP_STATE_RUNNABLE };
	struct kvmini_vcpu *vcpu;

	vm_load_image(vm);
	vm_map_xapic(vm);
	vcpu = vcpu_add(vm, id);
	vcpu_setup_long_mode(vcpu, guest_x2apic);
	vcpu_set_args(vcpu, 1, (uint64_t)id);
	vcpu_set_cpuid_supported(vcpu);
	vcpu_ioctl(vcpu, KVMINI_SET_MP_STATE, &mp);
	return vcpu;
}

static long x2apic_api(struct kvmini_vm *vm, uint64_t flags)
{
	struct kvmini_enable_cap cap = { .cap = KVMINI_CAP_X2APIC_API, .args = { flags } };

	return ioctl_err(vm->fd, KVMINI_ENABLE_CAP, (unsigned long)&cap);
}

TEST(x2apic_id_32bit)
{
	struct kvmini_vm *vm = vm_create_split();
	struct kvmini_lapic_state s;
	struct kvmini_vcpu *vcpu;
	struct ucall uc;

	REQUIRE_SPLIT(vm);
	EXPECT_EQ(-EINVAL, x2apic_api(vm, 1ULL << 2));
	ASSERT_EQ(0, x2apic_api(vm, KVMINI_X2APIC_API_USE_32BIT_IDS));
	vcpu = x2apic_vcpu(vm, 3);
	ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, &uc));
	EXPECT_EQ(3ULL, uc.args[0]);
	ASSERT_EQ(0, ioctl(vcpu->fd, KVMINI_GET_LAPIC, &s));
	EXPECT_EQ(3U, apic_page_reg(&s, APIC_ID));
	EXPECT_EQ(x2apic_ldr_of(3), apic_page_reg(&s, APIC_LDR));
	apic_page_set(&s, APIC_ID, 4);
	EXPECT_EQ(-EINVAL, ioctl_err(vcpu->fd, KVMINI_SET_LAPIC, (unsigned long)&s));
	apic_page_set(&s, APIC_ID, 3U << 24);
	EXPECT_EQ(-EINVAL, ioctl_err(vcpu->fd, KVMINI_SET_LAPIC, (unsigned long)&s));
	apic_page_set(&s, APIC_ID, 3);
	apic_page_set(&s, APIC_LDR, 0);		/* recomputed from the ID */
	EXPECT_EQ(0, ioctl_err(vcpu->fd, KVMINI_SET_LAPIC, (unsigned long)&s));
	ASSERT_EQ(0, ioctl(vcpu->fd, KVMINI_GET_LAPIC, &s));
	EXPECT_EQ(x2apic_ldr_of(3), apic_page_reg(&s, APIC_LDR));
	ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, &uc));
	EXPECT_EQ(3ULL, uc.args[0]);
	vm_free(vm);
}

TEST(x2apic_id_legacy)
{
	struct kvmini_vm *vm = vm_create_split();
	struct kvmini_lapic_state s;
	struct kvmini_vcpu *vcpu;
	struct ucall uc;

	REQUIRE_SPLIT(vm);
	vcpu = x2apic_vcpu(vm, 3);
	ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, &uc));
	EXPECT_EQ(3ULL, uc.args[0]);
	ASSERT_EQ(0, ioctl(vcpu->fd, KVMINI_GET_LAPIC, &s));
	EXPECT_EQ(3U << 24, apic_page_reg(&s, APIC_ID));
	EXPECT_EQ(x2apic_ldr_of(3), apic_page_reg(&s, APIC_LDR));
	/* No check of the ID without 32-bit IDs; the LDR follows the ID given. */
	apic_page_set(&s, APIC_ID, 4U << 24);
	EXPECT_EQ(0, ioctl_err(vcpu->fd, KVMINI_SET_LAPIC, (unsigned long)&s));
	ASSERT_EQ(0, ioctl(vcpu->fd, KVMINI_GET_LAPIC, &s));
	EXPECT_EQ(4U << 24, apic_page_reg(&s, APIC_ID));
	EXPECT_EQ(x2apic_ldr_of(4), apic_page_reg(&s, APIC_LDR));
	ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, &uc));
	TH_LOG("x2APIC ID MSR after SET_LAPIC of ID 4 on vCPU 3: %lu",
	       (unsigned long)uc.args[0]);
	vm_free(vm);
}

static void guest_xapic_id(void)
{
	GUEST_SYNC(xapic_read(APIC_ID));
}

/* xAPIC mode: the ID is the guest's to change, and the VMM's, 32-bit IDs or not. */
TEST(xapic_id_any)
{
	struct kvmini_vcpu *vcpu;
	struct kvmini_vm *vm = vm_create_guest_split(guest_xapic_id, &vcpu);
	struct kvmini_lapic_state s;
	struct ucall uc;

	REQUIRE_SPLIT(vm);
	ASSERT_EQ(0, x2apic_api(vm, KVMINI_X2APIC_API_USE_32BIT_IDS));
	ASSERT_EQ(0, ioctl(vcpu->fd, KVMINI_GET_LAPIC, &s));
	EXPECT_EQ(0U, apic_page_reg(&s, APIC_ID));
	apic_page_set(&s, APIC_ID, 9U << 24);
	EXPECT_EQ(0, ioctl_err(vcpu->fd, KVMINI_SET_LAPIC, (unsigned long)&s));
	ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, &uc));
	EXPECT_EQ(9ULL << 24, uc.args[0]);
	vm_free(vm);
}

static void guest_nothing(void)
{
}

TEST(no_irqchip)
{
	struct kvmini_enable_cap cap = { .cap = KVMINI_CAP_SPLIT_IRQCHIP, .args = { 24 } };
	struct kvmini_vm *probe = vm_create_split(), *vm;
	struct kvmini_lapic_state s;
	struct kvmini_vcpu *vcpu;

	REQUIRE_SPLIT(probe);
	/* Once, before any vCPU. */
	EXPECT_EQ(-EEXIST, ioctl_err(probe->fd, KVMINI_ENABLE_CAP, (unsigned long)&cap));
	vm_free(probe);

	vm = vm_create_guest(guest_nothing, &vcpu);
	ASSERT_NE(NULL, vm);
	memset(&s, 0, sizeof(s));
	EXPECT_EQ(-EINVAL, ioctl_err(vcpu->fd, KVMINI_GET_LAPIC, (unsigned long)&s));
	EXPECT_EQ(-EINVAL, ioctl_err(vcpu->fd, KVMINI_SET_LAPIC, (unsigned long)&s));
	EXPECT_EQ(-EEXIST, ioctl_err(vm->fd, KVMINI_ENABLE_CAP, (unsigned long)&cap));
	vm_free(vm);

	vm = vm_create();
	cap.args[0] = 4097;
	EXPECT_EQ(-EINVAL, ioctl_err(vm->fd, KVMINI_ENABLE_CAP, (unsigned long)&cap));
	cap.args[0] = 4096;
	EXPECT_EQ(0, ioctl_err(vm->fd, KVMINI_ENABLE_CAP, (unsigned long)&cap));
	vm_free(vm);
}

TEST_HARNESS_MAIN
