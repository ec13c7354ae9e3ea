# Datasets too big for one job (config datasets/<name>/partitions: N > 1): validated
# whole, then split by sample into N parts that run the compute stages as separate
# jobs (on SLURM, separate submissions), gathered into the dataset's usual results
# files (iongrad.pipeline.partition). For other datasets these rules match nothing.


rule split_partition:
    input:
        measurements="results/{dataset}/measurements.parquet",
        validation="results/{dataset}/validation.json",
    output:
        measurements=temp("results/{dataset}/parts/{part}/measurements.parquet"),
    log:
        "logs/split_partition/{dataset}/{part}.log",
    wildcard_constraints:
        dataset=PARTITIONED_WILDCARD,
        part=r"\d{3}",
    threads: 1
    resources:
        mem_mb=4000,
        runtime=10,
    params:
        partitions=get_partitions,
    run:
        partition.split_job(
            measurements=input.measurements,
            validation_json=input.validation,
            part=int(wildcards.part),
            partitions=params.partitions,
            output=output.measurements,
            log=log[0],
        )


use rule compute_potentials as compute_potentials_part with:
    input:
        measurements="results/{dataset}/parts/{part}/measurements.parquet",
        validation="results/{dataset}/validation.json",
    output:
        potentials=temp("results/{dataset}/parts/{part}/potentials.parquet"),
        temperature_scan=temp("results/{dataset}/parts/{part}/temperature_scan.parquet"),
    log:
        "logs/compute_potentials/{dataset}/{part}.log",
    benchmark:
        "logs/compute_potentials/{dataset}/{part}.benchmark.tsv"
    wildcard_constraints:
        dataset=PARTITIONED_WILDCARD,
        part=r"\d{3}",
    group:
        "partition"


use rule compute_samples as compute_samples_part with:
    input:
        potentials="results/{dataset}/parts/{part}/potentials.parquet",
    output:
        samples=temp("results/{dataset}/parts/{part}/samples.parquet"),
        donnan=temp("results/{dataset}/parts/{part}/donnan.parquet"),
    log:
        "logs/compute_samples/{dataset}/{part}.log",
    benchmark:
        "logs/compute_samples/{dataset}/{part}.benchmark.tsv"
    wildcard_constraints:
        dataset=PARTITIONED_WILDCARD,
        part=r"\d{3}",
    group:
        "partition"


rule gather_partitions:
    input:
        measurements="results/{dataset}/measurements.parquet",
        potentials=get_part_files("potentials.parquet"),
        temperature_scan=get_part_files("temperature_scan.parquet"),
        samples=get_part_files("samples.parquet"),
        donnan=get_part_files("donnan.parquet"),
    output:
        potentials="results/{dataset}/potentials.parquet",
        temperature_scan="results/{dataset}/temperature_scan.parquet",
        samples="results/{dataset}/samples.parquet",
        donnan="results/{dataset}/donnan.parquet",
    log:
        "logs/gather_partitions/{dataset}.log",
    benchmark:
        "logs/gather_partitions/{dataset}.benchmark.tsv"
    wildcard_constraints:
        dataset=PARTITIONED_WILDCARD,
    threads: 1
    resources:
        mem_mb=4000,
        runtime=10,
    run:
        partition.gather_job(
            measurements=input.measurements,
            parts={key: list(input[key]) for key in partition.GATHERED},
            outputs={key: output[key] for key in partition.GATHERED},
            log=log[0],
        )


ruleorder: gather_partitions > compute_potentials
ruleorder: gather_partitions > compute_samples


# A dataset's stages form one SLURM group job ("dataset"); a partitioned dataset's
# parts must be jobs of their own, so its other stages leave that group too (each
# its own submission; a group cannot wrap jobs that run between its members).
use rule validate_dataset as validate_partitioned with:
    wildcard_constraints:
        dataset=PARTITIONED_WILDCARD,
    group:
        "partitioned_validate"


use rule write_provenance as provenance_partitioned with:
    wildcard_constraints:
        dataset=PARTITIONED_WILDCARD,
    group:
        "partitioned_provenance"


use rule render_dataset_report as report_partitioned with:
    wildcard_constraints:
        dataset=PARTITIONED_WILDCARD,
    group:
        "partitioned_report"


ruleorder: validate_partitioned > validate_dataset
ruleorder: provenance_partitioned > write_provenance
ruleorder: report_partitioned > render_dataset_report
