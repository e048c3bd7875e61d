// SPDX-License-Identifier: GPL-2.0
/*
 * Statistics through KVMINI_GET_STATS_FD, in KVM's binary format, so the
 * readers written for KVM (kvm_stat, the kernel's selftests' library) read
 * kvmini's. Every counter is cumulative but the pages_* (instant), u64,
 * base 10, no unit. The fd holds a reference to the VM (which keeps its
 * vCPUs) until it is closed.
 *
 * Layout, as KVM's: the header; the id ("kvmini-PID" or "kvmini-PID/vcpu-ID")
 * in KVMINI_STATS_NAME_SIZE bytes; the descriptors, each followed by its
 * name in KVMINI_STATS_NAME_SIZE bytes; the data. The part before the data
 * is made once when the fd is made; the data is read from the counters at
 * every read, so a reader can keep the fd and pread the data again.
 */
#include <linux/anon_inodes.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "kvmini.h"

struct stat_def {
	const char *name;
	u32 offset;		/* in the counters' struct */
	u32 type;		/* KVMINI_STATS_TYPE_* */
};

#define VM_STAT(n, field, type) \
	{ n, offsetof(struct kvmini_vm_stat, field), KVMINI_STATS_TYPE_##type }
#define VCPU_STAT(field) \
	{ #field, offsetof(struct kvmini_vcpu_stat, field), KVMINI_STATS_TYPE_CUMULATIVE }

static const struct stat_def vm_stats[] = {
	VM_STAT("remote_tlb_flush", remote_tlb_flush, CUMULATIVE),
	VM_STAT("pages_4k", pages[0], INSTANT),
	VM_STAT("pages_2m", pages[1], INSTANT),
	VM_STAT("pages_1g", pages[2], INSTANT),
};

static const struct stat_def vcpu_stats[] = {
	VCPU_STAT(exits), VCPU_STAT(irq_exits), VCPU_STAT(halt_exits),
	VCPU_STAT(io_exits), VCPU_STAT(mmio_exits), VCPU_STAT(signal_exits),
	VCPU_STAT(irq_window_exits), VCPU_STAT(nmi_window_exits),
	VCPU_STAT(request_irq_exits), VCPU_STAT(cpuid_exits), VCPU_STAT(msr_exits),
	VCPU_STAT(cr_exits), VCPU_STAT(hypercalls), VCPU_STAT(irq_injections),
	VCPU_STAT(nmi_injections), VCPU_STAT(exception_injections),
	VCPU_STAT(pf_taken), VCPU_STAT(pf_fixed), VCPU_STAT(pf_fixed_2m),
	VCPU_STAT(pf_fixed_1g), VCPU_STAT(pf_emulate), VCPU_STAT(insn_emulation),
	VCPU_STAT(tlb_flush),
};

struct stats_file {
	struct kvmini_vm *vm;		/* the reference the fd holds */
	const struct stat_def *defs;
	unsigned int n;
	const void *counters;		/* vm->stat or vcpu->stat */
	size_t data_offset;		/* = the size of image */
	u8 image[];			/* header, id, descriptors */
};

#define DESC_SIZE	(sizeof(struct kvmini_stats_desc) + KVMINI_STATS_NAME_SIZE)

static ssize_t stats_read(struct file *file, char __user *buf, size_t size, loff_t *ppos)
{
	struct stats_file *s = file->private_data;
	size_t total = s->data_offset + s->n * sizeof(u64), pos = *ppos, done = 0, n;
	u64 data[ARRAY_SIZE(vcpu_stats)];
	unsigned int i;

	BUILD_BUG_ON(ARRAY_SIZE(vm_stats) > ARRAY_SIZE(vcpu_stats));
	if (*ppos < 0 || pos >= total)
		return 0;
	size = min(size, total - pos);
	if (pos < s->data_offset) {
		n = min(size, s->data_offset - pos);
		if (copy_to_user(buf, s->image + pos, n))
			return -EFAULT;
		done = n;
	}
	if (done < size) {
		/* One u64 per counter; torn reads of a counter cannot happen on x86-64. */
		for (i = 0; i < s->n; i++)
			data[i] = READ_ONCE(*(u64 *)(s->counters + s->defs[i].offset));
		if (copy_to_user(buf + done, (u8 *)data + pos + done - s->data_offset,
				 size - done))
			return -EFAULT;
	}
	*ppos = pos + size;
	return size;
}

static int stats_release(struct inode *inode, struct file *file)
{
	struct stats_file *s = file->private_data;

	kvmini_vm_put(s->vm);
	kfree(s);
	return 0;
}

static const struct file_operations stats_fops = {
	.owner = THIS_MODULE,
	.read = stats_read,
	.release = stats_release,
	.llseek = noop_llseek,
};

static int stats_fd(struct kvmini_vm *vm, const struct stat_def *defs, unsigned int n,
		    const void *counters, const char *fmt, u32 vcpu_id)
{
	size_t desc_offset = sizeof(struct kvmini_stats_header) + KVMINI_STATS_NAME_SIZE;
	size_t data_offset = desc_offset + n * DESC_SIZE;
	struct kvmini_stats_header *h;
	struct kvmini_stats_desc *d;
	struct stats_file *s;
	struct file *file;
	unsigned int i;
	int fd;

	s = kzalloc(sizeof(*s) + data_offset, GFP_KERNEL_ACCOUNT);
	if (!s)
		return -ENOMEM;
	s->vm = vm;
	s->defs = defs;
	s->n = n;
	s->counters = counters;
	s->data_offset = data_offset;
	h = (void *)s->image;
	h->name_size = KVMINI_STATS_NAME_SIZE;
	h->num_desc = n;
	h->id_offset = sizeof(*h);
	h->desc_offset = desc_offset;
	h->data_offset = data_offset;
	snprintf(s->image + h->id_offset, KVMINI_STATS_NAME_SIZE, fmt,
		 task_pid_nr(current), vcpu_id);
	for (i = 0; i < n; i++) {
		d = (void *)(s->image + desc_offset + i * DESC_SIZE);
		d->flags = defs[i].type | KVMINI_STATS_UNIT_NONE | KVMINI_STATS_BASE_POW10;
		d->size = 1;
		d->offset = i * sizeof(u64);
		strscpy(d->name, defs[i].name, KVMINI_STATS_NAME_SIZE);
	}

	fd = get_unused_fd_flags(O_CLOEXEC);
	if (fd < 0)
		goto fail;
	file = anon_inode_getfile("kvmini-stats", &stats_fops, s, O_RDONLY);
	if (IS_ERR(file)) {
		put_unused_fd(fd);
		fd = PTR_ERR(file);
		goto fail;
	}
	file->f_mode |= FMODE_PREAD;	/* as KVM: readers pread the data */
	kvmini_vm_get(vm);
	fd_install(fd, file);
	return fd;
fail:
	kfree(s);
	return fd;
}

int kvmini_vm_stats_fd(struct kvmini_vm *vm)
{
	return stats_fd(vm, vm_stats, ARRAY_SIZE(vm_stats), &vm->stat, "kvmini-%d", 0);
}

int kvmini_vcpu_stats_fd(struct kvmini_vcpu *vcpu)
{
	return stats_fd(vcpu->vm, vcpu_stats, ARRAY_SIZE(vcpu_stats), &vcpu->stat,
			"kvmini-%d/vcpu-%u", vcpu->id);
}
