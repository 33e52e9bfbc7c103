"""A package's names imported on first use (PEP 562 module `__getattr__`).

A package lists each public name with the module it comes from; nothing is imported until a name
is first read, then the value is kept in the package so later reads are plain look-ups. This
keeps `import surge` (and every `surge.*` package import) light and free of side effects. mypy
sees the names through the package's `if TYPE_CHECKING:` imports, not through this.
"""

import importlib
from collections.abc import Callable, Mapping
from typing import Any


def lazy_getattr(namespace: dict[str, Any], sources: Mapping[str, str]) -> Callable[[str], Any]:
    """The `__getattr__` of the package whose `globals()` is `namespace`: `sources` maps a name to
    its module, or to `module:attribute` where the name differs. A name that is the package's
    own submodule (`"checks": "surge.checks"`) is that module, as after `import surge.checks`."""
    package = namespace["__name__"]

    def __getattr__(name: str) -> Any:
        source = sources.get(name)
        if source is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        module_name, _, attribute = source.partition(":")
        module = importlib.import_module(module_name)
        if module_name == f"{package}.{name}":
            value: Any = module
        else:
            value = getattr(module, attribute or name)
        namespace[name] = value
        return value

    return __getattr__
