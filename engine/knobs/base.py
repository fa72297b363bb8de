"""How a knob is declared: one pydantic field carrying its teaching text.

Every knob is a field of a pydantic model whose name is Axolotl's exact key. Its type, default and range
constraints are ordinary pydantic; everything a person reads about it (section, summary, what it does, what
changing it costs, typical values, the knobs it interacts with) rides along in ``json_schema_extra`` via
:func:`knob`. The editor, ``validate``, ``explain``, preset comments and the engine all read it from there.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field
from pydantic.fields import FieldInfo

from .facts import KnobInfo, PathKind, Section, kind_of

__all__ = ["KnobInfo", "PathKind", "Section", "knob", "knob_info", "model_field"]


_META = "tunedeck"


def knob(
    default: Any = None,
    *,
    section: Section,
    summary: str,
    what: str = "",
    cost: str = "",
    typical: str = "",
    interacts: tuple[str, ...] = (),
    basic: bool = False,
    axolotl: bool = True,
    aliases: tuple[str, ...] = (),
    shapes_data: bool = False,
    path: PathKind | None = None,
    dataset_types: tuple[str, ...] = (),
    default_factory: Any = None,
    **constraints: Any,
) -> Any:
    """Declare a knob.

    summary: one line. what: what it does. cost: what raising/lowering it costs (memory, speed, quality,
    optimizer steps). typical: typical values. interacts: keys of knobs it interacts with.
    basic: shown in the newcomer's view. axolotl: False for tunedeck's own knobs (Axolotl ignores them).
    aliases: other spellings accepted on load (e.g. ``model_revision`` for ``revision_of_model``).
    shapes_data: changing it can change which rows and tokens the data has (the editor recounts; the
    background preview gets it).
    path: the value may be a local path, resolved from the working directory, then beside the preset:
    "model" (a model or tokenizer, else a Hub id: trust_remote_code runs its code), "data" (a data source, else
    a Hub dataset id) or "file" (a file or folder).
    dataset_types: only datasets of these types read it (empty: every type). A name also covers its dotted
    variants: "chat_template" covers the preference type "chat_template.default".
    constraints: pydantic range constraints (ge, gt, le, lt, min_length, ...).
    """
    meta: dict[str, Any] = {
        _META: {
            "section": section.value,
            "summary": summary,
            "what": what,
            "cost": cost,
            "typical": typical,
            "interacts": list(interacts),
            "basic": basic,
            "axolotl": axolotl,
            "aliases": list(aliases),
            "shapes_data": shapes_data,
            "path": path,
            "dataset_types": list(dataset_types),
        }
    }
    if default_factory is not None:
        return Field(default_factory=default_factory, description=summary, json_schema_extra=meta, **constraints)
    return Field(default, description=summary, json_schema_extra=meta, **constraints)


def knob_info(key: str, info: FieldInfo, parent: str | None = None) -> KnobInfo:
    extra = info.json_schema_extra
    if not isinstance(extra, dict) or _META not in extra:
        raise TypeError(f"field {key!r} was not declared with knob()")
    meta: dict[str, Any] = extra[_META]  # type: ignore[assignment]  # knob() stored a dict there
    default = None if info.is_required() else info.get_default(call_default_factory=True)
    return KnobInfo(
        key=key,
        section=Section(meta["section"]),
        summary=meta["summary"],
        what=meta["what"],
        cost=meta["cost"],
        typical=meta["typical"],
        interacts=tuple(meta["interacts"]),
        basic=meta["basic"],
        axolotl=meta["axolotl"],
        aliases=tuple(meta["aliases"]),
        shapes_data=meta["shapes_data"],
        path_kind=meta["path"],
        dataset_types=tuple(meta["dataset_types"]),
        kind=kind_of(info.annotation),
        default=default,
        parent=parent,
        known_field=info,
    )


def model_field(key: str, parent: str | None = None) -> FieldInfo:
    """The pydantic field of a top-level knob, or of a per-dataset one (``parent="datasets"``)."""
    from .config import Config
    from .datasets import DatasetConfig

    model = DatasetConfig if parent == "datasets" else Config
    return model.model_fields[key]
