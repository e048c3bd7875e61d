#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# `make demo`: on a Debian 12 machine (root), install what is missing, build
# kvmini.ko for Debian's distro kernel and the sample VMM with its guest,
# then boot the emulated AMD host (selftests/host/run.sh), load the module
# there and run the VMM, whose transcript shows up here; then boot Linux
# under Debian's unmodified QEMU on kvmini and on the distro KVM, showing
# the guest's console and both boot times (selftests/qemu/boot.sh, its
# split-irqchip boots with a virtio-blk disk too: q35, pc, q35 -smp 2). Exit
# non-zero if either fails or the host's kernel log shows a problem.
set -euo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
demo_dir=$top/selftests/demo
build=$top/build/demo
cd "$top"

# --- 1. packages and the module (selftests/host/prep.sh) ---
. "$top/selftests/host/prep.sh"
prep demo "$build" "qemu-system-x86 linux-image-amd64 linux-headers-amd64 busybox-static
      cpio kmod xz-utils gcc binutils make libc6-dev
      syslinux syslinux-common mtools dosfstools"

# --- 2. build: the rest ---
make -s -C "$demo_dir" > "$build/vmm.log" 2>&1 ||
	{ cat "$build/vmm.log"; echo "demo: the VMM build failed"; exit 1; }

# --- 3. the job: load the module, run the VMM, unload ---
job=$build/job
rm -rf "$job"
mkdir -p "$job"
cp kmod/kvmini.ko "$demo_dir/vmm" "$demo_dir/guest.bin" "$job/"
cat > "$job/run" <<'JOB'
insmod ./kvmini.ko || { echo "demo: insmod kvmini.ko failed"; exit 1; }
echo "\$ ./vmm guest.bin"
./vmm guest.bin
rc=$?
rmmod kvmini || { echo "demo: rmmod kvmini failed"; rc=1; }
exit $rc
JOB

rc=0
echo "# 1. the sample VMM (selftests/demo/vmm.c) on kvmini"
"$top/selftests/host/run.sh" --host amd --kver "$kver" --timeout 300 --out "$build/host" "$job" || rc=$?

# --- 4. unmodified QEMU on kvmini (as /dev/kvm) boots Linux; then on KVM ---
echo "# 2. Debian's QEMU on kvmini boots Debian's kernel to a shell, then the same on KVM"
"$top/selftests/qemu/boot.sh" kmod/kvmini.ko "$build/qemu" | tee "$build/qemu.log" || rc=1
grep -q '^@@host-ok kvmini-kernel' "$build/qemu.log" || rc=1
grep -q '^@@host-ok kvmini-seabios' "$build/qemu.log" || rc=1
grep -q '^@@host-ok kvmini-split' "$build/qemu.log" || rc=1
grep -q '^@@host-fail kvmini-split' "$build/qemu.log" && rc=1
if [ $rc = 0 ]; then
	echo "demo: ok"
else
	echo "demo: FAILED (exit $rc; logs in $build/host)"
fi
exit $rc
