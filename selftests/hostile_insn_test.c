// SPDX-License-Identifier: GPL-2.0
/*
 * A hostile guest's virtualization instructions and port I/O.
 *
 * virt_insns: every SVM instruction (VMRUN VMLOAD VMSAVE STGI CLGI SKINIT
 * INVLPGA RDPRU), every VMX one (VMXON VMXOFF VMCLEAR VMPTRLD VMPTRST
 * VMREAD VMWRITE VMLAUNCH VMRESUME INVEPT INVVPID VMFUNC) and GETSEC, run
 * by a 64-bit guest whose CPUID has neither SVM nor VMX (nor SMX), takes
 * #UD with no error code at the instruction itself: what KVM gives such a
 * guest on either vendor, whether the CPU intercepts the instruction or
 * faults by itself.  VMCALL/VMMCALL are hypercall exits (hypercall_test).
 *
 * every_port: IN and OUT of one byte to each of the 65536 ports, then
 * word and dword accesses on ports at the top of the space (a dword at
 * 0xffff spans four ports past the end): each one exits to the VMM,
 * with the port, direction and size the guest used, the OUT's data, and
 * the IN gets the VMM's answer; the exits are counted and timed.
 */
#include <time.h>

#include "kvmini_util.h"
#include "kvmini_vm.h"
#include "kselftest_harness.h"

struct insn {
	const char *name;
	uint8_t len;
	uint8_t bytes[7];
};

/* Memory operands are (%rax), a page of guest memory; VMREAD/VMWRITE use registers. */
static const struct insn insns[] = {
	{ "VMRUN",    3, { 0x0f, 0x01, 0xd8 } },
	{ "VMLOAD",   3, { 0x0f, 0x01, 0xda } },
	{ "VMSAVE",   3, { 0x0f, 0x01, 0xdb } },
	{ "STGI",     3, { 0x0f, 0x01, 0xdc } },
	{ "CLGI",     3, { 0x0f, 0x01, 0xdd } },
	{ "SKINIT",   3, { 0x0f, 0x01, 0xde } },
	{ "INVLPGA",  3, { 0x0f, 0x01, 0xdf } },
	{ "RDPRU",    3, { 0x0f, 0x01, 0xfd } },
	{ "VMXON",    4, { 0xf3, 0x0f, 0xc7, 0x30 } },		/* vmxon (%rax) */
	{ "VMXOFF",   3, { 0x0f, 0x01, 0xc4 } },
	{ "VMCLEAR",  4, { 0x66, 0x0f, 0xc7, 0x30 } },		/* vmclear (%rax) */
	{ "VMPTRLD",  3, { 0x0f, 0xc7, 0x30 } },		/* vmptrld (%rax) */
	{ "VMPTRST",  3, { 0x0f, 0xc7, 0x38 } },		/* vmptrst (%rax) */
	{ "VMREAD",   3, { 0x0f, 0x78, 0xc1 } },		/* vmread %rax, %rcx */
	{ "VMWRITE",  3, { 0x0f, 0x79, 0xc1 } },		/* vmwrite %rcx, %rax */
	{ "VMLAUNCH", 3, { 0x0f, 0x01, 0xc2 } },
	{ "VMRESUME", 3, { 0x0f, 0x01, 0xc3 } },
	{ "INVEPT",   5, { 0x66, 0x0f, 0x38, 0x80, 0x08 } },	/* invept (%rax), %rcx */
	{ "INVVPID",  5, { 0x66, 0x0f, 0x38, 0x81, 0x08 } },	/* invvpid (%rax), %rcx */
	{ "VMFUNC",   3, { 0x0f, 0x01, 0xd4 } },
	{ "GETSEC",   2, { 0x0f, 0x37 } },
};
#define NR_INSNS	(sizeof(insns) / sizeof(insns[0]))

static struct { uint64_t vector, error_code, rip; } g_res[NR_INSNS];
static uint8_t g_code[4096] __attribute__((aligned(4096)));
static uint8_t g_page[4096] __attribute__((aligned(4096)));

/* Each instruction alone in g_code, followed by RET; called past the red zone. */
static void guest_insns(void)
{
	uint64_t i, j, rax, rcx, rdx;

	for (i = 0; i < NR_INSNS; i++) {
		for (j = 0; j < insns[i].len; j++)
			g_code[j] = insns[i].bytes[j];
		g_code[j] = 0xc3;
		rax = rcx = (uintptr_t)g_page;
		rdx = 0;
		guest_exc_arm(insns[i].len);
		asm volatile("sub $128, %%rsp; call *%3; add $128, %%rsp"
			     : "+a"(rax), "+c"(rcx), "+d"(rdx) : "r"(g_code)
			     : "memory", "cc", "rbx", "rsi", "rdi", "r8", "r9", "r10", "r11");
		guest_exc.resume = 0;
		g_res[i].vector = guest_exc.vector;
		g_res[i].error_code = guest_exc.error_code;
		g_res[i].rip = guest_exc.rip;
	}
}

/* The guest's CPUID: what the device supports, without SVM, VMX, SMX. */
static void set_cpuid_no_virt(struct kvmini_vcpu *vcpu)
{
	struct kvmini_cpuid2 *c = kvmini_supported_cpuid(vcpu->vm);
	uint32_t i;

	for (i = 0; i < c->nent; i++) {
		if (c->entries[i].function == 1)
			c->entries[i].ecx &= ~((1U << 5) | (1U << 6));	/* VMX, SMX */
		if (c->entries[i].function == 0x80000001)
			c->entries[i].ecx &= ~(1U << 2);		/* SVM */
	}
	vcpu_ioctl(vcpu, KVMINI_SET_CPUID2, c);
	free(c);
}

TEST(virt_insns)
{
	struct kvmini_vcpu *vcpu;
	struct kvmini_vm *vm = vm_create_guest(guest_insns, &vcpu);
	struct ucall uc;
	unsigned int i;

	REQUIRE_VM(vm);
	set_cpuid_no_virt(vcpu);
	ASSERT_EQ(UCALL_DONE, vcpu_run_ucall(vcpu, &uc));
	for (i = 0; i < NR_INSNS; i++) {
		typeof(g_res[0]) r = GUEST_VAR(vm, g_res)[i];

		EXPECT_EQ(6ULL, r.vector) TH_LOG("%s: vector %ld, not #UD", insns[i].name,
						 (long)r.vector);
		EXPECT_EQ(0ULL, r.error_code) TH_LOG("%s", insns[i].name);
		EXPECT_EQ((uint64_t)(uintptr_t)g_code, r.rip)
			TH_LOG("%s: #UD at %#lx, not at the instruction", insns[i].name,
			       (unsigned long)r.rip);
	}
	vm_free(vm);
}

/* What the VMM answers an IN of @size at @port, and what the guest OUTs there. */
static inline uint32_t in_val(uint32_t port, int size)
{
	uint32_t v = (port * 0x9e3779b1U) ^ (port >> 5) ^ (size << 28);

	return size == 4 ? v : v & ((1U << (size * 8)) - 1);
}

static inline uint32_t out_val(uint32_t port, int size)
{
	return in_val(port ^ 0x5a5a, size);
}

/* Word and dword accesses at the top of the port space (and one low). */
static const uint16_t wide_ports[] = { 0x0000, 0x7fff, 0xfffc, 0xfffd, 0xfffe, 0xffff };
#define NR_WIDE	(sizeof(wide_ports) / sizeof(wide_ports[0]))

static uint64_t g_bad_in;

static void guest_ports(void)
{
	uint32_t port, v;
	uint16_t w;
	uint8_t b;
	unsigned int i;

	for (port = 0; port < 0x10000; port++) {
		asm volatile("inb %%dx, %%al" : "=a"(b) : "d"(port) : "memory");
		g_bad_in += b != in_val(port, 1);
		asm volatile("outb %%al, %%dx" : : "a"(out_val(port, 1)), "d"(port) : "memory");
	}
	for (i = 0; i < NR_WIDE; i++) {
		port = wide_ports[i];
		asm volatile("inw %%dx, %%ax" : "=a"(w) : "d"(port) : "memory");
		g_bad_in += w != in_val(port, 2);
		asm volatile("outw %%ax, %%dx" : : "a"(out_val(port, 2)), "d"(port) : "memory");
		asm volatile("inl %%dx, %%eax" : "=a"(v) : "d"(port) : "memory");
		g_bad_in += v != in_val(port, 4);
		asm volatile("outl %%eax, %%dx" : : "a"(out_val(port, 4)), "d"(port) : "memory");
	}
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Expect an IO exit: @port, @in, @size; answer an IN, check an OUT. */
static bool io_exit(struct __test_metadata *_metadata, struct kvmini_vcpu *vcpu,
		    uint32_t port, bool in, int size)
{
	struct kvmini_run *run = vcpu->run;
	uint32_t v = 0;
	int r = vcpu_run(vcpu);

	EXPECT_EQ(0, r) TH_LOG("port %#x: KVMINI_RUN %s", port, strerror(-r));
	EXPECT_EQ(KVMINI_EXIT_IO, (int)run->exit_reason)
		TH_LOG("port %#x %s: exit %s", port, in ? "in" : "out",
		       exit_reason_str(run->exit_reason));
	if (r || run->exit_reason != KVMINI_EXIT_IO)
		return false;
	EXPECT_EQ(port, run->io.port);
	EXPECT_EQ(in ? KVMINI_EXIT_IO_IN : KVMINI_EXIT_IO_OUT, run->io.direction)
		TH_LOG("port %#x", port);
	EXPECT_EQ(size, run->io.size) TH_LOG("port %#x", port);
	EXPECT_EQ(1U, run->io.count) TH_LOG("port %#x", port);
	if (run->io.port != port || run->io.size != size)
		return false;
	if (in) {
		v = in_val(port, size);
		memcpy(vcpu_io_data(vcpu), &v, size);
	} else {
		memcpy(&v, vcpu_io_data(vcpu), size);
		EXPECT_EQ(out_val(port, size), v) TH_LOG("OUT to port %#x", port);
	}
	return _metadata->passed;
}

/* Minutes under Bochs: longer than the harness's default 30 s. */
FIXTURE(slow) {};
FIXTURE_SETUP(slow) {}
FIXTURE_TEARDOWN(slow) {}

TEST_F_TIMEOUT(slow, every_port, 900)
{
	struct kvmini_vcpu *vcpu;
	struct kvmini_vm *vm = vm_create_guest(guest_ports, &vcpu);
	unsigned long exits = 0;
	struct ucall uc;
	uint32_t port;
	unsigned int i, s;
	double t0;

	REQUIRE_VM(vm);
	t0 = now();
	for (port = 0; port < 0x10000; port++, exits += 2) {
		if (!io_exit(_metadata, vcpu, port, true, 1) ||
		    !io_exit(_metadata, vcpu, port, false, 1))
			goto out;
		if (port == 0xfff)
			TH_LOG("%lu port exits in %.1f s", exits + 2, now() - t0);
	}
	for (i = 0; i < NR_WIDE; i++)
		for (s = 2; s <= 4; s += 2, exits += 2)
			if (!io_exit(_metadata, vcpu, wide_ports[i], true, s) ||
			    !io_exit(_metadata, vcpu, wide_ports[i], false, s))
				goto out;
	ASSERT_EQ(UCALL_DONE, vcpu_run_ucall(vcpu, &uc));
	EXPECT_EQ(0ULL, GUEST_VAR(vm, g_bad_in)) TH_LOG("INs that got another value");
out:
	TH_LOG("%lu port exits in %.1f s", exits, now() - t0);
	vm_free(vm);
}

TEST_HARNESS_MAIN
