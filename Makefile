# SPDX-License-Identifier: GPL-2.0
#
#   make                 build kmod/kvmini.ko for the running kernel (KDIR=… to override)
#   make install         install the module and its udev rule on this machine
#   make check           build everything and run the selftests in emulated hosts
#                        (T=<pattern> for a subset, HOST=amd for one host)
#   make demo            run the sample VMM (selftests/demo) in an emulated host
#   make fuzz            fuzz for FUZZ_SECONDS (180) side by side: the MMIO instruction
#                        decoder and the VMM's manifest parser with libFuzzer here (on
#                        fewer than 3 cores one after the other, half the time each),
#                        and the ioctls (ioctl_fuzz_test's
#                        long mode: rounds of a multi-threaded fuzzer, each checked for
#                        leaks, dead VMs and a clean kernel log) in the emulated AMD host;
#                        FUZZ_SEED=N to repeat an ioctl fuzzing run (selftests/host/fuzz.sh)
#   make bench           benchmarks (selftests/bench) in one boot of the emulated AMD
#                        host, on kvmini and then on the distro KVM: one table of
#                        both medians and kvmini/KVM; never fails on a figure
#                        (BENCH_QEMU=1: QEMU's boot and live-migration times too)
#   make clean           back to the tree as cloned

KDIR ?= /lib/modules/$(shell uname -r)/build

all: modules

modules:
	@test -d "$(KDIR)" || { echo "kvmini: no kernel headers in $(KDIR): apt-get install linux-headers-$$(uname -r), or make KDIR=<kernel build dir>"; exit 1; }
	$(MAKE) -C "$(KDIR)" M="$(CURDIR)" modules

install: modules
	$(MAKE) -C "$(KDIR)" M="$(CURDIR)" modules_install
	install -D -m 0644 kmod/60-kvmini.rules /etc/udev/rules.d/60-kvmini.rules
	depmod -a

check:
	@selftests/host/check.sh

demo:
	@selftests/demo/demo.sh

bench:
	@selftests/bench/bench.sh

fuzz:	# clang with libFuzzer: Debian's clang and libclang-rt-dev
	@dpkg-query -W clang libclang-rt-dev > /dev/null 2>&1 || { apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq clang libclang-rt-dev; }
	@selftests/host/fuzz.sh

clean:
	rm -rf kmod/*.o kmod/*.ko kmod/*.mod kmod/*.mod.c kmod/.*.cmd kmod/modules.order \
	       .*.cmd Module.symvers modules.order .tmp_versions build
	$(MAKE) -C selftests clean
	$(MAKE) -C selftests/demo clean
	$(MAKE) -C selftests/insn clean
	$(MAKE) -C selftests/bench clean
	$(MAKE) -C vmm clean

.PHONY: all modules install check demo bench fuzz clean
