"""Reading config.resolved.yaml: the YAML that kinlab writes, typed as kinlab
reads it (YAML 1.2 core schema: ``1e+01`` is a float, ``010`` the integer 10,
``yes`` a string), into nested dicts and lists.

PyYAML (Debian's python3-yaml) parses the text when it is installed, with the
1.2 core resolvers instead of its own YAML 1.1 ones; without it a small reader
of the block subset that kinlab's emitter produces (mappings, sequences,
one-line plain/quoted scalars, ``!!float``) is used, and anything outside that
subset is reported as malformed with a hint to install python3-yaml.
"""
import math
import re

from .errors import MalformedRunError

# YAML 1.2 core schema (https://yaml.org/spec/1.2.2/#1023-core-schema).
_NULL = re.compile(r"^(?:~|null|Null|NULL|)$")
_BOOL = re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$")
_INT = re.compile(r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$")
_FLOAT = re.compile(r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
                    r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$")


def core_int(text):
    if text.startswith("0o"):
        return int(text[2:], 8)
    if text.startswith("0x"):
        return int(text[2:], 16)
    return int(text, 10)


def core_float(text):
    low = text.lower()
    if low.endswith(".inf"):
        return -math.inf if low.startswith("-") else math.inf
    if low == ".nan":
        return math.nan
    return float(text)


def core_scalar(text):
    """A plain scalar typed by the core schema."""
    if _NULL.match(text):
        return None
    if _BOOL.match(text):
        return text[0] in "tT"
    if _INT.match(text):
        return core_int(text)
    if _FLOAT.match(text):
        return core_float(text)
    return text


# ------------------------------------------------------------ with PyYAML
def _pyyaml_loader():
    try:
        import yaml
    except ImportError:
        return None
    base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

    class CoreLoader(base):  # pylint: disable=too-many-ancestors
        """SafeLoader with the YAML 1.2 core schema instead of YAML 1.1."""

    CoreLoader.yaml_implicit_resolvers = {}
    first = {"null": list("~nN") + [""], "bool": list("tTfF"),
             "int": list("-+0123456789"), "float": list("-+.0123456789")}
    for tag, regexp in (("null", _NULL), ("bool", _BOOL), ("int", _INT), ("float", _FLOAT)):
        CoreLoader.add_implicit_resolver("tag:yaml.org,2002:" + tag, regexp, first[tag])

    def construct(convert):
        return lambda loader, node: convert(loader.construct_scalar(node))

    CoreLoader.add_constructor("tag:yaml.org,2002:null", construct(lambda s: None))
    CoreLoader.add_constructor("tag:yaml.org,2002:bool", construct(lambda s: s[0] in "tT"))
    CoreLoader.add_constructor("tag:yaml.org,2002:int", construct(core_int))
    CoreLoader.add_constructor("tag:yaml.org,2002:float", construct(core_float))
    return yaml, CoreLoader


def parse_yaml(text, path, use_pyyaml=True):
    """The document of TEXT (read from PATH, for messages) as nested dicts/lists."""
    found = _pyyaml_loader() if use_pyyaml else None
    if found:
        yaml, loader = found
        try:
            return yaml.load(text, Loader=loader)  # nosec: a safe loader
        except yaml.YAMLError as e:
            mark = getattr(e, "problem_mark", None)
            where = "%s:%d:%d" % (path, mark.line + 1, mark.column + 1) if mark else path
            raise MalformedRunError("%s: not valid YAML: %s" %
                                    (where, getattr(e, "problem", None) or e)) from None
        except (ValueError, OverflowError) as e:
            raise MalformedRunError("%s: %s" % (path, e)) from None
    return _BlockReader(text, path).document()


# --------------------------------------------------------- without PyYAML
class _BlockReader:
    """Block mappings and sequences with one-line scalars, as kinlab emits."""

    def __init__(self, text, path):
        self.path = path
        self.lines = []  # (line number, indent, text without comment)
        for number, raw in enumerate(text.splitlines(), 1):
            s = self._strip_comment(raw, number)
            if s.strip() and s.strip() not in ("---", "..."):
                self.lines.append((number, len(s) - len(s.lstrip(" ")), s.strip()))

    def fail(self, number, what):
        raise MalformedRunError("%s:%d: %s (this reader knows the block YAML kinlab writes; "
                                "install python3-yaml for any other)" % (self.path, number, what))

    def _strip_comment(self, line, number):
        quote = None
        for i, c in enumerate(line):
            if quote:
                if c == quote:
                    quote = None
            elif c in "\"'" and (i == 0 or line[i - 1] in " \t:-[{,"):
                quote = c
            elif c == "#" and (i == 0 or line[i - 1] in " \t"):
                return line[:i].rstrip()
        if quote:
            self.fail(number, "unterminated quoted scalar")
        return line.rstrip()

    def scalar(self, text, number):
        if text and text[0] in "\"'":
            if len(text) < 2 or text[-1] != text[0]:
                self.fail(number, "unterminated quoted scalar %s" % text)
            body = text[1:-1]
            if text[0] == "'":
                return body.replace("''", "'")
            try:
                return body.encode("latin-1", "backslashreplace").decode("unicode_escape") \
                    if "\\" in body else body
            except UnicodeDecodeError:
                self.fail(number, "bad escape in %s" % text)
        if text.startswith("!!float "):
            value = core_scalar(text[8:].strip())
            if not isinstance(value, (int, float)) or isinstance(value, bool):
                self.fail(number, "!!float %s is not a number" % text[8:])
            return float(value)
        if text and text[0] in "[{|>&*!" and text not in ("[]", "{}"):
            self.fail(number, "unsupported YAML construct %s" % text)
        if text == "[]":
            return []
        if text == "{}":
            return {}
        return core_scalar(text)

    def document(self):
        if not self.lines:
            return None
        value, i = self.node(0, self.lines[0][1])
        if i < len(self.lines):
            self.fail(self.lines[i][0], "unexpected indentation")
        return value

    def node(self, i, indent):
        """The block starting at line i (indent INDENT): (value, next line)."""
        number, ind, s = self.lines[i]
        if s.startswith("- ") or s == "-":
            return self.sequence(i, ind)
        if self._key(s) is not None:
            return self.mapping(i, ind)
        if i + 1 < len(self.lines) and self.lines[i + 1][1] >= indent:
            self.fail(number, "multi-line scalar")
        return self.scalar(s, number), i + 1

    def _key(self, s):
        m = re.match(r"^(\"(?:[^\"\\]|\\.)*\"|'(?:[^']|'')*'|[^\"'#\[\]{},:][^:]*?)\s*:(?:\s+(.*))?$", s)
        return m

    def value_after(self, i, ind, rest, number):
        """The value of a key or item whose text after ':' or '-' is REST."""
        if rest:
            return self.scalar(rest, number), i + 1
        if i + 1 < len(self.lines) and (self.lines[i + 1][1] > ind or (
                self.lines[i + 1][1] == ind and self.lines[i + 1][2].startswith("-"))):
            return self.node(i + 1, self.lines[i + 1][1])
        return None, i + 1

    def mapping(self, i, indent):
        out = {}
        while i < len(self.lines):
            number, ind, s = self.lines[i]
            if ind < indent:
                break
            if ind > indent:
                self.fail(number, "unexpected indentation")
            m = self._key(s)
            if m is None:
                if s.startswith("-"):
                    break
                self.fail(number, "expected 'key: value', found %s" % s)
            key = self.scalar(m.group(1), number)
            key = key if isinstance(key, str) else m.group(1)
            if key in out:
                self.fail(number, "duplicate key %s" % key)
            out[key], i = self.value_after(i, ind, m.group(2), number)
        return out, i

    def sequence(self, i, indent):
        out = []
        while i < len(self.lines):
            number, ind, s = self.lines[i]
            if ind < indent or not (s.startswith("- ") or s == "-"):
                if ind > indent:
                    self.fail(number, "unexpected indentation")
                break
            rest = s[1:].strip()
            if rest and self._key(rest) is not None:
                # "- key: value" opens a mapping whose lines are indented by 2 more.
                self.lines[i] = (number, ind + 2, rest)
                value, i = self.mapping(i, ind + 2)
            else:
                value, i = self.value_after(i, ind, rest, number)
            out.append(value)
        return out, i


def flatten(tree, prefix=""):
    """{dotted key: value} of the scalars of TREE (list items by 0-based index),
    the key paths of docs/experiment-format.md."""
    flat = {}
    if isinstance(tree, dict):
        items = tree.items()
    elif isinstance(tree, list):
        items = enumerate(tree)
    else:
        return {prefix: tree}
    for k, v in items:
        flat.update(flatten(v, "%s.%s" % (prefix, k) if prefix else str(k)))
    return flat
