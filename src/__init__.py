"""toxic-small: small, fast multilabel toxic-comment classifiers, laid out as the pipeline.

Libraries by pipeline stage, each importing only the stages before it (`STAGES`, checked by `make lint`):
common (paths, results files, seeding, batching) -> data (specs, loaders, tokenizers, vectors, group lexicon)
-> models (attention, encoder, embeddings, TF-IDF, teacher, compression transforms) -> training (loop, losses,
schedules, distillation, teacher fine-tuning) -> evaluation (metrics, records, curves, plots, suite, compression
measurements) -> serving (checkpoints, ONNX bundles, predict, batch scoring). Above them: studies (the code of
each notebook, named after it), report (REPORT.md, its tables and figures) and apps (entry points: `make`
targets, benchmarks, CLIs).
"""

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent  # the repository: data/, models/, results/, notebooks/
# The layers of `src`, lowest first: a module may import its own layer and the ones before it, never a later one.
STAGES = ("common", "data", "models", "training", "evaluation", "serving", "studies", "report", "apps")
