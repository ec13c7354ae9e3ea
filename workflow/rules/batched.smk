# Stages 1-4 in batches (config batch_size > 1), instead of ingest.smk, compute.smk,
# provenance.smk and report.smk: per batch of datasets, one validation job, one
# computation job (potentials, samples, provenance) and one report job. They write the
# same files and per-dataset logs as the per-dataset rules, through the same
# iongrad.pipeline functions; only the number of jobs differs. Rules are defined in a
# loop, one set per batch, because a batch's outputs are an explicit list of files.
# Everything a job uses is passed through input/output/params (never the loop
# variables, which have moved on by the time a job runs).


report: "../report/workflow.rst"


for batch, members in BATCHES.items():
    # Memory: the datasets of a batch are processed one after the other, so a batch
    # needs what its largest table needs (measured per rule, see the SLURM profile's
    # set-resources). Minutes: a small table takes about a second per stage, a
    # 100,000-row one under a minute; generous, so that SLURM never kills a batch.
    batch_runtime = 10 + 2 * len(members)

    rule:
        name:
            f"validate_{batch}"
        input:
            table=[config["datasets"][d]["path"] for d in members],
        output:
            # In the order the next jobs ask for them (Snakemake finds a file's
            # producer by scanning the outputs in order).
            validation=per_dataset("results/{dataset}/validation.json", members),
            measurements=per_dataset("results/{dataset}/measurements.parquet", members),
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
        log:
            per_dataset("logs/validate_dataset/{dataset}.log", members),
        benchmark:
            f"logs/validate_batch/{batch}.benchmark.tsv"
        group:
            "batch"
        threads: 1
        resources:
            mem_mb=1200,
            runtime=batch_runtime,
        params:
            datasets=members,
            modes=get_modes(members),
        run:
            pipeline.validate_batch(
                datasets=params.datasets,
                raw=input.table,
                modes=params.modes,
                validation_json=output.validation,
                rejected_csv=output.rejected,
                measurements=output.measurements,
                logs=log,
            )

    rule:
        name:
            f"compute_{batch}"
        input:
            table=[config["datasets"][d]["path"] for d in members],
            validation=per_dataset("results/{dataset}/validation.json", members),
            measurements=per_dataset("results/{dataset}/measurements.parquet", members),
        output:
            # provenance.json first: it is what the next jobs ask for.
            provenance=per_dataset("results/{dataset}/provenance.json", members),
            potentials=per_dataset("results/{dataset}/potentials.parquet", members),
            temperature_scan=per_dataset(
                "results/{dataset}/temperature_scan.parquet", members
            ),
            samples=per_dataset("results/{dataset}/samples.parquet", members),
            donnan_table=per_dataset("results/{dataset}/donnan.parquet", members),
        log:
            potentials_logs=per_dataset(
                "logs/compute_potentials/{dataset}.log", members
            ),
            samples_logs=per_dataset("logs/compute_samples/{dataset}.log", members),
            provenance_logs=per_dataset("logs/write_provenance/{dataset}.log", members),
        benchmark:
            f"logs/compute_batch/{batch}.benchmark.tsv"
        group:
            "batch"
        threads: 1
        resources:
            mem_mb=1800,
            runtime=batch_runtime,
        params:
            datasets=members,
            activity=config["activity"],
            driving_force=config["driving_force"],
            temperatures_C=config["temperatures_C"],
            donnan=config["donnan"],
            ghk=config["ghk"],
            settings=get_settings(members),
        run:
            pipeline.call_named(pipeline.compute_batch, input, output, log, params)

    rule:
        name:
            f"report_{batch}"
        input:
            # provenance.json stands for all of a dataset's results: the compute job
            # writes them together after validation, provenance.json last (with the
            # SHA-256 of each), so it is the one input a report needs to wait for.
            provenance=per_dataset("results/{dataset}/provenance.json", members),
        output:
            # The HTML reports only: each one's CSV and SVG companions (written beside
            # it, removed by report_batch if its rendering fails) are declared by the
            # per-dataset rule alone, which keeps the DAG of thousands of datasets small
            # (`snakemake --report` then lists each dataset's HTML report).
            html=[report_outputs(d, names=["html"])["html"] for d in members],
        log:
            per_dataset("logs/render_dataset_report/{dataset}.log", members),
        group:
            "batch"
        threads: 1
        resources:
            mem_mb=1500,
            runtime=batch_runtime,
        params:
            datasets=members,
            settings=get_settings(members),
        run:
            pipeline.report_batch(
                datasets=params.datasets,
                html=output.html,
                settings=params.settings,
                logs=log,
            )
