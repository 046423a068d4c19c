import pytest

from bot.service import QaService


@pytest.fixture(scope="session")
def qa() -> QaService:
    """The bundled corpus behind the bot, built once per test run (in memory)."""
    service, _ = QaService.open(None, None)
    yield service
    service.close()
