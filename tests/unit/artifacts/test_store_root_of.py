"""Finding the store an artifact URI lives in, from the content-addressed layout."""

from __future__ import annotations

from pathlib import Path

import pytest

from modelfleet.artifacts import open_artifact_store, store_root_of
from modelfleet.errors import ArtifactError

SHA = "ab" + "0" * 62


@pytest.mark.parametrize("url", ["memory://modelfleet-root-of/runs", "LOCAL"])
def test_the_root_of_a_stored_blobs_uri_opens_a_store_that_reads_it(
    url: str, tmp_path: Path
) -> None:
    url = str(tmp_path / "with space") if url == "LOCAL" else url
    ref = open_artifact_store(url).put_bytes(b"payload")

    again = open_artifact_store(store_root_of(ref.uri))

    assert again.get_bytes(ref.digest) == b"payload"


def test_the_root_is_the_uri_without_shard_and_digest() -> None:
    assert store_root_of(f"s3://bucket/prefix/ab/{SHA}") == "s3://bucket/prefix"


@pytest.mark.parametrize(
    "uri",
    [
        f"s3://bucket/prefix/cd/{SHA}",  # shard is not the digest's first two characters
        "s3://bucket/prefix/ab/not-a-digest",
        SHA,  # no root at all
    ],
)
def test_a_uri_outside_the_layout_is_refused(uri: str) -> None:
    with pytest.raises(ArtifactError, match="is not <store root>/<sha"):
        store_root_of(uri)
