/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * kvmini user ABI: the ioctls and data layouts served on /dev/kvmini.
 *
 * Everything defined here is binary-identical to KVM API version 12
 * (ioctl type 0xAE) on x86-64: same ioctl numbers, same constants, same
 * structure sizes and field offsets.  Only the spelling differs, by a
 * fixed rule:
 *
 *	KVM_FOO          ->  KVMINI_FOO
 *	struct kvm_foo   ->  struct kvmini_foo
 *
 * Field names are unchanged.  No KVM_* or struct kvm_* name is defined,
 * so this header and <linux/kvm.h> can be used in one translation unit;
 * selftests/abi_test.c does exactly that and checks every item here against
 * its KVM twin.  Whatever is added here gets its line there as well.
 *
 * Conventions: fixed-width __u8/__u16/__u32/__u64 types (signed only where
 * KVM's field is signed), every hole is an explicit named padding field,
 * user pointers are carried as __u64, variable-length tails are flexible
 * array members.  Only the x86 subset of the KVM API is described.
 */
#ifndef _UAPI_LINUX_KVMINI_H
#define _UAPI_LINUX_KVMINI_H

#include <linux/types.h>
#include <linux/ioctl.h>

#define KVMINI_API_VERSION	12	/* what KVMINI_GET_API_VERSION returns */
#define KVMINIIO		0xAE	/* ioctl "type" byte, shared with KVM */

/*
 * ===================================================================
 * System ioctls: issued on the /dev/kvmini file descriptor
 * ===================================================================
 */

/* Argument of KVMINI_GET_MSR_INDEX_LIST / KVMINI_GET_MSR_FEATURE_INDEX_LIST. */
struct kvmini_msr_list {
	__u32 nmsrs;		/* in: room in indices[]; out: entries used */
	__u32 indices[];	/* MSR numbers */
};

/* One CPUID leaf/subleaf as reported or programmed. */
struct kvmini_cpuid_entry2 {
	__u32 function;		/* EAX input */
	__u32 index;		/* ECX input (subleaf) */
	__u32 flags;		/* KVMINI_CPUID_FLAG_* */
	__u32 eax;
	__u32 ebx;
	__u32 ecx;
	__u32 edx;
	__u32 padding[3];
};

/* kvmini_cpuid_entry2.flags (the misspelling is KVM's and is kept) */
#define KVMINI_CPUID_FLAG_SIGNIFCANT_INDEX	(1 << 0) /* index matters */
#define KVMINI_CPUID_FLAG_STATEFUL_FUNC		(1 << 1)
#define KVMINI_CPUID_FLAG_STATE_READ_NEXT	(1 << 2)

/*
 * Argument of KVMINI_GET_SUPPORTED_CPUID, KVMINI_GET_EMULATED_CPUID,
 * KVMINI_SET_CPUID2 and KVMINI_GET_CPUID2.
 */
struct kvmini_cpuid2 {
	__u32 nent;		/* number of entries[] */
	__u32 padding;
	struct kvmini_cpuid_entry2 entries[];
};

#define KVMINI_GET_API_VERSION		_IO(KVMINIIO, 0x00)
#define KVMINI_CREATE_VM		_IO(KVMINIIO, 0x01)	/* returns a VM fd */
#define KVMINI_GET_MSR_INDEX_LIST	_IOWR(KVMINIIO, 0x02, struct kvmini_msr_list)
#define KVMINI_CHECK_EXTENSION		_IO(KVMINIIO, 0x03)	/* arg: KVMINI_CAP_* */
#define KVMINI_GET_VCPU_MMAP_SIZE	_IO(KVMINIIO, 0x04)	/* bytes to mmap a vCPU fd */
#define KVMINI_GET_SUPPORTED_CPUID	_IOWR(KVMINIIO, 0x05, struct kvmini_cpuid2)
#define KVMINI_GET_EMULATED_CPUID	_IOWR(KVMINIIO, 0x09, struct kvmini_cpuid2)
#define KVMINI_GET_MSR_FEATURE_INDEX_LIST _IOWR(KVMINIIO, 0x0a, struct kvmini_msr_list)
#define KVMINI_X86_GET_MCE_CAP_SUPPORTED _IOR(KVMINIIO, 0x9d, __u64)

/*
 * ===================================================================
 * Capabilities: KVMINI_CHECK_EXTENSION / KVMINI_ENABLE_CAP numbers
 * ===================================================================
 *
 * The generic and x86 capability numbers of KVM.  Numbers that KVM uses
 * only for other architectures are left out; numbers KVM never assigned
 * (5, 17, 19, 20, 27, 28) stay unused.  Defining a number here does not
 * mean kvmini implements it: ask KVMINI_CHECK_EXTENSION.
 */

#define KVMINI_CAP_IRQCHIP			0
#define KVMINI_CAP_HLT				1
#define KVMINI_CAP_MMU_SHADOW_CACHE_CONTROL	2
#define KVMINI_CAP_USER_MEMORY			3
#define KVMINI_CAP_SET_TSS_ADDR			4
#define KVMINI_CAP_VAPIC			6
#define KVMINI_CAP_EXT_CPUID			7
#define KVMINI_CAP_CLOCKSOURCE			8
#define KVMINI_CAP_NR_VCPUS			9
#define KVMINI_CAP_NR_MEMSLOTS			10
#define KVMINI_CAP_PIT				11
#define KVMINI_CAP_NOP_IO_DELAY			12
#define KVMINI_CAP_PV_MMU			13
#define KVMINI_CAP_MP_STATE			14
#define KVMINI_CAP_COALESCED_MMIO		15
#define KVMINI_CAP_SYNC_MMU			16
#define KVMINI_CAP_IOMMU			18
#define KVMINI_CAP_DESTROY_MEMORY_REGION_WORKS	21
#define KVMINI_CAP_USER_NMI			22
#define KVMINI_CAP_SET_GUEST_DEBUG		23
#define KVMINI_CAP_REINJECT_CONTROL		24
#define KVMINI_CAP_IRQ_ROUTING			25
#define KVMINI_CAP_IRQ_INJECT_STATUS		26
#define KVMINI_CAP_ASSIGN_DEV_IRQ		29
#define KVMINI_CAP_JOIN_MEMORY_REGIONS_WORKS	30
#define KVMINI_CAP_MCE				31
#define KVMINI_CAP_IRQFD			32
#define KVMINI_CAP_PIT2				33
#define KVMINI_CAP_SET_BOOT_CPU_ID		34
#define KVMINI_CAP_PIT_STATE2			35
#define KVMINI_CAP_IOEVENTFD			36
#define KVMINI_CAP_SET_IDENTITY_MAP_ADDR	37
#define KVMINI_CAP_XEN_HVM			38
#define KVMINI_CAP_ADJUST_CLOCK			39
#define KVMINI_CAP_INTERNAL_ERROR_DATA		40
#define KVMINI_CAP_VCPU_EVENTS			41
#define KVMINI_CAP_HYPERV			44
#define KVMINI_CAP_HYPERV_VAPIC			45
#define KVMINI_CAP_HYPERV_SPIN			46
#define KVMINI_CAP_PCI_SEGMENT			47
#define KVMINI_CAP_INTR_SHADOW			49
#define KVMINI_CAP_DEBUGREGS			50
#define KVMINI_CAP_X86_ROBUST_SINGLESTEP	51
#define KVMINI_CAP_ENABLE_CAP			54
#define KVMINI_CAP_XSAVE			55
#define KVMINI_CAP_XCRS				56
#define KVMINI_CAP_ASYNC_PF			59
#define KVMINI_CAP_TSC_CONTROL			60
#define KVMINI_CAP_GET_TSC_KHZ			61
#define KVMINI_CAP_MAX_VCPUS			66
#define KVMINI_CAP_ONE_REG			70
#define KVMINI_CAP_TSC_DEADLINE_TIMER		72
#define KVMINI_CAP_SYNC_REGS			74
#define KVMINI_CAP_PCI_2_3			75
#define KVMINI_CAP_KVMCLOCK_CTRL		76
#define KVMINI_CAP_SIGNAL_MSI			77
#define KVMINI_CAP_READONLY_MEM			81
#define KVMINI_CAP_IRQFD_RESAMPLE		82
#define KVMINI_CAP_DEVICE_CTRL			89
#define KVMINI_CAP_EXT_EMUL_CPUID		95
#define KVMINI_CAP_HYPERV_TIME			96
#define KVMINI_CAP_IOAPIC_POLARITY_IGNORED	97
#define KVMINI_CAP_ENABLE_CAP_VM		98
#define KVMINI_CAP_IOEVENTFD_NO_LENGTH		100
#define KVMINI_CAP_VM_ATTRIBUTES		101
#define KVMINI_CAP_CHECK_EXTENSION_VM		105
#define KVMINI_CAP_DISABLE_QUIRKS		116
#define KVMINI_CAP_X86_SMM			117
#define KVMINI_CAP_MULTI_ADDRESS_SPACE		118
#define KVMINI_CAP_SPLIT_IRQCHIP		121
#define KVMINI_CAP_IOEVENTFD_ANY_LENGTH		122
#define KVMINI_CAP_HYPERV_SYNIC			123
#define KVMINI_CAP_VCPU_ATTRIBUTES		127
#define KVMINI_CAP_MAX_VCPU_ID			128
#define KVMINI_CAP_X2APIC_API			129
#define KVMINI_CAP_IMMEDIATE_EXIT		136
#define KVMINI_CAP_X86_DISABLE_EXITS		143
#define KVMINI_CAP_HYPERV_SYNIC2		148
#define KVMINI_CAP_HYPERV_VP_INDEX		149
#define KVMINI_CAP_GET_MSR_FEATURES		153
#define KVMINI_CAP_HYPERV_EVENTFD		154
#define KVMINI_CAP_HYPERV_TLBFLUSH		155
#define KVMINI_CAP_NESTED_STATE			157
#define KVMINI_CAP_MSR_PLATFORM_INFO		159
#define KVMINI_CAP_HYPERV_SEND_IPI		161
#define KVMINI_CAP_COALESCED_PIO		162
#define KVMINI_CAP_HYPERV_ENLIGHTENED_VMCS	163
#define KVMINI_CAP_EXCEPTION_PAYLOAD		164
#define KVMINI_CAP_MANUAL_DIRTY_LOG_PROTECT	166
#define KVMINI_CAP_HYPERV_CPUID			167
#define KVMINI_CAP_MANUAL_DIRTY_LOG_PROTECT2	168
#define KVMINI_CAP_PMU_EVENT_FILTER		173
#define KVMINI_CAP_HYPERV_DIRECT_TLBFLUSH	175
#define KVMINI_CAP_HALT_POLL			182
#define KVMINI_CAP_ASYNC_PF_INT			183
#define KVMINI_CAP_LAST_CPU			184
#define KVMINI_CAP_SMALLER_MAXPHYADDR		185
#define KVMINI_CAP_STEAL_TIME			187
#define KVMINI_CAP_X86_USER_SPACE_MSR		188
#define KVMINI_CAP_X86_MSR_FILTER		189
#define KVMINI_CAP_ENFORCE_PV_FEATURE_CPUID	190
#define KVMINI_CAP_SYS_HYPERV_CPUID		191
#define KVMINI_CAP_DIRTY_LOG_RING		192
#define KVMINI_CAP_X86_BUS_LOCK_EXIT		193
#define KVMINI_CAP_SET_GUEST_DEBUG2		195
#define KVMINI_CAP_SGX_ATTRIBUTE		196
#define KVMINI_CAP_VM_COPY_ENC_CONTEXT_FROM	197
#define KVMINI_CAP_HYPERV_ENFORCE_CPUID		199
#define KVMINI_CAP_SREGS2			200
#define KVMINI_CAP_EXIT_HYPERCALL		201
#define KVMINI_CAP_BINARY_STATS_FD		203
#define KVMINI_CAP_EXIT_ON_EMULATION_FAILURE	204
#define KVMINI_CAP_VM_MOVE_ENC_CONTEXT_FROM	206
#define KVMINI_CAP_XSAVE2			208
#define KVMINI_CAP_SYS_ATTRIBUTES		209
#define KVMINI_CAP_PMU_CAPABILITY		212
#define KVMINI_CAP_DISABLE_QUIRKS2		213
#define KVMINI_CAP_VM_TSC_CONTROL		214
#define KVMINI_CAP_SYSTEM_EVENT_DATA		215
#define KVMINI_CAP_X86_TRIPLE_FAULT_EVENT	218
#define KVMINI_CAP_X86_NOTIFY_VMEXIT		219
#define KVMINI_CAP_VM_DISABLE_NX_HUGE_PAGES	220
#define KVMINI_CAP_DIRTY_LOG_RING_ACQ_REL	223

/* Argument bits for KVMINI_ENABLE_CAP(KVMINI_CAP_X86_DISABLE_EXITS). */
#define KVMINI_X86_DISABLE_EXITS_MWAIT		(1 << 0)
#define KVMINI_X86_DISABLE_EXITS_HLT		(1 << 1)
#define KVMINI_X86_DISABLE_EXITS_PAUSE		(1 << 2)
#define KVMINI_X86_DISABLE_EXITS_CSTATE		(1 << 3)
#define KVMINI_X86_DISABLE_VALID_EXITS		(KVMINI_X86_DISABLE_EXITS_MWAIT | \
						 KVMINI_X86_DISABLE_EXITS_HLT | \
						 KVMINI_X86_DISABLE_EXITS_PAUSE | \
						 KVMINI_X86_DISABLE_EXITS_CSTATE)

/* Argument bits for KVMINI_ENABLE_CAP(KVMINI_CAP_X86_BUS_LOCK_EXIT). */
#define KVMINI_BUS_LOCK_DETECTION_OFF		(1 << 0)
#define KVMINI_BUS_LOCK_DETECTION_EXIT		(1 << 1)

/* Argument bits for KVMINI_ENABLE_CAP(KVMINI_CAP_X86_NOTIFY_VMEXIT). */
#define KVMINI_X86_NOTIFY_VMEXIT_ENABLED	(1ULL << 0)
#define KVMINI_X86_NOTIFY_VMEXIT_USER		(1ULL << 1)

/* Quirk bits for KVMINI_ENABLE_CAP(KVMINI_CAP_DISABLE_QUIRKS{,2}). */
#define KVMINI_X86_QUIRK_LINT0_REENABLED	(1 << 0)
#define KVMINI_X86_QUIRK_CD_NW_CLEARED		(1 << 1)
#define KVMINI_X86_QUIRK_LAPIC_MMIO_HOLE	(1 << 2)
#define KVMINI_X86_QUIRK_OUT_7E_INC_RIP		(1 << 3)
#define KVMINI_X86_QUIRK_MISC_ENABLE_NO_MWAIT	(1 << 4)
#define KVMINI_X86_QUIRK_FIX_HYPERCALL_INSN	(1 << 5)
#define KVMINI_X86_QUIRK_MWAIT_NEVER_UD_FAULTS	(1 << 6)

/*
 * KVM's hypercall ABI (VMMCALL on AMD, VMCALL on Intel): number in RAX,
 * arguments in RBX RCX RDX RSI, result in RAX; errors are these negated.
 */
#define KVMINI_HC_VAPIC_POLL_IRQ		1
#define KVMINI_HC_MMU_OP			2
#define KVMINI_HC_FEATURES			3
#define KVMINI_HC_PPC_MAP_MAGIC_PAGE		4
#define KVMINI_HC_KICK_CPU			5
#define KVMINI_HC_MIPS_GET_CLOCK_FREQ		6
#define KVMINI_HC_MIPS_EXIT_VM			7
#define KVMINI_HC_MIPS_CONSOLE_OUTPUT		8
#define KVMINI_HC_CLOCK_PAIRING			9
#define KVMINI_HC_SEND_IPI			10
#define KVMINI_HC_SCHED_YIELD			11
#define KVMINI_HC_MAP_GPA_RANGE			12

#define KVMINI_ENOSYS				1000
#define KVMINI_EFAULT				14
#define KVMINI_EINVAL				22
#define KVMINI_E2BIG				7
#define KVMINI_EPERM				1
#define KVMINI_EOPNOTSUPP			95

/* CPUID leaves of KVM's paravirtual interface (KVMINI_GET_SUPPORTED_CPUID). */
#define KVMINI_CPUID_SIGNATURE			0x40000000	/* "KVMKVMKVM\0\0\0" */
#define KVMINI_CPUID_FEATURES			0x40000001	/* EAX: KVMINI_FEATURE_* */
#define KVMINI_FEATURE_CLOCKSOURCE		0	/* kvmclock at 0x11/0x12 */
#define KVMINI_FEATURE_NOP_IO_DELAY		1	/* port 0x80 delays not needed */
#define KVMINI_FEATURE_CLOCKSOURCE2		3	/* kvmclock at 0x4b564d00/01 */
#define KVMINI_FEATURE_STEAL_TIME		5	/* MSR_KVM_STEAL_TIME */
#define KVMINI_FEATURE_PV_UNHALT		7
#define KVMINI_FEATURE_PV_TLB_FLUSH		9	/* not offered; see KVMINI_VCPU_FLUSH_TLB */
#define KVMINI_FEATURE_PV_SEND_IPI		11
#define KVMINI_FEATURE_PV_SCHED_YIELD		13
#define KVMINI_FEATURE_CLOCKSOURCE_STABLE_BIT	24	/* KVMINI_PVCLOCK_TSC_STABLE used */

/*
 * kvmclock, KVM's paravirtual clock: the guest writes the guest-physical
 * address of its struct kvmini_pvclock_vcpu_time_info (bit 0: enable) to
 * SYSTEM_TIME, of a struct kvmini_pvclock_wall_clock to WALL_CLOCK.
 * Nanoseconds = system_time + (((TSC - tsc_timestamp) << tsc_shift, or
 * >> -tsc_shift) * tsc_to_system_mul) >> 32. An odd version: being written.
 */
#define KVMINI_MSR_KVM_WALL_CLOCK		0x11
#define KVMINI_MSR_KVM_SYSTEM_TIME		0x12
#define KVMINI_MSR_KVM_WALL_CLOCK_NEW		0x4b564d00
#define KVMINI_MSR_KVM_SYSTEM_TIME_NEW		0x4b564d01

struct kvmini_pvclock_vcpu_time_info {
	__u32 version;
	__u32 pad0;
	__u64 tsc_timestamp;	/* guest TSC at system_time */
	__u64 system_time;	/* kvmclock, nanoseconds */
	__u32 tsc_to_system_mul;
	__s8 tsc_shift;
	__u8 flags;		/* KVMINI_PVCLOCK_* */
	__u8 pad[2];
} __attribute__((packed));

#define KVMINI_PVCLOCK_TSC_STABLE		(1 << 0)	/* same clock on every vCPU */
#define KVMINI_PVCLOCK_GUEST_STOPPED		(1 << 1)	/* KVMINI_KVMCLOCK_CTRL */

struct kvmini_pvclock_wall_clock {
	__u32 version;
	__u32 sec;		/* host CLOCK_REALTIME at kvmclock 0 */
	__u32 nsec;
} __attribute__((packed));

/*
 * Steal time: the guest writes the guest-physical address of its struct
 * kvmini_steal_time, 64-byte aligned, to STEAL_TIME with KVMINI_MSR_ENABLED
 * (bit 0); bits 1-5 are reserved. Before the vCPU runs again after its
 * thread waited for a host CPU (and at each KVMINI_RUN), steal grows by
 * that wait, in nanoseconds; version odd while it is being written.
 */
#define KVMINI_MSR_KVM_STEAL_TIME		0x4b564d03
#define KVMINI_MSR_ENABLED			1
#define KVMINI_STEAL_ALIGNMENT_BITS		5
#define KVMINI_STEAL_VALID_BITS			((-1ULL << (KVMINI_STEAL_ALIGNMENT_BITS + 1)))
#define KVMINI_STEAL_RESERVED_MASK		(((1 << KVMINI_STEAL_ALIGNMENT_BITS) - 1 ) << 1)

struct kvmini_steal_time {
	__u64 steal;		/* nanoseconds the vCPU waited for a host CPU */
	__u32 version;
	__u32 flags;
	__u8  preempted;	/* KVMINI_VCPU_* */
	__u8  u8_pad[3];
	__u32 pad[11];
};

#define KVMINI_VCPU_PREEMPTED			(1 << 0)
#define KVMINI_VCPU_FLUSH_TLB			(1 << 1)	/* the guest asks a flush */

/* KVMINI_HC_CLOCK_PAIRING(gpa, KVMINI_CLOCK_PAIRING_WALLCLOCK) writes this. */
#define KVMINI_CLOCK_PAIRING_WALLCLOCK		0
struct kvmini_clock_pairing {
	__s64 sec;
	__s64 nsec;
	__u64 tsc;		/* the guest's TSC at that host time */
	__u32 flags;
	__u32 pad[9];
};

/*
 * ===================================================================
 * VM ioctls: issued on a file descriptor from KVMINI_CREATE_VM
 * ===================================================================
 */

/* --- guest memory: KVMINI_SET_USER_MEMORY_REGION --- */

struct kvmini_userspace_memory_region {
	__u32 slot;		/* address space in bits 16-31, slot id below */
	__u32 flags;		/* KVMINI_MEM_* */
	__u64 guest_phys_addr;
	__u64 memory_size;	/* in bytes; 0 deletes the slot */
	__u64 userspace_addr;	/* host virtual address backing the slot */
};

/* kvmini_userspace_memory_region.flags */
#define KVMINI_MEM_LOG_DIRTY_PAGES	(1UL << 0)
#define KVMINI_MEM_READONLY		(1UL << 1)

/*
 * --- GSI routing: KVMINI_SET_GSI_ROUTING ---
 * The whole table in one call: nr entries follow the header. With the
 * split irqchip (KVMINI_CAP_SPLIT_IRQCHIP) only MSI routes exist.
 */
struct kvmini_irq_routing_irqchip {
	__u32 irqchip;		/* KVMINI_IRQCHIP_* */
	__u32 pin;
};

struct kvmini_irq_routing_msi {
	__u32 address_lo;
	__u32 address_hi;
	__u32 data;
	__extension__ union {
		__u32 pad;
		__u32 devid;	/* with KVMINI_MSI_VALID_DEVID */
	};
};

/* kvmini_irq_routing_entry.type */
#define KVMINI_IRQ_ROUTING_IRQCHIP	1
#define KVMINI_IRQ_ROUTING_MSI		2
/* kvmini_irq_routing_irqchip.irqchip */
#define KVMINI_IRQCHIP_PIC_MASTER	0
#define KVMINI_IRQCHIP_PIC_SLAVE	1
#define KVMINI_IRQCHIP_IOAPIC		2

struct kvmini_irq_routing_entry {
	__u32 gsi;
	__u32 type;		/* KVMINI_IRQ_ROUTING_* */
	__u32 flags;		/* KVMINI_MSI_VALID_DEVID */
	__u32 pad;
	union {
		struct kvmini_irq_routing_irqchip irqchip;
		struct kvmini_irq_routing_msi msi;
		__u32 pad[8];	/* KVM's other types (s390, Hyper-V, Xen) */
	} __attribute__((aligned(8))) u;	/* as KVM's, with __u64s in it */
};

struct kvmini_irq_routing {
	__u32 nr;
	__u32 flags;		/* 0 */
	struct kvmini_irq_routing_entry entries[];
};

/* --- KVMINI_IRQ_LINE(_STATUS): a GSI's level, through its routes --- */
struct kvmini_irq_level {
	__extension__ union {
		__u32 irq;	/* the GSI */
		__s32 status;	/* _STATUS: written back (delivered to how many, -1: nowhere) */
	};
	__u32 level;
};

/* --- KVMINI_SIGNAL_MSI: one MSI, as a device would write it --- */
struct kvmini_msi {
	__u32 address_lo;
	__u32 address_hi;
	__u32 data;
	__u32 flags;		/* KVMINI_MSI_VALID_DEVID */
	__u32 devid;
	__u8  pad[12];
};
#define KVMINI_MSI_VALID_DEVID		(1U << 0)

/* --- KVMINI_IRQFD: an eventfd that raises a GSI when signalled --- */
struct kvmini_irqfd {
	__u32 fd;
	__u32 gsi;
	__u32 flags;		/* KVMINI_IRQFD_FLAG_* */
	__u32 resamplefd;	/* with ..._FLAG_RESAMPLE */
	__u8  pad[16];
};
#define KVMINI_IRQFD_FLAG_DEASSIGN	(1 << 0)
#define KVMINI_IRQFD_FLAG_RESAMPLE	(1 << 1)

/*
 * --- The whole irqchip in the kernel (KVMINI_CREATE_IRQCHIP): the two
 * 8259 PICs and the IOAPIC, their state for KVMINI_GET/SET_IRQCHIP ---
 */
struct kvmini_pic_state {
	__u8 last_irr;		/* edge detection: the lines' last levels */
	__u8 irr;		/* interrupt request register */
	__u8 imr;		/* interrupt mask register */
	__u8 isr;		/* in-service register */
	__u8 priority_add;	/* the lowest priority's pin + 1 (rotation) */
	__u8 irq_base;		/* ICW2: vector of pin 0 */
	__u8 read_reg_select;	/* OCW3: reads of the command port give ISR */
	__u8 poll;		/* OCW3: the next read is a poll */
	__u8 special_mask;
	__u8 init_state;	/* which ICW comes next (0: initialized) */
	__u8 auto_eoi;
	__u8 rotate_on_auto_eoi;
	__u8 special_fully_nested_mode;
	__u8 init4;		/* ICW4 expected */
	__u8 elcr;		/* edge/level control (ports 0x4d0, 0x4d1) */
	__u8 elcr_mask;		/* the ELCR bits that may be set */
};

#define KVMINI_IOAPIC_NUM_PINS		24
struct kvmini_ioapic_state {
	__u64 base_address;
	__u32 ioregsel;
	__u32 id;
	__u32 irr;		/* pins raised and not yet delivered */
	__u32 pad;
	union {
		__u64 bits;	/* vector 0-7, delivery mode 8-10, dest mode 11,
				 * delivery status 12, polarity 13, remote IRR 14,
				 * trigger (1: level) 15, mask 16, destination 56-63 */
		struct {
			__u8 vector;
			__u8 delivery_mode:3;
			__u8 dest_mode:1;
			__u8 delivery_status:1;
			__u8 polarity:1;
			__u8 remote_irr:1;
			__u8 trig_mode:1;
			__u8 mask:1;
			__u8 reserve:7;
			__u8 reserved[4];
			__u8 dest_id;
		} fields;
	} redirtbl[KVMINI_IOAPIC_NUM_PINS];
};

struct kvmini_irqchip {
	__u32 chip_id;		/* KVMINI_IRQCHIP_* */
	__u32 pad;
	union {
		char dummy[512];
		struct kvmini_pic_state pic;
		struct kvmini_ioapic_state ioapic;
	} chip;
};

/* --- The 8254 PIT in the kernel (KVMINI_CREATE_PIT2) --- */
struct kvmini_pit_config {
	__u32 flags;		/* KVMINI_PIT_SPEAKER_DUMMY */
	__u32 pad[15];
};
#define KVMINI_PIT_SPEAKER_DUMMY	1	/* port 0x61 in the kernel too */

struct kvmini_pit_channel_state {
	__u32 count;		/* the initial count; 0x10000 for 0 */
	__u16 latched_count;
	__u8 count_latched;	/* RW_STATE of the latched count, 0: none */
	__u8 status_latched;
	__u8 status;
	__u8 read_state;
	__u8 write_state;
	__u8 write_latch;
	__u8 rw_mode;
	__u8 mode;
	__u8 bcd;
	__u8 gate;
	__s64 count_load_time;	/* the host's CLOCK_MONOTONIC, ns */
};

struct kvmini_pit_state {
	struct kvmini_pit_channel_state channels[3];
};

struct kvmini_pit_state2 {
	struct kvmini_pit_channel_state channels[3];
	__u32 flags;		/* KVMINI_PIT_FLAGS_* */
	__u32 reserved[9];
};
#define KVMINI_PIT_FLAGS_HPET_LEGACY	0x00000001	/* channel 0 stopped: the HPET ticks */
#define KVMINI_PIT_FLAGS_SPEAKER_DATA_ON 0x00000002

struct kvmini_reinject_control {
	__u8 pit_reinject;	/* 1: every tick is delivered, one per EOI */
	__u8 reserved[31];
};

/* --- KVMINI_GET/SET_LAPIC: the local APIC's register page (xAPIC layout) --- */
#define KVMINI_APIC_REG_SIZE		0x400
struct kvmini_lapic_state {
	__u8 regs[KVMINI_APIC_REG_SIZE];	/* KVM: char */
};

/* --- KVMINI_SET_VAPIC_ADDR: the TPR-patching option ROM's page (KVMINI_CAP_VAPIC) --- */
struct kvmini_vapic_addr {
	__u64 vapic_addr;	/* guest physical; 0: none */
};

/* KVMINI_ENABLE_CAP(KVMINI_CAP_X2APIC_API) args[0] */
#define KVMINI_X2APIC_API_USE_32BIT_IDS		(1ULL << 0)
#define KVMINI_X2APIC_API_DISABLE_BROADCAST_QUIRK	(1ULL << 1)

/* --- dirty page tracking: KVMINI_GET_DIRTY_LOG / KVMINI_CLEAR_DIRTY_LOG --- */

struct kvmini_dirty_log {
	__u32 slot;
	__u32 padding1;
	__u64 dirty_bitmap;	/* user address of the bitmap, 1 bit per page */
};

struct kvmini_clear_dirty_log {
	__u32 slot;
	__u32 num_pages;	/* pages covered by the bitmap */
	__u64 first_page;	/* first page covered, slot relative */
	__u64 dirty_bitmap;	/* user address: set bits get write-protected */
};

/* Argument bits for KVMINI_ENABLE_CAP(KVMINI_CAP_MANUAL_DIRTY_LOG_PROTECT2). */
#define KVMINI_DIRTY_LOG_MANUAL_PROTECT_ENABLE	(1 << 0)
#define KVMINI_DIRTY_LOG_INITIALLY_SET		(1 << 1)

/*
 * --- statistics: KVMINI_GET_STATS_FD on a VM or vCPU fd ---
 * The fd reads as: a header, an id string (name_size bytes), num_desc
 * descriptors (each name_size bytes of name after the fixed part), then
 * the data, u64 each, at data_offset + descriptor.offset. KVM's layout.
 */
struct kvmini_stats_header {
	__u32 flags;
	__u32 name_size;
	__u32 num_desc;
	__u32 id_offset;
	__u32 desc_offset;
	__u32 data_offset;
};

#define KVMINI_STATS_NAME_SIZE		48

#define KVMINI_STATS_TYPE_SHIFT		0
#define KVMINI_STATS_TYPE_MASK		(0xF << KVMINI_STATS_TYPE_SHIFT)
#define KVMINI_STATS_TYPE_CUMULATIVE	(0x0 << KVMINI_STATS_TYPE_SHIFT)
#define KVMINI_STATS_TYPE_INSTANT	(0x1 << KVMINI_STATS_TYPE_SHIFT)
#define KVMINI_STATS_TYPE_PEAK		(0x2 << KVMINI_STATS_TYPE_SHIFT)
#define KVMINI_STATS_TYPE_LINEAR_HIST	(0x3 << KVMINI_STATS_TYPE_SHIFT)
#define KVMINI_STATS_TYPE_LOG_HIST	(0x4 << KVMINI_STATS_TYPE_SHIFT)
#define KVMINI_STATS_TYPE_MAX		KVMINI_STATS_TYPE_LOG_HIST

#define KVMINI_STATS_UNIT_SHIFT		4
#define KVMINI_STATS_UNIT_MASK		(0xF << KVMINI_STATS_UNIT_SHIFT)
#define KVMINI_STATS_UNIT_NONE		(0x0 << KVMINI_STATS_UNIT_SHIFT)
#define KVMINI_STATS_UNIT_BYTES		(0x1 << KVMINI_STATS_UNIT_SHIFT)
#define KVMINI_STATS_UNIT_SECONDS	(0x2 << KVMINI_STATS_UNIT_SHIFT)
#define KVMINI_STATS_UNIT_CYCLES	(0x3 << KVMINI_STATS_UNIT_SHIFT)
#define KVMINI_STATS_UNIT_BOOLEAN	(0x4 << KVMINI_STATS_UNIT_SHIFT)
#define KVMINI_STATS_UNIT_MAX		KVMINI_STATS_UNIT_BOOLEAN

#define KVMINI_STATS_BASE_SHIFT		8
#define KVMINI_STATS_BASE_MASK		(0xF << KVMINI_STATS_BASE_SHIFT)
#define KVMINI_STATS_BASE_POW10		(0x0 << KVMINI_STATS_BASE_SHIFT)
#define KVMINI_STATS_BASE_POW2		(0x1 << KVMINI_STATS_BASE_SHIFT)
#define KVMINI_STATS_BASE_MAX		KVMINI_STATS_BASE_POW2

struct kvmini_stats_desc {
	__u32 flags;
	__s16 exponent;
	__u16 size;		/* in u64s */
	__u32 offset;		/* from data_offset, in bytes */
	__u32 bucket_size;
	char name[];
};

/* --- guest clock: KVMINI_GET_CLOCK / KVMINI_SET_CLOCK --- */

struct kvmini_clock_data {
	__u64 clock;		/* kvmclock value, nanoseconds */
	__u32 flags;		/* KVMINI_CLOCK_* */
	__u32 pad0;
	__u64 realtime;		/* host CLOCK_REALTIME, with KVMINI_CLOCK_REALTIME */
	__u64 host_tsc;		/* host TSC, with KVMINI_CLOCK_HOST_TSC */
	__u32 pad[4];
};

/* kvmini_clock_data.flags; the value 1 is never used */
#define KVMINI_CLOCK_TSC_STABLE		2
#define KVMINI_CLOCK_REALTIME		(1 << 2)
#define KVMINI_CLOCK_HOST_TSC		(1 << 3)

/* --- KVMINI_HAS/GET/SET_DEVICE_ATTR (on a vCPU fd: the TSC offset) --- */

struct kvmini_device_attr {
	__u32 flags;		/* no flags yet */
	__u32 group;		/* KVMINI_VCPU_TSC_CTRL */
	__u64 attr;		/* KVMINI_VCPU_TSC_OFFSET */
	__u64 addr;		/* user address of the __u64 value */
};

#define KVMINI_VCPU_TSC_CTRL			0
#define KVMINI_VCPU_TSC_OFFSET			0

/* --- KVMINI_ENABLE_CAP (on a VM fd, and on a vCPU fd) --- */

struct kvmini_enable_cap {
	__u32 cap;		/* KVMINI_CAP_* */
	__u32 flags;
	__u64 args[4];		/* meaning depends on cap */
	__u8  pad[64];
};

/* --- KVMINI_IOEVENTFD --- */

struct kvmini_ioeventfd {
	__u64 datamatch;	/* value to match, with ..._FLAG_DATAMATCH */
	__u64 addr;		/* guest port or physical address */
	__u32 len;		/* access width 1, 2, 4 or 8; 0 matches any */
	__s32 fd;		/* eventfd to signal */
	__u32 flags;		/* KVMINI_IOEVENTFD_FLAG_* */
	__u8  pad[36];
};

/* kvmini_ioeventfd.flags */
#define KVMINI_IOEVENTFD_FLAG_DATAMATCH	(1 << 0)
#define KVMINI_IOEVENTFD_FLAG_PIO	(1 << 1)	/* addr is an I/O port */
#define KVMINI_IOEVENTFD_FLAG_DEASSIGN	(1 << 2)

/* --- coalesced MMIO/PIO: KVMINI_{,UN}REGISTER_COALESCED_MMIO --- */

struct kvmini_coalesced_mmio_zone {
	__u64 addr;
	__u32 size;
	__extension__ union {
		__u32 pad;
		__u32 pio;	/* nonzero: addr/size is a port range */
	};
};

/*
 * Writes into a registered zone are queued in a ring mapped from the vCPU
 * fd at page KVMINI_COALESCED_MMIO_PAGE_OFFSET instead of exiting.
 */
struct kvmini_coalesced_mmio {
	__u64 phys_addr;
	__u32 len;
	__extension__ union {
		__u32 pad;
		__u32 pio;
	};
	__u8  data[8];
};

struct kvmini_coalesced_mmio_ring {
	__u32 first;		/* consumer index (userspace) */
	__u32 last;		/* producer index (kernel) */
	struct kvmini_coalesced_mmio coalesced_mmio[];
};

/* Page offsets, in the vCPU fd mapping, of the areas that follow kvmini_run. */
#define KVMINI_PIO_PAGE_OFFSET			1
#define KVMINI_COALESCED_MMIO_PAGE_OFFSET	2

/* --- MSR filtering: KVMINI_X86_SET_MSR_FILTER --- */

#define KVMINI_MSR_FILTER_MAX_BITMAP_SIZE	0x600	/* bytes per range */
#define KVMINI_MSR_FILTER_MAX_RANGES		16

struct kvmini_msr_filter_range {
	__u32 flags;		/* KVMINI_MSR_FILTER_READ / _WRITE */
	__u32 nmsrs;		/* MSRs covered, one bitmap bit each */
	__u32 base;		/* first MSR covered */
	__u32 pad;		/* hole before the 8-byte address below */
	__u64 bitmap;		/* user address; bit set = access allowed */
};

/* kvmini_msr_filter_range.flags */
#define KVMINI_MSR_FILTER_READ		(1 << 0)
#define KVMINI_MSR_FILTER_WRITE		(1 << 1)

struct kvmini_msr_filter {
	__u32 flags;		/* KVMINI_MSR_FILTER_DEFAULT_* */
	__u32 pad;		/* hole before ranges[] */
	struct kvmini_msr_filter_range ranges[KVMINI_MSR_FILTER_MAX_RANGES];
};

/* kvmini_msr_filter.flags: what happens to MSRs no range covers */
#define KVMINI_MSR_FILTER_DEFAULT_ALLOW	(0 << 0)
#define KVMINI_MSR_FILTER_DEFAULT_DENY	(1 << 0)

/* --- VM ioctl numbers --- */

#define KVMINI_CREATE_VCPU		_IO(KVMINIIO, 0x41)	/* arg: vCPU id; returns a vCPU fd */
#define KVMINI_GET_DIRTY_LOG		_IOW(KVMINIIO, 0x42, struct kvmini_dirty_log)
#define KVMINI_SET_NR_MMU_PAGES		_IO(KVMINIIO, 0x44)
#define KVMINI_GET_NR_MMU_PAGES		_IO(KVMINIIO, 0x45)
#define KVMINI_SET_BOOT_CPU_ID		_IO(KVMINIIO, 0x78)
#define KVMINI_SET_DEVICE_ATTR		_IOW(KVMINIIO, 0xe1, struct kvmini_device_attr) /* vCPU */
#define KVMINI_GET_DEVICE_ATTR		_IOW(KVMINIIO, 0xe2, struct kvmini_device_attr) /* vCPU */
#define KVMINI_HAS_DEVICE_ATTR		_IOW(KVMINIIO, 0xe3, struct kvmini_device_attr) /* vCPU */
#define KVMINI_SET_USER_MEMORY_REGION	_IOW(KVMINIIO, 0x46, struct kvmini_userspace_memory_region)
#define KVMINI_SET_TSS_ADDR		_IO(KVMINIIO, 0x47)	/* arg: guest physical address */
#define KVMINI_SET_GSI_ROUTING		_IOW(KVMINIIO, 0x6a, struct kvmini_irq_routing)
#define KVMINI_SET_IDENTITY_MAP_ADDR	_IOW(KVMINIIO, 0x48, __u64)
#define KVMINI_REGISTER_COALESCED_MMIO	_IOW(KVMINIIO, 0x67, struct kvmini_coalesced_mmio_zone)
#define KVMINI_UNREGISTER_COALESCED_MMIO _IOW(KVMINIIO, 0x68, struct kvmini_coalesced_mmio_zone)
#define KVMINI_IOEVENTFD		_IOW(KVMINIIO, 0x79, struct kvmini_ioeventfd)
#define KVMINI_IRQFD			_IOW(KVMINIIO, 0x76, struct kvmini_irqfd)
#define KVMINI_CREATE_IRQCHIP		_IO(KVMINIIO, 0x60)
#define KVMINI_GET_IRQCHIP		_IOWR(KVMINIIO, 0x62, struct kvmini_irqchip)
#define KVMINI_SET_IRQCHIP		_IOR(KVMINIIO, 0x63, struct kvmini_irqchip)
#define KVMINI_CREATE_PIT		_IO(KVMINIIO, 0x64)
#define KVMINI_GET_PIT			_IOWR(KVMINIIO, 0x65, struct kvmini_pit_state)
#define KVMINI_SET_PIT			_IOR(KVMINIIO, 0x66, struct kvmini_pit_state)
#define KVMINI_REINJECT_CONTROL		_IO(KVMINIIO, 0x71)
#define KVMINI_CREATE_PIT2		_IOW(KVMINIIO, 0x77, struct kvmini_pit_config)
#define KVMINI_GET_PIT2			_IOR(KVMINIIO, 0x9f, struct kvmini_pit_state2)
#define KVMINI_SET_PIT2			_IOW(KVMINIIO, 0xa0, struct kvmini_pit_state2)
#define KVMINI_IRQ_LINE			_IOW(KVMINIIO, 0x61, struct kvmini_irq_level)
#define KVMINI_IRQ_LINE_STATUS		_IOWR(KVMINIIO, 0x67, struct kvmini_irq_level)
#define KVMINI_SIGNAL_MSI		_IOW(KVMINIIO, 0xa5, struct kvmini_msi)
#define KVMINI_SET_CLOCK		_IOW(KVMINIIO, 0x7b, struct kvmini_clock_data)
#define KVMINI_GET_CLOCK		_IOR(KVMINIIO, 0x7c, struct kvmini_clock_data)
#define KVMINI_ENABLE_CAP		_IOW(KVMINIIO, 0xa3, struct kvmini_enable_cap) /* VM and vCPU */
#define KVMINI_CLEAR_DIRTY_LOG		_IOWR(KVMINIIO, 0xc0, struct kvmini_clear_dirty_log)
#define KVMINI_X86_SET_MSR_FILTER	_IOW(KVMINIIO, 0xc6, struct kvmini_msr_filter)
/*
 * KVMINI_SET_TSC_KHZ and KVMINI_GET_TSC_KHZ (vCPU section) are defined for
 * VM fds as well (the VM-wide default, see KVMINI_CAP_VM_TSC_CONTROL).
 */

/*
 * ===================================================================
 * vCPU ioctls: issued on a file descriptor from KVMINI_CREATE_VCPU
 * ===================================================================
 */

/* --- register state: KVMINI_{GET,SET}_REGS, _SREGS, _SREGS2 --- */

/* General-purpose registers. */
struct kvmini_regs {
	__u64 rax;
	__u64 rbx;
	__u64 rcx;
	__u64 rdx;
	__u64 rsi;
	__u64 rdi;
	__u64 rsp;
	__u64 rbp;
	__u64 r8;
	__u64 r9;
	__u64 r10;
	__u64 r11;
	__u64 r12;
	__u64 r13;
	__u64 r14;
	__u64 r15;
	__u64 rip;
	__u64 rflags;
};

/* A segment register, descriptor cache included; attributes one per byte. */
struct kvmini_segment {
	__u64 base;
	__u32 limit;
	__u16 selector;
	__u8  type;
	__u8  present;
	__u8  dpl;
	__u8  db;
	__u8  s;
	__u8  l;
	__u8  g;
	__u8  avl;
	__u8  unusable;
	__u8  padding;
};

/* GDTR / IDTR. */
struct kvmini_dtable {
	__u64 base;
	__u16 limit;
	__u16 padding[3];
};

/* External interrupt vectors, for the pending-interrupt bitmap below. */
#define KVMINI_NR_INTERRUPTS	256

/* System registers. */
struct kvmini_sregs {
	struct kvmini_segment cs;
	struct kvmini_segment ds;
	struct kvmini_segment es;
	struct kvmini_segment fs;
	struct kvmini_segment gs;
	struct kvmini_segment ss;
	struct kvmini_segment tr;
	struct kvmini_segment ldt;
	struct kvmini_dtable gdt;
	struct kvmini_dtable idt;
	__u64 cr0;
	__u64 cr2;
	__u64 cr3;
	__u64 cr4;
	__u64 cr8;
	__u64 efer;
	__u64 apic_base;
	/* at most one bit set: an injected but undelivered interrupt */
	__u64 interrupt_bitmap[(KVMINI_NR_INTERRUPTS + 63) / 64];
};

/* System registers, second form: PAE PDPTEs instead of interrupt_bitmap. */
struct kvmini_sregs2 {
	struct kvmini_segment cs;
	struct kvmini_segment ds;
	struct kvmini_segment es;
	struct kvmini_segment fs;
	struct kvmini_segment gs;
	struct kvmini_segment ss;
	struct kvmini_segment tr;
	struct kvmini_segment ldt;
	struct kvmini_dtable gdt;
	struct kvmini_dtable idt;
	__u64 cr0;
	__u64 cr2;
	__u64 cr3;
	__u64 cr4;
	__u64 cr8;
	__u64 efer;
	__u64 apic_base;
	__u64 flags;		/* KVMINI_SREGS2_FLAGS_* */
	__u64 pdptrs[4];
};

/* kvmini_sregs2.flags: pdptrs[] holds meaningful values */
#define KVMINI_SREGS2_FLAGS_PDPTRS_VALID	1

/* --- pending events: KVMINI_{GET,SET}_VCPU_EVENTS --- */

struct kvmini_vcpu_events {
	struct {
		__u8  injected;
		__u8  nr;		/* vector */
		__u8  has_error_code;
		__u8  pending;
		__u32 error_code;
	} exception;
	struct {
		__u8  injected;
		__u8  nr;		/* vector */
		__u8  soft;
		__u8  shadow;		/* KVMINI_X86_SHADOW_INT_* */
	} interrupt;
	struct {
		__u8  injected;
		__u8  pending;
		__u8  masked;
		__u8  pad;
	} nmi;
	__u32 sipi_vector;
	__u32 flags;			/* KVMINI_VCPUEVENT_VALID_* */
	struct {
		__u8  smm;
		__u8  pending;
		__u8  smm_inside_nmi;
		__u8  latched_init;
	} smi;
	struct {
		__u8  pending;
	} triple_fault;
	__u8  reserved[26];
	__u8  exception_has_payload;
	__u64 exception_payload;	/* e.g. CR2 or DR6 for the exception */
};

/* kvmini_vcpu_events.flags: which optional parts are meaningful */
#define KVMINI_VCPUEVENT_VALID_NMI_PENDING	0x00000001
#define KVMINI_VCPUEVENT_VALID_SIPI_VECTOR	0x00000002
#define KVMINI_VCPUEVENT_VALID_SHADOW		0x00000004
#define KVMINI_VCPUEVENT_VALID_SMM		0x00000008
#define KVMINI_VCPUEVENT_VALID_PAYLOAD		0x00000010
#define KVMINI_VCPUEVENT_VALID_TRIPLE_FAULT	0x00000020

/* kvmini_vcpu_events.interrupt.shadow */
#define KVMINI_X86_SHADOW_INT_MOV_SS	0x01
#define KVMINI_X86_SHADOW_INT_STI	0x02

/* --- the shared run area: KVMINI_RUN and mmap() of the vCPU fd --- */

/* Register state mirrored in kvmini_run.s (see KVMINI_CAP_SYNC_REGS). */
struct kvmini_sync_regs {
	struct kvmini_regs regs;
	struct kvmini_sregs sregs;
	struct kvmini_vcpu_events events;
};

/* Bits of kvmini_run.kvm_valid_regs / kvm_dirty_regs. */
#define KVMINI_SYNC_X86_REGS		(1UL << 0)
#define KVMINI_SYNC_X86_SREGS		(1UL << 1)
#define KVMINI_SYNC_X86_EVENTS		(1UL << 2)
#define KVMINI_SYNC_X86_VALID_FIELDS	(KVMINI_SYNC_X86_REGS | \
					 KVMINI_SYNC_X86_SREGS | \
					 KVMINI_SYNC_X86_EVENTS)

/* Size of the kvmini_run.s union (KVM spells it SYNC_REGS_SIZE_BYTES). */
#define KVMINI_SYNC_REGS_SIZE_BYTES	2048

/* What a debug exit reports (kvmini_run.debug.arch). */
struct kvmini_debug_exit_arch {
	__u32 exception;	/* 1 (#DB) or 3 (#BP) */
	__u32 pad;
	__u64 pc;
	__u64 dr6;
	__u64 dr7;
};

/*
 * kvmini_run.exit_reason: KVM's complete numbering.  kvmini_run below has
 * payload members for the x86 exits that carry data, except the Hyper-V
 * and Xen ones (not described here); other architectures' numbers are
 * listed only so that none is ever reused.
 */
#define KVMINI_EXIT_UNKNOWN		0
#define KVMINI_EXIT_EXCEPTION		1
#define KVMINI_EXIT_IO			2
#define KVMINI_EXIT_HYPERCALL		3
#define KVMINI_EXIT_DEBUG		4
#define KVMINI_EXIT_HLT			5
#define KVMINI_EXIT_MMIO		6
#define KVMINI_EXIT_IRQ_WINDOW_OPEN	7
#define KVMINI_EXIT_SHUTDOWN		8
#define KVMINI_EXIT_FAIL_ENTRY		9
#define KVMINI_EXIT_INTR		10
#define KVMINI_EXIT_SET_TPR		11
#define KVMINI_EXIT_TPR_ACCESS		12
#define KVMINI_EXIT_S390_SIEIC		13
#define KVMINI_EXIT_S390_RESET		14
#define KVMINI_EXIT_DCR			15
#define KVMINI_EXIT_NMI			16
#define KVMINI_EXIT_INTERNAL_ERROR	17
#define KVMINI_EXIT_OSI			18
#define KVMINI_EXIT_PAPR_HCALL		19
#define KVMINI_EXIT_S390_UCONTROL	20
#define KVMINI_EXIT_WATCHDOG		21
#define KVMINI_EXIT_S390_TSCH		22
#define KVMINI_EXIT_EPR			23
#define KVMINI_EXIT_SYSTEM_EVENT	24
#define KVMINI_EXIT_S390_STSI		25
#define KVMINI_EXIT_IOAPIC_EOI		26
#define KVMINI_EXIT_HYPERV		27
#define KVMINI_EXIT_ARM_NISV		28
#define KVMINI_EXIT_X86_RDMSR		29
#define KVMINI_EXIT_X86_WRMSR		30
#define KVMINI_EXIT_DIRTY_RING_FULL	31
#define KVMINI_EXIT_AP_RESET_HOLD	32
#define KVMINI_EXIT_X86_BUS_LOCK	33
#define KVMINI_EXIT_XEN			34
#define KVMINI_EXIT_RISCV_SBI		35
#define KVMINI_EXIT_RISCV_CSR		36
#define KVMINI_EXIT_NOTIFY		37

/* kvmini_run.io.direction */
#define KVMINI_EXIT_IO_IN		0
#define KVMINI_EXIT_IO_OUT		1

/* kvmini_run.internal.suberror */
#define KVMINI_INTERNAL_ERROR_EMULATION			1
#define KVMINI_INTERNAL_ERROR_SIMUL_EX			2
#define KVMINI_INTERNAL_ERROR_DELIVERY_EV		3
#define KVMINI_INTERNAL_ERROR_UNEXPECTED_EXIT_REASON	4

/* kvmini_run.emulation_failure.flags: which optional fields are filled */
#define KVMINI_INTERNAL_ERROR_EMULATION_FLAG_INSTRUCTION_BYTES	(1ULL << 0)

/* kvmini_run.system_event.type */
#define KVMINI_SYSTEM_EVENT_SHUTDOWN	1
#define KVMINI_SYSTEM_EVENT_RESET	2
#define KVMINI_SYSTEM_EVENT_CRASH	3
#define KVMINI_SYSTEM_EVENT_WAKEUP	4
#define KVMINI_SYSTEM_EVENT_SUSPEND	5
#define KVMINI_SYSTEM_EVENT_SEV_TERM	6

/* kvmini_run.msr.reason, for KVMINI_EXIT_X86_RDMSR / _WRMSR */
#define KVMINI_MSR_EXIT_REASON_INVAL	(1 << 0)
#define KVMINI_MSR_EXIT_REASON_UNKNOWN	(1 << 1)
#define KVMINI_MSR_EXIT_REASON_FILTER	(1 << 2)

/* kvmini_run.notify.flags */
#define KVMINI_NOTIFY_CONTEXT_INVALID	(1 << 0)

/* kvmini_run.flags */
#define KVMINI_RUN_X86_SMM		(1 << 0)
#define KVMINI_RUN_X86_BUS_LOCK		(1 << 1)

/*
 * The run area: page 0 of the vCPU fd mapping (KVMINI_GET_VCPU_MMAP_SIZE
 * gives the whole mapping's size).  Userspace fills the "in" parts before
 * KVMINI_RUN and reads the "out" parts after it returns.
 */
struct kvmini_run {
	/* in */
	__u8  request_interrupt_window;
	__u8  immediate_exit;		/* return before entering the guest */
	__u8  padding1[6];

	/* out */
	__u32 exit_reason;		/* KVMINI_EXIT_* */
	__u8  ready_for_interrupt_injection;
	__u8  if_flag;
	__u16 flags;			/* KVMINI_RUN_X86_* */

	/* in and out */
	__u64 cr8;
	__u64 apic_base;

	/* out: details of the exit, selected by exit_reason */
	__extension__ union {
		/* KVMINI_EXIT_UNKNOWN */
		struct {
			__u64 hardware_exit_reason;
		} hw;
		/* KVMINI_EXIT_FAIL_ENTRY */
		struct {
			__u64 hardware_entry_failure_reason;
			__u32 cpu;
			__u32 pad;
		} fail_entry;
		/* KVMINI_EXIT_EXCEPTION */
		struct {
			__u32 exception;
			__u32 error_code;
		} ex;
		/* KVMINI_EXIT_IO: data lives at (char *)run + data_offset */
		struct {
			__u8  direction;	/* KVMINI_EXIT_IO_IN / _OUT */
			__u8  size;		/* bytes per access */
			__u16 port;
			__u32 count;		/* accesses (string I/O) */
			__u64 data_offset;
		} io;
		/* KVMINI_EXIT_DEBUG */
		struct {
			struct kvmini_debug_exit_arch arch;
		} debug;
		/* KVMINI_EXIT_MMIO */
		struct {
			__u64 phys_addr;
			__u8  data[8];
			__u32 len;
			__u8  is_write;
			__u8  pad[3];
		} mmio;
		/* KVMINI_EXIT_HYPERCALL */
		struct {
			__u64 nr;
			__u64 args[6];
			__u64 ret;
			__u32 longmode;
			__u32 pad;
		} hypercall;
		/* KVMINI_EXIT_TPR_ACCESS */
		struct {
			__u64 rip;
			__u32 is_write;
			__u32 pad;
		} tpr_access;
		/* KVMINI_EXIT_INTERNAL_ERROR */
		struct {
			__u32 suberror;		/* KVMINI_INTERNAL_ERROR_* */
			__u32 ndata;		/* valid entries of data[] */
			__u64 data[16];
		} internal;
		/*
		 * KVMINI_EXIT_INTERNAL_ERROR with KVMINI_INTERNAL_ERROR_EMULATION:
		 * an alternative view of "internal" (same suberror and ndata).
		 */
		struct {
			__u32 suberror;
			__u32 ndata;
			__u64 flags;		/* KVMINI_INTERNAL_ERROR_EMULATION_FLAG_* */
			__u8  insn_size;
			__u8  insn_bytes[15];
		} emulation_failure;
		/* KVMINI_EXIT_SYSTEM_EVENT */
		struct {
			__u32 type;		/* KVMINI_SYSTEM_EVENT_* */
			__u32 ndata;		/* valid entries of data[] */
			__extension__ union {
				__u64 flags;	/* before KVMINI_CAP_SYSTEM_EVENT_DATA */
				__u64 data[16];
			};
		} system_event;
		/* KVMINI_EXIT_IOAPIC_EOI */
		struct {
			__u8  vector;
		} eoi;
		/* KVMINI_EXIT_X86_RDMSR / KVMINI_EXIT_X86_WRMSR */
		struct {
			__u8  error;		/* set by userspace: inject #GP */
			__u8  pad[7];
			__u32 reason;		/* KVMINI_MSR_EXIT_REASON_* */
			__u32 index;		/* MSR number */
			__u64 data;		/* value written, or to be read */
		} msr;
		/* KVMINI_EXIT_NOTIFY */
		struct {
			__u32 flags;		/* KVMINI_NOTIFY_CONTEXT_* */
		} notify;
		/* pins the union at 256 bytes whatever the members */
		__u8  padding[256];
	};

	/* KVMINI_SYNC_X86_* bits: filled by the kernel / changed by userspace */
	__u64 kvm_valid_regs;
	__u64 kvm_dirty_regs;
	union {
		struct kvmini_sync_regs regs;
		__u8  padding[KVMINI_SYNC_REGS_SIZE_BYTES];
	} s;
};

/* --- floating point: KVMINI_{GET,SET}_FPU --- */

/* Legacy x87/SSE state, laid out like the FXSAVE image. */
struct kvmini_fpu {
	__u8  fpr[8][16];	/* ST0-ST7 */
	__u16 fcw;
	__u16 fsw;
	__u8  ftwx;		/* abridged tag word */
	__u8  pad1;
	__u16 last_opcode;
	__u64 last_ip;
	__u64 last_dp;
	__u8  xmm[16][16];
	__u32 mxcsr;
	__u32 pad2;
};

/* --- MSRs: KVMINI_{GET,SET}_MSRS --- */

struct kvmini_msr_entry {
	__u32 index;
	__u32 reserved;
	__u64 data;
};

struct kvmini_msrs {
	__u32 nmsrs;		/* number of entries[] */
	__u32 pad;
	struct kvmini_msr_entry entries[];
};

/* --- KVMINI_TRANSLATE --- */

struct kvmini_translation {
	__u64 linear_address;	/* in */
	__u64 physical_address;	/* out */
	__u8  valid;		/* out */
	__u8  writeable;	/* out */
	__u8  usermode;		/* out */
	__u8  pad[5];
};

/* --- KVMINI_INTERRUPT (interrupt injection without in-kernel LAPIC) --- */

struct kvmini_interrupt {
	__u32 irq;		/* vector */
};

/* --- KVMINI_SET_SIGNAL_MASK --- */

struct kvmini_signal_mask {
	__u32 len;		/* bytes in sigset[]; 8 for a kernel sigset */
	__u8  sigset[];
};

/* --- KVMINI_{GET,SET}_MP_STATE --- */

struct kvmini_mp_state {
	__u32 mp_state;		/* KVMINI_MP_STATE_* */
};

/*
 * KVM's MP state numbering.  x86 uses RUNNABLE, UNINITIALIZED,
 * INIT_RECEIVED, HALTED, SIPI_RECEIVED and AP_RESET_HOLD; the others are
 * other architectures' and only reserve their numbers.
 */
#define KVMINI_MP_STATE_RUNNABLE	0
#define KVMINI_MP_STATE_UNINITIALIZED	1
#define KVMINI_MP_STATE_INIT_RECEIVED	2
#define KVMINI_MP_STATE_HALTED		3
#define KVMINI_MP_STATE_SIPI_RECEIVED	4
#define KVMINI_MP_STATE_STOPPED		5
#define KVMINI_MP_STATE_CHECK_STOP	6
#define KVMINI_MP_STATE_OPERATING	7
#define KVMINI_MP_STATE_LOAD		8
#define KVMINI_MP_STATE_AP_RESET_HOLD	9
#define KVMINI_MP_STATE_SUSPENDED	10

/* --- KVMINI_{GET,SET}_DEBUGREGS --- */

struct kvmini_debugregs {
	__u64 db[4];		/* DR0-DR3 */
	__u64 dr6;
	__u64 dr7;
	__u64 flags;
	__u64 reserved[9];
};

/* --- extended state: KVMINI_{GET,SET}_XSAVE, KVMINI_GET_XSAVE2 --- */

/*
 * An XSAVE image in the host's (non-compacted) layout.  The first 4096
 * bytes are always present; with KVMINI_GET_XSAVE2 the buffer is as large
 * as KVMINI_CHECK_EXTENSION(KVMINI_CAP_XSAVE2) on the VM fd reports, and
 * extra[] covers the rest.
 */
struct kvmini_xsave {
	__u32 region[1024];
	__u32 extra[];
};

/* --- extended control registers: KVMINI_{GET,SET}_XCRS --- */

#define KVMINI_MAX_XCRS		16

struct kvmini_xcr {
	__u32 xcr;		/* XCR number (0 = XCR0) */
	__u32 reserved;
	__u64 value;
};

struct kvmini_xcrs {
	__u32 nr_xcrs;		/* used entries of xcrs[] */
	__u32 flags;
	struct kvmini_xcr xcrs[KVMINI_MAX_XCRS];
	__u64 padding[16];
};

/* --- machine checks: KVMINI_X86_SETUP_MCE / KVMINI_X86_SET_MCE --- */

struct kvmini_x86_mce {
	__u64 status;		/* MCi_STATUS */
	__u64 addr;		/* MCi_ADDR */
	__u64 misc;		/* MCi_MISC */
	__u64 mcg_status;	/* MCG_STATUS */
	__u8  bank;
	__u8  pad1[7];
	__u64 pad2[3];
};

/* --- guest debugging: KVMINI_SET_GUEST_DEBUG --- */

struct kvmini_guest_debug_arch {
	__u64 debugreg[8];	/* DR0-DR7 as the guest should see them */
};

struct kvmini_guest_debug {
	__u32 control;		/* KVMINI_GUESTDBG_* */
	__u32 pad;
	struct kvmini_guest_debug_arch arch;
};

/* kvmini_guest_debug.control: generic bits */
#define KVMINI_GUESTDBG_ENABLE		0x00000001
#define KVMINI_GUESTDBG_SINGLESTEP	0x00000002
/* kvmini_guest_debug.control: x86 bits */
#define KVMINI_GUESTDBG_USE_SW_BP	0x00010000
#define KVMINI_GUESTDBG_USE_HW_BP	0x00020000
#define KVMINI_GUESTDBG_INJECT_DB	0x00040000
#define KVMINI_GUESTDBG_INJECT_BP	0x00080000
#define KVMINI_GUESTDBG_BLOCKIRQ	0x00100000

/* --- vCPU ioctl numbers --- */

#define KVMINI_RUN			_IO(KVMINIIO, 0x80)
#define KVMINI_GET_REGS			_IOR(KVMINIIO, 0x81, struct kvmini_regs)
#define KVMINI_SET_REGS			_IOW(KVMINIIO, 0x82, struct kvmini_regs)
#define KVMINI_GET_SREGS		_IOR(KVMINIIO, 0x83, struct kvmini_sregs)
#define KVMINI_SET_SREGS		_IOW(KVMINIIO, 0x84, struct kvmini_sregs)
#define KVMINI_TRANSLATE		_IOWR(KVMINIIO, 0x85, struct kvmini_translation)
#define KVMINI_INTERRUPT		_IOW(KVMINIIO, 0x86, struct kvmini_interrupt)
#define KVMINI_GET_MSRS			_IOWR(KVMINIIO, 0x88, struct kvmini_msrs) /* also system fd */
#define KVMINI_SET_MSRS			_IOW(KVMINIIO, 0x89, struct kvmini_msrs)
#define KVMINI_SET_SIGNAL_MASK		_IOW(KVMINIIO, 0x8b, struct kvmini_signal_mask)
#define KVMINI_GET_FPU			_IOR(KVMINIIO, 0x8c, struct kvmini_fpu)
#define KVMINI_SET_FPU			_IOW(KVMINIIO, 0x8d, struct kvmini_fpu)
#define KVMINI_SET_CPUID2		_IOW(KVMINIIO, 0x90, struct kvmini_cpuid2)
#define KVMINI_GET_CPUID2		_IOWR(KVMINIIO, 0x91, struct kvmini_cpuid2)
#define KVMINI_GET_MP_STATE		_IOR(KVMINIIO, 0x98, struct kvmini_mp_state)
#define KVMINI_SET_MP_STATE		_IOW(KVMINIIO, 0x99, struct kvmini_mp_state)
#define KVMINI_GET_LAPIC		_IOR(KVMINIIO, 0x8e, struct kvmini_lapic_state)
#define KVMINI_SET_LAPIC		_IOW(KVMINIIO, 0x8f, struct kvmini_lapic_state)
#define KVMINI_SET_VAPIC_ADDR		_IOW(KVMINIIO, 0x93, struct kvmini_vapic_addr)
#define KVMINI_NMI			_IO(KVMINIIO, 0x9a)
#define KVMINI_SET_GUEST_DEBUG		_IOW(KVMINIIO, 0x9b, struct kvmini_guest_debug)
#define KVMINI_X86_SETUP_MCE		_IOW(KVMINIIO, 0x9c, __u64)	/* arg: MCG_CAP */
#define KVMINI_X86_SET_MCE		_IOW(KVMINIIO, 0x9e, struct kvmini_x86_mce)
#define KVMINI_GET_VCPU_EVENTS		_IOR(KVMINIIO, 0x9f, struct kvmini_vcpu_events)
#define KVMINI_SET_VCPU_EVENTS		_IOW(KVMINIIO, 0xa0, struct kvmini_vcpu_events)
#define KVMINI_GET_DEBUGREGS		_IOR(KVMINIIO, 0xa1, struct kvmini_debugregs)
#define KVMINI_SET_DEBUGREGS		_IOW(KVMINIIO, 0xa2, struct kvmini_debugregs)
#define KVMINI_SET_TSC_KHZ		_IO(KVMINIIO, 0xa2)	/* arg: kHz */
#define KVMINI_GET_TSC_KHZ		_IO(KVMINIIO, 0xa3)	/* returns kHz */
#define KVMINI_GET_XSAVE		_IOR(KVMINIIO, 0xa4, struct kvmini_xsave)
#define KVMINI_SET_XSAVE		_IOW(KVMINIIO, 0xa5, struct kvmini_xsave)
#define KVMINI_GET_XCRS			_IOR(KVMINIIO, 0xa6, struct kvmini_xcrs)
#define KVMINI_SET_XCRS			_IOW(KVMINIIO, 0xa7, struct kvmini_xcrs)
#define KVMINI_KVMCLOCK_CTRL		_IO(KVMINIIO, 0xad)	/* guest was paused */
#define KVMINI_SMI			_IO(KVMINIIO, 0xb7)
#define KVMINI_GET_SREGS2		_IOR(KVMINIIO, 0xcc, struct kvmini_sregs2)
#define KVMINI_SET_SREGS2		_IOW(KVMINIIO, 0xcd, struct kvmini_sregs2)
#define KVMINI_GET_XSAVE2		_IOR(KVMINIIO, 0xcf, struct kvmini_xsave)
/* VM and vCPU fds: a read-only fd of the statistics (see above). */
#define KVMINI_GET_STATS_FD		_IO(KVMINIIO, 0xce)
/* KVMINI_ENABLE_CAP is listed with the VM ioctls. */

#endif /* _UAPI_LINUX_KVMINI_H */
