"""Extension objects shared by the core and the modules."""

from babel import support
from flask_babel import Babel, Domain, get_locale
from flask_login import LoginManager
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

# Stable constraint names keep every module's Alembic branch reproducible.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Declarative base of every table, core and module alike."""

    metadata = MetaData(naming_convention=NAMING)


db = SQLAlchemy(model_class=Base)
login_manager = LoginManager()
csrf = CSRFProtect()


class PortalDomain(Domain):
    """Loads catalogues stored as zh_CN although Babel names the locale zh_Hans_CN."""

    def get_translations(self):
        from flask_babel import _get_current_context

        ctx = _get_current_context()
        if ctx is None:
            return support.NullTranslations()
        locale = get_locale()
        cache = self.get_translations_cache(ctx)
        # Apps in one process may enable different modules: key by folders too.
        key = (str(locale), self.domain[0], tuple(self.translation_directories))
        if key not in cache:
            names = [str(locale)]
            if locale.territory:
                names.append(f"{locale.language}_{locale.territory}")
            translations = support.Translations()
            # Later catalogues win a shared msgid; the core's comes first in the
            # list, so it is merged last and keeps its own wording.
            for dirname in reversed(self.translation_directories):
                catalog = support.Translations.load(dirname, names, self.domain[0])
                translations.merge(catalog)
                if hasattr(catalog, "plural"):
                    translations.plural = catalog.plural
            cache[key] = translations
        return cache[key]


class PortalBabel(Babel):
    """Flask-Babel with the portal's catalogue lookup."""

    @property
    def domain_instance(self):
        # One domain per app: its cache keeps the parsed catalogues between
        # requests instead of reading them from disk on every request.
        domain = getattr(self, "_portal_domain", None)
        if domain is None:
            domain = self._portal_domain = PortalDomain(domain=self.domain)
        return domain


babel = PortalBabel()
