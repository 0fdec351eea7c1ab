"""The message bus of one service: a typed command goes to its one handler inside one unit of work,
which commits; the handler's typed result comes back.

A handler is a plain function ``async def freeze_lot(uow, cmd, principal) -> OffsetLot``: it reads
like the business step and reaches data only through the repositories on ``uow``. Queries are
commands too (``GetLot``), so a route always "calls one handler".
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from shared.principal import Principal
from shared.uow import UnitOfWork, UnitOfWorkFactory

__all__ = ["Command", "CommandHandler", "MessageBus", "UnknownCommand"]

R = TypeVar("R")
U = TypeVar("U", bound=UnitOfWork)


@dataclass(frozen=True, kw_only=True)
class Command(Generic[R]):
    """A typed request, named imperatively (``FreezeLot``, ``GetLot``); ``R`` is what its handler returns."""


CommandHandler = Callable[[Any, Any, Principal], Awaitable[Any]]


class UnknownCommand(LookupError):
    pass


class MessageBus(Generic[U]):
    def __init__(self, uow: UnitOfWorkFactory[U], handlers: Mapping[type[Command[Any]], CommandHandler]) -> None:
        self.uow = uow
        self.handlers = dict(handlers)

    async def handle(self, command: Command[R], principal: Principal) -> R:
        """Run ``command``'s handler as ``principal`` in one unit of work and commit."""
        handler = self.handlers.get(type(command))
        if handler is None:
            raise UnknownCommand(f"no handler for {type(command).__name__}")
        async with self.uow(actor=principal.actor) as uow:
            result = await handler(uow, command, principal)
            await uow.commit()
        return result
