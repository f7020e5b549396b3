#!/usr/bin/env bash
# Gradescope runs this once, as root, when it builds the autograder's image.
# It installs nnlab (with the hidden checks and the reference solutions, which stay in
# /autograder/source) into its own virtual environment, and closes the source to every
# user but root: student code runs as the unprivileged user nobody.
set -euo pipefail

apt-get update -qq
apt-get install -y -qq python3 python3-venv bubblewrap

python3 -m venv /autograder/nnlab-venv
/autograder/nnlab-venv/bin/pip install --quiet /autograder/source/nnlab

chmod -R go-rwx /autograder/source
