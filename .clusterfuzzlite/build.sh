#!/bin/bash -eu
# The standard OSS-Fuzz / ClusterFuzzLite Rust build: `cargo fuzz build -O` (the builder image
# provides nightly Rust, cargo-fuzz and the sanitizer flags), then every target and its seed
# corpus into $OUT.
#
# CI runs this same script on stable Rust, where the address sanitizer is not available:
#   NITROCERT_ROOT=$PWD NITROCERT_FUZZ_SANITIZER=none OUT=/tmp/fuzz-out .clusterfuzzlite/build.sh
cd "${NITROCERT_ROOT:-$SRC/nitrocert}"
cargo fuzz build -O ${NITROCERT_FUZZ_SANITIZER:+--sanitizer "$NITROCERT_FUZZ_SANITIZER"}
release=fuzz/target/x86_64-unknown-linux-gnu/release
for target in frame model_sequence broker_frame differential; do
  cp "$release/$target" "$OUT/"
  (cd "fuzz/corpus/$target" && zip -q -j "$OUT/${target}_seed_corpus.zip" ./*)
done
