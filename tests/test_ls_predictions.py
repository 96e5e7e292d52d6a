"""Tests of coding.ls_predictions: full predictions put in place of the ids a Label Studio 1.23 export lists."""

from __future__ import annotations

import copy
import datetime as dt
import json

import pytest

from qualquant.coding.errors import LabelStudioError
from qualquant.coding.labelstudio._export import parse_export
from qualquant.coding.labelstudio._predictions import (
    PREDICTION_FIELDS,
    merge_predictions,
    needs_predictions,
    prediction_dict,
)

TEXT = "Мы жили у друзей. Потом сняли квартиру 🏠 в Алматы."


def _result(start, end, label, rid):
    return {
        "id": rid,
        "from_name": "capital_type",
        "to_name": "text",
        "type": "labels",
        "value": {"start": start, "end": end, "text": TEXT[start:end], "labels": [label]},
    }


def _export():
    """Two tasks as Label Studio 1.23 exports them: predictions by id only."""
    return [
        {
            "id": 1,
            "data": {"text": TEXT},
            "annotations": [
                {
                    "id": 10,
                    "completed_by": 2,
                    "result": [_result(0, 17, "bonding", "h1")],
                    "was_cancelled": False,
                    "created_at": "2026-01-01T00:00:00Z",
                    "updated_at": "2026-01-01T00:00:00Z",
                }
            ],
            "drafts": [],
            "predictions": [7, 8],
        },
        {"id": 2, "data": {"text": TEXT}, "annotations": [], "drafts": [], "predictions": []},
    ]


def _fetched():
    return {
        1: [
            {
                "id": 7,
                "task": 1,
                "project": 3,
                "model_version": "m1",
                "score": 0.8,
                "result": [_result(18, 38, "bridging", "p7")],
                "created_at": "2026-01-02T00:00:00Z",
                "updated_at": "2026-01-02T00:00:00Z",
            },
            {
                "id": 8,
                "task": 1,
                "project": 3,
                "model_version": "m2",
                "score": 0.6,
                "result": [_result(0, 17, "bonding", "p8")],
                "created_at": "2026-01-02T00:00:00Z",
                "updated_at": "2026-01-02T00:00:00Z",
            },
            {
                "id": 9,
                "task": 1,
                "project": 3,
                "model_version": "m3",
                "score": 0.5,  # created after the export
                "result": [_result(0, 4, "bonding", "p9")],
                "created_at": "2026-01-03T00:00:00Z",
                "updated_at": "2026-01-03T00:00:00Z",
            },
        ]
    }


def test_ids_only_exports_lose_their_predictions_without_the_merge():
    result = parse_export(json.dumps(_export()).encode())
    assert (result.codings["source"] == "prediction").sum() == 0
    assert needs_predictions(_export())


def test_merge_puts_full_predictions_in_place_of_ids():
    export = _export()
    before = copy.deepcopy(export)
    merged, n = merge_predictions(export, _fetched(), project_id=3)
    assert export == before  # the input is not modified
    assert n == 2 and [p["id"] for p in merged[0]["predictions"]] == [7, 8]  # 9 was not in the export
    assert not needs_predictions(merged)
    result = parse_export(json.dumps(merged, ensure_ascii=False).encode("utf-8"))
    assert result.issues.empty, result.issues
    rows = result.codings.sort_values(["source", "coder"])
    got = list(zip(rows["source"], rows["coder"], rows["code"], rows["start"], rows["end"], rows["text"]))
    assert got == [
        ("human", "user_2", "bonding", 0, 17, TEXT[0:17]),
        ("prediction", "m1", "bridging", 18, 38, TEXT[18:38]),
        ("prediction", "m2", "bonding", 0, 17, TEXT[0:17]),
    ]


def test_full_predictions_are_kept_and_a_vanished_one_is_an_error():
    export = _export()
    export[0]["predictions"] = [_fetched()[1][0], 8]
    merged, n = merge_predictions(export, _fetched())
    assert n == 1 and merged[0]["predictions"][0] is export[0]["predictions"][0]
    with pytest.raises(
        LabelStudioError,
        match=r"Task 1 of project 3: the export lists prediction 8, but the "
        r"prediction API did not return it.*Pull again",
    ):
        merge_predictions(_export(), {1: _fetched()[1][:1]}, project_id=3)


def test_prediction_dict_keeps_stable_fields_only():
    class Pred:
        def model_dump(self, mode):
            return {
                "id": 1,
                "task": 2,
                "project": 3,
                "model_version": "m",
                "score": 0.5,
                "result": None,
                "created_at": "2026-01-01T00:00:00Z",
                "updated_at": "2026-01-01T00:00:00Z",
                "created_ago": "0 minutes",
                "mislabeling": 0.0,
            }

    out = prediction_dict(Pred())
    assert tuple(out) == PREDICTION_FIELDS and out["result"] == [] and "created_ago" not in out
    stamp = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    assert prediction_dict({"id": 1, "task": 2, "created_at": stamp})["created_at"] == stamp.isoformat()
    assert not needs_predictions({"not": "a list"}) and not needs_predictions([{"id": 1, "predictions": []}])
