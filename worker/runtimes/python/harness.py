# flowgrid Python harness: runs one job per process.
#
# Either started as `python3 -I -S -c <this file>` by the worker (embedded
# into the binary at build time), or loaded once into a warm zygote
# (zygote/README.md), which calls warm_up() and then entry() in each job's
# forked child. Channels, fixed by worker/sandbox/fd_hygiene.h:
#   fd 3  the job, JSON: {"kind": "run" | "template" | "check",
#                         "code": "...", "inputs": {...}}; read to EOF
#   fd 4  the reply, JSON, written once and closed:
#         {"ok": true, "result": {...}}
#         {"ok": false, "error": {"code": "RUNTIME_ERROR" | "INVALID_RESULT"
#                                          | "COMPILE_ERROR",
#                                 "type": "...", "message": "...",
#                                 "traceback": "..."}}
# Kinds: "run" calls main(**inputs) of the code; "template" renders the code
# as a Jinja2 template (sandboxed environment) into {"output": "..."};
# "check" only compiles the code and matches main's parameters against the
# input names, without running any of it, and replies {} when all is well.
# stdout/stderr belong to the user's prints. The reply is only a report:
# the worker validates everything in it (outputs, types, limits, int64).
import builtins
import json
import linecache
import math
import os
import sys
import traceback

INPUT_FD = 3
RESULT_FD = 4
CODE_FILENAME = "<code>"
# Jinja2 names the frames of template code so in tracebacks.
TEMPLATE_FILENAME = "<template>"
# -S skips the site module, so Debian's python3-jinja2 is not on sys.path.
DIST_PACKAGES = "/usr/lib/python3/dist-packages"
# Nesting accepted inside one output; the worker refuses replies nested
# deeper than 24 levels (worker/job/harness_reply.h), the reply's own two
# levels included.
MAX_OUTPUT_NESTING = 20

# What user code may import (submodules of these included), and only user
# code: the standard library's own imports use the real __import__. This is
# guidance, not the security boundary (the kernel sandbox is): an allowed
# module can hand out others as attributes. Pure computation only: no files,
# processes, sockets, threads or interpreter internals. README.md explains
# the choice.
ALLOWED_MODULES = frozenset({
    "__future__", "base64", "bisect", "collections", "copy", "csv",
    "datetime", "decimal", "fractions", "functools", "hashlib", "heapq",
    "hmac", "html", "itertools", "json", "math", "operator", "random", "re",
    "statistics", "string", "textwrap", "time", "typing", "unicodedata",
    "urllib.parse", "uuid",
})


def clean_text(text):
    # Lone surrogates cannot be encoded as UTF-8; the reply must be.
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def module_allowed(name):
    parts = name.split(".")
    return any(".".join(parts[:n]) in ALLOWED_MODULES
               for n in range(1, len(parts) + 1))


def blocked_module(name, fromlist, level):
    # The module an import statement may not load, or None.
    if level != 0:
        return "." * level + name  # relative: user code is no package
    if module_allowed(name):
        return None
    if not fromlist or not any(m.startswith(name + ".") for m in ALLOWED_MODULES):
        return name
    # `from urllib import parse` names the package, then its submodules.
    for item in fromlist:
        if not module_allowed(name + "." + item):
            return name + "." + item
    return None


def user_builtins():
    # User code gets its own copy of the builtins whose __import__ enforces
    # ALLOWED_MODULES. The interpreter's builtins stay untouched, so allowed
    # modules still import what they need internally, and rebinding
    # __import__ in this copy reaches nothing but the user's own frames.
    # Made once per process (USER_BUILTINS): one process runs one job, and a
    # zygote's children each change their own copy-on-write copy of it.
    real_import = builtins.__import__

    def guarded_import(name, globals=None, locals=None, fromlist=(), level=0):
        blocked = blocked_module(name, fromlist, level)
        if blocked is not None:
            raise ImportError('Module "%s" is not allowed in code nodes' % blocked,
                              name=blocked)
        return real_import(name, globals, locals, fromlist, level)

    copy = dict(builtins.__dict__)
    copy["__import__"] = guarded_import
    return copy


USER_BUILTINS = user_builtins()


def user_frames_only(exc_info, filename):
    # A TracebackException keeping only the frames of the user's code, in
    # the exception and in every chained cause/context. A chained exception
    # without any user frame happened inside a library (Jinja2's sandbox
    # raises SecurityError while handling an AttributeError) and is dropped.
    exc_type, exc, tb = exc_info
    te = traceback.TracebackException(exc_type, exc, tb, compact=True)
    pending = [te]
    seen = set()
    while pending:
        current = pending.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        current.stack = traceback.StackSummary.from_list(
            [f for f in current.stack if f.filename == filename])
        for attribute in ("__cause__", "__context__"):
            chained = getattr(current, attribute)
            if chained is None:
                continue
            if any(f.filename == filename for f in chained.stack):
                pending.append(chained)
            else:
                setattr(current, attribute, None)
    return te


def error(code, type_name, message, tb=""):
    return {"ok": False, "error": {
        "code": code, "type": clean_text(type_name),
        "message": clean_text(message), "traceback": clean_text(tb)}}


def runtime_error(exc_info, filename=CODE_FILENAME):
    exc_type, exc, _ = exc_info
    te = user_frames_only(exc_info, filename)
    return error("RUNTIME_ERROR", exc_type.__name__, str(exc), "".join(te.format()))


def syntax_error(exc):
    # "SyntaxError: invalid syntax (line 3)"; the traceback shows the line
    # with a caret.
    line = " (line %d)" % exc.lineno if exc.lineno else ""
    return error("COMPILE_ERROR", type(exc).__name__, "%s%s" % (exc.msg, line),
                 "".join(traceback.format_exception_only(type(exc), exc)))


def contract_error(message):
    return error("INVALID_RESULT", "", message)


def well_formed(text):
    # Lone surrogates (from "\ud800" or surrogateescape) have no UTF-8 form.
    try:
        text.encode("utf-8")
        return True
    except UnicodeEncodeError:
        return False


def a_or_an(word):
    return ("an " if word[:1].lower() in "aeiou" else "a ") + word


def unserializable(value, path, depth, on_path):
    # "<path> is <what>" for the first part of `value` that has no exact
    # JSON form, or None. Stricter than json.dumps: NaN, non-string keys and
    # foreign objects are named instead of converted or crashing later.
    if value is None or isinstance(value, (bool, int)):
        return None
    if isinstance(value, str):
        return None if well_formed(value) else (
            "%s is a string with a lone surrogate" % path)
    if isinstance(value, float):
        if math.isfinite(value):
            return None
        return "%s is %s" % (path, "NaN" if math.isnan(value)
                             else "Infinity" if value > 0 else "-Infinity")
    if not isinstance(value, (dict, list, tuple)):
        return "%s is %s object" % (path, a_or_an(type(value).__name__))
    if id(value) in on_path:
        return "%s is a circular reference" % path
    if depth >= MAX_OUTPUT_NESTING:
        return "%s is nested more than %d levels deep" % (path, MAX_OUTPUT_NESTING)
    on_path.add(id(value))
    if isinstance(value, dict):
        children = []
        for key, item in value.items():
            if not isinstance(key, str):
                return "%s has a key that is not a string: %r" % (path, key)
            if not well_formed(key):
                return "%s has a key with a lone surrogate" % path
            children.append(("%s.%s" % (path, key), item))
    else:
        children = [("%s[%d]" % (path, i), item) for i, item in enumerate(value)]
    for child_path, item in children:
        problem = unserializable(item, child_path, depth + 1, on_path)
        if problem is not None:
            return problem
    on_path.discard(id(value))
    return None


def check_result(result):
    # An error reply, or None when every output has a JSON form.
    if not isinstance(result, dict):
        return contract_error("main() must return a dict, got %s"
                              % type(result).__name__)
    for key, value in result.items():
        if not isinstance(key, str):
            return contract_error("main() must return a dict with string keys,"
                                  " got key %r" % (key,))
        if not well_formed(key):
            return contract_error("main() returned a key with a lone surrogate: %s"
                                  % ascii(key))
        problem = unserializable(value, key, 0, set())
        if problem is not None:
            return contract_error('Output "%s" is not JSON-serializable: %s.'
                                  % (key, problem))
    return None


def compile_user_code(code):
    # The code object, or a COMPILE_ERROR reply.
    # Lets tracebacks show the user's source lines.
    linecache.cache[CODE_FILENAME] = (len(code), None,
                                      code.splitlines(True), CODE_FILENAME)
    try:
        return compile(code, CODE_FILENAME, "exec"), None
    except SyntaxError as e:
        return None, syntax_error(e)
    except ValueError as e:  # a null byte in the source
        return None, error("COMPILE_ERROR", type(e).__name__, str(e))


def run_code(job):
    code_object, failure = compile_user_code(job["code"])
    if failure is not None:
        return failure
    namespace = {"__name__": "__main__", "__builtins__": USER_BUILTINS}
    try:
        exec(code_object, namespace)
    except BaseException:
        return runtime_error(sys.exc_info())
    main = namespace.get("main")
    if not callable(main):
        return error("RUNTIME_ERROR", "", "main() is not defined")
    try:
        result = main(**job["inputs"])
    except BaseException:
        return runtime_error(sys.exc_info())
    failure = check_result(result)
    if failure is not None:
        return failure
    return {"ok": True, "result": result}


def render_template(job):
    sys.path.append(DIST_PACKAGES)
    from jinja2 import TemplateSyntaxError
    from jinja2.sandbox import SandboxedEnvironment
    # Jinja2's defaults, as Dify: no autoescaping, an undefined variable
    # renders as "". The sandbox refuses unsafe attributes (SecurityError).
    environment = SandboxedEnvironment()
    try:
        template = environment.from_string(job["code"])
    except TemplateSyntaxError as e:
        return error("COMPILE_ERROR", "TemplateSyntaxError",
                     "%s (line %d)" % (e.message, e.lineno))
    try:
        output = template.render(job["inputs"])
    except BaseException:
        return runtime_error(sys.exc_info(), TEMPLATE_FILENAME)
    return {"ok": True, "result": {"output": output}}


def main_binding(tree):
    # The last statement binding `main` at module level (inside top-level
    # if/try/with/for/while blocks too, never inside functions or classes).
    import ast
    found = None
    pending = list(tree.body)
    while pending:
        node = pending.pop(0)
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            if node.name == "main":
                found = node
        elif isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if any(isinstance(t, ast.Name) and t.id == "main" for t in targets):
                found = node
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            if any((alias.asname or alias.name) == "main" for alias in node.names):
                found = node
        else:
            for field in ("body", "orelse", "finalbody", "handlers"):
                pending[0:0] = getattr(node, field, [])
    return found


def parameter_problem(arguments, input_names):
    # How main's parameters fail to match the inputs (passed by name), or
    # None.
    positional = arguments.posonlyargs + arguments.args
    first_default = len(positional) - len(arguments.defaults)
    for i, arg in enumerate(arguments.posonlyargs):
        if i < first_default:
            return ('parameter "%s" of main() is positional-only, but inputs '
                    'are passed by name' % arg.arg)
    by_name = [(arg.arg, i + len(arguments.posonlyargs) >= first_default)
               for i, arg in enumerate(arguments.args)]
    by_name += [(arg.arg, default is not None)
                for arg, default in zip(arguments.kwonlyargs, arguments.kw_defaults)]
    for name, has_default in by_name:
        if not has_default and name not in input_names:
            return ('main() requires parameter "%s", which is not an input of '
                    'this node' % name)
    if arguments.kwarg is None:
        accepted = {name for name, _ in by_name}
        for name in sorted(input_names):
            if name not in accepted:
                return 'input "%s" is not a parameter of main()' % name
    return None


def check_code(job):
    code_object, failure = compile_user_code(job["code"])
    if failure is not None:
        return failure
    # Compiled only for its compile errors (the AST alone misses some, such
    # as `return` outside a function); never run.
    del code_object
    # Imported here: it costs ~9 ms that the other kinds do not pay.
    import ast
    binding = main_binding(ast.parse(job["code"], CODE_FILENAME))
    if binding is None:
        return error("COMPILE_ERROR", "", "main() is not defined")
    arguments = None
    if isinstance(binding, (ast.FunctionDef, ast.AsyncFunctionDef)):
        # A decorator may change the signature: nothing to check then.
        if not binding.decorator_list:
            arguments = binding.args
    elif isinstance(binding, ast.Assign) and isinstance(binding.value, ast.Lambda):
        arguments = binding.value.args
    if arguments is not None:
        problem = parameter_problem(arguments, set(job["inputs"]))
        if problem is not None:
            return error("COMPILE_ERROR", "", problem)
    return {"ok": True, "result": {}}


KINDS = {"run": run_code, "template": render_template, "check": check_code}


# Line buffering: what was printed before a timeout kill is not lost. Set
# when the harness loads, so that a zygote's children inherit it.
sys.stdout.reconfigure(line_buffering=True)
REPLY_ENCODER = json.JSONEncoder(allow_nan=False, ensure_ascii=False)


def read_job():
    # Raw reads of the whole input, without a file object around them.
    chunks = []
    while True:
        chunk = os.read(INPUT_FD, 1 << 16)
        if not chunk:
            break
        chunks.append(chunk)
    os.close(INPUT_FD)
    return json.loads(b"".join(chunks))


def write_reply(data):
    view = memoryview(data)
    while view:
        view = view[os.write(RESULT_FD, view):]
    os.close(RESULT_FD)


def entry():
    job = read_job()
    # Processes the user starts (os.system) must not hold the channel open.
    os.set_inheritable(RESULT_FD, False)
    reply = KINDS[job["kind"]](job)
    data = REPLY_ENCODER.encode(reply).encode("utf-8")
    # stdout and stderr are complete and closed before the reply: a worker
    # that sees all three channels closed has the whole job and answers
    # without waiting for this process's exit (sandbox/supervisor.h).
    for stream, fd in ((sys.stdout, 1), (sys.stderr, 2)):
        try:
            stream.flush()
        except (OSError, ValueError):  # the user closed or broke it
            pass
        try:
            os.close(fd)
        except OSError:
            pass
    write_reply(data)
    # Skips atexit handlers and non-daemon threads left by the user's code.
    os._exit(0)


def import_threading_without_fork_hook():
    # threading (imported by Jinja2) registers an after-fork hook that
    # rebuilds its locks and thread records for the threads a fork did not
    # copy. A zygote forks single-threaded (checked before every fork) and
    # the forking thread keeps its identity in the child, so in a job that
    # hook would only rebuild what is already right, at the cost of ~85
    # copy-on-write page faults (a quarter of a small job's). It is not
    # registered; random's re-seeding hook is, as usual.
    if "threading" in sys.modules:
        return
    register_at_fork = os.register_at_fork
    os.register_at_fork = lambda **hooks: None
    try:
        import threading  # noqa: F401
    finally:
        os.register_at_fork = register_at_fork


def warm_up():
    # Run once by a zygote before it forks any job: every module a job may
    # import is loaded and each kind has run, so that no job pays for a
    # first import or a first compile. Nothing a job could observe is left
    # behind (the sample code's source is dropped from linecache).
    import_threading_without_fork_hook()
    for name in sorted(ALLOWED_MODULES):
        __import__(name)
    sample = {"code": "def main(a: int) -> dict:\n    return {'b': [a, str(a)]}\n",
              "inputs": {"a": 1}}
    REPLY_ENCODER.encode(run_code(sample))
    check_code(sample)
    render_template({"code": "{% for x in a %}{{ x }}{% endfor %}", "inputs": {"a": [1]}})
    json.loads('{"kind": "run", "code": "", "inputs": {"a": [1, 2.5, null, true]}}')
    linecache.cache.pop(CODE_FILENAME, None)


if __name__ == "__main__":
    entry()
