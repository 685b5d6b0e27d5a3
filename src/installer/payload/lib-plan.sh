# shellcheck shell=bash
# Pure decisions of the installer: which disk, which partition table, which hostname, which passphrase
# is acceptable. No side effects and no devices touched, so test/installer drives them with fixtures.

# Bytes of a size such as 512M, 1.5G, 2048K or 1MiB (powers of 1024, as in golden.yaml).
size_to_bytes() {
  local text=${1^^}
  text=${text%B}
  text=${text%I}
  awk -v t="$text" 'BEGIN {
    n = t; u = substr(t, length(t), 1)
    m = 1
    if (u == "K") m = 1024; else if (u == "M") m = 1048576; else if (u == "G") m = 1073741824; else if (u == "T") m = 1099511627776
    if (u ~ /[KMGT]/) n = substr(t, 1, length(t) - 1)
    if (n !~ /^[0-9]+(\.[0-9]+)?$/) exit 1
    printf "%.0f\n", n * m
  }'
}

# The disk to install to, from `lsblk -dnbP -o NAME,SIZE,TYPE,RM,RO,TRAN` on stdin: the only or the
# largest disk that is not removable, read-only, a RAM/zram/loop device or the disk the live medium is on
# ($1, may be empty). Prints the name (such as vda); fails when there is none.
choose_disk() {
  local exclude=${1:-} line name size type rm ro best='' best_size=0
  while IFS= read -r line; do
    [[ $line =~ NAME=\"([^\"]*)\" ]] || continue
    name=${BASH_REMATCH[1]}
    [[ $line =~ SIZE=\"([0-9]*)\" ]] && size=${BASH_REMATCH[1]:-0} || size=0
    [[ $line =~ TYPE=\"([^\"]*)\" ]] && type=${BASH_REMATCH[1]} || type=''
    [[ $line =~ RM=\"([^\"]*)\" ]] && rm=${BASH_REMATCH[1]} || rm=0
    [[ $line =~ RO=\"([^\"]*)\" ]] && ro=${BASH_REMATCH[1]} || ro=0
    [[ $type == disk && $rm == 0 && $ro == 0 ]] || continue
    [[ -n $exclude && $name == "$exclude" ]] && continue
    case $name in zram* | ram* | loop* | sr* | fd* | md*boot*) continue ;; esac
    ((size > 0)) || continue
    if ((size > best_size)); then
      best=$name
      best_size=$size
    fi
  done
  [[ -n $best ]] || return 1
  printf '%s\n' "$best"
}

# The device node of partition $2 of disk $1: vda → vda2, nvme0n1 → nvme0n1p2, mmcblk0 → mmcblk0p2.
part_device() {
  local disk=$1 n=$2
  if [[ $disk =~ [0-9]$ ]]; then printf '%sp%s\n' "$disk" "$n"; else printf '%s%s\n' "$disk" "$n"; fi
}

# GPT partition type GUIDs (UEFI spec; Discoverable Partitions Specification for x86-64 root).
partition_type_guid() {
  case $1 in
    bios-boot) echo 21686148-6449-6E6F-744E-656564454649 ;;
    esp) echo C12A7328-F81F-11D2-BA4B-00A0C93EC93B ;;
    root) echo 4F68BCE3-E8CD-4DB1-96E7-FBCAF984B709 ;;
    swap) echo 0657FD6D-A4AB-43C4-84E5-0933C84B4F4F ;;
    home) echo 933AC7E1-2EB4-4F13-B844-0E14E2AEF915 ;;
    boot | linux) echo 0FC63DAF-8483-4772-8E79-3D69D8477DE4 ;;
    *) return 1 ;;
  esac
}

# Field $2 (label size type fs mountpoint options) of a layout entry "label|size|type|fs|mountpoint|options".
layout_field() {
  local IFS='|' fields
  read -r -a fields <<<"$1"
  case $2 in
    label) printf '%s\n' "${fields[0]:-}" ;;
    size) printf '%s\n' "${fields[1]:-}" ;;
    type) printf '%s\n' "${fields[2]:-}" ;;
    fs) printf '%s\n' "${fields[3]:-}" ;;
    mountpoint) printf '%s\n' "${fields[4]:-}" ;;
    options) printf '%s\n' "${fields[5]:-defaults}" ;;
  esac
}

# An sfdisk script for a GPT disk of $1 bytes (512-byte sectors) holding the layout entries $2...
# Partitions start on 1 MiB boundaries; fixed sizes are rounded up to 1 MiB; percentages share what the
# fixed ones leave, and the last percentage partition takes the rounding remainder.
partition_plan() {
  local disk_bytes=$1
  shift
  local -r align=2048 sector=512
  local total_sectors=$((disk_bytes / sector))
  # the backup GPT takes the last 33 sectors
  local last_usable=$((total_sectors - 34))
  local first=$align
  local available=$((((last_usable + 1 - first) / align) * align))
  ((available > 0)) || { echo "disk of $disk_bytes bytes is too small" >&2; return 1; }
  local entry size bytes fixed=0 percent=0 last_percent=0 i=0
  local -a sectors=()
  for entry in "$@"; do
    i=$((i + 1))
    size=$(layout_field "$entry" size)
    if [[ $size =~ ^([0-9]{1,3})%$ ]]; then
      percent=$((percent + BASH_REMATCH[1]))
      last_percent=$i
      sectors+=("%${BASH_REMATCH[1]}")
    else
      bytes=$(size_to_bytes "$size") || { echo "partition $i: bad size \"$size\"" >&2; return 1; }
      local s=$((((bytes + sector - 1) / sector + align - 1) / align * align))
      ((s > 0)) || { echo "partition $i: size must not be zero" >&2; return 1; }
      fixed=$((fixed + s))
      sectors+=("$s")
    fi
  done
  ((percent <= 100)) || { echo "percentages add up to ${percent}% (more than 100%)" >&2; return 1; }
  ((fixed <= available)) || { echo "the partitions need $((fixed * sector / 1048576)) MiB but the disk has $((available * sector / 1048576)) MiB" >&2; return 1; }
  local rest=$((available - fixed)) used_percent=0
  printf 'label: gpt\nunit: sectors\nfirst-lba: %s\n\n' "$first"
  local start=$first n=0 type guid label s
  for entry in "$@"; do
    n=$((n + 1))
    s=${sectors[n - 1]}
    if [[ $s == %* ]]; then
      if ((n == last_percent && percent == 100)); then
        s=$((rest - used_percent))
      else
        s=$((rest * ${s#%} / 100 / align * align))
        used_percent=$((used_percent + s))
      fi
      ((s > 0)) || { echo "partition $n: no space left for it" >&2; return 1; }
    fi
    type=$(layout_field "$entry" type)
    guid=$(partition_type_guid "$type") || { echo "partition $n: unknown type \"$type\"" >&2; return 1; }
    label=$(layout_field "$entry" label)
    printf 'start=%s, size=%s, type=%s, name="%s"\n' "$start" "$s" "$guid" "$label"
    start=$((start + s))
  done
}

# A hostname from a pattern such as acme-{serial}: {serial} is the DMI serial ($2; a placeholder value that
# vendors leave in it counts as none), {mac} the first MAC address ($3), {random} the hex string $4, which
# also stands in for a missing serial or MAC. The result is a valid host name (RFC 1123, at most 63 chars).
expand_hostname() {
  local pattern=$1 serial=${2:-} mac=${3:-} random=${4:-}
  local lowered=${serial,,}
  case $lowered in
    '' | 0 | none | 'not specified' | 'to be filled by o.e.m.' | 'system serial number' | 'default string' | 'not applicable' | 'chassis serial number' | *'0123456789'*) serial=$random ;;
  esac
  [[ -n $mac ]] || mac=$random
  local name=${pattern//\{serial\}/$serial}
  name=${name//\{mac\}/${mac//:/}}
  name=${name//\{random\}/$random}
  name=${name,,}
  name=$(printf '%s' "$name" | tr -c 'a-z0-9-' '-' | tr -s '-')
  name=${name#-}
  name=${name:0:63}
  name=${name%-}
  [[ -n $name ]] || name=localhost
  printf '%s\n' "$name"
}

# Whether passphrase $1 is strong enough: at least $2 characters and more than one distinct character.
# Prints the reason when it is not.
passphrase_problem() {
  local pass=$1 min=$2
  if ((${#pass} < min)); then
    echo "the passphrase must have at least $min characters"
    return 0
  fi
  local first=${pass:0:1}
  if [[ -z ${pass//"$first"/} ]]; then
    echo "the passphrase must not repeat a single character"
    return 0
  fi
  return 1
}

# The mapper name of the LUKS container of a partition labelled $1 (what the boot prompt shows).
crypt_name() {
  local label=${1,,}
  printf '%s_crypt\n' "${label//[^a-z0-9_-]/_}"
}

# The squashfs layers of the live medium in the order live-boot stacks them, bottom first: the order of
# live/filesystem.module when it exists, else sorted names. $1 is the live directory on the medium.
live_layers() {
  local dir=$1 line
  if [[ -f $dir/filesystem.module ]]; then
    while IFS= read -r line || [[ -n $line ]]; do
      line=${line%%#*}
      line=${line//[[:space:]]/}
      [[ $line == *.squashfs && -f $dir/$line ]] && printf '%s\n' "$dir/$line"
    done <"$dir/filesystem.module"
  else
    local f
    for f in "$dir"/*.squashfs; do [[ -f $f ]] && printf '%s\n' "$f"; done
  fi
  return 0
}
