"""Audit: the hash chain over the stored events, verification, trails, diffs, bundles."""
