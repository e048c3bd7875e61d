// SPDX-License-Identifier: GPL-2.0
/*
 * VM churn: rounds of creating 64 VMs with 2 vCPUs each (both run their
 * guest once), then destroying them all. Each round prints its times and
 * the host's memory figures. What the kernel took for the VMs must come
 * back after every round (within 3 s: a grace period, not the seconds
 * kfree_rcu batches wait), also when each VM had a dirty log for a while;
 * the times are printed, not asserted (the emulated hosts are too noisy).
 */
#include <sys/mman.h>
#include <time.h>

#include "kvmini_util.h"
#include "kvmini_vm.h"
#include "kselftest_harness.h"

#define NR_VMS		64
#define ROUNDS		4
/*
 * Kernel memory a round may leave behind: caches growing, noise. 64 VMs
 * take 3 MB or more of it (kvmini; KVM takes 20 MB).
 */
#define SLACK_KB	2048
#define LOGGED_GPA	(1ULL << 36)
#define LOGGED_SIZE	(1ULL << 36)

static void guest_hello(uint64_t id)
{
	GUEST_SYNC(id * 3 + 1);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Free pages parked on the per-CPU lists (not in MemFree), kB. */
static long pcp_free_kb(void)
{
	FILE *f = fopen("/proc/zoneinfo", "r");
	char line[256];
	long n, pages = 0;

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, " count: %ld", &n) == 1)
			pages += n;
	fclose(f);
	return pages * (getpagesize() / 1024);
}

/*
 * The kernel's own memory, kB: all but free pages, the page cache, user
 * pages, process page tables and reclaimable slab. What a VM leaks, or
 * holds back for later (RCU callbacks, lazy frees), stays in it.
 */
static long kernel_kb(void)
{
	return meminfo_kb("MemTotal") - meminfo_kb("MemFree") - pcp_free_kb() -
	       meminfo_kb("Buffers") - meminfo_kb("Cached") - meminfo_kb("AnonPages") -
	       meminfo_kb("PageTables") - meminfo_kb("SReclaimable");
}

/* Wait up to 3 s for deferred frees: kernel memory no more than @limit. */
static long kernel_kb_settled(long limit)
{
	long kb = kernel_kb();
	int i;

	for (i = 0; i < 30 && kb > limit; i++) {
		usleep(100 * 1000);
		kb = kernel_kb();
	}
	return kb;
}

static void mem_log(struct __test_metadata *_metadata, const char *what)
{
	TH_LOG("  %-9s kernel %6ld kB: SUnreclaim %6ld, VmallocUsed %6ld, KernelStack %5ld, Percpu %4ld; MemAvailable %7ld",
	       what, kernel_kb(), meminfo_kb("SUnreclaim"), meminfo_kb("VmallocUsed"),
	       meminfo_kb("KernelStack"), meminfo_kb("Percpu"), meminfo_kb("MemAvailable"));
}

/*
 * One VM, both vCPUs run into their ucall with their own argument. With
 * @logged, it has also had a 64 GiB slot with dirty logging (a 2 MiB
 * bitmap), then logging switched off (the bitmap goes), then no slot.
 */
static struct kvmini_vm *vm_up(struct __test_metadata *_metadata, int i, void *logged)
{
	struct kvmini_vcpu *vcpu[2];
	struct kvmini_vm *vm = vm_create_guest(guest_hello, &vcpu[0]);
	struct ucall uc;
	int v;

	if (!vm)
		return NULL;
	if (logged) {
		EXPECT_EQ(0, vm_set_region(vm, 1, KVMINI_MEM_LOG_DIRTY_PAGES, LOGGED_GPA,
					   LOGGED_SIZE, logged));
		EXPECT_EQ(0, vm_set_region(vm, 1, 0, LOGGED_GPA, LOGGED_SIZE, logged));
		EXPECT_EQ(0, vm_set_region(vm, 1, 0, LOGGED_GPA, 0, logged));
	}
	vcpu[1] = vcpu_add(vm, 1);
	vcpu_setup_long_mode(vcpu[1], guest_hello);
	for (v = 0; v < 2; v++) {
		vcpu_set_args(vcpu[v], 1, (uint64_t)(i * 2 + v));
		EXPECT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu[v], &uc));
		EXPECT_EQ((uint64_t)(i * 2 + v) * 3 + 1, uc.args[0]);
	}
	return vm;
}

static void run_rounds(struct __test_metadata *_metadata, void *logged)
{
	struct kvmini_vm *vms[NR_VMS];
	long first = 0, peak, after;
	double t0, t_up, t_down;
	int r, i;

	mem_log(_metadata, "start");
	for (r = 0; r < ROUNDS; r++) {
		t0 = now();
		for (i = 0; i < NR_VMS; i++) {
			vms[i] = vm_up(_metadata, i, logged);
			if (!vms[i] && r == 0 && i == 0)
				SKIP(return, "%s: %s", kvmini_dev_path(), strerror(errno));
			ASSERT_NE(NULL, vms[i]) TH_LOG("round %d VM %d: %s", r, i, strerror(errno));
		}
		t_up = now() - t0;
		peak = kernel_kb();
		mem_log(_metadata, "with VMs");
		t0 = now();
		for (i = 0; i < NR_VMS; i++)
			vm_free(vms[i]);
		t_down = now() - t0;
		/* Round 0 warms the caches up: the rounds after it must leave nothing. */
		after = kernel_kb_settled(r ? first + SLACK_KB : 0);
		TH_LOG("round %d: up %.2f s, down %.2f s; the VMs took %ld kB of kernel memory",
		       r, t_up, t_down, peak - after);
		mem_log(_metadata, "after");
		if (!r)
			first = after;
		EXPECT_LE(after, first + SLACK_KB)
			TH_LOG("round %d: %ld kB of kernel memory more than after round 0", r,
			       after - first);
	}
}

/* KVM's rounds take seconds each (2 s to destroy 64 VMs here). */
FIXTURE(churn) {};
FIXTURE_SETUP(churn) {}
FIXTURE_TEARDOWN(churn) {}

TEST_F_TIMEOUT(churn, rounds, 300)
{
	run_rounds(_metadata, NULL);
}

/* The same, each VM with a dirty log for a while: 128 MiB of bitmaps a round. */
TEST_F_TIMEOUT(churn, rounds_dirty_log, 300)
{
	void *mem = mmap(NULL, LOGGED_SIZE, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	ASSERT_NE(MAP_FAILED, mem);
	run_rounds(_metadata, mem);
	munmap(mem, LOGGED_SIZE);
}

TEST_HARNESS_MAIN
