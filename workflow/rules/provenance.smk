# Stage 3: provenance.json per dataset (input and result SHA-256, versions, config in
# force, git commit, constants R and F, model choices, timestamp).


rule write_provenance:
    input:
        table=get_raw_table,
        validation=rules.validate_dataset.output.validation,
        potentials=rules.compute_potentials.output.potentials,
        temperature_scan=rules.compute_potentials.output.temperature_scan,
        samples=rules.compute_samples.output.samples,
        donnan=rules.compute_samples.output.donnan,
    output:
        provenance="results/{dataset}/provenance.json",
    log:
        "logs/write_provenance/{dataset}.log",
    benchmark:
        "logs/write_provenance/{dataset}.benchmark.tsv"
    group:
        "dataset"
    threads: 1
    resources:
        mem_mb=500,
        runtime=5,
    params:
        settings=get_dataset_settings,
    run:
        jobs.provenance_job(
            dataset=wildcards.dataset,
            inputs={"table": input.table},
            outputs=dict(input.items()),
            settings=params.settings,
            provenance=output.provenance,
            log=log[0],
        )
