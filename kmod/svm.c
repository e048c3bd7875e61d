// SPDX-License-Identifier: GPL-2.0
/*
 * AMD SVM backend.
 */
#include <linux/io.h>
#include <linux/mm.h>
#include <linux/percpu.h>
#include <asm/msr.h>
#include <asm/processor.h>

#include "kvmini.h"

#define CPUID_8000_0001_ECX_SVM	BIT(2)
#define CPUID_8000_000A_EDX_NPT	BIT(0)
#define VM_CR_SVMDIS		BIT_ULL(4)

/* Per-CPU host save area the CPU uses across VMRUN (VM_HSAVE_PA). */
static DEFINE_PER_CPU(struct page *, svm_hsave);

static int svm_probe(void)
{
	u64 vm_cr;

	if (boot_cpu_data.x86_vendor != X86_VENDOR_AMD &&
	    boot_cpu_data.x86_vendor != X86_VENDOR_HYGON)
		return -ENODEV;
	if (cpuid_eax(0x80000000) < 0x8000000a ||
	    !(cpuid_ecx(0x80000001) & CPUID_8000_0001_ECX_SVM))
		return -ENODEV;
	if (rdmsrl_safe(MSR_VM_CR, &vm_cr) || (vm_cr & VM_CR_SVMDIS)) {
		pr_err(KVMINI_PFX "AMD SVM is disabled by firmware (VM_CR.SVMDIS)\n");
		return -EOPNOTSUPP;
	}
	if (!(cpuid_edx(0x8000000a) & CPUID_8000_000A_EDX_NPT)) {
		pr_err(KVMINI_PFX "AMD SVM without nested paging is not supported\n");
		return -EOPNOTSUPP;
	}
	return 0;
}

static void svm_exit(void)
{
	int cpu;

	for_each_possible_cpu(cpu) {
		if (per_cpu(svm_hsave, cpu))
			__free_page(per_cpu(svm_hsave, cpu));
		per_cpu(svm_hsave, cpu) = NULL;
	}
}

static int svm_init(void)
{
	struct page *page;
	int cpu;

	for_each_possible_cpu(cpu) {
		page = alloc_pages_node(cpu_to_node(cpu), GFP_KERNEL | __GFP_ZERO, 0);
		if (!page) {
			svm_exit();
			return -ENOMEM;
		}
		per_cpu(svm_hsave, cpu) = page;
	}
	return 0;
}

static int svm_cpu_enable(void)
{
	u64 efer;

	rdmsrl(MSR_EFER, efer);
	if (efer & EFER_SVME)
		return -EBUSY;	/* someone else's: do not touch */
	wrmsrl(MSR_EFER, efer | EFER_SVME);
	wrmsrl(MSR_VM_HSAVE_PA, page_to_phys(this_cpu_read(svm_hsave)));
	return 0;
}

static void svm_cpu_disable(void)
{
	u64 efer;

	wrmsrl(MSR_VM_HSAVE_PA, 0);
	rdmsrl(MSR_EFER, efer);
	/* STGI needs EFER.SVME; leave GIF=1 behind so INIT/NMI/SMI work. */
	asm volatile("stgi" ::: "memory");
	wrmsrl(MSR_EFER, efer & ~EFER_SVME);
}

const struct kvmini_backend kvmini_svm_backend = {
	.name = "AMD SVM",
	.probe = svm_probe,
	.init = svm_init,
	.exit = svm_exit,
	.cpu_enable = svm_cpu_enable,
	.cpu_disable = svm_cpu_disable,
};
