"""Models defined at run time (docs/models.md): an expression compiled by the C library into a
model that `femtofit.fit` and `femtofit.dask.fit` take as `model=`, as they take a built-in name."""
import math

from . import _native


def _quoted(text):
    return '"' + str(text).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def _bound(value):
    value = float(value)
    if math.isnan(value):
        raise ValueError("a bound is a number or +-inf, not NaN")
    return '"inf"' if value == math.inf else '"-inf"' if value == -math.inf else repr(value)


class Model:
    """A model defined at run time, compiled once by the C library (its derivatives symbolic,
    checked against finite differences) and usable wherever a model name is.

        femtofit.Model(open("tilted.toml").read())           # a model file's text
        femtofit.Model(expression="A * exp(-t / tau) + B", parameters=["A", "tau", "B"],
                       coordinates=["t"], start={"A": "max - min", "tau": "10", "B": "last"},
                       bounds={"tau": (0, math.inf)})

    Faults (a syntax error with its column, an unknown name with a suggestion, a parameter the
    expression does not use, ...) raise ValueError. The model is released when the object is
    garbage-collected; a pickled Model (as Dask sends one to its workers) compiles again there.
    """

    def __init__(self, text=None, *, expression=None, parameters=None, coordinates=None, name="python-model",
                 start=None, bounds=None, positions=None):
        if text is None:
            if expression is None or parameters is None or coordinates is None:
                raise TypeError("give a model file's text, or expression=, parameters= and coordinates=")
            lines = ["name = " + _quoted(name),
                     "coordinates = [" + ", ".join(_quoted(c) for c in coordinates) + "]",
                     "parameters = [" + ", ".join(_quoted(p) for p in parameters) + "]",
                     "expression = " + _quoted(expression)]
            if start:
                lines += ["[start]"] + ["%s = %s" % (k, _quoted(v)) for k, v in start.items()]
            if bounds:
                lines += ["[bounds]"] + ["%s = [%s, %s]" % (k, _bound(lo), _bound(hi)) for k, (lo, hi) in bounds.items()]
            if positions:
                lines += ["[positions]"] + ["%s = %s" % (k, _quoted(v)) for k, v in positions.items()]
            text = "\n".join(lines) + "\n"
        elif any(v is not None for v in (expression, parameters, coordinates, start, bounds, positions)):
            raise TypeError("give either a model file's text or its fields, not both")
        self.text = str(text)
        self._lib = _native.load()
        model_id = _native.c_int(-1)
        if self._lib.femtofit_model_compile(self.text.encode(), _native.byref(model_id)) != 0:
            raise ValueError(self._lib.femtofit_last_error().decode())
        self.id = model_id.value
        self.name = self._lib.femtofit_model_name(self.id).decode()
        self.parameters = [self._lib.femtofit_model_parameter_name(self.id, j).decode()
                           for j in range(self._lib.femtofit_model_parameter_count(self.id))]
        self.dimensions = self._lib.femtofit_model_dimensions(self.id)

    def __del__(self):
        lib, model_id = getattr(self, "_lib", None), getattr(self, "id", None)
        if lib is not None and model_id is not None:
            try:
                lib.femtofit_model_release(model_id)
            except Exception:  # at interpreter shutdown ctypes may already be gone
                pass

    def __reduce__(self):
        return (Model, (self.text,))

    def __str__(self):
        return self.name

    def __repr__(self):
        return "femtofit.Model(%r: %s)" % (self.name, ", ".join(self.parameters))
