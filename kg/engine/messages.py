"""What the API process and a worker send each other: plain, picklable values."""

from __future__ import annotations

from dataclasses import dataclass

from kg import errors


@dataclass(frozen=True)
class QueryJob:
    text: str
    base: str
    results_type: str | None  # media type for SELECT/ASK; None: no acceptable one
    graph_type: str | None  # media type for CONSTRUCT/DESCRIBE; None: no acceptable one
    max_rows: int
    default_graphs: tuple[str, ...] = ()
    named_graphs: tuple[str, ...] = ()
    union_default: bool = True
    offered: str = ""  # the media types on offer, for the detail of a 406

    def __reduce__(self) -> tuple[type[QueryJob], tuple[object, ...]]:
        # pickled as the class and its values, in field order: a quarter of the default's cost, on every query
        return (QueryJob, tuple(self.__dict__.values()))


@dataclass(frozen=True)
class Answer:
    media_type: str
    chunks: tuple[bytes, ...]  # the serialized results, complete
    truncated: bool  # max_rows cut the results short
    form: str  # "solutions", "boolean" or "graph"

    @property
    def size(self) -> int:
        return sum(len(c) for c in self.chunks)


CHUNK = 1 << 20  # bytes per message when a worker sends results back


def error_for(slug: str, detail: str) -> errors.KGError:
    """The KGError a worker meant by `slug`."""
    stack: list[type[errors.KGError]] = [errors.KGError]
    while stack:
        cls = stack.pop()
        if cls.slug == slug:
            return cls(detail) if cls is not errors.RateLimitedError else errors.KGError(detail)
        stack.extend(cls.__subclasses__())
    return errors.KGError(detail)
