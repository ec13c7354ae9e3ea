# Stage 4: one HTML report per dataset (iongrad.report); the cross-dataset index is in
# summary.smk. report(): what `snakemake --report report.zip` shows; captions in
# workflow/report/.


report: "../report/workflow.rst"


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
        **report_outputs("{dataset}"),
    log:
        "logs/render_dataset_report/{dataset}.log",
    benchmark:
        "logs/render_dataset_report/{dataset}.benchmark.tsv"
    group:
        "dataset"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        settings=get_dataset_settings,
    run:
        jobs.report_job(
            dataset=wildcards.dataset,
            results_dir=f"results/{wildcards.dataset}",
            output=output.html,
            settings=params.settings,
            previous_dir=f"results/{wildcards.dataset}/previous",
            log=log[0],
        )
