"""toxic-small: small, fast multilabel toxic-comment classifiers, laid out as the pipeline.

data (specs, loaders, tokenizers, vectors) -> models (attention, encoder, embeddings, TF-IDF, teacher)
-> training (loop, losses, schedules, distillation, teacher fine-tuning) -> evaluation (metrics, plots,
compression, bench) -> serving (checkpoints, predict) and experiments (runs, tables, results, report, notebooks).
"""

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent  # the repository: data/, models/, results/, notebooks/
