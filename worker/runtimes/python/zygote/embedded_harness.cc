#include "worker/runtimes/python/zygote/embedded_harness.h"

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <unistd.h>

#include <string>

#include "absl/strings/str_cat.h"
#include "worker/runtimes/harness_source.h"

namespace flowgrid::runtimes::python::zygote {
namespace {

// The harness module; owned for the process's lifetime.
PyObject* harness_module = nullptr;

// The pending Python exception as text (and cleared).
std::string TakePythonError() {
  PyObject *type = nullptr, *value = nullptr, *traceback = nullptr;
  PyErr_Fetch(&type, &value, &traceback);
  if (type == nullptr) return "no Python exception";
  PyErr_NormalizeException(&type, &value, &traceback);
  std::string text = "unprintable exception";
  if (PyObject* module = PyImport_ImportModule("traceback"); module != nullptr) {
    PyObject* lines = PyObject_CallMethod(module, "format_exception", "OOO", type,
                                          value != nullptr ? value : Py_None,
                                          traceback != nullptr ? traceback : Py_None);
    if (lines != nullptr) {
      PyObject* empty = PyUnicode_FromString("");
      PyObject* joined = PyUnicode_Join(empty, lines);
      if (joined != nullptr) {
        if (const char* utf8 = PyUnicode_AsUTF8(joined); utf8 != nullptr) text = utf8;
        Py_DECREF(joined);
      }
      Py_DECREF(empty);
      Py_DECREF(lines);
    }
    Py_DECREF(module);
  }
  PyErr_Clear();
  Py_XDECREF(type);
  Py_XDECREF(value);
  Py_XDECREF(traceback);
  return text;
}

absl::Status PythonError(absl::string_view what) {
  return absl::InternalError(absl::StrCat(what, ": ", TakePythonError()));
}

absl::Status InitializeInterpreter() {
  PyPreConfig preconfig;
  PyPreConfig_InitIsolatedConfig(&preconfig);
  preconfig.utf8_mode = 1;
  if (PyStatus status = Py_PreInitialize(&preconfig); PyStatus_Exception(status)) {
    return absl::InternalError(absl::StrCat("Python pre-initialization: ",
                                            status.err_msg != nullptr ? status.err_msg : ""));
  }
  PyConfig config;
  PyConfig_InitIsolatedConfig(&config);
  config.site_import = 0;              // -S
  config.install_signal_handlers = 0;  // SIGINT stays the kernel's default
  config.write_bytecode = 0;           // the tree is read-only anyway
  config.buffered_stdio = 1;
  PyStatus status = PyConfig_SetString(&config, &config.program_name, L"/usr/bin/python3");
  if (!PyStatus_Exception(status)) status = Py_InitializeFromConfig(&config);
  PyConfig_Clear(&config);
  if (PyStatus_Exception(status)) {
    return absl::InternalError(absl::StrCat("Python initialization: ",
                                            status.err_msg != nullptr ? status.err_msg : ""));
  }
  return absl::OkStatus();
}

absl::Status LoadHarness() {
  // A module of its own, not __main__: the source's `if __name__ ==
  // "__main__"` keeps it from running a job on load.
  PyObject* module = PyImport_AddModule("flowgrid_harness");  // borrowed
  if (module == nullptr) return PythonError("creating the harness module");
  PyObject* globals = PyModule_GetDict(module);  // borrowed
  if (PyDict_SetItemString(globals, "__builtins__", PyEval_GetBuiltins()) != 0) {
    return PythonError("harness builtins");
  }
  const std::string source(PythonHarnessSource());
  PyObject* code = Py_CompileString(source.c_str(), "<flowgrid-harness>", Py_file_input);
  if (code == nullptr) return PythonError("compiling the harness");
  PyObject* result = PyEval_EvalCode(code, globals, globals);
  Py_DECREF(code);
  if (result == nullptr) return PythonError("loading the harness");
  Py_DECREF(result);
  Py_INCREF(module);
  harness_module = module;
  return absl::OkStatus();
}

absl::Status CallModuleFunction(const char* module_name, const char* function) {
  PyObject* module = PyImport_ImportModule(module_name);
  if (module == nullptr) return PythonError(absl::StrCat("import ", module_name));
  PyObject* result = PyObject_CallMethod(module, function, nullptr);
  Py_DECREF(module);
  if (result == nullptr) return PythonError(absl::StrCat(module_name, ".", function, "()"));
  Py_DECREF(result);
  return absl::OkStatus();
}

void FlushStdio() {
  for (const char* name : {"stdout", "stderr"}) {
    PyObject* stream = PySys_GetObject(name);  // borrowed
    if (stream == nullptr) continue;
    PyObject* result = PyObject_CallMethod(stream, "flush", nullptr);
    if (result == nullptr) {
      PyErr_Clear();
    } else {
      Py_DECREF(result);
    }
  }
}

}  // namespace

absl::Status StartWarmHarness() {
  if (absl::Status status = InitializeInterpreter(); !status.ok()) return status;
  if (absl::Status status = LoadHarness(); !status.ok()) return status;
  if (absl::Status status = CallModuleFunction("flowgrid_harness", "warm_up"); !status.ok()) {
    return status;
  }
  // Collect what warming up left, then move every survivor to the
  // permanent generation.
  if (absl::Status status = CallModuleFunction("gc", "collect"); !status.ok()) return status;
  return CallModuleFunction("gc", "freeze");
}

void BeforeFork() {
  FlushStdio();
  PyOS_BeforeFork();
}

void AfterForkInParent() { PyOS_AfterFork_Parent(); }

void AfterForkInChild() { PyOS_AfterFork_Child(); }

void RunJob() {
  PyObject* result = PyObject_CallMethod(harness_module, "entry", nullptr);
  // entry() ends the process itself; getting here is a harness failure.
  if (result == nullptr) PyErr_Print();
  FlushStdio();
  ::_exit(1);
}

}  // namespace flowgrid::runtimes::python::zygote
