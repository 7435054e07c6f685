"""femtofit.read_fits: the fits.h5 that `femtofit fit` writes, as numpy arrays with names."""


class Fits(dict):
    """fits.h5's datasets by name (`parameters`, `standard_errors`, `state`, `chi2`, `iterations`,
    `index`, `roi`, `masked_pixels`, `problem`, and `delay_fs`, `fluence`, `wavelength_nm`, `spot`
    where the run had them), with:

    metadata: the file's root attributes (model, backend, device, precision, columns, ...);
    columns: the parameter columns' names (fits.csv's, with units);
    state_names: {code: name}; problem_codes: {code: text};
    shape: the shape check's columns (a dict; empty when the check was off).
    """

    def __getattr__(self, name):
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None


def _text(value):
    if isinstance(value, bytes):
        return value.decode()
    if hasattr(value, "tolist"):
        value = value.tolist()
    if isinstance(value, list):
        return [_text(v) for v in value]
    return value


def _codes(entries):
    table = {}
    for entry in [] if entries is None else entries:
        code, _, text = _text(entry).partition("=")
        table[int(code)] = text
    return table


def read_fits(path):
    """Reads fits.h5 at `path` (needs h5py) into a `Fits`: arrays by name plus the metadata."""
    try:
        import h5py
    except ImportError as error:
        raise ImportError("femtofit.read_fits needs h5py: python3 -m pip install h5py") from error
    with h5py.File(path, "r") as f:
        schema = _text(f.attrs.get("schema", ""))
        if not str(schema).startswith("femtofit-fits-h5/"):
            raise ValueError("%s is not a fits.h5 that femtofit fit wrote (schema %r)" % (path, schema))
        fits = Fits()
        for name, item in f.items():
            if isinstance(item, h5py.Dataset):
                fits[name] = item[()]
        fits["metadata"] = {key: _text(value) for key, value in f.attrs.items()}
        fits["columns"] = _text(f["parameters"].attrs["columns"])
        fits["state_names"] = _codes(f["state"].attrs.get("names"))
        fits["problem_codes"] = _codes(f["problem"].attrs.get("codes"))
        fits["shape"] = {name: item[()] for name, item in f["shape"].items()} if "shape" in f else {}
    return fits
