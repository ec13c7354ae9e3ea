# Stage 4: one HTML report per dataset (iongrad.report), then the cross-dataset index.
# When a dataset failed (strict validation), the index cannot run as a job; the
# Snakefile's onerror handler renders it from the files that exist, marking it failed.


rule render_dataset_report:
    input:
        validation=rules.validate_dataset.output.validation,
        rejected=rules.validate_dataset.output.rejected,
        potentials=rules.compute_potentials.output.potentials,
        temperature_scan=rules.compute_potentials.output.temperature_scan,
        samples=rules.compute_samples.output.samples,
        donnan=rules.compute_samples.output.donnan,
        provenance=rules.write_provenance.output.provenance,
    output:
        html="reports/{dataset}.html",
    log:
        "logs/render_dataset_report/{dataset}.log",
    group:
        "dataset"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        settings=get_dataset_settings,
    run:
        pipeline.report_job(
            dataset=wildcards.dataset,
            results_dir=f"results/{wildcards.dataset}",
            output=output.html,
            settings=params.settings,
            previous_dir=f"results/{wildcards.dataset}/previous",
            log=log[0],
        )


rule render_index:
    input:
        validation=expand(rules.validate_dataset.output.validation, dataset=DATASETS),
        reports=expand(rules.render_dataset_report.output.html, dataset=DATASETS),
    output:
        html="reports/index.html",
    log:
        "logs/render_index/index.log",
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        datasets=DATASETS,
    run:
        pipeline.index_job(datasets=params.datasets, output=output.html, log=log[0])
