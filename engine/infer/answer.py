"""Answers: a conversation rendered with the saved chat template, generated token by token (chat) or in batches
(``generate``, the samples), stopping at the template's end-of-turn tokens."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from threading import Thread
from typing import Any

from .load import LoadedModel
from .prompts import Messages, with_system_prompt
from .settings import InferenceSettings


def render_prompt(tokenizer: Any, messages: Messages) -> str:
    """The text the model reads: the saved template with the assistant header opened; without a template (a
    completion-trained model) the turns' text, one per line."""
    if getattr(tokenizer, "chat_template", None):
        return tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
    return "\n".join(m["content"] for m in messages)


def prompt_for(loaded: LoadedModel, messages: Messages, settings: InferenceSettings) -> str:
    return render_prompt(loaded.tokenizer, with_system_prompt(messages, settings.system_prompt))


def _encode(tokenizer: Any, texts: list[str]) -> Any:
    # A rendered template already holds its special tokens (BOS where the template writes it).
    special = not getattr(tokenizer, "chat_template", None)
    return tokenizer(texts, add_special_tokens=special, return_tensors="pt", padding=True)


def _generate_kwargs(loaded: LoadedModel, settings: InferenceSettings) -> dict[str, Any]:
    kwargs = settings.generate_kwargs()
    kwargs.update(eos_token_id=loaded.stop_ids, pad_token_id=loaded.tokenizer.pad_token_id)
    if settings.stop_strings:
        kwargs["tokenizer"] = loaded.tokenizer
    return kwargs


def cut_at_stop(text: str, settings: InferenceSettings) -> str:
    """The answer up to the first stop string (generation stops after it, so it is in the text)."""
    cuts = [text.index(s) for s in settings.stop_strings if s in text]
    return text[:min(cuts)] if cuts else text


def stream_answer(loaded: LoadedModel, messages: Messages, settings: InferenceSettings, *,
                  base: bool = False) -> Iterator[str]:
    """The answer's text in pieces as the tokens come (with beam search: all at once at the end)."""
    import torch
    from transformers import TextIteratorStreamer

    tokenizer = loaded.tokenizer
    inputs = _encode(tokenizer, [prompt_for(loaded, messages, settings)]).to(loaded.device)
    streamer = TextIteratorStreamer(tokenizer, skip_prompt=True, skip_special_tokens=True)
    failure: list[BaseException] = []

    def run() -> None:
        try:
            with loaded.answering(base) as model, torch.inference_mode():
                model.generate(**inputs, **_generate_kwargs(loaded, settings), streamer=streamer)
        except BaseException as err:
            failure.append(err)
        finally:
            streamer.end()

    if settings.num_beams > 1:
        yield answer_batch(loaded, [messages], settings, base=base)[0]
        return
    thread = Thread(target=run, daemon=True, name="tunedeck-generate")
    thread.start()
    yield from streamer
    thread.join()
    if failure:
        raise failure[0]


def answer_batch(loaded: LoadedModel, conversations: list[Messages], settings: InferenceSettings, *,
                 base: bool = False, batch_size: int = 8,
                 progress: Callable[[int], None] | None = None) -> list[str]:
    """One answer per conversation, in order; ``progress(n)`` after each batch of n."""
    special = not getattr(loaded.tokenizer, "chat_template", None)
    prompts = [loaded.tokenizer(prompt_for(loaded, m, settings), add_special_tokens=special)["input_ids"]
               for m in conversations]
    with loaded.answering(base) as model:
        return answer_ids(model, loaded.tokenizer, prompts, settings, loaded.stop_ids, batch_size=batch_size,
                          progress=progress)


def answer_ids(model: Any, tokenizer: Any, prompts: list[list[int]], settings: InferenceSettings,
               stop_ids: list[int], *, batch_size: int = 8, progress: Callable[[int], None] | None = None) -> list[str]:
    """Answers to prompts given as token ids (already rendered), batched with left padding so every answer follows
    its prompt directly; the model is put in eval mode for it and back as it was."""
    import torch

    kwargs = settings.generate_kwargs()
    kwargs.update(eos_token_id=stop_ids, pad_token_id=tokenizer.pad_token_id)
    if settings.stop_strings:
        kwargs["tokenizer"] = tokenizer
    device = next(model.parameters()).device
    side, tokenizer.padding_side = tokenizer.padding_side, "left"
    training = model.training
    model.eval()
    answers: list[str] = []
    try:
        for start in range(0, len(prompts), batch_size):
            chunk = prompts[start:start + batch_size]
            inputs = tokenizer.pad({"input_ids": chunk}, return_tensors="pt").to(device)
            with torch.inference_mode():
                out = model.generate(**inputs, **kwargs)
            new = out[:, inputs["input_ids"].shape[1]:]
            answers += [cut_at_stop(t, settings) for t in tokenizer.batch_decode(new, skip_special_tokens=True)]
            if progress is not None:
                progress(len(chunk))
    finally:
        tokenizer.padding_side = side
        model.train(training)
    return answers
