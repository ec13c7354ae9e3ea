"""The whole workflow on one big table: time per rule, peak memory, output sizes.

Generates one parquet table of ``--rows`` rows (default 10,000,000: about 1.7 M
samples x 6 ions, three cell types, three temperatures, a measured Vm per sample;
the ions and concentrations of ``bench_workflow.IONS``, each value +-5-10 % at
random, so about one sample in eight has a bath off electroneutrality by more than
10 % and gets the gate's ``bath_electroneutral`` warning, as in a real lab table),
copies the workflow into a temporary folder (as ``bench_workflow.setup`` does), and
runs it there: default profile, ``--cores 2``, reports on, the one dataset in
strict mode. It prints

* the wall time of each rule (from the rule's ``benchmark:`` file when it has one,
  else from the start and end stamps of Snakemake's own log, to the second);
* the total wall time of the ``snakemake`` command;
* the peak memory of the whole process tree (Snakemake and every descendant: the
  worker processes that run the jobs), sampled every ``--interval`` seconds with
  psutil: the peak of the sum of the processes' RSS (pages shared between
  processes counted once per process, so an upper bound) and the peak of the
  largest single process; and per rule, the largest process below Snakemake's own
  while the rule ran (the jobs run in worker processes, one per core: that is the
  job's worker), and the whole tree's peak while it ran (which rule holds the
  run's peak);
* the sizes of what the run wrote: ``validation.json``, ``reports/``, ``results/``
  (and the ``previous/`` folder the report keeps for "what changed");
* the same-run floor: the time pyarrow takes to read the input table and to write
  the columns of every result table the run wrote (each result parquet is read
  into memory untimed, then written to a scratch file timed), and the ratio of the
  workflow's total to it.

``--profile`` then runs each stage's job function (``iongrad.pipeline.jobs``) once
more in this process under cProfile on the run's own files and prints its top
entries (cumulative time) and the process's peak RSS during the call (VmHWM, reset
before each call: the per-stage memory figure to trust; the per-rule figure of the
workflow run is the worker's RSS, which may keep an earlier job's high-water mark);
the ``.prof`` files are kept in ``--keep`` when given (open them with
``python -m pstats`` or snakeviz).

The machine's load average is printed before and after: the figures are wall times
on a shared machine.

``--bad-cells N`` makes N cells of ``c_in_mM``, spread over the table, negative (an
error each) and ``--mode`` sets the dataset's mode: in lenient mode their samples'
rows are rejected and the rest goes on; in strict mode every row is rejected
(``rejected.csv`` holds them all, the good ones "withheld") and the workflow stops
at the gate, as it must (the run is then expected to fail, after validation).

Run: ``.venv/bin/python benchmarks/bench_bigtable.py [--rows 10000000]
[--profile] [--keep DIR] [--bad-cells N --mode lenient]``
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import io
import os
import pstats
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from datetime import datetime
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import yaml
from bench_workflow import IONS

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
DATASET = "big"
CELL_TYPES = ("neuron", "myocyte", "axon")
TEMPERATURES_K = (293.15, 298.15, 310.15)
#: The rules of one dataset, in the order they run.
RULES = (
    "validate_dataset",
    "compute_potentials",
    "compute_samples",
    "write_provenance",
    "render_dataset_report",
    "render_index",
)
UNITS = {"temperature_K": "K", "c_in_mM": "mM", "c_out_mM": "mM", "vm_mV": "mV"}


# ----------------------------------------------------------------------- the table
def make_table(rows: int, seed: int = 1, bad_cells: int = 0) -> pa.Table:
    """``rows // 6`` samples x the 6 ions of IONS, in the canonical long layout;
    ``bad_cells`` evenly spread values of ``c_in_mM`` negative (errors)."""
    rng = np.random.default_rng(seed)
    k = len(IONS)
    samples = rows // k
    n = samples * k
    sample = np.repeat(np.arange(samples, dtype=np.int64), k)
    ion = np.tile(np.arange(k, dtype=np.int32), samples)
    c_in = np.array([i[1] for i in IONS])[ion] * rng.uniform(0.9, 1.1, n)
    c_out = np.array([i[2] for i in IONS])[ion] * rng.uniform(0.95, 1.05, n)
    if bad_cells:
        c_in[np.linspace(0, n - 1, bad_cells).astype(np.int64)] = -1.0
    names = pa.array([f"s{i:07d}" for i in range(samples)])
    columns = {
        # dictionary-decoded to plain strings: what a lab's own file holds
        "sample_id": pa.DictionaryArray.from_arrays(pa.array(sample), names).cast(
            pa.string()
        ),
        "cell_type": pa.DictionaryArray.from_arrays(
            pa.array((sample % len(CELL_TYPES)).astype(np.int32)),
            pa.array(CELL_TYPES),
        ).cast(pa.string()),
        "temperature_K": np.repeat(rng.choice(TEMPERATURES_K, samples), k),
        "ion": pa.DictionaryArray.from_arrays(
            pa.array(ion), pa.array([i[0] for i in IONS])
        ).cast(pa.string()),
        "c_in_mM": c_in,
        "c_out_mM": c_out,
        "vm_mV": np.repeat(rng.uniform(-90.0, -60.0, samples), k),
    }
    fields = [
        pa.field(
            name,
            col.type if isinstance(col, pa.Array) else pa.float64(),
            metadata={"unit": UNITS[name]} if name in UNITS else None,
        )
        for name, col in columns.items()
    ]
    return pa.Table.from_arrays(list(columns.values()), schema=pa.schema(fields))


def setup(
    root: Path, rows: int, bad_cells: int = 0, mode: str = "strict"
) -> tuple[Path, float]:
    """A copy of the workflow whose only input is the generated table (the dataset
    in ``mode``); returns the folder and the generation time [s]."""
    work = root / "repo"
    work.mkdir()
    shutil.copy2(REPO / "Snakefile", work / "Snakefile")
    for folder in ("workflow", "config", "schemas"):
        if (REPO / folder).is_dir():
            shutil.copytree(REPO / folder, work / folder)
    raw = work / "data" / "raw"
    raw.mkdir(parents=True)
    t0 = time.perf_counter()
    pq.write_table(make_table(rows, bad_cells=bad_cells), raw / f"{DATASET}.parquet")
    made = time.perf_counter() - t0
    cfg_path = work / "config" / "config.yaml"
    cfg = yaml.safe_load(cfg_path.read_text())
    cfg["validation"]["lenient_datasets"] = [DATASET] if mode == "lenient" else []
    cfg["reports"]["enabled"] = True
    cfg["batch_size"] = 1
    cfg_path.write_text(yaml.safe_dump(cfg))
    return work, made


# ------------------------------------------------------------------ the workflow run
class TreeMemory:
    """Peak memory of a process and all of its descendants, sampled in a thread."""

    def __init__(self, pid: int, interval: float, limit: float = float("inf")):
        import psutil

        self._psutil = psutil
        self.root = psutil.Process(pid)
        self.interval = interval
        self.limit = limit  # [bytes] of summed RSS: above, the tree is stopped
        self.stopped_at: float | None = None
        self.peak_sum = 0
        self.peak_one = 0
        self.samples = 0
        #: (time, sum of RSS, largest RSS of a process below Snakemake's own)
        self.series: list[tuple[float, int, int]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        psutil = self._psutil
        while not self._stop.is_set():
            try:
                procs = [self.root, *self.root.children(recursive=True)]
            except psutil.Error:
                return
            rss = []
            for p in procs:
                with contextlib.suppress(psutil.Error):
                    rss.append(p.memory_info().rss)
            if rss:
                self.peak_sum = max(self.peak_sum, sum(rss))
                self.peak_one = max(self.peak_one, max(rss))
                self.samples += 1
                below = max(rss[1:], default=0)  # the workers and their children
                self.series.append((time.time(), sum(rss), below))
                if sum(rss) > self.limit:
                    self._kill(procs)
                    return
            self._stop.wait(self.interval)

    def _kill(self, procs) -> None:
        """Stop the run (its processes only, by id, children first): the machine
        must keep memory for others."""
        self.stopped_at = time.time()
        for p in reversed(procs):
            with contextlib.suppress(self._psutil.Error):
                p.kill()

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()


def run_workflow(
    work: Path, cores: int, interval: float, limit: float, gate_stops: bool = False
) -> tuple[float, TreeMemory]:
    """Run Snakemake in ``work``; returns (wall [s], memory). Exits on a failure,
    except when the memory limit stopped the run (``mem.stopped_at``) or, with
    ``gate_stops`` (a strict dataset with errors), when the run failed after its
    validation, as it must."""
    cmd = [str(BIN / "snakemake"), "--cores", str(cores)]
    cmd += ["--workflow-profile", "workflow/profiles/default"]
    # tests/stubs/scontrol: no 10 s SLURM-plugin timeout on machines with SLURM
    # installed but no controller (see the stub).
    env = {
        **os.environ,
        "PATH": f"{BIN}:{REPO / 'tests' / 'stubs'}:{os.environ['PATH']}",
    }
    log = work / "snakemake.out"
    t0 = time.perf_counter()
    with open(log, "w") as out:
        proc = subprocess.Popen(
            cmd, cwd=work, stdout=out, stderr=subprocess.STDOUT, env=env
        )
        with TreeMemory(proc.pid, interval, limit) as mem:
            code = proc.wait()
    wall = time.perf_counter() - t0
    validated = (work / "results" / DATASET / "validation.json").is_file()
    if code != 0 and mem.stopped_at is None and not (gate_stops and validated):
        sys.exit(f"snakemake failed ({code}):\n{log.read_text()[-5000:]}")
    if code != 0 and gate_stops:
        print("the strict gate stopped the dataset after its validation, as it must")
    return wall, mem


_STAMP = re.compile(r"^\[(\w{3} \w{3} +\d+ \d\d:\d\d:\d\d \d{4})\]$")
_RULE = re.compile(r"^(?:local)?rule (\w+):$")
_JOBID = re.compile(r"^\s*jobid: (\d+)$")
_DONE = re.compile(r"^Finished jobid: (\d+)")


def rule_spans(text: str) -> list[tuple[str, datetime, datetime]]:
    """(rule, start, end) of every finished job in Snakemake's log (local times,
    to the second)."""
    stamp = None
    started: dict[str, tuple[str, datetime | None]] = {}
    pending_rule = None
    spans = []
    for line in text.splitlines():
        if m := _STAMP.match(line.strip()):
            stamp = datetime.strptime(m.group(1), "%a %b %d %H:%M:%S %Y")
        elif m := _RULE.match(line.strip()):
            pending_rule = m.group(1)
        elif (m := _JOBID.match(line)) and pending_rule is not None:
            started[m.group(1)] = (pending_rule, stamp)
            pending_rule = None
        elif (m := _DONE.match(line.strip())) and m.group(1) in started:
            rule, begin = started.pop(m.group(1))
            if begin is not None and stamp is not None:
                spans.append((rule, begin, stamp))
    return spans


def unfinished_rules(text: str) -> list[str]:
    """Rules whose jobs started and did not finish, in Snakemake's log."""
    started: dict[str, str] = {}
    pending_rule = None
    for line in text.splitlines():
        if m := _RULE.match(line.strip()):
            pending_rule = m.group(1)
        elif (m := _JOBID.match(line)) and pending_rule is not None:
            started[m.group(1)] = pending_rule
            pending_rule = None
        elif m := _DONE.match(line.strip()):
            started.pop(m.group(1), None)
    return list(dict.fromkeys(started.values()))


def rule_figures(work: Path, mem: TreeMemory) -> dict[str, tuple[float, str, int, int]]:
    """Rule -> (seconds, where the figure comes from, peak RSS of the largest
    process below Snakemake's own while the rule ran [bytes]: the worker running
    the job; the peak of the whole tree's summed RSS while it ran [bytes]: where
    the run's peak lies; 0 when no memory sample fell in it)."""
    logs = sorted((work / ".snakemake" / "log").glob("*.snakemake.log"))
    spans = rule_spans(logs[-1].read_text()) if logs else []
    out: dict[str, tuple[float, str, int, int]] = {}
    for rule, begin, end in spans:
        secs, _, peak, tree = out.get(rule, (0.0, "", 0, 0))
        lo, hi = begin.timestamp(), end.timestamp() + 1.0  # stamps are truncated
        during = [(total, one) for t, total, one in mem.series if lo <= t <= hi]
        out[rule] = (
            secs + (end - begin).total_seconds(),
            "Snakemake log, 1 s stamps",
            max([peak, *(one for _, one in during)]),
            max([tree, *(total for total, _ in during)]),
        )
    tsvs = [*(work / "logs").glob(f"*/{DATASET}.benchmark.tsv")]
    tsvs += (work / "logs").glob("render_index/index.benchmark.tsv")
    for tsv in tsvs:
        lines = tsv.read_text().splitlines()
        rule = tsv.parent.name
        if len(lines) >= 2:
            head, values = lines[0].split("\t"), lines[1].split("\t")
            secs = float(values[head.index("s")])
            _, _, peak, tree = out.get(rule, (0, "", 0, 0))
            out[rule] = (secs, "benchmark file", peak, tree)
    return out


# ------------------------------------------------------------------------ the floor
def floor(work: Path, scratch: Path) -> tuple[float, float, list[tuple[str, float]]]:
    """(read input [s], write results [s], per written file) with pyarrow alone."""
    source = work / "data" / "raw" / f"{DATASET}.parquet"
    t0 = time.perf_counter()
    pq.read_table(source)
    t_read = time.perf_counter() - t0
    writes = []
    for path in sorted((work / "results" / DATASET).glob("*.parquet")):
        table = pq.read_table(path)
        t0 = time.perf_counter()
        pq.write_table(table, scratch / path.name)
        writes.append((path.name, time.perf_counter() - t0))
        (scratch / path.name).unlink()
        del table
    return t_read, sum(t for _, t in writes), writes


def size(path: Path) -> int:
    """Bytes of a file, or of every file under a folder."""
    if path.is_file():
        return path.stat().st_size
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def mb(n: int) -> str:
    return f"{n / 1e6:,.1f} MB"


# ------------------------------------------------------------------------ profiling
def _reset_peak() -> bool:
    """Reset this process's peak RSS (Linux: ``clear_refs`` 5); False if refused."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def _peak_rss() -> int:
    """This process's peak RSS since the last reset [bytes] (VmHWM), 0 if unknown."""
    with contextlib.suppress(OSError):
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    return 0


def profile_stages(work: Path, keep: Path | None, top: int) -> None:
    """Each stage's job function once more under cProfile, on the run's files."""
    from iongrad.pipeline import config as cfgmod
    from iongrad.pipeline import jobs

    old = Path.cwd()
    os.chdir(work)
    try:
        cfg = cfgmod.resolve(cfgmod.load("config/config.yaml"))
        settings = cfgmod.dataset_settings(cfg, DATASET)
        res, out = Path("results") / DATASET, Path("profiled")
        out.mkdir(exist_ok=True)
        calls = {
            "validate_dataset": lambda: jobs.validate_job(
                raw=cfg["datasets"][DATASET]["path"],
                dataset=DATASET,
                mode="strict",
                validation_json=str(out / "validation.json"),
                rejected_csv=str(out / "rejected.csv"),
                measurements=str(out / "measurements.parquet"),
            ),
            "compute_potentials": lambda: jobs.potentials_job(
                measurements=str(res / "measurements.parquet"),
                validation_json=str(res / "validation.json"),
                potentials=str(out / "potentials.parquet"),
                temperature_scan_path=str(out / "temperature_scan.parquet"),
                activity=cfg["activity"],
                driving_force=cfg["driving_force"],
                temperatures_C=cfg["temperatures_C"],
            ),
            "compute_samples": lambda: jobs.samples_job(
                potentials=str(res / "potentials.parquet"),
                samples=str(out / "samples.parquet"),
                donnan_path=str(out / "donnan.parquet"),
                donnan=cfg["donnan"],
                ghk=cfg["ghk"],
            ),
            "render_dataset_report": lambda: jobs.report_job(
                dataset=DATASET,
                results_dir=str(res),
                output=str(out / "reports" / f"{DATASET}.html"),
                settings=settings,
                previous_dir=str(out / "previous"),
            ),
        }
        for rule, call in calls.items():
            prof = cProfile.Profile()
            reset = _reset_peak()
            t0 = time.perf_counter()
            prof.runcall(call)
            wall = time.perf_counter() - t0
            peak = mb(_peak_rss()) if reset else "unknown (no clear_refs)"
            if keep is not None:
                prof.dump_stats(keep / f"{rule}.prof")
            text = io.StringIO()
            stats = pstats.Stats(prof, stream=text).sort_stats("cumulative")
            stats.print_stats(top)
            body = text.getvalue()
            body = body[body.find("   ncalls") :] if "   ncalls" in body else body
            print(
                f"\n--- {rule}: {wall:.1f} s under cProfile, peak RSS of the process "
                f"during the call {peak} (top {top} entries, cumulative)"
            )
            print(body.rstrip())
    finally:
        os.chdir(old)


# ----------------------------------------------------------------------------- main
def print_rules(work: Path, wall: float, mem: TreeMemory, interval: float) -> None:
    """Wall time and peak memory per rule, the total, the whole tree's peak."""
    figures = rule_figures(work, mem)
    print(
        f"\n{'rule':24s}{'wall [s]':>10s}{'peak RSS':>12s}{'tree peak':>12s}  time from"
    )
    for rule in RULES:
        secs, where, peak, tree = figures.get(
            rule, (float("nan"), "not finished", 0, 0)
        )
        print(
            f"{rule:24s}{secs:10.1f}{mb(peak) if peak else '-':>12s}"
            f"{mb(tree) if tree else '-':>12s}  {where}"
        )
    print(
        f"{'total (snakemake)':24s}{wall:10.1f}{mb(mem.peak_one):>12s}"
        f"{mb(mem.peak_sum):>12s}  command"
    )
    print(
        f"(peak RSS: the largest process below Snakemake's own while the rule "
        f"ran: the worker process running its job; with 2 cores another job may "
        f"run beside it; tree peak: the whole tree's summed RSS while it ran)"
        f"\npeak memory of the whole process tree "
        f"(psutil every {interval:g} s, {mem.samples} samples): sum of RSS "
        f"{mb(mem.peak_sum)} (an upper bound: pages shared between processes "
        f"count once per process); largest process {mb(mem.peak_one)}"
    )
    if mem.stopped_at is not None:
        logs = sorted((work / ".snakemake" / "log").glob("*.snakemake.log"))
        running = unfinished_rules(logs[-1].read_text()) if logs else []
        print(
            f"STOPPED: the process tree passed the memory limit "
            f"({mb(int(mem.limit))}) while {', '.join(running) or 'a rule'} ran; "
            "the rules after it did not run (raise --memory-limit-gb on a machine "
            "with more memory)"
        )


def print_sizes(work: Path) -> None:
    """Sizes of what the run wrote."""
    res = work / "results" / DATASET
    print("\noutput sizes:")
    for label, path in (
        ("results/big/validation.json", res / "validation.json"),
        ("reports/", work / "reports"),
        ("  reports/big.html", work / "reports" / f"{DATASET}.html"),
        ("  reports/big_* (companions)", None),
        ("results/", work / "results"),
        ("  results/big/previous/", res / "previous"),
    ):
        if path is None:
            total = sum(size(p) for p in (work / "reports").glob(f"{DATASET}_*"))
            print(f"  {label:34s}{mb(total):>14s}")
            continue
        shown = mb(size(path)) if path.exists() else "absent"
        print(f"  {label:34s}{shown:>14s}")


def print_floor(work: Path, scratch: Path, wall: float) -> None:
    """The same-run floor and the ratio of the workflow's total to it."""
    scratch.mkdir()
    t_read, t_write, writes = floor(work, scratch)
    print(
        f"\nfloor (pyarrow alone, same run): read input {t_read:.2f} s + write "
        f"the results' columns {t_write:.2f} s = {t_read + t_write:.2f} s"
    )
    for name, t in writes:
        print(f"  write {name:28s}{t:8.2f} s")
    print(f"ratio total / floor: {wall / (t_read + t_write):.0f}")


def keep_logs(work: Path, keep: Path) -> None:
    """Copy the run's logs (not its big tables) into ``keep``."""
    for part in ("logs", ".snakemake/log", "snakemake.out"):
        src, dst = work / part, keep / "run" / part
        if src.is_dir():
            shutil.copytree(src, dst, dirs_exist_ok=True)
        elif src.is_file():
            dst.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dst)


def arguments() -> argparse.Namespace:
    try:
        import psutil
    except ImportError:
        sys.exit("bench_bigtable.py samples memory with psutil: pip install psutil")

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=10_000_000)
    ap.add_argument("--cores", type=int, default=2)
    ap.add_argument("--interval", type=float, default=0.2, help="memory sampling [s]")
    ap.add_argument("--profile", action="store_true", help="cProfile each stage")
    ap.add_argument("--top", type=int, default=25, help="profile entries shown")
    ap.add_argument("--keep", type=Path, help="keep the run's logs (and .prof) here")
    ap.add_argument(
        "--bad-cells", type=int, default=0, help="negative c_in_mM cells (errors)"
    )
    ap.add_argument("--mode", choices=("strict", "lenient"), default="strict")
    ap.add_argument(
        "--memory-limit-gb",
        type=float,
        default=round(0.6 * psutil.virtual_memory().available / 1e9, 1),
        help="stop the run when its processes together pass this much RSS "
        "(default: 60%% of the memory available at start)",
    )
    return ap.parse_args()


def main() -> None:
    args = arguments()
    load0 = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="iongrad-bigtable-") as tmp:
        work, t_make = setup(Path(tmp), args.rows, args.bad_cells, args.mode)
        source = work / "data" / "raw" / f"{DATASET}.parquet"
        n = pq.ParquetFile(source).metadata.num_rows
        print(
            f"table: {n:,} rows ({n // len(IONS):,} samples x {len(IONS)} ions, "
            f"{len(CELL_TYPES)} cell types, {len(TEMPERATURES_K)} temperatures, "
            f"Vm measured), {mb(size(source))} parquet, generated in {t_make:.1f} s; "
            f"{args.bad_cells} bad cell(s), {args.mode} mode"
        )
        print(
            f"workflow: default profile, --cores {args.cores}, reports on; "
            f"machine: {os.cpu_count()} CPUs, load average "
            f"{load0[0]:.2f} {load0[1]:.2f} {load0[2]:.2f} (1, 5, 15 min) before; "
            f"memory limit {args.memory_limit_gb:g} GB"
        )
        limit = args.memory_limit_gb * 1e9
        gate_stops = args.bad_cells > 0 and args.mode == "strict"
        wall, mem = run_workflow(work, args.cores, args.interval, limit, gate_stops)
        print_rules(work, wall, mem, args.interval)
        if mem.stopped_at is None and not gate_stops:
            print_sizes(work)
            print_floor(work, Path(tmp) / "floor", wall)
        load1 = os.getloadavg()
        print(f"load average after: {load1[0]:.2f} {load1[1]:.2f} {load1[2]:.2f}")
        if args.keep is not None:
            args.keep.mkdir(parents=True, exist_ok=True)
            keep_logs(work, args.keep)
        if args.profile and mem.stopped_at is None and not gate_stops:
            profile_stages(work, args.keep, args.top)


if __name__ == "__main__":
    main()
