#!/usr/bin/env bash
# Installs Debian's PyTorch, torchvision and onnx for the reference runs (benchmarks only; tests do not need them),
# and OpenBLAS for them: Debian's default libblas3 is netlib's reference BLAS, with which PyTorch's fine-tuning runs
# about 1.6x slower, so a ratio against it would flatter TransferLab. Fails when the BLAS PyTorch loads is not
# OpenBLAS.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
if ! /usr/bin/python3 -c "import torch, torchvision, onnx" 2>/dev/null \
  || ! dpkg -s libopenblas0-pthread >/dev/null 2>&1; then
  apt-get update -qq
  apt-get install -y -qq python3-torch python3-torchvision python3-onnx libopenblas0-pthread bc >/dev/null
fi
blas=$(readlink -f "$(/usr/sbin/ldconfig -p | awk '/libblas.so.3 .*x86-64/ {print $NF; exit}')")
case $blas in
  *openblas*) ;;
  *) echo "the reference would run on $blas, not OpenBLAS: update-alternatives --config libblas.so.3-x86_64-linux-gnu" >&2
     exit 1 ;;
esac
