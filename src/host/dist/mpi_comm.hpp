// The Communicator (distributed.hpp) over MPI: dupscan-mpi's, built only when CMake finds MPI.
#pragma once

#include <mpi.h>

#include <string>
#include <vector>

#include "dupscan/distributed.hpp"

namespace dupscan {

class MpiCommunicator final : public Communicator {
 public:
  explicit MpiCommunicator(MPI_Comm comm);
  int rank() const override { return rank_; }
  int size() const override { return size_; }
  /// MPI_Alltoallv in rounds of at most kRoundBytes per rank pair, so that the int counts and
  /// displacements of MPI-3 never overflow, whatever the message sizes.
  std::vector<std::string> all_to_all(const std::vector<std::string>& send) override;
  std::vector<std::string> all_gather(const std::string& mine) override;

 private:
  MPI_Comm comm_;
  int rank_ = 0, size_ = 1;
};

}  // namespace dupscan
