// SPDX-License-Identifier: GPL-2.0
/*
 * Port I/O: IN, OUT, and the string forms INS and OUTS with or without
 * REP. The backend decodes the exit into a struct kvmini_io; every port
 * goes to the VMM as KVMINI_EXIT_IO, the data in the vCPU's PIO page
 * (page 1 of its mmap), but for the ports of in-kernel devices (the PICs,
 * the PIT: served here, an element at a time for strings) and an OUT, or
 * an element of OUTS, that an ioeventfd takes (ioeventfd.c): over without
 * an exit.
 *
 * As KVM: IN and INS finish on the next RUN (the register written, or the
 * elements stored through the guest's paging), unless the VMM moved RIP
 * meanwhile; OUT and OUTS are over before their exit. INS reads ahead up
 * to 1 KiB of elements within the destination page in one exit (one
 * element if that memory is not RAM, so that a device sees each element);
 * OUTS sends one element per exit. String memory accesses go through
 * emulate.c: to and from RAM directly, elsewhere (a read-only slot, no
 * slot) as MMIO exits.
 */
#include <linux/kernel.h>
#include <linux/mm.h>

#include "kvmini.h"
#include "trace.h"

#define PIO_READ_AHEAD		1024	/* bytes of INS elements per exit, as KVM */

/* The in-kernel devices' ports (the PICs, the PIT): true if one took it. */
static bool kernel_pio(struct kvmini_vcpu *vcpu, u16 port, unsigned int size, void *data,
		       bool in)
{
	return kvmini_pic_pio(vcpu, port, size, data, in) ||
	       kvmini_pit_pio(vcpu, port, size, data, in);
}

static int pio_exit(struct kvmini_vcpu *vcpu, u32 count)
{
	struct kvmini_run *run = vcpu->run;
	const struct kvmini_io *io = &vcpu->pio.io;

	vcpu->pio.count = count;
	vcpu->stat.io_exits++;
	trace_kvmini_pio(vcpu->id, io->in, io->port, io->size, count);
	run->exit_reason = KVMINI_EXIT_IO;
	run->io.direction = io->in ? KVMINI_EXIT_IO_IN : KVMINI_EXIT_IO_OUT;
	run->io.size = io->size;
	run->io.port = io->port;
	run->io.count = count;
	run->io.data_offset = KVMINI_PIO_PAGE_OFFSET * PAGE_SIZE;
	return EMU_EXIT;
}

static int complete_in(struct kvmini_vcpu *vcpu)
{
	u32 val = 0;

	memcpy(&val, vcpu->pio_data, vcpu->pio.io.size);
	kvmini_reg_write(vcpu, REG_RAX, vcpu->pio.io.size, val);
	return kvmini_complete_insn(vcpu);
}

/* --- INS --- */

static int ins_store(struct kvmini_vcpu *vcpu);

static int complete_ins_store(struct kvmini_vcpu *vcpu)
{
	kvmini_access_complete(vcpu, &vcpu->pio.access, vcpu->pio_data);
	return ins_store(vcpu);
}

/* Store the elements (MMIO exits where needed), then step rDI, rCX. */
static int ins_store(struct kvmini_vcpu *vcpu)
{
	const struct kvmini_io *io = &vcpu->pio.io;
	int r = kvmini_access_run(vcpu, &vcpu->pio.access, vcpu->pio_data,
				  complete_ins_store);

	if (r != EMU_CONTINUE)
		return r;
	if (kvmini_string_step(vcpu, BIT(REG_RDI), io->size, vcpu->pio.count, io->rep,
			       io->addr_size))
		return kvmini_complete_insn(vcpu);
	return EMU_REENTER;	/* REP: the instruction runs on */
}

/*
 * The VMM's elements are in the PIO page. As KVM, the registers are
 * followed as they are now: if the VMM lowered rCX, fewer are stored.
 */
static int complete_ins(struct kvmini_vcpu *vcpu)
{
	const struct kvmini_io *io = &vcpu->pio.io;
	unsigned long mask = kvmini_addr_mask(io->addr_size);
	u32 n = vcpu->pio.count;
	u64 la;
	int r;

	if (io->rep)
		n = min_t(u64, n, vcpu->regs[REG_RCX] & mask);
	vcpu->pio.count = n;
	if (!n)
		return kvmini_complete_insn(vcpu);
	la = kvmini_linear(vcpu, SEG_ES, vcpu->regs[REG_RDI] & mask);
	if (vcpu->rflags & X86_EFLAGS_DF) {	/* elements go down from rDI */
		u8 *d = vcpu->pio_data, t;
		unsigned int i, j, b, size = io->size;

		for (i = 0, j = n - 1; i < j; i++, j--)
			for (b = 0; b < size; b++) {
				t = d[i * size + b];
				d[i * size + b] = d[j * size + b];
				d[j * size + b] = t;
			}
		la -= (u64)(n - 1) * size;
	}
	r = kvmini_access_translate(vcpu, &vcpu->pio.access, la, n * io->size, true);
	return r == EMU_CONTINUE ? ins_store(vcpu) : r;
}

/* Is [@la, @la + @len) RAM the guest may write? Only a probe: no fault. */
static bool ins_to_ram(struct kvmini_vcpu *vcpu, u64 la, unsigned int len)
{
	u32 access = KVMINI_PF_WRITE | (kvmini_backend->cpl(vcpu) == 3 ? KVMINI_PF_USER : 0);
	struct kvmini_paging pg;
	u64 gpa;
	u32 pf;

	kvmini_backend->get_paging(vcpu, &pg);
	return !kvmini_gva_to_gpa(vcpu->vm, &pg, la, access, &gpa, &pf) &&
	       kvmini_gpa_is_ram(vcpu->vm, gpa, true);
}

static int ins(struct kvmini_vcpu *vcpu)
{
	const struct kvmini_io *io = &vcpu->pio.io;
	unsigned long mask = kvmini_addr_mask(io->addr_size);
	unsigned long rdi = vcpu->regs[REG_RDI] & mask;
	bool down = vcpu->rflags & X86_EFLAGS_DF;
	u32 in_page, count = 1;
	u64 la;

	in_page = down ? offset_in_page(rdi) / io->size + 1
		       : (PAGE_SIZE - offset_in_page(rdi)) / io->size;
	if (io->rep)
		count = max(1U, min3((u32)min_t(u64, vcpu->regs[REG_RCX] & mask, U32_MAX),
				     in_page, PIO_READ_AHEAD / io->size));
	if (count > 1) {
		la = kvmini_linear(vcpu, SEG_ES, rdi);
		if (down)
			la -= (u64)(count - 1) * io->size;
		if (!ins_to_ram(vcpu, la, count * io->size))
			count = 1;
	}
	/* An in-kernel device's port: one element at a time, no exit. */
	if (kernel_pio(vcpu, io->port, io->size, vcpu->pio_data, true)) {
		vcpu->pio.count = 1;
		return complete_ins(vcpu);
	}
	vcpu->complete = complete_ins;
	return pio_exit(vcpu, count);
}

/* --- OUTS --- */

/*
 * The element is in the PIO page: rSI, rCX step, and it goes out (to an
 * ioeventfd, or the VMM).
 */
static int outs_send(struct kvmini_vcpu *vcpu)
{
	const struct kvmini_io *io = &vcpu->pio.io;

	/* As KVM: REP OUTS stays on itself until it finds rCX at 0. */
	kvmini_string_step(vcpu, BIT(REG_RSI), io->size, 1, io->rep, io->addr_size);
	if (!io->rep)
		kvmini_complete_insn(vcpu);
	vcpu->complete = NULL;
	if (kernel_pio(vcpu, io->port, io->size, vcpu->pio_data, false) ||
	    kvmini_ioeventfd_write(vcpu->vm, true, io->port, io->size, vcpu->pio_data))
		return EMU_REENTER;
	return pio_exit(vcpu, 1);
}

static int outs_load(struct kvmini_vcpu *vcpu);

static int complete_outs_load(struct kvmini_vcpu *vcpu)
{
	kvmini_access_complete(vcpu, &vcpu->pio.access, vcpu->pio_data);
	return outs_load(vcpu);
}

static int outs_load(struct kvmini_vcpu *vcpu)
{
	int r = kvmini_access_run(vcpu, &vcpu->pio.access, vcpu->pio_data,
				  complete_outs_load);

	return r == EMU_CONTINUE ? outs_send(vcpu) : r;
}

static int outs(struct kvmini_vcpu *vcpu)
{
	const struct kvmini_io *io = &vcpu->pio.io;
	u64 la = kvmini_linear(vcpu, io->seg,
			       vcpu->regs[REG_RSI] & kvmini_addr_mask(io->addr_size));
	int r = kvmini_access_translate(vcpu, &vcpu->pio.access, la, io->size, false);

	return r == EMU_CONTINUE ? outs_load(vcpu) : r;
}

/*
 * What the hardware did not decode of a string instruction (its address
 * size, OUTS's segment) comes from the instruction itself.
 */
static int string_operands(struct kvmini_vcpu *vcpu)
{
	struct kvmini_io *io = &vcpu->pio.io;
	struct insn in;
	int r;

	r = kvmini_decode_insn(vcpu, &in, 0);
	if (r != EMU_CONTINUE)
		return r;
	if (in.op != (io->in ? INSN_INS : INSN_OUTS) || in.size != io->size)
		return kvmini_emulation_failure(vcpu, in.bytes, in.len, 0);
	io->addr_size = in.addr_size;
	io->seg = in.seg;
	io->rep = in.rep;
	return EMU_CONTINUE;
}

/*
 * A port I/O exit of an instruction of @len bytes, as the backend decoded
 * it. Registers and RIP change only once it is complete (see above).
 */
int kvmini_exit_pio(struct kvmini_vcpu *vcpu, const struct kvmini_io *io, unsigned int len)
{
	int r;

	vcpu->pio.io = *io;
	vcpu->complete_rip = vcpu->rip;
	vcpu->next_rip = vcpu->rip + len;
	if (!io->string) {
		u32 val = vcpu->regs[REG_RAX];

		if (kernel_pio(vcpu, io->port, io->size, &val, io->in)) {
			if (io->in)
				kvmini_reg_write(vcpu, REG_RAX, io->size, val);
			return kvmini_skip_insn(vcpu, len);
		}
		if (io->in) {
			vcpu->complete = complete_in;
		} else {
			if (kvmini_ioeventfd_write(vcpu->vm, true, io->port, io->size,
						   &vcpu->regs[REG_RAX]))
				return kvmini_skip_insn(vcpu, len);
			memcpy(vcpu->pio_data, &vcpu->regs[REG_RAX], io->size);
			vcpu->complete = kvmini_complete_insn;
		}
		return pio_exit(vcpu, 1);
	}
	if (!io->addr_size || io->seg == KVMINI_IO_SEG_UNKNOWN) {
		r = string_operands(vcpu);
		if (r != EMU_CONTINUE)
			return r;
	}
	if (vcpu->pio.io.rep &&
	    !(vcpu->regs[REG_RCX] & kvmini_addr_mask(vcpu->pio.io.addr_size)))
		return kvmini_skip_insn(vcpu, len);	/* REP with rCX = 0: nothing */
	return io->in ? ins(vcpu) : outs(vcpu);
}
