#!/bin/bash
# First boot of a deployed machine: images carry no SSH host keys (every machine copied from one image
# would share them), so each machine makes its own before sshd starts.
set -euo pipefail

ssh-keygen -A
