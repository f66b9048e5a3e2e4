"""The live view's name carries the fold's version, and the version is tied to the fold's code:
a change of the fold without a new version would let a restarted projector read a view the
old fold built as if the new one had."""

from __future__ import annotations

from tuoyu.views import version


def test_the_fold_version_is_the_one_recorded_for_the_folds_code():
    assert version.fold_source_sha256() == version.FOLD_SOURCE_SHA256, (
        "the fold's code changed (tuoyu/projections/fold.py or facts.py): raise FOLD_VERSION in "
        "tuoyu/views/version.py, so the projector rebuilds its view, and set FOLD_SOURCE_SHA256 to "
        f"{version.fold_source_sha256()!r}"
    )


def test_the_view_name_derives_from_the_fold_version():
    assert version.VIEW_NAME == f"kpi.v{version.FOLD_VERSION}"


def test_the_digest_changes_with_any_change_of_the_folds_source(monkeypatch):
    from importlib import resources

    real = resources.files

    class Edited:
        def __init__(self, package: str) -> None:
            self.root = real(package)

        def joinpath(self, name: str):
            path = self.root.joinpath(name)

            class Source:
                def read_bytes(self) -> bytes:
                    data = path.read_bytes()
                    return data + b"\n# edited\n" if name == "fold.py" else data

            return Source()

    monkeypatch.setattr(resources, "files", Edited)
    assert version.fold_source_sha256() != version.FOLD_SOURCE_SHA256
