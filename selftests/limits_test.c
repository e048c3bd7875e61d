// SPDX-License-Identifier: GPL-2.0
/*
 * Huge counts and sizes in every ioctl that takes one, answered with KVM's
 * errno (Debian 6.1: virt/kvm/kvm_main.c, arch/x86/kvm/x86.c, cpuid.c):
 * nmsrs (MSRS, the MSR index list), nent (CPUID2, supported CPUID), the
 * signal-mask length, GSI routes, nr_xcrs, vCPU ids (a u32: KVM drops the
 * upper half), and a dirty log of a 1 TiB slot (slot sizes themselves:
 * slot_limits_test). Afterwards the VM still runs its guest and the kernel
 * logged no problem.
 */
#include <cpuid.h>
#include <signal.h>
#include <sys/mman.h>

#include "kvmini_hostile.h"
#include "kselftest_harness.h"

#define PAGE		4096ULL
#define HVA		(1ULL << 44)		/* nothing mapped there; KVM takes it */
#define GPA		(1ULL << 32)		/* above the main slot (GPA 0 up) */
#define MSR_STAR	0xc0000081
#define NO_MSR		0xdeadbeef

static void guest_ok(void)
{
	GUEST_SYNC(0x600d);
}

FIXTURE(lim) {
	struct kvmini_vm *vm;
	struct kvmini_vcpu *vcpu;
	int kmsg;
};

FIXTURE_SETUP(lim)
{
	self->kmsg = kmsg_open();
	self->vm = vm_create_guest(guest_ok, &self->vcpu);
	REQUIRE_VM_SETUP(self->vm);
}

/* Whatever the test did, the guest still runs and the kernel stayed quiet. */
FIXTURE_TEARDOWN(lim)
{
	struct ucall uc;
	char msg[256];

	EXPECT_EQ(UCALL_SYNC, vcpu_run_ucall(self->vcpu, &uc));
	EXPECT_EQ(0x600dULL, uc.args[0]);
	vm_free(self->vm);
	EXPECT_EQ(0, kmsg_problems(self->kmsg, msg, sizeof(msg))) TH_LOG("kernel: %s", msg);
	close(self->kmsg);
}

/* A zeroed buffer of @size bytes. */
static void *zalloc(size_t size)
{
	void *p = calloc(1, size);

	if (!p)
		abort();
	return p;
}

TEST_F(lim, msrs_nmsrs)
{
	static const uint32_t huge[] = { 256, 257, 0x7fffffff, 0x80000000, 0xffffffff };
	struct kvmini_msrs *m = zalloc(sizeof(*m) + 255 * sizeof(m->entries[0]));
	unsigned int i;

	/* 255 entries is the most: done up to the first failing one. */
	m->nmsrs = 255;
	for (i = 0; i < 254; i++)
		m->entries[i].index = MSR_STAR;
	m->entries[254].index = NO_MSR;
	EXPECT_EQ(254, ioctl_err(self->vcpu->fd, KVMINI_GET_MSRS, (unsigned long)m));
	EXPECT_EQ(254, ioctl_err(self->vcpu->fd, KVMINI_SET_MSRS, (unsigned long)m));
	/* More is E2BIG before any entry is read (the buffer holds 255). */
	for (i = 0; i < sizeof(huge) / sizeof(huge[0]); i++) {
		m->nmsrs = huge[i];
		EXPECT_EQ(-E2BIG, ioctl_err(self->vcpu->fd, KVMINI_GET_MSRS, (unsigned long)m))
			TH_LOG("nmsrs %#x", huge[i]);
		EXPECT_EQ(-E2BIG, ioctl_err(self->vcpu->fd, KVMINI_SET_MSRS, (unsigned long)m))
			TH_LOG("nmsrs %#x", huge[i]);
	}
	free(m);
}

TEST_F(lim, msr_index_list_nmsrs)
{
	struct kvmini_msr_list *l = zalloc(sizeof(*l) + 4096 * sizeof(l->indices[0]));
	uint32_t n;

	l->nmsrs = 0;
	EXPECT_EQ(-E2BIG, ioctl_err(self->vm->dev_fd, KVMINI_GET_MSR_INDEX_LIST, (unsigned long)l));
	n = l->nmsrs;		/* the count is written back */
	ASSERT_GT(n, 0U);
	ASSERT_LE(n, 4096U);
	l->nmsrs = 0xffffffff;
	EXPECT_EQ(0, ioctl_err(self->vm->dev_fd, KVMINI_GET_MSR_INDEX_LIST, (unsigned long)l));
	EXPECT_EQ(n, l->nmsrs);
	free(l);
}

TEST_F(lim, cpuid_nent)
{
	static const uint32_t huge[] = { 257, 4096, 0x80000000, 0xffffffff };
	struct kvmini_cpuid2 *sup = kvmini_supported_cpuid(self->vm);
	struct kvmini_cpuid2 *c = zalloc(sizeof(*c) + 256 * sizeof(c->entries[0]));
	struct kvmini_cpuid2 *get = zalloc(sizeof(*c) + 256 * sizeof(c->entries[0]));
	unsigned int i, n = sup->nent;

	/* The supported table: nent 0 is too small, any huge one is enough. */
	ASSERT_LE(n, 256U);
	c->nent = 0;
	EXPECT_EQ(-E2BIG, ioctl_err(self->vm->dev_fd, KVMINI_GET_SUPPORTED_CPUID,
				    (unsigned long)c));
	for (i = 2; i < sizeof(huge) / sizeof(huge[0]); i++) {
		c->nent = huge[i];
		EXPECT_EQ(0, ioctl_err(self->vm->dev_fd, KVMINI_GET_SUPPORTED_CPUID,
				       (unsigned long)c)) TH_LOG("nent %#x", huge[i]);
		EXPECT_EQ(n, c->nent);
	}

	/* A vCPU's table: 256 entries at most (the supported ones, then unknown leaves). */
	memcpy(c->entries, sup->entries, n * sizeof(c->entries[0]));
	for (i = n; i < 256; i++)
		c->entries[i] = (struct kvmini_cpuid_entry2){
			.function = 0x4fff0000 + i, .eax = i,
		};
	c->nent = 256;
	EXPECT_EQ(0, ioctl_err(self->vcpu->fd, KVMINI_SET_CPUID2, (unsigned long)c));
	for (i = 0; i < sizeof(huge) / sizeof(huge[0]); i++) {
		c->nent = huge[i];
		EXPECT_EQ(-E2BIG, ioctl_err(self->vcpu->fd, KVMINI_SET_CPUID2, (unsigned long)c))
			TH_LOG("nent %#x", huge[i]);
	}
	/* Reading it back: too small is E2BIG, a huge nent reads the 256. */
	get->nent = 0;
	EXPECT_EQ(-E2BIG, ioctl_err(self->vcpu->fd, KVMINI_GET_CPUID2, (unsigned long)get));
	get->nent = 255;
	EXPECT_EQ(-E2BIG, ioctl_err(self->vcpu->fd, KVMINI_GET_CPUID2, (unsigned long)get));
	get->nent = 0xffffffff;
	EXPECT_EQ(0, ioctl_err(self->vcpu->fd, KVMINI_GET_CPUID2, (unsigned long)get));
	/* KVM fills in some bits of the leaves it knows (APIC id, OSXSAVE...). */
	for (i = 0; i < 256; i++) {
		EXPECT_EQ(c->entries[i].function, get->entries[i].function) TH_LOG("entry %u", i);
		EXPECT_EQ(c->entries[i].index, get->entries[i].index) TH_LOG("entry %u", i);
	}
	EXPECT_EQ(0, memcmp(get->entries + n, c->entries + n, (256 - n) * sizeof(c->entries[0])));
	/* Put the supported table back for the guest that runs at the end. */
	EXPECT_EQ(0, ioctl_err(self->vcpu->fd, KVMINI_SET_CPUID2, (unsigned long)sup));
	free(sup);
	free(c);
	free(get);
}

TEST_F(lim, signal_mask_len)
{
	static const uint32_t bad[] = { 0, 4, 7, 9, 16, 128, 0x80000000, 0xffffffff };
	struct { struct kvmini_signal_mask m; uint8_t set[256]; } s = { .m.len = 8 };
	unsigned int i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		s.m.len = bad[i];
		EXPECT_EQ(-EINVAL, ioctl_err(self->vcpu->fd, KVMINI_SET_SIGNAL_MASK,
					     (unsigned long)&s)) TH_LOG("len %#x", bad[i]);
	}
	s.m.len = 8;		/* a kernel sigset_t */
	EXPECT_EQ(0, ioctl_err(self->vcpu->fd, KVMINI_SET_SIGNAL_MASK, (unsigned long)&s));
	EXPECT_EQ(0, ioctl_err(self->vcpu->fd, KVMINI_SET_SIGNAL_MASK, 0));
}

/* Without an in-kernel irqchip there is nothing to route to: EINVAL for any nr. */
TEST_F(lim, gsi_routing_nr)
{
	static const uint32_t nr[] = { 0, 1, 4096, 4097, 0x80000000, 0xffffffff };
	/* Two zeroed entries (64 bytes each in KVM's ABI) after the header. */
	struct kvmini_irq_routing *r = zalloc(sizeof(*r) + 2 * 64);
	unsigned int i;

	for (i = 0; i < sizeof(nr) / sizeof(nr[0]); i++) {
		r->nr = nr[i];
		EXPECT_EQ(-EINVAL, ioctl_err(self->vm->fd, KVMINI_SET_GSI_ROUTING,
					     (unsigned long)r)) TH_LOG("nr %#x", nr[i]);
	}
	free(r);
}

/*
 * KVM_MAX_XCRS is 16. As KVM: only the first entry for XCR0 counts, the
 * rest (other XCRs, more XCR0 entries) is not looked at.
 */
TEST_F(lim, xcrs_nr)
{
	static const uint32_t huge[] = { 17, 256, 0x80000000, 0xffffffff };
	struct kvmini_xcrs x = { .nr_xcrs = 16 }, got;
	unsigned int i;

	if (ioctl_err(self->vm->dev_fd, KVMINI_CHECK_EXTENSION, KVMINI_CAP_XCRS) <= 0)
		SKIP(return, "no KVM_CAP_XCRS (the host has no XSAVE)");
	x.xcrs[0] = (struct kvmini_xcr){ .xcr = 0, .value = 1 };	/* x87 only */
	/* Entries 1-15: XCR0 with a value that is invalid on its own. */
	EXPECT_EQ(0, ioctl_err(self->vcpu->fd, KVMINI_SET_XCRS, (unsigned long)&x));
	/* An XCR other than XCR0, alone: ignored. */
	x.nr_xcrs = 1;
	x.xcrs[0] = (struct kvmini_xcr){ .xcr = 1, .value = 0xdead };
	EXPECT_EQ(0, ioctl_err(self->vcpu->fd, KVMINI_SET_XCRS, (unsigned long)&x));
	x.xcrs[0] = (struct kvmini_xcr){ .xcr = 0, .value = 1 };
	for (i = 0; i < sizeof(huge) / sizeof(huge[0]); i++) {
		x.nr_xcrs = huge[i];
		EXPECT_EQ(-EINVAL, ioctl_err(self->vcpu->fd, KVMINI_SET_XCRS, (unsigned long)&x))
			TH_LOG("nr_xcrs %#x", huge[i]);
	}
	x.nr_xcrs = 0;		/* nothing to set */
	EXPECT_EQ(0, ioctl_err(self->vcpu->fd, KVMINI_SET_XCRS, (unsigned long)&x));
	ASSERT_EQ(0, ioctl_err(self->vcpu->fd, KVMINI_GET_XCRS, (unsigned long)&got));
	EXPECT_EQ(1U, got.nr_xcrs);
	EXPECT_EQ(0U, got.xcrs[0].xcr);
	EXPECT_EQ(1ULL, got.xcrs[0].value);
}

/* The id is a u32 (kvm_vm_ioctl_create_vcpu(kvm, u32 id)): bits 63:32 drop. */
TEST_F(lim, vcpu_ids)
{
	long max = ioctl_err(self->vm->fd, KVMINI_CHECK_EXTENSION, KVMINI_CAP_MAX_VCPU_ID);
	long fd;

	ASSERT_GT(max, 1);
	EXPECT_EQ(-EINVAL, ioctl_err(self->vm->fd, KVMINI_CREATE_VCPU, max));
	EXPECT_EQ(-EINVAL, ioctl_err(self->vm->fd, KVMINI_CREATE_VCPU, 0x80000000UL));
	EXPECT_EQ(-EINVAL, ioctl_err(self->vm->fd, KVMINI_CREATE_VCPU, 0xffffffffUL));
	EXPECT_EQ(-EINVAL, ioctl_err(self->vm->fd, KVMINI_CREATE_VCPU, 0xffffffff00000000UL | max));
	/* vCPU 0 exists: 2^32 is id 0. */
	EXPECT_EQ(-EEXIST, ioctl_err(self->vm->fd, KVMINI_CREATE_VCPU, 1UL << 32));
	fd = ioctl_err(self->vm->fd, KVMINI_CREATE_VCPU, (1UL << 32) | 1);
	EXPECT_GE(fd, 0) TH_LOG("CREATE_VCPU(2^32 + 1): %s", strerror(-fd));
	if (fd >= 0)
		close(fd);
	/* ... which made vCPU 1. */
	fd = ioctl_err(self->vm->fd, KVMINI_CREATE_VCPU, 1);
	EXPECT_EQ(-EEXIST, fd);
	if (fd >= 0)
		close(fd);
}

/* Other ioctls whose argument is a number. */
TEST_F(lim, huge_values)
{
	struct kvmini_interrupt irq = { .irq = 256 };
	int fd = self->vcpu->fd, dev = self->vm->dev_fd;

	EXPECT_EQ(-EINVAL, ioctl_err(dev, KVMINI_GET_API_VERSION, 1UL << 63));
	EXPECT_EQ(-EINVAL, ioctl_err(dev, KVMINI_GET_VCPU_MMAP_SIZE, 1UL << 32));
	EXPECT_EQ(-EINVAL, ioctl_err(dev, KVMINI_CREATE_VM, 1UL << 32));
	EXPECT_EQ(-EINVAL, ioctl_err(dev, KVMINI_CREATE_VM, -1UL));
	EXPECT_EQ(0, ioctl_err(dev, KVMINI_CHECK_EXTENSION, 1UL << 32));
	EXPECT_EQ(0, ioctl_err(dev, KVMINI_CHECK_EXTENSION, -1UL));
	EXPECT_EQ(0, ioctl_err(self->vm->fd, KVMINI_CHECK_EXTENSION, (1UL << 32) | 1));
	EXPECT_EQ(-EINVAL, ioctl_err(self->vm->fd, KVMINI_SET_TSS_ADDR, 1UL << 63));
	EXPECT_EQ(-EINVAL, ioctl_err(self->vm->fd, KVMINI_SET_TSS_ADDR, -1UL));
	EXPECT_EQ(-EINVAL, ioctl_err(fd, KVMINI_RUN, 1UL << 63));
	EXPECT_EQ(-EINVAL, ioctl_err(fd, KVMINI_INTERRUPT, (unsigned long)&irq));
	irq.irq = 0xffffffff;
	EXPECT_EQ(-EINVAL, ioctl_err(fd, KVMINI_INTERRUPT, (unsigned long)&irq));
}

/* The host's MAXPHYADDR, which bounds KVM's guest-physical space. */
static unsigned int host_phys_bits(void)
{
	unsigned int a, b, c, d;

	__cpuid(0x80000000, a, b, c, d);
	if (a < 0x80000008)
		return 36;
	__cpuid(0x80000008, a, b, c, d);
	return a & 0xff;
}

/* KVMINI_SET_USER_MEMORY_REGION with the host address as a number: 0 or -errno. */
#define set_slot(vm, slot, flags, gpa, size, hva) \
	vm_set_region(vm, slot, flags, gpa, size, (void *)(uintptr_t)(hva))

/*
 * A dirty-logging slot from 4 GiB up to 1 TiB (or the end of the
 * guest-physical space, if lower): its log is ~32 MiB of zero bits; into a buffer too small, or
 * at NULL, EFAULT. Slot ids out of range: EINVAL; no slot: ENOENT.
 */
TEST_F(lim, dirty_log_huge_slot)
{
	uint64_t end = 1ULL << 40, size, bytes, i;
	long nas = ioctl_err(self->vm->fd, KVMINI_CHECK_EXTENSION, KVMINI_CAP_MULTI_ADDRESS_SPACE);
	struct kvmini_dirty_log dl = { .slot = 5 };
	struct kvmini_vm *vm = self->vm;
	uint64_t *bm;
	char *small;

	if (end > 1ULL << host_phys_bits())
		end = 1ULL << host_phys_bits();
	size = end - GPA;
	bytes = size / PAGE / 8;
	bm = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	small = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, bm);
	ASSERT_NE(MAP_FAILED, small);
	ASSERT_EQ(0, munmap(small + PAGE, PAGE));

	ASSERT_EQ(0, set_slot(vm, 5, KVMINI_MEM_LOG_DIRTY_PAGES, GPA, size, HVA))
		TH_LOG("a %#llx-byte slot", (unsigned long long)size);
	memset(bm, 0xff, PAGE);
	memset((char *)bm + bytes - PAGE, 0xff, PAGE);
	dl.dirty_bitmap = (uintptr_t)bm;
	EXPECT_EQ(0, ioctl_err(vm->fd, KVMINI_GET_DIRTY_LOG, (unsigned long)&dl));
	for (i = 0; i < PAGE / 8; i++) {
		EXPECT_EQ(0ULL, bm[i]) TH_LOG("qword %llu", (unsigned long long)i);
		EXPECT_EQ(0ULL, bm[(bytes - PAGE) / 8 + i]);
		if (bm[i] || bm[(bytes - PAGE) / 8 + i])
			break;
	}
	dl.dirty_bitmap = (uintptr_t)small;
	EXPECT_EQ(-EFAULT, ioctl_err(vm->fd, KVMINI_GET_DIRTY_LOG, (unsigned long)&dl));
	dl.dirty_bitmap = 0;
	EXPECT_EQ(-EFAULT, ioctl_err(vm->fd, KVMINI_GET_DIRTY_LOG, (unsigned long)&dl));
	EXPECT_EQ(0, set_slot(vm, 5, 0, GPA, 0, HVA));
	dl.dirty_bitmap = (uintptr_t)bm;
	EXPECT_EQ(-ENOENT, ioctl_err(vm->fd, KVMINI_GET_DIRTY_LOG, (unsigned long)&dl));
	/* Address space 1 (SMM) is a place with no slot where KVM has one. */
	dl.slot = 1 << 16 | 5;
	EXPECT_EQ(nas > 1 ? -ENOENT : -EINVAL,
		  ioctl_err(vm->fd, KVMINI_GET_DIRTY_LOG, (unsigned long)&dl));
	dl.slot = 0xffffffff;
	EXPECT_EQ(-EINVAL, ioctl_err(vm->fd, KVMINI_GET_DIRTY_LOG, (unsigned long)&dl));
	dl.slot = 0x7fff;
	EXPECT_EQ(-EINVAL, ioctl_err(vm->fd, KVMINI_GET_DIRTY_LOG, (unsigned long)&dl));
	munmap(bm, bytes);
	munmap(small, PAGE);
}

TEST_HARNESS_MAIN
