"""Named chat templates (Jinja strings) and choosing the one a dataset uses.

The names follow Axolotl's (chatml, llama3, mistral, gemma, phi3, qwen...). Each is a compact version of the
model family's template: role headers, content, end-of-turn token. ``tokenizer_default`` means the tokenizer's
own template; ``jinja`` means the preset's own template from ``chat_template_jinja`` (text, or the path of a
file, read from the working directory as Axolotl does); any other string containing Jinja tags is used as a
template as is (the registry's rules refuse that spelling, which Axolotl does not accept).
"""

from __future__ import annotations

import os
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


def is_jinja(value: str) -> bool:
    return "{{" in value or "{%" in value


def dataset_template(ds: Any, cfg: Any, tokenizer: Any, index: int = 0) -> str:
    """The template a chat dataset renders with, picked as Axolotl does: the entry's own chat_template (or
    chat_template_jinja, which implies jinja) when it sets one, else the top level's."""
    if ds.chat_template or ds.chat_template_jinja:
        return resolve_template(ds.chat_template, tokenizer, key=f"datasets.{index}.chat_template",
                                jinja=ds.chat_template_jinja)
    return resolve_template(cfg.chat_template, tokenizer, jinja=cfg.chat_template_jinja)


def _jinja_source(jinja: str | None, key: str) -> str:
    if not jinja:
        raise DataError("chat_template is jinja but chat_template_jinja is empty: write your template there.",
                        key=key.replace("chat_template", "chat_template_jinja"))
    if not is_jinja(jinja) and os.path.isfile(jinja):
        with open(jinja, encoding="utf-8") as f:
            return f.read()
    return jinja


def resolve_template(value: str | None, tokenizer: Any, *, key: str = "chat_template", jinja: str | None = None) -> str:
    """The Jinja text for a template setting: a name, 'tokenizer_default'/None (the tokenizer's own), 'jinja'
    (``jinja``: chat_template_jinja's text or file; also when ``value`` is None), or Jinja."""
    if value == "jinja" or (value is None and jinja):
        return _jinja_source(jinja, key)
    if value is None or value == "tokenizer_default":
        own = getattr(tokenizer, "chat_template", None)
        if isinstance(own, dict):  # several named templates: use the default one
            own = own.get("default")
        if not own:
            raise DataError(
                "the tokenizer has no chat template of its own. Set chat_template to one of "
                f"{', '.join(TEMPLATES)} (or a Jinja string), or use a tokenizer_config that ships one.", key=key)
        return own
    if value in TEMPLATES:
        return TEMPLATES[value]
    if is_jinja(value):
        return value
    raise DataError(f"unknown chat template '{value}'. Use one of {', '.join(TEMPLATES)}, 'tokenizer_default', "
                    "or a Jinja template string.", key=key)
