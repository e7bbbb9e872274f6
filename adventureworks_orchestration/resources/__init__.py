"""Resources: the Spark session, the partitioned IO managers and the storage they sit on."""

from .csv_io_manager import (
    LocalPartitionedCsvIOManager,
    PartitionedCsvIOManager,
    S3PartitionedCsvIOManager,
)
from .java import JavaNotFoundError, require_java
from .spark import SparkResource, build_spark_resource, spark_config

__all__ = [
    "JavaNotFoundError",
    "LocalPartitionedCsvIOManager",
    "PartitionedCsvIOManager",
    "S3PartitionedCsvIOManager",
    "SparkResource",
    "build_spark_resource",
    "require_java",
    "spark_config",
]
