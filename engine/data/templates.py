"""Named chat templates (Jinja strings) and choosing the one a dataset uses.

The names follow Axolotl's. chatml, llama3, mistral, gemma, phi3 and qwen are tunedeck's compact versions of the
model family's template: role headers, content, end-of-turn token. Every other text template Axolotl names
(qwen_25, qwen3, qwen3_5, gemma3, llama4, falcon_h1, phi_3, deepseek_v3, mistral_v7_tekken, ...) is Axolotl's own
file, copied byte for byte into ``chat_templates/`` (its SOURCES.md says from where), so a config renders as it
does there. Axolotl's templates for vision-language models (llava, pixtral, qwen2_vl, llama3_2_vision) render
image parts as the model's placeholder token; they need a vision run (processor_type: engine.data.vision).
SiloGen finetuning's templates keep its names (mistral-with-system, poro, simplified-llama31) and bring the
special tokens SiloGen adds with them.
``tokenizer_default`` means the tokenizer's own template (``tokenizer_default_fallback_NAME``: that, or NAME when
the tokenizer has none, as in Axolotl); ``jinja`` means the preset's own template from ``chat_template_jinja``
(text, or the path of a file, read from the working directory as Axolotl does); any other string containing Jinja
tags is used as a template as is (the registry's rules refuse that spelling, which Axolotl does not accept).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from .errors import DataError

_CHATML_TURNS = (
    "{% for message in messages %}"
    "{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}"
)

TEMPLATES: dict[str, str] = {
    "chatml": _CHATML_TURNS,
    "qwen": (
        "{% if messages[0]['role'] != 'system' %}"
        "{{ '<|im_start|>system\\nYou are a helpful assistant.<|im_end|>\\n' }}{% endif %}" + _CHATML_TURNS
    ),
    "llama3": (
        "{{ bos_token }}{% for message in messages %}"
        "{{ '<|start_header_id|>' + message['role'] + '<|end_header_id|>\\n\\n' + message['content'] | trim"
        " + '<|eot_id|>' }}{% endfor %}"
        "{% if add_generation_prompt %}{{ '<|start_header_id|>assistant<|end_header_id|>\\n\\n' }}{% endif %}"
    ),
    "mistral": (
        "{{ bos_token }}{% for message in messages %}"
        "{% if message['role'] == 'system' %}{{ message['content'] + '\\n\\n' }}"
        "{% elif message['role'] == 'user' %}{{ '[INST] ' + message['content'] + ' [/INST]' }}"
        "{% elif message['role'] == 'assistant' %}{{ message['content'] + eos_token }}"
        "{% else %}{{ raise_exception('mistral template: only system, user and assistant roles') }}"
        "{% endif %}{% endfor %}"
    ),
    "gemma": (
        "{{ bos_token }}{% for message in messages %}"
        "{% set role = 'model' if message['role'] == 'assistant' else message['role'] %}"
        "{{ '<start_of_turn>' + role + '\\n' + message['content'] | trim + '<end_of_turn>\\n' }}"
        "{% endfor %}{% if add_generation_prompt %}{{ '<start_of_turn>model\\n' }}{% endif %}"
    ),
    "phi3": (
        "{% for message in messages %}"
        "{{ '<|' + message['role'] + '|>\\n' + message['content'] + '<|end|>\\n' }}"
        "{% endfor %}{% if add_generation_prompt %}{{ '<|assistant|>\\n' }}{% else %}{{ eos_token }}{% endif %}"
    ),
}


# SiloGen finetuning's templates (src/finetuning/data/chat_templates.py), under its names, rendering the same text.
SILOGEN_TEMPLATES: dict[str, str] = {
    # Llama-2-style system block as its own segment, [INST] user turns, answers closed by EOS and a space.
    "mistral-with-system": (
        "{% for message in messages %}"
        "{% if message['role'] == 'user' %}{{ '[INST] ' + message['content'] + ' [/INST]' }}"
        "{% elif message['role'] == 'system' %}{{ '<<SYS>>\\n' + message['content'] + '\\n<</SYS>>\\n' }}"
        "{% elif message['role'] == 'assistant' %}{{ message['content'] + eos_token + ' ' }}"
        "{% endif %}{% endfor %}"
    ),
    # Poro's early tags: a role tag and a newline before each message, EOS after each.
    "poro": (
        "{% for message in messages %}"
        "{% if message['role'] == 'user' %}{{ '<|user|>\\n' + message['content'] + eos_token }}"
        "{% elif message['role'] == 'system' %}{{ '<|system|>\\n' + message['content'] + eos_token }}"
        "{% elif message['role'] == 'assistant' %}{{ '<|assistant|>\\n' + message['content'] + eos_token }}"
        "{% endif %}"
        "{% if loop.last and add_generation_prompt %}{{ '<|assistant|>\\n' }}{% endif %}"
        "{% endfor %}"
    ),
    # Llama 3.1's headers without its date and tool preamble.
    "simplified-llama31": (
        "{{- bos_token }}{%- for message in messages %}"
        "{{- '<|start_header_id|>' + message['role'] + '<|end_header_id|>\\n\\n' + message['content'] | trim"
        " + '<|eot_id|>' }}{%- endfor %}"
        "{%- if add_generation_prompt %}{{- '<|start_header_id|>assistant<|end_header_id|>\\n\\n' }}{%- endif %}"
    ),
}
TEMPLATES.update(SILOGEN_TEMPLATES)

# Axolotl's templates (src/axolotl/utils/chat_templates/templates/NAME.jinja) for the names tunedeck had none of.
AXOLOTL_TEMPLATES: dict[str, str] = {
    path.stem: path.read_text(encoding="utf-8")
    for path in sorted(Path(__file__).with_name("chat_templates").glob("*.jinja"))
}
TEMPLATES.update(AXOLOTL_TEMPLATES)

# Axolotl's templates for vision-language models: their messages carry images, so they need processor_type.
VISION_TEMPLATES: dict[str, str] = {"llava": "LLaVA", "pixtral": "Pixtral", "qwen2_vl": "Qwen2-VL",
                                    "llama3_2_vision": "Llama 3.2 Vision"}
FALLBACK_PREFIX = "tokenizer_default_fallback_"

# Markers a template's own tool adds to the tokenizer as special tokens when the template is chosen (SiloGen adds
# them to the vocabulary, so each is one token the model learns; poro's <|system|> is not among them).
TEMPLATE_SPECIAL_TOKENS: dict[str, tuple[str, ...]] = {
    "poro": ("<|user|>", "<|assistant|>"),
    "simplified-llama31": ("<|start_header_id|>", "<|end_header_id|>", "<|eot_id|>"),
}


def template_special_tokens(cfg: Any) -> list[str]:
    """The special tokens the chat templates a preset names (top level, then each dataset) bring with them."""
    names = [cfg.chat_template, *(ds.chat_template for ds in cfg.datasets)]
    return list(dict.fromkeys(t for name in names for t in TEMPLATE_SPECIAL_TOKENS.get(name or "", ())))


def is_jinja(value: str) -> bool:
    return "{{" in value or "{%" in value


def dataset_template(ds: Any, cfg: Any, tokenizer: Any, index: int = 0) -> str:
    """The template a chat dataset renders with, picked as Axolotl does: the entry's own chat_template (or
    chat_template_jinja, which implies jinja) when it sets one, else the top level's."""
    if ds.chat_template or ds.chat_template_jinja:
        return resolve_template(ds.chat_template, tokenizer, key=f"datasets.{index}.chat_template",
                                jinja=ds.chat_template_jinja)
    return resolve_template(cfg.chat_template, tokenizer, jinja=cfg.chat_template_jinja)


def is_template_file(jinja: str | None) -> bool:
    """chat_template_jinja naming a template file (read from the working directory, as Axolotl reads it), not
    holding the template itself."""
    return jinja is not None and jinja != "" and not is_jinja(jinja) and os.path.isfile(jinja)


def name_problem(name: str) -> str | None:
    """Why the chat_template value ``name`` names no template tunedeck can render; None when it does (a name,
    tokenizer_default, tokenizer_default_fallback_NAME, jinja, or Jinja text)."""
    named = name.removeprefix(FALLBACK_PREFIX)
    if name in ("jinja", "tokenizer_default") or named in TEMPLATES or is_jinja(name):
        return None
    fallback = " after tokenizer_default_fallback_" if name != named else ""
    return (f"unknown chat template '{named}'{fallback}. Use tokenizer_default (the tokenizer's own), jinja (your "
            f"template in chat_template_jinja) or one of: {', '.join(sorted(TEMPLATES))}.")


def _jinja_source(jinja: str | None, key: str) -> str:
    if not jinja:
        raise DataError("chat_template is jinja but chat_template_jinja is empty: write your template there.",
                        key=key.replace("chat_template", "chat_template_jinja"))
    if is_template_file(jinja):
        with open(jinja, encoding="utf-8") as f:
            return f.read()
    return jinja


def resolve_template(value: str | None, tokenizer: Any, *, key: str = "chat_template", jinja: str | None = None) -> str:
    """The Jinja text for a template setting: a name, 'tokenizer_default'/None (the tokenizer's own), 'jinja'
    (``jinja``: chat_template_jinja's text or file; also when ``value`` is None), or Jinja."""
    if value == "jinja" or (value is None and jinja):
        return _jinja_source(jinja, key)
    if value is None or value == "tokenizer_default" or value.startswith(FALLBACK_PREFIX):
        own = getattr(tokenizer, "chat_template", None)
        if isinstance(own, dict):  # several named templates: use the default one
            own = own.get("default")
        if not own and value and value != "tokenizer_default":  # Axolotl's fallback: the named template
            return resolve_template(value.removeprefix(FALLBACK_PREFIX), tokenizer, key=key)
        if not own:
            raise DataError(
                "the tokenizer has no chat template of its own. Set chat_template to one of "
                f"{', '.join(TEMPLATES)} (or a Jinja string), or use a tokenizer_config that ships one.", key=key)
        return own
    if value in TEMPLATES:
        return TEMPLATES[value]
    problem = name_problem(value)
    if problem:
        raise DataError(problem, key=key)
    return value  # Jinja text
