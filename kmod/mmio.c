// SPDX-License-Identifier: GPL-2.0
/*
 * MMIO emulation. A guest access to guest-physical memory outside every
 * slot, or a write to a read-only slot, is an access to a device the VMM
 * emulates. The instruction is fetched and decoded (emulate.c, insn.c)
 * and carried out piece by piece: memory in slots directly, device memory
 * through KVMINI_EXIT_MMIO. As KVM: a read finishes (register, flags, RIP)
 * on the RUN after its exit; a write is committed before its exit, so RIP
 * has already moved on when the VMM sees it. A string instruction does one
 * element per emulation: with REP it stays at its RIP, and the guest runs
 * it again for the next one (natively where it then touches only RAM).
 */
#include <linux/kernel.h>
#include <linux/mm.h>
#include <asm/trapnr.h>

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

/*
 * PUSH and POP: where they read and write. PUSH reads its operand (FF /6)
 * and writes SS:[rSP - size]; POP reads SS:[rSP] and writes its operand
 * (8F /0), whose address uses rSP as the POP leaves it.
 */
static void stack_las(struct kvmini_vcpu *vcpu, const struct insn *in, u64 *la, u64 *la2)
{
	u64 rsp = vcpu->regs[REG_RSP], mask = kvmini_addr_mask(in->addr_size);

	if (in->op == INSN_PUSH) {
		*la2 = kvmini_linear(vcpu, SEG_SS, rsp - in->size);
		if (in->reg == INSN_NONE && !in->has_imm)
			*la = kvmini_linear(vcpu, in->seg, kvmini_operand_ea(vcpu, in) & mask);
	} else {
		*la = kvmini_linear(vcpu, SEG_SS, rsp);
		if (in->mem_write) {
			vcpu->regs[REG_RSP] += in->size;
			*la2 = kvmini_linear(vcpu, in->seg, kvmini_operand_ea(vcpu, in) & mask);
			vcpu->regs[REG_RSP] = rsp;
		}
	}
}

/* The string forms mmio.c emulates (not INS/OUTS: pio.c). */
static bool string_form(const struct insn *in)
{
	return in->op >= INSN_MOVS && in->op <= INSN_CMPS;
}

/*
 * A REP string instruction whose count the VMM set to 0 at one of its
 * read exits: the element is dropped and the instruction is over (as
 * KVM, which follows the registers as they are now). Also a REP with
 * rCX = 0 from the start: nothing to do.
 */
static bool rep_zeroed(struct kvmini_vcpu *vcpu, const struct insn *in)
{
	return string_form(in) && in->rep &&
	       !(vcpu->regs[REG_RCX] & kvmini_addr_mask(in->addr_size));
}

/* After an element of REPE/REPNE CMPS/SCAS: REPE ends at ZF = 0, REPNE at 1. */
static bool rep_cond_ends(const struct insn *in, u64 rflags)
{
	return in->rep && !(rflags & X86_EFLAGS_ZF) != in->repne;
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
 * The memory operand's value is in mmio.in (if it is read; CMPS's second
 * one in mmio.in2): do the instruction's work, commit registers, flags
 * and RIP, then write.
 */
static int mmio_execute(struct kvmini_vcpu *vcpu)
{
	const struct insn *in = &vcpu->mmio.insn;
	unsigned int size = in->size;
	u64 val = 0, val2 = 0, src, out = 0, rflags = vcpu->rflags;
	bool retire = true;

	/* MOVS: the destination is looked at once the source is read. */
	if (in->op == INSN_MOVS) {
		int r = kvmini_access_translate(vcpu, &vcpu->mmio.wr, vcpu->mmio.dst_la,
						size, true);

		if (r != EMU_CONTINUE)
			return r;
	}
	/* SSE: 16 bytes, between memory and an XMM register. */
	if (in->op == INSN_SSE) {
		if (in->reg_dst)
			kvmini_write_xmm(in->reg, vcpu->mmio.in);
		else
			kvmini_read_xmm(in->reg, vcpu->mmio.out);
		kvmini_skip_insn(vcpu, in->len);
		return in->mem_write ? mmio_write(vcpu) : EMU_REENTER;
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
			/* As KVM: BSF/BSR of 0 leave the register as it is (upper half too). */
			bool keep = (in->alu == ALU_BSF || in->alu == ALU_BSR) && !val;

			if (in->alu != ALU_CMP && in->alu != ALU_TEST && !keep)
				kvmini_reg_write(vcpu, in->reg, size, res);
		} else {
			out = insn_alu(in->alu, size, val, src, &rflags);
		}
		break;
	case INSN_XCHG:
		kvmini_reg_write(vcpu, in->reg, size, val);
		out = src;
		break;
	case INSN_XADD:
		out = insn_alu(ALU_ADD, size, val, src, &rflags);
		kvmini_reg_write(vcpu, in->reg, size, val);
		break;
	case INSN_CMPXCHG:
		/* Flags as CMP rAX, memory; memory is written either way (as the CPU). */
		insn_alu(ALU_CMP, size, kvmini_reg_read(vcpu, REG_RAX, size), val, &rflags);
		if (rflags & X86_EFLAGS_ZF) {
			out = src;
		} else {
			out = val;
			kvmini_reg_write(vcpu, REG_RAX, size, val);
		}
		break;
	case INSN_BT:
		out = insn_alu(in->alu, size, val, vcpu->mmio.bit, &rflags);
		break;
	case INSN_SETCC:
		out = insn_cond(in->alu, rflags);
		break;
	case INSN_CMOV:
		/* Not moved, a 32-bit register is still zero-extended (as the CPU, KVM). */
		if (insn_cond(in->alu, rflags))
			kvmini_reg_write(vcpu, in->reg, size, val);
		else if (size == 4)
			kvmini_reg_write(vcpu, in->reg, 4, kvmini_reg_read(vcpu, in->reg, 4));
		break;
	case INSN_MULDIV: {
		u64 ax = vcpu->regs[REG_RAX], dx = vcpu->regs[REG_RDX];

		if (insn_muldiv(in->alu, size, val, &ax, &dx, &rflags)) {
			kvmini_queue_exception(vcpu, X86_TRAP_DE, false, 0, 0);
			return EMU_REENTER;	/* a fault: nothing changed, RIP stays */
		}
		vcpu->regs[REG_RAX] = ax;
		vcpu->regs[REG_RDX] = dx;
		break;
	}
	case INSN_SMSW: {
		struct kvmini_paging pg;

		kvmini_backend->get_paging(vcpu, &pg);
		out = pg.cr0 & 0xffff;
		break;
	}
	case INSN_CLFLUSH:	/* as KVM: nothing to flush for a device */
		break;
	case INSN_PUSH:		/* the value first: PUSH RSP pushes the old one */
		out = in->mem_read ? val : src;	/* PUSH m, or reg/imm */
		vcpu->regs[REG_RSP] -= size;
		break;
	case INSN_POP:		/* rSP first: POP RSP loads the value */
		vcpu->regs[REG_RSP] += size;
		if (in->reg != INSN_NONE)
			kvmini_reg_write(vcpu, in->reg, size, val);
		out = val;
		break;
	case INSN_SHXD:
		out = insn_shxd(in->alu, size, val, kvmini_reg_read(vcpu, in->reg, size),
				in->has_imm ? in->imm : kvmini_reg_read(vcpu, REG_RCX, 1), &rflags);
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
	case INSN_LODS:		/* as MOV: LODSD zero-extends into RAX, AL/AX merge */
		kvmini_reg_write(vcpu, REG_RAX, size, val);
		retire = kvmini_string_step(vcpu, BIT(REG_RSI), size, 1, in->rep, in->addr_size);
		break;
	case INSN_SCAS:		/* CMP rAX, ES:[rDI] */
		insn_alu(ALU_CMP, size, kvmini_reg_read(vcpu, REG_RAX, size), val, &rflags);
		retire = kvmini_string_step(vcpu, BIT(REG_RDI), size, 1, in->rep, in->addr_size) ||
			 rep_cond_ends(in, rflags);
		break;
	case INSN_CMPS:		/* CMP seg:[rSI], ES:[rDI] */
		memcpy(&val2, vcpu->mmio.in2, size);
		insn_alu(ALU_CMP, size, val, val2, &rflags);
		retire = kvmini_string_step(vcpu, BIT(REG_RSI) | BIT(REG_RDI), size, 1, in->rep,
					    in->addr_size) ||
			 rep_cond_ends(in, rflags);
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
static int cmps_read_dst(struct kvmini_vcpu *vcpu);

static int complete_read(struct kvmini_vcpu *vcpu)
{
	kvmini_access_complete(vcpu, &vcpu->mmio.rd, vcpu->mmio.in);
	if (rep_zeroed(vcpu, &vcpu->mmio.insn))
		return kvmini_skip_insn(vcpu, vcpu->mmio.insn.len);
	return mmio_read(vcpu);
}

static int mmio_read(struct kvmini_vcpu *vcpu)
{
	const struct insn *in = &vcpu->mmio.insn;
	int r = kvmini_access_run(vcpu, &vcpu->mmio.rd, vcpu->mmio.in, complete_read);

	if (r != EMU_CONTINUE)
		return r;
	if (in->op != INSN_CMPS)
		return mmio_execute(vcpu);
	/* CMPS: ES:[rDI] is looked at once seg:[rSI] is read, as MOVS's. */
	r = kvmini_access_translate(vcpu, &vcpu->mmio.rd2, vcpu->mmio.dst_la, in->size, false);
	return r == EMU_CONTINUE ? cmps_read_dst(vcpu) : r;
}

static int complete_read_dst(struct kvmini_vcpu *vcpu)
{
	kvmini_access_complete(vcpu, &vcpu->mmio.rd2, vcpu->mmio.in2);
	if (rep_zeroed(vcpu, &vcpu->mmio.insn))
		return kvmini_skip_insn(vcpu, vcpu->mmio.insn.len);
	return cmps_read_dst(vcpu);
}

static int cmps_read_dst(struct kvmini_vcpu *vcpu)
{
	int r = kvmini_access_run(vcpu, &vcpu->mmio.rd2, vcpu->mmio.in2, complete_read_dst);

	return r == EMU_CONTINUE ? mmio_execute(vcpu) : r;
}

/* The instructions an MMIO access may come from (insn.h's MMIO forms). */
static bool mmio_form(const struct insn *in)
{
	return in->op <= INSN_CMPS;
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
	vcpu->stat.insn_emulation++;

	mask = kvmini_addr_mask(in->addr_size);
	vcpu->mmio.rd.npieces = vcpu->mmio.rd2.npieces = vcpu->mmio.wr.npieces = 0;
	vcpu->mmio.rd.cur = vcpu->mmio.rd2.cur = vcpu->mmio.wr.cur = 0;
	if (string_form(in)) {
		if (rep_zeroed(vcpu, in))
			return kvmini_skip_insn(vcpu, in->len);	/* nothing to do */
		/* la: what is read first (SCAS: ES:[rDI]), la2: ES:[rDI]. */
		la2 = kvmini_linear(vcpu, SEG_ES, vcpu->regs[REG_RDI] & mask);
		la = in->op == INSN_SCAS ? la2 :
		     kvmini_linear(vcpu, in->seg, vcpu->regs[REG_RSI] & mask);
	} else if (in->op == INSN_PUSH || in->op == INSN_POP) {
		la = la2 = 0;
		stack_las(vcpu, in, &la, &la2);
	} else {
		la = la2 = operand_la(vcpu, in, &vcpu->mmio.bit);
	}
	/*
	 * The operand is translated before it is accessed (for a write
	 * too: a read-modify-write faults before it reads), except the
	 * destination of MOVS and CMPS, as the CPU: the source read comes
	 * first.
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
