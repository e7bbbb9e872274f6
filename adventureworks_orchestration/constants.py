"""Names shared by assets, jobs and tests: groups, key prefixes, resource keys."""

ASSET_GROUP_LABS = "labs"

ASSET_PREFIX_SOURCE = "source"
ASSET_PREFIX_TRANSFORMED = "transformed"
ASSET_PREFIX_REPORTS = "reports"

SPARK_RESOURCE_KEY = "spark_s3_rsc"
IO_MANAGER_KEY = "partitioned_csv_io_manager"

SAMPLE_JOB_NAME = "sample_job"
FIVE_MINUTE_SCHEDULE_NAME = "sample_job_every_five_minutes"
DAILY_SCHEDULE_NAME = "sample_job_daily"

OWNERS = ["team:data-platform"]
LANDING_SENSOR_NAME = "landing_files_sensor"

# Dagster concurrency pools: one per stored asset (one per step for the source multi_asset), each
# limited to one slot by the instance config (dagster_home.py, deploy/dagster.yaml).
WRITE_POOL_PREFIX = "awo-write"

# Dagster's own run tags for a partition and a partition range (the names are Dagster's public
# behaviour: the UI, `dg launch --partition-range` and sensors set them).
PARTITION_TAG = "dagster/partition"
RANGE_START_TAG = "dagster/asset_partition_range_start"
RANGE_END_TAG = "dagster/asset_partition_range_end"
