"""Augmentation: the suite's training part as labelled rows (never a held-out case), and misspelled copies."""

from __future__ import annotations

import numpy as np
import pytest

from src.data.groups import SPLIT_GROUPS
from src.evaluation.suite import build_suite, training_sentences
from src.studies.mitigation import augmented
from src.studies.runs import Encoded
from src.training.augment import balance_rows, char_noise, suite_rows


def test_suite_rows_label_the_training_part_only() -> None:
    suite = build_suite(0)
    part = training_sentences(suite)
    texts, y = suite_rows(part, ["hd", "cv", "vo"], "ghc")
    assert len(texts) == len(part) == y.shape[0] and y.shape[1] == 3
    func = part["functionality"].to_numpy()
    assert (y[func == "threat"] == [1, 1, 0]).all() and (y[func == "identity_positive"] == 0).all()
    assert (y[func == "profanity_non_hateful"] == [0, 0, 1]).all() and (y[func == "explicit_derogation", 0] == 1).all()
    variants = part["variant_of"] != ""
    assert variants.any() and (y[variants.to_numpy(), 0] == 1).all()  # misspelled hate is still hate
    assert not any(g.lower() in t.lower() for t in texts for g in SPLIT_GROUPS["heldout"])
    with pytest.raises(ValueError, match="training part only"):
        suite_rows(suite, ["hd", "cv", "vo"], "ghc")
    btexts, by = balance_rows(part, ["hd", "cv", "vo"], "ghc")
    benign = part[part["hate_target"] == 0]
    assert btexts == list(benign["text"]) and 0 < len(btexts) < len(texts) and (by[:, :2] == 0).all()
    assert set(benign["functionality"]) >= {"identity_neutral", "identity_positive", "counter_speech", "negated_hate"}
    labels = ["toxic", "severe_toxic", "obscene", "threat", "insult", "identity_hate"]
    _, yj = suite_rows(part, labels, "jigsaw")
    assert (yj[func == "abuse_at_individuals"] == [1, 0, 0, 0, 1, 0]).all()


def test_char_noise_misspells_some_long_words_only() -> None:
    texts = ["these people are wonderful neighbours and good friends"] * 50
    noisy = char_noise(texts, 0.5, seed=0)
    assert noisy == char_noise(texts, 0.5, seed=0) and noisy != texts
    for a, b in zip(texts, noisy, strict=True):
        wa, wb = a.split(" "), b.split(" ")
        assert len(wa) == len(wb) and all(x == y for x, y in zip(wa, wb, strict=True) if len(x) < 4)
        assert all(abs(len(x) - len(y)) <= 1 for x, y in zip(wa, wb, strict=True))
    assert char_noise(texts, 0.0) == texts


class _Tok:
    def encode(self, texts):
        return [[len(t) % 7 + 1] for t in texts]


def test_augmented_extends_train_only() -> None:
    y = np.eye(3, dtype=np.float32)
    data = Encoded(_Tok(), [[1], [2], [3]], [[4]], [[5]], y, y[:1], y[:1])
    rows = {"suite": (["a b", "c d e"], np.ones((2, 3), dtype=np.float32)), "balance": (["abc"], np.zeros((1, 3)))}
    both = augmented(data, "suite+noise", ["x", "yy", "zzz"], rows, repeat=2, rate=0.5)
    assert len(both.train) == 3 + 2 * 2 + 3 and both.y_train.shape == (10, 3) and both.val is data.val
    assert both.train[3:7] == [[4], [6], [4], [6]] and (both.y_train[3:7] == 1).all()  # suite rows, twice, in order
    bal = augmented(data, "balance", [], rows, 3, 0.5)
    assert bal.train == [[1], [2], [3], [4], [4], [4]] and (bal.y_train[3:] == 0).all()
    assert augmented(data, "plain", ["x", "yy", "zzz"], rows, 2, 0.5).train == data.train
    with pytest.raises(ValueError, match="unknown augmentation"):
        augmented(data, "mixup", [], rows, 1, 0.1)
    with pytest.raises(ValueError, match="bpedrop needs a BPE tokenizer"):
        augmented(data, "bpedrop", ["x", "yy", "zzz"], rows, 1, 0.1)


def test_augmented_bpedrop_adds_a_finer_copy_with_the_same_labels() -> None:
    from src.data.tokenizers import BPETokenizer

    texts = ["the weather is nice today", "we walk in the park with friends", "nice weather in the park"] * 20
    tok = BPETokenizer.train(texts, vocab_size=60, max_len=32)
    y = np.eye(3, dtype=np.float32)[np.arange(len(texts)) % 3]
    data = Encoded(tok, tok.encode(texts), [[4]], [[5]], y, y[:1], y[:1])
    out = augmented(data, "bpedrop", texts, {}, 1, 0.1, dropout=0.5)
    n = len(texts)
    assert out.train[:n] == data.train and (out.y_train[n:] == y).all() and len(out.train) == 2 * n
    assert sum(map(len, out.train[n:])) > sum(map(len, data.train))


def test_glove_recipe_rebuilds_the_saved_vocabulary_and_labels_added_rows(toxic_env, tmp_path) -> None:
    """BestResult's recipe: same vocabulary as the checkpoint (else a clear error); teacher rows, then labels."""
    from dataclasses import asdict

    from src.data.datasets import load_splits
    from src.data.glove import WordTokenizer
    from src.models.encoder import Encoder, ModelConfig
    from src.models.glove_embedding import GloveEmbedding
    from src.serving import checkpoint
    from src.studies.bestresult import write_synthetic_glove
    from src.studies.mitigation import glove_recipe
    from src.studies.teacher_oof import cache_name
    from src.training.loop import TrainConfig
    from tests.fixtures import write_ghc, write_teacher_oof_cache

    write_ghc(toxic_env["data"])
    splits, labels = load_splits("ghc", seed=0), ["hd", "cv", "vo"]
    texts = list(splits.train["text"])
    vectors = write_synthetic_glove(texts, tmp_path / "glove.txt")
    tok = WordTokenizer.build(texts, vectors, oov_rows=20, max_len=32)
    emb = GloveEmbedding(tok.vectors, "frozen+oov", trainable_ids=tok.trainable_ids)
    cfg = ModelConfig(vocab_size=tok.vocab_size, n_labels=3, d_model=8, n_heads=2, d_ff=16, max_len=32, emb_dim=50)
    path = toxic_env["models"] / "bestresult_ghc.pt"
    write_teacher_oof_cache(toxic_env["models"], "ghc")
    meta = {"distill_alpha": 0.5, "teacher": cache_name("ghc")}
    checkpoint.save(path, Encoder(cfg, embedding=emb), tok, labels, dict.fromkeys(labels, 0.5), **meta)
    results = {"best_mode": "frozen+oov", "models": {"glove_frozen+oov": {"config": {"train": asdict(TrainConfig())}}}}

    rec, note = glove_recipe(path, splits, results, None, glove_source=vectors)
    assert "matches" in note and rec.data.tokenizer.words == tok.words
    extra = np.eye(3, dtype=np.float32)[[0, 2]]
    grown = Encoded(
        rec.data.tokenizer,
        rec.data.train + [[2], [3]],
        rec.data.val,
        rec.data.test,
        np.vstack([rec.data.y_train, extra]),
        rec.data.y_val,
        None,
    )
    job = rec.job(grown, 1, "x")
    assert job.alpha == 0.5 and job.tcfg.seed == 1 and job.teacher is not None
    assert job.teacher.shape == (len(grown.train), 3)
    np.testing.assert_array_equal(job.teacher[-2:], extra)  # rows the teacher never scored: their labels
    assert not np.array_equal(job.teacher[:-2], rec.data.y_train)  # the others: the teacher's soft labels
    with pytest.raises(ValueError, match="vocabulary"):
        glove_recipe(path, splits, results, None, glove_source=write_synthetic_glove(texts[:50], tmp_path / "o.txt"))


def _study_result(**values) -> dict:
    seeds = list(range(len(next(iter(values.values())))))
    return {k: {"seeds": seeds, "values": v} for k, v in values.items()}


def test_seed_ranking_picks_lowest_training_rate_within_the_validation_margin() -> None:
    from src.report.side_tables import _seeds
    from src.studies.mitigation import seed_ranking

    res = _study_result(
        train_part_identity_fpr=[0.5, 0.1, 0.3, 0.4],
        identity_fpr=[0.45, 0.05, 0.2, 0.3],
        accuracy=[0.5, 0.4, 0.45, 0.5],
        test_macro_auc=[0.86, 0.84, 0.86, 0.85],
        val_macro_auc=[0.880, 0.870, 0.878, 0.879],  # seed 1 has the lowest rate but is 0.010 below the best
    )
    out = seed_ranking(res, val_slack=0.005)
    assert out["pick"] == 2 and out["spearman"] == pytest.approx(1.0) and out["identity_fpr"][2] == 0.2
    assert seed_ranking(res, val_slack=0.02)["pick"] == 1
    two = {k: {"seeds": [0, 1], "values": v["values"][:2]} for k, v in res.items()}
    assert seed_ranking(two)["spearman"] is None  # no rank correlation from two points
    table = _seeds(out)
    assert "picks seed 2" in table and "Spearman rank correlation of the two identity rates 1.00" in table
    assert table.count("\n| ") == 5  # header + 4 seeds


def test_pick_seed_rule_on_unsorted_seeds_and_ties() -> None:
    from src.studies.bestresult import pick_seed

    val = {7: 0.880, 3: 0.8755, 5: 0.870}  # seed 5 is 0.010 below the best: never eligible at slack 0.005
    fpr = {7: 0.4, 3: 0.2, 5: 0.0}
    assert pick_seed(val, fpr) == 3
    assert pick_seed(val, fpr, slack=0.0) == 7 and pick_seed(val, fpr, slack=0.02) == 5
    assert pick_seed({4: 0.88, 2: 0.88}, {4: 0.3, 2: 0.3}) == 2  # a tie goes to the smaller seed


def test_swap_rows_counterfactual_copies_of_training_groups_only() -> None:
    from src.training.augment import swap_rows

    train, held = SPLIT_GROUPS["train"], SPLIT_GROUPS["heldout"]
    texts = [f"I met some {train[0]} and a friend", "nothing here", f"{held[0]} only", f"{train[1]} and {train[2]}"]
    y = np.array([[1, 0, 0], [0, 1, 0], [0, 0, 1], [1, 1, 0]], dtype=np.float32)
    out, ys = swap_rows(texts, y, per_post=None)
    n = len(train) - 1
    assert len(out) == 2 * n and ys.shape == (2 * n, 3)  # held-out groups are never matched nor produced
    assert (ys[:n] == y[0]).all() and (ys[n:] == y[3]).all()
    assert out[0] == f"I met some {train[1].lower()} and a friend"
    assert not any(h.lower() in t.lower() for t in out for h in held)
    assert all(train[2].lower() in t.lower() for t in out[n:])  # only the first group named is swapped
    one, ys1 = swap_rows(texts, y, seed=3)  # default: one counterfactual per post, its group drawn (seeded)
    assert len(one) == 2 and (ys1 == y[[0, 3]]).all() and one == swap_rows(texts, y, seed=3)[0]
    assert one[0] in out[:n] and one[1] in out[n:]
    singular, _ = swap_rows(["a Muslim neighbour"], np.zeros((1, 3)), ["Muslims", "gay people"])
    assert singular == ["a gay person neighbour"]  # the same number as the original
    assert swap_rows([], np.zeros((0, 3)))[1].shape == (0, 3)


def test_augmented_rows_entry_with_its_own_repeat() -> None:
    y = np.eye(3, dtype=np.float32)
    data = Encoded(_Tok(), [[1], [2], [3]], [[4]], [[5]], y, y[:1], y[:1])
    rows = {"suite": (["a b"], np.ones((1, 3))), "swap": (["abc", "abcd"], np.zeros((2, 3)), 1)}
    out = augmented(data, "suite+swap", [], rows, repeat=3, rate=0.1)
    assert len(out.train) == 3 + 3 + 2 and (out.y_train[-2:] == 0).all()


def test_mitigation_cells_show_a_dash_for_undefined_or_missing_metrics() -> None:
    from src.report.side_tables import _mean_std

    assert _mean_std({"mean": 0.5, "std": 0.125}) == "0.5000 ± 0.1250"
    assert _mean_std(None) is None and _mean_std({"mean": None, "std": None}) is None  # NaN is stored as null
