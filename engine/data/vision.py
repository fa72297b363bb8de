"""Vision-language rows (``processor_type`` set): conversations whose messages carry images, as the model sees them.

A row is ``messages`` (a content is a string, or a list of parts: ``{"type": "text", "text": ...}`` and
``{"type": "image"}``) and ``images`` (the row's pictures in the order their parts appear: paths beside the data
file, or the images of a Hub dataset; ``image`` for a single one). Labels follow ``type: chat_template``
(roles_to_train, train_on_inputs, train_on_eos/eot) as engine.data.chat_template finds them, and Axolotl's
vision rule on top: image tokens are never learned.

How: the chat template renders the conversation once with each text part replaced by a marker, which gives every
turn's character span; the text tokenizes (each image still one placeholder token) and the spans become labels.
The processor then expands every placeholder into the model's image tokens (576 for LLaVA 1.5; Qwen2-VL's depend
on the picture's size), and the labels are carried across by walking both sequences: a token of the text keeps
its label, a token the expansion added is never learned. The prepared row keeps the expanded ids and labels (so
lengths, counts and ``preview`` are what the model sees), the rendered text and each image's file path, or its
bytes when the row holds the image itself (``pictures``: ``images`` would make trl take the rows for its own
vision format); the collator
(:class:`VisionCollator`) runs the processor again on each batch for the pixel values and checks that it gives the
same ids.
"""

from __future__ import annotations

import io
import os
import re
from pathlib import Path
from typing import Any

from .chat_template import ChatSettings, _encoder, _Renderer, _token_spans, chat_settings, conversation, label_turns
from .errors import DataError, fields_of, row_error
from .sources import Loc, Rows
from .tokenized import IGNORE, Tokenized

_MARK = re.compile("\ue000(\\d+)\ue001")


def is_vision(cfg: Any) -> bool:
    return bool(getattr(cfg, "processor_type", None))


def load_processor(cfg: Any, preset_path: str | os.PathLike[str] | None, tokenizer: Any) -> Any:
    """The model's processor (``processor_type``: AutoProcessor, or a transformers class by name) around
    ``tokenizer``, the one prepare_tokenizer made (added tokens, chat template, pad token)."""
    import transformers

    from engine.paths import looks_local, resolve_path

    source = cfg.base_model
    if looks_local(source, preset_path):
        source = str(resolve_path(source, preset_path))
    kind = getattr(transformers, cfg.processor_type, None)
    if kind is None or not hasattr(kind, "from_pretrained"):
        raise DataError(f"processor_type '{cfg.processor_type}' is not a processor class of transformers "
                        f"{transformers.__version__}: use AutoProcessor (it picks the model's own).",
                        key="processor_type")
    try:
        processor = kind.from_pretrained(source, revision=cfg.revision_of_model,
                                         trust_remote_code=cfg.trust_remote_code)
    except Exception as err:
        raise DataError(f"could not load the processor ({cfg.processor_type}) from '{source}': "
                        f"{type(err).__name__}: {(str(err).splitlines() or [''])[0].rstrip('.')}. A vision-language "
                        "model ships a processor_config.json (or preprocessor_config.json) beside its weights; "
                        "check base_model, or remove processor_type for a text model.", key="processor_type") from None
    if not hasattr(processor, "image_processor") or not hasattr(processor, "tokenizer"):
        raise DataError(f"'{source}' loads a {type(processor).__name__}, which has no image processor: this is not "
                        "a vision-language model. Remove processor_type to train it as a text model.",
                        key="processor_type")
    processor.tokenizer = tokenizer
    processor.chat_template = tokenizer.chat_template
    return processor


def image_token_ids(processor: Any) -> set[int]:
    """The ids of the processor's image placeholder tokens (never learned)."""
    tokenizer = processor.tokenizer
    ids = {getattr(processor, "image_token_id", None)}
    for name in ("image_token", "boi_token", "eoi_token", "image_break_token", "image_end_token"):
        token = getattr(processor, name, None)
        if isinstance(token, str):
            ids.add(tokenizer.convert_tokens_to_ids(token))
    return {i for i in ids if isinstance(i, int) and i != tokenizer.unk_token_id}


# --- images --------------------------------------------------------------------------------------------------------

def row_images(row: dict, loc: Loc) -> list[Any]:
    """The row's ``images`` (a list) or ``image`` (one), as stored."""
    if row.get("images") is not None:
        value = row["images"]
        return list(value) if isinstance(value, (list, tuple)) else [value]
    if row.get("image") is not None:
        return [row["image"]]
    return []


FILE_TAG = b"file:"  # a picture kept as its file's path (no image format starts so), else the image's own bytes


def picture(value: Any, loc: Loc) -> bytes:
    """One image as the prepared row keeps it: an image file as ``FILE_TAG`` + its absolute path (read when a batch
    is made, so the prepared cache does not copy the pictures), an image held in the row itself (a Hub dataset's
    image: PIL, or its {bytes, path} record; raw bytes) as its bytes. A file that cannot be opened as an image is a
    DataError naming the row, here rather than mid-training."""
    if isinstance(value, (bytes, bytearray)):
        return bytes(value)
    if isinstance(value, dict) and (value.get("bytes") or value.get("path")):
        return bytes(value["bytes"]) if value.get("bytes") else picture(value["path"], loc)
    if isinstance(value, str):
        if "://" in value:
            raise row_error(loc, f"image '{value}' is a URL; tunedeck reads images from files only (nothing is "
                            "downloaded during training). Download it and give its path.", key="images")
        path = Path(value).expanduser()
        if not path.is_absolute() and loc[0] and Path(loc[0]).is_file():
            path = Path(loc[0]).parent / path
        if not path.is_file():
            raise row_error(loc, f"cannot read image '{value}' (no such file: looked at {path}). A relative path is "
                            "read beside the data file.", key="images")
        return FILE_TAG + str(path.resolve()).encode()
    if hasattr(value, "save"):  # a PIL image, as a Hub dataset's Image column gives it
        out = io.BytesIO()
        value.save(out, format="PNG")
        return out.getvalue()
    raise row_error(loc, f"an image is a {type(value).__name__}; give a file path (or a Hub dataset's image "
                    "column).", key="images")


def open_image(kept: bytes) -> Any:
    """The picture a prepared row keeps (see :func:`picture`), as an RGB image."""
    from PIL import Image

    source: Any = kept[len(FILE_TAG):].decode() if kept.startswith(FILE_TAG) else io.BytesIO(kept)
    with Image.open(source) as image:
        return image.convert("RGB")


# --- rows -> text and labels ---------------------------------------------------------------------------------------

def _parts(turns: list[dict], loc: Loc) -> tuple[list[dict], int]:
    """Turns with every list content normalized to text and image parts, and how many image parts there are."""
    images = 0
    out = []
    for n, turn in enumerate(turns, 1):
        content = turn["content"]
        if isinstance(content, str):
            out.append(turn)
            continue
        parts = []
        for part in content:
            kind = part.get("type") if isinstance(part, dict) else None
            if kind == "image" or (kind is None and isinstance(part, dict) and "image" in part):
                parts.append({"type": "image"})
                images += 1
            elif kind == "text" and isinstance(part.get("text"), str):
                parts.append({"type": "text", "text": part["text"]})
            else:
                got = fields_of(part) if isinstance(part, dict) else type(part).__name__
                raise row_error(loc, f"message {n} has a content part that is neither text nor an image ({got}): "
                                "use {type: text, text: ...} or {type: image}.", key="field_messages")
        out.append({**turn, "content": parts})
    return out, images


def _marked(turns: list[dict]) -> tuple[list[dict], list[tuple[int, str]]]:
    """The turns with each text (a string content, or a text part) replaced by a numbered marker, and what each
    marker stands for: (turn, text)."""
    texts: list[tuple[int, str]] = []

    def mark(turn_index: int, text: str) -> str:
        texts.append((turn_index, text))
        return f"\ue000{len(texts) - 1}\ue001"

    marked = []
    for n, turn in enumerate(turns):
        content = turn["content"]
        if isinstance(content, str):
            marked.append({**turn, "content": mark(n, content)})
        else:
            marked.append({**turn, "content": [{**p, "text": mark(n, p["text"])} if p["type"] == "text" else p
                                               for p in content]})
    return marked, texts


def _turn_spans(marked: str, texts: list[tuple[int, str]], text: str, turns: int) -> list[tuple[int, int] | None]:
    """Each turn's character span in ``text`` (first to last of its texts), checked against the real render."""
    starts: list[int | None] = [None] * turns
    ends: list[int | None] = [None] * turns
    pieces, pos, last, seen = [], 0, 0, set()
    for m in _MARK.finditer(marked):
        k = int(m.group(1))
        if k >= len(texts) or k in seen:
            raise DataError("the chat template renders a message's text twice, so its trained span is ambiguous: "
                            "use the model's own template (tokenizer_default) or one of Axolotl's vision templates.",
                            key="chat_template")
        seen.add(k)
        turn, content = texts[k]
        literal = marked[last:m.start()]
        pieces += [literal, content]
        pos += len(literal)
        if content:
            starts[turn] = pos if starts[turn] is None else starts[turn]
            ends[turn] = pos + len(content)
        pos += len(content)
        last = m.end()
    pieces.append(marked[last:])
    if "".join(pieces) != text:
        raise DataError("the chat template changes a message's text as it renders it (e.g. trims it), so tunedeck "
                        "cannot find which tokens to learn in a vision row: use a template that writes each text as "
                        "given (Axolotl's llava, qwen2_vl, pixtral, llama3_2_vision do).", key="chat_template")
    return [(s, e) if s is not None and e is not None else None for s, e in zip(starts, ends, strict=True)]


def expand_labels(expanded: list[int], ids: list[int], labels: list[int], never: set[int]) -> list[int] | None:
    """Labels for the processor's ids (images expanded to their tokens) from the labels of the text's ids: walk
    both; a token of the text keeps its label, a token the expansion added gets none, and so does every image
    token. None when the text's ids are not all found in order (the processor tokenized differently)."""
    out: list[int] = []
    j = 0
    for token in expanded:
        if j < len(ids) and token == ids[j]:
            out.append(IGNORE if token in never else labels[j])
            j += 1
        else:
            out.append(IGNORE)
    return out if j == len(ids) else None


def processor_ids(processor: Any, texts: list[str], images: list[list[Any]], **kwargs: Any) -> Any:
    """The processor's batch for ``texts`` and their images, given per row (Mllama's processor needs them nested;
    the others flatten them); no special tokens added: the template wrote them."""
    nested = images if any(images) else None
    return processor(text=texts, images=nested, add_special_tokens=False, **kwargs)


class VisionRows(Tokenized):
    """Tokenized vision rows: besides ids and labels, each row's rendered text and image bytes."""

    def __init__(self) -> None:
        super().__init__()
        self.texts: list[str] = []
        self.images: list[list[bytes]] = []


def tokenize_vision(rows: Rows, ds: Any, cfg: Any, tokenizer: Any, processor: Any, index: int = 0) -> VisionRows:
    s = chat_settings(ds, cfg, tokenizer, index)
    encode = _encoder(tokenizer)
    if encode is None:
        raise DataError("a vision run needs a fast (Rust) tokenizer to find the trained tokens, and this model's "
                        "tokenizer is not one: check base_model (or tokenizer_config).", key="base_model")
    renderer = _Renderer(s)
    never = image_token_ids(processor)
    out = VisionRows()
    for i, (row, loc) in enumerate(zip(rows.rows, rows.locs, strict=True)):
        turns, wanted = _parts(conversation(row, loc, s, parts=True), loc)
        stored = row_images(row, loc)
        if wanted != len(stored):
            raise row_error(loc, f"the messages have {wanted} image part(s) but the row gives {len(stored)} image(s) "
                            "(images column): give one image per {type: image} part, in order.", key="images")
        text, ids, labels = _text_labels(turns, loc, s, renderer, encode)
        pictures = [picture(value, loc) for value in stored]
        expanded = _expanded(processor, text, pictures, loc)
        expanded_labels = expand_labels(expanded, ids, labels, never)
        if expanded_labels is None:
            raise row_error(loc, "the processor's tokens for this row do not contain the text's tokens in order, so "
                            "the trained tokens cannot be placed: check that chat_template is the model's (or "
                            "tokenizer_default).", key="chat_template")
        out.add(expanded, expanded_labels, i)
        out.texts.append(text)
        out.images.append(pictures)
    return out


def _text_labels(turns: list[dict], loc: Loc, s: ChatSettings, renderer: _Renderer,
                 encode: Any) -> tuple[str, list[int], list[int]]:
    text = renderer.render(turns, loc)
    marked_turns, texts = _marked(turns)
    spans = _turn_spans(renderer.render(marked_turns, loc), texts, text, len(turns))
    enc = encode([text])[0]
    return text, list(enc.ids), label_turns(list(enc.ids), _token_spans(enc, spans), turns, s)


def _expanded(processor: Any, text: str, pictures: list[bytes], loc: Loc) -> list[int]:
    try:
        images = [open_image(data) for data in pictures]
    except Exception as err:
        raise row_error(loc, f"an image of this row cannot be read ({type(err).__name__}: {err}): check the file.",
                        key="images") from None
    try:
        return list(processor_ids(processor, [text], [images])["input_ids"][0])
    except Exception as err:
        raise row_error(loc, f"the processor failed on this row ({type(err).__name__}: "
                        f"{(str(err).splitlines() or [''])[0]}): check that the number of image parts matches the "
                        "images and that chat_template is the model's.", key="chat_template") from None


class VisionCollator:
    """Batches of vision rows: the processor's inputs (pixel values and the model's other image inputs) for the
    rendered texts and images, with the prepared ids and labels, padded on the right."""

    def __init__(self, processor: Any, pad_token_id: int):
        self.processor = processor
        self.pad_token_id = pad_token_id

    def __call__(self, features: list[dict[str, Any]]) -> dict[str, Any]:
        import torch

        try:
            images = [[open_image(data) for data in f["pictures"]] for f in features]
        except OSError as err:  # read when the data was prepared; gone or changed since
            raise DataError(f"an image of the training data cannot be read any more ({err}): it was readable when the "
                            "data was prepared. Put the file back, or fix the dataset and prepare again.",
                            key="datasets") from None
        self.processor.tokenizer.padding_side = "right"
        batch = dict(processor_ids(self.processor, [f["text"] for f in features], images, padding=True,
                                   return_tensors="pt"))
        length = batch["input_ids"].shape[1]
        for row, f in enumerate(features):
            if batch["input_ids"][row, :len(f["input_ids"])].tolist() != list(f["input_ids"]):
                raise DataError("the processor gives other tokens for a prepared row than when the data was "
                                "prepared (an image file changed since?): prepare the data again (tunedeck "
                                "preprocess, or delete the prepared cache).", key="datasets")

        def pad(key: str, value: int) -> Any:
            return torch.tensor([list(f[key]) + [value] * (length - len(f[key])) for f in features], dtype=torch.long)

        batch["input_ids"] = pad("input_ids", self.pad_token_id)
        batch["labels"] = pad("labels", IGNORE)
        return batch
