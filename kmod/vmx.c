// SPDX-License-Identifier: GPL-2.0
/*
 * Intel VMX backend.
 *
 * So far: detection and VMXON/VMXOFF per CPU. Running guests on VMX is
 * the Intel backend's issue; until then this is exercised only on an
 * emulated Intel host.
 */
#include <linux/io.h>
#include <linux/mm.h>
#include <linux/percpu.h>
#include <asm/asm.h>
#include <asm/msr.h>
#include <asm/processor.h>
#include <asm/special_insns.h>
#include <asm/tlbflush.h>

#include "kvmini.h"

#define CPUID_1_ECX_VMX		BIT(5)
#define VMX_BASIC_REVISION	0x7fffffffULL

/* Per-CPU VMXON region. */
static DEFINE_PER_CPU(struct page *, vmxon_region);

static int vmx_probe(void)
{
	u64 fc;

	if (boot_cpu_data.x86_vendor != X86_VENDOR_INTEL &&
	    boot_cpu_data.x86_vendor != X86_VENDOR_CENTAUR &&
	    boot_cpu_data.x86_vendor != X86_VENDOR_ZHAOXIN)
		return -ENODEV;
	if (!(cpuid_ecx(1) & CPUID_1_ECX_VMX))
		return -ENODEV;
	if (rdmsrl_safe(MSR_IA32_FEAT_CTL, &fc) || !(fc & FEAT_CTL_LOCKED) ||
	    !(fc & FEAT_CTL_VMX_ENABLED_OUTSIDE_SMX)) {
		pr_err(KVMINI_PFX "Intel VMX is disabled by firmware (IA32_FEATURE_CONTROL)\n");
		return -EOPNOTSUPP;
	}
	return 0;
}

static void vmx_exit(void)
{
	int cpu;

	for_each_possible_cpu(cpu) {
		if (per_cpu(vmxon_region, cpu))
			__free_page(per_cpu(vmxon_region, cpu));
		per_cpu(vmxon_region, cpu) = NULL;
	}
}

static int vmx_init(void)
{
	struct page *page;
	u64 basic;
	int cpu;

	rdmsrl(MSR_IA32_VMX_BASIC, basic);
	for_each_possible_cpu(cpu) {
		page = alloc_pages_node(cpu_to_node(cpu), GFP_KERNEL | __GFP_ZERO, 0);
		if (!page) {
			vmx_exit();
			return -ENOMEM;
		}
		*(u32 *)page_address(page) = basic & VMX_BASIC_REVISION;
		per_cpu(vmxon_region, cpu) = page;
	}
	return 0;
}

static int vmx_cpu_enable(void)
{
	u64 pa = page_to_phys(this_cpu_read(vmxon_region));

	if (__read_cr4() & X86_CR4_VMXE)
		return -EBUSY;	/* another hypervisor is in VMX operation */
	cr4_set_bits(X86_CR4_VMXE);
	/* VMfail (CF or ZF) and #UD/#GP both mean: not ours to have. */
	asm goto("1: vmxon %[pa]\n\t"
		 "jna %l[fail]\n\t"
		 _ASM_EXTABLE(1b, %l[fail])
		 : : [pa] "m" (pa) : "cc", "memory" : fail);
	return 0;
fail:
	cr4_clear_bits(X86_CR4_VMXE);
	return -EBUSY;
}

static void vmx_cpu_disable(void)
{
	asm goto("1: vmxoff\n\t"
		 _ASM_EXTABLE(1b, %l[fault])
		 : : : "cc", "memory" : fault);
fault:
	cr4_clear_bits(X86_CR4_VMXE);
}

const struct kvmini_backend kvmini_vmx_backend = {
	.name = "Intel VMX",
	.probe = vmx_probe,
	.init = vmx_init,
	.exit = vmx_exit,
	.cpu_enable = vmx_cpu_enable,
	.cpu_disable = vmx_cpu_disable,
};
