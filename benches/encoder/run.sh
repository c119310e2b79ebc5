#!/usr/bin/env bash
# The encoder's speed on this machine: spinscope's int8 path (shipped) and its f32 candle path
# against PyTorch fp32 on the same weights and the same token windows, in the same run, then the
# whole `full` tier as shipped. PyTorch comes from pip into
# a venv outside the clone (SPINSCOPE_TORCH_VENV, default /var/tmp/spinscope-torch-venv; the
# Linux wheel pulls its CUDA libraries, a few GB, though it runs on the CPU here).
#   benches/encoder/run.sh [SENTENCES]   (default 512)
set -euo pipefail
cd "$(dirname "$0")/../.."
sentences=${1:-512}
venv=${SPINSCOPE_TORCH_VENV:-/var/tmp/spinscope-torch-venv}
model_dir=${SPINSCOPE_MODEL_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/spinscope}

scripts/fetch-model
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
fi
"$venv/bin/pip" install --quiet --disable-pip-version-check "torch==2.15.0" numpy

cargo build --release --quiet -p spinscope-model --example encoder_speed
bin=${CARGO_TARGET_DIR:-target}/release/examples/encoder_speed
windows=$(mktemp)
trap 'rm -f "$windows"' EXIT
# One thread per core for candle's matrix products: features::encode already runs one batch
# per core, and nested threads only contend (the int8 path starts no threads of its own).
RAYON_NUM_THREADS=1 "$bin" "$sentences" "$windows" | tee /dev/stderr > "$windows.candle"
"$venv/bin/python" benches/encoder/torch_e5.py "$model_dir/e5-small-q4.bin" "$windows" | tee "$windows.torch"
python3 - "$windows.candle" "$windows.torch" <<'PY'
import json, sys
candle = [json.loads(l) for l in open(sys.argv[1])]
torch = json.loads(open(sys.argv[2]).read())
int8, f32, tier = (c["tokens_per_s"] for c in candle)
pt = torch["tokens_per_s"]
print(f"encoder: int8 {int8:.0f} tokens/s, candle f32 {f32:.0f}, PyTorch fp32 {pt:.0f} "
      f"(int8/PyTorch = {int8 / pt:.2f}, f32/PyTorch = {f32 / pt:.2f}); "
      f"whole full tier {tier:.0f} tokens/s ({tier / int8:.2f} of the int8 encoder alone)")
PY
rm -f "$windows.candle" "$windows.torch"
