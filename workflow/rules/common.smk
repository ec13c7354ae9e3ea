# Configuration and helpers shared by every stage (functions only, no rules).
#
# The config is validated against schemas/config.schema.yaml and every default is
# filled explicitly by iongrad.pipeline.config.resolve() (never by a validation side
# effect, so remote/cluster jobs see exactly the same values); the resolved config is
# written to results/config.resolved.yaml by a job (resolved_config.smk), so reading
# this file writes nothing. Datasets are discovered from raw_dir unless listed.

import sys

from iongrad import files
from iongrad.pipeline import config as iongrad_config
from iongrad.pipeline import chunks, integrity, jobs, partition
from iongrad.pipeline.workers import use_worker_processes

# What resolving skipped rather than refused (hidden files, unknown lenient names).
config_notes = []
config.update(iongrad_config.resolve(config, config_notes))

DATASETS = sorted(config["datasets"])
# Datasets per job (config batch_size): name -> member datasets, in sorted name order.
# With batch_size 1 every dataset is its own batch and the per-dataset rules run.
BATCHES = iongrad_config.batches(config)
BATCHED = config["batch_size"] > 1

# Jobs that run inside the main Snakemake process (the default profile's
# force-use-threads) hand their iongrad call to warm worker processes, one per core,
# instead of computing in threads that share one interpreter lock (see
# iongrad.pipeline.workers). Spawned and cluster jobs compute directly.
if workflow.is_main_process:
    use_worker_processes(workflow.resource_settings.cores or 1)
    # Once per run (jobs that Snakemake starts read this file again): the notes, and
    # results parquets cut short, removed so that this run rebuilds them (a dry run
    # only names them).
    dry_run = workflow.output_settings.dryrun
    config_notes += integrity.remove_damaged("results", DATASETS, dry_run=dry_run)
    for note in config_notes:
        print(f"iongrad: {note}", file=sys.stderr)


wildcard_constraints:
    dataset=iongrad_config.DATASET_WILDCARD,


def get_raw_table(wildcards):
    """Input table of one dataset (as listed or discovered)."""
    return config["datasets"][wildcards.dataset]["path"]


def get_compute_threads(wildcards):
    """Cores for a dataset's compute jobs: every core for a big table, whose chunks
    are computed in as many processes, else 1 (iongrad.pipeline.chunks)."""
    return chunks.processes_for(
        get_raw_table(wildcards), workflow.resource_settings.cores
    )


def get_validation_mode(wildcards):
    """strict or lenient, per dataset."""
    return config["datasets"][wildcards.dataset]["validation_mode"]


def get_read_options(wildcards):
    """How the dataset's file is read: its number_format, sheet, header_row... keys."""
    return iongrad_config.read_settings(config, wildcards.dataset)


def get_read_options_of(datasets):
    """get_read_options for each dataset of a batch (dataset -> its read keys)."""
    return {d: iongrad_config.read_settings(config, d) for d in datasets}


def get_dataset_settings(wildcards):
    """The resolved config one dataset's results depend on (sorted, no paths)."""
    return iongrad_config.dataset_settings(config, wildcards.dataset)


def get_modes(datasets):
    """Validation mode of each dataset of a batch (dataset -> strict/lenient)."""
    return {d: config["datasets"][d]["validation_mode"] for d in datasets}


def get_settings(datasets):
    """get_dataset_settings for each dataset of a batch (dataset -> settings)."""
    return {d: iongrad_config.dataset_settings(config, d) for d in datasets}


def per_dataset(pattern, datasets):
    """``pattern`` filled in for each dataset of a batch (a list, in batch order)."""
    return [pattern.format(dataset=d) for d in datasets]


#: How `snakemake --report` shows each file of one dataset's report (the file names
#: are iongrad.files.REPORT_COMPANIONS): suffix -> (caption in workflow/report/,
#: category, item label).
REPORT_LABELS = {
    ".html": ("dataset_report", "4 Reports", "HTML report"),
    "_potentials.csv": (
        "potentials_table",
        "2 Potentials",
        "table: every sample and ion",
    ),
    "_summary.csv": (
        "summary_table",
        "2 Potentials",
        "table: by cell type and temperature",
    ),
    "_samples.csv": ("samples_table", "3 Donnan and GHK", "table: per sample"),
    "_ladder.svg": ("ladder", "2 Potentials", "figure: E per ion against Vm"),
    "_temperature.svg": (
        "temperature",
        "2 Potentials",
        "figure: E against temperature",
    ),
    "_activity.svg": ("activity", "2 Potentials", "figure: activity correction"),
    "_donnan.svg": (
        "donnan",
        "3 Donnan and GHK",
        "figure: Donnan against measured",
    ),
    "_ghk.svg": ("ghk", "3 Donnan and GHK", "figure: GHK against measured Vm"),
}
#: The declared outputs of a dataset's report: the page and every companion the
#: report always writes (one written only when needed cannot be declared).
#: Companions copying a results file: optional for the report module (a results
#: folder may lack the file), always written here, where the report job has
#: validation.json and rejected.csv as inputs.
COPIED_SUFFIXES = ("_validation.json", "_rejected.csv")
REPORT_SUFFIXES = (
    (".html",)
    + tuple(s for s in files.REPORT_COMPANIONS if s not in files.OPTIONAL_COMPANIONS)
    + tuple(s for s in COPIED_SUFFIXES if s in files.REPORT_COMPANIONS)
)


#: The outputs of the index job: the page and the tables written beside it.
INDEX_SUFFIXES = (".html",) + files.INDEX_COMPANIONS


def report_output(suffix, dataset):
    """One file of a dataset's report (or of the pattern "{dataset}"), marked for
    `snakemake --report` (the copies of results files are there already)."""
    if suffix in COPIED_SUFFIXES:
        return files.report_file(dataset, suffix)
    caption, category, item = REPORT_LABELS[suffix]
    return report(
        files.report_file(dataset, suffix),
        caption=f"../report/{caption}.rst",
        category=category,
        subcategory=dataset,
        labels={"dataset": dataset, "item": item},
    )


def report_outputs(dataset):
    """Every declared file of one dataset's report, by output name: html,
    potentials_csv, summary_csv, ... (the suffix without its "_", "." as "_")."""
    return {
        suffix.lstrip("_.").replace(".", "_"): report_output(suffix, dataset)
        for suffix in REPORT_SUFFIXES
    }


def get_final_outputs():
    """What a run makes: the resolved config, every results file of every dataset,
    and the reports (with their CSV and SVG files) when enabled.

    Every file a user reads is a target, not only the last one of each dataset:
    Snakemake does not make again a missing file that only finished jobs need (a
    deleted samples.parquet, the outputs it removed after a job failed, or a report's
    CSV would stay missing while the run said "Nothing to be done"). With
    batch_size > 1 a batch declares only the report pages, so their CSV and SVG files
    are not targets. The price of the longer list (benchmarks/bench_workflow.py,
    Snakemake's CPU time, same machine and session): a dry run or no-op rerun of 200
    datasets with batch_size 14 takes 0.3-0.5 s more (2.7-2.9 s -> 3.0-3.3 s, so
    about 2 s more for 1,000); with batch_size 1 (100 datasets) no difference beyond
    the noise (2.8-3.6 s both), as every job was in the DAG already.
    """
    targets = ["results/config.resolved.yaml"]
    targets += [f"results/{d}/{f}" for d in DATASETS for f in jobs.DATASET_RESULTS]
    if config["reports"]["enabled"]:
        suffixes = (".html",) if BATCHED else REPORT_SUFFIXES
        targets += [files.report_file(d, s) for d in DATASETS for s in suffixes]
        targets += [files.report_file("index", s) for s in INDEX_SUFFIXES]
    return targets


def render_index_after_error():
    """Render reports/index.html from whatever exists (called from onerror)."""
    if not config["reports"]["enabled"]:
        return
    try:
        jobs.index_job(datasets=DATASETS, output=files.report_file("index"))
    except Exception as exc:  # the run already failed; say why the index did too
        print(f"iongrad: could not render reports/index.html: {exc}")


# ------------------------------------------------------------ partitioned datasets
# (partition.smk: config datasets/<name>/partitions: N > 1)
#: Names of the partitioned datasets, as a wildcard pattern ("(?!)" matches nothing).
PARTITIONED_WILDCARD = (
    "|".join(d for d in DATASETS if config["datasets"][d].get("partitions", 1) > 1)
    or "(?!)"
)


def get_partitions(wildcards):
    """Number of parts of a partitioned dataset."""
    return config["datasets"][wildcards.dataset].get("partitions", 1)


def get_part_files(name):
    """Input function: ``name`` in every part folder of the dataset, in part order."""

    def files_of(wildcards):
        n = config["datasets"][wildcards.dataset].get("partitions", 1)
        return partition.part_paths("results", wildcards.dataset, n, name)

    return files_of
