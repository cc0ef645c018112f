"""The generated engineer token: shown once, kept only as its hash, private to its owner (issues 11 and 15)."""

import hashlib
import logging

import pytest

from openinspect.errors import OpenInspectError
from openinspect.server.errors import ApiError
from openinspect.server.security import TOKEN_FILE, load_tokens
from openinspect.settings import Role, Settings

KEPT = "kept-token-0123456789"


def _accepts(tokens, token: str) -> bool:
    try:
        return tokens.owner(f"Bearer {token}").role is Role.ENGINEER
    except ApiError:
        return False


def _hash_of(token: str) -> str:
    return f"sha256:{hashlib.sha256(token.encode()).hexdigest()}"


def test_the_first_start_makes_a_token_and_keeps_only_its_hash(tmp_path):
    tokens = load_tokens(Settings(home=tmp_path))
    path = tmp_path / TOKEN_FILE
    assert tokens.generated and tokens.token_file == path
    assert path.read_text() == _hash_of(tokens.generated) and path.stat().st_mode & 0o777 == 0o600
    assert _accepts(tokens, tokens.generated) and not _accepts(tokens, tokens.generated[:-1])


def test_a_later_start_accepts_the_token_by_its_hash_silently_and_shows_it_no_more(tmp_path, caplog):
    token = load_tokens(Settings(home=tmp_path)).generated
    caplog.set_level(logging.WARNING, logger="openinspect")
    again = load_tokens(Settings(home=tmp_path))
    assert again.generated is None and again.token_file == tmp_path / TOKEN_FILE
    assert _accepts(again, token) and not _accepts(again, _hash_of(token)) and not _accepts(again, "")
    assert caplog.text == ""


def test_a_plain_text_token_file_is_rewritten_as_its_hash_and_the_token_still_works(tmp_path, caplog):
    path = tmp_path / TOKEN_FILE
    path.write_text(f"{KEPT}\n")
    path.chmod(0o600)
    caplog.set_level(logging.WARNING, logger="openinspect")
    tokens = load_tokens(Settings(home=tmp_path))
    assert tokens.generated is None and _accepts(tokens, KEPT)
    assert path.read_text() == _hash_of(KEPT) and path.stat().st_mode & 0o777 == 0o600
    assert "held the engineer token in plain text; it holds only its hash now" in caplog.text
    assert _accepts(load_tokens(Settings(home=tmp_path)), KEPT)


def test_a_token_file_others_may_read_is_made_private_with_a_warning(tmp_path, caplog):
    path = tmp_path / TOKEN_FILE
    path.write_text(_hash_of(KEPT))
    path.chmod(0o644)
    caplog.set_level(logging.WARNING, logger="openinspect")
    assert _accepts(load_tokens(Settings(home=tmp_path)), KEPT)
    assert path.stat().st_mode & 0o777 == 0o600
    assert "was readable by other users (mode 644); it is 0600 now" in caplog.text


def test_a_token_file_without_a_whole_hash_is_refused_with_the_fix(tmp_path):
    (tmp_path / TOKEN_FILE).write_text(_hash_of(KEPT)[:-2])
    with pytest.raises(OpenInspectError, match="holds no token hash .* delete it and restart to make a new engineer"):
        load_tokens(Settings(home=tmp_path))
