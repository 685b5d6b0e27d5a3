#!/bin/bash
# Runs in the image chroot at the end of the finalize step: removes what must not be copied to thousands
# of machines (machine identity, SSH host keys, apt state of the build, logs, temporary files).
set -euo pipefail

# systemd makes a fresh machine-id at first boot when the file is empty.
if [ -e /etc/machine-id ]; then : > /etc/machine-id; fi
rm -f /var/lib/dbus/machine-id
rm -f /etc/ssh/ssh_host_*
rm -f /var/cache/apt/pkgcache.bin /var/cache/apt/srcpkgcache.bin
find /var/lib/apt/lists /var/cache/apt/archives -type f -delete 2>/dev/null || true
rm -f /var/cache/debconf/*-old /var/lib/dpkg/*-old
rm -f /usr/sbin/policy-rc.d
find /tmp /var/tmp -mindepth 1 -delete
if [ -d /var/log ]; then
  find /var/log -type f -exec truncate -s 0 {} +
fi
