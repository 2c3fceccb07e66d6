#include "io/read_spec.hpp"

#include <algorithm>

namespace dupscan {

StageReading set_up_reading(const ReadSpec& spec, const std::vector<std::string>& paths,
                            const std::vector<std::shared_ptr<const TableInput>>& tables,
                            const ReadSetup& setup,
                            const std::function<void(const std::string&)>& warn) {
  StageReading s;
  OpenOptions oo;
  oo.text_field = spec.text_field;
  oo.id_field = spec.id_field;
  oo.id_required = spec.id_field_required;
  oo.format = spec.format;
  oo.spool_stdin = setup.spool_stdin;
  oo.tmp_dir = setup.tmp_dir;
  oo.max_record_size = spec.max_record_size;
  s.options.documents = open_inputs(paths, tables, oo);
  s.options.threads = setup.threads;
  s.options.batch_bytes = std::max(spec.batch_bytes, setup.stage_batch_bytes);
  s.readers.reserve(setup.threads);
  for (unsigned w = 0; w < setup.threads; ++w)
    s.readers.emplace_back(spec.text_field, spec.id_field, spec.format);
  s.skips = std::make_unique<SkipPolicy>(
      SkipPolicy::Options{spec.strict, spec.max_skipped, spec.format, setup.fixed_text_field,
                          spec.id_field_required && spec.format == InputFormat::jsonl
                              ? spec.id_field
                              : std::string()},
      warn);
  s.options.skips = s.skips.get();
  return s;
}

}  // namespace dupscan
