// SPDX-License-Identifier: GPL-2.0
/*
 * Statistics through KVMINI_GET_STATS_FD on VM and vCPU fds, in KVM's
 * binary format: a well-formed header, id, descriptors and data (the
 * checks of the kernel's kvm_binary_stats_test); counters that count what
 * the guest did, under KVM's names; a stats fd that keeps working after
 * the VM's fds are closed, and is read-only.
 */
#include <fcntl.h>
#include <sys/ioctl.h>

#include "kvmini_util.h"
#include "kvmini_vm.h"
#include "kselftest_harness.h"

#define MMIO_GPA	0xd0000000ULL	/* no slot: a device's */
#define NCPUID		20
#define NOUT		7
#define NMMIO		5

/* Read the whole fd as a reader written for KVM would, and check it. */
static void check_format(struct __test_metadata *_metadata, int fd, bool vcpu)
{
	struct kvmini_stats_header h;
	struct kvmini_stats_desc *d, *e;
	char id[KVMINI_STATS_NAME_SIZE];
	size_t dsize, data_size = 0;
	uint64_t *data, one;
	uint32_t i, j, type;
	char *descs;

	ASSERT_EQ((ssize_t)sizeof(h), pread(fd, &h, sizeof(h), 0));
	ASSERT_EQ((uint32_t)KVMINI_STATS_NAME_SIZE, h.name_size);
	ASSERT_LT(0U, h.num_desc);
	ASSERT_EQ((ssize_t)sizeof(id), pread(fd, id, sizeof(id), h.id_offset));
	EXPECT_EQ(0, strncmp(id, "kvm", 3)) TH_LOG("id %.48s", id);
	EXPECT_LT(strnlen(id, sizeof(id)), sizeof(id));
	EXPECT_EQ(vcpu, strstr(id, "/vcpu-") != NULL) TH_LOG("id %.48s", id);
	EXPECT_LE(sizeof(h), h.desc_offset);
	EXPECT_LE(sizeof(h), h.data_offset);

	dsize = sizeof(*d) + h.name_size;
	descs = calloc(h.num_desc, dsize);
	ASSERT_EQ((ssize_t)(h.num_desc * dsize), pread(fd, descs, h.num_desc * dsize,
						       h.desc_offset));
	for (i = 0; i < h.num_desc; i++) {
		d = (void *)(descs + i * dsize);
		type = d->flags & KVMINI_STATS_TYPE_MASK;
		EXPECT_LT(strnlen(d->name, h.name_size), h.name_size);
		EXPECT_LE((uint32_t)(d->flags & KVMINI_STATS_UNIT_MASK), (uint32_t)KVMINI_STATS_UNIT_MAX);
		EXPECT_LE((uint32_t)(d->flags & KVMINI_STATS_BASE_MASK), (uint32_t)KVMINI_STATS_BASE_MAX);
		EXPECT_LT(0, d->size);
		EXPECT_EQ(type == KVMINI_STATS_TYPE_LINEAR_HIST, d->bucket_size != 0);
		for (j = 0; j < i; j++) {
			e = (void *)(descs + j * dsize);
			EXPECT_NE(0, strncmp(d->name, e->name, h.name_size)) TH_LOG("%s twice", d->name);
		}
		data_size += d->size * sizeof(uint64_t);
	}
	/* The blocks do not overlap. */
	EXPECT_TRUE(h.desc_offset + h.num_desc * dsize <= h.data_offset ||
		    h.data_offset + data_size <= h.desc_offset);
	data = calloc(1, data_size);
	ASSERT_EQ((ssize_t)data_size, pread(fd, data, data_size, h.data_offset));
	for (i = 0; i < h.num_desc; i++) {
		d = (void *)(descs + i * dsize);
		EXPECT_LT(d->offset, data_size);
		ASSERT_EQ((ssize_t)sizeof(one), pread(fd, &one, sizeof(one),
						      h.data_offset + d->offset));
	}
	/* Past the end: nothing. */
	EXPECT_EQ(0, pread(fd, &one, sizeof(one), h.data_offset + data_size));
	free(data);
	free(descs);
}

TEST(format)
{
	struct kvmini_vm *vm = vm_create();
	struct kvmini_vcpu *vcpu;
	int fd;

	REQUIRE_VM(vm);
	ASSERT_EQ(1, ioctl(vm->dev_fd, KVMINI_CHECK_EXTENSION, KVMINI_CAP_BINARY_STATS_FD));
	vcpu = vcpu_add(vm, 0);
	fd = ioctl(vm->fd, KVMINI_GET_STATS_FD, 0);
	ASSERT_LE(0, fd);
	check_format(_metadata, fd, false);
	EXPECT_EQ(FD_CLOEXEC, fcntl(fd, F_GETFD) & FD_CLOEXEC);
	EXPECT_EQ(O_RDONLY, fcntl(fd, F_GETFL) & O_ACCMODE);
	close(fd);
	fd = ioctl(vcpu->fd, KVMINI_GET_STATS_FD, 0);
	ASSERT_LE(0, fd);
	check_format(_metadata, fd, true);
	EXPECT_EQ(-1, write(fd, "x", 1));
	close(fd);
	/* Not on the device fd. */
	EXPECT_EQ(-1, ioctl(vm->dev_fd, KVMINI_GET_STATS_FD, 0));
	vm_free(vm);
}

static void guest_work(void)
{
	uint32_t r[4];
	int i;

	for (i = 0; i < NCPUID; i++)
		cpuid(0, 0, r);
	for (i = 0; i < NOUT; i++)
		asm volatile("outb %%al, $0x80" : : "a"(i));
	for (i = 0; i < NMMIO; i++)
		*(volatile uint32_t *)MMIO_GPA = i;
	asm volatile("hlt");
	GUEST_DONE();
}

TEST(counts)
{
	struct kvmini_vcpu *vcpu;
	struct kvmini_vm *vm = vm_create_guest(guest_work, &vcpu);
	int64_t exits, io, mmio;
	struct ucall uc;
	int i, fd;

	REQUIRE_VM(vm);
	vm_map(vm, MMIO_GPA, MMIO_GPA, 4096);
	EXPECT_EQ(0, vcpu_stat(vcpu, "io_exits"));
	for (i = 0; i < NOUT; i++)
		vcpu_run_expect(vcpu, KVMINI_EXIT_IO);
	for (i = 0; i < NMMIO; i++)
		vcpu_run_expect(vcpu, KVMINI_EXIT_MMIO);
	vcpu_run_expect(vcpu, KVMINI_EXIT_HLT);
	vcpu_run_ucall(vcpu, &uc);
	EXPECT_EQ((uint64_t)UCALL_DONE, uc.cmd);

	exits = vcpu_stat(vcpu, "exits");
	io = vcpu_stat(vcpu, "io_exits");
	mmio = vcpu_stat(vcpu, "mmio_exits");
	EXPECT_EQ(NOUT + 1, io);		/* and the ucall's */
	EXPECT_EQ(NMMIO, mmio);
	EXPECT_EQ(1, vcpu_stat(vcpu, "halt_exits"));
	EXPECT_LE(io + mmio + 1 + (kvmini_dev_is_kvm() ? 0 : NCPUID), exits);
	if (!kvmini_dev_is_kvm())	/* kvmini's own */
		EXPECT_EQ(NCPUID, vcpu_stat(vcpu, "cpuid_exits"));
	EXPECT_LT(0, vm_stat(vm, "pages_4k") + vm_stat(vm, "pages_2m"));
	EXPECT_EQ(-1, vcpu_stat(vcpu, "no_such_stat"));

	/* The fd keeps the VM: still readable once the VM's fds are closed. */
	fd = ioctl(vcpu->fd, KVMINI_GET_STATS_FD, 0);
	ASSERT_LE(0, fd);
	vm_free(vm);
	EXPECT_EQ(io, kvmini_stats_read(fd, "io_exits"));
	close(fd);
}

TEST_HARNESS_MAIN
