# Configuration and helpers shared by every stage (functions only, no rules).
#
# The config is validated against schemas/config.schema.yaml and every default is
# filled explicitly by iongrad.pipeline.config.resolve() (never by a validation side
# effect, so remote/cluster jobs see exactly the same values); the resolved config is
# written to results/config.resolved.yaml. Datasets are discovered from raw_dir unless
# listed.

from iongrad import files
from iongrad.pipeline import config as iongrad_config
from iongrad.pipeline import jobs
from iongrad.pipeline.workers import use_worker_processes

config.update(iongrad_config.resolve(config))
iongrad_config.write_resolved(config, "results/config.resolved.yaml")

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


wildcard_constraints:
    dataset="[A-Za-z0-9_-]+",


def get_raw_table(wildcards):
    """Input table of one dataset (as listed or discovered)."""
    return config["datasets"][wildcards.dataset]["path"]


def get_validation_mode(wildcards):
    """strict or lenient, per dataset."""
    return config["datasets"][wildcards.dataset]["validation_mode"]


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
REPORT_SUFFIXES = (".html",) + tuple(
    s for s in files.REPORT_COMPANIONS if s not in files.OPTIONAL_COMPANIONS
)


def report_output(suffix, dataset):
    """One file of a dataset's report (or of the pattern "{dataset}"), marked for
    `snakemake --report`."""
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
    """What a run makes: the reports when enabled, else every dataset's results.

    Asking for a dataset's report asks for its results, and asking for its
    provenance.json (written after, and fingerprinting, all of its result files)
    asks for them all; listing only these keeps the DAG of many datasets small.
    """
    if config["reports"]["enabled"]:
        return [files.report_file(d) for d in DATASETS] + [files.report_file("index")]
    return expand("results/{dataset}/provenance.json", dataset=DATASETS)


def render_index_after_error():
    """Render reports/index.html from whatever exists (called from onerror)."""
    if not config["reports"]["enabled"]:
        return
    try:
        jobs.index_job(datasets=DATASETS, output=files.report_file("index"))
    except Exception as exc:  # the run already failed; say why the index did too
        print(f"iongrad: could not render reports/index.html: {exc}")
