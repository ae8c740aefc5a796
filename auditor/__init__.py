"""flickr-licence-auditor: licence-compliance audits for image datasets built from Flickr photos.

The package is a library first; `auditor.cli` is the only module that reads argv and the
environment, draws progress and exits.
"""

__version__ = "0.1.0"
