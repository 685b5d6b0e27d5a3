#!/bin/bash
# Runs in the image chroot after packages are installed: removes the stub of initramfs-defer.sh, restores
# the real update-initramfs and builds one initramfs per installed kernel that lacks one, or updates the
# existing ones when a package asked for it (or when $1 is "update").
set -euo pipefail

rm -f /usr/sbin/update-initramfs
dpkg-divert --quiet --local --rename --remove /usr/sbin/update-initramfs

if [ ! -x /usr/sbin/update-initramfs ]; then
  exit 0
fi
requested=0
if [ -e /run/golden/initramfs-requested ] || [ "${1:-}" = update ]; then
  requested=1
fi
for dir in /lib/modules/*/; do
  [ -d "$dir" ] || continue
  version=$(basename "$dir")
  [ -e "/boot/vmlinuz-$version" ] || continue
  if [ ! -e "/boot/initrd.img-$version" ]; then
    update-initramfs -c -k "$version"
  elif [ "$requested" = 1 ]; then
    update-initramfs -u -k "$version"
  fi
done
rm -f /run/golden/initramfs-requested
