#!/usr/bin/env python3
"""Offline schema check of Terraform files.

`terraform validate` needs the provider binaries, which these machines cannot download. This
tool checks what validate would catch about names: every resource / data source type, argument
and block, and every required argument, against the hashicorp/aws provider schema as shipped in
the npm package @cdktf/provider-aws (generated bindings of hashicorp/aws 6.25.0).

How the schema is read from that package (one folder per type, `lib/<name>/`):
  - index.d.ts declares the class with `tfResourceType = "aws_..."` and one TypeScript interface
    per block (`<Class>Config` for the top level, `<Class><Block>` for nested blocks). Each
    property carries a doc link ending in `#<terraform_name>`; a property without `?` is
    required.
  - index.js has `synthesizeHclAttributes()` (top level) and `<fn>ToHclTerraform(struct)`
    (nested blocks) which list every Terraform name with `isBlock: true|false`; a block entry
    names the function of its nested block.

Resources of other providers are checked against small built-in schemas (RANDOM_SCHEMAS,
BUILTIN_SCHEMAS); any other provider is reported, so nothing goes unchecked silently. Calls of
local modules are checked against the module's `variable` blocks.

Usage: tf_schema_check.py [--cache-dir DIR] PATH...   (PATH: .tf file or directory)
Prints `file:line: message` per problem; exits 1 when there are problems, 2 on setup errors.
"""

from __future__ import annotations

import argparse
import base64
import difflib
import hashlib
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import hcl2
from lark import Token, Tree
from lark.exceptions import UnexpectedInput

CDKTF_PACKAGE = "@cdktf/provider-aws"
CDKTF_VERSION = "21.22.1"  # generated from hashicorp/aws 6.25.0
CDKTF_INTEGRITY = (
    "sha512-BuSHeaQFUL9l33pBzIMRT7cTQ69AM2mLtijjteCPhVQRmvuhuj9Lvfymf7knAMhYqAT6+Lrls9jiGVW/Us3zrQ=="
)
REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_CACHE_DIR = REPO_ROOT / ".cache"


class SetupError(Exception):
    """The provider package could not be fetched, verified or read."""


# --------------------------------------------------------------------------- schema model


@dataclass
class BlockSchema:
    """Names allowed in one block: arguments and nested blocks, with their required flags."""

    arguments: dict[str, bool] = field(default_factory=dict)  # name -> required
    blocks: dict[str, tuple["BlockSchema", bool]] = field(default_factory=dict)  # name -> (schema, required)


def _schema(required: list[str], optional: list[str]) -> BlockSchema:
    args = {n: True for n in required}
    args.update({n: False for n in optional})
    return BlockSchema(arguments=args)


# hashicorp/random 3.x, from the provider's documentation of the resources (arguments only).
_RANDOM_STRING_ARGS = [
    "keepers", "lower", "min_lower", "min_numeric", "min_special", "min_upper", "number",
    "numeric", "override_special", "special", "upper",
]
RANDOM_SCHEMAS: dict[str, BlockSchema] = {
    "random_password": _schema(["length"], _RANDOM_STRING_ARGS),
    "random_string": _schema(["length"], _RANDOM_STRING_ARGS),
    "random_id": _schema(["byte_length"], ["keepers", "prefix"]),
    "random_uuid": _schema([], ["keepers"]),
    "random_integer": _schema(["min", "max"], ["keepers", "seed"]),
}
# Resources built into Terraform itself.
BUILTIN_SCHEMAS: dict[str, BlockSchema] = {
    "terraform_data": _schema([], ["input", "triggers_replace"]),
}

RESOURCE_META_ARGS = {"count", "for_each", "provider", "depends_on"}
RESOURCE_META_BLOCKS = {"lifecycle", "provisioner", "connection"}
DATA_META_BLOCKS = {"lifecycle"}
MODULE_META_ARGS = {"source", "version", "count", "for_each", "providers", "depends_on"}
TOP_LEVEL_SKIPPED = {"terraform", "provider", "variable", "output", "locals", "check", "moved", "import", "removed"}

# --------------------------------------------------------------------------- provider package


def ensure_provider_package(cache_dir: Path = DEFAULT_CACHE_DIR) -> Path:
    """Return the unpacked `package/` folder, downloading and verifying it on first use."""
    unpacked = cache_dir / f"cdktf-provider-aws-{CDKTF_VERSION}"
    package = unpacked / "package"
    if (package / "package.json").is_file():
        return package
    tarball = cache_dir / "npm" / f"cdktf-provider-aws-{CDKTF_VERSION}.tgz"
    if not tarball.is_file() or not _integrity_ok(tarball):
        _npm_pack(tarball)
    if not _integrity_ok(tarball):
        tarball.unlink(missing_ok=True)
        raise SetupError(f"{tarball}: checksum differs from the pinned npm integrity {CDKTF_INTEGRITY}")
    # Unpack next to the final place and rename, so a parallel run never sees half a tree.
    tmp = Path(tempfile.mkdtemp(prefix="cdktf-", dir=cache_dir))
    try:
        members = ["--wildcards", "package/package.json", "package/lib/*/index.js", "package/lib/*/index.d.ts"]
        subprocess.run(["tar", "-xzf", str(tarball), "-C", str(tmp), *members], check=True)
        if unpacked.is_dir():  # left half-done by an interrupted run
            shutil.rmtree(unpacked)
        try:
            tmp.rename(unpacked)
        except OSError:
            if not (package / "package.json").is_file():  # lost a race only if the other run won
                raise
    except (OSError, subprocess.CalledProcessError) as err:
        raise SetupError(f"cannot unpack {tarball}: {err}") from err
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return package


def _integrity_ok(tarball: Path) -> bool:
    digest = hashlib.sha512(tarball.read_bytes()).digest()
    return "sha512-" + base64.b64encode(digest).decode() == CDKTF_INTEGRITY


def _npm_pack(tarball: Path) -> None:
    tarball.parent.mkdir(parents=True, exist_ok=True)
    spec = f"{CDKTF_PACKAGE}@{CDKTF_VERSION}"
    try:
        subprocess.run(
            ["npm", "pack", spec, "--silent", "--pack-destination", str(tarball.parent)],
            check=True, stdout=subprocess.DEVNULL,
        )
    except (OSError, subprocess.CalledProcessError) as err:
        raise SetupError(f"npm pack {spec} failed: {err}") from err


class ProviderSchema:
    """Lazily reads the schema of one `aws_*` type at a time from the cdktf package."""

    _ENTRY = re.compile(
        r"^\s+(\w+): \{\n\s+value: ([\s\S]*?),\n\s+isBlock: (true|false),\n\s+type: \"(\w+)\",",
        re.M,
    )
    _NESTED_FN = re.compile(r"(?<![.\w])([a-z]\w*)ToHclTerraform\b")
    _DOC_PROP = re.compile(r"/\*\*((?:(?!\*/)[\s\S])*)\*/\s*readonly (\w+)(\?)?:")
    _ANCHOR = re.compile(r"#(\w+) [\w.]+#\w+\}")

    def __init__(self, package_dir: Path) -> None:
        self.lib = package_dir / "lib"
        self._cache: dict[tuple[str, str], BlockSchema | None] = {}
        self._type_index: dict[str, Path] | None = None

    def get(self, kind: str, tf_type: str) -> BlockSchema | None:
        """Schema of a `resource` or `data` type, or None when the provider has no such type."""
        key = (kind, tf_type)
        if key not in self._cache:
            folder = self._folder(kind, tf_type)
            self._cache[key] = self._read(folder) if folder else None
        return self._cache[key]

    def _folder(self, kind: str, tf_type: str) -> Path | None:
        stem = tf_type.removeprefix("aws_").replace("_", "-")
        guess = self.lib / (f"data-aws-{stem}" if kind == "data" else stem)
        if self._declared_type(guess) == (kind, tf_type):
            return guess
        if self._type_index is None:  # unusual folder name: index every type once
            self._type_index = {}
            for d in sorted(self.lib.iterdir()):
                declared = self._declared_type(d)
                if declared:
                    self._type_index[f"{declared[0]}:{declared[1]}"] = d
        return self._type_index.get(f"{kind}:{tf_type}")

    @staticmethod
    def _declared_type(folder: Path) -> tuple[str, str] | None:
        dts = folder / "index.d.ts"
        if not dts.is_file():
            return None
        text = dts.read_text(encoding="utf-8")
        m = re.search(r'static readonly tfResourceType = "(\w+)"', text)
        if not m:
            return None
        kind = "data" if re.search(r"extends cdktf\.TerraformDataSource\b", text) else "resource"
        return kind, m.group(1)

    def _read(self, folder: Path) -> BlockSchema:
        js = (folder / "index.js").read_text(encoding="utf-8")
        dts = (folder / "index.d.ts").read_text(encoding="utf-8")
        optional = self._interfaces(dts)
        cls = re.search(r"export declare class (\w+) extends cdktf\.Terraform(?:Resource|DataSource)\b", dts)
        if not cls:
            raise SetupError(f"{folder}/index.d.ts: no resource class found")
        body = self._body(js, "synthesizeHclAttributes() {", "\n    }\n", folder)
        return self._block(js, body, optional.get(cls.group(1) + "Config", {}), optional, folder)

    def _block(self, js: str, body: str, props: dict[str, bool], optional: dict, folder: Path) -> BlockSchema:
        schema = BlockSchema()
        for name, value, is_block, _type in self._ENTRY.findall(body):
            required = not props.get(name, True)
            if is_block == "true":
                fn = self._NESTED_FN.search(value)
                if not fn:
                    raise SetupError(f"{folder}/index.js: block {name} names no nested function")
                nested_body = self._body(js, f"function {fn.group(1)}ToHclTerraform(struct) {{", "\n}\n", folder)
                iface = fn.group(1)[0].upper() + fn.group(1)[1:]
                nested = self._block(js, nested_body, optional.get(iface, {}), optional, folder)
                schema.blocks[name] = (nested, required)
            else:
                schema.arguments[name] = required
        return schema

    @staticmethod
    def _body(js: str, start: str, end: str, folder: Path) -> str:
        i = js.find(start)
        if i < 0:
            raise SetupError(f"{folder}/index.js: '{start}' not found")
        j = js.find(end, i)
        return js[i : j if j >= 0 else len(js)]

    def _interfaces(self, dts: str) -> dict[str, dict[str, bool]]:
        """interface name -> {terraform name -> optional?} from index.d.ts."""
        result: dict[str, dict[str, bool]] = {}
        for m in re.finditer(r"^export interface (\w+)[^{\n]*\{\n([\s\S]*?)^\}", dts, re.M):
            props: dict[str, bool] = {}
            for doc, _prop, opt in self._DOC_PROP.findall(m.group(2)):
                anchor = self._ANCHOR.search(doc)
                if anchor:
                    props[anchor.group(1)] = bool(opt)
            result[m.group(1)] = props
        return result


# --------------------------------------------------------------------------- HCL structure


@dataclass
class Item:
    """One attribute or block of an HCL body, with its line."""

    kind: str  # "attribute" | "block"
    name: str
    line: int
    labels: list[str] = field(default_factory=list)
    body: list["Item"] = field(default_factory=list)


def parse_hcl(text: str) -> list[Item]:
    """Top-level items of a .tf file. Raises UnexpectedInput on syntax errors."""
    tree = hcl2.parses_to_tree(text)
    body = next((c for c in tree.children if isinstance(c, Tree) and c.data == "body"), None)
    return _items(body)


def _items(body: Tree | None) -> list[Item]:
    items: list[Item] = []
    if body is None:
        return items
    for node in body.children:
        if not isinstance(node, Tree):
            continue
        if node.data == "attribute":
            name_token = _first_token(node.children[0])
            items.append(Item("attribute", str(name_token), name_token.line))
        elif node.data == "block":
            name_token = _first_token(node.children[0])
            labels = [_label(c) for c in node.children[1:] if isinstance(c, Tree) and c.data in ("string", "identifier")]
            inner = next((c for c in node.children[1:] if isinstance(c, Tree) and c.data == "body"), None)
            items.append(Item("block", str(name_token), name_token.line, labels, _items(inner)))
    return items


def _first_token(node: Tree | Token) -> Token:
    if isinstance(node, Token):
        return node
    for child in node.children:
        token = _first_token(child)
        if token is not None:
            return token
    raise ValueError("empty node")


def _label(node: Tree) -> str:
    return "".join(str(t) for t in node.scan_values(lambda v: isinstance(v, Token) and v.type != "DBLQUOTE"))


# --------------------------------------------------------------------------- checking


@dataclass(frozen=True, order=True)
class Finding:
    path: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"


class Checker:
    def __init__(self, schema: ProviderSchema) -> None:
        self.schema = schema
        self.findings: list[Finding] = []
        self.checked_types = 0

    def check_paths(self, paths: list[Path]) -> list[Finding]:
        for path in paths:
            for tf in sorted(path.rglob("*.tf")) if path.is_dir() else [path]:
                if ".terraform" not in tf.parts:
                    self.check_file(tf)
        return sorted(set(self.findings))

    def check_file(self, path: Path) -> None:
        try:
            items = parse_hcl(path.read_text(encoding="utf-8"))
        except UnexpectedInput as err:
            self._report(path, getattr(err, "line", 0) or 0, f"HCL syntax error: {str(err).splitlines()[0]}")
            return
        for item in items:
            if item.kind != "block":
                self._report(path, item.line, f'unexpected top-level argument "{item.name}"')
            elif item.name in ("resource", "data"):
                self._check_typed_block(path, item)
            elif item.name == "module":
                self._check_module(path, item)
            elif item.name not in TOP_LEVEL_SKIPPED:
                self._report(path, item.line, f'unknown top-level block "{item.name}"')

    def _check_typed_block(self, path: Path, item: Item) -> None:
        if len(item.labels) != 2:
            self._report(path, item.line, f"{item.name} block needs two labels (type and name)")
            return
        tf_type, name = item.labels
        where = f"{'data.' if item.name == 'data' else ''}{tf_type}.{name}"
        schema = self._schema_for(item.name, tf_type)
        if schema is None:
            known = tf_type.startswith(("aws_", "random_")) or tf_type in BUILTIN_SCHEMAS
            problem = f"unknown {item.name} type" if known else "no schema for the provider of"
            self._report(path, item.line, f'{problem} "{tf_type}"')
            return
        self.checked_types += 1
        meta_blocks = RESOURCE_META_BLOCKS if item.name == "resource" else DATA_META_BLOCKS
        self._check_body(path, item, schema, where, RESOURCE_META_ARGS, meta_blocks)

    def _schema_for(self, kind: str, tf_type: str) -> BlockSchema | None:
        if tf_type.startswith("aws_"):
            return self.schema.get(kind, tf_type)
        if kind == "resource":
            return RANDOM_SCHEMAS.get(tf_type) or BUILTIN_SCHEMAS.get(tf_type)
        return None

    def _check_body(
        self, path: Path, block: Item, schema: BlockSchema, where: str,
        meta_args: set[str] = frozenset(), meta_blocks: set[str] = frozenset(),
    ) -> None:
        present: set[str] = set()
        for item in block.body:
            if item.kind == "attribute":
                if item.name in schema.arguments or item.name in meta_args:
                    present.add(item.name)
                elif item.name in schema.blocks:
                    self._report(path, item.line, f'{where}: "{item.name}" is a block, write {item.name} {{ ... }}')
                else:
                    self._unknown(path, item, where, "argument", schema, meta_args)
            elif item.name == "dynamic":
                present.add(self._check_dynamic(path, item, schema, where))
            elif item.name in schema.blocks:
                present.add(item.name)
                self._check_body(path, item, schema.blocks[item.name][0], f"{where}.{item.name}")
            elif item.name in meta_blocks:
                continue  # lifecycle & co. are Terraform's, not the provider's
            elif item.name in schema.arguments:
                self._report(path, item.line, f'{where}: "{item.name}" is an argument, write {item.name} = ...')
                present.add(item.name)
            else:
                self._unknown(path, item, where, "block", schema, meta_blocks)
        for name, required in schema.arguments.items():
            if required and name not in present:
                self._report(path, block.line, f'{where}: missing required argument "{name}"')
        for name, (_, required) in schema.blocks.items():
            if required and name not in present:
                self._report(path, block.line, f'{where}: missing required block "{name}"')

    def _check_dynamic(self, path: Path, item: Item, schema: BlockSchema, where: str) -> str:
        name = item.labels[0] if item.labels else ""
        if name not in schema.blocks:
            self._unknown(path, Item("block", name, item.line), where, "block (in dynamic)", schema, set())
            return name
        args = {i.name for i in item.body if i.kind == "attribute"}
        for unknown in args - {"for_each", "iterator", "labels"}:
            self._report(path, item.line, f'{where}: dynamic "{name}": unknown argument "{unknown}"')
        if "for_each" not in args:
            self._report(path, item.line, f'{where}: dynamic "{name}": missing for_each')
        contents = [i for i in item.body if i.kind == "block" and i.name == "content"]
        if len(contents) != 1:
            self._report(path, item.line, f'{where}: dynamic "{name}" needs exactly one content block')
        for content in contents:
            self._check_body(path, content, schema.blocks[name][0], f"{where}.{name}")
        return name

    def _unknown(self, path: Path, item: Item, where: str, what: str, schema: BlockSchema, meta: set[str]) -> None:
        candidates = [*schema.arguments, *schema.blocks, *meta]
        close = difflib.get_close_matches(item.name, candidates, n=1)
        hint = f' (did you mean "{close[0]}"?)' if close else ""
        self._report(path, item.line, f'{where}: unknown {what} "{item.name}"{hint}')

    def _check_module(self, path: Path, item: Item) -> None:
        where = f"module.{item.labels[0] if item.labels else '?'}"
        source = _literal_attribute(path, item, "source")
        if source is None:
            self._report(path, item.line, f"{where}: missing source")
            return
        if not source.startswith(("./", "../")):
            return  # registry modules cannot be read offline; we use none
        module_dir = (path.parent / source).resolve()
        variables = _module_variables(module_dir)
        if not variables:
            self._report(path, item.line, f'{where}: no variables found in "{source}"')
            return
        present = set()
        for arg in item.body:
            if arg.kind == "attribute" and arg.name in MODULE_META_ARGS:
                continue
            if arg.kind == "attribute" and arg.name in variables:
                present.add(arg.name)
                continue
            close = difflib.get_close_matches(arg.name, list(variables), n=1)
            hint = f' (did you mean "{close[0]}"?)' if close else ""
            self._report(path, arg.line, f'{where}: "{arg.name}" is not a variable of {source}{hint}')
        for name, required in variables.items():
            if required and name not in present:
                self._report(path, item.line, f'{where}: missing required variable "{name}"')

    def _report(self, path: Path, line: int, message: str) -> None:
        self.findings.append(Finding(_display(path), line, message))


def _display(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(REPO_ROOT))
    except ValueError:
        return str(path)


def _literal_attribute(path: Path, block: Item, name: str) -> str | None:
    """Value of a string attribute of a module block (read from the dict form of the file)."""
    if not any(i.kind == "attribute" and i.name == name for i in block.body):
        return None
    options = hcl2.SerializationOptions(with_comments=False, strip_string_quotes=True)
    doc = hcl2.loads(path.read_text(encoding="utf-8"), serialization_options=options)
    for module in doc.get("module", []):
        body = module.get(block.labels[0]) if block.labels else None
        if isinstance(body, dict) and isinstance(body.get(name), str):
            return body[name]
    return None


def _module_variables(module_dir: Path) -> dict[str, bool]:
    """variable name -> required (no default) for a local module."""
    variables: dict[str, bool] = {}
    for tf in sorted(module_dir.glob("*.tf")):
        for item in parse_hcl(tf.read_text(encoding="utf-8")):
            if item.kind == "block" and item.name == "variable" and item.labels:
                has_default = any(i.kind == "attribute" and i.name == "default" for i in item.body)
                variables[item.labels[0]] = not has_default
    return variables


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("paths", nargs="*", type=Path, help=".tf files or directories (searched recursively)")
    parser.add_argument("--cache-dir", type=Path, default=DEFAULT_CACHE_DIR, help="where the npm tarball is kept")
    parser.add_argument("--fetch-only", action="store_true", help="only download and unpack the provider schema")
    args = parser.parse_args(argv)
    if not args.paths and not args.fetch_only:
        parser.error("give at least one .tf file or directory")
    try:
        if args.fetch_only:
            ensure_provider_package(args.cache_dir)
            return 0
        checker = Checker(ProviderSchema(ensure_provider_package(args.cache_dir)))
        findings = checker.check_paths(args.paths)
    except SetupError as err:
        print(f"tf_schema_check: {err}", file=sys.stderr)
        return 2
    for finding in findings:
        print(finding)
    status = f"{len(findings)} problem(s)" if findings else "ok"
    print(
        f"tf_schema_check: {checker.checked_types} resource/data blocks checked against "
        f"hashicorp/aws 6.25.0 ({CDKTF_PACKAGE}@{CDKTF_VERSION}): {status}",
        file=sys.stderr,
    )
    return 1 if findings else 0


if __name__ == "__main__":
    sys.exit(main())
