# shellcheck shell=bash
# The copy of the live image's root to $TARGET. The medium's squashfs layers are unpacked one after the
# other with unsquashfs: it decompresses on every CPU and writes straight to the disk, with no overlayfs
# in between (measured: about twice as fast as rsync -aHAX, cp -a or a tar pipe through the stacked
# layers). Each layer is an overlayfs upper directory, so its markers are applied the way overlayfs reads
# them: a 0/0 character device (whiteout) deletes the path below it, a directory marked
# trusted.overlay.opaque hides what the lower layers had in it, and an entry of another kind replaces the
# lower one (a hard link is never written through: the old name is removed first). The overlay's own
# trusted.overlay.* attributes are not left on the installed system. Names must not hold a newline.
# Uses from the main script: TARGET, WORK.

# copy_layer FILE DIR: unpack squashfs FILE (mounted read-only at DIR) over $TARGET.
copy_layer() {
  local file=$1 dir=$2 entries=$WORK/copy-entries xattrs=$WORK/copy-xattrs whiteouts=$WORK/copy-whiteouts path
  # every entry of the layer as "KIND PATH" (find's %y: d, f, l, c, ...)
  find "$dir" -mindepth 1 -printf '%y %P\n' >"$entries"
  : >"$whiteouts"
  while IFS= read -r path; do
    if [[ $(stat -c '%t:%T' "$dir/$path") == 0:0 ]]; then printf '%s\n' "$path" >>"$whiteouts"; fi
  done < <(sed -n 's/^c //p' "$entries")
  # overlay attributes as "NAME PATH"; getfattr fails on a layer that has none: the output is all that counts
  { getfattr -R -P -h --absolute-names -m '^trusted\.overlay\.' "$dir" 2>/dev/null || true; } |
    awk -v prefix="$dir" '
      /^# file: / { path = substr($0, 9); sub("^" prefix "/?", "", path); next }
      /^trusted\.overlay\./ { print $0 " " path }' >"$xattrs"

  # what the layer replaces or deletes goes first: entries of another kind than below, and whiteouts
  { find "$TARGET" -mindepth 1 -printf '%y %P\n'; echo '--'; cat "$entries"; } |
    awk -v target="$TARGET" '
      $0 == "--" { layer = 1; next }
      { kind = substr($0, 1, 1); path = substr($0, 3) }
      !layer { have[path] = kind; next }
      (path in have) && (kind != "d" || have[path] != "d") { print target "/" path }' |
    xargs -r -d '\n' rm -rf --
  # an opaque directory hides what the lower layers had in it
  awk -v target="$TARGET" '$1 == "trusted.overlay.opaque" && length($0) > 23 { print target "/" substr($0, 24) }' "$xattrs" |
    xargs -r -d '\n' rm -rf --

  unsquashfs -f -n -d "$TARGET" "$file"

  # the whiteouts themselves and the overlay attributes are markers, not part of the system
  sed "s|^|$TARGET/|" "$whiteouts" | xargs -r -d '\n' rm -f --
  local name
  while IFS= read -r name; do
    awk -v n="$name" -v target="$TARGET" '$1 == n { print target "/" substr($0, length(n) + 2) }' "$xattrs" |
      while IFS= read -r path; do if [[ -e $path || -L $path ]]; then printf '%s\n' "$path"; fi; done |
      xargs -r -d '\n' setfattr -h -x "$name" --
  done < <(awk '{ print $1 }' "$xattrs" | sort -u)
  echo "$(basename "$file"): $(wc -l <"$entries") entries, $(wc -l <"$whiteouts") whiteouts, $(awk '$1 == "trusted.overlay.opaque"' "$xattrs" | wc -l) opaque directories"
}

# Unpack every layer of the image, bottom first, skipping the disc's own live-only layer.
do_copy() {
  local live=$MEDIUM/live layer i=0 esp=''
  local -a layers=()
  mapfile -t layers < <(live_layers "$live")
  ((${#layers[@]})) || { echo "no squashfs layers in $live" >&2; return 1; }
  local tool
  for tool in unsquashfs getfattr setfattr; do
    command -v "$tool" >/dev/null || { echo "the live image lacks $tool (packages squashfs-tools, attr)" >&2; return 1; }
  done
  # the ESP's vfat root cannot take the owner and mode of the image's /boot/efi: GRUB fills it later
  if mountpoint -q "$TARGET/boot/efi"; then
    esp=$(findmnt -n -o SOURCE "$TARGET/boot/efi")
    umount "$TARGET/boot/efi"
  fi
  for layer in "${layers[@]}"; do
    # the disc's own top layer (its apt source, the live marker, this installer) is for the live system only
    # shellcheck disable=SC2053 # the pattern is a glob on purpose
    if [[ $(basename "$layer") == ${GOLDEN_SKIP_LAYERS:-*-live.squashfs} ]]; then
      echo "not copied (live system only): $layer"
      continue
    fi
    i=$((i + 1))
    mkdir -p "$WORK/layers/$i"
    mount -t squashfs -o ro,loop "$layer" "$WORK/layers/$i"
    MOUNTED+=("$WORK/layers/$i")
    copy_layer "$layer" "$WORK/layers/$i"
  done
  ((i > 0)) || { echo "every layer of $live is live-only: nothing to install" >&2; return 1; }
  if [[ -n $esp ]]; then
    mkdir -p "$TARGET/boot/efi"
    find "$TARGET/boot/efi" -mindepth 1 -delete
    mount "$esp" "$TARGET/boot/efi"
  fi
  # the settings file can hold the passphrase: it never reaches the disk
  rm -f "$TARGET/etc/golden/installer.conf"
  [[ -x $TARGET/bin/sh || -L $TARGET/bin/sh ]] || { echo "the copied tree has no /bin/sh" >&2; return 1; }
}
