#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# `make check`: on a Debian 12 machine (root), install what is missing,
# build kvmini.ko for Debian's distro kernel and the selftests, run the
# whole suite inside the emulated hosts (and the kernel's own KVM
# selftests on KVM and on kvmini: ksft.sh), and end with one line
# "N passed, N failed, N skipped". Exit 1 if anything failed.
#
#   T="<pattern> ..."  run only the test programs whose name contains one
#                   (T=ksft: only the kernel's KVM selftests, ksft.sh)
#   HOST=amd|intel|all  run one host or both side by side (default all; each
#                   emulator is single-threaded and takes one core)
set -euo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
host_dir=$top/selftests/host
build=$top/build/check
T=${T:-}
HOST=${HOST:-all}
cd "$top"

# --- 1. packages ---
pkgs="qemu-system-x86 linux-image-amd64 linux-headers-amd64 busybox-static
      linux-source-6.1 cpio kmod xz-utils gcc make libc6-dev
      libfdt-dev device-tree-compiler
      syslinux syslinux-common mtools dosfstools
      bochs bochsbios vgabios xorriso isolinux"
missing=""
for p in $pkgs; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
	echo "# installing:$missing"
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing > "$top/build-apt.log" 2>&1 ||
		{ tail -n 30 "$top/build-apt.log"; exit 1; }
	rm -f "$top/build-apt.log"
fi
kver=$("$host_dir/run.sh" --print-kver)
kdir=/lib/modules/$kver/build
[ -d "$kdir" ] || { echo "check: no headers for the distro kernel $kver ($kdir)"; exit 1; }

# --- 2. build: module (warning-free with W=1) and selftests ---
# Objects built for another kernel must not leak into this build.
[ "$(cat "$build/kdir" 2>/dev/null)" = "$kdir" ] || make -s clean > /dev/null
mkdir -p "$build"
echo "$kdir" > "$build/kdir"
if ! make -s KDIR="$kdir" W=1 modules > "$build/kbuild.log" 2>&1 ||
   grep -q "warning:" "$build/kbuild.log"; then
	cat "$build/kbuild.log"
	echo "check: the module build failed or warned"
	exit 1
fi
make -s -C selftests > "$build/selftests.log" 2>&1 || { cat "$build/selftests.log"; exit 1; }

pass=0 fail=0 skip=0
point() {	# point ok|not-ok DESCRIPTION
	if [ "$1" = ok ]; then pass=$((pass + 1)); echo "ok - $2"
	else fail=$((fail + 1)); echo "not ok - $2"; fi
}
matches() {	# T: one pattern, or several separated by spaces
	local pat
	for pat in ${T:-""}; do
		case "$1" in *"$pat"*) return 0 ;; esac
	done
	return 1
}
# Whether T leaves any of the selftest programs: if not, their boots are left out.
suite=""
for p in $(make -s -C selftests --no-print-directory print-tests); do
	matches "$p" && suite=1
done

# --- 3. the suite on an emulated host (AMD: QEMU, Intel: Bochs) ---
# boot_suite LEG HOST BACKEND MODULES TIMEOUT NAME CPUS [PROGS]: boot, run
# PROGS (default: every test program), log in $build/LEG.
boot_suite() {
	local leg=$1 host=$2 backend=$3 modules=$4 timeout=$5 name=$6 cpus=$7
	local progs=${8:-} job=$build/$1/job rc=0
	rm -rf "$job"
	mkdir -p "$job"
	cp kmod/kvmini.ko selftests/run_tests.sh "$job/"
	[ -n "$progs" ] || progs=$(make -s -C selftests --no-print-directory print-tests)
	for p in $progs; do cp "selftests/$p" "$job/"; done
	# Of them, those that run once more against the distro KVM (on the
	# AMD host also those it takes once).
	local ref="" p refs
	refs=$(make -s -C selftests --no-print-directory print-kvm-ref-tests)
	[ "$host" = amd ] &&
		refs="$refs $(make -s -C selftests --no-print-directory print-kvm-ref-once-tests)"
	for p in $refs; do
		matches "$p" || continue
		case " $progs " in *" $p "*) ref="$ref $p" ;; esac
	done
	cat > "$job/run" <<EOF
# Load, run every selftest, unload; then the KVM reference runs (last: on
# a one-CPU Bochs host, KVM can freeze it with a guest spinning at IF=0).
if insmod ./kvmini.ko; then echo "@@host-ok insmod kvmini.ko"; else echo "@@host-fail insmod kvmini.ko"; exit 1; fi
if dmesg | grep -q "kvmini: loaded, using $name"; then echo "@@host-ok kvmini uses $name"; else echo "@@host-fail kvmini uses $name"; fi
KVMINI_KO=/job/kvmini.ko KVMINI_NO_SUMMARY=1 T='$T' ./run_tests.sh -b $backend $progs
rc=\$?
if rmmod kvmini; then echo "@@host-ok rmmod kvmini"; else echo "@@host-fail rmmod kvmini"; fi
if [ -n "$ref" ]; then
	KVMINI_DEV=/dev/kvm KVMINI_NO_SUMMARY=1 T='$T' ./run_tests.sh -b $backend-kvm$ref || rc=1
fi
exit \$rc
EOF
	"$host_dir/run.sh" --host "$host" --kver "$kver" --modules "$modules" \
		--cpus "$cpus" --timeout "$timeout" --out "$build/$leg" "$job" || rc=$?
	echo "$rc" > "$build/$leg/rc"
}

count_suite() {	# count_suite LEG: add up its test cases and host-level checks
	local host=$1 rc line
	rc=$(cat "$build/$host/rc" 2>/dev/null || echo 124)
	# One totals line per run_tests.sh run (kvmini's, then KVM's).
	line=$(sed -n 's/^# Totals: pass:\([0-9]*\) fail:\([0-9]*\) skip:\([0-9]*\)$/\1 \2 \3/p' "$build/$host/job.log" 2>/dev/null)
	if [ -n "$line" ]; then
		while read -r p f s; do
			pass=$((pass + p)) fail=$((fail + f)) skip=$((skip + s))
		done <<<"$line"
	else
		point not-ok "$host: the selftests ran to completion"
	fi
	while read -r tag what; do
		[ "$tag" = "@@host-ok" ] && point ok "$host: $what" || point not-ok "$host: $what"
	done < <(grep -E '^@@host-(ok|fail) ' "$build/$host/job.log" 2>/dev/null || true)
	# The slowest programs by this machine's clock (the leg's time budget).
	if [ -s "$build/$host/starts.log" ]; then
		echo "# $host: the slowest programs, s: $(awk 'NR > 1 { print $1 - t, p }
			{ t = $1; p = $NF; if ($(NF - 1) ~ /:$/) p = $(NF - 1) p }' "$build/$host/starts.log" |
			sort -rn | head -n 6 | awk '{ printf "%s%s %d", (NR > 1 ? ", " : ""), $2, $1 }')"
	fi
	case $rc in
	124) point not-ok "$host: the emulated host finished in time" ;;
	125) point not-ok "$host: the host's kernel log is clean" ;;
	*) point ok "$host: the host's kernel log is clean" ;;
	esac
}

# --- 4. a CPU without SVM: insmod must refuse, saying why ---
run_novirt() {
	local job=$build/amd-novirt/job rc=0
	rm -rf "$job"
	mkdir -p "$job"
	cp kmod/kvmini.ko "$job/"
	cat > "$job/run" <<'EOF'
insmod ./kvmini.ko 2> err; rc=$?
cat err
dmesg | grep kvmini
if [ $rc != 0 ] && grep -q "No such device" err &&
   dmesg | grep -q "kvmini: this CPU has neither AMD SVM nor Intel VMX"; then
	echo "@@host-ok insmod refused with ENODEV and one clear log line"
else
	echo "@@host-fail insmod refused with ENODEV and one clear log line"
fi
EOF
	"$host_dir/run.sh" --host amd-novirt --kver "$kver" --timeout 300 \
		--out "$build/amd-novirt" "$job" || rc=$?
	while read -r tag what; do
		[ "$tag" = "@@host-ok" ] && point ok "amd-novirt: $what" || point not-ok "amd-novirt: $what"
	done < <(grep -E '^@@host-(ok|fail) ' "$build/amd-novirt/job.log" || true)
	grep -qE '^@@host-(ok|fail) ' "$build/amd-novirt/job.log" ||
		point not-ok "amd-novirt: the job ran"
	[ $rc = 125 ] && point not-ok "amd-novirt: the host's kernel log is clean"
	return 0
}

# --- 5. tests on this machine: the decoder's and the manifest parser's unit
# tests, make dkms-install and dkms-remove for the distro kernel ---
# build_machine NAME SED COMMAND...: run it (log in $build/NAME.log), show
# its failures, add the "passed failed skipped" that SED prints from its
# summary line to the totals.
build_machine() {
	local name=$1 sed=$2 log=$build/$1.log line p f s
	shift 2
	"$@" > "$log" 2>&1 || true
	grep -E '^(not ok |#   )' "$log" || true
	line=$(sed -n "$sed" "$log" | tail -n1)
	if [ -n "$line" ]; then
		read -r p f s <<<"$line"
		s=${s:-0}
		pass=$((pass + p)) fail=$((fail + f)) skip=$((skip + s))
		echo "# $name (build machine): $p passed, $f failed, $s skipped"
	else
		tail -n 20 "$log"
		point not-ok "$name ran to completion"
	fi
}
if [ -z "$T" ] || matches insn; then
	build_machine insn_test 's/^# insn_test: \([0-9]*\) passed, \([0-9]*\) failed$/\1 \2/p' \
		make -s -C selftests/insn test
fi
if [ -z "$T" ] || matches dkms; then
	build_machine dkms_test \
		's/^# dkms_test: \([0-9]*\) passed, \([0-9]*\) failed, \([0-9]*\) skipped$/\1 \2 \3/p' \
		"$host_dir/dkms_test.sh" "$kver"
fi
if [ -z "$T" ] || matches manifest; then
	build_machine manifest_test \
		's/^# Totals: pass:\([0-9]*\) fail:\([0-9]*\) .* skip:\([0-9]*\) .*$/\1 \2 \3/p' \
		make -s -C vmm test
fi

# --- 6. unmodified QEMU on kvmini, then on KVM, in an emulated host ---
# AMD: by -kernel, through SeaBIOS, with -cpu EPYC, and q35, pc and q35
# -smp 2 with the split irqchip reading a virtio-blk disk. Intel: only
# with -cpu Skylake-Server (Bochs makes each boot take minutes; boot.sh
# --host intel runs the others by hand).
run_qemu() {	# run_qemu HOST LAST_BOOT [BOOT.SH OPTIONS]: LAST_BOOT's line shows it ran
	local host=$1 last=$2 log=$build/qemu-$1.log
	shift 2
	"$top/selftests/qemu/boot.sh" --host "$host" "$@" kmod/kvmini.ko \
		"$build/qemu-$host" > "$log" 2>&1 || true
	grep -E '^# (QEMU |guest clocksource|kvmini-[^ ]* only:|kvm(ini)?-split(-pc|-smp)?: )' "$log" |
		sed "s/^# /# $host: /" || true
	# (skip: the split-irqchip boot on a kvmini without KVM_CAP_SPLIT_IRQCHIP)
	while read -r tag what; do
		case $tag in
		@@host-ok) point ok "$host: $what" ;;
		@@host-skip) skip=$((skip + 1)); echo "ok - $host: $what # SKIP" ;;
		*) point not-ok "$host: $what" ;;
		esac
	done < <(grep -E '^@@host-(ok|fail|skip) ' "$log" || true)
	grep -q "^@@host-.* kvmini-$last" "$log" ||
		{ tail -n 30 "$log"; point not-ok "$host: QEMU on kvmini ran"; }
	grep -qE '^# host: kernel log shows problems' "$log" &&
		point not-ok "$host: kernel log clean after QEMU"
	return 0
}

# --- 6b. make demo: Linux guests side by side from a manifest (kvmini-vmm), in the AMD host ---
run_demo() {
	local log=$build/demo.log
	KVMINI_PREPPED=1 "$top/selftests/demo/demo.sh" --out "$build/demo" > "$log" 2>&1 || true
	while read -r tag what; do
		[ "$tag" = "@@host-ok" ] && point ok "demo: $what" || point not-ok "demo: $what"
	done < <(grep -E '^@@host-(ok|fail) ' "$build/demo/host/job.log" 2>/dev/null || true)
	if grep -q "^# demo: the emulated host's exit status: [01]$" "$log"; then
		point ok "demo: the host finished, its kernel log clean"
	else
		tail -n 30 "$log"
		point not-ok "demo: the host finished, its kernel log clean"
	fi
}

# --- 7. the kernel's own KVM selftests, on KVM and on kvmini, in the AMD host ---
run_ksft() {
	local log=$build/ksft.log line p f s
	"$host_dir/ksft.sh" --host amd 2>&1 | tee "$log" || true
	line=$(sed -n 's/^# Totals: pass:\([0-9]*\) fail:\([0-9]*\) skip:\([0-9]*\)$/\1 \2 \3/p' "$log")
	if [ -n "$line" ]; then
		read -r p f s <<<"$line"
		pass=$((pass + p)) fail=$((fail + f)) skip=$((skip + s))
	else
		point not-ok "ksft: the kernel's KVM selftests ran to completion"
	fi
}

case "$HOST" in
all|amd|intel) ;;
*) echo "check: unknown HOST=$HOST (amd or intel)"; exit 2 ;;
esac
want() { [ "$HOST" = all ] || [ "$HOST" = "$1" ]; }

# The Intel host: the whole suite on one CPU, then, in a second, two-CPU
# boot, the tests that need two host CPUs (the vCPU thread moving between
# them, CPU hotplug, two VMs at once). Bochs runs all its CPUs on one
# core, so the whole suite on two would take twice as long.
smp_progs="virt_test migrate_test two_vms_test"
intel_legs() {
	[ -z "$suite" ] || boot_suite intel intel vmx "msr kvm_intel" 1800 "Intel VMX" 1
	if [ -z "$T" ] || [ -n "$(for p in $smp_progs; do matches "$p" && echo "$p"; done)" ]; then
		boot_suite intel-smp intel vmx-smp "msr kvm_intel" 900 "Intel VMX" 2 "$smp_progs"
	fi
}

# Bochs (Intel) runs beside QEMU (AMD), its output shown when it is done.
intel_pid=""
if want intel; then
	mkdir -p "$build/intel" "$build/intel-smp"
	rm -f "$build/intel/rc" "$build/intel-smp/rc"
	if want amd; then
		intel_legs > "$build/intel.out" 2>&1 &
		intel_pid=$!
	else
		intel_legs
	fi
fi
if want amd; then
	if [ -n "$suite" ]; then
		boot_suite amd amd svm "msr kvm_amd" 900 "AMD SVM" 2
		count_suite amd
	fi
	if [ -z "$T" ] || matches novirt; then run_novirt; fi
	if [ -z "$T" ] || matches qemu; then run_qemu amd seabios; fi
	if [ -z "$T" ] || matches demo || matches vmm; then run_demo; fi
	if [ -z "$T" ] || matches ksft; then run_ksft; fi
fi
# In the foreground while Bochs runs the suite (or after it, HOST=intel).
if want intel && { [ -z "$T" ] || matches qemu; }; then run_qemu intel Skylake-Server --boots model; fi
if want intel; then
	if [ -n "$intel_pid" ]; then
		echo "# the Intel host (Bochs), run meanwhile:"
		wait "$intel_pid" || true
		cat "$build/intel.out"
	fi
	[ -z "$suite" ] || count_suite intel
	if [ -e "$build/intel-smp/rc" ]; then count_suite intel-smp; fi
fi

echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" = 0 ]
