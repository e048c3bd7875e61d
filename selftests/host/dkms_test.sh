#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The DKMS install path on this machine (make check runs it; root, Debian
# 12): `make dkms-install` for Debian's distro kernel, what dkms then says
# and installed, `make dkms-install` once more, a kernel upgrade (the
# module unbuilt for that kernel, then the hooks apt runs when a kernel
# image or its headers are installed: /etc/kernel/postinst.d/dkms and
# header_postinst.d/dkms), and `make dkms-remove`, twice.
#
#   dkms_test.sh [KVER]     KVER: the kernel to build for (default: the
#                           distro kernel, run.sh --print-kver; its headers
#                           must be installed: make check installs them)
#
# Installs what it needs (dkms, and openssl: without it dkms cannot make
# its module signing key, and leaves modules unsigned). Prints
# "ok N - dkms: ..." or "not ok N - dkms: ..." per check and ends with
# "# dkms_test: P passed, F failed, S skipped"; exit 1 if any failed. The
# dkms and make output is in build/dkms/. It leaves the machine as it
# found it (the packages it installed stay, as make check's do): kvmini
# out of DKMS, the kernel's module index as it was, and the MOK key pair
# that dkms makes on its first build (/var/lib/dkms/mok.key, mok.pub)
# removed if it was not there before. If kvmini is in DKMS already, it
# leaves it alone and skips.
set -uo pipefail

PATH=$PATH:/usr/sbin:/sbin	# dkms, modinfo
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top" || exit 1
logs=$top/build/dkms
mkdir -p "$logs"

n=0 passed=0 failed=0 skipped=0
point() {	# point ok|not-ok DESCRIPTION
	n=$((n + 1))
	if [ "$1" = ok ]; then passed=$((passed + 1)); echo "ok $n - dkms: $2"
	else failed=$((failed + 1)); echo "not ok $n - dkms: $2"; fi
}
check() {	# check DESCRIPTION COMMAND...: a point from the command's status
	local what=$1
	shift
	if "$@"; then point ok "$what"; else point not-ok "$what"; fi
}
show() { tail -n 25 "$1" | sed 's/^/#   /'; }	# a log's tail, after a failure
finish() {
	echo "# dkms_test: $passed passed, $failed failed, $skipped skipped"
	[ "$failed" = 0 ]
	exit
}

# --- what it needs ---
pkgs="dkms openssl linux-image-amd64 linux-headers-amd64"
missing=""
for p in $pkgs; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
	echo "# installing:$missing"
	if ! { apt-get update -qq &&
	       DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
			-o DPkg::Lock::Timeout=600 $missing; } > "$logs/apt.log" 2>&1; then
		show "$logs/apt.log"
		point not-ok "installed:$missing"
		finish
	fi
fi
kver=${1:-$(selftests/host/run.sh --print-kver)}
arch=$(uname -m)
# The version as dkms reads it: dkms.conf sourced by bash.
# shellcheck disable=SC2034,SC1091 # dkms.conf uses kernel_source_dir
ver=$(kernel_source_dir=/lib/modules/$kver/build; . ./dkms.conf; echo "$PACKAGE_VERSION")
ko=/lib/modules/$kver/updates/dkms/kvmini.ko
src=/usr/src/kvmini-$ver
rule=/etc/udev/rules.d/60-kvmini.rules
if [ -z "$kver" ] || [ ! -d "/lib/modules/$kver/build/include" ]; then
	point not-ok "headers of the distro kernel '$kver' installed"
	finish
fi
echo "# dkms: kvmini/$ver for $kver ($(dkms --version))"

if [ -n "$(dkms status -m kvmini)" ] || compgen -G "/usr/src/kvmini-*" > /dev/null; then
	skipped=1
	echo "ok 1 - dkms: make dkms-install, dkms-remove # SKIP kvmini is in DKMS on this machine already (make dkms-remove)"
	finish
fi

# --- what to put back ---
mok_made=""
for f in /var/lib/dkms/mok.key /var/lib/dkms/mok.pub; do
	[ -e "$f" ] || mok_made="$mok_made $f"
done
had_updates=""
[ -e "/lib/modules/$kver/updates" ] && had_updates=1
rule_saved=""
if [ -e "$rule" ]; then
	rule_saved=$logs/60-kvmini.rules.saved
	cp -p "$rule" "$rule_saved"
fi
index() { cat "/lib/modules/$kver"/modules.* | md5sum; }
index_before=$(index)
cleanup() {
	if [ -n "$(dkms status -m kvmini 2>/dev/null)" ] || [ -e "$src" ]; then
		make -s dkms-remove >> "$logs/cleanup.log" 2>&1
	fi
	# shellcheck disable=SC2086 # a list
	[ -z "$mok_made" ] || rm -f $mok_made
	[ -z "$rule_saved" ] || cp -p "$rule_saved" "$rule"
}
trap cleanup EXIT

status() { dkms status -m kvmini -k "$kver" 2>/dev/null; }
installed() {	# dkms says installed for $kver, and the module is there, for $kver
	[ "$(status)" = "kvmini/$ver, $kver, $arch: installed" ] &&
	[ -f "$ko" ] &&
	[ "$(modinfo -F vermagic "$ko" | cut -d' ' -f1)" = "$kver" ]
}

# --- install ---
if make dkms-install KVERS="$kver" > "$logs/install.log" 2>&1; then
	point ok "make dkms-install KVERS=$kver"
else
	# A failed build's log is in dkms's tree, which the clean-up removes.
	cp /var/lib/dkms/kvmini/"$ver"/build/make.log "$logs/make.log" 2>/dev/null &&
		show "$logs/make.log"
	show "$logs/install.log"
	point not-ok "make dkms-install KVERS=$kver"
	finish
fi
check "dkms status: kvmini/$ver, $kver, $arch: installed" \
	test "$(status)" = "kvmini/$ver, $kver, $arch: installed"
check "$ko is there" test -f "$ko"
check "modinfo: vermagic $kver, version $ver" \
	test "$(modinfo -F vermagic "$ko" | cut -d' ' -f1) $(modinfo -F version "$ko")" = "$kver $ver"
check "depmod ran: modinfo -k $kver kvmini finds it" \
	test "$(modinfo -k "$kver" -F filename kvmini 2>/dev/null)" = "$ko"
# dkms signs what it builds if the kernel's sign-file is there (Debian:
# linux-kbuild's), with its MOK key; it makes the key pair if missing.
cert=$(sed -n 's/^mok_certificate=//p' /etc/dkms/framework.conf /etc/dkms/framework.conf.d/*.conf 2>/dev/null | tail -n1)
cert=${cert:-/var/lib/dkms/mok.pub}
cert=${cert//\$kernelver/$kver}
cn=$(openssl x509 -inform DER -in "$cert" -noout -subject -nameopt RFC2253 2>/dev/null |
	sed -n 's/^subject=.*CN=\([^,]*\).*/\1/p')
signed() { [ -n "$cn" ] && [ "$(modinfo -F signer "$ko")/$(modinfo -F sig_hashalgo "$ko")" = "$cn/sha256" ]; }
check "signed with dkms's MOK key ($cert, CN=$cn), sha256" signed
check "$src holds Kbuild, Makefile, dkms.conf, LICENSE, kmod/, uapi/ and no build products" \
	test "$(cd "$src" && LC_ALL=C ls -A | tr '\n' ' ')$(find "$src" -name '*.o' -o -name '*.ko' -o -name '.*.cmd')" = \
		"Kbuild LICENSE Makefile dkms.conf kmod uapi "
check "the udev rule is installed: $rule" cmp -s kmod/60-kvmini.rules "$rule"

if make dkms-install KVERS="$kver" > "$logs/install2.log" 2>&1 && installed &&
   [ "$(dkms status -m kvmini | wc -l)" = 1 ]; then
	point ok "make dkms-install again: installed, once"
else
	show "$logs/install2.log"
	point not-ok "make dkms-install again: installed, once"
fi

# --- a kernel upgrade: nothing built for $kver, then apt's hooks ---
for hook in /etc/kernel/postinst.d/dkms /etc/kernel/header_postinst.d/dkms; do
	name=${hook#/etc/kernel/}
	dkms unbuild "kvmini/$ver" -k "$kver" > "$logs/unbuild.log" 2>&1
	if [ "$(status)" = "kvmini/$ver: added" ] && [ ! -e "$ko" ] &&
	   ! modinfo -k "$kver" kvmini > /dev/null 2>&1; then
		point ok "dkms unbuild -k $kver: added, no module for $kver"
	else
		show "$logs/unbuild.log"
		point not-ok "dkms unbuild -k $kver: added, no module for $kver"
	fi
	log=$logs/${name//\//-}.log
	if "$hook" "$kver" > "$log" 2>&1 && installed &&
	   [ "$(modinfo -k "$kver" -F filename kvmini 2>/dev/null)" = "$ko" ]; then
		point ok "$hook $kver built and installed it again"
	else
		show "$log"
		point not-ok "$hook $kver built and installed it again"
	fi
done

# --- remove ---
if make dkms-remove > "$logs/remove.log" 2>&1; then
	point ok "make dkms-remove"
else
	show "$logs/remove.log"
	point not-ok "make dkms-remove"
fi
check "dkms status shows no kvmini" test -z "$(dkms status -m kvmini)"
gone() {
	[ ! -e "$ko" ] && ! modinfo -k "$kver" kvmini > /dev/null 2>&1 &&
	{ [ -n "$had_updates" ] || [ ! -e "/lib/modules/$kver/updates" ]; } &&
	[ "$(index)" = "$index_before" ]
}
check "no module for $kver left; its module index as before" gone
none_left() { [ ! -e "$src" ] && [ ! -e /var/lib/dkms/kvmini ] && [ ! -e "$rule" ]; }
check "no $src, /var/lib/dkms/kvmini or $rule left" none_left
if make dkms-remove > "$logs/remove2.log" 2>&1; then
	point ok "make dkms-remove again"
else
	show "$logs/remove2.log"
	point not-ok "make dkms-remove again"
fi
finish
