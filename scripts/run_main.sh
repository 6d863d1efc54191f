#!/usr/bin/env bash
# The main job, end to end on the built-in real-motion benchmark:
# install -> build the data -> train WS-GCN weakly supervised (root solved from 2D) -> evaluate -> table + figures;
# then the same checkpoint on the `people` benchmark (4 unseen people, one row each; same training data).
# Trains in bf16 mixed precision (at parity with fp32 over three seeds, docs/RESULTS.md) to fit 15 minutes
# on a 2-core CPU with AMX/AVX512-BF16; elsewhere train.precision falls back to fp32 with one line.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
WS=.venv/bin/wsgcn
RUN=${RUN:-runs/mocap_weak_solve}
$WS data build-mocap --out data
$WS data build-mocap --out data --benchmark people --quiet
if [ -f "$RUN/checkpoints/last.safetensors" ]; then
  $WS train --resume "$RUN"          # a second call continues (or just reports) the earlier run
else
  $WS train configs/mocap_weak.yaml --set train.root=solve --set train.precision=bf16 --out "$RUN"
fi
$WS evaluate "$RUN" --json "$RUN/eval_test.json" --chart "$RUN/per_joint_test.png"
$WS evaluate "$RUN" --data data --set data.name=people --json "$RUN/eval_people.json"
echo "figures: $RUN/curves.png $RUN/per_joint_test.png"
