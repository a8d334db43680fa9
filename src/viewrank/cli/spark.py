"""Commands that run on Apache Spark: raw playback logs read in place, validated, deduplicated
and rolled up on a cluster (or in local mode), with only the small results stored here."""

from __future__ import annotations

from pathlib import Path

import click

from .options import json_option, open_warehouse, silent_option, warehouse_option
from .output import print_json
from .render import render_ingested


@click.command("spark-ingest")
@click.argument("sources", nargs=-1, required=True)
@warehouse_option
@click.option("--master", default="local[2]", show_default=True,
              help="Spark master URL: local[N], spark://host:7077, yarn, k8s://...")
@json_option
@silent_option
def spark_ingest(sources: tuple[str, ...], warehouse_path: Path, master: str, as_json: bool, silent: bool) -> None:
    """Ingest and roll up raw playback logs on Spark, reading them where they lie.

    SOURCES are files or folders (read recursively) at any path Spark reads: a local path,
    file://, hdfs://, s3a://, ... Every row is validated as `viewrank ingest` does, bad rows
    are quarantined with file, row and reason, a repeated event id is dropped (the first
    delivered wins: sources in the order given, a folder's files by path), and the daily
    rollups and week totals of every day the files touch replace the stored ones. Only the
    manifest, the quarantine and the rollups come back; run `viewrank charts` after.

    Example:

        viewrank spark-ingest --master spark://head:7077 hdfs:///logs/2026-11-09 hdfs:///logs/2026-11-10
    """
    from ..rollup.spark_raw import ingest_and_rollup_with_spark

    def say(stage: str) -> None:
        if not (silent or as_json):
            click.echo(f"Spark: {stage}", err=True)

    with open_warehouse(warehouse_path) as warehouse:
        report = ingest_and_rollup_with_spark(warehouse, list(sources), master=master, progress=say)
    if as_json:
        print_json({"master": report.master, "engine": report.engine, "days": report.days,
                    "event_rows": report.event_rows, "files": [item.__dict__ for item in report.files]})
        return
    for item in report.files:
        click.echo(render_ingested(item, skipped="not read"))
    click.echo(f"Rolled up {len(report.days)} days ({report.event_rows:,} events) on Spark ({report.master})")


COMMANDS = (spark_ingest,)
