// SPDX-License-Identifier: GPL-2.0
/*
 * A hostile guest sweeps the MSR ranges 0-0x1fff, 0xc0000000-0xc0001fff
 * and 0xc0010000-0xc0011fff: RDMSR each, then WRMSR it with the value read
 * (0 where the read faulted), under an IDT that counts #GP and resumes.
 * The vCPU survives all 49152 accesses and every fault is a #GP(0); the
 * counts and the MSRs the guest could read are logged (to compare with
 * KVM's run); then the rules KVM 6.1 applies to a guest with the supported
 * CPUID and no in-kernel irqchip hold for the MSRs below: machine-check
 * MSRs as KVM's default MCG_CAP (32 banks, no MCG_CTL_P, no CMCI: MCG_CTL
 * and MCi_CTL2 #GP, P5_MC_ADDR/TYPE read 0), x2APIC MSRs #GP without an
 * in-kernel APIC, the last MSR of each range #GP, EFER and PAT readable
 * with their values and writable, and values KVM refuses #GP.
 */
#include <string.h>
#include <sys/mman.h>

#include "kvmini_util.h"
#include "kvmini_vm.h"
#include "kselftest_harness.h"

#define RANGE_LEN	0x2000
#define NR_RANGES	3
static const uint32_t range_base[NR_RANGES] = { 0, 0xc0000000, 0xc0010000 };

/* Per MSR: the read's vector and value, the write's vector. */
struct msr_res {
	uint8_t rd_vec, wr_vec;		/* 0xff: no exception */
	uint64_t err;			/* error codes of both, or'ed */
	uint64_t val;
};
static struct msr_res g_res[NR_RANGES][RANGE_LEN];

/* Writes of values KVM refuses, after the sweep. */
static const struct { uint32_t msr; uint64_t val; const char *what; } bad_writes[] = {
	{ 0x17b, ~0ULL, "MCG_CTL all ones (no MCG_CTL_P)" },
	{ 0x400, 0x5, "MC0_CTL neither 0 nor all ones" },
	{ 0x401, 0x1, "MC0_STATUS not 0 (no McStatusWrEn)" },
	{ 0x280, 0x1, "MC0_CTL2 (no CMCI)" },
	{ 0xc0000080, 0x502, "EFER bit 1 (reserved)" },
	{ 0x277, 0x0007040600070402ULL, "PAT type 2 (reserved)" },
	{ 0x179, 0x20, "MCG_CAP (read-only)" },
};
#define NR_BAD	(sizeof(bad_writes) / sizeof(bad_writes[0]))
static uint64_t g_bad_vec[NR_BAD];

static void guest_msrs(void)
{
	uint64_t v, vec;
	uint32_t r, i;

	for (r = 0; r < NR_RANGES; r++)
		for (i = 0; i < RANGE_LEN; i++) {
			struct msr_res *res = &g_res[r][i];

			v = 0;
			vec = rdmsr_safe(range_base[r] + i, &v);
			res->rd_vec = vec;
			res->err = vec == GUEST_NO_EXC ? 0 : guest_exc.error_code;
			res->val = vec == GUEST_NO_EXC ? v : 0;
			vec = wrmsr_safe(range_base[r] + i, res->val);
			res->wr_vec = vec;
			res->err |= vec == GUEST_NO_EXC ? 0 : guest_exc.error_code;
		}
	for (i = 0; i < NR_BAD; i++)
		g_bad_vec[i] = wrmsr_safe(bad_writes[i].msr, bad_writes[i].val);
}

/* A rule: may the guest read @msr (and is it @val), may it write back what it read. */
#define ANY	(~0ULL)
static const struct { uint32_t msr; bool rd; uint64_t val; bool wr; const char *what; } rules[] = {
	{ 0x0, true, 0, false, "P5_MC_ADDR" },
	{ 0x1, true, 0, false, "P5_MC_TYPE" },
	{ 0x10, true, ANY, true, "TSC" },
	{ 0x179, true, 0x20, false, "MCG_CAP: 32 banks, no MCG_CTL_P, no CMCI" },
	{ 0x17a, true, 0, true, "MCG_STATUS" },
	{ 0x17b, false, 0, false, "MCG_CTL (no MCG_CTL_P)" },
	{ 0x277, true, 0x0007040600070406ULL, true, "PAT" },
	{ 0x280, false, 0, false, "MC0_CTL2 (no CMCI)" },
	{ 0x29f, false, 0, false, "MC31_CTL2 (no CMCI)" },
	{ 0x400, true, ~0ULL, true, "MC0_CTL" },
	{ 0x401, true, 0, true, "MC0_STATUS" },
	{ 0x47c, true, ~0ULL, true, "MC31_CTL" },
	{ 0x47f, true, 0, true, "MC31_MISC" },
	{ 0x800, false, 0, false, "x2APIC (no in-kernel APIC)" },
	{ 0x802, false, 0, false, "x2APIC ID" },
	{ 0x808, false, 0, false, "x2APIC TPR" },
	{ 0x830, false, 0, false, "x2APIC ICR" },
	{ 0x8ff, false, 0, false, "x2APIC" },
	{ 0x1fff, false, 0, false, "none" },
	{ 0xc0000080, true, EFER_LME | EFER_LMA, true, "EFER" },
	{ 0xc0001fff, false, 0, false, "none" },
	{ 0xc0011fff, false, 0, false, "none" },
};

static struct msr_res *res_of(struct msr_res (*res)[RANGE_LEN], uint32_t msr)
{
	int r;

	for (r = 0; r < NR_RANGES; r++)
		if (msr - range_base[r] < RANGE_LEN)
			return &res[r][msr - range_base[r]];
	return NULL;
}

/* "a-b c ..." of the MSRs of range @r the guest could read (or write). */
static void log_list(struct __test_metadata *_metadata, struct msr_res *res, int r, bool wr)
{
	char buf[1024];
	int n = 0, i, j;

	buf[0] = 0;
	for (i = 0; i < RANGE_LEN; i = j) {
		for (j = i; j < RANGE_LEN && (wr ? res[j].wr_vec : res[j].rd_vec) == 0xff; j++)
			;
		if (j > i && n < (int)sizeof(buf) - 40)
			n += snprintf(buf + n, sizeof(buf) - n, j - 1 > i ? " %x-%x" : " %x",
				      range_base[r] + i, range_base[r] + j - 1);
		if (j == i)
			j++;
	}
	TH_LOG("%s %#x:%s", wr ? "writable" : "readable", range_base[r], buf);
}

TEST(msr_ranges)
{
	struct kvmini_vcpu *vcpu;
	struct kvmini_vm *vm = vm_create_guest(guest_msrs, &vcpu);
	struct msr_res (*res)[RANGE_LEN];
	unsigned int r, i, nrd, nwr, other = 0;
	struct ucall uc;

	REQUIRE_VM(vm);
	vcpu_set_cpuid_supported(vcpu);
	ASSERT_EQ(UCALL_DONE, vcpu_run_ucall(vcpu, &uc));
	res = GUEST_VAR(vm, g_res);

	for (r = 0; r < NR_RANGES; r++) {
		for (i = nrd = nwr = 0; i < RANGE_LEN; i++) {
			struct msr_res *m = &res[r][i];

			nrd += m->rd_vec == 0xff;
			nwr += m->wr_vec == 0xff;
			if ((m->rd_vec != 0xff && m->rd_vec != 13) ||
			    (m->wr_vec != 0xff && m->wr_vec != 13) || m->err) {
				if (!other++)
					TH_LOG("MSR %#x: read vector %d, write vector %d, error code %#lx",
					       range_base[r] + i, m->rd_vec, m->wr_vec,
					       (unsigned long)m->err);
			}
		}
		TH_LOG("%#x-%#x: %u readable, %u writable, %u #GP", range_base[r],
		       range_base[r] + RANGE_LEN - 1, nrd, nwr, 2 * RANGE_LEN - nrd - nwr);
		log_list(_metadata, res[r], r, false);
		log_list(_metadata, res[r], r, true);
	}
	EXPECT_EQ(0U, other) TH_LOG("faults other than #GP(0)");

	for (i = 0; i < sizeof(rules) / sizeof(rules[0]); i++) {
		struct msr_res *m = res_of(res, rules[i].msr);

		EXPECT_EQ(rules[i].rd, m->rd_vec == 0xff)
			TH_LOG("MSR %#x %s: read %s", rules[i].msr, rules[i].what,
			       rules[i].rd ? "#GP" : "allowed");
		if (rules[i].rd && m->rd_vec == 0xff && rules[i].val != ANY)
			EXPECT_EQ(rules[i].val, m->val)
				TH_LOG("MSR %#x %s: value", rules[i].msr, rules[i].what);
		EXPECT_EQ(rules[i].wr, m->wr_vec == 0xff)
			TH_LOG("MSR %#x %s: write of %#lx %s", rules[i].msr, rules[i].what,
			       (unsigned long)m->val, rules[i].wr ? "#GP" : "allowed");
	}
	for (i = 0; i < NR_BAD; i++) {
		uint64_t vec = GUEST_VAR(vm, g_bad_vec)[i];

		EXPECT_EQ(13ULL, vec) TH_LOG("WRMSR %#x, %#lx (%s): vector %ld, not #GP",
					     bad_writes[i].msr, (unsigned long)bad_writes[i].val,
					     bad_writes[i].what, (long)vec);
	}
	vm_free(vm);
}

/*
 * kvmclock aimed anywhere: the time info and wall clock at a device, a
 * read-only slot, across the end of a slot, past every address, and
 * finally at a RAM page. Only the two wall clocks in RAM and the last
 * time info are written (a time info crossing a page is not, as KVM's),
 * and no MMIO exit comes of it.
 */
#define CLK_RAM		0xb0000000ULL	/* a one-page slot */
#define CLK_RO		0xd0000000ULL	/* a read-only slot */
static const uint64_t clk_gpas[] = {
	0xc0000000ULL, CLK_RO, CLK_RAM + 0xff0, ~0ULL & ~1ULL, 1ULL << 51, CLK_RAM + 0x100,
};

static void guest_clock_anywhere(void)
{
	uint32_t r[4];
	unsigned int i;

	for (i = 0; i < sizeof(clk_gpas) / sizeof(clk_gpas[0]); i++) {
		wrmsr(0x4b564d01, clk_gpas[i] | 1);	/* SYSTEM_TIME_NEW, on */
		wrmsr(0x4b564d00, clk_gpas[i]);		/* WALL_CLOCK_NEW */
		cpuid(0, 0, r);				/* an exit, the update */
	}
	GUEST_SYNC(rdmsr(0x4b564d01));
}

TEST(kvmclock_anywhere)
{
	struct kvmini_vcpu *vcpu;
	struct kvmini_vm *vm = vm_create_guest(guest_clock_anywhere, &vcpu);
	uint8_t *ram, *ro, before[0x1000];
	struct ucall uc;
	uint32_t *version;

	REQUIRE_VM(vm);
	vcpu_set_cpuid_supported(vcpu);
	ram = vm_add_mem(vm, 1, CLK_RAM, 0x1000);
	ro = mmap(NULL, 0x1000, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, ro);
	memset(ram, 0xa5, 0x1000);
	memset(ro, 0x5a, 0x1000);
	memcpy(before, ram, sizeof(before));
	ASSERT_EQ(0, vm_set_region(vm, 2, KVMINI_MEM_READONLY, CLK_RO, 0x1000, ro));
	ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, &uc));	/* dies on any other exit */
	EXPECT_EQ(CLK_RAM + 0x101, uc.args[0]);
	for (unsigned int i = 0; i < 0x1000; i++) {
		ASSERT_EQ(0x5a, ro[i]) TH_LOG("read-only slot changed at %#x", i);
		/* The time info at 0x100, the wall clocks at 0x100 and 0xff0 */
		if ((i < 0x100 || i >= 0x120) && (i < 0xff0 || i >= 0xffc))
			ASSERT_EQ(before[i], ram[i]) TH_LOG("RAM changed at %#x", i);
	}
	EXPECT_EQ(0U, *(uint32_t *)(ram + 0xff0) & 1);	/* a wall clock may cross */
	version = (uint32_t *)(ram + 0x100);
	EXPECT_EQ(0U, *version & 1);		/* written, and consistent */
	EXPECT_NE(0xa5a5a5a5U, *version);
	EXPECT_NE(0U, *(uint32_t *)(ram + 0x100 + 24));	/* tsc_to_system_mul */
	vm_free(vm);
}

TEST_HARNESS_MAIN
