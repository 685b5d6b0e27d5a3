#!/bin/bash
# Grows the partition holding / to the end of its disk, then the filesystem to the partition, so an
# image copied onto a larger disk (or resized with qemu-img) uses all of it. Runs at every boot and
# does nothing once the partition already ends at the disk's end. Installed by Golden's disk outputs.
set -euo pipefail

log() { echo "golden-growroot: $*"; }

read -r src fstype < <(findmnt -n -o SOURCE,FSTYPE /)
src=$(readlink -f "$src")
name=$(basename "$src")
sysdir=/sys/class/block/$name
if [ ! -e "$sysdir/partition" ]; then
  log "$src is not a partition; nothing to grow"
  exit 0
fi
part=$(cat "$sysdir/partition")
disk=/dev/$(basename "$(readlink -f "$sysdir/..")")
disk_sectors=$(cat "/sys/class/block/$(basename "$disk")/size")
start=$(cat "$sysdir/start")
size=$(cat "$sysdir/size")
# the common case (every boot after the first) costs no sfdisk run: with room kept for a backup GPT
# the partition already ends at the last aligned MiB
if [ $(( start + size )) -ge $(( (disk_sectors - 34) / 2048 * 2048 )) ]; then
  log "$src already fills $disk"
  exit 0
fi
label=$(sfdisk --dump "$disk" | sed -n 's/^label: //p')
# a GPT keeps 33 sectors for its backup at the end; keep partitions 1 MiB-aligned
reserve=0
if [ "$label" = gpt ]; then reserve=34; fi
end_max=$(( (disk_sectors - reserve) / 2048 * 2048 ))
if [ $(( start + size )) -ge "$end_max" ]; then
  log "$src already fills $disk"
  exit 0
fi
new_size=$(( end_max - start ))
log "growing $src from $(( size / 2048 )) MiB to $(( new_size / 2048 )) MiB"
if [ "$label" = gpt ]; then
  # move the backup GPT to the new end of the disk first
  sfdisk --no-reread --no-tell-kernel --quiet --relocate gpt-bak-std "$disk"
fi
echo "$start,$new_size" | sfdisk --no-reread --no-tell-kernel --quiet -N "$part" "$disk"
# tell the kernel about the new size of the mounted partition (BLKPG, no re-read of the whole table)
resizepart "$disk" "$part" "$new_size"
case $fstype in
  ext2|ext3|ext4) resize2fs "$src" ;;
  xfs) xfs_growfs / ;;
  btrfs) btrfs filesystem resize max / ;;
  *) log "cannot grow a $fstype filesystem"; exit 0 ;;
esac
log "root filesystem now $(df -B1M --output=size / | tail -n 1 | tr -d ' ') MiB"
