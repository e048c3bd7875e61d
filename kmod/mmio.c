// SPDX-License-Identifier: GPL-2.0
/*
 * MMIO emulation. A guest access to guest-physical memory outside every
 * slot, or a write to a read-only slot, is an access to a device the VMM
 * emulates. The instruction is fetched and decoded (emulate.c, insn.c)
 * and carried out piece by piece: memory in slots directly, device memory
 * through KVMINI_EXIT_MMIO. As KVM: a read finishes (register, flags, RIP)
 * on the RUN after its exit; a write is committed before its exit, so RIP
 * has already moved on when the VMM sees it.
 */
#include <linux/kernel.h>
#include <linux/mm.h>

#include "kvmini.h"
#include "insn.h"

static u64 sign_extend(u64 val, unsigned int size)
{
	return size == 8 ? val : (u64)sign_extend64(val, size * 8 - 1);
}

/* Linear address of the r/m operand; *bit for BT with a register offset. */
static u64 operand_la(struct kvmini_vcpu *vcpu, const struct insn *in, u64 *bit)
{
	u64 ea = kvmini_operand_ea(vcpu, in);

	*bit = in->imm;
	if (in->op == INSN_BT && !in->has_imm) {
		/* A register bit offset reaches anywhere in a bit string. */
		s64 off = sign_extend(kvmini_reg_read(vcpu, in->reg, in->size), in->size);

		ea += (off >> (ilog2(in->size) + 3)) * in->size;
		*bit = off;
	}
	return kvmini_linear(vcpu, in->seg, ea & kvmini_addr_mask(in->addr_size));
}

static int mmio_write(struct kvmini_vcpu *vcpu);

static int complete_write(struct kvmini_vcpu *vcpu)
{
	kvmini_access_complete(vcpu, &vcpu->mmio.wr, vcpu->mmio.out);
	return mmio_write(vcpu);
}

static int mmio_write(struct kvmini_vcpu *vcpu)
{
	int r = kvmini_access_run(vcpu, &vcpu->mmio.wr, vcpu->mmio.out, complete_write);

	return r == EMU_CONTINUE ? EMU_REENTER : r;
}

/*
 * The memory operand's value is in mmio.in (if it is read): do the
 * instruction's work, commit registers, flags and RIP, then write.
 */
static int mmio_execute(struct kvmini_vcpu *vcpu)
{
	const struct insn *in = &vcpu->mmio.insn;
	unsigned int size = in->size;
	u64 val = 0, src, out = 0, rflags = vcpu->rflags;
	bool retire = true;

	/*
	 * REP MOVS whose count the VMM set to 0 at the source's exit: the
	 * element is dropped and the instruction is over (as KVM, which
	 * follows the registers as they are now).
	 */
	if (in->op == INSN_MOVS && in->rep &&
	    !(vcpu->regs[REG_RCX] & kvmini_addr_mask(in->addr_size)))
		return kvmini_skip_insn(vcpu, in->len);

	/* MOVS: the destination is looked at once the source is read. */
	if (in->op == INSN_MOVS) {
		int r = kvmini_access_translate(vcpu, &vcpu->mmio.wr, vcpu->mmio.dst_la,
						size, true);

		if (r != EMU_CONTINUE)
			return r;
	}
	memcpy(&val, vcpu->mmio.in, size);
	src = in->has_imm ? in->imm :
	      in->reg != INSN_NONE ? kvmini_reg_read(vcpu, in->reg, size) : 0;

	switch (in->op) {
	case INSN_MOV:
		if (in->reg_dst)
			kvmini_reg_write(vcpu, in->reg, size, val);
		out = src;
		break;
	case INSN_MOVZX:
		kvmini_reg_write(vcpu, in->reg, in->reg_size, val);
		break;
	case INSN_MOVSX:
		kvmini_reg_write(vcpu, in->reg, in->reg_size, sign_extend(val, size));
		break;
	case INSN_ALU:
		if (in->reg_dst) {
			u64 res = insn_alu(in->alu, size, src, val, &rflags);

			if (in->alu != ALU_CMP && in->alu != ALU_TEST)
				kvmini_reg_write(vcpu, in->reg, size, res);
		} else {
			out = insn_alu(in->alu, size, val, src, &rflags);
		}
		break;
	case INSN_XCHG:
		kvmini_reg_write(vcpu, in->reg, size, val);
		out = src;
		break;
	case INSN_BT:
		out = insn_alu(in->alu, size, val, vcpu->mmio.bit, &rflags);
		break;
	case INSN_MOVS:
		out = val;
		retire = kvmini_string_step(vcpu, BIT(REG_RSI) | BIT(REG_RDI), size, 1,
					    in->rep, in->addr_size);
		break;
	case INSN_STOS:
		out = kvmini_reg_read(vcpu, REG_RAX, size);
		retire = kvmini_string_step(vcpu, BIT(REG_RDI), size, 1, in->rep, in->addr_size);
		break;
	}
	vcpu->rflags = rflags;
	if (retire)
		kvmini_skip_insn(vcpu, in->len);
	if (!in->mem_write)
		return EMU_REENTER;
	memcpy(vcpu->mmio.out, &out, size);
	return mmio_write(vcpu);
}

static int mmio_read(struct kvmini_vcpu *vcpu);

static int complete_read(struct kvmini_vcpu *vcpu)
{
	kvmini_access_complete(vcpu, &vcpu->mmio.rd, vcpu->mmio.in);
	return mmio_read(vcpu);
}

static int mmio_read(struct kvmini_vcpu *vcpu)
{
	int r = kvmini_access_run(vcpu, &vcpu->mmio.rd, vcpu->mmio.in, complete_read);

	return r == EMU_CONTINUE ? mmio_execute(vcpu) : r;
}

/* The instructions an MMIO access may come from (insn.h's MMIO forms). */
static bool mmio_form(const struct insn *in)
{
	return in->op <= INSN_STOS;
}

/*
 * A nested page fault at @gpa that no slot serves (or a write to a
 * read-only slot); @fetch: by an instruction fetch, which cannot be
 * emulated.
 */
int kvmini_emulate_mmio(struct kvmini_vcpu *vcpu, u64 gpa, bool fetch)
{
	struct insn *in = &vcpu->mmio.insn;
	unsigned long mask;
	u64 la, la2;
	int r;

	if (fetch)
		return kvmini_emulation_failure(vcpu, NULL, 0, gpa);
	r = kvmini_decode_insn(vcpu, in, gpa);
	if (r != EMU_CONTINUE)
		return r;
	if (!mmio_form(in))
		return kvmini_emulation_failure(vcpu, in->bytes, in->len, gpa);

	mask = kvmini_addr_mask(in->addr_size);
	vcpu->mmio.rd.npieces = vcpu->mmio.wr.npieces = 0;
	vcpu->mmio.rd.cur = vcpu->mmio.wr.cur = 0;
	if (in->op == INSN_MOVS || in->op == INSN_STOS) {
		if (in->rep && !(vcpu->regs[REG_RCX] & mask))
			return kvmini_skip_insn(vcpu, in->len);	/* nothing to do */
		la = kvmini_linear(vcpu, in->seg, vcpu->regs[REG_RSI] & mask);
		la2 = kvmini_linear(vcpu, SEG_ES, vcpu->regs[REG_RDI] & mask);
	} else {
		la = la2 = operand_la(vcpu, in, &vcpu->mmio.bit);
	}
	/*
	 * The operand is translated before it is accessed (for a write
	 * too: a read-modify-write faults before it reads), except MOVS's
	 * destination, as the CPU: its source read comes first.
	 */
	vcpu->mmio.dst_la = la2;
	r = in->mem_read ? kvmini_access_translate(vcpu, &vcpu->mmio.rd, la, in->size, false)
			 : EMU_CONTINUE;
	if (r == EMU_CONTINUE && in->mem_write && in->op != INSN_MOVS)
		r = kvmini_access_translate(vcpu, &vcpu->mmio.wr, la2, in->size, true);
	if (r != EMU_CONTINUE)
		return r;
	return mmio_read(vcpu);
}
