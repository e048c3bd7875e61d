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
 *    Free pages sitting in per-CPU lists also count as used: that, and
 *    RCU-deferred frees, is the noise the tests' tolerances allow for.
 *  - kmsg_*(): the kernel log from a point on, as run.sh judges it at the
 *    end of a whole job, but per test.
 */
#ifndef KVMINI_SELFTEST_LEAK_H
#define KVMINI_SELFTEST_LEAK_H

#include <ctype.h>
#include <dirent.h>
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

/* The kernel's own memory in kB (see above), or -1. */
static inline long kernel_kb(void)
{
	static const char *const minus[] = {
		"MemFree", "Buffers", "Cached", "AnonPages", "PageTables", "SReclaimable",
	};
	long kb = meminfo_kb("MemTotal"), v;
	unsigned int i;

	for (i = 0; i < sizeof(minus) / sizeof(minus[0]) && kb >= 0; i++) {
		v = meminfo_kb(minus[i]);
		kb = v < 0 ? -1 : kb - v;
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

static inline double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

#endif
