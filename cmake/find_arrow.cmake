# Apache Arrow C++ and Parquet for Parquet inputs and outputs. Found, in this order:
#  1. Arrow's own CMake packages (an Arrow C++ installation: find_package(Parquet));
#  2. the libraries and headers that PyPI's pyarrow wheel ships for building extensions, from
#     the Python interpreter DUPSCAN_ARROW_PYTHON (default: the Python that scikit-build-core
#     builds with, else the project's .venv/bin/python, which scripts/install-deps.sh makes).
# Defines the target dupscan::arrow (Arrow + Parquet) and sets DUPSCAN_HAVE_PARQUET.
set(DUPSCAN_HAVE_PARQUET OFF)
set(DUPSCAN_ARROW_LIBDIR "")
find_package(Parquet CONFIG QUIET)
if(Parquet_FOUND AND TARGET Parquet::parquet_shared)
  add_library(dupscan_arrow INTERFACE)
  target_link_libraries(dupscan_arrow INTERFACE Parquet::parquet_shared Arrow::arrow_shared)
  add_library(dupscan::arrow ALIAS dupscan_arrow)
  set(DUPSCAN_HAVE_PARQUET ON)
  message(STATUS "dupscan: Parquet through Arrow C++ ${Arrow_VERSION} (CMake package)")
  return()
endif()

if(NOT DUPSCAN_ARROW_PYTHON)
  if(SKBUILD AND Python_EXECUTABLE)
    set(DUPSCAN_ARROW_PYTHON ${Python_EXECUTABLE})
  elseif(EXISTS ${PROJECT_SOURCE_DIR}/.venv/bin/python)
    set(DUPSCAN_ARROW_PYTHON ${PROJECT_SOURCE_DIR}/.venv/bin/python)
  endif()
endif()
if(NOT DUPSCAN_ARROW_PYTHON)
  message(STATUS "dupscan: no Arrow C++ found, building without Parquet "
                 "(pip install pyarrow into .venv, or install Arrow C++)")
  return()
endif()
execute_process(
  COMMAND ${DUPSCAN_ARROW_PYTHON} -c
          "import pyarrow as pa; print(pa.get_include()); print(pa.get_library_dirs()[0]); print(pa.__version__)"
  OUTPUT_VARIABLE _pa RESULT_VARIABLE _pa_rc ERROR_QUIET OUTPUT_STRIP_TRAILING_WHITESPACE)
if(NOT _pa_rc EQUAL 0)
  message(STATUS "dupscan: ${DUPSCAN_ARROW_PYTHON} has no pyarrow, building without Parquet")
  return()
endif()
string(REPLACE "\n" ";" _pa "${_pa}")
list(GET _pa 0 _pa_include)
list(GET _pa 1 _pa_libdir)
list(GET _pa 2 _pa_version)
# The wheel ships libarrow.so.MAJOR00 and libparquet.so.MAJOR00 (no unversioned links).
file(GLOB _arrow_lib ${_pa_libdir}/libarrow.so.*)
file(GLOB _parquet_lib ${_pa_libdir}/libparquet.so.*)
list(FILTER _arrow_lib EXCLUDE REGEX "\\.so\\.[0-9]+\\.[0-9]")
list(FILTER _parquet_lib EXCLUDE REGEX "\\.so\\.[0-9]+\\.[0-9]")
if(NOT _arrow_lib OR NOT _parquet_lib OR NOT EXISTS ${_pa_include}/parquet/arrow/reader.h)
  message(STATUS "dupscan: pyarrow ${_pa_version} at ${_pa_libdir} lacks libparquet or its "
                 "headers, building without Parquet")
  return()
endif()
list(GET _arrow_lib 0 _arrow_lib)
list(GET _parquet_lib 0 _parquet_lib)
add_library(dupscan_arrow_lib SHARED IMPORTED)
set_target_properties(dupscan_arrow_lib PROPERTIES IMPORTED_LOCATION ${_arrow_lib}
                      INTERFACE_INCLUDE_DIRECTORIES ${_pa_include})
add_library(dupscan_parquet_lib SHARED IMPORTED)
set_target_properties(dupscan_parquet_lib PROPERTIES IMPORTED_LOCATION ${_parquet_lib})
add_library(dupscan_arrow INTERFACE)
target_link_libraries(dupscan_arrow INTERFACE dupscan_parquet_lib dupscan_arrow_lib)
add_library(dupscan::arrow ALIAS dupscan_arrow)
set(DUPSCAN_HAVE_PARQUET ON)
set(DUPSCAN_ARROW_LIBDIR ${_pa_libdir})
message(STATUS "dupscan: Parquet through pyarrow ${_pa_version}'s Arrow C++ (${_pa_libdir})")
