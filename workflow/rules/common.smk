# Configuration and helpers shared by every stage (functions only, no rules).
#
# The config is validated against schemas/config.schema.yaml and every default is
# filled explicitly by iongrad.config.resolve() (never by a validation side effect, so
# remote/cluster jobs see exactly the same values); the resolved config is written to
# results/config.resolved.yaml. Datasets are discovered from raw_dir unless listed.

from iongrad import config as iongrad_config
from iongrad import pipeline

config.update(iongrad_config.resolve(config))
iongrad_config.write_resolved(config, "results/config.resolved.yaml")

DATASETS = sorted(config["datasets"])

# Jobs that run inside the main Snakemake process (the default profile's
# force-use-threads) hand their iongrad call to warm worker processes, one per core,
# instead of computing in threads that share one interpreter lock (see
# iongrad.pipeline.use_worker_processes). Spawned and cluster jobs compute directly.
if workflow.is_main_process:
    pipeline.use_worker_processes(workflow.resource_settings.cores or 1)


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


def get_final_outputs():
    """Every dataset's results, plus the reports when enabled."""
    files = expand(
        "results/{dataset}/{name}",
        dataset=DATASETS,
        name=[
            "potentials.parquet",
            "temperature_scan.parquet",
            "samples.parquet",
            "donnan.parquet",
            "provenance.json",
        ],
    )
    if config["reports"]["enabled"]:
        files += expand("reports/{dataset}.html", dataset=DATASETS)
        files.append("reports/index.html")
    return files


def render_index_after_error():
    """Render reports/index.html from whatever exists (called from onerror)."""
    if not config["reports"]["enabled"]:
        return
    try:
        pipeline.index_job(datasets=DATASETS, output="reports/index.html")
    except Exception as exc:  # the run already failed; say why the index did too
        print(f"iongrad: could not render reports/index.html: {exc}")
