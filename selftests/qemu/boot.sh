#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Unmodified QEMU (Debian's 7.2) on kvmini: in the emulated AMD host, with
# kvmini loaded as /dev/kvm (kvm_alias=1), QEMU boots Debian's kernel with
# a busybox initramfs whose /init runs a few commands and powers off, by
# -kernel and through SeaBIOS from a syslinux disk; then the same on the
# distro's kvm_amd. Prints the guest's console and a line
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
PS1='guest# ' exec sh -i
GUEST
chmod +x "$job/g/init"
(cd "$job/g" && find . | cpio -o -H newc --quiet) > "$job/guest.cpio"
rm -rf "$job/g"

# The same kernel and initramfs on a disk for SeaBIOS: a FAT volume with
# syslinux in its boot sector (no partition table: the BIOS boots it).
append="console=ttyS0 quiet pci=noearly tsc=reliable no_timer_check 8250.nr_uarts=1 panic=-1"
dd if=/dev/zero of="$job/disk.img" bs=1M count=48 status=none
mkfs.vfat -n KVMINI "$job/disk.img" > /dev/null
syslinux --install "$job/disk.img"
printf 'DEFAULT linux\nPROMPT 0\nTIMEOUT 0\nLABEL linux\n  KERNEL vmlinuz\n  APPEND initrd=initrd %s\n' \
	"$append" > "$job/syslinux.cfg"
mcopy -i "$job/disk.img" "/boot/vmlinuz-$kver" ::vmlinuz
mcopy -i "$job/disk.img" "$job/guest.cpio" ::initrd
mcopy -i "$job/disk.img" "$job/syslinux.cfg" ::syslinux.cfg

cat > "$job/run" <<JOB
cp /job/guest.cpio /job/disk.img /host/tmp/
chroot /host qemu-system-x86_64 -version > /dev/null	# libraries over 9p, once
qemu() {	# qemu NAME ARGS...: boot the guest, time it, check its console
	local name=\$1 s e
	shift
	s=\$(cut -d' ' -f1 /proc/uptime)
	rm -f /host/tmp/in /host/tmp/\$name.log
	mkfifo /host/tmp/in
	(	# type at the guest's shell prompt, over its serial console
		t=0
		until grep -q "guest# " /host/tmp/\$name.log 2>/dev/null || [ \$t -gt 1200 ]; do
			sleep 0.1; t=\$((t + 1))
		done
		printf 'uname -a; grep -c processor /proc/cpuinfo; free -m\\n'
		sleep 1
		printf 'echo @@guest-ok; poweroff -f\\n'
		sleep 130
	) > /host/tmp/in &
	chroot /host timeout -k 5 120 qemu-system-x86_64 -accel kvm \\
		-machine pc,kernel-irqchip=off -cpu qemu64 -m 256 -smp 1 \\
		-vga none -nodefaults -serial stdio -display none -no-reboot \\
		"\$@" < /host/tmp/in > /host/tmp/\$name.log 2>&1
	kill \$! 2>/dev/null
	e=\$(cut -d' ' -f1 /proc/uptime)
	echo "## \$name"
	# (without CRs and the shell's cursor-position queries, ESC [6n)
	tr -d '\\r' < /host/tmp/\$name.log | sed 's/.\\[6n//g' |
		grep -v "host doesn't support requested feature"
	echo "@@time \$name \$s \$e"
	if tr -d '\\r' < /host/tmp/\$name.log | grep -q "^@@guest-ok" &&
	   ! grep -qiE "internal error|emulation failure|unchecked MSR" /host/tmp/\$name.log; then
		echo "@@host-ok \$name: unmodified QEMU boots Linux to a shell, no KVM error"
	else
		echo "@@host-fail \$name: unmodified QEMU boots Linux to a shell, no KVM error"
	fi
}
both() {	# both HYPERVISOR: -kernel, then SeaBIOS from the disk
	qemu \$1-kernel -kernel /boot/vmlinuz-$kver -initrd /tmp/guest.cpio -append "$append"
	qemu \$1-seabios -drive file=/tmp/disk.img,format=raw,if=virtio
}
rmmod kvm_amd && rmmod kvm && insmod /job/kvmini.ko kvm_alias=1 || echo "@@host-fail qemu: kvmini as /dev/kvm"
both kvmini
rmmod kvmini
for m in irqbypass ccp kvm kvm-amd; do insmod /modules/\$m.ko 2>/dev/null; done
both kvm
JOB
"$here/../host/run.sh" --hostroot --kver "$kver" --modules "msr kvm_amd" \
	--timeout 400 --out "$out" "$job" | grep -v '^@@time'
awk '/^@@time/ { t[$2] = $4 - $3 } END {
	split("kernel seabios", how, " ")
	for (i = 1; i <= 2; i++) {
		a = t["kvmini-" how[i]]; b = t["kvm-" how[i]]
		if (a && b)
			printf "# QEMU %s boot to the guest shell and poweroff: kvmini %.2f s, KVM %.2f s, kvmini/KVM %.2f\n",
			       how[i] == "kernel" ? "-kernel" : "SeaBIOS disk", a, b, a / b
	} }' "$out/job.log"
