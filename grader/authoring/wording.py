"""Words or code? How the TODO texts of the stubs and the hints are kept free of the answer.

A TODO says in words what to compute (``code_in_todo``); a hint may go as far as a
formula, but never the code (``code_in_hint``). Both look at a text the same way: every
run of consecutive words is tried as Python, and a run that parses into something prose
never holds is code. Prose almost never parses ("the mean over the rows" is not Python),
and what does parse in prose is a short list of harmless shapes: a single word or number,
"a and b", "z is positive", a comma list of names, "linear: dZ" (a colon).

Before parsing, prose conventions are set aside: an identifier in backticks is a name
(anything else in backticks is code), hyphens join words ("row-wise", "log-sum-exp"; not
"z-max", whose parts are too short to be words), apostrophes go ("the layer's input"),
"e.g." and "i.e." are words, and runs stop at the end of a sentence or a clause (a
period, "!", "?" or ";" before a space). Unicode operators (−, ×, ·, ÷, ≤, ≥, ≠) count
as their ASCII twins, so "1 − s" is an expression too. A slash is a division, so write
"fan-in and fan-out", not "fan-in/fan-out".

What a formula may hold, and code may not: arithmetic (+ - * / and ^ for a power),
comparisons (<, >, <=, >=), "name = value" with spaces around "=", and functions
applied to arguments, sigma(z) or sqrt(2 / n_in). What only code holds: attributes
(np.exp, W.T), subscripts (X[idx]), keyword arguments and other unspaced "=" (axis=0),
True, False and None, in-place operators (-=), the operators of Python rather than of
mathematics (@ ** // % ==), literals in brackets, return, yield, raise, lambda,
imports, and the calls that are NumPy's or Python's vocabulary rather than
mathematics' (zeros(n), arange(m), range(L), len(y), float(x)).
"""

import ast
import re

MAX_WORDS = 25  # longer runs of code hold shorter ones that are code already

_BACKTICKS = re.compile(r"`([^`]*)`")
_IDENTIFIER = re.compile(r"[A-Za-z_]\w*")
_HYPHEN_IN_A_WORD = re.compile(r"(?<=[a-z]{2})-(?=[a-z]{2})")
_QUOTES = re.compile("[\"'\u2018\u2019\u201c\u201d]")
_ABBREVIATIONS = re.compile(r"\b(e\.g|i\.e)\.")
_UNICODE_OPERATORS = str.maketrans({"\u2212": "-", "\u00d7": "*", "\u00b7": "*", "\u00f7": "/",
                                    "\u2264": "<=", "\u2265": ">=", "\u2260": "!="})
_SENTENCE_END = re.compile(r"(?<=[.!?;])\s+")  # "the layers. Create W" is no attribute
_TRAILING_PUNCTUATION = ".,;:!?"
_CONTINUATIONS = tuple("*/@%^=<>|&")  # a run that starts here is the tail of a longer one

# Calls that are NumPy's or Python's vocabulary, not mathematics' (sigma, exp, log,
# sqrt, max, sum, argmax, softmax are mathematics' too).
PYTHON_CALLS = frozenset({
    "append", "arange", "array", "asarray", "astype", "clip", "copy", "default_rng", "dict",
    "enumerate", "errstate", "float", "int", "isinstance", "items", "keys", "len", "list",
    "log1p", "maximum", "minimum", "normal", "ones", "ones_like", "permutation", "print",
    "range", "reshape", "shuffle", "where", "zeros", "zeros_like", "zip",
})

# What parses in prose: "z", "2", "a and b", "not x", "z is positive", "x if y else z",
# "pass", "global random", "linear: dZ" (a colon), "X, W and b" (a comma list).
_PROSE_NODES = (ast.Module, ast.Expr, ast.Name, ast.Load, ast.Store, ast.Constant, ast.BoolOp,
                ast.And, ast.Or, ast.Not, ast.IfExp, ast.Pass, ast.Break, ast.Continue,
                ast.Global, ast.Nonlocal, ast.Is, ast.IsNot, ast.In, ast.NotIn)
# What a formula adds: arithmetic, comparisons, "name = value", applying a function.
_FORMULA_NODES = (ast.BinOp, ast.Add, ast.Sub, ast.Mult, ast.Div, ast.BitXor, ast.UnaryOp,
                  ast.USub, ast.UAdd, ast.Compare, ast.Lt, ast.Gt, ast.LtE, ast.GtE, ast.Assign,
                  ast.Call, ast.Tuple)


def code_in_todo(text):
    """The runs of ``text`` that are code, for a TODO: words only, no formula either.

    Runs are given as the detector read them (backticks and apostrophes gone, hyphenated
    words joined with "_")."""
    return _code_runs(text, formulas=False)


def code_in_hint(text):
    """The runs of ``text`` that are code, for a hint: a formula is fine, code is not."""
    return _code_runs(text, formulas=True)


def _code_runs(text, formulas):
    found = [f"`{inner}`" for inner in _BACKTICKS.findall(text) if not _IDENTIFIER.fullmatch(inner)]
    for sentence in _SENTENCE_END.split(_as_plain_words(text)):
        words = sentence.split()
        for start in range(len(words)):
            for end in range(start + 1, min(len(words), start + MAX_WORDS) + 1):
                run = " ".join(words[start:end]).rstrip(_TRAILING_PUNCTUATION)
                if run and not run.startswith(_CONTINUATIONS) and _is_code(run, formulas):
                    found.append(run)
    return _shortest(found)


def _as_plain_words(text):
    text = _BACKTICKS.sub(lambda match: match[1] if _IDENTIFIER.fullmatch(match[1]) else " ", text)
    text = _ABBREVIATIONS.sub(lambda match: match[1].replace(".", ""), text)
    text = _QUOTES.sub("", text.translate(_UNICODE_OPERATORS))
    return _HYPHEN_IN_A_WORD.sub("_", text)


def _is_code(run, formulas):
    try:
        tree = ast.parse(run)
    except (SyntaxError, ValueError):
        return False
    return any(_is_code_node(node, run, formulas) for node in ast.walk(tree))


def _is_code_node(node, run, formulas):
    if isinstance(node, ast.AnnAssign):  # "linear: dZ" is a colon, "last layer: dZ = ..." a formula
        return not isinstance(node.target, ast.Name) or (node.value is not None and not formulas)
    if isinstance(node, ast.Tuple) and not formulas:  # "(m, K)" is code, "dX, dW and db" prose
        return ast.get_source_segment(run, node).startswith("(")
    if isinstance(node, ast.Constant) and formulas:  # True, False and None are Python's
        return node.value is None or isinstance(node.value, bool)
    if isinstance(node, _PROSE_NODES) or _is_prose_operator(node):
        return False
    if not formulas or not isinstance(node, _FORMULA_NODES):
        return True
    if isinstance(node, ast.Call):
        named = isinstance(node.func, ast.Name) and node.func.id in PYTHON_CALLS
        return bool(named or node.keywords or any(isinstance(arg, ast.Starred) for arg in node.args))
    if isinstance(node, ast.Assign):  # "dW = X^T dZ" is mathematics, "axis=0" code
        return re.search(r"\s=\s", run) is None
    return False


def _is_prose_operator(node):
    """Words that Python reads as operators: not x, z is positive, k in keys."""
    if isinstance(node, ast.UnaryOp):
        return isinstance(node.op, ast.Not)
    return isinstance(node, ast.Compare) and all(isinstance(op, (ast.Is, ast.IsNot, ast.In, ast.NotIn))
                                                 for op in node.ops)


def _shortest(runs):
    """Each piece of code once: drop a run that holds another one."""
    return [run for run in runs if not any(other != run and other in run for other in runs)]
