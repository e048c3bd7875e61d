// SPDX-License-Identifier: GPL-2.0
/*
 * Hypercalls with KVM's ABI (its Documentation/virt/kvm/x86/hypercalls.rst):
 * VMMCALL on AMD, VMCALL on Intel; number in RAX, arguments in RBX, RCX,
 * RDX, RSI, result in RAX (32 bits of each outside 64-bit mode). As KVM
 * without an in-kernel APIC, answered here: VAPIC_POLL_IRQ and KICK_CPU
 * succeed (nothing is halted in the kernel to kick), SEND_IPI finds no
 * APIC to send to, CLOCK_PAIRING is kvmclock.c's, the PV
 * ones only if the guest's CPUID offers them once the VMM enforces it
 * (KVMINI_CAP_ENFORCE_PV_FEATURE_CPUID), CPL > 0 gets EPERM and anything
 * else ENOSYS. Only MAP_GPA_RANGE goes to the VMM, and only if it asked
 * with KVMINI_CAP_EXIT_HYPERCALL.
 *
 * The other vendor's instruction raises #UD, which kvmini intercepts: as
 * KVM with its FIX_HYPERCALL_INSN quirk (on unless the VMM disables it),
 * the three bytes become the native instruction, which then runs; without
 * the quirk the guest gets its #UD.
 */
#include <linux/kernel.h>
#include <linux/mm.h>
#include <asm/trapnr.h>

#include "kvmini.h"

#define APIC_DEST_FIELDS	0xc0800	/* ICR destination mode and shorthand */

static const u8 vmmcall[3] = { 0x0f, 0x01, 0xd9 }, vmcall[3] = { 0x0f, 0x01, 0xc1 };

static int complete_hypercall(struct kvmini_vcpu *vcpu)
{
	u64 ret = vcpu->run->hypercall.ret;

	if (kvmini_backend->cs_mode(vcpu) != 8)
		ret = (u32)ret;
	vcpu->regs[REG_RAX] = ret;
	return kvmini_complete_insn(vcpu);
}

/* The native hypercall instruction, @len bytes, at RIP. */
int kvmini_exit_hypercall(struct kvmini_vcpu *vcpu, unsigned int len)
{
	bool op64 = kvmini_backend->cs_mode(vcpu) == 8;
	unsigned long mask = op64 ? ~0UL : U32_MAX;
	const unsigned long *g = vcpu->regs;
	unsigned long nr = g[REG_RAX] & mask, a0 = g[REG_RBX] & mask;
	unsigned long a1 = g[REG_RCX] & mask, a2 = g[REG_RDX] & mask;
	s64 ret = -KVMINI_ENOSYS;

	vcpu->stat.hypercalls++;
	if (kvmini_backend->cpl(vcpu)) {
		ret = -KVMINI_EPERM;
		goto out;
	}
	switch (nr) {
	case KVMINI_HC_VAPIC_POLL_IRQ:
		ret = 0;
		break;
	case KVMINI_HC_KICK_CPU:
		if (kvmini_pv_has(vcpu, KVMINI_FEATURE_PV_UNHALT))
			ret = 0;
		break;
	case KVMINI_HC_CLOCK_PAIRING:
		ret = kvmini_clock_pairing(vcpu, a0, a1);
		break;
	case KVMINI_HC_SEND_IPI:
		if (kvmini_pv_has(vcpu, KVMINI_FEATURE_PV_SEND_IPI))
			ret = (g[REG_RSI] & APIC_DEST_FIELDS) ? -KVMINI_EINVAL : -KVMINI_EOPNOTSUPP;
		break;
	case KVMINI_HC_SCHED_YIELD:
		if (kvmini_pv_has(vcpu, KVMINI_FEATURE_PV_SCHED_YIELD))
			ret = 0;
		break;
	case KVMINI_HC_MAP_GPA_RANGE: {
		struct kvmini_run *run = vcpu->run;

		if (!(READ_ONCE(vcpu->vm->hypercall_exit_enabled) & BIT(KVMINI_HC_MAP_GPA_RANGE)))
			break;
		if (!PAGE_ALIGNED(a0) || !a1 || (a0 >> PAGE_SHIFT) + a1 <= (a0 >> PAGE_SHIFT)) {
			ret = -KVMINI_EINVAL;
			break;
		}
		run->exit_reason = KVMINI_EXIT_HYPERCALL;
		run->hypercall.nr = nr;
		run->hypercall.args[0] = a0;
		run->hypercall.args[1] = a1;
		run->hypercall.args[2] = a2;
		run->hypercall.longmode = op64;
		vcpu->complete_rip = vcpu->rip;
		vcpu->next_rip = vcpu->rip + len;
		vcpu->complete = complete_hypercall;
		return EMU_EXIT;
	}
	}
out:
	vcpu->regs[REG_RAX] = op64 ? (u64)ret : (u32)ret;
	return kvmini_skip_insn(vcpu, len);
}

/*
 * Read (@write: write) the three bytes at CS:RIP through the guest's
 * paging. -EFAULT if they cannot be read; a write that faults queues the
 * guest's #PF and returns 1.
 */
static int insn_bytes(struct kvmini_vcpu *vcpu, u8 *buf, bool write)
{
	u32 access = (write ? KVMINI_PF_WRITE : KVMINI_PF_FETCH) |
		     (kvmini_backend->cpl(vcpu) == 3 ? KVMINI_PF_USER : 0);
	struct kvmini_paging pg;
	unsigned int i;
	u64 la, gpa;
	u32 pf;

	kvmini_backend->get_paging(vcpu, &pg);
	for (i = 0; i < 3; i++) {
		la = kvmini_linear(vcpu, SEG_CS, vcpu->rip + i);
		if (kvmini_gva_to_gpa(vcpu->vm, &pg, la, access, &gpa, &pf)) {
			if (!write)
				return -EFAULT;
			kvmini_queue_exception(vcpu, X86_TRAP_PF, true, pf, la);
			return 1;
		}
		if (write ? kvmini_write_gpa(vcpu->vm, gpa, buf + i, 1)
			  : kvmini_read_gpa(vcpu->vm, gpa, buf + i, 1))
			return -EFAULT;
	}
	return 0;
}

/* An intercepted #UD: the other vendor's hypercall is fixed, anything else reflected. */
int kvmini_exit_ud_intercept(struct kvmini_vcpu *vcpu)
{
	const u8 *native = kvmini_backend->hypercall_insn;
	const u8 *other = memcmp(native, vmmcall, 3) ? vmmcall : vmcall;
	struct kvmini_paging pg;
	u8 buf[3];

	if (READ_ONCE(vcpu->vm->disabled_quirks) & KVMINI_X86_QUIRK_FIX_HYPERCALL_INSN ||
	    insn_bytes(vcpu, buf, false) || memcmp(buf, other, 3))
		return kvmini_exit_ud(vcpu);
	/* As KVM's emulator: VMMCALL only in protected mode. */
	kvmini_backend->get_paging(vcpu, &pg);
	if (other == vmmcall && !(pg.cr0 & X86_CR0_PE))
		return kvmini_exit_ud(vcpu);
	memcpy(buf, native, 3);
	if (insn_bytes(vcpu, buf, true) < 0)
		return kvmini_exit_ud(vcpu);
	return EMU_REENTER;	/* the native instruction runs */
}
