#!/usr/bin/env bash
# Builds the GPU pack: a self-contained folder, gpu-pack/, that checks dupscan's CUDA backend on a
# machine with an NVIDIA GPU in one call (gpu-pack/run.sh; see scripts/gpu-pack-run.sh). Built here,
# on a development machine (nvcc is enough; no GPU needed), and carried to the GPU machine, which
# needs only the NVIDIA driver and the C/C++ runtime (glibc >= 2.34, libstdc++ of GCC >= 12): the
# CUDA runtime, zlib, zstd and xxHash are linked statically, simdjson ships in gpu-pack/lib with an
# $ORIGIN run path. Device code for sm_90 (H100/H200) with -lineinfo for compute-sanitizer;
# PACK_CUDA_ARCH=80-real;90 (say) for other GPUs.
#
#   scripts/gpu-pack.sh            -> gpu-pack/ (git-ignored), under 48 MiB, checked with ldd
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
pack=$here/gpu-pack
build=${PACK_BUILD_DIR:-$here/build-pack}
if ! command -v nvcc >/dev/null && [[ -x /usr/local/cuda/bin/nvcc ]]; then
  export PATH=/usr/local/cuda/bin:$PATH
fi
command -v nvcc >/dev/null || { echo "gpu-pack: nvcc not found: the pack needs the CUDA build" >&2; exit 1; }
# No Parquet in the pack: it would need pyarrow's libarrow beside the binaries.
"$here/scripts/install-deps.sh" --no-python >/dev/null

echo "gpu-pack: building in $build" >&2
cmake -S "$here" -B "$build" -DCMAKE_BUILD_TYPE=Release -DDUPSCAN_PORTABLE=ON \
  -DDUPSCAN_CUDA_LINEINFO=ON -DDUPSCAN_MPI=OFF -DDUPSCAN_BUILD_TESTS=ON -DDUPSCAN_PARQUET=OFF \
  -DCMAKE_CUDA_ARCHITECTURES="${PACK_CUDA_ARCH:-90}" >/dev/null
cmake --build "$build" -j "$(nproc)" --target dupscan dupscan_gpu_tests dupscan_bench_backend \
  dupscan_gen_corpus >/dev/null

rm -rf "$pack"
mkdir -p "$pack/bin" "$pack/lib" "$pack/data/tests" "$pack/data/examples"
cp "$build/dupscan" "$build/tests/dupscan_gpu_tests" "$build/bench/dupscan_bench_backend" \
  "$build/bench/dupscan_gen_corpus" "$pack/bin/"
strip --strip-debug "$pack/bin/"*  # keeps symbols; -lineinfo stays for compute-sanitizer
# simdjson: Debian has no static library; it goes beside the binaries.
for bin in "$pack/bin/"*; do
  ldd "$bin" | awk '/simdjson/ {print $3}'
done | sort -u | while read -r lib; do cp -L "$lib" "$pack/lib/"; done
cp -r "$here/tests/data/." "$pack/data/tests/"
cp "$here/examples/corpus.jsonl.gz" "$here/examples/planted.jsonl" "$pack/data/examples/"
shared=$(cd "$here/.." && pwd)/shared/data
for f in gsm8k_test.jsonl humaneval.jsonl.gz; do
  [[ -f $shared/$f ]] && cp "$shared/$f" "$pack/data/"
done
cp "$here/scripts/gpu-pack-run.sh" "$pack/run.sh"
chmod +x "$pack/run.sh"
git -C "$here" rev-parse HEAD >"$pack/REVISION"
git -C "$here" status --porcelain | grep -q . && echo "(with uncommitted changes)" >>"$pack/REVISION"

# Only the C/C++ runtime, the loader, and the pack's own libraries may be needed.
bad=0
for bin in "$pack/bin/"*; do
  while read -r name _ path _; do
    case $name in
      linux-vdso.so.* | libc.so.* | libm.so.* | libdl.so.* | librt.so.* | libpthread.so.* | \
        libstdc++.so.* | libgcc_s.so.* | ld-linux*.so.* | /lib64/ld-linux*.so.*) ;;
      libsimdjson.so.*)
        [[ $(realpath -m "$path") == "$pack/lib/"* ]] || { echo "gpu-pack: $bin takes $name from $path" >&2; bad=1; } ;;
      *) echo "gpu-pack: $(basename "$bin") needs $name ($path)" >&2; bad=1 ;;
    esac
  done < <(ldd "$bin" | sed 's/^[[:space:]]*//' | grep -v '^statically')
done
glibc=$(objdump -T "$pack/bin/"* "$pack/lib/"* 2>/dev/null | grep -o 'GLIBC_[0-9.]*' | sort -uV | tail -1)
glibcxx=$(objdump -T "$pack/bin/"* "$pack/lib/"* 2>/dev/null | grep -o 'GLIBCXX_[0-9.]*' |
  sort -uV | tail -1)
echo "needs $glibc and $glibcxx or newer, and the NVIDIA driver" >>"$pack/REVISION"
size=$(du -sm "$pack" | cut -f1)
echo "gpu-pack: $pack, ${size} MiB, needs $glibc, $glibcxx and the NVIDIA driver" >&2
if ((size >= 48)); then
  echo "gpu-pack: the pack is ${size} MiB, over 48 MiB" >&2
  bad=1
fi
exit $bad
