#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Unmodified QEMU (Debian's 7.2) on kvmini: in the emulated AMD host, with
# kvmini loaded as /dev/kvm (kvm_alias=1), QEMU boots Debian's kernel with
# a busybox initramfs whose /init runs a few commands and powers off; then
# the same on the distro's kvm_amd. Prints the guest's console and a line
#   @@host-ok|fail <what>
# per check, and both boot times with their ratio.
#
#   boot.sh KVMINI_KO OUT_DIR
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
ko=${1:?usage: boot.sh KVMINI_KO OUT_DIR}
out=${2:?usage: boot.sh KVMINI_KO OUT_DIR}
kver=$("$here/../host/run.sh" --print-kver)
job=$out/job
rm -rf "$job"
mkdir -p "$job/g/bin" "$job/g/proc" "$job/g/sys" "$job/g/dev"
cp "$ko" "$job/kvmini.ko"

# The guest: busybox, and an /init that shows it works, then powers off.
cp /bin/busybox "$job/g/bin/busybox"
cat > "$job/g/init" <<'GUEST'
#!/bin/busybox sh
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sys /sys
echo "guest: /init after $(cut -d' ' -f1 /proc/uptime) s of guest time"
echo "guest\$ uname -a; grep -c processor /proc/cpuinfo; free -m"
uname -a; grep -c processor /proc/cpuinfo; free -m
echo "@@guest-ok"
poweroff -f
GUEST
chmod +x "$job/g/init"
(cd "$job/g" && find . | cpio -o -H newc --quiet) > "$job/guest.cpio"
rm -rf "$job/g"

cat > "$job/run" <<JOB
cp /job/guest.cpio /host/tmp/
chroot /host qemu-system-x86_64 -version > /dev/null	# libraries over 9p, once
qemu() {	# qemu NAME: boot the guest, time it, check its console
	local s e
	s=\$(cut -d' ' -f1 /proc/uptime)
	chroot /host timeout -k 5 120 qemu-system-x86_64 -accel kvm \\
		-machine pc,kernel-irqchip=off -cpu qemu64 -m 256 -smp 1 \\
		-kernel /boot/vmlinuz-$kver -initrd /tmp/guest.cpio \\
		-append "console=ttyS0 quiet pci=noearly tsc=reliable no_timer_check 8250.nr_uarts=1 panic=-1" \\
		-vga none -nodefaults -serial stdio -display none -no-reboot \\
		> /tmp/\$1.log 2>&1
	e=\$(cut -d' ' -f1 /proc/uptime)
	grep -v "host doesn't support requested feature" /tmp/\$1.log
	echo "@@time \$1 \$s \$e"
	if grep -q "^@@guest-ok" /tmp/\$1.log && ! grep -qiE "internal error|emulation failure|unchecked MSR" /tmp/\$1.log; then
		echo "@@host-ok qemu-\$1: unmodified QEMU boots Linux to a shell, no KVM error"
	else
		echo "@@host-fail qemu-\$1: unmodified QEMU boots Linux to a shell, no KVM error"
	fi
}
rmmod kvm_amd && rmmod kvm && insmod /job/kvmini.ko kvm_alias=1 || echo "@@host-fail qemu: kvmini as /dev/kvm"
qemu kvmini
rmmod kvmini
for m in irqbypass ccp kvm kvm-amd; do insmod /modules/\$m.ko 2>/dev/null; done
qemu kvm
JOB
"$here/../host/run.sh" --hostroot --kver "$kver" --modules "msr kvm_amd" \
	--timeout 400 --out "$out" "$job" | grep -v '^@@time'
awk '/^@@time/ { t[$2] = $4 - $3 } END {
	if (t["kvmini"] && t["kvm"])
		printf "# QEMU boot to the guest shell and poweroff: kvmini %.2f s, KVM %.2f s, kvmini/KVM %.2f\n",
		       t["kvmini"], t["kvm"], t["kvmini"] / t["kvm"] }' "$out/job.log"
