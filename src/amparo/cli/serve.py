"""``amparo serve``: the web workspace."""

from __future__ import annotations

import click

from amparo.cli.common import console, reports_errors, workspace_of
from amparo.terminal import untrusted


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, type=int, help="Port to listen on.")
@click.option(
    "--insecure-cookies",
    is_flag=True,
    help="Send the session cookie over plain HTTP on a non-loopback address too (only behind "
    "a TLS-terminating proxy on the same machine). Loopback addresses without TLS never "
    "need it: traffic there does not leave the machine.",
)
@click.option("--tls-cert", type=click.Path(exists=True, dir_okay=False), help="TLS certificate.")
@click.option("--tls-key", type=click.Path(exists=True, dir_okay=False), help="TLS private key.")
@click.option(
    "--trusted-proxy",
    "trusted_proxies",
    multiple=True,
    metavar="ADDR",
    callback=lambda _c, _p, value: _proxies(value),
    help="A reverse proxy (address or network, repeatable) whose Forwarded / X-Forwarded-For "
    "headers name the client. Default: none; those headers are ignored from anyone else.",
)
@click.pass_context
@reports_errors
def serve(
    context: click.Context,
    host: str,
    port: int,
    insecure_cookies: bool,
    tls_cert: str | None,
    tls_key: str | None,
    trusted_proxies: tuple[str, ...],
) -> None:
    """Serve the web workspace (sign in with a user made by `amparo users add`).

    The session cookie is marked Secure (sent over HTTPS only) with --tls-cert/--tls-key and
    on any non-loopback address; on 127.0.0.1 or localhost over plain HTTP it is not, so that
    every browser keeps it there.
    """
    import uvicorn

    from amparo.web.app import create_app

    if (tls_cert is None) != (tls_key is None):
        raise click.UsageError("--tls-cert and --tls-key go together")
    workspace = workspace_of(context)
    loopback = host == "localhost" or _is_loopback(host)
    secure = tls_cert is not None or not (loopback or insecure_cookies)
    app = create_app(workspace, secure_cookies=secure, trusted_proxies=trusted_proxies)
    scheme = "https" if tls_cert else "http"
    console.print(f"Amparo on {scheme}://{untrusted(host)}:{port} (Ctrl-C stops)", highlight=False)
    # proxy_headers off: uvicorn would otherwise believe X-Forwarded-For from 127.0.0.1 (and
    # FORWARDED_ALLOW_IPS); the app decides whom to believe (--trusted-proxy).
    uvicorn.run(app, host=host, port=port, ssl_certfile=tls_cert, ssl_keyfile=tls_key,
                log_level="info", server_header=False, proxy_headers=False)  # fmt: skip


def _proxies(values: tuple[str, ...]) -> tuple[str, ...]:
    from amparo.web.security import TrustedProxies

    try:
        TrustedProxies(values)
    except ValueError as error:
        raise click.BadParameter(str(error)) from error
    return values


def _is_loopback(host: str) -> bool:
    import ipaddress

    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
