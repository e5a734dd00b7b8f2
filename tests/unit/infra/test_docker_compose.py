"""docker-compose.yml (for Docker hosts; never started here) stays consistent with the local stack and settings."""

from __future__ import annotations

import re
from urllib.parse import urlparse

import pytest
import yaml

import infra.settings as settings_module
from infra.settings import REPO_ROOT

COMPOSE_FILE = REPO_ROOT / "docker-compose.yml"
DOCKERFILE = REPO_ROOT / "infra" / "docker" / "Dockerfile"
ENV_EXAMPLE = REPO_ROOT / ".env.example"
EXPECTED = {"postgres", "seaweedfs", "spark-master", "spark-worker-1", "spark-worker-2", "spark-history",
            "spark-connect", "prefect-server", "prefect-worker"}
CONTROLLED_VARIABLE = re.compile(r"\b(RAINFOREST_[A-Z0-9_]*[A-Z0-9]|SPARK_MASTER|PREFECT_API_URL)\b")


@pytest.fixture(scope="module")
def services() -> dict[str, dict]:
    return yaml.safe_load(COMPOSE_FILE.read_text())["services"]


def published_ports(service: dict) -> list[tuple[str, str, int]]:
    """(host ip, host port, container port) of each short-syntax port mapping."""
    result = []
    for entry in service.get("ports", []):
        match = re.fullmatch(r"(?:(\d+\.\d+\.\d+\.\d+):)?(.+):(\d+)(?:/\w+)?", str(entry))
        assert match, f"unparsed port mapping {entry!r}"
        result.append((match.group(1) or "", match.group(2), int(match.group(3))))
    return result


def test_expected_services_exist_and_minio_is_a_profile(services: dict[str, dict]) -> None:
    assert EXPECTED <= set(services)
    for name in EXPECTED:
        assert "profiles" not in services[name], name
    for name in ("minio", "minio-init"):
        assert services[name]["profiles"] == ["minio"]


def test_every_image_is_pinned(services: dict[str, dict]) -> None:
    for name, service in services.items():
        assert "image" in service or "build" in service, name
        if "image" in service:
            image = service["image"]
            tag = image.rsplit("/", 1)[-1].partition(":")[2]
            assert "@sha256:" in image or (tag and tag != "latest" and "$" not in tag), f"{name}: {image}"


def test_published_ports_bind_localhost_only(services: dict[str, dict]) -> None:
    for name, service in services.items():
        for host_ip, host_port, _ in published_ports(service):
            assert host_ip == "127.0.0.1", f"{name} publishes {host_port} on {host_ip or 'all interfaces'}"


def test_long_running_services_have_healthchecks(services: dict[str, dict]) -> None:
    for name, service in services.items():
        if name.endswith("-init"):
            assert service.get("restart", "no") == "no", name
            continue
        test = service.get("healthcheck", {}).get("test")
        assert test and test != ["NONE"] and not service["healthcheck"].get("disable"), name


def test_depends_on_names_existing_services_with_valid_conditions(services: dict[str, dict]) -> None:
    for name, service in services.items():
        for target, spec in service.get("depends_on", {}).items():
            assert target in services, f"{name} depends on unknown {target}"
            condition = spec["condition"]
            if condition == "service_healthy":
                assert "healthcheck" in services[target], f"{name} waits for {target}, which has no healthcheck"
            else:
                assert condition == "service_completed_successfully" and target.endswith("-init"), (name, target)
            # A service that always starts must not wait for one that only starts under a profile.
            assert set(services[target].get("profiles", [])) <= set(service.get("profiles", [])), (name, target)


def test_secrets_come_from_env_interpolation(services: dict[str, dict]) -> None:
    secret_keys = ("PASSWORD", "SECRET", "ACCESS_KEY", "ROOT_USER", "DSN", "TOKEN")
    checked = 0
    for name, service in services.items():
        for key, value in service.get("environment", {}).items():
            if any(part in key for part in secret_keys):
                checked += 1
                assert re.search(r"\$\{RAINFOREST_[A-Z0-9_]+:\?[^}]+\}", str(value)), f"{name}.{key} is not from .env"
    assert checked >= 8


def test_settings_variables_used_are_documented_in_env_example() -> None:
    documented = set(re.findall(r"^#?\s*([A-Z][A-Z0-9_]*)=", ENV_EXAMPLE.read_text(), flags=re.MULTILINE))
    used = set(CONTROLLED_VARIABLE.findall(COMPOSE_FILE.read_text() + DOCKERFILE.read_text()))
    assert {"RAINFOREST_S3_ACCESS_KEY", "SPARK_MASTER", "PREFECT_API_URL", "RAINFOREST_JARS_DIR"} <= used
    assert used - documented == set()


def test_s3_and_catalog_ports_match_the_settings_defaults(
    services: dict[str, dict], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("RAINFOREST_S3_ENDPOINT", raising=False)
    monkeypatch.delenv("RAINFOREST_CATALOG_URI", raising=False)
    monkeypatch.setattr(settings_module, "read_env_file", lambda *args, **kwargs: {})
    settings_module.settings.cache_clear()
    try:
        defaults = settings_module.settings()
    finally:
        settings_module.settings.cache_clear()
    s3_port = urlparse(defaults.s3_endpoint).port
    catalog_port = urlparse(defaults.catalog_uri).port
    assert (s3_port, catalog_port) == (8333, 8181)

    seaweedfs = services["seaweedfs"]
    assert {(host, container) for _, host, container in published_ports(seaweedfs)} >= {
        (str(s3_port), s3_port), (str(catalog_port), catalog_port)}
    assert f"-s3.port={s3_port}" in seaweedfs["command"]
    assert f"-s3.port.iceberg={catalog_port}" in seaweedfs["command"]
    assert f"localhost:{catalog_port}/v1/config" in " ".join(seaweedfs["healthcheck"]["test"])

    worker_env = services["prefect-worker"]["environment"]
    assert urlparse(worker_env["RAINFOREST_S3_ENDPOINT"]).port == s3_port
    assert urlparse(worker_env["RAINFOREST_CATALOG_URI"]).port == catalog_port
