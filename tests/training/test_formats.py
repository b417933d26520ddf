"""alpaca / sharegpt (and preference) rows → chat examples; dataset_info.json; row validation."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.training.conftest import write_rows
from training.config import Columns, DatasetRef, Tags
from training.errors import DatasetError, EmptyDatasetError
from training.formats import convert_rows, load_dataset, load_datasets, read_dataset_info, read_rows


def ref(path: str | Path = "mem.json", **kwargs: Any) -> DatasetRef:
    """A dataset reference with defaults."""
    return DatasetRef(path=Path(path), **kwargs)


def test_alpaca_row_joins_instruction_and_input_after_history() -> None:
    rows = [
        {
            "instruction": "Translate",
            "input": "bonjour",
            "output": "hello",
            "system": "Be brief.",
            "history": [["hi", "hey"]],
        }
    ]
    (example,) = convert_rows(rows, ref())
    assert example == {
        "messages": [
            {"role": "user", "content": "hi"},
            {"role": "assistant", "content": "hey"},
            {"role": "user", "content": "Translate\nbonjour"},
            {"role": "assistant", "content": "hello"},
        ],
        "system": "Be brief.",
    }


def test_alpaca_preference_row_has_chosen_and_rejected() -> None:
    rows = [{"instruction": "2+2?", "input": "", "chosen": "4", "rejected": "5"}]
    (example,) = convert_rows(rows, ref())  # ranking detected from the columns
    assert example == {
        "messages": [{"role": "user", "content": "2+2?"}],
        "chosen": "4",
        "rejected": "5",
    }


def test_sharegpt_row_with_tool_call_observation_and_system() -> None:
    rows = [
        {
            "conversations": [
                {"from": "system", "value": "You can call tools."},
                {"from": "human", "value": "Weather in Paris?"},
                {"from": "function_call", "value": '{"name": "weather", "arguments": {}}'},
                {"from": "observation", "value": "sunny"},
                {"from": "gpt", "value": "It is sunny."},
            ],
            "tools": [{"name": "weather"}],
        }
    ]
    (example,) = convert_rows(rows, ref(format="sharegpt"))
    assert [m["role"] for m in example["messages"]] == ["user", "assistant", "tool", "assistant"]
    assert example["system"] == "You can call tools."
    assert json.loads(example["tools"]) == [{"name": "weather"}]


def test_sharegpt_preference_row() -> None:
    rows = [
        {
            "conversations": [{"from": "human", "value": "Say hi"}],
            "chosen": {"from": "gpt", "value": "Hi!"},
            "rejected": {"from": "gpt", "value": "No."},
        }
    ]
    (example,) = convert_rows(rows, ref())
    assert example == {
        "messages": [{"role": "user", "content": "Say hi"}],
        "chosen": "Hi!",
        "rejected": "No.",
    }


def test_openai_layout_is_detected_as_sharegpt() -> None:
    rows = [
        {
            "messages": [
                {"role": "system", "content": "S"},
                {"role": "user", "content": "Q"},
                {"role": "assistant", "content": "A"},
            ]
        }
    ]
    (example,) = convert_rows(rows, ref())
    assert example == {
        "messages": [{"role": "user", "content": "Q"}, {"role": "assistant", "content": "A"}],
        "system": "S",
    }


def test_custom_columns_and_tags() -> None:
    rows = [{"chat": [{"who": "me", "text": "Q"}, {"who": "bot", "text": "A"}]}]
    tags = Tags(role_tag="who", content_tag="text", user_tag="me", assistant_tag="bot")
    (example,) = convert_rows(
        rows, ref(format="sharegpt", columns=Columns(messages="chat"), tags=tags)
    )
    assert example["messages"][1] == {"role": "assistant", "content": "A"}


def test_validation_reports_row_and_field_and_converts_nothing() -> None:
    rows: list[dict[str, Any]] = [
        {"instruction": "ok", "output": "fine"},
        {"instruction": "", "input": "", "output": "x"},
        {"instruction": "q"},
        {"instruction": "q", "output": 3},
        {"instruction": "q", "output": "a", "history": [["only one"]]},
    ]
    with pytest.raises(DatasetError) as info:
        convert_rows(rows, ref(format="alpaca"))
    err = info.value
    assert err.code == "bad_dataset"
    assert [(p.row, p.field) for p in err.problems] == [
        (1, "instruction"),
        (2, "output"),
        (3, "output"),
        (4, "history[0]"),
    ]
    assert "row 1" in str(err)
    assert "and 3 more" in str(err)


def test_validation_caps_problems_but_counts_all() -> None:
    rows = [{"instruction": "q"} for _ in range(50)]
    with pytest.raises(DatasetError) as info:
        convert_rows(rows, ref(format="alpaca"))
    assert len(info.value.problems) == 20
    assert info.value.total == 50


@pytest.mark.parametrize(
    ("conversation", "field"),
    [
        ([{"from": "gpt", "value": "A"}, {"from": "human", "value": "Q"}], "conversations[0].from"),
        ([{"from": "human", "value": "Q"}], "conversations"),
        ([{"from": "human", "value": "Q"}, {"from": "gpt"}], "conversations[1].value"),
        (
            [{"from": "human", "value": "Q"}, {"from": "robot", "value": "A"}],
            "conversations[1].from",
        ),
        ("not a list", "conversations"),
    ],
)
def test_sharegpt_bad_conversation_names_the_message(conversation: Any, field: str) -> None:
    with pytest.raises(DatasetError) as info:
        convert_rows([{"conversations": conversation}], ref(format="sharegpt"))
    assert info.value.problems[0] == (0, field, info.value.problems[0].message)


def test_preference_row_missing_rejected() -> None:
    rows = [{"instruction": "q", "chosen": "a"}]
    with pytest.raises(DatasetError) as info:
        convert_rows(rows, ref(ranking=True))
    assert info.value.problems[0][:2] == (0, "rejected")


def test_read_rows_json_and_jsonl(tmp_path: Path) -> None:
    rows = [{"instruction": "q", "output": "a"}, {"instruction": "q2", "output": "b"}]
    as_json = write_rows(tmp_path / "a.json", rows)
    as_jsonl = write_rows(tmp_path / "a.jsonl", rows, jsonl=True)
    assert read_rows(as_json) == read_rows(as_jsonl) == rows
    assert len(load_datasets([ref(as_json), ref(as_jsonl)], max_samples=1)) == 2


def test_read_rows_reports_bad_jsonl_line_and_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text('{"instruction": "q", "output": "a"}\n\n{oops\n[1]\n')
    with pytest.raises(DatasetError) as info:
        read_rows(path)
    assert info.value.problems[0].row == 1
    assert "line 3" in info.value.problems[0].message
    with pytest.raises(DatasetError) as missing:
        read_rows(tmp_path / "nope.json")
    assert missing.value.problems[0] == (None, "path", "file not found")


def test_non_object_rows_and_empty_file(tmp_path: Path) -> None:
    with pytest.raises(DatasetError) as info:
        read_rows(write_rows(tmp_path / "a.json", [{"a": 1}, 5]))  # type: ignore[list-item]  # a bad row on purpose
    assert info.value.problems[0][:2] == (1, "row")
    with pytest.raises(EmptyDatasetError):
        load_dataset(ref(write_rows(tmp_path / "e.json", [])))


def test_read_dataset_info_maps_columns_tags_and_ranking(tmp_path: Path) -> None:
    write_rows(tmp_path / "pairs.json", [{"q": "2+2?", "good": "4", "bad": "5"}])
    info = {
        "pairs": {
            "file_name": "pairs.json",
            "ranking": True,
            "columns": {"prompt": "q", "chosen": "good", "rejected": "bad"},
        },
        "chat": {
            "file_name": "chat.json",
            "formatting": "sharegpt",
            "columns": {"messages": "messages"},
            "tags": {"role_tag": "role", "content_tag": "content", "user_tag": "user"},
        },
        "hub_only": {"hf_hub_url": "someone/data"},
    }
    (tmp_path / "dataset_info.json").write_text(json.dumps(info))
    refs = read_dataset_info(tmp_path / "dataset_info.json")
    assert set(refs) == {"pairs", "chat"}
    assert refs["pairs"].path == tmp_path / "pairs.json"
    assert refs["pairs"].columns.system is None  # not named in the entry: not read
    assert refs["chat"].tags is not None
    assert refs["chat"].tags.role_tag == "role"
    assert load_dataset(refs["pairs"]) == [
        {"messages": [{"role": "user", "content": "2+2?"}], "chosen": "4", "rejected": "5"}
    ]


def test_read_dataset_info_rejects_media_columns(tmp_path: Path) -> None:
    info = {"mm": {"file_name": "x.json", "columns": {"images": "images"}}}
    (tmp_path / "dataset_info.json").write_text(json.dumps(info))
    with pytest.raises(DatasetError) as err:
        read_dataset_info(tmp_path / "dataset_info.json")
    assert err.value.problems[0].field == "mm.columns.images"


@pytest.mark.parametrize(
    ("entry", "field", "message"),
    [
        ({"columns": {"prompt": 3}}, "mm.columns.prompt", "must be text"),
        (
            {"columns": {"instructions": "q"}},
            "mm.columns.instructions",
            "is not a key LLaMA-Factory reads here; remove it",
        ),
        ({"formatting": "sharegpt", "tags": {"role_tag": 1}}, "mm.tags.role_tag", "must be text"),
    ],
)
def test_read_dataset_info_says_a_bad_column_in_words(
    tmp_path: Path, entry: dict[str, Any], field: str, message: str
) -> None:
    # it said pydantic's first line, "1 validation error for Columns", on `columns`
    info = {"mm": {"file_name": "x.json", **entry}}
    (tmp_path / "dataset_info.json").write_text(json.dumps(info))
    with pytest.raises(DatasetError) as err:
        read_dataset_info(tmp_path / "dataset_info.json")
    assert err.value.problems[0][1:] == (field, message)


@pytest.mark.parametrize(
    ("content", "field"),
    [
        (b'{"a": {"file_name": "caf\xe9.json"}}', "encoding"),  # latin-1
        (b'{"a": {"file_name": "x.json", "columns": ["prompt"]}}', "a.columns"),
        (b'{"a": {"file_name": "x.json", "tags": "human"}}', "a.tags"),
        (b"[" * 100_000, "json"),
    ],
)
def test_read_dataset_info_refuses_bad_files_with_a_dataset_error(
    tmp_path: Path, content: bytes, field: str
) -> None:
    (tmp_path / "dataset_info.json").write_bytes(content)
    with pytest.raises(DatasetError) as caught:
        read_dataset_info(tmp_path / "dataset_info.json")
    assert caught.value.problems[0].field == field
    assert str(tmp_path) not in caught.value.problems[0].message


def test_read_rows_reads_a_bom_and_names_only_the_file_when_not_utf8(tmp_path: Path) -> None:
    rows = [{"instruction": "Hi", "output": "Hello"}]
    bom = tmp_path / "bom.json"
    bom.write_bytes(b"\xef\xbb\xbf" + json.dumps(rows).encode())
    assert read_rows(bom) == rows
    wide = tmp_path / "wide.json"
    wide.write_bytes(json.dumps(rows).encode("utf-16"))
    with pytest.raises(DatasetError) as caught:
        read_rows(wide)
    assert caught.value.problems[0].field == "encoding"
    assert caught.value.problems[0].message.startswith("wide.json is not UTF-8 text")
