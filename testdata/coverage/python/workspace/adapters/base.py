"""An adapter base class with one path nobody tests."""


class Adapter:
    name = "base"

    def __init__(self, opts=None):
        self.opts = opts or {}

    def describe(self):
        return f"{self.name}:{len(self.opts)}"

    def shutdown(self, force=False):
        if force:
            self.opts.clear()
            return "forced"
        return "graceful"
