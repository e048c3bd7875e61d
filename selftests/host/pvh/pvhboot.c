// SPDX-License-Identifier: GPL-2.0
/*
 * pvhboot: a multiboot (v1) kernel that starts an uncompressed x86-64 Linux
 * (vmlinux) at its PVH entry point.
 *
 * Why: under Bochs the distro bzImage spends about a minute decompressing
 * itself. run.sh extracts vmlinux on the build machine instead, and
 * syslinux's mboot.c32 loads us with two modules:
 *
 *   mboot.c32 pvhboot.elf KERNEL-CMDLINE --- vmlinux --- initrd
 *
 * We put vmlinux's PT_LOAD segments at their physical addresses, describe
 * the command line, the memory map and the initrd in an hvm_start_info, and
 * jump to the address in the kernel's XEN_ELFNOTE_PHYS32_ENTRY note
 * (CONFIG_PVH). No decompressor runs, so there is no KASLR either.
 */
#include <stddef.h>
#include <stdint.h>

/* --- multiboot v1, as mboot.c32 hands it over --- */

#define MB_BOOT_MAGIC	0x2badb002
#define MB_INFO_CMDLINE	(1u << 2)
#define MB_INFO_MODS	(1u << 3)
#define MB_INFO_MMAP	(1u << 6)

struct mb_info {
	uint32_t flags;
	uint32_t mem_lower, mem_upper;
	uint32_t boot_device;
	uint32_t cmdline;
	uint32_t mods_count, mods_addr;
	uint32_t syms[4];
	uint32_t mmap_length, mmap_addr;
};

struct mb_module {
	uint32_t start, end;	/* [start, end) */
	uint32_t cmdline;
	uint32_t pad;
};

/* `size` counts the bytes after itself: entries are walked by it. */
struct mb_mmap_entry {
	uint32_t size;
	uint64_t addr, len;
	uint32_t type;		/* E820 types: 1 = RAM */
} __attribute__((packed));

/* --- the PVH boot ABI (Xen's hvm_start_info, version 1) --- */

#define HVM_START_MAGIC	0x336ec578

struct hvm_start_info {
	uint32_t magic;
	uint32_t version;
	uint32_t flags;
	uint32_t nr_modules;
	uint64_t modlist_paddr;
	uint64_t cmdline_paddr;
	uint64_t rsdp_paddr;
	/* version >= 1 */
	uint64_t memmap_paddr;
	uint32_t memmap_entries;
	uint32_t reserved;
};

struct hvm_modlist_entry {
	uint64_t paddr;
	uint64_t size;
	uint64_t cmdline_paddr;
	uint64_t reserved;
};

struct hvm_memmap_table_entry {
	uint64_t addr;
	uint64_t size;
	uint32_t type;
	uint32_t reserved;
};

/* i386 aligns uint64_t to 4 in structs: make sure no field moved. */
_Static_assert(offsetof(struct hvm_start_info, modlist_paddr) == 16, "");
_Static_assert(offsetof(struct hvm_start_info, memmap_paddr) == 40, "");
_Static_assert(sizeof(struct hvm_start_info) == 56, "");
_Static_assert(sizeof(struct hvm_modlist_entry) == 32, "");
_Static_assert(sizeof(struct hvm_memmap_table_entry) == 24, "");

/* --- ELF64, only what a vmlinux needs --- */

struct elf64_ehdr {
	unsigned char ident[16];
	uint16_t type, machine;
	uint32_t version;
	uint64_t entry, phoff, shoff;
	uint32_t flags;
	uint16_t ehsize, phentsize, phnum, shentsize, shnum, shstrndx;
};

struct elf64_phdr {
	uint32_t type, flags;
	uint64_t offset, vaddr, paddr, filesz, memsz, align;
};

struct elf_note {
	uint32_t namesz, descsz, type;
};

_Static_assert(sizeof(struct elf64_ehdr) == 64, "");
_Static_assert(sizeof(struct elf64_phdr) == 56, "");

#define PT_LOAD			1
#define PT_NOTE			4
#define EM_X86_64		62
#define XEN_ELFNOTE_PHYS32_ENTRY 18

/* --- what the kernel gets; in our .bss, well below where it loads --- */

#define MAX_MEMMAP	128	/* what fits in boot_params' e820 table */
#define MAX_CMDLINE	2048	/* Linux's COMMAND_LINE_SIZE */

static struct hvm_start_info start_info;
static struct hvm_modlist_entry initrd_mod;
static struct hvm_memmap_table_entry memmap[MAX_MEMMAP];
static char cmdline[MAX_CMDLINE];

extern char loader_start[], loader_end[];
void enter_pvh(uint32_t entry, struct hvm_start_info *si) __attribute__((noreturn));
void pvhboot_main(uint32_t magic, const struct mb_info *mbi);

/* gcc may emit calls to these even when freestanding. */
void *memcpy(void *dst, const void *src, size_t n)
{
	void *d = dst;
	size_t dwords = n / 4;

	asm volatile("rep movsl; mov %[bytes], %%ecx; rep movsb"
		     : "+D"(d), "+S"(src), "+c"(dwords)
		     : [bytes] "r"(n % 4) : "memory");
	return dst;
}

void *memset(void *dst, int c, size_t n)
{
	void *d = dst;
	size_t dwords = n / 4;

	asm volatile("rep stosl; mov %[bytes], %%ecx; rep stosb"
		     : "+D"(d), "+c"(dwords)
		     : "a"((c & 0xff) * 0x01010101u), [bytes] "r"(n % 4) : "memory");
	return dst;
}

/* --- messages on COM1, the console run.sh keeps --- */

static inline void outb(uint16_t port, uint8_t v)
{
	asm volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}

static inline uint8_t inb(uint16_t port)
{
	uint8_t v;

	asm volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

/* The BIOS may leave the UART at 5 data bits: set 8N1, 115200 baud. */
static void con_init(void)
{
	outb(0x3f8 + 3, 0x80);		/* divisor latch access */
	outb(0x3f8 + 0, 1);
	outb(0x3f8 + 1, 0);
	outb(0x3f8 + 3, 0x03);
}

static void con_putc(char c)
{
	while (!(inb(0x3f8 + 5) & 0x20))	/* transmitter empty */
		;
	outb(0x3f8, c);
}

static void con_puts(const char *s)
{
	while (*s)
		con_putc(*s++);
}

static void con_hex(uint32_t v)
{
	con_puts("0x");
	for (int i = 28; i >= 0; i -= 4)
		con_putc("0123456789abcdef"[(v >> i) & 0xf]);
}

static void __attribute__((noreturn)) die(const char *why)
{
	con_puts("pvhboot: ");
	con_puts(why);
	con_puts("\r\n");
	for (;;)
		asm volatile("cli; hlt");
}

/* --- helpers --- */

static uint32_t align_up(uint32_t v, uint32_t a)
{
	return (v + a - 1) & ~(a - 1);
}

static int overlaps(uint32_t a, uint32_t a_end, uint32_t b, uint32_t b_end)
{
	return a < b_end && b < a_end;
}

static int same(const void *a, const char *b, size_t n)
{
	const char *p = a;

	while (n--)
		if (*p++ != *b++)
			return 0;
	return 1;
}

/*
 * A pointer to physical memory at a fixed address. The empty asm hides
 * the constant: gcc takes small ones for null-pointer arithmetic.
 */
static const void *phys(uint32_t addr)
{
	asm("" : "+r"(addr));
	return (const void *)addr;
}

/* Is [addr, addr + len) inside one RAM range of the memory map? */
static int is_ram(uint32_t addr, uint32_t len)
{
	for (uint32_t i = 0; i < start_info.memmap_entries; i++) {
		const struct hvm_memmap_table_entry *e = &memmap[i];

		if (e->type == 1 && e->addr <= addr &&
		    (uint64_t)addr + len <= e->addr + e->size)
			return 1;
	}
	return 0;
}

/*
 * The ACPI RSDP, where the BIOS leaves it: the first KiB of the EBDA or
 * the BIOS area 0xe0000-0xfffff, on a 16-byte boundary. Linux would scan
 * for it too, but naming it is what other PVH loaders do.
 */
static uint32_t find_rsdp_in(uint32_t start, uint32_t end)
{
	for (uint32_t p = start; p + 20 <= end; p += 16) {
		const uint8_t *b = phys(p);
		uint8_t sum = 0;

		if (!same(b, "RSD PTR ", 8))
			continue;
		for (int i = 0; i < 20; i++)
			sum += b[i];
		if (!sum)
			return p;
	}
	return 0;
}

static uint32_t find_rsdp(void)
{
	uint32_t ebda = *(const uint16_t *)phys(0x40e) << 4;
	uint32_t p = ebda ? find_rsdp_in(ebda, ebda + 1024) : 0;

	return p ? p : find_rsdp_in(0xe0000, 0x100000);
}

/* --- the kernel image --- */

#define MAX_LOADS	16

static struct elf64_phdr loads[MAX_LOADS];	/* PT_LOADs, by file offset */
static int nloads;
static uint32_t kernel_lo, kernel_hi;		/* where they go, together */

static const struct elf64_phdr *phdr(const struct elf64_ehdr *eh, int i)
{
	return (const void *)((const char *)eh + (uint32_t)eh->phoff + i * eh->phentsize);
}

/* The 32-bit entry named by a "Xen" note of type XEN_ELFNOTE_PHYS32_ENTRY. */
static uint32_t pvh_entry(const struct elf64_ehdr *eh)
{
	for (int i = 0; i < eh->phnum; i++) {
		const struct elf64_phdr *ph = phdr(eh, i);
		const char *p = (const char *)eh + (uint32_t)ph->offset;
		const char *end = p + (uint32_t)ph->filesz;

		if (ph->type != PT_NOTE)
			continue;
		while (p + sizeof(struct elf_note) <= end) {
			const struct elf_note *n = (const void *)p;
			const char *name = p + sizeof(*n);
			const char *desc = name + align_up(n->namesz, 4);

			if (n->type == XEN_ELFNOTE_PHYS32_ENTRY && n->namesz == 4 &&
			    same(name, "Xen", 4) && n->descsz >= 4)
				return *(const uint32_t *)desc;	/* low half if 64-bit */
			p = desc + align_up(n->descsz, 4);
		}
	}
	return 0;
}

/* Check vmlinux and note its PT_LOADs; returns the PVH entry. */
static uint32_t read_vmlinux(const struct mb_module *m)
{
	const struct elf64_ehdr *eh = (const void *)m->start;
	uint32_t entry;

	if (!same(eh->ident, "\177ELF\2\1", 6) || eh->machine != EM_X86_64 ||
	    eh->phentsize != sizeof(struct elf64_phdr))
		die("the first module is not an x86-64 ELF (vmlinux)");
	entry = pvh_entry(eh);
	if (!entry)
		die("vmlinux has no PVH entry note (CONFIG_PVH)");

	kernel_lo = ~0u;
	for (int i = 0; i < eh->phnum; i++) {
		const struct elf64_phdr *ph = phdr(eh, i);
		int j;

		if (ph->type != PT_LOAD)
			continue;
		if (ph->paddr + ph->memsz > 0xffffffffull || ph->filesz > ph->memsz ||
		    ph->offset + ph->filesz > m->end - m->start)
			die("bad PT_LOAD segment in vmlinux");
		if (nloads == MAX_LOADS)
			die("too many PT_LOAD segments in vmlinux");
		for (j = nloads++; j > 0 && loads[j - 1].offset > ph->offset; j--)
			loads[j] = loads[j - 1];
		loads[j] = *ph;
		if (ph->paddr < kernel_lo)
			kernel_lo = ph->paddr;
		if (ph->paddr + ph->memsz > kernel_hi)
			kernel_hi = ph->paddr + ph->memsz;
	}
	if (overlaps(kernel_lo, kernel_hi, (uint32_t)loader_start, (uint32_t)loader_end))
		die("vmlinux loads over pvhboot: link pvhboot elsewhere");
	if (!is_ram(kernel_lo, kernel_hi - kernel_lo))
		die("vmlinux loads outside RAM");
	return entry;
}

/*
 * Segments can go straight from the module to their addresses if each one
 * moves up (and they do not share file bytes): copied from the last one in
 * the file down, each then lands above every source still to be copied.
 * mboot.c32 puts the module right after us, below 16 MiB, so that is the
 * usual case for Linux, and it saves moving all of vmlinux first.
 */
static int segments_move_up(const struct mb_module *m)
{
	for (int i = 0; i < nloads; i++) {
		if (loads[i].paddr < m->start + loads[i].offset)
			return 0;
		if (i && loads[i - 1].offset + loads[i - 1].filesz > loads[i].offset)
			return 0;
	}
	return 1;
}

/* Move a module to free memory at *top, above everything else we know of. */
static void move_module(struct mb_module *m, uint32_t *top)
{
	uint32_t len = m->end - m->start;

	if (!is_ram(*top, len))
		die("no room to move a module out of the kernel's way");
	memcpy((void *)*top, (const void *)m->start, len);
	m->start = *top;
	m->end = *top + len;
	*top = align_up(*top + len, 4096);
}

/*
 * memmove for a destination above the source: from the back, in pieces no
 * longer than the distance, so that each piece is a plain forward copy.
 */
static void copy_up(char *dst, const char *src, uint32_t n)
{
	uint32_t step = dst - src;

	while (n) {
		uint32_t k = n < step ? n : step;

		n -= k;
		memcpy(dst + n, src + n, k);
	}
}

static void load_vmlinux(const struct mb_module *m)
{
	for (int i = nloads - 1; i >= 0; i--) {
		const struct elf64_phdr *ph = &loads[i];
		char *dst = (char *)(uint32_t)ph->paddr;
		const char *src = (const char *)(m->start + (uint32_t)ph->offset);

		if (dst > src)
			copy_up(dst, src, ph->filesz);
		else if (dst < src)	/* then the module is clear of the kernel */
			memcpy(dst, src, ph->filesz);
		memset(dst + (uint32_t)ph->filesz, 0, ph->memsz - ph->filesz);
	}
}

void pvhboot_main(uint32_t magic, const struct mb_info *mbi)
{
	const uint32_t need = MB_INFO_CMDLINE | MB_INFO_MODS | MB_INFO_MMAP;
	const struct mb_module *mods;
	struct mb_module kernel, initrd;
	uint32_t top, entry;
	const char *s;
	uint32_t n = 0;

	con_init();
	if (magic != MB_BOOT_MAGIC)
		die("not started by a multiboot loader");
	if ((mbi->flags & need) != need || mbi->mods_count != 2)
		die("want a command line, a memory map and two modules: vmlinux, initrd");

	/*
	 * Take what we need out of mboot's structures first: they are in
	 * memory that the kernel or the moves below may overwrite.
	 */
	mods = (const struct mb_module *)mbi->mods_addr;
	kernel = mods[0];
	initrd = mods[1];

	/* The multiboot command line starts with our own file name. */
	s = (const char *)mbi->cmdline;
	while (*s && *s != ' ')
		s++;
	while (*s == ' ')
		s++;
	while (*s && n < MAX_CMDLINE - 1)
		cmdline[n++] = *s++;
	if (*s)
		die("command line too long");

	for (uint32_t off = 0; off < mbi->mmap_length;) {
		const struct mb_mmap_entry *e = (const void *)(mbi->mmap_addr + off);

		if (start_info.memmap_entries == MAX_MEMMAP)
			die("memory map too long");
		memmap[start_info.memmap_entries++] = (struct hvm_memmap_table_entry){
			.addr = e->addr, .size = e->len, .type = e->type,
		};
		off += e->size + 4;
	}

	entry = read_vmlinux(&kernel);

	/*
	 * mboot.c32 puts the modules right after us, which is where the
	 * kernel goes. The initrd must end up elsewhere, and vmlinux too
	 * unless its segments can be taken out of it in place.
	 */
	top = align_up(kernel_hi, 4096);
	if (kernel.end > top)
		top = align_up(kernel.end, 4096);
	if (initrd.end > top)
		top = align_up(initrd.end, 4096);
	if (overlaps(initrd.start, initrd.end, kernel_lo, kernel_hi))
		move_module(&initrd, &top);
	if (overlaps(kernel.start, kernel.end, kernel_lo, kernel_hi) &&
	    !segments_move_up(&kernel))
		move_module(&kernel, &top);
	load_vmlinux(&kernel);

	initrd_mod.paddr = initrd.start;
	initrd_mod.size = initrd.end - initrd.start;
	start_info.magic = HVM_START_MAGIC;
	start_info.version = 1;
	start_info.nr_modules = 1;
	start_info.modlist_paddr = (uint32_t)&initrd_mod;
	start_info.cmdline_paddr = (uint32_t)cmdline;
	start_info.rsdp_paddr = find_rsdp();
	start_info.memmap_paddr = (uint32_t)memmap;

	con_puts("pvhboot: vmlinux at ");
	con_hex(kernel_lo);
	con_puts(", entry ");
	con_hex(entry);
	con_puts(", initrd at ");
	con_hex(initrd.start);
	con_puts(", RSDP at ");
	con_hex(start_info.rsdp_paddr);
	con_puts("\r\n");
	enter_pvh(entry, &start_info);
}
