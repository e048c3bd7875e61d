// SPDX-License-Identifier: GPL-2.0
/*
 * Benchmarks of the paths a VMM and its guests lean on: exits handled in
 * the kernel and in userspace, first touch of guest memory, VM and vCPU
 * creation, dirty logging. Against the device the library opens
 * (KVMINI_DEV, default /dev/kvmini; KVMINI_DEV=/dev/kvm for the
 * reference). Each benchmark prints one line
 *   @@bench NAME UNIT MEDIAN
 * the median of its repetitions, timed here with CLOCK_MONOTONIC around
 * the ioctls (never by the guest's TSC); "@@info" lines say what was
 * measured on. No result is judged: exit 1 only if something broke,
 * 4 if there is no device. `bench NAME...` runs only those benchmarks.
 */
#include <pthread.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <time.h>

#include "kvmini_util.h"
#include "kvmini_vm.h"

/*
 * Counts for the emulated AMD host (QEMU TCG, ~50x slower than hardware),
 * where one run of all on KVM and one on kvmini take about 2 minutes.
 */
#define REPS		11		/* repetitions of most benchmarks */
#define REPS_LOG	5		/* 1 GiB dirty log: 512 MiB re-dirtied each */
#define REPS_VM		41		/* VM create+destroy: cheap, noisier */
#define MAX_REPS	REPS_VM
#define EXITS		5000		/* exits per repetition */
#define BENCH_PORT	0x510		/* a port nothing answers (not UCALL_PORT) */
#define MMIO_GPA	0xc0000000ULL	/* no slot: a write here is KVMINI_EXIT_MMIO */
#define SZ_2M		(2ULL << 20)
#define PAGE		4096ULL
#define TOUCH_GPA	(1ULL << 32)	/* fresh memory for the first-touch runs */
#define TOUCH_SIZE	(64ULL << 20)
#define LOG_GPA		(1ULL << 33)	/* the 1 GiB logging slot */
#define LOG_SIZE	(1ULL << 30)
#define LOG_DIRTY	(512ULL << 20)	/* of it, what the guest dirties (the host has 2 GiB) */
#define STORM_SIZE	(64ULL << 20)
#define NR_VCPUS	256
#define APIC_GPA	0xfee00000ULL	/* the xAPIC page (split irqchip) */
#define APIC_VEC	0x40		/* IPIs and timer interrupts of the benchmarks */
#define ROUNDS		200		/* IPI round trips, timer interrupts a pass */
#define NOTIFY_PORT	0x520		/* the ioeventfd benchmark's doorbell */
#define NOTIFY_GSI	30		/* its irqfd's GSI: an MSI to vCPU 0 */

static double samples[MAX_REPS];

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* The median of samples[0..n) (in ns), printed in @unit ("us/page": us per page). */
static void report(const char *name, const char *unit, int n)
{
	double scale = !strncmp(unit, "ms", 2) ? 1e6 : !strncmp(unit, "us", 2) ? 1e3 : 1;
	double m;

	qsort(samples, n, sizeof(samples[0]), cmp_double);
	m = n % 2 ? samples[n / 2] : (samples[n / 2 - 1] + samples[n / 2]) / 2;
	printf("@@bench %s %s %.3f\n", name, unit, m / scale);
	printf("# %s: %d runs, min %.3f max %.3f %s\n", name, n,
	       samples[0] / scale, samples[n - 1] / scale, unit);
	fflush(stdout);
}

/* ------------------------------------------------------------------ */
/* guests: a pass of work, then GUEST_SYNC, forever */

/* The APIC benchmarks' guest state: interrupts taken, per vCPU. */
volatile uint64_t apic_irqs[2];

extern char apic_stub[];
asm(".pushsection .text\n"
    "apic_stub:\n"
    "	push %rax\n"
    "	movabs $0xfee00020, %rax\n"	/* ID: which vCPU */
    "	movl (%rax), %eax\n"
    "	shr $24, %eax\n"
    "	lock incq apic_irqs(,%rax,8)\n"
    "	movabs $0xfee000b0, %rax\n"	/* EOI */
    "	movl $0, (%rax)\n"
    "	pop %rax\n"
    "	iretq\n"
    ".popsection\n");

static void apic_write(uint32_t reg, uint32_t val)
{
	*(volatile uint32_t *)(APIC_GPA + reg) = val;
}

/*
 * vCPU @id: ping-pong @k IPIs with the other vCPU; vCPU 0 starts. A fixed
 * IPI to a disabled APIC is lost: both enable theirs before the first.
 */
static void guest_ipi(uint64_t k, uint64_t id)
{
	uint64_t i, seen = 0;

	apic_write(0xf0, 0x1ff);			/* SVR: on */
	asm volatile("sti");
	GUEST_SYNC(0);
	for (;;) {
		for (i = 0; i < k; i++) {
			if (id == 0 || i) {		/* vCPU 1 answers first */
				apic_write(0x310, (uint32_t)(!id) << 24);
				apic_write(0x300, APIC_VEC);	/* fixed, physical */
			}
			while (apic_irqs[id] == seen)
				asm volatile("pause");
			seen++;
		}
		if (id == 1) {				/* its last answer */
			apic_write(0x310, 0);
			apic_write(0x300, APIC_VEC);
		}
		GUEST_SYNC(0);
	}
}

/*
 * Wait, running, for the interrupt after @seen (apic_irqs[0]). Not with
 * STI; HLT: QEMU's emulated SVM (the test host) can deliver an interrupt
 * inside STI's shadow, before the HLT, which then sleeps for good.
 */
static void wait_irq(uint64_t seen)
{
	while (apic_irqs[0] == seen)
		asm volatile("pause");
}

/* @k doorbells (an OUT an ioeventfd takes), each answered by an irqfd's MSI. */
static void guest_notify(uint64_t k)
{
	uint64_t i, seen = 0;

	apic_write(0xf0, 0x1ff);
	asm volatile("sti");
	for (;;) {
		for (i = 0; i < k; i++) {
			asm volatile("outb %%al, %%dx" : : "a"(0), "d"(NOTIFY_PORT));
			wait_irq(seen++);
		}
		GUEST_SYNC(0);
	}
}

/* @k one-shot timers of the shortest count, each awaited: latency. */
static void guest_timer(uint64_t k)
{
	uint64_t i, seen = 0;

	apic_write(0xf0, 0x1ff);
	apic_write(0x3e0, 0xb);				/* divide by 1 */
	apic_write(0x320, APIC_VEC);			/* one-shot */
	asm volatile("sti");
	for (;;) {
		for (i = 0; i < k; i++) {
			apic_write(0x380, 1);		/* 1 ns */
			wait_irq(seen++);
		}
		GUEST_SYNC(0);
	}
}

static void guest_cpuid(uint64_t k)
{
	uint32_t r[4];
	uint64_t i;

	for (;;) {
		for (i = 0; i < k; i++)
			cpuid(0, 0, r);
		GUEST_SYNC(k);
	}
}

static void guest_pio(uint64_t k)
{
	uint64_t i;

	for (;;) {
		for (i = 0; i < k; i++)
			asm volatile("outb %%al, %%dx" : : "a"(0), "d"(BENCH_PORT));
		GUEST_SYNC(k);
	}
}

static void guest_mmio(uint64_t k)
{
	uint64_t i;

	for (;;) {
		for (i = 0; i < k; i++)
			*(volatile uint32_t *)MMIO_GPA = i;
		GUEST_SYNC(k);
	}
}

/* One byte into each 4 KiB page of [gva, gva + size) a pass; a first SYNC before any. */
static void guest_write_pages(uint64_t gva, uint64_t size)
{
	uint64_t p, pass = 0;

	for (;;) {
		GUEST_SYNC(pass++);
		for (p = 0; p < size; p += PAGE)
			*(volatile uint8_t *)(gva + p) = pass;
	}
}

/* ------------------------------------------------------------------ */
/* host helpers */

/*
 * KVMINI_RUN until the guest's next GUEST_SYNC. Exits of @reason on the
 * way (an OUT to BENCH_PORT, any MMIO) are re-entered at once and counted;
 * KVMINI_EXIT_UNKNOWN: count none.
 */
static uint64_t run_to_sync(struct kvmini_vcpu *vcpu, uint32_t reason)
{
	struct kvmini_run *run = vcpu->run;
	struct ucall uc;
	uint64_t n = 0;
	int r;

	for (;;) {
		r = vcpu_run(vcpu);
		if (r)
			LIB_FAIL("KVMINI_RUN: %s", strerror(-r));
		if (!reason || run->exit_reason != reason ||
		    (reason == KVMINI_EXIT_IO && run->io.port != BENCH_PORT))
			break;
		n++;
	}
	switch (vcpu_get_ucall(vcpu, &uc)) {
	case UCALL_SYNC:
		return n;
	case UCALL_NONE:
		LIB_FAIL("expected a ucall, got exit %s", exit_reason_str(run->exit_reason));
	default:
		LIB_FAIL("guest stopped: ucall %lu at %s:%lu %s", (unsigned long)uc.cmd,
			 uc.file, (unsigned long)uc.line, uc.expr);
	}
}

/* @size bytes of fresh anonymous memory, 2 MiB aligned, with madvise(@advice). */
static void *fresh_mem(uint64_t size, int advice)
{
	char *p = mmap(NULL, size + SZ_2M, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	char *a;

	if (p == MAP_FAILED)
		LIB_FAIL("mmap %lu MiB: %s", (unsigned long)(size >> 20), strerror(errno));
	a = (char *)(((uintptr_t)p + SZ_2M - 1) & ~(SZ_2M - 1));
	if (a > p)
		munmap(p, a - p);
	munmap(a + size, p + SZ_2M - a);
	if (madvise(a, size, advice))
		LIB_FAIL("madvise: %s", strerror(errno));
	return a;
}

static void set_slot(struct kvmini_vm *vm, uint32_t slot, uint32_t flags, uint64_t gpa,
		     uint64_t size, void *hva)
{
	int r = vm_set_region(vm, slot, flags, gpa, size, hva);

	if (r)
		LIB_FAIL("slot %u at %#lx: %s", slot, (unsigned long)gpa, strerror(-r));
}

/* KVMINI_GET_DIRTY_LOG of slot 1 into @bitmap; the number of pages set. */
static uint64_t get_log(struct kvmini_vm *vm, uint64_t *bitmap, uint64_t npages)
{
	struct kvmini_dirty_log log = { .slot = 1, .dirty_bitmap = (uintptr_t)bitmap };
	uint64_t i, n = 0;

	vm_ioctl(vm, KVMINI_GET_DIRTY_LOG, &log);
	for (i = 0; i < npages / 64; i++)
		n += __builtin_popcountll(bitmap[i]);
	return n;
}

static struct kvmini_vm *guest_vm(void *fn, struct kvmini_vcpu **vcpu)
{
	struct kvmini_vm *vm = vm_create_guest(fn, vcpu);

	if (!vm)
		LIB_FAIL("%s: %s", kvmini_dev_path(), strerror(errno));
	return vm;
}

/* ------------------------------------------------------------------ */
/* the benchmarks */

/* EXITS exits a pass, handled in the kernel (CPUID) or here: per exit. */
static void bench_exits(const char *name, void *guest, uint32_t reason)
{
	struct kvmini_vcpu *vcpu;
	struct kvmini_vm *vm = guest_vm(guest, &vcpu);
	uint64_t t, n;
	int i;

	vm_map(vm, MMIO_GPA, MMIO_GPA, PAGE);	/* mapped in the guest, no slot */
	vcpu_set_args(vcpu, 1, (uint64_t)EXITS);
	run_to_sync(vcpu, reason);		/* one pass to warm up: not timed */
	for (i = 0; i < REPS; i++) {
		t = now_ns();
		n = run_to_sync(vcpu, reason);
		samples[i] = (double)(now_ns() - t) / EXITS;
		if (reason && n != EXITS)
			LIB_FAIL("%s: %lu exits, not %d", name, (unsigned long)n, EXITS);
	}
	report(name, "us/exit", REPS);
	vm_free(vm);
}

static void bench_cpuid(void)
{
	bench_exits("exit_cpuid", guest_cpuid, KVMINI_EXIT_UNKNOWN);
}

static void bench_pio(void)
{
	bench_exits("pio_roundtrip", guest_pio, KVMINI_EXIT_IO);
}

static void bench_mmio(void)
{
	bench_exits("mmio_roundtrip", guest_mmio, KVMINI_EXIT_MMIO);
}

/* A split-irqchip VM of @n vCPUs at @fn (APs made RUNNABLE, as a VMM would). */
static struct kvmini_vm *apic_vm(void *fn, int n, struct kvmini_vcpu **vcpus)
{
	struct kvmini_enable_cap cap = { .cap = KVMINI_CAP_SPLIT_IRQCHIP, .args = { 24 } };
	struct kvmini_mp_state mp = { .mp_state = KVMINI_MP_STATE_RUNNABLE };
	struct kvmini_vm *vm = vm_create();
	int i;

	if (!vm)
		LIB_FAIL("%s: %s", kvmini_dev_path(), strerror(errno));
	if (ioctl(vm->fd, KVMINI_ENABLE_CAP, &cap))
		LIB_FAIL("KVMINI_CAP_SPLIT_IRQCHIP: %m");
	vm_load_image(vm);
	vm_map(vm, APIC_GPA, APIC_GPA, PAGE);
	idt_set_gate(vm_gpa2hva(vm, GUEST_IDT), APIC_VEC, (uintptr_t)apic_stub, 0);
	for (i = 0; i < n; i++) {
		vcpus[i] = vcpu_add(vm, i);
		vcpu_setup_long_mode(vcpus[i], fn);
		vcpu_set_args(vcpus[i], 2, (uint64_t)ROUNDS, (uint64_t)i);
		if (i && ioctl(vcpus[i]->fd, KVMINI_SET_MP_STATE, &mp))
			LIB_FAIL("KVMINI_SET_MP_STATE: %m");
	}
	return vm;
}

static void ipi_hung(int sig)
{
	static const char msg[] = "# ipi_roundtrip: no progress in 120 s, given up\n";

	if (write(1, msg, sizeof(msg) - 1) < 0)
		_exit(3);
	_exit(3);
}

/* A warm-up pass of vCPU @vcpu's guest, then REPS timed ones: per round. */
static void time_passes(struct kvmini_vcpu *vcpu)
{
	uint64_t t;
	int i;

	run_to_sync(vcpu, KVMINI_EXIT_UNKNOWN);
	for (i = 0; i < REPS; i++) {
		t = now_ns();
		run_to_sync(vcpu, KVMINI_EXIT_UNKNOWN);
		samples[i] = (double)(now_ns() - t) / ROUNDS;
	}
}

static void *ipi_peer(void *vcpu)
{
	int i;

	for (i = 0; i <= REPS; i++)
		run_to_sync(vcpu, KVMINI_EXIT_UNKNOWN);
	return NULL;
}

/* IPI round trip between two vCPUs (two host threads), all in the kernel. */
static void bench_ipi(void)
{
	struct kvmini_vcpu *v[2];
	struct kvmini_vm *vm = apic_vm(guest_ipi, 2, v);
	pthread_t th;

	/*
	 * The distro KVM in the emulated AMD host has been seen never to end
	 * this ping-pong (kvmini ends it in a second or two), or even its
	 * start: give up, so that the table is still printed (n/a). The last
	 * benchmark for that reason.
	 */
	signal(SIGALRM, ipi_hung);
	alarm(120);
	run_to_sync(v[0], KVMINI_EXIT_UNKNOWN);		/* both APICs on */
	run_to_sync(v[1], KVMINI_EXIT_UNKNOWN);
	if (pthread_create(&th, NULL, ipi_peer, v[1]))
		LIB_FAIL("pthread_create: %m");
	time_passes(v[0]);
	pthread_join(th, NULL);
	alarm(0);
	report("ipi_roundtrip", "us/roundtrip", REPS);
	vm_free(vm);
}

struct notify_peer {
	int ioev, irq;		/* eventfds: the guest's doorbell, our answer */
};

/* The device's side: each doorbell read, then answered through the irqfd. */
static void *notify_peer(void *arg)
{
	struct notify_peer *p = arg;
	uint64_t v, one = 1;
	int i;

	for (i = 0; i < (REPS + 1) * ROUNDS; i++)
		if (read(p->ioev, &v, 8) != 8 || write(p->irq, &one, 8) != 8)
			LIB_FAIL("eventfd: %m");
	return NULL;
}

/* Guest doorbell -> ioeventfd -> a host thread -> irqfd -> guest MSI. */
static void bench_notify(void)
{
	struct {
		struct kvmini_irq_routing h;
		struct kvmini_irq_routing_entry e;
	} rt = { .h.nr = 1, .e = { .gsi = NOTIFY_GSI, .type = KVMINI_IRQ_ROUTING_MSI,
				   .u.msi = { .address_lo = APIC_GPA, .data = APIC_VEC } } };
	struct notify_peer p = { eventfd(0, 0), eventfd(0, 0) };
	struct kvmini_ioeventfd io = { .addr = NOTIFY_PORT, .flags = KVMINI_IOEVENTFD_FLAG_PIO,
				       .fd = p.ioev };
	struct kvmini_irqfd irqfd = { .fd = p.irq, .gsi = NOTIFY_GSI };
	struct kvmini_vcpu *v[1];
	struct kvmini_vm *vm = apic_vm(guest_notify, 1, v);
	pthread_t th;

	if (p.ioev < 0 || p.irq < 0 || ioctl(vm->fd, KVMINI_SET_GSI_ROUTING, &rt) ||
	    ioctl(vm->fd, KVMINI_IRQFD, &irqfd) || ioctl(vm->fd, KVMINI_IOEVENTFD, &io))
		LIB_FAIL("eventfds: %m");
	if (pthread_create(&th, NULL, notify_peer, &p))
		LIB_FAIL("pthread_create: %m");
	time_passes(v[0]);
	pthread_join(th, NULL);
	report("ioeventfd_irqfd_roundtrip", "us/roundtrip", REPS);
	vm_free(vm);
	close(p.ioev);
	close(p.irq);
}

/* From arming the APIC timer (1 tick) to its interrupt in a halted vCPU. */
static void bench_timer(void)
{
	struct kvmini_vcpu *v[1];
	struct kvmini_vm *vm = apic_vm(guest_timer, 1, v);

	time_passes(v[0]);
	report("timer_latency", "us/interrupt", REPS);
	vm_free(vm);
}

/* The transparent_hugepage setting, e.g. "always [madvise] never". */
static void thp_setting(char *buf, size_t size)
{
	FILE *f = fopen("/sys/kernel/mm/transparent_hugepage/enabled", "r");

	snprintf(buf, size, "unavailable");
	if (f && fgets(buf, size, f))
		buf[strcspn(buf, "\n")] = 0;
	if (f)
		fclose(f);
}

/* The guest writes each 4 KiB page of a fresh 64 MiB slot once; per page. */
static void bench_touch(const char *name, int advice)
{
	struct kvmini_vcpu *vcpu;
	struct kvmini_vm *vm = guest_vm(guest_write_pages, &vcpu);
	char thp[128];
	long huge = 0;
	uint64_t t;
	void *mem;
	int i;

	vm_map_2m(vm, TOUCH_GPA, TOUCH_GPA, TOUCH_SIZE);
	vcpu_set_args(vcpu, 2, TOUCH_GPA, TOUCH_SIZE);
	run_to_sync(vcpu, 0);			/* the first SYNC: no slot yet */
	for (i = 0; i < REPS; i++) {
		mem = fresh_mem(TOUCH_SIZE, advice);
		set_slot(vm, 1, 0, TOUCH_GPA, TOUCH_SIZE, mem);
		huge = meminfo_kb("AnonHugePages");
		t = now_ns();
		run_to_sync(vcpu, 0);
		samples[i] = (double)(now_ns() - t) / (TOUCH_SIZE / PAGE);
		huge = meminfo_kb("AnonHugePages") - huge;
		set_slot(vm, 1, 0, TOUCH_GPA, 0, mem);
		munmap(mem, TOUCH_SIZE);
	}
	thp_setting(thp, sizeof(thp));
	printf("@@info %s: THP %s (transparent_hugepage/enabled: %s): "
	       "%ld of %llu MiB in huge pages in the last run\n", name,
	       huge > 0 ? "used" : "not used", thp, huge / 1024, TOUCH_SIZE >> 20);
	report(name, "us/page", REPS);
	vm_free(vm);
}

static void bench_touch_4k(void)
{
	bench_touch("touch_4k", MADV_NOHUGEPAGE);
}

static void bench_touch_thp(void)
{
	bench_touch("touch_thp", MADV_HUGEPAGE);
}

static void bench_vm_create(void)
{
	int dev = kvmini_open_dev(), fd, i;
	uint64_t t;

	if (dev < 0)
		LIB_FAIL("%s: %s", kvmini_dev_path(), strerror(-dev));
	for (i = 0; i < REPS_VM; i++) {
		t = now_ns();
		fd = ioctl(dev, KVMINI_CREATE_VM, 0);
		if (fd < 0)
			LIB_FAIL("KVMINI_CREATE_VM: %s", strerror(errno));
		close(fd);
		samples[i] = now_ns() - t;
	}
	close(dev);
	report("vm_create_destroy", "us", REPS_VM);
}

/* NR_VCPUS vCPUs in one VM (fewer if the device allows fewer): all of them. */
static void bench_vcpu_create(void)
{
	struct kvmini_vm *vm = vm_create();
	int fds[NR_VCPUS], max, n, i, j;
	char name[32];
	uint64_t t;

	if (!vm)
		LIB_FAIL("%s: %s", kvmini_dev_path(), strerror(errno));
	max = ioctl(vm->dev_fd, KVMINI_CHECK_EXTENSION, KVMINI_CAP_MAX_VCPUS);
	if (max <= 0)
		max = ioctl(vm->dev_fd, KVMINI_CHECK_EXTENSION, KVMINI_CAP_NR_VCPUS);
	n = max < NR_VCPUS ? max : NR_VCPUS;
	vm_free(vm);
	if (n < NR_VCPUS)
		printf("@@info vCPU creation: the device allows %d vCPUs, not %d\n", n, NR_VCPUS);
	for (i = 0; i < REPS; i++) {
		vm = vm_create();
		t = now_ns();
		for (j = 0; j < n; j++)
			fds[j] = vm_ioctl(vm, KVMINI_CREATE_VCPU, (unsigned long)j);
		samples[i] = now_ns() - t;
		for (j = 0; j < n; j++)
			close(fds[j]);
		vm_free(vm);
	}
	snprintf(name, sizeof(name), "vcpu_create_%d", n);
	report(name, "ms", REPS);
}

/*
 * A 1 GiB logging slot whose first LOG_DIRTY bytes the guest dirties
 * each pass: KVMINI_GET_DIRTY_LOG of the whole slot after each.
 */
static void bench_dirty_log(void)
{
	const uint64_t npages = LOG_SIZE / PAGE, dirty = LOG_DIRTY / PAGE;
	uint64_t *bitmap = calloc(npages / 64, 8), t, n;
	struct kvmini_vcpu *vcpu;
	struct kvmini_vm *vm = guest_vm(guest_write_pages, &vcpu);
	void *mem = fresh_mem(LOG_SIZE, MADV_NOHUGEPAGE);
	int i;

	set_slot(vm, 1, KVMINI_MEM_LOG_DIRTY_PAGES, LOG_GPA, LOG_SIZE, mem);
	vm_map_2m(vm, LOG_GPA, LOG_GPA, LOG_DIRTY);
	vcpu_set_args(vcpu, 2, LOG_GPA, LOG_DIRTY);
	run_to_sync(vcpu, 0);
	get_log(vm, bitmap, npages);
	for (i = 0; i < REPS_LOG; i++) {
		run_to_sync(vcpu, 0);
		t = now_ns();
		n = get_log(vm, bitmap, npages);
		samples[i] = now_ns() - t;
		if (n != dirty)
			LIB_FAIL("dirty log: %lu pages, the guest wrote %lu",
				 (unsigned long)n, (unsigned long)dirty);
	}
	printf("@@info dirty_log_get_1g: %llu MiB of the 1 GiB slot dirty at each call\n",
	       LOG_DIRTY >> 20);
	report("dirty_log_get_1g", "ms", REPS_LOG);
	vm_free(vm);
	munmap(mem, LOG_SIZE);
	free(bitmap);
}

/* A 64 MiB logging slot written whole each pass, its log taken between: per fault. */
static void bench_dirty_fault(void)
{
	const uint64_t npages = STORM_SIZE / PAGE;
	uint64_t *bitmap = calloc(npages / 64, 8), t, n;
	struct kvmini_vcpu *vcpu;
	struct kvmini_vm *vm = guest_vm(guest_write_pages, &vcpu);
	void *mem = fresh_mem(STORM_SIZE, MADV_NOHUGEPAGE);
	int i;

	set_slot(vm, 1, KVMINI_MEM_LOG_DIRTY_PAGES, LOG_GPA, STORM_SIZE, mem);
	vm_map_2m(vm, LOG_GPA, LOG_GPA, STORM_SIZE);
	vcpu_set_args(vcpu, 2, LOG_GPA, STORM_SIZE);
	run_to_sync(vcpu, 0);
	run_to_sync(vcpu, 0);			/* first touch: not a dirty fault */
	get_log(vm, bitmap, npages);
	for (i = 0; i < REPS; i++) {
		t = now_ns();
		run_to_sync(vcpu, 0);
		samples[i] = now_ns() - t;
		n = get_log(vm, bitmap, npages);
		if (n != npages)
			LIB_FAIL("dirty log: %lu pages, the guest wrote %lu",
				 (unsigned long)n, (unsigned long)npages);
		samples[i] /= n;
	}
	report("dirty_fault", "us/fault", REPS);
	vm_free(vm);
	munmap(mem, STORM_SIZE);
	free(bitmap);
}

static const struct {
	const char *name;
	void (*fn)(void);
} benches[] = {
	{ "exit_cpuid", bench_cpuid },
	{ "pio_roundtrip", bench_pio },
	{ "mmio_roundtrip", bench_mmio },
	{ "touch_4k", bench_touch_4k },
	{ "touch_thp", bench_touch_thp },
	{ "vm_create_destroy", bench_vm_create },
	{ "vcpu_create", bench_vcpu_create },
	{ "dirty_log_get_1g", bench_dirty_log },
	{ "dirty_fault", bench_dirty_fault },
	{ "timer_latency", bench_timer },
	{ "ioeventfd_irqfd_roundtrip", bench_notify },
	{ "ipi_roundtrip", bench_ipi },		/* last: see bench_ipi() */
};

int main(int argc, char **argv)
{
	unsigned int i;
	uint64_t t;
	int fd = kvmini_open_dev(), a, want;

	if (fd < 0) {
		printf("# %s: %s\n", kvmini_dev_path(), strerror(-fd));
		return 4;
	}
	close(fd);
	printf("# bench on %s\n", kvmini_dev_path());
	for (i = 0; i < sizeof(benches) / sizeof(benches[0]); i++) {
		for (want = argc == 1, a = 1; a < argc; a++)
			want |= !!strstr(benches[i].name, argv[a]);
		if (!want)
			continue;
		t = now_ns();
		benches[i].fn();
		printf("# %s: %.1f s\n", benches[i].name, (now_ns() - t) / 1e9);
	}
	return 0;
}
