"""As root, the stack lets the `postgres` user traverse the project's own folders to its data, and changes no
folder outside them."""

from __future__ import annotations

import os
import pwd
import shutil
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from infra.errors import StackError
from infra.local.stack import _let_postgres_traverse


def _has_postgres_user() -> bool:
    try:
        pwd.getpwnam("postgres")
    except KeyError:
        return False
    return True


pytestmark = pytest.mark.skipif(os.geteuid() != 0 or not _has_postgres_user(),
                                reason="the stack changes folder modes only as root, for the postgres user")


@pytest.fixture
def outside() -> Iterator[Path]:
    """A folder of nobody's project, 0700, in the temporary folder (pytest's own are 0700 up to /tmp)."""
    folder = Path(tempfile.mkdtemp())
    yield folder
    shutil.rmtree(folder)


def mode(folder: Path) -> int:
    return stat.S_IMODE(folder.stat().st_mode)


def test_the_projects_own_folders_get_traverse_only(outside: Path) -> None:
    outside.chmod(0o755)
    repository = outside / "repo"
    state = repository / ".state"
    (state / "postgres").mkdir(mode=0o700, parents=True)
    repository.chmod(0o700)
    state.chmod(0o700)
    _let_postgres_traverse(state / "postgres", (repository, state))
    assert (mode(repository), mode(state), mode(state / "postgres")) == (0o701, 0o701, 0o700)


def test_a_folder_outside_the_project_is_named_and_left_as_it_is(outside: Path) -> None:
    state = outside / "home" / "state"
    (state / "postgres").mkdir(mode=0o700, parents=True)
    (outside / "home").chmod(0o700)
    state.chmod(0o700)
    with pytest.raises(StackError, match=rf"may not traverse {outside}, which is outside the project.*"
                                         rf"RAINFOREST_HOME.*`chmod o\+x {outside}`"):
        _let_postgres_traverse(state / "postgres", (state,))
    assert (mode(outside), mode(outside / "home"), mode(state)) == (0o700, 0o700, 0o700)
