"""The Kafka of the tests is the Kafka of the deployment: docker-compose.yml runs the apache/kafka
image of the version deploy/kafka/pom.xml assembles for the tests."""

from __future__ import annotations

from pathlib import Path
from xml.etree import ElementTree

import yaml

ROOT = Path(__file__).resolve().parents[2]
POM = "{http://maven.apache.org/POM/4.0.0}"


def test_compose_runs_the_kafka_version_the_tests_run():
    properties = ElementTree.parse(ROOT / "deploy" / "kafka" / "pom.xml").getroot().find(f"{POM}properties")
    version = properties.find(f"{POM}kafka.version").text
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
    assert compose["services"]["kafka"]["image"] == f"apache/kafka:{version}"
    assert version.startswith("4."), "Kafka 4 (KRaft only) is what the pinned clients are checked against"
