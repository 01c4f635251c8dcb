#!/usr/bin/env bash
# Installs the lefthook git hooks for developers. CI and tarball installs have no use for them.
set -eu
if [ "${CI:-}" = "true" ] || ! git rev-parse --git-dir >/dev/null 2>&1; then
  exit 0
fi
bunx lefthook install >/dev/null && echo "lefthook: git hooks installed"
