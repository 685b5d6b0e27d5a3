#!/bin/sh
# Runs as PID 1 of a private mount+PID namespace made by rootfs/namespace.ts. It mounts the overlay
# (and, for chroots, /proc /sys /dev) and then just waits. Every mount lives only in this namespace: when
# this process dies (closed normally, or its parent Golden was killed, even by SIGKILL), the kernel
# drops the namespace and with it every mount. Nothing can be left mounted on the host.
#
# Arguments: MOUNTPOINT MODE [LOWER_TOP:...:LOWER_BASE] [UPPER] [WORK]
#   MODE is one of: none (namespace only), bind (one read-only tree), overlay (lowers + optional upper)
# Environment: GOLDEN_CHROOT_MOUNTS=1 to mount /proc, /sys and /dev inside the root.
set -eu

mnt=$1
mode=$2

case $mode in
  none) ;;
  bind)
    mount --bind "$3" "$mnt"
    ;;
  overlay)
    if [ -n "${4:-}" ]; then
      mount -t overlay golden -o "lowerdir=$3,upperdir=$4,workdir=$5" "$mnt"
    else
      mount -t overlay golden -o "lowerdir=$3" "$mnt"
    fi
    ;;
  *)
    echo "holder: unknown mode $mode" >&2
    exit 2
    ;;
esac

if [ "${GOLDEN_CHROOT_MOUNTS:-0}" = 1 ]; then
  for d in proc sys dev; do
    [ -d "$mnt/$d" ] || mkdir -p "$mnt/$d"
  done
  mount -t proc proc "$mnt/proc"
  mount --rbind /sys "$mnt/sys"
  mount --make-rslave "$mnt/sys"
  mount --rbind /dev "$mnt/dev"
  mount --make-rslave "$mnt/dev"
  if [ -d "$mnt/run" ]; then mount -t tmpfs -o mode=0755 tmpfs "$mnt/run"; fi
fi

echo ready
exec sleep infinity
