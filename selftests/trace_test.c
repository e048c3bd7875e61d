// SPDX-License-Identifier: GPL-2.0
/*
 * Tracepoints: the "kvmini" event system in tracefs (what perf and
 * trace-cmd read) records a guest's entries and exits with their reason
 * and RIP, its port and MMIO accesses, the exception kvmini injects and
 * the nested page faults with the level mapped. kvmini's own events: the
 * test skips on KVM (whose events are kvm:*).
 */
#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>

#include "kvmini_util.h"
#include "kvmini_vm.h"
#include "kselftest_harness.h"

#define TRACEFS		"/sys/kernel/tracing"
#define MMIO_GPA	0xd0000000ULL
#define BAD_MSR		0x12345678

static void guest_traced(void)
{
	uint32_t r[4];
	uint64_t v;

	cpuid(0, 0, r);
	asm volatile("outb %%al, $0x80" : : "a"(0x5a));
	*(volatile uint32_t *)MMIO_GPA = 0xabcd1234;
	GUEST_SYNC(rdmsr_safe(BAD_MSR, &v));	/* #GP, injected by the hypervisor */
}

static int put(const char *file, const char *s)
{
	char path[256];
	int fd, r;

	snprintf(path, sizeof(path), TRACEFS "/%s", file);
	fd = open(path, O_WRONLY | O_TRUNC);
	if (fd < 0)
		return -errno;
	r = write(fd, s, strlen(s)) == (ssize_t)strlen(s) ? 0 : -errno;
	close(fd);
	return r;
}

/* The trace buffer, whole (NUL-terminated); the caller frees it. */
static char *slurp(void)
{
	size_t n = 0, cap = 1 << 20;
	char *buf = malloc(cap + 1);
	int fd = open(TRACEFS "/trace", O_RDONLY);
	ssize_t r;

	while (fd >= 0 && buf && (r = read(fd, buf + n, cap - n)) > 0) {
		n += r;
		if (n == cap)
			buf = realloc(buf, (cap *= 2) + 1);
	}
	if (fd >= 0)
		close(fd);
	if (buf)
		buf[n] = 0;
	return buf;
}

/* Is there a line with all of @a, @b (and @c, if not NULL)? */
static bool has_line(const char *buf, const char *a, const char *b, const char *c)
{
	const char *l, *e;

	for (l = buf; l && *l; l = e ? e + 1 : NULL) {
		char line[512];

		e = strchr(l, '\n');
		snprintf(line, sizeof(line), "%.*s", e ? (int)(e - l) : (int)strlen(l), l);
		if (strstr(line, a) && strstr(line, b) && (!c || strcasestr(line, c)))
			return true;
	}
	return false;
}

TEST(events)
{
	struct kvmini_vcpu *vcpu;
	struct kvmini_vm *vm;
	struct ucall uc;
	struct stat st;
	char *t;

	if (kvmini_dev_is_kvm())
		SKIP(return, "kvmini's tracepoints; KVM has its own");
	if (stat(TRACEFS "/events", &st))
		mount("tracefs", TRACEFS, "tracefs", 0, NULL);
	if (stat(TRACEFS "/events", &st))
		SKIP(return, "no tracefs");
	ASSERT_EQ(0, stat(TRACEFS "/events/kvmini/kvmini_exit", &st));
	ASSERT_EQ(0, stat(TRACEFS "/events/kvmini/kvmini_npf/format", &st));

	vm = vm_create_guest(guest_traced, &vcpu);
	REQUIRE_VM(vm);
	vm_map(vm, MMIO_GPA, MMIO_GPA, 4096);
	ASSERT_EQ(0, put("trace", ""));
	ASSERT_EQ(0, put("events/kvmini/enable", "1"));
	ASSERT_EQ(0, put("tracing_on", "1"));
	vcpu_run_expect(vcpu, KVMINI_EXIT_IO);
	vcpu_run_expect(vcpu, KVMINI_EXIT_MMIO);
	vcpu_run_ucall(vcpu, &uc);
	EXPECT_EQ(13ULL, uc.args[0]);
	ASSERT_EQ(0, put("events/kvmini/enable", "0"));

	t = slurp();
	ASSERT_NE(NULL, t);
	EXPECT_TRUE(has_line(t, "kvmini_entry: vcpu 0", "rip 0x", NULL));
	EXPECT_TRUE(has_line(t, "kvmini_exit: vcpu 0", "reason", "cpuid"));
	EXPECT_TRUE(has_line(t, "kvmini_exit: vcpu 0", "reason", "msr"));
	EXPECT_TRUE(has_line(t, "kvmini_pio: vcpu 0", "pio_write port 0x80", "size 1 count 1"));
	EXPECT_TRUE(has_line(t, "kvmini_mmio: vcpu 0", "write len 4 gpa 0xd0000000",
			     "val 0xabcd1234"));
	EXPECT_TRUE(has_line(t, "kvmini_inj_exception: vcpu 0", "vector 13 error", NULL));
	/* The guest's stack and code were first touched here: mapped. */
	EXPECT_TRUE(has_line(t, "kvmini_npf: vcpu 0", " r 0", "level"));
	/* The device's page: nothing mapped, emulated. */
	EXPECT_TRUE(has_line(t, "kvmini_npf: vcpu 0 gpa 0xd0000000 write", "level 0", NULL));
	if (!_metadata->passed)
		TH_LOG("trace:\n%.4000s", t);
	free(t);
	vm_free(vm);
}

TEST_HARNESS_MAIN
