"""A model version's meta.json: fields added later read with the value every older model had."""

from __future__ import annotations

import json

from openinspect.store import ModelMeta
from openinspect.store.meta import META_FILE


def test_meta_records_the_backbone_and_a_file_from_before_the_field_reads_as_lite0(tmp_path) -> None:
    ModelMeta(["good", "bad"], mode="accurate", backbone="lite1").write(tmp_path)
    assert ModelMeta.read(tmp_path).backbone == "lite1"
    data = json.loads((tmp_path / META_FILE).read_text(encoding="utf-8"))
    del data["backbone"]
    (tmp_path / META_FILE).write_text(json.dumps(data), encoding="utf-8")
    assert ModelMeta.read(tmp_path).backbone == "lite0"
