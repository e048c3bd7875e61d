# SPDX-License-Identifier: GPL-2.0
#
#   make                 build kmod/kvmini.ko for the running kernel (KDIR=… to override)
#   make install         install the module and its udev rule on this machine
#   make dkms-install    install with DKMS (dkms.conf): the sources to /usr/src/kvmini-VERSION,
#                        kvmini.ko built and installed for every kernel with headers
#                        (KVERS="<ver> ..." for some) and rebuilt for kernels installed
#                        later, and the udev rule; replaces any kvmini already in DKMS
#   make dkms-remove     undo dkms-install: every kvmini version out of DKMS and of
#                        every kernel, its /usr/src copy and the udev rule
#   make check           build everything and run the selftests in emulated hosts
#                        (T=<pattern> for a subset, HOST=amd for one host)
#   make demo            two Linux guests side by side on kvmini from one device-tree
#                        manifest (selftests/demo/demo.dts), started by kvmini-vmm (vmm/),
#                        in the emulated AMD host; then how guests stop (stop.dts)
#   make -C vmm          build kvmini-vmm alone (vmm/Makefile: test, fuzz)
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
#   make clean           back to the tree as cloned (make kmod-clean: only the module's
#                        build products)

KDIR ?= /lib/modules/$(shell uname -r)/build

# The version is written once, in dkms.conf.
KVMINI_VERSION := $(shell sed -n 's/^PACKAGE_VERSION="*\([^"]*\)"*$$/\1/p' dkms.conf)
DKMS_SRC := /usr/src/kvmini-$(KVMINI_VERSION)
# What Kbuild needs, and no build products.
DKMS_FILES = Kbuild Makefile dkms.conf LICENSE $(wildcard kmod/Kbuild kmod/*.[chS] kmod/*.rules) \
	      $(shell find uapi -name '*.h')
# Every kernel whose headers are installed.
KVERS ?= $(shell for d in /lib/modules/*/build/include; do \
		[ -d "$$d" ] && basename "$${d%/build/include}"; done)
UDEV_RULE := /etc/udev/rules.d/60-kvmini.rules

all: modules

modules:
	@test -d "$(KDIR)" || { echo "kvmini: no kernel headers in $(KDIR): apt-get install linux-headers-$$(uname -r), or make KDIR=<kernel build dir>"; exit 1; }
	$(MAKE) -C "$(KDIR)" M="$(CURDIR)" modules

install: modules
	$(MAKE) -C "$(KDIR)" M="$(CURDIR)" modules_install
	install -D -m 0644 kmod/60-kvmini.rules $(UDEV_RULE)
	depmod -a

dkms-install:
	@command -v dkms > /dev/null || { echo "kvmini: dkms is not installed: apt-get install dkms"; exit 1; }
	@test -n "$(KVMINI_VERSION)" || { echo "kvmini: no PACKAGE_VERSION in dkms.conf"; exit 1; }
	@test -n "$(strip $(KVERS))" || { echo "kvmini: no kernel headers in /lib/modules/*/build: apt-get install linux-headers-$$(uname -r)"; exit 1; }
	@$(MAKE) --no-print-directory dkms-remove
	mkdir -p $(DKMS_SRC)
	cp --parents $(DKMS_FILES) $(DKMS_SRC)/
	dkms add kvmini/$(KVMINI_VERSION)
	@set -e; for k in $(KVERS); do \
		echo "dkms build kvmini/$(KVMINI_VERSION) -k $$k && dkms install kvmini/$(KVMINI_VERSION) -k $$k"; \
		dkms build kvmini/$(KVMINI_VERSION) -k $$k; \
		dkms install kvmini/$(KVMINI_VERSION) -k $$k; \
	done
	install -D -m 0644 kmod/60-kvmini.rules $(UDEV_RULE)

# Every version dkms knows ("kvmini/V, KERNEL, ARCH: installed" or
# "kvmini/V: added" in dkms status), on every kernel.
dkms-remove:
	@if command -v dkms > /dev/null; then set -e; \
		for v in $$(dkms status -m kvmini | sed -n 's|^kvmini/\([^,:]*\)[,:].*|\1|p' | sort -u); do \
			echo "dkms remove kvmini/$$v --all"; \
			dkms remove kvmini/$$v --all; \
			rm -rf /usr/src/kvmini-$$v; \
		done; \
	fi
	rm -rf $(DKMS_SRC) $(UDEV_RULE)

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

# The module's build products (dkms.conf's CLEAN).
kmod-clean:
	rm -rf kmod/*.o kmod/*.ko kmod/*.mod kmod/*.mod.c kmod/.*.cmd kmod/modules.order \
	       .*.cmd Module.symvers modules.order .tmp_versions

clean: kmod-clean
	rm -rf build
	$(MAKE) -C selftests clean
	$(MAKE) -C selftests/demo clean
	$(MAKE) -C selftests/insn clean
	$(MAKE) -C selftests/bench clean
	$(MAKE) -C vmm clean

.PHONY: all modules install dkms-install dkms-remove kmod-clean check demo bench fuzz clean
