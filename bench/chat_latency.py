"""Chat latency: time to first token and tokens/s of ``tunedeck chat``'s model process (engine.infer.server, over
its JSON-lines pipe) against plain transformers ``generate`` with a streamer, same model, prompt and settings, in
one run; then the TUI's key-press latency while a long answer streams into the chat screen. Target: ≥ 0.9×.

    python bench/chat_latency.py [--model presets/tiny/model] [--repeats 5]

Both sides answer greedily (the inference_* defaults, 256 new tokens at most) through the model's chat template;
tokens are counted by encoding each final answer, the same way for both. The model process is timed from outside:
from writing the request to reading the first token line and the done line.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path
from threading import Thread

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
TARGET = 0.9
MESSAGES = [{"role": "user", "content": "Tell me everything about the rivers of Onmelvel."}]


def server_round(proc: subprocess.Popen, ident: int) -> tuple[float, float, str]:
    start = time.perf_counter()
    proc.stdin.write(json.dumps({"id": ident, "op": "answer", "messages": MESSAGES}) + "\n")
    proc.stdin.flush()
    first = None
    for line in proc.stdout:
        message = json.loads(line)
        if message.get("type") == "token" and first is None:
            first = time.perf_counter() - start
        if message.get("type") == "done":
            return first or 0.0, time.perf_counter() - start, message["answer"]
    raise RuntimeError("the model process ended")


def plain_round(model, tokenizer, max_new_tokens: int) -> tuple[float, float, str]:
    import torch
    from transformers import TextIteratorStreamer

    start = time.perf_counter()
    text = tokenizer.apply_chat_template(MESSAGES, tokenize=False, add_generation_prompt=True)
    inputs = tokenizer(text, add_special_tokens=False, return_tensors="pt")
    streamer = TextIteratorStreamer(tokenizer, skip_prompt=True, skip_special_tokens=True)

    def run() -> None:
        with torch.inference_mode():
            model.generate(**inputs, max_new_tokens=max_new_tokens, do_sample=False, streamer=streamer,
                           pad_token_id=tokenizer.pad_token_id)

    Thread(target=run).start()
    first, pieces = None, []
    for piece in streamer:
        if piece and first is None:
            first = time.perf_counter() - start
        pieces.append(piece)
    return first or 0.0, time.perf_counter() - start, "".join(pieces)


async def key_latency(model_dir: str, keys: int = 200) -> list[float]:
    """Seconds from a key press to the chat input showing it, while the model streams a long answer."""
    from textual.app import App

    from tui.screens.chat import ChatScreen

    screen = ChatScreen(model_dir)
    latencies: list[float] = []

    class Host(App[None]):
        def on_mount(self) -> None:
            self.push_screen(screen)

    async with Host().run_test(size=(120, 36)) as pilot:
        while not screen.ready:
            await pilot.pause(0.1)
        await pilot.press(*"Tell me about rivers", "enter")
        while not screen.answering:
            await pilot.pause(0.01)
        field = screen.query_one("#chat-input")
        for n in range(keys):
            start = time.perf_counter()
            await pilot.press("x")
            while len(field.value) <= n:
                await pilot.pause(0)
            if screen.answering:  # only keys pressed while the answer streams count
                latencies.append(time.perf_counter() - start)
    return latencies


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", default=str(REPO / "presets" / "tiny" / "model"))
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from engine.infer.settings import InferenceSettings

    max_new = InferenceSettings.defaults().max_new_tokens
    tokenizer = AutoTokenizer.from_pretrained(args.model)
    model = AutoModelForCausalLM.from_pretrained(args.model).eval()
    proc = subprocess.Popen([sys.executable, "-m", "engine.infer.server", args.model], cwd=REPO, text=True,
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, bufsize=1)
    assert json.loads(proc.stdout.readline())["type"] == "ready"
    rows = {"tunedeck": [], "plain": []}
    for n in range(args.repeats + 1):  # round 0 warms both up and is not counted
        for name, run in (("tunedeck", lambda n=n: server_round(proc, n)),
                          ("plain", lambda: plain_round(model, tokenizer, max_new))):
            ttft, total, answer = run()
            tokens = len(tokenizer(answer, add_special_tokens=False)["input_ids"])
            if n:
                rows[name].append((ttft, tokens / total if total else 0.0))
    proc.stdin.close()
    proc.wait()
    for name, values in rows.items():
        print(f"{name:9s} time to first token {statistics.median(v[0] for v in values) * 1000:7.1f} ms   "
              f"{statistics.median(v[1] for v in values):8.1f} tokens/s")
    ratio = statistics.median(v[1] for v in rows["tunedeck"]) / statistics.median(v[1] for v in rows["plain"])
    print(f"tokens/s ratio tunedeck/plain {ratio:.2f} (target ≥ {TARGET})  {'OK' if ratio >= TARGET else 'BELOW'}")
    latencies = asyncio.run(key_latency(args.model))
    print(f"TUI key-press latency while streaming: median {statistics.median(latencies) * 1000:.1f} ms, "
          f"max {max(latencies) * 1000:.1f} ms over {len(latencies)} keys")
    return 0


if __name__ == "__main__":
    sys.exit(main())
