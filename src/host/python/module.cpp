// dupscan._dupscan: the nanobind module under the Python package (python/dupscan/). It takes
// Arrow PyCapsules (the Arrow C data / stream interface), file paths and typed settings
// (settings.hpp), runs the library's commands with the GIL released on a thread of their own --
// the calling thread checks for Ctrl-C meanwhile and turns it into request_interrupt() -- and
// hands back results as Arrow PyCapsules (the C data interface, filled here: arrow_out.hpp,
// result_tables.hpp), numpy arrays and bytes. The Python layer (dupscan/__init__.py) imports the
// capsules with pyarrow.
#include <nanobind/nanobind.h>
#include <nanobind/ndarray.h>
#include <nanobind/stl/pair.h>
#include <nanobind/stl/shared_ptr.h>
#include <nanobind/stl/string.h>
#include <nanobind/stl/tuple.h>
#include <nanobind/stl/vector.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <thread>

#include "arrow_out.hpp"
#include "common/parallel.hpp"
#include "common/progress_text.hpp"
#include "dedup/run_setup.hpp"
#include "dupscan/backend.hpp"
#include "dupscan/choices.hpp"
#include "dupscan/contam.hpp"
#include "dupscan/dedup.hpp"
#include "dupscan/errors.hpp"
#include "dupscan/normalize.hpp"
#include "dupscan/table_input.hpp"
#include "io/documents.hpp"
#include "progress.hpp"  // src/host/cli: the terminal summary the CLI's pages carry
#include "report/report.hpp"
#include "result_tables.hpp"
#include "settings.hpp"
#ifdef DUPSCAN_HAVE_PARQUET
#include "io/parquet_input.hpp"
#endif

namespace nb = nanobind;
using namespace nb::literals;

namespace dupscan::python {
namespace {

PyObject* input_error = nullptr;  // dupscan.InputError, set by the package at import

// ---- running with the GIL released --------------------------------------------------------------

struct Live {
  std::mutex m;
  Progress progress;
  bool have = false;
  std::vector<std::string> warnings;
};

/**
 * Runs f() on a thread of its own while this thread, without the GIL, wakes every 50 ms to let
 * Python handle signals: a KeyboardInterrupt asks the run to stop (request_interrupt), waits for
 * it, and is raised here. f's exceptions are rethrown here (the translators below map them).
 * `progress` > 0: progress on sys.stderr -- a live line when it is a terminal, else a plain line
 * every `progress` seconds (a log: no escape codes), as the CLI's --progress-interval.
 */
template <class F>
void run_released(F&& f, Live* live, double progress) {
  std::exception_ptr error;
  std::mutex m;
  std::condition_variable cv;
  bool done = false;
  clear_interrupt();
  PyObject *type = nullptr, *value = nullptr, *trace = nullptr;
  {
    nb::gil_scoped_release release;
    std::thread worker([&] {
      try {
        f();
      } catch (...) {
        error = std::current_exception();
      }
      std::lock_guard<std::mutex> lock(m);
      done = true;
      cv.notify_all();
    });
    // Nothing may leave this block while the worker is joinable (std::terminate): an error of
    // this thread (sys.stderr.write raising, say) stops the run, waits for it, and is rethrown.
    std::exception_ptr own;
    std::string last;
    bool tty = false;
    if (progress > 0) {
      nb::gil_scoped_acquire acquire;
      try {
        tty = nb::cast<bool>(nb::module_::import_("sys").attr("stderr").attr("isatty")());
      } catch (...) {  // a stderr without isatty(): a log
      }
    }
    using Clock = std::chrono::steady_clock;
    const Clock::time_point start = Clock::now();
    Clock::time_point last_log = start, stage_start = start;
    std::string stage;
    try {
      for (;;) {
        {
          std::unique_lock<std::mutex> lock(m);
          if (cv.wait_for(lock, std::chrono::milliseconds(50), [&] { return done; })) break;
        }
        nb::gil_scoped_acquire acquire;
        if (type == nullptr && PyErr_CheckSignals() != 0) {
          PyErr_Fetch(&type, &value, &trace);  // raised once the run has stopped
          request_interrupt();
        }
        if (progress > 0 && live != nullptr) {
          const Clock::time_point now = Clock::now();
          const bool due = tty || std::chrono::duration<double>(now - last_log).count() >= progress;
          std::string line;
          if (due) {
            std::lock_guard<std::mutex> lock(live->m);
            if (live->have) {
              const Progress& p = live->progress;
              if (stage != p.stage) {
                stage = p.stage;
                stage_start = now;
              }
              line = progress_text(
                  figures_of(p, std::chrono::duration<double>(now - start).count(),
                             std::chrono::duration<double>(now - stage_start).count()),
                  !tty);
            }
          }
          if (!line.empty() && tty && line != last) {
            last = line;
            nb::module_::import_("sys").attr("stderr").attr("write")("\rdupscan: " + line +
                                                                     "\x1b[K");
          } else if (!line.empty() && !tty) {
            last_log = now;
            nb::module_::import_("sys").attr("stderr").attr("write")("dupscan: progress: " + line +
                                                                     "\n");
          }
        }
      }
    } catch (...) {
      own = std::current_exception();
      request_interrupt();
    }
    worker.join();
    if (own) {
      nb::gil_scoped_acquire acquire;
      Py_XDECREF(type);
      Py_XDECREF(value);
      Py_XDECREF(trace);
      type = value = trace = nullptr;
      clear_interrupt();
      std::rethrow_exception(own);
    }
    if (tty && !last.empty()) {
      nb::gil_scoped_acquire acquire;
      nb::module_::import_("sys").attr("stderr").attr("write")("\n");
    }
  }
  clear_interrupt();
  if (type != nullptr) {
    PyErr_Restore(type, value, trace);
    throw nb::python_error();
  }
  if (error) std::rethrow_exception(error);
}

RunObserver observer_of(Live& live) {
  RunObserver obs;
  obs.progress = [&live](const Progress& p) {
    std::lock_guard<std::mutex> lock(live.m);
    live.progress = p;
    live.have = true;
  };
  obs.warning = [&live](const std::string& w) {
    std::lock_guard<std::mutex> lock(live.m);
    live.warnings.push_back(w);
  };
  return obs;
}

// ---- inputs
// ---------------------------------------------------------------------------------------

template <class T>
T* capsule_pointer(const nb::handle& capsule, const char* name) {
  if (!PyCapsule_IsValid(capsule.ptr(), name)) {
    throw nb::type_error((std::string("expected a PyCapsule named '") + name + "'").c_str());
  }
  return static_cast<T*>(PyCapsule_GetPointer(capsule.ptr(), name));
}

using Table = std::shared_ptr<const TableInput>;

Table table_from_stream(const nb::handle& capsule, std::string name) {
  auto* stream = capsule_pointer<ArrowArrayStream>(capsule, "arrow_array_stream");
  nb::gil_scoped_release release;
  return TableInput::from_stream(stream, std::move(name));
}

Table table_from_array(const nb::handle& schema, const nb::handle& array, std::string name) {
  auto* s = capsule_pointer<ArrowSchema>(schema, "arrow_schema");
  auto* a = capsule_pointer<ArrowArray>(array, "arrow_array");
  return TableInput::from_array(s, a, std::move(name));
}

template <class T>
nb::ndarray<nb::numpy, T> to_numpy(std::vector<T>&& v, std::initializer_list<std::size_t> shape) {
  auto* heap = new std::vector<T>(std::move(v));
  nb::capsule owner(heap, [](void* p) noexcept { delete static_cast<std::vector<T>*>(p); });
  return nb::ndarray<nb::numpy, T>(heap->data(), shape.size(), shape.begin(), owner);
}

nb::bytes to_bytes(const std::string& s) {
  return nb::bytes(s.data(), s.size());
}

// ---- results as Arrow PyCapsules (the Arrow PyCapsule protocol)
// -----------------------------------

// A capsule's destructor: releases the struct unless a consumer moved it out (release = null).
template <class T>
void free_arrow(PyObject* capsule, const char* name) {
  auto* p = static_cast<T*>(PyCapsule_GetPointer(capsule, name));
  if (p == nullptr) {
    PyErr_Clear();
    return;
  }
  if (p->release != nullptr) p->release(p);
  delete p;
}

template <class T>
nb::object arrow_capsule(std::unique_ptr<T> p, const char* name, PyCapsule_Destructor free) {
  PyObject* c = PyCapsule_New(p.get(), name, free);
  if (c == nullptr) throw nb::python_error();
  p.release();  // the capsule's from here
  return nb::steal(c);
}

/// A stream of record batches, filled (without the GIL) by fill(ArrowArrayStream*).
struct StreamOut {
  std::unique_ptr<ArrowArrayStream> stream = std::make_unique<ArrowArrayStream>();
  StreamOut() { stream->release = nullptr; }

  nb::object capsule() {
    return arrow_capsule(std::move(stream), "arrow_array_stream", [](PyObject* c) {
      free_arrow<ArrowArrayStream>(c, "arrow_array_stream");
    });
  }
  ~StreamOut() {
    if (stream && stream->release) stream->release(stream.get());
  }
};

/// (schema, array) capsules of one Arrow array, as __arrow_c_array__ returns them.
nb::tuple array_capsules(ArrowColumn&& column) {
  auto schema = std::make_unique<ArrowSchema>();
  auto array = std::make_unique<ArrowArray>();
  export_column(std::move(column), schema.get(), array.get());
  nb::object s = arrow_capsule(std::move(schema), "arrow_schema",
                               [](PyObject* c) { free_arrow<ArrowSchema>(c, "arrow_schema"); });
  nb::object a = arrow_capsule(std::move(array), "arrow_array",
                               [](PyObject* c) { free_arrow<ArrowArray>(c, "arrow_array"); });
  return nb::make_tuple(s, a);
}

/// The keep mask (one byte a record, 0 or 1) as an Arrow bool array.
ArrowColumn keep_column(const std::vector<std::uint8_t>& keep) {
  ArrowColumn c("keep", ArrowColumn::Type::boolean);
  c.values.assign((keep.size() + 7) / 8, 0);
  for (std::size_t i = 0; i < keep.size(); ++i) {
    if (keep[i]) c.values[i / 8] = static_cast<std::uint8_t>(c.values[i / 8] | (1u << (i % 8)));
  }
  c.length = static_cast<std::int64_t>(keep.size());
  return c;
}

// ---- the commands -------------------------------------------------------------------------------

nb::tuple dedup(const DedupSettings& settings, const std::vector<std::string>& paths,
                const std::vector<Table>& tables, double progress) {
  DedupConfig cfg = dedup_config(settings);
  cfg.inputs = paths;
  cfg.tables = tables;
  // With an index: the parameters left at their defaults are the index's (as on the command line).
  if (!cfg.against.empty()) adopt_index_parameters(cfg, settings.given);
  DedupOutputs out;
  StreamOut duplicates, clusters;
  ArrowColumn keep;
  Live live;
  const RunObserver obs = observer_of(live);
  run_released(
      [&] {
        run_dedup(cfg, obs, out);
        result_table(ResultTable::duplicates, out.duplicates, duplicates.stream.get());
        result_table(ResultTable::clusters, out.clusters, clusters.stream.get());
        keep = keep_column(out.keep);
      },
      &live, progress);
  return nb::make_tuple(array_capsules(std::move(keep)), duplicates.capsule(), clusters.capsule(),
                        to_bytes(out.duplicates), to_bytes(out.clusters), to_bytes(out.report),
                        live.warnings);
}

nb::tuple index(const DedupSettings& settings, const std::vector<std::string>& paths,
                const std::string& action, const std::string& dir, double progress, bool wait) {
  DedupConfig cfg = dedup_config(settings);
  cfg.inputs = paths;
  expect_choice("action", action, {"build", "add", "rebuild"});
  const IndexAction a = action == "build" ? IndexAction::build
                        : action == "add" ? IndexAction::add
                                          : IndexAction::rebuild;
  IndexResult r;
  Live live;
  const RunObserver obs = observer_of(live);
  run_released([&] { r = run_index(cfg, a, dir, obs, wait); }, &live, progress);
  return nb::make_tuple(r.added, r.documents, r.segments, live.warnings);
}

// A benchmark: [name, its JSONL path or its JSON Lines bytes, display name, fields...].
EvalSpec eval_spec(nb::handle item) {
  const auto e = nb::borrow<nb::list>(item);
  EvalSpec spec;
  spec.name = nb::cast<std::string>(e[0]);
  if (nb::isinstance<nb::bytes>(e[1])) {
    const auto data = nb::borrow<nb::bytes>(e[1]);
    spec.data = std::make_shared<const std::string>(data.c_str(), data.size());
  } else {
    spec.path = nb::cast<std::string>(e[1]);
  }
  spec.display = nb::cast<std::string>(e[2]);
  spec.fields.clear();
  for (std::size_t i = 3; i < e.size(); ++i)
    spec.fields.push_back(nb::cast<std::string>(e[i]));
  return spec;
}

nb::tuple contam(const ContamSettings& settings, const std::vector<std::string>& train,
                 const std::vector<Table>& tables, const nb::list& evals, double progress) {
  ContamConfig cfg = contam_config(settings);
  cfg.train = train;
  cfg.train_tables = tables;
  for (nb::handle e : evals)
    cfg.evals.push_back(eval_spec(e));
  Live live;
  const RunObserver obs = observer_of(live);
  ContamOutputs out;
  StreamOut examples;
  run_released(
      [&] {
        run_contam(cfg, obs, out);
        result_table(ResultTable::contamination, out.contamination, examples.stream.get());
      },
      &live, progress);
  return nb::make_tuple(examples.capsule(), to_bytes(out.contamination), to_bytes(out.report),
                        live.warnings);
}

// Signatures and band keys of a table's texts, one row each, in order.
nb::tuple signatures(const Table& table, const DedupSettings& settings) {
  DedupConfig cfg = dedup_config(settings);
  const Scheme scheme = cfg.scheme;
  DedupConfig check = cfg;
  check.output_dir = "-";
  check.tables = {table};
  check.validate();
  const LshParams lsh = cfg.resolved_lsh();
  const bool wide = cfg.sketch == SketchKind::compat && scheme == Scheme::affine64;
  const std::size_t n = table->rows(), k = cfg.num_perm, bands = lsh.bands;
  std::vector<std::uint32_t> sig32(wide ? 0 : n * k);
  std::vector<std::uint64_t> sig64(wide ? n * k : 0), keys(n * bands);
  std::vector<std::uint32_t> counts(n);
  run_released(
      [&] {
        BackendChoice choice = make_dedup_backend(cfg, lsh, RunObserver{});
        Backend& backend = *choice.backend;
        OpenOptions oo;
        oo.text_field = cfg.text_field;
        oo.id_field = "";
        auto input = open_table_input(table, oo);
        std::vector<DocBatch> batches;
        for (;;) {
          DocBatch b;
          if (!input->next(b, backend.batch_bytes())) break;
          batches.push_back(std::move(b));
        }
        const unsigned threads = worker_threads(cfg.threads);
        parallel_for(batches.size(), threads, 1, [&](std::size_t i) {
          check_interrupt();
          const DocBatch& b = batches[i];
          DocReader reader(cfg.text_field, "", cfg.format);
          NormalizedBatch nb;
          nb.text.use(backend.text_memory());  // normalized where the device copies from
          std::uint64_t blank = 0;
          for_each_document(
              b, 0, b.records(), 0, reader, blank,
              [&](const Locator&, std::string_view text, std::string&) {
                nb.normalize_pending(text, cfg.normalize);
                nb.add_pending(true);
              },
              [&](const BadRecord& bad) {
                throw Error(table->name() + ": row " + std::to_string(bad.line) + ": " +
                            bad.detail);
              });
          SketchBatch out;
          backend.sketch(nb, out, true);
          const std::size_t first = b.first_row + static_cast<std::size_t>(b.row_begin);
          const std::size_t m = nb.size();
          if (wide) {
            std::copy(out.signatures64.begin(), out.signatures64.begin() + m * k,
                      sig64.begin() + first * k);
          } else {
            std::copy(out.signatures.begin(), out.signatures.begin() + m * k,
                      sig32.begin() + first * k);
          }
          std::copy(out.band_keys.begin(), out.band_keys.begin() + m * bands,
                    keys.begin() + first * bands);
          std::copy(out.shingle_counts.begin(), out.shingle_counts.begin() + m,
                    counts.begin() + first);
        });
      },
      nullptr, 0.0);
  nb::object sig = wide ? nb::cast(to_numpy(std::move(sig64), {n, k}))
                        : nb::cast(to_numpy(std::move(sig32), {n, k}));
  return nb::make_tuple(sig, to_numpy(std::move(keys), {n, bands}),
                        to_numpy(std::move(counts), {n}));
}

// The CLI's terminal summary of a dedup run (cli/progress.cpp), as `dupscan report` puts it on
// the page: the page of a Python result is the page of the command line.
std::string summary_text(const DedupConfig& cfg, const DedupResult& r) {
  char* buf = nullptr;
  std::size_t len = 0;
  std::FILE* f = ::open_memstream(&buf, &len);
  if (!f) return {};
  cli::print_summary(f, cfg, r);
  std::fclose(f);
  std::string s(buf, len);
  std::free(buf);
  return s;
}

/**
 * The HTML page of the outputs in `dir` (a result's .write()), written to `output`, its texts
 * read from `tables` (the result's data in memory) and the run's files: `dupscan report`'s page.
 * @return (path, bytes, texts shown).
 */
nb::tuple report(const std::string& dir, const std::string& output,
                 const std::vector<Table>& tables, const ReportSettings& settings) {
  report::ReportOptions o = report_options(settings);
  o.dir = dir;
  o.output = output;
  o.tables = tables;
  o.dedup_summary = summary_text;
  report::ReportResult r;
  run_released([&] { r = report::write_report(o); }, nullptr, 0.0);
  return nb::make_tuple(r.path, r.bytes, r.texts);
}

}  // namespace
}  // namespace dupscan::python

NB_MODULE(_dupscan, m) {
  using namespace dupscan;
  using namespace dupscan::python;
#ifdef DUPSCAN_HAVE_PARQUET
  register_parquet();
#endif
  nb::register_exception_translator([](const std::exception_ptr& p, void*) {
    try {
      std::rethrow_exception(p);
    } catch (const Interrupted& e) {
      PyErr_SetString(PyExc_KeyboardInterrupt, e.what());
    } catch (const UsageError& e) {
      PyErr_SetString(PyExc_ValueError, e.what());
    } catch (const Error& e) {
      PyErr_SetString(input_error ? input_error : PyExc_RuntimeError, e.what());
    }
  });
  m.def("set_input_error", [](nb::handle type) {
    Py_XINCREF(type.ptr());
    input_error = type.ptr();
  });
  bind_settings(m);
  nb::class_<TableInput>(m, "TableInput")
      .def_prop_ro("rows", &TableInput::rows)
      .def_prop_ro("name", &TableInput::name);
  m.def("table_from_stream", &table_from_stream, "capsule"_a, "name"_a);
  m.def("table_from_array", &table_from_array, "schema"_a, "array"_a, "name"_a);
  m.def("dedup", &dupscan::python::dedup, "settings"_a, "paths"_a, "tables"_a, "progress"_a);
  m.def("index", &dupscan::python::index, "settings"_a, "paths"_a, "action"_a, "dir"_a,
        "progress"_a, "wait"_a = false);
  m.def("contam", &dupscan::python::contam, "settings"_a, "train"_a, "tables"_a, "evals"_a,
        "progress"_a);
  m.def("signatures", &dupscan::python::signatures, "table"_a, "settings"_a);
  m.def("report", &dupscan::python::report, "dir"_a, "output"_a, "tables"_a, "settings"_a);
  m.def("version", [] { return std::string(dupscan::version()); });
  m.def("have_parquet", [] { return have_parquet(); });
  m.def("have_cuda", [] { return have_cuda_backend(); });
  m.def("have_cuda_host", [] { return have_cuda_host_backend(); });
}
