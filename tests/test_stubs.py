"""The stubs teach without answering: TODO texts in words, docstrings without solution lines,
files that speak to students; and the detector that tells words from code, tested itself."""

import ast
import re
import textwrap

import pytest

from conftest import ROOT, SOLUTIONS
from grader.authoring.stubs import BEGIN, END, LINE_LENGTH, generate, raise_not_implemented
from grader.authoring.wording import code_in_hint, code_in_todo

STUBS = generate(SOLUTIONS, ROOT / "exercises")


def todo_texts():
    """``[(where, text)]`` of every ``# BEGIN SOLUTION: <text>`` of the reference."""
    found = []
    for path in sorted(SOLUTIONS.glob("*.py")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            begin = BEGIN.match(line)
            if begin and begin["indent"]:
                found.append((f"{path.name}:{number}", (begin["todo"] or "").strip()))
    return found


def test_every_function_to_write_says_what_to_compute():
    assert len(todo_texts()) >= 40
    assert [where for where, text in todo_texts() if len(text.split()) < 5] == []


@pytest.mark.parametrize("where, text", todo_texts(), ids=[where for where, _ in todo_texts()])
def test_no_todo_text_holds_code(where, text):
    assert code_in_todo(text) == [], f"{where}: say it in words: {text}"


# -- the detector, on what counts as code and what does not -----------------------------

CODE_IN_A_TODO = [
    # the TODO texts of the first stubs
    "return (dZ @ W.T, X.T @ dZ, dZ.sum(axis=0))",
    "return (softmax(Z) - one_hot(y, K)) / m",
    "return 2 * (y_hat - y) / y.size",
    "return rng.normal(0, sqrt(2 / (n_in + n_out)), ...)",
    # each construct once, inside prose
    "first t += 1 once",                                 # in-place operator
    "start from Y = zeros and fill it",                  # assignment
    "set Y[arange(m), y] to one",                        # subscript
    "use np.maximum for the mask",                       # attribute chain
    "transpose with W.T first",                          # attribute
    "divide by the sum along axis (keepdims=True)",      # keyword argument
    "compute sigmoid(z) once",                           # call
    "the mean of the products over the (m, K) array",    # a tuple in brackets
    "shift by the max, then return the mean",            # return
    "yield each batch",                                  # yield
    "raise a ValueError for an unknown name",            # raise
    "the slope is 1 - s where s is the sigmoid",         # operator
    "one where z > 0, else zero",                        # comparison
    "multiply by 1/m",                                   # division
    "e^z over the row's sum",                            # ^ as power
    "the square, x ** 2",                                # Python's power
    "mean of (y_true == y_pred)",                        # ==
    "sum of the shifted z-max exponentials",             # a minus, not a hyphenated word
    "the product 1 − s times s",                         # a Unicode minus is a minus
    "the params {W1, b1}",                               # braces
    "use `np.exp` on the shifted logits",                # code in backticks
    "a lambda x: 2 * x will do",                         # lambda
    "linear: dZ = dA",                                   # a colon, then an assignment
    "scale by fan-in/fan-out",                           # a slash is a division
    "the layers. Then t.step()",                         # a sentence ends, the code does not
]

WORDS_IN_A_TODO = [
    "compute the logistic sigmoid elementwise, exponentiating only non-positive numbers",
    "shift each slice along `axis` by its own maximum, exponentiate, and divide by the slice's sum",
    "one minus its square, not the square of one minus it",
    "predicted minus true probabilities, divided by the number of samples (the docstring's formula)",
    "use the log-sum-exp trick: row-wise, in place, batch-size-weighted",
    "linear: pass dA through unchanged; softmax: its Jacobian product",  # colons
    "the gradients dX, dW and db, in that order",                        # a comma list of names
    "keep z if it is positive and not zero, e.g. with a selection, i.e. a mask",
    "multiply by one over m; the 2 of the square stays",
    "hand the gradient of `Z` and the input kept in the cache to your `dense_backward`",
    "for every key in the dict, update both running averages",
    "pass `X` through the layers in turn, break nothing, continue to the next",
    "build the layers. Create W later",                  # a sentence end is no attribute
    "never NumPy's global random functions",             # "global random" is no statement
]


@pytest.mark.parametrize("text", CODE_IN_A_TODO)
def test_the_detector_finds_code_in_a_todo(text):
    assert code_in_todo(text), text


@pytest.mark.parametrize("text", WORDS_IN_A_TODO)
def test_the_detector_leaves_words_alone(text):
    assert code_in_todo(text) == []


def test_the_detector_names_the_code_it_found():
    assert code_in_todo("set Y[arange(m), y] to one and use W.T") == ["Y[arange(m), y]", "W.T"]
    assert code_in_todo("use `np.exp` here") == ["`np.exp`"]


CODE_IN_A_HINT = [
    "divide by the sum with keepdims=True",
    "update params[key] in place",
    "take W.T times dZ",
    "draw from np.random.default_rng(seed)",
    "then dz = X @ w + b",
    "v = b2 * v + (1 - b2) * g**2",
    "accuracy is mean(y_true == y_pred)",
    "t += 1 once per call",
    "start from zeros(n) and b = 0",
    "for l in range(L): go down",
    "order = arange(m) when rng is None",
    "the interval [eps, 1 - eps]",
    "return the mean",
]

FORMULAS_IN_A_HINT = [
    "sigma'(z) = sigma(z) (1 - sigma(z)), a formula in sigma(z), not in z",
    "dW = X^T dZ (n_in, n_out) and dX = dZ W^T (m, n_in)",
    "the scale is sqrt(2 / n_in), the square root of the variance",
    "m_hat = m / (1 - beta1^t) and v_hat = v / (1 - beta2^t)",
    "log_softmax(z) = (z - c) - log(sum(exp(z - c))) with c the row's max",
    "softmax(z - c) = softmax(z) for any c; for z < 0 multiply by e^z",
    "dZ_L = (softmax(Z_L) - Y_onehot) / m, then dZ_(l-1) = dA_(l-1) * g'(Z_(l-1))",
    "last layer: dZ = (A - Y) / m; with m, v = b2 v + (1 - b2) g^2",
]


@pytest.mark.parametrize("text", CODE_IN_A_HINT)
def test_the_detector_finds_code_in_a_hint(text):
    assert code_in_hint(text), text


@pytest.mark.parametrize("text", FORMULAS_IN_A_HINT)
def test_a_hint_may_hold_a_formula_but_a_todo_may_not(text):
    assert code_in_hint(text) == []
    assert code_in_todo(text)


# -- the docstrings of the stubs hand out no solution line ---------------------------------

def tokens(text):
    """Python tokens, with ``np.`` and the ``.0`` of whole floats left out (2.0 is 2)."""
    text = re.sub(r"\b(\d+)\.0\b", r"\1", re.sub(r"\bnp\.", "", text))
    return tuple(re.findall(r"\w+|[^\w\s]", text))


def names_only(node):
    """A name, a tuple of names, or a call on names: the interface, which the docstrings give."""
    if isinstance(node, ast.Tuple):
        return all(names_only(element) for element in node.elts)
    if isinstance(node, ast.Call):
        return not node.keywords and all(isinstance(a, (ast.Name, ast.Constant)) for a in node.args)
    return isinstance(node, (ast.Name, ast.Constant, ast.Attribute))


def solution_blocks(source):
    """The code between each BEGIN SOLUTION and its END SOLUTION, dedented."""
    blocks, lines = [], None
    for line in source.splitlines():
        if BEGIN.match(line):
            lines = []
        elif END.match(line):
            blocks.append(textwrap.dedent("\n".join(lines)))
            lines = None
        elif lines is not None:
            lines.append(line)
    return blocks


def solution_lines(source):
    """The statements of each solution block, and the values they compute, as token tuples."""
    for block in solution_blocks(source):
        for node in ast.walk(ast.parse(block)):
            value = getattr(node, "value", None)
            if isinstance(node, (ast.Assign, ast.AugAssign, ast.Return)) and value is not None:
                if not names_only(value):
                    yield tokens(ast.unparse(value))
                    yield tokens(ast.unparse(node))


def contains(haystack, needle):
    return any(haystack[i:i + len(needle)] == needle for i in range(len(haystack) - len(needle) + 1))


@pytest.mark.parametrize("path", sorted(SOLUTIONS.glob("*.py")), ids=lambda path: path.name)
def test_no_docstring_in_the_stubs_hands_out_a_solution_line(path):
    stub = tokens(STUBS[ROOT / "exercises" / path.name])
    leaks = {" ".join(line) for line in solution_lines(path.read_text(encoding="utf-8"))
             if len(line) >= 4 and contains(stub, line)}
    assert not leaks, f"the stub of {path.name} shows solution code: {leaks}"


def test_the_leak_finder_finds_a_solution_line_in_a_docstring():
    source = ('def f(X, W, b):\n    """Z = X @ W + b."""\n    # BEGIN SOLUTION: the affine map\n'
              '    return X @ W + b\n    # END SOLUTION\n')
    assert list(solution_lines(source)) == [tokens("X @ W + b"), tokens("return X @ W + b")]
    assert contains(tokens('"""Z = X @ W + b."""'), tokens("X @ W + b"))
    assert not contains(tokens('"""Z = X · W + b."""'), tokens("X @ W + b"))


# -- the student's files speak to the student ----------------------------------------------

def test_stub_headers_and_the_package_speak_to_students():
    for path, text in STUBS.items():
        opening = text.split('"""')[0] + text.split('"""')[1]
        assert "solutions" not in opening.lower() and "reference" not in opening.lower(), path
        assert "instructor" not in opening.lower(), path
        if path.name != "__init__.py":
            assert f"nnlab grade -e {path.stem}" in opening and f"nnlab hint {path.stem}" in opening
    package = STUBS[ROOT / "exercises" / "__init__.py"]
    assert "NotImplementedError" in package and "nnlab hint" in package
    assert "nnlab make-stubs" in (SOLUTIONS / "__init__.py").read_text(encoding="utf-8")  # the instructor's notice


def test_a_long_todo_wraps_into_the_same_message():
    message = "TODO (Sequential.fit): " + "make one Generator from `seed`, the layer's too, " * 4
    code = raise_not_implemented("        ", message)
    assert all(len(line) <= LINE_LENGTH for line in code.splitlines())
    raised = ast.parse(textwrap.dedent(code)).body[0].exc
    assert ast.literal_eval(raised.args[0]) == message
    assert raise_not_implemented("    ", "TODO (f): short") == "    raise NotImplementedError('TODO (f): short')\n"


def test_every_stub_raises_its_todo_and_keeps_to_the_line_length():
    for path, text in STUBS.items():
        tree = ast.parse(text)
        raised = [node.exc for node in ast.walk(tree) if isinstance(node, ast.Raise)
                  and isinstance(node.exc, ast.Call) and getattr(node.exc.func, "id", "") == "NotImplementedError"]
        assert all(ast.literal_eval(call.args[0]).startswith("TODO (") for call in raised), path
        assert not [line for line in text.splitlines() if "NotImplementedError" in line and len(line) > LINE_LENGTH]
    assert not [path for path, text in STUBS.items() if "BEGIN SOLUTION" in text or "END SOLUTION" in text]
