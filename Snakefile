# iongrad: lab ion-concentration tables -> validated tables, Nernst/activity/Donnan/GHK
# numbers, provenance and reports. Run from the repository root:
#
#   snakemake --cores 2 --workflow-profile workflow/profiles/default
#
# Layout of what it writes (one folder per dataset, named after its input file):
#   results/config.resolved.yaml      the config in force, all defaults explicit
#                                     (a job: a dry run writes nothing)
#   results/<dataset>/validation.json, rejected.csv, measurements.parquet
#   results/<dataset>/potentials.parquet, temperature_scan.parquet
#   results/<dataset>/samples.parquet, donnan.parquet, provenance.json
#   reports/<dataset>.html, reports/index.html
#   logs/<rule>/<dataset>.log (+ .benchmark.tsv for compute rules)
#
# config batch_size > 1 runs stages 1-4 per batch of datasets (same files, fewer jobs);
# a dataset with `partitions: N` is computed in N parts by sample, then gathered.
from snakemake.utils import min_version

min_version("9.0")


configfile: "config/config.yaml"


report: "workflow/report/workflow.rst"


include: "workflow/rules/common.smk"
include: "workflow/rules/resolved_config.smk"


# Stages 1-4 per dataset, or per batch of datasets (config batch_size > 1).
if BATCHED:

    include: "workflow/rules/batched.smk"

else:

    include: "workflow/rules/ingest.smk"
    include: "workflow/rules/compute.smk"
    include: "workflow/rules/provenance.smk"
    include: "workflow/rules/report.smk"
    include: "workflow/rules/partition.smk"


include: "workflow/rules/summary.smk"


onerror:
    render_index_after_error()


rule all:
    default_target: True
    input:
        get_final_outputs(),
