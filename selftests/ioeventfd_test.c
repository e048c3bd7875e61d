// SPDX-License-Identifier: GPL-2.0
/*
 * KVMINI_IOEVENTFD, as KVM: a guest OUT (each element of OUTS too) or MMIO
 * write that matches an ioeventfd (space, address, length or length 0,
 * DATAMATCH value) signals its eventfd and does not exit: the next exit
 * is the guest's following ucall. Anything else exits as before. A 16-byte
 * MMIO write goes 8 bytes at a time, as long as ioeventfds take them.
 * The ioctl's errors (EINVAL, EEXIST for each kind of overlap, ENOENT, a
 * file that is no eventfd), no limit of 1000 (KVM does not count
 * ioeventfds in its bus limit), and a VM destroyed with ioeventfds: their
 * eventfds still work and are not leaked (eventfd ids get reused).
 */
#include <sys/eventfd.h>

#include "kvmini_util.h"
#include "kvmini_vm.h"
#include "kselftest_harness.h"

#define PORT		0x700
#define MMIO		0xc0000000ULL	/* no slot: the VMM's device */
#define DM		KVMINI_IOEVENTFD_FLAG_DATAMATCH
#define PIO		KVMINI_IOEVENTFD_FLAG_PIO
#define DEASSIGN	KVMINI_IOEVENTFD_FLAG_DEASSIGN

enum { OP_OUT = 1, OP_MMIO, OP_OUTS, OP_SSE };

/* Guest side: what to do next, set by the host at each GUEST_SYNC. */
static struct {
	uint64_t kind, addr, size, val, count;
} op;
static uint8_t buf[64] __attribute__((aligned(16)));

static void guest_outs(uint16_t port, uint64_t size, uint64_t n)
{
	const uint8_t *src = buf;
	uint64_t count = n;

	if (size == 1)
		asm volatile("rep outsb" : "+S"(src), "+c"(count) : "d"(port) : "memory");
	else if (size == 2)
		asm volatile("rep outsw" : "+S"(src), "+c"(count) : "d"(port) : "memory");
	else
		asm volatile("rep outsl" : "+S"(src), "+c"(count) : "d"(port) : "memory");
	GUEST_ASSERT_EQ(count, 0);
	GUEST_ASSERT_EQ(src, buf + n * size);
}

static void guest_main(void)
{
	uint64_t a, v;

	for (;;) {
		GUEST_SYNC(0);
		a = op.addr;
		v = op.val;
		switch (op.kind * 16 + op.size) {
		case OP_OUT * 16 + 1: asm volatile("outb %b0, %w1" : : "a"(v), "Nd"(a)); break;
		case OP_OUT * 16 + 2: asm volatile("outw %w0, %w1" : : "a"(v), "Nd"(a)); break;
		case OP_OUT * 16 + 4: asm volatile("outl %k0, %w1" : : "a"(v), "Nd"(a)); break;
		case OP_MMIO * 16 + 1: *(volatile uint8_t *)a = v; break;
		case OP_MMIO * 16 + 2: *(volatile uint16_t *)a = v; break;
		case OP_MMIO * 16 + 4: *(volatile uint32_t *)a = v; break;
		case OP_MMIO * 16 + 8: *(volatile uint64_t *)a = v; break;
		case OP_SSE * 16 + 16:
			asm volatile("movups (%0), %%xmm0; movups %%xmm0, (%1)"
				     : : "r"(buf), "r"(a) : "xmm0", "memory");
			break;
		default:
			if (op.kind != OP_OUTS)
				return;
			guest_outs(a, op.size, op.count);
		}
	}
}

/* Host side. */
static int ioev(struct kvmini_vm *vm, uint32_t flags, uint64_t addr, uint32_t len,
		uint64_t datamatch, int fd)
{
	struct kvmini_ioeventfd a = {
		.datamatch = datamatch, .addr = addr, .len = len, .fd = fd, .flags = flags,
	};

	return ioctl_err(vm->fd, KVMINI_IOEVENTFD, (unsigned long)&a);
}

/* The eventfd's count (0 if none), which reading clears. */
static long count(int efd)
{
	uint64_t v;

	return read(efd, &v, sizeof(v)) == sizeof(v) ? (long)v : 0;
}

/* Run: the next exit must be the guest's ucall (SYNC). */
static void run_sync(struct __test_metadata *_metadata, struct kvmini_vcpu *vcpu)
{
	struct ucall uc;
	int u;

	ASSERT_EQ(0, vcpu_run(vcpu));
	u = vcpu_get_ucall(vcpu, &uc);
	ASSERT_EQ(UCALL_SYNC, u)
		TH_LOG("exit %s, ucall %d (%s %#lx %#lx)", exit_reason_str(vcpu->run->exit_reason),
		       u, uc.expr, (unsigned long)uc.args[0], (unsigned long)uc.args[1]);
}

static void guest_op(struct kvmini_vm *vm, uint64_t kind, uint64_t addr, uint64_t size,
		     uint64_t val)
{
	GUEST_VAR(vm, op).kind = kind;
	GUEST_VAR(vm, op).addr = addr;
	GUEST_VAR(vm, op).size = size;
	GUEST_VAR(vm, op).val = val;
}

/* The guest writes: an ioeventfd takes it, no exit. */
#define TAKEN(kind, addr, size, val) do {				\
	guest_op(vm, kind, addr, size, val);				\
	run_sync(_metadata, vcpu);					\
} while (0)

/* Run: the VMM sees the guest's write (port or MMIO) of @val. */
#define SEEN(kind, addr, size, val) \
	seen(_metadata, vcpu, kind, addr, size, val, __LINE__)
static void seen(struct __test_metadata *_metadata, struct kvmini_vcpu *vcpu, uint64_t kind,
		 uint64_t addr, uint64_t size, uint64_t val, int line)
{
	struct kvmini_run *run = vcpu->run;
	uint64_t got = 0;

	ASSERT_EQ(0, vcpu_run(vcpu));
	if (kind == OP_OUT || kind == OP_OUTS) {
		ASSERT_EQ(KVMINI_EXIT_IO, (int)run->exit_reason) TH_LOG("line %d", line);
		EXPECT_EQ(KVMINI_EXIT_IO_OUT, run->io.direction);
		EXPECT_EQ(addr, run->io.port);
		EXPECT_EQ(size, run->io.size);
		EXPECT_EQ(1U, run->io.count);
		memcpy(&got, vcpu_io_data(vcpu), size);
	} else {
		ASSERT_EQ(KVMINI_EXIT_MMIO, (int)run->exit_reason) TH_LOG("line %d", line);
		EXPECT_TRUE(run->mmio.is_write);
		EXPECT_EQ(addr, run->mmio.phys_addr);
		EXPECT_EQ(size, (uint64_t)run->mmio.len);
		memcpy(&got, run->mmio.data, size);
	}
	EXPECT_EQ(val, got) TH_LOG("line %d", line);
}

/* The guest writes: the VMM sees the write, then the ucall. */
#define EXITS(kind, addr, size, val) do {				\
	guest_op(vm, kind, addr, size, val);				\
	SEEN(kind, addr, size, val);					\
	run_sync(_metadata, vcpu);					\
} while (0)

static struct kvmini_vm *setup(struct kvmini_vcpu **vcpu, int *efd)
{
	struct kvmini_vm *vm = vm_create_guest(guest_main, vcpu);

	if (!vm)
		return NULL;
	vm_map(vm, MMIO, MMIO, 0x1000);
	*efd = eventfd(0, EFD_NONBLOCK);
	return vm;
}

TEST(caps)
{
	struct kvmini_vm *vm = vm_create();

	REQUIRE_VM(vm);
	EXPECT_EQ(1, ioctl(vm->fd, KVMINI_CHECK_EXTENSION, KVMINI_CAP_IOEVENTFD));
	EXPECT_EQ(1, ioctl(vm->fd, KVMINI_CHECK_EXTENSION, KVMINI_CAP_IOEVENTFD_NO_LENGTH));
	EXPECT_EQ(1, ioctl(vm->dev_fd, KVMINI_CHECK_EXTENSION, KVMINI_CAP_IOEVENTFD_ANY_LENGTH));
	vm_free(vm);
}

/* DATAMATCH of each size: only its value, its length, its address. */
TEST(sizes)
{
	static const uint64_t vals[] = { 0, 0x5a, 0x1234, 0, 0x89abcdef, 0, 0, 0, 0x0123456789abcdefULL };
	struct kvmini_vcpu *vcpu;
	int efd, s;
	struct kvmini_vm *vm = setup(&vcpu, &efd);
	uint64_t a = MMIO + 0x100;

	REQUIRE_VM(vm);
	run_sync(_metadata, vcpu);
	for (s = 1; s <= 8; s *= 2) {
		if (s < 8) {
			ASSERT_EQ(0, ioev(vm, PIO | DM, PORT, s, vals[s], efd));
			TAKEN(OP_OUT, PORT, s, vals[s]);
			EXPECT_EQ(1, count(efd));
			EXITS(OP_OUT, PORT, s, vals[s] - 1);		/* another value */
			EXITS(OP_OUT, PORT + 1, s, vals[s]);		/* another port */
			EXITS(OP_OUT, PORT, s == 1 ? 2 : 1, vals[s] & 0xff);	/* another size */
			ASSERT_EQ(0, ioev(vm, DM, PORT + 8, s, vals[s], efd));	/* MMIO */
			EXITS(OP_OUT, PORT + 8, s, vals[s]);
			ASSERT_EQ(0, ioev(vm, DM | DEASSIGN, PORT + 8, s, vals[s], efd));
			ASSERT_EQ(0, ioev(vm, PIO | DM | DEASSIGN, PORT, s, vals[s], efd));
			EXITS(OP_OUT, PORT, s, vals[s]);
		}
		ASSERT_EQ(0, ioev(vm, DM, a, s, vals[s], efd));
		TAKEN(OP_MMIO, a, s, vals[s]);
		TAKEN(OP_MMIO, a, s, vals[s]);
		EXPECT_EQ(2, count(efd));
		EXITS(OP_MMIO, a, s, vals[s] ^ 0x80);
		EXITS(OP_MMIO, a + 1, s, vals[s]);
		EXITS(OP_MMIO, a, s == 1 ? 2 : 1, vals[s] & 0xff);
		ASSERT_EQ(0, ioev(vm, DM | DEASSIGN, a, s, vals[s], efd));
		EXITS(OP_MMIO, a, s, vals[s]);
		EXPECT_EQ(0, count(efd));
	}
	/* DATAMATCH is compared whole: bits above the length never match. */
	ASSERT_EQ(0, ioev(vm, DM, a, 1, 0x15a, efd));
	EXITS(OP_MMIO, a, 1, 0x5a);
	EXPECT_EQ(0, count(efd));
	vm_free(vm);
	close(efd);
}

/* Length 0: any write at the address; a length without DATAMATCH: any value. */
TEST(any_length)
{
	struct kvmini_vcpu *vcpu;
	int efd;
	struct kvmini_vm *vm = setup(&vcpu, &efd);

	REQUIRE_VM(vm);
	run_sync(_metadata, vcpu);
	ASSERT_EQ(0, ioev(vm, PIO, PORT, 0, 0, efd));
	TAKEN(OP_OUT, PORT, 1, 1);
	TAKEN(OP_OUT, PORT, 2, 0xffff);
	TAKEN(OP_OUT, PORT, 4, 7);
	EXPECT_EQ(3, count(efd));
	EXITS(OP_OUT, PORT + 2, 2, 7);
	ASSERT_EQ(0, ioev(vm, 0, MMIO, 0, 0, efd));
	TAKEN(OP_MMIO, MMIO, 1, 1);
	TAKEN(OP_MMIO, MMIO, 2, 2);
	TAKEN(OP_MMIO, MMIO, 4, 3);
	TAKEN(OP_MMIO, MMIO, 8, ~0ULL);
	EXPECT_EQ(4, count(efd));
	EXITS(OP_MMIO, MMIO + 8, 8, 1);
	ASSERT_EQ(0, ioev(vm, DEASSIGN, MMIO, 0, 0, efd));
	EXITS(OP_MMIO, MMIO, 4, 3);
	ASSERT_EQ(0, ioev(vm, 0, MMIO + 8, 4, 0, efd));
	TAKEN(OP_MMIO, MMIO + 8, 4, 0x11111111);
	TAKEN(OP_MMIO, MMIO + 8, 4, 0);
	EXPECT_EQ(2, count(efd));
	EXITS(OP_MMIO, MMIO + 8, 2, 0);
	vm_free(vm);
	close(efd);
}

/* OUTS, element by element; a 16-byte MMIO write, 8 bytes at a time. */
TEST(strings_and_halves)
{
	static const uint8_t data[] = { 0x5a, 0x11, 0x5a, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12 };
	struct kvmini_vcpu *vcpu;
	int efd;
	struct kvmini_vm *vm = setup(&vcpu, &efd);

	REQUIRE_VM(vm);
	memcpy(&GUEST_VAR(vm, buf), data, sizeof(data));
	run_sync(_metadata, vcpu);
	ASSERT_EQ(0, ioev(vm, PIO | DM, PORT, 1, 0x5a, efd));
	GUEST_VAR(vm, op).count = 3;			/* 5a (taken) 11 (exits) 5a (taken) */
	EXITS(OP_OUTS, PORT, 1, 0x11);
	EXPECT_EQ(2, count(efd));
	ASSERT_EQ(0, ioev(vm, PIO, PORT + 4, 2, 0, efd));
	GUEST_VAR(vm, op).count = 4;
	TAKEN(OP_OUTS, PORT + 4, 2, 0);
	EXPECT_EQ(4, count(efd));

	/* 16 bytes: the first half taken, the second to the VMM. */
	ASSERT_EQ(0, ioev(vm, 0, MMIO, 8, 0, efd));
	guest_op(vm, OP_SSE, MMIO, 16, 0);
	SEEN(OP_MMIO, MMIO + 8, 8, 0x0c0b0a0908070605ULL);
	run_sync(_metadata, vcpu);
	EXPECT_EQ(1, count(efd));
	/* Once the first half went to the VMM, so does the second. */
	ASSERT_EQ(0, ioev(vm, DEASSIGN, MMIO, 8, 0, efd));
	ASSERT_EQ(0, ioev(vm, 0, MMIO + 8, 8, 0, efd));
	guest_op(vm, OP_SSE, MMIO, 16, 0);
	SEEN(OP_MMIO, MMIO, 8, 0x04030201005a115aULL);
	SEEN(OP_MMIO, MMIO + 8, 8, 0x0c0b0a0908070605ULL);
	run_sync(_metadata, vcpu);
	EXPECT_EQ(0, count(efd));
	/* Both halves taken. */
	ASSERT_EQ(0, ioev(vm, 0, MMIO, 8, 0, efd));
	TAKEN(OP_SSE, MMIO, 16, 0);
	EXPECT_EQ(2, count(efd));
	vm_free(vm);
	close(efd);
}

TEST(errors)
{
	struct kvmini_vm *vm = vm_create();
	int e1, e2, p[2];

	REQUIRE_VM(vm);
	e1 = eventfd(0, 0);
	e2 = eventfd(0, 0);
	ASSERT_EQ(0, pipe(p));
	EXPECT_EQ(-EFAULT, ioctl_err(vm->fd, KVMINI_IOEVENTFD, 0));
	EXPECT_EQ(-EINVAL, ioev(vm, 0, MMIO, 3, 0, e1));
	EXPECT_EQ(-EINVAL, ioev(vm, PIO, PORT, 16, 0, e1));
	EXPECT_EQ(-EINVAL, ioev(vm, 0, ~0ULL, 1, 0, e1));	/* wraps */
	EXPECT_EQ(-EINVAL, ioev(vm, 0, ~0ULL - 3, 4, 0, e1));
	EXPECT_EQ(-EINVAL, ioev(vm, 1 << 5, MMIO + 64, 4, 0, e1));
	EXPECT_EQ(-EINVAL, ioev(vm, 1u << 31, MMIO + 64, 4, 0, e1));
	EXPECT_EQ(-EINVAL, ioev(vm, DM, MMIO + 64, 0, 0, e1));	/* length 0 with DATAMATCH */
	EXPECT_EQ(-EINVAL, ioev(vm, 0, MMIO + 64, 3, 0, -1));	/* checked before the fd */
	EXPECT_EQ(-EBADF, ioev(vm, 0, MMIO + 64, 4, 0, -1));
	EXPECT_EQ(-EINVAL, ioev(vm, 0, MMIO + 64, 4, 0, p[0]));	/* not an eventfd */
	EXPECT_EQ(0, ioev(vm, 0, ~0ULL, 0, 0, e1));
	EXPECT_EQ(0, ioev(vm, 0, ~0ULL - 4, 4, 0, e1));

	/* Overlaps: the same space and address, and one write could match both. */
	EXPECT_EQ(0, ioev(vm, DM, MMIO, 4, 1, e1));
	EXPECT_EQ(-EEXIST, ioev(vm, DM, MMIO, 4, 1, e2));	/* same value */
	EXPECT_EQ(-EEXIST, ioev(vm, 0, MMIO, 4, 0, e2));	/* any value */
	EXPECT_EQ(-EEXIST, ioev(vm, 0, MMIO, 0, 0, e2));	/* any length */
	EXPECT_EQ(0, ioev(vm, DM, MMIO, 4, 2, e2));		/* another value */
	EXPECT_EQ(0, ioev(vm, 0, MMIO, 2, 0, e1));		/* another length */
	EXPECT_EQ(0, ioev(vm, DM, MMIO, 8, 1, e1));
	EXPECT_EQ(0, ioev(vm, 0, MMIO + 1, 1, 0, e1));		/* overlapping, another address */
	EXPECT_EQ(0, ioev(vm, PIO | DM, MMIO, 4, 1, e1));	/* another space */
	EXPECT_EQ(0, ioev(vm, 1 << 3 | DM, MMIO, 4, 1, e1));	/* virtio-ccw: a third one */
	EXPECT_EQ(-EEXIST, ioev(vm, 1 << 3 | PIO | DM, MMIO, 4, 1, e2));	/* PIO first */
	EXPECT_EQ(0, ioev(vm, 1 << 4 | DM, MMIO, 4, 3, e1));	/* bit 4: accepted, ignored */
	EXPECT_EQ(-EEXIST, ioev(vm, DM, MMIO, 4, 3, e1));
	EXPECT_EQ(0, ioev(vm, 0, MMIO + 16, 0, 0, e1));
	EXPECT_EQ(-EEXIST, ioev(vm, 0, MMIO + 16, 1, 0, e2));
	EXPECT_EQ(-EEXIST, ioev(vm, DM, MMIO + 16, 8, 5, e2));
	EXPECT_EQ(-EEXIST, ioev(vm, 0, MMIO + 16, 0, 0, e2));
	EXPECT_EQ(0, ioev(vm, PIO, MMIO + 16, 0, 0, e1));
	EXPECT_EQ(0, ioev(vm, 0, MMIO + 32, 2, 0, e1));
	EXPECT_EQ(-EEXIST, ioev(vm, DM, MMIO + 32, 2, 7, e2));

	/* Deassign: all of eventfd, space, address, length, DATAMATCH must match. */
	EXPECT_EQ(-ENOENT, ioev(vm, DEASSIGN | DM, MMIO, 4, 1, e2));
	EXPECT_EQ(-ENOENT, ioev(vm, DEASSIGN | DM, MMIO, 4, 9, e1));
	EXPECT_EQ(-ENOENT, ioev(vm, DEASSIGN, MMIO, 4, 1, e1));
	EXPECT_EQ(-ENOENT, ioev(vm, DEASSIGN | DM, MMIO, 2, 1, e1));
	EXPECT_EQ(-ENOENT, ioev(vm, DEASSIGN | DM, MMIO + 64, 4, 1, e1));
	EXPECT_EQ(-ENOENT, ioev(vm, DEASSIGN, MMIO, 3, 0, e1));	/* not checked: not there */
	EXPECT_EQ(-EBADF, ioev(vm, DEASSIGN | DM, MMIO, 4, 1, -1));
	EXPECT_EQ(-EINVAL, ioev(vm, DEASSIGN | DM, MMIO, 4, 1, p[1]));
	EXPECT_EQ(0, ioev(vm, DEASSIGN | DM, MMIO, 4, 1, e1));
	EXPECT_EQ(-ENOENT, ioev(vm, DEASSIGN | DM, MMIO, 4, 1, e1));
	EXPECT_EQ(0, ioev(vm, DM, MMIO, 4, 1, e2));		/* free again */
	EXPECT_EQ(0, ioev(vm, PIO | DM | DEASSIGN, MMIO, 4, 1, e1));
	EXPECT_EQ(0, ioev(vm, 1 << 3 | DM | DEASSIGN, MMIO, 4, 1, e1));
	EXPECT_EQ(0, ioev(vm, 1 << 5 | DEASSIGN, MMIO, 2, 0, e1));	/* flags not checked */
	EXPECT_EQ(0, ioev(vm, DEASSIGN, MMIO + 16, 0, 0, e1));
	EXPECT_EQ(0, ioev(vm, 0, MMIO + 16, 1, 0, e2));
	vm_free(vm);		/* with ioeventfds left */
	close(e1);
	close(e2);
	close(p[0]);
	close(p[1]);
}

/* KVM's 1000 devices per bus do not count ioeventfds. */
TEST(many)
{
	struct kvmini_vm *vm = vm_create();
	int efd, i;

	REQUIRE_VM(vm);
	efd = eventfd(0, 0);
	for (i = 0; i < 1100; i++) {
		ASSERT_EQ(0, ioev(vm, PIO, (i * 7919) % 1100, 2, 0, efd)) TH_LOG("%d", i);
		ASSERT_EQ(0, ioev(vm, 0, MMIO + 8 * i, 0, 0, efd)) TH_LOG("%d", i);
	}
	for (i = 0; i < 1100; i += 2)
		ASSERT_EQ(0, ioev(vm, PIO | DEASSIGN, i, 2, 0, efd));
	vm_free(vm);
	close(efd);
}

static int eventfd_id(int fd)
{
	char path[64], line[128];
	int id = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "eventfd-id: %d", &id) == 1)
			break;
	fclose(f);
	return id;
}

/*
 * A VM that dies with ioeventfds drops its references: the eventfd still
 * works, and once closed its id is free again (a leaked reference would
 * keep each one's id taken).
 */
TEST(destroy)
{
	struct kvmini_vcpu *vcpu;
	int efd, id0 = -1, id = -1, i;
	struct kvmini_vm *vm = setup(&vcpu, &efd);
	uint64_t v = 5;

	REQUIRE_VM(vm);
	run_sync(_metadata, vcpu);
	ASSERT_EQ(0, ioev(vm, PIO, PORT, 1, 0, efd));
	ASSERT_EQ(0, ioev(vm, 0, MMIO, 0, 0, efd));
	TAKEN(OP_OUT, PORT, 1, 3);
	TAKEN(OP_MMIO, MMIO, 4, 3);
	vm_free(vm);
	EXPECT_EQ(2, count(efd));
	EXPECT_EQ((ssize_t)sizeof(v), write(efd, &v, sizeof(v)));
	EXPECT_EQ(5, count(efd));
	close(efd);

	/* (300: on the distro KVM in the emulated host, 1000 once took over 30 s) */
	for (i = 0; i < 300; i++) {
		vm = vm_create();
		efd = eventfd(0, 0);
		ASSERT_EQ(0, ioev(vm, PIO, PORT, 1, 0, efd));
		ASSERT_EQ(0, ioev(vm, DM, MMIO, 4, 1, efd));
		ASSERT_EQ(0, ioev(vm, DM, MMIO, 4, 2, efd));
		ASSERT_EQ(0, ioev(vm, DM | DEASSIGN, MMIO, 4, 2, efd));
		vm_free(vm);
		id = eventfd_id(efd);
		if (!i)
			id0 = id;
		close(efd);
	}
	ASSERT_GE(id0, 0);
	EXPECT_LT(id, id0 + 100) TH_LOG("eventfd ids %d, then %d", id0, id);
}

TEST_HARNESS_MAIN
