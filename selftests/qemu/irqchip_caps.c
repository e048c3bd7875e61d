// SPDX-License-Identifier: GPL-2.0
/*
 * boot.sh's probe, run in the emulated host before a split-irqchip boot:
 * which of the capabilities QEMU's -machine kernel-irqchip=split relies
 * on the hypervisor behind DEV (default /dev/kvm: KVM, or kvmini loaded
 * with kvm_alias=1) reports. Prints one line,
 *   split_irqchip=N irqfd=N ioeventfd=N signal_msi=N irq_routing=N
 * and exits 0 if it has KVM_CAP_SPLIT_IRQCHIP, 1 if not, 2 if DEV does not
 * open. Built static by boot.sh (the host's userland is busybox).
 *
 *   irqchip_caps [DEV]
 */
#include <fcntl.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "../../uapi/linux/kvmini.h"

int main(int argc, char **argv)
{
	static const struct { const char *name; long cap; } caps[] = {
		{ "split_irqchip", KVMINI_CAP_SPLIT_IRQCHIP },
		{ "irqfd", KVMINI_CAP_IRQFD },
		{ "ioeventfd", KVMINI_CAP_IOEVENTFD },
		{ "signal_msi", KVMINI_CAP_SIGNAL_MSI },
		{ "irq_routing", KVMINI_CAP_IRQ_ROUTING },
	};
	const char *dev = argc > 1 ? argv[1] : "/dev/kvm";
	int fd = open(dev, O_RDWR), split = 0;
	unsigned int i;

	if (fd < 0) {
		perror(dev);
		return 2;
	}
	for (i = 0; i < sizeof(caps) / sizeof(caps[0]); i++) {
		int r = ioctl(fd, KVMINI_CHECK_EXTENSION, caps[i].cap);

		printf("%s%s=%d", i ? " " : "", caps[i].name, r);
		if (caps[i].cap == KVMINI_CAP_SPLIT_IRQCHIP)
			split = r > 0;
	}
	printf("\n");
	close(fd);
	return split ? 0 : 1;
}
