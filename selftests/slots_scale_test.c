// SPDX-License-Identifier: GPL-2.0
/*
 * Memory slots at scale: as many as KVMINI_CAP_NR_MEMSLOTS says (32,764)
 * in one VM, one page each, and the guest reads and writes the first, a
 * middle and the last; and 64 GiB of slots over untouched MAP_NORESERVE
 * memory (on a host with far less RAM) cost next to nothing until the
 * guest touches a page near the top, which then works.
 */
#include <sys/mman.h>
#include <time.h>

#include "kvmini_util.h"
#include "kvmini_vm.h"
#include "kselftest_harness.h"

#define PAGE	4096ULL
#define BASE	0x100000000ULL		/* GPA of the first test slot */
#define GVA	0x40000000ULL		/* the guest's window on them */

/* Read the qwords, then store ~each of the first three; report what was read. */
static void guest_rw3(uint64_t *a, uint64_t *b, uint64_t *c, uint64_t *d)
{
	uint64_t va = *a, vb = *b, vc = *c, vd = d ? *(volatile uint64_t *)d : 0;

	*a = ~va;
	*b = ~vb;
	*c = ~vc;
	GUEST_SYNC4(va, vb, vc, vd);
}

static int set_region(struct kvmini_vm *vm, uint32_t slot, uint64_t gpa,
		      uint64_t size, void *hva)
{
	struct kvmini_userspace_memory_region r = {
		.slot = slot, .guest_phys_addr = gpa, .memory_size = size,
		.userspace_addr = (uintptr_t)hva,
	};

	return ioctl(vm->fd, KVMINI_SET_USER_MEMORY_REGION, &r) ? -errno : 0;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

TEST(max_slots)
{
	struct kvmini_vcpu *vcpu;
	struct kvmini_vm *vm = vm_create_guest(guest_rw3, &vcpu);
	long n, i, pick[3];
	uint64_t *mem;
	struct ucall uc;
	double t0;

	REQUIRE_VM(vm);
	n = ioctl_err(vm->fd, KVMINI_CHECK_EXTENSION, KVMINI_CAP_NR_MEMSLOTS);
	ASSERT_GE(n, 3);
	TH_LOG("%ld slots", n);
	/* Slot 0 is the program's; 1 .. n-1 one page each, a page apart. */
	mem = mmap(NULL, n * PAGE, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	ASSERT_NE(MAP_FAILED, mem);
	t0 = now();
	for (i = 1; i < n; i++)
		ASSERT_EQ(0, set_region(vm, i, BASE + 2 * PAGE * i, PAGE,
					(char *)mem + PAGE * i)) TH_LOG("slot %ld", i);
	TH_LOG("created in %.2f s", now() - t0);
	EXPECT_EQ(-EINVAL, set_region(vm, n, BASE, PAGE, mem));
	EXPECT_EQ(-EEXIST, set_region(vm, 1, BASE + 2 * PAGE * (n - 1), PAGE, (char *)mem + PAGE));

	pick[0] = 1;
	pick[1] = n / 2;
	pick[2] = n - 1;
	for (i = 0; i < 3; i++) {
		mem[pick[i] * PAGE / 8 + i] = 0x5107000000000000ULL | pick[i];
		vm_map(vm, GVA + i * PAGE, BASE + 2 * PAGE * pick[i], PAGE);
	}
	vcpu_set_args(vcpu, 4, GVA + 8 * 0, GVA + PAGE + 8 * 1, GVA + 2 * PAGE + 8 * 2, 0ULL);
	ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, &uc));
	for (i = 0; i < 3; i++) {
		EXPECT_EQ(0x5107000000000000ULL | pick[i], uc.args[i]);
		EXPECT_EQ(~(0x5107000000000000ULL | pick[i]), mem[pick[i] * PAGE / 8 + i]);
	}
	t0 = now();
	vm_free(vm);
	TH_LOG("freed in %.2f s", now() - t0);
	munmap(mem, n * PAGE);
}

/* A field of /proc/self/status in kB, or -1. */
static long status_kb(const char *field)
{
	char line[256];
	size_t len = strlen(field);
	long val = -1;
	FILE *f = fopen("/proc/self/status", "r");

	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, field, len) && line[len] == ':')
			val = strtol(line + len + 1, NULL, 10);
	if (f)
		fclose(f);
	return val;
}

/* Free memory, what the kernel holds for itself, our populated memory (kB). */
struct mem {
	long free, avail, kernel, rss;
};

static struct mem mem_now(void)
{
	struct mem m = { 0 };
	long prev = -1;
	int i;

	/* Until frees deferred by earlier tests have settled. */
	for (i = 0; i < 15; i++, prev = m.free) {
		usleep(200 * 1000);
		m.free = meminfo_kb("MemFree");
		if (prev >= 0 && labs(m.free - prev) < 256)
			break;
	}
	m.avail = meminfo_kb("MemAvailable");
	m.kernel = meminfo_kb("Slab") + meminfo_kb("VmallocUsed") + meminfo_kb("PageTables");
	m.rss = status_kb("RssAnon");
	return m;
}

#define SPARSE_SLOTS	16
#define SPARSE_SIZE	(4ULL << 30)	/* 16 x 4 GiB = 64 GiB */

/*
 * Less than 3 bytes of metadata per 4 KiB page: KVM 6.1 keeps 2 (write
 * tracking), an 8-byte array per page would be 128 MiB, populating 64 GiB.
 */
#define SLOTS_MAX_KB	(48 * 1024)

TEST(sparse_64g)
{
	struct kvmini_vcpu *vcpu;
	struct kvmini_vm *vm = vm_create_guest(guest_rw3, &vcpu);
	uint64_t top = BASE + SPARSE_SLOTS * SPARSE_SIZE - PAGE;	/* last page */
	char *mem[SPARSE_SLOTS], *last;
	struct mem m0, m1, m2, m3;
	struct ucall uc;
	int i;

	REQUIRE_VM(vm);
	/* Page tables for the guest's window, before measuring. */
	vm_map(vm, GVA, top - 2 * PAGE, 3 * PAGE);
	vm_map(vm, GVA + 3 * PAGE, BASE + 8 * SPARSE_SIZE, PAGE);	/* read only */
	vcpu_set_args(vcpu, 4, GVA, GVA + PAGE + 8, GVA + 2 * PAGE + 16, GVA + 3 * PAGE);
	m0 = mem_now();
	for (i = 0; i < SPARSE_SLOTS; i++) {
		mem[i] = mmap(NULL, SPARSE_SIZE, PROT_READ | PROT_WRITE,
			      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
		ASSERT_NE(MAP_FAILED, mem[i]);
		ASSERT_EQ(0, set_region(vm, 1 + i, BASE + i * SPARSE_SIZE, SPARSE_SIZE, mem[i]));
	}
	m1 = mem_now();
	TH_LOG("64 GiB of slots: MemFree -%ld kB, MemAvailable -%ld kB, kernel +%ld kB, RssAnon +%ld kB",
	       m0.free - m1.free, m0.avail - m1.avail, m1.kernel - m0.kernel, m1.rss - m0.rss);
	EXPECT_LT(m0.free - m1.free, SLOTS_MAX_KB);
	EXPECT_LT(m0.avail - m1.avail, SLOTS_MAX_KB);
	EXPECT_LT(m1.kernel - m0.kernel, SLOTS_MAX_KB);
	EXPECT_LT(m1.rss - m0.rss, 1024);	/* nothing populated */

	/*
	 * The guest at the very top: three pages, the last the slots' last;
	 * and it reads a page nobody wrote, which needs no memory (KVM maps
	 * the zero page).
	 */
	last = mem[SPARSE_SLOTS - 1] + SPARSE_SIZE - 3 * PAGE;
	((uint64_t *)last)[0] = 0x70b0;
	m2 = mem_now();
	ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, &uc));
	m3 = mem_now();
	EXPECT_EQ(0x70b0ULL, uc.args[0]);
	EXPECT_EQ(0ULL, uc.args[1]);
	EXPECT_EQ(0ULL, uc.args[2]);
	EXPECT_EQ(0ULL, uc.args[3]);
	EXPECT_EQ(~0x70b0ULL, ((uint64_t *)last)[0]);
	EXPECT_EQ(~0ULL, ((uint64_t *)(last + PAGE))[1]);
	EXPECT_EQ(~0ULL, ((uint64_t *)(last + 2 * PAGE))[2]);
	TH_LOG("the guest's touch: MemFree -%ld kB, kernel +%ld kB, RssAnon +%ld kB",
	       m2.free - m3.free, m3.kernel - m2.kernel, m3.rss - m2.rss);
	/* MemFree moves by whole huge pages (the huge zero page, 2 MiB). */
	EXPECT_LT(m2.free - m3.free, 8192);
	EXPECT_LT(m3.kernel - m2.kernel, 1024);
	EXPECT_LT(m3.rss - m2.rss, 1024);	/* written ones backed already, read one needs none */
	vm_free(vm);
	for (i = 0; i < SPARSE_SLOTS; i++)
		munmap(mem[i], SPARSE_SIZE);
}

TEST_HARNESS_MAIN
