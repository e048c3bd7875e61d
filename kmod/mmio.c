// SPDX-License-Identifier: GPL-2.0
/*
 * MMIO emulation. A guest access to guest-physical memory outside every
 * slot, or a write to a read-only slot, is an access to a device the VMM
 * emulates. The instruction is fetched through the guest's own paging,
 * decoded (insn.c), and carried out piece by piece: memory in slots
 * directly, device memory through KVMINI_EXIT_MMIO, one exit per piece of
 * at most 8 bytes. As KVM: a read finishes (register, flags, RIP) on the
 * RUN after its exit; a write is committed before its exit, so RIP has
 * already moved on when the VMM sees it.
 */
#include <linux/kernel.h>
#include <linux/mm.h>

#include "kvmini.h"
#include "insn.h"

static unsigned long addr_mask(unsigned int size)
{
	return size == 8 ? ~0UL : (1UL << (size * 8)) - 1;
}

/* --- registers as the instruction names them --- */

static u64 reg_read(struct kvmini_vcpu *vcpu, int reg, unsigned int size)
{
	if (reg >= INSN_REG_AH)
		return (vcpu->regs[reg - INSN_REG_AH] >> 8) & 0xff;
	return vcpu->regs[reg] & addr_mask(size);
}

/* As x86: a 32-bit write zero-extends, 8- and 16-bit writes merge. */
static void reg_write(struct kvmini_vcpu *vcpu, int reg, unsigned int size, u64 val)
{
	unsigned long *r;

	if (reg >= INSN_REG_AH) {
		r = &vcpu->regs[reg - INSN_REG_AH];
		*r = (*r & ~0xff00UL) | ((val & 0xff) << 8);
		return;
	}
	r = &vcpu->regs[reg];
	if (size >= 4)
		*r = val & addr_mask(size);
	else
		*r = (*r & ~addr_mask(size)) | (val & addr_mask(size));
}

static u64 sign_extend(u64 val, unsigned int size)
{
	return size == 8 ? val : (u64)sign_extend64(val, size * 8 - 1);
}

/* --- the memory operand --- */

static u64 linear(struct kvmini_vcpu *vcpu, int seg, u64 ea)
{
	u64 la = kvmini_backend->seg_base(vcpu, seg) + ea;

	return kvmini_backend->cs_mode(vcpu) == 8 ? la : (u32)la;
}

/* Linear address of the r/m operand; *bit for BT with a register offset. */
static u64 operand_la(struct kvmini_vcpu *vcpu, const struct insn *in, u64 *bit)
{
	u64 ea = in->disp;

	if (in->base == INSN_RIP)
		ea += vcpu->rip + in->len;
	else if (in->base != INSN_NONE)
		ea += vcpu->regs[in->base];
	if (in->index != INSN_NONE)
		ea += vcpu->regs[in->index] * in->scale;
	*bit = in->imm;
	if (in->op == INSN_BT && !in->has_imm) {
		/* A register bit offset reaches anywhere in a bit string. */
		s64 off = sign_extend(reg_read(vcpu, in->reg, in->size), in->size);

		ea += (off >> (ilog2(in->size) + 3)) * in->size;
		*bit = off;
	}
	return linear(vcpu, in->seg, ea & addr_mask(in->addr_size));
}

/* What the steps before any access end in. */
enum { EMU_OK, EMU_REENTER, EMU_EXIT };	/* go on; #PF queued; exit set */

/* Split an access of @len bytes at @la into its pages; translate them. */
static int translate(struct kvmini_vcpu *vcpu, struct kvmini_mmio_access *a,
		     u64 la, unsigned int len, bool write)
{
	const struct kvmini_backend *be = kvmini_backend;
	struct kvmini_paging pg;
	u32 access = (write ? KVMINI_PF_WRITE : 0) |
		     (be->cpl(vcpu) == 3 ? KVMINI_PF_USER : 0);
	unsigned int i, n;
	u32 pf;
	int r;

	be->get_paging(vcpu, &pg);
	a->len = len;
	a->write = write;
	a->npieces = 0;
	for (i = 0; i < len; i += n) {
		struct kvmini_mmio_piece *p = &a->piece[a->npieces++];

		n = min_t(unsigned int, len - i, PAGE_SIZE - offset_in_page(la + i));
		r = kvmini_gva_to_gpa(vcpu->vm, &pg, la + i, access, &p->gpa, &pf);
		if (r == -EFAULT) {
			be->queue_exception(vcpu, 14, true, pf, la + i);
			return EMU_REENTER;
		}
		if (r) {	/* the guest's page tables are not in memory */
			kvmini_exit_internal(vcpu, KVMINI_INTERNAL_ERROR_EMULATION,
					     2, la + i, (u64)r);
			return EMU_EXIT;
		}
		p->off = i;
		p->len = n;
		p->ram = kvmini_gpa_is_ram(vcpu->vm, p->gpa, write);
	}
	return EMU_OK;
}

/*
 * Go on with access @a from its piece @a->cur: slot memory directly,
 * device memory by an exit. 1: done; 0: exit to userspace set up.
 */
static int access_pieces(struct kvmini_vcpu *vcpu, struct kvmini_mmio_access *a,
			 u8 *data, int (*complete)(struct kvmini_vcpu *))
{
	struct kvmini_run *run = vcpu->run;
	int r;

	for (; a->cur < a->npieces; a->cur++) {
		struct kvmini_mmio_piece *p = &a->piece[a->cur];

		if (p->ram) {
			r = a->write ? kvmini_write_gpa(vcpu->vm, p->gpa, data + p->off, p->len)
				     : kvmini_read_gpa(vcpu->vm, p->gpa, data + p->off, p->len);
			if (!r)
				continue;
			/* The slot went away meanwhile: a device access now. */
		}
		run->exit_reason = KVMINI_EXIT_MMIO;
		run->mmio.phys_addr = p->gpa;
		run->mmio.len = p->len;
		run->mmio.is_write = a->write;
		memset(run->mmio.data, 0, sizeof(run->mmio.data));
		if (a->write)
			memcpy(run->mmio.data, data + p->off, p->len);
		vcpu->complete = complete;
		vcpu->complete_rip = vcpu->rip;
		return 0;
	}
	return 1;
}

static int mmio_write(struct kvmini_vcpu *vcpu);

static int complete_write(struct kvmini_vcpu *vcpu)
{
	vcpu->mmio.wr.cur++;
	return mmio_write(vcpu);
}

static int mmio_write(struct kvmini_vcpu *vcpu)
{
	return access_pieces(vcpu, &vcpu->mmio.wr, vcpu->mmio.out, complete_write);
}

/* String instructions: step rSI/rDI, count rCX; RIP stays while rCX != 0. */
static bool string_step(struct kvmini_vcpu *vcpu, const struct insn *in)
{
	unsigned long mask = addr_mask(in->addr_size);
	long step = (vcpu->rflags & X86_EFLAGS_DF) ? -(long)in->size : in->size;
	unsigned long *rcx = &vcpu->regs[REG_RCX];

	if (in->op == INSN_MOVS)
		vcpu->regs[REG_RSI] = (vcpu->regs[REG_RSI] & ~mask) |
				      ((vcpu->regs[REG_RSI] + step) & mask);
	vcpu->regs[REG_RDI] = (vcpu->regs[REG_RDI] & ~mask) |
			      ((vcpu->regs[REG_RDI] + step) & mask);
	if (!in->rep)
		return true;
	*rcx = (*rcx & ~mask) | ((*rcx - 1) & mask);
	return !(*rcx & mask);
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

	/* MOVS: the destination is looked at once the source is read. */
	if (in->op == INSN_MOVS) {
		int r = translate(vcpu, &vcpu->mmio.wr, vcpu->mmio.dst_la, size, true);

		if (r != EMU_OK)
			return r == EMU_REENTER;
	}
	memcpy(&val, vcpu->mmio.in, size);
	src = in->has_imm ? in->imm : in->reg != INSN_NONE ? reg_read(vcpu, in->reg, size) : 0;

	switch (in->op) {
	case INSN_MOV:
		if (in->reg_dst)
			reg_write(vcpu, in->reg, size, val);
		out = src;
		break;
	case INSN_MOVZX:
		reg_write(vcpu, in->reg, in->reg_size, val);
		break;
	case INSN_MOVSX:
		reg_write(vcpu, in->reg, in->reg_size, sign_extend(val, size));
		break;
	case INSN_ALU:
		if (in->reg_dst) {
			u64 res = insn_alu(in->alu, size, src, val, &rflags);

			if (in->alu != ALU_CMP && in->alu != ALU_TEST)
				reg_write(vcpu, in->reg, size, res);
		} else {
			out = insn_alu(in->alu, size, val, src, &rflags);
		}
		break;
	case INSN_XCHG:
		reg_write(vcpu, in->reg, size, val);
		out = src;
		break;
	case INSN_BT:
		out = insn_alu(in->alu, size, val, vcpu->mmio.bit, &rflags);
		break;
	case INSN_MOVS:
		out = val;
		retire = string_step(vcpu, in);
		break;
	case INSN_STOS:
		out = reg_read(vcpu, REG_RAX, size);
		retire = string_step(vcpu, in);
		break;
	}
	vcpu->rflags = rflags;
	if (retire) {
		vcpu->rip += in->len;
		if (kvmini_backend->cs_mode(vcpu) != 8)
			vcpu->rip = (u32)vcpu->rip;
	}
	if (!in->mem_write)
		return 1;
	memcpy(vcpu->mmio.out, &out, size);
	return mmio_write(vcpu);
}

static int mmio_read(struct kvmini_vcpu *vcpu);

static int complete_read(struct kvmini_vcpu *vcpu)
{
	struct kvmini_mmio_access *a = &vcpu->mmio.rd;
	struct kvmini_mmio_piece *p = &a->piece[a->cur];

	memcpy(vcpu->mmio.in + p->off, vcpu->run->mmio.data, p->len);
	a->cur++;
	return mmio_read(vcpu);
}

static int mmio_read(struct kvmini_vcpu *vcpu)
{
	int r = access_pieces(vcpu, &vcpu->mmio.rd, vcpu->mmio.in, complete_read);

	return r > 0 ? mmio_execute(vcpu) : r;
}

/* Emulation failure, as KVM reports it: the instruction's bytes, then @gpa. */
static int emulation_failure(struct kvmini_vcpu *vcpu, const u8 *bytes,
			     unsigned int len, u64 gpa)
{
	struct kvmini_run *run = vcpu->run;

	run->exit_reason = KVMINI_EXIT_INTERNAL_ERROR;
	run->emulation_failure.suberror = KVMINI_INTERNAL_ERROR_EMULATION;
	run->emulation_failure.ndata = 4;
	run->emulation_failure.flags = len ? KVMINI_INTERNAL_ERROR_EMULATION_FLAG_INSTRUCTION_BYTES : 0;
	run->emulation_failure.insn_size = len;
	memset(run->emulation_failure.insn_bytes, 0x90,
	       sizeof(run->emulation_failure.insn_bytes));
	if (len)
		memcpy(run->emulation_failure.insn_bytes, bytes, len);
	run->internal.data[3] = gpa;
	return EMU_EXIT;
}

/* Fetch and decode the instruction at RIP. */
static int fetch_decode(struct kvmini_vcpu *vcpu, struct insn *in, u64 gpa)
{
	const struct kvmini_backend *be = kvmini_backend;
	struct kvmini_paging pg;
	u8 buf[INSN_MAX_LEN];
	unsigned int have = 0, n;
	u32 access = KVMINI_PF_FETCH | (be->cpl(vcpu) == 3 ? KVMINI_PF_USER : 0);
	u64 la = linear(vcpu, SEG_CS, vcpu->rip), code;
	u32 pf;
	int r;

	be->get_paging(vcpu, &pg);
	for (;;) {
		/* A page at a time: the second only if the first is not enough. */
		n = min_t(unsigned int, INSN_MAX_LEN - have,
			  PAGE_SIZE - offset_in_page(la + have));
		r = kvmini_gva_to_gpa(vcpu->vm, &pg, la + have, access, &code, &pf);
		if (r == -EFAULT) {
			be->queue_exception(vcpu, 14, true, pf, la + have);
			return EMU_REENTER;
		}
		if (r || kvmini_read_gpa(vcpu->vm, code, buf + have, n))
			return emulation_failure(vcpu, buf, have, gpa);
		have += n;
		r = insn_decode(in, buf, have, be->cs_mode(vcpu));
		if (!r)
			return EMU_OK;
		if (r != -EFAULT || have == INSN_MAX_LEN)
			return emulation_failure(vcpu, buf, have, gpa);
	}
}

/*
 * A nested page fault at @gpa that no slot serves (or a write to a
 * read-only slot); @fetch: by an instruction fetch, which cannot be
 * emulated. 1: re-enter; 0: exit to userspace.
 */
int kvmini_emulate_mmio(struct kvmini_vcpu *vcpu, u64 gpa, bool fetch)
{
	struct insn *in = &vcpu->mmio.insn;
	u64 la, la2 = 0;
	int r;

	if (fetch)
		return emulation_failure(vcpu, NULL, 0, gpa) == EMU_REENTER;
	r = fetch_decode(vcpu, in, gpa);
	if (r != EMU_OK)
		return r == EMU_REENTER;

	vcpu->mmio.rd.cur = vcpu->mmio.wr.cur = 0;
	vcpu->mmio.rd.npieces = vcpu->mmio.wr.npieces = 0;
	if (in->op == INSN_MOVS || in->op == INSN_STOS) {
		if (in->rep && !(vcpu->regs[REG_RCX] & addr_mask(in->addr_size))) {
			vcpu->rip += in->len;	/* nothing to do */
			return 1;
		}
		la = linear(vcpu, in->seg, vcpu->regs[REG_RSI] & addr_mask(in->addr_size));
		la2 = linear(vcpu, SEG_ES, vcpu->regs[REG_RDI] & addr_mask(in->addr_size));
	} else {
		la = la2 = operand_la(vcpu, in, &vcpu->mmio.bit);
	}
	/*
	 * The operand is translated before it is accessed (for a write
	 * too: a read-modify-write faults before it reads), except MOVS's
	 * destination, as the CPU: its source read comes first.
	 */
	vcpu->mmio.dst_la = la2;
	r = in->mem_read ? translate(vcpu, &vcpu->mmio.rd, la, in->size, false) : EMU_OK;
	if (r == EMU_OK && in->mem_write && in->op != INSN_MOVS)
		r = translate(vcpu, &vcpu->mmio.wr, la2, in->size, true);
	if (r != EMU_OK)
		return r == EMU_REENTER;
	return mmio_read(vcpu);
}
