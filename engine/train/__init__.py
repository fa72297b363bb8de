"""The training process: what ``accelerate launch ... -m engine.train RUN_DIR`` runs.

``python -m engine.train RUN_DIR`` reads ``RUN_DIR/preset.yaml``, trains, and reports through the run folder
(:mod:`engine.runs.folder`): events in ``events.jsonl``, status in ``state.json``. ``RUN_DIR/stop`` or SIGTERM
stops it gracefully (checkpoint, then a "stopped" event, exit 0). Exit 1 after an "error" event.

Modules: ``run`` (orchestration), ``hardware`` (precision), ``model`` (tokenizer, model, quantization, LoRA),
``args`` (Config → SFTConfig), ``trainer`` (SFTTrainer + token count), ``callbacks`` (events, stop, speed),
``tracking`` (W&B / Hub env), ``failures``
(exceptions → messages), ``merge`` (adapter → full weights). This package is imported only by the training
process and ``tunedeck merge``: it may import torch, but only inside functions here in ``__init__``.
"""
