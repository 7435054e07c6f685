"""scripts/gpu-kernel-report catches what it is there to catch: a kernel made to spill on purpose
(a private array indexed at run time, too big for registers), a call to a function no file
defines, and a held target lost; and passes a kernel that has none of these. Compiles with
clang-15 and libclc-15 (the script installs them when missing)."""
import json
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SCRIPT = os.path.join(ROOT, "scripts", "gpu-kernel-report")

SOUND = """
__kernel __attribute__((reqd_work_group_size(64, 1, 1)))
void ff_fit_per_group(__global float* out, __global const int* index) {
    const int i = (int)get_global_id(0);
    out[i] = out[i] * 2.0f + (float)index[i];
}
"""
# 1 KiB of private memory indexed at run time: scratch on AMD, a stack frame on NVIDIA.
SPILLING = """
__kernel __attribute__((reqd_work_group_size(64, 1, 1)))
void ff_fit_per_group(__global float* out, __global const int* index) {
    float big[256];
    for (int k = 0; k < 256; k++) big[k] = out[k] * (float)k;
    const int i = (int)get_global_id(0);
    out[i] = big[index[i] & 255];
}
"""
# Declared, never defined: what a helper the compiler did not emit leaves behind.
EXTERNAL = """
float ff_helper_nobody_defines(float x);
__kernel __attribute__((reqd_work_group_size(64, 1, 1)))
void ff_fit_per_group(__global float* out, __global const int* index) {
    const int i = (int)get_global_id(0);
    out[i] = ff_helper_nobody_defines(out[i]);
}
"""
HELD = "\n".join([
    "*\t*\t*\t*\t*\t*\t*\tscratch_bytes\t<=0",
    "*\t*\t*\t*\t*\t*\t*\tstack_bytes\t<=0",
    "gfx1100\t*\t*\t*\t*\t*\t*\toccupancy\t>=8",
]) + "\n"


def report(folder, sources, held=HELD):
    folder = str(folder)
    variants = []
    for name, text in sources.items():
        with open(os.path.join(folder, name + ".cl"), "w") as file:
            file.write(text)
        variants.append({"file": name + ".cl", "name": name, "model": name, "estimator": "lse", "weighted": False,
                         "precision": "float32", "strategy": "group", "roi": "15x15", "group_size": 64,
                         "parameters": 5, "points": 225, "kernel": "ff_fit_per_group", "defines": []})
    with open(os.path.join(folder, "manifest.json"), "w") as file:
        json.dump({"format": "femtofit-kernel-sources/1", "options": "-cl-mad-enable", "variants": variants}, file)
    targets = os.path.join(folder, "targets.tsv")
    with open(targets, "w") as file:
        file.write(held)
    out = os.path.join(folder, "report.json")
    result = subprocess.run([sys.executable, SCRIPT, "--sources", folder, "--targets", targets, "--json", out, "--jobs", "2"],
                            capture_output=True, text=True)
    return result, json.load(open(out))


def rows_of(document, model):
    return {row["target"]: row for row in document["rows"] if row["model"] == model}


def test_a_sound_kernel_passes_with_figures_for_every_target(tmp_path):
    result, document = report(tmp_path, {"sound": SOUND})
    assert result.returncode == 0, result.stderr
    assert document["format"] == "femtofit-gpu-kernels/1"
    rows = rows_of(document, "sound")
    assert set(rows) == {"gfx90a", "gfx1100", "sm_80", "sm_90"}
    for target in ("gfx90a", "gfx1100"):
        assert rows[target]["vgprs"] > 0 and rows[target]["scratch_bytes"] == 0 and rows[target]["occupancy"] >= 8
    for target in ("sm_80", "sm_90"):
        assert rows[target]["stack_bytes"] == 0


def test_a_kernel_made_to_spill_fails_the_held_targets(tmp_path):
    result, document = report(tmp_path, {"sound": SOUND, "spilling": SPILLING})
    assert result.returncode == 1, result.stdout + result.stderr
    rows = rows_of(document, "spilling")
    assert rows["gfx90a"]["scratch_bytes"] >= 1024 and rows["gfx1100"]["scratch_bytes"] >= 1024
    assert rows["sm_80"]["stack_bytes"] >= 1024 and rows["sm_90"]["stack_bytes"] >= 1024
    for target in rows:
        figure = "scratch_bytes" if target.startswith("gfx") else "stack_bytes"
        assert any(f"{target} spilling" in failure and figure in failure for failure in document["failures"]), document["failures"]
    assert not any(" sound " in failure for failure in document["failures"]), document["failures"]
    assert "FAIL" in result.stderr and "spilling" in result.stderr


def test_a_call_to_an_undefined_function_fails(tmp_path):
    result, document = report(tmp_path, {"external": EXTERNAL}, held="")
    assert result.returncode == 1, result.stdout + result.stderr
    for target in ("gfx90a", "gfx1100", "sm_80", "sm_90"):
        assert any(failure.startswith(target + " external") and "ff_helper_nobody_defines" in failure
                   for failure in document["failures"]), document["failures"]


def test_a_target_that_matches_nothing_is_an_error_not_a_pass(tmp_path):
    result, document = report(tmp_path, {"sound": SOUND}, held="gfx90a\tno-such-model\t*\t*\t*\t*\t*\tscratch_bytes\t<=0\n")
    assert result.returncode == 1
    assert any("matches no compiled variant" in failure for failure in document["failures"])
