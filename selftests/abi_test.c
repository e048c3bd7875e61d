// SPDX-License-Identifier: GPL-2.0
/*
 * abi_test - <linux/kvmini.h> is KVM's x86-64 ABI, fact by fact.
 *
 * Every ioctl number, constant, structure and field in the kvmini uapi
 * header is compared here, at compile time, with its KVM counterpart from
 * <linux/kvm.h>.  The names correspond mechanically (KVMINI_FOO <-> KVM_FOO,
 * struct kvmini_foo <-> struct kvm_foo, identical field names), so each line
 * below names one item and states one fact about it.  A mismatch is a
 * build failure that names the item.
 *
 * The list is meant to be exhaustive: whoever adds something to the header
 * adds its line here in the same commit, and bumps ABI_FACTS_EXPECTED.
 * The program itself only reports, in KTAP, that the facts were compiled.
 */
/*
 * The harness's own functions and TEST() wrappers leave parameters unused;
 * selftests/Makefile passes -Wno-unused-parameter, this keeps a bare
 * "-Wall -Wextra -Werror" build of this file clean as well.
 */
#pragma GCC diagnostic ignored "-Wunused-parameter"
#include "kselftest_harness.h"

#include <stddef.h>
#include <linux/kvm.h>
#include <linux/kvm_para.h>
#include <linux/kvmini.h>

#if !defined(__x86_64__)
#error "kvmini's ABI is the x86-64 layout of KVM's; build this test for x86-64"
#endif

/*
 * Fact counting: the first assertion of every fact macro also consumes one
 * __COUNTER__ value, so the number of facts compiled is known at run time.
 */
enum { ABI_FACTS_BASE = __COUNTER__ };
#define COUNT_FACT		(__COUNTER__ + 1)

/* The same pointer-free member access on either side. */
#define KVM_M(s, f)		(((struct kvm_##s *)0)->f)
#define KVMINI_M(s, f)		(((struct kvmini_##s *)0)->f)
#define KVM_OFF(s, f)		offsetof(struct kvm_##s, f)
#define KVMINI_OFF(s, f)	offsetof(struct kvmini_##s, f)

/* KVMINI_<n> has KVM_<n>'s value and type. */
#define SAME_CONST(n)							\
	_Static_assert(COUNT_FACT && (KVMINI_##n) == (KVM_##n),		\
		       "KVMINI_" #n " differs from KVM_" #n);		\
	_Static_assert(__builtin_types_compatible_p(__typeof__(KVMINI_##n), \
						    __typeof__(KVM_##n)), \
		       "KVMINI_" #n " has another type than KVM_" #n)

/* Same, for the few names outside the KVM_ <-> KVMINI_ rule. */
#define SAME_VALUE(ours, theirs)					\
	_Static_assert(COUNT_FACT && (ours) == (theirs),		\
		       #ours " differs from " #theirs);			\
	_Static_assert(__builtin_types_compatible_p(__typeof__(ours),	\
						    __typeof__(theirs)), \
		       #ours " has another type than " #theirs)

/* A fact with no uapi counterpart (the pvclock ABI): a documented value. */
#define DOC_VALUE(expr, val)						\
	_Static_assert(COUNT_FACT && (expr) == (val), #expr " is not " #val)

/* struct kvmini_<s> has struct kvm_<s>'s size and alignment. */
#define SAME_STRUCT(s)							\
	_Static_assert(COUNT_FACT &&					\
		       sizeof(struct kvmini_##s) == sizeof(struct kvm_##s), \
		       "size of struct kvmini_" #s);			\
	_Static_assert(_Alignof(struct kvmini_##s) == _Alignof(struct kvm_##s), \
		       "alignment of struct kvmini_" #s)

/* Scalar (or array of scalars) member: same offset, size and type. */
#define SAME_FIELD(s, f)						\
	_Static_assert(COUNT_FACT && KVMINI_OFF(s, f) == KVM_OFF(s, f), \
		       "offset of kvmini_" #s "." #f);			\
	_Static_assert(sizeof(KVMINI_M(s, f)) == sizeof(KVM_M(s, f)),	\
		       "size of kvmini_" #s "." #f);			\
	_Static_assert(__builtin_types_compatible_p(__typeof__(KVMINI_M(s, f)), \
						    __typeof__(KVM_M(s, f))), \
		       "type of kvmini_" #s "." #f)

/*
 * Member whose type is a structure or union (or an array of them): the
 * types are distinct by name, so compare offset, size and alignment; the
 * members' own fields are covered by their own lines.
 */
#define SAME_NESTED(s, f)						\
	_Static_assert(COUNT_FACT && KVMINI_OFF(s, f) == KVM_OFF(s, f), \
		       "offset of kvmini_" #s "." #f);			\
	_Static_assert(sizeof(KVMINI_M(s, f)) == sizeof(KVM_M(s, f)),	\
		       "size of kvmini_" #s "." #f);			\
	_Static_assert(_Alignof(__typeof__(KVMINI_M(s, f))) ==		\
		       _Alignof(__typeof__(KVM_M(s, f))),		\
		       "alignment of kvmini_" #s "." #f)

/*
 * Member whose C type deliberately differs from KVM's while its bytes do
 * not: a user pointer carried as __u64, or char carried as __u8.
 */
#define SAME_SLOT(s, f)							\
	_Static_assert(COUNT_FACT && KVMINI_OFF(s, f) == KVM_OFF(s, f), \
		       "offset of kvmini_" #s "." #f);			\
	_Static_assert(sizeof(KVMINI_M(s, f)) == sizeof(KVM_M(s, f)),	\
		       "size of kvmini_" #s "." #f)

/* Flexible array member: same offset, element size and element alignment. */
#define SAME_FLEX(s, f)							\
	_Static_assert(COUNT_FACT && KVMINI_OFF(s, f) == KVM_OFF(s, f), \
		       "offset of kvmini_" #s "." #f "[]");		\
	_Static_assert(sizeof(KVMINI_M(s, f)[0]) == sizeof(KVM_M(s, f)[0]), \
		       "element size of kvmini_" #s "." #f "[]");	\
	_Static_assert(_Alignof(__typeof__(KVMINI_M(s, f)[0])) ==	\
		       _Alignof(__typeof__(KVM_M(s, f)[0])),		\
		       "element alignment of kvmini_" #s "." #f "[]")

/*
 * Explicit padding where KVM leaves an implicit hole: kvmini_<s>.<pad>
 * covers exactly the bytes between KVM's <prev> and <next>.
 */
#define PAD_HOLE(s, pad, prev, next)					\
	_Static_assert(COUNT_FACT && KVMINI_OFF(s, pad) ==		\
		       KVM_OFF(s, prev) + sizeof(KVM_M(s, prev)),	\
		       "kvmini_" #s "." #pad " starts after " #prev);	\
	_Static_assert(KVMINI_OFF(s, pad) + sizeof(KVMINI_M(s, pad)) ==	\
		       KVM_OFF(s, next),				\
		       "kvmini_" #s "." #pad " ends at " #next)

/*
 * Explicit tail padding where KVM leaves an implicit one: <outer>.<pad>
 * covers exactly the bytes from the end of KVM's <outer>.<prev> to the end
 * of KVM's <outer>.
 */
#define PAD_TAIL(s, outer, pad, prev)					\
	_Static_assert(COUNT_FACT && KVMINI_OFF(s, outer.pad) ==	\
		       KVM_OFF(s, outer.prev) + sizeof(KVM_M(s, outer.prev)), \
		       "kvmini_" #s "." #outer "." #pad " starts after " #prev); \
	_Static_assert(KVMINI_OFF(s, outer.pad) +			\
		       sizeof(KVMINI_M(s, outer.pad)) ==		\
		       KVM_OFF(s, outer) + sizeof(KVM_M(s, outer)),	\
		       "kvmini_" #s "." #outer "." #pad " ends " #outer)

/* The described ABI is the LP64 one: pointers travel as 8-byte __u64. */
_Static_assert(sizeof(void *) == sizeof(__u64), "x86-64 (LP64) only");

/* ================= Basics ================= */

SAME_CONST(API_VERSION);
SAME_VALUE(KVMINIIO, KVMIO);

/* ================= System ioctls and their structures ================= */

SAME_STRUCT(msr_list);
SAME_FIELD(msr_list, nmsrs);
SAME_FLEX(msr_list, indices);

SAME_STRUCT(cpuid_entry2);
SAME_FIELD(cpuid_entry2, function);
SAME_FIELD(cpuid_entry2, index);
SAME_FIELD(cpuid_entry2, flags);
SAME_FIELD(cpuid_entry2, eax);
SAME_FIELD(cpuid_entry2, ebx);
SAME_FIELD(cpuid_entry2, ecx);
SAME_FIELD(cpuid_entry2, edx);
SAME_FIELD(cpuid_entry2, padding);

SAME_CONST(CPUID_FLAG_SIGNIFCANT_INDEX);
SAME_CONST(CPUID_FLAG_STATEFUL_FUNC);
SAME_CONST(CPUID_FLAG_STATE_READ_NEXT);

SAME_STRUCT(cpuid2);
SAME_FIELD(cpuid2, nent);
SAME_FIELD(cpuid2, padding);
SAME_FLEX(cpuid2, entries);

/* system ioctl numbers */
SAME_CONST(GET_API_VERSION);
SAME_CONST(CREATE_VM);
SAME_CONST(GET_MSR_INDEX_LIST);
SAME_CONST(CHECK_EXTENSION);
SAME_CONST(GET_VCPU_MMAP_SIZE);
SAME_CONST(GET_SUPPORTED_CPUID);
SAME_CONST(GET_EMULATED_CPUID);
SAME_CONST(GET_MSR_FEATURE_INDEX_LIST);
SAME_CONST(X86_GET_MCE_CAP_SUPPORTED);

/* ================= Capabilities (generic and x86) ================= */

SAME_CONST(CAP_IRQCHIP);
SAME_CONST(CAP_HLT);
SAME_CONST(CAP_MMU_SHADOW_CACHE_CONTROL);
SAME_CONST(CAP_USER_MEMORY);
SAME_CONST(CAP_SET_TSS_ADDR);
SAME_CONST(CAP_VAPIC);
SAME_CONST(CAP_EXT_CPUID);
SAME_CONST(CAP_CLOCKSOURCE);
SAME_CONST(CAP_NR_VCPUS);
SAME_CONST(CAP_NR_MEMSLOTS);
SAME_CONST(CAP_PIT);
SAME_CONST(CAP_NOP_IO_DELAY);
SAME_CONST(CAP_PV_MMU);
SAME_CONST(CAP_MP_STATE);
SAME_CONST(CAP_COALESCED_MMIO);
SAME_CONST(CAP_SYNC_MMU);
SAME_CONST(CAP_IOMMU);
SAME_CONST(CAP_DESTROY_MEMORY_REGION_WORKS);
SAME_CONST(CAP_USER_NMI);
SAME_CONST(CAP_SET_GUEST_DEBUG);
SAME_CONST(CAP_REINJECT_CONTROL);
SAME_CONST(CAP_IRQ_ROUTING);
SAME_CONST(CAP_IRQ_INJECT_STATUS);
SAME_CONST(CAP_ASSIGN_DEV_IRQ);
SAME_CONST(CAP_JOIN_MEMORY_REGIONS_WORKS);
SAME_CONST(CAP_MCE);
SAME_CONST(CAP_IRQFD);
SAME_CONST(CAP_PIT2);
SAME_CONST(CAP_SET_BOOT_CPU_ID);
SAME_CONST(CAP_PIT_STATE2);
SAME_CONST(CAP_IOEVENTFD);
SAME_CONST(CAP_SET_IDENTITY_MAP_ADDR);
SAME_CONST(CAP_XEN_HVM);
SAME_CONST(CAP_ADJUST_CLOCK);
SAME_CONST(CAP_INTERNAL_ERROR_DATA);
SAME_CONST(CAP_VCPU_EVENTS);
SAME_CONST(CAP_HYPERV);
SAME_CONST(CAP_HYPERV_VAPIC);
SAME_CONST(CAP_HYPERV_SPIN);
SAME_CONST(CAP_PCI_SEGMENT);
SAME_CONST(CAP_INTR_SHADOW);
SAME_CONST(CAP_DEBUGREGS);
SAME_CONST(CAP_X86_ROBUST_SINGLESTEP);
SAME_CONST(CAP_ENABLE_CAP);
SAME_CONST(CAP_XSAVE);
SAME_CONST(CAP_XCRS);
SAME_CONST(CAP_ASYNC_PF);
SAME_CONST(CAP_TSC_CONTROL);
SAME_CONST(CAP_GET_TSC_KHZ);
SAME_CONST(CAP_MAX_VCPUS);
SAME_CONST(CAP_ONE_REG);
SAME_CONST(CAP_TSC_DEADLINE_TIMER);
SAME_CONST(CAP_SYNC_REGS);
SAME_CONST(CAP_PCI_2_3);
SAME_CONST(CAP_KVMCLOCK_CTRL);
SAME_CONST(CAP_SIGNAL_MSI);
SAME_CONST(CAP_READONLY_MEM);
SAME_CONST(CAP_IRQFD_RESAMPLE);
SAME_CONST(CAP_DEVICE_CTRL);
SAME_CONST(CAP_EXT_EMUL_CPUID);
SAME_CONST(CAP_HYPERV_TIME);
SAME_CONST(CAP_IOAPIC_POLARITY_IGNORED);
SAME_CONST(CAP_ENABLE_CAP_VM);
SAME_CONST(CAP_IOEVENTFD_NO_LENGTH);
SAME_CONST(CAP_VM_ATTRIBUTES);
SAME_CONST(CAP_CHECK_EXTENSION_VM);
SAME_CONST(CAP_DISABLE_QUIRKS);
SAME_CONST(CAP_X86_SMM);
SAME_CONST(CAP_MULTI_ADDRESS_SPACE);
SAME_CONST(CAP_SPLIT_IRQCHIP);
SAME_CONST(CAP_IOEVENTFD_ANY_LENGTH);
SAME_CONST(CAP_HYPERV_SYNIC);
SAME_CONST(CAP_VCPU_ATTRIBUTES);
SAME_CONST(CAP_MAX_VCPU_ID);
SAME_CONST(CAP_X2APIC_API);
SAME_CONST(CAP_IMMEDIATE_EXIT);
SAME_CONST(CAP_X86_DISABLE_EXITS);
SAME_CONST(CAP_HYPERV_SYNIC2);
SAME_CONST(CAP_HYPERV_VP_INDEX);
SAME_CONST(CAP_GET_MSR_FEATURES);
SAME_CONST(CAP_HYPERV_EVENTFD);
SAME_CONST(CAP_HYPERV_TLBFLUSH);
SAME_CONST(CAP_NESTED_STATE);
SAME_CONST(CAP_MSR_PLATFORM_INFO);
SAME_CONST(CAP_HYPERV_SEND_IPI);
SAME_CONST(CAP_COALESCED_PIO);
SAME_CONST(CAP_HYPERV_ENLIGHTENED_VMCS);
SAME_CONST(CAP_EXCEPTION_PAYLOAD);
SAME_CONST(CAP_MANUAL_DIRTY_LOG_PROTECT);
SAME_CONST(CAP_HYPERV_CPUID);
SAME_CONST(CAP_MANUAL_DIRTY_LOG_PROTECT2);
SAME_CONST(CAP_PMU_EVENT_FILTER);
SAME_CONST(CAP_HYPERV_DIRECT_TLBFLUSH);
SAME_CONST(CAP_HALT_POLL);
SAME_CONST(CAP_ASYNC_PF_INT);
SAME_CONST(CAP_LAST_CPU);
SAME_CONST(CAP_SMALLER_MAXPHYADDR);
SAME_CONST(CAP_STEAL_TIME);
SAME_CONST(CAP_X86_USER_SPACE_MSR);
SAME_CONST(CAP_X86_MSR_FILTER);
SAME_CONST(CAP_ENFORCE_PV_FEATURE_CPUID);
SAME_CONST(CAP_SYS_HYPERV_CPUID);
SAME_CONST(CAP_DIRTY_LOG_RING);
SAME_CONST(CAP_X86_BUS_LOCK_EXIT);
SAME_CONST(CAP_SET_GUEST_DEBUG2);
SAME_CONST(CAP_SGX_ATTRIBUTE);
SAME_CONST(CAP_VM_COPY_ENC_CONTEXT_FROM);
SAME_CONST(CAP_HYPERV_ENFORCE_CPUID);
SAME_CONST(CAP_SREGS2);
SAME_CONST(CAP_EXIT_HYPERCALL);
SAME_CONST(CAP_BINARY_STATS_FD);
SAME_CONST(CAP_EXIT_ON_EMULATION_FAILURE);
SAME_CONST(CAP_VM_MOVE_ENC_CONTEXT_FROM);
SAME_CONST(CAP_XSAVE2);
SAME_CONST(CAP_SYS_ATTRIBUTES);
SAME_CONST(CAP_PMU_CAPABILITY);
SAME_CONST(CAP_DISABLE_QUIRKS2);
SAME_CONST(CAP_VM_TSC_CONTROL);
SAME_CONST(CAP_SYSTEM_EVENT_DATA);
SAME_CONST(CAP_X86_TRIPLE_FAULT_EVENT);
SAME_CONST(CAP_X86_NOTIFY_VMEXIT);
SAME_CONST(CAP_VM_DISABLE_NX_HUGE_PAGES);
SAME_CONST(CAP_DIRTY_LOG_RING_ACQ_REL);

/* KVMINI_ENABLE_CAP arguments */
SAME_CONST(X86_DISABLE_EXITS_MWAIT);
SAME_CONST(X86_DISABLE_EXITS_HLT);
SAME_CONST(X86_DISABLE_EXITS_PAUSE);
SAME_CONST(X86_DISABLE_EXITS_CSTATE);
SAME_CONST(X86_DISABLE_VALID_EXITS);
SAME_CONST(BUS_LOCK_DETECTION_OFF);
SAME_CONST(BUS_LOCK_DETECTION_EXIT);
SAME_CONST(X86_NOTIFY_VMEXIT_ENABLED);
SAME_CONST(X86_NOTIFY_VMEXIT_USER);
SAME_CONST(X86_QUIRK_LINT0_REENABLED);
SAME_CONST(X86_QUIRK_CD_NW_CLEARED);
SAME_CONST(X86_QUIRK_LAPIC_MMIO_HOLE);
SAME_CONST(X86_QUIRK_OUT_7E_INC_RIP);
SAME_CONST(X86_QUIRK_MISC_ENABLE_NO_MWAIT);
SAME_CONST(X86_QUIRK_FIX_HYPERCALL_INSN);
SAME_CONST(X86_QUIRK_MWAIT_NEVER_UD_FAULTS);

/* ================= VM ioctls and their structures ================= */

SAME_STRUCT(userspace_memory_region);
SAME_FIELD(userspace_memory_region, slot);
SAME_FIELD(userspace_memory_region, flags);
SAME_FIELD(userspace_memory_region, guest_phys_addr);
SAME_FIELD(userspace_memory_region, memory_size);
SAME_FIELD(userspace_memory_region, userspace_addr);

SAME_CONST(MEM_LOG_DIRTY_PAGES);
SAME_CONST(MEM_READONLY);

SAME_STRUCT(dirty_log);
SAME_FIELD(dirty_log, slot);
SAME_FIELD(dirty_log, padding1);
SAME_SLOT(dirty_log, dirty_bitmap);

SAME_STRUCT(irq_routing);
SAME_FIELD(irq_routing, nr);
SAME_FIELD(irq_routing, flags);
SAME_FLEX(irq_routing, entries);
SAME_STRUCT(irq_routing_irqchip);
SAME_FIELD(irq_routing_irqchip, irqchip);
SAME_FIELD(irq_routing_irqchip, pin);
SAME_STRUCT(irq_routing_msi);
SAME_FIELD(irq_routing_msi, address_lo);
SAME_FIELD(irq_routing_msi, address_hi);
SAME_FIELD(irq_routing_msi, data);
SAME_FIELD(irq_routing_msi, pad);
SAME_FIELD(irq_routing_msi, devid);
SAME_CONST(IRQ_ROUTING_IRQCHIP);
SAME_CONST(IRQ_ROUTING_MSI);
SAME_CONST(IRQCHIP_PIC_MASTER);
SAME_CONST(IRQCHIP_PIC_SLAVE);
SAME_CONST(IRQCHIP_IOAPIC);
SAME_STRUCT(irq_routing_entry);
SAME_FIELD(irq_routing_entry, gsi);
SAME_FIELD(irq_routing_entry, type);
SAME_FIELD(irq_routing_entry, flags);
SAME_FIELD(irq_routing_entry, pad);
SAME_NESTED(irq_routing_entry, u);
SAME_NESTED(irq_routing_entry, u.irqchip);
SAME_NESTED(irq_routing_entry, u.msi);
SAME_FIELD(irq_routing_entry, u.pad);
SAME_STRUCT(msi);
SAME_FIELD(msi, address_lo);
SAME_FIELD(msi, address_hi);
SAME_FIELD(msi, data);
SAME_FIELD(msi, flags);
SAME_FIELD(msi, devid);
SAME_FIELD(msi, pad);
SAME_CONST(MSI_VALID_DEVID);
SAME_STRUCT(irqfd);
SAME_FIELD(irqfd, fd);
SAME_FIELD(irqfd, gsi);
SAME_FIELD(irqfd, flags);
SAME_FIELD(irqfd, resamplefd);
SAME_FIELD(irqfd, pad);
SAME_CONST(IRQFD_FLAG_DEASSIGN);
SAME_CONST(IRQFD_FLAG_RESAMPLE);
SAME_CONST(APIC_REG_SIZE);
SAME_STRUCT(lapic_state);
SAME_SLOT(lapic_state, regs);
SAME_CONST(X2APIC_API_USE_32BIT_IDS);
SAME_CONST(X2APIC_API_DISABLE_BROADCAST_QUIRK);
SAME_CONST(IRQFD);
SAME_CONST(SIGNAL_MSI);
SAME_STRUCT(irq_level);
SAME_FIELD(irq_level, irq);
SAME_FIELD(irq_level, status);
SAME_FIELD(irq_level, level);
SAME_CONST(IRQ_LINE);
SAME_CONST(IRQ_LINE_STATUS);
/* The whole irqchip and the PIT (KVM_CREATE_IRQCHIP, KVM_CREATE_PIT2). */
SAME_CONST(CREATE_IRQCHIP);
SAME_CONST(GET_IRQCHIP);
SAME_CONST(SET_IRQCHIP);
SAME_CONST(CREATE_PIT);
SAME_CONST(GET_PIT);
SAME_CONST(SET_PIT);
SAME_CONST(REINJECT_CONTROL);
SAME_CONST(CREATE_PIT2);
SAME_CONST(GET_PIT2);
SAME_CONST(SET_PIT2);
SAME_CONST(IOAPIC_NUM_PINS);
SAME_CONST(PIT_SPEAKER_DUMMY);
SAME_CONST(PIT_FLAGS_HPET_LEGACY);
SAME_CONST(PIT_FLAGS_SPEAKER_DATA_ON);
SAME_STRUCT(pic_state);
SAME_FIELD(pic_state, last_irr);
SAME_FIELD(pic_state, irr);
SAME_FIELD(pic_state, imr);
SAME_FIELD(pic_state, isr);
SAME_FIELD(pic_state, priority_add);
SAME_FIELD(pic_state, irq_base);
SAME_FIELD(pic_state, read_reg_select);
SAME_FIELD(pic_state, poll);
SAME_FIELD(pic_state, special_mask);
SAME_FIELD(pic_state, init_state);
SAME_FIELD(pic_state, auto_eoi);
SAME_FIELD(pic_state, rotate_on_auto_eoi);
SAME_FIELD(pic_state, special_fully_nested_mode);
SAME_FIELD(pic_state, init4);
SAME_FIELD(pic_state, elcr);
SAME_FIELD(pic_state, elcr_mask);
SAME_STRUCT(ioapic_state);
SAME_FIELD(ioapic_state, base_address);
SAME_FIELD(ioapic_state, ioregsel);
SAME_FIELD(ioapic_state, id);
SAME_FIELD(ioapic_state, irr);
SAME_FIELD(ioapic_state, pad);
SAME_STRUCT(irqchip);
SAME_FIELD(irqchip, chip_id);
SAME_FIELD(irqchip, pad);
SAME_STRUCT(pit_config);
SAME_FIELD(pit_config, flags);
SAME_FIELD(pit_config, pad);
SAME_STRUCT(pit_channel_state);
SAME_FIELD(pit_channel_state, count);
SAME_FIELD(pit_channel_state, latched_count);
SAME_FIELD(pit_channel_state, count_latched);
SAME_FIELD(pit_channel_state, status_latched);
SAME_FIELD(pit_channel_state, status);
SAME_FIELD(pit_channel_state, read_state);
SAME_FIELD(pit_channel_state, write_state);
SAME_FIELD(pit_channel_state, write_latch);
SAME_FIELD(pit_channel_state, rw_mode);
SAME_FIELD(pit_channel_state, mode);
SAME_FIELD(pit_channel_state, bcd);
SAME_FIELD(pit_channel_state, gate);
SAME_FIELD(pit_channel_state, count_load_time);
SAME_STRUCT(pit_state);
SAME_STRUCT(pit_state2);
SAME_FIELD(pit_state2, flags);
SAME_FIELD(pit_state2, reserved);
SAME_STRUCT(reinject_control);
SAME_FIELD(reinject_control, pit_reinject);
SAME_FIELD(reinject_control, reserved);
SAME_STRUCT(vapic_addr);
SAME_FIELD(vapic_addr, vapic_addr);
SAME_CONST(SET_VAPIC_ADDR);
SAME_CONST(GET_LAPIC);
SAME_CONST(SET_LAPIC);

SAME_STRUCT(clear_dirty_log);
SAME_FIELD(clear_dirty_log, slot);
SAME_FIELD(clear_dirty_log, num_pages);
SAME_FIELD(clear_dirty_log, first_page);
SAME_SLOT(clear_dirty_log, dirty_bitmap);

SAME_CONST(DIRTY_LOG_MANUAL_PROTECT_ENABLE);
SAME_CONST(DIRTY_LOG_INITIALLY_SET);

/* binary statistics (KVMINI_GET_STATS_FD) */
SAME_STRUCT(stats_header);
SAME_FIELD(stats_header, flags);
SAME_FIELD(stats_header, name_size);
SAME_FIELD(stats_header, num_desc);
SAME_FIELD(stats_header, id_offset);
SAME_FIELD(stats_header, desc_offset);
SAME_FIELD(stats_header, data_offset);
SAME_STRUCT(stats_desc);
SAME_FIELD(stats_desc, flags);
SAME_FIELD(stats_desc, exponent);
SAME_FIELD(stats_desc, size);
SAME_FIELD(stats_desc, offset);
SAME_FIELD(stats_desc, bucket_size);
_Static_assert(COUNT_FACT && KVMINI_OFF(stats_desc, name) == KVM_OFF(stats_desc, name),
	       "offset of kvmini_stats_desc.name");
DOC_VALUE(KVMINI_STATS_NAME_SIZE, 48);	/* KVM_STATS_NAME_SIZE, kvm_host.h */
SAME_CONST(STATS_TYPE_SHIFT);
SAME_CONST(STATS_TYPE_MASK);
SAME_CONST(STATS_TYPE_CUMULATIVE);
SAME_CONST(STATS_TYPE_INSTANT);
SAME_CONST(STATS_TYPE_PEAK);
SAME_CONST(STATS_TYPE_LINEAR_HIST);
SAME_CONST(STATS_TYPE_LOG_HIST);
SAME_CONST(STATS_TYPE_MAX);
SAME_CONST(STATS_UNIT_SHIFT);
SAME_CONST(STATS_UNIT_MASK);
SAME_CONST(STATS_UNIT_NONE);
SAME_CONST(STATS_UNIT_BYTES);
SAME_CONST(STATS_UNIT_SECONDS);
SAME_CONST(STATS_UNIT_CYCLES);
SAME_CONST(STATS_UNIT_BOOLEAN);
SAME_CONST(STATS_UNIT_MAX);
SAME_CONST(STATS_BASE_SHIFT);
SAME_CONST(STATS_BASE_MASK);
SAME_CONST(STATS_BASE_POW10);
SAME_CONST(STATS_BASE_POW2);
SAME_CONST(STATS_BASE_MAX);
SAME_CONST(GET_STATS_FD);

SAME_STRUCT(clock_data);
SAME_FIELD(clock_data, clock);
SAME_FIELD(clock_data, flags);
SAME_FIELD(clock_data, pad0);
SAME_FIELD(clock_data, realtime);
SAME_FIELD(clock_data, host_tsc);
SAME_FIELD(clock_data, pad);

SAME_CONST(CLOCK_TSC_STABLE);
SAME_CONST(CLOCK_REALTIME);
SAME_CONST(CLOCK_HOST_TSC);

SAME_STRUCT(enable_cap);
SAME_FIELD(enable_cap, cap);
SAME_FIELD(enable_cap, flags);
SAME_FIELD(enable_cap, args);
SAME_FIELD(enable_cap, pad);

SAME_STRUCT(ioeventfd);
SAME_FIELD(ioeventfd, datamatch);
SAME_FIELD(ioeventfd, addr);
SAME_FIELD(ioeventfd, len);
SAME_FIELD(ioeventfd, fd);
SAME_FIELD(ioeventfd, flags);
SAME_FIELD(ioeventfd, pad);

SAME_CONST(IOEVENTFD_FLAG_DATAMATCH);
SAME_CONST(IOEVENTFD_FLAG_PIO);
SAME_CONST(IOEVENTFD_FLAG_DEASSIGN);

SAME_STRUCT(coalesced_mmio_zone);
SAME_FIELD(coalesced_mmio_zone, addr);
SAME_FIELD(coalesced_mmio_zone, size);
SAME_FIELD(coalesced_mmio_zone, pad);
SAME_FIELD(coalesced_mmio_zone, pio);

SAME_STRUCT(coalesced_mmio);
SAME_FIELD(coalesced_mmio, phys_addr);
SAME_FIELD(coalesced_mmio, len);
SAME_FIELD(coalesced_mmio, pad);
SAME_FIELD(coalesced_mmio, pio);
SAME_FIELD(coalesced_mmio, data);

SAME_STRUCT(coalesced_mmio_ring);
SAME_FIELD(coalesced_mmio_ring, first);
SAME_FIELD(coalesced_mmio_ring, last);
SAME_FLEX(coalesced_mmio_ring, coalesced_mmio);

SAME_CONST(PIO_PAGE_OFFSET);
SAME_CONST(COALESCED_MMIO_PAGE_OFFSET);
SAME_CONST(MSR_FILTER_MAX_BITMAP_SIZE);
SAME_CONST(MSR_FILTER_MAX_RANGES);

SAME_STRUCT(msr_filter_range);
SAME_FIELD(msr_filter_range, flags);
SAME_FIELD(msr_filter_range, nmsrs);
SAME_FIELD(msr_filter_range, base);
PAD_HOLE(msr_filter_range, pad, base, bitmap);
SAME_SLOT(msr_filter_range, bitmap);

SAME_CONST(MSR_FILTER_READ);
SAME_CONST(MSR_FILTER_WRITE);

SAME_STRUCT(msr_filter);
SAME_FIELD(msr_filter, flags);
PAD_HOLE(msr_filter, pad, flags, ranges);
SAME_NESTED(msr_filter, ranges);

SAME_CONST(MSR_FILTER_DEFAULT_ALLOW);
SAME_CONST(MSR_FILTER_DEFAULT_DENY);

/* VM ioctl numbers */
SAME_CONST(CREATE_VCPU);
SAME_CONST(GET_DIRTY_LOG);
SAME_CONST(SET_GSI_ROUTING);
SAME_CONST(SET_NR_MMU_PAGES);
SAME_CONST(GET_NR_MMU_PAGES);
SAME_CONST(SET_USER_MEMORY_REGION);
SAME_CONST(SET_TSS_ADDR);
SAME_CONST(SET_IDENTITY_MAP_ADDR);
SAME_CONST(REGISTER_COALESCED_MMIO);
SAME_CONST(UNREGISTER_COALESCED_MMIO);
SAME_CONST(IOEVENTFD);
SAME_CONST(SET_CLOCK);
SAME_CONST(GET_CLOCK);
SAME_CONST(ENABLE_CAP);
SAME_CONST(CLEAR_DIRTY_LOG);
SAME_CONST(X86_SET_MSR_FILTER);

/* ================= vCPU ioctls and their structures ================= */

SAME_STRUCT(regs);
SAME_FIELD(regs, rax);
SAME_FIELD(regs, rbx);
SAME_FIELD(regs, rcx);
SAME_FIELD(regs, rdx);
SAME_FIELD(regs, rsi);
SAME_FIELD(regs, rdi);
SAME_FIELD(regs, rsp);
SAME_FIELD(regs, rbp);
SAME_FIELD(regs, r8);
SAME_FIELD(regs, r9);
SAME_FIELD(regs, r10);
SAME_FIELD(regs, r11);
SAME_FIELD(regs, r12);
SAME_FIELD(regs, r13);
SAME_FIELD(regs, r14);
SAME_FIELD(regs, r15);
SAME_FIELD(regs, rip);
SAME_FIELD(regs, rflags);

SAME_STRUCT(segment);
SAME_FIELD(segment, base);
SAME_FIELD(segment, limit);
SAME_FIELD(segment, selector);
SAME_FIELD(segment, type);
SAME_FIELD(segment, present);
SAME_FIELD(segment, dpl);
SAME_FIELD(segment, db);
SAME_FIELD(segment, s);
SAME_FIELD(segment, l);
SAME_FIELD(segment, g);
SAME_FIELD(segment, avl);
SAME_FIELD(segment, unusable);
SAME_FIELD(segment, padding);

SAME_STRUCT(dtable);
SAME_FIELD(dtable, base);
SAME_FIELD(dtable, limit);
SAME_FIELD(dtable, padding);

SAME_CONST(NR_INTERRUPTS);

SAME_STRUCT(sregs);
SAME_NESTED(sregs, cs);
SAME_NESTED(sregs, ds);
SAME_NESTED(sregs, es);
SAME_NESTED(sregs, fs);
SAME_NESTED(sregs, gs);
SAME_NESTED(sregs, ss);
SAME_NESTED(sregs, tr);
SAME_NESTED(sregs, ldt);
SAME_NESTED(sregs, gdt);
SAME_NESTED(sregs, idt);
SAME_FIELD(sregs, cr0);
SAME_FIELD(sregs, cr2);
SAME_FIELD(sregs, cr3);
SAME_FIELD(sregs, cr4);
SAME_FIELD(sregs, cr8);
SAME_FIELD(sregs, efer);
SAME_FIELD(sregs, apic_base);
SAME_FIELD(sregs, interrupt_bitmap);

SAME_STRUCT(sregs2);
SAME_NESTED(sregs2, cs);
SAME_NESTED(sregs2, ds);
SAME_NESTED(sregs2, es);
SAME_NESTED(sregs2, fs);
SAME_NESTED(sregs2, gs);
SAME_NESTED(sregs2, ss);
SAME_NESTED(sregs2, tr);
SAME_NESTED(sregs2, ldt);
SAME_NESTED(sregs2, gdt);
SAME_NESTED(sregs2, idt);
SAME_FIELD(sregs2, cr0);
SAME_FIELD(sregs2, cr2);
SAME_FIELD(sregs2, cr3);
SAME_FIELD(sregs2, cr4);
SAME_FIELD(sregs2, cr8);
SAME_FIELD(sregs2, efer);
SAME_FIELD(sregs2, apic_base);
SAME_FIELD(sregs2, flags);
SAME_FIELD(sregs2, pdptrs);

SAME_CONST(SREGS2_FLAGS_PDPTRS_VALID);

SAME_STRUCT(vcpu_events);
SAME_NESTED(vcpu_events, exception);
SAME_FIELD(vcpu_events, exception.injected);
SAME_FIELD(vcpu_events, exception.nr);
SAME_FIELD(vcpu_events, exception.has_error_code);
SAME_FIELD(vcpu_events, exception.pending);
SAME_FIELD(vcpu_events, exception.error_code);
SAME_NESTED(vcpu_events, interrupt);
SAME_FIELD(vcpu_events, interrupt.injected);
SAME_FIELD(vcpu_events, interrupt.nr);
SAME_FIELD(vcpu_events, interrupt.soft);
SAME_FIELD(vcpu_events, interrupt.shadow);
SAME_NESTED(vcpu_events, nmi);
SAME_FIELD(vcpu_events, nmi.injected);
SAME_FIELD(vcpu_events, nmi.pending);
SAME_FIELD(vcpu_events, nmi.masked);
SAME_FIELD(vcpu_events, nmi.pad);
SAME_FIELD(vcpu_events, sipi_vector);
SAME_FIELD(vcpu_events, flags);
SAME_NESTED(vcpu_events, smi);
SAME_FIELD(vcpu_events, smi.smm);
SAME_FIELD(vcpu_events, smi.pending);
SAME_FIELD(vcpu_events, smi.smm_inside_nmi);
SAME_FIELD(vcpu_events, smi.latched_init);
SAME_NESTED(vcpu_events, triple_fault);
SAME_FIELD(vcpu_events, triple_fault.pending);
SAME_FIELD(vcpu_events, reserved);
SAME_FIELD(vcpu_events, exception_has_payload);
SAME_FIELD(vcpu_events, exception_payload);

SAME_CONST(VCPUEVENT_VALID_NMI_PENDING);
SAME_CONST(VCPUEVENT_VALID_SIPI_VECTOR);
SAME_CONST(VCPUEVENT_VALID_SHADOW);
SAME_CONST(VCPUEVENT_VALID_SMM);
SAME_CONST(VCPUEVENT_VALID_PAYLOAD);
SAME_CONST(VCPUEVENT_VALID_TRIPLE_FAULT);
SAME_CONST(X86_SHADOW_INT_MOV_SS);
SAME_CONST(X86_SHADOW_INT_STI);

SAME_STRUCT(sync_regs);
SAME_NESTED(sync_regs, regs);
SAME_NESTED(sync_regs, sregs);
SAME_NESTED(sync_regs, events);

SAME_CONST(SYNC_X86_REGS);
SAME_CONST(SYNC_X86_SREGS);
SAME_CONST(SYNC_X86_EVENTS);
SAME_CONST(SYNC_X86_VALID_FIELDS);
SAME_VALUE(KVMINI_SYNC_REGS_SIZE_BYTES, SYNC_REGS_SIZE_BYTES);

SAME_STRUCT(debug_exit_arch);
SAME_FIELD(debug_exit_arch, exception);
SAME_FIELD(debug_exit_arch, pad);
SAME_FIELD(debug_exit_arch, pc);
SAME_FIELD(debug_exit_arch, dr6);
SAME_FIELD(debug_exit_arch, dr7);

/* exit reasons and the codes reported with them */
SAME_CONST(EXIT_UNKNOWN);
SAME_CONST(EXIT_EXCEPTION);
SAME_CONST(EXIT_IO);
SAME_CONST(EXIT_HYPERCALL);
SAME_CONST(EXIT_DEBUG);
SAME_CONST(EXIT_HLT);
SAME_CONST(EXIT_MMIO);
SAME_CONST(EXIT_IRQ_WINDOW_OPEN);
SAME_CONST(EXIT_SHUTDOWN);
SAME_CONST(EXIT_FAIL_ENTRY);
SAME_CONST(EXIT_INTR);
SAME_CONST(EXIT_SET_TPR);
SAME_CONST(EXIT_TPR_ACCESS);
SAME_CONST(EXIT_S390_SIEIC);
SAME_CONST(EXIT_S390_RESET);
SAME_CONST(EXIT_DCR);
SAME_CONST(EXIT_NMI);
SAME_CONST(EXIT_INTERNAL_ERROR);
SAME_CONST(EXIT_OSI);
SAME_CONST(EXIT_PAPR_HCALL);
SAME_CONST(EXIT_S390_UCONTROL);
SAME_CONST(EXIT_WATCHDOG);
SAME_CONST(EXIT_S390_TSCH);
SAME_CONST(EXIT_EPR);
SAME_CONST(EXIT_SYSTEM_EVENT);
SAME_CONST(EXIT_S390_STSI);
SAME_CONST(EXIT_IOAPIC_EOI);
SAME_CONST(EXIT_HYPERV);
SAME_CONST(EXIT_ARM_NISV);
SAME_CONST(EXIT_X86_RDMSR);
SAME_CONST(EXIT_X86_WRMSR);
SAME_CONST(EXIT_DIRTY_RING_FULL);
SAME_CONST(EXIT_AP_RESET_HOLD);
SAME_CONST(EXIT_X86_BUS_LOCK);
SAME_CONST(EXIT_XEN);
SAME_CONST(EXIT_RISCV_SBI);
SAME_CONST(EXIT_RISCV_CSR);
SAME_CONST(EXIT_NOTIFY);
SAME_CONST(EXIT_IO_IN);
SAME_CONST(EXIT_IO_OUT);
SAME_CONST(INTERNAL_ERROR_EMULATION);
SAME_CONST(INTERNAL_ERROR_SIMUL_EX);
SAME_CONST(INTERNAL_ERROR_DELIVERY_EV);
SAME_CONST(INTERNAL_ERROR_UNEXPECTED_EXIT_REASON);
SAME_CONST(INTERNAL_ERROR_EMULATION_FLAG_INSTRUCTION_BYTES);
SAME_CONST(SYSTEM_EVENT_SHUTDOWN);
SAME_CONST(SYSTEM_EVENT_RESET);
SAME_CONST(SYSTEM_EVENT_CRASH);
SAME_CONST(SYSTEM_EVENT_WAKEUP);
SAME_CONST(SYSTEM_EVENT_SUSPEND);
SAME_CONST(SYSTEM_EVENT_SEV_TERM);
SAME_CONST(MSR_EXIT_REASON_INVAL);
SAME_CONST(MSR_EXIT_REASON_UNKNOWN);
SAME_CONST(MSR_EXIT_REASON_FILTER);
SAME_CONST(NOTIFY_CONTEXT_INVALID);
SAME_CONST(RUN_X86_SMM);
SAME_CONST(RUN_X86_BUS_LOCK);

/* the run area */
SAME_STRUCT(run);
SAME_FIELD(run, request_interrupt_window);
SAME_FIELD(run, immediate_exit);
SAME_FIELD(run, padding1);
SAME_FIELD(run, exit_reason);
SAME_FIELD(run, ready_for_interrupt_injection);
SAME_FIELD(run, if_flag);
SAME_FIELD(run, flags);
SAME_FIELD(run, cr8);
SAME_FIELD(run, apic_base);
SAME_NESTED(run, hw);
SAME_FIELD(run, hw.hardware_exit_reason);
SAME_NESTED(run, fail_entry);
SAME_FIELD(run, fail_entry.hardware_entry_failure_reason);
SAME_FIELD(run, fail_entry.cpu);
PAD_TAIL(run, fail_entry, pad, cpu);
SAME_NESTED(run, ex);
SAME_FIELD(run, ex.exception);
SAME_FIELD(run, ex.error_code);
SAME_NESTED(run, io);
SAME_FIELD(run, io.direction);
SAME_FIELD(run, io.size);
SAME_FIELD(run, io.port);
SAME_FIELD(run, io.count);
SAME_FIELD(run, io.data_offset);
SAME_NESTED(run, debug);
SAME_NESTED(run, debug.arch);
SAME_NESTED(run, mmio);
SAME_FIELD(run, mmio.phys_addr);
SAME_FIELD(run, mmio.data);
SAME_FIELD(run, mmio.len);
SAME_FIELD(run, mmio.is_write);
PAD_TAIL(run, mmio, pad, is_write);
SAME_NESTED(run, hypercall);
SAME_FIELD(run, hypercall.nr);
SAME_FIELD(run, hypercall.args);
SAME_FIELD(run, hypercall.ret);
SAME_FIELD(run, hypercall.longmode);
SAME_FIELD(run, hypercall.pad);
SAME_NESTED(run, tpr_access);
SAME_FIELD(run, tpr_access.rip);
SAME_FIELD(run, tpr_access.is_write);
SAME_FIELD(run, tpr_access.pad);
SAME_NESTED(run, internal);
SAME_FIELD(run, internal.suberror);
SAME_FIELD(run, internal.ndata);
SAME_FIELD(run, internal.data);
SAME_NESTED(run, emulation_failure);
SAME_FIELD(run, emulation_failure.suberror);
SAME_FIELD(run, emulation_failure.ndata);
SAME_FIELD(run, emulation_failure.flags);
SAME_FIELD(run, emulation_failure.insn_size);
SAME_FIELD(run, emulation_failure.insn_bytes);
SAME_NESTED(run, system_event);
SAME_FIELD(run, system_event.type);
SAME_FIELD(run, system_event.ndata);
SAME_FIELD(run, system_event.flags);
SAME_FIELD(run, system_event.data);
SAME_NESTED(run, eoi);
SAME_FIELD(run, eoi.vector);
SAME_NESTED(run, msr);
SAME_FIELD(run, msr.error);
SAME_FIELD(run, msr.pad);
SAME_FIELD(run, msr.reason);
SAME_FIELD(run, msr.index);
SAME_FIELD(run, msr.data);
SAME_NESTED(run, notify);
SAME_FIELD(run, notify.flags);
SAME_SLOT(run, padding);
SAME_FIELD(run, kvm_valid_regs);
SAME_FIELD(run, kvm_dirty_regs);
SAME_NESTED(run, s);
SAME_NESTED(run, s.regs);
SAME_SLOT(run, s.padding);

SAME_STRUCT(fpu);
SAME_FIELD(fpu, fpr);
SAME_FIELD(fpu, fcw);
SAME_FIELD(fpu, fsw);
SAME_FIELD(fpu, ftwx);
SAME_FIELD(fpu, pad1);
SAME_FIELD(fpu, last_opcode);
SAME_FIELD(fpu, last_ip);
SAME_FIELD(fpu, last_dp);
SAME_FIELD(fpu, xmm);
SAME_FIELD(fpu, mxcsr);
SAME_FIELD(fpu, pad2);

SAME_STRUCT(msr_entry);
SAME_FIELD(msr_entry, index);
SAME_FIELD(msr_entry, reserved);
SAME_FIELD(msr_entry, data);

SAME_STRUCT(msrs);
SAME_FIELD(msrs, nmsrs);
SAME_FIELD(msrs, pad);
SAME_FLEX(msrs, entries);

SAME_STRUCT(translation);
SAME_FIELD(translation, linear_address);
SAME_FIELD(translation, physical_address);
SAME_FIELD(translation, valid);
SAME_FIELD(translation, writeable);
SAME_FIELD(translation, usermode);
SAME_FIELD(translation, pad);

SAME_STRUCT(interrupt);
SAME_FIELD(interrupt, irq);

SAME_STRUCT(signal_mask);
SAME_FIELD(signal_mask, len);
SAME_FLEX(signal_mask, sigset);

SAME_STRUCT(mp_state);
SAME_FIELD(mp_state, mp_state);

SAME_CONST(MP_STATE_RUNNABLE);
SAME_CONST(MP_STATE_UNINITIALIZED);
SAME_CONST(MP_STATE_INIT_RECEIVED);
SAME_CONST(MP_STATE_HALTED);
SAME_CONST(MP_STATE_SIPI_RECEIVED);
SAME_CONST(MP_STATE_STOPPED);
SAME_CONST(MP_STATE_CHECK_STOP);
SAME_CONST(MP_STATE_OPERATING);
SAME_CONST(MP_STATE_LOAD);
SAME_CONST(MP_STATE_AP_RESET_HOLD);
SAME_CONST(MP_STATE_SUSPENDED);

SAME_STRUCT(debugregs);
SAME_FIELD(debugregs, db);
SAME_FIELD(debugregs, dr6);
SAME_FIELD(debugregs, dr7);
SAME_FIELD(debugregs, flags);
SAME_FIELD(debugregs, reserved);

SAME_STRUCT(xsave);
SAME_FIELD(xsave, region);
SAME_FLEX(xsave, extra);

SAME_CONST(MAX_XCRS);

SAME_STRUCT(xcr);
SAME_FIELD(xcr, xcr);
SAME_FIELD(xcr, reserved);
SAME_FIELD(xcr, value);

SAME_STRUCT(xcrs);
SAME_FIELD(xcrs, nr_xcrs);
SAME_FIELD(xcrs, flags);
SAME_NESTED(xcrs, xcrs);
SAME_FIELD(xcrs, padding);

SAME_STRUCT(x86_mce);
SAME_FIELD(x86_mce, status);
SAME_FIELD(x86_mce, addr);
SAME_FIELD(x86_mce, misc);
SAME_FIELD(x86_mce, mcg_status);
SAME_FIELD(x86_mce, bank);
SAME_FIELD(x86_mce, pad1);
SAME_FIELD(x86_mce, pad2);

SAME_STRUCT(guest_debug_arch);
SAME_FIELD(guest_debug_arch, debugreg);

SAME_STRUCT(guest_debug);
SAME_FIELD(guest_debug, control);
SAME_FIELD(guest_debug, pad);
SAME_NESTED(guest_debug, arch);

SAME_CONST(GUESTDBG_ENABLE);
SAME_CONST(GUESTDBG_SINGLESTEP);
SAME_CONST(GUESTDBG_USE_SW_BP);
SAME_CONST(GUESTDBG_USE_HW_BP);
SAME_CONST(GUESTDBG_INJECT_DB);
SAME_CONST(GUESTDBG_INJECT_BP);
SAME_CONST(GUESTDBG_BLOCKIRQ);

/* vCPU ioctl numbers */
SAME_CONST(RUN);
SAME_CONST(GET_REGS);
SAME_CONST(SET_REGS);
SAME_CONST(GET_SREGS);
SAME_CONST(SET_SREGS);
SAME_CONST(TRANSLATE);
SAME_CONST(INTERRUPT);
SAME_CONST(GET_MSRS);
SAME_CONST(SET_MSRS);
SAME_CONST(SET_SIGNAL_MASK);
SAME_CONST(GET_FPU);
SAME_CONST(SET_FPU);
SAME_CONST(SET_CPUID2);
SAME_CONST(GET_CPUID2);
SAME_CONST(GET_MP_STATE);
SAME_CONST(SET_MP_STATE);
SAME_CONST(NMI);
SAME_CONST(SET_GUEST_DEBUG);
SAME_CONST(X86_SETUP_MCE);
SAME_CONST(X86_SET_MCE);
SAME_CONST(GET_VCPU_EVENTS);
SAME_CONST(SET_VCPU_EVENTS);
SAME_CONST(GET_DEBUGREGS);
SAME_CONST(SET_DEBUGREGS);
SAME_CONST(SET_TSC_KHZ);
SAME_CONST(GET_TSC_KHZ);
SAME_CONST(GET_XSAVE);
SAME_CONST(SET_XSAVE);
SAME_CONST(GET_XCRS);
SAME_CONST(SET_XCRS);
SAME_CONST(KVMCLOCK_CTRL);
SAME_CONST(SMI);
SAME_CONST(GET_SREGS2);
SAME_CONST(SET_SREGS2);
SAME_CONST(GET_XSAVE2);

/* Device attributes of a vCPU: the TSC offset. */
SAME_STRUCT(device_attr);
SAME_FIELD(device_attr, flags);
SAME_FIELD(device_attr, group);
SAME_FIELD(device_attr, attr);
SAME_FIELD(device_attr, addr);
SAME_CONST(VCPU_TSC_CTRL);
SAME_CONST(VCPU_TSC_OFFSET);
SAME_CONST(SET_DEVICE_ATTR);
SAME_CONST(GET_DEVICE_ATTR);
SAME_CONST(HAS_DEVICE_ATTR);
SAME_CONST(SET_BOOT_CPU_ID);

/* The hypercall ABI (<linux/kvm_para.h>, <asm/kvm_para.h>). */
SAME_CONST(HC_VAPIC_POLL_IRQ);
SAME_CONST(HC_MMU_OP);
SAME_CONST(HC_FEATURES);
SAME_CONST(HC_PPC_MAP_MAGIC_PAGE);
SAME_CONST(HC_KICK_CPU);
SAME_CONST(HC_MIPS_GET_CLOCK_FREQ);
SAME_CONST(HC_MIPS_EXIT_VM);
SAME_CONST(HC_MIPS_CONSOLE_OUTPUT);
SAME_CONST(HC_CLOCK_PAIRING);
SAME_CONST(HC_SEND_IPI);
SAME_CONST(HC_SCHED_YIELD);
SAME_CONST(HC_MAP_GPA_RANGE);
SAME_CONST(ENOSYS);
SAME_CONST(EFAULT);
SAME_CONST(EINVAL);
SAME_CONST(E2BIG);
SAME_CONST(EPERM);
SAME_CONST(EOPNOTSUPP);
SAME_CONST(CPUID_SIGNATURE);
SAME_CONST(CPUID_FEATURES);
SAME_CONST(FEATURE_PV_UNHALT);
SAME_CONST(FEATURE_PV_SEND_IPI);
SAME_CONST(FEATURE_PV_SCHED_YIELD);
SAME_CONST(FEATURE_CLOCKSOURCE);
SAME_CONST(FEATURE_NOP_IO_DELAY);
SAME_CONST(FEATURE_CLOCKSOURCE2);
SAME_CONST(FEATURE_CLOCKSOURCE_STABLE_BIT);
SAME_CONST(FEATURE_STEAL_TIME);
SAME_CONST(FEATURE_PV_TLB_FLUSH);

/* Steal time: its MSR, the MSR's bits, the guest's area. */
SAME_VALUE(KVMINI_MSR_KVM_STEAL_TIME, MSR_KVM_STEAL_TIME);
SAME_VALUE(KVMINI_MSR_ENABLED, KVM_MSR_ENABLED);
SAME_CONST(STEAL_ALIGNMENT_BITS);
SAME_CONST(STEAL_VALID_BITS);
SAME_CONST(STEAL_RESERVED_MASK);
SAME_CONST(VCPU_PREEMPTED);
SAME_CONST(VCPU_FLUSH_TLB);
SAME_STRUCT(steal_time);
SAME_FIELD(steal_time, steal);
SAME_FIELD(steal_time, version);
SAME_FIELD(steal_time, flags);
SAME_FIELD(steal_time, preempted);
SAME_FIELD(steal_time, u8_pad);
SAME_FIELD(steal_time, pad);

/* kvmclock: its MSRs (<asm/kvm_para.h>), CLOCK_PAIRING's struct, pvclock's layout. */
SAME_VALUE(KVMINI_MSR_KVM_WALL_CLOCK, MSR_KVM_WALL_CLOCK);
SAME_VALUE(KVMINI_MSR_KVM_SYSTEM_TIME, MSR_KVM_SYSTEM_TIME);
SAME_VALUE(KVMINI_MSR_KVM_WALL_CLOCK_NEW, MSR_KVM_WALL_CLOCK_NEW);
SAME_VALUE(KVMINI_MSR_KVM_SYSTEM_TIME_NEW, MSR_KVM_SYSTEM_TIME_NEW);
SAME_CONST(CLOCK_PAIRING_WALLCLOCK);
SAME_STRUCT(clock_pairing);
SAME_FIELD(clock_pairing, sec);
SAME_FIELD(clock_pairing, nsec);
SAME_FIELD(clock_pairing, tsc);
SAME_FIELD(clock_pairing, flags);
SAME_FIELD(clock_pairing, pad);
/* Documentation/virt/kvm/x86/msr.rst and the kernel's pvclock-abi.h. */
DOC_VALUE(sizeof(struct kvmini_pvclock_vcpu_time_info), 32);
DOC_VALUE(offsetof(struct kvmini_pvclock_vcpu_time_info, tsc_timestamp), 8);
DOC_VALUE(offsetof(struct kvmini_pvclock_vcpu_time_info, system_time), 16);
DOC_VALUE(offsetof(struct kvmini_pvclock_vcpu_time_info, tsc_to_system_mul), 24);
DOC_VALUE(offsetof(struct kvmini_pvclock_vcpu_time_info, tsc_shift), 28);
DOC_VALUE(offsetof(struct kvmini_pvclock_vcpu_time_info, flags), 29);
DOC_VALUE(sizeof(struct kvmini_pvclock_wall_clock), 12);
DOC_VALUE(offsetof(struct kvmini_pvclock_wall_clock, sec), 4);
DOC_VALUE(offsetof(struct kvmini_pvclock_wall_clock, nsec), 8);
DOC_VALUE(KVMINI_PVCLOCK_TSC_STABLE, 1);
DOC_VALUE(KVMINI_PVCLOCK_GUEST_STOPPED, 2);

/* ================= Run time: report in KTAP ================= */

enum { ABI_FACTS = __COUNTER__ - ABI_FACTS_BASE - 1 };

/* Number of fact lines above; grows with the header. */
#define ABI_FACTS_EXPECTED	881

TEST(abi_version)
{
	ASSERT_EQ(12, KVMINI_API_VERSION);
	ASSERT_EQ(KVM_API_VERSION, KVMINI_API_VERSION);
	ASSERT_EQ(0xAE, KVMINIIO);
}

TEST(abi_static_asserts_compiled)
{
	TH_LOG("%d facts about <linux/kvmini.h> checked at compile time",
	       (int)ABI_FACTS);
	/* catches fact lines lost by accident */
	ASSERT_EQ(ABI_FACTS_EXPECTED, (int)ABI_FACTS);
}

TEST_HARNESS_MAIN
