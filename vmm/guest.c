// SPDX-License-Identifier: GPL-2.0
/*
 * One guest: a VM on /dev/kvmini with one memory slot, the in-kernel
 * irqchip (two 8259s, the IOAPIC, a local APIC per vCPU) and PIT, and one
 * thread per vCPU running KVMINI_RUN. The kernel handles interrupts, timers,
 * HLT and INIT/SIPI; what comes back to us is port I/O for our few devices,
 * MMIO nobody claims, and the guest's end (power-off, reset, triple fault).
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "vmm.h"

#define SIG_KICK	SIGUSR1		/* interrupts KVMINI_RUN with EINTR */

void set_irq_line(struct guest *g, unsigned int gsi, int level)
{
	struct kvmini_irq_level irq = { .irq = gsi, .level = level };

	if (ioctl(g->vm_fd, KVMINI_IRQ_LINE, &irq) < 0)
		guest_end(g, END_ERROR, "KVMINI_IRQ_LINE(%u): %s", gsi, strerror(errno));
}

/* The CMOS clock, read-only: the host's UTC time in BCD, never updating. */
static uint8_t bcd(int v)
{
	return (v / 10) << 4 | v % 10;
}

static uint8_t rtc_read(uint8_t index)
{
	time_t t = time(NULL);
	struct tm tm;

	gmtime_r(&t, &tm);
	switch (index) {
	case 0x00: return bcd(tm.tm_sec);
	case 0x02: return bcd(tm.tm_min);
	case 0x04: return bcd(tm.tm_hour);
	case 0x06: return tm.tm_wday + 1;
	case 0x07: return bcd(tm.tm_mday);
	case 0x08: return bcd(tm.tm_mon + 1);
	case 0x09: return bcd(tm.tm_year % 100);
	case 0x32: return bcd(19 + tm.tm_year / 100);	/* century */
	case 0x0a: return 0x26;		/* 32.768 kHz base, no update in progress */
	case 0x0b: return 0x02;		/* 24-hour, BCD, no interrupts */
	case 0x0d: return 0x80;		/* the battery is good */
	default:   return 0;
	}
}

/*
 * ACPI's PM1a registers: status (write 1 to clear; no event is ever
 * raised), enable, control. SCI_EN reads 1: with SMI_CMD 0 the guest is
 * always in ACPI mode. Writing SLP_EN with SLP_TYP 5 (our \_S5) is the
 * power-off.
 */
static void pm1_io(struct guest *g, unsigned int off, int in, uint8_t *data, int size)
{
	uint16_t cnt;

	for (int i = 0; i < size; i++, off++) {
		if (in)
			data[i] = g->pm1[off] | (off == 4);	/* SCI_EN */
		else if (off < 2)
			g->pm1[off] &= ~data[i];
		else
			g->pm1[off] = data[i];
	}
	cnt = g->pm1[4] | g->pm1[5] << 8;
	if (!in && (cnt & 0x2000) && ((cnt >> 10) & 7) == 5) {
		g->pm1[5] &= ~0x20;			/* SLP_EN reads 0 */
		guest_end(g, END_POWEROFF, "powered off (ACPI S5)");
	}
}

/* One port access of `size` bytes; IN fills *data. */
static void port_io(struct guest *g, uint16_t port, int in, uint8_t *data, int size)
{
	uint32_t val = 0;

	if (!in)
		memcpy(&val, data, size);
	pthread_mutex_lock(&g->dev_lock);
	if (port >= PORT_COM1 && port < PORT_COM1 + 8 && size == 1) {
		if (in)
			*data = uart_in(g, port - PORT_COM1);
		else
			uart_out(g, port - PORT_COM1, val);
	} else if (port == PORT_RTC || port == PORT_RTC + 1) {
		if (port == PORT_RTC && !in)
			g->rtc_index = val & 0x7f;
		else if (in)
			memset(data, port == PORT_RTC ? 0xff : rtc_read(g->rtc_index), size);
	} else if (port >= PORT_PM1A_EVT && port + size <= PORT_PM1A_CNT + 2) {
		pm1_io(g, port - PORT_PM1A_EVT, in, data, size);
	} else if (!in && port == PORT_KBD_CMD && val == 0xfe) {
		guest_end(g, END_RESET, "reset (8042)");
	} else if (!in && port == 0xcf9 && (val & 0x04)) {
		guest_end(g, END_RESET, "reset (ACPI reset register)");
	} else if (in) {
		memset(data, 0xff, size);	/* nothing there: a floating bus */
	}
	pthread_mutex_unlock(&g->dev_lock);
}

static void handle_exit(struct vcpu *v)
{
	struct kvmini_run *run = v->run;
	struct guest *g = v->g;

	switch (run->exit_reason) {
	case KVMINI_EXIT_IO: {
		uint8_t *data = (uint8_t *)run + run->io.data_offset;

		for (uint32_t i = 0; i < run->io.count; i++, data += run->io.size)
			port_io(g, run->io.port, run->io.direction == KVMINI_EXIT_IO_IN,
				data, run->io.size);
		break;
	}
	case KVMINI_EXIT_MMIO:		/* no MMIO devices: reads float high */
		if (!run->mmio.is_write)
			memset(run->mmio.data, 0xff, sizeof(run->mmio.data));
		break;
	case KVMINI_EXIT_INTR:
	case KVMINI_EXIT_HLT:		/* only without an in-kernel APIC */
		break;
	case KVMINI_EXIT_SHUTDOWN:
		guest_end(g, END_TRIPLE_FAULT, "triple fault on vCPU %u", v->id);
		break;
	case KVMINI_EXIT_SYSTEM_EVENT:
		if (run->system_event.type == KVMINI_SYSTEM_EVENT_SHUTDOWN)
			guest_end(g, END_POWEROFF, "powered off (system event)");
		else
			guest_end(g, END_RESET, "system event %u on vCPU %u",
				  run->system_event.type, v->id);
		break;
	case KVMINI_EXIT_INTERNAL_ERROR:
		guest_end(g, END_ERROR, "internal error %u on vCPU %u",
			  run->internal.suberror, v->id);
		break;
	case KVMINI_EXIT_FAIL_ENTRY:
		guest_end(g, END_ERROR, "entry failed on vCPU %u (hardware reason %#llx)", v->id,
			  (unsigned long long)run->fail_entry.hardware_entry_failure_reason);
		break;
	default:
		guest_end(g, END_ERROR, "unexpected exit %u on vCPU %u", run->exit_reason, v->id);
		break;
	}
}

static void *vcpu_thread(void *arg)
{
	struct vcpu *v = arg;
	struct guest *g = v->g;
	sigset_t kick;

	sigemptyset(&kick);
	sigaddset(&kick, SIG_KICK);
	pthread_sigmask(SIG_UNBLOCK, &kick, NULL);
	if (g->mf->pinned) {
		cpu_set_t set;

		CPU_ZERO(&set);
		CPU_SET(g->mf->cpu[v->id], &set);
		if (sched_setaffinity(0, sizeof(set), &set) < 0) {
			guest_end(g, END_ERROR, "vCPU %u: pinning to host CPU %u: %s", v->id,
				  g->mf->cpu[v->id], strerror(errno));
			return NULL;
		}
	}
	while (atomic_load(&g->end) == END_RUNNING) {
		if (ioctl(v->fd, KVMINI_RUN, 0) < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			guest_end(g, END_ERROR, "vCPU %u: KVMINI_RUN: %s", v->id, strerror(errno));
			break;
		}
		handle_exit(v);
	}
	return NULL;
}

static void kick_handler(int sig)
{
	(void)sig;
}

/* What the kernel supports, each vCPU's APIC ID in its topology leaves. */
static struct kvmini_cpuid2 *supported_cpuid(void)
{
	for (unsigned int n = 64;; n *= 2) {
		struct kvmini_cpuid2 *c = calloc(1, sizeof(*c) + n * sizeof(c->entries[0]));

		if (!c)
			return NULL;
		c->nent = n;
		if (ioctl(kvm_dev_fd, KVMINI_GET_SUPPORTED_CPUID, c) == 0)
			return c;
		free(c);
		if (errno != E2BIG || n > 4096)
			return NULL;
	}
}

static int setup_vcpu(struct vcpu *v, const struct kvmini_cpuid2 *sup,
		      char *err, size_t errlen)
{
	size_t sz = sizeof(*sup) + sup->nent * sizeof(sup->entries[0]);
	struct kvmini_cpuid2 *c = malloc(sz);
	int ret = -1;

	if (!c) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	memcpy(c, sup, sz);
	for (uint32_t i = 0; i < c->nent; i++) {
		struct kvmini_cpuid_entry2 *e = &c->entries[i];

		switch (e->function) {
		case 1:		/* initial APIC ID; "running on a hypervisor" */
			e->ebx = (e->ebx & 0x00ffffff) | v->id << 24;
			e->ecx |= 1u << 31;
			/*
			 * The APIC timer's TSC-deadline mode, which KVM and kvmini
			 * emulate but leave to the VMM to announce (as QEMU does): with
			 * it Linux need not calibrate the APIC timer against the PIT,
			 * which fails in emulated hosts whose time runs unevenly.
			 */
			if (ioctl(kvm_dev_fd, KVMINI_CHECK_EXTENSION, KVMINI_CAP_TSC_DEADLINE_TIMER) > 0)
				e->ecx |= 1u << 24;
			break;
		case 0xb:	/* x2APIC ID */
		case 0x1f:
			e->edx = v->id;
			break;
		}
	}
	if (ioctl(v->fd, KVMINI_SET_CPUID2, c) < 0) {
		snprintf(err, errlen, "vCPU %u: KVMINI_SET_CPUID2: %s", v->id, strerror(errno));
		goto out;
	}
	ret = 0;
out:
	free(c);
	return ret;
}

/* The BSP at the boot protocol's 32-bit entry. */
static int setup_bsp(struct vcpu *v, char *err, size_t errlen)
{
	struct kvmini_segment code = {
		.base = 0, .limit = 0xffffffff, .selector = 0x10, .type = 0xb,
		.present = 1, .db = 1, .s = 1, .g = 1,
	};
	struct kvmini_segment data = code;
	struct kvmini_sregs sregs;
	struct kvmini_regs regs = {
		.rip = GPA_KERNEL, .rsi = GPA_BOOT_PARAMS, .rflags = 0x2,
	};

	data.selector = 0x18;
	data.type = 0x3;
	if (ioctl(v->fd, KVMINI_GET_SREGS, &sregs) < 0) {
		snprintf(err, errlen, "KVMINI_GET_SREGS: %s", strerror(errno));
		return -1;
	}
	sregs.cs = code;
	sregs.ds = sregs.es = sregs.fs = sregs.gs = sregs.ss = data;
	sregs.gdt.base = GPA_GDT;
	sregs.gdt.limit = 0x1f;
	sregs.cr0 = 0x11;			/* PE, ET; paging off */
	sregs.cr4 = 0;
	sregs.efer = 0;
	if (ioctl(v->fd, KVMINI_SET_SREGS, &sregs) < 0 ||
	    ioctl(v->fd, KVMINI_SET_REGS, &regs) < 0) {
		snprintf(err, errlen, "setting the BSP's registers: %s", strerror(errno));
		return -1;
	}
	return 0;
}

int guest_create(struct guest *g, const struct mf_guest *mf, const char *dir,
		 char *err, size_t errlen)
{
	struct kvmini_pit_config pit = { .flags = KVMINI_PIT_SPEAKER_DUMMY };
	struct kvmini_userspace_memory_region slot;
	struct kvmini_cpuid2 *sup = NULL;
	char kernel[4096], initrd[4096];
	int ret = -1;

	memset(g, 0, sizeof(*g));
	g->mf = mf;
	g->vm_fd = -1;
	g->ram = MAP_FAILED;
	for (unsigned int i = 0; i < MF_MAX_VCPUS; i++)
		g->vcpu[i].fd = -1;
	pthread_mutex_init(&g->dev_lock, NULL);
	atomic_init(&g->end, END_RUNNING);

	g->vm_fd = ioctl(kvm_dev_fd, KVMINI_CREATE_VM, 0);
	if (g->vm_fd < 0) {
		snprintf(err, errlen, "KVMINI_CREATE_VM: %s", strerror(errno));
		return -1;
	}
	g->ram_size = (uint64_t)mf->memory_mib << 20;
	g->ram = mmap(NULL, g->ram_size, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (g->ram == MAP_FAILED) {
		snprintf(err, errlen, "%u MiB of guest memory: %s", mf->memory_mib, strerror(errno));
		return -1;
	}
	slot = (struct kvmini_userspace_memory_region){
		.slot = 0, .guest_phys_addr = 0, .memory_size = g->ram_size,
		.userspace_addr = (uintptr_t)g->ram,
	};
	/* QEMU's addresses, for VMX without unrestricted guest (KVM too). */
	ioctl(g->vm_fd, KVMINI_SET_IDENTITY_MAP_ADDR, &(uint64_t){ 0xfeffc000 });
	ioctl(g->vm_fd, KVMINI_SET_TSS_ADDR, 0xfeffd000ul);
	if (ioctl(g->vm_fd, KVMINI_SET_USER_MEMORY_REGION, &slot) < 0 ||
	    ioctl(g->vm_fd, KVMINI_CREATE_IRQCHIP, 0) < 0 ||
	    ioctl(g->vm_fd, KVMINI_CREATE_PIT2, &pit) < 0) {
		snprintf(err, errlen, "setting up the VM (memory, irqchip, PIT): %s", strerror(errno));
		return -1;
	}

	/* Paths in the manifest are relative to the manifest's directory. */
	snprintf(kernel, sizeof(kernel), "%s%s", mf->kernel[0] == '/' ? "" : dir, mf->kernel);
	if (mf->initramfs)
		snprintf(initrd, sizeof(initrd), "%s%s", mf->initramfs[0] == '/' ? "" : dir,
			 mf->initramfs);
	if (boot_load_linux(g, kernel, mf->initramfs ? initrd : NULL, mf->bootargs, err, errlen))
		return -1;
	boot_acpi(g);

	sup = supported_cpuid();
	if (!sup) {
		snprintf(err, errlen, "KVMINI_GET_SUPPORTED_CPUID: %s", strerror(errno));
		return -1;
	}
	for (unsigned int i = 0; i < mf->vcpus; i++) {
		struct vcpu *v = &g->vcpu[i];

		v->g = g;
		v->id = i;
		v->fd = ioctl(g->vm_fd, KVMINI_CREATE_VCPU, i);
		if (v->fd < 0) {
			snprintf(err, errlen, "vCPU %u: KVMINI_CREATE_VCPU: %s", i, strerror(errno));
			goto out;
		}
		v->run = mmap(NULL, vcpu_mmap_size, PROT_READ | PROT_WRITE, MAP_SHARED, v->fd, 0);
		if (v->run == MAP_FAILED) {
			v->run = NULL;
			snprintf(err, errlen, "vCPU %u: mmap: %s", i, strerror(errno));
			goto out;
		}
		if (setup_vcpu(v, sup, err, errlen))
			goto out;
	}
	ret = setup_bsp(&g->vcpu[0], err, errlen);
out:
	free(sup);
	return ret;
}

int guest_start(struct guest *g, char *err, size_t errlen)
{
	struct sigaction sa = { .sa_handler = kick_handler };

	sigaction(SIG_KICK, &sa, NULL);
	g->started_at = now();
	for (unsigned int i = 0; i < g->mf->vcpus; i++) {
		int r = pthread_create(&g->vcpu[i].thread, NULL, vcpu_thread, &g->vcpu[i]);

		if (r) {
			snprintf(err, errlen, "vCPU %u: pthread_create: %s", i, strerror(r));
			guest_end(g, END_ERROR, "could not start vCPU %u", i);
			return -1;
		}
		g->vcpu[i].started = true;
	}
	return 0;
}

void guest_kick(struct guest *g)
{
	for (unsigned int i = 0; i < g->mf->vcpus; i++) {
		struct vcpu *v = &g->vcpu[i];

		if (v->run)
			v->run->immediate_exit = 1;
		if (v->started)
			pthread_kill(v->thread, SIG_KICK);
	}
}

void guest_join(struct guest *g)
{
	for (unsigned int i = 0; i < g->mf->vcpus; i++) {
		if (g->vcpu[i].started) {
			pthread_join(g->vcpu[i].thread, NULL);
			g->vcpu[i].started = false;
		}
	}
}

void guest_destroy(struct guest *g)
{
	for (unsigned int i = 0; i < MF_MAX_VCPUS; i++) {
		if (g->vcpu[i].run)
			munmap(g->vcpu[i].run, vcpu_mmap_size);
		if (g->vcpu[i].fd >= 0)
			close(g->vcpu[i].fd);
	}
	if (g->vm_fd >= 0)
		close(g->vm_fd);
	if (g->ram != MAP_FAILED)
		munmap(g->ram, g->ram_size);
	g->vm_fd = -1;
	g->ram = MAP_FAILED;
}
