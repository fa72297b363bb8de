"""``python -m engine.infer.server SOURCE [--compare]``: the model process chat screens talk to, in JSON lines.

The TUI never imports torch, so its chat screen starts this process and speaks over its stdin/stdout, one JSON
object per line. Out: ``{"type": "ready", "note", "can_compare"}`` once loaded (or ``{"type": "error", "message"}``
and exit 1). In: ``{"id", "op": "answer", "messages", "side": "tuned"|"base"}`` answered by ``{"id", "type":
"token", "text"}`` pieces then ``{"id", "type": "done", "answer"}``; ``{"id", "op": "prompt", "messages"}``
answered by ``{"id", "type": "prompt", "text"}`` (the rendered prompt). A bad request gets ``{"id", "type":
"error", "message"}`` and the process goes on. It ends when its stdin closes (the screen closed).
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any, TextIO

from engine.errors import TunedeckError


def _send(out: TextIO, **message: Any) -> None:
    out.write(json.dumps(message, ensure_ascii=False) + "\n")
    out.flush()


def serve(loaded: Any, settings: Any, requests: TextIO, out: TextIO) -> None:
    from .answer import cut_at_stop, prompt_for, stream_answer
    from .prompts import prompt_from_messages

    for line in requests:
        if not line.strip():
            continue
        ident = None
        try:
            request = json.loads(line)
            ident = request.get("id")
            messages = prompt_from_messages(request.get("messages"), "request").messages
            if request.get("op") == "prompt":
                _send(out, id=ident, type="prompt", text=prompt_for(loaded, messages, settings))
                continue
            if request.get("op") != "answer":
                raise TunedeckError(f"unknown op {request.get('op')!r}: use answer or prompt")
            pieces = []
            for piece in stream_answer(loaded, messages, settings, base=request.get("side") == "base"):
                if piece:
                    pieces.append(piece)
                    _send(out, id=ident, type="token", text=piece)
            _send(out, id=ident, type="done", answer=cut_at_stop("".join(pieces), settings))
        except (TunedeckError, ValueError, AttributeError) as err:
            _send(out, id=ident, type="error", message=str(err))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m engine.infer.server")
    parser.add_argument("source")
    parser.add_argument("--compare", action="store_true")
    parser.add_argument("--trust-remote-code", action="store_true", default=None)
    args = parser.parse_args(argv)
    out = sys.stdout
    sys.stdout = sys.stderr  # library prints must not corrupt the protocol
    try:
        from .load import load_model
        from .settings import settings_for
        from .source import resolve_source

        source = resolve_source(args.source)
        settings = settings_for(source.preset)
        loaded = load_model(source, compare=args.compare, trust_remote_code=args.trust_remote_code)
    except TunedeckError as err:
        _send(out, type="error", message=str(err))
        return 1
    _send(out, type="ready", note=source.note, can_compare=loaded.can_compare)
    serve(loaded, settings, sys.stdin, out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
