#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# `make demo`: two Linux guests side by side on kvmini, from one device-tree
# manifest (selftests/demo/demo.dts), started by kvmini-vmm (vmm/), in the
# emulated AMD host (selftests/host/run.sh, three CPUs). On a Debian 12
# machine (root) it installs what is missing, builds kvmini.ko for Debian's
# distro kernel, kvmini-vmm, the guests' initramfs (busybox and
# guestwork.c, guest-init as /init) and the manifest; the guests boot
# Debian's own kernel. What they print shows up here, each line prefixed
# with the guest's name; then one line per check (job-run). Exit non-zero
# if a check fails or the host's kernel log shows a problem.
#
#   demo.sh [--out DIR]     (make check runs it with --out build/check/demo,
#                            and KVMINI_PREPPED=1: packages and module are there)
set -euo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
demo_dir=$top/selftests/demo
build=$top/build/demo
[ "${1:-}" = --out ] && build=$2
cd "$top"

# --- 1. packages and the module (selftests/host/prep.sh; make check has done it) ---
if [ -n "${KVMINI_PREPPED:-}" ]; then
	kver=$("$top/selftests/host/run.sh" --print-kver)
	mkdir -p "$build"
else
	. "$top/selftests/host/prep.sh"
	prep demo "$build" "qemu-system-x86 linux-image-amd64 linux-headers-amd64 busybox-static
	      cpio kmod xz-utils gcc make libc6-dev libfdt-dev device-tree-compiler"
fi

# --- 2. kvmini-vmm, guestwork, the manifest, the guests' initramfs ---
{ make -s -C vmm && make -s -C "$demo_dir"; } > "$build/build.log" 2>&1 ||
	{ cat "$build/build.log"; echo "demo: the build failed"; exit 1; }
job=$build/job
rm -rf "$job" "$build/initramfs"
mkdir -p "$job" "$build/initramfs/bin"
cp /bin/busybox "$build/initramfs/bin/"
cp "$demo_dir/guestwork" "$build/initramfs/"
cp "$demo_dir/guest-init" "$build/initramfs/init"
(cd "$build/initramfs" && find . | cpio -o -H newc --quiet) > "$job/guest.cpio"
cp kmod/kvmini.ko vmm/kvmini-vmm "$demo_dir/demo.dtb" "$demo_dir/stop.dtb" "$job/"
cp "/boot/vmlinuz-$kver" "$job/bzImage"
cp "$demo_dir/job-run" "$job/run"
# The work's checksums, computed here: the guests must find the same.
for g in alpha beta gamma delta; do
	mib=$(sed -n "/^\t\t$g {/,/};/s/.*demo.work_mib=\([0-9]*\).*/\1/p" "$demo_dir"/*.dts)
	"$demo_dir/guestwork" sum "$g" "$mib" > "$job/sum.$g"
done

# --- 3. the emulated host: three CPUs, one for beta and two for alpha ---
rc=0
"$top/selftests/host/run.sh" --host amd --kver "$kver" --cpus 3 --timeout 900 \
	--out "$build/host" "$job" || rc=$?
echo "# demo: the emulated host's exit status: $rc"
fails=$(grep -c '^@@host-fail ' "$build/host/job.log" || true)
oks=$(grep -c '^@@host-ok ' "$build/host/job.log" || true)
[ "$oks" -gt 0 ] && [ "$fails" = 0 ] || rc=${rc/#0/1}
if [ $rc = 0 ]; then
	echo "demo: ok ($oks checks)"
else
	echo "demo: FAILED (exit $rc; $fails of $((oks + fails)) checks failed; logs in $build/host)"
fi
exit $rc
