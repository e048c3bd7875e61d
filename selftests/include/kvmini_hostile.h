/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the hostile-VMM tests check after the abuse, on kvmini and on KVM
 * alike: the VMs are gone, the kernel memory is back, and the kernel
 * logged no problem meanwhile.
 *
 *  - live_vms(): VMs alive on the device in use. kvmini counts them in
 *    debugfs (kvmini/vms); KVM keeps one debugfs directory per VM,
 *    kvm/<pid>-<fd>, removed when the VM is destroyed.
 *  - kernel_kb(): memory the kernel holds for itself, in kB: all of it but
 *    the free, page-cache, anonymous, process page-table and reclaimable
 *    slab pages. A leaked page (a VMCB, a nested page table, a run page) or
 *    a leaked slab object stays in it; a test process's own memory does not.
 *    Free pages waiting in per-CPU lists are counted as free. RCU-deferred
 *    frees and caches (slab, thread stacks) are the noise the tests'
 *    tolerances allow for.
 *  - kmsg_*(): the kernel log from a point on, as run.sh judges it at the
 *    end of a whole job, but per test.
 *  - struct bystander: another VM, run by its own thread all along, whose
 *    guest must come out with exact results whatever the test does to
 *    the VMs next to it.
 */
#ifndef KVMINI_SELFTEST_HOSTILE_H
#define KVMINI_SELFTEST_HOSTILE_H

#include <ctype.h>
#include <dirent.h>
#include <pthread.h>
#include <stdbool.h>
#include <time.h>

#include "kvmini_util.h"
#include "kvmini_vm.h"

/* Live VMs of the device in use, or -1 if it cannot be told. */
static inline long live_vms(void)
{
	struct dirent *e;
	long n = 0;
	int pid, fd;
	DIR *d;

	if (!kvmini_dev_is_kvm())
		return kvmini_debugfs_read("vms");
	d = opendir("/sys/kernel/debug/kvm");
	if (!d)
		return -1;
	while ((e = readdir(d)))
		if (sscanf(e->d_name, "%d-%d", &pid, &fd) == 2)
			n++;
	closedir(d);
	return n;
}

/* Wait up to @ms for live_vms() to be @want; returns what it last was. */
static inline long live_vms_wait(long want, int ms)
{
	long n = live_vms();

	for (; n != want && ms > 0; ms -= 10) {
		usleep(10 * 1000);
		n = live_vms();
	}
	return n;
}

/*
 * Free pages held in the per-CPU lists, in kB (/proc/zoneinfo's pagesets
 * counts): MemFree leaves them out, and since 5.13 they include freed
 * 2 MiB pages, so without them MemFree jumps by megabytes.
 */
static inline long pcp_free_kb(void)
{
	FILE *f = fopen("/proc/zoneinfo", "r");
	char line[256];
	long pages = 0, n;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, " count: %ld", &n) == 1)
			pages += n;
	fclose(f);
	return pages * (sysconf(_SC_PAGESIZE) / 1024);
}

/* The kernel's own memory in kB (see above), or -1. */
static inline long kernel_kb(void)
{
	static const char *const minus[] = {
		"MemFree", "Buffers", "Cached", "AnonPages", "PageTables", "SReclaimable",
	};
	long kb = meminfo_kb("MemTotal") - pcp_free_kb(), v;
	unsigned int i;

	for (i = 0; i < sizeof(minus) / sizeof(minus[0]); i++) {
		v = meminfo_kb(minus[i]);
		if (v < 0 || kb < 0)
			return -1;
		kb -= v;
	}
	return kb;
}

/*
 * After the last fd is closed: wait (up to @ms) for kernel_kb() to come
 * within @tol_kb of @before, as RCU grace periods and deferred frees run.
 * Returns the growth left, in kB.
 */
static inline long kernel_kb_settle(long before, long tol_kb, int ms)
{
	long grown = kernel_kb() - before;

	for (; grown > tol_kb && ms > 0; ms -= 100) {
		usleep(100 * 1000);
		grown = kernel_kb() - before;
	}
	return grown;
}

/* The kernel log from now on: an fd for kmsg_problems(), or -1. */
static inline int kmsg_open(void)
{
	int fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);

	if (fd >= 0)
		lseek(fd, 0, SEEK_END);
	return fd;
}

/* Does a kernel log message show a kernel problem (as run.sh judges)? */
static inline bool kmsg_is_problem(const char *msg)
{
	static const char *const bad[] = {
		"Oops", "WARNING:", "general protection", "refcount_t",
		"list_add corruption", "list_del corruption", "soft lockup",
		"hard LOCKUP", "blocked for more than", "Call Trace", "cut here",
		"Kernel panic",
	};
	const char *p;
	unsigned int i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (strstr(msg, bad[i]))
			return true;
	if (strstr(msg, "rcu") && strstr(msg, "stall"))
		return true;
	/* BUG as a word: "BUG: ...", "kernel BUG at", "BUG kmalloc-64 ..." */
	for (p = msg; (p = strstr(p, "BUG")); p += 3)
		if ((p == msg || !isalnum((unsigned char)p[-1])) && !isalnum((unsigned char)p[3]))
			return true;
	return false;
}

/*
 * Read the records logged since kmsg_open() (or the last call): how many
 * show a problem; the first such message goes to @first.
 */
static inline int kmsg_problems(int fd, char *first, size_t size)
{
	char rec[2048], *msg, *nl;
	int n = 0;
	ssize_t len;

	if (size)
		*first = 0;
	if (fd < 0)
		return 0;
	for (;;) {
		len = read(fd, rec, sizeof(rec) - 1);
		if (len < 0 && errno == EPIPE)
			continue;	/* overwritten meanwhile: go on with the next */
		if (len <= 0)
			break;
		rec[len] = 0;
		msg = strchr(rec, ';');		/* "prio,seq,time,flags;message\n" */
		msg = msg ? msg + 1 : rec;
		nl = strchr(msg, '\n');
		if (nl)
			*nl = 0;
		if (kmsg_is_problem(msg) && n++ == 0 && size) {
			len = strnlen(msg, size - 1);
			memcpy(first, msg, len);
			first[len] = 0;
		}
	}
	return n;
}

/* Guest code must run with IF=1 where it spins: Bochs (the Intel host)
 * loses the external interrupts that would take the host back from a
 * guest entered with IF=0, and the distro KVM has no backstop for it. */
static inline void vcpu_set_if(struct kvmini_vcpu *vcpu)
{
	struct kvmini_regs regs;

	vcpu_ioctl(vcpu, KVMINI_GET_REGS, &regs);
	regs.rflags |= 1ULL << 9;
	vcpu_ioctl(vcpu, KVMINI_SET_REGS, &regs);
}

static inline uint64_t lcg_step(uint64_t x)
{
	return x * 6364136223846793005ULL + 1442695040888963407ULL;
}

/* The bystander's guest: step an LCG from @seed, reporting now and then. */
static uint64_t by_stop, by_count;

static void __attribute__((used)) bystander_guest(uint64_t seed)
{
	uint64_t n = 0, x = seed;

	for (;;) {
		x = lcg_step(x);
		*(volatile uint64_t *)&by_count = ++n;
		if (!(n & 0x3fff) || *(volatile uint64_t *)&by_stop)
			GUEST_SYNC4(n, x, *(volatile uint64_t *)&by_stop, 0);
	}
}

struct bystander {
	struct kvmini_vm *vm;
	struct kvmini_vcpu *vcpu;
	pthread_t thread;
	uint64_t seed;
	volatile uint64_t reports;	/* exact reports so far */
	int err;			/* 0, or the first error (-errno, or 1) */
	char msg[160];
};

/* Its thread: every report must be the LCG stepped exactly n times. */
static void *bystander_thread(void *arg)
{
	struct bystander *b = arg;
	uint64_t n = 0, x = b->seed;
	struct ucall uc;
	int r;

	for (;;) {
		r = vcpu_run(b->vcpu);
		if (r || vcpu_get_ucall(b->vcpu, &uc) != UCALL_SYNC) {
			b->err = r ? r : 1;
			snprintf(b->msg, sizeof(b->msg), "RUN %d, exit %s", r,
				 exit_reason_str(b->vcpu->run->exit_reason));
			return NULL;
		}
		if (uc.args[0] <= n) {
			b->err = 1;
			snprintf(b->msg, sizeof(b->msg), "count %llu after %llu",
				 (unsigned long long)uc.args[0], (unsigned long long)n);
			return NULL;
		}
		for (; n < uc.args[0]; n++)
			x = lcg_step(x);
		if (uc.args[1] != x) {
			b->err = 1;
			snprintf(b->msg, sizeof(b->msg), "at %llu: %#llx, not %#llx",
				 (unsigned long long)n, (unsigned long long)uc.args[1],
				 (unsigned long long)x);
			return NULL;
		}
		b->reports++;
		if (uc.args[2])
			return NULL;
	}
}

/* Create it and start it running: 0, or -errno if there is no device. */
static inline int bystander_start(struct bystander *b, uint64_t seed)
{
	memset(b, 0, sizeof(*b));
	b->seed = seed;
	b->vm = vm_create_guest(bystander_guest, &b->vcpu);
	if (!b->vm)
		return -errno;
	vcpu_set_args(b->vcpu, 1, seed);
	vcpu_set_if(b->vcpu);
	return -pthread_create(&b->thread, NULL, bystander_thread, b);
}

/* Its guest's count so far. */
static inline uint64_t bystander_count(struct bystander *b)
{
	return *(volatile uint64_t *)&GUEST_VAR(b->vm, by_count);
}

/* Wait up to @ms for its count to move; false if it stood still. */
static inline bool bystander_moves(struct bystander *b, int ms)
{
	uint64_t c = bystander_count(b);

	for (; ms > 0 && bystander_count(b) == c; ms -= 5)
		usleep(5 * 1000);
	return bystander_count(b) != c;
}

/* Stop it, free its VM: its error (0 if every report was exact). */
static inline int bystander_stop(struct bystander *b)
{
	GUEST_VAR(b->vm, by_stop) = 1;
	pthread_join(b->thread, NULL);
	vm_free(b->vm);
	b->vm = NULL;
	return b->err;
}

static inline double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

#endif
