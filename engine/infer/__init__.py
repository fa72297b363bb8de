"""Making a trained model answer: chat, compare, ``generate`` and the samples written during training.

One rule runs through it: a prompt is rendered by the chat template the run trained with, read from the tokenizer
files saved beside the weights (see ``fidelity``), and generation stops at that template's end-of-turn tokens (the
saved generation_config.json). Modules: ``fidelity`` (what training saves), ``source`` (which folder a RUN,
CHECKPOINT or MODEL argument means), ``load`` (tokenizer + model, adapter switchable), ``settings`` (the
inference_* knobs as generate() arguments), ``prompts`` (prompt files and conversations), ``answer`` (streamed and
batched generation), ``server`` (the JSON-lines model process the TUI talks to).
"""
