/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Small helpers shared by the kvmini selftests.
 */
#ifndef KVMINI_SELFTEST_UTIL_H
#define KVMINI_SELFTEST_UTIL_H

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <linux/kvmini.h>

#define KVMINI_DEV "/dev/kvmini"
#define KVMINI_DEBUGFS "/sys/kernel/debug/kvmini"

/* ioctl() that returns -errno instead of -1, for negative tests. */
static inline long ioctl_err(int fd, unsigned long cmd, unsigned long arg)
{
	long r = ioctl(fd, cmd, arg);

	return r < 0 ? -errno : r;
}

/* A counter under /sys/kernel/debug/kvmini, or -1 if unavailable. */
static inline long kvmini_debugfs_read(const char *name)
{
	char path[256];
	long val = -1;
	FILE *f;

	snprintf(path, sizeof(path), KVMINI_DEBUGFS "/%s", name);
	f = fopen(path, "r");
	if (!f)
		return -1;
	if (fscanf(f, "%ld", &val) != 1)
		val = -1;
	fclose(f);
	return val;
}

/* A /proc/meminfo field in kB, or -1. */
static inline long meminfo_kb(const char *field)
{
	char line[256];
	size_t len = strlen(field);
	long val = -1;
	FILE *f = fopen("/proc/meminfo", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, field, len) && line[len] == ':') {
			val = strtol(line + len + 1, NULL, 10);
			break;
		}
	fclose(f);
	return val;
}

/* Write a string to a sysfs/procfs file; 0 or -errno. */
static inline int write_file(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, s, strlen(s));
	n = n < 0 ? -errno : 0;
	close(fd);
	return n;
}

#endif
