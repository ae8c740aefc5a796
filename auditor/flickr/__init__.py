"""The Flickr API client the live fetch uses: `FlickrClient` (rate-limited by a `TokenBucket`,
retried, never leaking the API key), the dataclasses its answers are parsed into, and the errors it
raises (`auditor.flickr.errors` states the policy: what is retried, what is a finding, what stops
the run)."""

from auditor.flickr.client import DEFAULT_API_URL, LISTING_EXTRAS, FlickrClient
from auditor.flickr.errors import (
    TRANSIENT_CODES,
    FetchFailed,
    FlickrApiError,
    FlickrError,
    InvalidKey,
    NotVisible,
    TransientError,
    UnexpectedResponse,
    UserNotFound,
    is_transient,
    redact,
)
from auditor.flickr.parse import (
    FlickrLicence,
    LicenceChange,
    Owner,
    PhotoPage,
    PhotosOfPage,
    PhotoStatus,
    UserMatch,
)
from auditor.flickr.ratelimit import TokenBucket

__all__ = [
    "DEFAULT_API_URL",
    "LISTING_EXTRAS",
    "TRANSIENT_CODES",
    "FetchFailed",
    "FlickrApiError",
    "FlickrClient",
    "FlickrError",
    "FlickrLicence",
    "InvalidKey",
    "LicenceChange",
    "NotVisible",
    "Owner",
    "PhotoPage",
    "PhotoStatus",
    "PhotosOfPage",
    "TokenBucket",
    "TransientError",
    "UnexpectedResponse",
    "UserMatch",
    "UserNotFound",
    "is_transient",
    "redact",
]
