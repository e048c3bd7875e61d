// SPDX-License-Identifier: GPL-2.0
/*
 * manifest_test - the manifest parser (manifest.c) against its binding
 * (manifest-binding.txt), on the build machine: good manifests give every
 * field (defaults too), each rule broken gives exactly its one-line error,
 * and broken blobs (garbage, truncated, every byte changed) give an error
 * and never a crash. Manifests are .dts text here, compiled by dtc at run
 * time; a few are then patched into what dtc refuses to write (duplicate
 * names). Run from vmm/ (make -C vmm test): tests/ *.dts and the binding's
 * example are read from there.
 */
#pragma GCC diagnostic ignored "-Wunused-parameter"
/* EXPECT_EQ(2, m.nguests): the harness compares int literals with u32 fields. */
#pragma GCC diagnostic ignored "-Wsign-compare"
#include "kselftest_harness.h"

#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "manifest.h"
#include "manifest_check.h"

/* Compile dts with dtc; the .dtb's bytes (malloc'd, 8-byte aligned), or NULL. */
static void *compile(const char *dts, size_t *len)
{
	char dir[] = "/tmp/manifest_test.XXXXXX", src[64], dtb[64], cmd[256];
	void *blob = NULL;
	struct stat st;
	FILE *f;

	if (!mkdtemp(dir))
		return NULL;
	snprintf(src, sizeof(src), "%s/m.dts", dir);
	snprintf(dtb, sizeof(dtb), "%s/m.dtb", dir);
	f = fopen(src, "w");
	if (f) {
		fputs(dts, f);
		fclose(f);
		snprintf(cmd, sizeof(cmd), "dtc -q -I dts -O dtb -o %s %s", dtb, src);
		f = system(cmd) == 0 ? fopen(dtb, "rb") : NULL;
	}
	if (f && fstat(fileno(f), &st) == 0 && (blob = malloc(st.st_size + 1)) &&
	    fread(blob, 1, st.st_size, f) != (size_t)st.st_size) {
		free(blob);
		blob = NULL;
	}
	if (f)
		fclose(f);
	*len = blob ? st.st_size : 0;
	unlink(dtb);
	unlink(src);
	rmdir(dir);
	return blob;
}

static char *read_text(const char *path)
{
	char *s = NULL;
	long n;
	FILE *f = fopen(path, "r");

	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0 &&
	    (s = calloc(1, n + 1)) && fread(s, 1, n, f) != (size_t)n) {
		free(s);
		s = NULL;
	}
	fclose(f);
	return s;
}

/* Parse, and check manifest_parse's promises whatever the outcome. */
#define PARSE(blob, len, m, err, rc) do {						\
	const char *why_;								\
	rc = manifest_parse(blob, len, m, err, sizeof(err));				\
	why_ = mf_check(rc, m, blob, len, err, sizeof(err));				\
	ASSERT_TRUE(why_ == NULL) TH_LOG("manifest_parse broke a promise: %s (err \"%s\")", \
					  why_, err);					\
} while (0)

#define MANIFEST(guests) \
	"/dts-v1/; / { compatible = \"kvmini,manifest-v1\"; guests { " guests " }; };"
#define GUEST(name, props)	name " { " props " }; "
#define REQ			"memory-mib = <64>; vcpus = <1>; kernel = \"bzImage\"; "
#define ALPHA(props)		MANIFEST(GUEST("alpha", props))

TEST(two_guests)
{
	static const char dts[] = MANIFEST(
		GUEST("alpha", "memory-mib = <16>; vcpus = <1>; kernel = \"bzImage-a\";")
		GUEST("beta", "memory-mib = <3072>; vcpus = <4>; cpu-affinity = <7 6 0 1>;"
		      "kernel = \"/boot/bzImage\"; initramfs = \"/boot/initrd.img\";"
		      "bootargs = \"console=ttyS0 root=/dev/ram0 quiet\";"
		      "console = \"file\"; console-path = \"/tmp/beta.log\";"
		      "on-poweroff = \"stop-self\";"));
	struct manifest m;
	const struct mf_guest *a = &m.guest[0], *b = &m.guest[1];
	char err[256];
	size_t len;
	void *blob = compile(dts, &len);
	int rc;

	ASSERT_NE(NULL, blob);
	PARSE(blob, len, &m, err, rc);
	ASSERT_EQ(0, rc) TH_LOG("%s", err);
	ASSERT_EQ(2, m.nguests);

	EXPECT_STREQ("alpha", a->name);
	EXPECT_EQ(16, a->memory_mib);
	EXPECT_EQ(1, a->vcpus);
	EXPECT_EQ(0, a->pinned);
	EXPECT_EQ(0, a->cpu[0]);
	EXPECT_STREQ("bzImage-a", a->kernel);
	EXPECT_EQ(NULL, a->initramfs);
	EXPECT_STREQ("console=ttyS0", a->bootargs);
	EXPECT_EQ(MF_CONSOLE_STDOUT, a->console);
	EXPECT_EQ(NULL, a->console_path);
	EXPECT_STREQ("alpha| ", a->console_prefix);
	EXPECT_EQ(MF_POWEROFF_STOP_ALL, a->on_poweroff);

	EXPECT_STREQ("beta", b->name);
	EXPECT_EQ(3072, b->memory_mib);
	EXPECT_EQ(4, b->vcpus);
	EXPECT_EQ(1, b->pinned);
	EXPECT_EQ(7, b->cpu[0]);
	EXPECT_EQ(6, b->cpu[1]);
	EXPECT_EQ(0, b->cpu[2]);
	EXPECT_EQ(1, b->cpu[3]);
	EXPECT_EQ(0, b->cpu[4]);
	EXPECT_STREQ("/boot/bzImage", b->kernel);
	EXPECT_STREQ("/boot/initrd.img", b->initramfs);
	EXPECT_STREQ("console=ttyS0 root=/dev/ram0 quiet", b->bootargs);
	EXPECT_EQ(MF_CONSOLE_FILE, b->console);
	EXPECT_STREQ("/tmp/beta.log", b->console_path);
	EXPECT_EQ(NULL, b->console_prefix);
	EXPECT_EQ(MF_POWEROFF_STOP_SELF, b->on_poweroff);
	free(blob);
}

/* The other values and the limits: pty, a prefix, the cells, 64 vCPUs, CPU 1023. */
#define CPUS_0_63 "0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25 26 " \
	"27 28 29 30 31 32 33 34 35 36 37 38 39 40 41 42 43 44 45 46 47 48 49 50 51 52 53 " \
	"54 55 56 57 58 59 60 61 62 63"
TEST(options_and_limits)
{
	static const char dts[] =
		"/dts-v1/; / { #address-cells = <1>; #size-cells = <0>; model = \"m\";"
		"compatible = \"kvmini,manifest-v1\";"
		"guests { #address-cells = <2>; #size-cells = <1>;"
		GUEST("g-1", "memory-mib = <100>; vcpus = <64>; cpu-affinity = <" CPUS_0_63 ">;"
		      "kernel = \"k\"; console = \"pty\"; on-poweroff = \"stop-all\";")
		GUEST("z9", "memory-mib = <200>; vcpus = <2>; cpu-affinity = <1023 64>;"
		      "kernel = \"k\"; console = \"stdout\"; console-prefix = \"[z9] \";")
		GUEST("a123456789012345678901234567890", REQ)
		"}; };";
	struct manifest m;
	char err[256];
	size_t len;
	void *blob = compile(dts, &len);
	int rc, i;

	ASSERT_NE(NULL, blob);
	PARSE(blob, len, &m, err, rc);
	ASSERT_EQ(0, rc) TH_LOG("%s", err);
	ASSERT_EQ(3, m.nguests);
	EXPECT_STREQ("g-1", m.guest[0].name);
	EXPECT_EQ(64, m.guest[0].vcpus);
	for (i = 0; i < 64; i++)
		EXPECT_EQ(i, m.guest[0].cpu[i]);
	EXPECT_EQ(MF_CONSOLE_PTY, m.guest[0].console);
	EXPECT_EQ(NULL, m.guest[0].console_prefix);
	EXPECT_EQ(NULL, m.guest[0].console_path);
	EXPECT_EQ(MF_POWEROFF_STOP_ALL, m.guest[0].on_poweroff);
	EXPECT_EQ(1023, m.guest[1].cpu[0]);
	EXPECT_EQ(64, m.guest[1].cpu[1]);
	EXPECT_EQ(MF_CONSOLE_STDOUT, m.guest[1].console);
	EXPECT_STREQ("[z9] ", m.guest[1].console_prefix);
	EXPECT_STREQ("a123456789012345678901234567890", m.guest[2].name);
	EXPECT_STREQ("a123456789012345678901234567890| ", m.guest[2].console_prefix);
	free(blob);
}

/* 16 guests are allowed, each on its own CPUs; a 17th is not. */
TEST(sixteen_guests)
{
	struct manifest m;
	char dts[4096], err[256];
	size_t len, n;
	void *blob;
	int rc, i, guests;

	for (guests = 16; guests <= 17; guests++) {
		n = snprintf(dts, sizeof(dts), "/dts-v1/; / { compatible = \"kvmini,manifest-v1\"; guests {");
		for (i = 0; i < guests; i++)
			n += snprintf(dts + n, sizeof(dts) - n, "g%d { " REQ
				      "cpu-affinity = <%d>; };", i, 2 * i);
		snprintf(dts + n, sizeof(dts) - n, "}; };");
		blob = compile(dts, &len);
		ASSERT_NE(NULL, blob);
		PARSE(blob, len, &m, err, rc);
		if (guests == 16) {
			ASSERT_EQ(0, rc) TH_LOG("%s", err);
			ASSERT_EQ(16, m.nguests);
			EXPECT_STREQ("g15", m.guest[15].name);
			EXPECT_EQ(30, m.guest[15].cpu[0]);
		} else {
			ASSERT_EQ(-1, rc);
			EXPECT_STREQ("/guests: more than 16 guests", err);
		}
		free(blob);
	}
}

/*
 * One rule broken, one exact error. from/to: then replace the first
 * occurrence of from (with its NUL) by to, as long: what dtc refuses to
 * write. fill: the dts's "FILL" becomes that many 'x'.
 */
FIXTURE(bad) {
	void *blob;
	size_t len;
};

FIXTURE_VARIANT(bad) {
	const char *dts;
	const char *err;
	const char *from, *to;
	int fill;
};

FIXTURE_SETUP(bad)
{
	const char *at = strstr(variant->dts, "FILL");
	char *dts, *p;
	size_t n;

	if (at) {
		ASSERT_LT(0, variant->fill);
		dts = malloc(strlen(variant->dts) + variant->fill + 1);
		ASSERT_NE(NULL, dts);
		n = at - variant->dts;
		memcpy(dts, variant->dts, n);
		memset(dts + n, 'x', variant->fill);
		strcpy(dts + n + variant->fill, at + 4);
	} else {
		dts = strdup(variant->dts);
	}
	self->blob = compile(dts, &self->len);
	free(dts);
	ASSERT_NE(NULL, self->blob);
	if (variant->from) {
		n = strlen(variant->from) + 1;
		ASSERT_EQ(n, strlen(variant->to) + 1);
		p = memmem(self->blob, self->len, variant->from, n);
		ASSERT_NE(NULL, p);
		memcpy(p, variant->to, n);
	}
}

FIXTURE_TEARDOWN(bad)
{
	free(self->blob);
}

TEST_F(bad, error)
{
	struct manifest m;
	char err[256];
	int rc;

	PARSE(self->blob, self->len, &m, err, rc);
	ASSERT_EQ(-1, rc);
	ASSERT_STREQ(variant->err, err);
}

#define BAD(id, DTS, ERR, ...) \
	FIXTURE_VARIANT_ADD(bad, id) { .dts = DTS, .err = ERR, __VA_ARGS__ }

/* The root node. */
BAD(compatible_missing, "/dts-v1/; / { guests { alpha { " REQ " }; }; };",
    "/: compatible: missing (required)");
BAD(compatible_wrong, "/dts-v1/; / { compatible = \"kvmini,manifest-v2\"; guests { }; };",
    "/: compatible: must be \"kvmini,manifest-v1\"");
BAD(compatible_list,
    "/dts-v1/; / { compatible = \"kvmini,manifest-v1\", \"x\"; guests { }; };",
    "/: compatible: must be \"kvmini,manifest-v1\"");
BAD(compatible_prefix, "/dts-v1/; / { compatible = \"kvmini,manifest\"; guests { }; };",
    "/: compatible: must be \"kvmini,manifest-v1\"");
BAD(root_unknown_property,
    "/dts-v1/; / { compatible = \"kvmini,manifest-v1\"; modle = \"m\"; guests { }; };",
    "/: modle: unknown property");
BAD(root_duplicate_property,
    "/dts-v1/; / { compatible = \"kvmini,manifest-v1\"; modek = \"m\"; model = \"m\"; };",
    "/: model: duplicate property", .from = "modek", .to = "model");
BAD(root_cells_size,
    "/dts-v1/; / { compatible = \"kvmini,manifest-v1\"; #address-cells = /bits/ 64 <1>; };",
    "/: #address-cells: must be one u32 (4 bytes), got 8");
BAD(model_not_string, "/dts-v1/; / { compatible = \"kvmini,manifest-v1\"; model = <1>; };",
    "/: model: must be a NUL-terminated string");
BAD(root_unknown_node,
    "/dts-v1/; / { compatible = \"kvmini,manifest-v1\"; guest { }; guests { alpha { " REQ
    " }; }; };", "/guest: unknown node (the root holds only /guests)");
BAD(guests_missing, "/dts-v1/; / { compatible = \"kvmini,manifest-v1\"; };",
    "/guests: missing (required)");
BAD(guests_duplicate,
    "/dts-v1/; / { compatible = \"kvmini,manifest-v1\"; guests { }; guestz { }; };",
    "/guests: duplicate node", .from = "guestz", .to = "guests");

/* /guests. */
BAD(guests_unknown_property, MANIFEST("vcpus = <1>; " GUEST("alpha", REQ)),
    "/guests: vcpus: unknown property");
BAD(guests_cells_size, MANIFEST("#size-cells = \"1\"; " GUEST("alpha", REQ)),
    "/guests: #size-cells: must be one u32 (4 bytes), got 2");
BAD(no_guest, MANIFEST(""), "/guests: no guest (at least one is required)");

/* A guest's node: its name, no children. */
BAD(name_uppercase, MANIFEST(GUEST("Alpha", REQ)),
    "/guests/Alpha: node name: must be 1..31 characters of a-z, 0-9 and '-', "
    "starting with a letter");
BAD(name_digit_first, MANIFEST(GUEST("9alpha", REQ)),
    "/guests/9alpha: node name: must be 1..31 characters of a-z, 0-9 and '-', "
    "starting with a letter");
BAD(name_underscore, MANIFEST(GUEST("al_pha", REQ)),
    "/guests/al_pha: node name: must be 1..31 characters of a-z, 0-9 and '-', "
    "starting with a letter");
BAD(name_too_long, MANIFEST(GUEST("a1234567890123456789012345678901", REQ)),
    "/guests/a1234567890123456789012345678901: node name: must be 1..31 characters of "
    "a-z, 0-9 and '-', starting with a letter");
BAD(name_way_too_long, MANIFEST(GUEST("aFILL", REQ)),
    "/guests/axxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx...: node name: must be 1..31 "
    "characters of a-z, 0-9 and '-', starting with a letter", .fill = 60);
BAD(name_control_char, MANIFEST(GUEST("alpha", REQ)),
    "/guests/al?ha: node name: must be 1..31 characters of a-z, 0-9 and '-', "
    "starting with a letter", .from = "alpha", .to = "al\nha");
BAD(name_unit_address, MANIFEST(GUEST("alpha@1", REQ)),
    "/guests/alpha@1: node name: no unit address (the name is the guest's name)");
BAD(name_duplicate, MANIFEST(GUEST("alpha", REQ) GUEST("beta", REQ) GUEST("alphb", REQ)),
    "/guests/alpha: duplicate node name", .from = "alphb", .to = "alpha");
BAD(child_node, ALPHA(REQ "cpus { };"),
    "/guests/alpha/cpus: unknown node (a guest has no child nodes)");

/* Its properties: names, required ones, u32s. */
BAD(unknown_property, ALPHA(REQ "memroy-mib = <64>;"),
    "/guests/alpha: memroy-mib: unknown property");
BAD(unknown_property_shown, ALPHA(REQ "x,FILL;"),
    "/guests/alpha: x,xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx...: unknown property", .fill = 50);
BAD(duplicate_property, ALPHA(REQ "vcpuz = <2>;"),
    "/guests/alpha: vcpus: duplicate property", .from = "vcpuz", .to = "vcpus");
BAD(memory_missing, ALPHA("vcpus = <1>; kernel = \"k\";"),
    "/guests/alpha: memory-mib: missing (required)");
BAD(vcpus_missing, ALPHA("memory-mib = <64>; kernel = \"k\";"),
    "/guests/alpha: vcpus: missing (required)");
BAD(kernel_missing, ALPHA("memory-mib = <64>; vcpus = <1>;"),
    "/guests/alpha: kernel: missing (required)");
BAD(memory_low, ALPHA("memory-mib = <15>; vcpus = <1>; kernel = \"k\";"),
    "/guests/alpha: memory-mib: must be 16..3072, got 15");
BAD(memory_high, ALPHA("memory-mib = <3073>; vcpus = <1>; kernel = \"k\";"),
    "/guests/alpha: memory-mib: must be 16..3072, got 3073");
BAD(memory_huge, ALPHA("memory-mib = <0xffffffff>; vcpus = <1>; kernel = \"k\";"),
    "/guests/alpha: memory-mib: must be 16..3072, got 4294967295");
BAD(memory_64bit, ALPHA("memory-mib = /bits/ 64 <64>; vcpus = <1>; kernel = \"k\";"),
    "/guests/alpha: memory-mib: must be one u32 (4 bytes), got 8");
BAD(memory_two_cells, ALPHA("memory-mib = <64 64>; vcpus = <1>; kernel = \"k\";"),
    "/guests/alpha: memory-mib: must be one u32 (4 bytes), got 8");
BAD(vcpus_zero, ALPHA("memory-mib = <64>; vcpus = <0>; kernel = \"k\";"),
    "/guests/alpha: vcpus: must be 1..64, got 0");
BAD(vcpus_high, ALPHA("memory-mib = <64>; vcpus = <65>; kernel = \"k\";"),
    "/guests/alpha: vcpus: must be 1..64, got 65");
BAD(vcpus_empty, ALPHA("memory-mib = <64>; vcpus; kernel = \"k\";"),
    "/guests/alpha: vcpus: must be one u32 (4 bytes), got 0");
BAD(vcpus_byte, ALPHA("memory-mib = <64>; vcpus = [01]; kernel = \"k\";"),
    "/guests/alpha: vcpus: must be one u32 (4 bytes), got 1");
BAD(vcpus_string, ALPHA("memory-mib = <64>; vcpus = \"2\"; kernel = \"k\";"),
    "/guests/alpha: vcpus: must be one u32 (4 bytes), got 2");

/* cpu-affinity. */
BAD(affinity_few, ALPHA("memory-mib = <64>; vcpus = <2>; kernel = \"k\"; cpu-affinity = <1>;"),
    "/guests/alpha: cpu-affinity: must be one cell per vCPU (2), got 1");
BAD(affinity_many, ALPHA(REQ "cpu-affinity = <1 2 3>;"),
    "/guests/alpha: cpu-affinity: must be one cell per vCPU (1), got 3");
BAD(affinity_bytes, ALPHA(REQ "cpu-affinity = [00 00 01];"),
    "/guests/alpha: cpu-affinity: must be u32 cells, got 3 bytes");
BAD(affinity_empty, ALPHA(REQ "cpu-affinity;"),
    "/guests/alpha: cpu-affinity: must be u32 cells, got 0 bytes");
BAD(affinity_range, ALPHA(REQ "cpu-affinity = <1024>;"),
    "/guests/alpha: cpu-affinity: host CPU 1024 out of range 0..1023");
BAD(affinity_negative, ALPHA(REQ "cpu-affinity = <(-1)>;"),
    "/guests/alpha: cpu-affinity: host CPU 4294967295 out of range 0..1023");
BAD(affinity_twice,
    ALPHA("memory-mib = <64>; vcpus = <3>; kernel = \"k\"; cpu-affinity = <3 4 3>;"),
    "/guests/alpha: cpu-affinity: host CPU 3 given twice");
BAD(affinity_shared,
    MANIFEST(GUEST("alpha", "memory-mib = <64>; vcpus = <2>; kernel = \"k\";"
		   "cpu-affinity = <1 2>;")
	     GUEST("beta", REQ "cpu-affinity = <2>;")),
    "/guests/beta: cpu-affinity: host CPU 2 already belongs to /guests/alpha");
BAD(affinity_shared_third,
    MANIFEST(GUEST("alpha", REQ "cpu-affinity = <0>;")
	     GUEST("beta", REQ "cpu-affinity = <1>;")
	     GUEST("gamma", "memory-mib = <64>; vcpus = <2>; kernel = \"k\";"
		   "cpu-affinity = <5 0>;")),
    "/guests/gamma: cpu-affinity: host CPU 0 already belongs to /guests/alpha");

/* Strings. */
BAD(kernel_empty, ALPHA("memory-mib = <64>; vcpus = <1>; kernel = \"\";"),
    "/guests/alpha: kernel: must be a non-empty string");
BAD(kernel_no_value, ALPHA("memory-mib = <64>; vcpus = <1>; kernel;"),
    "/guests/alpha: kernel: must be a non-empty string");
BAD(kernel_list, ALPHA("memory-mib = <64>; vcpus = <1>; kernel = \"a\", \"b\";"),
    "/guests/alpha: kernel: must be one string, not a list");
BAD(kernel_empty_list, ALPHA("memory-mib = <64>; vcpus = <1>; kernel = \"\", \"b\";"),
    "/guests/alpha: kernel: must be one string, not a list");
BAD(kernel_no_nul, ALPHA("memory-mib = <64>; vcpus = <1>; kernel = [2f 62];"),
    "/guests/alpha: kernel: must be a NUL-terminated string");
BAD(kernel_tab, ALPHA("memory-mib = <64>; vcpus = <1>; kernel = \"a\\tb\";"),
    "/guests/alpha: kernel: must be printable ASCII, got a 0x09 byte");
BAD(kernel_high_byte, ALPHA("memory-mib = <64>; vcpus = <1>; kernel = [2f e9 00];"),
    "/guests/alpha: kernel: must be printable ASCII, got a 0xe9 byte");
BAD(kernel_long, ALPHA("memory-mib = <64>; vcpus = <1>; kernel = \"FILL\";"),
    "/guests/alpha: kernel: at most 4095 characters, got 4096", .fill = 4096);
BAD(initramfs_empty, ALPHA(REQ "initramfs = \"\";"),
    "/guests/alpha: initramfs: must be a non-empty string");
BAD(initramfs_long, ALPHA(REQ "initramfs = \"FILL\";"),
    "/guests/alpha: initramfs: at most 4095 characters, got 4096", .fill = 4096);
BAD(bootargs_list, ALPHA(REQ "bootargs = \"console=ttyS0\", \"quiet\";"),
    "/guests/alpha: bootargs: must be one string, not a list");
BAD(bootargs_newline, ALPHA(REQ "bootargs = \"quiet\\n\";"),
    "/guests/alpha: bootargs: must be printable ASCII, got a 0x0a byte");
BAD(bootargs_long, ALPHA(REQ "bootargs = \"FILL\";"),
    "/guests/alpha: bootargs: at most 2047 characters, got 2048", .fill = 2048);

/* The console. */
BAD(console_unknown, ALPHA(REQ "console = \"tty\";"),
    "/guests/alpha: console: must be \"stdout\", \"file\" or \"pty\", got \"tty\"");
BAD(console_case, ALPHA(REQ "console = \"STDOUT\";"),
    "/guests/alpha: console: must be \"stdout\", \"file\" or \"pty\", got \"STDOUT\"");
BAD(console_long, ALPHA(REQ "console = \"FILL\";"),
    "/guests/alpha: console: must be \"stdout\", \"file\" or \"pty\", got "
    "\"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx...\"", .fill = 41);
BAD(console_number, ALPHA(REQ "console = <1>;"),
    "/guests/alpha: console: must be a NUL-terminated string");
BAD(console_path_missing, ALPHA(REQ "console = \"file\";"),
    "/guests/alpha: console-path: missing (required with console = \"file\")");
BAD(console_path_stdout, ALPHA(REQ "console-path = \"/tmp/log\";"),
    "/guests/alpha: console-path: only with console = \"file\"");
BAD(console_path_pty, ALPHA(REQ "console = \"pty\"; console-path = \"/tmp/log\";"),
    "/guests/alpha: console-path: only with console = \"file\"");
BAD(console_path_empty, ALPHA(REQ "console = \"file\"; console-path = \"\";"),
    "/guests/alpha: console-path: must be a non-empty string");
BAD(console_prefix_file,
    ALPHA(REQ "console = \"file\"; console-path = \"/tmp/log\"; console-prefix = \"a\";"),
    "/guests/alpha: console-prefix: only with console = \"stdout\"");
BAD(console_prefix_pty, ALPHA(REQ "console = \"pty\"; console-prefix = \"a\";"),
    "/guests/alpha: console-prefix: only with console = \"stdout\"");
BAD(console_prefix_long, ALPHA(REQ "console-prefix = \"FILL\";"),
    "/guests/alpha: console-prefix: at most 64 characters, got 65", .fill = 65);
BAD(console_prefix_empty, ALPHA(REQ "console-prefix = \"\";"),
    "/guests/alpha: console-prefix: must be a non-empty string");

/* on-poweroff. */
BAD(poweroff_unknown, ALPHA(REQ "on-poweroff = \"stop\";"),
    "/guests/alpha: on-poweroff: must be \"stop-all\" or \"stop-self\", got \"stop\"");
BAD(poweroff_list, ALPHA(REQ "on-poweroff = \"stop-all\", \"stop-self\";"),
    "/guests/alpha: on-poweroff: must be one string, not a list");

/* The first violation is the one reported, in the binding's order. */
BAD(order_name_first, MANIFEST(GUEST("Alpha", "vcpus = <0>; foo; bar { };")),
    "/guests/Alpha: node name: must be 1..31 characters of a-z, 0-9 and '-', "
    "starting with a letter");
BAD(order_child_first, ALPHA("vcpus = <0>; foo; bar { };"),
    "/guests/alpha/bar: unknown node (a guest has no child nodes)");
BAD(order_unknown_first, ALPHA("vcpus = <0>; memory-mib = <64>; foo = <1>;"),
    "/guests/alpha: foo: unknown property");
BAD(order_missing_first, ALPHA("vcpus = <0>; memory-mib = <64>;"),
    "/guests/alpha: kernel: missing (required)");
BAD(order_values, ALPHA("on-poweroff = \"x\"; console = \"x\"; cpu-affinity = <1 2>;"
			"kernel = \"\"; vcpus = <1>; memory-mib = <64>;"),
    "/guests/alpha: kernel: must be a non-empty string");

/* A later guest's error names that guest. */
BAD(second_guest, MANIFEST(GUEST("alpha", REQ) GUEST("beta", REQ "vcpuz = <2>;")),
    "/guests/beta: vcpus: duplicate property", .from = "vcpuz", .to = "vcpus");

/* Bytes that are no manifest. */
static void *good_blob(size_t *len)
{
	return compile(MANIFEST(GUEST("alpha", REQ "cpu-affinity = <3>; console = \"file\";"
					"console-path = \"/tmp/a\"; on-poweroff = \"stop-self\";")
				GUEST("beta", REQ "bootargs = \"quiet\";"
				      "console-prefix = \"b> \"; initramfs = \"i\";")), len);
}

TEST(not_a_tree)
{
	static const char text[] = ALPHA(REQ);
	struct manifest m;
	char err[256];
	int rc;

	PARSE(text, sizeof(text), &m, err, rc);
	ASSERT_EQ(-1, rc);
	ASSERT_STREQ("not a flattened device tree: FDT_ERR_BADMAGIC", err);
}

TEST(short_and_truncated)
{
	struct manifest m;
	char err[256];
	size_t len, n;
	void *blob = good_blob(&len);
	int rc;

	ASSERT_NE(NULL, blob);
	for (n = 0; n < len; n++) {
		PARSE(blob, n, &m, err, rc);
		ASSERT_EQ(-1, rc);
		ASSERT_STREQ("not a flattened device tree: FDT_ERR_TRUNCATED", err)
			TH_LOG("the first %zu bytes of %zu", n, len);
	}
	PARSE(blob, len, &m, err, rc);
	ASSERT_EQ(0, rc) TH_LOG("%s", err);
	free(blob);
}

/*
 * A version before 16 (node names as full paths): libfdt 1.6.1's
 * fdt_check_full() dereferences NULL on the root's name (the fuzzer found
 * it), so the parser refuses those versions before calling it.
 */
TEST(old_versions)
{
	struct manifest m;
	char err[256], want[128];
	unsigned char *b;
	size_t len;
	int rc, v;

	b = good_blob(&len);
	ASSERT_NE(NULL, b);
	for (v = 0; v <= 17; v++) {
		b[23] = v;			/* the header's version (big-endian) */
		b[27] = v < 16 ? v : 16;	/* and last_comp_version, no later */
		PARSE(b, len, &m, err, rc);
		if (v >= 16) {
			ASSERT_EQ(0, rc) TH_LOG("version %d: %s", v, err);
			continue;
		}
		ASSERT_EQ(-1, rc);
		snprintf(want, sizeof(want),
			 "not a flattened device tree: FDT_ERR_BADVERSION (version %d, older than 16)", v);
		ASSERT_STREQ(want, err);
	}
	b[0] = 0;			/* a bad magic is named as such, whatever the version */
	b[23] = 2;
	PARSE(b, len, &m, err, rc);
	ASSERT_STREQ("not a flattened device tree: FDT_ERR_BADMAGIC", err);
	free(b);
}

TEST(trailing_bytes)
{
	struct manifest m;
	char err[256], want[128];
	size_t len;
	void *blob = good_blob(&len);
	int rc;

	ASSERT_NE(NULL, blob);
	blob = realloc(blob, len + 8);
	ASSERT_NE(NULL, blob);
	memset((char *)blob + len, 0, 8);
	PARSE(blob, len + 8, &m, err, rc);
	ASSERT_EQ(-1, rc);
	snprintf(want, sizeof(want), "not a flattened device tree: %zu bytes, its header says %zu",
		 len + 8, len);
	ASSERT_STREQ(want, err);
	free(blob);
}

TEST(misaligned_and_too_large)
{
	struct manifest m;
	char err[256], *big;
	size_t len;
	void *blob = good_blob(&len);
	int rc;

	ASSERT_NE(NULL, blob);
	big = calloc(1, MF_FILE_MAX + 8);
	ASSERT_NE(NULL, big);
	memcpy(big + 4, blob, len);
	PARSE(big + 4, len, &m, err, rc);
	ASSERT_EQ(-1, rc);
	ASSERT_STREQ("not a flattened device tree: FDT_ERR_ALIGNMENT "
		     "(not 8-byte aligned in memory)", err);
	memcpy(big, blob, len);
	PARSE(big, MF_FILE_MAX + 1, &m, err, rc);
	ASSERT_EQ(-1, rc);
	ASSERT_STREQ("too large for a manifest: 1048577 bytes, at most 1048576", err);
	free(big);
	free(blob);
}

/* Every byte of a good blob set to every value: an error or a manifest, never a crash. */
TEST(every_byte_changed)
{
	unsigned char *copy;
	struct manifest m;
	char err[256];
	size_t len, i;
	void *blob = good_blob(&len);
	int rc, v, parsed = 0;

	ASSERT_NE(NULL, blob);
	copy = malloc(len);
	ASSERT_NE(NULL, copy);
	for (i = 0; i < len; i++) {
		for (v = 0; v < 256; v++) {
			memcpy(copy, blob, len);
			copy[i] = v;
			PARSE(copy, len, &m, err, rc);
			parsed += rc == 0;
		}
	}
	/* The values that change nothing, at least: one per byte. */
	ASSERT_LE(len, parsed);
	free(copy);
	free(blob);
}

TEST(error_buffer)
{
	struct manifest m;
	char err[8];
	size_t len;
	void *blob = compile(ALPHA("memory-mib = <64>; vcpus = <0>; kernel = \"k\";"), &len);

	ASSERT_NE(NULL, blob);
	ASSERT_EQ(-1, manifest_parse(blob, len, &m, err, sizeof(err)));
	ASSERT_STREQ("/guests", err);
	ASSERT_EQ(-1, manifest_parse(blob, len, &m, err, 1));
	ASSERT_STREQ("", err);
	ASSERT_EQ(-1, manifest_parse(blob, len, &m, NULL, 0));
	free(blob);
}

TEST(load)
{
	char dir[] = "/tmp/manifest_test.XXXXXX", path[64], err[256];
	struct manifest m;
	void *blob, *loaded;
	size_t len;
	int fd;

	ASSERT_EQ(-1, manifest_load("/nonexistent/m.dtb", &m, &loaded, err, sizeof(err)));
	EXPECT_STREQ("No such file or directory", err);
	EXPECT_EQ(NULL, loaded);
	ASSERT_EQ(-1, manifest_load("/", &m, &loaded, err, sizeof(err)));
	EXPECT_STREQ("Is a directory", err);

	ASSERT_NE(NULL, mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/m.dtb", dir);
	blob = good_blob(&len);
	ASSERT_NE(NULL, blob);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	ASSERT_LE(0, fd);
	ASSERT_EQ((ssize_t)len, write(fd, blob, len));
	ASSERT_EQ(0, manifest_load(path, &m, &loaded, err, sizeof(err))) TH_LOG("%s", err);
	EXPECT_STREQ("", err);
	ASSERT_NE(NULL, loaded);
	EXPECT_EQ(NULL, mf_check(0, &m, loaded, len, err, sizeof(err)));
	EXPECT_EQ(2, m.nguests);
	EXPECT_STREQ("b> ", m.guest[1].console_prefix);
	free(loaded);

	ASSERT_EQ(0, ftruncate(fd, 0));
	ASSERT_EQ(-1, manifest_load(path, &m, &loaded, err, sizeof(err)));
	EXPECT_STREQ("not a flattened device tree: FDT_ERR_TRUNCATED", err);
	ASSERT_EQ(0, ftruncate(fd, MF_FILE_MAX));
	ASSERT_EQ(-1, manifest_load(path, &m, &loaded, err, sizeof(err)));
	EXPECT_STREQ("not a flattened device tree: FDT_ERR_BADMAGIC", err);
	ASSERT_EQ(0, ftruncate(fd, MF_FILE_MAX + 1));
	ASSERT_EQ(-1, manifest_load(path, &m, &loaded, err, sizeof(err)));
	EXPECT_STREQ("too large for a manifest: more than 1048576 bytes", err);
	EXPECT_EQ(NULL, loaded);
	close(fd);
	unlink(path);
	rmdir(dir);
	free(blob);
}

/* The files tests/ *.dts (also the fuzzer's seeds) are good manifests. */
TEST(examples)
{
	struct manifest m;
	glob_t g;
	char err[256], *dts;
	size_t i, len;
	void *blob;
	int rc;

	if (glob("tests/*.dts", 0, NULL, &g) || g.gl_pathc < 3)
		SKIP(return, "tests/*.dts not found: run from vmm/");
	for (i = 0; i < g.gl_pathc; i++) {
		dts = read_text(g.gl_pathv[i]);
		ASSERT_NE(NULL, dts);
		blob = compile(dts, &len);
		ASSERT_NE(NULL, blob) TH_LOG("%s", g.gl_pathv[i]);
		PARSE(blob, len, &m, err, rc);
		ASSERT_EQ(0, rc) TH_LOG("%s: %s", g.gl_pathv[i], err);
		free(blob);
		free(dts);
	}
	globfree(&g);
}

/* The binding's example, de-indented, is tests/example.dts, and means what it says. */
TEST(binding_example)
{
	char *doc = read_text("manifest-binding.txt"), *file = read_text("tests/example.dts");
	char *ex, *start, *end, *p, *line, err[256];
	const struct mf_guest *w, *b;
	struct manifest m;
	void *blob;
	size_t len;
	int rc;

	if (!doc || !file)
		SKIP(return, "manifest-binding.txt or tests/example.dts not found: run from vmm/");
	start = strstr(doc, "\n\t/dts-v1/;\n");
	ASSERT_NE(NULL, start);
	end = strstr(start, "\n\t};\n");
	ASSERT_NE(NULL, end);
	ex = calloc(1, end - start + 8);
	ASSERT_NE(NULL, ex);
	end[4] = '\0';
	for (p = ex, line = start + 1; *line; line++)	/* each line without its first tab */
		if (line[-1] != '\n' || *line != '\t')
			*p++ = *line;
	strcpy(p, "\n");
	ASSERT_STREQ(file, ex);

	blob = compile(file, &len);
	ASSERT_NE(NULL, blob);
	PARSE(blob, len, &m, err, rc);
	ASSERT_EQ(0, rc) TH_LOG("%s", err);
	ASSERT_EQ(2, m.nguests);
	w = &m.guest[0];
	b = &m.guest[1];
	EXPECT_STREQ("web", w->name);
	EXPECT_EQ(2, w->cpu[0]);
	EXPECT_EQ(3, w->cpu[1]);
	EXPECT_STREQ("web: ", w->console_prefix);
	EXPECT_STREQ("batch", b->name);
	EXPECT_EQ(4, b->cpu[0]);
	EXPECT_EQ(MF_CONSOLE_FILE, b->console);
	EXPECT_EQ(MF_POWEROFF_STOP_SELF, b->on_poweroff);
	free(blob);
	free(ex);
	free(file);
	free(doc);
}

TEST_HARNESS_MAIN
