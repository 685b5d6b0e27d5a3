#!/bin/bash
# Runs in the image chroot before packages are installed. The kernel's postinst hook and the
# initramfs-tools trigger would each build the initramfs (tens of seconds each, for the same kernel);
# instead update-initramfs is diverted to a stub that only notes it was asked, and the packages step
# builds the initramfs once, at its end (initramfs-build.sh).
set -euo pipefail

dpkg-divert --quiet --local --rename --divert /usr/sbin/update-initramfs.golden-real --add /usr/sbin/update-initramfs
mkdir -p /run/golden
cat > /usr/sbin/update-initramfs <<'STUB'
#!/bin/sh
# Golden build stub: the real update-initramfs runs once at the end of the step.
mkdir -p /run/golden
: > /run/golden/initramfs-requested
exit 0
STUB
chmod 0755 /usr/sbin/update-initramfs
