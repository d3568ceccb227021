#!/usr/bin/env bash
# The GPU check: on a machine with an NVIDIA GPU, installs the GPU binding of TensorFlow.js
# (@tensorflow/tfjs-node-gpu, not kept in package.json's lock: --no-save), then measures training
# throughput on the tensorflow backend (npm run bench:train) and runs the example sweep on two
# workers with JVAE_BACKEND=tensorflow (jvae demo --workers 2), printing the figures of both.
# Without a GPU it says so and exits 0. Run from anywhere: bash bench/gpu-check.sh [--steps N]
set -euo pipefail
cd "$(dirname "$0")/.."
steps=40
if [[ "${1:-}" == "--steps" ]]; then steps="${2:?--steps needs a number}"; fi

if ! command -v nvidia-smi >/dev/null 2>&1; then
  echo "gpu-check: no NVIDIA GPU here (nvidia-smi not found); nothing to check"
  exit 0
fi
if ! gpus="$(nvidia-smi --query-gpu=index,name,compute_cap,driver_version,memory.total --format=csv,noheader 2>&1)" || [[ -z "$gpus" ]]; then
  echo "gpu-check: no NVIDIA GPU here (nvidia-smi finds none: ${gpus:-no output}); nothing to check"
  exit 0
fi
echo "gpu-check: GPUs (index, name, compute capability, driver, memory):"
echo "$gpus" | sed 's/^/  /'

if ! node -e "require.resolve('@tensorflow/tfjs-node-gpu')" >/dev/null 2>&1; then
  echo "gpu-check: installing @tensorflow/tfjs-node-gpu@4.22.0 (its install script downloads libtensorflow 2.9.1 for CUDA 11.2)"
  npm install --no-save --no-audit --no-fund @tensorflow/tfjs-node-gpu@4.22.0
fi
# libtensorflow 2.9.1 carries kernels for compute capabilities up to 8.6; newer GPUs JIT-compile
# its PTX at the first use of each kernel, which is slow the first time and may fail.
node -e "const tf = require('@tensorflow/tfjs-node-gpu'); tf.ready().then(() => console.log('gpu-check: tfjs-node-gpu loads, backend', tf.getBackend()))"

echo
echo "gpu-check: training throughput, npm run bench:train -- --steps $steps"
JVAE_BACKEND=tensorflow npm run --silent bench:train -- --steps "$steps"

echo
echo "gpu-check: the example sweep on 2 workers, JVAE_BACKEND=tensorflow jvae demo --workers 2"
out="$(mktemp -d)"
start=$(date +%s)
set +e
JVAE_BACKEND=tensorflow npx jvae demo --workers 2 2>&1 | tee "$out/demo.log"
status=${PIPESTATUS[0]}
set -e
elapsed=$(( $(date +%s) - start ))
echo
echo "gpu-check: the workers' engines:"
grep -iE "backend|engine" "$out/demo.log" | grep -i worker | sort -u | head -4 | sed 's/^/  /' || echo "  (the log names none)"
echo "gpu-check: jvae demo --workers 2 exited $status after ${elapsed} s"
rm -rf "$out"
exit "$status"
