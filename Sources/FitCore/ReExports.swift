// femtofit's version lives in the leaf module FemtofitRelease, so that the file formats record it
// without depending on the engine; `import FitCore` still brings it.
@_exported import FemtofitRelease
