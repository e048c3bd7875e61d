// SPDX-License-Identifier: GPL-2.0
/*
 * Huge nested pages: slot memory the host backs with a transparent huge
 * page or hugetlbfs is mapped with 2 MiB leaves (the VM's pages_2m stat,
 * and a few faults where 4 KiB leaves would take thousands), and stays
 * exact through what breaks a huge page up: the host splitting it under
 * a running guest (MADV_DONTNEED of one page), mprotect of half of it
 * (stores there fail with EFAULT, the rest works), dirty logging turned
 * on (exactly the pages written are logged) and off again (huge again).
 * And a 1 GiB leaf for a 1 GiB hugetlbfs page, where the host has one.
 */
#include <sys/ioctl.h>
#include <sys/mman.h>

#include "kvmini_util.h"
#include "kvmini_vm.h"
#include "kselftest_harness.h"

#define GPA	0x40000000ULL		/* slot 1, mapped at the same GVA */
#define HUGE	(2ULL << 20)
#define SIZE	(4 * HUGE)
#define NPAGES	(SIZE / 4096)

/* Commands: write g_val + i to page i (all, or page g_arg); or check them. */
enum { WRITE_ALL = 1, WRITE_ONE, CHECK };
static volatile uint64_t g_cmd, g_val, g_arg;

static void guest_cmds(void)
{
	uint64_t i, good, zero, v;

	for (;;) {
		good = zero = 0;
		for (i = 0; i < NPAGES; i++) {
			volatile uint64_t *p = (uint64_t *)(GPA + i * 4096);

			if (g_cmd == WRITE_ALL || (g_cmd == WRITE_ONE && i == g_arg))
				*p = g_val + i;
			if (g_cmd != CHECK)
				continue;
			v = *p;
			good += v == g_val + i;
			zero += v == 0;
		}
		GUEST_SYNC4(good, zero, 0, 0);
	}
}

FIXTURE(huge) {
	struct kvmini_vm *vm;
	struct kvmini_vcpu *vcpu;
	uint64_t *mem;		/* 2 MiB aligned, SIZE bytes */
	void *map;
};

/* Kilobytes of the mapping at @addr that are transparent huge pages. */
static long thp_kb(void *addr)
{
	unsigned long lo, hi, a = (unsigned long)addr;
	FILE *f = fopen("/proc/self/smaps", "r");
	char line[256];
	bool in = false;
	long kb = -1;

	while (f && fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%lx-%lx ", &lo, &hi) == 2 && strchr(line, '-') < strchr(line, ' '))
			in = lo <= a && a < hi;
		else if (in && sscanf(line, "AnonHugePages: %ld kB", &kb) == 1)
			break;
	}
	if (f)
		fclose(f);
	return kb;
}

FIXTURE_SETUP(huge)
{
	self->vm = vm_create_guest(guest_cmds, &self->vcpu);
	REQUIRE_VM_SETUP(self->vm);
	self->map = mmap(NULL, SIZE + HUGE, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->map);
	self->mem = (uint64_t *)(((uintptr_t)self->map + HUGE - 1) & ~(HUGE - 1));
	if (madvise(self->mem, SIZE, MADV_HUGEPAGE))
		SKIP(return, "no transparent huge pages here");
	memset(self->mem, 0, SIZE);
	if (thp_kb(self->mem) < (long)(SIZE >> 10) / 2)
		SKIP(return, "the host gave no transparent huge pages (%ld kB)", thp_kb(self->mem));
	ASSERT_EQ(0, vm_set_region(self->vm, 1, 0, GPA, SIZE, self->mem));
	vm_map(self->vm, GPA, GPA, SIZE);
}

FIXTURE_TEARDOWN(huge)
{
	vm_free(self->vm);
	munmap(self->map, SIZE + HUGE);
}

/* One command; returns the pages that read right and the pages that read 0. */
static void cmd(struct __test_metadata *_metadata, FIXTURE_DATA(huge) *self,
		uint64_t c, uint64_t val, uint64_t arg, uint64_t *good, uint64_t *zero)
{
	struct ucall uc;

	GUEST_VAR(self->vm, g_cmd) = c;
	GUEST_VAR(self->vm, g_val) = val;
	GUEST_VAR(self->vm, g_arg) = arg;
	ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(self->vcpu, &uc));
	if (good)
		*good = uc.args[0];
	if (zero)
		*zero = uc.args[1];
}

/* The guest wrote @val + i to every page i but those in @skip (-1: none). */
static uint64_t host_bad(FIXTURE_DATA(huge) *self, uint64_t val, uint64_t skip)
{
	uint64_t i, bad = 0;

	for (i = 0; i < NPAGES; i++)
		bad += i != skip && self->mem[i * 512] != val + i;
	return bad;
}

TEST_F(huge, maps_huge)
{
	uint64_t good;
	int64_t pf;

	cmd(_metadata, self, WRITE_ONE, 0, NPAGES, NULL, NULL);	/* code and stack only */
	pf = vcpu_stat(self->vcpu, "pf_taken");
	cmd(_metadata, self, WRITE_ALL, 100, 0, NULL, NULL);
	/* 4 KiB leaves would take NPAGES faults; 2 MiB ones, 4. */
	EXPECT_GT(pf + (int64_t)NPAGES / 64, vcpu_stat(self->vcpu, "pf_taken"));
	EXPECT_LE(3, vm_stat(self->vm, "pages_2m"));
	EXPECT_EQ(0ULL, host_bad(self, 100, -1));
	cmd(_metadata, self, CHECK, 100, 0, &good, NULL);
	EXPECT_EQ(NPAGES, good);
}

TEST_F(huge, host_splits_it)
{
	uint64_t good, zero;

	cmd(_metadata, self, WRITE_ALL, 200, 0, NULL, NULL);
	/* The host drops one page and writes another of the same huge page. */
	ASSERT_EQ(0, madvise(self->mem + 5 * 512, 4096, MADV_DONTNEED));
	self->mem[300 * 512] = 200 + 300 + 7;
	cmd(_metadata, self, CHECK, 200, 0, &good, &zero);
	EXPECT_EQ(NPAGES - 2, good);
	EXPECT_EQ(1ULL, zero);		/* page 5 */
	cmd(_metadata, self, WRITE_ALL, 300, 0, NULL, NULL);
	EXPECT_EQ(0ULL, host_bad(self, 300, -1));
	cmd(_metadata, self, CHECK, 300, 0, &good, NULL);
	EXPECT_EQ(NPAGES, good);
}

TEST_F(huge, mprotect_half)
{
	uint64_t good;

	cmd(_metadata, self, WRITE_ALL, 400, 0, NULL, NULL);
	/* The second half of the first huge page turns read-only. */
	ASSERT_EQ(0, mprotect(self->mem + 256 * 512, HUGE / 2, PROT_READ));
	cmd(_metadata, self, CHECK, 400, 0, &good, NULL);
	EXPECT_EQ(NPAGES, good);
	cmd(_metadata, self, WRITE_ONE, 500, 255, NULL, NULL);	/* the writable half */
	EXPECT_EQ(500ULL + 255, self->mem[255 * 512]);
	/* A store to the read-only half: RUN fails with EFAULT, as KVM. */
	GUEST_VAR(self->vm, g_cmd) = WRITE_ONE;
	GUEST_VAR(self->vm, g_arg) = 256;
	EXPECT_EQ(-EFAULT, vcpu_run(self->vcpu));
	EXPECT_EQ(400ULL + 256, self->mem[256 * 512]);
	/* Writable again: the store goes in. */
	ASSERT_EQ(0, mprotect(self->mem + 256 * 512, HUGE / 2, PROT_READ | PROT_WRITE));
	cmd(_metadata, self, WRITE_ONE, 500, 256, NULL, NULL);	/* the pass goes on */
	EXPECT_EQ(500ULL + 256, self->mem[256 * 512]);
}

TEST_F(huge, dirty_log_on_off)
{
	uint64_t bitmap[NPAGES / 64], want[NPAGES / 64] = {};
	struct kvmini_dirty_log log = { .slot = 1, .dirty_bitmap = (uintptr_t)bitmap };
	static const uint64_t pages[] = { 3, 600, NPAGES - 1 };
	unsigned int i;

	cmd(_metadata, self, WRITE_ALL, 600, 0, NULL, NULL);
	EXPECT_LE(3, vm_stat(self->vm, "pages_2m"));
	ASSERT_EQ(0, vm_set_region(self->vm, 1, KVMINI_MEM_LOG_DIRTY_PAGES, GPA, SIZE, self->mem));
	for (i = 0; i < ARRAY_SIZE(pages); i++) {
		cmd(_metadata, self, WRITE_ONE, 700, pages[i], NULL, NULL);
		want[pages[i] / 64] |= 1ULL << (pages[i] % 64);
	}
	ASSERT_EQ(0, ioctl(self->vm->fd, KVMINI_GET_DIRTY_LOG, &log));
	for (i = 0; i < NPAGES / 64; i++)
		EXPECT_EQ(want[i], bitmap[i]) TH_LOG("pages %u-%u", i * 64, i * 64 + 63);
	ASSERT_EQ(0, ioctl(self->vm->fd, KVMINI_GET_DIRTY_LOG, &log));
	for (i = 0; i < NPAGES / 64; i++)
		EXPECT_EQ(0ULL, bitmap[i]);
	/* Off again: huge leaves come back. */
	ASSERT_EQ(0, vm_set_region(self->vm, 1, 0, GPA, SIZE, self->mem));
	cmd(_metadata, self, WRITE_ALL, 800, 0, NULL, NULL);
	EXPECT_LE(3, vm_stat(self->vm, "pages_2m"));
	EXPECT_EQ(0ULL, host_bad(self, 800, -1));
}

/* hugetlbfs: four 2 MiB pages from the pool, which the test fills. */
static long read_long(const char *path)
{
	FILE *f = fopen(path, "r");
	long v = -1;

	if (f && fscanf(f, "%ld", &v) != 1)
		v = -1;
	if (f)
		fclose(f);
	return v;
}

static int write_long(const char *path, long v)
{
	FILE *f = fopen(path, "w");
	int r;

	if (!f)
		return -1;
	r = fprintf(f, "%ld\n", v) > 0 ? 0 : -1;
	return fclose(f) ? -1 : r;
}

#define NR_HUGEPAGES "/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages"

TEST_F(huge, hugetlbfs)
{
	long before = read_long(NR_HUGEPAGES);
	uint64_t *mem, i, bad = 0;
	int64_t pf;
	struct ucall uc;

	if (before < 0 || write_long(NR_HUGEPAGES, before + 4))
		SKIP(return, "no 2 MiB hugetlbfs pool here");
	mem = mmap(NULL, SIZE, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB | (21 << MAP_HUGE_SHIFT), -1, 0);
	if (mem == MAP_FAILED) {
		write_long(NR_HUGEPAGES, before);
		SKIP(return, "the pool has no four 2 MiB pages");
	}
	/* In place of the THP slot. */
	ASSERT_EQ(0, vm_set_region(self->vm, 1, 0, GPA, 0, self->mem));
	ASSERT_EQ(0, vm_set_region(self->vm, 1, 0, GPA, SIZE, mem));
	cmd(_metadata, self, WRITE_ONE, 0, NPAGES, NULL, NULL);
	pf = vcpu_stat(self->vcpu, "pf_taken");
	GUEST_VAR(self->vm, g_cmd) = WRITE_ALL;
	GUEST_VAR(self->vm, g_val) = 900;
	ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(self->vcpu, &uc));
	EXPECT_GT(pf + (int64_t)NPAGES / 64, vcpu_stat(self->vcpu, "pf_taken"));
	EXPECT_LE(4, vm_stat(self->vm, "pages_2m"));
	for (i = 0; i < NPAGES; i++)
		bad += mem[i * 512] != 900 + i;
	EXPECT_EQ(0ULL, bad);
	ASSERT_EQ(0, vm_set_region(self->vm, 1, 0, GPA, 0, mem));
	munmap(mem, SIZE);
	EXPECT_EQ(0, write_long(NR_HUGEPAGES, before));
}

/* 1 GiB pages: one from the pool, if the host can find one. */
#define GB		(1ULL << 30)
#define NR_GIGANTIC	"/sys/kernel/mm/hugepages/hugepages-1048576kB/nr_hugepages"

static void guest_every_2m(uint64_t base)
{
	uint64_t off;

	for (off = 0; off < GB; off += HUGE)
		*(volatile uint64_t *)(base + off) = base + off;
	GUEST_SYNC(0);
}

TEST(hugetlbfs_1g)
{
	long before = read_long(NR_GIGANTIC);
	struct kvmini_vcpu *vcpu;
	struct kvmini_vm *vm;
	uint64_t *mem, off, bad = 0;
	struct ucall uc;
	int64_t pf;

	write_long("/proc/sys/vm/compact_memory", 1);	/* a free, aligned 1 GiB */
	if (before < 0 || write_long(NR_GIGANTIC, before + 1) ||
	    read_long(NR_GIGANTIC) < before + 1) {
		write_long(NR_GIGANTIC, before);
		/* (The emulated hosts: 2 GiB of RAM hold no aligned 1 GiB.) */
		SKIP(return, "no free 1 GiB page for hugetlbfs here");
	}
	mem = mmap(NULL, GB, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB | (30 << MAP_HUGE_SHIFT), -1, 0);
	if (mem == MAP_FAILED) {
		write_long(NR_GIGANTIC, before);
		SKIP(return, "the pool has no 1 GiB page");
	}
	vm = vm_create_guest(guest_every_2m, &vcpu);
	if (!vm) {
		munmap(mem, GB);
		write_long(NR_GIGANTIC, before);
	}
	REQUIRE_VM(vm);
	ASSERT_EQ(0, vm_set_region(vm, 1, 0, GB, GB, mem));
	vm_map_2m(vm, GB, GB, GB);
	vcpu_set_args(vcpu, 1, GB);
	pf = vcpu_stat(vcpu, "pf_taken");
	ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, &uc));
	/* 512 pages of 2 MiB touched: one 1 GiB leaf, a few faults (code, stack). */
	EXPECT_GT(pf + 64, vcpu_stat(vcpu, "pf_taken"));
	EXPECT_LE(1, vm_stat(vm, "pages_1g"));
	for (off = 0; off < GB; off += HUGE)
		bad += mem[off / 8] != GB + off;
	EXPECT_EQ(0ULL, bad);
	vm_free(vm);
	munmap(mem, GB);
	EXPECT_EQ(0, write_long(NR_GIGANTIC, before));
}

TEST_HARNESS_MAIN
