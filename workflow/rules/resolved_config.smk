# results/config.resolved.yaml: the config in force, every default explicit. Written by
# a job, not while the Snakefile is read, so that a dry run (or --lint, --summary)
# writes nothing and a read-only results/ is named in the job's error. The job runs
# again when the resolved config changes: its SHA-256 is the job's param.


localrules:
    write_resolved_config,


rule write_resolved_config:
    output:
        resolved="results/config.resolved.yaml",
    log:
        "logs/write_resolved_config/config.log",
    threads: 1
    params:
        sha256=iongrad_config.resolved_sha256(config),
    run:
        jobs.resolved_config_job(config=config, output=output.resolved, log=log[0])
