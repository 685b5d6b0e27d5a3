# shellcheck shell=bash
# Steps on the installed tree under $TARGET (copied by lib-copy.sh): make it a machine of its
# own (fstab, crypttab, identity, apt policy), remove what only a live system needs, initramfs, grub.
# Uses from the main script: TARGET, WORK, LIB, DISK, MEDIUM, KEYS_DIR, GOLDEN_*, HOSTNAME_CHOSEN,
# USER_PASSWORD, the PART_* arrays and MOUNTED from lib-disk.sh.

in_target() {
  chroot "$TARGET" /usr/bin/env DEBIAN_FRONTEND=noninteractive LC_ALL=C.UTF-8 "$@"
}

# fstab and crypttab by UUID (PARTUUID for swap with a random key: it has no stable UUID).
do_tables() {
  local i n=${#GOLDEN_LAYOUT[@]} entry type fs mp opts uuid pass name dev fstab crypttab
  fstab="# written by the Golden installer; <file system> <mount point> <type> <options> <dump> <pass>"$'\n'
  crypttab="# written by the Golden installer; <target> <source> <key file> <options>"$'\n'
  for ((i = 1; i <= n; i++)); do
    entry=${GOLDEN_LAYOUT[i - 1]}
    type=$(layout_field "$entry" type)
    fs=$(entry_fs "$entry")
    mp=$(entry_mountpoint "$entry")
    opts=$(layout_field "$entry" options)
    name=${PART_CRYPT[i]:-}
    dev=${PART_DEV[i]}
    if [[ -n $name ]]; then
      case $type in
        root) crypttab+="$name UUID=$(blkid -s UUID -o value "$dev") none luks,discard,initramfs"$'\n' ;;
        swap) crypttab+="$name PARTUUID=$(blkid -s PARTUUID -o value "$dev") /dev/urandom swap,cipher=aes-xts-plain64,size=512"$'\n' ;;
        *) crypttab+="$name UUID=$(blkid -s UUID -o value "$dev") /etc/cryptsetup-keys.d/$name.key luks,discard"$'\n' ;;
      esac
    fi
    [[ $fs != none ]] || continue
    if [[ $fs == swap ]]; then
      if [[ -n $name ]]; then fstab+="/dev/mapper/$name none swap sw 0 0"$'\n'; else fstab+="UUID=$(blkid -s UUID -o value "$dev") none swap sw 0 0"$'\n'; fi
      continue
    fi
    [[ -n $mp ]] || continue
    uuid=$(blkid -s UUID -o value "${PART_FS_DEV[i]}")
    [[ -n $uuid ]] || { echo "no filesystem UUID on ${PART_FS_DEV[i]}" >&2; return 1; }
    pass=2
    [[ $mp == / ]] && pass=1
    [[ $fs == vfat || $fs == btrfs || $fs == xfs ]] && pass=0
    fstab+="UUID=$uuid $mp $fs $opts 0 $pass"$'\n'
  done
  printf '%s' "$fstab" >"$TARGET/etc/fstab"
  printf '%s' "$crypttab" >"$TARGET/etc/crypttab"
  cat "$TARGET/etc/fstab" "$TARGET/etc/crypttab"
  if [[ -d $KEYS_DIR ]]; then
    install -d -m 0700 "$TARGET/etc/cryptsetup-keys.d"
    cp "$KEYS_DIR"/*.key "$TARGET/etc/cryptsetup-keys.d/"
    chmod 0400 "$TARGET"/etc/cryptsetup-keys.d/*.key
  fi
  if [[ $GOLDEN_ENCRYPT == 1 ]]; then
    mkdir -p "$TARGET/etc/cryptsetup-initramfs"
    # include cryptsetup in the initramfs even when its detection of the root device falls short
    printf 'CRYPTSETUP=y\n' >"$TARGET/etc/cryptsetup-initramfs/conf-hook"
  fi
}

# A machine of its own: identity, locale, keyboard, first user.
do_identity() {
  IMAGE_MACHINE_ID=$(cat "$TARGET/etc/machine-id" 2>/dev/null || true)
  echo "image machine-id: $IMAGE_MACHINE_ID"
  rm -f "$TARGET/etc/machine-id" "$TARGET/var/lib/dbus/machine-id"
  systemd-machine-id-setup --root="$TARGET"
  if [[ -d $TARGET/var/lib/dbus ]]; then ln -sf /etc/machine-id "$TARGET/var/lib/dbus/machine-id"; fi
  NEW_MACHINE_ID=$(cat "$TARGET/etc/machine-id")
  echo "new machine-id: $NEW_MACHINE_ID"

  printf '%s\n' "$HOSTNAME_CHOSEN" >"$TARGET/etc/hostname"
  if grep -q '^127\.0\.1\.1' "$TARGET/etc/hosts" 2>/dev/null; then
    sed -i "s/^127\.0\.1\.1.*/127.0.1.1\t$HOSTNAME_CHOSEN/" "$TARGET/etc/hosts"
  else
    printf '127.0.1.1\t%s\n' "$HOSTNAME_CHOSEN" >>"$TARGET/etc/hosts"
  fi

  rm -f "$TARGET"/etc/ssh/ssh_host_*
  if [[ -x $TARGET/usr/bin/ssh-keygen ]]; then in_target ssh-keygen -A; fi

  if [[ -f $TARGET/usr/share/zoneinfo/$GOLDEN_TIMEZONE ]]; then
    ln -sf "/usr/share/zoneinfo/$GOLDEN_TIMEZONE" "$TARGET/etc/localtime"
    printf '%s\n' "$GOLDEN_TIMEZONE" >"$TARGET/etc/timezone"
  else
    echo "warning: time zone $GOLDEN_TIMEZONE is not in the image (tzdata missing?); left unchanged"
  fi
  printf 'LANG=%s\n' "$GOLDEN_LOCALE" >"$TARGET/etc/default/locale"
  case $GOLDEN_LOCALE in
    C | C.UTF-8 | C.utf8 | POSIX) ;;
    *)
      if [[ -x $TARGET/usr/sbin/locale-gen ]]; then
        local charset=${GOLDEN_LOCALE#*.}
        [[ $charset != "$GOLDEN_LOCALE" ]] || charset=UTF-8
        printf '%s %s\n' "$GOLDEN_LOCALE" "$charset" >>"$TARGET/etc/locale.gen"
        in_target locale-gen
      else
        echo "warning: locales is not installed in the image; $GOLDEN_LOCALE is set but not generated"
      fi
      ;;
  esac
  if [[ -n ${GOLDEN_KEYBOARD_LAYOUT:-} ]]; then
    printf 'XKBMODEL="%s"\nXKBLAYOUT="%s"\nXKBVARIANT="%s"\nXKBOPTIONS=""\nBACKSPACE="guess"\n' \
      "${GOLDEN_KEYBOARD_MODEL:-pc105}" "$GOLDEN_KEYBOARD_LAYOUT" "${GOLDEN_KEYBOARD_VARIANT:-}" >"$TARGET/etc/default/keyboard"
  fi

  if [[ -n ${GOLDEN_USER_NAME:-} ]]; then
    if ! in_target getent passwd "$GOLDEN_USER_NAME" >/dev/null; then
      in_target useradd --create-home --shell /bin/bash "$GOLDEN_USER_NAME"
    fi
    if [[ -n ${GOLDEN_USER_HASH:-} ]]; then
      printf '%s:%s\n' "$GOLDEN_USER_NAME" "$GOLDEN_USER_HASH" | in_target chpasswd --encrypted
    elif [[ -n ${USER_PASSWORD:-} ]]; then
      printf '%s:%s\n' "$GOLDEN_USER_NAME" "$USER_PASSWORD" | in_target chpasswd
    fi
    if [[ ${GOLDEN_USER_SUDO:-0} == 1 ]]; then
      install -d -m 0750 "$TARGET/etc/sudoers.d"
      printf '%s ALL=(ALL:ALL) ALL\n' "$GOLDEN_USER_NAME" >"$TARGET/etc/sudoers.d/90-golden-user"
      chmod 0440 "$TARGET/etc/sudoers.d/90-golden-user"
      if in_target getent group sudo >/dev/null; then in_target usermod -aG sudo "$GOLDEN_USER_NAME"; fi
    fi
  fi
}

# Company apt sources (Signed-By inline) and the unattended-upgrades policy, as generated from the config
# at build time; the disc's own sources go unless the config keeps them.
do_apt_policy() {
  if [[ -d $LIB/target-files ]]; then cp -a "$LIB/target-files/." "$TARGET/"; fi
  if [[ $GOLDEN_KEEP_CDROM != 1 ]]; then
    local f
    for f in "$TARGET"/etc/apt/sources.list.d/*.sources "$TARGET"/etc/apt/sources.list.d/*.list; do
      [[ -f $f ]] || continue
      if [[ $(basename "$f") == cdrom.sources ]] || grep -Eq "(file:|cdrom:)(//)?${MEDIUM}|file:///cdrom|^deb cdrom:" "$f"; then
        echo "removing the disc's apt source $f"
        rm -f "$f"
      fi
    done
    if [[ -f $TARGET/etc/apt/sources.list ]]; then sed -i '/^deb cdrom:/d' "$TARGET/etc/apt/sources.list"; fi
  fi
  ls -l "$TARGET/etc/apt/sources.list.d/" "$TARGET/etc/apt/apt.conf.d/"
}

# The installed system's initramfs, built with the image (without live-boot), one per kernel
# (src/steps/payload/initramfs-installed.sh). Without it the installer falls back to update-initramfs.
PREBUILT_INITRAMFS=/usr/lib/golden-installer/initramfs

# What only a live system needs does not belong on the installed machine.
do_remove_live() {
  local pkg
  local -a installed=()
  # shellcheck disable=SC2016 # ${Status} is dpkg-query's format, not a shell expansion
  for pkg in live-boot live-boot-initramfs-tools live-config live-config-systemd live-config-sysvinit live-tools; do
    if in_target dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep 'install ok installed' >/dev/null; then installed+=("$pkg"); fi
  done
  printf '#!/bin/sh\nexit 101\n' >"$TARGET/usr/sbin/policy-rc.d"
  chmod 0755 "$TARGET/usr/sbin/policy-rc.d"
  if ((${#installed[@]})); then
    echo "purging ${installed[*]}"
    if has_prebuilt_initramfs; then
      # initramfs-tools' trigger would rebuild the initramfs under emulation for many minutes; the
      # installed system's initramfs was built with the image instead (do_initramfs puts it in place)
      in_target dpkg-divert --quiet --local --rename --divert /usr/sbin/update-initramfs.golden-real --add /usr/sbin/update-initramfs
      printf '#!/bin/sh\n# Golden installer: the initramfs comes with the image\nexit 0\n' >"$TARGET/usr/sbin/update-initramfs"
      chmod 0755 "$TARGET/usr/sbin/update-initramfs"
      in_target apt-get purge -y "${installed[@]}"
      rm -f "$TARGET/usr/sbin/update-initramfs"
      in_target dpkg-divert --quiet --local --rename --remove /usr/sbin/update-initramfs
    else
      # initramfs-tools' trigger rebuilds the initramfs during the purge; do_initramfs keeps what is newer
      touch "$WORK/purge-started"
      in_target apt-get purge -y "${installed[@]}"
    fi
  fi
  rm -f "$TARGET/usr/sbin/policy-rc.d"
}

has_prebuilt_initramfs() {
  compgen -G "$TARGET$PREBUILT_INITRAMFS/initrd.img-*" >/dev/null
}

# The lines of crypttab the initramfs must unlock (those marked "initramfs": the root), as the
# cryptsetup hook writes them to cryptroot/crypttab.
initramfs_crypttab() {
  grep -E '^[^#[:space:]]+[[:space:]]+[^[:space:]]+[[:space:]]+[^[:space:]]+[[:space:]]+([^[:space:]]*,)?initramfs(,|[[:space:]]|$)' "$TARGET/etc/crypttab" || true
}

# Put the prebuilt initramfs of $1 in /boot. With encryption its crypttab is appended as one more
# cpio archive: the kernel unpacks every archive of the initramfs in turn, later files add to earlier.
place_prebuilt_initramfs() {
  local version=$1 new extra
  new=$TARGET/boot/.initrd.img-$version.new
  cp "$TARGET$PREBUILT_INITRAMFS/initrd.img-$version" "$new"
  if [[ $GOLDEN_ENCRYPT == 1 ]]; then
    extra=$WORK/initramfs-extra
    rm -rf "$extra"
    mkdir -p "$extra/cryptroot"
    initramfs_crypttab >"$extra/cryptroot/crypttab"
    [[ -s $extra/cryptroot/crypttab ]] || { echo "crypttab has no entry for the initramfs to unlock" >&2; return 1; }
    echo "cryptroot/crypttab of the initramfs:"
    cat "$extra/cryptroot/crypttab"
    # the kernel takes an uncompressed archive only at a 4-byte aligned offset (else "invalid magic");
    # the zeros in between are skipped
    truncate -s %4 "$new"
    (cd "$extra" && printf '%s\n' cryptroot cryptroot/crypttab | cpio --quiet -o -H newc -R 0:0) >>"$new"
  fi
  mv "$new" "$TARGET/boot/initrd.img-$version"
  echo "the installed system's initramfs of $version, built with the image, is in place"
}

# One initramfs per installed kernel; with encryption it must be able to ask for the passphrase.
do_initramfs() {
  local dir version
  local -a versions=()
  for dir in "$TARGET"/lib/modules/*; do
    [[ -d $dir ]] || continue
    version=$(basename "$dir")
    [[ -f $TARGET/boot/vmlinuz-$version ]] && versions+=("$version")
  done
  ((${#versions[@]})) || { echo "the image has no kernel (/boot/vmlinuz-*)" >&2; return 1; }
  for version in "${versions[@]}"; do
    local initrd=$TARGET/boot/initrd.img-$version
    if [[ -f $TARGET$PREBUILT_INITRAMFS/initrd.img-$version ]]; then
      place_prebuilt_initramfs "$version"
      continue
    fi
    if [[ -f $WORK/purge-started && $initrd -nt $WORK/purge-started ]] &&
      { [[ $GOLDEN_ENCRYPT != 1 ]] || in_target lsinitramfs "/boot/initrd.img-$version" | grep 'cryptroot/crypttab$' >/dev/null; }; then
      echo "the initramfs of $version was rebuilt after live-boot was purged: kept"
      continue
    fi
    if [[ -f $initrd ]]; then
      in_target update-initramfs -u -k "$version"
    else
      in_target update-initramfs -c -k "$version"
    fi
    if [[ $GOLDEN_ENCRYPT == 1 ]]; then
      if ! in_target lsinitramfs "/boot/initrd.img-$version" | grep 'cryptroot/crypttab$' >/dev/null; then
        echo "the initramfs of $version cannot unlock the root filesystem (no cryptroot/crypttab in it)" >&2
        return 1
      fi
    fi
  done
}

# The installer itself does not belong on the installed machine; its report does, for the first boot.
do_remove_installer() {
  rm -rf "$TARGET/usr/lib/golden-installer" "$TARGET/etc/golden/installer.conf" \
    "$TARGET/etc/systemd/system/golden-installer.service" "$TARGET/etc/systemd/system-generators/golden-installer-generator"
  # the report travels in the live-only layer: it is put in place here
  install -D -m 0755 /usr/libexec/golden-install-report "$TARGET/usr/libexec/golden-install-report"
  install -D -m 0644 /etc/systemd/system/golden-install-report.service "$TARGET/etc/systemd/system/golden-install-report.service"
  mkdir -p "$TARGET/etc/systemd/system/multi-user.target.wants"
  ln -sf /etc/systemd/system/golden-install-report.service "$TARGET/etc/systemd/system/multi-user.target.wants/golden-install-report.service"
}

# GRUB for BIOS (core image in the BIOS boot partition) and UEFI (shim + signed GRUB, under the vendor's
# directory and the removable path EFI/BOOT, so the disk boots on a machine with no boot entry for it).
do_bootloader() {
  local serial='' arg unit speed
  for arg in $GOLDEN_KERNEL_ARGS; do
    if [[ $arg =~ ^console=ttyS([0-9]+)(,([0-9]+))? ]]; then
      unit=${BASH_REMATCH[1]}
      speed=${BASH_REMATCH[3]:-115200}
      serial="serial --unit=$unit --speed=$speed"
    fi
  done
  {
    echo '# written by the Golden installer'
    echo 'GRUB_DEFAULT=0'
    echo 'GRUB_TIMEOUT=2'
    printf 'GRUB_DISTRIBUTOR="%s"\n' "$GOLDEN_PRETTY_NAME"
    echo 'GRUB_CMDLINE_LINUX_DEFAULT=""'
    # the image's own drop-in already appends kernel.commandLine; saying it twice would double it
    if [[ -f $TARGET/etc/default/grub.d/golden.cfg ]]; then
      echo 'GRUB_CMDLINE_LINUX=""'
    else
      printf 'GRUB_CMDLINE_LINUX="%s"\n' "$GOLDEN_KERNEL_ARGS"
    fi
    echo 'GRUB_DISABLE_OS_PROBER=true'
    if [[ -n $serial ]]; then
      echo 'GRUB_TERMINAL="console serial"'
      printf 'GRUB_SERIAL_COMMAND="%s"\n' "$serial"
    fi
  } >"$TARGET/etc/default/grub"
  local has_bios=0 has_esp=0 entry
  for entry in "${GOLDEN_LAYOUT[@]}"; do
    case $(layout_field "$entry" type) in bios-boot) has_bios=1 ;; esp) has_esp=1 ;; esac
  done
  if ((has_bios)); then timed 'grub-install (BIOS)' in_target grub-install --target=i386-pc --recheck "$DISK"; fi
  if ((has_esp)); then
    local -a nvram=()
    # booted with BIOS, or firmware variables unreachable: the removable path alone makes it boot
    [[ -d /sys/firmware/efi/efivars ]] || nvram=(--no-nvram)
    timed 'grub-install (UEFI)' in_target grub-install --target=x86_64-efi --efi-directory=/boot/efi --bootloader-id="$GOLDEN_VENDOR" \
      --uefi-secure-boot "${nvram[@]}" --recheck
    # the removable path holds the same signed shim, MokManager and GRUB (which reads the vendor
    # directory's grub.cfg): copied, where a second grub-install would probe every device again
    local efi=$TARGET/boot/efi/EFI
    install -d "$efi/BOOT"
    cp "$efi/$GOLDEN_VENDOR/shimx64.efi" "$efi/BOOT/BOOTX64.EFI"
    cp "$efi/$GOLDEN_VENDOR/grubx64.efi" "$efi/BOOT/grubx64.efi"
    local f
    for f in mmx64.efi grub.cfg; do
      if [[ -f $efi/$GOLDEN_VENDOR/$f ]]; then cp "$efi/$GOLDEN_VENDOR/$f" "$efi/BOOT/$f"; fi
    done
    ls -lR "$efi"
  fi
  ((has_bios || has_esp)) || { echo "the layout has neither a BIOS boot partition nor an ESP: nothing can boot it" >&2; return 1; }
  timed grub-mkconfig in_target grub-mkconfig -o /boot/grub/grub.cfg
  grep -q "menuentry" "$TARGET/boot/grub/grub.cfg" || { echo "grub-mkconfig wrote no boot entry" >&2; return 1; }
}
