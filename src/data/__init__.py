"""Data: dataset specs and validated loaders, statistics, tokenizers (BPE, GloVe words) and word vectors."""
