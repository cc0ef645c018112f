"""The generated station token's file stays private to its owner (issue 11)."""

import logging

from openinspect.server.security import TOKEN_FILE, load_tokens
from openinspect.settings import Settings


def test_a_token_file_others_may_read_is_made_private_with_a_warning(tmp_path, caplog):
    path = tmp_path / TOKEN_FILE
    path.write_text("kept-token-0123456789")
    path.chmod(0o644)
    caplog.set_level(logging.WARNING, logger="openinspect")
    tokens = load_tokens(Settings(home=tmp_path))
    assert tokens.generated == "kept-token-0123456789"
    assert path.stat().st_mode & 0o777 == 0o600
    assert "was readable by other users (mode 644); it is 0600 now" in caplog.text


def test_a_private_token_file_is_reused_silently(tmp_path, caplog):
    path = tmp_path / TOKEN_FILE
    path.write_text("kept-token-0123456789")
    path.chmod(0o600)
    caplog.set_level(logging.WARNING, logger="openinspect")
    assert load_tokens(Settings(home=tmp_path)).generated == "kept-token-0123456789"
    assert caplog.text == ""
