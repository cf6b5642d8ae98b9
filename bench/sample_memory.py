"""Runs a command and samples the memory of its whole process tree every 0.2 s.

Why a tree: PyTorch's DataLoader(num_workers=1) decodes images in a child process, which /usr/bin/time's
peak (the largest single process) leaves out; TransferLab decodes on threads of its one process. Prints one
JSON line: wall seconds, the main process's peak RSS (what /usr/bin/time reports for it), and the peaks of the
tree's summed RSS and summed PSS (PSS shares pages that forked processes have in common, so it does not count
them twice), all in MiB.
Usage: sample_memory.py OUT.json COMMAND [ARG...]"""
import json, os, subprocess, sys, time


def children_of(pid):
    kids = []
    for task in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{task}/children") as f:
                kids += [int(c) for c in f.read().split()]
        except OSError:
            pass
    return kids


def tree(pid):
    pids, todo = [], [pid]
    while todo:
        p = todo.pop()
        pids.append(p)
        todo += children_of(p)
    return pids


def rollup(pid):
    values = {}
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                parts = line.split()
                if parts[0] in ("Rss:", "Pss:"):
                    values[parts[0][:-1]] = int(parts[1]) / 1024
    except OSError:
        pass
    return values


def main():
    out, command = sys.argv[1], sys.argv[2:]
    start = time.time()
    process = subprocess.Popen(command)
    peak = {"main_rss": 0.0, "tree_rss": 0.0, "tree_pss": 0.0, "processes": 1}
    samples = []
    while process.poll() is None:
        pids = tree(process.pid)
        values = [rollup(p) for p in pids]
        main_rss = values[0].get("Rss", 0.0)
        tree_rss = sum(v.get("Rss", 0.0) for v in values)
        tree_pss = sum(v.get("Pss", 0.0) for v in values)
        samples.append([round(time.time() - start, 2), round(main_rss), round(tree_rss), round(tree_pss)])
        peak["main_rss"] = max(peak["main_rss"], main_rss)
        peak["tree_rss"] = max(peak["tree_rss"], tree_rss)
        peak["tree_pss"] = max(peak["tree_pss"], tree_pss)
        peak["processes"] = max(peak["processes"], len(pids))
        time.sleep(0.2)
    result = {"command": command, "exit_code": process.returncode, "seconds": round(time.time() - start, 1)}
    result.update({k: round(v) for k, v in peak.items()})
    result["samples"] = samples
    with open(out, "w") as f:
        json.dump(result, f)
    print(json.dumps({k: v for k, v in result.items() if k != "samples"}))
    sys.exit(process.returncode)


main()
