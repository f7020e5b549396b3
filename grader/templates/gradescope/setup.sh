#!/usr/bin/env bash
# Gradescope runs this once, as root, when it builds the autograder's image.
# It installs nnlab (with the hidden checks and the reference solutions, which stay in
# /autograder/source) into its own virtual environment, closes both to every user but
# root, and creates the user student code runs as (nnlab-student), with a Python of its
# own that holds only the standard library and NumPy.
set -euo pipefail

apt-get update -qq
apt-get install -y -qq python3 python3-venv bubblewrap

id -u nnlab-student > /dev/null 2>&1 \
  || useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin nnlab-student

python3 -m venv /autograder/nnlab-venv
/autograder/nnlab-venv/bin/pip install --quiet /autograder/source/nnlab
/autograder/nnlab-venv/bin/python -m grader.engine.runtime  # the child's Python, in /var/cache/nnlab

chmod -R go-rwx /autograder/source /autograder/nnlab-venv
