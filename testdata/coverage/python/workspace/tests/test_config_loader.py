import pytest

import config_loader
from adapters import Adapter


def test_parse():
    assert config_loader.parse("# c\n\na = 1\nb= x \n") == {"a": "1", "b": "x"}


def test_parse_bad():
    with pytest.raises(ValueError):
        config_loader.parse("nope")


def test_get_bool():
    assert config_loader.get_bool({"x": "Yes"}, "x") is True


def test_adapter():
    a = Adapter({"k": 1})
    assert a.describe() == "base:1"
    assert a.shutdown() == "graceful"
