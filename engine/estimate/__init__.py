"""Will it fit, and how long will it take: a memory and time estimate per GPU, before training.

Pure functions over json and math (no torch): ``shapes`` (model shapes from config.json / HF cache / bundled
table), ``setup`` (what the estimate needs), ``states`` (weights, gradients, optimizer states), ``activations``,
``memory`` (parts and band), ``timing``, ``suggest`` (what to change), ``gpus`` (target GPU, detection without
torch), ``from_preset`` (preset → Setup), ``report`` (all of it for one preset), ``explain`` (each part's text).
"""
