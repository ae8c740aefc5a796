"""Reading dataset manifests: one reader per format, format detection, and Flickr id parsing.

Start at `auditor.manifests.read.read_manifests`, which turns manifest files of any supported
format into the photo table (`auditor.photo_table`).
"""
