#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# `make bench`: build kvmini.ko for Debian's distro kernel and
# selftests/bench/bench, boot the emulated AMD host once
# (selftests/host/run.sh: QEMU TCG, SVM) and run the benchmarks there on
# kvmini (/dev/kvmini), then on the distro KVM (kvm_amd, /dev/kvm); print
# one table: benchmark, unit, both medians, kvmini/KVM. The host is
# emulated (~50x slower than hardware): the figures compare the two, they
# are not what either does on hardware. No figure fails it: exit 0 once
# both runs completed, non-zero if the build, a boot or a run broke. A
# host without KVM gets "n/a" in KVM's column.
#
#   BENCH_ONLY="a b"  only the benchmarks whose names contain a or b
#   BENCH_QEMU=1  then boot Linux under Debian's QEMU on kvmini and on KVM
#                 (selftests/qemu/boot.sh, a second host boot) and
#                 live-migrate a guest that dirties memory
#                 (selftests/qemu/migrate.sh, a third), and add the boot
#                 times, the migration times and the guest's work ticks
#                 during the migration to the table
set -euo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
build=$top/build/bench
cd "$top"

# --- 1. packages and the module (selftests/host/prep.sh) ---
. "$top/selftests/host/prep.sh"
prep bench "$build" "qemu-system-x86 linux-image-amd64 linux-headers-amd64 busybox-static
      cpio kmod xz-utils gcc make libc6-dev
      syslinux syslinux-common mtools dosfstools"

# --- 2. build: the rest ---
make -s -C selftests/bench > "$build/bench-build.log" 2>&1 ||
	{ cat "$build/bench-build.log"; echo "bench: building selftests/bench failed"; exit 1; }

# --- 3. one boot: kvmini, then KVM (kvm_amd, loaded by run.sh) ---
# Each run's lines follow its "@@run" line; "@@run-fail" if it broke.
# kvmini first: the distro KVM in this host has hung in a benchmark past
# the host's time (ipi_roundtrip), and then nothing after it ran.
job=$build/job
rm -rf "$job"
mkdir -p "$job"
cp kmod/kvmini.ko selftests/bench/bench "$job/"
echo "${BENCH_ONLY:-}" > "$job/only"	# names (substrings) of the benchmarks to run
cat > "$job/run" <<'JOB'
rc=0
echo "@@run kvmini"
if insmod ./kvmini.ko; then
	KVMINI_DEV=/dev/kvmini ./bench $(cat only) || { echo "@@run-fail kvmini: bench exited $?"; rc=1; }
	rmmod kvmini || { echo "@@run-fail kvmini: rmmod"; rc=1; }
else
	echo "@@run-fail kvmini: insmod"; rc=1
fi
echo "@@run kvm"
if [ -c /dev/kvm ]; then
	KVMINI_DEV=/dev/kvm ./bench $(cat only); r=$?
	# 3: KVM never finished a benchmark (ipi_roundtrip in this host): n/a.
	[ $r = 0 ] || [ $r = 4 ] || [ $r = 3 ] || { echo "@@run-fail kvm: bench exited $r"; rc=1; }
else
	echo "@@info no /dev/kvm (kvm_amd did not load): KVM figures n/a"
fi
exit $rc
JOB
rc=0
echo "# the benchmarks on kvmini, then on KVM, in one boot of the emulated AMD host"
"$top/selftests/host/run.sh" --host amd --kver "$kver" --modules "msr kvm_amd" \
	--timeout 900 --out "$build/host" "$job" | sed -u '/^@@bench /d' || rc=$?
cp "$build/host/job.log" "$build/results" 2>/dev/null || : > "$build/results"

# --- 4. BENCH_QEMU=1: QEMU's boot times, from boot.sh's ratio lines ---
qemu_lines=""
if [ -n "${BENCH_QEMU:-}" ] && [ "${BENCH_QEMU:-}" != 0 ]; then
	echo "# QEMU booting Linux on kvmini, then on KVM (selftests/qemu/boot.sh, a second boot)"
	"$top/selftests/qemu/boot.sh" kmod/kvmini.ko "$build/qemu" > "$build/qemu.log" 2>&1 || rc=1
	qemu_lines=$(grep '^# QEMU ' "$build/qemu.log" || true)
	[ -n "$qemu_lines" ] || { tail -n 20 "$build/qemu.log"; echo "# QEMU: no boot times"; rc=1; }
	# "# QEMU HOW boot ...: kvmini A s, KVM B s, kvmini/KVM R" -> one row each.
	while read -r how a b; do
		echo "@@run kvmini"; echo "@@bench qemu_boot$how s $a"
		echo "@@run kvm"; echo "@@bench qemu_boot$how s $b"
	done < <(sed -n 's/^# QEMU \(.*\) boot to the guest shell[^:]*: kvmini \([0-9.]*\) s, KVM \([0-9.]*\) s.*/\1 \2 \3/p' \
			<<<"$qemu_lines" | sed 's/^SeaBIOS disk/-seabios/; s/^-cpu \([^ ]*\) -kernel/-cpu_\1/; s/ -kernel$//; s/^-/_/') \
		>> "$build/results"
	echo "# QEMU live migration on kvmini, then on KVM (selftests/qemu/migrate.sh, a third boot)"
	"$top/selftests/qemu/migrate.sh" kmod/kvmini.ko "$build/migrate" > "$build/migrate.log" 2>&1 || rc=1
	# "@@mig HYPERVISOR SECONDS TICKS OK|BAD" -> two rows each.
	while read -r tag hv secs ticks ok; do
		echo "@@run $hv"
		echo "@@bench qemu_migrate s $secs"
		echo "@@bench qemu_migrate_ticks ticks $ticks"
		[ "$ok" = OK ] || { echo "@@run-fail $hv: the migrated guest's memory was wrong"; rc=1; }
	done < <(grep '^@@mig ' "$build/migrate.log") >> "$build/results"
	grep -q '^@@mig ' "$build/migrate.log" || { tail -n 20 "$build/migrate.log"; rc=1; }
fi

# --- 5. the table ---
echo
awk '
/^@@run / { dev = $2 }
/^@@run-fail / { sub(/^@@run-fail /, ""); note[++nn] = "# broke: " $0 }
/^@@info / { sub(/^@@info /, ""); note[++nn] = "# " dev ": " $0 }
/^@@bench / {
	if (!($2 in unit)) order[++n] = $2
	unit[$2] = $3; val[dev, $2] = $4
}
END {
	printf "%-22s %-9s %12s %14s %11s\n", "benchmark", "unit", "KVM median", "kvmini median", "kvmini/KVM"
	for (i = 1; i <= n; i++) {
		b = order[i]
		k = ((("kvm", b) in val) ? val["kvm", b] : "n/a")
		m = ((("kvmini", b) in val) ? val["kvmini", b] : "n/a")
		r = (k != "n/a" && m != "n/a" && k + 0 > 0) ? sprintf("%.3g", m / k) : "n/a"
		printf "%-22s %-9s %12s %14s %11s\n", b, unit[b], k, m, r
	}
	for (i = 1; i <= nn; i++) print note[i]
}' "$build/results"
[ -z "$qemu_lines" ] || echo "$qemu_lines"
echo "# logs: $build"
exit $rc
