"""Each check's latest completed result, as the UI shows it (one instance call for all keys).

Read through ``instance.event_log_storage.get_asset_check_summary_records``, the call Dagster's
own freshness-check sensor makes: the instance has no public method for a check's latest result.
"""

import dagster as dg


def latest_results(
    instance: dg.DagsterInstance, check_keys: list[dg.AssetCheckKey]
) -> dict[dg.AssetCheckKey, tuple[dg.AssetCheckEvaluation, str]]:
    """Check key -> (its latest completed evaluation, the run id it came from), if it has one."""
    summaries = instance.event_log_storage.get_asset_check_summary_records(check_keys)
    found = {}
    for key in check_keys:
        record = summaries[key].last_completed_check_execution_record
        evaluation = record.event.asset_check_evaluation if record and record.event else None
        if evaluation is not None:
            found[key] = (evaluation, record.run_id)
    return found
