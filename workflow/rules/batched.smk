# Stages 1-4 in batches (config batch_size > 1), instead of ingest.smk, compute.smk,
# provenance.smk and report.smk: one job per batch of datasets validates, computes
# (potentials, samples, provenance) and renders the reports of each of its datasets,
# writing the same files and per-dataset logs as the per-dataset rules through the
# same job functions (iongrad.pipeline.batch calls iongrad.pipeline.jobs for each
# dataset). One job, not a group of one per stage: on SLURM a batch is then one
# submission running one Snakemake process (Snakemake starts one more process per rule
# inside a group job). Rules are defined in a loop, one per batch, because a batch's
# outputs are an explicit list of files; a job uses only its input/output/log/params
# (never the loop variables, which have moved on by the time it runs).
# No `benchmark:` file: Snakemake's benchmark thread reads the memory map of every
# process under the job's, twice a second for its first 15 s; for an in-process job
# that is Snakemake, the forkserver and every worker (14 ms of CPU a sample at two
# cores), and the figures then measure all jobs running, not this batch.

from iongrad.pipeline.batch import call_named, process_batch


report: "../report/workflow.rst"


for batch, members in BATCHES.items():
    # Memory: the datasets of a batch are processed one after the other, so a batch
    # needs what its largest table needs (the largest per-rule request of the SLURM
    # profile's set-resources). Minutes: a small table takes about a second per stage,
    # a 100,000-row one about a minute; generous, so that SLURM never kills a batch.
    batch_runtime = 10 + 5 * len(members)

    rule:
        name:
            f"process_{batch}"
        input:
            table=[config["datasets"][d]["path"] for d in members],
        output:
            # Outputs are listed in the order other jobs ask for them (Snakemake finds
            # a file's producer by scanning the outputs in order). provenance.json is
            # written after, and fingerprints, all of a dataset's result files.
            html=[
                report_output(".html", d)
                for d in (members if config["reports"]["enabled"] else [])
            ],
            provenance=per_dataset("results/{dataset}/provenance.json", members),
            validation=per_dataset("results/{dataset}/validation.json", members),
            measurements=per_dataset("results/{dataset}/measurements.parquet", members),
            failures=per_dataset("results/{dataset}/failures.parquet", members),
            rejected=[
                report(
                    f"results/{d}/rejected.csv",
                    caption="../report/rejected.rst",
                    category="1 Validation",
                    subcategory=d,
                    labels={"dataset": d, "item": "table: rejected rows"},
                )
                for d in members
            ],
            potentials=per_dataset("results/{dataset}/potentials.parquet", members),
            temperature_scan=per_dataset(
                "results/{dataset}/temperature_scan.parquet", members
            ),
            samples=per_dataset("results/{dataset}/samples.parquet", members),
            donnan_table=per_dataset("results/{dataset}/donnan.parquet", members),
        log:
            validate_logs=per_dataset("logs/validate_dataset/{dataset}.log", members),
            potentials_logs=per_dataset(
                "logs/compute_potentials/{dataset}.log", members
            ),
            samples_logs=per_dataset("logs/compute_samples/{dataset}.log", members),
            provenance_logs=per_dataset("logs/write_provenance/{dataset}.log", members),
            report_logs=per_dataset("logs/render_dataset_report/{dataset}.log", members),
        threads: 1
        resources:
            mem_mb=1800,
            runtime=batch_runtime,
        params:
            datasets=members,
            modes=get_modes(members),
            read_options=get_read_options_of(members),
            activity=config["activity"],
            driving_force=config["driving_force"],
            temperatures_C=config["temperatures_C"],
            donnan=config["donnan"],
            ghk=config["ghk"],
            settings=get_settings(members),
        run:
            call_named(process_batch, input, output, log, params)
