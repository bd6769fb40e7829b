"""Generated doc blocks: replaced between their markers, and exactly one pair is required."""

import pytest

from aimarket.generated import replace_block


def test_a_block_is_replaced_between_its_markers_only():
    text = "a\n<!-- t:begin -->\nold\n<!-- t:end -->\nb\n"
    assert replace_block(text, "t", "new") == "a\n<!-- t:begin -->\nnew\n<!-- t:end -->\nb\n"
    with pytest.raises(ValueError, match="one t:begin/end marker pair"):
        replace_block("no markers", "t", "new")
