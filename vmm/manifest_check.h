/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What manifest_parse() promises, checked from the outside: by the unit
 * test (manifest_test.c) and by the fuzzer (manifest_fuzz.c) on every
 * input. Each returns NULL if the promise holds, else what is broken.
 */
#ifndef KVMINI_VMM_MANIFEST_CHECK_H
#define KVMINI_VMM_MANIFEST_CHECK_H

#include <string.h>

#include "manifest.h"

/* s: a NUL-terminated, non-empty, printable string of at most max characters. */
static inline int mfc_string(const char *s, size_t max)
{
	size_t i;

	for (i = 0; s[i]; i++)
		if (s[i] < 0x20 || s[i] >= 0x7f)
			return 0;
	return i >= 1 && i <= max;
}

/* s: the blob's bytes (it and its NUL within the blob), or NULL if allowed. */
static inline int mfc_in_blob(const char *s, const void *blob, size_t len, int null_ok)
{
	const char *b = blob;

	if (!s)
		return null_ok;
	return s >= b && s < b + len && memchr(s, '\0', b + len - s);
}

static inline const char *mf_check_guest(const struct manifest *m, uint32_t i,
					 const void *blob, size_t len)
{
	const struct mf_guest *g = &m->guest[i];
	size_t n = strnlen(g->name, sizeof(g->name)), k;
	uint32_t j, v, w;

	if (n < 1 || n > MF_NAME_MAX || g->name[0] < 'a' || g->name[0] > 'z')
		return "a name's length or first character";
	for (k = 0; k < n; k++)
		if (!strchr("abcdefghijklmnopqrstuvwxyz0123456789-", g->name[k]))
			return "a name's characters";
	for (j = 0; j < i; j++)
		if (!strcmp(m->guest[j].name, g->name))
			return "two guests of one name";
	if (g->memory_mib < MF_MIN_MIB || g->memory_mib > MF_MAX_MIB)
		return "memory_mib out of range";
	if (g->vcpus < 1 || g->vcpus > MF_MAX_VCPUS)
		return "vcpus out of range";
	for (v = 0; v < MF_MAX_VCPUS; v++) {
		if (!g->pinned || v >= g->vcpus) {
			if (g->cpu[v])
				return "a cpu[] set beyond the pinned vCPUs";
			continue;
		}
		if (g->cpu[v] >= MF_HOST_CPUS)
			return "a host CPU out of range";
		for (w = 0; w < v; w++)
			if (g->cpu[w] == g->cpu[v])
				return "a host CPU twice in a guest";
		for (j = 0; j < i; j++)
			for (w = 0; m->guest[j].pinned && w < m->guest[j].vcpus; w++)
				if (m->guest[j].cpu[w] == g->cpu[v])
					return "a host CPU in two guests";
	}
	if (!mfc_in_blob(g->kernel, blob, len, 0) || !mfc_string(g->kernel, MF_PATH_MAX))
		return "kernel";
	if (!mfc_in_blob(g->initramfs, blob, len, 1) ||
	    (g->initramfs && !mfc_string(g->initramfs, MF_PATH_MAX)))
		return "initramfs";
	if (!g->bootargs ||
	    (!mfc_in_blob(g->bootargs, blob, len, 0) && strcmp(g->bootargs, "console=ttyS0")) ||
	    !mfc_string(g->bootargs, MF_BOOTARGS_MAX))
		return "bootargs";
	switch (g->console) {
	case MF_CONSOLE_STDOUT:
		if (g->console_path || !g->console_prefix)
			return "stdout console: path or prefix";
		if (g->console_prefix != g->default_prefix &&
		    !mfc_in_blob(g->console_prefix, blob, len, 0))
			return "console_prefix outside the blob";
		if (!mfc_string(g->console_prefix, MF_PREFIX_MAX))
			return "console_prefix";
		if (g->console_prefix == g->default_prefix &&
		    (strncmp(g->default_prefix, g->name, n) || strcmp(g->default_prefix + n, "| ")))
			return "default_prefix is not \"<name>| \"";
		break;
	case MF_CONSOLE_FILE:
		if (g->console_prefix || !mfc_in_blob(g->console_path, blob, len, 0) ||
		    !mfc_string(g->console_path, MF_PATH_MAX))
			return "file console: path or prefix";
		break;
	case MF_CONSOLE_PTY:
		if (g->console_prefix || g->console_path)
			return "pty console: path or prefix";
		break;
	default:
		return "console out of range";
	}
	if (g->on_poweroff != MF_POWEROFF_STOP_ALL && g->on_poweroff != MF_POWEROFF_STOP_SELF)
		return "on_poweroff out of range";
	return NULL;
}

/* After manifest_parse(blob, len, m, err, errlen) returned rc. */
static inline const char *mf_check(int rc, const struct manifest *m, const void *blob,
				   size_t len, const char *err, size_t errlen)
{
	static const struct manifest zero;
	const char *why;
	size_t i, n;
	uint32_t g;

	if (rc != 0 && rc != -1)
		return "rc is neither 0 nor -1";
	n = strnlen(err, errlen);
	if (n == errlen)
		return "err not NUL-terminated";
	if (rc == -1) {
		if (n == 0)
			return "failed without a message";
		for (i = 0; i < n; i++)
			if (err[i] < 0x20 || err[i] >= 0x7f)
				return "err not one printable line";
		if (memcmp(m, &zero, sizeof(zero)))
			return "failed but *m not zeroed";
		return NULL;
	}
	if (n)
		return "succeeded with a message";
	if (m->nguests < 1 || m->nguests > MF_MAX_GUESTS)
		return "nguests out of range";
	for (g = 0; g < m->nguests; g++)
		if ((why = mf_check_guest(m, g, blob, len)))
			return why;
	for (g = m->nguests; g < MF_MAX_GUESTS; g++)
		if (memcmp(&m->guest[g], &zero.guest[0], sizeof(zero.guest[0])))
			return "a guest beyond nguests not zeroed";
	return NULL;
}

#endif
