// libtiff, reached only through TAMData's TIFFFile. TIFFGetField/TIFFSetField are variadic and
// the error handlers take a va_list, neither of which Swift can call or implement, so these small
// inline helpers do that part. Errors of each open file are collected into its own buffer (libtiff
// 4.5's per-file handlers), never printed.
#ifndef FEMTOFIT_CTIFF_SHIM_H
#define FEMTOFIT_CTIFF_SHIM_H
#include <tiffio.h>
#include <stdarg.h>
#include <stdio.h>

typedef struct {
    char first[512];   // the first error libtiff reported, with its module
    int count;         // how many errors it reported
} ff_tiff_errors;

static int ff_tiff_on_error(TIFF *tif, void *user, const char *module, const char *fmt, va_list ap) {
    (void)tif;
    ff_tiff_errors *errors = (ff_tiff_errors *)user;
    if (errors) {
        if (errors->count == 0) {
            int used = snprintf(errors->first, sizeof errors->first, "%s: ", module ? module : "libtiff");
            if (used < 0 || used >= (int)sizeof errors->first) used = 0;
            vsnprintf(errors->first + used, sizeof errors->first - (size_t)used, fmt, ap);
        }
        errors->count += 1;
    }
    return 1;  // handled: libtiff prints nothing
}

static int ff_tiff_on_warning(TIFF *tif, void *user, const char *module, const char *fmt, va_list ap) {
    (void)tif; (void)user; (void)module; (void)fmt; (void)ap;
    return 1;  // warnings (unknown tags and the like) are ignored
}

static inline TIFF *ff_tiff_open(const char *path, const char *mode, ff_tiff_errors *errors) {
    TIFFOpenOptions *options = TIFFOpenOptionsAlloc();
    if (!options) return NULL;
    TIFFOpenOptionsSetErrorHandlerExtR(options, ff_tiff_on_error, errors);
    TIFFOpenOptionsSetWarningHandlerExtR(options, ff_tiff_on_warning, NULL);
    TIFF *tif = TIFFOpenExt(path, mode, options);
    TIFFOpenOptionsFree(options);
    return tif;
}

static inline int ff_tiff_get_u32(TIFF *tif, uint32_t tag, uint32_t *value) { return TIFFGetField(tif, tag, value); }
static inline int ff_tiff_get_u16(TIFF *tif, uint32_t tag, uint16_t *value) { return TIFFGetField(tif, tag, value); }
static inline int ff_tiff_get_u16_defaulted(TIFF *tif, uint32_t tag, uint16_t *value) {
    return TIFFGetFieldDefaulted(tif, tag, value);
}
static inline int ff_tiff_get_string(TIFF *tif, uint32_t tag, const char **value) { return TIFFGetField(tif, tag, value); }
static inline int ff_tiff_set_u32(TIFF *tif, uint32_t tag, uint32_t value) { return TIFFSetField(tif, tag, value); }
static inline int ff_tiff_set_u16(TIFF *tif, uint32_t tag, uint16_t value) { return TIFFSetField(tif, tag, (int)value); }
static inline int ff_tiff_set_u16_pair(TIFF *tif, uint32_t tag, uint16_t a, uint16_t b) { return TIFFSetField(tif, tag, (int)a, (int)b); }
static inline int ff_tiff_set_string(TIFF *tif, uint32_t tag, const char *value) { return TIFFSetField(tif, tag, value); }
static inline int ff_tiff_set_double(TIFF *tif, uint32_t tag, double value) { return TIFFSetField(tif, tag, value); }

// ImageJ's private tags, IJMetadataByteCounts (50838, LONG) and IJMetadata (50839, BYTE): slice
// labels and other metadata Fiji/ImageJ read. libtiff writes only tags it knows, so they are
// registered on the open file first.
static const TIFFFieldInfo ff_imagej_fields[] = {
    {50838, TIFF_VARIABLE2, TIFF_VARIABLE2, TIFF_LONG, FIELD_CUSTOM, 1, 1, (char *)"IJMetadataByteCounts"},
    {50839, TIFF_VARIABLE2, TIFF_VARIABLE2, TIFF_BYTE, FIELD_CUSTOM, 1, 1, (char *)"IJMetadata"},
};
static inline int ff_tiff_register_imagej(TIFF *tif) { return TIFFMergeFieldInfo(tif, ff_imagej_fields, 2) == 0; }
static inline int ff_tiff_set_u32_array(TIFF *tif, uint32_t tag, uint32_t count, const uint32_t *values) {
    return TIFFSetField(tif, tag, count, values);
}
static inline int ff_tiff_set_u8_array(TIFF *tif, uint32_t tag, uint32_t count, const uint8_t *values) {
    return TIFFSetField(tif, tag, count, values);
}
// A counted array tag as read (unknown tags are read as counted arrays with a 32-bit count).
static inline int ff_tiff_get_array(TIFF *tif, uint32_t tag, uint32_t *count, const void **values) {
    return TIFFGetField(tif, tag, count, values);
}
#endif
