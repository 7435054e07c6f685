/*
 * The native side of the Python-overhead benchmark: fits raw float32 ROIs with femtofit_fit from
 * C, as a C program would. Usage: native_fit FILE N_FITS SIZE. Reads the file, fits it once to warm
 * up (thread pool, page faults), then fits it again and prints the seconds of that fit alone.
 */
#include "femtofit.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

int main(int argc, char **argv) {
    if (argc != 4) {
        fprintf(stderr, "usage: native_fit FILE N_FITS SIZE\n");
        return 2;
    }
    size_t fits = strtoull(argv[2], NULL, 10), size = strtoull(argv[3], NULL, 10), points = size * size;
    float *data = malloc(fits * points * sizeof(float));
    FILE *file = fopen(argv[1], "rb");
    if (data == NULL || file == NULL || fread(data, sizeof(float), fits * points, file) != fits * points) {
        fprintf(stderr, "native_fit: cannot read %zu ROIs of %zux%zu from %s\n", fits, size, size, argv[1]);
        return 1;
    }
    fclose(file);
    double *parameters = malloc(fits * 5 * sizeof(double)), *errors = malloc(fits * 5 * sizeof(double));
    double *chi = malloc(fits * sizeof(double));
    int *states = malloc(fits * sizeof(int)), *iterations = malloc(fits * sizeof(int));
    femtofit_context *context = femtofit_context_create(FEMTOFIT_BACKEND_CPU, FEMTOFIT_PRECISION_SINGLE, NULL, 0);
    if (context == NULL) {
        fprintf(stderr, "native_fit: %s\n", femtofit_last_error());
        return 1;
    }
    femtofit_batch batch = {0};
    batch.model = FEMTOFIT_MODEL_GAUSS_2D;
    batch.n_fits = fits;
    batch.n_points = points;
    batch.roi_width = size;
    batch.roi_height = size;
    batch.value_type = FEMTOFIT_FLOAT32;
    batch.data = data;
    femtofit_settings settings;
    femtofit_settings_init(&settings);
    femtofit_results results = {parameters, errors, states, chi, iterations};
    double seconds = 0;
    for (int run = 0; run < 2; run++) {
        double start = now();
        if (femtofit_fit(context, &batch, &settings, &results) != FEMTOFIT_OK) {
            fprintf(stderr, "native_fit: %s\n", femtofit_last_error());
            return 1;
        }
        seconds = now() - start;
    }
    printf("%.6f\n", seconds);
    femtofit_context_destroy(context);
    return 0;
}
