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

# Provenance a source materialization records per day: which landing file built it.
LANDING_FILE_METADATA_KEY = "landing_file"
LANDING_SIZE_METADATA_KEY = "landing_size"
LANDING_ETAG_METADATA_KEY = "landing_etag"

# Tags on the runs the landing sensor requests, and the check that reports days it gave up on.
LANDING_TRIGGER_TAG = "awo/trigger"  # value "landing"
LANDING_REQUEST_TAG = "awo/landing_request"  # the run key; Dagster's retries of a run keep it
LANDING_ATTEMPT_TAG = "awo/landing_attempt"
LANDING_FINAL_ATTEMPT_TAG = "awo/landing_final_attempt"  # "true" on the last attempt
LANDING_INGESTION_CHECK_NAME = "landing_ingestion"

# Dagster's own run tags for a partition and a partition range (the names are Dagster's public
# behaviour: the UI, `dg launch --partition-range` and sensors set them).
PARTITION_TAG = "dagster/partition"
RANGE_START_TAG = "dagster/asset_partition_range_start"
RANGE_END_TAG = "dagster/asset_partition_range_end"

# Freshness per day (checks/freshness.py) and alerts (checks/alerts.py).
FRESHNESS_CHECK_NAME = "freshness"  # on every daily asset: day D written by its deadline
LANDING_FRESHNESS_CHECK_NAME = "landing_freshness"  # on labs/source/<table>: D's file landed
FRESHNESS_SENSOR_NAME = "freshness_sensor"
ALERT_SENSOR_NAME = "alerts_sensor"
LATE_DAYS_METADATA_KEY = "late_days"  # day -> its deadline, on a freshness check's verdict

# Data quality (issue 9). What a source materialization records per day about its landing rows
# (landing = accepted + quarantined + exact duplicates), and the data-quality checks' names.
LANDING_ROWS_METADATA_KEY = "landing_rows"
ACCEPTED_ROWS_METADATA_KEY = "accepted_rows"
QUARANTINED_ROWS_METADATA_KEY = "quarantined_rows"
DUPLICATE_ROWS_METADATA_KEY = "duplicate_rows"
QUARANTINE_PATH_METADATA_KEY = "quarantine_path"
UNCHECKED_REFERENCES_METADATA_KEY = "unchecked_references"
PRIMARY_KEY_CHECK_NAME = "primary_key_unique"
FOREIGN_KEYS_CHECK_NAME = "foreign_keys_resolve"
NON_NEGATIVE_CHECK_NAME = "no_negative_amounts"
QUARANTINE_SHARE_CHECK_NAME = "quarantine_share"
ROW_COUNT_CHECK_NAME = "row_count_in_band"  # WARN: a day's rows vs the trailing days' mean
SCHEMA_CHECK_NAME = "schema_matches_contract"  # transformed and reports: columns and types
