"""Reads what bench/performance.sh measured and prints the ratios (also to performance.json)."""
import json, sys, os
out = sys.argv[1]
def timing(name):
    wall, rss = open(f"{out}/{name}.time").read().split()[-2:]
    return float(wall), int(rss) // 1024
def results(name): return json.load(open(f"{out}/{name}/results.json"))
ref = json.load(open(f"{out}/perf-reference.json"))
ref_wall, ref_rss = timing("reference")
ref_frozen = ref["frozen"]["seconds"]
summary = {"pytorch": {"wall_seconds": ref_wall, "peak_rss_mib": ref_rss,
                       "best_val_acc": {k: v["best_val_acc"] for k, v in ref.items()}, "frozen_seconds": ref_frozen}}
for name in ["tl-fp32", "tl-fp32-unshared", "tl-bf16", "tl-bf16-mixed", "tl-cold", "tl-warm"]:
    wall, rss = timing(name)
    r = results(name)
    summary[name] = {"wall_seconds": wall, "peak_rss_mib": rss,
                     "best_val_acc": {x["name"]: round(x["best_val_acc"], 4) for x in r["runs"]},
                     "run_seconds": {x["name"]: round(x["train_seconds"], 1) for x in r["runs"]},
                     "rss_mib_per_epoch": {x["name"]: [round(h["rss_mib"]) for h in x["history"]] for x in r["runs"]},
                     "feature_cache": r["resources"]["feature_cache"]}
tp = {}
for fw in ["pytorch", "transferlab"]:
    for line in open(f"{out}/throughput-{fw}.jsonl"):
        row = json.loads(line); tp.setdefault(row["batch"], {})[fw] = row["images_per_second"]
for line in open(f"{out}/throughput-transferlab-bf16-mixed.jsonl"):
    row = json.loads(line); tp.setdefault(row["batch"], {})["transferlab_bf16_mixed"] = row["images_per_second"]
summary["throughput"] = tp
json.dump(summary, open(f"{out}/performance.json", "w"), indent=1)

print(f"(a)  notebook protocol fp32: TransferLab {summary['tl-fp32']['wall_seconds']:.1f} s vs PyTorch {ref_wall:.1f} s -> ratio {summary['tl-fp32']['wall_seconds'] / ref_wall:.3f}")
print(f"     accuracy PyTorch {summary['pytorch']['best_val_acc']}  TransferLab {summary['tl-fp32']['best_val_acc']}")
u = summary["tl-fp32-unshared"]
print(f"     without the shared backbone pass (--cache-features off): {u['wall_seconds']:.1f} s -> ratio {u['wall_seconds'] / ref_wall:.3f}; accuracy {u['best_val_acc']}; run seconds {u['run_seconds']}")
for name in ["tl-bf16", "tl-bf16-mixed"]:
    s = summary[name]
    print(f"(a') notebook protocol --precision {name[3:]}: {s['wall_seconds']:.1f} s -> ratio {s['wall_seconds'] / ref_wall:.3f}; accuracy {s['best_val_acc']}; run seconds {s['run_seconds']}")
ref_runs = {k: round(v["seconds"], 1) for k, v in ref.items()}
print(f"     run seconds: PyTorch {ref_runs}; TransferLab fp32 {summary['tl-fp32']['run_seconds']}")
for name in ["tl-cold", "tl-warm"]:
    s = summary[name]
    print(f"(b)  frozen, cached features, {name[3:]}: whole command {s['wall_seconds']:.1f} s vs PyTorch frozen run {ref_frozen:.1f} s -> {ref_frozen / s['wall_seconds']:.1f}x faster; best val {s['best_val_acc']}")
for batch, row in sorted(tp.items()):
    mixed = f"; bf16-mixed {row['transferlab_bf16_mixed']:.2f} img/s -> {row['transferlab_bf16_mixed'] / row['pytorch']:.2f}x" if "transferlab_bf16_mixed" in row else ""
    print(f"(c)  fine-tune batch {batch}: PyTorch {row['pytorch']:.2f} img/s, TransferLab {row['transferlab']:.2f} img/s -> {row['transferlab'] / row['pytorch']:.2f}x{mixed}")
print(f"(d)  peak RSS: PyTorch {ref_rss} MiB; TransferLab notebook fp32 {summary['tl-fp32']['peak_rss_mib']} MiB, bf16 {summary['tl-bf16']['peak_rss_mib']} MiB, bf16-mixed {summary['tl-bf16-mixed']['peak_rss_mib']} MiB, cached cold {summary['tl-cold']['peak_rss_mib']} MiB, warm {summary['tl-warm']['peak_rss_mib']} MiB")
print(f"     RSS per epoch (MiB): {summary['tl-fp32']['rss_mib_per_epoch']}")
