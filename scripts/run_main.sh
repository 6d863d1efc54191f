#!/usr/bin/env bash
# The main job, end to end on the built-in real-motion benchmark:
# install -> build the data -> train WS-GCN weakly supervised (root solved from 2D) -> evaluate -> table + figures;
# then the same checkpoint on the `people` benchmark (4 unseen people, one row each; same training data).
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
  $WS train configs/mocap_weak.yaml --set train.root=solve --out "$RUN"
fi
$WS evaluate "$RUN" --json "$RUN/eval_test.json" --chart "$RUN/per_joint_test.png"
$WS evaluate "$RUN" --data data --set data.name=people --json "$RUN/eval_people.json"
echo "figures: $RUN/curves.png $RUN/per_joint_test.png"
