/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kvmini internals: the vendor-neutral core and the one ops table every
 * vendor backend (svm.c, vmx.c) fills in.
 *
 * Files:
 *   main.c  module init/exit, /dev/kvmini and its system ioctls, capabilities
 *   vm.c    VM objects and their ioctls
 *   virt.c  turning hardware virtualization on and off on host CPUs
 *   svm.c   AMD SVM backend          vmx.c  Intel VMX backend
 *
 * Rules: only the core touches __user pointers; backends see kernel memory.
 *
 * Lock order (outermost first; take them in this order, never the reverse):
 *
 *   cpu_hotplug_lock (cpus_read_lock)
 *     kvmini_virt_lock  (virt.c: how many users want virtualization on)
 *
 *   vm->lock            (per-VM configuration)
 *
 * A VM holds a virtualization reference from creation to destruction, so
 * no VM ioctl ever needs cpu_hotplug_lock or kvmini_virt_lock.
 */
#ifndef KVMINI_INTERNAL_H
#define KVMINI_INTERNAL_H

#include <linux/types.h>
#include <linux/mutex.h>
#include <linux/refcount.h>

#define KVMINI_PFX "kvmini: "

/*
 * A vendor backend. The core picks the first whose probe() returns 0.
 * cpu_enable()/cpu_disable() run on the CPU concerned with interrupts off.
 */
struct kvmini_backend {
	const char *name;
	/* 0 if usable; -ENODEV if not this vendor; other errors are logged. */
	int (*probe)(void);
	/* Allocate and free per-CPU resources, for every possible CPU. */
	int (*init)(void);
	void (*exit)(void);
	/* -EBUSY if another hypervisor already has virtualization on. */
	int (*cpu_enable)(void);
	void (*cpu_disable)(void);
};

extern const struct kvmini_backend kvmini_svm_backend;
extern const struct kvmini_backend kvmini_vmx_backend;
extern const struct kvmini_backend *kvmini_backend;

struct kvmini_vm {
	refcount_t refs;	/* the VM fd, and later each vCPU */
	struct mutex lock;
};

/* virt.c */
int kvmini_virt_init(void);
void kvmini_virt_exit(void);
int kvmini_virt_get(void);
void kvmini_virt_put(void);

/* vm.c */
int kvmini_create_vm(unsigned long type);
extern atomic_t kvmini_live_vms;

/* main.c */
long kvmini_check_extension(struct kvmini_vm *vm, long cap);

#endif
