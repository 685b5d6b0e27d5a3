#!/bin/bash
# Runs in the image chroot of an image that carries the Golden installer. Builds, for each kernel, the
# initramfs the INSTALLED system boots with: the image's own initramfs-tools configuration without
# live-boot's hooks (they only serve the live medium), with cryptsetup's. The installer copies it to
# /boot and appends the installed machine's crypttab, instead of running mkinitramfs under emulation
# in the target (that took most of an hour under QEMU TCG).
#   initramfs-installed.sh DIR FILE...   writes DIR/initrd.img-VERSION, leaving out FILE... (paths
#   under /usr/share/initramfs-tools that only the live boot needs: live-boot's hooks, casper's)
# live-boot's files are hidden by a bind mount in a private mount namespace of this script alone, so
# the live initramfs can be built from the same tree at the same time.
set -euo pipefail

out=$1
shift
tools=/usr/share/initramfs-tools
command -v mkinitramfs >/dev/null || { echo "initramfs-tools is not installed in the image" >&2; exit 1; }
scratch=$(mktemp -d "${TMPDIR:-/tmp}/installed-tools.XXXXXX")
trap 'rm -rf "$scratch"' EXIT
cp -a "$tools" "$scratch/share"
for file in "$@"; do
  case $file in /* | *..*) echo "not a path under $tools: $file" >&2; exit 2 ;; esac
  rm -rf "${scratch:?}/share/$file"
done
# the build host's swap is not the installed machine's: no resume device unless the image names one
confdir=$scratch/etc
cp -a /etc/initramfs-tools "$confdir"
if ! grep -rqs '^RESUME=' "$confdir/initramfs.conf" "$confdir/conf.d"; then
  mkdir -p "$confdir/conf.d"
  echo 'RESUME=none' >"$confdir/conf.d/zz-golden-resume"
fi
mkdir -p "$out"
# a later step that changes the initramfs inputs rebuilds this one with the same exclusions
printf '%s\n' "$@" >"$out/exclude.list"

# shellcheck disable=SC2016 # expanded by the inner shell
unshare --mount --propagation private -- /bin/bash -euo pipefail -c '
  out=$1 confdir=$4
  mount --bind "$2" "$3"
  built=0
  for dir in /lib/modules/*/; do
    [ -d "$dir" ] || continue
    version=$(basename "$dir")
    [ -e "/boot/vmlinuz-$version" ] || continue
    # written beside, renamed when complete: never a half-written initramfs under the final name
    mkinitramfs -d "$confdir" -o "$out/.initrd.img-$version.new" "$version"
    mv "$out/.initrd.img-$version.new" "$out/initrd.img-$version"
    built=$((built + 1))
  done
  [ "$built" -gt 0 ] || { echo "the image has no kernel (/boot/vmlinuz-*) to build an initramfs for" >&2; exit 1; }
  echo "installed-system initramfs built for $built kernel(s) in $out"
' inner "$out" "$scratch/share" "$tools" "$confdir"
