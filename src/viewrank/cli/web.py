"""The site's commands: `serve` the site and API over a warehouse, `publish` it as static files."""

from __future__ import annotations

from pathlib import Path

import click

from .options import silent_option, warehouse_option
from .output import progress


@click.command()
@warehouse_option
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535), help="Port to listen on.")
@click.option("--cache-entries", default=512, show_default=True, type=click.IntRange(0),
              help="Responses kept in memory while the warehouse is unchanged (0: none).")
@click.option("--header-timeout", default=10.0, show_default=True, type=click.FloatRange(0.1),
              help="Seconds a client has to send a request's headers before it is disconnected.")
def serve(warehouse_path: Path, host: str, port: int, cache_entries: int, header_timeout: float) -> None:
    """Serve the Top 10 site and JSON API (/api, described at /api/openapi.json) over a warehouse.

    Requests are answered from a snapshot of the warehouse that the server refreshes
    whenever the warehouse changed and no other process is writing it, so ingest, rollup
    and charts can run meanwhile and are never seen half done.

    Example:

        viewrank serve --warehouse demo-warehouse --port 8000
    """
    import uvicorn  # imported here so that other commands do not load the web stack

    from ..web.app import create_app
    from ..web.protocol import protocol_with_header_timeout

    app = create_app(warehouse_path, cache_entries=cache_entries)
    click.echo(f"Serving {warehouse_path} at http://{host}:{port}/ (Ctrl+C to stop)")
    try:
        uvicorn.run(app, host=host, port=port, server_header=False, log_level="info",
                    http=protocol_with_header_timeout(header_timeout))
    finally:  # uvicorn returns on Ctrl+C and SIGTERM: the snapshot folder goes with the server
        app.state.reader.close()


@click.command()
@click.option("--site", "site_dir", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Directory to write the site into (replaced if it holds an earlier published site).")
@warehouse_option
@silent_option
def publish(site_dir: Path, warehouse_path: Path, silent: bool) -> None:
    """Write the whole site as static files: every page and download, with relative links.

    The result works from any static web host or straight from disk (file://). It is built
    from a snapshot of the warehouse taken in a moment, so ingest, rollup and charts can run
    meanwhile (and are not seen half done).

    Example:

        viewrank publish --site public --warehouse demo-warehouse
    """
    from ..web.connection import WarehouseReader
    from ..web.static_site import count_jobs, publish_site

    reader = WarehouseReader(warehouse_path)
    try:
        with reader.open() as warehouse:
            with progress("Writing the site", count_jobs(warehouse), silent=silent) as advance:
                report = publish_site(warehouse, site_dir, progress=advance)
    finally:
        reader.close()
    click.echo(f"Wrote {report.pages:,} pages and {report.downloads:,} downloads to {report.directory}")


COMMANDS = (serve, publish)
