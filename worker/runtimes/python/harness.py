# flowgrid Python harness: runs one code-node job in a fresh interpreter.
#
# Started as `python3 -I -S -c <this file>` by the worker (embedded into the
# binary at build time). Channels, fixed by worker/sandbox/fd_hygiene.h:
#   fd 3  the job, JSON: {"code": "...", "inputs": {...}}; read to EOF
#   fd 4  the reply, JSON, written once and closed:
#         {"ok": true, "result": {...}}
#         {"ok": false, "error": {"code": "RUNTIME_ERROR" | "INVALID_RESULT",
#                                 "type": "...", "message": "...",
#                                 "traceback": "..."}}
# stdout/stderr belong to the user's prints. The reply is only a report:
# the worker validates everything in it (outputs, types, limits, int64).
import json
import linecache
import os
import sys
import traceback

INPUT_FD = 3
RESULT_FD = 4
CODE_FILENAME = "<code>"


def clean_text(text):
    # Lone surrogates cannot be encoded as UTF-8; the reply must be.
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def user_frames_only(exc_info):
    # A TracebackException keeping only the frames of the user's code, in
    # the exception and in every chained cause/context.
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
            [f for f in current.stack if f.filename == CODE_FILENAME])
        for chained in (current.__cause__, current.__context__):
            if chained is not None:
                pending.append(chained)
    return te


def runtime_error(exc_info):
    exc_type, exc, _ = exc_info
    te = user_frames_only(exc_info)
    return {
        "code": "RUNTIME_ERROR",
        "type": clean_text(exc_type.__name__),
        "message": clean_text(str(exc)),
        "traceback": clean_text("".join(te.format())),
    }


def contract_error(message):
    return {"code": "INVALID_RESULT", "type": "", "message": message,
            "traceback": ""}


def check_result(result):
    # Returns an error dict or None. Each value is encoded alone so that the
    # error names the output at fault.
    if not isinstance(result, dict):
        return contract_error("main() must return a dict, got %s"
                              % type(result).__name__)
    for key, value in result.items():
        if not isinstance(key, str):
            return contract_error("main() must return a dict with string keys,"
                                  " got key %r" % (key,))
        try:
            json.dumps(value, allow_nan=False, ensure_ascii=False).encode("utf-8")
        except (TypeError, ValueError, RecursionError) as e:
            return contract_error(clean_text(
                'Output "%s" is not JSON-serializable: %s' % (key, e)))
    return None


def run(job):
    code = job["code"]
    inputs = job["inputs"]
    # Lets tracebacks show the user's source lines.
    linecache.cache[CODE_FILENAME] = (len(code), None,
                                      code.splitlines(True), CODE_FILENAME)
    namespace = {"__name__": "__main__", "__builtins__": __builtins__}
    try:
        exec(compile(code, CODE_FILENAME, "exec"), namespace)
    except BaseException:
        return {"ok": False, "error": runtime_error(sys.exc_info())}
    main = namespace.get("main")
    if not callable(main):
        return {"ok": False, "error": {
            "code": "RUNTIME_ERROR", "type": "NameError",
            "message": "the code must define a function main()",
            "traceback": ""}}
    try:
        result = main(**inputs)
    except BaseException:
        return {"ok": False, "error": runtime_error(sys.exc_info())}
    error = check_result(result)
    if error is not None:
        return {"ok": False, "error": error}
    return {"ok": True, "result": result}


def entry():
    with open(INPUT_FD, "rb", closefd=True) as f:
        job = json.loads(f.read())
    result_channel = open(RESULT_FD, "wb", closefd=True)
    # Processes the user starts (os.system) must not hold the channel open.
    os.set_inheritable(RESULT_FD, False)
    # Line buffering: what was printed before a timeout kill is not lost.
    sys.stdout.reconfigure(line_buffering=True)
    reply = run(job)
    data = json.dumps(reply, allow_nan=False, ensure_ascii=False).encode("utf-8")
    result_channel.write(data)
    result_channel.close()
    sys.stdout.flush()
    sys.stderr.flush()
    # Skips atexit handlers and non-daemon threads left by the user's code.
    os._exit(0)


entry()
