// FFTW, single precision (fftw3f). FFTW is GPL-2.0-or-later: only TAMData's registration code may
// use it; the fitting engine and the C ABI library never link it.
#include <fftw3.h>
