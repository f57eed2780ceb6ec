"""Models: the attention function, the encoder, embedding layers and inits, TF-IDF + LR, the MiniLM teacher."""
