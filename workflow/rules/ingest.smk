# Stage 1: read and validate each input table against schemas/measurements.yaml.
# Never fails on bad data: validation.json and rejected.csv are always written (so the
# index can report a failed dataset); the strict-mode gate is in compute_potentials.


rule validate_dataset:
    input:
        table=get_raw_table,
    output:
        validation="results/{dataset}/validation.json",
        rejected=report(
            "results/{dataset}/rejected.csv",
            caption="../report/rejected.rst",
            category="1 Validation",
            subcategory="{dataset}",
            labels={"dataset": "{dataset}", "item": "table: rejected rows"},
        ),
        measurements="results/{dataset}/measurements.parquet",
        # Every failure, one row each (written with validation.json by the gate).
        failures="results/{dataset}/failures.parquet",
    log:
        "logs/validate_dataset/{dataset}.log",
    benchmark:
        "logs/validate_dataset/{dataset}.benchmark.tsv"
    group:
        "dataset"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        mode=get_validation_mode,
        read_options=get_read_options,
    run:
        jobs.validate_job(
            raw=input.table,
            dataset=wildcards.dataset,
            mode=params.mode,
            validation_json=output.validation,
            rejected_csv=output.rejected,
            measurements=output.measurements,
            log=log[0],
            read_options=params.read_options,
        )
