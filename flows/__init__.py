"""Rainforest's Prefect flows. Importing them first turns telemetry off and points Prefect at the project's
logging config (flows/logging.yml), before Prefect or Soda is imported."""

import os
from pathlib import Path

from infra.settings import no_telemetry

no_telemetry()
os.environ.setdefault("PREFECT_LOGGING_SETTINGS_PATH", str(Path(__file__).with_name("logging.yml")))
