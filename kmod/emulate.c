// SPDX-License-Identifier: GPL-2.0
/*
 * What every emulated instruction needs, whatever it is (MMIO, string
 * port I/O, control-register writes): the instruction at RIP fetched
 * through the guest's paging and decoded (insn.c), registers as the
 * instruction names them, addresses wrapped as the CPU wraps them, string
 * stepping, retiring the instruction, and its memory operand carried out
 * piece by piece: guest RAM directly, anything else (no slot, a read-only
 * slot for a write, memory the VMM unmapped) as KVMINI_EXIT_MMIO exits of
 * at most 8 bytes, one per RUN (a write an ioeventfd takes: none).
 *
 * Every step returns an enum kvmini_emu (or a negative errno):
 * EMU_CONTINUE to go on, EMU_REENTER when the instruction is over for now
 * (done, or a fault was queued), EMU_EXIT when vcpu->run describes an exit
 * to userspace. EMU_REENTER and EMU_EXIT are what exit handlers return.
 */
#include <linux/kernel.h>
#include <linux/mm.h>
#include <asm/debugreg.h>
#include <asm/fpu/api.h>
#include <asm/trapnr.h>

#include "kvmini.h"
#include "trace.h"

/*
 * The guest's XMM registers: in KVMINI_RUN the guest's FPU state is the
 * task's (fpu_swap_kvm_fpstate), live in the registers unless a schedule
 * saved it (TIF_NEED_FPU_LOAD): reload it first, as KVM's kvm_fpu_get().
 */
#define XMM_CASES(insn, ...)						\
	switch (n) {							\
	case 0: asm volatile(insn "0" __VA_ARGS__); break;		\
	case 1: asm volatile(insn "1" __VA_ARGS__); break;		\
	case 2: asm volatile(insn "2" __VA_ARGS__); break;		\
	case 3: asm volatile(insn "3" __VA_ARGS__); break;		\
	case 4: asm volatile(insn "4" __VA_ARGS__); break;		\
	case 5: asm volatile(insn "5" __VA_ARGS__); break;		\
	case 6: asm volatile(insn "6" __VA_ARGS__); break;		\
	case 7: asm volatile(insn "7" __VA_ARGS__); break;		\
	case 8: asm volatile(insn "8" __VA_ARGS__); break;		\
	case 9: asm volatile(insn "9" __VA_ARGS__); break;		\
	case 10: asm volatile(insn "10" __VA_ARGS__); break;		\
	case 11: asm volatile(insn "11" __VA_ARGS__); break;		\
	case 12: asm volatile(insn "12" __VA_ARGS__); break;		\
	case 13: asm volatile(insn "13" __VA_ARGS__); break;		\
	case 14: asm volatile(insn "14" __VA_ARGS__); break;		\
	default: asm volatile(insn "15" __VA_ARGS__); break;		\
	}

void kvmini_read_xmm(unsigned int n, u8 *buf)
{
	fpregs_lock();
	if (test_thread_flag(TIF_NEED_FPU_LOAD))
		switch_fpu_return();
	XMM_CASES("movdqu %%xmm", ", %0" : "=m" (*(u8 (*)[16])buf));
	fpregs_unlock();
}

void kvmini_write_xmm(unsigned int n, const u8 *buf)
{
	fpregs_lock();
	if (test_thread_flag(TIF_NEED_FPU_LOAD))
		switch_fpu_return();
	XMM_CASES("movdqu %0, %%xmm", : : "m" (*(const u8 (*)[16])buf));
	fpregs_unlock();
}

unsigned long kvmini_addr_mask(unsigned int size)
{
	return size == 8 ? ~0UL : (1UL << (size * 8)) - 1;
}

/* seg:@ea, @ea already wrapped to the address size; 32 bits outside 64-bit mode. */
u64 kvmini_linear(struct kvmini_vcpu *vcpu, int seg, u64 ea)
{
	u64 la = kvmini_backend->seg_base(vcpu, seg) + ea;

	return kvmini_backend->cs_mode(vcpu) == 8 ? la : (u32)la;
}

u64 kvmini_reg_read(struct kvmini_vcpu *vcpu, int reg, unsigned int size)
{
	if (reg >= INSN_REG_AH)
		return (vcpu->regs[reg - INSN_REG_AH] >> 8) & 0xff;
	return vcpu->regs[reg] & kvmini_addr_mask(size);
}

/* As x86: a 32-bit write zero-extends, 8- and 16-bit writes merge. */
void kvmini_reg_write(struct kvmini_vcpu *vcpu, int reg, unsigned int size, u64 val)
{
	unsigned long *r, mask = kvmini_addr_mask(size);

	if (reg >= INSN_REG_AH) {
		r = &vcpu->regs[reg - INSN_REG_AH];
		*r = (*r & ~0xff00UL) | ((val & 0xff) << 8);
		return;
	}
	r = &vcpu->regs[reg];
	*r = size >= 4 ? val & mask : (*r & ~mask) | (val & mask);
}

/*
 * A string instruction did @n elements of @size bytes: rSI and/or rDI
 * (@regs: BIT(REG_RSI), BIT(REG_RDI)) move by them (down if DF), rCX
 * counts them if @rep, all as registers of the address size: a 16-bit
 * one merges, a 32-bit one zero-extends (as the CPU, in 64-bit mode with
 * a 67 prefix). True if it is over (no REP, or rCX reached 0).
 */
bool kvmini_string_step(struct kvmini_vcpu *vcpu, unsigned long regs, unsigned int size,
			unsigned int n, bool rep, unsigned int addr_size)
{
	long step = (long)n * size;
	int i;

	if (vcpu->rflags & X86_EFLAGS_DF)
		step = -step;
	for_each_set_bit(i, &regs, NR_GPRS)
		kvmini_reg_write(vcpu, i, addr_size, vcpu->regs[i] + step);
	if (!rep)
		return true;
	kvmini_reg_write(vcpu, REG_RCX, addr_size, vcpu->regs[REG_RCX] - n);
	return !(vcpu->regs[REG_RCX] & kvmini_addr_mask(addr_size));
}

/*
 * The instruction of @len bytes is done: RIP past it, its interrupt shadow
 * over, and if the guest single-steps (TF), its #DB trap with DR6.BS (as
 * KVM's kvm_skip_emulated_instruction()).
 */
int kvmini_skip_insn(struct kvmini_vcpu *vcpu, unsigned int len)
{
	vcpu->rip += len;
	if (kvmini_backend->cs_mode(vcpu) != 8)
		vcpu->rip = (u32)vcpu->rip;
	vcpu->interrupt_shadow = 0;
	vcpu->rflags &= ~X86_EFLAGS_RF;	/* the instruction completed, as on the CPU */
	if (vcpu->rflags & X86_EFLAGS_TF) {
		vcpu->dr6 = (vcpu->dr6 & ~0xfULL) | KVMINI_DR6_INIT | DR_STEP;
		kvmini_queue_exception(vcpu, X86_TRAP_DB, false, 0, 0);
	}
	return EMU_REENTER;
}

/*
 * The end of an instruction that exited to userspace: RIP moves on unless
 * userspace moved it meanwhile (as KVM).
 */
int kvmini_complete_insn(struct kvmini_vcpu *vcpu)
{
	if (vcpu->rip == vcpu->complete_rip)
		kvmini_skip_insn(vcpu, vcpu->next_rip - vcpu->complete_rip);
	return EMU_REENTER;
}

/* Emulation failure, as KVM reports it: the instruction's bytes, then @gpa. */
int kvmini_emulation_failure(struct kvmini_vcpu *vcpu, const u8 *bytes,
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

/* The #PF error code bits of an access at the guest's CPL. */
static u32 pf_access(struct kvmini_vcpu *vcpu, u32 access)
{
	return access | (kvmini_backend->cpl(vcpu) == 3 ? KVMINI_PF_USER : 0);
}

/*
 * Fetch and decode the instruction at RIP. A page at a time: the second
 * is only read if the first is not enough. @gpa goes into the emulation
 * failure report.
 */
int kvmini_decode_insn(struct kvmini_vcpu *vcpu, struct insn *in, u64 gpa)
{
	const struct kvmini_backend *be = kvmini_backend;
	u32 access = pf_access(vcpu, KVMINI_PF_FETCH), pf;
	u64 la = kvmini_linear(vcpu, SEG_CS, vcpu->rip), code;
	u8 buf[INSN_MAX_LEN];
	unsigned int have = 0, n;
	struct kvmini_paging pg;
	int r;

	be->get_paging(vcpu, &pg);
	for (;;) {
		n = min_t(unsigned int, INSN_MAX_LEN - have,
			  PAGE_SIZE - offset_in_page(la + have));
		r = kvmini_gva_to_gpa(vcpu->vm, &pg, la + have, access, &code, &pf);
		if (r) {
			kvmini_queue_exception(vcpu, X86_TRAP_PF, true, pf, la + have);
			return EMU_REENTER;
		}
		if (kvmini_read_gpa(vcpu->vm, code, buf + have, n))
			return kvmini_emulation_failure(vcpu, buf, have, gpa);
		have += n;
		r = insn_decode(in, buf, have, be->cs_mode(vcpu));
		if (!r)
			return EMU_CONTINUE;
		if (r != -EFAULT || have == INSN_MAX_LEN)
			return kvmini_emulation_failure(vcpu, buf, have, gpa);
	}
}

/*
 * Up to @len bytes at RIP, as far as its page goes: how many were read (0
 * if none could be). No #PF: only a look.
 */
unsigned int kvmini_peek_insn(struct kvmini_vcpu *vcpu, u8 *buf, unsigned int len)
{
	u64 la = kvmini_linear(vcpu, SEG_CS, vcpu->rip), gpa;
	struct kvmini_paging pg;
	u32 pf;

	len = min_t(unsigned int, len, PAGE_SIZE - offset_in_page(la));
	kvmini_backend->get_paging(vcpu, &pg);
	if (kvmini_gva_to_gpa(vcpu->vm, &pg, la, pf_access(vcpu, KVMINI_PF_FETCH), &gpa, &pf) ||
	    kvmini_read_gpa(vcpu->vm, gpa, buf, len))
		return 0;
	return len;
}

/* --- memory operands --- */

/* The effective address of @in's r/m memory operand, not yet wrapped. */
u64 kvmini_operand_ea(struct kvmini_vcpu *vcpu, const struct insn *in)
{
	u64 ea = in->disp;

	if (in->base == INSN_RIP)
		ea += vcpu->rip + in->len;
	else if (in->base != INSN_NONE)
		ea += vcpu->regs[in->base];
	if (in->index != INSN_NONE)
		ea += vcpu->regs[in->index] * in->scale;
	return ea;
}

/*
 * Split an access of @len bytes at linear address @la into its pages and
 * translate them, checking the guest's page permissions for @write.
 */
int kvmini_access_translate(struct kvmini_vcpu *vcpu, struct kvmini_access *a,
			    u64 la, unsigned int len, bool write)
{
	const struct kvmini_backend *be = kvmini_backend;
	u32 access = pf_access(vcpu, write ? KVMINI_PF_WRITE : 0), pf;
	struct kvmini_paging pg;
	unsigned int i, n;
	int r;

	be->get_paging(vcpu, &pg);
	a->len = len;
	a->write = write;
	a->npieces = a->cur = 0;
	a->done = 0;
	for (i = 0; i < len; i += n) {
		struct kvmini_access_piece *p = &a->piece[a->npieces++];

		n = min_t(unsigned int, len - i, PAGE_SIZE - offset_in_page(la + i));
		r = kvmini_gva_to_gpa(vcpu->vm, &pg, la + i, access, &p->gpa, &pf);
		if (r) {
			kvmini_queue_exception(vcpu, X86_TRAP_PF, true, pf, la + i);
			return EMU_REENTER;
		}
		p->off = i;
		p->len = n;
		p->ram = kvmini_gpa_is_ram(vcpu->vm, p->gpa, write);
	}
	return EMU_CONTINUE;
}

/*
 * Carry out access @a on @data from where it stands: RAM pieces directly,
 * the others as MMIO exits of up to 8 bytes, after each of which the next
 * RUN calls @complete (which calls kvmini_access_complete(), then this
 * again). EMU_CONTINUE once every byte is done.
 */
int kvmini_access_run(struct kvmini_vcpu *vcpu, struct kvmini_access *a, u8 *data,
		      int (*complete)(struct kvmini_vcpu *))
{
	struct kvmini_run *run = vcpu->run;
	unsigned int n;

	for (; a->cur < a->npieces; a->cur++, a->done = 0) {
		struct kvmini_access_piece *p = &a->piece[a->cur];

		if (p->ram && !a->done) {
			int r = a->write ? kvmini_write_gpa(vcpu->vm, p->gpa, data + p->off, p->len)
					 : kvmini_read_gpa(vcpu->vm, p->gpa, data + p->off, p->len);
			if (!r)
				continue;
			/* The slot went away or turned read-only: a device's now. */
		}
		/* The local APIC's page first (as KVM), the IOAPIC's: served here. */
		if (kvmini_lapic_mmio(vcpu, p->gpa + a->done, p->len - a->done,
				      data + p->off + a->done, a->write) ||
		    kvmini_ioapic_mmio(vcpu, p->gpa + a->done, p->len - a->done,
				       data + p->off + a->done, a->write))
			continue;
		/*
		 * Writes: 8 bytes at a time to the ioeventfds, as long as they
		 * take them; from the first they do not, the rest of the page
		 * goes to the VMM (as KVM's vcpu_mmio_write()).
		 */
		if (a->write && !a->done) {
			while (a->done < p->len) {
				n = min_t(unsigned int, p->len - a->done, sizeof(run->mmio.data));
				if (!kvmini_ioeventfd_write(vcpu->vm, false, p->gpa + a->done, n,
							    data + p->off + a->done))
					break;
				a->done += n;
			}
			if (a->done == p->len)
				continue;
		}
		n = min_t(unsigned int, p->len - a->done, sizeof(run->mmio.data));
		a->inflight = n;	/* not run->mmio.len: userspace may change it */
		run->exit_reason = KVMINI_EXIT_MMIO;
		run->mmio.phys_addr = p->gpa + a->done;
		run->mmio.len = n;
		run->mmio.is_write = a->write;
		memset(run->mmio.data, 0, sizeof(run->mmio.data));
		if (a->write)
			memcpy(run->mmio.data, data + p->off + a->done, n);
		vcpu->stat.mmio_exits++;
		if (trace_kvmini_mmio_enabled()) {
			u64 val;

			memcpy(&val, run->mmio.data, sizeof(val));
			trace_kvmini_mmio(vcpu->id, a->write, run->mmio.phys_addr, n, val);
		}
		vcpu->complete = complete;
		vcpu->complete_rip = vcpu->rip;
		return EMU_EXIT;
	}
	return EMU_CONTINUE;
}

/* After the MMIO exit of kvmini_access_run(): take a read's bytes, move on. */
void kvmini_access_complete(struct kvmini_vcpu *vcpu, struct kvmini_access *a, u8 *data)
{
	struct kvmini_access_piece *p = &a->piece[a->cur];
	unsigned int n = a->inflight;

	if (!a->write)
		memcpy(data + p->off + a->done, vcpu->run->mmio.data, n);
	a->done += n;
	if (a->done == p->len) {
		a->cur++;
		a->done = 0;
	}
}

/*
 * Read @in's memory operand (@len bytes) where it must be RAM (a system
 * instruction's, e.g. LMSW m16): device memory there is an emulation
 * failure, not an MMIO exit.
 */
int kvmini_read_operand(struct kvmini_vcpu *vcpu, const struct insn *in, void *buf,
			unsigned int len)
{
	u64 la = kvmini_linear(vcpu, in->seg, kvmini_operand_ea(vcpu, in) &
					      kvmini_addr_mask(in->addr_size));
	struct kvmini_access a;
	unsigned int i;
	int r;

	r = kvmini_access_translate(vcpu, &a, la, len, false);
	if (r != EMU_CONTINUE)
		return r;
	for (i = 0; i < a.npieces; i++)
		if (!a.piece[i].ram ||
		    kvmini_read_gpa(vcpu->vm, a.piece[i].gpa, buf + a.piece[i].off, a.piece[i].len))
			return kvmini_emulation_failure(vcpu, in->bytes, in->len, a.piece[i].gpa);
	return EMU_CONTINUE;
}
