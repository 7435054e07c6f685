"""Builds femtofit's C library (swift build) into the package when installed from a checkout.

`pip install ./bindings/python` runs this in the checkout: it builds the `femtofit_c` product of
the Swift package two folders up and puts the library into the package as libfemtofit.so. When
that cannot be done (no Swift toolchain, an sdist elsewhere), the package still installs and finds
the library at import time (FEMTOFIT_LIBRARY, a system install, or the checkout); see
femtofit/_native.py. FEMTOFIT_SKIP_NATIVE_BUILD=1 skips the build.
"""
import os
import shutil
import subprocess
import sys

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE_ROOT = os.path.dirname(os.path.dirname(HERE))


def library_name():
    return "libfemtofit_c.dylib" if sys.platform == "darwin" else "libfemtofit_c.so"


class BuildWithNativeLibrary(build_py):
    def run(self):
        super().run()
        package = os.path.join(self.build_lib, "femtofit")
        checkout = SOURCE_ROOT if os.path.exists(os.path.join(SOURCE_ROOT, "Package.swift")) else None
        with open(os.path.join(package, "_install_info.py"), "w") as info:
            info.write('"""Written at install time: the femtofit checkout the package came from."""\n')
            info.write("SOURCE_ROOT = %r\n" % checkout)
        if checkout is None or os.environ.get("FEMTOFIT_SKIP_NATIVE_BUILD") == "1":
            return
        if shutil.which("swift") is None:
            sys.stderr.write("femtofit: no Swift toolchain here; the package will look for the library at import\n")
            return
        command = ["swift", "build", "-c", "release", "--product", "femtofit_c"]
        sys.stderr.write("femtofit: building the C library: %s (in %s)\n" % (" ".join(command), checkout))
        if subprocess.call(command, cwd=checkout) != 0:
            sys.stderr.write("femtofit: the build failed; the package will look for the library at import\n")
            return
        built = os.path.join(checkout, ".build", "release", library_name())
        shutil.copyfile(built, os.path.join(package, library_name().replace("_c", "")))


setup(cmdclass={"build_py": BuildWithNativeLibrary})
