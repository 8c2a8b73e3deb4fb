"""Where the heavy work runs: in this process (``local``) or partitioned on a Dask cluster (``dask``).

An engine has ``map(function, items)``, the results in the order of ``items``, and a distributed one also
``stream(function, items)``, the same results yielded as they arrive. The Dask engine sends
each item to a worker of a ``dask.distributed`` cluster, one you name by its scheduler address or a
``LocalCluster`` it starts on this machine. Work is split so that the result is the same as the local engine's:
texts are encoded in chunks that keep the encoder's batches unchanged.
"""
from __future__ import annotations

from itertools import islice
from typing import Callable, Iterable

from .errors import ConfigError

ENGINES = ("local", "dask")


class LocalEngine:
    name = "local"

    def map(self, function: Callable, items: Iterable) -> list:
        return [function(item) for item in items]

    def close(self) -> None:
        pass


class ProcessEngine:
    """Partitions on ``workers`` processes of this machine (:mod:`concurrent.futures`), for work that is pure
    Python and so cannot use a second core from threads: writing listings. Workers come from a fork server, a clean
    process started once, so they neither inherit this process's threads nor re-import everything."""

    name = "processes"

    def __init__(self, workers: int, *, initializer: Callable | None = None, initargs: tuple = ()):
        """The workers start at once, each running ``initializer(*initargs)`` first, so that their start overlaps
        whatever the caller does before handing them work."""
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        method = "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else "spawn"
        context = multiprocessing.get_context(method)
        if method == "forkserver":
            context.set_forkserver_preload(["sellglobal.listings.generate"])
        self.workers = workers
        self._pool = ProcessPoolExecutor(max_workers=workers, mp_context=context, initializer=initializer,
                                         initargs=initargs)
        # a pool starts a process per submitted task while none is idle: one no-op each starts them all now
        for _ in range(workers):
            self._pool.submit(_nothing)

    def map(self, function: Callable, items: Iterable) -> list:
        return list(self.stream(function, items))

    def stream(self, function: Callable, items: Iterable):
        """Results in the order of ``items``, each as soon as it and those before it are done; every item is queued
        at once, so the workers never wait for the caller."""
        from concurrent.futures.process import BrokenProcessPool

        try:
            yield from self._pool.map(function, items)
        except BrokenProcessPool:
            raise ConfigError("the worker processes stopped before finishing; if you call sellglobal from a script, "
                              "put the call under if __name__ == \"__main__\": (the workers import the script), or "
                              "pass workers=1") from None

    def close(self) -> None:
        self._pool.shutdown()


def _nothing() -> None:
    pass


class DaskEngine:
    """Partitions on dask.distributed. ``scheduler``: an address such as ``tcp://10.0.0.5:8786``; None starts a
    LocalCluster with ``n_workers`` single-threaded worker processes."""

    name = "dask"

    def __init__(self, scheduler: str | None = None, *, n_workers: int = 2):
        try:
            from distributed import Client, LocalCluster
        except ImportError:
            raise ConfigError("--engine dask needs dask.distributed: pip install 'sellglobal[dask]'") from None
        self._cluster = None
        if scheduler:
            try:
                self.client = Client(scheduler, timeout="20s")
            except OSError as exc:
                raise ConfigError(f"--scheduler {scheduler}: cannot reach it ({exc})") from None
        else:
            self._cluster = LocalCluster(n_workers=n_workers, threads_per_worker=1, processes=True,
                                         dashboard_address=None)
            self.client = Client(self._cluster)

    def map(self, function: Callable, items: Iterable) -> list:
        items = list(items)
        if not items:
            return []
        return self.client.gather(self.client.map(function, items, pure=False))

    def stream(self, function: Callable, items: Iterable, batch: int = 8):
        """Results in the order of ``items``, ``batch`` items sent at a time, so that a large run does not ship all
        its data to the cluster at once."""
        items = iter(items)
        while chunk := list(islice(items, batch)):
            yield from self.map(function, chunk)

    def close(self) -> None:
        self.client.close()
        if self._cluster is not None:
            self._cluster.close()


def is_distributed(engine) -> bool:
    """True for an engine that sends work elsewhere (None and the local engine run it here)."""
    return engine is not None and getattr(engine, "name", "local") != "local"


def get_engine(name: str | None = None, scheduler: str | None = None):
    """``local`` (default) or ``dask``; an engine object is returned as it is."""
    if name is None or name == "local":
        if scheduler:
            raise ConfigError("--scheduler needs --engine dask")
        return LocalEngine()
    if name == "dask":
        return DaskEngine(scheduler)
    if hasattr(name, "map"):
        return name
    raise ConfigError(f"unknown engine {name!r}; use one of {', '.join(ENGINES)}")
