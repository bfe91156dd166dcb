"""Reading cached outputs: hashes and manifest paths from untrusted content never name a file
outside the cache or the output's folder."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import pytest

from tui.backend.outs import (
    BAD_HASH,
    MISSING,
    NOT_IN_CACHE,
    CachedOut,
    CachedReader,
    OutError,
    cache_object,
    inside_repo,
    is_md5,
)


class FakeSource:
    """Files of a revision and a cache, from dicts."""

    def __init__(self, files: dict[str, bytes], cache: dict[str, bytes]) -> None:
        self.files, self.cache = files, cache

    def read(self, path: str) -> bytes | None:
        return self.files.get(path)

    def cached(self, md5: str) -> bytes | None:
        assert is_md5(md5, folder=True), md5
        return self.cache.get(md5)


def md5_of(data: bytes) -> str:
    return hashlib.md5(data).hexdigest()


def lock(outs: str, stage: str = "train") -> bytes:
    return f"schema: '2.0'\nstages:\n  {stage}:\n    cmd: x\n    outs:\n{outs}".encode()


def test_hashes_and_paths_are_checked() -> None:
    assert is_md5("0123456789abcdef0123456789abcdef")
    assert is_md5("0123456789abcdef0123456789abcdef.dir", folder=True)
    for bad in ("0123456789abcdef0123456789abcdef.dir", "../../etc/passwd", "ABCDEF" * 6, ""):
        assert not is_md5(bad)
    assert not is_md5("../../../../../etc/passwd.dir", folder=True)
    assert inside_repo("eval/metrics.json")
    for outside in ("..", "../x.json", "/etc/passwd"):
        assert not inside_repo(outside)


def test_cache_object_refuses_what_is_not_a_hash(tmp_path: Path) -> None:
    (tmp_path / "secret.json").write_text("{}")
    with pytest.raises(ValueError, match="not an md5"):
        cache_object(tmp_path / "repo" / ".dvc", "../../../secret.json")
    assert cache_object(tmp_path / "repo" / ".dvc", "0" * 32) is None


def test_folder_outputs_through_their_manifest() -> None:
    metrics, extra = b'{"acc": 1}', b'{"x": 2}'
    manifest = json.dumps(
        [
            {"relpath": "metrics.json", "md5": md5_of(metrics)},
            {"relpath": "plots/extra.json", "md5": md5_of(extra)},
            {"relpath": "../../escaped.json", "md5": md5_of(extra)},
            {"relpath": "bad.json", "md5": "../../etc/passwd"},
            {"relpath": "gone.json", "md5": "f" * 32},
        ]
    ).encode()
    dir_md5 = md5_of(manifest) + ".dir"
    source = FakeSource(
        {"sub/dvc.lock": lock(f"    - path: eval\n      md5: {dir_md5}\n")},
        {dir_md5: manifest, md5_of(metrics): metrics, md5_of(extra): extra},
    )
    # The stage works in sub/run: dvc.lock paths are relative to it.
    reader = CachedReader(source, [CachedOut("sub/run/eval", "sub/dvc.lock", "train", "sub/run")])
    assert reader.read("sub/run/eval/metrics.json") == [("sub/run/eval/metrics.json", metrics)]
    assert reader.read("sub/run/eval/plots") == [("sub/run/eval/plots/extra.json", extra)]
    assert reader.read("sub/run/eval") == [
        ("sub/run/eval/gone.json", None),
        ("sub/run/eval/metrics.json", metrics),
        ("sub/run/eval/plots/extra.json", extra),
    ]
    assert reader.read("sub") == reader.read("sub/run/eval")
    assert reader.read("elsewhere.json") is None
    with pytest.raises(OutError, match=MISSING):
        reader.read("sub/run/eval/nothing.json")


def test_hostile_or_missing_hashes_are_errors() -> None:
    outs = (
        "    - path: a.json\n      md5: ../../../../etc/passwd\n"
        "    - path: b.json\n      md5: 3\n"
        "    - path: c.json\n      hash: md5\n"
        "    - path: d.json\n      md5: " + "d" * 32 + "\n"
        "    - path: e\n      md5: " + "e" * 32 + ".dir\n"
    )
    source = FakeSource({"dvc.lock": lock(outs)}, {})
    names = ("a.json", "b.json", "c.json", "d.json", "e")
    reader = CachedReader(source, [CachedOut(name, "dvc.lock", "train", ".") for name in names])
    for name, message in (("a.json", BAD_HASH), ("b.json", BAD_HASH), ("c.json", MISSING)):
        with pytest.raises(OutError, match=message):
            reader.read(name)
    # A file's object missing is the caller's per-file error; a folder's manifest missing
    # leaves nothing to list.
    assert reader.read("d.json") == [("d.json", None)]
    with pytest.raises(OutError, match=re.escape(NOT_IN_CACHE)):
        reader.read("e/metrics.json")


class FakeRevision(FakeSource):
    """A FakeSource that lists its files, as the plots read a revision."""

    def files_under(self, folder: str) -> list[str]:
        return [p for p in self.files if p.startswith(folder + "/")]

    def dvcfiles(self) -> list[str]:
        return [p for p in self.files if p.endswith("dvc.yaml")]


def test_every_locked_output_at_its_templated_wdir() -> None:
    # A foreach stage works in a templated folder, and is locked as `name@key`.
    dvcyaml = b"""\
stages:
  eval:
    foreach: [a, b]
    do:
      cmd: echo ${item}
      wdir: runs/${item}
      outs: [live]
"""
    loss, image = b"step\tloss\n0\t1\n", b"png"
    manifest = json.dumps([{"relpath": "plots/metrics/loss.tsv", "md5": md5_of(loss)}]).encode()
    dir_md5 = md5_of(manifest) + ".dir"
    outs = (
        f"    - path: live\n      md5: {dir_md5}\n"
        "    - path: ../../../escape.png\n      md5: " + md5_of(image) + "\n"
    )
    locked = lock(outs, "eval@a") + b"  eval@b:\n    cmd: x\n    outs:\n    - path: live\n"
    locked += b"      md5: " + ("f" * 32 + ".dir").encode() + b"\n"  # not in the cache
    cache = {dir_md5: manifest, md5_of(loss): loss, md5_of(image): image}
    reader = CachedReader.locked(FakeRevision({"dvc.yaml": dvcyaml, "dvc.lock": locked}, cache))
    assert [out.path for out in reader.outs] == ["runs/a/live", "runs/b/live"]
    assert reader.files_under("") == ["runs/a/live/plots/metrics/loss.tsv"]
    assert reader.files_under("runs/a/live/plots") == ["runs/a/live/plots/metrics/loss.tsv"]
    assert reader.md5_of("runs/a/live/plots/metrics/loss.tsv") == md5_of(loss)
    assert reader.md5_of("runs/a/live/plots") is None
    assert reader.md5_of("runs/b/live/plots/metrics/loss.tsv") is None
    with pytest.raises(OutError, match=re.escape(NOT_IN_CACHE)):
        reader.locate("runs/b/live")


def test_a_lock_may_list_a_folders_files_inline() -> None:
    # As DVC writes for cloud versioning: the manifest's entries under `files`.
    data = b'{"acc": 1}'
    outs = (
        "    - path: eval\n      md5: " + "e" * 32 + ".dir\n      files:\n"
        f"      - relpath: metrics.json\n        md5: {md5_of(data)}\n"
        "      - relpath: ../escape.json\n        md5: " + md5_of(data) + "\n"
    )
    source = FakeSource({"dvc.lock": lock(outs)}, {md5_of(data): data})
    reader = CachedReader(source, [CachedOut("eval", "dvc.lock", "train", ".")])
    assert reader.read("eval") == [("eval/metrics.json", data)]
