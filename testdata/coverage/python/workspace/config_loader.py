"""Loads a tiny key=value config; most branches are tested."""


def parse(text):
    out = {}
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if "=" not in line:
            raise ValueError(f"bad line: {raw!r}")
        key, value = line.split("=", 1)
        out[key.strip()] = value.strip()
    return out


def get_bool(cfg, key, default=False):
    value = cfg.get(key)
    if value is None:
        return default
    return value.lower() in ("1", "true", "yes")
