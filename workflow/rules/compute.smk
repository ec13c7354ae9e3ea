# Stage 2: Nernst and activity-corrected potentials, driving forces (per sample x
# ion), then Donnan and GHK predictions (per sample). All numbers come from iongrad.
# A big table's jobs take every core and compute its chunks in that many processes
# (get_compute_threads); small tables' jobs take one core each and run side by side.


rule compute_potentials:
    input:
        measurements=rules.validate_dataset.output.measurements,
        validation=rules.validate_dataset.output.validation,
    output:
        potentials="results/{dataset}/potentials.parquet",
        temperature_scan="results/{dataset}/temperature_scan.parquet",
    log:
        "logs/compute_potentials/{dataset}.log",
    benchmark:
        "logs/compute_potentials/{dataset}.benchmark.tsv"
    group:
        "dataset"
    threads: get_compute_threads
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        activity=config["activity"],
        driving_force=config["driving_force"],
        temperatures_C=config["temperatures_C"],
        ljp=lambda wildcards: iongrad_config.ljp_settings(config, wildcards.dataset),
    run:
        jobs.potentials_job(
            measurements=input.measurements,
            validation_json=input.validation,
            potentials=output.potentials,
            temperature_scan_path=output.temperature_scan,
            log=log[0],
            processes=threads,
            **dict(params.items()),
        )


rule compute_samples:
    input:
        potentials=rules.compute_potentials.output.potentials,
    output:
        samples="results/{dataset}/samples.parquet",
        donnan="results/{dataset}/donnan.parquet",
    log:
        "logs/compute_samples/{dataset}.log",
    benchmark:
        "logs/compute_samples/{dataset}.benchmark.tsv"
    group:
        "dataset"
    threads: get_compute_threads
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        donnan=config["donnan"],
        ghk=config["ghk"],
    run:
        jobs.samples_job(
            potentials=input.potentials,
            samples=output.samples,
            donnan_path=output.donnan,
            log=log[0],
            processes=threads,
            **dict(params.items()),
        )
