// SPDX-License-Identifier: GPL-2.0
/*
 * The error paths of the ioctls: every argument the kernel copies in or
 * out, pointed at nothing, at a page that is not there, across the end of
 * readable memory or (for output) at read-only memory, is EFAULT and
 * changes nothing, and the VM runs on afterwards; EINVAL, EEXIST, EIO
 * (ioctls from another mm) as KVM; the vCPU fd past its pages SIGBUSes.
 */
#include <setjmp.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>

#include "kvmini_util.h"
#include "kvmini_vm.h"
#include "kselftest_harness.h"

#define PAGE	4096UL

static void guest_ok(void)
{
	GUEST_SYNC(0x600d);
}

FIXTURE(err) {
	struct kvmini_vm *vm;
	struct kvmini_vcpu *vcpu;
	char *edge;		/* a read-write page, then an absent one */
	char *ro;		/* a read-only page */
};

FIXTURE_SETUP(err)
{
	self->vm = vm_create_guest(guest_ok, &self->vcpu);
	REQUIRE_VM_SETUP(self->vm);
	vcpu_set_cpuid_supported(self->vcpu);
	self->edge = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	self->ro = mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->edge);
	ASSERT_NE(MAP_FAILED, self->ro);
	ASSERT_EQ(0, munmap(self->edge + PAGE, PAGE));
}

FIXTURE_TEARDOWN(err)
{
	vm_free(self->vm);
}

/* An object of @size bytes whose last @missing bytes are not mapped. */
#define CUT(self, size, missing)	((self)->edge + PAGE - ((size) - (missing)))

static void expect_efault(struct __test_metadata *_metadata, int fd, unsigned long cmd,
			  const char *name, void *arg)
{
	EXPECT_EQ(-EFAULT, ioctl_err(fd, cmd, (unsigned long)arg))
		TH_LOG("%s(%p)", name, arg);
}
#define EFAULT_AT(fd, cmd, arg)	expect_efault(_metadata, fd, cmd, #cmd, arg)

/* (void *)1, an absent page, a struct cut short; output into read-only memory. */
#define EFAULT_ALL(fd, cmd, size, out) do {				\
	EFAULT_AT(fd, cmd, (void *)1);					\
	EFAULT_AT(fd, cmd, self->edge + PAGE);				\
	EFAULT_AT(fd, cmd, CUT(self, size, 8));				\
	if (out)							\
		EFAULT_AT(fd, cmd, self->ro);				\
} while (0)

TEST_F(err, efault_vcpu)
{
	int fd = self->vcpu->fd;
	struct kvmini_regs regs, regs2;
	struct kvmini_sregs sregs, sregs2;
	struct kvmini_fpu fpu, fpu2;
	struct kvmini_msrs *m;
	struct kvmini_cpuid2 *c;
	struct kvmini_signal_mask *sm;
	struct ucall uc;

	vcpu_ioctl(self->vcpu, KVMINI_GET_REGS, &regs);
	vcpu_ioctl(self->vcpu, KVMINI_GET_SREGS, &sregs);
	vcpu_ioctl(self->vcpu, KVMINI_GET_FPU, &fpu);
	EFAULT_ALL(fd, KVMINI_GET_REGS, sizeof(regs), true);
	EFAULT_ALL(fd, KVMINI_SET_REGS, sizeof(regs), false);
	EFAULT_ALL(fd, KVMINI_GET_SREGS, sizeof(sregs), true);
	EFAULT_ALL(fd, KVMINI_SET_SREGS, sizeof(sregs), false);
	EFAULT_ALL(fd, KVMINI_GET_FPU, sizeof(fpu), true);
	EFAULT_ALL(fd, KVMINI_SET_FPU, sizeof(fpu), false);

	/* MSRs: the header, then entries cut off; GET_MSRS writes them back. */
	EFAULT_ALL(fd, KVMINI_GET_MSRS, sizeof(*m), false);
	EFAULT_ALL(fd, KVMINI_SET_MSRS, sizeof(*m), false);
	m = (void *)CUT(self, sizeof(*m) + 16, 8);
	*m = (struct kvmini_msrs){ .nmsrs = 1 };
	EFAULT_AT(fd, KVMINI_GET_MSRS, m);
	EFAULT_AT(fd, KVMINI_SET_MSRS, m);
	m = (void *)self->edge;
	*m = (struct kvmini_msrs){ .nmsrs = 1 };
	m->entries[0] = (struct kvmini_msr_entry){ .index = 0xc0000081 };	/* STAR */
	ASSERT_EQ(0, mprotect(self->edge, PAGE, PROT_READ));
	EFAULT_AT(fd, KVMINI_GET_MSRS, m);
	ASSERT_EQ(0, mprotect(self->edge, PAGE, PROT_READ | PROT_WRITE));

	/* CPUID: header, entries cut off; GET_CPUID2 into read-only memory. */
	EFAULT_ALL(fd, KVMINI_SET_CPUID2, sizeof(*c), false);
	EFAULT_ALL(fd, KVMINI_GET_CPUID2, sizeof(*c), false);
	c = (void *)CUT(self, sizeof(*c) + 2 * sizeof(c->entries[0]), 8);
	*c = (struct kvmini_cpuid2){ .nent = 2 };
	EFAULT_AT(fd, KVMINI_SET_CPUID2, c);
	c = (void *)self->edge;
	*c = (struct kvmini_cpuid2){ .nent = (PAGE - sizeof(*c)) / sizeof(c->entries[0]) };
	ASSERT_EQ(0, mprotect(self->edge, PAGE, PROT_READ));
	EFAULT_AT(fd, KVMINI_GET_CPUID2, c);
	ASSERT_EQ(0, mprotect(self->edge, PAGE, PROT_READ | PROT_WRITE));

	/* The signal mask: header, then the set cut off. */
	EFAULT_ALL(fd, KVMINI_SET_SIGNAL_MASK, sizeof(*sm), false);
	sm = (void *)CUT(self, sizeof(*sm) + 8, 4);
	sm->len = 8;
	EFAULT_AT(fd, KVMINI_SET_SIGNAL_MASK, sm);

	/* Nothing changed; the guest runs. */
	vcpu_ioctl(self->vcpu, KVMINI_GET_REGS, &regs2);
	vcpu_ioctl(self->vcpu, KVMINI_GET_SREGS, &sregs2);
	vcpu_ioctl(self->vcpu, KVMINI_GET_FPU, &fpu2);
	EXPECT_EQ(0, memcmp(&regs, &regs2, sizeof(regs)));
	EXPECT_EQ(0, memcmp(&sregs, &sregs2, sizeof(sregs)));
	EXPECT_EQ(0, memcmp(&fpu, &fpu2, sizeof(fpu)));
	ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(self->vcpu, &uc));
	EXPECT_EQ(0x600dULL, uc.args[0]);
}

TEST_F(err, efault_vm_and_system)
{
	struct kvmini_vm *vm = self->vm, *novcpu = vm_create();
	int dev = vm->dev_fd;
	struct kvmini_cpuid2 *c;
	struct kvmini_msr_list *l;
	uint64_t addr = 0xfffbc000;
	struct ucall uc;

	ASSERT_NE(NULL, novcpu);
	EFAULT_ALL(vm->fd, KVMINI_SET_USER_MEMORY_REGION,
		   sizeof(struct kvmini_userspace_memory_region), false);
	EFAULT_ALL(novcpu->fd, KVMINI_SET_IDENTITY_MAP_ADDR, sizeof(addr), false);
	EXPECT_EQ(0, ioctl_err(novcpu->fd, KVMINI_SET_IDENTITY_MAP_ADDR, (unsigned long)&addr));
	/* With a vCPU: EINVAL, checked before the argument is read (as KVM). */
	EXPECT_EQ(-EINVAL, ioctl_err(vm->fd, KVMINI_SET_IDENTITY_MAP_ADDR, (unsigned long)&addr));
	EXPECT_EQ(-EINVAL, ioctl_err(vm->fd, KVMINI_SET_IDENTITY_MAP_ADDR, 1));
	vm_free(novcpu);

	EFAULT_ALL(dev, KVMINI_GET_SUPPORTED_CPUID, sizeof(*c), false);
	c = (void *)CUT(self, sizeof(*c) + 256 * sizeof(c->entries[0]), 256 * sizeof(c->entries[0]));
	*c = (struct kvmini_cpuid2){ .nent = 256 };
	EFAULT_AT(dev, KVMINI_GET_SUPPORTED_CPUID, c);
	EFAULT_ALL(dev, KVMINI_GET_MSR_INDEX_LIST, sizeof(*l), false);
	l = (void *)CUT(self, sizeof(*l) + 1024 * 4, 1024 * 4);
	l->nmsrs = 1024;
	EFAULT_AT(dev, KVMINI_GET_MSR_INDEX_LIST, l);

	ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(self->vcpu, &uc));
	EXPECT_EQ(0x600dULL, uc.args[0]);
}

TEST_F(err, einval_eexist)
{
	struct kvmini_vm *vm = self->vm;
	long max_id = ioctl_err(vm->fd, KVMINI_CHECK_EXTENSION, KVMINI_CAP_MAX_VCPU_ID);
	struct kvmini_irq_routing routing = { .nr = 0 };
	long fd;

	EXPECT_EQ(-EINVAL, ioctl_err(self->vcpu->fd, KVMINI_RUN, 1));
	/* vCPU ids: 0 .. MAX_VCPU_ID - 1, each once. */
	ASSERT_GT(max_id, 0);
	EXPECT_EQ(-EINVAL, ioctl_err(vm->fd, KVMINI_CREATE_VCPU, max_id));
	EXPECT_EQ(-EINVAL, ioctl_err(vm->fd, KVMINI_CREATE_VCPU, -1UL));
	EXPECT_EQ(-EEXIST, ioctl_err(vm->fd, KVMINI_CREATE_VCPU, 0));
	fd = ioctl_err(vm->fd, KVMINI_CREATE_VCPU, max_id - 1);
	EXPECT_GE(fd, 0);
	EXPECT_EQ(-EEXIST, ioctl_err(vm->fd, KVMINI_CREATE_VCPU, max_id - 1));
	if (fd >= 0)
		close(fd);
	/* The TSS takes three pages below 4 GiB: up to 0xffffd000. */
	EXPECT_EQ(0, ioctl_err(vm->fd, KVMINI_SET_TSS_ADDR, 0xfffbd000));
	EXPECT_EQ(0, ioctl_err(vm->fd, KVMINI_SET_TSS_ADDR, 0xffffd000));
	EXPECT_EQ(-EINVAL, ioctl_err(vm->fd, KVMINI_SET_TSS_ADDR, 0xffffd001));
	EXPECT_EQ(-EINVAL, ioctl_err(vm->fd, KVMINI_SET_TSS_ADDR, 0xffffe000));
	EXPECT_EQ(-EINVAL, ioctl_err(vm->fd, KVMINI_SET_TSS_ADDR, 1UL << 32));
	/* GSI routing needs an in-kernel irqchip, which this VM has not. */
	EXPECT_EQ(4096, ioctl_err(vm->fd, KVMINI_CHECK_EXTENSION, KVMINI_CAP_IRQ_ROUTING));
	EXPECT_EQ(-EINVAL, ioctl_err(vm->fd, KVMINI_SET_GSI_ROUTING, (unsigned long)&routing));
	EXPECT_EQ(-EFAULT, ioctl_err(vm->fd, KVMINI_SET_GSI_ROUTING, 0));
}

/* A VM and its vCPUs answer only their creator's mm: EIO from a child. */
TEST_F(err, other_mm)
{
	struct kvmini_regs regs;
	long r[6];
	int fds[2], status;
	pid_t pid;

	ASSERT_EQ(0, pipe(fds));
	pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		r[0] = ioctl_err(self->vm->fd, KVMINI_CHECK_EXTENSION, KVMINI_CAP_USER_MEMORY);
		r[1] = ioctl_err(self->vm->fd, KVMINI_CREATE_VCPU, 1);
		r[2] = ioctl_err(self->vcpu->fd, KVMINI_GET_REGS, (unsigned long)&regs);
		r[3] = ioctl_err(self->vcpu->fd, KVMINI_RUN, 0);
		r[4] = ioctl_err(self->vm->fd, KVMINI_SET_TSS_ADDR, 0xfffbd000);
		r[5] = ioctl_err(self->vm->dev_fd, KVMINI_GET_API_VERSION, 0);
		_exit(write(fds[1], r, sizeof(r)) == sizeof(r) ? 0 : 1);
	}
	ASSERT_EQ((ssize_t)sizeof(r), read(fds[0], r, sizeof(r)));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_EQ(-EIO, r[0]);
	EXPECT_EQ(-EIO, r[1]);
	EXPECT_EQ(-EIO, r[2]);
	EXPECT_EQ(-EIO, r[3]);
	EXPECT_EQ(-EIO, r[4]);
	EXPECT_EQ(12, r[5]);		/* the system fd is nobody's */
	/* The child made no vCPU 1; the parent can. */
	r[0] = ioctl_err(self->vm->fd, KVMINI_CREATE_VCPU, 1);
	EXPECT_GE(r[0], 0);
	if (r[0] >= 0)
		close(r[0]);
}

static sigjmp_buf jb;

static void on_sigbus(int sig)
{
	siglongjmp(jb, sig);
}

/* 0 if reading @p works, the signal otherwise. */
static int touch(volatile char *p)
{
	struct sigaction sa = { .sa_handler = on_sigbus }, old;
	int sig;

	sigaction(SIGBUS, &sa, &old);
	sig = sigsetjmp(jb, 1);
	if (!sig)
		(void)*p;
	sigaction(SIGBUS, &old, NULL);
	return sig;
}

TEST_F(err, vcpu_mmap_beyond)
{
	long size = self->vm->run_size;
	char *p = mmap(NULL, size + PAGE, PROT_READ, MAP_SHARED, self->vcpu->fd, 0);
	long off;

	ASSERT_NE(MAP_FAILED, p);
	ASSERT_EQ(0L, size % (long)PAGE);
	for (off = 0; off < size; off += PAGE)
		EXPECT_EQ(0, touch(p + off)) TH_LOG("page at %#lx", off);
	/* The same run struct as the library's mapping. */
	EXPECT_EQ(0, memcmp(p, self->vcpu->run, sizeof(*self->vcpu->run)));
	EXPECT_EQ(SIGBUS, touch(p + size));
	munmap(p, size + PAGE);
	/* Mapped at an offset past the end: the mapping works, its pages not. */
	p = mmap(NULL, PAGE, PROT_READ, MAP_SHARED, self->vcpu->fd, size);
	ASSERT_NE(MAP_FAILED, p);
	EXPECT_EQ(SIGBUS, touch(p));
	munmap(p, PAGE);
}

TEST_F(err, unknown_vcpu_ioctl)
{
	/* KVM's x86 vCPU ioctls answer EINVAL; kvmini ENOTTY, on purpose. */
	long want = kvmini_dev_is_kvm() ? -EINVAL : -ENOTTY;
	int fd = self->vcpu->fd;
	struct ucall uc;

	EXPECT_EQ(want, ioctl_err(fd, _IO(KVMINIIO, 0xff), 0));
	EXPECT_EQ(want, ioctl_err(fd, _IOW(0x42, 0x01, int), 0));
	EXPECT_EQ(want, ioctl_err(fd, KVMINI_CREATE_VCPU, 1));	/* a VM ioctl */
	ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(self->vcpu, &uc));
}

TEST_HARNESS_MAIN
