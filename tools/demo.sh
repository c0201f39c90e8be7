#!/usr/bin/env bash
# demo.sh BUILD_DIR [EXPORT]: the main job of `make run`. Runs the tour of the library.
set -eu
build=$1
"$build/examples/tour"
