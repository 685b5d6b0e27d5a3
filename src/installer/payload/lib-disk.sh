# shellcheck shell=bash
# Disk steps: partition table, LUKS2 containers, filesystems, mounts under $TARGET. Every device made or
# mounted is recorded so cleanup_disk can undo it in reverse order, on success and on failure.
# Uses from the main script: TARGET, DISK, GOLDEN_LAYOUT, GOLDEN_ENCRYPT, PASSPHRASE, PART_*.

MOUNTED=()
OPENED=()

# Partition devices and what was made on them, by partition index (1-based).
PART_DEV=()
PART_FS_DEV=()
PART_CRYPT=()

wait_for_device() {
  local dev=$1 i
  for i in $(seq 1 50); do
    [[ -b $dev ]] && return 0
    udevadm settle --timeout=5 2>/dev/null || true
    [[ -b $dev ]] && return 0
    sleep 0.2
    : "$i"
  done
  echo "the partition $dev did not appear" >&2
  return 1
}

do_partition() {
  local bytes script
  bytes=$(blockdev --getsize64 "$DISK")
  script=$(partition_plan "$bytes" "${GOLDEN_LAYOUT[@]}")
  printf '%s\n' "$script"
  # old signatures (a previous LUKS header, RAID or LVM) would confuse what follows
  wipefs --all --force "$DISK"
  printf '%s\n' "$script" | sfdisk --wipe always --wipe-partitions always "$DISK"
  # sfdisk asks the kernel to re-read the table; partx covers a kernel that refused while busy
  partx --update "$DISK" 2>/dev/null || true
  udevadm settle --timeout=10 || true
  local i n=${#GOLDEN_LAYOUT[@]} dev
  for ((i = 1; i <= n; i++)); do
    dev=$(part_device "$DISK" "$i")
    wait_for_device "$dev"
    PART_DEV[i]=$dev
    wipefs --all --force "$dev" >/dev/null
  done
}

# Whether layout entry $1 is put in a LUKS container.
is_encrypted() {
  [[ $GOLDEN_ENCRYPT == 1 ]] || return 1
  case $(layout_field "$1" type) in root | home | linux | swap) return 0 ;; *) return 1 ;; esac
}

do_encrypt() {
  local i n=${#GOLDEN_LAYOUT[@]} entry dev name type
  for ((i = 1; i <= n; i++)); do
    entry=${GOLDEN_LAYOUT[i - 1]}
    dev=${PART_DEV[i]}
    PART_FS_DEV[i]=$dev
    is_encrypted "$entry" || continue
    type=$(layout_field "$entry" type)
    name=$(crypt_name "$(layout_field "$entry" label)")
    case $type in
      root)
        # argon2id is LUKS2's default KDF; named so a changed default cannot weaken it
        printf '%s' "$PASSPHRASE" | cryptsetup luksFormat --batch-mode --type luks2 --pbkdf argon2id \
          --pbkdf-memory "${GOLDEN_KDF_MEMORY_KIB:-1048576}" --iter-time "${GOLDEN_KDF_TIME_MS:-2000}" \
          --label "$name" --key-file - "$dev"
        printf '%s' "$PASSPHRASE" | cryptsetup open --key-file - "$dev" "$name"
        ;;
      swap)
        # swap gets a fresh random key at every boot (crypttab below): nothing to format now
        PART_CRYPT[i]=$name
        continue
        ;;
      *)
        # further data partitions are unlocked at boot with a key file kept on the encrypted root
        mkdir -p "$KEYS_DIR"
        head -c 64 /dev/urandom >"$KEYS_DIR/$name.key"
        chmod 0400 "$KEYS_DIR/$name.key"
        # a 512-bit random key needs no costly KDF against guessing: the cheapest argon2id unlocks at once
        cryptsetup luksFormat --batch-mode --type luks2 --pbkdf argon2id --pbkdf-memory 32768 --pbkdf-force-iterations 4 \
          --label "$name" --key-file "$KEYS_DIR/$name.key" "$dev"
        cryptsetup open --key-file "$KEYS_DIR/$name.key" "$dev" "$name"
        ;;
    esac
    OPENED+=("$name")
    PART_CRYPT[i]=$name
    PART_FS_DEV[i]=/dev/mapper/$name
  done
}

# The filesystem of layout entry $1, with the schema's defaults.
entry_fs() {
  local fs type
  fs=$(layout_field "$1" fs)
  type=$(layout_field "$1" type)
  if [[ -z $fs || $fs == - ]]; then
    case $type in esp) fs=vfat ;; swap) fs=swap ;; bios-boot) fs=none ;; *) fs=ext4 ;; esac
  fi
  printf '%s\n' "$fs"
}

# The mount point of layout entry $1, with the schema's defaults ("" for none).
entry_mountpoint() {
  local mp type
  mp=$(layout_field "$1" mountpoint)
  type=$(layout_field "$1" type)
  if [[ -z $mp || $mp == - ]]; then
    case $type in esp) mp=/boot/efi ;; root) mp=/ ;; home) mp=/home ;; boot) mp=/boot ;; *) mp='' ;; esac
  fi
  printf '%s\n' "$mp"
}

do_mkfs() {
  local i n=${#GOLDEN_LAYOUT[@]} entry dev fs label
  for ((i = 1; i <= n; i++)); do
    entry=${GOLDEN_LAYOUT[i - 1]}
    dev=${PART_FS_DEV[i]}
    fs=$(entry_fs "$entry")
    label=$(layout_field "$entry" label)
    [[ $(layout_field "$entry" type) == swap && -n ${PART_CRYPT[i]:-} ]] && continue
    case $fs in
      none) ;;
      ext4) mkfs.ext4 -F -q -L "${label:0:16}" "$dev" ;;
      xfs) mkfs.xfs -f -q -L "${label:0:12}" "$dev" ;;
      btrfs) mkfs.btrfs -f -q -L "$label" "$dev" ;;
      vfat) mkfs.vfat -F 32 -n "$(printf '%s' "${label:0:11}" | tr '[:lower:]' '[:upper:]')" "$dev" ;;
      swap) mkswap -L "$label" "$dev" ;;
      *)
        echo "unsupported filesystem $fs" >&2
        return 1
        ;;
    esac
  done
}

# Mount every filesystem under $TARGET, shortest mount point first so /boot/efi lands on /boot.
do_mount() {
  local i n=${#GOLDEN_LAYOUT[@]} entry mp fs line
  local -a order=()
  for ((i = 1; i <= n; i++)); do
    entry=${GOLDEN_LAYOUT[i - 1]}
    mp=$(entry_mountpoint "$entry")
    fs=$(entry_fs "$entry")
    [[ -n $mp && $fs != swap && $fs != none ]] || continue
    order+=("$(printf '%03d %s %s' "${#mp}" "$i" "$mp")")
  done
  mkdir -p "$TARGET"
  while read -r _ i mp; do
    [[ -n ${i:-} ]] || continue
    mkdir -p "$TARGET$mp"
    mount "${PART_FS_DEV[i]}" "$TARGET$mp"
    MOUNTED+=("$TARGET$mp")
  done < <(printf '%s\n' "${order[@]}" | sort)
  line=$(findmnt -n -o SOURCE "$TARGET" || true)
  [[ -n $line ]] || { echo "no root filesystem (a partition of type root) in the layout" >&2; return 1; }
}

# Bind what a chroot needs to run grub-install, update-initramfs and apt.
mount_chroot_fs() {
  local d
  for d in dev dev/pts proc sys run; do
    mkdir -p "$TARGET/$d"
    mount --bind "/$d" "$TARGET/$d"
    MOUNTED+=("$TARGET/$d")
  done
  if [[ -d /sys/firmware/efi/efivars ]]; then
    mount --bind /sys/firmware/efi/efivars "$TARGET/sys/firmware/efi/efivars"
    MOUNTED+=("$TARGET/sys/firmware/efi/efivars")
  fi
}

# Undo every mount and container, newest first. Never fails: it also runs after a failure.
cleanup_disk() {
  local i
  sync || true
  for ((i = ${#MOUNTED[@]} - 1; i >= 0; i--)); do
    umount "${MOUNTED[i]}" 2>/dev/null || umount -l "${MOUNTED[i]}" 2>/dev/null || true
  done
  MOUNTED=()
  for ((i = ${#OPENED[@]} - 1; i >= 0; i--)); do
    cryptsetup close "${OPENED[i]}" 2>/dev/null || true
  done
  OPENED=()
}
