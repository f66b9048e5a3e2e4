"""The version of the fold, and the name of the view it keeps.

A view stored by the embedded projector is only valid for the fold that built it. Its name
carries FOLD_VERSION, so a new version is rebuilt from zero on the next start instead of
being read as if the old fold had made it. FOLD_SOURCE_SHA256 is the SHA-256 of the fold's
modules as they were when FOLD_VERSION was last set: tests/unit/test_fold_version.py fails
when the code changes and the version does not, and says what to do.
"""

from __future__ import annotations

import hashlib
from importlib import resources

# The modules whose code decides the view's state: the fold and the helpers it calls to keep
# supervision and provision records, the instants they store, and how stored facts are read.
FOLD_MODULES = (
    "tuoyu.projections/fold.py",
    "tuoyu.projections/supervision.py",
    "tuoyu.projections/provision.py",
    "tuoyu.projections/moments.py",
    "tuoyu.projections/facts.py",
    "tuoyu.domain/canonical.py",
)

FOLD_VERSION = 6
FOLD_SOURCE_SHA256 = "a01c9b1c99fd359db5042ee150d4a284e2f4f2e3993985c2fdd0ce2294ff37c8"

VIEW_NAME = f"kpi.v{FOLD_VERSION}"


def fold_source_sha256() -> str:
    """SHA-256 over the fold's modules, each as its length and bytes (package data: the
    installed package answers like the checkout)."""
    digest = hashlib.sha256()
    for module in FOLD_MODULES:
        package, _, name = module.partition("/")
        source = resources.files(package).joinpath(name).read_bytes()
        digest.update(len(source).to_bytes(8, "big") + source)
    return digest.hexdigest()
