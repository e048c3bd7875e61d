// SPDX-License-Identifier: GPL-2.0
/*
 * Host side of the guest/VM library: VMs, memory slots, the program image
 * in guest memory, identity page tables, descriptor tables, vCPUs, ucalls.
 */
#include <cpuid.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "kvmini_vm.h"

#define PTE_P		(1ULL << 0)
#define PTE_RW		(1ULL << 1)
#define PTE_PS		(1ULL << 7)
#define PTE_ADDR	0x000ffffffffff000ULL

extern char guest_exc_stubs[];		/* lib/guest.c */
extern char guest_return[];

const char *kvmini_dev_path(void)
{
	const char *dev = getenv("KVMINI_DEV");

	return dev && *dev ? dev : "/dev/kvmini";
}

bool kvmini_dev_is_kvm(void)
{
	return !strcmp(kvmini_dev_path(), "/dev/kvm");
}

int kvmini_open_dev(void)
{
	int fd = open(kvmini_dev_path(), O_RDWR | O_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

void kvmini_fail(const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fprintf(stderr, "# %s:%d: ", file, line);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

long __kvmini_ioctl(int fd, unsigned long cmd, const char *name, void *arg,
		    const char *file, int line)
{
	long r = ioctl(fd, cmd, arg);

	if (r < 0)
		kvmini_fail(file, line, "%s failed: %s", name, strerror(errno));
	return r;
}

struct kvmini_vm *vm_create(void)
{
	struct kvmini_vm *vm = calloc(1, sizeof(*vm));
	int fd = kvmini_open_dev();

	if (fd < 0) {
		free(vm);
		errno = -fd;
		return NULL;
	}
	vm->dev_fd = fd;
	vm->fd = __kvmini_ioctl(fd, KVMINI_CREATE_VM, "KVMINI_CREATE_VM", 0,
				__FILE__, __LINE__);
	vm->run_size = dev_ioctl(vm, KVMINI_GET_VCPU_MMAP_SIZE, 0);
	return vm;
}

void vm_free(struct kvmini_vm *vm)
{
	int i;

	if (!vm)
		return;
	for (i = 0; i < VM_MAX_VCPUS; i++) {
		if (!vm->vcpus[i])
			continue;
		munmap(vm->vcpus[i]->run, vm->run_size);
		close(vm->vcpus[i]->fd);
		free(vm->vcpus[i]);
	}
	close(vm->fd);
	close(vm->dev_fd);
	for (i = 0; i < VM_MAX_SLOTS; i++)
		if (vm->slots[i].used && vm->slots[i].owned)
			munmap(vm->slots[i].hva, vm->slots[i].size);
	free(vm);
}

/* ------------------------------------------------------------------ */
/* memory */

static struct vm_slot *find_slot(struct kvmini_vm *vm, uint32_t slot)
{
	int i;

	for (i = 0; i < VM_MAX_SLOTS; i++)
		if (vm->slots[i].used && vm->slots[i].slot == slot)
			return &vm->slots[i];
	return NULL;
}

int vm_set_region(struct kvmini_vm *vm, uint32_t slot, uint32_t flags,
		  uint64_t gpa, uint64_t size, void *hva)
{
	struct kvmini_userspace_memory_region r = {
		.slot = slot, .flags = flags, .guest_phys_addr = gpa,
		.memory_size = size, .userspace_addr = (uintptr_t)hva,
	};
	struct vm_slot *s;
	int i;

	if (ioctl(vm->fd, KVMINI_SET_USER_MEMORY_REGION, &r) < 0)
		return -errno;
	s = find_slot(vm, slot);
	if (!s) {
		for (i = 0; i < VM_MAX_SLOTS && vm->slots[i].used; i++)
			;
		if (i == VM_MAX_SLOTS)
			LIB_FAIL("more than %d slots", VM_MAX_SLOTS);
		s = &vm->slots[i];
	}
	*s = (struct vm_slot){ size != 0, false, slot, flags, gpa, size, hva };
	return 0;
}

void *vm_add_mem(struct kvmini_vm *vm, uint32_t slot, uint64_t gpa, uint64_t size)
{
	void *hva = mmap(NULL, size, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	int r;

	if (hva == MAP_FAILED)
		LIB_FAIL("mmap %#lx bytes: %s", (unsigned long)size, strerror(errno));
	r = vm_set_region(vm, slot, 0, gpa, size, hva);
	if (r)
		LIB_FAIL("slot %u at %#lx size %#lx: %s", slot, (unsigned long)gpa,
			 (unsigned long)size, strerror(-r));
	find_slot(vm, slot)->owned = true;	/* vm_free() unmaps it */
	return hva;
}

void *vm_gpa2hva(struct kvmini_vm *vm, uint64_t gpa)
{
	int i;

	for (i = 0; i < VM_MAX_SLOTS; i++) {
		struct vm_slot *s = &vm->slots[i];

		if (s->used && (s->slot >> 16) == 0 &&
		    gpa >= s->gpa && gpa - s->gpa < s->size)
			return (char *)s->hva + (gpa - s->gpa);
	}
	return NULL;
}

void vm_write(struct kvmini_vm *vm, uint64_t gpa, const void *src, size_t len)
{
	char *dst = vm_gpa2hva(vm, gpa);

	if (!dst || !vm_gpa2hva(vm, gpa + len - 1))
		LIB_FAIL("no guest memory at %#lx+%#zx", (unsigned long)gpa, len);
	memcpy(dst, src, len);
}

/* ------------------------------------------------------------------ */
/* page tables: 4 levels, 4 KiB pages, guest physical addresses */

uint64_t vm_alloc_page(struct kvmini_vm *vm)
{
	uint64_t gpa = vm->next_page;

	if (!gpa || gpa >= GUEST_ALLOC_END)
		LIB_FAIL("out of guest pages (vm_load_image first?)");
	vm->next_page += GUEST_PAGE_SIZE;
	memset(vm_gpa2hva(vm, gpa), 0, GUEST_PAGE_SIZE);
	return gpa;
}

static uint64_t *pte_hva(struct kvmini_vm *vm, uint64_t table, uint64_t gva, int level)
{
	uint64_t *t = vm_gpa2hva(vm, table & PTE_ADDR);

	if (!t)
		LIB_FAIL("page table at %#lx not in guest memory", (unsigned long)table);
	return &t[(gva >> (12 + 9 * (level - 1))) & 511];
}

void vm_map(struct kvmini_vm *vm, uint64_t gva, uint64_t gpa, uint64_t size)
{
	uint64_t end = gva + size, *e;
	int level;

	for (; gva < end; gva += GUEST_PAGE_SIZE, gpa += GUEST_PAGE_SIZE) {
		uint64_t table = vm->cr3;

		for (level = 4; level > 1; level--) {
			e = pte_hva(vm, table, gva, level);
			if (!(*e & PTE_P))
				*e = vm_alloc_page(vm) | PTE_P | PTE_RW;
			if (*e & PTE_PS)
				LIB_FAIL("vm_map: %#lx is in a large page", (unsigned long)gva);
			table = *e;
		}
		*pte_hva(vm, table, gva, 1) = gpa | PTE_P | PTE_RW;
	}
}

void vm_map_2m(struct kvmini_vm *vm, uint64_t gva, uint64_t gpa, uint64_t size)
{
	const uint64_t huge = 2ULL << 20;
	uint64_t end = gva + size, *e;
	int level;

	if ((gva | gpa | size) & (huge - 1))
		LIB_FAIL("vm_map_2m: %#lx -> %#lx not 2 MiB aligned", (unsigned long)gva,
			 (unsigned long)gpa);
	for (; gva < end; gva += huge, gpa += huge) {
		uint64_t table = vm->cr3;

		for (level = 4; level > 2; level--) {
			e = pte_hva(vm, table, gva, level);
			if (!(*e & PTE_P))
				*e = vm_alloc_page(vm) | PTE_P | PTE_RW;
			if (*e & PTE_PS)
				LIB_FAIL("vm_map_2m: %#lx is in a large page", (unsigned long)gva);
			table = *e;
		}
		*pte_hva(vm, table, gva, 2) = gpa | PTE_P | PTE_RW | PTE_PS;
	}
}

uint64_t vm_gva2gpa(struct kvmini_vm *vm, uint64_t gva)
{
	uint64_t table = vm->cr3, e = 0;
	int level;

	for (level = 4; level >= 1; level--) {
		if (!vm_gpa2hva(vm, table & PTE_ADDR))
			return ~0ULL;
		e = *pte_hva(vm, table, gva, level);
		if (!(e & PTE_P))
			return ~0ULL;
		if (level == 1 || ((e & PTE_PS) && level <= 3))
			break;
		table = e;
	}
	/* Offset bits: 12 for 4 KiB, 21 for 2 MiB, 30 for 1 GiB pages. */
	return (e & PTE_ADDR & ~((1ULL << (12 + 9 * (level - 1))) - 1)) |
	       (gva & ((1ULL << (12 + 9 * (level - 1))) - 1));
}

void *vm_gva2hva(struct kvmini_vm *vm, uint64_t gva)
{
	uint64_t gpa = vm_gva2gpa(vm, gva);
	void *hva = gpa == ~0ULL ? NULL : vm_gpa2hva(vm, gpa);

	if (!hva)
		LIB_FAIL("guest address %#lx is not mapped to memory", (unsigned long)gva);
	return hva;
}

/* Copy guest virtual memory, page by page; false if some is unmapped. */
static bool read_gva(struct kvmini_vm *vm, uint64_t gva, void *dst, size_t len)
{
	while (len) {
		size_t n = GUEST_PAGE_SIZE - (gva & (GUEST_PAGE_SIZE - 1));
		uint64_t gpa = vm_gva2gpa(vm, gva);
		void *src = gpa == ~0ULL ? NULL : vm_gpa2hva(vm, gpa);

		if (!src)
			return false;
		n = n < len ? n : len;
		memcpy(dst, src, n);
		dst = (char *)dst + n;
		gva += n;
		len -= n;
	}
	return true;
}

/* ------------------------------------------------------------------ */
/* the program image and the descriptor tables */

/* A GDT entry: base, limit (20 bits), access byte, flags nibble (G, D/B, L). */
static uint64_t gdt_entry(uint32_t base, uint32_t limit, uint8_t access, uint8_t flags)
{
	return (limit & 0xffffULL) | (uint64_t)(base & 0xffffff) << 16 |
	       (uint64_t)access << 40 | (uint64_t)((limit >> 16) & 0xf) << 48 |
	       (uint64_t)(flags & 0xf) << 52 | (uint64_t)(base >> 24) << 56;
}

static void setup_tables(struct kvmini_vm *vm)
{
	uint64_t *gdt = vm_gpa2hva(vm, GUEST_GDT);
	uint64_t *idt = vm_gpa2hva(vm, GUEST_IDT);
	uint8_t *tss = vm_gpa2hva(vm, GUEST_TSS);
	uint64_t ist1 = GUEST_EXC_STACK;
	int v;

	gdt[GUEST_SEL_CS64 / 8] = gdt_entry(0, 0xfffff, 0x9b, 0xa);	/* P S code RA, G L */
	gdt[GUEST_SEL_DS / 8] = gdt_entry(0, 0xfffff, 0x93, 0xc);	/* P S data WA, G D */
	/* 64-bit TSS, busy (type 0xb): 16 bytes, base bits 63:32 in the second. */
	gdt[GUEST_SEL_TSS / 8] = gdt_entry(GUEST_TSS, 0x67, 0x8b, 0);
	gdt[GUEST_SEL_TSS / 8 + 1] = 0;
	memcpy(tss + 36, &ist1, 8);		/* IST1 */
	*(uint16_t *)(tss + 102) = 0x68;	/* I/O map base: none */

	/* Interrupt gates for vectors 0-31, IST1, stubs 16 bytes apart. */
	for (v = 0; v < 32; v++) {
		uint64_t h = (uintptr_t)guest_exc_stubs + 16 * v;

		idt[2 * v] = (h & 0xffff) | (uint64_t)GUEST_SEL_CS64 << 16 |
			     1ULL << 32 | 0x8eULL << 40 | ((h >> 16) & 0xffff) << 48;
		idt[2 * v + 1] = h >> 32;
	}
}

void vm_load_image(struct kvmini_vm *vm)
{
	Elf64_Ehdr eh;
	Elf64_Phdr ph;
	uint64_t end = 0, size, gpa;
	char *mem;
	int fd = open("/proc/self/exe", O_RDONLY), i;

	if (fd < 0 || pread(fd, &eh, sizeof(eh), 0) != sizeof(eh) ||
	    memcmp(eh.e_ident, ELFMAG, SELFMAG) || eh.e_type != ET_EXEC)
		LIB_FAIL("/proc/self/exe: not a static ET_EXEC program");
	for (i = 0; i < eh.e_phnum; i++) {
		if (pread(fd, &ph, sizeof(ph), eh.e_phoff + i * sizeof(ph)) != sizeof(ph))
			LIB_FAIL("/proc/self/exe: short read");
		if (ph.p_type == PT_LOAD && ph.p_vaddr + ph.p_memsz > end)
			end = ph.p_vaddr + ph.p_memsz;
	}
	/* Slot 0: GPA 0 up to the image's end plus 1 MiB, 2 MiB aligned. */
	size = (end + 0x100000 + 0x1fffff) & ~0x1fffffULL;
	mem = vm_add_mem(vm, GUEST_SLOT0, 0, size);
	for (i = 0; i < eh.e_phnum; i++) {
		if (pread(fd, &ph, sizeof(ph), eh.e_phoff + i * sizeof(ph)) != sizeof(ph))
			LIB_FAIL("/proc/self/exe: short read");
		if (ph.p_type != PT_LOAD)
			continue;
		if (ph.p_vaddr < GUEST_ALLOC_END)
			LIB_FAIL("image segment at %#lx overlaps the library's area",
				 (unsigned long)ph.p_vaddr);
		if (pread(fd, mem + ph.p_vaddr, ph.p_filesz, ph.p_offset) != (ssize_t)ph.p_filesz)
			LIB_FAIL("/proc/self/exe: short read");
	}
	close(fd);

	vm->next_page = GUEST_ALLOC_START;
	vm->cr3 = vm_alloc_page(vm);
	/* Identity map all of slot 0 but page 0, so NULL faults. */
	for (gpa = GUEST_PAGE_SIZE; gpa < size; gpa += GUEST_PAGE_SIZE)
		vm_map(vm, gpa, gpa, GUEST_PAGE_SIZE);
	setup_tables(vm);
}

/* ------------------------------------------------------------------ */
/* vCPUs */

struct kvmini_vcpu *vcpu_add(struct kvmini_vm *vm, int id)
{
	struct kvmini_vcpu *vcpu = calloc(1, sizeof(*vcpu));
	int i;

	for (i = 0; i < VM_MAX_VCPUS && vm->vcpus[i]; i++)
		;
	if (i == VM_MAX_VCPUS)
		LIB_FAIL("more than %d vCPUs", VM_MAX_VCPUS);
	vcpu->vm = vm;
	vcpu->id = id;
	vcpu->fd = vm_ioctl(vm, KVMINI_CREATE_VCPU, (unsigned long)id);
	vcpu->run = mmap(NULL, vm->run_size, PROT_READ | PROT_WRITE, MAP_SHARED,
			 vcpu->fd, 0);
	if (vcpu->run == MAP_FAILED)
		LIB_FAIL("mmap vCPU %d: %s", id, strerror(errno));
	vm->vcpus[i] = vcpu;
	return vcpu;
}

static void flat_seg(struct kvmini_segment *s, uint16_t sel, uint8_t type,
		     bool l, bool db)
{
	*s = (struct kvmini_segment){
		.base = 0, .limit = 0xffffffff, .selector = sel, .type = type,
		.present = 1, .dpl = 0, .db = db, .s = 1, .l = l, .g = 1,
	};
}

void vcpu_setup_long_mode(struct kvmini_vcpu *vcpu, void *fn)
{
	struct kvmini_vm *vm = vcpu->vm;
	struct kvmini_sregs sregs;
	struct kvmini_regs regs = { .rflags = X86_RFLAGS_FIXED };
	uint64_t stack = 0, ret = (uintptr_t)guest_return;
	int i;

	if (!vm->cr3)
		LIB_FAIL("vcpu_setup_long_mode: vm_load_image first");
	/* 16 pages of stack; the pages come out of the allocator in order. */
	for (i = 0; i < 16; i++)
		stack = vm_alloc_page(vm);
	stack += GUEST_PAGE_SIZE - 8;
	vm_write(vm, stack, &ret, sizeof(ret));	/* return address */
	regs.rsp = stack;			/* (RSP + 8) % 16 == 0 at entry */
	regs.rip = (uintptr_t)fn;

	vcpu_ioctl(vcpu, KVMINI_GET_SREGS, &sregs);
	flat_seg(&sregs.cs, GUEST_SEL_CS64, 0xb, true, false);
	flat_seg(&sregs.ds, GUEST_SEL_DS, 0x3, false, true);
	sregs.es = sregs.fs = sregs.gs = sregs.ss = sregs.ds;
	sregs.tr = (struct kvmini_segment){
		.base = GUEST_TSS, .limit = 0x67, .selector = GUEST_SEL_TSS,
		.type = 0xb, .present = 1,
	};
	sregs.gdt.base = GUEST_GDT;
	sregs.gdt.limit = GUEST_SEL_TSS + 15;
	sregs.idt.base = GUEST_IDT;
	sregs.idt.limit = 256 * 16 - 1;
	sregs.cr0 = GUEST_CR0_LONG;
	sregs.cr3 = vm->cr3;
	sregs.cr4 = GUEST_CR4_LONG;
	sregs.efer = GUEST_EFER_LONG;
	vcpu_ioctl(vcpu, KVMINI_SET_SREGS, &sregs);
	vcpu_ioctl(vcpu, KVMINI_SET_REGS, &regs);
}

void vcpu_set_args(struct kvmini_vcpu *vcpu, int n, ...)
{
	struct kvmini_regs regs;
	va_list ap;
	int i;

	vcpu_ioctl(vcpu, KVMINI_GET_REGS, &regs);
	va_start(ap, n);
	for (i = 0; i < n && i < 6; i++) {
		uint64_t v = va_arg(ap, uint64_t);
		__u64 *r[] = { &regs.rdi, &regs.rsi, &regs.rdx, &regs.rcx,
			       &regs.r8, &regs.r9 };

		*r[i] = v;
	}
	va_end(ap);
	vcpu_ioctl(vcpu, KVMINI_SET_REGS, &regs);
}

void vcpu_setup_real_mode(struct kvmini_vcpu *vcpu, uint64_t gpa)
{
	struct kvmini_sregs sregs;
	struct kvmini_regs regs;

	vcpu_ioctl(vcpu, KVMINI_GET_SREGS, &sregs);
	sregs.cs.selector = (gpa >> 4) & 0xf000;
	sregs.cs.base = gpa & ~0xffffULL;
	vcpu_ioctl(vcpu, KVMINI_SET_SREGS, &sregs);
	vcpu_ioctl(vcpu, KVMINI_GET_REGS, &regs);
	regs.rip = gpa & 0xffff;
	vcpu_ioctl(vcpu, KVMINI_SET_REGS, &regs);
}

void vcpu_setup_prot32(struct kvmini_vcpu *vcpu, uint64_t gpa)
{
	struct kvmini_sregs sregs;
	struct kvmini_regs regs;

	vcpu_ioctl(vcpu, KVMINI_GET_SREGS, &sregs);
	flat_seg(&sregs.cs, 0x08, 0xb, false, true);
	flat_seg(&sregs.ds, 0x10, 0x3, false, true);
	sregs.es = sregs.fs = sregs.gs = sregs.ss = sregs.ds;
	sregs.cr0 = X86_CR0_PE | X86_CR0_ET | X86_CR0_NE;
	vcpu_ioctl(vcpu, KVMINI_SET_SREGS, &sregs);
	vcpu_ioctl(vcpu, KVMINI_GET_REGS, &regs);
	regs.rip = gpa;
	vcpu_ioctl(vcpu, KVMINI_SET_REGS, &regs);
}

struct kvmini_cpuid2 *kvmini_supported_cpuid(struct kvmini_vm *vm)
{
	struct kvmini_cpuid2 *c = NULL;
	uint32_t n;

	for (n = 8; n <= 4096; n *= 2) {
		free(c);
		c = calloc(1, sizeof(*c) + n * sizeof(c->entries[0]));
		c->nent = n;
		if (ioctl(vm->dev_fd, KVMINI_GET_SUPPORTED_CPUID, c) == 0)
			return c;
		if (errno != E2BIG)
			break;
	}
	LIB_FAIL("KVMINI_GET_SUPPORTED_CPUID: %s", strerror(errno));
}

void vcpu_set_cpuid_supported(struct kvmini_vcpu *vcpu)
{
	struct kvmini_cpuid2 *c = kvmini_supported_cpuid(vcpu->vm);

	vcpu_ioctl(vcpu, KVMINI_SET_CPUID2, c);
	free(c);
}

struct kvmini_vm *vm_create_guest(void *fn, struct kvmini_vcpu **vcpu)
{
	struct kvmini_vm *vm = vm_create();

	if (!vm)
		return NULL;
	vm_load_image(vm);
	*vcpu = vcpu_add(vm, 0);
	vcpu_setup_long_mode(*vcpu, fn);
	return vm;
}

struct kvmini_vm *vm_create_split(void)
{
	struct kvmini_enable_cap cap = {
		.cap = KVMINI_CAP_SPLIT_IRQCHIP, .args = { 24 },
	};
	struct kvmini_vm *vm = vm_create();
	int e;

	if (!vm)
		return NULL;
	if (ioctl(vm->fd, KVMINI_ENABLE_CAP, &cap) < 0) {
		e = errno;
		vm_free(vm);
		errno = e;
		return NULL;
	}
	return vm;
}

struct kvmini_vm *vm_create_irqchip(void)
{
	struct kvmini_vm *vm = vm_create();
	int e;

	if (!vm)
		return NULL;
	if (ioctl(vm->fd, KVMINI_CREATE_IRQCHIP, 0) < 0) {
		e = errno;
		vm_free(vm);
		errno = e;
		return NULL;
	}
	return vm;
}

struct kvmini_vm *vm_create_guest_irqchip(void *fn, struct kvmini_vcpu **vcpu)
{
	struct kvmini_vm *vm = vm_create_irqchip();

	if (!vm)
		return NULL;
	vm_load_image(vm);
	vm_map_xapic(vm);
	vm_map(vm, 0xfec00000ULL, 0xfec00000ULL, GUEST_PAGE_SIZE);	/* the IOAPIC */
	*vcpu = vcpu_add(vm, 0);
	vcpu_setup_long_mode(*vcpu, fn);
	return vm;
}

void vm_map_xapic(struct kvmini_vm *vm)
{
	vm_map(vm, 0xfee00000ULL, 0xfee00000ULL, GUEST_PAGE_SIZE);
}

struct kvmini_vm *vm_create_guest_split(void *fn, struct kvmini_vcpu **vcpu)
{
	struct kvmini_vm *vm = vm_create_split();

	if (!vm)
		return NULL;
	vm_load_image(vm);
	vm_map_xapic(vm);
	*vcpu = vcpu_add(vm, 0);
	vcpu_setup_long_mode(*vcpu, fn);
	return vm;
}

/* ------------------------------------------------------------------ */
/* statistics */

int64_t kvmini_stats_read(int sfd, const char *name)
{
	struct kvmini_stats_header h;
	struct kvmini_stats_desc *d;
	int64_t val = -1;
	size_t dsize;
	char *descs;
	uint32_t i;

	if (pread(sfd, &h, sizeof(h), 0) != sizeof(h))
		LIB_FAIL("stats header: %m");
	dsize = sizeof(*d) + h.name_size;
	descs = calloc(h.num_desc, dsize);
	if (!descs || pread(sfd, descs, h.num_desc * dsize, h.desc_offset) !=
		      (ssize_t)(h.num_desc * dsize))
		LIB_FAIL("stats descriptors: %m");
	errno = ENOENT;
	for (i = 0; i < h.num_desc; i++) {
		d = (void *)(descs + i * dsize);
		if (strncmp(d->name, name, h.name_size))
			continue;
		if (pread(sfd, &val, sizeof(val), h.data_offset + d->offset) != sizeof(val))
			LIB_FAIL("stats data: %m");
		break;
	}
	free(descs);
	return val;
}

int64_t kvmini_stat(int fd, const char *name)
{
	int64_t val;
	int sfd;

	sfd = ioctl(fd, KVMINI_GET_STATS_FD, 0);
	if (sfd < 0)
		return -1;
	val = kvmini_stats_read(sfd, name);
	close(sfd);
	return val;
}

/* running, ucalls */

int vcpu_run(struct kvmini_vcpu *vcpu)
{
	return ioctl(vcpu->fd, KVMINI_RUN, 0) < 0 ? -errno : 0;
}

static void read_str(struct kvmini_vm *vm, uint64_t gva, char *buf, size_t size)
{
	size_t i;

	for (i = 0; gva && i < size - 1; i++)
		if (!read_gva(vm, gva + i, &buf[i], 1) || !buf[i])
			break;
	buf[i] = 0;
}

int vcpu_get_ucall(struct kvmini_vcpu *vcpu, struct ucall *uc)
{
	struct kvmini_run *run = vcpu->run;
	struct guest_ucall g;
	struct kvmini_regs regs;

	memset(uc, 0, sizeof(*uc));
	if (run->exit_reason != KVMINI_EXIT_IO || run->io.port != UCALL_PORT ||
	    run->io.direction != KVMINI_EXIT_IO_OUT)
		return UCALL_NONE;
	vcpu_ioctl(vcpu, KVMINI_GET_REGS, &regs);
	if (!read_gva(vcpu->vm, regs.rdi, &g, sizeof(g)))
		LIB_FAIL("ucall: struct at %#llx not in guest memory", regs.rdi);
	uc->cmd = g.cmd;
	memcpy(uc->args, g.args, sizeof(uc->args));
	uc->line = g.line;
	read_str(vcpu->vm, (uintptr_t)g.file, uc->file, sizeof(uc->file));
	read_str(vcpu->vm, (uintptr_t)g.expr, uc->expr, sizeof(uc->expr));
	return uc->cmd;
}

static const char *const exit_names[] = {
	[KVMINI_EXIT_UNKNOWN] = "UNKNOWN", [KVMINI_EXIT_EXCEPTION] = "EXCEPTION",
	[KVMINI_EXIT_IO] = "IO", [KVMINI_EXIT_HYPERCALL] = "HYPERCALL",
	[KVMINI_EXIT_DEBUG] = "DEBUG", [KVMINI_EXIT_HLT] = "HLT",
	[KVMINI_EXIT_MMIO] = "MMIO", [KVMINI_EXIT_IRQ_WINDOW_OPEN] = "IRQ_WINDOW_OPEN",
	[KVMINI_EXIT_SHUTDOWN] = "SHUTDOWN", [KVMINI_EXIT_FAIL_ENTRY] = "FAIL_ENTRY",
	[KVMINI_EXIT_INTR] = "INTR", [KVMINI_EXIT_INTERNAL_ERROR] = "INTERNAL_ERROR",
	[KVMINI_EXIT_SYSTEM_EVENT] = "SYSTEM_EVENT",
	[KVMINI_EXIT_X86_RDMSR] = "X86_RDMSR", [KVMINI_EXIT_X86_WRMSR] = "X86_WRMSR",
};

/* QEMU's TCG announces itself in the hypervisor CPUID leaf. */
bool host_is_qemu_tcg(void)
{
	uint32_t r[4];

	cpuid(0x40000000, 0, r);
	return !memcmp(&r[1], "TCGT", 4) && !memcmp(&r[2], "CGTC", 4) &&
	       !memcmp(&r[3], "GTCG", 4);
}

bool host_cpu_is_amd(void)
{
	unsigned int a, b, c, d;

	__cpuid(0, a, b, c, d);
	return b == 0x68747541 && d == 0x69746e65 && c == 0x444d4163; /* AuthenticAMD */
}

const char *exit_reason_str(uint32_t reason)
{
	if (reason < sizeof(exit_names) / sizeof(exit_names[0]) && exit_names[reason])
		return exit_names[reason];
	return "?";
}

/* Describe the last exit, for failure messages. */
static const char *exit_str(struct kvmini_vcpu *vcpu, char *buf, size_t size)
{
	struct kvmini_run *run = vcpu->run;
	struct kvmini_regs regs;
	int n;

	n = snprintf(buf, size, "exit %u (%s)", run->exit_reason,
		     exit_reason_str(run->exit_reason));
	if (run->exit_reason == KVMINI_EXIT_IO)
		n += snprintf(buf + n, size - n, " port %#x %s size %u count %u",
			      run->io.port, run->io.direction ? "out" : "in",
			      run->io.size, run->io.count);
	else if (run->exit_reason == KVMINI_EXIT_MMIO)
		n += snprintf(buf + n, size - n, " gpa %#llx len %u %s",
			      run->mmio.phys_addr, run->mmio.len,
			      run->mmio.is_write ? "write" : "read");
	else if (run->exit_reason == KVMINI_EXIT_INTERNAL_ERROR)
		n += snprintf(buf + n, size - n, " suberror %u",
			      run->internal.suberror);
	else if (run->exit_reason == KVMINI_EXIT_FAIL_ENTRY)
		n += snprintf(buf + n, size - n, " hw reason %#llx",
			      run->fail_entry.hardware_entry_failure_reason);
	if (ioctl(vcpu->fd, KVMINI_GET_REGS, &regs) == 0)
		snprintf(buf + n, size - n, ", rip %#llx", regs.rip);
	return buf;
}

int __vcpu_run_ucall(struct kvmini_vcpu *vcpu, struct ucall *uc,
			  const char *file, int line)
{
	char buf[160];
	int r = vcpu_run(vcpu);

	if (r)
		kvmini_fail(file, line, "KVMINI_RUN: %s", strerror(-r));
	switch (vcpu_get_ucall(vcpu, uc)) {
	case UCALL_SYNC:
	case UCALL_DONE:
		return uc->cmd;
	case UCALL_ASSERT:
		kvmini_fail(file, line, "guest assertion at %s:%lu: %s (%#lx, %#lx)",
			    uc->file, (unsigned long)uc->line, uc->expr,
			    (unsigned long)uc->args[0], (unsigned long)uc->args[1]);
	case UCALL_EXCEPTION:
		kvmini_fail(file, line, "guest exception %lu, error code %#lx at rip %#lx",
			    (unsigned long)uc->args[0], (unsigned long)uc->args[1],
			    (unsigned long)uc->args[2]);
	case UCALL_NONE:
		kvmini_fail(file, line, "expected a ucall, got %s",
			    exit_str(vcpu, buf, sizeof(buf)));
	default:
		kvmini_fail(file, line, "unknown ucall %lu", (unsigned long)uc->cmd);
	}
}

void __vcpu_run_expect(struct kvmini_vcpu *vcpu, uint32_t reason,
		       const char *file, int line)
{
	char buf[160];
	struct ucall uc;
	int r = vcpu_run(vcpu);

	if (r)
		kvmini_fail(file, line, "KVMINI_RUN: %s", strerror(-r));
	if (vcpu->run->exit_reason == reason)
		return;
	if (vcpu_get_ucall(vcpu, &uc) == UCALL_ASSERT)
		kvmini_fail(file, line, "guest assertion at %s:%lu: %s (%#lx, %#lx)",
			    uc.file, (unsigned long)uc.line, uc.expr,
			    (unsigned long)uc.args[0], (unsigned long)uc.args[1]);
	kvmini_fail(file, line, "expected exit %s, got %s", exit_reason_str(reason),
		    exit_str(vcpu, buf, sizeof(buf)));
}

void idt_set_gate(uint64_t *idt, int v, uint64_t handler, int ist)
{
	idt[2 * v] = (handler & 0xffff) | (uint64_t)GUEST_SEL_CS64 << 16 |
		     (uint64_t)ist << 32 | 0x8eULL << 40 | ((handler >> 16) & 0xffff) << 48;
	idt[2 * v + 1] = handler >> 32;
}

long vcpu_msrs_io(struct kvmini_vcpu *vcpu, unsigned long cmd, const uint32_t *idx,
		  uint64_t *data, uint32_t n)
{
	struct kvmini_msrs *m = calloc(1, sizeof(*m) + n * sizeof(m->entries[0]));
	uint32_t i;
	long r;

	m->nmsrs = n;
	for (i = 0; i < n; i++)
		m->entries[i] = (struct kvmini_msr_entry){ .index = idx[i], .data = data[i] };
	r = ioctl(vcpu->fd, cmd, m);
	if (r < 0)
		r = -errno;
	for (i = 0; i < n; i++)
		data[i] = m->entries[i].data;
	free(m);
	return r;
}
