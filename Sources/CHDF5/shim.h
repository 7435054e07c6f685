// HDF5's C API for Swift. Its type, property-list and access-flag names are macros that call into
// the library (H5OPEN), which Swift cannot import; these inline functions hand them over.
#include <hdf5.h>

static inline hid_t femtofit_h5t_double(void) { return H5T_NATIVE_DOUBLE; }
static inline hid_t femtofit_h5t_float(void) { return H5T_NATIVE_FLOAT; }
static inline hid_t femtofit_h5t_int32(void) { return H5T_NATIVE_INT32; }
static inline hid_t femtofit_h5t_int64(void) { return H5T_NATIVE_INT64; }
static inline hid_t femtofit_h5t_uint8(void) { return H5T_NATIVE_UINT8; }
static inline hid_t femtofit_h5t_int16(void) { return H5T_NATIVE_INT16; }
static inline hid_t femtofit_h5t_uint16(void) { return H5T_NATIVE_UINT16; }
static inline hid_t femtofit_h5t_c_string(void) { return H5T_C_S1; }
static inline hid_t femtofit_h5p_dataset_create(void) { return H5P_DATASET_CREATE; }
static inline hid_t femtofit_h5p_file_access(void) { return H5P_FILE_ACCESS; }
static inline hid_t femtofit_h5p_link_create(void) { return H5P_LINK_CREATE; }
static inline unsigned femtofit_h5f_acc_trunc(void) { return H5F_ACC_TRUNC; }
static inline unsigned femtofit_h5f_acc_rdonly(void) { return H5F_ACC_RDONLY; }
static inline hsize_t femtofit_h5s_unlimited(void) { return H5S_UNLIMITED; }
static inline size_t femtofit_h5t_variable(void) { return H5T_VARIABLE; }
/// Silences HDF5's own error printing: femtofit reports every failure in its own words.
static inline void femtofit_h5_quiet(void) { H5Eset_auto2(H5E_DEFAULT, NULL, NULL); }
