"""The manifest formats that can be read, by name: a module without heavy imports, so the
command line can offer `--manifest-format` and `flickr-audit formats` without loading pandas.
The readers are in `auditor.manifests.read`."""

from __future__ import annotations

FORMATS: dict[str, str] = {
    "coco": "MS COCO annotations (images[].flickr_url, licenses table)",
    "ffhq": "FFHQ-style metadata JSON (photo_url, author, license, date_crawled)",
    "openimages": "Open Images image CSV (OriginalURL, OriginalLandingURL, License)",
    "yfcc100m": "YFCC100M metadata TSV, 23 columns or 25 with line number and hash",
    "openverse": "Openverse catalog CSV export or provider TSV (non-Flickr rows skipped)",
    "flickr-api": "Flickr API photo listing (photos.photo[]) or getInfo answer",
    "csv": "generic CSV, comma or semicolon (columns found by name, by content or by options)",
    "tsv": "generic TSV, with or without a header (Flickr8k.token.txt, fall11_urls.txt)",
    "table": "pipe-delimited or whitespace-aligned text table (Flickr30k results.csv, NUS-WIDE)",
    "jsonl": "JSON Lines, one record per line",
    "json": "JSON records: an array, or a list inside an object (Karpathy splits, BLIP/LAVIS)",
    "parquet": "Parquet",
    "urls": "one URL, flic.kr link, photo id or image file name per line; # comments",
}
GENERIC_FORMATS = frozenset({"csv", "tsv", "table", "jsonl", "json", "parquet"})
JSON_DOCUMENT_FORMATS = frozenset({"coco", "ffhq", "flickr-api", "json"})
