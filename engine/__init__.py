"""tunedeck's engine: the knob registry, presets, derived numbers, data, training and runs.

Importing ``engine`` (or ``engine.knobs``, ``engine.preset``, ``engine.derive``) must stay light: no torch,
transformers, trl, peft or datasets. Those are imported only inside the modules that train or tokenize.
"""
