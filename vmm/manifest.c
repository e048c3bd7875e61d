// SPDX-License-Identifier: GPL-2.0
/*
 * The manifest's parser: a flattened device tree, untrusted bytes, checked
 * whole by fdt_check_full() and then against vmm/manifest-binding.txt,
 * strictly (an unknown node or property is an error: it is most likely a
 * typo). Every violation is one line naming the node and the property.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libfdt.h>

#include "manifest.h"

#define COMPATIBLE	"kvmini,manifest-v1"
#define SHOW_MAX	40	/* untrusted text quoted in a message, at most */

struct ctx {
	const void *fdt;
	char *err;
	size_t errlen;
};

static int fail(struct ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(struct ctx *c, const char *fmt, ...)
{
	va_list ap;

	if (c->errlen) {
		va_start(ap, fmt);
		vsnprintf(c->err, c->errlen, fmt, ap);
		va_end(ap);
	}
	return -1;
}

static int fdt_fail(struct ctx *c, int fdt_err)
{
	if (fdt_err == -FDT_ERR_ALIGNMENT)	/* libfdt 1.6.1's fdt_strerror lacks it */
		return fail(c, "not a flattened device tree: FDT_ERR_ALIGNMENT (not 8-byte aligned in memory)");
	return fail(c, "not a flattened device tree: %s", fdt_strerror(fdt_err));
}

/*
 * Untrusted text (a node's or a property's name, a value) made fit for a
 * one-line message: printable ASCII, other bytes as '?', cut at SHOW_MAX.
 */
static const char *show(char buf[SHOW_MAX + 4], const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n && i < SHOW_MAX; i++)
		buf[i] = s[i] >= 0x20 && s[i] < 0x7f ? s[i] : '?';
	strcpy(buf + i, n > SHOW_MAX ? "..." : "");
	return buf;
}

/* One node's properties by name: NULL where absent. */
struct prop {
	const char *val;
	int len;
};

/*
 * Collect the properties of node into p[] (p[i] for names[i]); an unknown
 * or a second property of a name is an error.
 */
static int collect(struct ctx *c, int node, const char *path, const char *const names[],
		   int n, struct prop p[])
{
	char buf[SHOW_MAX + 4];
	const char *name, *val;
	int off, len, i;

	memset(p, 0, n * sizeof(*p));
	fdt_for_each_property_offset(off, c->fdt, node) {
		val = fdt_getprop_by_offset(c->fdt, off, &name, &len);
		if (!val)
			return fdt_fail(c, len);
		for (i = 0; i < n && strcmp(name, names[i]); i++)
			;
		if (i == n)
			return fail(c, "%s: %s: unknown property", path,
				    show(buf, name, strlen(name)));
		if (p[i].val)
			return fail(c, "%s: %s: duplicate property", path, name);
		p[i].val = val;
		p[i].len = len;
	}
	return off == -FDT_ERR_NOTFOUND ? 0 : fdt_fail(c, off);
}

/* A big-endian cell, wherever it is. */
static uint32_t be32(const char *p)
{
	const unsigned char *b = (const unsigned char *)p;

	return (uint32_t)b[0] << 24 | b[1] << 16 | b[2] << 8 | b[3];
}

static int get_u32(struct ctx *c, const char *path, const char *name, const struct prop *p,
		   uint32_t *v)
{
	if (p->len != 4)
		return fail(c, "%s: %s: must be one u32 (4 bytes), got %d", path, name, p->len);
	*v = be32(p->val);
	return 0;
}

/* A string property: one NUL-terminated, non-empty, printable string. */
static int get_str(struct ctx *c, const char *path, const char *name, const struct prop *p,
		   size_t max, const char **s)
{
	size_t n = p->len ? strnlen(p->val, p->len) : 0;
	size_t i;

	if (n == 0 && p->len <= 1)
		return fail(c, "%s: %s: must be a non-empty string", path, name);
	if (p->val[p->len - 1] != '\0')
		return fail(c, "%s: %s: must be a NUL-terminated string", path, name);
	if (n != (size_t)p->len - 1)
		return fail(c, "%s: %s: must be one string, not a list", path, name);
	for (i = 0; i < n; i++)
		if (p->val[i] < 0x20 || p->val[i] >= 0x7f)
			return fail(c, "%s: %s: must be printable ASCII, got a 0x%02x byte", path,
				    name, (unsigned char)p->val[i]);
	if (n > max)
		return fail(c, "%s: %s: at most %zu characters, got %zu", path, name, max, n);
	*s = p->val;
	return 0;
}

static int get_cells(struct ctx *c, const char *path, struct prop p[2])
{
	static const char *const names[] = { "#address-cells", "#size-cells" };
	uint32_t v;
	int i;

	for (i = 0; i < 2; i++)
		if (p[i].val && get_u32(c, path, names[i], &p[i], &v))
			return -1;
	return 0;
}

/* A string that is one of vals[n]: its index; an error naming them all if none. */
static int get_choice(struct ctx *c, const char *path, const char *name, const struct prop *p,
		      const char *const vals[], int n, const char *list)
{
	char buf[SHOW_MAX + 4];
	const char *s;
	int i;

	if (get_str(c, path, name, p, MF_PATH_MAX, &s))
		return -1;
	for (i = 0; i < n; i++)
		if (!strcmp(s, vals[i]))
			return i;
	return fail(c, "%s: %s: must be %s, got \"%s\"", path, name, list, show(buf, s, strlen(s)));
}

static int valid_name(const char *s, int len)
{
	int i;

	if (len < 1 || len > MF_NAME_MAX || s[0] < 'a' || s[0] > 'z')
		return 0;
	for (i = 0; i < len; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '-'))
			return 0;
	return 1;
}

/* A guest's properties, in the binding's order, which is that of the checks. */
enum { G_MEMORY, G_VCPUS, G_KERNEL, G_AFFINITY, G_INITRAMFS, G_BOOTARGS, G_CONSOLE, G_PREFIX,
       G_PATH, G_POWEROFF, G_NPROPS };
static const char *const guest_props[G_NPROPS] = {
	"memory-mib", "vcpus", "kernel", "cpu-affinity", "initramfs", "bootargs", "console",
	"console-prefix", "console-path", "on-poweroff",
};

/* owner[cpu]: 1 + the index of the guest that owns host CPU cpu, or 0. */
static int parse_guest(struct ctx *c, int node, struct manifest *m, unsigned char owner[])
{
	static const char *const consoles[] = { "stdout", "file", "pty" };
	static const char *const poweroffs[] = { "stop-all", "stop-self" };
	static const int required[3] = { G_MEMORY, G_VCPUS, G_KERNEL };
	struct mf_guest *g = &m->guest[m->nguests];
	struct prop p[G_NPROPS];
	char path[sizeof("/guests/") + SHOW_MAX + 4], buf[SHOW_MAX + 4];
	const char *name;
	uint32_t i, j, cpu;
	int len, sub, k;

	name = fdt_get_name(c->fdt, node, &len);
	if (!name)
		return fdt_fail(c, len);
	snprintf(path, sizeof(path), "/guests/%s", show(buf, name, len));
	if (memchr(name, '@', len))
		return fail(c, "%s: node name: no unit address (the name is the guest's name)", path);
	if (!valid_name(name, len))
		return fail(c, "%s: node name: must be 1..%d characters of a-z, 0-9 and '-', "
			    "starting with a letter", path, MF_NAME_MAX);
	memcpy(g->name, name, len);
	g->name[len] = '\0';
	for (i = 0; i < m->nguests; i++)
		if (!strcmp(m->guest[i].name, g->name))
			return fail(c, "%s: duplicate node name", path);
	sub = fdt_first_subnode(c->fdt, node);
	if (sub >= 0) {
		name = fdt_get_name(c->fdt, sub, &len);
		if (!name)
			return fdt_fail(c, len);
		return fail(c, "%s/%s: unknown node (a guest has no child nodes)", path,
			    show(buf, name, len));
	}
	if (sub != -FDT_ERR_NOTFOUND)
		return fdt_fail(c, sub);
	if (collect(c, node, path, guest_props, G_NPROPS, p))
		return -1;

	for (k = 0; k < 3; k++)
		if (!p[required[k]].val)
			return fail(c, "%s: %s: missing (required)", path, guest_props[required[k]]);
	if (get_u32(c, path, "memory-mib", &p[G_MEMORY], &g->memory_mib))
		return -1;
	if (g->memory_mib < MF_MIN_MIB || g->memory_mib > MF_MAX_MIB)
		return fail(c, "%s: memory-mib: must be %d..%d, got %u", path, MF_MIN_MIB,
			    MF_MAX_MIB, g->memory_mib);
	if (get_u32(c, path, "vcpus", &p[G_VCPUS], &g->vcpus))
		return -1;
	if (g->vcpus < 1 || g->vcpus > MF_MAX_VCPUS)
		return fail(c, "%s: vcpus: must be 1..%d, got %u", path, MF_MAX_VCPUS, g->vcpus);
	if (get_str(c, path, "kernel", &p[G_KERNEL], MF_PATH_MAX, &g->kernel))
		return -1;

	if (p[G_AFFINITY].val) {
		const struct prop *a = &p[G_AFFINITY];

		if (a->len == 0 || a->len % 4)
			return fail(c, "%s: cpu-affinity: must be u32 cells, got %d bytes", path,
				    a->len);
		if ((uint32_t)a->len / 4 != g->vcpus)
			return fail(c, "%s: cpu-affinity: must be one cell per vCPU (%u), got %d",
				    path, g->vcpus, a->len / 4);
		for (i = 0; i < g->vcpus; i++) {
			cpu = be32(a->val + 4 * i);
			if (cpu >= MF_HOST_CPUS)
				return fail(c, "%s: cpu-affinity: host CPU %u out of range 0..%d",
					    path, cpu, MF_HOST_CPUS - 1);
			for (j = 0; j < i; j++)
				if (g->cpu[j] == cpu)
					return fail(c, "%s: cpu-affinity: host CPU %u given twice",
						    path, cpu);
			if (owner[cpu])
				return fail(c, "%s: cpu-affinity: host CPU %u already belongs to "
					    "/guests/%s", path, cpu, m->guest[owner[cpu] - 1].name);
			g->cpu[i] = cpu;
		}
		for (i = 0; i < g->vcpus; i++)
			owner[g->cpu[i]] = m->nguests + 1;
		g->pinned = 1;
	}

	if (p[G_INITRAMFS].val &&
	    get_str(c, path, "initramfs", &p[G_INITRAMFS], MF_PATH_MAX, &g->initramfs))
		return -1;
	g->bootargs = "console=ttyS0";
	if (p[G_BOOTARGS].val &&
	    get_str(c, path, "bootargs", &p[G_BOOTARGS], MF_BOOTARGS_MAX, &g->bootargs))
		return -1;

	g->console = MF_CONSOLE_STDOUT;
	if (p[G_CONSOLE].val) {
		k = get_choice(c, path, "console", &p[G_CONSOLE], consoles, 3,
			       "\"stdout\", \"file\" or \"pty\"");
		if (k < 0)
			return -1;
		g->console = k;
	}
	if (p[G_PREFIX].val) {
		if (g->console != MF_CONSOLE_STDOUT)
			return fail(c, "%s: console-prefix: only with console = \"stdout\"", path);
		if (get_str(c, path, "console-prefix", &p[G_PREFIX], MF_PREFIX_MAX,
			    &g->console_prefix))
			return -1;
	} else if (g->console == MF_CONSOLE_STDOUT) {
		len = strlen(g->name);		/* "<name>| " */
		memcpy(g->default_prefix, g->name, len);
		memcpy(g->default_prefix + len, "| ", 3);
		g->console_prefix = g->default_prefix;
	}
	if (p[G_PATH].val) {
		if (g->console != MF_CONSOLE_FILE)
			return fail(c, "%s: console-path: only with console = \"file\"", path);
		if (get_str(c, path, "console-path", &p[G_PATH], MF_PATH_MAX, &g->console_path))
			return -1;
	} else if (g->console == MF_CONSOLE_FILE) {
		return fail(c, "%s: console-path: missing (required with console = \"file\")",
			    path);
	}

	g->on_poweroff = MF_POWEROFF_STOP_ALL;
	if (p[G_POWEROFF].val) {
		k = get_choice(c, path, "on-poweroff", &p[G_POWEROFF], poweroffs, 2,
			       "\"stop-all\" or \"stop-self\"");
		if (k < 0)
			return -1;
		g->on_poweroff = k;
	}
	m->nguests++;
	return 0;
}

/* The root's properties; /guests has the first two. */
enum { R_ADDRESS_CELLS, R_SIZE_CELLS, R_COMPATIBLE, R_MODEL, R_NPROPS };
static const char *const root_props[R_NPROPS] = {
	"#address-cells", "#size-cells", "compatible", "model",
};

static int parse(struct ctx *c, size_t len, struct manifest *m)
{
	unsigned char owner[MF_HOST_CPUS] = { 0 };
	char buf[SHOW_MAX + 4];
	struct prop p[R_NPROPS];
	const char *name, *model;
	int err, node, guests = -1, n;
	uint32_t version;

	if (len < sizeof(struct fdt_header))
		return fdt_fail(c, -FDT_ERR_TRUNCATED);
	if (len > MF_FILE_MAX)
		return fail(c, "too large for a manifest: %zu bytes, at most %d", len, MF_FILE_MAX);
	if ((uintptr_t)c->fdt & 7)
		return fdt_fail(c, -FDT_ERR_ALIGNMENT);
	/*
	 * Before 16, a node's name was its full path; libfdt 1.6.1's
	 * fdt_check_full() dereferences NULL on such a root (the fuzzer found
	 * it). dtc has written 17 since 2007.
	 */
	version = be32((const char *)c->fdt + offsetof(struct fdt_header, version));
	if (be32(c->fdt) == FDT_MAGIC && version < 16)
		return fail(c, "not a flattened device tree: FDT_ERR_BADVERSION (version %u, "
			    "older than 16)", version);
	err = fdt_check_full(c->fdt, len);
	if (err)
		return fdt_fail(c, err);
	if (fdt_totalsize(c->fdt) != len)
		return fail(c, "not a flattened device tree: %zu bytes, its header says %u", len,
			    fdt_totalsize(c->fdt));

	if (collect(c, 0, "/", root_props, R_NPROPS, p) || get_cells(c, "/", p))
		return -1;
	if (!p[R_COMPATIBLE].val)
		return fail(c, "/: compatible: missing (required)");
	if (p[R_COMPATIBLE].len != sizeof(COMPATIBLE) ||
	    memcmp(p[R_COMPATIBLE].val, COMPATIBLE, sizeof(COMPATIBLE)))
		return fail(c, "/: compatible: must be \"" COMPATIBLE "\"");
	if (p[R_MODEL].val && get_str(c, "/", "model", &p[R_MODEL], MF_PATH_MAX, &model))
		return -1;
	fdt_for_each_subnode(node, c->fdt, 0) {
		name = fdt_get_name(c->fdt, node, &n);
		if (!name)
			return fdt_fail(c, n);
		if (n != 6 || memcmp(name, "guests", 6))
			return fail(c, "/%s: unknown node (the root holds only /guests)",
				    show(buf, name, n));
		if (guests >= 0)
			return fail(c, "/guests: duplicate node");
		guests = node;
	}
	if (node != -FDT_ERR_NOTFOUND)
		return fdt_fail(c, node);
	if (guests < 0)
		return fail(c, "/guests: missing (required)");

	if (collect(c, guests, "/guests", root_props, R_SIZE_CELLS + 1, p) ||
	    get_cells(c, "/guests", p))
		return -1;
	fdt_for_each_subnode(node, c->fdt, guests) {
		if (m->nguests == MF_MAX_GUESTS)
			return fail(c, "/guests: more than %d guests", MF_MAX_GUESTS);
		if (parse_guest(c, node, m, owner))
			return -1;
	}
	if (node != -FDT_ERR_NOTFOUND)
		return fdt_fail(c, node);
	if (m->nguests == 0)
		return fail(c, "/guests: no guest (at least one is required)");
	return 0;
}

int manifest_parse(const void *blob, size_t len, struct manifest *m, char *err, size_t errlen)
{
	struct ctx c = { blob, err, errlen };

	memset(m, 0, sizeof(*m));
	if (errlen)
		err[0] = '\0';
	if (parse(&c, len, m)) {
		memset(m, 0, sizeof(*m));
		return -1;
	}
	return 0;
}

int manifest_load(const char *path, struct manifest *m, void **blob, char *err, size_t errlen)
{
	struct ctx c = { NULL, err, errlen };
	size_t len = 0;
	char *buf, *small;
	ssize_t n;
	int fd;

	*blob = NULL;
	memset(m, 0, sizeof(*m));
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return fail(&c, "%s", strerror(errno));
	buf = malloc(MF_FILE_MAX + 1);	/* one more: a larger file shows */
	if (!buf) {
		close(fd);
		return fail(&c, "%s", strerror(ENOMEM));
	}
	do {
		n = read(fd, buf + len, MF_FILE_MAX + 1 - len);
		if (n > 0)
			len += n;
	} while ((n > 0 && len <= MF_FILE_MAX) || (n < 0 && errno == EINTR));
	if (n < 0) {
		fail(&c, "%s", strerror(errno));
		goto out;
	}
	if (len > MF_FILE_MAX) {
		fail(&c, "too large for a manifest: more than %d bytes", MF_FILE_MAX);
		goto out;
	}
	if (len > 0 && (small = realloc(buf, len)))	/* before the strings point into it */
		buf = small;
	if (manifest_parse(buf, len, m, err, errlen) == 0) {
		close(fd);
		*blob = buf;
		return 0;
	}
out:
	close(fd);
	free(buf);
	return -1;
}
