"""The licence catalogue, and resolution of recorded licence values to catalogue slugs.

`rules/licences.yaml` lists the licences a Flickr photo can carry (Flickr ids 0-16), with the
names and URLs each has been recorded under. `LicenceCatalogue.resolve` turns whatever a manifest
recorded (a Flickr id, a slug, a name, a URL, an SPDX id, an Openverse code) into a slug such as
`cc-by-nc-2.0`. Well-formed Creative Commons licences that Flickr never offered (1.0, 2.5, 3.0,
ports such as `by-nc/2.0/jp`) resolve to synthesised slugs (`cc-by-nc-2.0-jp`) derived from their
elements. A value that cannot be resolved is `UNKNOWN`: it is never guessed, because a wrong
licence is worse than a reported unknown one.
"""

from __future__ import annotations

import functools
import math
import numbers
import operator
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from auditor.errors import AuditorError
from auditor.resources import rules_dir

UNKNOWN: str = "unknown"

KINDS = ("all-rights-reserved", "creative-commons", "public-domain")

# The element strings Creative Commons actually published, per version. 1.0 had licences without
# BY and spelled "by-nd-nc" where later versions say "by-nc-nd"; from 2.0 on BY is always present.
# Anything else (e.g. "by-nd-nc" with 2.0) is not a licence, and elements are never reordered.
_CODES_1_0 = frozenset(
    {"by", "by-nd", "by-nd-nc", "by-nc", "by-nc-sa", "by-sa", "nd", "nd-nc", "nc", "nc-sa", "sa"}
)
_CODES_LATER = frozenset({"by", "by-sa", "by-nd", "by-nc", "by-nc-sa", "by-nc-nd"})
_VERSIONS = ("1.0", "2.0", "2.1", "2.5", "3.0", "4.0")
# Version 4.0 has no national ports; earlier versions do.
_PORTED_VERSIONS = frozenset({"1.0", "2.0", "2.1", "2.5", "3.0"})
# Ports are named by a short lowercase code (jp, de, uk, igo) or, for one 2.5 port, "scotland".
_JURISDICTION = r"(?:[a-z]{2,3}|scotland)"

_ELEMENT = r"(?:by|nc|nd|sa)"
# A synthesised slug, which is also the lower-cased form of a CC SPDX id: cc-by-nc-2.0-jp.
_SLUG_RE = re.compile(
    rf"cc-(?P<code>{_ELEMENT}(?:-{_ELEMENT})*)-(?P<version>\d\.\d)(?:-(?P<jur>{_JURISDICTION}))?"
)
# Names such as "CC BY-NC-SA 2.0", "CC-BY-NC 4.0", "CC BY-NC 2.0 (jp)", "CC BY 4.0 International",
# and Openverse-style "by-nc-nd 2.0" or "by-nc-nd/2". The version may be written "2" for "2.0".
_NAME_RE = re.compile(
    rf"(?:cc[ _-]?)?(?P<code>{_ELEMENT}(?:[ _-]{_ELEMENT})*)[ /_-]v?(?P<version>\d(?:\.\d)?)"
    rf"(?: \((?P<pjur>{_JURISDICTION})\)| (?P<jur>[a-z]{{2}}|igo|scotland))?"
    r"(?: (?:international|unported|generic))?"
)
# Creative Commons' long titles: "Attribution-NonCommercial-ShareAlike 2.0 Generic".
_LONG_ELEMENTS = {
    "attribution": "by",
    "noncommercial": "nc",
    "noderivs": "nd",
    "noderivatives": "nd",
    "sharealike": "sa",
}
_LONG_NAME_RE = re.compile(
    r"(?:creative commons )?(?P<words>[a-z]+(?:[ -][a-z]+)*) (?P<version>\d\.\d)"
    r"(?: (?:international|unported|generic))?(?: licen[cs]e)?"
)
# Tails of a CC URL that name a page of the same licence: deed, deed.en, legalcode, legalcode.de.
_URL_TAIL_RE = re.compile(r"(?:deed|legalcode)(?:\.[a-z]{2,3}(?:[-_][a-z0-9]+)*)?(?:\.txt|\.html)?")
_URL_SCHEME_RE = re.compile(r"^[a-z][a-z0-9+.-]*://")
_URL_LIKE_RE = re.compile(r"^(?:[a-z][a-z0-9+.-]*://|//|www\.)|^[a-z0-9-]+(?:\.[a-z0-9-]+)+/")
# Zendesk serves a help article under any locale and any title slug after its number.
_FLICKRHELP_ARR_RE = re.compile(r"flickrhelp\.com/hc/[a-z-]+/articles/10710266545556(?:-.*)?")
_INT_RE = re.compile(r"[+-]?\d{1,6}")
# "4.0": an id column that went through a float (pandas does that to an integer column with NaN).
_INTEGRAL_FLOAT_RE = re.compile(r"[+-]?\d{1,6}\.0+")
_VERSION_RE = re.compile(r"v?(\d)(?:\.(\d))?")
_PD_CODE_RE = re.compile(r"(?P<code>cc0|pdm)(?:[ /_-]v?(?P<version>\d(?:\.\d)?))?")
_MISSING_TEXT = frozenset({"", "\\n", "null", "none", "nan", "<na>"})
_MAX_TEXT = 2048

# SPDX ids whose lower-cased form is not the slug. SPDX calls by-nd-nc/1.0 "CC-BY-NC-ND-1.0".
_SPDX_SPECIAL = {"cc-by-nc-nd-1.0": "cc-by-nd-nc-1.0"}


@dataclass(frozen=True)
class Licence:
    """One licence: what it is called, where it is published, and which elements it has."""

    slug: str
    name: str
    url: str
    by: bool
    sa: bool
    nc: bool
    nd: bool
    kind: str  # all-rights-reserved | creative-commons | public-domain
    version: str | None
    flickr_id: int | None  # None for licences not in Flickr's catalogue (e.g. ported or 3.0 CC)
    jurisdiction: str | None = None
    spdx: str | None = None
    description: str = ""


def _collapse(text: str) -> str:
    """Lower-case and collapse runs of whitespace: the form names are compared in."""
    return " ".join(text.lower().split())


def _normalise_url(text: str) -> str:
    """Scheme, `www.`, query, fragment and trailing slashes removed; lower-cased."""
    url = _URL_SCHEME_RE.sub("", text.strip().lower())
    url = url.removeprefix("//").removeprefix("www.")
    url = url.split("#", 1)[0].split("?", 1)[0]
    return url.rstrip("/")


def _strip_url_tail(url: str) -> str:
    """`…/by/2.0/legalcode` → `…/by/2.0`; URLs without such a tail come back unchanged."""
    head, _, last = url.rpartition("/")
    if head and _URL_TAIL_RE.fullmatch(last):
        return head.rstrip("/")
    return url


def _normalise_version(version: object) -> str | None:
    """`2`, `2.0`, 2, 2.0 → "2.0"; `2.5` → "2.5"; anything else, or a missing value, → None."""
    if version is None or isinstance(version, bool):
        return None
    if isinstance(version, numbers.Integral):
        text = str(int(version))
    elif isinstance(version, numbers.Real):
        number = float(version)
        if not math.isfinite(number):
            return None
        text = str(int(number)) if number.is_integer() else repr(number)
    elif isinstance(version, str):
        text = version.strip().lower()
    else:
        return None
    match = _VERSION_RE.fullmatch(text)
    if match is None:
        return None
    return f"{match[1]}.{match[2] or '0'}"


def _is_missing(value: object) -> bool:
    """None, NaN, pd.NA, or an empty / NULL-like string: nothing was recorded."""
    if value is None or value is pd.NA:
        return True
    if isinstance(value, numbers.Real) and not isinstance(value, numbers.Integral):
        return math.isnan(float(value))
    return isinstance(value, str) and _collapse(value) in _MISSING_TEXT


def _describe(by: bool, sa: bool, nc: bool, nd: bool) -> str:
    """One sentence of what a CC licence with these elements allows."""
    what = "Allows sharing unaltered copies" if nd else "Allows copying and adapting"
    purpose = " for non-commercial purposes only," if nc else ", including commercially,"
    credit = " with credit to the author" if by else " with no credit required"
    tail = ""
    if nd:
        tail = "; adaptations may not be shared"
    elif sa:
        tail = ", and adaptations must be shared under the same licence"
    return f"{what}{purpose}{credit}{tail}."


class LicenceCatalogue:
    """Flickr's licences plus resolution of recorded values (ids, names, URLs, codes) to slugs."""

    def __init__(
        self,
        licences: Iterable[Licence],
        names: Mapping[str, str] | None = None,
        urls: Mapping[str, str] | None = None,
    ) -> None:
        """`names` and `urls` map aliases to slugs; they are normalised here."""
        self.licences: tuple[Licence, ...] = tuple(
            sorted(licences, key=lambda lic: -1 if lic.flickr_id is None else lic.flickr_id)
        )
        self._by_slug = {lic.slug: lic for lic in self.licences}
        self._by_id = {lic.flickr_id: lic for lic in self.licences if lic.flickr_id is not None}
        self._names: dict[str, str] = {}
        self._urls: dict[str, str] = {}
        self._spdx: dict[str, str] = dict(_SPDX_SPECIAL)
        for lic in self.licences:
            self._names[_collapse(lic.name)] = lic.slug
            if lic.url:
                self._urls[_strip_url_tail(_normalise_url(lic.url))] = lic.slug
            if lic.spdx:
                self._spdx[lic.spdx.lower()] = lic.slug
        for name, slug in (names or {}).items():
            self._names[_collapse(name)] = slug
        for url, slug in (urls or {}).items():
            self._urls[_strip_url_tail(_normalise_url(url))] = slug
        self._synthesised: dict[str, Licence] = {}
        # Manifests have millions of rows but few distinct licence values: resolve each once.
        self._resolve_text = functools.lru_cache(maxsize=1 << 16)(self._resolve_text_uncached)

    # -- lookup --------------------------------------------------------------------------------

    def get(self, slug: str) -> Licence | None:
        """The licence with this slug: a catalogue one or a well-formed synthesised CC one."""
        key = slug.strip().lower()
        found = self._by_slug.get(key)
        if found is not None:
            return found
        if key in self._synthesised:
            return self._synthesised[key]
        synthesised = self._synthesise_slug(key)
        # Only well-formed slugs are remembered, so junk looked up here cannot grow the cache.
        if synthesised is not None:
            self._synthesised[key] = synthesised
        return synthesised

    def by_flickr_id(self, licence_id: int | str) -> Licence | None:
        """The licence with this Flickr id (4, "4" or " 4 "), or None."""
        if isinstance(licence_id, str):
            text = licence_id.strip()
            return self._by_id.get(int(text)) if _INT_RE.fullmatch(text) else None
        if isinstance(licence_id, bool):  # True is not licence 1
            return None
        try:
            number = operator.index(licence_id)  # any integer type (numpy too), never a float
        except TypeError:
            return None
        return self._by_id.get(number)

    def table(self) -> pd.DataFrame:
        """One row per catalogue licence, in Flickr id order."""
        columns = ["id", "slug", "name", "by", "sa", "nc", "nd", "kind", "version", "spdx", "url"]
        rows = [
            [
                lic.flickr_id,
                lic.slug,
                lic.name,
                lic.by,
                lic.sa,
                lic.nc,
                lic.nd,
                lic.kind,
                lic.version,
                lic.spdx,
                lic.url,
            ]
            for lic in self.licences
        ]
        return pd.DataFrame(rows, columns=columns)

    # -- resolution ----------------------------------------------------------------------------

    def resolve(self, value: object) -> str:
        """The slug a recorded licence value stands for, or UNKNOWN. Never raises on junk."""
        if isinstance(value, str):
            # A licence value this long is some other column's text; do not fill the cache with it.
            return self._resolve_text(value) if len(value) <= _MAX_TEXT else UNKNOWN
        # bool is an int subclass, but True is not licence 1.
        if value is None or isinstance(value, bool):
            return UNKNOWN
        if isinstance(value, numbers.Integral):
            return self._slug_for_id(int(value))
        if isinstance(value, numbers.Real):
            number = float(value)
            if math.isfinite(number) and number.is_integer():
                return self._slug_for_id(int(number))
            return UNKNOWN
        if isinstance(value, bytes):
            return self.resolve(value.decode("utf-8", errors="replace"))
        # NaN-like objects (pd.NA, NaT), containers and anything else: nothing to resolve.
        return UNKNOWN

    def resolve_code(self, code: object, version: object) -> str:
        """An Openverse short code plus version (("by-nc-nd", "2") → cc-by-nc-nd-2.0), or UNKNOWN.

        A code without a version is UNKNOWN (the version changes the terms), except cc0 and pdm,
        which only exist as 1.0.
        """
        if not isinstance(code, str):
            return UNKNOWN
        key = _collapse(code).replace(" ", "-").replace("_", "-").removeprefix("cc-")
        norm_version = _normalise_version(version)
        if key in ("cc0", "pdm"):
            if norm_version == "1.0" or _is_missing(version):
                return "cc0-1.0" if key == "cc0" else "pdm-1.0"
            return UNKNOWN
        if norm_version is None:
            return UNKNOWN
        return self._cc_slug(key, norm_version, None)

    # -- internals -----------------------------------------------------------------------------

    def _slug_for_id(self, licence_id: int) -> str:
        found = self._by_id.get(licence_id)
        return UNKNOWN if found is None else found.slug

    def _cc_slug(self, code: str, version: str, jurisdiction: str | None) -> str:
        """The slug for CC elements + version (+ port) if CC published such a licence."""
        allowed = _CODES_1_0 if version == "1.0" else _CODES_LATER
        if code not in allowed or version not in _VERSIONS:
            return UNKNOWN
        if jurisdiction is not None and version not in _PORTED_VERSIONS:
            return UNKNOWN
        slug = f"cc-{code}-{version}" + (f"-{jurisdiction}" if jurisdiction else "")
        return slug if self.get(slug) is not None else UNKNOWN

    def _synthesise_slug(self, key: str) -> Licence | None:
        match = _SLUG_RE.fullmatch(key)
        if match is None:
            return None
        code, version, jur = match["code"], match["version"], match["jur"]
        allowed = _CODES_1_0 if version == "1.0" else _CODES_LATER
        if code not in allowed or version not in _VERSIONS:
            return None
        if jur is not None and version not in _PORTED_VERSIONS:
            return None
        elements = set(code.split("-"))
        by, sa, nc, nd = ("by" in elements, "sa" in elements, "nc" in elements, "nd" in elements)
        spdx = None
        # SPDX lists every unported BY licence, but only some ports: do not invent port ids.
        if jur is None and by and version != "2.1":
            spdx_code = "by-nc-nd" if code == "by-nd-nc" else code
            spdx = f"CC-{spdx_code.upper()}-{version}"
        name = f"CC {code.upper()} {version}" + (f" ({jur})" if jur else "")
        url = f"https://creativecommons.org/licenses/{code}/{version}/" + (f"{jur}/" if jur else "")
        return Licence(
            slug=key,
            name=name,
            url=url,
            by=by,
            sa=sa,
            nc=nc,
            nd=nd,
            kind="creative-commons",
            version=version,
            flickr_id=None,
            jurisdiction=jur,
            spdx=spdx,
            description=_describe(by, sa, nc, nd),
        )

    def _resolve_text_uncached(self, raw: str) -> str:
        text = _collapse(raw)
        # Empty, "\N" (PostgreSQL NULL), "null", "none": nothing was recorded, which is not the
        # same as "all rights reserved". They fall through every rule below to UNKNOWN.
        if not text:
            return UNKNOWN
        if _INT_RE.fullmatch(text) or _INTEGRAL_FLOAT_RE.fullmatch(text):
            return self._slug_for_id(int(float(text)))
        found = self.get(text)
        if found is not None:
            return found.slug
        if text in self._spdx:
            return self._spdx[text]
        if text in self._names:
            return self._names[text]
        if _URL_LIKE_RE.search(text):
            return self._resolve_url(text)
        return self._resolve_name(text)

    def _resolve_url(self, text: str) -> str:
        url = _normalise_url(text)
        if url in self._urls:
            return self._urls[url]
        url = _strip_url_tail(url)
        if url in self._urls:
            return self._urls[url]
        if _FLICKRHELP_ARR_RE.fullmatch(url):
            return "all-rights-reserved"
        host, _, path = url.partition("/")
        if host != "creativecommons.org":
            return UNKNOWN
        parts = path.split("/")
        if parts[:1] == ["publicdomain"] and len(parts) == 3 and parts[2] == "1.0":
            return {"zero": "cc0-1.0", "mark": "pdm-1.0"}.get(parts[1], UNKNOWN)
        if parts[:1] == ["licenses"] and len(parts) in (3, 4):
            code, version = parts[1], parts[2]
            jurisdiction = parts[3] if len(parts) == 4 else None
            if jurisdiction is not None and not re.fullmatch(_JURISDICTION, jurisdiction):
                return UNKNOWN
            return self._cc_slug(code, version, jurisdiction)
        return UNKNOWN

    def _resolve_name(self, text: str) -> str:
        match = _NAME_RE.fullmatch(text)
        if match is not None:
            code = re.sub(r"[ _]", "-", match["code"])
            version = _normalise_version(match["version"])
            if version is None:
                return UNKNOWN
            return self._cc_slug(code, version, match["pjur"] or match["jur"])
        match = _LONG_NAME_RE.fullmatch(text)
        if match is not None:
            words = re.split(r"[ -]", match["words"])
            if all(word in _LONG_ELEMENTS for word in words):
                code = "-".join(_LONG_ELEMENTS[word] for word in words)
                return self._cc_slug(code, match["version"], None)
            return UNKNOWN
        # "cc0", "pdm 1.0", "PDM/1": only these have a single version, so they may omit it.
        match = _PD_CODE_RE.fullmatch(text)
        if match is not None:
            return self.resolve_code(match["code"], match["version"])
        return UNKNOWN


# -- loading -------------------------------------------------------------------------------------


def _load_yaml(path: Path) -> Any:
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        with path.open(encoding="utf-8") as handle:
            return yaml.load(handle, Loader=loader)  # a safe loader: CSafeLoader or SafeLoader
    except OSError as error:
        raise AuditorError(f"{path}: cannot read the licence catalogue ({error})") from error
    except yaml.YAMLError as error:
        raise AuditorError(f"{path}: not valid YAML ({error}); fix the file") from error


def _field(entry: Mapping[str, Any], key: str, kind: type | tuple[type, ...], where: str) -> Any:
    if key not in entry:
        raise AuditorError(f"{where}: missing `{key}`; add it (see the header of the file)")
    value = entry[key]
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise AuditorError(f"{where}: `{key}` is {value!r}; fix its type (see the file header)")
    return value


def _parse_catalogue(data: Any, path: Path) -> LicenceCatalogue:
    if not isinstance(data, dict) or not isinstance(data.get("licences"), list):
        raise AuditorError(f"{path}: expected a top-level `licences:` list; restore the file")
    licences: list[Licence] = []
    names: dict[str, str] = {}
    urls: dict[str, str] = {}
    seen_ids: set[int] = set()
    for index, entry in enumerate(data["licences"]):
        where = f"{path}: licence #{index + 1}"
        if not isinstance(entry, dict):
            raise AuditorError(f"{where}: expected a mapping; fix the entry")
        flickr_id = _field(entry, "id", int, where)
        slug = _field(entry, "slug", str, where)
        where = f"{path}: licence {slug!r}"
        if flickr_id in seen_ids or any(lic.slug == slug for lic in licences):
            raise AuditorError(f"{where}: id {flickr_id} or slug repeated; make both unique")
        seen_ids.add(flickr_id)
        kind = _field(entry, "kind", str, where)
        if kind not in KINDS:
            raise AuditorError(f"{where}: kind {kind!r} is not one of {', '.join(KINDS)}")
        version = _field(entry, "version", (str, type(None)), where)
        spdx = _field(entry, "spdx", (str, type(None)), where)
        licence = Licence(
            slug=slug,
            name=_field(entry, "name", str, where),
            url=_field(entry, "url", str, where),
            by=_field(entry, "by", bool, where),
            sa=_field(entry, "sa", bool, where),
            nc=_field(entry, "nc", bool, where),
            nd=_field(entry, "nd", bool, where),
            kind=kind,
            version=version,
            flickr_id=flickr_id,
            jurisdiction=None,
            spdx=spdx,
            description=str(entry.get("description") or "").strip(),
        )
        licences.append(licence)
        for alias_key, table, normalise in (
            ("names", names, _collapse),
            ("urls", urls, lambda u: _strip_url_tail(_normalise_url(u))),
        ):
            aliases = entry.get(alias_key) or []
            if not isinstance(aliases, list) or not all(isinstance(a, str) for a in aliases):
                raise AuditorError(f"{where}: `{alias_key}` must be a list of strings")
            for alias in aliases:
                other = table.get(normalise(alias))
                if other is not None and other != slug:
                    raise AuditorError(
                        f"{where}: alias {alias!r} also belongs to {other!r}; keep it in one"
                    )
                table[normalise(alias)] = slug
    return LicenceCatalogue(licences, names=names, urls=urls)


@functools.lru_cache(maxsize=1)
def _default_catalogue() -> LicenceCatalogue:
    path = rules_dir() / "licences.yaml"
    return _parse_catalogue(_load_yaml(path), path)


def load_catalogue(path: Path | None = None) -> LicenceCatalogue:
    """The catalogue in `path`, or the shipped `rules/licences.yaml` (loaded once) if None."""
    if path is None:
        return _default_catalogue()
    return _parse_catalogue(_load_yaml(Path(path)), Path(path))
