"""How big and how often: one object the suites read, built from the command line."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

FULL_SIZES = (1_000, 10_000, 100_000)


@dataclass(frozen=True)
class Settings:
    """Sizes and repeat counts of one bench run.

    Attributes:
        sizes: bulk sizes (sessions per store); each backend stops at its own cap too.
        max_sessions: cap on every bulk size (``--max-sessions``).
        repeats: repeats of a short timing (best of), both sides alike.
        process_repeats: repeats of a whole-process timing.
        git_files: files in the generated git repository.
        concurrent_scale: fraction of each backend's concurrent saves per writer.
        s3_sessions: sessions in the S3 batch figures.
        migrate_sizes: store sizes of the migrate memory figure.
        quick: the smoke mode of the tests: everything tiny, figures meaningless.
    """

    sizes: tuple[int, ...] = FULL_SIZES
    max_sessions: int = 100_000
    repeats: int = 15
    process_repeats: int = 10
    git_files: int = 2_000
    concurrent_scale: float = 1.0
    s3_sessions: int = 1_000
    migrate_sizes: tuple[int, ...] = (10_000, 100_000)
    quick: bool = False
    extra: dict[str, Any] = field(default_factory=dict)

    def bulk_sizes(self, backend_cap: int) -> list[int]:
        cap = min(self.max_sessions, backend_cap if not self.quick else self.max_sessions)
        return [n for n in self.sizes if n <= cap]

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def quick(max_sessions: int = 50) -> Settings:
    """The smoke mode: every suite runs once with tiny sizes (for tests, not for figures)."""
    return Settings(
        sizes=(max_sessions,),
        max_sessions=max_sessions,
        repeats=2,
        process_repeats=2,
        git_files=50,
        concurrent_scale=0.1,
        s3_sessions=max_sessions,
        migrate_sizes=(max_sessions // 2, max_sessions),
        quick=True,
    )
