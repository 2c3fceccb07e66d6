#include "settings.hpp"

#include <nanobind/stl/optional.h>
#include <nanobind/stl/string.h>
#include <nanobind/stl/vector.h>

#include <limits>

#include "dupscan/backend.hpp"
#include "dupscan/choices.hpp"
#include "dupscan/errors.hpp"
#include "dupscan/minhash.hpp"
#include "dupscan/run.hpp"
#include "dupscan/shingle.hpp"

namespace nb = nanobind;

namespace dupscan::python {
namespace {

/// A count of the command line's unsigned options: Python's int is unbounded, the option is not.
template <class U>
U count(long long v, const char* option) {
  if (v < 0 || static_cast<unsigned long long>(v) > std::numeric_limits<U>::max()) {
    throw UsageError(std::string(option) + " must be in [0, " +
                     std::to_string(std::numeric_limits<U>::max()) + "], got " + std::to_string(v));
  }
  return static_cast<U>(v);
}

/// `value` after checking it is one of `choices` (the command line's list for `option`).
const std::string& chosen(const char* option, const std::string& value, const Choices& choices) {
  expect_choice(option, value, choices);
  return value;
}

// The sketch's options: choices and counts.
void sketch_settings(const DedupSettings& s, DedupConfig& c) {
  if (s.format) c.format = parse_input_format(*s.format);  // expect_choice's message
  if (s.scheme) c.scheme = *parse_scheme(chosen("--scheme", *s.scheme, scheme_choices()));
  if (s.shingle_hash) {
    c.shingle_hash =
        *parse_shingle_hash(chosen("--shingle-hash", *s.shingle_hash, shingle_hash_choices()));
  }
  if (s.sketch) {
    const bool fast =
        chosen("--sketch", *s.sketch, sketch_choices()) == sketch_kind_name(SketchKind::fast);
    c.sketch = fast ? SketchKind::fast : SketchKind::compat;
  }
  check_sketch_options(c.sketch, s.scheme.has_value(), s.shingle_hash.has_value());
  if (s.shingle) c.shingle = ShingleSpec::parse(*s.shingle);
  if (s.threshold) c.threshold = *s.threshold;
  if (s.num_perm) c.num_perm = count<std::uint32_t>(*s.num_perm, "--num-perm");
  if (s.seed) c.seed = count<std::uint32_t>(*s.seed, "--seed");
  c.lsh = lsh_option(s.bands, s.rows, c.num_perm);
}

// words<T>::value: the Python type(s) a field of type T takes, for the package's TypeError.
template <class T>
struct words;
template <>
struct words<std::optional<std::string>> {
  static constexpr const char* value = "str";
};
template <>
struct words<std::optional<double>> {
  static constexpr const char* value = "int or float";
};
template <>
struct words<std::optional<long long>> {
  static constexpr const char* value = "int";
};
template <>
struct words<std::optional<bool>> {
  static constexpr const char* value = "bool";
};
template <>
struct words<std::vector<std::string>> {
  static constexpr const char* value = "list of str";
};

/// A class's fields, each bound as a typed attribute and listed in its `field_types`.
template <class C>
struct Fields {
  nb::class_<C> cls;
  nb::dict types;

  Fields(nb::module_& m, const char* name, const char* doc) : cls(m, name, doc) {
    cls.def(nb::init<>());
  }
  template <class T>
  Fields& operator()(const char* name, T C::*member) {
    cls.def_rw(name, member);
    types[name] = words<T>::value;
    return *this;
  }
  void done() { cls.attr("field_types") = types; }
};

}  // namespace

DedupConfig dedup_config(const DedupSettings& s) {
  DedupConfig c;
  if (s.text) c.text_field = *s.text;
  // The command line's rule: "id" where the data has it; a field named on purpose must exist.
  c.id_field_required = s.id.has_value();
  if (s.id) c.id_field = *s.id;
  sketch_settings(s, c);
  if (s.keep) {
    const bool longest = chosen("--keep", *s.keep, keep_choices()) == "longest";
    c.keep = longest ? KeepPolicy::longest : KeepPolicy::first;
  }
  if (s.verify) c.verify = *s.verify;
  if (s.backend) c.backend = chosen("--backend", *s.backend, backend_choices());
  if (s.threads) c.threads = count<unsigned>(*s.threads, "--threads");
  if (s.strict) c.strict = *s.strict;
  if (s.max_skipped) c.max_skipped = *s.max_skipped;
  if (s.against) c.against = *s.against;
  return c;
}

ContamConfig contam_config(const ContamSettings& s) {
  ContamConfig c;
  if (s.text) c.text_field = *s.text;
  c.id_field_required = s.id.has_value();  // as dedup_config
  if (s.id) c.id_field = *s.id;
  if (s.benchmark_id) c.eval_id_field = *s.benchmark_id;
  if (s.ngram) c.ngram = count<std::uint32_t>(*s.ngram, "--ngram");
  if (s.min_ngram) c.min_ngram = count<std::uint32_t>(*s.min_ngram, "--min-ngram");
  if (s.near) c.near = *s.near;
  if (s.near_threshold) c.near_threshold = *s.near_threshold;
  if (s.max_matches) c.max_matches = count<std::uint32_t>(*s.max_matches, "--max-matches");
  if (s.boilerplate_docs) {
    c.max_train_docs = count<std::uint32_t>(*s.boilerplate_docs, "--boilerplate-docs");
  }
  if (s.threads) c.threads = count<unsigned>(*s.threads, "--threads");
  if (s.backend) c.backend = chosen("--backend", *s.backend, backend_choices());
  return c;
}

report::ReportOptions report_options(const ReportSettings& s) {
  report::ReportOptions o;
  if (s.name) o.name = *s.name;
  if (s.by) o.by = *s.by;
  if (s.base) o.base = *s.base;
  if (s.texts) o.texts = *s.texts;
  if (s.clusters) o.clusters = count<std::uint32_t>(*s.clusters, "--clusters");
  if (s.members) o.members = count<std::uint32_t>(*s.members, "--members");
  if (s.pairs) o.pairs = count<std::uint32_t>(*s.pairs, "--pairs");
  if (s.exact) o.exact = count<std::uint32_t>(*s.exact, "--exact");
  if (s.list) o.list = count<std::uint32_t>(*s.list, "--list");
  if (s.chars) o.chars = count<std::uint32_t>(*s.chars, "--chars");
  if (s.seed) o.seed = count<std::uint64_t>(*s.seed, "--seed");
  return o;
}

void bind_settings(nb::module_& m) {
  using D = DedupSettings;
  Fields<D> d(m, "DedupSettings", "dedup(), Index and signatures() settings (None: not given)");
  d("text", &D::text)("id", &D::id)("format", &D::format)("scheme", &D::scheme);
  d("shingle_hash", &D::shingle_hash)("sketch", &D::sketch)("shingle", &D::shingle);
  d("keep", &D::keep)("backend", &D::backend)("against", &D::against);
  d("threshold", &D::threshold)("max_skipped", &D::max_skipped)("num_perm", &D::num_perm);
  d("seed", &D::seed)("threads", &D::threads)("bands", &D::bands)("rows", &D::rows);
  d("verify", &D::verify)("strict", &D::strict)("given", &D::given).done();
  using C = ContamSettings;
  Fields<C> c(m, "ContamSettings", "contam() settings (None: not given)");
  c("text", &C::text)("id", &C::id)("benchmark_id", &C::benchmark_id)("backend", &C::backend);
  c("ngram", &C::ngram)("min_ngram", &C::min_ngram)("max_matches", &C::max_matches);
  c("boilerplate_docs", &C::boilerplate_docs)("threads", &C::threads);
  c("near_threshold", &C::near_threshold)("near", &C::near).done();
  using R = ReportSettings;
  Fields<R> r(m, "ReportSettings", "A result's .report() options (None: not given)");
  r("name", &R::name)("by", &R::by)("base", &R::base)("texts", &R::texts);
  r("clusters", &R::clusters)("members", &R::members)("pairs", &R::pairs)("exact", &R::exact);
  r("list", &R::list)("chars", &R::chars)("seed", &R::seed).done();
}

}  // namespace dupscan::python
