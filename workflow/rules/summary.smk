# Stage 5: the cross-dataset index (reports/index.html), from every dataset's
# validation.json and report, whichever rules made them (per dataset or batched).
# When a dataset failed (strict validation), the index cannot run as a job; the
# Snakefile's onerror handler renders it from the files that exist, marking it failed.


report: "../report/workflow.rst"


rule render_index:
    input:
        validation=expand("results/{dataset}/validation.json", dataset=DATASETS),
        reports=[files.report_file(d) for d in DATASETS],
    output:
        html=report(
            files.report_file("index"),
            caption="../report/index_report.rst",
            category="5 Across datasets",
            subcategory="all datasets",
            labels={"dataset": "all", "item": "HTML report"},
        ),
        across_csv=report(
            files.report_file("index", "_across_datasets.csv"),
            caption="../report/index_table.rst",
            category="5 Across datasets",
            subcategory="all datasets",
            labels={"dataset": "all", "item": "table: same cell type across datasets"},
        ),
        datasets_csv=files.report_file("index", "_datasets.csv"),
        cell_types_csv=files.report_file("index", "_cell_types.csv"),
    log:
        "logs/render_index/index.log",
    benchmark:
        "logs/render_index/index.benchmark.tsv"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        datasets=DATASETS,
    run:
        jobs.index_job(datasets=params.datasets, output=output.html, log=log[0])
