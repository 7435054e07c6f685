#!/usr/bin/env bash
# Installs the system packages femtofit builds against when any is missing (Debian/Ubuntu), or
# says exactly what to run when it lacks the rights. Sourced by scripts/femtofit and scripts/test.
femtofit_packages=(libtiff-dev libfftw3-dev libhdf5-dev opencl-headers ocl-icd-opencl-dev pocl-opencl-icd clinfo oclgrind gcc binutils)

femtofit_ensure_dependencies() {
    if ! command -v swift >/dev/null 2>&1; then
        echo "femtofit: Swift is not installed (or not on PATH). Install Swift 6 from swift.org, then run this again." >&2
        return 1
    fi
    command -v dpkg-query >/dev/null 2>&1 || return 0   # not Debian: the README lists what to install
    local missing=()
    for package in "${femtofit_packages[@]}"; do
        dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    local runner=()
    if [ "$(id -u)" -ne 0 ]; then
        if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
            runner=(sudo)
        else
            echo "femtofit: missing system packages: ${missing[*]}" >&2
            echo "femtofit: install them with:  sudo apt-get update && sudo apt-get install -y ${missing[*]}" >&2
            return 1
        fi
    fi
    echo "femtofit: installing system packages: ${missing[*]}" >&2
    "${runner[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2 \
        && "${runner[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >&2 \
        || { echo "femtofit: apt-get failed; install by hand: apt-get install -y ${missing[*]}" >&2; return 1; }
}

# The Python packages the bindings' tests use (bindings/python) and what pip needs to install the
# package from the checkout without build isolation, installed with pip when missing.
femtofit_python_packages=(numpy pytest dask distributed h5py setuptools wheel)

femtofit_ensure_python_packages() {
    if ! command -v python3 >/dev/null 2>&1; then
        echo "femtofit: python3 is not installed; install Python 3.9 or later (apt-get install -y python3 python3-pip)" >&2
        return 1
    fi
    local missing=()
    for module in "${femtofit_python_packages[@]}"; do
        python3 -c "import $module" >/dev/null 2>&1 || missing+=("$module")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    local wanted=()
    for module in "${missing[@]}"; do
        case "$module" in
            dask|distributed) wanted+=("dask[distributed]") ;;
            *) wanted+=("$module") ;;
        esac
    done
    echo "femtofit: installing Python packages: ${wanted[*]}" >&2
    python3 -m pip install -q "${wanted[@]}" >&2 \
        || { echo "femtofit: pip failed; install by hand: python3 -m pip install ${wanted[*]}" >&2; return 1; }
}

# What scripts/gpu-kernel-report compiles the kernels with, offline: clang-15 (its NVPTX and
# AMDGPU back ends) and libclc-15 (the OpenCL built-ins for them) from Debian, and NVIDIA's ptxas
# from the PyPI wheel nvidia-cuda-nvcc-cu12. ptxas is optional: without it the report reads the PTX.
femtofit_ensure_gpu_compilers() {
    local saved=("${femtofit_packages[@]}")
    femtofit_packages=(clang-15 libclc-15)
    femtofit_ensure_dependencies
    local status=$?
    femtofit_packages=("${saved[@]}")
    [ $status -eq 0 ] || return $status
    if ! command -v ptxas >/dev/null 2>&1 && ! python3 -c "import nvidia.cuda_nvcc" >/dev/null 2>&1; then
        echo "femtofit: installing NVIDIA's ptxas (python3 -m pip install nvidia-cuda-nvcc-cu12)" >&2
        python3 -m pip install -q nvidia-cuda-nvcc-cu12 >&2 \
            || echo "femtofit: pip could not install nvidia-cuda-nvcc-cu12; NVIDIA figures will come from the PTX alone" >&2
    fi
    return 0
}
