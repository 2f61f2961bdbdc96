#!/usr/bin/env python3
"""Checks docs/openapi.yaml against the C++ sources it describes.

  (a) every route of NodeApi::route() in src/api/node_api.cc is a path of openapi.yaml with
      the right method, and every path and method of openapi.yaml is such a route;
  (b) every result code of src/ledger/result_code.cc is in the Outcome code enum (and its
      number in the code_number enum), and the enums name nothing else;
  (c) every error code string literal given to ApiError(...) or json_error(...) (or to a
      function of src/api/*.cc that passes its argument on to one of them) in src/api/*.cc
      appears in openapi.yaml or docs/api.md;
  (d) every local $ref of openapi.yaml resolves.

Standard library only: openapi.yaml is read by the small YAML-subset reader below, which
understands the block style that file is written in (mappings, sequences, quoted and plain
scalars, flow sequences of scalars, folded and literal block scalars).

Usage: python3 tests/integration/openapi_check.py REPO_ROOT
"""

import os
import re
import sys

# The routes as the brief for the API lists them; the routes parsed from node_api.cc must
# include each, so that a parser that silently finds nothing fails the check.
EXPECTED_ROUTES = [
    ("get", "/v1/status"),
    ("post", "/v1/transactions"),
    ("post", "/v1/transactions/encode"),
    ("get", "/v1/transactions/{id}"),
    ("get", "/v1/accounts/{id}"),
    ("get", "/v1/accounts/{id}/holdings/{asset}/proof"),
    ("get", "/v1/assets/{asset}"),
    ("get", "/v1/blocks/{height}"),
    ("get", "/v1/result-codes"),
    ("get", "/v1/queue"),
    ("get", "/v1/escrows/{id}"),
]

HTTP_METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}


class Report:
    def __init__(self):
        self.passed = 0
        self.failed = 0

    def check(self, ok, problem):
        if ok:
            self.passed += 1
        else:
            self.failed += 1
            print("FAIL: " + problem)
        return ok


# --- A reader for the YAML subset openapi.yaml is written in ---------------------------------


class YamlError(Exception):
    pass


def _strip_comment(text):
    """Removes a trailing ' # comment' outside quotes."""
    quote = None
    for i, c in enumerate(text):
        if quote:
            if c == quote:
                quote = None
        elif c in "'\"" and (i == 0 or text[i - 1] in " [,:-"):
            quote = c
        elif c == "#" and (i == 0 or text[i - 1] == " "):
            return text[:i].rstrip()
    return text


def _split_flow(text, lineno):
    items, depth, quote, cur = [], 0, None, ""
    for c in text:
        if quote:
            cur += c
            if c == quote:
                quote = None
        elif c in "'\"":
            quote = c
            cur += c
        elif c == "," and depth == 0:
            items.append(cur)
            cur = ""
        else:
            if c in "[{":
                depth += 1
            elif c in "]}":
                depth -= 1
            cur += c
    if cur.strip():
        items.append(cur)
    return [_scalar(i.strip(), lineno) for i in items]


def _scalar(text, lineno):
    if text.startswith("'"):
        if not text.endswith("'") or len(text) < 2:
            raise YamlError("line %d: unterminated single-quoted scalar" % lineno)
        return text[1:-1].replace("''", "'")
    if text.startswith('"'):
        if not text.endswith('"') or len(text) < 2:
            raise YamlError("line %d: unterminated double-quoted scalar" % lineno)
        body = text[1:-1]
        return re.sub(r'\\(["\\/nt])', lambda m: {"n": "\n", "t": "\t"}.get(m.group(1), m.group(1)), body)
    if text.startswith("["):
        if not text.endswith("]"):
            raise YamlError("line %d: unterminated flow sequence" % lineno)
        return _split_flow(text[1:-1], lineno)
    if text.startswith("{"):
        if text == "{}":
            return {}
        raise YamlError("line %d: flow mappings are not supported" % lineno)
    if text in ("true", "True"):
        return True
    if text in ("false", "False"):
        return False
    if text in ("null", "~", ""):
        return None
    if re.fullmatch(r"-?[0-9]+", text):
        return int(text)
    if re.fullmatch(r"-?[0-9]+\.[0-9]+", text):
        return float(text)
    if text[0] in "&*!|>%@`":
        raise YamlError("line %d: unsupported plain scalar %r" % (lineno, text))
    if ": " in text:
        raise YamlError("line %d: plain scalar holds ': ' (quote it): %r" % (lineno, text))
    return text


_KEY = re.compile(r"""^('(?:[^']|'')*'|"[^"]*"|[^\s'"\-\[{#][^:]*?|-[^\s:][^:]*?)\s*:(?:\s+(.*))?$""")


class _Lines:
    def __init__(self, text):
        self.lines = []  # (lineno, indent, content)
        raw = text.split("\n")
        self.raw = raw
        for n, line in enumerate(raw, 1):
            if "\t" in line[: len(line) - len(line.lstrip())]:
                raise YamlError("line %d: tab in indentation" % n)
            stripped = line.strip()
            if not stripped or stripped.startswith("#"):
                continue
            self.lines.append((n, len(line) - len(line.lstrip(" ")), line.strip()))
        self.pos = 0

    def peek(self):
        return self.lines[self.pos] if self.pos < len(self.lines) else None


def _block_scalar(lines, style, parent_indent, lineno):
    """Reads a '|' or '>' block scalar whose lines are indented deeper than parent_indent."""
    out = []
    raw = lines.raw
    n = lineno  # raw index of the line after the indicator (lineno is 1-based)
    block_indent = None
    while n < len(raw):
        line = raw[n]
        if line.strip():
            ind = len(line) - len(line.lstrip(" "))
            if ind <= parent_indent:
                break
            if block_indent is None:
                block_indent = ind
            out.append(line[block_indent:])
        else:
            out.append("")
        n += 1
    while out and out[-1] == "":
        out.pop()
    # Skip the consumed lines in the tokenized list.
    while lines.peek() and lines.peek()[0] <= n and lines.peek()[0] > lineno:
        lines.pos += 1
    if style.startswith(">"):
        paras, cur = [], []
        for l in out:
            if l == "":
                paras.append(" ".join(cur))
                cur = []
            else:
                cur.append(l.strip())
        paras.append(" ".join(cur))
        text = "\n".join(paras)
    else:
        text = "\n".join(out)
    if not style.endswith("-"):
        text += "\n"
    return text


def _parse_node(lines, indent):
    first = lines.peek()
    if first is None or first[1] < indent:
        return None
    if first[2] == "-" or first[2].startswith("- "):
        return _parse_seq(lines, first[1])
    return _parse_map(lines, first[1])


def _parse_value(lines, rest, indent, lineno):
    """The value after 'key:' or '- ' on a line of the given indent."""
    rest = _strip_comment(rest or "").strip()
    if rest in ("|", "|-", ">", ">-"):
        return _block_scalar(lines, rest, indent, lineno)
    if rest == "":
        nxt = lines.peek()
        if nxt is None or nxt[1] < indent:
            return None
        if nxt[1] == indent and (nxt[2] == "-" or nxt[2].startswith("- ")):
            return _parse_seq(lines, indent)  # a sequence may sit at its key's indent
        if nxt[1] <= indent:
            return None
        return _parse_node(lines, nxt[1])
    return _scalar(rest, lineno)


def _parse_map(lines, indent):
    out = {}
    while True:
        cur = lines.peek()
        if cur is None or cur[1] < indent:
            return out
        lineno, ind, content = cur
        if ind > indent:
            raise YamlError("line %d: unexpected indentation" % lineno)
        if content == "-" or content.startswith("- "):
            return out  # a sequence at the parent's level
        m = _KEY.match(content)
        if not m:
            raise YamlError("line %d: expected 'key: value', got %r" % (lineno, content))
        key = _scalar(m.group(1).strip(), lineno)
        if isinstance(key, (int, float, bool)) or key is None:
            key = m.group(1).strip()
        if key in out:
            raise YamlError("line %d: duplicate key %r" % (lineno, key))
        lines.pos += 1
        out[key] = _parse_value(lines, m.group(2), indent, lineno)


def _parse_seq(lines, indent):
    out = []
    while True:
        cur = lines.peek()
        if cur is None or cur[1] < indent:
            return out
        lineno, ind, content = cur
        if ind != indent or not (content == "-" or content.startswith("- ")):
            return out
        rest = content[1:].lstrip()
        item_indent = indent + (len(content) - len(rest))
        if rest and _KEY.match(rest):
            # '- key: value': a mapping whose keys sit at item_indent.
            lines.lines[lines.pos] = (lineno, item_indent, rest)
            out.append(_parse_map(lines, item_indent))
        else:
            lines.pos += 1
            out.append(_parse_value(lines, rest, indent, lineno))


def load_yaml(text):
    lines = _Lines(text)
    doc = _parse_node(lines, 0)
    if lines.peek() is not None:
        raise YamlError("line %d: unexpected content" % lines.peek()[0])
    return doc


# --- C++ source reading -----------------------------------------------------------------------


def strip_cpp_comments(src):
    """Blanks out // and /* */ comments, keeping string and character literals intact."""
    out, i, n = [], 0, len(src)
    while i < n:
        c = src[i]
        if c in "\"'":
            j = i + 1
            while j < n and src[j] != c:
                j += 2 if src[j] == "\\" else 1
            out.append(src[i:j + 1])
            i = j + 1
        elif src.startswith("//", i):
            j = src.find("\n", i)
            i = n if j < 0 else j
        elif src.startswith("/*", i):
            j = src.find("*/", i + 2)
            i = n if j < 0 else j + 2
            out.append(" ")
        else:
            out.append(c)
            i += 1
    return "".join(out)


def matching(src, open_pos):
    """Index just past the bracket matching src[open_pos], skipping literals."""
    pairs = {"(": ")", "{": "}", "[": "]"}
    stack, i = [], open_pos
    while i < len(src):
        c = src[i]
        if c in "\"'":
            j = i + 1
            while j < len(src) and src[j] != c:
                j += 2 if src[j] == "\\" else 1
            i = j + 1
            continue
        if c in pairs:
            stack.append(pairs[c])
        elif c in ")}]":
            if not stack or stack.pop() != c:
                raise ValueError("unbalanced brackets at offset %d" % i)
            if not stack:
                return i + 1
        i += 1
    raise ValueError("unbalanced brackets from offset %d" % open_pos)


def split_args(text):
    """Splits a call's argument text at top-level commas."""
    args, depth, cur, i = [], 0, "", 0
    while i < len(text):
        c = text[i]
        if c in "\"'":
            j = i + 1
            while j < len(text) and text[j] != c:
                j += 2 if text[j] == "\\" else 1
            cur += text[i:j + 1]
            i = j + 1
            continue
        if c in "([{":
            depth += 1
        elif c in ")]}":
            depth -= 1
        if c == "," and depth == 0:
            args.append(cur.strip())
            cur = ""
        else:
            cur += c
        i += 1
    if cur.strip():
        args.append(cur.strip())
    return args


STRING_LITERAL = re.compile(r'^"((?:[^"\\]|\\.)*)"$')


def calls(src, name):
    """(args) of every call of `name` in src."""
    for m in re.finditer(r"\b%s\s*\(" % re.escape(name), src):
        open_pos = m.end() - 1
        try:
            end = matching(src, open_pos)
        except ValueError:
            continue
        yield split_args(src[open_pos + 1:end - 1])


def function_definitions(src):
    """(name, parameter names, body) of each function definition found in src."""
    pattern = re.compile(r"\b([A-Za-z_]\w*)\s*\(([^()]*)\)\s*(?:const\s*)?(?:noexcept\s*)?\{")
    for m in pattern.finditer(src):
        name = m.group(1)
        if name in ("if", "for", "while", "switch", "catch", "return"):
            continue
        params = []
        for p in m.group(2).split(","):
            pm = re.search(r"([A-Za-z_]\w*)\s*(?:=[^,]*)?$", p.strip())
            if pm:
                params.append(pm.group(1))
        try:
            end = matching(src, m.end() - 1)
        except ValueError:
            continue
        yield name, params, src[m.end():end - 1]


def error_code_literals(api_dir):
    """{code: [file:...]} for every literal code given to ApiError/json_error or a wrapper."""
    sources = {}
    for fn in sorted(os.listdir(api_dir)):
        if fn.endswith(".cc"):
            with open(os.path.join(api_dir, fn), encoding="utf-8") as f:
                sources[fn] = strip_cpp_comments(f.read())
    # Argument position of the code, per function.
    code_arg = {"ApiError": 1, "json_error": 1}
    changed = True
    while changed:  # wrappers of wrappers
        changed = False
        for src in sources.values():
            for name, params, body in function_definitions(src):
                if name in code_arg:
                    continue
                for callee, pos in list(code_arg.items()):
                    for args in calls(body, callee):
                        if len(args) > pos and args[pos] in params:
                            code_arg[name] = params.index(args[pos])
                            changed = True
                            break
                    if name in code_arg:
                        break
    found = {}
    for fn, src in sources.items():
        for callee, pos in code_arg.items():
            for args in calls(src, callee):
                if len(args) > pos:
                    m = STRING_LITERAL.match(args[pos])
                    if m:
                        found.setdefault(m.group(1), set()).add("%s (%s)" % (fn, callee))
    return found, code_arg


def result_codes(path):
    with open(path, encoding="utf-8") as f:
        src = strip_cpp_comments(f.read())
    return re.findall(r'\{\s*ResultCode::(\w+)\s*,\s*"(\w+)"', src)


def result_code_numbers(path):
    with open(path, encoding="utf-8") as f:
        src = strip_cpp_comments(f.read())
    m = re.search(r"enum\s+class\s+ResultCode[^{]*\{", src)
    body = src[m.end():matching(src, m.end() - 1) - 1]
    return {k: int(v) for k, v in re.findall(r"\b(\w+)\s*=\s*([0-9]+)", body)}


def cpp_routes(node_api_path):
    """Parses NodeApi::route() into [(method, segments)], each segment a literal or None."""
    with open(node_api_path, encoding="utf-8") as f:
        src = strip_cpp_comments(f.read())
    m = re.search(r"HttpResponse\s+NodeApi::route\s*\([^)]*\)\s*\{", src)
    if not m:
        raise ValueError("NodeApi::route() not found")
    body = src[m.end():matching(src, m.end() - 1) - 1]

    # `const bool get = req.method == "GET";` and `const std::string& resource = parts[1];`
    method_vars = dict(re.findall(r'\bbool\s+(\w+)\s*=\s*req\.method\s*==\s*"([A-Z]+)"', body))
    aliases = {k: int(v) for k, v in re.findall(r"\b(\w+)\s*=\s*parts\[(\d+)\]\s*;", body)}
    prefix = re.search(r'parts\[0\]\s*!=\s*"(\w+)"', body)
    routes = []

    def conditions(text):
        cond = {"size": None, "lits": {}}
        sm = re.search(r"parts\.size\(\)\s*==\s*(\d+)", text)
        if sm:
            cond["size"] = int(sm.group(1))
        for idx, lit in re.findall(r'parts\[(\d+)\]\s*==\s*"([^"]*)"', text):
            cond["lits"][int(idx)] = lit
        for var, lit in re.findall(r'\b(\w+)\s*==\s*"([^"]*)"', text):
            if var in aliases:
                cond["lits"][aliases[var]] = lit
        return cond

    def statement(text, stack):
        rm = re.search(r"\breturn\s+(\w+)\s*\?\s*(\w+)\s*\(([^;]*?)\)\s*:\s*method_not_allowed\s*\(\)",
                       text)
        if not rm:
            return
        method = method_vars.get(rm.group(1))
        size, lits = None, {}
        for c in stack:
            size = c["size"] if c["size"] is not None else size
            lits.update(c["lits"])
        if method is None or size is None:
            raise ValueError("cannot read route: " + " ".join(text.split()))
        if prefix:
            lits.setdefault(0, prefix.group(1))
        segs = [lits.get(i) for i in range(size)]
        routes.append((method.lower(), segs, rm.group(2)))

    def block(text, stack):
        i = 0
        while i < len(text):
            if text[i].isspace():
                i += 1
                continue
            im = re.match(r"if\s*\(", text[i:])
            if im:
                open_pos = i + im.end() - 1
                close = matching(text, open_pos)
                cond = conditions(text[open_pos + 1:close - 1])
                j = close
                while j < len(text) and text[j].isspace():
                    j += 1
                if j < len(text) and text[j] == "{":
                    end = matching(text, j)
                    block(text[j + 1:end - 1], stack + [cond])
                    i = end
                else:
                    end = statement_end(text, j)
                    statement(text[j:end], stack + [cond])
                    i = end
                continue
            end = statement_end(text, i)
            statement(text[i:end], stack)
            i = end

    def statement_end(text, i):
        while i < len(text):
            c = text[i]
            if c in "\"'([{":
                i = matching(text, i) if c in "([{" else _skip_literal(text, i)
                continue
            if c == ";":
                return i + 1
            i += 1
        return i

    block(body, [])
    return routes


def _skip_literal(text, i):
    q, j = text[i], i + 1
    while j < len(text) and text[j] != q:
        j += 2 if text[j] == "\\" else 1
    return j + 1


def path_shape(path):
    segs = [s for s in path.split("/") if s]
    return tuple(None if re.fullmatch(r"\{[^}]+\}", s) else s for s in segs)


def show_shape(shape):
    return "/" + "/".join("{*}" if s is None else s for s in shape)


# --- $ref resolution --------------------------------------------------------------------------


def collect_refs(node, out):
    if isinstance(node, dict):
        for k, v in node.items():
            if k == "$ref" and isinstance(v, str):
                out.append(v)
            else:
                collect_refs(v, out)
    elif isinstance(node, list):
        for v in node:
            collect_refs(v, out)


def resolve(doc, ref):
    if not ref.startswith("#/"):
        return False
    node = doc
    for part in ref[2:].split("/"):
        part = part.replace("~1", "/").replace("~0", "~")
        if not isinstance(node, dict) or part not in node:
            return False
        node = node[part]
    return True


def main(argv):
    if len(argv) != 2:
        print("usage: openapi_check.py REPO_ROOT", file=sys.stderr)
        return 2
    root = argv[1]
    openapi_path = os.path.join(root, "docs", "openapi.yaml")
    api_md_path = os.path.join(root, "docs", "api.md")
    report = Report()

    try:
        with open(openapi_path, encoding="utf-8") as f:
            openapi_text = f.read()
        doc = load_yaml(openapi_text)
    except (OSError, YamlError) as e:
        print("FAIL: cannot read %s: %s" % (openapi_path, e))
        print("openapi check: 0 passed, 1 failed")
        return 1
    with open(api_md_path, encoding="utf-8") as f:
        api_md_text = f.read()

    report.check(isinstance(doc, dict) and str(doc.get("openapi", "")).startswith("3.0"),
                 "openapi.yaml does not declare openapi 3.0.x")
    paths = doc.get("paths") if isinstance(doc, dict) else None
    if not report.check(isinstance(paths, dict) and paths, "openapi.yaml has no paths"):
        paths = {}

    # (a) routes
    spec_routes = {}
    for path, item in paths.items():
        for method in (item or {}):
            if method in HTTP_METHODS:
                spec_routes[(method, path_shape(path))] = path
    try:
        routes = cpp_routes(os.path.join(root, "src", "api", "node_api.cc"))
    except (OSError, ValueError) as e:
        report.check(False, "cannot parse NodeApi::route(): %s" % e)
        routes = []
    cpp_shapes = {(m, tuple(s)) for m, s, _ in routes}
    for method, path in EXPECTED_ROUTES:
        report.check((method, path_shape(path)) in cpp_shapes,
                     "route %s %s was not found in NodeApi::route() (update the check's list "
                     "or its parser)" % (method.upper(), path))
    for method, segs, handler in routes:
        shape = tuple(segs)
        report.check((method, shape) in spec_routes,
                     "route %s %s (handler %s) is missing from openapi.yaml paths"
                     % (method.upper(), show_shape(shape), handler))
    for (method, shape), path in sorted(spec_routes.items(), key=lambda kv: kv[1]):
        report.check((method, shape) in cpp_shapes,
                     "openapi.yaml has %s %s, which NodeApi::route() does not serve"
                     % (method.upper(), path))

    # (b) result codes
    rc_cc = os.path.join(root, "src", "ledger", "result_code.cc")
    rc_h = os.path.join(root, "src", "ledger", "result_code.h")
    codes = result_codes(rc_cc)
    numbers = result_code_numbers(rc_h)
    report.check(len(codes) > 0, "no result codes found in src/ledger/result_code.cc")
    outcome = (doc.get("components", {}).get("schemas", {}).get("Outcome") or {})
    props = outcome.get("properties") or {}
    code_enum = (props.get("code") or {}).get("enum") or []
    number_enum = (props.get("code_number") or {}).get("enum") or []
    report.check(code_enum, "openapi.yaml: Outcome.properties.code has no enum")
    names = [name for _, name in codes]
    for enumerator, name in codes:
        report.check(name in code_enum, "result code %s is missing from the Outcome code enum" % name)
        number = numbers.get(enumerator)
        if report.check(number is not None, "result code %s has no number in result_code.h" % name):
            report.check(number in number_enum,
                         "result code number %d (%s) is missing from the Outcome code_number enum"
                         % (number, name))
    for name in code_enum:
        report.check(name in names, "Outcome code enum has %s, which result_code.cc does not define"
                     % name)
    for number in number_enum:
        report.check(number in numbers.values(),
                     "Outcome code_number enum has %s, which result_code.h does not define" % number)

    # (c) error codes
    found, wrappers = error_code_literals(os.path.join(root, "src", "api"))
    report.check(len(found) > 0, "no error code literals found in src/api/*.cc")
    documented = openapi_text + "\n" + api_md_text
    for code in sorted(found):
        pattern = r"(?<![A-Za-z0-9_])%s(?![A-Za-z0-9_])" % re.escape(code)
        report.check(re.search(pattern, documented) is not None,
                     "error code %r (from %s) appears in neither docs/openapi.yaml nor docs/api.md"
                     % (code, ", ".join(sorted(found[code]))))

    # (d) references
    refs = []
    collect_refs(doc, refs)
    for ref in sorted(set(refs)):
        report.check(resolve(doc, ref), "openapi.yaml: $ref %s does not resolve" % ref)

    print("openapi check: %d passed, %d failed" % (report.passed, report.failed))
    return 1 if report.failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
