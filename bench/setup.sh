# Sourced by the benchmark scripts: paths, the native runtime and PyTorch reference set-up, Release builds,
# and the reference's copy of the pretrained weights. Expects $repo (the repository root).
shared=${TRANSFERLAB_SHARED:-$repo/../shared}
data=$shared/datasets/hymenoptera_data
out=$repo/bench/results
mkdir -p "$out"
threads=$(nproc)

bash scripts/ensure-native-runtime.sh
bash bench/ensure-pytorch-reference.sh
dotnet build src/TransferLab.Cli -c Release -v quiet -nologo >/dev/null
dotnet build bench/TransferLab.Bench -c Release -v quiet -nologo >/dev/null
cli=$repo/src/TransferLab.Cli/bin/Release/net10.0/linux-x64/TransferLab.Cli.dll
bench=$repo/bench/TransferLab.Bench/bin/Release/net10.0/linux-x64/TransferLab.Bench.dll
weights=$out/resnet18_cntk.pt
[ -f "$weights" ] || /usr/bin/python3 "$shared/reference/onnx_to_torch.py" \
  "$repo/src/TransferLab.Cli/bin/Release/net10.0/linux-x64/DnnImageModels" "$weights"
