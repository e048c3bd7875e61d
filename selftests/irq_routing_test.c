// SPDX-License-Identifier: GPL-2.0
/*
 * The split irqchip's interrupt plumbing, KVM's rules: KVMINI_SET_GSI_ROUTING
 * (MSI routes only), KVMINI_SIGNAL_MSI (the vCPUs reached: 1, 0 when no
 * APIC takes it, -1/EPERM with no vCPU at all) and KVMINI_IRQFD (an
 * eventfd whose signal delivers its GSI's current route with no exit to
 * the VMM; deassign, eventfd close and the VM's end shut it down), and the
 * EOI exits (KVMINI_EXIT_IOAPIC_EOI) that level-triggered routes of the
 * VMM's IOAPIC pins ask for. Without an irqchip all three are EINVAL.
 */
#include <poll.h>
#include <pthread.h>
#include <sys/eventfd.h>
#include <sys/mman.h>

#include "kvmini_util.h"
#include "kvmini_vm.h"
#include "kselftest_harness.h"

#define APIC_GPA	0xfee00000ULL	/* the xAPIC page, mapped at its GPA */
#define APIC_SVR	0xf0
#define VEC		0x40		/* the guest counts vectors VEC .. VEC+3 */
#define GSI		30		/* above the VMM's 24 IOAPIC pins */
#define NO_APIC		5		/* an APIC ID no vCPU has */

/* Guest state: interrupts taken per vector; what to wait for before a SYNC. */
uint64_t irq_count[4], irq_want[4];

/* Interrupt gates on IST1 for VEC+n: count, EOI (a write of 0 at 0xb0), IRET. */
extern char irq_stubs[];
asm(".pushsection .text\n"
    ".align 32\n"
    "irq_stubs:\n"
    "n = 0\n"
    ".rept 4\n"
    "	.align 32\n"
    "	push %rax\n"
    "	lock incq irq_count + 8 * n(%rip)\n"
    "	mov $0xfee000b0, %eax\n"
    "	movl $0, (%rax)\n"
    "	pop %rax\n"
    "	iretq\n"
    "	n = n + 1\n"
    ".endr\n"
    ".popsection\n");

static void guest_main(void)
{
	int i;

	GUEST_SYNC(0);				/* its APIC still software-disabled */
	*(volatile uint32_t *)(APIC_GPA + APIC_SVR) = 0x1ff;	/* enabled, spurious 0xff */
	asm volatile("sti");
	for (;;) {
		GUEST_SYNC4(irq_count[0], irq_count[1], irq_count[2], irq_count[3]);
		for (i = 0; i < 4; i++) {	/* HLT (in the kernel) until they came */
			asm volatile("cli");
			while (*(volatile uint64_t *)&irq_count[i] < *(volatile uint64_t *)&irq_want[i])
				asm volatile("sti; hlt; cli" ::: "memory");
			asm volatile("sti");
		}
	}
}

/* vCPU 0 (APIC ID 0) at guest_main, stopped at its first SYNC. */
static struct kvmini_vcpu *guest_start(struct kvmini_vm *vm)
{
	struct kvmini_vcpu *vcpu;
	struct ucall uc;
	int n;

	vm_load_image(vm);
	vm_map(vm, APIC_GPA, APIC_GPA, GUEST_PAGE_SIZE);
	for (n = 0; n < 4; n++)
		idt_set_gate(vm_gpa2hva(vm, GUEST_IDT), VEC + n, (uintptr_t)irq_stubs + 32 * n, 1);
	vcpu = vcpu_add(vm, 0);
	vcpu_setup_long_mode(vcpu, guest_main);
	if (vcpu_run_ucall(vcpu, &uc) != UCALL_SYNC)
		LIB_FAIL("no first SYNC");
	return vcpu;
}

/* Set what the guest waits for, run it to its next SYNC: the counts. */
static uint64_t *guest_run(struct kvmini_vcpu *vcpu, uint64_t w0, uint64_t w1, uint64_t w2,
			   uint64_t w3)
{
	static struct ucall uc;
	uint64_t *want = GUEST_VAR(vcpu->vm, irq_want);

	want[0] = w0, want[1] = w1, want[2] = w2, want[3] = w3;
	if (vcpu_run_ucall(vcpu, &uc) != UCALL_SYNC)
		LIB_FAIL("guest done?");
	return uc.args;
}

struct runner {
	struct kvmini_vcpu *vcpu;
	uint64_t want[4], *counts;
};

static void *run_thread(void *arg)
{
	struct runner *r = arg;

	r->counts = guest_run(r->vcpu, r->want[0], r->want[1], r->want[2], r->want[3]);
	return NULL;
}

/*
 * The guest halts (in the kernel, one KVMINI_RUN) until it has the
 * interrupts it waits for; meanwhile write @efd: only the irqfd can
 * wake it, and that RUN may end at nothing but the guest's SYNC.
 */
static uint64_t *signal_halted(struct kvmini_vcpu *vcpu, int efd, const uint64_t want[4])
{
	struct runner r = { .vcpu = vcpu };
	uint64_t one = 1;
	pthread_t th;

	memcpy(r.want, want, sizeof(r.want));
	if (pthread_create(&th, NULL, run_thread, &r))
		LIB_FAIL("pthread_create");
	usleep(200000);
	if (write(efd, &one, 8) != 8)
		LIB_FAIL("write eventfd");
	pthread_join(th, NULL);
	return r.counts;
}

static struct kvmini_irq_routing_entry msi_route(uint32_t gsi, uint32_t dest, uint32_t vector)
{
	return (struct kvmini_irq_routing_entry){
		.gsi = gsi, .type = KVMINI_IRQ_ROUTING_MSI,
		.u.msi = { .address_lo = APIC_GPA | dest << 12, .data = vector },
	};
}

/* The same, level-triggered (the EOIs of a VMM's IOAPIC pin's vector exit). */
static struct kvmini_irq_routing_entry level_route(uint32_t gsi, uint32_t dest, uint32_t vector)
{
	struct kvmini_irq_routing_entry e = msi_route(gsi, dest, vector);

	e.u.msi.data |= 1 << 15;
	return e;
}

static long set_routes(struct kvmini_vm *vm, const struct kvmini_irq_routing_entry *e,
		       uint32_t nr, uint32_t flags)
{
	struct kvmini_irq_routing *rt = calloc(1, sizeof(*rt) + nr * sizeof(*e));
	long r;

	rt->nr = nr;
	rt->flags = flags;
	memcpy(rt->entries, e, nr * sizeof(*e));
	r = ioctl_err(vm->fd, KVMINI_SET_GSI_ROUTING, (unsigned long)rt);
	free(rt);
	return r;
}

static long send_msi(struct kvmini_vm *vm, uint32_t dest, uint32_t vector, uint32_t flags)
{
	struct kvmini_msi msi = { .address_lo = APIC_GPA | dest << 12, .data = vector,
				  .flags = flags, .devid = 0x1234 };

	return ioctl_err(vm->fd, KVMINI_SIGNAL_MSI, (unsigned long)&msi);
}

static long irqfd(struct kvmini_vm *vm, int fd, uint32_t gsi, uint32_t flags, int resamplefd)
{
	struct kvmini_irqfd a = { .fd = fd, .gsi = gsi, .flags = flags, .resamplefd = resamplefd };

	return ioctl_err(vm->fd, KVMINI_IRQFD, (unsigned long)&a);
}

/* kvmini's count of live irqfds (debugfs), given a second to become @n. */
static long live_irqfds(long n)
{
	long live = -1;
	int i;

	for (i = 0; i < 100 && (live = kvmini_debugfs_read("irqfds")) != n; i++)
		usleep(10000);
	return live;
}

/* On kvmini only: KVM has no such counter. */
#define EXPECT_LIVE_IRQFDS(n) do {						if (!kvmini_dev_is_kvm())							EXPECT_EQ((long)(n), live_irqfds(n));			} while (0)

TEST(no_irqchip)
{
	struct kvmini_irq_routing_entry e = msi_route(GSI, 0, VEC);
	struct kvmini_vm *vm = vm_create();
	int efd = eventfd(0, 0);

	REQUIRE_VM(vm);
	/* KVM 6.1's answers, with or without an irqchip. */
	EXPECT_EQ(4096, ioctl(vm->fd, KVMINI_CHECK_EXTENSION, KVMINI_CAP_IRQ_ROUTING));
	EXPECT_EQ(1, ioctl(vm->fd, KVMINI_CHECK_EXTENSION, KVMINI_CAP_SIGNAL_MSI));
	EXPECT_EQ(1, ioctl(vm->fd, KVMINI_CHECK_EXTENSION, KVMINI_CAP_IRQFD));
	/* 1 before any irqchip too: KVMINI_IRQFD says where it can resample. */
	EXPECT_EQ(1, ioctl(vm->fd, KVMINI_CHECK_EXTENSION, KVMINI_CAP_IRQFD_RESAMPLE));
	vcpu_add(vm, 0);
	EXPECT_EQ(-EINVAL, set_routes(vm, &e, 1, 0));
	EXPECT_EQ(-EINVAL, set_routes(vm, NULL, 0, 0));
	EXPECT_EQ(-EFAULT, ioctl_err(vm->fd, KVMINI_SET_GSI_ROUTING, 0));
	EXPECT_EQ(-EINVAL, send_msi(vm, 0, VEC, 0));
	EXPECT_EQ(-EFAULT, ioctl_err(vm->fd, KVMINI_SIGNAL_MSI, 0));
	EXPECT_EQ(-EINVAL, irqfd(vm, efd, GSI, 0, 0));
	EXPECT_EQ(-EINVAL, irqfd(vm, efd, GSI, 4, 0));
	EXPECT_EQ(0, irqfd(vm, efd, GSI, KVMINI_IRQFD_FLAG_DEASSIGN, 0));	/* nothing to find */
	EXPECT_EQ(-EFAULT, ioctl_err(vm->fd, KVMINI_IRQFD, 0));
	close(efd);
	vm_free(vm);
}

TEST(routing_errnos)
{
	static struct kvmini_irq_routing_entry e[4097];
	struct kvmini_vm *vm = vm_create_split();
	struct kvmini_irq_routing *edge;
	char *page;
	int i;

	REQUIRE_SPLIT(vm);
	for (i = 0; i < 4097; i++)
		e[i] = msi_route(i, 0, VEC);
	EXPECT_EQ(0, set_routes(vm, NULL, 0, 0));
	EXPECT_EQ(0, set_routes(vm, e, 4096, 0));		/* GSIs 0-4095: the most */
	EXPECT_EQ(-EINVAL, set_routes(vm, e, 4097, 0));
	EXPECT_EQ(-EINVAL, set_routes(vm, e, 1, 1));		/* flags */
	e[1].gsi = 0;						/* one route per GSI */
	EXPECT_EQ(-EINVAL, set_routes(vm, e, 2, 0));
	e[1].gsi = 4096;
	EXPECT_EQ(-EINVAL, set_routes(vm, e, 2, 0));
	e[1] = msi_route(1, 0, VEC);
	e[1].flags = KVMINI_MSI_VALID_DEVID;			/* x86 ignores the device id */
	e[1].u.msi.devid = 0x1234;
	EXPECT_EQ(0, set_routes(vm, e, 2, 0));
	e[1].flags = 2;
	EXPECT_EQ(-EINVAL, set_routes(vm, e, 2, 0));
	e[1].flags = 0;
	e[1].type = KVMINI_IRQ_ROUTING_IRQCHIP;			/* the VMM's IOAPIC */
	e[1].u.irqchip.irqchip = KVMINI_IRQCHIP_IOAPIC;
	e[1].u.irqchip.pin = 1;
	EXPECT_EQ(-EINVAL, set_routes(vm, e, 2, 0));
	e[1].type = 99;
	EXPECT_EQ(-EINVAL, set_routes(vm, e, 2, 0));
	/* Entries past the header's end, in a page that is not there. */
	page = mmap(NULL, 2 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, page);
	munmap(page + 4096, 4096);
	edge = (void *)(page + 4096 - sizeof(*edge));
	edge->nr = 1;
	edge->flags = 0;
	EXPECT_EQ(-EFAULT, ioctl_err(vm->fd, KVMINI_SET_GSI_ROUTING, (unsigned long)edge));
	munmap(page, 4096);
	/* No vCPU, so no APIC: as KVM, -1 (EPERM). */
	EXPECT_EQ(-EPERM, send_msi(vm, 0, VEC, 0));
	EXPECT_EQ(-EINVAL, send_msi(vm, 0, VEC, 2));
	vm_free(vm);
}

TEST(signal_msi)
{
	struct kvmini_vm *vm = vm_create_split();
	struct kvmini_vcpu *vcpu;
	uint64_t *c;

	REQUIRE_SPLIT(vm);
	vcpu = guest_start(vm);
	/* Its APIC software-disabled: a fixed MSI reaches no one (as KVM: 0). */
	EXPECT_EQ(0, send_msi(vm, 0, VEC, 0));
	c = guest_run(vcpu, 0, 0, 0, 0);			/* enabled now */
	EXPECT_EQ(0ULL, c[0]);
	EXPECT_EQ(1, send_msi(vm, 0, VEC, 0));		/* APIC ID 0, physical, fixed */
	EXPECT_EQ(1, send_msi(vm, 0, VEC + 1, KVMINI_MSI_VALID_DEVID));
	/* No such APIC ID: as KVM 6.1 (its APIC map has room for 256), 0. */
	EXPECT_EQ(0, send_msi(vm, NO_APIC, VEC + 2, 0));
	c = guest_run(vcpu, 1, 1, 0, 0);
	EXPECT_EQ(1ULL, c[0]);
	EXPECT_EQ(1ULL, c[1]);
	EXPECT_EQ(0ULL, c[2]);
	vm_free(vm);
}

static long irq_line(struct kvmini_vm *vm, uint32_t gsi, uint32_t level, int32_t *status)
{
	struct kvmini_irq_level l = { .irq = gsi, .level = level };
	long r = ioctl_err(vm->fd, status ? KVMINI_IRQ_LINE_STATUS : KVMINI_IRQ_LINE,
			   (unsigned long)&l);

	if (status)
		*status = l.status;
	return r;
}

/*
 * KVMINI_IRQ_LINE(_STATUS), as QEMU's split-mode IOAPIC raises its pins:
 * through the GSI's MSI route; the status is how many took it, -1 for a
 * lowered line or a GSI with no route; ENXIO without an irqchip.
 */
TEST(irq_line_status)
{
	struct kvmini_irq_routing_entry e = msi_route(2, 0, VEC + 1);
	struct kvmini_vm *vm = vm_create_split(), *plain;
	struct kvmini_vcpu *vcpu;
	int32_t status = 0;
	uint64_t *c;

	REQUIRE_SPLIT(vm);
	vcpu = guest_start(vm);
	guest_run(vcpu, 0, 0, 0, 0);
	ASSERT_EQ(0, set_routes(vm, &e, 1, 0));
	EXPECT_EQ(0, irq_line(vm, 2, 1, &status));
	EXPECT_EQ(1, status);
	EXPECT_EQ(0, irq_line(vm, 2, 0, &status));
	EXPECT_EQ(-1, status);
	EXPECT_EQ(0, irq_line(vm, 3, 1, &status));	/* no route */
	EXPECT_EQ(-1, status);
	EXPECT_EQ(0, irq_line(vm, 2, 1, NULL));	/* the same vector, still in IRR */
	c = guest_run(vcpu, 0, 1, 0, 0);
	EXPECT_EQ(1ULL, c[1]);
	vm_free(vm);
	plain = vm_create();
	REQUIRE_VM(plain);
	EXPECT_EQ(-ENXIO, irq_line(plain, 2, 1, &status));
	EXPECT_EQ(-ENXIO, irq_line(plain, 2, 1, NULL));
	vm_free(plain);
}

/* The guest's @n-th VEC+2, by MSI: its EOI exits to the VMM, then the guest goes on. */
static void eoi_exits(struct __test_metadata *_metadata, struct kvmini_vcpu *vcpu, uint64_t n)
{
	uint64_t *c;

	EXPECT_EQ(1, send_msi(vcpu->vm, 0, VEC + 2, 0));
	GUEST_VAR(vcpu->vm, irq_want)[2] = n;
	vcpu_run_expect(vcpu, KVMINI_EXIT_IOAPIC_EOI);
	EXPECT_EQ(VEC + 2, vcpu->run->eoi.vector);
	c = guest_run(vcpu, 0, 1, n, 1);
	EXPECT_EQ(n, c[2]);
}

/*
 * The EOI of a vector that a level-triggered MSI route of one of the VMM's
 * IOAPIC pins (GSI < 24) uses exits to the VMM (its IOAPIC's EOI); other
 * vectors' EOIs do not: edge routes, and GSIs above the pins. As KVM, per
 * vCPU: only the routes that address it.
 */
TEST(ioapic_eoi_exit)
{
	struct kvmini_irq_routing_entry e[3] = {
		level_route(5, 0, VEC + 2), msi_route(6, 0, VEC + 1), level_route(GSI, 0, VEC + 3),
	};
	struct kvmini_vm *vm = vm_create_split();
	struct kvmini_vcpu *vcpu;
	uint64_t *c;

	REQUIRE_SPLIT(vm);
	vcpu = guest_start(vm);
	guest_run(vcpu, 0, 0, 0, 0);
	ASSERT_EQ(0, set_routes(vm, e, 3, 0));
	EXPECT_EQ(1, send_msi(vm, 0, VEC + 1, 0));
	EXPECT_EQ(1, send_msi(vm, 0, VEC + 3, 0));
	c = guest_run(vcpu, 0, 1, 0, 1);			/* no exit at their EOIs */
	EXPECT_EQ(1ULL, c[1]);
	EXPECT_EQ(1ULL, c[3]);
	eoi_exits(_metadata, vcpu, 1);

	/* Per vCPU: routed to another APIC, this one's EOI of the vector does not exit... */
	e[0] = level_route(5, NO_APIC, VEC + 2);
	ASSERT_EQ(0, set_routes(vm, e, 3, 0));
	guest_run(vcpu, 0, 1, 1, 1);		/* (the vCPU looks at the routes) */
	EXPECT_EQ(1, send_msi(vm, 0, VEC + 2, 0));
	c = guest_run(vcpu, 0, 1, 2, 1);
	EXPECT_EQ(2ULL, c[2]);
	/* ...not even when it was pending here as the routes changed (KVM 6.1's scan). */
	EXPECT_EQ(1, send_msi(vm, 0, VEC + 2, 0));
	ASSERT_EQ(0, set_routes(vm, e, 3, 0));
	c = guest_run(vcpu, 0, 1, 3, 1);
	EXPECT_EQ(3ULL, c[2]);
	/* Routed here again: it exits again. */
	e[0] = level_route(5, 0, VEC + 2);
	ASSERT_EQ(0, set_routes(vm, e, 3, 0));
	eoi_exits(_metadata, vcpu, 4);
	vm_free(vm);
}

TEST(irqfd_deliver)
{
	struct kvmini_irq_routing_entry e = msi_route(GSI, 0, VEC);
	struct kvmini_vm *vm = vm_create_split();
	struct kvmini_vcpu *vcpu;
	uint64_t one = 1, *c;
	int efd = eventfd(0, 0);

	REQUIRE_SPLIT(vm);
	vcpu = guest_start(vm);
	guest_run(vcpu, 0, 0, 0, 0);
	ASSERT_EQ(0, set_routes(vm, &e, 1, 0));
	/* Signalled before it is assigned: delivered at the assignment. */
	ASSERT_EQ(8, write(efd, &one, 8));
	ASSERT_EQ(0, irqfd(vm, efd, GSI, 0, 0));
	c = guest_run(vcpu, 1, 0, 0, 0);
	EXPECT_EQ(1ULL, c[0]);
	/* The vCPU halted in the kernel: the signal alone wakes it. */
	c = signal_halted(vcpu, efd, (uint64_t[]){ 2, 0, 0, 0 });
	EXPECT_EQ(2ULL, c[0]);
	/* A new route for the GSI: the irqfd follows it. */
	e = msi_route(GSI, 0, VEC + 1);
	ASSERT_EQ(0, set_routes(vm, &e, 1, 0));
	c = signal_halted(vcpu, efd, (uint64_t[]){ 2, 1, 0, 0 });
	EXPECT_EQ(2ULL, c[0]);
	EXPECT_EQ(1ULL, c[1]);
	/* No route: nothing (the MSI of VEC+3 only ends the wait). */
	e = msi_route(GSI + 1, 0, VEC + 2);
	ASSERT_EQ(0, set_routes(vm, &e, 1, 0));
	ASSERT_EQ(8, write(efd, &one, 8));
	EXPECT_EQ(1, send_msi(vm, 0, VEC + 3, 0));
	c = guest_run(vcpu, 2, 1, 0, 1);
	EXPECT_EQ(2ULL, c[0]);
	EXPECT_EQ(1ULL, c[1]);
	EXPECT_EQ(0ULL, c[2]);
	/* Deassigned: its route back, but nothing more. */
	e = msi_route(GSI, 0, VEC + 2);
	ASSERT_EQ(0, set_routes(vm, &e, 1, 0));
	EXPECT_EQ(0, irqfd(vm, efd, GSI, KVMINI_IRQFD_FLAG_DEASSIGN, 0));
	EXPECT_LIVE_IRQFDS(0);
	ASSERT_EQ(8, write(efd, &one, 8));
	EXPECT_EQ(1, send_msi(vm, 0, VEC + 3, 0));
	c = guest_run(vcpu, 2, 1, 0, 2);
	EXPECT_EQ(0ULL, c[2]);
	c = guest_run(vcpu, 2, 1, 0, 2);			/* none came late either */
	EXPECT_EQ(0ULL, c[2]);
	EXPECT_EQ(2ULL, c[3]);
	close(efd);
	vm_free(vm);
}

TEST(irqfd_errnos)
{
	struct kvmini_vm *vm = vm_create_split();
	int efd = eventfd(0, 0), efd2 = eventfd(0, 0), closed = eventfd(0, 0);

	REQUIRE_SPLIT(vm);
	close(closed);
	EXPECT_EQ(-EINVAL, irqfd(vm, efd, GSI, 4, 0));
	EXPECT_EQ(-EINVAL, irqfd(vm, efd, GSI, KVMINI_IRQFD_FLAG_RESAMPLE, efd2));
	EXPECT_EQ(-EINVAL, irqfd(vm, vm->fd, GSI, 0, 0));	/* not an eventfd */
	EXPECT_EQ(-EBADF, irqfd(vm, closed, GSI, 0, 0));
	EXPECT_EQ(-EBADF, irqfd(vm, -1, GSI, 0, 0));
	EXPECT_EQ(-EINVAL, irqfd(vm, vm->fd, GSI, KVMINI_IRQFD_FLAG_DEASSIGN, 0));
	EXPECT_EQ(-EBADF, irqfd(vm, closed, GSI, KVMINI_IRQFD_FLAG_DEASSIGN, 0));
	/* One eventfd, one irqfd: EBUSY for any GSI until deassigned. */
	EXPECT_EQ(0, irqfd(vm, efd, GSI, 0, 0));
	EXPECT_EQ(-EBUSY, irqfd(vm, efd, GSI, 0, 0));
	EXPECT_EQ(-EBUSY, irqfd(vm, efd, GSI + 1, 0, 0));
	EXPECT_EQ(0, irqfd(vm, efd, GSI + 1, KVMINI_IRQFD_FLAG_DEASSIGN, 0));	/* not that GSI */
	EXPECT_EQ(-EBUSY, irqfd(vm, efd, GSI + 1, 0, 0));
	EXPECT_EQ(0, irqfd(vm, efd2, GSI, 0, 0));		/* two eventfds, one GSI */
	EXPECT_EQ(0, irqfd(vm, efd, GSI, KVMINI_IRQFD_FLAG_DEASSIGN, 0));
	EXPECT_EQ(0, irqfd(vm, efd, GSI + 1, 0, 0));
	EXPECT_EQ(0, irqfd(vm, efd, 5000, KVMINI_IRQFD_FLAG_DEASSIGN, 0));
	close(efd);
	close(efd2);
	vm_free(vm);
}

TEST(irqfd_eventfd_closed)
{
	struct kvmini_irq_routing_entry e = msi_route(GSI, 0, VEC);
	struct kvmini_vm *vm = vm_create_split();
	struct kvmini_vcpu *vcpu;
	int efd = eventfd(0, 0);
	uint64_t *c;

	REQUIRE_SPLIT(vm);
	ASSERT_EQ(0, set_routes(vm, &e, 1, 0));
	ASSERT_EQ(0, irqfd(vm, efd, GSI, 0, 0));
	EXPECT_LIVE_IRQFDS(1);
	close(efd);					/* EPOLLHUP: it shuts itself down */
	EXPECT_LIVE_IRQFDS(0);
	EXPECT_EQ(-EBADF, irqfd(vm, efd, GSI, KVMINI_IRQFD_FLAG_DEASSIGN, 0));
	/* The GSI works on with a new eventfd. */
	vcpu = guest_start(vm);
	guest_run(vcpu, 0, 0, 0, 0);
	efd = eventfd(0, 0);
	ASSERT_EQ(0, irqfd(vm, efd, GSI, 0, 0));
	c = signal_halted(vcpu, efd, (uint64_t[]){ 1, 0, 0, 0 });
	EXPECT_EQ(1ULL, c[0]);
	close(efd);
	vm_free(vm);
}

/* Its vCPU never ran: MSIs wait in its APIC's IRR, the VM goes with them. */
TEST(vm_destroyed_with_irqfds)
{
	struct kvmini_irq_routing_entry e[2] = { msi_route(GSI, 0, VEC), msi_route(GSI + 1, 0, VEC) };
	struct kvmini_vm *vm = vm_create_split();
	int efd[2] = { eventfd(0, 0), eventfd(0, 0) };
	uint64_t one = 1;

	REQUIRE_SPLIT(vm);
	vcpu_add(vm, 0);
	ASSERT_EQ(0, set_routes(vm, e, 2, 0));
	ASSERT_EQ(0, irqfd(vm, efd[0], GSI, 0, 0));
	ASSERT_EQ(0, irqfd(vm, efd[1], GSI + 1, 0, 0));
	ASSERT_EQ(8, write(efd[0], &one, 8));
	EXPECT_LIVE_IRQFDS(2);
	vm_free(vm);
	EXPECT_LIVE_IRQFDS(0);
	/* Nothing of the VM may hear these (the kernel log must stay clean). */
	ASSERT_EQ(8, write(efd[0], &one, 8));
	ASSERT_EQ(8, write(efd[1], &one, 8));
	close(efd[0]);
	close(efd[1]);
}

TEST_HARNESS_MAIN
