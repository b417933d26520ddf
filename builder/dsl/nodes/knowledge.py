"""Knowledge retrieval: Weft's one set of settings against Dify's multiple-retrieval block.

Weft searches every chosen knowledge base (Dify's "multiple" retrieval); a hybrid weight is
Dify's weighted score (vector weight, keyword weight the rest). Weft's search mode has no
Dify field (Dify sets it per knowledge base) and travels in `data.weft`. A metadata filter is
Dify's manual filtering, whose conditions Weft always joins with AND.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from builder.dsl.nodes.base import (
    Data,
    NodeCtx,
    NodeMapping,
    as_dict,
    as_list,
    filled,
    number,
    register,
    selector,
    text,
    whole,
)

_OPS_TO_DIFY = {"is": "is", "is_not": "is not", "contains": "contains"}
_OPS_TO_DIFY |= {"not_contains": "not contains", "gt": ">", "gte": "≥", "lt": "<", "lte": "≤"}
_NUMBER_OPS = {"is": "=", "is_not": "≠"}  # Dify compares numbers with these
_OPS_FROM_DIFY = {dify: weft for weft, dify in _OPS_TO_DIFY.items()}
_OPS_FROM_DIFY |= {dify: weft for weft, dify in _NUMBER_OPS.items()}
_OPS_FROM_DIFY |= {"before": "lt", "after": "gt"}  # dates are ISO text, which orders as time


def _condition_to_dify(raw: Any) -> Data:
    cond = as_dict(raw)
    op, value = text(cond.get("op"), "is"), cond.get("value", "")
    numeric = isinstance(value, int | float) and not isinstance(value, bool)
    dify_op = _NUMBER_OPS.get(op) if numeric else None
    return {
        "name": text(cond.get("key")),
        "comparison_operator": dify_op or _OPS_TO_DIFY.get(op, op),
        "value": value,
    }


def _to_dify(config: Mapping[str, Any], ctx: NodeCtx) -> Data:
    c = filled("knowledge_retrieval", config)
    weight = number(c["weight"], None)
    retrieval: Data = {
        "top_k": c["top_k"],
        "score_threshold": c["score_threshold"],
        "reranking_enable": False,
        "reranking_mode": "reranking_model" if weight is None else "weighted_score",
    }
    if weight is not None:
        retrieval["weights"] = {
            "vector_setting": {
                "vector_weight": weight,
                "embedding_provider_name": "",
                "embedding_model_name": "",
            },
            "keyword_setting": {"keyword_weight": round(1 - weight, 6)},
        }
    conditions = [_condition_to_dify(cond) for cond in as_list(c["metadata_filter"])]
    data: Data = {
        "query_variable_selector": selector(c.get("query")),
        "dataset_ids": [text(d) for d in as_list(c.get("dataset_ids"))],
        "retrieval_mode": "multiple",
        "multiple_retrieval_config": retrieval,
        "metadata_filtering_mode": "manual" if conditions else "disabled",
    }
    if conditions:
        data["metadata_filtering_conditions"] = {
            "logical_operator": "and",
            "conditions": conditions,
        }
    return data


def _filter_from_dify(data: Mapping[str, Any], ctx: NodeCtx) -> list[Data]:
    mode = text(data.get("metadata_filtering_mode"), "disabled")
    if mode == "automatic":
        ctx.warn("Weft does not pick metadata filters with a model: its automatic filter is off")
    if mode != "manual":
        return []
    block = as_dict(data.get("metadata_filtering_conditions"))
    if block.get("logical_operator") == "or" and len(as_list(block.get("conditions"))) > 1:
        ctx.warn("its metadata conditions were joined with OR; Weft's all hold (AND)")
    found = []
    for raw in as_list(block.get("conditions")):
        cond = as_dict(raw)
        op = _OPS_FROM_DIFY.get(text(cond.get("comparison_operator")))
        value = cond.get("value")
        if op is None or not isinstance(value, str | int | float) or isinstance(value, bool):
            ctx.warn(
                f"its metadata condition on {text(cond.get('name'))!r}"
                f" ({text(cond.get('comparison_operator'))}) has no Weft form: it is left out"
            )
            continue
        found.append({"key": text(cond.get("name")), "op": op, "value": value})
    return found


def _from_dify(data: Mapping[str, Any], ctx: NodeCtx) -> Data:
    c = filled("knowledge_retrieval", {})
    retrieval = as_dict(data.get("multiple_retrieval_config"))
    if data.get("retrieval_mode") == "single":
        ctx.warn("Dify's single retrieval (a model picks one knowledge base) searches them all")
    weight = None
    if retrieval.get("reranking_mode") == "weighted_score":
        vector = as_dict(as_dict(retrieval.get("weights")).get("vector_setting"))
        weight = number(vector.get("vector_weight"), None)
    if retrieval.get("reranking_enable") and retrieval.get("reranking_mode") != "weighted_score":
        ctx.warn("Weft fuses its own scores: the rerank model is left out")
    threshold = number(retrieval.get("score_threshold"), None)
    if retrieval.get("score_threshold_enabled") is False:
        threshold = None
    return {
        **c,
        "query": selector(data.get("query_variable_selector")),
        "dataset_ids": [text(d) for d in as_list(data.get("dataset_ids"))],
        "weight": weight,
        "top_k": max(1, min(whole(retrieval.get("top_k"), c["top_k"]), 50)),
        "score_threshold": threshold,
        "metadata_filter": _filter_from_dify(data, ctx),
    }


register(
    NodeMapping(
        "knowledge_retrieval", "knowledge-retrieval", _to_dify, _from_dify, weft_only=("mode",)
    )
)
