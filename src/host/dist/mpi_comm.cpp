#include "dist/mpi_comm.hpp"

#include <algorithm>
#include <climits>
#include <cstdint>
#include <cstring>

namespace dupscan {

namespace {
// Bytes one rank sends in one MPI_Alltoallv round, all peers together: MPI-3's counts and
// displacements are ints, and 256 MiB keeps them far from INT_MAX while bounding the staging
// buffers (each pair's share is kRoundBytes / ranks).
constexpr std::uint64_t kRoundBytes = std::uint64_t{1} << 28;
}  // namespace

MpiCommunicator::MpiCommunicator(MPI_Comm comm) : comm_(comm) {
  MPI_Comm_rank(comm_, &rank_);
  MPI_Comm_size(comm_, &size_);
}

std::vector<std::string> MpiCommunicator::all_to_all(const std::vector<std::string>& send) {
  const int p = size_;
  std::vector<std::uint64_t> send_bytes(p), recv_bytes(p);
  for (int r = 0; r < p; ++r)
    send_bytes[r] = send[r].size();
  MPI_Alltoall(send_bytes.data(), 1, MPI_UINT64_T, recv_bytes.data(), 1, MPI_UINT64_T, comm_);
  std::vector<std::string> recv(p);
  std::uint64_t most = 0;
  for (int r = 0; r < p; ++r) {
    recv[r].resize(recv_bytes[r]);
    most = std::max({most, send_bytes[r], recv_bytes[r]});
  }
  std::uint64_t global_most = 0;
  MPI_Allreduce(&most, &global_most, 1, MPI_UINT64_T, MPI_MAX, comm_);
  const std::uint64_t chunk =
      std::max<std::uint64_t>(1, kRoundBytes / static_cast<std::uint64_t>(p));
  const std::uint64_t rounds = (global_most + chunk - 1) / chunk;
  std::vector<int> sc(p), sd(p), rc(p), rd(p);
  std::vector<char> sbuf, rbuf;
  for (std::uint64_t k = 0; k < rounds; ++k) {
    const std::uint64_t from = k * chunk;
    auto slice = [&](std::uint64_t total) {
      return static_cast<int>(total > from ? std::min(chunk, total - from) : 0);
    };
    int s_total = 0, r_total = 0;
    for (int r = 0; r < p; ++r) {
      sc[r] = slice(send_bytes[r]);
      sd[r] = s_total;
      s_total += sc[r];
      rc[r] = slice(recv_bytes[r]);
      rd[r] = r_total;
      r_total += rc[r];
    }
    sbuf.resize(static_cast<std::size_t>(s_total) + 1);
    rbuf.resize(static_cast<std::size_t>(r_total) + 1);
    for (int r = 0; r < p; ++r) {
      if (sc[r]) std::memcpy(sbuf.data() + sd[r], send[r].data() + from, sc[r]);
    }
    MPI_Alltoallv(sbuf.data(), sc.data(), sd.data(), MPI_BYTE, rbuf.data(), rc.data(), rd.data(),
                  MPI_BYTE, comm_);
    for (int r = 0; r < p; ++r) {
      if (rc[r]) std::memcpy(&recv[r][from], rbuf.data() + rd[r], rc[r]);
    }
  }
  return recv;
}

std::vector<std::string> MpiCommunicator::all_gather(const std::string& mine) {
  return all_to_all(std::vector<std::string>(size_, mine));
}

}  // namespace dupscan
