"""Every error the library raises is an AssemblerError: bad input to each public operation,
a model built in code, a receipt verify cannot use, and a job stopped by its render."""

from __future__ import annotations

import pydantic
import pytest

import assembler


def test_a_model_built_in_code_with_an_item_of_no_known_kind_is_an_edl_error():
    # pydantic-core does not know our error kinds by name: this was a KeyError.
    with pytest.raises(assembler.EdlError, match=r"video\[0\]: an item of the main track needs one of the keys") as caught:
        assembler.Edl(version=1, video=[{"clp": "a.mp4"}])
    assert isinstance(caught.value, pydantic.ValidationError)
    assert [e["type"] for e in caught.value.errors()] == ["item_kind"]
    assert "did you mean `clip`?" in str(caught.value)
