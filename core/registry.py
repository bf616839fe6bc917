"""The module contract and the registry that finds, orders and loads modules.

A module is a package whose ``__init__.py`` declares ``module = MyModule()``,
an instance of a ``Module`` subclass. The registry finds module packages in
the ``modules`` package and in the ``zhuzhou_portal.modules`` entry-point group,
imports only the enabled ones (and what they depend on), orders them by
``depends`` and calls their hooks. A disabled module is never imported, so it
has no tables, menu entries, routes or jobs.
"""

import importlib
import logging
import pkgutil
from importlib import metadata
from pathlib import Path

log = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "zhuzhou_portal.modules"


class ModuleError(Exception):
    """A module that is unknown, missing a dependency or part of a cycle."""


class Module:
    """Base class of a module manifest; subclasses override the hooks they need."""

    name: str = ""
    title = ""
    version: str = "0.0.0"
    depends: tuple[str, ...] = ()
    # Short permission names mapped to their (lazily translated) labels; the
    # registry qualifies them as "<module>.<permission>".
    permissions: dict = {}

    @property
    def package(self) -> str:
        """The import path of the module's package."""
        return type(self).__module__

    @property
    def path(self) -> Path:
        """The folder of the module's package."""
        return Path(importlib.import_module(self.package).__file__).parent

    @property
    def url_name(self) -> str:
        """The module's name as it appears in URLs."""
        return self.name.replace("_", "-")

    def qualified_permissions(self) -> dict:
        """Permissions as "<module>.<permission>" mapped to labels."""
        return {f"{self.name}.{key}": label for key, label in self.permissions.items()}

    # Hooks: each is called once per app, in dependency order.

    def import_models(self) -> None:
        """Import the module's models so their tables join the metadata."""

    def register_admin(self, admin, app) -> None:
        """Add the module's portal views to the admin."""

    def register_api(self, app) -> None:
        """Register the module's API blueprint(s) under /api/v1/<url_name>/."""

    def jobs(self) -> list:
        """The module's scheduled jobs (core.jobs.Job)."""
        return []

    def reports(self) -> list:
        """The module's reports (core.reports.Report)."""
        return []

    def due_items(self, user, today) -> list:
        """Items waiting on `user` for the dashboard (core.dashboard.DueItem)."""
        return []

    def importers(self) -> list:
        """The module's registry imports from XLSX (core.imports.Importer)."""
        return []

    def load_demo(self) -> None:
        """Add the module's demo data (called after the core's)."""

    def translations_dir(self) -> Path | None:
        """The module's translation catalogue folder, if it has one."""
        folder = self.path / "translations"
        return folder if folder.is_dir() else None

    def migrations_dir(self) -> Path | None:
        """The module's Alembic script folder, if it has one."""
        folder = self.path / "migrations"
        return folder if folder.is_dir() else None

    def __repr__(self) -> str:
        return f"<Module {self.name} {self.version}>"


def available_modules() -> dict[str, str]:
    """Every module that could be enabled, mapped to where it is found."""
    import modules as builtin

    found = {}
    for info in pkgutil.iter_modules(builtin.__path__):
        if info.ispkg:
            found[info.name] = f"modules.{info.name}"
    for entry in metadata.entry_points(group=ENTRY_POINT_GROUP):
        found.setdefault(entry.name, entry.value)
    return found


def _load_manifest(name: str, where: str) -> Module:
    package_name, _, attribute = where.partition(":")
    package = importlib.import_module(package_name)
    manifest = getattr(package, attribute or "module", None)
    if not isinstance(manifest, Module):
        raise ModuleError(f"module '{name}' ({where}) declares no Module manifest")
    if manifest.name != name:
        raise ModuleError(f"module found as '{name}' calls itself '{manifest.name}'")
    return manifest


def resolve(enabled: list[str] | None) -> list[Module]:
    """Load the enabled modules and their dependencies, ordered by `depends`."""
    available = available_modules()
    wanted = list(available) if enabled is None else list(enabled)

    unknown = [name for name in wanted if name not in available]
    if unknown:
        raise ModuleError(
            f"unknown module(s) in ENABLED_MODULES: {', '.join(unknown)} "
            f"(available: {', '.join(sorted(available)) or 'none'})"
        )

    manifests: dict[str, Module] = {}
    queue = list(wanted)
    while queue:
        name = queue.pop(0)
        if name in manifests:
            continue
        manifests[name] = _load_manifest(name, available[name])
        for dependency in manifests[name].depends:
            if dependency not in available:
                raise ModuleError(
                    f"module '{name}' depends on '{dependency}', which is not installed"
                )
            queue.append(dependency)

    ordered: list[Module] = []
    state: dict[str, str] = {}

    def visit(name: str, trail: list[str]) -> None:
        if state.get(name) == "done":
            return
        if state.get(name) == "visiting":
            cycle = " -> ".join(trail[trail.index(name) :] + [name])
            raise ModuleError(f"module dependency cycle: {cycle}")
        state[name] = "visiting"
        for dependency in manifests[name].depends:
            visit(dependency, trail + [name])
        state[name] = "done"
        ordered.append(manifests[name])

    for name in sorted(manifests):
        visit(name, [])
    return ordered


class Registry:
    """The modules loaded into one app, in dependency order."""

    def __init__(self, modules: list[Module]):
        self.modules = modules
        self.by_name = {m.name: m for m in modules}

    def __iter__(self):
        return iter(self.modules)

    def __contains__(self, name: str) -> bool:
        return name in self.by_name

    def all_permissions(self) -> dict:
        """Every permission declared by the core and the enabled modules."""
        from core.permissions import CORE_PERMISSIONS

        permissions = dict(CORE_PERMISSIONS)
        for module in self.modules:
            permissions.update(module.qualified_permissions())
        return permissions

    def jobs(self) -> list:
        """Jobs of the core and every enabled module."""
        from core.jobs import core_jobs

        jobs = list(core_jobs())
        for module in self.modules:
            jobs.extend(module.jobs())
        return jobs

    def reports(self) -> list:
        """Reports of every enabled module."""
        reports = []
        for module in self.modules:
            reports.extend(module.reports())
        return reports

    def importers(self) -> list:
        """Registry imports of the core and every enabled module."""
        from core.organisation_import import core_importers

        found = list(core_importers())
        for module in self.modules:
            found.extend(module.importers())
        return found
