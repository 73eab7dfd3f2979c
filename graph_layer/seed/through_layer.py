"""Write synthetic threads through ``Neo4jDataLayer``'s own methods (the real write path)."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from chainlit.types import Feedback
from chainlit.user import User

from graph_layer.layer import Neo4jDataLayer
from graph_layer.seed.synth import ThreadSpec, UserSpec
from graph_layer.seed.window import TaskWindow


async def create_users(layer: Neo4jDataLayer, users: list[UserSpec]) -> dict[str, str]:
    """Create the users; return identifier -> the id the layer gave each."""
    ids: dict[str, str] = {}
    for spec in users:
        user = await layer.create_user(
            User(identifier=spec.identifier, display_name=spec.display_name,
                 metadata=spec.metadata)
        )
        assert user is not None
        ids[spec.identifier] = user.id
    return ids


async def write_thread(layer: Neo4jDataLayer, spec: ThreadSpec, user_id: str) -> None:
    """One thread as Chainlit writes it: first-interaction update_thread, the steps in order,
    elements, feedback, then the metadata written on disconnect."""
    await layer.update_thread(spec.id, name=spec.name, user_id=user_id, tags=spec.tags)
    for step in spec.steps:
        await layer.create_step(step)  # type: ignore[arg-type]
    for element in spec.elements:
        await layer.create_element(element)  # type: ignore[arg-type]
    for fb in spec.feedback:
        await layer.upsert_feedback(Feedback(id=fb["id"], forId=fb["forId"],
                                             threadId=fb["threadId"], value=fb["value"],
                                             comment=fb["comment"]))
    await layer.update_thread(spec.id, metadata=spec.metadata)


async def write_threads(
    layer: Neo4jDataLayer,
    threads: Iterable[ThreadSpec],
    user_ids: dict[str, str],
    *,
    concurrency: int = 8,
    on_thread: Callable[[ThreadSpec], None] | None = None,
) -> None:
    """Write threads concurrently (at most ``concurrency`` at a time); call ``on_thread`` after
    each. Must run inside a Chainlit context (the queued methods read ``context.session``)."""

    async def one(spec: ThreadSpec) -> None:
        await write_thread(layer, spec, user_ids[spec.user.identifier])
        if on_thread is not None:
            on_thread(spec)

    async with TaskWindow(concurrency) as window:
        for spec in threads:
            await window.add(one(spec))
