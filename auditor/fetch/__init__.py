"""The live status of photos on Flickr: plan the calls, fetch within the rate limit, keep evidence.

`fetch_status` fills the state store and returns one status per photo id; `with_live_status`
joins them onto the photo table as the columns the live rules read. Only this package and the
CLI touch the Flickr client; the rule engine and the reports see tables.
"""

from auditor.fetch.columns import LIVE_COLUMNS, with_live_status
from auditor.fetch.run import FetchOptions, FetchReport, FlickrApi, fetch_status
from auditor.fetch.targets import Target, build_targets

__all__ = [
    "LIVE_COLUMNS",
    "FetchOptions",
    "FetchReport",
    "FlickrApi",
    "Target",
    "build_targets",
    "fetch_status",
    "with_live_status",
]
