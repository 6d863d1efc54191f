#!/usr/bin/env bash
# The GPU checks, as one prepared script for a machine with a CUDA GPU and no internet access.
#
#   bash scripts/gpu_check.sh            # DEVICE=cuda; figures into $OUT (default runs/gpu)
#   DEVICE=cpu SCALE=0.005 STEPS=5 SECONDS_PER=0.5 TRAIN_STEPS=5 bash scripts/gpu_check.sh   # dry run on a CPU
#
# Needs python3 with torch (CUDA build), numpy, safetensors, pyyaml, tqdm, matplotlib (a typical
# GPU image has them). wsgcn runs from src/ (PYTHONPATH), nothing is installed; wheels of any other
# missing package can be put in .whl/ (installed with --no-index into /tmp/site). The built
# real-motion benchmark is read from $DATA (default data/: copy data_*_mocap.* there, ~35 MB).
# Steps (each one goes on when the one before fails, and says so):
#   1. the device: nvidia-smi, torch's view of it;
#   2. wsgcn bench on the device: fp32 and bf16 side by side, eager and torch.compile;
#   3. the Human3.6M-sized weak epoch (benchmarks/h36m_scale.py), fp32 and bf16, projected schedule;
#   4. a short weak training of configs/mocap_weak.yaml on the device, and its evaluation;
#   5. the same with 2 processes on the one device (torchrun; NCCL may refuse two ranks per GPU).
# Not yet here: the test suite on the device (the tests have no device switch yet).
set -uo pipefail
cd "$(dirname "$0")/.."
DEVICE=${DEVICE:-cuda}
OUT=${OUT:-runs/gpu}
DATA=${DATA:-data}
SCALE=${SCALE:-1}
STEPS=${STEPS:-200}
SECONDS_PER=${SECONDS_PER:-3}
TRAIN_STEPS=${TRAIN_STEPS:-0}  # steps per epoch of the short trainings (0: full passes)
PY=${PYTHON:-python3}
mkdir -p "$OUT"
if ls .whl/*.whl >/dev/null 2>&1; then
  "$PY" -m pip install -q --no-index --no-deps --no-compile --target /tmp/site .whl/*.whl && export PYTHONPATH=/tmp/site
fi
export PYTHONPATH="$PWD/src${PYTHONPATH:+:$PYTHONPATH}" PYTHONUNBUFFERED=1
failed=()
step() {  # step NAME COMMAND...: run, log to $OUT/NAME.log, go on when it fails
  local name=$1; shift
  echo "=== $name: $*"
  if ! "$@" 2>&1 | tee "$OUT/$name.log"; then failed+=("$name"); echo "=== $name FAILED"; fi
}
WS=("$PY" -m wsgcn)
step device bash -c "nvidia-smi || true; $PY -c 'import torch; print(torch.__version__, torch.cuda.is_available(), torch.cuda.get_device_name(0) if torch.cuda.is_available() else \"no CUDA device\")'"
step bench "${WS[@]}" bench --device "$DEVICE" --precision bf16 --compile --seconds "$SECONDS_PER" --json "$OUT/bench.json"
step h36m_scale "$PY" benchmarks/h36m_scale.py --device "$DEVICE" --scale "$SCALE" --max-steps "$STEPS" \
  --precision fp32 bf16 --data "$DATA" --json "$OUT/h36m_scale.json"
SHORT=(--set "data.dir=$DATA" --set train.device="$DEVICE" --set train.epochs=3 --set train.warmup_epochs=1
       --set train.root=solve --set train.max_steps_per_epoch="$TRAIN_STEPS")
rm -rf "$OUT/train" "$OUT/train_ddp"
step train "${WS[@]}" train configs/mocap_weak.yaml "${SHORT[@]}" --out "$OUT/train" --quiet
step evaluate "${WS[@]}" evaluate "$OUT/train" --json "$OUT/eval.json"
step train_ddp "$PY" -m torch.distributed.run --standalone --nproc_per_node 2 -m wsgcn train configs/mocap_weak.yaml \
  "${SHORT[@]}" --out "$OUT/train_ddp" --quiet
echo "=== done; failed steps: ${failed[*]:-none}; logs and JSON in $OUT"
