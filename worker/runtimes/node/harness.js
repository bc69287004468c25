// flowgrid JavaScript harness: runs one job in a fresh Node.js process.
//
// Started as `node <flags> -e <this file>` by the worker (embedded into the
// binary at build time; see node_runtime.h for the flags). Channels, fixed
// by worker/sandbox/fd_hygiene.h, and the reply are those of harness.py:
//   fd 3  the job, JSON: {"kind": "run" | "check", "code": "...",
//                         "inputs": {...}}; read to EOF
//   fd 4  the reply, JSON, written once and closed:
//         {"ok": true, "result": {...}}
//         {"ok": false, "error": {"code": "RUNTIME_ERROR" | "INVALID_RESULT"
//                                          | "COMPILE_ERROR",
//                                 "type": "...", "message": "...",
//                                 "traceback": "..."}}
// "run" calls main(inputs) of the code (awaited when it returns a promise);
// "check" only compiles the code and matches main's destructured parameter
// against the input names, without running any of it.
//
// User code sees no `process`, `require` of its own or `module`: the
// harness keeps what it needs in constants and deletes those globals, so
// even code built from strings (`Function('return process')()`) finds
// nothing. Its `require` loads only ALLOWED_MODULES. This is guidance, not
// the security boundary (the kernel sandbox is).
'use strict';

const fs = require('fs');
const util = require('util');
const vm = require('vm');

const hostProcess = process;
const hostRequire = require;

const INPUT_FD = 3;
const RESULT_FD = 4;
const STDOUT_FD = 1;
const STDERR_FD = 2;
const CODE_FILENAME = '<code>';
// As in harness.py: the worker refuses replies nested deeper than 24 levels.
const MAX_OUTPUT_NESTING = 20;

// The crypto functions a code node needs to hash, sign and draw random
// values (Python's hashlib, hmac and random); not the rest of the module
// (setEngine loads a shared library).
function cryptoSubset() {
  const crypto = hostRequire('crypto');
  return {
    createHash: crypto.createHash,
    createHmac: crypto.createHmac,
    getHashes: crypto.getHashes,
    randomBytes: crypto.randomBytes,
    randomInt: crypto.randomInt,
    randomUUID: crypto.randomUUID,
    subtle: crypto.subtle,
    timingSafeEqual: crypto.timingSafeEqual,
    webcrypto: crypto.webcrypto,
  };
}

// What user code may require ("node:" prefix optional): pure computation,
// the counterparts of the Python allow-list. README.md explains the choice.
const ALLOWED_MODULES = new Map([
  ['buffer', () => hostRequire('buffer')],
  ['crypto', cryptoSubset],
  ['querystring', () => hostRequire('querystring')],
  ['url', () => hostRequire('url')],
]);
const loadedModules = new Map();

function userRequire(name) {
  const text = String(name);
  const bare = text.startsWith('node:') ? text.slice('node:'.length) : text;
  const load = ALLOWED_MODULES.get(bare);
  if (load === undefined) throw new Error(`Module "${text}" is not allowed in code nodes`);
  if (!loadedModules.has(bare)) loadedModules.set(bare, load());
  return loadedModules.get(bare);
}

// console.* write synchronously to the captured stdout/stderr, so nothing
// printed is lost when the harness exits right after replying, and user
// code never holds Node's stream objects.
function consoleWriter(fd) {
  return (...args) => {
    try {
      fs.writeSync(fd, util.format(...args) + '\n');
    } catch {
      // Output that cannot be written (the worker stopped reading) is lost.
    }
  };
}

function hideHostGlobals() {
  for (const name of ['process', 'require', 'module', 'exports', '__filename', '__dirname']) {
    delete globalThis[name];
  }
  Object.defineProperty(globalThis, 'console', {
    value: {
      log: consoleWriter(STDOUT_FD),
      info: consoleWriter(STDOUT_FD),
      debug: consoleWriter(STDOUT_FD),
      warn: consoleWriter(STDERR_FD),
      error: consoleWriter(STDERR_FD),
    },
    writable: true,
    configurable: true,
    enumerable: false,
  });
}

// ------------------------------------------------------------- replies --

let replied = false;

// Writes the reply and exits at once (timers and pending promises of the
// user's code are abandoned, as harness.py's os._exit does). stdout and
// stderr are closed first (everything printed went out synchronously): a
// worker that sees all three channels closed has the whole job and answers
// without waiting for this process's exit (sandbox/supervisor.h).
function reply(message) {
  if (replied) return;
  const data = Buffer.from(JSON.stringify(message), 'utf8');
  replied = true;
  for (const fd of [STDOUT_FD, STDERR_FD]) {
    try {
      fs.closeSync(fd);
    } catch {
      // Already closed: nothing more can come from it either.
    }
  }
  let written = 0;
  while (written < data.length) written += fs.writeSync(RESULT_FD, data, written);
  fs.closeSync(RESULT_FD);
  hostProcess.exit(0);
}

// A UTF-16 surrogate without its pair: it has no UTF-8 form. (Node 20's
// String.prototype.isWellFormed is missing from Debian 12's Node 18.)
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

function failure(code, type, message, traceback = '') {
  // The reply must be valid UTF-8.
  const clean = (text) => String(text).replace(LONE_SURROGATE, '\uFFFD');
  return {
    ok: false,
    error: { code, type: clean(type), message: clean(message), traceback: clean(traceback) },
  };
}

// The stack without the harness's and Node's frames: the header (name and
// message) and the frames in the user's code, whose line numbers are
// relative to it.
function userStack(stack) {
  const lines = stack.split('\n');
  const firstFrame = lines.findIndex((line) => /^\s+at /.test(line));
  if (firstFrame < 0) return stack;
  const frames = lines.slice(firstFrame).filter((line) => line.includes(`${CODE_FILENAME}:`));
  return [...lines.slice(0, firstFrame), ...frames].join('\n');
}

function runtimeError(thrown) {
  try {
    if (thrown instanceof Error) {
      return failure('RUNTIME_ERROR', thrown.name, thrown.message, userStack(String(thrown.stack)));
    }
  } catch {
    // A hostile error object (throwing getters): reported as a value below.
  }
  return failure('RUNTIME_ERROR', '', `Uncaught ${util.inspect(thrown)}`);
}

// Node prefixes the stack of a compile error with "<code>:LINE", the source
// line and a caret.
function compileError(error) {
  const stack = String(error.stack);
  const line = new RegExp(`^${CODE_FILENAME}:(\\d+)\\n`).exec(stack);
  const snippetEnd = stack.search(/\n\s+at /);
  return failure('COMPILE_ERROR', error.name,
                 line ? `${error.message} (line ${line[1]})` : error.message,
                 snippetEnd < 0 ? stack : stack.slice(0, snippetEnd));
}

// ------------------------------------------------------------- results --

function aOrAn(word) {
  return (/^[aeiou]/i.test(word) ? 'an ' : 'a ') + word;
}

function isPlainObject(value) {
  const prototype = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

function constructorName(value) {
  const prototype = Object.getPrototypeOf(value);
  return (prototype && typeof prototype.constructor === 'function' && prototype.constructor.name) ||
         'object';
}

// "<path> is <what>" for the first part of `value` without an exact JSON
// form, or null. Stricter than JSON.stringify, which turns NaN into null and
// silently drops undefined values and functions. A valid Date is accepted
// (it becomes its ISO string, as JSON.stringify makes it).
function unserializable(value, path, depth, onPath) {
  switch (typeof value) {
    case 'boolean':
      return null;
    case 'string':
      return value.search(LONE_SURROGATE) < 0 ? null : `${path} is a string with a lone surrogate`;
    case 'number':
      if (Number.isFinite(value)) return null;
      return `${path} is ${String(value)}`;
    case 'bigint':
      return `${path} is a BigInt`;
    case 'undefined':
      return `${path} is undefined`;
    case 'function':
      return `${path} is a function`;
    case 'symbol':
      return `${path} is a symbol`;
    default:
      break;
  }
  if (value === null) return null;
  if (value instanceof Date) {
    return Number.isNaN(value.getTime()) ? `${path} is an invalid Date` : null;
  }
  const isArray = Array.isArray(value);
  if (!isArray && !isPlainObject(value)) return `${path} is ${aOrAn(constructorName(value))}`;
  if (onPath.has(value)) return `${path} is a circular reference`;
  if (depth >= MAX_OUTPUT_NESTING) {
    return `${path} is nested more than ${MAX_OUTPUT_NESTING} levels deep`;
  }
  onPath.add(value);
  const children = isArray
    ? Array.from({ length: value.length }, (_, i) => [`${path}[${i}]`, i])
    : Object.keys(value).map((key) => [`${path}.${key}`, key]);
  for (const [childPath, key] of children) {
    if (typeof key === 'string' && key.search(LONE_SURROGATE) >= 0) {
      return `${path} has a key with a lone surrogate`;
    }
    const problem = unserializable(value[key], childPath, depth + 1, onPath);
    if (problem !== null) return problem;
  }
  onPath.delete(value);
  return null;
}

function kindOfResult(result) {
  if (result === null) return 'null';
  if (Array.isArray(result)) return 'array';
  if (typeof result !== 'object') return typeof result;
  return constructorName(result);
}

function checkResult(result) {
  if (result === null || typeof result !== 'object' || !isPlainObject(result)) {
    return failure('INVALID_RESULT', '', `main() must return an object, got ${kindOfResult(result)}`);
  }
  for (const key of Object.keys(result)) {
    if (key.search(LONE_SURROGATE) >= 0) {
      return failure('INVALID_RESULT', '',
                     `main() returned a key with a lone surrogate: ${JSON.stringify(key)}`);
    }
    const problem = unserializable(result[key], key, 0, new Set());
    if (problem !== null) {
      return failure('INVALID_RESULT', '', `Output "${key}" is not JSON-serializable: ${problem}.`);
    }
  }
  return null;
}

// ------------------------------------------------------------------ run --

// The user's code as the body of a function of `require`, so a top-level
// `return` or an unbalanced brace cannot reach the harness, followed by a
// line returning main (a declaration, or a const/let/var or global
// assignment). Appended, not prepended: line numbers stay the user's. The
// code is first compiled alone, so that the syntax error of incomplete code
// points into it, not at the appended line.
function compileUserCode(code) {
  const options = { filename: CODE_FILENAME };
  vm.compileFunction(code, ['require'], options);
  return vm.compileFunction(
    `${code}\n;return typeof main === 'function' ? main : undefined;`, ['require'], options);
}

async function runCode(job) {
  let compiled;
  try {
    compiled = compileUserCode(job.code);
  } catch (error) {
    return compileError(error);
  }
  let result;
  try {
    const main = compiled.call(undefined, userRequire);
    if (main === undefined) return failure('RUNTIME_ERROR', '', 'main() is not defined');
    result = await main(job.inputs);
  } catch (thrown) {
    return runtimeError(thrown);
  }
  let problem;
  try {
    problem = checkResult(result);
  } catch (thrown) {
    // A getter of the result threw.
    return runtimeError(thrown);
  }
  return problem ?? { ok: true, result };
}

// ---------------------------------------------------------------- check --

// Yields the index of every character of `text` that is code: outside
// comments, string and template text, and regular expression literals.
// Template substitutions (`${...}`) are code. A light scanner, not a
// parser: enough to match brackets and find `main` in code that compiles.
function* codeIndices(text) {
  const substitutionDepths = [];
  let depth = 0;
  let previous = '';  // the last code character that is not white space
  let previousIndex = -1;
  let word = '';      // the identifier or keyword ending at `previous`
  let i = 0;
  const skipTemplateText = (from) => {
    let j = from;
    while (j < text.length) {
      if (text[j] === '\\') { j += 2; continue; }
      if (text[j] === '`') return j + 1;
      if (text[j] === '$' && text[j + 1] === '{') {
        substitutionDepths.push(depth);
        depth += 1;
        return j + 2;
      }
      j += 1;
    }
    return j;
  };
  while (i < text.length) {
    const c = text[i];
    const next = text[i + 1];
    if (c === '/' && next === '/') {
      const end = text.indexOf('\n', i);
      i = end < 0 ? text.length : end;
    } else if (c === '/' && next === '*') {
      const end = text.indexOf('*/', i + 2);
      i = end < 0 ? text.length : end + 2;
    } else if (c === '"' || c === "'") {
      let j = i + 1;
      while (j < text.length && text[j] !== c) j += text[j] === '\\' ? 2 : 1;
      i = j + 1;
      previous = c;
      word = '';
    } else if (c === '`') {
      i = skipTemplateText(i + 1);
      previous = c;
      word = '';
    } else if (c === '}' && substitutionDepths.length > 0 &&
               substitutionDepths[substitutionDepths.length - 1] === depth - 1) {
      substitutionDepths.pop();
      depth -= 1;
      i = skipTemplateText(i + 1);
      previous = '`';
      word = '';
    } else if (c === '/' && (previous === '' || '(,=:[!&|?{};+-*%<>~^'.includes(previous) ||
                             /^(return|typeof|case|do|else|in|of|new|delete|void|throw|yield|await)$/.test(word))) {
      let j = i + 1;
      let inClass = false;
      while (j < text.length && (inClass || text[j] !== '/')) {
        if (text[j] === '\\') j += 1;
        else if (text[j] === '[') inClass = true;
        else if (text[j] === ']') inClass = false;
        j += 1;
      }
      i = j + 1;
      previous = ')';
      word = '';
    } else {
      if ('([{'.includes(c)) depth += 1;
      if (')]}'.includes(c)) depth -= 1;
      if (!/\s/.test(c)) {
        const continuesWord = previousIndex === i - 1 && /[\w$]/.test(previous);
        word = /[\w$]/.test(c) ? (continuesWord ? word : '') + c : '';
        previous = c;
        previousIndex = i;
      }
      yield i;
      i += 1;
    }
  }
}

// The text between the bracket at `open` and its match, or null.
function bracketContents(text, open) {
  let depth = 0;
  for (const i of codeIndices(text.slice(open))) {
    const c = text[open + i];
    if ('([{'.includes(c)) depth += 1;
    if (')]}'.includes(c)) depth -= 1;
    if (depth === 0) return text.slice(open + 1, open + i);
  }
  return null;
}

// `text` cut at the top-level (unbracketed) code characters `separator`.
function splitTopLevel(text, separator) {
  const parts = [];
  let depth = 0;
  let start = 0;
  for (const i of codeIndices(text)) {
    const c = text[i];
    if ('([{'.includes(c)) depth += 1;
    if (')]}'.includes(c)) depth -= 1;
    if (depth === 0 && c === separator) {
      parts.push(text.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(text.slice(start));
  return parts;
}

// Whether a destructuring element ("a = 1", "b: c = 2") has a default: a
// top-level "=" that is not part of "==", "=>", "<=", ">=" or "!=".
function hasDefault(element) {
  let depth = 0;
  for (const i of codeIndices(element)) {
    const c = element[i];
    if ('([{'.includes(c)) depth += 1;
    if (')]}'.includes(c)) depth -= 1;
    if (depth === 0 && c === '=' && !'=>'.includes(element[i + 1] ?? '') &&
        !'=!<>'.includes(element[i - 1] ?? '')) {
      return true;
    }
  }
  return false;
}

// main's first parameter as {names: [[name, required]], rest}, or null
// when it cannot be known: not an object pattern (`function main(inputs)`),
// or computed keys. No parameter at all accepts no input.
function destructuredParameter(parameterList) {
  const first = splitTopLevel(parameterList, ',')[0].trim();
  if (first === '') return { names: [], rest: false };
  if (!first.startsWith('{')) return null;
  const pattern = bracketContents(first, 0);
  if (pattern === null) return null;
  const names = [];
  let rest = false;
  for (const element of splitTopLevel(pattern, ',').map((e) => e.trim())) {
    if (element === '') continue;
    if (element.startsWith('...')) {
      rest = true;
      continue;
    }
    const key = /^(?:([A-Za-z_$][\w$]*)|"([^"\\]*)"|'([^'\\]*)')/.exec(element);
    if (key === null) return null;
    names.push([key[1] ?? key[2] ?? key[3], !hasDefault(element)]);
  }
  return { names, rest };
}

// The parameter list of the function whose source starts at `start`
// ("async function main(...)", "function* (...)", "async (...) =>"), or
// null (e.g. `x => ...`, or not a function).
function parameterListAt(text, start) {
  const head = /^\s*(?:async\b\s*)?(?:function\b\s*\*?\s*(?:[A-Za-z_$][\w$]*)?\s*)?\(/
    .exec(text.slice(start));
  return head === null ? null : bracketContents(text, start + head[0].length - 1);
}

// How `main` is bound, found without running any of the user's code: the
// probe below returns before the code's first statement. Function
// declarations are hoisted, so a declared main is already the function; a
// const/let/class main is in its temporal dead zone (typeof throws); a var
// main is undefined. Returns {main} for a declaration, {declared: true} for
// another binding, {} when there is none.
function probeMain(code) {
  const probe =
    "try { if (typeof main === 'function') return { main: main }; }" +
    ' catch (error) { return { declared: true }; }' +
    ' try { void main; return { declared: true }; } catch (error) { return {}; }\n';
  try {
    return vm.compileFunction(probe + code, ['require'], { filename: CODE_FILENAME })();
  } catch {
    // Only what the run compiles is checked; the probe differs from it in
    // directives ("use strict" is no longer first). Nothing is known.
    return { declared: true };
  }
}

// main's parameter list for a binding that is not a declaration: the last
// `main = ...` (also `const main = `, `globalThis.main = `) in the code.
// `found` is false when there is no such assignment.
function assignedMain(code) {
  let found = false;
  let parameterList = null;
  const assignment = /(?:globalThis\.)?main\s*=(?![=>])/y;
  for (const i of codeIndices(code)) {
    // Not a property of something else (`obj.main = `) or a longer name.
    if ((code[i] !== 'm' && code[i] !== 'g') || /[\w$.]/.test(code[i - 1] ?? '')) continue;
    assignment.lastIndex = i;
    const match = assignment.exec(code);
    if (match === null) continue;
    found = true;
    parameterList = parameterListAt(code, i + match[0].length);
  }
  return { found, parameterList };
}

function parameterProblem(parameter, inputNames) {
  for (const [name, required] of parameter.names) {
    if (required && !inputNames.includes(name)) {
      return `main() requires parameter "${name}", which is not an input of this node`;
    }
  }
  if (!parameter.rest) {
    const accepted = new Set(parameter.names.map(([name]) => name));
    for (const name of [...inputNames].sort()) {
      if (!accepted.has(name)) return `input "${name}" is not a parameter of main()`;
    }
  }
  return null;
}

function checkCode(job) {
  try {
    // Compiled exactly as a run compiles it, so both agree on syntax.
    compileUserCode(job.code);
  } catch (error) {
    return compileError(error);
  }
  const probed = probeMain(job.code);
  let parameterList;
  if (probed.main !== undefined) {
    const source = Function.prototype.toString.call(probed.main);
    parameterList = parameterListAt(source, 0);
  } else {
    const assigned = assignedMain(job.code);
    if (!assigned.found && !probed.declared) {
      return failure('COMPILE_ERROR', '', 'main() is not defined');
    }
    parameterList = assigned.parameterList;
  }
  const parameter = parameterList === null ? null : destructuredParameter(parameterList);
  const problem = parameter === null ? null : parameterProblem(parameter, Object.keys(job.inputs));
  return problem === null ? { ok: true, result: {} } : failure('COMPILE_ERROR', '', problem);
}

// ---------------------------------------------------------------- entry --

function entry() {
  const job = JSON.parse(fs.readFileSync(INPUT_FD, 'utf8'));
  fs.closeSync(INPUT_FD);
  hideHostGlobals();
  // Errors thrown outside main's own promise chain (a timer callback, a
  // promise nobody awaited) end the job, as they would end a Node process.
  hostProcess.on('uncaughtException', (error) => reply(runtimeError(error)));
  hostProcess.on('unhandledRejection', (reason) => reply(runtimeError(reason)));
  // The event loop ran dry while main's promise was still pending.
  hostProcess.on('beforeExit', () =>
    reply(failure('RUNTIME_ERROR', '', 'main() returned a promise that never settled')));
  if (job.kind === 'check') {
    reply(checkCode(job));
  } else {
    runCode(job).then(reply);
  }
}

entry();
