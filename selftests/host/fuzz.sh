#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# `make fuzz`: fuzzers side by side, one core each, FUZZ_SECONDS (default
# 180):
#  - here, two libFuzzer targets: the MMIO instruction decoder's
#    (selftests/insn) and the VMM's manifest parser's (vmm/manifest_fuzz);
#    on a machine of 3 cores or more side by side, FUZZ_SECONDS each, else
#    one after the other on one core, half of FUZZ_SECONDS each;
#  - ioctl_fuzz_test's long mode against kvmini.ko, inside the emulated
#    AMD host (run.sh): rounds of the multi-threaded ioctl fuzzer, each
#    followed by its checks (no VM left, a fresh guest computes exactly, a
#    bystander VM counted exactly, the kernel memory back, a clean log).
# Ends with one line per fuzzer and exits 1 if any found something: a
# decoder or parser crash (or broken promise), a failed round, a host that
# died or timed out, or a problem in the host's kernel log.
#
#   FUZZ_SEED=N     the ioctl fuzzer's first seed (default: from the clock;
#                   printed, round r uses N + r)
#   FUZZ_OMIT=a,b   ioctl numbers the fuzzer leaves out ("0": none; by default
#                   it leaves KVMINI_SET_MSRS out under QEMU, whose emulated
#                   CPU it freezes: see ioctl_fuzz_test.c)
set -euo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
host_dir=$top/selftests/host
out=$top/build/fuzz
secs=${FUZZ_SECONDS:-180}
cd "$top"

# What the ioctl fuzzer and the manifest parser's fuzzer need (make check
# installs the same).
pkgs="qemu-system-x86 linux-image-amd64 linux-headers-amd64 busybox-static
      linux-source-6.1 cpio kmod xz-utils gcc make libc6-dev
      libfdt-dev device-tree-compiler"
missing=""
for p in $pkgs; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
		missing="$missing $p"
done
if [ -n "$missing" ]; then
	echo "# installing:$missing"
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing
fi
kver=$("$host_dir/run.sh" --print-kver)
kdir=/lib/modules/$kver/build

# The module for the distro kernel (objects built for another one go, as
# in make check, which keeps the same marker), and the fuzzer.
[ "$(cat "$top/build/check/kdir" 2>/dev/null)" = "$kdir" ] || make -s clean > /dev/null
mkdir -p "$out" "$top/build/check"
echo "$kdir" > "$top/build/check/kdir"
make -s KDIR="$kdir" modules > "$out/kbuild.log" 2>&1 || { cat "$out/kbuild.log"; exit 1; }
make -s -C selftests ioctl_fuzz_test > "$out/selftests.log" 2>&1 ||
	{ cat "$out/selftests.log"; exit 1; }

# The libFuzzer targets here: NAME.log, and NAME.rc their exit status.
fuzz_here() {	# fuzz_here NAME DIR SECONDS
	local rc=0
	make -s -C "$2" fuzz FUZZ_SECONDS="$3" > "$out/$1.log" 2>&1 || rc=$?
	echo "$rc" > "$out/$1.rc"
}
rm -f "$out/insn.rc" "$out/manifest.rc"
if [ "$(nproc)" -ge 3 ]; then
	here_secs=$secs
	fuzz_here insn selftests/insn "$here_secs" &
	here_pids=$!
	fuzz_here manifest vmm "$here_secs" &
	here_pids="$here_pids $!"
else
	here_secs=$(((secs + 1) / 2))
	{ fuzz_here insn selftests/insn "$here_secs"; fuzz_here manifest vmm "$here_secs"; } &
	here_pids=$!
fi
echo "# fuzzing for $secs s: the ioctls in the AMD host; here the instruction decoder and" \
     "the manifest parser, $here_secs s each"

job=$out/job
rm -rf "$job"
mkdir -p "$job"
cp kmod/kvmini.ko selftests/ioctl_fuzz_test "$job/"
cat > "$job/run" <<EOF
insmod ./kvmini.ko || exit 1
KVMINI_FUZZ_SECONDS=$secs ${FUZZ_SEED:+KVMINI_FUZZ_SEED=$FUZZ_SEED} \
	${FUZZ_OMIT:+KVMINI_FUZZ_OMIT=$FUZZ_OMIT} ./ioctl_fuzz_test
rc=\$?
rmmod kvmini || rc=1
exit \$rc
EOF
host_rc=0
"$host_dir/run.sh" --host amd --kver "$kver" --timeout $((secs + 300)) --out "$out/amd" "$job" ||
	host_rc=$?

wait $here_pids || true
insn_rc=$(cat "$out/insn.rc" 2>/dev/null || echo none)
manifest_rc=$(cat "$out/manifest.rc" 2>/dev/null || echo none)
for f in insn manifest; do
	grep -E '^(stat::|Done|==[0-9]+==|SUMMARY|manifest_parse broke)' "$out/$f.log" |
		tail -n 12 | sed "s/^/$f: /" || true
done

fail=0
if [ "$insn_rc" = 0 ]; then
	echo "ok - the decoder fuzzer found nothing in $here_secs s"
else
	echo "not ok - the decoder fuzzer failed (exit $insn_rc;" \
	     "$out/insn.log, selftests/insn/crash-*)"
	fail=1
fi
if [ "$manifest_rc" = 0 ]; then
	echo "ok - the manifest parser's fuzzer found nothing in $here_secs s"
else
	echo "not ok - the manifest parser's fuzzer failed (exit $manifest_rc;" \
	     "$out/manifest.log, vmm/build/crash-*)"
	fail=1
fi
case $host_rc in
0) echo "ok - the ioctl fuzzer found nothing in $secs s" ;;
124) echo "not ok - the ioctl fuzzer's host died or timed out ($out/amd/console.log)"; fail=1 ;;
125) echo "not ok - the ioctl fuzzer left problems in the host's kernel log" \
	  "($out/amd/dmesg.log)"; fail=1 ;;
*) echo "not ok - the ioctl fuzzer failed (exit $host_rc; $out/amd/job.log)"; fail=1 ;;
esac
exit $fail
