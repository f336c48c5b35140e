#!/usr/bin/env python3
"""rwc against the shared baselines, in one run, on this machine.

    .venv/bin/python bench/compare.py [--baselines ../shared/bench] [--repeat 5]

It builds the baselines' C kernels (`gcc -O3 -march=native`) and
`target/release/rwc`, and generates the inputs with the baselines' own
generator (into a temporary folder). Then it runs:

- **W1** (office and random32): C (env loop innermost) and numpy;
- **W2**: C `-O3` grouped loop and numpy;
- **rwc**: `rwc bench rm` / `rwc bench llm` on every evaluation path this
  CPU has, on 1 thread (pinned to core 0) and 2 threads (cores 0-1);
  each of the `--repeat` samples lasts at least 0.2 s (`--min-time`), as
  the C baselines' samples do, and the best is reported.

One-thread runs are pinned to core 0. It checks that rwc's result files
are byte-identical to the C ones (W1) and that rwc's rewards match on
every path (W2). It prints one table: throughput, and the ratio to C and
to numpy.

Without the baselines' folder it prints one line and exits 0.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


# Each rwc sample repeats the workload for at least this long, as each of
# the C baselines' samples does (a W1 pass takes well under a millisecond:
# single passes would let one quiet moment of this noisy VM decide).
MIN_TIME = "0.2"


def run(cmd, **kw):
    return subprocess.run(cmd, check=True, capture_output=True, text=True, **kw).stdout


def lines(text):
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baselines", default=os.path.join(ROOT, "..", "shared", "bench"))
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    base = os.path.abspath(args.baselines)
    if not os.path.exists(os.path.join(base, "c_rm.c")):
        print(f"skipped: no baselines at {base} (pass --baselines DIR)")
        return 0
    py = sys.executable
    pin1, pin2 = ["taskset", "-c", "0"], ["taskset", "-c", "0,1"]
    rwc = os.path.join(ROOT, "target", "release", "rwc")
    print("building rwc (release) ...", file=sys.stderr)
    run(["cargo", "build", "--release", "-q", "-p", "rwc"], cwd=ROOT)
    paths = []
    for isa in ["scalar", "portable", "avx2", "avx512"]:
        probe = subprocess.run([rwc, "eval", "--isa", isa, os.path.join(ROOT, "examples", "office.rw"), "--trace",
                                os.path.join(ROOT, "examples", "traces", "office.jsonl"), "--format", "json"],
                               capture_output=True, text=True)
        if probe.returncode == 0:
            paths.append(isa)
        else:
            print(f"skipped path {isa}: {probe.stderr.strip()}", file=sys.stderr)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        data = os.path.join(tmp, "data")
        print("generating inputs with the baselines' generator ...", file=sys.stderr)
        run([py, os.path.join(base, "gen_data.py")], env=dict(os.environ, BENCH_DATA=data))
        for name in ["c_rm", "c_llm"]:
            run(["gcc", "-O3", "-march=native", "-o", os.path.join(tmp, name), os.path.join(base, name + ".c"), "-lm"])
        env1 = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1")

        for rm in ["office", "random32"]:
            work = f"W1 {rm}"
            print(f"{work} ...", file=sys.stderr)
            c = {d["impl"]: d for d in lines(run(pin1 + [os.path.join(tmp, "c_rm"), os.path.join(data, f"{rm}.tbl"),
                                                         os.path.join(data, "traces.bin"), "-o", os.path.join(tmp, f"c_{rm}")]))}
            c_rate = c["c_env_inner"]["steps_per_s"]
            np_rate = lines(run(pin1 + [py, os.path.join(base, "np_rm.py"), os.path.join(base, f"{rm}.rm"),
                                        os.path.join(data, "traces.bin"), "--out", os.path.join(tmp, "np.bin")], env=env1))[0]["steps_per_s"]
            rows += [(work, "C (env loop innermost)", 1, c_rate), (work, "numpy", 1, np_rate)]
            reference = open(os.path.join(tmp, f"c_{rm}_c_env_inner.bin"), "rb").read()
            for isa in paths:
                for threads, pin in [(1, pin1), (2, pin2)]:
                    out = os.path.join(tmp, "rwc.bin")
                    d = lines(run(pin + [rwc, "bench", "rm", os.path.join(base, f"{rm}.rm"), "--traces", os.path.join(data, "traces.bin"),
                                         "--isa", isa, "--threads", str(threads), "--repeat", str(args.repeat),
                                         "--min-time", MIN_TIME, "--out", out]))[0]
                    same = open(out, "rb").read() == reference
                    rows.append((work, f"rwc {isa}" + ("" if same else " (RESULT DIFFERS FROM C)"), threads, d["steps_per_s"]))
            rows.append(None)

        work = "W2"
        print(f"{work} ...", file=sys.stderr)
        c = {d["impl"]: d for d in lines(run(pin1 + [os.path.join(tmp, "c_llm"), os.path.join(data, "llm_batch.bin"),
                                                     "-o", os.path.join(tmp, "w2"), "-n", "c"]))}
        c_rate = c["c_grouped"]["completions_per_s"]
        np_rate = lines(run(pin1 + [py, os.path.join(base, "np_llm.py"), os.path.join(data, "llm_batch.bin"),
                                    "--out", os.path.join(tmp, "np.f32")], env=env1))[0]["completions_per_s"]
        rows += [(work, "C -O3 (grouped loop)", 1, c_rate), (work, "numpy", 1, np_rate)]
        first = None
        for isa in paths:
            for threads, pin in [(1, pin1), (2, pin2)]:
                out = os.path.join(tmp, "rwc.f32")
                d = lines(run(pin + [rwc, "bench", "llm", os.path.join(ROOT, "examples", "grpo_composite.rw"),
                                     "--batch", os.path.join(data, "llm_batch.bin"), "--isa", isa, "--threads", str(threads),
                                     "--repeat", str(args.repeat), "--min-time", MIN_TIME, "--out", out]))[0]
                result = open(out, "rb").read()
                first = first or result
                rows.append((work, f"rwc {isa}" + ("" if result == first else " (REWARDS DIFFER)"), threads, d["completions_per_s"]))

    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
    print(f"machine: {cpu}, {os.cpu_count()} cores; one thread pinned to core 0, two to cores 0-1")
    print(f"{'workload':<12} {'implementation':<30} {'threads':>7} {'per second':>12} {'x C':>7} {'x numpy':>8}")
    rows = [r for r in rows if r is not None]
    c_of = {w: rate for w, impl, _, rate in rows if impl.startswith("C")}
    np_of = {w: rate for w, impl, _, rate in rows if impl == "numpy"}
    for work, impl, threads, rate in rows:
        print(f"{work:<12} {impl:<30} {threads:>7} {rate / 1e6:>10.1f} M {rate / c_of[work]:>7.2f} {rate / np_of[work]:>8.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
