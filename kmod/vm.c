// SPDX-License-Identifier: GPL-2.0
/*
 * VM objects: created by KVMINI_CREATE_VM, one anonymous-inode fd each,
 * freed when the last reference goes.
 */
#include <linux/anon_inodes.h>
#include <linux/compat.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/slab.h>

#include <linux/kvmini.h>
#include "kvmini.h"

atomic_t kvmini_live_vms = ATOMIC_INIT(0);

static void kvmini_vm_put(struct kvmini_vm *vm)
{
	if (!refcount_dec_and_test(&vm->refs))
		return;
	kfree(vm);
	kvmini_virt_put();
	atomic_dec(&kvmini_live_vms);
}

static int kvmini_vm_release(struct inode *inode, struct file *file)
{
	kvmini_vm_put(file->private_data);
	return 0;
}

static long kvmini_vm_ioctl(struct file *file, unsigned int cmd,
			    unsigned long arg)
{
	struct kvmini_vm *vm = file->private_data;

	switch (cmd) {
	case KVMINI_CHECK_EXTENSION:
		return kvmini_check_extension(vm, arg);
	default:
		return -ENOTTY;
	}
}

static const struct file_operations kvmini_vm_fops = {
	.owner = THIS_MODULE,
	.release = kvmini_vm_release,
	.unlocked_ioctl = kvmini_vm_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.llseek = noop_llseek,
};

int kvmini_create_vm(unsigned long type)
{
	struct kvmini_vm *vm;
	int r, fd;

	if (type != 0)
		return -EINVAL;
	vm = kzalloc(sizeof(*vm), GFP_KERNEL_ACCOUNT);
	if (!vm)
		return -ENOMEM;
	refcount_set(&vm->refs, 1);
	mutex_init(&vm->lock);

	r = kvmini_virt_get();
	if (r) {
		kfree(vm);
		return r;
	}
	atomic_inc(&kvmini_live_vms);

	fd = anon_inode_getfd("kvmini-vm", &kvmini_vm_fops, vm,
			      O_RDWR | O_CLOEXEC);
	if (fd < 0)
		kvmini_vm_put(vm);
	return fd;
}
