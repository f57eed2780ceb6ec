"""`make bench`'s goals: targets of the project's briefs, computed from one run's rows and results/Shrink.json."""

from __future__ import annotations


def _goal(value: float | None, target: float, op: str) -> dict:
    ops = {">=": float.__ge__, "<=": float.__le__, ">": float.__gt__, "<": float.__lt__}
    met = None if value is None or value != value else ops[op](float(value), float(target))
    return {"value": value, "target": f"{op} {target}", "met": met}


def goals(rows: dict[str, dict], dask: dict | None = None) -> dict:
    """The brief's targets, computed from this run's rows, its Dask job and results/Shrink.json (students over seeds)."""
    tiny, tf = rows.get("baseattention_fp32", {}), rows.get("tfidf_lr", {})
    g: dict = {}
    for s in ("ghc_test", "synthetic"):
        v = tiny.get(f"{s}_batch256_per_s")
        g[f"tiny_{s}_ge_5000_per_s"] = _goal(v, 5000, ">=")
        ratio = v / tf[f"{s}_batch256_per_s"] if v and tf.get(f"{s}_batch256_per_s") else None
        g[f"tiny_{s}_ge_2x_tfidf"] = _goal(ratio, 2.0, ">=")
    if "baseattention_int8" in rows:
        loss = tiny["test_macro_roc_auc"] - rows["baseattention_int8"]["test_macro_roc_auc"]
        g["int8_auc_loss_le_0.005"] = _goal(loss, 0.005, "<=")
    students = {k: r for k, r in rows.items() if k.startswith("student_")}  # the saved ones: their checkpoints
    if students and "test_macro_roc_auc" in tf:
        margins = {k: r["test_macro_roc_auc"] - tf["test_macro_roc_auc"] for k, r in students.items()}
        worst = min(margins, key=lambda k: margins[k])
        g["saved_students_minus_tfidf_auc"] = {**_goal(margins[worst], 0.0, ">"), "worst": worst, "margins": margins}
    g.update(_seed_goals(tf.get("test_macro_roc_auc")))
    g.update(peer_goals(rows))
    g.update(serving_goals(rows, dask))
    return g


def peer_goals(rows: dict[str, dict]) -> dict:
    """Our ONNX fp32 model's comments/s over each installed peer's (src.apps.bench_peers), per input: >= 1 to claim
    we are faster than what users would pick instead."""
    from src.apps.bench_peers import PEERS

    ours, g = rows.get("baseattention_onnx_fp32", {}), {}
    for peer in (p for p in PEERS if p in rows):
        for s in ("ghc_test", "synthetic"):
            a, b = ours.get(f"{s}_batch256_per_s"), rows[peer].get(f"{s}_batch256_per_s")
            g[f"onnx_fp32_over_{peer}_{s}_per_s"] = _goal(a / b if a and b else None, 1.0, ">=")
    return g


def serving_goals(rows: dict[str, dict], dask: dict | None) -> dict:
    """ONNX Runtime vs torch eager on the 99K BPE model, the ONNX serving process's memory, and the Dask job."""
    torch_, fp32 = rows.get("baseattention_fp32", {}), rows.get("baseattention_onnx_fp32")
    g: dict = {}
    if fp32 is not None:
        speed = torch_.get("synthetic_batch256_per_s")
        g["onnx_ge_2x_torch_long"] = _goal(fp32["synthetic_batch256_per_s"] / speed if speed else None, 2.0, ">=")
        t_split, o_split = torch_.get("synthetic_split"), fp32.get("synthetic_split")
        if t_split and o_split:  # both backends share the tokenizer: how much of the gap is the model's
            g["onnx_ge_2x_torch_long"]["model_calls_only"] = t_split["model_s"] / o_split["model_s"]
            g["onnx_ge_2x_torch_long"]["onnx_tokenise_share"] = o_split["tokenise_share"]
        rss = {"torch_imported": fp32.get("torch_imported"), "rows": fp32.get("synthetic_n")}
        g["onnx_serving_rss_lt_300mb"] = {**_goal(fp32.get("synthetic_batch256_peak_rss_mb"), 300, "<"), **rss}
    if fp32 is not None and "baseattention_onnx_int8" in rows:
        change = abs(rows["baseattention_onnx_int8"]["test_macro_roc_auc"] - fp32["test_macro_roc_auc"])
        g["onnx_int8_auc_change_le_0.002"] = _goal(change, 0.002, "<=")
    if dask is not None:
        exact = dask["exact"] and dask["rows"] >= 10_000_000
        counts = {k: dask["summary"][k] for k in ("rows_in", "rows_out")}
        target = ">= 10,000,000 rows, rows_out == rows_in, output ids == input ids"
        extra = {**counts, "ids_equal": dask["ids_equal"], "exact": dask["exact"]}
        g["dask_10m_rows_exact"] = {"value": dask["rows"], "target": target, "met": bool(exact), **extra}
        g["dask_worker_rss_lt_1gib"] = _goal(dask["max_worker_peak_rss_mb"], 1024, "<")
    return g


def _seed_goals(tfidf_auc: float | None) -> dict:
    """Student goals from results/Shrink.json: best student per budget chosen on validation, test mean over seeds."""
    from src.common.results import read_results
    from src.studies.shrink_goals import chosen

    try:
        doc = read_results("Shrink")
    except FileNotFoundError:
        return {}
    g: dict = {}
    for budget, limit in (("50k", 50_000), ("200k", 200_000)):
        # "within 0.02 of its teacher" (200k): distilled students only
        name = chosen(doc["models"], limit, distilled_only=budget == "200k")
        if name is None:
            continue
        test = doc["models"][name]["seeds"]["test_macro_auc"]
        info = {"student": name, "test_mean": test["mean"], "test_std": test["std"], "n_seeds": len(test["values"])}
        if budget == "50k" and tfidf_auc is not None:
            g["best_50k_student_minus_tfidf_auc"] = {**_goal(test["mean"] - tfidf_auc, 0.0, ">"), **info}
        if budget == "200k":
            t = doc["models"][name]["teacher"]
            gap = doc["teacher_test_macro_auc"][t] - test["mean"]
            g["best_200k_student_gap_to_teacher"] = {**_goal(gap, 0.02, "<="), **info, "teacher": t}
    return g
