// SPDX-License-Identifier: GPL-2.0
/*
 * vmm: kvmini's sample virtual machine monitor, the API's how-to.
 *
 *   vmm [-d DEVICE] GUEST.BIN
 *
 * It creates a VM with 2 MiB of RAM and one vCPU, copies the flat binary
 * GUEST.BIN to guest physical address GUEST_LOAD, starts the vCPU there in
 * 16-bit real mode, and emulates one device: a minimal 16550 UART on COM1
 * whose output goes to stdout.  It stops when the guest executes HLT, then
 * prints how many exits of each kind it saw and how long the guest ran.
 * Any other exit is unexpected: it is described on stderr and the exit
 * status is 1.
 *
 * The ioctls are binary-identical to KVM's, so `-d /dev/kvm` runs the same
 * guest under KVM (with <linux/kvm.h> names in place of the KVMINI_ ones).
 *
 * kvmini does not emulate MMIO yet: the guest must stay inside its RAM
 * and talk to devices through I/O ports only.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <linux/kvmini.h>

#define RAM_SIZE	(2u << 20)	/* guest RAM: 2 MiB at physical 0 */
#ifndef GUEST_LOAD
#error "GUEST_LOAD (where the guest binary goes) comes from the Makefile"
#endif

/* COM1: eight I/O ports starting at 0x3f8. */
#define COM1_BASE	0x3f8
#define COM1_PORTS	8
#define UART_THR	0		/* transmit holding register (write) */
#define UART_LSR	5		/* line status register (read) */
#define LSR_THRE	0x20		/* transmit holding register empty */
#define LSR_TEMT	0x40		/* transmitter empty */

/* Names for the summary and for diagnostics, indexed by exit_reason. */
static const char *const exit_names[] = {
	[KVMINI_EXIT_UNKNOWN] = "UNKNOWN",
	[KVMINI_EXIT_EXCEPTION] = "EXCEPTION",
	[KVMINI_EXIT_IO] = "IO",
	[KVMINI_EXIT_HYPERCALL] = "HYPERCALL",
	[KVMINI_EXIT_DEBUG] = "DEBUG",
	[KVMINI_EXIT_HLT] = "HLT",
	[KVMINI_EXIT_MMIO] = "MMIO",
	[KVMINI_EXIT_IRQ_WINDOW_OPEN] = "IRQ_WINDOW_OPEN",
	[KVMINI_EXIT_SHUTDOWN] = "SHUTDOWN",
	[KVMINI_EXIT_FAIL_ENTRY] = "FAIL_ENTRY",
	[KVMINI_EXIT_INTR] = "INTR",
	[KVMINI_EXIT_SET_TPR] = "SET_TPR",
	[KVMINI_EXIT_TPR_ACCESS] = "TPR_ACCESS",
	[KVMINI_EXIT_NMI] = "NMI",
	[KVMINI_EXIT_INTERNAL_ERROR] = "INTERNAL_ERROR",
	[KVMINI_EXIT_SYSTEM_EVENT] = "SYSTEM_EVENT",
	[KVMINI_EXIT_IOAPIC_EOI] = "IOAPIC_EOI",
	[KVMINI_EXIT_X86_RDMSR] = "X86_RDMSR",
	[KVMINI_EXIT_X86_WRMSR] = "X86_WRMSR",
	[KVMINI_EXIT_DIRTY_RING_FULL] = "DIRTY_RING_FULL",
	[KVMINI_EXIT_X86_BUS_LOCK] = "X86_BUS_LOCK",
	[KVMINI_EXIT_NOTIFY] = "NOTIFY",
};
#define NR_EXIT_NAMES	(sizeof(exit_names) / sizeof(exit_names[0]))

static const char *exit_name(uint32_t reason)
{
	if (reason < NR_EXIT_NAMES && exit_names[reason])
		return exit_names[reason];
	return "?";
}

/* Print a message (with errno's text if set) and end the program. */
static void __attribute__((noreturn, format(printf, 1, 2))) die(const char *fmt, ...)
{
	int err = errno;
	va_list ap;

	fflush(stdout);			/* keep the guest's output first */
	fprintf(stderr, "vmm: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	if (err)
		fprintf(stderr, ": %s", strerror(err));
	fputc('\n', stderr);
	exit(1);
}

/* ioctl() that must succeed; what names the request for the message. */
static int xioctl(int fd, unsigned long req, unsigned long arg, const char *what)
{
	int r = ioctl(fd, req, arg);

	if (r < 0)
		die("%s", what);
	return r;
}
#define IOCTL(fd, req, arg)	xioctl(fd, req, (unsigned long)(arg), #req)

/* Copy the guest binary into guest RAM at GUEST_LOAD; returns its size. */
static size_t load_guest(const char *path, uint8_t *ram)
{
	size_t size = 0, room = RAM_SIZE - GUEST_LOAD;
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		die("open %s", path);
	/* Read one byte more than fits, to notice a binary that is too big. */
	while ((n = read(fd, ram + GUEST_LOAD + size, room + 1 - size)) > 0) {
		size += n;
		if (size > room) {
			errno = 0;
			die("%s does not fit in guest RAM above 0x%x", path, GUEST_LOAD);
		}
	}
	if (n < 0)
		die("read %s", path);
	close(fd);
	return size;
}

/*
 * The UART.  Only what a polling driver that sends bytes needs: a write to
 * THR is a byte for stdout; LSR always says "transmitter empty", because
 * we send each byte at once; every other register reads as 0 and ignores
 * writes (no interrupts, no receive, no FIFO, no divisor latch).
 */
static void uart_access(unsigned int reg, int is_write, uint8_t *val)
{
	if (is_write) {
		if (reg == UART_THR)
			putchar(*val);
		return;
	}
	*val = reg == UART_LSR ? LSR_THRE | LSR_TEMT : 0;
}

/*
 * One byte-wide port access.  A wider access (IN AX, DX, ...) is split
 * into bytes at consecutive ports, as the ISA bus does for 8-bit devices.
 * Ports no device claims read as 0xff (a floating bus) and ignore writes.
 */
static void port_access(uint16_t port, int is_write, uint8_t *val)
{
	if (port >= COM1_BASE && port < COM1_BASE + COM1_PORTS) {
		uart_access(port - COM1_BASE, is_write, val);
		return;
	}
	fprintf(stderr, "vmm: %s of unclaimed port 0x%x ignored\n",
		is_write ? "write" : "read", port);
	if (!is_write)
		*val = 0xff;
}

/*
 * A KVMINI_EXIT_IO exit.  run->io says which port, the direction, the
 * width of one access (1, 2 or 4 bytes) and how many accesses: count can
 * exceed 1 for a string instruction ("rep insb", "rep outsb"), whose
 * iterations the kernel may batch into one exit.  The data, count * size
 * bytes, sits in the run area at run->io.data_offset: for OUT the guest's
 * bytes, for IN we fill it in and the kernel hands it to the guest on the
 * next KVMINI_RUN, which also completes the instruction.
 */
static void handle_io(struct kvmini_run *run)
{
	uint8_t *data = (uint8_t *)run + run->io.data_offset;
	int is_write = run->io.direction == KVMINI_EXIT_IO_OUT;
	uint32_t i, j;

	for (i = 0; i < run->io.count; i++)
		for (j = 0; j < run->io.size; j++)
			port_access(run->io.port + j, is_write, data++);
}

static const char *internal_suberror(uint32_t sub)
{
	switch (sub) {
	case KVMINI_INTERNAL_ERROR_EMULATION: return "EMULATION";
	case KVMINI_INTERNAL_ERROR_SIMUL_EX: return "SIMUL_EX";
	case KVMINI_INTERNAL_ERROR_DELIVERY_EV: return "DELIVERY_EV";
	case KVMINI_INTERNAL_ERROR_UNEXPECTED_EXIT_REASON: return "UNEXPECTED_EXIT_REASON";
	}
	return "?";
}

/* An exit this VMM does not expect: say what it was and where, then fail. */
static void __attribute__((noreturn)) unexpected_exit(int vcpu, struct kvmini_run *run)
{
	struct kvmini_regs regs;
	struct kvmini_sregs sregs;
	uint32_t i;

	fflush(stdout);
	fprintf(stderr, "vmm: unexpected exit %u (%s)", run->exit_reason,
		exit_name(run->exit_reason));
	switch (run->exit_reason) {
	case KVMINI_EXIT_UNKNOWN:
		fprintf(stderr, ": hardware exit reason 0x%llx",
			(unsigned long long)run->hw.hardware_exit_reason);
		break;
	case KVMINI_EXIT_FAIL_ENTRY:
		/* On AMD this is the VMEXIT code of the failed VMRUN. */
		fprintf(stderr, ": hardware entry failure reason 0x%llx on cpu %u",
			(unsigned long long)run->fail_entry.hardware_entry_failure_reason,
			run->fail_entry.cpu);
		break;
	case KVMINI_EXIT_EXCEPTION:
		fprintf(stderr, ": exception %u, error code 0x%x",
			run->ex.exception, run->ex.error_code);
		break;
	case KVMINI_EXIT_MMIO:
		fprintf(stderr, ": %u-byte %s at 0x%llx", run->mmio.len,
			run->mmio.is_write ? "write" : "read",
			(unsigned long long)run->mmio.phys_addr);
		break;
	case KVMINI_EXIT_SHUTDOWN:
		fprintf(stderr, " (a triple fault, most likely)");
		break;
	case KVMINI_EXIT_INTERNAL_ERROR:
		fprintf(stderr, ": suberror %u (%s), %u data word(s):",
			run->internal.suberror, internal_suberror(run->internal.suberror),
			run->internal.ndata);
		for (i = 0; i < run->internal.ndata && i < 16; i++)
			fprintf(stderr, " 0x%llx", (unsigned long long)run->internal.data[i]);
		break;
	}
	fputc('\n', stderr);

	/* Where the guest was: often the quickest hint. */
	if (ioctl(vcpu, KVMINI_GET_REGS, &regs) == 0 &&
	    ioctl(vcpu, KVMINI_GET_SREGS, &sregs) == 0)
		fprintf(stderr, "vmm: guest rip 0x%llx rsp 0x%llx cs 0x%x (base 0x%llx, l %u db %u) "
			"cr0 0x%llx cr4 0x%llx efer 0x%llx\n",
			(unsigned long long)regs.rip, (unsigned long long)regs.rsp,
			sregs.cs.selector, (unsigned long long)sregs.cs.base,
			sregs.cs.l, sregs.cs.db, (unsigned long long)sregs.cr0,
			(unsigned long long)sregs.cr4, (unsigned long long)sregs.efer);
	exit(1);
}

/*
 * Give the vCPU a CPUID table: what the guest's CPUID instruction answers.
 * A new vCPU has none, and the kernel checks some guest actions against
 * it (under KVM, setting EFER.LME needs the "long mode" bit, else #GP).
 * Simplest sensible choice: everything the hypervisor supports.  The
 * table's size is not known in advance: the kernel says E2BIG when nent
 * is too small, and we retry with more room.
 */
static void set_cpuid(int sys, int vcpu)
{
	struct kvmini_cpuid2 *cpuid;
	unsigned int nent = 32;

	for (;;) {
		cpuid = calloc(1, sizeof(*cpuid) + nent * sizeof(cpuid->entries[0]));
		if (!cpuid)
			die("calloc");
		cpuid->nent = nent;
		if (ioctl(sys, KVMINI_GET_SUPPORTED_CPUID, cpuid) == 0)
			break;			/* nent now says how many are used */
		if (errno != E2BIG)
			die("KVMINI_GET_SUPPORTED_CPUID");
		free(cpuid);
		nent *= 2;
	}
	IOCTL(vcpu, KVMINI_SET_CPUID2, cpuid);
	free(cpuid);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	const char *dev = "/dev/kvmini", *guest;
	unsigned long exits[NR_EXIT_NAMES] = { 0 }, total = 0;
	struct kvmini_userspace_memory_region region;
	struct kvmini_sregs sregs;
	struct kvmini_regs regs;
	struct kvmini_run *run;
	int sys, vm, vcpu, version, mmap_size, opt;
	double start, elapsed;
	size_t guest_size;
	uint8_t *ram;
	uint32_t i;

	while ((opt = getopt(argc, argv, "d:")) != -1) {
		if (opt != 'd') {
			fprintf(stderr, "usage: %s [-d DEVICE] GUEST.BIN\n", argv[0]);
			return 2;
		}
		dev = optarg;
	}
	if (optind != argc - 1) {
		fprintf(stderr, "usage: %s [-d DEVICE] GUEST.BIN\n", argv[0]);
		return 2;
	}
	guest = argv[optind];
	/* The guest writes a byte at a time: pass whole lines on promptly. */
	setvbuf(stdout, NULL, _IOLBF, 0);

	/*
	 * 1. Open the device.  Its fd answers "system" ioctls: version,
	 *    capabilities, sizes, and creating VMs.
	 */
	sys = open(dev, O_RDWR | O_CLOEXEC);
	if (sys < 0)
		die("open %s (is kvmini.ko loaded?)", dev);

	/* 2. The ABI version must be 12, the one this header describes. */
	version = IOCTL(sys, KVMINI_GET_API_VERSION, 0);
	if (version != KVMINI_API_VERSION) {
		errno = 0;
		die("%s speaks API version %d, not %d", dev, version, KVMINI_API_VERSION);
	}
	printf("vmm: %s, API version %d\n", dev, version);

	/* 3. Create a VM (machine type 0, the only one).  Its fd answers
	 *    "VM" ioctls: memory slots and vCPU creation. */
	vm = IOCTL(sys, KVMINI_CREATE_VM, 0);

	/*
	 * 4. Guest RAM is ordinary memory of this process.  Map it anonymous
	 *    (zero-filled), put the guest's code in, then tell the VM that
	 *    guest physical 0 .. RAM_SIZE is backed by it (memory slot 0).
	 *    The guest's writes land straight in this mapping.
	 */
	ram = mmap(NULL, RAM_SIZE, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (ram == MAP_FAILED)
		die("mmap guest RAM");
	guest_size = load_guest(guest, ram);

	memset(&region, 0, sizeof(region));
	region.slot = 0;
	region.flags = 0;			/* writable, no dirty logging */
	region.guest_phys_addr = 0;
	region.memory_size = RAM_SIZE;
	region.userspace_addr = (uintptr_t)ram;
	IOCTL(vm, KVMINI_SET_USER_MEMORY_REGION, &region);
	printf("vmm: %u KiB of RAM at guest physical 0, %s (%zu bytes) at 0x%x\n",
	       RAM_SIZE >> 10, guest, guest_size, GUEST_LOAD);

	/* 5. Create vCPU 0.  Its fd answers "vCPU" ioctls: registers, run. */
	vcpu = IOCTL(vm, KVMINI_CREATE_VCPU, 0);

	/*
	 * 6. Map the vCPU's run area: struct kvmini_run, shared with the
	 *    kernel.  After each KVMINI_RUN it says why the guest stopped
	 *    (exit_reason) and carries the details, e.g. port I/O data.  Ask
	 *    the system fd how big the mapping is; it can exceed the struct.
	 */
	mmap_size = IOCTL(sys, KVMINI_GET_VCPU_MMAP_SIZE, 0);
	if ((size_t)mmap_size < sizeof(*run)) {
		errno = 0;
		die("vCPU mmap size %d is smaller than struct kvmini_run", mmap_size);
	}
	run = mmap(NULL, mmap_size, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu, 0);
	if (run == MAP_FAILED)
		die("mmap the vCPU's run area");

	/* 7. CPUID: see set_cpuid() above. */
	set_cpuid(sys, vcpu);

	/*
	 * 8. Registers.  A new vCPU is in the x86 reset state: real mode,
	 *    CS selector 0xf000 with base 0xffff0000 and IP 0xfff0, i.e. the
	 *    reset vector just below 4 GiB, where a PC has its firmware.  We
	 *    have no firmware there, so point CS at 0 (in real mode, base =
	 *    selector * 16) and RIP at the guest's load address.  Read the
	 *    special registers first, so that everything else keeps its
	 *    reset value.
	 */
	IOCTL(vcpu, KVMINI_GET_SREGS, &sregs);
	sregs.cs.selector = 0;
	sregs.cs.base = 0;
	IOCTL(vcpu, KVMINI_SET_SREGS, &sregs);

	memset(&regs, 0, sizeof(regs));
	regs.rip = GUEST_LOAD;
	regs.rflags = 0x2;			/* bit 1 is reserved and always 1 */
	IOCTL(vcpu, KVMINI_SET_REGS, &regs);
	printf("vmm: vCPU 0 starts in real mode at %04x:%04llx\n",
	       sregs.cs.selector, (unsigned long long)regs.rip);

	/*
	 * 9. Run.  KVMINI_RUN enters the guest and returns when it needs us:
	 *    then exit_reason says why, we do what the guest asked (here:
	 *    port I/O), and enter again.  It fails with EINTR when a signal
	 *    arrives; we set no handlers, so simply try again.
	 */
	start = now();
	for (;;) {
		if (ioctl(vcpu, KVMINI_RUN, 0) < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			die("KVMINI_RUN");
		}
		total++;
		if (run->exit_reason < NR_EXIT_NAMES)
			exits[run->exit_reason]++;

		switch (run->exit_reason) {
		case KVMINI_EXIT_IO:
			handle_io(run);
			continue;
		case KVMINI_EXIT_HLT:
			/* No interrupts exist in this VM: HLT means "done". */
			break;
		default:
			unexpected_exit(vcpu, run);
		}
		break;
	}
	elapsed = now() - start;

	/* 10. The summary: exits by reason, and the guest's wall time. */
	printf("vmm: guest halted after %lu exits in %.1f ms:", total, elapsed * 1e3);
	for (i = 0; i < NR_EXIT_NAMES; i++)
		if (exits[i])
			printf(" %s %lu", exit_name(i), exits[i]);
	printf("\n");

	/* Closing the fds (here: exiting) destroys the vCPU and the VM. */
	munmap(run, mmap_size);
	close(vcpu);
	close(vm);
	close(sys);
	munmap(ram, RAM_SIZE);
	return 0;
}
