#!/bin/bash
# mmdebstrap customize hook, run on the host with the new root as $1. mmdebstrap's own eatmydata extract
# hook put libeatmydata into the root and /usr/bin/dpkg behind a wrapper that preloads it, so dpkg's
# fsync calls cost nothing while the base is made. This undoes that, like mmdebstrap's own customize
# hook, minus its final host-wide `sync`: on a shared build machine that flushes every other job's
# writes too, and Golden flushes the finished layer itself (syncfs) before it enters the cache.
set -euo pipefail

root=$1
if [ ! -e "$root/usr/bin/dpkg.distrib" ]; then
  exit 0
fi
arch=$(head -n 1 "$root/var/lib/dpkg/arch" 2>/dev/null || dpkg --print-architecture)
libdir=/usr/lib/$(dpkg-architecture -a "$arch" -q DEB_HOST_MULTIARCH 2>/dev/null)
if ! chroot "$root" dpkg-query --list eatmydata >/dev/null 2>&1; then
  rm -f "$root/usr/bin/eatmydata"
fi
if ! chroot "$root" dpkg-query --list libeatmydata1 >/dev/null 2>&1; then
  rm -f "$root$libdir"/libeatmydata.so*
fi
rm "$root/usr/bin/dpkg"
chroot "$root" dpkg-divert --quiet --local --rename --remove /usr/bin/dpkg
