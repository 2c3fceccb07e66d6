// Resume: a dedup run keeps pass 1's results per completed input in a work directory, so that the
// same command run again after a crash, a kill or a preemption reads only the inputs it had not
// finished. Pass 1 (reading, normalizing, sketching) is nearly all of a run's time; the later
// stages run again from its tables, and the outputs are byte-identical to an uninterrupted run's.
//
// The work directory holds `run.json` (what the run is: dupscan version, the parameters pass 1's
// tables depend on, and each input's path, size and mtime) and one `input-NNNNNN.part` per
// completed input (its DocTable rows, its InputSummary and skipped counts, with an XXH3-64 of
// the whole part at its end), each written under a temporary name, fsynced and renamed. A run
// finds it, checks that run.json is what it would write and loads the parts 0, 1, ... that are
// whole; a run of other parameters, or whose inputs read whole have changed, is refused, naming
// what changed (--restart discards the directory). The directory is removed when the run has
// committed its outputs, or when a run fails before it saved a part (nothing to resume).
//
// Another command keeps parts of its own format the same way (`dupscan contam`: the scan's
// findings per training input, contam/scan.hpp): save_payload() / load_payload() write and read
// opaque bytes, in the same files with the same checks.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <exception>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "dedup/doc_table.hpp"
#include "dupscan/dedup.hpp"
#include "dupscan/errors.hpp"
#include "io/dir_lock.hpp"
#include "io/json_writer.hpp"

namespace dupscan {

/// What one input's part holds besides its documents' rows.
struct InputPart {
  InputSummary summary;
  std::uint64_t skipped_by_reason[kSkipReasonCount] = {};
};

class WorkDir {
 public:
  /// "what is being run": ordered (name, value) pairs, compared when a run resumes.
  using Identity = std::vector<std::pair<std::string, std::string>>;

  /**
   * @brief The identity of a dedup run's pass 1: dupscan's version, the parameters its tables
   * depend on (fields, format, normalization, shingles, sketch, scheme, K, seed, banding, whether
   * signatures are kept, the --against index) and each input's path, size and mtime.
   * @throw Error when an input cannot be stat'ed.
   */
  static Identity dedup_identity(const DedupConfig& cfg, const LshParams& lsh,
                                 std::uint32_t input_base, const std::string& command = "dedup");
  /// "PATH, N bytes, mtime T ns": how an identity names a file. @throw Error when it cannot be
  /// stat'ed.
  static std::string file_identity(const std::string& path);

  /**
   * @brief Opens the work directory `dir` of a run of `identity` and locks it (or, when absent,
   * creates it with the first save()). With `restart` an earlier run's files are removed first.
   * @throw UsageError when it holds an earlier run of another identity (naming what changed and
   * --restart); Error when it cannot be created, written or locked.
   */
  WorkDir(std::string dir, Identity identity, bool restart);
  /**
   * @brief The work directory `dir` of a command's run (dedup, index, contam): opened as the
   * constructor does, with `r` filled in (work_dir, inputs_loaded) and the notes of a discarded
   * or resumed earlier run told to `observer`.
   */
  static std::unique_ptr<WorkDir> open(ResumeSummary& r, std::string dir, Identity identity,
                                       bool restart, const RunObserver& observer);
  ~WorkDir();
  WorkDir(const WorkDir&) = delete;
  WorkDir& operator=(const WorkDir&) = delete;

  const std::string& path() const { return dir_; }
  /// Inputs 0 .. n-1 whose parts are there whole (a damaged part and those after it do not count).
  std::uint32_t parts_done() const { return parts_done_; }
  /// The inputs of the run.
  std::uint32_t inputs() const { return inputs_; }

  /**
   * @brief Part `input` (< parts_done()): its documents' rows appended to `docs` (ids after
   * docs.ids, id ends shifted to match; Locator::input global), straight from the part's bytes.
   * On a throw, `docs` may hold some of the rows.
   * @throw Error when it cannot be read.
   */
  InputPart load(std::uint32_t input, DocTable& docs) const;
  /**
   * @brief Saves input `input`'s part: rows [first_doc, docs.size()) of `docs` (sigs/sigs64 when
   * kept; its keys still held: first_doc >= docs.keys_first), its summary and skipped counts.
   * The rows are copied now; a writer thread writes and
   * fsyncs the parts in order, so that pass 1 does not wait for the disk (flush() does). After a
   * signal, parts not yet written are dropped. @throw Error of an earlier part's write.
   */
  void save(std::uint32_t input, const DocTable& docs, std::size_t first_doc,
            const InputSummary& summary, const std::uint64_t* skipped_by_reason,
            std::uint32_t bands, std::uint32_t k) const;
  /**
   * @brief Saves input `input`'s part as `payload`, bytes of the caller's own format (another
   * command's part: contam's), written as save() writes a part: by the writer thread, fsynced,
   * renamed, with its checksum. @throw Error of an earlier part's write.
   */
  void save_payload(std::uint32_t input, std::string payload) const;
  /// The payload of part `input` (< parts_done()) that save_payload() saved.
  /// @throw Error when it cannot be read.
  std::string load_payload(std::uint32_t input) const;
  /**
   * @brief The path of a file of the command's own beside the parts, `name` (contam's spilled
   * Locators): the directory is made ready first (created, locked, with run.json), as by the
   * first part; the file is removed with the directory. @throw Error when it cannot be made.
   */
  std::string own_file(const std::string& name) const;
  /// The names in directory `dir` but . and .. (none when it cannot be opened).
  static std::vector<std::string> entries(const std::string& dir);
  /// Removes an earlier run's work directory `dir` (its files, lock included, and itself),
  /// without taking its lock: for a run that holds the directory above it (--restart).
  static void discard(const std::string& dir) noexcept;
  /// "resuming: 4 of 6 inputs already read by an interrupted run (DIR; --restart starts over)".
  std::string resuming_note() const;
  /// Waits until every part saved is on disk. @throw Error when one could not be written.
  void flush() const;
  /// Whether a part is there to resume from (after a failed run: if not, remove()).
  bool holds_parts() const;
  /**
   * @brief After a run that failed (bad input, I/O; not a kill or a signal): marks the directory
   * so that a run of other options discards it with a note instead of refusing -- a run that
   * stopped on a wrong --text-field is rerun with another one -- while a run of the same options
   * (the bad input fixed) resumes from it.
   */
  void mark_failed() const noexcept;
  /**
   * @brief After a run that stopped (`failed`: by an error, not a kill or a signal): when no
   * part is there (a run that failed at once, on a wrong --text-field) removes the directory and
   * returns false, so that the output directory is left as it was; else keeps it, marked failed
   * when `failed`, and returns true (the inputs read are kept to resume from).
   */
  bool keep_after_failure(bool failed) noexcept;
  /// Set when this run discarded what a failed run of other options left (the note to print).
  const std::string& discarded() const { return discarded_; }
  /// After the run committed its outputs: removes the directory's files and the directory.
  void remove() noexcept;

 private:
  std::string part_path(std::uint32_t input) const;
  bool part_whole(std::uint32_t input) const;
  void lock() const;
  /// Queues a part's bytes (the magic and its fields; the checksum is added) for the writer.
  void enqueue(std::uint32_t input, std::string bytes) const;
  /// The bytes of whole part `input`. @throw Error when it cannot be read.
  std::string read_part(std::uint32_t input) const;
  /// Before the first part: the directory exists, is locked and holds this run's run.json.
  void make_ready() const;

  std::string dir_;
  Identity identity_;
  std::uint32_t inputs_ = 0;
  std::uint32_t parts_done_ = 0;
  std::string discarded_;
  // save() is const to its callers (pass 1 only adds parts); the directory is made by the first.
  mutable bool ready_ = false;  // the directory exists, locked, with this run's run.json
  mutable io::DirLock lock_;
  // The writer thread and its queue of serialized parts.
  void write_parts() const;
  mutable std::thread writer_;
  mutable std::mutex mutex_;
  mutable std::condition_variable cv_;
  mutable std::deque<std::pair<std::uint32_t, std::string>> queue_;
  mutable bool writing_ = false;  // the writer holds a part taken from the queue
  mutable bool stop_ = false;
  mutable std::exception_ptr error_;
};

/// Why a run of `inputs` keeps no work directory, "" when it can: `blocker` when not empty (an
/// option's reason: "--no-resume"), else the first input that can be read only once (stdin, a
/// pipe).
std::string why_no_resume(const std::string& blocker, const std::vector<std::string>& inputs);

/// report.json's "resume" object of `r` (dedup's and contam's): where the work directory was
/// and how many inputs were loaded from it, or why there was none.
void write_resume_json(JsonWriter& w, const ResumeSummary& r);

/**
 * @brief engine.run() with what a stopped run leaves (dedup's and contam's engines): after a kill
 * or signal (Interrupted) the work directory stays as it is; after an error the created
 * directories are removed and the work directory is kept, marked failed, when it holds inputs
 * read (engine.remove_created_dirs(failed) says whether), and then the message of bad input found
 * late says how to go on from them (engine.work_dir()).
 */
template <class Engine>
auto run_keeping_work(Engine& engine) -> decltype(engine.run()) {
  try {
    return engine.run();
  } catch (const Interrupted&) {
    engine.remove_created_dirs(false);
    throw;
  } catch (const UsageError&) {
    engine.remove_created_dirs(true);
    throw;
  } catch (const Error& e) {
    if (!engine.remove_created_dirs(true)) throw;
    throw Error(std::string(e.what()) + " (the inputs read before are kept in " +
                engine.work_dir() +
                ": run the same command again once this is fixed to go on from them)");
  } catch (...) {
    engine.remove_created_dirs(true);
    throw;
  }
}

}  // namespace dupscan
