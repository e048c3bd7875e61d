/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The manifest: which guests kvmini-vmm starts side by side, read from a
 * flattened device tree (dtc's output) with libfdt. The binding, every
 * node and property with its rules, is vmm/manifest-binding.txt.
 */
#ifndef KVMINI_VMM_MANIFEST_H
#define KVMINI_VMM_MANIFEST_H

#include <stddef.h>
#include <stdint.h>

#define MF_MAX_GUESTS	16
#define MF_MAX_VCPUS	64
#define MF_NAME_MAX	31		/* a guest's node name: [a-z0-9-], 1..31 */
#define MF_MIN_MIB	16
#define MF_MAX_MIB	3072		/* all RAM below the 32-bit MMIO hole */
#define MF_HOST_CPUS	1024		/* cpu-affinity: host CPUs 0..1023 (CPU_SETSIZE) */
#define MF_PATH_MAX	4095		/* kernel, initramfs, console-path (PATH_MAX - 1) */
#define MF_BOOTARGS_MAX	2047		/* x86's COMMAND_LINE_SIZE - 1 */
#define MF_PREFIX_MAX	64		/* console-prefix */
#define MF_FILE_MAX	(1 << 20)	/* a manifest's bytes, at most */

enum mf_console {
	MF_CONSOLE_STDOUT,		/* this process's stdout, each line prefixed */
	MF_CONSOLE_FILE,		/* appended to console-path */
	MF_CONSOLE_PTY,			/* a new pseudo-terminal, its name printed */
};

enum mf_poweroff {
	MF_POWEROFF_STOP_ALL,		/* the guest powers off: every guest stops */
	MF_POWEROFF_STOP_SELF,		/* only this guest stops, the others run on */
};

struct mf_guest {
	char name[MF_NAME_MAX + 1];	/* the node's name under /guests */
	uint32_t memory_mib;
	uint32_t vcpus;
	int pinned;			/* cpu-affinity given */
	uint32_t cpu[MF_MAX_VCPUS];	/* host CPU of vCPU i's thread, if pinned */
	/*
	 * Strings point into the blob, which must outlive the manifest;
	 * defaults are static strings, or default_prefix below (so a copy
	 * of a struct mf_guest must not outlive the original).
	 */
	const char *kernel;		/* bzImage path, as written */
	const char *initramfs;		/* NULL: none */
	const char *bootargs;		/* the kernel's command line */
	enum mf_console console;
	const char *console_path;	/* MF_CONSOLE_FILE only, else NULL */
	const char *console_prefix;	/* MF_CONSOLE_STDOUT only, else NULL;
					   by default default_prefix */
	enum mf_poweroff on_poweroff;
	char default_prefix[MF_NAME_MAX + 3];	/* "<name>| " */
};

struct manifest {
	uint32_t nguests;
	struct mf_guest guest[MF_MAX_GUESTS];
};

/*
 * Check the blob (any bytes: fdt_check_full before any other libfdt call)
 * against the binding and fill *m. On a violation write one line, without
 * a newline, naming the node and the property ("/guests/alpha: vcpus: must
 * be 1..64, got 0") to err, zero *m and return -1; 0 on success. Never
 * reads outside [blob, blob+len). libfdt wants the blob 8-byte aligned
 * (malloc's is); len must be the blob's size exactly, at most MF_FILE_MAX.
 */
int manifest_parse(const void *blob, size_t len, struct manifest *m,
		   char *err, size_t errlen);

/*
 * Read the file at path (at most MF_FILE_MAX bytes), then manifest_parse();
 * *blob gets the malloc'd bytes (NULL on failure), the caller frees them
 * after the manifest. err as manifest_parse's, without the file's name.
 */
int manifest_load(const char *path, struct manifest *m, void **blob,
		  char *err, size_t errlen);

#endif
