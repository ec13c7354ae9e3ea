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
            validation=per_dataset("results/{dataset}/validation.json", members),
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
            measurements=per_dataset("results/{dataset}/measurements.parquet", members),
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
            potentials=per_dataset("results/{dataset}/potentials.parquet", members),
            temperature_scan=per_dataset(
                "results/{dataset}/temperature_scan.parquet", members
            ),
            samples=per_dataset("results/{dataset}/samples.parquet", members),
            donnan_table=per_dataset("results/{dataset}/donnan.parquet", members),
            provenance=per_dataset("results/{dataset}/provenance.json", members),
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
            activity=lookup(dpath="activity", within=config),
            driving_force=lookup(dpath="driving_force", within=config),
            temperatures_C=lookup(dpath="temperatures_C", within=config),
            donnan=lookup(dpath="donnan", within=config),
            ghk=lookup(dpath="ghk", within=config),
            settings=get_settings(members),
        run:
            pipeline.call_named(pipeline.compute_batch, input, output, log, params)

    rule:
        name:
            f"report_{batch}"
        input:
            validation=per_dataset("results/{dataset}/validation.json", members),
            rejected=per_dataset("results/{dataset}/rejected.csv", members),
            provenance=per_dataset("results/{dataset}/provenance.json", members),
            potentials=per_dataset("results/{dataset}/potentials.parquet", members),
            temperature_scan=per_dataset(
                "results/{dataset}/temperature_scan.parquet", members
            ),
            samples=per_dataset("results/{dataset}/samples.parquet", members),
            donnan=per_dataset("results/{dataset}/donnan.parquet", members),
        output:
            **report_outputs(members),
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
