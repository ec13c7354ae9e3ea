# Stage 4: one HTML report per dataset (iongrad.report), then the cross-dataset index.
# When a dataset failed (strict validation), the index cannot run as a job; the
# Snakefile's onerror handler renders it from the files that exist, marking it failed.
# report(): what `snakemake --report report.zip` shows; captions in workflow/report/.


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
        html=report(
            "reports/{dataset}.html",
            caption="../report/dataset_report.rst",
            category="4 Reports",
            subcategory="{dataset}",
            labels={"dataset": "{dataset}", "item": "HTML report"},
        ),
        potentials_csv=report(
            "reports/{dataset}_potentials.csv",
            caption="../report/potentials_table.rst",
            category="2 Potentials",
            subcategory="{dataset}",
            labels={"dataset": "{dataset}", "item": "table: every sample and ion"},
        ),
        summary_csv=report(
            "reports/{dataset}_summary.csv",
            caption="../report/summary_table.rst",
            category="2 Potentials",
            subcategory="{dataset}",
            labels={
                "dataset": "{dataset}",
                "item": "table: by cell type and temperature",
            },
        ),
        ladder_svg=report(
            "reports/{dataset}_ladder.svg",
            caption="../report/ladder.rst",
            category="2 Potentials",
            subcategory="{dataset}",
            labels={"dataset": "{dataset}", "item": "figure: E per ion against Vm"},
        ),
        temperature_svg=report(
            "reports/{dataset}_temperature.svg",
            caption="../report/temperature.rst",
            category="2 Potentials",
            subcategory="{dataset}",
            labels={"dataset": "{dataset}", "item": "figure: E against temperature"},
        ),
        activity_svg=report(
            "reports/{dataset}_activity.svg",
            caption="../report/activity.rst",
            category="2 Potentials",
            subcategory="{dataset}",
            labels={"dataset": "{dataset}", "item": "figure: activity correction"},
        ),
        samples_csv=report(
            "reports/{dataset}_samples.csv",
            caption="../report/samples_table.rst",
            category="3 Donnan and GHK",
            subcategory="{dataset}",
            labels={"dataset": "{dataset}", "item": "table: per sample"},
        ),
        donnan_svg=report(
            "reports/{dataset}_donnan.svg",
            caption="../report/donnan.rst",
            category="3 Donnan and GHK",
            subcategory="{dataset}",
            labels={"dataset": "{dataset}", "item": "figure: Donnan against measured"},
        ),
        ghk_svg=report(
            "reports/{dataset}_ghk.svg",
            caption="../report/ghk.rst",
            category="3 Donnan and GHK",
            subcategory="{dataset}",
            labels={"dataset": "{dataset}", "item": "figure: GHK against measured Vm"},
        ),
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
        html=report(
            "reports/index.html",
            caption="../report/index_report.rst",
            category="5 Across datasets",
            subcategory="all datasets",
            labels={"dataset": "all", "item": "HTML report"},
        ),
        across_csv=report(
            "reports/index_across_datasets.csv",
            caption="../report/index_table.rst",
            category="5 Across datasets",
            subcategory="all datasets",
            labels={"dataset": "all", "item": "table: same cell type across datasets"},
        ),
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
