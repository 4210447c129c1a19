#!/usr/bin/env bash
# One pass over what a GPU changes, in about six minutes on an H100 (each step capped): the
# README's main command and the AttentiveChrome config trained end to end; training throughput of
# every family, with large batches whole and chunked, and the fused and Flax LSTMs; the original
# PyTorch AttentiveChrome timed on the same GPU; and the tests that differ most between CPU and
# GPU (the models, exact interpretation paths, seeded and resumed runs).
#
#   bash benchmarks/gpu_check.sh [OUT_DIR]       # logs and results.json files go to OUT_DIR
#
# Each step has its own time limit and a failure does not stop the later ones: the point is one
# report of everything. Figures from a run of it are in benchmarks/README.md, "On a GPU".
set -u
out=${1:-${OUT:-/tmp/regjax_gpu_check}}
runs=$(mktemp -d)
mkdir -p "$out"
export PYTHONUNBUFFERED=1
step() { echo; echo "=== $1 ($(date -u +%T))"; SECONDS=0; }
took() { echo "$SECONDS s wall"; }

step machine
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader
python3 -c "import jax, flax, optax, orbax.checkpoint, tensorflow_datasets as tfds; \
print('jax', jax.__version__, 'flax', flax.__version__, 'optax', optax.__version__, \
'tfds', tfds.__version__, jax.devices())"

step "training throughput, every family"
timeout 180 python3 benchmarks/train_throughput.py --seconds=2 --batch_sizes=16,256
step "LSTM families at large batches, chunked (the CPU default), and the Flax LSTM path"
timeout 100 python3 benchmarks/train_throughput.py --seconds=2 --batch_sizes=1024,4096 \
  --configs=configs/attentivechrome.py,configs/deepdiff.py
timeout 80 python3 benchmarks/train_throughput.py --seconds=2 --batch_sizes=256 \
  --configs=configs/attentivechrome.py,configs/deepdiff.py --set=speed.microbatch_size=32
timeout 60 python3 benchmarks/train_throughput.py --seconds=2 --batch_sizes=256 \
  --configs=configs/attentivechrome.py --set=speed.fused_lstm=false

step "original PyTorch AttentiveChrome on the GPU, alternated with regjax"
XLA_PYTHON_CLIENT_MEM_FRACTION=0.5 timeout 150 python3 benchmarks/attentivechrome_original_speed.py \
  --device=cuda --paired_rounds=3 --seconds=2 --batch_sizes=16,256,4096

step "README main command (DeepChrome, E123)"
timeout 100 python3 -m regjax.main --config=configs/deepchrome.py \
  --workdir="$runs/deepchrome_E123" >"$out/deepchrome.log" 2>&1; took
tail -n 3 "$out/deepchrome.log"
cp "$runs/deepchrome_E123/results.json" "$out/deepchrome_results.json"

step "AttentiveChrome, published defaults (E123, 30 epochs, batch 16)"
timeout 150 python3 -m regjax.main \
  --config=configs/attentivechrome.py --workdir="$runs/ac_E123" >"$out/attentivechrome.log" 2>&1
took
tail -n 3 "$out/attentivechrome.log"
cp "$runs/ac_E123/results.json" "$out/attentivechrome_results.json"

step "model tests on the GPU"
XLA_PYTHON_CLIENT_PREALLOCATE=false timeout 200 python3 -m pytest -q -n 4 -p no:cacheprovider \
  tests/test_fused_lstm.py tests/test_attentivechrome.py tests/test_deepchrome.py \
  tests/test_interpret_exact.py tests/test_train.py 2>&1 | tail -n 25
rm -rf "$runs"
