// SPDX-License-Identifier: GPL-2.0
/*
 * A hostile guest cannot change the host's state.  The VMM thread, pinned
 * to one CPU, runs the vCPU with its own x87/SSE (and AVX) registers loaded
 * with patterns, new for every KVMINI_RUN, and after every exit finds them
 * intact, and finds the CPU's XCR0 (XGETBV), EFER, STAR, LSTAR, CSTAR,
 * SFMASK, FS/GS/KERNEL_GS bases, TSC_AUX, PAT, SPEC_CTRL and SYSENTER MSRs
 * (read through /dev/cpu/N/msr; those that read -EIO are left out), its
 * own FS base and a thread-local variable exactly as they were, against
 * guests that:
 *  - set CR4.OSXSAVE, exit, clear it, exit (XCR0 switched for a guest
 *    that stops using XSAVE between two exits); set it without XSAVE in
 *    the CPUID (#GP, as KVM);
 *  - XSETBV odd values (all #GP) and valid ones, exiting after each;
 *  - WRMSR odd values to all of those MSRs and exit;
 *  - load their own x87, SSE (and AVX) registers, control words and MXCSR
 *    and exit, to the kernel (CPUID) and to the VMM, many times.
 * When XCR0 is found changed, a guest that keeps OSXSAVE set from entry to
 * exit is run at once, so that the hypervisor puts it back before the
 * rest of the suite runs on a broken FPU.
 */
#include <asm/prctl.h>
#include <cpuid.h>
#include <fcntl.h>
#include <sched.h>
#include <sys/syscall.h>

#include "kvmini_util.h"
#include "kvmini_vm.h"
#include "kselftest_harness.h"

#define X86_CR4_OSXSAVE	(1ULL << 18)

/* ------------------------------------------------------------------ */
/* the VMM's registers around KVMINI_RUN */

/* An FXSAVE image (x87, MXCSR, XMM0-15) and the YMM upper halves. */
struct fpu_img {
	uint8_t fx[512];
	uint8_t ymmh[16][16];
} __attribute__((aligned(64)));

/*
 * vmm_run(in, out, avx, fd, cmd): FXRSTOR @in (and the YMM upper halves),
 * KVMINI_RUN by syscall, FXSAVE into @out (and the upper halves, if XCR0
 * still allows AVX); the ioctl's result.
 */
extern long vmm_run(const struct fpu_img *in, struct fpu_img *out, long avx, long fd,
		    unsigned long cmd);
asm(".pushsection .text\n"
    "vmm_run:\n"
    "	fxrstor (%rdi)\n"
    "	test %rdx, %rdx\n"
    "	jz 1f\n"
    "	.irp n,0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15\n"
    "	vinsertf128 $1, 512+16*\\n(%rdi), %ymm\\n, %ymm\\n\n"
    "	.endr\n"
    "1:	push %rsi\n"
    "	push %rdx\n"
    "	mov %rcx, %rdi\n"
    "	mov %r8, %rsi\n"
    "	xor %edx, %edx\n"
    "	mov $16, %eax\n"		/* ioctl */
    "	syscall\n"
    "	mov %rax, %r9\n"
    "	pop %rdx\n"
    "	pop %rsi\n"
    "	fxsave (%rsi)\n"
    "	test %rdx, %rdx\n"
    "	jz 2f\n"
    "	xor %ecx, %ecx\n"		/* AVX still on? A guest's XCR0 may be left */
    "	xgetbv\n"
    "	test $4, %al\n"
    "	jz 2f\n"
    "	.irp n,0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15\n"
    "	vextractf128 $1, %ymm\\n, 512+16*\\n(%rsi)\n"
    "	.endr\n"
    "2:	mov %r9, %rax\n"
    "	ret\n"
    ".popsection\n");

/* Patterns for run @seed: FCW, FSW (TOP 3), all tags valid, MXCSR, registers. */
static void fpu_fill(struct fpu_img *f, unsigned int seed)
{
	unsigned int i;

	memset(f, 0, sizeof(*f));
	*(uint16_t *)&f->fx[0] = 0x027f;		/* double precision, all masked */
	*(uint16_t *)&f->fx[2] = 0x1800;		/* TOP = 3 */
	f->fx[4] = 0xff;				/* abridged tags: all valid */
	*(uint32_t *)&f->fx[24] = 0xbf80;		/* FZ, round up, all masked */
	for (i = 32; i < 416; i++)
		f->fx[i] = (uint8_t)(seed * 13 + i * 7);
	for (i = 0; i < 16 * 16; i++)
		f->ymmh[i / 16][i % 16] = (uint8_t)(seed * 5 + i * 3 + 1);
}

/* The part of the image that must come back: x87 and SSE state but FOP/FIP/FDP. */
static int fpu_diff(const struct fpu_img *a, const struct fpu_img *b, bool avx)
{
	int r;

	if (memcmp(a->fx, b->fx, 5))
		return 0;				/* FCW, FSW, FTW */
	if (memcmp(a->fx + 24, b->fx + 24, 4))
		return 24;				/* MXCSR */
	for (r = 0; r < 8; r++)				/* ST0-7: 10 of 16 bytes */
		if (memcmp(a->fx + 32 + 16 * r, b->fx + 32 + 16 * r, 10))
			return 32 + 16 * r;
	if (memcmp(a->fx + 160, b->fx + 160, 256))
		return 160;				/* XMM0-15 */
	if (avx && memcmp(a->ymmh, b->ymmh, sizeof(a->ymmh)))
		return 512;
	return -1;
}

/* ------------------------------------------------------------------ */
/* the CPU's state */

static const struct { uint32_t msr; const char *name; } msrs[] = {
	{ 0xc0000080, "EFER" }, { 0xc0000081, "STAR" }, { 0xc0000082, "LSTAR" },
	{ 0xc0000083, "CSTAR" }, { 0xc0000084, "SFMASK" }, { 0xc0000100, "FS_BASE" },
	{ 0xc0000101, "GS_BASE" }, { 0xc0000102, "KERNEL_GS_BASE" },
	{ 0xc0000103, "TSC_AUX" }, { 0x277, "PAT" }, { 0x48, "SPEC_CTRL" },
	{ 0x174, "SYSENTER_CS" }, { 0x175, "SYSENTER_ESP" }, { 0x176, "SYSENTER_EIP" },
};
#define NR_MSRS	(sizeof(msrs) / sizeof(msrs[0]))

struct host_state {
	uint64_t xcr0;			/* 0: no XGETBV here */
	uint64_t msr[NR_MSRS];
	bool have[NR_MSRS];
	uint64_t fs_base, tls;
};

static __thread uint64_t tls_var = 0x7153a11ce5ULL;
static int msr_fd = -1;

static uint64_t xgetbv0(void)
{
	unsigned int a, b, c, d;

	__cpuid(1, a, b, c, d);
	if (!(c & (1U << 27)))		/* OSXSAVE */
		return 0;
	asm volatile("xgetbv" : "=a"(a), "=d"(d) : "c"(0));
	return a | (uint64_t)d << 32;
}

static void snapshot(struct host_state *s)
{
	unsigned int i;

	memset(s, 0, sizeof(*s));
	s->xcr0 = xgetbv0();
	for (i = 0; i < NR_MSRS && msr_fd >= 0; i++)
		s->have[i] = pread(msr_fd, &s->msr[i], 8, msrs[i].msr) == 8;
	syscall(SYS_arch_prctl, ARCH_GET_FS, &s->fs_base);
	s->tls = *(volatile uint64_t *)&tls_var;
}

/*
 * A guest's XCR0 left on this CPU (without AVX) makes every AVX instruction
 * #UD, those of libc's string functions too: before anything else, have it
 * put back by running a vCPU made ready beforehand, with XSAVE in its
 * CPUID and CR4.OSXSAVE set from entry to exit, by a raw ioctl.
 */
static int fixer_fd = -1;
static uint64_t xcr0_found;

static bool xcr0_same(const struct host_state *before)
{
	xcr0_found = xgetbv0();
	if (xcr0_found == before->xcr0)
		return true;
	if (fixer_fd >= 0)
		ioctl(fixer_fd, KVMINI_RUN, 0);
	return false;
}

/* Log what differs from @before (XCR0: as xcr0_same() found it); true if nothing. */
static bool same(struct __test_metadata *_metadata, const struct host_state *before,
		 const char *when)
{
	struct host_state now;
	bool ok = true;
	unsigned int i;

	snapshot(&now);
	if (xcr0_found != before->xcr0) {
		TH_LOG("%s: the host's XCR0 was %#lx, not %#lx (now %#lx)", when,
		       (unsigned long)xcr0_found, (unsigned long)before->xcr0,
		       (unsigned long)now.xcr0);
		ok = false;
	}
	for (i = 0; i < NR_MSRS; i++)
		if (before->have[i] && (!now.have[i] || now.msr[i] != before->msr[i])) {
			TH_LOG("%s: the host's %s is %#lx, was %#lx", when, msrs[i].name,
			       (unsigned long)now.msr[i], (unsigned long)before->msr[i]);
			ok = false;
		}
	if (now.fs_base != before->fs_base || now.tls != before->tls) {
		TH_LOG("%s: the VMM's FS base %#lx (was %#lx), TLS variable %#lx", when,
		       (unsigned long)now.fs_base, (unsigned long)before->fs_base,
		       (unsigned long)now.tls);
		ok = false;
	}
	return ok;
}

static bool host_has_avx(void)
{
	unsigned int a, b, c, d;

	__cpuid(1, a, b, c, d);
	return (c & (1U << 28)) && (xgetbv0() & 6) == 6;
}

/* ------------------------------------------------------------------ */
/* the guests */

static uint64_t g_vec[16];

static void guest_osxsave_toggle(void)
{
	uint64_t cr4;

	asm volatile("mov %%cr4, %0" : "=r"(cr4));
	asm volatile("mov %0, %%cr4" : : "r"(cr4 | X86_CR4_OSXSAVE));
	GUEST_SYNC(1);				/* exit with OSXSAVE set */
	asm volatile("mov %0, %%cr4" : : "r"(cr4 & ~X86_CR4_OSXSAVE));
	GUEST_SYNC(2);				/* and with it clear */
	asm volatile("mov %0, %%cr4" : : "r"(cr4 | X86_CR4_OSXSAVE));
	GUEST_SYNC(3);
}

/* CR4.OSXSAVE without XSAVE in the CPUID: #GP; if taken, exit with it set and clear. */
static void guest_osxsave_no_xsave(void)
{
	uint64_t cr4, after;

	asm volatile("mov %%cr4, %0" : "=r"(cr4));
	guest_exc_arm(3);
	asm volatile("mov %0, %%cr4" : : "a"(cr4 | X86_CR4_OSXSAVE) : "memory");
	guest_exc.resume = 0;
	asm volatile("mov %%cr4, %0" : "=r"(after));
	g_vec[0] = guest_exc.vector;
	g_vec[1] = after;
	g_vec[2] = cr4;
	GUEST_SYNC(1);
	asm volatile("mov %0, %%cr4" : : "r"(cr4) : "memory");
	GUEST_SYNC(2);
}

/* XSETBV: ECX = xcr, EDX:EAX = value; 3 bytes. */
static uint64_t xsetbv_safe(uint32_t xcr, uint64_t v)
{
	guest_exc_arm(3);
	asm volatile("xsetbv" : : "c"(xcr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32))
		     : "memory");
	guest_exc.resume = 0;
	return guest_exc.vector;
}

static const struct { uint32_t xcr; uint64_t val; } odd_xcrs[] = {
	{ 0, 0 }, { 0, 2 }, { 0, 4 }, { 0, 5 }, { 0, 1ULL << 63 | 3 }, { 0, 0xffffffff },
	{ 1, 1 }, { 0xffffffff, 1 },
};
#define NR_ODD	(sizeof(odd_xcrs) / sizeof(odd_xcrs[0]))

static void guest_xsetbv(void)
{
	unsigned int i;

	for (i = 0; i < NR_ODD; i++) {
		g_vec[i] = xsetbv_safe(odd_xcrs[i].xcr, odd_xcrs[i].val);
		GUEST_SYNC(i);
	}
	g_vec[NR_ODD] = xsetbv_safe(0, 3);
	GUEST_SYNC(NR_ODD);
	g_vec[NR_ODD + 1] = xsetbv_safe(0, 1);
	GUEST_SYNC(NR_ODD + 1);
}

static const struct { uint32_t msr; uint64_t val; } guest_msrs[] = {
	{ 0xc0000080, 0xd01 },				/* EFER: SCE, NX (if it may) */
	{ 0xc0000081, 0x0023001000000000ULL },		/* STAR */
	{ 0xc0000082, 0xffffffff81dead00ULL },		/* LSTAR */
	{ 0xc0000083, 0xffffffff81beef00ULL },		/* CSTAR */
	{ 0xc0000084, 0x47700 },			/* SFMASK */
	{ 0xc0000100, 0x00007f1234567000ULL },		/* FS_BASE */
	{ 0xc0000101, 0xffff888812345000ULL },		/* GS_BASE */
	{ 0xc0000102, 0x0000123456789000ULL },		/* KERNEL_GS_BASE */
	{ 0xc0000103, 0x5a5a },				/* TSC_AUX */
	{ 0x277, 0x0606060606060606ULL },		/* PAT: all WB */
	{ 0x48, 1 },					/* SPEC_CTRL: IBRS */
	{ 0x174, 0x33 },				/* SYSENTER_CS */
	{ 0x175, 0xffffc90000abc000ULL },		/* SYSENTER_ESP */
	{ 0x176, 0xffffffff81abc000ULL },		/* SYSENTER_EIP */
};
#define NR_GMSRS	(sizeof(guest_msrs) / sizeof(guest_msrs[0]))

static void guest_wrmsrs(void)
{
	unsigned int i, j;
	uint32_t r[4];

	for (i = 0; i < NR_GMSRS; i++) {
		g_vec[i] = wrmsr_safe(guest_msrs[i].msr, guest_msrs[i].val);
		if (g_vec[i] != GUEST_NO_EXC && guest_msrs[i].msr == 0xc0000080)
			g_vec[i] = wrmsr_safe(0xc0000080, 0x501);	/* without NX */
	}
	GUEST_SYNC(0);
	for (j = 0; j < 50; j++)			/* exits the kernel handles */
		cpuid(0, 0, r);
	GUEST_SYNC(1);
}

static uint8_t g_pat[16 * 32] __attribute__((aligned(32)));

/* Each exit: 16 CPUIDs (in the kernel), then OUT (to the VMM). */
void guest_fpu_regs(uint64_t avx);
asm(".pushsection .text\n"
    "guest_fpu_regs:\n"
    "	push %rbx\n"
    "	mov %rdi, %r9\n"
    "	finit\n"
    "	mov $0x7f, %eax\n"
    "	push %rax\n"
    "	fldcw (%rsp)\n"				/* single precision */
    "	movl $0x7fc0, (%rsp)\n"
    "	ldmxcsr (%rsp)\n"			/* truncate, DAZ, masked */
    "	pop %rax\n"
    "	.rept 8\n"
    "	fldpi\n"
    "	.endr\n"
    "	lea g_pat(%rip), %rsi\n"
    "	test %r9, %r9\n"
    "	jz 1f\n"
    "	.irp n,0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15\n"
    "	vmovdqu 32*\\n(%rsi), %ymm\\n\n"
    "	.endr\n"
    "	jmp 2f\n"
    "1:	.irp n,0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15\n"
    "	movdqu 32*\\n(%rsi), %xmm\\n\n"
    "	.endr\n"
    "2:	mov $40, %r8d\n"
    "3:	mov $16, %r10d\n"
    "4:	xor %eax, %eax\n"
    "	xor %ecx, %ecx\n"
    "	cpuid\n"
    "	dec %r10d\n"
    "	jnz 4b\n"
    "	out %al, $0x12\n"
    "	dec %r8d\n"
    "	jnz 3b\n"
    "	finit\n"
    "	pop %rbx\n"
    "	ret\n"
    ".popsection\n");

static void guest_fpu(uint64_t avx)
{
	unsigned int i;

	for (i = 0; i < sizeof(g_pat); i++)
		((volatile uint8_t *)g_pat)[i] = 0xc3 ^ i;
	guest_fpu_regs(avx);
}

static void set_osxsave(struct kvmini_vcpu *vcpu)
{
	struct kvmini_sregs s;

	vcpu_ioctl(vcpu, KVMINI_GET_SREGS, &s);
	s.cr4 |= X86_CR4_OSXSAVE;
	vcpu_ioctl(vcpu, KVMINI_SET_SREGS, &s);
}

static struct kvmini_vm *fixer_vm;

static void guest_fixer(void)
{
	for (;;)
		GUEST_SYNC(0);
}

/* ------------------------------------------------------------------ */

/*
 * Pin to this CPU, open its MSRs, snapshot: the test's before.  Real-time
 * priority too, where allowed: if a guest leaves its XCR0 behind, nothing
 * else gets this CPU (and saves its FPU state under that XCR0, as the
 * shell that runs the tests did, which then died of a bad signal frame)
 * before xcr0_same() has found it and had it put back.
 */
static void setup(struct __test_metadata *_metadata, struct host_state *before)
{
	struct sched_param sp = { .sched_priority = 50 };
	char path[64], out[256];
	unsigned int i;
	int n;
	cpu_set_t set;
	int cpu = sched_getcpu();

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	ASSERT_EQ(0, sched_setaffinity(0, sizeof(set), &set));
	if (sched_setscheduler(0, SCHED_FIFO, &sp))
		TH_LOG("SCHED_FIFO: %s", strerror(errno));
	if (xgetbv0()) {
		struct kvmini_vcpu *vcpu;

		fixer_vm = vm_create_guest(guest_fixer, &vcpu);
		vcpu_set_cpuid_supported(vcpu);
		set_osxsave(vcpu);
		fixer_fd = vcpu->fd;
	}
	snprintf(path, sizeof(path), "/dev/cpu/%d/msr", cpu);
	msr_fd = open(path, O_RDONLY);
	if (msr_fd < 0)
		TH_LOG("%s: %s: MSRs not checked", path, strerror(errno));
	snapshot(before);
	for (i = 0, n = 0; i < NR_MSRS && msr_fd >= 0; i++)
		if (!before->have[i])
			n += snprintf(out + n, sizeof(out) - n, " %s", msrs[i].name);
	if (n)
		TH_LOG("not readable here, not checked:%s", out);
}

/*
 * Run the vCPU to UCALL_DONE through vmm_run(), the VMM's registers new
 * for every run, checking them and the host's state after every exit.
 */
static void run_checked(struct __test_metadata *_metadata, struct kvmini_vcpu *vcpu,
			const struct host_state *before, bool avx)
{
	static struct fpu_img in, out;
	unsigned int n, failed = 0;
	struct ucall uc;
	char when[64];
	long r;
	int d;

	for (n = 0; n < 1000; n++) {
		fpu_fill(&in, n);
		memset(&out, 0, sizeof(out));
		r = vmm_run(&in, &out, avx, vcpu->fd, KVMINI_RUN);
		xcr0_same(before);
		ASSERT_EQ(0, r) TH_LOG("run %u: %s", n, strerror(-r));
		snprintf(when, sizeof(when), "exit %u (%s)", n,
			 exit_reason_str(vcpu->run->exit_reason));
		d = fpu_diff(&in, &out, avx);
		if (d >= 0 && !failed++)
			TH_LOG("%s: the VMM's FPU registers changed (first at byte %d)", when, d);
		if (!same(_metadata, before, when))
			failed++;
		if (vcpu->run->exit_reason == KVMINI_EXIT_IO && vcpu->run->io.port == 0x12)
			continue;
		switch (vcpu_get_ucall(vcpu, &uc)) {
		case UCALL_SYNC:
			continue;
		case UCALL_DONE:
			break;
		case UCALL_EXCEPTION:
			EXPECT_TRUE(0) TH_LOG("%s: guest exception %lu at %#lx", when,
					      (unsigned long)uc.args[0], (unsigned long)uc.args[2]);
			break;
		default:
			EXPECT_TRUE(0) TH_LOG("%s: not a ucall", when);
		}
		break;
	}
	EXPECT_EQ(0U, failed);
}

static bool supported_has(struct kvmini_vm *vm, uint32_t fn, int reg, int bit)
{
	struct kvmini_cpuid2 *c = kvmini_supported_cpuid(vm);
	bool has = false;
	uint32_t i, r[4];

	for (i = 0; i < c->nent; i++)
		if (c->entries[i].function == fn && c->entries[i].index == 0) {
			r[0] = c->entries[i].eax;
			r[1] = c->entries[i].ebx;
			r[2] = c->entries[i].ecx;
			r[3] = c->entries[i].edx;
			has = r[reg] & (1U << bit);
		}
	free(c);
	return has;
}

FIXTURE(state) {
	struct host_state before;
	struct kvmini_vm *vm;
	struct kvmini_vcpu *vcpu;
	bool avx;
};

FIXTURE_SETUP(state) {}

FIXTURE_TEARDOWN(state)
{
	vm_free(self->vm);
	vm_free(fixer_vm);
	if (msr_fd >= 0)
		close(msr_fd);
}

/* A VM with the supported CPUID running @fn; skip unless it has XSAVE if @xsave. */
static bool start(struct __test_metadata *_metadata, FIXTURE_DATA(state) *self, void *fn,
		  bool xsave)
{
	self->vm = vm_create_guest(fn, &self->vcpu);
	if (!self->vm)
		return false;
	vcpu_set_cpuid_supported(self->vcpu);
	if (xsave && (!supported_has(self->vm, 1, 2, 26) || !xgetbv0()))
		return false;
	self->avx = host_has_avx();
	setup(_metadata, &self->before);
	return true;
}

TEST_F(state, osxsave_toggle)
{
	if (!start(_metadata, self, guest_osxsave_toggle, true))
		SKIP(return, "no XSAVE here (or no %s)", kvmini_dev_path());
	run_checked(_metadata, self->vcpu, &self->before, self->avx);
}

/* As KVM (kvm_set_cr4(): OSXSAVE is reserved without XSAVE in the CPUID). */
TEST_F(state, osxsave_without_xsave)
{
	struct kvmini_cpuid2 *c;
	uint32_t i;

	if (!start(_metadata, self, guest_osxsave_no_xsave, true))
		SKIP(return, "no XSAVE here (or no %s)", kvmini_dev_path());
	c = kvmini_supported_cpuid(self->vm);
	for (i = 0; i < c->nent; i++)
		if (c->entries[i].function == 1)
			c->entries[i].ecx &= ~((1U << 26) | (1U << 27));	/* XSAVE, OSXSAVE */
	vcpu_ioctl(self->vcpu, KVMINI_SET_CPUID2, c);
	free(c);
	run_checked(_metadata, self->vcpu, &self->before, self->avx);
	EXPECT_EQ(13ULL, GUEST_VAR(self->vm, g_vec)[0]) TH_LOG("MOV to CR4.OSXSAVE: not #GP");
	EXPECT_EQ(GUEST_VAR(self->vm, g_vec)[2], GUEST_VAR(self->vm, g_vec)[1])
		TH_LOG("CR4 changed");
}

TEST_F(state, xsetbv)
{
	unsigned int i;

	if (!start(_metadata, self, guest_xsetbv, true))
		SKIP(return, "no XSAVE here (or no %s)", kvmini_dev_path());
	set_osxsave(self->vcpu);
	run_checked(_metadata, self->vcpu, &self->before, self->avx);
	for (i = 0; i < NR_ODD; i++)
		EXPECT_EQ(13ULL, GUEST_VAR(self->vm, g_vec)[i])
			TH_LOG("XSETBV XCR%u, %#lx: not #GP", odd_xcrs[i].xcr,
			       (unsigned long)odd_xcrs[i].val);
	EXPECT_EQ(GUEST_NO_EXC, GUEST_VAR(self->vm, g_vec)[NR_ODD]) TH_LOG("XSETBV 3");
	EXPECT_EQ(GUEST_NO_EXC, GUEST_VAR(self->vm, g_vec)[NR_ODD + 1]) TH_LOG("XSETBV 1");
}

TEST_F(state, wrmsr)
{
	unsigned int i;

	if (!start(_metadata, self, guest_wrmsrs, false))
		SKIP(return, "%s: %s", kvmini_dev_path(), strerror(errno));
	run_checked(_metadata, self->vcpu, &self->before, self->avx);
	for (i = 0; i < NR_GMSRS; i++)
		TH_LOG("guest WRMSR %#x: %s", guest_msrs[i].msr,
		       GUEST_VAR(self->vm, g_vec)[i] == GUEST_NO_EXC ? "taken" : "#GP");
}

TEST_F(state, fpu)
{
	if (!start(_metadata, self, guest_fpu, false))
		SKIP(return, "%s: %s", kvmini_dev_path(), strerror(errno));
	vcpu_set_args(self->vcpu, 1, 0ULL);
	run_checked(_metadata, self->vcpu, &self->before, self->avx);
}

TEST_F(state, avx)
{
	struct kvmini_xcrs x = { .nr_xcrs = 1, .xcrs[0] = { .xcr = 0, .value = 7 } };

	if (!start(_metadata, self, guest_fpu, true))
		SKIP(return, "no XSAVE here (or no %s)", kvmini_dev_path());
	if (!self->avx || !supported_has(self->vm, 1, 2, 28))
		SKIP(return, "no AVX here");
	set_osxsave(self->vcpu);
	vcpu_ioctl(self->vcpu, KVMINI_SET_XCRS, &x);
	vcpu_set_args(self->vcpu, 1, 1ULL);
	run_checked(_metadata, self->vcpu, &self->before, self->avx);
}

TEST_HARNESS_MAIN
