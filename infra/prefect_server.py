"""Which Prefect server a process reports to: the one `PREFECT_API_URL` names, else the stack's own server when
it answers (so CLI runs show in its UI), else a temporary server per run. Decided here, once, from settings."""

from __future__ import annotations

import os
import urllib.error
import urllib.request

from infra.settings import Settings, settings


def http_ok(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


def prefect_api_url(cfg: Settings) -> str:
    """The stack's Prefect server (`RAINFOREST_PREFECT_PORT` on loopback)."""
    return f"http://127.0.0.1:{cfg.prefect_port}/api"


def prefect_healthy(cfg: Settings) -> bool:
    return http_ok(f"{prefect_api_url(cfg)}/health")


def use_configured_prefect_server() -> None:
    """Before Prefect is imported (it reads its settings once): with no `PREFECT_API_URL` set, point this process
    at the stack's server when it answers and its credentials are configured."""
    cfg = settings()
    if not os.environ.get("PREFECT_API_URL") and cfg.prefect_auth and prefect_healthy(cfg):
        os.environ["PREFECT_API_URL"] = prefect_api_url(cfg)
        os.environ["PREFECT_API_AUTH_STRING"] = cfg.prefect_auth
        os.environ["PREFECT_UI_URL"] = f"http://127.0.0.1:{cfg.prefect_port}"
