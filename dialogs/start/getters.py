from __future__ import annotations

from typing import Any

from dialogs.common import language_items


async def get_languages(locale: str, **_kwargs: Any) -> dict[str, Any]:
    return {"languages": language_items(locale)}
