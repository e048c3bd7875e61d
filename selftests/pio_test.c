// SPDX-License-Identifier: GPL-2.0
/*
 * Port I/O exits (KVMINI_EXIT_IO), as KVM reports them: at the exit RIP
 * still points at the I/O instruction, and the data is at data_offset
 * (the page after kvmini_run).  The VMM's answer to an IN is consumed by
 * the next KVMINI_RUN: AL/AX keep the rest of RAX, EAX zero-extends.
 * String forms: each OUTS element is one exit (count 1) with RCX/RSI
 * already stepped; INS exits once per batch (count = elements, up to the
 * end of the page and 1024 bytes) and RCX/RDI step when the data lands.
 */
#include "kvmini_util.h"
#include "kvmini_vm.h"
#include "kselftest_harness.h"

#define PORT	0x3f8

extern char guest_out[], out_b[], out_w[], out_l[], out_dx[];
extern char guest_in[], in_b[], in_w[], in_l[];
extern char rep_outsb[], rep_outsw[], rep_outsl[], outsb1[];
extern char rep_insb[], rep_insw[], rep_insl[], insb1[];
asm(".pushsection .text\n"
    "guest_out: movabs $0x1122334455667788, %rax\n"
    "out_b:	outb %al, $0x80\n"
    "out_w:	outw %ax, $0x81\n"
    "out_l:	outl %eax, $0x82\n"
    "	mov $0x3f8, %dx\n"
    "out_dx: outl %eax, %dx\n"
    "	hlt\n"
    "guest_in: movabs $0xaaaaaaaaaaaaaaaa, %rax\n"
    "in_b:	inb $0x80, %al\n"
    "	mov %rax, %rbx\n"
    "	movabs $0xaaaaaaaaaaaaaaaa, %rax\n"
    "in_w:	inw $0x81, %ax\n"
    "	mov %rax, %rcx\n"
    "	movabs $0xaaaaaaaaaaaaaaaa, %rax\n"
    "	mov $0x3f8, %dx\n"
    "in_l:	inl %dx, %eax\n"
    "	hlt\n"
    /* String forms: the host sets RCX, RSI/RDI, DX and RIP. */
    "rep_outsb: rep outsb; hlt\n"
    "rep_outsw: rep outsw; hlt\n"
    "rep_outsl: rep outsl; hlt\n"
    "outsb1: outsb; hlt\n"
    "rep_insb: rep insb; hlt\n"
    "rep_insw: rep insw; hlt\n"
    "rep_insl: rep insl; hlt\n"
    "insb1:	insb; hlt\n"
    ".popsection");

static uint8_t pio_buf[3 * 4096] __attribute__((aligned(4096)));

/* Run to the next exit: an IO exit of @dir/@size/@port at @rip. */
static uint8_t *expect_io(struct __test_metadata *_metadata, struct kvmini_vcpu *vcpu,
			  int dir, int size, int port, uint32_t count, char *rip)
{
	struct kvmini_regs regs;

	vcpu_run_expect(vcpu, KVMINI_EXIT_IO);
	EXPECT_EQ(dir, vcpu->run->io.direction);
	EXPECT_EQ(size, vcpu->run->io.size);
	EXPECT_EQ(port, vcpu->run->io.port);
	EXPECT_EQ(count, vcpu->run->io.count);
	EXPECT_EQ(KVMINI_PIO_PAGE_OFFSET * 4096ULL, vcpu->run->io.data_offset);
	vcpu_ioctl(vcpu, KVMINI_GET_REGS, &regs);
	EXPECT_EQ((uintptr_t)rip, regs.rip);
	return vcpu_io_data(vcpu);
}

TEST(out_sizes)
{
	struct kvmini_vcpu *vcpu;
	struct kvmini_vm *vm = vm_create_guest(guest_out, &vcpu);
	uint8_t *d;

	REQUIRE_VM(vm);
	d = expect_io(_metadata, vcpu, KVMINI_EXIT_IO_OUT, 1, 0x80, 1, out_b);
	EXPECT_EQ(0x88, d[0]);
	d = expect_io(_metadata, vcpu, KVMINI_EXIT_IO_OUT, 2, 0x81, 1, out_w);
	EXPECT_EQ(0x7788, *(uint16_t *)d);
	d = expect_io(_metadata, vcpu, KVMINI_EXIT_IO_OUT, 4, 0x82, 1, out_l);
	EXPECT_EQ(0x55667788U, *(uint32_t *)d);
	d = expect_io(_metadata, vcpu, KVMINI_EXIT_IO_OUT, 4, PORT, 1, out_dx);
	EXPECT_EQ(0x55667788U, *(uint32_t *)d);
	vcpu_run_expect(vcpu, KVMINI_EXIT_HLT);
	vm_free(vm);
}

TEST(in_sizes)
{
	struct kvmini_vcpu *vcpu;
	struct kvmini_vm *vm = vm_create_guest(guest_in, &vcpu);
	struct kvmini_regs regs;
	uint8_t *d;

	REQUIRE_VM(vm);
	d = expect_io(_metadata, vcpu, KVMINI_EXIT_IO_IN, 1, 0x80, 1, in_b);
	memcpy(d, "\x11\x22\x33\x44", 4);
	d = expect_io(_metadata, vcpu, KVMINI_EXIT_IO_IN, 2, 0x81, 1, in_w);
	/* The IN is not complete until the next run: RAX is still as it was. */
	vcpu_ioctl(vcpu, KVMINI_GET_REGS, &regs);
	EXPECT_EQ(0xaaaaaaaaaaaaaaaaULL, regs.rax);
	memcpy(d, "\x55\x66\x77\x88", 4);
	d = expect_io(_metadata, vcpu, KVMINI_EXIT_IO_IN, 4, PORT, 1, in_l);
	memcpy(d, "\x99\xaa\xbb\xcc", 4);
	vcpu_run_expect(vcpu, KVMINI_EXIT_HLT);
	vcpu_ioctl(vcpu, KVMINI_GET_REGS, &regs);
	EXPECT_EQ(0xaaaaaaaaaaaaaa11ULL, regs.rbx);
	EXPECT_EQ(0xaaaaaaaaaaaa6655ULL, regs.rcx);
	EXPECT_EQ(0xccbbaa99ULL, regs.rax);
	vm_free(vm);
}

/* String I/O: one variant per instruction, count and buffer offset. */
FIXTURE(pio) {
	struct kvmini_vm *vm;
	struct kvmini_vcpu *vcpu;
};

FIXTURE_SETUP(pio)
{
	self->vm = vm_create_guest(guest_out, &self->vcpu);
	REQUIRE_VM_SETUP(self->vm);
}

FIXTURE_TEARDOWN(pio)
{
	vm_free(self->vm);
}

FIXTURE_VARIANT(pio) {
	char *insn;
	int len;		/* instruction bytes; 1: no REP */
	int size;
	bool in;
	uint64_t rcx;
	uint32_t off;		/* buffer offset in pio_buf */
	uint32_t batch[2];	/* INS: count of each exit */
};
#define STR(n, i, l, s, d, c, o, ...) \
	FIXTURE_VARIANT_ADD(pio, n) { i, l, s, d, c, o, { __VA_ARGS__ } }
STR(rep_outsb, rep_outsb, 2, 1, false, 5, 0x10);
STR(rep_outsw, rep_outsw, 3, 2, false, 3, 0x20);
STR(rep_outsl, rep_outsl, 2, 4, false, 2, 0xffc);	/* crosses a page */
STR(outsb, outsb1, 1, 1, false, 7, 0x30);		/* no REP: RCX ignored */
STR(rep_insb, rep_insb, 2, 1, true, 4, 0x10, 4);
STR(rep_insw, rep_insw, 3, 2, true, 3, 0x20, 3);
STR(rep_insl, rep_insl, 2, 4, true, 2, 0x40, 2);
STR(insb, insb1, 1, 1, true, 7, 0x30, 1);
STR(rep_insb_page, rep_insb, 2, 1, true, 32, 0xff0, 16, 16);
STR(rep_insb_1k, rep_insb, 2, 1, true, 1280, 0x1000, 1024, 256);
STR(rep_zero, rep_insb, 2, 1, true, 0, 0x10);

TEST_F(pio, string)
{
	struct kvmini_vcpu *vcpu = self->vcpu;
	uint8_t *buf = &GUEST_VAR(self->vm, pio_buf[0]), *d;
	uint64_t n = variant->len == 1 ? 1 : variant->rcx, done = 0, i;
	uint64_t start = (uintptr_t)pio_buf + variant->off;
	struct kvmini_regs regs;
	int e = 0;

	for (i = 0; i < sizeof(pio_buf); i++)
		buf[i] = variant->in ? 0xcc : i * 7 + 1;
	vcpu_ioctl(vcpu, KVMINI_GET_REGS, &regs);
	regs.rip = (uintptr_t)variant->insn;
	regs.rcx = variant->rcx;
	regs.rsi = regs.rdi = start;
	regs.rdx = PORT;
	vcpu_ioctl(vcpu, KVMINI_SET_REGS, &regs);

	while (done < n) {
		uint32_t count = variant->in ? variant->batch[e++] : 1;

		/* RIP: at the instruction, but past a single OUTS. */
		d = expect_io(_metadata, vcpu, variant->in ? KVMINI_EXIT_IO_IN :
			      KVMINI_EXIT_IO_OUT, variant->size, PORT, count,
			      variant->insn + (!variant->in && variant->len == 1));
		vcpu_ioctl(vcpu, KVMINI_GET_REGS, &regs);
		if (variant->in) {
			/* RCX/RDI move when the data is written, next run. */
			for (i = 0; i < count * variant->size; i++)
				d[i] = 0x40 + done * variant->size + i;
			EXPECT_EQ(variant->rcx - done, regs.rcx);
			EXPECT_EQ(start + done * variant->size, regs.rdi);
		} else {
			EXPECT_EQ(0, memcmp(d, buf + variant->off + done * variant->size,
					    variant->size));
			done += 1;
			EXPECT_EQ(variant->len == 1 ? variant->rcx : variant->rcx - done,
				  regs.rcx);
			EXPECT_EQ(start + done * variant->size, regs.rsi);
			continue;
		}
		done += count;
		ASSERT_LE(e, 2);
	}
	vcpu_run_expect(vcpu, KVMINI_EXIT_HLT);
	vcpu_ioctl(vcpu, KVMINI_GET_REGS, &regs);
	EXPECT_EQ((uintptr_t)variant->insn + variant->len + 1, regs.rip);
	EXPECT_EQ(variant->len == 1 ? variant->rcx : 0, regs.rcx);
	EXPECT_EQ(start + n * variant->size, variant->in ? regs.rdi : regs.rsi);
	EXPECT_EQ(start, variant->in ? regs.rsi : regs.rdi);
	if (variant->in) {
		for (i = 0; i < n * variant->size; i++)
			ASSERT_EQ((uint8_t)(0x40 + i), buf[variant->off + i]);
		EXPECT_EQ(0xcc, buf[variant->off - 1]);
		EXPECT_EQ(0xcc, buf[variant->off + i]);
	}
}

TEST_HARNESS_MAIN
