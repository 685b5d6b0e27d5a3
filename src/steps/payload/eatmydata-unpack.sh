#!/bin/bash
# Runs in the image chroot before packages are installed, with apt-get's build options as arguments.
# dpkg and apt flush every file and database update to disk (thousands of fsync calls per step), which
# buys nothing here: a layer only enters the cache once its step has succeeded, and the cache flushes it
# once then (syncfs). So the step preloads libeatmydata, which turns those calls into no-ops. The library
# comes from the image's own distribution, so it matches the image's C library, and it is unpacked into
# /run/golden (a tmpfs, never part of a layer): the image's content does not change. Prints the path of
# the library, or nothing when the distribution has none (the step then runs without it).
set -euo pipefail

dest=/run/golden/eatmydata
installed=$(find /usr/lib -maxdepth 2 -name 'libeatmydata.so.1' 2>/dev/null | head -n 1)
if [ -n "$installed" ]; then
  echo "$installed"
  exit 0
fi
# the candidate's file name; the download (once, then it is in Golden's .deb cache) only when missing
filename=$(apt-cache "$@" show --no-all-versions libeatmydata1 2>/dev/null | sed -n 's/^Filename: //p' | head -n 1)
if [ -z "$filename" ]; then
  exit 0
fi
deb=/var/cache/apt/archives/${filename##*/}
if [ ! -f "$deb" ] && ! apt-get "$@" install -y -q --download-only libeatmydata1 >&2; then
  exit 0
fi
if [ ! -f "$deb" ]; then
  exit 0
fi
mkdir -p "$dest"
dpkg-deb -x "$deb" "$dest"
lib=$(find "$dest" -name 'libeatmydata.so.1' | head -n 1)
if [ -n "$lib" ]; then
  echo "$lib"
fi
