"""Editor speed: start to an interactive editor (headless), and the live panel's recompute after a keystroke.

    python bench/tui_editor.py [PRESET]

Prints the time from constructing the app to an editor that takes keys, then types into micro_batch_size
many times and reports the median of (a) the editor's own recompute (state → live numbers → panel text) and
(b) the whole edit handler, (c) the debounced full validation, (d) the keystroke round trip through Textual
(press → panel shows the new batch). Target for (a): ≤ 16 ms.
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

PRESET = f"""\
# bench preset
base_model: {REPO / 'presets/tiny/model'}
datasets:
  - path: {REPO / 'presets/tiny/chat.jsonl'}
    type: chat_template
sequence_len: 512
micro_batch_size: 1
gradient_accumulation_steps: 4
num_epochs: 2
warmup_ratio: 0.1
learning_rate: 0.0002
adapter: lora
lora_target_linear: true
"""
KEYSTROKES = 60


async def main(preset: Path) -> None:
    t0 = time.perf_counter()
    from tui.app import TunedeckApp
    from tui.screens.editor import EditorScreen

    t_import = time.perf_counter() - t0
    app = TunedeckApp(preset, count_data=False)
    async with app.run_test(size=(120, 40)) as pilot:
        while not isinstance(app.screen, EditorScreen):
            await pilot.pause(0.001)
        await pilot.pause()
        t_ready = time.perf_counter() - t0
        screen = app.screen
        # rows as if the background count had finished, so steps/warmup are computed too
        screen.state.counts.rows = screen.state.counts.train_rows = 120
        screen.state.counts.tokens = 6000
        screen.query_one("#section-nav").highlighted = 2
        await pilot.pause()
        control = screen.query_one("#knob-micro-batch-size").control
        control.focus()
        await pilot.pause()
        recompute: list[float] = []
        edit: list[float] = []
        problems: list[float] = []
        round_trip: list[float] = []
        live = screen.query_one("#live-numbers")
        for i in range(KEYSTROKES):
            digit = str(2 + i % 7)
            control.value = ""
            await pilot.pause()
            start = time.perf_counter()
            await pilot.press(digit)
            while f"{digit} × 4 × 1 =" not in str(live.render()):
                await pilot.pause(0)
            round_trip.append(time.perf_counter() - start)
            recompute.append(screen.last_live_seconds)
            edit.append(screen.last_edit_seconds)
            await pilot.pause(0.2)  # let the debounced validation run
            problems.append(screen.last_problems_seconds)
        assert not screen.state.field_errors
    print(f"import tui.app:                    {t_import * 1000:8.1f} ms")
    print(f"start → interactive editor:        {t_ready * 1000:8.1f} ms  (headless, 120×40)")
    print(f"live recompute after a keystroke:  {statistics.median(recompute) * 1000:8.2f} ms median "
          f"(max {max(recompute) * 1000:.2f} ms, n={len(recompute)}; target ≤ 16 ms)")
    print(f"whole edit handler (write+live):   {statistics.median(edit) * 1000:8.2f} ms median "
          f"(max {max(edit) * 1000:.2f} ms)")
    print(f"full validation + field marks:     {statistics.median(problems) * 1000:8.2f} ms median "
          "(debounced 150 ms after the last keystroke)")
    print(f"keystroke → panel updated (Pilot): {statistics.median(round_trip) * 1000:8.2f} ms median "
          "(includes Pilot's own idle waits)")


if __name__ == "__main__":
    if len(sys.argv) > 1:
        asyncio.run(main(Path(sys.argv[1])))
    else:
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "bench.yaml"
            path.write_text(PRESET)
            asyncio.run(main(path))
