"""Apache Kafka for the integration tests: one broker per pytest process (tests/support/kafka.py)."""

from tests.support.kafka import kafka, kafka_broker, killable_kafka  # noqa: F401 (fixtures)
