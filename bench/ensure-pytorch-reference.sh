#!/usr/bin/env bash
# Installs Debian's PyTorch, torchvision and onnx for the reference runs (benchmarks only; tests do not need them).
set -euo pipefail
if /usr/bin/python3 -c "import torch, torchvision, onnx" 2>/dev/null; then exit 0; fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq python3-torch python3-torchvision python3-onnx bc >/dev/null
