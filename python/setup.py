"""Builds mimic._mimic, the C extension, against libmimic.

Where libmimic comes from, first found first:
  1. $MIMIC_BUILD_DIR, a CMake build of mimic (its libmimic.a is linked in
     whole, so the module needs no libmimic.so at run time);
  2. ../build, the build `make` leaves in this checkout;
  3. an installed libmimic (`pkg-config mimic`);
  4. a fresh CMake build of this checkout under python/build/libmimic.
No network is needed: the Debian packages scripts/bootstrap installs are
all it links against.
"""
import glob
import os
import re
import shlex
import subprocess

from setuptools import Extension, setup

HERE = os.path.dirname(os.path.abspath(__file__))
# libmimic's dependencies (the pkg-config names CMakeLists.txt uses)
DEPS = ["openblas", "hdf5", "sqlite3", "jansson", "libmicrohttpd", "libutf8proc", "libpng", "cairo"]


def pkgconfig(*args):
    out = subprocess.run(["pkg-config", *args], check=True, capture_output=True, text=True)
    return shlex.split(out.stdout)


def source_of(build_dir):
    """The source folder a CMake build folder was configured from."""
    cache = os.path.join(build_dir, "CMakeCache.txt")
    if os.path.exists(cache):
        m = re.search(r"^mimic_SOURCE_DIR:STATIC=(.*)$", open(cache).read(), re.M)
        if m:
            return m.group(1)
    return os.path.dirname(HERE)


def static_flags(build_dir):
    archive = os.path.join(build_dir, "libmimic.a")
    include = os.path.join(source_of(build_dir), "include")
    libs = pkgconfig("--libs", *DEPS) + ["-llinear", "-lm", "-lpthread"]
    link = ["-Wl,--whole-archive", archive, "-Wl,--no-whole-archive", "-Wl,--exclude-libs,ALL"]
    return [include], link + libs


def cmake_build():
    root = os.path.dirname(HERE)
    if not os.path.exists(os.path.join(root, "CMakeLists.txt")):
        raise SystemExit(
            "mimic: no libmimic found: set MIMIC_BUILD_DIR to a build of mimic, "
            "or install libmimic (pkg-config mimic)"
        )
    out = os.path.join(HERE, "build", "libmimic")
    flags = ["-DCMAKE_BUILD_TYPE=Release", "-DMIMIC_BUILD_TESTS=OFF", "-DMIMIC_BUILD_BENCH=OFF",
             "-DMIMIC_BUILD_PYTHON=OFF"]
    subprocess.run(["cmake", "-S", root, "-B", out, *flags], check=True)
    subprocess.run(["cmake", "--build", out, "-j2", "--target", "mimic_static"], check=True)
    return out


def libmimic():
    """(include dirs, extra link args) for the extension."""
    env = os.environ.get("MIMIC_BUILD_DIR")
    if env:
        if not os.path.exists(os.path.join(env, "libmimic.a")):
            raise SystemExit(f"mimic: MIMIC_BUILD_DIR={env} holds no libmimic.a (build it first)")
        return static_flags(os.path.abspath(env))
    local = os.path.join(os.path.dirname(HERE), "build")
    if os.path.exists(os.path.join(local, "libmimic.a")):
        return static_flags(local)
    try:
        cflags = pkgconfig("--cflags", "mimic")
        libs = pkgconfig("--libs", "mimic")
        return [f[2:] for f in cflags if f.startswith("-I")], libs
    except (OSError, subprocess.CalledProcessError):
        return static_flags(cmake_build())


include_dirs, link_args = libmimic()
ext = Extension(
    "mimic._mimic",
    sources=sorted(glob.glob(os.path.join("src", "*.c"))),
    include_dirs=include_dirs,
    extra_compile_args=["-std=gnu11", "-ffp-contract=off", "-Wno-unused-parameter",
                        "-Wno-missing-field-initializers"],
    extra_link_args=link_args,
)
setup(ext_modules=[ext])
