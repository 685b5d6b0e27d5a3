#!/bin/bash
# Says on the console that the live system has come up, naming the image, so an operator (or a test
# watching the serial console) knows which disc booted. The build writes /etc/golden/live-image.
set -euo pipefail

name=unknown
version=unknown
if [[ -r /etc/golden/live-image ]]; then
  # shellcheck source=/dev/null
  . /etc/golden/live-image
  name=${GOLDEN_IMAGE_NAME:-$name}
  version=${GOLDEN_IMAGE_VERSION:-$version}
fi
medium=none
if mountpoint -q /run/live/medium 2>/dev/null; then medium=/run/live/medium; fi
echo "golden-live-ready: image=${name} version=${version} medium=${medium}"
