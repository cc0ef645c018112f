"""Who hears that a recipe changed: the station forgets its cached models, a live view refreshes.

Every authoring service that writes a recipe, its template or its models tells :class:`RecipeEvents`, so no
route has to remember to reload the station.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

log = logging.getLogger(__name__)

RecipeListener = Callable[[str], None]
"""Called with the name of a recipe whose file, template or models changed (or that was deleted)."""


class RecipeEvents:
    """The recipe-changed event and its listeners."""

    def __init__(self) -> None:
        self._listeners: list[RecipeListener] = []

    def subscribe(self, listener: RecipeListener) -> None:
        """Call ``listener`` with the recipe's name after every change from now on."""
        self._listeners.append(listener)

    def changed(self, recipe: str) -> None:
        """Tell every listener that ``recipe`` changed; one failing listener does not silence the others."""
        for listener in list(self._listeners):
            try:
                listener(recipe)
            except Exception:
                log.exception("listener %r failed on the change of recipe %s", listener, recipe)
