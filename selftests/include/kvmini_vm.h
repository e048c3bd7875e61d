/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Guest/VM library of the kvmini selftests (lib/vm.c host side, lib/guest.c
 * guest side).
 *
 * Host side: open the device (env KVMINI_DEV, default /dev/kvmini, so the
 * same programs run against /dev/kvm), create VMs, memory slots and vCPUs,
 * run them.  Helpers whose name says nothing else die on failure: they print
 * where and why and end the test (exit status 1, a failed test case).
 * Raw calls for negative tests return -errno (ioctl_err(), vm_set_region()).
 *
 * Guests in 64-bit mode run the test program itself: vm_load_image() copies
 * the program's PT_LOAD segments (from /proc/self/exe) into guest memory at
 * their own addresses and identity-maps the whole main slot, so a guest
 * function is plain C in the test file, called with RIP = its address.
 * Guest code rules:
 *  - no libc, no TLS, no stack protector (the Makefile passes
 *    -fno-stack-protector); keep guest functions static and simple;
 *  - the guest has its own copy of globals, loaded from the file: the host
 *    reads and writes it through GUEST_VAR();
 *  - SSE is enabled (CR0.MP, CR4.OSFXSR|OSXMMEXCPT), so whatever gcc emits
 *    for x86-64 runs; AVX is not;
 *  - returning from the guest function reports UCALL_DONE.
 * Guests report through ucalls (GUEST_SYNC/GUEST_ASSERT/GUEST_DONE below).
 * Raw real-mode or 32-bit code: vm_write() it and vcpu_setup_real_mode()
 * or vcpu_setup_prot32().
 */
#ifndef KVMINI_SELFTEST_VM_H
#define KVMINI_SELFTEST_VM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <linux/kvmini.h>

/* Main slot layout, guest physical == guest virtual; the image is at 4 MiB. */
#define GUEST_PAGE_SIZE		0x1000ULL
#define GUEST_GDT		0x1000	/* GDT: null, CS64, DS, TSS (2 entries) */
#define GUEST_IDT		0x2000	/* 256 gates, 0-31 wired to lib/guest.c */
#define GUEST_TSS		0x3000	/* 64-bit TSS, IST1 = exception stack */
#define GUEST_EXC_STACK		0x6000	/* top of the exception stack (IST1) */
#define GUEST_RAW_CODE		0x8000	/* free for raw real-mode code, 32 KiB */
#define GUEST_ALLOC_START	0x10000	/* vm_alloc_page() range */
#define GUEST_ALLOC_END		0x400000
#define GUEST_SLOT0		0	/* slot id of the main slot */

#define GUEST_SEL_CS64		0x08
#define GUEST_SEL_DS		0x10
#define GUEST_SEL_TSS		0x18

/* Architecture bits used by the library and the tests. */
#define X86_CR0_PE		(1ULL << 0)
#define X86_CR0_MP		(1ULL << 1)
#define X86_CR0_EM		(1ULL << 2)
#define X86_CR0_TS		(1ULL << 3)
#define X86_CR0_ET		(1ULL << 4)
#define X86_CR0_NE		(1ULL << 5)
#define X86_CR0_WP		(1ULL << 16)
#define X86_CR0_AM		(1ULL << 18)
#define X86_CR0_NW		(1ULL << 29)
#define X86_CR0_CD		(1ULL << 30)
#define X86_CR0_PG		(1ULL << 31)
#define X86_CR4_PAE		(1ULL << 5)
#define X86_CR4_PGE		(1ULL << 7)
#define X86_CR4_OSFXSR		(1ULL << 9)
#define X86_CR4_OSXMMEXCPT	(1ULL << 10)
#define EFER_SCE		(1ULL << 0)
#define EFER_LME		(1ULL << 8)
#define EFER_LMA		(1ULL << 10)
#define EFER_NX			(1ULL << 11)
#define X86_RFLAGS_FIXED	(1ULL << 1)
#define X86_RFLAGS_DF		(1ULL << 10)
#define MSR_EFER		0xc0000080

#define GUEST_CR0_LONG	(X86_CR0_PE | X86_CR0_MP | X86_CR0_ET | X86_CR0_NE | \
			 X86_CR0_WP | X86_CR0_PG)
#define GUEST_CR4_LONG	(X86_CR4_PAE | X86_CR4_OSFXSR | X86_CR4_OSXMMEXCPT)
#define GUEST_EFER_LONG	(EFER_LME | EFER_LMA)

/* ------------------------------------------------------------------ */
/* ucalls: the guest reports with OUT to UCALL_PORT, RDI = &struct guest_ucall */

#define UCALL_PORT	0xe0

enum {
	UCALL_NONE,		/* the exit is not a ucall */
	UCALL_SYNC,		/* args[0..3]: values for the host */
	UCALL_ASSERT,		/* args[0..1]: the two sides of GUEST_ASSERT_EQ */
	UCALL_DONE,
	UCALL_EXCEPTION,	/* args: vector, error code, RIP (unexpected) */
};

/* In guest memory; all pointers are guest virtual addresses. */
struct guest_ucall {
	uint64_t cmd;
	uint64_t args[4];
	uint64_t line;
	const char *file;
	const char *expr;
};

/* What the host makes of a ucall. */
struct ucall {
	uint64_t cmd;
	uint64_t args[4];
	uint64_t line;
	char file[128];
	char expr[160];
};

static inline void guest_ucall(uint64_t cmd, uint64_t a0, uint64_t a1,
			       uint64_t a2, uint64_t a3, const char *file,
			       uint64_t line, const char *expr)
{
	struct guest_ucall uc = {
		.cmd = cmd, .args = { a0, a1, a2, a3 },
		.line = line, .file = file, .expr = expr,
	};

	asm volatile("outb %%al, %%dx"
		     : : "a"(0), "d"(UCALL_PORT), "D"(&uc) : "memory");
}

#define GUEST_SYNC(v)	guest_ucall(UCALL_SYNC, (uint64_t)(v), 0, 0, 0, \
				    __FILE__, __LINE__, NULL)
#define GUEST_SYNC4(a, b, c, d) \
	guest_ucall(UCALL_SYNC, (uint64_t)(a), (uint64_t)(b), (uint64_t)(c), \
		    (uint64_t)(d), __FILE__, __LINE__, NULL)
#define GUEST_DONE()	guest_ucall(UCALL_DONE, 0, 0, 0, 0, __FILE__, __LINE__, NULL)
#define GUEST_ASSERT(cond) do {						\
	if (!(cond))							\
		guest_ucall(UCALL_ASSERT, 0, 0, 0, 0, __FILE__, __LINE__, #cond); \
} while (0)
#define GUEST_ASSERT_EQ(a, b) do {					\
	uint64_t __a = (uint64_t)(a), __b = (uint64_t)(b);		\
	if (__a != __b)							\
		guest_ucall(UCALL_ASSERT, __a, __b, 0, 0, __FILE__, __LINE__, \
			    #a " == " #b);				\
} while (0)

/* ------------------------------------------------------------------ */
/* Guest-side helpers (lib/guest.c and inline) */

/*
 * The last exception the guest took.  With resume set (guest_exc_arm()) the
 * handler records it and returns to the faulting RIP + skip (skip: the
 * length of a faulting instruction; 0 for traps such as INT3, whose RIP
 * is already past it); resume is one shot.  Without it an exception is
 * reported as UCALL_EXCEPTION and the guest stops.  In counting mode
 * (guest_exc_count()) resume stays set: every exception is counted in
 * counts[vector] and resumed the same way, for exception storms.
 */
struct guest_exc {
	uint64_t vector;	/* GUEST_NO_EXC: none since guest_exc_arm() */
	uint64_t error_code;
	uint64_t rip;
	uint64_t count;
	uint64_t resume;	/* 0, GUEST_EXC_ONCE or GUEST_EXC_ALWAYS */
	uint64_t skip;
	uint64_t cr2;		/* CR2 at the last exception */
	uint64_t counts[32];	/* exceptions taken, per vector */
	uint64_t rflags;	/* RFLAGS pushed by the last exception */
};
extern struct guest_exc guest_exc;
#define GUEST_NO_EXC	(~0ULL)
#define GUEST_EXC_ONCE		1
#define GUEST_EXC_ALWAYS	2

static inline void guest_exc_arm(uint64_t skip)
{
	guest_exc.vector = GUEST_NO_EXC;
	guest_exc.skip = skip;
	guest_exc.resume = GUEST_EXC_ONCE;
	asm volatile("" ::: "memory");
}

/* Counting mode: resume every exception at RIP + @skip until guest_exc.resume = 0. */
static inline void guest_exc_count(uint64_t skip)
{
	guest_exc.vector = GUEST_NO_EXC;
	guest_exc.skip = skip;
	guest_exc.resume = GUEST_EXC_ALWAYS;
	asm volatile("" ::: "memory");
}

static inline uint64_t rdmsr(uint32_t msr)
{
	uint32_t lo, hi;

	asm volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr) : "memory");
	return lo | (uint64_t)hi << 32;
}

static inline void wrmsr(uint32_t msr, uint64_t val)
{
	asm volatile("wrmsr" : : "c"(msr), "a"((uint32_t)val),
		     "d"((uint32_t)(val >> 32)) : "memory");
}

/* RDMSR/WRMSR that survive a fault: the vector taken, or GUEST_NO_EXC. */
static inline uint64_t rdmsr_safe(uint32_t msr, uint64_t *val)
{
	uint32_t lo = 0, hi = 0;

	guest_exc_arm(2);
	asm volatile("rdmsr" : "+a"(lo), "+d"(hi) : "c"(msr) : "memory");
	guest_exc.resume = 0;
	*val = lo | (uint64_t)hi << 32;
	return guest_exc.vector;
}

static inline uint64_t wrmsr_safe(uint32_t msr, uint64_t val)
{
	guest_exc_arm(2);
	wrmsr(msr, val);
	guest_exc.resume = 0;
	return guest_exc.vector;
}

static inline void cpuid(uint32_t leaf, uint32_t subleaf, uint32_t r[4])
{
	asm volatile("cpuid" : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3])
		     : "a"(leaf), "c"(subleaf));
}

/* ------------------------------------------------------------------ */
/* Host side (lib/vm.c) */

#define VM_MAX_SLOTS	16
#define VM_MAX_VCPUS	8

struct vm_slot {
	bool used;
	bool owned;		/* from vm_add_mem(): vm_free() unmaps it */
	uint32_t slot;		/* as passed to the ioctl (address space too) */
	uint32_t flags;
	uint64_t gpa, size;
	void *hva;
};

struct kvmini_vcpu {
	struct kvmini_vm *vm;
	int fd, id;
	struct kvmini_run *run;
};

struct kvmini_vm {
	int dev_fd, fd;
	long run_size;			/* KVMINI_GET_VCPU_MMAP_SIZE */
	struct vm_slot slots[VM_MAX_SLOTS];
	struct kvmini_vcpu *vcpus[VM_MAX_VCPUS];
	uint64_t cr3;			/* PML4 of the identity map, 0 if none */
	uint64_t next_page;		/* vm_alloc_page() */
};

/* The device in use: $KVMINI_DEV or /dev/kvmini; is it KVM's? */
const char *kvmini_dev_path(void);
bool kvmini_dev_is_kvm(void);
/* Open the device: fd or -errno. */
int kvmini_open_dev(void);

__attribute__((noreturn, format(printf, 3, 4)))
void kvmini_fail(const char *file, int line, const char *fmt, ...);
#define LIB_FAIL(...)	kvmini_fail(__FILE__, __LINE__, __VA_ARGS__)

/* ioctl() that dies unless it returns >= 0; the result otherwise. */
long __kvmini_ioctl(int fd, unsigned long cmd, const char *name, void *arg,
		    const char *file, int line);
#define vm_ioctl(vm, cmd, arg) \
	__kvmini_ioctl((vm)->fd, cmd, #cmd, (void *)(arg), __FILE__, __LINE__)
#define vcpu_ioctl(vcpu, cmd, arg) \
	__kvmini_ioctl((vcpu)->fd, cmd, #cmd, (void *)(arg), __FILE__, __LINE__)
#define dev_ioctl(vm, cmd, arg) \
	__kvmini_ioctl((vm)->dev_fd, cmd, #cmd, (void *)(arg), __FILE__, __LINE__)

/*
 * A VM with no memory and no vCPU; NULL (errno set) if the device cannot
 * be opened, so that the caller can skip.  Dies on any other failure.
 */
struct kvmini_vm *vm_create(void);
void vm_free(struct kvmini_vm *vm);

/* Anonymous memory as slot @slot at @gpa; returns its host address. */
void *vm_add_mem(struct kvmini_vm *vm, uint32_t slot, uint64_t gpa, uint64_t size);
/* Raw KVMINI_SET_USER_MEMORY_REGION: 0 or -errno; on success the library's
 * view (vm_gpa2hva) follows: add, move, flags change, delete (size 0). */
int vm_set_region(struct kvmini_vm *vm, uint32_t slot, uint32_t flags,
		  uint64_t gpa, uint64_t size, void *hva);
void *vm_gpa2hva(struct kvmini_vm *vm, uint64_t gpa);	/* NULL: no slot */
void vm_write(struct kvmini_vm *vm, uint64_t gpa, const void *src, size_t len);

/*
 * Main slot (GUEST_SLOT0) from GPA 0 up past the program image, with the
 * image loaded, identity page tables for all of it, GDT, TSS and IDT.
 */
void vm_load_image(struct kvmini_vm *vm);
uint64_t vm_alloc_page(struct kvmini_vm *vm);		/* zeroed, main slot */
/* Map [gva, gva + size) to [gpa, ...) in the 4-level tables, 4 KiB pages. */
void vm_map(struct kvmini_vm *vm, uint64_t gva, uint64_t gpa, uint64_t size);
/* The same with 2 MiB pages: all three 2 MiB aligned (a table page per 1 GiB). */
void vm_map_2m(struct kvmini_vm *vm, uint64_t gva, uint64_t gpa, uint64_t size);
uint64_t vm_gva2gpa(struct kvmini_vm *vm, uint64_t gva);	/* ~0: unmapped */
void *vm_gva2hva(struct kvmini_vm *vm, uint64_t gva);	/* dies if unmapped */
/* The guest's copy of a global variable of the test program. */
#define GUEST_VAR(vm, var) \
	(*(__typeof__(&(var)))vm_gva2hva(vm, (uint64_t)(uintptr_t)&(var)))

/* vCPU @id in its reset state, run area mapped. */
struct kvmini_vcpu *vcpu_add(struct kvmini_vm *vm, int id);
/* 64-bit mode at @fn, own stack; returning from @fn reports UCALL_DONE. */
void vcpu_setup_long_mode(struct kvmini_vcpu *vcpu, void *fn);
/* Up to 6 integer arguments for the guest function (RDI, RSI, ...). */
void vcpu_set_args(struct kvmini_vcpu *vcpu, int n, ...);
/* A 64-bit interrupt gate (CS64, DPL 0, stack @ist or 0) at @idt[@v]. */
void idt_set_gate(uint64_t *idt, int v, uint64_t handler, int ist);
/* KVMINI_GET/SET_MSRS on @n entries @idx/@data (data updated): ioctl's result or -errno. */
long vcpu_msrs_io(struct kvmini_vcpu *vcpu, unsigned long cmd, const uint32_t *idx,
		  uint64_t *data, uint32_t n);
/* Real mode (from reset state) at @gpa: CS = gpa >> 4 & 0xf000, IP = low 16 bits. */
void vcpu_setup_real_mode(struct kvmini_vcpu *vcpu, uint64_t gpa);
/* 32-bit flat protected mode, no paging, at @gpa. */
void vcpu_setup_prot32(struct kvmini_vcpu *vcpu, uint64_t gpa);

/*
 * KVMINI_GET_SUPPORTED_CPUID (probing the size on E2BIG); caller frees.
 * vcpu_set_cpuid_supported(): give the vCPU all of it with SET_CPUID2 (needed
 * e.g. for a guest WRMSR to EFER.LME: the guest CPUID must have LM).
 */
struct kvmini_cpuid2 *kvmini_supported_cpuid(struct kvmini_vm *vm);

/*
 * The statistic @name of a VM or vCPU fd, read through KVMINI_GET_STATS_FD
 * (KVM's binary stats, KVM's names where both count the same): -1 with
 * errno set if the fd has no stats or no such one.
 */
int64_t kvmini_stat(int fd, const char *name);
int64_t kvmini_stats_read(int stats_fd, const char *name);	/* from a stats fd */
#define vm_stat(vm, name)	kvmini_stat((vm)->fd, name)
#define vcpu_stat(vcpu, name)	kvmini_stat((vcpu)->fd, name)
void vcpu_set_cpuid_supported(struct kvmini_vcpu *vcpu);

/*
 * vm_create() + vm_load_image() + vcpu 0 in long mode at @fn; NULL if the
 * device cannot be opened.
 */
struct kvmini_vm *vm_create_guest(void *fn, struct kvmini_vcpu **vcpu);

/*
 * An in-kernel local APIC (split irqchip): vm_create() and
 * KVMINI_ENABLE_CAP(KVMINI_CAP_SPLIT_IRQCHIP, args[0] = 24 IOAPIC pins
 * reserved for userspace), before any vCPU.  NULL if the device cannot be
 * opened or the capability not enabled, errno set (the ioctl's errno).
 */
struct kvmini_vm *vm_create_split(void);
/* The local APIC's register page at its default GPA, mapped 1:1 in the guest. */
void vm_map_xapic(struct kvmini_vm *vm);
/*
 * vm_create_split() + vm_load_image() + the xAPIC page mapped + vCPU 0 in
 * long mode at @fn; NULL as vm_create_split().
 */
struct kvmini_vm *vm_create_guest_split(void *fn, struct kvmini_vcpu **vcpu);

/*
 * A VM with the whole irqchip in the kernel (KVMINI_CREATE_IRQCHIP: PICs,
 * IOAPIC, local APICs); NULL with errno if the device refuses it.
 */
struct kvmini_vm *vm_create_irqchip(void);
/*
 * vm_create_irqchip() + vm_load_image() + the xAPIC page and the IOAPIC's
 * (0xfec00000) mapped 1:1 + vCPU 0 in long mode at @fn.
 */
struct kvmini_vm *vm_create_guest_irqchip(void *fn, struct kvmini_vcpu **vcpu);

/* In a harness test: skip it if vm_create*() found no device. */
#define REQUIRE_VM(vm) do {						\
	if (!(vm))							\
		SKIP(return, "%s: %s", kvmini_dev_path(), strerror(errno)); \
} while (0)
/* Skip the test (freeing @vm) if the device does not offer capability @cap. */
#define REQUIRE_CAP(vm, cap) do {					\
	if (ioctl((vm)->dev_fd, KVMINI_CHECK_EXTENSION, cap) <= 0) {	\
		vm_free(vm);						\
		SKIP(return, "%s: no " #cap, kvmini_dev_path());	\
	}								\
} while (0)
/*
 * After vm_create_split()/vm_create_guest_split(): skip the test if the
 * device has no split irqchip (kvmini before its in-kernel LAPIC: EINVAL)
 * or cannot be opened; on KVM a refusal is a failure.
 */
#define REQUIRE_SPLIT(vm) do {						\
	if (!(vm)) {							\
		int __e = errno;					\
		if (__e != ENOENT)					\
			ASSERT_EQ(0, __e);				\
		SKIP(return, "%s: no split irqchip (KVMINI_ENABLE_CAP(SPLIT_IRQCHIP): %s)", \
		     kvmini_dev_path(), strerror(__e));			\
	}								\
} while (0)
/*
 * After vm_create_irqchip()/vm_create_guest_irqchip(): skip the test if the
 * device has no in-kernel irqchip (kvmini before its PICs and IOAPIC:
 * EINVAL or ENOTTY) or cannot be opened; on KVM a refusal is a failure.
 */
#define REQUIRE_IRQCHIP(vm) do {					\
	if (!(vm)) {							\
		int __e = errno;					\
		if (__e != ENOENT &&					\
		    (kvmini_dev_is_kvm() || (__e != EINVAL && __e != ENOTTY))) \
			ASSERT_EQ(0, __e);				\
		SKIP(return, "%s: no in-kernel irqchip (KVMINI_CREATE_IRQCHIP: %s)", \
		     kvmini_dev_path(), strerror(__e));			\
	}								\
} while (0)
/*
 * The same in a FIXTURE_SETUP: the 6.1 harness would still run the test
 * body after a SKIP there, so end the test's process (255 = skipped).
 */
#define REQUIRE_VM_SETUP(vm) do {					\
	if (!(vm))							\
		SKIP(_exit(255), "%s: %s", kvmini_dev_path(), strerror(errno)); \
} while (0)

/* KVMINI_RUN: 0 or -errno. */
int vcpu_run(struct kvmini_vcpu *vcpu);
/* The ucall the last exit is, or UCALL_NONE. */
int vcpu_get_ucall(struct kvmini_vcpu *vcpu, struct ucall *uc);
/*
 * Run; die unless the exit is a ucall; die with the guest's message on
 * UCALL_ASSERT and UCALL_EXCEPTION.  Returns UCALL_SYNC or UCALL_DONE.
 */
int __vcpu_run_ucall(struct kvmini_vcpu *vcpu, struct ucall *uc,
		     const char *file, int line);
#define vcpu_run_ucall(vcpu, uc) __vcpu_run_ucall(vcpu, uc, __FILE__, __LINE__)
/* Run and die unless the exit is @reason. */
void __vcpu_run_expect(struct kvmini_vcpu *vcpu, uint32_t reason,
		       const char *file, int line);
#define vcpu_run_expect(vcpu, reason) \
	__vcpu_run_expect(vcpu, reason, __FILE__, __LINE__)

const char *exit_reason_str(uint32_t reason);
/* The host CPU is AMD's (SVM): some reset values differ per vendor. */
bool host_cpu_is_amd(void);
/* The emulated host is QEMU's TCG (its own quirks, e.g. XSETBV not intercepted). */
bool host_is_qemu_tcg(void);
/* Pointer to the PIO data of the last KVMINI_EXIT_IO. */
static inline void *vcpu_io_data(struct kvmini_vcpu *vcpu)
{
	return (char *)vcpu->run + vcpu->run->io.data_offset;
}

#endif
