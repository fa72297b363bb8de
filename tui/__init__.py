"""tunedeck's terminal app (Textual). Never imports torch, transformers, trl, peft or datasets."""
