"""A package's names imported on first use (PEP 562 module `__getattr__`).

A package lists each public name with the module it comes from; nothing is imported until a name
is first read, then the value is kept in the package so later reads are plain look-ups. This
keeps `import surge` (and every `surge.*` package import) light and free of side effects. mypy
sees the names through the package's `if TYPE_CHECKING:` imports, not through this.
"""

import importlib
from collections.abc import Callable, Collection, Mapping
from typing import Any


def lazy_getattr(
    namespace: dict[str, Any], sources: Mapping[str, str], submodules: Collection[str] = ()
) -> Callable[[str], Any]:
    """The `__getattr__` of the package whose `globals()` is `namespace`: `sources` maps a name to
    its module, or to `module:attribute` where the name differs; each of `submodules` is the
    package's submodule of that name (`surge.checks`)."""
    package = namespace["__name__"]

    def __getattr__(name: str) -> Any:
        if name in submodules:
            return importlib.import_module(f"{package}.{name}")
        source = sources.get(name)
        if source is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        module_name, _, attribute = source.partition(":")
        value = getattr(importlib.import_module(module_name), attribute or name)
        namespace[name] = value
        return value

    return __getattr__
