// Parquet support (dupscan_parquet, built when Apache Arrow C++ is found): programs that link it
// call register_parquet() once before a run, and Parquet inputs and outputs work from then on.
#pragma once

namespace dupscan {

/// Sets the hooks of documents.hpp (open a Parquet input) and parquet_copy.hpp (write one).
void register_parquet();

}  // namespace dupscan
