"""Vision-language runs (processor_type): rows with images become the model's inputs with only the answers learned,
batches carry pixel values, a real LoRA run trains on a tiny LLaVA, and validate stops what cannot work."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from _data_helpers import make_cfg, prepare, tokenizer_for, trained_text, write_jsonl
from _train_helpers import events, log_text, make_run_dir, of_kind, run_train

from engine.data.errors import DataError
from engine.preset import Preset

IMAGE_TOKENS = 4  # the tiny LLaVA's (16 px / 8 px patches)², CLS dropped
ANSWERS = ("A red square.", "A blue circle.")


def _picture(path: Path, red: bool, size: tuple[int, int] = (20, 18)) -> str:
    from PIL import Image

    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", size, (200, 0, 0) if red else (0, 0, 200)).save(path)
    return path.name if path.parent.name != "img" else f"img/{path.name}"


def _row(image: str | list[str], answer: str, images: int = 1) -> dict[str, Any]:
    question = [{"type": "image"}] * images + [{"type": "text", "text": "What is in the picture?"}]
    return {"messages": [{"role": "user", "content": question},
                         {"role": "assistant", "content": [{"type": "text", "text": answer}]}],
            "images": image if isinstance(image, list) else [image]}


def _data(tmp: Path, rows: int = 8) -> Path:
    return write_jsonl(tmp / "pictures.jsonl", [
        _row(_picture(tmp / "img" / f"{i}.png", red=i % 2 == 0, size=(20 + i, 18)), ANSWERS[i % 2])
        for i in range(rows)])


def _cfg(model: Path, tmp: Path, data: Path, **top: Any) -> Any:
    top.setdefault("processor_type", "AutoProcessor")
    top.setdefault("chat_template", "llava")
    return make_cfg(model, tmp, [{"path": str(data), "type": "chat_template"}], **top)


def test_each_image_becomes_the_models_image_tokens_and_only_the_answers_are_learned(
        tiny_vision_dir: Path, tmp_path: Path) -> None:
    cfg = _cfg(tiny_vision_dir, tmp_path, _data(tmp_path, 2))
    rows = prepare(cfg, use_cache=False).rows
    tok = tokenizer_for(cfg)
    image_id = tok.convert_tokens_to_ids("<image>")
    assert rows.column_names == ["input_ids", "labels", "dataset", "text", "pictures"]
    for i, (ids, labels) in enumerate(zip(rows["input_ids"], rows["labels"], strict=True)):
        assert ids.count(image_id) == IMAGE_TOKENS  # the one <image> the template wrote, expanded
        assert all(label == -100 for token, label in zip(ids, labels, strict=True) if token == image_id)
        assert [t.strip() for t in trained_text(tok, ids, labels)] == [ANSWERS[i % 2]]
        assert rows["text"][i] == f"USER: <image>\nWhat is in the picture? ASSISTANT: {ANSWERS[i % 2]} "
        assert rows["pictures"][i] == [b"file:" + str((tmp_path / "img" / f"{i}.png").resolve()).encode()]


def test_a_cross_attention_model_keeps_one_image_token_and_gets_its_mask(tiny_mllama_dir: Path,
                                                                        tmp_path: Path) -> None:
    from engine.data.vision import VisionCollator, load_processor

    cfg = _cfg(tiny_mllama_dir, tmp_path, _data(tmp_path, 2), chat_template="llama3_2_vision")
    rows = prepare(cfg, use_cache=False).rows
    tok = tokenizer_for(cfg)
    image_id = tok.convert_tokens_to_ids("<|image|>")
    for i, (ids, labels) in enumerate(zip(rows["input_ids"], rows["labels"], strict=True)):
        assert ids.count(image_id) == 1 and labels[ids.index(image_id)] == -100
        assert [t.strip() for t in trained_text(tok, ids, labels)] == [ANSWERS[i % 2]]
    batch = VisionCollator(load_processor(cfg, None, tok), tok.pad_token_id)([rows[0], rows[1]])
    longest = max(map(len, rows["input_ids"]))
    assert batch["input_ids"].shape == (2, longest) and batch["cross_attention_mask"].shape[:2] == (2, longest)
    assert batch["pixel_values"].shape[:2] == (2, 1)  # one picture per row, kept per row


def test_the_collator_gives_pixel_values_with_the_prepared_ids_and_labels(tiny_vision_dir: Path,
                                                                          tmp_path: Path) -> None:
    from engine.data.vision import VisionCollator, load_processor

    data = write_jsonl(tmp_path / "two.jsonl", [
        _row(_picture(tmp_path / "a.png", red=True), "Red."),
        _row([_picture(tmp_path / "b.png", red=False), _picture(tmp_path / "c.png", red=True)],
             "A blue circle and a red square.", images=2)])
    cfg = _cfg(tiny_vision_dir, tmp_path, data)
    rows = prepare(cfg, use_cache=False).rows
    tok = tokenizer_for(cfg)
    batch = VisionCollator(load_processor(cfg, None, tok), tok.pad_token_id)([rows[0], rows[1]])
    assert tuple(batch["pixel_values"].shape) == (3, 3, 16, 16)  # every picture of the batch, in order
    short, long = (len(ids) for ids in rows["input_ids"])
    assert short < long and batch["input_ids"].shape == (2, long)
    assert batch["input_ids"][0, :short].tolist() == rows["input_ids"][0]
    assert batch["input_ids"][0, short:].tolist() == [tok.pad_token_id] * (long - short)
    assert batch["labels"][0, short:].tolist() == [-100] * (long - short)
    assert batch["attention_mask"][0].tolist() == [1] * short + [0] * (long - short)
    assert batch["input_ids"][1].tolist() == rows["input_ids"][1]
    assert batch["labels"][1].tolist() == rows["labels"][1]


@pytest.mark.parametrize(("row", "words"), [
    (_row("missing.png", "No."), "cannot read image 'missing.png' (no such file"),
    (_row("notes.txt", "No."), "an image of this row cannot be read"),
    (_row("https://example.com/cat.png", "No."), "is a URL"),
    ({**_row("a.png", "No."), "images": []}, "1 image part(s) but the row gives 0 image(s)"),
])
def test_a_bad_image_names_the_row_and_what_to_do(row: dict[str, Any], words: str, tiny_vision_dir: Path,
                                                  tmp_path: Path) -> None:
    _picture(tmp_path / "a.png", red=True)
    (tmp_path / "notes.txt").write_text("not a picture")
    data = write_jsonl(tmp_path / "bad.jsonl", [row])
    with pytest.raises(DataError) as err:
        prepare(_cfg(tiny_vision_dir, tmp_path, data), use_cache=False)
    message = str(err.value)
    assert words in message and "bad.jsonl" in message and err.value.key in ("datasets.0.images", "images")


def test_a_row_longer_than_sequence_len_is_dropped_never_cut(tiny_vision_dir: Path, tmp_path: Path) -> None:
    data = write_jsonl(tmp_path / "rows.jsonl", [
        _row(_picture(tmp_path / "a.png", red=True), "Red."),
        _row(_picture(tmp_path / "b.png", red=True), "A red square. " * 20)])
    prepared = prepare(_cfg(tiny_vision_dir, tmp_path, data, sequence_len=40), use_cache=False)
    assert prepared.stats["rows"] == 1 and prepared.stats["dropped"] == 1 and prepared.stats["truncated"] == 0


FAMILIES = {  # fixture: (chat template, processor, model)
    "tiny_vision_dir": ("llava", "LlavaProcessor", "LlavaForConditionalGeneration"),  # image tokens expanded
    "tiny_mllama_dir": ("llama3_2_vision", "MllamaProcessor", "MllamaForConditionalGeneration"),  # cross-attention
}


@pytest.mark.xdist_group("train")
@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_a_vision_run_trains_the_language_models_lora_and_saves_the_processor(family: str, tmp_path: Path,
                                                                              request: pytest.FixtureRequest) -> None:
    template, processor, model = FAMILIES[family]
    preset = {
        "base_model": str(request.getfixturevalue(family)), "processor_type": "AutoProcessor",
        "chat_template": template,
        "datasets": [{"path": str(_data(tmp_path)), "type": "chat_template"}], "sequence_len": 128,
        "micro_batch_size": 2, "gradient_accumulation_steps": 1, "num_epochs": 2, "learning_rate": 3e-3,
        "optimizer": "adamw_torch", "adapter": "lora", "lora_r": 8, "lora_alpha": 16, "lora_target_linear": True,
        "output_dir": str(tmp_path / "out"), "save_strategy": "no", "logging_steps": 1,
        "dataset_prepared_path": str(tmp_path / "prepared"), "val_set_size": 2, "evals_per_epoch": 1,
    }
    run_dir = make_run_dir(tmp_path, preset)
    assert run_train(run_dir).returncode == 0, log_text(run_dir)[-3000:]
    assert of_kind(run_dir, "finished"), events(run_dir)[-3:]
    losses = [e["loss"] for e in of_kind(run_dir, "step")]
    assert len(losses) == 6 and losses[-1] < losses[0]  # 6 training rows, 2 held out, 2 epochs of 3 steps
    evals = [e["eval_loss"] for e in of_kind(run_dir, "eval")]
    assert len(evals) == 2 and all(loss > 0 for loss in evals)  # the held-out pictures, each epoch
    out = tmp_path / "out"
    targets = json.loads((out / "adapter_config.json").read_text())["target_modules"]
    assert targets and all(".language_model." in name for name in targets)  # not the vision tower
    assert (out / "processor_config.json").is_file()
    from transformers import AutoProcessor

    assert type(AutoProcessor.from_pretrained(out)).__name__ == processor
    _talks_and_merges(out, model)


def _talks_and_merges(out: Path, model: str) -> None:
    """chat and generate load the vision model's adapter and answer in text; merge keeps the processor."""
    from engine.infer.answer import answer_batch
    from engine.infer.load import load_model
    from engine.infer.settings import InferenceSettings
    from engine.infer.source import resolve_source
    from engine.train.merge import merge_adapter

    loaded = load_model(resolve_source(str(out)))
    assert type(loaded.model.get_base_model()).__name__ == model
    [answer] = answer_batch(loaded, [[{"role": "user", "content": "What is in the picture?"}]],
                            InferenceSettings.defaults().with_overrides(max_new_tokens=4, do_sample=False))
    assert isinstance(answer, str)
    merged = merge_adapter(out)
    assert (merged / "processor_config.json").is_file() and (merged / "model.safetensors").is_file()


# --------------------------------------------------------------------------------------------- validate

def _errors(text: str) -> dict[str, str]:
    preset = Preset("base_model: presets/tiny/model\ndatasets:\n  - path: presets/tiny/chat.jsonl\n"
                    "    type: chat_template\n" + text, None)
    return {p.key: p.message for p in preset.problems if p.severity == "error"}


@pytest.mark.parametrize("name", ["llava", "qwen2_vl", "pixtral", "llama3_2_vision"])
def test_a_vision_template_needs_processor_type(name: str) -> None:
    assert "set processor_type: AutoProcessor" in _errors(f"chat_template: {name}\n")["chat_template"]
    assert _errors(f"chat_template: {name}\nprocessor_type: AutoProcessor\n") == {}


@pytest.mark.parametrize(("text", "key", "words"), [
    ("sample_packing: true\n", "sample_packing", "mix images across rows"),
    ("excess_length_strategy: truncate\n", "excess_length_strategy", "inside an image's tokens"),
    ("sample_answers: 2\n", "sample_answers", "without their images"),
    ("rl: dpo\n", "processor_type", "supervised fine-tuning only"),
])
def test_what_a_vision_run_cannot_go_with_is_an_error(text: str, key: str, words: str) -> None:
    assert words in _errors("processor_type: AutoProcessor\n" + text)[key]


def test_a_dataset_type_other_than_chat_template_is_refused_in_a_vision_run() -> None:
    preset = Preset("base_model: presets/tiny/model\nprocessor_type: AutoProcessor\ndatasets:\n"
                    "  - path: presets/tiny/facts.jsonl\n    type: completion\n", None)
    [error] = [p for p in preset.errors if p.key == "datasets.0.type"]
    assert "use type: chat_template" in error.message


def test_a_processor_type_that_is_no_class_name_is_refused() -> None:
    assert "processor_type" in _errors("processor_type: auto processor\n")


def test_axolotls_llava_example_validates() -> None:
    from engine.preset import load_preset

    preset = load_preset(Path(__file__).parent / "fixtures" / "axolotl" / "shapes" / "vision-llava-lora.yaml")
    assert preset.errors == [] and preset.config.processor_type == "AutoProcessor"


def test_preview_shows_an_images_tokens_once_with_their_count(tiny_vision_dir: Path, tmp_path: Path) -> None:
    from engine.data.preview_data import REPEAT_SHOWN_AS_COUNT, preview
    from engine.tiny_model import build_tiny_vision_model

    model = build_tiny_vision_model(tmp_path / "model", ["USER: ASSISTANT: What is in the picture?"] * 10,
                                    image_size=32, patch_size=8)  # 16 image tokens per picture
    cfg = _cfg(model, tmp_path, _data(tmp_path, 1), dataset_prepared_path=str(tmp_path / "prepared"))
    [example] = preview(cfg, n=1).examples
    shown = "".join(text for text, _ in example.segments)
    assert REPEAT_SHOWN_AS_COUNT <= 16 and "<image>×16\nWhat is in the picture?" in shown
    assert shown.count("<image>") == 1 and example.num_tokens == len(prepare(cfg).rows["input_ids"][0])


def test_hub_style_rows_whose_images_are_byte_records_are_read(tiny_vision_dir: Path, tmp_path: Path) -> None:
    """The shape of HuggingFaceH4/llava-instruct-mix-vsft: parts with an index and a null text or image, and
    images stored as {bytes, path} records (a Hub dataset's Image column in parquet)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    png = (tmp_path / _picture(tmp_path / "a.png", red=True)).read_bytes()
    messages = [{"role": "user", "content": [{"index": 0, "text": None, "type": "image"},
                                             {"index": None, "text": "What is in the picture?", "type": "text"}]},
                {"role": "assistant", "content": [{"index": None, "text": "A red square.", "type": "text"}]}]
    pq.write_table(pa.table({"messages": [messages], "images": [[{"bytes": png, "path": None}]]}),
                   tmp_path / "hub.parquet")
    rows = prepare(_cfg(tiny_vision_dir, tmp_path, tmp_path / "hub.parquet"), use_cache=False).rows
    assert rows["pictures"][0] == [png]
    assert [t.strip() for t in trained_text(tokenizer_for(_cfg(tiny_vision_dir, tmp_path, tmp_path / "hub.parquet")),
                                            rows["input_ids"][0], rows["labels"][0])] == ["A red square."]


def test_pictures_are_read_when_a_batch_is_made_and_a_lost_file_is_named(tiny_vision_dir: Path,
                                                                         tmp_path: Path) -> None:
    from engine.data.vision import VisionCollator, load_processor

    cfg = _cfg(tiny_vision_dir, tmp_path, _data(tmp_path, 2))
    rows = prepare(cfg, use_cache=False).rows
    tok = tokenizer_for(cfg)
    collate = VisionCollator(load_processor(cfg, None, tok), tok.pad_token_id)
    from PIL import Image

    Image.new("RGB", (20, 18), (0, 200, 0)).save(tmp_path / "img" / "0.png")  # a new picture, same size
    assert collate([rows[0]])["pixel_values"][0, 1].mean() > collate([rows[1]])["pixel_values"][0, 1].mean()
    (tmp_path / "img" / "0.png").unlink()
    with pytest.raises(DataError) as err:
        collate([rows[0]])
    assert "0.png" in str(err.value) and "cannot be read any more" in str(err.value)
