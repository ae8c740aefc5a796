"""The live status of photos on Flickr: plan the calls, fetch within the rate limit, keep evidence.

`fetch_status` fills the state store and returns one status per photo id; `with_live_status`
joins them onto the photo table as the columns the live rules read. Only this package and the
CLI touch the Flickr client; the rule engine and the reports see tables.
"""

from auditor.fetch.columns import LIVE_COLUMNS, with_live_status
from auditor.fetch.plan import Call, FetchPlanner, PlanEstimate, describe_plan
from auditor.fetch.run import (
    FetchOptions,
    FetchReport,
    FlickrApi,
    PreparedFetch,
    fetch_status,
    prepare_fetch,
)
from auditor.fetch.targets import Target, build_targets

__all__ = [
    "LIVE_COLUMNS",
    "Call",
    "FetchOptions",
    "FetchPlanner",
    "FetchReport",
    "FlickrApi",
    "PlanEstimate",
    "PreparedFetch",
    "Target",
    "build_targets",
    "describe_plan",
    "fetch_status",
    "prepare_fetch",
    "with_live_status",
]
