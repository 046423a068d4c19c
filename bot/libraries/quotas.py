"""How much one chat may store, and the check that says which limit a file passes."""

from __future__ import annotations

from dataclasses import dataclass

MB = 1024 * 1024
CLOUD_DOWNLOAD_LIMIT_MB = 20  # the cloud Bot API's getFile limit; a local Bot API server has none


@dataclass(frozen=True)
class Quotas:
    documents_per_chat: int = 50
    mb_per_chat: float = 200.0
    mb_per_file: float = 20.0
    pages_per_file: int = 1000


@dataclass(frozen=True)
class QuotaExceeded:
    kind: str  # "documents", "chat_mb", "file_mb", "pages", "download"
    limit: float
    actual: float


def check_file_size(size: int | None, quotas: Quotas, *, local_api: bool) -> QuotaExceeded | None:
    """Before downloading: Telegram tells the size of a document."""
    if size is None:
        return None
    if not local_api and size > CLOUD_DOWNLOAD_LIMIT_MB * MB:
        return QuotaExceeded("download", CLOUD_DOWNLOAD_LIMIT_MB, size / MB)
    if size > quotas.mb_per_file * MB:
        return QuotaExceeded("file_mb", quotas.mb_per_file, size / MB)
    return None


def check_library(
    quotas: Quotas, *, documents: int, stored_bytes: int, new_bytes: int, replaced_bytes: int = 0, replacing: bool = False
) -> QuotaExceeded | None:
    """Whether the library can take one more file (or this file in place of another)."""
    after = documents + (0 if replacing else 1)
    if after > quotas.documents_per_chat:
        return QuotaExceeded("documents", quotas.documents_per_chat, after)
    total = stored_bytes - replaced_bytes + new_bytes
    if total > quotas.mb_per_chat * MB:
        return QuotaExceeded("chat_mb", quotas.mb_per_chat, total / MB)
    return None


def check_pages(pages: int | None, quotas: Quotas) -> QuotaExceeded | None:
    if pages is not None and pages > quotas.pages_per_file:
        return QuotaExceeded("pages", quotas.pages_per_file, pages)
    return None
