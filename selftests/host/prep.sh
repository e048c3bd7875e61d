# SPDX-License-Identifier: GPL-2.0
#
# Sourced by `make demo` and `make bench` (bash, set -e): on a Debian 12
# machine (root), install the packages they need that are missing, then
# build kvmini.ko for Debian's distro kernel.
#
#   prep NAME BUILD_DIR "PACKAGES..."   then $kver is the distro kernel
prep() {
	local name=$1 build=$2 pkgs=$3 missing="" p kdir

	for p in $pkgs; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
			missing="$missing $p"
	done
	mkdir -p "$build"
	if [ -n "$missing" ]; then
		echo "# installing:$missing"
		apt-get update -qq
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
			$missing > "$build/apt.log" 2>&1 || { tail -n 30 "$build/apt.log"; return 1; }
	fi
	kver=$("$top/selftests/host/run.sh" --print-kver)
	kdir=/lib/modules/$kver/build
	[ -d "$kdir" ] || { echo "$name: no headers for the distro kernel $kver ($kdir)"; return 1; }
	# A module built for another kernel (plain `make`) must not be reused.
	if [ -f kmod/kvmini.ko ] &&
	   [ "$(modinfo -F vermagic kmod/kvmini.ko | cut -d' ' -f1)" != "$kver" ]; then
		make -s clean > /dev/null
		mkdir -p "$build"
	fi
	make -s KDIR="$kdir" modules > "$build/kbuild.log" 2>&1 ||
		{ cat "$build/kbuild.log"; echo "$name: the module build failed"; return 1; }
}
