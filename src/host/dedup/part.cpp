#include "dedup/part.hpp"

#include <algorithm>

#include "common/parallel.hpp"
#include "dedup/exact_groups.hpp"
#include "dedup/pass1.hpp"
#include "dedup/run_setup.hpp"
#include "io/input_checks.hpp"

namespace dupscan {

Part read_part(const DedupConfig& cfg, std::uint32_t first, std::uint32_t count,
               const RunObserver& observer, const WorkDir* work, KeySpill* spill,
               std::size_t seen_exact_cap, DocSpill* doc_spill) {
  DedupConfig part_cfg = cfg;
  part_cfg.inputs.assign(cfg.inputs.begin() + first, cfg.inputs.begin() + first + count);
  check_inputs_readable(part_cfg.inputs);
  check_inputs_distinct(part_cfg.inputs);
  Part part;
  part.lsh = cfg.resolved_lsh();
  part.threads = worker_threads(cfg.threads);
  BackendChoice choice = make_dedup_backend(cfg, part.lsh, observer);
  part.sketcher = std::move(choice.backend);
  part.backend = part.sketcher->name();
  part.backend_note = choice.note;
  part.backend_asked = choice.asked;
  part.canary = choice.canary;

  PassOneOptions o;
  o.lsh = part.lsh;
  o.input_base = first;
  o.work = work;
  o.spill = spill;
  o.seen_exact_cap = seen_exact_cap;
  o.doc_spill = doc_spill;
  PassOne pass =
      read_and_sketch(pass_one_spec(part_cfg), *part.sketcher, part.threads, o, observer);
  if (spill) spill->finish(pass.docs);
  if (doc_spill) doc_spill->finish(pass.docs);
  const stages::ExactGroups groups =
      doc_spill && doc_spill->spilled()
          ? doc_spill->exact_groups(pass.docs, cfg.num_perm)
          : stages::group_exact_copies(pass.docs, *part.sketcher, part.lsh.bands, cfg.num_perm);
  part.docs = std::move(pass.docs);
  part.exact_rep = groups.rep;
  part.sources.resize(cfg.inputs.size());
  const std::vector<RereadSource> sources = pass.pipeline->sources();
  std::copy(sources.begin(), sources.end(), part.sources.begin() + first);
  part.documents.resize(cfg.inputs.size());
  std::copy(pass.pipeline->documents().begin(), pass.pipeline->documents().end(),
            part.documents.begin() + first);
  part.inputs = std::move(pass.inputs);
  part.counts = pass.counts;
  part.counts.keys_from_copy = groups.keys_from_copy;
  part.counts.lsh_documents = groups.lsh_docs.size();
  return part;
}

void Part::append_id(std::string& out, std::uint32_t d,
                     const std::vector<std::string>& inputs) const {
  docs.append_id(out, d, [&] { return inputs[docs.loc[d].input]; });
}

}  // namespace dupscan
