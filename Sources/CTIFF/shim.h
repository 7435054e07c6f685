// libtiff, reached through one thin layer in TAMData (TIFFStack / TIFFLibrary).
#include <tiffio.h>
