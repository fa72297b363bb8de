"""``tunedeck chat RUN|CHECKPOINT|MODEL [--compare]``: talk to a trained model in the terminal, answers streamed.

Multi-turn: the conversation so far is rendered by the chat template the run trained with. ``--compare`` answers
each message twice, by the tuned model and by its base (for a LoRA adapter, the same model with the adapter off),
each side keeping its own conversation. Lines starting with / are commands: /clear, /prompt, /quit.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable

HELP = "/clear forgets the conversation, /prompt shows the text the model reads next, /quit ends (so does Ctrl-D)"


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "chat", help="chat with a trained model in the terminal (--compare: beside its base)",
        description="Chat with a run's model (finished: its final weights; running: its latest checkpoint), a "
        "checkpoint-N folder or a model folder. Prompts are rendered by the chat template the run trained with; "
        "the run's inference_* knobs shape the answers. " + HELP + ".",
    )
    parser.add_argument("source", metavar="RUN|CHECKPOINT|MODEL")
    parser.add_argument("--compare", action="store_true", help="answer with the tuned model and with its base")
    parser.add_argument("--trust-remote-code", action="store_true", default=None,
                        help="allow the model's own code (default: as the run's preset says; never for a bare model)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace, read: Callable[[str], str] = input) -> int:
    from rich.console import Console

    from engine.infer.answer import prompt_for, stream_answer
    from engine.infer.load import load_model
    from engine.infer.settings import settings_for
    from engine.infer.source import resolve_source

    console = Console(highlight=False)
    source = resolve_source(args.source)
    settings = settings_for(source.preset)
    console.print(f"[dim]loading {source.note}…[/]")
    loaded = load_model(source, compare=args.compare, trust_remote_code=args.trust_remote_code)
    sides = ["tuned", "base"] if args.compare else ["tuned"]
    if args.compare:
        loaded.check_compare()
    histories: dict[str, list[dict[str, str]]] = {side: [] for side in sides}
    console.print(f"[dim]{HELP}[/]")
    while True:
        try:
            text = read("you> ")
        except EOFError:
            return 0
        command = text.strip()
        if command in ("/quit", "/exit"):
            return 0
        if command == "/clear":
            histories = {side: [] for side in sides}
            console.print("[dim]conversation cleared[/]")
            continue
        if command == "/prompt":
            console.print(prompt_for(loaded, histories["tuned"] + [{"role": "user", "content": "…"}], settings),
                          markup=False)
            continue
        if not command:
            continue
        for side in sides:
            histories[side].append({"role": "user", "content": text})
            label = f"{side}> " if args.compare else "model> "
            console.print(label, end="", style="bold cyan" if side == "tuned" else "bold yellow")
            pieces = []
            for piece in stream_answer(loaded, histories[side], settings, base=side == "base"):
                pieces.append(piece)
                console.print(piece, end="", markup=False)
            console.print()
            histories[side].append({"role": "assistant", "content": "".join(pieces)})
